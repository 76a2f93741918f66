//! Compliance baselines: CIS Docker Benchmark section 4 checks of built images (config,
//! history, filesystem) and an OS baseline for Debian/Ubuntu and RHEL-family root
//! filesystems (sshd, login.defs, accounts, permissions), as built-in rules `ASSAY-BL-NNN`,
//! plus profile files in which an organisation writes its own rules with its own ids.
//!
//! Both kinds of rule are a [`Check`] value: the built-in table below is written with the
//! same checks a profile file's `check:` mapping deserialises into, so the profile format
//! can express everything the built-ins do. The format is documented in docs/baselines.md.
//!
//! The scanner needs several files together (sshd reads drop-ins before `sshd_config`,
//! unowned files need `/etc/passwd` and `/etc/group` and the whole tree), so
//! [`Scanner::scan`] does nothing and every rule runs in [`Scanner::scan_image`], which
//! gets the final versions of the files the rules read (`ImageContext::files`). The scanner
//! keeps no state, so one value may serve several walks at the same time.

mod check;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use assay_core::{FindingKind, Rule, RuleDoc, RuleTarget, Severity};
use serde::Deserialize;

use crate::content::{ContentFile, Hit, ImageContext, Scanner, Scope};

pub use check::{Check, Expect, Syntax};

