//! Maven version ordering.
//!
//! Hand port of Maven's `org.apache.maven.artifact.versioning.ComparableVersion` (the Maven 4
//! line, with `CombinationItem`, MNG-7644's `.X1 < -X2`, MNG-7714 and the 256-character bound):
//! no Rust crate implements ComparableVersion, and its item rules are the reference OSV and
//! Maven resolve with. Numbers of any length compare by value (Maven's Int/Long/BigInteger
//! items differ only in size). Non-ASCII digits after a `-` do not start a combination here
//! (Java's `Character.isDigit` is Unicode-wide); that only matters for non-ASCII versions.

use std::cmp::Ordering;

use super::{Scheme, VersionError, cmp_digits};

/// Maven's `MAX_VERSION_LENGTH`, in UTF-16 code units.
const MAX_LEN: usize = 256;

const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
const RELEASE_QUALIFIERS: [&str; 3] = ["ga", "final", "release"];

#[derive(Debug, Clone)]
enum Item {
    /// Digits, leading zeros stripped (`"0"` for zero).
    Number(String),
    /// A qualifier, aliases applied.
    Str(String),
    /// A qualifier glued to a number (`alpha1`, `rc-2`).
    Combination(String, String),
    List(Vec<Item>),
}

fn string_item(value: &str, followed_by_digit: bool) -> Item {
    let value = match value {
        "a" if followed_by_digit => "alpha",
        "b" if followed_by_digit => "beta",
        "m" if followed_by_digit => "milestone",
        "cr" => "rc",
        other => other,
    };
    Item::Str(value.to_owned())
}

fn number_item(digits: &str) -> Item {
    let stripped = digits.trim_start_matches('0');
    Item::Number(if stripped.is_empty() { "0" } else { stripped }.to_owned())
}

fn parse_item(is_combination: bool, is_digit: bool, buf: &str) -> Item {
    if is_combination {
        let buf = buf.replace('-', "");
        let index = buf.find(|c: char| c.is_ascii_digit()).unwrap_or(0);
        let (s, d) = buf.split_at(index);
        let digits: String = d.chars().filter(char::is_ascii_digit).collect();
        let Item::Str(s) = string_item(s, true) else {
            return number_item(&digits);
        };
        let Item::Number(d) = number_item(&digits) else {
            return Item::Str(s);
        };
        Item::Combination(s, d)
    } else if is_digit {
        number_item(buf)
    } else {
        string_item(buf, false)
    }
}

/// `comparableQualifier`: known qualifiers by rank, unknown ones after them, lexically.
fn comparable_qualifier(q: &str) -> String {
    if RELEASE_QUALIFIERS.contains(&q) {
        return "5".to_owned();
    }
    match QUALIFIERS.iter().position(|k| *k == q) {
        Some(i) => i.to_string(),
        None => format!("{}-{q}", QUALIFIERS.len()),
    }
}

/// Java's `String.compareTo`: UTF-16 code unit order.
fn java_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

fn is_null(item: &Item) -> bool {
    match item {
        Item::Number(n) => n == "0",
        Item::Str(s) => s.is_empty(),
        Item::Combination(..) => false,
        Item::List(l) => l.is_empty(),
    }
}

fn cmp_str_null(s: &str) -> Ordering {
    java_cmp(&comparable_qualifier(s), "5")
}

fn cmp_number_null(n: &str) -> Ordering {
    if n == "0" {
        Ordering::Equal
    } else {
        Ordering::Greater
    }
}

/// `item.compareTo(null)`: the item against "nothing more" (a release).
fn cmp_null(item: &Item) -> Ordering {
    match item {
        Item::Number(n) => cmp_number_null(n),
        Item::Str(s) => cmp_str_null(s),
        Item::Combination(s, d) => cmp_str_null(s).then_with(|| cmp_number_null(d)),
        Item::List(l) => l
            .iter()
            .map(cmp_null)
            .find(|o| *o != Ordering::Equal)
            .unwrap_or(Ordering::Equal),
    }
}

