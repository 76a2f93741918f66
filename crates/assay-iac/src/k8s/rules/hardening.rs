//! Container hardening beyond the Pod Security Standards: read-only root filesystems, runtime
//! sockets and sensitive host paths, dangerous capabilities, user and group ids.

use assay_core::{Rule, Severity};

use super::{Sink, capability, pods, rule};
use crate::k8s::load::Node;
use crate::k8s::object::{Container, Object, Pod};

pub(super) const READ_ONLY_ROOT: Rule = rule(
    "ASSAY-K8S-022",
    Severity::Low,
    "Container root filesystem is writable",
    "A writable root filesystem lets an attacker drop tools and persist changes to binaries and configuration inside the container.",
    "Set `securityContext.readOnlyRootFilesystem: true` and mount an emptyDir where the application must write.",
    &[
        "kube-score:container-security-context-readonlyrootfilesystem",
        "checkov:CKV_K8S_22",
        "trivy:KSV014",
    ],
);

pub(super) const RUNTIME_SOCKET: Rule = rule(
    "ASSAY-K8S-023",
    Severity::Critical,
    "Pod mounts the container runtime socket",
    "Whoever can talk to docker.sock, containerd.sock or crio.sock can start privileged containers on the node: it is root on the node.",
    "Remove the hostPath volume of the runtime socket; build images with rootless tools (BuildKit rootless, kaniko) instead.",
    &["checkov:CKV_K8S_27", "trivy:KSV006"],
);

pub(super) const NET_RAW: Rule = rule(
    "ASSAY-K8S-024",
    Severity::Low,
    "Container keeps the NET_RAW capability",
    "NET_RAW lets a process craft raw packets, enabling ARP and DNS spoofing against other pods on the node.",
    "Drop NET_RAW (or ALL) in `securityContext.capabilities.drop` and do not add it back.",
    &["cis-k8s:5.2.8", "checkov:CKV_K8S_28"],
);

pub(super) const SYS_ADMIN: Rule = rule(
    "ASSAY-K8S-025",
    Severity::High,
    "Container adds SYS_ADMIN",
    "SYS_ADMIN is close to full root: it allows mounting filesystems and many known container escapes.",
    "Remove SYS_ADMIN (and ALL) from `securityContext.capabilities.add`.",
    &["checkov:CKV_K8S_39", "trivy:KSV005"],
);

pub(super) const LOW_UID: Rule = Rule {
    opt_in: true,
    ..rule(
        "ASSAY-K8S-026",
        Severity::Low,
        "Container UID is below 10000",
        "UIDs below 10000 may collide with users of the node; if the container escapes, it acts as that host user.",
        "Set `securityContext.runAsUser` to 10000 or more.",
        &[
            "kube-score:container-security-context-user-group-id",
            "checkov:CKV_K8S_40",
            "trivy:KSV020",
        ],
    )
};

pub(super) const LOW_GID: Rule = Rule {
    opt_in: true,
    ..rule(
        "ASSAY-K8S-027",
        Severity::Low,
        "Container GID is below 10000",
        "GIDs below 10000 may collide with groups of the node, granting access to host files of that group after an escape.",
        "Set `securityContext.runAsGroup` to 10000 or more.",
        &[
            "kube-score:container-security-context-user-group-id",
            "trivy:KSV021",
        ],
    )
};

pub(super) const ROOT_GROUP: Rule = rule(
    "ASSAY-K8S-028",
    Severity::Low,
    "Pod runs with the root group",
    "GID 0 (as runAsGroup, fsGroup or a supplemental group) gives access to files owned by the root group.",
    "Use a non-zero `runAsGroup`, `fsGroup` and `supplementalGroups`.",
    &["trivy:KSV029"],
);

pub(super) const SHARE_PROCESS_NAMESPACE: Rule = rule(
    "ASSAY-K8S-029",
    Severity::Low,
    "Pod shares one process namespace between containers",
    "With `shareProcessNamespace: true` every container sees the others' processes and can read their environment and filesystem through /proc.",
    "Remove `shareProcessNamespace: true` unless a sidecar truly needs it.",
    &[],
);

pub(super) const HOST_ALIASES: Rule = rule(
    "ASSAY-K8S-030",
    Severity::Low,
    "Pod overrides host name resolution",
    "`hostAliases` rewrites /etc/hosts in the pod, which can silently redirect traffic and hides the dependency from DNS.",
    "Remove `hostAliases` and use DNS (a Service or ExternalName) instead.",
    &["trivy:KSV007"],
);

