//! Approvals given outside assay, accepted when the policy says so: a GitHub environment
//! deployment approval of the current workflow run, approving reviews of a pull request
//! (octocrab), and a GitLab deployment approval (GitLab REST API through reqwest). Each
//! approver must be a release manager (by their `github`/`gitlab` login) or, on GitHub, a
//! member of a listed team; they count towards the same M-of-N as signed approvals, once per
//! person.
//!
//! APIs read (the JSON shapes are GitHub's and GitLab's documented ones):
//! - `GET /repos/{owner}/{repo}/actions/runs/{run_id}/approvals`: `[{state, comment,
//!   environments: [{name}], user: {login}}]`;
//! - `GET /repos/{owner}/{repo}/pulls/{number}/reviews`: `[{state, user: {login},
//!   submitted_at}]`, the latest review of each user counts (`APPROVED` or
//!   `CHANGES_REQUESTED`);
//! - `GET /orgs/{org}/teams/{slug}/memberships/{username}`: `{state: "active"}` or 404;
//! - GitLab `GET /projects/{id}/deployments/{deployment_id}`: `{status, approvals: [{user:
//!   {username}, status: "approved"|"rejected", comment}]}`;
//! - GitLab `GET /projects/{id}/deployments?environment={name}&order_by=id&sort=desc`: `[{id,
//!   deployable: {id}}]`, to find the deployment of the running job when
//!   `ASSAY_GITLAB_DEPLOYMENT_ID` is not set (GitLab gives a job no variable with its
//!   deployment id, and its jobs API does not name the deployment).

use serde::Deserialize;

use crate::approval::Verdict;
use crate::error::Error;
use crate::policy::{GithubRule, GitlabRule, Person};

/// An approval from GitHub or GitLab, attributed to a person.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ExternalApproval {
    /// The release manager's name, or `github:LOGIN` for a team member.
    pub person: String,
    /// Where it came from (`github environment production`, `github pull request #12`,
    /// `gitlab deployment 7`).
    pub channel: String,
    /// Approve or reject.
    pub decision: Verdict,
    /// The comment, if any.
    pub comment: Option<String>,
}

/// What the CI run says about itself (GitHub Actions and GitLab CI variables).
#[derive(Debug, Clone, Default)]
pub struct CiContext {
    /// GitHub API base (`GITHUB_API_URL`, default `https://api.github.com`).
    pub github_api: Option<String>,
    /// `GITHUB_TOKEN` (never printed).
    pub github_token: Option<String>,
    /// `GITHUB_RUN_ID`.
    pub github_run_id: Option<u64>,
    /// The pull request number (`ASSAY_GITHUB_PULL_REQUEST`, or from `GITHUB_REF`
    /// `refs/pull/N/merge`).
    pub github_pull_request: Option<u64>,
    /// GitLab API base (`CI_API_V4_URL`).
    pub gitlab_api: Option<String>,
    /// `GITLAB_TOKEN`, sent as `PRIVATE-TOKEN` (never printed).
    pub gitlab_token: Option<String>,
    /// `CI_JOB_TOKEN`, sent as `JOB-TOKEN` when there is no `GITLAB_TOKEN` (never printed).
    pub gitlab_job_token: Option<String>,
    /// The deployment (`ASSAY_GITLAB_DEPLOYMENT_ID`); when absent it is looked up from
    /// the job and its environment.
    pub gitlab_deployment: Option<u64>,
    /// The running job (`CI_JOB_ID`).
    pub gitlab_job: Option<u64>,
    /// The job's environment (`CI_ENVIRONMENT_NAME`).
    pub gitlab_environment: Option<String>,
}

impl CiContext {
    /// From the process environment.
    pub fn from_env() -> CiContext {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let pr = var("ASSAY_GITHUB_PULL_REQUEST")
            .and_then(|v| v.parse().ok())
            .or_else(|| {
                var("GITHUB_REF").and_then(|r| {
                    r.strip_prefix("refs/pull/")
                        .and_then(|rest| rest.split('/').next())
                        .and_then(|n| n.parse().ok())
                })
            });
        CiContext {
            github_api: var("GITHUB_API_URL"),
            github_token: var("GITHUB_TOKEN"),
            github_run_id: var("GITHUB_RUN_ID").and_then(|v| v.parse().ok()),
            github_pull_request: pr,
            gitlab_api: var("CI_API_V4_URL"),
            gitlab_token: var("GITLAB_TOKEN"),
            gitlab_job_token: var("CI_JOB_TOKEN"),
            gitlab_deployment: var("ASSAY_GITLAB_DEPLOYMENT_ID").and_then(|v| v.parse().ok()),
            gitlab_job: var("CI_JOB_ID").and_then(|v| v.parse().ok()),
            gitlab_environment: var("CI_ENVIRONMENT_NAME"),
        }
    }
}

fn network(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Copy(assay_oci::copy::CopyError::Network {
        url: what.to_string(),
        message: e.to_string(),
    })
}

#[derive(Debug, Deserialize)]
struct User {
    login: String,
}

