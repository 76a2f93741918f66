//! Registry faults through the testkit's fault-injecting proxy, in front of real registries
//! (docker-registry) that the proxy makes speak token auth: every fault kind, on a pull
//! (`RemoteImage`, what `scan`/`sbom` of `docker://` use) and on a copy (what `promote`
//! uses: blob downloads and manifest reads at the source, blob uploads, manifest writes and
//! reads at the destination).
//!
//! Transient faults are absorbed: the result is the no-fault run's (the same image, the same
//! digest at the destination). Permanent faults give a one-line error naming the request and
//! the status, leave no tag at the destination, and a rerun completes. Timings come from a
//! short [`Backoff`] (10 ms delays, a 500 ms idle timeout), so no test waits long.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use assay_oci::copy::{self, Backoff, CopyOptions, Endpoint, Location, Place};
use assay_oci::testing::{ImageSpec, LayerSpec, LayoutBuilder};
use assay_oci::{Digest, Error, Image, Limits, Reference, RemoteImage, RemoteOptions};
use assay_testkit::Registry;
use assay_testkit::proxy::{Fault, FaultProxy, Target};

const RETRIES: u32 = 3;

fn backoff() -> Backoff {
    Backoff {
        base: Duration::from_millis(10),
        max: Duration::from_millis(40),
        max_retry_after: Duration::from_millis(100),
        read_timeout: Duration::from_millis(500),
    }
}

fn options() -> CopyOptions {
    CopyOptions {
        retries: RETRIES,
        backoff: backoff(),
        parallelism: 1,
        ..CopyOptions::default()
    }
}

/// Every kind of fault, each once.
fn transient_faults() -> Vec<Fault> {
    vec![
        Fault::ServerError,
        Fault::Unavailable,
        Fault::TooManyRequests { retry_after: 3600 },
        Fault::ResetMidBlob,
        Fault::Stall,
        Fault::ShortContentLength,
        Fault::LongContentLength,
        Fault::WrongContent,
        Fault::ExpireToken,
    ]
}

/// Incompressible bytes, so a layer stays larger than a small `max_json` and streams.
fn noise(len: usize) -> Vec<u8> {
    let mut x = 0x2545_f491_4f6c_dd1du64;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x.to_le_bytes()[0]
        })
        .collect()
}

/// A registry holding `team/app:v1` (a two-platform index, the amd64 image with a 200 KB
/// layer), and a token-auth fault proxy in front of it.
struct Source {
    registry: Registry,
    proxy: FaultProxy,
    root: Digest,
    _dir: tempfile::TempDir,
}

impl Source {
    fn start(test: &str) -> Option<Source> {
        let registry = Registry::start_or_skip(test)?;
        let dir = tempfile::tempdir().unwrap();
        let written = LayoutBuilder::new()
            .index(
                Some("v1"),
                vec![
                    ImageSpec::new()
                        .layer(LayerSpec::new().file("etc/os-release", "ID=amd\n"))
                        .layer(LayerSpec::new().file("app/big", noise(200_000))),
                    ImageSpec::new()
                        .platform("linux/arm64/v8")
                        .layer(LayerSpec::new().file("etc/os-release", "ID=arm\n")),
                ],
            )
            .write(dir.path());
        let root = written.indexes.last().cloned().unwrap();
        let staged = copy::copy(
            &Endpoint::new(Location::Layout {
                dir: dir.path().to_path_buf(),
                tag: Some("v1".into()),
            }),
            &registry_endpoint(&registry.host(), "team/app:v1"),
            &CopyOptions::default(),
        )
        .unwrap();
        assert_eq!(staged.destination_digest, root);
        let proxy = FaultProxy::start_with_tokens(registry.addr()).unwrap();
        Some(Source {
            registry,
            proxy,
            root,
            _dir: dir,
        })
    }
}

fn registry_endpoint(host: &str, repo_tag: &str) -> Endpoint {
    Endpoint::new(Location::Registry(
        Reference::parse(&format!("{host}/{repo_tag}")).unwrap(),
    ))
}

