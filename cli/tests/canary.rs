//! Secrets never leak (issue 11): canary values are planted where users keep secrets
//! (registry passwords, key passwords, secrets inside images and IaC files), then every
//! output format, stdout and stderr with and without `--progress`, every `--report` file and
//! every error message is searched for them, in clear and in the encodings a leak would take
//! (base64 of `user:password`, as in a basic-auth header or a docker `config.json`).
//!
//! Canaries are built by concatenation so the repository holds no string shaped like a live
//! credential, and each is unique enough that a hit cannot be a coincidence.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use assay_oci::testing::{ImageSpec, LayerSpec, LayoutBuilder, Pusher};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::{assay_in, repo_root, run};

/// Every scan output format (`assay scan --format`), with the extra flags one needs.
const SCAN_FORMATS: [&str; 11] = [
    "table",
    "json",
    "sarif",
    "junit",
    "gitlab",
    "gitlab-sast",
    "gitlab-container-scanning",
    "gitlab-dependency-scanning",
    "markdown",
    "template",
    "openvex",
];

/// Every SBOM output format (`assay sbom --format`).
const SBOM_FORMATS: [&str; 4] = [
    "cyclonedx-json",
    "cyclonedx-xml",
    "spdx-json",
    "spdx-tag-value",
];

fn registry_password() -> String {
    ["canary", "-REGPW-", "7f3a9c1e5d"].concat()
}

fn key_password() -> String {
    ["canary", "-KEYPW-", "b81d0e44a2"].concat()
}

fn wrong_key_password() -> String {
    ["canary", "-WRONGPW-", "93c5aa10fe"].concat()
}

fn github_token() -> String {
    ["ghp", "_", "CANARY0123456789abcdefghijklmnopqrst"].concat()
}

fn aws_secret() -> String {
    ["Canary", "SecretKey", "0123456789abcdefghijklmnopq"].concat()
}

fn env_password() -> String {
    ["Canary", "EnvPa55w0rd", "x7"].concat()
}

/// Fails naming `what` if `text` holds any canary, in clear or base64 (`user:password` as in
/// an `Authorization: Basic` header, or the value alone).
fn assert_clean(what: &str, text: &str, canaries: &[String], user: &str) {
    for canary in canaries {
        let encoded = [
            STANDARD.encode(format!("{user}:{canary}")),
            STANDARD.encode(canary),
        ];
        assert!(
            !text.contains(canary.as_str()),
            "{what} leaks {canary}:\n{text}"
        );
        for e in &encoded {
            assert!(
                !text.contains(e.as_str()),
                "{what} leaks base64 {e}:\n{text}"
            );
        }
    }
}

/// Runs `assay` in `dir` with `env` and `args`, twice (without and with `--progress` when
/// `progress` is set), checks stdout and stderr, and returns the exit codes.
fn check_run(
    dir: &Path,
    env: &[(&str, &str)],
    args: &[&str],
    progress: bool,
    canaries: &[String],
) -> Vec<i32> {
    let mut codes = Vec::new();
    let variants: &[&[&str]] = if progress {
        &[&[], &["--progress"]]
    } else {
        &[&[]]
    };
    for extra in variants {
        let mut cmd = assay_in(dir);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let (code, stdout, stderr) = run(cmd.args(args).args(*extra));
        let what = format!("assay {} {}", args.join(" "), extra.join(" "));
        assert_clean(&format!("{what}: stdout"), &stdout, canaries, "canary-user");
        assert_clean(&format!("{what}: stderr"), &stderr, canaries, "canary-user");
        codes.push(code);
    }
    codes
}

fn app_image() -> ImageSpec {
    ImageSpec::new()
        .env(&format!("DB_PASSWORD={}", env_password()))
        .layer(
            LayerSpec::new()
                .file("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n")
                .file(
                    "var/lib/dpkg/status",
                    "Package: libexpat1\nStatus: install ok installed\nArchitecture: amd64\nSource: expat\nVersion: 2.5.0-1\n\n",
                ),
        )
        .layer(
            LayerSpec::new()
                .file(
                    "app/config.yml",
                    format!("github:\n  token: {}\n", github_token()),
                )
                .file(
                    "root/.aws/credentials",
                    format!(
                        "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
                        ["AK", "IA", "CANARY2345FAKE67"].concat(),
                        aws_secret()
                    ),
                ),
        )
        .layer(LayerSpec::new().whiteout("app/config.yml"))
}

