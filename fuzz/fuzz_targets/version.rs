//! Every version scheme: the first byte picks the scheme, the rest is two versions split at
//! the first newline. Besides "no panic", comparison must be an order: a version equals
//! itself, and swapping the operands reverses the result.
#![no_main]

use std::cmp::Ordering;

use assay_vuln::version::{Scheme, compare};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let scheme = Scheme::ALL[usize::from(pick) % Scheme::ALL.len()];
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let (a, b) = text.split_once('\n').unwrap_or((text, ""));
    if let Ok(ord) = compare(scheme, a, a) {
        assert_eq!(ord, Ordering::Equal, "{scheme:?}: {a:?} != itself");
    }
    if let (Ok(ab), Ok(ba)) = (compare(scheme, a, b), compare(scheme, b, a)) {
        assert_eq!(
            ab,
            ba.reverse(),
            "{scheme:?}: {a:?} vs {b:?} not antisymmetric"
        );
    }
});
