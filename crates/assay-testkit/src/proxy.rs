//! A small fault-injecting HTTP proxy in front of a test registry, so failure handling is
//! tested against real broken transfers: error statuses (500, 503, 429 with `Retry-After`),
//! a connection closed half-way through a body, a stalled answer, a wrong `Content-Length`,
//! a body with the wrong bytes, and a bearer token that expires in the middle of a copy.
//!
//! One thread per connection, one request per connection (`Connection: close` both ways),
//! so each fault hits exactly one request. A fault is queued for a [`Target`] (blob
//! downloads, manifest reads, blob uploads, manifest writes) and applies, in the order
//! queued, to the next requests of that kind; everything else passes through. The `Host`
//! header is forwarded unchanged, so the registry's `Location` answers point back at the
//! proxy.
//!
//! With [`FaultProxy::start_with_tokens`] the proxy also plays a token-auth registry: every
//! `/v2/` request needs `Authorization: Bearer <token>` with the current token, handed out
//! by the proxy's own `/token` endpoint after a `401` + `WWW-Authenticate: Bearer` challenge
//! (as Docker Hub, GHCR or distribution's token auth do); [`Fault::ExpireToken`] revokes the
//! current token, so the client has to fetch a new one and carry on.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// A fault to inject into one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer `500 Internal Server Error` without asking the registry.
    ServerError,
    /// Answer `503 Service Unavailable` without asking the registry.
    Unavailable,
    /// Answer `429 Too Many Requests` with `Retry-After: <seconds>`.
    TooManyRequests {
        /// The `Retry-After` value, in seconds.
        retry_after: u64,
    },
    /// Send the headers and half of the body, then close the connection (a body-less answer
    /// is not sent at all: the registry did the work, the client never hears).
    ResetMidBlob,
    /// Send the headers, then nothing (a body-less answer: nothing at all) until the client
    /// gives up and closes the connection, or [`STALL_LIMIT`] passes.
    Stall,
    /// Announce half the body's length in `Content-Length` and send the whole body.
    ShortContentLength,
    /// Announce 100 bytes more than the body in `Content-Length`, send the body and close.
    LongContentLength,
    /// Send a body of the right length with every byte changed.
    WrongContent,
    /// Answer `400` with distribution's `MANIFEST_BLOB_UNKNOWN`, as docker-registry does to a
    /// manifest PUT that races another writer committing one of its blobs into the same
    /// repository (distribution/distribution#4489).
    BlobUnknown,
    /// Revoke the current bearer token and answer `401` with a `WWW-Authenticate: Bearer`
    /// challenge naming the proxy's token endpoint (without token mode, the token handed out
    /// is accepted and ignored).
    ExpireToken,
}

/// Which requests a fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `GET /v2/<name>/blobs/<digest>`.
    BlobGet,
    /// `GET` or `HEAD /v2/<name>/manifests/<reference>`.
    ManifestGet,
    /// `POST`, `PATCH` or `PUT` under `/v2/<name>/blobs/uploads/`.
    BlobUpload,
    /// `PUT /v2/<name>/manifests/<reference>`.
    ManifestPut,
    /// `GET /token` on the proxy's own token endpoint (token mode): error statuses, a reset
    /// or a stall; other faults do not apply.
    Token,
}

impl Target {
    fn of(method: &str, path: &str) -> Option<Target> {
        if !path.starts_with("/v2/") {
            return None;
        }
        let path = path.split('?').next().unwrap_or(path);
        match method {
            "GET" if path.contains("/blobs/") && !path.contains("/blobs/uploads/") => {
                Some(Target::BlobGet)
            }
            "GET" | "HEAD" if path.contains("/manifests/") => Some(Target::ManifestGet),
            "POST" | "PATCH" | "PUT" if path.contains("/blobs/uploads/") => {
                Some(Target::BlobUpload)
            }
            "PUT" if path.contains("/manifests/") => Some(Target::ManifestPut),
            _ => None,
        }
    }
}

/// How long a stalled request is held open at most when the client does not give up.
pub const STALL_LIMIT: Duration = Duration::from_secs(30);

