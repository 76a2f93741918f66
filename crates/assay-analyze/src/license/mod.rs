//! Licenses: declared licenses normalised to SPDX expressions, classified into categories,
//! and checked against the `licenses:` policy of `assay.yaml` (rules `ASSAY-LIC-NNN`).
//!
//! Where licenses come from: the package metadata catalogers already read (Alpine's
//! database, Python `METADATA`, npm `package.json`) and, for Debian packages whose database
//! records none, `/usr/share/doc/<package>/copyright` ([`copyright`]).
//!
//! An expression is judged as SPDX means it: `A OR B` is acceptable when either is (the
//! user may pick), `A AND B` only when both are. Each license term gets a verdict from the
//! policy (explicit deny, explicit allow, then its category's action, then "not on the
//! allow list"); the expression's verdict combines those, and the worst verdict decides the
//! rule of the finding. See docs/licenses.md.

mod copyright;
mod detect;
mod normalize;

use std::collections::BTreeMap;

use assay_core::{FindingKind, Package, Rule, RuleTarget, Severity};
use serde::{Deserialize, Serialize};

use crate::content::{ContentFile, Hit, Scanner, Scope};
use crate::{Cataloger, File};

pub use normalize::{NormalizedLicense, normalize, to_spdx};

/// How restrictive a license is, from "do anything" to "share your network service's source".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// Notice-only licenses (MIT, BSD, Apache-2.0, ISC, Zlib, public domain...).
    Permissive,
    /// File- or library-level copyleft (LGPL, MPL, EPL, CDDL, GPL with a linking exception).
    WeakCopyleft,
    /// Whole-work copyleft on distribution (GPL, EUPL, CC-BY-SA...).
    StrongCopyleft,
    /// Copyleft triggered by offering the software over a network (AGPL, SSPL, OSL).
    NetworkCopyleft,
    /// Not an SPDX license assay can classify, or no license understood at all.
    Unknown,
}

impl Category {
    /// Every category, least restrictive first.
    pub const ALL: [Category; 5] = [
        Category::Permissive,
        Category::WeakCopyleft,
        Category::StrongCopyleft,
        Category::NetworkCopyleft,
        Category::Unknown,
    ];

    /// The name used in `assay.yaml` (`strong-copyleft`).
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Permissive => "permissive",
            Category::WeakCopyleft => "weak-copyleft",
            Category::StrongCopyleft => "strong-copyleft",
            Category::NetworkCopyleft => "network-copyleft",
            Category::Unknown => "unknown",
        }
    }
}

const NETWORK: &[&str] = &["AGPL-", "SSPL-", "OSL-", "RPL-", "CPAL-", "Parity-"];
const STRONG: &[&str] = &[
    "GPL-",
    "EUPL-",
    "CC-BY-SA-",
    "CECILL-1",
    "CECILL-2",
    "Sleepycat",
    "QPL-",
    "ODbL-",
    "OSL-",
    "copyleft-next-",
    "IPA",
    "RPSL-",
];
const WEAK: &[&str] = &[
    "LGPL",
    "MPL-",
    "EPL-",
    "CDDL-",
    "CPL-",
    "Ms-RL",
    "APSL-",
    "CECILL-C",
    "OFL-",
    "ErlPL-",
    "IPL-",
    "SPL-",
    "NPL-",
    "Vim",
    "MS-RL",
    "EUPL-1.0",
    "LiLiQ-R",
    "CC-BY-NC-SA-",
    "GFDL-",
];
const PERMISSIVE: &[&str] = &[
    "MIT",
    "BSD-",
    "0BSD",
    "Apache-",
    "ISC",
    "Zlib",
    "zlib-",
    "Unlicense",
    "CC0-",
    "PSF-",
    "Python-",
    "BSL-1.0",
    "X11",
    "Artistic-",
    "PostgreSQL",
    "OpenSSL",
    "SSLeay",
    "NCSA",
    "W3C",
    "Ruby",
    "curl",
    "WTFPL",
    "CC-BY-",
    "Unicode-",
    "FTL",
    "libpng",
    "Libpng",
    "IJG",
    "bzip2-",
    "HPND",
    "Info-ZIP",
    "Beerware",
    "ICU",
    "PHP-",
    "Zend-",
    "ZPL-",
    "AFL-",
    "BlueOak-",
    "UPL-",
    "MS-PL",
    "Ms-PL",
    "TCL",
    "NTP",
    "ECL-",
    "EFL-",
    "Fair",
    "X11-",
    "JSON",
    "OLDAP-",
    "Sendmail",
    "Spencer-",
    "GD",
    "Xnet",
    "Naumen",
    "blessing",
    "LicenseRef-public-domain",
    "MIT-0",
    "ImageMagick",
    "FSFAP",
    "FSFUL",
    "FSFULLR",
    "Bitstream-Vera",
    "OFL-1.1-RFN",
    "MirOS",
    "Vixie-Cron",
    "TU-Berlin-",
    "CMU-Mach",
    "SGI-B-2.0",
    "Intel",
    "Unlicense-libtelnet",
];

