//! Offline verification of cosign "keyless" signatures: a short-lived Fulcio certificate
//! binds the signing key to an OIDC identity, and a Rekor entry (the `bundle` annotation)
//! proves the signature was logged while the certificate was valid.
//!
//! Verifying needs no network: the Fulcio root certificates and the Rekor public key are
//! given ([`TrustRoot`]), as in an air-gapped `cosign verify --certificate-chain ...
//! --rekor-url` set-up. The checks, in order:
//! 1. the leaf certificate chains (through the optional intermediates) to a given root, each
//!    signature checked (ECDSA P-256/SHA-256 or P-384/SHA-384, as Fulcio issues);
//! 2. the payload signature verifies with the leaf's key;
//! 3. the bundle's SignedEntryTimestamp verifies with the Rekor key over the canonical JSON
//!    `{"body","integratedTime","logID","logIndex"}`, and `logID` is the Rekor key's id;
//! 4. the logged entry (rekord or hashedrekord) names this payload's SHA-256, this signature
//!    and this certificate;
//! 5. the entry was integrated while every certificate of the chain was valid.
//!
//! Signing keylessly (getting the certificate and the entry) goes through [`crate::Signer`]
//! and is not implemented yet; only verification is.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use p256::pkcs8::der::{Decode, Encode};
use sha2::{Digest as _, Sha256};
use x509_cert::Certificate;

use crate::error::Error;
use crate::key::PublicKey;
use crate::pem;

/// The Fulcio roots and the Rekor key keyless signatures are checked against.
#[derive(Debug, Clone)]
pub struct TrustRoot {
    roots: Vec<Certificate>,
    rekor: p256::ecdsa::VerifyingKey,
    rekor_log_id: String,
}

/// Who signed, according to the verified certificate.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CertificateIdentity {
    /// Subject alternative names: emails and URIs (a CI workflow's identity).
    pub subject: Vec<String>,
    /// The OIDC issuer Fulcio recorded, when present.
    pub issuer: Option<String>,
    /// When the Rekor entry was integrated (Unix seconds).
    pub integrated_time: i64,
    /// The Rekor log index.
    pub log_index: i64,
}

/// Fulcio's OIDC issuer extensions: v1 holds the raw string, v2 a DER UTF8String.
const OID_ISSUER_V1: &str = "1.3.6.1.4.1.57264.1.1";
const OID_ISSUER_V2: &str = "1.3.6.1.4.1.57264.1.8";

