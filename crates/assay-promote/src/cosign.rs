//! Evidence in cosign's registry layout, read and appended through
//! [`assay_oci::copy::Place`] so the same code serves registries and OCI layouts:
//! signatures under `sha256-<hex>.sig` (one simple-signing layer per signature, the base64
//! signature in the `dev.cosignproject.cosign/signature` annotation), attestations under
//! `sha256-<hex>.att` (one DSSE envelope layer per attestation, `predicateType` annotation),
//! and OCI 1.1 referrers whose layers are either of those.
//!
//! assay-sign owns signing and verifying bytes; it has no storage API for layouts yet, so the
//! storage half lives here (see /tmp/assay-helpers/requests-for-sign.md) and writes exactly
//! cosign's layout, so `assay verify`, `assay verify-attestation` and cosign read it.

use std::collections::BTreeMap;

use assay_oci::copy::{COSIGN_SUFFIXES, Place, cosign_tag};
use assay_oci::{Descriptor, Digest, media_type};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::error::Error;

/// Media type of a simple-signing payload layer.
pub const SIMPLE_SIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
/// The annotation holding a signature (base64).
pub const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
/// Media type of a DSSE envelope layer.
pub const DSSE_ENVELOPE: &str = "application/vnd.dsse.envelope.v1+json";
/// The annotation naming an attestation's predicate type.
pub const PREDICATE_ANNOTATION: &str = "predicateType";
/// OCI 1.1 empty config.
pub const EMPTY_CONFIG: &str = "application/vnd.oci.empty.v1+json";

/// Largest evidence blob read (payloads, envelopes).
const MAX_EVIDENCE: u64 = 16 << 20;

/// A signature as stored: the payload bytes and the decoded signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSignature {
    /// The simple-signing payload.
    pub payload: Vec<u8>,
    /// The raw signature bytes.
    pub signature: Vec<u8>,
}

/// Everything attached to one image digest.
#[derive(Debug, Clone, Default)]
pub struct Attached {
    /// Signatures (from the `.sig` tag and referrers).
    pub signatures: Vec<StoredSignature>,
    /// DSSE envelopes (from the `.att` tag and referrers), raw.
    pub envelopes: Vec<Vec<u8>>,
    /// Entries that could not be read, one line each (a blob missing, bad base64).
    pub problems: Vec<String>,
}

fn layers(manifest: &[u8]) -> Vec<Descriptor> {
    #[derive(serde::Deserialize)]
    struct Doc {
        #[serde(default)]
        layers: Vec<Descriptor>,
    }
    serde_json::from_slice::<Doc>(manifest)
        .map(|d| d.layers)
        .unwrap_or_default()
}

/// Reads the evidence layers of one manifest. Malformed entries become `problems`; a
/// registry or network failure is an error, never evidence silently missing.
fn collect_layers(
    place: &Place,
    manifest: &[u8],
    what: &str,
    out: &mut Attached,
) -> Result<(), Error> {
    for layer in layers(manifest) {
        let is_sig = layer.media_type == SIMPLE_SIGNING;
        let is_att = layer.media_type == DSSE_ENVELOPE;
        if !is_sig && !is_att {
            continue;
        }
        let bytes = match place.blob(&layer, MAX_EVIDENCE) {
            Ok(b) => b,
            Err(e) if e.is_network() => return Err(e.into()),
            Err(e) => {
                out.problems.push(format!("{what}: {e}"));
                continue;
            }
        };
        if is_att {
            out.envelopes.push(bytes);
            continue;
        }
        let Some(sig) = layer.annotations.get(SIGNATURE_ANNOTATION) else {
            out.problems.push(format!(
                "{what}: layer {} has no signature annotation",
                layer.digest
            ));
            continue;
        };
        match STANDARD.decode(sig.trim()) {
            Ok(signature) => out.signatures.push(StoredSignature {
                payload: bytes,
                signature,
            }),
            Err(e) => out.problems.push(format!(
                "{what}: layer {}: signature is not base64: {e}",
                layer.digest
            )),
        }
    }
    Ok(())
}

