//! One AdmissionReview in, one out: find the images of the object (a Pod or a workload
//! template; containers, init and ephemeral containers), judge each against the policy, and
//! answer with every failed requirement per image. A structured [`Decision`] is returned with
//! the answer so the server can log it.

use std::sync::Arc;
use std::time::Duration;

use assay_iac::image_ref::ImageRef;
use serde::Serialize;
use serde_json::{Value, json};

use super::policy::{Mode, OnError, Policy};
use super::verify::{Cache, Check, Pinned, Verdict, Verifier, VerifyError};
use crate::workload;

/// How long one registry check may take before it counts as unreachable; below the default
/// webhook `timeoutSeconds` (10) so that the API server gets our answer, not its own timeout.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(7);

/// A request body that is not an AdmissionReview.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid AdmissionReview: {0}")]
pub struct ReviewError(pub String);

/// What was decided for one image.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImageDecision {
    /// The container (`containers/app`, `initContainers/setup`).
    pub container: String,
    /// The image as written.
    pub image: String,
    /// The digest checked, when known (written or resolved from the tag).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// Exempt by the policy: no checks ran.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub exempt: bool,
    /// Requirements that do not hold.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<String>,
    /// Requirements that hold, with what proved them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub passes: Vec<String>,
    /// Things the user should know although they do not deny (tag resolved, failed open).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Whether the verdict came from the cache.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub cached: bool,
}

/// The decision on one AdmissionReview, as logged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// The request uid.
    pub uid: String,
    /// Object kind.
    pub kind: String,
    /// Namespace.
    pub namespace: String,
    /// Object name (may be empty for generated names).
    pub name: String,
    /// CREATE, UPDATE, ...
    pub operation: String,
    /// Requesting user.
    pub user: String,
    /// Whether the request was admitted.
    pub allowed: bool,
    /// `enforce` or `warn`.
    pub mode: Mode,
    /// Why no image was checked, when none was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// Per image.
    pub images: Vec<ImageDecision>,
}

/// The webhook's logic, independent of HTTP: a policy, a verifier and the cache.
#[derive(Debug)]
pub struct Webhook {
    policy: Policy,
    verifier: Arc<dyn Verifier>,
    cache: Cache,
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    path.iter()
        .try_fold(v, |v, k| v.get(k))
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// Bounds a registry call by [`CHECK_TIMEOUT`].
async fn bounded<T>(
    future: impl std::future::Future<Output = Result<T, VerifyError>>,
) -> Result<T, VerifyError> {
    tokio::time::timeout(CHECK_TIMEOUT, future)
        .await
        .unwrap_or_else(|_| {
            Err(VerifyError::Unreachable(format!(
                "no answer within {}s",
                CHECK_TIMEOUT.as_secs()
            )))
        })
}

impl Webhook {
    /// A webhook enforcing `policy` with `verifier`.
    pub fn new(policy: Policy, verifier: Arc<dyn Verifier>) -> Self {
        let ttl = Duration::from_secs(policy.file.cache_ttl_seconds);
        Webhook {
            policy,
            verifier,
            cache: Cache::new(ttl),
        }
    }

    /// The policy in force.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Forgets every cached verification result.
    pub fn clear_cache(&self) {
        self.cache.clear();
    }

    /// Answers one AdmissionReview (the request body) with the response AdmissionReview and
    /// the decision to log.
    pub async fn review(&self, body: &[u8]) -> Result<(Value, Decision), ReviewError> {
        let review: Value = serde_json::from_slice(body).map_err(|e| ReviewError(e.to_string()))?;
        if review.get("kind").and_then(Value::as_str) != Some("AdmissionReview") {
            return Err(ReviewError("kind is not AdmissionReview".to_string()));
        }
        let request = review
            .get("request")
            .filter(|r| r.is_object())
            .ok_or_else(|| ReviewError("no request".to_string()))?;
        let uid = str_at(request, &["uid"]).to_string();
        if uid.is_empty() {
            return Err(ReviewError("request has no uid".to_string()));
        }
        let api_version = review
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or("admission.k8s.io/v1")
            .to_string();
        let kind = str_at(request, &["kind", "kind"]).to_string();
        let object = request.get("object").unwrap_or(&Value::Null);
        let mut decision = Decision {
            uid: uid.clone(),
            kind: kind.clone(),
            namespace: str_at(request, &["namespace"]).to_string(),
            name: match str_at(request, &["name"]) {
                "" => str_at(object, &["metadata", "name"]).to_string(),
                n => n.to_string(),
            },
            operation: str_at(request, &["operation"]).to_string(),
            user: str_at(request, &["userInfo", "username"]).to_string(),
            allowed: true,
            mode: self.policy.file.mode,
            skipped: None,
            images: Vec::new(),
        };
        let spec = workload::pod_spec(&kind, object);
        if !matches!(decision.operation.as_str(), "CREATE" | "UPDATE") {
            decision.skipped = Some(format!("operation {}", decision.operation));
        } else if self.policy.namespace_exempt(&decision.namespace) {
            decision.skipped = Some(format!("namespace {} is exempt", decision.namespace));
        } else if let Some(spec) = spec {
            // Every container at once: a cold pod costs one registry round trip, not five.
            let containers = workload::containers(spec);
            let judged =
                futures_util::future::join_all(containers.iter().map(|c| self.judge(c.image)))
                    .await;
            for (c, mut d) in containers.iter().zip(judged) {
                d.container = format!("{}/{}", c.section, c.name);
                decision.images.push(d);
            }
        } else {
            decision.skipped = Some(format!("{kind} has no pod template"));
        }

        let failures: Vec<String> = decision
            .images
            .iter()
            .filter(|d| !d.failures.is_empty())
            .map(|d| {
                format!(
                    "image {} ({}): {}",
                    d.image,
                    d.container,
                    d.failures.join("; ")
                )
            })
            .collect();
        let mut warnings: Vec<String> = decision
            .images
            .iter()
            .flat_map(|d| {
                d.notes
                    .iter()
                    .map(move |n| format!("image {}: {n}", d.image))
            })
            .collect();
        let mut response = json!({ "uid": uid, "allowed": true });
        if !failures.is_empty() {
            match self.policy.file.mode {
                Mode::Enforce => {
                    decision.allowed = false;
                    response["allowed"] = json!(false);
                    response["status"] = json!({
                        "code": 403,
                        "reason": "Forbidden",
                        "message": format!(
                            "assay admission policy {} denied the request: {}",
                            self.policy.file.name,
                            failures.join(". ")
                        ),
                    });
                }
                Mode::Warn => warnings.extend(
                    failures
                        .iter()
                        .map(|f| format!("would be denied by {}: {f}", self.policy.file.name)),
                ),
            }
        }
        if !warnings.is_empty() {
            response["warnings"] = json!(warnings);
        }
        let answer = json!({
            "apiVersion": api_version,
            "kind": "AdmissionReview",
            "response": response,
        });
        Ok((answer, decision))
    }

