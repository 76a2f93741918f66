//! Suppressions written in the manifest itself: the `assay.dev/ignore` annotation on an object
//! (or its pod / job template) and `# assay:ignore=ID[,ID] reason` comments on or directly above
//! the offending line. Suppressed findings are kept, marked, so the CLI can list them apart.

use assay_core::{Finding, Suppression};

use super::load::Node;
use super::object::Object;

/// The annotation that lists rule ids (comma-separated, `*` for all) to ignore on an object.
pub(crate) const ANNOTATION: &str = "assay.dev/ignore";
/// An optional annotation with the reason for [`ANNOTATION`].
pub(crate) const REASON_ANNOTATION: &str = "assay.dev/ignore-reason";

const COMMENT_MARKER: &str = "assay:ignore=";

/// One inline comment: the line it silences, the ids and the reason.
#[derive(Debug)]
pub(crate) struct Inline {
    line: u32,
    written_at: u32,
    ids: Vec<String>,
    reason: Option<String>,
}

/// Every `# assay:ignore=` comment of `text`. A comment after content applies to its own line;
/// a comment alone on its line applies to the next line that is not a comment.
pub(crate) fn inline_comments(text: &str) -> Vec<Inline> {
    let mut out = Vec::new();
    let mut pending: Vec<(u32, Vec<String>, Option<String>)> = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let trimmed = raw.trim_start();
        let comment = comment_of(raw);
        let parsed = comment.and_then(parse_comment);
        let comment_only = trimmed.starts_with('#');
        if comment_only {
            if let Some((ids, reason)) = parsed {
                pending.push((line, ids, reason));
            }
            continue;
        }
        if trimmed.is_empty() {
            continue;
        }
        for (written_at, ids, reason) in pending.drain(..) {
            out.push(Inline {
                line,
                written_at,
                ids,
                reason,
            });
        }
        if let Some((ids, reason)) = parsed {
            out.push(Inline {
                line,
                written_at: line,
                ids,
                reason,
            });
        }
    }
    out
}

/// The comment part of a YAML line: from a `#` at the start or after whitespace.
fn comment_of(line: &str) -> Option<&str> {
    let bytes = line.as_bytes();
    let mut pos = 0;
    while let Some(found) = line.get(pos..).and_then(|rest| rest.find('#')) {
        let at = pos + found;
        if at == 0 || bytes.get(at - 1).is_some_and(|b| b.is_ascii_whitespace()) {
            return line.get(at + 1..);
        }
        pos = at + 1;
    }
    None
}

fn parse_comment(comment: &str) -> Option<(Vec<String>, Option<String>)> {
    let rest = comment.trim_start().strip_prefix(COMMENT_MARKER)?;
    let (ids, reason) = match rest.split_once(char::is_whitespace) {
        Some((ids, reason)) => (
            ids,
            Some(reason.trim().to_string()).filter(|r| !r.is_empty()),
        ),
        None => (rest, None),
    };
    Some((split_ids(ids), reason))
}

fn split_ids(list: &str) -> Vec<String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn matches(ids: &[String], rule_id: &str) -> bool {
    ids.iter()
        .any(|id| id == "*" || id.eq_ignore_ascii_case(rule_id))
}

/// Marks `finding` suppressed when an annotation of `object` or an inline comment names its rule.
pub(crate) fn apply(finding: &mut Finding, object: &Object<'_>, inline: &[Inline], path: &str) {
    for meta in object.annotated_metadata() {
        let Some(annotations) = meta.get("annotations") else {
            continue;
        };
        let Some(node) = annotations.get(ANNOTATION) else {
            continue;
        };
        let Some(list) = node.as_str() else { continue };
        if matches(&split_ids(list), &finding.rule_id) {
            finding.suppression = Some(Suppression {
                kind: "annotation".to_string(),
                reason: annotations
                    .get(REASON_ANNOTATION)
                    .and_then(Node::as_str)
                    .map(str::to_string),
                source: Some(format!("{path}:{}", node.line)),
            });
            return;
        }
    }
    let Some(line) = finding.location.line else {
        return;
    };
    if let Some(comment) = inline
        .iter()
        .find(|c| c.line == line && matches(&c.ids, &finding.rule_id))
    {
        finding.suppression = Some(Suppression {
            kind: "inline".to_string(),
            reason: comment.reason.clone(),
            source: Some(format!("{path}:{}", comment.written_at)),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_comment_applies_to_its_line_and_own_line_comment_to_the_next() {
        let text = "a: 1 # assay:ignore=ASSAY-K8S-001 lab only\n# assay:ignore=ASSAY-K8S-002,ASSAY-K8S-003\n\nb: 2\n";
        let found = inline_comments(text);
        assert_eq!(found.len(), 2);
        assert_eq!((found[0].line, found[0].written_at), (1, 1));
        assert_eq!(found[0].reason.as_deref(), Some("lab only"));
        assert_eq!((found[1].line, found[1].written_at), (4, 2));
        assert_eq!(found[1].ids, vec!["ASSAY-K8S-002", "ASSAY-K8S-003"]);
    }

    #[test]
    fn hash_inside_a_value_is_not_a_comment() {
        assert!(inline_comments("url: http://x/#assay:ignore=ASSAY-K8S-001\n").is_empty());
    }
}
