//! Declared license strings to SPDX expressions.
//!
//! Ecosystems declare licenses in every spelling: SPDX expressions (npm, PEP 639, Alpine),
//! PyPI classifier names (`MIT License`), Debian DEP-5 short names (`GPL-2+`, `Expat`,
//! `BSD-3-clause`), or free text. The `spdx` crate parses and canonicalises expressions
//! (lax mode: `/` for OR, `+` on GPL, its list of imprecise names); this module adds the
//! DEP-5 and classifier vocabularies in front of it.

use spdx::{Expression, ParseMode};

/// A declared license and, when it could be understood, its SPDX expression.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NormalizedLicense {
    /// As written.
    pub declared: String,
    /// The canonical SPDX expression (`GPL-2.0-or-later OR MIT`), `None` when not understood.
    pub spdx: Option<String>,
}

/// Names seen in package metadata that are no SPDX identifier, to the expression they mean.
/// Classifier names are PyPI's (`License :: OSI Approved :: <name>`); ambiguous names
/// (`BSD License`, `Apache Software License`) map to the version the classifier is used for
/// overwhelmingly, as Trivy and ScanCode do.
const ALIASES: &[(&str, &str)] = &[
    ("mit license", "MIT"),
    ("mit", "MIT"),
    ("expat", "MIT"),
    ("the mit license", "MIT"),
    ("bsd license", "BSD-3-Clause"),
    ("bsd", "BSD-3-Clause"),
    ("new bsd license", "BSD-3-Clause"),
    ("simplified bsd license", "BSD-2-Clause"),
    ("apache software license", "Apache-2.0"),
    ("apache license 2.0", "Apache-2.0"),
    ("apache license, version 2.0", "Apache-2.0"),
    ("apache 2.0", "Apache-2.0"),
    ("apache", "Apache-2.0"),
    ("isc license (iscl)", "ISC"),
    ("isc license", "ISC"),
    ("python software foundation license", "PSF-2.0"),
    ("psf", "PSF-2.0"),
    ("the unlicense (unlicense)", "Unlicense"),
    ("public domain", "LicenseRef-public-domain"),
    ("public-domain", "LicenseRef-public-domain"),
    ("gnu general public license v2 (gplv2)", "GPL-2.0-only"),
    (
        "gnu general public license v2 or later (gplv2+)",
        "GPL-2.0-or-later",
    ),
    ("gnu general public license v3 (gplv3)", "GPL-3.0-only"),
    (
        "gnu general public license v3 or later (gplv3+)",
        "GPL-3.0-or-later",
    ),
    ("gnu general public license (gpl)", "GPL-2.0-or-later"),
    (
        "gnu lesser general public license v2 (lgplv2)",
        "LGPL-2.0-only",
    ),
    (
        "gnu lesser general public license v2 or later (lgplv2+)",
        "LGPL-2.0-or-later",
    ),
    (
        "gnu lesser general public license v3 (lgplv3)",
        "LGPL-3.0-only",
    ),
    (
        "gnu lesser general public license v3 or later (lgplv3+)",
        "LGPL-3.0-or-later",
    ),
    (
        "gnu library or lesser general public license (lgpl)",
        "LGPL-2.0-or-later",
    ),
    ("gnu affero general public license v3", "AGPL-3.0-only"),
    (
        "gnu affero general public license v3 or later (agplv3+)",
        "AGPL-3.0-or-later",
    ),
    ("mozilla public license 2.0 (mpl 2.0)", "MPL-2.0"),
    ("mozilla public license 1.1 (mpl 1.1)", "MPL-1.1"),
    ("eclipse public license 2.0 (epl-2.0)", "EPL-2.0"),
    ("eclipse public license 1.0 (epl-1.0)", "EPL-1.0"),
    ("zope public license", "ZPL-2.1"),
    ("boost software license 1.0 (bsl-1.0)", "BSL-1.0"),
    (
        "cc0 1.0 universal (cc0 1.0) public domain dedication",
        "CC0-1.0",
    ),
    ("historical permission notice and disclaimer (hpnd)", "HPND"),
    ("perl", "Artistic-1.0-Perl OR GPL-1.0-or-later"),
    ("artistic", "Artistic-1.0"),
    ("python", "PSF-2.0"),
    ("zope", "ZPL-2.1"),
    ("cc0", "CC0-1.0"),
];

/// Normalises one declared license.
pub fn normalize(declared: &str) -> NormalizedLicense {
    NormalizedLicense {
        declared: declared.to_string(),
        spdx: to_spdx(declared),
    }
}

