//! Image signatures and attestations stored the way cosign stores them.
//!
//! **Signatures** (`cosign sign`): a simple-signing payload ([`SimpleSigning`]) per signature,
//! stored as one layer (`application/vnd.dev.cosign.simplesigning.v1+json`, the payload bytes
//! as the blob, the base64 signature in the `dev.cosignproject.cosign/signature` annotation) of
//! an OCI manifest tagged `sha256-<image digest hex>.sig` in the image's repository. Signing
//! again appends a layer; an identical signature is not added twice.
//!
//! **Attestations** (`cosign attest`): an in-toto Statement v1 ([`Statement`]) whose subject is
//! the image digest, in a DSSE envelope ([`Envelope`]), stored as one layer
//! (`application/vnd.dsse.envelope.v1+json`, annotations `predicateType` and an empty
//! `dev.cosignproject.cosign/signature`) of the manifest tagged `sha256-<hex>.att`.
//!
//! **Referrers** (OCI 1.1, `--registry-referrers`): one manifest per signature or
//! attestation, with `artifactType` ([`ARTIFACT_TYPE_SIGNATURE`] or
//! [`ARTIFACT_TYPE_ATTESTATION`]) and `subject` naming the image, pushed by digest. When the
//! registry does not list it through the referrers API (distribution 2.8 has none), the
//! referrers tag schema index `sha256-<hex>` is updated, as the distribution spec says.
//! Verification reads both layouts.
//!
//! The config blob of tag-layout manifests is the one go-containerregistry derives for
//! `mutate.Append(empty.Image, ...)`, which is what cosign pushes, so manifests assay writes
//! have cosign's shape field for field.

use std::collections::BTreeMap;

use assay_oci::Digest;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::dsse::{self, Envelope, EnvelopeSignature, Statement};
use crate::error::{Error, digest_tag};
use crate::key::PublicKey;
use crate::keyless::{CertificateIdentity, TrustRoot};
use crate::payload::SimpleSigning;
use crate::signer::{Signature, Signer};
use crate::store::{MAX_BLOB, OciDescriptor, OciIndex, OciManifest, Store};

/// Layer media type of image signatures.
pub const SIMPLE_SIGNING_MEDIA_TYPE: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
/// Layer media type of attestations.
pub const DSSE_MEDIA_TYPE: &str = "application/vnd.dsse.envelope.v1+json";
/// Annotation holding the base64 signature (empty on attestation layers).
pub const ANNOTATION_SIGNATURE: &str = "dev.cosignproject.cosign/signature";
/// Annotation holding the keyless signing certificate (PEM).
pub const ANNOTATION_CERTIFICATE: &str = "dev.sigstore.cosign/certificate";
/// Annotation holding the keyless certificate chain (PEM).
pub const ANNOTATION_CHAIN: &str = "dev.sigstore.cosign/chain";
/// Annotation holding the Rekor bundle (JSON).
pub const ANNOTATION_BUNDLE: &str = "dev.sigstore.cosign/bundle";
/// Annotation naming an attestation layer's predicate type.
pub const ANNOTATION_PREDICATE_TYPE: &str = "predicateType";
/// `artifactType` of signature referrers (cosign's value).
pub const ARTIFACT_TYPE_SIGNATURE: &str = "application/vnd.dev.cosign.artifact.sig.v1+json";
/// `artifactType` of attestation referrers.
pub const ARTIFACT_TYPE_ATTESTATION: &str = DSSE_MEDIA_TYPE;
/// Another `artifactType` other tools give attestation referrers (read, not written).
pub const ARTIFACT_TYPE_ATTESTATION_ALT: &str = "application/vnd.dev.cosign.artifact.att.v1+json";

const OCI_MANIFEST: &str = assay_oci::media_type::OCI_MANIFEST;
const OCI_INDEX: &str = assay_oci::media_type::OCI_INDEX;
const OCI_CONFIG: &str = assay_oci::media_type::OCI_CONFIG;

/// `sha256-<hex>.sig`: the tag of an image's signatures (copy it along with the image).
pub fn signature_tag(image: &Digest) -> String {
    format!("{}.sig", digest_tag(image))
}

/// `sha256-<hex>.att`: the tag of an image's attestations.
pub fn attestation_tag(image: &Digest) -> String {
    format!("{}.att", digest_tag(image))
}

