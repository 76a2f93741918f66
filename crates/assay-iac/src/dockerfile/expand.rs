//! `ARG`/`ENV` substitution as BuildKit's word processor does it: quote removal, the escape
//! character, `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:+alt}`,
//! `${VAR+alt}` and `${VAR:?msg}`; unset variables expand to nothing.

/// The result of expanding one word.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expanded {
    /// The text after quote removal and substitution.
    pub text: String,
    /// Names that were referenced but not set (without a default covering them).
    pub undefined: Vec<String>,
}

/// Expands `word`; `lookup` gives a variable's value, `None` when unset.
pub fn expand(word: &str, escape: char, lookup: &dyn Fn(&str) -> Option<String>) -> Expanded {
    expand_at(word, escape, lookup, 0)
}

/// Nesting beyond this (`${A:-${B:-...}}`) is kept literally, so hostile input cannot
/// exhaust the stack.
const MAX_DEPTH: usize = 32;

fn expand_at(
    word: &str,
    escape: char,
    lookup: &dyn Fn(&str) -> Option<String>,
    depth: usize,
) -> Expanded {
    if depth > MAX_DEPTH {
        return Expanded {
            text: word.to_string(),
            undefined: Vec::new(),
        };
    }
    let chars: Vec<char> = word.chars().collect();
    let mut out = Expanded::default();
    let mut i = 0;
    let mut quote: Option<char> = None;
    while let Some(&c) = chars.get(i) {
        i += 1;
        match (quote, c) {
            (Some('\''), '\'') | (Some('"'), '"') => quote = None,
            (Some('\''), _) => out.text.push(c),
            (None, '\'' | '"') => quote = Some(c),
            (_, e) if e == escape => {
                if let Some(&next) = chars.get(i) {
                    // Inside double quotes only a few characters are escapable.
                    if quote == Some('"') && !matches!(next, '"' | '$') && next != escape {
                        out.text.push(e);
                    }
                    out.text.push(next);
                    i += 1;
                } else {
                    out.text.push(e);
                }
            }
            (_, '$') => i = variable(&chars, i, escape, lookup, depth, &mut out),
            _ => out.text.push(c),
        }
    }
    out
}

/// Expands the variable starting after `$` at `i`; returns the index after it.
fn variable(
    chars: &[char],
    mut i: usize,
    escape: char,
    lookup: &dyn Fn(&str) -> Option<String>,
    depth: usize,
    out: &mut Expanded,
) -> usize {
    match chars.get(i) {
        Some('{') => {
            i += 1;
            let mut name = String::new();
            while let Some(&c) = chars.get(i) {
                if c.is_ascii_alphanumeric() || c == '_' {
                    name.push(c);
                    i += 1;
                } else {
                    break;
                }
            }
            // The modifier runs to the matching `}`.
            let mut braces = 1;
            let mut modifier = String::new();
            while let Some(&c) = chars.get(i) {
                i += 1;
                if c == '{' {
                    braces += 1;
                } else if c == '}' {
                    braces -= 1;
                    if braces == 0 {
                        break;
                    }
                }
                modifier.push(c);
            }
            let value = lookup(&name);
            let sub = |text: &str, out: &mut Expanded| {
                let e = expand_at(text, escape, lookup, depth + 1);
                out.undefined.extend(e.undefined);
                e.text
            };
            let (op, word) = split_modifier(&modifier);
            let text = match op {
                ":-" => match value {
                    Some(v) if !v.is_empty() => v,
                    _ => sub(word, out),
                },
                "-" => match value {
                    Some(v) => v,
                    None => sub(word, out),
                },
                ":+" => match value {
                    Some(v) if !v.is_empty() => sub(word, out),
                    _ => String::new(),
                },
                "+" => match value {
                    Some(_) => sub(word, out),
                    None => String::new(),
                },
                _ => match value {
                    Some(v) => v,
                    None => {
                        out.undefined.push(name.clone());
                        String::new()
                    }
                },
            };
            out.text.push_str(&text);
            i
        }
        Some(c) if c.is_ascii_alphabetic() || *c == '_' => {
            let mut name = String::new();
            while let Some(&c) = chars.get(i) {
                if c.is_ascii_alphanumeric() || c == '_' {
                    name.push(c);
                    i += 1;
                } else {
                    break;
                }
            }
            match lookup(&name) {
                Some(v) => out.text.push_str(&v),
                None => out.undefined.push(name),
            }
            i
        }
        _ => {
            out.text.push('$');
            i
        }
    }
}

fn split_modifier(m: &str) -> (&str, &str) {
    for op in [":-", ":+", ":?", "-", "+", "?"] {
        if let Some(rest) = m.strip_prefix(op) {
            return (op, rest);
        }
    }
    ("", m)
}

/// Names of the variables `word` references (`$A`, `${B:-x}` give `A`, `B`).
pub fn references(word: &str, escape: char) -> Vec<String> {
    let mut names = Vec::new();
    let seen = std::cell::RefCell::new(Vec::new());
    let lookup = |name: &str| {
        seen.borrow_mut().push(name.to_string());
        None
    };
    let _ = expand(word, escape, &lookup);
    for n in seen.into_inner() {
        if !n.is_empty() && !names.contains(&n) {
            names.push(n);
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(name: &str) -> Option<String> {
        match name {
            "TAG" => Some("1.2".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn expands_defaults_and_alternatives() {
        assert_eq!(expand("img:${TAG:-latest}", '\\', &vars).text, "img:1.2");
        assert_eq!(
            expand("img:${NOPE:-latest}", '\\', &vars).text,
            "img:latest"
        );
        assert_eq!(expand("${EMPTY:-d}/${EMPTY-d}", '\\', &vars).text, "d/");
        assert_eq!(expand("${TAG:+set}${NOPE:+set}", '\\', &vars).text, "set");
        assert_eq!(
            expand("$TAG-$NOPE", '\\', &vars).undefined,
            vec!["NOPE".to_string()]
        );
    }

    #[test]
    fn honours_quotes_and_escape() {
        assert_eq!(
            expand(r#"'$TAG' "$TAG" \$TAG"#, '\\', &vars).text,
            "$TAG 1.2 $TAG"
        );
        assert_eq!(expand("`$TAG", '`', &vars).text, "$TAG");
    }

    #[test]
    fn lists_references() {
        assert_eq!(references("${A:-$B}/$C", '\\'), vec!["A", "B", "C"]);
    }
}
