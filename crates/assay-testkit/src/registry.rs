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
    child: Child,
    addr: SocketAddr,
    _storage: tempfile::TempDir,
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

fn binary() -> PathBuf {
    std::env::var_os("ASSAY_REGISTRY_BIN")
        .map_or_else(|| PathBuf::from(DEFAULT_BINARY), PathBuf::from)
}

fn free_port() -> Result<u16, StartError> {
    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(|e| StartError::Failed(e.to_string()))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| StartError::Failed(e.to_string()))
}

/// `GET /v2/` over plain HTTP; the status code, if the registry answered.
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

impl Registry {
    /// Starts a registry with delete enabled and filesystem storage in a temp dir.
    pub fn start() -> Result<Registry, StartError> {
        let bin = binary();
        if !bin.exists() {
            return Err(StartError::Missing(bin));
        }
        let storage = tempfile::tempdir().map_err(|e| StartError::Failed(e.to_string()))?;
        // A port can be taken between picking and binding; retry a few times.
        let mut last = String::new();
        for _ in 0..5 {
            let port = free_port()?;
            let addr: SocketAddr = ([127, 0, 0, 1], port).into();
            let config = storage.path().join("config.yml");
            let data = storage.path().join("data");
            std::fs::write(&config, config_text(&data, addr))
                .map_err(|e| StartError::Failed(e.to_string()))?;
            let mut child = Command::new(&bin)
                .arg("serve")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| StartError::Failed(format!("{}: {e}", bin.display())))?;
            let deadline = Instant::now() + Duration::from_secs(15);
            while Instant::now() < deadline {
                if probe(addr) == Some(200) {
                    return Ok(Registry {
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

    /// Starts a registry, or returns `None` outside CI when none is installed (the test then
    /// says so on stderr). Panics under `CI=true` when it cannot start.
    pub fn start_or_skip(test: &str) -> Option<Registry> {
        match Registry::start() {
            Ok(r) => Some(r),
            Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => {
                panic!("{test}: a registry is required under CI=true: {e}")
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

    /// `127.0.0.1:PORT`, the host part of references to this registry.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// The socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Whether it still answers `GET /v2/` with 200.
    pub fn is_up(&self) -> bool {
        probe(self.addr) == Some(200)
    }
}

fn config_text(data: &Path, addr: SocketAddr) -> String {
    format!(
        "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {addr}\n",
        data.display()
    )
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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