/// One queued fault: for which requests (and, optionally, only those whose request line
/// contains a string, such as a digest).
#[derive(Debug, Clone)]
struct Queued {
    target: Target,
    only: Option<String>,
    fault: Fault,
}

#[derive(Debug, Default)]
struct Shared {
    faults: Mutex<Vec<Queued>>,
    /// Requests seen per target, in [`Target`] order.
    hits: [AtomicUsize; 5],
    requests: AtomicUsize,
    /// Requests with a `Range` header (resumed downloads).
    ranged: AtomicUsize,
    /// Token mode: the generation of the valid token (`None`: no token required).
    token: Mutex<Option<u64>>,
    tokens_issued: AtomicUsize,
    /// Tokens handed out with push access.
    push_tokens_issued: AtomicUsize,
}

/// A running proxy; stopped when dropped.
#[derive(Debug)]
pub struct FaultProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

fn target_index(target: Target) -> usize {
    match target {
        Target::BlobGet => 0,
        Target::ManifestGet => 1,
        Target::BlobUpload => 2,
        Target::ManifestPut => 3,
        Target::Token => 4,
    }
}

impl FaultProxy {
    /// Starts a proxy on a free loopback port forwarding to `upstream`.
    pub fn start(upstream: SocketAddr) -> io::Result<FaultProxy> {
        FaultProxy::launch(upstream, false)
    }

    /// Starts a proxy that also requires bearer tokens (see the module documentation); the
    /// registry behind it should be anonymous.
    pub fn start_with_tokens(upstream: SocketAddr) -> io::Result<FaultProxy> {
        FaultProxy::launch(upstream, true)
    }

    fn launch(upstream: SocketAddr, tokens: bool) -> io::Result<FaultProxy> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            token: Mutex::new(tokens.then_some(0)),
            ..Shared::default()
        });
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (shared.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if st.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let s = s.clone();
                std::thread::spawn(move || {
                    let _ = serve(conn, upstream, addr, &s);
                });
            }
        });
        Ok(FaultProxy {
            addr,
            shared,
            stop,
            thread: Some(thread),
        })
    }

    /// `127.0.0.1:PORT`, to use in image references instead of the registry's.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// Queues `fault` for the next `times` blob downloads (after those already queued).
    pub fn inject(&self, fault: Fault, times: usize) {
        self.queue(Target::BlobGet, None, fault, times);
    }

    /// Queues `fault` for the next `times` downloads of the blob `digest` only.
    pub fn inject_for(&self, digest: &str, fault: Fault, times: usize) {
        self.queue(Target::BlobGet, Some(digest), fault, times);
    }

    /// Queues `fault` for the next `times` requests of the `target` kind.
    pub fn inject_at(&self, target: Target, fault: Fault, times: usize) {
        self.queue(target, None, fault, times);
    }

    /// Queues `fault` for the next `times` requests of the `target` kind whose request line
    /// contains `only` (a digest, a tag, a repository).
    pub fn inject_where(&self, target: Target, only: &str, fault: Fault, times: usize) {
        self.queue(target, Some(only), fault, times);
    }

    fn queue(&self, target: Target, only: Option<&str>, fault: Fault, times: usize) {
        if let Ok(mut f) = self.shared.faults.lock() {
            let q = Queued {
                target,
                only: only.map(str::to_string),
                fault,
            };
            f.extend(std::iter::repeat_n(q, times));
        }
    }

    /// Faults queued and not yet used.
    pub fn pending(&self) -> usize {
        self.shared.faults.lock().map_or(0, |f| f.len())
    }

    /// Drops the faults not yet used.
    pub fn clear(&self) {
        if let Ok(mut f) = self.shared.faults.lock() {
            f.clear();
        }
    }

    /// Blob downloads seen so far.
    pub fn blob_gets(&self) -> usize {
        self.hits(Target::BlobGet)
    }

    /// Requests of the `target` kind seen so far (in token mode, those with a valid token).
    pub fn hits(&self, target: Target) -> usize {
        self.shared
            .hits
            .get(target_index(target))
            .map_or(0, |h| h.load(Ordering::SeqCst))
    }

    /// Requests seen so far.
    pub fn requests(&self) -> usize {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// Requests that carried a `Range` header (downloads resumed part-way) so far.
    pub fn ranged(&self) -> usize {
        self.shared.ranged.load(Ordering::SeqCst)
    }

    /// Tokens handed out by the proxy's `/token` endpoint so far.
    pub fn tokens_issued(&self) -> usize {
        self.shared.tokens_issued.load(Ordering::SeqCst)
    }

    /// Tokens handed out with push access so far (a client that only reads gets none).
    pub fn push_tokens_issued(&self) -> usize {
        self.shared.push_tokens_issued.load(Ordering::SeqCst)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A request: its line, its headers (without `Connection`) and its body.
type Request = (String, Vec<String>, Vec<u8>);

/// The request head (request line and headers) and the body, read by `Content-Length`.
fn read_request(reader: &mut BufReader<TcpStream>) -> io::Result<Option<Request>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let request_line = line.trim_end().to_string();
    let mut headers = Vec::new();
    let mut length = 0usize;
    loop {
        let mut h = String::new();
        reader.read_line(&mut h)?;
        let h = h.trim_end().to_string();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().unwrap_or(0);
            }
            if k.eq_ignore_ascii_case("connection") {
                continue;
            }
        }
        headers.push(h);
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body)?;
    Ok(Some((request_line, headers, body)))
}

