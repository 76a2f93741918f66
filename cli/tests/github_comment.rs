//! `assay report github-comment` against a local server that keeps pull-request comments the
//! way GitHub's REST API does: the first run creates assay's comment, later runs edit it.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::{Arc, Mutex};

use assay_testkit::http;

use common::{assay, run};

const TOKEN: &str = "ghs_canaryTOKEN0123456789";

#[derive(Default)]
struct Github {
    /// (id, body) of the pull request's comments, oldest first.
    comments: Vec<(u64, String)>,
    /// "METHOD path" of every request.
    requests: Vec<String>,
    /// Answer every request with this status instead.
    fail: Option<u16>,
}

/// Serves the issue-comment routes of repository acme/shop, pull request 7.
fn serve(state: Arc<Mutex<Github>>) -> String {
    http::serve(move |r| {
        let (method, path) = (r.method.as_str(), r.path());
        let mut st = state.lock().unwrap();
        st.requests.push(format!("{method} {}", r.target));
        let text = |b: &str| {
            serde_json::from_slice::<serde_json::Value>(&r.body).unwrap()["body"]
                .as_str()
                .unwrap_or(b)
                .to_string()
        };
        let comment = |id: u64, body: &str| {
            serde_json::json!({
                "id": id, "body": body,
                "html_url": format!("https://github.example/acme/shop/pull/7#issuecomment-{id}")
            })
        };
        let (status, answer) = if let Some(code) = st.fail {
            (code, serde_json::json!({"message": "Server Error"}))
        } else if r.header("authorization") != Some(&format!("Bearer {TOKEN}")) {
            (401, serde_json::json!({"message": "Bad credentials"}))
        } else if method == "GET" && path == "/repos/acme/shop/issues/7/comments" {
            let list: Vec<_> = st.comments.iter().map(|(i, b)| comment(*i, b)).collect();
            (200, serde_json::Value::Array(list))
        } else if method == "POST" && path == "/repos/acme/shop/issues/7/comments" {
            let id = 1000 + st.comments.len() as u64;
            let b = text("");
            st.comments.push((id, b.clone()));
            (201, comment(id, &b))
        } else if let (true, Some(id)) = (
            method == "PATCH",
            path.strip_prefix("/repos/acme/shop/issues/comments/")
                .and_then(|i| i.parse::<u64>().ok()),
        ) {
            let b = text("");
            match st.comments.iter_mut().find(|(i, _)| *i == id) {
                Some(c) => {
                    c.1 = b.clone();
                    (200, comment(id, &b))
                }
                None => (404, serde_json::json!({"message": "Not Found"})),
            }
        } else {
            (404, serde_json::json!({"message": "Not Found"}))
        };
        http::Response::json(status, answer.to_string())
    })
}

/// The demo's JSON report.
fn demo_report(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("assay.json");
    let (code, _, stderr) = run(assay().args([
        "scan",
        "fixtures/demo",
        "--format",
        "json",
        "--output",
        path.to_str().unwrap(),
    ]));
    assert_eq!(code, 1, "{stderr}");
    path
}

fn comment(api: &str, report: &std::path::Path, extra: &[&str]) -> (i32, String, String) {
    run(assay()
        .args([
            "report",
            "github-comment",
            report.to_str().unwrap(),
            "--api-url",
            api,
        ])
        .args(extra)
        .env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_REPOSITORY", "acme/shop")
        .env("GITHUB_REF", "refs/pull/7/merge"))
}

#[test]
fn the_first_run_creates_the_comment_and_later_runs_edit_it() {
    let dir = tempfile::tempdir().unwrap();
    let report = demo_report(dir.path());
    let state = Arc::new(Mutex::new(Github::default()));
    // Someone else's comment first: it must be left alone.
    state
        .lock()
        .unwrap()
        .comments
        .push((1, "looks good".into()));
    let api = serve(state.clone());

    let (code, _, stderr) = comment(&api, &report, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("issuecomment-1001"), "{stderr}");
    let (code, _, stderr) = comment(&api, &report, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("issuecomment-1001"), "{stderr}");

    let st = state.lock().unwrap();
    assert_eq!(st.comments.len(), 2, "one assay comment, edited in place");
    assert_eq!(st.comments[0].1, "looks good");
    let body = &st.comments[1].1;
    assert!(body.starts_with("<!-- assay-comment: assay -->\n## assay scan: fixtures/demo"));
    assert!(
        body.contains("ASSAY-DF-"),
        "the findings table is in the comment"
    );
    let methods: Vec<&str> = st
        .requests
        .iter()
        .map(|r| r.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(methods, ["GET", "POST", "GET", "PATCH"]);
}

#[test]
fn markers_keep_one_comment_per_job_and_the_event_file_names_the_pull_request() {
    let dir = tempfile::tempdir().unwrap();
    let report = demo_report(dir.path());
    let event = dir.path().join("event.json");
    std::fs::write(
        &event,
        r#"{"action":"synchronize","pull_request":{"number":7}}"#,
    )
    .unwrap();
    let state = Arc::new(Mutex::new(Github::default()));
    let api = serve(state.clone());
    for marker in ["image-a", "image-b", "image-a"] {
        let (code, _, stderr) = run(assay()
            .args(["report", "github-comment", report.to_str().unwrap()])
            .args([
                "--api-url",
                &api,
                "--repository",
                "acme/shop",
                "--marker",
                marker,
            ])
            .env("GITHUB_TOKEN", TOKEN)
            .env("GITHUB_EVENT_PATH", &event));
        assert_eq!(code, 0, "{stderr}");
    }
    let st = state.lock().unwrap();
    let markers: Vec<&str> = st
        .comments
        .iter()
        .map(|(_, b)| b.lines().next().unwrap())
        .collect();
    assert_eq!(
        markers,
        [
            "<!-- assay-comment: image-a -->",
            "<!-- assay-comment: image-b -->"
        ]
    );
}

#[test]
fn failures_are_one_line_with_their_exit_code_and_never_show_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let report = demo_report(dir.path());
    let state = Arc::new(Mutex::new(Github {
        fail: Some(500),
        ..Github::default()
    }));
    let api = serve(state.clone());

    let (code, stdout, stderr) = comment(&api, &report, &[]);
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.starts_with("assay: github /repos/acme/shop/issues/7/comments: 500"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(!stderr.contains(TOKEN) && !stdout.contains(TOKEN));

    // Not a pull request, no token, a malformed report: input errors (2), nothing sent.
    state.lock().unwrap().requests.clear();
    let (code, _, stderr) = run(assay()
        .args([
            "report",
            "github-comment",
            report.to_str().unwrap(),
            "--api-url",
            &api,
        ])
        .env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_REPOSITORY", "acme/shop")
        .env("GITHUB_REF", "refs/heads/main"));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("no pull request"), "{stderr}");
    let (code, _, stderr) = run(assay()
        .args([
            "report",
            "github-comment",
            report.to_str().unwrap(),
            "--pull-request",
            "7",
        ])
        .env("GITHUB_REPOSITORY", "acme/shop"));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("GITHUB_TOKEN is not set"), "{stderr}");
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\n  \"schema_version\": 3,\n").unwrap();
    let (code, _, stderr) = comment(&api, &bad, &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("bad.json:2: not an assay JSON report"),
        "{stderr}"
    );
    assert!(state.lock().unwrap().requests.is_empty());
}
