//! Base images and stages: tags, digests, the golden-image and registry policy, platforms,
//! stage aliases and `COPY --from` references.

use assay_core::{Rule, Severity};

use super::{Ctx, Hit, excerpt, rule};
use crate::dockerfile::parse::Stage;
use crate::image_ref::ImageRef;

pub(crate) const LATEST: Rule = rule(
    "ASSAY-DF-001",
    Severity::Medium,
    "Base image is untagged or uses latest",
    "An untagged or `latest` base image changes under you: two builds of the same commit can ship different software, and a rollback does not roll the base back.",
    "Pin the base image to a specific version tag (and ideally a digest), e.g. `FROM debian:12.5-slim`.",
    &[
        "hadolint:DL3006",
        "hadolint:DL3007",
        "checkov:CKV_DOCKER_7",
        "trivy:DS001",
    ],
    false,
);

pub(crate) const DIGEST: Rule = rule(
    "ASSAY-DF-002",
    Severity::Low,
    "Base image is not pinned by digest",
    "Tags are mutable: whoever controls the registry can point a tag at different content. Only a digest names exactly the bytes you reviewed and scanned.",
    "Append the digest: `FROM debian:12.5-slim@sha256:<digest>`, and let a bot (Renovate, Dependabot) update it.",
    &[],
    true,
);

pub(crate) const GOLDEN: Rule = rule(
    "ASSAY-DF-003",
    Severity::High,
    "Final image is not built on a golden base image",
    "The organisation maintains approved (golden) base images that are patched, scanned and signed; images built on anything else escape that process.",
    "Build the final stage `FROM` one of the golden images listed in the `iac.golden-images` setting.",
    &["cis-docker:4.2"],
    false,
);

pub(crate) const REGISTRY: Rule = rule(
    "ASSAY-DF-004",
    Severity::High,
    "Base image comes from a registry that is not allowed",
    "Pulling base images from arbitrary registries lets unreviewed, possibly typo-squatted or compromised content into the build.",
    "Pull base images only from the registries listed in `iac.allowed-registries` (mirror public images there).",
    &["cis-docker:4.2"],
    false,
);

pub(crate) const PLATFORM: Rule = rule(
    "ASSAY-DF-005",
    Severity::Low,
    "FROM uses a fixed --platform",
    "A hard-coded platform forces emulation or breaks multi-platform builds; the image will not match the platform users run.",
    "Drop `--platform`, or use the build arguments: `FROM --platform=$BUILDPLATFORM golang:1.22 AS build`.",
    &[
        "hadolint:DL3029",
        "buildkit:FromPlatformFlagConstDisallowed",
    ],
    false,
);

pub(crate) const DUPLICATE_ALIAS: Rule = rule(
    "ASSAY-DF-006",
    Severity::Medium,
    "Stage alias is defined more than once",
    "BuildKit refuses duplicate stage names and older builders silently use one of them, so `COPY --from` may copy from the wrong stage.",
    "Give every `FROM ... AS name` a unique name.",
    &[
        "hadolint:DL3024",
        "checkov:CKV_DOCKER_11",
        "trivy:DS012",
        "buildkit:DuplicateStageName",
    ],
    false,
);

pub(crate) const COPY_FROM_SELF: Rule = rule(
    "ASSAY-DF-007",
    Severity::Medium,
    "COPY --from refers to its own stage",
    "A stage cannot copy from itself: the build fails or copies from an image of the same name instead.",
    "Point `--from` at an earlier stage or an image.",
    &["hadolint:DL3023", "trivy:DS006"],
    false,
);

pub(crate) const COPY_FROM_UNDEFINED: Rule = rule(
    "ASSAY-DF-008",
    Severity::Medium,
    "COPY --from refers to an undefined stage",
    "A `--from` name that is no earlier stage is pulled as an image: a typo silently copies files from whatever image of that name exists on Docker Hub.",
    "Define the stage before it is used (`FROM ... AS name`) or write a full image reference (`--from=docker.io/library/busybox:1.36`).",
    &["hadolint:DL3022"],
    false,
);

/// Whether `stage`'s base is an earlier stage of this file.
fn is_stage_ref(ctx: &Ctx<'_>, stage: &Stage) -> bool {
    ctx.stage_named(&stage.base)
        .is_some_and(|s| s.index < stage.index && s.name.is_some())
}

