//! Ruby (Gemfile.lock, installed gemspecs), PHP (composer.lock, installed.json) and .NET
//! (*.deps.json), from fixtures/catalog/{ruby,php,dotnet}.
#![allow(clippy::unwrap_used)]

mod catalogers;

use assay_analyze::Cataloger;
use assay_analyze::lang::{dotnet::DotnetDeps, php::Composer, ruby::GemSpec, ruby::GemfileLock};
use catalogers::{catalog, purls};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/catalog/");

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}{name}")).unwrap()
}

#[test]
fn reads_gems_from_the_gem_section_with_platforms() {
    let got = purls(&catalog(
        &GemfileLock,
        "app/Gemfile.lock",
        &fixture("ruby/Gemfile.lock"),
    ));
    assert_eq!(
        got,
        [
            "nokogiri@1.16.0 pkg:gem/nokogiri@1.16.0?platform=x86_64-linux",
            "racc@1.7.3 pkg:gem/racc@1.7.3",
            "rack@3.0.9.1 pkg:gem/rack@3.0.9.1",
        ]
    );
    let error = catalogers::error(&GemfileLock, "Gemfile.lock", b"GEM\n  specs:\n    broken\n");
    assert!(error.starts_with("Gemfile.lock:3: "), "{error}");
}

#[test]
fn reads_an_installed_gemspec_with_licenses() {
    let path = "usr/local/bundle/specifications/rake-13.0.6.gemspec";
    let packages = catalog(&GemSpec, path, &fixture("ruby/rake-13.0.6.gemspec"));
    assert_eq!(purls(&packages), ["rake@13.0.6 pkg:gem/rake@13.0.6"]);
    assert_eq!(packages[0].licenses, ["MIT"]);
    assert!(GemSpec.wants("usr/lib/ruby/gems/3.1.0/specifications/default/json-2.6.1.gemspec"));
    assert!(!GemSpec.wants("src/mygem/mygem.gemspec"));
}

#[test]
fn reads_composer_lock_and_installed_json() {
    let lock = catalog(&Composer, "composer.lock", &fixture("php/composer.lock"));
    assert_eq!(
        purls(&lock),
        [
            "guzzlehttp/guzzle@7.8.1 pkg:composer/guzzlehttp/guzzle@7.8.1",
            "phpunit/phpunit@10.5.10 pkg:composer/phpunit/phpunit@10.5.10",
        ]
    );
    assert_eq!(lock[0].licenses, ["MIT"]);
    assert_eq!(lock[0].ecosystem, "Packagist");
    let installed = catalog(
        &Composer,
        "var/www/vendor/composer/installed.json",
        &fixture("php/installed.json"),
    );
    assert_eq!(
        purls(&installed),
        ["monolog/monolog@3.5.0 pkg:composer/monolog/monolog@3.5.0"]
    );
    let v1 = br#"[{"name": "psr/log", "version": "1.1.4"}]"#;
    assert_eq!(
        purls(&catalog(&Composer, "vendor/composer/installed.json", v1)),
        ["psr/log@1.1.4 pkg:composer/psr/log@1.1.4"]
    );
    catalogers::error(&Composer, "composer.lock", b"{\"packages\": 3}");
}

#[test]
fn reads_nuget_packages_of_deps_json_only() {
    let packages = catalog(
        &DotnetDeps,
        "app/app.deps.json",
        &fixture("dotnet/app.deps.json"),
    );
    assert_eq!(
        purls(&packages),
        ["Newtonsoft.Json@13.0.1 pkg:nuget/Newtonsoft.Json@13.0.1"]
    );
    assert_eq!(packages[0].ecosystem, "NuGet");
    catalogers::error(
        &DotnetDeps,
        "app.deps.json",
        b"{\"libraries\": {\"a/1\": {}}}",
    );
}
