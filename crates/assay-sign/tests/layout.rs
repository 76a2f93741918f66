//! Signing, attesting and verifying images in OCI layouts: the offline flow the promotion
//! works on. Every layout is generated here.

use std::collections::BTreeMap;
use std::path::Path;

use assay_oci::testing::{ImageSpec, LayerSpec, LayoutBuilder};
use assay_oci::{Digest, RemoteOptions};
use assay_sign::store::OciManifest;
use assay_sign::{
    Attach, Error, KeySigner, Location, PrivateKey, Store, Verifier, attachments, attest,
    sign_image, verify_attestations, verify_image,
};
use base64::Engine;

fn layout(dir: &Path) {
    LayoutBuilder::new()
        .image(
            Some("1.0"),
            ImageSpec::new().layer(LayerSpec::new().file("etc/app.conf", "one")),
        )
        .image(
            Some("2.0"),
            ImageSpec::new().layer(LayerSpec::new().file("etc/app.conf", "two")),
        )
        .write(dir);
}

fn open(dir: &Path, tag: &str) -> Box<dyn Store> {
    Location::parse(&format!("oci:{}:{tag}", dir.display()))
        .expect("location")
        .open(&RemoteOptions::default())
        .expect("opens")
}

fn key() -> PrivateKey {
    PrivateKey::generate().expect("key")
}

fn no_annotations() -> BTreeMap<String, String> {
    BTreeMap::new()
}

fn sig_manifest(store: &dyn Store) -> OciManifest {
    let tag = format!("sha256-{}.sig", store.subject().digest.hex());
    let bytes = store
        .manifest_by_tag(&tag)
        .expect("reads")
        .expect("sig tag exists");
    serde_json::from_slice(&bytes).expect("manifest")
}

#[test]
fn signs_and_verifies_a_layout_image() {
    let dir = tempfile::tempdir().expect("tmp");
    layout(dir.path());
    let store = open(dir.path(), "1.0");
    let key = key();
    let annotations = BTreeMap::from([("ci".to_string(), "github".to_string())]);
    let done = sign_image(
        store.as_ref(),
        &KeySigner::new(key.clone()),
        &annotations,
        None,
        Attach::Tag,
    )
    .expect("signs");
    assert!(done.added);
    assert_eq!(
        done.tag.as_deref(),
        Some(format!("sha256-{}.sig", store.subject().digest.hex()).as_str())
    );

    let verified = verify_image(
        store.as_ref(),
        &Verifier::Key(key.public_key()),
        &annotations,
        None,
    )
    .expect("verifies");
    assert_eq!(verified.len(), 1);
    assert_eq!(
        verified[0].payload.critical.image.docker_manifest_digest,
        store.subject().digest.to_string()
    );

    // The other image of the layout is not signed.
    let other = open(dir.path(), "2.0");
    let err = verify_image(
        other.as_ref(),
        &Verifier::Key(key.public_key()),
        &no_annotations(),
        None,
    )
    .expect_err("unsigned");
    assert!(matches!(err, Error::NotFound(_)), "{err}");
    assert!(err.to_string().starts_with("no signatures for "), "{err}");

    // The signature entry is not an image: a reader of the layout still finds both tags.
    assay_oci::OciLayout::open(dir.path(), Some("1.0")).expect("tag 1.0 still opens");
}

