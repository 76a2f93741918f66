//! What installs the webhook (`assay admission manifests`) and the same policy for clusters
//! that already run Kyverno or the sigstore policy-controller (`assay admission export`).
//! Pure generation: objects are built as JSON values and printed as one multi-document YAML
//! stream, in a fixed order, so the output is byte-identical for the same input.

use base64::Engine;
use serde_json::{Value, json};

use super::policy::{Mode, OnError, Policy};
use crate::workload;

/// The predicate type of the record `assay promote` attaches (defined once, in assay-promote).
pub use assay_promote::PROMOTION_PREDICATE_TYPE;

/// The webhook's name inside ValidatingWebhookConfiguration (a fully qualified name).
pub const WEBHOOK_NAME: &str = "images.admission.assay.dev";

/// Port the server listens on inside the pod.
pub const CONTAINER_PORT: u16 = 8443;

/// Where the generated Deployment mounts things.
const POLICY_DIR: &str = "/etc/assay/policy";
const TLS_DIR: &str = "/etc/assay/tls";
const DOCKER_DIR: &str = "/etc/assay/docker";

/// What the manifests need besides the policy.
#[derive(Debug, Clone)]
pub struct ManifestOptions {
    /// Namespace the webhook runs in.
    pub namespace: String,
    /// The assay image to run, ideally by digest.
    pub image: String,
    /// PEM of the CA that signed the serving certificate (goes into `caBundle`).
    pub ca_pem: String,
    /// Replicas of the Deployment.
    pub replicas: u32,
    /// Webhook `timeoutSeconds` (1-30).
    pub timeout_seconds: u32,
    /// A `kubernetes.io/dockerconfigjson` Secret with credentials for private registries,
    /// mounted as the webhook's `DOCKER_CONFIG`.
    pub registry_secret: Option<String>,
}

/// Invalid manifest options.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    /// The CA file holds no certificate.
    #[error("the CA file holds no PEM certificate")]
    NoCertificate,
    /// A value out of range.
    #[error("{0}")]
    Invalid(String),
}

fn labels(name: &str) -> Value {
    json!({
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/component": "admission-webhook",
        "app.kubernetes.io/managed-by": "assay",
    })
}

/// The policy as the pod reads it: key paths rewritten to the ConfigMap's file names.
fn policy_for_pod(policy: &Policy) -> (String, Vec<(String, String)>) {
    let mut file = policy.file.clone();
    let mut keys = Vec::new();
    file.trusted_keys = Vec::new();
    for (i, (_, pem)) in policy.keys.iter().enumerate() {
        let name = format!("trusted-key-{}.pub", i + 1);
        file.trusted_keys.push(name.clone().into());
        keys.push((name, pem.clone()));
    }
    (yaml_serde::to_string(&file).unwrap_or_default(), keys)
}

