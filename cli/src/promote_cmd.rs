//! `assay promote`, `assay approve`, `assay approvals`, `assay history`: golden-image
//! promotion from a test registry (or OCI layout) to production, gated by a policy file.

use std::path::{Path, PathBuf};

use assay_core::Target;
use assay_oci::copy::{CopyOptions, Endpoint, Location, Place, UploadMode, is_loopback};
use assay_oci::{Credentials, Digest, Reference};
use assay_promote::approval::{Approval, Verdict};
use assay_promote::policy::NamedKey;
use assay_promote::promote::{self, Outcome, Request};
use assay_promote::{Decision, Policy};

use crate::exit::Failure;
use crate::{clock, output};

/// Exit code: registry or network error.
const NETWORK: u8 = 3;
/// Exit code: policy denied or verification failed.
const DENIED: u8 = 4;

/// Output format of the promotion commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A table for people.
    Table,
    /// JSON for programs.
    Json,
}

/// How registries are reached (shared by the four commands).
#[derive(Debug, Clone, clap::Args)]
pub struct RegistryArgs {
    /// Registry (`host:port`) spoken to over plain HTTP besides loopback ones; repeatable.
    #[arg(long, value_name = "HOST")]
    pub insecure_registry: Vec<String>,
}

/// `assay promote`.
#[derive(Debug, clap::Args)]
pub struct PromoteArgs {
    /// The image to promote: host/repo:tag, docker://REF or oci:DIR[:TAG].
    pub source: String,
    /// Where it goes (the tag defaults to the source's).
    pub destination: String,
    /// The promotion policy (see policies/golden-image.yaml and docs/promotion.md).
    #[arg(long, env = "ASSAY_PROMOTE_POLICY", value_name = "FILE")]
    pub policy: PathBuf,
    /// Evaluate and print the copy plan (copy, mount, skip per blob); write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Key that signs the promotion record (cosign format; password in ASSAY_PASSWORD).
    #[arg(long, env = "ASSAY_PROMOTE_KEY", value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// Append the promotion record to this JSON-lines audit log.
    #[arg(long, env = "ASSAY_AUDIT_LOG", value_name = "FILE")]
    pub audit_log: Option<PathBuf>,
    /// Blob transfers in flight at once.
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub parallelism: usize,
    /// Upload blobs in chunks of this many MiB (default: one streamed request per blob).
    #[arg(long, value_name = "MIB")]
    pub chunk_size: Option<usize>,
    /// Output format.
    #[arg(short, long, value_enum, default_value = "table")]
    pub format: Format,
    /// Registry access.
    #[command(flatten)]
    pub registry: RegistryArgs,
}

/// `assay approve`.
#[derive(Debug, clap::Args)]
pub struct ApproveArgs {
    /// The image (a tag is resolved to its digest; the approval is for the digest).
    pub image: String,
    /// The approver's private key (cosign format; password in ASSAY_PASSWORD).
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// Why.
    #[arg(long, value_name = "TEXT")]
    pub comment: Option<String>,
    /// The approval stops counting at this date (YYYY-MM-DD, end of day UTC) or time
    /// (RFC 3339).
    #[arg(long, value_name = "DATE")]
    pub expires: Option<String>,
    /// Record a rejection instead (blocks promotion).
    #[arg(long)]
    pub reject: bool,
    /// The name written in the approval (default: the key file's name without extension).
    #[arg(long, value_name = "NAME")]
    pub approver: Option<String>,
    /// Registry access.
    #[command(flatten)]
    pub registry: RegistryArgs,
}

/// `assay approvals`.
#[derive(Debug, clap::Args)]
pub struct ApprovalsArgs {
    /// The image.
    pub image: String,
    /// Check the approvals against this policy's release managers.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Check against these public keys (repeatable), besides the policy's.
    #[arg(long, value_name = "FILE")]
    pub key: Vec<PathBuf>,
    /// Output format.
    #[arg(short, long, value_enum, default_value = "table")]
    pub format: Format,
    /// Registry access.
    #[command(flatten)]
    pub registry: RegistryArgs,
}

/// `assay history`.
#[derive(Debug, clap::Args)]
pub struct HistoryArgs {
    /// The promoted image; with --audit-log, its records there are listed instead.
    pub image: String,
    /// Read the JSON-lines audit log instead of the records attached to the image.
    #[arg(long, value_name = "FILE")]
    pub audit_log: Option<PathBuf>,
    /// Public keys (repeatable) to check the attached records' signatures with.
    #[arg(long, value_name = "FILE")]
    pub key: Vec<PathBuf>,
    /// Output format.
    #[arg(short, long, value_enum, default_value = "table")]
    pub format: Format,
    /// Registry access.
    #[command(flatten)]
    pub registry: RegistryArgs,
}

