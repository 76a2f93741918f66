//! rpm's own "ndb" package database (`/usr/lib/sysimage/rpm/Packages.db`, SUSE since 15 SP3
//! and openSUSE): a header page naming how many slot pages follow, slots pointing at blobs
//! by 16-byte block, and each blob a small header followed by an rpm header blob. Layout
//! from rpm's `lib/backend/ndb/rpmpkg.c`; all fields little-endian. No crate reads it.

const HEADER_MAGIC: u32 = u32::from_le_bytes(*b"RpmP");
const SLOT_MAGIC: u32 = u32::from_le_bytes(*b"Slot");
const BLOB_MAGIC: u32 = u32::from_le_bytes(*b"BlbS");
const PAGE: usize = 4096;
const SLOT: usize = 16;
const BLOCK: usize = 16;
const BLOB_HEADER: usize = 16;

fn le32(data: &[u8], at: usize) -> Result<u32, String> {
    data.get(at..at + 4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| format!("ndb file truncated at byte {at}"))
}

/// The header blobs of every package in the database, in slot order.
pub(crate) fn values(data: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    if le32(data, 0)? != HEADER_MAGIC {
        return Err("not an rpm ndb database".into());
    }
    let version = le32(data, 4)?;
    if version != 0 {
        return Err(format!("ndb version {version} is not supported"));
    }
    let slot_pages = le32(data, 12)? as usize;
    let slots_end = slot_pages
        .checked_mul(PAGE)
        .filter(|end| *end <= data.len())
        .ok_or_else(|| format!("ndb claims {slot_pages} slot pages, more than the file"))?;
    let mut out = Vec::new();
    // The first slot's place holds the database header.
    for at in (SLOT..slots_end).step_by(SLOT) {
        if le32(data, at)? != SLOT_MAGIC {
            return Err(format!("ndb slot at byte {at} has a bad magic"));
        }
        let package = le32(data, at + 4)?;
        if package == 0 {
            continue;
        }
        let offset = (le32(data, at + 8)? as usize)
            .checked_mul(BLOCK)
            .ok_or("ndb blob offset overflows")?;
        if le32(data, offset)? != BLOB_MAGIC {
            return Err(format!(
                "ndb blob of package {package} at byte {offset}: bad magic"
            ));
        }
        if le32(data, offset + 4)? != package {
            return Err(format!(
                "ndb blob at byte {offset} belongs to another package"
            ));
        }
        let len = le32(data, offset + 12)? as usize;
        let start = offset + BLOB_HEADER;
        let blob = data
            .get(start..start.saturating_add(len))
            .ok_or_else(|| format!("ndb blob of package {package} runs past the file"))?;
        out.push(blob.to_vec());
    }
    Ok(out)
}

/// Writes an ndb file holding `blobs`, as rpm lays it out (one slot page, blobs after it).
/// Used by the tests to make the SUSE fixture from real header blobs.
#[cfg(test)]
pub(crate) fn write(blobs: &[Vec<u8>]) -> Vec<u8> {
    let mut out = vec![0u8; PAGE];
    out[0..4].copy_from_slice(&HEADER_MAGIC.to_le_bytes());
    out[8..12].copy_from_slice(&1u32.to_le_bytes());
    out[12..16].copy_from_slice(&1u32.to_le_bytes());
    for at in (SLOT..PAGE).step_by(SLOT) {
        out[at..at + 4].copy_from_slice(&SLOT_MAGIC.to_le_bytes());
    }
    for (i, blob) in blobs.iter().enumerate() {
        let index = i as u32 + 1;
        let slot = SLOT * (i + 1);
        let block = out.len() / BLOCK;
        out[slot + 4..slot + 8].copy_from_slice(&index.to_le_bytes());
        out[slot + 8..slot + 12].copy_from_slice(&(block as u32).to_le_bytes());
        let blocks = (BLOB_HEADER + blob.len() + 12).div_ceil(BLOCK);
        out[slot + 12..slot + 16].copy_from_slice(&(blocks as u32).to_le_bytes());
        out.extend(BLOB_MAGIC.to_le_bytes());
        out.extend(index.to_le_bytes());
        out.extend(0u32.to_le_bytes());
        out.extend((blob.len() as u32).to_le_bytes());
        out.extend(blob);
        out.resize(out.len().div_ceil(BLOCK) * BLOCK + BLOCK, 0);
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn round_trips_and_rejects_bad_files() {
        let blobs = vec![b"one".to_vec(), b"second blob".to_vec()];
        assert_eq!(values(&write(&blobs)).unwrap(), blobs);
        assert!(values(b"RpmQ").is_err());
        let mut bad = write(&blobs);
        bad[PAGE] = b'X';
        assert!(values(&bad).unwrap_err().contains("bad magic"));
        let mut huge = write(&blobs);
        huge[12..16].copy_from_slice(&9999u32.to_le_bytes());
        assert!(values(&huge).is_err());
    }
}