/// Built-in baseline rules.
pub static RULES: &[Rule] = &[
    rule(
        "ASSAY-BL-001",
        Severity::High,
        "Image runs as root",
        "The image config sets no USER (or USER root/0), so its processes run as root inside the container; a breakout or a writable host mount then acts with root's rights.",
        "Create an unprivileged user and end the Dockerfile with `USER <name>` (or a numeric UID).",
        &["cis-docker:4.1", "dockle:CIS-DI-0001"],
    ),
    rule(
        "ASSAY-BL-002",
        Severity::Low,
        "Image has no HEALTHCHECK",
        "Without a HEALTHCHECK the container engine cannot tell a hung service from a healthy one, so it is never restarted or taken out of rotation.",
        "Add `HEALTHCHECK CMD <probe>` to the Dockerfile (orchestrators with their own probes may disable this rule).",
        &["cis-docker:4.6", "dockle:CIS-DI-0006"],
    ),
    rule(
        "ASSAY-BL-003",
        Severity::Low,
        "Setuid or setgid file",
        "Setuid/setgid programs run with their owner's or group's rights whatever user starts them: every one is a privilege-escalation path if it has a flaw.",
        "Remove the bits where the program is not needed: `RUN find / -xdev -perm /6000 -type f -exec chmod a-s {} +`.",
        &["cis-docker:4.8", "dockle:CIS-DI-0008"],
    ),
    rule(
        "ASSAY-BL-004",
        Severity::Medium,
        "Base image not from a trusted registry",
        "`baseline.trusted-registries` lists where base images may come from; this image's base (label org.opencontainers.image.base.name) is from elsewhere or not recorded.",
        "Build FROM an image of a trusted registry and record it (BuildKit writes the label with `--provenance`/`LABEL org.opencontainers.image.base.name=...`).",
        &["cis-docker:4.2"],
    ),
    rule(
        "ASSAY-BL-005",
        Severity::Low,
        "ADD used instead of COPY",
        "ADD fetches URLs and unpacks archives implicitly, so what ends up in the image depends on remote content and file types; COPY only copies.",
        "Use COPY; download with a checksum-verified RUN step when a remote file is needed.",
        &["cis-docker:4.9", "dockle:CIS-DI-0009", "hadolint:DL3020"],
    ),
    rule(
        "ASSAY-BL-006",
        Severity::Low,
        "Package index updated in a RUN of its own",
        "A RUN that only updates the package index (`apt-get update`) is cached as a layer: later installs use a stale index and miss security updates.",
        "Update and install in the same RUN: `RUN apt-get update && apt-get install -y ...`.",
        &["cis-docker:4.7", "dockle:CIS-DI-0007"],
    ),
    rule(
        "ASSAY-BL-010",
        Severity::High,
        "sshd permits root login",
        "PermitRootLogin other than `no` lets attackers aim password guessing or stolen keys straight at root, and hides who did what.",
        "Set `PermitRootLogin no` in /etc/ssh/sshd_config.",
        &["cis-linux:5.2.10"],
    ),
    rule(
        "ASSAY-BL-011",
        Severity::High,
        "sshd permits empty passwords",
        "PermitEmptyPasswords yes lets accounts without a password log in over the network.",
        "Set `PermitEmptyPasswords no` in /etc/ssh/sshd_config.",
        &["cis-linux:5.2.11"],
    ),
    rule(
        "ASSAY-BL-012",
        Severity::Low,
        "sshd forwards X11",
        "X11 forwarding exposes the client's display to the server side and widens the attack surface of the session.",
        "Set `X11Forwarding no` in /etc/ssh/sshd_config.",
        &["cis-linux:5.2.6"],
    ),
    rule(
        "ASSAY-BL-013",
        Severity::Low,
        "sshd allows more than 4 authentication attempts",
        "A high MaxAuthTries (default 6) gives password guessing more tries per connection.",
        "Set `MaxAuthTries 4` (or less) in /etc/ssh/sshd_config.",
        &["cis-linux:5.2.7"],
    ),
    rule(
        "ASSAY-BL-014",
        Severity::Medium,
        "sshd allows host-based authentication",
        "HostbasedAuthentication trusts the client host's identity (rhosts-style), not the user's credentials.",
        "Set `HostbasedAuthentication no` in /etc/ssh/sshd_config.",
        &["cis-linux:5.2.9"],
    ),
    rule(
        "ASSAY-BL-015",
        Severity::Low,
        "sshd_config readable or writable by others",
        "/etc/ssh/sshd_config should be owned by root and not accessible to group or others (mode 600).",
        "`chown root:root /etc/ssh/sshd_config && chmod 600 /etc/ssh/sshd_config`.",
        &["cis-linux:5.2.1"],
    ),
    rule(
        "ASSAY-BL-020",
        Severity::Low,
        "Passwords never expire (PASS_MAX_DAYS)",
        "login.defs PASS_MAX_DAYS above 365 (the shadow default is 99999) lets a leaked password work forever.",
        "Set `PASS_MAX_DAYS 365` (or less) in /etc/login.defs.",
        &["cis-linux:5.4.1.1"],
    ),
    rule(
        "ASSAY-BL-021",
        Severity::Low,
        "Passwords can be changed back at once (PASS_MIN_DAYS)",
        "login.defs PASS_MIN_DAYS 0 lets a user cycle through changes to reuse an old password.",
        "Set `PASS_MIN_DAYS 1` (or more) in /etc/login.defs.",
        &["cis-linux:5.4.1.2"],
    ),
    rule(
        "ASSAY-BL-022",
        Severity::Low,
        "Default umask too permissive",
        "login.defs UMASK less strict than 027 makes new files readable by every user.",
        "Set `UMASK 027` in /etc/login.defs.",
        &["cis-linux:5.4.4"],
    ),
    rule(
        "ASSAY-BL-030",
        Severity::High,
        "Account with an empty password",
        "An /etc/shadow entry with an empty password field lets anyone log in as that account without a password.",
        "Lock the account (`passwd -l NAME`, a `!` or `*` in the field) or set a password.",
        &["cis-linux:6.2.1"],
    ),
    rule(
        "ASSAY-BL-031",
        Severity::High,
        "Account other than root with UID 0",
        "Any account with UID 0 is root under another name: a backdoor or a mistake.",
        "Give the account its own UID or remove it.",
        &["cis-linux:6.2.5"],
    ),
    rule(
        "ASSAY-BL-032",
        Severity::Medium,
        "World-writable file or directory",
        "World-writable files can be changed by every user and process in the container; world-writable directories without the sticky bit let users delete others' files.",
        "Remove the write bit for others (`chmod o-w`), or set the sticky bit on shared directories.",
        &["cis-linux:6.1.10"],
    ),
    rule(
        "ASSAY-BL-033",
        Severity::Low,
        "File owned by an unknown user or group",
        "Files whose owner UID or group GID has no /etc/passwd or /etc/group entry are taken over by whatever account gets that id later.",
        "Fix the ownership at build time (`COPY --chown`, `chown -R`) or add the account.",
        &["cis-linux:6.1.11", "cis-linux:6.1.12"],
    ),
    rule(
        "ASSAY-BL-034",
        Severity::Medium,
        "cron configuration accessible to others",
        "/etc/crontab and the cron directories should be root's only (600/700): others could read schedules or plant jobs.",
        "`chmod 600 /etc/crontab; chmod 700 /etc/cron.d /etc/cron.hourly /etc/cron.daily /etc/cron.weekly /etc/cron.monthly` owned by root.",
        &["cis-linux:5.1.2", "cis-linux:5.1.3", "cis-linux:5.1.7"],
    ),
    rule(
        "ASSAY-BL-035",
        Severity::High,
        "/etc/shadow readable by others",
        "/etc/shadow holds password hashes; it must be owned by root and not readable by others (640 root:shadow on Debian, 000 on RHEL).",
        "`chown root /etc/shadow /etc/gshadow && chmod 640 /etc/shadow /etc/gshadow`.",
        &["cis-linux:6.1.3", "cis-linux:6.1.5"],
    ),
    rule(
        "ASSAY-BL-036",
        Severity::High,
        "/etc/passwd or /etc/group writable by others",
        "Write access to the account databases lets any user add a UID 0 account.",
        "`chown root:root /etc/passwd /etc/group && chmod 644 /etc/passwd /etc/group`.",
        &["cis-linux:6.1.2", "cis-linux:6.1.4"],
    ),
];