    /// Judges one image against every requirement, collecting all that fail.
    async fn judge(&self, image: &str) -> ImageDecision {
        let mut d = ImageDecision {
            image: image.to_string(),
            ..ImageDecision::default()
        };
        if self.policy.image_exempt(image) {
            d.exempt = true;
            return d;
        }
        let file = &self.policy.file;
        let reference = ImageRef::parse(image);
        let name = reference.full_name();
        if image.trim().is_empty() {
            d.failures.push("no image".to_string());
            return d;
        }
        if self.policy.registry_allowed(&reference) {
            d.passes
                .push(format!("registry {} is allowed", reference.registry));
        } else {
            d.failures.push(format!(
                "registry {} is not allowed (allowed: {})",
                reference.registry,
                file.allowed_registries.join(", ")
            ));
        }
        let digest = match &reference.digest {
            Some(digest) => {
                d.passes.push("referenced by digest".to_string());
                Some(digest.clone())
            }
            None => {
                let tag = reference
                    .tag
                    .clone()
                    .unwrap_or_else(|| "latest".to_string());
                if file.require_digest {
                    d.failures
                        .push(format!("not referenced by digest (tag {tag})"));
                }
                let needs_digest = file.require_signature || file.require_promotion;
                if needs_digest || !file.require_digest {
                    match bounded(self.verifier.resolve(&name, &tag)).await {
                        Ok(digest) => {
                            d.notes.push(format!("tag {tag} resolved to {digest}"));
                            Some(digest)
                        }
                        Err(VerifyError::NotFound(why)) => {
                            d.failures
                                .push(format!("tag {tag} cannot be resolved: {why}"));
                            None
                        }
                        Err(e) => {
                            self.unreachable(&mut d, "the tag", &e);
                            None
                        }
                    }
                } else {
                    None
                }
            }
        };
        let Some(digest) = digest else { return d };
        d.digest = Some(digest.clone());
        let pinned = Pinned { name, digest };
        let verdict = match self.cache.get(&pinned) {
            Some(v) => {
                d.cached = true;
                v
            }
            None => {
                let (signature, promotion) = match tokio::time::timeout(
                    CHECK_TIMEOUT,
                    self.verifier
                        .verify(&pinned, file.require_signature, file.require_promotion),
                )
                .await
                {
                    Ok(results) => results,
                    Err(_) => {
                        let late = || {
                            Err(VerifyError::Unreachable(format!(
                                "no answer within {}s",
                                CHECK_TIMEOUT.as_secs()
                            )))
                        };
                        (
                            file.require_signature.then(late),
                            file.require_promotion.then(late),
                        )
                    }
                };
                let definite = |r: &Option<Result<Check, VerifyError>>| {
                    !matches!(r, Some(Err(VerifyError::Unreachable(_))))
                };
                let cacheable = definite(&signature) && definite(&promotion);
                let mut verdict = Verdict {
                    signature: None,
                    promotion: None,
                };
                for (what, result, slot) in [
                    ("the signature", signature, &mut verdict.signature),
                    (
                        "the promotion attestation",
                        promotion,
                        &mut verdict.promotion,
                    ),
                ] {
                    match result {
                        None => {}
                        Some(Ok(check)) => *slot = Some(check),
                        Some(Err(VerifyError::NotFound(m))) => *slot = Some(Check::Fail(m)),
                        Some(Err(e)) => self.unreachable(&mut d, what, &e),
                    }
                }
                if cacheable {
                    self.cache.put(pinned.clone(), verdict.clone());
                }
                verdict
            }
        };
        match verdict.signature {
            Some(Check::Pass(by)) => d.passes.push(format!("signed by {by}")),
            Some(Check::Fail(why)) => d
                .failures
                .push(format!("not signed by a trusted key ({why})")),
            None => {}
        }
        match verdict.promotion {
            Some(Check::Pass(by)) => d.passes.push(format!("promoted: {by}")),
            Some(Check::Fail(why)) => d
                .failures
                .push(format!("no assay promotion attestation ({why})")),
            None => {}
        }
        d
    }

    /// A registry that cannot be reached: a failure when failing closed, a note otherwise.
    fn unreachable(&self, d: &mut ImageDecision, what: &str, e: &VerifyError) {
        let text = format!("could not check {what}: {e}");
        match self.policy.file.on_registry_error {
            OnError::Deny => d.failures.push(text),
            OnError::Allow => d
                .notes
                .push(format!("{text}; admitted (on-registry-error: allow)")),
        }
    }
}