/// `sha256-<hex>`: the referrers tag-schema index of an image.
pub fn referrers_tag(image: &Digest) -> String {
    digest_tag(image)
}

/// The predicate type URI for cosign's `--type` shorthands; anything else must be a URI.
pub fn predicate_type_uri(name: &str) -> Result<String, Error> {
    let uri = match name {
        "slsaprovenance" | "slsaprovenance02" => "https://slsa.dev/provenance/v0.2",
        "slsaprovenance1" => "https://slsa.dev/provenance/v1",
        "link" => "https://in-toto.io/Link/v1",
        "spdx" | "spdxjson" => "https://spdx.dev/Document",
        "cyclonedx" => "https://cyclonedx.org/bom",
        "vuln" => "https://cosign.sigstore.dev/attestation/vuln/v1",
        "openvex" => "https://openvex.dev/ns",
        "custom" => "https://cosign.sigstore.dev/attestation/v1",
        uri if uri.contains("://") => uri,
        other => {
            return Err(Error::invalid(
                format!("--type {other}"),
                "not a known predicate type (cyclonedx, spdxjson, vuln, slsaprovenance, slsaprovenance1, link, openvex, custom) nor a URI",
            ));
        }
    };
    Ok(uri.to_string())
}

/// How signatures and attestations are attached.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Attach {
    /// cosign's tags, `sha256-<hex>.sig` / `.att` (what `cosign verify` reads by default).
    #[default]
    Tag,
    /// OCI 1.1 referrers (with the tag-schema fallback index).
    Referrers,
}

/// What signing did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attached {
    /// The image digest signed or attested.
    pub subject: Digest,
    /// The manifest holding the signature or attestation.
    pub manifest: Digest,
    /// The tag it is under (`sha256-<hex>.sig`), or `None` for a referrer.
    pub tag: Option<String>,
    /// The layer (payload or envelope) digest.
    pub layer: Digest,
    /// False when the same signature was already attached.
    pub added: bool,
}

/// Signs the store's image: the simple-signing payload for its digest with `annotations`
/// (the `-a key=value` claims) and `docker_reference` (default: the store's repository).
pub fn sign_image(
    store: &dyn Store,
    signer: &dyn Signer,
    annotations: &BTreeMap<String, String>,
    docker_reference: Option<&str>,
    attach: Attach,
) -> Result<Attached, Error> {
    let subject = store.subject().digest.clone();
    let payload = SimpleSigning::new(
        docker_reference.unwrap_or(store.repository()),
        &subject,
        annotations,
    )
    .to_bytes();
    let signature = signer.sign(&payload)?;
    let layer = signed_layer(
        SIMPLE_SIGNING_MEDIA_TYPE,
        &payload,
        STANDARD.encode(&signature.bytes),
        &signature,
    );
    attach_layer(
        store,
        &payload,
        layer,
        "sig",
        ARTIFACT_TYPE_SIGNATURE,
        attach,
    )
}

/// Attests `predicate` (any JSON) of type `predicate_type` (a URI; see
/// [`predicate_type_uri`]) about the store's image: an in-toto Statement v1 whose subject is
/// `repository` + digest, signed in a DSSE envelope, appended to `sha256-<hex>.att` (or
/// attached as a referrer). This is the entry point for approvals, promotion records, SBOM
/// and scan attestations.
pub fn attest(
    store: &dyn Store,
    signer: &dyn Signer,
    predicate_type: &str,
    predicate: serde_json::Value,
    attach: Attach,
) -> Result<Attached, Error> {
    let subject = store.subject().digest.clone();
    let statement = Statement::for_image(store.repository(), &subject, predicate_type, predicate);
    let body = statement.to_bytes();
    let signature = signer.sign_dsse(dsse::IN_TOTO_PAYLOAD_TYPE, &body)?;
    let envelope = Envelope {
        payload_type: dsse::IN_TOTO_PAYLOAD_TYPE.into(),
        payload: STANDARD.encode(&body),
        signatures: vec![EnvelopeSignature {
            keyid: String::new(),
            sig: STANDARD.encode(&signature.bytes),
        }],
    };
    let bytes = envelope.to_bytes();
    // The signature is in the envelope: cosign leaves the annotation empty.
    let mut layer = signed_layer(DSSE_MEDIA_TYPE, &bytes, String::new(), &signature);
    layer
        .annotations
        .insert(ANNOTATION_PREDICATE_TYPE.into(), predicate_type.to_string());
    attach_layer(
        store,
        &bytes,
        layer,
        "att",
        ARTIFACT_TYPE_ATTESTATION,
        attach,
    )
}

