//! Reading audit logs: `audit.k8s.io/v1` `Event`s as JSON lines (the API server's log backend),
//! gzip-compressed or not, or one `EventList` document (what webhook backends and
//! `kubectl get --raw` tooling save). Every event keeps the file and line it came from so
//! that findings point at it.

use std::io::{BufRead, BufReader};
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

/// An audit log that could not be read; the text names the file and line.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be opened or decompressed.
    #[error("{file}: {message}")]
    Io {
        /// File as the user named it.
        file: String,
        /// What failed, lower case.
        message: String,
    },
    /// A line or document is not valid JSON or not an audit event.
    #[error("{file}:{line}: {message}")]
    Malformed {
        /// File as the user named it.
        file: String,
        /// 1-based line.
        line: u32,
        /// What is wrong, lower case.
        message: String,
    },
}

/// Who made a request.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct UserInfo {
    /// User name (`system:serviceaccount:ns:name`, `alice@example.com`).
    pub username: String,
    /// Groups the user belongs to.
    pub groups: Vec<String>,
}

/// The object a request is about.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default, rename_all = "camelCase")]
pub struct ObjectRef {
    /// Resource (plural, lower case: `pods`).
    pub resource: String,
    /// Namespace, empty for cluster-scoped objects.
    pub namespace: String,
    /// Object name, empty for lists and some creates.
    pub name: String,
    /// Subresource (`exec`, `token`, `approval`).
    pub subresource: String,
    /// API group, empty for the core group.
    pub api_group: String,
}

/// The response's status, present at every audit level.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct ResponseStatus {
    /// HTTP status code.
    pub code: Option<u16>,
    /// Reason for a failure (`Forbidden`).
    pub reason: String,
}

/// One audit event, with the fields the rules read. Unknown fields are ignored so that newer
/// API servers' events still parse.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Event {
    /// `audit.k8s.io/v1`.
    pub api_version: String,
    /// `Event`.
    pub kind: String,
    /// Unique per request; both stages of a request share it.
    #[serde(rename = "auditID")]
    pub audit_id: String,
    /// `RequestReceived`, `ResponseStarted`, `ResponseComplete` or `Panic`.
    pub stage: String,
    /// The request path with query.
    #[serde(rename = "requestURI")]
    pub request_uri: String,
    /// Kubernetes verb (`get`, `list`, `create`, `patch`, ...).
    pub verb: String,
    /// Authenticated user.
    pub user: UserInfo,
    /// The user the request was made as, when impersonation was used.
    pub impersonated_user: Option<UserInfo>,
    /// Client addresses, the first being the original client.
    #[serde(rename = "sourceIPs")]
    pub source_ips: Vec<String>,
    /// Client user agent.
    pub user_agent: String,
    /// Object concerned, absent for non-resource URLs.
    pub object_ref: Option<ObjectRef>,
    /// Outcome.
    pub response_status: Option<ResponseStatus>,
    /// The request body (logged at level Request and above).
    pub request_object: Option<Value>,
    /// The response body (logged at level RequestResponse).
    pub response_object: Option<Value>,
    /// When the API server received the request (RFC 3339, microseconds).
    pub request_received_timestamp: String,
    /// When this stage was recorded.
    pub stage_timestamp: String,
}

impl Event {
    /// Whether this stage is the one to judge: the request is finished (or panicked), or the
    /// log has no stages. `RequestReceived` and `ResponseStarted` are earlier records of the same
    /// request and would double every finding.
    pub fn is_final(&self) -> bool {
        !matches!(self.stage.as_str(), "RequestReceived" | "ResponseStarted")
    }

    /// HTTP status code, when logged.
    pub fn code(&self) -> Option<u16> {
        self.response_status.as_ref().and_then(|s| s.code)
    }

    /// Whether the API server answered with success: 2xx, or 101 for the upgraded streams of
    /// exec, attach and port-forward. Events without a status are not counted as successes, so
    /// a rule never fires on a request whose outcome is unknown.
    pub fn succeeded(&self) -> bool {
        self.code()
            .is_some_and(|c| c == 101 || (200..300).contains(&c))
    }

    /// The resource, empty when the request is not about one.
    pub fn resource(&self) -> &str {
        self.object_ref.as_ref().map_or("", |o| o.resource.as_str())
    }

    /// The subresource, empty when none.
    pub fn subresource(&self) -> &str {
        self.object_ref
            .as_ref()
            .map_or("", |o| o.subresource.as_str())
    }

