//! The `Key: value` stanzas of dpkg databases and Python core metadata (RFC 822 style):
//! continuation lines start with a space or tab; a blank line ends a stanza.

/// One stanza's fields in order, with the 1-based line it starts on. Continuation lines are
/// joined to their field's value with `\n`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Stanza<'a> {
    pub(crate) line: usize,
    pub(crate) fields: Vec<(&'a str, String)>,
}

impl Stanza<'_> {
    /// The first value of `key` (case-insensitive, as dpkg and the metadata spec say).
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `key`.
    pub(crate) fn all<'s>(&'s self, key: &'s str) -> impl Iterator<Item = &'s str> + 's {
        self.fields
            .iter()
            .filter(move |(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }
}

/// A line that is neither a field, a continuation nor blank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BadLine {
    pub(crate) line: usize,
}

/// Splits `text` into stanzas. With `first_only`, stops at the first blank line (Python
/// metadata: the body that follows is the description, not fields).
pub(crate) fn stanzas(text: &str, first_only: bool) -> Result<Vec<Stanza<'_>>, BadLine> {
    let mut out = Vec::new();
    let mut current = Stanza::default();
    for (i, line) in text.lines().enumerate() {
        let number = i + 1;
        if line.trim().is_empty() {
            if !current.fields.is_empty() {
                out.push(std::mem::take(&mut current));
                if first_only {
                    return Ok(out);
                }
            }
            continue;
        }
        if line.starts_with([' ', '\t']) {
            match current.fields.last_mut() {
                Some((_, value)) => {
                    value.push('\n');
                    value.push_str(line.trim());
                }
                None => return Err(BadLine { line: number }),
            }
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            return Err(BadLine { line: number });
        };
        if current.fields.is_empty() {
            current.line = number;
        }
        current.fields.push((key.trim(), value.trim().to_string()));
    }
    if !current.fields.is_empty() {
        out.push(current);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn splits_stanzas_and_joins_continuations() {
        let text = "Package: a\nDescription: x\n more\n\n\nPackage: b\n";
        let s = stanzas(text, false).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].get("description"), Some("x\nmore"));
        assert_eq!((s[1].line, s[1].get("Package")), (6, Some("b")));
        assert_eq!(stanzas(" orphan\n", false), Err(BadLine { line: 1 }));
        assert_eq!(stanzas("A: 1\n\nbody text", true).unwrap().len(), 1);
    }
}
