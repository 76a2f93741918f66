//! The distro from `os-release` (freedesktop.org format: `KEY=value`, shell-style quoting),
//! and the OSV ecosystem its OS packages are published under.

use assay_core::Distro;

/// Where `os-release` lives, in order of precedence (`/etc/os-release` is usually a link to
/// the second; links are not followed, so both are read).
pub const OS_RELEASE_PATHS: &[&str] = &["etc/os-release", "usr/lib/os-release"];

/// Parses an `os-release` file; `None` without an `ID`.
pub fn parse_os_release(text: &str) -> Option<Distro> {
    let (mut id, mut version_id, mut codename, mut version) = (None, None, None, None);
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = unquote(value.trim());
        let slot = match key.trim() {
            "ID" => &mut id,
            "VERSION_ID" => &mut version_id,
            "VERSION_CODENAME" => &mut codename,
            "VERSION" => &mut version,
            _ => continue,
        };
        if !value.is_empty() {
            *slot = Some(value);
        }
    }
    let id = id?;
    let ecosystem = ecosystem(
        &id,
        version_id.as_deref(),
        codename.as_deref(),
        version.as_deref(),
    );
    Some(Distro {
        id,
        version_id,
        codename,
        ecosystem,
    })
}

/// `"a b"` or `'a b'` with `\"`, `\\`, `\$` and `` \` `` unescaped in double quotes.
fn unquote(value: &str) -> String {
    if let Some(inner) = value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
        return inner.to_string();
    }
    let Some(inner) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) else {
        return value.to_string();
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match (c, chars.clone().next()) {
            ('\\', Some(next @ ('"' | '\\' | '$' | '`'))) => {
                out.push(next);
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out
}

/// The OSV ecosystem (`Debian:12`, `Ubuntu:22.04`, `Alpine:v3.20`), or `""` for a distro OSV
/// publishes no advisories for (CentOS, Fedora, Amazon Linux, Anolis OS, Alibaba Cloud Linux,
/// Kylin, UOS: their packages are still catalogued, under [`rpm_ecosystem`]'s name).
/// Distroless images carry Debian's `ID=debian`, so they are Debian here.
fn ecosystem(
    id: &str,
    version_id: Option<&str>,
    codename: Option<&str>,
    version: Option<&str>,
) -> String {
    let major = version_id.and_then(|v| v.split('.').next());
    let major_minor = version_id.map(|v| v.split('.').take(2).collect::<Vec<_>>().join("."));
    let with = |prefix: &str, part: Option<&str>| {
        part.map_or_else(String::new, |v| format!("{prefix}{v}"))
    };
    match id {
        "debian" => {
            let release = major.or(match codename {
                Some("buster") => Some("10"),
                Some("bullseye") => Some("11"),
                Some("bookworm") => Some("12"),
                Some("trixie") => Some("13"),
                _ => None,
            });
            with("Debian:", release)
        }
        "ubuntu" => with("Ubuntu:", version_id),
        "alpine" => with("Alpine:v", major_minor.as_deref()),
        "wolfi" => "Wolfi".into(),
        "chainguard" => "Chainguard".into(),
        "minimos" => "MinimOS".into(),
        "rocky" => with("Rocky Linux:", major),
        "almalinux" => with("AlmaLinux:", major),
        // RHEL and UBI images: OSV's Red Hat records are per product stream
        // (`Red Hat:enterprise_linux:9::appstream`); the release prefix names them all.
        "rhel" => with("Red Hat:enterprise_linux:", major),
        // SLES 15.5 is "SUSE Linux Enterprise Server 15 SP5" in OSV.
        "sles" | "sle_hpc" | "sles_sap" | "sle-micro" => version_id.map_or_else(String::new, |v| {
            let product = match id {
                "sles_sap" => "Linux Enterprise Server for SAP Applications",
                "sle-micro" => "Linux Enterprise Micro",
                "sle_hpc" => "Linux Enterprise High Performance Computing",
                _ => "Linux Enterprise Server",
            };
            match v.split_once('.') {
                Some((major, sp)) if sp != "0" => format!("SUSE:{product} {major} SP{sp}"),
                Some((major, _)) => format!("SUSE:{product} {major}"),
                None => format!("SUSE:{product} {v}"),
            }
        }),
        "opensuse-leap" => with("openSUSE:Leap ", version_id),
        "opensuse-tumbleweed" => "openSUSE:Tumbleweed".into(),
        // openEuler: VERSION="22.03 (LTS-SP1)" is OSV's `openEuler:22.03-LTS-SP1`.
        "openEuler" | "openeuler" => {
            let release = version.map(|v| {
                let v = v.trim();
                match v.split_once(" (") {
                    Some((number, label)) => {
                        format!("{number}-{}", label.trim_end_matches(')').trim())
                    }
                    None => v.to_string(),
                }
            });
            with("openEuler:", release.as_deref().or(version_id))
        }
        "photon" => with("Photon OS:", major_minor.as_deref()),
        "azurelinux" => with("Azure Linux:", major_minor.as_deref()),
        "mageia" => with("Mageia:", major),
        _ => String::new(),
    }
}

/// The ecosystem name given to rpm packages: the OSV ecosystem without its release when the
/// distro has one, else a readable name of the distro (`Fedora`, `Amazon Linux`).
pub(crate) fn rpm_ecosystem(distro: Option<&Distro>) -> String {
    let Some(distro) = distro else {
        return "RPM".into();
    };
    if let Some(base) = distro.ecosystem.split(':').next().filter(|b| !b.is_empty()) {
        return base.to_string();
    }
    match distro.id.as_str() {
        "centos" => "CentOS",
        "fedora" => "Fedora",
        "amzn" => "Amazon Linux",
        "anolis" => "Anolis OS",
        "alinux" => "Alibaba Cloud Linux",
        "kylin" => "Kylin",
        "uos" => "UOS",
        "ol" => "Oracle Linux",
        _ => "RPM",
    }
    .into()
}

/// The purl namespace of rpm packages (purl-spec's vendor names where it lists them).
pub(crate) fn rpm_namespace(distro: Option<&Distro>) -> &str {
    match distro.map(|d| d.id.as_str()) {
        Some("rhel") => "redhat",
        Some("amzn") => "amazon",
        Some("sles" | "sle_hpc" | "sles_sap" | "sle-micro") => "suse",
        Some("opensuse-leap" | "opensuse-tumbleweed") => "opensuse",
        Some("openEuler") => "openeuler",
        Some(id) => id,
        None => "",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn names_osv_ecosystems_of_common_distros() {
        let bookworm = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\n\
                        VERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\n";
        let d = parse_os_release(bookworm).unwrap();
        assert_eq!(
            (
                d.id.as_str(),
                d.version_id.as_deref(),
                d.codename.as_deref()
            ),
            ("debian", Some("12"), Some("bookworm"))
        );
        assert_eq!(d.ecosystem, "Debian:12");
        let jammy = "NAME=\"Ubuntu\"\nVERSION_ID=\"22.04\"\nID=ubuntu\nID_LIKE=debian\nVERSION_CODENAME=jammy\n";
        assert_eq!(parse_os_release(jammy).unwrap().ecosystem, "Ubuntu:22.04");
        let alpine = "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.20.3\n";
        assert_eq!(parse_os_release(alpine).unwrap().ecosystem, "Alpine:v3.20");
        let trixie = "ID=debian\nVERSION_CODENAME=trixie\n";
        assert_eq!(parse_os_release(trixie).unwrap().ecosystem, "Debian:13");
        assert_eq!(parse_os_release("ID='arch'\n").unwrap().ecosystem, "");
        assert_eq!(parse_os_release("NAME=x\n"), None);
        assert_eq!(unquote(r#""a \"b\" \$c""#), r#"a "b" $c"#);
    }

    #[test]
    fn names_osv_ecosystems_of_rpm_and_other_distros() {
        let cases = [
            (
                "ID=\"rhel\"\nVERSION_ID=\"9.4\"\n",
                "Red Hat:enterprise_linux:9",
                "Red Hat",
            ),
            (
                "ID=\"rocky\"\nVERSION_ID=\"8.9\"\n",
                "Rocky Linux:8",
                "Rocky Linux",
            ),
            (
                "ID=\"almalinux\"\nVERSION_ID=\"9.3\"\n",
                "AlmaLinux:9",
                "AlmaLinux",
            ),
            ("ID=\"centos\"\nVERSION_ID=\"7\"\n", "", "CentOS"),
            ("ID=fedora\nVERSION_ID=40\n", "", "Fedora"),
            ("ID=\"amzn\"\nVERSION_ID=\"2023\"\n", "", "Amazon Linux"),
            (
                "ID=\"sles\"\nVERSION_ID=\"15.5\"\n",
                "SUSE:Linux Enterprise Server 15 SP5",
                "SUSE",
            ),
            (
                "ID=\"opensuse-leap\"\nVERSION_ID=\"15.6\"\n",
                "openSUSE:Leap 15.6",
                "openSUSE",
            ),
            (
                "ID=\"opensuse-tumbleweed\"\nVERSION_ID=\"20240101\"\n",
                "openSUSE:Tumbleweed",
                "openSUSE",
            ),
            ("ID=wolfi\nVERSION_ID=20230201\n", "Wolfi", "Wolfi"),
            (
                "NAME=\"openEuler\"\nVERSION=\"22.03 (LTS-SP1)\"\nID=\"openEuler\"\nVERSION_ID=\"22.03\"\n",
                "openEuler:22.03-LTS-SP1",
                "openEuler",
            ),
            ("ID=\"anolis\"\nVERSION_ID=\"8.8\"\n", "", "Anolis OS"),
            (
                "ID=\"alinux\"\nVERSION_ID=\"3\"\n",
                "",
                "Alibaba Cloud Linux",
            ),
            ("ID=kylin\nVERSION_ID=\"V10\"\n", "", "Kylin"),
            ("ID=uos\nVERSION_ID=\"20\"\n", "", "UOS"),
            // gcr.io/distroless: Debian's base-files with PRETTY_NAME="Distroless".
            (
                "PRETTY_NAME=\"Distroless\"\nNAME=\"Debian GNU/Linux\"\nID=\"debian\"\nVERSION_ID=\"12\"\n",
                "Debian:12",
                "Debian",
            ),
        ];
        for (text, ecosystem, rpm) in cases {
            let distro = parse_os_release(text).unwrap();
            assert_eq!(distro.ecosystem, ecosystem, "{text}");
            assert_eq!(rpm_ecosystem(Some(&distro)), rpm, "{text}");
        }
    }
}
