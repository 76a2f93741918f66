//! RBAC: Roles and ClusterRoles that grant more than they seem to (wildcards, secrets, exec,
//! escalation verbs) and bindings that hand out cluster-admin or reach everyone.

use assay_core::{Rule, Severity};

use super::{Sink, rule};
use crate::k8s::load::Node;
use crate::k8s::object::Object;

pub(super) const WILDCARD_VERBS: Rule = rule(
    "ASSAY-K8S-061",
    Severity::Medium,
    "Role grants every verb",
    "`verbs: [\"*\"]` grants every action, including ones added to the API later, such as escalate, bind and impersonate.",
    "List the verbs the subject needs (get, list, watch, ...).",
    &[
        "cis-k8s:5.1.3",
        "checkov:CKV_K8S_49",
        "trivy:KSV045",
        "trivy:KSV044",
    ],
);

pub(super) const WILDCARD_RESOURCES: Rule = rule(
    "ASSAY-K8S-062",
    Severity::Medium,
    "Role grants access to every resource",
    "`resources: [\"*\"]` covers secrets, subresources such as pods/exec and every custom resource, present and future.",
    "List the resources the subject needs.",
    &["cis-k8s:5.1.3", "checkov:CKV_K8S_49", "trivy:KSV046"],
);

pub(super) const WILDCARD_API_GROUPS: Rule = rule(
    "ASSAY-K8S-063",
    Severity::Low,
    "Role grants access to every API group",
    "`apiGroups: [\"*\"]` extends the rule to every API group, including CRDs installed later.",
    "List the API groups the subject needs (\"\" for the core group).",
    &["cis-k8s:5.1.3"],
);

pub(super) const CLUSTER_ADMIN: Rule = rule(
    "ASSAY-K8S-064",
    Severity::High,
    "Subject bound to cluster-admin",
    "cluster-admin can do anything on every resource of the cluster; a compromised subject holding it owns the cluster.",
    "Bind a role that grants only the permissions needed.",
    &["cis-k8s:5.1.1", "trivy:KSV111"],
);

pub(super) const SECRETS_READ: Rule = rule(
    "ASSAY-K8S-065",
    Severity::Medium,
    "Role can read secrets",
    "get, list or watch on secrets reveals every credential in the namespace (cluster-wide for a ClusterRole), service account tokens included.",
    "Remove read access to secrets, or limit it with `resourceNames` to the secrets the subject needs.",
    &["cis-k8s:5.1.2"],
);

pub(super) const POD_EXEC: Rule = rule(
    "ASSAY-K8S-066",
    Severity::High,
    "Role can exec into pods",
    "create on pods/exec lets the subject run commands in any pod it can see, with that pod's service account and secrets.",
    "Remove pods/exec from the role; use it only in break-glass roles.",
    &["trivy:KSV053"],
);

pub(super) const POD_ATTACH: Rule = rule(
    "ASSAY-K8S-067",
    Severity::High,
    "Role can attach to pods",
    "create on pods/attach connects to the running process of any pod the subject can see.",
    "Remove pods/attach from the role.",
    &["trivy:KSV054"],
);

pub(super) const ESCALATE_BIND: Rule = rule(
    "ASSAY-K8S-068",
    Severity::High,
    "Role can escalate or bind roles",
    "The escalate and bind verbs let the subject grant itself, or others, permissions it does not hold, bypassing RBAC's escalation check.",
    "Remove the escalate and bind verbs.",
    &[
        "cis-k8s:5.1.8",
        "checkov:CKV_K8S_157",
        "checkov:CKV_K8S_158",
        "checkov:CKV2_K8S_1",
    ],
);

pub(super) const IMPERSONATE: Rule = rule(
    "ASSAY-K8S-069",
    Severity::High,
    "Role can impersonate users, groups or service accounts",
    "impersonate lets the subject act as any user, group or service account, including cluster administrators.",
    "Remove the impersonate verb.",
    &["cis-k8s:5.1.8", "trivy:KSV043", "checkov:CKV2_K8S_3"],
);

pub(super) const CREATE_WORKLOADS: Rule = rule(
    "ASSAY-K8S-070",
    Severity::Medium,
    "Role can create pods or workloads",
    "Whoever can create pods can run them with any service account of the namespace and mount its secrets, escalating to those accounts' rights.",
    "Grant workload creation only to deployment tooling, and restrict pods with Pod Security admission.",
    &["cis-k8s:5.1.4", "trivy:KSV048"],
);

