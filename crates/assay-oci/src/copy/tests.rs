//! The copy engine against real registries (the testkit's docker-registry, one with basic
//! auth) and OCI layouts.

use std::path::Path;

use super::layout::LayoutStore;
use super::*;
use crate::testing::{ImageSpec, LayerSpec, LayoutBuilder};
use assay_testkit::Registry;
use assay_testkit::auth::AuthRegistry;

const SIG_PAYLOAD: &[u8] = br#"{"critical":{"type":"cosign container image signature"}}"#;

/// A layout with a two-platform index tagged `v1`, a cosign-style `.sig` tag on it and one
/// OCI 1.1 referrer listed in the tag-schema fallback index. Returns the index digest and
/// the referrer's digest.
fn source_layout(dir: &Path) -> (Digest, Digest) {
    let written = LayoutBuilder::new()
        .index(
            Some("v1"),
            vec![
                ImageSpec::new()
                    .layer(LayerSpec::new().file("etc/os-release", "ID=amd\n"))
                    .layer(LayerSpec::new().file("app/big", vec![7u8; 300_000])),
                ImageSpec::new()
                    .platform("linux/arm64/v8")
                    .layer(LayerSpec::new().file("etc/os-release", "ID=arm\n")),
            ],
        )
        .write(dir);
    let root = written.indexes.last().cloned().expect("index written");
    let store = LayoutStore::open(dir, false).expect("layout opens");
    let write_blob = |bytes: &[u8]| {
        let d = Digest::sha256_of(bytes);
        std::fs::write(crate::testing::layout::blob_path(dir, &d), bytes).expect("blob");
        d
    };
    // cosign's tag layout: an image manifest whose layer is the signed payload.
    let config = write_blob(b"{}");
    let payload = write_blob(SIG_PAYLOAD);
    let sig = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": media_type::OCI_MANIFEST,
        "config": {"mediaType": media_type::OCI_CONFIG, "digest": config, "size": 2},
        "layers": [{
            "mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
            "digest": payload, "size": SIG_PAYLOAD.len(),
            "annotations": {"dev.cosignproject.cosign/signature": "MEUCIQ=="}
        }]
    });
    let sig = serde_json::to_vec(&sig).expect("json");
    store
        .put_manifest(&sig, media_type::OCI_MANIFEST, &cosign_tag(&root, "sig"))
        .expect("sig tag");
    // An OCI 1.1 referrer and the fallback index naming it.
    let root_bytes = std::fs::read(crate::testing::layout::blob_path(dir, &root)).expect("root");
    let empty = write_blob(b"{}");
    let sbom = write_blob(b"{\"bomFormat\":\"CycloneDX\"}");
    let referrer = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": media_type::OCI_MANIFEST,
        "artifactType": "application/vnd.cyclonedx+json",
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": empty, "size": 2},
        "layers": [{"mediaType": "application/vnd.cyclonedx+json", "digest": sbom, "size": 25}],
        "subject": {"mediaType": media_type::OCI_INDEX, "digest": root, "size": root_bytes.len()}
    });
    let referrer = serde_json::to_vec(&referrer).expect("json");
    let referrer_digest = Digest::sha256_of(&referrer);
    store
        .put_manifest(
            &referrer,
            media_type::OCI_MANIFEST,
            &referrer_digest.to_string(),
        )
        .expect("referrer");
    let mut entry = Descriptor::new(
        media_type::OCI_MANIFEST,
        referrer_digest.clone(),
        referrer.len() as u64,
    );
    entry.artifact_type = Some("application/vnd.cyclonedx+json".into());
    let fallback = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": media_type::OCI_INDEX, "manifests": [entry]
    }))
    .expect("json");
    store
        .put_manifest(&fallback, media_type::OCI_INDEX, &referrers_tag(&root))
        .expect("fallback tag");
    (root, referrer_digest)
}

fn layout(dir: &Path, tag: &str) -> Endpoint {
    Endpoint::new(Location::Layout {
        dir: dir.to_path_buf(),
        tag: Some(tag.to_string()),
    })
}

fn registry(host: &str, repo_tag: &str) -> Endpoint {
    Endpoint::new(Location::Registry(
        Reference::parse(&format!("{host}/{repo_tag}")).expect("reference"),
    ))
}

