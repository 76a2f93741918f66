//! The copy engine: moves an image (index, manifests, blobs) and what is attached to it
//! (cosign `.sig`/`.att`/`.sbom` tags, OCI 1.1 referrers) from one place to another, byte for
//! byte, so every digest stays the same. Places are registries or OCI layouts (`oci:DIR`).
//!
//! The order is what makes a copy safe to interrupt: blobs first, then each manifest once
//! everything it names exists, then attached artifacts, and the tag last. A destination tag
//! therefore never points at an incomplete image, and a rerun after a failure only does what
//! is missing (a manifest already at the destination proves its whole subtree is there,
//! because registries refuse manifests whose references are missing). An unchanged image
//! costs one request per manifest at the destination and pushes nothing.
//!
//! Blobs stream from source to destination without touching disk, through a hash that is
//! checked before an upload is committed: a source serving the wrong bytes fails the copy
//! and leaves nothing behind. Blob transfers run with bounded parallelism.
//!
//! Registry faults are absorbed where that is safe (copy/registry.rs says what is retried
//! and why): requests are retried with exponential backoff on a broken connection, an idle
//! timeout, a 5xx or a 429 (honouring `Retry-After` up to [`Backoff::max_retry_after`]); an
//! expired token is renewed on the registry's new challenge; a source download that breaks
//! is resumed with `Range`; a blob whose bytes do not match its digest is fetched again; an
//! upload that breaks starts again from a new session. When the retries run out the error
//! names the request and the status, and since the tag moves last nothing is tagged.
//!
//! The registry side is a small client on reqwest rather than oci-client: the engine needs
//! status-level control that oci-client hides (a mount answered with 202 continues as an
//! upload, HEAD tells absence from failure, the referrers API's 404 tells "unsupported",
//! uploads are cancelled when the source lies, downloads resume with `Range`) and a request
//! count for the idempotence test. Image pulls ([`crate::RemoteImage`]) and artifacts
//! ([`crate::Repository`]) use the same client.

mod layout;
mod place;
pub(crate) mod registry;
pub(crate) mod store;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use serde::Serialize;

use crate::digest::Digest;
use crate::manifest::Descriptor;
use crate::media_type;
use crate::platform::Platform;
use crate::reference::Reference;
use crate::remote::RegistryAuth;

pub use place::Place;
pub(crate) use store::Store;

/// Largest manifest or index the engine reads (the distribution registry's own limit).
const MAX_MANIFEST: usize = 4 << 20;

/// Suffixes of cosign's tag layout: `sha256-<hex>.sig`, `.att`, `.sbom`.
pub const COSIGN_SUFFIXES: [&str; 3] = ["sig", "att", "sbom"];

/// The tag cosign uses for an artifact attached to `digest` (`sha256-<hex>.<suffix>`).
pub fn cosign_tag(digest: &Digest, suffix: &str) -> String {
    format!("{}-{}.{suffix}", digest.algorithm().as_str(), digest.hex())
}

/// The OCI referrers tag-schema fallback tag for `digest` (`sha256-<hex>`).
pub fn referrers_tag(digest: &Digest) -> String {
    format!("{}-{}", digest.algorithm().as_str(), digest.hex())
}

/// Where an image lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A registry repository, optionally with a tag and/or digest.
    Registry(Reference),
    /// An OCI image layout directory, `oci:DIR[:TAG]`.
    Layout {
        /// The layout directory.
        dir: PathBuf,
        /// The tag (`org.opencontainers.image.ref.name`).
        tag: Option<String>,
    },
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Registry(r) => write!(f, "docker://{r}"),
            Location::Layout { dir, tag: Some(t) } => write!(f, "oci:{}:{t}", dir.display()),
            Location::Layout { dir, tag: None } => write!(f, "oci:{}", dir.display()),
        }
    }
}

impl Location {
    /// The tag named, if any.
    pub fn tag(&self) -> Option<&str> {
        match self {
            Location::Registry(r) => r.tag(),
            Location::Layout { tag, .. } => tag.as_deref(),
        }
    }

    /// The digest pinned, if any (layouts are named by tag only).
    pub fn digest(&self) -> Option<&Digest> {
        match self {
            Location::Registry(r) => r.digest(),
            Location::Layout { .. } => None,
        }
    }
}

