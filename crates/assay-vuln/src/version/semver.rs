//! SemVer 2.0 precedence, npm ranges and Cargo requirements.
//!
//! Precedence and Cargo requirements come from the `semver` crate: it is dtolnay's
//! implementation used by Cargo itself, so its `VersionReq::matches` *is* Cargo's semantics
//! (including its pre-release rule). npm ranges are written here, as a port of node-semver's
//! `Range` (`classes/range.js`: hyphen, X-, tilde and caret desugaring, and `testSet`'s
//! pre-release rule) in its default mode (not `loose`, not `includePrerelease`): the Rust
//! crates that implement npm ranges (`node-semver`, `nodejs-semver`) are thinly maintained and
//! diverge from node-semver on desugaring edge cases, while the desugaring is short and fully
//! specified by node-semver's tests.

use std::cmp::Ordering;

use semver::{BuildMetadata, Prerelease, Version, VersionReq};

use super::{Scheme, VersionError, clip};

fn parse(s: &str) -> Result<Version, VersionError> {
    Version::parse(s).map_err(|e| VersionError::invalid(Scheme::Semver, s, e.to_string()))
}

/// Orders two SemVer 2.0 versions by precedence: build metadata is ignored, a pre-release
/// sorts before its release, identifiers compare numerically or in ASCII order. Strict:
/// `v1.2.3`, `1.2` and leading zeros are errors, as OSV's `SEMVER` type requires.
pub(super) fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(parse(a)?.cmp_precedence(&parse(b)?))
}

/// Whether `version` satisfies the Cargo requirement `req` (`^1.2`, `~1.2.3`, `=1.0.0`, `*`,
/// `>=1.2, <1.5`), with Cargo's rule that a pre-release matches only a comparator naming the
/// same `major.minor.patch` with a pre-release.
///
/// # Errors
/// [`VersionError::InvalidRange`] for a bad requirement, [`VersionError::Invalid`] for a bad
/// version.
pub fn cargo_matches(req: &str, version: &str) -> Result<bool, VersionError> {
    let req = VersionReq::parse(req).map_err(|e| VersionError::InvalidRange {
        syntax: "Cargo",
        range: clip(req),
        reason: e.to_string(),
    })?;
    Ok(req.matches(&parse(version)?))
}

/// Whether `version` satisfies the npm range `range`, as node-semver's
/// `satisfies(version, range)` decides.
///
/// # Errors
/// [`VersionError::InvalidRange`] for a range node-semver rejects; [`VersionError::Invalid`]
/// for a version it cannot parse (where `satisfies` would just answer `false`).
pub fn npm_satisfies(range: &str, version: &str) -> Result<bool, VersionError> {
    let range = NpmRange::parse(range)?;
    Ok(range.matches(&parse_npm_version(version)?))
}

/// A version as node-semver's strict parser reads it: trimmed, optional leading `v`.
fn parse_npm_version(s: &str) -> Result<Version, VersionError> {
    let t = s.trim();
    let t = t.strip_prefix('v').unwrap_or(t);
    Version::parse(t).map_err(|e| VersionError::invalid(Scheme::Semver, s, e.to_string()))
}

/// A parsed npm range: a union (`||`) of intersections of comparators.
#[derive(Debug, Clone)]
pub struct NpmRange {
    sets: Vec<Vec<Comparator>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
}

/// One comparator; `version: None` is node-semver's `ANY` (matches everything).
#[derive(Debug, Clone)]
struct Comparator {
    op: Op,
    version: Option<Version>,
}

impl Comparator {
    fn any() -> Self {
        Comparator {
            op: Op::Ge,
            version: None,
        }
    }

    fn new(op: Op, version: Version) -> Self {
        Comparator {
            op,
            version: Some(version),
        }
    }

    fn test(&self, v: &Version) -> bool {
        let Some(c) = &self.version else {
            return true;
        };
        let ord = v.cmp_precedence(c);
        match self.op {
            Op::Lt => ord == Ordering::Less,
            Op::Le => ord != Ordering::Greater,
            Op::Gt => ord == Ordering::Greater,
            Op::Ge => ord != Ordering::Less,
            Op::Eq => ord == Ordering::Equal,
        }
    }
}

