//! `assay admission`: the webhook as users run it (`assay admission serve` in its own
//! process, HTTPS on loopback with a generated certificate) judging images in real test
//! registries: promoted and signed, signed but not promoted, unsigned, and from a foreign
//! registry; plus `manifests` and `export`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use assay_oci::testing::{ImageSpec, LayerSpec, Pusher};
use assay_oci::{Digest, RemoteOptions};
use assay_sign::{Attach, KeySigner, Location, PrivateKey, attest, sign_image};
use common::{assay, run};
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::{Value, json};

const PROMOTION: &str = assay_promote::PROMOTION_PREDICATE_TYPE;

fn push(host: &str, repo: &str, tag: &str, content: &str) -> Digest {
    let image = ImageSpec::new()
        .layer(LayerSpec::new().file("etc/app.conf", content))
        .build();
    Pusher::new(host).push_image(repo, tag, &image);
    image.manifest.digest
}

fn store(host: &str, reference: &str) -> Box<dyn assay_sign::Store> {
    let options = RemoteOptions {
        plain_http: vec![host.to_string()],
        ..RemoteOptions::default()
    };
    Location::parse(reference).unwrap().open(&options).unwrap()
}

/// Signs (and optionally attests the promotion of) `host/repo@digest` with `key`.
fn sign(host: &str, repo: &str, digest: &Digest, key: &PrivateKey, promoted: bool) {
    let s = store(host, &format!("{host}/{repo}@{digest}"));
    let signer = KeySigner::new(key.clone());
    sign_image(s.as_ref(), &signer, &Default::default(), None, Attach::Tag).unwrap();
    if promoted {
        attest(
            s.as_ref(),
            &signer,
            PROMOTION,
            json!({"source": format!("staging.example.com/{repo}@{digest}"), "policy": "golden"}),
            Attach::Tag,
        )
        .unwrap();
    }
}

struct Server {
    child: Child,
    addr: SocketAddr,
    ca: CertificateDer<'static>,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `assay admission serve` with `policy` (YAML) and waits until it listens.
fn serve(dir: &Path, policy: &str) -> Server {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    std::fs::write(dir.join("tls.crt"), cert.cert.pem()).unwrap();
    std::fs::write(dir.join("tls.key"), cert.signing_key.serialize_pem()).unwrap();
    std::fs::write(dir.join("policy.yaml"), policy).unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let bin = assay_cmd_path();
    let mut child = std::process::Command::new(bin)
        .args(["admission", "serve", "--policy"])
        .arg(dir.join("policy.yaml"))
        .arg("--cert")
        .arg(dir.join("tls.crt"))
        .arg("--key")
        .arg(dir.join("tls.key"))
        .args(["--listen", &addr.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let lines = Arc::new(Mutex::new(Vec::new()));
    let (tx, rx) = mpsc::channel();
    {
        let lines = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.contains("\"event\":\"listening\"") {
                    let _ = tx.send(());
                }
                lines.lock().unwrap().push(line);
            }
        });
    }
    if rx.recv_timeout(Duration::from_secs(20)).is_err() {
        let _ = child.kill();
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        panic!("the webhook did not start: {err}");
    }
    Server {
        child,
        addr,
        ca: cert.cert.der().clone(),
        lines,
    }
}

fn assay_cmd_path() -> std::path::PathBuf {
    assert_cmd::cargo::cargo_bin("assay")
}

