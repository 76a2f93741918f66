//! The example policies shipped in `policies/`: they load, flag what their docs say, stay quiet
//! otherwise, and their own `*_test.rego` suites pass.

use std::path::PathBuf;

use assay_core::Severity;
use assay_iac::rego::{self, Evaluation, PolicySet, TestStatus};

fn policies() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../policies")
}

fn shipped() -> PolicySet {
    PolicySet::load(&[policies()], &[]).expect("shipped policies load")
}

fn scan_dockerfile(text: &str) -> Evaluation {
    let input =
        rego::dockerfile_input("Dockerfile", "Dockerfile", text).expect("dockerfile parses");
    shipped()
        .evaluate(&input.value, &input.context)
        .expect("evaluates")
}

fn scan_manifest(text: &str) -> Evaluation {
    let inputs =
        rego::manifest_inputs("k8s/app.yaml", "k8s/app.yaml", text).expect("manifest parses");
    shipped().evaluate_all(&inputs).expect("evaluates")
}

fn summary(eval: &Evaluation) -> Vec<(String, Severity, Option<u32>)> {
    eval.findings
        .iter()
        .map(|f| (f.rule_id.clone(), f.severity, f.location.line))
        .collect()
}

#[test]
fn shipped_policy_tests_pass() {
    let report = rego::run_tests(&[policies()], &[]).expect("tests run");
    let failures: Vec<String> = report
        .tests
        .iter()
        .filter(|t| t.status != TestStatus::Pass)
        .map(ToString::to_string)
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(report.passed >= 15, "only {} tests ran", report.passed);
}

#[test]
fn golden_dockerfile_with_source_label_passes() {
    let eval = scan_dockerfile(
        "FROM golang:1.22 AS build\nRUN go build -o /app .\n\nFROM cgr.dev/chainguard/static:latest\nLABEL org.opencontainers.image.source=\"https://github.com/acme/app\"\nCOPY --from=build /app /app\n",
    );
    assert_eq!(summary(&eval), vec![]);
}

#[test]
fn non_golden_final_stage_is_denied_at_its_from_line() {
    let eval = scan_dockerfile(
        "FROM cgr.dev/chainguard/static AS base\n\nFROM ubuntu:24.04\nLABEL org.opencontainers.image.source=https://github.com/acme/app\n",
    );
    assert_eq!(
        summary(&eval),
        vec![("ORG-DF-001".to_string(), Severity::High, Some(3))]
    );
    let f = &eval.findings[0];
    assert_eq!(f.title, "Final stage does not use a golden base image");
    assert!(f.message.contains("\"ubuntu:24.04\""), "{}", f.message);
    assert_eq!(
        f.fix.as_deref(),
        Some("Build the final stage FROM one of the images listed in data.assay.golden_images.")
    );
    assert!(
        eval.rules[0]
            .description
            .starts_with("Only golden base images")
    );
}

#[test]
fn golden_prefix_from_data_yaml_allows_registry_images() {
    let eval = scan_dockerfile(
        "FROM registry.example.com/golden/python:3.12\nLABEL org.opencontainers.image.source=x\n",
    );
    assert_eq!(summary(&eval), vec![]);
}

#[test]
fn dockerfile_without_source_label_gets_a_low_warning() {
    let eval = scan_dockerfile("FROM gcr.io/distroless/static-debian12\nUSER 65532\n");
    assert_eq!(
        summary(&eval),
        vec![("ORG-DF-002".to_string(), Severity::Low, Some(1))]
    );
}

const GOOD_DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels:
    app.kubernetes.io/name: web
    owner: team-shop
spec:
  template:
    spec:
      containers:
        - name: web
          image: registry.example.com/shop/web:1.4.2
";

#[test]
fn labelled_deployment_from_an_allowed_registry_passes() {
    assert_eq!(summary(&scan_manifest(GOOD_DEPLOYMENT)), vec![]);
}

#[test]
fn each_manifest_document_is_checked_at_its_own_line() {
    let text = format!(
        "{GOOD_DEPLOYMENT}---
apiVersion: v1
kind: Pod
metadata:
  name: debug
  labels:
    app.kubernetes.io/name: debug
    owner: sre
spec:
  containers:
    - name: shell
      image: busybox:1.36
"
    );
    let eval = scan_manifest(&text);
    assert_eq!(
        summary(&eval),
        vec![("ORG-K8S-001".to_string(), Severity::High, Some(16))]
    );
    let f = &eval.findings[0];
    assert_eq!(f.resource.as_deref(), Some("Pod/debug"));
    assert!(f.message.contains("\"busybox:1.36\""), "{}", f.message);
}

#[test]
fn missing_labels_are_denied_once_per_label() {
    let eval =
        scan_manifest("apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: shop\n");
    let got: Vec<(&str, &str)> = eval
        .findings
        .iter()
        .map(|f| (f.rule_id.as_str(), f.message.as_str()))
        .collect();
    assert_eq!(got.len(), 2);
    assert!(got.iter().all(|(id, _)| *id == "ORG-K8S-002"));
    assert!(got.iter().any(|(_, m)| m.contains("\"owner\"")));
    assert!(
        got.iter()
            .any(|(_, m)| m.contains("\"app.kubernetes.io/name\""))
    );
    assert!(eval.findings.iter().all(|f| f.severity == Severity::Medium
        && f.resource.as_deref() == Some("Service/shop/web")
        && f.location.line == Some(1)));
}

#[test]
fn shipped_examples_evaluate_only_package_main() {
    // policies/ also holds the golden-image promotion rules (package assay.promote, read by
    // `assay promote`); a scan loads them but evaluates only `main`.
    assert_eq!(shipped().namespaces(), ["main"]);
    assert_eq!(shipped().packages(), ["assay.promote", "main"]);
}
