//! What a baseline rule checks, shared by the built-in rules and the rules of a profile
//! file: the YAML `check:` mapping deserialises into [`Check`], and the built-in table is
//! written with the same values, so both run through one evaluator.

use std::collections::{BTreeMap, BTreeSet};

use assay_oci::{EntryKind, FileTree, ImageConfig};
use serde::Deserialize;

/// One check. In a profile file: `check: {kind: setting, file: ..., key: ..., expect: ...}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Check {
    /// A `Key value` (sshd_config, login.defs) or `key=value` setting of a file. A file that
    /// does not exist passes (the software is not installed).
    #[serde(rename_all = "kebab-case")]
    Setting {
        /// The file, relative to the root (`etc/ssh/sshd_config`).
        file: String,
        /// Also read `*.conf` files of this directory, before `file` (sshd's `Include`
        /// of `sshd_config.d` at the top of Debian's and RHEL's `sshd_config`).
        #[serde(default)]
        include_dir: Option<String>,
        /// How lines are written.
        #[serde(default)]
        syntax: Syntax,
        /// The key, case-insensitive.
        key: String,
        /// What the value must be.
        expect: Expect,
        /// The value the software uses when the key is absent; without it an absent key
        /// fails.
        #[serde(default)]
        default: Option<String>,
    },
    /// Permission bits and owner of a path: `max-mode` is the most permissive mode allowed
    /// (`"0644"`: no bit outside it may be set).
    #[serde(rename_all = "kebab-case")]
    FileMode {
        /// The path; a trailing `/*` checks every entry directly under a directory.
        path: String,
        /// Octal mode string.
        max_mode: String,
        /// Required owner uid.
        #[serde(default)]
        owner: Option<u64>,
        /// Required group gid.
        #[serde(default)]
        group: Option<u64>,
    },
    /// The path must exist.
    FileExists {
        /// The path.
        path: String,
    },
    /// The path must not exist.
    FileAbsent {
        /// The path.
        path: String,
    },
    /// A line of the file must match the regex (the file must exist).
    FileContains {
        /// The file.
        file: String,
        /// A regex (Rust `regex` syntax) matched against each line.
        pattern: String,
    },
    /// No line of the file may match the regex.
    FileNotContains {
        /// The file.
        file: String,
        /// The regex.
        pattern: String,
    },
    /// The image config must carry a label (optionally with a value matching `pattern`).
    #[serde(rename_all = "kebab-case")]
    ImageLabel {
        /// The label key.
        key: String,
        /// A regex the value must match.
        #[serde(default)]
        pattern: Option<String>,
    },
    /// The image must not run as root (CIS Docker 4.1).
    ImageUser,
    /// The image must define a HEALTHCHECK (CIS Docker 4.6).
    Healthcheck,
    /// No setuid/setgid file other than the listed paths (CIS Docker 4.8).
    SetuidFiles {
        /// Paths accepted.
        #[serde(default)]
        allow: Vec<String>,
    },
    /// The base image comes from a trusted registry (CIS Docker 4.2), read from the
    /// `org.opencontainers.image.base.name` label. Skipped when no registry is listed here
    /// or in `baseline.trusted-registries`.
    TrustedBase {
        /// Registries (`registry.example.com`, `docker.io/library`).
        #[serde(default)]
        registries: Vec<String>,
    },
    /// No ADD instruction in the history except the base root filesystem (CIS Docker 4.9).
    HistoryAdd,
    /// No RUN that only updates the package index (CIS Docker 4.7).
    HistoryUpdateOnly,
    /// No account with an empty password hash in `/etc/shadow`.
    EmptyPasswords,
    /// No account other than root with UID 0 in `/etc/passwd`.
    Uid0Accounts,
    /// No world-writable file, nor world-writable directory without the sticky bit.
    WorldWritable,
    /// Every file's owner and group exist in `/etc/passwd` and `/etc/group`.
    UnownedFiles,
}

