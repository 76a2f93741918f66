//! Command-line arguments (clap derive). Every subcommand's help ends with examples.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::exit;

/// Container supply-chain security for CI/CD: scan Dockerfiles and Kubernetes manifests,
/// gate builds on findings, write reports for GitHub, GitLab and Jenkins.
#[derive(Debug, Parser)]
#[command(name = "assay", version, about, after_help = exit::HELP)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
    /// Registry requests: extra attempts after a failure that may pass (5xx, 429, a reset or
    /// stalled connection, bytes that do not match their digest), waiting 250 ms, then twice
    /// as long each time (at most 8 s, or the registry's `Retry-After` up to 60 s).
    #[arg(
        long,
        global = true,
        env = "ASSAY_REGISTRY_RETRIES",
        value_name = "N",
        default_value_t = assay_oci::copy::DEFAULT_RETRIES
    )]
    pub registry_retries: u32,
    /// Registry requests: seconds without receiving anything (the answer, the next part of a
    /// body) before a request counts as broken and is retried.
    #[arg(
        long,
        global = true,
        env = "ASSAY_REGISTRY_TIMEOUT",
        value_name = "SECONDS",
        default_value_t = 60,
        value_parser = clap::value_parser!(u64).range(1..=3600)
    )]
    pub registry_timeout: u64,
}

/// assay's commands.
// Parsed once per process: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan a Dockerfile, manifests or a directory and report findings.
    #[command(after_help = SCAN_EXAMPLES)]
    Scan(ScanArgs),
    /// Write the software bill of materials of an image, a directory or a lock file
    /// (CycloneDX 1.6/1.5 JSON or XML, SPDX 2.3 JSON or tag-value).
    #[command(after_help = SBOM_EXAMPLES)]
    Sbom(SbomArgs),
    /// Work with a JSON report: post it as a GitHub pull-request comment that later runs update.
    #[command(subcommand, after_help = crate::report_cmd::EXAMPLES)]
    Report(crate::report_cmd::ReportCommand),
    /// List the built-in rules.
    #[command(after_help = RULES_EXAMPLES)]
    Rules(RulesArgs),
    /// Work with Rego policies.
    #[command(subcommand, after_help = POLICY_EXAMPLES)]
    Policy(PolicyCommand),
    /// Build and inspect the vulnerability database compiled from OSV data.
    #[command(subcommand, after_help = DB_EXAMPLES)]
    Db(DbCommand),
    /// Version utilities: how an ecosystem orders package versions.
    #[command(subcommand, after_help = VERSION_EXAMPLES)]
    Version(VersionCommand),
    /// Review Kubernetes audit logs: exec into pods, secrets read, privileged pods, images that
    /// were not promoted, webhook changes, ... (rules ASSAY-AUD-NNN).
    #[command(name = "audit-log", after_help = crate::audit_cmd::EXAMPLES)]
    AuditLog(crate::audit_cmd::AuditLogArgs),
    /// The image admission webhook: serve it, print its manifests, export its policy for
    /// Kyverno or the sigstore policy-controller.
    #[command(subcommand, after_help = crate::admission_cmd::EXAMPLES)]
    Admission(crate::admission_cmd::AdmissionCommand),
    /// Cosign-compatible key pairs: generate one, print a public key and its fingerprint.
    #[command(subcommand)]
    Key(crate::sign_cmd::KeyCommand),
    /// Sign an image (registry or oci:DIR) the way cosign does.
    #[command(after_help = crate::sign_cmd::SIGN_EXAMPLES)]
    Sign(crate::sign_cmd::SignArgs),
    /// Verify an image's cosign signatures (exit 4 when none verifies).
    #[command(after_help = crate::sign_cmd::VERIFY_EXAMPLES)]
    Verify(crate::sign_cmd::VerifyArgs),
    /// Sign a file: a base64 signature, as `cosign sign-blob`.
    #[command(name = "sign-blob", after_help = crate::sign_cmd::BLOB_EXAMPLES)]
    SignBlob(crate::sign_cmd::SignBlobArgs),
    /// Verify a file's signature, as `cosign verify-blob` (exit 4 when it does not verify).
    #[command(name = "verify-blob", after_help = crate::sign_cmd::BLOB_EXAMPLES)]
    VerifyBlob(crate::sign_cmd::VerifyBlobArgs),
    /// Attach a signed in-toto attestation (SBOM, provenance, scan results...) to an image.
    #[command(after_help = crate::sign_cmd::ATTEST_EXAMPLES)]
    Attest(crate::sign_cmd::AttestArgs),
    /// Verify an image's attestations and print them or write the predicate.
    #[command(name = "verify-attestation", after_help = crate::sign_cmd::ATTEST_EXAMPLES)]
    VerifyAttestation(crate::sign_cmd::VerifyAttestationArgs),
    /// List the signatures, attestations and SBOMs attached to an image.
    #[command(after_help = crate::sign_cmd::TREE_EXAMPLES)]
    Tree(crate::sign_cmd::TreeArgs),
    /// Promote an image to production when the policy's evidence is there (signature, SBOM
    /// and scan attestations, golden base image, approvals); exit 4 when denied.
    #[command(after_help = crate::promote_cmd::PROMOTE_EXAMPLES)]
    Promote(crate::promote_cmd::PromoteArgs),
    /// Approve (or --reject) an image for promotion with a release manager's key.
    #[command(after_help = crate::promote_cmd::APPROVE_EXAMPLES)]
    Approve(crate::promote_cmd::ApproveArgs),
    /// List the approvals attached to an image and whether they verify.
    #[command(after_help = crate::promote_cmd::APPROVALS_EXAMPLES)]
    Approvals(crate::promote_cmd::ApprovalsArgs),
    /// Show an image's promotion records (attached attestations or an audit log).
    #[command(after_help = crate::promote_cmd::HISTORY_EXAMPLES)]
    History(crate::promote_cmd::HistoryArgs),
}

