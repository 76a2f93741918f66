//! The generated YAML read back as Kubernetes would: every document has apiVersion, kind and
//! the fields its schema requires, names agree across objects, and the caBundle is the CA.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use assay_cluster::admission::manifests::{self, ManifestOptions, PROMOTION_PREDICATE_TYPE};
use assay_cluster::admission::{Mode, Policy, PolicyFile};
use base64::Engine;
use serde::Deserialize;
use serde_json::Value;

const KEY: &str =
    "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n";
const CA: &str = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n";

fn policy(edit: impl FnOnce(&mut PolicyFile)) -> Policy {
    let mut file = PolicyFile {
        allowed_registries: vec!["registry.example.com/prod".into()],
        exempt_namespaces: vec!["kube-system".into(), "monitoring".into()],
        ..PolicyFile::default()
    };
    edit(&mut file);
    Policy::new(file, vec![(PathBuf::from("keys/release.pub"), KEY.into())]).unwrap()
}

fn documents(yaml: &str) -> Vec<Value> {
    yaml_serde::Deserializer::from_str(yaml)
        .map(|d| Value::deserialize(d).unwrap())
        .collect()
}

fn by_kind<'a>(docs: &'a [Value], kind: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind}"))
}

fn install() -> Vec<Value> {
    let options = ManifestOptions {
        namespace: "assay-system".into(),
        image: "registry.example.com/tools/assay@sha256:abc".into(),
        ca_pem: CA.into(),
        replicas: 2,
        timeout_seconds: 10,
        registry_secret: Some("prod-pull".into()),
    };
    let yaml = manifests::to_yaml(&manifests::manifests(&policy(|_| {}), &options).unwrap());
    documents(&yaml)
}

#[test]
fn install_manifests_are_complete_and_consistent() {
    let docs = install();
    let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "Namespace",
            "ServiceAccount",
            "ConfigMap",
            "Deployment",
            "Service",
            "ValidatingWebhookConfiguration"
        ]
    );
    for d in &docs {
        assert!(
            d["apiVersion"].is_string() && d["metadata"]["name"].is_string(),
            "{d}"
        );
    }
    let name = "assay-golden-images";
    for kind in ["ServiceAccount", "ConfigMap", "Deployment", "Service"] {
        assert_eq!(
            by_kind(&docs, kind)["metadata"]["namespace"],
            "assay-system",
            "{kind}"
        );
    }
    let deployment = by_kind(&docs, "Deployment");
    let spec = &deployment["spec"];
    assert_eq!(
        spec["selector"]["matchLabels"]["app.kubernetes.io/name"],
        name
    );
    assert_eq!(
        spec["template"]["metadata"]["labels"]["app.kubernetes.io/name"],
        name
    );
    let pod = &spec["template"]["spec"];
    assert_eq!(
        pod["serviceAccountName"],
        by_kind(&docs, "ServiceAccount")["metadata"]["name"]
    );
    let container = &pod["containers"][0];
    assert_eq!(container["args"][0], "admission");
    assert_eq!(container["ports"][0]["name"], "https");
    assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/readyz");
    assert_eq!(container["livenessProbe"]["httpGet"]["scheme"], "HTTPS");
    assert_eq!(
        pod["volumes"][0]["configMap"]["name"],
        by_kind(&docs, "ConfigMap")["metadata"]["name"]
    );
    assert_eq!(
        pod["volumes"][1]["secret"]["secretName"],
        format!("{name}-tls")
    );

    // The ConfigMap carries the policy with key paths rewritten to its own files.
    let data = &by_kind(&docs, "ConfigMap")["data"];
    assert_eq!(data["trusted-key-1.pub"], KEY);
    let embedded: PolicyFile = yaml_serde::from_str(data["policy.yaml"].as_str().unwrap()).unwrap();
    assert_eq!(embedded.trusted_keys, [PathBuf::from("trusted-key-1.pub")]);
    assert_eq!(embedded.allowed_registries, ["registry.example.com/prod"]);

    let service = by_kind(&docs, "Service");
    assert_eq!(service["spec"]["selector"]["app.kubernetes.io/name"], name);
    assert_eq!(service["spec"]["ports"][0]["targetPort"], "https");

    let vwc = by_kind(&docs, "ValidatingWebhookConfiguration");
    assert_eq!(vwc["apiVersion"], "admissionregistration.k8s.io/v1");
    let hook = &vwc["webhooks"][0];
    assert_eq!(hook["name"].as_str().unwrap().split('.').count(), 4);
    assert_eq!(hook["admissionReviewVersions"][0], "v1");
    assert_eq!(hook["sideEffects"], "None");
    assert_eq!(hook["failurePolicy"], "Fail");
    assert_eq!(hook["timeoutSeconds"], 10);
    assert_eq!(
        hook["clientConfig"]["service"]["name"],
        service["metadata"]["name"]
    );
    assert_eq!(hook["clientConfig"]["service"]["namespace"], "assay-system");
    assert_eq!(hook["clientConfig"]["service"]["path"], "/validate");
    let ca = base64::engine::general_purpose::STANDARD
        .decode(hook["clientConfig"]["caBundle"].as_str().unwrap())
        .unwrap();
    assert_eq!(ca, CA.as_bytes());
    let excluded = &hook["namespaceSelector"]["matchExpressions"][0];
    assert_eq!(excluded["operator"], "NotIn");
    assert_eq!(
        excluded["values"],
        serde_json::json!(["assay-system", "kube-system", "monitoring"])
    );
    let resources = hook["rules"][0]["resources"].as_array().unwrap();
    for r in [
        "pods",
        "deployments",
        "statefulsets",
        "daemonsets",
        "replicasets",
        "jobs",
        "cronjobs",
        "pods/ephemeralcontainers",
    ] {
        assert!(resources.iter().any(|x| x == r), "{r} not matched");
    }
}

