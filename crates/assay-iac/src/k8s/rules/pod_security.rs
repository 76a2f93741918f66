//! The Pod Security Standards controls, baseline and restricted, one rule per control (or per
//! distinct way of failing one), so that `profile: pss-baseline` / `pss-restricted` select them
//! by their `pss:` equivalent.

use assay_core::{Rule, Severity};

use super::{Sink, capability, pods, rule};
use crate::k8s::load::Node;
use crate::k8s::object::{Container, Object, Pod};

pub(super) const PRIVILEGED: Rule = rule(
    "ASSAY-K8S-001",
    Severity::High,
    "Container runs privileged",
    "A privileged container has every capability and access to all host devices; escaping to the node is trivial.",
    "Remove `securityContext.privileged: true`; grant only the specific capabilities the process needs.",
    &[
        "pss:baseline:privileged-containers",
        "cis-k8s:5.2.2",
        "kube-score:container-security-context-privileged",
        "checkov:CKV_K8S_16",
        "trivy:KSV017",
    ],
);

pub(super) const HOST_NETWORK: Rule = rule(
    "ASSAY-K8S-002",
    Severity::High,
    "Pod shares the host network namespace",
    "With `hostNetwork: true` the pod sees every interface of the node, can sniff traffic and reach services bound to localhost, and bypasses NetworkPolicies.",
    "Remove `hostNetwork: true`; expose the pod through a Service instead.",
    &[
        "pss:baseline:host-namespaces",
        "cis-k8s:5.2.5",
        "checkov:CKV_K8S_19",
        "trivy:KSV009",
    ],
);

pub(super) const HOST_PID: Rule = rule(
    "ASSAY-K8S-003",
    Severity::High,
    "Pod shares the host process namespace",
    "With `hostPID: true` the pod sees and can signal every process of the node, and can read their environment and memory, secrets included.",
    "Remove `hostPID: true`.",
    &[
        "pss:baseline:host-namespaces",
        "cis-k8s:5.2.3",
        "checkov:CKV_K8S_17",
        "trivy:KSV010",
    ],
);

pub(super) const HOST_IPC: Rule = rule(
    "ASSAY-K8S-004",
    Severity::High,
    "Pod shares the host IPC namespace",
    "With `hostIPC: true` the pod can read and write the shared memory of every process on the node.",
    "Remove `hostIPC: true`.",
    &[
        "pss:baseline:host-namespaces",
        "cis-k8s:5.2.4",
        "checkov:CKV_K8S_18",
        "trivy:KSV008",
    ],
);

pub(super) const HOST_PATH: Rule = rule(
    "ASSAY-K8S-005",
    Severity::Medium,
    "Pod mounts a hostPath volume",
    "A hostPath volume exposes the node's filesystem to the pod; writable mounts let it tamper with the node, the kubelet or other pods.",
    "Use a PersistentVolumeClaim, emptyDir, ConfigMap or Secret volume instead of hostPath.",
    &[
        "pss:baseline:hostpath-volumes",
        "cis-k8s:5.2.12",
        "trivy:KSV023",
    ],
);

pub(super) const HOST_PORT: Rule = rule(
    "ASSAY-K8S-006",
    Severity::Medium,
    "Container binds a host port",
    "A hostPort opens a port on the node's own address, bypassing Services and NetworkPolicies and limiting scheduling to one pod per node.",
    "Remove `hostPort` and expose the port through a Service.",
    &[
        "pss:baseline:host-ports",
        "cis-k8s:5.2.13",
        "checkov:CKV_K8S_26",
        "trivy:KSV024",
    ],
);

pub(super) const CAPS_BEYOND_BASELINE: Rule = rule(
    "ASSAY-K8S-007",
    Severity::Medium,
    "Container adds capabilities beyond the baseline set",
    "Capabilities outside the runtime's default set (such as SYS_ADMIN, NET_ADMIN, SYS_PTRACE or ALL) give the container powers that are routinely used to escape to the node.",
    "Remove the capability from `securityContext.capabilities.add`; only AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID and SYS_CHROOT are allowed by the baseline.",
    &[
        "pss:baseline:capabilities",
        "cis-k8s:5.2.9",
        "checkov:CKV_K8S_25",
        "trivy:KSV022",
    ],
);

