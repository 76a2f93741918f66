//! The audit rules: each is a documented [`Rule`] next to the check that raises it.
//!
//! Checks read only finished requests ([`Event::is_final`]). Rules about what was created read
//! the object from the event, so they need the audit policy to log those resources at level
//! `Request` or `RequestResponse`; rules about who did what work at level `Metadata`.

use std::collections::{BTreeMap, VecDeque};

use assay_core::{Rule, RuleTarget, Severity};
use assay_iac::image_ref::ImageRef;
use serde_json::Value;

use super::event::Event;
use super::options::Settings;
use crate::workload;

const fn rule(
    id: &'static str,
    severity: Severity,
    title: &'static str,
    description: &'static str,
    remediation: &'static str,
    equivalents: &'static [&'static str],
) -> Rule {
    Rule {
        id,
        target: RuleTarget::Audit,
        severity,
        title,
        description,
        remediation,
        equivalents,
        opt_in: false,
    }
}

const PRIVILEGED: Rule = rule(
    "ASSAY-AUD-001",
    Severity::High,
    "Pod created with a privileged container",
    "A privileged container has every capability and the host's devices; escaping to the node from it takes one command.",
    "Find out who created it and why; enforce the Pod Security Standards baseline level on the namespace so the API server rejects such pods.",
    &["falco:Create Privileged Pod", "mitre:T1611", "pss:baseline"],
);

const HOST_NAMESPACES: Rule = rule(
    "ASSAY-AUD-002",
    Severity::High,
    "Pod created sharing the host's network, PID or IPC namespace",
    "A pod in the host's namespaces sees the node's processes, traffic or shared memory and can reach services bound to localhost on the node.",
    "Review the creator; enforce the Pod Security Standards baseline level so hostNetwork, hostPID and hostIPC are rejected.",
    &[
        "falco:Create HostNetwork Pod",
        "mitre:T1611",
        "pss:baseline",
    ],
);

const HOST_PATH: Rule = rule(
    "ASSAY-AUD-003",
    Severity::High,
    "Pod created with a hostPath volume",
    "A hostPath volume exposes the node's file system to the container: the container runtime socket, kubelet credentials or /etc give control of the node.",
    "Review the creator; enforce the Pod Security Standards baseline level, or allow hostPath only for named system workloads.",
    &[
        "falco:Create Sensitive Mount Pod",
        "mitre:T1611",
        "pss:baseline",
    ],
);

const EXEC: Rule = rule(
    "ASSAY-AUD-004",
    Severity::Medium,
    "Command executed in a container (pods/exec)",
    "`kubectl exec` runs arbitrary commands inside a running container, outside any image review; attackers use it to move through a cluster.",
    "Confirm the session was expected; grant `pods/exec` only to break-glass roles and prefer ephemeral debug containers that leave a record.",
    &["falco:Attach/Exec Pod", "mitre:T1609"],
);

const ATTACH: Rule = rule(
    "ASSAY-AUD-005",
    Severity::Medium,
    "Terminal attached to a container (pods/attach)",
    "Attaching to a container's main process gives its standard input and output, and with a shell entry point a shell.",
    "Confirm the session was expected; restrict `pods/attach` to break-glass roles.",
    &["falco:Attach/Exec Pod", "mitre:T1609"],
);

const PORT_FORWARD: Rule = rule(
    "ASSAY-AUD-006",
    Severity::Medium,
    "Port forwarded into a pod (pods/portforward)",
    "Port-forwarding tunnels traffic to a pod past NetworkPolicies and ingress authentication.",
    "Confirm the tunnel was expected; restrict `pods/portforward` to the people who need it.",
    &["mitre:T1090"],
);

