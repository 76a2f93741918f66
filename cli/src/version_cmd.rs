//! `assay version compare`: how an ecosystem orders two versions, one pair or a batch.

use std::io::BufRead;

use crate::exit::{self, Failure};
use crate::{output, warn};

/// Compares `a` and `b`, or with `batch` every `A<TAB>B` line of stdin.
///
/// A single pair that cannot be compared is exit 2 naming the version; in batch mode such a
/// line prints `!` (its reason goes to stderr, with the line number) and the exit code is 1
/// once all lines are done, so a reference table can be checked in one run.
pub fn compare(
    ecosystem: &str,
    a: Option<&str>,
    b: Option<&str>,
    batch: bool,
) -> anyhow::Result<u8> {
    if !batch {
        let (Some(a), Some(b)) = (a, b) else {
            return Err(Failure::input("version compare needs A and B, or --batch").into());
        };
        let symbol = assay_vuln::compare_cli(ecosystem, a, b)
            .map_err(|e| Failure::input(format!("{ecosystem}: {e}")))?;
        output::emit(None, format!("{symbol}\n").as_bytes())?;
        return Ok(exit::OK);
    }
    let mut out = String::new();
    let mut failed = 0usize;
    for (i, line) in std::io::stdin().lock().lines().enumerate() {
        let line = line.map_err(|e| Failure::input(format!("stdin: {e}")))?;
        if line.trim().is_empty() {
            continue;
        }
        let result = match line.split_once('\t') {
            Some((a, b)) => assay_vuln::compare_cli(ecosystem, a, b).map_err(|e| e.to_string()),
            None => Err("expected A<TAB>B".to_string()),
        };
        match result {
            Ok(symbol) => out.push(symbol),
            Err(reason) => {
                failed += 1;
                warn(&format!("stdin:{}: {reason}", i + 1));
                out.push('!');
            }
        }
        out.push('\n');
    }
    output::emit(None, out.as_bytes())?;
    Ok(if failed > 0 { exit::FINDINGS } else { exit::OK })
}