/// One HTTPS request with a blocking rustls client; returns (status, body).
fn request(server: &Server, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(server.ca.clone()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let conn =
        rustls::ClientConnection::new(Arc::new(config), ServerName::try_from("localhost").unwrap())
            .unwrap();
    let tcp = TcpStream::connect(server.addr).unwrap();
    tcp.set_nodelay(true).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    // One write: several small ones would meet Nagle's algorithm and delayed ACKs (~40 ms).
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    tls.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    let _ = tls.read_to_end(&mut raw);
    let raw = String::from_utf8(raw).unwrap();
    let status = raw
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (
        status,
        raw.split_once("\r\n\r\n")
            .map_or("", |(_, b)| b)
            .to_string(),
    )
}

/// fixtures/admission/pod-review.json with one container per image.
fn review(images: &[String]) -> String {
    let text =
        std::fs::read_to_string(common::repo_root().join("fixtures/admission/pod-review.json"))
            .unwrap();
    let mut review: Value = serde_json::from_str(&text).unwrap();
    review["request"]["object"]["spec"]["containers"] = images
        .iter()
        .enumerate()
        .map(|(i, image)| json!({"name": format!("c{i}"), "image": image}))
        .collect();
    review.to_string()
}

fn admit(server: &Server, images: &[String]) -> Value {
    let (status, body) = request(server, "POST", "/validate", &review(images));
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    answer["response"].clone()
}

fn denial(response: &Value) -> String {
    assert_eq!(response["allowed"], false, "{response}");
    response["status"]["message"].as_str().unwrap().to_string()
}

struct Fixture {
    _registries: (assay_testkit::Registry, assay_testkit::Registry),
    dir: tempfile::TempDir,
    host: String,
    promoted: String,
    signed_only: String,
    unsigned: String,
    foreign: String,
    foreign_host: String,
}

fn fixture(test: &str) -> Option<Fixture> {
    let registry = assay_testkit::Registry::start_or_skip(test)?;
    let other = assay_testkit::Registry::start_or_skip(test)?;
    let (host, foreign_host) = (registry.host(), other.host());
    let key = PrivateKey::generate().unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("keys")).unwrap();
    std::fs::write(
        dir.path().join("keys/release.pub"),
        key.public_key().to_pem(),
    )
    .unwrap();

    let promoted = push(&host, "shop/web", "promoted", "promoted");
    sign(&host, "shop/web", &promoted, &key, true);
    let signed_only = push(&host, "shop/web", "signed", "signed");
    sign(&host, "shop/web", &signed_only, &key, false);
    let unsigned = push(&host, "shop/web", "unsigned", "unsigned");
    let foreign = push(&foreign_host, "shop/web", "promoted", "foreign");
    sign(&foreign_host, "shop/web", &foreign, &key, true);
    Some(Fixture {
        promoted: format!("{host}/shop/web@{promoted}"),
        signed_only: format!("{host}/shop/web@{signed_only}"),
        unsigned: format!("{host}/shop/web@{unsigned}"),
        foreign: format!("{foreign_host}/shop/web@{foreign}"),
        _registries: (registry, other),
        dir,
        host,
        foreign_host,
    })
}

fn policy(f: &Fixture, extra: &str) -> String {
    format!(
        "allowed-registries: [\"{}\", \"127.0.0.1:1\"]\ntrusted-keys: [keys/release.pub]\n{extra}",
        f.host
    )
}

#[test]
fn enforce_admits_the_promoted_image_and_denies_the_others_with_their_reasons() {
    let Some(f) = fixture("enforce_admits_the_promoted_image") else {
        return;
    };
    let server = serve(f.dir.path(), &policy(&f, "mode: enforce\n"));

    for path in ["/healthz", "/readyz"] {
        assert_eq!(request(&server, "GET", path, "").0, 200);
    }
    let ok = admit(&server, std::slice::from_ref(&f.promoted));
    assert_eq!(ok["allowed"], true, "{ok}");

    let m = denial(&admit(&server, std::slice::from_ref(&f.signed_only)));
    assert!(m.contains(&f.signed_only), "{m}");
    assert!(m.contains("no assay promotion attestation"), "{m}");
    assert!(!m.contains("not signed"), "{m}");

    let m = denial(&admit(&server, std::slice::from_ref(&f.unsigned)));
    assert!(
        m.contains("not signed by a trusted key (no signatures for"),
        "{m}"
    );
    assert!(
        m.contains("no assay promotion attestation (no attestations for"),
        "{m}"
    );

    let m = denial(&admit(&server, std::slice::from_ref(&f.foreign)));
    assert!(
        m.contains(&format!("registry {} is not allowed", f.foreign_host)),
        "{m}"
    );
    // The foreign image is signed and promoted: the registry is its only failure.
    assert!(!m.contains("not signed") && !m.contains("promotion"), "{m}");

    let tagged = format!("{}/shop/web:promoted", f.host);
    let r = admit(&server, std::slice::from_ref(&tagged));
    assert!(denial(&r).contains("not referenced by digest (tag promoted)"));
    assert!(
        r["warnings"][0]
            .as_str()
            .unwrap()
            .contains("resolved to sha256:"),
        "{r}"
    );

    let down = format!("127.0.0.1:1/shop/web@sha256:{}", "0".repeat(64));
    let m = denial(&admit(&server, &[down]));
    assert!(
        m.contains("could not check the signature: registry unreachable"),
        "{m}"
    );

    // A pod with all four images names every failing one in one denial.
    let m = denial(&admit(
        &server,
        &[
            f.promoted.clone(),
            f.signed_only.clone(),
            f.unsigned.clone(),
            f.foreign.clone(),
        ],
    ));
    assert_eq!(m.matches("image ").count(), 3, "{m}");

    // The server logs each decision after answering: wait for the last line to be read.
    let decisions_logged = || -> Vec<Value> {
        let logs = server.lines.lock().unwrap().clone();
        logs.iter()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|v| v["event"] == "decision")
            .collect()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while decisions_logged().len() < 7 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let decisions = decisions_logged();
    assert_eq!(decisions.len(), 7);
    assert_eq!(decisions[0]["allowed"], true);
    assert!(
        decisions[0]["images"][0]["passes"]
            .to_string()
            .contains("policy golden"),
        "{}",
        decisions[0]
    );
    assert!(decisions.iter().skip(1).all(|d| d["allowed"] == false));
    // The second look at the promoted image came from the cache.
    assert_eq!(decisions[6]["images"][0]["cached"], true);
}

