//! `assay db build|info|push|pull|update`: compile OSV data, inspect it, move it through
//! registries as an OCI artifact, refresh it from the configured OSV exports.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use assay_oci::{ArtifactManifest, Reference, RemoteOptions, Repository};
use assay_vuln::db::{self, Database, DbInfo, distribution};

use crate::args::InfoFormat;
use crate::exit::{self, Failure};
use crate::output;

fn table(info: &DbInfo, path: &Path, bytes: Option<u64>) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "database:        {}", path.display());
    if let Some(bytes) = bytes {
        let _ = writeln!(s, "size:            {bytes} bytes");
    }
    let _ = writeln!(s, "schema version:  {}", info.schema_version);
    let _ = writeln!(s, "built:           {}", info.build_time);
    let _ = writeln!(s, "vulnerabilities: {}", info.vulnerabilities);
    let _ = writeln!(s, "packages:        {}", info.packages);
    if info.duplicates > 0 {
        let _ = writeln!(s, "duplicates:      {} (newest kept)", info.duplicates);
    }
    s.push_str("sources:\n");
    for src in &info.sources {
        let _ = writeln!(
            s,
            "  {}: {} file(s), {} record(s), {} withdrawn skipped, {} GIT range(s) ignored",
            src.path, src.files, src.records, src.withdrawn, src.git_ranges
        );
    }
    s.push_str("ecosystems:\n");
    for (eco, n) in &info.ecosystems {
        let _ = writeln!(s, "  {eco}: {n}");
    }
    s
}

/// Builds the database from OSV sources, atomically.
pub fn build(from: &[std::path::PathBuf], output_path: Option<&Path>) -> anyhow::Result<u8> {
    let path = output_path.map_or_else(db::default_path, Path::to_path_buf);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| Failure::input(format!("{}: {e}", dir.display())))?;
    }
    let summary = db::build(from, &path).map_err(|e| Failure::input(e.to_string()))?;
    output::emit(
        None,
        table(&summary.info, &summary.output, Some(summary.bytes)).as_bytes(),
    )?;
    Ok(exit::OK)
}

/// Prints what a database holds.
pub fn info(path: Option<&Path>, format: InfoFormat) -> anyhow::Result<u8> {
    let path = path.map_or_else(db::default_path, Path::to_path_buf);
    let database = Database::open(&path).map_err(|e| Failure::input(e.to_string()))?;
    let text = match format {
        InfoFormat::Json => {
            let mut s = serde_json::to_string_pretty(database.info())?;
            s.push('\n');
            s
        }
        InfoFormat::Table => table(database.info(), &path, None),
    };
    output::emit(None, text.as_bytes())?;
    Ok(exit::OK)
}

// ---------------------------------------------------------------------------------------
// push / pull: the database as an OCI artifact

/// Exit code for registry and network failures (DESIGN.md section 4).
const NETWORK: u8 = 3;
/// Exit code for content that fails verification (digest, size).
const VERIFICATION: u8 = 4;

/// `assay db push`.
#[derive(Debug, clap::Args)]
pub struct PushArgs {
    /// Where to store it: host/repository:tag (e.g. registry.example.com/security/assay-db:1).
    pub reference: String,
    /// The database file (default: $ASSAY_DB, else $XDG_CACHE_HOME/assay/db/assay.db).
    #[arg(long, env = "ASSAY_DB", value_name = "FILE")]
    pub db: Option<PathBuf>,
    /// Registry (host:port) to reach over plain HTTP; loopback registries always may. Repeatable.
    #[arg(long, value_name = "HOST")]
    pub insecure_registry: Vec<String>,
}

/// `assay db pull`.
#[derive(Debug, clap::Args)]
pub struct PullArgs {
    /// The artifact: host/repository:tag or host/repository@sha256:... (pinned: verified).
    pub reference: String,
    /// Where to install it (default: $ASSAY_DB, else $XDG_CACHE_HOME/assay/db/assay.db).
    #[arg(long, env = "ASSAY_DB", value_name = "FILE")]
    pub db: Option<PathBuf>,
    /// Registry (host:port) to reach over plain HTTP; loopback registries always may. Repeatable.
    #[arg(long, value_name = "HOST")]
    pub insecure_registry: Vec<String>,
    /// Never touch the network: the pull is then an error naming what it would fetch.
    #[arg(long, env = "ASSAY_OFFLINE")]
    pub offline: bool,
}