/// A place plus how to reach it.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// The image's location.
    pub location: Location,
    /// Credentials (registries only).
    pub auth: RegistryAuth,
    /// Speak plain HTTP to the registry (loopback test registries, `--insecure-registry`).
    pub plain_http: bool,
}

impl Endpoint {
    /// An endpoint with no credentials over HTTPS (plain HTTP for loopback hosts).
    pub fn new(location: Location) -> Endpoint {
        let plain_http = match &location {
            Location::Registry(r) => is_loopback(r.registry()),
            Location::Layout { .. } => false,
        };
        Endpoint {
            location,
            auth: RegistryAuth::Anonymous,
            plain_http,
        }
    }
}

/// Whether `host[:port]` is `localhost` or a loopback address.
pub fn is_loopback(host: &str) -> bool {
    let name = if host.starts_with('[') {
        host.split(']')
            .next()
            .unwrap_or(host)
            .trim_start_matches('[')
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    };
    name == "localhost"
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// How blobs are uploaded to a registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UploadMode {
    /// The engine's choice: today one streamed PUT per blob (the size is known from the
    /// descriptor, so nothing is buffered, and it is one request instead of one per chunk).
    #[default]
    Auto,
    /// One streamed PUT per blob.
    Monolithic,
    /// POST, PATCH per chunk, PUT.
    Chunked,
}

/// Extra attempts after the first, by default: with [`Backoff::default`] a registry that
/// stays down is given up on after about 1.75 s of waiting (plus any `Retry-After`).
pub const DEFAULT_RETRIES: u32 = 3;

/// The retries and backoff of this process, when its user set them (`assay
/// --registry-retries`, `--registry-timeout`); unset, [`DEFAULT_RETRIES`] and
/// [`Backoff::default`] apply.
static CONFIGURED: std::sync::OnceLock<(u32, Backoff)> = std::sync::OnceLock::new();

/// Sets the retries and backoff every registry client of the process starts from (a
/// command line sets them once, before any request). Returns false if they were set already.
pub fn configure(retries: u32, backoff: Backoff) -> bool {
    CONFIGURED.set((retries, backoff)).is_ok()
}

/// Extra attempts after the first: the configured number, else [`DEFAULT_RETRIES`].
pub fn retries() -> u32 {
    CONFIGURED.get().map_or(DEFAULT_RETRIES, |(r, _)| *r)
}

/// The configured backoff, else [`Backoff::default`].
pub fn backoff() -> Backoff {
    CONFIGURED
        .get()
        .map_or_else(Backoff::default, |(_, b)| b.clone())
}

/// When the registry client tries again and when it stops waiting. Delays are
/// deterministic: `base`, then doubled per attempt, at most `max`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backoff {
    /// The delay before the first retry.
    pub base: Duration,
    /// The longest delay between two attempts.
    pub max: Duration,
    /// The longest `Retry-After` honoured; a registry asking for more waits this long.
    pub max_retry_after: Duration,
    /// How long a request may go without receiving anything (the answer's headers, the
    /// next chunk of a body) before it counts as broken. While an upload body is being
    /// sent, the clock restarts with each chunk taken.
    pub read_timeout: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::from_millis(250),
            max: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
            read_timeout: Duration::from_secs(60),
        }
    }
}

impl Backoff {
    /// The delay before retry number `retry` (1 for the first).
    pub fn delay(&self, retry: u32) -> Duration {
        let factor = 1u32 << retry.saturating_sub(1).min(16);
        self.base.saturating_mul(factor).min(self.max)
    }
}

/// What a copy does and how.
#[derive(Debug, Clone)]
pub struct CopyOptions {
    /// Copy only these platforms of an index. One platform copies that manifest alone (its
    /// digest preserved); several build a smaller index (a new digest).
    pub platforms: Vec<Platform>,
    /// Plan only: read the source, ask the destination what it has, write nothing.
    pub dry_run: bool,
    /// Blob transfers in flight at once.
    pub parallelism: usize,
    /// Upload mode for registries.
    pub upload: UploadMode,
    /// Chunk size for chunked uploads.
    pub chunk_size: usize,
    /// Copy cosign signature/attestation/SBOM tags and OCI referrers too.
    pub attached: bool,
    /// Extra attempts for a request or blob transfer that fails on the network, times out,
    /// or is answered with a 5xx or 429 (see [`Backoff`]).
    pub retries: u32,
    /// Delays between attempts and the idle timeout.
    pub backoff: Backoff,
    /// Leave the destination tag alone: everything is copied by digest and the caller moves
    /// the tag after its own checks (promotion verifies evidence at the destination first).
    pub skip_tag: bool,
}

