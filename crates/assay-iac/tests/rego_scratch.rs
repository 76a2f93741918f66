use assay_iac::rego::*;
#[test]
fn raw() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let r = run_tests(&[root], &[]);
    match r { Ok(r) => for t in &r.tests { eprintln!("{t}"); }, Err(e) => eprintln!("ERR {e}") }
}
