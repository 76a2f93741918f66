//! Network exposure: Services reachable from outside the cluster, Ingresses without TLS, and
//! workloads that no NetworkPolicy isolates (computed across every object of the scan).

use assay_core::{Rule, Severity};

use super::{Sink, pods, rule};
use crate::k8s::load::Node;
use crate::k8s::object::Object;

pub(super) const NODE_PORT: Rule = rule(
    "ASSAY-K8S-079",
    Severity::Low,
    "Service is of type NodePort",
    "A NodePort opens the port on every node's address, usually bypassing the load balancer's TLS, WAF and access control.",
    "Use a ClusterIP Service behind an Ingress or Gateway.",
    &["kube-score:service-type"],
);

pub(super) const LOAD_BALANCER: Rule = rule(
    "ASSAY-K8S-080",
    Severity::Low,
    "Service is of type LoadBalancer",
    "A LoadBalancer Service gives the workload its own external address, outside the Ingress where TLS and authentication are usually enforced.",
    "Expose HTTP services through an Ingress or Gateway; if a load balancer is needed, restrict it with `loadBalancerSourceRanges` or an internal annotation.",
    &[],
);

pub(super) const EXTERNAL_IPS: Rule = rule(
    "ASSAY-K8S-081",
    Severity::Medium,
    "Service sets externalIPs",
    "externalIPs let a Service capture traffic for arbitrary addresses, the man-in-the-middle technique of CVE-2020-8554.",
    "Remove `externalIPs`; use a LoadBalancer or Ingress, and block the field with an admission policy.",
    &[],
);

pub(super) const INGRESS_TLS: Rule = rule(
    "ASSAY-K8S-082",
    Severity::Medium,
    "Ingress has no TLS",
    "Without `tls` the Ingress serves plain HTTP, exposing credentials and session cookies on the network.",
    "Add a `tls` section with the hosts and a certificate Secret (cert-manager can issue it).",
    &[],
);

pub(super) const NO_NETWORK_POLICY: Rule = rule(
    "ASSAY-K8S-083",
    Severity::Medium,
    "Workload is not selected by any NetworkPolicy",
    "Pods no NetworkPolicy selects accept traffic from every pod of the cluster, so one compromised pod can reach them all.",
    "Add a default-deny NetworkPolicy (`podSelector: {}`) to the namespace and allow the traffic each workload needs.",
    &[
        "cis-k8s:5.3.2",
        "kube-score:pod-networkpolicy",
        "trivy:KSV038",
    ],
);

pub(super) const ALLOW_ALL_INGRESS: Rule = rule(
    "ASSAY-K8S-084",
    Severity::Medium,
    "NetworkPolicy allows ingress from everywhere",
    "An empty ingress rule (or an empty peer) admits traffic from every pod and every address, cancelling the isolation the policy creates.",
    "List the allowed peers with podSelector, namespaceSelector or ipBlock.",
    &[],
);

pub(super) const ALLOW_ALL_EGRESS: Rule = rule(
    "ASSAY-K8S-085",
    Severity::Low,
    "NetworkPolicy allows egress to everywhere",
    "Unrestricted egress lets a compromised pod exfiltrate data and reach the cloud metadata service.",
    "List the allowed destinations and ports, for example DNS and the services the workload calls.",
    &[],
);

pub(super) const NGINX_SNIPPETS: Rule = rule(
    "ASSAY-K8S-086",
    Severity::Medium,
    "Ingress injects NGINX configuration snippets",
    "Snippet annotations put raw NGINX configuration in the controller, which can read the controller's service account token and every Secret it sees (CVE-2021-25742).",
    "Remove the snippet annotations and disable `allow-snippet-annotations` in the controller.",
    &["checkov:CKV_K8S_153"],
);

const SNIPPET_ANNOTATIONS: &[&str] = &[
    "nginx.ingress.kubernetes.io/server-snippet",
    "nginx.ingress.kubernetes.io/configuration-snippet",
    "nginx.ingress.kubernetes.io/auth-snippet",
    "nginx.ingress.kubernetes.io/stream-snippet",
    "nginx.ingress.kubernetes.io/modsecurity-snippet",
];

