//! How instructions are used: ADD vs COPY, duplicated CMD/ENTRYPOINT/HEALTHCHECK, forms,
//! WORKDIR and destinations, EXPOSE, variables and deprecated syntax.

use assay_core::{Rule, Severity};

use super::{Ctx, Hit, excerpt, rule};
use crate::dockerfile::expand::references;
use crate::dockerfile::parse::{Instruction, Stage};

pub(crate) const ADD_LOCAL: Rule = rule(
    "ASSAY-DF-013",
    Severity::Low,
    "ADD used to copy local files",
    "`ADD` also fetches URLs and unpacks archives; using it for plain files hides that magic, and a source that later becomes an archive is silently extracted into the image.",
    "Use `COPY` for local files and folders; keep `ADD` for archives you want extracted.",
    &[
        "hadolint:DL3020",
        "checkov:CKV_DOCKER_4",
        "trivy:DS005",
        "cis-docker:4.9",
    ],
    false,
);

pub(crate) const ADD_URL: Rule = rule(
    "ASSAY-DF-014",
    Severity::Medium,
    "ADD downloads a URL without a checksum",
    "A remote file fetched by `ADD` is not verified: whoever controls the server (or the network) controls what lands in the image, and the build is not reproducible.",
    "Add `--checksum=sha256:<digest>` to `ADD`, or download with `curl` and verify the checksum in the same `RUN`.",
    &["hadolint:DL3020", "checkov:CKV_DOCKER_4", "cis-docker:4.9"],
    false,
);

pub(crate) const MAINTAINER: Rule = rule(
    "ASSAY-DF-015",
    Severity::Low,
    "MAINTAINER is deprecated",
    "`MAINTAINER` is deprecated and not part of the OCI image metadata that tools read.",
    "Use `LABEL org.opencontainers.image.authors=\"team@example.com\"` instead.",
    &[
        "hadolint:DL4000",
        "checkov:CKV_DOCKER_6",
        "trivy:DS022",
        "buildkit:MaintainerDeprecated",
    ],
    false,
);

pub(crate) const MULTIPLE_CMD: Rule = rule(
    "ASSAY-DF-016",
    Severity::Medium,
    "Stage has more than one CMD",
    "Only the last `CMD` takes effect; earlier ones are dead code that misleads readers about what the container runs.",
    "Keep a single `CMD` per stage.",
    &[
        "hadolint:DL4003",
        "trivy:DS016",
        "buildkit:MultipleInstructionsDisallowed",
    ],
    false,
);

pub(crate) const MULTIPLE_ENTRYPOINT: Rule = rule(
    "ASSAY-DF-017",
    Severity::Medium,
    "Stage has more than one ENTRYPOINT",
    "Only the last `ENTRYPOINT` takes effect; earlier ones are dead code that misleads reviewers.",
    "Keep a single `ENTRYPOINT` per stage.",
    &[
        "hadolint:DL4004",
        "trivy:DS007",
        "buildkit:MultipleInstructionsDisallowed",
    ],
    false,
);

pub(crate) const MULTIPLE_HEALTHCHECK: Rule = rule(
    "ASSAY-DF-018",
    Severity::Low,
    "Stage has more than one HEALTHCHECK",
    "Only the last `HEALTHCHECK` is used; the others are ignored.",
    "Keep a single `HEALTHCHECK` per stage.",
    &[
        "hadolint:DL3012",
        "trivy:DS023",
        "buildkit:MultipleInstructionsDisallowed",
    ],
    false,
);

pub(crate) const SHELL_FORM: Rule = rule(
    "ASSAY-DF-019",
    Severity::Low,
    "CMD or ENTRYPOINT uses the shell form",
    "In shell form the process runs under `/bin/sh -c`: it is not PID 1, does not receive SIGTERM and is killed after the grace period, losing in-flight work.",
    "Use the exec (JSON) form: `CMD [\"app\", \"--port\", \"8080\"]`.",
    &["hadolint:DL3025", "buildkit:JSONArgsRecommended"],
    false,
);

