//! What the audit rules need to know about the cluster: who may read secrets, which registries
//! and digests are allowed, where the cluster's own addresses are. Every field has a default
//! that fits a kubeadm-style cluster, so `assay audit-log FILE` works without configuration.

use globset::{Glob, GlobSet, GlobSetBuilder};
use ipnet::IpNet;
use serde::Deserialize;

/// Settings as written (CLI flags, or `options.json` next to a fixture).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct AuditOptions {
    /// Identities (glob patterns on the user name) expected to read secrets. The defaults are
    /// the control plane and nodes: the kubelet reads the secrets its pods mount.
    pub secret_readers: Vec<String>,
    /// Identities expected to approve certificate signing requests.
    pub csr_approvers: Vec<String>,
    /// Registries images may come from (same syntax as `allowed-registries` in `assay.yaml`).
    /// Empty: the registry rule does not run.
    pub allowed_registries: Vec<String>,
    /// Digests (`sha256:...`) that went through `assay promote`. Empty: the promotion rule
    /// does not run.
    pub promoted_digests: Vec<String>,
    /// Address ranges that are inside the cluster (nodes, pods, control plane).
    pub cluster_cidrs: Vec<String>,
    /// Denied requests (HTTP 403) from one identity within `forbidden_window` seconds that
    /// make a finding.
    pub forbidden_threshold: usize,
    /// Window for `forbidden_threshold`, in seconds.
    pub forbidden_window: i64,
}

impl Default for AuditOptions {
    fn default() -> Self {
        AuditOptions {
            secret_readers: [
                "system:kube-controller-manager",
                "system:kube-scheduler",
                "system:apiserver",
                "system:node:*",
                "system:serviceaccount:kube-system:*",
            ]
            .map(String::from)
            .to_vec(),
            csr_approvers: [
                "system:kube-controller-manager",
                "system:serviceaccount:kube-system:certificate-controller",
            ]
            .map(String::from)
            .to_vec(),
            allowed_registries: Vec::new(),
            promoted_digests: Vec::new(),
            cluster_cidrs: [
                "10.0.0.0/8",
                "172.16.0.0/12",
                "192.168.0.0/16",
                "127.0.0.0/8",
                "::1/128",
                "fc00::/7",
            ]
            .map(String::from)
            .to_vec(),
            forbidden_threshold: 10,
            forbidden_window: 600,
        }
    }
}

/// A setting that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OptionsError {
    /// An identity pattern is not a valid glob.
    #[error("invalid identity pattern {pattern:?}: {message}")]
    Pattern {
        /// The pattern.
        pattern: String,
        /// Why.
        message: String,
    },
    /// A CIDR does not parse.
    #[error("invalid cluster cidr {0:?} (expected ADDRESS/PREFIX, e.g. 10.0.0.0/8)")]
    Cidr(String),
    /// A window or threshold of zero.
    #[error("forbidden-threshold and forbidden-window must be at least 1")]
    Zero,
}

/// Validated settings the rules run with.
#[derive(Debug, Clone)]
pub struct Settings {
    pub(crate) secret_readers: GlobSet,
    pub(crate) csr_approvers: GlobSet,
    pub(crate) allowed_registries: Vec<String>,
    pub(crate) promoted: std::collections::BTreeSet<String>,
    pub(crate) cluster: Vec<IpNet>,
    pub(crate) forbidden_threshold: usize,
    pub(crate) forbidden_window: i64,
}

fn globs(patterns: &[String]) -> Result<GlobSet, OptionsError> {
    let mut builder = GlobSetBuilder::new();
    for p in patterns {
        builder.add(Glob::new(p).map_err(|e| OptionsError::Pattern {
            pattern: p.clone(),
            message: e.kind().to_string(),
        })?);
    }
    builder.build().map_err(|e| OptionsError::Pattern {
        pattern: patterns.join(","),
        message: e.kind().to_string(),
    })
}

impl AuditOptions {
    /// Parses and checks every setting once, so the rules see only valid ones.
    pub fn validate(&self) -> Result<Settings, OptionsError> {
        if self.forbidden_threshold == 0 || self.forbidden_window <= 0 {
            return Err(OptionsError::Zero);
        }
        let cluster = self
            .cluster_cidrs
            .iter()
            .map(|c| {
                c.trim()
                    .parse::<IpNet>()
                    .or_else(|_| c.trim().parse::<std::net::IpAddr>().map(IpNet::from))
                    .map_err(|_| OptionsError::Cidr(c.clone()))
            })
            .collect::<Result<_, _>>()?;
        Ok(Settings {
            secret_readers: globs(&self.secret_readers)?,
            csr_approvers: globs(&self.csr_approvers)?,
            allowed_registries: self.allowed_registries.clone(),
            promoted: self
                .promoted_digests
                .iter()
                .map(|d| d.trim().to_ascii_lowercase())
                .filter(|d| !d.is_empty())
                .collect(),
            cluster,
            forbidden_threshold: self.forbidden_threshold,
            forbidden_window: self.forbidden_window,
        })
    }
}

impl Settings {
    /// Whether `ip` (as the audit log writes it) is inside the cluster. An address that does
    /// not parse counts as outside: the rule would rather report than miss.
    pub(crate) fn in_cluster(&self, ip: &str) -> bool {
        ip.trim()
            .parse::<std::net::IpAddr>()
            .is_ok_and(|a| self.cluster.iter().any(|n| n.contains(&a)))
    }
}
