//! dpkg version ordering (Debian, Ubuntu).
//!
//! Hand port of dpkg 1.21's `lib/dpkg/parsehelp.c` `parseversion` and `lib/dpkg/version.c`
//! `verrevcmp`/`dpkg_version_compare`: no maintained crate follows dpkg's parser exactly
//! (its errors and its warnings), and the comparison is thirty lines. `parseversion` fails on
//! both its hard errors and its warnings (upstream not starting with a digit, invalid
//! characters); `dpkg --compare-versions` only downgrades the latter to a warning, but a version
//! that fails `parseversion` cannot be in the archive, so we reject it rather than guess.

use std::cmp::Ordering;

use super::{Scheme, VersionError};

/// A parsed `[epoch:]upstream[-revision]`.
struct DebVersion<'a> {
    epoch: u32,
    upstream: &'a [u8],
    revision: &'a [u8],
}

fn is_blank(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

fn parse(input: &str) -> Result<DebVersion<'_>, VersionError> {
    let err = |reason: &str| VersionError::invalid(Scheme::Deb, input, reason);
    let s = input.as_bytes();
    if s.is_empty() {
        return Err(err("version string is empty"));
    }
    let start = s.iter().position(|&c| !is_blank(c)).unwrap_or(s.len());
    let s = &s[start..];
    if s.is_empty() {
        return Err(err("version string is empty"));
    }
    let end = s.iter().position(|&c| is_blank(c)).unwrap_or(s.len());
    if s[end..].iter().any(|&c| !is_blank(c)) {
        return Err(err("version string has embedded spaces"));
    }
    let mut s = &s[..end];

    let mut epoch = 0;
    if let Some(colon) = s.iter().position(|&c| c == b':') {
        epoch = parse_epoch(&s[..colon]).map_err(err)?;
        s = &s[colon + 1..];
        if s.is_empty() {
            return Err(err("nothing after colon in version number"));
        }
    }
    let (upstream, revision) = match s.iter().rposition(|&c| c == b'-') {
        Some(hyphen) => {
            let revision = &s[hyphen + 1..];
            if revision.is_empty() {
                return Err(err("revision number is empty"));
            }
            (&s[..hyphen], revision)
        }
        None => (s, &s[s.len()..]),
    };
    let Some((&first, rest)) = upstream.split_first() else {
        return Err(err("version number is empty"));
    };
    if !first.is_ascii_digit() {
        return Err(err("version number does not start with digit"));
    }
    if rest
        .iter()
        .any(|&c| !c.is_ascii_alphanumeric() && !b".-+~:".contains(&c))
    {
        return Err(err("invalid character in version number"));
    }
    if revision
        .iter()
        .any(|&c| !c.is_ascii_alphanumeric() && !b".+~".contains(&c))
    {
        return Err(err("invalid character in revision number"));
    }
    Ok(DebVersion {
        epoch,
        upstream,
        revision,
    })
}

/// The epoch as dpkg reads it: `strtol` (optional sign, digits), then range checks.
fn parse_epoch(s: &[u8]) -> Result<u32, &'static str> {
    let (negative, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, s),
    };
    let n = digits.iter().take_while(|c| c.is_ascii_digit()).count();
    if n == 0 {
        return Err("epoch in version is empty");
    }
    if n != digits.len() {
        return Err("epoch in version is not number");
    }
    let mut value: u64 = 0;
    for &c in digits {
        value = value.saturating_mul(10).saturating_add(u64::from(c - b'0'));
    }
    if negative && value != 0 {
        return Err("epoch in version is negative");
    }
    u32::try_from(value)
        .ok()
        .filter(|&v| v <= i32::MAX as u32)
        .ok_or("epoch in version is too big")
}

/// dpkg's character weight: `~` below the end of the string, letters below other symbols.
fn order(c: u8) -> i32 {
    if c.is_ascii_digit() {
        0
    } else if c.is_ascii_alphabetic() {
        i32::from(c)
    } else if c == b'~' {
        -1
    } else if c != 0 {
        i32::from(c) + 256
    } else {
        0
    }
}

/// `verrevcmp`: alternating non-digit and digit runs, compared by [`order`] and by value.
fn verrevcmp(a: &[u8], b: &[u8]) -> Ordering {
    let at = |i: usize| a.get(i).copied().unwrap_or(0);
    let bt = |j: usize| b.get(j).copied().unwrap_or(0);
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        while (i < a.len() && !at(i).is_ascii_digit()) || (j < b.len() && !bt(j).is_ascii_digit()) {
            let (ac, bc) = (order(at(i)), order(bt(j)));
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        while at(i) == b'0' {
            i += 1;
        }
        while bt(j) == b'0' {
            j += 1;
        }
        let mut first_diff = Ordering::Equal;
        while at(i).is_ascii_digit() && bt(j).is_ascii_digit() {
            if first_diff == Ordering::Equal {
                first_diff = at(i).cmp(&bt(j));
            }
            i += 1;
            j += 1;
        }
        if at(i).is_ascii_digit() {
            return Ordering::Greater;
        }
        if bt(j).is_ascii_digit() {
            return Ordering::Less;
        }
        if first_diff != Ordering::Equal {
            return first_diff;
        }
    }
    Ordering::Equal
}

/// Orders two dpkg versions: epoch, then upstream, then revision.
pub(super) fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let (a, b) = (parse(a)?, parse(b)?);
    Ok(a.epoch
        .cmp(&b.epoch)
        .then_with(|| verrevcmp(a.upstream, b.upstream))
        .then_with(|| verrevcmp(a.revision, b.revision)))
}