/// Splits a raw HTTP response into head (with the final CRLFCRLF) and body.
fn split_response(raw: &[u8]) -> (&[u8], &[u8]) {
    match raw.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(i) => raw.split_at(i + 4),
        None => (raw, &[]),
    }
}

/// The head with its `Content-Length` replaced by `length`.
fn with_length(head: &[u8], length: usize) -> Vec<u8> {
    let text = String::from_utf8_lossy(head);
    let mut out = String::new();
    for line in text.split("\r\n") {
        if line.is_empty() {
            continue;
        }
        if line
            .split_once(':')
            .is_some_and(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str(&format!("Content-Length: {length}\r\n\r\n"));
    out.into_bytes()
}

fn answer(client: &mut TcpStream, status: &str, extra: &str, body: &str) -> io::Result<()> {
    write!(
        client,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    client.flush()?;
    client.shutdown(Shutdown::Both)
}

/// The answer to an error-status fault, without asking the registry.
fn error_answer(client: &mut TcpStream, fault: Fault) -> io::Result<()> {
    match fault {
        Fault::TooManyRequests { retry_after } => answer(
            client,
            "429 Too Many Requests",
            &format!("Retry-After: {retry_after}\r\n"),
            r#"{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}"#,
        ),
        Fault::Unavailable => answer(
            client,
            "503 Service Unavailable",
            "",
            r#"{"errors":[{"code":"UNAVAILABLE","message":"service unavailable"}]}"#,
        ),
        Fault::BlobUnknown => answer(
            client,
            "400 Bad Request",
            "",
            r#"{"errors":[{"code":"MANIFEST_BLOB_UNKNOWN","message":"blob unknown to registry"}]}"#,
        ),
        _ => answer(client, "500 Internal Server Error", "", ""),
    }
}

/// Holds the connection open until the client closes it (or [`STALL_LIMIT`]).
fn stall(client: &mut TcpStream) -> io::Result<()> {
    client.flush()?;
    client.set_read_timeout(Some(STALL_LIMIT))?;
    let mut buf = [0u8; 512];
    while matches!(client.read(&mut buf), Ok(n) if n > 0) {}
    client.shutdown(Shutdown::Both)
}

/// The challenge names the scope the request needs, as distribution's token auth does, so a
/// client holding a pull-only token learns that a write needs `pull,push`.
fn challenge(proxy: SocketAddr, scope: Option<&str>) -> String {
    let scope = scope.map(|s| format!(",scope=\"{s}\"")).unwrap_or_default();
    format!(
        "WWW-Authenticate: Bearer realm=\"http://{proxy}/token\",service=\"assay-fault-proxy\"{scope}\r\n"
    )
}

fn unauthorized(client: &mut TcpStream, proxy: SocketAddr, scope: Option<&str>) -> io::Result<()> {
    answer(
        client,
        "401 Unauthorized",
        &challenge(proxy, scope),
        r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#,
    )
}

/// The repository a `/v2/<name>/...` request is about.
fn repository_of(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/v2/")?;
    ["/blobs/", "/manifests/", "/tags/", "/referrers/"]
        .iter()
        .find_map(|marker| rest.find(marker).map(|i| &rest[..i]))
}

/// Requests that change the registry and so need a token with push access.
fn is_write(method: &str) -> bool {
    matches!(method, "POST" | "PUT" | "PATCH" | "DELETE")
}

fn serve(
    client: TcpStream,
    upstream: SocketAddr,
    proxy: SocketAddr,
    shared: &Shared,
) -> io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut client = client;
    let Some((request_line, headers, body)) = read_request(&mut reader)? else {
        return Ok(());
    };
    shared.requests.fetch_add(1, Ordering::SeqCst);
    let mut parts = request_line.split_whitespace();
    let (method, path) = (
        parts.next().unwrap_or_default().to_string(),
        parts.next().unwrap_or_default().to_string(),
    );
    // Counts the request and takes the first fault queued for it.
    let take = |target: Target| {
        if let Some(h) = shared.hits.get(target_index(target)) {
            h.fetch_add(1, Ordering::SeqCst);
        }
        shared.faults.lock().ok().and_then(|mut f| {
            let i = f.iter().position(|q| {
                q.target == target && q.only.as_deref().is_none_or(|d| request_line.contains(d))
            })?;
            Some(f.remove(i).fault)
        })
    };
    // The token endpoint: a new token on every call.
    if path.starts_with("/token") {
        match take(Target::Token) {
            Some(Fault::ResetMidBlob) => return client.shutdown(Shutdown::Both),
            Some(Fault::Stall) => return stall(&mut client),
            Some(
                fault @ (Fault::ServerError
                | Fault::Unavailable
                | Fault::TooManyRequests { .. }
                | Fault::BlobUnknown),
            ) => {
                return error_answer(&mut client, fault);
            }
            _ => {}
        }
        let generation = shared.token.lock().map_or(0, |t| t.unwrap_or(0));
        shared.tokens_issued.fetch_add(1, Ordering::SeqCst);
        // A token carries the access asked for: push only when a scope asked for it.
        let access = if path.contains("push") {
            "push"
        } else {
            "pull"
        };
        if access == "push" {
            shared.push_tokens_issued.fetch_add(1, Ordering::SeqCst);
        }
        let token = format!("assay-proxy-token-{generation}-{access}");
        let body = format!(r#"{{"token":"{token}","access_token":"{token}","expires_in":300}}"#);
        return answer(&mut client, "200 OK", "", &body);
    }
    let target = Target::of(&method, &path);
    if headers.iter().any(|h| {
        h.split_once(':')
            .is_some_and(|(k, _)| k.eq_ignore_ascii_case("range"))
    }) {
        shared.ranged.fetch_add(1, Ordering::SeqCst);
    }
    // Token mode: every /v2/ request carries the current token (checked before any fault
    // is taken, so a fault always hits an authorized request).
    let valid = shared
        .token
        .lock()
        .ok()
        .and_then(|t| *t)
        .map(|generation| format!("Bearer assay-proxy-token-{generation}-"));
    let mut forwarded: Vec<&String> = Vec::new();
    let mut authorized = false;
    let mut may_push = false;
    for h in &headers {
        match h.split_once(':') {
            Some((k, v)) if k.eq_ignore_ascii_case("authorization") => {
                let v = v.trim();
                authorized = valid.as_deref().is_some_and(|p| v.starts_with(p));
                may_push = authorized && v.ends_with("-push");
                // The registry behind a token-mode proxy is anonymous; a basic-auth registry
                // behind a plain proxy gets the credentials.
                if valid.is_none() {
                    forwarded.push(h);
                }
            }
            _ => forwarded.push(h),
        }
    }
    let scope = repository_of(&path).map(|repo| {
        let access = if is_write(&method) {
            "pull,push"
        } else {
            "pull"
        };
        format!("repository:{repo}:{access}")
    });
    if valid.is_some()
        && path.starts_with("/v2/")
        && (!authorized || (is_write(&method) && !may_push))
    {
        return unauthorized(&mut client, proxy, scope.as_deref());
    }
    let fault = target.and_then(take);
    if fault == Some(Fault::ExpireToken) {
        if let Ok(mut t) = shared.token.lock()
            && let Some(generation) = t.as_mut()
        {
            *generation += 1;
        }
        return unauthorized(&mut client, proxy, scope.as_deref());
    }
    if let Some(
        fault @ (Fault::ServerError
        | Fault::Unavailable
        | Fault::TooManyRequests { .. }
        | Fault::BlobUnknown),
    ) = fault
    {
        return error_answer(&mut client, fault);
    }
    let mut up = TcpStream::connect(upstream)?;
    let mut head = format!("{request_line}\r\n");
    for h in forwarded {
        head.push_str(h);
        head.push_str("\r\n");
    }
    head.push_str("Connection: close\r\n\r\n");
    up.write_all(head.as_bytes())?;
    up.write_all(&body)?;
    let mut raw = Vec::new();
    up.read_to_end(&mut raw)?;
    let (head, body) = split_response(&raw);
    match fault {
        Some(Fault::ResetMidBlob) => {
            if !body.is_empty() {
                client.write_all(head)?;
                client.write_all(body.get(..body.len() / 2).unwrap_or_default())?;
                client.flush()?;
            }
            client.shutdown(Shutdown::Both)
        }
        Some(Fault::Stall) => {
            if !body.is_empty() {
                client.write_all(head)?;
            }
            stall(&mut client)
        }
        Some(Fault::ShortContentLength) if !body.is_empty() => {
            client.write_all(&with_length(head, body.len() / 2))?;
            client.write_all(body)?;
            client.shutdown(Shutdown::Both)
        }
        Some(Fault::LongContentLength) if !body.is_empty() => {
            client.write_all(&with_length(head, body.len() + 100))?;
            client.write_all(body)?;
            client.flush()?;
            client.shutdown(Shutdown::Both)
        }
        Some(Fault::WrongContent) => {
            let wrong: Vec<u8> = body.iter().map(|b| b ^ 0x5a).collect();
            client.write_all(head)?;
            client.write_all(&wrong)?;
            client.shutdown(Shutdown::Both)
        }
        _ => {
            client.write_all(head)?;
            client.write_all(body)?;
            client.shutdown(Shutdown::Both)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_sorted_into_targets() {
        let d = "sha256:0123";
        assert_eq!(
            Target::of("GET", &format!("/v2/a/b/blobs/{d}")),
            Some(Target::BlobGet)
        );
        assert_eq!(
            Target::of("HEAD", "/v2/a/manifests/v1"),
            Some(Target::ManifestGet)
        );
        assert_eq!(
            Target::of("PUT", "/v2/a/blobs/uploads/x?digest=sha256:1"),
            Some(Target::BlobUpload)
        );
        assert_eq!(
            Target::of("POST", "/v2/a/blobs/uploads/"),
            Some(Target::BlobUpload)
        );
        assert_eq!(
            Target::of("PUT", "/v2/a/manifests/v1"),
            Some(Target::ManifestPut)
        );
        assert_eq!(Target::of("HEAD", &format!("/v2/a/blobs/{d}")), None);
        assert_eq!(Target::of("GET", "/v2/"), None);
    }

    #[test]
    fn content_length_is_rewritten() {
        let head = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\nX: y\r\n\r\n";
        let out = String::from_utf8(with_length(head, 5)).unwrap_or_default();
        assert_eq!(out, "HTTP/1.1 200 OK\r\nX: y\r\nContent-Length: 5\r\n\r\n");
    }
}
