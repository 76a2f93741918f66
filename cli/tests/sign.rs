//! `assay key`, `sign`, `verify`, `sign-blob`, `verify-blob`, `attest`, `verify-attestation`
//! and `tree`: round trips on OCI layouts and a real registry, and each bad input with its
//! own message and exit code (2 input, 4 verification failed).
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use assay_oci::testing::{ImageSpec, LayerSpec, LayoutBuilder, Pusher};
use common::{assay_in, repo_root, run};

const PASSWORD: &str = "assay-demo";

fn keys() -> std::path::PathBuf {
    repo_root().join("fixtures/keys")
}

fn layout(dir: &Path) {
    LayoutBuilder::new()
        .image(
            Some("1.0"),
            ImageSpec::new().layer(LayerSpec::new().file("etc/app", "1")),
        )
        .image(
            Some("2.0"),
            ImageSpec::new().layer(LayerSpec::new().file("etc/app", "2")),
        )
        .write(&dir.join("layout"));
}

fn assay(dir: &Path) -> assert_cmd::Command {
    let mut cmd = assay_in(dir);
    cmd.env("ASSAY_PASSWORD", PASSWORD);
    cmd
}

#[test]
fn demo_keys_match_their_password_and_public_halves() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        std::fs::read_to_string(keys().join("PASSWORD"))
            .unwrap()
            .trim(),
        PASSWORD
    );
    for name in ["build", "release-manager-1", "release-manager-2"] {
        let (code, stdout, stderr) = run(assay(dir.path())
            .args(["key", "public", "--key"])
            .arg(keys().join(format!("{name}.key"))));
        assert_eq!(code, 0, "{stderr}");
        let public = std::fs::read_to_string(keys().join(format!("{name}.pub"))).unwrap();
        assert_eq!(
            stdout, public,
            "{name}.pub is the public half of {name}.key"
        );
        assert!(stderr.starts_with("fingerprint: sha256:"), "{stderr}");
        let key = std::fs::read_to_string(keys().join(format!("{name}.key"))).unwrap();
        assert!(key.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"));
    }
}

#[test]
fn key_generate_writes_a_cosign_pair_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) =
        run(assay(dir.path()).args(["key", "generate", "--output-key-prefix", "ci"]));
    assert_eq!(code, 0, "{stderr}");
    let key = std::fs::read_to_string(dir.path().join("ci.key")).unwrap();
    assert!(key.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"));
    assert!(key.ends_with("-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n"));
    assert!(key.lines().all(|l| l.len() <= 64));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("ci.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let public = std::fs::read_to_string(dir.path().join("ci.pub")).unwrap();
    assert!(public.starts_with("-----BEGIN PUBLIC KEY-----\n"));

    let (code, _, stderr) =
        run(assay(dir.path()).args(["key", "generate", "--output-key-prefix", "ci"]));
    assert_eq!(code, 2);
    assert_eq!(
        stderr,
        "assay: ci.key: already exists (use --force to replace it)\n"
    );

    // No password and no terminal: an input error, not a hang.
    let (code, _, stderr) =
        run(assay_in(dir.path()).args(["key", "generate", "--output-key-prefix", "x"]));
    assert_eq!(code, 2);
    assert_eq!(
        stderr,
        "assay: no password: set ASSAY_PASSWORD (no terminal to prompt on)\n"
    );
}

#[test]
fn sign_blob_and_verify_blob_round_trip_and_fail_each_way() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("release.tar"), b"release bytes").unwrap();
    std::fs::write(dir.path().join("other.tar"), b"other bytes").unwrap();
    let (code, sig, stderr) = run(assay(dir.path())
        .args(["sign-blob", "release.tar", "--key"])
        .arg(keys().join("build.key")));
    assert_eq!(code, 0, "{stderr}");
    std::fs::write(dir.path().join("release.sig"), &sig).unwrap();

    let verify = |file: &str, key: &str, sig: &str| {
        run(assay(dir.path())
            .args(["verify-blob", file, "--signature", sig, "--key"])
            .arg(keys().join(key)))
    };
    let (code, _, stderr) = verify("release.tar", "build.pub", "release.sig");
    assert_eq!((code, stderr.as_str()), (0, "Verified OK\n"));
    // The signature may be given as the base64 text itself.
    let (code, _, _) = verify("release.tar", "build.pub", sig.trim());
    assert_eq!(code, 0);

    let (code, _, stderr) = verify("release.tar", "release-manager-1.pub", "release.sig");
    assert_eq!(code, 4, "wrong key");
    assert!(
        stderr.starts_with("assay: signature does not verify with key sha256:"),
        "{stderr}"
    );
    let (code, _, _) = verify("other.tar", "build.pub", "release.sig");
    assert_eq!(code, 4, "tampered file");
    let (code, _, stderr) = verify("release.tar", "build.pub", "this@is@a@signature");
    assert_eq!(code, 2, "not base64");
    assert!(
        stderr.starts_with("assay: signature: not base64"),
        "{stderr}"
    );
}

