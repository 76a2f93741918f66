//! How Kubernetes manifests are read: every document of a YAML stream, JSON, `List` kinds,
//! anchors and merge keys; non-Kubernetes YAML skipped; broken input reported with its line;
//! findings placed on the exact key.
#![allow(clippy::unwrap_used)]

use assay_iac::{IacOptions, k8s};

fn all_rules() -> IacOptions {
    IacOptions {
        enable: k8s::RULES.iter().map(|r| r.id.to_string()).collect(),
        ..IacOptions::default()
    }
}

fn findings(text: &str) -> Vec<assay_core::Finding> {
    k8s::scan("deploy.yaml", text, &IacOptions::default())
        .unwrap()
        .findings
}

const POD: &str = "\
# a pod with one problem per container
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
spec:
  containers:
    - name: web
      image: nginx:1.27
      securityContext:
        privileged: true
";

#[test]
fn reads_every_document_of_a_stream_with_comments_and_empty_documents() {
    let text = "# leading comment\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n---\n# only a comment\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  namespace: shop # trailing\ndata:\n  a: b\n...\n";
    let docs = k8s::documents("m.yaml", text).unwrap();
    let kinds: Vec<_> = docs.iter().map(|d| (d.kind.as_str(), d.line)).collect();
    assert_eq!(kinds, vec![("Namespace", 3), ("ConfigMap", 10)]);
    assert_eq!(docs[1].namespace.as_deref(), Some("shop"));
    assert_eq!(docs[1].name, "cfg");
    assert_eq!(docs[1].object["data"]["a"], "b");
}

#[test]
fn reads_json_manifests_with_tab_indentation() {
    let text = "{\n\t\"apiVersion\": \"v1\",\n\t\"kind\": \"Pod\",\n\t\"metadata\": {\"name\": \"web\"},\n\t\"spec\": {\"containers\": [\n\t\t{\"name\": \"web\", \"image\": \"nginx:1.27\", \"securityContext\": {\"privileged\": true}}\n\t]}\n}\n";
    let scan = k8s::scan("pod.json", text, &IacOptions::default()).unwrap();
    assert!(scan.is_kubernetes);
    let privileged = scan
        .findings
        .iter()
        .find(|f| f.rule_id == "ASSAY-K8S-001")
        .unwrap();
    assert_eq!(privileged.location.line, Some(6));
}

#[test]
fn expands_list_kinds_into_their_items() {
    let text = "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Service\n    metadata:\n      name: a\n    spec:\n      type: NodePort\n  - apiVersion: v1\n    kind: Service\n    metadata:\n      name: b\n    spec:\n      type: NodePort\n";
    let docs = k8s::documents("list.yaml", text).unwrap();
    assert_eq!(
        docs.iter().map(|d| d.name.as_str()).collect::<Vec<_>>(),
        ["a", "b"]
    );
    assert_eq!(docs[1].line, 10);
    let node_ports: Vec<_> = findings(text)
        .into_iter()
        .filter(|f| f.rule_id == "ASSAY-K8S-079")
        .map(|f| (f.resource.unwrap(), f.location.line))
        .collect();
    assert_eq!(
        node_ports,
        [
            ("Service/a".to_string(), Some(9)),
            ("Service/b".to_string(), Some(15))
        ]
    );
}

#[test]
fn skips_yaml_that_is_not_kubernetes_quietly() {
    let text = "name: CI\non:\n  push:\n    branches: [main]\njobs:\n  build:\n    runs-on: ubuntu-latest\n";
    let scan = k8s::scan(".github/workflows/ci.yaml", text, &IacOptions::default()).unwrap();
    assert!(!scan.is_kubernetes);
    assert!(scan.findings.is_empty());
    assert!(
        k8s::documents("x.yaml", "kind: Pod\napiVersion: 1\n")
            .unwrap()
            .is_empty()
    );
    assert!(
        !k8s::scan("e.yaml", "", &IacOptions::default())
            .unwrap()
            .is_kubernetes
    );
}

