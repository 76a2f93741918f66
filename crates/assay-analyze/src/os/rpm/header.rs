//! rpm header blobs, as the databases store them (no lead, no header magic): `il` index
//! entries and `dl` data bytes, big-endian, then the entries (tag, type, offset, count) and
//! the data they point into. Only the tags a package inventory needs are decoded.

/// Tags read (rpm's `rpmtag.h`).
const NAME: u32 = 1000;
const VERSION: u32 = 1001;
const RELEASE: u32 = 1002;
const EPOCH: u32 = 1003;
const LICENSE: u32 = 1014;
const ARCH: u32 = 1022;
const OLDFILENAMES: u32 = 1027;
const SOURCERPM: u32 = 1044;
const DIRINDEXES: u32 = 1116;
const BASENAMES: u32 = 1117;
const DIRNAMES: u32 = 1118;

/// Tag data types.
const INT32: u32 = 4;
const STRING: u32 = 6;
const STRING_ARRAY: u32 = 8;
const I18NSTRING: u32 = 9;

/// More index entries than any real package has (rpm itself caps at 0xffff); a guard against
/// a corrupt count making us allocate gigabytes.
const MAX_ENTRIES: usize = 0x10000;

/// What one installed package's header says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) release: String,
    pub(crate) epoch: Option<u32>,
    pub(crate) arch: String,
    pub(crate) license: String,
    /// `openssl-3.0.7-27.el9.src.rpm`.
    pub(crate) source_rpm: String,
    /// Installed paths, absolute as rpm records them.
    pub(crate) files: Vec<String>,
}

impl Header {
    /// `[epoch:]version-release`, the form rpm's version comparison and OSV records use.
    pub(crate) fn evr(&self) -> String {
        let vr = if self.release.is_empty() {
            self.version.clone()
        } else {
            format!("{}-{}", self.version, self.release)
        };
        match self.epoch {
            Some(epoch) => format!("{epoch}:{vr}"),
            None => vr,
        }
    }

    /// The source package's name and `version-release`, split from `SOURCERPM`
    /// (`name-version-release.src.rpm`; name may contain dashes, version and release not).
    pub(crate) fn source(&self) -> Option<(&str, &str)> {
        let base = self
            .source_rpm
            .strip_suffix(".rpm")
            .and_then(|s| s.rsplit_once('.'))
            .map(|(s, _arch)| s)?;
        let (rest, _release) = base.rsplit_once('-')?;
        let (name, _version) = rest.rsplit_once('-')?;
        Some((name, &base[name.len() + 1..]))
    }
}

/// Reads big-endian integers and strings out of a blob with bounds checks.
fn be32(blob: &[u8], at: usize) -> Option<u32> {
    let bytes = blob.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
}

/// Parses a header blob. The error says what is wrong, lowercase.
pub(crate) fn parse(blob: &[u8]) -> Result<Header, String> {
    let il = be32(blob, 0).ok_or("header blob shorter than 8 bytes")? as usize;
    let dl = be32(blob, 4).ok_or("header blob shorter than 8 bytes")? as usize;
    if il > MAX_ENTRIES {
        return Err(format!("header claims {il} index entries"));
    }
    let data_start = 8 + il * 16;
    let data = blob
        .get(data_start..data_start.saturating_add(dl))
        .ok_or_else(|| {
            format!(
                "header blob truncated: {} of {} bytes",
                blob.len(),
                data_start + dl
            )
        })?;
    let mut header = Header::default();
    let (mut basenames, mut dirnames, mut dirindexes, mut oldnames) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for i in 0..il {
        let at = 8 + i * 16;
        let (Some(tag), Some(kind), Some(offset), Some(count)) = (
            be32(blob, at),
            be32(blob, at + 4),
            be32(blob, at + 8),
            be32(blob, at + 12),
        ) else {
            return Err(format!("index entry {i} truncated"));
        };
        let offset = offset as usize;
        let count = count as usize;
        if offset > data.len() {
            return Err(format!(
                "tag {tag}: data offset {offset} past the end ({})",
                data.len()
            ));
        }
        let bytes = &data[offset..];
        let one_string = || -> Result<String, String> {
            strings(bytes, 1, tag).map(|mut s| s.pop().unwrap_or_default())
        };
        match (tag, kind) {
            (NAME, STRING) => header.name = one_string()?,
            (VERSION, STRING) => header.version = one_string()?,
            (RELEASE, STRING) => header.release = one_string()?,
            (ARCH, STRING) => header.arch = one_string()?,
            (SOURCERPM, STRING) => header.source_rpm = one_string()?,
            (LICENSE, STRING | I18NSTRING) => header.license = one_string()?,
            (EPOCH, INT32) => header.epoch = be32(bytes, 0),
            (BASENAMES, STRING_ARRAY) => basenames = strings(bytes, count, tag)?,
            (DIRNAMES, STRING_ARRAY) => dirnames = strings(bytes, count, tag)?,
            (OLDFILENAMES, STRING_ARRAY) => oldnames = strings(bytes, count, tag)?,
            (DIRINDEXES, INT32) => {
                if count.saturating_mul(4) > bytes.len() {
                    return Err(format!("tag {tag}: {count} integers past the end"));
                }
                dirindexes = (0..count).filter_map(|j| be32(bytes, j * 4)).collect();
            }
            _ => {}
        }
    }
    if header.name.is_empty() {
        return Err("header without a name".into());
    }
    header.files = if basenames.is_empty() {
        oldnames
    } else {
        basenames
            .iter()
            .zip(&dirindexes)
            .filter_map(|(base, &dir)| dirnames.get(dir as usize).map(|d| format!("{d}{base}")))
            .collect()
    };
    Ok(header)
}

