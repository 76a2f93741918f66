//! The OSV importer's model path: a JSON document (one record or an array, read the way
//! `osv::import` reads each file) into `Vulnerability`, then what `db build` and matching do
//! with each record: split it into advisories (CVSS vectors scored, labels read), pick the
//! severity, and evaluate every compiled range against the versions the record lists.
#![no_main]

use assay_vuln::db::{Advisory, RangeKind};
use assay_vuln::osv::Vulnerability;
use assay_vuln::version::{Scheme, is_affected};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let first = data.iter().find(|b| !b.is_ascii_whitespace());
    let records: Vec<Vulnerability> = if first == Some(&b'[') {
        match serde_json::from_slice(data) {
            Ok(r) => r,
            Err(_) => return,
        }
    } else {
        match serde_json::from_slice(data) {
            Ok(r) => vec![r],
            Err(_) => return,
        }
    };
    for record in &records {
        for (_key, advisory) in Advisory::from_osv(record) {
            let _ = advisory.primary_id();
            let _ = advisory.severity();
            let ecosystem = Scheme::for_ecosystem(advisory.ecosystem_base());
            for range in &advisory.ranges {
                let scheme = match range.kind {
                    RangeKind::Semver => Some(Scheme::Semver),
                    RangeKind::Ecosystem => ecosystem,
                };
                let Some(scheme) = scheme else { continue };
                let events: Vec<_> = range.events.iter().map(|e| e.to_event()).collect();
                for version in advisory.versions.iter().take(8) {
                    let _ = is_affected(scheme, version, &events);
                }
            }
        }
    }
});