#[derive(Debug, Deserialize)]
struct EnvName {
    name: String,
}

#[derive(Debug, Deserialize)]
struct RunApproval {
    state: String,
    #[serde(default)]
    comment: Option<String>,
    #[serde(default)]
    environments: Vec<EnvName>,
    user: User,
}

#[derive(Debug, Deserialize)]
struct Review {
    state: String,
    user: Option<User>,
}

#[derive(Debug, Deserialize)]
struct Membership {
    state: String,
}

/// Who `login` is for the policy: a release manager, a member of a listed team, or nobody.
async fn github_person(
    client: &octocrab::Octocrab,
    rule: &GithubRule,
    people: &[Person],
    login: &str,
) -> Result<Option<String>, Error> {
    if let Some(p) = people.iter().find(|p| {
        p.github
            .as_deref()
            .is_some_and(|g| g.eq_ignore_ascii_case(login))
    }) {
        return Ok(Some(p.name.clone()));
    }
    for team in &rule.teams {
        let Some((org, slug)) = team.split_once('/') else {
            continue;
        };
        let route = format!("/orgs/{org}/teams/{slug}/memberships/{login}");
        match client.get::<Membership, _, ()>(&route, None).await {
            Ok(m) if m.state == "active" => return Ok(Some(format!("github:{login}"))),
            Ok(_) => {}
            Err(octocrab::Error::GitHub { source, .. }) if source.status_code.as_u16() == 404 => {}
            Err(e) => return Err(network(&route, e)),
        }
    }
    Ok(None)
}

/// GitHub approvals for the current run's environment and the pull request's reviews.
pub async fn github(
    rule: &GithubRule,
    people: &[Person],
    ci: &CiContext,
) -> Result<Vec<ExternalApproval>, Error> {
    let mut builder = octocrab::Octocrab::builder();
    let api = ci
        .github_api
        .clone()
        .unwrap_or_else(|| "https://api.github.com".to_string());
    builder = builder
        .base_uri(api.as_str())
        .map_err(|e| Error::Input(format!("GITHUB_API_URL {api:?}: {e}")))?;
    if let Some(token) = &ci.github_token {
        builder = builder.personal_token(token.clone());
    }
    let client = builder.build().map_err(|e| network(&api, e))?;
    let (owner, repo) = rule.repository.split_once('/').ok_or_else(|| {
        Error::Input(format!(
            "github.repository {:?}: expected OWNER/REPO",
            rule.repository
        ))
    })?;
    let mut out = Vec::new();
    if let (Some(environment), Some(run)) = (&rule.environment, ci.github_run_id) {
        let route = format!("/repos/{owner}/{repo}/actions/runs/{run}/approvals");
        let approvals: Vec<RunApproval> = client
            .get(&route, None::<&()>)
            .await
            .map_err(|e| network(&route, e))?;
        for a in approvals {
            if !a.environments.iter().any(|e| &e.name == environment) {
                continue;
            }
            let decision = match a.state.as_str() {
                "approved" => Verdict::Approve,
                "rejected" => Verdict::Reject,
                _ => continue,
            };
            if let Some(person) = github_person(&client, rule, people, &a.user.login).await? {
                out.push(ExternalApproval {
                    person,
                    channel: format!("github environment {environment}"),
                    decision,
                    comment: a.comment.filter(|c| !c.is_empty()),
                });
            }
        }
    }
    if let (true, Some(number)) = (rule.pull_request_reviews, ci.github_pull_request) {
        let route = format!("/repos/{owner}/{repo}/pulls/{number}/reviews");
        let reviews: Vec<Review> = client
            .get(&route, Some(&[("per_page", "100")]))
            .await
            .map_err(|e| network(&route, e))?;
        // The latest decisive review of each user counts (GitHub lists them oldest first).
        let mut latest: Vec<(String, Verdict)> = Vec::new();
        for r in reviews {
            let Some(user) = r.user else { continue };
            let decision = match r.state.as_str() {
                "APPROVED" => Verdict::Approve,
                "CHANGES_REQUESTED" => Verdict::Reject,
                _ => continue,
            };
            latest.retain(|(l, _)| l != &user.login);
            latest.push((user.login, decision));
        }
        for (login, decision) in latest {
            if let Some(person) = github_person(&client, rule, people, &login).await? {
                out.push(ExternalApproval {
                    person,
                    channel: format!("github pull request #{number}"),
                    decision,
                    comment: None,
                });
            }
        }
    }
    Ok(out)
}

#[derive(Debug, Deserialize)]
struct Deployment {
    #[serde(default)]
    approvals: Vec<DeploymentApproval>,
}

#[derive(Debug, Deserialize)]
struct DeploymentApproval {
    user: GitlabUser,
    status: String,
    #[serde(default)]
    comment: Option<String>,
}

#[derive(Debug, Deserialize)]
struct GitlabUser {
    username: String,
}

/// An entry of the deployments list: the deployment and the job that runs it.
#[derive(Debug, Deserialize)]
struct ListedDeployment {
    id: u64,
    #[serde(default)]
    deployable: Option<Deployable>,
}