#[test]
fn reads_rsa_and_sec1_keys_and_refuses_unsupported_types() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f"), b"data").unwrap();
    for key in ["rsa-pkcs1.key", "ec-sec1.key"] {
        let (code, public, stderr) = run(assay(dir.path())
            .args(["key", "public", "--key"])
            .arg(keys().join(key)));
        assert_eq!(code, 0, "{key}: {stderr}");
        std::fs::write(dir.path().join("k.pub"), public).unwrap();
        let (code, sig, _) = run(assay(dir.path())
            .args(["sign-blob", "f", "--key"])
            .arg(keys().join(key)));
        assert_eq!(code, 0);
        std::fs::write(dir.path().join("f.sig"), sig).unwrap();
        let (code, _, stderr) = run(assay(dir.path()).args([
            "verify-blob",
            "f",
            "--key",
            "k.pub",
            "--signature",
            "f.sig",
        ]));
        assert_eq!(code, 0, "{key}: {stderr}");
    }
    let ed = keys().join("ed25519.key");
    let (code, _, stderr) = run(assay(dir.path()).args(["sign-blob", "f", "--key"]).arg(&ed));
    assert_eq!(code, 2);
    assert_eq!(
        stderr,
        format!(
            "assay: {}: unsupported key type ed25519 (assay signs with ECDSA P-256 or RSA keys)\n",
            ed.display()
        )
    );
}

#[test]
fn wrong_key_password_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f"), b"data").unwrap();
    let key = keys().join("build.key");
    let (code, _, stderr) = run(assay(dir.path())
        .env("ASSAY_PASSWORD", "not-the-password")
        .args(["sign-blob", "f", "--key"])
        .arg(&key));
    assert_eq!(code, 2);
    assert_eq!(
        stderr,
        format!(
            "assay: {}: wrong password for the encrypted private key\n",
            key.display()
        )
    );
}