/// The tag's digest at a registry, read directly (not through a proxy).
fn tag_at(registry: &Registry, repo_tag: &str) -> Option<Digest> {
    let (repo, tag) = repo_tag.split_once(':').unwrap();
    let place = Place::open(&registry_endpoint(&registry.host(), repo), false).unwrap();
    place.tag_digest(tag).unwrap()
}

/// What a pull sees: the resolved image and every layer's bytes.
type Pulled = (Image, Vec<Vec<u8>>);

/// Pulls `team/app:v1` through `host` the way a scan does (manifest, index, config, layers),
/// each blob checked against its digest. A small `max_json` makes the layers stream (a
/// config or layer up to `max_json` is read whole and verified by the source).
fn pull(host: &str, max_json: u64) -> Result<Pulled, Error> {
    let reference = Reference::parse(&format!("{host}/team/app:v1")).unwrap();
    let options = RemoteOptions {
        plain_http: vec![host.to_string()],
        limits: Limits {
            max_json,
            ..Limits::default()
        },
        ..RemoteOptions::default()
    };
    let remote = RemoteImage::open_with(&reference, &options, RETRIES, &backoff())?;
    let image = Image::open(&remote, None, &options.limits)?;
    let mut layers = Vec::new();
    for layer in &image.manifest.layers {
        layers.push(assay_oci::read_verified(
            &remote,
            layer,
            &format!("layer {}", layer.digest),
            1 << 30,
        )?);
    }
    Ok((image, layers))
}

/// The digest of the pulled image's largest layer.
fn big_layer(pulled: &Pulled) -> Digest {
    pulled
        .0
        .manifest
        .layers
        .iter()
        .max_by_key(|l| l.size)
        .unwrap()
        .digest
        .clone()
}

#[test]
fn pull_absorbs_every_transient_fault_on_manifests_and_blobs() {
    let Some(src) = Source::start("pull_absorbs_transient_faults") else {
        return;
    };
    let host = src.proxy.host();
    for max_json in [Limits::default().max_json, 4096] {
        let baseline = pull(&host, max_json).expect("pull without faults");
        assert_eq!(baseline.0.index_digest.as_ref(), Some(&src.root));
        // With the default limits every blob here is read whole (and verified) by the
        // source; with 4 KiB the big layer streams, and the blob faults are aimed at it.
        let streamed = (max_json == 4096).then(|| big_layer(&baseline).to_string());
        for target in [Target::ManifestGet, Target::BlobGet] {
            for fault in transient_faults() {
                match (&streamed, target) {
                    // Wrong bytes in a streamed layer fail the pull (tested below).
                    (Some(_), Target::BlobGet) if fault == Fault::WrongContent => continue,
                    (Some(layer), Target::BlobGet) => {
                        src.proxy.inject_where(target, layer, fault, 1);
                    }
                    _ => src.proxy.inject_at(target, fault, 1),
                }
                let pulled = pull(&host, max_json)
                    .unwrap_or_else(|e| panic!("{fault:?} on {target:?}: {e}"));
                assert_eq!(src.proxy.pending(), 0, "{fault:?} on {target:?} not hit");
                assert_eq!(pulled, baseline, "{fault:?} on {target:?}");
            }
        }
    }
    assert!(
        src.proxy.tokens_issued() >= 2,
        "expired tokens were renewed"
    );
    // The token service fails too, while a token is renewed.
    let baseline = pull(&host, Limits::default().max_json).unwrap();
    for fault in [Fault::Unavailable, Fault::ResetMidBlob, Fault::Stall] {
        src.proxy
            .inject_at(Target::ManifestGet, Fault::ExpireToken, 1);
        src.proxy.inject_at(Target::Token, fault, 1);
        let pulled = pull(&host, Limits::default().max_json)
            .unwrap_or_else(|e| panic!("{fault:?} on the token service: {e}"));
        assert_eq!(
            src.proxy.pending(),
            0,
            "{fault:?} on the token service not hit"
        );
        assert_eq!(pulled, baseline);
    }
}

