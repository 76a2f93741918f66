//! Users' own policies in Rego, evaluated with regorus and compatible with Conftest.
//!
//! Teams that already keep Conftest policies should be able to point assay at them unchanged:
//! the same file layout (`*.rego` below `--policy DIR`, `*_test.rego` for tests), the same
//! package (`main`, or `--namespace`, or all with `--all-namespaces`), the same rule names
//! (`deny`, `violation`, `warn` and their `_suffix` variants), the same input shapes (a
//! Dockerfile as Conftest's instruction list, a Kubernetes object as itself) and the same
//! result shapes (a message, or an object with `msg`). What assay adds is read from optional
//! metadata: a rule id, a severity, a title and a fix, so that policy findings sit in the same
//! report, gate and SARIF output as the built-in rules.
//!
//! Conftest's result conventions: a rule's value is a set (or array) whose elements are either
//! a message string or an object with a `msg` string and any other keys as metadata. Values
//! that are not a collection (`deny := false`) mean "no result", as in Conftest. assay reads
//! these metadata keys, falling back to the rule's `# METADATA` annotation, then to defaults:
//!
//! | key                     | meaning                         | default                      |
//! |-------------------------|---------------------------------|------------------------------|
//! | `id`, `rule_id`         | the finding's rule id           | `<package>.<rule>`           |
//! | `severity`              | `CRITICAL` .. `INFO`            | HIGH for deny/violation, LOW for warn |
//! | `title`                 | one-line rule title             | annotation title, else the rule id |
//! | `description`           | why it matters (rule docs)      | annotation, else the message |
//! | `remediation`, `fix`    | how to fix it                   | annotation `custom.remediation` |
//! | `line`, `StartLine`     | line to report                  | the document's line          |
//! | `end_line`, `EndLine`   | last line to report             | the line                     |
//! | `resource`              | the object concerned            | the document's resource      |
//! | `references`, `url`     | links                           | annotation related_resources |
//!
//! The policies are parsed and compiled once by [`PolicySet::load`]; each evaluation clones
//! the prepared engine (cheap: modules and data are shared), so thousands of documents cost
//! one parse. Policies in Rego v1 syntax and in v0 syntax (Conftest before 0.56) both load:
//! a file that does not parse as v1 is retried as v0.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use assay_core::{Finding, RuleDoc};
use serde::Deserialize;

mod annotations;
mod catalog;
mod error;
mod files;
mod input;
mod result;
mod verify;

use annotations::Annotations;
use catalog::{Catalog, RuleDecl, RuleKind};
use error::Diagnostic;
pub use error::RegoError;
pub use input::{Input, dockerfile_input, manifest_input, manifest_inputs, resource_of};
pub use verify::{TestCase, TestReport, TestStatus, run_tests};

/// The package Conftest and assay query when none is named.
pub const DEFAULT_NAMESPACE: &str = "main";

/// How to load policies: the `--namespace`, `--all-namespaces` and `--data` options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// Packages whose rules are evaluated; empty means [`DEFAULT_NAMESPACE`].
    pub namespaces: Vec<String>,
    /// Evaluate the rules of every package the policies declare (Conftest's
    /// `--all-namespaces`); `namespaces` is then ignored.
    pub all_namespaces: bool,
    /// Extra data files or directories (`*.json`, `*.yaml`) merged into `data`, besides the
    /// data files found next to the policies.
    pub data: Vec<PathBuf>,
}

/// Where the document being evaluated came from, so that findings point at it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EvalContext {
    /// The scanned target the findings belong to (the file or image name).
    pub target: String,
    /// The file, as findings show it.
    pub path: String,
    /// The line findings point at unless the policy names one (a Kubernetes document's
    /// first line; 1 for a Dockerfile).
    pub line: u32,
    /// The object concerned (`Deployment/shop/web`), unless the policy names one.
    pub resource: Option<String>,
}

/// What evaluating policies gave: the findings and the documentation of their rules, which
/// reports need to describe rules that only exist at run time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Evaluation {
    /// Findings, in report order.
    pub findings: Vec<Finding>,
    /// One entry per rule id seen in `findings`, sorted by id.
    pub rules: Vec<RuleDoc>,
}

impl Evaluation {
    /// Adds the findings and rule docs of another evaluation (another document), keeping the
    /// first doc seen for each rule id and the report order.
    pub fn merge(&mut self, other: Evaluation) {
        let in_order = match (self.findings.last(), other.findings.first()) {
            (Some(last), Some(first)) => last.sort_key() <= first.sort_key(),
            _ => true,
        };
        self.findings.extend(other.findings);
        if !in_order {
            self.findings
                .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        }
        for doc in other.rules {
            if let Err(at) = self.rules.binary_search_by(|d| d.id.cmp(&doc.id)) {
                self.rules.insert(at, doc);
            }
        }
    }
}