/// Linking exceptions that make a GPL library weak copyleft for the software using it.
const LINKING_EXCEPTIONS: &[&str] = &[
    "Classpath-exception",
    "GCC-exception",
    "LLVM-exception",
    "Autoconf-exception",
    "Bison-exception",
    "Libtool-exception",
    "Font-exception",
    "OCaml-LGPL-linking-exception",
    "Linux-syscall-note",
    "GPL-CC-1.0",
    "Qt-LGPL-exception",
];

/// The category of one license term (`GPL-2.0-only`, `LGPL-2.1-or-later`, `MIT`, optionally
/// `WITH` an exception).
pub fn category_of(term: &str) -> Category {
    let (id, exception) = match term.split_once(" WITH ") {
        Some((i, e)) => (i.trim(), Some(e.trim())),
        None => (term.trim(), None),
    };
    let starts = |list: &[&str]| list.iter().any(|p| id.starts_with(p));
    // Prefix lists are checked network first, then weak before strong (so that `LGPL-`
    // and `EUPL-1.0` win over the broader `GPL-`/`EUPL-` prefixes).
    if starts(NETWORK) {
        return Category::NetworkCopyleft;
    }
    if starts(WEAK) {
        return Category::WeakCopyleft;
    }
    if starts(STRONG) {
        let linking =
            exception.is_some_and(|e| LINKING_EXCEPTIONS.iter().any(|x| e.starts_with(x)));
        return if linking {
            Category::WeakCopyleft
        } else {
            Category::StrongCopyleft
        };
    }
    if starts(PERMISSIVE) {
        return Category::Permissive;
    }
    // The SPDX list's own flags for the rest: copyleft ones are treated as strong (the
    // safe side), other OSI-approved or FSF-free ones as permissive.
    match spdx::license_id(id) {
        Some(l) if l.is_copyleft() => Category::StrongCopyleft,
        Some(l) if l.is_osi_approved() || l.is_fsf_free_libre() => Category::Permissive,
        _ => Category::Unknown,
    }
}

/// What the policy does with a category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Fine.
    Allow,
    /// Reported for review (`ASSAY-LIC-003`, low severity).
    Warn,
    /// Reported as a violation (`ASSAY-LIC-002`, high severity).
    Deny,
}

/// The `licenses:` section of `assay.yaml`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct LicensePolicy {
    /// SPDX ids always accepted; when not empty, every other license is reported
    /// (`ASSAY-LIC-004`) unless its category is allowed explicitly in `categories`.
    pub allow: Vec<String>,
    /// SPDX ids never accepted (`ASSAY-LIC-001`).
    pub deny: Vec<String>,
    /// Action per category, over the defaults (permissive and weak copyleft allowed, strong
    /// copyleft and unknown warned about, network copyleft denied).
    pub categories: BTreeMap<Category, Action>,
    /// Report packages with no license found at all (`ASSAY-LIC-005`).
    pub require_license: bool,
    /// Package names exempt from the policy.
    pub ignore_packages: Vec<String>,
}