#[test]
fn signature_manifest_follows_cosign_layout_byte_for_byte() {
    let dir = tempfile::tempdir().expect("tmp");
    layout(dir.path());
    let store = open(dir.path(), "1.0");
    let key = key();
    sign_image(
        store.as_ref(),
        &KeySigner::new(key.clone()),
        &no_annotations(),
        Some("registry.example/app"),
        Attach::Tag,
    )
    .expect("signs");
    let digest = store.subject().digest.clone();
    let tag = format!("sha256-{}.sig", digest.hex());
    let bytes = store.manifest_by_tag(&tag).expect("reads").expect("exists");
    let manifest: OciManifest = serde_json::from_slice(&bytes).expect("manifest");
    let layer = &manifest.layers[0];
    let payload = store
        .blob(&Digest::parse(&layer.digest).expect("digest"), 1 << 20)
        .expect("payload");
    // The payload cosign signs: exact bytes, no trailing newline.
    let expected_payload = format!(
        r#"{{"critical":{{"identity":{{"docker-reference":"registry.example/app"}},"image":{{"docker-manifest-digest":"{digest}"}},"type":"cosign container image signature"}},"optional":null}}"#
    );
    assert_eq!(
        String::from_utf8(payload.clone()).expect("utf8"),
        expected_payload
    );
    let signature = &layer.annotations["dev.cosignproject.cosign/signature"];
    let config = store
        .blob(
            &Digest::parse(&manifest.config.digest).expect("digest"),
            1 << 20,
        )
        .expect("config");
    let expected_config = format!(
        r#"{{"architecture":"","created":"0001-01-01T00:00:00Z","history":[{{"created":"0001-01-01T00:00:00Z"}}],"os":"","rootfs":{{"type":"layers","diff_ids":["{}"]}},"config":{{}}}}"#,
        Digest::sha256_of(&payload)
    );
    assert_eq!(
        String::from_utf8(config.clone()).expect("utf8"),
        expected_config
    );
    // The manifest: OCI media types, ggcr's descriptor field order, signature annotation.
    let expected_manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","size":{},"digest":"{}"}},"layers":[{{"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json","size":{},"digest":"{}","annotations":{{"dev.cosignproject.cosign/signature":"{signature}"}}}}]}}"#,
        config.len(),
        Digest::sha256_of(&config),
        payload.len(),
        Digest::sha256_of(&payload)
    );
    assert_eq!(String::from_utf8(bytes).expect("utf8"), expected_manifest);
    // The signature is base64 DER ECDSA over the payload.
    let der = base64::engine::general_purpose::STANDARD
        .decode(signature)
        .expect("base64");
    assert_eq!(der[0], 0x30, "ASN.1 SEQUENCE");
    key.public_key().verify(&payload, &der).expect("verifies");
    // index.json tags the signature manifest with the cosign tag.
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("index.json")).expect("index"))
            .expect("json");
    let entry = index["manifests"]
        .as_array()
        .expect("array")
        .iter()
        .find(|m| m["annotations"]["org.opencontainers.image.ref.name"] == tag.as_str())
        .expect("tagged entry");
    assert_eq!(
        entry["mediaType"],
        "application/vnd.oci.image.manifest.v1+json"
    );
}

#[test]
fn appends_signatures_and_skips_duplicates() {
    let dir = tempfile::tempdir().expect("tmp");
    layout(dir.path());
    let store = open(dir.path(), "1.0");
    let (a, b) = (key(), key());
    for k in [&a, &b, &a] {
        sign_image(
            store.as_ref(),
            &KeySigner::new(k.clone()),
            &no_annotations(),
            None,
            Attach::Tag,
        )
        .expect("signs");
    }
    assert_eq!(
        sig_manifest(store.as_ref()).layers.len(),
        2,
        "a's second signature is identical"
    );
    for k in [&a, &b] {
        verify_image(
            store.as_ref(),
            &Verifier::Key(k.public_key()),
            &no_annotations(),
            None,
        )
        .expect("each key verifies");
    }
}

#[test]
fn rejects_wrong_key_missing_annotation_and_reference() {
    let dir = tempfile::tempdir().expect("tmp");
    layout(dir.path());
    let store = open(dir.path(), "1.0");
    let signer = key();
    let annotations = BTreeMap::from([("env".to_string(), "test".to_string())]);
    sign_image(
        store.as_ref(),
        &KeySigner::new(signer.clone()),
        &annotations,
        None,
        Attach::Tag,
    )
    .expect("signs");

    let stranger = key().public_key();
    let err = verify_image(
        store.as_ref(),
        &Verifier::Key(stranger.clone()),
        &no_annotations(),
        None,
    )
    .expect_err("wrong key");
    assert_eq!(
        err.to_string(),
        format!(
            "no signature by key {} among 1 signature(s) of {}",
            stranger.fingerprint(),
            store.subject().digest
        )
    );

    let want = BTreeMap::from([("env".to_string(), "prod".to_string())]);
    let err = verify_image(
        store.as_ref(),
        &Verifier::Key(signer.public_key()),
        &want,
        None,
    )
    .expect_err("annotation differs");
    assert_eq!(
        err.to_string(),
        "signature has annotation env=test, not env=prod"
    );
    let want = BTreeMap::from([("approved".to_string(), "yes".to_string())]);
    let err = verify_image(
        store.as_ref(),
        &Verifier::Key(signer.public_key()),
        &want,
        None,
    )
    .expect_err("annotation missing");
    assert_eq!(err.to_string(), "signature has no annotation approved=yes");

    let err = verify_image(
        store.as_ref(),
        &Verifier::Key(signer.public_key()),
        &no_annotations(),
        Some("registry.example/other"),
    )
    .expect_err("reference differs");
    assert!(
        err.to_string().contains("not registry.example/other"),
        "{err}"
    );
}

