//! Composer version ordering (Packagist).
//!
//! Composer sorts versions (`Semver::sort`) by normalising them with
//! `VersionParser::normalize` (and `normalizeDefaultBranch`), then comparing with PHP's
//! `version_compare`. Both are ported here by hand: `normalize` from composer/semver's
//! `src/VersionParser.php` (same regular expressions, PCRE's possessive quantifiers written as
//! plain ones, which match the same anchored strings), and `version_compare` from php-src's
//! `ext/standard/versioning.c` (PHP 8). No Rust crate implements either. A version
//! `normalize` rejects ("Invalid version string") is an error. Two different `dev-` branches
//! have no order in Composer (`Constraint::versionCompare` answers false both ways); we order
//! them by name so that the ordering stays total.

use std::cmp::Ordering;
use std::sync::LazyLock;

use regex::Regex;

use super::{Scheme, VersionError};

const MODIFIER: &str =
    r"[._-]?(?:(stable|beta|b|RC|alpha|a|patch|pl|p)((?:[.-]?\d+)*)?)?([.-]?dev)?";

fn re(pattern: &str) -> Regex {
    // The patterns are constants checked by the tests; an invalid one would be a bug here,
    // so fall back to a never-matching regex rather than panic.
    Regex::new(pattern)
        .unwrap_or_else(|_| Regex::new(r"[^\s\S]").unwrap_or_else(|_| unreachable!()))
}

static ALIAS: LazyLock<Regex> = LazyLock::new(|| re(r"^([^,\s]+) +as +([^,\s]+)$"));
static STABILITY_FLAG: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)@(?:stable|RC|beta|alpha|dev)$"));
static BUILD: LazyLock<Regex> = LazyLock::new(|| re(r"^([^,\s+]+)\+\S+$"));
static CLASSICAL: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"(?i)^v?(\d{{1,5}})(\.\d+)?(\.\d+)?(\.\d+)?{MODIFIER}$"
    ))
});
static DATETIME: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"(?i)^v?(\d{{4}}(?:[.:-]?\d{{2}}){{1,6}}(?:[.:-]?\d{{1,3}})?){MODIFIER}$"
    ))
});
static DEV_SUFFIX: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)^(.*?)[.-]?dev$"));
static BRANCH: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)^v?(\d+)(\.(?:\d+|[xX*]))?(\.(?:\d+|[xX*]))?(\.(?:\d+|[xX*]))?$"));

/// `expandStability`.
fn expand_stability(s: &str) -> String {
    let lower = s.to_ascii_lowercase();
    match lower.as_str() {
        "a" => "alpha".to_owned(),
        "b" => "beta".to_owned(),
        "p" | "pl" => "patch".to_owned(),
        "rc" => "RC".to_owned(),
        _ => lower,
    }
}

/// PHP's `trim`: " \t\n\r\0\x0B".
fn php_trim(s: &str) -> &str {
    s.trim_matches([' ', '\t', '\n', '\r', '\0', '\x0B'])
}

/// `normalizeBranch`.
fn normalize_branch(name: &str) -> String {
    let name = php_trim(name);
    if let Some(m) = BRANCH.captures(name) {
        let mut version = String::new();
        for i in 1..5 {
            match m.get(i) {
                Some(g) => version.push_str(&g.as_str().replace(['*', 'X'], "x")),
                None => version.push_str(".x"),
            }
        }
        return format!("{}-dev", version.replace('x', "9999999"));
    }
    format!("dev-{name}")
}

/// PHP's `!empty($match)` on an optional group: set, and neither `""` nor `"0"`.
fn nonempty(g: Option<regex::Match<'_>>) -> Option<&str> {
    g.map(|g| g.as_str()).filter(|s| !s.is_empty() && *s != "0")
}

/// `VersionParser::normalize`.
fn normalize(input: &str) -> Result<String, VersionError> {
    let mut version = php_trim(input).to_owned();
    if let Some(m) = ALIAS.captures(&version) {
        version = m[1].to_owned();
    }
    if let Some(m) = STABILITY_FLAG.find(&version) {
        version.truncate(m.start());
    }
    if matches!(version.as_str(), "master" | "trunk" | "default") {
        version = format!("dev-{version}");
    }
    if version.len() >= 4 && version.as_bytes()[..4].eq_ignore_ascii_case(b"dev-") {
        return Ok(format!("dev-{}", &version[4..]));
    }
    if let Some(m) = BUILD.captures(&version) {
        version = m[1].to_owned();
    }
    let matched = if let Some(m) = CLASSICAL.captures(&version) {
        let part = |i: usize, default: &str| {
            m.get(i)
                .map(|g| g.as_str())
                .filter(|s| !s.is_empty())
                .unwrap_or(default)
                .to_owned()
        };
        let v = format!(
            "{}{}{}{}",
            &m[1],
            part(2, ".0"),
            part(3, ".0"),
            part(4, ".0")
        );
        Some((v, m.get(5), m.get(6), m.get(7)))
    } else if let Some(m) = DATETIME.captures(&version) {
        let v: String = m[1]
            .chars()
            .map(|c| if c.is_ascii_digit() { c } else { '.' })
            .collect();
        Some((v, m.get(2), m.get(3), m.get(4)))
    } else {
        None
    };
    if let Some((mut v, stability, number, dev)) = matched {
        if let Some(stability) = nonempty(stability) {
            if stability == "stable" {
                return Ok(v);
            }
            v.push('-');
            v.push_str(&expand_stability(stability));
            if let Some(n) = number.map(|g| g.as_str()).filter(|s| !s.is_empty()) {
                v.push_str(n.trim_start_matches(['.', '-']));
            }
        }
        if nonempty(dev).is_some() {
            v.push_str("-dev");
        }
        return Ok(v);
    }
    if let Some(m) = DEV_SUFFIX.captures(&version) {
        let normalized = normalize_branch(&m[1]);
        if !normalized.contains("dev-") {
            return Ok(normalized);
        }
    }
    Err(VersionError::invalid(
        Scheme::Composer,
        input,
        "invalid version string",
    ))
}

