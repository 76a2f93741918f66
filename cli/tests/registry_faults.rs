//! Registry faults seen from the command line, through the testkit's fault-injecting proxy
//! in front of a real registry: a pull (`sbom docker://…`) absorbs transient faults with the
//! same output as a run without them, and exits 3 with a one-line error naming the image and
//! the status when they persist; `sign` against a registry that keeps failing exits 3 and
//! leaves no signature tag, and a rerun completes; `sign` and `attest` absorb one-off faults
//! (503, 429 with `Retry-After`, a connection reset during an upload, an expired token) and
//! leave what a run without faults leaves.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use assay_oci::copy::{Endpoint, Location, Place, cosign_tag, referrers_tag};
use assay_oci::testing::{ImageSpec, LayerSpec, Pusher};
use assay_oci::{Digest, Reference};
use assay_testkit::proxy::{Fault, FaultProxy, Target};
use common::{assay_in, repo_root, run};

fn image() -> assay_oci::testing::BuiltImage {
    ImageSpec::new()
        .layer(
            LayerSpec::new()
                .file("etc/os-release", "ID=alpine\nVERSION_ID=3.20.0\n")
                .file(
                    "lib/apk/db/installed",
                    "P:musl\nV:1.2.5-r0\nA:x86_64\nL:MIT\n\n",
                ),
        )
        .layer(LayerSpec::new().file("app/data", vec![3u8; 100_000]))
        .build()
}

/// The digest the tag names, asked of the registry itself (not through the proxy).
fn tag_at(host: &str, repo: &str, tag: &str) -> Option<Digest> {
    let endpoint = Endpoint::new(Location::Registry(
        Reference::parse(&format!("{host}/{repo}")).unwrap(),
    ));
    Place::open(&endpoint, false)
        .unwrap()
        .tag_digest(tag)
        .unwrap()
}

/// A registry holding `team/app:1.0` ([`image`]) and `team/app:2.0` (another image), with
/// both images; `None` when the test is skipped for want of a registry.
fn two_images(
    test: &str,
) -> Option<(
    assay_testkit::Registry,
    assay_oci::testing::BuiltImage,
    assay_oci::testing::BuiltImage,
)> {
    let registry = assay_testkit::Registry::start_or_skip(test)?;
    let built = image();
    Pusher::new(&registry.host()).push_image("team/app", "1.0", &built);
    let other = ImageSpec::new()
        .layer(LayerSpec::new().file("app/data", "2"))
        .build();
    Pusher::new(&registry.host()).push_image("team/app", "2.0", &other);
    Some((registry, built, other))
}

fn sbom(dir: &Path, reference: &str) -> (i32, String, String) {
    run(assay_in(dir).args(["sbom", reference]))
}

