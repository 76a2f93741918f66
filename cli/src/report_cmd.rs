//! `assay report`: work with a JSON report written by `assay scan --format json`.
//!
//! `assay report github-comment` puts the report's Markdown summary on the pull request as
//! one comment and, on the next run, edits that same comment instead of adding another, so
//! a pull request pushed ten times carries one up-to-date assay comment (as trivy-action
//! users get from sticky-comment actions, without the third-party action).

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};
use serde::{Deserialize, Serialize};

use crate::exit::{Failure, OK};

/// Exit code for GitHub API failures (network or registry error class).
const NETWORK: u8 = 3;

/// GitHub rejects comment bodies over 65,536 characters; stay under with room for the note.
const COMMENT_LIMIT: usize = 65_000;

/// Examples shown by `assay report --help`.
pub const EXAMPLES: &str = "\
Examples:
  assay scan . --format json --output assay.json
  assay report github-comment assay.json          # in a pull_request workflow
  assay report github-comment assay.json --repository acme/shop --pull-request 42

Environment: GITHUB_TOKEN (needs pull-requests: write), GITHUB_REPOSITORY, GITHUB_API_URL,
and the pull request number from GITHUB_EVENT_PATH or GITHUB_REF (refs/pull/N/merge).";

/// `assay report` subcommands.
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Post the report's Markdown summary on a GitHub pull request, updating assay's earlier
    /// comment there instead of adding a new one.
    #[command(name = "github-comment")]
    GithubComment(GithubCommentArgs),
}

/// Arguments of `assay report github-comment`.
#[derive(Debug, Args)]
pub struct GithubCommentArgs {
    /// The JSON report (`assay scan --format json --output FILE`).
    pub report: PathBuf,
    /// OWNER/REPO (default: $GITHUB_REPOSITORY).
    #[arg(long, env = "GITHUB_REPOSITORY")]
    pub repository: Option<String>,
    /// The pull request number (default: from $GITHUB_EVENT_PATH, else $GITHUB_REF).
    #[arg(long)]
    pub pull_request: Option<u64>,
    /// Tells this comment from others assay writes on the same pull request (one per job
    /// or image): comments are matched by a hidden marker carrying this name.
    #[arg(long, default_value = "assay")]
    pub marker: String,
    /// The GitHub API (default: $GITHUB_API_URL, else https://api.github.com).
    #[arg(long, env = "GITHUB_API_URL")]
    pub api_url: Option<String>,
}

/// Runs an `assay report` subcommand.
pub fn run(command: &ReportCommand) -> anyhow::Result<u8> {
    match command {
        ReportCommand::GithubComment(args) => github_comment(args),
    }
}

fn github_comment(args: &GithubCommentArgs) -> anyhow::Result<u8> {
    let report = read_report(&args.report)?;
    let repository = args.repository.clone().ok_or_else(|| {
        Failure::input("--repository OWNER/REPO (or $GITHUB_REPOSITORY) is needed")
    })?;
    let (owner, repo) = repository
        .split_once('/')
        .filter(|(o, r)| !o.is_empty() && !r.is_empty() && !r.contains('/'))
        .ok_or_else(|| {
            Failure::input(format!("--repository {repository:?}: expected OWNER/REPO"))
        })?;
    let number = match args.pull_request {
        Some(n) => n,
        None => pull_request_from_env()?,
    };
    let token = std::env::var("GITHUB_TOKEN")
        .ok()
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Failure::input("GITHUB_TOKEN is not set (it needs pull-requests: write)"))?;
    let api = args
        .api_url
        .clone()
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| "https://api.github.com".to_string());
    let marker = marker_line(&args.marker);
    let markdown = assay_report::render(
        &report,
        assay_report::Format::Markdown,
        &assay_report::RenderOptions::default(),
    )
    .map_err(|e| Failure::input(format!("{}: {e}", args.report.display())))?;
    let body = comment_body(&marker, &String::from_utf8_lossy(&markdown));

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let url = runtime.block_on(upsert_comment(
        &api, &token, owner, repo, number, &marker, &body,
    ))?;
    note(&format!("comment on pull request #{number}: {url}"));
    Ok(OK)
}

/// A status line on stderr (stdout stays free for piping).
#[allow(clippy::print_stderr)]
fn note(message: &str) {
    eprintln!("assay: {message}");
}

/// Reads an assay JSON report, naming the file and line of a parse error.
fn read_report(path: &Path) -> anyhow::Result<assay_core::Report> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::input(format!("{}: {e}", path.display())))?;
    serde_json::from_str(&text).map_err(|e| {
        Failure::input(format!(
            "{}:{}: not an assay JSON report (assay scan --format json): {e}",
            path.display(),
            e.line()
        ))
        .into()
    })
}

