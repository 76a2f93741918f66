//! Secrets baked into the image: in `ENV`/`ARG`, in copied files, or literally in `RUN`.
//! Secrets read through `RUN --mount=type=secret` never reach a layer and are not flagged.
//! Messages name the variable or file, never the value.

use assay_core::{Rule, Severity};

use super::instructions::sources_and_dest;
use super::{Ctx, Hit, rule};
use crate::secret_name::is_secret_name;

pub(crate) const ENV_SECRET: Rule = rule(
    "ASSAY-DF-034",
    Severity::Critical,
    "Secret in ENV or ARG",
    "`ENV` values are stored in the image config and `ARG` values in the build history: anyone who can pull the image can read them with `docker history`/`inspect`.",
    "Pass secrets at build time with `RUN --mount=type=secret,id=...` and at run time through the orchestrator's secret store; never as `ENV`/`ARG` literals.",
    &["cis-docker:4.10", "buildkit:SecretsUsedInArgOrEnv"],
    false,
);

pub(crate) const COPY_SECRET: Rule = rule(
    "ASSAY-DF-035",
    Severity::High,
    "Secret file copied into the image",
    "Private keys, `.env` files and registry/package credentials copied with `COPY`/`ADD` stay in a layer forever, even if a later step deletes them.",
    "Use `RUN --mount=type=secret,id=npmrc,target=/root/.npmrc` (or `type=ssh`) for build-time credentials, and list such files in `.dockerignore`.",
    &["cis-docker:4.10"],
    false,
);

pub(crate) const RUN_TOKEN: Rule = rule(
    "ASSAY-DF-036",
    Severity::Critical,
    "Hard-coded credential in RUN",
    "A token or private key written into a `RUN` line is stored in the image history and in the Dockerfile's source control.",
    "Read the credential from a secret mount: `RUN --mount=type=secret,id=token TOKEN=$(cat /run/secrets/token) ...`.",
    &["cis-docker:4.10"],
    false,
);

/// Whether the raw value is a literal rather than a reference to another variable.
fn literal(raw: &str) -> bool {
    let v = raw.trim_matches(['"', '\'']);
    !v.is_empty()
        && !v.starts_with('$')
        && !matches!(
            v.to_ascii_lowercase().as_str(),
            "true" | "false" | "none" | "null"
        )
}

/// The kind of credential found in `text`, by well-known token shapes.
pub(crate) fn token_shape(text: &str) -> Option<&'static str> {
    const SHAPES: &[(&str, &str, usize, &str)] = &[
        ("AKIA", "A-Z0-9", 16, "AWS access key id"),
        ("ghp_", "alnum", 36, "GitHub token"),
        ("gho_", "alnum", 36, "GitHub token"),
        ("ghs_", "alnum", 36, "GitHub token"),
        ("ghu_", "alnum", 36, "GitHub token"),
        ("github_pat_", "word", 40, "GitHub token"),
        ("glpat-", "word-", 20, "GitLab token"),
        ("xoxb-", "word-", 20, "Slack token"),
        ("xoxp-", "word-", 20, "Slack token"),
        ("sk_live_", "alnum", 24, "Stripe key"),
        ("AIza", "word-", 35, "Google API key"),
        ("npm_", "alnum", 36, "npm token"),
        ("pypi-AgE", "word-", 50, "PyPI token"),
    ];
    if text.contains("-----BEGIN") && text.contains("PRIVATE KEY") {
        return Some("private key");
    }
    for (prefix, class, min, kind) in SHAPES {
        for (pos, _) in text.match_indices(prefix) {
            let before_ok = text
                .get(..pos)
                .and_then(|b| b.chars().last())
                .is_none_or(|c| !c.is_ascii_alphanumeric());
            let tail = text.get(pos + prefix.len()..).unwrap_or("");
            let run = tail
                .chars()
                .take_while(|c| match *class {
                    "A-Z0-9" => c.is_ascii_uppercase() || c.is_ascii_digit(),
                    "alnum" => c.is_ascii_alphanumeric(),
                    "word" => c.is_ascii_alphanumeric() || *c == '_',
                    _ => c.is_ascii_alphanumeric() || *c == '_' || *c == '-',
                })
                .count();
            if before_ok && run >= *min {
                return Some(kind);
            }
        }
    }
    None
}