#[test]
fn a_pull_absorbs_transient_faults_and_exits_3_with_a_clear_error_when_they_persist() {
    let Some(registry) = assay_testkit::Registry::start_or_skip("cli_pull_faults") else {
        return;
    };
    Pusher::new(&registry.host()).push_image("team/app", "1.0", &image());
    let proxy = FaultProxy::start_with_tokens(registry.addr()).unwrap();
    let reference = format!("{}/team/app:1.0", proxy.host());
    let dir = tempfile::tempdir().unwrap();
    let (code, baseline, stderr) = sbom(dir.path(), &reference);
    assert_eq!(code, 0, "{stderr}");
    assert!(baseline.contains("musl"), "{baseline}");

    // One of each, spread over the manifest and blob requests of one pull.
    proxy.inject_at(Target::ManifestGet, Fault::Unavailable, 1);
    proxy.inject_at(Target::ManifestGet, Fault::ExpireToken, 1);
    proxy.inject_at(Target::BlobGet, Fault::ResetMidBlob, 1);
    proxy.inject_at(Target::BlobGet, Fault::ServerError, 1);
    proxy.inject_at(Target::BlobGet, Fault::WrongContent, 1);
    proxy.inject_at(Target::BlobGet, Fault::ShortContentLength, 1);
    let (code, out, stderr) = sbom(dir.path(), &reference);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(proxy.pending(), 0);
    assert_eq!(out, baseline, "the same SBOM as without faults");

    // A registry that keeps answering 503: exit 3, one line naming the image and the status.
    proxy.inject_at(Target::ManifestGet, Fault::Unavailable, 100);
    let (code, out, stderr) = sbom(dir.path(), &reference);
    proxy.clear();
    assert_eq!(code, 3, "{stderr}");
    assert!(out.is_empty(), "{out}");
    let error = stderr.trim_end();
    assert_eq!(error.lines().count(), 1, "{stderr}");
    assert!(error.contains(&reference), "{stderr}");
    assert!(error.contains("registry answered 503"), "{stderr}");
    assert!(error.contains("gave up after 4 attempts"), "{stderr}");

    let (code, out, stderr) = sbom(dir.path(), &reference);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(out, baseline, "a rerun completes");

    // The retries are the user's to set: none gives up at the first 503, five absorb five
    // (where the default three would not).
    proxy.inject_at(Target::ManifestGet, Fault::Unavailable, 1);
    let (code, _, stderr) =
        run(assay_in(dir.path()).args(["sbom", "--registry-retries", "0", &reference]));
    proxy.clear();
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("registry answered 503"), "{stderr}");
    assert!(
        !stderr.contains("gave up after"),
        "no retry was made: {stderr}"
    );
    proxy.inject_at(Target::ManifestGet, Fault::Unavailable, 5);
    let (code, out, stderr) = run(assay_in(dir.path())
        .env("ASSAY_REGISTRY_RETRIES", "5")
        .args(["sbom", &reference]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(proxy.pending(), 0);
    assert_eq!(out, baseline);
}

#[test]
fn sign_against_a_failing_registry_exits_3_leaves_no_signature_and_a_rerun_completes() {
    let Some((registry, built, other)) = two_images("cli_sign_faults") else {
        return;
    };
    let proxy = FaultProxy::start(registry.addr()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sign = |digest: &Digest| {
        let reference = format!("{}/team/app@{digest}", proxy.host());
        run(assay_in(dir.path())
            .env("ASSAY_PASSWORD", "assay-demo")
            .args(["sign", &reference, "--key"])
            .arg(repo_root().join("fixtures/keys/build.key")))
    };
    let signed = |digest: &Digest| tag_at(&registry.host(), "team/app", &cosign_tag(digest, "sig"));

    // The signature manifest cannot be written (blob uploads), or its blobs cannot (the
    // other image): exit 3, one line, no signature tag; then a rerun completes.
    for (digest, target, fault, status) in [
        (
            &built.manifest.digest,
            Target::ManifestPut,
            Fault::Unavailable,
            "503",
        ),
        (
            &other.manifest.digest,
            Target::BlobUpload,
            Fault::ServerError,
            "500",
        ),
    ] {
        proxy.inject_at(target, fault, 100);
        let (code, _, stderr) = sign(digest);
        proxy.clear();
        assert_eq!(code, 3, "{target:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(status), "{stderr}");
        assert_eq!(signed(digest), None, "{target:?} left a signature tag");
        let (code, _, stderr) = sign(digest);
        assert_eq!(code, 0, "{stderr}");
        assert!(signed(digest).is_some());
    }
}

/// The manifest a tag names, read from the registry itself.
fn manifest_at(host: &str, repo: &str, tag: &str) -> serde_json::Value {
    let endpoint = Endpoint::new(Location::Registry(
        Reference::parse(&format!("{host}/{repo}")).unwrap(),
    ));
    let (bytes, _) = Place::open(&endpoint, false)
        .unwrap()
        .manifest(tag)
        .unwrap()
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// One fault of each transient kind on the requests of one `sign` or `attest`: the reads
/// (503, then an expired token), the blob uploads (429 with `Retry-After`, then a connection
/// closed before the answer: the registry did the work, the client never heard) and the
/// manifest writes (503, then an expired token).
fn inject_transient(proxy: &FaultProxy) {
    proxy.inject_at(Target::ManifestGet, Fault::Unavailable, 1);
    proxy.inject_at(Target::ManifestGet, Fault::ExpireToken, 1);
    proxy.inject_at(
        Target::BlobUpload,
        Fault::TooManyRequests { retry_after: 1 },
        1,
    );
    proxy.inject_at(Target::BlobUpload, Fault::ResetMidBlob, 1);
    proxy.inject_at(Target::ManifestPut, Fault::Unavailable, 1);
    proxy.inject_at(Target::ManifestPut, Fault::ExpireToken, 1);
}

#[test]
fn sign_and_attest_absorb_transient_faults_and_leave_what_a_clean_run_leaves() {
    let Some((registry, built, other)) = two_images("cli_sign_transient_faults") else {
        return;
    };
    let proxy = FaultProxy::start_with_tokens(registry.addr()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("sbom.json"),
        br#"{"bomFormat":"CycloneDX","specVersion":"1.6"}"#,
    )
    .unwrap();
    let key = repo_root().join("fixtures/keys/build.key");
    let public = repo_root().join("fixtures/keys/build.pub");
    let host = registry.host();
    let at = |digest: &Digest| format!("{}/team/app@{digest}", proxy.host());
    let assay = |args: &[&str], key: &Path| {
        run(assay_in(dir.path())
            .env("ASSAY_PASSWORD", "assay-demo")
            .args(args)
            .arg("--key")
            .arg(key))
    };
    // `sign` or `attest` (a CycloneDX SBOM) of `reference`.
    let command = |what: &str, reference: &str, extra: &[&str]| {
        let mut args = vec![what, reference];
        if what == "attest" {
            args.extend(["--predicate", "sbom.json", "--type", "cyclonedx"]);
        }
        args.extend(extra);
        assay(&args, &key)
    };
    let verify = |reference: &str| {
        let (code, _, stderr) = assay(&["verify", reference], &public);
        assert_eq!(code, 0, "verify {reference}: {stderr}");
        let (code, _, stderr) = assay(
            &["verify-attestation", reference, "--type", "cyclonedx"],
            &public,
        );
        assert_eq!(code, 0, "verify-attestation {reference}: {stderr}");
    };

    // cosign's tags: each command absorbs its faults and writes one layer under its tag.
    let reference = at(&built.manifest.digest);
    let sig = cosign_tag(&built.manifest.digest, "sig");
    let att = cosign_tag(&built.manifest.digest, "att");
    for (what, tag) in [("sign", &sig), ("attest", &att)] {
        inject_transient(&proxy);
        let (code, _, stderr) = command(what, &reference, &[]);
        assert_eq!(code, 0, "{what}: {stderr}");
        assert_eq!(proxy.pending(), 0, "{what}: every fault was met");
        let manifest = manifest_at(&host, "team/app", tag);
        assert_eq!(
            manifest["layers"].as_array().unwrap().len(),
            1,
            "{manifest}"
        );
    }
    assert!(
        proxy.tokens_issued() >= 3,
        "the expired tokens were renewed"
    );
    verify(&reference);
    // A run without faults signs the same bytes (ECDSA with RFC 6979 nonces), finds them
    // there and writes nothing: the faulted run left exactly what a clean run leaves.
    let written = [
        tag_at(&host, "team/app", &sig).unwrap(),
        tag_at(&host, "team/app", &att).unwrap(),
    ];
    for what in ["sign", "attest"] {
        let (code, _, stderr) = command(what, &reference, &[]);
        assert_eq!(code, 0, "{what}: {stderr}");
        assert!(stderr.contains("nothing added"), "{what}: {stderr}");
    }
    assert_eq!(
        [
            tag_at(&host, "team/app", &sig).unwrap(),
            tag_at(&host, "team/app", &att).unwrap(),
        ],
        written
    );

    // OCI 1.1 referrers on a registry without the API: each manifest pushed by digest and
    // listed once in the tag-schema index, whatever the faults.
    let reference = at(&other.manifest.digest);
    let index_tag = referrers_tag(&other.manifest.digest);
    for what in ["sign", "attest"] {
        inject_transient(&proxy);
        let (code, _, stderr) = command(what, &reference, &["--registry-referrers"]);
        assert_eq!(code, 0, "{what}: {stderr}");
        assert_eq!(proxy.pending(), 0, "{what}: every fault was met");
    }
    verify(&reference);
    let index = manifest_at(&host, "team/app", &index_tag);
    let entries = index["manifests"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{index}");
    let index_digest = tag_at(&host, "team/app", &index_tag).unwrap();
    // Clean reruns push the same manifests (the same digests), so the index is unchanged.
    for what in ["sign", "attest"] {
        let (code, _, stderr) = command(what, &reference, &["--registry-referrers"]);
        assert_eq!(code, 0, "{what}: {stderr}");
    }
    assert_eq!(tag_at(&host, "team/app", &index_tag), Some(index_digest));
    assert_eq!(
        tag_at(
            &host,
            "team/app",
            &cosign_tag(&other.manifest.digest, "sig")
        ),
        None,
        "referrers mode writes no cosign tag"
    );
}

#[test]
fn reading_asks_for_pull_access_only_and_a_write_gets_push_from_the_challenge() {
    let Some(registry) = assay_testkit::Registry::start_or_skip("cli_token_scopes") else {
        return;
    };
    let built = image();
    Pusher::new(&registry.host()).push_image("team/app", "1.0", &built);
    // The proxy's tokens carry the access the client asked for, and a write with a pull-only
    // token is answered 401 with a challenge naming `pull,push`, as distribution does.
    let proxy = FaultProxy::start_with_tokens(registry.addr()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let reference = format!("{}/team/app@{}", proxy.host(), built.manifest.digest);
    let assay = |args: &[&str], key: &str| {
        run(assay_in(dir.path())
            .env("ASSAY_PASSWORD", "assay-demo")
            .args(args)
            .arg("--key")
            .arg(repo_root().join(key)))
    };

    let (code, _, stderr) = assay(&["verify", &reference], "fixtures/keys/build.pub");
    assert_eq!(code, 4, "nothing signed yet: {stderr}");
    assert!(proxy.tokens_issued() >= 1);
    assert_eq!(proxy.push_tokens_issued(), 0, "verify never asks for push");

    let (code, _, stderr) = assay(&["sign", &reference], "fixtures/keys/build.key");
    assert_eq!(code, 0, "{stderr}");
    assert!(
        proxy.push_tokens_issued() >= 1,
        "the write was granted push"
    );
    let (code, _, stderr) = assay(&["verify", &reference], "fixtures/keys/build.pub");
    assert_eq!(code, 0, "{stderr}");
}