pub(super) const NODE_PROXY: Rule = rule(
    "ASSAY-K8S-071",
    Severity::High,
    "Role can use the node proxy",
    "nodes/proxy reaches the kubelet API directly, bypassing admission and audit, and allows running commands in any pod on the node.",
    "Remove nodes/proxy from the role.",
    &["cis-k8s:5.1.10", "trivy:KSV047"],
);

pub(super) const SYSTEM_MASTERS: Rule = rule(
    "ASSAY-K8S-072",
    Severity::High,
    "Binding refers to the system:masters group",
    "system:masters bypasses RBAC entirely and its membership cannot be revoked short of rotating certificates.",
    "Do not bind or issue credentials for system:masters; bind a dedicated group to a scoped role.",
    &["cis-k8s:5.1.7"],
);

pub(super) const MANAGE_RBAC: Rule = rule(
    "ASSAY-K8S-073",
    Severity::Medium,
    "Role can modify RBAC",
    "Creating or changing Roles and bindings lets the subject rewrite who may do what.",
    "Grant RBAC management only to cluster administrators.",
    &["trivy:KSV050"],
);

pub(super) const WEBHOOKS: Rule = rule(
    "ASSAY-K8S-074",
    Severity::Medium,
    "Role can modify admission webhooks",
    "Whoever controls admission webhooks can read or rewrite every object sent to the API server, or switch policy enforcement off.",
    "Remove write access to validating and mutating webhook configurations.",
    &["cis-k8s:5.1.12", "trivy:KSV114", "checkov:CKV_K8S_155"],
);

pub(super) const CSR_APPROVAL: Rule = rule(
    "ASSAY-K8S-075",
    Severity::Medium,
    "Role can approve certificate signing requests",
    "Approving CSRs lets the subject mint client certificates, for example for system:masters or a node.",
    "Remove update on certificatesigningrequests/approval and approve on signers.",
    &["cis-k8s:5.1.11", "checkov:CKV_K8S_156"],
);

pub(super) const TOKEN_CREATE: Rule = rule(
    "ASSAY-K8S-076",
    Severity::Medium,
    "Role can create service account tokens",
    "create on serviceaccounts/token issues tokens for any service account in scope, acting as it.",
    "Remove create on serviceaccounts/token.",
    &["cis-k8s:5.1.13"],
);

pub(super) const PERSISTENT_VOLUMES: Rule = rule(
    "ASSAY-K8S-077",
    Severity::Medium,
    "Role can create persistent volumes",
    "A PersistentVolume can be of type hostPath, giving whoever mounts it the node's filesystem.",
    "Grant create on persistentvolumes only to storage administrators; let users create PersistentVolumeClaims.",
    &["cis-k8s:5.1.9"],
);

pub(super) const ANONYMOUS: Rule = rule(
    "ASSAY-K8S-078",
    Severity::High,
    "Binding grants permissions to unauthenticated users",
    "Binding to system:anonymous, system:unauthenticated or system:authenticated gives the permissions to anyone who can reach the API server.",
    "Bind to named users, groups or service accounts.",
    &[],
);

/// Subresources and resources that run code as a workload.
const WORKLOADS: &[&str] = &[
    "pods",
    "deployments",
    "statefulsets",
    "daemonsets",
    "replicasets",
    "replicationcontrollers",
    "jobs",
    "cronjobs",
];
const WRITE: &[&str] = &["create", "update", "patch"];
const MODIFY: &[&str] = &["create", "update", "patch", "delete", "deletecollection"];

/// One rule of a Role or ClusterRole.
struct PolicyRule<'a> {
    node: &'a Node,
    verbs: Vec<&'a str>,
    resources: Vec<&'a str>,
}

impl PolicyRule<'_> {
    fn has_verb(&self, wanted: &[&str]) -> bool {
        self.verbs.iter().any(|v| *v == "*" || wanted.contains(v))
    }

    fn has_resource(&self, wanted: &[&str]) -> bool {
        self.resources
            .iter()
            .any(|r| *r == "*" || wanted.contains(r))
    }
}

fn strings(node: Option<&Node>) -> Vec<&str> {
    node.map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter_map(Node::as_str)
        .collect()
}