/// The canonical SPDX expression for `declared`, if it can be understood.
pub fn to_spdx(declared: &str) -> Option<String> {
    let text = declared.trim();
    if text.is_empty()
        || [
            "unknown",
            "noassertion",
            "none",
            "other",
            "other/proprietary license",
        ]
        .contains(&text.to_ascii_lowercase().as_str())
    {
        return None;
    }
    if let Some(expr) = strict(text) {
        return Some(expr);
    }
    let lower = text.to_ascii_lowercase();
    if let Some((_, spdx)) = ALIASES.iter().find(|(alias, _)| *alias == lower) {
        return strict(spdx);
    }
    if let Ok(Some(canonical)) = Expression::canonicalize(text)
        && let Some(expr) = strict(&canonical)
    {
        return Some(expr);
    }
    if let Some(expr) = from_dep5(text) {
        return Some(expr);
    }
    // A whole string that is one of the crate's imprecise names (`simplified bsd license`).
    if let Some((id, len)) = spdx::imprecise_license_id(text)
        && len == text.len()
    {
        return Some(id.name.to_string());
    }
    None
}

/// Parses `text` as a strict SPDX expression (after case-fixing identifiers), returning it
/// in canonical spelling.
fn strict(text: &str) -> Option<String> {
    let expr = Expression::parse_mode(text, ParseMode::STRICT)
        .or_else(|_| {
            let mode = ParseMode {
                allow_unknown: false,
                ..ParseMode::LAX
            };
            Expression::parse_mode(text, mode)
        })
        .ok()?;
    Some(canonical(&expr))
}

/// Rebuilds an expression from its postfix form with canonical identifiers and minimal
/// parentheses.
fn canonical(expr: &Expression) -> String {
    use spdx::expression::{ExprNode, Operator};
    // (text, precedence: 2 = single term, 1 = AND, 0 = OR)
    let mut stack: Vec<(String, u8)> = Vec::new();
    for node in expr.iter() {
        match node {
            ExprNode::Req(req) => stack.push((req_text(&req.req), 2)),
            ExprNode::Op(op) => {
                let (Some(b), Some(a)) = (stack.pop(), stack.pop()) else {
                    return expr.to_string();
                };
                let (word, prec) = match op {
                    Operator::And => ("AND", 1),
                    Operator::Or => ("OR", 0),
                };
                let wrap = |(t, p): (String, u8)| if p < prec { format!("({t})") } else { t };
                stack.push((format!("{} {word} {}", wrap(a), wrap(b)), prec));
            }
        }
    }
    stack.pop().map_or_else(|| expr.to_string(), |(t, _)| t)
}

fn req_text(req: &spdx::LicenseReq) -> String {
    use spdx::LicenseItem;
    let mut out = match &req.license {
        LicenseItem::Spdx { id, or_later } => {
            let name = id.name;
            // `GPL-2.0+` is deprecated spelling: use the `-or-later` identifier.
            if *or_later {
                let base = name.trim_end_matches("-only");
                match spdx::license_id(&format!("{base}-or-later")) {
                    Some(later) => later.name.to_string(),
                    None => format!("{name}+"),
                }
            } else if let Some(only) = gnu_only(name) {
                only
            } else {
                name.to_string()
            }
        }
        LicenseItem::Other(r) => r.to_string(),
    };
    if let Some(addition) = &req.addition {
        out.push_str(" WITH ");
        out.push_str(&addition.to_string());
    }
    out
}

/// The deprecated bare GNU ids (`GPL-2.0`) mean `-only`.
fn gnu_only(name: &str) -> Option<String> {
    let gnu = ["GPL-", "LGPL-", "AGPL-", "GFDL-"];
    if gnu.iter().any(|p| name.starts_with(p))
        && !name.ends_with("-only")
        && !name.ends_with("-or-later")
        && !name.contains("-invariants")
        && !name.contains("-no-")
    {
        let only = format!("{name}-only");
        return spdx::license_id(&only).map(|id| id.name.to_string());
    }
    None
}

/// A DEP-5 `License:` value (`GPL-2+ or Artistic`, `LGPL-2.1+ with OpenSSL exception`)
/// as an SPDX expression.
fn from_dep5(text: &str) -> Option<String> {
    let mut terms: Vec<String> = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    let mut in_with = false;
    let flush = |current: &mut Vec<&str>, terms: &mut Vec<String>| -> Option<()> {
        if current.is_empty() {
            return None;
        }
        let term = dep5_term(&current.join(" "))?;
        terms.push(term);
        current.clear();
        Some(())
    };
    for word in text.split_whitespace() {
        let word = word.trim_end_matches(',');
        match word.to_ascii_lowercase().as_str() {
            // DEP-5 `and/or`: the user may pick either, as with `or`.
            "or" | "|" | "and/or" => {
                flush(&mut current, &mut terms)?;
                terms.push("OR".into());
                in_with = false;
            }
            "and" | "&" => {
                flush(&mut current, &mut terms)?;
                terms.push("AND".into());
                in_with = false;
            }
            // An exception only grants more than the license; one without an SPDX id is
            // dropped, which errs on the restrictive side.
            "with" => in_with = true,
            _ if in_with => {}
            _ => current.push(word),
        }
    }
    flush(&mut current, &mut terms)?;
    strict(&terms.join(" "))
}

