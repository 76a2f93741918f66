//! Every built-in baseline rule has a failing and a passing fixture under
//! `fixtures/rules/baseline/<ID>/` (see the README there): `fail` must raise the rule,
//! `pass` must not. Profile files (custom rules) are tested at the end.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use assay_analyze::baseline::{self, BaselineConfig, BaselineScanner, RULES};
use assay_analyze::content::{ContentFile, ImageContext, LayerRef, Scanner};
use assay_oci::{Entry, EntryKind, FileTree, ImageConfig};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/rules/baseline")
}

/// Every file and directory under `dir`, relative, with `/` separators.
fn walk(dir: &Path, rel: &str, out: &mut Vec<(String, bool)>) {
    let mut entries: Vec<_> = fs::read_dir(dir).unwrap().map(|e| e.unwrap()).collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        let path = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        let is_dir = e.file_type().unwrap().is_dir();
        out.push((path.clone(), is_dir));
        if is_dir {
            walk(&e.path(), &path, out);
        }
    }
}

/// The ids a scanner raises on a root filesystem with `meta` overrides and an optional
/// image config.
fn raised(
    scanner: &BaselineScanner,
    dir: &Path,
    meta: &str,
    config: Option<&ImageConfig>,
) -> Vec<(String, String)> {
    let overrides: BTreeMap<&str, (u32, u64, u64)> = meta
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let mode = u32::from_str_radix(f[1], 8).unwrap();
            (f[0], (mode, f[2].parse().unwrap(), f[3].parse().unwrap()))
        })
        .collect();
    let mut paths = Vec::new();
    walk(dir, "", &mut paths);
    let layer = LayerRef {
        index: 0,
        diff_id: None,
    };
    let mut entries = Vec::new();
    let mut wanted: Vec<(String, Vec<u8>, u32, u64, u64)> = Vec::new();
    for (path, is_dir) in &paths {
        let (mode, uid, gid) = overrides.get(path.as_str()).copied().unwrap_or(if *is_dir {
            (0o755, 0, 0)
        } else {
            (0o644, 0, 0)
        });
        let content = if *is_dir {
            Vec::new()
        } else {
            fs::read(dir.join(path)).unwrap()
        };
        let size = content.len() as u64;
        if !is_dir && scanner.wants_sized(path, size) {
            wanted.push((path.clone(), content, mode, uid, gid));
        }
        entries.push(Entry {
            path: path.clone(),
            kind: if *is_dir {
                EntryKind::Dir
            } else {
                EntryKind::File
            },
            mode,
            uid,
            gid,
            size,
            mtime: 0,
            layer: 0,
        });
    }
    // What the runner hands over: the wanted files, sorted by path (`paths` is).
    let files: Vec<ContentFile<'_>> = wanted
        .iter()
        .map(|(path, content, mode, uid, gid)| ContentFile {
            path,
            content,
            layer: &layer,
            mode: *mode,
            uid: *uid,
            gid: *gid,
        })
        .collect();
    for file in &files {
        assert!(scanner.scan(file).is_empty());
    }
    let mut tree = FileTree::new();
    tree.apply_layer(entries, &mut |_| {});
    scanner
        .scan_image(&ImageContext {
            config,
            tree: &tree,
            files: &files,
        })
        .into_iter()
        .map(|h| (h.rule_id, h.message))
        .collect()
}

fn scanner_for(rule_dir: &Path) -> BaselineScanner {
    let config = match fs::read_to_string(rule_dir.join("baseline.yaml")) {
        Ok(text) => yaml_serde::from_str::<BaselineConfig>(&text).unwrap(),
        Err(_) => BaselineConfig::default(),
    };
    BaselineScanner::new(&config, &[]).unwrap()
}

fn run_case(rule_dir: &Path, case: &str) -> Vec<(String, String)> {
    let scanner = scanner_for(rule_dir);
    let meta = fs::read_to_string(rule_dir.join(format!("{case}.meta"))).unwrap_or_default();
    let config: Option<ImageConfig> = fs::read(rule_dir.join(format!("{case}.config.json")))
        .ok()
        .map(|b| serde_json::from_slice(&b).unwrap());
    raised(&scanner, &rule_dir.join(case), &meta, config.as_ref())
}

#[test]
fn every_rule_fails_its_fail_fixture_and_passes_its_pass_fixture() {
    for rule in RULES {
        let dir = root().join(rule.id);
        assert!(dir.is_dir(), "{}: no fixture directory", rule.id);
        let fail = run_case(&dir, "fail");
        assert!(
            fail.iter().any(|(id, _)| id == rule.id),
            "{}: fail fixture not flagged: {fail:?}",
            rule.id
        );
        let pass = run_case(&dir, "pass");
        assert!(
            !pass.iter().any(|(id, _)| id == rule.id),
            "{}: pass fixture flagged: {pass:?}",
            rule.id
        );
    }
}

