//! yarn.lock (v1 and Berry) and pnpm-lock.yaml (v6 and v9), in the formats the tools write
//! (fixtures/catalog/node-locks).
#![allow(clippy::unwrap_used)]

mod catalogers;

use assay_analyze::lang::{pnpm::PnpmLock, yarn::YarnLock};
use catalogers::{catalog, purls};

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/catalog/node-locks/"
);

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}{name}")).unwrap()
}

const TYPES_MS: &str = "@types/ms@0.7.34 pkg:npm/%40types/ms@0.7.34";
const DEBUG: &str = "debug@4.3.4 pkg:npm/debug@4.3.4";
const MS2: &str = "ms@2.1.2 pkg:npm/ms@2.1.2";

#[test]
fn reads_a_yarn_v1_lock_and_skips_local_packages() {
    let got = purls(&catalog(
        &YarnLock,
        "app/yarn.lock",
        &fixture("yarn-v1.lock"),
    ));
    assert_eq!(got, [TYPES_MS, DEBUG, MS2, "ms@2.1.3 pkg:npm/ms@2.1.3"]);
}

#[test]
fn reads_a_yarn_berry_lock_and_skips_workspace_and_patch_entries() {
    let got = purls(&catalog(
        &YarnLock,
        "app/yarn.lock",
        &fixture("yarn-berry.lock"),
    ));
    assert_eq!(got, [TYPES_MS, DEBUG, MS2]);
}

#[test]
fn reads_pnpm_locks_v6_and_v9() {
    let v6 = purls(&catalog(
        &PnpmLock,
        "app/pnpm-lock.yaml",
        &fixture("pnpm-v6.yaml"),
    ));
    assert_eq!(
        v6,
        [
            TYPES_MS,
            DEBUG,
            MS2,
            "react-dom@18.2.0 pkg:npm/react-dom@18.2.0"
        ]
    );
    let v9 = purls(&catalog(
        &PnpmLock,
        "pnpm-lock.yaml",
        &fixture("pnpm-v9.yaml"),
    ));
    assert_eq!(v9, [TYPES_MS, DEBUG, MS2]);
}

#[test]
fn broken_locks_are_errors_naming_the_file() {
    let error = catalogers::error(&YarnLock, "yarn.lock", b"debug@^4:\n  resolved \"x\"\n");
    assert!(error.starts_with("yarn.lock:1: "), "{error}");
    let error = catalogers::error(&YarnLock, "yarn.lock", b"not a header\n");
    assert!(error.starts_with("yarn.lock:1: "), "{error}");
    catalogers::error(&PnpmLock, "pnpm-lock.yaml", b"packages: [unclosed\n");
}