const EPHEMERAL: Rule = rule(
    "ASSAY-AUD-007",
    Severity::Medium,
    "Ephemeral container added to a running pod",
    "An ephemeral container runs an image of the caller's choosing inside a running pod, sharing its namespaces and often its secrets, without going through the workload's image policy.",
    "Confirm the debugging session; restrict `pods/ephemeralcontainers` and admit only promoted debug images.",
    &["falco:EphemeralContainers Created", "mitre:T1609"],
);

const SECRET_READ: Rule = rule(
    "ASSAY-AUD-008",
    Severity::Medium,
    "Secret read by an unexpected identity",
    "Reading a secret reveals the credential in it; an identity outside the expected readers doing so is the typical next step after a stolen token.",
    "Check whether the identity should hold the secret; remove its RBAC access, or add it to the expected readers (`--secret-reader`).",
    &["mitre:T1552.007"],
);

const SECRET_LIST: Rule = rule(
    "ASSAY-AUD-009",
    Severity::High,
    "Secrets listed by an unexpected identity",
    "list and watch on secrets return every secret's contents in the namespace (or the cluster), service account tokens included.",
    "Remove list and watch on secrets from the identity's roles; grant get on named secrets instead.",
    &["mitre:T1552.007", "cis-k8s:5.1.2"],
);

const CLUSTER_ADMIN: Rule = rule(
    "ASSAY-AUD-010",
    Severity::High,
    "Binding to cluster-admin created or changed",
    "A binding to cluster-admin hands over the whole cluster; creating one is how attackers make their access permanent.",
    "Verify the change was approved; bind a role with only the permissions needed and remove the binding otherwise.",
    &[
        "falco:Attach to cluster-admin Role",
        "mitre:T1098",
        "cis-k8s:5.1.1",
    ],
);

const BINDING_EVERYONE: Rule = rule(
    "ASSAY-AUD-011",
    Severity::High,
    "Binding grants a role to anonymous or every authenticated user",
    "Subjects system:anonymous, system:unauthenticated or system:authenticated reach everyone who can talk to the API server, on some platforms every Google or cloud account.",
    "Remove the binding or bind named users, groups or service accounts.",
    &["mitre:T1098", "cis-k8s:5.1.1"],
);

const ROLE_WILDCARD: Rule = rule(
    "ASSAY-AUD-012",
    Severity::Medium,
    "Role created or changed with wildcard or escalation permissions",
    "Wildcard verbs or resources, and the escalate, bind and impersonate verbs, let a subject grant itself any permission.",
    "List the verbs and resources needed; keep escalate, bind and impersonate out of roles bound to workloads.",
    &[
        "falco:ClusterRole With Wildcard Created",
        "mitre:T1098",
        "cis-k8s:5.1.3",
    ],
);

const ANONYMOUS: Rule = rule(
    "ASSAY-AUD-013",
    Severity::High,
    "Anonymous request succeeded",
    "A request without credentials that succeeds (beyond the public health and version endpoints) means anonymous access is granted something it should not be.",
    "Remove RBAC bindings to system:anonymous and system:unauthenticated, or start the API server with `--anonymous-auth=false`.",
    &[
        "falco:Anonymous Request Allowed",
        "cis-k8s:1.2.1",
        "mitre:T1078",
    ],
);

const REGISTRY: Rule = rule(
    "ASSAY-AUD-014",
    Severity::High,
    "Workload created with an image from a registry outside the allowed list",
    "An image from an unvetted registry skipped the organisation's scanning, signing and promotion; the admission webhook should have stopped it.",
    "Promote the image into an allowed registry; check why admission control let it through.",
    &["falco:Create Disallowed Pod", "mitre:T1610"],
);

const NO_DIGEST: Rule = rule(
    "ASSAY-AUD-015",
    Severity::Medium,
    "Workload created with an image not pinned by digest",
    "A tag can be moved to other content at any time, so what runs is not necessarily what was scanned and promoted.",
    "Reference images as `name@sha256:...`; require digests at admission.",
    &["mitre:T1610"],
);

