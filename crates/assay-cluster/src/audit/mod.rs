//! `assay audit-log`: Kubernetes API-server audit events judged by the `ASSAY-AUD-NNN` rules.
//!
//! Reading ([`event`]) is separate from judging ([`review`]) so that the webhook backend or a
//! test can feed events from memory. Findings carry the event's file and line, and their
//! message names the event's time, user, verb and object, so a reviewer can find the request
//! in the raw log.

pub mod event;
pub mod options;
mod rules;

use assay_core::{Finding, FindingKind, Location, Rule};

pub use event::{Event, Located, ReadError};
pub use options::{AuditOptions, OptionsError, Settings};
pub use rules::RULES;

/// Every audit rule, in id order.
pub fn rules() -> impl Iterator<Item = &'static Rule> {
    RULES.iter()
}

/// The audit rule with this id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// Judges events as they are read: per-event rules at once, and a light copy (no request or
/// response body) of each denied request for the 403 burst rule, which needs them in time
/// order across files (rotated logs may be given in any order).
#[derive(Debug)]
pub struct Review<'s> {
    settings: &'s Settings,
    findings: Vec<Finding>,
    denied: Vec<(i64, usize, Located)>,
}

impl<'s> Review<'s> {
    /// An empty review with `settings`.
    pub fn new(settings: &'s Settings) -> Self {
        Review {
            settings,
            findings: Vec::new(),
            denied: Vec::new(),
        }
    }

    /// Judges one event.
    pub fn add(&mut self, located: &Located) {
        for hit in rules::check_event(&located.event, self.settings) {
            self.findings.push(finding(located, &hit));
        }
        let e = &located.event;
        if e.is_final()
            && e.code() == Some(403)
            && let Ok(time) = e.time().parse::<jiff::Timestamp>()
        {
            // Only the object's name is kept from the bodies: findings name the object.
            let name = e
                .body()
                .and_then(|b| b.get("metadata"))
                .and_then(|m| m.get("name"))
                .cloned();
            let mut light = located.clone();
            light.event.request_object = name.map(|n| serde_json::json!({"metadata": {"name": n}}));
            light.event.response_object = None;
            let order = self.denied.len();
            self.denied.push((time.as_microsecond(), order, light));
        }
    }

    /// Runs the rules that need every event and returns all findings.
    pub fn finish(mut self) -> Vec<Finding> {
        self.denied.sort_by_key(|(time, order, _)| (*time, *order));
        let mut counter = rules::ForbiddenCounter::default();
        for (_, _, located) in &self.denied {
            if let Some(hit) = counter.feed(&located.event, self.settings) {
                self.findings.push(finding(located, &hit));
            }
        }
        self.findings
    }
}

/// Judges events held in memory (see [`Review`] to judge them while reading).
pub fn review(events: &[Located], settings: &Settings) -> Vec<Finding> {
    let mut review = Review::new(settings);
    for e in events {
        review.add(e);
    }
    review.finish()
}

fn finding(located: &Located, hit: &rules::Hit) -> Finding {
    let e = &located.event;
    let user = if e.user.username.is_empty() {
        "(no user)"
    } else {
        e.user.username.as_str()
    };
    let object = e.object();
    let message = format!(
        "{}: {user} {} {object} at {}",
        hit.detail,
        e.verb,
        if e.time().is_empty() {
            "(no time)"
        } else {
            e.time()
        }
    );
    let anchor = format!("{}\0{}", e.audit_id, hit.anchor);
    Finding::new(
        FindingKind::Audit,
        hit.rule.id,
        hit.rule.severity,
        hit.rule.title,
        message,
        located.file.clone(),
        Location {
            path: located.file.clone(),
            line: Some(located.line),
            column: None,
            end_line: Some(located.line),
            layer: None,
        },
        &anchor,
    )
    .with_resource(object, &anchor)
    .with_fix(hit.rule.remediation)
}