const fn rule(
    id: &'static str,
    severity: Severity,
    title: &'static str,
    description: &'static str,
    remediation: &'static str,
    equivalents: &'static [&'static str],
) -> Rule {
    Rule {
        id,
        target: RuleTarget::Baseline,
        severity,
        title,
        description,
        remediation,
        equivalents,
        opt_in: false,
    }
}

fn sshd(key: &str, expect: Expect, default: Option<&str>) -> Check {
    Check::Setting {
        file: "etc/ssh/sshd_config".into(),
        include_dir: Some("etc/ssh/sshd_config.d".into()),
        syntax: Syntax::Space,
        key: key.into(),
        expect,
        default: default.map(str::to_string),
    }
}

fn login_defs(key: &str, expect: Expect, default: &str) -> Check {
    Check::Setting {
        file: "etc/login.defs".into(),
        include_dir: None,
        syntax: Syntax::Space,
        key: key.into(),
        expect,
        default: Some(default.into()),
    }
}

fn equals(v: &str) -> Expect {
    Expect {
        equals: Some(v.into()),
        ..Expect::default()
    }
}

fn mode(path: &str, max: &str, owner: Option<u64>, group: Option<u64>) -> Check {
    Check::FileMode {
        path: path.into(),
        max_mode: max.into(),
        owner,
        group,
    }
}