pub(super) fn check(objects: &[Object<'_>], sink: &mut Sink<'_>) {
    for object in objects {
        match object.kind {
            "Role" | "ClusterRole" => check_role(object, sink),
            "RoleBinding" | "ClusterRoleBinding" => check_binding(object, sink),
            _ => {}
        }
    }
}

fn check_role(object: &Object<'_>, sink: &mut Sink<'_>) {
    for (index, node) in object
        .root
        .get("rules")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let rule = PolicyRule {
            node,
            verbs: strings(node.get("verbs")),
            resources: strings(node.get("resources")),
        };
        let field = format!("rules[{index}]");
        let mut report = |r: &Rule, at: &Node, what: &str| {
            sink.object(r, object, at, &field, &format!("{what} (rule {index})"))
        };
        for (key, lint, what) in [
            ("verbs", &WILDCARD_VERBS, "grants every verb"),
            (
                "resources",
                &WILDCARD_RESOURCES,
                "grants access to every resource",
            ),
            (
                "apiGroups",
                &WILDCARD_API_GROUPS,
                "grants access to every API group",
            ),
        ] {
            if let Some(at) = node.get(key).filter(|n| strings(Some(n)).contains(&"*")) {
                report(lint, at, what);
            }
        }
        if rule.has_resource(&["secrets"]) && rule.has_verb(&["get", "list", "watch"]) {
            report(&SECRETS_READ, rule.node, "can read secrets");
        }
        if rule.has_resource(&["pods/exec"]) && rule.has_verb(&["create", "get"]) {
            report(&POD_EXEC, rule.node, "can exec into pods");
        }
        if rule.has_resource(&["pods/attach"]) && rule.has_verb(&["create", "get"]) {
            report(&POD_ATTACH, rule.node, "can attach to pods");
        }
        let explicit = rule.verbs.iter().any(|v| *v == "escalate" || *v == "bind");
        // `*` includes escalate and bind, which matter on roles.
        if explicit || (rule.has_verb(&[]) && rule.has_resource(&["roles", "clusterroles"])) {
            report(&ESCALATE_BIND, rule.node, "can escalate or bind roles");
        }
        if rule.has_verb(&["impersonate"])
            && rule.has_resource(&["users", "groups", "serviceaccounts", "userextras"])
        {
            report(&IMPERSONATE, rule.node, "can impersonate other identities");
        }
        if rule.has_resource(WORKLOADS) && rule.has_verb(WRITE) {
            report(
                &CREATE_WORKLOADS,
                rule.node,
                "can create or change workloads",
            );
        }
        if rule.has_resource(&["nodes/proxy"]) && rule.has_verb(&["get", "create"]) {
            report(&NODE_PROXY, rule.node, "can use the node proxy");
        }
        if rule.has_resource(&[
            "roles",
            "clusterroles",
            "rolebindings",
            "clusterrolebindings",
        ]) && rule.has_verb(MODIFY)
        {
            report(&MANAGE_RBAC, rule.node, "can modify RBAC");
        }
        if rule.has_resource(&[
            "validatingwebhookconfigurations",
            "mutatingwebhookconfigurations",
        ]) && rule.has_verb(MODIFY)
        {
            report(&WEBHOOKS, rule.node, "can modify admission webhooks");
        }
        if (rule.has_resource(&["certificatesigningrequests/approval"])
            && rule.has_verb(&["update", "patch"]))
            || (rule.has_resource(&["signers"]) && rule.has_verb(&["approve"]))
        {
            report(
                &CSR_APPROVAL,
                rule.node,
                "can approve certificate signing requests",
            );
        }
        if rule.has_resource(&["serviceaccounts/token"]) && rule.has_verb(&["create"]) {
            report(
                &TOKEN_CREATE,
                rule.node,
                "can create service account tokens",
            );
        }
        if rule.has_resource(&["persistentvolumes"]) && rule.has_verb(&["create"]) {
            report(
                &PERSISTENT_VOLUMES,
                rule.node,
                "can create persistent volumes",
            );
        }
    }
}

fn check_binding(object: &Object<'_>, sink: &mut Sink<'_>) {
    if let Some(at) = object
        .root
        .at("roleRef.name")
        .filter(|n| n.as_str() == Some("cluster-admin"))
    {
        sink.object(&CLUSTER_ADMIN, object, at, "roleRef", "binds cluster-admin");
    }
    for subject in object
        .root
        .get("subjects")
        .map(Node::items)
        .unwrap_or_default()
    {
        let Some(name) = subject.get("name").and_then(Node::as_str) else {
            continue;
        };
        if name == "system:masters" {
            sink.object(
                &SYSTEM_MASTERS,
                object,
                subject,
                "subjects:system:masters",
                "binds the system:masters group",
            );
        }
        if matches!(
            name,
            "system:anonymous" | "system:unauthenticated" | "system:authenticated"
        ) {
            sink.object(
                &ANONYMOUS,
                object,
                subject,
                &format!("subjects:{name}"),
                &format!("grants its role to \"{name}\""),
            );
        }
    }
}
