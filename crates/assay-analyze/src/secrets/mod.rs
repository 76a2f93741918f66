//! Secrets and sensitive files: the `secret` content scanner.
//!
//! Two rule families, one scanner ([`SecretScanner`]):
//!
//! - pattern rules (`ASSAY-SEC-001`..`-053`): token formats of cloud providers, SaaS APIs and
//!   package registries, private key blocks, JWTs, URLs with passwords and generic
//!   high-entropy assignments, applied to every text file the scanner wants, to Kubernetes
//!   Secret data (decoded), to Dockerfile instructions and to the image config;
//! - sensitive-file rules (`ASSAY-SEC-101`..): files that are credentials by what they are
//!   (`.aws/credentials`, docker `config.json` with `auths`, kubeconfigs, shell histories,
//!   `/etc/shadow` hashes, ...), chosen by path and confirmed by content.
//!
//! Cost per file is kept low the way gitleaks does it: a path filter skips package-managed
//! trees and binary formats, a NUL byte in the first 8 KiB skips binaries, and one
//! Aho-Corasick pass looks for every rule's keywords, so a rule's regex runs only on files
//! containing one of its keywords.
//!
//! Secret values never leave this module in clear: a [`SecretValue`] carries a redacted form
//! and the SHA-256 used by allow-lists ([`SecretsConfig`]).

mod allow;
mod files;
pub mod rules;

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use assay_core::{FindingKind, Rule};
use assay_oci::ImageConfig;
use base64::Engine;
use regex::bytes::Regex;
use sha2::{Digest, Sha256};

use crate::content::{ContentFile, Hit, ImageContext, Scanner, SecretValue};
pub use allow::{AllowEntry, AllowList, AllowListError, SecretsConfig};
pub use rules::{RULES, rule_by_id};

/// The `secret` content scanner.
#[derive(Debug, Clone, Copy, Default)]
pub struct SecretScanner;

/// Files larger than this are not scanned for secrets (minified bundles, data dumps).
pub const MAX_SIZE: u64 = 1 << 20;

impl Scanner for SecretScanner {
    fn name(&self) -> &'static str {
        "secret"
    }

    fn kind(&self) -> FindingKind {
        FindingKind::Secret
    }

    fn rules(&self) -> &'static [Rule] {
        RULES
    }

    fn wants(&self, path: &str) -> bool {
        files::wanted(path) || text_candidate(path)
    }

    fn max_size(&self) -> u64 {
        MAX_SIZE
    }

    fn scan(&self, file: &ContentFile<'_>) -> Vec<Hit> {
        let mut hits = files::scan(file.path, file.content);
        if text_candidate(file.path) {
            // A value a sensitive-file rule already reported is not reported again by a
            // pattern (`aws_secret_access_key = ...` in `.aws/credentials`).
            let known: Vec<String> = hits
                .iter()
                .filter_map(|h| h.secret.as_ref().map(|s| s.sha256.clone()))
                .collect();
            hits.extend(
                scan_text(file.path, file.content)
                    .into_iter()
                    .filter(|h| h.secret.as_ref().is_none_or(|s| !known.contains(&s.sha256))),
            );
        }
        hits
    }

    fn scan_image(&self, image: &ImageContext<'_>) -> Vec<Hit> {
        image.config.map(scan_config).unwrap_or_default()
    }
}

/// Directories whose files come from packages or toolchains (and are full of test keys and
/// example tokens) or are not files at all. Trivy skips the same trees by default.
const SKIP_PREFIXES: &[&str] = &[
    "proc/",
    "sys/",
    "dev/",
    "boot/",
    "bin/",
    "sbin/",
    "lib/",
    "lib32/",
    "lib64/",
    "libx32/",
    "usr/bin/",
    "usr/sbin/",
    "usr/lib/",
    "usr/lib32/",
    "usr/lib64/",
    "usr/libexec/",
    "usr/include/",
    "usr/share/",
    "usr/local/go/",
    "usr/local/lib/python",
    "usr/local/share/",
    "usr/local/include/",
    "var/lib/dpkg/",
    "var/lib/apt/",
    "var/lib/rpm/",
    "var/lib/yum/",
    "var/lib/dnf/",
    "var/cache/",
    "etc/ssl/certs/",
    "etc/pki/ca-trust/",
    "opt/conda/pkgs/",
];

