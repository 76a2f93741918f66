# Tests of golden-image.rego:  assay policy test policies/ --namespace assay.promote
package assay.promote

import rego.v1

clean := {
	"image": {"source": "docker://127.0.0.1:5000/team/app:1.0", "registry": "127.0.0.1:5000", "layout": false, "digest": "sha256:00"},
	"now": 1795780800,
	"signatures": [{"signer": "build", "fingerprint": "sha256:aa"}],
	"attestations": [{"signer": "build", "predicateType": "https://cyclonedx.org/bom", "predicate": {}}],
	"scans": [{"signer": "build", "time": 1795777200, "ageSeconds": 3600, "counts": {"HIGH": 1}, "highest": "HIGH", "highestRank": 4, "ids": ["CVE-2026-1"], "db": "1"}],
	"approvals": [
		{"person": "release-manager-1", "decision": "approve", "channel": "signed", "comment": null},
		{"person": "release-manager-2", "decision": "approve", "channel": "signed", "comment": null},
	],
}

ids contains d.id if some d in deny

test_a_clean_approved_image_is_allowed if {
	count(deny) == 0 with input as clean
}

test_an_unsigned_image_is_denied if {
	ids == {"signature"} with input as object.union(clean, {"signatures": []})
}

test_a_signature_by_another_key_does_not_count if {
	ids == {"signature"} with input as object.union(clean, {"signatures": [{"signer": "release-manager-1"}]})
}

test_an_old_scan_is_denied if {
	some d in deny with input as object.union(clean, {"scans": [object.union(clean.scans[0], {"ageSeconds": 90000})]})
	d.msg == "newest scan is 25h old (max 24h)"
}

test_a_critical_finding_is_denied if {
	critical := object.union(clean.scans[0], {"counts": {"CRITICAL": 1}, "highest": "CRITICAL", "highestRank": 5, "ids": ["CVE-2026-9"]})
	some d in deny with input as object.union(clean, {"scans": [critical]})
	d.msg == "findings above HIGH: CRITICAL (CVE-2026-9)"
}

test_one_approval_is_not_enough if {
	some d in deny with input as object.union(clean, {"approvals": [clean.approvals[0]]})
	d.msg == "1 of 2 release managers approved"
}

test_an_approval_by_someone_else_does_not_count if {
	others := [{"person": "build", "decision": "approve", "channel": "signed"}, clean.approvals[0]]
	ids == {"approvals"} with input as object.union(clean, {"approvals": others})
}

test_a_rejection_blocks if {
	rejected := [clean.approvals[0], {"person": "release-manager-2", "decision": "reject", "channel": "gitlab deployment 12"}]
	some d in deny with input as object.union(clean, {"approvals": rejected})
	d.msg == "rejected by release-manager-2 (gitlab deployment 12)"
}

test_a_layout_source_is_allowed if {
	count(deny) == 0 with input as object.union(clean, {"image": {"registry": null, "layout": true}})
}

test_an_unlisted_registry_is_denied if {
	ids == {"source registry"} with input as object.union(clean, {"image": {"registry": "registry.example.com", "layout": false}})
}