/// How a settings file is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Syntax {
    /// `Key value` (sshd_config, login.defs).
    #[default]
    Space,
    /// `key=value` or `key = value` (sysctl.conf, many daemons).
    Equals,
}

/// What a setting's value must be; every given condition must hold. Comparisons of words
/// are case-insensitive (sshd reads `yes`/`Yes` alike).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct Expect {
    /// Exactly this value.
    pub equals: Option<String>,
    /// One of these values.
    pub one_of: Vec<String>,
    /// None of these values.
    pub not_one_of: Vec<String>,
    /// A number at most this.
    pub max: Option<i64>,
    /// A number at least this.
    pub min: Option<i64>,
    /// An octal number (umask) with no bit outside this one's complement: `"027"` means
    /// "at least as strict as 027".
    pub umask_at_least: Option<String>,
    /// A regex the value must match.
    pub matches: Option<String>,
}

impl Expect {
    /// Why `value` fails, or `None`.
    fn fails(&self, value: &str) -> Option<String> {
        let v = value.trim();
        if let Some(e) = &self.equals
            && !v.eq_ignore_ascii_case(e)
        {
            return Some(format!("is {v:?}, expected {e:?}"));
        }
        if !self.one_of.is_empty() && !self.one_of.iter().any(|o| o.eq_ignore_ascii_case(v)) {
            return Some(format!("is {v:?}, expected one of {:?}", self.one_of));
        }
        if self.not_one_of.iter().any(|o| o.eq_ignore_ascii_case(v)) {
            return Some(format!("is {v:?}"));
        }
        if self.max.is_some() || self.min.is_some() {
            let Ok(n) = v.parse::<i64>() else {
                return Some(format!("is {v:?}, not a number"));
            };
            if let Some(max) = self.max
                && n > max
            {
                return Some(format!("is {n}, more than {max}"));
            }
            if let Some(min) = self.min
                && n < min
            {
                return Some(format!("is {n}, less than {min}"));
            }
        }
        if let Some(required) = &self.umask_at_least {
            let (Ok(have), Ok(want)) =
                (u32::from_str_radix(v, 8), u32::from_str_radix(required, 8))
            else {
                return Some(format!("is {v:?}, not an octal umask"));
            };
            if have & want != want {
                return Some(format!("is {v}, less strict than {required}"));
            }
        }
        if let Some(pattern) = &self.matches {
            match regex::Regex::new(pattern) {
                Ok(re) if !re.is_match(v) => {
                    return Some(format!("is {v:?}, does not match {pattern:?}"));
                }
                Ok(_) => {}
                Err(_) => return Some(format!("pattern {pattern:?} is not a valid regex")),
            }
        }
        None
    }

    /// The regexes it uses, for validation.
    pub(crate) fn regexes(&self) -> impl Iterator<Item = &str> {
        self.matches.as_deref().into_iter()
    }
}

/// What a check sees.
#[derive(Debug)]
pub(crate) struct Context<'a> {
    /// Wanted files' contents by path (the final versions).
    pub files: &'a BTreeMap<&'a str, &'a [u8]>,
    /// The squashed tree.
    pub tree: &'a FileTree,
    /// The image config (images only).
    pub config: Option<&'a ImageConfig>,
    /// `baseline.trusted-registries`.
    pub trusted: &'a [String],
}

/// One failure of a check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    /// The path concerned (`etc/ssh/sshd_config`, or `image config`).
    pub path: String,
    /// 1-based line, when the failure is on one.
    pub line: Option<u32>,
    /// What is wrong.
    pub message: String,
    /// What identifies the failure inside the path, for the fingerprint.
    pub anchor: String,
}

fn fail(path: &str, line: Option<u32>, message: String, anchor: &str) -> Failure {
    Failure {
        path: path.to_string(),
        line,
        message,
        anchor: anchor.to_string(),
    }
}

