//! Starting and stopping a `docker-registry` process.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where Debian installs the distribution registry; `ASSAY_REGISTRY_BIN` overrides it.
pub const DEFAULT_BINARY: &str = "/usr/bin/docker-registry";

/// A running registry; stopped and its storage removed when dropped.
#[derive(Debug)]
pub struct Registry {
    process: Process,
}

/// A `docker-registry` process with its storage: killed and removed when dropped. Shared by
/// [`Registry`] and [`crate::auth::AuthRegistry`].
#[derive(Debug)]
pub(crate) struct Process {
    child: Child,
    pub(crate) addr: SocketAddr,
    _storage: tempfile::TempDir,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Why a registry could not be started.
#[derive(Debug)]
pub enum StartError {
    /// The binary is not installed.
    Missing(PathBuf),
    /// It was installed but did not come up.
    Failed(String),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Missing(p) => write!(
                f,
                "{} not found (apt-get install docker-registry)",
                p.display()
            ),
            StartError::Failed(why) => write!(f, "registry did not start: {why}"),
        }
    }
}

pub(crate) fn failed(e: impl std::fmt::Display) -> StartError {
    StartError::Failed(e.to_string())
}

/// The registry binary, or `Missing`; `ASSAY_REGISTRY_BIN` overrides the default.
pub(crate) fn binary() -> Result<PathBuf, StartError> {
    let bin = std::env::var_os("ASSAY_REGISTRY_BIN")
        .map_or_else(|| PathBuf::from(DEFAULT_BINARY), PathBuf::from);
    if bin.exists() {
        Ok(bin)
    } else {
        Err(StartError::Missing(bin))
    }
}

fn free_port() -> Result<u16, StartError> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(failed)?;
    listener.local_addr().map(|a| a.port()).map_err(failed)
}

/// `GET /v2/` over plain HTTP; the status code, if the registry answered.
pub(crate) fn probe(addr: SocketAddr) -> Option<u16> {
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

/// Writes `storage/config.yml` from `config` (given the address) and starts `docker-registry
/// serve` on a free port, waiting until `GET /v2/` answers `ready` (200 anonymous, 401 with
/// auth). A port can be taken between picking and binding, so it tries a few times.
pub(crate) fn launch(
    storage: tempfile::TempDir,
    config: impl Fn(SocketAddr) -> String,
    ready: u16,
) -> Result<Process, StartError> {
    let bin = binary()?;
    let mut last = String::new();
    for _ in 0..5 {
        let addr: SocketAddr = ([127, 0, 0, 1], free_port()?).into();
        let path = storage.path().join("config.yml");
        std::fs::write(&path, config(addr)).map_err(failed)?;
        let mut child = Command::new(&bin)
            .arg("serve")
            .arg(&path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| failed(format!("{}: {e}", bin.display())))?;
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if probe(addr) == Some(ready) {
                return Ok(Process {
                    child,
                    addr,
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

/// `Some` when started; `None` outside CI when it could not start (the test says so on
/// stderr); a panic under `CI=true`, where CI installs the registry and a failure to start
/// means the set-up broke.
pub(crate) fn or_skip<T>(test: &str, what: &str, started: Result<T, StartError>) -> Option<T> {
    match started {
        Ok(r) => Some(r),
        Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("{test}: {what} is required under CI=true: {e}")
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

impl Registry {
    /// Starts a registry with delete enabled and filesystem storage in a temp dir.
    pub fn start() -> Result<Registry, StartError> {
        let storage = tempfile::tempdir().map_err(failed)?;
        let data = storage.path().join("data");
        let process = launch(storage, |addr| config_text(&data, addr, ""), 200)?;
        Ok(Registry { process })
    }

    /// Starts a registry, or returns `None` outside CI when none is installed (the test then
    /// says so on stderr). Panics under `CI=true` when it cannot start.
    pub fn start_or_skip(test: &str) -> Option<Registry> {
        or_skip(test, "a registry", Registry::start())
    }

    /// `127.0.0.1:PORT`, the host part of references to this registry.
    pub fn host(&self) -> String {
        self.process.addr.to_string()
    }

    /// The socket address.
    pub fn addr(&self) -> SocketAddr {
        self.process.addr
    }

    /// Whether it still answers `GET /v2/` with 200.
    pub fn is_up(&self) -> bool {
        probe(self.process.addr) == Some(200)
    }
}

/// The registry's configuration; `extra` is appended at the top level (an `auth:` section).
pub(crate) fn config_text(data: &Path, addr: SocketAddr, extra: &str) -> String {
    format!(
        "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n{extra}http:\n  addr: {addr}\n",
        data.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_a_registry_on_a_free_loopback_port_and_stops_it() {
        let Some(registry) = Registry::start_or_skip("starts_a_registry") else {
            return;
        };
        assert!(registry.is_up());
        assert!(registry.host().starts_with("127.0.0.1:"));
        let addr = registry.addr();
        drop(registry);
        assert_ne!(
            probe(addr),
            Some(200),
            "registry still answering after drop"
        );
    }
}
