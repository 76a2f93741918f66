//! Registry credentials, found where `docker login` and CI systems leave them.
//!
//! oci-client speaks the distribution token flow but only takes anonymous, basic or bearer
//! credentials; it reads no `config.json` and runs no credential helper. This module does
//! that part, in the order the docker CLI uses, after assay's own variables:
//!
//! 1. `ASSAY_REGISTRY_TOKEN`: a bearer token, sent as is;
//! 2. `ASSAY_REGISTRY_USERNAME` / `ASSAY_REGISTRY_PASSWORD`: basic credentials, which
//!    oci-client exchanges for a token when the registry asks;
//! 3. `$DOCKER_CONFIG/config.json` (default `~/.docker/config.json`): `credHelpers[host]`,
//!    then `auths[host]` (`auth` is base64 `user:password`, `identitytoken` an OAuth2
//!    refresh token), then `credsStore`; helpers run as `docker-credential-NAME get` with
//!    the server URL on stdin and answer `{"Username": ..., "Secret": ...}` on stdout.
//!
//! Secrets never appear in an error or in `Debug` output; errors name the file, the
//! registry and the helper.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine;
use serde::Deserialize;

use crate::remote::RegistryAuth;

mod token;

/// The key docker uses for Docker Hub in `config.json` and with helpers.
const DOCKER_HUB_KEY: &str = "https://index.docker.io/v1/";

/// The user name a credential helper returns when its secret is an identity token.
const TOKEN_USERNAME: &str = "<token>";

/// Where credentials are looked up. [`Credentials::from_env`] fills it from the process
/// environment; tests fill it directly so they never touch the real home directory.
#[derive(Clone, Default)]
pub struct Credentials {
    /// `ASSAY_REGISTRY_TOKEN`.
    pub token: Option<String>,
    /// `ASSAY_REGISTRY_USERNAME`.
    pub username: Option<String>,
    /// `ASSAY_REGISTRY_PASSWORD`.
    pub password: Option<String>,
    /// The docker `config.json` to read, when there is one to look for.
    pub docker_config: Option<PathBuf>,
    /// Directories searched for `docker-credential-*` helpers (`PATH`).
    pub helper_path: Vec<PathBuf>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("token", &self.token.as_ref().map(|_| "***"))
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("docker_config", &self.docker_config)
            .field("helper_path", &self.helper_path)
            .finish()
    }
}

/// What the configuration holds for a registry.
#[derive(Clone)]
pub enum Credential {
    /// Credentials oci-client uses directly.
    Auth(RegistryAuth),
    /// A docker identity token: an OAuth2 refresh token, exchanged for a registry token
    /// before use ([`Credentials::resolve`] does it).
    IdentityToken(String),
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credential::Auth(auth) => auth.fmt(f),
            Credential::IdentityToken(_) => f.write_str("IdentityToken(***)"),
        }
    }
}

/// Credentials could not be read. No variant carries a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialError {
    /// The docker config file exists but could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The docker config file is not valid JSON of its shape.
    #[error("{}:{line}: invalid docker config: {reason}", path.display())]
    Config {
        /// The file.
        path: PathBuf,
        /// Line of the error.
        line: usize,
        /// The parser's message.
        reason: String,
    },
    /// An `auths` entry's `auth` is not base64 of `user:password`.
    #[error("{}: auths[{key:?}].auth is not base64 of user:password", path.display())]
    BadAuth {
        /// The file.
        path: PathBuf,
        /// The `auths` key.
        key: String,
    },
    /// A credential helper is named but not installed.
    #[error("credential helper docker-credential-{helper} for {registry} not found on PATH")]
    HelperMissing {
        /// The helper's name (`ecr-login`).
        helper: String,
        /// The registry asked about.
        registry: String,
    },
    /// A credential helper failed or answered something that is not its JSON reply.
    #[error("credential helper docker-credential-{helper} for {registry}: {reason}")]
    Helper {
        /// The helper's name.
        helper: String,
        /// The registry asked about.
        registry: String,
        /// What went wrong (its stderr, first line; never its stdout, which holds secrets).
        reason: String,
    },
    /// An identity token could not be exchanged for a registry token.
    #[error("exchanging the identity token for {registry}: {reason}")]
    TokenExchange {
        /// The registry.
        registry: String,
        /// What failed (status, or the kind of network error).
        reason: String,
    },
}

/// The parts of docker's `config.json` assay reads; other keys are ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DockerConfig {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
    #[serde(default)]
    cred_helpers: BTreeMap<String, String>,
    #[serde(default)]
    creds_store: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
}