/// Policies loaded, parsed and compiled once, ready to evaluate any number of documents.
///
/// `Send + Sync`: threads may share one set; each evaluation works on its own engine clone.
#[derive(Clone)]
pub struct PolicySet {
    /// The prepared engine with the policies (not the tests) and the data.
    engine: regorus::Engine,
    /// The `deny`/`violation`/`warn` rules of the selected namespaces.
    decisions: Vec<RuleDecl>,
    /// `# METADATA` annotations by (package, rule).
    annotations: Annotations,
    /// Selected namespaces.
    namespaces: Vec<String>,
    /// Every package the policies declare.
    packages: Vec<String>,
    /// Policy files loaded, as shown in messages.
    files: Vec<String>,
    /// `*_test.rego` files: (path, text), parsed only by [`PolicySet::run_tests`].
    tests: Vec<(String, String)>,
}

impl fmt::Debug for PolicySet {
    /// The files and rules, not the engine's internals (which print the whole AST).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PolicySet")
            .field("files", &self.files)
            .field("namespaces", &self.namespaces)
            .field(
                "rules",
                &self
                    .decisions
                    .iter()
                    .map(RuleDecl::path)
                    .collect::<Vec<_>>(),
            )
            .field("tests", &self.tests.len())
            .finish()
    }
}

impl PolicySet {
    /// Loads every `*.rego` file below `dirs` (directories or files, recursively, sorted)
    /// and the `*.json`/`*.yaml` data files next to them, evaluating the rules of
    /// `namespaces` (empty: `main`).
    pub fn load(dirs: &[PathBuf], namespaces: &[String]) -> Result<PolicySet, RegoError> {
        Self::load_with(
            dirs,
            &LoadOptions {
                namespaces: namespaces.to_vec(),
                ..LoadOptions::default()
            },
        )
    }

    /// [`PolicySet::load`] with every option.
    pub fn load_with(dirs: &[PathBuf], options: &LoadOptions) -> Result<PolicySet, RegoError> {
        let found = files::discover(dirs)?;
        let mut data = files::DataDocument::default();
        for path in found
            .data
            .iter()
            .chain(&files::discover_data(&options.data)?)
        {
            data.add_file(path)?;
        }

        let mut engine = regorus::Engine::new();
        let data = regorus::Value::from(data.into_value());
        engine.add_data(data).map_err(|e| RegoError::Data {
            path: "data".to_string(),
            message: Diagnostic::from_regorus(&e).message,
        })?;
        let mut sources = Vec::new();
        for path in &found.policies {
            let name = files::display(path);
            let text = files::read_text(path)?;
            add_policy(&mut engine, &name, &text)?;
            sources.push((name, text));
        }
        prepare(&mut engine)?;

        let catalog = Catalog::of(&mut engine).map_err(|message| RegoError::Policy {
            location: "policies".to_string(),
            message,
        })?;
        let mut annotations = Annotations::new();
        for (name, text) in &sources {
            if let Some(package) = catalog.package_of(name) {
                annotations::read(name, text, package, &mut annotations)?;
            }
        }
        let packages: Vec<String> = catalog.packages.keys().cloned().collect();
        let namespaces = if options.all_namespaces {
            packages.clone()
        } else if options.namespaces.is_empty() {
            vec![DEFAULT_NAMESPACE.to_string()]
        } else {
            options.namespaces.clone()
        };
        let decisions = catalog
            .rules
            .into_iter()
            .filter(|r| r.kind != RuleKind::Test && namespaces.contains(&r.package))
            .collect();
        let mut tests = Vec::new();
        for path in &found.tests {
            tests.push((files::display(path), files::read_text(path)?));
        }
        Ok(PolicySet {
            engine,
            decisions,
            annotations,
            namespaces,
            packages,
            files: sources.into_iter().map(|(name, _)| name).collect(),
            tests,
        })
    }

    /// Whether no policy file was found (a `./policies` folder holding only data or docs).
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The policy files loaded (tests excluded), in load order.
    pub fn files(&self) -> &[String] {
        &self.files
    }

    /// The namespaces whose rules are evaluated.
    pub fn namespaces(&self) -> &[String] {
        &self.namespaces
    }

    /// Every package the policies declare, sorted; lets the CLI warn about a `--namespace`
    /// that matches nothing.
    pub fn packages(&self) -> &[String] {
        &self.packages
    }

