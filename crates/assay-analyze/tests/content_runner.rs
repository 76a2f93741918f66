//! The content-scanner runner over generated images: every layer's version of a file is
//! scanned, a version a later layer deleted or replaced is reported as still in the image,
//! the image config is checked, and a `dir:`-style directory scan has no layers.
#![allow(clippy::unwrap_used)]

use assay_analyze::content::{self, Detection, Scanner};
use assay_analyze::secrets::SecretScanner;

/// Only the secret scanner: other scanners' checks are tested on their own.
const SECRET: &[&dyn Scanner] = &[&SecretScanner];
use assay_oci::testing::{ImageSpec, LayerSpec, LayoutBuilder};
use assay_oci::{Image, Limits, OciLayout, WalkOptions};

/// A classic GitHub token, built here so the repository holds no token-shaped string.
fn token() -> String {
    let mut t = String::from("ghp");
    t.push('_');
    t.push_str("FAKE0123456789abcdefghijklmnopqrstuv");
    t
}

fn scan(spec: ImageSpec) -> Vec<Detection> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("layout");
    LayoutBuilder::new().image(Some("t"), spec).write(&path);
    let source = OciLayout::open(&path, Some("t")).unwrap();
    let image = Image::open(&source, None, &Limits::default()).unwrap();
    content::scan_image(&source, &image, SECRET, &WalkOptions::default())
        .unwrap()
        .detections
}

#[test]
fn reports_a_secret_a_later_layer_deleted_as_still_in_the_image() {
    let config = format!("github:\n  token: {}\n", token());
    let detections = scan(
        ImageSpec::new()
            .layer(LayerSpec::new().file("app/config.yml", &config))
            .layer(LayerSpec::new().whiteout("app/config.yml")),
    );
    let hit = detections
        .iter()
        .find(|d| d.hit.rule_id == "ASSAY-SEC-010")
        .unwrap_or_else(|| panic!("{detections:#?}"));
    assert_eq!(hit.path, "app/config.yml");
    let layer = hit.layer.as_ref().unwrap();
    assert_eq!(layer.index, 0);
    assert!(layer.diff_id.as_deref().unwrap().starts_with("sha256:"));
    let hidden = hit.hidden.as_ref().unwrap();
    assert_eq!(hidden.by.index, 1);
    assert!(!hidden.replaced);
    assert_eq!(hit.hit.line, Some(2));
    let secret = hit.hit.secret.as_ref().unwrap();
    assert_eq!(secret.redacted, "ghp_****");
    assert!(!format!("{detections:?}").contains(&token()));
}

#[test]
fn a_replaced_version_is_hidden_and_the_final_one_is_not() {
    let detections = scan(
        ImageSpec::new()
            .layer(LayerSpec::new().file("app/.env", format!("TOKEN={}\n", token())))
            .layer(LayerSpec::new().file("app/.env", "TOKEN=\n")),
    );
    let found: Vec<(&str, usize, bool)> = detections
        .iter()
        .map(|d| {
            (
                d.hit.rule_id.as_str(),
                d.layer.as_ref().unwrap().index,
                d.hidden.as_ref().is_some_and(|h| h.replaced),
            )
        })
        .collect();
    assert!(found.contains(&("ASSAY-SEC-010", 0, true)), "{found:?}");
    assert!(found.iter().all(|(_, layer, _)| *layer == 0), "{found:?}");
}

#[test]
fn a_secret_still_visible_is_not_hidden_and_config_env_is_checked() {
    let mut password = String::from("Fake");
    password.push_str("Pass9w0rd");
    let detections = scan(
        ImageSpec::new()
            .env(&format!("DB_PASSWORD={password}"))
            .layer(LayerSpec::new().file(
                "root/.git-credentials",
                format!("https://ci:{password}@git.example.com\n"),
            )),
    );
    let ids: Vec<&str> = detections.iter().map(|d| d.hit.rule_id.as_str()).collect();
    assert!(ids.contains(&"ASSAY-SEC-108"), "{ids:?}");
    assert!(ids.contains(&"ASSAY-SEC-053"), "{ids:?}");
    assert!(detections.iter().all(|d| d.hidden.is_none()));
    let env = detections
        .iter()
        .find(|d| d.hit.rule_id == "ASSAY-SEC-053")
        .unwrap();
    assert_eq!(env.path, "image config: Env");
    assert!(env.layer.is_none());
    assert!(!format!("{detections:?}").contains(&password));
}

#[test]
fn skips_package_trees_and_binaries() {
    let mut binary = vec![0u8; 16];
    binary.extend_from_slice(token().as_bytes());
    let detections = scan(
        ImageSpec::new().layer(
            LayerSpec::new()
                .file(
                    "usr/share/doc/x/example.conf",
                    format!("token: {}\n", token()),
                )
                .file("app/blob.dat", binary),
        ),
    );
    assert!(detections.is_empty(), "{detections:#?}");
}

#[test]
fn directory_scans_have_paths_relative_to_the_directory_and_no_layer() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("conf")).unwrap();
    std::fs::write(
        dir.path().join("conf/app.ini"),
        format!("token = {}\n", token()),
    )
    .unwrap();
    let scan = content::scan_directory(dir.path(), SECRET, &WalkOptions::default()).unwrap();
    assert_eq!(scan.detections.len(), 1, "{:#?}", scan.detections);
    assert_eq!(scan.detections[0].path, "conf/app.ini");
    assert!(scan.detections[0].layer.is_none());
}

#[test]
fn an_opaque_directory_hides_earlier_secrets_but_they_are_reported() {
    let detections = scan(
        ImageSpec::new()
            .layer(LayerSpec::new().file("srv/app/settings.ini", format!("token = {}\n", token())))
            .layer(
                LayerSpec::new()
                    .opaque("srv/app")
                    .file("srv/app/settings.ini", "token =\n"),
            ),
    );
    let hit = detections
        .iter()
        .find(|d| d.hit.rule_id == "ASSAY-SEC-010")
        .unwrap_or_else(|| panic!("{detections:#?}"));
    assert_eq!(hit.layer.as_ref().unwrap().index, 0);
    assert_eq!(hit.hidden.as_ref().unwrap().by.index, 1);
}
