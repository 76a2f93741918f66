//! A registry repository: the distribution API calls the copy engine and image pulls need,
//! with anonymous, basic and bearer-token authentication (a token fetched on a 401
//! challenge, as Docker does, and fetched again when it expires in the middle of a copy),
//! retries with exponential backoff, idle timeouts, resumed blob downloads and a request
//! counter.
//!
//! What is retried, and why that is safe:
//! * requests whose body can be sent again (GET, HEAD, manifest PUT: the same bytes land
//!   under the same digest or tag; the POST that opens an upload: a session abandoned by a
//!   lost answer is purged by the registry), on a broken connection, an idle timeout, a 5xx
//!   or a 429 (after its `Retry-After`, capped);
//! * a blob download that breaks, stalls or ends short: continued from the last byte
//!   received (see [`RegistryStore::open_blob`]);
//! * a manifest whose bytes do not match the digest asked for or the registry's
//!   `Docker-Content-Digest`: fetched again;
//! * a streamed blob upload, whose body cannot be sent twice: the caller starts it again
//!   from a new upload session when [`Attempt::again`] says it may help.
//!
//! The delays are [`Backoff`]'s: deterministic (no jitter), doubling from `base` up to
//! `max`; assay runs one transfer per image at a time, so there is no herd to spread.

use std::pin::pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use reqwest::header::{
    ACCEPT_RANGES, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, HeaderMap, LOCATION, RANGE,
    RETRY_AFTER, WWW_AUTHENTICATE,
};
use reqwest::{Method, RequestBuilder, Response, StatusCode, Url};

use super::store::{BlobStream, Store};
use super::{Action, Backoff, CopyError, CopyOptions, MAX_MANIFEST, UploadMode};
use crate::digest::{Digest, Hasher};
use crate::manifest::Descriptor;
use crate::media_type;
use crate::reference::Reference;
use crate::remote::RegistryAuth;

/// Every manifest type the engine copies; the registry serves the stored bytes unchanged.
const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.artifact.manifest.v1+json";

/// How requests are authenticated after the registry's challenge.
#[derive(Clone)]
enum AuthState {
    None,
    Basic,
    Bearer(String),
}

/// How the client retries: attempts and timing. Opened from [`super::CopyOptions`] for
/// copies, from the caller's choice for pulls.
#[derive(Debug, Clone, Default)]
pub(crate) struct Policy {
    /// Extra attempts after the first.
    pub(crate) retries: u32,
    /// Delays and the idle timeout.
    pub(crate) backoff: Backoff,
}

/// A failed blob transfer, and whether starting it again from a new upload session may
/// succeed: a streamed body cannot be sent twice, so the request-level retries do not apply.
#[derive(Debug)]
pub(crate) struct Attempt {
    /// What went wrong.
    pub(crate) error: CopyError,
    /// Worth starting again (a broken connection, a timeout, a 5xx or 429, a re-issued token).
    pub(crate) again: bool,
    /// The registry's `Retry-After`, capped.
    pub(crate) wait: Option<Duration>,
}

impl From<CopyError> for Attempt {
    fn from(error: CopyError) -> Attempt {
        Attempt {
            error,
            again: false,
            wait: None,
        }
    }
}

impl Attempt {
    fn again(error: CopyError, wait: Option<Duration>) -> Attempt {
        Attempt {
            error,
            again: true,
            wait,
        }
    }
}

/// When a streamed upload body last handed a chunk to the connection.
type Progress = Arc<Mutex<Instant>>;

/// The body of a response, as reqwest streams it.
type Body = BoxStream<'static, Result<Bytes, reqwest::Error>>;

/// One repository of one registry. Cheap to clone (the state is shared), so a blob stream
/// can keep the client after the borrow that opened it ends.
#[derive(Clone)]
pub(crate) struct RegistryStore {
    inner: Arc<Inner>,
}

/// The shared state of a [`RegistryStore`].
pub(crate) struct Inner {
    client: reqwest::Client,
    origin: String,
    repository: String,
    auth: RegistryAuth,
    scopes: Vec<String>,
    state: Mutex<AuthState>,
    requests: AtomicU64,
    referrers_api: Mutex<Option<bool>>,
    policy: Policy,
}

impl std::ops::Deref for RegistryStore {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.inner
    }
}

impl std::fmt::Debug for RegistryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryStore")
            .field("origin", &self.origin)
            .field("repository", &self.repository)
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

fn network(url: &str, e: reqwest::Error) -> CopyError {
    // reqwest's own text is generic ("error sending request"); the cause says what broke.
    // The URL is named once, by the error itself.
    let e = e.without_url();
    let mut message = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    CopyError::Network {
        url: url.to_string(),
        message,
    }
}

fn timed_out(url: &str, timeout: Duration) -> CopyError {
    CopyError::Network {
        url: url.to_string(),
        message: format!("timed out: nothing received for {timeout:?}"),
    }
}

/// The error after the last of several attempts, saying so.
pub(crate) fn gave_up(e: CopyError, attempts: u32) -> CopyError {
    if attempts <= 1 {
        return e;
    }
    let note = format!("gave up after {attempts} attempts");
    match e {
        CopyError::Network { url, message } => CopyError::Network {
            url,
            message: format!("{message} ({note})"),
        },
        CopyError::Status {
            url,
            status,
            detail,
        } => CopyError::Status {
            url,
            status,
            detail: if detail.is_empty() {
                note
            } else {
                format!("{detail} ({note})")
            },
        },
        other => other,
    }
}

/// Statuses worth another attempt: the registry or something in front of it is overloaded
/// or restarting (429, 408, 5xx but 501, which will not change).
fn retryable(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
        || (status.is_server_error() && status != StatusCode::NOT_IMPLEMENTED)
}

