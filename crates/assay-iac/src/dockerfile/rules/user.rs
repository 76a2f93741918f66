//! Who the container runs as and how the build gains privileges.

use assay_core::{Rule, Severity};

use super::{Ctx, Hit, excerpt, rule};
use crate::dockerfile::parse::Stage;

pub(crate) const ROOT: Rule = rule(
    "ASSAY-DF-009",
    Severity::High,
    "Container runs as root",
    "A process running as root inside the container is root on the host's kernel: any escape or mounted path is a full compromise, and many clusters (PSS restricted) refuse such images.",
    "Create an unprivileged user and end the final stage with `USER <name or uid>` (e.g. `USER 10001`).",
    &[
        "hadolint:DL3002",
        "checkov:CKV_DOCKER_3",
        "checkov:CKV_DOCKER_8",
        "trivy:DS002",
        "cis-docker:4.1",
    ],
    false,
);

pub(crate) const SUDO: Rule = rule(
    "ASSAY-DF-010",
    Severity::High,
    "RUN uses sudo",
    "`sudo` in an image keeps a privilege-escalation path at run time and behaves unpredictably in builds (TTY, PAM, environment resets).",
    "Run the privileged steps before `USER` switches away from root, or use `gosu`/`su-exec` in an entrypoint when a runtime switch is really needed.",
    &["hadolint:DL3004", "checkov:CKV2_DOCKER_1", "trivy:DS010"],
    false,
);

pub(crate) const USERADD_UID: Rule = rule(
    "ASSAY-DF-011",
    Severity::Low,
    "useradd with a high UID without -l",
    "`useradd` writes the lastlog and faillog entries for the UID as sparse files; a very high UID makes them gigabytes big in the layer.",
    "Add `-l` (`--no-log-init`) to `useradd`, or use a UID below 100000.",
    &["hadolint:DL3046"],
    false,
);

pub(crate) const LN_SH: Rule = rule(
    "ASSAY-DF-012",
    Severity::Low,
    "RUN replaces /bin/sh with a symlink",
    "Relinking `/bin/sh` changes the shell of every later script in the image, including package maintainer scripts, in a way that is invisible in the Dockerfile.",
    "Use the `SHELL [\"/bin/bash\", \"-c\"]` instruction to change the shell used by `RUN`.",
    &["hadolint:DL4005"],
    false,
);

fn is_root(user: &str) -> bool {
    let name = user.split(':').next().unwrap_or(user).trim();
    name == "root" || name == "0"
}

/// The last `USER` of a stage, following `FROM <stage>` chains.
fn last_user<'a>(ctx: &Ctx<'a>, stage: &'a Stage, depth: usize) -> Option<(usize, String)> {
    let own = ctx
        .stage_instructions(stage)
        .filter(|(_, i)| i.is("USER"))
        .last()
        .map(|(idx, i)| (idx, i.expanded.first().cloned().unwrap_or_default()));
    if own.is_some() || depth > ctx.df.stages.len() {
        return own;
    }
    let parent = ctx
        .stage_named(&stage.base)
        .filter(|p| p.index < stage.index && p.name.is_some())?;
    last_user(ctx, parent, depth + 1)
}

fn scratch_based(ctx: &Ctx<'_>, stage: &Stage) -> bool {
    let mut current = stage;
    for _ in 0..=ctx.df.stages.len() {
        if current.base.eq_ignore_ascii_case("scratch") {
            return true;
        }
        match ctx.stage_named(&current.base) {
            Some(p) if p.index < current.index && p.name.is_some() => current = p,
            _ => return false,
        }
    }
    false
}

pub(crate) fn check(ctx: &Ctx<'_>, out: &mut Vec<Hit>) {
    if let Some(last) = ctx.final_stage() {
        match last_user(ctx, last, 0) {
            Some((idx, user)) if is_root(&user) => {
                ctx.hit(
                    out,
                    &ROOT,
                    idx,
                    format!("the final stage's last USER is `{user}`"),
                );
            }
            Some(_) => {}
            None if scratch_based(ctx, last) => {}
            None => ctx.hit(
                out,
                &ROOT,
                last.from,
                format!(
                    "the final stage ({}) never sets USER, so it runs as root",
                    last.label()
                ),
            ),
        }
    }
    for run in &ctx.runs {
        if run.named(&["sudo"]).next().is_some() {
            ctx.hit(
                out,
                &SUDO,
                run.index,
                format!("sudo in `{}`", excerpt(run.ins)),
            );
        }
        for c in run.named(&["useradd"]) {
            if c.has_flag('l', &["--no-log-init"]) {
                continue;
            }
            let mut uid = None;
            let mut args = c.args().iter();
            while let Some(a) = args.next() {
                if a == "-u" || a == "--uid" {
                    uid = args.next().cloned();
                } else if let Some(v) = a
                    .strip_prefix("--uid=")
                    .or_else(|| a.strip_prefix("-u").filter(|v| !v.is_empty()))
                {
                    uid = Some(v.to_string());
                }
            }
            if let Some(n) = uid.and_then(|u| u.parse::<u64>().ok())
                && n >= 100_000
            {
                ctx.hit(
                    out,
                    &USERADD_UID,
                    run.index,
                    format!("`useradd` with UID {n} and no `-l`"),
                );
            }
        }
        if run
            .named(&["ln"])
            .any(|c| c.has_flag('s', &["--symbolic"]) && c.args().iter().any(|a| a == "/bin/sh"))
        {
            ctx.hit(
                out,
                &LN_SH,
                run.index,
                format!("`/bin/sh` relinked in `{}`", excerpt(run.ins)),
            );
        }
    }
}
