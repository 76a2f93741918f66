//! The Kubernetes YAML loader (multi-document streams, `List` kinds) and every Kubernetes
//! rule: any text gives documents or a `ParseError`, never a panic.
#![no_main]

use assay_iac::IacOptions;
use assay_iac::k8s;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = k8s::documents("manifest.yaml", text);
    let _ = k8s::scan("manifest.yaml", text, &IacOptions::default());
});
