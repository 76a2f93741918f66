//! Evaluating users' Rego policies: Conftest's rule names and result shapes, assay's metadata.

mod common;

use std::path::PathBuf;

use assay_core::{FindingKind, Severity};
use assay_iac::rego::{EvalContext, Evaluation, Input, LoadOptions, PolicySet};
use serde_json::{Value, json};

/// A fresh directory holding `files` (relative path, contents).
fn policy_dir(name: &str, files: &[(&str, &str)]) -> PathBuf {
    common::policy_dir("eval", name, files)
}

fn ctx() -> EvalContext {
    EvalContext {
        target: "k8s/web.yaml".to_string(),
        path: "k8s/web.yaml".to_string(),
        line: 7,
        resource: Some("Deployment/shop/web".to_string()),
    }
}

fn evaluate(files: &[(&str, &str)], input: Value) -> Evaluation {
    let name = files
        .first()
        .map_or("none", |(p, _)| p)
        .replace(['/', '.'], "_");
    let dir = policy_dir(&name, files);
    let set = PolicySet::load(&[dir], &[]).expect("policies load");
    set.evaluate(&input, &ctx()).expect("policies evaluate")
}

#[test]
fn deny_string_becomes_a_high_finding_at_the_document() {
    let eval = evaluate(
        &[(
            "deny_string.rego",
            "package main\n\ndeny contains msg if {\n\tinput.spec.replicas < 2\n\tmsg := \"run at least two replicas\"\n}\n",
        )],
        json!({"spec": {"replicas": 1}}),
    );
    assert_eq!(eval.findings.len(), 1);
    let f = &eval.findings[0];
    assert_eq!(f.kind, FindingKind::Misconfig);
    assert_eq!(f.rule_id, "main.deny");
    assert_eq!(f.severity, Severity::High);
    assert_eq!(f.message, "run at least two replicas");
    assert_eq!(f.target, "k8s/web.yaml");
    assert_eq!(f.location.path, "k8s/web.yaml");
    assert_eq!(f.location.line, Some(7));
    assert_eq!(f.resource.as_deref(), Some("Deployment/shop/web"));
    assert_eq!(eval.rules.len(), 1);
    assert_eq!(eval.rules[0].id, "main.deny");
    assert_eq!(eval.rules[0].description, "run at least two replicas");
}

#[test]
fn no_result_when_the_rule_does_not_fire() {
    let eval = evaluate(
        &[(
            "quiet.rego",
            "package main\n\ndeny contains msg if {\n\tinput.spec.replicas < 2\n\tmsg := \"x\"\n}\n",
        )],
        json!({"spec": {"replicas": 3}}),
    );
    assert!(eval.findings.is_empty());
    assert!(eval.rules.is_empty());
}

#[test]
fn object_result_carries_id_severity_title_fix_and_line() {
    let policy = r#"package main

deny contains {
	"msg": "image uses the latest tag",
	"id": "ORG-001",
	"severity": "critical",
	"title": "Image tag is latest",
	"description": "Latest moves under you.",
	"remediation": "Pin a version.",
	"line": 12,
	"references": ["https://example.com/org-001"],
} if {
	endswith(input.image, ":latest")
}
"#;
    let eval = evaluate(&[("object.rego", policy)], json!({"image": "nginx:latest"}));
    let f = &eval.findings[0];
    assert_eq!(f.rule_id, "ORG-001");
    assert_eq!(f.severity, Severity::Critical);
    assert_eq!(f.title, "Image tag is latest");
    assert_eq!(f.message, "image uses the latest tag");
    assert_eq!(f.fix.as_deref(), Some("Pin a version."));
    assert_eq!(f.location.line, Some(12));
    assert_eq!(
        f.references,
        vec!["https://example.com/org-001".to_string()]
    );
    let doc = &eval.rules[0];
    assert_eq!(doc.id, "ORG-001");
    assert_eq!(doc.title, "Image tag is latest");
    assert_eq!(doc.description, "Latest moves under you.");
    assert_eq!(doc.remediation, "Pin a version.");
    assert_eq!(doc.severity, Severity::Critical);
    assert_eq!(doc.help_uri.as_deref(), Some("https://example.com/org-001"));
}

