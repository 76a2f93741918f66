# Tests for golden_base_image.rego; run them with `assay policy test policies/`.
package main

import rego.v1

golden_test_images := ["cgr.dev/chainguard/static", "gcr.io/distroless/", "alpine:3.20"]

golden_dockerfile(froms) := [ins |
	some i, image in froms
	ins := {"Cmd": "from", "Value": split(image, " "), "Stage": i, "StartLine": (i * 5) + 1, "EndLine": (i * 5) + 1}
]

test_golden_allows_a_golden_repository_with_any_tag if {
	count(deny_golden_base_image) == 0 with input as golden_dockerfile(["cgr.dev/chainguard/static:latest"])
		with data.assay.golden_images as golden_test_images
}

test_golden_allows_images_below_a_golden_prefix if {
	count(deny_golden_base_image) == 0 with input as golden_dockerfile(["gcr.io/distroless/base-debian12:nonroot"])
		with data.assay.golden_images as golden_test_images
}

test_golden_denies_a_final_stage_outside_the_list if {
	results := deny_golden_base_image with input as golden_dockerfile(["golang:1.22 AS build", "ubuntu:24.04"])
		with data.assay.golden_images as golden_test_images
	count(results) == 1
	some r in results
	contains(r.msg, "ubuntu:24.04")
	r.line == 6
}

test_golden_checks_only_the_final_stage if {
	count(deny_golden_base_image) == 0 with input as golden_dockerfile(["golang:1.22 AS build", "cgr.dev/chainguard/static"])
		with data.assay.golden_images as golden_test_images
}

test_golden_follows_a_final_stage_built_from_an_earlier_stage if {
	count(deny_golden_base_image) == 1 with input as golden_dockerfile(["ubuntu:24.04 AS base", "base"])
		with data.assay.golden_images as golden_test_images
}

test_golden_tagged_entries_allow_only_that_tag if {
	count(deny_golden_base_image) == 0 with input as golden_dockerfile(["alpine:3.20"])
		with data.assay.golden_images as golden_test_images
	count(deny_golden_base_image) == 1 with input as golden_dockerfile(["alpine:3.19"])
		with data.assay.golden_images as golden_test_images
}

test_golden_ignores_kubernetes_objects if {
	count(deny_golden_base_image) == 0 with input as {"kind": "Pod", "metadata": {"name": "x"}}
}