/// The objects, in install order.
pub fn manifests(policy: &Policy, options: &ManifestOptions) -> Result<Vec<Value>, ManifestError> {
    if !options.ca_pem.contains("-----BEGIN CERTIFICATE-----") {
        return Err(ManifestError::NoCertificate);
    }
    if !(1..=30).contains(&options.timeout_seconds) {
        return Err(ManifestError::Invalid(
            "--timeout must be between 1 and 30 seconds (the API server's limit)".into(),
        ));
    }
    if options.image.trim().is_empty() {
        return Err(ManifestError::Invalid(
            "--image must name the assay image".into(),
        ));
    }
    let name = policy.file.name.as_str();
    let ns = options.namespace.as_str();
    let tls_secret = format!("{name}-tls");
    let policy_map = format!("{name}-policy");
    let (policy_yaml, keys) = policy_for_pod(policy);
    let mut data = serde_json::Map::new();
    data.insert("policy.yaml".into(), json!(policy_yaml));
    for (file, pem) in keys {
        data.insert(file, json!(pem));
    }
    let ca_bundle = base64::engine::general_purpose::STANDARD.encode(options.ca_pem.as_bytes());

    let mut exempt: Vec<String> = policy.file.exempt_namespaces.clone();
    // The webhook never judges its own namespace: it must be able to restart while down.
    if !exempt.iter().any(|n| n == ns) {
        exempt.push(ns.to_string());
    }
    exempt.sort();
    let resources: Vec<&str> = workload::WORKLOADS
        .iter()
        .map(|(_, r)| *r)
        .chain(["pods/ephemeralcontainers"])
        .collect();
    let mut mounts = vec![
        json!({"name": "policy", "mountPath": POLICY_DIR, "readOnly": true}),
        json!({"name": "tls", "mountPath": TLS_DIR, "readOnly": true}),
    ];
    let mut volumes = vec![
        json!({"name": "policy", "configMap": {"name": policy_map}}),
        json!({"name": "tls", "secret": {"secretName": tls_secret}}),
    ];
    let mut env = Vec::new();
    if let Some(secret) = &options.registry_secret {
        mounts.push(
            json!({"name": "registry-credentials", "mountPath": DOCKER_DIR, "readOnly": true}),
        );
        volumes.push(json!({"name": "registry-credentials", "secret": {
            "secretName": secret,
            "items": [{"key": ".dockerconfigjson", "path": "config.json"}],
        }}));
        env.push(json!({"name": "DOCKER_CONFIG", "value": DOCKER_DIR}));
    }
    let probe = |path: &str| json!({"httpGet": {"path": path, "port": "https", "scheme": "HTTPS"}, "periodSeconds": 10});
    Ok(vec![
        json!({
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": ns, "labels": {
                "pod-security.kubernetes.io/enforce": "restricted",
            }},
        }),
        json!({
            "apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": name, "namespace": ns, "labels": labels(name)},
            "automountServiceAccountToken": false,
        }),
        json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": policy_map, "namespace": ns, "labels": labels(name)},
            "data": data,
        }),
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": ns, "labels": labels(name)},
            "spec": {
                "replicas": options.replicas,
                "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
                "template": {
                    "metadata": {"labels": labels(name)},
                    "spec": {
                        "serviceAccountName": name,
                        "automountServiceAccountToken": false,
                        "securityContext": {
                            "runAsNonRoot": true, "runAsUser": 65532, "runAsGroup": 65532,
                            "seccompProfile": {"type": "RuntimeDefault"},
                        },
                        "containers": [{
                            "name": "webhook",
                            "image": options.image,
                            "args": [
                                "admission", "serve",
                                "--policy", format!("{POLICY_DIR}/policy.yaml"),
                                "--cert", format!("{TLS_DIR}/tls.crt"),
                                "--key", format!("{TLS_DIR}/tls.key"),
                                "--listen", format!("0.0.0.0:{CONTAINER_PORT}"),
                            ],
                            "ports": [{"name": "https", "containerPort": CONTAINER_PORT}],
                            "readinessProbe": probe("/readyz"),
                            "livenessProbe": probe("/healthz"),
                            "resources": {
                                "requests": {"cpu": "50m", "memory": "64Mi"},
                                "limits": {"memory": "256Mi"},
                            },
                            "securityContext": {
                                "allowPrivilegeEscalation": false,
                                "readOnlyRootFilesystem": true,
                                "capabilities": {"drop": ["ALL"]},
                            },
                            "env": env,
                            "volumeMounts": mounts,
                        }],
                        "volumes": volumes,
                    },
                },
            },
        }),
        json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": ns, "labels": labels(name)},
            "spec": {
                "selector": {"app.kubernetes.io/name": name},
                "ports": [{"name": "https", "port": 443, "targetPort": "https"}],
            },
        }),
        json!({
            "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
            "metadata": {"name": name, "labels": labels(name)},
            "webhooks": [{
                "name": WEBHOOK_NAME,
                "admissionReviewVersions": ["v1"],
                "sideEffects": "None",
                // Fail closed: when the webhook is down, nothing unverified starts.
                "failurePolicy": "Fail",
                "matchPolicy": "Equivalent",
                "timeoutSeconds": options.timeout_seconds,
                "clientConfig": {
                    "service": {"name": name, "namespace": ns, "path": "/validate", "port": 443},
                    "caBundle": ca_bundle,
                },
                "namespaceSelector": {"matchExpressions": [{
                    "key": "kubernetes.io/metadata.name",
                    "operator": "NotIn",
                    "values": exempt,
                }]},
                "rules": [{
                    "apiGroups": ["", "apps", "batch"],
                    "apiVersions": ["v1"],
                    "operations": ["CREATE", "UPDATE"],
                    "resources": resources,
                    "scope": "Namespaced",
                }],
            }],
        }),
    ])
}

