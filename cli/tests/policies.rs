//! Rego policies dropped into a folder produce findings in every format; `assay policy test`
//! runs their tests.
#![allow(clippy::unwrap_used)]

mod common;

use std::fs;

use common::{assay_in, run};

const POLICY: &str = r#"package main

import rego.v1

deny contains result if {
    input.kind == "Deployment"
    not input.metadata.labels.team
    result := {
        "msg": sprintf("%s has no team label", [input.metadata.name]),
        "id": "ACME-001",
        "severity": "MEDIUM",
        "title": "Workloads carry a team label",
    }
}
"#;

const TEST: &str = r#"package main

import rego.v1

test_flags_unlabelled if {
    count(deny) == 1 with input as {"kind": "Deployment", "metadata": {"name": "x"}}
}

test_broken if {
    count(deny) == 5 with input as {"kind": "Deployment", "metadata": {"name": "x"}}
}
"#;

const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.27\n";

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("policies")).unwrap();
    fs::write(dir.path().join("policies/team.rego"), POLICY).unwrap();
    fs::write(dir.path().join("deploy.yaml"), DEPLOYMENT).unwrap();
    dir
}

#[test]
fn a_policy_in_the_default_folder_produces_findings_in_every_format() {
    let dir = project();
    for format in ["table", "json", "sarif", "junit", "gitlab", "markdown"] {
        let (code, stdout, stderr) =
            run(assay_in(dir.path()).args(["scan", "deploy.yaml", "--format", format]));
        assert_eq!(code, 1, "{format}: {stderr}");
        assert!(
            stdout.contains("ACME-001"),
            "{format} lacks the policy finding:\n{stdout}"
        );
    }
    let (_, stdout, _) =
        run(assay_in(dir.path()).args(["scan", "deploy.yaml", "--format", "json"]));
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        report["rules"]["ACME-001"]["title"],
        "Workloads carry a team label"
    );
    let f = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "ACME-001")
        .unwrap();
    assert_eq!(f["severity"], "MEDIUM");
    assert_eq!(f["location"]["line"], 1);
    assert_eq!(f["resource"], "Deployment/web");
}

#[test]
fn an_explicit_policy_folder_and_namespace_are_used() {
    let dir = project();
    fs::rename(dir.path().join("policies"), dir.path().join("rules")).unwrap();
    let (_, stdout, _) =
        run(assay_in(dir.path()).args(["scan", "deploy.yaml", "--format", "json"]));
    assert!(
        !stdout.contains("ACME-001"),
        "no ./policies: no policy findings"
    );
    let (_, stdout, _) = run(assay_in(dir.path()).args([
        "scan",
        "deploy.yaml",
        "--format",
        "json",
        "--policy",
        "rules",
    ]));
    assert!(stdout.contains("ACME-001"));
    let (_, stdout, _) = run(assay_in(dir.path()).args([
        "scan",
        "deploy.yaml",
        "--format",
        "json",
        "--policy",
        "rules",
        "--namespace",
        "other",
    ]));
    assert!(
        !stdout.contains("ACME-001"),
        "package main is not evaluated under --namespace other"
    );
}

#[test]
fn a_broken_policy_is_exit_2_naming_file_and_line() {
    let dir = project();
    fs::write(
        dir.path().join("policies/broken.rego"),
        "package main\n\ndeny contains msg if {\n  input.kind ==\n}\n",
    )
    .unwrap();
    let (code, stdout, stderr) = run(assay_in(dir.path()).args(["scan", "deploy.yaml"]));
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("broken.rego:"), "{stderr}");
}

#[test]
fn policy_test_reports_passes_and_failures() {
    let dir = project();
    fs::write(dir.path().join("policies/team_test.rego"), TEST).unwrap();
    let (code, stdout, _) = run(assay_in(dir.path()).args(["policy", "test", "policies"]));
    assert_eq!(code, 1);
    assert!(
        stdout.contains("PASS") && stdout.contains("test_flags_unlabelled"),
        "{stdout}"
    );
    assert!(
        stdout.contains("FAIL") && stdout.contains("test_broken"),
        "{stdout}"
    );
    assert!(
        stdout.trim_end().ends_with("1 passed, 1 failed"),
        "{stdout}"
    );
}

#[test]
fn the_shipped_example_policies_pass_their_tests() {
    let (code, stdout, stderr) = run(common::assay().args(["policy", "test", "policies"]));
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains(" 0 failed"));
}