/// The checks of a built-in rule (`None` for an unknown id).
pub fn builtin_checks(id: &str) -> Option<Vec<Check>> {
    Some(match id {
        "ASSAY-BL-001" => vec![Check::ImageUser],
        "ASSAY-BL-002" => vec![Check::Healthcheck],
        "ASSAY-BL-003" => vec![Check::SetuidFiles { allow: Vec::new() }],
        "ASSAY-BL-004" => vec![Check::TrustedBase {
            registries: Vec::new(),
        }],
        "ASSAY-BL-005" => vec![Check::HistoryAdd],
        "ASSAY-BL-006" => vec![Check::HistoryUpdateOnly],
        // sshd's compiled-in defaults (OpenSSH 7.0+) apply when the key is absent.
        "ASSAY-BL-010" => vec![sshd(
            "PermitRootLogin",
            equals("no"),
            Some("prohibit-password"),
        )],
        "ASSAY-BL-011" => vec![sshd("PermitEmptyPasswords", equals("no"), Some("no"))],
        "ASSAY-BL-012" => vec![sshd("X11Forwarding", equals("no"), Some("no"))],
        "ASSAY-BL-013" => vec![sshd(
            "MaxAuthTries",
            Expect {
                max: Some(4),
                ..Expect::default()
            },
            Some("6"),
        )],
        "ASSAY-BL-014" => vec![sshd("HostbasedAuthentication", equals("no"), Some("no"))],
        "ASSAY-BL-015" => vec![mode("etc/ssh/sshd_config", "0600", Some(0), Some(0))],
        "ASSAY-BL-020" => vec![login_defs(
            "PASS_MAX_DAYS",
            Expect {
                max: Some(365),
                ..Expect::default()
            },
            "99999",
        )],
        "ASSAY-BL-021" => vec![login_defs(
            "PASS_MIN_DAYS",
            Expect {
                min: Some(1),
                ..Expect::default()
            },
            "0",
        )],
        "ASSAY-BL-022" => vec![login_defs(
            "UMASK",
            Expect {
                umask_at_least: Some("027".into()),
                ..Expect::default()
            },
            "022",
        )],
        "ASSAY-BL-030" => vec![Check::EmptyPasswords],
        "ASSAY-BL-031" => vec![Check::Uid0Accounts],
        "ASSAY-BL-032" => vec![Check::WorldWritable],
        "ASSAY-BL-033" => vec![Check::UnownedFiles],
        "ASSAY-BL-034" => vec![
            mode("etc/crontab", "0600", Some(0), Some(0)),
            mode("etc/cron.d", "0700", Some(0), Some(0)),
            mode("etc/cron.hourly", "0700", Some(0), Some(0)),
            mode("etc/cron.daily", "0700", Some(0), Some(0)),
            mode("etc/cron.weekly", "0700", Some(0), Some(0)),
            mode("etc/cron.monthly", "0700", Some(0), Some(0)),
        ],
        "ASSAY-BL-035" => vec![
            mode("etc/shadow", "0640", Some(0), None),
            mode("etc/gshadow", "0640", Some(0), None),
        ],
        "ASSAY-BL-036" => vec![
            mode("etc/passwd", "0644", Some(0), None),
            mode("etc/group", "0644", Some(0), None),
        ],
        _ => return None,
    })
}

/// The `baseline:` section of `assay.yaml`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct BaselineConfig {
    /// Run the built-in `ASSAY-BL-NNN` rules (default true).
    pub builtin: bool,
    /// Profile files with the organisation's own rules.
    pub profiles: Vec<PathBuf>,
    /// Rule ids (built-in or from a profile) not to run.
    pub disable: Vec<String>,
    /// Registries base images may come from (`ASSAY-BL-004`; the rule is skipped when empty).
    pub trusted_registries: Vec<String>,
}

impl Default for BaselineConfig {
    fn default() -> BaselineConfig {
        BaselineConfig {
            builtin: true,
            profiles: Vec::new(),
            disable: Vec::new(),
            trusted_registries: Vec::new(),
        }
    }
}

/// A profile file: an organisation's baseline.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Profile {
    /// The profile's name (`acme-linux`).
    pub profile: String,
    /// What it is for.
    #[serde(default)]
    pub description: String,
    /// Built-in rule ids this profile turns off (it replaces them, say).
    #[serde(default)]
    pub disable: Vec<String>,
    /// Its rules.
    #[serde(default)]
    pub rules: Vec<ProfileRule>,
}

