//! Downloads: piping scripts into a shell, disabled TLS or signature checks, the downloader
//! tools themselves and pipes that hide failures.

use assay_core::{Rule, Severity};

use super::{Ctx, Hit, Run, excerpt, rule};
use crate::dockerfile::shell::{Command, is_shell};

pub(crate) const CURL_SH: Rule = rule(
    "ASSAY-DF-037",
    Severity::High,
    "Remote script piped into a shell",
    "`curl ... | sh` runs whatever the server returns at build time, unverified; a compromised or spoofed server owns the image, and the build is not reproducible.",
    "Download the script to a file, verify its checksum or signature, then run it; better, install a pinned package.",
    &[],
    false,
);

pub(crate) const TLS_OFF: Rule = rule(
    "ASSAY-DF-038",
    Severity::High,
    "TLS certificate verification disabled",
    "Without certificate checks anyone on the network path can substitute the downloaded code or packages (man-in-the-middle).",
    "Remove `-k`/`--insecure`, `--no-check-certificate`, `--trusted-host`, `sslVerify false`, `strict-ssl false`, `NODE_TLS_REJECT_UNAUTHORIZED=0`, `GIT_SSL_NO_VERIFY`; install the CA certificate you need instead.",
    &[
        "checkov:CKV2_DOCKER_2",
        "checkov:CKV2_DOCKER_3",
        "checkov:CKV2_DOCKER_4",
        "checkov:CKV2_DOCKER_5",
        "checkov:CKV2_DOCKER_6",
        "checkov:CKV2_DOCKER_12",
        "checkov:CKV2_DOCKER_13",
        "checkov:CKV2_DOCKER_14",
        "checkov:CKV2_DOCKER_15",
        "checkov:CKV2_DOCKER_16",
    ],
    false,
);

pub(crate) const SIGNATURE_OFF: Rule = rule(
    "ASSAY-DF-039",
    Severity::High,
    "Package signature verification disabled",
    "Package managers verify signatures so that a mirror cannot serve modified packages; turning that off accepts any package from anyone who can reach the build.",
    "Remove `--allow-unauthenticated`, `--force-yes`, `--allow-untrusted`, `--nogpgcheck`, `--nosignature`/`--nodigest`; import the repository's signing key instead.",
    &[
        "checkov:CKV2_DOCKER_7",
        "checkov:CKV2_DOCKER_8",
        "checkov:CKV2_DOCKER_9",
        "checkov:CKV2_DOCKER_10",
        "checkov:CKV2_DOCKER_11",
    ],
    false,
);

pub(crate) const WGET_CURL: Rule = rule(
    "ASSAY-DF-040",
    Severity::Low,
    "Both wget and curl are used",
    "Two tools for the same job means two binaries (and their vulnerabilities) in the image.",
    "Pick one downloader (usually `curl`) for the whole Dockerfile.",
    &["hadolint:DL4001", "trivy:DS014"],
    false,
);

pub(crate) const WGET_PROGRESS: Rule = rule(
    "ASSAY-DF-041",
    Severity::Info,
    "wget without --progress",
    "wget's default progress bar floods build logs with thousands of lines.",
    "Use `wget --progress=dot:giga` or `-q`/`-nv`.",
    &["hadolint:DL3047"],
    true,
);

pub(crate) const PIPEFAIL: Rule = rule(
    "ASSAY-DF-042",
    Severity::Medium,
    "Pipe in RUN without pipefail",
    "`/bin/sh -c` only checks the last command of a pipe: `curl ... | tar x` succeeds even when the download failed, producing a broken image from a green build.",
    "Set `SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]` before the `RUN`, or start the command with `set -o pipefail &&`.",
    &["hadolint:DL4006"],
    false,
);

const DOWNLOADERS: &[&str] = &["curl", "wget"];
const INTERPRETERS: &[&str] = &["python", "python3", "perl", "ruby", "node", "php"];

fn env_disables_tls(name: &str, value: &str) -> bool {
    let v = value.trim_matches(['"', '\'']).to_ascii_lowercase();
    match name {
        "NODE_TLS_REJECT_UNAUTHORIZED" | "PYTHONHTTPSVERIFY" => v == "0",
        "GIT_SSL_NO_VERIFY" => !v.is_empty() && v != "0" && v != "false",
        "PIP_TRUSTED_HOST" => !v.is_empty(),
        "NPM_CONFIG_STRICT_SSL" | "npm_config_strict_ssl" => v == "false",
        _ => false,
    }
}

fn tls_off(c: &Command) -> Option<&'static str> {
    if let Some((k, _)) = c.env.iter().find(|(k, v)| env_disables_tls(k, v)) {
        return Some(match k.as_str() {
            "NODE_TLS_REJECT_UNAUTHORIZED" => "NODE_TLS_REJECT_UNAUTHORIZED=0",
            "GIT_SSL_NO_VERIFY" => "GIT_SSL_NO_VERIFY",
            _ => "an environment variable",
        });
    }
    let args: Vec<String> = c.args().iter().map(|a| a.to_ascii_lowercase()).collect();
    let has = |s: &str| args.iter().any(|a| a == s);
    let joined = args.join(" ");
    match c.name() {
        "curl" if c.has_flag('k', &["--insecure"]) => Some("curl --insecure"),
        "wget" if has("--no-check-certificate") => Some("wget --no-check-certificate"),
        "pip" | "pip3" | "uv"
            if args
                .iter()
                .any(|a| a == "--trusted-host" || a.starts_with("--trusted-host=")) =>
        {
            Some("pip --trusted-host")
        }
        "git"
            if joined.contains("http.sslverify=false")
                || joined.contains("http.sslverify false") =>
        {
            Some("git http.sslVerify false")
        }
        "npm" | "yarn" | "pnpm"
            if joined.contains("strict-ssl false") || joined.contains("strict-ssl=false") =>
        {
            Some("strict-ssl false")
        }
        "env" | "export" => c
            .args()
            .iter()
            .filter_map(|a| a.split_once('='))
            .find(|(k, v)| env_disables_tls(k, v))
            .map(|_| "an exported environment variable"),
        _ => None,
    }
}

