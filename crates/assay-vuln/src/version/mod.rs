//! Version ordering per ecosystem, and OSV range evaluation on top of it.
//!
//! [`Scheme`] names an ordering; [`Scheme::for_ecosystem`] maps an OSV ecosystem name to it.
//! [`compare`] orders two versions under a scheme. Schemes whose reference implementation
//! rejects malformed versions (PEP 440, SemVer, Go, NuGet, Composer, RubyGems, dpkg) return
//! [`VersionError::Invalid`] for them; schemes whose reference never rejects (rpmvercmp,
//! apk) order any string, as the package manager would. Maven's ComparableVersion orders any
//! string too, but rejects strings over 256 characters, as Maven itself now does.
//!
//! Every input is bounded ([`MAX_VERSION_LEN`]) so that hostile advisory or package data cannot
//! make a comparison slow or deep.

mod apk;
mod composer;
mod deb;
mod events;
mod go;
mod maven;
mod nuget;
mod pep440;
mod rpm;
mod rubygems;
pub mod semver;

use std::cmp::Ordering;
use std::fmt;

pub use events::{Event, is_affected, trace_affected};

/// Longest version string any scheme accepts, in bytes.
///
/// Real versions are far shorter (the longest Debian version in the archive is under 100
/// bytes); the bound keeps every comparison linear in a small input whatever the data says.
pub const MAX_VERSION_LEN: usize = 1024;

/// A version ordering scheme: how one ecosystem sorts its versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// dpkg (Debian, Ubuntu): `[epoch:]upstream[-revision]`, `~` sorts before everything.
    Deb,
    /// RPM (Red Hat, SUSE, ...): `[epoch:]version[-release]` compared with rpmvercmp.
    Rpm,
    /// apk (Alpine, Wolfi, Chainguard): Gentoo-style suffixes and `-rN` revisions.
    Apk,
    /// PEP 440 (PyPI).
    Pep440,
    /// SemVer 2.0 precedence (npm, crates.io, Hex, Pub, OSV `SEMVER` ranges).
    Semver,
    /// Go modules: golang.org/x/mod/semver, `v` optional, `+incompatible` ignored.
    Go,
    /// Maven's ComparableVersion.
    Maven,
    /// RubyGems' `Gem::Version`.
    RubyGems,
    /// NuGet's `NuGetVersion` (four numeric parts, case-insensitive labels).
    NuGet,
    /// Composer (Packagist): `VersionParser::normalize` then PHP's `version_compare`.
    Composer,
}

impl Scheme {
    /// All schemes, in declaration order.
    pub const ALL: [Scheme; 10] = [
        Scheme::Deb,
        Scheme::Rpm,
        Scheme::Apk,
        Scheme::Pep440,
        Scheme::Semver,
        Scheme::Go,
        Scheme::Maven,
        Scheme::RubyGems,
        Scheme::NuGet,
        Scheme::Composer,
    ];

    /// The scheme an OSV ecosystem orders its versions with.
    ///
    /// Accepts the names of the OSV schema's ecosystem list, with or without a `:suffix`
    /// (`Debian:12`, `Ubuntu:22.04:LTS`, `Alpine:v3.19`, `Red Hat:enterprise_linux:9`).
    /// Matching is exact on the part before the first `:`, as OSV names are case-sensitive.
    /// Ecosystems without a version ordering of their own in OSV (GIT ranges, Linux, OSS-Fuzz)
    /// return `None`.
    pub fn for_ecosystem(osv_ecosystem: &str) -> Option<Scheme> {
        let base = osv_ecosystem
            .split_once(':')
            .map_or(osv_ecosystem, |(base, _)| base)
            .trim();
        let scheme = match base {
            "Debian" | "Ubuntu" => Scheme::Deb,
            "Red Hat" | "Rocky Linux" | "AlmaLinux" | "SUSE" | "openSUSE" | "openEuler"
            | "Mageia" | "Photon OS" | "Azure Linux" => Scheme::Rpm,
            "Alpine"
            | "Wolfi"
            | "Chainguard"
            | "MinimOS"
            | "Alpaquita"
            | "BellSoft Hardened Containers" => Scheme::Apk,
            "PyPI" => Scheme::Pep440,
            // Hex (Elixir's Version) and Pub (pub_semver) order by SemVer 2.0 precedence;
            // Bitnami and SwiftURL records use SEMVER ranges.
            "npm" | "crates.io" | "Hex" | "Pub" | "Bitnami" | "SwiftURL" => Scheme::Semver,
            "Go" => Scheme::Go,
            "Maven" => Scheme::Maven,
            "RubyGems" => Scheme::RubyGems,
            "NuGet" => Scheme::NuGet,
            "Packagist" => Scheme::Composer,
            _ => return None,
        };
        Some(scheme)
    }

