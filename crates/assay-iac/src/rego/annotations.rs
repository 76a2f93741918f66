//! OPA `# METADATA` annotations on rules, read so that a policy can document its rule once
//! (title, description, id, severity, remediation) instead of in every result object.
//!
//! regorus does not keep comments, so the block is read from the source text: a `# METADATA`
//! comment, the YAML in the comment lines that follow, and the rule declared on the next code
//! line. Only rule-scoped annotations are used.
//!
//! ```rego
//! # METADATA
//! # title: Base image is not a golden image
//! # description: Only the platform team's images are patched and scanned.
//! # custom:
//! #   id: ORG-DF-001
//! #   severity: CRITICAL
//! #   remediation: Use one of data.assay.golden_images.
//! deny contains msg if { ... }
//! ```

use std::collections::BTreeMap;

use serde_json::Value;

use super::error::RegoError;

/// What an annotation says about a rule. Every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Annotation {
    /// `title`.
    pub title: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `custom.id` (or `custom.rule_id`).
    pub id: Option<String>,
    /// `custom.severity`, as written.
    pub severity: Option<String>,
    /// `custom.remediation` (or `custom.fix`).
    pub remediation: Option<String>,
    /// The first `related_resources[].ref`.
    pub help_uri: Option<String>,
}

/// Annotations by (package, rule name); the first annotated declaration wins.
pub(crate) type Annotations = BTreeMap<(String, String), Annotation>;

/// Reads the rule annotations of one policy file whose package is `package`.
pub(crate) fn read(
    path: &str,
    text: &str,
    package: &str,
    into: &mut Annotations,
) -> Result<(), RegoError> {
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim() != "# METADATA" {
            i += 1;
            continue;
        }
        let start = i;
        let mut yaml = String::new();
        i += 1;
        while i < lines.len() {
            let Some(comment) = lines[i].trim_start().strip_prefix('#') else {
                break;
            };
            yaml.push_str(comment.strip_prefix(' ').unwrap_or(comment));
            yaml.push('\n');
            i += 1;
        }
        let Some(next) = lines[i.min(lines.len())..]
            .iter()
            .map(|l| l.trim())
            .find(|l| !l.is_empty())
        else {
            break;
        };
        let name: String = next
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let line = u32::try_from(start + 1).unwrap_or(u32::MAX);
        let value = parse_yaml(&yaml).map_err(|message| RegoError::Metadata {
            path: path.to_string(),
            line,
            message,
        })?;
        let scope = str_at(&value, &["scope"]);
        let rule_scoped = matches!(scope.as_deref(), None | Some("rule") | Some("document"));
        if name.is_empty() || name == "package" || name == "import" || !rule_scoped {
            continue;
        }
        into.entry((package.to_string(), name))
            .or_insert_with(|| Annotation {
                title: str_at(&value, &["title"]),
                description: str_at(&value, &["description"]),
                id: str_at(&value, &["custom", "id"])
                    .or_else(|| str_at(&value, &["custom", "rule_id"])),
                severity: str_at(&value, &["custom", "severity"]),
                remediation: str_at(&value, &["custom", "remediation"])
                    .or_else(|| str_at(&value, &["custom", "fix"])),
                help_uri: value
                    .get("related_resources")
                    .and_then(Value::as_array)
                    .and_then(|r| r.first())
                    .and_then(|r| match r {
                        Value::String(s) => Some(s.clone()),
                        other => other.get("ref").and_then(Value::as_str).map(str::to_string),
                    }),
            });
    }
    Ok(())
}

fn parse_yaml(yaml: &str) -> Result<Value, String> {
    let value = regorus::Value::from_yaml_str(yaml).map_err(|e| {
        let text = format!("{e:#}");
        text.strip_prefix("Failed to parse YAML: ")
            .unwrap_or(&text)
            .to_string()
    })?;
    let value = serde_json::to_value(&value).map_err(|e| e.to_string())?;
    match value {
        Value::Object(_) | Value::Null => Ok(value),
        _ => Err("expected a mapping".to_string()),
    }
}

fn str_at(value: &Value, path: &[&str]) -> Option<String> {
    let mut v = value;
    for key in path {
        v = v.get(key)?;
    }
    match v {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_annotation_of_the_next_rule() {
        let text = "package main\n\n# METADATA\n# title: No latest\n# custom:\n#   id: ORG-1\n#   severity: LOW\ndeny contains msg if {\n  msg := \"x\"\n}\n";
        let mut all = Annotations::new();
        read("p.rego", text, "main", &mut all).expect("valid");
        let a = &all[&("main".to_string(), "deny".to_string())];
        assert_eq!(a.title.as_deref(), Some("No latest"));
        assert_eq!(a.id.as_deref(), Some("ORG-1"));
        assert_eq!(a.severity.as_deref(), Some("LOW"));
    }

    #[test]
    fn names_the_line_of_an_invalid_block() {
        let text = "package main\n# METADATA\n# title: [unclosed\ndeny := 1\n";
        let err = read("p.rego", text, "main", &mut Annotations::new()).expect_err("invalid");
        assert!(
            err.to_string()
                .starts_with("p.rego:2: invalid metadata annotation"),
            "{err}"
        );
    }
}