/// `assay db update`.
#[derive(Debug, clap::Args)]
pub struct UpdateArgs {
    /// The database file to replace (default: $ASSAY_DB, else $XDG_CACHE_HOME/assay/db/assay.db).
    #[arg(long, env = "ASSAY_DB", value_name = "FILE")]
    pub db: Option<PathBuf>,
    /// Configuration file with the `db:` section (default ./assay.yaml when present).
    #[arg(short, long, env = "ASSAY_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Registry (host:port) to reach over plain HTTP; loopback registries always may. Repeatable.
    #[arg(long, value_name = "HOST")]
    pub insecure_registry: Vec<String>,
    /// Never touch the network: exit 2 naming what would have been fetched.
    #[arg(long, env = "ASSAY_OFFLINE")]
    pub offline: bool,
}

/// The `db:` section of assay.yaml: where `assay db update` gets data and how old a database
/// may get before scans warn.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct DbConfig {
    /// An OCI reference to pull instead of downloading OSV exports (an air-gapped mirror
    /// filled with `assay db push`).
    pub repository: Option<String>,
    /// osv.dev ecosystems whose `all.zip` to download (default: every ecosystem assay
    /// matches; see `assay_vuln::db::distribution::DEFAULT_ECOSYSTEMS`).
    pub ecosystems: Option<Vec<String>>,
    /// Where the ecosystem exports are published (a mirror of osv.dev's bucket layout).
    pub osv_url: Option<String>,
    /// Further OSV exports to download: URLs of `.zip` archives or `.json` files.
    pub urls: Vec<String>,
    /// Age after which scans warn that the database is stale: `7d` (default), `36h`, `0` off.
    pub max_age: Option<String>,
}

impl DbConfig {
    /// The URLs to download: the listed ecosystems' exports (all default ones when neither
    /// `ecosystems` nor `urls` is set), then `urls`.
    pub fn sources(&self) -> Vec<String> {
        let base = self
            .osv_url
            .as_deref()
            .unwrap_or(distribution::OSV_EXPORT_BASE);
        let ecosystems: Vec<String> = match (&self.ecosystems, self.urls.is_empty()) {
            (Some(list), _) => list.clone(),
            (None, true) => distribution::DEFAULT_ECOSYSTEMS
                .iter()
                .map(|e| (*e).to_string())
                .collect(),
            (None, false) => Vec::new(),
        };
        ecosystems
            .iter()
            .map(|e| distribution::export_url(base, e))
            .chain(self.urls.iter().cloned())
            .collect()
    }

    /// The staleness limit in seconds (`0`: never warn).
    ///
    /// # Errors
    /// A message naming the setting for a value that is not an age.
    pub fn max_age_seconds(&self) -> Result<i64, String> {
        match &self.max_age {
            Some(text) => distribution::parse_age(text).map_err(|e| format!("db: max-age: {e}")),
            None => Ok(distribution::DEFAULT_MAX_AGE_SECONDS),
        }
    }
}

/// One line on stderr when `database` is older than `max_age` seconds (0: never). Ages are
/// measured against `SOURCE_DATE_EPOCH` when set, so reproducible runs stay reproducible.
pub fn warn_if_stale(database: &Database, max_age: i64) {
    if let Some(line) =
        distribution::staleness_warning(database.info(), crate::clock::now_seconds(), max_age)
    {
        crate::warn(&line);
    }
}

/// Plain HTTP only for loopback hosts or those named with `--insecure-registry`.
fn is_loopback(host: &str) -> bool {
    let name = match host.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => host,
    };
    let name = name.trim_start_matches('[').trim_end_matches(']');
    name == "localhost"
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Registry options for `reference`: credentials as `assay scan` finds them
/// (`ASSAY_REGISTRY_*`, docker's config.json and helpers), plain HTTP for loopback or listed
/// hosts.
fn remote_options(
    reference: &Reference,
    insecure: &[String],
    raw: &str,
) -> Result<RemoteOptions, Failure> {
    let host = reference.registry().to_string();
    let mut plain_http = insecure.to_vec();
    if is_loopback(&host) {
        plain_http.push(host);
    }
    let plain = plain_http.iter().any(|h| h == reference.registry());
    let auth = assay_oci::Credentials::from_env()
        .resolve(reference.registry(), reference.repository(), plain)
        .map_err(|e| {
            let code = if matches!(e, assay_oci::CredentialError::TokenExchange { .. }) {
                NETWORK
            } else {
                crate::exit::INPUT
            };
            Failure {
                code,
                message: format!("{raw}: {e}"),
            }
        })?;
    Ok(RemoteOptions {
        auth,
        plain_http,
        limits: assay_oci::Limits::default(),
    })
}

