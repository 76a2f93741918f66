//! rpm: the same two packages read from the sqlite, Berkeley DB and ndb databases that real
//! rpm tools wrote (see fixtures/catalog/rpm/README.md).
#![allow(clippy::unwrap_used)]

use assay_analyze::os::rpm::Rpm;
use assay_analyze::{Cataloger, File, parse_os_release};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/catalog/rpm/");

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}{name}")).unwrap()
}

fn summary(path: &str, content: &[u8], os_release: &str) -> Vec<String> {
    let distro = parse_os_release(os_release).unwrap();
    let file = File {
        path,
        content,
        layer: Some("sha256:l1"),
        distro: Some(&distro),
    };
    assert!(Rpm.wants(path), "{path}");
    Rpm.catalog(&file)
        .unwrap()
        .iter()
        .map(|p| {
            assert_eq!(p.layer.as_deref(), Some("sha256:l1"));
            assert_eq!(p.path, path);
            format!(
                "{} {} {} src={} {} {:?} {}",
                p.ecosystem,
                p.name,
                p.version,
                p.source_name.as_deref().unwrap_or("-"),
                p.source_version.as_deref().unwrap_or("-"),
                p.licenses,
                p.purl.as_deref().unwrap_or("-"),
            )
        })
        .collect()
}

const UBI9: &str =
    "NAME=\"Red Hat Enterprise Linux\"\nVERSION=\"9.4 (Plow)\"\nID=\"rhel\"\nVERSION_ID=\"9.4\"\n";

fn expected(namespace: &str, ecosystem: &str, distro: &str) -> Vec<String> {
    vec![
        format!(
            "{ecosystem} foo-devel 0.9-1.fc40 src=foo 0.9-1.fc40 [\"ASL 2.0\"] \
             pkg:rpm/{namespace}/foo-devel@0.9-1.fc40?arch=noarch&distro={distro}&upstream=foo-0.9-1.fc40.src.rpm"
        ),
        format!(
            "{ecosystem} hello-tiny 2:1.2.3-4.el9 src=hello-tiny 2:1.2.3-4.el9 \
             [\"MIT AND (GPL-2.0-or-later OR BSD-3-Clause)\"] \
             pkg:rpm/{namespace}/hello-tiny@1.2.3-4.el9?arch=x86_64&distro={distro}&epoch=2&upstream=hello-tiny-1.2.3-4.el9.src.rpm"
        ),
    ]
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn reads_the_sqlite_rpmdb_of_rhel9() {
    let got = summary("var/lib/rpm/rpmdb.sqlite", &fixture("rpmdb.sqlite"), UBI9);
    assert_eq!(sorted(got), expected("redhat", "Red Hat", "rhel-9.4"));
}

#[test]
fn reads_the_berkeley_db_packages_of_rhel8_derivatives() {
    let rocky = "ID=\"rocky\"\nVERSION_ID=\"8.9\"\n";
    let got = summary("var/lib/rpm/Packages", &fixture("Packages"), rocky);
    assert_eq!(sorted(got), expected("rocky", "Rocky Linux", "rocky-8.9"));
}

#[test]
fn reads_the_ndb_of_suse() {
    let sles = "NAME=\"SLES\"\nVERSION=\"15-SP5\"\nID=\"sles\"\nVERSION_ID=\"15.5\"\n";
    let got = summary(
        "usr/lib/sysimage/rpm/Packages.db",
        &fixture("Packages.db"),
        sles,
    );
    assert_eq!(sorted(got), expected("suse", "SUSE", "sles-15.5"));
}

#[test]
fn the_three_formats_agree_on_a_distro_osv_does_not_cover() {
    let amzn = "ID=\"amzn\"\nVERSION_ID=\"2\"\n";
    let sqlite = summary(
        "usr/lib/sysimage/rpm/rpmdb.sqlite",
        &fixture("rpmdb.sqlite"),
        amzn,
    );
    let bdb = summary("var/lib/rpm/Packages", &fixture("Packages"), amzn);
    let ndb = summary(
        "usr/lib/sysimage/rpm/Packages.db",
        &fixture("Packages.db"),
        amzn,
    );
    assert_eq!(
        sorted(sqlite.clone()),
        expected("amazon", "Amazon Linux", "amzn-2")
    );
    assert_eq!(sorted(sqlite.clone()), sorted(bdb));
    assert_eq!(sorted(sqlite), sorted(ndb));
}

#[test]
fn corrupt_databases_are_one_line_errors_naming_the_file() {
    let distro = parse_os_release(UBI9).unwrap();
    let mut cut = fixture("rpmdb.sqlite");
    cut.truncate(3000);
    let mut zeroed_bdb = fixture("Packages");
    zeroed_bdb[12..16].copy_from_slice(&[0; 4]);
    let mut bad_ndb = fixture("Packages.db");
    bad_ndb[4096] = b'X';
    let cases: [(&str, Vec<u8>); 4] = [
        ("var/lib/rpm/rpmdb.sqlite", cut),
        ("var/lib/rpm/rpmdb.sqlite", b"SQLite format 2\0".repeat(10)),
        ("var/lib/rpm/Packages", zeroed_bdb),
        ("usr/lib/sysimage/rpm/Packages.db", bad_ndb),
    ];
    for (path, content) in cases {
        let file = File {
            path,
            content: &content,
            layer: None,
            distro: Some(&distro),
        };
        let error = Rpm.catalog(&file).unwrap_err().to_string();
        assert!(error.starts_with(&format!("{path}: ")), "{error}");
        assert!(!error.contains('\n'), "{error}");
    }
}
