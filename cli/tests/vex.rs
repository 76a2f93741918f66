//! VEX in and out of `assay scan`: OpenVEX and CycloneDX statements suppress the
//! vulnerability findings they cover (with the justification kept in the JSON report), and
//! `--format openvex` writes a deterministic triage skeleton that reads back with `--vex`.
#![allow(clippy::unwrap_used)]

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{assay, run};

/// lodash 4.17.20 (CVE-2021-23337 = GHSA-35jh-r3h4-6jhm) and path-to-regexp 0.1.7
/// (CVE-2024-45296) in a package-lock.
const LOCK: &str = r#"{"name":"web","lockfileVersion":3,"requires":true,"packages":{"":{"name":"web"},"node_modules/lodash":{"version":"4.17.20"},"node_modules/path-to-regexp":{"version":"0.1.7"}}}"#;

struct Setup {
    _dir: tempfile::TempDir,
    root: PathBuf,
    db: PathBuf,
    project: PathBuf,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let db = root.join("assay.db");
    let (code, _, stderr) = run(assay()
        .args(["db", "build", "--from", "fixtures/osv", "--output"])
        .arg(&db));
    assert_eq!(code, 0, "{stderr}");
    let project = root.join("project");
    fs::create_dir_all(&project).unwrap();
    fs::write(project.join("package-lock.json"), LOCK).unwrap();
    Setup {
        _dir: dir,
        root,
        db,
        project,
    }
}

fn scan(s: &Setup, extra: &[&str], vex: &[&Path]) -> (i32, serde_json::Value, String) {
    let mut cmd = assay();
    cmd.arg("scan")
        .arg(&s.project)
        .args(["-f", "json", "--db"])
        .arg(&s.db)
        .args(extra);
    for v in vex {
        cmd.arg("--vex").arg(v);
    }
    let (code, stdout, stderr) = run(&mut cmd);
    let json = serde_json::from_str(&stdout).unwrap_or(serde_json::Value::Null);
    (code, json, stderr)
}

