//! Heredoc markers (`<<EOF`, `<<-EOF`, `<<'EOF'`, `<<"EOF"`) in `RUN`, `COPY` and `ADD`
//! lines, found the way BuildKit finds them: outside quotes, several per line allowed.

/// One marker in an instruction line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Marker {
    pub name: String,
    pub expand: bool,
    pub chomp: bool,
}

/// Every heredoc marker in `line`, in order.
pub(super) fn markers(line: &str) -> Vec<Marker> {
    let chars: Vec<char> = line.chars().collect();
    let mut out = Vec::new();
    let mut quote: Option<char> = None;
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            } else if c == '\\' && q == '"' {
                i += 1;
            }
            i += 1;
            continue;
        }
        match c {
            '\'' | '"' => quote = Some(c),
            '\\' => i += 1,
            '<' if chars.get(i + 1) == Some(&'<')
                && chars.get(i + 2) != Some(&'<')
                && at_word_start(&chars, i) =>
            {
                let mut j = i + 2;
                let chomp = chars.get(j) == Some(&'-');
                if chomp {
                    j += 1;
                }
                let open = match chars.get(j) {
                    Some(&q @ ('\'' | '"')) => {
                        j += 1;
                        Some(q)
                    }
                    _ => None,
                };
                let mut name = String::new();
                while let Some(&d) = chars.get(j) {
                    let stop = match open {
                        Some(q) => d == q,
                        None => d.is_whitespace() || "<>;|&()'\"".contains(d),
                    };
                    if stop {
                        break;
                    }
                    name.push(d);
                    j += 1;
                }
                if open.is_some() {
                    j += 1;
                }
                if !name.is_empty() {
                    out.push(Marker {
                        name,
                        expand: open.is_none(),
                        chomp,
                    });
                }
                i = j;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// BuildKit finds markers among whitespace-separated words (`<<EOF`, `2<<EOF`), so
/// `cat<<EOF` or `$((1<<2))` are not heredocs.
fn at_word_start(chars: &[char], i: usize) -> bool {
    let mut j = i;
    while j > 0 && chars.get(j - 1).is_some_and(char::is_ascii_digit) {
        j -= 1;
    }
    j == 0 || chars.get(j - 1).is_some_and(|c| c.is_whitespace())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_quoted_chomped_and_several_markers() {
        let m = markers(r#"cat <<-'A' > a && cat <<"B" > b; python3 <<C"#);
        let names: Vec<_> = m
            .iter()
            .map(|m| (m.name.as_str(), m.expand, m.chomp))
            .collect();
        assert_eq!(
            names,
            vec![("A", false, true), ("B", false, false), ("C", true, false)]
        );
    }

    #[test]
    fn ignores_markers_in_quotes_and_here_strings() {
        assert!(markers(r#"echo "<<EOF" && cat <<< x"#).is_empty());
        assert!(markers("echo $((1<<2)) && cat<<EOF").is_empty());
        assert_eq!(markers("cat 0<<EOF").len(), 1);
    }
}
