//! Behaviour of the Kubernetes rules beyond their fixtures: the hardened example is clean,
//! suppressions, cross-document checks, and messages that never reveal secrets.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::Path;

use assay_iac::{IacOptions, Profile, k8s};

fn fixture(rel: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/rules/kubernetes")
        .join(rel);
    fs::read_to_string(&path).unwrap()
}

fn every_rule() -> IacOptions {
    IacOptions {
        enable: k8s::RULES.iter().map(|r| r.id.to_string()).collect(),
        ..IacOptions::default()
    }
}

#[test]
fn hardened_deployment_raises_nothing_even_with_opt_in_rules() {
    let text = fixture("ASSAY-K8S-001/pass.yaml");
    let findings = every_rule().apply(
        k8s::scan("pass.yaml", &text, &every_rule())
            .unwrap()
            .findings,
    );
    let ids: Vec<_> = findings
        .iter()
        .map(|f| format!("{} {}", f.rule_id, f.message))
        .collect();
    assert!(ids.is_empty(), "{ids:#?}");
}

#[test]
fn ignore_annotation_on_the_pod_template_suppresses_listed_rules() {
    let text = fixture("ASSAY-K8S-001/fail.yaml").replace(
        "      labels:\n        app.kubernetes.io/name: web\n    spec:",
        "      labels:\n        app.kubernetes.io/name: web\n      annotations:\n        assay.dev/ignore: \"ASSAY-K8S-001, ASSAY-K8S-044\"\n        assay.dev/ignore-reason: debugging node\n    spec:",
    );
    let scan = k8s::scan("d.yaml", &text, &IacOptions::default()).unwrap();
    let privileged = scan
        .findings
        .iter()
        .find(|f| f.rule_id == "ASSAY-K8S-001")
        .unwrap();
    let suppression = privileged.suppression.as_ref().unwrap();
    assert_eq!(suppression.kind, "annotation");
    assert_eq!(suppression.reason.as_deref(), Some("debugging node"));
    assert!(
        suppression
            .source
            .as_deref()
            .unwrap()
            .starts_with("d.yaml:")
    );
    assert!(
        scan.findings
            .iter()
            .filter(|f| f.rule_id != "ASSAY-K8S-001")
            .all(|f| f.suppression.is_none())
    );
}

#[test]
fn wildcard_annotation_on_the_object_suppresses_everything_for_it() {
    let text = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  annotations:\n    assay.dev/ignore: \"*\"\nspec:\n  type: NodePort\n  externalIPs: [1.2.3.4]\n";
    let scan = k8s::scan("s.yaml", text, &IacOptions::default()).unwrap();
    assert!(!scan.findings.is_empty());
    assert!(scan.findings.iter().all(|f| f.suppression.is_some()));
}

#[test]
fn inline_comment_suppresses_the_rule_on_its_line_or_the_next() {
    let text = fixture("ASSAY-K8S-001/fail.yaml").replace(
        "            privileged: true\n",
        "            # assay:ignore=ASSAY-K8S-001 needs raw device access\n            privileged: true\n",
    );
    let scan = k8s::scan("d.yaml", &text, &IacOptions::default()).unwrap();
    let privileged = scan
        .findings
        .iter()
        .find(|f| f.rule_id == "ASSAY-K8S-001")
        .unwrap();
    let suppression = privileged.suppression.as_ref().unwrap();
    assert_eq!(suppression.kind, "inline");
    assert_eq!(
        suppression.reason.as_deref(),
        Some("needs raw device access")
    );
    let comment_line = text
        .lines()
        .position(|l| l.contains("assay:ignore"))
        .unwrap()
        + 1;
    assert_eq!(suppression.source, Some(format!("d.yaml:{comment_line}")));

    let trailing = fixture("ASSAY-K8S-001/fail.yaml").replace(
        "privileged: true\n",
        "privileged: true # assay:ignore=ASSAY-K8S-002,ASSAY-K8S-001\n",
    );
    let scan = k8s::scan("d.yaml", &trailing, &IacOptions::default()).unwrap();
    assert!(
        scan.findings
            .iter()
            .find(|f| f.rule_id == "ASSAY-K8S-001")
            .unwrap()
            .suppression
            .is_some()
    );
}