/// The layer descriptor of `blob` with the `dev.cosignproject.cosign/signature` annotation
/// set to `signature_annotation` and, for keyless signatures, the certificate, chain and
/// bundle annotations cosign adds.
fn signed_layer(
    media_type: &str,
    blob: &[u8],
    signature_annotation: String,
    signature: &Signature,
) -> OciDescriptor {
    let mut layer = OciDescriptor::of(media_type, blob);
    layer
        .annotations
        .insert(ANNOTATION_SIGNATURE.into(), signature_annotation);
    for (key, value) in [
        (ANNOTATION_CERTIFICATE, &signature.certificate),
        (ANNOTATION_CHAIN, &signature.chain),
        (ANNOTATION_BUNDLE, &signature.bundle),
    ] {
        if let Some(v) = value {
            layer.annotations.insert(key.into(), v.clone());
        }
    }
    layer
}

/// The config go-containerregistry writes for an image made of `layers` appended to
/// `empty.Image` (uncompressed layers: diff_id = digest).
fn ggcr_config(layers: &[OciDescriptor]) -> Vec<u8> {
    let history = vec![serde_json::json!({"created": "0001-01-01T00:00:00Z"}); layers.len()];
    let diff_ids: Vec<&str> = layers.iter().map(|l| l.digest.as_str()).collect();
    // Field order of ggcr's v1.ConfigFile; serde_json::json! would sort keys, so write the
    // object in order by hand.
    format!(
        "{{\"architecture\":\"\",\"created\":\"0001-01-01T00:00:00Z\",\"history\":{},\"os\":\"\",\"rootfs\":{{\"type\":\"layers\",\"diff_ids\":{}}},\"config\":{{}}}}",
        serde_json::Value::from(history),
        serde_json::Value::from(diff_ids),
    )
    .into_bytes()
}

fn attach_layer(
    store: &dyn Store,
    blob: &[u8],
    layer: OciDescriptor,
    suffix: &str,
    artifact_type: &str,
    attach: Attach,
) -> Result<Attached, Error> {
    let subject = store.subject().clone();
    let layer_digest = layer.parsed_digest()?;
    match attach {
        Attach::Tag => {
            let tag = format!("{}.{suffix}", digest_tag(&subject.digest));
            let mut layers = match store.manifest_by_tag(&tag)? {
                Some(bytes) => {
                    parse_manifest(&bytes, &format!("{} tag {tag}", store.name()))?.layers
                }
                None => Vec::new(),
            };
            if let Some(existing) = layers.iter().find(|l| **l == layer) {
                let manifest = store
                    .manifest_by_tag(&tag)?
                    .map(|b| Digest::sha256_of(&b))
                    .unwrap_or_else(|| subject.digest.clone());
                return Ok(Attached {
                    subject: subject.digest,
                    manifest,
                    tag: Some(tag),
                    layer: existing.parsed_digest()?,
                    added: false,
                });
            }
            layers.push(layer);
            let config = ggcr_config(&layers);
            store.put_blob(blob)?;
            store.put_blob(&config)?;
            let manifest = OciManifest {
                schema_version: 2,
                media_type: OCI_MANIFEST.into(),
                artifact_type: None,
                config: OciDescriptor::of(OCI_CONFIG, &config),
                layers,
                annotations: BTreeMap::new(),
                subject: None,
            };
            let bytes = crate::payload::go_json(&manifest);
            let digest = store.put_manifest(&bytes, OCI_MANIFEST, Some(&tag))?;
            Ok(Attached {
                subject: subject.digest,
                manifest: digest,
                tag: Some(tag),
                layer: layer_digest,
                added: true,
            })
        }
        Attach::Referrers => {
            let config = b"{}".to_vec();
            store.put_blob(blob)?;
            store.put_blob(&config)?;
            let manifest = OciManifest {
                schema_version: 2,
                media_type: OCI_MANIFEST.into(),
                artifact_type: Some(artifact_type.into()),
                config: OciDescriptor::of(OCI_CONFIG, &config),
                layers: vec![layer],
                annotations: BTreeMap::new(),
                subject: Some(OciDescriptor {
                    media_type: subject.media_type.clone(),
                    size: subject.size,
                    digest: subject.digest.to_string(),
                    annotations: BTreeMap::new(),
                    artifact_type: None,
                }),
            };
            let bytes = crate::payload::go_json(&manifest);
            let digest = store.put_manifest(&bytes, OCI_MANIFEST, None)?;
            let listed = store
                .referrers(&subject.digest)?
                .iter()
                .any(|d| d.digest == digest.to_string());
            if !listed {
                update_referrers_index(store, &subject.digest, &bytes, artifact_type)?;
            }
            Ok(Attached {
                subject: subject.digest,
                manifest: digest,
                tag: None,
                layer: layer_digest,
                added: true,
            })
        }
    }
}