/// A credential helper's reply to `get`.
#[derive(Deserialize)]
struct HelperReply {
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret", default)]
    secret: String,
}

impl Credentials {
    /// Reads `ASSAY_REGISTRY_TOKEN`, `_USERNAME`, `_PASSWORD`, `DOCKER_CONFIG`, `HOME` and
    /// `PATH`. Empty variables count as unset (CI systems pass unset inputs as empty).
    pub fn from_env() -> Credentials {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let docker_config = var("DOCKER_CONFIG")
            .map(|dir| PathBuf::from(dir).join("config.json"))
            .or_else(|| var("HOME").map(|home| Path::new(&home).join(".docker/config.json")));
        let helper_path = std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).collect())
            .unwrap_or_default();
        Credentials {
            token: var("ASSAY_REGISTRY_TOKEN"),
            username: var("ASSAY_REGISTRY_USERNAME"),
            password: std::env::var("ASSAY_REGISTRY_PASSWORD").ok(),
            docker_config,
            helper_path,
        }
    }

    /// The credentials for pulling `repository` from `registry` (`host[:port]`, `docker.io`
    /// for Docker Hub): [`Credentials::lookup`], with an identity token exchanged for a
    /// registry token (the OAuth2 refresh-token grant docker uses; `plain_http` for loopback
    /// test registries).
    pub fn resolve(
        &self,
        registry: &str,
        repository: &str,
        plain_http: bool,
    ) -> Result<RegistryAuth, CredentialError> {
        match self.lookup(registry)? {
            Credential::Auth(auth) => Ok(auth),
            Credential::IdentityToken(token) => {
                token::exchange(registry, repository, &token, plain_http)
                    .map(RegistryAuth::Bearer)
                    .map_err(|reason| CredentialError::TokenExchange {
                        registry: registry.to_string(),
                        reason,
                    })
            }
        }
    }

    /// The configured credential for `registry`, without any network access; anonymous
    /// access when none is configured.
    pub fn lookup(&self, registry: &str) -> Result<Credential, CredentialError> {
        if let Some(token) = &self.token {
            return Ok(Credential::Auth(RegistryAuth::Bearer(token.clone())));
        }
        if let Some(username) = &self.username {
            return Ok(Credential::Auth(RegistryAuth::Basic {
                username: username.clone(),
                password: self.password.clone().unwrap_or_default(),
            }));
        }
        let anonymous = Ok(Credential::Auth(RegistryAuth::Anonymous));
        let Some(path) = &self.docker_config else {
            return anonymous;
        };
        let config = match read_config(path)? {
            Some(config) => config,
            None => return anonymous,
        };
        let host = normalise_host(registry);
        let server_url = if host == "docker.io" {
            DOCKER_HUB_KEY.to_string()
        } else {
            host.clone()
        };
        if let Some(helper) = config
            .cred_helpers
            .iter()
            .find(|(key, _)| normalise_host(key) == host)
            .map(|(_, helper)| helper)
        {
            return self.run_helper(helper, &server_url, registry);
        }
        if let Some((key, entry)) = config
            .auths
            .iter()
            .find(|(key, _)| normalise_host(key) == host)
            && let Some(found) = entry_auth(path, key, entry)?
        {
            return Ok(found);
        }
        match config.creds_store.as_deref().filter(|s| !s.is_empty()) {
            Some(store) => self.run_helper(store, &server_url, registry),
            None => anonymous,
        }
    }

    /// Runs `docker-credential-HELPER get`; a helper that has nothing for the server (it
    /// says "credentials not found") means anonymous access, as for docker.
    fn run_helper(
        &self,
        helper: &str,
        server_url: &str,
        registry: &str,
    ) -> Result<Credential, CredentialError> {
        let name = format!("docker-credential-{helper}");
        let failure = |reason: String| CredentialError::Helper {
            helper: helper.to_string(),
            registry: registry.to_string(),
            reason,
        };
        // Looked up on the configured path rather than left to `Command`, so that tests can
        // point at a temp dir without changing the process environment.
        let program = self
            .helper_path
            .iter()
            .map(|dir| dir.join(&name))
            .find(|p| p.is_file())
            .ok_or_else(|| CredentialError::HelperMissing {
                helper: helper.to_string(),
                registry: registry.to_string(),
            })?;
        let spawn = || {
            Command::new(&program)
                .arg("get")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
        };
        // A helper just installed (by a package manager, or a test) can be briefly "busy"
        // while another thread's fork still holds its write handle: retry a few times.
        let mut attempt = spawn();
        for _ in 0..20 {
            match &attempt {
                Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy => {
                    std::thread::sleep(std::time::Duration::from_millis(25));
                    attempt = spawn();
                }
                _ => break,
            }
        }
        let mut child = attempt.map_err(|e| failure(e.to_string()))?;
        if let Some(mut stdin) = child.stdin.take() {
            // A helper may answer (or fail) without reading its stdin and exit first: the
            // broken pipe is not the error, its exit status and output below are.
            match stdin.write_all(server_url.as_bytes()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    return Err(failure(format!("writing the server URL: {e}")));
                }
                _ => {}
            }
        }
        let output = child
            .wait_with_output()
            .map_err(|e| failure(e.to_string()))?;
        if !output.status.success() {
            let said = String::from_utf8_lossy(&output.stderr);
            let said = if said.trim().is_empty() {
                String::from_utf8_lossy(&output.stdout)
            } else {
                said
            };
            // docker-credential-helpers' "not found" message; anything else is a failure.
            if said.to_ascii_lowercase().contains("credentials not found") {
                return Ok(Credential::Auth(RegistryAuth::Anonymous));
            }
            let first = said.lines().next().unwrap_or("").trim().to_string();
            return Err(failure(format!("exited with {}: {first}", output.status)));
        }
        let reply: HelperReply = serde_json::from_slice(&output.stdout)
            .map_err(|_| failure("its reply is not the JSON credential object".to_string()))?;
        if reply.secret.is_empty() {
            return Ok(Credential::Auth(RegistryAuth::Anonymous));
        }
        if reply.username == TOKEN_USERNAME {
            return Ok(Credential::IdentityToken(reply.secret));
        }
        Ok(Credential::Auth(RegistryAuth::Basic {
            username: reply.username,
            password: reply.secret,
        }))
    }
}

