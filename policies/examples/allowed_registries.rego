# Allowed registries: every container of a Kubernetes workload must pull its image from one of
# the organisation's registries, where images are scanned, signed and mirrored.
#
# Input: one Kubernetes object (a Pod, a workload with spec.template, a CronJob).
# Settings: data.assay.allowed_registries (see data.yaml); an entry is a registry host
# ("registry.example.com") or a prefix ending in "/" ("ghcr.io/assay-dev/"). Docker Hub short
# names ("nginx") count as "docker.io/library/nginx".
#
# Try it:  assay scan k8s/ --policy policies/
package main

import rego.v1

registries_default := ["registry.example.com"]

registries_allowed := object.get(data, ["assay", "allowed_registries"], registries_default)

# METADATA
# title: Container image comes from a registry that is not allowed
# description: >-
#   Images from outside the allowed registries bypass the organisation's scanning, signing and
#   mirroring, and can change or disappear without notice.
# custom:
#   id: ORG-K8S-001
#   severity: HIGH
#   remediation: Mirror the image into an allowed registry and reference it from there.
deny_allowed_registries contains result if {
	some container in registries_containers
	image := object.get(container, "image", "")
	not registries_is_allowed(image)
	result := {
		"msg": sprintf("%s %q uses image %q from a registry that is not allowed (allowed: %s)", [container.kind, container.name, image, concat(", ", registries_allowed)]),
		"resource": registries_resource,
	}
}

registries_pod_spec := input.spec if input.kind == "Pod"

registries_pod_spec := input.spec.template.spec if input.spec.template.spec

registries_pod_spec := input.spec.jobTemplate.spec.template.spec if input.kind == "CronJob"

registries_containers contains object.union(c, {"kind": kind}) if {
	some field, kind in {"containers": "container", "initContainers": "init container", "ephemeralContainers": "ephemeral container"}
	some c in object.get(registries_pod_spec, field, [])
}

registries_resource := concat("/", [x | some x in [input.kind, object.get(input.metadata, "namespace", ""), input.metadata.name]; x != ""])

registries_is_allowed(image) if {
	some entry in registries_allowed
	startswith(registries_normalize(image), registries_prefix(entry))
}

# A bare host allows every repository on it.
registries_prefix(entry) := entry if endswith(entry, "/")

else := sprintf("%s/", [entry])

registries_normalize(ref) := sprintf("docker.io/library/%s", [ref]) if {
	not contains(ref, "/")
} else := sprintf("docker.io/%s", [ref]) if {
	first := split(ref, "/")[0]
	not contains(first, ".")
	not contains(first, ":")
	first != "localhost"
} else := ref
