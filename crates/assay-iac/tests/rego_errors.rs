//! Errors in users' policies are one line, lower case, and name the file and line.

mod common;

use std::path::PathBuf;

use assay_iac::rego::{EvalContext, PolicySet, RegoError};
use serde_json::json;

fn policy_dir(name: &str, files: &[(&str, &str)]) -> PathBuf {
    common::policy_dir("err", name, files)
}

fn load_error(name: &str, files: &[(&str, &str)]) -> (PathBuf, String) {
    let dir = policy_dir(name, files);
    let err = PolicySet::load(std::slice::from_ref(&dir), &[]).expect_err("load fails");
    (dir, err.to_string())
}

fn eval_error(name: &str, files: &[(&str, &str)]) -> (PathBuf, String) {
    let dir = policy_dir(name, files);
    let set = PolicySet::load(std::slice::from_ref(&dir), &[]).expect("loads");
    let err = set
        .evaluate(
            &json!({"a": 1, "b": 2}),
            &EvalContext {
                path: "in.yaml".into(),
                line: 1,
                ..EvalContext::default()
            },
        )
        .expect_err("evaluation fails");
    (dir, err.to_string())
}

fn assert_one_line(message: &str) {
    assert!(!message.contains('\n'), "one line: {message:?}");
}

#[test]
fn syntax_error_names_file_line_and_column() {
    let (dir, msg) = load_error(
        "syntax",
        &[(
            "broken.rego",
            "package main\n\ndeny contains msg if {\n\tinput.x ==\n}\n",
        )],
    );
    let file = dir.join("broken.rego").display().to_string();
    assert_eq!(msg, format!("{file}:5:1: expecting expression"));
}

#[test]
fn v0_policy_with_a_syntax_error_reports_its_v0_error_not_a_missing_if() {
    let (dir, msg) = load_error(
        "v0typo",
        &[(
            "old.rego",
            "package main\n\ndeny[msg] {\n\tinput.x == \n}\n",
        )],
    );
    let file = dir.join("old.rego").display().to_string();
    assert_eq!(msg, format!("{file}:3:11: expecting }}"));
    assert_one_line(&msg);
}

#[test]
fn second_file_error_is_named_even_when_the_first_is_fine() {
    let (dir, msg) = load_error(
        "second",
        &[
            (
                "a.rego",
                "package main\n\ndeny contains \"a\" if { true }\n",
            ),
            (
                "b.rego",
                "package main\n\ndeny contains \"b\" if {\n\ttrue\n\t)\n}\n",
            ),
        ],
    );
    assert!(
        msg.starts_with(&format!("{}:5:", dir.join("b.rego").display())),
        "{msg}"
    );
}

#[test]
fn evaluation_error_names_the_rule_and_its_file() {
    let (dir, msg) = eval_error(
        "conflict",
        &[(
            "conflict.rego",
            "package main\n\nx := input.a\n\nx := input.b\n\ndeny contains sprintf(\"%v\", [x]) if { true }\n",
        )],
    );
    let file = dir.join("conflict.rego").display().to_string();
    assert!(
        msg.starts_with(&format!("{file}:7: evaluating data.main.deny: {file}:")),
        "{msg}"
    );
    assert_one_line(&msg);
}

#[test]
fn unknown_function_is_reported_with_its_position() {
    let (dir, msg) = eval_error(
        "unknownfn",
        &[(
            "fn.rego",
            "package main\n\ndeny contains msg if {\n\tmsg := nosuch(input)\n}\n",
        )],
    );
    let file = dir.join("fn.rego").display().to_string();
    assert!(
        msg.starts_with(&format!("{file}:3: evaluating data.main.deny: {file}:4:")),
        "{msg}"
    );
    assert!(msg.ends_with(": could not find function nosuch"), "{msg}");
}

#[test]
fn result_object_without_msg_is_an_error() {
    let (dir, msg) = eval_error(
        "nomsg",
        &[(
            "nomsg.rego",
            "package main\n\ndeny contains {\"message\": \"typo\"} if { true }\n",
        )],
    );
    assert_eq!(
        msg,
        format!(
            "{}:3: data.main.deny: rule result object has no msg field",
            dir.join("nomsg.rego").display()
        )
    );
}

#[test]
fn unknown_severity_is_an_error() {
    let (_, msg) = eval_error(
        "severity",
        &[(
            "sev.rego",
            "package main\n\nwarn contains {\"msg\": \"m\", \"severity\": \"severe\"} if { true }\n",
        )],
    );
    assert!(
        msg.contains("data.main.warn: result severity: unknown severity \"severe\""),
        "{msg}"
    );
}

#[test]
fn missing_policy_directory_is_named() {
    let missing = std::env::temp_dir().join("assay-rego-err-does-not-exist");
    let err = PolicySet::load(std::slice::from_ref(&missing), &[]).expect_err("fails");
    assert_eq!(
        err.to_string(),
        format!("{}: no such file or directory", missing.display())
    );
    assert!(matches!(err, RegoError::Read { .. }));
}

#[test]
fn conflicting_data_files_are_named() {
    let (dir, msg) = load_error(
        "dataconflict",
        &[
            ("a/data.yaml", "assay:\n  registry: one\n"),
            ("b/data.json", "{\"assay\": {\"registry\": \"two\"}}"),
        ],
    );
    assert_eq!(
        msg,
        format!(
            "{}: data.assay.registry conflicts with the value from {}",
            dir.join("b/data.json").display(),
            dir.join("a/data.yaml").display()
        )
    );
}

#[test]
fn invalid_data_yaml_is_named() {
    let (dir, msg) = load_error("badyaml", &[("data.yaml", "assay: [unclosed\n")]);
    assert!(
        msg.starts_with(&format!(
            "{}: invalid yaml:",
            dir.join("data.yaml").display()
        )),
        "{msg}"
    );
    assert_one_line(&msg);
}

#[test]
fn invalid_metadata_annotation_names_its_line() {
    let (dir, msg) = load_error(
        "badmeta",
        &[(
            "meta.rego",
            "package main\n\n# METADATA\n# title: [unclosed\ndeny contains \"x\" if { true }\n",
        )],
    );
    assert!(
        msg.starts_with(&format!(
            "{}:3: invalid metadata annotation:",
            dir.join("meta.rego").display()
        )),
        "{msg}"
    );
}
