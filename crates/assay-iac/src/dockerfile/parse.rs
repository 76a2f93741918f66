//! The Dockerfile lexer: parser directives, logical lines (continuations, comments inside
//! continuations), instruction keywords and flags, heredocs and the per-instruction argument
//! shapes of BuildKit's parser, so that what we check is what BuildKit builds.

use crate::ParseError;

use super::heredoc;

/// Every instruction BuildKit knows; anything else is an error, as in BuildKit.
const KEYWORDS: &[&str] = &[
    "ADD",
    "ARG",
    "CMD",
    "COPY",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "FROM",
    "HEALTHCHECK",
    "LABEL",
    "MAINTAINER",
    "ONBUILD",
    "RUN",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
];

/// A whole Dockerfile: directives, instructions in order, comments, and the stages built from
/// them (see [`super::stages`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dockerfile {
    /// The escape character (`\` unless the `escape` directive says `` ` ``).
    pub escape: char,
    /// The `syntax` directive (frontend image), if any.
    pub syntax: Option<String>,
    /// Every instruction, in file order.
    pub instructions: Vec<Instruction>,
    /// Every comment line, including those inside continuations and parser directives.
    pub comments: Vec<Comment>,
    /// The build stages, one per `FROM`.
    pub stages: Vec<Stage>,
}

/// One `#` comment line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// 1-based line.
    pub line: u32,
    /// The text after `#`, trimmed.
    pub text: String,
}

/// A heredoc attached to `RUN`, `COPY` or `ADD`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    /// The delimiter word (`EOF`).
    pub name: String,
    /// The body, each line ending in `\n`; leading tabs removed for `<<-`.
    pub content: String,
    /// Whether variables in the body are expanded (the delimiter was not quoted).
    pub expand: bool,
    /// `<<-`: leading tabs are stripped.
    pub chomp: bool,
    /// 1-based line of the first body line.
    pub start_line: u32,
    /// 1-based line of the terminator.
    pub end_line: u32,
}

/// One instruction with its span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// Upper-case keyword (`RUN`); instructions are case-insensitive.
    pub keyword: String,
    /// Leading flags as written (`--mount=type=cache,target=/root/.cache`).
    pub flags: Vec<String>,
    /// The arguments in BuildKit's node shape (`Value` in Conftest): JSON elements for the
    /// JSON form, the whole command for shell-form `RUN`/`CMD`/`ENTRYPOINT`, words or
    /// name/value pairs for the others. Quotes are kept as written.
    pub args: Vec<String>,
    /// The text after the keyword and the flags, continuations joined.
    pub rest: String,
    /// Whether the arguments were written in JSON (exec) form.
    pub json: bool,
    /// The logical line: continuation lines joined, comments inside them dropped.
    pub original: String,
    /// Heredoc bodies, in the order of their markers.
    pub heredocs: Vec<Heredoc>,
    /// 1-based first line.
    pub start_line: u32,
    /// 1-based last line (the heredoc terminator if any).
    pub end_line: u32,
    /// Lines of the comments that sit directly above or inside this instruction.
    pub comment_lines: Vec<u32>,
    /// Index into [`Dockerfile::stages`]; `None` before the first `FROM`.
    pub stage: Option<usize>,
    /// The arguments after quote removal and `ARG`/`ENV` substitution where BuildKit performs
    /// it (`FROM`, `COPY`, `ENV`, `WORKDIR`, ...); equal to unquoted `args` elsewhere.
    pub expanded: Vec<String>,
    /// The flags after substitution.
    pub expanded_flags: Vec<String>,
    /// Variables referenced where BuildKit substitutes but not defined at that point.
    pub undefined_vars: Vec<String>,
    /// For `ONBUILD`, the instruction it registers.
    pub onbuild: Option<Box<Instruction>>,
}

impl Instruction {
    /// The value of flag `--name` (`--from=build` gives `Some("build")`), after substitution.
    pub fn flag(&self, name: &str) -> Option<&str> {
        self.expanded_flags.iter().find_map(|f| {
            let f = f.strip_prefix("--")?;
            match f.split_once('=') {
                Some((n, v)) if n.eq_ignore_ascii_case(name) => Some(v),
                None if f.eq_ignore_ascii_case(name) => Some(""),
                _ => None,
            }
        })
    }

