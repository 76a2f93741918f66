//! GitHub and GitLab approvals read from a local HTTP server that answers with the JSON those
//! APIs document, so the requests (routes, pagination, URL-encoding) and the parsing are
//! tested without the network.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use assay_promote::approval::Verdict;
use assay_promote::external::{self, CiContext, ExternalApproval};
use assay_promote::policy::{GithubRule, GitlabRule, Person};
use assay_testkit::http;

/// Serves `routes` (path without query -> JSON); 404 for anything else. Returns the base URL
/// and the paths requested (with queries).
fn serve(routes: BTreeMap<String, String>) -> (String, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let base = http::serve(move |r| {
        // GitLab's token headers are logged after the target (`/path JOB-TOKEN=...`).
        let mut logged = r.target.clone();
        for name in ["private-token", "job-token"] {
            if let Some(value) = r.header(name) {
                logged.push_str(&format!(" {}={value}", name.to_uppercase()));
            }
        }
        log.lock().expect("lock").push(logged);
        match routes.get(r.path()) {
            Some(body) => http::Response::json(200, body.clone()),
            None => http::Response::json(404, r#"{"message":"Not Found"}"#),
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
    let (base, seen) = serve(routes);
    let rule = GitlabRule {
        project: "group/app".into(),
    };
    let ci = CiContext {
        gitlab_api: Some(format!("{base}/api/v4")),
        gitlab_token: Some("glpat".into()),
        gitlab_job_token: Some("job".into()),
        gitlab_deployment: Some(9),
        gitlab_job: Some(1),
        gitlab_environment: Some("production".into()),
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
    // ASSAY_GITLAB_DEPLOYMENT_ID given: no lookup; the token is GITLAB_TOKEN's.
    assert_eq!(
        *seen.lock().expect("lock"),
        vec!["/api/v4/projects/group%2Fapp/deployments/9 PRIVATE-TOKEN=glpat".to_string()]
    );
}

/// GitLab's deployments list (the documented shape, trimmed): the newest first, each with
/// the job that runs it in `deployable`.
const DEPLOYMENTS: &str = r#"[
  {"id":14,"iid":6,"ref":"main","sha":"a1","status":"running","created_at":"2026-11-27T10:10:00Z",
   "user":{"id":3,"username":"carol"},"environment":{"id":9,"name":"production/eu"},
   "deployable":{"id":4712,"name":"assay-promote","stage":"deploy","status":"running","ref":"main"}},
  {"id":12,"iid":5,"ref":"main","sha":"a0","status":"running","created_at":"2026-11-27T10:00:00Z",
   "user":{"id":2,"username":"bob"},"environment":{"id":9,"name":"production/eu"},
   "deployable":{"id":4711,"name":"assay-promote","stage":"deploy","status":"running","ref":"main"}},
  {"id":7,"iid":1,"ref":"main","sha":"9f","status":"success","created_at":"2026-11-20T10:00:00Z",
   "user":{"id":2,"username":"bob"},"environment":{"id":9,"name":"production/eu"},
   "deployable":null}
]"#;

#[test]
fn gitlab_finds_the_deployment_of_the_running_job_without_a_deployment_id() {
    let routes: BTreeMap<String, String> = [
        ("/api/v4/projects/77/deployments", DEPLOYMENTS),
        (
            "/api/v4/projects/77/deployments/12",
            r#"{"id":12,"iid":5,"status":"running","deployable":{"id":4711},"approvals":[
                {"user":{"id":2,"username":"bob","name":"Bob"},"status":"approved","created_at":"2026-11-27T10:02:00Z","comment":"go"}
            ]}"#,
        ),
        (
            "/api/v4/projects/77/deployments/14",
            r#"{"id":14,"approvals":[{"user":{"id":2,"username":"bob"},"status":"rejected","comment":"wrong one"}]}"#,
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let (base, seen) = serve(routes);
    let rule = GitlabRule {
        project: "77".into(),
    };
    let ci = |job: u64| CiContext {
        gitlab_api: Some(format!("{base}/api/v4/")),
        gitlab_job_token: Some("job-secret".into()),
        gitlab_job: Some(job),
        gitlab_environment: Some("production/eu".into()),
        ..CiContext::default()
    };
    let got = external::collect(None, Some(&rule), &people(), &ci(4711)).expect("gitlab answers");
    assert_eq!(
        got,
        vec![approval(
            "release-manager-2",
            "gitlab deployment 12",
            Verdict::Approve,
            Some("go")
        )]
    );
    // The list is asked for the job's environment, newest first; the job token goes in
    // JOB-TOKEN, the header GitLab reads job tokens from.
    assert_eq!(
        *seen.lock().expect("lock"),
        vec![
            "/api/v4/projects/77/deployments?environment=production%2Feu&order_by=id&sort=desc&per_page=100 JOB-TOKEN=job-secret".to_string(),
            "/api/v4/projects/77/deployments/12 JOB-TOKEN=job-secret".to_string(),
        ]
    );

    // A job that deploys nothing in this project: no GitLab approvals, no deployment read.
    seen.lock().expect("lock").clear();
    let got = external::collect(None, Some(&rule), &people(), &ci(5000)).expect("answers");
    assert_eq!(got, vec![]);
    assert_eq!(seen.lock().expect("lock").len(), 1);

    // Outside a deployment job (no CI_JOB_ID or no environment): nothing is asked.
    seen.lock().expect("lock").clear();
    let outside = CiContext {
        gitlab_environment: None,
        ..ci(4711)
    };
    let got = external::collect(None, Some(&rule), &people(), &outside).expect("answers");
    assert_eq!(got, vec![]);
    assert!(seen.lock().expect("lock").is_empty());
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
