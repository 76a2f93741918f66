//! Where images and their packages come from: registry credentials (assay's variables,
//! docker's config.json and credential helpers) against a real registry with basic auth,
//! golden base images, SBOMs as scan input, and progress output.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};

use assay_oci::testing::{ImageSpec, LayerSpec, LayoutBuilder};
use common::{assay, assay_in, run};

const BOOKWORM: &str = "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n";
/// expat 2.5.0-1 is affected by the fixture advisories (fixed in 2.5.0-1+deb12u1).
const STATUS: &str = "Package: libexpat1\nStatus: install ok installed\nArchitecture: amd64\nSource: expat\nVersion: 2.5.0-1\nDescription: XML parsing C library\n\n";
const METADATA: &str =
    "Metadata-Version: 2.1\nName: requests\nVersion: 2.28.1\nLicense: Apache 2.0\n\n";

fn base_layer() -> LayerSpec {
    LayerSpec::new()
        .file("etc/os-release", BOOKWORM)
        .file("var/lib/dpkg/status", STATUS)
}

fn app_layer() -> LayerSpec {
    LayerSpec::new().file(
        "usr/lib/python3/dist-packages/requests-2.28.1.dist-info/METADATA",
        METADATA,
    )
}

fn image() -> ImageSpec {
    ImageSpec::new().layer(base_layer()).layer(app_layer())
}

/// A layout holding the app image (`1.0`) and its base image (`base`).
fn layout(dir: &Path) -> PathBuf {
    let path = dir.join("layout");
    LayoutBuilder::new()
        .image(Some("1.0"), image())
        .image(Some("base"), ImageSpec::new().layer(base_layer()))
        .write(&path);
    path
}

fn database(dir: &Path) -> PathBuf {
    let path = dir.join("assay.db");
    let (code, _, stderr) = run(assay()
        .args(["db", "build", "--from", "fixtures/osv", "--output"])
        .arg(&path));
    assert_eq!(code, 0, "{stderr}");
    path
}

fn components(sbom: &str) -> Vec<String> {
    let bom: serde_json::Value = serde_json::from_str(sbom).unwrap();
    let mut purls: Vec<String> = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["purl"].as_str().map(str::to_string))
        .collect();
    purls.sort();
    purls
}

