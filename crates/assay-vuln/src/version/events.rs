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
    for e in sorted {
        let ord = cmp_to(scheme, version, e)?;
        match e {
            Event::Introduced(_) if ord != Ordering::Less => affected = true,
            Event::Fixed(_) if ord != Ordering::Less => affected = false,
            Event::LastAffected(_) if ord == Ordering::Greater => affected = false,
            Event::Limit(_) => {
                limited = true;
                below_a_limit |= ord == Ordering::Less;
            }
            _ => {}
        }
    }
    Ok(affected && (!limited || below_a_limit))
}
