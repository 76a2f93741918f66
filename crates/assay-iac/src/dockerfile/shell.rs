//! A small POSIX shell reader for `RUN` lines: splits a script into words and operators
//! (quotes, escapes, `$(...)`, comments, redirections) and then into simple commands with
//! their pipeline position, looking into `sh -c '...'` and through `sudo`/`env` wrappers.
//!
//! Written here rather than taken from a crate: `shlex`/`shell-words` split words but drop
//! operators (`&&`, `|`, `;`, redirections), and the full shell parsers (e.g. `conch-parser`)
//! are unmaintained; rules need exactly "each command with its arguments and its pipe".

/// One lexical token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// A word after quote removal (`$VAR` kept literally).
    Word(String),
    /// A control operator: `&&`, `||`, `|`, `|&`, `;`, `;;`, `&`, newline, `(`, `)`.
    Op(String),
    /// A redirection operator (`>`, `2>&`, `<<`, ...); the next word is its target.
    Redirect(String),
}

/// Splits `script` into tokens.
pub fn tokenize(script: &str) -> Vec<Token> {
    let chars: Vec<char> = script.chars().collect();
    let mut tokens = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut i = 0;
    let flush = |word: &mut String, in_word: &mut bool, tokens: &mut Vec<Token>| {
        if *in_word {
            tokens.push(Token::Word(std::mem::take(word)));
            *in_word = false;
        }
    };
    while let Some(&c) = chars.get(i) {
        match c {
            '\'' => {
                in_word = true;
                i += 1;
                while let Some(&d) = chars.get(i) {
                    i += 1;
                    if d == '\'' {
                        break;
                    }
                    word.push(d);
                }
            }
            '"' => {
                in_word = true;
                i += 1;
                while let Some(&d) = chars.get(i) {
                    i += 1;
                    match d {
                        '"' => break,
                        '\\' => match chars.get(i) {
                            Some(&e @ ('"' | '\\' | '$' | '`')) => {
                                word.push(e);
                                i += 1;
                            }
                            Some('\n') => i += 1,
                            _ => word.push('\\'),
                        },
                        '$' if chars.get(i) == Some(&'(') => {
                            word.push('$');
                            i = substitution(&chars, i, &mut word);
                        }
                        _ => word.push(d),
                    }
                }
            }
            '\\' => {
                i += 1;
                match chars.get(i) {
                    Some('\n') => i += 1,
                    Some(&e) => {
                        in_word = true;
                        word.push(e);
                        i += 1;
                    }
                    None => {}
                }
            }
            '$' if chars.get(i + 1) == Some(&'(') => {
                in_word = true;
                word.push('$');
                i = substitution(&chars, i + 1, &mut word);
            }
            '`' => {
                in_word = true;
                word.push('`');
                i += 1;
                while let Some(&d) = chars.get(i) {
                    i += 1;
                    word.push(d);
                    if d == '`' {
                        break;
                    }
                }
            }
            '#' if !in_word => {
                while chars.get(i).is_some_and(|&d| d != '\n') {
                    i += 1;
                }
            }
            ' ' | '\t' | '\r' => {
                flush(&mut word, &mut in_word, &mut tokens);
                i += 1;
            }
            '\n' | ';' | '&' | '|' | '(' | ')' => {
                flush(&mut word, &mut in_word, &mut tokens);
                let next = chars.get(i + 1).copied();
                let op: String = match (c, next) {
                    ('&', Some('&')) | ('|', Some('|')) | (';', Some(';')) | ('|', Some('&')) => {
                        i += 1;
                        [c, next.unwrap_or(c)].iter().collect()
                    }
                    ('&', Some('>')) => {
                        // `&>file` redirects both streams.
                        i += 2;
                        tokens.push(Token::Redirect("&>".into()));
                        continue;
                    }
                    _ => c.to_string(),
                };
                tokens.push(Token::Op(op));
                i += 1;
            }
            '<' | '>' => {
                // A word made only of digits right before is the file descriptor.
                let fd = if in_word && !word.is_empty() && word.chars().all(|d| d.is_ascii_digit())
                {
                    in_word = false;
                    std::mem::take(&mut word)
                } else {
                    flush(&mut word, &mut in_word, &mut tokens);
                    String::new()
                };
                let mut op = fd;
                op.push(c);
                i += 1;
                while let Some(&d) = chars.get(i) {
                    if matches!(d, '<' | '>' | '&' | '|' | '-') && op.len() < 4 {
                        op.push(d);
                        i += 1;
                    } else {
                        break;
                    }
                }
                tokens.push(Token::Redirect(op));
            }
            _ => {
                in_word = true;
                word.push(c);
                i += 1;
            }
        }
    }
    flush(&mut word, &mut in_word, &mut tokens);
    tokens
}

