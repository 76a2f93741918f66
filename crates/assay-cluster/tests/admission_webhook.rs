//! The webhook over real HTTPS on loopback: a certificate generated for the test, the server
//! from `assay_cluster::admission::serve`, AdmissionReviews posted with a rustls client. The
//! registry side is an in-memory [`Verifier`] here (the CLI tests use a real registry), so
//! every decision path, the cache and fail-closed behaviour are covered without a network.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use assay_cluster::admission::{
    BoxFuture, Check, LogEvent, Mode, OnError, Pinned, Policy, PolicyFile, TlsFiles, Verifier,
    VerifyError, Webhook, serve,
};
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const GOOD: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
const SIGNED_ONLY: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
const UNSIGNED: &str = "sha256:3333333333333333333333333333333333333333333333333333333333333333";
const REGISTRY: &str = "registry.example.com";

/// Images of `registry.example.com`: GOOD is signed and promoted, SIGNED_ONLY signed,
/// UNSIGNED neither; the tag `1.0` of shop/web points at GOOD; host `down.example.com` is
/// unreachable.
#[derive(Debug, Default)]
struct Fake {
    calls: AtomicUsize,
}

impl Fake {
    fn known(&self, image: &Pinned) -> Result<(bool, bool), VerifyError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if image.name.starts_with("down.example.com/") {
            return Err(VerifyError::Unreachable("connection refused".into()));
        }
        Ok(match image.digest.as_str() {
            GOOD => (true, true),
            SIGNED_ONLY => (true, false),
            _ => (false, false),
        })
    }
}

impl Verifier for Fake {
    fn resolve<'a>(
        &'a self,
        name: &'a str,
        tag: &'a str,
    ) -> BoxFuture<'a, Result<String, VerifyError>> {
        Box::pin(async move {
            if name.starts_with("down.example.com/") {
                return Err(VerifyError::Unreachable("connection refused".into()));
            }
            match (name, tag) {
                ("registry.example.com/shop/web", "1.0") => Ok(GOOD.to_string()),
                _ => Err(VerifyError::NotFound(format!("{name}:{tag}: no such tag"))),
            }
        })
    }
    fn signature<'a>(&'a self, image: &'a Pinned) -> BoxFuture<'a, Result<Check, VerifyError>> {
        Box::pin(async move {
            Ok(match self.known(image)?.0 {
                true => Check::Pass("key SHA256:test".into()),
                false => Check::Fail("no signature".into()),
            })
        })
    }
    fn promotion<'a>(&'a self, image: &'a Pinned) -> BoxFuture<'a, Result<Check, VerifyError>> {
        Box::pin(async move {
            Ok(match self.known(image)?.1 {
                true => Check::Pass("from staging by policy golden".into()),
                false => Check::Fail("no attestation".into()),
            })
        })
    }
}

fn policy(edit: impl FnOnce(&mut PolicyFile)) -> Policy {
    let mut file = PolicyFile {
        allowed_registries: vec![REGISTRY.into(), "down.example.com".into()],
        exempt_images: vec!["registry.example.com/infra/*".into()],
        ..PolicyFile::default()
    };
    edit(&mut file);
    Policy::new(file, vec![(PathBuf::from("k.pub"), "pem".into())]).unwrap()
}

fn pod(namespace: &str, images: &[&str]) -> Value {
    let containers: Vec<Value> = images
        .iter()
        .enumerate()
        .map(|(i, image)| json!({"name": format!("c{i}"), "image": image}))
        .collect();
    json!({"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "web", "namespace": namespace},
           "spec": {"containers": containers}})
}

fn review(kind: &str, namespace: &str, object: Value) -> Value {
    json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
            "kind": {"group": "", "version": "v1", "kind": kind},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "namespace": namespace,
            "operation": "CREATE",
            "userInfo": {"username": "alice"},
            "object": object,
        }
    })
}

/// An AdmissionReview from fixtures/admission with its `${...}` placeholders filled in.
fn fixture_review(name: &str, images: &[(&str, String)]) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/admission")
        .join(name);
    let mut text = std::fs::read_to_string(path).unwrap();
    for (placeholder, image) in images {
        text = text.replace(placeholder, image);
    }
    serde_json::from_str(&text).unwrap()
}

fn image(digest: &str) -> String {
    format!("{REGISTRY}/shop/web@{digest}")
}

struct Server {
    addr: SocketAddr,
    ca: CertificateDer<'static>,
    logs: Arc<Mutex<Vec<String>>>,
    dir: tempfile::TempDir,
    _stop: tokio::sync::oneshot::Sender<()>,
}

