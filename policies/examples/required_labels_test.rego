# Tests for required_labels.rego; run them with `assay policy test policies/`.
package main

import rego.v1

test_labels_allows_objects_with_every_label if {
	count(deny_required_labels) == 0 with input as {
		"apiVersion": "v1", "kind": "Service",
		"metadata": {"name": "web", "labels": {"app.kubernetes.io/name": "web", "owner": "team-shop"}},
	}
}

test_labels_denies_each_missing_label if {
	results := deny_required_labels with input as {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}}
	results == {
		"Service \"web\" has no \"app.kubernetes.io/name\" label",
		"Service \"web\" has no \"owner\" label",
	}
}

test_labels_reads_the_list_from_data if {
	count(deny_required_labels) == 0 with input as {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "labels": {"team": "x"}}}
		with data.assay.required_labels as ["team"]
}

test_labels_warns_when_the_final_stage_has_no_source_label if {
	dockerfile := [
		{"Cmd": "from", "Value": ["golang:1.22", "AS", "build"], "Stage": 0, "StartLine": 1},
		{"Cmd": "label", "Value": ["org.opencontainers.image.source", "\"https://x\""], "Stage": 0, "StartLine": 2},
		{"Cmd": "from", "Value": ["cgr.dev/chainguard/static"], "Stage": 1, "StartLine": 4},
	]
	results := warn_required_image_labels with input as dockerfile
	count(results) == 1
	some r in results
	r.line == 4
}

test_labels_accepts_a_quoted_source_label_among_others if {
	dockerfile := [
		{"Cmd": "from", "Value": ["cgr.dev/chainguard/static"], "Stage": 0, "StartLine": 1},
		{"Cmd": "label", "Value": ["maintainer", "me", "\"org.opencontainers.image.source\"", "\"https://x\""], "Stage": 0, "StartLine": 2},
	]
	count(warn_required_image_labels) == 0 with input as dockerfile
}