#[test]
fn rejects_tampered_payload() {
    let dir = tempfile::tempdir().expect("tmp");
    layout(dir.path());
    let store = open(dir.path(), "1.0");
    let signer = key();
    let done = sign_image(
        store.as_ref(),
        &KeySigner::new(signer.clone()),
        &no_annotations(),
        None,
        Attach::Tag,
    )
    .expect("signs");
    // Rewrite the payload blob in place: its digest no longer matches.
    let path = dir.path().join("blobs/sha256").join(done.layer.hex());
    let payload = std::fs::read(&path).expect("payload");
    let tampered = String::from_utf8(payload)
        .expect("utf8")
        .replace("cosign", "c0sign");
    std::fs::write(&path, tampered).expect("write");
    let err = verify_image(
        store.as_ref(),
        &Verifier::Key(signer.public_key()),
        &no_annotations(),
        None,
    )
    .expect_err("tampered");
    assert!(
        err.to_string().contains("does not match its digest"),
        "{err}"
    );
    assert_eq!(err.kind(), assay_sign::ErrorKind::Verification);
}

#[test]
fn rejects_a_signature_made_for_another_digest() {
    let dir = tempfile::tempdir().expect("tmp");
    layout(dir.path());
    let one = open(dir.path(), "1.0");
    let two = open(dir.path(), "2.0");
    let signer = key();
    sign_image(
        one.as_ref(),
        &KeySigner::new(signer.clone()),
        &no_annotations(),
        None,
        Attach::Tag,
    )
    .expect("signs");
    // Copy 1.0's signature manifest to 2.0's signature tag.
    let bytes = one
        .manifest_by_tag(&format!("sha256-{}.sig", one.subject().digest.hex()))
        .expect("reads")
        .expect("exists");
    two.put_manifest(
        &bytes,
        "application/vnd.oci.image.manifest.v1+json",
        Some(&format!("sha256-{}.sig", two.subject().digest.hex())),
    )
    .expect("copies");
    let err = verify_image(
        two.as_ref(),
        &Verifier::Key(signer.public_key()),
        &no_annotations(),
        None,
    )
    .expect_err("other digest");
    assert!(
        err.to_string()
            .starts_with("signature is for another digest: signed "),
        "{err}"
    );
}

#[test]
fn attests_and_verifies_predicates_by_type() {
    let dir = tempfile::tempdir().expect("tmp");
    layout(dir.path());
    let store = open(dir.path(), "1.0");
    let signer = key();
    let sbom = serde_json::json!({"bomFormat": "CycloneDX", "specVersion": "1.6"});
    attest(
        store.as_ref(),
        &KeySigner::new(signer.clone()),
        "https://cyclonedx.org/bom",
        sbom.clone(),
        Attach::Tag,
    )
    .expect("attests");
    attest(
        store.as_ref(),
        &KeySigner::new(signer.clone()),
        "https://assay.dev/approval/v1",
        serde_json::json!({"approver": "release-manager-1"}),
        Attach::Tag,
    )
    .expect("attests again");

    let all = verify_attestations(store.as_ref(), &Verifier::Key(signer.public_key()), None)
        .expect("verifies");
    assert_eq!(all.len(), 2);
    let sboms = verify_attestations(
        store.as_ref(),
        &Verifier::Key(signer.public_key()),
        Some("https://cyclonedx.org/bom"),
    )
    .expect("verifies");
    assert_eq!(sboms.len(), 1);
    assert_eq!(sboms[0].statement.predicate, sbom);
    assert_eq!(sboms[0].statement.kind, "https://in-toto.io/Statement/v1");
    assert!(sboms[0].statement.is_about(&store.subject().digest));

    let err = verify_attestations(
        store.as_ref(),
        &Verifier::Key(signer.public_key()),
        Some("https://slsa.dev/provenance/v1"),
    )
    .expect_err("no provenance");
    assert!(
        err.to_string()
            .starts_with("no attestation of type https://slsa.dev/provenance/v1"),
        "{err}"
    );
    let stranger = key().public_key();
    let err = verify_attestations(store.as_ref(), &Verifier::Key(stranger.clone()), None)
        .expect_err("wrong key");
    assert!(
        err.to_string()
            .starts_with(&format!("no attestation by key {}", stranger.fingerprint())),
        "{err}"
    );

    // Layer annotations as cosign writes them.
    let att = store
        .manifest_by_tag(&format!("sha256-{}.att", store.subject().digest.hex()))
        .expect("reads")
        .expect("exists");
    let manifest: OciManifest = serde_json::from_slice(&att).expect("manifest");
    assert_eq!(
        manifest.layers[0].media_type,
        "application/vnd.dsse.envelope.v1+json"
    );
    assert_eq!(
        manifest.layers[0].annotations["predicateType"],
        "https://cyclonedx.org/bom"
    );
    assert_eq!(
        manifest.layers[0].annotations["dev.cosignproject.cosign/signature"],
        ""
    );
}

