//! No input makes a comparison panic, loop for long, or recurse deeply.
#![allow(clippy::unwrap_used)]

use assay_vuln::version::MAX_VERSION_LEN;
use assay_vuln::version::semver::{cargo_matches, npm_satisfies};
use assay_vuln::{Scheme, compare};

/// xorshift64*: deterministic pseudo-random bytes without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// Strings biased towards version syntax, plus arbitrary (lossily decoded) bytes.
fn random_string(rng: &mut Rng) -> String {
    const ALPHABET: &[u8] = b"0123456789.-+~^_:abcdepqrvxXz*=<>|! \tABRCSNAPSHOTv";
    let len = (rng.next() % 24) as usize;
    if rng.next().is_multiple_of(4) {
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        return String::from_utf8_lossy(&bytes).into_owned();
    }
    (0..len)
        .map(|_| ALPHABET[(rng.next() % ALPHABET.len() as u64) as usize] as char)
        .collect()
}

#[test]
fn random_inputs_never_panic() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..20_000 {
        let a = random_string(&mut rng);
        let b = random_string(&mut rng);
        for scheme in Scheme::ALL {
            if let (Ok(x), Ok(y)) = (compare(scheme, &a, &b), compare(scheme, &b, &a)) {
                assert_eq!(x, y.reverse(), "{scheme}: {a:?} vs {b:?}");
            }
        }
        let _ = npm_satisfies(&a, &b);
        let _ = cargo_matches(&a, &b);
    }
}

#[test]
fn huge_and_deep_inputs_are_bounded() {
    let huge = "1.".repeat(MAX_VERSION_LEN);
    let deep = "1-".repeat(MAX_VERSION_LEN / 2);
    let digits = "9".repeat(MAX_VERSION_LEN);
    for scheme in Scheme::ALL {
        assert!(compare(scheme, &huge, "1").is_err(), "{scheme}");
        let _ = compare(scheme, &deep[..MAX_VERSION_LEN - 2], "1");
        let _ = compare(scheme, &digits, &digits[1..]);
    }
    assert!(npm_satisfies(&"1 ".repeat(MAX_VERSION_LEN), "1.0.0").is_err());
}
