//! Other package managers: apk, yum/dnf/zypper, pip, npm, gem.

use assay_core::{Rule, Severity};

use super::{Ctx, Hit, Run, excerpt, rule};
use crate::dockerfile::shell::Command;

pub(crate) const APK_CACHE: Rule = rule(
    "ASSAY-DF-050",
    Severity::Low,
    "apk add without --no-cache",
    "apk keeps its index cache in the layer, adding size and stale metadata to the image.",
    "Use `apk add --no-cache <packages>` (no separate `apk update` needed).",
    &["hadolint:DL3019", "trivy:DS025"],
    false,
);

pub(crate) const APK_PIN: Rule = rule(
    "ASSAY-DF-051",
    Severity::Low,
    "apk add without version pins",
    "Unpinned packages make builds non-reproducible (opt-in: Alpine drops old versions from its repositories, so pins break builds).",
    "Pin versions: `apk add --no-cache curl=8.5.0-r0`, or `curl~8.5`.",
    &["hadolint:DL3018"],
    true,
);

pub(crate) const APK_UPGRADE: Rule = rule(
    "ASSAY-DF-052",
    Severity::Low,
    "apk upgrade in the Dockerfile",
    "Upgrading all packages makes the image depend on the build date; rebuild on a patched base image instead.",
    "Use a newer base image tag, or `apk add --no-cache --upgrade <pkg>` for the packages that need it.",
    &["hadolint:DL3017"],
    false,
);

pub(crate) const RPM_YES: Rule = rule(
    "ASSAY-DF-053",
    Severity::Medium,
    "yum/dnf/zypper install without non-interactive flag",
    "Without `-y` (or zypper's `-n`) the package manager waits for a confirmation and the build fails.",
    "Use `dnf install -y ...`, `yum install -y ...`, `zypper -n install ...`.",
    &["hadolint:DL3030", "hadolint:DL3038", "hadolint:DL3034"],
    false,
);

pub(crate) const RPM_CLEAN: Rule = rule(
    "ASSAY-DF-054",
    Severity::Low,
    "yum/dnf/zypper cache not cleaned",
    "The package cache stays in the layer: tens of megabytes of metadata and packages shipped for nothing.",
    "End the same `RUN` with `&& dnf clean all` (`yum clean all`, `zypper clean`), or use a cache mount.",
    &[
        "hadolint:DL3032",
        "hadolint:DL3040",
        "hadolint:DL3036",
        "trivy:DS015",
        "trivy:DS019",
        "trivy:DS020",
    ],
    false,
);

pub(crate) const RPM_UPGRADE: Rule = rule(
    "ASSAY-DF-055",
    Severity::Low,
    "yum/dnf/zypper full upgrade in the Dockerfile",
    "Upgrading all packages makes the image depend on the build date and can pull in distribution changes; rebuild on a patched base image instead.",
    "Use a newer base image tag, or update only named packages.",
    &["hadolint:DL3031", "hadolint:DL3035"],
    false,
);

pub(crate) const RPM_PIN: Rule = rule(
    "ASSAY-DF-056",
    Severity::Low,
    "yum/dnf/zypper install without version pins",
    "Unpinned packages make builds non-reproducible (opt-in: pins need maintenance).",
    "Pin versions: `dnf install -y curl-7.76.1`, `zypper -n install curl=8.0`.",
    &["hadolint:DL3033", "hadolint:DL3041", "hadolint:DL3037"],
    true,
);

pub(crate) const PIP_CACHE: Rule = rule(
    "ASSAY-DF-057",
    Severity::Low,
    "pip install without --no-cache-dir",
    "pip keeps downloaded wheels in `~/.cache/pip` inside the layer, often doubling the size of what was installed.",
    "Use `pip install --no-cache-dir ...`, set `ENV PIP_NO_CACHE_DIR=1`, or use `RUN --mount=type=cache,target=/root/.cache/pip`.",
    &["hadolint:DL3042"],
    false,
);