/// Report at most this many files per rule, then one line with how many more: an image
/// built from a tarball with foreign owners would otherwise flood the report.
const MAX_FILES: usize = 50;

/// Paths a check needs the content of.
pub(crate) fn wanted_files(check: &Check) -> Vec<String> {
    match check {
        Check::Setting { file, .. }
        | Check::FileContains { file, .. }
        | Check::FileNotContains { file, .. } => vec![clean(file)],
        Check::EmptyPasswords => vec!["etc/shadow".into()],
        Check::Uid0Accounts => vec!["etc/passwd".into()],
        Check::UnownedFiles => vec!["etc/passwd".into(), "etc/group".into()],
        _ => Vec::new(),
    }
}

/// Directories whose `*.conf` files a check needs.
pub(crate) fn wanted_dirs(check: &Check) -> Vec<String> {
    match check {
        Check::Setting {
            include_dir: Some(dir),
            ..
        } => vec![clean(dir)],
        _ => Vec::new(),
    }
}

/// A path as the tree spells it: no leading `/`, no trailing `/`.
pub(crate) fn clean(path: &str) -> String {
    path.trim_start_matches('/')
        .trim_end_matches('/')
        .to_string()
}

/// Runs `check`; an empty result means it holds (or does not apply).
pub(crate) fn run(check: &Check, cx: &Context<'_>) -> Vec<Failure> {
    match check {
        Check::Setting {
            file,
            include_dir,
            syntax,
            key,
            expect,
            default,
        } => setting(
            cx,
            &clean(file),
            include_dir.as_deref(),
            *syntax,
            key,
            expect,
            default.as_deref(),
        ),
        Check::FileMode {
            path,
            max_mode,
            owner,
            group,
        } => file_mode(cx, path, max_mode, *owner, *group),
        Check::FileExists { path } => {
            let p = clean(path);
            if cx.tree.get(&p).is_some() {
                Vec::new()
            } else {
                vec![fail(&p, None, format!("/{p} does not exist"), "missing")]
            }
        }
        Check::FileAbsent { path } => {
            let p = clean(path);
            if cx.tree.get(&p).is_some() {
                vec![fail(&p, None, format!("/{p} exists"), "present")]
            } else {
                Vec::new()
            }
        }
        Check::FileContains { file, pattern } => {
            let p = clean(file);
            let Some(text) = cx.files.get(p.as_str()) else {
                return vec![fail(&p, None, format!("/{p} does not exist"), "missing")];
            };
            let Ok(re) = regex::Regex::new(pattern) else {
                return vec![fail(
                    &p,
                    None,
                    format!("invalid pattern {pattern:?}"),
                    "pattern",
                )];
            };
            if String::from_utf8_lossy(text)
                .lines()
                .any(|l| re.is_match(l))
            {
                Vec::new()
            } else {
                vec![fail(
                    &p,
                    None,
                    format!("no line of /{p} matches {pattern:?}"),
                    pattern,
                )]
            }
        }
        Check::FileNotContains { file, pattern } => {
            let p = clean(file);
            let Some(text) = cx.files.get(p.as_str()) else {
                return Vec::new();
            };
            let Ok(re) = regex::Regex::new(pattern) else {
                return vec![fail(
                    &p,
                    None,
                    format!("invalid pattern {pattern:?}"),
                    "pattern",
                )];
            };
            String::from_utf8_lossy(text)
                .lines()
                .enumerate()
                .filter(|(_, l)| re.is_match(l))
                .map(|(i, l)| {
                    let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
                    fail(
                        &p,
                        Some(line),
                        format!("line matches {pattern:?}: {}", l.trim()),
                        l.trim(),
                    )
                })
                .collect()
        }
        Check::ImageLabel { key, pattern } => {
            let Some(config) = cx.config else {
                return Vec::new();
            };
            let labels = config.config.as_ref().map(|c| &c.labels);
            match labels.and_then(|l| l.get(key)) {
                None => vec![fail("image config", None, format!("no label {key}"), key)],
                Some(value) => match pattern.as_deref().map(regex::Regex::new) {
                    Some(Ok(re)) if !re.is_match(value) => vec![fail(
                        "image config",
                        None,
                        format!("label {key}={value:?} does not match {:?}", re.as_str()),
                        key,
                    )],
                    Some(Err(_)) => vec![fail("image config", None, "invalid pattern".into(), key)],
                    _ => Vec::new(),
                },
            }
        }
        Check::ImageUser => image_user(cx),
        Check::Healthcheck => healthcheck(cx),
        Check::SetuidFiles { allow } => setuid(cx, allow),
        Check::TrustedBase { registries } => trusted_base(cx, registries),
        Check::HistoryAdd => history(cx, is_add, "ADD instead of COPY"),
        Check::HistoryUpdateOnly => history(cx, is_update_only, "package index update alone"),
        Check::EmptyPasswords => empty_passwords(cx),
        Check::Uid0Accounts => uid0(cx),
        Check::WorldWritable => world_writable(cx),
        Check::UnownedFiles => unowned(cx),
    }
}