fn basic(mut endpoint: Endpoint, r: &AuthRegistry) -> Endpoint {
    endpoint.auth = RegistryAuth::Basic {
        username: r.username().to_string(),
        password: r.password().to_string(),
    };
    endpoint
}

#[test]
fn copies_an_index_with_signatures_and_referrers_between_two_registries_byte_for_byte() {
    let Some(test) = Registry::start_or_skip("copy_between_registries") else {
        return;
    };
    let Some(prod) = AuthRegistry::start_or_skip("copy_between_registries", "ci", "s3cret") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let (root, referrer) = source_layout(dir.path());

    let staged = copy(
        &layout(dir.path(), "v1"),
        &registry(&test.host(), "team/app:v1"),
        &CopyOptions::default(),
    )
    .expect("layout to test registry");
    assert_eq!(staged.destination_digest, root);

    let src = registry(&test.host(), "team/app:v1");
    let dst = basic(registry(&prod.host(), "prod/app:v1"), &prod);
    let first = copy(&src, &dst, &CopyOptions::default()).expect("test to prod");
    assert_eq!(first.source_digest, root);
    assert_eq!(first.destination_digest, root);
    assert!(
        first.count(Kind::Blob, Action::Copy) >= 5,
        "{:?}",
        first.steps
    );
    assert!(
        first
            .steps
            .iter()
            .any(|s| s.kind == Kind::Tag && s.name.ends_with(".sig"))
    );
    assert!(
        first
            .steps
            .iter()
            .any(|s| s.digest == referrer && s.action == Action::Push)
    );

    // What prod holds, read back with the engine's own client.
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let prod_store = rt
        .block_on(Store::open(&dst, false, None, &registry::Policy::default()))
        .expect("open prod");
    let tagged = rt.block_on(prod_store.manifest_digest("v1")).expect("head");
    assert_eq!(tagged, Some(root.clone()));
    let sig = rt
        .block_on(prod_store.get_manifest(&cosign_tag(&root, "sig")))
        .expect("sig");
    assert!(sig.is_some(), "signature tag copied");
    // docker-registry 2.8 has no referrers API: the fallback index must list the referrer.
    let referrers = rt.block_on(prod_store.referrers(&root)).expect("referrers");
    assert_eq!(
        referrers
            .iter()
            .map(|d| d.digest.clone())
            .collect::<Vec<_>>(),
        vec![referrer.clone()]
    );
    assert_eq!(
        referrers
            .first()
            .and_then(|d| d.artifact_type.clone())
            .as_deref(),
        Some("application/vnd.cyclonedx+json")
    );

    // Idempotent: nothing written, one request for the image's manifest plus one per
    // attached tag and the referrers check.
    let second = copy(&src, &dst, &CopyOptions::default()).expect("second copy");
    assert_eq!(second.writes(), 0, "{:?}", second.steps);
    assert_eq!(second.bytes_copied, 0);
    assert!(
        second.destination_requests <= 16,
        "{} requests",
        second.destination_requests
    );
}

#[test]
fn mounts_blobs_across_repositories_of_one_registry() {
    let Some(reg) = Registry::start_or_skip("mounts_blobs") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let (root, _) = source_layout(dir.path());
    copy(
        &layout(dir.path(), "v1"),
        &registry(&reg.host(), "test/app:v1"),
        &CopyOptions::default(),
    )
    .expect("stage");
    let plan = copy(
        &registry(&reg.host(), "test/app:v1"),
        &registry(&reg.host(), "prod/app:v1"),
        &CopyOptions {
            dry_run: true,
            ..CopyOptions::default()
        },
    )
    .expect("plan");
    assert!(plan.count(Kind::Blob, Action::Mount) >= 5);
    assert_eq!(plan.count(Kind::Blob, Action::Copy), 0);
    let report = copy(
        &registry(&reg.host(), "test/app:v1"),
        &registry(&reg.host(), "prod/app:v1"),
        &CopyOptions::default(),
    )
    .expect("copy");
    assert_eq!(report.destination_digest, root);
    assert_eq!(
        report.count(Kind::Blob, Action::Copy),
        0,
        "{:?}",
        report.steps
    );
    assert!(report.count(Kind::Blob, Action::Mount) >= 5);
    assert_eq!(report.bytes_copied, 0);
}

