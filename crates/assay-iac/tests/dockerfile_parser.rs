//! The Dockerfile parser on tricky inputs: what BuildKit would build, with exact line spans.
#![allow(clippy::unwrap_used)]

use assay_iac::IacOptions;
use assay_iac::dockerfile::{self, Dockerfile, Instruction, shell};

fn parse(text: &str) -> Dockerfile {
    dockerfile::parse("Dockerfile", text).unwrap()
}

fn spans(df: &Dockerfile) -> Vec<(String, u32, u32)> {
    df.instructions
        .iter()
        .map(|i| (i.keyword.clone(), i.start_line, i.end_line))
        .collect()
}

fn span(kw: &str, start: u32, end: u32) -> (String, u32, u32) {
    (kw.to_string(), start, end)
}

fn nth<'a>(df: &'a Dockerfile, kw: &str, n: usize) -> &'a Instruction {
    df.instructions
        .iter()
        .filter(|i| i.keyword == kw)
        .nth(n)
        .unwrap()
}

#[test]
fn reads_heredocs_with_their_spans() {
    let text = "FROM alpine:3.19\n\
RUN <<EOF\n\
set -e\n\
apk add --no-cache curl\n\
EOF\n\
RUN <<-'SCRIPT' cat > /a && cat <<\"B\" > /b\n\
\t\techo $HOME\n\
\tSCRIPT\n\
b-line\n\
B\n\
COPY <<EOF /etc/app.conf\n\
key=value\n\
EOF\n\
USER 1000\n";
    let df = parse(text);
    assert_eq!(
        spans(&df),
        vec![
            span("FROM", 1, 1),
            span("RUN", 2, 5),
            span("RUN", 6, 10),
            span("COPY", 11, 13),
            span("USER", 14, 14)
        ]
    );
    let run = nth(&df, "RUN", 0);
    assert_eq!(run.heredocs.len(), 1);
    assert_eq!(run.heredocs[0].content, "set -e\napk add --no-cache curl\n");
    assert!(run.heredocs[0].expand);
    let two = nth(&df, "RUN", 1);
    let names: Vec<_> = two
        .heredocs
        .iter()
        .map(|h| (h.name.as_str(), h.chomp, h.expand))
        .collect();
    assert_eq!(names, vec![("SCRIPT", true, false), ("B", false, false)]);
    assert_eq!(two.heredocs[0].content, "echo $HOME\n");
    assert_eq!(two.heredocs[1].content, "b-line\n");
    assert_eq!(
        (two.heredocs[1].start_line, two.heredocs[1].end_line),
        (9, 10)
    );
    let copy = nth(&df, "COPY", 0);
    assert_eq!(copy.args, vec!["<<EOF", "/etc/app.conf"]);
    assert_eq!(copy.heredocs[0].content, "key=value\n");
}

#[test]
fn heredoc_script_is_analysed_as_shell() {
    let text = "FROM debian:12\nRUN <<EOF\napt-get update\napt-get install curl\nEOF\nUSER 1000\n";
    let findings = dockerfile::scan("Dockerfile", text, &IacOptions::default()).unwrap();
    let ids: Vec<_> = findings.iter().map(|f| f.rule_id.as_str()).collect();
    assert!(ids.contains(&"ASSAY-DF-043"), "{ids:?}");
    let f = findings
        .iter()
        .find(|f| f.rule_id == "ASSAY-DF-043")
        .unwrap();
    assert_eq!((f.location.line, f.location.end_line), (Some(2), Some(5)));
}

#[test]
fn escape_directive_switches_to_backtick() {
    let text = "# escape=`\n\
# syntax=docker/dockerfile:1.7\n\
FROM mcr.microsoft.com/windows/servercore:ltsc2022\n\
COPY testfile.txt C:\\\n\
RUN dir c:\\ `\n\
    && echo done\n";
    let df = parse(text);
    assert_eq!(df.escape, '`');
    assert_eq!(df.syntax.as_deref(), Some("docker/dockerfile:1.7"));
    assert_eq!(
        spans(&df),
        vec![span("FROM", 3, 3), span("COPY", 4, 4), span("RUN", 5, 6)]
    );
    assert_eq!(nth(&df, "COPY", 0).args, vec!["testfile.txt", "C:\\"]);
    assert_eq!(nth(&df, "RUN", 0).args, vec!["dir c:\\ && echo done"]);
}