fn certificate() -> (String, String, CertificateDer<'static>) {
    let c =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    (
        c.cert.pem(),
        c.signing_key.serialize_pem(),
        c.cert.der().clone(),
    )
}

async fn start(policy: Policy, verifier: Arc<dyn Verifier>) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, ca) = certificate();
    std::fs::write(dir.path().join("tls.crt"), cert).unwrap();
    std::fs::write(dir.path().join("tls.key"), key).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let logs = Arc::new(Mutex::new(Vec::new()));
    let sink = {
        let logs = logs.clone();
        Arc::new(move |e: &LogEvent| logs.lock().unwrap().push(serde_json::to_string(e).unwrap()))
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let files = TlsFiles {
        cert: dir.path().join("tls.crt"),
        key: dir.path().join("tls.key"),
        reload_interval: Duration::from_millis(100),
    };
    let webhook = Arc::new(Webhook::new(policy, verifier));
    tokio::spawn(async move {
        serve(listener, webhook, files, sink, async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    Server {
        addr,
        ca,
        logs,
        dir,
        _stop: stop,
    }
}

async fn request(
    addr: SocketAddr,
    ca: &CertificateDer<'static>,
    method: &str,
    path: &str,
    body: &str,
) -> Result<(u16, String), String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.clone()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut tls = connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .map_err(|e| e.to_string())?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    tls.write_all(head.as_bytes()).await.unwrap();
    tls.write_all(body.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    // The server may close without close_notify; what was read is the whole response.
    let _ = tls.read_to_end(&mut raw).await;
    let raw = String::from_utf8(raw).unwrap();
    let status = raw
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = raw
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    Ok((status, body))
}

async fn admit(server: &Server, review: &Value) -> Value {
    let (status, body) = request(
        server.addr,
        &server.ca,
        "POST",
        "/validate",
        &review.to_string(),
    )
    .await
    .unwrap();
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["kind"], "AdmissionReview");
    assert_eq!(answer["response"]["uid"], review["request"]["uid"]);
    answer["response"].clone()
}

fn message(response: &Value) -> String {
    response["status"]["message"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enforce_admits_promoted_signed_images_and_denies_the_rest_with_reasons() {
    let server = start(policy(|_| {}), Arc::new(Fake::default())).await;

    let ok = admit(
        &server,
        &review("Pod", "shop", pod("shop", &[&image(GOOD)])),
    )
    .await;
    assert_eq!(ok["allowed"], true, "{ok}");

    let r = admit(
        &server,
        &review("Pod", "shop", pod("shop", &[&image(SIGNED_ONLY)])),
    )
    .await;
    assert_eq!(r["allowed"], false);
    assert_eq!(r["status"]["code"], 403);
    let m = message(&r);
    assert!(m.contains(&image(SIGNED_ONLY)), "{m}");
    assert!(
        m.contains("no assay promotion attestation (no attestation)"),
        "{m}"
    );
    assert!(!m.contains("not signed"), "{m}");

    let r = admit(
        &server,
        &review("Pod", "shop", pod("shop", &[&image(UNSIGNED)])),
    )
    .await;
    let m = message(&r);
    assert!(
        m.contains("not signed by a trusted key (no signature)"),
        "{m}"
    );
    assert!(m.contains("no assay promotion attestation"), "{m}");

    let foreign = format!("docker.io/library/nginx@{GOOD}");
    let r = admit(&server, &review("Pod", "shop", pod("shop", &[&foreign]))).await;
    let m = message(&r);
    assert!(
        m.contains(
            "registry docker.io is not allowed (allowed: registry.example.com, down.example.com)"
        ),
        "{m}"
    );

    let r = admit(
        &server,
        &review(
            "Pod",
            "shop",
            pod("shop", &["registry.example.com/shop/web:1.0"]),
        ),
    )
    .await;
    let m = message(&r);
    assert!(m.contains("not referenced by digest (tag 1.0)"), "{m}");
    // The tag was still resolved so that the other requirements are judged and reported.
    assert_eq!(
        r["warnings"][0],
        format!("image registry.example.com/shop/web:1.0: tag 1.0 resolved to {GOOD}")
    );

    let logs = server.logs.lock().unwrap().clone();
    let decisions: Vec<Value> = logs
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["event"] == "decision")
        .collect();
    assert_eq!(decisions.len(), 5);
    assert_eq!(decisions[0]["allowed"], true);
    assert_eq!(
        decisions[0]["images"][0]["passes"][2],
        "signed by key SHA256:test"
    );
    assert_eq!(decisions[1]["allowed"], false);
    assert_eq!(decisions[1]["user"], "alice");
    assert!(decisions[1]["duration_us"].is_u64());
    drop(server.dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tag_is_resolved_and_reported_when_digests_are_not_required() {
    let server = start(
        policy(|p| p.require_digest = false),
        Arc::new(Fake::default()),
    )
    .await;
    let r = admit(
        &server,
        &review(
            "Pod",
            "shop",
            pod("shop", &["registry.example.com/shop/web:1.0"]),
        ),
    )
    .await;
    assert_eq!(r["allowed"], true, "{r}");
    assert!(
        r["warnings"][0]
            .as_str()
            .unwrap()
            .contains(&format!("resolved to {GOOD}"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warn_mode_admits_with_warnings() {
    let server = start(policy(|p| p.mode = Mode::Warn), Arc::new(Fake::default())).await;
    let r = admit(
        &server,
        &review("Pod", "shop", pod("shop", &[&image(UNSIGNED)])),
    )
    .await;
    assert_eq!(r["allowed"], true);
    let warnings = r["warnings"].to_string();
    assert!(
        warnings.contains("would be denied by assay-golden-images"),
        "{warnings}"
    );
    assert!(
        warnings.contains("not signed by a trusted key"),
        "{warnings}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exemptions_skip_the_checks() {
    let server = start(policy(|_| {}), Arc::new(Fake::default())).await;
    let r = admit(
        &server,
        &review(
            "Pod",
            "kube-system",
            pod("kube-system", &[&image(UNSIGNED)]),
        ),
    )
    .await;
    assert_eq!(r["allowed"], true);
    let infra = format!("{REGISTRY}/infra/proxy:latest");
    let r = admit(&server, &review("Pod", "shop", pod("shop", &[&infra]))).await;
    assert_eq!(r["allowed"], true, "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_registries_fail_closed_by_default_and_open_when_configured() {
    let down = format!("down.example.com/shop/web@{GOOD}");
    let closed = start(policy(|_| {}), Arc::new(Fake::default())).await;
    let r = admit(&closed, &review("Pod", "shop", pod("shop", &[&down]))).await;
    assert_eq!(r["allowed"], false);
    let m = message(&r);
    assert!(
        m.contains("could not check the signature: registry unreachable: connection refused"),
        "{m}"
    );

    let open = start(
        policy(|p| p.on_registry_error = OnError::Allow),
        Arc::new(Fake::default()),
    )
    .await;
    let r = admit(&open, &review("Pod", "shop", pod("shop", &[&down]))).await;
    assert_eq!(r["allowed"], true);
    assert!(
        r["warnings"]
            .to_string()
            .contains("admitted (on-registry-error: allow)")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workload_templates_and_every_container_kind_are_checked() {
    let server = start(policy(|_| {}), Arc::new(Fake::default())).await;
    let deployment = fixture_review(
        "deployment-review.json",
        &[
            ("${INIT_IMAGE}", image(SIGNED_ONLY)),
            ("${IMAGE}", image(GOOD)),
            ("${EPHEMERAL_IMAGE}", image(UNSIGNED)),
        ],
    );
    let r = admit(&server, &deployment).await;
    let m = message(&r);
    assert!(m.contains("(initContainers/setup)"), "{m}");
    assert!(m.contains("(ephemeralContainers/debug)"), "{m}");
    assert!(!m.contains("containers/app"), "{m}");

    let cronjob = fixture_review("cronjob-review.json", &[("${IMAGE}", image(UNSIGNED))]);
    let r = admit(&server, &cronjob).await;
    assert!(message(&r).contains("(containers/job)"));

    let service =
        json!({"kind": "Service", "apiVersion": "v1", "metadata": {"name": "s"}, "spec": {}});
    let r = admit(&server, &review("Service", "shop", service)).await;
    assert_eq!(r["allowed"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_workload_kind_and_the_ephemeral_containers_subresource_are_checked() {
    let server = start(policy(|_| {}), Arc::new(Fake::default())).await;
    for kind in [
        "Deployment",
        "StatefulSet",
        "DaemonSet",
        "ReplicaSet",
        "ReplicationController",
        "Job",
    ] {
        let object = json!({"kind": kind, "metadata": {"name": "w", "namespace": "shop"},
        "spec": {"template": {"spec": {
            "containers": [{"name": "app", "image": image(GOOD)}],
            "initContainers": [{"name": "init", "image": image(UNSIGNED)}],
        }}}});
        let r = admit(&server, &review(kind, "shop", object)).await;
        assert_eq!(r["allowed"], false, "{kind}: {r}");
        let m = message(&r);
        assert!(m.contains("(initContainers/init)"), "{kind}: {m}");
        assert!(!m.contains("containers/app"), "{kind}: {m}");
    }
    // `kubectl debug` adds an ephemeral container with an UPDATE of pods/ephemeralcontainers;
    // the object is the Pod.
    let mut body = review(
        "Pod",
        "shop",
        json!({"kind": "Pod", "metadata": {"name": "web", "namespace": "shop"},
               "spec": {"containers": [{"name": "app", "image": image(GOOD)}],
                        "ephemeralContainers": [{"name": "debugger", "image": image(SIGNED_ONLY)}]}}),
    );
    body["request"]["operation"] = "UPDATE".into();
    body["request"]["subResource"] = "ephemeralcontainers".into();
    let r = admit(&server, &body).await;
    let m = message(&r);
    assert!(
        m.contains("(ephemeralContainers/debugger): no assay promotion attestation"),
        "{m}"
    );
    // Deletes carry no new image.
    let mut body = review("Pod", "shop", pod("shop", &[&image(UNSIGNED)]));
    body["request"]["operation"] = "DELETE".into();
    assert_eq!(admit(&server, &body).await["allowed"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_are_cached_by_digest() {
    let fake = Arc::new(Fake::default());
    let server = start(policy(|_| {}), fake.clone()).await;
    let body = review("Pod", "shop", pod("shop", &[&image(GOOD)]));
    admit(&server, &body).await;
    let after_first = fake.calls.load(Ordering::SeqCst);
    assert_eq!(after_first, 2, "signature and promotion checked once each");
    admit(&server, &body).await;
    assert_eq!(fake.calls.load(Ordering::SeqCst), after_first);
    let logs = server.logs.lock().unwrap().clone();
    assert!(logs.last().unwrap().contains("\"cached\":true"));

    let uncached = start(policy(|p| p.cache_ttl_seconds = 0), fake.clone()).await;
    admit(&uncached, &body).await;
    admit(&uncached, &body).await;
    assert_eq!(fake.calls.load(Ordering::SeqCst), after_first + 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_endpoints_and_bad_requests() {
    let server = start(policy(|_| {}), Arc::new(Fake::default())).await;
    for path in ["/healthz", "/readyz"] {
        let (status, body) = request(server.addr, &server.ca, "GET", path, "")
            .await
            .unwrap();
        assert_eq!((status, body.as_str()), (200, "ok\n"));
    }
    let (status, _) = request(server.addr, &server.ca, "GET", "/nope", "")
        .await
        .unwrap();
    assert_eq!(status, 404);
    let (status, body) = request(
        server.addr,
        &server.ca,
        "POST",
        "/validate",
        "{\"kind\":\"Pod\"}",
    )
    .await
    .unwrap();
    assert_eq!(status, 400);
    assert!(
        body.contains("invalid AdmissionReview: kind is not AdmissionReview"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replaced_certificate_is_served_without_restart() {
    let server = start(policy(|_| {}), Arc::new(Fake::default())).await;
    let (cert, key, new_ca) = certificate();
    // The old certificate is trusted only by the old CA.
    assert!(
        request(server.addr, &new_ca, "GET", "/healthz", "")
            .await
            .is_err()
    );
    std::fs::write(server.dir.path().join("tls.key"), key).unwrap();
    std::fs::write(server.dir.path().join("tls.crt"), cert).unwrap();
    let mut served = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if request(server.addr, &new_ca, "GET", "/healthz", "")
            .await
            .is_ok()
        {
            served = true;
            break;
        }
    }
    assert!(served, "the new certificate was not picked up");
    assert!(
        request(server.addr, &server.ca, "GET", "/healthz", "")
            .await
            .is_err()
    );
    let logs = server.logs.lock().unwrap().join("\n");
    assert!(logs.contains("\"event\":\"certificate\""), "{logs}");
}

#[test]
fn policies_without_keys_are_rejected_when_signatures_are_required() {
    let err = Policy::new(PolicyFile::default(), Vec::new()).unwrap_err();
    assert!(err.contains("trusted-keys"), "{err}");
}
