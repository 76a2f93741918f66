//! Manifests scanned together: relations across files count, findings stay with their file.
#![allow(clippy::unwrap_used)]

use assay_iac::{IacOptions, k8s};

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      serviceAccountName: web
      containers:
        - name: web
          image: registry.example.com/web:1.0
";

const DENY_ALL: &str = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: shop
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
";

const ACCOUNT: &str = "apiVersion: v1
kind: ServiceAccount
metadata:
  name: web
  namespace: shop
automountServiceAccountToken: false
";

fn ids(scan: &k8s::ManifestScan) -> Vec<&str> {
    scan.findings
        .iter()
        .filter(|f| f.suppression.is_none())
        .map(|f| f.rule_id.as_str())
        .collect()
}

fn no_network_policy_rule() -> &'static str {
    k8s::RULES
        .iter()
        .find(|r| r.title.contains("NetworkPolicy") && r.title.contains("not selected"))
        .unwrap()
        .id
}

fn automount_rule() -> &'static str {
    k8s::RULES
        .iter()
        .find(|r| {
            r.equivalents.contains(&"trivy:KSV036") || r.title.to_lowercase().contains("automount")
        })
        .unwrap()
        .id
}

#[test]
fn a_network_policy_in_another_file_covers_the_workload() {
    let alone = k8s::scan("deploy.yaml", DEPLOYMENT, &IacOptions::default()).unwrap();
    assert!(ids(&alone).contains(&no_network_policy_rule()));

    let files = vec![
        ("deploy.yaml".to_string(), DEPLOYMENT.to_string()),
        ("netpol.yaml".to_string(), DENY_ALL.to_string()),
        ("sa.yaml".to_string(), ACCOUNT.to_string()),
    ];
    let results = k8s::scan_set(&files, &IacOptions::default());
    let deploy = results[0].as_ref().unwrap();
    assert!(!ids(deploy).contains(&no_network_policy_rule()));
    assert!(
        !ids(deploy).contains(&automount_rule()),
        "the ServiceAccount in sa.yaml disables the token"
    );
    assert!(
        deploy
            .findings
            .iter()
            .all(|f| f.location.path == "deploy.yaml")
    );
    assert!(results[1].as_ref().unwrap().is_kubernetes);
}

#[test]
fn a_broken_file_in_a_set_fails_alone() {
    let files = vec![
        ("broken.yaml".to_string(), "kind: [unclosed\n".to_string()),
        ("deploy.yaml".to_string(), DEPLOYMENT.to_string()),
    ];
    let results = k8s::scan_set(&files, &IacOptions::default());
    assert!(
        results[0]
            .as_ref()
            .err()
            .unwrap()
            .to_string()
            .starts_with("broken.yaml:")
    );
    assert!(!results[1].as_ref().unwrap().findings.is_empty());
}