/// `item.compareTo(other)`.
fn cmp_item(a: &Item, b: &Item) -> Ordering {
    use Item::{Combination, List, Number, Str};
    match (a, b) {
        (Number(x), Number(y)) => cmp_digits(x.as_bytes(), y.as_bytes()),
        (Number(_), _) => Ordering::Greater,
        (Str(_) | Combination(..) | List(_), Number(_)) => Ordering::Less,
        (Str(x), Str(y)) => java_cmp(&comparable_qualifier(x), &comparable_qualifier(y)),
        (Str(x), Combination(s, d)) => {
            match java_cmp(&comparable_qualifier(x), &comparable_qualifier(s)) {
                Ordering::Equal if cmp_str_null(x) == Ordering::Equal => {
                    cmp_number_null(d).reverse()
                }
                Ordering::Equal => Ordering::Less,
                other => other,
            }
        }
        (Combination(..), Str(_)) => cmp_item(b, a).reverse(),
        (Combination(s1, d1), Combination(s2, d2)) => {
            java_cmp(&comparable_qualifier(s1), &comparable_qualifier(s2))
                .then_with(|| cmp_digits(d1.as_bytes(), d2.as_bytes()))
        }
        (Str(_) | Combination(..), List(_)) => cmp_item(b, a).reverse(),
        (List(l), Str(_) | Combination(..)) => {
            let first = match l.first() {
                None => cmp_null(b).reverse(),
                Some(f) => cmp_item(f, b),
            };
            first.then_with(|| {
                l.iter()
                    .skip(1)
                    .map(cmp_null)
                    .find(|o| *o != Ordering::Equal)
                    .unwrap_or(Ordering::Equal)
            })
        }
        (List(l), List(r)) => {
            for i in 0..l.len().max(r.len()) {
                let ord = match (l.get(i), r.get(i)) {
                    (Some(x), Some(y)) => cmp_item(x, y),
                    (Some(x), None) => cmp_null(x),
                    (None, Some(y)) => cmp_null(y).reverse(),
                    (None, None) => Ordering::Equal,
                };
                if ord != Ordering::Equal {
                    return ord;
                }
            }
            Ordering::Equal
        }
    }
}

/// `ListItem.normalize`: drops null items before strings, sub-lists starting with a string,
/// and at the end; unwraps a lone sub-list.
fn normalize(list: &mut Vec<Item>) {
    let mut i = list.len();
    while i > 0 {
        i -= 1;
        if !is_null(&list[i]) {
            continue;
        }
        let remove = match list.get(i + 1) {
            None | Some(Item::Str(_)) => true,
            Some(Item::List(next)) => {
                matches!(next.first(), Some(Item::Combination(..) | Item::Str(_)))
            }
            Some(_) => false,
        };
        if remove {
            list.remove(i);
        }
    }
    if list.len() == 1
        && matches!(list[0], Item::List(_))
        && let Some(Item::List(inner)) = list.pop()
    {
        *list = inner;
    }
}

/// `parseVersion`. The nested lists always hang off the end of their parent, so they are
/// kept as a chain and folded back innermost-first, in the order Maven normalises them.
fn parse(version: &str) -> Result<Item, VersionError> {
    if version.encode_utf16().count() > MAX_LEN {
        return Err(VersionError::invalid(
            Scheme::Maven,
            version,
            format!("version string is too long (> {MAX_LEN} characters)"),
        ));
    }
    let v = version.to_lowercase();
    let chars: Vec<(usize, char)> = v.char_indices().collect();
    let mut chain: Vec<Vec<Item>> = vec![Vec::new()];
    let mut is_digit = false;
    let mut is_combination = false;
    let mut start = 0; // byte index into v
    let new_list = |chain: &mut Vec<Vec<Item>>| chain.push(Vec::new());
    let mut k = 0;
    while k < chars.len() {
        let (i, c) = chars[k];
        let cur_empty = chain.last().is_none_or(Vec::is_empty);
        if c == '.' {
            let item = if i == start {
                Item::Number("0".to_owned())
            } else {
                parse_item(is_combination, is_digit, &v[start..i])
            };
            push(&mut chain, item);
            is_combination = false;
            start = i + 1;
        } else if c == '-' {
            if i == start {
                push(&mut chain, Item::Number("0".to_owned()));
            } else {
                // X-1 is treated as X1.
                if !is_digit && k + 1 < chars.len() && chars[k + 1].1.is_ascii_digit() {
                    is_combination = true;
                    k += 1;
                    continue;
                }
                push(
                    &mut chain,
                    parse_item(is_combination, is_digit, &v[start..i]),
                );
            }
            start = i + 1;
            if !chain.last().is_none_or(Vec::is_empty) {
                new_list(&mut chain);
            }
            is_combination = false;
        } else if c.is_ascii_digit() {
            if !is_digit && i > start {
                // X1
                is_combination = true;
                if !cur_empty {
                    new_list(&mut chain);
                }
            }
            is_digit = true;
        } else {
            if is_digit && i > start {
                push(&mut chain, parse_item(is_combination, true, &v[start..i]));
                start = i;
                new_list(&mut chain);
                is_combination = false;
            }
            is_digit = false;
        }
        k += 1;
    }
    if v.len() > start {
        // 1.0.0.X1 < 1.0.0-X2: treat .X as -X for any string qualifier X.
        if !is_digit && !chain.last().is_none_or(Vec::is_empty) {
            new_list(&mut chain);
        }
        push(
            &mut chain,
            parse_item(is_combination, is_digit, &v[start..]),
        );
    }
    let mut inner: Option<Vec<Item>> = None;
    while let Some(mut list) = chain.pop() {
        if let Some(child) = inner.take() {
            list.push(Item::List(child));
        }
        normalize(&mut list);
        inner = Some(list);
    }
    Ok(Item::List(inner.unwrap_or_default()))
}

fn push(chain: &mut [Vec<Item>], item: Item) {
    if let Some(list) = chain.last_mut() {
        list.push(item);
    }
}

/// Orders two Maven versions.
pub(super) fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(cmp_item(&parse(a)?, &parse(b)?))
}
