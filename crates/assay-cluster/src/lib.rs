//! Kubernetes at run time, the last two steps of the golden-image flow.
//!
//! - [`audit`] reads Kubernetes API-server audit logs (`audit.k8s.io/v1` events, JSON lines,
//!   gzip or an `EventList`) and reports the requests that matter for supply-chain and cluster
//!   security as [`assay_core::Finding`]s, so they go through the same report formats as scans.
//! - [`admission`] is the validating admission webhook that admits a pod's images only when the
//!   golden-image policy holds for them, plus the manifests that install it and the same policy
//!   translated for Kyverno and the sigstore policy-controller.
//! - [`inventory`] reads the pods running in a cluster for `assay scan --k8s-pods`.
//!
//! Both live in one crate because they share the cluster vocabulary (pod specs inside workload
//! templates, image references, identities) and neither is needed by image scanning.
#![deny(missing_docs)]

pub mod admission;
pub mod audit;
pub mod inventory;
mod workload;