/// Kyverno and policy-controller image globs for the allowed registries (`*` when any).
fn image_globs(policy: &Policy, double_star: bool) -> Vec<String> {
    let any = if double_star { "**" } else { "*" };
    if policy.file.allowed_registries.is_empty() {
        return vec![any.to_string()];
    }
    policy
        .file
        .allowed_registries
        .iter()
        .map(|r| format!("{}/{any}", r.trim().trim_end_matches('/')))
        .collect()
}

/// A Kyverno `ClusterPolicy` with `verifyImages` for signatures and the promotion
/// attestation, and a pattern rule for the allowed registries.
pub fn kyverno(policy: &Policy) -> Vec<Value> {
    let file = &policy.file;
    let action = match file.mode {
        Mode::Enforce => "Enforce",
        Mode::Warn => "Audit",
    };
    let attestors = json!([{
        "count": 1,
        "entries": policy.keys.iter().map(|(_, pem)| json!({
            "keys": {
                "publicKeys": pem,
                // assay signs with keys and uploads nothing to a transparency log.
                "rekor": {"ignoreTlog": true},
                "ctlog": {"ignoreSCT": true},
            }
        })).collect::<Vec<_>>(),
    }]);
    let matching = json!({"any": [{"resources": {"kinds": ["Pod"]}}]});
    let exclude = json!({"any": [{"resources": {"namespaces": file.exempt_namespaces}}]});
    let mut rules = Vec::new();
    if !file.allowed_registries.is_empty() {
        // Exempt images skip every check in assay's webhook, the registry check included:
        // they are alternatives of the pattern (Kyverno's `|`) as well as skipped images of
        // the verifyImages rule below.
        let mut alternatives = image_globs(policy, false);
        alternatives.extend(sorted(&file.exempt_images));
        let containers = json!([{"image": alternatives.join(" | ")}]);
        rules.push(json!({
            "name": "allowed-registries",
            "match": matching,
            "exclude": exclude,
            "validate": {
                "message": format!("images must come from: {}", file.allowed_registries.join(", ")),
                "pattern": {"spec": {
                    "=(ephemeralContainers)": containers,
                    "=(initContainers)": containers,
                    "containers": containers,
                }},
            },
        }));
    }
    if file.require_signature || file.require_promotion || file.require_digest {
        let mut verify = json!({
            "imageReferences": image_globs(policy, false),
            "verifyDigest": file.require_digest,
            "mutateDigest": false,
            "required": file.require_signature || file.require_promotion,
        });
        if file.require_signature {
            verify["attestors"] = attestors.clone();
        }
        if file.require_promotion {
            verify["attestations"] = json!([{
                "type": PROMOTION_PREDICATE_TYPE,
                "attestors": attestors,
            }]);
        }
        rules.push(json!({
            "name": "golden-images",
            "match": matching,
            "exclude": exclude,
            "verifyImages": [verify],
        }));
    }
    let exempt_images = sorted(&file.exempt_images);
    let mut spec = json!({
        "validationFailureAction": action,
        "background": false,
        "webhookTimeoutSeconds": 10,
        "failurePolicy": match file.on_registry_error { OnError::Deny => "Fail", OnError::Allow => "Ignore" },
        "rules": rules,
    });
    if !exempt_images.is_empty()
        && let Some(rules) = spec["rules"].as_array_mut()
    {
        for rule in rules.iter_mut() {
            if let Some(v) = rule.get_mut("verifyImages").and_then(|v| v.get_mut(0)) {
                v["skipImageReferences"] = json!(exempt_images);
            }
        }
    }
    vec![json!({
        "apiVersion": "kyverno.io/v1",
        "kind": "ClusterPolicy",
        "metadata": {
            "name": file.name,
            "annotations": {
                "policies.kyverno.io/title": "assay golden images",
                "policies.kyverno.io/description": "Generated by `assay admission export --kyverno`: images must be signed by a trusted key and carry an assay promotion attestation.",
            },
        },
        "spec": spec,
    })]
}