/// `Retry-After` in seconds (the HTTP-date form is rare from registries; the backoff
/// applies then), capped so a registry cannot park the client for hours.
fn retry_after(response: &Response, backoff: &Backoff) -> Option<Duration> {
    let seconds: u64 = response
        .headers()
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds).min(backoff.max_retry_after))
}

/// Waits for a request's answer, failing when nothing has happened for `timeout`: no
/// answer and, for a streamed upload, no body chunk taken since (`progress`). reqwest's own
/// read timeout counts from the start of the request, which a long upload would exceed.
async fn idle<T>(
    request: impl std::future::Future<Output = Result<T, reqwest::Error>>,
    progress: Option<&Progress>,
    timeout: Duration,
    url: &str,
) -> Result<T, CopyError> {
    let mut request = pin!(request);
    let start = Instant::now();
    let last = || {
        progress
            .and_then(|p| p.lock().ok().map(|t| *t))
            .map_or(start, |t| t.max(start))
    };
    loop {
        let seen = last();
        let deadline = tokio::time::Instant::from_std(seen + timeout);
        match tokio::time::timeout_at(deadline, &mut request).await {
            Ok(result) => return result.map_err(|e| network(url, e)),
            Err(_) if last() > seen => {}
            Err(_) => return Err(timed_out(url, timeout)),
        }
    }
}

