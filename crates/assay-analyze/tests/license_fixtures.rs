//! Every license rule has a failing and a passing fixture under
//! `fixtures/rules/license/<ID>/` (see the README there), scanned as a directory through
//! the content runner: `fail/` must raise the rule, `pass/` must not.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};

use assay_analyze::content::{self, Scanner};
use assay_analyze::license::{self, LicensePolicy, LicenseScanner, RULES};
use assay_oci::testing::{ImageSpec, LayerSpec, LayoutBuilder};
use assay_oci::{Image, Limits, OciLayout, WalkOptions};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/rules/license")
}

fn policy(rule_dir: &Path) -> LicensePolicy {
    match fs::read_to_string(rule_dir.join("policy.yaml")) {
        Ok(text) => {
            let policy: LicensePolicy = yaml_serde::from_str(&text).unwrap();
            policy.validate().unwrap();
            policy
        }
        Err(_) => LicensePolicy::default(),
    }
}

fn raised(scanner: &LicenseScanner, dir: &Path) -> Vec<(String, String)> {
    let scanners: [&dyn Scanner; 1] = [scanner];
    content::scan_directory(dir, &scanners, &WalkOptions::default())
        .unwrap()
        .detections
        .into_iter()
        .map(|d| (d.hit.rule_id, d.hit.message))
        .collect()
}

#[test]
fn every_rule_fails_its_fail_fixture_and_passes_its_pass_fixture() {
    for rule in RULES {
        let dir = root().join(rule.id);
        assert!(dir.is_dir(), "{}: no fixture directory", rule.id);
        let scanner = LicenseScanner::new(policy(&dir));
        let fail = raised(&scanner, &dir.join("fail"));
        assert!(
            fail.iter().any(|(id, _)| id == rule.id),
            "{}: fail fixture not flagged: {fail:?}",
            rule.id
        );
        let pass = raised(&scanner, &dir.join("pass"));
        assert!(
            !pass.iter().any(|(id, _)| id == rule.id),
            "{}: pass fixture flagged: {pass:?}",
            rule.id
        );
    }
}

#[test]
fn messages_name_the_package_the_expression_and_the_category() {
    let dir = root().join("ASSAY-LIC-003");
    let hits = raised(&license::DEFAULT, &dir.join("fail"));
    assert_eq!(
        hits,
        [(
            "ASSAY-LIC-003".to_string(),
            "bash: license GPL-3.0-or-later: GPL-3.0-or-later (strong-copyleft)".to_string()
        )]
    );
    let dir = root().join("ASSAY-LIC-002");
    let hits = raised(&license::DEFAULT, &dir.join("fail"));
    assert_eq!(
        hits[0].1,
        "agpl-lib 1.2.3: license AGPL-3.0-only: AGPL-3.0-only (network-copyleft)"
    );
}

#[test]
fn only_the_final_version_of_a_package_counts_in_an_image() {
    // Layer 0 installs an AGPL package, layer 1 replaces it with an MIT release: the
    // license of what ships is MIT.
    let agpl = r#"{"name": "lib", "version": "1.0.0", "license": "AGPL-3.0-only"}"#;
    let mit = r#"{"name": "lib", "version": "2.0.0", "license": "MIT"}"#;
    let spec = ImageSpec::new()
        .layer(LayerSpec::new().file("app/node_modules/lib/package.json", agpl))
        .layer(LayerSpec::new().file("app/node_modules/lib/package.json", mit))
        .layer(LayerSpec::new().file(
            "usr/share/doc/gpl-tool/copyright",
            "See /usr/share/common-licenses/GPL-2.\n",
        ));
    let dir = tempfile::tempdir().unwrap();
    LayoutBuilder::new()
        .image(Some("t"), spec)
        .write(dir.path());
    let source = OciLayout::open(dir.path(), Some("t")).unwrap();
    let image = Image::open(&source, None, &Limits::default()).unwrap();
    let scanners: [&dyn Scanner; 1] = [&license::DEFAULT];
    let scan = content::scan_image(&source, &image, &scanners, &WalkOptions::default()).unwrap();
    let found: Vec<(&str, &str, &str)> = scan
        .detections
        .iter()
        .map(|d| {
            (
                d.hit.rule_id.as_str(),
                d.path.as_str(),
                d.hit.message.as_str(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [(
            "ASSAY-LIC-003",
            "usr/share/doc/gpl-tool/copyright",
            "gpl-tool: license GPL-2.0-only: GPL-2.0-only (strong-copyleft)"
        )]
    );
}

#[test]
fn policy_yaml_errors_are_reported() {
    let err = yaml_serde::from_str::<LicensePolicy>("categories:\n  copyleft: deny\n").unwrap_err();
    assert!(
        err.to_string().contains("unknown variant `copyleft`"),
        "{err}"
    );
    let err = yaml_serde::from_str::<LicensePolicy>("alow: [MIT]\n").unwrap_err();
    assert!(err.to_string().contains("unknown field `alow`"), "{err}");
}