pub(super) const CAPS_NOT_DROPPED: Rule = rule(
    "ASSAY-K8S-008",
    Severity::Low,
    "Container does not drop all capabilities",
    "Containers start with a default set of capabilities that most applications never use; each one left in place widens what an attacker in the container can do.",
    "Set `securityContext.capabilities.drop: [\"ALL\"]` and add back only what the process needs.",
    &[
        "pss:restricted:capabilities",
        "cis-k8s:5.2.10",
        "checkov:CKV_K8S_37",
        "trivy:KSV003",
    ],
);

pub(super) const CAPS_RESTRICTED_ADD: Rule = rule(
    "ASSAY-K8S-009",
    Severity::Medium,
    "Container adds a capability other than NET_BIND_SERVICE",
    "The restricted Pod Security Standard allows adding back only NET_BIND_SERVICE after dropping ALL; any other capability is a privilege the workload should not need.",
    "Remove every capability but NET_BIND_SERVICE from `securityContext.capabilities.add`.",
    &["pss:restricted:capabilities", "trivy:KSV106"],
);

pub(super) const PRIVILEGE_ESCALATION: Rule = rule(
    "ASSAY-K8S-010",
    Severity::Medium,
    "Container allows privilege escalation",
    "Unless `allowPrivilegeEscalation` is false, a process can gain more privileges than its parent through setuid binaries or file capabilities.",
    "Set `securityContext.allowPrivilegeEscalation: false` on every container.",
    &[
        "pss:restricted:privilege-escalation",
        "cis-k8s:5.2.6",
        "checkov:CKV_K8S_20",
        "trivy:KSV001",
    ],
);

pub(super) const RUN_AS_NON_ROOT: Rule = rule(
    "ASSAY-K8S-011",
    Severity::Medium,
    "Container may run as root",
    "Without `runAsNonRoot: true` the kubelet starts the container as whatever user the image says, often root; a root process that escapes the container is root on the node.",
    "Set `securityContext.runAsNonRoot: true` on the pod or on every container, and run the image as a non-root UID.",
    &[
        "pss:restricted:running-as-non-root",
        "cis-k8s:5.2.7",
        "checkov:CKV_K8S_23",
        "trivy:KSV012",
    ],
);

pub(super) const RUN_AS_ROOT_UID: Rule = rule(
    "ASSAY-K8S-012",
    Severity::High,
    "Container runs as UID 0",
    "`runAsUser: 0` runs the process as root explicitly, overriding the image's user and `runAsNonRoot` intent.",
    "Set `runAsUser` to a non-zero UID (10000 or above is best) or remove it and use a non-root image user.",
    &["pss:restricted:running-as-non-root-user", "trivy:KSV105"],
);

pub(super) const SECCOMP_UNCONFINED: Rule = rule(
    "ASSAY-K8S-013",
    Severity::Medium,
    "Seccomp is explicitly disabled",
    "A seccomp profile of `Unconfined` lets the container make every system call, including the rarely used ones behind most kernel escape exploits.",
    "Set `securityContext.seccompProfile.type: RuntimeDefault` (or `Localhost` with a reviewed profile).",
    &["pss:baseline:seccomp", "trivy:KSV104"],
);

pub(super) const SECCOMP_UNSET: Rule = rule(
    "ASSAY-K8S-014",
    Severity::Low,
    "Seccomp profile is not set",
    "Without a seccomp profile most runtimes run the container unconfined; the restricted Pod Security Standard requires RuntimeDefault or Localhost.",
    "Set `securityContext.seccompProfile.type: RuntimeDefault` on the pod (or on every container).",
    &[
        "pss:restricted:seccomp",
        "cis-k8s:5.7.2",
        "checkov:CKV_K8S_31",
        "trivy:KSV030",
        "trivy:KSV104",
    ],
);

pub(super) const APPARMOR_UNCONFINED: Rule = rule(
    "ASSAY-K8S-015",
    Severity::Medium,
    "AppArmor is explicitly disabled",
    "An `Unconfined` AppArmor profile removes the mandatory access control the runtime applies by default.",
    "Remove the unconfined AppArmor setting or use `RuntimeDefault` / a `Localhost` profile.",
    &["pss:baseline:apparmor"],
);

pub(super) const SELINUX_TYPE: Rule = rule(
    "ASSAY-K8S-016",
    Severity::Medium,
    "Custom SELinux type is set",
    "SELinux types other than the container ones (container_t, container_init_t, container_kvm_t, container_engine_t) can lift the confinement of the container.",
    "Remove `seLinuxOptions.type` or use one of the container types.",
    &["pss:baseline:selinux", "trivy:KSV025"],
);

