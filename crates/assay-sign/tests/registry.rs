//! Signatures and attestations in a real registry (the testkit's docker-registry 2.8, which
//! has no referrers API: referrers go through the tag-schema fallback).

use std::collections::BTreeMap;

use assay_oci::testing::Pusher;
use assay_oci::testing::{ImageSpec, LayerSpec};
use assay_oci::{Digest, RemoteOptions};
use assay_sign::store::OciManifest;
use assay_sign::{
    Attach, Error, KeySigner, Location, PrivateKey, Store, Verifier, attachments, attest,
    sign_image, verify_attestations, verify_image,
};

fn options(host: &str) -> RemoteOptions {
    RemoteOptions {
        plain_http: vec![host.to_string()],
        ..RemoteOptions::default()
    }
}

fn push(host: &str, repo: &str, tag: &str, content: &str) -> Digest {
    let image = ImageSpec::new()
        .layer(LayerSpec::new().file("etc/app.conf", content))
        .build();
    Pusher::new(host).push_image(repo, tag, &image);
    image.manifest.digest
}

fn open(reference: &str, host: &str) -> Box<dyn Store> {
    Location::parse(reference)
        .expect("location")
        .open(&options(host))
        .expect("opens")
}

#[test]
fn signs_verifies_and_attests_in_a_registry() {
    let Some(registry) =
        assay_testkit::Registry::start_or_skip("signs_verifies_and_attests_in_a_registry")
    else {
        return;
    };
    let host = registry.host();
    let digest = push(&host, "team/app", "1.0", "one");
    let store = open(&format!("{host}/team/app:1.0"), &host);
    assert!(store.subject().by_tag);
    assert_eq!(store.subject().digest, digest);
    let (a, b) = (
        PrivateKey::generate().expect("key"),
        PrivateKey::generate().expect("key"),
    );
    let none = BTreeMap::new();
    for k in [&a, &b] {
        sign_image(
            store.as_ref(),
            &KeySigner::new(k.clone()),
            &none,
            None,
            Attach::Tag,
        )
        .expect("signs");
    }
    // By digest, from a fresh connection: both signatures are in the .sig tag.
    let pinned = open(&format!("docker://{host}/team/app@{digest}"), &host);
    assert!(!pinned.subject().by_tag);
    let tag = format!("sha256-{}.sig", digest.hex());
    let manifest: OciManifest = serde_json::from_slice(
        &pinned
            .manifest_by_tag(&tag)
            .expect("reads")
            .expect("sig tag"),
    )
    .expect("manifest");
    assert_eq!(manifest.layers.len(), 2);
    for k in [&a, &b] {
        let verified = verify_image(pinned.as_ref(), &Verifier::Key(k.public_key()), &none, None)
            .expect("verifies");
        assert_eq!(
            verified[0].payload.critical.identity.docker_reference,
            format!("{host}/team/app")
        );
    }

    attest(
        store.as_ref(),
        &KeySigner::new(a.clone()),
        "https://cosign.sigstore.dev/attestation/vuln/v1",
        serde_json::json!({"scanner": {"uri": "assay"}}),
        Attach::Tag,
    )
    .expect("attests");
    let found = verify_attestations(
        pinned.as_ref(),
        &Verifier::Key(a.public_key()),
        Some("https://cosign.sigstore.dev/attestation/vuln/v1"),
    )
    .expect("verifies");
    assert_eq!(found[0].statement.predicate["scanner"]["uri"], "assay");
    let err = verify_attestations(pinned.as_ref(), &Verifier::Key(b.public_key()), None)
        .expect_err("b did not attest");
    assert!(
        err.to_string().starts_with("no attestation by key"),
        "{err}"
    );

    let tree = attachments(pinned.as_ref()).expect("tree");
    let kinds: Vec<&str> = tree.groups.iter().map(|g| g.kind.as_str()).collect();
    assert_eq!(kinds, ["attestations", "signatures"]);
}

#[test]
fn missing_signature_and_other_repository_errors() {
    let Some(registry) =
        assay_testkit::Registry::start_or_skip("missing_signature_and_other_repository_errors")
    else {
        return;
    };
    let host = registry.host();
    push(&host, "team/unsigned", "1.0", "x");
    let store = open(&format!("{host}/team/unsigned:1.0"), &host);
    let key = PrivateKey::generate().expect("key");
    let err = verify_image(
        store.as_ref(),
        &Verifier::Key(key.public_key()),
        &BTreeMap::new(),
        None,
    )
    .expect_err("unsigned");
    assert!(matches!(err, Error::NotFound(_)));
    assert!(
        err.to_string().contains(".sig and no signature referrers"),
        "{err}"
    );

    let err = Location::parse(&format!("{host}/team/absent:1.0"))
        .expect("location")
        .open(&options(&host))
        .expect_err("no such image");
    assert_eq!(err.kind(), assay_sign::ErrorKind::Registry);
}