fn parse_reference(text: &str) -> Result<Reference, Failure> {
    let bare = text.strip_prefix("docker://").unwrap_or(text);
    Reference::parse(bare).map_err(|e| Failure::input(format!("{text}: {e}")))
}

fn oci_failure(name: &str, e: assay_oci::Error) -> Failure {
    let code = match e {
        assay_oci::Error::Registry { .. } => NETWORK,
        assay_oci::Error::DigestMismatch { .. } | assay_oci::Error::SizeMismatch { .. } => {
            VERIFICATION
        }
        _ => crate::exit::INPUT,
    };
    Failure {
        code,
        message: format!("{name}: {e}"),
    }
}

/// Pushes the database file as an OCI artifact: the empty config, one layer of
/// [`distribution::LAYER_MEDIA_TYPE`], annotations with its schema and build time.
pub fn push(args: &PushArgs) -> anyhow::Result<u8> {
    let path = args.db.clone().unwrap_or_else(db::default_path);
    // Open it first: only a database this assay can read is published.
    let database = Database::open(&path).map_err(|e| Failure::input(e.to_string()))?;
    let reference = parse_reference(&args.reference)?;
    if reference.digest().is_some() {
        return Err(Failure::input(format!(
            "{}: push to a tag, not a digest (the digest is printed after the push)",
            args.reference
        ))
        .into());
    }
    let options = remote_options(&reference, &args.insecure_registry, &args.reference)?;
    let repo =
        Repository::connect(&reference, &options).map_err(|e| oci_failure(&args.reference, e))?;
    let mut layer = repo
        .push_blob_file(&path, distribution::LAYER_MEDIA_TYPE)
        .map_err(|e| oci_failure(&args.reference, e))?;
    layer.annotations.insert(
        distribution::ANNOTATION_TITLE.to_string(),
        distribution::FILE_NAME.to_string(),
    );
    let manifest = ArtifactManifest::new(
        distribution::ARTIFACT_TYPE,
        vec![layer.clone()],
        distribution::annotations(database.info()),
    );
    let digest = repo
        .push_manifest(&manifest)
        .map_err(|e| oci_failure(&args.reference, e))?;
    let name = args
        .reference
        .strip_prefix("docker://")
        .unwrap_or(&args.reference);
    let text = format!(
        "pushed {name}@{digest}\nlayer: {} ({} bytes, {})\nschema {}, built {}, {} vulnerabilities\n",
        layer.digest,
        layer.size,
        distribution::LAYER_MEDIA_TYPE,
        database.info().schema_version,
        database.info().build_time,
        database.info().vulnerabilities
    );
    output::emit(None, text.as_bytes())?;
    Ok(exit::OK)
}