/// The parameters of a `WWW-Authenticate` challenge: scheme and `key="value"` pairs.
fn parse_challenge(header: &str) -> (String, Vec<(String, String)>) {
    let header = header.trim();
    let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
    let mut params = Vec::new();
    let mut chars = rest.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if key.is_empty() {
            break;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            let mut escaped = false;
            for c in chars.by_ref() {
                match (escaped, c) {
                    (false, '\\') => escaped = true,
                    (false, '"') => break,
                    _ => {
                        value.push(c);
                        escaped = false;
                    }
                }
            }
        } else {
            while let Some(c) = chars.peek() {
                if *c == ',' {
                    break;
                }
                value.push(*c);
                chars.next();
            }
        }
        params.push((key.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    (scheme.to_ascii_lowercase(), params)
}

/// One HTTP client for the process (connection pools are per client, and building one
/// loads the TLS roots).
fn shared_client() -> Result<reqwest::Client, String> {
    static CLIENT: std::sync::OnceLock<Result<reqwest::Client, String>> =
        std::sync::OnceLock::new();
    CLIENT
        .get_or_init(|| {
            reqwest::Client::builder()
                .connect_timeout(std::time::Duration::from_secs(30))
                .build()
                .map_err(|e| e.to_string())
        })
        .clone()
}

/// The registry's `{"errors":[{"code","message"}]}` as `CODE: message`.
fn error_detail(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Errors {
        errors: Vec<Entry>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        code: Option<String>,
        message: Option<String>,
    }
    match serde_json::from_slice::<Errors>(body) {
        Ok(e) => e
            .errors
            .iter()
            .map(|e| {
                format!(
                    "{}: {}",
                    e.code.as_deref().unwrap_or("ERROR"),
                    e.message.as_deref().unwrap_or("")
                )
            })
            .collect::<Vec<_>>()
            .join("; "),
        Err(_) => String::new(),
    }
}

async fn status_error(url: &str, response: Response) -> CopyError {
    let status = response.status().as_u16();
    if status == 401 || status == 403 {
        return CopyError::Unauthorized {
            url: url.to_string(),
            status,
        };
    }
    let body = response.bytes().await.unwrap_or_default();
    CopyError::Status {
        url: url.to_string(),
        status,
        detail: error_detail(&body),
    }
}

impl RegistryStore {
    /// A client for `reference`'s repository. `push` asks tokens for push as well as pull;
    /// `mount_from` names a repository of the same registry blobs may be mounted from.
    pub(crate) fn new(
        reference: &Reference,
        auth: &RegistryAuth,
        plain_http: bool,
        mount_from: Option<&str>,
        push: bool,
        policy: &Policy,
    ) -> Result<RegistryStore, CopyError> {
        let host = match reference.registry() {
            // Docker Hub's API lives on another host than its name.
            "docker.io" => "registry-1.docker.io",
            h => h,
        };
        let scheme = if plain_http { "http" } else { "https" };
        let client = shared_client().map_err(|message| CopyError::Network {
            url: host.to_string(),
            message,
        })?;
        let repository = reference.repository().to_string();
        let access = if push { "pull,push" } else { "pull" };
        let mut scopes = vec![format!("repository:{repository}:{access}")];
        if let Some(from) = mount_from {
            scopes.push(format!("repository:{from}:pull"));
        }
        Ok(RegistryStore {
            inner: Arc::new(Inner {
                client,
                origin: format!("{scheme}://{host}"),
                repository,
                auth: auth.clone(),
                scopes,
                state: Mutex::new(AuthState::None),
                requests: AtomicU64::new(0),
                referrers_api: Mutex::new(None),
                policy: policy.clone(),
            }),
        })
    }
}

impl Inner {
    pub(crate) fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    fn url(&self, kind: &str, reference: &str) -> String {
        format!("{}/v2/{}/{kind}/{reference}", self.origin, self.repository)
    }

    fn authorize(&self, builder: RequestBuilder) -> RequestBuilder {
        let state = self
            .state
            .lock()
            .map(|s| s.clone())
            .unwrap_or(AuthState::None);
        match (state, &self.auth) {
            (AuthState::Bearer(token), _) => builder.bearer_auth(token),
            (AuthState::Basic, RegistryAuth::Basic { username, password }) => {
                builder.basic_auth(username, Some(password))
            }
            _ => builder,
        }
    }

    async fn send_once(
        &self,
        url: &str,
        build: &impl Fn() -> RequestBuilder,
    ) -> Result<Response, CopyError> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let timeout = self.policy.backoff.read_timeout;
        idle(self.authorize(build()).send(), None, timeout, url).await
    }

    /// Sends a request that can be sent again: retried with backoff on a broken connection,
    /// an idle timeout, a 5xx or a 429 (after its `Retry-After`); a 401 challenge is
    /// answered (a first token, or a new one when it expired), at most twice.
    async fn send(
        &self,
        url: &str,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<Response, CopyError> {
        let mut attempt = 0u32;
        let mut challenges = 0u32;
        loop {
            let wait = match self.send_once(url, &build).await {
                Err(_) if attempt < self.policy.retries => self.policy.backoff.delay(attempt + 1),
                Err(e) => return Err(gave_up(e, attempt + 1)),
                Ok(response) if response.status() == StatusCode::UNAUTHORIZED => {
                    let challenge = response
                        .headers()
                        .get(WWW_AUTHENTICATE)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string);
                    match challenge {
                        Some(challenge) if challenges < 2 => {
                            challenges += 1;
                            self.authenticate(url, &challenge).await?;
                            continue;
                        }
                        _ => return Err(status_error(url, response).await),
                    }
                }
                Ok(response) if !retryable(response.status()) => return Ok(response),
                Ok(response) if attempt < self.policy.retries => {
                    retry_after(&response, &self.policy.backoff)
                        .unwrap_or_else(|| self.policy.backoff.delay(attempt + 1))
                }
                Ok(response) => {
                    return Err(gave_up(status_error(url, response).await, attempt + 1));
                }
            };
            attempt += 1;
            tokio::time::sleep(wait).await;
        }
    }

    /// Sends a request whose body cannot be sent again (a streamed upload): one attempt; a
    /// 401 challenge is answered so the caller's next attempt carries the new token.
    async fn send_upload(
        &self,
        url: &str,
        request: RequestBuilder,
        progress: Option<&Progress>,
    ) -> Result<Response, Attempt> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let timeout = self.policy.backoff.read_timeout;
        let response = idle(self.authorize(request).send(), progress, timeout, url)
            .await
            .map_err(|e| Attempt::again(e, None))?;
        let status = response.status();
        if status == StatusCode::UNAUTHORIZED {
            let challenge = response
                .headers()
                .get(WWW_AUTHENTICATE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            if let Some(challenge) = challenge {
                self.authenticate(url, &challenge).await?;
                return Err(Attempt::again(status_error(url, response).await, None));
            }
        }
        if retryable(status) {
            let wait = retry_after(&response, &self.policy.backoff);
            return Err(Attempt::again(status_error(url, response).await, wait));
        }
        Ok(response)
    }

    /// A whole (small) body, each read bounded by the idle timeout, at most `limit` bytes.
    async fn read_body(
        &self,
        response: Response,
        limit: u64,
        url: &str,
    ) -> Result<Vec<u8>, CopyError> {
        let timeout = self.policy.backoff.read_timeout;
        let mut body = response.bytes_stream();
        let mut out = Vec::new();
        loop {
            match tokio::time::timeout(timeout, body.next()).await {
                Err(_) => return Err(timed_out(url, timeout)),
                Ok(None) => return Ok(out),
                Ok(Some(Err(e))) => return Err(network(url, e)),
                Ok(Some(Ok(chunk))) => {
                    out.extend_from_slice(&chunk);
                    if out.len() as u64 > limit {
                        return Err(CopyError::InvalidManifest {
                            what: url.to_string(),
                            reason: format!("larger than {limit} bytes"),
                        });
                    }
                }
            }
        }
    }

    async fn authenticate(&self, url: &str, challenge: &str) -> Result<(), CopyError> {
        let (scheme, params) = parse_challenge(challenge);
        let param = |k: &str| {
            params
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
        };
        let new_state = match scheme.as_str() {
            "basic" => match self.auth {
                RegistryAuth::Basic { .. } => AuthState::Basic,
                RegistryAuth::Bearer(ref t) => AuthState::Bearer(t.clone()),
                RegistryAuth::Anonymous => {
                    return Err(CopyError::Unauthorized {
                        url: url.to_string(),
                        status: 401,
                    });
                }
            },
            "bearer" => {
                if let RegistryAuth::Bearer(t) = &self.auth {
                    AuthState::Bearer(t.clone())
                } else {
                    let realm = param("realm").ok_or_else(|| CopyError::Unauthorized {
                        url: url.to_string(),
                        status: 401,
                    })?;
                    AuthState::Bearer(
                        self.fetch_token(&realm, param("service"), param("scope"))
                            .await?,
                    )
                }
            }
            _ => {
                return Err(CopyError::Unauthorized {
                    url: url.to_string(),
                    status: 401,
                });
            }
        };
        if let Ok(mut s) = self.state.lock() {
            *s = new_state;
        }
        Ok(())
    }

    /// A token from the challenge's realm for this repository's scopes (and the one the
    /// challenge names), with the basic credentials if there are any.
    async fn fetch_token(
        &self,
        realm: &str,
        service: Option<String>,
        scope: Option<String>,
    ) -> Result<String, CopyError> {
        let mut query: Vec<(String, String)> = Vec::new();
        if let Some(service) = service {
            query.push(("service".into(), service));
        }
        let mut scopes = self.scopes.clone();
        if let Some(s) = scope
            && !scopes.contains(&s)
        {
            scopes.push(s);
        }
        for s in scopes {
            query.push(("scope".into(), s));
        }
        let timeout = self.policy.backoff.read_timeout;
        // Token services fail like registries do: the same retries (no challenge to answer).
        let mut attempt = 0u32;
        let response = loop {
            let mut request = self.client.get(realm).query(&query);
            if let RegistryAuth::Basic { username, password } = &self.auth {
                request = request.basic_auth(username, Some(password));
            }
            self.requests.fetch_add(1, Ordering::Relaxed);
            let wait = match idle(request.send(), None, timeout, realm).await {
                Err(_) if attempt < self.policy.retries => self.policy.backoff.delay(attempt + 1),
                Err(e) => return Err(gave_up(e, attempt + 1)),
                Ok(r) if retryable(r.status()) && attempt < self.policy.retries => {
                    retry_after(&r, &self.policy.backoff)
                        .unwrap_or_else(|| self.policy.backoff.delay(attempt + 1))
                }
                Ok(r) => break r,
            };
            attempt += 1;
            tokio::time::sleep(wait).await;
        };
        if !response.status().is_success() {
            return Err(CopyError::Unauthorized {
                url: realm.to_string(),
                status: response.status().as_u16(),
            });
        }
        #[derive(serde::Deserialize)]
        struct Token {
            token: Option<String>,
            access_token: Option<String>,
        }
        let body = self.read_body(response, 1 << 20, realm).await?;
        let token: Token = serde_json::from_slice(&body).map_err(|e| CopyError::Network {
            url: realm.to_string(),
            message: format!("token answer is not JSON: {e}"),
        })?;
        token
            .token
            .or(token.access_token)
            .ok_or_else(|| CopyError::Unauthorized {
                url: realm.to_string(),
                status: 200,
            })
    }

    pub(crate) async fn get_manifest(
        &self,
        reference: &str,
    ) -> Result<Option<(Vec<u8>, String)>, CopyError> {
        self.get_manifest_limited(reference, MAX_MANIFEST as u64)
            .await
    }

    /// A manifest by tag or digest with its media type, at most `limit` bytes. Its bytes are
    /// checked against the digest asked for, else the `Docker-Content-Digest` the registry
    /// names, and fetched again when they do not match or arrive broken (a short or long
    /// `Content-Length`, a reset, a stall).
    pub(crate) async fn get_manifest_limited(
        &self,
        reference: &str,
        limit: u64,
    ) -> Result<Option<(Vec<u8>, String)>, CopyError> {
        let url = self.url("manifests", reference);
        let pinned = Digest::parse(reference).ok();
        let mut attempt = 0u32;
        loop {
            let response = self
                .send(&url, || self.client.get(&url).header("Accept", ACCEPT))
                .await?;
            if response.status() == StatusCode::NOT_FOUND {
                return Ok(None);
            }
            if !response.status().is_success() {
                return Err(status_error(&url, response).await);
            }
            let too_large = || CopyError::InvalidManifest {
                what: url.clone(),
                reason: format!("larger than {limit} bytes"),
            };
            if response.content_length().is_some_and(|n| n > limit) {
                return Err(too_large());
            }
            let media_type = response
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or(media_type::OCI_MANIFEST)
                .to_string();
            let served = response
                .headers()
                .get("Docker-Content-Digest")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| Digest::parse(v).ok());
            let body = self
                .read_body(response, limit, &url)
                .await
                .and_then(|bytes| match pinned.as_ref().or(served.as_ref()) {
                    Some(expected) => super::verify_bytes(&bytes, expected, &url).map(|_| bytes),
                    None => Ok(bytes),
                });
            match body {
                Ok(bytes) => return Ok(Some((bytes, media_type))),
                Err(e @ CopyError::InvalidManifest { .. }) => return Err(e),
                Err(_) if attempt < self.policy.retries => {
                    attempt += 1;
                    tokio::time::sleep(self.policy.backoff.delay(attempt)).await;
                }
                Err(e) => return Err(gave_up(e, attempt + 1)),
            }
        }
    }

    pub(crate) async fn manifest_digest(
        &self,
        reference: &str,
    ) -> Result<Option<Digest>, CopyError> {
        let url = self.url("manifests", reference);
        let response = self
            .send(&url, || self.client.head(&url).header("Accept", ACCEPT))
            .await?;
        if response.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !response.status().is_success() {
            return Err(status_error(&url, response).await);
        }
        let header = response
            .headers()
            .get("Docker-Content-Digest")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| Digest::parse(v).ok());
        match header {
            Some(d) => Ok(Some(d)),
            // Without the header, hash what a GET serves.
            None => Ok(self
                .get_manifest(reference)
                .await?
                .map(|(bytes, _)| Digest::sha256_of(&bytes))),
        }
    }

    /// Writes a manifest under a tag or its digest. Sending the same bytes again is
    /// harmless (the same digest, the same tag), so it is retried like a read.
    pub(crate) async fn put_manifest(
        &self,
        bytes: &[u8],
        media_type: &str,
        reference: &str,
    ) -> Result<(), CopyError> {
        let url = self.url("manifests", reference);
        let body = Bytes::copy_from_slice(bytes);
        let mut attempt = 0u32;
        loop {
            let response = self
                .send(&url, || {
                    self.client
                        .put(&url)
                        .header(CONTENT_TYPE, media_type)
                        .body(body.clone())
                })
                .await?;
            if response.status().is_success() {
                return Ok(());
            }
            let error = status_error(&url, response).await;
            // The engine pushes a manifest only after every blob it names is there, so "blob
            // unknown" means the registry is still committing a blob another writer uploaded
            // into the same repository at that moment (distribution's filesystem driver
            // rewrites the repository's link file in place: distribution/distribution#4489,
            // seen 1 in ~200 promotions under bench/load.sh). The PUT is idempotent: wait and
            // send it again.
            let racing = matches!(&error, CopyError::Status { status: 400, detail, .. }
                if detail.contains("MANIFEST_BLOB_UNKNOWN") || detail.contains("BLOB_UNKNOWN"));
            if !racing || attempt >= self.policy.retries {
                return Err(if racing {
                    gave_up(error, attempt + 1)
                } else {
                    error
                });
            }
            attempt += 1;
            tokio::time::sleep(self.policy.backoff.delay(attempt)).await;
        }
    }

    pub(crate) async fn has_blob(&self, digest: &Digest) -> Result<bool, CopyError> {
        let url = self.url("blobs", &digest.to_string());
        let response = self.send(&url, || self.client.head(&url)).await?;
        match response.status() {
            s if s.is_success() => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            _ => Err(status_error(&url, response).await),
        }
    }

    /// Whether the registry has the referrers API, once a request has shown it.
    pub(crate) fn has_referrers_api(&self) -> Option<bool> {
        self.referrers_api.lock().ok().and_then(|s| *s)
    }

    /// The referrers API's list, or `None` when the registry does not implement it (404).
    pub(crate) async fn referrers_api(
        &self,
        subject: &Digest,
    ) -> Result<Option<Vec<Descriptor>>, CopyError> {
        if self.referrers_api.lock().is_ok_and(|s| *s == Some(false)) {
            return Ok(None);
        }
        let url = self.url("referrers", &subject.to_string());
        let response = self
            .send(&url, || {
                self.client
                    .get(&url)
                    .header("Accept", media_type::OCI_INDEX)
            })
            .await?;
        let supported = match response.status() {
            StatusCode::NOT_FOUND => false,
            s if s.is_success() => {
                // A registry without the API may still answer 200 with something else.
                let is_index = response
                    .headers()
                    .get(CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|t| t.starts_with(media_type::OCI_INDEX));
                if is_index {
                    if let Ok(mut s) = self.referrers_api.lock() {
                        *s = Some(true);
                    }
                    let bytes = self.read_body(response, MAX_MANIFEST as u64, &url).await?;
                    let refs = super::parse_refs(&bytes, &url)?;
                    return Ok(Some(refs.manifests));
                }
                false
            }
            _ => return Err(status_error(&url, response).await),
        };
        if let Ok(mut s) = self.referrers_api.lock() {
            *s = Some(supported);
        }
        Ok(None)
    }

    fn resolve(&self, location: &str) -> Result<Url, CopyError> {
        let base = Url::parse(&self.origin).map_err(|e| CopyError::Network {
            url: self.origin.clone(),
            message: e.to_string(),
        })?;
        base.join(location).map_err(|e| CopyError::Network {
            url: location.to_string(),
            message: format!("bad upload location: {e}"),
        })
    }

    fn location(&self, url: &str, headers: &HeaderMap) -> Result<Url, CopyError> {
        let location = headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| CopyError::Status {
                url: url.to_string(),
                status: 202,
                detail: "no Location header in the upload answer".into(),
            })?;
        self.resolve(location)
    }

    /// Starts an upload, or mounts the blob from `mount_from` when the registry can
    /// (`None` then: nothing left to send). Retried like a read: a session opened by an
    /// attempt whose answer was lost is abandoned, and the registry purges it.
    async fn start_upload(
        &self,
        digest: &Digest,
        mount_from: Option<&str>,
    ) -> Result<Option<Url>, CopyError> {
        let base = format!("{}/v2/{}/blobs/uploads/", self.origin, self.repository);
        let url = match mount_from {
            Some(from) => format!("{base}?mount={digest}&from={from}"),
            None => base,
        };
        let response = self
            .send(&url, || self.client.post(&url).header(CONTENT_LENGTH, 0))
            .await?;
        match response.status() {
            // Mounted: the registry linked the blob from the other repository.
            StatusCode::CREATED if mount_from.is_some() => Ok(None),
            // Not mounted (or no mount asked): an upload session to continue.
            StatusCode::ACCEPTED => Ok(Some(self.location(&url, response.headers())?)),
            _ => Err(status_error(&url, response).await),
        }
    }

    async fn cancel(&self, location: &Url) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let request = self.authorize(self.client.request(Method::DELETE, location.clone()));
        let timeout = self.policy.backoff.read_timeout;
        let _ = idle(request.send(), None, timeout, location.as_str()).await;
    }

    /// Brings one blob from `source` (mounted, or streamed and verified) in one upload
    /// session; the caller starts again when [`Attempt::again`] says so.
    pub(crate) async fn put_blob(
        &self,
        source: &Store,
        desc: &Descriptor,
        mount_from: Option<&str>,
        options: &CopyOptions,
        what: &str,
    ) -> Result<Action, Attempt> {
        let Some(location) = self.start_upload(&desc.digest, mount_from).await? else {
            return Ok(Action::Mount);
        };
        let result = async {
            let stream = source.open_blob(desc).await?;
            let verified = verify_stream(stream, desc, what);
            let chunked = options.upload == UploadMode::Chunked;
            if chunked {
                self.upload_chunked(location.clone(), verified, desc, options.chunk_size)
                    .await
            } else {
                self.upload_monolithic(location.clone(), verified, desc)
                    .await
            }
        }
        .await;
        match result {
            Ok(()) => Ok(Action::Copy),
            Err(e) => {
                self.cancel(&location).await;
                Err(e)
            }
        }
    }

    /// Uploads bytes held in memory (small blobs written by [`super::Place`]), starting
    /// again from a new session while that may help.
    pub(crate) async fn upload_bytes(
        &self,
        desc: &Descriptor,
        data: Bytes,
        what: &str,
    ) -> Result<(), CopyError> {
        let open = || -> Result<BlobStream, CopyError> {
            let bytes = data.clone();
            Ok(futures_util::stream::once(async move { Ok(bytes) }).boxed())
        };
        self.upload_with(desc, open, what).await
    }

    /// Uploads the stream `open` makes (once per attempt: a file read again, bytes held in
    /// memory), starting again from a new upload session while that may help.
    pub(crate) async fn upload_with(
        &self,
        desc: &Descriptor,
        open: impl Fn() -> Result<BlobStream, CopyError>,
        what: &str,
    ) -> Result<(), CopyError> {
        let mut attempt = 0u32;
        loop {
            let result = async {
                let Some(location) = self.start_upload(&desc.digest, None).await? else {
                    return Ok(());
                };
                let result = match open() {
                    Ok(stream) => {
                        let verified = verify_stream(stream, desc, what);
                        self.upload_monolithic(location.clone(), verified, desc)
                            .await
                    }
                    Err(e) => Err(e.into()),
                };
                if result.is_err() {
                    self.cancel(&location).await;
                }
                result
            }
            .await;
            match result {
                Ok(()) => return Ok(()),
                Err(a) if a.again && attempt < self.policy.retries => {
                    attempt += 1;
                    let wait = a.wait.unwrap_or_else(|| self.policy.backoff.delay(attempt));
                    tokio::time::sleep(wait).await;
                }
                Err(a) => return Err(gave_up(a.error, attempt + 1)),
            }
        }
    }

    fn with_digest(mut location: Url, digest: &Digest) -> Url {
        location
            .query_pairs_mut()
            .append_pair("digest", &digest.to_string());
        location
    }

    async fn upload_monolithic(
        &self,
        location: Url,
        stream: VerifiedStream,
        desc: &Descriptor,
    ) -> Result<(), Attempt> {
        let url = Self::with_digest(location, &desc.digest);
        let failure = stream.failure.clone();
        let progress: Progress = Arc::new(Mutex::new(Instant::now()));
        let body = reqwest::Body::wrap_stream(tracked(stream.inner, progress.clone()));
        let request = self
            .client
            .put(url.clone())
            .header(CONTENT_LENGTH, desc.size)
            .header(CONTENT_TYPE, "application/octet-stream")
            .body(body);
        let sent = self
            .send_upload(url.as_str(), request, Some(&progress))
            .await;
        // The source's failure (wrong bytes, broken connection) is the real cause of a body
        // error; report it rather than reqwest's "error sending request".
        if let Some(e) = failure.lock().ok().and_then(|mut f| f.take()) {
            return Err(e.into());
        }
        let response = sent?;
        if response.status() != StatusCode::CREATED {
            return Err(status_error(url.as_str(), response).await.into());
        }
        Ok(())
    }

    async fn upload_chunked(
        &self,
        mut location: Url,
        stream: VerifiedStream,
        desc: &Descriptor,
        chunk_size: usize,
    ) -> Result<(), Attempt> {
        let chunk_size = chunk_size.max(1);
        let failure = stream.failure.clone();
        let mut inner = stream.inner;
        let mut buffer = BytesMut::new();
        let mut offset = 0u64;
        loop {
            let next = inner.next().await;
            let end = match next {
                Some(Ok(bytes)) => {
                    buffer.extend_from_slice(&bytes);
                    false
                }
                Some(Err(_)) => {
                    let e = failure.lock().ok().and_then(|mut f| f.take());
                    return Err(e
                        .unwrap_or_else(|| CopyError::Network {
                            url: location.to_string(),
                            message: "source stream failed".into(),
                        })
                        .into());
                }
                None => true,
            };
            while buffer.len() >= chunk_size || (end && !buffer.is_empty()) {
                let take = buffer.len().min(chunk_size);
                let chunk = buffer.split_to(take).freeze();
                let last = offset + chunk.len() as u64 - 1;
                let progress: Progress = Arc::new(Mutex::new(Instant::now()));
                let body =
                    reqwest::Body::wrap_stream(tracked(pieces(chunk.clone()), progress.clone()));
                let request = self
                    .client
                    .patch(location.clone())
                    .header("Content-Range", format!("{offset}-{last}"))
                    .header(CONTENT_LENGTH, chunk.len())
                    .header(CONTENT_TYPE, "application/octet-stream")
                    .body(body);
                let response = self
                    .send_upload(location.as_str(), request, Some(&progress))
                    .await?;
                if response.status() != StatusCode::ACCEPTED {
                    return Err(status_error(location.as_str(), response).await.into());
                }
                location = self.location(location.as_str(), response.headers())?;
                offset = last + 1;
            }
            if end {
                break;
            }
        }
        let url = Self::with_digest(location, &desc.digest);
        let request = self.client.put(url.clone()).header(CONTENT_LENGTH, 0);
        let response = self.send_upload(url.as_str(), request, None).await?;
        if response.status() != StatusCode::CREATED {
            return Err(status_error(url.as_str(), response).await.into());
        }
        Ok(())
    }
}

