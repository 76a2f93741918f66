//! `assay key`, `sign`, `verify`, `sign-blob`, `verify-blob`, `attest`, `verify-attestation`
//! and `tree`: cosign-compatible signing (assay-sign does the work; this module reads flags,
//! keys and passwords, and prints).
//!
//! Exit codes: 0 verified / done, 2 bad input (key, password, file, flag), 3 registry or
//! network error, 4 verification failed (one line saying why).

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::Context;
use assay_oci::{Reference, RemoteOptions};
use assay_sign::{
    Attach, ErrorKind, KeySigner, Location, PrivateKey, PublicKey, Store, TrustRoot, Verifier,
};
use clap::{Args, Subcommand, ValueEnum};

use crate::exit::{self, Failure};
use crate::{output, warn};

/// Exit code for registry and network failures (DESIGN.md section 4).
const NETWORK: u8 = 3;
/// Exit code for failed verification.
const DENIED: u8 = 4;

pub const KEY_EXAMPLES: &str = "\
Examples:
  ASSAY_PASSWORD=... assay key generate --output-key-prefix build   # build.key + build.pub
  assay key public --key build.key                                  # PEM on stdout, fingerprint on stderr
  assay key public --key cosign.pub                                 # fingerprint of a public key";

pub const SIGN_EXAMPLES: &str = "\
Examples:
  assay sign registry.example/app@sha256:... --key build.key -a ci=github -a commit=abc123
  assay sign oci:build/layout:1.0 --key build.key         # stored in the layout as sha256-<hex>.sig
  assay sign localhost:5000/app:1.0 --key build.key --registry-referrers
Password: ASSAY_PASSWORD, else a prompt on a terminal.";

pub const VERIFY_EXAMPLES: &str = "\
Examples:
  assay verify registry.example/app:1.0 --key build.pub -a ci=github
  assay verify oci:build/layout:1.0 --key build.pub
  assay verify registry.example/app@sha256:... --certificate-chain fulcio.pem \\
      --rekor-public-key rekor.pub --certificate-identity ci@example.com
Exit codes: 0 a signature verified, 4 none did (the reason on stderr), 2 bad input, 3 registry error.";

pub const BLOB_EXAMPLES: &str = "\
Examples:
  assay sign-blob release.tar.gz --key build.key > release.tar.gz.sig
  assay verify-blob release.tar.gz --key build.pub --signature release.tar.gz.sig
  assay verify-blob payload.json --signature payload.sig --certificate cert.pem \\
      --bundle bundle.json --certificate-chain fulcio.pem --rekor-public-key rekor.pub";

pub const ATTEST_EXAMPLES: &str = "\
Examples:
  assay attest registry.example/app@sha256:... --predicate sbom.cdx.json --type cyclonedx --key build.key
  assay attest oci:build/layout:1.0 --predicate provenance.json --type slsaprovenance1 --key build.key
  assay verify-attestation registry.example/app:1.0 --key build.pub --type cyclonedx --output sbom.cdx.json
Types: cyclonedx, spdxjson, vuln, slsaprovenance, slsaprovenance1, link, openvex, custom, or a URI.";

pub const TREE_EXAMPLES: &str = "\
Examples:
  assay tree registry.example/app:1.0
  assay tree oci:build/layout:1.0 --format json";