#[test]
fn continuation_lines_drop_comments_and_blank_lines() {
    let text = "FROM debian:12\n\
RUN apt-get update \\\n\
# a comment BuildKit drops\n\
\n\
    && apt-get install -y curl \\  \n\
    && rm -rf /var/lib/apt/lists/*\n\
USER 1000\n";
    let df = parse(text);
    assert_eq!(
        spans(&df),
        vec![span("FROM", 1, 1), span("RUN", 2, 6), span("USER", 7, 7)]
    );
    let run = nth(&df, "RUN", 0);
    assert_eq!(
        run.normalized(),
        "RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*"
    );
    assert_eq!(run.comment_lines, vec![3]);
}

#[test]
fn distinguishes_json_and_shell_forms() {
    let text = "FROM alpine:3.19\n\
CMD [\"echo\", \"hello world\"]\n\
ENTRYPOINT [\"a\", 'b']\n\
SHELL [\"/bin/ash\", \"-eo\", \"pipefail\", \"-c\"]\n\
run echo lower-case works\n";
    let df = parse(text);
    let cmd = nth(&df, "CMD", 0);
    assert!(cmd.json);
    assert_eq!(cmd.args, vec!["echo", "hello world"]);
    let ep = nth(&df, "ENTRYPOINT", 0);
    assert!(
        !ep.json,
        "invalid JSON falls back to the shell form, as in BuildKit"
    );
    assert_eq!(ep.args, vec!["[\"a\", 'b']"]);
    assert_eq!(
        nth(&df, "SHELL", 0).args,
        vec!["/bin/ash", "-eo", "pipefail", "-c"]
    );
    assert_eq!(nth(&df, "RUN", 0).args, vec!["echo lower-case works"]);
}

#[test]
fn substitutes_global_args_in_from_and_stage_variables() {
    let text = "ARG REGISTRY=docker.io\n\
ARG TAG\n\
FROM ${REGISTRY}/library/alpine:${TAG:-3.19} AS Base\n\
ARG TAG\n\
ENV DIR=/srv/${TAG:-none} FLAG=${TAG:+set}\n\
WORKDIR $DIR\n\
FROM base\n\
COPY --from=base --chmod=${MODE:-755} /a /b\n";
    let df = parse(text);
    assert_eq!(df.stages.len(), 2);
    assert_eq!(df.stages[0].base, "docker.io/library/alpine:3.19");
    assert_eq!(df.stages[0].name.as_deref(), Some("base"));
    assert_eq!(
        nth(&df, "ENV", 0).expanded,
        vec!["DIR", "/srv/none", "=", "FLAG", "", "="]
    );
    assert_eq!(nth(&df, "WORKDIR", 0).expanded, vec!["/srv/none"]);
    let copy = nth(&df, "COPY", 0);
    assert_eq!(copy.flag("from"), Some("base"));
    assert_eq!(copy.flag("chmod"), Some("755"));
    assert_eq!(copy.stage, Some(1));
    assert_eq!(df.stages[1].instructions, vec![6, 7]);
}

#[test]
fn keeps_flags_and_onbuild_triggers() {
    let text = "FROM --platform=$BUILDPLATFORM golang:1.22 AS build\n\
RUN --mount=type=cache,target=/root/.cache/go-build --mount=type=secret,id=netrc go build ./...\n\
COPY --link --chown=app:app . /src/\n\
ONBUILD RUN make\n";
    let df = parse(text);
    let run = nth(&df, "RUN", 0);
    assert_eq!(
        run.flags,
        vec![
            "--mount=type=cache,target=/root/.cache/go-build",
            "--mount=type=secret,id=netrc"
        ]
    );
    assert_eq!(run.args, vec!["go build ./..."]);
    assert_eq!(nth(&df, "COPY", 0).flags, vec!["--link", "--chown=app:app"]);
    let onbuild = nth(&df, "ONBUILD", 0);
    assert_eq!(
        onbuild.onbuild.as_ref().map(|i| i.keyword.as_str()),
        Some("RUN")
    );
    assert_eq!(df.stages[0].platform.as_deref(), Some("$BUILDPLATFORM"));
}