/// Directories inside [`SKIP_PREFIXES`] where images put their own content: web roots and
/// CGI scripts.
const APP_DIRS_IN_SKIPPED: &[&str] = &["usr/share/nginx/", "usr/lib/cgi-bin/"];

/// Path components below which files are dependencies or tests, not the application's own.
const SKIP_DIRS: &[&str] = &[
    "/node_modules/",
    "/site-packages/",
    "/dist-packages/",
    "/vendor/",
    "/.git/",
    "/__pycache__/",
    "/test/",
    "/tests/",
    "/testdata/",
    "/gems/",
];

/// Extensions of binary or generated formats never holding a readable secret.
const SKIP_EXTENSIONS: &[&str] = &[
    "so", "a", "o", "ko", "png", "jpg", "jpeg", "gif", "ico", "bmp", "webp", "svg", "gz", "tgz",
    "xz", "bz2", "zst", "lz4", "zip", "jar", "war", "ear", "whl", "egg", "tar", "mo", "pyc", "pyo",
    "class", "woff", "woff2", "ttf", "otf", "eot", "pdf", "wasm", "exe", "dll", "bin", "db",
    "sqlite", "deb", "rpm", "mp3", "mp4", "ogg", "wav", "map", "lock", "sum", "mod",
];

/// Whether `path` is worth a pattern scan: not in a package-managed tree, not a dependency or
/// test directory, not a binary format by name.
pub fn text_candidate(path: &str) -> bool {
    if SKIP_PREFIXES.iter().any(|p| path.starts_with(p))
        && !APP_DIRS_IN_SKIPPED.iter().any(|p| path.starts_with(p))
    {
        return false;
    }
    if SKIP_DIRS
        .iter()
        .any(|d| path.contains(d) || path.starts_with(&d[1..]))
    {
        return false;
    }
    let name = crate::file_name(path);
    if name.ends_with(".min.js") {
        return false;
    }
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => {
            !SKIP_EXTENSIONS.iter().any(|e| ext.eq_ignore_ascii_case(e))
        }
        _ => true,
    }
}

/// Whether `content` looks binary: a NUL byte in its first 8 KiB (git's test).
pub fn is_binary(content: &[u8]) -> bool {
    content.iter().take(8 << 10).any(|&b| b == 0)
}

/// The redacted form of a secret: at most its first four characters (fewer for short
/// values, so that a short password is never half shown) then `****`.
pub fn redact(value: &str) -> String {
    let len = value.chars().count();
    let shown = (len / 4).min(4);
    let mut out: String = value.chars().take(shown).collect();
    out.push_str("****");
    out
}

/// A [`SecretValue`] for `value`.
pub fn secret_value(value: &str) -> SecretValue {
    SecretValue {
        redacted: redact(value),
        sha256: sha256_hex(value.as_bytes()),
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Shannon entropy in bits per byte.
fn entropy(value: &[u8]) -> f32 {
    if value.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in value {
        counts[usize::from(b)] += 1;
    }
    let len = value.len() as f32;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f32 / len;
            -p * p.log2()
        })
        .sum()
}

/// Values of generic patterns that are placeholders, references or examples, not secrets.
fn is_placeholder(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    value.contains('$')
        || value.contains('{')
        || value.contains('<')
        || value.contains('%')
        || value.contains("***")
        || value
            .chars()
            .all(|c| c == value.chars().next().unwrap_or(' '))
        || [
            "example",
            "placeholder",
            "changeme",
            "change_me",
            "changeit",
            "redacted",
            "your_",
            "your-",
            "xxxxxx",
            "password",
            "secret",
            "dummy",
            "sample",
            "process.env",
            "os.environ",
            "getenv",
            "config.",
            "settings.",
            "env.",
            "none",
            "null",
        ]
        .iter()
        .any(|w| lower.contains(w))
}

/// The example credentials of providers' documentation (AWS's `AKIAIOSFODNN7EXAMPLE` and
/// `...EXAMPLEKEY`), which fill READMEs and test suites and give nothing access.
fn documented_example(value: &str) -> bool {
    value.ends_with("EXAMPLE") || value.ends_with("EXAMPLEKEY")
}

