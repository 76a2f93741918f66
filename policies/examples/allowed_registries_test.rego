# Tests for allowed_registries.rego; run them with `assay policy test policies/`.
package main

import rego.v1

registries_test_allowed := ["registry.example.com", "ghcr.io/assay-dev/"]

registries_deployment(images) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "web", "namespace": "shop"},
	"spec": {"template": {"spec": {"containers": [{"name": sprintf("c%d", [i]), "image": image} | some i, image in images]}}},
}

test_registries_allows_images_from_an_allowed_host if {
	count(deny_allowed_registries) == 0 with input as registries_deployment(["registry.example.com/team/web:1.2"])
		with data.assay.allowed_registries as registries_test_allowed
}

test_registries_allows_images_below_an_allowed_prefix if {
	count(deny_allowed_registries) == 0 with input as registries_deployment(["ghcr.io/assay-dev/api@sha256:0123"])
		with data.assay.allowed_registries as registries_test_allowed
}

test_registries_denies_docker_hub_short_names if {
	results := deny_allowed_registries with input as registries_deployment(["nginx:1.27", "registry.example.com/ok:1"])
		with data.assay.allowed_registries as registries_test_allowed
	count(results) == 1
	some r in results
	contains(r.msg, "nginx:1.27")
	r.resource == "Deployment/shop/web"
}

test_registries_does_not_confuse_a_host_with_a_longer_one if {
	count(deny_allowed_registries) == 1 with input as registries_deployment(["registry.example.com.evil.io/x:1"])
		with data.assay.allowed_registries as registries_test_allowed
}

test_registries_checks_init_containers_of_cronjobs if {
	cronjob := {
		"apiVersion": "batch/v1",
		"kind": "CronJob",
		"metadata": {"name": "nightly"},
		"spec": {"jobTemplate": {"spec": {"template": {"spec": {
			"initContainers": [{"name": "init", "image": "quay.io/x/y:1"}],
			"containers": [{"name": "main", "image": "registry.example.com/job:1"}],
		}}}}},
	}
	results := deny_allowed_registries with input as cronjob
		with data.assay.allowed_registries as registries_test_allowed
	count(results) == 1
	some r in results
	contains(r.msg, "init container \"init\"")
}

test_registries_ignores_objects_without_pods if {
	count(deny_allowed_registries) == 0 with input as {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}
}
