//! Kubernetes manifests: [`load`] turns YAML or JSON text (many documents, `List` kinds) into
//! position-carrying trees, [`object`] gives rules a typed view of workloads and their pod spec,
//! [`rules`] holds the checks and [`suppress`] the in-manifest ignores.
//!
//! Rules see the whole set of objects scanned in one call, because some checks (is this
//! namespace covered by a NetworkPolicy? does the ServiceAccount disable token mounting?) are
//! about how objects relate, not about one object.

use assay_core::{Finding, Rule};

use crate::{IacOptions, ParseError};

mod load;
mod object;
mod rules;
mod suppress;

use load::Node;
use object::Object;

/// The built-in Kubernetes rules, in id order.
pub static RULES: &[Rule] = rules::RULES;

/// What scanning one YAML/JSON file gave.
#[derive(Debug, Default)]
pub struct ManifestScan {
    /// Whether the file held at least one Kubernetes object (others are skipped quietly).
    pub is_kubernetes: bool,
    /// Findings of the Kubernetes rules, suppressed ones included (marked).
    pub findings: Vec<Finding>,
}

/// One Kubernetes object of a file, as policies (Rego) receive it.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The object, as JSON.
    pub object: serde_json::Value,
    /// 1-based line where the object starts.
    pub line: u32,
    /// `kind`.
    pub kind: String,
    /// `metadata.namespace`, when written.
    pub namespace: Option<String>,
    /// `metadata.name` (or `generateName`), empty when absent.
    pub name: String,
}

/// Loads every Kubernetes object of `text` (named `path` in errors): each YAML document, JSON,
/// and the items of `List` kinds. Documents that are not Kubernetes objects are left out.
pub fn documents(path: &str, text: &str) -> Result<Vec<Document>, ParseError> {
    let roots = load::parse(path, text)?;
    Ok(objects(&roots)
        .into_iter()
        .map(|o| Document {
            object: o.root.to_json(),
            line: o.root.line,
            kind: o.kind.to_string(),
            namespace: o.namespace.map(str::to_string),
            name: o.name.to_string(),
        })
        .collect())
}

/// Loads every document of `text` (named `path` in findings) and runs the Kubernetes rules.
///
/// Settings in `options` that are rule inputs (allowed registries) are used here; enabling,
/// disabling and profiles are left to [`IacOptions::apply`].
pub fn scan(path: &str, text: &str, options: &IacOptions) -> Result<ManifestScan, ParseError> {
    let roots = load::parse(path, text)?;
    let objects = objects(&roots);
    if objects.is_empty() {
        return Ok(ManifestScan::default());
    }
    let inline = suppress::inline_comments(text);
    let findings = rules::run(&objects, &[], path, options, &inline);
    Ok(ManifestScan {
        is_kubernetes: true,
        findings,
    })
}

/// Scans several files as one set, as `kubectl apply -f DIR` would deploy them: each file's
/// findings are its own, but a NetworkPolicy or ServiceAccount in one file counts for the
/// workloads of the others. `files` are (path, text) pairs; results come back in the same
/// order, a parse error affecting only its own file.
pub fn scan_set(
    files: &[(String, String)],
    options: &IacOptions,
) -> Vec<Result<ManifestScan, ParseError>> {
    let parsed: Vec<Result<Vec<Node>, ParseError>> = files
        .iter()
        .map(|(path, text)| load::parse(path, text))
        .collect();
    let per_file: Vec<Vec<Object<'_>>> = parsed
        .iter()
        .map(|roots| roots.as_ref().map(|r| objects(r)).unwrap_or_default())
        .collect();
    files
        .iter()
        .zip(&parsed)
        .enumerate()
        .map(|(i, ((path, text), roots))| {
            roots.as_ref().map_err(Clone::clone)?;
            let own = &per_file[i];
            if own.is_empty() {
                return Ok(ManifestScan::default());
            }
            let related: Vec<&Object<'_>> = per_file
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .flat_map(|(_, objs)| objs.iter())
                .filter(|o| matches!(o.kind, "NetworkPolicy" | "ServiceAccount"))
                .collect();
            let inline = suppress::inline_comments(text);
            Ok(ManifestScan {
                is_kubernetes: true,
                findings: rules::run(own, &related, path, options, &inline),
            })
        })
        .collect()
}

/// The Kubernetes objects among `roots`, `List` kinds expanded into their items.
fn objects(roots: &[Node]) -> Vec<Object<'_>> {
    let mut out = Vec::new();
    for root in roots {
        let Some(object) = Object::from_node(root) else {
            continue;
        };
        if object.kind.ends_with("List")
            && let Some(items) = root.get("items")
        {
            out.extend(items.items().iter().filter_map(Object::from_node));
            continue;
        }
        out.push(object);
    }
    out
}
