//! The `assay` binary: parses arguments, runs one command, maps its result to an exit code.
//! The only crate that prints.

mod args;
mod clock;
mod config;
mod db_cmd;
mod exit;
mod gate;
mod ignorefile;
mod output;
mod policy_cmd;
mod rules_cmd;
mod sbom_cmd;
mod scan;
mod version_cmd;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use args::{Cli, Command};

/// Colour only on a terminal and never when `NO_COLOR` is set to anything non-empty
/// (<https://no-color.org>).
fn color_wanted() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// An input error that did not stop the scan, on stderr as one line, shaped like the fatal
/// ones (`assay: file:line: what`).
#[allow(clippy::print_stderr)]
fn error_line(message: &str) {
    eprintln!("assay: {}", message.replace('\n', " "));
}

/// A warning on stderr, one line.
#[allow(clippy::print_stderr)]
fn warn(message: &str) {
    eprintln!("assay: warning: {}", message.replace('\n', " "));
}

/// CI systems pass unset inputs as empty variables (`ASSAY_TEMPLATE=`): treat an empty
/// `ASSAY_*` variable as unset rather than as an empty value, as Trivy does for `TRIVY_*`.
fn ignore_empty_env(cmd: clap::Command) -> clap::Command {
    let cmd = cmd.mut_args(|arg| match arg.get_env() {
        Some(name) if std::env::var_os(name).is_some_and(|v| v.is_empty()) => {
            arg.env(None::<&'static str>)
        }
        _ => arg,
    });
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    names
        .into_iter()
        .fold(cmd, |cmd, name| cmd.mut_subcommand(name, ignore_empty_env))
}

fn main() -> ExitCode {
    let matches = ignore_empty_env(Cli::command()).get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let result = match &cli.command {
        Command::Scan(a) => scan::run(a),
        Command::Rules(a) => rules_cmd::run(a),
        Command::Sbom(a) => sbom_cmd::run(a),
        Command::Policy(args::PolicyCommand::Test(a)) => policy_cmd::test(a),
        Command::Db(args::DbCommand::Build { from, output }) => {
            db_cmd::build(from, output.as_deref())
        }
        Command::Db(args::DbCommand::Info { db, format }) => db_cmd::info(db.as_deref(), *format),
        Command::Version(args::VersionCommand::Compare {
            ecosystem,
            a,
            b,
            batch,
        }) => version_cmd::compare(ecosystem, a.as_deref(), b.as_deref(), *batch),
    };
    exit::finish(result)
}