/// An upload body that notes when the connection takes each chunk, for [`idle`].
fn tracked(
    inner: BoxStream<'static, Result<Bytes, std::io::Error>>,
    progress: Progress,
) -> BoxStream<'static, Result<Bytes, std::io::Error>> {
    inner
        .inspect(move |_| {
            if let Ok(mut p) = progress.lock() {
                *p = Instant::now();
            }
        })
        .boxed()
}

/// A chunk as 64 KiB pieces, so [`tracked`] sees progress while a large PATCH is sent.
fn pieces(chunk: Bytes) -> BoxStream<'static, Result<Bytes, std::io::Error>> {
    const PIECE: usize = 64 << 10;
    let starts: Vec<usize> = (0..chunk.len()).step_by(PIECE).collect();
    futures_util::stream::iter(
        starts
            .into_iter()
            .map(move |s| Ok(chunk.slice(s..(s + PIECE).min(chunk.len())))),
    )
    .boxed()
}

impl RegistryStore {
    /// A blob's bytes. A download that breaks, stalls or ends short of `size` (the
    /// descriptor's, else the first answer's `Content-Length`) is continued where it
    /// stopped: with `Range` when the registry advertises `Accept-Ranges: bytes`, else by
    /// fetching it again and skipping what was already passed on. The stream stays one
    /// unbroken sequence of bytes, so the digest check of whoever reads it covers them all.
    pub(crate) async fn open_blob(
        &self,
        digest: &Digest,
        size: Option<u64>,
    ) -> Result<BlobStream, CopyError> {
        let mut download = Download {
            store: self.clone(),
            url: self.url("blobs", &digest.to_string()),
            size,
            offset: 0,
            skip: 0,
            ranges: false,
            failures: 0,
            done: false,
        };
        let body = download.open().await?;
        Ok(futures_util::stream::unfold(
            (download, Some(body)),
            |(mut download, mut body)| async move {
                let next = download.next(&mut body).await?;
                Some((next, (download, body)))
            },
        )
        .boxed())
    }
}