impl LicensePolicy {
    /// The default policy (also `Default`), usable in statics.
    pub const DEFAULT: LicensePolicy = LicensePolicy {
        allow: Vec::new(),
        deny: Vec::new(),
        categories: BTreeMap::new(),
        require_license: false,
        ignore_packages: Vec::new(),
    };

    /// Checks every license id of `allow` and `deny`; the error names the list and value.
    pub fn validate(&self) -> Result<(), String> {
        for (list, ids) in [("allow", &self.allow), ("deny", &self.deny)] {
            for id in ids {
                if to_spdx(id).is_none() {
                    return Err(format!(
                        "licenses: {list}: {id:?} is not an SPDX license id or expression"
                    ));
                }
            }
        }
        Ok(())
    }

    /// The action for `category`.
    pub fn action(&self, category: Category) -> Action {
        if let Some(a) = self.categories.get(&category) {
            return *a;
        }
        match category {
            Category::Permissive | Category::WeakCopyleft => Action::Allow,
            Category::StrongCopyleft | Category::Unknown => Action::Warn,
            Category::NetworkCopyleft => Action::Deny,
        }
    }

    fn listed(list: &[String], term: &str) -> bool {
        list.iter().any(|entry| {
            let canonical = to_spdx(entry);
            canonical.as_deref() == Some(term) || entry == term
        })
    }
}

/// The verdict on one term or expression, worst last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Verdict {
    Allowed,
    Warn,
    NotAllowed,
    DeniedCategory,
    Denied,
}

/// Built-in license rules.
pub static RULES: &[Rule] = &[
    Rule {
        id: "ASSAY-LIC-001",
        target: RuleTarget::License,
        severity: Severity::High,
        title: "License denied by policy",
        description: "The package is only available under a license that the `licenses.deny` list of assay.yaml forbids. Shipping it may break the organisation's licensing commitments.",
        remediation: "Replace the package with one under an accepted license, or remove the license from `licenses.deny` after legal review.",
        equivalents: &["trivy:license-forbidden"],
        opt_in: false,
    },
    Rule {
        id: "ASSAY-LIC-002",
        target: RuleTarget::License,
        severity: Severity::High,
        title: "License category denied by policy",
        description: "The package's license falls in a category the policy denies (network copyleft by default: AGPL, SSPL, whose obligations extend to software offered over a network).",
        remediation: "Replace the package, obtain a commercial license, or change `licenses.categories` after legal review.",
        equivalents: &["trivy:license-restricted"],
        opt_in: false,
    },
    Rule {
        id: "ASSAY-LIC-003",
        target: RuleTarget::License,
        severity: Severity::Low,
        title: "License needs review",
        description: "The package's license falls in a category the policy flags for review (strong copyleft and unknown licenses by default): distributing the image may carry source-code obligations, or the terms are not known.",
        remediation: "Review the obligations; allow the license (`licenses.allow`) or its category (`licenses.categories`) once cleared.",
        equivalents: &["trivy:license-reciprocal", "trivy:license-unknown"],
        opt_in: false,
    },
    Rule {
        id: "ASSAY-LIC-004",
        target: RuleTarget::License,
        severity: Severity::Medium,
        title: "License not on the allow list",
        description: "`licenses.allow` is set and the package's license is neither on it nor in a category allowed explicitly.",
        remediation: "Add the license to `licenses.allow` after review, or replace the package.",
        equivalents: &[],
        opt_in: false,
    },
    Rule {
        id: "ASSAY-LIC-005",
        target: RuleTarget::License,
        severity: Severity::Low,
        title: "No license found",
        description: "`licenses.require-license` is set and neither the package metadata nor a copyright file names a license: without one there is no right to redistribute.",
        remediation: "Find the package's license upstream and record it, or remove the package.",
        equivalents: &[],
        opt_in: false,
    },
];

fn rule(id: &str) -> &'static Rule {
    RULES.iter().find(|r| r.id == id).unwrap_or(&RULES[0])
}