    /// Every value of a repeatable flag (`--mount`).
    pub fn flags_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.expanded_flags.iter().filter_map(move |f| {
            let (n, v) = f.strip_prefix("--")?.split_once('=')?;
            n.eq_ignore_ascii_case(name).then_some(v)
        })
    }

    /// The instruction text with whitespace runs collapsed: the finding anchor, stable across
    /// re-indentation and line moves.
    pub fn normalized(&self) -> String {
        self.original
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// `ENV`/`LABEL` name/value pairs after substitution.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        triplets(&self.expanded)
    }

    /// `ENV`/`LABEL` name/value pairs as written (quotes kept).
    pub fn raw_pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        triplets(&self.args)
    }

    /// Whether this is the keyword `kw` (upper case).
    pub fn is(&self, kw: &str) -> bool {
        self.keyword == kw
    }
}

fn triplets(values: &[String]) -> impl Iterator<Item = (&str, &str)> {
    values.chunks(3).filter_map(|c| match c {
        [k, v, ..] => Some((k.as_str(), v.as_str())),
        _ => None,
    })
}

/// One build stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    /// 0-based position.
    pub index: usize,
    /// The `AS` alias, lower-cased as BuildKit does.
    pub name: Option<String>,
    /// The base image (or stage name) after global `ARG` substitution.
    pub base: String,
    /// Variables that the `FROM` line referenced but no global `ARG` defined.
    pub base_unresolved: bool,
    /// `--platform` value, if any.
    pub platform: Option<String>,
    /// Index of the `FROM` instruction.
    pub from: usize,
    /// Indices of this stage's instructions, `FROM` included.
    pub instructions: Vec<usize>,
}

impl Stage {
    /// The name used as a finding's resource: the alias or `stage N`.
    pub fn label(&self) -> String {
        match &self.name {
            Some(n) => n.clone(),
            None => format!("stage {}", self.index),
        }
    }
}

pub(super) fn error(path: &str, line: usize, message: impl Into<String>) -> ParseError {
    ParseError {
        path: path.to_string(),
        line: u32::try_from(line).ok(),
        message: message.into(),
    }
}

fn line_no(i: usize) -> u32 {
    u32::try_from(i + 1).unwrap_or(u32::MAX)
}

/// Reads `# key=value` parser directives at the top of the file; returns the index of the
/// first line after them.
fn directives(
    path: &str,
    lines: &[&str],
    escape: &mut char,
    syntax: &mut Option<String>,
    comments: &mut Vec<Comment>,
) -> Result<usize, ParseError> {
    let mut seen: Vec<String> = Vec::new();
    let mut i = 0;
    while let Some(line) = lines.get(i) {
        let Some(body) = line.trim().strip_prefix('#') else {
            break;
        };
        let Some((key, value)) = body.split_once('=') else {
            break;
        };
        let key = key.trim().to_ascii_lowercase();
        let value = value.trim();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric()) {
            break;
        }
        if !matches!(key.as_str(), "syntax" | "escape" | "check") {
            break;
        }
        if seen.contains(&key) {
            return Err(error(
                path,
                i + 1,
                format!("only one {key} parser directive can be used"),
            ));
        }
        match key.as_str() {
            "escape" => {
                *escape = match value {
                    "\\" => '\\',
                    "`" => '`',
                    other => {
                        return Err(error(
                            path,
                            i + 1,
                            format!("invalid escape token '{other}' does not match ` or \\"),
                        ));
                    }
                }
            }
            "syntax" => *syntax = Some(value.to_string()),
            _ => {}
        }
        comments.push(Comment {
            line: line_no(i),
            text: body.trim().to_string(),
        });
        seen.push(key);
        i += 1;
    }
    Ok(i)
}

/// Removes a trailing escape character (followed only by blanks): `(text, continues)`.
fn trim_continuation(line: &str, escape: char) -> (&str, bool) {
    let t = line.trim_end_matches([' ', '\t']);
    match t.strip_suffix(escape) {
        Some(head) => (head, true),
        None => (line, false),
    }
}

