//! `assay db build`: OSV sources in, one database file out.
//!
//! Records are compiled as they are imported; when the same id comes from several sources
//! the newest `modified` wins (ties: the first seen), so overlapping sources (a directory and
//! the `all.zip` it came from) do not double findings. Everything is sorted before writing
//! and the build time comes from `SOURCE_DATE_EPOCH` when set, so the same inputs give a
//! byte-identical file. The file is written next to its destination and renamed into place:
//! a scan never sees half a database.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::advisory::{Advisory, Details};
use super::file::{self, SCHEMA_VERSION};
use super::{DbError, DbInfo, SourceInfo};
use crate::osv::{self, Vulnerability};

/// What a build did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildSummary {
    /// The file written.
    pub output: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// What it holds (as [`super::Database::info`] will report it).
    pub info: DbInfo,
}

/// Builds a database at `output` from OSV `sources` (files, directories, zip exports).
///
/// # Errors
/// The first source that cannot be imported (naming the file and entry), an invalid
/// `SOURCE_DATE_EPOCH`, or a failure to write `output`. On error `output` is left as it was.
pub fn build(sources: &[PathBuf], output: &Path) -> Result<BuildSummary, DbError> {
    build_at(sources, output, build_epoch()?)
}

/// [`build_labeled_at`] with the build time from `SOURCE_DATE_EPOCH` or the clock.
///
/// # Errors
/// As [`build`].
pub fn build_labeled(
    sources: &[(PathBuf, String)],
    output: &Path,
) -> Result<BuildSummary, DbError> {
    build_labeled_at(sources, output, build_epoch()?)
}

/// [`build`] with the build time given (Unix seconds), for reproducible builds and tests.
///
/// # Errors
/// As [`build`]; a time outside jiff's range is [`DbError::SourceDateEpoch`].
pub fn build_at(
    sources: &[PathBuf],
    output: &Path,
    epoch_seconds: i64,
) -> Result<BuildSummary, DbError> {
    let labeled: Vec<(PathBuf, String)> = sources
        .iter()
        .map(|p| (p.clone(), p.display().to_string()))
        .collect();
    build_labeled_at(&labeled, output, epoch_seconds)
}

/// [`build_at`] with each source recorded under a label of its own instead of its path:
/// `assay db update` downloads exports to a temporary directory and records the URL each
/// came from, so `assay db info` names where the data was published, not a deleted file.
///
/// # Errors
/// As [`build_at`].
pub fn build_labeled_at(
    sources: &[(PathBuf, String)],
    output: &Path,
    epoch_seconds: i64,
) -> Result<BuildSummary, DbError> {
    let build_time = jiff::Timestamp::from_second(epoch_seconds)
        .map_err(|_| DbError::SourceDateEpoch(epoch_seconds.to_string()))?
        .to_string();

    // id -> the record compiled and encoded; newest `modified` wins.
    let mut records: HashMap<String, Compiled> = HashMap::new();
    let mut duplicates = 0u64;
    let mut failure: Option<DbError> = None;
    let mut source_infos = Vec::with_capacity(sources.len());
    for (source, label) in sources {
        let mut sink = |record: Vulnerability| {
            if failure.is_some() {
                return;
            }
            let compiled = match Compiled::new(&record) {
                Ok(compiled) => compiled,
                Err(e) => {
                    failure = Some(e);
                    return;
                }
            };
            match records.get_mut(&record.id) {
                Some(existing) => {
                    duplicates += 1;
                    if compiled.modified > existing.modified {
                        *existing = compiled;
                    }
                }
                None => {
                    records.insert(record.id, compiled);
                }
            }
        };
        let stats = osv::import(source, &mut sink)?;
        if let Some(e) = failure.take() {
            return Err(e);
        }
        source_infos.push(SourceInfo {
            path: label.clone(),
            files: stats.files,
            records: stats.records,
            withdrawn: stats.withdrawn,
            git_ranges: stats.git_ranges,
        });
    }

    let mut ecosystems: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (id, compiled) in &records {
        for entry in &compiled.entries {
            ecosystems
                .entry(entry.ecosystem.as_str())
                .or_default()
                .insert(id.as_str());
        }
    }
    let ecosystems: BTreeMap<String, u64> = ecosystems
        .into_iter()
        .map(|(e, ids)| (e.to_owned(), ids.len() as u64))
        .collect();
    let vulnerabilities = records.len() as u64;

    // Package key -> (id, ecosystem, encoded advisory), then one postcard `Vec` per key.
    let mut packages: BTreeMap<String, Vec<(String, String, Vec<u8>)>> = BTreeMap::new();
    let mut details: Vec<(String, Vec<u8>)> = Vec::with_capacity(records.len());
    for (id, compiled) in records {
        let has_entries = !compiled.entries.is_empty();
        for entry in compiled.entries {
            packages
                .entry(entry.key)
                .or_default()
                .push((id.clone(), entry.ecosystem, entry.bytes));
        }
        // A record with no package assay can match (GIT ranges only) needs no details.
        if has_entries {
            details.push((id, compiled.details));
        }
    }
    details.sort_by(|a, b| a.0.cmp(&b.0));
    let mut encoded = Vec::with_capacity(packages.len());
    for (key, mut advisories) in packages {
        advisories.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        encoded.push((
            key,
            concat_seq(advisories.into_iter().map(|(_, _, bytes)| bytes)),
        ));
    }
    let encoded_details = details;

    let info = DbInfo {
        schema_version: SCHEMA_VERSION,
        build_time,
        sources: source_infos,
        ecosystems,
        vulnerabilities,
        packages: encoded.len() as u64,
        duplicates,
    };
    let meta = serde_json::to_vec(&info).map_err(|e| DbError::Io {
        path: output.to_path_buf(),
        source: e.into(),
    })?;
    let bytes = write_atomically(output, &meta, &encoded, &encoded_details)?;
    Ok(BuildSummary {
        output: output.to_path_buf(),
        bytes,
        info,
    })
}