/// The result of checking one package's licenses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    /// The normalised expression (terms joined with AND), or the declared text when not
    /// understood.
    pub expression: String,
    /// The rule broken, if any.
    pub rule: Option<&'static Rule>,
    /// The terms behind the verdict (`AGPL-3.0-only (network-copyleft)`).
    pub reasons: Vec<String>,
}

/// Checks declared licenses (each a string; several mean all apply) against `policy`.
pub fn evaluate(declared: &[String], policy: &LicensePolicy) -> Evaluation {
    let mut terms: Vec<NormalizedLicense> = Vec::new();
    for d in declared.iter().filter(|d| !d.trim().is_empty()) {
        let n = normalize(d);
        // A copyright file names the same license for many file groups; once is enough.
        if !terms
            .iter()
            .any(|t| t.spdx.is_some() && t.spdx == n.spdx || t.declared == n.declared)
        {
            terms.push(n);
        }
    }
    if terms.is_empty() {
        return Evaluation {
            expression: String::new(),
            rule: policy.require_license.then(|| rule("ASSAY-LIC-005")),
            reasons: Vec::new(),
        };
    }
    let leaf = |term: &str, known: bool| -> (Verdict, String) {
        let category = if known {
            category_of(term)
        } else {
            Category::Unknown
        };
        let label = format!("{term} ({})", category.as_str());
        if known && LicensePolicy::listed(&policy.deny, term) {
            return (Verdict::Denied, label);
        }
        if known && LicensePolicy::listed(&policy.allow, term) {
            return (Verdict::Allowed, label);
        }
        let verdict = match policy.action(category) {
            Action::Deny => Verdict::DeniedCategory,
            Action::Warn => Verdict::Warn,
            Action::Allow
                if !policy.allow.is_empty() && !policy.categories.contains_key(&category) =>
            {
                Verdict::NotAllowed
            }
            Action::Allow => Verdict::Allowed,
        };
        (verdict, label)
    };
    let mut overall = Verdict::Allowed;
    let mut reasons: Vec<(Verdict, String)> = Vec::new();
    let mut parts = Vec::new();
    for term in &terms {
        let (verdict, leaves) = match &term.spdx {
            Some(expr) => {
                parts.push(if terms.len() > 1 && expr.contains(" OR ") {
                    format!("({expr})")
                } else {
                    expr.clone()
                });
                judge_expression(expr, &leaf)
            }
            None => {
                parts.push(term.declared.clone());
                let (v, label) = leaf(&term.declared, false);
                (v, vec![(v, label)])
            }
        };
        overall = overall.max(verdict);
        reasons.extend(leaves);
    }
    let rule = match overall {
        Verdict::Allowed => None,
        Verdict::Warn => Some(rule("ASSAY-LIC-003")),
        Verdict::NotAllowed => Some(rule("ASSAY-LIC-004")),
        Verdict::DeniedCategory => Some(rule("ASSAY-LIC-002")),
        Verdict::Denied => Some(rule("ASSAY-LIC-001")),
    };
    let mut shown = std::collections::BTreeSet::new();
    let reasons: Vec<String> = reasons
        .into_iter()
        .filter(|(v, l)| *v == overall && shown.insert(l.clone()))
        .map(|(_, l)| l)
        .collect();
    Evaluation {
        expression: parts.join(" AND "),
        rule,
        reasons,
    }
}

/// The verdict of an SPDX expression (OR: best of both, AND: worst), with each term's.
fn judge_expression(
    expr: &str,
    leaf: &dyn Fn(&str, bool) -> (Verdict, String),
) -> (Verdict, Vec<(Verdict, String)>) {
    use spdx::expression::{ExprNode, Operator};
    let Ok(parsed) = spdx::Expression::parse(expr) else {
        let (v, l) = leaf(expr, false);
        return (v, vec![(v, l)]);
    };
    let mut stack: Vec<Verdict> = Vec::new();
    let mut leaves = Vec::new();
    for node in parsed.iter() {
        match node {
            ExprNode::Req(req) => {
                let text = req.req.to_string();
                let (v, label) = leaf(&text, true);
                leaves.push((v, label));
                stack.push(v);
            }
            ExprNode::Op(op) => {
                let (Some(b), Some(a)) = (stack.pop(), stack.pop()) else {
                    break;
                };
                stack.push(match op {
                    Operator::And => a.max(b),
                    Operator::Or => a.min(b),
                });
            }
        }
    }
    (stack.pop().unwrap_or(Verdict::Allowed), leaves)
}

