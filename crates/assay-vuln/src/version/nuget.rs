//! NuGet version ordering.
//!
//! Hand port of NuGet.Versioning's `NuGetVersion.TryParse` (sections split as
//! `SemanticVersionFactory.ParseSections`, numbers as `System.Version.TryParse`, labels and
//! metadata validated as SemVer 2.0 identifiers) and `VersionComparer.Default`: four numeric
//! parts (a missing one is 0), then release labels (a release sorts after a pre-release,
//! numeric labels before alphanumeric ones, alphanumeric ones case-insensitively), metadata
//! ignored. No Rust crate ports NuGet.Versioning. Unparsable versions are errors.

use std::cmp::Ordering;

use super::{Scheme, VersionError};

struct NuGetVersion<'a> {
    parts: [i32; 4],
    labels: Vec<&'a str>,
}

/// `Int32.TryParse` with `NumberStyles.Integer`: blanks around, an optional sign, digits.
fn parse_int32(s: &str) -> Option<i32> {
    let t = s.trim_matches(|c: char| c.is_whitespace());
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let mut value: i64 = 0;
    for c in digits.bytes() {
        value = value * 10 + i64::from(c - b'0');
        if value > i64::from(i32::MAX) + 1 {
            return None;
        }
    }
    i32::try_from(if neg { -value } else { value }).ok()
}

/// `IsValidPart`: a non-empty `[0-9A-Za-z-]+`, numeric ones without leading zeros unless
/// allowed (build metadata allows them).
fn is_valid_part(s: &str, allow_leading_zeros: bool) -> bool {
    !s.is_empty()
        && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
        && (allow_leading_zeros
            || !(s.len() > 1 && s.starts_with('0') && s.bytes().all(|c| c.is_ascii_digit())))
}

fn parse(input: &str) -> Result<NuGetVersion<'_>, VersionError> {
    let err = || VersionError::invalid(Scheme::NuGet, input, "not a valid NuGet version");
    let value = input.trim_matches(|c: char| c.is_whitespace());
    // ParseSections: the version runs to the first '-' or '+' (a trailing one stays in it,
    // which then fails to parse); labels to the next '+'.
    let (version, rest) = match value.find(['-', '+']) {
        Some(i) if i + 1 < value.len() => (&value[..i], &value[i..]),
        _ => (value, ""),
    };
    let (labels, metadata) = if let Some(r) = rest.strip_prefix('+') {
        (None, Some(r))
    } else if let Some(r) = rest.strip_prefix('-') {
        match r.find('+') {
            Some(j) if j + 1 < r.len() => (Some(&r[..j]), Some(&r[j + 1..])),
            _ => (Some(r), None),
        }
    } else {
        (None, None)
    };
    if version.is_empty() {
        return Err(err());
    }
    // System.Version: two to four components, each a non-negative Int32.
    let comps: Vec<&str> = version.split('.').collect();
    if comps.len() > 4 {
        return Err(err());
    }
    let mut parts = [0; 4];
    for (slot, c) in parts.iter_mut().zip(&comps) {
        // Digits only: NuGet's SemVer201SpecTests reject blanks inside ("1.2. 3") although
        // Int32.TryParse alone would skip them.
        if !c.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        *slot = parse_int32(c).filter(|n| *n >= 0).ok_or_else(err)?;
    }
    let labels: Vec<&str> = labels.map(|l| l.split('.').collect()).unwrap_or_default();
    if !labels.iter().all(|l| is_valid_part(l, false)) {
        return Err(err());
    }
    if let Some(m) = metadata
        && !m.split('.').all(|p| is_valid_part(p, true))
    {
        return Err(err());
    }
    Ok(NuGetVersion { parts, labels })
}

/// `CompareRelease`: Int32 labels numerically and before others, others case-insensitively.
fn compare_label(a: &str, b: &str) -> Ordering {
    match (parse_int32(a), parse_int32(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a
            .bytes()
            .map(|c| c.to_ascii_uppercase())
            .cmp(b.bytes().map(|c| c.to_ascii_uppercase())),
    }
}

/// `VersionComparer.Default.Compare`.
pub(super) fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let (a, b) = (parse(a)?, parse(b)?);
    let ord = a.parts.cmp(&b.parts);
    if ord != Ordering::Equal {
        return Ok(ord);
    }
    Ok(match (a.labels.is_empty(), b.labels.is_empty()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => {
            for (x, y) in a.labels.iter().zip(&b.labels) {
                let ord = compare_label(x, y);
                if ord != Ordering::Equal {
                    return Ok(ord);
                }
            }
            a.labels.len().cmp(&b.labels.len())
        }
    })
}
