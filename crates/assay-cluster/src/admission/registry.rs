//! The [`Verifier`] that asks real registries, through assay-sign's public API: tags are
//! resolved by opening the image, signatures checked with `verify_image` and the promotion
//! attestation with `verify_attestations` for the predicate type `assay promote` writes.
//!
//! assay-sign's stores are blocking (each runs its own small runtime), so every call runs on
//! tokio's blocking pool and never stalls the server's threads.

use std::collections::BTreeMap;
use std::sync::Arc;

use assay_sign::{ErrorKind, Location, PublicKey, Store};

use super::manifests::PROMOTION_PREDICATE_TYPE;
use super::verify::{BoxFuture, Check, CheckResult, Pinned, Verifier, VerifyError};

/// Verifies against registries with a set of trusted public keys.
#[derive(Debug, Clone)]
pub struct RegistryVerifier {
    keys: Arc<Vec<PublicKey>>,
    insecure: Arc<Vec<String>>,
    credentials: Arc<assay_oci::Credentials>,
}

/// A key that does not parse.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct KeyError(String);

impl RegistryVerifier {
    /// `keys` are PEM public keys with the file they came from (for errors); `insecure` are
    /// registries (`host:port`) reached over plain HTTP besides loopback ones.
    pub fn new(
        keys: &[(std::path::PathBuf, String)],
        insecure: &[String],
    ) -> Result<Self, KeyError> {
        let keys = keys
            .iter()
            .map(|(path, pem)| {
                PublicKey::from_pem(pem.as_bytes(), &path.display().to_string())
                    .map_err(|e| KeyError(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(RegistryVerifier {
            keys: Arc::new(keys),
            insecure: Arc::new(insecure.to_vec()),
            // ASSAY_REGISTRY_* and docker's config.json, as for `assay scan` (in a pod: a
            // mounted `.dockerconfigjson` with DOCKER_CONFIG pointing at it).
            credentials: Arc::new(assay_oci::Credentials::from_env()),
        })
    }

    /// How to reach the registry of `name` (`registry/repository`): plain HTTP for loopback
    /// and listed registries, credentials looked up (and identity tokens exchanged) when the
    /// returned closure runs, on the blocking pool.
    fn options(
        &self,
        name: &str,
    ) -> impl FnOnce() -> Result<assay_oci::RemoteOptions, VerifyError> + Send + 'static {
        let name = name.to_string();
        let insecure = self.insecure.clone();
        let credentials = self.credentials.clone();
        move || {
            let (host, repository) = name.split_once('/').unwrap_or((name.as_str(), ""));
            let mut plain_http = insecure.as_ref().clone();
            let bare = host.rsplit_once(':').map_or(host, |(h, _)| h);
            if matches!(bare, "localhost" | "127.0.0.1" | "[::1]") {
                plain_http.push(host.to_string());
            }
            let plain = plain_http.iter().any(|h| h == host);
            let auth = credentials
                .resolve(host, repository, plain)
                .map_err(|e| VerifyError::Unreachable(format!("credentials for {host}: {e}")))?;
            Ok(assay_oci::RemoteOptions {
                auth,
                plain_http,
                ..Default::default()
            })
        }
    }
}

/// assay-sign's errors, split the way the webhook needs: a registry that answered "no such
/// manifest" is a definite answer, anything else at the registry level is "unreachable".
fn classify(e: &assay_sign::Error) -> VerifyError {
    let text = e.to_string();
    match e.kind() {
        ErrorKind::Registry => {
            let lower = text.to_ascii_lowercase();
            if lower.contains("manifest unknown")
                || lower.contains("not found")
                || lower.contains("name unknown")
            {
                VerifyError::NotFound(text)
            } else {
                VerifyError::Unreachable(text)
            }
        }
        _ => VerifyError::NotFound(text),
    }
}

fn open(
    reference: &str,
    options: &assay_oci::RemoteOptions,
) -> Result<Box<dyn Store>, VerifyError> {
    Location::parse(reference)
        .map_err(|e| VerifyError::NotFound(e.to_string()))?
        .open(options)
        .map(|store| -> Box<dyn Store> { store })
        .map_err(|e| classify(&e))
}

/// Runs blocking registry work on the blocking pool.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, VerifyError> + Send + 'static,
) -> Result<T, VerifyError> {
    tokio::task::spawn_blocking(work).await.unwrap_or_else(|e| {
        Err(VerifyError::Unreachable(format!(
            "verification task failed: {e}"
        )))
    })
}

/// Tries each trusted key in turn: the first that `verify` accepts passes the check, with the
/// text `describe` makes of what it verified; a registry error stops (the registry could not
/// be asked); when no key passes, the last key's reason fails it.
fn first_trusted<T>(
    keys: &[PublicKey],
    verify: impl Fn(&assay_sign::Verifier) -> Result<T, assay_sign::Error>,
    describe: impl Fn(&T, &assay_sign::Verifier) -> String,
) -> Result<Check, VerifyError> {
    let mut last = String::from("no trusted key");
    for key in keys {
        let verifier = assay_sign::Verifier::Key(key.clone());
        match verify(&verifier) {
            Ok(found) => return Ok(Check::Pass(describe(&found, &verifier))),
            Err(e) if e.kind() == ErrorKind::Registry => return Err(classify(&e)),
            Err(e) => last = e.to_string(),
        }
    }
    Ok(Check::Fail(last))
}

fn check_signature(store: &dyn Store, keys: &[PublicKey]) -> Result<Check, VerifyError> {
    first_trusted(
        keys,
        |verifier| assay_sign::verify_image(store, verifier, &BTreeMap::new(), None),
        |_, verifier| verifier.describe(),
    )
}

fn check_promotion(store: &dyn Store, keys: &[PublicKey]) -> Result<Check, VerifyError> {
    first_trusted(
        keys,
        |verifier| assay_sign::verify_attestations(store, verifier, Some(PROMOTION_PREDICATE_TYPE)),
        |found, verifier| {
            // assay-promote's PromotionRecord: `source` and `policy` name where the image
            // came from and what it passed.
            let predicate = found.first().map(|a| &a.statement.predicate);
            let field = |k: &str| {
                predicate
                    .and_then(|p| p.get(k))
                    .and_then(|v| v.as_str())
                    .filter(|v| !v.is_empty())
                    .map(str::to_string)
            };
            let mut text = String::new();
            if let Some(source) = field("source") {
                text.push_str(&format!("from {source}, "));
            }
            if let Some(policy) = field("policy") {
                text.push_str(&format!("policy {policy}, "));
            }
            text.push_str(&format!("attested by {}", verifier.describe()));
            text
        },
    )
}

impl Verifier for RegistryVerifier {
    fn resolve<'a>(
        &'a self,
        name: &'a str,
        tag: &'a str,
    ) -> BoxFuture<'a, Result<String, VerifyError>> {
        let reference = format!("{name}:{tag}");
        let options = self.options(name);
        Box::pin(blocking(move || {
            let store = open(&reference, &options()?)?;
            Ok(store.subject().digest.to_string())
        }))
    }

