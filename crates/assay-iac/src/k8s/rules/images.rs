//! Where container images come from and how they are pinned: mutable tags, missing digests,
//! pull policy, registries outside the allowed list (image source verification), and images of
//! known-risky components.

use assay_core::{Rule, Severity};

use super::{Sink, pods, rule};
use crate::image_ref::ImageRef;
use crate::k8s::load::Node;
use crate::k8s::object::Object;

pub(super) const LATEST_TAG: Rule = rule(
    "ASSAY-K8S-044",
    Severity::Medium,
    "Image uses the latest tag",
    "`latest` moves with every push: what runs is not what was reviewed or scanned, and a rollback cannot return to a known image.",
    "Pin the image to a version tag, ideally with its digest (`repo:1.4.2@sha256:...`).",
    &[
        "kube-score:container-image-tag",
        "checkov:CKV_K8S_14",
        "trivy:KSV013",
    ],
);

pub(super) const NO_TAG: Rule = rule(
    "ASSAY-K8S-045",
    Severity::Medium,
    "Image has no tag",
    "An image without a tag or digest means `latest`: what runs changes with every push to the repository.",
    "Add a version tag, ideally with its digest (`repo:1.4.2@sha256:...`).",
    &[
        "kube-score:container-image-tag",
        "checkov:CKV_K8S_14",
        "trivy:KSV013",
    ],
);

pub(super) const NO_DIGEST: Rule = Rule {
    opt_in: true,
    ..rule(
        "ASSAY-K8S-046",
        Severity::Low,
        "Image is not pinned by digest",
        "Tags can be moved to other content; only a digest guarantees the image that was scanned and signed is the one that runs.",
        "Reference the image by digest (`repo:1.4.2@sha256:...`), for example with a Renovate or kustomize image pin.",
        &["checkov:CKV_K8S_43"],
    )
};

pub(super) const PULL_POLICY: Rule = rule(
    "ASSAY-K8S-047",
    Severity::Low,
    "Mutable image tag without imagePullPolicy Always",
    "With a tag that can move and a pull policy other than Always, nodes keep running whatever version they pulled first, so replicas drift apart.",
    "Pin the image by digest, or set `imagePullPolicy: Always`.",
    &[
        "kube-score:container-image-pull-policy",
        "checkov:CKV_K8S_15",
    ],
);

pub(super) const UNTRUSTED_REGISTRY: Rule = rule(
    "ASSAY-K8S-048",
    Severity::High,
    "Image comes from a registry outside the allowed list",
    "Images from unvetted registries bypass the organisation's scanning, signing and promotion process (image source verification).",
    "Promote the image into an allowed registry and reference it from there, or add the registry to `allowed-registries`.",
    &["trivy:KSV0125"],
);

pub(super) const TILLER: Rule = rule(
    "ASSAY-K8S-049",
    Severity::High,
    "Helm v2 Tiller is deployed",
    "Tiller runs with cluster-wide privileges and an unauthenticated gRPC endpoint by default; anyone reaching it controls the cluster.",
    "Remove Tiller and migrate to Helm 3, which has no in-cluster component.",
    &["checkov:CKV_K8S_34", "trivy:KSV102"],
);

pub(super) const DASHBOARD: Rule = rule(
    "ASSAY-K8S-050",
    Severity::Medium,
    "Kubernetes dashboard is deployed",
    "The dashboard is a frequent entry point when exposed or granted broad rights (the Tesla cluster compromise started there).",
    "Remove the dashboard, or restrict it to read-only access behind authentication.",
    &["checkov:CKV_K8S_33"],
);

pub(super) fn check(objects: &[Object<'_>], sink: &mut Sink<'_>) {
    let allowed = sink.options().allowed_registries.clone();
    for (object, pod) in pods(objects) {
        for container in pod.containers() {
            let Some(at) = container.image() else {
                continue;
            };
            let image = at.as_str().unwrap_or("");
            let reference = ImageRef::parse(image);
            let field = "image";
            if reference.digest.is_none() {
                match reference.tag.as_deref() {
                    Some("latest") => sink.container(
                        &LATEST_TAG,
                        object,
                        &container,
                        at,
                        field,
                        &format!("uses the latest tag (\"{image}\")"),
                    ),
                    None => sink.container(
                        &NO_TAG,
                        object,
                        &container,
                        at,
                        field,
                        &format!("uses an image without tag (\"{image}\")"),
                    ),
                    Some(_) => {}
                }
                sink.container(
                    &NO_DIGEST,
                    object,
                    &container,
                    at,
                    field,
                    &format!("uses an image not pinned by digest (\"{image}\")"),
                );
                let policy = container.node.get("imagePullPolicy");
                let explicit = policy.and_then(Node::as_str);
                // Kubernetes defaults to Always for `latest` and untagged images only.
                let defaults_to_always = matches!(reference.tag.as_deref(), None | Some("latest"));
                let always = explicit.map_or(defaults_to_always, |p| p == "Always");
                if !always {
                    sink.container(
                        &PULL_POLICY,
                        object,
                        &container,
                        policy.unwrap_or(at),
                        "imagePullPolicy",
                        &format!(
                            "pulls the mutable tag \"{image}\" with imagePullPolicy {}",
                            explicit.unwrap_or("IfNotPresent")
                        ),
                    );
                }
            }
            if !allowed.is_empty() && !allowed.iter().any(|a| reference.allowed_by(a)) {
                sink.container(
                    &UNTRUSTED_REGISTRY,
                    object,
                    &container,
                    at,
                    field,
                    &format!(
                        "uses \"{image}\" ({}), outside the allowed registries",
                        reference.full_name()
                    ),
                );
            }
            let repository = reference.repository.to_ascii_lowercase();
            if repository.ends_with("/tiller") || repository == "tiller" {
                sink.container(
                    &TILLER,
                    object,
                    &container,
                    at,
                    field,
                    "runs Helm v2 Tiller",
                );
            }
            if repository.ends_with("kubernetes-dashboard")
                || repository.ends_with("kubernetesui/dashboard")
            {
                sink.container(
                    &DASHBOARD,
                    object,
                    &container,
                    at,
                    field,
                    "runs the Kubernetes dashboard",
                );
            }
        }
    }
}
