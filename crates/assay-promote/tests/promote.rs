//! Promotion end to end on OCI layouts and on two real registries (test, and prod with basic
//! auth): denied promotions write nothing, approved ones keep every digest, the evidence
//! verifies at the destination and a second run writes nothing.

use std::collections::BTreeMap;
use std::path::Path;

use assay_oci::copy::{CopyOptions, Endpoint, Location, Place};
use assay_oci::testing::{ImageSpec, LayerSpec, LayoutBuilder};
use assay_oci::{Digest, Reference, RegistryAuth};
use assay_promote::approval::{self, Approval, Verdict};
use assay_promote::evaluate::{SCAN_PREDICATE, Subject, evaluate};
use assay_promote::evidence::{KeySigner, PrivateKey, Signer};
use assay_promote::promote::{self, Outcome, Request};
use assay_promote::store::{self, EvidenceStore};
use assay_promote::{Error, Policy};
use assay_sign::{Attach, Verifier};
use assay_testkit::Registry;
use assay_testkit::auth::AuthRegistry;

/// 2026-11-27T12:00:00Z
const NOW: i64 = 1_795_780_800;

struct Keys {
    build: PrivateKey,
    rm1: PrivateKey,
    rm2: PrivateKey,
    promoter: PrivateKey,
}

fn keys() -> Keys {
    let k = || PrivateKey::generate().expect("key");
    Keys {
        build: k(),
        rm1: k(),
        rm2: k(),
        promoter: k(),
    }
}

fn indent(pem: &str) -> String {
    pem.lines()
        .map(|l| format!("        {l}\n"))
        .collect::<String>()
}

fn policy_text(keys: &Keys, sources: &str) -> String {
    format!(
        "version: 1
sources:
  registries: [{sources}]
  layouts: true
signatures:
  keys:
    - name: build
      key: |
{}attestations:
  sbom: true
  scan:
    maxAge: 24h
    maxSeverity: high
approvals:
  required: 2
  releaseManagers:
    - name: release-manager-1
      key: |
{}    - name: release-manager-2
      key: |
{}",
        indent(&keys.build.public_key().to_pem()),
        indent(&keys.rm1.public_key().to_pem()),
        indent(&keys.rm2.public_key().to_pem()),
    )
}

fn policy(keys: &Keys) -> Policy {
    Policy::parse(
        &policy_text(keys, "\"127.0.0.1:*\""),
        Path::new("golden-image.yaml"),
    )
    .expect("policy parses")
}

fn layout(dir: &Path, tag: &str) -> Endpoint {
    Endpoint::new(Location::Layout {
        dir: dir.to_path_buf(),
        tag: Some(tag.into()),
    })
}

fn registry(host: &str, repo_tag: &str) -> Endpoint {
    Endpoint::new(Location::Registry(
        Reference::parse(&format!("{host}/{repo_tag}")).expect("reference"),
    ))
}

fn build_image(dir: &Path) {
    LayoutBuilder::new()
        .index(
            Some("1.0"),
            vec![
                ImageSpec::new().layer(LayerSpec::new().file("app/run", "amd64")),
                ImageSpec::new()
                    .platform("linux/arm64")
                    .layer(LayerSpec::new().file("app/run", "arm64")),
            ],
        )
        .write(dir);
}

/// The evidence store of `endpoint`'s image `digest`.
fn evidence_store(endpoint: &Endpoint, digest: &Digest) -> EvidenceStore {
    store::open(endpoint, digest).expect("evidence store")
}

fn sign(endpoint: &Endpoint, digest: &Digest, key: &PrivateKey) {
    let store = evidence_store(endpoint, digest);
    let signer = KeySigner::new(key.clone());
    assay_sign::sign_image(&store, &signer, &BTreeMap::new(), None, Attach::Tag).expect("sign");
}

fn attest(
    endpoint: &Endpoint,
    digest: &Digest,
    key: &PrivateKey,
    kind: &str,
    predicate: serde_json::Value,
) {
    let store = evidence_store(endpoint, digest);
    let signer = KeySigner::new(key.clone());
    assay_sign::attest(&store, &signer, kind, predicate, Attach::Tag).expect("attest");
}

fn scan_predicate(finished: i64, high: u64, critical: u64) -> serde_json::Value {
    let mut vulns = Vec::new();
    for i in 0..high {
        vulns.push(serde_json::json!({"id": format!("CVE-2026-{i}"), "severity": "HIGH"}));
    }
    for i in 0..critical {
        vulns.push(serde_json::json!({"id": format!("CVE-2026-9{i}"), "severity": "CRITICAL"}));
    }
    serde_json::json!({
        "scanner": {"uri": "assay", "version": "0.1.0", "db": {"version": "2026-11-27"},
                    "result": {"vulnerabilities": vulns}},
        "metadata": {"scanStartedOn": jiff::Timestamp::from_second(finished - 10).expect("t").to_string(),
                     "scanFinishedOn": jiff::Timestamp::from_second(finished).expect("t").to_string()}
    })
}