const NOT_PROMOTED: Rule = rule(
    "ASSAY-AUD-016",
    Severity::High,
    "Workload created with an image that was not promoted",
    "Only promoted digests passed the golden-image policy (scan, signature, approvals); anything else running skipped it.",
    "Run the image through `assay promote`, or find out how it got past the admission webhook.",
    &["mitre:T1610"],
);

const WEBHOOK_DELETED: Rule = rule(
    "ASSAY-AUD-017",
    Severity::High,
    "Admission webhook configuration deleted",
    "Deleting a validating or mutating webhook configuration switches off the policy it enforced, such as the image admission policy.",
    "Restore the configuration from source control; restrict who may delete webhook configurations.",
    &["mitre:T1562.001"],
);

const WEBHOOK_CHANGED: Rule = rule(
    "ASSAY-AUD-018",
    Severity::Medium,
    "Admission webhook configuration created or changed",
    "A changed webhook configuration can exempt namespaces, switch failurePolicy to Ignore or route objects to a webhook that rewrites them.",
    "Compare the configuration with source control; restrict who may change webhook configurations.",
    &["mitre:T1562.001"],
);

const TOKEN_OUTSIDE: Rule = rule(
    "ASSAY-AUD-019",
    Severity::High,
    "Service account token requested from outside the cluster",
    "Tokens are normally requested by kubelets and controllers inside the cluster; a request from elsewhere suggests a stolen credential minting tokens.",
    "Find the client; revoke the requesting credential; list the cluster's address ranges with `--cluster-cidr` if they are not private ranges.",
    &["mitre:T1528"],
);

const FORBIDDEN_BURST: Rule = rule(
    "ASSAY-AUD-020",
    Severity::Medium,
    "Repeated denied requests from one identity",
    "Many 403 answers in a short time are what permission probing looks like (`kubectl auth can-i --list` by hand, or a tool enumerating with a stolen token).",
    "Find out what the identity is and what it tried; revoke it if it is not a misconfigured workload.",
    &["mitre:T1613", "mitre:T1069"],
);

const CSR_APPROVED: Rule = rule(
    "ASSAY-AUD-021",
    Severity::High,
    "Certificate signing request approved by an unexpected identity",
    "An approved CSR yields a client certificate the API server trusts until it expires and that cannot be revoked; approving one for system:masters gives permanent cluster-admin.",
    "Check the CSR's subject and signer; approve only through the expected approvers (`--csr-approver`).",
    &["mitre:T1098"],
);

const NODE_PROXY: Rule = rule(
    "ASSAY-AUD-022",
    Severity::High,
    "Kubelet API reached through nodes/proxy",
    "nodes/proxy reaches the kubelet API, which runs commands in any pod on the node without the exec audit trail.",
    "Remove nodes/proxy from roles other than monitoring that needs it, and check what was called.",
    &["mitre:T1609"],
);

const IMPERSONATION: Rule = rule(
    "ASSAY-AUD-023",
    Severity::Medium,
    "Request made while impersonating another identity",
    "Impersonation makes a request as someone else; used outside debugging it hides who acted and can reach groups such as system:masters.",
    "Confirm the impersonation was expected; limit the impersonate verb to named users and groups.",
    &["mitre:T1078", "mitre:T1134"],
);

const EVENTS_DELETED: Rule = rule(
    "ASSAY-AUD-024",
    Severity::Medium,
    "Kubernetes events deleted",
    "Events expire on their own; deleting them removes the record of what happened in the cluster, a common step to cover tracks.",
    "Find out who deleted them and why; remove delete on events from roles that do not need it.",
    &["mitre:T1070"],
);

const KUBE_SYSTEM_POD: Rule = rule(
    "ASSAY-AUD-025",
    Severity::Medium,
    "Pod created in kube-system by a non-system identity",
    "kube-system holds the cluster's most privileged service accounts; a pod created there by a person can mount them.",
    "Deploy workloads to their own namespaces; restrict create on pods in kube-system to controllers.",
    &["falco:Pod Created in Kube Namespace", "mitre:T1610"],
);