/// One DEP-5 short name (`GPL-2+`, `BSD-3-clause`, `Expat`) as an SPDX identifier.
fn dep5_term(term: &str) -> Option<String> {
    let lower = term.to_ascii_lowercase();
    if let Some((_, spdx)) = ALIASES.iter().find(|(alias, _)| *alias == lower) {
        return Some(if spdx.contains(' ') {
            format!("({spdx})")
        } else {
            spdx.to_string()
        });
    }
    // Debian's local names for public-domain dedications (`public-domain-md5`, `PD`,
    // `PD-debian`): no license obligations.
    if lower.starts_with("public-domain") || lower == "pd" || lower.starts_with("pd-") {
        return Some("LicenseRef-public-domain".into());
    }
    let (base, or_later) = match term.strip_suffix('+') {
        Some(b) => (b, true),
        None => (term, false),
    };
    let gnu = ["GPL", "LGPL", "AGPL", "GFDL"];
    let (name, version) = match base.rsplit_once('-') {
        Some((n, v)) if v.chars().all(|c| c.is_ascii_digit() || c == '.') && !v.is_empty() => {
            (n, Some(v))
        }
        _ => (base, None),
    };
    if let Some(g) = gnu.iter().find(|g| g.eq_ignore_ascii_case(name)) {
        let version = match version {
            Some(v) if v.contains('.') => v.to_string(),
            Some(v) => format!("{v}.0"),
            // DEP-5: a bare `GPL` means any version.
            None => "1.0".into(),
        };
        let suffix = if or_later || base == name {
            "or-later"
        } else {
            "only"
        };
        return spdx::license_id(&format!("{g}-{version}-{suffix}")).map(|id| id.name.to_string());
    }
    // Case-insensitive SPDX id (`BSD-3-clause`, `Apache-2.0`, `zlib`).
    let wanted = if or_later { base } else { term };
    let found = spdx::identifiers::LICENSES
        .iter()
        .find(|l| l.name.eq_ignore_ascii_case(wanted))?;
    let name = found.name;
    Some(if or_later {
        spdx::license_id(&format!("{name}-or-later"))
            .map_or_else(|| format!("{name}+"), |id| id.name.to_string())
    } else {
        name.to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spdx(s: &str) -> String {
        to_spdx(s).unwrap_or_else(|| "?".into())
    }

    #[test]
    fn spdx_expressions_pass_through_canonicalised() {
        assert_eq!(spdx("MIT"), "MIT");
        assert_eq!(spdx("MIT OR Apache-2.0"), "MIT OR Apache-2.0");
        assert_eq!(
            spdx("(MIT OR Apache-2.0) AND BSD-3-Clause"),
            "(MIT OR Apache-2.0) AND BSD-3-Clause"
        );
        assert_eq!(spdx("MIT/Apache-2.0"), "MIT OR Apache-2.0");
        assert_eq!(spdx("GPL-2.0+"), "GPL-2.0-or-later");
        assert_eq!(spdx("GPL-2.0"), "GPL-2.0-only");
        assert_eq!(
            spdx("GPL-2.0-or-later WITH Classpath-exception-2.0"),
            "GPL-2.0-or-later WITH Classpath-exception-2.0"
        );
    }

    #[test]
    fn classifier_and_dep5_names_map_to_spdx() {
        assert_eq!(spdx("MIT License"), "MIT");
        assert_eq!(spdx("BSD License"), "BSD-3-Clause");
        assert_eq!(spdx("Expat"), "MIT");
        assert_eq!(spdx("GPL-2+"), "GPL-2.0-or-later");
        assert_eq!(spdx("GPL-3"), "GPL-3.0-only");
        assert_eq!(spdx("LGPL-2.1+"), "LGPL-2.1-or-later");
        assert_eq!(spdx("BSD-3-clause"), "BSD-3-Clause");
        assert_eq!(
            spdx("GPL-2+ or Artistic"),
            "GPL-2.0-or-later OR Artistic-1.0"
        );
        assert_eq!(spdx("GPL-2+ with OpenSSL exception"), "GPL-2.0-or-later");
        assert_eq!(spdx("public-domain"), "LicenseRef-public-domain");
        assert_eq!(spdx("public-domain-md5"), "LicenseRef-public-domain");
        assert_eq!(
            spdx("BSD-3-clause and/or GPL-3+"),
            "BSD-3-Clause OR GPL-3.0-or-later"
        );
        assert_eq!(spdx("Perl"), "Artistic-1.0-Perl OR GPL-1.0-or-later");
    }

    #[test]
    fn unknown_and_empty_are_none() {
        assert_eq!(to_spdx(""), None);
        assert_eq!(to_spdx("UNKNOWN"), None);
        assert_eq!(to_spdx("Proprietary, all rights reserved by ACME"), None);
    }
}
