# Required labels: Kubernetes objects must say what they are and who owns them, and images must
# say where their source lives, so that an alert on a running container reaches a person.
#
# Input: one Kubernetes object, or a Dockerfile in Conftest's shape (an array of
# instructions; LABEL's Value is [key, value, key, value, ...] with quotes as written).
# Settings: data.assay.required_labels (Kubernetes) and data.assay.required_image_labels
# (Dockerfile), see data.yaml.
#
# Try it:  assay scan . --policy policies/
package main

import rego.v1

labels_required := object.get(data, ["assay", "required_labels"], ["app.kubernetes.io/name", "owner"])

labels_required_image := object.get(data, ["assay", "required_image_labels"], ["org.opencontainers.image.source"])

# METADATA
# title: Kubernetes object lacks a required label
# description: >-
#   Labels naming the application and its owner are how alerts, cost reports and incident
#   tooling find the team responsible for an object.
# custom:
#   id: ORG-K8S-002
#   severity: MEDIUM
#   remediation: Add the missing labels under metadata.labels.
deny_required_labels contains result if {
	is_object(input)
	input.kind
	labels := object.get(input, ["metadata", "labels"], {})
	some label in labels_required
	not labels[label]
	result := sprintf("%s %q has no %q label", [input.kind, object.get(input, ["metadata", "name"], ""), label])
}

# METADATA
# title: Image lacks a required OCI label
# description: >-
#   org.opencontainers.image.source links a running image back to its repository, which
#   scanners, registries and GitHub use to find the code and the owners.
# custom:
#   id: ORG-DF-002
#   severity: LOW
#   remediation: Add LABEL org.opencontainers.image.source="https://github.com/ORG/REPO" to the final stage.
warn_required_image_labels contains result if {
	is_array(input)
	count(labels_froms) > 0
	some label in labels_required_image
	not label in labels_final_stage
	result := {
		"msg": sprintf("the final stage sets no %q label", [label]),
		"line": labels_froms[count(labels_froms) - 1].StartLine,
	}
}

labels_froms := [ins | some ins in input; ins.Cmd == "from"]

# Keys of the labels set in the final stage, unquoted.
labels_final_stage contains key if {
	final := labels_froms[count(labels_froms) - 1].Stage
	some ins in input
	ins.Cmd == "label"
	ins.Stage == final
	some i, word in ins.Value
	i % 2 == 0
	key := trim(word, "\"'")
}