pub(crate) const NO_HEALTHCHECK: Rule = rule(
    "ASSAY-DF-020",
    Severity::Low,
    "Final image has no HEALTHCHECK",
    "Without a health check, Docker and Swarm cannot tell a hung container from a healthy one (Kubernetes uses probes instead, hence opt-in).",
    "Add `HEALTHCHECK CMD [\"/app\", \"healthcheck\"]` (or your probe) to the final stage.",
    &["checkov:CKV_DOCKER_2", "trivy:DS026", "cis-docker:4.6"],
    true,
);

pub(crate) const HEALTHCHECK_NONE: Rule = rule(
    "ASSAY-DF-021",
    Severity::Low,
    "Final image disables HEALTHCHECK",
    "`HEALTHCHECK NONE` removes a health check inherited from the base image, so failures go unnoticed by the runtime.",
    "Remove `HEALTHCHECK NONE` or replace it with a check suited to this image.",
    &["cis-docker:4.6"],
    false,
);

pub(crate) const CD: Rule = rule(
    "ASSAY-DF-022",
    Severity::Low,
    "RUN uses cd instead of WORKDIR",
    "`cd` only lasts for one `RUN`; later instructions silently run elsewhere, which is a classic source of files written to the wrong place.",
    "Use `WORKDIR /path` to change directory for the following instructions.",
    &["hadolint:DL3003", "trivy:DS013"],
    false,
);

pub(crate) const RELATIVE_WORKDIR: Rule = rule(
    "ASSAY-DF-023",
    Severity::Medium,
    "WORKDIR is a relative path",
    "A relative `WORKDIR` depends on the previous one (or the base image's), so the directory changes when the base image does.",
    "Use an absolute path: `WORKDIR /app`.",
    &[
        "hadolint:DL3000",
        "checkov:CKV_DOCKER_10",
        "trivy:DS009",
        "buildkit:WorkdirRelativePath",
    ],
    false,
);

pub(crate) const COPY_RELATIVE: Rule = rule(
    "ASSAY-DF-024",
    Severity::Low,
    "COPY to a relative destination without WORKDIR",
    "A relative destination is resolved against the base image's working directory, which you do not control; files end up somewhere unexpected when the base changes.",
    "Set `WORKDIR` first or copy to an absolute path.",
    &["hadolint:DL3045"],
    false,
);

pub(crate) const COPY_MULTI_DEST: Rule = rule(
    "ASSAY-DF-025",
    Severity::Medium,
    "COPY with several sources to a destination without trailing slash",
    "With more than one source the destination must be a directory ending in `/`; the build fails.",
    "End the destination with `/`: `COPY a b /app/`.",
    &["hadolint:DL3021", "trivy:DS011"],
    false,
);

pub(crate) const ENV_SELF_REF: Rule = rule(
    "ASSAY-DF-026",
    Severity::Medium,
    "ENV refers to a variable defined in the same instruction",
    "All values of one `ENV` are substituted before any is set, so `ENV A=1 B=$A` gives `B` the old (usually empty) `A`.",
    "Split the instruction: `ENV A=1` then `ENV B=$A`.",
    &["hadolint:DL3044"],
    false,
);

pub(crate) const EXPOSE_SSH: Rule = rule(
    "ASSAY-DF-027",
    Severity::Medium,
    "EXPOSE 22 (SSH)",
    "An SSH daemon in a container is an extra remote entry point with its own keys to manage; use `docker exec`/`kubectl exec` to get a shell.",
    "Remove `EXPOSE 22` and the SSH server.",
    &["checkov:CKV_DOCKER_1", "trivy:DS004"],
    false,
);

pub(crate) const EXPOSE_PORT: Rule = rule(
    "ASSAY-DF-028",
    Severity::Medium,
    "EXPOSE has an invalid port",
    "Ports are 1-65535; anything else fails the build or is ignored, so the image documents a port that does not exist.",
    "Use a port number between 1 and 65535 (optionally `/tcp` or `/udp`), or a range `8000-8010`.",
    &["hadolint:DL3011", "trivy:DS008"],
    false,
);