#[test]
fn a_download_broken_half_way_resumes_with_range() {
    let Some(src) = Source::start("resumes_with_range") else {
        return;
    };
    let host = src.proxy.host();
    let baseline = pull(&host, 4096).expect("pull");
    let big = big_layer(&baseline).to_string();
    assert_eq!(src.proxy.ranged(), 0);
    for fault in [
        Fault::ResetMidBlob,
        Fault::ShortContentLength,
        Fault::LongContentLength,
        Fault::Stall,
    ] {
        let before = src.proxy.ranged();
        src.proxy.inject_where(Target::BlobGet, &big, fault, 1);
        assert_eq!(pull(&host, 4096).expect("resumed"), baseline, "{fault:?}");
        // The registry advertises `Accept-Ranges: bytes`: a reset or a short body continues
        // from where it stopped. A stall sent no byte, so it starts from 0 again; a body
        // announced longer than it is was complete, the early close does not matter.
        let resumed = matches!(fault, Fault::ResetMidBlob | Fault::ShortContentLength);
        assert_eq!(
            src.proxy.ranged(),
            before + usize::from(resumed),
            "{fault:?}"
        );
    }
}

#[test]
fn pull_honours_retry_after() {
    let Some(src) = Source::start("pull_honours_retry_after") else {
        return;
    };
    let host = src.proxy.host();
    let reference = Reference::parse(&format!("{host}/team/app:v1")).unwrap();
    let options = RemoteOptions {
        plain_http: vec![host.clone()],
        ..RemoteOptions::default()
    };
    let patient = Backoff {
        max_retry_after: Duration::from_secs(5),
        ..backoff()
    };
    src.proxy.inject_at(
        Target::ManifestGet,
        Fault::TooManyRequests { retry_after: 1 },
        1,
    );
    let start = Instant::now();
    RemoteImage::open_with(&reference, &options, RETRIES, &patient).expect("after the wait");
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "waited {:?}",
        start.elapsed()
    );
}

#[test]
fn pull_gives_a_clear_error_when_faults_persist_and_a_rerun_completes() {
    let Some(src) = Source::start("pull_permanent_faults") else {
        return;
    };
    let host = src.proxy.host();
    let baseline = pull(&host, 4096).expect("pull");
    let big = big_layer(&baseline);
    let attempts = (RETRIES + 1) as usize;
    for (target, fault, expect) in [
        (
            Target::ManifestGet,
            Fault::Unavailable,
            "registry answered 503: UNAVAILABLE: service unavailable (gave up after 4 attempts)",
        ),
        (
            Target::ManifestGet,
            Fault::TooManyRequests { retry_after: 1 },
            "registry answered 429",
        ),
        (
            Target::ManifestGet,
            Fault::ExpireToken,
            "authentication failed (401)",
        ),
        (
            Target::Token,
            Fault::Unavailable,
            "/token: authentication failed (503)",
        ),
        (Target::BlobGet, Fault::ServerError, "registry answered 500"),
        (Target::BlobGet, Fault::Stall, "timed out"),
        (
            Target::BlobGet,
            Fault::ResetMidBlob,
            "gave up after 4 attempts",
        ),
        // A streamed layer with wrong bytes cannot be fetched again (its reader has them).
        (Target::BlobGet, Fault::WrongContent, "digest mismatch"),
    ] {
        if fault == Fault::WrongContent {
            src.proxy
                .inject_where(target, &big.to_string(), fault, attempts * 4);
        } else {
            src.proxy.inject_at(target, fault, attempts * 4);
        }
        let err = pull(&host, 4096).expect_err("persistent fault");
        let text = err.to_string();
        assert!(text.contains(expect), "{fault:?} on {target:?}: {text}");
        assert!(!text.contains('\n'), "one line: {text}");
        if fault != Fault::WrongContent {
            assert!(matches!(err, Error::Registry { .. }), "{err:?}");
            assert!(
                text.contains(&format!("docker://{host}/team/app")),
                "{text}"
            );
        } else {
            assert!(text.contains(&big.to_string()), "{text}");
        }
        src.proxy.clear();
        assert_eq!(pull(&host, 4096).expect("rerun"), baseline, "{fault:?}");
    }
}