/// The external image a stage is built on, following `FROM <stage>` chains.
fn external_base<'a>(ctx: &Ctx<'a>, stage: &'a Stage) -> &'a Stage {
    let mut current = stage;
    for _ in 0..ctx.df.stages.len() {
        match ctx.stage_named(&current.base) {
            Some(parent) if parent.index < current.index && parent.name.is_some() => {
                current = parent
            }
            _ => break,
        }
    }
    current
}

pub(crate) fn check(ctx: &Ctx<'_>, out: &mut Vec<Hit>) {
    let mut seen_aliases: Vec<&str> = Vec::new();
    for stage in &ctx.df.stages {
        let Some(from) = ctx.df.instructions.get(stage.from) else {
            continue;
        };
        if let Some(name) = stage.name.as_deref() {
            if seen_aliases.contains(&name) {
                ctx.hit(
                    out,
                    &DUPLICATE_ALIAS,
                    stage.from,
                    format!("stage alias `{name}` is already used by an earlier stage"),
                );
            }
            seen_aliases.push(name);
        }
        if from
            .flags
            .iter()
            .any(|f| f.to_ascii_lowercase().starts_with("--platform=") && !f.contains('$'))
        {
            ctx.hit(
                out,
                &PLATFORM,
                stage.from,
                format!("fixed platform in `{}`", excerpt(from)),
            );
        }
        if is_stage_ref(ctx, stage)
            || stage.base.eq_ignore_ascii_case("scratch")
            || stage.base_unresolved
        {
            continue;
        }
        let image = ImageRef::parse(&stage.base);
        match (&image.tag, &image.digest) {
            (None, None) => ctx.hit(
                out,
                &LATEST,
                stage.from,
                format!("base image `{}` has no tag (means latest)", stage.base),
            ),
            (Some(t), None) if t == "latest" => {
                ctx.hit(
                    out,
                    &LATEST,
                    stage.from,
                    format!("base image `{}` uses the latest tag", stage.base),
                );
            }
            _ => {}
        }
        if image.digest.is_none() {
            ctx.hit(
                out,
                &DIGEST,
                stage.from,
                format!("base image `{}` is not pinned by digest", stage.base),
            );
        }
        let registries = &ctx.options.allowed_registries;
        if !registries.is_empty() && !registries.iter().any(|r| image.allowed_by(r)) {
            ctx.hit(
                out,
                &REGISTRY,
                stage.from,
                format!(
                    "base image `{}` ({}) is not from an allowed registry",
                    stage.base,
                    image.full_name()
                ),
            );
        }
    }
    if !ctx.options.golden_images.is_empty()
        && let Some(last) = ctx.final_stage()
    {
        let root = external_base(ctx, last);
        if !root.base_unresolved {
            let image = ImageRef::parse(&root.base);
            if !ctx.options.golden_images.iter().any(|g| image.is_golden(g)) {
                ctx.hit(
                    out,
                    &GOLDEN,
                    last.from,
                    format!(
                        "final image is built on `{}`, which is not a golden image",
                        root.base
                    ),
                );
            }
        }
    }
    for (idx, ins) in ctx.instructions() {
        if !(ins.is("COPY") || ins.is("ADD")) {
            continue;
        }
        let Some(from) = ins.flag("from") else {
            continue;
        };
        let Some(current) = ctx.stage_of(ins) else {
            continue;
        };
        let target = ctx.stage_named(from);
        match target {
            Some(t) if t.index == current.index => {
                ctx.hit(
                    out,
                    &COPY_FROM_SELF,
                    idx,
                    format!("`--from={from}` names the stage this instruction is in"),
                );
            }
            Some(t) if t.index < current.index => {}
            _ if from.contains(['/', ':', '.']) => {
                // `COPY --from=<image>` pulls an image too: same registry policy as FROM.
                let image = ImageRef::parse(from);
                let registries = &ctx.options.allowed_registries;
                if !registries.is_empty() && !registries.iter().any(|r| image.allowed_by(r)) {
                    ctx.hit(
                        out,
                        &REGISTRY,
                        idx,
                        format!(
                            "`--from={from}` ({}) is not from an allowed registry",
                            image.full_name()
                        ),
                    );
                }
            }
            _ => ctx.hit(
                out,
                &COPY_FROM_UNDEFINED,
                idx,
                format!("`--from={from}` is not an earlier stage"),
            ),
        }
    }
}