#[test]
fn findings_name_the_line_and_the_drop_in_that_sets_the_value() {
    let dir = root().join("ASSAY-BL-010");
    let scanner = scanner_for(&dir);
    let mut paths = Vec::new();
    walk(&dir.join("fail"), "", &mut paths);
    let layer = LayerRef {
        index: 0,
        diff_id: None,
    };
    let contents: Vec<(&String, Vec<u8>)> = paths
        .iter()
        .filter(|(path, is_dir)| !is_dir && scanner.wants(path))
        .map(|(path, _)| (path, fs::read(dir.join("fail").join(path)).unwrap()))
        .collect();
    let files: Vec<ContentFile<'_>> = contents
        .iter()
        .map(|(path, content)| ContentFile {
            path,
            content,
            layer: &layer,
            mode: 0o644,
            uid: 0,
            gid: 0,
        })
        .collect();
    let tree = FileTree::new();
    let hits = scanner.scan_image(&ImageContext {
        config: None,
        tree: &tree,
        files: &files,
    });
    let hit = hits.iter().find(|h| h.rule_id == "ASSAY-BL-010").unwrap();
    // The drop-in is read before sshd_config, as sshd does with its Include at the top.
    assert_eq!(
        hit.path.as_deref(),
        Some("etc/ssh/sshd_config.d/50-cloud.conf")
    );
    assert_eq!(hit.line, Some(1));
    assert_eq!(hit.message, "PermitRootLogin is \"yes\", expected \"no\"");
}

#[test]
fn os_rules_do_not_apply_when_the_software_is_absent() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("etc")).unwrap();
    fs::write(dir.path().join("etc/hostname"), "x\n").unwrap();
    let hits = raised(&BaselineScanner::builtin(), dir.path(), "", None);
    assert!(hits.is_empty(), "{hits:?}");
}

const PROFILE: &str = r#"
profile: acme-linux
description: ACME's hardening on top of the built-in baseline
disable: [ASSAY-BL-012]
rules:
  - id: ACME-SSH-001
    title: SSH idle sessions are not cut
    severity: medium
    description: Idle sessions stay open forever.
    remediation: Set ClientAliveInterval 300.
    equivalents: [cis-linux:5.2.16]
    check:
      kind: setting
      file: /etc/ssh/sshd_config
      key: ClientAliveInterval
      expect: {min: 1, max: 300}
  - id: ACME-BANNER-001
    title: No legal banner
    severity: low
    check:
      kind: file-contains
      file: etc/issue.net
      pattern: "(?i)authorized use only"
  - id: ACME-TELNET-001
    title: telnet client installed
    severity: high
    check: {kind: file-absent, path: usr/bin/telnet}
  - id: ACME-LABEL-001
    title: Image has no owner label
    severity: low
    check: {kind: image-label, key: com.acme.owner, pattern: "^team-"}
"#;

#[test]
fn profile_rules_run_with_their_own_ids_and_disable_builtins() {
    let profile = baseline::parse_profile("acme.yaml", PROFILE).unwrap();
    let scanner = BaselineScanner::new(&BaselineConfig::default(), &[profile]).unwrap();
    assert!(scanner.rule_ids().any(|id| id == "ACME-SSH-001"));
    assert!(!scanner.rule_ids().any(|id| id == "ASSAY-BL-012"));
    assert_eq!(scanner.rule_docs().len(), 4);

    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir_all(root.join("etc/ssh")).unwrap();
    fs::create_dir_all(root.join("usr/bin")).unwrap();
    fs::write(
        root.join("etc/ssh/sshd_config"),
        "PermitRootLogin no\nMaxAuthTries 3\nX11Forwarding yes\nClientAliveInterval 0\n",
    )
    .unwrap();
    fs::write(root.join("etc/issue.net"), "Welcome\n").unwrap();
    fs::write(root.join("usr/bin/telnet"), "elf\n").unwrap();
    let config: ImageConfig = serde_json::from_str(
        r#"{"architecture":"amd64","os":"linux","config":{"User":"app","Labels":{"com.acme.owner":"bob"}},"rootfs":{"type":"layers","diff_ids":[]},"history":[{"created_by":"HEALTHCHECK CMD true"}]}"#,
    )
    .unwrap();
    let hits = raised(
        &scanner,
        root,
        "etc/ssh/sshd_config 0600 0 0\n",
        Some(&config),
    );
    let ids: Vec<&str> = hits.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "ACME-SSH-001",
            "ACME-BANNER-001",
            "ACME-TELNET-001",
            "ACME-LABEL-001",
        ],
        "{hits:?}"
    );
    assert_eq!(hits[0].1, "ClientAliveInterval is 0, less than 1");

    fs::write(
        root.join("etc/ssh/sshd_config"),
        "PermitRootLogin no\nMaxAuthTries 3\nClientAliveInterval 300\n",
    )
    .unwrap();
    fs::write(root.join("etc/issue.net"), "Authorized use only.\n").unwrap();
    fs::remove_file(root.join("usr/bin/telnet")).unwrap();
    let config: ImageConfig = serde_json::from_str(
        r#"{"architecture":"amd64","os":"linux","config":{"User":"app","Labels":{"com.acme.owner":"team-web"}},"rootfs":{"type":"layers","diff_ids":[]},"history":[{"created_by":"HEALTHCHECK CMD true"}]}"#,
    )
    .unwrap();
    let hits = raised(
        &scanner,
        root,
        "etc/ssh/sshd_config 0600 0 0\n",
        Some(&config),
    );
    assert!(hits.is_empty(), "{hits:?}");
}

#[test]
fn the_documented_example_profile_is_valid() {
    let path = root().join("example-profile.yaml");
    let profile = baseline::load_profile(&path).unwrap();
    assert!(!profile.rules.is_empty());
    BaselineScanner::new(&BaselineConfig::default(), &[profile]).unwrap();
}