/// One partial version from a range: `1`, `1.x`, `1.2.*`, `1.2.3-beta.1+build`.
struct Partial {
    major: Option<u64>,
    minor: Option<u64>,
    patch: Option<u64>,
    pre: Prerelease,
}

fn ver(major: u64, minor: u64, patch: u64) -> Version {
    Version::new(major, minor, patch)
}

/// `M.m.p-0`: the lowest version of `M.m.p`, used for exclusive upper bounds.
fn ver0(major: u64, minor: u64, patch: u64) -> Version {
    Version {
        major,
        minor,
        patch,
        // "0" is a valid pre-release identifier.
        pre: Prerelease::new("0").unwrap_or(Prerelease::EMPTY),
        build: BuildMetadata::EMPTY,
    }
}

struct RangeParser<'a> {
    range: &'a str,
}

impl RangeParser<'_> {
    fn err(&self, reason: impl Into<String>) -> VersionError {
        VersionError::InvalidRange {
            syntax: "npm",
            range: clip(self.range),
            reason: reason.into(),
        }
    }

    fn inc(&self, n: u64) -> Result<u64, VersionError> {
        n.checked_add(1)
            .ok_or_else(|| self.err("version number too large"))
    }

    /// `XRANGEPLAIN`: `[v=\s]*` then up to three `0|[1-9]\d*|x|X|*` parts, pre-release and
    /// build only after three parts. A full version must pass node-semver's stricter
    /// `Comparator` regex, which allows only `v?` before it.
    fn partial(&self, s: &str) -> Result<Partial, VersionError> {
        let body = s.trim_start_matches(['v', '=']);
        let (main, pre, build) = split_pre_build(body);
        let parts: Vec<&str> = main.split('.').collect();
        if parts.len() > 3 || (parts.len() < 3 && (pre.is_some() || build.is_some())) {
            return Err(self.err(format!("invalid version {s:?}")));
        }
        let mut nums = [None; 3];
        let mut seen_x = false;
        for (slot, part) in nums.iter_mut().zip(&parts) {
            if matches!(*part, "x" | "X" | "*") {
                seen_x = true;
                continue;
            }
            let valid = !part.is_empty()
                && part.bytes().all(|c| c.is_ascii_digit())
                && (*part == "0" || !part.starts_with('0'));
            if !valid {
                return Err(self.err(format!("invalid version part {part:?}")));
            }
            if !seen_x {
                *slot = Some(
                    part.parse::<u64>()
                        .map_err(|_| self.err("version number too large"))?,
                );
            }
        }
        let complete = nums.iter().all(Option::is_some);
        if complete && (s.len() - body.len() > 1 || s.starts_with('=')) {
            // A full version goes through node-semver's `Comparator` regex: `v?` only.
            return Err(self.err(format!("invalid comparator {s:?}")));
        }
        let pre = match pre {
            Some(p) => Prerelease::new(p).map_err(|e| self.err(e.to_string()))?,
            None => Prerelease::EMPTY,
        };
        if let Some(b) = build {
            BuildMetadata::new(b).map_err(|e| self.err(e.to_string()))?;
        }
        Ok(Partial {
            major: nums[0],
            minor: nums[1],
            patch: nums[2],
            pre,
        })
    }

    /// One comparator word (operator glued to its version), desugared.
    fn comparator(&self, word: &str, out: &mut Vec<Comparator>) -> Result<(), VersionError> {
        let (op, rest) = split_op(word);
        if rest.is_empty() && matches!(op, "" | "=" | ">=" | "<=") && word != "=" {
            // "" is ANY.
            out.push(Comparator::any());
            return Ok(());
        }
        let p = self.partial(rest)?;
        match op {
            "~" | "~>" => self.tilde(&p, out),
            "^" => self.caret(&p, out),
            _ => self.xrange(op, p, out),
        }
    }

    fn tilde(&self, p: &Partial, out: &mut Vec<Comparator>) -> Result<(), VersionError> {
        let Some(major) = p.major else {
            out.push(Comparator::any());
            return Ok(());
        };
        let (lo, hi) = match (p.minor, p.patch) {
            (None, _) => (ver(major, 0, 0), ver0(self.inc(major)?, 0, 0)),
            (Some(minor), None) => (ver(major, minor, 0), ver0(major, self.inc(minor)?, 0)),
            (Some(minor), Some(patch)) => {
                let mut lo = ver(major, minor, patch);
                lo.pre = p.pre.clone();
                (lo, ver0(major, self.inc(minor)?, 0))
            }
        };
        out.push(Comparator::new(Op::Ge, lo));
        out.push(Comparator::new(Op::Lt, hi));
        Ok(())
    }

    fn caret(&self, p: &Partial, out: &mut Vec<Comparator>) -> Result<(), VersionError> {
        let Some(major) = p.major else {
            out.push(Comparator::any());
            return Ok(());
        };
        let (lo, hi) = match (p.minor, p.patch) {
            (None, _) => (ver(major, 0, 0), ver0(self.inc(major)?, 0, 0)),
            (Some(minor), None) if major == 0 => {
                (ver(major, minor, 0), ver0(major, self.inc(minor)?, 0))
            }
            (Some(minor), None) => (ver(major, minor, 0), ver0(self.inc(major)?, 0, 0)),
            (Some(minor), Some(patch)) => {
                let mut lo = ver(major, minor, patch);
                lo.pre = p.pre.clone();
                let hi = if major != 0 {
                    ver0(self.inc(major)?, 0, 0)
                } else if minor != 0 {
                    ver0(major, self.inc(minor)?, 0)
                } else {
                    ver0(major, minor, self.inc(patch)?)
                };
                (lo, hi)
            }
        };
        out.push(Comparator::new(Op::Ge, lo));
        out.push(Comparator::new(Op::Lt, hi));
        Ok(())
    }

    fn xrange(&self, op: &str, p: Partial, out: &mut Vec<Comparator>) -> Result<(), VersionError> {
        let op = match op {
            "<" => Op::Lt,
            "<=" => Op::Le,
            ">" => Op::Gt,
            ">=" => Op::Ge,
            "" | "=" => Op::Eq,
            other => return Err(self.err(format!("invalid operator {other:?}"))),
        };
        let Some(major) = p.major else {
            out.push(if matches!(op, Op::Lt | Op::Gt) {
                Comparator::new(Op::Lt, ver0(0, 0, 0))
            } else {
                Comparator::any()
            });
            return Ok(());
        };
        let Some(patch) = p.patch else {
            let minor = p.minor;
            match op {
                Op::Eq => {
                    let (lo, hi) = match minor {
                        None => (ver(major, 0, 0), ver0(self.inc(major)?, 0, 0)),
                        Some(m) => (ver(major, m, 0), ver0(major, self.inc(m)?, 0)),
                    };
                    out.push(Comparator::new(Op::Ge, lo));
                    out.push(Comparator::new(Op::Lt, hi));
                }
                Op::Gt => {
                    let lo = match minor {
                        None => ver(self.inc(major)?, 0, 0),
                        Some(m) => ver(major, self.inc(m)?, 0),
                    };
                    out.push(Comparator::new(Op::Ge, lo));
                }
                Op::Le => {
                    let hi = match minor {
                        None => ver0(self.inc(major)?, 0, 0),
                        Some(m) => ver0(major, self.inc(m)?, 0),
                    };
                    out.push(Comparator::new(Op::Lt, hi));
                }
                Op::Lt => {
                    out.push(Comparator::new(Op::Lt, ver0(major, minor.unwrap_or(0), 0)));
                }
                Op::Ge => {
                    out.push(Comparator::new(Op::Ge, ver(major, minor.unwrap_or(0), 0)));
                }
            }
            return Ok(());
        };
        let minor = p.minor.unwrap_or(0);
        let mut v = ver(major, minor, patch);
        v.pre = p.pre;
        out.push(Comparator::new(op, v));
        Ok(())
    }

    /// One `||` alternative.
    fn set(&self, s: &str) -> Result<Vec<Comparator>, VersionError> {
        let s = s.trim();
        let mut out = Vec::new();
        let words: Vec<&str> = s.split_whitespace().collect();
        // Hyphen range: exactly `A - B`.
        if let [from, "-", to] = words.as_slice() {
            let from = self.partial(from)?;
            let to = self.partial(to)?;
            match from.major {
                None => {}
                Some(major) => {
                    let mut lo = ver(major, from.minor.unwrap_or(0), from.patch.unwrap_or(0));
                    if from.patch.is_some() {
                        lo.pre = from.pre;
                    }
                    out.push(Comparator::new(Op::Ge, lo));
                }
            }
            match (to.major, to.minor, to.patch) {
                (None, _, _) => {}
                (Some(major), None, _) => {
                    out.push(Comparator::new(Op::Lt, ver0(self.inc(major)?, 0, 0)));
                }
                (Some(major), Some(minor), None) => {
                    out.push(Comparator::new(Op::Lt, ver0(major, self.inc(minor)?, 0)));
                }
                (Some(major), Some(minor), Some(patch)) => {
                    let mut hi = ver(major, minor, patch);
                    hi.pre = to.pre;
                    out.push(Comparator::new(Op::Le, hi));
                }
            }
            if out.is_empty() {
                out.push(Comparator::any());
            }
            return Ok(out);
        }
        // Glue a lone operator to the version after it (`>= 1.2` is `>=1.2`).
        let mut i = 0;
        while i < words.len() {
            let word = words[i];
            let (op, rest) = split_op(word);
            if rest.is_empty() && !op.is_empty() && i + 1 < words.len() {
                let glued = format!("{op}{}", words[i + 1]);
                self.comparator(&glued, &mut out)?;
                i += 2;
            } else {
                self.comparator(word, &mut out)?;
                i += 1;
            }
        }
        if out.is_empty() {
            out.push(Comparator::any());
        }
        Ok(out)
    }
}

