//! `.assayignore`, `assay.yaml` and the precedence flags > ASSAY_* > file > defaults.
#![allow(clippy::unwrap_used)]

mod common;

use std::fs;
use std::path::Path;

use common::{assay_in, run};

const DOCKERFILE: &str = "FROM debian:latest\nRUN apt-get update && apt-get install -y curl\n";

fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    dir
}

fn rule_ids(dir: &Path, extra: &[&str]) -> (i32, Vec<String>, Vec<String>, String) {
    let (code, stdout, stderr) = run(assay_in(dir)
        .args(["scan", ".", "--format", "json"])
        .args(extra));
    let report: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout} {stderr}"));
    let ids = |key: &str| -> Vec<String> {
        report[key]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|f| f["rule_id"].as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    (code, ids("findings"), ids("suppressed"), stderr)
}

fn latest_tag_rule() -> String {
    // The rule that flags `FROM debian:latest`, found from the rule list rather than hard-coded.
    let (_, stdout, _) =
        run(assay_in(Path::new(".")).args(["rules", "--format", "json", "--target", "dockerfile"]));
    let rules: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    rules
        .as_array()
        .unwrap()
        .iter()
        .find(|r| {
            r["equivalents"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e == "hadolint:DL3007")
        })
        .map(|r| r["id"].as_str().unwrap().to_string())
        .expect("a rule equivalent to hadolint DL3007")
}

#[test]
fn assayignore_suppresses_with_reason_and_expired_entries_warn() {
    let id = latest_tag_rule();
    let dir = project(&[
        ("Dockerfile", DOCKERFILE),
        (
            ".assayignore",
            &format!(
                "ignore:\n  - id: {id}\n    reason: base image pinned upstream\n  - id: ASSAY-DF-999\n    expires: 2025-01-01\n"
            ),
        ),
    ]);
    let (_, findings, suppressed, stderr) = rule_ids(dir.path(), &[]);
    assert!(!findings.contains(&id));
    assert!(suppressed.contains(&id));
    assert!(stderr.contains("expired on 2025-01-01"), "{stderr}");
}

#[test]
fn expired_entry_no_longer_suppresses() {
    let id = latest_tag_rule();
    let dir = project(&[
        ("Dockerfile", DOCKERFILE),
        (".assayignore", &format!("{id} exp:2025-06-30\n")),
    ]);
    let (_, findings, suppressed, _) = rule_ids(dir.path(), &[]);
    assert!(findings.contains(&id));
    assert!(!suppressed.contains(&id));
}

#[test]
fn config_file_sets_the_gate_and_env_and_flags_override_it() {
    let dir = project(&[
        ("Dockerfile", DOCKERFILE),
        ("assay.yaml", "fail-on: none\nexit-code: 9\n"),
    ]);
    let (code, _, _, _) = rule_ids(dir.path(), &[]);
    assert_eq!(code, 0, "file: fail-on none");
    let (code, _, _) = run(assay_in(dir.path())
        .env("ASSAY_FAIL_ON", "LOW")
        .args(["scan", "."]));
    assert_eq!(
        code, 9,
        "env overrides the file's gate; the file's exit code still applies"
    );
    let (code, _, _) = run(assay_in(dir.path()).env("ASSAY_FAIL_ON", "LOW").args([
        "scan",
        ".",
        "--fail-on",
        "none",
    ]));
    assert_eq!(code, 0, "flag overrides env");
}

#[test]
fn config_can_disable_a_rule_and_override_a_severity() {
    let id = latest_tag_rule();
    let dir = project(&[
        ("Dockerfile", DOCKERFILE),
        ("assay.yaml", &format!("iac:\n  disable: [{id}]\n")),
    ]);
    let (_, findings, _, _) = rule_ids(dir.path(), &[]);
    assert!(!findings.contains(&id));

    let dir = project(&[
        ("Dockerfile", DOCKERFILE),
        (
            "assay.yaml",
            &format!("iac:\n  severity:\n    {id}: CRITICAL\n"),
        ),
    ]);
    let (_, stdout, _) = run(assay_in(dir.path()).args(["scan", ".", "--format", "json"]));
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let f = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == id.as_str())
        .cloned()
        .unwrap();
    assert_eq!(f["severity"], "CRITICAL");
}

#[test]
fn bad_config_is_exit_2_naming_file_and_line() {
    let dir = project(&[
        ("Dockerfile", DOCKERFILE),
        ("assay.yaml", "format: json\nfail_on: HIGH\n"),
    ]);
    let (code, _, stderr) = run(assay_in(dir.path()).args(["scan", "."]));
    assert_eq!(code, 2);
    assert!(stderr.contains("assay.yaml:2"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1);
}

#[test]
fn gitignored_files_are_not_scanned() {
    let dir = project(&[
        ("Dockerfile", "FROM debian:12\nUSER 1000\n"),
        ("build/Dockerfile", DOCKERFILE),
        (".gitignore", "build/\n"),
    ]);
    let (_, stdout, _) = run(assay_in(dir.path()).args(["scan", ".", "--format", "json"]));
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let names: Vec<&str> = report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Dockerfile"]);
}

#[test]
fn stdin_is_scanned_as_kubernetes_or_dockerfile() {
    let dir = project(&[]);
    let (code, stdout, stderr) = run(assay_in(dir.path())
        .args(["scan", "-", "--format", "json"])
        .write_stdin(DOCKERFILE));
    assert_eq!(code, 1, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["targets"][0]["kind"], "dockerfile");
    assert_eq!(report["targets"][0]["name"], "stdin");
}