    fn signature<'a>(&'a self, image: &'a Pinned) -> BoxFuture<'a, Result<Check, VerifyError>> {
        let reference = image.to_string();
        let options = self.options(&image.name);
        let keys = self.keys.clone();
        Box::pin(blocking(move || {
            check_signature(open(&reference, &options()?)?.as_ref(), &keys)
        }))
    }

    fn promotion<'a>(&'a self, image: &'a Pinned) -> BoxFuture<'a, Result<Check, VerifyError>> {
        let reference = image.to_string();
        let options = self.options(&image.name);
        let keys = self.keys.clone();
        Box::pin(blocking(move || {
            check_promotion(open(&reference, &options()?)?.as_ref(), &keys)
        }))
    }

    /// One registry connection for both checks: opening a store (client, TLS set-up, manifest
    /// request) costs more than the checks themselves.
    fn verify<'a>(
        &'a self,
        image: &'a Pinned,
        signature: bool,
        promotion: bool,
    ) -> BoxFuture<'a, (Option<CheckResult>, Option<CheckResult>)> {
        let reference = image.to_string();
        let options = self.options(&image.name);
        let keys = self.keys.clone();
        Box::pin(async move {
            let work = tokio::task::spawn_blocking(move || {
                match options().and_then(|options| open(&reference, &options)) {
                    Ok(store) => (
                        signature.then(|| check_signature(store.as_ref(), &keys)),
                        promotion.then(|| check_promotion(store.as_ref(), &keys)),
                    ),
                    Err(e) => (
                        signature.then(|| Err(e.clone())),
                        promotion.then(|| Err(e.clone())),
                    ),
                }
            });
            work.await.unwrap_or_else(|e| {
                let failed = || {
                    Err(VerifyError::Unreachable(format!(
                        "verification task failed: {e}"
                    )))
                };
                (signature.then(failed), promotion.then(failed))
            })
        })
    }
}