/// Whether the value of a generic assignment looks like a credential rather than code: both
/// letters and digits, and not an expression or an identifier (`self.token`,
/// `CurveId::X25519`, `SSL_MAX_KEY_LEN2`, `get_token()`), which source files assign to
/// `token`/`key` variables all the time.
fn credential_like(value: &str) -> bool {
    let has_digit = value.bytes().any(|b| b.is_ascii_digit());
    let has_letter = value.bytes().any(|b| b.is_ascii_alphabetic());
    let code = ["::", "->", "(", ")", "[", "]", ";", ",", "self.", "this."]
        .iter()
        .any(|c| value.contains(c));
    let identifier = value
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && (value.contains('_') || value.bytes().all(|b| !b.is_ascii_lowercase()));
    has_digit && has_letter && !code && !identifier
}

/// Compiled pattern rules and their keyword prefilter.
struct Compiled {
    /// One automaton for every keyword of every pattern.
    keywords: AhoCorasick,
    /// For each keyword (automaton pattern id), the index of its pattern rule.
    owner: Vec<usize>,
    regexes: Vec<Regex>,
    rules: Vec<&'static Rule>,
}

static COMPILED: LazyLock<Compiled> = LazyLock::new(|| {
    let mut words = Vec::new();
    let mut owner = Vec::new();
    let mut regexes = Vec::new();
    let mut rules = Vec::new();
    for (i, p) in rules::PATTERNS.iter().enumerate() {
        for k in p.keywords {
            words.push(*k);
            owner.push(i);
        }
        // The patterns are constants checked by this module's tests; an invalid one would
        // be a build-time bug, so it degrades to a regex that never matches.
        regexes.push(build(p.regex).unwrap_or_else(|_| never()));
        rules.push(rule_by_id(p.id).unwrap_or(&RULES[0]));
    }
    let keywords = AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(&words)
        .unwrap_or_else(|_| {
            AhoCorasick::new(Vec::<&str>::new()).unwrap_or_else(|_| unreachable_automaton())
        });
    Compiled {
        keywords,
        owner,
        regexes,
        rules,
    }
});

/// A pattern compiled for bytes with ASCII classes: `\w`, `\s` and `\b` need no Unicode
/// tables for token formats, and the automata stay small and fast.
fn build(pattern: &str) -> Result<Regex, regex::Error> {
    regex::bytes::RegexBuilder::new(pattern)
        .unicode(false)
        .build()
}

#[allow(clippy::unwrap_used)]
fn never() -> Regex {
    // A character class that matches nothing; a valid constant.
    Regex::new(r"[^\s\S]").unwrap()
}

#[allow(clippy::unwrap_used)]
fn unreachable_automaton() -> AhoCorasick {
    AhoCorasick::new(["\u{0}never\u{0}"]).unwrap()
}

