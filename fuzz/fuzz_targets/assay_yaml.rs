//! `assay.yaml`. cli has no library target, so cli/src/config.rs is compiled in unchanged.
//! Two of its fields have types from cli modules too large to pull in (`db:`, from
//! db_cmd.rs, and `golden-images:`, from scan/base.rs); here they read any YAML value, so
//! every other section (fail-on, iac, secrets, licenses, baseline, ...) is fuzzed with its
//! real types and `deny_unknown_fields` checks.
#![no_main]

#[allow(dead_code, missing_docs, clippy::all)]
#[path = "../../cli/src/config.rs"]
mod config;

/// Stand-in for cli/src/db_cmd.rs.
mod db_cmd {
    pub type DbConfig = serde_json::Value;
}

/// Stand-in for cli/src/scan/base.rs.
mod scan {
    pub mod base {
        pub type GoldenSetting = serde_json::Value;
    }
}

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(config) = config::parse("assay.yaml", text) {
        if let Some(fail_on) = &config.fail_on {
            let _ = fail_on.as_flag();
        }
    }
});