/// Walks `team/app:v1` through `host` the way `scan`/`sbom` do, layers streamed (`max_json`
/// 4 KiB), and returns the squashed tree's paths.
fn walk(host: &str) -> Result<Vec<String>, Error> {
    let reference = Reference::parse(&format!("{host}/team/app:v1")).unwrap();
    let options = RemoteOptions {
        plain_http: vec![host.to_string()],
        limits: Limits {
            max_json: 4096,
            ..Limits::default()
        },
        ..RemoteOptions::default()
    };
    let remote = RemoteImage::open_with(&reference, &options, RETRIES, &backoff())?;
    let image = Image::open(&remote, None, &options.limits)?;
    let walked = assay_oci::walk(
        &remote,
        &image,
        &[],
        &mut assay_oci::NoVisitor,
        &assay_oci::WalkOptions::default(),
    )?;
    Ok(walked.tree.iter().map(|e| e.path.clone()).collect())
}

#[test]
fn the_walk_reads_a_streamed_layer_with_wrong_bytes_again() {
    let Some(src) = Source::start("walk_refetches_wrong_layer") else {
        return;
    };
    let host = src.proxy.host();
    let baseline = walk(&host).expect("walk without faults");
    assert!(baseline.iter().any(|p| p == "app/big"), "{baseline:?}");
    let big = big_layer(&pull(&host, 4096).expect("pull")).to_string();

    // Wrong bytes once, then twice: the walk reads the layer again and gives the same tree.
    for times in [1, 2] {
        src.proxy
            .inject_where(Target::BlobGet, &big, Fault::WrongContent, times);
        let walked = walk(&host).unwrap_or_else(|e| panic!("{times} bad copies: {e}"));
        assert_eq!(src.proxy.pending(), 0, "{times} bad copies not all served");
        assert_eq!(walked, baseline);
    }

    // Wrong every time: a one-line digest mismatch naming the layer; a rerun completes.
    src.proxy
        .inject_where(Target::BlobGet, &big, Fault::WrongContent, 100);
    let err = walk(&host).expect_err("persistently wrong bytes");
    let text = err.to_string();
    assert!(matches!(err, Error::DigestMismatch { .. }), "{err:?}");
    assert!(text.contains(&big) && !text.contains('\n'), "{text}");
    src.proxy.clear();
    assert_eq!(walk(&host).expect("rerun"), baseline);
}

/// A destination registry behind its own token-auth fault proxy.
struct Destination {
    registry: Registry,
    proxy: FaultProxy,
}

impl Destination {
    fn start(test: &str) -> Option<Destination> {
        let registry = Registry::start_or_skip(test)?;
        let proxy = FaultProxy::start_with_tokens(registry.addr()).unwrap();
        Some(Destination { registry, proxy })
    }
}

/// Where a fault goes in a copy: the source or the destination proxy, and which requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Source,
    Destination,
}

const COPY_TARGETS: [(Side, Target); 5] = [
    (Side::Source, Target::BlobGet),
    (Side::Source, Target::ManifestGet),
    (Side::Destination, Target::ManifestGet),
    (Side::Destination, Target::BlobUpload),
    (Side::Destination, Target::ManifestPut),
];

fn copy_absorbs(fault: Fault, test: &str) {
    let Some(src) = Source::start(test) else {
        return;
    };
    let Some(dst) = Destination::start(test) else {
        return;
    };
    let source = registry_endpoint(&src.proxy.host(), "team/app:v1");
    for (i, (side, target)) in COPY_TARGETS.into_iter().enumerate() {
        let repo_tag = format!("prod/app{i}:v1");
        let proxy = match side {
            Side::Source => &src.proxy,
            Side::Destination => &dst.proxy,
        };
        proxy.inject_at(target, fault, 1);
        let destination = registry_endpoint(&dst.proxy.host(), &repo_tag);
        let report = copy::copy(&source, &destination, &options())
            .unwrap_or_else(|e| panic!("{fault:?} on {side:?} {target:?}: {e}"));
        assert_eq!(
            proxy.pending(),
            0,
            "{fault:?} on {side:?} {target:?} not hit"
        );
        // The same digest as the source: the same bytes, every blob present (a registry
        // refuses a manifest whose blobs are missing).
        assert_eq!(report.destination_digest, src.root);
        assert_eq!(tag_at(&dst.registry, &repo_tag), Some(src.root.clone()));
        // And nothing left to do.
        let again = copy::copy(&source, &destination, &options()).unwrap();
        assert_eq!(again.writes(), 0, "{fault:?} on {side:?} {target:?}");
    }
    assert!(src.registry.is_up());
}

