//! Every secret rule has a failing and a passing fixture under
//! `fixtures/rules/secret/<ID>/` (see the README there): `fail*` entries must raise the
//! rule, `pass*` entries must not. Tokens in fixture files are split with `%%`, removed here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};

use assay_analyze::content::{ContentFile, LayerRef, Scanner};
use assay_analyze::secrets::{self, SecretScanner};

fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/rules/secret")
}

/// The fixture's bytes with the `%%` split markers removed.
fn load(file: &Path) -> Vec<u8> {
    let bytes = fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i..].starts_with(b"%%") {
            i += 2;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

/// Rule ids raised by scanning `content` as the file at `path`.
fn raised(path: &str, content: &[u8]) -> Vec<String> {
    if path.ends_with(".config.json") {
        let config: assay_oci::ImageConfig = serde_json::from_slice(content).unwrap();
        return secrets::scan_config(&config)
            .into_iter()
            .map(|h| h.rule_id)
            .collect();
    }
    let layer = LayerRef {
        index: 0,
        diff_id: None,
    };
    let file = ContentFile {
        path,
        content,
        layer: &layer,
        mode: 0o644,
        uid: 0,
        gid: 0,
    };
    if !SecretScanner.wants(path) {
        return Vec::new();
    }
    SecretScanner
        .scan(&file)
        .into_iter()
        .map(|h| h.rule_id)
        .collect()
}

/// (path as scanned, file on disk) for a fixture entry.
fn files_of(entry: &Path) -> Vec<(String, PathBuf)> {
    if entry.is_file() {
        let name = entry.file_name().unwrap().to_string_lossy().into_owned();
        return vec![(name, entry.to_path_buf())];
    }
    let mut out = Vec::new();
    let mut stack = vec![entry.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in fs::read_dir(&dir).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(entry).unwrap();
                out.push((rel.to_string_lossy().replace('\\', "/"), path));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_secret_rule_fails_its_failing_fixture_and_passes_its_passing_one() {
    let mut problems = Vec::new();
    for rule in secrets::RULES {
        let dir = fixtures_root().join(rule.id);
        let Ok(entries) = fs::read_dir(&dir) else {
            problems.push(format!("{}: no fixture folder {}", rule.id, dir.display()));
            continue;
        };
        let mut entries: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
        entries.sort();
        let (mut fails, mut passes) = (0, 0);
        for entry in entries {
            let name = entry.file_name().unwrap().to_string_lossy().into_owned();
            let failing = name.starts_with("fail");
            if !failing && !name.starts_with("pass") {
                continue;
            }
            let ids: Vec<String> = files_of(&entry)
                .iter()
                .flat_map(|(path, file)| raised(path, &load(file)))
                .collect();
            let hit = ids.iter().any(|id| id == rule.id);
            if failing {
                fails += 1;
                if !hit {
                    problems.push(format!("{}: {name} raised {ids:?}, not the rule", rule.id));
                }
            } else {
                passes += 1;
                if hit {
                    problems.push(format!("{}: {name} raised the rule", rule.id));
                }
            }
        }
        if fails == 0 || passes == 0 {
            problems.push(format!(
                "{}: needs a fail and a pass fixture ({fails} fail, {passes} pass)",
                rule.id
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn fixture_files_never_hold_a_whole_token() {
    // The repository copy must not match the token patterns: only the test-time join does.
    let mut problems = Vec::new();
    for rule in secrets::RULES {
        for entry in fs::read_dir(fixtures_root().join(rule.id)).unwrap() {
            for (path, file) in files_of(&entry.unwrap().path()) {
                let raw = fs::read(&file).unwrap();
                if raw.contains(&0) {
                    continue;
                }
                let ids: Vec<String> = secrets::scan_text(&path, &raw)
                    .into_iter()
                    .map(|h| h.rule_id)
                    .filter(|id| id.as_str() < "ASSAY-SEC-035" && id != "ASSAY-SEC-002")
                    .collect();
                if !ids.is_empty() {
                    problems.push(format!("{}: {ids:?}", file.display()));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
