//! HTTPS for the webhook: rustls (aws-lc-rs) and hyper's HTTP/1.1 server, nothing more. The
//! API server speaks HTTP/1.1 or 2 to webhooks and one connection carries many reviews, so a
//! framework would add routing we do not need: four paths are matched by hand.
//!
//! The certificate and key are read from files and re-read every [`RELOAD_INTERVAL`]; a
//! changed pair is swapped in for new connections (cert-manager and Kubernetes secret
//! volumes replace the files in place). A pair that does not load is reported and the old
//! one kept.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use serde::Serialize;
use tokio::net::TcpListener;

use super::review::{Decision, Webhook};

/// How often the certificate files are checked for changes, by default.
pub const RELOAD_INTERVAL: Duration = Duration::from_secs(5);

/// Largest request body accepted: the API server's own request limit is 3 MiB.
const MAX_BODY: usize = 3 << 20;

/// How long a client may take to finish the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The certificate or key could not be loaded.
    #[error("{0}")]
    Tls(String),
    /// The listening socket failed.
    #[error("cannot listen: {0}")]
    Io(String),
}

/// One line of the webhook's structured log.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum LogEvent {
    /// A review was answered.
    Decision {
        /// RFC 3339 time.
        time: String,
        /// The decision.
        #[serde(flatten)]
        decision: Decision,
        /// Time to decide, in microseconds.
        duration_us: u128,
    },
    /// A request was refused before review (bad body, wrong path).
    BadRequest {
        /// RFC 3339 time.
        time: String,
        /// What was wrong.
        message: String,
    },
    /// The certificate pair was reloaded, or failed to.
    Certificate {
        /// RFC 3339 time.
        time: String,
        /// What happened.
        message: String,
    },
    /// The server is listening.
    Listening {
        /// RFC 3339 time.
        time: String,
        /// Address.
        address: String,
    },
}

/// Where log lines go: the CLI prints them, tests collect them.
pub type LogSink = Arc<dyn Fn(&LogEvent) + Send + Sync>;

fn now() -> String {
    jiff::Timestamp::now().to_string()
}

/// Certificate chain and key files.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// PEM certificate chain, leaf first.
    pub cert: PathBuf,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
    /// How often the files are re-read ([`RELOAD_INTERVAL`] unless a test wants faster).
    pub reload_interval: Duration,
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

fn load_pair(files: &TlsFiles) -> Result<(Vec<u8>, Arc<CertifiedKey>), String> {
    let read = |p: &Path| {
        std::fs::read(p).map_err(|e| format!("{}: {}", p.display(), e.to_string().to_lowercase()))
    };
    let cert_pem = read(&files.cert)?;
    let key_pem = read(&files.key)?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: {e}", files.cert.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: no certificate", files.cert.display()));
    }
    let key = PrivateKeyDer::from_pem_slice(&key_pem)
        .map_err(|e| format!("{}: {e}", files.key.display()))?;
    let signing = provider()
        .key_provider
        .load_private_key(key)
        .map_err(|e| format!("{}: {e}", files.key.display()))?;
    let certified = CertifiedKey::new(certs, signing);
    certified.keys_match().map_err(|e| {
        format!(
            "{} does not match {}: {e}",
            files.key.display(),
            files.cert.display()
        )
    })?;
    let mut fingerprint = cert_pem;
    fingerprint.extend_from_slice(&key_pem);
    Ok((fingerprint, Arc::new(certified)))
}

/// The current certificate, swapped when the files change.
#[derive(Debug)]
struct Reloading {
    files: TlsFiles,
    current: RwLock<(Vec<u8>, Arc<CertifiedKey>)>,
}

impl ResolvesServerCert for Reloading {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.current.read().ok().map(|c| c.1.clone())
    }
}

impl Reloading {
    /// Reloads when the files' bytes changed; returns a message when something happened.
    fn refresh(&self) -> Option<String> {
        let (bytes, key) = match load_pair(&self.files) {
            Ok(pair) => pair,
            Err(e) => return Some(format!("keeping the previous certificate: {e}")),
        };
        let mut current = self.current.write().ok()?;
        if current.0 == bytes {
            return None;
        }
        *current = (bytes, key);
        Some(format!("reloaded {}", self.files.cert.display()))
    }
}