impl Default for CopyOptions {
    fn default() -> Self {
        CopyOptions {
            platforms: Vec::new(),
            dry_run: false,
            parallelism: 4,
            upload: UploadMode::Auto,
            chunk_size: 8 << 20,
            attached: true,
            retries: retries(),
            backoff: backoff(),
            skip_tag: false,
        }
    }
}

/// What happened (or, in a dry run, would happen) to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Already at the destination.
    Skip,
    /// Mounted from another repository of the same registry.
    Mount,
    /// Streamed from the source.
    Copy,
    /// A manifest or index written.
    Push,
    /// A tag pointed at a manifest.
    Tag,
}

impl Action {
    /// The word used in plans.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Skip => "skip",
            Action::Mount => "mount",
            Action::Copy => "copy",
            Action::Push => "push",
            Action::Tag => "tag",
        }
    }
}

/// What a step is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A layer or config blob.
    Blob,
    /// A manifest or index.
    Manifest,
    /// A tag.
    Tag,
}

/// One entry of a plan or report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// What it is about.
    pub kind: Kind,
    /// What is done.
    pub action: Action,
    /// The object's digest.
    pub digest: Digest,
    /// Its size in bytes.
    pub size: u64,
    /// Its media type, or the tag name for tags.
    pub name: String,
}

/// The outcome of a copy (or the plan of a dry run).
#[derive(Debug, Clone, Serialize)]
pub struct CopyReport {
    /// The digest of what was copied at the source (after a `--platform` choice: the chosen
    /// manifest).
    pub source_digest: Digest,
    /// The digest at the destination; equal to `source_digest` unless several platforms were
    /// chosen out of an index.
    pub destination_digest: Digest,
    /// Whether this was a dry run.
    pub dry_run: bool,
    /// Every object, in the order handled.
    pub steps: Vec<Step>,
    /// Bytes streamed from the source to the destination.
    pub bytes_copied: u64,
    /// HTTP requests sent to the destination registry (0 for layouts).
    pub destination_requests: u64,
}

impl CopyReport {
    /// Steps that write something (anything but `Skip`).
    pub fn writes(&self) -> usize {
        self.steps
            .iter()
            .filter(|s| s.action != Action::Skip)
            .count()
    }

    /// The number of steps with this kind and action.
    pub fn count(&self, kind: Kind, action: Action) -> usize {
        self.steps
            .iter()
            .filter(|s| s.kind == kind && s.action == action)
            .count()
    }
}

/// Why a copy failed.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// The registry could not be reached, or the connection broke.
    #[error("{url}: {message}")]
    Network {
        /// The request.
        url: String,
        /// What broke.
        message: String,
    },
    /// The registry answered with an error status.
    #[error("{url}: registry answered {status}{}", detail_suffix(.detail))]
    Status {
        /// The request.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The registry's error code and message, if any.
        detail: String,
    },
    /// Credentials missing or refused.
    #[error("{url}: authentication failed ({status})")]
    Unauthorized {
        /// The request.
        url: String,
        /// The HTTP status.
        status: u16,
    },
    /// The image (tag or digest) does not exist at the source.
    #[error("{0}: manifest unknown")]
    NotFound(String),
    /// Bytes that do not hash to their digest.
    #[error("{what}: content does not match its digest (expected {expected}, got {actual})")]
    DigestMismatch {
        /// The object and where it came from.
        what: String,
        /// The digest asked for.
        expected: Digest,
        /// The digest of what arrived.
        actual: Digest,
    },
    /// Bytes whose length differs from the descriptor's size.
    #[error("{what}: size does not match its descriptor (expected {expected}, got {actual})")]
    SizeMismatch {
        /// The object.
        what: String,
        /// The size asked for.
        expected: u64,
        /// What arrived.
        actual: u64,
    },
    /// A manifest that is not a JSON manifest or index assay can copy.
    #[error("{what}: invalid manifest: {reason}")]
    InvalidManifest {
        /// The manifest.
        what: String,
        /// Why.
        reason: String,
    },
    /// No entry of the index matches `--platform`.
    #[error("{what}: no manifest for platform {wanted} (available: {available})")]
    Platform {
        /// The index.
        what: String,
        /// The platforms asked for.
        wanted: String,
        /// Those the index has.
        available: String,
    },
    /// A local file operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A layout directory that is not an OCI layout.
    #[error("{path}: not an OCI image layout: {reason}")]
    Layout {
        /// The directory.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A destination with neither tag nor digest for the copy to land on is fine, but a
    /// destination pinned to another digest than the source's is a contradiction.
    #[error("destination {destination} is pinned to {pinned}, the source is {source_digest}")]
    PinnedDestination {
        /// The destination.
        destination: String,
        /// Its digest.
        pinned: Digest,
        /// The source digest.
        source_digest: Digest,
    },
}

