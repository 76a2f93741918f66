//! The on-disk layout: a header, metadata, a sorted index and the advisory lists.
//!
//! ```text
//! header    80 bytes  magic "ASSAYDB\0", schema u32, reserved u32, then (offset u64, length
//!                     u64) of the four sections below; all integers little-endian
//! meta      JSON      [`DbInfo`](super::DbInfo): small, read whole at open
//! packages  index     count u64, then per key 24 bytes (key offset u64, data offset u64,
//! vulns     index       key length u32, data length u32) sorted by key, then the keys' bytes
//! data      postcard  per package key its advisories; per vulnerability id its details
//! ```
//!
//! Two tables because a record affecting many packages (a Red Hat advisory lists dozens)
//! would otherwise repeat its references and summary under every package: with them stored
//! once per vulnerability, the fixture set of real records shrinks from 908 kB to a fraction.
//!
//! Why not an embedded database (redb, SQLite): the file is written once and only read after,
//! so it needs no pages, transactions or free lists; this layout is byte-identical for the
//! same inputs (so a published database has a stable digest and builds are reproducible),
//! opens by reading the header, meta and index (a few MB for all of OSV) with no parsing,
//! and answers a lookup with one binary search and one positioned read of only that
//! package's advisories. No memory map is needed (and the workspace forbids `unsafe`).
//!
//! Why postcard for the advisories: serde-based (the types stay plain structs), compact
//! (varints, no field names), a documented stable wire format (1.0 spec), actively
//! maintained; bincode's maintainers have stopped developing it.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::DbError;

/// The first bytes of every database file.
pub const MAGIC: &[u8; 8] = b"ASSAYDB\0";

/// The schema this assay writes and reads. Bump it whenever the layout or the encoding of
/// any stored type changes: an old file is then refused with a clear message, never misread.
pub const SCHEMA_VERSION: u32 = 1;

const HEADER_LEN: u64 = 80;
const INDEX_RECORD_LEN: usize = 24;

/// One index of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// Package key -> the package's advisories.
    Packages,
    /// Vulnerability id -> details shared by all its packages.
    Vulnerabilities,
}

/// Writes a database: `meta` (JSON), then the package and vulnerability tables, each a list
/// of (key, encoded value) sorted by key.
pub fn write(
    out: &mut impl Write,
    meta: &[u8],
    packages: &[(String, Vec<u8>)],
    vulnerabilities: &[(String, Vec<u8>)],
) -> io::Result<()> {
    let index_len = |table: &[(String, Vec<u8>)]| {
        8 + table.len() as u64 * INDEX_RECORD_LEN as u64
            + table.iter().map(|(k, _)| k.len() as u64).sum::<u64>()
    };
    let data_len: u64 = packages
        .iter()
        .chain(vulnerabilities)
        .map(|(_, d)| d.len() as u64)
        .sum();
    let meta_off = HEADER_LEN;
    let packages_off = meta_off + meta.len() as u64;
    let vulns_off = packages_off + index_len(packages);
    let data_off = vulns_off + index_len(vulnerabilities);

    let mut header = Vec::with_capacity(HEADER_LEN as usize);
    header.extend_from_slice(MAGIC);
    header.extend_from_slice(&SCHEMA_VERSION.to_le_bytes());
    header.extend_from_slice(&0u32.to_le_bytes());
    for (off, len) in [
        (meta_off, meta.len() as u64),
        (packages_off, index_len(packages)),
        (vulns_off, index_len(vulnerabilities)),
        (data_off, data_len),
    ] {
        header.extend_from_slice(&off.to_le_bytes());
        header.extend_from_slice(&len.to_le_bytes());
    }
    out.write_all(&header)?;
    out.write_all(meta)?;

    let mut data_pos = 0u64;
    for table in [packages, vulnerabilities] {
        out.write_all(&(table.len() as u64).to_le_bytes())?;
        let mut key_off = 0u64;
        for (key, data) in table {
            out.write_all(&key_off.to_le_bytes())?;
            out.write_all(&data_pos.to_le_bytes())?;
            out.write_all(&(key.len() as u32).to_le_bytes())?;
            out.write_all(&(data.len() as u32).to_le_bytes())?;
            key_off += key.len() as u64;
            data_pos += data.len() as u64;
        }
        for (key, _) in table {
            out.write_all(key.as_bytes())?;
        }
    }
    for (_, data) in packages.iter().chain(vulnerabilities) {
        out.write_all(data)?;
    }
    Ok(())
}

/// One sorted index, held in memory as written.
#[derive(Debug)]
struct Index {
    bytes: Vec<u8>,
    count: usize,
}

impl Index {
    fn new(bytes: Vec<u8>) -> Option<Index> {
        let count = usize::try_from(u64_at(&bytes, 0)?).ok()?;
        count
            .checked_mul(INDEX_RECORD_LEN)
            .and_then(|n| n.checked_add(8))
            .filter(|end| *end <= bytes.len())?;
        Some(Index { bytes, count })
    }