#[test]
fn sign_verify_attest_and_tree_on_a_layout() {
    let dir = tempfile::tempdir().unwrap();
    layout(dir.path());
    let build = keys().join("build.key");
    let (code, _, stderr) = run(assay(dir.path())
        .args(["sign", "oci:layout:1.0", "-a", "ci=github", "--key"])
        .arg(&build));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("warning: oci:layout:1.0 names a tag; signing its digest sha256:"),
        "{stderr}"
    );

    let verify = |image: &str, key: &str, extra: &[&str]| {
        run(assay(dir.path())
            .args(["verify", image])
            .args(extra)
            .arg("--key")
            .arg(keys().join(key)))
    };
    let (code, stdout, stderr) = verify("oci:layout:1.0", "build.pub", &["-a", "ci=github"]);
    assert_eq!(code, 0, "{stderr}");
    let verified: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        verified[0]["payload"]["critical"]["type"],
        "cosign container image signature"
    );
    assert_eq!(verified[0]["payload"]["optional"]["ci"], "github");

    let (code, _, stderr) = verify("oci:layout:1.0", "release-manager-1.pub", &[]);
    assert_eq!(code, 4);
    assert!(
        stderr.starts_with("assay: no signature by key sha256:"),
        "{stderr}"
    );
    let (code, _, stderr) = verify("oci:layout:1.0", "build.pub", &["-a", "ci=gitlab"]);
    assert_eq!(code, 4);
    assert_eq!(
        stderr,
        "assay: signature has annotation ci=github, not ci=gitlab\n"
    );
    let (code, _, stderr) = verify("oci:layout:2.0", "build.pub", &[]);
    assert_eq!(code, 4, "missing .sig tag");
    assert!(
        stderr.starts_with("assay: no signatures for oci:layout:2.0 (sha256:"),
        "{stderr}"
    );
    assert!(
        stderr.contains(".sig and no signature referrers"),
        "{stderr}"
    );

    std::fs::write(
        dir.path().join("sbom.json"),
        br#"{"bomFormat":"CycloneDX","specVersion":"1.6"}"#,
    )
    .unwrap();
    let (code, _, stderr) = run(assay(dir.path())
        .args([
            "attest",
            "oci:layout:1.0",
            "--predicate",
            "sbom.json",
            "--type",
            "cyclonedx",
            "--key",
        ])
        .arg(&build));
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = run(assay(dir.path())
        .args([
            "verify-attestation",
            "oci:layout:1.0",
            "--type",
            "cyclonedx",
            "--output",
            "out.json",
            "--key",
        ])
        .arg(keys().join("build.pub")));
    assert_eq!(code, 0, "{stderr}");
    let predicate: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out.json")).unwrap()).unwrap();
    assert_eq!(predicate["bomFormat"], "CycloneDX");
    let (code, stdout, _) = run(assay(dir.path())
        .args(["verify-attestation", "oci:layout:1.0", "--key"])
        .arg(keys().join("build.pub")));
    assert_eq!(code, 0);
    let statements: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(statements[0]["predicateType"], "https://cyclonedx.org/bom");
    assert_eq!(statements[0]["_type"], "https://in-toto.io/Statement/v1");
    let (code, _, stderr) = run(assay(dir.path())
        .args([
            "verify-attestation",
            "oci:layout:1.0",
            "--type",
            "slsaprovenance",
            "--key",
        ])
        .arg(keys().join("build.pub")));
    assert_eq!(code, 4);
    assert!(
        stderr.starts_with("assay: no attestation of type https://slsa.dev/provenance/v0.2"),
        "{stderr}"
    );
    let (code, _, stderr) = run(assay(dir.path())
        .args([
            "attest",
            "oci:layout:1.0",
            "--predicate",
            "sbom.json",
            "--type",
            "nonsense",
            "--key",
        ])
        .arg(&build));
    assert_eq!(code, 2);
    assert!(
        stderr.starts_with("assay: --type nonsense: not a known predicate type"),
        "{stderr}"
    );

    let (code, stdout, _) = run(assay(dir.path()).args(["tree", "oci:layout:1.0"]));
    assert_eq!(code, 0);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].starts_with("Supply chain artifacts for oci:layout@sha256:"),
        "{stdout}"
    );
    assert!(
        lines[1].starts_with("├── attestations: oci:layout:sha256-"),
        "{stdout}"
    );
    assert!(
        lines[2].ends_with("(https://cyclonedx.org/bom)"),
        "{stdout}"
    );
    assert!(lines[3].starts_with("└── signatures: "), "{stdout}");
    assert_eq!(lines.len(), 5, "{stdout}");

    // The layout is still an image to the other commands.
    let (code, _, stderr) = run(assay(dir.path()).args(["sbom", "oci:layout:1.0"]));
    assert_eq!(code, 0, "{stderr}");
}

/// A test registry holding one generated image as `team/app:1.0`; `None` (skipped) without
/// docker-registry outside CI.
fn registry_with_image(
    test: &str,
    content: &str,
) -> Option<(assay_testkit::Registry, String, assay_oci::Digest)> {
    let registry = assay_testkit::Registry::start_or_skip(test)?;
    let host = registry.host();
    let image = ImageSpec::new()
        .layer(LayerSpec::new().file("app", content))
        .build();
    Pusher::new(&host).push_image("team/app", "1.0", &image);
    Some((registry, host, image.manifest.digest))
}