/// Every audit rule, in id order (the ids are contiguous, see the test below).
pub static RULES: &[Rule] = &[
    PRIVILEGED,
    HOST_NAMESPACES,
    HOST_PATH,
    EXEC,
    ATTACH,
    PORT_FORWARD,
    EPHEMERAL,
    SECRET_READ,
    SECRET_LIST,
    CLUSTER_ADMIN,
    BINDING_EVERYONE,
    ROLE_WILDCARD,
    ANONYMOUS,
    REGISTRY,
    NO_DIGEST,
    NOT_PROMOTED,
    WEBHOOK_DELETED,
    WEBHOOK_CHANGED,
    TOKEN_OUTSIDE,
    FORBIDDEN_BURST,
    CSR_APPROVED,
    NODE_PROXY,
    IMPERSONATION,
    EVENTS_DELETED,
    KUBE_SYSTEM_POD,
];

/// One rule raised by one event: the detail says what exactly was wrong, the anchor tells
/// several hits of the same rule on one event apart (a container name, a subject).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hit {
    pub rule: &'static Rule,
    pub detail: String,
    pub anchor: String,
}

fn hit(rule: &'static Rule, detail: impl Into<String>, anchor: impl Into<String>) -> Hit {
    Hit {
        rule,
        detail: detail.into(),
        anchor: anchor.into(),
    }
}

const WRITE_VERBS: &[&str] = &["create", "update", "patch"];

/// Paths anonymous users may read by default (`system:public-info-viewer` and the service
/// account issuer discovery), so a success there is expected.
const PUBLIC_PATHS: &[&str] = &[
    "/healthz",
    "/livez",
    "/readyz",
    "/version",
    "/.well-known/openid-configuration",
    "/openid/v1/jwks",
];

fn is_public_path(uri: &str) -> bool {
    let path = uri.split('?').next().unwrap_or(uri);
    PUBLIC_PATHS
        .iter()
        .any(|p| path == *p || path.starts_with(&format!("{p}/")))
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_str()
}