#[test]
fn referrers_use_the_tag_schema_index_in_layouts() {
    let dir = tempfile::tempdir().expect("tmp");
    layout(dir.path());
    let store = open(dir.path(), "1.0");
    let signer = key();
    let done = sign_image(
        store.as_ref(),
        &KeySigner::new(signer.clone()),
        &no_annotations(),
        None,
        Attach::Referrers,
    )
    .expect("signs");
    attest(
        store.as_ref(),
        &KeySigner::new(signer.clone()),
        "https://slsa.dev/provenance/v1",
        serde_json::json!({"buildDefinition": {}}),
        Attach::Referrers,
    )
    .expect("attests");
    assert_eq!(done.tag, None);
    // The fallback index, tagged sha256-<hex>, lists both referrers with their artifact types.
    let index = store
        .manifest_by_tag(&format!("sha256-{}", store.subject().digest.hex()))
        .expect("reads")
        .expect("fallback index exists");
    let index: serde_json::Value = serde_json::from_slice(&index).expect("json");
    assert_eq!(
        index["mediaType"],
        "application/vnd.oci.image.index.v1+json"
    );
    let types: Vec<&str> = index["manifests"]
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|m| m["artifactType"].as_str())
        .collect();
    assert_eq!(
        types,
        [
            "application/vnd.dev.cosign.artifact.sig.v1+json",
            "application/vnd.dsse.envelope.v1+json"
        ]
    );
    // The referrer manifest names the image as its subject.
    let manifest = store
        .manifest_by_digest(&done.manifest)
        .expect("reads")
        .expect("exists");
    let manifest: OciManifest = serde_json::from_slice(&manifest).expect("manifest");
    assert_eq!(
        manifest.subject.expect("subject").digest,
        store.subject().digest.to_string()
    );
    verify_image(
        store.as_ref(),
        &Verifier::Key(signer.public_key()),
        &no_annotations(),
        None,
    )
    .expect("found through referrers");
    verify_attestations(store.as_ref(), &Verifier::Key(signer.public_key()), None)
        .expect("found through referrers");
    let tree = attachments(store.as_ref()).expect("tree");
    assert_eq!(tree.groups.len(), 2);
    assert_eq!(
        tree.groups[0].kind,
        "application/vnd.dev.cosign.artifact.sig.v1+json"
    );
}

#[test]
fn untagged_layout_image_stays_resolvable_after_signing() {
    let dir = tempfile::tempdir().expect("tmp");
    LayoutBuilder::new()
        .image(
            None,
            ImageSpec::new().layer(LayerSpec::new().file("a", "b")),
        )
        .write(dir.path());
    let location = Location::parse(&format!("oci:{}", dir.path().display())).expect("location");
    let store = location.open(&RemoteOptions::default()).expect("opens");
    sign_image(
        store.as_ref(),
        &KeySigner::new(key()),
        &no_annotations(),
        None,
        Attach::Tag,
    )
    .expect("signs");
    let again = location
        .open(&RemoteOptions::default())
        .expect("still one image");
    assert_eq!(again.subject().digest, store.subject().digest);
    let image = assay_oci::OciLayout::open(dir.path(), None).expect("image reader ignores .sig");
    let _ = image;
}
