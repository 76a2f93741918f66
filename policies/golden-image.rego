# The golden-image promotion requirements in Rego: the same requirements as
# policies/golden-image.yaml, as deny rules `assay promote` evaluates.
#
# Used through policies/golden-image-rego.yaml, which names the trusted keys (assay verifies
# every signature and attestation with them before this policy sees anything) and this file:
#
#   assay promote SRC DST --policy policies/golden-image-rego.yaml --key promoter.key
#
# Input (docs/promotion.md, "Requirements in Rego"): input.image {source, registry, layout,
# digest}, input.now (Unix seconds), input.signatures [{signer}], input.attestations
# [{signer, predicateType, predicate}], input.scans [{signer, time, ageSeconds, counts,
# highest, highestRank, ids, db}], input.approvals [{person, decision, channel, comment}]:
# only verified evidence, each named by the key that verifies it.
#
# Each result denies the promotion; its `id` names the requirement row. Tests:
#   assay policy test policies/ --namespace assay.promote
package assay.promote

import rego.v1

release_managers := {"release-manager-1", "release-manager-2"}

required_approvals := 2

max_scan_age_seconds := 24 * 3600

# NONE 0, UNKNOWN 1, LOW 2, MEDIUM 3, HIGH 4, CRITICAL 5: nothing above HIGH.
max_severity_rank := 4

sbom_types := {
	"https://cyclonedx.org/bom",
	"https://spdx.dev/Document",
	"https://spdx.dev/Document/v2.3",
}

# Where images may come from: loopback test registries, or OCI layouts.
allowed_source if input.image.layout

# input.image.registry is null for layouts.
registry := input.image.registry if is_string(input.image.registry)

allowed_source if startswith(registry, "localhost:")

allowed_source if startswith(registry, "127.0.0.1:")

deny contains {"id": "source registry", "msg": sprintf("%v is not an allowed source", [input.image.registry])} if {
	not allowed_source
}

# The build signature.
signed_by_build if {
	some s in input.signatures
	s.signer == "build"
}

deny contains {"id": "signature", "msg": "no signature by build"} if {
	not signed_by_build
}

# An SBOM attestation signed by the build key.
has_sbom if {
	some a in input.attestations
	a.signer == "build"
	a.predicateType in sbom_types
}

deny contains {"id": "sbom attestation", "msg": "no SBOM attestation signed by build"} if {
	not has_sbom
}

# The newest scan attestation signed by the build key: recent, nothing above HIGH.
build_scans := [s | some s in input.scans; s.signer == "build"; s.time != null]

newest_scan := [s |
	some s in build_scans
	s.time == max({t.time | some t in build_scans})
][0]

deny contains {"id": "scan attestation", "msg": "no scan attestation signed by build"} if {
	count(build_scans) == 0
}

deny contains {"id": "scan attestation", "msg": msg} if {
	newest_scan.ageSeconds > max_scan_age_seconds
	msg := sprintf("newest scan is %vh old (max %vh)", [floor(newest_scan.ageSeconds / 3600), max_scan_age_seconds / 3600])
}

deny contains {"id": "scan attestation", "msg": msg} if {
	newest_scan.highestRank > max_severity_rank
	msg := sprintf("findings above HIGH: %v (%v)", [newest_scan.highest, concat(", ", newest_scan.ids)])
}

# Release managers' approvals: any current rejection blocks; two distinct approvals.
approvers := {a.person |
	some a in input.approvals
	a.decision == "approve"
	a.person in release_managers
}

deny contains {"id": "approvals", "msg": sprintf("rejected by %v (%v)", [a.person, a.channel])} if {
	some a in input.approvals
	a.decision == "reject"
	a.person in release_managers
}

deny contains {"id": "approvals", "msg": msg} if {
	count(approvers) < required_approvals
	msg := sprintf("%v of %v release managers approved", [count(approvers), required_approvals])
}