/// Pulls the artifact `reference` names into `path`: the manifest must be an assay database
/// of this schema; the layer is streamed to a temporary file beside `path`, its size and
/// digest checked, the file opened as a database, and only then renamed over `path`.
fn pull_into(reference_text: &str, path: &Path, insecure: &[String]) -> Result<String, Failure> {
    let reference = parse_reference(reference_text)?;
    let options = remote_options(&reference, insecure, reference_text)?;
    let repo =
        Repository::connect(&reference, &options).map_err(|e| oci_failure(reference_text, e))?;
    let (digest, manifest) = repo
        .pull_manifest()
        .map_err(|e| oci_failure(reference_text, e))?;
    if manifest.kind() != distribution::ARTIFACT_TYPE {
        return Err(Failure::input(format!(
            "{reference_text}: not an assay database (artifact type {}, expected {})",
            manifest.kind(),
            distribution::ARTIFACT_TYPE
        )));
    }
    distribution::check_schema(&manifest.annotations)
        .map_err(|e| Failure::input(format!("{reference_text}: {e}")))?;
    let layers: Vec<&assay_oci::Descriptor> = manifest
        .layers
        .iter()
        .filter(|l| l.media_type == distribution::LAYER_MEDIA_TYPE)
        .collect();
    let [layer] = layers.as_slice() else {
        return Err(Failure::input(format!(
            "{reference_text}: expected one layer of type {}, found {}",
            distribution::LAYER_MEDIA_TYPE,
            layers.len()
        )));
    };
    if layer.size > MAX_DOWNLOAD {
        return Err(Failure::input(format!(
            "{reference_text}: the database layer claims {} bytes, more than the {MAX_DOWNLOAD} accepted",
            layer.size
        )));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(|e| Failure::input(format!("{}: {e}", dir.display())))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".assay-db-")
        .tempfile_in(&dir)
        .map_err(|e| Failure::input(format!("{}: {e}", dir.display())))?;
    {
        let mut writer = std::io::BufWriter::new(tmp.as_file_mut());
        repo.pull_blob_to(layer, &mut writer)
            .map_err(|e| oci_failure(reference_text, e))?;
        writer
            .flush()
            .map_err(|e| Failure::input(format!("{}: {e}", path.display())))?;
    }
    tmp.as_file()
        .sync_all()
        .map_err(|e| Failure::input(format!("{}: {e}", path.display())))?;
    // The digest proves these are the bytes that were pushed; opening proves they are a
    // database this assay reads (the annotation could be missing or wrong).
    let database = Database::open(tmp.path()).map_err(|e| Failure {
        code: VERIFICATION,
        message: format!(
            "{reference_text}: {}",
            e.to_string()
                .replace(&tmp.path().display().to_string(), "pulled file")
        ),
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = tmp
            .as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644));
    }
    let info = database.info().clone();
    drop(database);
    tmp.persist(path)
        .map_err(|e| Failure::input(format!("{}: {}", path.display(), e.error)))?;
    let name = reference_text
        .strip_prefix("docker://")
        .unwrap_or(reference_text);
    let name = name.split('@').next().unwrap_or(name);
    Ok(format!(
        "pulled {name}@{digest} -> {}\nlayer: {} ({} bytes, verified)\nschema {}, built {}, {} vulnerabilities\n",
        path.display(),
        layer.digest,
        layer.size,
        info.schema_version,
        info.build_time,
        info.vulnerabilities
    ))
}

/// `assay db pull REF`.
pub fn pull(args: &PullArgs) -> anyhow::Result<u8> {
    let path = args.db.clone().unwrap_or_else(db::default_path);
    if args.offline {
        return Err(Failure::input(format!(
            "--offline: assay db pull would fetch {} into {}",
            args.reference,
            path.display()
        ))
        .into());
    }
    let text = pull_into(&args.reference, &path, &args.insecure_registry)?;
    output::emit(None, text.as_bytes())?;
    Ok(exit::OK)
}

// ---------------------------------------------------------------------------------------
// update: download OSV exports and rebuild

/// The largest export downloaded or database pulled (osv.dev's biggest all.zip, Debian's, is
/// a few hundred MB).
const MAX_DOWNLOAD: u64 = 4 << 30;

/// Checks a URL before fetching: `https`, or `http` to a loopback host (a local mirror or a
/// test); anything else would let a network attacker rewrite the advisories.
fn check_url(url: &str) -> Result<(), Failure> {
    let parsed = reqwest::Url::parse(url).map_err(|e| Failure::input(format!("{url}: {e}")))?;
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if parsed.host_str().is_some_and(is_loopback) => Ok(()),
        "http" => Err(Failure::input(format!(
            "{url}: plain http is only allowed for loopback hosts; use https"
        ))),
        other => Err(Failure::input(format!("{url}: unsupported scheme {other}"))),
    }
}