#[cfg(unix)]
fn executable(path: &Path, script: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, script).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[cfg(unix)]
#[test]
fn registry_credentials_come_from_variables_config_and_helpers() {
    let (user, password) = ("ci-bot", "s3cret-pw");
    let Some(registry) =
        assay_testkit::auth::AuthRegistry::start_or_skip("credentials", user, password)
    else {
        return;
    };
    let host = registry.host();
    assay_oci::testing::Pusher::with_basic_auth(&host, user, password).push_image(
        "team/app",
        "1.0",
        &image().build(),
    );
    let reference = format!("{host}/team/app:1.0");
    let dir = tempfile::tempdir().unwrap();
    let layout = layout(dir.path());
    let (_, local, _) = run(assay().args(["sbom", &format!("oci:{}:1.0", layout.display())]));

    // Anonymous: the registry refuses, a network/registry error (exit 3), no secret shown.
    let (code, _, stderr) = run(assay().args(["sbom", &reference]));
    assert_eq!(code, 3, "{stderr}");

    // ASSAY_REGISTRY_USERNAME / _PASSWORD.
    let (code, remote, stderr) = run(assay()
        .env("ASSAY_REGISTRY_USERNAME", user)
        .env("ASSAY_REGISTRY_PASSWORD", password)
        .args(["sbom", &reference]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        components(&remote),
        components(&local),
        "same packages as the layout"
    );

    // A wrong password fails without echoing it.
    let (code, _, stderr) = run(assay()
        .env("ASSAY_REGISTRY_USERNAME", user)
        .env("ASSAY_REGISTRY_PASSWORD", "wrong-pw-123")
        .args(["sbom", &reference]));
    assert_eq!(code, 3, "{stderr}");
    assert!(!stderr.contains("wrong-pw-123"), "{stderr}");

    // docker config.json `auths` (base64 user:password), found through DOCKER_CONFIG.
    let docker = dir.path().join("docker");
    std::fs::create_dir_all(&docker).unwrap();
    let encoded = "Y2ktYm90OnMzY3JldC1wdw=="; // ci-bot:s3cret-pw
    std::fs::write(
        docker.join("config.json"),
        format!(r#"{{"auths":{{"http://{host}/v2/":{{"auth":"{encoded}"}}}}}}"#),
    )
    .unwrap();
    let (code, _, stderr) = run(assay()
        .env("DOCKER_CONFIG", &docker)
        .args(["sbom", &reference]));
    assert_eq!(code, 0, "{stderr}");

    // credHelpers: docker-credential-test on PATH answers for this host only.
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    executable(
        &bin.join("docker-credential-test"),
        &format!(
            "#!/bin/sh\n[ \"$1\" = get ] || exit 2\nread server\n[ \"$server\" = \"{host}\" ] || {{ echo 'credentials not found in native keychain' >&2; exit 1; }}\nprintf '{{\"ServerURL\":\"%s\",\"Username\":\"{user}\",\"Secret\":\"{password}\"}}\\n' \"$server\"\n"
        ),
    );
    std::fs::write(
        docker.join("config.json"),
        format!(r#"{{"credHelpers":{{"{host}":"test"}}}}"#),
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let (code, helped, stderr) = run(assay()
        .env("DOCKER_CONFIG", &docker)
        .env("PATH", &path)
        .args(["sbom", &reference]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(components(&helped), components(&local));

    // credsStore naming a helper that is not installed: an input error naming it.
    std::fs::write(docker.join("config.json"), r#"{"credsStore":"nowhere"}"#).unwrap();
    let (code, _, stderr) = run(assay()
        .env("DOCKER_CONFIG", &docker)
        .args(["sbom", &reference]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("docker-credential-nowhere"), "{stderr}");
}

#[test]
fn golden_images_name_the_base_and_exclude_its_findings() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path());
    let layout = layout(dir.path());
    let target = format!("oci:{}:1.0", layout.display());
    std::fs::write(
        dir.path().join("assay.yaml"),
        format!(
            "golden-images:\n  - oci:{}:base\n  - name: unrelated:1\n    diff-ids: [\"sha256:{}\"]\n",
            layout.display(),
            "0".repeat(64)
        ),
    )
    .unwrap();
    let (code, stdout, stderr) = run(assay_in(dir.path())
        .args(["scan", &target, "-f", "json", "--db"])
        .arg(&db));
    assert_eq!(code, 1, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let base = &report["targets"][0]["base_image"];
    assert_eq!(base["name"], format!("oci:{}:base", layout.display()));
    assert_eq!(base["layers"], 1);
    let ecosystems = |report: &serde_json::Value| -> Vec<String> {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["package"]["ecosystem"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(ecosystems(&report).iter().any(|e| e.starts_with("Debian")));
    // Each image finding says where it came from: the base layer's Debian packages are the
    // base image's, the Python package added on top is the application's.
    for f in report["findings"].as_array().unwrap() {
        let expected = if f["package"]["ecosystem"] == "PyPI" {
            "application"
        } else {
            "base"
        };
        assert_eq!(f["origin"], expected, "{f}");
    }

    let (_, stdout, stderr) = run(assay_in(dir.path())
        .args([
            "scan",
            &target,
            "-f",
            "json",
            "--exclude-base-image",
            "--db",
        ])
        .arg(&db));
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let left = ecosystems(&report);
    assert!(!left.is_empty(), "{stderr}");
    assert!(left.iter().all(|e| e == "PyPI"), "{left:?}");

    let (_, table, _) = run(assay_in(dir.path())
        .args(["scan", &target, "--db"])
        .arg(&db));
    assert!(
        table.contains(&format!(
            "Base image: oci:{}:base (1 layer)",
            layout.display()
        )),
        "{table}"
    );
    assert!(
        table.contains("from: base image") && table.contains("from: application"),
        "{table}"
    );

    // Without golden images, excluding the base image is a usage error.
    let (code, _, stderr) = run(assay()
        .args(["scan", &target, "--exclude-base-image", "--db"])
        .arg(&db));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("golden-images"), "{stderr}");

    // Not built on any: the report says so.
    std::fs::write(
        dir.path().join("assay.yaml"),
        "golden-images:\n  - name: other:1\n    diff-ids: [\"sha256:1111111111111111111111111111111111111111111111111111111111111111\"]\n",
    )
    .unwrap();
    let (_, table, _) = run(assay_in(dir.path())
        .args(["scan", &target, "--db"])
        .arg(&db));
    assert!(
        table.contains("Base image: none of the golden images"),
        "{table}"
    );

    // A bare digest names no repository: an input error naming the entry.
    std::fs::write(
        dir.path().join("assay.yaml"),
        format!("golden-images: [\"sha256:{}\"]\n", "a".repeat(64)),
    )
    .unwrap();
    let (code, _, stderr) = run(assay_in(dir.path())
        .args(["scan", &target, "--db"])
        .arg(&db));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("golden-images"), "{stderr}");
}

#[test]
fn sbom_marks_and_can_drop_base_image_packages() {
    let dir = tempfile::tempdir().unwrap();
    let layout = layout(dir.path());
    let target = format!("oci:{}:1.0", layout.display());
    std::fs::write(
        dir.path().join("assay.yaml"),
        format!("golden-images: [\"oci:{}:base\"]\n", layout.display()),
    )
    .unwrap();
    let (code, full, stderr) = run(assay_in(dir.path()).args(["sbom", &target]));
    assert_eq!(code, 0, "{stderr}");
    let bom: serde_json::Value = serde_json::from_str(&full).unwrap();
    let expat = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "libexpat1")
        .unwrap();
    assert!(
        expat["properties"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "assay:base-image")
    );
    let (code, trimmed, stderr) =
        run(assay_in(dir.path()).args(["sbom", &target, "--exclude-base-image"]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(components(&trimmed), ["pkg:pypi/requests@2.28.1"]);
}

#[test]
fn sboms_scan_like_the_image_they_describe() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path());
    let layout = layout(dir.path());
    let target = format!("oci:{}:1.0", layout.display());
    let ids = |stdout: &str| -> Vec<String> {
        let report: serde_json::Value = serde_json::from_str(stdout).unwrap();
        let mut ids: Vec<String> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule_id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    };
    let (code, image, stderr) = run(assay()
        .args(["scan", &target, "-f", "json", "--db"])
        .arg(&db));
    assert_eq!(code, 1, "{stderr}");
    for (format, file) in [
        ("cyclonedx-json", "image.cdx.json"),
        ("spdx-json", "image.spdx"),
        ("cyclonedx-xml", "image.bom"),
    ] {
        let sbom = dir.path().join(file);
        let (code, _, stderr) = run(assay()
            .args(["sbom", &target, "--format", format, "-o"])
            .arg(&sbom));
        assert_eq!(code, 0, "{stderr}");
        let (code, scanned, stderr) = run(assay()
            .arg("scan")
            .arg(&sbom)
            .args(["-f", "json", "--db"])
            .arg(&db));
        assert_eq!(code, 1, "{format}: {stderr}");
        assert_eq!(ids(&scanned), ids(&image), "{format}");
        let report: serde_json::Value = serde_json::from_str(&scanned).unwrap();
        assert_eq!(report["targets"][0]["kind"], "sbom");
    }
    // A truncated SBOM is an input error naming the file and line.
    let broken = dir.path().join("broken.cdx.json");
    std::fs::write(
        &broken,
        "{\"bomFormat\": \"CycloneDX\",\n\"components\": {}}",
    )
    .unwrap();
    let (code, _, stderr) = run(assay().arg("scan").arg(&broken).arg("--db").arg(&db));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("broken.cdx.json:2"), "{stderr}");
}

#[test]
fn progress_is_silent_by_default_and_lines_without_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let layout = layout(dir.path());
    let target = format!("oci:{}:1.0", layout.display());
    let (code, _, stderr) = run(assay().args(["sbom", &target]));
    assert_eq!(code, 0);
    assert!(stderr.is_empty(), "{stderr}");
    let (code, _, stderr) = run(assay().args(["sbom", &target, "--progress"]));
    assert_eq!(code, 0, "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("assay: reading layer 1/2 sha256:")),
        "{stderr}"
    );
}
