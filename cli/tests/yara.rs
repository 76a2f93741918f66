//! `assay scan --yara-rules DIR` (cargo feature `yara`): rules written here match a planted
//! string in an image (also in a layer that a later layer deletes), a `dir:` root filesystem
//! and a plain directory, in JSON and SARIF; a tree without the string passes; a malformed
//! rule file is an input error naming file:line. Without the feature the flag does not exist.
//!
//! Run with `cargo test -p assay --features yara --test yara` (scripts/test.sh does).
#![allow(clippy::unwrap_used)]

mod common;

use std::fs;

use common::{assay_in, run};

#[cfg(feature = "yara")]
mod with_yara {
    use super::*;
    use std::path::Path;

    use assay_oci::testing::{ImageSpec, LayerSpec, LayoutBuilder};

    /// The planted string; assembled so that this source is not itself a match.
    fn planted() -> String {
        ["stratum+tcp", "://pool.example.invalid:3333"].concat()
    }

    const RULE: &str = r#"
rule Coin_Miner : miner network
{
    meta:
        description = "Cryptocurrency miner pool address"
        severity = "critical"
    strings:
        $pool = "stratum+tcp://"
    condition:
        $pool
}

rule Untagged_Marker
{
    strings:
        $m = "ASSAY-YARA-MARKER"
    condition:
        $m
}
"#;

    fn write(root: &Path, path: &str, content: impl AsRef<[u8]>) {
        let file = root.join(path);
        fs::create_dir_all(file.parent().unwrap()).unwrap();
        fs::write(file, content).unwrap();
    }

    /// `rules/miner.yar` (the two rules above) and `rules/nested/other.yara` (a rule of the
    /// same name in another namespace, matching nothing here); a README is not a rule file.
    fn rules(dir: &Path) {
        write(dir, "rules/miner.yar", RULE);
        write(
            dir,
            "rules/nested/other.yara",
            "rule Coin_Miner { strings: $a = \"never-present-string\" condition: $a }\n",
        );
        write(dir, "rules/README.md", "not a rule file {");
    }

    fn scan(dir: &Path, target: &str, extra: &[&str]) -> (i32, String, String) {
        run(assay_in(dir)
            .args([
                "scan",
                target,
                "--scanners",
                "yara",
                "--yara-rules",
                "rules",
            ])
            .args(extra))
    }

    fn json(dir: &Path, target: &str) -> serde_json::Value {
        let (code, stdout, stderr) = scan(dir, target, &["--format", "json"]);
        assert_eq!(code, 1, "{stderr}");
        serde_json::from_str(&stdout).unwrap()
    }

    /// (rule id, severity, path) of every finding, all of kind malware, sorted by path.
    fn findings(report: &serde_json::Value) -> Vec<(String, String, String)> {
        let mut found: Vec<(String, String, String)> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                assert_eq!(f["kind"], "malware", "{f}");
                (
                    f["rule_id"].as_str().unwrap().to_string(),
                    f["severity"].as_str().unwrap().to_string(),
                    f["location"]["path"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        found.sort_by(|a, b| (&a.2, &a.0).cmp(&(&b.2, &b.0)));
        found
    }

    /// The finding at `path`.
    fn at<'a>(report: &'a serde_json::Value, path: &str) -> &'a serde_json::Value {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["location"]["path"] == path)
            .unwrap()
    }

    fn owned(list: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
        list.iter()
            .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
            .collect()
    }

    /// Layer 0: the miner config and a dropper script with the planted string, a marker
    /// file, a clean file; layer 1 deletes the dropper.
    fn layout(dir: &Path, with_string: bool) {
        let content = if with_string {
            format!("pool = \"{}\"\n", planted())
        } else {
            "pool = \"https://example.invalid\"\n".to_string()
        };
        let mut first = LayerSpec::new()
            .file("etc/miner/config.toml", content.clone())
            .file("tmp/dropper.sh", format!("#!/bin/sh\n# {content}"))
            .file("usr/share/doc/readme.txt", "nothing to see\n");
        if with_string {
            first = first.file("opt/marker", "ASSAY-YARA-MARKER");
        }
        let image = ImageSpec::new()
            .layer(first)
            .layer(LayerSpec::new().whiteout("tmp/dropper.sh"));
        LayoutBuilder::new()
            .image(Some("1.0"), image)
            .write(&dir.join("layout"));
    }