/// `assay key` subcommands.
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Write a cosign-compatible key pair: PREFIX.key (encrypted) and PREFIX.pub.
    #[command(after_help = KEY_EXAMPLES)]
    Generate {
        /// File name prefix of the pair.
        #[arg(long, value_name = "PREFIX", default_value = "cosign")]
        output_key_prefix: String,
        /// Replace existing files.
        #[arg(long)]
        force: bool,
    },
    /// Print a key's public half (PEM) and its fingerprint.
    #[command(after_help = KEY_EXAMPLES)]
    Public {
        /// A private key (cosign encrypted, PKCS#8, SEC1, PKCS#1) or a public key PEM.
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// Write the PEM to FILE instead of stdout.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

/// Registry access flags shared by the image commands.
#[derive(Debug, Args)]
pub struct RegistryFlags {
    /// Registry (host:port) to reach over plain HTTP; loopback registries always may. Repeatable.
    #[arg(long, value_name = "HOST")]
    pub insecure_registry: Vec<String>,
}

/// `assay sign`.
#[derive(Debug, Args)]
pub struct SignArgs {
    /// The image: host/repo:tag, host/repo@sha256:..., docker://REF, oci:DIR[:TAG] or oci:DIR@DIGEST.
    pub image: String,
    /// The private key.
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// A claim added to the signed payload's `optional` section. Repeatable.
    #[arg(short = 'a', long = "annotation", value_name = "KEY=VALUE")]
    pub annotations: Vec<String>,
    /// Store the signature as an OCI 1.1 referrer instead of the sha256-<hex>.sig tag.
    #[arg(long)]
    pub registry_referrers: bool,
    /// The docker-reference written in the payload (default: the image's repository).
    #[arg(long, value_name = "NAME")]
    pub reference: Option<String>,
    #[command(flatten)]
    pub registry: RegistryFlags,
}

/// `assay verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The image.
    pub image: String,
    #[command(flatten)]
    pub verifier: VerifierFlags,
    /// A claim the payload must carry. Repeatable.
    #[arg(short = 'a', long = "annotation", value_name = "KEY=VALUE")]
    pub annotations: Vec<String>,
    /// Require this docker-reference in the payload (cosign does not check it by default:
    /// signatures stay valid when an image is copied to another repository).
    #[arg(long, value_name = "NAME")]
    pub reference: Option<String>,
    /// Write the verified payloads (JSON) to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub registry: RegistryFlags,
}

/// Who must have signed: a key, or a keyless certificate from given Fulcio roots.
#[derive(Debug, Args)]
pub struct VerifierFlags {
    /// The public key (PEM; a certificate PEM is read for its key).
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "certificate_chain"
    )]
    pub key: Option<PathBuf>,
    /// Keyless: the Fulcio root (and intermediate) certificates, PEM.
    #[arg(
        long,
        value_name = "FILE",
        requires = "rekor_public_key",
        conflicts_with = "key"
    )]
    pub certificate_chain: Option<PathBuf>,
    /// Keyless: the Rekor public key, PEM.
    #[arg(long, value_name = "FILE", requires = "certificate_chain")]
    pub rekor_public_key: Option<PathBuf>,
    /// Keyless: the identity (email or URI) the certificate must name.
    #[arg(long, value_name = "ID", requires = "certificate_chain")]
    pub certificate_identity: Option<String>,
    /// Keyless: the OIDC issuer the certificate must name.
    #[arg(long, value_name = "URL", requires = "certificate_chain")]
    pub certificate_oidc_issuer: Option<String>,
}

/// `assay sign-blob`.
#[derive(Debug, Args)]
pub struct SignBlobArgs {
    /// The file to sign.
    pub file: PathBuf,
    /// The private key.
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// Write the base64 signature to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output_signature: Option<PathBuf>,
}

/// `assay verify-blob`.
#[derive(Debug, Args)]
pub struct VerifyBlobArgs {
    /// The signed file.
    pub file: PathBuf,
    /// The base64 signature: a file, or the base64 text itself.
    #[arg(long, value_name = "FILE|BASE64")]
    pub signature: String,
    #[command(flatten)]
    pub verifier: VerifierFlags,
    /// Keyless: the signing certificate (PEM).
    #[arg(long, value_name = "FILE", requires = "certificate_chain")]
    pub certificate: Option<PathBuf>,
    /// Keyless: the Rekor bundle (cosign's `bundle` JSON).
    #[arg(long, value_name = "FILE", requires = "certificate_chain")]
    pub bundle: Option<PathBuf>,
}

/// `assay attest`.
#[derive(Debug, Args)]
pub struct AttestArgs {
    /// The image.
    pub image: String,
    /// The predicate: a JSON file (`-` for stdin).
    #[arg(long, value_name = "FILE")]
    pub predicate: PathBuf,
    /// Predicate type: cyclonedx, spdxjson, vuln, slsaprovenance, slsaprovenance1, link,
    /// openvex, custom, or a URI.
    #[arg(long = "type", value_name = "TYPE", default_value = "custom")]
    pub predicate_type: String,
    /// The private key.
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// Store the attestation as an OCI 1.1 referrer instead of the sha256-<hex>.att tag.
    #[arg(long)]
    pub registry_referrers: bool,
    #[command(flatten)]
    pub registry: RegistryFlags,
}

