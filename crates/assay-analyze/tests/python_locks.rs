//! requirements.txt pins, poetry.lock, Pipfile.lock and uv.lock
//! (fixtures/catalog/python-locks).
#![allow(clippy::unwrap_used)]

mod catalogers;

use assay_analyze::lang::python_lock::{PipfileLock, PoetryLock, Requirements, UvLock};
use catalogers::{catalog, purls};

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/catalog/python-locks/"
);

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}{name}")).unwrap()
}

#[test]
fn reads_only_pinned_requirements() {
    let got = purls(&catalog(
        &Requirements,
        "app/requirements.txt",
        &fixture("requirements.txt"),
    ));
    assert_eq!(
        got,
        [
            "Flask@3.0.3 pkg:pypi/flask@3.0.3",
            "jinja2@3.1.4 pkg:pypi/jinja2@3.1.4",
            "urllib3@2.2.1 pkg:pypi/urllib3@2.2.1",
        ]
    );
}

#[test]
fn reads_poetry_and_uv_locks_without_local_or_vcs_packages() {
    let poetry = purls(&catalog(
        &PoetryLock,
        "poetry.lock",
        &fixture("poetry.lock"),
    ));
    assert_eq!(
        poetry,
        [
            "PyYAML@6.0.1 pkg:pypi/pyyaml@6.0.1",
            "certifi@2024.2.2 pkg:pypi/certifi@2024.2.2"
        ]
    );
    let uv = purls(&catalog(&UvLock, "svc/uv.lock", &fixture("uv.lock")));
    assert_eq!(uv, ["idna@3.7 pkg:pypi/idna@3.7"]);
}

#[test]
fn reads_default_and_develop_of_pipfile_lock() {
    let got = purls(&catalog(
        &PipfileLock,
        "Pipfile.lock",
        &fixture("Pipfile.lock"),
    ));
    assert_eq!(
        got,
        [
            "pytest@8.1.1 pkg:pypi/pytest@8.1.1",
            "requests@2.31.0 pkg:pypi/requests@2.31.0"
        ]
    );
}

#[test]
fn broken_locks_are_errors_naming_the_file() {
    catalogers::error(&PoetryLock, "poetry.lock", b"[[package]\n");
    catalogers::error(&UvLock, "uv.lock", b"[[package]]\nname = 3\n");
    catalogers::error(&PipfileLock, "Pipfile.lock", b"{\"default\": [}");
}
