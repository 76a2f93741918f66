//! A registry repository for the copy engine: the distribution API calls it needs, with
//! anonymous, basic and bearer-token authentication (token fetched on the first 401
//! challenge, as Docker does) and a request counter.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, LOCATION, WWW_AUTHENTICATE};
use reqwest::{Method, RequestBuilder, Response, StatusCode, Url};

use super::store::{BlobStream, Store};
use super::{Action, CopyError, CopyOptions, MAX_MANIFEST, UploadMode};
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

/// One repository of one registry.
pub(crate) struct RegistryStore {
    client: reqwest::Client,
    origin: String,
    repository: String,
    auth: RegistryAuth,
    scopes: Vec<String>,
    state: Mutex<AuthState>,
    requests: AtomicU64,
    referrers_api: Mutex<Option<bool>>,
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

fn network(url: &str, e: &reqwest::Error) -> CopyError {
    // reqwest's own text is generic ("error sending request"); the cause says what broke.
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
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

impl RegistryStore {
    pub(crate) fn new(
        reference: &Reference,
        auth: &RegistryAuth,
        plain_http: bool,
        mount_from: Option<&str>,
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
        let mut scopes = vec![format!("repository:{repository}:pull,push")];
        if let Some(from) = mount_from {
            scopes.push(format!("repository:{from}:pull"));
        }
        Ok(RegistryStore {
            client,
            origin: format!("{scheme}://{host}"),
            repository,
            auth: auth.clone(),
            scopes,
            state: Mutex::new(AuthState::None),
            requests: AtomicU64::new(0),
            referrers_api: Mutex::new(None),
        })
    }

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
        self.authorize(build())
            .send()
            .await
            .map_err(|e| network(url, &e))
    }

    /// Sends a replayable request, answering one authentication challenge.
    async fn send(
        &self,
        url: &str,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<Response, CopyError> {
        let response = self.send_once(url, &build).await?;
        if response.status() != StatusCode::UNAUTHORIZED {
            return Ok(response);
        }
        let challenge = response
            .headers()
            .get(WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let Some(challenge) = challenge else {
            return Err(status_error(url, response).await);
        };
        self.authenticate(url, &challenge).await?;
        let response = self.send_once(url, &build).await?;
        if response.status() == StatusCode::UNAUTHORIZED {
            return Err(status_error(url, response).await);
        }
        Ok(response)
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
                    let mut query: Vec<(String, String)> = Vec::new();
                    if let Some(service) = param("service") {
                        query.push(("service".into(), service));
                    }
                    let mut scopes = self.scopes.clone();
                    if let Some(s) = param("scope")
                        && !scopes.contains(&s)
                    {
                        scopes.push(s);
                    }
                    for s in scopes {
                        query.push(("scope".into(), s));
                    }
                    let mut request = self.client.get(&realm).query(&query);
                    if let RegistryAuth::Basic { username, password } = &self.auth {
                        request = request.basic_auth(username, Some(password));
                    }
                    self.requests.fetch_add(1, Ordering::Relaxed);
                    let response = request.send().await.map_err(|e| network(&realm, &e))?;
                    if !response.status().is_success() {
                        return Err(CopyError::Unauthorized {
                            url: realm,
                            status: response.status().as_u16(),
                        });
                    }
                    #[derive(serde::Deserialize)]
                    struct Token {
                        token: Option<String>,
                        access_token: Option<String>,
                    }
                    let token: Token = response.json().await.map_err(|e| network(&realm, &e))?;
                    let token = token.token.or(token.access_token).ok_or_else(|| {
                        CopyError::Unauthorized {
                            url: realm.clone(),
                            status: 200,
                        }
                    })?;
                    AuthState::Bearer(token)
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

    pub(crate) async fn get_manifest(
        &self,
        reference: &str,
    ) -> Result<Option<(Vec<u8>, String)>, CopyError> {
        let url = self.url("manifests", reference);
        let response = self
            .send(&url, || self.client.get(&url).header("Accept", ACCEPT))
            .await?;
        if response.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !response.status().is_success() {
            return Err(status_error(&url, response).await);
        }
        if response
            .content_length()
            .is_some_and(|n| n > MAX_MANIFEST as u64)
        {
            return Err(CopyError::InvalidManifest {
                what: url,
                reason: format!("larger than {MAX_MANIFEST} bytes"),
            });
        }
        let media_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or(media_type::OCI_MANIFEST)
            .to_string();
        let bytes = response.bytes().await.map_err(|e| network(&url, &e))?;
        if bytes.len() > MAX_MANIFEST {
            return Err(CopyError::InvalidManifest {
                what: url,
                reason: format!("larger than {MAX_MANIFEST} bytes"),
            });
        }
        Ok(Some((bytes.to_vec(), media_type)))
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

    pub(crate) async fn put_manifest(
        &self,
        bytes: &[u8],
        media_type: &str,
        reference: &str,
    ) -> Result<(), CopyError> {
        let url = self.url("manifests", reference);
        let body = Bytes::copy_from_slice(bytes);
        let response = self
            .send(&url, || {
                self.client
                    .put(&url)
                    .header(CONTENT_TYPE, media_type)
                    .body(body.clone())
            })
            .await?;
        if !response.status().is_success() {
            return Err(status_error(&url, response).await);
        }
        Ok(())
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

    pub(crate) async fn open_blob(&self, digest: &Digest) -> Result<BlobStream, CopyError> {
        let url = self.url("blobs", &digest.to_string());
        let response = self.send(&url, || self.client.get(&url)).await?;
        if response.status() == StatusCode::NOT_FOUND {
            return Err(CopyError::NotFound(url));
        }
        if !response.status().is_success() {
            return Err(status_error(&url, response).await);
        }
        Ok(response
            .bytes_stream()
            .map(move |r| r.map_err(|e| network(&url, &e)))
            .boxed())
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
                    let bytes = response.bytes().await.map_err(|e| network(&url, &e))?;
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
    /// (`None` then: nothing left to send).
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
        let _ = self
            .authorize(self.client.request(Method::DELETE, location.clone()))
            .send()
            .await;
    }

    pub(crate) async fn put_blob(
        &self,
        source: &Store,
        desc: &Descriptor,
        mount_from: Option<&str>,
        options: &CopyOptions,
        what: &str,
    ) -> Result<Action, CopyError> {
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

    /// Uploads a stream monolithically (small blobs written by [`super::Place`]).
    pub(crate) async fn upload(
        &self,
        desc: &Descriptor,
        stream: BlobStream,
        what: &str,
    ) -> Result<(), CopyError> {
        let Some(location) = self.start_upload(&desc.digest, None).await? else {
            return Ok(());
        };
        let verified = verify_stream(stream, desc, what);
        let result = self
            .upload_monolithic(location.clone(), verified, desc)
            .await;
        if result.is_err() {
            self.cancel(&location).await;
        }
        result
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
    ) -> Result<(), CopyError> {
        let url = Self::with_digest(location, &desc.digest);
        let failure = stream.failure.clone();
        let body = reqwest::Body::wrap_stream(stream.inner);
        self.requests.fetch_add(1, Ordering::Relaxed);
        let sent = self
            .authorize(self.client.put(url.clone()))
            .header(CONTENT_LENGTH, desc.size)
            .header(CONTENT_TYPE, "application/octet-stream")
            .body(body)
            .send()
            .await;
        // The source's failure (wrong bytes, broken connection) is the real cause of a body
        // error; report it rather than reqwest's "error sending request".
        if let Some(e) = failure.lock().ok().and_then(|mut f| f.take()) {
            return Err(e);
        }
        let response = sent.map_err(|e| network(url.as_str(), &e))?;
        if response.status() != StatusCode::CREATED {
            return Err(status_error(url.as_str(), response).await);
        }
        Ok(())
    }

    async fn upload_chunked(
        &self,
        mut location: Url,
        stream: VerifiedStream,
        desc: &Descriptor,
        chunk_size: usize,
    ) -> Result<(), CopyError> {
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
                    return Err(e.unwrap_or_else(|| CopyError::Network {
                        url: location.to_string(),
                        message: "source stream failed".into(),
                    }));
                }
                None => true,
            };
            while buffer.len() >= chunk_size || (end && !buffer.is_empty()) {
                let take = buffer.len().min(chunk_size);
                let chunk = buffer.split_to(take).freeze();
                let last = offset + chunk.len() as u64 - 1;
                self.requests.fetch_add(1, Ordering::Relaxed);
                let response = self
                    .authorize(self.client.patch(location.clone()))
                    .header("Content-Range", format!("{offset}-{last}"))
                    .header(CONTENT_LENGTH, chunk.len())
                    .header(CONTENT_TYPE, "application/octet-stream")
                    .body(chunk)
                    .send()
                    .await
                    .map_err(|e| network(location.as_str(), &e))?;
                if response.status() != StatusCode::ACCEPTED {
                    return Err(status_error(location.as_str(), response).await);
                }
                location = self.location(location.as_str(), response.headers())?;
                offset = last + 1;
            }
            if end {
                break;
            }
        }
        let url = Self::with_digest(location, &desc.digest);
        self.requests.fetch_add(1, Ordering::Relaxed);
        let response = self
            .authorize(self.client.put(url.clone()))
            .header(CONTENT_LENGTH, 0)
            .send()
            .await
            .map_err(|e| network(url.as_str(), &e))?;
        if response.status() != StatusCode::CREATED {
            return Err(status_error(url.as_str(), response).await);
        }
        Ok(())
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
