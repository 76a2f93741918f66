//! RPM version ordering (Red Hat, SUSE, Rocky, Alma, ...).
//!
//! Hand port of rpm's `rpmio/rpmvercmp.c` `rpmvercmp` (with `~` and `^`) and of
//! `lib/rpmver.c` `rpmverCmp` for full `[epoch:]version[-release]` strings, split as
//! `parseEVR` does. No crate tracks rpm's code closely enough (the `^` rules came in rpm
//! 4.15). rpm never rejects a version, so neither do we: any string orders.

use std::cmp::Ordering;

use super::cmp_digits;

/// `rpmvercmp`: segment-wise comparison of one version or release string.
pub(crate) fn rpmvercmp(a: &[u8], b: &[u8]) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let sep = |c: u8| !c.is_ascii_alphanumeric() && c != b'~' && c != b'^';
    let (mut one, mut two) = (a, b);
    loop {
        while one.first().is_some_and(|&c| sep(c)) {
            one = &one[1..];
        }
        while two.first().is_some_and(|&c| sep(c)) {
            two = &two[1..];
        }
        if one.is_empty() && two.is_empty() {
            break;
        }
        // Tilde sorts before everything, even the end of the string.
        if one.first() == Some(&b'~') || two.first() == Some(&b'~') {
            if one.first() != Some(&b'~') {
                return Ordering::Greater;
            }
            if two.first() != Some(&b'~') {
                return Ordering::Less;
            }
            one = &one[1..];
            two = &two[1..];
            continue;
        }
        // Caret sorts like tilde, except that the end of the string sorts before it.
        if one.first() == Some(&b'^') || two.first() == Some(&b'^') {
            if one.is_empty() {
                return Ordering::Less;
            }
            if two.is_empty() {
                return Ordering::Greater;
            }
            if one.first() != Some(&b'^') {
                return Ordering::Greater;
            }
            if two.first() != Some(&b'^') {
                return Ordering::Less;
            }
            one = &one[1..];
            two = &two[1..];
            continue;
        }
        if one.is_empty() || two.is_empty() {
            break;
        }
        let is_num = one[0].is_ascii_digit();
        let class = |c: &u8| {
            if is_num {
                c.is_ascii_digit()
            } else {
                c.is_ascii_alphabetic()
            }
        };
        let n1 = one.iter().take_while(|c| class(c)).count();
        let n2 = two.iter().take_while(|c| class(c)).count();
        // Segments of different types: numeric is newer than alpha.
        if n2 == 0 {
            return if is_num {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let (seg1, seg2) = (&one[..n1], &two[..n2]);
        let ord = if is_num {
            cmp_digits(seg1, seg2)
        } else {
            seg1.cmp(seg2)
        };
        if ord != Ordering::Equal {
            return ord;
        }
        one = &one[n1..];
        two = &two[n2..];
    }
    match (one.is_empty(), two.is_empty()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        _ => Ordering::Greater,
    }
}

/// `[epoch:]version[-release]` as `parseEVR` splits it.
fn parse_evr(s: &str) -> (Option<&[u8]>, &[u8], Option<&[u8]>) {
    let s = s.as_bytes();
    let digits = s.iter().take_while(|c| c.is_ascii_digit()).count();
    let (epoch, rest) = if s.get(digits) == Some(&b':') {
        let epoch: &[u8] = if digits == 0 { b"0" } else { &s[..digits] };
        (Some(epoch), &s[digits + 1..])
    } else {
        (None, s)
    };
    // parseEVR looks for the last '-' after the epoch digits.
    match rest.iter().rposition(|&c| c == b'-') {
        Some(i) => (epoch, &rest[..i], Some(&rest[i + 1..])),
        None => (epoch, rest, None),
    }
}

/// Orders two EVR strings like `rpmverCmp`: epoch (missing is 0), version, and the release
/// only when both sides have one.
pub(super) fn compare(a: &str, b: &str) -> Ordering {
    let (e1, v1, r1) = parse_evr(a);
    let (e2, v2, r2) = parse_evr(b);
    let zero: &[u8] = b"0";
    rpmvercmp(e1.unwrap_or(zero), e2.unwrap_or(zero))
        .then_with(|| rpmvercmp(v1, v2))
        .then_with(|| match (r1, r2) {
            (Some(r1), Some(r2)) => rpmvercmp(r1, r2),
            _ => Ordering::Equal,
        })
}