pub(super) const NO_CONTAINER_SECURITY_CONTEXT: Rule = rule(
    "ASSAY-K8S-031",
    Severity::Low,
    "Container has no securityContext",
    "Without a securityContext the container gets every runtime default: root, writable filesystem, default capabilities, privilege escalation allowed.",
    "Add a `securityContext` with runAsNonRoot, allowPrivilegeEscalation: false, readOnlyRootFilesystem and capabilities.drop: [ALL].",
    &["cis-k8s:5.7.3", "checkov:CKV_K8S_30"],
);

pub(super) const NO_POD_SECURITY_CONTEXT: Rule = rule(
    "ASSAY-K8S-032",
    Severity::Low,
    "Pod has no securityContext",
    "The pod-level securityContext sets defaults (runAsNonRoot, seccomp, fsGroup) that every container, including future ones, inherits.",
    "Add `spec.securityContext` with runAsNonRoot: true and seccompProfile.type: RuntimeDefault.",
    &["cis-k8s:5.7.3", "checkov:CKV_K8S_29", "trivy:KSV118"],
);

pub(super) const SENSITIVE_HOST_PATH: Rule = rule(
    "ASSAY-K8S-033",
    Severity::High,
    "Pod mounts a sensitive host directory",
    "Host directories such as /, /etc, /proc, /var/run or /var/lib/kubelet hold node credentials, runtime sockets and configuration; mounting them hands the node over.",
    "Remove the hostPath volume; if node data is truly needed, mount the narrowest path read-only.",
    &["trivy:KSV121"],
);

pub(super) const WRITABLE_HOST_PATH: Rule = rule(
    "ASSAY-K8S-034",
    Severity::Medium,
    "Container mounts a hostPath volume writable",
    "A writable hostPath mount lets the container change files on the node that outlive it and that other workloads or the kubelet trust.",
    "Set `readOnly: true` on the volumeMount of every hostPath volume.",
    &[],
);

const RUNTIME_SOCKETS: &[&str] = &[
    "docker.sock",
    "containerd.sock",
    "crio.sock",
    "cri-dockerd.sock",
    "dockershim.sock",
];

const SENSITIVE_PATHS: &[&str] = &[
    "/",
    "/etc",
    "/proc",
    "/sys",
    "/root",
    "/boot",
    "/dev",
    "/run",
    "/var/run",
    "/var/lib/kubelet",
    "/var/lib/docker",
    "/var/lib/containerd",
    "/etc/kubernetes",
];