/// The effective value of `key`: the first occurrence (sshd and login.defs take the first),
/// ignoring what follows a `Match` block start.
fn find_setting(text: &str, syntax: Syntax, key: &str) -> Option<(u32, String)> {
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (k, v) = match syntax {
            Syntax::Space => {
                let mut parts = line.splitn(2, |c: char| c.is_whitespace() || c == '=');
                (
                    parts.next().unwrap_or(""),
                    parts.next().unwrap_or("").trim(),
                )
            }
            Syntax::Equals => match line.split_once('=') {
                Some((k, v)) => (k.trim(), v.trim()),
                None => continue,
            },
        };
        if syntax == Syntax::Space && k.eq_ignore_ascii_case("Match") {
            break;
        }
        if k.eq_ignore_ascii_case(key) {
            let v = v.trim_matches('"').to_string();
            return Some((u32::try_from(i + 1).unwrap_or(u32::MAX), v));
        }
    }
    None
}

#[allow(clippy::too_many_arguments)]
fn setting(
    cx: &Context<'_>,
    file: &str,
    include_dir: Option<&str>,
    syntax: Syntax,
    key: &str,
    expect: &Expect,
    default: Option<&str>,
) -> Vec<Failure> {
    let Some(main) = cx.files.get(file) else {
        return Vec::new();
    };
    // Drop-ins first: Debian and RHEL put `Include /etc/ssh/sshd_config.d/*.conf` at the top.
    let mut sources: Vec<(&str, &[u8])> = Vec::new();
    if let Some(dir) = include_dir {
        let prefix = format!("{}/", clean(dir));
        let from = (
            std::ops::Bound::Included(prefix.as_str()),
            std::ops::Bound::Unbounded,
        );
        for (&path, &content) in cx.files.range::<str, _>(from) {
            if !path.starts_with(&prefix) {
                break;
            }
            if path.ends_with(".conf") && !path[prefix.len()..].contains('/') {
                sources.push((path, content));
            }
        }
    }
    sources.push((file, main));
    for (path, content) in sources {
        let text = String::from_utf8_lossy(content);
        if let Some((line, value)) = find_setting(&text, syntax, key) {
            return match expect.fails(&value) {
                Some(why) => vec![fail(path, Some(line), format!("{key} {why}"), key)],
                None => Vec::new(),
            };
        }
    }
    match default {
        Some(value) => match expect.fails(value) {
            Some(why) => vec![fail(
                file,
                None,
                format!("{key} is not set; the default {why}"),
                key,
            )],
            None => Vec::new(),
        },
        None => vec![fail(file, None, format!("{key} is not set"), key)],
    }
}