fn is_comment(line: &str) -> bool {
    line.trim_start().starts_with('#')
}

/// Parses `text` into instructions (stages are filled in by [`super::stages::resolve`]).
pub(super) fn lex(path: &str, text: &str) -> Result<Dockerfile, ParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let mut escape = '\\';
    let mut syntax = None;
    let mut comments = Vec::new();
    let mut i = directives(path, &lines, &mut escape, &mut syntax, &mut comments)?;
    let mut instructions = Vec::new();
    let mut pending_comments: Vec<u32> = Vec::new();

    while let Some(raw) = lines.get(i) {
        let trimmed = raw.trim_start();
        if trimmed.trim().is_empty() {
            pending_comments.clear();
            i += 1;
            continue;
        }
        if let Some(body) = trimmed.strip_prefix('#') {
            comments.push(Comment {
                line: line_no(i),
                text: body.trim().to_string(),
            });
            pending_comments.push(line_no(i));
            i += 1;
            continue;
        }
        let start = i;
        let mut own_comments = std::mem::take(&mut pending_comments);
        let (first, mut cont) = trim_continuation(trimmed, escape);
        let mut logical = first.to_string();
        while cont {
            i += 1;
            let Some(next) = lines.get(i) else { break };
            if is_comment(next) {
                let body = next.trim_start().trim_start_matches('#');
                comments.push(Comment {
                    line: line_no(i),
                    text: body.trim().to_string(),
                });
                own_comments.push(line_no(i));
                continue;
            }
            if next.trim().is_empty() {
                continue;
            }
            let (part, more) = trim_continuation(next, escape);
            logical.push_str(part);
            cont = more;
        }
        let end = i.min(lines.len().saturating_sub(1));
        let mut instruction = instruction(path, start, &logical, escape)?;
        instruction.end_line = line_no(end);
        instruction.comment_lines = own_comments;
        i = end + 1;
        // JSON-form lines cannot hold heredocs (BuildKit's `canContainHeredoc`).
        if matches!(instruction.keyword.as_str(), "RUN" | "COPY" | "ADD") && !instruction.json {
            let markers = heredoc::markers(&instruction.rest);
            for marker in markers {
                let body_start = i;
                let mut content = String::new();
                let mut found = false;
                while let Some(line) = lines.get(i) {
                    i += 1;
                    let candidate = if marker.chomp {
                        line.trim_start_matches('\t')
                    } else {
                        line
                    };
                    if candidate == marker.name {
                        found = true;
                        break;
                    }
                    content.push_str(candidate);
                    content.push('\n');
                }
                if !found {
                    return Err(error(
                        path,
                        start + 1,
                        format!(
                            "unterminated heredoc <<{} in {}",
                            marker.name, instruction.keyword
                        ),
                    ));
                }
                instruction.end_line = line_no(i.saturating_sub(1));
                instruction.heredocs.push(Heredoc {
                    name: marker.name,
                    content,
                    expand: marker.expand,
                    chomp: marker.chomp,
                    start_line: line_no(body_start),
                    end_line: line_no(i.saturating_sub(1)),
                });
            }
        }
        instructions.push(instruction);
    }
    if !instructions.iter().any(|i| i.is("FROM")) {
        return Err(error(
            path,
            instructions.first().map_or(1, |i| i.start_line as usize),
            "no FROM instruction",
        ));
    }
    Ok(Dockerfile {
        escape,
        syntax,
        instructions,
        comments,
        stages: Vec::new(),
    })
}

/// The flags BuildKit's Dockerfile frontend accepts per instruction (dockerfile 1.x, labs
/// flags included); any other is a build error (`unknown flag: user`), so it is a parse
/// error here too rather than a silently linted typo.
fn allowed_flags(keyword: &str) -> &'static [&'static str] {
    match keyword {
        "FROM" => &["platform"],
        "RUN" => &["mount", "network", "security", "device"],
        "COPY" => &["from", "chown", "chmod", "link", "parents", "exclude"],
        "ADD" => &[
            "chown",
            "chmod",
            "link",
            "checksum",
            "keep-git-dir",
            "exclude",
            "unpack",
        ],
        "HEALTHCHECK" => &[
            "interval",
            "timeout",
            "start-period",
            "start-interval",
            "retries",
        ],
        _ => &[],
    }
}

