//! `assay policy test`: runs the `test_*` rules of Rego policies, like `conftest verify`.

use assay_iac::rego::{self, TestStatus};

use crate::args::PolicyTestArgs;
use crate::exit::{self, Failure};
use crate::output;

/// Runs the tests; exit 0 when all pass, 1 when any fails, 2 when the policies do not load.
pub fn test(args: &PolicyTestArgs) -> anyhow::Result<u8> {
    for dir in &args.dirs {
        if !dir.is_dir() {
            return Err(Failure::input(format!("{}: no such directory", dir.display())).into());
        }
    }
    let report =
        rego::run_tests(&args.dirs, &args.namespace).map_err(|e| Failure::input(e.to_string()))?;
    let mut text = String::new();
    for case in &report.tests {
        text.push_str(&case.to_string());
        text.push('\n');
    }
    let errors = report
        .tests
        .iter()
        .filter(|t| t.status == TestStatus::Error)
        .count();
    text.push_str(&format!(
        "{} passed, {} failed\n",
        report.passed, report.failed
    ));
    output::emit(None, text.as_bytes())?;
    Ok(if report.tests.is_empty() {
        crate::warn("no test_* rules found");
        exit::OK
    } else if report.failed > 0 || errors > 0 {
        exit::FINDINGS
    } else {
        exit::OK
    })
}
