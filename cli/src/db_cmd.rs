//! `assay db build` and `assay db info`.

use std::fmt::Write;
use std::path::Path;

use assay_vuln::db::{self, Database, DbInfo};

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
