//! `assay policy test`: `test_*` rules run like `conftest verify`.

mod common;

use std::path::PathBuf;

use assay_iac::rego::{TestStatus, run_tests};

fn policy_dir(name: &str, files: &[(&str, &str)]) -> PathBuf {
    common::policy_dir("verify", name, files)
}

const POLICY: &str = r#"package main

deny contains msg if {
	input.user == "root"
	msg := "runs as root"
}
"#;

const TESTS: &str = r#"package main

test_denies_root if {
	deny["runs as root"] with input as {"user": "root"}
}

test_allows_others if {
	count(deny) == 0 with input as {"user": "app"}
}

test_wrongly_expects_root_allowed if {
	count(deny) == 0 with input as {"user": "root"}
}

test_is_undefined if {
	input.nothing
}

test_errors if {
	x := {"a": 1}
	y := to_number("not a number")
	x.a == y
}

helper_not_a_test if { false }
"#;

#[test]
fn runs_every_test_rule_and_reports_pass_fail_and_error() {
    let dir = policy_dir(
        "mixed",
        &[("policy.rego", POLICY), ("policy_test.rego", TESTS)],
    );
    let report = run_tests(std::slice::from_ref(&dir), &[]).expect("tests run");
    let got: Vec<(&str, TestStatus, Option<&str>)> = report
        .tests
        .iter()
        .map(|t| (t.name.as_str(), t.status, t.message.as_deref()))
        .collect();
    assert_eq!(
        got[..4],
        [
            ("test_denies_root", TestStatus::Pass, None),
            ("test_allows_others", TestStatus::Pass, None),
            (
                "test_wrongly_expects_root_allowed",
                TestStatus::Fail,
                Some("undefined")
            ),
            ("test_is_undefined", TestStatus::Fail, Some("undefined")),
        ]
    );
    assert_eq!(got[4].0, "test_errors");
    assert_eq!(got[4].1, TestStatus::Error);
    assert_eq!(report.tests.len(), 5);
    assert_eq!((report.passed, report.failed), (2, 3));
    assert!(!report.ok());
    let first = &report.tests[0];
    assert_eq!(first.package, "main");
    assert_eq!(
        first.file,
        dir.join("policy_test.rego").display().to_string()
    );
    assert_eq!(first.line, 3);
    assert_eq!(
        first.to_string(),
        format!("PASS {}:3: data.main.test_denies_root", first.file)
    );
}

#[test]
fn passing_suite_is_ok() {
    let dir = policy_dir(
        "passing",
        &[
            ("policy.rego", POLICY),
            (
                "policy_test.rego",
                "package main\n\ntest_denies_root if {\n\tdeny[\"runs as root\"] with input as {\"user\": \"root\"}\n}\n",
            ),
        ],
    );
    let report = run_tests(&[dir], &[]).expect("tests run");
    assert_eq!((report.passed, report.failed), (1, 0));
    assert!(report.ok());
}

#[test]
fn a_test_evaluating_to_false_fails() {
    let dir = policy_dir(
        "false",
        &[("x_test.rego", "package main\n\ntest_false := false\n")],
    );
    let report = run_tests(&[dir], &[]).expect("tests run");
    assert_eq!(report.tests[0].status, TestStatus::Fail);
    assert_eq!(
        report.tests[0].message.as_deref(),
        Some("evaluated to false")
    );
}

#[test]
fn tests_in_every_package_run_unless_namespaces_are_named() {
    let dir = policy_dir(
        "packages",
        &[
            ("a_test.rego", "package main\n\ntest_in_main if { true }\n"),
            (
                "b_test.rego",
                "package kubernetes\n\ntest_in_kubernetes if { true }\n",
            ),
        ],
    );
    let all = run_tests(std::slice::from_ref(&dir), &[]).expect("tests run");
    let names: Vec<(&str, &str)> = all
        .tests
        .iter()
        .map(|t| (t.package.as_str(), t.name.as_str()))
        .collect();
    assert_eq!(
        names,
        vec![
            ("main", "test_in_main"),
            ("kubernetes", "test_in_kubernetes")
        ]
    );

    let only = run_tests(&[dir], &["kubernetes".to_string()]).expect("tests run");
    assert_eq!(only.tests.len(), 1);
    assert_eq!(only.tests[0].name, "test_in_kubernetes");
}

#[test]
fn tests_see_the_data_files() {
    let dir = policy_dir(
        "data",
        &[
            ("data.yaml", "assay:\n  limit: 3\n"),
            (
                "limit_test.rego",
                "package main\n\ntest_reads_data if { data.assay.limit == 3 }\n",
            ),
        ],
    );
    let report = run_tests(&[dir], &[]).expect("tests run");
    assert!(report.ok(), "{:?}", report.tests);
}

#[test]
fn syntax_error_in_a_test_file_names_it() {
    let dir = policy_dir(
        "broken",
        &[(
            "broken_test.rego",
            "package main\n\ntest_x if {\n\t1 +\n}\n",
        )],
    );
    let err = run_tests(std::slice::from_ref(&dir), &[]).expect_err("fails to load");
    assert!(
        err.to_string()
            .starts_with(&format!("{}:", dir.join("broken_test.rego").display())),
        "{err}"
    );
}

#[test]
fn no_tests_is_an_empty_passing_report() {
    let dir = policy_dir("none", &[("policy.rego", POLICY)]);
    let report = run_tests(&[dir], &[]).expect("tests run");
    assert!(report.tests.is_empty());
    assert!(report.ok());
}
