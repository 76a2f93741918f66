//! Resource requests and limits, and health probes: what lets the scheduler place a pod and the
//! kubelet notice when it is broken.

use assay_core::{Rule, Severity};

use super::{Sink, pods, rule};
use crate::k8s::load::Node;
use crate::k8s::object::{ContainerKind, Object};

pub(super) const CPU_REQUEST: Rule = rule(
    "ASSAY-K8S-035",
    Severity::Low,
    "Container has no CPU request",
    "Without a CPU request the scheduler cannot place the pod sensibly and the container is the first to be starved under contention.",
    "Set `resources.requests.cpu` to the CPU the container needs at steady state.",
    &[
        "kube-score:container-resources",
        "checkov:CKV_K8S_10",
        "trivy:KSV015",
    ],
);

pub(super) const CPU_LIMIT: Rule = rule(
    "ASSAY-K8S-036",
    Severity::Low,
    "Container has no CPU limit",
    "A container without a CPU limit can use every core of the node, starving its neighbours (a denial of service from one compromised or buggy pod).",
    "Set `resources.limits.cpu`.",
    &[
        "kube-score:container-resources",
        "checkov:CKV_K8S_11",
        "trivy:KSV011",
    ],
);

pub(super) const MEMORY_REQUEST: Rule = rule(
    "ASSAY-K8S-037",
    Severity::Low,
    "Container has no memory request",
    "Without a memory request the scheduler may overcommit the node and the container is among the first evicted under memory pressure.",
    "Set `resources.requests.memory`.",
    &[
        "kube-score:container-resources",
        "checkov:CKV_K8S_12",
        "trivy:KSV016",
    ],
);

pub(super) const MEMORY_LIMIT: Rule = rule(
    "ASSAY-K8S-038",
    Severity::Medium,
    "Container has no memory limit",
    "A container without a memory limit can exhaust the node's memory and get other pods OOM-killed.",
    "Set `resources.limits.memory`.",
    &[
        "kube-score:container-resources",
        "checkov:CKV_K8S_13",
        "trivy:KSV018",
    ],
);

pub(super) const LIVENESS_PROBE: Rule = rule(
    "ASSAY-K8S-039",
    Severity::Low,
    "Container has no liveness probe",
    "Without a liveness probe a hung process keeps its pod Running forever instead of being restarted.",
    "Add a `livenessProbe` (httpGet, tcpSocket, grpc or exec) that fails when the process is stuck.",
    &["kube-score:pod-probes", "checkov:CKV_K8S_8"],
);

pub(super) const READINESS_PROBE: Rule = rule(
    "ASSAY-K8S-040",
    Severity::Low,
    "Container has no readiness probe",
    "Without a readiness probe traffic reaches the pod before it can serve and keeps reaching it while it cannot.",
    "Add a `readinessProbe` that succeeds only when the container can serve requests.",
    &["kube-score:pod-probes", "checkov:CKV_K8S_9"],
);

pub(super) const EPHEMERAL_STORAGE: Rule = Rule {
    opt_in: true,
    ..rule(
        "ASSAY-K8S-041",
        Severity::Low,
        "Container has no ephemeral-storage request and limit",
        "Writes to emptyDir, logs and the writable layer count against the node's disk; an unbounded container can fill it and get every pod evicted.",
        "Set `resources.requests.ephemeral-storage` and `resources.limits.ephemeral-storage`.",
        &["kube-score:container-ephemeral-storage-request-and-limit"],
    )
};

pub(super) const CPU_REQUEST_EQUALS_LIMIT: Rule = Rule {
    opt_in: true,
    ..rule(
        "ASSAY-K8S-042",
        Severity::Low,
        "Container CPU request differs from its limit",
        "Equal requests and limits put the pod in the Guaranteed QoS class and make its performance predictable.",
        "Set `resources.requests.cpu` equal to `resources.limits.cpu`.",
        &["kube-score:container-cpu-requests-equal-limits"],
    )
};

pub(super) const MEMORY_REQUEST_EQUALS_LIMIT: Rule = Rule {
    opt_in: true,
    ..rule(
        "ASSAY-K8S-043",
        Severity::Low,
        "Container memory request differs from its limit",
        "A memory limit above the request lets the node overcommit; the container is then OOM-killed when neighbours grow.",
        "Set `resources.requests.memory` equal to `resources.limits.memory`.",
        &["kube-score:container-memory-requests-equal-limits"],
    )
};

pub(super) fn check(objects: &[Object<'_>], sink: &mut Sink<'_>) {
    for (object, pod) in pods(objects) {
        let is_job = matches!(object.kind, "Job" | "CronJob");
        for container in pod.containers() {
            if container.kind == ContainerKind::Ephemeral {
                continue;
            }
            let node = container.node;
            let resources = node.get("resources");
            let at = resources.unwrap_or(node);
            let get = |path: &str| resources.and_then(|r| r.at(path));
            for (path, rule, what) in [
                ("requests.cpu", &CPU_REQUEST, "has no CPU request"),
                ("limits.cpu", &CPU_LIMIT, "has no CPU limit"),
                ("requests.memory", &MEMORY_REQUEST, "has no memory request"),
                ("limits.memory", &MEMORY_LIMIT, "has no memory limit"),
            ] {
                if get(path).is_none() {
                    sink.container(
                        rule,
                        object,
                        &container,
                        at,
                        &format!("resources.{path}"),
                        what,
                    );
                }
            }
            let request = resources
                .and_then(|r| r.get("requests"))
                .and_then(|r| r.get("ephemeral-storage"));
            let limit = resources
                .and_then(|r| r.get("limits"))
                .and_then(|r| r.get("ephemeral-storage"));
            if request.is_none() || limit.is_none() {
                sink.container(
                    &EPHEMERAL_STORAGE,
                    object,
                    &container,
                    at,
                    "resources.ephemeral-storage",
                    "has no ephemeral-storage request and limit",
                );
            }
            for (resource, rule) in [
                ("cpu", &CPU_REQUEST_EQUALS_LIMIT),
                ("memory", &MEMORY_REQUEST_EQUALS_LIMIT),
            ] {
                let request = get(&format!("requests.{resource}")).and_then(quantity);
                let limit = get(&format!("limits.{resource}"));
                if let (Some(request), Some(limit_node)) = (request, limit)
                    && quantity(limit_node)
                        .is_some_and(|l| (l - request).abs() > f64::EPSILON * l.abs().max(1.0))
                {
                    sink.container(
                        rule,
                        object,
                        &container,
                        limit_node,
                        &format!("resources.{resource}"),
                        &format!("has a {resource} request different from its limit"),
                    );
                }
            }
            if container.kind != ContainerKind::Container || is_job {
                continue;
            }
            for (key, rule, what) in [
                ("livenessProbe", &LIVENESS_PROBE, "has no liveness probe"),
                ("readinessProbe", &READINESS_PROBE, "has no readiness probe"),
            ] {
                if node.get(key).is_none() {
                    sink.container(rule, object, &container, node, key, what);
                }
            }
        }
    }
}

/// A Kubernetes quantity (`250m`, `0.5`, `512Mi`, `1G`) as a number, for comparing requests and
/// limits written in different units.
fn quantity(node: &Node) -> Option<f64> {
    let text = node.text()?;
    let text = text.trim();
    let split = text
        .find(|c: char| c.is_ascii_alphabetic() && c != 'e' && c != 'E')
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let factor = match suffix {
        "" => 1.0,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "Ki" => 1024.0,
        "Mi" => 1024.0 * 1024.0,
        "Gi" => 1024.0 * 1024.0 * 1024.0,
        "Ti" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    Some(number * factor)
}
