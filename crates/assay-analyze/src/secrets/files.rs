//! Sensitive-file rules (`ASSAY-SEC-101`..): files that are credentials by what they are,
//! chosen by path and confirmed by content, so an empty template or a locked account is
//! not reported.

use assay_core::Rule;

use super::{is_placeholder, redact, rule_by_id, secret_value, sha256_hex};
use crate::content::Hit;
use crate::file_name;

/// Shell and REPL history files.
const HISTORIES: &[&str] = &[
    ".bash_history",
    ".zsh_history",
    ".sh_history",
    ".ash_history",
    ".ksh_history",
    ".history",
    ".python_history",
    ".mysql_history",
    ".psql_history",
    ".node_repl_history",
    ".rediscli_history",
    ".sqlite_history",
    ".lesshst",
];

/// `.env` variants that are templates, not settings.
const ENV_TEMPLATES: &[&str] = &[
    ".example",
    ".sample",
    ".template",
    ".dist",
    ".defaults",
    ".tpl",
    ".schema",
];

fn parent_is(path: &str, dir: &str) -> bool {
    path.rsplit_once('/')
        .is_some_and(|(parent, _)| parent == dir || parent.ends_with(&format!("/{dir}")))
}

/// Which sensitive-file rule a path is for.
fn rule_for(path: &str) -> Option<&'static str> {
    let name = file_name(path);
    let id = if name == "credentials" && parent_is(path, ".aws") {
        "ASSAY-SEC-101"
    } else if (path.contains(".config/gcloud/")
        && (matches!(
            name,
            "credentials.db" | "access_tokens.db" | "application_default_credentials.json"
        ) || path.contains("/legacy_credentials/")))
        || name == "application_default_credentials.json"
    {
        "ASSAY-SEC-102"
    } else if path.contains(".azure/")
        && matches!(
            name,
            "accessTokens.json"
                | "msal_token_cache.json"
                | "msal_token_cache.bin"
                | "service_principal_entries.json"
        )
    {
        "ASSAY-SEC-103"
    } else if (name == "config.json" && parent_is(path, ".docker")) || name == ".dockercfg" {
        "ASSAY-SEC-104"
    } else if name == ".npmrc" || path == "etc/npmrc" || path == "usr/local/etc/npmrc" {
        "ASSAY-SEC-105"
    } else if name == ".pypirc" {
        "ASSAY-SEC-106"
    } else if name == ".netrc" || name == "_netrc" {
        "ASSAY-SEC-107"
    } else if name == ".git-credentials" {
        "ASSAY-SEC-108"
    } else if (name == "config" && parent_is(path, ".kube"))
        || name == "kubeconfig"
        || name.ends_with(".kubeconfig")
        || (path.starts_with("etc/kubernetes/") && name.ends_with(".conf"))
    {
        "ASSAY-SEC-109"
    } else if name == ".env"
        || (name.starts_with(".env.") && !ENV_TEMPLATES.iter().any(|t| name.ends_with(t)))
    {
        "ASSAY-SEC-110"
    } else if HISTORIES.contains(&name) {
        "ASSAY-SEC-111"
    } else if path == "etc/shadow" {
        "ASSAY-SEC-112"
    } else if name.ends_with(".p12") || name.ends_with(".pfx") {
        "ASSAY-SEC-113"
    } else {
        return None;
    };
    Some(id)
}

/// Whether `path` is a sensitive file some rule checks.
pub(super) fn wanted(path: &str) -> bool {
    rule_for(path).is_some()
}

/// The sensitive-file hit for `path`, if its content confirms it.
pub(super) fn scan(path: &str, content: &[u8]) -> Vec<Hit> {
    let Some(rule) = rule_for(path).and_then(rule_by_id) else {
        return Vec::new();
    };
    let text = String::from_utf8_lossy(content);
    match rule.id {
        "ASSAY-SEC-101" => key_values(rule, &text, &["aws_secret_access_key", "aws_session_token"]),
        "ASSAY-SEC-102" | "ASSAY-SEC-103" => {
            let trimmed = text.trim();
            if content.is_empty() || trimmed == "[]" || trimmed == "{}" {
                return Vec::new();
            }
            vec![
                Hit::new(rule, format!("{} at {path}", rule.title))
                    .with_anchor(sha256_hex(content)),
            ]
        }
        "ASSAY-SEC-104" => docker_config(rule, content),
        "ASSAY-SEC-105" => key_values(rule, &text, &["_authtoken", "_auth", "_password"]),
        "ASSAY-SEC-106" => key_values(rule, &text, &["password"]),
        "ASSAY-SEC-107" => netrc(rule, &text),
        "ASSAY-SEC-108" => git_credentials(rule, &text),
        "ASSAY-SEC-109" => kubeconfig(rule, &text),
        "ASSAY-SEC-110" => env_file(rule, &text),
        "ASSAY-SEC-111" => {
            let commands = text.lines().filter(|l| !l.trim().is_empty()).count();
            if commands == 0 {
                return Vec::new();
            }
            vec![
                Hit::new(
                    rule,
                    format!("shell history with {commands} command line(s) at {path}"),
                )
                .with_anchor(path.to_string()),
            ]
        }
        "ASSAY-SEC-112" => shadow(rule, &text),
        "ASSAY-SEC-113" => {
            // A DER SEQUENCE: what every PKCS#12 file starts with.
            if content.first() != Some(&0x30) || content.len() < 64 {
                return Vec::new();
            }
            vec![
                Hit::new(rule, format!("PKCS#12 key store at {path}"))
                    .with_anchor(sha256_hex(content)),
            ]
        }
        _ => Vec::new(),
    }
}