#[test]
fn manifests_are_deterministic_and_reject_a_missing_ca() {
    assert_eq!(install(), install());
    let options = ManifestOptions {
        namespace: "assay-system".into(),
        image: "assay".into(),
        ca_pem: "not a certificate".into(),
        replicas: 1,
        timeout_seconds: 10,
        registry_secret: None,
    };
    assert!(manifests::manifests(&policy(|_| {}), &options).is_err());
    let options = ManifestOptions {
        ca_pem: CA.into(),
        timeout_seconds: 31,
        ..options
    };
    assert!(manifests::manifests(&policy(|_| {}), &options).is_err());
}

#[test]
fn kyverno_export_verifies_signature_promotion_and_registry() {
    let docs = documents(&manifests::to_yaml(&manifests::kyverno(&policy(|_| {}))));
    assert_eq!(docs.len(), 1);
    let p = &docs[0];
    assert_eq!(
        (p["apiVersion"].as_str(), p["kind"].as_str()),
        (Some("kyverno.io/v1"), Some("ClusterPolicy"))
    );
    assert_eq!(p["metadata"]["name"], "assay-golden-images");
    assert_eq!(p["spec"]["validationFailureAction"], "Enforce");
    assert_eq!(p["spec"]["failurePolicy"], "Fail");
    let rules = p["spec"]["rules"].as_array().unwrap();
    let registry = rules
        .iter()
        .find(|r| r["name"] == "allowed-registries")
        .unwrap();
    assert_eq!(
        registry["validate"]["pattern"]["spec"]["containers"][0]["image"],
        "registry.example.com/prod/*"
    );
    assert_eq!(
        registry["exclude"]["any"][0]["resources"]["namespaces"][1],
        "monitoring"
    );
    let verify = &rules.iter().find(|r| r["name"] == "golden-images").unwrap()["verifyImages"][0];
    assert_eq!(verify["imageReferences"][0], "registry.example.com/prod/*");
    assert_eq!(verify["verifyDigest"], true);
    assert_eq!(
        verify["attestors"][0]["entries"][0]["keys"]["publicKeys"],
        KEY
    );
    assert_eq!(verify["attestations"][0]["type"], PROMOTION_PREDICATE_TYPE);

    let warn = documents(&manifests::to_yaml(&manifests::kyverno(&policy(|p| {
        p.mode = Mode::Warn
    }))));
    assert_eq!(warn[0]["spec"]["validationFailureAction"], "Audit");

    // Exempt images skip the registry rule too, as in the webhook.
    let exempt = documents(&manifests::to_yaml(&manifests::kyverno(&policy(|p| {
        p.exempt_images = vec!["registry.example.com/infra/*".into()]
    }))));
    let rules = exempt[0]["spec"]["rules"].as_array().unwrap();
    assert_eq!(
        rules[0]["validate"]["pattern"]["spec"]["containers"][0]["image"],
        "registry.example.com/prod/* | registry.example.com/infra/*"
    );
    assert_eq!(
        rules[1]["verifyImages"][0]["skipImageReferences"],
        serde_json::json!(["registry.example.com/infra/*"])
    );
}