fn file_mode(
    cx: &Context<'_>,
    path: &str,
    max_mode: &str,
    owner: Option<u64>,
    group: Option<u64>,
) -> Vec<Failure> {
    let Ok(max) = u32::from_str_radix(max_mode.trim_start_matches("0o"), 8) else {
        return vec![fail(
            path,
            None,
            format!("max-mode {max_mode:?} is not octal"),
            "mode",
        )];
    };
    let entries: Vec<_> = match path.strip_suffix("/*") {
        Some(dir) => {
            let dir = clean(dir);
            let prefix = format!("{dir}/");
            cx.tree
                .iter()
                .filter(|e| e.path.starts_with(&prefix) && !e.path[prefix.len()..].contains('/'))
                .collect()
        }
        None => cx.tree.get(&clean(path)).into_iter().collect(),
    };
    let mut out = Vec::new();
    for e in entries {
        if matches!(e.kind, EntryKind::Symlink { .. }) {
            continue;
        }
        let mode = e.mode & 0o7777;
        let mut why = Vec::new();
        if mode & !max != 0 {
            why.push(format!("mode {mode:04o} is more permissive than {max:04o}"));
        }
        if let Some(o) = owner
            && e.uid != o
        {
            why.push(format!("owner uid {} (expected {o})", e.uid));
        }
        if let Some(g) = group
            && e.gid != g
        {
            why.push(format!("group gid {} (expected {g})", e.gid));
        }
        if !why.is_empty() {
            out.push(fail(
                &e.path,
                None,
                format!("/{}: {}", e.path, why.join(", ")),
                "mode",
            ));
        }
    }
    out
}

fn image_user(cx: &Context<'_>) -> Vec<Failure> {
    let Some(config) = cx.config else {
        return Vec::new();
    };
    let user = config
        .config
        .as_ref()
        .and_then(|c| c.user.as_deref())
        .unwrap_or("")
        .trim();
    let name = user.split(':').next().unwrap_or("");
    if name.is_empty() || name == "root" || name == "0" {
        let shown = if user.is_empty() {
            "unset (root)"
        } else {
            user
        };
        vec![fail(
            "image config",
            None,
            format!("USER is {shown}"),
            "user",
        )]
    } else {
        Vec::new()
    }
}

fn created_by(config: &ImageConfig) -> impl Iterator<Item = (usize, &str)> {
    config
        .history
        .iter()
        .enumerate()
        .filter_map(|(i, h)| h.created_by.as_deref().map(|c| (i, c)))
}

fn healthcheck(cx: &Context<'_>) -> Vec<Failure> {
    let Some(config) = cx.config else {
        return Vec::new();
    };
    // The config's `Healthcheck` decides (`{"Test": ["NONE"]}` disables an inherited one);
    // without it, the history, for builders that record the instruction but not the field.
    let from_config = config
        .config
        .as_ref()
        .and_then(|c| c.healthcheck.as_ref())
        .map(|h| {
            let test = h.get("Test").and_then(|t| t.as_array());
            test.is_none_or(|t| t.first().and_then(|v| v.as_str()) != Some("NONE"))
        });
    let defined = from_config.unwrap_or_else(|| {
        created_by(config).any(|(_, c)| {
            c.contains("HEALTHCHECK")
                && !c.contains("HEALTHCHECK NONE")
                && !c.contains("[\"NONE\"]")
        })
    });
    if defined {
        Vec::new()
    } else {
        vec![fail(
            "image config",
            None,
            "no HEALTHCHECK instruction".into(),
            "healthcheck",
        )]
    }
}

