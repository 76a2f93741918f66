//! The rule documentation is generated from the rule definitions; the committed pages must
//! match what `assay rules --format markdown` prints (regenerate with scripts/gen-docs.sh).
#![allow(clippy::unwrap_used)]

mod common;

use common::{assay, repo_root, run};

fn check(target: &str, page: &str) {
    let (code, generated, stderr) =
        run(assay().args(["rules", "--format", "markdown", "--target", target]));
    assert_eq!(code, 0, "{stderr}");
    let committed = std::fs::read_to_string(repo_root().join(page)).unwrap_or_default();
    assert!(
        committed == generated,
        "{page} is stale: run scripts/gen-docs.sh"
    );
}

#[test]
fn dockerfile_rule_docs_are_current() {
    check("dockerfile", "docs/rules/dockerfile.md");
}

#[test]
fn kubernetes_rule_docs_are_current() {
    check("kubernetes", "docs/rules/kubernetes.md");
}

#[test]
fn rules_json_lists_every_documented_field() {
    let (code, stdout, _) = run(assay().args(["rules", "--format", "json"]));
    assert_eq!(code, 0);
    let rules: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let rules = rules.as_array().unwrap();
    assert!(!rules.is_empty());
    for r in rules {
        for key in [
            "id",
            "target",
            "severity",
            "title",
            "description",
            "remediation",
            "equivalents",
        ] {
            assert!(r.get(key).is_some(), "{key} missing in {r}");
        }
    }
}

#[test]
fn readme_shows_the_demo_output_as_it_is() {
    let (_, stdout, _) = run(assay().args(["scan", "fixtures/demo"]));
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let block = format!(
        "<!-- demo-output:start -->\n```\n{}\n```\n<!-- demo-output:end -->",
        stdout.trim_end()
    );
    assert!(
        readme.contains(&block),
        "README demo output is stale: run scripts/readme-demo.sh"
    );
}