/// One record, compiled and encoded as soon as it is read.
///
/// Holding the encoded bytes rather than the [`Advisory`] values keeps a full OSV export's
/// build to a few allocations per record (measured: 100 000 records kept as values took
/// 1.6 GB of heap, mostly allocator fragmentation between the importer's buffers).
struct Compiled {
    modified: String,
    entries: Vec<Entry>,
    details: Vec<u8>,
}

/// One package's advisory of a record.
struct Entry {
    key: String,
    ecosystem: String,
    bytes: Vec<u8>,
}

impl Compiled {
    fn new(record: &Vulnerability) -> Result<Compiled, DbError> {
        let encode_error = |key: &str, source| DbError::Encode {
            key: key.replace('\0', "/"),
            source,
        };
        let mut details = None;
        let mut entries = Vec::new();
        for (key, advisory) in Advisory::from_osv(record) {
            if details.is_none() {
                let d = Details {
                    summary: advisory.summary.clone(),
                    references: advisory.references.clone(),
                };
                details = Some(postcard::to_stdvec(&d).map_err(|e| encode_error(&record.id, e))?);
            }
            let bytes = postcard::to_stdvec(&advisory).map_err(|e| encode_error(&key, e))?;
            entries.push(Entry {
                key,
                ecosystem: advisory.ecosystem,
                bytes,
            });
        }
        let details = match details {
            Some(d) => d,
            None => {
                postcard::to_stdvec(&Details::default()).map_err(|e| encode_error(&record.id, e))?
            }
        };
        Ok(Compiled {
            modified: record.modified.clone(),
            entries,
            details,
        })
    }
}

/// A postcard sequence from already encoded elements.
///
/// Postcard encodes a `Vec<T>` as its length (an unsigned LEB128 varint, the same encoding it
/// gives a `usize`) followed by the elements, so encoded advisories are joined as they are,
/// with no decoding. `lookup` decoding these as `Vec<Advisory>` is the check.
fn concat_seq(elements: impl ExactSizeIterator<Item = Vec<u8>>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut n = elements.len();
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            break;
        }
        out.push(byte | 0x80);
    }
    for element in elements {
        out.extend_from_slice(&element);
    }
    out
}

/// `SOURCE_DATE_EPOCH` (reproducible builds) if set, else now, in Unix seconds.
fn build_epoch() -> Result<i64, DbError> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(value) => value
            .trim()
            .parse::<i64>()
            .map_err(|_| DbError::SourceDateEpoch(value.clone())),
        Err(_) => Ok(jiff::Timestamp::now().as_second()),
    }
}

/// Writes to a temporary file beside `output`, then renames it over `output`.
fn write_atomically(
    output: &Path,
    meta: &[u8],
    packages: &[(String, Vec<u8>)],
    vulnerabilities: &[(String, Vec<u8>)],
) -> Result<u64, DbError> {
    let io_err = |source| DbError::Io {
        path: output.to_path_buf(),
        source,
    };
    let dir = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(io_err)?;
    let temp = tempfile::Builder::new()
        .prefix(".assay-db-")
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(io_err)?;
    let mut writer = BufWriter::new(temp.as_file());
    file::write(&mut writer, meta, packages, vulnerabilities).map_err(io_err)?;
    writer.flush().map_err(io_err)?;
    drop(writer);
    // tempfile creates 0600; a database is no secret and may be shared by CI users.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        temp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(io_err)?;
    }
    temp.as_file().sync_all().map_err(io_err)?;
    let bytes = temp.as_file().metadata().map_err(io_err)?.len();
    temp.persist(output).map_err(|e| io_err(e.error))?;
    Ok(bytes)
}