    /// Record `i`: (key bytes, data offset, data length); `None` if it points outside.
    fn record(&self, i: usize) -> Option<(&[u8], u64, u64)> {
        let at = 8 + i * INDEX_RECORD_LEN;
        let key_off = u64_at(&self.bytes, at)?;
        let data_off = u64_at(&self.bytes, at + 8)?;
        let key_len = u32_at(&self.bytes, at + 16)?;
        let data_len = u32_at(&self.bytes, at + 20)?;
        let keys_start = (8 + self.count * INDEX_RECORD_LEN) as u64;
        let start = usize::try_from(keys_start.checked_add(key_off)?).ok()?;
        let key = self
            .bytes
            .get(start..start.checked_add(key_len as usize)?)?;
        Some((key, data_off, u64::from(data_len)))
    }

    /// Binary search: `Some(Some(..))` found, `Some(None)` absent, `None` corrupt.
    fn find(&self, key: &[u8]) -> Option<Option<(u64, u64)>> {
        let (mut lo, mut hi) = (0, self.count);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let (k, off, len) = self.record(mid)?;
            match k.cmp(key) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(Some((off, len))),
            }
        }
        Some(None)
    }
}

/// An open database file: header checked, meta and indexes in memory, data read on demand.
#[derive(Debug)]
pub struct Reader {
    path: PathBuf,
    file: Mutex<File>,
    meta: Vec<u8>,
    packages: Index,
    vulnerabilities: Index,
    data_off: u64,
    data_len: u64,
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        bytes.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

fn u64_at(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(
        bytes.get(at..at.checked_add(8)?)?.try_into().ok()?,
    ))
}

impl Reader {
    /// Opens `path`, checking magic, schema version and that every section lies in the file.
    pub fn open(path: &Path) -> Result<Reader, DbError> {
        let io_err = |source| DbError::Io {
            path: path.to_path_buf(),
            source,
        };
        let corrupt = |what: &str| DbError::Corrupt {
            path: path.to_path_buf(),
            what: what.to_owned(),
        };
        let not_a_database = || DbError::NotADatabase {
            path: path.to_path_buf(),
        };
        let mut file = File::open(path).map_err(io_err)?;
        let file_len = file.metadata().map_err(io_err)?.len();
        // Magic and schema first, so an old file says "schema" even if its header is shorter.
        let mut start = [0u8; 12];
        if file_len < 12 || file.read_exact(&mut start).is_err() || &start[..8] != MAGIC {
            return Err(not_a_database());
        }
        let schema = u32_at(&start, 8).ok_or_else(not_a_database)?;
        if schema != SCHEMA_VERSION {
            return Err(DbError::Schema {
                path: path.to_path_buf(),
                found: schema,
                expected: SCHEMA_VERSION,
            });
        }
        if file_len < HEADER_LEN {
            return Err(corrupt("header cut short (truncated?)"));
        }
        let header = read_at(&mut file, 0, HEADER_LEN).map_err(io_err)?;
        let mut sections = [(0u64, 0u64); 4];
        for (i, section) in sections.iter_mut().enumerate() {
            let off = u64_at(&header, 16 + i * 16).ok_or_else(|| corrupt("header"))?;
            let len = u64_at(&header, 24 + i * 16).ok_or_else(|| corrupt("header"))?;
            if off.checked_add(len).is_none_or(|end| end > file_len) {
                return Err(corrupt("section beyond the end of the file (truncated?)"));
            }
            *section = (off, len);
        }
        let [meta, packages, vulnerabilities, (data_off, data_len)] = sections;
        let meta = read_at(&mut file, meta.0, meta.1).map_err(io_err)?;
        let packages = Index::new(read_at(&mut file, packages.0, packages.1).map_err(io_err)?)
            .ok_or_else(|| corrupt("package index"))?;
        let vulnerabilities =
            Index::new(read_at(&mut file, vulnerabilities.0, vulnerabilities.1).map_err(io_err)?)
                .ok_or_else(|| corrupt("vulnerability index"))?;
        Ok(Reader {
            path: path.to_path_buf(),
            file: Mutex::new(file),
            meta,
            packages,
            vulnerabilities,
            data_off,
            data_len,
        })
    }

    /// The file this reader reads.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The metadata section (JSON).
    pub fn meta(&self) -> &[u8] {
        &self.meta
    }

    fn corrupt(&self, what: &str) -> DbError {
        DbError::Corrupt {
            path: self.path.clone(),
            what: what.to_owned(),
        }
    }

    /// The data stored under `key` in `table`, if any: one binary search, one read.
    pub fn get(&self, table: Table, key: &str) -> Result<Option<Vec<u8>>, DbError> {
        let index = match table {
            Table::Packages => &self.packages,
            Table::Vulnerabilities => &self.vulnerabilities,
        };
        let found = index
            .find(key.as_bytes())
            .ok_or_else(|| self.corrupt("index record"))?;
        let Some((off, len)) = found else {
            return Ok(None);
        };
        if off.checked_add(len).is_none_or(|end| end > self.data_len) {
            return Err(self.corrupt("index points beyond the data"));
        }
        let mut file = self
            .file
            .lock()
            .map_err(|_| self.corrupt("lock poisoned"))?;
        let bytes = read_at(&mut file, self.data_off + off, len).map_err(|source| DbError::Io {
            path: self.path.clone(),
            source,
        })?;
        Ok(Some(bytes))
    }
}

fn read_at(file: &mut File, off: u64, len: u64) -> io::Result<Vec<u8>> {
    let len = usize::try_from(len).map_err(|_| io::Error::other("section too large"))?;
    file.seek(SeekFrom::Start(off))?;
    let mut bytes = vec![0u8; len];
    file.read_exact(&mut bytes)?;
    Ok(bytes)
}