/// Runs the webhook on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    webhook: Arc<Webhook>,
    files: TlsFiles,
    log: LogSink,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), ServeError> {
    let pair = load_pair(&files).map_err(ServeError::Tls)?;
    let resolver = Arc::new(Reloading {
        files,
        current: RwLock::new(pair),
    });
    let mut config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| ServeError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_cert_resolver(resolver.clone());
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let address = listener
        .local_addr()
        .map_err(|e| ServeError::Io(e.to_string()))?;
    log(&LogEvent::Listening {
        time: now(),
        address: address.to_string(),
    });

    let reload = {
        let resolver = resolver.clone();
        let log = log.clone();
        async move {
            let mut tick = tokio::time::interval(
                resolver
                    .files
                    .reload_interval
                    .max(Duration::from_millis(100)),
            );
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let resolver = resolver.clone();
                if let Ok(Some(message)) =
                    tokio::task::spawn_blocking(move || resolver.refresh()).await
                {
                    log(&LogEvent::Certificate {
                        time: now(),
                        message,
                    });
                }
            }
        }
    };
    let reload = tokio::spawn(reload);

    let accept = async {
        loop {
            let (stream, peer) = match listener.accept().await {
                Ok(pair) => pair,
                // Out of file descriptors and the like: back off instead of spinning.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            // Small request/response exchanges: without this, Nagle's algorithm and delayed
            // ACKs add ~40 ms to some answers.
            let _ = stream.set_nodelay(true);
            let acceptor = acceptor.clone();
            let webhook = webhook.clone();
            let log = log.clone();
            tokio::spawn(async move {
                let Ok(Ok(tls)) =
                    tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await
                else {
                    return;
                };
                let service = hyper::service::service_fn(move |req| {
                    handle(req, webhook.clone(), log.clone(), peer)
                });
                // Errors here are the client's (reset connections); nothing to answer.
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    };
    tokio::select! {
        () = accept => {}
        () = shutdown => {}
    }
    reload.abort();
    Ok(())
}

fn text(status: StatusCode, body: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

async fn handle(
    req: Request<Incoming>,
    webhook: Arc<Webhook>,
    log: LogSink,
    _peer: SocketAddr,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path().to_string();
    let response = match (req.method(), path.as_str()) {
        (&Method::GET, "/healthz") => text(StatusCode::OK, "ok\n"),
        // Ready as soon as it serves: the policy and certificate were loaded before listening.
        (&Method::GET, "/readyz") => text(StatusCode::OK, "ok\n"),
        (&Method::POST, "/validate") => {
            let started = Instant::now();
            let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
                Ok(b) => b.to_bytes(),
                Err(e) => {
                    let message = format!("cannot read the request body: {e}");
                    log(&LogEvent::BadRequest {
                        time: now(),
                        message: message.clone(),
                    });
                    return Ok(text(StatusCode::BAD_REQUEST, &message));
                }
            };
            match webhook.review(&body).await {
                Ok((answer, decision)) => {
                    log(&LogEvent::Decision {
                        time: now(),
                        decision,
                        duration_us: started.elapsed().as_micros(),
                    });
                    let mut response = Response::new(Full::new(Bytes::from(answer.to_string())));
                    response.headers_mut().insert(
                        hyper::header::CONTENT_TYPE,
                        hyper::header::HeaderValue::from_static("application/json"),
                    );
                    response
                }
                Err(e) => {
                    log(&LogEvent::BadRequest {
                        time: now(),
                        message: e.to_string(),
                    });
                    text(StatusCode::BAD_REQUEST, &e.to_string())
                }
            }
        }
        _ => text(StatusCode::NOT_FOUND, "not found\n"),
    };
    Ok(response)
}

/// Completes on SIGTERM (what Kubernetes sends to stop a pod) or Ctrl-C.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