pub(crate) const PIP_PIN: Rule = rule(
    "ASSAY-DF-058",
    Severity::Low,
    "pip install without version pins",
    "Unpinned Python packages install whatever is newest, including a freshly published malicious release (opt-in).",
    "Pin versions (`pip install flask==3.0.2`) or install from a hashed requirements file (`-r requirements.txt --require-hashes`).",
    &["hadolint:DL3013"],
    true,
);

pub(crate) const NPM_PIN: Rule = rule(
    "ASSAY-DF-059",
    Severity::Low,
    "npm install without version pins",
    "Unpinned npm packages install the newest release, a common way for hijacked packages to reach images (opt-in).",
    "Pin versions (`npm install -g typescript@5.4.5`) or use `npm ci` with a lockfile.",
    &["hadolint:DL3016"],
    true,
);

pub(crate) const GEM_PIN: Rule = rule(
    "ASSAY-DF-060",
    Severity::Low,
    "gem install without version pins",
    "Unpinned gems install the newest release, so builds are not reproducible (opt-in).",
    "Pin versions: `gem install bundler -v 2.5.6` or `gem install bundler:2.5.6`.",
    &["hadolint:DL3028"],
    true,
);

pub(crate) const NPM_DEV: Rule = rule(
    "ASSAY-DF-061",
    Severity::Info,
    "npm install ships development dependencies",
    "`npm install` in the shipped image installs devDependencies (test tools, bundlers) and ignores the lockfile's exact tree: more code, more vulnerabilities (opt-in).",
    "Use `npm ci --omit=dev` in the final stage (build in an earlier stage).",
    &[],
    true,
);

pub(crate) const EASY_INSTALL: Rule = rule(
    "ASSAY-DF-062",
    Severity::Low,
    "easy_install is used",
    "`easy_install` is removed from setuptools, does not verify downloads over HTTPS in old versions and cannot uninstall; it is a sign of an unmaintained build.",
    "Use `pip install --no-cache-dir <package>==<version>`.",
    &[],
    false,
);

const RPM_MANAGERS: &[&str] = &["yum", "dnf", "microdnf", "tdnf", "zypper"];

/// Operands of an installer, skipping options and the values of options in `with_value`.
pub(crate) fn packages<'a>(c: &'a Command, with_value: &[&str]) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut seen_sub = false;
    let mut args = c.args().iter();
    while let Some(a) = args.next() {
        if with_value.contains(&a.as_str()) {
            args.next();
            continue;
        }
        if a.starts_with('-') {
            continue;
        }
        if !seen_sub {
            seen_sub = true;
            continue;
        }
        out.push(a.as_str());
    }
    out
}

fn local_or_dynamic(p: &str) -> bool {
    p.starts_with('.')
        || p.starts_with('/')
        || p.starts_with('$')
        || p.contains("://")
        || p.starts_with("git+")
        || p.ends_with(".whl")
        || p.ends_with(".tar.gz")
}

fn stage_env(ctx: &Ctx<'_>, run: &Run<'_>, name: &str) -> bool {
    let Some(stage) = ctx.stage_of(run.ins) else {
        return false;
    };
    ctx.stage_instructions(stage)
        .any(|(i, ins)| i < run.index && ins.is("ENV") && ins.pairs().any(|(k, _)| k == name))
}

fn in_final_chain(ctx: &Ctx<'_>, run: &Run<'_>) -> bool {
    let Some(mut current) = ctx.final_stage() else {
        return false;
    };
    for _ in 0..=ctx.df.stages.len() {
        if run.ins.stage == Some(current.index) {
            return true;
        }
        match ctx.stage_named(&current.base) {
            Some(p) if p.index < current.index && p.name.is_some() => current = p,
            _ => return false,
        }
    }
    false
}

