//! SARIF 2.1.0 for GitHub code scanning.
//!
//! GitHub reads `security-severity` on rules to rank alerts, `partialFingerprints` to follow
//! an alert across commits, and rejects uploads over 25,000 results per run or 10 MB gzipped:
//! when a report is larger, the most severe results are kept and a notification says what
//! was left out, instead of the upload failing in the user's pipeline.

use std::collections::BTreeMap;
use std::io::Write;

use assay_core::{Finding, Report, RuleDoc, Severity};
use serde_json::{Value, json};

use crate::RenderError;

/// GitHub's limit of results per run.
pub const MAX_RESULTS: usize = 25_000;
/// GitHub's limit of the gzipped upload, with a margin for the upload's own encoding.
pub const MAX_GZIP_BYTES: usize = 10 * 1000 * 1000 - 200_000;

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info | Severity::Unknown => "note",
    }
}

fn rule_json(doc: &RuleDoc, kind: &str) -> Value {
    let mut help = doc.description.clone();
    if !doc.remediation.is_empty() {
        help.push_str("\n\nFix: ");
        help.push_str(&doc.remediation);
    }
    let mut markdown = format!("**{}**\n\n{}", doc.title, doc.description);
    if !doc.remediation.is_empty() {
        markdown.push_str(&format!("\n\n**Fix:** {}", doc.remediation));
    }
    if !doc.equivalents.is_empty() {
        markdown.push_str(&format!(
            "\n\n**Equivalents:** {}",
            doc.equivalents.join(", ")
        ));
    }
    let mut rule = json!({
        "id": doc.id,
        "name": doc.id,
        "shortDescription": { "text": doc.title },
        "fullDescription": { "text": if doc.description.is_empty() { &doc.title } else { &doc.description } },
        "help": { "text": help, "markdown": markdown },
        "defaultConfiguration": { "level": level(doc.severity) },
        "properties": {
            "security-severity": doc.severity.security_severity(),
            "precision": "very-high",
            "tags": ["security", kind],
        },
    });
    if let (Some(uri), Some(obj)) = (&doc.help_uri, rule.as_object_mut()) {
        obj.insert("helpUri".into(), json!(uri));
    }
    rule
}

fn result_json(f: &Finding, rule_index: usize) -> Value {
    let mut region = serde_json::Map::new();
    region.insert(
        "startLine".into(),
        json!(f.location.line.unwrap_or(1).max(1)),
    );
    if let Some(c) = f.location.column {
        region.insert("startColumn".into(), json!(c.max(1)));
    }
    if let Some(e) = f.location.end_line {
        region.insert("endLine".into(), json!(e.max(f.location.line.unwrap_or(1))));
    }
    let uri = if f.location.path.is_empty() {
        f.target.as_str()
    } else {
        f.location.path.as_str()
    };
    let mut message = f.message.clone();
    if let Some(resource) = &f.resource {
        message.push_str(&format!(" [{resource}]"));
    }
    if let Some(layer) = &f.location.layer {
        message.push_str(&format!(" (layer {layer})"));
    }
    let mut result = json!({
        "ruleId": f.rule_id,
        "ruleIndex": rule_index,
        "level": level(f.severity),
        "kind": "fail",
        "message": { "text": message },
        "locations": [{
            "physicalLocation": {
                "artifactLocation": { "uri": uri },
                "region": region,
            }
        }],
        "partialFingerprints": { "assayFindingId/v1": f.id },
    });
    if let (Some(s), Some(obj)) = (&f.suppression, result.as_object_mut()) {
        let kind = if s.kind == "assayignore" {
            "external"
        } else {
            "inSource"
        };
        let mut suppression = json!({ "kind": kind, "status": "accepted" });
        if let (Some(reason), Some(o)) = (&s.reason, suppression.as_object_mut()) {
            o.insert("justification".into(), json!(reason));
        }
        obj.insert("suppressions".into(), json!([suppression]));
    }
    result
}

fn gzip_len(bytes: &[u8]) -> usize {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing into a Vec cannot fail.
    let _ = enc.write_all(bytes);
    enc.finish().map_or(usize::MAX, |v| v.len())
}

fn document(report: &Report, kept: &[&Finding], left_out: usize) -> Value {
    let mut kinds: BTreeMap<&str, &str> = BTreeMap::new();
    for f in kept {
        kinds.entry(f.rule_id.as_str()).or_insert(f.kind.as_str());
    }
    let ids: Vec<&str> = kinds.keys().copied().collect();
    let rules: Vec<Value> = ids
        .iter()
        .map(|id| match report.rules.get(*id) {
            Some(doc) => rule_json(doc, kinds.get(id).copied().unwrap_or("misconfig")),
            None => json!({ "id": id, "shortDescription": { "text": id } }),
        })
        .collect();
    let results: Vec<Value> = kept
        .iter()
        .map(|f| result_json(f, ids.binary_search(&f.rule_id.as_str()).unwrap_or(0)))
        .collect();
    let mut notifications: Vec<Value> = report
        .errors
        .iter()
        .map(|e| json!({ "level": "error", "message": { "text": e.message } }))
        .collect();
    if left_out > 0 {
        notifications.push(json!({
            "level": "warning",
            "message": { "text": format!(
                "{left_out} result(s) left out to stay within GitHub's code scanning limits \
                 (25,000 results, 10 MB gzipped); the most severe were kept. Use --format json for all findings."
            ) }
        }));
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "assay",
                "version": report.tool.version,
                "semanticVersion": report.tool.version,
                "informationUri": "https://github.com/assay-dev/assay",
                "rules": rules,
            }},
            "invocations": [{
                "executionSuccessful": report.errors.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "originalUriBaseIds": { "ROOTPATH": { "uri": "file:///" } },
            "results": results,
            "properties": { "artifact": report.artifact },
        }]
    })
}

/// Renders SARIF, trimmed to GitHub's limits.
pub fn render(report: &Report) -> Result<Vec<u8>, RenderError> {
    render_within(report, MAX_RESULTS, MAX_GZIP_BYTES)
}

/// Renders SARIF keeping at most `max_results` results and `max_gzip` gzipped bytes.
pub fn render_within(
    report: &Report,
    max_results: usize,
    max_gzip: usize,
) -> Result<Vec<u8>, RenderError> {
    // Active findings first, most severe first, then suppressed ones (GitHub shows those as
    // dismissed); within a severity the report's own order.
    let mut all: Vec<&Finding> = report
        .findings
        .iter()
        .chain(report.suppressed.iter())
        .collect();
    all.sort_by(|a, b| {
        a.suppression
            .is_some()
            .cmp(&b.suppression.is_some())
            .then(b.severity.cmp(&a.severity))
            .then_with(|| a.sort_key().cmp(&b.sort_key()))
    });
    let mut keep = all.len().min(max_results);
    loop {
        let mut kept: Vec<&Finding> = all[..keep].to_vec();
        kept.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        let doc = document(report, &kept, all.len() - keep);
        let mut bytes =
            serde_json::to_vec_pretty(&doc).map_err(|e| RenderError::Serialize(e.to_string()))?;
        bytes.push(b'\n');
        // Only a document larger than the limit can gzip to more than it.
        if keep == 0 || bytes.len() <= max_gzip || gzip_len(&bytes) <= max_gzip {
            return Ok(bytes);
        }
        keep = keep * 9 / 10;
    }
}