pub(crate) const EXPOSE_PROTOCOL: Rule = rule(
    "ASSAY-DF-029",
    Severity::Low,
    "EXPOSE has an unknown protocol",
    "Only `tcp`, `udp` and `sctp` are understood; a typo makes the runtime reject the port.",
    "Write `EXPOSE 53/udp` or `EXPOSE 8080/tcp`.",
    &[],
    false,
);

pub(crate) const ONBUILD: Rule = rule(
    "ASSAY-DF-030",
    Severity::Info,
    "ONBUILD trigger",
    "`ONBUILD` runs instructions in other people's builds, invisibly to them; it is deprecated in the OCI image format and surprising in reviews.",
    "Document the steps for downstream images instead, or provide a build stage to copy from.",
    &[],
    true,
);

pub(crate) const ARG_BEFORE_DECL: Rule = rule(
    "ASSAY-DF-031",
    Severity::Medium,
    "Variable used before its ARG or ENV",
    "A variable referenced before it is declared expands to an empty string: `FROM $BASE` with `ARG BASE` inside the stage, or `WORKDIR $DIR` above `ARG DIR`, silently uses the wrong value.",
    "Declare the `ARG` before use (global `ARG`s before the first `FROM` for `FROM` lines).",
    &["buildkit:UndefinedVar"],
    false,
);

pub(crate) const LABEL_MAINTAINER: Rule = rule(
    "ASSAY-DF-032",
    Severity::Info,
    "Final image has no author label",
    "Without an owner label, whoever finds a vulnerable image in production cannot tell who to contact.",
    "Add `LABEL org.opencontainers.image.authors=\"team@example.com\"` (or `maintainer=`).",
    &["hadolint:DL3049"],
    true,
);

pub(crate) const LEGACY_ENV: Rule = rule(
    "ASSAY-DF-033",
    Severity::Low,
    "ENV or LABEL uses the legacy `key value` form",
    "The space-separated form sets one variable whose value is the whole rest of the line, which is easy to misread; BuildKit warns about it.",
    "Write `ENV KEY=value` (quote values with spaces).",
    &["buildkit:LegacyKeyValueFormat"],
    false,
);

const ARCHIVE_SUFFIXES: &[&str] = &[
    ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar.zst", ".gz", ".bz2",
    ".xz",
];

fn is_url(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    l.starts_with("http://") || l.starts_with("https://") || l.starts_with("ftp://")
}

fn is_git(s: &str) -> bool {
    s.starts_with("git@") || s.ends_with(".git") || s.contains(".git#")
}

/// Sources and destination of `COPY`/`ADD` (heredoc markers count as sources).
pub(crate) fn sources_and_dest(ins: &Instruction) -> (Vec<&str>, Option<&str>) {
    let args: Vec<&str> = ins.expanded.iter().map(String::as_str).collect();
    match args.split_last() {
        Some((dest, sources)) => (sources.to_vec(), Some(*dest)),
        None => (Vec::new(), None),
    }
}

fn has_workdir_before(ctx: &Ctx<'_>, stage: &Stage, idx: usize, depth: usize) -> bool {
    if ctx
        .stage_instructions(stage)
        .any(|(i, ins)| i < idx && ins.is("WORKDIR"))
    {
        return true;
    }
    match ctx.stage_named(&stage.base) {
        Some(p) if p.index < stage.index && p.name.is_some() && depth < ctx.df.stages.len() => {
            has_workdir_before(ctx, p, usize::MAX, depth + 1)
        }
        _ => false,
    }
}

fn check_expose(ctx: &Ctx<'_>, out: &mut Vec<Hit>, idx: usize, ins: &Instruction) {
    for (raw, port) in ins.args.iter().zip(&ins.expanded) {
        if port.is_empty() && raw.contains('$') {
            continue;
        }
        let (number, proto) = match port.split_once('/') {
            Some((n, p)) => (n, Some(p)),
            None => (port.as_str(), None),
        };
        let valid = |p: &str| p.parse::<u32>().is_ok_and(|n| (1..=65535).contains(&n));
        let ok = match number.split_once('-') {
            Some((a, b)) => valid(a) && valid(b),
            None => valid(number),
        };
        if !ok {
            ctx.hit(
                out,
                &EXPOSE_PORT,
                idx,
                format!("`EXPOSE {port}` is not a valid port"),
            );
        } else if number == "22" {
            ctx.hit(out, &EXPOSE_SSH, idx, "port 22 is exposed".to_string());
        }
        if let Some(p) = proto
            && !matches!(p.to_ascii_lowercase().as_str(), "tcp" | "udp" | "sctp")
        {
            ctx.hit(
                out,
                &EXPOSE_PROTOCOL,
                idx,
                format!("`EXPOSE {port}` uses protocol `{p}`"),
            );
        }
    }
}