pub(super) fn check(objects: &[Object<'_>], sink: &mut Sink<'_>) {
    for (object, pod) in pods(objects) {
        check_pod(object, &pod, sink);
        for container in pod.containers() {
            check_container(object, &pod, &container, sink);
        }
    }
}

fn host_path(volume: &Node) -> Option<(&Node, &str)> {
    let node = volume.get("hostPath")?.get("path")?;
    Some((node, node.as_str()?))
}

fn check_pod(object: &Object<'_>, pod: &Pod<'_>, sink: &mut Sink<'_>) {
    for volume in pod.volumes() {
        let name = volume.get("name").and_then(Node::as_str).unwrap_or("");
        let Some((at, path)) = host_path(volume) else {
            continue;
        };
        let field = format!("volume:{name}/hostPath.path");
        if RUNTIME_SOCKETS.iter().any(|s| path.ends_with(s)) {
            sink.object(
                &RUNTIME_SOCKET,
                object,
                at,
                &field,
                &format!("mounts the container runtime socket \"{path}\""),
            );
        }
        let trimmed = match path.trim_end_matches('/') {
            "" => "/",
            p => p,
        };
        if SENSITIVE_PATHS.contains(&trimmed) {
            sink.object(
                &SENSITIVE_HOST_PATH,
                object,
                at,
                &field,
                &format!("mounts the sensitive host directory \"{path}\""),
            );
        }
    }
    let groups = [pod.security("runAsGroup"), pod.security("fsGroup")]
        .into_iter()
        .flatten()
        .chain(
            pod.security("supplementalGroups")
                .map(Node::items)
                .unwrap_or_default(),
        );
    for at in groups.filter(|n| n.as_i64() == Some(0)) {
        sink.object(
            &ROOT_GROUP,
            object,
            at,
            "securityContext.groups",
            "runs with the root group (GID 0)",
        );
    }
    if let Some(at) = pod
        .spec
        .get("shareProcessNamespace")
        .filter(|n| n.as_bool() == Some(true))
    {
        sink.object(
            &SHARE_PROCESS_NAMESPACE,
            object,
            at,
            "spec.shareProcessNamespace",
            "shares one process namespace between its containers",
        );
    }
    if let Some(at) = pod
        .spec
        .get("hostAliases")
        .filter(|n| !n.items().is_empty())
    {
        sink.object(
            &HOST_ALIASES,
            object,
            at,
            "spec.hostAliases",
            "overrides /etc/hosts with hostAliases",
        );
    }
    if pod
        .spec
        .get("securityContext")
        .is_none_or(|n| n.entries().is_empty())
    {
        sink.object(
            &NO_POD_SECURITY_CONTEXT,
            object,
            pod.spec,
            "spec.securityContext",
            "has no pod securityContext",
        );
    }
}

fn check_container(
    object: &Object<'_>,
    pod: &Pod<'_>,
    container: &Container<'_>,
    sink: &mut Sink<'_>,
) {
    let node = container.node;
    match container.security("readOnlyRootFilesystem") {
        Some(n) if n.as_bool() == Some(true) => {}
        found => sink.container(
            &READ_ONLY_ROOT,
            object,
            container,
            found.unwrap_or(node),
            "securityContext.readOnlyRootFilesystem",
            "has a writable root filesystem",
        ),
    }
    let added = container
        .security("capabilities.add")
        .map(Node::items)
        .unwrap_or_default();
    let dropped = container
        .security("capabilities.drop")
        .map(Node::items)
        .unwrap_or_default();
    let adds = |name: &str| {
        added
            .iter()
            .find(|c| capability(c).as_deref() == Some(name))
    };
    if let Some(at) = adds("SYS_ADMIN").or_else(|| adds("ALL")) {
        sink.container(
            &SYS_ADMIN,
            object,
            container,
            at,
            "capabilities.add:SYS_ADMIN",
            "adds SYS_ADMIN",
        );
    }
    let drops_net_raw = dropped
        .iter()
        .any(|c| matches!(capability(c).as_deref(), Some("ALL" | "NET_RAW")));
    if let Some(at) = adds("NET_RAW").or_else(|| adds("ALL")) {
        sink.container(
            &NET_RAW,
            object,
            container,
            at,
            "capabilities.net_raw",
            "adds NET_RAW",
        );
    } else if !drops_net_raw {
        let at = container.security("capabilities.drop").unwrap_or(node);
        sink.container(
            &NET_RAW,
            object,
            container,
            at,
            "capabilities.net_raw",
            "does not drop NET_RAW",
        );
    }
    for (field, rule, what) in [
        ("runAsUser", &LOW_UID, "UID"),
        ("runAsGroup", &LOW_GID, "GID"),
    ] {
        match pod.effective(container, field) {
            Some(n) if n.as_i64().is_some_and(|id| id >= 10000) => {}
            found => sink.container(
                rule,
                object,
                container,
                found.unwrap_or(node),
                &format!("securityContext.{field}"),
                &format!("runs with a {what} below 10000"),
            ),
        }
    }
    if let Some(at) = container
        .security("runAsGroup")
        .filter(|n| n.as_i64() == Some(0))
    {
        sink.container(
            &ROOT_GROUP,
            object,
            container,
            at,
            "securityContext.runAsGroup",
            "runs with the root group (GID 0)",
        );
    }
    if node
        .get("securityContext")
        .is_none_or(|n| n.entries().is_empty())
    {
        sink.container(
            &NO_CONTAINER_SECURITY_CONTEXT,
            object,
            container,
            node,
            "securityContext",
            "has no securityContext",
        );
    }
    let host_volumes: Vec<&str> = pod
        .volumes()
        .iter()
        .filter(|v| v.get("hostPath").is_some())
        .filter_map(|v| v.get("name").and_then(Node::as_str))
        .collect();
    for mount in node
        .get("volumeMounts")
        .map(Node::items)
        .unwrap_or_default()
    {
        let name = mount.get("name").and_then(Node::as_str).unwrap_or("");
        if host_volumes.contains(&name)
            && mount.get("readOnly").and_then(Node::as_bool) != Some(true)
        {
            sink.container(
                &WRITABLE_HOST_PATH,
                object,
                container,
                mount,
                &format!("volumeMounts:{name}"),
                &format!("mounts the hostPath volume \"{name}\" writable"),
            );
        }
    }
}