impl RegistryStore {
    /// A small blob (a config) read whole and checked against its size and digest; wrong
    /// bytes are fetched again while retries last, which a streamed layer cannot be (its
    /// reader has already consumed them).
    pub(crate) async fn get_blob_verified(
        &self,
        digest: &Digest,
        size: u64,
    ) -> Result<Vec<u8>, CopyError> {
        let url = self.url("blobs", &digest.to_string());
        let mut attempt = 0u32;
        loop {
            let result = async {
                let mut stream = self.open_blob(digest, Some(size)).await?;
                let mut out = Vec::new();
                while let Some(chunk) = stream.next().await {
                    out.extend_from_slice(&chunk?);
                }
                if out.len() as u64 != size {
                    return Err(CopyError::SizeMismatch {
                        what: url.clone(),
                        expected: size,
                        actual: out.len() as u64,
                    });
                }
                super::verify_bytes(&out, digest, &url)?;
                Ok(out)
            }
            .await;
            match result {
                Err(CopyError::DigestMismatch { .. } | CopyError::SizeMismatch { .. })
                    if attempt < self.policy.retries =>
                {
                    attempt += 1;
                    tokio::time::sleep(self.policy.backoff.delay(attempt)).await;
                }
                Err(e) => return Err(gave_up(e, attempt + 1)),
                Ok(out) => return Ok(out),
            }
        }
    }
}

