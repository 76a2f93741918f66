//! `assay promote`, `approve`, `approvals`, `history` end to end with the real binary on two
//! registries (test: anonymous; prod: basic auth), with evidence made by `assay sign` and
//! `assay attest`: refused with exit 4 and prod untouched until the evidence is complete,
//! then promoted with identical digests, verifiable in prod, and idempotent.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use assay_oci::copy::{CopyOptions, Endpoint, Location, Place};
use assay_oci::testing::{ImageSpec, LayerSpec, LayoutBuilder};
use assay_oci::{Reference, RegistryAuth};
use assay_testkit::Registry;
use assay_testkit::auth::AuthRegistry;
use common::{EPOCH, assay_in, run};

const PASSWORD: &str = "demo-password";

fn cmd(dir: &Path, prod: &AuthRegistry) -> assert_cmd::Command {
    let mut c = assay_in(dir);
    c.env("ASSAY_PASSWORD", PASSWORD)
        .env("ASSAY_REGISTRY_USERNAME", prod.username())
        .env("ASSAY_REGISTRY_PASSWORD", prod.password())
        .env("HOME", dir);
    c
}

/// Table output with runs of spaces folded, so assertions do not depend on column widths.
fn flat(text: &str) -> String {
    text.split(' ')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn ok(c: &mut assert_cmd::Command) -> String {
    let (code, out, err) = run(c);
    assert_eq!(code, 0, "stdout: {out}\nstderr: {err}");
    out
}

fn policy(dir: &Path) {
    std::fs::write(
        dir.join("policy.yaml"),
        "version: 1
sources:
  registries: [\"127.0.0.1:*\"]
signatures:
  keys:
    - name: build
      key: keys/build.pub
attestations:
  sbom: true
  scan:
    maxAge: 24h
    maxSeverity: high
approvals:
  required: 2
  releaseManagers:
    - name: release-manager-1
      key: keys/rm1.pub
    - name: release-manager-2
      key: keys/rm2.pub
",
    )
    .unwrap();
}

fn prod_tag(prod: &AuthRegistry, image: &str) -> Option<String> {
    let mut e = Endpoint::new(Location::Registry(
        Reference::parse(&format!("{}/{image}", prod.host())).unwrap(),
    ));
    e.auth = RegistryAuth::Basic {
        username: prod.username().into(),
        password: prod.password().into(),
    };
    let place = Place::open(&e, false).unwrap();
    let tag = image.rsplit_once(':').unwrap().1;
    place.tag_digest(tag).unwrap().map(|d| d.to_string())
}

#[test]
fn promotes_only_signed_attested_and_approved_images() {
    let Some(test) = Registry::start_or_skip("cli_promote") else {
        return;
    };
    let Some(prod) = AuthRegistry::start_or_skip("cli_promote", "release", "s3cret") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir(dir.join("keys")).unwrap();
    for name in ["build", "rm1", "rm2", "promoter"] {
        ok(cmd(dir, &prod).args([
            "key",
            "generate",
            "--output-key-prefix",
            &format!("keys/{name}"),
        ]));
    }
    policy(dir);
    LayoutBuilder::new()
        .index(
            Some("1.0"),
            vec![
                ImageSpec::new().layer(LayerSpec::new().file("app/run", "amd64")),
                ImageSpec::new()
                    .platform("linux/arm64")
                    .layer(LayerSpec::new().file("app/run", "arm64")),
            ],
        )
        .write(&dir.join("build"));
    let src = format!("{}/team/app:1.0", test.host());
    let dst = format!("{}/prod/app:1.0", prod.host());
    let staged = assay_oci::copy::copy(
        &Endpoint::new(Location::Layout {
            dir: dir.join("build"),
            tag: Some("1.0".into()),
        }),
        &Endpoint::new(Location::Registry(Reference::parse(&src).unwrap())),
        &CopyOptions::default(),
    )
    .unwrap();
    let digest = staged.destination_digest.to_string();
    let promote = |extra: &[&str]| {
        let mut c = cmd(dir, &prod);
        c.args([
            "promote",
            &src,
            &dst,
            "--policy",
            "policy.yaml",
            "--key",
            "keys/promoter.key",
        ])
        .args(["--audit-log", "audit.jsonl"])
        .args(extra);
        let (code, out, err) = run(&mut c);
        (code, flat(&out), err)
    };

    // Nothing attached: denied, every evidence row fails, prod untouched.
    let (code, out, err) = promote(&[]);
    assert_eq!(code, 4, "{out}{err}");
    assert!(out.contains("signature"), "{out}");
    assert!(out.contains("FAIL no signature found"), "{out}");
    assert!(
        err.contains("denied: signature: no signature found"),
        "{err}"
    );
    assert_eq!(prod_tag(&prod, "prod/app:1.0"), None);

    // Build evidence with the signing commands.
    ok(cmd(dir, &prod).args(["sign", &src, "--key", "keys/build.key"]));
    std::fs::write(
        dir.join("sbom.json"),
        r#"{"bomFormat":"CycloneDX","specVersion":"1.6"}"#,
    )
    .unwrap();
    ok(cmd(dir, &prod).args([
        "attest",
        &src,
        "--predicate",
        "sbom.json",
        "--type",
        "cyclonedx",
        "--key",
        "keys/build.key",
    ]));
    let scanned = jiff::Timestamp::from_second(EPOCH.parse::<i64>().unwrap() - 3600).unwrap();
    std::fs::write(
        dir.join("scan.json"),
        serde_json::json!({
            "scanner": {"uri": "https://github.com/assay-dev/assay", "version": "0.1.0",
                        "db": {"version": "2026-01-01"},
                        "result": {"vulnerabilities": [{"id": "CVE-2025-1", "severity": "HIGH"}]}},
            "metadata": {"scanStartedOn": scanned.to_string(), "scanFinishedOn": scanned.to_string()}
        })
        .to_string(),
    )
    .unwrap();
    ok(cmd(dir, &prod).args([
        "attest",
        &src,
        "--predicate",
        "scan.json",
        "--type",
        "vuln",
        "--key",
        "keys/build.key",
    ]));
    ok(cmd(dir, &prod).args([
        "approve",
        &src,
        "--key",
        "keys/rm1.key",
        "--comment",
        "CAB-1",
    ]));

    // One approval of two: denied on approvals only.
    let (code, out, _) = promote(&[]);
    assert_eq!(code, 4, "{out}");
    assert!(out.contains("pass signed by build"), "{out}");
    assert!(
        out.contains("pass scanned 1h ago, db 2026-01-01: 1 high"),
        "{out}"
    );
    assert!(
        out.contains(
            "FAIL approved by release-manager-1 (1 of 2 required); not yet: release-manager-2"
        ),
        "{out}"
    );
    assert_eq!(prod_tag(&prod, "prod/app:1.0"), None);

    let listed = flat(&ok(cmd(dir, &prod).args([
        "approvals",
        &src,
        "--policy",
        "policy.yaml",
    ])));
    assert!(
        listed.contains("approve release-manager-1 verified"),
        "{listed}"
    );

    ok(cmd(dir, &prod).args(["approve", &src, "--key", "keys/rm2.key"]));

    // Dry run: allowed, a plan, nothing written.
    let (code, out, err) = promote(&["--dry-run"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("PLAN") && out.contains("copy blob"), "{out}");
    assert_eq!(prod_tag(&prod, "prod/app:1.0"), None);

    let (code, out, err) = promote(&[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("promoted: "), "{out}");
    assert_eq!(prod_tag(&prod, "prod/app:1.0"), Some(digest.clone()));
    ok(cmd(dir, &prod).args(["verify", &dst, "--key", "keys/build.pub"]));

    let (code, out, _) = promote(&[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("already promoted: ") && out.contains("0 objects written"),
        "{out}"
    );

    let history = flat(&ok(cmd(dir, &prod).args([
        "history",
        &dst,
        "--key",
        "keys/promoter.pub",
    ])));
    assert!(
        history.contains("release-manager-1,release-manager-2"),
        "{history}"
    );
    assert!(history.contains("signed by promoter"), "{history}");
    let log = std::fs::read_to_string(dir.join("audit.jsonl")).unwrap();
    assert_eq!(log.lines().count(), 1, "{log}");
    let record: serde_json::Value = serde_json::from_str(log.trim()).unwrap();
    assert_eq!(record["destinationDigest"], digest.as_str());
    assert_eq!(record["time"], "2026-01-01T00:00:00Z");
    let logged = ok(cmd(dir, &prod).args([
        "history",
        &dst,
        "--audit-log",
        "audit.jsonl",
        "--format",
        "json",
    ]));
    assert!(logged.contains(&digest), "{logged}");

    // A rejection blocks a later promotion to another repository.
    ok(cmd(dir, &prod).args([
        "approve",
        &src,
        "--key",
        "keys/rm2.key",
        "--reject",
        "--comment",
        "hold",
    ]));
    let mut c = cmd(dir, &prod);
    c.args([
        "promote",
        &src,
        &format!("{}/prod/other:1.0", prod.host()),
        "--policy",
        "policy.yaml",
        "--key",
        "keys/promoter.key",
    ]);
    let (code, out, _) = run(&mut c);
    let out = flat(&out);
    assert_eq!(code, 4, "{out}");
    assert!(
        out.contains("FAIL rejected by release-manager-2: hold"),
        "{out}"
    );
    assert_eq!(prod_tag(&prod, "prod/other:1.0"), None);
}

#[test]
fn a_bad_policy_is_an_input_error_naming_the_line() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("p.yaml"),
        "version: 1\napprovals:\n  requird: 2\n",
    )
    .unwrap();
    let (code, _, err) = run(assay_in(tmp.path()).args([
        "promote",
        "127.0.0.1:1/a:1",
        "127.0.0.1:1/b:1",
        "--policy",
        "p.yaml",
        "--dry-run",
    ]));
    assert_eq!(code, 2, "{err}");
    assert!(err.starts_with("assay: p.yaml:3: "), "{err}");
    assert!(err.contains("unknown field `requird`"), "{err}");
}

#[test]
fn an_unreachable_registry_is_exit_3() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("p.yaml"), "version: 1\n").unwrap();
    let (code, _, err) = run(assay_in(tmp.path()).args([
        "promote",
        "127.0.0.1:1/a:1",
        "127.0.0.1:1/b:1",
        "--policy",
        "p.yaml",
        "--dry-run",
    ]));
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("127.0.0.1:1"), "{err}");
}

