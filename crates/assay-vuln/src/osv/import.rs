//! Reading OSV records from a file, a directory tree or a zip export.
//!
//! Sources as they are published: one record per `.json` file (the advisory repositories), a
//! JSON array of records (API responses), a tree of either, and the per-ecosystem `all.zip`
//! exports of osv.dev. Files are read in sorted path order and zip entries in archive order,
//! so an import is deterministic. Records are handed to a sink one at a time: a full export
//! holds hundreds of thousands of them, and the caller keeps only what it compiles.
//!
//! Withdrawn records are skipped and `GIT` ranges dropped (assay matches packages by version,
//! not commits); both are counted in [`ImportStats`] so the build summary can say so.

use std::fmt;
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use super::model::Vulnerability;

/// The largest JSON file or zip entry read, in bytes.
///
/// The largest single OSV record is well under 10 MiB (kernel CVEs with thousands of
/// commits); array files of API responses reach a few MiB. The bound stops a zip bomb or a
/// wrong path from exhausting memory.
pub const MAX_FILE_BYTES: u64 = 256 << 20;

/// Counts of what an import read and skipped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImportStats {
    /// JSON documents read (files, or zip entries).
    pub files: u64,
    /// Records handed to the sink.
    pub records: u64,
    /// Records skipped because they are withdrawn.
    pub withdrawn: u64,
    /// `GIT` ranges dropped: assay matches by version, not by commit.
    pub git_ranges: u64,
}

impl ImportStats {
    /// Adds `other`'s counts to these.
    pub fn add(&mut self, other: ImportStats) {
        self.files += other.files;
        self.records += other.records;
        self.withdrawn += other.withdrawn;
        self.git_ranges += other.git_ranges;
    }
}

/// Where a document came from: a file, or an entry of a zip file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file on disk.
    pub file: PathBuf,
    /// The zip entry, for documents inside an archive.
    pub entry: Option<String>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.entry {
            Some(entry) => write!(f, "{} (zip entry {entry})", self.file.display()),
            None => write!(f, "{}", self.file.display()),
        }
    }
}

/// Why a source could not be imported. Each names the file (and zip entry).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file or directory could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// The file is not a readable zip archive, or an entry cannot be read.
    #[error("{location}: invalid zip archive: {source}")]
    Zip {
        /// The archive (and entry).
        location: Location,
        /// What the zip reader said.
        source: zip::result::ZipError,
    },
    /// A document is not valid OSV JSON.
    #[error("{location}: not a valid OSV record: {source}")]
    Json {
        /// The file (and entry).
        location: Location,
        /// What is wrong, with line and column.
        source: serde_json::Error,
    },
    /// A document is larger than [`MAX_FILE_BYTES`].
    #[error("{location}: larger than {max} bytes, not an OSV record")]
    TooLarge {
        /// The file (and entry).
        location: Location,
        /// The bound.
        max: u64,
    },
}

/// Imports every OSV record under `path`, handing each non-withdrawn one to `sink`.
///
/// `path` is a `.json` file (one record, or an array of records), a `.zip` archive (its
/// `.json` entries), or a directory (every `.json` and `.zip` below it, in sorted order;
/// symbolic links to directories are not followed, so a tree cannot loop).
///
/// # Errors
/// The first file, entry or record that cannot be read; nothing is skipped silently.
pub fn import(
    path: &Path,
    sink: &mut dyn FnMut(Vulnerability),
) -> Result<ImportStats, ImportError> {
    let mut stats = ImportStats::default();
    let meta = fs::metadata(path).map_err(|source| io_error(path, source))?;
    if meta.is_dir() {
        let mut files = Vec::new();
        collect_files(path, &mut files)?;
        files.sort();
        for file in files {
            import_file(&file, &mut stats, sink)?;
        }
    } else {
        import_file(path, &mut stats, sink)?;
    }
    Ok(stats)
}

