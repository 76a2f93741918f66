//! Matching an installed package against the database.
//!
//! For each advisory of the package (already scoped to the release by
//! [`Database::lookup`]): the version is affected if it is listed in `versions`, or inside one
//! of the ranges as the OSV evaluation algorithm says ([`crate::is_affected`]), `ECOSYSTEM`
//! ranges ordered by the ecosystem's scheme and `SEMVER` ranges by SemVer (Go's scheme for Go,
//! whose versions carry a `v`). Affected advisories that share an id (a GHSA and a PYSEC
//! record both aliasing a CVE) are one vulnerability: they are merged into one [`Match`],
//! shown under the CVE id when there is one.
//!
//! A range whose own versions do not parse is skipped (bad advisory data must not stop a
//! scan); an installed version that does not parse is an error, so the caller can report the
//! package rather than silently call it clean.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use serde::Serialize;

use super::advisory::{Advisory, AffectedEvent, RangeKind};
use super::severity::Severity;
use super::{Database, DbError};
use crate::version::{Event, Scheme, compare, trace_affected};

/// One vulnerability of one installed package.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Match {
    /// The id it is shown under: the first CVE id of the merged records, else the smallest
    /// record id.
    pub id: String,
    /// Every other id of the merged records (record ids and their aliases), sorted.
    pub aliases: Vec<String>,
    /// The ecosystem asked (with release).
    pub ecosystem: String,
    /// The package name asked.
    pub package: String,
    /// The installed version.
    pub installed: String,
    /// Versions that fix it (from the ranges that matched), lowest first.
    pub fixed: Vec<String>,
    /// The most informative severity among the merged records.
    pub severity: Severity,
    /// The record shown (the one whose id is [`Match::id`] when there is one).
    pub advisory: Advisory,
    /// Why it matched: one line per matching record.
    pub explanation: Vec<String>,
}

/// One advisory that affects the version, with why.
struct Hit {
    advisory: Advisory,
    fixed: Vec<String>,
    why: Vec<String>,
}