fn per_stage(ctx: &Ctx<'_>, out: &mut Vec<Hit>) {
    for stage in &ctx.df.stages {
        for (kw, rule) in [
            ("CMD", &MULTIPLE_CMD),
            ("ENTRYPOINT", &MULTIPLE_ENTRYPOINT),
            ("HEALTHCHECK", &MULTIPLE_HEALTHCHECK),
        ] {
            for (n, (idx, _)) in ctx
                .stage_instructions(stage)
                .filter(|(_, i)| i.is(kw))
                .enumerate()
            {
                if n > 0 {
                    ctx.hit(
                        out,
                        rule,
                        idx,
                        format!("{kw} number {} in {}", n + 1, stage.label()),
                    );
                }
            }
        }
    }
    let Some(last) = ctx.final_stage() else {
        return;
    };
    let mut chain = vec![last];
    let mut current = last;
    while let Some(p) = ctx
        .stage_named(&current.base)
        .filter(|p| p.index < current.index && p.name.is_some())
    {
        if chain.len() > ctx.df.stages.len() {
            break;
        }
        chain.push(p);
        current = p;
    }
    let healthchecks: Vec<(usize, &Instruction)> = chain
        .iter()
        .rev()
        .flat_map(|s| {
            ctx.stage_instructions(s)
                .filter(|(_, i)| i.is("HEALTHCHECK"))
                .collect::<Vec<_>>()
        })
        .collect();
    match healthchecks.last() {
        None => ctx.hit(
            out,
            &NO_HEALTHCHECK,
            last.from,
            format!("the final stage ({}) has no HEALTHCHECK", last.label()),
        ),
        Some((idx, ins)) if ins.args.first().is_some_and(|a| a == "NONE") => {
            ctx.hit(
                out,
                &HEALTHCHECK_NONE,
                *idx,
                "the final stage disables its health check",
            );
        }
        Some(_) => {}
    }
    let labelled = chain.iter().any(|s| {
        ctx.stage_instructions(s).any(|(_, i)| {
            i.is("LABEL")
                && i.pairs().any(|(k, _)| {
                    let k = k.to_ascii_lowercase();
                    k == "maintainer" || k == "org.opencontainers.image.authors"
                })
        })
    });
    if !labelled {
        ctx.hit(
            out,
            &LABEL_MAINTAINER,
            last.from,
            format!("the final stage ({}) has no author label", last.label()),
        );
    }
}

fn check_variables(ctx: &Ctx<'_>, out: &mut Vec<Hit>, idx: usize, ins: &Instruction) {
    for name in &ins.undefined_vars {
        let declared_later = if ins.is("FROM") {
            ctx.each("ARG").any(|(_, a)| declares(a, name))
        } else {
            let Some(stage) = ctx.stage_of(ins) else {
                continue;
            };
            ctx.stage_instructions(stage).any(|(j, a)| {
                j > idx
                    && ((a.is("ARG") && declares(a, name))
                        || (a.is("ENV") && a.pairs().any(|(k, _)| k == name)))
            })
        };
        if declared_later {
            ctx.hit(
                out,
                &ARG_BEFORE_DECL,
                idx,
                format!("`${name}` is used before it is declared"),
            );
        }
    }
}

fn declares(arg: &Instruction, name: &str) -> bool {
    arg.expanded
        .iter()
        .any(|w| w.split('=').next() == Some(name))
}