#[test]
fn sign_and_verify_against_a_registry_with_referrers() {
    let Some((_registry, host, digest)) =
        registry_with_image("cli_sign_and_verify_against_a_registry", "x")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let by_digest = format!("{host}/team/app@{digest}");
    for extra in [&[][..], &["--registry-referrers"][..]] {
        let (code, _, stderr) = run(assay(dir.path())
            .args(["sign", &by_digest])
            .args(extra)
            .arg("--key")
            .arg(keys().join("build.key")));
        assert_eq!(code, 0, "{stderr}");
        assert!(
            !stderr.contains("warning"),
            "signing a digest does not warn: {stderr}"
        );
    }
    let (code, stdout, stderr) = run(assay(dir.path())
        .args(["verify", &format!("{host}/team/app:1.0"), "--key"])
        .arg(keys().join("build.pub")));
    assert_eq!(code, 0, "{stderr}");
    let verified: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        verified.as_array().unwrap().len(),
        2,
        "tag and referrer signatures"
    );
    let (code, stdout, _) = run(assay(dir.path()).args(["tree", &by_digest, "--format", "json"]));
    assert_eq!(code, 0);
    let tree: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let kinds: Vec<&str> = tree["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "signatures",
            "application/vnd.dev.cosign.artifact.sig.v1+json"
        ]
    );

    let (code, _, stderr) = run(assay(dir.path())
        .args(["verify", &format!("{host}/team/absent:1.0"), "--key"])
        .arg(keys().join("build.pub")));
    assert_eq!(code, 3, "registry error: {stderr}");
}

/// The manifest `index.json` of the layout in `dir` tags `tag` with.
fn tagged(dir: &Path, tag: &str) -> serde_json::Value {
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("layout/index.json")).unwrap()).unwrap();
    index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["annotations"]["org.opencontainers.image.ref.name"] == tag)
        .unwrap_or_else(|| panic!("no tag {tag}"))
        .clone()
}

fn blob_path(dir: &Path, digest: &str) -> std::path::PathBuf {
    dir.join("layout/blobs/sha256")
        .join(digest.strip_prefix("sha256:").unwrap())
}