/// Downloads `url` into `dest`, streaming; non-2xx answers and transport errors are network
/// failures naming the URL.
async fn download(client: &reqwest::Client, url: &str, dest: &Path) -> Result<(), Failure> {
    let network = |what: String| Failure {
        code: NETWORK,
        message: format!("{url}: {what}"),
    };
    let mut response = client
        .get(url)
        .send()
        .await
        .map_err(|e| network(e.without_url().to_string()))?;
    if !response.status().is_success() {
        return Err(network(format!("HTTP {}", response.status())));
    }
    let mut file = std::io::BufWriter::new(
        std::fs::File::create(dest)
            .map_err(|e| Failure::input(format!("{}: {e}", dest.display())))?,
    );
    let mut total = 0u64;
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| network(e.without_url().to_string()))?
    {
        total += chunk.len() as u64;
        if total > MAX_DOWNLOAD {
            return Err(network(format!("larger than {MAX_DOWNLOAD} bytes")));
        }
        file.write_all(&chunk)
            .map_err(|e| Failure::input(format!("{}: {e}", dest.display())))?;
    }
    file.flush()
        .map_err(|e| Failure::input(format!("{}: {e}", dest.display())))?;
    Ok(())
}

/// The local file name for the `index`th download: the order is kept (later sources win
/// ties) and the extension tells the importer whether it is a zip or a JSON file.
fn download_name(index: usize, url: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let ext = if path.ends_with(".json") {
        "json"
    } else {
        "zip"
    };
    format!("{index:03}.{ext}")
}

/// `assay db update`: pulls `db.repository` when configured, else downloads the configured
/// OSV exports and builds the database from them (atomically: the old one stays on error).
pub fn update(args: &UpdateArgs) -> anyhow::Result<u8> {
    let config = crate::config::load(args.config.as_deref()).map_err(Failure::input)?;
    let settings = config.db;
    settings.max_age_seconds().map_err(Failure::input)?;
    let path = args.db.clone().unwrap_or_else(db::default_path);
    if let Some(repository) = &settings.repository {
        if args.offline {
            return Err(Failure::input(format!(
                "--offline: assay db update would pull {repository} into {}",
                path.display()
            ))
            .into());
        }
        let text = pull_into(repository, &path, &args.insecure_registry)?;
        output::emit(None, text.as_bytes())?;
        return Ok(exit::OK);
    }
    let urls = settings.sources();
    if urls.is_empty() {
        return Err(Failure::input("assay.yaml: db: no ecosystems or urls to download").into());
    }
    if args.offline {
        return Err(Failure::input(format!(
            "--offline: assay db update would download {}",
            urls.join(", ")
        ))
        .into());
    }
    for url in &urls {
        check_url(url)?;
    }
    let workdir = tempfile::Builder::new()
        .prefix("assay-db-update-")
        .tempdir()
        .map_err(|e| Failure::input(format!("a temporary directory: {e}")))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::input(format!("cannot start the download runtime: {e}")))?;
    let client = reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(30))
        .read_timeout(std::time::Duration::from_secs(120))
        .user_agent(concat!("assay/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| Failure {
            code: NETWORK,
            message: format!("cannot start the HTTP client: {e}"),
        })?;
    let mut sources = Vec::with_capacity(urls.len());
    for (index, url) in urls.iter().enumerate() {
        let dest = workdir.path().join(download_name(index, url));
        runtime.block_on(download(&client, url, &dest))?;
        sources.push((dest, url.clone()));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| Failure::input(format!("{}: {e}", dir.display())))?;
    }
    let summary = db::build_labeled(&sources, &path).map_err(|e| {
        // Name the URL, not the temporary file it was saved as.
        let mut message = e.to_string();
        for (file, url) in &sources {
            message = message.replace(&file.display().to_string(), url);
        }
        Failure::input(message)
    })?;
    output::emit(
        None,
        table(&summary.info, &summary.output, Some(summary.bytes)).as_bytes(),
    )?;
    Ok(exit::OK)
}

// ---------------------------------------------------------------------------------------
// assay scan --explain ID: why the matcher decided a package is affected

/// The id asked with `--explain`, set once per process by `assay scan`.
static EXPLAIN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
/// Explanations recorded while matching, by finding fingerprint.
static EXPLAINED: std::sync::Mutex<Vec<(String, Explained)>> = std::sync::Mutex::new(Vec::new());

/// What the matcher said about one finding.
#[derive(Debug, Clone)]
struct Explained {
    ecosystem: String,
    package: String,
    installed: String,
    aliases: Vec<String>,
    fixed: Vec<String>,
    why: Vec<String>,
}