fn approve(
    endpoint: &Endpoint,
    digest: &Digest,
    key: &PrivateKey,
    verdict: Verdict,
    at: i64,
    expires: Option<i64>,
) {
    let approval = Approval {
        approver: "someone".into(),
        decision: verdict,
        time: jiff::Timestamp::from_second(at).expect("t").to_string(),
        comment: Some("CAB-1".into()),
        expires: expires.map(|e| jiff::Timestamp::from_second(e).expect("t").to_string()),
        image: approval::image_name("test/app", digest),
    };
    let store = evidence_store(endpoint, digest);
    promote::approve(&store, &approval, &KeySigner::new(key.clone())).expect("approve");
}

/// Signature, SBOM, clean scan: everything but approvals.
fn add_build_evidence(endpoint: &Endpoint, digest: &Digest, keys: &Keys) {
    sign(endpoint, digest, &keys.build);
    attest(
        endpoint,
        digest,
        &keys.build,
        "https://cyclonedx.org/bom",
        serde_json::json!({"bomFormat": "CycloneDX"}),
    );
    attest(
        endpoint,
        digest,
        &keys.build,
        SCAN_PREDICATE,
        scan_predicate(NOW - 3600, 1, 0),
    );
}

/// The image's digest, after adding signature, SBOM, clean scan and the approvals of
/// `managers`.
fn with_evidence(endpoint: &Endpoint, keys: &Keys, managers: &[&PrivateKey]) -> Digest {
    let (digest, _) = Place::open(endpoint, false)
        .expect("open")
        .resolve()
        .expect("resolve");
    add_build_evidence(endpoint, &digest, keys);
    for key in managers {
        approve(endpoint, &digest, key, Verdict::Approve, NOW - 60, None);
    }
    digest
}

fn decide(policy: &Policy, endpoint: &Endpoint) -> assay_promote::Decision {
    let place = Place::open(endpoint, false).expect("open");
    let (digest, _) = place.resolve().expect("resolve");
    let attached = policy
        .gather(&evidence_store(endpoint, &digest))
        .expect("gather");
    evaluate(
        policy,
        &Subject {
            source: place.location(),
            digest: &digest,
            now: NOW,
        },
        &attached,
        None,
        &[],
    )
}

fn why(decision: &assay_promote::Decision, name: &str) -> (bool, String) {
    let r = decision
        .requirements
        .iter()
        .find(|r| r.requirement == name)
        .unwrap_or_else(|| panic!("no requirement {name}: {decision:?}"));
    (r.passed, r.why.clone())
}

#[test]
fn unsigned_image_fails_every_evidence_requirement() {
    let keys = keys();
    let dir = tempfile::tempdir().expect("tempdir");
    build_image(dir.path());
    let d = decide(&policy(&keys), &layout(dir.path(), "1.0"));
    assert!(!d.allowed());
    assert_eq!(why(&d, "signature"), (false, "no signature found".into()));
    assert!(!why(&d, "sbom attestation").0);
    assert_eq!(
        why(&d, "scan attestation"),
        (false, "no scan attestation by a trusted key".into())
    );
    assert!(why(&d, "approvals").1.contains("0 of 2 required"));
    assert!(why(&d, "source registry").0, "layouts allowed");
}

#[test]
fn approvals_count_distinct_release_managers_and_a_rejection_blocks() {
    let keys = keys();
    let dir = tempfile::tempdir().expect("tempdir");
    build_image(dir.path());
    let image = layout(dir.path(), "1.0");
    let (digest, _) = Place::open(&image, false)
        .expect("open")
        .resolve()
        .expect("resolve");
    add_build_evidence(&image, &digest, &keys);
    let policy = policy(&keys);

    approve(&image, &digest, &keys.rm1, Verdict::Approve, NOW - 60, None);
    approve(&image, &digest, &keys.rm1, Verdict::Approve, NOW - 50, None);
    let d = decide(&policy, &image);
    let (passed, text) = why(&d, "approvals");
    assert!(!passed, "one person twice is not two approvals");
    assert!(
        text.contains("1 of 2") && text.contains("not yet: release-manager-2"),
        "{text}"
    );

    // An approval signed by a key that is not a release manager does not count.
    approve(
        &image,
        &digest,
        &keys.build,
        Verdict::Approve,
        NOW - 40,
        None,
    );
    assert!(!why(&decide(&policy, &image), "approvals").0);

    // An expired approval does not count.
    approve(
        &image,
        &digest,
        &keys.rm2,
        Verdict::Approve,
        NOW - 30,
        Some(NOW - 1),
    );
    let (passed, text) = why(&decide(&policy, &image), "approvals");
    assert!(!passed && text.contains("1 expired"), "{text}");

    approve(
        &image,
        &digest,
        &keys.rm2,
        Verdict::Approve,
        NOW - 20,
        Some(NOW + 86_400),
    );
    let d = decide(&policy, &image);
    assert!(d.allowed(), "{d:?}");
    assert_eq!(
        why(&d, "approvals").1,
        "approved by release-manager-1, release-manager-2 (2 of 2 required)"
    );
    assert!(
        why(&d, "signature")
            .1
            .starts_with("signed by build (sha256:")
    );

    approve(&image, &digest, &keys.rm1, Verdict::Reject, NOW - 10, None);
    let (passed, text) = why(&decide(&policy, &image), "approvals");
    assert!(!passed);
    assert_eq!(text, "rejected by release-manager-1: CAB-1");
}