/// Adds the manifest `bytes` to the referrers tag-schema index `sha256-<hex>` (created when
/// missing), as the distribution spec asks clients to do for registries without the API.
fn update_referrers_index(
    store: &dyn Store,
    subject: &Digest,
    bytes: &[u8],
    artifact_type: &str,
) -> Result<(), Error> {
    let tag = digest_tag(subject);
    let mut index = match store.manifest_by_tag(&tag)? {
        Some(existing) => serde_json::from_slice::<OciIndex>(&existing)
            .map_err(|e| Error::invalid(format!("{} tag {tag}", store.name()), e.to_string()))?,
        None => OciIndex {
            schema_version: 2,
            media_type: OCI_INDEX.into(),
            manifests: Vec::new(),
        },
    };
    let mut entry = OciDescriptor::of(OCI_MANIFEST, bytes);
    entry.artifact_type = Some(artifact_type.into());
    if !index.manifests.iter().any(|m| m.digest == entry.digest) {
        index.manifests.push(entry);
    }
    let out = crate::payload::go_json(&index);
    store.put_manifest(&out, OCI_INDEX, Some(&tag))?;
    Ok(())
}

fn parse_manifest(bytes: &[u8], what: &str) -> Result<OciManifest, Error> {
    serde_json::from_slice(bytes).map_err(|e| Error::invalid(what, format!("not a manifest: {e}")))
}

/// Where a signature or attestation was found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Found {
    /// Under cosign's tag.
    Tag(String),
    /// As an OCI 1.1 referrer (manifest digest).
    Referrer(String),
}

/// One attached layer with where it was found.
#[derive(Debug, Clone)]
struct Candidate {
    found: Found,
    layer: OciDescriptor,
}

/// The layers of `media_type` attached to the subject, from the tag and from referrers.
fn candidates(
    store: &dyn Store,
    suffix: &str,
    media_type: &str,
    artifact_types: &[&str],
) -> Result<Vec<Candidate>, Error> {
    let digest = store.subject().digest.clone();
    let tag = format!("{}.{suffix}", digest_tag(&digest));
    let mut out = Vec::new();
    if let Some(bytes) = store.manifest_by_tag(&tag)? {
        for layer in parse_manifest(&bytes, &format!("{} tag {tag}", store.name()))?.layers {
            if layer.media_type == media_type {
                out.push(Candidate {
                    found: Found::Tag(tag.clone()),
                    layer,
                });
            }
        }
    }
    for referrer in store.referrers(&digest)? {
        if referrer
            .artifact_type
            .as_deref()
            .is_some_and(|t| !artifact_types.contains(&t))
        {
            continue;
        }
        let Ok(manifest_digest) = referrer.parsed_digest() else {
            continue;
        };
        let Some(bytes) = store.manifest_by_digest(&manifest_digest)? else {
            continue;
        };
        let Ok(manifest) = parse_manifest(&bytes, "referrer") else {
            continue;
        };
        let about_subject = manifest
            .subject
            .as_ref()
            .is_some_and(|s| s.digest == digest.to_string());
        let typed = manifest
            .artifact_type
            .as_deref()
            .is_some_and(|t| artifact_types.contains(&t));
        if !about_subject || !typed {
            continue;
        }
        for layer in manifest.layers {
            if layer.media_type == media_type {
                out.push(Candidate {
                    found: Found::Referrer(manifest_digest.to_string()),
                    layer,
                });
            }
        }
    }
    Ok(out)
}

/// Who must have signed.
#[derive(Debug, Clone)]
pub enum Verifier {
    /// A public key.
    Key(PublicKey),
    /// A keyless signature chaining to `trust`, optionally from one identity and issuer.
    Keyless {
        /// Fulcio roots and Rekor key.
        trust: Box<TrustRoot>,
        /// Required certificate identity (email or URI SAN).
        identity: Option<String>,
        /// Required OIDC issuer.
        issuer: Option<String>,
    },
}