fn detail_suffix(detail: &str) -> String {
    if detail.is_empty() {
        String::new()
    } else {
        format!(": {detail}")
    }
}

impl CopyError {
    /// Network and registry failures (exit code 3), as opposed to bad input or bad content.
    pub fn is_network(&self) -> bool {
        matches!(
            self,
            CopyError::Network { .. } | CopyError::Status { .. } | CopyError::Unauthorized { .. }
        )
    }
}

/// The references a manifest or index makes, read from its raw JSON.
#[derive(Debug, Default)]
pub(crate) struct Refs {
    /// Child manifests (an index's entries).
    pub(crate) manifests: Vec<Descriptor>,
    /// Blobs (config and layers).
    pub(crate) blobs: Vec<Descriptor>,
}

/// A media type for raw manifest bytes: their own `mediaType`, else their shape.
pub fn manifest_type_of(bytes: &[u8]) -> String {
    manifest_media_type(bytes)
}

fn manifest_media_type(bytes: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Shape {
        media_type: Option<String>,
        manifests: Option<serde_json::Value>,
    }
    match serde_json::from_slice::<Shape>(bytes) {
        Ok(Shape {
            media_type: Some(t),
            ..
        }) => t,
        Ok(Shape {
            manifests: Some(_), ..
        }) => media_type::OCI_INDEX.to_string(),
        _ => media_type::OCI_MANIFEST.to_string(),
    }
}

pub(crate) fn parse_refs(bytes: &[u8], what: &str) -> Result<Refs, CopyError> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Doc {
        schema_version: Option<u32>,
        manifests: Option<Vec<Descriptor>>,
        config: Option<Descriptor>,
        #[serde(default)]
        layers: Vec<Descriptor>,
    }
    let invalid = |reason: String| CopyError::InvalidManifest {
        what: what.to_string(),
        reason,
    };
    let doc: Doc = serde_json::from_slice(bytes).map_err(|e| invalid(e.to_string()))?;
    if doc.schema_version != Some(2) {
        return Err(invalid(
            "schemaVersion is not 2 (Docker schema 1 images cannot be copied by digest)".into(),
        ));
    }
    match (doc.manifests, doc.config) {
        (Some(manifests), None) => Ok(Refs {
            manifests,
            blobs: Vec::new(),
        }),
        (None, Some(config)) => {
            let mut blobs = vec![config];
            blobs.extend(doc.layers);
            Ok(Refs {
                manifests: Vec::new(),
                blobs,
            })
        }
        _ => Err(invalid("neither an index nor an image manifest".into())),
    }
}

/// Copies the image at `source` to `destination` (see the module docs for the order and
/// guarantees). Blocking: it runs its own tokio runtime, so call it outside of one.
pub fn copy(
    source: &Endpoint,
    destination: &Endpoint,
    options: &CopyOptions,
) -> Result<CopyReport, CopyError> {
    runtime()?.block_on(copy_async(source, destination, options))
}