#[test]
fn scan_must_be_recent_and_below_the_severity_limit() {
    let keys = keys();
    let policy = policy(&keys);
    for (finished, high, critical, passes, expect) in [
        (
            NOW - 3600,
            2,
            0,
            true,
            "scanned 1h ago, db 2026-11-27: 2 high",
        ),
        (
            NOW - 25 * 3600,
            0,
            0,
            false,
            "newest scan is 25h old (max 24h)",
        ),
        (
            NOW - 60,
            0,
            1,
            false,
            "findings above HIGH: 1 critical (CVE-2026-90)",
        ),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        build_image(dir.path());
        let image = layout(dir.path(), "1.0");
        let (digest, _) = Place::open(&image, false)
            .expect("open")
            .resolve()
            .expect("resolve");
        attest(
            &image,
            &digest,
            &keys.build,
            SCAN_PREDICATE,
            scan_predicate(finished, high, critical),
        );
        assert_eq!(
            why(&decide(&policy, &image), "scan attestation"),
            (passes, expect.to_string())
        );
    }
}

#[test]
fn a_signature_for_another_digest_does_not_count() {
    let keys = keys();
    let dir = tempfile::tempdir().expect("tempdir");
    LayoutBuilder::new()
        .image(
            Some("1.0"),
            ImageSpec::new().layer(LayerSpec::new().file("app/run", "v1")),
        )
        .image(
            Some("other"),
            ImageSpec::new().layer(LayerSpec::new().file("app/run", "v2")),
        )
        .write(dir.path());
    let resolve = |tag: &str| {
        let place = Place::open(&layout(dir.path(), tag), false).expect("open");
        let (digest, _) = place.resolve().expect("resolve");
        (place, digest)
    };
    let (place, digest) = resolve("1.0");
    let (_, other) = resolve("other");
    // A valid signature of the other image, copied under this image's .sig tag.
    sign(&layout(dir.path(), "other"), &other, &keys.build);
    let (sig, media_type) = place
        .manifest(&assay_sign::signature_tag(&other))
        .expect("read")
        .expect("other's signatures");
    place
        .push_manifest(&sig, &media_type, &assay_sign::signature_tag(&digest))
        .expect("copy the signature manifest");
    let (passed, text) = why(
        &decide(&policy(&keys), &layout(dir.path(), "1.0")),
        "signature",
    );
    assert!(!passed);
    assert!(text.contains("is for another digest"), "{text}");
}

#[test]
fn policy_errors_name_the_file_and_line() {
    let keys = keys();
    let good = policy_text(&keys, "\"127.0.0.1:*\"");
    let cases = [
        (
            good.replace("  layouts: true", "  layouts: true\n  layout: true"),
            "unknown field `layout`",
        ),
        (
            good.replace("maxAge: 24h", "maxAge: soon"),
            "invalid duration",
        ),
        (
            good.replace("maxSeverity: high", "maxSeverity: severe"),
            "unknown severity",
        ),
        (
            good.replace("required: 2", "required: 3"),
            "3 of 2 release managers",
        ),
        (
            good.replace("version: 1", "version: 7"),
            "unsupported version 7",
        ),
    ];
    for (text, expect) in cases {
        let err = Policy::parse(&text, Path::new("p.yaml")).expect_err(expect);
        let line = match &err {
            Error::Policy { line, .. } => *line,
            other => panic!("{other}"),
        };
        let expected_line = text
            .lines()
            .position(|l| {
                ["layout:", "soon", "severe", "required: 3", "version: 7"]
                    .iter()
                    .any(|n| l.contains(n) && !l.contains("layouts"))
            })
            .map(|i| i + 1);
        assert_eq!(Some(line), expected_line, "{err}");
        assert!(
            err.to_string().starts_with(&format!("p.yaml:{line}: ")),
            "{err}"
        );
        assert!(err.to_string().contains(expect), "{err}");
    }
}

