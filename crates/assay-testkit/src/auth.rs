//! A registry that wants HTTP basic credentials: the same `docker-registry` as
//! [`crate::Registry`], with distribution's `htpasswd` auth and a bcrypt password file written
//! by `htpasswd -B` (apache2-utils), so credential code is tested against the real
//! challenge-and-token exchange.

use std::process::Command;

use crate::registry::{Process, StartError, config_text, failed, launch, or_skip};

/// Where Debian installs `htpasswd`; `ASSAY_HTPASSWD_BIN` overrides it.
pub const HTPASSWD: &str = "/usr/bin/htpasswd";

/// A running registry that answers 401 without credentials; stopped when dropped.
#[derive(Debug)]
pub struct AuthRegistry {
    process: Process,
    username: String,
    password: String,
}

impl AuthRegistry {
    /// Starts a registry accepting only `username` / `password` (basic auth, bcrypt).
    pub fn start(username: &str, password: &str) -> Result<AuthRegistry, StartError> {
        crate::registry::binary()?;
        let htpasswd = std::path::PathBuf::from(
            std::env::var_os("ASSAY_HTPASSWD_BIN").unwrap_or_else(|| HTPASSWD.into()),
        );
        if !htpasswd.exists() {
            return Err(StartError::Missing(htpasswd));
        }
        let storage = tempfile::tempdir().map_err(failed)?;
        let output = Command::new(&htpasswd)
            .args(["-Bbn", username, password])
            .output()
            .map_err(failed)?;
        if !output.status.success() {
            return Err(failed(format!("htpasswd exited with {}", output.status)));
        }
        let users = storage.path().join("htpasswd");
        std::fs::write(&users, &output.stdout).map_err(failed)?;
        let data = storage.path().join("data");
        let auth = format!(
            "auth:\n  htpasswd:\n    realm: assay-test\n    path: {}\n",
            users.display()
        );
        let process = launch(storage, |addr| config_text(&data, addr, &auth), 401)?;
        Ok(AuthRegistry {
            process,
            username: username.to_string(),
            password: password.to_string(),
        })
    }

    /// Starts one, or returns `None` outside CI when the registry or `htpasswd` is missing;
    /// panics under `CI=true` when it cannot start (as [`crate::Registry::start_or_skip`]).
    pub fn start_or_skip(test: &str, username: &str, password: &str) -> Option<AuthRegistry> {
        or_skip(
            test,
            "a registry with basic auth",
            AuthRegistry::start(username, password),
        )
    }

    /// `127.0.0.1:PORT`.
    pub fn host(&self) -> String {
        self.process.addr.to_string()
    }

    /// The accepted user name.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The accepted password.
    pub fn password(&self) -> &str {
        &self.password
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_anonymous_requests() {
        let Some(registry) = AuthRegistry::start_or_skip("auth_registry", "alice", "s3cret") else {
            return;
        };
        assert_eq!(crate::registry::probe(registry.process.addr), Some(401));
    }
}
