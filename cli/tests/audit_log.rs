//! `assay audit-log`: every rule reported on its failing fixture through the CLI (with the
//! fixture's options as flags), every report format, gzip and EventList input, the gate and
//! input errors.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write;
use std::path::Path;

use common::{assay, repo_root, run};
use serde_json::Value;

/// The fixture folder's `options.json` as command-line flags.
fn flags(dir: &Path, tmp: &Path) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(dir.join("options.json")) else {
        return Vec::new();
    };
    let options: serde_json::Map<String, Value> = serde_json::from_str(&text).unwrap();
    let mut out = Vec::new();
    for (key, value) in options {
        let list = || -> Vec<String> {
            value
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect()
        };
        match key.as_str() {
            "secret-readers" => list().into_iter().for_each(|v| {
                out.push("--secret-reader".into());
                out.push(v);
            }),
            "allowed-registries" => list().into_iter().for_each(|v| {
                out.push("--allowed-registry".into());
                out.push(v);
            }),
            "cluster-cidrs" => list().into_iter().for_each(|v| {
                out.push("--cluster-cidr".into());
                out.push(v);
            }),
            "promoted-digests" => {
                let file = tmp.join("promoted.txt");
                std::fs::write(&file, format!("# promoted\n{}\n", list().join("\n"))).unwrap();
                out.push("--promoted".into());
                out.push(file.display().to_string());
            }
            "forbidden-threshold" | "forbidden-window" => {
                out.push(format!("--{key}"));
                out.push(value.to_string());
            }
            other => panic!("no flag for {other}"),
        }
    }
    out
}