const VERSION_EXAMPLES: &str = "\
Examples:
  assay version compare Debian 1:1.2-1 1.3-1      # prints >  (the epoch wins)
  assay version compare PyPI 1.0rc1 1.0           # prints <
  assay version compare Maven 1.0-SNAPSHOT 1.0    # prints <
  printf '1.0\t1.1\n2.0~rc1\t2.0\n' | assay version compare Debian --batch";

const DB_EXAMPLES: &str = "\
Examples:
  assay db build --from osv/PyPI-all.zip --from osv/Debian/ --output assay.db
  assay db info                                   # the database at $ASSAY_DB or ~/.cache/assay/db/assay.db
  assay db info --db assay.db --format json
  assay db push registry.example.com/security/assay-db:1
  assay db pull registry.example.com/security/assay-db:1   # digest-verified, atomic
  assay db update                                 # assay.yaml db: ecosystems/urls/repository
  assay db update --offline                       # exit 2, naming what would be fetched";

/// `assay db` subcommands.
#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Compile OSV records (JSON files, directories, all.zip exports) into one database file.
    #[command(after_help = DB_EXAMPLES)]
    Build {
        /// OSV input: a JSON file, a directory tree of them, or an ecosystem's all.zip; repeatable.
        #[arg(long = "from", value_name = "PATH", required = true)]
        from: Vec<PathBuf>,
        /// The database file (default: $ASSAY_DB, else $XDG_CACHE_HOME/assay/db/assay.db).
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Show a database's schema version, build time, sources and counts per ecosystem.
    #[command(after_help = DB_EXAMPLES)]
    Info {
        /// The database file (default: $ASSAY_DB, else $XDG_CACHE_HOME/assay/db/assay.db).
        #[arg(long, env = "ASSAY_DB", value_name = "FILE")]
        db: Option<PathBuf>,
        /// Output format.
        #[arg(short, long, value_enum, default_value = "table")]
        format: InfoFormat,
    },
    /// Store the database in a registry as an OCI artifact (artifactType
    /// application/vnd.assay.db.v1), so air-gapped sites mirror it like an image.
    #[command(after_help = DB_EXAMPLES)]
    Push(crate::db_cmd::PushArgs),
    /// Fetch a database pushed with `assay db push`, verify its digest and install it
    /// atomically at $ASSAY_DB (or the XDG cache location).
    #[command(after_help = DB_EXAMPLES)]
    Pull(crate::db_cmd::PullArgs),
    /// Download the OSV exports configured in assay.yaml `db:` (default: osv.dev's
    /// all.zip of every ecosystem assay matches), or pull `db.repository`, and rebuild.
    #[command(after_help = DB_EXAMPLES)]
    Update(crate::db_cmd::UpdateArgs),
}

/// `assay db info --format` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum InfoFormat {
    /// Lines for people.
    Table,
    /// The info as JSON.
    Json,
}

