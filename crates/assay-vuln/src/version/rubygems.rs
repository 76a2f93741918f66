//! RubyGems version ordering.
//!
//! Hand port of `Gem::Version` (`lib/rubygems/version.rb`): `correct?`'s pattern,
//! `-` read as `.pre.`, segments split into numbers and letters, trailing zeros dropped from
//! the release and pre-release parts (`canonical_segments`), then `<=>`. No Rust crate ports
//! it. A string `Gem::Version.new` refuses ("Malformed version number string") is an error;
//! an empty or blank string is version `0`, as in RubyGems.

use std::cmp::Ordering;

use super::{Scheme, VersionError, cmp_digits};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment<'a> {
    Number(&'a str),
    Letters(&'a str),
}

/// `ANCHORED_VERSION_PATTERN`:
/// `\A\s*([0-9]+(?>\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?)?\s*\z`.
fn is_correct(v: &str) -> bool {
    let v = v.trim_matches(|c: char| c.is_ascii_whitespace());
    if v.is_empty() {
        return true;
    }
    let (main, pre) = match v.split_once('-') {
        Some((m, p)) => (m, Some(p)),
        None => (v, None),
    };
    let mut parts = main.split('.');
    let first_ok = parts
        .next()
        .is_some_and(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()));
    let rest_ok = parts.all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_alphanumeric()));
    let pre_ok = pre.is_none_or(|p| {
        p.split('.')
            .all(|s| !s.is_empty() && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-'))
    });
    first_ok && rest_ok && pre_ok
}

/// `_segments`: runs of digits and of letters, everything else a separator.
fn segments(v: &str) -> Vec<Segment<'_>> {
    let b = v.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        if b[i].is_ascii_digit() {
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            out.push(Segment::Number(&v[start..i]));
        } else if b[i].is_ascii_alphabetic() {
            while i < b.len() && b[i].is_ascii_alphabetic() {
                i += 1;
            }
            out.push(Segment::Letters(&v[start..i]));
        } else {
            i += 1;
        }
    }
    out
}

fn is_zero(s: &Segment<'_>) -> bool {
    matches!(s, Segment::Number(n) if n.bytes().all(|c| c == b'0'))
}

fn trim_zeros<'a>(part: &[Segment<'a>]) -> Vec<Segment<'a>> {
    let keep = part.iter().rposition(|s| !is_zero(s)).map_or(0, |i| i + 1);
    part[..keep].to_vec()
}

/// `canonical_segments`: trailing zeros dropped from the numeric part and from the rest.
fn canonical(v: &str) -> Vec<Segment<'_>> {
    let segs = segments(v);
    let split = segs
        .iter()
        .position(|s| matches!(s, Segment::Letters(_)))
        .unwrap_or(segs.len());
    let (numeric, rest) = segs.split_at(split);
    let mut out = trim_zeros(numeric);
    out.extend(trim_zeros(rest));
    out
}

fn parse(v: &str) -> Result<String, VersionError> {
    if !is_correct(v) {
        return Err(VersionError::invalid(
            Scheme::RubyGems,
            v,
            "malformed version number string",
        ));
    }
    let v = v.trim_matches(|c: char| c.is_ascii_whitespace());
    Ok(if v.is_empty() {
        "0".to_owned()
    } else {
        v.replace('-', ".pre.")
    })
}

/// `Gem::Version#<=>`.
pub(super) fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let (a, b) = (parse(a)?, parse(b)?);
    if a == b {
        return Ok(Ordering::Equal);
    }
    let (l, r) = (canonical(&a), canonical(&b));
    let zero = Segment::Number("0");
    for i in 0..l.len().max(r.len()) {
        let x = l.get(i).unwrap_or(&zero);
        let y = r.get(i).unwrap_or(&zero);
        let ord = match (x, y) {
            (Segment::Number(x), Segment::Number(y)) => cmp_digits(x.as_bytes(), y.as_bytes()),
            (Segment::Letters(_), Segment::Number(_)) => Ordering::Less,
            (Segment::Number(_), Segment::Letters(_)) => Ordering::Greater,
            (Segment::Letters(x), Segment::Letters(y)) => x.cmp(y),
        };
        if ord != Ordering::Equal {
            return Ok(ord);
        }
    }
    Ok(Ordering::Equal)
}