fn setuid(cx: &Context<'_>, allow: &[String]) -> Vec<Failure> {
    let allowed: BTreeSet<String> = allow.iter().map(|a| clean(a)).collect();
    let mut out: Vec<Failure> = cx
        .tree
        .iter()
        .filter(|e| e.kind == EntryKind::File && e.mode & 0o6000 != 0)
        .filter(|e| !allowed.contains(&e.path))
        .map(|e| {
            let bits = match (e.mode & 0o4000 != 0, e.mode & 0o2000 != 0) {
                (true, true) => "setuid and setgid",
                (true, false) => "setuid",
                _ => "setgid",
            };
            fail(
                &e.path,
                None,
                format!(
                    "/{} is {bits} (mode {:04o}, owner {})",
                    e.path,
                    e.mode & 0o7777,
                    e.uid
                ),
                bits,
            )
        })
        .collect();
    cap(&mut out, "setuid/setgid files");
    out
}

fn trusted_base(cx: &Context<'_>, registries: &[String]) -> Vec<Failure> {
    let Some(config) = cx.config else {
        return Vec::new();
    };
    let trusted: Vec<&String> = registries.iter().chain(cx.trusted).collect();
    if trusted.is_empty() {
        return Vec::new();
    }
    let label = "org.opencontainers.image.base.name";
    let base = config.config.as_ref().and_then(|c| c.labels.get(label));
    let Some(base) = base else {
        return vec![fail(
            "image config",
            None,
            format!(
                "the base image is not recorded (no {label} label), so it cannot be checked against the trusted registries"
            ),
            "base",
        )];
    };
    let name = base.trim();
    // `debian:12` means docker.io/library/debian:12.
    let full = match name.split_once('/') {
        Some((host, _)) if host.contains('.') || host.contains(':') || host == "localhost" => {
            name.to_string()
        }
        Some(_) => format!("docker.io/{name}"),
        None => format!("docker.io/library/{name}"),
    };
    let ok = trusted.iter().any(|t| {
        let t = t.trim_end_matches('/');
        full == *t
            || full.starts_with(&format!("{t}/"))
            || full.starts_with(&format!("{t}:"))
            || full.starts_with(&format!("{t}@"))
    });
    if ok {
        Vec::new()
    } else {
        vec![fail(
            "image config",
            None,
            format!("base image {name} is not from a trusted registry"),
            "base",
        )]
    }
}

fn history(cx: &Context<'_>, bad: fn(&str) -> bool, what: &str) -> Vec<Failure> {
    let Some(config) = cx.config else {
        return Vec::new();
    };
    created_by(config)
        .filter(|(_, c)| bad(c))
        .map(|(i, c)| {
            let shown: String = c.chars().take(120).collect();
            fail(
                "image config",
                None,
                format!("history step {}: {what}: {shown}", i + 1),
                c,
            )
        })
        .collect()
}

/// The instruction part of a history `created_by`: BuildKit writes `ADD x y # buildkit`,
/// the classic builder `/bin/sh -c #(nop) ADD file:... in /`.
fn instruction(created_by: &str) -> &str {
    let c = created_by.trim();
    let c = c.strip_prefix("/bin/sh -c ").unwrap_or(c);
    c.strip_prefix("#(nop)").unwrap_or(c).trim()
}

fn is_add(created_by: &str) -> bool {
    let i = instruction(created_by);
    let Some(rest) = i.strip_prefix("ADD ") else {
        return false;
    };
    // The base image's root filesystem tarball (`ADD file:<hash> in /`, or BuildKit's
    // `ADD rootfs.tar.xz / # buildkit` of official images) is how FROM scratch images are
    // made, and what CIS 4.9 accepts ADD for (local archives).
    let rest = rest.trim_start_matches("--chown=").trim();
    let archive = [
        ".tar", ".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tar.zst",
    ];
    let first = rest.split_whitespace().next().unwrap_or("");
    !(rest.starts_with("file:") && rest.contains(" in /")
        || (!first.contains("://") && archive.iter().any(|a| first.ends_with(a))))
}

