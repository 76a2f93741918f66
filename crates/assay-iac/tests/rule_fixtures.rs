//! Every built-in rule has a failing and a passing fixture under `fixtures/rules/<family>/<ID>/`:
//! files named `fail*` must raise the rule, files named `pass*` must not. An optional
//! `options.json` in the same folder holds the `IacOptions` the fixtures are scanned with
//! (opt-in rules are always enabled for their own fixtures).

use std::fs;
use std::path::{Path, PathBuf};

use assay_core::{Rule, RuleTarget};
use assay_iac::{IacOptions, dockerfile, k8s};

fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/rules")
}

fn options_for(dir: &Path, rule: &Rule) -> IacOptions {
    let mut options: IacOptions = match fs::read_to_string(dir.join("options.json")) {
        Ok(text) => serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{}/options.json: {e}", dir.display())),
        Err(_) => IacOptions::default(),
    };
    options.enable.push(rule.id.to_string());
    options
}

fn rule_ids_raised(rule: &Rule, file: &Path, options: &IacOptions) -> Vec<String> {
    let text = fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let name = file.display().to_string();
    let findings = match rule.target {
        RuleTarget::Dockerfile => {
            dockerfile::scan(&name, &text, options).unwrap_or_else(|e| panic!("{e}"))
        }
        RuleTarget::Kubernetes => {
            k8s::scan(&name, &text, options)
                .unwrap_or_else(|e| panic!("{e}"))
                .findings
        }
        other => panic!("no fixture runner for {other:?}"),
    };
    options
        .apply(findings)
        .into_iter()
        .filter(|f| f.suppression.is_none())
        .map(|f| f.rule_id)
        .collect()
}

#[test]
fn every_rule_fails_its_failing_fixture_and_passes_its_passing_one() {
    let mut problems = Vec::new();
    for rule in assay_iac::rules() {
        let family = match rule.target {
            RuleTarget::Dockerfile => "dockerfile",
            RuleTarget::Kubernetes => "kubernetes",
            _ => continue,
        };
        let dir = fixtures_root().join(family).join(rule.id);
        let Ok(entries) = fs::read_dir(&dir) else {
            problems.push(format!("{}: no fixture folder {}", rule.id, dir.display()));
            continue;
        };
        let options = options_for(&dir, rule);
        let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        files.sort();
        let (mut fails, mut passes) = (0, 0);
        for file in files {
            let Some(stem) = file.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            if !stem.starts_with("fail") && !stem.starts_with("pass") {
                continue;
            }
            let raised = rule_ids_raised(rule, &file, &options);
            let hit = raised.iter().any(|id| id == rule.id);
            if stem.starts_with("fail") {
                fails += 1;
                if !hit {
                    problems.push(format!(
                        "{}: {} raised {raised:?}, not the rule",
                        rule.id,
                        file.display()
                    ));
                }
            } else if stem.starts_with("pass") {
                passes += 1;
                if hit {
                    problems.push(format!(
                        "{}: {} should pass but raised it",
                        rule.id,
                        file.display()
                    ));
                }
            }
        }
        if fails == 0 || passes == 0 {
            problems.push(format!(
                "{}: needs fail* and pass* fixtures in {}",
                rule.id,
                dir.display()
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