/// The state of one resumable blob download.
struct Download {
    store: RegistryStore,
    url: String,
    /// The blob's size, when known.
    size: Option<u64>,
    /// Bytes passed on so far.
    offset: u64,
    /// Bytes of the current answer already passed on (a full answer to a resumed download).
    skip: u64,
    /// The registry advertised `Accept-Ranges: bytes`.
    ranges: bool,
    /// Broken answers so far.
    failures: u32,
    done: bool,
}

impl Download {
    /// Requests the blob from `offset` (retried by [`Inner::send`]).
    async fn open(&mut self) -> Result<Body, CopyError> {
        let offset = self.offset;
        let ranged = offset > 0 && self.ranges;
        let url = self.url.clone();
        let store = &self.store;
        let response = store
            .send(&url, || {
                let request = store.client.get(&url);
                if ranged {
                    request.header(RANGE, format!("bytes={offset}-"))
                } else {
                    request
                }
            })
            .await?;
        let status = response.status();
        if status == StatusCode::NOT_FOUND {
            return Err(CopyError::NotFound(url));
        }
        if !status.is_success() {
            return Err(status_error(&url, response).await);
        }
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                .map(str::to_string)
        };
        if status == StatusCode::PARTIAL_CONTENT {
            // `bytes START-END/TOTAL`: it must continue exactly where the last one stopped.
            let start = header(CONTENT_RANGE).and_then(|r| {
                r.trim_start_matches("bytes ")
                    .split('-')
                    .next()
                    .and_then(|s| s.trim().parse::<u64>().ok())
            });
            if start != Some(offset) {
                return Err(CopyError::Network {
                    url,
                    message: format!("asked for bytes from {offset}, got {start:?}"),
                });
            }
            self.skip = 0;
        } else {
            self.skip = offset;
        }
        if offset == 0 {
            self.ranges = header(ACCEPT_RANGES).is_some_and(|v| v.contains("bytes"));
            if self.size.is_none() {
                self.size = response.content_length();
            }
        }
        Ok(response.bytes_stream().boxed())
    }

    /// The next chunk, resuming after a failure; `None` at the end or after an error.
    async fn next(&mut self, body: &mut Option<Body>) -> Option<Result<Bytes, CopyError>> {
        if self.done {
            return None;
        }
        let timeout = self.store.policy.backoff.read_timeout;
        loop {
            // Every byte asked for has arrived: what the connection does next (close early,
            // announce more than it sends) no longer matters.
            if self.size.is_some_and(|size| self.offset >= size) {
                self.done = true;
                return None;
            }
            let failure = match body.as_mut() {
                None => match self.open().await {
                    Ok(b) => {
                        *body = Some(b);
                        continue;
                    }
                    Err(e) => {
                        self.done = true;
                        return Some(Err(e));
                    }
                },
                Some(b) => match tokio::time::timeout(timeout, b.next()).await {
                    Ok(Some(Ok(mut chunk))) => {
                        if self.skip > 0 {
                            let n = usize::try_from(self.skip)
                                .unwrap_or(usize::MAX)
                                .min(chunk.len());
                            self.skip -= n as u64;
                            chunk = chunk.slice(n..);
                        }
                        if chunk.is_empty() {
                            continue;
                        }
                        self.offset += chunk.len() as u64;
                        if let Some(size) = self.size
                            && self.offset > size
                        {
                            self.done = true;
                            return Some(Err(CopyError::SizeMismatch {
                                what: self.url.clone(),
                                expected: size,
                                actual: self.offset,
                            }));
                        }
                        return Some(Ok(chunk));
                    }
                    Ok(None) => match self.size {
                        Some(size) if self.offset < size => CopyError::Network {
                            url: self.url.clone(),
                            message: format!(
                                "the body ended after {} of {size} bytes",
                                self.offset
                            ),
                        },
                        _ => {
                            self.done = true;
                            return None;
                        }
                    },
                    Ok(Some(Err(e))) => network(&self.url, e),
                    Err(_) => timed_out(&self.url, timeout),
                },
            };
            *body = None;
            if self.failures >= self.store.policy.retries {
                self.done = true;
                return Some(Err(gave_up(failure, self.failures + 1)));
            }
            self.failures += 1;
            tokio::time::sleep(self.store.policy.backoff.delay(self.failures)).await;
        }
    }
}

