//! DSSE envelopes and the in-toto statements inside them (cosign attestations): parse,
//! decode the payload, compute the PAE bytes signatures cover, parse the statement. An
//! envelope that parses must survive being written and read back unchanged.
#![no_main]

use assay_sign::dsse::{Envelope, Statement};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(envelope) = Envelope::parse(data, "fuzz envelope") else {
        return;
    };
    let _ = envelope.signed_bytes("fuzz envelope");
    if let Ok(payload) = envelope.payload_bytes("fuzz envelope")
        && let Ok(statement) = Statement::parse(&payload, "fuzz statement")
    {
        let again = Statement::parse(&statement.to_bytes(), "again");
        assert!(again.is_ok(), "cannot re-read a written statement");
    }
    let written = envelope.to_bytes();
    let again = Envelope::parse(&written, "again").expect("re-read a written envelope");
    assert_eq!(again, envelope);
});