/// Examples for `assay promote --help`.
pub const PROMOTE_EXAMPLES: &str = "\
Examples:
  assay promote test.example.com/app:1.4 prod.example.com/app:1.4 --policy policies/golden-image.yaml --key promoter.key
  assay promote test.example.com/app:1.4 prod.example.com/app:1.4 --policy golden-image.yaml --dry-run
  assay promote oci:build/app:1.4 oci:prod/app --policy golden-image.yaml --key promoter.key --audit-log promotions.jsonl
Exit codes: 0 promoted (or already), 2 bad input, 3 registry/network error, 4 denied.";

/// Examples for `assay approve --help`.
pub const APPROVE_EXAMPLES: &str = "\
Examples:
  ASSAY_PASSWORD=... assay approve test.example.com/app:1.4 --key release-manager-1.key --comment 'CAB-1234'
  assay approve test.example.com/app:1.4 --key rm.key --expires 2026-12-31
  assay approve test.example.com/app:1.4 --key rm.key --reject --comment 'CVE-2026-1 open'";

/// Examples for `assay approvals --help`.
pub const APPROVALS_EXAMPLES: &str = "\
Examples:
  assay approvals test.example.com/app:1.4 --policy policies/golden-image.yaml
  assay approvals oci:build/app:1.4 --key release-manager-1.pub --format json";

/// Examples for `assay history --help`.
pub const HISTORY_EXAMPLES: &str = "\
Examples:
  assay history prod.example.com/app:1.4 --key promoter.pub
  assay history prod.example.com/app:1.4 --audit-log promotions.jsonl --format json";

fn failure(e: assay_promote::Error) -> Failure {
    let code = if e.is_network() {
        NETWORK
    } else if e.is_verification() {
        DENIED
    } else {
        crate::exit::INPUT
    };
    Failure {
        code,
        message: e.to_string(),
    }
}

/// Parses an image argument into an endpoint with credentials.
fn endpoint(text: &str, registry: &RegistryArgs) -> Result<Endpoint, Failure> {
    let location = match Target::parse(text) {
        Ok(Target::OciLayout { dir, tag }) => Location::Layout { dir, tag },
        Ok(Target::Registry(r)) => Location::Registry(
            Reference::parse(&r).map_err(|e| Failure::input(format!("{text}: {e}")))?,
        ),
        // A destination that does not exist yet or a bare name: a registry reference.
        Ok(Target::Directory(_) | Target::File(_)) | Err(_) if !text.starts_with(['.', '/']) => {
            Location::Registry(
                Reference::parse(text).map_err(|e| Failure::input(format!("{text}: {e}")))?,
            )
        }
        _ => {
            return Err(Failure::input(format!(
                "{text}: not an image (host/repo:tag, docker://REF or oci:DIR[:TAG])"
            )));
        }
    };
    let mut endpoint = Endpoint::new(location);
    if let Location::Registry(r) = &endpoint.location {
        let host = r.registry().to_string();
        endpoint.plain_http = is_loopback(&host) || registry.insecure_registry.contains(&host);
        endpoint.auth = Credentials::from_env()
            .resolve(&host, r.repository(), endpoint.plain_http)
            .map_err(|e| Failure {
                code: NETWORK,
                message: format!("{text}: {e}"),
            })?;
    }
    Ok(endpoint)
}

fn open(endpoint: &Endpoint) -> Result<Place, Failure> {
    Place::open(endpoint, false).map_err(|e| failure(e.into()))
}

/// The digest the image resolves to and the store of its evidence (signatures,
/// attestations), pinned to that digest.
fn evidence_store(
    endpoint: &Endpoint,
) -> Result<(Digest, assay_promote::store::EvidenceStore), Failure> {
    let (digest, manifest) = open(endpoint)?.resolve().map_err(|e| failure(e.into()))?;
    // The manifest just read spares the store a second request for it.
    let store =
        assay_promote::store::open_with(endpoint, &digest, Some(&manifest)).map_err(failure)?;
    Ok((digest, store))
}

