//! GitHub and GitLab approvals read from a local HTTP server that answers with the JSON those
//! APIs document, so the requests (routes, pagination, URL-encoding) and the parsing are
//! tested without the network.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use assay_promote::approval::Verdict;
use assay_promote::external::{self, CiContext, ExternalApproval};
use assay_promote::policy::{GithubRule, GitlabRule, Person};

/// Serves `routes` (path without query -> JSON); 404 for anything else. Returns the base URL
/// and the paths requested (with queries).
fn serve(routes: BTreeMap<String, String>) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut reader = BufReader::new(conn.try_clone().expect("clone"));
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
                    break;
                }
            }
            let target = line.split_whitespace().nth(1).unwrap_or("").to_string();
            log.lock().expect("lock").push(target.clone());
            let path = target.split('?').next().unwrap_or("");
            let (status, body) = match routes.get(path) {
                Some(b) => ("200 OK", b.clone()),
                None => ("404 Not Found", r#"{"message":"Not Found"}"#.to_string()),
            };
            let _ = write!(
                conn,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (base, seen)
}

fn people() -> Vec<Person> {
    vec![
        Person {
            name: "release-manager-1".into(),
            github: Some("alice".into()),
            gitlab: None,
        },
        Person {
            name: "release-manager-2".into(),
            github: None,
            gitlab: Some("bob".into()),
        },
    ]
}

fn approval(
    person: &str,
    channel: &str,
    decision: Verdict,
    comment: Option<&str>,
) -> ExternalApproval {
    ExternalApproval {
        person: person.into(),
        channel: channel.into(),
        decision,
        comment: comment.map(str::to_string),
    }
}

#[test]
fn github_environment_approvals_and_reviews_count_listed_people_and_team_members() {
    let routes: BTreeMap<String, String> = [
        (
            "/repos/org/app/actions/runs/42/approvals",
            r#"[
              {"state":"approved","comment":"ship it","environments":[{"id":1,"name":"production"}],"user":{"login":"alice","id":1}},
              {"state":"approved","comment":"","environments":[{"id":2,"name":"staging"}],"user":{"login":"bob","id":2}},
              {"state":"approved","comment":"","environments":[{"id":1,"name":"production"}],"user":{"login":"carol","id":3}},
              {"state":"approved","comment":"","environments":[{"id":1,"name":"production"}],"user":{"login":"mallory","id":4}}
            ]"#,
        ),
        ("/orgs/org/teams/release/memberships/carol", r#"{"state":"active","role":"member"}"#),
        (
            "/repos/org/app/pulls/7/reviews",
            r#"[
              {"id":1,"state":"CHANGES_REQUESTED","user":{"login":"alice","id":1},"submitted_at":"2026-11-27T09:00:00Z"},
              {"id":2,"state":"APPROVED","user":{"login":"alice","id":1},"submitted_at":"2026-11-27T10:00:00Z"},
              {"id":3,"state":"COMMENTED","user":{"login":"carol","id":3},"submitted_at":"2026-11-27T10:30:00Z"},
              {"id":4,"state":"APPROVED","user":{"login":"dave","id":5},"submitted_at":"2026-11-27T11:00:00Z"}
            ]"#,
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let (base, seen) = serve(routes);
    let rule = GithubRule {
        repository: "org/app".into(),
        environment: Some("production".into()),
        pull_request_reviews: true,
        teams: vec!["org/release".into()],
    };
    let ci = CiContext {
        github_api: Some(base),
        github_token: Some("t0ken".into()),
        github_run_id: Some(42),
        github_pull_request: Some(7),
        ..CiContext::default()
    };
    let got = external::collect(Some(&rule), None, &people(), &ci).expect("github answers");
    assert_eq!(
        got,
        vec![
            approval(
                "release-manager-1",
                "github environment production",
                Verdict::Approve,
                Some("ship it")
            ),
            approval(
                "github:carol",
                "github environment production",
                Verdict::Approve,
                None
            ),
            approval(
                "release-manager-1",
                "github pull request #7",
                Verdict::Approve,
                None
            ),
        ]
    );
    let seen = seen.lock().expect("lock").clone();
    assert!(
        seen.contains(&"/orgs/org/teams/release/memberships/mallory".to_string()),
        "{seen:?}"
    );
    assert!(
        seen.iter()
            .any(|p| p.starts_with("/repos/org/app/pulls/7/reviews?per_page=100")),
        "{seen:?}"
    );
}

#[test]
fn gitlab_deployment_approvals_by_listed_users_count_and_rejections_block() {
    let routes: BTreeMap<String, String> = [(
        "/api/v4/projects/group%2Fapp/deployments/9",
        r#"{"id":9,"iid":3,"status":"blocked","approvals":[
            {"user":{"id":2,"username":"bob","name":"Bob"},"status":"rejected","created_at":"2026-11-27T10:00:00Z","comment":"not today"},
            {"user":{"id":7,"username":"eve","name":"Eve"},"status":"approved","created_at":"2026-11-27T10:05:00Z","comment":""}
        ]}"#,
    )]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let (base, _) = serve(routes);
    let rule = GitlabRule {
        project: "group/app".into(),
    };
    let ci = CiContext {
        gitlab_api: Some(format!("{base}/api/v4")),
        gitlab_token: Some("glpat".into()),
        gitlab_deployment: Some(9),
        ..CiContext::default()
    };
    let got = external::collect(None, Some(&rule), &people(), &ci).expect("gitlab answers");
    assert_eq!(
        got,
        vec![approval(
            "release-manager-2",
            "gitlab deployment 9",
            Verdict::Reject,
            Some("not today")
        )]
    );
}

#[test]
fn an_unreachable_api_is_a_network_error() {
    let rule = GitlabRule {
        project: "1".into(),
    };
    let ci = CiContext {
        gitlab_api: Some("http://127.0.0.1:1/api/v4".into()),
        gitlab_deployment: Some(1),
        ..CiContext::default()
    };
    let err = external::collect(None, Some(&rule), &people(), &ci).expect_err("refused");
    assert!(err.is_network(), "{err}");
}
