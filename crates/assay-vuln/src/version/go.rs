//! Go module version ordering.
//!
//! Hand port of `golang.org/x/mod/semver` (`parse`, `Compare`): Go's rules are SemVer 2.0
//! plus the `v` prefix and the `vMAJOR`/`vMAJOR.MINOR` shorthands, and are small enough to
//! port exactly. `+incompatible` is build metadata and so ignored, as Go ignores it;
//! pseudo-versions (`v0.0.0-20191109021931-daa7c04131f5`) are pre-releases and order by their
//! timestamp like any other pre-release. OSV's Go records omit the `v`, so it is optional here.
//! Where `semver.Compare` sorts an invalid version below every valid one, we return an error.

use std::cmp::Ordering;

use super::{Scheme, VersionError, cmp_digits};

struct Parsed<'a> {
    major: &'a [u8],
    minor: &'a [u8],
    patch: &'a [u8],
    prerelease: &'a [u8],
}

fn parse_int(v: &[u8]) -> Option<(&[u8], &[u8])> {
    let n = v.iter().take_while(|c| c.is_ascii_digit()).count();
    if n == 0 || (v[0] == b'0' && n != 1) {
        return None;
    }
    Some((&v[..n], &v[n..]))
}

fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-'
}

fn is_bad_num(ident: &[u8]) -> bool {
    ident.iter().all(u8::is_ascii_digit) && ident.len() > 1 && ident[0] == b'0'
}

/// `parsePrerelease` / `parseBuild`: `-`/`+` then dot-separated non-empty identifiers.
fn parse_idents(v: &[u8], numbers_checked: bool) -> Option<(&[u8], &[u8])> {
    let end = v[1..]
        .iter()
        .position(|&c| c == b'+' && numbers_checked)
        .map_or(v.len(), |i| i + 1);
    let body = &v[1..end];
    for ident in body.split(|&c| c == b'.') {
        if ident.is_empty() || !ident.iter().all(|&c| is_ident_char(c)) {
            return None;
        }
        if numbers_checked && is_bad_num(ident) {
            return None;
        }
    }
    Some((&v[..end], &v[end..]))
}

fn parse(input: &str) -> Result<Parsed<'_>, VersionError> {
    let err = || VersionError::invalid(Scheme::Go, input, "not a Go module (semantic) version");
    let v = input.as_bytes();
    let v = v.strip_prefix(b"v").unwrap_or(v);
    let (major, v) = parse_int(v).ok_or_else(err)?;
    let mut p = Parsed {
        major,
        minor: b"0",
        patch: b"0",
        prerelease: b"",
    };
    if v.is_empty() {
        return Ok(p);
    }
    let v = v.strip_prefix(b".").ok_or_else(err)?;
    let (minor, v) = parse_int(v).ok_or_else(err)?;
    p.minor = minor;
    if v.is_empty() {
        return Ok(p);
    }
    let v = v.strip_prefix(b".").ok_or_else(err)?;
    let (patch, mut v) = parse_int(v).ok_or_else(err)?;
    p.patch = patch;
    if v.first() == Some(&b'-') {
        let (pre, rest) = parse_idents(v, true).ok_or_else(err)?;
        p.prerelease = pre;
        v = rest;
    }
    if v.first() == Some(&b'+') {
        let (_, rest) = parse_idents(v, false).ok_or_else(err)?;
        v = rest;
    }
    if !v.is_empty() {
        return Err(err());
    }
    Ok(p)
}

/// `comparePrerelease`: no pre-release sorts after any; numeric identifiers before others.
fn compare_prerelease(x: &[u8], y: &[u8]) -> Ordering {
    match (x.is_empty(), y.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        _ => {}
    }
    let mut xs = x[1..].split(|&c| c == b'.');
    let mut ys = y[1..].split(|&c| c == b'.');
    loop {
        match (xs.next(), ys.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(dx), Some(dy)) => {
                let nx = dx.iter().all(u8::is_ascii_digit);
                let ny = dy.iter().all(u8::is_ascii_digit);
                let ord = match (nx, ny) {
                    (true, true) => cmp_digits(dx, dy),
                    (true, false) => Ordering::Less,
                    (false, true) => Ordering::Greater,
                    (false, false) => dx.cmp(dy),
                };
                if ord != Ordering::Equal {
                    return ord;
                }
            }
        }
    }
}

/// Orders two Go module versions.
pub(super) fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let (a, b) = (parse(a)?, parse(b)?);
    Ok(cmp_digits(a.major, b.major)
        .then_with(|| cmp_digits(a.minor, b.minor))
        .then_with(|| cmp_digits(a.patch, b.patch))
        .then_with(|| compare_prerelease(a.prerelease, b.prerelease)))
}