fn read_private_key(path: &Path) -> Result<assay_promote::evidence::KeySigner, Failure> {
    let text =
        std::fs::read(path).map_err(|e| Failure::input(format!("{}: {e}", path.display())))?;
    let password = std::env::var("ASSAY_PASSWORD").ok();
    let key = assay_promote::evidence::PrivateKey::from_pem(
        &text,
        password.as_deref().map(str::as_bytes),
        &path.display().to_string(),
    )
    .map_err(|e| Failure::input(e.to_string()))?;
    Ok(assay_promote::evidence::KeySigner::new(key))
}

fn read_public_keys(paths: &[PathBuf]) -> Result<Vec<NamedKey>, Failure> {
    paths
        .iter()
        .map(|p| {
            let text =
                std::fs::read(p).map_err(|e| Failure::input(format!("{}: {e}", p.display())))?;
            let key = assay_promote::evidence::PublicKey::from_pem(&text, &p.display().to_string())
                .map_err(|e| Failure::input(e.to_string()))?;
            Ok(NamedKey {
                name: p
                    .file_stem()
                    .map_or_else(|| p.display().to_string(), |s| s.to_string_lossy().into()),
                key,
            })
        })
        .collect()
}

fn load_policy(path: &Path) -> Result<(Policy, String), Failure> {
    let policy = Policy::load(path).map_err(failure)?;
    let bytes =
        std::fs::read(path).map_err(|e| Failure::input(format!("{}: {e}", path.display())))?;
    Ok((policy, Digest::sha256_of(&bytes).to_string()))
}

/// Pads cells to column widths; the last column is not padded.
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let last = cells.len().saturating_sub(1);
        let mut out = String::new();
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            if i == last {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{cell:<w$}  "));
            }
        }
        out.trim_end().to_string() + "\n"
    };
    let mut out = line(header.iter().map(|h| h.to_string()).collect());
    for row in rows {
        out.push_str(&line(row.clone()));
    }
    out
}

fn decision_table(decision: &Decision) -> String {
    let rows: Vec<Vec<String>> = decision
        .requirements
        .iter()
        .map(|r| {
            vec![
                r.requirement.clone(),
                if r.passed { "pass" } else { "FAIL" }.to_string(),
                r.why.clone(),
            ]
        })
        .collect();
    table(&["REQUIREMENT", "RESULT", "WHY"], &rows)
}

fn json(value: &impl serde::Serialize) -> anyhow::Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(value)?;
    bytes.push(b'\n');
    Ok(bytes)
}

#[allow(clippy::print_stderr)]
fn note(message: &str) {
    eprintln!("assay: {message}");
}