fn check_apk(ctx: &Ctx<'_>, out: &mut Vec<Hit>, run: &Run<'_>) {
    for c in run.named(&["apk"]) {
        match c.subcommand().unwrap_or("") {
            "add" => {
                let cached = run.has_mount("cache", "/var/cache/apk")
                    || run.commands.iter().any(|r| {
                        r.name() == "rm" && r.args().iter().any(|a| a.starts_with("/var/cache/apk"))
                    });
                if !c.has_arg(&["--no-cache"]) && !cached {
                    ctx.hit(
                        out,
                        &APK_CACHE,
                        run.index,
                        format!("apk add without --no-cache in `{}`", excerpt(run.ins)),
                    );
                }
                let unpinned: Vec<&str> = packages(
                    c,
                    &["-t", "--virtual", "-X", "--repository", "--root", "-p"],
                )
                .into_iter()
                .filter(|p| {
                    !p.contains('=')
                        && !p.contains('~')
                        && !p.ends_with(".apk")
                        && !local_or_dynamic(p)
                })
                .collect();
                if !unpinned.is_empty() {
                    ctx.hit(
                        out,
                        &APK_PIN,
                        run.index,
                        format!("unpinned packages: {}", unpinned.join(", ")),
                    );
                }
            }
            "upgrade" => ctx.hit(
                out,
                &APK_UPGRADE,
                run.index,
                format!("`apk upgrade` in `{}`", excerpt(run.ins)),
            ),
            _ => {}
        }
    }
}

fn check_rpm(ctx: &Ctx<'_>, out: &mut Vec<Hit>, run: &Run<'_>) {
    for c in run.named(RPM_MANAGERS) {
        let name = c.name();
        let sub = c.subcommand().unwrap_or("");
        let installs = matches!(sub, "install" | "in" | "groupinstall" | "reinstall");
        if installs {
            let yes = match name {
                "zypper" => {
                    c.has_flag('n', &["--non-interactive", "--no-confirm"]) || c.has_flag('y', &[])
                }
                "microdnf" => true,
                _ => c.has_flag('y', &["--assumeyes"]),
            };
            if !yes {
                ctx.hit(
                    out,
                    &RPM_YES,
                    run.index,
                    format!("`{name} {sub}` without -y in `{}`", excerpt(run.ins)),
                );
            }
            let cleans = run.commands.iter().any(|r| {
                (RPM_MANAGERS.contains(&r.name()) && matches!(r.subcommand(), Some("clean" | "cc")))
                    || (r.name() == "rm" && r.args().iter().any(|a| a.starts_with("/var/cache/")))
            }) || run.has_mount("cache", "/var/cache");
            if !cleans {
                ctx.hit(
                    out,
                    &RPM_CLEAN,
                    run.index,
                    format!(
                        "`{name} {sub}` without cleaning its cache in `{}`",
                        excerpt(run.ins)
                    ),
                );
            }
            let unpinned: Vec<&str> = packages(
                c,
                &[
                    "--setopt",
                    "--enablerepo",
                    "--disablerepo",
                    "--repo",
                    "--installroot",
                ],
            )
            .into_iter()
            .filter(|p| !local_or_dynamic(p) && !p.ends_with(".rpm") && !p.starts_with('@'))
            .filter(|p| {
                let pinned_dash = p
                    .split('-')
                    .skip(1)
                    .any(|part| part.starts_with(|c: char| c.is_ascii_digit()));
                !(pinned_dash || p.contains('=') || p.contains('>') || p.contains('<'))
            })
            .collect();
            if !unpinned.is_empty() {
                ctx.hit(
                    out,
                    &RPM_PIN,
                    run.index,
                    format!("unpinned packages: {}", unpinned.join(", ")),
                );
            }
        }
        let full_upgrade = match sub {
            "dist-upgrade" | "dup" | "distro-sync" => true,
            "up" | "update" | "upgrade" => c.operands().is_empty(),
            _ => false,
        };
        if full_upgrade {
            ctx.hit(
                out,
                &RPM_UPGRADE,
                run.index,
                format!(
                    "`{name} {sub}` upgrades everything in `{}`",
                    excerpt(run.ins)
                ),
            );
        }
    }
}

