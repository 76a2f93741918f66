//! A small fault-injecting HTTP proxy in front of a test registry, so failure handling is
//! tested against real broken transfers: a 500 answer, a connection closed half-way through
//! a blob, a blob served with the wrong bytes.
//!
//! One thread per connection, one request per connection (`Connection: close` both ways),
//! so each fault hits exactly one request. Faults apply, in the order injected, to the next
//! `GET` requests for blobs (`/v2/<name>/blobs/<digest>`); everything else passes through.
//! The `Host` header is forwarded unchanged, so the registry's `Location` answers point back
//! at the proxy.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// A fault to inject into one blob download.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer `500 Internal Server Error` without asking the registry.
    ServerError,
    /// Send the headers and half of the body, then close the connection.
    ResetMidBlob,
    /// Send a body of the right length with every byte changed.
    WrongContent,
}

#[derive(Debug, Default)]
struct Shared {
    /// Queued faults, each for blob downloads whose path contains the string (any if `None`).
    faults: Mutex<Vec<(Option<String>, Fault)>>,
    blob_gets: AtomicUsize,
    requests: AtomicUsize,
}

/// A running proxy; stopped when dropped.
#[derive(Debug)]
pub struct FaultProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FaultProxy {
    /// Starts a proxy on a free loopback port forwarding to `upstream`.
    pub fn start(upstream: SocketAddr) -> io::Result<FaultProxy> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::default());
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (shared.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if st.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let s = s.clone();
                std::thread::spawn(move || {
                    let _ = serve(conn, upstream, &s);
                });
            }
        });
        Ok(FaultProxy {
            addr,
            shared,
            stop,
            thread: Some(thread),
        })
    }

    /// `127.0.0.1:PORT`, to use in image references instead of the registry's.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// Queues `fault` for the next `times` blob downloads (after those already queued).
    pub fn inject(&self, fault: Fault, times: usize) {
        if let Ok(mut f) = self.shared.faults.lock() {
            f.extend(std::iter::repeat_n((None, fault), times));
        }
    }

    /// Queues `fault` for the next `times` downloads of the blob `digest` only.
    pub fn inject_for(&self, digest: &str, fault: Fault, times: usize) {
        if let Ok(mut f) = self.shared.faults.lock() {
            f.extend(std::iter::repeat_n(
                (Some(digest.to_string()), fault),
                times,
            ));
        }
    }

    /// Faults queued and not yet used.
    pub fn pending(&self) -> usize {
        self.shared.faults.lock().map_or(0, |f| f.len())
    }

    /// Blob downloads seen so far.
    pub fn blob_gets(&self) -> usize {
        self.shared.blob_gets.load(Ordering::SeqCst)
    }

    /// Requests seen so far.
    pub fn requests(&self) -> usize {
        self.shared.requests.load(Ordering::SeqCst)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A request: its line, its headers (without `Connection`) and its body.
type Request = (String, Vec<String>, Vec<u8>);

/// The request head (request line and headers) and the body, read by `Content-Length`.
fn read_request(reader: &mut BufReader<TcpStream>) -> io::Result<Option<Request>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let request_line = line.trim_end().to_string();
    let mut headers = Vec::new();
    let mut length = 0usize;
    loop {
        let mut h = String::new();
        reader.read_line(&mut h)?;
        let h = h.trim_end().to_string();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().unwrap_or(0);
            }
            if k.eq_ignore_ascii_case("connection") {
                continue;
            }
        }
        headers.push(h);
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body)?;
    Ok(Some((request_line, headers, body)))
}

fn is_blob_get(request_line: &str) -> bool {
    let mut parts = request_line.split_whitespace();
    let (Some(method), Some(path)) = (parts.next(), parts.next()) else {
        return false;
    };
    method == "GET" && path.starts_with("/v2/") && path.contains("/blobs/sha256:")
}

/// Splits a raw HTTP response into head (with the final CRLFCRLF) and body.
fn split_response(raw: &[u8]) -> (&[u8], &[u8]) {
    match raw.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(i) => raw.split_at(i + 4),
        None => (raw, &[]),
    }
}

fn serve(client: TcpStream, upstream: SocketAddr, shared: &Shared) -> io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut client = client;
    let Some((request_line, headers, body)) = read_request(&mut reader)? else {
        return Ok(());
    };
    shared.requests.fetch_add(1, Ordering::SeqCst);
    let fault = if is_blob_get(&request_line) {
        shared.blob_gets.fetch_add(1, Ordering::SeqCst);
        shared.faults.lock().ok().and_then(|mut f| {
            let i = f
                .iter()
                .position(|(only, _)| only.as_deref().is_none_or(|d| request_line.contains(d)))?;
            Some(f.remove(i).1)
        })
    } else {
        None
    };
    if fault == Some(Fault::ServerError) {
        client.write_all(
            b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        )?;
        return client.shutdown(Shutdown::Both);
    }
    let mut up = TcpStream::connect(upstream)?;
    let mut head = format!("{request_line}\r\n");
    for h in &headers {
        head.push_str(h);
        head.push_str("\r\n");
    }
    head.push_str("Connection: close\r\n\r\n");
    up.write_all(head.as_bytes())?;
    up.write_all(&body)?;
    let mut raw = Vec::new();
    up.read_to_end(&mut raw)?;
    let (head, body) = split_response(&raw);
    // Registries answer blob GETs on another connection with a redirect at most; the
    // faults below apply to a 200 with the bytes.
    let ok = head.starts_with(b"HTTP/1.1 200");
    match fault {
        Some(Fault::ResetMidBlob) if ok => {
            client.write_all(head)?;
            client.write_all(body.get(..body.len() / 2).unwrap_or_default())?;
            client.flush()?;
            client.shutdown(Shutdown::Both)
        }
        Some(Fault::WrongContent) if ok => {
            let wrong: Vec<u8> = body.iter().map(|b| b ^ 0x5a).collect();
            client.write_all(head)?;
            client.write_all(&wrong)?;
            client.shutdown(Shutdown::Both)
        }
        _ => {
            client.write_all(head)?;
            client.write_all(body)?;
            client.shutdown(Shutdown::Both)
        }
    }
}