/// Attests `predicate` on `image` with the key at `key` (cosign's `.att` layout): what
/// `assay scan --attest` and `assay sbom --attest` do with their results.
pub fn attest_predicate(
    image: &str,
    insecure_registry: &[String],
    key: &Path,
    predicate_type: &str,
    predicate: serde_json::Value,
) -> anyhow::Result<()> {
    let predicate_type = assay_sign::predicate_type_uri(predicate_type).map_err(failure)?;
    let key = load_private_key(key)?;
    let flags = RegistryFlags {
        insecure_registry: insecure_registry.to_vec(),
    };
    let store = open(image, &flags)?;
    warn_if_tag(store.as_ref());
    let done = assay_sign::attest(
        store.as_ref(),
        &KeySigner::new(key),
        &predicate_type,
        predicate,
        Attach::Tag,
    )
    .map_err(failure)?;
    report_attached(store.as_ref(), &done, "attestation");
    Ok(())
}

/// `assay verify-attestation`.
#[derive(Debug, Args)]
pub struct VerifyAttestationArgs {
    /// The image.
    pub image: String,
    #[command(flatten)]
    pub verifier: VerifierFlags,
    /// Only attestations of this predicate type (shorthand or URI).
    #[arg(long = "type", value_name = "TYPE")]
    pub predicate_type: Option<String>,
    /// Write the predicate of the last verified attestation to FILE (JSON) instead of
    /// printing the statements.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub registry: RegistryFlags,
}

/// `assay tree` output formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum TreeFormat {
    /// An indented tree, like `cosign tree`.
    Text,
    /// JSON.
    Json,
}

/// `assay tree`.
#[derive(Debug, Args)]
pub struct TreeArgs {
    /// The image.
    pub image: String,
    /// Output format.
    #[arg(short, long, value_enum, default_value = "text")]
    pub format: TreeFormat,
    #[command(flatten)]
    pub registry: RegistryFlags,
}

// The library's errors carry their class; map it to the exit code once here.
fn failure(e: assay_sign::Error) -> Failure {
    let code = match e.kind() {
        ErrorKind::Input => exit::INPUT,
        ErrorKind::Registry => NETWORK,
        ErrorKind::Verification => DENIED,
    };
    Failure {
        code,
        message: e.to_string(),
    }
}

fn read_file(path: &Path) -> anyhow::Result<Vec<u8>> {
    if path == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes)
            .context("cannot read stdin")?;
        return Ok(bytes);
    }
    std::fs::read(path).map_err(|e| Failure::input(format!("{}: {e}", path.display())).into())
}

/// The key password: `ASSAY_PASSWORD` (an empty value is an empty password, as with
/// `COSIGN_PASSWORD`), else a prompt when stdin is a terminal, else an error.
fn password(confirm: bool) -> anyhow::Result<String> {
    if let Ok(p) = std::env::var("ASSAY_PASSWORD") {
        return Ok(p);
    }
    if !std::io::stdin().is_terminal() {
        return Err(
            Failure::input("no password: set ASSAY_PASSWORD (no terminal to prompt on)").into(),
        );
    }
    let first = rpassword::prompt_password("Enter password for private key: ")
        .context("cannot read the password")?;
    if confirm {
        let again = rpassword::prompt_password("Enter password for private key again: ")
            .context("cannot read the password")?;
        if again != first {
            return Err(Failure::input("passwords do not match").into());
        }
    }
    Ok(first)
}

fn load_private_key(path: &Path) -> anyhow::Result<PrivateKey> {
    let bytes = read_file(path)?;
    let what = path.display().to_string();
    match PrivateKey::from_pem(&bytes, None, &what) {
        Err(assay_sign::Error::PasswordRequired { .. }) => {
            let password = password(false)?;
            PrivateKey::from_pem(&bytes, Some(password.as_bytes()), &what)
                .map_err(|e| failure(e).into())
        }
        other => other.map_err(|e| failure(e).into()),
    }
}

fn load_public_key(path: &Path) -> anyhow::Result<PublicKey> {
    let bytes = read_file(path)?;
    PublicKey::from_pem(&bytes, &path.display().to_string()).map_err(|e| failure(e).into())
}