    /// The object the request is about, written `resource[/subresource] namespace/name`, or the
    /// request path for non-resource requests.
    pub fn object(&self) -> String {
        match &self.object_ref {
            Some(o) => {
                let mut s = o.resource.clone();
                if !o.subresource.is_empty() {
                    s.push('/');
                    s.push_str(&o.subresource);
                }
                // A create names its object only in the body.
                let body_name = self
                    .body()
                    .and_then(|b| b.get("metadata"))
                    .and_then(|m| m.get("name"))
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let name = if o.name.is_empty() {
                    body_name
                } else {
                    o.name.as_str()
                };
                let place = match (o.namespace.is_empty(), name.is_empty()) {
                    (true, true) => String::new(),
                    (true, false) => name.to_string(),
                    (false, true) => format!("{}/*", o.namespace),
                    (false, false) => format!("{}/{name}", o.namespace),
                };
                if !place.is_empty() {
                    s.push(' ');
                    s.push_str(&place);
                }
                s
            }
            None => self.request_uri.clone(),
        }
    }

    /// The request's time: when it was received, else when the stage was recorded.
    pub fn time(&self) -> &str {
        if self.request_received_timestamp.is_empty() {
            &self.stage_timestamp
        } else {
            &self.request_received_timestamp
        }
    }

    /// The whole object: as returned when logged (a patch's request body is only the patch),
    /// else as sent (audit policies log one or both).
    pub fn body(&self) -> Option<&Value> {
        let response = self
            .response_object
            .as_ref()
            .filter(|v| is_object_of_kind(v));
        let request = self.request_object.as_ref().filter(|v| v.is_object());
        if self.verb == "patch" {
            response.or(request)
        } else {
            request.or(response)
        }
    }
}

/// A response body that is an object (not a `Status`), so it describes what was stored.
fn is_object_of_kind(v: &Value) -> bool {
    v.is_object() && v.get("kind").and_then(Value::as_str) != Some("Status")
}

/// An event and where it was read.
#[derive(Debug, Clone)]
pub struct Located {
    /// The event.
    pub event: Event,
    /// File as the user named it.
    pub file: String,
    /// 1-based line of the event's first character.
    pub line: u32,
}

fn check_kind(event: &Event, file: &str, line: u32) -> Result<(), ReadError> {
    if event.kind == "Event" && event.api_version.starts_with("audit.k8s.io/") {
        return Ok(());
    }
    Err(ReadError::Malformed {
        file: file.to_string(),
        line,
        message: format!(
            "not an audit.k8s.io event (apiVersion {:?}, kind {:?})",
            event.api_version, event.kind
        ),
    })
}

fn json_error(file: &str, line: u32, e: &serde_json::Error) -> ReadError {
    // serde_json's message ends with "at line L column C"; the line is ours, the column helps.
    let text = e.to_string();
    let message = match text.rfind(" at line ") {
        Some(i) => format!(
            "invalid audit event: {} (column {})",
            &text[..i],
            e.column()
        ),
        None => format!("invalid audit event: {text}"),
    };
    ReadError::Malformed {
        file: file.to_string(),
        line,
        message,
    }
}

/// Reads every event of one file into memory; [`visit_file`] streams them instead.
pub fn read_file(path: &Path, name: &str) -> Result<Vec<Located>, ReadError> {
    let mut events = Vec::new();
    visit_file(path, name, &mut |e| events.push(e))?;
    Ok(events)
}

/// Reads events from any reader into memory; `name` is used in errors and locations.
pub fn read(reader: impl BufRead, name: &str) -> Result<Vec<Located>, ReadError> {
    let mut events = Vec::new();
    visit(reader, name, &mut |e| events.push(e))?;
    Ok(events)
}