impl TrustRoot {
    /// From a PEM bundle of Fulcio root (or intermediate) certificates and the Rekor
    /// public key PEM (ECDSA P-256, as the public-good instance uses).
    pub fn from_pem(fulcio_roots: &[u8], rekor_key: &[u8]) -> Result<TrustRoot, Error> {
        let text = std::str::from_utf8(fulcio_roots)
            .map_err(|_| Error::key("Fulcio roots", "not a PEM file"))?;
        let roots = pem::parse_all(text)
            .map_err(|e| Error::key("Fulcio roots", e))?
            .into_iter()
            .filter(|b| b.label == "CERTIFICATE")
            .map(|b| {
                Certificate::from_der(&b.der)
                    .map_err(|e| Error::key("Fulcio roots", format!("bad certificate: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if roots.is_empty() {
            return Err(Error::key("Fulcio roots", "no CERTIFICATE PEM block"));
        }
        let PublicKey::EcdsaP256(rekor) = PublicKey::from_pem(rekor_key, "Rekor public key")?
        else {
            return Err(Error::UnsupportedKey {
                what: "Rekor public key".into(),
                kind: "rsa".into(),
            });
        };
        let rekor_log_id = hex::encode(Sha256::digest(PublicKey::EcdsaP256(rekor).to_spki_der()));
        Ok(TrustRoot {
            roots,
            rekor,
            rekor_log_id,
        })
    }

    /// Verifies a keyless signature over `payload`: `signature_b64` as cosign stores it,
    /// `certificate_pem` (the leaf), `chain_pem` (intermediates and maybe the root, may be
    /// empty) and `bundle_json` (the `dev.sigstore.cosign/bundle` annotation, whose entry is
    /// a `rekord` or `hashedrekord`).
    pub fn verify(
        &self,
        payload: &[u8],
        signature_b64: &str,
        certificate_pem: &str,
        chain_pem: &str,
        bundle_json: &str,
    ) -> Result<CertificateIdentity, Error> {
        let (leaf_der, leaf, path) = self.certificate(certificate_pem, chain_pem)?;
        // 2. The payload signature, with the certificate's key.
        let key = leaf_key(&leaf)?;
        let signature = STANDARD
            .decode(signature_b64.trim())
            .map_err(|e| fail(format!("signature is not base64: {e}")))?;
        key.verify(payload, &signature).map_err(|_| {
            fail("signature does not verify with the certificate's key".to_string())
        })?;
        // 3. The SignedEntryTimestamp; 4. the entry is about this payload, signature and
        // certificate.
        let (logged, body) = self.logged_entry(bundle_json)?;
        let entry: RekordBody =
            serde_json::from_slice(&body).map_err(|e| fail(format!("bad Rekor body: {e}")))?;
        if entry.kind != "rekord" && entry.kind != "hashedrekord" {
            return Err(fail(format!(
                "unexpected Rekor entry kind {:?}",
                entry.kind
            )));
        }
        if !entry
            .spec
            .data
            .hash
            .value
            .eq_ignore_ascii_case(&hex::encode(Sha256::digest(payload)))
        {
            return Err(fail("Rekor entry is for another payload".into()));
        }
        let logged_sig = STANDARD
            .decode(entry.spec.signature.content.trim())
            .map_err(|e| fail(format!("Rekor signature is not base64: {e}")))?;
        if logged_sig != signature {
            return Err(fail("Rekor entry holds another signature".into()));
        }
        if !same_certificate(&entry.spec.signature.public_key.content, &leaf_der) {
            return Err(fail("Rekor entry holds another certificate".into()));
        }
        // 5. Logged while the certificates were valid.
        self.identity(&leaf, &path, &logged)
    }

    /// Verifies a keyless DSSE attestation: one of `envelope`'s signatures is by the
    /// certificate's key over the DSSE pre-authentication encoding, and the bundle's entry is
    /// an `intoto` entry logging this payload (`payloadHash`), that signature and that
    /// certificate. The other checks are those of [`TrustRoot::verify`].
    pub fn verify_dsse(
        &self,
        envelope: &crate::dsse::Envelope,
        certificate_pem: &str,
        chain_pem: &str,
        bundle_json: &str,
    ) -> Result<CertificateIdentity, Error> {
        let (leaf_der, leaf, path) = self.certificate(certificate_pem, chain_pem)?;
        let key = leaf_key(&leaf)?;
        let signed = envelope.signed_bytes("DSSE envelope")?;
        let payload = envelope.payload_bytes("DSSE envelope")?;
        let signature = envelope
            .signatures
            .iter()
            .filter_map(|s| STANDARD.decode(s.sig.trim()).ok())
            .find(|sig| key.verify(&signed, sig).is_ok())
            .ok_or_else(|| {
                fail("no envelope signature verifies with the certificate's key".into())
            })?;
        let (logged, body) = self.logged_entry(bundle_json)?;
        let entry: IntotoBody =
            serde_json::from_slice(&body).map_err(|e| fail(format!("bad Rekor body: {e}")))?;
        if entry.kind != "intoto" {
            return Err(fail(format!(
                "unexpected Rekor entry kind {:?} for an attestation",
                entry.kind
            )));
        }
        if !entry
            .spec
            .content
            .payload_hash
            .value
            .eq_ignore_ascii_case(&hex::encode(Sha256::digest(&payload)))
        {
            return Err(fail("Rekor entry is for another payload".into()));
        }
        // intoto entries hold the signature base64-encoded twice.
        let matches = entry.spec.content.envelope.signatures.iter().any(|s| {
            STANDARD
                .decode(s.sig.trim())
                .ok()
                .and_then(|once| STANDARD.decode(once.trim_ascii()).ok())
                .is_some_and(|sig| sig == signature)
                && same_certificate(&s.public_key, &leaf_der)
        });
        if !matches {
            return Err(fail(
                "Rekor entry holds another signature or certificate".into(),
            ));
        }
        self.identity(&leaf, &path, &logged)
    }

    /// Step 1: the leaf certificate (DER and parsed) and its path to a root.
    fn certificate(
        &self,
        certificate_pem: &str,
        chain_pem: &str,
    ) -> Result<(Vec<u8>, Certificate, Vec<Certificate>), Error> {
        let leaf_block = pem::parse_all(certificate_pem)
            .map_err(|e| fail(format!("certificate: {e}")))?
            .into_iter()
            .find(|b| b.label == "CERTIFICATE")
            .ok_or_else(|| fail("certificate annotation holds no certificate".into()))?;
        let leaf = Certificate::from_der(&leaf_block.der)
            .map_err(|e| fail(format!("bad certificate: {e}")))?;
        let intermediates = pem::parse_all(chain_pem)
            .map_err(|e| fail(format!("certificate chain: {e}")))?
            .into_iter()
            .filter(|b| b.label == "CERTIFICATE")
            .filter_map(|b| Certificate::from_der(&b.der).ok())
            .collect::<Vec<_>>();
        let path = self.chain(&leaf, &intermediates)?;
        Ok((leaf_block.der, leaf, path))
    }

    /// Step 3: the bundle's SignedEntryTimestamp, checked; returns the logged payload and
    /// the decoded entry body.
    fn logged_entry(&self, bundle_json: &str) -> Result<(BundlePayload, Vec<u8>), Error> {
        let bundle: Bundle = serde_json::from_str(bundle_json)
            .map_err(|e| fail(format!("bad Rekor bundle: {e}")))?;
        let p = bundle.payload;
        if !p.log_id.eq_ignore_ascii_case(&self.rekor_log_id) {
            return Err(fail(format!(
                "Rekor entry was logged by {} rather than the given Rekor key",
                p.log_id
            )));
        }
        let canonical = format!(
            "{{\"body\":{},\"integratedTime\":{},\"logID\":{},\"logIndex\":{}}}",
            serde_json::Value::String(p.body.clone()),
            p.integrated_time,
            serde_json::Value::String(p.log_id.clone()),
            p.log_index
        );
        let set = STANDARD
            .decode(bundle.signed_entry_timestamp.trim())
            .map_err(|e| fail(format!("SignedEntryTimestamp is not base64: {e}")))?;
        PublicKey::EcdsaP256(self.rekor)
            .verify(canonical.as_bytes(), &set)
            .map_err(|_| fail("Rekor SignedEntryTimestamp does not verify".into()))?;
        let body = STANDARD
            .decode(&p.body)
            .map_err(|e| fail(format!("Rekor body is not base64: {e}")))?;
        Ok((p, body))
    }

    /// Step 5: the entry was integrated while every certificate of `path` was valid;
    /// returns the identity the leaf names.
    fn identity(
        &self,
        leaf: &Certificate,
        path: &[Certificate],
        logged: &BundlePayload,
    ) -> Result<CertificateIdentity, Error> {
        for cert in path {
            let validity = cert.tbs_certificate().validity();
            let from = validity.not_before.to_unix_duration().as_secs();
            let until = validity.not_after.to_unix_duration().as_secs();
            let t = u64::try_from(logged.integrated_time).unwrap_or(0);
            if t < from || t > until {
                return Err(fail(format!(
                    "Rekor entry time {} is outside the certificate's validity",
                    logged.integrated_time
                )));
            }
        }
        Ok(CertificateIdentity {
            subject: subject_names(leaf),
            issuer: oidc_issuer(leaf),
            integrated_time: logged.integrated_time,
            log_index: logged.log_index,
        })
    }

    /// The path leaf -> ... -> root, every signature checked.
    fn chain(
        &self,
        leaf: &Certificate,
        intermediates: &[Certificate],
    ) -> Result<Vec<Certificate>, Error> {
        let mut path = vec![leaf.clone()];
        let mut current = leaf.clone();
        for _ in 0..=intermediates.len() {
            let issuer_name = current.tbs_certificate().issuer();
            if let Some(root) = self
                .roots
                .iter()
                .find(|r| r.tbs_certificate().subject() == issuer_name)
                .filter(|r| check_signed_by(&current, r).is_ok())
            {
                path.push(root.clone());
                return Ok(path);
            }
            let Some(next) = intermediates.iter().find(|c| {
                c.tbs_certificate().subject() == issuer_name && check_signed_by(&current, c).is_ok()
            }) else {
                break;
            };
            path.push(next.clone());
            current = next.clone();
        }
        Err(Error::Verification(
            "certificate does not chain to the given Fulcio roots".into(),
        ))
    }
}

fn fail(why: String) -> Error {
    Error::Verification(why)
}

/// The leaf's key, the one that signed the payload.
fn leaf_key(leaf: &Certificate) -> Result<PublicKey, Error> {
    let spki = leaf
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .map_err(|e| fail(format!("certificate key: {e}")))?;
    PublicKey::from_spki_der(&spki, "certificate key")
}

/// Whether `b64_pem` (a Rekor entry's public key: base64 of a certificate PEM) is the
/// certificate `der`.
fn same_certificate(b64_pem: &str, der: &[u8]) -> bool {
    STANDARD
        .decode(b64_pem.trim())
        .ok()
        .and_then(|pem_bytes| String::from_utf8(pem_bytes).ok())
        .and_then(|text| pem::parse_all(&text).ok())
        .and_then(|blocks| blocks.into_iter().next())
        .is_some_and(|block| block.der == der)
}

/// Checks `cert`'s signature with `issuer`'s key (ECDSA P-256/SHA-256 or P-384/SHA-384).
fn check_signed_by(cert: &Certificate, issuer: &Certificate) -> Result<(), Error> {
    use p256::ecdsa::signature::Verifier as _;
    let fail = || Error::Verification("bad certificate signature".into());
    let tbs = cert.tbs_certificate().to_der().map_err(|_| fail())?;
    let sig = cert.signature().as_bytes().ok_or_else(fail)?;
    let spki = issuer
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .map_err(|_| fail())?;
    let alg = cert.signature_algorithm().oid.to_string();
    match alg.as_str() {
        // ecdsa-with-SHA256
        "1.2.840.10045.4.3.2" => {
            use p256::pkcs8::DecodePublicKey;
            let key = p256::ecdsa::VerifyingKey::from_public_key_der(&spki).map_err(|_| fail())?;
            let sig = p256::ecdsa::Signature::from_der(sig).map_err(|_| fail())?;
            key.verify(&tbs, &sig).map_err(|_| fail())
        }
        // ecdsa-with-SHA384
        "1.2.840.10045.4.3.3" => {
            use p384::pkcs8::DecodePublicKey;
            let key = p384::ecdsa::VerifyingKey::from_public_key_der(&spki).map_err(|_| fail())?;
            let sig = p384::ecdsa::Signature::from_der(sig).map_err(|_| fail())?;
            key.verify(&tbs, &sig).map_err(|_| fail())
        }
        other => Err(Error::Verification(format!(
            "unsupported certificate signature algorithm {other}"
        ))),
    }
}

/// The DER SubjectPublicKeyInfo of a DER certificate (for `--key cert.pem`).
pub(crate) fn certificate_spki_der(der: &[u8], what: &str) -> Result<Vec<u8>, Error> {
    let cert = Certificate::from_der(der)
        .map_err(|e| Error::key(what, format!("bad certificate: {e}")))?;
    cert.tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .map_err(|e| Error::key(what, format!("bad certificate key: {e}")))
}

fn subject_names(cert: &Certificate) -> Vec<String> {
    use x509_cert::ext::pkix::SubjectAltName;
    use x509_cert::ext::pkix::name::GeneralName;
    let Ok(Some((_, SubjectAltName(names)))) =
        cert.tbs_certificate().get_extension::<SubjectAltName>()
    else {
        return Vec::new();
    };
    names
        .iter()
        .filter_map(|n| match n {
            GeneralName::Rfc822Name(s) | GeneralName::UniformResourceIdentifier(s) => {
                Some(s.to_string())
            }
            _ => None,
        })
        .collect()
}

fn oidc_issuer(cert: &Certificate) -> Option<String> {
    let extensions = cert.tbs_certificate().extensions()?;
    let find = |oid: &str| {
        extensions
            .iter()
            .find(|e| e.extn_id.to_string() == oid)
            .map(|e| e.extn_value.as_bytes().to_vec())
    };
    if let Some(v2) = find(OID_ISSUER_V2)
        && let Ok(s) = p256::pkcs8::der::asn1::Utf8StringRef::from_der(&v2)
    {
        return Some(s.to_string());
    }
    find(OID_ISSUER_V1).and_then(|raw| String::from_utf8(raw).ok())
}

#[derive(serde::Deserialize)]
struct Bundle {
    #[serde(rename = "SignedEntryTimestamp")]
    signed_entry_timestamp: String,
    #[serde(rename = "Payload")]
    payload: BundlePayload,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct BundlePayload {
    body: String,
    integrated_time: i64,
    log_index: i64,
    #[serde(rename = "logID")]
    log_id: String,
}

#[derive(serde::Deserialize)]
struct IntotoBody {
    kind: String,
    spec: IntotoSpec,
}

#[derive(serde::Deserialize)]
struct IntotoSpec {
    content: IntotoContent,
}

#[derive(serde::Deserialize)]
struct IntotoContent {
    envelope: IntotoEnvelope,
    #[serde(rename = "payloadHash")]
    payload_hash: RekordHash,
}

#[derive(serde::Deserialize)]
struct IntotoEnvelope {
    signatures: Vec<IntotoSignature>,
}

#[derive(serde::Deserialize)]
struct IntotoSignature {
    sig: String,
    #[serde(rename = "publicKey")]
    public_key: String,
}

#[derive(serde::Deserialize)]
struct RekordBody {
    kind: String,
    spec: RekordSpec,
}

#[derive(serde::Deserialize)]
struct RekordSpec {
    data: RekordData,
    signature: RekordSignature,
}

#[derive(serde::Deserialize)]
struct RekordData {
    hash: RekordHash,
}

#[derive(serde::Deserialize)]
struct RekordHash {
    value: String,
}

#[derive(serde::Deserialize)]
struct RekordSignature {
    content: String,
    #[serde(rename = "publicKey")]
    public_key: RekordKey,
}

#[derive(serde::Deserialize)]
struct RekordKey {
    content: String,
}
