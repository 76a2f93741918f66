//! apk version ordering (Alpine, Wolfi, Chainguard).
//!
//! Hand port of apk-tools' `src/version.c` (the tokenizer rewrite with `~hash` commit tokens,
//! as in apk-tools 2.14 and 3.x): `apk_version_compare`. No crate ports it. apk never rejects
//! a version when comparing (an invalid tail just stops the token walk), so neither do we.
//! One deliberate difference: apk parses digit runs into a 32-bit `unsigned int` that wraps;
//! we compare runs of any length by value, which agrees with apk below 2^32.

use std::cmp::Ordering;

use super::cmp_digits;

/// Token kinds, in apk's order: a version that ends earlier in this order is greater, except
/// for a pre-release suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Token {
    InitialDigit,
    Digit,
    Letter,
    Suffix,
    SuffixNo,
    CommitHash,
    RevisionNo,
    End,
    Invalid,
}

/// Suffix ranks; below [`SUFFIX_NONE`] is a pre-release.
const SUFFIXES: [&[u8]; 10] = [
    b"alpha", b"beta", b"pre", b"rc", b"", b"cvs", b"svn", b"git", b"hg", b"p",
];
const SUFFIX_NONE: usize = 4;

struct State<'a> {
    token: Token,
    suffix: usize,
    value: &'a [u8],
    rest: &'a [u8],
}

impl<'a> State<'a> {
    fn first(s: &'a [u8]) -> Self {
        let mut t = State {
            token: Token::InitialDigit,
            suffix: 0,
            value: &[],
            rest: s,
        };
        t.parse_digits();
        t
    }

    fn parse_digits(&mut self) {
        let n = self.rest.iter().take_while(|c| c.is_ascii_digit()).count();
        self.value = &self.rest[..n];
        self.rest = &self.rest[n..];
        if n == 0 {
            self.token = Token::Invalid;
        }
    }

    fn span(&mut self, accept: impl Fn(u8) -> bool) {
        let n = self.rest.iter().take_while(|&&c| accept(c)).count();
        self.value = &self.rest[..n];
        self.rest = &self.rest[n..];
    }

    /// `token_next`: reads the next token, checking that it may follow the previous one.
    fn next(&mut self) {
        let Some(&c) = self.rest.first() else {
            self.token = Token::End;
            return;
        };
        match c {
            b'a'..=b'z' if self.token <= Token::Digit => {
                self.value = &self.rest[..1];
                self.rest = &self.rest[1..];
                self.token = Token::Letter;
            }
            b'.' | b'0'..=b'9' if c != b'.' || self.token <= Token::Digit => {
                if c == b'.' {
                    self.rest = &self.rest[1..];
                }
                self.token = match self.token {
                    Token::InitialDigit | Token::Digit => Token::Digit,
                    Token::Suffix => Token::SuffixNo,
                    _ => {
                        self.token = Token::Invalid;
                        return;
                    }
                };
                self.parse_digits();
            }
            b'_' if self.token <= Token::SuffixNo => {
                self.rest = &self.rest[1..];
                self.span(|c| c.is_ascii_lowercase());
                match SUFFIXES
                    .iter()
                    .position(|s| !s.is_empty() && *s == self.value)
                {
                    Some(i) => {
                        self.suffix = i;
                        self.token = Token::Suffix;
                    }
                    None => self.token = Token::Invalid,
                }
            }
            b'~' if self.token < Token::CommitHash => {
                self.rest = &self.rest[1..];
                self.span(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c));
                self.token = if self.value.is_empty() {
                    Token::Invalid
                } else {
                    Token::CommitHash
                };
            }
            b'-' if self.token < Token::RevisionNo && self.rest.starts_with(b"-r") => {
                self.rest = &self.rest[2..];
                self.token = Token::RevisionNo;
                self.parse_digits();
            }
            _ => self.token = Token::Invalid,
        }
    }
}

/// `token_cmp` for two tokens of the same kind.
fn token_cmp(a: &State<'_>, b: &State<'_>) -> Ordering {
    match a.token {
        // A digit run with a leading zero sorts as a string, as Gentoo does.
        Token::Digit if a.value.first() == Some(&b'0') || b.value.first() == Some(&b'0') => {
            a.value.cmp(b.value)
        }
        Token::Digit | Token::InitialDigit | Token::SuffixNo | Token::RevisionNo => {
            cmp_digits(a.value, b.value)
        }
        Token::Letter => a.value.first().cmp(&b.value.first()),
        Token::Suffix => a.suffix.cmp(&b.suffix),
        _ => a.value.cmp(b.value),
    }
}

/// `apk_version_compare`.
pub(super) fn compare(a: &str, b: &str) -> Ordering {
    let mut ta = State::first(a.as_bytes());
    let mut tb = State::first(b.as_bytes());
    while ta.token == tb.token && ta.token < Token::End {
        let r = token_cmp(&ta, &tb);
        if r != Ordering::Equal {
            return r;
        }
        ta.next();
        tb.next();
    }
    if ta.token == tb.token {
        return Ordering::Equal;
    }
    // Leading tokens are equal: the longer version is greater unless it goes on with a
    // pre-release suffix.
    if ta.token == Token::Suffix && ta.suffix < SUFFIX_NONE {
        return Ordering::Less;
    }
    if tb.token == Token::Suffix && tb.suffix < SUFFIX_NONE {
        return Ordering::Greater;
    }
    tb.token.cmp(&ta.token)
}