impl Verifier {
    /// A short name for messages: the key fingerprint, or "the Fulcio roots".
    pub fn describe(&self) -> String {
        match self {
            Verifier::Key(k) => format!("key {}", k.fingerprint()),
            Verifier::Keyless { identity, .. } => match identity {
                Some(i) => format!("identity {i}"),
                None => "a certificate from the given Fulcio roots".into(),
            },
        }
    }

    /// Checks `signature_b64` over `message`, with the layer's keyless annotations.
    fn check(
        &self,
        message: &[u8],
        signature_b64: &str,
        annotations: &BTreeMap<String, String>,
    ) -> Result<Option<CertificateIdentity>, Error> {
        match self {
            Verifier::Key(key) => {
                let sig = STANDARD
                    .decode(signature_b64.trim())
                    .map_err(|e| Error::Verification(format!("signature is not base64: {e}")))?;
                key.verify(message, &sig)?;
                Ok(None)
            }
            Verifier::Keyless { trust, .. } => {
                let (cert, chain, bundle) = keyless_material(annotations)?;
                let found = trust.verify(message, signature_b64, cert, chain, bundle)?;
                self.check_identity(found).map(Some)
            }
        }
    }

    /// Checks a DSSE envelope: a signature by the key, or a keyless signature whose
    /// certificate, chain and `intoto` bundle are in the layer's annotations.
    fn check_envelope(
        &self,
        envelope: &Envelope,
        annotations: &BTreeMap<String, String>,
    ) -> Result<Option<CertificateIdentity>, Error> {
        match self {
            Verifier::Key(key) => {
                let signed = envelope.signed_bytes("DSSE envelope")?;
                let ok = envelope.signatures.iter().any(|s| {
                    STANDARD
                        .decode(s.sig.trim())
                        .is_ok_and(|sig| key.verify(&signed, &sig).is_ok())
                });
                if ok {
                    Ok(None)
                } else {
                    Err(Error::Verification(format!(
                        "no envelope signature by key {}",
                        key.fingerprint()
                    )))
                }
            }
            Verifier::Keyless { trust, .. } => {
                let (cert, chain, bundle) = keyless_material(annotations)?;
                let found = trust.verify_dsse(envelope, cert, chain, bundle)?;
                self.check_identity(found).map(Some)
            }
        }
    }

    /// Checks a verified keyless signer against the required identity and issuer (for key
    /// verifiers, `found` is returned as is): what `verify-blob` applies after
    /// [`TrustRoot::verify`], as image verification does.
    pub fn check_identity(&self, found: CertificateIdentity) -> Result<CertificateIdentity, Error> {
        let Verifier::Keyless {
            identity, issuer, ..
        } = self
        else {
            return Ok(found);
        };
        if let Some(want) = identity
            && !found.subject.iter().any(|s| s == want)
        {
            return Err(Error::Verification(format!(
                "certificate identity is {}, not {want}",
                found.subject.join(", ")
            )));
        }
        if let Some(want) = issuer
            && found.issuer.as_deref() != Some(want.as_str())
        {
            return Err(Error::Verification(format!(
                "certificate issuer is {}, not {want}",
                found.issuer.as_deref().unwrap_or("unknown")
            )));
        }
        Ok(found)
    }
}

/// The certificate, chain and bundle annotations of a keyless layer.
fn keyless_material(annotations: &BTreeMap<String, String>) -> Result<(&str, &str, &str), Error> {
    let cert = annotations
        .get(ANNOTATION_CERTIFICATE)
        .ok_or_else(|| Error::Verification("signature has no certificate (not keyless)".into()))?;
    let bundle = annotations
        .get(ANNOTATION_BUNDLE)
        .ok_or_else(|| Error::Verification("keyless signature has no Rekor bundle".into()))?;
    let chain = annotations
        .get(ANNOTATION_CHAIN)
        .map(String::as_str)
        .unwrap_or("");
    Ok((cert, chain, bundle))
}

/// A signature that verified.
#[derive(Debug, Clone, serde::Serialize)]
pub struct VerifiedSignature {
    /// The payload, parsed.
    pub payload: SimpleSigning,
    /// The payload layer digest.
    pub layer: String,
    /// Where it was found.
    pub found: Found,
    /// The keyless signer, when keyless.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<CertificateIdentity>,
}

