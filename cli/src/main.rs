//! The `assay` binary: parses arguments, runs one command, maps its result to an exit code.
//! The only crate that prints.

mod admission_cmd;
mod args;
mod audit_cmd;
mod clock;
mod config;
mod db_cmd;
mod exit;
mod gate;
mod ignorefile;
mod output;
mod policy_cmd;
mod progress;
mod promote_cmd;
mod report_cmd;
mod report_spec;
mod results_attestation;
mod rules_cmd;
mod sbom_cmd;
mod scan;
mod sign_cmd;
mod version_cmd;
mod vex;

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
    assay_oci::copy::configure(
        cli.registry_retries,
        assay_oci::copy::Backoff {
            read_timeout: std::time::Duration::from_secs(cli.registry_timeout),
            ..assay_oci::copy::Backoff::default()
        },
    );
    let result = match &cli.command {
        Command::Scan(a) => scan::run(a),
        Command::Rules(a) => rules_cmd::run(a),
        Command::AuditLog(a) => audit_cmd::run(a),
        Command::Admission(a) => admission_cmd::run(a),
        Command::Key(a) => sign_cmd::key(a),
        Command::Sign(a) => sign_cmd::sign(a),
        Command::Verify(a) => sign_cmd::verify(a),
        Command::SignBlob(a) => sign_cmd::sign_blob(a),
        Command::VerifyBlob(a) => sign_cmd::verify_blob(a),
        Command::Attest(a) => sign_cmd::attest(a),
        Command::VerifyAttestation(a) => sign_cmd::verify_attestation(a),
        Command::Tree(a) => sign_cmd::tree(a),
        Command::Promote(a) => promote_cmd::promote(a),
        Command::Approve(a) => promote_cmd::approve(a),
        Command::Approvals(a) => promote_cmd::approvals(a),
        Command::History(a) => promote_cmd::history(a),
        Command::Sbom(a) => sbom_cmd::run(a),
        Command::Report(a) => report_cmd::run(a),
        Command::Policy(args::PolicyCommand::Test(a)) => policy_cmd::test(a),
        Command::Db(args::DbCommand::Build { from, output }) => {
            db_cmd::build(from, output.as_deref())
        }
        Command::Db(args::DbCommand::Info { db, format }) => db_cmd::info(db.as_deref(), *format),
        Command::Db(args::DbCommand::Push(a)) => db_cmd::push(a),
        Command::Db(args::DbCommand::Pull(a)) => db_cmd::pull(a),
        Command::Db(args::DbCommand::Update(a)) => db_cmd::update(a),
        Command::Version(args::VersionCommand::Compare {
            ecosystem,
            a,
            b,
            batch,
        }) => version_cmd::compare(ecosystem, a.as_deref(), b.as_deref(), *batch),
    };
    exit::finish(result)
}