pub(super) fn check(objects: &[Object<'_>], related: &[&Object<'_>], sink: &mut Sink<'_>) {
    for object in objects {
        match object.kind {
            "Service" => check_service(object, sink),
            "Ingress" => check_ingress(object, sink),
            "NetworkPolicy" => check_policy(object, sink),
            _ => {}
        }
    }
    let policies: Vec<&Object<'_>> = objects
        .iter()
        .chain(related.iter().copied())
        .filter(|o| o.kind == "NetworkPolicy")
        .collect();
    for (object, pod) in pods(objects) {
        let namespace = object.effective_namespace();
        let selected = policies.iter().any(|policy| {
            policy.effective_namespace() == namespace
                && policy
                    .root
                    .at("spec.podSelector")
                    .is_none_or(|selector| selects(selector, pod.labels()))
        });
        if !selected {
            let at = object
                .metadata()
                .and_then(|m| m.get("name"))
                .unwrap_or(object.root);
            sink.object(
                &NO_NETWORK_POLICY,
                object,
                at,
                "networkpolicy",
                &format!("is not selected by any NetworkPolicy of namespace \"{namespace}\""),
            );
        }
    }
}

/// Whether a label selector matches `labels` (matchLabels and matchExpressions).
fn selects(selector: &Node, labels: &[(String, Node)]) -> bool {
    let label = |key: &str| {
        labels
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| v.text())
    };
    let labels_match = selector
        .get("matchLabels")
        .map(Node::entries)
        .unwrap_or_default()
        .iter()
        .all(|(k, v)| label(k).is_some() && label(k) == v.text());
    let expressions_match = selector
        .get("matchExpressions")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .all(|e| {
            let key = e.get("key").and_then(Node::as_str).unwrap_or("");
            let values: Vec<String> = e
                .get("values")
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .filter_map(Node::text)
                .collect();
            let value = label(key);
            match e.get("operator").and_then(Node::as_str) {
                Some("In") => value.is_some_and(|v| values.contains(&v)),
                Some("NotIn") => value.is_none_or(|v| !values.contains(&v)),
                Some("Exists") => value.is_some(),
                Some("DoesNotExist") => value.is_none(),
                _ => false,
            }
        });
    labels_match && expressions_match
}

fn check_service(object: &Object<'_>, sink: &mut Sink<'_>) {
    if let Some(at) = object.root.at("spec.type") {
        match at.as_str() {
            Some("NodePort") => sink.object(
                &NODE_PORT,
                object,
                at,
                "spec.type",
                "is exposed on every node as a NodePort",
            ),
            Some("LoadBalancer") => sink.object(
                &LOAD_BALANCER,
                object,
                at,
                "spec.type",
                "is exposed through its own load balancer",
            ),
            _ => {}
        }
    }
    if let Some(at) = object
        .root
        .at("spec.externalIPs")
        .filter(|n| !n.items().is_empty())
    {
        sink.object(
            &EXTERNAL_IPS,
            object,
            at,
            "spec.externalIPs",
            "sets externalIPs",
        );
    }
}

fn check_ingress(object: &Object<'_>, sink: &mut Sink<'_>) {
    if object
        .root
        .at("spec.tls")
        .is_none_or(|n| n.items().is_empty())
    {
        let at = object.root.get("spec").unwrap_or(object.root);
        sink.object(
            &INGRESS_TLS,
            object,
            at,
            "spec.tls",
            "serves plain HTTP (no tls section)",
        );
    }
    let annotations = object.metadata().and_then(|m| m.get("annotations"));
    for key in SNIPPET_ANNOTATIONS {
        if let Some(at) = annotations.and_then(|a| a.get(key)) {
            sink.object(
                &NGINX_SNIPPETS,
                object,
                at,
                &format!("annotations:{key}"),
                &format!("sets the annotation {key}"),
            );
        }
    }
}

fn check_policy(object: &Object<'_>, sink: &mut Sink<'_>) {
    for (direction, peers, rule) in [
        ("ingress", "from", &ALLOW_ALL_INGRESS),
        ("egress", "to", &ALLOW_ALL_EGRESS),
    ] {
        for (index, item) in object
            .root
            .at(&format!("spec.{direction}"))
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let peer_list = item.get(peers);
            let open = match peer_list {
                None => item.get("ports").is_none_or(|p| p.items().is_empty()),
                Some(list) => {
                    list.items().is_empty() || list.items().iter().any(|p| p.entries().is_empty())
                }
            };
            if open {
                sink.object(
                    rule,
                    object,
                    item,
                    &format!("spec.{direction}[{index}]"),
                    &format!(
                        "allows {direction} {} everywhere",
                        if direction == "ingress" { "from" } else { "to" }
                    ),
                );
            }
        }
    }
}
