//! A typed view over a loaded Kubernetes object: its identity, and for workloads the pod spec
//! and containers with their positions, so that rules do not each re-learn where a CronJob keeps
//! its containers.

use super::load::Node;

/// One Kubernetes object (a document, or an item of a `List`).
#[derive(Debug)]
pub(crate) struct Object<'a> {
    /// `kind`.
    pub kind: &'a str,
    /// `metadata.name` (or `generateName`), empty when absent.
    pub name: &'a str,
    /// `metadata.namespace`, when written.
    pub namespace: Option<&'a str>,
    /// The whole object.
    pub root: &'a Node,
    /// `Kind/namespace/name`, or `Kind/name` when no namespace is written.
    pub resource: String,
}

/// Kinds that are not namespaced, so a missing namespace means nothing for them.
const CLUSTER_SCOPED: &[&str] = &[
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "Node",
    "PersistentVolume",
    "StorageClass",
    "CustomResourceDefinition",
    "PriorityClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "PodSecurityPolicy",
    "APIService",
    "IngressClass",
    "RuntimeClass",
    "CSIDriver",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
];

impl<'a> Object<'a> {
    /// The object in `root` when it is Kubernetes: a mapping with string `apiVersion` and `kind`.
    pub fn from_node(root: &'a Node) -> Option<Self> {
        root.get("apiVersion")?.as_str()?;
        let kind = root.get("kind")?.as_str()?;
        let meta = root.get("metadata");
        let name = meta
            .and_then(|m| m.get("name").or_else(|| m.get("generateName")))
            .and_then(Node::as_str)
            .unwrap_or("");
        let namespace = meta.and_then(|m| m.get("namespace")).and_then(Node::as_str);
        let resource = match namespace {
            Some(ns) => format!("{kind}/{ns}/{name}"),
            None => format!("{kind}/{name}"),
        };
        Some(Object {
            kind,
            name,
            namespace,
            root,
            resource,
        })
    }

    /// Whether the kind lives in a namespace.
    pub fn is_namespaced(&self) -> bool {
        !CLUSTER_SCOPED.contains(&self.kind)
    }

    /// The namespace the object lands in when applied without `-n`.
    pub fn effective_namespace(&self) -> &'a str {
        self.namespace.unwrap_or("default")
    }

    /// `metadata`, when present.
    pub fn metadata(&self) -> Option<&'a Node> {
        self.root.get("metadata")
    }

    /// The pod this object runs, for the workload kinds.
    pub fn pod(&self) -> Option<Pod<'a>> {
        let (spec, meta) = match self.kind {
            "Pod" => (self.root.get("spec")?, self.root.get("metadata")),
            "Deployment"
            | "StatefulSet"
            | "DaemonSet"
            | "ReplicaSet"
            | "ReplicationController"
            | "Job" => {
                let template = self.root.at("spec.template")?;
                (template.get("spec")?, template.get("metadata"))
            }
            "PodTemplate" => {
                let template = self.root.get("template")?;
                (template.get("spec")?, template.get("metadata"))
            }
            "CronJob" => {
                let template = self.root.at("spec.jobTemplate.spec.template")?;
                (template.get("spec")?, template.get("metadata"))
            }
            _ => return None,
        };
        Some(Pod { spec, meta })
    }

    /// Metadata blocks that may carry suppression annotations: the object's, the pod
    /// template's and, for a CronJob, the job template's.
    pub fn annotated_metadata(&self) -> Vec<&'a Node> {
        let mut out: Vec<&'a Node> = self.metadata().into_iter().collect();
        if let Some(m) = self.root.at("spec.jobTemplate.metadata") {
            out.push(m);
        }
        if let Some(m) = self.pod().and_then(|p| p.meta)
            && self.kind != "Pod"
        {
            out.push(m);
        }
        out
    }
}

/// A pod spec and the metadata next to it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pod<'a> {
    /// The pod spec (`containers`, `volumes`, `securityContext`, ...).
    pub spec: &'a Node,
    /// The pod's (or template's) metadata.
    pub meta: Option<&'a Node>,
}

/// Which list of the pod spec a container is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ContainerKind {
    Container,
    Init,
    Ephemeral,
}

/// One container of a pod spec.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Container<'a> {
    /// `name`, empty when absent.
    pub name: &'a str,
    /// Which list it is in.
    pub kind: ContainerKind,
    /// The container mapping; its position is the `- name:` line.
    pub node: &'a Node,
}

impl<'a> Container<'a> {
    /// How messages and anchors name the container: `container "web"`.
    pub fn label(&self) -> String {
        let list = match self.kind {
            ContainerKind::Container => "container",
            ContainerKind::Init => "init container",
            ContainerKind::Ephemeral => "ephemeral container",
        };
        format!("{list} \"{}\"", self.name)
    }

    /// The anchor part naming the container: `container:web`.
    pub fn anchor(&self) -> String {
        let list = match self.kind {
            ContainerKind::Container => "container",
            ContainerKind::Init => "initContainer",
            ContainerKind::Ephemeral => "ephemeralContainer",
        };
        format!("{list}:{}", self.name)
    }

    /// `securityContext.<field>` of the container.
    pub fn security(&self, field: &str) -> Option<&'a Node> {
        self.node.get("securityContext")?.at(field)
    }

    /// `image`, when written as a string.
    pub fn image(&self) -> Option<&'a Node> {
        self.node.get("image").filter(|n| n.as_str().is_some())
    }
}

impl<'a> Pod<'a> {
    /// Every container: init containers, containers, then ephemeral containers.
    pub fn containers(&self) -> Vec<Container<'a>> {
        let mut out = Vec::new();
        for (key, kind) in [
            ("initContainers", ContainerKind::Init),
            ("containers", ContainerKind::Container),
            ("ephemeralContainers", ContainerKind::Ephemeral),
        ] {
            for node in self.spec.get(key).map(Node::items).unwrap_or_default() {
                if node.entries().is_empty() {
                    continue;
                }
                let name = node.get("name").and_then(Node::as_str).unwrap_or("");
                out.push(Container { name, kind, node });
            }
        }
        out
    }

    /// `securityContext.<field>` of the pod.
    pub fn security(&self, field: &str) -> Option<&'a Node> {
        self.spec.get("securityContext")?.at(field)
    }

    /// The container's setting for a field both levels have (`runAsNonRoot`,
    /// `seccompProfile.type`): the container's when written, else the pod's.
    pub fn effective(&self, container: &Container<'a>, field: &str) -> Option<&'a Node> {
        container.security(field).or_else(|| self.security(field))
    }

    /// `metadata.annotations.<key>` of the pod (template) as a string.
    pub fn annotation(&self, key: &str) -> Option<&'a Node> {
        self.meta?.get("annotations")?.get(key)
    }

    /// `volumes`.
    pub fn volumes(&self) -> &'a [Node] {
        self.spec
            .get("volumes")
            .map(Node::items)
            .unwrap_or_default()
    }

    /// The pod's labels, for matching NetworkPolicy selectors.
    pub fn labels(&self) -> &'a [(String, Node)] {
        self.meta
            .and_then(|m| m.get("labels"))
            .map(Node::entries)
            .unwrap_or_default()
    }
}