fn check_flags(path: &str, line: usize, keyword: &str, flags: &[String]) -> Result<(), ParseError> {
    for flag in flags {
        let name = flag.trim_start_matches('-');
        let name = name.split_once('=').map_or(name, |(n, _)| n);
        if !allowed_flags(keyword).contains(&name) {
            return Err(error(path, line, format!("unknown flag: {name}")));
        }
    }
    Ok(())
}

/// Splits off leading `--flag[=value]` words.
fn split_flags(text: &str, escape: char) -> (Vec<String>, &str) {
    let mut flags = Vec::new();
    let mut rest = text.trim_start();
    while rest.starts_with("--") {
        let end = word_end(rest, escape);
        let (flag, tail) = rest.split_at(end);
        rest = tail.trim_start();
        if flag == "--" {
            break;
        }
        flags.push(flag.to_string());
    }
    (flags, rest)
}

/// End of the first whitespace-delimited word, honouring quotes.
fn word_end(text: &str, escape: char) -> usize {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (idx, c) in text.char_indices() {
        if escaped {
            // BuildKit's parseWords keeps the escape and the character after it in the word,
            // so `value\ value2` is one word.
            escaped = false;
            continue;
        }
        match quote {
            Some('"') if c == escape => escaped = true,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == escape => escaped = true,
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c.is_whitespace() => return idx,
            None => {}
        }
    }
    text.len()
}

/// Whitespace-delimited words, quotes kept.
pub(super) fn words(text: &str, escape: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        let end = word_end(rest, escape);
        let (w, tail) = rest.split_at(end);
        out.push(w.to_string());
        rest = tail.trim_start();
    }
    out
}

/// Parses `["a", "b"]`; `None` when the text is not a JSON array of strings.
fn json_array(text: &str) -> Option<Vec<String>> {
    let t = text.trim();
    if !t.starts_with('[') || !t.ends_with(']') {
        return None;
    }
    serde_json::from_str::<Vec<String>>(t).ok()
}

/// `ENV`/`LABEL` arguments as BuildKit's node chain: `[k1, v1, sep1, k2, v2, sep2]`, where
/// the separator is `=` or empty for the legacy `ENV key value` form.
fn name_values(
    path: &str,
    line: usize,
    keyword: &str,
    rest: &str,
    escape: char,
) -> Result<Vec<String>, ParseError> {
    let ws = words(rest, escape);
    let Some(first) = ws.first() else {
        return Err(error(
            path,
            line,
            format!("{keyword} requires at least one argument"),
        ));
    };
    if !first.contains('=') {
        // Legacy `ENV key value with spaces`.
        let value = rest.trim_start().get(first.len()..).unwrap_or("").trim();
        if value.is_empty() {
            return Err(error(
                path,
                line,
                format!("{keyword} must have two arguments"),
            ));
        }
        return Ok(vec![first.clone(), value.to_string(), String::new()]);
    }
    let mut out = Vec::new();
    for w in ws {
        let Some((k, v)) = w.split_once('=') else {
            return Err(error(
                path,
                line,
                format!("syntax error - can't find = in {w:?}. must be of the form: name=value"),
            ));
        };
        if k.is_empty() {
            return Err(error(
                path,
                line,
                format!("{keyword} names can not be blank"),
            ));
        }
        out.push(k.to_string());
        out.push(v.to_string());
        out.push("=".to_string());
    }
    Ok(out)
}

