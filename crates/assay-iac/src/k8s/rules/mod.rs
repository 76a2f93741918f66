//! The Kubernetes rules: [`RULES`] lists their documentation in id order and [`run`] calls each
//! family's `check` over the set of objects of one scan. Each family module defines its rules
//! next to its checks so that a rule's text and logic are read together.

use assay_core::{Finding, FindingKind, Location, Rule, RuleTarget, Severity};

use super::load::Node;
use super::object::{Container, Object};
use super::suppress::{self, Inline};
use crate::IacOptions;

mod hardening;
mod images;
mod namespaces;
mod network;
mod pod_security;
mod rbac;
mod resources;
mod secrets;
mod service_account;

/// Every Kubernetes rule, in id order (the ids are contiguous, see the test below).
pub(super) static RULES: &[Rule] = &[
    pod_security::PRIVILEGED,
    pod_security::HOST_NETWORK,
    pod_security::HOST_PID,
    pod_security::HOST_IPC,
    pod_security::HOST_PATH,
    pod_security::HOST_PORT,
    pod_security::CAPS_BEYOND_BASELINE,
    pod_security::CAPS_NOT_DROPPED,
    pod_security::CAPS_RESTRICTED_ADD,
    pod_security::PRIVILEGE_ESCALATION,
    pod_security::RUN_AS_NON_ROOT,
    pod_security::RUN_AS_ROOT_UID,
    pod_security::SECCOMP_UNCONFINED,
    pod_security::SECCOMP_UNSET,
    pod_security::APPARMOR_UNCONFINED,
    pod_security::SELINUX_TYPE,
    pod_security::SELINUX_USER_ROLE,
    pod_security::PROC_MOUNT,
    pod_security::UNSAFE_SYSCTLS,
    pod_security::VOLUME_TYPES,
    pod_security::HOST_PROCESS,
    hardening::READ_ONLY_ROOT,
    hardening::RUNTIME_SOCKET,
    hardening::NET_RAW,
    hardening::SYS_ADMIN,
    hardening::LOW_UID,
    hardening::LOW_GID,
    hardening::ROOT_GROUP,
    hardening::SHARE_PROCESS_NAMESPACE,
    hardening::HOST_ALIASES,
    hardening::NO_CONTAINER_SECURITY_CONTEXT,
    hardening::NO_POD_SECURITY_CONTEXT,
    hardening::SENSITIVE_HOST_PATH,
    hardening::WRITABLE_HOST_PATH,
    resources::CPU_REQUEST,
    resources::CPU_LIMIT,
    resources::MEMORY_REQUEST,
    resources::MEMORY_LIMIT,
    resources::LIVENESS_PROBE,
    resources::READINESS_PROBE,
    resources::EPHEMERAL_STORAGE,
    resources::CPU_REQUEST_EQUALS_LIMIT,
    resources::MEMORY_REQUEST_EQUALS_LIMIT,
    images::LATEST_TAG,
    images::NO_TAG,
    images::NO_DIGEST,
    images::PULL_POLICY,
    images::UNTRUSTED_REGISTRY,
    images::TILLER,
    images::DASHBOARD,
    secrets::ENV_LITERAL,
    secrets::ENV_SECRET_REF,
    secrets::CONFIGMAP_SECRET,
    service_account::AUTOMOUNT_TOKEN,
    service_account::DEFAULT_SA_AUTOMOUNT,
    service_account::DEFAULT_SA_USED,
    service_account::DEFAULT_SA_BOUND,
    namespaces::DEFAULT_NAMESPACE,
    namespaces::MISSING_NAMESPACE,
    namespaces::KUBE_SYSTEM,
    rbac::WILDCARD_VERBS,
    rbac::WILDCARD_RESOURCES,
    rbac::WILDCARD_API_GROUPS,
    rbac::CLUSTER_ADMIN,
    rbac::SECRETS_READ,
    rbac::POD_EXEC,
    rbac::POD_ATTACH,
    rbac::ESCALATE_BIND,
    rbac::IMPERSONATE,
    rbac::CREATE_WORKLOADS,
    rbac::NODE_PROXY,
    rbac::SYSTEM_MASTERS,
    rbac::MANAGE_RBAC,
    rbac::WEBHOOKS,
    rbac::CSR_APPROVAL,
    rbac::TOKEN_CREATE,
    rbac::PERSISTENT_VOLUMES,
    rbac::ANONYMOUS,
    network::NODE_PORT,
    network::LOAD_BALANCER,
    network::EXTERNAL_IPS,
    network::INGRESS_TLS,
    network::NO_NETWORK_POLICY,
    network::ALLOW_ALL_INGRESS,
    network::ALLOW_ALL_EGRESS,
    network::NGINX_SNIPPETS,
];