#[test]
fn conftest_rule_id_and_fix_spellings_are_accepted() {
    let policy = "package main\n\nviolation contains {\"msg\": \"m\", \"rule_id\": \"R-1\", \"fix\": \"do it\", \"StartLine\": 3} if { true }\n";
    let eval = evaluate(&[("spellings.rego", policy)], json!({}));
    let f = &eval.findings[0];
    assert_eq!(f.rule_id, "R-1");
    assert_eq!(f.fix.as_deref(), Some("do it"));
    assert_eq!(f.location.line, Some(3));
}

#[test]
fn warn_rules_default_to_low() {
    let eval = evaluate(
        &[(
            "warn.rego",
            "package main\n\nwarn contains \"consider a readiness probe\" if { true }\n",
        )],
        json!({}),
    );
    assert_eq!(eval.findings[0].rule_id, "main.warn");
    assert_eq!(eval.findings[0].severity, Severity::Low);
}

#[test]
fn violation_rules_default_to_high() {
    let eval = evaluate(
        &[(
            "violation.rego",
            "package main\n\nviolation contains {\"msg\": \"no\"} if { true }\n",
        )],
        json!({}),
    );
    assert_eq!(eval.findings[0].rule_id, "main.violation");
    assert_eq!(eval.findings[0].severity, Severity::High);
}

#[test]
fn prefixed_rules_are_evaluated_with_their_own_ids() {
    let policy = r#"package main

deny_latest contains "latest tag" if { endswith(input.image, ":latest") }

warn_no_digest contains "no digest" if { not contains(input.image, "@") }

violation_root contains {"msg": "runs as root"} if { input.user == "root" }

denylist contains "not a decision rule" if { true }

deny_ contains "not a decision rule either" if { true }
"#;
    let eval = evaluate(
        &[("prefixed.rego", policy)],
        json!({"image": "nginx:latest", "user": "root"}),
    );
    let got: Vec<(&str, Severity)> = eval
        .findings
        .iter()
        .map(|f| (f.rule_id.as_str(), f.severity))
        .collect();
    assert_eq!(
        got,
        vec![
            ("main.deny_latest", Severity::High),
            ("main.violation_root", Severity::High),
            ("main.warn_no_digest", Severity::Low),
        ]
    );
    let ids: Vec<&str> = eval.rules.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        vec![
            "main.deny_latest",
            "main.violation_root",
            "main.warn_no_digest"
        ]
    );
}

#[test]
fn rego_v0_policies_load_as_conftest_0_x_wrote_them() {
    let policy = "package main\n\ndeny[msg] {\n\tinput.privileged\n\tmsg := \"privileged\"\n}\n";
    let eval = evaluate(&[("v0.rego", policy)], json!({"privileged": true}));
    assert_eq!(eval.findings[0].message, "privileged");
}

#[test]
fn metadata_annotations_document_the_rule() {
    let policy = r#"package main

# METADATA
# title: Privileged container
# description: Privileged containers own the node.
# custom:
#   id: ORG-K8S-9
#   severity: MEDIUM
#   remediation: Drop privileged.
deny contains msg if {
	input.privileged
	msg := "container is privileged"
}
"#;
    let eval = evaluate(&[("annotated.rego", policy)], json!({"privileged": true}));
    let f = &eval.findings[0];
    assert_eq!(f.rule_id, "ORG-K8S-9");
    assert_eq!(f.severity, Severity::Medium);
    assert_eq!(f.title, "Privileged container");
    assert_eq!(f.fix.as_deref(), Some("Drop privileged."));
    assert_eq!(
        eval.rules[0].description,
        "Privileged containers own the node."
    );
}