/// `assay promote SRC DST --policy F`.
pub fn promote(args: &PromoteArgs) -> anyhow::Result<u8> {
    let (policy, policy_digest) = load_policy(&args.policy)?;
    let source = endpoint(&args.source, &args.registry)?;
    let destination = endpoint(&args.destination, &args.registry)?;
    if !args.dry_run && args.key.is_none() {
        return Err(Failure::input(
            "promote: --key is required to sign the promotion record (or use --dry-run)",
        )
        .into());
    }
    // Read the key file now (a missing file is an input error before any work), decrypt
    // it only when a record is signed.
    let key_text = args
        .key
        .as_deref()
        .map(|p| {
            std::fs::read(p)
                .map(|t| (p.to_path_buf(), t))
                .map_err(|e| Failure::input(format!("{}: {e}", p.display())))
        })
        .transpose()?;
    let load_signer =
        move || -> Result<Box<dyn assay_promote::evidence::Signer + Send>, assay_promote::Error> {
            let Some((path, text)) = &key_text else {
                return Err(assay_promote::Error::Input("no --key".into()));
            };
            let password = std::env::var("ASSAY_PASSWORD").ok();
            let key = assay_promote::evidence::PrivateKey::from_pem(
                text,
                password.as_deref().map(str::as_bytes),
                &path.display().to_string(),
            )?;
            Ok(Box::new(assay_promote::evidence::KeySigner::new(key)))
        };
    let copy = CopyOptions {
        dry_run: args.dry_run,
        parallelism: args.parallelism.max(1),
        upload: if args.chunk_size.is_some() {
            UploadMode::Chunked
        } else {
            UploadMode::Auto
        },
        chunk_size: args.chunk_size.map_or(8 << 20, |m| m.max(1) << 20),
        ..CopyOptions::default()
    };
    let registry = args.registry.clone();
    let open_golden = move |name: &str| -> Result<Place, assay_promote::Error> {
        let e = endpoint(name, &registry)
            .map_err(|f| assay_promote::Error::Input(format!("golden image {f}")))?;
        Ok(Place::open(&e, false)?)
    };
    let request = Request {
        source: &source,
        destination: &destination,
        policy: &policy,
        policy_digest: &policy_digest,
        copy,
        now: clock::now_seconds(),
        signer: args.key.as_ref().map(|_| &load_signer as _),
        tool_version: env!("CARGO_PKG_VERSION"),
        open_golden: &open_golden,
        ci: assay_promote::external::CiContext::from_env(),
    };
    let outcome = promote::promote(&request).map_err(failure)?;
    match outcome {
        Outcome::Denied { decision, digest } => {
            let out = match args.format {
                Format::Table => decision_table(&decision).into_bytes(),
                Format::Json => json(&serde_json::json!({
                    "result": "denied", "source": args.source, "digest": digest,
                    "requirements": decision.requirements,
                }))?,
            };
            output::emit(None, &out)?;
            let why = decision
                .first_failure()
                .map(|r| format!("{}: {}", r.requirement, r.why))
                .unwrap_or_default();
            Err(Failure {
                code: DENIED,
                message: format!("promotion of {} denied: {why}", args.source),
            }
            .into())
        }
        Outcome::Planned { decision, plan } => {
            let out = match args.format {
                Format::Table => {
                    let mut text = decision_table(&decision);
                    text.push('\n');
                    let rows: Vec<Vec<String>> = plan
                        .steps
                        .iter()
                        .map(|s| {
                            vec![
                                s.action.as_str().to_string(),
                                format!("{:?}", s.kind).to_lowercase(),
                                s.digest.to_string(),
                                s.size.to_string(),
                                s.name.clone(),
                            ]
                        })
                        .collect();
                    text.push_str(&table(&["PLAN", "KIND", "DIGEST", "SIZE", "WHAT"], &rows));
                    text.into_bytes()
                }
                Format::Json => json(&serde_json::json!({
                    "result": "allowed", "dryRun": true,
                    "requirements": decision.requirements, "plan": plan,
                }))?,
            };
            output::emit(None, &out)?;
            Ok(0)
        }
        Outcome::Promoted {
            decision,
            report,
            record,
            already,
        } => {
            if !already && let Some(log) = &args.audit_log {
                assay_promote::audit::append(log, &record).map_err(failure)?;
            }
            let out = match args.format {
                Format::Table => {
                    let mut text = decision_table(&decision);
                    text.push_str(&format!(
                        "\n{} {} -> {} ({}; {} objects written, {} bytes copied)\n",
                        if already {
                            "already promoted:"
                        } else {
                            "promoted:"
                        },
                        record.source,
                        record.destination,
                        record.destination_digest,
                        report.writes(),
                        report.bytes_copied
                    ));
                    text.into_bytes()
                }
                Format::Json => json(&serde_json::json!({
                    "result": if already { "already-promoted" } else { "promoted" },
                    "record": record, "copy": report,
                }))?,
            };
            output::emit(None, &out)?;
            Ok(0)
        }
    }
}

/// An `--expires` value as RFC 3339: a date means the end of that day, UTC.
fn expires(text: &str) -> Result<String, Failure> {
    if let Ok(t) = text.parse::<jiff::Timestamp>() {
        return Ok(t.to_string());
    }
    let date: jiff::civil::Date = text.parse().map_err(|_| {
        Failure::input(format!(
            "--expires {text:?}: expected YYYY-MM-DD or an RFC 3339 time"
        ))
    })?;
    format!("{date}T23:59:59Z")
        .parse::<jiff::Timestamp>()
        .map(|t| t.to_string())
        .map_err(|e| Failure::input(format!("--expires {text:?}: {e}")))
}

/// `assay approve IMAGE --key K`.
pub fn approve(args: &ApproveArgs) -> anyhow::Result<u8> {
    let signer = read_private_key(&args.key)?;
    let expires = args.expires.as_deref().map(expires).transpose()?;
    let image = endpoint(&args.image, &args.registry)?;
    let (digest, store) = evidence_store(&image)?;
    if image.location.digest().is_none() {
        note(&format!(
            "approving {}@{digest} (the tag was resolved to its digest)",
            args.image
        ));
    }
    let approval = Approval {
        approver: args.approver.clone().unwrap_or_else(|| {
            args.key
                .file_stem()
                .map_or_else(|| "approver".into(), |s| s.to_string_lossy().into())
        }),
        decision: if args.reject {
            Verdict::Reject
        } else {
            Verdict::Approve
        },
        time: clock::rfc3339(clock::now_seconds()),
        comment: args.comment.clone(),
        expires,
        image: assay_promote::approval::image_name(
            &promote::subject_name(&image.location),
            &digest,
        ),
    };
    promote::approve(&store, &approval, &signer).map_err(failure)?;
    let verb = if args.reject { "rejected" } else { "approved" };
    output::emit(None, format!("{verb} {}@{digest}\n", args.image).as_bytes())?;
    Ok(0)
}

