//! A read-only reader of the SQLite file format, just enough for the rpmdb: find a table's
//! root page in `sqlite_schema` and walk its table b-tree, returning every row's columns.
//!
//! Hand-written because the crates that read SQLite are either bindings to the C library
//! (rusqlite, libsqlite3-sys: a C build and a much larger attack surface for reading an
//! untrusted image) or full pure-Rust database engines (limbo/turso, still pre-1.0 and
//! heavy); none is a small, maintained, read-only file reader. The format is stable and
//! documented (<https://www.sqlite.org/fileformat2.html>); this covers table b-trees,
//! overflow pages and record decoding. Every page number, offset and length is checked, and a
//! page is visited at most once, so a corrupt or hostile file is an error, never a panic or a
//! loop. A `-wal` file next to the database is not replayed: rpm checkpoints on exit, so an
//! image's database holds every committed transaction.

use std::collections::HashSet;

const HEADER: &[u8; 16] = b"SQLite format 3\0";

/// One column value (only the kinds the rpmdb uses are kept apart).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value<'a> {
    Null,
    Integer(i64),
    Real,
    Text(std::borrow::Cow<'a, [u8]>),
    Blob(std::borrow::Cow<'a, [u8]>),
}

/// An open database file.
pub(crate) struct Database<'a> {
    data: &'a [u8],
    page_size: usize,
    usable: usize,
    pages: usize,
}

impl<'a> Database<'a> {
    /// Checks the 100-byte file header.
    pub(crate) fn open(data: &'a [u8]) -> Result<Database<'a>, String> {
        if data.len() < 100 || &data[..16] != HEADER {
            return Err("not an sqlite 3 database".into());
        }
        let raw = u16::from_be_bytes([data[16], data[17]]);
        let page_size = if raw == 1 { 65536 } else { usize::from(raw) };
        if page_size < 512 || !page_size.is_power_of_two() {
            return Err(format!("sqlite page size {page_size} is invalid"));
        }
        let reserved = usize::from(data[20]);
        let usable = page_size
            .checked_sub(reserved)
            .filter(|u| *u >= 480)
            .ok_or("sqlite reserved space leaves no usable page")?;
        Ok(Database {
            data,
            page_size,
            usable,
            pages: data.len() / page_size,
        })
    }

    fn page(&self, number: u32) -> Result<&'a [u8], String> {
        let n = number as usize;
        if n == 0 || n > self.pages {
            return Err(format!(
                "sqlite page {number} out of range (1..={})",
                self.pages
            ));
        }
        Ok(&self.data[(n - 1) * self.page_size..n * self.page_size])
    }

    /// The root page of table `name` from `sqlite_schema` (page 1).
    pub(crate) fn table_root(&self, name: &str) -> Result<u32, String> {
        let mut root = None;
        self.walk_table(1, &mut |row| {
            let is_table = matches!(row.first(), Some(Value::Text(t)) if t.as_ref() == b"table");
            let named = matches!(row.get(1), Some(Value::Text(t)) if t.as_ref() == name.as_bytes());
            if is_table
                && named
                && let Some(Value::Integer(page)) = row.get(3)
            {
                root = u32::try_from(*page).ok();
            }
        })?;
        root.ok_or_else(|| format!("no table {name:?} in the sqlite schema"))
    }

    /// Calls `row` with every row of the table b-tree rooted at `root`, in rowid order.
    pub(crate) fn walk_table(
        &self,
        root: u32,
        row: &mut dyn FnMut(Vec<Value<'_>>),
    ) -> Result<(), String> {
        let mut seen = HashSet::new();
        let mut stack = vec![root];
        // Depth-first, children pushed right to left so rows come out in rowid order.
        while let Some(number) = stack.pop() {
            if !seen.insert(number) {
                return Err(format!("sqlite page {number} referenced twice (a cycle)"));
            }
            let page = self.page(number)?;
            let start = if number == 1 { 100 } else { 0 };
            let kind = *page.get(start).ok_or("sqlite page header truncated")?;
            let cells = usize::from(be16(page, start + 3)?);
            match kind {
                0x05 => {
                    let mut children = Vec::with_capacity(cells + 1);
                    for i in 0..cells {
                        let at = usize::from(be16(page, start + 12 + 2 * i)?);
                        children.push(be32(page, at)?);
                    }
                    children.push(be32(page, start + 8)?);
                    stack.extend(children.into_iter().rev());
                }
                0x0d => {
                    for i in 0..cells {
                        let at = usize::from(be16(page, start + 8 + 2 * i)?);
                        let payload = self.leaf_payload(page, at, &mut seen)?;
                        row(record(&payload)?);
                    }
                }
                other => {
                    return Err(format!(
                        "sqlite page {number}: type {other:#04x} is not a table b-tree page"
                    ));
                }
            }
        }
        Ok(())
    }

    /// A table leaf cell's payload, with its overflow chain followed.
    fn leaf_payload(
        &self,
        page: &'a [u8],
        at: usize,
        seen: &mut HashSet<u32>,
    ) -> Result<std::borrow::Cow<'a, [u8]>, String> {
        let (size, n) = varint(page, at)?;
        let (_rowid, m) = varint(page, at + n)?;
        let start = at + n + m;
        let size = usize::try_from(size).map_err(|_| "sqlite cell size overflows")?;
        if size > self.data.len() {
            return Err(format!(
                "sqlite cell claims {size} bytes, more than the file"
            ));
        }
        let u = self.usable;
        let max_local = u - 35;
        let local = if size <= max_local {
            size
        } else {
            let min_local = (u - 12) * 32 / 255 - 23;
            let k = min_local + (size - min_local) % (u - 4);
            if k <= max_local { k } else { min_local }
        };
        let here = page
            .get(start..start + local)
            .ok_or("sqlite cell runs past its page")?;
        if local == size {
            return Ok(std::borrow::Cow::Borrowed(here));
        }
        let mut out = Vec::with_capacity(size);
        out.extend_from_slice(here);
        let mut next = be32(page, start + local)?;
        while out.len() < size {
            if !seen.insert(next) {
                return Err(format!("sqlite overflow page {next} referenced twice"));
            }
            let overflow = self.page(next)?;
            let take = (size - out.len()).min(u - 4);
            out.extend_from_slice(&overflow[4..4 + take]);
            next = be32(overflow, 0)?;
        }
        Ok(std::borrow::Cow::Owned(out))
    }
}