fn basic(mut e: Endpoint, r: &AuthRegistry) -> Endpoint {
    e.auth = RegistryAuth::Basic {
        username: r.username().into(),
        password: r.password().into(),
    };
    e
}

use assay_promote::promote::LoadSigner;

fn request<'a>(
    source: &'a Endpoint,
    destination: &'a Endpoint,
    policy: &'a Policy,
    signer: &'a LoadSigner,
    open_golden: &'a dyn Fn(&str) -> Result<Place, Error>,
) -> Request<'a> {
    Request {
        source,
        destination,
        policy,
        policy_digest: "sha256:test",
        copy: CopyOptions::default(),
        now: NOW,
        signer: Some(signer),
        tool_version: "0.1.0",
        open_golden,
        ci: Default::default(),
    }
}

#[test]
fn promotes_between_two_registries_only_when_the_evidence_is_complete() {
    let Some(test) = Registry::start_or_skip("promote_registries") else {
        return;
    };
    let Some(prod) = AuthRegistry::start_or_skip("promote_registries", "release", "pw") else {
        return;
    };
    let keys = keys();
    let policy = policy(&keys);
    let dir = tempfile::tempdir().expect("tempdir");
    build_image(dir.path());
    let source = registry(&test.host(), "team/app:1.0");
    assay_oci::copy::copy(&layout(dir.path(), "1.0"), &source, &CopyOptions::default())
        .expect("push to test");
    let destination = basic(registry(&prod.host(), "prod/app:1.0"), &prod);
    let promoter_key = keys.promoter.clone();
    let promoter = move || -> Result<Box<dyn Signer + Send>, Error> {
        Ok(Box::new(KeySigner::new(promoter_key.clone())))
    };
    let no_golden = |_: &str| -> Result<Place, Error> { Err(Error::Input("none".into())) };

    // Unsigned: denied, and prod is untouched.
    let outcome = promote::promote(&request(
        &source,
        &destination,
        &policy,
        &promoter,
        &no_golden,
    ))
    .expect("evaluates");
    assert!(matches!(outcome, Outcome::Denied { .. }), "{outcome:?}");
    let prod_place = Place::open(&destination, false).expect("open prod");
    assert_eq!(prod_place.tag_digest("1.0").expect("head"), None);

    // Signed and attested, one approval: still denied.
    let src = Place::open(&source, false).expect("open test");
    let (digest, _) = src.resolve().expect("resolve");
    add_build_evidence(&source, &digest, &keys);
    approve(
        &source,
        &digest,
        &keys.rm1,
        Verdict::Approve,
        NOW - 60,
        None,
    );
    let outcome = promote::promote(&request(
        &source,
        &destination,
        &policy,
        &promoter,
        &no_golden,
    ))
    .expect("evaluates");
    let Outcome::Denied { decision, .. } = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(
        decision.first_failure().map(|r| r.requirement.as_str()),
        Some("approvals")
    );
    assert_eq!(prod_place.tag_digest("1.0").expect("head"), None);

    // Second approval: promoted, same digest, evidence verifies at prod.
    approve(
        &source,
        &digest,
        &keys.rm2,
        Verdict::Approve,
        NOW - 30,
        None,
    );
    let outcome = promote::promote(&request(
        &source,
        &destination,
        &policy,
        &promoter,
        &no_golden,
    ))
    .expect("promotes");
    let Outcome::Promoted {
        report,
        record,
        already,
        ..
    } = outcome
    else {
        panic!("{outcome:?}")
    };
    assert!(!already);
    assert_eq!(report.destination_digest, digest);
    assert_eq!(
        prod_place.tag_digest("1.0").expect("head"),
        Some(digest.clone())
    );
    assert_eq!(
        record.approvers,
        vec!["release-manager-1", "release-manager-2"]
    );
    let at_prod = evidence_store(&destination, &digest);
    let evidence = policy.gather(&at_prod).expect("read prod");
    assert_eq!(
        evidence.signatures_by(&policy.signing_keys).len(),
        1,
        "build signature verifies at prod"
    );
    // What `assay verify --key build.pub` checks, at prod.
    assay_sign::verify_image(
        &at_prod,
        &Verifier::Key(keys.build.public_key()),
        &BTreeMap::new(),
        None,
    )
    .expect("assay verify passes at prod");
    let promoter_key = assay_promote::policy::NamedKey {
        name: "promoter".into(),
        key: keys.promoter.public_key(),
    };
    let history = promote::history(&at_prod, &[promoter_key]).expect("history");
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].signer.as_deref(), Some("promoter"));
    assert_eq!(history[0].record.destination_digest, digest.to_string());

    // Again: nothing written, no second record.
    let outcome = promote::promote(&request(
        &source,
        &destination,
        &policy,
        &promoter,
        &no_golden,
    ))
    .expect("again");
    let Outcome::Promoted {
        report, already, ..
    } = outcome
    else {
        panic!("{outcome:?}")
    };
    assert!(already);
    assert_eq!(report.writes(), 0, "{:?}", report.steps);
    assert_eq!(
        promote::history(&evidence_store(&destination, &digest), &[])
            .expect("history")
            .len(),
        1
    );
}