#[test]
fn a_manifest_put_racing_a_blob_commit_is_sent_again() {
    // docker-registry answers 400 MANIFEST_BLOB_UNKNOWN when another writer is committing one
    // of the manifest's blobs into the same repository (bench/load.sh, 50 promotions at once).
    let Some(src) = Source::start("manifest_put_blob_unknown") else {
        return;
    };
    let Some(dst) = Destination::start("manifest_put_blob_unknown") else {
        return;
    };
    let source = registry_endpoint(&src.proxy.host(), "team/app:v1");
    let destination = registry_endpoint(&dst.proxy.host(), "prod/app:v1");
    dst.proxy
        .inject_at(Target::ManifestPut, Fault::BlobUnknown, 2);
    let report = copy::copy(&source, &destination, &options()).expect("absorbed");
    assert_eq!(dst.proxy.pending(), 0);
    assert_eq!(report.destination_digest, src.root);
    assert_eq!(tag_at(&dst.registry, "prod/app:v1"), Some(src.root.clone()));

    // A manifest whose blob stays unknown is an error after the retries, and no tag is left.
    dst.proxy
        .inject_at(Target::ManifestPut, Fault::BlobUnknown, 100);
    let other = registry_endpoint(&dst.proxy.host(), "prod/other:v1");
    let err = copy::copy(&source, &other, &options()).expect_err("persistent");
    dst.proxy.clear();
    let text = err.to_string();
    assert!(
        text.contains("MANIFEST_BLOB_UNKNOWN") && text.contains("gave up after"),
        "{text}"
    );
    assert_eq!(tag_at(&dst.registry, "prod/other:v1"), None);
}

#[test]
fn copy_absorbs_a_500() {
    copy_absorbs(Fault::ServerError, "copy_absorbs_a_500");
}

#[test]
fn copy_absorbs_a_503() {
    copy_absorbs(Fault::Unavailable, "copy_absorbs_a_503");
}

#[test]
fn copy_absorbs_a_429_with_retry_after() {
    copy_absorbs(
        Fault::TooManyRequests { retry_after: 3600 },
        "copy_absorbs_a_429",
    );
}

#[test]
fn copy_absorbs_a_connection_reset() {
    copy_absorbs(Fault::ResetMidBlob, "copy_absorbs_a_reset");
}

#[test]
fn copy_absorbs_a_stalled_answer() {
    copy_absorbs(Fault::Stall, "copy_absorbs_a_stall");
}

#[test]
fn copy_absorbs_a_short_content_length() {
    copy_absorbs(Fault::ShortContentLength, "copy_absorbs_a_short_length");
}

#[test]
fn copy_absorbs_a_long_content_length() {
    copy_absorbs(Fault::LongContentLength, "copy_absorbs_a_long_length");
}

#[test]
fn copy_refetches_content_that_does_not_match_its_digest() {
    copy_absorbs(Fault::WrongContent, "copy_refetches_wrong_content");
}

#[test]
fn copy_renews_a_token_that_expires_mid_copy() {
    copy_absorbs(Fault::ExpireToken, "copy_renews_an_expired_token");
}