/// One rule of a profile file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ProfileRule {
    /// The organisation's id (`ACME-SSH-001`); `ASSAY-` ids are reserved.
    pub id: String,
    /// One line naming the problem.
    pub title: String,
    /// `CRITICAL`, `HIGH`, `MEDIUM`, `LOW` or `INFO` (any case).
    pub severity: String,
    /// Why it matters.
    #[serde(default)]
    pub description: String,
    /// How to fix it.
    #[serde(default)]
    pub remediation: String,
    /// Ids of the same control elsewhere (`cis-linux:5.2.10`).
    #[serde(default)]
    pub equivalents: Vec<String>,
    /// What to check.
    pub check: Check,
}

/// A profile that could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BaselineError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The YAML does not parse or has the wrong shape.
    #[error("{path}{}: {why}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Syntax {
        /// The file.
        path: String,
        /// 1-based line, when known.
        line: Option<usize>,
        /// The parser's message.
        why: String,
    },
    /// A rule that parses but cannot run.
    #[error("{path}: rule {id}: {why}")]
    Invalid {
        /// The file.
        path: String,
        /// The rule id.
        id: String,
        /// What is wrong.
        why: String,
    },
    /// `baseline.disable` names no rule.
    #[error("baseline: disable: unknown rule id {0:?}")]
    UnknownRule(String),
}

/// Parses and validates a profile file's text.
pub fn parse_profile(path: &str, text: &str) -> Result<Profile, BaselineError> {
    let profile: Profile = yaml_serde::from_str(text).map_err(|e| BaselineError::Syntax {
        path: path.to_string(),
        line: e.location().map(|l| l.line()),
        why: e.to_string(),
    })?;
    let invalid = |id: &str, why: String| BaselineError::Invalid {
        path: path.to_string(),
        id: id.to_string(),
        why,
    };
    let mut seen = BTreeSet::new();
    for r in &profile.rules {
        if r.id.trim().is_empty() {
            return Err(invalid("(empty)", "the id is empty".into()));
        }
        if r.id.to_ascii_uppercase().starts_with("ASSAY-") {
            return Err(invalid(
                &r.id,
                "ids starting with ASSAY- are reserved for built-in rules".into(),
            ));
        }
        if !seen.insert(r.id.clone()) {
            return Err(invalid(&r.id, "duplicate id".into()));
        }
        r.severity
            .parse::<Severity>()
            .map_err(|_| invalid(&r.id, format!("unknown severity {:?}", r.severity)))?;
        let patterns: Vec<&str> = match &r.check {
            Check::Setting { expect, .. } => expect.regexes().collect(),
            Check::FileContains { pattern, .. } | Check::FileNotContains { pattern, .. } => {
                vec![pattern.as_str()]
            }
            Check::ImageLabel {
                pattern: Some(p), ..
            } => vec![p.as_str()],
            Check::FileMode { max_mode, .. } => {
                u32::from_str_radix(max_mode.trim_start_matches("0o"), 8)
                    .map_err(|_| invalid(&r.id, format!("max-mode {max_mode:?} is not octal")))?;
                Vec::new()
            }
            _ => Vec::new(),
        };
        for p in patterns {
            regex::Regex::new(p).map_err(|e| invalid(&r.id, format!("pattern {p:?}: {e}")))?;
        }
    }
    Ok(profile)
}

/// Reads and validates a profile file.
pub fn load_profile(path: &Path) -> Result<Profile, BaselineError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| BaselineError::Read {
        path: name.clone(),
        source,
    })?;
    parse_profile(&name, &text)
}

/// A rule ready to run.
#[derive(Debug, Clone)]
struct Active {
    id: String,
    severity: Severity,
    title: String,
    remediation: String,
    builtin: Option<&'static Rule>,
    checks: Vec<Check>,
}

/// The baseline content scanner.
#[derive(Debug)]
pub struct BaselineScanner {
    rules: Vec<Active>,
    docs: Vec<RuleDoc>,
    trusted: Vec<String>,
    wanted: BTreeSet<String>,
    wanted_dirs: Vec<String>,
}