#[test]
fn tampered_payload_and_a_signature_for_another_digest_each_fail_with_their_reason() {
    let dir = tempfile::tempdir().unwrap();
    layout(dir.path());
    let (code, _, stderr) = run(assay(dir.path())
        .args(["sign", "oci:layout:1.0", "--key"])
        .arg(keys().join("build.key")));
    assert_eq!(code, 0, "{stderr}");
    let one = tagged(dir.path(), "1.0")["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let two = tagged(dir.path(), "2.0")["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let sig_tag = |digest: &str| format!("{}.sig", digest.replace(':', "-"));
    let verify = |image: &str| {
        run(assay(dir.path())
            .args(["verify", image, "--key"])
            .arg(keys().join("build.pub")))
    };

    // 1.0's signature manifest tagged as 2.0's: the signed payload names 1.0's digest.
    let mut entry = tagged(dir.path(), &sig_tag(&one));
    entry["annotations"]["org.opencontainers.image.ref.name"] = sig_tag(&two).into();
    let index_path = dir.path().join("layout/index.json");
    let mut index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&index_path).unwrap()).unwrap();
    index["manifests"].as_array_mut().unwrap().push(entry);
    std::fs::write(&index_path, index.to_string()).unwrap();
    let (code, _, stderr) = verify("oci:layout:2.0");
    assert_eq!(code, 4, "{stderr}");
    assert_eq!(
        stderr,
        format!("assay: signature is for another digest: signed {one}, image is {two}\n")
    );

    // The payload blob altered after signing.
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(blob_path(
            dir.path(),
            tagged(dir.path(), &sig_tag(&one))["digest"]
                .as_str()
                .unwrap(),
        ))
        .unwrap(),
    )
    .unwrap();
    let payload_path = blob_path(
        dir.path(),
        manifest["layers"][0]["digest"].as_str().unwrap(),
    );
    let payload = std::fs::read_to_string(&payload_path).unwrap();
    std::fs::write(&payload_path, payload.replace(&one, &two)).unwrap();
    let (code, _, stderr) = verify("oci:layout:1.0");
    assert_eq!(code, 4, "{stderr}");
    assert!(stderr.starts_with("assay: "), "{stderr}");
    assert!(
        stderr.trim_end().ends_with("tampered or corrupt"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn registry_signatures_and_attestations_have_cosigns_layout_and_round_trip() {
    let Some((_registry, host, digest)) =
        registry_with_image("cli_signatures_have_cosigns_layout", "layout")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let reference = format!("{host}/team/app@{digest}");
    let (code, _, stderr) = run(assay(dir.path())
        .args(["sign", &reference, "-a", "ci=github", "--key"])
        .arg(keys().join("build.key")));
    assert_eq!(code, 0, "{stderr}");
    std::fs::write(
        dir.path().join("vuln.json"),
        br#"{"scanner":{"uri":"assay"}}"#,
    )
    .unwrap();
    let (code, _, stderr) = run(assay(dir.path())
        .args([
            "attest",
            &reference,
            "--predicate",
            "vuln.json",
            "--type",
            "vuln",
            "--key",
        ])
        .arg(keys().join("build.key")));
    assert_eq!(code, 0, "{stderr}");

    let store = assay_sign::Location::parse(&reference)
        .unwrap()
        .open(&assay_oci::RemoteOptions {
            plain_http: vec![host.clone()],
            ..assay_oci::RemoteOptions::default()
        })
        .unwrap();
    let blob = |d: &str| {
        store
            .blob(&assay_oci::Digest::parse(d).unwrap(), 1 << 20)
            .unwrap()
    };
    // The tag cosign looks under: sha256-<hex>.sig.
    let sig = store
        .manifest_by_tag(&format!("sha256-{}.sig", digest.hex()))
        .unwrap()
        .expect("sha256-<hex>.sig is tagged");
    let manifest: serde_json::Value = serde_json::from_slice(&sig).unwrap();
    let layer = &manifest["layers"][0];
    let payload = blob(layer["digest"].as_str().unwrap());
    assert_eq!(
        String::from_utf8(payload.clone()).unwrap(),
        format!(
            r#"{{"critical":{{"identity":{{"docker-reference":"{host}/team/app"}},"image":{{"docker-manifest-digest":"{digest}"}},"type":"cosign container image signature"}},"optional":{{"ci":"github"}}}}"#
        )
    );
    let signature = layer["annotations"]["dev.cosignproject.cosign/signature"]
        .as_str()
        .unwrap();
    let config = blob(manifest["config"]["digest"].as_str().unwrap());
    assert_eq!(
        String::from_utf8(config.clone()).unwrap(),
        format!(
            r#"{{"architecture":"","created":"0001-01-01T00:00:00Z","history":[{{"created":"0001-01-01T00:00:00Z"}}],"os":"","rootfs":{{"type":"layers","diff_ids":["{}"]}},"config":{{}}}}"#,
            assay_oci::Digest::sha256_of(&payload)
        )
    );
    assert_eq!(
        String::from_utf8(sig).unwrap(),
        format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","size":{},"digest":"{}"}},"layers":[{{"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json","size":{},"digest":"{}","annotations":{{"dev.cosignproject.cosign/signature":"{signature}"}}}}]}}"#,
            config.len(),
            assay_oci::Digest::sha256_of(&config),
            payload.len(),
            assay_oci::Digest::sha256_of(&payload)
        )
    );
    // The signature is base64 of an ASN.1 DER ECDSA signature over the payload bytes.
    use base64::Engine;
    let der = base64::engine::general_purpose::STANDARD
        .decode(signature)
        .unwrap();
    assert_eq!(der[0], 0x30, "ASN.1 SEQUENCE");
    let public = assay_sign::PublicKey::from_pem(
        &std::fs::read(keys().join("build.pub")).unwrap(),
        "build.pub",
    )
    .unwrap();
    public.verify(&payload, &der).unwrap();

    // Attestations: tag sha256-<hex>.att, a DSSE layer with the empty signature annotation
    // and the predicate type, the in-toto statement about the digest inside.
    let att = store
        .manifest_by_tag(&format!("sha256-{}.att", digest.hex()))
        .unwrap()
        .expect("sha256-<hex>.att is tagged");
    let manifest: serde_json::Value = serde_json::from_slice(&att).unwrap();
    assert_eq!(
        manifest["mediaType"],
        "application/vnd.oci.image.manifest.v1+json"
    );
    let layer = &manifest["layers"][0];
    assert_eq!(layer["mediaType"], "application/vnd.dsse.envelope.v1+json");
    assert_eq!(
        layer["annotations"],
        serde_json::json!({
            "dev.cosignproject.cosign/signature": "",
            "predicateType": "https://cosign.sigstore.dev/attestation/vuln/v1",
        })
    );
    let envelope: serde_json::Value =
        serde_json::from_slice(&blob(layer["digest"].as_str().unwrap())).unwrap();
    assert_eq!(envelope["payloadType"], "application/vnd.in-toto+json");
    let statement: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::STANDARD
            .decode(envelope["payload"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(statement["_type"], "https://in-toto.io/Statement/v1");
    assert_eq!(statement["subject"][0]["digest"]["sha256"], digest.hex());

    // And back: verify and verify-attestation by tag, the round trip on the registry.
    let tagged = format!("{host}/team/app:1.0");
    let (code, stdout, stderr) = run(assay(dir.path())
        .args(["verify", &tagged, "-a", "ci=github", "--key"])
        .arg(keys().join("build.pub")));
    assert_eq!(code, 0, "{stderr}");
    let verified: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        verified[0]["payload"]["critical"]["image"]["docker-manifest-digest"],
        digest.to_string()
    );
    let (code, _, stderr) = run(assay(dir.path())
        .args([
            "verify-attestation",
            &tagged,
            "--type",
            "vuln",
            "--output",
            "vuln.out.json",
            "--key",
        ])
        .arg(keys().join("build.pub")));
    assert_eq!(code, 0, "{stderr}");
    let predicate: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("vuln.out.json")).unwrap()).unwrap();
    assert_eq!(predicate["scanner"]["uri"], "assay");

    // A payload replaced in the registry (new blob, manifest re-pushed with the old
    // signature): the signature no longer verifies with the key, exit 4.
    let sig_tag = format!("sha256-{}.sig", digest.hex());
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&store.manifest_by_tag(&sig_tag).unwrap().unwrap()).unwrap();
    let forged = String::from_utf8(payload)
        .unwrap()
        .replace("\"ci\":\"github\"", "\"ci\":\"gitlab\"");
    let forged_digest = store.put_blob(forged.as_bytes()).unwrap();
    manifest["layers"][0]["digest"] = forged_digest.to_string().into();
    manifest["layers"][0]["size"] = forged.len().into();
    store
        .put_manifest(
            manifest.to_string().as_bytes(),
            "application/vnd.oci.image.manifest.v1+json",
            Some(&sig_tag),
        )
        .unwrap();
    let (code, _, stderr) = run(assay(dir.path())
        .args(["verify", &tagged, "--key"])
        .arg(keys().join("build.pub")));
    assert_eq!(code, 4, "{stderr}");
    assert!(
        stderr.starts_with("assay: no signature by key sha256:")
            && stderr.ends_with(&format!(" among 1 signature(s) of {digest}\n")),
        "{stderr}"
    );
}