#[test]
fn broken_yaml_is_an_error_naming_path_and_line() {
    let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  labels: [a, b\nspec: {}\n";
    let err = k8s::scan("bad.yaml", text, &IacOptions::default()).unwrap_err();
    assert_eq!(err.path, "bad.yaml");
    assert!(err.line.is_some_and(|l| (5..=6).contains(&l)), "{err}");
    assert!(err.to_string().starts_with("bad.yaml:"), "{err}");

    let err = k8s::scan(
        "dup.yaml",
        "apiVersion: v1\nkind: Pod\nkind: Service\n",
        &IacOptions::default(),
    )
    .unwrap_err();
    assert_eq!(err.line, Some(3), "{err}");

    let err = k8s::scan(
        "bad.json",
        "{\"apiVersion\": \"v1\",\n \"kind\": [\"Pod\"}\n",
        &IacOptions::default(),
    )
    .unwrap_err();
    assert_eq!(err.line, Some(2), "{err}");
}

#[test]
fn resolves_anchors_aliases_and_merge_keys() {
    let text = "\
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
spec:
  containers:
    - &base
      name: web
      image: nginx:1.27
      securityContext: &hardened
        privileged: true
    - <<: *base
      name: sidecar
";
    let hits: Vec<_> = findings(text)
        .into_iter()
        .filter(|f| f.rule_id == "ASSAY-K8S-001")
        .map(|f| f.message)
        .collect();
    assert_eq!(
        hits,
        [
            "container \"web\" of Pod/shop/web runs privileged",
            "container \"sidecar\" of Pod/shop/web runs privileged"
        ]
    );
    let docs = k8s::documents("a.yaml", text).unwrap();
    assert_eq!(
        docs[0].object["spec"]["containers"][1]["image"],
        "nginx:1.27"
    );
    assert_eq!(docs[0].object["spec"]["containers"][1]["name"], "sidecar");
}

#[test]
fn findings_point_at_the_offending_key_or_the_container_line() {
    let all = findings(POD);
    let privileged = all.iter().find(|f| f.rule_id == "ASSAY-K8S-001").unwrap();
    assert_eq!(
        (privileged.location.line, privileged.location.column),
        (Some(12), Some(9))
    );
    assert_eq!(privileged.location.path, "deploy.yaml");
    assert_eq!(privileged.resource.as_deref(), Some("Pod/shop/web"));
    assert_eq!(
        privileged.message,
        "container \"web\" of Pod/shop/web runs privileged"
    );
    assert!(privileged.fix.is_some());
    // A missing key is reported on the container's `- name:` line.
    let probe = all.iter().find(|f| f.rule_id == "ASSAY-K8S-039").unwrap();
    assert_eq!(
        (probe.location.line, probe.location.column),
        (Some(9), Some(7))
    );
}

#[test]
fn workloads_are_reduced_to_their_pod_spec_including_cronjobs() {
    let text = "\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: report
  namespace: shop
spec:
  schedule: \"0 3 * * *\"
  jobTemplate:
    spec:
      template:
        spec:
          hostPID: true
          restartPolicy: OnFailure
          initContainers:
            - name: init
              image: busybox:1.36
          containers:
            - name: report
              image: registry.example.com/report:2.1
";
    let all = findings(text);
    let host_pid = all.iter().find(|f| f.rule_id == "ASSAY-K8S-003").unwrap();
    assert_eq!(host_pid.location.line, Some(12));
    assert_eq!(host_pid.resource.as_deref(), Some("CronJob/shop/report"));
    assert!(all.iter().any(|f| {
        f.message
            .starts_with("init container \"init\" of CronJob/shop/report")
    }));
    // Jobs have no probes to check.
    assert!(!all.iter().any(|f| f.rule_id == "ASSAY-K8S-039"));
}

#[test]
fn never_panics_on_odd_shapes() {
    for text in [
        "apiVersion: v1\nkind: Pod\nspec: []\n",
        "apiVersion: v1\nkind: Pod\nspec:\n  containers: web\n",
        "apiVersion: v1\nkind: Pod\nspec:\n  containers: [1, null, {securityContext: 5}]\n  volumes: [{hostPath: 3}]\n",
        "apiVersion: v1\nkind: Deployment\nmetadata: []\nspec:\n  template: 1\n",
        "apiVersion: v1\nkind: ClusterRole\nrules: [{verbs: 1, resources: [2]}]\n",
        "apiVersion: v1\nkind: List\nitems: 3\n",
        "apiVersion: v1\nkind: Service\nspec:\n  type: [NodePort]\n",
        "- a\n- b\n",
        "just a string",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n? [complex, key]\n: value\n",
        "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
    ] {
        let _ = k8s::scan("odd.yaml", text, &all_rules());
    }
}