#[test]
fn chunked_uploads_absorb_faults_too() {
    let Some(src) = Source::start("chunked_uploads_absorb_faults") else {
        return;
    };
    let Some(dst) = Destination::start("chunked_uploads_absorb_faults") else {
        return;
    };
    let source = registry_endpoint(&src.proxy.host(), "team/app:v1");
    let chunked = CopyOptions {
        upload: copy::UploadMode::Chunked,
        chunk_size: 50_000,
        ..options()
    };
    for (i, fault) in [
        Fault::Unavailable,
        Fault::ResetMidBlob,
        Fault::Stall,
        Fault::ExpireToken,
    ]
    .into_iter()
    .enumerate()
    {
        let repo_tag = format!("prod/chunked{i}:v1");
        // The first PATCH of the copy: a chunk of an upload already under way.
        dst.proxy
            .inject_where(Target::BlobUpload, "PATCH", fault, 1);
        let destination = registry_endpoint(&dst.proxy.host(), &repo_tag);
        let report = copy::copy(&source, &destination, &chunked)
            .unwrap_or_else(|e| panic!("{fault:?}: {e}"));
        assert_eq!(dst.proxy.pending(), 0, "{fault:?} not hit");
        assert_eq!(report.destination_digest, src.root);
        assert_eq!(tag_at(&dst.registry, &repo_tag), Some(src.root.clone()));
    }
}

#[test]
fn copy_gives_a_clear_error_when_source_faults_persist_leaves_no_tag_and_a_rerun_completes() {
    copy_permanent_faults(Side::Source, "copy_permanent_source_faults");
}

#[test]
fn copy_gives_a_clear_error_when_destination_faults_persist_leaves_no_tag_and_a_rerun_completes() {
    copy_permanent_faults(Side::Destination, "copy_permanent_destination_faults");
}

/// Each fault of `only`'s side, injected until the retries run out: a one-line error naming
/// the request, no tag at the destination, and a rerun that completes.
fn copy_permanent_faults(only: Side, test: &str) {
    let Some(src) = Source::start(test) else {
        return;
    };
    let Some(dst) = Destination::start(test) else {
        return;
    };
    let source = registry_endpoint(&src.proxy.host(), "team/app:v1");
    let cases: [(Side, Target, Fault, &str); 8] = [
        (
            Side::Source,
            Target::BlobGet,
            Fault::Unavailable,
            "registry answered 503",
        ),
        (
            Side::Source,
            Target::BlobGet,
            Fault::WrongContent,
            "content does not match its digest",
        ),
        (
            Side::Source,
            Target::ManifestGet,
            Fault::ResetMidBlob,
            "gave up after 4 attempts",
        ),
        (
            Side::Destination,
            Target::ManifestGet,
            Fault::Stall,
            "timed out",
        ),
        (
            Side::Destination,
            Target::BlobUpload,
            Fault::ServerError,
            "registry answered 500",
        ),
        (
            Side::Destination,
            Target::BlobUpload,
            Fault::ExpireToken,
            "authentication failed (401)",
        ),
        (
            Side::Destination,
            Target::ManifestPut,
            Fault::TooManyRequests { retry_after: 3600 },
            "registry answered 429",
        ),
        (
            Side::Source,
            Target::ManifestGet,
            Fault::ShortContentLength,
            "content does not match its digest",
        ),
    ];
    for (i, (side, target, fault, expect)) in cases.into_iter().enumerate() {
        if side != only {
            continue;
        }
        let repo_tag = format!("prod/broken{i}:v1");
        let proxy = match side {
            Side::Source => &src.proxy,
            Side::Destination => &dst.proxy,
        };
        proxy.inject_at(target, fault, 100);
        let destination = registry_endpoint(&dst.proxy.host(), &repo_tag);
        let err = copy::copy(&source, &destination, &options()).expect_err("persistent fault");
        proxy.clear();
        let text = err.to_string();
        assert!(
            text.contains(expect),
            "{fault:?} on {side:?} {target:?}: {text}"
        );
        assert!(!text.contains('\n'), "one line: {text}");
        assert!(text.contains("127.0.0.1:"), "names the request: {text}");
        assert_eq!(
            tag_at(&dst.registry, &repo_tag),
            None,
            "{fault:?} on {side:?} {target:?} left a tag"
        );
        let report = copy::copy(&source, &destination, &options()).expect("rerun completes");
        assert_eq!(report.destination_digest, src.root);
        assert_eq!(tag_at(&dst.registry, &repo_tag), Some(src.root.clone()));
    }
}