/// How many packages use each license and each category: the license summary of a report
/// (`license_summary` in the JSON report), keyed by [`Category::as_str`].
pub use assay_core::LicenseSummary;

/// Summarises the licenses of `packages`: each package counts once under each license it
/// declares (normalised with [`to_spdx`]; a Debian copyright file lists every license of
/// every file, so one expression per package would make nearly every package its own entry)
/// and once under the [`expression_category`] of all its licenses together.
pub fn summary(packages: &[Package]) -> LicenseSummary {
    let mut out = LicenseSummary {
        packages: packages.len(),
        ..LicenseSummary::default()
    };
    for package in packages {
        let mut terms: Vec<String> = package
            .licenses
            .iter()
            .filter(|l| !l.trim().is_empty())
            .map(|l| to_spdx(l).unwrap_or_else(|| summary_name(l)))
            .collect();
        if terms.is_empty() {
            out.without_license += 1;
            continue;
        }
        terms.sort_unstable();
        terms.dedup();
        for term in terms {
            *out.licenses.entry(term).or_default() += 1;
        }
        *out.categories
            .entry(expression_category(&package.licenses).as_str().to_string())
            .or_default() += 1;
    }
    out
}

/// A declared license that is not SPDX, as the summary names it: its first line, at most
/// [`SUMMARY_NAME_CHARS`] characters (some metadata puts the whole license text in the
/// license field).
fn summary_name(declared: &str) -> String {
    let line = declared.trim().lines().next().unwrap_or_default().trim();
    if line.chars().count() <= SUMMARY_NAME_CHARS {
        return line.to_string();
    }
    let mut short: String = line.chars().take(SUMMARY_NAME_CHARS - 3).collect();
    short.push_str("...");
    short
}

/// The longest non-SPDX license name kept in a summary.
const SUMMARY_NAME_CHARS: usize = 80;

/// The category of declared licenses taken together: OR picks the least restrictive term,
/// AND the most restrictive.
pub fn expression_category(declared: &[String]) -> Category {
    use spdx::expression::{ExprNode, Operator};
    let mut overall = Category::Permissive;
    let mut any = false;
    for d in declared.iter().filter(|d| !d.trim().is_empty()) {
        any = true;
        let category = match to_spdx(d).and_then(|e| spdx::Expression::parse(&e).ok()) {
            None => Category::Unknown,
            Some(expr) => {
                let mut stack: Vec<Category> = Vec::new();
                for node in expr.iter() {
                    match node {
                        ExprNode::Req(req) => stack.push(category_of(&req.req.to_string())),
                        ExprNode::Op(op) => {
                            let (Some(b), Some(a)) = (stack.pop(), stack.pop()) else {
                                break;
                            };
                            stack.push(match op {
                                Operator::And => a.max(b),
                                Operator::Or => a.min(b),
                            });
                        }
                    }
                }
                stack.pop().unwrap_or(Category::Unknown)
            }
        };
        overall = overall.max(category);
    }
    if any { overall } else { Category::Unknown }
}

/// The catalogers whose packages carry declared licenses.
fn license_catalogers() -> [&'static dyn Cataloger; 3] {
    [
        &crate::os::apk::Apk,
        &crate::lang::python::PythonMetadata,
        &crate::lang::node::NodePackage,
    ]
}

/// The license scanner with the default policy (listed in [`crate::content::SCANNERS`]);
/// a `licenses:` section in `assay.yaml` builds its own [`LicenseScanner`] instead.
pub static DEFAULT: LicenseScanner = LicenseScanner {
    policy: LicensePolicy::DEFAULT,
};

