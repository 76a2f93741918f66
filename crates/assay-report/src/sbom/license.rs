//! Declared licenses sorted into what each format can carry, using Embark's `spdx` crate in
//! strict mode (only real SPDX ids and operators, no guessing of `GPL2` or `MIT/Apache`).

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
    let parts = licenses
        .iter()
        .map(|l| match classify(l) {
            License::Id(id) => Some(id.to_string()),
            License::Expression(e) if licenses.len() > 1 => Some(format!("({e})")),
            License::Expression(e) => Some(e.to_string()),
            License::Name(_) => None,
        })
        .collect::<Option<Vec<_>>>()?;
    (!parts.is_empty()).then(|| parts.join(" AND "))
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
}
