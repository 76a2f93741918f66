//! `assay db push` / `assay db pull` against a real registry (docker-registry on loopback):
//! the database round-trips as an OCI artifact byte for byte, the manifest carries assay's
//! artifact type and annotations, and what is not an assay database or does not match its
//! digest is refused without touching the installed file.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use assay_oci::{ArtifactManifest, Reference, RemoteOptions, Repository};
use common::{assay, run};

fn build_db(dir: &Path) -> PathBuf {
    let path = dir.join("built.db");
    let (code, _, stderr) = run(assay()
        .args(["db", "build", "--from", "fixtures/osv", "--output"])
        .arg(&path));
    assert_eq!(code, 0, "{stderr}");
    path
}

fn plain(host: &str) -> RemoteOptions {
    RemoteOptions {
        plain_http: vec![host.to_string()],
        ..RemoteOptions::default()
    }
}

#[test]
fn the_database_round_trips_through_a_registry_as_an_oci_artifact() {
    let Some(registry) = assay_testkit::Registry::start_or_skip("db_push_pull") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let built = build_db(dir.path());
    let reference = format!("{}/security/assay-db:1", registry.host());

    let (code, stdout, stderr) = run(assay().args(["db", "push", &reference, "--db"]).arg(&built));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.starts_with(&format!("pushed {reference}@sha256:")),
        "{stdout}"
    );
    let digest = stdout
        .lines()
        .next()
        .and_then(|l| l.split('@').nth(1))
        .unwrap()
        .to_string();

    // The manifest as any OCI tool sees it.
    let repo = Repository::connect(
        &Reference::parse(&reference).unwrap(),
        &plain(&registry.host()),
    )
    .unwrap();
    let (pulled_digest, manifest) = repo.pull_manifest().unwrap();
    assert_eq!(pulled_digest.to_string(), digest);
    assert_eq!(
        manifest.artifact_type.as_deref(),
        Some("application/vnd.assay.db.v1")
    );
    assert_eq!(
        manifest.config.media_type,
        "application/vnd.oci.empty.v1+json"
    );
    assert_eq!(manifest.layers.len(), 1);
    assert_eq!(
        manifest.layers[0].media_type,
        "application/vnd.assay.db.layer.v1"
    );
    assert_eq!(manifest.layers[0].size, fs::metadata(&built).unwrap().len());
    assert_eq!(manifest.annotations["dev.assay.db.schema-version"], "1");
    assert_eq!(
        manifest.annotations["org.opencontainers.image.created"],
        "2026-01-01T00:00:00Z"
    );

    // Pull by tag into the XDG cache location, and by digest into ASSAY_DB.
    let cache = dir.path().join("cache");
    let (code, stdout, stderr) = run(assay()
        .env("XDG_CACHE_HOME", &cache)
        .args(["db", "pull", &reference]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains(&digest), "{stdout}");
    let installed = cache.join("assay/db/assay.db");
    assert_eq!(fs::read(&installed).unwrap(), fs::read(&built).unwrap());

    let pinned = format!("{}/security/assay-db@{digest}", registry.host());
    let target = dir.path().join("pinned.db");
    let (code, _, stderr) = run(assay()
        .env("ASSAY_DB", &target)
        .args(["db", "pull", &pinned]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(fs::read(&target).unwrap(), fs::read(&built).unwrap());
    let (code, stdout, _) = run(assay()
        .args(["db", "info", "--format", "json", "--db"])
        .arg(&target));
    assert_eq!(code, 0);
    assert!(stdout.contains("\"schema_version\": 1"), "{stdout}");

    // `assay db update` with `db.repository` pulls the same artifact.
    let config = dir.path().join("assay.yaml");
    fs::write(&config, format!("db:\n  repository: {reference}\n")).unwrap();
    let updated = dir.path().join("updated.db");
    let (code, stdout, stderr) = run(assay()
        .args(["db", "update", "--config"])
        .arg(&config)
        .arg("--db")
        .arg(&updated));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains(&digest), "{stdout}");
    assert_eq!(fs::read(&updated).unwrap(), fs::read(&built).unwrap());

    // Pushing the same file again gives the same manifest digest (annotations come from
    // the file, not the clock).
    let (_, again, _) = run(assay().args(["db", "push", &reference, "--db"]).arg(&built));
    assert!(again.contains(&digest), "{again}");
}

#[test]
fn other_artifacts_wrong_digests_and_missing_tags_are_refused() {
    let Some(registry) = assay_testkit::Registry::start_or_skip("db_pull_refusals") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let built = build_db(dir.path());
    let host = registry.host();
    let installed = dir.path().join("installed.db");
    fs::write(&installed, b"the old database").unwrap();

    // An artifact of another type.
    let other = format!("{host}/security/other:1");
    let repo = Repository::connect(&Reference::parse(&other).unwrap(), &plain(&host)).unwrap();
    let layer = repo
        .push_blob_bytes(b"not a database", "application/vnd.example.thing")
        .unwrap();
    repo.push_manifest(&ArtifactManifest::new(
        "application/vnd.example.thing",
        vec![layer],
        BTreeMap::new(),
    ))
    .unwrap();
    let (code, _, stderr) = run(assay().args(["db", "pull", &other, "--db"]).arg(&installed));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("not an assay database"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1);

    // A database artifact of another schema is refused before its layer is fetched.
    let future = format!("{host}/security/assay-db:future");
    let repo = Repository::connect(&Reference::parse(&future).unwrap(), &plain(&host)).unwrap();
    let layer = repo
        .push_blob_file(&built, "application/vnd.assay.db.layer.v1")
        .unwrap();
    repo.push_manifest(&ArtifactManifest::new(
        "application/vnd.assay.db.v1",
        vec![layer.clone()],
        BTreeMap::from([("dev.assay.db.schema-version".to_string(), "99".to_string())]),
    ))
    .unwrap();
    let (code, _, stderr) = run(assay()
        .args(["db", "pull", &future, "--db"])
        .arg(&installed));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("schema 99"), "{stderr}");

    // A manifest whose layer descriptor lies about the size: the pull stops, exit 4.
    let lying = format!("{host}/security/assay-db:lying");
    let repo = Repository::connect(&Reference::parse(&lying).unwrap(), &plain(&host)).unwrap();
    let mut short = layer.clone();
    short.size -= 1;
    let pushed = repo.push_manifest(&ArtifactManifest::new(
        "application/vnd.assay.db.v1",
        vec![short],
        BTreeMap::new(),
    ));
    // docker-registry (distribution 2.8) does not check descriptor sizes: the client must.
    assert!(pushed.is_ok(), "registry refused: {pushed:?}");
    let (code, _, stderr) = run(assay().args(["db", "pull", &lying, "--db"]).arg(&installed));
    assert_eq!(code, 4, "{stderr}");
    assert!(stderr.contains("size mismatch"), "{stderr}");

    // A pinned digest the registry does not serve under that name.
    let pinned = format!("{host}/security/assay-db@sha256:{}", "0".repeat(64));
    let (code, _, stderr) = run(assay()
        .args(["db", "pull", &pinned, "--db"])
        .arg(&installed));
    assert_eq!(code, 3, "{stderr}");

    // A tag that does not exist: a registry error, exit 3.
    let (code, _, stderr) = run(assay()
        .args([
            "db",
            "pull",
            &format!("{host}/security/assay-db:missing"),
            "--db",
        ])
        .arg(&installed));
    assert_eq!(code, 3, "{stderr}");
    assert_eq!(stderr.lines().count(), 1);

    assert_eq!(
        fs::read(&installed).unwrap(),
        b"the old database",
        "a refused pull leaves the installed file alone"
    );
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(".assay-db-"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files are removed");
}

#[test]
fn offline_pull_and_pushing_a_non_database_are_input_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run(assay()
        .args([
            "db",
            "pull",
            "registry.example.com/security/assay-db:1",
            "--offline",
            "--db",
        ])
        .arg(dir.path().join("x.db")));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("would fetch registry.example.com/security/assay-db:1"),
        "{stderr}"
    );

    let not_db = dir.path().join("not.db");
    fs::write(&not_db, b"hello").unwrap();
    let (code, _, stderr) = run(assay()
        .args(["db", "push", "127.0.0.1:9/x:1", "--db"])
        .arg(&not_db));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("not an assay vulnerability database"),
        "{stderr}"
    );
}