/// The one runtime behind the blocking API ([`copy`], [`Place`]), shared so the process
/// has one connection pool per registry: building a runtime and a TLS client per call costs
/// more than re-promoting an unchanged image.
pub(crate) fn runtime() -> Result<&'static tokio::runtime::Runtime, CopyError> {
    static RUNTIME: std::sync::OnceLock<Result<tokio::runtime::Runtime, String>> =
        std::sync::OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| CopyError::Io {
            path: PathBuf::from("<tokio runtime>"),
            source: std::io::Error::other(e.clone()),
        })
}

/// [`copy`] for callers already inside a tokio runtime.
pub async fn copy_async(
    source: &Endpoint,
    destination: &Endpoint,
    options: &CopyOptions,
) -> Result<CopyReport, CopyError> {
    let policy = registry::Policy {
        retries: options.retries,
        backoff: options.backoff.clone(),
    };
    let src = Store::open(source, false, None, &policy).await?;
    let mount_from = match (&source.location, &destination.location) {
        (Location::Registry(s), Location::Registry(d))
            if s.registry() == d.registry() && s.repository() != d.repository() =>
        {
            Some(s.repository().to_string())
        }
        _ => None,
    };
    let dst = match &destination.location {
        // A dry run into a layout that does not exist yet plans against an empty one.
        Location::Layout { dir, .. } if options.dry_run && !dir.exists() => {
            Store::Layout(layout::LayoutStore::planned(dir))
        }
        _ => {
            Store::open(
                destination,
                !options.dry_run,
                mount_from.as_deref(),
                &policy,
            )
            .await?
        }
    };
    let engine = Engine {
        src,
        dst,
        options: options.clone(),
        mount_from,
        steps: std::sync::Mutex::new(Vec::new()),
        bytes: AtomicU64::new(0),
        done: std::sync::Mutex::new(BTreeSet::new()),
    };
    engine.run(source, destination).await
}

struct Engine {
    src: Store,
    dst: Store,
    options: CopyOptions,
    mount_from: Option<String>,
    steps: std::sync::Mutex<Vec<Step>>,
    bytes: AtomicU64,
    /// Manifests known complete at the destination in this run.
    done: std::sync::Mutex<BTreeSet<Digest>>,
}

impl Engine {
    fn record(&self, kind: Kind, action: Action, digest: &Digest, size: u64, name: &str) {
        if let Ok(mut steps) = self.steps.lock() {
            steps.push(Step {
                kind,
                action,
                digest: digest.clone(),
                size,
                name: name.to_string(),
            });
        }
    }

    async fn run(self, source: &Endpoint, destination: &Endpoint) -> Result<CopyReport, CopyError> {
        let reference = match (source.location.digest(), source.location.tag()) {
            (Some(d), _) => d.to_string(),
            (None, Some(t)) => t.to_string(),
            (None, None) => "latest".to_string(),
        };
        let (bytes, _) = self
            .src
            .get_manifest(&reference)
            .await?
            .ok_or_else(|| CopyError::NotFound(source.location.to_string()))?;
        let mut root_digest = Digest::sha256_of(&bytes);
        if let Some(pinned) = source.location.digest() {
            root_digest = verify_bytes(&bytes, pinned, &source.location.to_string())?;
        }
        let source_digest;
        let (root_bytes, root_digest) = if self.options.platforms.is_empty() {
            source_digest = root_digest.clone();
            (bytes, root_digest)
        } else {
            let (chosen, digest) = self.choose_platforms(bytes, &source.location).await?;
            let new_digest = Digest::sha256_of(&chosen);
            source_digest = digest;
            (chosen, new_digest)
        };
        if let Some(pinned) = destination.location.digest()
            && pinned != &root_digest
        {
            return Err(CopyError::PinnedDestination {
                destination: destination.location.to_string(),
                pinned: pinned.clone(),
                source_digest: root_digest,
            });
        }
        let root_type = manifest_media_type(&root_bytes);
        let tag = if self.options.skip_tag {
            None
        } else {
            destination
                .location
                .tag()
                .or_else(|| source.location.tag())
                .or(match (&source.location, destination.location.digest()) {
                    (Location::Registry(r), None) if r.digest().is_none() => Some("latest"),
                    _ => None,
                })
                .map(str::to_string)
        };

        // One request for an unchanged image: the destination tag already names this digest.
        let tagged = match &tag {
            Some(t) => self.dst.manifest_digest(t).await? == Some(root_digest.clone()),
            None => false,
        };
        if tagged {
            self.mark_done(&root_digest);
            self.record(
                Kind::Manifest,
                Action::Skip,
                &root_digest,
                root_bytes.len() as u64,
                &root_type,
            );
        } else {
            self.copy_tree(
                &root_bytes,
                &root_digest,
                &root_type,
                &source.location.to_string(),
            )
            .await?;
        }
        if self.options.attached {
            self.copy_attached(&root_digest, &root_bytes).await?;
        }
        if let Some(t) = &tag {
            if tagged {
                self.record(Kind::Tag, Action::Skip, &root_digest, 0, t);
            } else {
                if !self.options.dry_run {
                    self.dst.put_manifest(&root_bytes, &root_type, t).await?;
                }
                self.record(Kind::Tag, Action::Tag, &root_digest, 0, t);
            }
        }
        let steps = self.steps.lock().map(|s| s.clone()).unwrap_or_default();
        Ok(CopyReport {
            source_digest,
            destination_digest: root_digest,
            dry_run: self.options.dry_run,
            steps,
            bytes_copied: self.bytes.load(Ordering::Relaxed),
            destination_requests: self.dst.requests(),
        })
    }