/// `count` NUL-terminated strings at the start of `bytes`.
fn strings(bytes: &[u8], count: usize, tag: u32) -> Result<Vec<String>, String> {
    let mut out = Vec::with_capacity(count.min(4096));
    let mut rest = bytes;
    for _ in 0..count {
        let end = rest
            .iter()
            .position(|&b| b == 0)
            .ok_or_else(|| format!("tag {tag}: unterminated string"))?;
        out.push(String::from_utf8_lossy(&rest[..end]).into_owned());
        rest = &rest[end + 1..];
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Builds a header blob: what rpm writes, minus the region tags it ignores here.
    pub(crate) fn blob(entries: &[(u32, u32, Vec<u8>, u32)]) -> Vec<u8> {
        let mut index = Vec::new();
        let mut data = Vec::new();
        for (tag, kind, bytes, count) in entries {
            if *kind == INT32 {
                while !data.len().is_multiple_of(4) {
                    data.push(0);
                }
            }
            index.extend(tag.to_be_bytes());
            index.extend(kind.to_be_bytes());
            index.extend((data.len() as u32).to_be_bytes());
            index.extend(count.to_be_bytes());
            data.extend(bytes);
        }
        let mut out = Vec::new();
        out.extend((entries.len() as u32).to_be_bytes());
        out.extend((data.len() as u32).to_be_bytes());
        out.extend(index);
        out.extend(data);
        out
    }

    fn s(v: &str) -> Vec<u8> {
        let mut b = v.as_bytes().to_vec();
        b.push(0);
        b
    }

    #[test]
    fn parses_names_epoch_source_and_file_list() {
        let blob = blob(&[
            (NAME, STRING, s("openssl-libs"), 1),
            (VERSION, STRING, s("3.0.7"), 1),
            (RELEASE, STRING, s("27.el9"), 1),
            (EPOCH, INT32, 1u32.to_be_bytes().to_vec(), 1),
            (ARCH, STRING, s("x86_64"), 1),
            (LICENSE, STRING, s("ASL 2.0"), 1),
            (SOURCERPM, STRING, s("openssl-3.0.7-27.el9.src.rpm"), 1),
            (
                BASENAMES,
                STRING_ARRAY,
                [s("libssl.so.3"), s("libcrypto.so.3")].concat(),
                2,
            ),
            (DIRNAMES, STRING_ARRAY, s("/usr/lib64/"), 1),
            (
                DIRINDEXES,
                INT32,
                [0u32.to_be_bytes(), 0u32.to_be_bytes()].concat(),
                2,
            ),
        ]);
        let header = parse(&blob).unwrap();
        assert_eq!(header.evr(), "1:3.0.7-27.el9");
        assert_eq!(header.source(), Some(("openssl", "3.0.7-27.el9")));
        assert_eq!(
            header.files,
            ["/usr/lib64/libssl.so.3", "/usr/lib64/libcrypto.so.3"]
        );
        assert_eq!(header.license, "ASL 2.0");
    }

    #[test]
    fn rejects_truncated_and_hostile_blobs() {
        assert!(parse(&[0, 0]).is_err());
        assert!(parse(&[0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]).is_err());
        let mut b = blob(&[(NAME, STRING, s("x"), 1)]);
        b.truncate(b.len() - 1);
        assert!(parse(&b).is_err());
        // An offset past the data.
        let mut b = blob(&[(NAME, STRING, s("x"), 1)]);
        b[16..20].copy_from_slice(&1000u32.to_be_bytes());
        assert!(parse(&b).is_err());
    }
}