/// Decodes a record: a header of serial types, then the values.
fn record(bytes: &[u8]) -> Result<Vec<Value<'static>>, String> {
    let (header_len, n) = varint(bytes, 0)?;
    let header_len = usize::try_from(header_len).map_err(|_| "sqlite record header too long")?;
    if header_len > bytes.len() {
        return Err("sqlite record header past the payload".into());
    }
    let mut types = Vec::new();
    let mut at = n;
    while at < header_len {
        let (t, used) = varint(bytes, at)?;
        types.push(t);
        at += used;
    }
    let mut body = header_len;
    let mut values = Vec::with_capacity(types.len());
    for t in types {
        let len = match t {
            0 | 8 | 9 | 10 | 11 => 0,
            1 => 1,
            2 => 2,
            3 => 3,
            4 => 4,
            5 => 6,
            6 | 7 => 8,
            n => usize::try_from((n - 12) / 2).map_err(|_| "sqlite value too long")?,
        };
        let field = bytes
            .get(body..body.saturating_add(len))
            .ok_or("sqlite record value past the payload")?;
        body += len;
        values.push(match t {
            0 => Value::Null,
            1..=6 => {
                let mut v: i64 = if field[0] & 0x80 != 0 { -1 } else { 0 };
                for b in field {
                    v = (v << 8) | i64::from(*b);
                }
                Value::Integer(v)
            }
            7 => Value::Real,
            8 => Value::Integer(0),
            9 => Value::Integer(1),
            10 | 11 => Value::Null,
            n if n % 2 == 0 => Value::Blob(std::borrow::Cow::Owned(field.to_vec())),
            _ => Value::Text(std::borrow::Cow::Owned(field.to_vec())),
        });
    }
    Ok(values)
}

/// SQLite's big-endian variable-length integer: up to 9 bytes, the ninth contributing 8 bits.
fn varint(bytes: &[u8], at: usize) -> Result<(u64, usize), String> {
    let mut value = 0u64;
    for i in 0..9 {
        let b = *bytes.get(at + i).ok_or("sqlite varint past the page")?;
        if i == 8 {
            return Ok(((value << 8) | u64::from(b), 9));
        }
        value = (value << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            return Ok((value, i + 1));
        }
    }
    Ok((value, 9))
}

fn be16(bytes: &[u8], at: usize) -> Result<u16, String> {
    bytes
        .get(at..at + 2)
        .map(|b| u16::from_be_bytes([b[0], b[1]]))
        .ok_or_else(|| "sqlite page truncated".to_string())
}

fn be32(bytes: &[u8], at: usize) -> Result<u32, String> {
    bytes
        .get(at..at + 4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| "sqlite page truncated".to_string())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn decodes_varints() {
        assert_eq!(varint(&[0x05], 0).unwrap(), (5, 1));
        assert_eq!(varint(&[0x81, 0x00], 0).unwrap(), (128, 2));
        assert!(varint(&[0x81], 0).is_err());
    }

    #[test]
    fn walks_interior_pages_and_overflow_chains_in_rowid_order() {
        let data = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/catalog/rpm/btree.sqlite"
        ))
        .unwrap();
        let db = Database::open(&data).unwrap();
        let root = db.table_root("Packages").unwrap();
        let mut rows = Vec::new();
        db.walk_table(root, &mut |row| {
            if let Some(Value::Blob(b)) = row.get(1) {
                rows.push(b.to_vec());
            }
        })
        .unwrap();
        assert_eq!(rows.len(), 400);
        for (i, row) in rows.iter().enumerate() {
            let n = i + 1;
            let len = if n % 50 == 0 { 900 } else { 30 };
            assert_eq!(row, &vec![(n % 256) as u8; len], "row {n}");
        }
    }

    #[test]
    fn rejects_non_sqlite_and_bad_pages() {
        assert!(Database::open(b"not a database at all").is_err());
        let mut data = vec![0u8; 1024];
        data[..16].copy_from_slice(HEADER);
        data[16..18].copy_from_slice(&512u16.to_be_bytes());
        data[100] = 0x0d;
        let db = Database::open(&data).unwrap();
        assert!(db.page(3).is_err());
        // An empty schema: no table.
        assert!(db.table_root("Packages").is_err());
        // A page that is not a b-tree page.
        data[100] = 0x42;
        let db = Database::open(&data).unwrap();
        assert!(db.table_root("Packages").is_err());
    }
}