#[test]
fn referrers_fall_back_to_the_tag_schema_on_registries_without_the_api() {
    let Some(registry) =
        assay_testkit::Registry::start_or_skip("referrers_fall_back_to_the_tag_schema")
    else {
        return;
    };
    let host = registry.host();
    let digest = push(&host, "team/ref", "1.0", "r");
    let store = open(&format!("{host}/team/ref@{digest}"), &host);
    let key = PrivateKey::generate().expect("key");
    let signed = sign_image(
        store.as_ref(),
        &KeySigner::new(key.clone()),
        &BTreeMap::new(),
        None,
        Attach::Referrers,
    )
    .expect("signs as referrer");
    let attested = attest(
        store.as_ref(),
        &KeySigner::new(key.clone()),
        "https://spdx.dev/Document",
        serde_json::json!({"spdxVersion": "SPDX-2.3"}),
        Attach::Referrers,
    )
    .expect("attests as referrer");
    // distribution 2.8 has no referrers API: the fallback index is the tag sha256-<hex>.
    let index = store
        .manifest_by_tag(&format!("sha256-{}", digest.hex()))
        .expect("reads")
        .expect("fallback index");
    let index: serde_json::Value = serde_json::from_slice(&index).expect("json");
    let listed: Vec<&str> = index["manifests"]
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|m| m["digest"].as_str())
        .collect();
    assert_eq!(
        listed,
        [signed.manifest.to_string(), attested.manifest.to_string()]
    );
    // No cosign tag was written.
    assert!(
        store
            .manifest_by_tag(&format!("sha256-{}.sig", digest.hex()))
            .expect("reads")
            .is_none()
    );
    verify_image(
        store.as_ref(),
        &Verifier::Key(key.public_key()),
        &BTreeMap::new(),
        None,
    )
    .expect("verifies through referrers");
    verify_attestations(
        store.as_ref(),
        &Verifier::Key(key.public_key()),
        Some("https://spdx.dev/Document"),
    )
    .expect("verifies through referrers");
}

/// Pushes a generated image with basic credentials (the testkit's Pusher is anonymous).
fn push_with_credentials(host: &str, user: &str, password: &str, repo: &str) -> Digest {
    use oci_client::client::{ClientConfig, ClientProtocol};
    let image = ImageSpec::new()
        .layer(LayerSpec::new().file("private", "p"))
        .build();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let client = oci_client::Client::new(ClientConfig {
        protocol: ClientProtocol::Http,
        ..ClientConfig::default()
    });
    let r = oci_client::Reference::with_tag(host.to_string(), repo.to_string(), "1.0".into());
    let auth = oci_client::secrets::RegistryAuth::Basic(user.into(), password.into());
    runtime.block_on(async {
        client
            .auth(&r, &auth, oci_client::RegistryOperation::Push)
            .await
            .expect("auth");
        for (digest, bytes) in image.blobs().into_iter().skip(1) {
            client
                .push_blob(&r, bytes, &digest.to_string())
                .await
                .expect("blob");
        }
        client
            .push_manifest_raw(
                &r,
                image.manifest_bytes.clone(),
                http::HeaderValue::from_static("application/vnd.oci.image.manifest.v1+json"),
            )
            .await
            .expect("manifest");
    });
    image.manifest.digest
}

#[test]
fn signs_in_a_registry_that_requires_credentials() {
    let Some(registry) = assay_testkit::auth::AuthRegistry::start_or_skip(
        "signs_in_a_registry_that_requires_credentials",
        "ci",
        "s3cret",
    ) else {
        return;
    };
    let host = registry.host();
    let digest = push_with_credentials(&host, "ci", "s3cret", "private/app");
    let reference = format!("{host}/private/app@{digest}");
    let anonymous = Location::parse(&reference)
        .expect("location")
        .open(&options(&host))
        .expect_err("anonymous pull refused");
    assert_eq!(anonymous.kind(), assay_sign::ErrorKind::Registry);
    let with_credentials = RemoteOptions {
        plain_http: vec![host.clone()],
        auth: assay_oci::RegistryAuth::Basic {
            username: "ci".into(),
            password: "s3cret".into(),
        },
        ..RemoteOptions::default()
    };
    let store = Location::parse(&reference)
        .expect("location")
        .open(&with_credentials)
        .expect("opens");
    let key = PrivateKey::generate().expect("key");
    sign_image(
        store.as_ref(),
        &KeySigner::new(key.clone()),
        &BTreeMap::new(),
        None,
        Attach::Tag,
    )
    .expect("signs with credentials");
    verify_image(
        store.as_ref(),
        &Verifier::Key(key.public_key()),
        &BTreeMap::new(),
        None,
    )
    .expect("verifies");
}