/// The vulnerabilities of `name` at `version` in `ecosystem` (with release: `Debian:12`).
///
/// # Errors
/// [`DbError::InvalidVersion`] if `version` is not a valid version of the ecosystem;
/// read errors from [`Database::lookup`].
pub fn matches(
    db: &Database,
    ecosystem: &str,
    name: &str,
    version: &str,
) -> Result<Vec<Match>, DbError> {
    let invalid = |source| DbError::InvalidVersion {
        ecosystem: ecosystem.to_owned(),
        name: name.to_owned(),
        source,
    };
    let mut hits = Vec::new();
    for advisory in db.lookup(ecosystem, name)? {
        if let Some(hit) = evaluate(advisory, version).map_err(invalid)? {
            hits.push(hit);
        }
    }
    let scheme = Scheme::for_ecosystem(ecosystem);
    let mut out: Vec<Match> = group(hits)
        .into_iter()
        .map(|group| merge(group, ecosystem, name, version, scheme))
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

/// The scheme a range is ordered by.
fn range_scheme(kind: RangeKind, ecosystem_scheme: Option<Scheme>) -> Option<Scheme> {
    match (kind, ecosystem_scheme) {
        (RangeKind::Semver, Some(Scheme::Go)) => Some(Scheme::Go),
        (RangeKind::Semver, _) => Some(Scheme::Semver),
        (RangeKind::Ecosystem, scheme) => scheme,
    }
}

/// Whether `advisory` affects `version`; `Err` only when `version` itself is invalid.
fn evaluate(advisory: Advisory, version: &str) -> Result<Option<Hit>, crate::VersionError> {
    let ecosystem_scheme = Scheme::for_ecosystem(&advisory.ecosystem);
    let mut why = Vec::new();
    let mut fixed = Vec::new();
    // Listed as written, or equal under the ecosystem's ordering (Go's `v1.2.3` = `1.2.3`).
    let listed = |v: &String| {
        v == version
            || ecosystem_scheme
                .is_some_and(|s| compare(s, v, version).is_ok_and(|o| o == Ordering::Equal))
    };
    if advisory.versions.iter().any(listed) {
        why.push(format!(
            "{}: {version} is listed among the affected versions of {} {}",
            advisory.id, advisory.ecosystem, advisory.package
        ));
        fixed.extend(advisory.fixed.iter().cloned());
    }
    for range in &advisory.ranges {
        let Some(scheme) = range_scheme(range.kind, ecosystem_scheme) else {
            continue;
        };
        // The installed version first: if it is invalid, say so rather than skip.
        compare(scheme, version, version)?;
        let events: Vec<Event> = range.events.iter().map(AffectedEvent::to_event).collect();
        // Errors here come from the advisory's own versions: skip the range.
        if let Ok((true, steps)) = trace_affected(scheme, version, &events) {
            let described: Vec<String> = range.events.iter().map(|e| e.to_string()).collect();
            why.push(format!(
                "{}: {version} is in the {} range [{}] ({} ordering of {}): {}",
                advisory.id,
                range.kind.as_str(),
                described.join(", "),
                scheme,
                advisory.ecosystem,
                steps.join("; ")
            ));
            fixed.extend(range.events.iter().filter_map(|e| match e {
                AffectedEvent::Fixed(v) => Some(v.clone()),
                _ => None,
            }));
        }
    }
    if why.is_empty() {
        return Ok(None);
    }
    Ok(Some(Hit {
        advisory,
        fixed,
        why,
    }))
}

/// Groups hits that share any id (transitively).
fn group(hits: Vec<Hit>) -> Vec<Vec<Hit>> {
    let mut groups: Vec<(BTreeSet<String>, Vec<Hit>)> = Vec::new();
    for hit in hits {
        let ids: BTreeSet<String> = hit.advisory.ids().map(str::to_owned).collect();
        let mut merged_ids = ids;
        let mut merged_hits = vec![hit];
        let mut i = 0;
        while i < groups.len() {
            if groups[i].0.intersection(&merged_ids).next().is_some() {
                let (ids, hits) = groups.swap_remove(i);
                merged_ids.extend(ids);
                merged_hits.extend(hits);
            } else {
                i += 1;
            }
        }
        groups.push((merged_ids, merged_hits));
    }
    groups.into_iter().map(|(_, hits)| hits).collect()
}

fn merge(
    mut hits: Vec<Hit>,
    ecosystem: &str,
    name: &str,
    version: &str,
    scheme: Option<Scheme>,
) -> Match {
    hits.sort_by(|a, b| a.advisory.id.cmp(&b.advisory.id));
    let ids: BTreeSet<String> = hits
        .iter()
        .flat_map(|h| h.advisory.ids().map(str::to_owned))
        .collect();
    // The first CVE; without one, the id of the first record (not an alias of it).
    let primary = ids
        .iter()
        .find(|id| id.starts_with("CVE-"))
        .cloned()
        .or_else(|| hits.first().map(|h| h.advisory.id.clone()))
        .unwrap_or_default();
    let aliases: Vec<String> = ids.iter().filter(|id| **id != primary).cloned().collect();

    let mut fixed: Vec<String> = Vec::new();
    for v in hits.iter().flat_map(|h| h.fixed.iter()) {
        if !fixed.contains(v) {
            insert_sorted(&mut fixed, v.clone(), scheme);
        }
    }

    let severity = hits
        .iter()
        .map(|h| h.advisory.severity())
        .max_by_key(Severity::rank)
        .unwrap_or_else(|| Severity::pick(&[], None));
    let explanation: Vec<String> = hits.iter().flat_map(|h| h.why.iter().cloned()).collect();
    let shown = hits
        .iter()
        .position(|h| h.advisory.id == primary)
        .or_else(|| hits.iter().position(|h| h.advisory.primary_id() == primary))
        .unwrap_or(0);
    let advisory = hits.swap_remove(shown).advisory;
    Match {
        id: primary,
        aliases,
        ecosystem: ecosystem.to_owned(),
        package: name.to_owned(),
        installed: version.to_owned(),
        fixed,
        severity,
        advisory,
        explanation,
    }
}

/// Inserts `v` in order by the ecosystem's scheme (text order for versions it rejects).
///
/// An insertion, not `sort_by`: with invalid versions mixed in the order is not total, and
/// the standard sort may panic on such an order; a handful of fixed versions costs nothing.
fn insert_sorted(list: &mut Vec<String>, v: String, scheme: Option<Scheme>) {
    let order = |a: &str, b: &str| {
        scheme
            .and_then(|s| compare(s, a, b).ok())
            .unwrap_or_else(|| a.cmp(b))
    };
    let at = list
        .iter()
        .position(|x| order(x, &v) == Ordering::Greater)
        .unwrap_or(list.len());
    list.insert(at, v);
}