fn io_error(path: &Path, source: io::Error) -> ImportError {
    ImportError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Every `.json` and `.zip` file below `dir`.
fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), ImportError> {
    let entries = fs::read_dir(dir).map_err(|source| io_error(dir, source))?;
    for entry in entries {
        let entry = entry.map_err(|source| io_error(dir, source))?;
        let path = entry.path();
        let kind = entry
            .file_type()
            .map_err(|source| io_error(&path, source))?;
        if kind.is_dir() {
            collect_files(&path, out)?;
        } else if has_extension(&path, "json") || has_extension(&path, "zip") {
            out.push(path);
        }
    }
    Ok(())
}

fn has_extension(path: &Path, ext: &str) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case(ext))
}

fn import_file(
    path: &Path,
    stats: &mut ImportStats,
    sink: &mut dyn FnMut(Vulnerability),
) -> Result<(), ImportError> {
    let location = Location {
        file: path.to_path_buf(),
        entry: None,
    };
    let file = File::open(path).map_err(|source| io_error(path, source))?;
    if has_extension(path, "zip") {
        return import_zip(path, file, stats, sink);
    }
    let bytes = read_bounded(file).map_err(|e| match e {
        Bounded::Io(source) => io_error(path, source),
        Bounded::TooLarge => ImportError::TooLarge {
            location: location.clone(),
            max: MAX_FILE_BYTES,
        },
    })?;
    import_document(&bytes, &location, stats, sink)
}

fn import_zip(
    path: &Path,
    file: File,
    stats: &mut ImportStats,
    sink: &mut dyn FnMut(Vulnerability),
) -> Result<(), ImportError> {
    let archive_location = Location {
        file: path.to_path_buf(),
        entry: None,
    };
    let mut archive =
        zip::ZipArchive::new(io::BufReader::new(file)).map_err(|source| ImportError::Zip {
            location: archive_location,
            source,
        })?;
    for index in 0..archive.len() {
        let entry = archive.by_index(index).map_err(|source| ImportError::Zip {
            location: Location {
                file: path.to_path_buf(),
                entry: Some(format!("#{index}")),
            },
            source,
        })?;
        let name = entry
            .name()
            .map_err(|source| ImportError::Zip {
                location: Location {
                    file: path.to_path_buf(),
                    entry: Some(format!("#{index}")),
                },
                source,
            })?
            .into_owned();
        let location = Location {
            file: path.to_path_buf(),
            entry: Some(name),
        };
        if entry.is_dir()
            || !has_extension(Path::new(location.entry.as_deref().unwrap_or("")), "json")
        {
            continue;
        }
        let bytes = read_bounded(entry).map_err(|e| match e {
            Bounded::Io(source) => ImportError::Zip {
                location: location.clone(),
                source: zip::result::ZipError::Io(source),
            },
            Bounded::TooLarge => ImportError::TooLarge {
                location: location.clone(),
                max: MAX_FILE_BYTES,
            },
        })?;
        import_document(&bytes, &location, stats, sink)?;
    }
    Ok(())
}

enum Bounded {
    Io(io::Error),
    TooLarge,
}

/// Reads all of `reader`, failing past [`MAX_FILE_BYTES`] (whatever a zip header claims).
fn read_bounded(reader: impl Read) -> Result<Vec<u8>, Bounded> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(Bounded::Io)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(Bounded::TooLarge);
    }
    Ok(bytes)
}

/// One JSON document: a record, or an array of records.
fn import_document(
    bytes: &[u8],
    location: &Location,
    stats: &mut ImportStats,
    sink: &mut dyn FnMut(Vulnerability),
) -> Result<(), ImportError> {
    let json_error = |source| ImportError::Json {
        location: location.clone(),
        source,
    };
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    let records: Vec<Vulnerability> = if first == Some(&b'[') {
        serde_json::from_slice(bytes).map_err(json_error)?
    } else {
        vec![serde_json::from_slice(bytes).map_err(json_error)?]
    };
    stats.files += 1;
    for mut record in records {
        if record.withdrawn.is_some() {
            stats.withdrawn += 1;
            continue;
        }
        for affected in &mut record.affected {
            let before = affected.ranges.len();
            affected.ranges.retain(|r| r.kind != "GIT");
            stats.git_ranges += (before - affected.ranges.len()) as u64;
        }
        stats.records += 1;
        sink(record);
    }
    Ok(())
}
