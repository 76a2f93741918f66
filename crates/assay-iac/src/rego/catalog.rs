//! Which packages and rules the loaded policies declare, and where.
//!
//! Conftest finds the rules to query by name (`deny`, `warn_latest`, `test_*`), so assay needs
//! the list of rule names per package without evaluating anything. regorus has no stable API
//! for that, so this module reads the parsed modules (`regorus::unstable`); it is the only
//! place that depends on regorus's AST and would be the only one to adapt if it changes.

use std::collections::BTreeMap;

use regorus::unstable::{Expr, Rule, RuleHead};

/// What a rule is for, from its name (Conftest's conventions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum RuleKind {
    /// `deny`, `deny_*`: a failure.
    Deny,
    /// `violation`, `violation_*`: a failure.
    Violation,
    /// `warn`, `warn_*`: a warning.
    Warn,
    /// `test_*`: a unit test of the policies.
    Test,
}

impl RuleKind {
    /// The kind of rule `name`, or `None` for helper rules.
    pub fn of(name: &str) -> Option<RuleKind> {
        if name.starts_with("test_") && name.len() > "test_".len() {
            return Some(RuleKind::Test);
        }
        for (base, kind) in [
            ("deny", RuleKind::Deny),
            ("violation", RuleKind::Violation),
            ("warn", RuleKind::Warn),
        ] {
            let Some(rest) = name.strip_prefix(base) else {
                continue;
            };
            // Conftest: ^(deny|violation|warn)(_[a-zA-Z0-9]+)*$
            if rest.is_empty()
                || (rest.starts_with('_')
                    && rest[1..].split('_').all(|part| {
                        !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric())
                    }))
            {
                return Some(kind);
            }
        }
        None
    }
}

/// A rule as declared: its package, name and first declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RuleDecl {
    /// Dotted package name (`main`, `kubernetes.admission`).
    pub package: String,
    /// The rule's name (`deny_latest`).
    pub name: String,
    /// What the rule is for.
    pub kind: RuleKind,
    /// File of the first declaration.
    pub file: String,
    /// Line of the first declaration.
    pub line: u32,
}

impl RuleDecl {
    /// The path to evaluate: `data.main.deny`.
    pub fn path(&self) -> String {
        format!("{}.{}", package_path(&self.package), self.name)
    }
}

/// The packages and the decision and test rules of a set of loaded modules.
#[derive(Debug, Clone, Default)]
pub(crate) struct Catalog {
    /// Dotted package name -> files declaring it, in load order.
    pub packages: BTreeMap<String, Vec<String>>,
    /// Decision and test rules, sorted by package then name.
    pub rules: Vec<RuleDecl>,
}

impl Catalog {
    /// Reads the packages and rules of every module loaded into `engine`.
    pub fn of(engine: &mut regorus::Engine) -> Result<Catalog, String> {
        let packages = engine
            .get_policy_package_components()
            .map_err(|e| format!("{e:#}"))?;
        let modules = engine.get_modules();
        let mut catalog = Catalog::default();
        let mut seen: BTreeMap<(String, String), RuleDecl> = BTreeMap::new();
        for (module, package) in modules.iter().zip(packages) {
            let name = package.components.join(".");
            catalog
                .packages
                .entry(name.clone())
                .or_default()
                .push(package.source_file.clone());
            for rule in &module.policy {
                let (refr, line) = match rule.as_ref() {
                    Rule::Spec { head, span, .. } => match head {
                        RuleHead::Compr { refr, .. } | RuleHead::Set { refr, .. } => {
                            (refr, span.line)
                        }
                        RuleHead::Func { .. } => continue,
                    },
                    Rule::Default {
                        refr, args, span, ..
                    } if args.is_empty() => (refr, span.line),
                    Rule::Default { .. } => continue,
                };
                let Some(rule_name) = base_name(refr) else {
                    continue;
                };
                let Some(kind) = RuleKind::of(rule_name) else {
                    continue;
                };
                seen.entry((name.clone(), rule_name.to_string()))
                    .or_insert_with(|| RuleDecl {
                        package: name.clone(),
                        name: rule_name.to_string(),
                        kind,
                        file: package.source_file.clone(),
                        line,
                    });
            }
        }
        catalog.rules = seen.into_values().collect();
        Ok(catalog)
    }

    /// The dotted package name of the module loaded from `file`.
    pub fn package_of(&self, file: &str) -> Option<&str> {
        self.packages
            .iter()
            .find(|(_, files)| files.iter().any(|f| f == file))
            .map(|(name, _)| name.as_str())
    }
}

/// The first component of a rule head (`deny` in `deny[msg]`, `deny contains msg`).
fn base_name(mut expr: &Expr) -> Option<&str> {
    loop {
        match expr {
            Expr::RefDot { refr, .. } | Expr::RefBrack { refr, .. } => expr = refr.as_ref(),
            Expr::Var { span, .. } => return Some(span.text()),
            _ => return None,
        }
    }
}

/// `data.main`, with bracket notation for components that are not identifiers.
pub(crate) fn package_path(package: &str) -> String {
    let mut path = String::from("data");
    for part in package.split('.') {
        let ident = part
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if ident {
            path.push('.');
            path.push_str(part);
        } else {
            path.push_str(&format!("[{}]", serde_json::Value::from(part)));
        }
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_decision_rules_as_conftest_does() {
        assert_eq!(RuleKind::of("deny"), Some(RuleKind::Deny));
        assert_eq!(RuleKind::of("deny_latest_tag"), Some(RuleKind::Deny));
        assert_eq!(RuleKind::of("violation_x"), Some(RuleKind::Violation));
        assert_eq!(RuleKind::of("warn"), Some(RuleKind::Warn));
        assert_eq!(RuleKind::of("test_denies_root"), Some(RuleKind::Test));
        assert_eq!(RuleKind::of("denylist"), None);
        assert_eq!(RuleKind::of("deny_"), None);
        assert_eq!(RuleKind::of("warning"), None);
        assert_eq!(RuleKind::of("test_"), None);
    }

    #[test]
    fn quotes_package_components_that_are_not_identifiers() {
        assert_eq!(package_path("main"), "data.main");
        assert_eq!(package_path("a.b-c"), "data.a[\"b-c\"]");
    }
}
