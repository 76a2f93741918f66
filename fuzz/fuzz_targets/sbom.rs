//! The SBOM readers used when an SBOM is the scan input: format detection, then CycloneDX
//! (JSON, XML) or SPDX JSON into an inventory. Any bytes give an inventory or a `ReadError`,
//! never a panic.
#![no_main]

use assay_report::sbom;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sbom::detect(data);
    let _ = sbom::read("fuzz.sbom", data);
});
