//! `.assayignore` in both shapes (one id per line with `exp:` dates and path globs, and the
//! YAML `ignore:` list). cli has no library target, so the parser is compiled in from
//! cli/src/ignorefile.rs unchanged: it depends only on assay-core, globset, jiff, serde and
//! yaml_serde.
#![no_main]

#[allow(dead_code, missing_docs, clippy::all)]
#[path = "../../cli/src/ignorefile.rs"]
mod ignorefile;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = ignorefile::IgnoreFile::parse(".assayignore", text);
});
