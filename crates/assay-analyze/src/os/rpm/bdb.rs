//! Berkeley DB hash databases, as rpm up to 4.15 wrote `/var/lib/rpm/Packages` (RHEL 7 and
//! 8, CentOS, Amazon Linux 2): every page is scanned for hash pages, whose key/value items
//! alternate; the values are header blobs stored off-page in chains of overflow pages.
//!
//! No Rust crate reads Berkeley DB files (libdb is C and AGPL since 6.0), so the few
//! structures needed are read here, as Trivy's go-rpmdb does. Page numbers and lengths are
//! checked and every chain is bounded by the page count, so a corrupt file cannot loop.

/// Hash database magic in the metadata page.
const HASH_MAGIC: u32 = 0x0006_1561;
/// Page types (`db_page.h`).
const P_HASH_UNSORTED: u8 = 2;
const P_OVERFLOW: u8 = 7;
const P_HASH: u8 = 13;
/// Item types on hash pages.
const H_KEYDATA: u8 = 1;
const H_OFFPAGE: u8 = 3;
/// Size of a page header (`PAGE` struct without the index array).
const PAGE_HEADER: usize = 26;

/// The values (header blobs) of every record in the database.
pub(crate) fn values(data: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    if data.len() < 512 {
        return Err("berkeley db file shorter than its metadata page".into());
    }
    let little = u32::from_le_bytes([data[12], data[13], data[14], data[15]]) == HASH_MAGIC;
    let big = u32::from_be_bytes([data[12], data[13], data[14], data[15]]) == HASH_MAGIC;
    if !little && !big {
        return Err("not a berkeley db hash database".into());
    }
    let u32_at = |page: &[u8], at: usize| -> Result<u32, String> {
        let b = page.get(at..at + 4).ok_or("berkeley db page truncated")?;
        let b = [b[0], b[1], b[2], b[3]];
        Ok(if little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    };
    let u16_at = |page: &[u8], at: usize| -> Result<usize, String> {
        let b = page.get(at..at + 2).ok_or("berkeley db page truncated")?;
        let b = [b[0], b[1]];
        Ok(usize::from(if little {
            u16::from_le_bytes(b)
        } else {
            u16::from_be_bytes(b)
        }))
    };
    let page_size = u32_at(data, 20)? as usize;
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(format!("berkeley db page size {page_size} is invalid"));
    }
    if data[24] != 0 {
        return Err("berkeley db file is encrypted".into());
    }
    let pages = data.len() / page_size;
    let page = |n: u32| -> Result<&[u8], String> {
        let n = n as usize;
        if n >= pages {
            return Err(format!("berkeley db page {n} out of range (0..{pages})"));
        }
        Ok(&data[n * page_size..(n + 1) * page_size])
    };
    let mut out = Vec::new();
    for number in 1..pages {
        let p = page(number as u32)?;
        if !matches!(p[25], P_HASH | P_HASH_UNSORTED) {
            continue;
        }
        let entries = u16_at(p, 20)?;
        // Items alternate key, value; the values are the odd ones.
        for i in (1..entries).step_by(2) {
            let at = u16_at(p, PAGE_HEADER + 2 * i)?;
            match p.get(at).copied() {
                Some(H_OFFPAGE) => {
                    let mut next = u32_at(p, at + 4)?;
                    let total = u32_at(p, at + 8)? as usize;
                    if total > data.len() {
                        return Err(format!("berkeley db item claims {total} bytes"));
                    }
                    let mut value = Vec::with_capacity(total);
                    let mut hops = 0;
                    while next != 0 && value.len() < total {
                        hops += 1;
                        if hops > pages {
                            return Err("berkeley db overflow chain loops".into());
                        }
                        let o = page(next)?;
                        if o[25] != P_OVERFLOW {
                            return Err(format!("berkeley db page {next} is not an overflow page"));
                        }
                        let len = u16_at(o, 22)?.min(page_size - PAGE_HEADER);
                        value.extend_from_slice(&o[PAGE_HEADER..PAGE_HEADER + len]);
                        next = u32_at(o, 16)?;
                    }
                    value.truncate(total);
                    out.push(value);
                }
                Some(H_KEYDATA) => {
                    // A value small enough to sit on the page: up to the previous item's start.
                    let end = if i == 0 {
                        page_size
                    } else {
                        u16_at(p, PAGE_HEADER + 2 * (i - 1))?
                    };
                    if let Some(v) = p.get(at + 1..end) {
                        out.push(v.to_vec());
                    }
                }
                _ => {}
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn rejects_other_files() {
        assert!(values(b"short").is_err());
        assert!(values(&[0u8; 4096]).is_err());
    }
}
