//! The Dockerfile rules: [`RULES`] lists their documentation in id order and [`CHECKS`] the
//! family functions that raise them. Each family module defines its rules next to its check
//! so that a rule's text and logic are read together.

use assay_core::{Rule, RuleTarget, Severity};

use super::parse::{Dockerfile, Instruction, Stage};
use super::shell::{self, Command};
use crate::IacOptions;

mod apt;
mod base_image;
mod commands;
mod instructions;
mod network;
mod packages;
mod secrets;
mod user;

/// Every Dockerfile rule, in id order (the ids are contiguous, see the test below).
pub(super) static RULES: &[Rule] = &[
    base_image::LATEST,
    base_image::DIGEST,
    base_image::GOLDEN,
    base_image::REGISTRY,
    base_image::PLATFORM,
    base_image::DUPLICATE_ALIAS,
    base_image::COPY_FROM_SELF,
    base_image::COPY_FROM_UNDEFINED,
    user::ROOT,
    user::SUDO,
    user::USERADD_UID,
    user::LN_SH,
    instructions::ADD_LOCAL,
    instructions::ADD_URL,
    instructions::MAINTAINER,
    instructions::MULTIPLE_CMD,
    instructions::MULTIPLE_ENTRYPOINT,
    instructions::MULTIPLE_HEALTHCHECK,
    instructions::SHELL_FORM,
    instructions::NO_HEALTHCHECK,
    instructions::HEALTHCHECK_NONE,
    instructions::CD,
    instructions::RELATIVE_WORKDIR,
    instructions::COPY_RELATIVE,
    instructions::COPY_MULTI_DEST,
    instructions::ENV_SELF_REF,
    instructions::EXPOSE_SSH,
    instructions::EXPOSE_PORT,
    instructions::EXPOSE_PROTOCOL,
    instructions::ONBUILD,
    instructions::ARG_BEFORE_DECL,
    instructions::LABEL_MAINTAINER,
    instructions::LEGACY_ENV,
    secrets::ENV_SECRET,
    secrets::COPY_SECRET,
    secrets::RUN_TOKEN,
    network::CURL_SH,
    network::TLS_OFF,
    network::SIGNATURE_OFF,
    network::WGET_CURL,
    network::WGET_PROGRESS,
    network::PIPEFAIL,
    apt::YES,
    apt::RECOMMENDS,
    apt::LISTS,
    apt::APT,
    apt::UPGRADE,
    apt::PIN,
    apt::UPDATE_ALONE,
    packages::APK_CACHE,
    packages::APK_PIN,
    packages::APK_UPGRADE,
    packages::RPM_YES,
    packages::RPM_CLEAN,
    packages::RPM_UPGRADE,
    packages::RPM_PIN,
    packages::PIP_CACHE,
    packages::PIP_PIN,
    packages::NPM_PIN,
    packages::GEM_PIN,
    packages::NPM_DEV,
    packages::EASY_INSTALL,
    commands::WORLD_WRITABLE,
    commands::NOT_IN_CONTAINER,
    commands::CHPASSWD,
    commands::PLAIN_HTTP,
];

type Check = fn(&Ctx<'_>, &mut Vec<Hit>);

/// The family checks, each raising the rules of its module.
static CHECKS: &[Check] = &[
    base_image::check,
    user::check,
    instructions::check,
    secrets::check,
    network::check,
    apt::check,
    packages::check,
    commands::check,
];

/// Builds a rule definition (a `const fn` so rules stay plain constants).
pub(super) const fn rule(
    id: &'static str,
    severity: Severity,
    title: &'static str,
    description: &'static str,
    remediation: &'static str,
    equivalents: &'static [&'static str],
    opt_in: bool,
) -> Rule {
    Rule {
        id,
        target: RuleTarget::Dockerfile,
        severity,
        title,
        description,
        remediation,
        equivalents,
        opt_in,
    }
}

/// A rule raised at an instruction.
#[derive(Debug)]
pub(super) struct Hit {
    pub rule: &'static Rule,
    pub instruction: usize,
    pub message: String,
}

/// One `RUN` read as shell.
#[derive(Debug)]
pub(super) struct Run<'a> {
    pub index: usize,
    pub ins: &'a Instruction,
    pub commands: Vec<Command>,
}