    /// The `--platform` choice: the one matching manifest, or an index of those that match.
    /// Returns the bytes to copy and the source digest they stand for.
    async fn choose_platforms(
        &self,
        bytes: Vec<u8>,
        location: &Location,
    ) -> Result<(Vec<u8>, Digest), CopyError> {
        let what = location.to_string();
        let refs = parse_refs(&bytes, &what)?;
        if refs.manifests.is_empty() {
            // A single-platform image: the choice applies only if it is the platform asked.
            return Ok((bytes.clone(), Digest::sha256_of(&bytes)));
        }
        let chosen: Vec<&Descriptor> = refs
            .manifests
            .iter()
            .filter(|d| {
                d.platform
                    .as_ref()
                    .is_some_and(|p| self.options.platforms.iter().any(|w| w.accepts(p)))
            })
            .collect();
        let wanted = self
            .options
            .platforms
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        match chosen.as_slice() {
            [] => Err(CopyError::Platform {
                what,
                wanted,
                available: crate::platform::available(&refs.manifests).join(", "),
            }),
            [one] => {
                let (child, _) = self
                    .src
                    .get_manifest(&one.digest.to_string())
                    .await?
                    .ok_or_else(|| CopyError::NotFound(format!("{what}@{}", one.digest)))?;
                let digest = verify_bytes(&child, &one.digest, &format!("{what}@{}", one.digest))?;
                Ok((child, digest))
            }
            several => {
                let mut doc: serde_json::Value =
                    serde_json::from_slice(&bytes).map_err(|e| CopyError::InvalidManifest {
                        what: what.clone(),
                        reason: e.to_string(),
                    })?;
                let entries =
                    serde_json::to_value(several).map_err(|e| CopyError::InvalidManifest {
                        what: what.clone(),
                        reason: e.to_string(),
                    })?;
                if let Some(obj) = doc.as_object_mut() {
                    obj.insert("manifests".into(), entries);
                }
                let new = serde_json::to_vec(&doc).map_err(|e| CopyError::InvalidManifest {
                    what,
                    reason: e.to_string(),
                })?;
                let digest = Digest::sha256_of(&new);
                Ok((new, digest))
            }
        }
    }

    fn is_done(&self, digest: &Digest) -> bool {
        self.done.lock().is_ok_and(|d| d.contains(digest))
    }

    fn mark_done(&self, digest: &Digest) {
        if let Ok(mut d) = self.done.lock() {
            d.insert(digest.clone());
        }
    }