#[test]
fn shell_reader_sees_commands_inside_sh_c() {
    let cmds =
        shell::commands(r#"set -eux; bash -c 'cd /x && curl -fsSL https://e.com | sh' || true"#);
    let names: Vec<_> = cmds.iter().map(|c| c.name().to_string()).collect();
    assert_eq!(names, vec!["set", "bash", "cd", "curl", "sh", "true"]);
    let curl = cmds.iter().find(|c| c.name() == "curl").unwrap();
    let sh = cmds.iter().find(|c| c.name() == "sh").unwrap();
    assert_eq!(curl.pipeline, sh.pipeline);
    assert_eq!((curl.pipe_pos, sh.pipe_pos), (0, 1));
}

#[test]
fn conftest_input_has_buildkit_shape() {
    // ENV/LABEL values are BuildKit's (name, value, separator) triplets; legacy form has "".
    let df = parse("FROM alpine:3.19 AS app\nENV A=1 B=\"two words\"\nONBUILD RUN make\n");
    let v = dockerfile::conftest_input(&df);
    assert_eq!(v[0]["Cmd"], "from");
    assert_eq!(
        v[0]["Value"],
        serde_json::json!(["alpine:3.19", "AS", "app"])
    );
    assert_eq!(
        v[1]["Value"],
        serde_json::json!(["A", "1", "=", "B", "\"two words\"", "="])
    );
    assert_eq!(v[1]["StartLine"], 2);
    assert_eq!(v[2]["Cmd"], "onbuild");
    assert_eq!(v[2]["SubCmd"], "run");
    assert_eq!(v[2]["Value"], serde_json::json!(["make"]));
    assert_eq!(v[2]["Stage"], 0);
    assert_eq!(v[2]["JSON"], false);
}

fn error_of(text: &str) -> (Option<u32>, String) {
    let e = dockerfile::parse("Dockerfile", text).unwrap_err();
    (e.line, e.message)
}

#[test]
fn rejects_what_buildkit_rejects_naming_the_line() {
    assert_eq!(
        error_of("FROM alpine\nRUN true\nFOO bar\n"),
        (Some(3), "unknown instruction: FOO".to_string())
    );
    assert_eq!(error_of("FROM alpine\n\nRUN <<EOF\necho hi\n").0, Some(3));
    assert_eq!(error_of("").1, "no FROM instruction");
    assert_eq!(
        error_of("# only a comment\nARG X=1\n").1,
        "no FROM instruction"
    );
    assert_eq!(error_of("FROM alpine\nSHELL /bin/bash -c\n").0, Some(2));
    assert_eq!(error_of("FROM alpine\nENV A=1 B\n").0, Some(2));
    assert_eq!(error_of("# escape=x\nFROM alpine\n").0, Some(1));
    let e = dockerfile::parse("Dockerfile", "FROM a\nBAD x\n").unwrap_err();
    assert_eq!(e.to_string(), "Dockerfile:2: unknown instruction: BAD");
}

#[test]
fn never_panics_on_prefixes_of_a_tricky_file() {
    let text = "# escape=\\\nARG A=${B:-x\nFROM $A AS s\nRUN <<-\"E\" sh -c \"echo ${A:+'y'}\" | \\\n# c\n\t(x\nE\nCOPY [\"a\", \nENV =x\nEXPOSE 99999/tcpx\nHEALTHCHECK CMD\nONBUILD ONBUILD x\n";
    for end in 0..=text.len() {
        if let Some(prefix) = text.get(..end) {
            let _ = dockerfile::scan("Dockerfile", prefix, &IacOptions::default());
        }
    }
}

#[test]
fn inline_and_file_suppressions_mark_findings() {
    let text = "# assay:ignore-file=ASSAY-DF-009 runs as root by design\n\
FROM debian:12\n\
# assay:ignore=ASSAY-DF-043,ASSAY-DF-044 vendor script\n\
RUN apt-get update && apt-get install curl && rm -rf /var/lib/apt/lists/*\n\
# assay:ignore=*\n\
ADD app.py /app/\n\
ADD other.py /app/\n";
    let findings = dockerfile::scan("Dockerfile", text, &IacOptions::default()).unwrap();
    let by = |id: &str, line: u32| {
        findings
            .iter()
            .find(|f| f.rule_id == id && f.location.line == Some(line))
            .unwrap()
    };
    let yes = by("ASSAY-DF-043", 4).suppression.clone().unwrap();
    assert_eq!(yes.kind, "inline");
    assert_eq!(yes.reason.as_deref(), Some("vendor script"));
    assert_eq!(yes.source.as_deref(), Some("Dockerfile:3"));
    assert!(by("ASSAY-DF-013", 6).suppression.is_some());
    assert!(by("ASSAY-DF-013", 7).suppression.is_none());
    assert_eq!(
        by("ASSAY-DF-009", 2)
            .suppression
            .as_ref()
            .and_then(|s| s.source.clone())
            .as_deref(),
        Some("Dockerfile:1")
    );
}

#[test]
fn findings_name_the_stage_and_hide_secret_values() {
    let text = "FROM alpine:3.19 AS build\nENV DB_PASSWORD=hunter2\nUSER 1000\n";
    let findings = dockerfile::scan("Dockerfile", text, &IacOptions::default()).unwrap();
    let f = findings
        .iter()
        .find(|f| f.rule_id == "ASSAY-DF-034")
        .unwrap();
    assert_eq!(f.resource.as_deref(), Some("build"));
    assert!(!f.message.contains("hunter2"));
    assert!(f.message.contains("DB_PASSWORD"));
    assert!(f.fix.is_some());
}

#[test]
fn never_panics_on_generated_noise() {
    const PIECES: &[&str] = &[
        "FROM ",
        "RUN ",
        "COPY ",
        "ENV ",
        "ARG ",
        "ONBUILD ",
        "HEALTHCHECK ",
        "EXPOSE ",
        "USER ",
        "\\\n",
        "`\n",
        "\n",
        "# c\n",
        "<<EOF",
        "<<-'E'",
        "EOF\n",
        "${A:-",
        "}",
        "$(",
        ")",
        "\"",
        "'",
        "[\"",
        "\"]",
        "=",
        " ",
        "|",
        "&&",
        ";",
        "--mount=type=secret",
        "--from=x",
        "sh -c ",
        "é",
        "\t",
        "\r\n",
        "# escape=`\n",
        "ONBUILD ONBUILD ",
    ];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..3000 {
        let mut text = String::from("FROM a\n");
        for _ in 0..24 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let idx = usize::try_from(state >> 33).unwrap() % PIECES.len();
            text.push_str(PIECES[idx]);
        }
        let _ = dockerfile::scan("Dockerfile", &text, &IacOptions::default());
    }
    let deep = format!(
        "FROM a\nENV X={}{}\n",
        "${A:-".repeat(5000),
        "}".repeat(5000)
    );
    assert!(dockerfile::scan("Dockerfile", &deep, &IacOptions::default()).is_ok());
    let onbuild = format!("FROM a\n{}RUN x\n", "ONBUILD ".repeat(100_000));
    assert!(dockerfile::scan("Dockerfile", &onbuild, &IacOptions::default()).is_err());
}

