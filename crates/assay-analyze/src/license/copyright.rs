//! Debian `/usr/share/doc/<package>/copyright` files: the only place a dpkg package's
//! license is recorded (the status database has none).
//!
//! Machine-readable files (DEP-5, `Format: https://www.debian.org/doc/packaging-manuals/
//! copyright-format/1.0/`) list `License:` short names per `Files:` paragraph; the package
//! as a whole is under all of them (AND). Free-form files almost always point at
//! `/usr/share/common-licenses/<NAME>` (Debian policy 12.5 requires it for the licenses kept
//! there), which names the license exactly; "any later version" next to a GNU license makes
//! it `-or-later`.

/// The package a copyright file belongs to: `usr/share/doc/<package>/copyright`.
pub(crate) fn package_of(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("usr/share/doc/")?;
    let (package, file) = rest.split_once('/')?;
    (file == "copyright" && !package.is_empty()).then_some(package)
}

/// The declared licenses of a copyright file, as written (DEP-5 short names, the
/// common-licenses names found, or SPDX ids identified from license texts); deduplicated,
/// in order of appearance.
pub(crate) fn licenses(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |s: String| {
        if !s.is_empty() && !out.contains(&s) {
            out.push(s);
        }
    };
    if is_dep5(text) {
        for name in dep5(text) {
            push(name);
        }
        return out;
    }
    let later = text.contains("any later version");
    for (at, _) in text.match_indices("/usr/share/common-licenses/") {
        let name: String = text[at + "/usr/share/common-licenses/".len()..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '.')
            .collect();
        let name = name.trim_end_matches('.');
        if name.is_empty() {
            continue;
        }
        let gnu = ["GPL", "LGPL", "GFDL"].iter().any(|g| name.starts_with(g));
        let declared = match (gnu, later, name.contains('-')) {
            (true, true, _) => format!("{name}+"),
            // The bare `GPL` file is the current version's text.
            (true, false, false) => format!("{name}-3"),
            _ => name.to_string(),
        };
        // `BSD` in common-licenses is the 3-clause text.
        push(if declared == "BSD" {
            "BSD-3-Clause".into()
        } else {
            declared
        });
    }
    if out.is_empty()
        && let Some(id) = super::detect::identify_within(text)
    {
        out.push(id);
    }
    out
}

/// The `License:` names a DEP-5 file applies (header and `Files:` paragraphs). A name that
/// is no SPDX id (`Kazlib`, `BSD-variant`) is replaced by the SPDX id of the text the file
/// gives for it in a stand-alone `License:` paragraph, when that text is recognised.
fn dep5(text: &str) -> Vec<String> {
    let mut used: Vec<String> = Vec::new();
    let mut texts: Vec<(String, String)> = Vec::new();
    for (index, paragraph) in paragraphs(text).iter().enumerate() {
        let Some((name, body)) = license_field(paragraph) else {
            continue;
        };
        let applies = index == 0 || paragraph.iter().any(|l| l.starts_with("Files:"));
        if applies {
            used.push(name.clone());
        }
        if !body.trim().is_empty() {
            texts.push((name.to_ascii_lowercase(), body));
        }
    }
    used.into_iter()
        .map(|name| {
            if super::normalize::to_spdx(&name).is_some() {
                return name;
            }
            let lower = name.to_ascii_lowercase();
            texts
                .iter()
                .find(|(n, _)| *n == lower)
                .and_then(|(_, body)| super::detect::identify(body))
                .unwrap_or(name)
        })
        .collect()
}

/// Paragraphs: runs of non-blank lines.
fn paragraphs(text: &str) -> Vec<Vec<&str>> {
    let mut out = vec![Vec::new()];
    for line in text.lines() {
        if line.trim().is_empty() {
            if out.last().is_some_and(|p| !p.is_empty()) {
                out.push(Vec::new());
            }
        } else if let Some(last) = out.last_mut() {
            last.push(line);
        }
    }
    out.retain(|p| !p.is_empty());
    out
}

/// A paragraph's `License:` field: the name on its first line and the text of its
/// continuation lines (` .` stands for an empty line).
fn license_field(paragraph: &[&str]) -> Option<(String, String)> {
    let start = paragraph.iter().position(|l| l.starts_with("License:"))?;
    let name = paragraph[start]["License:".len()..].trim().to_string();
    let mut body = String::new();
    for line in &paragraph[start + 1..] {
        if !line.starts_with([' ', '\t']) {
            break;
        }
        let line = line.trim();
        if line != "." {
            body.push_str(line);
        }
        body.push('\n');
    }
    Some((name, body))
}

fn is_dep5(text: &str) -> bool {
    text.lines()
        .take(5)
        .any(|l| l.starts_with("Format:") && (l.contains("copyright-format") || l.contains("dep5")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spdx_of(text: &str) -> Vec<Option<String>> {
        licenses(text)
            .iter()
            .map(|l| super::super::normalize::to_spdx(l))
            .collect()
    }

    #[test]
    fn package_from_path() {
        assert_eq!(package_of("usr/share/doc/bash/copyright"), Some("bash"));
        assert_eq!(package_of("usr/share/doc/bash/changelog.gz"), None);
        assert_eq!(package_of("usr/share/doc/copyright"), None);
    }

    #[test]
    fn dep5_license_fields() {
        let text = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\
                    Upstream-Name: zlib\n\nFiles: *\nCopyright: 1995 Jean-loup Gailly\n\
                    License: Zlib\n\nFiles: debian/*\nLicense: GPL-2+\n Long text of the\n \
                    license.\n\nLicense: Zlib\n text\n";
        assert_eq!(licenses(text), ["Zlib", "GPL-2+"]);
        assert_eq!(
            spdx_of(text),
            [
                Some("Zlib".to_string()),
                Some("GPL-2.0-or-later".to_string())
            ]
        );
    }

    #[test]
    fn free_form_common_licenses_references() {
        let text = "This package is free software; you can redistribute it under the terms \
                    of the GNU General Public License as published by the FSF; either version \
                    2 of the License, or (at your option) any later version.\n\nOn Debian \
                    systems, see /usr/share/common-licenses/GPL-2.\n";
        assert_eq!(licenses(text), ["GPL-2+"]);
        assert_eq!(spdx_of(text), [Some("GPL-2.0-or-later".to_string())]);
        let bsd = "See /usr/share/common-licenses/BSD and /usr/share/common-licenses/Apache-2.0";
        assert_eq!(licenses(bsd), ["BSD-3-Clause", "Apache-2.0"]);
        assert!(licenses("All rights reserved.").is_empty());
    }

    #[test]
    fn dep5_local_names_are_identified_from_their_text() {
        let mit = " Permission is hereby granted, free of charge, to any person obtaining a copy\n of this software and associated documentation files (the \"Software\"), to deal\n in the Software without restriction, including without limitation the rights\n to use, copy, modify, merge, publish, distribute, sublicense, and/or sell\n copies of the Software, and to permit persons to whom the Software is\n furnished to do so, subject to the following conditions:\n .\n The above copyright notice and this permission notice shall be included in\n all copies or substantial portions of the Software.\n .\n THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR\n IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,\n FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE\n AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER\n LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,\n OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN\n THE SOFTWARE.\n";
        let text = format!(
            "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n\
             Files: *\nCopyright: 2001 Someone\nLicense: MIT-like\n\n\
             Files: lib/*\nLicense: Weird-Local\n\nLicense: MIT-like\n{mit}\n\
             License: Weird-Local\n Do what you like but be nice to the author and never sue anyone, ok?\n"
        );
        assert_eq!(licenses(&text), ["MIT", "Weird-Local"]);
    }
}
