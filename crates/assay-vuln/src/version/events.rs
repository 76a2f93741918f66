//! OSV range evaluation: is a version inside an `ECOSYSTEM` or `SEMVER` range?
//!
//! Implements the evaluation algorithm of the OSV schema ("Evaluation" under `affected[].ranges`):
//! sort the events by version, with `introduced: "0"` below every version, then walk them:
//! `introduced` at or below the version turns the range on, `fixed` at or below it turns it
//! off, `last_affected` strictly below it turns it off. `limit` events cap the whole range: the
//! version must be below one of them. Ordering is the scheme's; the caller picks the scheme
//! from the record's ecosystem (`ECOSYSTEM` ranges) or uses [`Scheme::Semver`] (`SEMVER`).

use std::cmp::Ordering;

use super::{Scheme, VersionError, compare};

/// One event of an OSV range.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Event {
    /// `introduced`: the first affected version; `"0"` means "from the beginning".
    Introduced(String),
    /// `fixed`: the first version no longer affected.
    Fixed(String),
    /// `last_affected`: the last affected version.
    LastAffected(String),
    /// `limit`: an upper bound on the whole range (exclusive).
    Limit(String),
}

impl Event {
    fn version(&self) -> &str {
        match self {
            Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => v,
        }
    }

    /// `introduced: "0"`, which is below every version whatever the scheme says of `"0"`.
    fn is_zero(&self) -> bool {
        matches!(self, Event::Introduced(v) if v == "0")
    }
}

/// Orders two events' versions, `introduced: "0"` first.
fn cmp_events(scheme: Scheme, a: &Event, b: &Event) -> Result<Ordering, VersionError> {
    match (a.is_zero(), b.is_zero()) {
        (true, true) => Ok(Ordering::Equal),
        (true, false) => Ok(Ordering::Less),
        (false, true) => Ok(Ordering::Greater),
        (false, false) => compare(scheme, a.version(), b.version()),
    }
}

/// `version` against an event's version; `introduced: "0"` is below everything.
fn cmp_to(scheme: Scheme, version: &str, e: &Event) -> Result<Ordering, VersionError> {
    if e.is_zero() {
        return Ok(Ordering::Greater);
    }
    compare(scheme, version, e.version())
}

/// Whether `version` is affected by a range made of `events`, per the OSV schema's algorithm.
///
/// # Errors
/// Any version (the one asked about, or an event's) that `scheme` rejects.
pub fn is_affected(scheme: Scheme, version: &str, events: &[Event]) -> Result<bool, VersionError> {
    trace_affected(scheme, version, events).map(|(affected, _)| affected)
}

impl std::fmt::Display for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Event::Introduced(v) => write!(f, "introduced {v}"),
            Event::Fixed(v) => write!(f, "fixed {v}"),
            Event::LastAffected(v) => write!(f, "last_affected {v}"),
            Event::Limit(v) => write!(f, "limit {v}"),
        }
    }
}

fn symbol(ord: Ordering) -> &'static str {
    match ord {
        Ordering::Less => "<",
        Ordering::Equal => "=",
        Ordering::Greater => ">",
    }
}

/// [`is_affected`] with its reasoning: one line per event, in evaluation order, saying how
/// `version` compared with it and what that did (`2.28.0 < fixed 2.31.0: no effect`), then
/// the verdict. This is what `assay scan --explain` prints, so each line names the
/// comparison that decided.
///
/// # Errors
/// As [`is_affected`].
pub fn trace_affected(
    scheme: Scheme,
    version: &str,
    events: &[Event],
) -> Result<(bool, Vec<String>), VersionError> {
    // Validate everything first, so the sort below only sees comparable versions.
    compare(scheme, version, version)?;
    for e in events.iter().filter(|e| !e.is_zero()) {
        compare(scheme, e.version(), e.version())?;
    }

    // Insertion sort: events are few, and unlike `slice::sort_by` it cannot panic on an
    // ordering that is not total (rpm's, where a missing release compares equal to any).
    let mut sorted: Vec<&Event> = Vec::with_capacity(events.len());
    for e in events {
        let mut at = sorted.len();
        while at > 0 && cmp_events(scheme, sorted[at - 1], e)? == Ordering::Greater {
            at -= 1;
        }
        sorted.insert(at, e);
    }

    let mut limited = false;
    let mut below_a_limit = false;
    let mut affected = false;
    let mut steps = Vec::with_capacity(sorted.len() + 1);
    for e in sorted {
        let ord = cmp_to(scheme, version, e)?;
        let comparison = if e.is_zero() {
            format!("{e} (below every version)")
        } else {
            format!("{version} {} {e}", symbol(ord))
        };
        let effect = match e {
            Event::Introduced(_) if ord != Ordering::Less => {
                affected = true;
                "affected from here"
            }
            Event::Fixed(_) if ord != Ordering::Less => {
                affected = false;
                "fixed at or before this version"
            }
            Event::LastAffected(_) if ord == Ordering::Greater => {
                affected = false;
                "past the last affected version"
            }
            Event::Limit(_) => {
                limited = true;
                below_a_limit |= ord == Ordering::Less;
                if ord == Ordering::Less {
                    "below this limit"
                } else {
                    "not below this limit"
                }
            }
            _ => "no effect",
        };
        steps.push(format!("{comparison}: {effect}"));
    }
    let verdict = affected && (!limited || below_a_limit);
    steps.push(
        match (verdict, affected) {
            (true, _) => "=> affected",
            (false, true) => "=> not affected (outside every limit)",
            (false, false) => "=> not affected",
        }
        .to_string(),
    );
    Ok((verdict, steps))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traces_say_which_comparison_decided() {
        let events = [
            Event::Introduced("1.0.0".into()),
            Event::Fixed("1.2.0".into()),
            Event::Limit("2.0.0".into()),
        ];
        let (affected, steps) =
            trace_affected(Scheme::Semver, "1.2.0", &events).unwrap_or_default();
        assert!(!affected);
        assert_eq!(
            steps,
            [
                "1.2.0 > introduced 1.0.0: affected from here",
                "1.2.0 = fixed 1.2.0: fixed at or before this version",
                "1.2.0 < limit 2.0.0: below this limit",
                "=> not affected",
            ]
        );
        let (affected, steps) = trace_affected(
            Scheme::Deb,
            "1.2-1",
            &[
                Event::Introduced("0".into()),
                Event::LastAffected("1.2-1".into()),
            ],
        )
        .unwrap_or_default();
        assert!(affected);
        assert_eq!(steps[1], "1.2-1 = last_affected 1.2-1: no effect");
    }
}
