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
pub mod cosign;
mod error;
pub mod evaluate;
pub mod evidence;
pub mod external;
pub mod policy;
pub mod promote;
pub mod severity;

pub use error::Error;
pub use evaluate::{Decision, Requirement};
pub use policy::Policy;
pub use promote::{Outcome, Request, promote};
pub use severity::Severity;
