//! The distro from `os-release` (freedesktop.org format: `KEY=value`, shell-style quoting),
//! and the OSV ecosystem its OS packages are published under.

use assay_core::Distro;

/// Where `os-release` lives, in order of precedence (`/etc/os-release` is usually a link to
/// the second; links are not followed, so both are read).
pub const OS_RELEASE_PATHS: &[&str] = &["etc/os-release", "usr/lib/os-release"];

/// Parses an `os-release` file; `None` without an `ID`.
pub fn parse_os_release(text: &str) -> Option<Distro> {
    let (mut id, mut version_id, mut codename) = (None, None, None);
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
            _ => continue,
        };
        if !value.is_empty() {
            *slot = Some(value);
        }
    }
    let id = id?;
    let ecosystem = ecosystem(&id, version_id.as_deref(), codename.as_deref());
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

/// The OSV ecosystem (`Debian:12`, `Ubuntu:22.04`, `Alpine:v3.20`), or `""`.
fn ecosystem(id: &str, version_id: Option<&str>, codename: Option<&str>) -> String {
    let major = version_id.and_then(|v| v.split('.').next());
    let major_minor = version_id.map(|v| v.split('.').take(2).collect::<Vec<_>>().join("."));
    match id {
        "debian" => {
            let release = major.or(match codename {
                Some("buster") => Some("10"),
                Some("bullseye") => Some("11"),
                Some("bookworm") => Some("12"),
                Some("trixie") => Some("13"),
                _ => None,
            });
            release.map_or_else(String::new, |r| format!("Debian:{r}"))
        }
        "ubuntu" => version_id.map_or_else(String::new, |v| format!("Ubuntu:{v}")),
        "alpine" => major_minor.map_or_else(String::new, |v| format!("Alpine:v{v}")),
        "wolfi" => "Wolfi".into(),
        "chainguard" => "Chainguard".into(),
        "rocky" => major.map_or_else(String::new, |v| format!("Rocky Linux:{v}")),
        "almalinux" => major.map_or_else(String::new, |v| format!("AlmaLinux:{v}")),
        _ => String::new(),
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
}