#[test]
fn an_escaped_space_stays_inside_an_env_or_label_value() {
    // BuildKit's parseWords keeps `\ ` inside the word (imagebuilder's conformance files).
    let df = parse("FROM debian:12\nENV name=value\\ value2 other=x\nLABEL a=b\\ c d=e\n");
    assert_eq!(
        nth(&df, "ENV", 0).args,
        vec!["name", "value\\ value2", "=", "other", "x", "="]
    );
    assert_eq!(
        nth(&df, "LABEL", 0).args,
        vec!["a", "b\\ c", "=", "d", "e", "="]
    );
    let df = parse("# escape=`\nFROM debian:12\nENV name=value` value2\n");
    assert_eq!(nth(&df, "ENV", 0).args, vec!["name", "value` value2", "="]);
}

#[test]
fn unknown_flags_are_errors_as_in_buildkit() {
    let err = dockerfile::parse("Dockerfile", "FROM debian:12\nCOPY --user=me a /b\n")
        .err()
        .unwrap();
    assert_eq!(err.to_string(), "Dockerfile:2: unknown flag: user");
    let err = dockerfile::parse("Dockerfile", "FROM debian:12\nCMD --doit [\"x\"]\n")
        .err()
        .unwrap();
    assert_eq!(err.to_string(), "Dockerfile:2: unknown flag: doit");
    assert!(dockerfile::parse("Dockerfile", "FROM --platform=$BUILDPLATFORM debian:12 AS b\nRUN --mount=type=cache,target=/x --network=none true\nCOPY --from=b --chown=1:1 --chmod=644 --link a /b\nHEALTHCHECK --interval=5s --retries=3 CMD true\n").is_ok());
}