/// A blob stream that checks size and digest as it goes and fails at the end on a mismatch,
/// so an upload of wrong bytes is never committed. The typed error is kept aside for the
/// caller; the stream itself yields an `io::Error` as reqwest's body wants.
pub(crate) struct VerifiedStream {
    inner: futures_util::stream::BoxStream<'static, Result<Bytes, std::io::Error>>,
    failure: std::sync::Arc<Mutex<Option<CopyError>>>,
}

pub(crate) fn verify_stream(stream: BlobStream, desc: &Descriptor, what: &str) -> VerifiedStream {
    struct State {
        inner: BlobStream,
        hasher: Option<Hasher>,
        seen: u64,
        pending: Option<Bytes>,
        desc: Descriptor,
        what: String,
        failure: std::sync::Arc<Mutex<Option<CopyError>>>,
    }
    let failure = std::sync::Arc::new(Mutex::new(None));
    let state = State {
        inner: stream,
        hasher: Some(Hasher::new(desc.digest.algorithm())),
        seen: 0,
        pending: None,
        desc: desc.clone(),
        what: what.to_string(),
        failure: failure.clone(),
    };
    fn fail(state: &State, e: CopyError) -> std::io::Error {
        let text = e.to_string();
        if let Ok(mut f) = state.failure.lock() {
            f.get_or_insert(e);
        }
        std::io::Error::other(text)
    }
    // One chunk is held back until the next arrives, and the last one until the digest is
    // checked: a streamed body with a known length is complete once its last byte is sent,
    // so wrong content must fail before that byte leaves, not after.
    let inner = futures_util::stream::unfold(state, |mut state| async move {
        loop {
            let hasher = state.hasher.as_mut()?;
            match state.inner.next().await {
                Some(Ok(chunk)) => {
                    hasher.update(&chunk);
                    state.seen += chunk.len() as u64;
                    if state.seen > state.desc.size {
                        state.hasher = None;
                        let e = CopyError::SizeMismatch {
                            what: state.what.clone(),
                            expected: state.desc.size,
                            actual: state.seen,
                        };
                        let err = fail(&state, e);
                        return Some((Err(err), state));
                    }
                    if let Some(previous) = state.pending.replace(chunk) {
                        return Some((Ok(previous), state));
                    }
                }
                Some(Err(e)) => {
                    state.hasher = None;
                    let err = fail(&state, e);
                    return Some((Err(err), state));
                }
                None => {
                    let hasher = state.hasher.take()?;
                    let actual = hasher.finish();
                    let e = if state.seen != state.desc.size {
                        CopyError::SizeMismatch {
                            what: state.what.clone(),
                            expected: state.desc.size,
                            actual: state.seen,
                        }
                    } else if actual != state.desc.digest {
                        CopyError::DigestMismatch {
                            what: state.what.clone(),
                            expected: state.desc.digest.clone(),
                            actual,
                        }
                    } else {
                        let last = state.pending.take()?;
                        return Some((Ok(last), state));
                    };
                    let err = fail(&state, e);
                    return Some((Err(err), state));
                }
            }
        }
    })
    .boxed();
    VerifiedStream { inner, failure }
}

#[cfg(test)]
mod tests {
    use super::parse_challenge;

    #[test]
    fn parses_a_bearer_challenge_with_quoted_commas() {
        let (scheme, params) = parse_challenge(
            r#"Bearer realm="https://auth.example/token",service="registry",scope="repository:a/b:pull,push""#,
        );
        assert_eq!(scheme, "bearer");
        assert_eq!(
            params,
            vec![
                ("realm".into(), "https://auth.example/token".into()),
                ("service".into(), "registry".into()),
                ("scope".into(), "repository:a/b:pull,push".into()),
            ]
        );
    }

    #[test]
    fn parses_a_basic_challenge() {
        let (scheme, params) = parse_challenge(r#"Basic realm="Registry Realm""#);
        assert_eq!(scheme, "basic");
        assert_eq!(params, vec![("realm".into(), "Registry Realm".into())]);
    }
}