fn read_config(path: &Path) -> Result<Option<DockerConfig>, CredentialError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(CredentialError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| CredentialError::Config {
            path: path.to_path_buf(),
            line: e.line(),
            reason: e.to_string(),
        })
}

/// An `auths` entry as credentials; `None` when it holds nothing usable (docker writes empty
/// entries when a helper keeps the secret).
fn entry_auth(
    path: &Path,
    key: &str,
    entry: &AuthEntry,
) -> Result<Option<Credential>, CredentialError> {
    if let Some(token) = entry.identitytoken.as_ref().filter(|t| !t.is_empty()) {
        return Ok(Some(Credential::IdentityToken(token.clone())));
    }
    if let Some(encoded) = entry.auth.as_ref().filter(|a| !a.is_empty()) {
        let bad = || CredentialError::BadAuth {
            path: path.to_path_buf(),
            key: key.to_string(),
        };
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .map_err(|_| bad())?;
        let text = String::from_utf8(decoded).map_err(|_| bad())?;
        let (username, password) = text.split_once(':').ok_or_else(bad)?;
        return Ok(Some(Credential::Auth(RegistryAuth::Basic {
            username: username.to_string(),
            password: password.to_string(),
        })));
    }
    if let (Some(username), Some(password)) = (&entry.username, &entry.password) {
        return Ok(Some(Credential::Auth(RegistryAuth::Basic {
            username: username.clone(),
            password: password.clone(),
        })));
    }
    Ok(None)
}

