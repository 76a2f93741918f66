//! Turning what a `deny`/`violation`/`warn` rule returned into findings, following the
//! conventions documented on the [`super`] module.

use assay_core::{Finding, FindingKind, Location, RuleDoc, Severity};
use serde_json::{Map, Value};

use super::EvalContext;
use super::annotations::Annotation;
use super::catalog::{RuleDecl, RuleKind};
use super::error::RegoError;

/// One result of one rule, with everything resolved.
#[derive(Debug)]
pub(crate) struct Outcome {
    /// The finding.
    pub finding: Finding,
    /// Documentation of its rule.
    pub doc: RuleDoc,
}

/// The elements of a decision rule's value: each element of a set (in sorted order) or array;
/// nothing for any other value, as in Conftest.
pub(crate) fn elements(value: &regorus::Value) -> Result<Vec<Value>, String> {
    let items: Vec<&regorus::Value> = match value {
        regorus::Value::Set(set) => set.iter_sorted().collect(),
        regorus::Value::Array(array) => array.iter().collect(),
        _ => return Ok(Vec::new()),
    };
    items
        .into_iter()
        .map(|v| serde_json::to_value(v).map_err(|e| format!("cannot read result: {e}")))
        .collect()
}

/// Builds the finding for one element of `rule`'s value.
pub(crate) fn outcome(
    rule: &RuleDecl,
    annotation: Option<&Annotation>,
    element: &Value,
    ctx: &EvalContext,
) -> Result<Option<Outcome>, RegoError> {
    let bad = |message: String| RegoError::Result {
        rule: rule.path(),
        file: rule.file.clone(),
        line: rule.line,
        message,
    };
    let empty = Map::new();
    let (message, meta) = match element {
        Value::String(msg) => (msg.clone(), &empty),
        Value::Object(meta) => match meta.get("msg") {
            Some(Value::String(msg)) => (msg.clone(), meta),
            Some(_) => return Err(bad("result field msg must be a string".to_string())),
            None => return Err(bad("rule result object has no msg field".to_string())),
        },
        // Conftest ignores other values (numbers, booleans) in the result set.
        _ => return Ok(None),
    };
    let none = Annotation::default();
    let note = annotation.unwrap_or(&none);

    let rule_id = text(meta, &["id", "rule_id"])
        .or_else(|| note.id.clone())
        .unwrap_or_else(|| format!("{}.{}", rule.package, rule.name));
    let severity = match text(meta, &["severity"]).or_else(|| note.severity.clone()) {
        Some(s) => s
            .parse::<Severity>()
            .map_err(|e| bad(format!("result severity: {e}")))?,
        None => match rule.kind {
            RuleKind::Warn => Severity::Low,
            _ => Severity::High,
        },
    };
    let title = text(meta, &["title"])
        .or_else(|| note.title.clone())
        .unwrap_or_else(|| rule_id.clone());
    let description = text(meta, &["description"])
        .or_else(|| note.description.clone())
        .unwrap_or_else(|| message.clone());
    let remediation = text(meta, &["remediation", "fix"]).or_else(|| note.remediation.clone());
    let line = number(meta, &["line", "StartLine", "start_line"])
        .map_err(bad)?
        .unwrap_or(ctx.line)
        .max(1);
    let end_line = number(meta, &["end_line", "EndLine"])
        .map_err(bad)?
        .unwrap_or(line);
    let resource = text(meta, &["resource"]).or_else(|| ctx.resource.clone());
    let mut references = strings(meta, "references");
    references.extend(text(meta, &["url"]));
    let help_uri = references
        .first()
        .cloned()
        .or_else(|| note.help_uri.clone());

    let anchor = format!("{rule_id}\u{0}{message}");
    let mut finding = Finding::new(
        FindingKind::Misconfig,
        &rule_id,
        severity,
        &title,
        &message,
        &ctx.target,
        Location::lines(&ctx.path, line, end_line),
        &anchor,
    );
    if let Some(resource) = resource {
        finding = finding.with_resource(resource, &anchor);
    }
    if let Some(fix) = &remediation {
        finding = finding.with_fix(fix);
    }
    finding.references = references;
    let doc = RuleDoc {
        id: rule_id,
        title,
        description,
        remediation: remediation.unwrap_or_default(),
        severity,
        help_uri,
        equivalents: Vec::new(),
    };
    Ok(Some(Outcome { finding, doc }))
}

/// The first of `keys` that holds a string (or number), trimmed.
fn text(meta: &Map<String, Value>, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| match meta.get(*k)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// The first of `keys` that holds a line number (a number or a numeric string).
fn number(meta: &Map<String, Value>, keys: &[&str]) -> Result<Option<u32>, String> {
    for key in keys {
        let Some(value) = meta.get(*key) else {
            continue;
        };
        let parsed = match value {
            Value::Number(n) => n.as_u64().or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && *f >= 0.0)
                    .map(|f| f as u64)
            }),
            Value::String(s) => s.trim().parse().ok(),
            Value::Null => continue,
            _ => None,
        };
        return match parsed.and_then(|n| u32::try_from(n).ok()) {
            Some(n) => Ok(Some(n)),
            None => Err(format!(
                "result field {key} must be a line number, got {value}"
            )),
        };
    }
    Ok(None)
}

/// `key` as a list of strings (a single string is a list of one).
fn strings(meta: &Map<String, Value>, key: &str) -> Vec<String> {
    match meta.get(key) {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}
