//! Dockerfile parsing and rules.
//!
//! The parser follows BuildKit (the builder users run), not a simplified grammar, so that a
//! finding points at what will really be built: [`parse`] gives instructions with their line
//! spans, stages and substituted arguments; `RUN` lines are read as shell ([`shell`]) so rules
//! see each command with its arguments. Rules live in `rules/`, one module per family, and
//! return plain findings; inline `# assay:ignore=` comments are applied here ([`suppress`]).

use assay_core::{Finding, Rule};
use serde_json::{Value, json};

use crate::{IacOptions, ParseError};

pub mod expand;
mod heredoc;
mod parse;
mod rules;
pub mod shell;
mod stages;
mod suppress;

pub use parse::{Comment, Dockerfile, Heredoc, Instruction, Stage};

/// The built-in Dockerfile rules, in id order.
pub static RULES: &[Rule] = rules::RULES;

/// Parses a Dockerfile the way BuildKit does: directives, continuations, heredocs, JSON and
/// shell forms, stages and `ARG`/`ENV` substitution.
pub fn parse(path: &str, text: &str) -> Result<Dockerfile, ParseError> {
    let mut df = parse::lex(path, text)?;
    stages::resolve(&mut df);
    Ok(df)
}

/// Parses `text` (named `path` in findings) and runs the Dockerfile rules. Every finding is
/// returned, suppressed ones marked as such; [`IacOptions::apply`] does the filtering.
pub fn scan(path: &str, text: &str, options: &IacOptions) -> Result<Vec<Finding>, ParseError> {
    let df = parse(path, text)?;
    let hits = rules::run(path, &df, options);
    let suppressions = suppress::Suppressions::new(path, &df);
    Ok(hits
        .into_iter()
        .filter_map(|hit| {
            let ins = df.instructions.get(hit.instruction)?;
            let anchor = ins.normalized();
            let resource = ins
                .stage
                .and_then(|s| df.stages.get(s))
                .map_or_else(|| "global".to_string(), Stage::label);
            let mut finding = Finding::new(
                assay_core::FindingKind::Misconfig,
                hit.rule.id,
                hit.rule.severity,
                hit.rule.title,
                hit.message,
                path,
                assay_core::Location::lines(path, ins.start_line, ins.end_line),
                &anchor,
            )
            .with_resource(resource, &anchor)
            .with_fix(hit.rule.remediation);
            finding.suppression = suppressions.find(hit.rule.id, ins);
            Some(finding)
        })
        .collect())
}

/// The file in Conftest's shape for Rego policies: one object per instruction with `Cmd`
/// (lower case), `Flags`, `Value`, `Stage`, `Original`, `StartLine`, `EndLine`, `JSON` and
/// `SubCmd` (the trigger of `ONBUILD`), as BuildKit's parser gives them.
pub fn conftest_input(df: &Dockerfile) -> Value {
    let items: Vec<Value> = df
        .instructions
        .iter()
        .map(|ins| {
            let (sub, inner) = match &ins.onbuild {
                Some(inner) => (inner.keyword.to_ascii_lowercase(), inner.as_ref()),
                None => (String::new(), ins),
            };
            json!({
                "Cmd": ins.keyword.to_ascii_lowercase(),
                "SubCmd": sub,
                "Flags": inner.flags,
                "Value": inner.args,
                "JSON": inner.json,
                "Stage": ins.stage.unwrap_or(0),
                "Original": ins.original,
                "StartLine": ins.start_line,
                "EndLine": ins.end_line,
            })
        })
        .collect();
    Value::Array(items)
}
