//! A loopback HTTP/1.1 server for tests of assay's HTTP clients (the registry token flow,
//! GitHub and GitLab approvals, pull-request comments, database downloads): the test answers
//! each request with what the real API documents, and the client's requests are seen as
//! sent. One request per connection (`Connection: close`), which every client here honours.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};

/// A request as the server read it.
#[derive(Debug, Clone)]
pub struct Request {
    /// `GET`, `POST`...
    pub method: String,
    /// The request target as sent: path and query.
    pub target: String,
    /// Header names (lowercase) and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body (`Content-Length` bytes).
    pub body: Vec<u8>,
}

impl Request {
    /// The target without its query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (lossily).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// What to answer.
#[derive(Debug, Clone)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Extra headers (`Content-Length` and `Connection` are added).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// `status` with `body` and no extra header.
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// `status` with a JSON body.
    pub fn json(status: u16, body: impl Into<String>) -> Response {
        Response::new(status, body.into()).with_header("Content-Type", "application/json")
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
}

/// A bound, not yet serving, server: its address is known before the handler is written,
/// for handlers whose answers name the server itself (a token realm).
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    base: String,
}

impl Server {
    /// Binds a free port on 127.0.0.1.
    pub fn bind() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().expect("the bound address");
        Server {
            listener,
            base: format!("http://{addr}"),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Answers every request with `handle`, on a thread of its own for the rest of the test
    /// process; returns the base URL.
    pub fn serve(self, mut handle: impl FnMut(&Request) -> Response + Send + 'static) -> String {
        let Server { listener, base } = self;
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                if let Some(request) = read_request(&conn) {
                    let response = handle(&request);
                    write_response(conn, &response);
                }
            }
        });
        base
    }
}

/// [`Server::bind`] then [`Server::serve`].
pub fn serve(handle: impl FnMut(&Request) -> Response + Send + 'static) -> String {
    Server::bind().serve(handle)
}

/// One request; `None` when the connection closes first (a client giving up).
fn read_request(conn: &TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(conn);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    let length = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0usize);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        target,
        headers,
        body,
    })
}

fn write_response(mut conn: TcpStream, response: &Response) {
    let mut head = format!("HTTP/1.1 {} X\r\n", response.status);
    for (name, value) in &response.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        response.body.len()
    ));
    // A client that hung up is the test's business, not the server's.
    let _ = conn.write_all(head.as_bytes());
    let _ = conn.write_all(&response.body);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[test]
    fn answers_with_the_handler_and_shows_the_request() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        let base = serve(move |r| {
            log.lock().expect("log").push(r.clone());
            Response::json(201, r#"{"ok":true}"#).with_header("X-Test", "1")
        });
        let addr = base.trim_start_matches("http://");
        let mut conn = TcpStream::connect(addr).expect("connect");
        conn.write_all(b"POST /a/b?c=d HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\nContent-Length: 5\r\n\r\nhello")
            .expect("send");
        let mut answer = String::new();
        conn.read_to_string(&mut answer).expect("answer");
        assert!(answer.starts_with("HTTP/1.1 201 "), "{answer}");
        assert!(answer.contains("X-Test: 1\r\n") && answer.ends_with("\r\n\r\n{\"ok\":true}"));
        let request = seen.lock().expect("log").pop().expect("one request");
        assert_eq!((request.method.as_str(), request.path()), ("POST", "/a/b"));
        assert_eq!(request.target, "/a/b?c=d");
        assert_eq!(request.header("AUTHORIZATION"), Some("Bearer t"));
        assert_eq!(request.text(), "hello");
    }
}