/// Why a candidate did not verify, most specific last (the message shown is the one that
/// got furthest).
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Rejection {
    Signature(String),
    Tampered(String),
    Malformed(String),
    OtherDigest(String),
    Claims(String),
}

impl Rejection {
    fn message(self) -> String {
        match self {
            Rejection::Signature(s)
            | Rejection::Tampered(s)
            | Rejection::Malformed(s)
            | Rejection::OtherDigest(s)
            | Rejection::Claims(s) => s,
        }
    }

    fn malformed(e: Error) -> Rejection {
        Rejection::Malformed(e.to_string())
    }
}

/// Why one candidate was not accepted: rejected (the next candidate is tried) or an error
/// that stops verification altogether (the registry failed).
enum Skip {
    Rejected(Rejection),
    Stop(Error),
}

impl From<Rejection> for Skip {
    fn from(r: Rejection) -> Skip {
        Skip::Rejected(r)
    }
}

impl From<Error> for Skip {
    fn from(e: Error) -> Skip {
        Skip::Stop(e)
    }
}

/// What is verified: signatures (`.sig`) or attestations (`.att`).
struct Kind {
    /// `signature` or `attestation`, for messages.
    noun: &'static str,
    /// Tag suffix.
    suffix: &'static str,
    /// Layer media type.
    media_type: &'static str,
    /// Referrer artifact types read.
    artifact_types: &'static [&'static str],
}

const SIGNATURES: Kind = Kind {
    noun: "signature",
    suffix: "sig",
    media_type: SIMPLE_SIGNING_MEDIA_TYPE,
    artifact_types: &[ARTIFACT_TYPE_SIGNATURE],
};

const ATTESTATIONS: Kind = Kind {
    noun: "attestation",
    suffix: "att",
    media_type: DSSE_MEDIA_TYPE,
    artifact_types: &[ARTIFACT_TYPE_ATTESTATION, ARTIFACT_TYPE_ATTESTATION_ALT],
};

/// The one loop of [`verify_image`] and [`verify_attestations`]: finds the candidates of
/// `kind`, runs `check` on each (with the number of candidates, for messages) and returns
/// those that pass. `NotFound` when nothing is attached; otherwise, when none passes, the
/// rejection of the candidate that got furthest.
fn verify_each<T>(
    store: &dyn Store,
    kind: &Kind,
    mut check: impl FnMut(&Candidate, usize) -> Result<T, Skip>,
) -> Result<Vec<T>, Error> {
    let subject = &store.subject().digest;
    let found = candidates(store, kind.suffix, kind.media_type, kind.artifact_types)?;
    if found.is_empty() {
        return Err(Error::NotFound(format!(
            "no {noun}s for {} ({subject}): no tag {}.{} and no {noun} referrers",
            store.name(),
            digest_tag(subject),
            kind.suffix,
            noun = kind.noun,
        )));
    }
    let mut verified = Vec::new();
    let mut best: Option<Rejection> = None;
    for candidate in &found {
        match check(candidate, found.len()) {
            Ok(v) => verified.push(v),
            Err(Skip::Stop(e)) => return Err(e),
            Err(Skip::Rejected(r)) => {
                if best.as_ref().is_none_or(|b| r > *b) {
                    best = Some(r);
                }
            }
        }
    }
    if verified.is_empty() {
        return Err(Error::Verification(best.map_or_else(
            || format!("no {} verifies", kind.noun),
            Rejection::message,
        )));
    }
    Ok(verified)
}

/// Reads a layer blob; a digest mismatch is a rejection, registry errors stop.
fn layer_blob(store: &dyn Store, layer: &OciDescriptor) -> Result<Vec<u8>, Skip> {
    let digest = layer.parsed_digest().map_err(Rejection::malformed)?;
    match store.blob(&digest, MAX_BLOB) {
        Ok(b) => Ok(b),
        Err(Error::Verification(why)) => Err(Rejection::Tampered(why).into()),
        Err(e) if e.kind() == crate::ErrorKind::Registry => Err(e.into()),
        Err(e) => Err(Rejection::Tampered(format!("layer {}: {e}", layer.digest)).into()),
    }
}