/// A `config.json` key or registry name as a bare host, the way docker compares them:
/// scheme and path dropped, Docker Hub's aliases folded to `docker.io`.
fn normalise_host(key: &str) -> String {
    let rest = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    let host = rest.split('/').next().unwrap_or(rest).to_ascii_lowercase();
    match host.as_str() {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => {
            "docker.io".to_string()
        }
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn with_config(dir: &Path, json: &str) -> Credentials {
        let path = dir.join("config.json");
        std::fs::write(&path, json).unwrap();
        Credentials {
            docker_config: Some(path),
            helper_path: vec![dir.to_path_buf()],
            ..Credentials::default()
        }
    }

    fn basic(found: Credential) -> (String, String) {
        match found {
            Credential::Auth(RegistryAuth::Basic { username, password }) => (username, password),
            other => panic!("expected basic credentials, got {other:?}"),
        }
    }

    #[cfg(unix)]
    fn helper(dir: &Path, name: &str, script: &str) {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join(format!("docker-credential-{name}"));
        std::fs::write(&path, script).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    #[test]
    fn assay_variables_win_token_first() {
        let creds = Credentials {
            token: Some("tok".into()),
            username: Some("u".into()),
            password: Some("p".into()),
            ..Credentials::default()
        };
        assert!(
            matches!(creds.lookup("r.example"), Ok(Credential::Auth(RegistryAuth::Bearer(t))) if t == "tok")
        );
        let creds = Credentials {
            token: None,
            ..creds
        };
        assert_eq!(
            basic(creds.lookup("r.example").unwrap()),
            ("u".into(), "p".into())
        );
    }

    #[test]
    fn reads_base64_auths_matching_scheme_and_path_free_host() {
        let dir = tempfile::tempdir().unwrap();
        // "alice:s3cr:et" — the password keeps its colon.
        let creds = with_config(
            dir.path(),
            r#"{"auths":{"https://registry.example.com/v1/":{"auth":"YWxpY2U6czNjcjpldA=="}}}"#,
        );
        assert_eq!(
            basic(creds.lookup("registry.example.com").unwrap()),
            ("alice".into(), "s3cr:et".into())
        );
        assert!(matches!(
            creds.lookup("other.example.com"),
            Ok(Credential::Auth(RegistryAuth::Anonymous))
        ));
    }

    #[test]
    fn docker_hub_uses_the_index_key_and_identity_tokens_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let creds = with_config(
            dir.path(),
            r#"{"auths":{"https://index.docker.io/v1/":{"auth":"","identitytoken":"refresh-me"}}}"#,
        );
        assert!(matches!(
            creds.lookup("docker.io"),
            Ok(Credential::IdentityToken(t)) if t == "refresh-me"
        ));
    }

    #[test]
    fn bad_auth_and_bad_json_name_the_file_but_not_the_secret() {
        let dir = tempfile::tempdir().unwrap();
        let creds = with_config(
            dir.path(),
            r#"{"auths":{"r.example":{"auth":"bm8tY29sb24="}}}"#,
        );
        let err = creds.lookup("r.example").unwrap_err().to_string();
        assert!(
            err.contains("config.json") && err.contains("r.example"),
            "{err}"
        );
        assert!(
            !err.contains("bm8tY29sb24") && !err.contains("no-colon"),
            "{err}"
        );

        let creds = with_config(dir.path(), "{\n\"auths\": [1]\n}");
        let err = creds.lookup("r.example").unwrap_err().to_string();
        assert!(err.contains("config.json:2:"), "{err}");
    }

    #[test]
    fn missing_config_is_anonymous() {
        let dir = tempfile::tempdir().unwrap();
        let creds = Credentials {
            docker_config: Some(dir.path().join("absent.json")),
            ..Credentials::default()
        };
        assert!(matches!(
            creds.lookup("r.example"),
            Ok(Credential::Auth(RegistryAuth::Anonymous))
        ));
    }

    #[cfg(unix)]
    #[test]
    fn cred_helpers_and_creds_store_run_the_helper_with_the_server_url() {
        let dir = tempfile::tempdir().unwrap();
        // Answers only for the host it is asked about, proving the URL arrives on stdin.
        helper(
            dir.path(),
            "test",
            "#!/bin/sh\n[ \"$1\" = get ] || exit 9\nread url\nif [ \"$url\" = r.example:5000 ]; then\n  printf '{\"ServerURL\":\"%s\",\"Username\":\"bob\",\"Secret\":\"pw\"}' \"$url\"\nelif [ \"$url\" = https://index.docker.io/v1/ ]; then\n  printf '{\"Username\":\"<token>\",\"Secret\":\"idt\"}'\nelse\n  echo 'credentials not found in native keychain' >&2; exit 1\nfi\n",
        );
        helper(
            dir.path(),
            "broken",
            "#!/bin/sh\necho 'keychain locked' >&2\nexit 3\n",
        );
        let creds = with_config(
            dir.path(),
            r#"{"credHelpers":{"r.example:5000":"test"},"credsStore":"test","auths":{"r.example:5000":{"auth":"eDp5"}}}"#,
        );
        assert_eq!(
            basic(creds.lookup("r.example:5000").unwrap()),
            ("bob".into(), "pw".into())
        );
        assert!(matches!(
            creds.lookup("docker.io"),
            Ok(Credential::IdentityToken(t)) if t == "idt"
        ));
        assert!(matches!(
            creds.lookup("elsewhere.example"),
            Ok(Credential::Auth(RegistryAuth::Anonymous))
        ));

        let creds = with_config(dir.path(), r#"{"credsStore":"broken"}"#);
        let err = creds.lookup("r.example").unwrap_err().to_string();
        assert!(
            err.contains("docker-credential-broken") && err.contains("keychain locked"),
            "{err}"
        );

        let creds = with_config(dir.path(), r#"{"credsStore":"absent"}"#);
        let err = creds.lookup("r.example").unwrap_err();
        assert!(
            matches!(err, CredentialError::HelperMissing { .. }),
            "{err}"
        );
    }
}
