//! Service account tokens: mounted only where the API is used, and the `default` account kept
//! powerless, since every pod that names no account runs as it.

use assay_core::{Rule, Severity};

use super::{Sink, pods, rule};
use crate::k8s::load::Node;
use crate::k8s::object::Object;

pub(super) const AUTOMOUNT_TOKEN: Rule = rule(
    "ASSAY-K8S-054",
    Severity::Low,
    "Pod mounts a service account token it may not need",
    "Unless `automountServiceAccountToken` is false, every container gets an API token; an attacker in the pod can use it against the API server.",
    "Set `automountServiceAccountToken: false` on the pod (or its ServiceAccount) unless it calls the Kubernetes API.",
    &["cis-k8s:5.1.6", "checkov:CKV_K8S_38", "trivy:KSV036"],
);

pub(super) const DEFAULT_SA_AUTOMOUNT: Rule = rule(
    "ASSAY-K8S-055",
    Severity::Low,
    "Default service account mounts its token",
    "Every pod that names no service account runs as `default`; if its token is mounted, all those pods carry API credentials.",
    "Set `automountServiceAccountToken: false` on the `default` ServiceAccount of each namespace.",
    &["cis-k8s:5.1.5"],
);

pub(super) const DEFAULT_SA_USED: Rule = Rule {
    opt_in: true,
    ..rule(
        "ASSAY-K8S-056",
        Severity::Low,
        "Pod runs as the default service account",
        "Sharing the `default` account between workloads means a permission granted for one is granted to all.",
        "Create a ServiceAccount per workload and set `serviceAccountName`.",
        &["cis-k8s:5.1.5"],
    )
};

pub(super) const DEFAULT_SA_BOUND: Rule = rule(
    "ASSAY-K8S-057",
    Severity::Medium,
    "Role bound to a default service account",
    "Permissions bound to a namespace's `default` account are given to every pod in it that names no account.",
    "Bind the role to a dedicated ServiceAccount instead of `default`.",
    &["cis-k8s:5.1.5"],
);

pub(super) fn check(objects: &[Object<'_>], related: &[&Object<'_>], sink: &mut Sink<'_>) {
    for (object, pod) in pods(objects) {
        let account_node = pod
            .spec
            .get("serviceAccountName")
            .or_else(|| pod.spec.get("serviceAccount"));
        let account = account_node.and_then(Node::as_str).unwrap_or("default");
        let namespace = object.effective_namespace();
        let account_disables = objects.iter().chain(related.iter().copied()).any(|o| {
            o.kind == "ServiceAccount"
                && o.name == account
                && o.effective_namespace() == namespace
                && o.root
                    .get("automountServiceAccountToken")
                    .and_then(Node::as_bool)
                    == Some(false)
        });
        match pod.spec.get("automountServiceAccountToken") {
            Some(n) if n.as_bool() == Some(false) => {}
            None if account_disables => {}
            found => sink.object(
                &AUTOMOUNT_TOKEN,
                object,
                found.unwrap_or(pod.spec),
                "spec.automountServiceAccountToken",
                "mounts a service account token",
            ),
        }
        if account == "default" {
            sink.object(
                &DEFAULT_SA_USED,
                object,
                account_node.unwrap_or(pod.spec),
                "spec.serviceAccountName",
                "runs as the default service account",
            );
        }
    }
    for object in objects.iter() {
        if object.kind == "ServiceAccount" && object.name == "default" {
            match object.root.get("automountServiceAccountToken") {
                Some(n) if n.as_bool() == Some(false) => {}
                found => sink.object(
                    &DEFAULT_SA_AUTOMOUNT,
                    object,
                    found.unwrap_or(object.root),
                    "automountServiceAccountToken",
                    "does not disable token automounting",
                ),
            }
        }
        if matches!(object.kind, "RoleBinding" | "ClusterRoleBinding") {
            for subject in object
                .root
                .get("subjects")
                .map(Node::items)
                .unwrap_or_default()
            {
                let kind = subject.get("kind").and_then(Node::as_str);
                let name = subject.get("name").and_then(Node::as_str);
                if kind == Some("ServiceAccount") && name == Some("default") {
                    let namespace = subject
                        .get("namespace")
                        .and_then(Node::as_str)
                        .unwrap_or_else(|| object.effective_namespace());
                    sink.object(
                        &DEFAULT_SA_BOUND,
                        object,
                        subject,
                        &format!("subjects:default:{namespace}"),
                        &format!("binds a role to the default service account of namespace \"{namespace}\""),
                    );
                }
            }
        }
    }
}