#[cfg(unix)]
#[test]
fn registry_passwords_never_appear_in_outputs_logs_or_errors() {
    let user = "canary-user";
    let password = registry_password();
    let Some(registry) =
        assay_testkit::auth::AuthRegistry::start_or_skip("canary", user, &password)
    else {
        return;
    };
    let host = registry.host();
    Pusher::with_basic_auth(&host, user, &password).push_image(
        "team/app",
        "1.0",
        &app_image().build(),
    );
    let dir = tempfile::tempdir().unwrap();
    let canaries = vec![password.clone(), wrong_key_password()];
    let good = [
        ("ASSAY_REGISTRY_USERNAME", user),
        ("ASSAY_REGISTRY_PASSWORD", password.as_str()),
    ];
    let reference = format!("{host}/team/app:1.0");
    let missing = format!("{host}/team/app:no-such-tag");
    let other_repo = format!("{host}/team/nothing-here:1.0");

    // Failing pulls with the right password: a tag and a repository that do not exist.
    for target in [&missing, &other_repo] {
        for code in check_run(dir.path(), &good, &["sbom", target], true, &canaries) {
            assert!(matches!(code, 2 | 3), "sbom {target}: exit {code}");
        }
        let args = ["scan", target.as_str(), "--scanners", "secret"];
        for code in check_run(dir.path(), &good, &args, true, &canaries) {
            assert!(matches!(code, 2 | 3), "scan {target}: exit {code}");
        }
    }
    // A wrong password (itself a canary): refused, exit 3, not echoed.
    let wrong = wrong_key_password();
    let bad = [
        ("ASSAY_REGISTRY_USERNAME", user),
        ("ASSAY_REGISTRY_PASSWORD", wrong.as_str()),
    ];
    for code in check_run(dir.path(), &bad, &["sbom", &reference], true, &canaries) {
        assert_eq!(code, 3);
    }
    // The same credentials in a docker config.json (base64 `user:password`), failing.
    let docker = dir.path().join("docker");
    std::fs::create_dir_all(&docker).unwrap();
    std::fs::write(
        docker.join("config.json"),
        format!(
            r#"{{"auths":{{"{host}":{{"auth":"{}"}}}}}}"#,
            STANDARD.encode(format!("{user}:{password}"))
        ),
    )
    .unwrap();
    let docker_env = [("DOCKER_CONFIG", docker.to_str().unwrap())];
    for code in check_run(
        dir.path(),
        &docker_env,
        &["sbom", &missing],
        true,
        &canaries,
    ) {
        assert!(matches!(code, 2 | 3), "exit {code}");
    }

    // Successful pulls: every scan and SBOM format, with and without progress.
    for format in SCAN_FORMATS {
        // No vulnerability database in tests: the scanners that need none.
        let mut args = vec![
            "scan",
            reference.as_str(),
            "--scanners",
            "secret,misconfig",
            "--format",
            format,
        ];
        if format == "template" {
            args.extend(["--template", "fixtures/templates/csv.j2"]);
        }
        let codes = check_run(&repo_root(), &good, &args, true, &canaries);
        assert!(
            codes.iter().all(|c| matches!(c, 0 | 1)),
            "{format}: {codes:?}"
        );
    }
    for format in SBOM_FORMATS {
        let codes = check_run(
            &repo_root(),
            &good,
            &["sbom", &reference, "--format", format],
            true,
            &canaries,
        );
        assert_eq!(codes, [0, 0], "{format}");
    }
    // Signing against the registry with the registry password set: output and errors clean.
    let keys = repo_root().join("fixtures/keys");
    let key = keys.join("build.key");
    let sign_env = [
        ("ASSAY_REGISTRY_USERNAME", user),
        ("ASSAY_REGISTRY_PASSWORD", password.as_str()),
        ("ASSAY_PASSWORD", "assay-demo"),
    ];
    let codes = check_run(
        dir.path(),
        &sign_env,
        &["sign", &reference, "--key", key.to_str().unwrap()],
        false,
        &canaries,
    );
    assert_eq!(codes, [0]);
    let codes = check_run(
        dir.path(),
        &good,
        &[
            "verify",
            &reference,
            "--key",
            keys.join("build.pub").to_str().unwrap(),
        ],
        false,
        &canaries,
    );
    assert_eq!(codes, [0]);
}

#[test]
fn key_passwords_never_appear_in_outputs_or_errors() {
    let dir = tempfile::tempdir().unwrap();
    LayoutBuilder::new()
        .image(Some("1.0"), app_image())
        .write(&dir.path().join("layout"));
    std::fs::write(dir.path().join("blob.txt"), "release notes\n").unwrap();
    let canaries = vec![key_password(), wrong_key_password()];
    let right = key_password();
    let wrong = wrong_key_password();

    // Two keys, each with its own password; the second is the "wrong key" below.
    for (prefix, pw) in [("right", right.as_str()), ("other", wrong.as_str())] {
        let codes = check_run(
            dir.path(),
            &[("ASSAY_PASSWORD", pw)],
            &["key", "generate", "--output-key-prefix", prefix],
            false,
            &canaries,
        );
        assert_eq!(codes, [0]);
        let public = std::fs::read_to_string(dir.path().join(format!("{prefix}.pub"))).unwrap();
        assert_clean(&format!("{prefix}.pub"), &public, &canaries, "");
        let private = std::fs::read_to_string(dir.path().join(format!("{prefix}.key"))).unwrap();
        assert_clean(&format!("{prefix}.key"), &private, &canaries, "");
    }

    // The right password with the wrong key, and a wrong password with the right key: each
    // fails (input error) and names neither password.
    for (key, pw) in [("other.key", right.as_str()), ("right.key", wrong.as_str())] {
        let env = [("ASSAY_PASSWORD", pw)];
        for args in [
            vec!["sign", "oci:layout:1.0", "--key", key],
            vec!["sign-blob", "blob.txt", "--key", key],
            vec!["key", "public", "--key", key],
            vec![
                "attest",
                "oci:layout:1.0",
                "--predicate",
                "blob.txt",
                "--type",
                "custom",
                "--key",
                key,
            ],
        ] {
            let codes = check_run(dir.path(), &env, &args, false, &canaries);
            assert_ne!(codes, [0], "{args:?} with the wrong password succeeded");
        }
    }
    // And the right pairs work, with clean output.
    let env = [("ASSAY_PASSWORD", right.as_str())];
    let codes = check_run(
        dir.path(),
        &env,
        &["sign", "oci:layout:1.0", "--key", "right.key"],
        false,
        &canaries,
    );
    assert_eq!(codes, [0]);
    let codes = check_run(
        dir.path(),
        &env,
        &["sign-blob", "blob.txt", "--key", "right.key"],
        false,
        &canaries,
    );
    assert_eq!(codes, [0]);
}