/// Artifacts (`db push` / `db pull`): the same client, so the same faults are absorbed on the
/// upload of a file, the manifest write and read, and the download.
#[test]
fn artifact_push_and_pull_absorb_faults() {
    use assay_oci::{ArtifactManifest, Repository};
    let Some(registry) = Registry::start_or_skip("artifact_faults") else {
        return;
    };
    let proxy = FaultProxy::start_with_tokens(registry.addr()).unwrap();
    let host = proxy.host();
    let reference = Reference::parse(&format!("{host}/assay/db:v1")).unwrap();
    let options = RemoteOptions {
        plain_http: vec![host.clone()],
        ..RemoteOptions::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("db.bin");
    let content = noise(300_000);
    std::fs::write(&file, &content).unwrap();
    let repo = Repository::connect_with(&reference, &options, RETRIES, &backoff()).unwrap();
    for (target, fault) in [
        (Target::BlobUpload, Fault::ResetMidBlob),
        (Target::BlobUpload, Fault::Unavailable),
        (Target::BlobUpload, Fault::ExpireToken),
        (Target::BlobUpload, Fault::Stall),
        (
            Target::ManifestPut,
            Fault::TooManyRequests { retry_after: 3600 },
        ),
        (Target::ManifestPut, Fault::ResetMidBlob),
    ] {
        proxy.inject_at(target, fault, 1);
    }
    let layer = repo
        .push_blob_file(&file, "application/octet-stream")
        .expect("push through faults");
    let manifest = ArtifactManifest::new(
        "application/x-test",
        vec![layer.clone()],
        Default::default(),
    );
    let pushed = repo
        .push_manifest(&manifest)
        .expect("manifest through faults");
    assert_eq!(proxy.pending(), 0);

    for (target, fault) in [
        (Target::ManifestGet, Fault::ShortContentLength),
        (Target::ManifestGet, Fault::ExpireToken),
        (Target::BlobGet, Fault::ResetMidBlob),
        (Target::BlobGet, Fault::Stall),
        (Target::BlobGet, Fault::LongContentLength),
    ] {
        proxy.inject_at(target, fault, 1);
    }
    let (digest, pulled) = repo.pull_manifest().expect("pull through faults");
    assert_eq!(digest, pushed);
    assert_eq!(pulled, manifest);
    let mut out = Vec::new();
    repo.pull_blob_to(&layer, &mut out)
        .expect("download through faults");
    assert_eq!(proxy.pending(), 0);
    assert_eq!(out, content);

    // A registry that stays down: a registry error naming the artifact and the status.
    proxy.inject_at(Target::ManifestGet, Fault::Unavailable, 100);
    let err = repo.pull_manifest().expect_err("persistent 503");
    proxy.clear();
    assert!(matches!(err, Error::Registry { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("assay/db:v1"), "{text}");
    assert!(text.contains("registry answered 503"), "{text}");
    assert_eq!(repo.pull_manifest().expect("rerun").0, pushed);
}

/// `Place` (what `promote` reads signatures, attestations and base images through) uses the
/// same client: a blob with wrong bytes is fetched again, a manifest read survives a reset.
#[test]
fn place_reads_absorb_faults() {
    let Some(src) = Source::start("place_reads_absorb_faults") else {
        return;
    };
    let host = src.proxy.host();
    let (image, _) = pull(&host, Limits::default().max_json).unwrap();
    let config = &image.manifest.config;
    let place = Place::open(&registry_endpoint(&host, "team/app:v1"), false).unwrap();
    let clean = place.blob(config, 1 << 20).unwrap();
    for fault in [
        Fault::WrongContent,
        Fault::Unavailable,
        Fault::ShortContentLength,
    ] {
        src.proxy.inject_at(Target::BlobGet, fault, 1);
        assert_eq!(place.blob(config, 1 << 20).unwrap(), clean, "{fault:?}");
        assert_eq!(src.proxy.pending(), 0);
    }
    src.proxy
        .inject_at(Target::ManifestGet, Fault::ResetMidBlob, 1);
    assert_eq!(place.resolve().unwrap().0, src.root);
    assert_eq!(src.proxy.pending(), 0);
}