/// The license content scanner: reads Debian copyright files and the package metadata that
/// declares licenses, and reports what the policy does not accept.
#[derive(Debug, Clone, Default)]
pub struct LicenseScanner {
    /// The policy.
    pub policy: LicensePolicy,
}

impl LicenseScanner {
    /// A scanner with `policy` (already validated).
    pub fn new(policy: LicensePolicy) -> LicenseScanner {
        LicenseScanner { policy }
    }

    /// The packages (name, version, declared licenses) a file records.
    fn packages(&self, file: &ContentFile<'_>) -> Vec<(String, String, Vec<String>)> {
        if let Some(package) = copyright::package_of(file.path) {
            let text = String::from_utf8_lossy(file.content);
            return vec![(
                package.to_string(),
                String::new(),
                copyright::licenses(&text),
            )];
        }
        let as_file = File {
            path: file.path,
            content: file.content,
            layer: file.layer.diff_id.as_deref(),
            distro: None,
        };
        license_catalogers()
            .iter()
            .filter(|c| c.wants(file.path))
            .filter_map(|c| c.catalog(&as_file).ok())
            .flatten()
            .map(|p| (p.name, p.version, p.licenses))
            .collect()
    }

    /// Findings for one package's licenses, or none.
    pub fn check(&self, name: &str, version: &str, licenses: &[String]) -> Option<Hit> {
        if self.policy.ignore_packages.iter().any(|p| p == name) {
            return None;
        }
        let evaluation = evaluate(licenses, &self.policy);
        let rule = evaluation.rule?;
        let package = if version.is_empty() {
            name.to_string()
        } else {
            format!("{name} {version}")
        };
        let message = if evaluation.expression.is_empty() {
            format!("{package}: no license declared or found")
        } else {
            format!(
                "{package}: license {}: {}",
                evaluation.expression,
                evaluation.reasons.join(", ")
            )
        };
        Some(Hit::new(rule, message).with_anchor(format!("{name}\0{}", evaluation.expression)))
    }
}