/// A sigstore policy-controller `ClusterImagePolicy`: one key authority per trusted key,
/// each also requiring the promotion attestation.
pub fn policy_controller(policy: &Policy) -> Vec<Value> {
    let file = &policy.file;
    let authorities: Vec<Value> = policy
        .keys
        .iter()
        .enumerate()
        .map(|(i, (_, pem))| {
            let mut a = json!({
                "name": format!("assay-key-{}", i + 1),
                "key": {"data": pem, "hashAlgorithm": "sha256"},
            });
            if file.require_promotion {
                a["attestations"] = json!([{
                    "name": "assay-promotion",
                    "predicateType": PROMOTION_PREDICATE_TYPE,
                }]);
            }
            a
        })
        .collect();
    let images: Vec<Value> = image_globs(policy, true)
        .into_iter()
        .map(|g| json!({"glob": g}))
        .collect();
    let mode = match file.mode {
        Mode::Enforce => "enforce",
        Mode::Warn => "warn",
    };
    let mut out = vec![json!({
        "apiVersion": "policy.sigstore.dev/v1beta1",
        "kind": "ClusterImagePolicy",
        "metadata": {"name": file.name},
        "spec": {"images": images, "mode": mode, "authorities": authorities},
    })];
    // The policy-controller has no exclusions: an image must satisfy every policy whose
    // globs match it. Exempt images get a policy that always passes, which admits those
    // outside the allowed registries under `no-match-policy: deny`; exempt images inside
    // them still need the key (documented in docs/admission.md).
    let exempt = sorted(&file.exempt_images);
    if !exempt.is_empty() {
        out.push(json!({
            "apiVersion": "policy.sigstore.dev/v1beta1",
            "kind": "ClusterImagePolicy",
            "metadata": {"name": format!("{}-exempt", file.name)},
            "spec": {
                "images": exempt.iter().map(|g| json!({"glob": double_star(g)})).collect::<Vec<_>>(),
                "mode": mode,
                "authorities": [{"name": "exempt", "static": {"action": "pass"}}],
            },
        }));
    }
    out
}

fn sorted(items: &[String]) -> Vec<String> {
    let mut items = items.to_vec();
    items.sort();
    items
}

/// A glob as the policy-controller reads it: its `*` stops at `/`, where the globs of the
/// policy file (globset, as in Kyverno) do not; `**` crosses it.
fn double_star(glob: &str) -> String {
    let mut out = String::with_capacity(glob.len() + 2);
    let mut rest = glob;
    while let Some(i) = rest.find('*') {
        out.push_str(&rest[..i]);
        out.push_str("**");
        rest = rest[i..].trim_start_matches('*');
    }
    out.push_str(rest);
    out
}

/// Objects as one YAML stream (`---` between documents).
pub fn to_yaml(objects: &[Value]) -> String {
    objects
        .iter()
        .map(|o| yaml_serde::to_string(o).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("---\n")
}