/// `assay approvals IMAGE`.
pub fn approvals(args: &ApprovalsArgs) -> anyhow::Result<u8> {
    let mut keys = read_public_keys(&args.key)?;
    if let Some(path) = &args.policy {
        let (policy, _) = load_policy(path)?;
        if let Some(rule) = policy.approvals {
            keys.extend(rule.release_managers);
        }
    }
    let image = endpoint(&args.image, &args.registry)?;
    let (digest, store) = evidence_store(&image)?;
    let listed = promote::approvals(&store, &keys, clock::now_seconds()).map_err(failure)?;
    let out = match args.format {
        Format::Json => json(&serde_json::json!({"digest": digest, "approvals": listed}))?,
        Format::Table => {
            let rows: Vec<Vec<String>> = listed
                .iter()
                .map(|l| {
                    vec![
                        l.approval.time.clone(),
                        format!("{:?}", l.approval.decision).to_lowercase(),
                        l.signer
                            .clone()
                            .unwrap_or_else(|| l.approval.approver.clone()),
                        l.status.clone(),
                        l.approval.expires.clone().unwrap_or_else(|| "-".into()),
                        l.approval.comment.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            let mut text = format!("{}@{digest}\n", args.image);
            if rows.is_empty() {
                text.push_str("no approvals\n");
            } else {
                text.push_str(&table(
                    &[
                        "TIME", "DECISION", "APPROVER", "STATUS", "EXPIRES", "COMMENT",
                    ],
                    &rows,
                ));
            }
            text.into_bytes()
        }
    };
    output::emit(None, &out)?;
    Ok(0)
}

/// `assay history IMAGE`.
pub fn history(args: &HistoryArgs) -> anyhow::Result<u8> {
    let (digest, entries) = match &args.audit_log {
        Some(log) => {
            // A digest is taken as is; an image is resolved to its digest.
            let digest = if Digest::parse(&args.image).is_ok() {
                Some(args.image.clone())
            } else {
                let image = endpoint(&args.image, &args.registry)?;
                let (d, _) = open(&image)?.resolve().map_err(|e| failure(e.into()))?;
                Some(d.to_string())
            };
            let records =
                assay_promote::audit::read_log(log, digest.as_deref()).map_err(failure)?;
            let entries: Vec<promote::HistoryEntry> = records
                .into_iter()
                .map(|record| promote::HistoryEntry {
                    record,
                    signer: None,
                })
                .collect();
            (digest.unwrap_or_default(), entries)
        }
        None => {
            let keys = read_public_keys(&args.key)?;
            let image = endpoint(&args.image, &args.registry)?;
            let (digest, store) = evidence_store(&image)?;
            let entries = promote::history(&store, &keys).map_err(failure)?;
            (digest.to_string(), entries)
        }
    };
    let out = match args.format {
        Format::Json => json(&serde_json::json!({"digest": digest, "promotions": entries}))?,
        Format::Table => {
            let rows: Vec<Vec<String>> = entries
                .iter()
                .map(|e| {
                    let failed = e.record.requirements.iter().filter(|r| !r.passed).count();
                    vec![
                        e.record.time.clone(),
                        e.record.source.clone(),
                        e.record.destination.clone(),
                        if e.record.approvers.is_empty() {
                            "-".into()
                        } else {
                            e.record.approvers.join(",")
                        },
                        format!(
                            "{} passed{}",
                            e.record.requirements.len() - failed,
                            if failed > 0 {
                                format!(", {failed} failed")
                            } else {
                                String::new()
                            }
                        ),
                        match (&args.audit_log, &e.signer) {
                            (Some(_), _) => "audit log".into(),
                            (None, Some(s)) => format!("signed by {s}"),
                            (None, None) => "unverified".into(),
                        },
                    ]
                })
                .collect();
            let mut text = format!("{}  {digest}\n", args.image);
            if rows.is_empty() {
                text.push_str("no promotion records\n");
            } else {
                text.push_str(&table(
                    &[
                        "TIME",
                        "SOURCE",
                        "DESTINATION",
                        "APPROVERS",
                        "REQUIREMENTS",
                        "RECORD",
                    ],
                    &rows,
                ));
            }
            text.into_bytes()
        }
    };
    output::emit(None, &out)?;
    Ok(0)
}