#[test]
fn sbom_and_scan_attest_their_results_on_the_image() {
    let dir = tempfile::tempdir().unwrap();
    layout(dir.path());
    let build = keys().join("build.key");
    let verify = |kind: &str| {
        run(assay(dir.path())
            .args([
                "verify-attestation",
                "oci:layout:1.0",
                "--type",
                kind,
                "--key",
            ])
            .arg(keys().join("build.pub")))
    };
    // Nothing attested yet.
    let (code, _, stderr) = verify("cyclonedx");
    assert_eq!(code, 4, "{stderr}");
    assert!(stderr.starts_with("assay: no attestations for"), "{stderr}");

    let (code, sbom, stderr) = run(assay(dir.path())
        .args(["sbom", "oci:layout:1.0", "--attest", "--key"])
        .arg(&build));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("attestation for sha256:"), "{stderr}");
    let (code, stdout, stderr) = verify("cyclonedx");
    assert_eq!(code, 0, "{stderr}");
    let statements: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let printed: serde_json::Value = serde_json::from_str(&sbom).unwrap();
    assert_eq!(
        statements[0]["predicate"], printed,
        "the SBOM printed is attested"
    );

    let (code, _, stderr) = run(assay(dir.path())
        .args([
            "scan",
            "oci:layout:1.0",
            "--scanners",
            "secret",
            "--format",
            "json",
            "--attest",
            "--key",
        ])
        .arg(&build));
    assert_eq!(code, 0, "{stderr}");
    let (code, stdout, stderr) = verify("vuln");
    assert_eq!(code, 0, "{stderr}");
    let statements: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let predicate = &statements[0]["predicate"];
    assert_eq!(
        statements[0]["predicateType"],
        "https://cosign.sigstore.dev/attestation/vuln/v1"
    );
    assert_eq!(predicate["scanner"]["result"]["findings"], 0, "{predicate}");
    assert!(predicate["metadata"]["scanFinishedOn"].is_string());

    // Only images and JSON SBOMs can be attested: input errors.
    std::fs::create_dir(dir.path().join("src")).unwrap();
    let (code, _, stderr) = run(assay(dir.path())
        .args(["sbom", "src", "--attest", "--key"])
        .arg(&build));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("--attest needs an image target"),
        "{stderr}"
    );
    let (code, _, stderr) = run(assay(dir.path())
        .args([
            "sbom",
            "oci:layout:1.0",
            "--format",
            "spdx-tag-value",
            "--attest",
            "--key",
        ])
        .arg(&build));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--attest needs a JSON SBOM"), "{stderr}");
}