fn verifier(flags: &VerifierFlags) -> anyhow::Result<Verifier> {
    if let (Some(chain), Some(rekor)) = (&flags.certificate_chain, &flags.rekor_public_key) {
        let trust = TrustRoot::from_pem(&read_file(chain)?, &read_file(rekor)?).map_err(failure)?;
        return Ok(Verifier::Keyless {
            trust: Box::new(trust),
            identity: flags.certificate_identity.clone(),
            issuer: flags.certificate_oidc_issuer.clone(),
        });
    }
    match &flags.key {
        Some(key) => Ok(Verifier::Key(load_public_key(key)?)),
        None => {
            Err(Failure::input("give --key, or --certificate-chain and --rekor-public-key").into())
        }
    }
}

fn annotations(pairs: &[String]) -> anyhow::Result<BTreeMap<String, String>> {
    pairs
        .iter()
        .map(|p| match p.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
            _ => Err(Failure::input(format!("-a {p}: expected KEY=VALUE")).into()),
        })
        .collect()
}

/// Plain HTTP only for loopback registries or those named with `--insecure-registry` (the
/// rule `scan` applies).
fn plain_http_hosts(reference: &Reference, insecure: &[String]) -> Vec<String> {
    let host = reference.registry().to_string();
    let name = host.rsplit_once(':').map_or(host.as_str(), |(h, _)| h);
    let loopback = name == "localhost"
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    let mut hosts = insecure.to_vec();
    if loopback {
        hosts.push(host);
    }
    hosts
}

/// Opens the image's store: a layout, or the registry with the credentials `scan` uses
/// (`ASSAY_REGISTRY_*`, docker's config.json and helpers).
fn open(image: &str, flags: &RegistryFlags) -> anyhow::Result<Box<dyn Store + Send + Sync>> {
    let location = Location::parse(image).map_err(failure)?;
    let mut options = RemoteOptions::default();
    if let Location::Registry(reference) = &location {
        options.plain_http = plain_http_hosts(reference, &flags.insecure_registry);
        let plain = options.plain_http.iter().any(|h| h == reference.registry());
        options.auth = assay_oci::Credentials::from_env()
            .resolve(reference.registry(), reference.repository(), plain)
            .map_err(|e| {
                let code = if matches!(e, assay_oci::CredentialError::TokenExchange { .. }) {
                    NETWORK
                } else {
                    exit::INPUT
                };
                Failure {
                    code,
                    message: format!("{image}: {e}"),
                }
            })?;
    }
    location.open(&options).map_err(|e| failure(e).into())
}

fn json_line<T: serde::Serialize>(value: &T) -> anyhow::Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(value).context("cannot write JSON")?;
    bytes.push(b'\n');
    Ok(bytes)
}

fn write_new(path: &Path, bytes: &[u8], mode: u32, force: bool) -> anyhow::Result<()> {
    if path.exists() && !force {
        return Err(Failure::input(format!(
            "{}: already exists (use --force to replace it)",
            path.display()
        ))
        .into());
    }
    output::write_atomically(path, bytes)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    #[cfg(not(unix))]
    let _ = mode;
    Ok(())
}

/// `assay key generate` / `assay key public`.
pub fn key(command: &KeyCommand) -> anyhow::Result<u8> {
    match command {
        KeyCommand::Generate {
            output_key_prefix,
            force,
        } => {
            let password = password(true)?;
            let key = PrivateKey::generate().map_err(failure)?;
            let private = key.to_encrypted_pem(password.as_bytes()).map_err(failure)?;
            let public = key.public_key();
            let key_path = PathBuf::from(format!("{output_key_prefix}.key"));
            let pub_path = PathBuf::from(format!("{output_key_prefix}.pub"));
            if !force {
                for p in [&key_path, &pub_path] {
                    if p.exists() {
                        return Err(Failure::input(format!(
                            "{}: already exists (use --force to replace it)",
                            p.display()
                        ))
                        .into());
                    }
                }
            }
            write_new(&key_path, private.as_bytes(), 0o600, true)?;
            write_new(&pub_path, public.to_pem().as_bytes(), 0o644, true)?;
            #[allow(clippy::print_stderr)]
            {
                eprintln!(
                    "Private key written to {}\nPublic key written to {} (fingerprint {})",
                    key_path.display(),
                    pub_path.display(),
                    public.fingerprint()
                );
            }
            Ok(exit::OK)
        }
        KeyCommand::Public { key, output } => {
            let bytes = read_file(key)?;
            let what = key.display().to_string();
            let public = match PublicKey::from_pem(&bytes, &what) {
                Ok(public) => public,
                Err(_) => load_private_key(key)?.public_key(),
            };
            output::emit(output.as_deref(), public.to_pem().as_bytes())?;
            #[allow(clippy::print_stderr)]
            {
                eprintln!(
                    "fingerprint: {} ({})",
                    public.fingerprint(),
                    public.algorithm()
                );
            }
            Ok(exit::OK)
        }
    }
}