fn signature_off(c: &Command) -> Option<String> {
    let flags: &[&str] = match c.name() {
        "apt-get" | "apt" | "aptitude" => &[
            "--allow-unauthenticated",
            "--force-yes",
            "--allow-insecure-repositories",
        ],
        "apk" => &["--allow-untrusted"],
        "rpm" => &["--nosignature", "--nodigest", "--nogpgcheck"],
        "yum" | "dnf" | "microdnf" | "tdnf" | "zypper" => &["--nogpgcheck", "--no-gpg-checks"],
        _ => return None,
    };
    if let Some(f) = c.args().iter().find(|a| flags.contains(&a.as_str())) {
        return Some(format!("{} {f}", c.name()));
    }
    c.args()
        .iter()
        .find(|a| a.to_ascii_lowercase().contains("allowunauthenticated=true"))
        .map(|a| format!("{} {a}", c.name()))
}

fn pipefail_shell(ctx: &Ctx<'_>, run: &Run<'_>) -> bool {
    let Some(stage) = ctx.stage_of(run.ins) else {
        return false;
    };
    let shell = ctx
        .stage_instructions(stage)
        .filter(|(i, ins)| *i < run.index && ins.is("SHELL"))
        .last()
        .map(|(_, ins)| ins.args.clone());
    match shell {
        Some(args) => {
            let program = args
                .first()
                .map_or("", |p| p.rsplit('/').next().unwrap_or(p));
            !is_shell(program) || args.iter().any(|a| a == "pipefail")
        }
        None => false,
    }
}

pub(crate) fn check(ctx: &Ctx<'_>, out: &mut Vec<Hit>) {
    for (idx, ins) in ctx.each("ENV") {
        for (k, v) in ins.pairs() {
            if env_disables_tls(k, v) {
                ctx.hit(
                    out,
                    &TLS_OFF,
                    idx,
                    format!("ENV `{k}` disables certificate verification"),
                );
            }
        }
    }
    for stage in &ctx.df.stages {
        let runs: Vec<&Run<'_>> = ctx
            .runs
            .iter()
            .filter(|r| r.ins.stage == Some(stage.index))
            .collect();
        let curl = runs.iter().find(|r| r.named(&["curl"]).next().is_some());
        let wget = runs.iter().find(|r| r.named(&["wget"]).next().is_some());
        if let (Some(c), Some(w)) = (curl, wget) {
            let later = if c.index > w.index { c } else { w };
            ctx.hit(
                out,
                &WGET_CURL,
                later.index,
                format!("{} uses both curl and wget", stage.label()),
            );
        }
    }
    for run in &ctx.runs {
        let cmds = &run.commands;
        for c in cmds.iter().filter(|c| DOWNLOADERS.contains(&c.name())) {
            let piped_to_shell = cmds.iter().any(|d| {
                d.pipeline == c.pipeline
                    && d.pipe_pos > c.pipe_pos
                    && (is_shell(d.name()) || INTERPRETERS.contains(&d.name()))
            });
            if piped_to_shell {
                ctx.hit(
                    out,
                    &CURL_SH,
                    run.index,
                    format!("`{}` output is piped into a shell", c.name()),
                );
            }
        }
        let substituted = cmds.iter().any(|c| {
            is_shell(c.name())
                && c.args().iter().any(|a| {
                    DOWNLOADERS
                        .iter()
                        .any(|d| a.contains(&format!("$({d} ")) || a.contains(&format!("<({d} ")))
                })
        });
        if substituted {
            ctx.hit(
                out,
                &CURL_SH,
                run.index,
                format!(
                    "a downloaded script is run by a shell in `{}`",
                    excerpt(run.ins)
                ),
            );
        }
        if let Some(what) = cmds.iter().find_map(tls_off) {
            ctx.hit(
                out,
                &TLS_OFF,
                run.index,
                format!("{what} in `{}`", excerpt(run.ins)),
            );
        }
        if let Some(what) = cmds.iter().find_map(signature_off) {
            ctx.hit(
                out,
                &SIGNATURE_OFF,
                run.index,
                format!("`{what}` in `{}`", excerpt(run.ins)),
            );
        }
        for c in run.named(&["wget"]) {
            let quiet =
                c.has_flag('q', &["--quiet", "--progress"]) || c.has_arg(&["-nv", "--no-verbose"]);
            if !quiet {
                ctx.hit(
                    out,
                    &WGET_PROGRESS,
                    run.index,
                    format!("`{}` without --progress", c.text()),
                );
            }
        }
        let has_pipe = !run.ins.json && cmds.iter().any(|c| c.pipe_pos > 0);
        let sets_pipefail = cmds
            .iter()
            .any(|c| c.name() == "set" && c.args().iter().any(|a| a == "pipefail"));
        if has_pipe && !sets_pipefail && !pipefail_shell(ctx, run) {
            ctx.hit(
                out,
                &PIPEFAIL,
                run.index,
                format!("pipe without pipefail in `{}`", excerpt(run.ins)),
            );
        }
    }
}
