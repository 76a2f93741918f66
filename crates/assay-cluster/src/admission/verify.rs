//! What the webhook asks of registries, behind a trait: resolve a tag to a digest, check an
//! image's signature and its promotion attestation. The registry-backed implementation lives
//! with the CLI wiring; tests use an in-memory one. Results are cached by digest with a TTL.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A boxed future, so that [`Verifier`] stays usable as `dyn Verifier`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// An image pinned to a digest: `registry/repository` and `sha256:...`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pinned {
    /// `registry/repository`, e.g. `registry.example.com/shop/web`.
    pub name: String,
    /// `sha256:...`.
    pub digest: String,
}

impl std::fmt::Display for Pinned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}", self.name, self.digest)
    }
}

/// The outcome of one check that could be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// The requirement holds; the text says by what (a key fingerprint, a promotion record).
    Pass(String),
    /// The requirement does not hold; the text says why.
    Fail(String),
}

/// A check that could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The registry could not be reached or answered with a server error.
    #[error("registry unreachable: {0}")]
    Unreachable(String),
    /// The reference does not exist.
    #[error("{0}")]
    NotFound(String),
}

/// Registry-side checks of the golden-image policy.
pub trait Verifier: Send + Sync + std::fmt::Debug {
    /// The digest a tag points to now (`image` is `registry/repository:tag`).
    fn resolve<'a>(
        &'a self,
        name: &'a str,
        tag: &'a str,
    ) -> BoxFuture<'a, Result<String, VerifyError>>;
    /// Whether the image carries a signature by a trusted key.
    fn signature<'a>(&'a self, image: &'a Pinned) -> BoxFuture<'a, Result<Check, VerifyError>>;
    /// Whether the image carries an assay promotion attestation signed by a trusted key.
    fn promotion<'a>(&'a self, image: &'a Pinned) -> BoxFuture<'a, Result<Check, VerifyError>>;

    /// The signature and promotion checks that are asked for, at once. A verifier that can
    /// share work between them (one registry connection) overrides this.
    fn verify<'a>(
        &'a self,
        image: &'a Pinned,
        signature: bool,
        promotion: bool,
    ) -> BoxFuture<'a, (Option<CheckResult>, Option<CheckResult>)> {
        Box::pin(async move {
            let s = async {
                match signature {
                    true => Some(self.signature(image).await),
                    false => None,
                }
            };
            let p = async {
                match promotion {
                    true => Some(self.promotion(image).await),
                    false => None,
                }
            };
            tokio::join!(s, p)
        })
    }
}

/// The outcome of one check, or why it could not be made.
pub type CheckResult = Result<Check, VerifyError>;

/// Signature and promotion results of one image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Verdict {
    pub signature: Option<Check>,
    pub promotion: Option<Check>,
}

/// Verification results by image digest, kept for a TTL. Only definite answers are cached:
/// an unreachable registry is asked again on the next request.
#[derive(Debug)]
pub(crate) struct Cache {
    ttl: Duration,
    entries: Mutex<HashMap<Pinned, (Instant, Verdict)>>,
}

impl Cache {
    pub(crate) fn new(ttl: Duration) -> Self {
        Cache {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn get(&self, image: &Pinned) -> Option<Verdict> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(image)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, v)| v.clone())
    }

    pub(crate) fn put(&self, image: Pinned, verdict: Verdict) {
        if self.ttl.is_zero() {
            return;
        }
        if let Ok(mut entries) = self.entries.lock() {
            // Bounded: drop expired entries when the map grows, so a long-running webhook
            // does not keep every digest it ever saw.
            if entries.len() >= 10_000 {
                let ttl = self.ttl;
                entries.retain(|_, (at, _)| at.elapsed() < ttl);
            }
            entries.insert(image, (Instant::now(), verdict));
        }
    }

    pub(crate) fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pinned(digest: &str) -> Pinned {
        Pinned {
            name: "registry.example.com/shop/web".into(),
            digest: digest.into(),
        }
    }

    fn verdict() -> Verdict {
        Verdict {
            signature: Some(Check::Pass("key".into())),
            promotion: Some(Check::Fail("none".into())),
        }
    }

    #[test]
    fn entries_expire_after_the_ttl() {
        let cache = Cache::new(Duration::from_millis(200));
        cache.put(pinned("sha256:a"), verdict());
        assert_eq!(cache.get(&pinned("sha256:a")), Some(verdict()));
        assert_eq!(cache.get(&pinned("sha256:b")), None, "keyed by digest");
        std::thread::sleep(Duration::from_millis(250));
        assert_eq!(cache.get(&pinned("sha256:a")), None, "expired");
    }

    #[test]
    fn a_zero_ttl_caches_nothing_and_clear_forgets() {
        let off = Cache::new(Duration::ZERO);
        off.put(pinned("sha256:a"), verdict());
        assert_eq!(off.get(&pinned("sha256:a")), None);
        let cache = Cache::new(Duration::from_secs(60));
        cache.put(pinned("sha256:a"), verdict());
        cache.clear();
        assert_eq!(cache.get(&pinned("sha256:a")), None);
    }
}