pub(super) const SELINUX_USER_ROLE: Rule = rule(
    "ASSAY-K8S-017",
    Severity::Medium,
    "Custom SELinux user or role is set",
    "Setting the SELinux user or role changes the security identity of the container's processes, which the baseline Pod Security Standard forbids.",
    "Remove `seLinuxOptions.user` and `seLinuxOptions.role`.",
    &["pss:baseline:selinux", "trivy:KSV025"],
);

pub(super) const PROC_MOUNT: Rule = rule(
    "ASSAY-K8S-018",
    Severity::Medium,
    "Container unmasks /proc",
    "`procMount: Unmasked` exposes the parts of /proc that the runtime normally hides, leaking host information and kernel interfaces.",
    "Remove `securityContext.procMount` or set it to `Default`.",
    &["pss:baseline:proc-mount-type", "trivy:KSV027"],
);

pub(super) const UNSAFE_SYSCTLS: Rule = rule(
    "ASSAY-K8S-019",
    Severity::Medium,
    "Pod sets an unsafe sysctl",
    "Sysctls outside the namespaced safe set change kernel settings for the whole node and every other pod on it.",
    "Remove the sysctl or set it on the node; only the safe sysctls (kernel.shm_rmid_forced, net.ipv4.ip_local_port_range, net.ipv4.tcp_syncookies, ...) belong in a pod.",
    &["pss:baseline:sysctls", "trivy:KSV026"],
);

pub(super) const VOLUME_TYPES: Rule = rule(
    "ASSAY-K8S-020",
    Severity::Low,
    "Pod uses a volume type outside the restricted set",
    "The restricted Pod Security Standard allows only configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected and secret volumes; others tie the pod to node or storage internals.",
    "Replace the volume with a PersistentVolumeClaim or one of the allowed types.",
    &["pss:restricted:volume-types", "trivy:KSV028"],
);

pub(super) const HOST_PROCESS: Rule = rule(
    "ASSAY-K8S-021",
    Severity::High,
    "Windows HostProcess container",
    "A Windows HostProcess container runs directly on the node with the node's privileges; it is the Windows equivalent of a privileged container.",
    "Remove `windowsOptions.hostProcess: true`.",
    &[
        "pss:baseline:host-process",
        "cis-k8s:5.2.11",
        "trivy:KSV103",
    ],
);

/// Capabilities the baseline Pod Security Standard allows adding.
const BASELINE_CAPS: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

/// Sysctls the baseline Pod Security Standard allows.
const SAFE_SYSCTLS: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
];

