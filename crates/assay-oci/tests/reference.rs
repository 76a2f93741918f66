//! Image reference and digest parsing.
#![allow(clippy::unwrap_used)]

use assay_oci::{Digest, Reference, ReferenceError};

#[test]
fn short_names_get_docker_hub_defaults() {
    let r = Reference::parse("alpine").unwrap();
    assert_eq!(
        (r.registry(), r.repository(), r.tag()),
        ("docker.io", "library/alpine", None)
    );
    assert_eq!(r.tag_or_latest(), "latest");
    assert_eq!(r.to_string(), "docker.io/library/alpine");
    let r = Reference::parse("bitnami/redis:7.2").unwrap();
    assert_eq!(
        (r.registry(), r.repository(), r.tag()),
        ("docker.io", "bitnami/redis", Some("7.2"))
    );
    assert_eq!(
        Reference::parse("index.docker.io/library/alpine:3")
            .unwrap()
            .registry(),
        "docker.io"
    );
}

#[test]
fn hosts_ports_tags_and_digests_are_split() {
    let hex = "b".repeat(64);
    let r = Reference::parse(&format!("localhost:5000/team/app:v1.2@sha256:{hex}")).unwrap();
    assert_eq!(r.registry(), "localhost:5000");
    assert_eq!(r.repository(), "team/app");
    assert_eq!(r.tag(), Some("v1.2"));
    assert_eq!(r.digest().unwrap().hex(), hex);
    let r = Reference::parse("ghcr.io/org/tool").unwrap();
    assert_eq!((r.registry(), r.tag()), ("ghcr.io", None));
    let r = Reference::parse("registry.example.com:443/a/b/c:tag").unwrap();
    assert_eq!(
        (r.registry(), r.repository()),
        ("registry.example.com:443", "a/b/c")
    );
    assert_eq!(
        Reference::parse("[::1]:5000/app").unwrap().registry(),
        "[::1]:5000"
    );
}

#[test]
fn invalid_references_are_rejected_with_the_reason() {
    assert_eq!(Reference::parse(""), Err(ReferenceError::Empty));
    assert!(matches!(
        Reference::parse("Alpine"),
        Err(ReferenceError::Repository { .. })
    ));
    assert!(matches!(
        Reference::parse("alpine:bad tag"),
        Err(ReferenceError::Tag { .. })
    ));
    assert!(matches!(
        Reference::parse("alpine@sha256:123"),
        Err(ReferenceError::Digest { .. })
    ));
    assert!(matches!(
        Reference::parse("a//b"),
        Err(ReferenceError::Repository { .. })
    ));
    assert!(matches!(
        Reference::parse("bad_host.com:99999999/app"),
        Err(ReferenceError::Host { .. })
    ));
    assert!(matches!(
        Reference::parse(&"a".repeat(300)),
        Err(ReferenceError::TooLong(_))
    ));
}

#[test]
fn digests_are_validated_so_their_hex_is_a_safe_file_name() {
    assert!(Digest::parse("sha256:../../../etc/passwd").is_err());
    assert!(Digest::parse(&format!("sha512:{}", "0".repeat(128))).is_ok());
    assert!(Digest::parse(&format!("sha512:{}", "0".repeat(64))).is_err());
    let d: Digest = serde_json::from_str(&format!("\"sha256:{}\"", "c".repeat(64))).unwrap();
    assert_eq!(
        serde_json::to_string(&d).unwrap(),
        format!("\"sha256:{}\"", "c".repeat(64))
    );
    assert!(serde_json::from_str::<Digest>("\"sha256:zz\"").is_err());
}
