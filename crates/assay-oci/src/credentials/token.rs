//! Docker identity tokens are OAuth2 refresh tokens: the registry's token server turns one
//! into an access token with `grant_type=refresh_token` (distribution's `oauth.md`). oci-client
//! only runs the basic-credentials `GET` flow, so this exchange is written here: ask `/v2/`
//! for the `Bearer` challenge, post the refresh token to its realm, return the access token.

use reqwest::header::{CONTENT_TYPE, WWW_AUTHENTICATE};

/// Where Docker Hub's registry API lives (`docker.io` names the hub, not the API host).
const DOCKER_HUB_API: &str = "registry-1.docker.io";

/// Exchanges `refresh_token` for a pull token for `repository` on `registry`. Errors are
/// one line and never contain a token.
pub(super) fn exchange(
    registry: &str,
    repository: &str,
    refresh_token: &str,
    plain_http: bool,
) -> Result<String, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("starting a runtime: {e}"))?;
    runtime.block_on(exchange_async(
        registry,
        repository,
        refresh_token,
        plain_http,
    ))
}

async fn exchange_async(
    registry: &str,
    repository: &str,
    refresh_token: &str,
    plain_http: bool,
) -> Result<String, String> {
    let host = if registry == "docker.io" {
        DOCKER_HUB_API
    } else {
        registry
    };
    let scheme = if plain_http { "http" } else { "https" };
    let client = reqwest::Client::new();
    let ping = client
        .get(format!("{scheme}://{host}/v2/"))
        .send()
        .await
        .map_err(|e| format!("GET /v2/: {}", without_url(&e)))?;
    let header = ping
        .headers()
        .get(WWW_AUTHENTICATE)
        .and_then(|h| h.to_str().ok())
        .ok_or("the registry asks for no token (no WWW-Authenticate header on /v2/)")?;
    let challenge = parse_bearer_challenge(header)
        .ok_or("the registry's challenge is not a Bearer challenge with a realm")?;
    let mut form = vec![
        ("grant_type", "refresh_token"),
        ("client_id", "assay"),
        ("refresh_token", refresh_token),
    ];
    if let Some(service) = &challenge.service {
        form.push(("service", service));
    }
    let scope = format!("repository:{repository}:pull");
    form.push(("scope", &scope));
    let response = client
        .post(&challenge.realm)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(form_encode(&form))
        .send()
        .await
        .map_err(|e| format!("POST to the token realm: {}", without_url(&e)))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("the token server answered {status}"));
    }
    #[derive(serde::Deserialize)]
    struct Reply {
        access_token: Option<String>,
        token: Option<String>,
    }
    let reply: Reply = response
        .json()
        .await
        .map_err(|_| "the token server's reply is not a token response".to_string())?;
    reply
        .access_token
        .or(reply.token)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| "the token server's reply holds no token".to_string())
}

/// A reqwest error without its URL (the realm may carry query parameters).
fn without_url(e: &reqwest::Error) -> String {
    let kind = if e.is_connect() {
        "cannot connect"
    } else if e.is_timeout() {
        "timed out"
    } else {
        "request failed"
    };
    kind.to_string()
}

/// `Bearer realm="...",service="..."`.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Challenge {
    pub(super) realm: String,
    pub(super) service: Option<String>,
}

/// Parses a `WWW-Authenticate: Bearer k="v",...` header (RFC 6750 auth-params, quoted or
/// token values). Hand-written: it is a dozen lines and no maintained crate parses only this.
pub(super) fn parse_bearer_challenge(header: &str) -> Option<Challenge> {
    let (scheme, params) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let mut realm = None;
    let mut service = None;
    let mut rest = params.trim();
    while !rest.is_empty() {
        let (key, after) = rest.split_once('=')?;
        let key = key
            .trim()
            .trim_start_matches(',')
            .trim()
            .to_ascii_lowercase();
        let after = after.trim_start();
        let (value, remainder) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"')?;
            (quoted.get(..end)?, quoted.get(end + 1..)?)
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after.get(..end)?.trim(), after.get(end..)?)
        };
        match key.as_str() {
            "realm" => realm = Some(value.to_string()),
            "service" => service = Some(value.to_string()),
            _ => {}
        }
        rest = remainder.trim_start().trim_start_matches(',').trim_start();
    }
    Some(Challenge {
        realm: realm.filter(|r| !r.is_empty())?,
        service,
    })
}

/// `application/x-www-form-urlencoded`: unreserved bytes as they are, the rest `%XX`.
fn form_encode(pairs: &[(&str, &str)]) -> String {
    fn encode(s: &str) -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    }
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn parses_quoted_and_bare_challenge_parameters() {
        let c = parse_bearer_challenge(
            r#"Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull""#,
        )
        .unwrap();
        assert_eq!(c.realm, "https://auth.example.com/token");
        assert_eq!(c.service.as_deref(), Some("registry.example.com"));
        let c = parse_bearer_challenge("bearer service=reg, realm=https://t.example/x").unwrap();
        assert_eq!(c.realm, "https://t.example/x");
        assert_eq!(c.service.as_deref(), Some("reg"));
    }

    #[test]
    fn rejects_basic_and_realmless_challenges() {
        assert_eq!(parse_bearer_challenge(r#"Basic realm="x""#), None);
        assert_eq!(parse_bearer_challenge(r#"Bearer service="x""#), None);
    }

    #[test]
    fn form_encoding_escapes_reserved_bytes() {
        assert_eq!(
            form_encode(&[("scope", "repository:a/b:pull"), ("t", "x y+z")]),
            "scope=repository%3Aa%2Fb%3Apull&t=x%20y%2Bz"
        );
    }

    #[test]
    fn exchanges_against_a_token_server() {
        // /v2/ answers the challenge, the realm answers a token only for the right refresh
        // token and scope.
        use assay_testkit::http::{Response, Server};
        let server = Server::bind();
        let realm = format!("{}/token", server.base());
        let base = server.serve(move |r| {
            let body = r.text();
            if r.method == "GET" && r.target.starts_with("/v2/") {
                let challenge = format!("Bearer realm=\"{realm}\",service=\"test\"");
                Response::new(401, "").with_header("WWW-Authenticate", &challenge)
            } else if body.contains("refresh_token=idt")
                && body.contains("scope=repository%3Ateam%2Fapp%3Apull")
                && body.contains("service=test")
            {
                Response::json(200, r#"{"access_token":"registry-token"}"#)
            } else {
                Response::new(401, "")
            }
        });
        let token = exchange(base.trim_start_matches("http://"), "team/app", "idt", true).unwrap();
        assert_eq!(token, "registry-token");
    }
}
