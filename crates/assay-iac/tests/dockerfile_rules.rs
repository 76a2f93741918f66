//! Rule behaviour that the fixture pairs do not show well: the golden-image policy with its
//! options, rules that must stay quiet on the safe patterns, and finding metadata.
#![allow(clippy::unwrap_used)]

use assay_iac::IacOptions;
use assay_iac::dockerfile;

fn raised(text: &str, options: &IacOptions) -> Vec<String> {
    let mut options = options.clone();
    options
        .enable
        .extend(dockerfile::RULES.iter().map(|r| r.id.to_string()));
    options
        .apply(dockerfile::scan("Dockerfile", text, &options).unwrap())
        .into_iter()
        .filter(|f| f.suppression.is_none())
        .map(|f| f.rule_id)
        .collect()
}

fn golden(entries: &[&str]) -> IacOptions {
    IacOptions {
        golden_images: entries.iter().map(|s| s.to_string()).collect(),
        ..IacOptions::default()
    }
}

#[test]
fn golden_images_match_by_repository_with_docker_hub_normalized() {
    let options = golden(&["debian"]);
    assert!(
        !raised("FROM docker.io/library/debian:12\nUSER 1\n", &options)
            .contains(&"ASSAY-DF-003".into())
    );
    assert!(!raised("FROM debian:12-slim\nUSER 1\n", &options).contains(&"ASSAY-DF-003".into()));
    assert!(raised("FROM ubuntu:22.04\nUSER 1\n", &options).contains(&"ASSAY-DF-003".into()));
}

#[test]
fn golden_entry_with_tag_must_match_the_tag() {
    let options = golden(&["registry.example.com/golden/debian:12"]);
    assert!(
        !raised(
            "FROM registry.example.com/golden/debian:12\nUSER 1\n",
            &options
        )
        .contains(&"ASSAY-DF-003".into())
    );
    assert!(
        raised(
            "FROM registry.example.com/golden/debian:11\nUSER 1\n",
            &options
        )
        .contains(&"ASSAY-DF-003".into())
    );
}

#[test]
fn golden_policy_follows_stage_chains_and_ignores_build_stages() {
    let options = golden(&["registry.example.com/golden/debian"]);
    let text = "FROM golang:1.22 AS build\n\
FROM registry.example.com/golden/debian:12 AS base\n\
FROM base\n\
COPY --from=build /out/app /app\n\
USER 1\n";
    assert!(!raised(text, &options).contains(&"ASSAY-DF-003".into()));
}

#[test]
fn golden_and_registry_checks_are_off_without_lists() {
    let ids = raised("FROM quay.io/x/y:1\nUSER 1\n", &IacOptions::default());
    assert!(!ids.contains(&"ASSAY-DF-003".into()) && !ids.contains(&"ASSAY-DF-004".into()));
}

#[test]
fn flags_base_images_from_registries_not_allowed() {
    let options = IacOptions {
        allowed_registries: vec!["registry.example.com".into()],
        ..IacOptions::default()
    };
    assert!(raised("FROM debian:12\nUSER 1\n", &options).contains(&"ASSAY-DF-004".into()));
    assert!(
        !raised("FROM registry.example.com/team/app:1\nUSER 1\n", &options)
            .contains(&"ASSAY-DF-004".into())
    );
    let hub = IacOptions {
        allowed_registries: vec!["docker.io".into()],
        ..IacOptions::default()
    };
    assert!(!raised("FROM debian:12\nUSER 1\n", &hub).contains(&"ASSAY-DF-004".into()));
}

#[test]
fn secret_mounts_are_the_safe_way() {
    let text = "FROM node:20-slim\n\
RUN --mount=type=secret,id=npmrc,target=/root/.npmrc npm ci --omit=dev\n\
RUN --mount=type=secret,id=token,env=GITHUB_TOKEN ./fetch.sh\n\
USER node\n";
    let ids = raised(text, &IacOptions::default());
    for id in ["ASSAY-DF-034", "ASSAY-DF-035", "ASSAY-DF-036"] {
        assert!(!ids.contains(&id.to_string()), "{id} in {ids:?}");
    }
}

#[test]
fn apt_options_with_values_do_not_hide_the_subcommand() {
    let text = "FROM debian:12\n\
RUN apt-get update && apt-get -o Dpkg::Options::=--force-confold install curl && rm -rf /var/lib/apt/lists/*\n\
USER 1\n";
    assert!(raised(text, &IacOptions::default()).contains(&"ASSAY-DF-043".into()));
}

#[test]
fn curl_pipe_sh_is_found_behind_sudo_and_in_exec_form() {
    let a = "FROM debian:12\nRUN curl -fsSL https://x.example | sudo -E bash -\nUSER 1\n";
    let b =
        "FROM debian:12\nRUN [\"/bin/sh\", \"-c\", \"wget -qO- https://x.example | sh\"]\nUSER 1\n";
    assert!(raised(a, &IacOptions::default()).contains(&"ASSAY-DF-037".into()));
    assert!(raised(b, &IacOptions::default()).contains(&"ASSAY-DF-037".into()));
}

#[test]
fn fingerprints_survive_line_moves() {
    let a = dockerfile::scan(
        "Dockerfile",
        "FROM debian\nUSER 1\n",
        &IacOptions::default(),
    )
    .unwrap();
    let b = dockerfile::scan(
        "Dockerfile",
        "# moved\n\nFROM   debian\nUSER 1\n",
        &IacOptions::default(),
    )
    .unwrap();
    let id = |f: &[assay_core::Finding]| {
        f.iter()
            .find(|f| f.rule_id == "ASSAY-DF-001")
            .map(|f| f.id.clone())
    };
    assert_eq!(id(&a), id(&b));
    assert!(id(&a).is_some());
}

#[test]
fn copy_from_an_image_obeys_the_registry_policy() {
    let options = IacOptions {
        allowed_registries: vec!["registry.example.com".into()],
        ..IacOptions::default()
    };
    let text = "FROM registry.example.com/base:1\nCOPY --from=docker.io/library/busybox:1.36 /bin/busybox /bin/\nUSER 1\n";
    let findings = dockerfile::scan("Dockerfile", text, &options).unwrap();
    assert!(
        findings
            .iter()
            .any(|f| f.rule_id == "ASSAY-DF-004" && f.location.line == Some(2))
    );
}
