//! Every audit rule has a failing and a passing fixture under `fixtures/audit/<ID>/`:
//! `fail*.jsonl` must raise the rule, `pass*.jsonl` must not. An optional `options.json` in
//! the folder holds the [`AuditOptions`] the fixtures are judged with.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};

use assay_cluster::audit::{self, AuditOptions};

fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/audit")
}

fn raised(file: &Path, options: &AuditOptions) -> Vec<String> {
    let events = audit::event::read_file(file, &file.display().to_string())
        .unwrap_or_else(|e| panic!("{e}"));
    let settings = options.validate().unwrap();
    audit::review(&events, &settings)
        .into_iter()
        .map(|f| f.rule_id)
        .collect()
}

#[test]
fn every_rule_fails_its_failing_fixture_and_passes_its_passing_one() {
    let mut problems = Vec::new();
    for rule in audit::rules() {
        let dir = fixtures_root().join(rule.id);
        let options: AuditOptions = match fs::read_to_string(dir.join("options.json")) {
            Ok(text) => serde_json::from_str(&text).unwrap(),
            Err(_) => AuditOptions::default(),
        };
        let Ok(entries) = fs::read_dir(&dir) else {
            problems.push(format!("{}: no fixture folder", rule.id));
            continue;
        };
        let mut files: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
        files.sort();
        let (mut fails, mut passes) = (0, 0);
        for file in files {
            let name = file.file_name().unwrap().to_string_lossy().to_string();
            if !name.starts_with("fail") && !name.starts_with("pass") {
                continue;
            }
            let ids = raised(&file, &options);
            let hit = ids.iter().any(|id| id == rule.id);
            if name.starts_with("fail") {
                fails += 1;
                if !hit {
                    problems.push(format!("{}: {name} raised {ids:?}, not the rule", rule.id));
                }
            } else if name.starts_with("pass") {
                passes += 1;
                if hit {
                    problems.push(format!("{}: {name} raised the rule", rule.id));
                }
            }
        }
        if fails == 0 || passes == 0 {
            problems.push(format!("{}: needs a fail and a pass fixture", rule.id));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn failing_fixtures_raise_one_finding_per_offending_event() {
    // ASSAY-AUD-001's failing fixture has a privileged pod and a Deployment with a privileged
    // init container: two findings, each at its own line.
    let file = fixtures_root().join("ASSAY-AUD-001/fail.jsonl");
    let events = audit::event::read_file(&file, "fail.jsonl").unwrap();
    let findings = audit::review(&events, &AuditOptions::default().validate().unwrap());
    let lines: Vec<_> = findings
        .iter()
        .filter(|f| f.rule_id == "ASSAY-AUD-001")
        .map(|f| f.location.line)
        .collect();
    assert_eq!(lines, [Some(1), Some(2)]);
    let first = findings
        .iter()
        .find(|f| f.rule_id == "ASSAY-AUD-001")
        .unwrap();
    assert!(
        first
            .message
            .contains("alice@example.com create pods default/web at 2026-01-01T10:00:00.000000Z"),
        "{}",
        first.message
    );
}

#[test]
fn exec_findings_name_the_command() {
    let file = fixtures_root().join("ASSAY-AUD-004/fail.jsonl");
    let events = audit::event::read_file(&file, "fail.jsonl").unwrap();
    let findings = audit::review(&events, &AuditOptions::default().validate().unwrap());
    let exec = findings
        .iter()
        .find(|f| f.rule_id == "ASSAY-AUD-004")
        .unwrap();
    assert!(
        exec.message.starts_with(
            "ran \"cat /etc/shadow\": alice@example.com create pods/exec shop/web-7d9f"
        ),
        "{}",
        exec.message
    );
    assert_eq!(exec.resource.as_deref(), Some("pods/exec shop/web-7d9f"));
}

#[test]
fn gzip_logs_read_like_plain_ones() {
    use std::io::Write;
    let plain = fixtures_root().join("ASSAY-AUD-004/fail.jsonl");
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("audit.log.1");
    let mut enc = flate2::write::GzEncoder::new(
        fs::File::create(&gz).unwrap(),
        flate2::Compression::default(),
    );
    enc.write_all(&fs::read(&plain).unwrap()).unwrap();
    enc.finish().unwrap();
    assert_eq!(
        raised(&gz, &AuditOptions::default()),
        raised(&plain, &AuditOptions::default())
    );
}

#[test]
fn bad_options_are_rejected() {
    let bad = AuditOptions {
        cluster_cidrs: vec!["10.0.0.0/33".into()],
        ..AuditOptions::default()
    };
    assert!(
        bad.validate()
            .unwrap_err()
            .to_string()
            .contains("10.0.0.0/33")
    );
}
