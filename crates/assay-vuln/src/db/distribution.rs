//! How the database travels: the OSV exports `assay db update` downloads, the OCI artifact
//! `assay db push`/`pull` store it as, and how old a database may get before scans warn.
//!
//! The registry transfer itself lives in the CLI (through assay-oci); this module only fixes
//! the names both sides must agree on, so a database pushed by one assay is recognised (or
//! refused with a reason) by another.

use std::collections::BTreeMap;

use super::DbInfo;
use super::file::SCHEMA_VERSION;

/// The OCI `artifactType` of an assay database manifest. The `v1` is the artifact layout
/// (one layer, the file as is); the file's own schema is in [`ANNOTATION_SCHEMA`].
pub const ARTIFACT_TYPE: &str = "application/vnd.assay.db.v1";
/// The media type of the artifact's single layer: the database file, uncompressed (the
/// file is already compact postcard, and pulling it uncompressed lets the digest check run
/// over exactly the bytes that are opened).
pub const LAYER_MEDIA_TYPE: &str = "application/vnd.assay.db.layer.v1";
/// Manifest annotation: the database file's schema version.
pub const ANNOTATION_SCHEMA: &str = "dev.assay.db.schema-version";
/// Manifest annotation: distinct vulnerability records in the file.
pub const ANNOTATION_VULNERABILITIES: &str = "dev.assay.db.vulnerabilities";
/// Standard OCI annotation: when the database was built (RFC 3339).
pub const ANNOTATION_CREATED: &str = "org.opencontainers.image.created";
/// Standard OCI annotation on the layer: the file name tools like `oras pull` write.
pub const ANNOTATION_TITLE: &str = "org.opencontainers.image.title";
/// The file name in [`ANNOTATION_TITLE`].
pub const FILE_NAME: &str = "assay.db";

/// The manifest annotations for a database: schema, build time, record count. Taken from
/// the file's own metadata, so the same file always gets the same manifest digest.
pub fn annotations(info: &DbInfo) -> BTreeMap<String, String> {
    BTreeMap::from([
        (
            ANNOTATION_SCHEMA.to_string(),
            info.schema_version.to_string(),
        ),
        (ANNOTATION_CREATED.to_string(), info.build_time.clone()),
        (
            ANNOTATION_VULNERABILITIES.to_string(),
            info.vulnerabilities.to_string(),
        ),
    ])
}

/// Checks a pulled manifest's schema annotation before any byte of the layer is fetched:
/// `Ok` when it is this assay's schema (or absent, then the file header decides), else a
/// message saying which schema the artifact carries.
///
/// # Errors
/// The message for an artifact of another schema.
pub fn check_schema(annotations: &BTreeMap<String, String>) -> Result<(), String> {
    match annotations.get(ANNOTATION_SCHEMA) {
        Some(found) if found.trim() != SCHEMA_VERSION.to_string() => Err(format!(
            "database schema {found}, this assay reads {SCHEMA_VERSION}: push a database built by this version"
        )),
        _ => Ok(()),
    }
}

/// Where osv.dev publishes its per-ecosystem exports.
pub const OSV_EXPORT_BASE: &str = "https://osv-vulnerabilities.storage.googleapis.com";

/// The ecosystems `assay db update` downloads by default: every one assay can match
/// (distributions whose packages the catalogers read, and the language ecosystems).
pub const DEFAULT_ECOSYSTEMS: &[&str] = &[
    "AlmaLinux",
    "Alpine",
    "Debian",
    "Go",
    "Maven",
    "NuGet",
    "Packagist",
    "PyPI",
    "Red Hat",
    "Rocky Linux",
    "RubyGems",
    "SUSE",
    "Ubuntu",
    "crates.io",
    "npm",
    "openEuler",
];

/// The URL of an ecosystem's `all.zip` under `base` (osv.dev's layout:
/// `BASE/ECOSYSTEM/all.zip`, the ecosystem name percent-encoded: `Red%20Hat`).
pub fn export_url(base: &str, ecosystem: &str) -> String {
    let mut encoded = String::with_capacity(ecosystem.len());
    for byte in ecosystem.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("{}/{encoded}/all.zip", base.trim_end_matches('/'))
}

/// How old a database may be before scans warn: 7 days. OSV sources change daily, and
/// a weekly refresh is the slowest cadence mirrors for air-gapped sites typically keep;
/// older than that, findings published since are silently missing.
pub const DEFAULT_MAX_AGE_SECONDS: i64 = 7 * 24 * 3600;

