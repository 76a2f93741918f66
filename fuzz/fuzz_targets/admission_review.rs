//! AdmissionReview parsing and judging, as the webhook does for each request body: any bytes
//! give a response review and a decision, or a `ReviewError`, never a panic. The registry
//! is an in-memory fake that knows one signed and promoted image, so workloads reach the
//! image-reference parser and the policy checks.
#![no_main]

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use assay_cluster::admission::{
    BoxFuture, Check, Pinned, Policy, PolicyFile, Verifier, VerifyError, Webhook,
};
use libfuzzer_sys::fuzz_target;

const GOOD: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

#[derive(Debug)]
struct Fake;

impl Verifier for Fake {
    fn resolve<'a>(
        &'a self,
        name: &'a str,
        tag: &'a str,
    ) -> BoxFuture<'a, Result<String, VerifyError>> {
        Box::pin(async move {
            match (name, tag) {
                ("registry.example.com/shop/web", "1.0") => Ok(GOOD.to_string()),
                _ if name.starts_with("down.example.com/") => {
                    Err(VerifyError::Unreachable("connection refused".into()))
                }
                _ => Err(VerifyError::NotFound(format!("{name}:{tag}: no such tag"))),
            }
        })
    }
    fn signature<'a>(&'a self, image: &'a Pinned) -> BoxFuture<'a, Result<Check, VerifyError>> {
        Box::pin(async move {
            Ok(match image.digest == GOOD {
                true => Check::Pass("key SHA256:fuzz".into()),
                false => Check::Fail("no signature".into()),
            })
        })
    }
    fn promotion<'a>(&'a self, image: &'a Pinned) -> BoxFuture<'a, Result<Check, VerifyError>> {
        Box::pin(async move {
            Ok(match image.digest == GOOD {
                true => Check::Pass("promoted".into()),
                false => Check::Fail("no attestation".into()),
            })
        })
    }
}

fn setup() -> &'static (tokio::runtime::Runtime, Webhook) {
    static SETUP: OnceLock<(tokio::runtime::Runtime, Webhook)> = OnceLock::new();
    SETUP.get_or_init(|| {
        let file = PolicyFile {
            allowed_registries: vec!["registry.example.com".into(), "down.example.com".into()],
            exempt_images: vec!["registry.example.com/infra/*".into()],
            exempt_namespaces: vec!["kube-system".into()],
            ..PolicyFile::default()
        };
        let policy = Policy::new(file, vec![(PathBuf::from("k.pub"), "pem".into())])
            .expect("the fuzz policy is valid");
        // Timers on: the webhook bounds each registry call with a timeout, as it does when
        // serving.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a tokio runtime");
        (runtime, Webhook::new(policy, Arc::new(Fake)))
    })
}

fuzz_target!(|data: &[u8]| {
    let (runtime, webhook) = setup();
    let _ = runtime.block_on(webhook.review(data));
    // Results are cached by digest; start each input from the same state.
    webhook.clear_cache();
});