fn is_update_only(created_by: &str) -> bool {
    let i = instruction(created_by);
    let i = i.strip_prefix("RUN ").unwrap_or(i);
    let i = i.strip_prefix("|").map_or(i, |rest| {
        // BuildKit records build args as `|2 A=b C=d /bin/sh -c ...`.
        rest.split_once("/bin/sh -c ").map_or(rest, |(_, cmd)| cmd)
    });
    let updates = [
        "apt-get update",
        "apt update",
        "apk update",
        "yum makecache",
        "dnf makecache",
        "zypper refresh",
        "zypper ref",
    ];
    let installs = ["install", "upgrade", "apk add", "dist-upgrade", "zypper in"];
    updates.iter().any(|u| i.contains(u)) && !installs.iter().any(|w| i.contains(w))
}

fn empty_passwords(cx: &Context<'_>) -> Vec<Failure> {
    let Some(shadow) = cx.files.get("etc/shadow") else {
        return Vec::new();
    };
    String::from_utf8_lossy(shadow)
        .lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let mut f = line.split(':');
            let user = f.next()?.trim();
            let hash = f.next()?;
            (!user.is_empty() && !user.starts_with('#') && hash.is_empty()).then(|| {
                fail(
                    "etc/shadow",
                    Some(u32::try_from(i + 1).unwrap_or(u32::MAX)),
                    format!("account {user} has an empty password: it can log in without one"),
                    user,
                )
            })
        })
        .collect()
}

fn uid0(cx: &Context<'_>) -> Vec<Failure> {
    let Some(passwd) = cx.files.get("etc/passwd") else {
        return Vec::new();
    };
    String::from_utf8_lossy(passwd)
        .lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let f: Vec<&str> = line.split(':').collect();
            let (user, uid) = (f.first()?.trim(), f.get(2)?.trim());
            (uid == "0" && user != "root").then(|| {
                fail(
                    "etc/passwd",
                    Some(u32::try_from(i + 1).unwrap_or(u32::MAX)),
                    format!("account {user} has UID 0 (root privileges)"),
                    user,
                )
            })
        })
        .collect()
}

fn world_writable(cx: &Context<'_>) -> Vec<Failure> {
    let mut out: Vec<Failure> = cx
        .tree
        .iter()
        .filter(|e| e.mode & 0o002 != 0)
        .filter_map(|e| match e.kind {
            EntryKind::File | EntryKind::Hardlink { .. } => Some(fail(
                &e.path,
                None,
                format!(
                    "/{} is world-writable (mode {:04o})",
                    e.path,
                    e.mode & 0o7777
                ),
                "file",
            )),
            EntryKind::Dir if e.mode & 0o1000 == 0 => Some(fail(
                &e.path,
                None,
                format!(
                    "/{} is a world-writable directory without the sticky bit (mode {:04o})",
                    e.path,
                    e.mode & 0o7777
                ),
                "dir",
            )),
            _ => None,
        })
        .collect();
    cap(&mut out, "world-writable paths");
    out
}

fn ids(text: Option<&&[u8]>) -> Option<BTreeSet<u64>> {
    let text = text?;
    Some(
        String::from_utf8_lossy(text)
            .lines()
            .filter_map(|l| l.split(':').nth(2)?.trim().parse::<u64>().ok())
            .collect(),
    )
}

fn unowned(cx: &Context<'_>) -> Vec<Failure> {
    let (Some(users), Some(groups)) = (
        ids(cx.files.get("etc/passwd")),
        ids(cx.files.get("etc/group")),
    ) else {
        return Vec::new();
    };
    // One failure per unknown id, naming a few of its files.
    let mut by_id: BTreeMap<(&str, u64), Vec<&str>> = BTreeMap::new();
    for e in cx.tree.iter() {
        if !users.contains(&e.uid) {
            by_id.entry(("uid", e.uid)).or_default().push(&e.path);
        }
        if !groups.contains(&e.gid) {
            by_id.entry(("gid", e.gid)).or_default().push(&e.path);
        }
    }
    by_id
        .into_iter()
        .map(|((what, id), paths)| {
            let file = if what == "uid" {
                "/etc/passwd"
            } else {
                "/etc/group"
            };
            let examples: Vec<String> = paths.iter().take(3).map(|p| format!("/{p}")).collect();
            fail(
                paths.first().copied().unwrap_or(""),
                None,
                format!(
                    "{} file(s) owned by {what} {id}, which {file} does not define (e.g. {})",
                    paths.len(),
                    examples.join(", ")
                ),
                &format!("{what}{id}"),
            )
        })
        .collect()
}

