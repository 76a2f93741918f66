//! Debian/Ubuntu package installs with apt-get.

use assay_core::{Rule, Severity};

use super::packages::packages;
use super::{Ctx, Hit, excerpt, rule};
use crate::dockerfile::shell::Command;

pub(crate) const YES: Rule = rule(
    "ASSAY-DF-043",
    Severity::Medium,
    "apt-get install without -y",
    "Without `-y` apt-get waits for a confirmation that never comes in a build; the build fails or hangs.",
    "Use `apt-get install -y --no-install-recommends <packages>`.",
    &["hadolint:DL3014", "trivy:DS021"],
    false,
);

pub(crate) const RECOMMENDS: Rule = rule(
    "ASSAY-DF-044",
    Severity::Low,
    "apt-get install without --no-install-recommends",
    "Recommended packages are installed by default: more software, more vulnerabilities and a bigger image for nothing the application asked for.",
    "Add `--no-install-recommends` and list what you really need.",
    &["hadolint:DL3015", "trivy:DS029"],
    false,
);

pub(crate) const LISTS: Rule = rule(
    "ASSAY-DF-045",
    Severity::Low,
    "apt lists are not removed after install",
    "`apt-get update` leaves tens of megabytes of package lists in the layer; they also go stale, so later installs in derived images pick outdated versions.",
    "End the same `RUN` with `&& rm -rf /var/lib/apt/lists/*`, or use `RUN --mount=type=cache,target=/var/lib/apt/lists ...`.",
    &["hadolint:DL3009"],
    false,
);

pub(crate) const APT: Rule = rule(
    "ASSAY-DF-046",
    Severity::Low,
    "apt used instead of apt-get",
    "`apt` is meant for people at a terminal; its interface is not stable for scripts and it warns so.",
    "Use `apt-get` (or `apt-cache`) in Dockerfiles.",
    &["hadolint:DL3027", "checkov:CKV_DOCKER_9"],
    false,
);

pub(crate) const UPGRADE: Rule = rule(
    "ASSAY-DF-047",
    Severity::Low,
    "apt-get upgrade in the Dockerfile",
    "Upgrading everything makes the image depend on the day of the build and may pull in changes the base image maintainers did not ship; rebuild on a patched base image instead.",
    "Use a newer base image tag, or upgrade only the packages that need it (`apt-get install --only-upgrade <pkg>`).",
    &["hadolint:DL3005", "trivy:DS024"],
    false,
);

pub(crate) const PIN: Rule = rule(
    "ASSAY-DF-048",
    Severity::Low,
    "apt-get install without version pins",
    "Unpinned packages install whatever is current, so builds are not reproducible (opt-in: Debian removes old versions from the archive, so pins break builds).",
    "Pin versions: `apt-get install -y curl=7.88.1-10+deb12u5`.",
    &["hadolint:DL3008"],
    true,
);

pub(crate) const UPDATE_ALONE: Rule = rule(
    "ASSAY-DF-049",
    Severity::Medium,
    "Package index update in its own RUN",
    "A `RUN apt-get update` layer is cached: later installs in other `RUN`s use a stale index from whenever the cache was made, installing outdated packages or failing.",
    "Combine update and install in one `RUN`: `apt-get update && apt-get install -y ...`.",
    &["checkov:CKV_DOCKER_5", "trivy:DS017", "cis-docker:4.7"],
    false,
);

fn is_apt(c: &Command) -> bool {
    matches!(c.name(), "apt-get" | "apt")
}

/// apt-get options that take a value (`-o Dpkg::Options::=--force-confold`).
const WITH_VALUE: &[&str] = &[
    "-o",
    "--option",
    "-t",
    "--target-release",
    "-c",
    "--config-file",
];

/// The subcommand, skipping option values.
fn sub(c: &Command) -> &str {
    let mut args = c.args().iter();
    while let Some(a) = args.next() {
        if WITH_VALUE.contains(&a.as_str()) {
            args.next();
        } else if !a.starts_with('-') {
            return a;
        }
    }
    ""
}

pub(crate) fn check(ctx: &Ctx<'_>, out: &mut Vec<Hit>) {
    for run in &ctx.runs {
        let apt: Vec<&Command> = run.commands.iter().filter(|c| is_apt(c)).collect();
        if run.commands.iter().any(|c| c.name() == "apt") {
            ctx.hit(
                out,
                &APT,
                run.index,
                format!("`apt` in `{}`", excerpt(run.ins)),
            );
        }
        for c in &apt {
            match sub(c) {
                "install" => {
                    let yes = c.has_flag('y', &["--yes", "--assume-yes"])
                        || c.has_arg(&["-qq", "-q=2", "--quiet=2"]);
                    if !yes {
                        ctx.hit(
                            out,
                            &YES,
                            run.index,
                            format!("apt-get install without -y in `{}`", excerpt(run.ins)),
                        );
                    }
                    let no_rec = c.has_arg(&["--no-install-recommends"])
                        || c.args()
                            .iter()
                            .any(|a| a.to_ascii_lowercase().contains("install-recommends=false"));
                    if !no_rec {
                        ctx.hit(
                            out,
                            &RECOMMENDS,
                            run.index,
                            format!(
                                "apt-get install without --no-install-recommends in `{}`",
                                excerpt(run.ins)
                            ),
                        );
                    }
                    let unpinned: Vec<&str> = packages(c, WITH_VALUE)
                        .into_iter()
                        .filter(|p| {
                            !p.contains('=')
                                && !p.ends_with(".deb")
                                && !p.starts_with('$')
                                && !p.contains('/')
                        })
                        .collect();
                    if !unpinned.is_empty() {
                        ctx.hit(
                            out,
                            &PIN,
                            run.index,
                            format!("unpinned packages: {}", unpinned.join(", ")),
                        );
                    }
                }
                s @ ("upgrade" | "dist-upgrade" | "full-upgrade") => {
                    ctx.hit(
                        out,
                        &UPGRADE,
                        run.index,
                        format!("`{} {s}` in `{}`", c.name(), excerpt(run.ins)),
                    );
                }
                _ => {}
            }
        }
        let updates = apt.iter().any(|c| sub(c) == "update");
        let installs = apt.iter().any(|c| {
            matches!(
                sub(c),
                "install" | "upgrade" | "dist-upgrade" | "full-upgrade" | "build-dep"
            )
        });
        if updates && !installs {
            ctx.hit(
                out,
                &UPDATE_ALONE,
                run.index,
                format!(
                    "`{}` updates the index without installing",
                    excerpt(run.ins)
                ),
            );
        }
        let cleans = run.commands.iter().any(|c| {
            c.name() == "rm" && c.args().iter().any(|a| a.starts_with("/var/lib/apt/lists"))
        }) || run.has_mount("cache", "/var/lib/apt");
        if updates && installs && !cleans {
            ctx.hit(
                out,
                &LISTS,
                run.index,
                format!("apt lists left in the layer by `{}`", excerpt(run.ins)),
            );
        }
    }
}
