//! The promotion policy file (`policies/golden-image.yaml`; schema in docs/promotion.md).
//!
//! Parse, validate, then run: the YAML is read into `deny_unknown_fields` structs (a typo is
//! an error naming `file:line`, never a silently ignored requirement), then checked and
//! resolved (keys read, durations and severities parsed, approval counts against the
//! release-manager list) into a [`Policy`] the evaluator trusts.

use std::path::{Path, PathBuf};

use assay_sign::PublicKey;
use serde::Deserialize;

use crate::error::Error;
use crate::rego::RegoRules;
use crate::severity::Severity;

/// Accepted values of `version`.
pub const VERSION: u32 = 1;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct File {
    version: u32,
    #[serde(default)]
    sources: Option<SourcesFile>,
    #[serde(default)]
    signatures: Option<SignaturesFile>,
    #[serde(default)]
    attestations: Option<AttestationsFile>,
    #[serde(default)]
    base_images: Option<BaseImagesFile>,
    #[serde(default)]
    approvals: Option<ApprovalsFile>,
    #[serde(default)]
    keys: Vec<KeyFile>,
    #[serde(default)]
    rego: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SourcesFile {
    #[serde(default)]
    registries: Vec<String>,
    #[serde(default)]
    layouts: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct KeyFile {
    name: String,
    key: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SignaturesFile {
    keys: Vec<KeyFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AttestationsFile {
    #[serde(default)]
    keys: Vec<KeyFile>,
    #[serde(default)]
    sbom: bool,
    #[serde(default)]
    scan: Option<ScanFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ScanFile {
    max_age: String,
    max_severity: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct BaseImagesFile {
    required: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ApprovalsFile {
    required: usize,
    #[serde(default)]
    release_managers: Vec<ManagerFile>,
    #[serde(default)]
    github: Option<GithubRule>,
    #[serde(default)]
    gitlab: Option<GitlabRule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ManagerFile {
    name: String,
    key: String,
    #[serde(default)]
    github: Option<String>,
    #[serde(default)]
    gitlab: Option<String>,
}

/// GitHub approvals accepted (`approvals.github`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GithubRule {
    /// `OWNER/REPO` of the workflow and pull requests.
    pub repository: String,
    /// Accept the deployment approval of this environment for the current run.
    #[serde(default)]
    pub environment: Option<String>,
    /// Accept approving reviews of the current pull request.
    #[serde(default)]
    pub pull_request_reviews: bool,
    /// `ORG/TEAM-SLUG` whose members may approve besides the release managers.
    #[serde(default)]
    pub teams: Vec<String>,
}

/// GitLab approvals accepted (`approvals.gitlab`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GitlabRule {
    /// The project id or `group/project` path.
    pub project: String,
}

/// A release manager: their name and their logins on GitHub and GitLab.
#[derive(Debug, Clone)]
pub struct Person {
    /// The name used in the table and the record.
    pub name: String,
    /// GitHub login.
    pub github: Option<String>,
    /// GitLab username.
    pub gitlab: Option<String>,
}

/// A trusted key with the name it is reported under.
#[derive(Debug, Clone)]
pub struct NamedKey {
    /// The person or system the key belongs to.
    pub name: String,
    /// The public key.
    pub key: PublicKey,
}

/// Where images may be promoted from.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// Registry host patterns (`registry.example.com`, `*.example.com`, `127.0.0.1:*`).
    pub registries: Vec<String>,
    /// Whether OCI layouts (`oci:DIR`) are allowed sources.
    pub layouts: bool,
}

/// The scan attestation's limits.
#[derive(Debug, Clone, Copy)]
pub struct ScanRule {
    /// Oldest acceptable scan, in seconds.
    pub max_age_seconds: i64,
    /// Highest severity allowed among unsuppressed findings.
    pub max_severity: Severity,
}

/// Release managers and how many must approve.
#[derive(Debug, Clone)]
pub struct ApprovalRule {
    /// M: distinct release managers whose approval is needed.
    pub required: usize,
    /// N: the release managers' keys.
    pub release_managers: Vec<NamedKey>,
    /// The release managers with their GitHub/GitLab logins.
    pub people: Vec<Person>,
    /// GitHub approvals accepted.
    pub github: Option<GithubRule>,
    /// GitLab approvals accepted.
    pub gitlab: Option<GitlabRule>,
}

/// A validated policy.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The file it came from.
    pub path: PathBuf,
    /// Allowed sources, when restricted.
    pub sources: Option<Sources>,
    /// Keys one of which must have signed the image; empty: no signature required.
    pub signing_keys: Vec<NamedKey>,
    /// Keys trusted for attestations (default: the signing keys).
    pub attestation_keys: Vec<NamedKey>,
    /// Whether an SBOM attestation is required.
    pub sbom: bool,
    /// The scan attestation requirement.
    pub scan: Option<ScanRule>,
    /// Golden base images one of which the image must be built on.
    pub base_images: Vec<String>,
    /// Required approvals.
    pub approvals: Option<ApprovalRule>,
    /// Keys trusted for evidence with no requirement of their own (`keys`): signers the
    /// Rego rules see by name.
    pub trusted_keys: Vec<NamedKey>,
    /// Requirements written in Rego (`rego`), besides the built-in ones.
    pub rego: Option<RegoRules>,
}

impl Policy {
    /// Every key attestations are verified with: the attestation keys (SBOM, scan) and the
    /// release managers (approvals).
    pub fn evidence_keys(&self) -> Vec<NamedKey> {
        let managers = self.approvals.iter().flat_map(|a| &a.release_managers);
        self.attestation_keys
            .iter()
            .chain(managers)
            .chain(&self.trusted_keys)
            .cloned()
            .collect()
    }

    /// Every key signatures are verified with: the signature keys and the `keys` list.
    pub fn signature_keys(&self) -> Vec<NamedKey> {
        self.signing_keys
            .iter()
            .chain(&self.trusted_keys)
            .cloned()
            .collect()
    }

    /// The evidence attached to the store's image, verified with this policy's keys.
    pub fn gather(
        &self,
        store: &dyn assay_sign::Store,
    ) -> Result<crate::evidence::Evidence, Error> {
        crate::evidence::gather(store, &self.signature_keys(), &self.evidence_keys())
    }
}

/// The 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .map_or(1, |t| t.matches('\n').count() + 1)
}

/// The line a field sits on, for errors found after parsing (`key:` at the start of a line).
fn line_of_key(text: &str, key: &str) -> usize {
    let needle = format!("{key}:");
    text.lines()
        .position(|l| l.trim_start().trim_start_matches("- ").starts_with(&needle))
        .map_or(1, |i| i + 1)
}

/// Parses `24h`, `90m`, `7d`, `3600s` (a number and one unit).
pub fn parse_duration(text: &str) -> Option<i64> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = text.split_at(split);
    let n: i64 = number.parse().ok()?;
    let factor = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return None,
    };
    n.checked_mul(factor)
}

impl Policy {
    /// Reads and validates a policy file.
    pub fn load(path: &Path) -> Result<Policy, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Policy::parse(&text, path)
    }

    /// Validates policy text; `path` names it in errors and anchors relative key paths.
    pub fn parse(text: &str, path: &Path) -> Result<Policy, Error> {
        let at = |line: usize, message: String| Error::Policy {
            path: path.to_path_buf(),
            line,
            message,
        };
        let file: File = yaml_serde::from_str(text).map_err(|e| {
            let line = e.location().map_or(1, |l| l.line());
            // The parser's text repeats the position; keep the message part.
            let message = e.to_string();
            let message = message
                .split(" at line ")
                .next()
                .unwrap_or(&message)
                .to_string();
            at(line, message)
        })?;
        if file.version != VERSION {
            return Err(at(
                line_of_key(text, "version"),
                format!(
                    "unsupported version {} (this assay reads version {VERSION})",
                    file.version
                ),
            ));
        }
        let base = path.parent().unwrap_or(Path::new("."));
        let load_keys = |keys: &[KeyFile], section: &str| -> Result<Vec<NamedKey>, Error> {
            let mut out: Vec<NamedKey> = Vec::new();
            for k in keys {
                let line = text
                    .find(&k.key)
                    .map_or_else(|| line_of_key(text, section), |o| line_of(text, o));
                let key = read_key(base, &k.key).map_err(|m| at(line, m))?;
                if out.iter().any(|o| o.name == k.name) {
                    return Err(at(
                        line,
                        format!("{section}: the name {:?} is listed twice", k.name),
                    ));
                }
                out.push(NamedKey {
                    name: k.name.clone(),
                    key,
                });
            }
            Ok(out)
        };
        let signing_keys = match &file.signatures {
            Some(s) => {
                if s.keys.is_empty() {
                    return Err(at(
                        line_of_key(text, "signatures"),
                        "signatures.keys: list at least one key (or drop the section)".into(),
                    ));
                }
                load_keys(&s.keys, "signatures")?
            }
            None => Vec::new(),
        };
        let (attestation_keys, sbom, scan) = match &file.attestations {
            Some(a) => {
                let keys = if a.keys.is_empty() {
                    signing_keys.clone()
                } else {
                    load_keys(&a.keys, "attestations")?
                };
                if keys.is_empty() && (a.sbom || a.scan.is_some()) {
                    return Err(at(
                        line_of_key(text, "attestations"),
                        "attestations: no trusted key (list attestations.keys or signatures.keys)"
                            .into(),
                    ));
                }
                let scan = match &a.scan {
                    Some(s) => {
                        let max_age_seconds = parse_duration(&s.max_age).ok_or_else(|| {
                            at(
                                line_of_key(text, "maxAge"),
                                format!(
                                    "scan.maxAge: invalid duration {:?} (e.g. 24h, 90m, 7d)",
                                    s.max_age
                                ),
                            )
                        })?;
                        let max_severity = Severity::parse(&s.max_severity).ok_or_else(|| {
                            at(
                                line_of_key(text, "maxSeverity"),
                                format!(
                                    "scan.maxSeverity: unknown severity {:?} (none, low, medium, high, critical)",
                                    s.max_severity
                                ),
                            )
                        })?;
                        Some(ScanRule {
                            max_age_seconds,
                            max_severity,
                        })
                    }
                    None => None,
                };
                (keys, a.sbom, scan)
            }
            None => (Vec::new(), false, None),
        };
        let approvals = match &file.approvals {
            Some(a) => {
                let as_keys: Vec<KeyFile> = a
                    .release_managers
                    .iter()
                    .map(|m| KeyFile {
                        name: m.name.clone(),
                        key: m.key.clone(),
                    })
                    .collect();
                let managers = load_keys(&as_keys, "releaseManagers")?;
                if a.required == 0 || a.required > managers.len() {
                    return Err(at(
                        line_of_key(text, "required"),
                        format!(
                            "approvals.required: {} of {} release managers cannot be met (1..={})",
                            a.required,
                            managers.len(),
                            managers.len()
                        ),
                    ));
                }
                Some(ApprovalRule {
                    required: a.required,
                    release_managers: managers,
                    people: a
                        .release_managers
                        .iter()
                        .map(|m| Person {
                            name: m.name.clone(),
                            github: m.github.clone(),
                            gitlab: m.gitlab.clone(),
                        })
                        .collect(),
                    github: a.github.clone(),
                    gitlab: a.gitlab.clone(),
                })
            }
            None => None,
        };
        let base_images = match &file.base_images {
            Some(b) if b.required.is_empty() => {
                return Err(at(
                    line_of_key(text, "baseImages"),
                    "baseImages.required: list at least one golden image (or drop the section)"
                        .into(),
                ));
            }
            Some(b) => b.required.clone(),
            None => Vec::new(),
        };
        let trusted_keys = load_keys(&file.keys, "keys")?;
        let rego = if file.rego.is_empty() {
            None
        } else {
            Some(RegoRules::load(base, &file.rego).map_err(|m| at(line_of_key(text, "rego"), m))?)
        };
        Ok(Policy {
            path: path.to_path_buf(),
            sources: file.sources.map(|s| Sources {
                registries: s.registries,
                layouts: s.layouts,
            }),
            signing_keys,
            attestation_keys,
            sbom,
            scan,
            base_images,
            approvals,
            trusted_keys,
            rego,
        })
    }
}

/// A key given inline (PEM) or as a path relative to the policy file.
fn read_key(base: &Path, value: &str) -> Result<PublicKey, String> {
    if value.trim_start().starts_with("-----BEGIN") {
        return PublicKey::from_pem(value.as_bytes(), "inline key").map_err(|e| e.to_string());
    }
    let path = base.join(value);
    let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    PublicKey::from_pem(&bytes, &path.display().to_string()).map_err(|e| e.to_string())
}

/// Whether `host` (`name[:port]`) matches `pattern` (`*` matches any run of characters).
pub fn host_matches(pattern: &str, host: &str) -> bool {
    fn matches(p: &[u8], h: &[u8]) -> bool {
        match (p.split_first(), h.split_first()) {
            (None, None) => true,
            (Some((b'*', rest)), _) => {
                matches(rest, h) || h.split_first().is_some_and(|(_, hr)| matches(p, hr))
            }
            (Some((a, pr)), Some((b, hr))) => a.eq_ignore_ascii_case(b) && matches(pr, hr),
            _ => false,
        }
    }
    matches(pattern.as_bytes(), host.as_bytes())
}