fn warn_if_tag(store: &dyn Store) {
    if store.subject().by_tag {
        warn(&format!(
            "{} names a tag; signing its digest {} (a tag can move: sign by digest to be sure what you sign)",
            store.name(),
            store.subject().digest
        ));
    }
}

/// `assay sign`.
pub fn sign(args: &SignArgs) -> anyhow::Result<u8> {
    let annotations = annotations(&args.annotations)?;
    let key = load_private_key(&args.key)?;
    let store = open(&args.image, &args.registry)?;
    warn_if_tag(store.as_ref());
    let attach = if args.registry_referrers {
        Attach::Referrers
    } else {
        Attach::Tag
    };
    let done = assay_sign::sign_image(
        store.as_ref(),
        &KeySigner::new(key),
        &annotations,
        args.reference.as_deref(),
        attach,
    )
    .map_err(failure)?;
    report_attached(store.as_ref(), &done, "signature");
    Ok(exit::OK)
}

#[allow(clippy::print_stderr)]
fn report_attached(store: &dyn Store, done: &assay_sign::Attached, what: &str) {
    let place = match &done.tag {
        Some(tag) => format!("{}:{tag}", store.repository()),
        None => format!("{}@{} (referrer)", store.repository(), done.manifest),
    };
    if done.added {
        eprintln!("assay: {what} for {} stored in {place}", done.subject);
    } else {
        eprintln!("assay: the same {what} is already in {place}; nothing added");
    }
}

/// `assay verify`.
pub fn verify(args: &VerifyArgs) -> anyhow::Result<u8> {
    let annotations = annotations(&args.annotations)?;
    let verifier = verifier(&args.verifier)?;
    let store = open(&args.image, &args.registry)?;
    let verified = assay_sign::verify_image(
        store.as_ref(),
        &verifier,
        &annotations,
        args.reference.as_deref(),
    )
    .map_err(failure)?;
    #[allow(clippy::print_stderr)]
    {
        eprintln!(
            "assay: {} signature(s) of {} verified with {}",
            verified.len(),
            store.subject().digest,
            verifier.describe()
        );
    }
    output::emit(args.output.as_deref(), &json_line(&verified)?)?;
    Ok(exit::OK)
}

/// `assay sign-blob`.
pub fn sign_blob(args: &SignBlobArgs) -> anyhow::Result<u8> {
    let bytes = read_file(&args.file)?;
    let key = load_private_key(&args.key)?;
    let signature = assay_sign::sign_blob(&KeySigner::new(key), &bytes).map_err(failure)?;
    output::emit(args.output_signature.as_deref(), signature.as_bytes())?;
    Ok(exit::OK)
}

/// `assay verify-blob`.
pub fn verify_blob(args: &VerifyBlobArgs) -> anyhow::Result<u8> {
    let bytes = read_file(&args.file)?;
    // cosign takes a path or the base64 text itself.
    let signature = match std::fs::read_to_string(&args.signature) {
        Ok(text) => text,
        Err(_) if !Path::new(&args.signature).exists() => args.signature.clone(),
        Err(e) => return Err(Failure::input(format!("{}: {e}", args.signature)).into()),
    };
    let verifier = verifier(&args.verifier)?;
    match &verifier {
        Verifier::Key(key) => {
            assay_sign::verify_blob(key, &bytes, &signature).map_err(failure)?;
        }
        Verifier::Keyless { trust, .. } => {
            let (Some(cert), Some(bundle)) = (&args.certificate, &args.bundle) else {
                return Err(Failure::input(
                    "keyless verification needs --certificate and --bundle",
                )
                .into());
            };
            let cert = String::from_utf8_lossy(&read_file(cert)?).into_owned();
            let bundle = String::from_utf8_lossy(&read_file(bundle)?).into_owned();
            let found = trust
                .verify(&bytes, &signature, &cert, "", &bundle)
                .and_then(|found| verifier.check_identity(found))
                .map_err(failure)?;
            #[allow(clippy::print_stderr)]
            {
                eprintln!(
                    "assay: signed by {} (Rekor log index {})",
                    found.subject.join(", "),
                    found.log_index
                );
            }
        }
    }
    #[allow(clippy::print_stderr)]
    {
        eprintln!("Verified OK");
    }
    Ok(exit::OK)
}