/// Copies a `$(...)` substitution starting at the `(` at `i` into `word`; returns the index
/// after the closing parenthesis.
fn substitution(chars: &[char], mut i: usize, word: &mut String) -> usize {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    while let Some(&d) = chars.get(i) {
        word.push(d);
        i += 1;
        match (quote, d) {
            (Some(q), _) if d == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(d),
            (None, '(') => depth += 1,
            (None, ')') => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    break;
                }
            }
            _ => {}
        }
    }
    i
}

/// One simple command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// Leading `NAME=value` assignments.
    pub env: Vec<(String, String)>,
    /// The command word and its arguments, redirections removed.
    pub words: Vec<String>,
    /// Redirection targets (`> /dev/null` gives `/dev/null`).
    pub redirects: Vec<String>,
    /// Which pipeline of the script this command is in (0-based, in order).
    pub pipeline: usize,
    /// Position inside its pipeline (0 = reads no pipe).
    pub pipe_pos: usize,
}

impl Command {
    /// The command's base name: `/usr/bin/apt-get` gives `apt-get`.
    pub fn name(&self) -> &str {
        let w = self.words.first().map_or("", String::as_str);
        w.rsplit('/').next().unwrap_or(w)
    }

    /// The arguments after the command word.
    pub fn args(&self) -> &[String] {
        self.words.get(1..).unwrap_or(&[])
    }

    /// Whether any argument equals one of `flags`.
    pub fn has_arg(&self, flags: &[&str]) -> bool {
        self.args().iter().any(|a| flags.contains(&a.as_str()))
    }

    /// Whether a short-option cluster contains `c` (`-qy` contains `y`) or a long flag
    /// is present.
    pub fn has_flag(&self, short: char, long: &[&str]) -> bool {
        self.args().iter().any(|a| {
            if let Some(l) = a.strip_prefix("--") {
                let l = l.split('=').next().unwrap_or(l);
                long.iter().any(|x| x.trim_start_matches("--") == l)
            } else if let Some(s) = a.strip_prefix('-') {
                !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric()) && s.contains(short)
            } else {
                false
            }
        })
    }

    /// The first argument that is not an option (`apt-get -y install x` gives `install`).
    pub fn subcommand(&self) -> Option<&str> {
        self.args()
            .iter()
            .map(String::as_str)
            .find(|a| !a.starts_with('-'))
    }

    /// Arguments after the subcommand that are not options: package names for installers.
    pub fn operands(&self) -> Vec<&str> {
        let mut seen_sub = false;
        let mut out = Vec::new();
        for a in self.args() {
            if a.starts_with('-') {
                continue;
            }
            if !seen_sub {
                seen_sub = true;
                continue;
            }
            out.push(a.as_str());
        }
        out
    }

    /// The script text the command line says it runs, re-joined.
    pub fn text(&self) -> String {
        let mut parts: Vec<String> = self.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        parts.extend(self.words.iter().cloned());
        parts.join(" ")
    }
}

const SHELLS: &[&str] = &["sh", "bash", "ash", "dash", "zsh", "ksh"];
const RESERVED: &[&str] = &[
    "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}", "time",
];

/// Whether `name` is a shell interpreter.
pub fn is_shell(name: &str) -> bool {
    SHELLS.contains(&name)
}