    /// Copies a manifest and everything under it, children before parents.
    async fn copy_tree(
        &self,
        bytes: &[u8],
        digest: &Digest,
        media_type: &str,
        what: &str,
    ) -> Result<(), CopyError> {
        if self.is_done(digest) {
            return Ok(());
        }
        let size = bytes.len() as u64;
        if self.dst.has_manifest(digest).await? {
            self.mark_done(digest);
            self.record(Kind::Manifest, Action::Skip, digest, size, media_type);
            return Ok(());
        }
        let refs = parse_refs(bytes, &format!("{what}@{digest}"))?;
        for child in &refs.manifests {
            let child_what = format!("{what}@{}", child.digest);
            if self.is_done(&child.digest) {
                continue;
            }
            let (child_bytes, _) = self
                .src
                .get_manifest(&child.digest.to_string())
                .await?
                .ok_or_else(|| CopyError::NotFound(child_what.clone()))?;
            verify_bytes(&child_bytes, &child.digest, &child_what)?;
            Box::pin(self.copy_tree(&child_bytes, &child.digest, &child.media_type, what)).await?;
        }
        self.copy_blobs(&refs.blobs, what).await?;
        if !self.options.dry_run {
            self.dst
                .put_manifest(bytes, media_type, &digest.to_string())
                .await?;
        }
        self.mark_done(digest);
        self.record(Kind::Manifest, Action::Push, digest, size, media_type);
        Ok(())
    }

    async fn copy_blobs(&self, blobs: &[Descriptor], what: &str) -> Result<(), CopyError> {
        let mut unique: BTreeMap<&Digest, &Descriptor> = BTreeMap::new();
        for b in blobs {
            unique.entry(&b.digest).or_insert(b);
        }
        let results: Vec<Result<(), CopyError>> = futures_util::stream::iter(unique.into_values())
            .map(|desc| self.copy_blob(desc, what))
            .buffer_unordered(self.options.parallelism.max(1))
            .collect()
            .await;
        // Every transfer runs to its end (no upload is left half-open), then the first error
        // that came is reported.
        results.into_iter().collect()
    }