/// `assay attest`.
pub fn attest(args: &AttestArgs) -> anyhow::Result<u8> {
    let predicate_type = assay_sign::predicate_type_uri(&args.predicate_type).map_err(failure)?;
    let bytes = read_file(&args.predicate)?;
    let predicate: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
        Failure::input(format!(
            "{}:{}:{}: predicate is not JSON: {e}",
            args.predicate.display(),
            e.line(),
            e.column()
        ))
    })?;
    let key = load_private_key(&args.key)?;
    let store = open(&args.image, &args.registry)?;
    warn_if_tag(store.as_ref());
    let attach = if args.registry_referrers {
        Attach::Referrers
    } else {
        Attach::Tag
    };
    let done = assay_sign::attest(
        store.as_ref(),
        &KeySigner::new(key),
        &predicate_type,
        predicate,
        attach,
    )
    .map_err(failure)?;
    report_attached(store.as_ref(), &done, "attestation");
    Ok(exit::OK)
}

/// `assay verify-attestation`.
pub fn verify_attestation(args: &VerifyAttestationArgs) -> anyhow::Result<u8> {
    let predicate_type = args
        .predicate_type
        .as_deref()
        .map(assay_sign::predicate_type_uri)
        .transpose()
        .map_err(failure)?;
    let verifier = verifier(&args.verifier)?;
    let store = open(&args.image, &args.registry)?;
    let verified =
        assay_sign::verify_attestations(store.as_ref(), &verifier, predicate_type.as_deref())
            .map_err(failure)?;
    #[allow(clippy::print_stderr)]
    {
        eprintln!(
            "assay: {} attestation(s) of {} verified with {}",
            verified.len(),
            store.subject().digest,
            verifier.describe()
        );
    }
    match (&args.output, verified.last()) {
        (Some(path), Some(last)) => {
            output::emit(Some(path), &json_line(&last.statement.predicate)?)?;
        }
        _ => {
            let statements: Vec<_> = verified.iter().map(|v| &v.statement).collect();
            output::emit(None, &json_line(&statements)?)?;
        }
    }
    Ok(exit::OK)
}

/// `assay tree`.
pub fn tree(args: &TreeArgs) -> anyhow::Result<u8> {
    let store = open(&args.image, &args.registry)?;
    let found = assay_sign::attachments(store.as_ref()).map_err(failure)?;
    let bytes = match args.format {
        TreeFormat::Json => json_line(&found)?,
        TreeFormat::Text => {
            let mut out = format!(
                "Supply chain artifacts for {}@{}\n",
                store.repository(),
                found.digest
            );
            if found.groups.is_empty() {
                out.push_str("(nothing attached)\n");
            }
            let groups = found.groups.len();
            for (i, group) in found.groups.iter().enumerate() {
                let last_group = i + 1 == groups;
                let (branch, indent) = if last_group {
                    ("└── ", "    ")
                } else {
                    ("├── ", "│   ")
                };
                out.push_str(&format!("{branch}{}: {}\n", group.kind, group.location));
                let n = group.layers.len();
                for (j, layer) in group.layers.iter().enumerate() {
                    let leaf = if j + 1 == n {
                        "└── "
                    } else {
                        "├── "
                    };
                    match &layer.predicate_type {
                        Some(t) => out.push_str(&format!("{indent}{leaf}{} ({t})\n", layer.digest)),
                        None => out.push_str(&format!("{indent}{leaf}{}\n", layer.digest)),
                    }
                }
            }
            out.into_bytes()
        }
    };
    output::emit(None, &bytes)?;
    Ok(exit::OK)
}
