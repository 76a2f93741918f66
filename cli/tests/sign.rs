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

#[test]
fn sign_and_verify_against_a_registry_with_referrers() {
    let Some(registry) =
        assay_testkit::Registry::start_or_skip("cli_sign_and_verify_against_a_registry")
    else {
        return;
    };
    let host = registry.host();
    let image = ImageSpec::new()
        .layer(LayerSpec::new().file("app", "x"))
        .build();
    Pusher::new(&host).push_image("team/app", "1.0", &image);
    let dir = tempfile::tempdir().unwrap();
    let by_digest = format!("{host}/team/app@{}", image.manifest.digest);
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