/// `assay version` subcommands.
#[derive(Debug, Subcommand)]
pub enum VersionCommand {
    /// Print `<`, `=` or `>`: how version A compares with B in an OSV ecosystem (Debian,
    /// Ubuntu, Alpine, Red Hat, PyPI, npm, crates.io, Go, Maven, RubyGems, NuGet, Packagist, ...).
    #[command(after_help = VERSION_EXAMPLES)]
    Compare {
        /// OSV ecosystem name, optionally with a release (`Debian:12`).
        ecosystem: String,
        /// First version.
        #[arg(required_unless_present = "batch")]
        a: Option<String>,
        /// Second version.
        #[arg(required_unless_present = "batch")]
        b: Option<String>,
        /// Read `A<TAB>B` lines on stdin and print one symbol per line (`!` for a pair that
        /// cannot be ordered, with the reason on stderr).
        #[arg(long, conflicts_with_all = ["a", "b"])]
        batch: bool,
    },
}

const SCAN_EXAMPLES: &str = "\
Examples:
  assay scan .                                   # every Dockerfile and manifest below .
  assay scan Dockerfile --format sarif -o assay.sarif
  helm template charts/web | assay scan -        # manifests from stdin
  assay scan deploy/ --severity HIGH,CRITICAL --fail-on misconfig=HIGH --exit-code 7
  assay scan . --format template --template report.j2
  assay scan . --report sarif=assay.sarif --report json=assay.json   # one scan, several files
  assay db build --from osv/ && assay scan oci:build/image:1.0 --format gitlab   # image vulnerabilities
  assay scan oci:build/image:1.0 --vex triage.vex.json --format openvex -o next.vex.json
  assay scan . --explain CVE-2024-45490          # why each package matched that vulnerability

Exit codes: 0 nothing at or above --fail-on; 1 (or --exit-code) findings; 2 input error;
3 network error; 4 policy denied.";

const RULES_EXAMPLES: &str = "\
Examples:
  assay rules                          # table of every built-in rule
  assay rules --target kubernetes --format json
  assay rules --format markdown --target dockerfile > docs/rules/dockerfile.md";

const POLICY_EXAMPLES: &str = "\
Examples:
  assay policy test policies/          # run every test_* rule, like conftest verify";

