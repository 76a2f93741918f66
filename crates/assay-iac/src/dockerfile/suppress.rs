//! Inline suppressions: `# assay:ignore=ID[,ID] reason` directly above an instruction (or
//! among its own comment lines) silences those rules there, `*` silences all; a
//! `# assay:ignore-file=ID` comment before the first `FROM` silences a rule in the whole file.
//! Suppressed findings are still reported, marked, so the CLI can list them separately.

use assay_core::Suppression;

use super::parse::{Dockerfile, Instruction};

#[derive(Debug)]
struct Entry {
    line: u32,
    ids: Vec<String>,
    reason: Option<String>,
}

impl Entry {
    fn covers(&self, id: &str) -> bool {
        self.ids
            .iter()
            .any(|i| i == "*" || i.eq_ignore_ascii_case(id))
    }
}

/// The suppressions of one file.
#[derive(Debug)]
pub(super) struct Suppressions {
    path: String,
    by_line: Vec<Entry>,
    file: Vec<Entry>,
}

fn parse_entry(line: u32, text: &str, key: &str) -> Option<Entry> {
    let rest = text
        .trim()
        .strip_prefix("assay:")?
        .strip_prefix(key)?
        .strip_prefix('=')?;
    let (ids, reason) = match rest.split_once(char::is_whitespace) {
        Some((ids, reason)) => (
            ids,
            Some(reason.trim().to_string()).filter(|r| !r.is_empty()),
        ),
        None => (rest, None),
    };
    let ids: Vec<String> = ids
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    (!ids.is_empty()).then_some(Entry { line, ids, reason })
}

impl Suppressions {
    pub(super) fn new(path: &str, df: &Dockerfile) -> Self {
        let first_from = df
            .instructions
            .iter()
            .find(|i| i.is("FROM"))
            .map_or(u32::MAX, |i| i.start_line);
        let mut by_line = Vec::new();
        let mut file = Vec::new();
        for c in &df.comments {
            if let Some(e) = parse_entry(c.line, &c.text, "ignore") {
                by_line.push(e);
            } else if c.line < first_from
                && let Some(e) = parse_entry(c.line, &c.text, "ignore-file")
            {
                file.push(e);
            }
        }
        Suppressions {
            path: path.to_string(),
            by_line,
            file,
        }
    }

    /// The suppression that silences rule `id` at `ins`, if any.
    pub(super) fn find(&self, id: &str, ins: &Instruction) -> Option<Suppression> {
        let own = self
            .by_line
            .iter()
            .find(|e| ins.comment_lines.contains(&e.line) && e.covers(id))
            .or_else(|| self.file.iter().find(|e| e.covers(id)))?;
        Some(Suppression {
            kind: "inline".into(),
            reason: own.reason.clone(),
            source: Some(format!("{}:{}", self.path, own.line)),
        })
    }
}