#[test]
fn dry_run_plans_without_writing() {
    let Some(reg) = Registry::start_or_skip("dry_run_plans") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    source_layout(dir.path());
    let dst = registry(&reg.host(), "prod/app:v1");
    let plan = copy(
        &layout(dir.path(), "v1"),
        &dst,
        &CopyOptions {
            dry_run: true,
            ..CopyOptions::default()
        },
    )
    .expect("plan");
    assert!(plan.dry_run);
    assert!(plan.count(Kind::Blob, Action::Copy) >= 5);
    assert!(plan.count(Kind::Manifest, Action::Push) >= 3);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let store = rt
        .block_on(Store::open(&dst, false, None, &registry::Policy::default()))
        .expect("open");
    assert_eq!(
        rt.block_on(store.manifest_digest("v1")).expect("head"),
        None
    );

    // Into a layout that does not exist yet: planned, not created.
    let out = tempfile::tempdir().expect("tempdir");
    let new_layout = out.path().join("prod");
    let plan = copy(
        &layout(dir.path(), "v1"),
        &layout(&new_layout, "v1"),
        &CopyOptions {
            dry_run: true,
            ..CopyOptions::default()
        },
    )
    .expect("plan into a new layout");
    assert!(plan.count(Kind::Blob, Action::Copy) >= 5);
    assert!(!new_layout.exists());
}

#[test]
fn copies_one_platform_by_its_own_digest_with_chunked_uploads() {
    let Some(reg) = Registry::start_or_skip("one_platform") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let (root, _) = source_layout(dir.path());
    let report = copy(
        &layout(dir.path(), "v1"),
        &registry(&reg.host(), "prod/app:arm"),
        &CopyOptions {
            platforms: vec![Platform::parse("linux/arm64").expect("platform")],
            upload: UploadMode::Chunked,
            chunk_size: 1000,
            ..CopyOptions::default()
        },
    )
    .expect("copy");
    assert_ne!(report.destination_digest, root);
    assert_eq!(report.source_digest, report.destination_digest);
    let err = copy(
        &layout(dir.path(), "v1"),
        &registry(&reg.host(), "prod/app:s390"),
        &CopyOptions {
            platforms: vec![Platform::parse("linux/s390x").expect("platform")],
            ..CopyOptions::default()
        },
    )
    .expect_err("no such platform");
    assert!(
        err.to_string()
            .contains("no manifest for platform linux/s390x"),
        "{err}"
    );
}

#[test]
fn registry_to_layout_round_trip_keeps_digests_and_attachments() {
    let Some(reg) = Registry::start_or_skip("to_layout") else {
        return;
    };
    let src_dir = tempfile::tempdir().expect("tempdir");
    let (root, referrer) = source_layout(src_dir.path());
    copy(
        &layout(src_dir.path(), "v1"),
        &registry(&reg.host(), "test/app:v1"),
        &CopyOptions {
            upload: UploadMode::Monolithic,
            ..CopyOptions::default()
        },
    )
    .expect("stage");
    let out = tempfile::tempdir().expect("tempdir");
    let dst_dir = out.path().join("prod");
    let report = copy(
        &registry(&reg.host(), "test/app:v1"),
        &layout(&dst_dir, "release"),
        &CopyOptions::default(),
    )
    .expect("to layout");
    assert_eq!(report.destination_digest, root);
    let store = LayoutStore::open(&dst_dir, false).expect("layout written");
    assert_eq!(
        store.manifest_digest("release").expect("read"),
        Some(root.clone())
    );
    assert!(
        store
            .get_manifest(&cosign_tag(&root, "sig"))
            .expect("read")
            .is_some()
    );
    assert!(store.has_blob(&referrer));
    let again = copy(
        &registry(&reg.host(), "test/app:v1"),
        &layout(&dst_dir, "release"),
        &CopyOptions::default(),
    )
    .expect("again");
    assert_eq!(again.writes(), 0, "{:?}", again.steps);
}