pub(crate) fn check(ctx: &Ctx<'_>, out: &mut Vec<Hit>) {
    per_stage(ctx, out);
    for (idx, ins) in ctx.instructions() {
        check_variables(ctx, out, idx, ins);
        match ins.keyword.as_str() {
            "ADD" => {
                let (sources, _) = sources_and_dest(ins);
                for s in sources {
                    if is_url(s) && !is_git(s) {
                        if ins.flag("checksum").is_none() {
                            ctx.hit(
                                out,
                                &ADD_URL,
                                idx,
                                format!("`ADD {s}` downloads without a checksum"),
                            );
                        }
                    } else if !is_url(s) && !is_git(s) {
                        let lower = s.to_ascii_lowercase();
                        if !ARCHIVE_SUFFIXES.iter().any(|x| lower.ends_with(x)) {
                            ctx.hit(
                                out,
                                &ADD_LOCAL,
                                idx,
                                format!("`ADD` copies local `{s}`; use COPY"),
                            );
                            break;
                        }
                    }
                }
            }
            "MAINTAINER" => ctx.hit(out, &MAINTAINER, idx, format!("`{}`", excerpt(ins))),
            "CMD" | "ENTRYPOINT" if !ins.json && !ins.args.is_empty() => {
                ctx.hit(
                    out,
                    &SHELL_FORM,
                    idx,
                    format!("shell form in `{}`", excerpt(ins)),
                );
            }
            "WORKDIR" => {
                let dir = ins.expanded.first().map_or("", String::as_str);
                let raw = ins.args.first().map_or("", String::as_str);
                let windows = dir.get(1..3).is_some_and(|s| s == ":\\" || s == ":/");
                if !dir.starts_with('/') && !raw.starts_with('$') && !windows && !dir.is_empty() {
                    ctx.hit(
                        out,
                        &RELATIVE_WORKDIR,
                        idx,
                        format!("`WORKDIR {dir}` is relative"),
                    );
                }
            }
            "EXPOSE" => check_expose(ctx, out, idx, ins),
            "ONBUILD" => ctx.hit(out, &ONBUILD, idx, format!("`{}`", excerpt(ins))),
            "ENV" | "LABEL" => {
                if ins
                    .rest
                    .split_whitespace()
                    .next()
                    .is_some_and(|k| !k.contains('='))
                {
                    ctx.hit(
                        out,
                        &LEGACY_ENV,
                        idx,
                        format!("legacy form in `{}`", excerpt(ins)),
                    );
                }
                if ins.is("ENV") {
                    let mut defined: Vec<&str> = Vec::new();
                    for (k, v) in ins.raw_pairs() {
                        if let Some(r) = references(v, ctx.df.escape)
                            .into_iter()
                            .find(|r| defined.contains(&r.as_str()))
                        {
                            ctx.hit(
                                out,
                                &ENV_SELF_REF,
                                idx,
                                format!("`{k}` refers to `${r}`, set in the same ENV"),
                            );
                        }
                        defined.push(k);
                    }
                }
            }
            _ => {}
        }
        if ins.is("COPY") || ins.is("ADD") {
            let (sources, dest) = sources_and_dest(ins);
            let Some(dest) = dest else { continue };
            if sources.len() > 1 && !dest.ends_with('/') && !dest.ends_with('\\') {
                ctx.hit(
                    out,
                    &COPY_MULTI_DEST,
                    idx,
                    format!("{} sources copied to `{dest}`", sources.len()),
                );
            }
            let raw_dest = ins.args.last().map_or("", String::as_str);
            let absolute =
                dest.starts_with('/') || raw_dest.starts_with('$') || dest.get(1..2) == Some(":");
            if !absolute
                && let Some(stage) = ctx.stage_of(ins)
                && !has_workdir_before(ctx, stage, idx, 0)
            {
                ctx.hit(
                    out,
                    &COPY_RELATIVE,
                    idx,
                    format!("relative destination `{dest}` and no WORKDIR"),
                );
            }
        }
    }
    for run in &ctx.runs {
        if let Some(cd) = run.named(&["cd"]).next() {
            ctx.hit(
                out,
                &CD,
                run.index,
                format!("`{}` in `{}`", cd.text(), excerpt(run.ins)),
            );
        }
    }
}