/// Every simple command in `script`, including those inside `sh -c` scripts and behind
/// `sudo`/`env`/`nohup`/`exec` wrappers (the wrapper is listed too).
pub fn commands(script: &str) -> Vec<Command> {
    let mut out = Vec::new();
    collect(script, 0, &mut out);
    out
}

fn collect(script: &str, depth: usize, out: &mut Vec<Command>) {
    let mut pipeline = next_pipeline(out);
    let mut pipe_pos = 0;
    let mut current: Vec<Token> = Vec::new();
    let finish =
        |current: &mut Vec<Token>, pipeline: usize, pipe_pos: usize, out: &mut Vec<Command>| {
            if let Some(cmd) = build(std::mem::take(current), pipeline, pipe_pos) {
                push_with_inner(cmd, depth, out);
            }
        };
    for token in tokenize(script) {
        match &token {
            Token::Op(op) => {
                finish(&mut current, pipeline, pipe_pos, out);
                if op == "|" || op == "|&" {
                    pipe_pos += 1;
                } else if op != "(" {
                    pipeline = next_pipeline(out).max(pipeline + 1);
                    pipe_pos = 0;
                }
            }
            _ => current.push(token),
        }
    }
    finish(&mut current, pipeline, pipe_pos, out);
}

/// The number of the next pipeline: commands are pushed in increasing pipeline order, so the
/// last one holds the highest.
fn next_pipeline(out: &[Command]) -> usize {
    out.last().map_or(0, |c| c.pipeline + 1)
}

/// The commands of an exec-form (JSON) `RUN`: the array is one command, `sh -c` looked into.
pub fn exec_commands(words: &[String]) -> Vec<Command> {
    let mut out = Vec::new();
    if !words.is_empty() {
        let cmd = Command {
            env: Vec::new(),
            words: words.to_vec(),
            redirects: Vec::new(),
            pipeline: 0,
            pipe_pos: 0,
        };
        push_with_inner(cmd, 0, &mut out);
    }
    out
}

fn build(tokens: Vec<Token>, pipeline: usize, pipe_pos: usize) -> Option<Command> {
    let mut cmd = Command {
        env: Vec::new(),
        words: Vec::new(),
        redirects: Vec::new(),
        pipeline,
        pipe_pos,
    };
    let mut iter = tokens.into_iter();
    while let Some(t) = iter.next() {
        match t {
            Token::Redirect(_) => {
                if let Some(Token::Word(target)) = iter.next() {
                    cmd.redirects.push(target);
                }
            }
            Token::Word(w) => {
                if cmd.words.is_empty() {
                    if RESERVED.contains(&w.as_str()) {
                        continue;
                    }
                    if let Some((k, v)) = w.split_once('=')
                        && !k.is_empty()
                        && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    {
                        cmd.env.push((k.to_string(), v.to_string()));
                        continue;
                    }
                }
                cmd.words.push(w);
            }
            Token::Op(_) => {}
        }
    }
    (!cmd.words.is_empty() || !cmd.env.is_empty()).then_some(cmd)
}

/// Adds `cmd`, then what it wraps: the script of `sh -c`, the command after `sudo`/`env`.
fn push_with_inner(cmd: Command, depth: usize, out: &mut Vec<Command>) {
    let name = cmd.name().to_string();
    let args = cmd.args().to_vec();
    let (pipeline, pipe_pos) = (cmd.pipeline, cmd.pipe_pos);
    out.push(cmd);
    if depth > 8 {
        return;
    }
    if is_shell(&name) {
        let mut it = args.iter();
        while let Some(a) = it.next() {
            if a.starts_with('-') && !a.starts_with("--") && a.contains('c') {
                if let Some(script) = it.next() {
                    collect(script, depth + 1, out);
                }
                break;
            }
        }
        return;
    }
    let inner_start = wrapped_start(&name, &args);
    if let Some(start) = inner_start
        && let Some(rest) = args.get(start..)
        && !rest.is_empty()
    {
        let mut inner = Command {
            env: Vec::new(),
            words: Vec::new(),
            redirects: Vec::new(),
            pipeline,
            pipe_pos,
        };
        for w in rest {
            if inner.words.is_empty()
                && let Some((k, v)) = w.split_once('=')
                && !k.is_empty()
                && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                inner.env.push((k.to_string(), v.to_string()));
                continue;
            }
            inner.words.push(w.clone());
        }
        if !inner.words.is_empty() {
            push_with_inner(inner, depth + 1, out);
        }
    }
}

