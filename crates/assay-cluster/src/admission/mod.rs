//! `assay admission`: a validating admission webhook that admits a pod's images only when the
//! golden-image policy holds for them (digest, allowed registry, trusted signature, assay
//! promotion attestation), the manifests that install it, and the same policy exported for
//! Kyverno and the sigstore policy-controller.
//!
//! The decision logic ([`review::Webhook`]) knows nothing of HTTP and reaches registries only
//! through the [`verify::Verifier`] trait, so it is tested without a network and the server
//! ([`server`]) is a thin HTTPS shell around it.

pub mod manifests;
pub mod policy;
pub mod registry;
pub mod review;
pub mod server;
pub mod verify;

pub use policy::{Mode, OnError, Policy, PolicyError, PolicyFile};
pub use registry::RegistryVerifier;
pub use review::{Decision, ImageDecision, ReviewError, Webhook};
pub use server::{LogEvent, LogSink, ServeError, TlsFiles, serve, shutdown_signal};
pub use verify::{BoxFuture, Check, CheckResult, Pinned, Verifier, VerifyError};
