//! `assay scan --scanners secret` on a `dir:` root filesystem, a plain directory, a
//! Dockerfile and an image whose secret was added in one layer and deleted in the next:
//! findings in every report format, values redacted everywhere, allow-lists from assay.yaml.
//!
//! Fake secrets are built here by concatenation so the repository holds no string shaped
//! like a live token.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use assay_oci::testing::{ImageSpec, LayerSpec, LayoutBuilder};
use common::{assay_in, repo_root, run};

fn github_token() -> String {
    ["ghp", "_", "FAKE0123456789abcdefghijklmnopqrstuv"].concat()
}

fn aws_key() -> String {
    ["AK", "IA", "FAKEFAKEFAKE2345"].concat()
}

fn password() -> String {
    ["Fake", "Pass9w0rd"].concat()
}

/// Every clear-text value planted in the fixtures.
fn planted() -> Vec<String> {
    vec![github_token(), aws_key(), password()]
}

fn assert_redacted(output: &str) {
    for value in planted() {
        assert!(
            !output.contains(&value),
            "secret value in output:\n{output}"
        );
    }
}

/// A root filesystem under `dir/rootfs` with a token in an app config, AWS credentials, a
/// shadow hash and a `.env`.
fn rootfs(dir: &Path) {
    let root = dir.join("rootfs");
    for sub in ["app", "root/.aws", "etc"] {
        std::fs::create_dir_all(root.join(sub)).unwrap();
    }
    std::fs::write(
        root.join("app/config.yml"),
        format!("github:\n  token: {}\n", github_token()),
    )
    .unwrap();
    std::fs::write(
        root.join("root/.aws/credentials"),
        format!(
            "[default]\naws_access_key_id = {}\naws_secret_access_key = {}{}\n",
            aws_key(),
            password(),
            "0123456789abcdefghijklmnopqrstu"
        ),
    )
    .unwrap();
    std::fs::write(
        root.join("etc/shadow"),
        "root:*:19000:0:99999:7:::\napp:$6$fakesalt$FAKEHASHfakehash:19000:0:99999:7:::\n",
    )
    .unwrap();
    std::fs::write(
        root.join("app/.env"),
        format!("DATABASE_URL=postgres://app:{}@db:5432/app\n", password()),
    )
    .unwrap();
}

/// An image: layer 0 adds `app/config.yml` with a token, layer 1 deletes it; the config
/// sets a password in `Env`.
fn layout(dir: &Path) {
    let image = ImageSpec::new()
        .env(&format!("DB_PASSWORD={}", password()))
        .layer(LayerSpec::new().file("etc/hostname", "fixture\n").file(
            "app/config.yml",
            format!("github:\n  token: {}\n", github_token()),
        ))
        .layer(LayerSpec::new().whiteout("app/config.yml"));
    LayoutBuilder::new()
        .image(Some("1.0"), image)
        .write(&dir.join("layout"));
}

fn scan(dir: &Path, target: &str, extra: &[&str]) -> (i32, String, String) {
    run(assay_in(dir)
        .args(["scan", target, "--scanners", "secret"])
        .args(extra))
}

fn json(dir: &Path, target: &str) -> serde_json::Value {
    let (code, stdout, stderr) = scan(dir, target, &["--format", "json"]);
    assert_eq!(code, 1, "{stderr}");
    assert_redacted(&stdout);
    serde_json::from_str(&stdout).unwrap()
}

fn rule_ids(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn finds_planted_secrets_in_a_rootfs_redacted() {
    let dir = tempfile::tempdir().unwrap();
    rootfs(dir.path());
    let report = json(dir.path(), "dir:rootfs");
    let ids = rule_ids(&report);
    for id in [
        "ASSAY-SEC-010",
        "ASSAY-SEC-101",
        "ASSAY-SEC-112",
        "ASSAY-SEC-110",
        "ASSAY-SEC-036",
    ] {
        assert!(ids.contains(&id.to_string()), "{id} missing: {ids:?}");
    }
    let token = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "ASSAY-SEC-010")
        .unwrap();
    assert_eq!(token["kind"], "secret");
    assert_eq!(token["location"]["path"], "app/config.yml");
    assert_eq!(token["location"]["line"], 2);
    assert!(token["message"].as_str().unwrap().contains("ghp_****"));
}

#[test]
fn a_plain_directory_is_scanned_with_paths_under_it() {
    let dir = tempfile::tempdir().unwrap();
    rootfs(dir.path());
    let report = json(dir.path(), "rootfs");
    let token = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "ASSAY-SEC-010")
        .unwrap();
    assert_eq!(token["location"]["path"], "rootfs/app/config.yml");
}

#[test]
fn a_secret_deleted_by_a_later_layer_is_still_reported_with_its_layer() {
    let dir = tempfile::tempdir().unwrap();
    layout(dir.path());
    let report = json(dir.path(), "oci:layout:1.0");
    let findings = report["findings"].as_array().unwrap();
    let token = findings
        .iter()
        .find(|f| f["rule_id"] == "ASSAY-SEC-010")
        .unwrap_or_else(|| panic!("{report:#}"));
    let message = token["message"].as_str().unwrap();
    assert!(
        message.contains("deleted /app/config.yml but the secret is still in the image"),
        "{message}"
    );
    let layer = token["location"]["layer"].as_str().unwrap();
    assert!(
        layer.starts_with("sha256:") && message.contains(layer),
        "{message}"
    );
    assert!(
        findings.iter().any(
            |f| f["rule_id"] == "ASSAY-SEC-053" && f["location"]["path"] == "image config: Env"
        ),
        "{report:#}"
    );
}