#[test]
fn result_metadata_overrides_the_annotation() {
    let policy = "package main\n\n# METADATA\n# custom:\n#   severity: LOW\ndeny contains {\"msg\": \"m\", \"severity\": \"HIGH\"} if { true }\n";
    let eval = evaluate(&[("override.rego", policy)], json!({}));
    assert_eq!(eval.findings[0].severity, Severity::High);
}

#[test]
fn policies_in_other_packages_are_skipped_by_default() {
    let dir = policy_dir(
        "namespaces",
        &[
            (
                "main.rego",
                "package main\n\ndeny contains \"from main\" if { true }\n",
            ),
            (
                "k8s.rego",
                "package kubernetes.admission\n\ndeny contains \"from k8s\" if { true }\n",
            ),
            (
                "lib.rego",
                "package lib\n\nwarn contains \"from lib\" if { true }\n",
            ),
        ],
    );
    let messages = |set: &PolicySet| -> Vec<String> {
        let eval = set.evaluate(&json!({}), &ctx()).expect("evaluates");
        eval.findings
            .into_iter()
            .map(|f| format!("{} {}", f.rule_id, f.message))
            .collect()
    };

    let default = PolicySet::load(std::slice::from_ref(&dir), &[]).expect("loads");
    assert_eq!(messages(&default), vec!["main.deny from main"]);

    let named = PolicySet::load(
        std::slice::from_ref(&dir),
        &["kubernetes.admission".to_string()],
    )
    .expect("loads");
    assert_eq!(messages(&named), vec!["kubernetes.admission.deny from k8s"]);

    let all = PolicySet::load_with(
        std::slice::from_ref(&dir),
        &LoadOptions {
            all_namespaces: true,
            ..LoadOptions::default()
        },
    )
    .expect("loads");
    assert_eq!(
        messages(&all),
        vec![
            "kubernetes.admission.deny from k8s",
            "lib.warn from lib",
            "main.deny from main"
        ]
    );
    assert_eq!(all.packages(), ["kubernetes.admission", "lib", "main"]);
}

#[test]
fn data_files_next_to_policies_are_merged_into_data() {
    let dir = policy_dir(
        "data",
        &[
            (
                "registries.rego",
                "package main\n\ndeny contains msg if {\n\tnot startswith(input.image, data.assay.registry)\n\tmsg := sprintf(\"%s is not from %s\", [input.image, data.assay.registry])\n}\n\nwarn contains msg if {\n\tsome team in data.assay.teams\n\tteam == input.team\n\tmsg := \"known team\"\n}\n",
            ),
            ("data.yaml", "assay:\n  registry: registry.example.com/\n"),
            ("teams/data.json", "{\"assay\": {\"teams\": [\"shop\"]}}"),
            (
                "fixtures/deployment.yaml",
                "apiVersion: apps/v1\nkind: Deployment\n",
            ),
        ],
    );
    let set = PolicySet::load(&[dir], &[]).expect("loads");
    let eval = set
        .evaluate(&json!({"image": "nginx", "team": "shop"}), &ctx())
        .expect("evaluates");
    let messages: Vec<&str> = eval.findings.iter().map(|f| f.message.as_str()).collect();
    assert_eq!(
        messages,
        vec!["nginx is not from registry.example.com/", "known team"]
    );
}

#[test]
fn data_option_loads_any_json_or_yaml_file() {
    let dir = policy_dir(
        "data_option",
        &[(
            "p.rego",
            "package main\n\ndeny contains data.settings.message if { true }\n",
        )],
    );
    let data = policy_dir(
        "data_option_files",
        &[("settings.yml", "settings:\n  message: from --data\n")],
    );
    let set = PolicySet::load_with(
        &[dir],
        &LoadOptions {
            data: vec![data],
            ..LoadOptions::default()
        },
    )
    .expect("loads");
    let eval = set.evaluate(&json!({}), &ctx()).expect("evaluates");
    assert_eq!(eval.findings[0].message, "from --data");
}