#[test]
fn warn_mode_admits_with_the_reasons_as_warnings() {
    let Some(f) = fixture("warn_mode_admits_with_the_reasons_as_warnings") else {
        return;
    };
    let server = serve(f.dir.path(), &policy(&f, "mode: warn\n"));
    let r = admit(&server, std::slice::from_ref(&f.unsigned));
    assert_eq!(r["allowed"], true, "{r}");
    let warnings = r["warnings"].to_string();
    assert!(
        warnings.contains("not signed by a trusted key"),
        "{warnings}"
    );
    assert!(
        warnings.contains("no assay promotion attestation"),
        "{warnings}"
    );
}

#[test]
fn serve_rejects_bad_policies_and_certificates() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p.yaml"), "mode: enforce\nbogus: 1\n").unwrap();
    let (code, _, stderr) = run(assay()
        .args([
            "admission",
            "serve",
            "--cert",
            "x",
            "--key",
            "y",
            "--policy",
        ])
        .arg(dir.path().join("p.yaml")));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("p.yaml:2: unknown field `bogus`"),
        "{stderr}"
    );

    std::fs::write(dir.path().join("k.pub"), "not a key").unwrap();
    std::fs::write(dir.path().join("p.yaml"), "trusted-keys: [k.pub]\n").unwrap();
    std::fs::write(dir.path().join("tls.crt"), "nope").unwrap();
    let (code, _, stderr) = run(assay()
        .args(["admission", "serve", "--listen", "127.0.0.1:0", "--policy"])
        .arg(dir.path().join("p.yaml"))
        .arg("--cert")
        .arg(dir.path().join("tls.crt"))
        .arg("--key")
        .arg(dir.path().join("tls.crt")));
    assert_eq!(code, 2);
    assert!(stderr.contains("k.pub"), "{stderr}");
}

fn yaml_documents(text: &str) -> Vec<Value> {
    use serde::Deserialize;
    yaml_serde::Deserializer::from_str(text)
        .map(|d| Value::deserialize(d).unwrap())
        .collect()
}

