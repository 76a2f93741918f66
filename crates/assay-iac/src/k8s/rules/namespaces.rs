//! Where objects land: the `default` namespace mixes unrelated workloads under shared policies,
//! and `kube-system` is for the control plane.

use assay_core::{Rule, Severity};

use super::{Sink, rule};
use crate::k8s::object::Object;

pub(super) const DEFAULT_NAMESPACE: Rule = rule(
    "ASSAY-K8S-058",
    Severity::Low,
    "Object placed in the default namespace",
    "The default namespace is shared by everything deployed without thought; RBAC, quotas and NetworkPolicies cannot be scoped to one application there.",
    "Create a namespace per application or team and set `metadata.namespace` to it.",
    &["cis-k8s:5.7.4", "checkov:CKV_K8S_21", "trivy:KSV110"],
);

pub(super) const MISSING_NAMESPACE: Rule = Rule {
    opt_in: true,
    ..rule(
        "ASSAY-K8S-059",
        Severity::Low,
        "Object has no namespace",
        "Without `metadata.namespace` the object lands in whatever namespace the deploying context uses, often `default`.",
        "Set `metadata.namespace` explicitly (or through kustomize's `namespace:`).",
        &["cis-k8s:5.7.4", "checkov:CKV_K8S_21", "trivy:KSV110"],
    )
};

pub(super) const KUBE_SYSTEM: Rule = rule(
    "ASSAY-K8S-060",
    Severity::Medium,
    "Workload placed in kube-system",
    "kube-system holds the control plane's credentials and is often exempt from admission policies; application pods there get that trust.",
    "Deploy application workloads to their own namespace.",
    &["trivy:KSV037"],
);

pub(super) fn check(objects: &[Object<'_>], sink: &mut Sink<'_>) {
    for object in objects.iter().filter(|o| o.is_namespaced()) {
        let namespace_node = object.metadata().and_then(|m| m.get("namespace"));
        match (object.namespace, namespace_node) {
            (Some("default"), Some(at)) => sink.object(
                &DEFAULT_NAMESPACE,
                object,
                at,
                "metadata.namespace",
                "is placed in the default namespace",
            ),
            (Some("kube-system"), Some(at)) if object.pod().is_some() => sink.object(
                &KUBE_SYSTEM,
                object,
                at,
                "metadata.namespace",
                "runs in the kube-system namespace",
            ),
            (None, _) => sink.object(
                &MISSING_NAMESPACE,
                object,
                object.metadata().unwrap_or(object.root),
                "metadata.namespace",
                "has no namespace",
            ),
            _ => {}
        }
    }
}