/// Volume types the restricted Pod Security Standard allows.
const RESTRICTED_VOLUMES: &[&str] = &[
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

/// SELinux types the baseline allows.
const SELINUX_TYPES: &[&str] = &[
    "",
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
];

pub(super) fn check(objects: &[Object<'_>], sink: &mut Sink<'_>) {
    for (object, pod) in pods(objects) {
        check_pod(object, &pod, sink);
        for container in pod.containers() {
            check_container(object, &pod, &container, sink);
        }
    }
}

fn check_pod(object: &Object<'_>, pod: &Pod<'_>, sink: &mut Sink<'_>) {
    for (key, rule, what) in [
        (
            "hostNetwork",
            &HOST_NETWORK,
            "shares the host network namespace",
        ),
        ("hostPID", &HOST_PID, "shares the host process namespace"),
        ("hostIPC", &HOST_IPC, "shares the host IPC namespace"),
    ] {
        if let Some(node) = pod.spec.get(key).filter(|n| n.as_bool() == Some(true)) {
            sink.object(rule, object, node, &format!("spec.{key}"), what);
        }
    }
    for volume in pod.volumes() {
        let name = volume.get("name").and_then(Node::as_str).unwrap_or("");
        if let Some(host) = volume.get("hostPath") {
            let path = host.get("path").and_then(Node::as_str).unwrap_or("");
            sink.object(
                &HOST_PATH,
                object,
                host,
                &format!("volume:{name}/hostPath"),
                &format!("mounts host path \"{path}\" as volume \"{name}\""),
            );
        }
        if let Some((kind, node)) = volume
            .entries()
            .iter()
            .find(|(k, _)| k != "name" && !RESTRICTED_VOLUMES.contains(&k.as_str()))
        {
            sink.object(
                &VOLUME_TYPES,
                object,
                node,
                &format!("volume:{name}/{kind}"),
                &format!("uses a {kind} volume (\"{name}\")"),
            );
        }
    }
    if let Some(sysctls) = pod.security("sysctls") {
        for sysctl in sysctls.items() {
            let name = sysctl.get("name").and_then(Node::as_str).unwrap_or("");
            if !SAFE_SYSCTLS.contains(&name) {
                sink.object(
                    &UNSAFE_SYSCTLS,
                    object,
                    sysctl,
                    &format!("securityContext.sysctls:{name}"),
                    &format!("sets the unsafe sysctl \"{name}\""),
                );
            }
        }
    }
    // Pod-level settings that weaken isolation: (the offending node if set, rule, anchor, what).
    let weakened = [
        (
            pod.security("windowsOptions.hostProcess")
                .filter(|n| n.as_bool() == Some(true)),
            &HOST_PROCESS,
            "securityContext.windowsOptions.hostProcess",
            "runs as a Windows HostProcess pod",
        ),
        (
            pod.security("seccompProfile.type")
                .filter(|n| is_unconfined(n)),
            &SECCOMP_UNCONFINED,
            "securityContext.seccompProfile",
            "disables seccomp for the pod",
        ),
        (
            pod.annotation("seccomp.security.alpha.kubernetes.io/pod")
                .filter(|n| is_unconfined(n)),
            &SECCOMP_UNCONFINED,
            "annotations.seccomp/pod",
            "disables seccomp for the pod",
        ),
        (
            pod.security("appArmorProfile.type")
                .filter(|n| is_unconfined(n)),
            &APPARMOR_UNCONFINED,
            "securityContext.appArmorProfile",
            "disables AppArmor for the pod",
        ),
    ];
    for (node, rule, anchor, what) in weakened {
        if let Some(node) = node {
            sink.object(rule, object, node, anchor, what);
        }
    }
    check_selinux(object, None, pod.spec.get("securityContext"), sink);
    if let Some(node) = pod.security("runAsUser").filter(|n| n.as_i64() == Some(0)) {
        sink.object(
            &RUN_AS_ROOT_UID,
            object,
            node,
            "securityContext.runAsUser",
            "runs its containers as UID 0",
        );
    }
}

fn is_unconfined(node: &Node) -> bool {
    node.as_str()
        .is_some_and(|s| s.eq_ignore_ascii_case("unconfined"))
}

fn check_selinux(
    object: &Object<'_>,
    container: Option<&Container<'_>>,
    context: Option<&Node>,
    sink: &mut Sink<'_>,
) {
    let Some(options) = context.and_then(|c| c.get("seLinuxOptions")) else {
        return;
    };
    let mut report = |rule: &Rule, at: &Node, field: &str, what: String| match container {
        Some(c) => sink.container(rule, object, c, at, field, &what),
        None => sink.object(rule, object, at, field, &what),
    };
    if let Some(node) = options.get("type") {
        let value = node.as_str().unwrap_or("");
        if !SELINUX_TYPES.contains(&value) {
            report(
                &SELINUX_TYPE,
                node,
                "securityContext.seLinuxOptions.type",
                format!("sets the SELinux type \"{value}\""),
            );
        }
    }
    for key in ["user", "role"] {
        if let Some(node) = options
            .get(key)
            .filter(|n| n.text().is_some_and(|t| !t.is_empty()))
        {
            report(
                &SELINUX_USER_ROLE,
                node,
                &format!("securityContext.seLinuxOptions.{key}"),
                format!("sets the SELinux {key}"),
            );
        }
    }
}

fn check_container(
    object: &Object<'_>,
    pod: &Pod<'_>,
    container: &Container<'_>,
    sink: &mut Sink<'_>,
) {
    let node = container.node;
    if let Some(at) = container
        .security("privileged")
        .filter(|n| n.as_bool() == Some(true))
    {
        sink.container(
            &PRIVILEGED,
            object,
            container,
            at,
            "securityContext.privileged",
            "runs privileged",
        );
    }
    for port in node.get("ports").map(Node::items).unwrap_or_default() {
        if let Some(at) = port
            .get("hostPort")
            .filter(|n| n.as_i64().is_some_and(|p| p != 0))
        {
            let number = at.as_i64().unwrap_or(0);
            sink.container(
                &HOST_PORT,
                object,
                container,
                at,
                &format!("ports.hostPort:{number}"),
                &format!("binds host port {number}"),
            );
        }
    }
    let added = container.security("capabilities.add");
    for cap_node in added.map(Node::items).unwrap_or_default() {
        let Some(cap) = capability(cap_node) else {
            continue;
        };
        if !BASELINE_CAPS.contains(&cap.as_str()) {
            sink.container(
                &CAPS_BEYOND_BASELINE,
                object,
                container,
                cap_node,
                &format!("capabilities.add:{cap}"),
                &format!("adds the capability {cap}"),
            );
        }
        if cap != "NET_BIND_SERVICE" {
            sink.container(
                &CAPS_RESTRICTED_ADD,
                object,
                container,
                cap_node,
                &format!("capabilities.add:{cap}"),
                &format!("adds the capability {cap}"),
            );
        }
    }
    let drop = container.security("capabilities.drop");
    let drops_all = drop
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .any(|c| capability(c).as_deref() == Some("ALL"));
    if !drops_all {
        sink.container(
            &CAPS_NOT_DROPPED,
            object,
            container,
            drop.unwrap_or(node),
            "securityContext.capabilities.drop",
            "does not drop ALL capabilities",
        );
    }
    match container.security("allowPrivilegeEscalation") {
        Some(n) if n.as_bool() == Some(false) => {}
        found => sink.container(
            &PRIVILEGE_ESCALATION,
            object,
            container,
            found.unwrap_or(node),
            "securityContext.allowPrivilegeEscalation",
            "does not set allowPrivilegeEscalation to false",
        ),
    }
    match pod.effective(container, "runAsNonRoot") {
        Some(n) if n.as_bool() == Some(true) => {}
        found => sink.container(
            &RUN_AS_NON_ROOT,
            object,
            container,
            found.unwrap_or(node),
            "securityContext.runAsNonRoot",
            "does not set runAsNonRoot to true",
        ),
    }
    if let Some(at) = container
        .security("runAsUser")
        .filter(|n| n.as_i64() == Some(0))
    {
        sink.container(
            &RUN_AS_ROOT_UID,
            object,
            container,
            at,
            "securityContext.runAsUser",
            "runs as UID 0",
        );
    }
    let seccomp = pod.effective(container, "seccompProfile.type");
    if let Some(at) = container
        .security("seccompProfile.type")
        .filter(|n| is_unconfined(n))
    {
        sink.container(
            &SECCOMP_UNCONFINED,
            object,
            container,
            at,
            "securityContext.seccompProfile",
            "disables seccomp",
        );
    }
    let container_legacy = pod.annotation(&format!(
        "container.seccomp.security.alpha.kubernetes.io/{}",
        container.name
    ));
    if let Some(at) = container_legacy.filter(|n| is_unconfined(n)) {
        sink.container(
            &SECCOMP_UNCONFINED,
            object,
            container,
            at,
            "annotations.seccomp",
            "disables seccomp",
        );
    }
    let legacy =
        container_legacy.or_else(|| pod.annotation("seccomp.security.alpha.kubernetes.io/pod"));
    let confined = seccomp
        .and_then(Node::as_str)
        .is_some_and(|t| t == "RuntimeDefault" || t == "Localhost")
        || legacy.and_then(Node::as_str).is_some_and(|t| {
            t == "runtime/default" || t == "docker/default" || t.starts_with("localhost/")
        });
    if !confined && !seccomp.is_some_and(is_unconfined) && !legacy.is_some_and(is_unconfined) {
        sink.container(
            &SECCOMP_UNSET,
            object,
            container,
            seccomp.unwrap_or(node),
            "securityContext.seccompProfile",
            "has no seccomp profile",
        );
    }
    if let Some(at) = container
        .security("appArmorProfile.type")
        .filter(|n| is_unconfined(n))
    {
        sink.container(
            &APPARMOR_UNCONFINED,
            object,
            container,
            at,
            "securityContext.appArmorProfile",
            "disables AppArmor",
        );
    }
    if let Some(at) = pod
        .annotation(&format!(
            "container.apparmor.security.beta.kubernetes.io/{}",
            container.name
        ))
        .filter(|n| is_unconfined(n))
    {
        sink.container(
            &APPARMOR_UNCONFINED,
            object,
            container,
            at,
            "annotations.apparmor",
            "disables AppArmor",
        );
    }
    check_selinux(object, Some(container), node.get("securityContext"), sink);
    if let Some(at) = container
        .security("procMount")
        .filter(|n| n.as_str() != Some("Default"))
    {
        sink.container(
            &PROC_MOUNT,
            object,
            container,
            at,
            "securityContext.procMount",
            "unmasks /proc",
        );
    }
    if let Some(at) = container
        .security("windowsOptions.hostProcess")
        .filter(|n| n.as_bool() == Some(true))
    {
        sink.container(
            &HOST_PROCESS,
            object,
            container,
            at,
            "securityContext.windowsOptions.hostProcess",
            "runs as a Windows HostProcess container",
        );
    }
}