#[test]
fn a_registry_outside_the_allowed_sources_is_denied() {
    let Some(test) = Registry::start_or_skip("promote_sources") else {
        return;
    };
    let keys = keys();
    let policy = Policy::parse(
        &policy_text(&keys, "\"registry.example.com\""),
        Path::new("p.yaml"),
    )
    .expect("policy");
    let dir = tempfile::tempdir().expect("tempdir");
    build_image(dir.path());
    let source = registry(&test.host(), "team/app:1.0");
    assay_oci::copy::copy(&layout(dir.path(), "1.0"), &source, &CopyOptions::default())
        .expect("push");
    let out = tempfile::tempdir().expect("tempdir");
    let destination = layout(&out.path().join("prod"), "1.0");
    let promoter_key = keys.promoter.clone();
    let promoter = move || -> Result<Box<dyn Signer + Send>, Error> {
        Ok(Box::new(KeySigner::new(promoter_key.clone())))
    };
    let no_golden = |_: &str| -> Result<Place, Error> { Err(Error::Input("none".into())) };
    let outcome = promote::promote(&request(
        &source,
        &destination,
        &policy,
        &promoter,
        &no_golden,
    ))
    .expect("evaluates");
    let Outcome::Denied { decision, .. } = outcome else {
        panic!("{outcome:?}")
    };
    assert!(
        decision.requirements[0]
            .why
            .contains("is not among the allowed sources")
    );
    assert!(
        !out.path().join("prod").exists(),
        "denied promotion created the destination"
    );
}

#[test]
fn external_approvals_count_once_per_person_with_signed_ones() {
    use assay_promote::external::ExternalApproval;
    let keys = keys();
    let dir = tempfile::tempdir().expect("tempdir");
    build_image(dir.path());
    let image = layout(dir.path(), "1.0");
    let place = Place::open(&image, false).expect("open");
    let digest = with_evidence(&image, &keys, &[&keys.rm1]);
    let policy = policy(&keys);
    let attached = policy
        .gather(&evidence_store(&image, &digest))
        .expect("read");
    let subject = Subject {
        source: place.location(),
        digest: &digest,
        now: NOW,
    };
    let ext = |person: &str, decision| ExternalApproval {
        person: person.into(),
        channel: "github environment production".into(),
        decision,
        comment: None,
    };
    // The same person on GitHub does not make a second approval.
    let d = evaluate(
        &policy,
        &subject,
        &attached,
        None,
        &[ext("release-manager-1", Verdict::Approve)],
    );
    assert!(!why(&d, "approvals").0);
    let d = evaluate(
        &policy,
        &subject,
        &attached,
        None,
        &[ext("release-manager-2", Verdict::Approve)],
    );
    assert_eq!(
        why(&d, "approvals"),
        (
            true,
            "approved by release-manager-1, release-manager-2 (2 of 2 required)".into()
        )
    );
    let d = evaluate(
        &policy,
        &subject,
        &attached,
        None,
        &[ext("release-manager-2", Verdict::Reject)],
    );
    assert_eq!(
        why(&d, "approvals"),
        (
            false,
            "rejected by release-manager-2 (github environment production)".into()
        )
    );
}