/// `assay scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// What to scan: a directory, a Dockerfile, a YAML/JSON manifest, - for stdin, or an
    /// image: oci:DIR[:TAG], docker-archive:FILE, dir:ROOTFS, docker://REF or host/repo:tag.
    pub target: String,

    /// Scanners to run, comma-separated: misconfig (files), vuln (images, lock files),
    /// secret, malware, license, baseline (default: misconfig,vuln,secret).
    #[arg(long, env = "ASSAY_SCANNERS", value_name = "LIST")]
    pub scanners: Option<String>,

    /// Output format: table, json, sarif, junit, gitlab, gitlab-sast,
    /// gitlab-container-scanning, gitlab-dependency-scanning, markdown, template, openvex.
    #[arg(short, long, env = "ASSAY_FORMAT", value_name = "FORMAT")]
    pub format: Option<String>,

    /// minijinja template for --format template.
    #[arg(long, env = "ASSAY_TEMPLATE", value_name = "FILE")]
    pub template: Option<PathBuf>,

    /// Write the report to FILE (atomically) instead of stdout.
    #[arg(short, long, env = "ASSAY_OUTPUT", value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Also write the report in another format to a file, from the same scan (repeatable):
    /// `--report sarif=assay.sarif --report markdown=summary.md`.
    #[arg(long = "report", value_name = "FORMAT=FILE")]
    pub reports: Vec<String>,

    /// Severities to report, comma-separated (the gate still sees every finding).
    #[arg(short, long, env = "ASSAY_SEVERITY", value_name = "LIST")]
    pub severity: Option<String>,

    /// What fails the build: a severity (HIGH), per scanner (vuln=HIGH,misconfig=MEDIUM),
    /// or none. Default: any finding.
    #[arg(long, env = "ASSAY_FAIL_ON", value_name = "SPEC")]
    pub fail_on: Option<String>,

    /// Exit code when findings fail the build.
    #[arg(long, env = "ASSAY_EXIT_CODE", value_name = "N")]
    pub exit_code: Option<u8>,

    /// Leave out vulnerabilities that have no fixed version.
    #[arg(long, env = "ASSAY_IGNORE_UNFIXED", num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub ignore_unfixed: Option<bool>,

    /// Ignore file (default .assayignore in the current directory).
    #[arg(long, env = "ASSAY_IGNOREFILE", value_name = "FILE")]
    pub ignorefile: Option<PathBuf>,

    /// Configuration file (default ./assay.yaml when present).
    #[arg(short, long, env = "ASSAY_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Directory of Rego policies (default ./policies when present); repeatable.
    #[arg(long, env = "ASSAY_POLICY", value_name = "DIR", value_delimiter = ',')]
    pub policy: Vec<PathBuf>,

    /// Rego package to evaluate (default main); repeatable.
    #[arg(
        long,
        env = "ASSAY_NAMESPACE",
        value_name = "NAME",
        value_delimiter = ','
    )]
    pub namespace: Vec<String>,

    /// Evaluate every Rego package, not only --namespace.
    #[arg(long, env = "ASSAY_ALL_NAMESPACES")]
    pub all_namespaces: bool,

    /// JSON or YAML files merged into Rego's `data`; repeatable.
    #[arg(long, env = "ASSAY_DATA", value_name = "FILE", value_delimiter = ',')]
    pub data: Vec<PathBuf>,

    /// Vulnerability database file (default: $XDG_CACHE_HOME/assay/db/assay.db).
    #[arg(long, env = "ASSAY_DB", value_name = "FILE")]
    pub db: Option<PathBuf>,

    /// ClamAV signature databases for the malware scanner, added to the built-in set:
    /// .hdb/.hsb/.mdb/.msb/.fp/.sfp/.ign2 files, .cvd/.cld containers or a directory of them
    /// (such as /var/lib/clamav). Repeatable.
    #[arg(
        long,
        env = "ASSAY_MALWARE_DB",
        value_name = "PATH",
        value_delimiter = ','
    )]
    pub malware_db: Vec<PathBuf>,

    /// YARA rules: every *.yar / *.yara file under DIR (recursive), each file its own
    /// namespace; turns the yara scanner on (findings of kind malware). Only in builds with
    /// the cargo feature `yara`.
    #[cfg(feature = "yara")]
    #[arg(long, env = "ASSAY_YARA_RULES", value_name = "DIR")]
    pub yara_rules: Option<PathBuf>,

    /// Platform to pick from a multi-platform image: os/arch[/variant] (default linux/amd64,
    /// or the only one).
    #[arg(long, env = "ASSAY_PLATFORM", value_name = "OS/ARCH")]
    pub platform: Option<String>,

    /// Registry (host:port) to reach over plain HTTP; loopback registries always may. Repeatable.
    #[arg(long, value_name = "HOST")]
    pub insecure_registry: Vec<String>,

    /// Never touch the network (a registry reference is then an error).
    #[arg(long, env = "ASSAY_OFFLINE")]
    pub offline: bool,

    /// Keep only the Kubernetes rules of a Pod Security Standards level.
    #[arg(long, env = "ASSAY_PROFILE", value_enum)]
    pub profile: Option<ProfileArg>,

    /// Instead of the report, print why each package affected by vulnerability ID (or an
    /// alias) matched: the lookup, the OSV range events and every version comparison.
    #[arg(long, value_name = "ID")]
    pub explain: Option<String>,

    /// OpenVEX or CycloneDX VEX document: `not_affected` / `fixed` statements suppress the
    /// vulnerability findings they cover, with their justification. Repeatable.
    #[arg(long, env = "ASSAY_VEX", value_name = "FILE", value_delimiter = ',')]
    pub vex: Vec<PathBuf>,

    /// Leave out findings in layers of the golden base image (`golden-images:` in assay.yaml).
    #[arg(long, env = "ASSAY_EXCLUDE_BASE_IMAGE")]
    pub exclude_base_image: bool,

    /// TARGET is `kubectl get pods -A -o json` output (or a list of image references): scan
    /// each distinct running image once, with its golden base image and promotion status.
    #[arg(long)]
    pub k8s_pods: bool,

    /// Public key that signs assay promotion attestations; with --k8s-pods, images without
    /// one are reported (ASSAY-RUN-001). Repeatable.
    #[arg(long, value_name = "KEY.pub")]
    pub promotion_key: Vec<PathBuf>,

    /// Show pull and layer progress even when stderr is not a terminal or CI=true.
    #[arg(long, env = "ASSAY_PROGRESS")]
    pub progress: bool,

    /// Attach the scan result to the image as a signed attestation (cosign's vuln type).
    #[command(flatten)]
    pub attest: crate::results_attestation::AttestFlags,
}

/// `--profile` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ProfileArg {
    /// Pod Security Standards baseline.
    PssBaseline,
    /// Pod Security Standards restricted (includes baseline).
    PssRestricted,
}