/// `key = value` / `key: value` / `key=value` lines (INI, npmrc) whose key (after the last
/// `:` of npm's `//registry/:_authToken`) is one of `keys`, with a literal value.
fn key_values(rule: &Rule, text: &str, keys: &[&str]) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let Some((key, value)) = line.split_once('=').or_else(|| line.split_once(": ")) else {
            continue;
        };
        let key = key.trim();
        let key = key
            .rsplit_once(':')
            .map_or(key, |(_, k)| k)
            .to_ascii_lowercase();
        let value = value.trim().trim_matches(['"', '\'']);
        if !keys.contains(&key.as_str()) || value.is_empty() || value.contains("${") {
            continue;
        }
        let secret = secret_value(value);
        let line_no = i as u32 + 1;
        hits.push(
            Hit::new(
                rule,
                format!(
                    "{} with {key} {} at line {line_no}",
                    rule.title, secret.redacted
                ),
            )
            .at(line_no, 1)
            .with_secret(secret),
        );
    }
    hits
}

fn docker_config(rule: &Rule, content: &[u8]) -> Vec<Hit> {
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(content) else {
        return Vec::new();
    };
    // config.json has `auths`; the legacy .dockercfg is the map itself.
    let auths = json.get("auths").and_then(|a| a.as_object()).or_else(|| {
        json.as_object()
            .filter(|o| o.values().any(|v| v.get("auth").is_some()))
    });
    let Some(auths) = auths else {
        return Vec::new();
    };
    let mut hits = Vec::new();
    for (registry, entry) in auths {
        for field in ["auth", "identitytoken", "password"] {
            let Some(value) = entry.get(field).and_then(|v| v.as_str()) else {
                continue;
            };
            if value.is_empty() {
                continue;
            }
            let secret = secret_value(value);
            hits.push(
                Hit::new(
                    rule,
                    format!("credentials for {registry} ({field} {})", secret.redacted),
                )
                .with_secret(secret),
            );
        }
    }
    hits
}

fn netrc(rule: &Rule, text: &str) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let words: Vec<&str> = line.split_whitespace().collect();
        for pair in words.windows(2) {
            if pair[0] == "password" && !pair[1].is_empty() && !pair[1].starts_with('$') {
                let secret = secret_value(pair[1]);
                let machine = words
                    .windows(2)
                    .find(|p| p[0] == "machine")
                    .map_or("default", |p| p[1]);
                hits.push(
                    Hit::new(
                        rule,
                        format!(
                            "password {} for {machine} at line {}",
                            secret.redacted,
                            i + 1
                        ),
                    )
                    .at(i as u32 + 1, 1)
                    .with_secret(secret),
                );
            }
        }
    }
    hits
}

fn git_credentials(rule: &Rule, text: &str) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let Some((_, rest)) = line.trim().split_once("://") else {
            continue;
        };
        let Some((userinfo, host)) = rest.split_once('@') else {
            continue;
        };
        let Some((_, password)) = userinfo.split_once(':') else {
            continue;
        };
        if password.is_empty() {
            continue;
        }
        let secret = secret_value(password);
        let host = host.split('/').next().unwrap_or(host);
        hits.push(
            Hit::new(
                rule,
                format!(
                    "credentials {} for {host} at line {}",
                    secret.redacted,
                    i + 1
                ),
            )
            .at(i as u32 + 1, 1)
            .with_secret(secret),
        );
    }
    hits
}

fn kubeconfig(rule: &Rule, text: &str) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim().trim_start_matches("- ");
        let Some((key, value)) = trimmed.split_once(':') else {
            continue;
        };
        let value = value.trim().trim_matches(['"', '\'']);
        if !matches!(key, "token" | "client-key-data" | "password" | "client-key")
            || value.is_empty()
        {
            continue;
        }
        let secret = secret_value(value);
        hits.push(
            Hit::new(
                rule,
                format!(
                    "kubeconfig user {key} {} at line {}",
                    secret.redacted,
                    i + 1
                ),
            )
            .at(i as u32 + 1, 1)
            .with_secret(secret),
        );
    }
    hits
}

fn env_file(rule: &Rule, text: &str) -> Vec<Hit> {
    let mut names = Vec::new();
    let mut first = None;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        let line = line.strip_prefix("export ").unwrap_or(line);
        if line.starts_with('#') {
            continue;
        }
        let Some((name, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim().trim_matches(['"', '\'']);
        if name.trim().is_empty() || value.is_empty() || is_placeholder(value) {
            continue;
        }
        first.get_or_insert(i as u32 + 1);
        names.push(name.trim().to_string());
    }
    let Some(line) = first else {
        return Vec::new();
    };
    vec![
        Hit::new(
            rule,
            format!(
                "environment file setting {} variable(s): {}",
                names.len(),
                names.join(", ")
            ),
        )
        .at(line, 1)
        .with_anchor(names.join(",")),
    ]
}

fn shadow(rule: &Rule, text: &str) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let mut fields = line.split(':');
        let (Some(user), Some(hash)) = (fields.next(), fields.next()) else {
            continue;
        };
        // `*`, `!`, `!!`, `!$6$...` (locked) and empty fields cannot be used to log in with
        // a password (an empty one is a baseline finding, not a leaked hash).
        let crypt = hash.starts_with('$') && hash.len() > 3;
        let des = hash.len() == 13
            && hash
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'/');
        if !crypt && !des {
            continue;
        }
        let scheme = hash.split('$').nth(1).unwrap_or("des");
        hits.push(
            Hit::new(
                rule,
                format!(
                    "account {user} has a password hash ({} scheme ${scheme}$) at line {}",
                    redact(hash),
                    i + 1
                ),
            )
            .at(i as u32 + 1, 1)
            .with_secret(secret_value(hash)),
        );
    }
    hits
}