/// The embedded flow: layout to layout, with a golden base image required.
#[test]
fn promotes_between_layouts_when_built_on_a_golden_image() {
    let keys = keys();
    let base_layer = || LayerSpec::new().file("etc/os-release", "ID=golden\n");
    let tmp = tempfile::tempdir().expect("tempdir");
    let golden = tmp.path().join("golden");
    LayoutBuilder::new()
        .image(Some("12"), ImageSpec::new().layer(base_layer()))
        .write(&golden);
    let build = tmp.path().join("build");
    LayoutBuilder::new()
        .image(
            Some("1.0"),
            ImageSpec::new()
                .layer(base_layer())
                .layer(LayerSpec::new().file("app/run", "v1")),
        )
        .image(
            Some("stray"),
            ImageSpec::new().layer(LayerSpec::new().file("etc/os-release", "ID=other\n")),
        )
        .write(&build);
    let text = policy_text(&keys, "\"none\"")
        + &format!(
            "baseImages:\n  required:\n    - oci:{}:12\n",
            golden.display()
        );
    let policy = Policy::parse(&text, Path::new("p.yaml")).expect("policy");
    let open_golden = |name: &str| -> Result<Place, Error> {
        let (dir, tag) = name
            .trim_start_matches("oci:")
            .rsplit_once(':')
            .expect("oci:DIR:TAG");
        Ok(Place::open(&layout(Path::new(dir), tag), false)?)
    };
    let promoter_key = keys.promoter.clone();
    let promoter = move || -> Result<Box<dyn Signer + Send>, Error> {
        Ok(Box::new(KeySigner::new(promoter_key.clone())))
    };
    for (tag, allowed) in [("stray", false), ("1.0", true)] {
        let source = layout(&build, tag);
        let digest = with_evidence(&source, &keys, &[&keys.rm1, &keys.rm2]);
        let destination = layout(&tmp.path().join("prod"), tag);
        let outcome = promote::promote(&request(
            &source,
            &destination,
            &policy,
            &promoter,
            &open_golden,
        ))
        .expect("promote");
        match (outcome, allowed) {
            (Outcome::Denied { decision, .. }, false) => {
                assert_eq!(
                    why(&decision, "golden base image"),
                    (
                        false,
                        format!(
                            "image is not built on a golden image (oci:{}:12)",
                            golden.display()
                        )
                    )
                );
                assert!(!tmp.path().join("prod").exists());
            }
            (
                Outcome::Promoted {
                    decision, report, ..
                },
                true,
            ) => {
                assert_eq!(
                    why(&decision, "golden base image"),
                    (true, format!("image on oci:{}:12", golden.display()))
                );
                assert_eq!(report.destination_digest, digest);
                let prod = Place::open(&destination, false).expect("prod layout");
                assert_eq!(prod.tag_digest("1.0").expect("read"), Some(digest.clone()));
                assert_eq!(
                    promote::history(&evidence_store(&destination, &digest), &[])
                        .expect("history")
                        .len(),
                    1
                );
            }
            (other, _) => panic!("{tag}: {other:?}"),
        }
    }
}

/// A promotion through the fault proxy: each broken transfer fails it with a clear error and
/// prod keeps no tag; the next run completes with the source's digest.
#[test]
fn a_broken_transfer_fails_the_promotion_cleanly_and_a_rerun_completes() {
    use assay_testkit::proxy::{Fault, FaultProxy};
    let Some(test) = Registry::start_or_skip("promote_faults") else {
        return;
    };
    let Some(prod) = AuthRegistry::start_or_skip("promote_faults", "release", "pw") else {
        return;
    };
    let keys = keys();
    let policy = policy(&keys);
    let dir = tempfile::tempdir().expect("tempdir");
    build_image(dir.path());
    let staged = registry(&test.host(), "team/app:1.0");
    assay_oci::copy::copy(&layout(dir.path(), "1.0"), &staged, &CopyOptions::default())
        .expect("push to test");
    let src = Place::open(&staged, false).expect("open test");
    let digest = with_evidence(&staged, &keys, &[&keys.rm1, &keys.rm2]);

    // A layer of the image (evidence blobs pass; the fault hits the copy).
    let (index, _) = src
        .manifest(&digest.to_string())
        .expect("read")
        .expect("index");
    let index: serde_json::Value = serde_json::from_slice(&index).expect("json");
    let first = index["manifests"][0]["digest"]
        .as_str()
        .expect("entry")
        .to_string();
    let (manifest, _) = src.manifest(&first).expect("read").expect("manifest");
    let manifest: serde_json::Value = serde_json::from_slice(&manifest).expect("json");
    let layer = manifest["layers"][0]["digest"]
        .as_str()
        .expect("layer")
        .to_string();

    let proxy = FaultProxy::start(test.addr()).expect("proxy");
    let source = registry(&proxy.host(), "team/app:1.0");
    let promoter_key = keys.promoter.clone();
    let promoter = move || -> Result<Box<dyn Signer + Send>, Error> {
        Ok(Box::new(KeySigner::new(promoter_key.clone())))
    };
    let no_golden = |_: &str| -> Result<Place, Error> { Err(Error::Input("none".into())) };
    for (i, (fault, expect)) in [
        (Fault::ServerError, "registry answered 500"),
        (Fault::ResetMidBlob, "/blobs/sha256:"),
        (Fault::WrongContent, "content does not match its digest"),
    ]
    .into_iter()
    .enumerate()
    {
        let destination = basic(registry(&prod.host(), &format!("prod/app{i}:1.0")), &prod);
        let mut req = request(&source, &destination, &policy, &promoter, &no_golden);
        req.copy.retries = 0;
        proxy.inject_for(&layer, fault, 1);
        let err = promote::promote(&req).expect_err("broken transfer");
        assert!(err.to_string().contains(expect), "{fault:?}: {err}");
        let prod_place = Place::open(&destination, false).expect("open prod");
        assert_eq!(
            prod_place.tag_digest("1.0").expect("head"),
            None,
            "{fault:?}"
        );
        let outcome = promote::promote(&req).expect("rerun");
        let Outcome::Promoted { report, .. } = outcome else {
            panic!("{outcome:?}")
        };
        assert_eq!(report.destination_digest, digest);
        assert_eq!(
            prod_place.tag_digest("1.0").expect("head"),
            Some(digest.clone())
        );
    }
}

