//! Package keys: ecosystem base plus the name as the ecosystem compares it.
//!
//! Advisories and installed packages spell names differently (`PyYAML` vs `pyyaml`,
//! `zope.interface` vs `zope-interface`), so both sides go through the same normalisation
//! before a lookup. Releases (`Debian:12`) are not part of the key: one key holds every
//! release's records and the matcher picks the right ones, so `Debian` records without a
//! release are found from any release.

/// The ecosystem without its release suffix: `Debian:12` -> `Debian`.
pub fn ecosystem_base(ecosystem: &str) -> &str {
    ecosystem
        .split_once(':')
        .map_or(ecosystem, |(base, _)| base)
        .trim()
}

/// A package name as its ecosystem compares names.
///
/// PyPI: PEP 503 (lower case, runs of `-`, `_`, `.` become one `-`). NuGet and Packagist:
/// case-insensitive, so lower case. npm (`@scope/name`), Maven (`group:artifact`), Go
/// (module path), crates.io, RubyGems and the Linux distributions (source package names):
/// exact, as those registries treat names.
pub fn normalize_name(ecosystem: &str, name: &str) -> String {
    let name = name.trim();
    match ecosystem_base(ecosystem) {
        "PyPI" => pep503(name),
        "NuGet" | "Packagist" => name.to_lowercase(),
        _ => name.to_owned(),
    }
}

/// PEP 503 normalisation: `re.sub(r"[-_.]+", "-", name).lower()`.
fn pep503(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_run = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_run {
                out.push('-');
            }
            in_run = true;
        } else {
            out.extend(c.to_lowercase());
            in_run = false;
        }
    }
    out
}

/// The database key of a package: `ecosystem-base \0 normalized-name`.
pub fn package_key(ecosystem: &str, name: &str) -> String {
    format!(
        "{}\0{}",
        ecosystem_base(ecosystem),
        normalize_name(ecosystem, name)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pep503_examples() {
        assert_eq!(pep503("Friendly-Bard"), "friendly-bard");
        assert_eq!(pep503("FRIENDLY-BARD"), "friendly-bard");
        assert_eq!(pep503("friendly.bard"), "friendly-bard");
        assert_eq!(pep503("friendly_bard"), "friendly-bard");
        assert_eq!(pep503("friendly--bard"), "friendly-bard");
        assert_eq!(pep503("FrIeNdLy-._.-bArD"), "friendly-bard");
    }
}