fn bool_at(v: &Value, path: &[&str]) -> bool {
    path.iter()
        .try_fold(v, |v, k| v.get(k))
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// The rules one event raises on its own (everything but the 403 burst, which needs history).
pub(crate) fn check_event(event: &Event, settings: &Settings) -> Vec<Hit> {
    let mut hits = Vec::new();
    if !event.is_final() {
        return hits;
    }
    let ok = event.succeeded();
    let resource = event.resource();
    let sub = event.subresource();
    let verb = event.verb.as_str();
    let user = event.user.username.as_str();
    let namespace = event
        .object_ref
        .as_ref()
        .map_or("", |o| o.namespace.as_str());

    if ok
        && WRITE_VERBS.contains(&verb)
        && sub.is_empty()
        && let (Some(kind), Some(body)) = (workload::kind_of_resource(resource), event.body())
        && let Some(spec) = workload::pod_spec(kind, body)
    {
        pod_checks(spec, settings, &mut hits);
    }
    if ok
        && resource == "pods"
        && verb == "create"
        && sub.is_empty()
        && namespace == "kube-system"
        && !user.starts_with("system:")
    {
        hits.push(hit(&KUBE_SYSTEM_POD, "pod created in kube-system", ""));
    }
    if ok && resource == "pods" {
        match sub {
            "exec" => hits.push(hit(&EXEC, exec_command(event), "")),
            "attach" => hits.push(hit(&ATTACH, "attached to a container", "")),
            "portforward" => hits.push(hit(&PORT_FORWARD, "port forwarded", "")),
            "ephemeralcontainers" if WRITE_VERBS.contains(&verb) => {
                let images: Vec<String> = event
                    .body()
                    .and_then(|b| b.get("spec"))
                    .map(|s| {
                        workload::containers(s)
                            .into_iter()
                            .filter(|c| c.section == "ephemeralContainers")
                            .map(|c| format!("{} ({})", c.name, c.image))
                            .collect()
                    })
                    .unwrap_or_default();
                let detail = if images.is_empty() {
                    "ephemeral container added".to_string()
                } else {
                    format!("ephemeral containers now {}", images.join(", "))
                };
                hits.push(hit(&EPHEMERAL, detail, ""));
            }
            _ => {}
        }
    }
    if ok && resource == "secrets" && !settings.secret_readers.is_match(user) {
        match verb {
            "get" => hits.push(hit(&SECRET_READ, "secret read", "")),
            "list" | "watch" => hits.push(hit(&SECRET_LIST, format!("secrets {verb}ed"), "")),
            _ => {}
        }
    }
    if ok
        && matches!(resource, "clusterrolebindings" | "rolebindings")
        && WRITE_VERBS.contains(&verb)
        && let Some(body) = event.body()
    {
        binding_checks(body, &mut hits);
    }
    if ok
        && matches!(resource, "clusterroles" | "roles")
        && WRITE_VERBS.contains(&verb)
        && let Some(body) = event.body()
    {
        role_checks(body, &mut hits);
    }
    let anonymous = user == "system:anonymous"
        || event
            .user
            .groups
            .iter()
            .any(|g| g == "system:unauthenticated");
    if ok && anonymous && !(event.object_ref.is_none() && is_public_path(&event.request_uri)) {
        hits.push(hit(&ANONYMOUS, "request without credentials succeeded", ""));
    }
    if ok
        && matches!(
            resource,
            "validatingwebhookconfigurations" | "mutatingwebhookconfigurations"
        )
    {
        match verb {
            "delete" | "deletecollection" => {
                hits.push(hit(&WEBHOOK_DELETED, "webhook configuration deleted", ""));
            }
            "create" | "update" | "patch" => {
                hits.push(hit(
                    &WEBHOOK_CHANGED,
                    format!("webhook configuration {verb}d"),
                    "",
                ));
            }
            _ => {}
        }
    }
    if ok && resource == "serviceaccounts" && sub == "token" && verb == "create" {
        let client = event.source_ips.first().map_or("", String::as_str);
        if !settings.in_cluster(client) {
            hits.push(hit(
                &TOKEN_OUTSIDE,
                format!(
                    "token requested from {}",
                    if client.is_empty() {
                        "an unknown address"
                    } else {
                        client
                    }
                ),
                client,
            ));
        }
    }
    if ok
        && resource == "certificatesigningrequests"
        && sub == "approval"
        && WRITE_VERBS.contains(&verb)
        && !settings.csr_approvers.is_match(user)
    {
        let approved = event.body().is_none_or(|b| {
            b.get("status")
                .and_then(|s| s.get("conditions"))
                .and_then(Value::as_array)
                .is_some_and(|c| c.iter().any(|c| str_at(c, &["type"]) == Some("Approved")))
        });
        if approved {
            hits.push(hit(
                &CSR_APPROVED,
                "certificate signing request approved",
                "",
            ));
        }
    }
    if ok && resource == "nodes" && sub == "proxy" {
        hits.push(hit(
            &NODE_PROXY,
            "kubelet API called through the API server",
            "",
        ));
    }
    if ok && let Some(as_user) = &event.impersonated_user {
        let mut who = as_user.username.clone();
        if !as_user.groups.is_empty() {
            who.push_str(&format!(" (groups {})", as_user.groups.join(", ")));
        }
        hits.push(hit(&IMPERSONATION, format!("acting as {who}"), ""));
    }
    if ok && resource == "events" && matches!(verb, "delete" | "deletecollection") {
        hits.push(hit(&EVENTS_DELETED, format!("events {verb}d"), ""));
    }
    hits
}

/// `kubectl exec`'s command, from the `command=` query parameters.
fn exec_command(event: &Event) -> String {
    let query = event.request_uri.split_once('?').map_or("", |(_, q)| q);
    let parts: Vec<String> = query
        .split('&')
        .filter_map(|kv| kv.strip_prefix("command="))
        .map(percent_decode)
        .collect();
    if parts.is_empty() {
        "command executed in a container".to_string()
    } else {
        format!("ran {:?}", parts.join(" "))
    }
}

/// Decodes `%XX` and `+` in a query value. Hand-written: one call site, and pulling a URL crate
/// for it would cost more than these lines.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = s
            .get(i + 1..i + 3)
            .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
        match (bytes[i], hex) {
            (b'%', Some(hex)) => {
                out.push(u8::from_str_radix(hex, 16).unwrap_or(b'%'));
                i += 3;
                continue;
            }
            (b'+', _) => out.push(b' '),
            (b, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn pod_checks(spec: &Value, settings: &Settings, hits: &mut Vec<Hit>) {
    for c in workload::containers(spec) {
        if bool_at(c.value, &["securityContext", "privileged"]) {
            hits.push(hit(
                &PRIVILEGED,
                format!("container {:?} is privileged", c.name),
                c.name,
            ));
        }
        if c.image.is_empty() {
            continue;
        }
        let image = ImageRef::parse(c.image);
        if !settings.allowed_registries.is_empty()
            && !settings
                .allowed_registries
                .iter()
                .any(|e| image.allowed_by(e))
        {
            hits.push(hit(
                &REGISTRY,
                format!(
                    "container {:?} uses {:?} from {}, outside the allowed registries",
                    c.name, c.image, image.registry
                ),
                c.name,
            ));
        }
        match &image.digest {
            None => hits.push(hit(
                &NO_DIGEST,
                format!(
                    "container {:?} uses {:?}, not pinned by digest",
                    c.name, c.image
                ),
                c.name,
            )),
            Some(digest) => {
                if !settings.promoted.is_empty()
                    && !settings.promoted.contains(&digest.to_ascii_lowercase())
                {
                    hits.push(hit(
                        &NOT_PROMOTED,
                        format!(
                            "container {:?} uses {:?}, a digest that was not promoted",
                            c.name, c.image
                        ),
                        c.name,
                    ));
                }
            }
        }
        if image.digest.is_none() && !settings.promoted.is_empty() {
            hits.push(hit(
                &NOT_PROMOTED,
                format!(
                    "container {:?} uses {:?}, which has no digest to match a promotion",
                    c.name, c.image
                ),
                c.name,
            ));
        }
    }
    let shared: Vec<&str> = ["hostNetwork", "hostPID", "hostIPC"]
        .into_iter()
        .filter(|k| bool_at(spec, &[k]))
        .collect();
    if !shared.is_empty() {
        hits.push(hit(
            &HOST_NAMESPACES,
            format!("pod sets {}", shared.join(", ")),
            shared.join(","),
        ));
    }
    for volume in spec
        .get("volumes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(path) = str_at(volume, &["hostPath", "path"]) {
            let name = str_at(volume, &["name"]).unwrap_or("");
            hits.push(hit(
                &HOST_PATH,
                format!("volume {name:?} mounts the node's {path}"),
                name,
            ));
        }
    }
}

const EVERYONE: &[(&str, &str)] = &[
    ("User", "system:anonymous"),
    ("Group", "system:anonymous"),
    ("Group", "system:unauthenticated"),
    ("Group", "system:authenticated"),
];

fn binding_checks(body: &Value, hits: &mut Vec<Hit>) {
    let role = str_at(body, &["roleRef", "name"]).unwrap_or("");
    let role_kind = str_at(body, &["roleRef", "kind"]).unwrap_or("");
    let subjects: Vec<(&str, &str)> = body
        .get("subjects")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|s| {
            (
                str_at(s, &["kind"]).unwrap_or(""),
                str_at(s, &["name"]).unwrap_or(""),
            )
        })
        .collect();
    let list = subjects
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    if role == "cluster-admin" && role_kind == "ClusterRole" {
        hits.push(hit(
            &CLUSTER_ADMIN,
            format!(
                "cluster-admin bound to {}",
                if list.is_empty() { "no subject" } else { &list }
            ),
            "",
        ));
    }
    for (kind, name) in &subjects {
        if EVERYONE.contains(&(*kind, *name)) {
            hits.push(hit(
                &BINDING_EVERYONE,
                format!("{role_kind} {role} bound to {kind} {name}"),
                *name,
            ));
        }
    }
}

const ESCALATION_VERBS: &[&str] = &["*", "escalate", "bind", "impersonate"];

fn role_checks(body: &Value, hits: &mut Vec<Hit>) {
    let mut found: Vec<String> = Vec::new();
    for r in body
        .get("rules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let list = |key: &str| -> Vec<&str> {
            r.get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect()
        };
        for v in list("verbs") {
            if ESCALATION_VERBS.contains(&v) && !found.contains(&format!("verb {v}")) {
                found.push(format!("verb {v}"));
            }
        }
        if list("resources").contains(&"*") && !found.iter().any(|f| f == "resource *") {
            found.push("resource *".to_string());
        }
    }
    if !found.is_empty() {
        hits.push(hit(
            &ROLE_WILDCARD,
            format!("role grants {}", found.join(", ")),
            "",
        ));
    }
}