#[test]
fn the_scan_summary_decides_over_the_vulnerability_list() {
    use assay_promote::Severity;
    use assay_promote::evaluate::scan_facts;
    // What `assay scan --attest` writes: a summary of every unsuppressed finding (here a
    // critical secret) and the list of vulnerabilities only.
    let facts = scan_facts(&serde_json::json!({
        "scanner": {"db": {"version": ""}, "result": {
            "summary": {"CRITICAL": 1, "HIGH": 1},
            "vulnerabilities": [{"id": "CVE-2026-1", "severity": "HIGH"}]}},
        "metadata": {"scanFinishedOn": "2026-11-27T11:00:00Z"}
    }));
    assert_eq!(facts.counts.get(&Severity::Critical), Some(&1));
    assert_eq!(facts.counts.get(&Severity::High), Some(&1));
    assert_eq!(
        facts.ids.get(&Severity::High),
        Some(&vec!["CVE-2026-1".to_string()])
    );
    assert_eq!(facts.db, None);
    assert_eq!(facts.time, Some(NOW - 3600));
}

/// Counts the reads that reach the layout.
#[derive(Debug)]
struct Counting {
    inner: Box<dyn assay_sign::Store + Send + Sync>,
    reads: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl Counting {
    fn read(&self) {
        self.reads
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

impl assay_sign::Store for Counting {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn repository(&self) -> &str {
        self.inner.repository()
    }
    fn subject(&self) -> &assay_sign::Subject {
        self.inner.subject()
    }
    fn manifest_by_tag(&self, tag: &str) -> Result<Option<Vec<u8>>, assay_sign::Error> {
        self.read();
        self.inner.manifest_by_tag(tag)
    }
    fn manifest_by_digest(&self, d: &Digest) -> Result<Option<Vec<u8>>, assay_sign::Error> {
        self.read();
        self.inner.manifest_by_digest(d)
    }
    fn blob(&self, d: &Digest, limit: u64) -> Result<Vec<u8>, assay_sign::Error> {
        self.read();
        self.inner.blob(d, limit)
    }
    fn put_blob(&self, bytes: &[u8]) -> Result<Digest, assay_sign::Error> {
        self.inner.put_blob(bytes)
    }
    fn put_manifest(
        &self,
        bytes: &[u8],
        media_type: &str,
        tag: Option<&str>,
    ) -> Result<Digest, assay_sign::Error> {
        self.inner.put_manifest(bytes, media_type, tag)
    }
    fn referrers(
        &self,
        d: &Digest,
    ) -> Result<Vec<assay_sign::store::OciDescriptor>, assay_sign::Error> {
        self.read();
        self.inner.referrers(d)
    }
}

/// The policy's four keys each verify over the same store: every manifest, referrer list
/// and envelope is read once; a write through the store is seen by the next read.
#[test]
fn evidence_is_read_once_however_many_keys_verify_it() {
    let keys = keys();
    let policy = policy(&keys);
    let dir = tempfile::tempdir().expect("tempdir");
    build_image(dir.path());
    let image = layout(dir.path(), "1.0");
    let digest = with_evidence(&image, &keys, &[&keys.rm1]);
    let counter = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counting = Counting {
        inner: assay_sign::Location::Layout {
            dir: dir.path().to_path_buf(),
            tag: None,
            digest: Some(digest.clone()),
        }
        .open(&Default::default())
        .expect("layout store"),
        reads: counter.clone(),
    };
    let reads = || counter.load(std::sync::atomic::Ordering::Relaxed);
    let store = EvidenceStore::new(Box::new(counting));
    let evidence = policy.gather(&store).expect("gather");
    assert_eq!(evidence.signatures_by(&policy.signing_keys).len(), 1);
    assert_eq!(evidence.statements_by(&policy.evidence_keys()).len(), 3);
    // .sig and .att manifests, .sbom (absent), referrers, payload, three envelopes.
    let once = reads();
    assert_eq!(once, 8, "one read per object");
    policy.gather(&store).expect("again");
    assert_eq!(reads(), once, "a second pass reads nothing");

    let approval = Approval {
        approver: "rm2".into(),
        decision: Verdict::Approve,
        time: jiff::Timestamp::from_second(NOW - 30)
            .expect("t")
            .to_string(),
        comment: None,
        expires: None,
        image: approval::image_name("test/app", &digest),
    };
    promote::approve(&store, &approval, &KeySigner::new(keys.rm2.clone())).expect("approve");
    let evidence = policy.gather(&store).expect("after the write");
    let managers = &policy.approvals.as_ref().expect("rule").release_managers;
    assert_eq!(
        evidence.statements_by(managers).len(),
        2,
        "the new approval is read"
    );
}

/// The repository's `policies/` folder (the shipped Rego rules and their YAML).
fn shipped(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../policies")
        .join(name)
}

/// The shipped Rego rules with this test's keys: trust in YAML, requirements in Rego.
fn rego_policy(keys: &Keys, dir: &Path) -> Policy {
    let text = format!(
        "version: 1
keys:
  - name: build
    key: |
{}  - name: release-manager-1
    key: |
{}  - name: release-manager-2
    key: |
{}rego:
  - {}
",
        indent(&keys.build.public_key().to_pem()),
        indent(&keys.rm1.public_key().to_pem()),
        indent(&keys.rm2.public_key().to_pem()),
        shipped("golden-image.rego").display(),
    );
    let path = dir.join("golden-image-rego.yaml");
    std::fs::write(&path, text).expect("write policy");
    Policy::load(&path).expect("rego policy loads")
}

#[test]
fn rego_requirements_deny_until_the_evidence_is_complete_then_promote() {
    let keys = keys();
    let dir = tempfile::tempdir().expect("tempdir");
    build_image(dir.path());
    let policy = rego_policy(&keys, dir.path());
    let image = layout(dir.path(), "1.0");
    let (digest, _) = Place::open(&image, false)
        .expect("open")
        .resolve()
        .expect("resolve");

    let d = decide(&policy, &image);
    assert!(!d.allowed());
    let failed: Vec<(&str, &str)> = d
        .requirements
        .iter()
        .filter(|r| !r.passed)
        .map(|r| (r.requirement.as_str(), r.why.as_str()))
        .collect();
    assert_eq!(
        failed,
        vec![
            ("approvals", "0 of 2 release managers approved"),
            ("sbom attestation", "no SBOM attestation signed by build"),
            ("scan attestation", "no scan attestation signed by build"),
            ("signature", "no signature by build"),
        ]
    );

    // Evidence signed by the wrong key is not evidence: a release manager "signing" the build.
    sign(&image, &digest, &keys.rm1);
    add_build_evidence(&image, &digest, &keys);
    approve(&image, &digest, &keys.rm1, Verdict::Approve, NOW - 60, None);
    let (passed, failure) = {
        let d = decide(&policy, &image);
        let r = d.first_failure().expect("still denied").clone();
        (d.allowed(), (r.requirement, r.why))
    };
    assert!(!passed);
    assert_eq!(
        failure,
        (
            "approvals".to_string(),
            "1 of 2 release managers approved".to_string()
        )
    );

    approve(&image, &digest, &keys.rm2, Verdict::Approve, NOW - 30, None);
    let d = decide(&policy, &image);
    assert!(d.allowed(), "{d:?}");
    assert!(why(&d, "rego").0);

    // The whole promotion runs on the Rego decision, re-evaluated at the destination.
    let promoter_key = keys.promoter.clone();
    let promoter = move || -> Result<Box<dyn Signer + Send>, Error> {
        Ok(Box::new(KeySigner::new(promoter_key.clone())))
    };
    let no_golden = |_: &str| -> Result<Place, Error> { Err(Error::Input("none".into())) };
    let destination = layout(&dir.path().join("prod"), "1.0");
    let outcome = promote::promote(&request(
        &image,
        &destination,
        &policy,
        &promoter,
        &no_golden,
    ))
    .expect("promotes");
    let Outcome::Promoted { record, .. } = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(record.destination_digest, digest.to_string());
    assert!(
        record
            .requirements
            .iter()
            .any(|r| r.requirement == "rego" && r.passed)
    );
}

#[test]
fn the_shipped_rego_policy_loads_and_a_wrong_package_is_an_error() {
    let policy = Policy::load(&shipped("golden-image-rego.yaml")).expect("shipped policy");
    assert_eq!(
        policy
            .trusted_keys
            .iter()
            .map(|k| k.name.as_str())
            .collect::<Vec<_>>(),
        vec!["build", "release-manager-1", "release-manager-2"]
    );
    assert!(policy.rego.is_some());

    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("rules.rego"),
        "package main\n\nimport rego.v1\n\ndeny contains \"no\" if { true }\n",
    )
    .expect("write rego");
    let path = dir.path().join("p.yaml");
    std::fs::write(&path, "version: 1\n\nrego:\n  - rules.rego\n").expect("write policy");
    let err = Policy::load(&path).expect_err("wrong package");
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("{}:3: ", path.display())),
        "{text}"
    );
    assert!(text.contains("no package assay.promote"), "{text}");

    std::fs::write(
        dir.path().join("rules.rego"),
        "package assay.promote\n\ndeny contains if {\n",
    )
    .expect("write rego");
    let err = Policy::load(&path).expect_err("syntax error");
    assert!(err.to_string().contains("rules.rego"), "{err}");
}