impl BaselineScanner {
    /// The built-in rules, minus `config.disable`, plus the rules of `profiles`.
    pub fn new(
        config: &BaselineConfig,
        profiles: &[Profile],
    ) -> Result<BaselineScanner, BaselineError> {
        let mut disabled: BTreeSet<&str> = config.disable.iter().map(String::as_str).collect();
        for p in profiles {
            disabled.extend(p.disable.iter().map(String::as_str));
        }
        let mut rules = Vec::new();
        let mut docs = Vec::new();
        if config.builtin {
            for r in RULES {
                if disabled.contains(r.id) {
                    continue;
                }
                rules.push(Active {
                    id: r.id.to_string(),
                    severity: r.severity,
                    title: r.title.to_string(),
                    remediation: r.remediation.to_string(),
                    builtin: Some(r),
                    checks: builtin_checks(r.id).unwrap_or_default(),
                });
            }
        }
        let mut custom_ids = BTreeSet::new();
        for p in profiles {
            for r in &p.rules {
                if !custom_ids.insert(r.id.clone()) {
                    return Err(BaselineError::Invalid {
                        path: p.profile.clone(),
                        id: r.id.clone(),
                        why: "defined by two profiles".into(),
                    });
                }
                if disabled.contains(r.id.as_str()) {
                    continue;
                }
                let severity = r.severity.parse::<Severity>().unwrap_or(Severity::Medium);
                docs.push(RuleDoc {
                    id: r.id.clone(),
                    title: r.title.clone(),
                    description: r.description.clone(),
                    remediation: r.remediation.clone(),
                    severity,
                    help_uri: None,
                    equivalents: r.equivalents.clone(),
                });
                rules.push(Active {
                    id: r.id.clone(),
                    severity,
                    title: r.title.clone(),
                    remediation: r.remediation.clone(),
                    builtin: None,
                    checks: vec![r.check.clone()],
                });
            }
        }
        for id in &config.disable {
            let known = RULES.iter().any(|r| r.id == id) || custom_ids.contains(id);
            if !known {
                return Err(BaselineError::UnknownRule(id.clone()));
            }
        }
        let mut wanted = BTreeSet::new();
        let mut wanted_dirs = Vec::new();
        for r in &rules {
            for c in &r.checks {
                wanted.extend(check::wanted_files(c));
                wanted_dirs.extend(check::wanted_dirs(c).into_iter().map(|d| format!("{d}/")));
            }
        }
        wanted_dirs.sort();
        wanted_dirs.dedup();
        Ok(BaselineScanner {
            rules,
            docs,
            trusted: config.trusted_registries.clone(),
            wanted,
            wanted_dirs,
        })
    }

    /// The scanner `assay.yaml`'s `baseline:` section describes: its profile files are read
    /// and validated here.
    pub fn from_config(config: &BaselineConfig) -> Result<BaselineScanner, BaselineError> {
        let profiles = config
            .profiles
            .iter()
            .map(|p| load_profile(p))
            .collect::<Result<Vec<_>, _>>()?;
        BaselineScanner::new(config, &profiles)
    }

    /// The built-in rules only.
    pub fn builtin() -> BaselineScanner {
        BaselineScanner::new(&BaselineConfig::default(), &[]).unwrap_or_else(|_| BaselineScanner {
            rules: Vec::new(),
            docs: Vec::new(),
            trusted: Vec::new(),
            wanted: BTreeSet::new(),
            wanted_dirs: Vec::new(),
        })
    }

    /// Documentation of the profile rules in use (built-in ones are in [`RULES`]), for
    /// report rule metadata.
    pub fn rule_docs(&self) -> &[RuleDoc] {
        &self.docs
    }

    /// Ids of every rule that runs, built-in and custom.
    pub fn rule_ids(&self) -> impl Iterator<Item = &str> {
        self.rules.iter().map(|r| r.id.as_str())
    }
}

