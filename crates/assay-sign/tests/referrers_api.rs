//! OCI 1.1 referrers on a registry that has the referrers API. The test registry
//! (distribution 2.8) has none, so the store here is in memory and answers `referrers` the
//! way the API does: every stored manifest whose `subject` is the digest. Signing and
//! attesting with `Attach::Referrers` must then push manifests with `artifactType` and
//! `subject`, leave the tag-schema fallback index alone, and verification must find them.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use assay_oci::Digest;
use assay_sign::store::{OciDescriptor, Subject};
use assay_sign::{
    Attach, Error, KeySigner, PrivateKey, Store, Verifier, attachments, attest, sign_image,
    verify_attestations, verify_image,
};

#[derive(Debug)]
struct ApiRegistry {
    subject: Subject,
    blobs: Mutex<HashMap<String, Vec<u8>>>,
    manifests: Mutex<HashMap<String, (String, Vec<u8>)>>,
    tags: Mutex<HashMap<String, String>>,
}

impl ApiRegistry {
    fn new() -> ApiRegistry {
        let image =
            br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}"#;
        let digest = Digest::sha256_of(image);
        let registry = ApiRegistry {
            subject: Subject {
                digest: digest.clone(),
                media_type: "application/vnd.oci.image.manifest.v1+json".into(),
                size: image.len() as u64,
                by_tag: false,
            },
            blobs: Mutex::default(),
            manifests: Mutex::default(),
            tags: Mutex::default(),
        };
        registry.manifests.lock().expect("lock").insert(
            digest.to_string(),
            (registry.subject.media_type.clone(), image.to_vec()),
        );
        registry
    }
}

impl Store for ApiRegistry {
    fn name(&self) -> &str {
        "api.example/app@sha256:..."
    }

    fn repository(&self) -> &str {
        "api.example/app"
    }

    fn subject(&self) -> &Subject {
        &self.subject
    }

    fn manifest_by_tag(&self, tag: &str) -> Result<Option<Vec<u8>>, Error> {
        let digest = self.tags.lock().expect("lock").get(tag).cloned();
        Ok(digest.and_then(|d| {
            self.manifests
                .lock()
                .expect("lock")
                .get(&d)
                .map(|m| m.1.clone())
        }))
    }

    fn manifest_by_digest(&self, digest: &Digest) -> Result<Option<Vec<u8>>, Error> {
        Ok(self
            .manifests
            .lock()
            .expect("lock")
            .get(&digest.to_string())
            .map(|m| m.1.clone()))
    }

    fn blob(&self, digest: &Digest, _limit: u64) -> Result<Vec<u8>, Error> {
        self.blobs
            .lock()
            .expect("lock")
            .get(&digest.to_string())
            .cloned()
            .ok_or_else(|| Error::NotFound(format!("no blob {digest}")))
    }

    fn put_blob(&self, bytes: &[u8]) -> Result<Digest, Error> {
        let digest = Digest::sha256_of(bytes);
        self.blobs
            .lock()
            .expect("lock")
            .insert(digest.to_string(), bytes.to_vec());
        Ok(digest)
    }

    fn put_manifest(
        &self,
        bytes: &[u8],
        media_type: &str,
        tag: Option<&str>,
    ) -> Result<Digest, Error> {
        let digest = Digest::sha256_of(bytes);
        self.manifests
            .lock()
            .expect("lock")
            .insert(digest.to_string(), (media_type.to_string(), bytes.to_vec()));
        if let Some(tag) = tag {
            self.tags
                .lock()
                .expect("lock")
                .insert(tag.to_string(), digest.to_string());
        }
        Ok(digest)
    }

    fn referrers(&self, digest: &Digest) -> Result<Vec<OciDescriptor>, Error> {
        let manifests = self.manifests.lock().expect("lock");
        let mut out: Vec<OciDescriptor> = manifests
            .iter()
            .filter_map(|(d, (media_type, bytes))| {
                let m: serde_json::Value = serde_json::from_slice(bytes).ok()?;
                (m["subject"]["digest"] == digest.to_string()).then(|| OciDescriptor {
                    media_type: media_type.clone(),
                    size: bytes.len() as u64,
                    digest: d.clone(),
                    annotations: BTreeMap::new(),
                    artifact_type: m["artifactType"].as_str().map(str::to_string),
                })
            })
            .collect();
        out.sort_by(|a, b| a.digest.cmp(&b.digest));
        Ok(out)
    }
}

#[test]
fn referrers_are_found_through_the_api_without_a_fallback_index() {
    let store = ApiRegistry::new();
    let key = PrivateKey::generate().expect("key");
    let signer = KeySigner::new(key.clone());
    let signed =
        sign_image(&store, &signer, &BTreeMap::new(), None, Attach::Referrers).expect("signs");
    let attested = attest(
        &store,
        &signer,
        "https://cyclonedx.org/bom",
        serde_json::json!({"bomFormat": "CycloneDX"}),
        Attach::Referrers,
    )
    .expect("attests");
    assert_eq!(
        (signed.tag.as_deref(), attested.tag.as_deref()),
        (None, None)
    );

    // Each is a manifest of its own with artifactType and subject = the image.
    let subject = store.subject().digest.to_string();
    for (done, artifact_type, layer_type) in [
        (
            &signed,
            "application/vnd.dev.cosign.artifact.sig.v1+json",
            "application/vnd.dev.cosign.simplesigning.v1+json",
        ),
        (
            &attested,
            "application/vnd.dsse.envelope.v1+json",
            "application/vnd.dsse.envelope.v1+json",
        ),
    ] {
        let bytes = store
            .manifest_by_digest(&done.manifest)
            .expect("reads")
            .expect("pushed by digest");
        let manifest: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
        assert_eq!(manifest["artifactType"], artifact_type);
        assert_eq!(manifest["subject"]["digest"], subject.as_str());
        assert_eq!(
            manifest["subject"]["mediaType"],
            "application/vnd.oci.image.manifest.v1+json"
        );
        assert_eq!(manifest["layers"][0]["mediaType"], layer_type);
    }
    // The API lists them: no cosign tags and no referrers tag-schema index were written.
    assert!(
        store.tags.lock().expect("lock").is_empty(),
        "{:?}",
        store.tags
    );

    verify_image(
        &store,
        &Verifier::Key(key.public_key()),
        &BTreeMap::new(),
        None,
    )
    .expect("signature found through the referrers API");
    let found = verify_attestations(
        &store,
        &Verifier::Key(key.public_key()),
        Some("https://cyclonedx.org/bom"),
    )
    .expect("attestation found through the referrers API");
    assert_eq!(found[0].statement.predicate["bomFormat"], "CycloneDX");

    let tree = attachments(&store).expect("tree");
    let mut kinds: Vec<&str> = tree.groups.iter().map(|g| g.kind.as_str()).collect();
    kinds.sort_unstable();
    assert_eq!(
        kinds,
        [
            "application/vnd.dev.cosign.artifact.sig.v1+json",
            "application/vnd.dsse.envelope.v1+json"
        ]
    );
}