/// The pull request of the running workflow: the event payload's `pull_request.number`
/// (`number` for pull_request_target and issue_comment events), else `refs/pull/N/...`.
fn pull_request_from_env() -> anyhow::Result<u64> {
    if let Some(path) = std::env::var_os("GITHUB_EVENT_PATH").filter(|p| !p.is_empty()) {
        let text = std::fs::read_to_string(&path).map_err(|e| {
            Failure::input(format!(
                "GITHUB_EVENT_PATH {}: {e}",
                Path::new(&path).display()
            ))
        })?;
        let event: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
            Failure::input(format!(
                "GITHUB_EVENT_PATH {}:{}: {e}",
                Path::new(&path).display(),
                e.line()
            ))
        })?;
        let number = event
            .pointer("/pull_request/number")
            .or_else(|| event.pointer("/issue/number"))
            .or_else(|| event.get("number"))
            .and_then(serde_json::Value::as_u64);
        if let Some(n) = number {
            return Ok(n);
        }
    }
    std::env::var("GITHUB_REF")
        .ok()
        .and_then(|r| {
            r.strip_prefix("refs/pull/")
                .and_then(|r| r.split('/').next()?.parse().ok())
        })
        .ok_or_else(|| {
            Failure::input(
                "no pull request: pass --pull-request N (this run's event is not a pull request)",
            )
            .into()
        })
}

/// The hidden line that identifies assay's comment (names are reduced to a safe alphabet so
/// the marker cannot close the HTML comment).
fn marker_line(name: &str) -> String {
    let name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_./:".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("<!-- assay-comment: {name} -->")
}

/// The comment: the marker, then the summary, cut at a line boundary to GitHub's limit.
fn comment_body(marker: &str, markdown: &str) -> String {
    let budget = COMMENT_LIMIT - marker.len() - 200;
    let mut body = format!("{marker}\n");
    if markdown.len() <= budget {
        body.push_str(markdown);
    } else {
        let mut cut = budget;
        while !markdown.is_char_boundary(cut) {
            cut -= 1;
        }
        let cut = markdown[..cut].rfind('\n').map_or(cut, |i| i + 1);
        body.push_str(&markdown[..cut]);
        body.push_str(
            "\n… the summary is cut here to fit a GitHub comment; the full report is in the \
             job's summary and artifacts.\n",
        );
    }
    body
}

#[derive(Debug, Deserialize)]
struct Comment {
    id: u64,
    #[serde(default)]
    body: Option<String>,
    html_url: String,
}

#[derive(Debug, Serialize)]
struct CommentBody<'a> {
    body: &'a str,
}

fn api_error(what: &str, e: octocrab::Error) -> anyhow::Error {
    // octocrab's GitHub errors carry the API's message and status, never the token.
    let detail = match &e {
        octocrab::Error::GitHub { source, .. } => {
            format!("{} {}", source.status_code.as_u16(), source.message)
        }
        other => other.to_string(),
    };
    Failure {
        code: NETWORK,
        message: format!("github {what}: {}", detail.replace('\n', " ")),
    }
    .into()
}

/// Edits the first comment carrying `marker` on the pull request, or creates one; returns
/// the comment's URL.
async fn upsert_comment(
    api: &str,
    token: &str,
    owner: &str,
    repo: &str,
    number: u64,
    marker: &str,
    body: &str,
) -> anyhow::Result<String> {
    let client = octocrab::Octocrab::builder()
        .base_uri(api)
        .map_err(|e| Failure::input(format!("GITHUB_API_URL {api:?}: {e}")))?
        .personal_token(token.to_string())
        .build()
        .map_err(|e| api_error(api, e))?;
    let list = format!("/repos/{owner}/{repo}/issues/{number}/comments");
    let mut existing = None;
    // Pages of 100, oldest first; a pull request with thousands of comments is capped at 50
    // pages rather than walked forever.
    for page in 1..=50u32 {
        let page_text = page.to_string();
        let comments: Vec<Comment> = client
            .get(
                &list,
                Some(&[("per_page", "100"), ("page", page_text.as_str())]),
            )
            .await
            .map_err(|e| api_error(&list, e))?;
        existing = comments
            .iter()
            .find(|c| c.body.as_deref().is_some_and(|b| b.starts_with(marker)))
            .map(|c| c.id);
        if existing.is_some() || comments.len() < 100 {
            break;
        }
    }
    let written: Comment = match existing {
        Some(id) => {
            let route = format!("/repos/{owner}/{repo}/issues/comments/{id}");
            client
                .patch(&route, Some(&CommentBody { body }))
                .await
                .map_err(|e| api_error(&route, e))?
        }
        None => client
            .post(&list, Some(&CommentBody { body }))
            .await
            .map_err(|e| api_error(&list, e))?,
    };
    Ok(written.html_url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_marker_cannot_break_out_of_its_html_comment() {
        assert_eq!(marker_line("image a"), "<!-- assay-comment: image_a -->");
        assert_eq!(marker_line("x-->y"), "<!-- assay-comment: x--_y -->");
    }

    #[test]
    fn long_summaries_are_cut_at_a_line_under_githubs_limit() {
        let line = "| HIGH | `ASSAY-X` | a/b | message |\n";
        let markdown = line.repeat(5000);
        let body = comment_body("<!-- m -->", &markdown);
        assert!(body.len() < 65_536, "{}", body.len());
        assert!(body.contains(&format!("{line}\n… the summary is cut here")));
        let short = comment_body("<!-- m -->", "## ok\n");
        assert_eq!(short, "<!-- m -->\n## ok\n");
    }
}