/// File names that hold credentials.
fn secret_file(path: &str) -> bool {
    let trimmed = path.trim_end_matches('/');
    let base = trimmed
        .rsplit('/')
        .next()
        .unwrap_or(trimmed)
        .to_ascii_lowercase();
    const NAMES: &[&str] = &[
        "id_rsa",
        "id_dsa",
        "id_ecdsa",
        "id_ed25519",
        ".env",
        ".npmrc",
        ".pypirc",
        ".netrc",
        ".git-credentials",
        "credentials",
        "credentials.json",
        ".dockercfg",
        ".htpasswd",
        "secrets.yaml",
        "secrets.yml",
        "service-account.json",
    ];
    if NAMES.contains(&base.as_str()) {
        return true;
    }
    if base.starts_with(".env.")
        && !matches!(
            base.as_str(),
            ".env.example" | ".env.sample" | ".env.template" | ".env.dist"
        )
    {
        return true;
    }
    if path.ends_with(".docker/config.json")
        || path.ends_with(".aws/credentials")
        || path.ends_with(".kube/config")
    {
        return true;
    }
    [".pem.key", ".key", ".p12", ".pfx", ".jks", ".keystore"]
        .iter()
        .any(|s| base.ends_with(s))
        && !base.ends_with(".pub")
}

pub(crate) fn check(ctx: &Ctx<'_>, out: &mut Vec<Hit>) {
    for (idx, ins) in ctx.instructions() {
        match ins.keyword.as_str() {
            "ENV" => {
                for (k, v) in ins.raw_pairs() {
                    if is_secret_name(k) && literal(v) {
                        ctx.hit(
                            out,
                            &ENV_SECRET,
                            idx,
                            format!("ENV `{k}` is set to a literal value"),
                        );
                    } else if let Some(kind) = token_shape(v) {
                        ctx.hit(out, &ENV_SECRET, idx, format!("ENV `{k}` holds a {kind}"));
                    }
                }
            }
            "ARG" => {
                for w in &ins.args {
                    if let Some((k, v)) = w.split_once('=') {
                        if is_secret_name(k) && literal(v) {
                            ctx.hit(
                                out,
                                &ENV_SECRET,
                                idx,
                                format!("ARG `{k}` has a literal default value"),
                            );
                        } else if let Some(kind) = token_shape(v) {
                            ctx.hit(
                                out,
                                &ENV_SECRET,
                                idx,
                                format!("ARG `{k}` default holds a {kind}"),
                            );
                        }
                    }
                }
            }
            "COPY" | "ADD" => {
                let (sources, _) = sources_and_dest(ins);
                if let Some(s) = sources.iter().find(|s| secret_file(s)) {
                    ctx.hit(
                        out,
                        &COPY_SECRET,
                        idx,
                        format!("`{s}` is copied into the image"),
                    );
                }
                if let Some(kind) = ins.heredocs.iter().find_map(|h| token_shape(&h.content)) {
                    ctx.hit(
                        out,
                        &COPY_SECRET,
                        idx,
                        format!("a heredoc written into the image holds a {kind}"),
                    );
                }
            }
            "RUN" => {
                let text = std::iter::once(ins.rest.as_str())
                    .chain(ins.heredocs.iter().map(|h| h.content.as_str()));
                if let Some(kind) = text.filter_map(token_shape).next() {
                    ctx.hit(out, &RUN_TOKEN, idx, format!("RUN contains a {kind}"));
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_token_shapes() {
        assert_eq!(
            token_shape("x AKIAIOSFODNN7EXAMPLE y"),
            Some("AWS access key id")
        );
        assert_eq!(
            token_shape(&format!("ghp_{}", "a".repeat(36))),
            Some("GitHub token")
        );
        assert_eq!(token_shape("ghp_short"), None);
    }

    #[test]
    fn secret_names_exclude_file_pointers() {
        assert!(is_secret_name("DB_PASSWORD"));
        assert!(!is_secret_name("DB_PASSWORD_FILE"));
        assert!(!is_secret_name("HOME"));
    }
}