/// Builds one instruction from its logical line (`start` is the 0-based first line).
fn instruction(
    path: &str,
    start: usize,
    logical: &str,
    escape: char,
) -> Result<Instruction, ParseError> {
    let line = start + 1;
    let text = logical.trim();
    let kw_end = text.find(char::is_whitespace).unwrap_or(text.len());
    let (kw, after) = text.split_at(kw_end);
    let keyword = kw.to_ascii_uppercase();
    if !KEYWORDS.contains(&keyword.as_str()) {
        return Err(error(path, line, format!("unknown instruction: {kw}")));
    }
    let (flags, rest) = split_flags(after, escape);
    check_flags(path, line, &keyword, &flags)?;
    let rest = rest.trim_end().to_string();
    let mut json = false;
    let args = match keyword.as_str() {
        "RUN" | "CMD" | "ENTRYPOINT" => match json_array(&rest) {
            Some(a) => {
                json = true;
                a
            }
            None if rest.is_empty() && keyword == "RUN" => {
                return Err(error(path, line, "RUN requires at least one argument"));
            }
            None if rest.is_empty() => Vec::new(),
            None => vec![rest.clone()],
        },
        "SHELL" => match json_array(&rest) {
            Some(a) if !a.is_empty() => {
                json = true;
                a
            }
            _ => {
                return Err(error(
                    path,
                    line,
                    "SHELL requires the arguments to be in JSON form",
                ));
            }
        },
        "ENV" | "LABEL" => name_values(path, line, &keyword, &rest, escape)?,
        "COPY" | "ADD" | "VOLUME" => match json_array(&rest) {
            Some(a) => {
                json = true;
                a
            }
            None => words(&rest, escape),
        },
        "HEALTHCHECK" => {
            let ws = words(&rest, escape);
            match ws.first().map(|w| w.to_ascii_uppercase()) {
                Some(t) if t == "NONE" => {
                    if ws.len() > 1 {
                        return Err(error(path, line, "HEALTHCHECK NONE takes no arguments"));
                    }
                    vec!["NONE".to_string()]
                }
                Some(t) if t == "CMD" => {
                    let cmd = rest.trim_start().get(3..).unwrap_or("").trim().to_string();
                    if cmd.is_empty() {
                        return Err(error(path, line, "missing command after HEALTHCHECK CMD"));
                    }
                    let mut v = vec!["CMD".to_string()];
                    match json_array(&cmd) {
                        Some(a) => {
                            json = true;
                            v.extend(a);
                        }
                        None => v.push(cmd),
                    }
                    v
                }
                Some(other) => {
                    return Err(error(
                        path,
                        line,
                        format!("unknown type {other:?} in HEALTHCHECK (try CMD)"),
                    ));
                }
                None => {
                    return Err(error(
                        path,
                        line,
                        "HEALTHCHECK requires at least one argument",
                    ));
                }
            }
        }
        "WORKDIR" | "MAINTAINER" | "STOPSIGNAL" | "ONBUILD" => vec![rest.clone()],
        _ => words(&rest, escape),
    };
    let needs_args = !matches!(keyword.as_str(), "CMD" | "ENTRYPOINT");
    if needs_args && args.iter().all(|a| a.is_empty()) {
        return Err(error(
            path,
            line,
            format!("{keyword} requires at least one argument"),
        ));
    }
    if keyword == "FROM"
        && !(args.len() == 1
            || (args.len() == 3 && args.get(1).is_some_and(|a| a.eq_ignore_ascii_case("as"))))
    {
        return Err(error(
            path,
            line,
            "FROM requires either one or three arguments",
        ));
    }
    let onbuild = if keyword == "ONBUILD" {
        // Checked before parsing the trigger so that `ONBUILD ONBUILD ...` cannot recurse.
        let trigger = rest
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        if matches!(trigger.as_str(), "ONBUILD" | "FROM" | "MAINTAINER") {
            return Err(error(
                path,
                line,
                format!("{trigger} isn't allowed as an ONBUILD trigger"),
            ));
        }
        Some(Box::new(instruction(path, start, &rest, escape)?))
    } else {
        None
    };
    Ok(Instruction {
        keyword,
        expanded: Vec::new(),
        expanded_flags: flags.clone(),
        undefined_vars: Vec::new(),
        flags,
        args,
        rest,
        json,
        original: text.to_string(),
        heredocs: Vec::new(),
        start_line: line_no(start),
        end_line: line_no(start),
        comment_lines: Vec::new(),
        stage: None,
        onbuild,
    })
}