/// A rule with the defaults every Kubernetes rule shares; opt-in rules override `opt_in`.
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
        target: RuleTarget::Kubernetes,
        severity,
        title,
        description,
        remediation,
        equivalents,
        opt_in: false,
    }
}

/// Runs every rule family over `objects` and marks in-manifest suppressions.
/// Runs every rule on `objects` (the file's own objects). `related` are objects of other files
/// scanned together (a directory): they raise no findings but count for rules about how
/// objects relate, such as NetworkPolicy coverage and ServiceAccount token settings.
pub(super) fn run(
    objects: &[Object<'_>],
    related: &[&Object<'_>],
    path: &str,
    options: &IacOptions,
    inline: &[Inline],
) -> Vec<Finding> {
    let mut sink = Sink {
        path,
        options,
        inline,
        findings: Vec::new(),
    };
    pod_security::check(objects, &mut sink);
    hardening::check(objects, &mut sink);
    resources::check(objects, &mut sink);
    images::check(objects, &mut sink);
    secrets::check(objects, &mut sink);
    service_account::check(objects, related, &mut sink);
    namespaces::check(objects, &mut sink);
    rbac::check(objects, &mut sink);
    network::check(objects, related, &mut sink);
    sink.findings
}

/// Where rules report: builds the finding (message, location, resource, anchor, fix) so that
/// every rule words and places its findings the same way.
pub(super) struct Sink<'a> {
    path: &'a str,
    options: &'a IacOptions,
    inline: &'a [Inline],
    findings: Vec<Finding>,
}

impl Sink<'_> {
    /// The user's settings, for rules with inputs (allowed registries).
    fn options(&self) -> &IacOptions {
        self.options
    }

    /// Reports a problem of `container`, found at `at`; `field` names it in the anchor
    /// (`securityContext.privileged`) and `what` completes the message
    /// (`container "web" of Deployment/shop/web <what>`).
    fn container(
        &mut self,
        rule: &Rule,
        object: &Object<'_>,
        container: &Container<'_>,
        at: &Node,
        field: &str,
        what: &str,
    ) {
        let message = format!("{} of {} {what}", container.label(), object.resource);
        let anchor = format!("{}/{}/{field}", object.resource, container.anchor());
        self.push(rule, object, at, &anchor, message);
    }

    /// Reports a problem of the object itself (`Deployment/shop/web <what>`).
    fn object(&mut self, rule: &Rule, object: &Object<'_>, at: &Node, field: &str, what: &str) {
        let message = format!("{} {what}", object.resource);
        let anchor = format!("{}/{field}", object.resource);
        self.push(rule, object, at, &anchor, message);
    }

    fn push(&mut self, rule: &Rule, object: &Object<'_>, at: &Node, anchor: &str, message: String) {
        let location = Location {
            path: self.path.to_string(),
            line: Some(at.line),
            column: Some(at.column),
            end_line: Some(at.line),
            layer: None,
        };
        let mut finding = Finding::new(
            FindingKind::Misconfig,
            rule.id,
            rule.severity,
            rule.title,
            message,
            self.path,
            location,
            anchor,
        )
        .with_resource(object.resource.clone(), anchor)
        .with_fix(rule.remediation);
        suppress::apply(&mut finding, object, self.inline, self.path);
        self.findings.push(finding);
    }
}

/// Each workload object with its pod, for the families that check pods.
fn pods<'o, 'a>(
    objects: &'o [Object<'a>],
) -> impl Iterator<Item = (&'o Object<'a>, super::object::Pod<'a>)> {
    objects.iter().filter_map(|o| o.pod().map(|p| (o, p)))
}

/// A capability name as PSS compares them: upper case, without `CAP_`.
fn capability(node: &Node) -> Option<String> {
    let name = node.as_str()?.trim().to_ascii_uppercase();
    Some(
        name.strip_prefix("CAP_")
            .map(str::to_string)
            .unwrap_or(name),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_contiguous_from_001() {
        for (index, rule) in RULES.iter().enumerate() {
            assert_eq!(rule.id, format!("ASSAY-K8S-{:03}", index + 1));
        }
        assert!(RULES.len() >= 80, "only {} rules", RULES.len());
    }

    #[test]
    fn opt_in_rules_and_profiles_are_documented() {
        for rule in RULES {
            assert!(rule.title.len() < 80, "{} title too long", rule.id);
            assert!(rule.description.ends_with('.'), "{} description", rule.id);
            assert!(rule.remediation.ends_with('.'), "{} remediation", rule.id);
        }
    }
}
