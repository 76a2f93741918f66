# Golden base images: a Dockerfile's final stage must be built FROM one of the organisation's
# golden images, the ones the platform team patches, scans and supports.
#
# Input: a Dockerfile in Conftest's shape, one object per instruction:
#   [{"Cmd": "from", "Value": ["node:20", "AS", "build"], "Stage": 0, "StartLine": 1, ...}, ...]
# Settings: data.assay.golden_images (see data.yaml); entries are a repository
# ("cgr.dev/chainguard/static", any tag), a repository with a tag ("alpine:3.20", that tag only)
# or a prefix ending in "/" ("registry.example.com/golden/").
#
# Try it:  assay scan Dockerfile --policy policies/
package main

import rego.v1

golden_default_images := [
	"cgr.dev/chainguard/static",
	"gcr.io/distroless/",
]

golden_images := object.get(data, ["assay", "golden_images"], golden_default_images)

# METADATA
# title: Final stage does not use a golden base image
# description: >-
#   Only golden base images are patched, scanned and supported by the platform team; an image
#   built on anything else ships packages nobody watches.
# custom:
#   id: ORG-DF-001
#   severity: HIGH
#   remediation: Build the final stage FROM one of the images listed in data.assay.golden_images.
deny_golden_base_image contains result if {
	is_array(input)
	image := golden_final_base
	not golden_allowed(image)
	result := {
		"msg": sprintf("final stage is built FROM %q, which is not a golden base image (allowed: %s)", [image, concat(", ", golden_images)]),
		"line": golden_final_from.StartLine,
	}
}

golden_froms := [ins | some ins in input; ins.Cmd == "from"]

golden_final_from := golden_froms[count(golden_froms) - 1]

# The image the final stage starts from, following `FROM <earlier stage>` up to two levels.
golden_final_base := golden_resolve(golden_resolve(golden_final_from.Value[0]))

golden_resolve(image) := base if {
	some ins in golden_froms
	count(ins.Value) >= 3
	upper(ins.Value[1]) == "AS"
	lower(ins.Value[2]) == lower(image)
	base := ins.Value[0]
} else := image

golden_allowed(image) if {
	some entry in golden_images
	golden_matches(golden_normalize(image), entry)
}

# A prefix entry: every repository below it.
golden_matches(image, entry) if {
	endswith(entry, "/")
	startswith(image, golden_normalize(entry))
}

# A repository entry: any tag or digest of it.
golden_matches(image, entry) if {
	not endswith(entry, "/")
	not golden_has_tag(entry)
	golden_repository(image) == golden_normalize(entry)
}

# A repository:tag entry: that tag, with or without a digest.
golden_matches(image, entry) if {
	golden_has_tag(entry)
	split(image, "@")[0] == golden_normalize(entry)
}

golden_has_tag(ref) if {
	parts := split(split(ref, "@")[0], "/")
	contains(parts[count(parts) - 1], ":")
}

# The repository of a reference: no digest, no tag.
golden_repository(ref) := repo if {
	parts := split(split(ref, "@")[0], "/")
	last := split(parts[count(parts) - 1], ":")[0]
	repo := concat("/", array.concat(array.slice(parts, 0, count(parts) - 1), [last]))
}

# Docker Hub short names: "alpine" is "docker.io/library/alpine".
golden_normalize(ref) := sprintf("docker.io/library/%s", [ref]) if {
	not contains(ref, "/")
	ref != "scratch"
} else := sprintf("docker.io/%s", [ref]) if {
	first := split(ref, "/")[0]
	not contains(first, ".")
	not contains(first, ":")
	first != "localhost"
} else := ref