#[test]
fn a_blob_with_the_wrong_content_fails_the_copy_and_leaves_no_tag() {
    let Some(reg) = Registry::start_or_skip("wrong_content") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let written = LayoutBuilder::new()
        .image(
            Some("v1"),
            ImageSpec::new().layer(LayerSpec::new().file("a", "original")),
        )
        .write(dir.path());
    let layer = written.images[0].layers[0].digest.clone();
    let path = crate::testing::layout::blob_path(dir.path(), &layer);
    let mut bytes = std::fs::read(&path).expect("read");
    if let Some(b) = bytes.last_mut() {
        *b ^= 0xff;
    }
    std::fs::write(&path, bytes).expect("corrupt");
    let dst = registry(&reg.host(), "prod/app:v1");
    let err =
        copy(&layout(dir.path(), "v1"), &dst, &CopyOptions::default()).expect_err("corrupt blob");
    assert!(matches!(err, CopyError::DigestMismatch { .. }), "{err}");
    assert!(err.to_string().contains(&layer.to_string()), "{err}");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let store = rt
        .block_on(Store::open(&dst, false, None, &registry::Policy::default()))
        .expect("open");
    assert_eq!(
        rt.block_on(store.manifest_digest("v1")).expect("head"),
        None
    );
    assert!(!rt.block_on(store.has_blob(&layer)).expect("head"));
}

#[test]
fn wrong_credentials_are_an_authentication_error() {
    let Some(prod) = AuthRegistry::start_or_skip("wrong_credentials", "ci", "s3cret") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    source_layout(dir.path());
    let mut dst = registry(&prod.host(), "prod/app:v1");
    dst.auth = RegistryAuth::Basic {
        username: "ci".into(),
        password: "wrong".into(),
    };
    let err = copy(&layout(dir.path(), "v1"), &dst, &CopyOptions::default()).expect_err("refused");
    assert!(err.is_network());
    assert!(err.to_string().contains("authentication failed"), "{err}");
    assert!(!err.to_string().contains("wrong"), "password leaked: {err}");
}

/// Through the fault proxy in front of the source registry: each fault fails the copy with
/// a clear error and no destination tag; a rerun completes with the source's digest.
#[test]
fn faults_fail_cleanly_and_a_rerun_completes() {
    use assay_testkit::proxy::{Fault, FaultProxy};
    let Some(test) = Registry::start_or_skip("faults") else {
        return;
    };
    let Some(prod) = AuthRegistry::start_or_skip("faults", "ci", "s3cret") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let (root, _) = source_layout(dir.path());
    copy(
        &layout(dir.path(), "v1"),
        &registry(&test.host(), "team/app:v1"),
        &CopyOptions::default(),
    )
    .expect("stage");
    let proxy = FaultProxy::start(test.addr()).expect("proxy");
    let src = registry(&proxy.host(), "team/app:v1");
    let no_retry = CopyOptions {
        retries: 0,
        parallelism: 1,
        ..CopyOptions::default()
    };
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    for (i, (fault, expect)) in [
        (Fault::ServerError, "registry answered 500"),
        (Fault::ResetMidBlob, "blobs/sha256:"),
        (Fault::WrongContent, "content does not match its digest"),
    ]
    .into_iter()
    .enumerate()
    {
        let dst = basic(registry(&prod.host(), &format!("prod/app{i}:v1")), &prod);
        proxy.inject(fault, 1);
        let err = copy(&src, &dst, &no_retry).expect_err("fault fails the copy");
        assert!(err.to_string().contains(expect), "{fault:?}: {err}");
        assert_eq!(proxy.pending(), 0);
        let store = rt
            .block_on(Store::open(&dst, false, None, &registry::Policy::default()))
            .expect("open");
        assert_eq!(
            rt.block_on(store.manifest_digest("v1")).expect("head"),
            None,
            "{fault:?} left a tag"
        );
        let report = copy(&src, &dst, &no_retry).expect("rerun completes");
        assert_eq!(report.destination_digest, root);
        assert_eq!(
            rt.block_on(store.manifest_digest("v1")).expect("head"),
            Some(root.clone())
        );
    }
    // With retries, one transient failure does not fail the copy.
    let dst = basic(registry(&prod.host(), "prod/retried:v1"), &prod);
    proxy.inject(Fault::ServerError, 1);
    proxy.inject(Fault::ResetMidBlob, 1);
    let report = copy(&src, &dst, &CopyOptions::default()).expect("retries absorb faults");
    assert_eq!(report.destination_digest, root);
    assert_eq!(proxy.pending(), 0);
}