/// Where the wrapped command starts in the arguments of a wrapper (`sudo -u app cmd`).
fn wrapped_start(name: &str, args: &[String]) -> Option<usize> {
    match name {
        "sudo" | "doas" => skip_options(args, &["-u", "-g", "-U", "-C", "-h", "-p", "-r", "-t"]),
        "env" => {
            let mut i = skip_options(args, &["-u", "-C", "-S"])?;
            while args
                .get(i)
                .is_some_and(|a| a.contains('=') && !a.starts_with('='))
            {
                i += 1;
            }
            Some(i)
        }
        "nohup" | "exec" | "command" | "nice" | "stdbuf" => skip_options(args, &["-n"]),
        // `timeout 10 cmd`, `chroot /dir cmd`: skip one positional argument.
        "timeout" | "chroot" => skip_options(args, &[]).map(|i| i + 1),
        _ => None,
    }
}

/// Index of the first argument that is not an option (options in `with_value` take one).
fn skip_options(args: &[String], with_value: &[&str]) -> Option<usize> {
    let mut i = 0;
    while let Some(a) = args.get(i) {
        if a == "--" {
            return Some(i + 1);
        }
        if !a.starts_with('-') {
            return Some(i);
        }
        i += if with_value.contains(&a.as_str()) {
            2
        } else {
            1
        };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(script: &str) -> Vec<String> {
        commands(script).iter().map(|c| c.words.join(" ")).collect()
    }

    #[test]
    fn splits_sequences_pipes_and_subshells() {
        assert_eq!(
            names("set -e; apt-get update && (cd /x || exit 1) | tee log >/dev/null 2>&1"),
            vec!["set -e", "apt-get update", "cd /x", "exit 1", "tee log"]
        );
    }

    #[test]
    fn keeps_quoted_operators_inside_words() {
        assert_eq!(
            names(r#"echo "a && b" 'c | d' e\;f"#),
            vec!["echo a && b c | d e;f"]
        );
    }

    #[test]
    fn looks_into_sh_c_and_sudo() {
        let cmds = commands(r#"sudo -u app sh -c "curl -fsSL https://x | bash""#);
        let n: Vec<_> = cmds.iter().map(|c| c.name().to_string()).collect();
        assert_eq!(n, vec!["sudo", "sh", "curl", "bash"]);
        let curl = cmds
            .iter()
            .find(|c| c.name() == "curl")
            .map(|c| (c.pipeline, c.pipe_pos));
        let bash = cmds
            .iter()
            .find(|c| c.name() == "bash")
            .map(|c| (c.pipeline, c.pipe_pos));
        assert_eq!(curl.map(|c| c.0), bash.map(|b| b.0));
        assert_eq!(bash.map(|b| b.1), Some(1));
    }

    #[test]
    fn separates_env_assignments_and_command_substitutions() {
        let cmds =
            commands("DEBIAN_FRONTEND=noninteractive apt-get install -y $(cat pkgs | tr x y)");
        assert_eq!(cmds.len(), 1);
        let c = &cmds[0];
        assert_eq!(
            c.env,
            vec![("DEBIAN_FRONTEND".to_string(), "noninteractive".to_string())]
        );
        assert_eq!(
            c.words,
            vec!["apt-get", "install", "-y", "$(cat pkgs | tr x y)"]
        );
    }

    #[test]
    fn short_flag_clusters_are_understood() {
        let c = &commands("apt-get -qy install curl")[0];
        assert!(c.has_flag('y', &["--yes", "--assume-yes"]));
        assert_eq!(c.subcommand(), Some("install"));
        assert_eq!(c.operands(), vec!["curl"]);
    }
}