    /// Evaluates the `deny`, `violation` and `warn` rules (and their `_suffix` variants) of
    /// every selected namespace against one input document.
    pub fn evaluate(
        &self,
        input: &serde_json::Value,
        ctx: &EvalContext,
    ) -> Result<Evaluation, RegoError> {
        let mut engine = self.engine.clone();
        self.evaluate_in(&mut engine, input, ctx)
    }

    /// Evaluates many documents, reusing one engine: what a scan of a manifest directory
    /// calls. The result is the merge of every document's evaluation.
    pub fn evaluate_all(&self, inputs: &[Input]) -> Result<Evaluation, RegoError> {
        let mut engine = self.engine.clone();
        let mut findings = Vec::new();
        let mut docs: BTreeMap<String, RuleDoc> = BTreeMap::new();
        for input in inputs {
            let one = self.evaluate_in(&mut engine, &input.value, &input.context)?;
            findings.extend(one.findings);
            for doc in one.rules {
                docs.entry(doc.id.clone()).or_insert(doc);
            }
        }
        findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        Ok(Evaluation {
            findings,
            rules: docs.into_values().collect(),
        })
    }

    fn evaluate_in(
        &self,
        engine: &mut regorus::Engine,
        input: &serde_json::Value,
        ctx: &EvalContext,
    ) -> Result<Evaluation, RegoError> {
        let value = regorus::Value::deserialize(input).map_err(|e| RegoError::Input {
            path: ctx.path.clone(),
            message: e.to_string(),
        })?;
        engine.set_input(value);
        let mut findings = Vec::new();
        let mut docs: BTreeMap<String, RuleDoc> = BTreeMap::new();
        for rule in &self.decisions {
            let value = engine.eval_rule(rule.path()).map_err(|e| RegoError::Eval {
                rule: rule.path(),
                file: rule.file.clone(),
                line: rule.line,
                message: Diagnostic::from_regorus(&e).one_line(),
            })?;
            let elements = result::elements(&value).map_err(|message| RegoError::Result {
                rule: rule.path(),
                file: rule.file.clone(),
                line: rule.line,
                message,
            })?;
            let annotation = self
                .annotations
                .get(&(rule.package.clone(), rule.name.clone()));
            for element in &elements {
                let Some(outcome) = result::outcome(rule, annotation, element, ctx)? else {
                    continue;
                };
                docs.entry(outcome.doc.id.clone()).or_insert(outcome.doc);
                findings.push(outcome.finding);
            }
        }
        findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        Ok(Evaluation {
            findings,
            rules: docs.into_values().collect(),
        })
    }

    /// Runs every `test_*` rule of the policies and their `*_test.rego` files, like
    /// `conftest verify`; `namespaces` restricts the packages (empty: all).
    pub fn run_tests(&self, namespaces: &[String]) -> Result<TestReport, RegoError> {
        let mut engine = self.engine.clone();
        for (name, text) in &self.tests {
            add_policy(&mut engine, name, text)?;
        }
        prepare(&mut engine)?;
        verify::run(&mut engine, namespaces)
    }
}

/// Parses one policy file into `engine`: as Rego v1 first, then, when v1 says a keyword is
/// missing (the mark of a v0 file: `deny[msg] { ... }`), as v0, Conftest's older default.
///
/// Files that fail v1 for any other reason are not retried: their v1 error is the real one,
/// and regorus's v0 parser prints keyword warnings to stderr that would garble the CLI's
/// one-line error.
fn add_policy(engine: &mut regorus::Engine, name: &str, text: &str) -> Result<(), RegoError> {
    engine.set_rego_v0(false);
    let v1 = match engine.add_policy(name.to_string(), text.to_string()) {
        Ok(_) => return Ok(()),
        Err(e) => Diagnostic::from_regorus(&e),
    };
    let best = if v1.message.contains("keyword is required") {
        engine.set_rego_v0(true);
        let v0 = engine.add_policy(name.to_string(), text.to_string());
        engine.set_rego_v0(false);
        match v0 {
            Ok(_) => return Ok(()),
            Err(e) => Diagnostic::from_regorus(&e),
        }
    } else {
        v1
    };
    Err(RegoError::Policy {
        location: best.location.unwrap_or_else(|| name.to_string()),
        message: best.message,
    })
}

/// Analyzes the loaded modules once (scheduling, unsafe variables, unknown functions) so that
/// compile errors surface at load time and clones of the engine start prepared.
fn prepare(engine: &mut regorus::Engine) -> Result<(), RegoError> {
    engine
        .eval_query("true".to_string(), false)
        .map(|_| ())
        .map_err(|e| {
            let d = Diagnostic::from_regorus(&e);
            RegoError::Policy {
                location: d.location.unwrap_or_else(|| "policies".to_string()),
                message: d.message,
            }
        })
}