fn rule_ids(json: &str) -> Vec<String> {
    let report: Value = serde_json::from_str(json).unwrap();
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn every_rule_is_reported_on_its_failing_fixture_and_not_on_its_passing_one() {
    let (_, list, _) = run(assay().args(["rules", "--target", "audit", "--format", "json"]));
    let rules: Vec<Value> = serde_json::from_str(&list).unwrap();
    assert!(rules.len() >= 20, "{} audit rules", rules.len());
    let tmp = tempfile::tempdir().unwrap();
    // ASSAY-RUN-* rules are judged on running images (`scan --k8s-pods`), not audit logs.
    for rule in rules
        .iter()
        .filter(|r| r["id"].as_str().unwrap().starts_with("ASSAY-AUD-"))
    {
        let id = rule["id"].as_str().unwrap();
        let dir = repo_root().join("fixtures/audit").join(id);
        let extra = flags(&dir, tmp.path());
        for (file, expected) in [("fail.jsonl", true), ("pass.jsonl", false)] {
            let path = format!("fixtures/audit/{id}/{file}");
            let (code, stdout, stderr) = run(assay()
                .args(["audit-log", &path, "--format", "json"])
                .args(&extra));
            assert!(code == 0 || code == 1, "{path}: exit {code}: {stderr}");
            let ids = rule_ids(&stdout);
            assert_eq!(
                ids.iter().any(|r| r == id),
                expected,
                "{path}: raised {ids:?}"
            );
        }
    }
}

#[test]
fn findings_carry_time_user_verb_object_and_location() {
    let (code, stdout, _) = run(assay().args([
        "audit-log",
        "fixtures/audit/ASSAY-AUD-010/fail.jsonl",
        "--format",
        "json",
    ]));
    assert_eq!(code, 1);
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let f = &report["findings"][0];
    assert_eq!(f["kind"], "audit");
    assert_eq!(f["rule_id"], "ASSAY-AUD-010");
    assert_eq!(
        f["message"],
        "cluster-admin bound to ServiceAccount web: alice@example.com create clusterrolebindings backdoor at 2026-01-01T10:00:00.000000Z"
    );
    assert_eq!(f["resource"], "clusterrolebindings backdoor");
    assert_eq!(
        f["location"]["path"],
        "fixtures/audit/ASSAY-AUD-010/fail.jsonl"
    );
    assert_eq!(f["location"]["line"], 1);
    assert_eq!(report["targets"][0]["kind"], "audit-log");
    assert!(
        report["rules"]["ASSAY-AUD-010"]["help_uri"]
            .as_str()
            .unwrap()
            .ends_with("docs/rules/audit.md#assay-aud-010")
    );
}

const GOLDEN_INPUTS: [&str; 2] = [
    "fixtures/audit/ASSAY-AUD-004/fail.jsonl",
    "fixtures/audit/ASSAY-AUD-020/fail.jsonl",
];

#[test]
fn sarif_matches_golden() {
    let (code, stdout, stderr) = run(assay()
        .args(["audit-log", "--format", "sarif"])
        .args(GOLDEN_INPUTS)
        .args(["--forbidden-threshold", "5", "--forbidden-window", "60"]));
    assert_eq!(code, 1, "{stderr}");
    insta::assert_snapshot!("audit.sarif", stdout);
}

#[test]
fn every_report_format_renders_and_output_is_deterministic() {
    for format in [
        "table", "json", "sarif", "junit", "gitlab", "markdown", "template",
    ] {
        let mut cmd = assay();
        cmd.args(["audit-log", "--format", format])
            .args(GOLDEN_INPUTS);
        if format == "template" {
            cmd.args(["--template", "fixtures/templates/csv.j2"]);
        }
        let (code, first, stderr) = run(&mut cmd);
        assert_eq!(code, 1, "{format}: {stderr}");
        assert!(first.contains("ASSAY-AUD-004"), "{format}: {first}");
        let (_, second, _) = run(&mut cmd);
        assert_eq!(first, second, "{format} output differs between runs");
    }
}

#[test]
fn gzip_and_event_list_inputs_read_like_json_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let plain = std::fs::read(repo_root().join(GOLDEN_INPUTS[0])).unwrap();
    let gz = tmp.path().join("audit.log.1.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::default(),
    );
    enc.write_all(&plain).unwrap();
    enc.finish().unwrap();
    let events: Vec<Value> = String::from_utf8(plain)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let list = tmp.path().join("events.json");
    let document =
        serde_json::json!({"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "items": events});
    std::fs::write(&list, serde_json::to_string_pretty(&document).unwrap()).unwrap();
    for file in [&gz, &list] {
        let (code, stdout, stderr) = run(assay().args(["audit-log", "--format", "json"]).arg(file));
        assert_eq!(code, 1, "{stderr}");
        assert_eq!(rule_ids(&stdout), ["ASSAY-AUD-004"]);
    }
}

#[test]
fn gate_and_severity_filter() {
    let input = "fixtures/audit/ASSAY-AUD-004/fail.jsonl";
    let (code, _, _) = run(assay().args(["audit-log", input, "--fail-on", "HIGH"]));
    assert_eq!(code, 0, "a MEDIUM finding does not fail a HIGH gate");
    let (code, _, _) = run(assay().args([
        "audit-log",
        input,
        "--fail-on",
        "audit=MEDIUM",
        "--exit-code",
        "7",
    ]));
    assert_eq!(code, 7);
    let (_, stdout, _) =
        run(assay().args(["audit-log", input, "--format", "json", "--severity", "HIGH"]));
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["findings"].as_array().unwrap().len(), 0);
    assert_eq!(report["filtered_out"], 1);
}

#[test]
fn malformed_input_is_an_input_error_naming_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("audit.log");
    let good = std::fs::read_to_string(repo_root().join(GOLDEN_INPUTS[0])).unwrap();
    std::fs::write(&bad, format!("{good}{{\"kind\":\"Event\",\"verb\":\n")).unwrap();
    let (code, stdout, stderr) = run(assay().arg("audit-log").arg(&bad));
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert!(
        stderr.starts_with(&format!("assay: {}:2: invalid audit event", bad.display())),
        "{stderr}"
    );
    let pod = tmp.path().join("pod.json");
    std::fs::write(&pod, "{\"kind\":\"Pod\",\"apiVersion\":\"v1\"}\n").unwrap();
    let (code, _, stderr) = run(assay().arg("audit-log").arg(&pod));
    assert_eq!(code, 2);
    assert!(
        stderr.contains(":1: expected one audit event per line or an EventList"),
        "{stderr}"
    );
    let (code, _, stderr) = run(assay().args(["audit-log", "missing.log"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("missing.log: no such file"), "{stderr}");
    let (code, _, stderr) = run(assay().args([
        "audit-log",
        GOLDEN_INPUTS[0],
        "--cluster-cidr",
        "10.0.0.0/99",
    ]));
    assert_eq!(code, 2);
    assert!(stderr.contains("invalid cluster cidr"), "{stderr}");
}

#[test]
fn audit_rule_docs_are_current() {
    let (code, generated, _) =
        run(assay().args(["rules", "--format", "markdown", "--target", "audit"]));
    assert_eq!(code, 0);
    let committed =
        std::fs::read_to_string(repo_root().join("docs/rules/audit.md")).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/rules/audit.md is stale: run scripts/gen-docs.sh"
    );
}

#[test]
fn accepted_findings_are_suppressed_by_the_ignore_file() {
    let tmp = tempfile::tempdir().unwrap();
    let ignore = tmp.path().join("accepted.yaml");
    std::fs::write(
        &ignore,
        "ignore:\n  - id: ASSAY-AUD-004\n    path: \"fixtures/audit/**\"\n    reason: break-glass session OPS-7\n",
    )
    .unwrap();
    let (code, stdout, stderr) = run(assay()
        .args([
            "audit-log",
            "fixtures/audit/ASSAY-AUD-004/fail.jsonl",
            "--format",
            "json",
        ])
        .arg("--ignorefile")
        .arg(&ignore));
    assert_eq!(code, 0, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["findings"].as_array().unwrap().len(), 0);
    assert_eq!(report["suppressed"][0]["rule_id"], "ASSAY-AUD-004");
    assert_eq!(
        report["suppressed"][0]["suppression"]["reason"],
        "break-glass session OPS-7"
    );
}
