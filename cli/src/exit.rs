//! Exit codes (documented in `assay --help`, the README and DESIGN.md section 4) and the one
//! error type the commands return, which carries its code.

use std::fmt;
use std::process::ExitCode;

/// Nothing at or above the `--fail-on` threshold.
pub const OK: u8 = 0;
/// Default code when findings fail the build (`--exit-code` changes it).
pub const FINDINGS: u8 = 1;
/// Usage or input error: bad flags, unreadable or malformed input, bad configuration.
pub const INPUT: u8 = 2;

/// The `after_help` text of `assay --help`.
pub const HELP: &str = "\
Exit codes:
  0  no finding at or above the --fail-on threshold
  1  findings at or above the threshold (change with --exit-code N)
  2  usage or input error (bad flag, missing or malformed file; names file:line)
  3  network or registry error
  4  policy denied (promotion or signature verification)";

/// An error that ends the command with a given exit code and one line on stderr.
#[derive(Debug)]
pub struct Failure {
    /// Process exit code.
    pub code: u8,
    /// The one-line message.
    pub message: String,
}

impl Failure {
    /// A usage or input error (exit 2).
    pub fn input(message: impl Into<String>) -> Self {
        Failure {
            code: INPUT,
            message: message.into(),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// Maps a command's result to the process exit code, printing errors as one line.
pub fn finish(result: anyhow::Result<u8>) -> ExitCode {
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            let code = err.downcast_ref::<Failure>().map_or(INPUT, |f| f.code);
            // One line: the chain joined, newlines folded, so CI logs stay greppable.
            let text = format!("{err:#}").replace('\n', " ");
            #[allow(clippy::print_stderr)]
            {
                eprintln!("assay: {text}");
            }
            ExitCode::from(code)
        }
    }
}