#[test]
fn manifests_and_exports_are_generated_from_the_policy() {
    let dir = tempfile::tempdir().unwrap();
    let key = PrivateKey::generate().unwrap();
    std::fs::write(dir.path().join("release.pub"), key.public_key().to_pem()).unwrap();
    std::fs::write(
        dir.path().join("policy.yaml"),
        "name: golden\nallowed-registries: [registry.example.com/prod]\ntrusted-keys: [release.pub]\n",
    )
    .unwrap();
    let ca = rcgen::generate_simple_self_signed(vec!["golden.assay-system.svc".into()]).unwrap();
    std::fs::write(dir.path().join("ca.crt"), ca.cert.pem()).unwrap();
    let (code, stdout, stderr) = run(assay()
        .args([
            "admission",
            "manifests",
            "--image",
            "registry.example.com/tools/assay@sha256:abc",
            "--policy",
        ])
        .arg(dir.path().join("policy.yaml"))
        .arg("--ca-file")
        .arg(dir.path().join("ca.crt")));
    assert_eq!(code, 0, "{stderr}");
    let docs = yaml_documents(&stdout);
    let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "Namespace",
            "ServiceAccount",
            "ConfigMap",
            "Deployment",
            "Service",
            "ValidatingWebhookConfiguration"
        ]
    );
    let hook = &docs[5]["webhooks"][0];
    assert_eq!(hook["clientConfig"]["service"]["name"], "golden");
    assert_eq!(docs[4]["metadata"]["name"], "golden");
    use base64::Engine;
    let bundle = base64::engine::general_purpose::STANDARD
        .decode(hook["clientConfig"]["caBundle"].as_str().unwrap())
        .unwrap();
    assert_eq!(bundle, ca.cert.pem().as_bytes());

    for (flag, kind) in [
        ("--kyverno", "ClusterPolicy"),
        ("--policy-controller", "ClusterImagePolicy"),
    ] {
        let (code, stdout, stderr) = run(assay()
            .args(["admission", "export", flag, "--policy"])
            .arg(dir.path().join("policy.yaml")));
        assert_eq!(code, 0, "{stderr}");
        let docs = yaml_documents(&stdout);
        assert_eq!(docs[0]["kind"], kind);
        assert_eq!(docs[0]["metadata"]["name"], "golden");
        assert!(stdout.contains(PROMOTION), "{stdout}");
    }
    let (code, _, _) = run(assay()
        .args(["admission", "export", "--policy"])
        .arg(dir.path().join("policy.yaml")));
    assert_eq!(
        code, 2,
        "one of --kyverno or --policy-controller is required"
    );
}

/// Benchmark (run with `cargo test -p assay --release --test admission -- --ignored --nocapture`):
/// decisions per second and p99 latency for a 5-container pod, cold (every image a new
/// digest, so every check goes to the registry) and warm (cached).
#[test]
#[ignore = "benchmark"]
#[allow(clippy::print_stdout)]
fn benchmark_decisions() {
    let Some(f) = fixture("benchmark_decisions") else {
        return;
    };
    let key = PrivateKey::generate().unwrap();
    std::fs::write(
        f.dir.path().join("keys/release.pub"),
        key.public_key().to_pem(),
    )
    .unwrap();
    let mut pods = Vec::new();
    for p in 0..20 {
        let mut images = Vec::new();
        for c in 0..5 {
            let d = push(
                &f.host,
                "bench/app",
                &format!("p{p}c{c}"),
                &format!("{p}-{c}"),
            );
            sign(&f.host, "bench/app", &d, &key, true);
            images.push(format!("{}/bench/app@{d}", f.host));
        }
        pods.push(images);
    }
    let server = serve(f.dir.path(), &policy(&f, ""));
    let measure = |label: &str, rounds: usize| {
        let mut times = Vec::new();
        let start = Instant::now();
        for _ in 0..rounds {
            for images in &pods {
                let t = Instant::now();
                let r = admit(&server, images);
                times.push(t.elapsed());
                assert_eq!(r["allowed"], true, "{r}");
            }
        }
        let total = start.elapsed();
        times.sort();
        let p99 = times[(times.len() * 99 / 100).min(times.len() - 1)];
        let p50 = times[times.len() / 2];
        println!(
            "{label}: {} decisions (5-container pods) in {:.2?}: {:.0}/s, p50 {:.2?}, p99 {:.2?}",
            times.len(),
            total,
            times.len() as f64 / total.as_secs_f64(),
            p50,
            p99
        );
    };
    measure("cold", 1);
    measure("warm", 25);
}

