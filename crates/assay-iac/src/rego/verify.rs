//! `assay policy test`: running the policies' own unit tests, as `conftest verify` and
//! `opa test` do, so that a policy change is checked before it gates anyone's build.
//!
//! A test is a rule named `test_*` in any package: it passes when it evaluates to `true`, and
//! fails when it is `false`, undefined or errors. Tests usually give their input with
//! `with input as {...}`; no input is set otherwise.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

use super::catalog::{Catalog, RuleKind};
use super::error::{Diagnostic, RegoError};
use super::{LoadOptions, PolicySet};

/// How one test ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TestStatus {
    /// The rule evaluated to `true`.
    Pass,
    /// The rule evaluated to `false`, to another value or was undefined.
    Fail,
    /// Evaluating the rule failed (a builtin error, conflicting values).
    Error,
}

impl TestStatus {
    /// `PASS`, `FAIL` or `ERROR`, as test output shows it.
    pub fn as_str(self) -> &'static str {
        match self {
            TestStatus::Pass => "PASS",
            TestStatus::Fail => "FAIL",
            TestStatus::Error => "ERROR",
        }
    }
}

/// One `test_*` rule and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TestCase {
    /// Dotted package name.
    pub package: String,
    /// The rule's name (`test_denies_latest`).
    pub name: String,
    /// The file declaring it.
    pub file: String,
    /// Line of its first declaration.
    pub line: u32,
    /// How it ended.
    pub status: TestStatus,
    /// Why it did not pass (`evaluated to false`, `undefined`, or the error), one line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl fmt::Display for TestCase {
    /// `PASS policies/x_test.rego:4: data.main.test_allows_golden`, then `: why` if it did not.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}:{}: data.{}.{}",
            self.status.as_str(),
            self.file,
            self.line,
            self.package,
            self.name
        )?;
        if let Some(message) = &self.message {
            write!(f, ": {message}")?;
        }
        Ok(())
    }
}

/// Every test that ran, in file and line order, with counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TestReport {
    /// Tests that passed.
    pub passed: usize,
    /// Tests that failed or errored.
    pub failed: usize,
    /// Each test.
    pub tests: Vec<TestCase>,
}

impl TestReport {
    /// Whether every test passed (true when there are none, as `conftest verify` does).
    pub fn ok(&self) -> bool {
        self.failed == 0
    }
}

/// Loads the policies and tests below `dirs` and runs every `test_*` rule in the packages
/// `namespaces` (empty: every package), like `conftest verify`.
pub fn run_tests(dirs: &[PathBuf], namespaces: &[String]) -> Result<TestReport, RegoError> {
    let set = PolicySet::load_with(
        dirs,
        &LoadOptions {
            all_namespaces: true,
            ..LoadOptions::default()
        },
    )?;
    set.run_tests(namespaces)
}

/// Runs the `test_*` rules of a prepared engine.
pub(crate) fn run(
    engine: &mut regorus::Engine,
    namespaces: &[String],
) -> Result<TestReport, RegoError> {
    let catalog = Catalog::of(engine).map_err(|message| RegoError::Policy {
        location: "policies".to_string(),
        message,
    })?;
    let mut tests: Vec<_> = catalog
        .rules
        .into_iter()
        .filter(|r| r.kind == RuleKind::Test)
        .filter(|r| namespaces.is_empty() || namespaces.contains(&r.package))
        .collect();
    tests.sort_by(|a, b| (&a.file, a.line, &a.name).cmp(&(&b.file, b.line, &b.name)));

    let mut report = TestReport::default();
    for test in tests {
        let (status, message) = match engine.eval_rule(test.path()) {
            Ok(regorus::Value::Bool(true)) => (TestStatus::Pass, None),
            Ok(regorus::Value::Bool(false)) => {
                (TestStatus::Fail, Some("evaluated to false".to_string()))
            }
            Ok(regorus::Value::Undefined) => (TestStatus::Fail, Some("undefined".to_string())),
            Ok(other) => (
                TestStatus::Fail,
                Some(format!(
                    "evaluated to {}",
                    serde_json::to_string(&other).unwrap_or_else(|_| "a non-boolean".to_string())
                )),
            ),
            Err(e) => (
                TestStatus::Error,
                Some(Diagnostic::from_regorus(&e).one_line()),
            ),
        };
        match status {
            TestStatus::Pass => report.passed += 1,
            _ => report.failed += 1,
        }
        report.tests.push(TestCase {
            package: test.package,
            name: test.name,
            file: test.file,
            line: test.line,
            status,
            message,
        });
    }
    Ok(report)
}
