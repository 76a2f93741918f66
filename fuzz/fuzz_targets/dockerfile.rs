//! The Dockerfile parser and every Dockerfile rule: any text gives a `Dockerfile` or a
//! `ParseError`, never a panic, and a text that parses also scans.
#![no_main]

use assay_iac::IacOptions;
use assay_iac::dockerfile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(df) = dockerfile::parse("Dockerfile", text) {
        let _ = dockerfile::conftest_input(&df);
    }
    let _ = dockerfile::scan("Dockerfile", text, &IacOptions::default());
});