#[test]
fn dockerfile_env_arg_and_run_are_searched() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!(
            "FROM debian:12\nARG NPM_TOKEN={}\nRUN curl -H \"Authorization: token {}\" \\\n    https://api.github.com/\n",
            password(),
            github_token()
        ),
    )
    .unwrap();
    let report = json(dir.path(), "Dockerfile");
    let found: Vec<(String, u64)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["location"]["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(found.contains(&("ASSAY-SEC-053".into(), 2)), "{found:?}");
    assert!(found.contains(&("ASSAY-SEC-010".into(), 3)), "{found:?}");
}

#[test]
fn allow_lists_by_value_hash_path_and_rule_suppress() {
    let dir = tempfile::tempdir().unwrap();
    rootfs(dir.path());
    let hash = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(github_token().as_bytes()))
    };
    std::fs::write(
        dir.path().join("assay.yaml"),
        format!(
            "secrets:\n  disable: [ASSAY-SEC-110]\n  allow:\n    - value-sha256: {hash}\n      reason: revoked test token\n    - path: /etc/shadow\n      rule: ASSAY-SEC-112\n"
        ),
    )
    .unwrap();
    let report = json(dir.path(), "dir:rootfs");
    let ids = rule_ids(&report);
    for gone in ["ASSAY-SEC-010", "ASSAY-SEC-112", "ASSAY-SEC-110"] {
        assert!(
            !ids.contains(&gone.to_string()),
            "{gone} not allowed: {ids:?}"
        );
    }
    let suppressed: Vec<&serde_json::Value> =
        report["suppressed"].as_array().unwrap().iter().collect();
    assert!(
        suppressed.iter().any(|f| f["rule_id"] == "ASSAY-SEC-010"
            && f["suppression"]["reason"] == "revoked test token")
    );

    std::fs::write(
        dir.path().join("assay.yaml"),
        "secrets:\n  allow:\n    - value-sha256: nothex\n",
    )
    .unwrap();
    let (code, _, stderr) = scan(dir.path(), "dir:rootfs", &[]);
    assert_eq!(code, 2);
    assert!(stderr.contains("value-sha256"), "{stderr}");
}

/// Every report format. GitLab's report type is chosen per document (`--format gitlab`
/// writes `container_scanning` for an image, which carries only vulnerabilities), so secret
/// findings are checked in `gitlab-sast`, the report GitLab reads them from.
fn every_format(dir: &Path, target: &str, name: &str) {
    std::fs::write(
        dir.join("csv.j2"),
        std::fs::read(repo_root().join("fixtures/templates/csv.j2")).unwrap(),
    )
    .unwrap();
    for format in [
        "table",
        "json",
        "sarif",
        "junit",
        "gitlab-sast",
        "markdown",
        "template",
    ] {
        let mut extra = vec!["--format", format];
        if format == "template" {
            extra.extend(["--template", "csv.j2"]);
        }
        let (code, stdout, stderr) = scan(dir, target, &extra);
        assert_eq!(code, 1, "{format}: {stderr}");
        assert_redacted(&stdout);
        assert!(stdout.contains("ASSAY-SEC-010"), "{format}: {stdout}");
        insta::assert_snapshot!(format!("{name}.{format}"), stdout);
    }
}

#[test]
fn image_findings_in_every_report_format() {
    let dir = tempfile::tempdir().unwrap();
    layout(dir.path());
    every_format(dir.path(), "oci:layout:1.0", "image");
}

#[test]
fn rootfs_findings_in_every_report_format() {
    let dir = tempfile::tempdir().unwrap();
    rootfs(dir.path());
    every_format(dir.path(), "dir:rootfs", "rootfs");
}

#[test]
fn secret_rules_are_listed_and_documented() {
    let (code, stdout, _) = run(common::assay().args(["rules", "--target", "secret"]));
    assert_eq!(code, 0);
    assert!(
        stdout
            .lines()
            .filter(|l| l.starts_with("ASSAY-SEC-"))
            .count()
            >= 50
    );
    let (code, generated, _) =
        run(common::assay().args(["rules", "--format", "markdown", "--target", "secret"]));
    assert_eq!(code, 0);
    let committed =
        std::fs::read_to_string(repo_root().join("docs/rules/secret.md")).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/rules/secret.md is stale: run scripts/gen-docs.sh"
    );
}

#[test]
fn kubernetes_secret_data_and_container_env_are_searched() {
    use base64::Engine;
    let dir = tempfile::tempdir().unwrap();
    let encoded = base64::engine::general_purpose::STANDARD.encode(github_token());
    std::fs::write(
        dir.path().join("app.yaml"),
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: gh\ndata:\n  token: {encoded}\n---\n\
             apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      \
             containers:\n        - name: web\n          image: web:1\n          env:\n            - name: DB_PASSWORD\n              value: {}\n",
            password()
        ),
    )
    .unwrap();
    let report = json(dir.path(), "app.yaml");
    let found: Vec<(String, u64)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "secret")
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["location"]["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(found.contains(&("ASSAY-SEC-052".into(), 6)), "{found:?}");
    assert!(found.contains(&("ASSAY-SEC-053".into(), 20)), "{found:?}");
    assert!(!serde_json::to_string(&report).unwrap().contains(&encoded));
}

#[test]
fn a_plain_directory_honours_gitignore_like_the_iac_walk() {
    let dir = tempfile::tempdir().unwrap();
    rootfs(dir.path());
    std::fs::write(dir.path().join("rootfs/.gitignore"), "app/config.yml\n").unwrap();
    let report = json(dir.path(), "rootfs");
    let paths: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["location"]["path"].as_str().unwrap())
        .collect();
    assert!(!paths.contains(&"rootfs/app/config.yml"), "{paths:?}");
    assert!(paths.contains(&"rootfs/app/.env"), "{paths:?}");
}