/// `assay scan --k8s-pods`: each distinct running image scanned once, with its golden base
/// image and ASSAY-RUN-001 for the ones that were not promoted.
#[test]
fn k8s_pods_inventory_reports_base_image_and_promotion_per_digest() {
    let Some(registry) = assay_testkit::Registry::start_or_skip("k8s_pods_inventory") else {
        return;
    };
    let host = registry.host();
    let key = PrivateKey::generate().unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("release.pub"), key.public_key().to_pem()).unwrap();
    let base_layer = || LayerSpec::new().file("etc/os-release", "ID=golden\n");
    let base = ImageSpec::new().layer(base_layer()).build();
    Pusher::new(&host).push_image("base/golden", "1", &base);
    let base_digest = base.manifest.digest.clone();
    let app = ImageSpec::new()
        .layer(base_layer())
        .layer(LayerSpec::new().file("app/web", "web"))
        .build();
    Pusher::new(&host).push_image("shop/web", "1", &app);
    let app_digest = app.manifest.digest.clone();
    sign(&host, "shop/web", &app_digest, &key, true);
    let other = push(&host, "shop/worker", "1", "worker");
    std::fs::write(
        dir.path().join("assay.yaml"),
        format!("golden-images: [\"{host}/base/golden@{base_digest}\"]\n"),
    )
    .unwrap();
    let status = |name: &str, id: String| json!({"name": name, "imageID": id});
    let pods = json!({"apiVersion": "v1", "kind": "List", "items": [
        {"kind": "Pod", "metadata": {"name": "web-1", "namespace": "shop"},
         "spec": {"containers": [{"name": "app", "image": format!("{host}/shop/web:1")}]},
         "status": {"containerStatuses": [status("app", format!("{host}/shop/web@{app_digest}"))]}},
        {"kind": "Pod", "metadata": {"name": "web-2", "namespace": "shop"},
         "spec": {"containers": [{"name": "app", "image": format!("{host}/shop/web:1")}],
                  "initContainers": [{"name": "init", "image": format!("{host}/base/golden:1")}]},
         "status": {"containerStatuses": [status("app", format!("docker-pullable://{host}/shop/web@{app_digest}"))],
                    "initContainerStatuses": [status("init", format!("{host}/base/golden@{base_digest}"))]}},
        {"kind": "Pod", "metadata": {"name": "worker", "namespace": "jobs"},
         "spec": {"containers": [{"name": "run", "image": format!("{host}/shop/worker@{other}")}]}}
    ]});
    std::fs::write(dir.path().join("pods.json"), pods.to_string()).unwrap();
    let (code, stdout, stderr) = run(common::assay_in(dir.path()).args([
        "scan",
        "--k8s-pods",
        "pods.json",
        "--promotion-key",
        "release.pub",
        // No vulnerability database in this test: secrets are the image findings here.
        "--scanners",
        "secret",
        "--format",
        "json",
    ]));
    assert_eq!(code, 1, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let targets = report["targets"].as_array().unwrap();
    assert_eq!(
        targets.len(),
        3,
        "one target per distinct digest: {targets:?}"
    );
    let web = targets
        .iter()
        .find(|t| t["name"] == format!("{host}/shop/web@{app_digest}"))
        .unwrap();
    assert_eq!(web["kind"], "image");
    assert_eq!(
        web["base_image"]["name"],
        format!("{host}/base/golden@{base_digest}")
    );
    let worker = targets
        .iter()
        .find(|t| t["name"] == format!("{host}/shop/worker@{other}"))
        .unwrap();
    assert!(worker["base_image"]["name"].is_null(), "{worker}");
    let not_promoted: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "ASSAY-RUN-001")
        .map(|f| f["target"].as_str().unwrap())
        .collect();
    let worker_ref = format!("{host}/shop/worker@{other}");
    let base_ref = format!("{host}/base/golden@{base_digest}");
    assert_eq!(not_promoted.len(), 2, "{not_promoted:?}");
    assert!(not_promoted.contains(&worker_ref.as_str()));
    assert!(not_promoted.contains(&base_ref.as_str()));
    let worker_finding = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["target"] == worker_ref.as_str())
        .unwrap();
    assert_eq!(worker_finding["resource"], "jobs/worker (containers/run)");

    let (code, _, stderr) =
        run(common::assay_in(dir.path()).args(["scan", "--k8s-pods", "assay.yaml"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("assay.yaml:1: "), "{stderr}");
}