/// Splits `word` into its operator and the rest.
fn split_op(word: &str) -> (&str, &str) {
    for op in ["~>", ">=", "<=", "~", "^", ">", "<", "="] {
        if let Some(rest) = word.strip_prefix(op) {
            return (op, rest);
        }
    }
    ("", word)
}

/// Splits `1.2.3-pre+build` into main, pre-release and build parts.
fn split_pre_build(s: &str) -> (&str, Option<&str>, Option<&str>) {
    let (rest, build) = match s.split_once('+') {
        Some((r, b)) => (r, Some(b)),
        None => (s, None),
    };
    let (main, pre) = match rest.split_once('-') {
        Some((m, p)) => (m, Some(p)),
        None => (rest, None),
    };
    (main, pre, build)
}

impl NpmRange {
    /// Parses an npm range such as `^1.2.3`, `~1.2`, `>=1 <2 || 3.x`, `1.2.3 - 2.3`.
    ///
    /// # Errors
    /// [`VersionError::InvalidRange`] where node-semver throws `Invalid SemVer Range` or
    /// `Invalid comparator`.
    pub fn parse(range: &str) -> Result<Self, VersionError> {
        let parser = RangeParser { range };
        if range.len() > super::MAX_VERSION_LEN {
            return Err(parser.err("range too long"));
        }
        let sets = range
            .split("||")
            .map(|s| parser.set(s))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(NpmRange { sets })
    }

    /// node-semver's `Range.test`: some set passes every comparator, and a pre-release
    /// version only passes a set with a pre-release comparator on the same `major.minor.patch`.
    pub fn matches(&self, version: &Version) -> bool {
        self.sets.iter().any(|set| test_set(set, version))
    }
}

fn test_set(set: &[Comparator], v: &Version) -> bool {
    if !set.iter().all(|c| c.test(v)) {
        return false;
    }
    if v.pre.is_empty() {
        return true;
    }
    set.iter().any(|c| {
        c.version.as_ref().is_some_and(|a| {
            !a.pre.is_empty() && a.major == v.major && a.minor == v.minor && a.patch == v.patch
        })
    })
}