/// `php_canonicalize_version`: `-`, `_`, `+` and other non-alphanumerics become `.`, and a
/// `.` goes between a digit and a non-digit.
fn canonicalize(v: &[u8]) -> Vec<u8> {
    let Some((&first, rest)) = v.split_first() else {
        return Vec::new();
    };
    let isdig = |c: u8| c.is_ascii_digit();
    let isndig = |c: u8| !c.is_ascii_digit() && c != b'.';
    let mut q = vec![first];
    let mut lp = first;
    for &c in rest {
        let lq = q.last().copied().unwrap_or(0);
        if matches!(c, b'-' | b'_' | b'+') {
            if lq != b'.' {
                q.push(b'.');
            }
        } else if (isndig(lp) && isdig(c)) || (isdig(lp) && isndig(c)) {
            if lq != b'.' {
                q.push(b'.');
            }
            q.push(c);
        } else if !c.is_ascii_alphanumeric() {
            if lq != b'.' {
                q.push(b'.');
            }
        } else {
            q.push(c);
        }
        lp = c;
    }
    q
}

/// `compare_special_version_forms`: prefix match against PHP's list.
fn special_form(form: &[u8]) -> i32 {
    const FORMS: [(&[u8], i32); 10] = [
        (b"dev", 0),
        (b"alpha", 1),
        (b"a", 1),
        (b"beta", 2),
        (b"b", 2),
        (b"RC", 3),
        (b"rc", 3),
        (b"#", 4),
        (b"pl", 5),
        (b"p", 5),
    ];
    FORMS
        .iter()
        .find(|(name, _)| form.starts_with(name))
        .map_or(-1, |(_, order)| *order)
}

/// `strtol(p, NULL, 10)` on a digit-led element, saturating like glibc.
fn strtol(p: &[u8]) -> i64 {
    let mut v: i64 = 0;
    for &c in p.iter().take_while(|c| c.is_ascii_digit()) {
        v = v.saturating_mul(10).saturating_add(i64::from(c - b'0'));
    }
    v
}

const NUMBER_FORM: &[u8] = b"#N#";

/// `php_version_compare`.
fn php_version_compare(v1: &[u8], v2: &[u8]) -> Ordering {
    if v1.is_empty() || v2.is_empty() {
        return (!v1.is_empty()).cmp(&!v2.is_empty());
    }
    let c1 = if v1[0] == b'#' {
        v1.to_vec()
    } else {
        canonicalize(v1)
    };
    let c2 = if v2[0] == b'#' {
        v2.to_vec()
    } else {
        canonicalize(v2)
    };
    let mut p1: &[u8] = &c1;
    let mut p2: &[u8] = &c2;
    // n1/n2: whether the element just read was followed by a '.'.
    let (mut n1, mut n2) = (true, true);
    let mut compare = Ordering::Equal;
    while !p1.is_empty() && !p2.is_empty() && n1 && n2 {
        let e1_end = p1.iter().position(|&c| c == b'.');
        let e2_end = p2.iter().position(|&c| c == b'.');
        n1 = e1_end.is_some();
        n2 = e2_end.is_some();
        let e1 = &p1[..e1_end.unwrap_or(p1.len())];
        let e2 = &p2[..e2_end.unwrap_or(p2.len())];
        let d1 = e1.first().is_some_and(u8::is_ascii_digit);
        let d2 = e2.first().is_some_and(u8::is_ascii_digit);
        compare = match (d1, d2) {
            (true, true) => strtol(e1).cmp(&strtol(e2)),
            (false, false) => special_form(e1).cmp(&special_form(e2)),
            (true, false) => special_form(NUMBER_FORM).cmp(&special_form(e2)),
            (false, true) => special_form(e1).cmp(&special_form(NUMBER_FORM)),
        };
        if compare != Ordering::Equal {
            break;
        }
        if let Some(i) = e1_end {
            p1 = &p1[i + 1..];
        }
        if let Some(i) = e2_end {
            p2 = &p2[i + 1..];
        }
    }
    if compare == Ordering::Equal {
        if n1 {
            compare = if p1.first().is_some_and(u8::is_ascii_digit) {
                Ordering::Greater
            } else {
                php_version_compare(p1, NUMBER_FORM)
            };
        } else if n2 {
            compare = if p2.first().is_some_and(u8::is_ascii_digit) {
                Ordering::Less
            } else {
                php_version_compare(NUMBER_FORM, p2)
            };
        }
    }
    compare
}

/// `normalize` then `normalizeDefaultBranch`.
fn sortable(v: &str) -> Result<String, VersionError> {
    let n = normalize(v)?;
    Ok(match n.as_str() {
        "dev-master" | "dev-default" | "dev-trunk" => "9999999-dev".to_owned(),
        _ => n,
    })
}

/// Orders two Composer versions as `Semver::sort` does.
pub(super) fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let (a, b) = (sortable(a)?, sortable(b)?);
    if a == b {
        return Ok(Ordering::Equal);
    }
    if a.starts_with("dev-") && b.starts_with("dev-") {
        return Ok(a.cmp(&b));
    }
    Ok(php_version_compare(a.as_bytes(), b.as_bytes()))
}