#[test]
fn test_files_are_not_evaluated_against_documents() {
    let eval = evaluate(
        &[
            (
                "p.rego",
                "package main\n\ndeny contains \"real\" if { input.bad }\n",
            ),
            (
                "p_test.rego",
                "package main\n\ndeny contains \"from a test file\" if { true }\n\ntest_x if { true }\n",
            ),
        ],
        json!({"bad": true}),
    );
    let messages: Vec<&str> = eval.findings.iter().map(|f| f.message.as_str()).collect();
    assert_eq!(messages, vec!["real"]);
}

#[test]
fn results_are_in_a_stable_order_and_fingerprints_follow_the_message() {
    let policy = "package main\n\ndeny contains sprintf(\"container %s\", [c]) if {\n\tsome c in input.containers\n}\n";
    let input = json!({"containers": ["zeta", "alpha", "mid"]});
    let a = evaluate(&[("order.rego", policy)], input.clone());
    let b = evaluate(&[("order.rego", policy)], input);
    let mut messages: Vec<&str> = a.findings.iter().map(|f| f.message.as_str()).collect();
    messages.sort();
    assert_eq!(
        messages,
        vec!["container alpha", "container mid", "container zeta"]
    );
    assert_eq!(a, b);
    let mut sorted = a.findings.clone();
    sorted.sort_by(|x, y| x.sort_key().cmp(&y.sort_key()));
    assert_eq!(a.findings, sorted, "findings come in report order");
    assert_ne!(a.findings[0].id, a.findings[1].id);
}

#[test]
fn one_set_evaluates_many_documents_independently() {
    let dir = policy_dir(
        "many",
        &[(
            "p.rego",
            "package main\n\ndeny contains sprintf(\"%s runs as root\", [input.metadata.name]) if {\n\tinput.user == 0\n}\n",
        )],
    );
    let set = PolicySet::load(&[dir], &[]).expect("loads");
    let inputs: Vec<Input> = (0..200)
        .map(|i| Input {
            value: json!({"metadata": {"name": format!("pod-{i:03}")}, "user": i % 2}),
            context: EvalContext {
                line: i + 1,
                resource: Some(format!("Pod/pod-{i:03}")),
                ..ctx()
            },
        })
        .collect();
    let eval = set.evaluate_all(&inputs).expect("evaluates");
    assert_eq!(eval.findings.len(), 100);
    assert_eq!(eval.findings[0].message, "pod-000 runs as root");
    assert_eq!(eval.findings[0].location.line, Some(1));
    assert_eq!(eval.findings[1].resource.as_deref(), Some("Pod/pod-002"));
    assert_eq!(eval.rules.len(), 1);
}

#[test]
fn policy_set_can_be_shared_between_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<PolicySet>();
}

#[test]
#[ignore = "timing; run with --ignored --nocapture"]
#[allow(clippy::print_stderr)]
fn evaluation_speed() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let started = std::time::Instant::now();
    let set = PolicySet::load(&[root], &[]).expect("loads");
    let load = started.elapsed();
    let inputs: Vec<Input> = (0..5000)
        .map(|i| Input {
            value: json!({
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": format!("web-{i}"), "namespace": "shop", "labels": {"owner": "x"}},
                "spec": {"template": {"spec": {"containers": [
                    {"name": "app", "image": if i % 3 == 0 { "nginx:1.27" } else { "registry.example.com/app:1" }},
                    {"name": "sidecar", "image": "ghcr.io/assay-dev/proxy:2"},
                ]}}},
            }),
            context: EvalContext { line: 1, resource: Some(format!("Deployment/shop/web-{i}")), ..ctx() },
        })
        .collect();
    let started = std::time::Instant::now();
    let eval = set.evaluate_all(&inputs).expect("evaluates");
    let all = started.elapsed();
    let started = std::time::Instant::now();
    for input in &inputs[..1000] {
        set.evaluate(&input.value, &input.context)
            .expect("evaluates");
    }
    let single = started.elapsed();
    eprintln!(
        "load {load:?}; evaluate_all 5000 documents {all:?} ({} findings); evaluate() x1000 {single:?}",
        eval.findings.len()
    );
}