/// Counts 403 answers per identity over a sliding window; raises a hit when an identity
/// reaches the threshold, then starts counting afresh so that a long probe gives one finding
/// per burst rather than one per request.
#[derive(Debug, Default)]
pub(crate) struct ForbiddenCounter {
    seen: BTreeMap<String, VecDeque<(i64, String)>>,
}

impl ForbiddenCounter {
    /// Feeds one event (in time order); returns a hit when this event completes a burst.
    pub(crate) fn feed(&mut self, event: &Event, settings: &Settings) -> Option<Hit> {
        if !event.is_final() || event.code() != Some(403) {
            return None;
        }
        let seconds = event.time().parse::<jiff::Timestamp>().ok()?.as_second();
        let user = event.user.username.clone();
        let window = self.seen.entry(user).or_default();
        window.push_back((seconds, event.time().to_string()));
        while window
            .front()
            .is_some_and(|(t, _)| seconds - *t >= settings.forbidden_window)
        {
            window.pop_front();
        }
        if window.len() < settings.forbidden_threshold {
            return None;
        }
        let first = window.front().map(|(_, s)| s.clone()).unwrap_or_default();
        let count = window.len();
        window.clear();
        Some(hit(
            &FORBIDDEN_BURST,
            format!(
                "{count} requests denied within {}s (first at {first})",
                settings.forbidden_window
            ),
            first,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_contiguous_and_documented() {
        for (i, r) in RULES.iter().enumerate() {
            assert_eq!(r.id, format!("ASSAY-AUD-{:03}", i + 1));
            assert_eq!(r.target, RuleTarget::Audit);
            assert!(!r.title.is_empty() && !r.description.is_empty() && !r.remediation.is_empty());
        }
        assert!(RULES.len() >= 20);
    }

    #[test]
    fn percent_decoding_handles_escapes_and_plus() {
        assert_eq!(percent_decode("cat%20%2Fetc%2Fshadow"), "cat /etc/shadow");
        assert_eq!(percent_decode("a+b%"), "a b%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }

    #[test]
    fn public_paths_are_exempt_only_as_such() {
        assert!(is_public_path("/healthz?verbose"));
        assert!(is_public_path("/livez/etcd"));
        assert!(!is_public_path("/healthzx"));
        assert!(!is_public_path("/api/v1/secrets"));
    }
}
