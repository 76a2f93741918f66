//! RubyGems and Composer ordering against tables written by their reference implementations
//! (rubygems 3.3.15 `Gem::Version`, composer/semver 3.3.2): see `data/oracle/README.md` for
//! how they were produced. 3,000 pairs each, a third of them versions the reference refuses.
#![allow(clippy::unwrap_used)]

use std::cmp::Ordering;

use assay_vuln::{Scheme, compare};

fn check_table(scheme: Scheme, table: &str) -> usize {
    let mut checked = 0;
    for (n, line) in table.lines().enumerate() {
        let mut fields = line.split('\t');
        let (Some(a), Some(b), Some(expected)) = (fields.next(), fields.next(), fields.next())
        else {
            panic!("line {}: not A<TAB>B<TAB>expected: {line:?}", n + 1);
        };
        let got = compare(scheme, a, b);
        match expected {
            "!" => assert!(
                got.is_err(),
                "line {}: {a:?} vs {b:?} should be refused, got {got:?}",
                n + 1
            ),
            _ => {
                let want = match expected {
                    "<" => Ordering::Less,
                    "=" => Ordering::Equal,
                    _ => Ordering::Greater,
                };
                assert_eq!(
                    got.ok(),
                    Some(want),
                    "line {}: {a:?} {expected} {b:?}",
                    n + 1
                );
            }
        }
        checked += 1;
    }
    checked
}

#[test]
fn rubygems_agrees_with_gem_version() {
    assert_eq!(
        check_table(Scheme::RubyGems, include_str!("data/oracle/rubygems.tsv")),
        3000
    );
}

#[test]
fn composer_agrees_with_composer_semver() {
    assert_eq!(
        check_table(Scheme::Composer, include_str!("data/oracle/composer.tsv")),
        3000
    );
}