/// `assay sbom`.
#[derive(Debug, Args)]
pub struct SbomArgs {
    /// The image (oci:DIR[:TAG], docker-archive:FILE, dir:ROOTFS, docker://REF or
    /// host/repo:tag), a directory (its lock files and package manifests) or one lock file.
    pub target: String,
    /// SBOM format.
    #[arg(
        short,
        long,
        value_enum,
        default_value = "cyclonedx-json",
        env = "ASSAY_SBOM_FORMAT"
    )]
    pub format: SbomFormatArg,
    /// CycloneDX specification version.
    #[arg(long, value_enum, default_value = "1.6")]
    pub spec_version: SpecVersionArg,
    /// Write to FILE (atomically) instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Platform to pick from a multi-platform image: os/arch[/variant].
    #[arg(long, env = "ASSAY_PLATFORM", value_name = "OS/ARCH")]
    pub platform: Option<String>,
    /// Registry (host:port) to reach over plain HTTP; loopback registries always may. Repeatable.
    #[arg(long, value_name = "HOST")]
    pub insecure_registry: Vec<String>,
    /// Never touch the network.
    #[arg(long, env = "ASSAY_OFFLINE")]
    pub offline: bool,
    /// Configuration file (default ./assay.yaml when present): its `golden-images` mark the
    /// base image's packages.
    #[arg(short, long, env = "ASSAY_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Leave out the packages of the golden base image's layers.
    #[arg(long, env = "ASSAY_EXCLUDE_BASE_IMAGE")]
    pub exclude_base_image: bool,
    /// Show pull and layer progress even when stderr is not a terminal or CI=true.
    #[arg(long, env = "ASSAY_PROGRESS")]
    pub progress: bool,
    /// Attach the SBOM to the image as a signed attestation (JSON formats).
    #[command(flatten)]
    pub attest: crate::results_attestation::AttestFlags,
}

/// `assay sbom --format` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SbomFormatArg {
    /// CycloneDX JSON (1.6 by default, 1.5 with --spec-version).
    CyclonedxJson,
    /// CycloneDX XML (1.6 by default, 1.5 with --spec-version).
    CyclonedxXml,
    /// SPDX 2.3 JSON.
    SpdxJson,
    /// SPDX 2.3 tag-value.
    SpdxTagValue,
}

/// `assay sbom --spec-version` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SpecVersionArg {
    /// CycloneDX 1.5.
    #[value(name = "1.5")]
    V1_5,
    /// CycloneDX 1.6.
    #[value(name = "1.6")]
    V1_6,
}

const SBOM_EXAMPLES: &str = "\
Examples:
  assay sbom oci:build/image:1.0 -o image.cdx.json
  assay sbom registry.example.com/shop/orders:1.4 --format spdx-json -o orders.spdx.json
  assay sbom docker-archive:image.tar --spec-version 1.5 --format cyclonedx-xml
  assay sbom . --format spdx-tag-value            # lock files and package manifests below .
  assay sbom oci:build/image:1.0 --exclude-base-image   # without the golden-images: layers";

/// `assay rules`.
#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Output format.
    #[arg(short, long, value_enum, default_value = "table")]
    pub format: RulesFormat,
    /// Only rules for this kind of input.
    #[arg(long, value_enum)]
    pub target: Option<RuleTargetArg>,
}

/// `assay rules --format` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RulesFormat {
    /// One line per rule.
    Table,
    /// JSON array with every field.
    Json,
    /// The documentation page (docs/rules/*.md is generated this way).
    Markdown,
}

/// `assay rules --target` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RuleTargetArg {
    /// Dockerfile rules.
    Dockerfile,
    /// Kubernetes rules.
    Kubernetes,
    /// Kubernetes audit-log rules (`assay audit-log`).
    Audit,
    /// Secret and sensitive-file rules (content scanners).
    Secret,
    /// License policy rules.
    License,
    /// Compliance baseline rules (CIS Docker section 4, OS baseline).
    Baseline,
}

/// `assay policy` subcommands.
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Run the test_* rules of Rego policies (like conftest verify).
    #[command(after_help = POLICY_EXAMPLES)]
    Test(PolicyTestArgs),
}

/// `assay policy test`.
#[derive(Debug, Args)]
pub struct PolicyTestArgs {
    /// Policy directories.
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Rego packages to test (default: every package).
    #[arg(long, value_delimiter = ',')]
    pub namespace: Vec<String>,
}
