//! Commands that weaken the image: world-writable files, tools that make no sense in a
//! container, passwords set at build time, downloads over plain HTTP.

use assay_core::{Rule, Severity};

use super::{Ctx, Hit, excerpt, rule};
use crate::dockerfile::shell::Command;

pub(crate) const WORLD_WRITABLE: Rule = rule(
    "ASSAY-DF-063",
    Severity::Medium,
    "File made world-writable",
    "World-writable files (`chmod 777`, `o+w`) let any process in the container, whatever its user, replace binaries or configuration: a foothold becomes persistence.",
    "Give ownership to the user that needs it (`COPY --chown=app:app`, `chown`) and use modes like 755/644.",
    &[],
    false,
);

pub(crate) const NOT_IN_CONTAINER: Rule = rule(
    "ASSAY-DF-064",
    Severity::Info,
    "Command that makes no sense in a container",
    "Interactive or system-management tools (`ssh`, `vim`, `service`, `shutdown`, `mount`, `top`, `kill`...) do nothing useful in a build and suggest the image is treated like a VM.",
    "Remove the command; configure services through the entrypoint and debug with `docker exec`.",
    &["hadolint:DL3001"],
    false,
);

pub(crate) const CHPASSWD: Rule = rule(
    "ASSAY-DF-065",
    Severity::High,
    "Password set during the build",
    "`chpasswd`/`passwd` in a `RUN` bakes a password hash into the image, and a literal password into its history, for every copy of the image.",
    "Do not give accounts passwords in images; use key-based access outside the container or inject credentials at run time.",
    &["checkov:CKV2_DOCKER_17"],
    false,
);

pub(crate) const PLAIN_HTTP: Rule = rule(
    "ASSAY-DF-066",
    Severity::Medium,
    "Download over plain HTTP",
    "Anything fetched over `http://` can be altered in transit; a downloaded binary or package index becomes attacker-controlled code in the image.",
    "Use `https://` URLs (and verify a checksum for downloaded files).",
    &[],
    false,
);

const NONSENSE: &[&str] = &[
    "ssh",
    "vim",
    "vi",
    "nano",
    "shutdown",
    "reboot",
    "halt",
    "poweroff",
    "service",
    "systemctl",
    "mount",
    "top",
    "htop",
    "free",
    "kill",
    "killall",
    "ifconfig",
    "ps",
];

/// Whether a chmod mode grants write to others.
pub(crate) fn world_writable(mode: &str) -> bool {
    if !mode.is_empty() && mode.chars().all(|c| c.is_ascii_digit()) {
        // `1777` (sticky, like /tmp) is the accepted way to share a directory.
        if mode.len() == 4 && mode.starts_with('1') {
            return false;
        }
        return mode
            .chars()
            .last()
            .is_some_and(|d| matches!(d, '2' | '3' | '6' | '7'));
    }
    mode.split(',').any(|clause| {
        let (who, perms) = match clause.find(['+', '=']) {
            Some(i) => (
                clause.get(..i).unwrap_or(""),
                clause.get(i + 1..).unwrap_or(""),
            ),
            None => return false,
        };
        (who.contains('o') || who.contains('a')) && perms.contains('w')
    })
}

fn plain_http(arg: &str) -> bool {
    let Some(rest) = arg.strip_prefix("http://") else {
        return false;
    };
    let host = rest.split(['/', ':']).next().unwrap_or("");
    !matches!(host, "localhost" | "127.0.0.1" | "[::1]" | "0.0.0.0")
}

fn chmod_mode(c: &Command) -> Option<&str> {
    c.args()
        .iter()
        .map(String::as_str)
        .find(|a| !a.starts_with('-') || a.starts_with("-w") || a.starts_with("-r"))
}

pub(crate) fn check(ctx: &Ctx<'_>, out: &mut Vec<Hit>) {
    for (idx, ins) in ctx.instructions() {
        if (ins.is("COPY") || ins.is("ADD"))
            && let Some(mode) = ins.flag("chmod")
            && world_writable(mode)
        {
            ctx.hit(
                out,
                &WORLD_WRITABLE,
                idx,
                format!("`--chmod={mode}` in `{}`", excerpt(ins)),
            );
        }
        if ins.is("ADD")
            && let Some(url) = ins.expanded.iter().find(|a| plain_http(a))
        {
            ctx.hit(
                out,
                &PLAIN_HTTP,
                idx,
                format!("`ADD {url}` over plain HTTP"),
            );
        }
    }
    for run in &ctx.runs {
        for c in run.named(&["chmod"]) {
            if let Some(mode) = chmod_mode(c).filter(|m| world_writable(m)) {
                ctx.hit(
                    out,
                    &WORLD_WRITABLE,
                    run.index,
                    format!("`chmod {mode}` in `{}`", excerpt(run.ins)),
                );
            }
        }
        if let Some(c) = run.commands.iter().find(|c| NONSENSE.contains(&c.name())) {
            ctx.hit(
                out,
                &NOT_IN_CONTAINER,
                run.index,
                format!("`{}` in `{}`", c.name(), excerpt(run.ins)),
            );
        }
        if run.commands.iter().any(|c| {
            c.name() == "chpasswd"
                || (c.name() == "passwd"
                    && c.has_flag('d', &[]).then_some(()).is_none()
                    && c.has_arg(&["--stdin"]))
        }) {
            ctx.hit(
                out,
                &CHPASSWD,
                run.index,
                "an account password is set during the build",
            );
        }
        let downloads = run
            .commands
            .iter()
            .filter(|c| matches!(c.name(), "curl" | "wget" | "pip" | "pip3" | "git"));
        for c in downloads {
            if let Some(url) = c
                .args()
                .iter()
                .find(|a| plain_http(a) || a.strip_prefix("--index-url=").is_some_and(plain_http))
            {
                ctx.hit(
                    out,
                    &PLAIN_HTTP,
                    run.index,
                    format!("`{} {url}` over plain HTTP", c.name()),
                );
                break;
            }
        }
    }
}