    /// The scheme's short name, as used in messages.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Deb => "dpkg",
            Scheme::Rpm => "rpm",
            Scheme::Apk => "apk",
            Scheme::Pep440 => "PEP 440",
            Scheme::Semver => "SemVer",
            Scheme::Go => "Go module",
            Scheme::Maven => "Maven",
            Scheme::RubyGems => "RubyGems",
            Scheme::NuGet => "NuGet",
            Scheme::Composer => "Composer",
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why two versions could not be ordered, or a range not evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    /// The version is not valid under the scheme's reference implementation.
    #[error("invalid {scheme} version {version:?}: {reason}")]
    Invalid {
        /// The scheme that rejected it.
        scheme: Scheme,
        /// The rejected version (cut to 100 characters).
        version: String,
        /// The reference implementation's reason, in its words where it has any.
        reason: String,
    },
    /// The version is longer than [`MAX_VERSION_LEN`].
    #[error("{scheme} version is too long ({len} bytes, at most {max})")]
    TooLong {
        /// The scheme asked.
        scheme: Scheme,
        /// The length given.
        len: usize,
        /// The bound.
        max: usize,
    },
    /// The OSV ecosystem name has no version ordering here.
    #[error("unknown ecosystem {0:?}: no version ordering for it")]
    UnknownEcosystem(String),
    /// A version range or requirement (npm, Cargo) does not parse.
    #[error("invalid {syntax} range {range:?}: {reason}")]
    InvalidRange {
        /// Which syntax: `npm` or `Cargo`.
        syntax: &'static str,
        /// The rejected range (cut to 100 characters).
        range: String,
        /// Why.
        reason: String,
    },
}

impl VersionError {
    /// An [`VersionError::Invalid`] for `version`, cut to a printable length.
    pub(crate) fn invalid(scheme: Scheme, version: &str, reason: impl Into<String>) -> Self {
        VersionError::Invalid {
            scheme,
            version: clip(version),
            reason: reason.into(),
        }
    }
}

/// The first 100 characters of `s`, so errors stay readable on hostile input.
pub(crate) fn clip(s: &str) -> String {
    s.chars().take(100).collect()
}

/// Orders `a` against `b` under `scheme`.
///
/// # Errors
/// [`VersionError::Invalid`] when either version is malformed for a strict scheme, and
/// [`VersionError::TooLong`] past [`MAX_VERSION_LEN`].
pub fn compare(scheme: Scheme, a: &str, b: &str) -> Result<Ordering, VersionError> {
    for v in [a, b] {
        if v.len() > MAX_VERSION_LEN {
            return Err(VersionError::TooLong {
                scheme,
                len: v.len(),
                max: MAX_VERSION_LEN,
            });
        }
    }
    match scheme {
        Scheme::Deb => deb::compare(a, b),
        Scheme::Rpm => Ok(rpm::compare(a, b)),
        Scheme::Apk => Ok(apk::compare(a, b)),
        Scheme::Pep440 => pep440::compare(a, b),
        Scheme::Semver => semver::compare(a, b),
        Scheme::Go => go::compare(a, b),
        Scheme::Maven => maven::compare(a, b),
        Scheme::RubyGems => rubygems::compare(a, b),
        Scheme::NuGet => nuget::compare(a, b),
        Scheme::Composer => composer::compare(a, b),
    }
}

/// Orders `a` against `b` under the scheme of an OSV ecosystem name.
///
/// # Errors
/// [`VersionError::UnknownEcosystem`] if the ecosystem has no scheme, else as [`compare`].
pub fn compare_ecosystem(ecosystem: &str, a: &str, b: &str) -> Result<Ordering, VersionError> {
    let scheme = Scheme::for_ecosystem(ecosystem)
        .ok_or_else(|| VersionError::UnknownEcosystem(clip(ecosystem)))?;
    compare(scheme, a, b)
}

/// `assay version compare ECOSYSTEM A B`: `'<'`, `'='` or `'>'`.
///
/// # Errors
/// As [`compare_ecosystem`].
pub fn compare_cli(ecosystem: &str, a: &str, b: &str) -> Result<char, VersionError> {
    Ok(match compare_ecosystem(ecosystem, a, b)? {
        Ordering::Less => '<',
        Ordering::Equal => '=',
        Ordering::Greater => '>',
    })
}

/// Compares two runs of ASCII digits by numeric value, whatever their length.
///
/// Several references (rpm, Go, apk) compare digit runs as strings of any length rather than
/// as machine integers; this is that comparison, leading zeros ignored.
pub(crate) fn cmp_digits(a: &[u8], b: &[u8]) -> Ordering {
    let a = strip_zeros(a);
    let b = strip_zeros(b);
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

fn strip_zeros(s: &[u8]) -> &[u8] {
    let first = s.iter().position(|&c| c != b'0').unwrap_or(s.len());
    &s[first..]
}
