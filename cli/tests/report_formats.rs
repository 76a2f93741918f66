//! Golden files of every report format on the demo, and determinism.
#![allow(clippy::unwrap_used)]

mod common;

use common::{assay, run};

fn demo(format: &str) -> String {
    let (code, stdout, stderr) = run(assay().args(["scan", "fixtures/demo", "--format", format]));
    assert_eq!(
        code, 1,
        "the demo has findings, so the default gate fails; stderr: {stderr}"
    );
    // The demo has a Python lock file and the test environment no vulnerability database:
    // the scan says so once instead of failing, so IaC-only users keep `assay scan .`.
    assert_eq!(
        stderr,
        "assay: warning: 1 lock file(s) found but not checked for vulnerabilities: \
         no database at .cache/assay/db/assay.db\n",
        "unexpected stderr"
    );
    stdout
}

#[test]
fn table_matches_golden() {
    insta::assert_snapshot!("demo.table", demo("table"));
}

#[test]
fn json_matches_golden() {
    insta::assert_snapshot!("demo.json", demo("json"));
}

#[test]
fn sarif_matches_golden() {
    insta::assert_snapshot!("demo.sarif", demo("sarif"));
}

#[test]
fn junit_matches_golden() {
    insta::assert_snapshot!("demo.junit", demo("junit"));
}

#[test]
fn gitlab_matches_golden() {
    insta::assert_snapshot!("demo.gitlab", demo("gitlab"));
}

#[test]
fn markdown_matches_golden() {
    insta::assert_snapshot!("demo.markdown", demo("markdown"));
}

#[test]
fn template_matches_golden() {
    let (code, stdout, stderr) = run(assay().args([
        "scan",
        "fixtures/demo",
        "--format",
        "template",
        "--template",
        "fixtures/templates/csv.j2",
    ]));
    assert_eq!(code, 1, "{stderr}");
    insta::assert_snapshot!("demo.template-csv", stdout);
}

#[test]
fn json_is_byte_identical_across_runs() {
    assert_eq!(demo("json"), demo("json"));
}

#[test]
fn json_has_the_documented_fields() {
    let report: serde_json::Value = serde_json::from_str(&demo("json")).unwrap();
    assert_eq!(report["schema_version"], "1.0");
    let findings = report["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    for f in findings {
        for key in [
            "id", "kind", "rule_id", "severity", "title", "message", "location", "target",
        ] {
            assert!(f.get(key).is_some(), "finding lacks {key}: {f}");
        }
        assert!(
            ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO", "UNKNOWN"]
                .contains(&f["severity"].as_str().unwrap())
        );
        assert!(
            f["location"]["path"]
                .as_str()
                .unwrap()
                .starts_with("fixtures/demo/")
        );
    }
    let kinds: Vec<&str> = report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"dockerfile") && kinds.contains(&"kubernetes"),
        "{kinds:?}"
    );
}

#[test]
fn sarif_results_point_at_lines_and_rules_carry_security_severity() {
    let sarif: serde_json::Value = serde_json::from_str(&demo("sarif")).unwrap();
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    for rule in rules {
        assert!(
            rule["properties"]["security-severity"].is_string(),
            "{rule}"
        );
        assert!(rule["help"]["text"].as_str().is_some_and(|t| !t.is_empty()));
    }
    for result in run["results"].as_array().unwrap() {
        let region = &result["locations"][0]["physicalLocation"]["region"];
        assert!(region["startLine"].as_u64().unwrap() >= 1);
        assert!(result["partialFingerprints"]["assayFindingId/v1"].is_string());
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
    }
}