#[derive(Debug, Deserialize)]
struct Deployable {
    id: u64,
}

/// Deployments of one environment read when looking for the job's own: the newest first,
/// one page. The running job's deployment was created when its pipeline was, so it is among
/// the newest of its environment.
const DEPLOYMENTS_PAGE: &str = "100";

/// The GitLab REST API of one project, with the CI job's credentials.
struct Gitlab<'a> {
    client: reqwest::Client,
    /// `{api}/projects/{url-encoded id or path}`.
    project: String,
    ci: &'a CiContext,
}

impl Gitlab<'_> {
    /// GETs `{project}{path}` with `query` and parses the JSON answer.
    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T, Error> {
        let mut url = reqwest::Url::parse(&format!("{}{path}", self.project))
            .map_err(|e| Error::Input(format!("CI_API_V4_URL {}: {e}", self.project)))?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        let mut request = self.client.get(url.clone());
        // A personal, project or group token goes in PRIVATE-TOKEN; GitLab takes the CI job
        // token only in JOB-TOKEN.
        if let Some(token) = &self.ci.gitlab_token {
            request = request.header("PRIVATE-TOKEN", token);
        } else if let Some(token) = &self.ci.gitlab_job_token {
            request = request.header("JOB-TOKEN", token);
        }
        let response = request.send().await.map_err(|e| network(url.as_str(), e))?;
        if !response.status().is_success() {
            return Err(network(
                url.as_str(),
                format!("GitLab answered {}", response.status()),
            ));
        }
        response.json().await.map_err(|e| network(url.as_str(), e))
    }

    /// The deployment whose approvals count: `ASSAY_GITLAB_DEPLOYMENT_ID`, else the one the
    /// running job (`CI_JOB_ID`) performs in its environment (`CI_ENVIRONMENT_NAME`).
    /// `None` outside such a job or when the job has no deployment in this project.
    async fn deployment(&self) -> Result<Option<u64>, Error> {
        if let Some(id) = self.ci.gitlab_deployment {
            return Ok(Some(id));
        }
        let (Some(job), Some(environment)) = (self.ci.gitlab_job, &self.ci.gitlab_environment)
        else {
            return Ok(None);
        };
        let listed: Vec<ListedDeployment> = self
            .get(
                "/deployments",
                &[
                    ("environment", environment.as_str()),
                    ("order_by", "id"),
                    ("sort", "desc"),
                    ("per_page", DEPLOYMENTS_PAGE),
                ],
            )
            .await?;
        Ok(listed
            .into_iter()
            .find(|d| d.deployable.as_ref().is_some_and(|j| j.id == job))
            .map(|d| d.id))
    }
}

/// GitLab approvals of the current deployment.
pub async fn gitlab(
    rule: &GitlabRule,
    people: &[Person],
    ci: &CiContext,
) -> Result<Vec<ExternalApproval>, Error> {
    let api = ci
        .gitlab_api
        .clone()
        .unwrap_or_else(|| "https://gitlab.com/api/v4".to_string());
    let gitlab = Gitlab {
        client: reqwest::Client::new(),
        // Project paths are URL-encoded (`group/project` -> `group%2Fproject`).
        project: format!(
            "{}/projects/{}",
            api.trim_end_matches('/'),
            rule.project.replace('/', "%2F")
        ),
        ci,
    };
    let Some(deployment) = gitlab.deployment().await? else {
        return Ok(Vec::new());
    };
    let deployment_doc: Deployment = gitlab
        .get(&format!("/deployments/{deployment}"), &[])
        .await?;
    let mut out = Vec::new();
    for a in deployment_doc.approvals {
        let decision = match a.status.as_str() {
            "approved" => Verdict::Approve,
            "rejected" => Verdict::Reject,
            _ => continue,
        };
        let Some(person) = people.iter().find(|p| {
            p.gitlab
                .as_deref()
                .is_some_and(|g| g.eq_ignore_ascii_case(&a.user.username))
        }) else {
            continue;
        };
        out.push(ExternalApproval {
            person: person.name.clone(),
            channel: format!("gitlab deployment {deployment}"),
            decision,
            comment: a.comment.filter(|c| !c.is_empty()),
        });
    }
    Ok(out)
}

/// Every external approval the policy accepts, fetched on a private runtime.
pub fn collect(
    github_rule: Option<&GithubRule>,
    gitlab_rule: Option<&GitlabRule>,
    people: &[Person],
    ci: &CiContext,
) -> Result<Vec<ExternalApproval>, Error> {
    if github_rule.is_none() && gitlab_rule.is_none() {
        return Ok(Vec::new());
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| network("tokio runtime", e))?;
    runtime.block_on(async {
        let mut out = Vec::new();
        if let Some(rule) = github_rule {
            out.extend(github(rule, people, ci).await?);
        }
        if let Some(rule) = gitlab_rule {
            out.extend(gitlab(rule, people, ci).await?);
        }
        Ok(out)
    })
}