/// Parses an age: a number with a unit `d`, `h`, `m` or `s` (`7d`, `36h`), or `0` to turn
/// the warning off. Returns seconds.
///
/// # Errors
/// A message naming the text for anything else.
pub fn parse_age(text: &str) -> Result<i64, String> {
    let text = text.trim();
    if text == "0" {
        return Ok(0);
    }
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: i64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not an age like 7d, 36h or 90m"))?;
    let scale = match unit {
        "d" => 24 * 3600,
        "h" => 3600,
        "m" => 60,
        "s" => 1,
        _ => return Err(format!("{text:?} is not an age like 7d, 36h or 90m")),
    };
    number
        .checked_mul(scale)
        .ok_or_else(|| format!("{text:?} is too large"))
}

/// The database's age at `now` (Unix seconds), from its recorded build time; `None` when the
/// build time cannot be read.
pub fn age_seconds(info: &DbInfo, now: i64) -> Option<i64> {
    let built: jiff::Timestamp = info.build_time.parse().ok()?;
    Some(now - built.as_second())
}

/// The one-line warning for a database older than `max_age` seconds at `now`, if it is
/// (a `max_age` of 0 never warns).
pub fn staleness_warning(info: &DbInfo, now: i64, max_age: i64) -> Option<String> {
    if max_age <= 0 {
        return None;
    }
    let age = age_seconds(info, now)?;
    (age > max_age).then(|| {
        format!(
            "the vulnerability database was built {} ({} days ago, limit {}); run `assay db update`",
            info.build_time,
            age / (24 * 3600),
            describe_age(max_age)
        )
    })
}

/// `7d`, `36h`, `90m` or `45s`: the largest unit that divides the age.
pub fn describe_age(seconds: i64) -> String {
    if seconds % (24 * 3600) == 0 {
        format!("{}d", seconds / (24 * 3600))
    } else if seconds % 3600 == 0 {
        format!("{}h", seconds / 3600)
    } else if seconds % 60 == 0 {
        format!("{}m", seconds / 60)
    } else {
        format!("{seconds}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(build_time: &str) -> DbInfo {
        DbInfo {
            schema_version: SCHEMA_VERSION,
            build_time: build_time.into(),
            sources: Vec::new(),
            ecosystems: BTreeMap::new(),
            vulnerabilities: 3,
            packages: 2,
            duplicates: 0,
        }
    }

    #[test]
    fn export_urls_encode_spaces_like_osv_dev() {
        assert_eq!(
            export_url(OSV_EXPORT_BASE, "Red Hat"),
            "https://osv-vulnerabilities.storage.googleapis.com/Red%20Hat/all.zip"
        );
        assert_eq!(
            export_url("http://127.0.0.1:9/osv/", "crates.io"),
            "http://127.0.0.1:9/osv/crates.io/all.zip"
        );
    }

    #[test]
    fn ages_parse_with_units_and_reject_the_rest() {
        assert_eq!(parse_age("7d"), Ok(7 * 86400));
        assert_eq!(parse_age("36h"), Ok(36 * 3600));
        assert_eq!(parse_age("0"), Ok(0));
        assert!(parse_age("7").is_err());
        assert!(parse_age("seven days").is_err());
        assert!(parse_age("-1d").is_err());
        assert_eq!(describe_age(DEFAULT_MAX_AGE_SECONDS), "7d");
    }

    #[test]
    fn warns_only_past_the_limit() {
        let db = info("2026-01-01T00:00:00Z");
        let built = 1_767_225_600;
        assert_eq!(
            staleness_warning(&db, built + 86400, DEFAULT_MAX_AGE_SECONDS),
            None
        );
        let warning = staleness_warning(&db, built + 8 * 86400, DEFAULT_MAX_AGE_SECONDS);
        assert!(
            warning.as_deref().is_some_and(|w| w.contains("8 days ago")),
            "{warning:?}"
        );
        assert_eq!(staleness_warning(&db, built + 80 * 86400, 0), None);
    }

    #[test]
    fn annotations_carry_schema_and_time_and_other_schemas_are_refused() {
        let a = annotations(&info("2026-01-01T00:00:00Z"));
        assert_eq!(
            a.get(ANNOTATION_CREATED).map(String::as_str),
            Some("2026-01-01T00:00:00Z")
        );
        assert!(check_schema(&a).is_ok());
        let mut other = a.clone();
        other.insert(ANNOTATION_SCHEMA.into(), "999".into());
        assert!(check_schema(&other).is_err_and(|e| e.contains("999")));
    }
}
