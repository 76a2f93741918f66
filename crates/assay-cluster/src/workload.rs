//! Pod specs inside Kubernetes objects: a Pod's own, or the template of a workload controller.
//! Shared by the audit rules (objects in request bodies) and the admission webhook (objects in
//! AdmissionReviews) so both read the same containers.

use serde_json::Value;

/// The kinds whose objects carry a pod spec, with the resource name the API uses for them.
pub(crate) const WORKLOADS: &[(&str, &str)] = &[
    ("Pod", "pods"),
    ("Deployment", "deployments"),
    ("StatefulSet", "statefulsets"),
    ("DaemonSet", "daemonsets"),
    ("ReplicaSet", "replicasets"),
    ("ReplicationController", "replicationcontrollers"),
    ("Job", "jobs"),
    ("CronJob", "cronjobs"),
];

/// The kind for an API resource name (`deployments` -> `Deployment`).
pub(crate) fn kind_of_resource(resource: &str) -> Option<&'static str> {
    WORKLOADS
        .iter()
        .find(|(_, r)| *r == resource)
        .map(|(k, _)| *k)
}

/// The pod spec of an object of `kind`, if it has one.
pub(crate) fn pod_spec<'a>(kind: &str, object: &'a Value) -> Option<&'a Value> {
    let spec = object.get("spec")?;
    let spec = match kind {
        "Pod" => spec,
        "CronJob" => spec
            .get("jobTemplate")?
            .get("spec")?
            .get("template")?
            .get("spec")?,
        _ if WORKLOADS.iter().any(|(k, _)| *k == kind) => spec.get("template")?.get("spec")?,
        _ => return None,
    };
    spec.is_object().then_some(spec)
}

/// One container of a pod spec.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Container<'a> {
    /// `containers`, `initContainers` or `ephemeralContainers`.
    pub section: &'static str,
    /// Container name.
    pub name: &'a str,
    /// Image as written.
    pub image: &'a str,
    /// The whole container object.
    pub value: &'a Value,
}

/// Every container of a pod spec: regular, init and ephemeral, in that order.
pub(crate) fn containers(spec: &Value) -> Vec<Container<'_>> {
    let mut out = Vec::new();
    for section in ["containers", "initContainers", "ephemeralContainers"] {
        let Some(list) = spec.get(section).and_then(Value::as_array) else {
            continue;
        };
        for value in list {
            out.push(Container {
                section,
                name: value.get("name").and_then(Value::as_str).unwrap_or(""),
                image: value.get("image").and_then(Value::as_str).unwrap_or(""),
                value,
            });
        }
    }
    out
}