fn check_language(ctx: &Ctx<'_>, out: &mut Vec<Hit>, run: &Run<'_>) {
    for c in &run.commands {
        let is_pip = matches!(c.name(), "pip" | "pip3")
            || (c.name().starts_with("python")
                && c.args().windows(2).any(|w| w[0] == "-m" && w[1] == "pip"));
        if is_pip {
            let args: Vec<&str> = c.args().iter().map(String::as_str).collect();
            let Some(pos) = args.iter().position(|a| *a == "install") else {
                continue;
            };
            let rest = args.get(pos + 1..).unwrap_or(&[]);
            let no_cache = rest.contains(&"--no-cache-dir") || args.contains(&"--no-cache-dir");
            if !no_cache
                && !stage_env(ctx, run, "PIP_NO_CACHE_DIR")
                && !run.has_mount("cache", "/root/.cache")
            {
                ctx.hit(
                    out,
                    &PIP_CACHE,
                    run.index,
                    format!(
                        "pip install without --no-cache-dir in `{}`",
                        excerpt(run.ins)
                    ),
                );
            }
            let with_value = [
                "-r",
                "--requirement",
                "-c",
                "--constraint",
                "-e",
                "--editable",
                "-i",
                "--index-url",
                "--extra-index-url",
                "-f",
                "--find-links",
                "-t",
                "--target",
                "--prefix",
                "--root",
                "--trusted-host",
            ];
            let mut unpinned = Vec::new();
            let mut it = rest.iter();
            while let Some(a) = it.next() {
                if with_value.contains(a) {
                    it.next();
                } else if !a.starts_with('-')
                    && !local_or_dynamic(a)
                    && !["==", ">=", "~=", "<=", "===", "@"]
                        .iter()
                        .any(|op| a.contains(op))
                {
                    unpinned.push(*a);
                }
            }
            if !unpinned.is_empty() {
                ctx.hit(
                    out,
                    &PIP_PIN,
                    run.index,
                    format!("unpinned packages: {}", unpinned.join(", ")),
                );
            }
        }
        match c.name() {
            "npm" if matches!(c.subcommand(), Some("install" | "i" | "add")) => {
                let ops = packages(c, &["--prefix", "--registry"]);
                let unpinned: Vec<&str> = ops
                    .iter()
                    .copied()
                    .filter(|p| {
                        !local_or_dynamic(p) && !p.get(1..).is_some_and(|t| t.contains('@'))
                    })
                    .collect();
                if !unpinned.is_empty() {
                    ctx.hit(
                        out,
                        &NPM_PIN,
                        run.index,
                        format!("unpinned packages: {}", unpinned.join(", ")),
                    );
                }
                let omits = c.args().iter().any(|a| {
                    a == "--production"
                        || a == "--omit=dev"
                        || a == "--only=prod"
                        || a == "--only=production"
                }) || c.has_flag('g', &["--global"]);
                if ops.is_empty()
                    && !omits
                    && in_final_chain(ctx, run)
                    && !stage_env(ctx, run, "NODE_ENV")
                {
                    ctx.hit(
                        out,
                        &NPM_DEV,
                        run.index,
                        format!("`{}` installs devDependencies", c.text()),
                    );
                }
            }
            "gem"
                if c.subcommand() == Some("install")
                    && !c.has_arg(&["-v", "--version"])
                    && !c.args().iter().any(|a| a.starts_with("--version=")) =>
            {
                let unpinned: Vec<&str> = packages(c, &["-i", "--install-dir", "--source"])
                    .into_iter()
                    .filter(|p| !p.contains(':') && !p.ends_with(".gem") && !local_or_dynamic(p))
                    .collect();
                if !unpinned.is_empty() {
                    ctx.hit(
                        out,
                        &GEM_PIN,
                        run.index,
                        format!("unpinned gems: {}", unpinned.join(", ")),
                    );
                }
            }
            "easy_install" | "easy_install3" => {
                ctx.hit(out, &EASY_INSTALL, run.index, format!("`{}`", c.text()));
            }
            _ => {}
        }
    }
}

pub(crate) fn check(ctx: &Ctx<'_>, out: &mut Vec<Hit>) {
    for run in &ctx.runs {
        check_apk(ctx, out, run);
        check_rpm(ctx, out, run);
        check_language(ctx, out, run);
    }
}