fn cap(out: &mut Vec<Failure>, what: &str) {
    if out.len() > MAX_FILES {
        let more = out.len() - MAX_FILES;
        out.truncate(MAX_FILES);
        if let Some(last) = out.last_mut() {
            last.message
                .push_str(&format!(" (and {more} more {what} not listed)"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_take_the_first_value_before_match_blocks() {
        let text =
            "# c\nPermitRootLogin no\nPermitRootLogin yes\nMatch User x\n  X11Forwarding yes\n";
        assert_eq!(
            find_setting(text, Syntax::Space, "permitrootlogin"),
            Some((2, "no".into()))
        );
        assert_eq!(find_setting(text, Syntax::Space, "X11Forwarding"), None);
        assert_eq!(
            find_setting("a = 1\nb=2\n", Syntax::Equals, "b"),
            Some((2, "2".into()))
        );
    }

    #[test]
    fn expectations() {
        let e = Expect {
            umask_at_least: Some("027".into()),
            ..Expect::default()
        };
        assert!(e.fails("022").is_some());
        assert!(e.fails("027").is_none());
        assert!(e.fails("077").is_none());
        let e = Expect {
            max: Some(4),
            ..Expect::default()
        };
        assert!(e.fails("6").is_some());
        assert!(e.fails("3").is_none());
        assert!(e.fails("x").is_some());
    }

    #[test]
    fn healthcheck_from_the_config_field_wins_over_history() {
        let config = |healthcheck: &str, history: &str| -> ImageConfig {
            serde_json::from_str(&format!(
                r#"{{"architecture":"amd64","os":"linux","config":{{"Healthcheck":{healthcheck}}},"rootfs":{{"type":"layers","diff_ids":[]}},"history":[{{"created_by":"{history}"}}]}}"#
            ))
            .unwrap_or_default()
        };
        let files = BTreeMap::new();
        let tree = FileTree::new();
        let run_with = |c: &ImageConfig| {
            healthcheck(&Context {
                files: &files,
                tree: &tree,
                config: Some(c),
                trusted: &[],
            })
        };
        assert!(run_with(&config(r#"{"Test":["CMD","true"]}"#, "CMD app")).is_empty());
        assert_eq!(
            run_with(&config(r#"{"Test":["NONE"]}"#, "HEALTHCHECK CMD true")).len(),
            1
        );
        assert!(run_with(&config("null", "HEALTHCHECK CMD true")).is_empty());
        assert_eq!(run_with(&config("null", "CMD app")).len(), 1);
    }

    #[test]
    fn history_instructions() {
        assert!(!is_add("/bin/sh -c #(nop) ADD file:3c1b0b7b in / "));
        assert!(is_add(
            "/bin/sh -c #(nop) ADD https://example.com/x.sh /x.sh"
        ));
        assert!(is_add("ADD app.py /app/ # buildkit"));
        assert!(!is_add("ADD rootfs.tar.xz / # buildkit"));
        assert!(!is_add("COPY app.py /app/ # buildkit"));
        assert!(is_update_only("RUN /bin/sh -c apt-get update # buildkit"));
        assert!(!is_update_only(
            "RUN /bin/sh -c apt-get update && apt-get install -y curl # buildkit"
        ));
        assert!(is_update_only("/bin/sh -c apk update"));
        assert!(!is_update_only("/bin/sh -c apk update && apk add curl"));
    }
}