impl Scanner for BaselineScanner {
    fn name(&self) -> &'static str {
        "baseline"
    }

    fn kind(&self) -> FindingKind {
        FindingKind::Baseline
    }

    fn rules(&self) -> &'static [Rule] {
        RULES
    }

    fn wants(&self, path: &str) -> bool {
        self.wanted.contains(path)
            || self
                .wanted_dirs
                .iter()
                .any(|d| path.starts_with(d.as_str()) && !path[d.len()..].contains('/'))
    }

    fn max_size(&self) -> u64 {
        1 << 20
    }

    fn scope(&self) -> Scope {
        Scope::Final
    }

    fn scan(&self, _file: &ContentFile<'_>) -> Vec<Hit> {
        // Every check may span files (sshd_config and its drop-ins, passwd and the tree):
        // they run in `scan_image`, which gets the same files.
        Vec::new()
    }

    fn scan_image(&self, image: &ImageContext<'_>) -> Vec<Hit> {
        let files: BTreeMap<&str, &[u8]> =
            image.files.iter().map(|f| (f.path, f.content)).collect();
        let cx = check::Context {
            files: &files,
            tree: image.tree,
            config: image.config,
            trusted: &self.trusted,
        };
        let mut hits = Vec::new();
        for r in &self.rules {
            for c in &r.checks {
                for failure in check::run(c, &cx) {
                    let hit = match r.builtin {
                        Some(rule) => Hit::new(rule, failure.message),
                        None => {
                            let hit = Hit::custom(
                                r.id.clone(),
                                r.severity,
                                r.title.clone(),
                                failure.message,
                            );
                            if r.remediation.is_empty() {
                                hit
                            } else {
                                hit.with_fix(r.remediation.clone())
                            }
                        }
                    };
                    let mut hit = hit.with_path(failure.path).with_anchor(failure.anchor);
                    if let Some(line) = failure.line {
                        hit = hit.at(line, 1);
                    }
                    hits.push(hit);
                }
            }
        }
        hits
    }
}

/// The built-in rules as a content scanner (listed in [`crate::content::SCANNERS`]); an
/// `assay.yaml` `baseline:` section builds its own [`BaselineScanner`] instead.
pub static BUILTIN: std::sync::LazyLock<BaselineScanner> =
    std::sync::LazyLock::new(BaselineScanner::builtin);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn every_builtin_rule_has_checks_and_ids_are_unique() {
        let mut ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
        for id in &ids {
            assert!(builtin_checks(id).is_some_and(|c| !c.is_empty()), "{id}");
        }
        ids.sort_unstable();
        let n = ids.len();
        ids.dedup();
        assert_eq!(n, ids.len());
    }

    #[test]
    fn profile_errors_name_file_line_and_rule() {
        let err =
            parse_profile("p.yaml", "profile: x\nrules:\n  - id: A\n    bogus: 1\n").unwrap_err();
        assert!(err.to_string().starts_with("p.yaml:"), "{err}");
        let err = parse_profile(
            "p.yaml",
            "profile: x\nrules:\n  - id: ASSAY-BL-999\n    title: t\n    severity: high\n    check: {kind: image-user}\n",
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "p.yaml: rule ASSAY-BL-999: ids starting with ASSAY- are reserved for built-in rules"
        );
        let err = parse_profile(
            "p.yaml",
            "profile: x\nrules:\n  - id: A-1\n    title: t\n    severity: urgent\n    check: {kind: image-user}\n",
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "p.yaml: rule A-1: unknown severity \"urgent\""
        );
    }

    #[test]
    fn unknown_disabled_rule_is_an_error() {
        let config = BaselineConfig {
            disable: vec!["ASSAY-BL-777".into()],
            ..BaselineConfig::default()
        };
        let err = BaselineScanner::new(&config, &[]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "baseline: disable: unknown rule id \"ASSAY-BL-777\""
        );
    }
}
