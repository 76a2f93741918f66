//! Stages and variable scopes: which instruction belongs to which `FROM`, and the values of
//! `ARG`/`ENV` at each instruction (global `ARG`s before the first `FROM` apply to `FROM`
//! lines and to stages that re-declare them), so rules see what BuildKit would use.

use std::collections::BTreeMap;

use super::expand::expand;
use super::parse::{Dockerfile, Instruction, Stage};

/// Build arguments BuildKit defines without an `ARG` (values unknown until build time).
const BUILTIN_ARGS: &[&str] = &[
    "TARGETPLATFORM",
    "TARGETOS",
    "TARGETARCH",
    "TARGETVARIANT",
    "BUILDPLATFORM",
    "BUILDOS",
    "BUILDARCH",
    "BUILDVARIANT",
    "TARGETSTAGE",
    "BUILDKIT_SYNTAX",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "FTP_PROXY",
    "NO_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "ftp_proxy",
    "no_proxy",
    "all_proxy",
];

#[derive(Debug, Default, Clone)]
struct Scope {
    env: BTreeMap<String, String>,
    args: BTreeMap<String, String>,
}

impl Scope {
    fn get(&self, name: &str) -> Option<String> {
        self.env.get(name).or_else(|| self.args.get(name)).cloned()
    }
}

fn substitutes(keyword: &str) -> bool {
    matches!(
        keyword,
        "ADD"
            | "COPY"
            | "ENV"
            | "EXPOSE"
            | "FROM"
            | "LABEL"
            | "STOPSIGNAL"
            | "USER"
            | "VOLUME"
            | "WORKDIR"
            | "ARG"
    )
}

/// Fills in stages, each instruction's stage, and the substituted arguments.
pub(super) fn resolve(df: &mut Dockerfile) {
    let escape = df.escape;
    let mut globals: BTreeMap<String, String> = BTreeMap::new();
    let mut finished: Vec<Scope> = Vec::new();
    let mut scope: Option<Scope> = None;
    let mut stages: Vec<Stage> = Vec::new();

    for (idx, ins) in df.instructions.iter_mut().enumerate() {
        if ins.is("FROM") {
            if let Some(done) = scope.take() {
                finished.push(done);
            }
            let lookup = |n: &str| globals.get(n).cloned();
            let mut undefined = Vec::new();
            let expanded: Vec<String> = ins
                .args
                .iter()
                .map(|a| {
                    let e = expand(a, escape, &lookup);
                    undefined.extend(e.undefined);
                    e.text
                })
                .collect();
            ins.expanded_flags = ins
                .flags
                .iter()
                .map(|f| expand(f, escape, &lookup).text)
                .collect();
            undefined.retain(|n| !BUILTIN_ARGS.contains(&n.as_str()));
            let base = expanded.first().cloned().unwrap_or_default();
            let name = expanded.get(2).map(|n| n.to_ascii_lowercase());
            let index = stages.len();
            // A stage built on an earlier stage inherits its environment.
            let parent = stages
                .iter()
                .position(|s| s.name.as_deref() == Some(base.to_ascii_lowercase().as_str()));
            let mut next = Scope::default();
            if let Some(env) = parent.and_then(|p| finished.get(p)).map(|s| s.env.clone()) {
                next.env = env;
            }
            scope = Some(next);
            stages.push(Stage {
                index,
                name,
                base,
                base_unresolved: !undefined.is_empty(),
                // As written: `$BUILDPLATFORM` only has a value at build time.
                platform: ins
                    .flags
                    .iter()
                    .find_map(|f| f.strip_prefix("--platform=").map(str::to_string)),
                from: idx,
                instructions: vec![idx],
            });
            ins.undefined_vars = undefined;
            ins.expanded = expanded;
            ins.stage = Some(index);
            continue;
        }
        let stage_index = stages.len().checked_sub(1);
        ins.stage = stage_index;
        if let Some(stage) = stages.last_mut() {
            stage.instructions.push(idx);
        }
        match scope.as_mut() {
            None => {
                // Global scope: only ARG is meaningful before the first FROM.
                expand_instruction(ins, escape, &|n: &str| globals.get(n).cloned());
                if ins.is("ARG") {
                    for (name, value) in arg_pairs(ins) {
                        globals.insert(name, value.unwrap_or_default());
                    }
                }
            }
            Some(sc) => {
                let snapshot = sc.clone();
                expand_instruction(ins, escape, &|n: &str| snapshot.get(n));
                if ins.is("ARG") {
                    for (name, value) in arg_pairs(ins) {
                        let v = value
                            .or_else(|| globals.get(&name).cloned())
                            .unwrap_or_default();
                        sc.args.insert(name, v);
                    }
                } else if ins.is("ENV") {
                    for (k, v) in ins.pairs() {
                        sc.env.insert(k.to_string(), v.to_string());
                    }
                }
            }
        }
    }
    df.stages = stages;
}

/// `ARG NAME[=default]` pairs from the substituted arguments.
fn arg_pairs(ins: &Instruction) -> Vec<(String, Option<String>)> {
    ins.expanded
        .iter()
        .map(|w| match w.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (w.clone(), None),
        })
        .collect()
}

fn expand_instruction(
    ins: &mut Instruction,
    escape: char,
    lookup: &dyn Fn(&str) -> Option<String>,
) {
    let mut undefined = Vec::new();
    let mut run = |text: &str| {
        let e = expand(text, escape, lookup);
        undefined.extend(e.undefined);
        e.text
    };
    ins.expanded_flags = ins.flags.iter().map(|f| run(f)).collect();
    ins.expanded = if !substitutes(&ins.keyword) {
        ins.args.clone()
    } else if ins.is("ENV") || ins.is("LABEL") {
        ins.args
            .chunks(3)
            .flat_map(|triplet| match triplet {
                [k, v, sep] => vec![run(k), run(v), sep.clone()],
                other => other.iter().map(|x| run(x)).collect(),
            })
            .collect()
    } else if ins.is("ARG") {
        ins.args
            .iter()
            .map(|w| match w.split_once('=') {
                Some((n, v)) => format!("{n}={}", run(v)),
                None => w.clone(),
            })
            .collect()
    } else {
        ins.args.iter().map(|a| run(a)).collect()
    };
    undefined.retain(|n| !BUILTIN_ARGS.contains(&n.as_str()));
    ins.undefined_vars = undefined;
}