    async fn copy_blob(&self, desc: &Descriptor, what: &str) -> Result<(), CopyError> {
        if self.dst.has_blob(&desc.digest).await? {
            self.record(
                Kind::Blob,
                Action::Skip,
                &desc.digest,
                desc.size,
                &desc.media_type,
            );
            return Ok(());
        }
        if self.options.dry_run {
            let action = if self.mount_from.is_some() {
                Action::Mount
            } else {
                Action::Copy
            };
            self.record(
                Kind::Blob,
                action,
                &desc.digest,
                desc.size,
                &desc.media_type,
            );
            return Ok(());
        }
        let blob_what = format!("blob {} of {what}", desc.digest);
        // A registry source served wrong bytes (or too few, too many): fetch them again.
        let refetch = matches!(self.src, Store::Registry(_));
        let mut attempt = 0;
        loop {
            let result = self
                .dst
                .put_blob(
                    &self.src,
                    desc,
                    self.mount_from.as_deref(),
                    &self.options,
                    &blob_what,
                )
                .await;
            match result {
                Ok(action) => {
                    if action == Action::Copy {
                        self.bytes.fetch_add(desc.size, Ordering::Relaxed);
                    }
                    self.record(
                        Kind::Blob,
                        action,
                        &desc.digest,
                        desc.size,
                        &desc.media_type,
                    );
                    return Ok(());
                }
                Err(failed) => {
                    let again = failed.again
                        || (refetch
                            && matches!(
                                failed.error,
                                CopyError::DigestMismatch { .. } | CopyError::SizeMismatch { .. }
                            ));
                    if !again || attempt >= self.options.retries {
                        return Err(registry::gave_up(failed.error, attempt + 1));
                    }
                    attempt += 1;
                    let wait = failed
                        .wait
                        .unwrap_or_else(|| self.options.backoff.delay(attempt));
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// Signatures, attestations and SBOMs in cosign's tag layout, and OCI 1.1 referrers, of
    /// the root and of every manifest of an index.
    async fn copy_attached(&self, root: &Digest, root_bytes: &[u8]) -> Result<(), CopyError> {
        let mut subjects = vec![root.clone()];
        if let Ok(refs) = parse_refs(root_bytes, "root") {
            subjects.extend(refs.manifests.into_iter().map(|d| d.digest));
        }
        for subject in &subjects {
            for suffix in COSIGN_SUFFIXES {
                let tag = cosign_tag(subject, suffix);
                self.copy_tag(&tag).await?;
            }
            self.copy_referrers(subject).await?;
        }
        Ok(())
    }

    /// Copies the manifest a source tag names, then moves the destination tag onto it.
    async fn copy_tag(&self, tag: &str) -> Result<(), CopyError> {
        let Some((bytes, _)) = self.src.get_manifest(tag).await? else {
            return Ok(());
        };
        let digest = Digest::sha256_of(&bytes);
        let media_type = manifest_media_type(&bytes);
        if self.dst.manifest_digest(tag).await? == Some(digest.clone()) {
            self.record(Kind::Tag, Action::Skip, &digest, 0, tag);
            return Ok(());
        }
        self.copy_tree(&bytes, &digest, &media_type, tag).await?;
        if !self.options.dry_run {
            self.dst.put_manifest(&bytes, &media_type, tag).await?;
        }
        self.record(Kind::Tag, Action::Tag, &digest, 0, tag);
        Ok(())
    }

    /// Copies the referrers of `subject`. Each referrer manifest is pushed by digest (its
    /// `subject` field makes a registry with the referrers API index it); a destination
    /// without that API gets the tag-schema fallback index, merged with what it already holds
    /// so referrers pushed there by others are kept.
    async fn copy_referrers(&self, subject: &Digest) -> Result<(), CopyError> {
        let referrers = self.src.referrers(subject).await?;
        if referrers.is_empty() {
            return Ok(());
        }
        let what = format!("referrer of {subject}");
        for r in &referrers {
            let Some((bytes, _)) = self.src.get_manifest(&r.digest.to_string()).await? else {
                continue;
            };
            verify_bytes(&bytes, &r.digest, &what)?;
            self.copy_tree(&bytes, &r.digest, &r.media_type, &what)
                .await?;
        }
        if self.dst.supports_referrers(subject).await? {
            return Ok(());
        }
        let tag = referrers_tag(subject);
        let existing = match self.dst.get_manifest(&tag).await? {
            Some((bytes, _)) => parse_refs(&bytes, &tag)
                .map(|r| r.manifests)
                .unwrap_or_default(),
            None => Vec::new(),
        };
        let mut merged = existing.clone();
        for r in &referrers {
            if !merged.iter().any(|m| m.digest == r.digest) {
                merged.push(r.clone());
            }
        }
        if merged.len() == existing.len() {
            self.record(Kind::Tag, Action::Skip, subject, 0, &tag);
            return Ok(());
        }
        let index = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": media_type::OCI_INDEX,
            "manifests": merged,
        });
        let bytes = serde_json::to_vec(&index).map_err(|e| CopyError::InvalidManifest {
            what: tag.clone(),
            reason: e.to_string(),
        })?;
        let digest = Digest::sha256_of(&bytes);
        if !self.options.dry_run {
            self.dst
                .put_manifest(&bytes, media_type::OCI_INDEX, &tag)
                .await?;
        }
        self.record(Kind::Tag, Action::Tag, &digest, bytes.len() as u64, &tag);
        Ok(())
    }
}

/// Checks raw bytes against the digest they were asked for by.
fn verify_bytes(bytes: &[u8], expected: &Digest, what: &str) -> Result<Digest, CopyError> {
    let mut hasher = crate::digest::Hasher::new(expected.algorithm());
    hasher.update(bytes);
    let actual = hasher.finish();
    if &actual != expected {
        return Err(CopyError::DigestMismatch {
            what: what.to_string(),
            expected: expected.clone(),
            actual,
        });
    }
    Ok(actual)
}

/// A referrer's entry in a referrers index: the manifest's media type, digest, size,
/// `artifactType` (else its config's media type, as the distribution spec says) and
/// annotations.
pub(crate) fn referrer_descriptor(bytes: &[u8]) -> Descriptor {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Doc {
        artifact_type: Option<String>,
        config: Option<Descriptor>,
        #[serde(default)]
        annotations: BTreeMap<String, String>,
    }
    let mut d = Descriptor::new(
        &manifest_media_type(bytes),
        Digest::sha256_of(bytes),
        bytes.len() as u64,
    );
    if let Ok(doc) = serde_json::from_slice::<Doc>(bytes) {
        d.artifact_type = doc
            .artifact_type
            .or_else(|| doc.config.map(|c| c.media_type));
        d.annotations = doc.annotations;
    }
    d
}

#[cfg(test)]
mod tests;