#[test]
fn policy_controller_export_has_key_authorities_with_the_promotion_attestation() {
    let docs = documents(&manifests::to_yaml(&manifests::policy_controller(&policy(
        |_| {},
    ))));
    let p = &docs[0];
    assert_eq!(p["apiVersion"], "policy.sigstore.dev/v1beta1");
    assert_eq!(p["kind"], "ClusterImagePolicy");
    assert_eq!(
        p["spec"]["images"][0]["glob"],
        "registry.example.com/prod/**"
    );
    assert_eq!(p["spec"]["mode"], "enforce");
    let authority = &p["spec"]["authorities"][0];
    assert_eq!(authority["key"]["data"], KEY);
    assert_eq!(
        authority["attestations"][0]["predicateType"],
        PROMOTION_PREDICATE_TYPE
    );
    assert_eq!(docs.len(), 1, "no exempt images, no exemption policy");

    // Exempt images: a second policy that always passes, its globs crossing `/` as the
    // policy file's do.
    let docs = documents(&manifests::to_yaml(&manifests::policy_controller(&policy(
        |p| p.exempt_images = vec!["registry.example.com/infra/*".into()],
    ))));
    assert_eq!(docs.len(), 2);
    let exempt = &docs[1];
    assert_eq!(exempt["kind"], "ClusterImagePolicy");
    assert_eq!(exempt["metadata"]["name"], "assay-golden-images-exempt");
    assert_eq!(
        exempt["spec"]["images"],
        serde_json::json!([{"glob": "registry.example.com/infra/**"}])
    );
    assert_eq!(
        exempt["spec"]["authorities"],
        serde_json::json!([{"name": "exempt", "static": {"action": "pass"}}])
    );
}

#[test]
fn the_example_policy_loads_with_its_key() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/admission/policy.yaml");
    let policy = Policy::load(&path).unwrap();
    assert_eq!(policy.file.name, "assay-golden-images");
    assert_eq!(policy.keys.len(), 1);
    assert!(policy.keys[0].1.contains("BEGIN PUBLIC KEY"));
    assert!(policy.image_exempt("registry.example.com/prod/infra/proxy:1"));
    assert!(policy.namespace_exempt("kube-system"));

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("p.yaml");
    std::fs::write(&bad, "mode: enforce\nmode2: warn\n").unwrap();
    let err = Policy::load(&bad).unwrap_err().to_string();
    assert!(
        err.contains("p.yaml:2:") && err.contains("unknown field"),
        "{err}"
    );
    std::fs::write(&bad, "trusted-keys: [missing.pub]\n").unwrap();
    let err = Policy::load(&bad).unwrap_err().to_string();
    assert!(err.contains("missing.pub"), "{err}");
}