/// The embedded demo: the shipped policy and demo keys, OCI layouts only, no registry.
#[test]
fn the_shipped_policy_promotes_a_layout_with_the_demo_keys() {
    let root = common::repo_root();
    let password = std::fs::read_to_string(root.join("fixtures/keys/PASSWORD")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    LayoutBuilder::new()
        .image(
            Some("1.0"),
            ImageSpec::new().layer(LayerSpec::new().file("app/run", "demo")),
        )
        .write(&dir.join("build"));
    let image = format!("oci:{}:1.0", dir.join("build").display());
    let prod = format!("oci:{}:1.0", dir.join("prod").display());
    let key = |name: &str| root.join("fixtures/keys").join(name).display().to_string();
    let demo = || {
        let mut c = common::assay();
        c.env("ASSAY_PASSWORD", password.trim());
        c
    };
    std::fs::write(dir.join("sbom.json"), r#"{"bomFormat":"CycloneDX"}"#).unwrap();
    let scanned = jiff::Timestamp::from_second(EPOCH.parse::<i64>().unwrap() - 600).unwrap();
    std::fs::write(
        dir.join("scan.json"),
        serde_json::json!({"scanner": {"result": {"vulnerabilities": []}},
                           "metadata": {"scanFinishedOn": scanned.to_string()}})
        .to_string(),
    )
    .unwrap();
    let promote_with = |policy: &str, extra: &[&str]| {
        let mut c = demo();
        c.args(["promote", &image, &prod, "--policy", policy])
            .args(["--key", &key("build.key")])
            .args(extra);
        let (code, out, err) = run(&mut c);
        (code, flat(&out), err)
    };
    let promote = || promote_with("policies/golden-image.yaml", &[]);
    // The same requirements written in Rego (policies/golden-image.rego).
    let promote_rego = |extra: &[&str]| promote_with("policies/golden-image-rego.yaml", extra);
    ok(demo().args(["sign", &image, "--key", &key("build.key")]));
    let sbom = dir.join("sbom.json").display().to_string();
    let scan = dir.join("scan.json").display().to_string();
    ok(demo().args([
        "attest",
        &image,
        "--predicate",
        &sbom,
        "--type",
        "cyclonedx",
        "--key",
        &key("build.key"),
    ]));
    ok(demo().args([
        "attest",
        &image,
        "--predicate",
        &scan,
        "--type",
        "vuln",
        "--key",
        &key("build.key"),
    ]));
    ok(demo().args(["approve", &image, "--key", &key("release-manager-1.key")]));
    let (code, out, _) = promote();
    assert_eq!(code, 4, "{out}");
    assert!(
        out.contains("FAIL approved by release-manager-1 (1 of 2 required)"),
        "{out}"
    );
    let (code, out, _) = promote_rego(&[]);
    assert_eq!(code, 4, "{out}");
    assert!(
        out.contains("approvals FAIL 1 of 2 release managers approved"),
        "{out}"
    );
    assert!(
        !dir.join("prod").exists(),
        "a denied promotion wrote the destination"
    );
    ok(demo().args(["approve", &image, "--key", &key("release-manager-2.key")]));
    let (code, out, err) = promote_rego(&["--dry-run"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("rego pass no assay.promote rule denies"),
        "{out}"
    );
    let (code, out, err) = promote();
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("pass scanned 10m ago: no findings"), "{out}");
    ok(demo().args(["verify", &prod, "--key", &key("build.pub")]));
}
