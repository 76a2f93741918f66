//! Declared licenses sorted into what each format can carry, using Embark's `spdx` crate in
//! strict mode (only real SPDX ids and operators, no guessing of `GPL2` or `MIT/Apache`).
//!
//! Mapping ecosystem spellings to SPDX (`GPL-2+` to `GPL-2.0-or-later`) happens when the
//! packages are catalogued (`assay_analyze`'s `license::to_spdx`); what reaches the writers
//! and still is not SPDX is kept as text: a CycloneDX license `name`, an SPDX `LicenseRef-`
//! defined in the document's `hasExtractedLicensingInfos`.

use std::collections::{BTreeMap, BTreeSet};

/// What a declared license string is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum License<'a> {
    /// Exactly one SPDX license id, as the list spells it (`MIT`, `GPL-2.0-only`).
    Id(&'a str),
    /// A valid SPDX expression that is not a bare id (`MIT OR Apache-2.0`).
    Expression(&'a str),
    /// Anything else (`GPL-2+`, `BSD`, `public-domain`): kept as free text.
    Name(&'a str),
}

/// Classifies one declared license.
pub(super) fn classify(value: &str) -> License<'_> {
    let value = value.trim();
    if spdx::license_id(value).is_some_and(|id| id.name == value) {
        License::Id(value)
    } else if spdx::Expression::parse(value).is_ok() {
        License::Expression(value)
    } else {
        License::Name(value)
    }
}

/// The SPDX expression for all of `licenses`: each must be valid, several are joined with
/// `AND` (a package under several declared licenses must honour all of them). `None` when
/// there are none or any is not SPDX.
pub(super) fn spdx_expression(licenses: &[String]) -> Option<String> {
    let mut no_refs = None;
    expression(licenses, &mut no_refs)
}

/// [`spdx_expression`], with each license that is not SPDX written as the `LicenseRef-` that
/// `refs` assigns it. `None` only when there is no license.
pub(super) fn spdx_expression_with_refs(
    licenses: &[String],
    refs: &mut LicenseRefs,
) -> Option<String> {
    expression(licenses, &mut Some(refs))
}

fn expression(licenses: &[String], refs: &mut Option<&mut LicenseRefs>) -> Option<String> {
    let licenses: Vec<&String> = licenses.iter().filter(|l| !l.trim().is_empty()).collect();
    let several = licenses.len() > 1;
    let parts = licenses
        .iter()
        .map(|l| match classify(l) {
            License::Id(id) => Some(id.to_string()),
            License::Expression(e) if several => Some(format!("({e})")),
            License::Expression(e) => Some(e.to_string()),
            License::Name(name) => refs.as_mut().map(|r| r.id_for(name)),
        })
        .collect::<Option<Vec<_>>>()?;
    (!parts.is_empty()).then(|| parts.join(" AND "))
}

/// The `LicenseRef-` ids of one SPDX document: one per declared text, readable (the text
/// with characters SPDX ids cannot hold replaced) and unique (a counter when two texts
/// would give the same id). Assign in a stable order for stable ids.
#[derive(Debug, Default)]
pub(super) struct LicenseRefs {
    by_text: BTreeMap<String, String>,
    used: BTreeSet<String>,
}

impl LicenseRefs {
    /// The id for `text`, assigned on first use.
    pub(super) fn id_for(&mut self, text: &str) -> String {
        if let Some(id) = self.by_text.get(text) {
            return id.clone();
        }
        let mut stem = String::new();
        for c in text.replace('+', "-plus").chars() {
            let c = if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '-'
            };
            if !(c == '-' && (stem.is_empty() || stem.ends_with('-'))) {
                stem.push(c);
            }
            if stem.len() >= 64 {
                break;
            }
        }
        let stem = stem.trim_end_matches('-');
        let base = format!(
            "LicenseRef-{}",
            if stem.is_empty() { "unnamed" } else { stem }
        );
        let mut id = base.clone();
        let mut n = 1;
        while !self.used.insert(id.clone()) {
            n += 1;
            id = format!("{base}-{n}");
        }
        self.by_text.insert(text.to_string(), id.clone());
        id
    }

    /// (id, declared text) of every id assigned, sorted by id.
    pub(super) fn defined(&self) -> Vec<(&str, &str)> {
        let mut out: Vec<(&str, &str)> = self
            .by_text
            .iter()
            .map(|(text, id)| (id.as_str(), text.as_str()))
            .collect();
        out.sort_unstable();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_ids_expressions_and_names() {
        assert_eq!(classify("MIT"), License::Id("MIT"));
        assert_eq!(
            classify("MIT OR Apache-2.0"),
            License::Expression("MIT OR Apache-2.0")
        );
        assert_eq!(
            classify("GPL-2.0-or-later WITH Classpath-exception-2.0"),
            License::Expression("GPL-2.0-or-later WITH Classpath-exception-2.0")
        );
        // Strict mode rejects the deprecated GNU `+` form; it is kept as text.
        assert_eq!(classify("GPL-2.0+"), License::Name("GPL-2.0+"));
        assert_eq!(classify("GPL-2+"), License::Name("GPL-2+"));
    }

    #[test]
    fn joins_several_valid_licenses_with_and() {
        let licenses = vec!["MIT".to_string(), "Apache-2.0 OR MIT".to_string()];
        assert_eq!(
            spdx_expression(&licenses).as_deref(),
            Some("MIT AND (Apache-2.0 OR MIT)")
        );
        assert_eq!(spdx_expression(&["BSD".to_string()]), None);
        assert_eq!(spdx_expression(&[]), None);
    }

    #[test]
    fn texts_that_are_not_spdx_become_stable_unique_license_refs() {
        let mut refs = LicenseRefs::default();
        let licenses = vec![
            "LGPL-2.1-or-later".to_string(),
            "GPL-2+".to_string(),
            "public domain".to_string(),
        ];
        assert_eq!(
            spdx_expression_with_refs(&licenses, &mut refs).as_deref(),
            Some("LGPL-2.1-or-later AND LicenseRef-GPL-2-plus AND LicenseRef-public-domain")
        );
        // Same text, same id; another text that sanitises alike gets a counter.
        assert_eq!(refs.id_for("public domain"), "LicenseRef-public-domain");
        assert_eq!(refs.id_for("public/domain"), "LicenseRef-public-domain-2");
        assert_eq!(refs.id_for("***"), "LicenseRef-unnamed");
        assert_eq!(
            refs.defined(),
            [
                ("LicenseRef-GPL-2-plus", "GPL-2+"),
                ("LicenseRef-public-domain", "public domain"),
                ("LicenseRef-public-domain-2", "public/domain"),
                ("LicenseRef-unnamed", "***"),
            ]
        );
        // Every id is a valid SPDX expression term.
        for (id, _) in refs.defined() {
            assert!(spdx::Expression::parse(id).is_ok(), "{id}");
        }
        assert_eq!(spdx_expression_with_refs(&[], &mut refs), None);
    }
}