/// Verifies the store's image signatures: each candidate's signature with `verifier`, its
/// payload's `docker-manifest-digest` against the image digest, its type, the required
/// `annotations`, and (when given) its `docker-reference`. Returns those that pass; an
/// error when none does, with the most specific reason.
pub fn verify_image(
    store: &dyn Store,
    verifier: &Verifier,
    annotations: &BTreeMap<String, String>,
    docker_reference: Option<&str>,
) -> Result<Vec<VerifiedSignature>, Error> {
    let subject = store.subject().digest.clone();
    verify_each(store, &SIGNATURES, |candidate, count| {
        let layer = &candidate.layer;
        let payload = layer_blob(store, layer)?;
        let signature = layer
            .annotations
            .get(ANNOTATION_SIGNATURE)
            .map_or("", String::as_str);
        let certificate = verifier
            .check(&payload, signature, &layer.annotations)
            .map_err(|_| {
                Rejection::Signature(format!(
                    "no signature by {} among {count} signature(s) of {subject}",
                    verifier.describe()
                ))
            })?;
        let parsed = SimpleSigning::parse(&payload, &format!("payload {}", layer.digest))
            .map_err(Rejection::malformed)?;
        if parsed.critical.kind != crate::payload::SIGNATURE_TYPE {
            return Err(Rejection::Malformed(format!(
                "signed payload has type {:?}, not {:?}",
                parsed.critical.kind,
                crate::payload::SIGNATURE_TYPE
            ))
            .into());
        }
        let signed_digest = &parsed.critical.image.docker_manifest_digest;
        if *signed_digest != subject.to_string() {
            return Err(Rejection::OtherDigest(format!(
                "signature is for another digest: signed {signed_digest}, image is {subject}"
            ))
            .into());
        }
        if let Some(want) = docker_reference {
            let have = &parsed.critical.identity.docker_reference;
            if have != want {
                return Err(Rejection::Claims(format!(
                    "signature names docker-reference {have}, not {want}"
                ))
                .into());
            }
        }
        for (key, want) in annotations {
            match parsed.annotation(key) {
                Some(have) if &have == want => {}
                Some(have) => {
                    return Err(Rejection::Claims(format!(
                        "signature has annotation {key}={have}, not {key}={want}"
                    ))
                    .into());
                }
                None => {
                    return Err(Rejection::Claims(format!(
                        "signature has no annotation {key}={want}"
                    ))
                    .into());
                }
            }
        }
        Ok(VerifiedSignature {
            payload: parsed,
            layer: layer.digest.clone(),
            found: candidate.found.clone(),
            certificate,
        })
    })
}

/// An attestation that verified.
#[derive(Debug, Clone, serde::Serialize)]
pub struct VerifiedAttestation {
    /// The statement (subject, predicate type, predicate).
    pub statement: Statement,
    /// The envelope layer digest.
    pub layer: String,
    /// Where it was found.
    pub found: Found,
    /// The keyless signer, when keyless.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<CertificateIdentity>,
}

/// Verifies the store's image attestations: each DSSE envelope's signature with
/// `verifier` (over the DSSE pre-authentication encoding; keyless: certificate chain and
/// `intoto` Rekor entry), the statement's subject against the image digest, and, when
/// `predicate_type` is given, the statement's predicate type. Returns those that pass
/// (several when the image was attested several times); an error when none does, with the
/// most specific reason.
pub fn verify_attestations(
    store: &dyn Store,
    verifier: &Verifier,
    predicate_type: Option<&str>,
) -> Result<Vec<VerifiedAttestation>, Error> {
    let subject = store.subject().digest.clone();
    verify_each(store, &ATTESTATIONS, |candidate, count| {
        let layer = &candidate.layer;
        let bytes = layer_blob(store, layer)?;
        let what = format!("attestation {}", layer.digest);
        let envelope = Envelope::parse(&bytes, &what).map_err(Rejection::malformed)?;
        let certificate = verifier
            .check_envelope(&envelope, &layer.annotations)
            .map_err(|_| {
                Rejection::Signature(format!(
                    "no attestation by {} among {count} attestation(s) of {subject}",
                    verifier.describe()
                ))
            })?;
        if envelope.payload_type != dsse::IN_TOTO_PAYLOAD_TYPE {
            return Err(Rejection::Malformed(format!(
                "{what}: payload type {:?} is not in-toto",
                envelope.payload_type
            ))
            .into());
        }
        let body = envelope
            .payload_bytes(&what)
            .map_err(Rejection::malformed)?;
        let statement = Statement::parse(&body, &what).map_err(Rejection::malformed)?;
        if !statement.is_about(&subject) {
            return Err(Rejection::OtherDigest(format!(
                "attestation is for another digest: its subject is not {subject}"
            ))
            .into());
        }
        if let Some(want) = predicate_type
            && statement.predicate_type != want
        {
            return Err(Rejection::Claims(format!(
                "no attestation of type {want} by {} (found {})",
                verifier.describe(),
                statement.predicate_type
            ))
            .into());
        }
        Ok(VerifiedAttestation {
            statement,
            layer: layer.digest.clone(),
            found: candidate.found.clone(),
            certificate,
        })
    })
}