#[test]
fn network_policy_coverage_is_computed_across_documents() {
    let deployment = fixture("ASSAY-K8S-083/fail.yaml");
    let alone = k8s::scan("d.yaml", &deployment, &IacOptions::default()).unwrap();
    assert!(alone.findings.iter().any(|f| f.rule_id == "ASSAY-K8S-083"));
    let policy = "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: deny\n  namespace: shop\nspec:\n  podSelector: {}\n";
    let other_namespace = policy.replace("namespace: shop", "namespace: other");
    let covered = k8s::scan(
        "d.yaml",
        &format!("{deployment}{policy}"),
        &IacOptions::default(),
    )
    .unwrap();
    assert!(
        !covered
            .findings
            .iter()
            .any(|f| f.rule_id == "ASSAY-K8S-083")
    );
    let elsewhere = k8s::scan(
        "d.yaml",
        &format!("{deployment}{other_namespace}"),
        &IacOptions::default(),
    )
    .unwrap();
    assert!(
        elsewhere
            .findings
            .iter()
            .any(|f| f.rule_id == "ASSAY-K8S-083")
    );
}

#[test]
fn secret_values_never_appear_in_findings() {
    let text = fixture("ASSAY-K8S-051/fail.yaml");
    let scan = k8s::scan("d.yaml", &text, &IacOptions::default()).unwrap();
    let finding = scan
        .findings
        .iter()
        .find(|f| f.rule_id == "ASSAY-K8S-051")
        .unwrap();
    assert!(finding.message.contains("DB_PASSWORD"));
    let json = serde_json::to_string(&scan.findings).unwrap();
    assert!(!json.contains("hunter2"));
}

#[test]
fn allowed_registries_accept_hosts_and_path_prefixes_and_docker_hub_short_names() {
    let text = fixture("ASSAY-K8S-048/fail.yaml");
    let run = |allowed: &[&str]| {
        let options = IacOptions {
            allowed_registries: allowed.iter().map(|s| s.to_string()).collect(),
            ..IacOptions::default()
        };
        k8s::scan("d.yaml", &text, &options)
            .unwrap()
            .findings
            .iter()
            .any(|f| f.rule_id == "ASSAY-K8S-048")
    };
    assert!(run(&["registry.example.com"]));
    assert!(!run(&["docker.io/library/"]));
    assert!(!run(&["docker.io"]));
    assert!(run(&["docker.io/bitnami"]));
    assert!(!run(&[]));
}

#[test]
fn pss_profiles_select_rules_by_their_equivalents() {
    let text = fixture("ASSAY-K8S-001/fail.yaml")
        .replace("            readOnlyRootFilesystem: true\n", "");
    let findings = k8s::scan("d.yaml", &text, &IacOptions::default())
        .unwrap()
        .findings;
    let baseline = IacOptions {
        profile: Some(Profile::PssBaseline),
        ..IacOptions::default()
    };
    let ids: Vec<_> = baseline
        .apply(findings)
        .into_iter()
        .map(|f| f.rule_id)
        .collect();
    assert_eq!(ids, ["ASSAY-K8S-001"]);
}

#[test]
fn every_rule_cites_at_least_a_pss_cis_or_peer_id_or_is_assay_only() {
    let prefixes = ["pss:", "cis-k8s:", "kube-score:", "checkov:", "trivy:"];
    for rule in k8s::RULES {
        for eq in rule.equivalents {
            assert!(
                prefixes.iter().any(|p| eq.starts_with(p)),
                "{}: {eq}",
                rule.id
            );
        }
    }
    let pss = k8s::RULES
        .iter()
        .filter(|r| r.equivalents.iter().any(|e| e.starts_with("pss:")))
        .count();
    assert!(pss >= 21, "{pss} PSS rules");
}