fn ids(list: &serde_json::Value) -> Vec<String> {
    list.as_array()
        .map(|a| {
            a.iter()
                .map(|f| f["rule_id"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn write(s: &Setup, name: &str, text: &str) -> PathBuf {
    let path = s.root.join(name);
    fs::write(&path, text).unwrap();
    path
}

fn openvex(statements: &str) -> String {
    format!(
        r#"{{"@context":"https://openvex.dev/ns/v0.2.0","@id":"https://example.com/vex/1","author":"security@example.com","timestamp":"2026-01-02T00:00:00Z","version":1,"statements":[{statements}]}}"#
    )
}

#[test]
fn not_affected_statements_suppress_with_their_justification() {
    let s = setup();
    let (code, before, stderr) = scan(&s, &[], &[]);
    assert_eq!(code, 1, "{stderr}");
    assert!(ids(&before["findings"]).contains(&"CVE-2021-23337".to_string()));

    let vex = write(
        &s,
        "vex.json",
        &openvex(
            r#"{"vulnerability":{"name":"CVE-2021-23337"},"products":[{"@id":"pkg:npm/lodash"}],"status":"not_affected","justification":"vulnerable_code_not_in_execute_path"}"#,
        ),
    );
    let (_, after, stderr) = scan(&s, &[], &[&vex]);
    assert!(
        !ids(&after["findings"]).contains(&"CVE-2021-23337".to_string()),
        "{stderr}"
    );
    let suppressed = after["suppressed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "CVE-2021-23337")
        .unwrap();
    assert_eq!(suppressed["suppression"]["kind"], "vex");
    assert_eq!(
        suppressed["suppression"]["reason"],
        "not_affected: vulnerable_code_not_in_execute_path"
    );
    assert_eq!(
        suppressed["suppression"]["source"],
        format!("{}#0", vex.display())
    );
    // Only the statement's vulnerability and package are touched.
    assert_eq!(
        ids(&after["findings"]).len(),
        ids(&before["findings"]).len() - 1
    );
}

#[test]
fn statements_match_aliases_versions_and_the_newest_wins() {
    let s = setup();
    // Named by its GHSA alias, fixed: suppressed.
    let alias = write(
        &s,
        "alias.json",
        &openvex(
            r#"{"vulnerability":{"name":"GHSA-35jh-r3h4-6jhm"},"products":[{"@id":"pkg:npm/lodash@4.17.20"}],"status":"fixed"}"#,
        ),
    );
    let (_, report, _) = scan(&s, &[], &[&alias]);
    assert!(ids(&report["suppressed"]).contains(&"CVE-2021-23337".to_string()));
    assert_eq!(report["suppressed"][0]["suppression"]["reason"], "fixed");

    // Another version of the package: not covered.
    let other = write(
        &s,
        "other.json",
        &openvex(
            r#"{"vulnerability":{"name":"CVE-2021-23337"},"products":[{"@id":"pkg:npm/lodash@4.17.19"}],"status":"not_affected","justification":"component_not_present"}"#,
        ),
    );
    let (_, report, _) = scan(&s, &[], &[&other]);
    assert!(ids(&report["findings"]).contains(&"CVE-2021-23337".to_string()));

    // `affected` keeps it counted.
    let affected = write(
        &s,
        "affected.json",
        &openvex(
            r#"{"vulnerability":{"name":"CVE-2021-23337"},"status":"affected","action_statement":"upgrade"}"#,
        ),
    );
    let (code, report, _) = scan(&s, &[], &[&affected]);
    assert_eq!(code, 1);
    assert!(ids(&report["findings"]).contains(&"CVE-2021-23337".to_string()));

    // A newer under_investigation statement supersedes an older not_affected one, whatever
    // the file order.
    let newer = write(
        &s,
        "newer.json",
        &openvex(
            r#"{"vulnerability":{"name":"CVE-2021-23337"},"products":["pkg:npm/lodash"],"status":"under_investigation","timestamp":"2026-02-01T00:00:00Z"},{"vulnerability":"CVE-2021-23337","products":["pkg:npm/lodash"],"status":"not_affected","justification":"inline_mitigations_already_exist","timestamp":"2026-01-15T00:00:00Z"}"#,
        ),
    );
    let (_, report, _) = scan(&s, &[], &[&newer]);
    assert!(ids(&report["findings"]).contains(&"CVE-2021-23337".to_string()));
}

#[test]
fn cyclonedx_vex_analysis_suppresses_through_bom_refs() {
    let s = setup();
    let cdx = write(
        &s,
        "bom.cdx.json",
        r#"{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,
            "components":[{"type":"library","bom-ref":"lodash-ref","name":"lodash","purl":"pkg:npm/lodash@4.17.20"}],
            "vulnerabilities":[
              {"id":"CVE-2021-23337","analysis":{"state":"not_affected","justification":"code_not_reachable","detail":"template() is never called"},"affects":[{"ref":"lodash-ref"}]},
              {"id":"CVE-2099-0001","affects":[{"ref":"lodash-ref"}]}
            ]}"#,
    );
    let (_, report, stderr) = scan(&s, &[], &[&cdx]);
    let suppressed = report["suppressed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "CVE-2021-23337")
        .unwrap_or_else(|| panic!("{stderr}\n{report:#}"));
    assert_eq!(
        suppressed["suppression"]["reason"],
        "not_affected: code_not_reachable (template() is never called)"
    );
}

#[test]
fn broken_vex_files_are_input_errors_naming_the_file() {
    let s = setup();
    let bad = write(
        &s,
        "bad.json",
        "{\n  \"statements\": [\n    {\"status\": \"maybe\"\n",
    );
    let (code, _, stderr) = scan(&s, &[], &[&bad]);
    assert_eq!(code, 2);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("bad.json:4"), "{stderr}");

    let unknown = write(
        &s,
        "unknown.json",
        &openvex(r#"{"vulnerability":{"name":"CVE-1"},"status":"maybe"}"#),
    );
    let (code, _, stderr) = scan(&s, &[], &[&unknown]);
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown status \"maybe\""), "{stderr}");

    let neither = write(&s, "neither.json", "{}");
    let (code, _, stderr) = scan(&s, &[], &[&neither]);
    assert_eq!(code, 2);
    assert!(stderr.contains("neither.json"), "{stderr}");
}

fn openvex_out(s: &Setup, vex: &[&Path]) -> String {
    let mut cmd = assay();
    cmd.current_dir(&s.root)
        .args(["scan", "project", "-f", "openvex", "--db", "assay.db"]);
    for v in vex {
        cmd.arg("--vex").arg(v);
    }
    let (code, stdout, stderr) = run(&mut cmd);
    assert_eq!(code, 1, "{stderr}");
    stdout
}

#[test]
fn format_openvex_writes_a_stable_skeleton_that_reads_back() {
    let s = setup();
    let first = openvex_out(&s, &[]);
    assert_eq!(first, openvex_out(&s, &[]), "same scan, same bytes");
    let doc: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(doc["@context"], "https://openvex.dev/ns/v0.2.0");
    assert_eq!(doc["timestamp"], "2026-01-01T00:00:00Z");
    let lodash = doc["statements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|st| st["vulnerability"]["name"] == "CVE-2021-23337")
        .unwrap();
    assert_eq!(lodash["status"], "under_investigation");
    assert_eq!(lodash["vulnerability"]["aliases"][0], "GHSA-35jh-r3h4-6jhm");
    assert_eq!(lodash["products"][0]["@id"], "pkg:npm/lodash@4.17.20");
    insta::assert_snapshot!(
        "vex.openvex",
        first.replace(&*s.root.to_string_lossy(), "ROOT")
    );

    // Triage: mark it not_affected and feed the document back.
    let triaged = first.replacen(
        "\"status\": \"under_investigation\"",
        "\"status\": \"not_affected\",\n      \"justification\": \"vulnerable_code_not_present\"",
        1,
    );
    let path = write(&s, "triaged.json", &triaged);
    let (_, report, stderr) = scan(&s, &[], &[&path]);
    let suppressed = ids(&report["suppressed"]);
    assert_eq!(suppressed.len(), 1, "{stderr}");
    // Written again with the VEX applied, the statement keeps its status.
    let again = openvex_out(&s, &[&path]);
    assert!(
        again.contains("\"justification\": \"vulnerable_code_not_present\""),
        "{again}"
    );

    // `--report openvex=FILE` beside another format.
    let (code, _, stderr) = run(assay().current_dir(&s.root).args([
        "scan",
        "project",
        "-f",
        "json",
        "--db",
        "assay.db",
        "--report",
        "openvex=out.vex.json",
    ]));
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        fs::read_to_string(s.root.join("out.vex.json")).unwrap(),
        first
    );
}

const BOOKWORM: &str = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nID=debian\n";
/// expat 2.5.0-1: affected by CVE-2024-45490 (fixed in 2.5.0-1+deb12u1).
const STATUS: &str = "Package: libexpat1\nStatus: install ok installed\nArchitecture: amd64\nSource: expat\nVersion: 2.5.0-1\nDescription: XML parsing C library\n\n";
const REQUESTS: &str = "Metadata-Version: 2.1\nName: requests\nVersion: 2.28.1\n\n";

#[test]
fn images_are_oci_products_with_their_packages_as_subcomponents() {
    use assay_oci::testing::{ImageSpec, LayerSpec, LayoutBuilder};
    let s = setup();
    LayoutBuilder::new()
        .image(
            Some("1.0"),
            ImageSpec::new().layer(
                LayerSpec::new()
                    .file("etc/os-release", BOOKWORM)
                    .file("var/lib/dpkg/status", STATUS)
                    .file(
                        "usr/lib/python3/dist-packages/requests-2.28.1.dist-info/METADATA",
                        REQUESTS,
                    ),
            ),
        )
        .write(&s.root.join("web"));
    let scan_image = |format: &str, vex: Option<&Path>| {
        let mut cmd = assay();
        cmd.current_dir(&s.root)
            .args(["scan", "oci:web:1.0", "-f", format, "--db", "assay.db"]);
        if let Some(v) = vex {
            cmd.arg("--vex").arg(v);
        }
        run(&mut cmd)
    };
    let (code, out, stderr) = scan_image("openvex", None);
    assert_eq!(code, 1, "{stderr}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let expat = doc["statements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|st| st["vulnerability"]["name"] == "CVE-2024-45490")
        .unwrap_or_else(|| panic!("{out}"));
    assert_eq!(expat["products"][0]["@id"], "pkg:oci/web?tag=1.0");
    let sub = expat["products"][0]["subcomponents"][0]["@id"]
        .as_str()
        .unwrap();
    assert!(sub.starts_with("pkg:deb/debian/libexpat1@2.5.0-1"), "{sub}");

    // A statement about the image product and that subcomponent suppresses it there.
    let vex = write(
        &s,
        "image.vex.json",
        &openvex(&format!(
            r#"{{"vulnerability":{{"name":"CVE-2024-45490"}},"products":[{{"@id":"pkg:oci/web","subcomponents":[{{"@id":"{sub}"}}]}}],"status":"not_affected","impact_statement":"expat is only used for trusted configuration files"}}"#
        )),
    );
    let (_, json, _) = scan_image("json", Some(&vex));
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(!ids(&report["findings"]).contains(&"CVE-2024-45490".to_string()));
    assert!(ids(&report["suppressed"]).contains(&"CVE-2024-45490".to_string()));
    // Another image of the same packages is not covered.
    let other = write(
        &s,
        "other-image.vex.json",
        &openvex(&format!(
            r#"{{"vulnerability":{{"name":"CVE-2024-45490"}},"products":[{{"@id":"pkg:oci/api","subcomponents":[{{"@id":"{sub}"}}]}}],"status":"not_affected","justification":"component_not_present"}}"#
        )),
    );
    let (_, json, _) = scan_image("json", Some(&other));
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(ids(&report["findings"]).contains(&"CVE-2024-45490".to_string()));
}
