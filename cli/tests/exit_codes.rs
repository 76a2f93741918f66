//! Exit codes and one-line errors, as documented in `assay --help`.
#![allow(clippy::unwrap_used)]

mod common;

use std::fs;

use common::{assay, assay_in, run};

#[test]
fn findings_fail_with_the_requested_exit_code() {
    let (code, _, _) = run(assay().args([
        "scan",
        "fixtures/demo",
        "--fail-on",
        "LOW",
        "--exit-code",
        "7",
    ]));
    assert_eq!(code, 7);
}

#[test]
fn fail_on_none_passes_with_findings() {
    let (code, stdout, _) = run(assay().args(["scan", "fixtures/demo", "--fail-on", "none"]));
    assert_eq!(code, 0);
    assert!(stdout.contains("finding(s)"));
}

#[test]
fn severity_filter_does_not_change_the_gate() {
    // Only CRITICAL findings are shown, but HIGH findings still fail a HIGH gate.
    let (code, stdout, _) = run(assay().args([
        "scan",
        "fixtures/demo",
        "--format",
        "json",
        "--severity",
        "CRITICAL",
        "--fail-on",
        "HIGH",
    ]));
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["severity"] == "CRITICAL")
    );
    assert!(report["filtered_out"].as_u64().unwrap() > 0);
    assert_eq!(code, 1);
}

#[test]
fn per_scanner_threshold_ignores_other_scanners() {
    let (code, _, _) = run(assay().args(["scan", "fixtures/demo", "--fail-on", "vuln=LOW"]));
    assert_eq!(
        code, 0,
        "misconfigurations do not trip a vulnerability-only gate"
    );
}

#[test]
fn missing_target_is_exit_2_with_one_line() {
    let (code, stdout, stderr) = run(assay().args(["scan", "does-not-exist"]));
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("does-not-exist"), "{stderr}");
}

#[test]
fn malformed_dockerfile_is_exit_2_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("Dockerfile"),
        "FROM debian:12\nRUN true\nFROBNICATE now\n",
    )
    .unwrap();
    let (code, stdout, stderr) = run(assay_in(dir.path()).args(["scan", "Dockerfile"]));
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("Dockerfile:3:"), "{stderr}");
}

#[test]
fn malformed_yaml_in_a_directory_is_reported_while_others_are_scanned() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("broken.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: [unclosed\n",
    )
    .unwrap();
    fs::write(dir.path().join("Dockerfile"), "FROM debian:latest\n").unwrap();
    let (code, stdout, stderr) = run(assay_in(dir.path()).args(["scan", ".", "--format", "json"]));
    assert_eq!(code, 2);
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(
        !report["findings"].as_array().unwrap().is_empty(),
        "the Dockerfile was still scanned"
    );
    assert!(stderr.contains("broken.yaml:"), "{stderr}");
}

#[test]
fn unknown_flag_values_are_usage_errors() {
    for args in [
        vec!["scan", "fixtures/demo", "--format", "pdf"],
        vec!["scan", "fixtures/demo", "--fail-on", "catastrophic"],
        vec!["scan", "fixtures/demo", "--severity", "HIGH,SEVERE"],
        vec!["scan", "fixtures/demo", "--scanners", "telepathy"],
    ] {
        let (code, _, stderr) = run(assay().args(&args));
        assert_eq!(code, 2, "{args:?}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
    }
}

#[test]
fn output_file_is_written_whole_and_nothing_else_is_left() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.json");
    let (code, stdout, _) = run(assay()
        .args(["scan", "fixtures/demo", "--format", "json", "--output"])
        .arg(&out));
    assert_eq!(code, 1);
    assert!(stdout.is_empty());
    let report: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(report["schema_version"], "1.0");
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("report.json")]);
}

#[test]
fn unwritable_output_is_exit_2_and_writes_nothing() {
    let (code, _, stderr) = run(assay().args([
        "scan",
        "fixtures/demo",
        "--format",
        "json",
        "--output",
        "/nonexistent-dir/report.json",
    ]));
    assert_eq!(code, 2);
    assert!(stderr.contains("/nonexistent-dir/report.json"), "{stderr}");
}

#[test]
fn one_scan_writes_several_reports() {
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("a.sarif");
    let md = dir.path().join("summary.md");
    let (code, stdout, stderr) = run(assay()
        .args(["scan", "fixtures/demo", "--format", "json", "--report"])
        .arg(format!("sarif={}", sarif.display()))
        .arg("--report")
        .arg(format!("markdown={}", md.display())));
    assert_eq!(code, 1, "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let sarif: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_eq!(
        sarif["runs"][0]["results"].as_array().unwrap().len(),
        json["findings"].as_array().unwrap().len()
            + json["suppressed"].as_array().map_or(0, Vec::len)
    );
    assert!(
        fs::read_to_string(&md)
            .unwrap()
            .starts_with("## assay scan")
    );
}

#[test]
fn bad_report_spec_is_a_usage_error() {
    let (code, _, stderr) = run(assay().args(["scan", "fixtures/demo", "--report", "sarif"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("FORMAT=FILE"), "{stderr}");
}

#[test]
fn version_compare_prints_the_ordering_of_the_ecosystem() {
    for (eco, a, b, want) in [
        ("Debian", "1:1.0-1", "2.0-1", ">"),
        ("Debian:12", "1.0~rc1-1", "1.0-1", "<"),
        ("PyPI", "1.0.post1", "1.0", ">"),
        ("Maven", "1.0-SNAPSHOT", "1.0", "<"),
        ("npm", "1.0.0+build", "1.0.0", "="),
    ] {
        let (code, stdout, stderr) = run(assay().args(["version", "compare", eco, a, b]));
        assert_eq!((code, stdout.trim()), (0, want), "{eco} {a} {b}: {stderr}");
    }
}

#[test]
fn version_compare_rejects_unknown_ecosystems_and_invalid_versions() {
    for args in [
        ["version", "compare", "Nope", "1", "2"],
        ["version", "compare", "PyPI", "1.0", "not a version!"],
    ] {
        let (code, stdout, stderr) = run(assay().args(args));
        assert_eq!(code, 2, "{args:?}");
        assert!(stdout.is_empty());
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
}

#[test]
fn empty_assay_variables_count_as_unset() {
    // CI systems pass unset inputs as empty strings.
    let (code, stdout, stderr) = run(assay()
        .env("ASSAY_TEMPLATE", "")
        .env("ASSAY_FORMAT", "")
        .env("ASSAY_SEVERITY", "")
        .args(["scan", "fixtures/demo", "--fail-on", "none"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("target(s) scanned"));
}

#[cfg(unix)]
#[test]
fn report_files_get_an_ordinary_mode() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.json");
    run(assay()
        .args(["scan", "fixtures/demo", "-f", "json", "-o"])
        .arg(&out));
    assert_eq!(
        fs::metadata(&out).unwrap().permissions().mode() & 0o777,
        0o644
    );
}

#[test]
fn version_compare_batch_prints_one_symbol_per_line() {
    let (code, stdout, stderr) = run(assay()
        .args(["version", "compare", "Debian", "--batch"])
        .write_stdin("1.0\t1.1\n2.0~rc1\t2.0\n1:0.1\t9.9\nno tab here\n1.0\tnot valid!\n"));
    assert_eq!(stdout, "<\n<\n>\n!\n!\n");
    assert_eq!(code, 1);
    assert!(
        stderr.contains("stdin:4:") && stderr.contains("stdin:5:"),
        "{stderr}"
    );
}