/// The committed keyless vector of crates/assay-sign/tests/vectors (made by its
/// make-keyless.py with the test Fulcio root and Rekor key of fixtures/keys/keyless).
#[test]
fn verify_blob_checks_a_keyless_signature_offline() {
    let dir = tempfile::tempdir().unwrap();
    let vectors = repo_root().join("crates/assay-sign/tests/vectors");
    let keyless = keys().join("keyless");
    let verify = |payload: &str, extra: &[&str]| {
        run(assay(dir.path())
            .arg("verify-blob")
            .arg(vectors.join(payload))
            .arg("--signature")
            .arg(vectors.join("keyless-payload.sig"))
            .arg("--certificate")
            .arg(keyless.join("leaf.pem"))
            .arg("--bundle")
            .arg(vectors.join("keyless-bundle.json"))
            .arg("--certificate-chain")
            .arg(keyless.join("fulcio-root.pem"))
            .arg("--rekor-public-key")
            .arg(keyless.join("rekor.pub"))
            .args(extra))
    };
    let (code, _, stderr) = verify(
        "payload.json",
        &[
            "--certificate-identity",
            "test@example.com",
            "--certificate-oidc-issuer",
            "https://issuer.example",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stderr,
        "assay: signed by test@example.com (Rekor log index 7)\nVerified OK\n"
    );
    for (extra, message) in [
        (
            &["--certificate-identity", "eve@example.com"][..],
            "certificate identity is test@example.com, not eve@example.com",
        ),
        (
            &["--certificate-oidc-issuer", "https://other.example"][..],
            "certificate issuer is https://issuer.example, not https://other.example",
        ),
    ] {
        let (code, _, stderr) = verify("payload.json", extra);
        assert_eq!(
            (code, stderr.as_str()),
            (4, format!("assay: {message}\n").as_str())
        );
    }
    // Another payload under the same signature and bundle.
    let (code, _, stderr) = verify("ec-sec1.pub", &[]);
    assert_eq!(code, 4);
    assert_eq!(
        stderr,
        "assay: signature does not verify with the certificate's key\n"
    );
    // Keyless flags without the bundle: bad input.
    let (code, _, stderr) = run(assay(dir.path())
        .arg("verify-blob")
        .arg(vectors.join("payload.json"))
        .arg("--signature")
        .arg(vectors.join("keyless-payload.sig"))
        .arg("--certificate-chain")
        .arg(keyless.join("fulcio-root.pem"))
        .arg("--rekor-public-key")
        .arg(keyless.join("rekor.pub")));
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(
        stderr,
        "assay: keyless verification needs --certificate and --bundle\n"
    );
}
