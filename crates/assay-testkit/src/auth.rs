//! A registry that wants HTTP basic credentials: the same `docker-registry` as
//! [`crate::Registry`], with distribution's `htpasswd` auth and a bcrypt password file written
//! by `htpasswd -B` (apache2-utils), so credential code is tested against the real
//! challenge-and-token exchange.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::registry::StartError;

/// Where Debian installs `htpasswd`; `ASSAY_HTPASSWD_BIN` overrides it.
pub const HTPASSWD: &str = "/usr/bin/htpasswd";

/// A running registry that answers 401 without credentials; stopped when dropped.
#[derive(Debug)]
pub struct AuthRegistry {
    child: Child,
    addr: SocketAddr,
    username: String,
    password: String,
    _storage: tempfile::TempDir,
}

fn failed(e: impl std::fmt::Display) -> StartError {
    StartError::Failed(e.to_string())
}

/// `GET /v2/`: the status code, if the registry answered.
fn probe(addr: SocketAddr) -> Option<u16> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_millis(200)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(
        stream,
        "GET /v2/ HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut head = [0u8; 32];
    let n = stream.read(&mut head).ok()?;
    let text = std::str::from_utf8(head.get(..n)?).ok()?;
    text.split_whitespace().nth(1)?.parse().ok()
}

impl AuthRegistry {
    /// Starts a registry accepting only `username` / `password` (basic auth, bcrypt).
    pub fn start(username: &str, password: &str) -> Result<AuthRegistry, StartError> {
        let bin = std::path::PathBuf::from(
            std::env::var_os("ASSAY_REGISTRY_BIN")
                .unwrap_or_else(|| crate::registry::DEFAULT_BINARY.into()),
        );
        if !bin.exists() {
            return Err(StartError::Missing(bin));
        }
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
        let mut last = String::new();
        for _ in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map_err(failed)?
                .port();
            let addr: SocketAddr = ([127, 0, 0, 1], port).into();
            let config = storage.path().join("config.yml");
            std::fs::write(&config, config_text(storage.path(), &users, addr)).map_err(failed)?;
            let mut child = Command::new(&bin)
                .arg("serve")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| failed(format!("{}: {e}", bin.display())))?;
            let deadline = Instant::now() + Duration::from_secs(15);
            while Instant::now() < deadline {
                if probe(addr) == Some(401) {
                    return Ok(AuthRegistry {
                        child,
                        addr,
                        username: username.to_string(),
                        password: password.to_string(),
                        _storage: storage,
                    });
                }
                if let Ok(Some(status)) = child.try_wait() {
                    last = format!("exited with {status}");
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
            if last.is_empty() {
                last = format!("no answer on {addr} within 15 s");
            }
        }
        Err(StartError::Failed(last))
    }

    /// Starts one, or returns `None` outside CI when the registry or `htpasswd` is missing;
    /// panics under `CI=true` when it cannot start (as [`crate::Registry::start_or_skip`]).
    pub fn start_or_skip(test: &str, username: &str, password: &str) -> Option<AuthRegistry> {
        match AuthRegistry::start(username, password) {
            Ok(r) => Some(r),
            Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => {
                panic!("{test}: a registry with basic auth is required under CI=true: {e}")
            }
            Err(e) => {
                #[allow(clippy::print_stderr)]
                {
                    eprintln!("{test}: skipped, {e}");
                }
                None
            }
        }
    }

    /// `127.0.0.1:PORT`.
    pub fn host(&self) -> String {
        self.addr.to_string()
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

fn config_text(dir: &Path, users: &Path, addr: SocketAddr) -> String {
    format!(
        "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nauth:\n  htpasswd:\n    realm: assay-test\n    path: {}\nhttp:\n  addr: {addr}\n",
        dir.join("data").display(),
        users.display()
    )
}

impl Drop for AuthRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
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
        let addr: SocketAddr = registry.host().parse().unwrap_or(registry.addr);
        assert_eq!(probe(addr), Some(401));
    }
}
