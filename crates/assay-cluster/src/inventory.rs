//! Rules about the images running in a cluster (`assay scan --k8s-pods`): the node image
//! inventory reports each distinct image with its findings, its golden base image, and, through
//! these rules, whether it went through `assay promote`.

use assay_core::{Rule, RuleTarget, Severity};

/// A running image without a promotion attestation by a trusted key.
pub const NOT_PROMOTED: Rule = Rule {
    id: "ASSAY-RUN-001",
    target: RuleTarget::Audit,
    severity: Severity::High,
    title: "Running image was not promoted through assay",
    description: "The image runs in the cluster but carries no assay promotion attestation signed by a trusted key: it did not pass the golden-image policy (scan, signature, approvals), or was changed after.",
    remediation: "Promote the image with `assay promote` and redeploy by digest; enforce promotion at admission with `assay admission`.",
    equivalents: &["mitre:T1610"],
    opt_in: false,
};

/// Every running-image rule.
pub static RULES: &[Rule] = &[NOT_PROMOTED];

/// The running-image rule with this id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// One image of the inventory: where it runs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RunningImage {
    /// The reference to scan: `registry/repo@sha256:...` when the pod status names the digest,
    /// else the image as written in the pod spec.
    pub reference: String,
    /// `namespace/pod (container)` for each container running it, sorted.
    pub users: Vec<String>,
}

/// Input that is neither a pod list nor a list of image references.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct InventoryError {
    /// The file.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// The digest-pinned reference a container status names (`imageID`), if it names one:
/// containerd writes `docker.io/library/nginx@sha256:...`, dockershim
/// `docker-pullable://nginx@sha256:...`.
fn pinned_image_id(image_id: &str) -> Option<String> {
    let id = image_id
        .strip_prefix("docker-pullable://")
        .or_else(|| image_id.strip_prefix("docker://"))
        .unwrap_or(image_id);
    let (name, digest) = id.split_once('@')?;
    (!name.is_empty() && digest.starts_with("sha256:")).then(|| id.to_string())
}

/// Reads `kubectl get pods -A -o json` output (a `List` or `PodList`, or one `Pod`), or a
/// text file of image references (one a line, `#` comments), and returns each distinct image
/// once (by digest where the status gives one), sorted by reference.
pub fn read(text: &str, file: &str) -> Result<Vec<RunningImage>, InventoryError> {
    use serde_json::Value;
    let mut images: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') {
        let doc: Value = serde_json::from_str(text).map_err(|e| InventoryError {
            file: file.to_string(),
            line: e.line(),
            message: format!("invalid JSON: {e}"),
        })?;
        let pods: Vec<&Value> = match doc.get("kind").and_then(Value::as_str) {
            Some("Pod") => vec![&doc],
            Some("List") | Some("PodList") => doc
                .get("items")
                .and_then(Value::as_array)
                .map(|a| a.iter().collect())
                .unwrap_or_default(),
            other => {
                return Err(InventoryError {
                    file: file.to_string(),
                    line: 1,
                    message: format!(
                        "expected `kubectl get pods -o json` output (a List of Pods), found kind {other:?}"
                    ),
                });
            }
        };
        for pod in pods {
            if pod
                .get("kind")
                .and_then(Value::as_str)
                .is_some_and(|k| k != "Pod")
            {
                continue;
            }
            let meta = |k: &str| {
                pod.get("metadata")
                    .and_then(|m| m.get(k))
                    .and_then(Value::as_str)
                    .unwrap_or("")
            };
            let pod_name = format!("{}/{}", meta("namespace"), meta("name"));
            let mut ids = std::collections::BTreeMap::new();
            if let Some(status) = pod.get("status") {
                for key in [
                    "containerStatuses",
                    "initContainerStatuses",
                    "ephemeralContainerStatuses",
                ] {
                    for s in status
                        .get(key)
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        let name = s.get("name").and_then(Value::as_str).unwrap_or("");
                        let id = s.get("imageID").and_then(Value::as_str).unwrap_or("");
                        if let Some(pinned) = pinned_image_id(id) {
                            ids.insert(name.to_string(), pinned);
                        }
                    }
                }
            }
            let Some(spec) = crate::workload::pod_spec("Pod", pod) else {
                continue;
            };
            for c in crate::workload::containers(spec) {
                let reference = ids
                    .get(c.name)
                    .cloned()
                    .unwrap_or_else(|| c.image.to_string());
                if reference.is_empty() {
                    continue;
                }
                images
                    .entry(reference)
                    .or_default()
                    .push(format!("{pod_name} ({}/{})", c.section, c.name));
            }
        }
    } else {
        for (i, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            if line.contains(char::is_whitespace) {
                return Err(InventoryError {
                    file: file.to_string(),
                    line: i + 1,
                    message: format!("{line:?} is not an image reference"),
                });
            }
            images.entry(line.to_string()).or_default();
        }
    }
    // One entry per digest: the same digest pulled under two names is scanned once.
    let mut by_digest: std::collections::BTreeMap<String, RunningImage> = Default::default();
    for (reference, mut users) in images {
        let key = reference
            .split_once('@')
            .map_or(reference.clone(), |(_, d)| d.to_string());
        let entry = by_digest.entry(key).or_insert_with(|| RunningImage {
            reference: reference.clone(),
            users: Vec::new(),
        });
        entry.users.append(&mut users);
    }
    let mut out: Vec<RunningImage> = by_digest
        .into_values()
        .map(|mut i| {
            i.users.sort();
            i.users.dedup();
            i
        })
        .collect();
    out.sort_by(|a, b| a.reference.cmp(&b.reference));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pod_lists_give_distinct_digests_with_their_users() {
        let d = format!("sha256:{}", "a".repeat(64));
        let pods = serde_json::json!({"kind": "List", "apiVersion": "v1", "items": [
            {"kind": "Pod", "metadata": {"name": "a", "namespace": "shop"},
             "spec": {"containers": [{"name": "app", "image": "reg.example.com/web:1"}]},
             "status": {"containerStatuses": [{"name": "app", "imageID": format!("reg.example.com/web@{d}")}]}},
            {"kind": "Pod", "metadata": {"name": "b", "namespace": "shop"},
             "spec": {"containers": [{"name": "app", "image": "reg.example.com/web:1"}],
                      "initContainers": [{"name": "init", "image": "busybox:1.36"}]},
             "status": {"containerStatuses": [{"name": "app", "imageID": format!("docker-pullable://reg.example.com/web@{d}")}],
                        "initContainerStatuses": [{"name": "init", "imageID": "sha256:1234"}]}}
        ]});
        let images = read(&pods.to_string(), "pods.json").expect("reads");
        assert_eq!(images.len(), 2);
        assert_eq!(images[0].reference, "busybox:1.36");
        assert_eq!(images[1].reference, format!("reg.example.com/web@{d}"));
        assert_eq!(
            images[1].users,
            ["shop/a (containers/app)", "shop/b (containers/app)"]
        );
    }

    #[test]
    fn text_lists_and_errors() {
        let images = read("# running\nnginx:1.27\n\nnginx:1.27\n", "images.txt").expect("reads");
        assert_eq!(images.len(), 1);
        let err = read("nginx 1.27\n", "images.txt").expect_err("fails");
        assert_eq!(
            err.to_string(),
            "images.txt:1: \"nginx 1.27\" is not an image reference"
        );
        let err = read("{\"kind\": \"Deployment\"}", "x.json").expect_err("fails");
        assert!(err.to_string().starts_with("x.json:1: expected"));
    }
}