    #[test]
    fn image_findings_in_json_and_sarif_also_in_a_deleted_layer() {
        let dir = tempfile::tempdir().unwrap();
        rules(dir.path());
        layout(dir.path(), true);
        let report = json(dir.path(), "oci:layout:1.0");
        assert_eq!(
            findings(&report),
            owned(&[
                ("YARA:miner.Coin_Miner", "CRITICAL", "etc/miner/config.toml"),
                ("YARA:miner.Untagged_Marker", "HIGH", "opt/marker"),
                ("YARA:miner.Coin_Miner", "CRITICAL", "tmp/dropper.sh"),
            ])
        );
        let config = at(&report, "etc/miner/config.toml");
        assert_eq!(
            config["title"],
            "Cryptocurrency miner pool address [miner, network]"
        );
        let message = config["message"].as_str().unwrap();
        assert!(
            message.contains(
                "matches YARA rule miner.Coin_Miner (defined in rules/miner.yar): $pool at offset 8"
            ),
            "{message}"
        );
        assert!(
            config["location"]["layer"]
                .as_str()
                .unwrap()
                .starts_with("sha256:")
        );
        assert_eq!(
            at(&report, "opt/marker")["title"],
            "Matches YARA rule miner.Untagged_Marker"
        );
        let dropper = at(&report, "tmp/dropper.sh")["message"].as_str().unwrap();
        assert!(
            dropper.contains("layer 1 deleted /tmp/dropper.sh but the file is still in the image"),
            "{dropper}"
        );

        let (code, stdout, stderr) = scan(dir.path(), "oci:layout:1.0", &["--format", "sarif"]);
        assert_eq!(code, 1, "{stderr}");
        let sarif: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        let results = sarif["runs"][0]["results"].as_array().unwrap();
        let mut ids: Vec<(&str, &str)> = results
            .iter()
            .map(|r| (r["ruleId"].as_str().unwrap(), r["level"].as_str().unwrap()))
            .collect();
        ids.sort_unstable();
        assert_eq!(
            ids,
            [
                ("YARA:miner.Coin_Miner", "error"),
                ("YARA:miner.Coin_Miner", "error"),
                ("YARA:miner.Untagged_Marker", "error"),
            ]
        );
    }

    #[test]
    fn image_without_the_string_passes() {
        let dir = tempfile::tempdir().unwrap();
        rules(dir.path());
        layout(dir.path(), false);
        let (code, stdout, stderr) = scan(dir.path(), "oci:layout:1.0", &["--format", "json"]);
        assert_eq!(code, 0, "{stderr}");
        let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(report["findings"].as_array().unwrap().len(), 0, "{stdout}");
    }

    #[test]
    fn rootfs_and_plain_directory() {
        let dir = tempfile::tempdir().unwrap();
        rules(dir.path());
        write(
            dir.path(),
            "tree/srv/app/miner.conf",
            format!("url={}\n", planted()),
        );
        write(
            dir.path(),
            "tree/srv/app/clean.conf",
            "url=https://example.invalid\n",
        );
        let expected = |prefix: &str| {
            owned(&[(
                "YARA:miner.Coin_Miner",
                "CRITICAL",
                &format!("{prefix}srv/app/miner.conf"),
            )])
        };
        assert_eq!(findings(&json(dir.path(), "dir:tree")), expected(""));
        assert_eq!(findings(&json(dir.path(), "tree")), expected("tree/"));

        // The same tree without the string passes.
        fs::remove_file(dir.path().join("tree/srv/app/miner.conf")).unwrap();
        for target in ["dir:tree", "tree"] {
            let (code, _, stderr) = scan(dir.path(), target, &[]);
            assert_eq!(code, 0, "{target}: {stderr}");
        }
    }

    #[test]
    fn rules_from_the_environment_next_to_other_scanners() {
        let dir = tempfile::tempdir().unwrap();
        rules(dir.path());
        write(dir.path(), "tree/a.txt", planted());
        // ASSAY_YARA_RULES alone turns the yara scanner on, next to the default scanners.
        let (code, stdout, stderr) = run(assay_in(dir.path())
            .env("ASSAY_YARA_RULES", "rules")
            .args(["scan", "tree", "--format", "json"]));
        assert_eq!(code, 1, "{stderr}");
        assert!(stdout.contains("YARA:miner.Coin_Miner"), "{stdout}");
    }

    #[test]
    fn malformed_rules_are_input_errors_naming_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "tree/a.txt", "x");
        write(
            dir.path(),
            "rules/bad.yar",
            "rule ok { condition: true }\n\nrule broken {\n    strings:\n        $a = \"x\"\n    condition:\n        $a and and\n}\n",
        );
        let (code, _, stderr) = scan(dir.path(), "tree", &[]);
        assert_eq!(code, 2, "{stderr}");
        assert!(
            stderr.contains("--yara-rules: rules/bad.yar:7:"),
            "{stderr}"
        );
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");

        write(
            dir.path(),
            "rules/bad.yar",
            "rule sev { meta: severity = \"urgent\" condition: true }\n",
        );
        let (code, _, stderr) = scan(dir.path(), "tree", &[]);
        assert_eq!(code, 2, "{stderr}");
        assert!(
            stderr.contains("rules/bad.yar: rule sev: meta severity \"urgent\" is not a severity"),
            "{stderr}"
        );

        fs::remove_file(dir.path().join("rules/bad.yar")).unwrap();
        let (code, _, stderr) = scan(dir.path(), "tree", &[]);
        assert_eq!(code, 2, "{stderr}");
        assert!(
            stderr.contains("--yara-rules: rules: no .yar or .yara file"),
            "{stderr}"
        );

        let (code, _, stderr) =
            run(assay_in(dir.path()).args(["scan", "tree", "--scanners", "yara"]));
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains("--yara-rules"), "{stderr}");
    }
}

/// Without the cargo feature there is no such flag: clap rejects it (exit 2), so no build
/// silently ignores rules it was given.
#[cfg(not(feature = "yara"))]
#[test]
fn without_the_feature_the_flag_does_not_exist() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("rules")).unwrap();
    let (code, _, stderr) = run(assay_in(dir.path()).args(["scan", ".", "--yara-rules", "rules"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--yara-rules"), "{stderr}");
}