impl Scanner for LicenseScanner {
    fn name(&self) -> &'static str {
        "license"
    }

    fn kind(&self) -> FindingKind {
        FindingKind::License
    }

    fn rules(&self) -> &'static [Rule] {
        RULES
    }

    fn wants(&self, path: &str) -> bool {
        copyright::package_of(path).is_some() || license_catalogers().iter().any(|c| c.wants(path))
    }

    fn max_size(&self) -> u64 {
        // Copyright files of large packages (the kernel, texlive) run to a few hundred KiB;
        // apk databases to a few MiB.
        16 << 20
    }

    fn scope(&self) -> Scope {
        Scope::Final
    }

    fn prepare(&self) {
        detect::load_in_background();
    }

    fn scan(&self, file: &ContentFile<'_>) -> Vec<Hit> {
        self.packages(file)
            .into_iter()
            .filter_map(|(name, version, licenses)| self.check(&name, &version, &licenses))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn rule_of(declared: &[&str], policy: &LicensePolicy) -> Option<&'static str> {
        let declared: Vec<String> = declared.iter().map(|s| s.to_string()).collect();
        evaluate(&declared, policy).rule.map(|r| r.id)
    }

    #[test]
    fn categories() {
        assert_eq!(category_of("MIT"), Category::Permissive);
        assert_eq!(category_of("Apache-2.0"), Category::Permissive);
        assert_eq!(category_of("LGPL-2.1-or-later"), Category::WeakCopyleft);
        assert_eq!(category_of("MPL-2.0"), Category::WeakCopyleft);
        assert_eq!(category_of("GPL-2.0-only"), Category::StrongCopyleft);
        assert_eq!(
            category_of("GPL-2.0-only WITH Classpath-exception-2.0"),
            Category::WeakCopyleft
        );
        assert_eq!(category_of("AGPL-3.0-or-later"), Category::NetworkCopyleft);
        assert_eq!(category_of("SSPL-1.0"), Category::NetworkCopyleft);
        assert_eq!(category_of("LicenseRef-acme"), Category::Unknown);
        assert_eq!(
            expression_category(&["MIT OR GPL-3.0-only".into()]),
            Category::Permissive
        );
        assert_eq!(
            expression_category(&["MIT".into(), "GPL-3.0-only".into()]),
            Category::StrongCopyleft
        );
    }

    #[test]
    fn default_policy_rules() {
        let p = LicensePolicy::default();
        assert_eq!(rule_of(&["MIT"], &p), None);
        assert_eq!(rule_of(&["LGPL-2.1+"], &p), None);
        assert_eq!(rule_of(&["GPL-3.0-only"], &p), Some("ASSAY-LIC-003"));
        assert_eq!(rule_of(&["AGPL-3.0-only"], &p), Some("ASSAY-LIC-002"));
        assert_eq!(rule_of(&["AGPL-3.0-only OR MIT"], &p), None);
        assert_eq!(
            rule_of(&["AGPL-3.0-only", "MIT"], &p),
            Some("ASSAY-LIC-002")
        );
        assert_eq!(
            rule_of(&["Proprietary ACME terms"], &p),
            Some("ASSAY-LIC-003")
        );
        assert_eq!(rule_of(&[], &p), None);
    }

    #[test]
    fn allow_deny_and_require() {
        let p = LicensePolicy {
            allow: vec!["MIT".into(), "GPL-3.0-only".into()],
            deny: vec!["BSD-4-Clause".into()],
            require_license: true,
            ..LicensePolicy::default()
        };
        assert_eq!(rule_of(&["MIT"], &p), None);
        assert_eq!(rule_of(&["GPL-3.0-only"], &p), None, "allowed explicitly");
        assert_eq!(rule_of(&["BSD-4-Clause"], &p), Some("ASSAY-LIC-001"));
        assert_eq!(rule_of(&["ISC"], &p), Some("ASSAY-LIC-004"));
        assert_eq!(rule_of(&[], &p), Some("ASSAY-LIC-005"));
        let mut open = p.clone();
        open.categories.insert(Category::Permissive, Action::Allow);
        assert_eq!(rule_of(&["ISC"], &open), None);
        assert!(p.validate().is_ok());
        let bad = LicensePolicy {
            deny: vec!["Not A License".into()],
            ..LicensePolicy::default()
        };
        assert_eq!(
            bad.validate().unwrap_err(),
            "licenses: deny: \"Not A License\" is not an SPDX license id or expression"
        );
    }

    #[test]
    fn summary_counts() {
        let pkg = |licenses: &[&str]| Package {
            name: "p".into(),
            version: "1".into(),
            ecosystem: "npm".into(),
            purl: None,
            source_name: None,
            source_version: None,
            licenses: licenses.iter().map(|s| s.to_string()).collect(),
            layer: None,
            path: "x".into(),
        };
        let text = format!(
            "Copyright (c) the authors\n{}",
            "Permission is granted. ".repeat(20)
        );
        let s = summary(&[
            pkg(&["MIT"]),
            pkg(&["MIT License"]),
            pkg(&["GPL-2+"]),
            pkg(&[]),
            pkg(&[&text]),
            pkg(&["MIT", "GPL-2+", "MIT"]),
        ]);
        assert_eq!(s.licenses.get("Copyright (c) the authors"), Some(&1));
        assert_eq!(s.categories.get("unknown"), Some(&1));
        // A package counts once under each license it declares.
        assert_eq!(s.licenses.get("MIT"), Some(&3));
        assert_eq!(s.licenses.get("GPL-2.0-or-later"), Some(&2));
        assert_eq!(s.categories.get("strong-copyleft"), Some(&2));
        assert_eq!(s.categories.get("permissive"), Some(&2));
        assert_eq!(s.without_license, 1);
        assert_eq!(s.packages, 6);
    }

    #[test]
    fn report_category_names_are_the_policy_names_in_order() {
        let names: Vec<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(names, LicenseSummary::CATEGORIES);
    }
}