/// Hands every event of one file to `each`, in file order, holding one at a time (audit logs
/// run to gigabytes). gzip is recognised by its magic bytes, not the name, so rotated logs work
/// whatever they are called.
pub fn visit_file(path: &Path, name: &str, each: &mut dyn FnMut(Located)) -> Result<(), ReadError> {
    let io = |e: std::io::Error| ReadError::Io {
        file: name.to_string(),
        message: e.to_string().to_lowercase(),
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut reader = BufReader::new(file);
    let gzip = reader.fill_buf().map_err(io)?.starts_with(&[0x1f, 0x8b]);
    if gzip {
        // MultiGzDecoder: logrotate and `cat a.gz b.gz` produce concatenated members.
        visit(
            BufReader::new(flate2::bufread::MultiGzDecoder::new(reader)),
            name,
            each,
        )
    } else {
        visit(reader, name, each)
    }
}

/// Hands every event read from `reader` to `each`; `name` is used in errors and locations.
pub fn visit(
    mut reader: impl BufRead,
    name: &str,
    each: &mut dyn FnMut(Located),
) -> Result<(), ReadError> {
    let mut line_no: u32 = 0;
    let mut seen = false;
    let mut buf = String::new();
    loop {
        buf.clear();
        let read = reader
            .read_line(&mut buf)
            .map_err(|e| ReadError::Malformed {
                file: name.to_string(),
                line: line_no + 1,
                message: e.to_string().to_lowercase(),
            })?;
        if read == 0 {
            return Ok(());
        }
        line_no += 1;
        let text = buf.trim();
        if text.is_empty() {
            continue;
        }
        if !seen && !starts_event_line(text) {
            // Not one event per line: the whole file is one document (an EventList, possibly
            // pretty-printed).
            let mut rest = String::new();
            reader
                .read_to_string(&mut rest)
                .map_err(|e| ReadError::Io {
                    file: name.to_string(),
                    message: e.to_string().to_lowercase(),
                })?;
            let document = format!("{buf}{rest}");
            return visit_list(&document, name, line_no, each);
        }
        seen = true;
        let event: Event = serde_json::from_str(text).map_err(|e| json_error(name, line_no, &e))?;
        check_kind(&event, name, line_no)?;
        each(Located {
            event,
            file: name.to_string(),
            line: line_no,
        });
    }
}

/// Whether the first line is a whole JSON object of kind `Event`.
fn starts_event_line(text: &str) -> bool {
    #[derive(Deserialize)]
    struct Kind {
        #[serde(default)]
        kind: String,
    }
    serde_json::from_str::<Kind>(text).is_ok_and(|k| k.kind == "Event")
}

/// An `EventList` document starting at `first_line` of the file.
fn visit_list(
    document: &str,
    name: &str,
    first_line: u32,
    each: &mut dyn FnMut(Located),
) -> Result<(), ReadError> {
    #[derive(Deserialize)]
    struct List<'a> {
        #[serde(default)]
        kind: String,
        #[serde(borrow, default)]
        items: Vec<&'a RawValue>,
    }
    let list: List<'_> = serde_json::from_str(document).map_err(|e| {
        json_error(
            name,
            first_line + u32::try_from(e.line().saturating_sub(1)).unwrap_or(0),
            &e,
        )
    })?;
    if list.kind != "EventList" {
        return Err(ReadError::Malformed {
            file: name.to_string(),
            line: first_line,
            message: format!(
                "expected one audit event per line or an EventList, found kind {:?}",
                list.kind
            ),
        });
    }
    let base = document.as_ptr() as usize;
    // Items come in document order: count newlines incrementally from the previous item.
    let (mut counted_to, mut line) = (0usize, first_line);
    for raw in list.items {
        // The raw item borrows from `document`, so its address gives its offset and line.
        let offset = (raw.get().as_ptr() as usize).saturating_sub(base);
        let newlines = document
            .get(counted_to..offset)
            .map_or(0, |s| s.bytes().filter(|b| *b == b'\n').count());
        line = line.saturating_add(u32::try_from(newlines).unwrap_or(u32::MAX));
        counted_to = offset.max(counted_to);
        let event: Event =
            serde_json::from_str(raw.get()).map_err(|e| json_error(name, line, &e))?;
        check_kind(&event, name, line)?;
        each(Located {
            event,
            file: name.to_string(),
            line,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVENT: &str = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","stage":"ResponseComplete","verb":"get","user":{"username":"a"},"responseStatus":{"code":200}}"#;

    #[test]
    fn reads_json_lines_with_line_numbers() {
        let text = format!("{EVENT}\n\n{EVENT}\n");
        let events = read(text.as_bytes(), "audit.log").expect("parses");
        assert_eq!(events.iter().map(|e| e.line).collect::<Vec<_>>(), [1, 3]);
        assert!(events[0].event.succeeded());
    }

    #[test]
    fn malformed_line_names_file_and_line() {
        let text = format!("{EVENT}\n{{\"kind\":\"Event\",\n");
        let err = read(text.as_bytes(), "audit.log").expect_err("fails");
        assert!(err.to_string().starts_with("audit.log:2: "), "{err}");
    }

    #[test]
    fn reads_pretty_event_list_with_item_lines() {
        let text = format!(
            "{{\n  \"kind\": \"EventList\",\n  \"apiVersion\": \"audit.k8s.io/v1\",\n  \"items\": [\n    {EVENT},\n    {EVENT}\n  ]\n}}\n"
        );
        let events = read(text.as_bytes(), "list.json").expect("parses");
        assert_eq!(events.iter().map(|e| e.line).collect::<Vec<_>>(), [5, 6]);
    }

    #[test]
    fn rejects_objects_that_are_not_events() {
        let err =
            read(r#"{"kind":"Pod","apiVersion":"v1"}"#.as_bytes(), "x.json").expect_err("fails");
        assert!(err.to_string().contains("x.json:1:"), "{err}");
    }
}