/// Everything attached to an image, as `cosign tree` shows it.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Attachments {
    /// The image.
    pub image: String,
    /// Its digest.
    pub digest: String,
    /// Groups by where they are: cosign tags, then referrers.
    pub groups: Vec<AttachmentGroup>,
}

/// One tag or one referrer manifest and the layers in it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AttachmentGroup {
    /// `signatures`, `attestations`, `sboms` or the referrer's artifact type.
    pub kind: String,
    /// Where: `repo:sha256-<hex>.sig`, or `repo@sha256:...` for a referrer.
    pub location: String,
    /// The layers: digest and, for attestations, predicate type.
    pub layers: Vec<AttachmentLayer>,
}

/// One signature, attestation or SBOM.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AttachmentLayer {
    /// Layer digest.
    pub digest: String,
    /// Layer media type.
    pub media_type: String,
    /// Predicate type, for attestations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predicate_type: Option<String>,
}

/// Lists what is attached to the store's image: cosign's `.sig`, `.att` and `.sbom` tags
/// and OCI 1.1 referrers. Nothing is verified.
pub fn attachments(store: &dyn Store) -> Result<Attachments, Error> {
    let digest = store.subject().digest.clone();
    let mut out = Attachments {
        image: store.name().to_string(),
        digest: digest.to_string(),
        groups: Vec::new(),
    };
    let layers_of = |manifest: &OciManifest| -> Vec<AttachmentLayer> {
        manifest
            .layers
            .iter()
            .map(|l| AttachmentLayer {
                digest: l.digest.clone(),
                media_type: l.media_type.clone(),
                predicate_type: l.annotations.get(ANNOTATION_PREDICATE_TYPE).cloned(),
            })
            .collect()
    };
    for (suffix, kind) in [
        ("att", "attestations"),
        ("sig", "signatures"),
        ("sbom", "sboms"),
    ] {
        let tag = format!("{}.{suffix}", digest_tag(&digest));
        if let Some(bytes) = store.manifest_by_tag(&tag)? {
            let manifest = parse_manifest(&bytes, &format!("{} tag {tag}", store.name()))?;
            out.groups.push(AttachmentGroup {
                kind: kind.into(),
                location: format!("{}:{tag}", store.repository()),
                layers: layers_of(&manifest),
            });
        }
    }
    for referrer in store.referrers(&digest)? {
        let manifest_digest = referrer.parsed_digest()?;
        let Some(bytes) = store.manifest_by_digest(&manifest_digest)? else {
            continue;
        };
        let manifest = parse_manifest(&bytes, &format!("referrer {manifest_digest}"))?;
        let kind = manifest
            .artifact_type
            .clone()
            .or(referrer.artifact_type.clone())
            .unwrap_or_else(|| manifest.config.media_type.clone());
        out.groups.push(AttachmentGroup {
            kind,
            location: format!("{}@{manifest_digest}", store.repository()),
            layers: layers_of(&manifest),
        });
    }
    Ok(out)
}

/// Signs a blob as `cosign sign-blob` does: the signature over the bytes, base64.
pub fn sign_blob(signer: &dyn Signer, bytes: &[u8]) -> Result<String, Error> {
    Ok(STANDARD.encode(signer.sign(bytes)?.bytes))
}

/// Verifies a blob signature as `cosign verify-blob --key` does; `signature` is the base64
/// text (surrounding whitespace ignored).
pub fn verify_blob(key: &PublicKey, bytes: &[u8], signature: &str) -> Result<(), Error> {
    let sig = STANDARD
        .decode(signature.trim())
        .map_err(|e| Error::invalid("signature", format!("not base64: {e}")))?;
    key.verify(bytes, &sig)
}
