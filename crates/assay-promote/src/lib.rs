//! Golden-image promotion: the evidence attached to an image in a test registry (cosign
//! signatures, SBOM and scan attestations, release managers' approvals), the policy that
//! says what evidence a production image needs, the decision (every requirement with pass or
//! fail and why), the copy to production and the audit record of it.
//!
//! Promotion is fail-closed and ordered so production never holds a half-promoted image:
//! evaluate at the source (denied: nothing is written), copy everything by digest, verify the
//! evidence again at the destination, attach the signed promotion record, and only then move
//! the destination tag. See docs/promotion.md for the policy schema and the predicates.
#![deny(missing_docs)]

pub mod approval;
pub mod audit;
mod base;
mod error;
pub mod evaluate;
pub mod evidence;
pub mod external;
pub mod policy;
pub mod promote;
pub mod rego;
pub mod severity;
pub mod store;

pub use error::Error;

/// Predicate type URI of the signed promotion record `assay promote` attaches to the image
/// in production (documented in docs/promotion.md). The one definition: the admission
/// webhook and anything else that checks for a promotion uses this constant.
pub const PROMOTION_PREDICATE_TYPE: &str = "https://assay.dev/attestations/promotion/v1";
pub use evaluate::{Decision, Requirement};
pub use policy::Policy;
pub use promote::{Outcome, Request, promote};
pub use severity::Severity;
