//! Java archives: a real Debian jar, a war and an ear nesting it (fixtures/catalog/java).
#![allow(clippy::unwrap_used)]

mod catalogers;

use assay_analyze::Cataloger;
use assay_analyze::lang::java::JavaArchive;
use catalogers::{catalog, purls};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/catalog/java/");

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}{name}")).unwrap()
}

const SLF4J: &str = "org.slf4j:jul-to-slf4j@1.7.32 pkg:maven/org.slf4j/jul-to-slf4j@1.7.32";
const PLAIN: &str = "com.example:plain-lib@3.1 pkg:maven/com.example/plain-lib@3.1";

#[test]
fn reads_pom_properties_of_a_real_jar() {
    let packages = catalog(
        &JavaArchive,
        "usr/share/java/jul-to-slf4j.jar",
        &fixture("jul-to-slf4j-1.7.32.jar"),
    );
    assert_eq!(purls(&packages), [SLF4J]);
    assert_eq!(packages[0].ecosystem, "Maven");
}

#[test]
fn takes_licenses_from_the_pom_xml_next_to_pom_properties() {
    let packages = catalog(
        &JavaArchive,
        "usr/share/java/error-prone-type-annotations.jar",
        &fixture("error_prone_type_annotations-2.18.0.jar"),
    );
    assert_eq!(
        purls(&packages),
        ["com.google.errorprone:error_prone_type_annotations@2.18.0 \
          pkg:maven/com.google.errorprone/error_prone_type_annotations@2.18.0"]
    );
    assert_eq!(packages[0].licenses, ["Apache 2.0"]);
}

#[test]
fn reads_jars_nested_in_a_war_and_an_ear_with_manifest_fallback_and_license() {
    let war = catalog(&JavaArchive, "opt/app/app.war", &fixture("app.war"));
    assert_eq!(purls(&war), [PLAIN, SLF4J]);
    let plain = war.iter().find(|p| p.name.ends_with("plain-lib")).unwrap();
    assert_eq!(plain.licenses, ["Apache-2.0"]);
    let ear = catalog(&JavaArchive, "opt/app/app.ear", &fixture("app.ear"));
    assert_eq!(purls(&ear), [PLAIN, SLF4J]);
}

/// A jar holding `pom.properties` for `level{depth}` and, inside, the next level's jar.
fn nested_jar(depth: usize, levels: usize) -> Vec<u8> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file(
        format!("META-INF/maven/org.example/level{depth}/pom.properties"),
        options,
    )
    .unwrap();
    write!(
        zip,
        "groupId=org.example\nartifactId=level{depth}\nversion=1.0.{depth}\n"
    )
    .unwrap();
    if depth + 1 < levels {
        zip.start_file(format!("lib/level{}.jar", depth + 1), options)
            .unwrap();
        zip.write_all(&nested_jar(depth + 1, levels)).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

#[test]
fn stops_at_a_fixed_nesting_depth() {
    let packages = catalog(&JavaArchive, "app/deep.jar", &nested_jar(0, 8));
    let names: Vec<&str> = packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "org.example:level0",
            "org.example:level1",
            "org.example:level2",
            "org.example:level3"
        ]
    );
}

#[test]
fn wants_archives_only_and_rejects_broken_ones() {
    assert!(JavaArchive.wants("x/lib/a.JAR"));
    assert!(!JavaArchive.wants("x/lib/a.jar.sha1"));
    let error = catalogers::error(&JavaArchive, "app/lib/broken.jar", b"PK\x03\x04 not really");
    assert!(error.contains("not a readable zip archive"), "{error}");
}
