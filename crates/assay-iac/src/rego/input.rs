//! The documents policies receive as `input`, shaped as Conftest shapes them so that existing
//! policies work unchanged, each with the context its findings point at.
//!
//! - A Dockerfile is one input: the array of instructions `{Cmd, Flags, Value, Stage,
//!   Original, StartLine, EndLine, JSON, SubCmd}` ([`crate::dockerfile::conftest_input`]).
//!   Findings point at line 1 unless the result names a `line`.
//! - A manifest file gives one input per Kubernetes object (each YAML document, each item of a
//!   `List`); findings point at the object's first line and name it `Kind/namespace/name`.

use crate::ParseError;
use crate::dockerfile;
use crate::k8s;

use super::EvalContext;

/// One document to evaluate and where its findings point.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    /// The `input` document.
    pub value: serde_json::Value,
    /// Target, file, default line and resource of its findings.
    pub context: EvalContext,
}

/// Parses a Dockerfile (named `path`, part of `target`) into Conftest's instruction list.
pub fn dockerfile_input(target: &str, path: &str, text: &str) -> Result<Input, ParseError> {
    let df = dockerfile::parse(path, text)?;
    Ok(Input {
        value: dockerfile::conftest_input(&df),
        context: EvalContext {
            target: target.to_string(),
            path: path.to_string(),
            line: 1,
            resource: None,
        },
    })
}

/// Parses a manifest file (named `path`, part of `target`) into one input per Kubernetes
/// object. Documents that are not Kubernetes objects are left out, as the built-in rules do.
pub fn manifest_inputs(target: &str, path: &str, text: &str) -> Result<Vec<Input>, ParseError> {
    Ok(k8s::documents(path, text)?
        .into_iter()
        .map(|doc| {
            let resource = resource_of(&doc.kind, doc.namespace.as_deref(), &doc.name);
            manifest_input(target, path, doc.object, doc.line, resource)
        })
        .collect())
}

/// One Kubernetes object already loaded (`object` starting at `line` of `path`).
pub fn manifest_input(
    target: &str,
    path: &str,
    object: serde_json::Value,
    line: u32,
    resource: String,
) -> Input {
    Input {
        value: object,
        context: EvalContext {
            target: target.to_string(),
            path: path.to_string(),
            line: line.max(1),
            resource: Some(resource),
        },
    }
}

/// `Kind/namespace/name`, or `Kind/name` when no namespace is written: the same resource
/// names the built-in Kubernetes rules use.
pub fn resource_of(kind: &str, namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) => format!("{kind}/{ns}/{name}"),
        None => format!("{kind}/{name}"),
    }
}