#[test]
fn secrets_found_in_images_and_files_are_redacted_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    LayoutBuilder::new()
        .image(Some("1.0"), app_image())
        .write(&dir.path().join("layout"));
    // IaC files holding the same secrets: a Dockerfile and a Kubernetes Secret + Pod env.
    let iac = dir.path().join("iac");
    std::fs::create_dir_all(&iac).unwrap();
    std::fs::write(
        iac.join("Dockerfile"),
        format!(
            "FROM debian:12\nENV GITHUB_TOKEN={}\nARG AWS_SECRET_ACCESS_KEY={}\nRUN echo {} > /etc/pw\n",
            github_token(),
            aws_secret(),
            env_password()
        ),
    )
    .unwrap();
    std::fs::write(
        iac.join("pod.yaml"),
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\nstringData:\n  token: {}\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:\n  containers:\n    - name: app\n      image: debian:12\n      env:\n        - name: DB_PASSWORD\n          value: {}\n",
            github_token(),
            env_password()
        ),
    )
    .unwrap();
    std::fs::copy(
        repo_root().join("fixtures/templates/csv.j2"),
        dir.path().join("csv.j2"),
    )
    .unwrap();
    let canaries = vec![github_token(), aws_secret(), env_password()];

    for target in ["oci:layout:1.0", "iac"] {
        // Every format on stdout, with and without progress.
        let mut found = false;
        for format in SCAN_FORMATS {
            let mut args = vec![
                "scan",
                target,
                "--scanners",
                "secret,misconfig",
                "--format",
                format,
            ];
            if format == "template" {
                args.extend(["--template", "csv.j2"]);
            }
            let codes = check_run(dir.path(), &[], &args, true, &canaries);
            assert!(
                codes.iter().all(|c| matches!(c, 0 | 1)),
                "{target} {format}: {codes:?}"
            );
            found |= codes.contains(&1);
        }
        assert!(found, "{target}: the planted secrets were not found");
        // Found, and shown in their redacted form.
        let (_, json, _) = run(assay_in(dir.path()).args([
            "scan",
            target,
            "--scanners",
            "secret",
            "--format",
            "json",
        ]));
        assert!(json.contains("ghp_****"), "{target}: {json}");
        // Every format at once as --report files.
        let reports: Vec<String> = SCAN_FORMATS
            .iter()
            .filter(|f| **f != "template")
            .map(|f| format!("{f}=out/{f}.report"))
            .collect();
        let mut args = vec!["scan", target, "--scanners", "secret,misconfig"];
        for r in &reports {
            args.extend(["--report", r.as_str()]);
        }
        std::fs::create_dir_all(dir.path().join("out")).unwrap();
        let codes = check_run(dir.path(), &[], &args, false, &canaries);
        assert_eq!(codes, [1], "{target}");
        for entry in std::fs::read_dir(dir.path().join("out")).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            assert_clean(&path.display().to_string(), &text, &canaries, "");
        }
    }
    // The image's SBOMs (config env included wherever a format carries it).
    for format in SBOM_FORMATS {
        let codes = check_run(
            dir.path(),
            &[],
            &["sbom", "oci:layout:1.0", "--format", format],
            true,
            &canaries,
        );
        assert_eq!(codes, [0, 0], "{format}");
    }
    // An error about a file that holds a secret does not quote the secret.
    std::fs::write(
        dir.path().join("assay.yaml"),
        format!("fail-on: HIGH\ntoken: {}\n", github_token()),
    )
    .unwrap();
    let codes = check_run(dir.path(), &[], &["scan", "iac"], false, &canaries);
    assert_eq!(codes, [2]);
    std::fs::remove_file(dir.path().join("assay.yaml")).unwrap();
    std::fs::write(
        dir.path().join(".assayignore"),
        format!("ignore:\n  - id: {}\n    bad-key: x\n", github_token()),
    )
    .unwrap();
    let codes = check_run(dir.path(), &[], &["scan", "iac"], false, &canaries);
    assert_eq!(codes, [2]);
}