/// 1-based line and column of byte `offset`.
fn line_col(content: &[u8], offset: usize) -> (u32, u32) {
    let before = &content[..offset.min(content.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
    (line as u32, col as u32)
}

/// One pattern match before it becomes a [`Hit`].
struct Match {
    pattern: usize,
    start: usize,
    end: usize,
    value: String,
}

fn matches(content: &[u8]) -> Vec<Match> {
    let c = &*COMPILED;
    let mut wanted = vec![false; rules::PATTERNS.len()];
    for m in c.keywords.find_overlapping_iter(content) {
        if let Some(&i) = c.owner.get(m.pattern().as_usize()) {
            wanted[i] = true;
        }
    }
    let mut found = Vec::new();
    for (i, pattern) in rules::PATTERNS.iter().enumerate() {
        if !wanted[i] {
            continue;
        }
        for caps in c.regexes[i].captures_iter(content) {
            let group = if pattern.group == 0 {
                caps.get(0)
            } else {
                (pattern.group..caps.len()).find_map(|g| caps.get(g))
            };
            let Some(m) = group else { continue };
            let Ok(value) = std::str::from_utf8(m.as_bytes()) else {
                continue;
            };
            if (pattern.generic && is_placeholder(value)) || documented_example(value) {
                continue;
            }
            if pattern.id == "ASSAY-SEC-038" && !credential_like(value) {
                continue;
            }
            if pattern.min_entropy > 0.0 && entropy(m.as_bytes()) < pattern.min_entropy {
                continue;
            }
            found.push(Match {
                pattern: i,
                start: m.start(),
                end: m.end(),
                value: value.to_string(),
            });
        }
    }
    // A value matched by a specific rule is not reported again by a generic one (nor by a
    // later specific one: a service-account key is not also a bare private key).
    found.sort_by_key(|m| (rules::PATTERNS[m.pattern].generic, m.pattern, m.start));
    let mut kept: Vec<Match> = Vec::new();
    for m in found {
        if kept.iter().any(|k| m.start < k.end && k.start < m.end) {
            continue;
        }
        kept.push(m);
    }
    kept.sort_by_key(|m| (m.start, m.pattern));
    kept
}

/// Pattern rules over a text file (binary content gives nothing), with Kubernetes Secret
/// `data` values decoded and scanned too. `path` only decides whether the file is a manifest.
pub fn scan_text(path: &str, content: &[u8]) -> Vec<Hit> {
    if is_binary(content) {
        return Vec::new();
    }
    let c = &*COMPILED;
    let mut hits: Vec<Hit> = matches(content)
        .into_iter()
        .map(|m| {
            let rule = c.rules[m.pattern];
            let (line, col) = line_col(content, m.start);
            let secret = secret_value(&m.value);
            Hit::new(
                rule,
                format!("{} {} at line {line}", rule.title, secret.redacted),
            )
            .at(line, col)
            .with_secret(secret)
        })
        .collect();
    let lower = path.to_ascii_lowercase();
    if lower.ends_with(".yaml") || lower.ends_with(".yml") || lower.ends_with(".json") {
        let data = scan_k8s_secret_data(content);
        // The encoded value on a data line is the same secret: one finding, the decoded one.
        hits.retain(|h| !data.iter().any(|d| d.line == h.line));
        hits.extend(data);
    }
    if lower.ends_with(".yaml") || lower.ends_with(".yml") {
        let known: Vec<String> = hits
            .iter()
            .filter_map(|h| h.secret.as_ref().map(|s| s.sha256.clone()))
            .collect();
        hits.extend(
            scan_container_env(content)
                .into_iter()
                .filter(|h| h.secret.as_ref().is_none_or(|s| !known.contains(&s.sha256))),
        );
    }
    hits
}

/// Container `env` entries of Kubernetes manifests (`- name: DB_PASSWORD` then
/// `value: ...`): the name and the value are on two lines, out of reach of the one-line
/// patterns.
fn scan_container_env(content: &[u8]) -> Vec<Hit> {
    let Ok(text) = std::str::from_utf8(content) else {
        return Vec::new();
    };
    if !text.contains("value:") {
        return Vec::new();
    }
    let lines: Vec<&str> = text.lines().collect();
    let mut hits = Vec::new();
    for (i, pair) in lines.windows(2).enumerate() {
        let first = pair[0].trim_start();
        let first = first.strip_prefix("- ").unwrap_or(first).trim_start();
        let Some(name) = first.strip_prefix("name:") else {
            continue;
        };
        let Some(value) = pair[1].trim_start().strip_prefix("value:") else {
            continue;
        };
        let name = name.trim().trim_matches(['"', '\'']);
        let line = i as u32 + 2;
        for hit in scan_assignment(name, value.trim(), &format!("container env on line {line}")) {
            hits.push(hit.at(line, 1));
        }
    }
    hits
}

/// `data:` values of Kubernetes Secrets in a YAML stream, decoded and run through the
/// pattern rules. Line-based on purpose: it must work on any YAML a layer holds without
/// building a document tree, and the `data` map of a Secret is always one flat mapping.
fn scan_k8s_secret_data(content: &[u8]) -> Vec<Hit> {
    let Ok(text) = std::str::from_utf8(content) else {
        return Vec::new();
    };
    if !text.contains("Secret") {
        return Vec::new();
    }
    let Some(rule) = rule_by_id("ASSAY-SEC-052") else {
        return Vec::new();
    };
    let mut hits = Vec::new();
    for doc in split_documents(text) {
        let is_secret = doc.lines.iter().any(|(_, l)| {
            let t = l.trim_end();
            t == "kind: Secret" || t == "kind: \"Secret\"" || t == "kind: 'Secret'"
        });
        if !is_secret {
            continue;
        }
        let mut data_indent: Option<usize> = None;
        for (number, line) in &doc.lines {
            let indent = line.len() - line.trim_start().len();
            let trimmed = line.trim();
            if trimmed.starts_with('#') || trimmed.is_empty() {
                continue;
            }
            if let Some(d) = data_indent {
                if indent <= d {
                    data_indent = None;
                } else if let Some((key, value)) = trimmed.split_once(':') {
                    let value = value.trim().trim_matches(['"', '\'']);
                    if value.len() < 8 {
                        continue;
                    }
                    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(value)
                    else {
                        continue;
                    };
                    if let Some(hit) = decoded_secret(rule, key.trim(), &decoded, *number) {
                        hits.push(hit);
                    }
                    continue;
                }
            }
            if trimmed == "data:" || trimmed == "stringData:" {
                data_indent = Some(indent);
            }
        }
    }
    hits
}

fn decoded_secret(rule: &Rule, key: &str, decoded: &[u8], line: u32) -> Option<Hit> {
    let text = std::str::from_utf8(decoded).ok()?;
    // A known token format inside, or a secret-named key with a non-placeholder value.
    let inner = matches(decoded);
    let named = secret_name(key) && text.len() >= 8 && !is_placeholder(text);
    if inner.is_empty() && !named {
        return None;
    }
    let what = inner
        .first()
        .map(|m| COMPILED.rules[m.pattern].title)
        .unwrap_or("a credential");
    let secret = secret_value(text.trim_end());
    Some(
        Hit::new(
            rule,
            format!(
                "Secret data key {key:?} decodes to {what} {} at line {line}",
                secret.redacted
            ),
        )
        .at(line, 1)
        .with_secret(secret),
    )
}

struct Document<'a> {
    lines: Vec<(u32, &'a str)>,
}

fn split_documents(text: &str) -> Vec<Document<'_>> {
    let mut docs = vec![Document { lines: Vec::new() }];
    for (i, line) in text.lines().enumerate() {
        if line.starts_with("---") {
            docs.push(Document { lines: Vec::new() });
            continue;
        }
        if let Some(d) = docs.last_mut() {
            d.lines.push((i as u32 + 1, line));
        }
    }
    docs
}

/// Whether a variable or key name says it holds a secret (`DB_PASSWORD`, `apiKey`,
/// `GITHUB_TOKEN`); names that say the value is *about* a secret (`..._FILE`, `..._PATH`,
/// `..._NAME`, `..._URL`) do not count.
pub fn secret_name(name: &str) -> bool {
    static NAME: LazyLock<Option<regex::Regex>> = LazyLock::new(|| {
        regex::Regex::new(
            r"(?i)(?:passw(?:or)?d|pwd|secret|token|api[_\-.]?key|access[_\-.]?key|private[_\-.]?key|auth[_\-.]?key|credential|client[_\-.]?key)",
        )
        .ok()
    });
    static NOT: LazyLock<Option<regex::Regex>> = LazyLock::new(|| {
        regex::Regex::new(
            r"(?i)(?:_(?:file|path|dir|name|url|uri|endpoint|id|type|length|len|ttl|expiry|expires|timeout|ref|key_id|header)$|^(?:no|skip|use|enable|disable)_)",
        )
        .ok()
    });
    NAME.as_ref().is_some_and(|r| r.is_match(name))
        && !NOT.as_ref().is_some_and(|r| r.is_match(name))
}

/// `ASSAY-SEC-053` for one `NAME=value` of a Dockerfile ENV/ARG or the image config's Env:
/// a secret name with a literal value (not a `$VAR` reference, a placeholder or empty); also
/// any token format in the value. `where_` names the place for the message
/// (`ENV on line 4`, `image config Env`).
pub fn scan_assignment(name: &str, value: &str, where_: &str) -> Vec<Hit> {
    let mut hits: Vec<Hit> = matches(value.as_bytes())
        .into_iter()
        .map(|m| {
            let rule = COMPILED.rules[m.pattern];
            let secret = secret_value(&m.value);
            Hit::new(
                rule,
                format!("{} {} in {name} ({where_})", rule.title, secret.redacted),
            )
            .with_secret(secret)
        })
        .collect();
    let value = value.trim().trim_matches(['"', '\'']);
    if hits.is_empty()
        && secret_name(name)
        && value.len() >= 4
        && !is_placeholder(value)
        && !matches!(
            value.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no"
        )
        && let Some(rule) = rule_by_id("ASSAY-SEC-053")
    {
        let secret = secret_value(value);
        hits.push(
            Hit::new(
                rule,
                format!(
                    "{name} is set to the literal {} ({where_})",
                    secret.redacted
                ),
            )
            .with_secret(secret),
        );
    }
    hits
}

/// Secrets in an image config: `Env`, `Labels`, and each history step's `created_by` (where
/// build arguments of `RUN` steps are recorded as `|N NAME=value ...`).
pub fn scan_config(config: &ImageConfig) -> Vec<Hit> {
    let mut hits = Vec::new();
    if let Some(runtime) = &config.config {
        for env in &runtime.env {
            let (name, value) = env.split_once('=').unwrap_or((env, ""));
            hits.extend(
                scan_assignment(name, value, "image config Env")
                    .into_iter()
                    .map(|h| h.with_path("image config: Env")),
            );
        }
        for (name, value) in &runtime.labels {
            hits.extend(
                scan_assignment(name, value, "image config label")
                    .into_iter()
                    .map(|h| h.with_path("image config: Labels")),
            );
        }
    }
    for (i, step) in config.history.iter().enumerate() {
        let Some(created_by) = &step.created_by else {
            continue;
        };
        let place = format!("image history step {}", i + 1);
        let mut step_hits = Vec::new();
        for (name, value) in history_assignments(created_by) {
            step_hits.extend(scan_assignment(name, value, &place));
        }
        if step_hits.is_empty() {
            step_hits.extend(
                scan_text("", created_by.as_bytes())
                    .into_iter()
                    .map(|mut h| {
                        h.line = None;
                        h.column = None;
                        h.message =
                            format!("{} ({place})", h.message.trim_end_matches(" at line 1"));
                        h
                    }),
            );
        }
        hits.extend(
            step_hits
                .into_iter()
                .map(|h| h.with_path(format!("image history: step {}", i + 1))),
        );
    }
    hits
}

/// The `NAME=value` pairs of a history step: `ENV`/`ARG` steps (`/bin/sh -c #(nop)  ENV
/// A=b`, BuildKit's `ENV A=b`) and the build arguments BuildKit records before a `RUN`
/// (`RUN |2 A=b C=d /bin/sh -c ...`).
fn history_assignments(created_by: &str) -> Vec<(&str, &str)> {
    let text = created_by
        .trim()
        .trim_start_matches("/bin/sh -c #(nop)")
        .trim();
    if let Some(rest) = text
        .strip_prefix("ENV ")
        .or_else(|| text.strip_prefix("ARG "))
    {
        return rest
            .split_whitespace()
            .filter_map(|w| w.split_once('='))
            .collect();
    }
    if let Some(rest) = text.strip_prefix("RUN |") {
        let mut words = rest.split_whitespace();
        let count: usize = words.next().and_then(|n| n.parse().ok()).unwrap_or(0);
        return words
            .take(count)
            .filter_map(|w| w.split_once('='))
            .collect();
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_compiles_and_names_a_rule() {
        for p in rules::PATTERNS {
            assert!(build(p.regex).is_ok(), "{}: {}", p.id, p.regex);
            assert!(rule_by_id(p.id).is_some(), "{}", p.id);
            assert!(!p.keywords.is_empty(), "{}", p.id);
            for k in p.keywords {
                assert_eq!(k.to_ascii_lowercase(), *k, "{}: keyword {k}", p.id);
            }
        }
    }

    #[test]
    fn at_least_fifty_rules_with_unique_ids() {
        assert!(RULES.len() >= 50);
        let mut ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), RULES.len());
    }

    #[test]
    fn redaction_shows_at_most_four_characters() {
        assert_eq!(redact("ghp_abcdefghijklmnop"), "ghp_****");
        assert_eq!(redact("hunter22"), "hu****");
        assert_eq!(redact("abc"), "****");
    }

    #[test]
    fn skips_package_trees_and_binaries_by_path() {
        assert!(!text_candidate("usr/share/doc/x/README"));
        assert!(!text_candidate("app/node_modules/x/index.js"));
        assert!(!text_candidate("app/logo.png"));
        assert!(text_candidate("app/config.yml"));
        assert!(text_candidate("root/.profile"));
        assert!(text_candidate("usr/share/nginx/html/config.js"));
    }

    #[test]
    fn history_build_arguments_are_read() {
        assert_eq!(
            history_assignments("RUN |2 A=b TOKEN=c /bin/sh -c make"),
            vec![("A", "b"), ("TOKEN", "c")]
        );
        assert_eq!(
            history_assignments("/bin/sh -c #(nop)  ENV DB_PASSWORD=x1"),
            vec![("DB_PASSWORD", "x1")]
        );
    }

    #[test]
    fn secret_names() {
        assert!(secret_name("DB_PASSWORD"));
        assert!(secret_name("githubToken"));
        assert!(!secret_name("PASSWORD_FILE"));
        assert!(!secret_name("PATH"));
    }
}