impl Run<'_> {
    /// Commands named `name` (any of).
    pub fn named<'b>(&'b self, names: &'b [&'b str]) -> impl Iterator<Item = &'b Command> + 'b {
        self.commands
            .iter()
            .filter(move |c| names.contains(&c.name()))
    }

    /// Whether the `RUN` has a `--mount` of type `kind` (`cache`, `secret`) with a target
    /// under `prefix` (any target when empty).
    pub fn has_mount(&self, kind: &str, prefix: &str) -> bool {
        self.ins.flags_named("mount").any(|m| {
            let mut ty = "bind";
            let mut target = "";
            for part in m.split(',') {
                match part.split_once('=') {
                    Some(("type", v)) => ty = v,
                    Some(("target" | "dst" | "destination", v)) => target = v,
                    _ => {}
                }
            }
            ty == kind && target.starts_with(prefix)
        })
    }
}

/// What the checks see: the parsed file, the options and every `RUN` read as shell.
#[derive(Debug)]
pub(super) struct Ctx<'a> {
    pub df: &'a Dockerfile,
    pub options: &'a IacOptions,
    pub runs: Vec<Run<'a>>,
}

impl<'a> Ctx<'a> {
    /// Raises `rule` at instruction `index`.
    pub fn hit(
        &self,
        out: &mut Vec<Hit>,
        rule: &'static Rule,
        index: usize,
        message: impl Into<String>,
    ) {
        out.push(Hit {
            rule,
            instruction: index,
            message: message.into(),
        });
    }

    /// Instructions with their index, `ONBUILD` triggers excluded.
    pub fn instructions(&self) -> impl Iterator<Item = (usize, &'a Instruction)> + 'a {
        self.df.instructions.iter().enumerate()
    }

    /// Instructions with keyword `kw`.
    pub fn each(&self, kw: &'a str) -> impl Iterator<Item = (usize, &'a Instruction)> + 'a {
        self.instructions().filter(move |(_, i)| i.is(kw))
    }

    /// The stage an instruction belongs to.
    pub fn stage_of(&self, ins: &Instruction) -> Option<&'a Stage> {
        ins.stage.and_then(|s| self.df.stages.get(s))
    }

    /// The last stage (the image that is shipped by default).
    pub fn final_stage(&self) -> Option<&'a Stage> {
        self.df.stages.last()
    }

    /// The instructions of `stage`.
    pub fn stage_instructions(
        &self,
        stage: &'a Stage,
    ) -> impl Iterator<Item = (usize, &'a Instruction)> + 'a {
        stage
            .instructions
            .iter()
            .filter_map(|&i| self.df.instructions.get(i).map(|ins| (i, ins)))
    }

    /// Whether `name` is the alias of a stage (case-insensitive) or a stage number.
    pub fn stage_named(&self, name: &str) -> Option<&'a Stage> {
        let lower = name.to_ascii_lowercase();
        self.df
            .stages
            .iter()
            .find(|s| s.name.as_deref() == Some(lower.as_str()))
            .or_else(|| {
                name.parse::<usize>()
                    .ok()
                    .and_then(|n| self.df.stages.get(n))
            })
    }
}

/// A short excerpt of an instruction for messages: `RUN apt-get install curl`.
pub(super) fn excerpt(ins: &Instruction) -> String {
    let text = ins.normalized();
    if text.chars().count() > 80 {
        let cut: String = text.chars().take(77).collect();
        format!("{cut}...")
    } else {
        text
    }
}

fn run_commands(ins: &Instruction) -> Vec<Command> {
    if ins.json {
        return shell::exec_commands(&ins.args);
    }
    let mut cmds = shell::commands(&ins.rest);
    let runs_heredoc_as_script = cmds.is_empty()
        || cmds.first().is_some_and(|c| {
            shell::is_shell(c.name()) && c.args().iter().all(|a| a.starts_with('-'))
        });
    if runs_heredoc_as_script {
        for h in &ins.heredocs {
            cmds.extend(shell::commands(&h.content));
        }
    }
    cmds
}

/// Runs every check over `df`.
pub(super) fn run(_path: &str, df: &Dockerfile, options: &IacOptions) -> Vec<Hit> {
    let runs = df
        .instructions
        .iter()
        .enumerate()
        .filter(|(_, i)| i.is("RUN"))
        .map(|(index, ins)| Run {
            index,
            ins,
            commands: run_commands(ins),
        })
        .collect();
    let ctx = Ctx { df, options, runs };
    let mut hits = Vec::new();
    for check in CHECKS {
        check(&ctx, &mut hits);
    }
    hits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_are_contiguous_and_documented() {
        for (n, rule) in RULES.iter().enumerate() {
            assert_eq!(rule.id, format!("ASSAY-DF-{:03}", n + 1));
            assert!(
                rule.description.len() > 20,
                "{} needs a description",
                rule.id
            );
            assert!(
                rule.remediation.len() > 10,
                "{} needs a remediation",
                rule.id
            );
        }
        assert!(RULES.len() >= 60);
    }
}