/// Reads the signatures and attestations attached to `digest` in both layouts.
pub fn read(place: &Place, digest: &Digest) -> Result<Attached, Error> {
    let mut out = Attached::default();
    for suffix in COSIGN_SUFFIXES {
        let tag = cosign_tag(digest, suffix);
        if let Some((manifest, _)) = place.manifest(&tag)? {
            collect_layers(place, &manifest, &tag, &mut out)?;
        }
    }
    for referrer in place.referrers(digest)? {
        let what = format!("referrer {}", referrer.digest);
        match place.manifest(&referrer.digest.to_string()) {
            Ok(Some((manifest, _))) => collect_layers(place, &manifest, &what, &mut out)?,
            Ok(None) => out.problems.push(format!("{what}: manifest missing")),
            Err(e) if e.is_network() => return Err(e.into()),
            Err(e) => out.problems.push(format!("{what}: {e}")),
        }
    }
    Ok(out)
}

/// Appends a layer to the cosign tag `suffix` of `digest` (creating the manifest), keeping
/// the layers already there, as `cosign sign`/`cosign attest` do. A layer already present
/// (same digest) is not added twice.
fn append(
    place: &Place,
    digest: &Digest,
    suffix: &str,
    layer_bytes: &[u8],
    layer_type: &str,
    annotations: BTreeMap<String, String>,
) -> Result<(), Error> {
    let tag = cosign_tag(digest, suffix);
    let mut layer = place.push_blob(layer_bytes, layer_type)?;
    layer.annotations = annotations;
    let mut manifest = match place.manifest(&tag)? {
        Some((bytes, _)) => serde_json::from_slice::<serde_json::Value>(&bytes)
            .map_err(|e| Error::Input(format!("{tag}: not a manifest: {e}")))?,
        None => {
            let config = place.push_blob(b"{}", media_type::OCI_CONFIG)?;
            serde_json::json!({
                "schemaVersion": 2,
                "mediaType": media_type::OCI_MANIFEST,
                "config": config,
                "layers": [],
            })
        }
    };
    let layers = manifest
        .get_mut("layers")
        .and_then(serde_json::Value::as_array_mut)
        .ok_or_else(|| Error::Input(format!("{tag}: manifest has no layers list")))?;
    let exists = layers
        .iter()
        .any(|l| l.get("digest").and_then(|d| d.as_str()) == Some(&layer.digest.to_string()));
    if exists {
        return Ok(());
    }
    layers.push(serde_json::to_value(&layer).map_err(|e| Error::Input(format!("{tag}: {e}")))?);
    let bytes = serde_json::to_vec(&manifest).map_err(|e| Error::Input(format!("{tag}: {e}")))?;
    place.push_manifest(&bytes, media_type::OCI_MANIFEST, &tag)?;
    Ok(())
}

/// Attaches a signature (payload and raw signature bytes) in the `.sig` layout.
pub fn attach_signature(
    place: &Place,
    digest: &Digest,
    payload: &[u8],
    signature: &[u8],
) -> Result<(), Error> {
    let annotations = [(SIGNATURE_ANNOTATION.to_string(), STANDARD.encode(signature))].into();
    append(place, digest, "sig", payload, SIMPLE_SIGNING, annotations)
}

/// Attaches a DSSE envelope in the `.att` layout.
pub fn attach_attestation(
    place: &Place,
    digest: &Digest,
    envelope: &[u8],
    predicate_type: &str,
) -> Result<(), Error> {
    let annotations = [(PREDICATE_ANNOTATION.to_string(), predicate_type.to_string())].into();
    append(place, digest, "att", envelope, DSSE_ENVELOPE, annotations)
}

/// Attaches a DSSE envelope as an OCI 1.1 referrer of `subject` (an artifact manifest
/// with the empty config and one envelope layer). Promotion records go here rather than in
/// `.att`, so a later copy of the source's `.att` tag can never overwrite them.
pub fn attach_referrer(
    place: &Place,
    subject: &Digest,
    subject_bytes: &[u8],
    envelope: &[u8],
    predicate_type: &str,
) -> Result<Digest, Error> {
    let config = place.push_blob(b"{}", EMPTY_CONFIG)?;
    let mut layer = place.push_blob(envelope, DSSE_ENVELOPE)?;
    layer.annotations = [(PREDICATE_ANNOTATION.to_string(), predicate_type.to_string())].into();
    let subject_desc = Descriptor::new(
        &assay_oci::copy::manifest_type_of(subject_bytes),
        subject.clone(),
        subject_bytes.len() as u64,
    );
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": media_type::OCI_MANIFEST,
        "artifactType": DSSE_ENVELOPE,
        "config": config,
        "layers": [layer],
        "subject": subject_desc,
        "annotations": {PREDICATE_ANNOTATION: predicate_type},
    });
    let bytes = serde_json::to_vec(&manifest).map_err(|e| Error::Input(e.to_string()))?;
    Ok(place.attach_referrer(subject, &bytes)?)
}