/// Turns on recording for `--explain ID`. A process-wide switch rather than a parameter:
/// matching runs deep inside image, layout and lock-file scans, and only this mode needs the
/// matcher's reasoning kept past the finding it produced.
pub fn explain(id: &str) {
    let _ = EXPLAIN.set(id.to_string());
}

fn wanted(id: &str, m: &db::Match) -> bool {
    m.id.eq_ignore_ascii_case(id) || m.aliases.iter().any(|a| a.eq_ignore_ascii_case(id))
}

/// Keeps the matcher's reasoning for `finding` when `--explain` asked for its vulnerability.
pub fn record_explanation(finding: &assay_core::Finding, m: &db::Match) {
    let Some(id) = EXPLAIN.get() else {
        return;
    };
    if !wanted(id, m) {
        return;
    }
    if let Ok(mut list) = EXPLAINED.lock() {
        list.push((
            finding.id.clone(),
            Explained {
                ecosystem: m.ecosystem.clone(),
                package: m.package.clone(),
                installed: m.installed.clone(),
                aliases: m.aliases.clone(),
                fixed: m.fixed.clone(),
                why: m.explanation.clone(),
            },
        ));
    }
}

/// The `--explain ID` text for a finished report: for each finding of that vulnerability
/// (reported or suppressed), the package, how it was looked up, and every range comparison
/// that made it match.
///
/// # Errors
/// An input error when no finding has that id.
pub fn explanation_text(report: &assay_core::Report, id: &str) -> Result<Vec<u8>, Failure> {
    let recorded = EXPLAINED.lock().map(|l| l.clone()).unwrap_or_default();
    let mut out = String::new();
    let findings = report.findings.iter().map(|f| (f, None)).chain(
        report
            .suppressed
            .iter()
            .map(|f| (f, f.suppression.as_ref())),
    );
    for (finding, suppression) in findings {
        let Some((_, e)) = recorded.iter().find(|(fp, _)| *fp == finding.id) else {
            continue;
        };
        let package = finding.package.as_ref();
        let _ = writeln!(out, "{} in {}", finding.rule_id, finding.target);
        if !e.aliases.is_empty() {
            let _ = writeln!(out, "  aliases:   {}", e.aliases.join(", "));
        }
        if let Some(p) = package {
            let _ = writeln!(
                out,
                "  package:   {} {}{}",
                p.name,
                p.version,
                p.purl
                    .as_deref()
                    .map(|u| format!(" ({u})"))
                    .unwrap_or_default()
            );
        }
        let scheme = assay_vuln::Scheme::for_ecosystem(&e.ecosystem)
            .map_or_else(|| "no ordering".to_string(), |s| s.to_string());
        let _ = writeln!(
            out,
            "  looked up: {} {} {} ({scheme} ordering)",
            e.ecosystem, e.package, e.installed
        );
        let _ = writeln!(
            out,
            "  fixed in:  {}",
            if e.fixed.is_empty() {
                "no fix yet".to_string()
            } else {
                e.fixed.join(", ")
            }
        );
        match suppression {
            Some(s) => {
                let _ = writeln!(
                    out,
                    "  status:    suppressed ({}{})",
                    s.kind,
                    s.reason
                        .as_deref()
                        .map(|r| format!(": {r}"))
                        .unwrap_or_default()
                );
            }
            None => {
                let _ = writeln!(out, "  status:    reported");
            }
        }
        out.push_str("  why:\n");
        for line in &e.why {
            // `ID: ... ordering of ECO): step; step; => verdict` as one step per line.
            let (head, steps) = match line.split_once("): ") {
                Some((head, steps)) => (format!("{head})"), Some(steps)),
                None => (line.clone(), None),
            };
            let _ = writeln!(out, "    {head}");
            for step in steps.into_iter().flat_map(|s| s.split("; ")) {
                let _ = writeln!(out, "      {step}");
            }
        }
        out.push('\n');
    }
    if out.is_empty() {
        return Err(Failure::input(format!(
            "--explain {id}: no vulnerability finding with this id (or alias) in {}",
            report.artifact
        )));
    }
    Ok(out.into_bytes())
}
