//! Secrets where they do not belong: literal values in environment variables and ConfigMaps.
//! Messages name the variable or key, never the value.

use assay_core::{Rule, Severity};

use super::{Sink, pods, rule};
use crate::k8s::load::Node;
use crate::k8s::object::Object;
use crate::secret_name::is_secret_name;

pub(super) const ENV_LITERAL: Rule = rule(
    "ASSAY-K8S-051",
    Severity::High,
    "Secret written as a literal environment variable",
    "A password or token written in the manifest ends up in Git history, in `kubectl get -o yaml` output and in every copy of the manifest.",
    "Move the value into a Secret (or an external secret store) and reference it with `valueFrom.secretKeyRef` or a mounted file; rotate the exposed value.",
    &[],
);

pub(super) const ENV_SECRET_REF: Rule = Rule {
    opt_in: true,
    ..rule(
        "ASSAY-K8S-052",
        Severity::Low,
        "Secret passed as an environment variable",
        "Environment variables leak into crash dumps, child processes and logs more easily than files; secrets are better mounted as volumes.",
        "Mount the Secret as a volume and read the value from the file.",
        &["cis-k8s:5.4.1", "checkov:CKV_K8S_35"],
    )
};

pub(super) const CONFIGMAP_SECRET: Rule = rule(
    "ASSAY-K8S-053",
    Severity::Medium,
    "ConfigMap holds a secret-looking value",
    "ConfigMaps are not meant for secrets: they are readable by far more subjects than Secrets and are never encrypted at rest.",
    "Move the value into a Secret (or an external secret store) and rotate it.",
    &[],
);

/// Whether a literal is a real value, not empty, a `$(VAR)` reference or a placeholder.
fn is_literal(value: &str) -> bool {
    let v = value.trim();
    v.len() >= 4 && !v.starts_with("$(") && !v.starts_with("${")
}

pub(super) fn check(objects: &[Object<'_>], sink: &mut Sink<'_>) {
    for (object, pod) in pods(objects) {
        for container in pod.containers() {
            for var in container
                .node
                .get("env")
                .map(Node::items)
                .unwrap_or_default()
            {
                let name = var.get("name").and_then(Node::as_str).unwrap_or("");
                if let Some(value) = var.get("value")
                    && is_secret_name(name)
                    && value.text().is_some_and(|v| is_literal(&v))
                {
                    sink.container(
                        &ENV_LITERAL,
                        object,
                        &container,
                        value,
                        &format!("env:{name}"),
                        &format!("sets the secret-looking variable \"{name}\" to a literal value"),
                    );
                }
                if let Some(at) = var.at("valueFrom.secretKeyRef") {
                    sink.container(
                        &ENV_SECRET_REF,
                        object,
                        &container,
                        at,
                        &format!("env:{name}"),
                        &format!("passes a Secret in the environment variable \"{name}\""),
                    );
                }
            }
            for source in container
                .node
                .get("envFrom")
                .map(Node::items)
                .unwrap_or_default()
            {
                if let Some(at) = source.get("secretRef") {
                    let name = at.get("name").and_then(Node::as_str).unwrap_or("");
                    sink.container(
                        &ENV_SECRET_REF,
                        object,
                        &container,
                        at,
                        &format!("envFrom:{name}"),
                        &format!("loads the Secret \"{name}\" into its environment"),
                    );
                }
            }
        }
    }
    for object in objects.iter().filter(|o| o.kind == "ConfigMap") {
        for (key, value) in object
            .root
            .get("data")
            .map(Node::entries)
            .unwrap_or_default()
        {
            if is_secret_name(key) && value.text().is_some_and(|v| is_literal(&v)) {
                sink.object(
                    &CONFIGMAP_SECRET,
                    object,
                    value,
                    &format!("data:{key}"),
                    &format!("holds the secret-looking key \"{key}\""),
                );
            }
        }
    }
}
