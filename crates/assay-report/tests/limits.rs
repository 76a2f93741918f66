//! The formats that feed size-limited consumers (GitHub code scanning, step summaries) stay
//! within those limits and say what they left out.
#![allow(clippy::unwrap_used)]

use assay_core::{Finding, FindingKind, Location, Report, Severity, TargetSummary};
use assay_report::formats::{markdown, sarif};

fn report(n: usize, message_len: usize) -> Report {
    let mut report = Report::new("big", "0.0.0");
    report.targets.push(TargetSummary {
        name: "f".into(),
        kind: "dockerfile".into(),
        base_image: None,
        rules_checked: vec![],
    });
    for i in 0..n {
        let severity = if i % 10 == 0 {
            Severity::Critical
        } else {
            Severity::Low
        };
        let path = format!("dir/file{}.yaml", i / 100);
        let line = u32::try_from(i % 100 + 1).unwrap();
        report.findings.push(Finding::new(
            FindingKind::Misconfig,
            format!("ASSAY-DF-{:03}", i % 7),
            severity,
            "title",
            format!("{i} {}", "x".repeat(message_len)),
            "f",
            Location::lines(path, line, line),
            &i.to_string(),
        ));
    }
    report.normalize();
    report
}

fn results(bytes: &[u8]) -> (Vec<serde_json::Value>, String) {
    let doc: serde_json::Value = serde_json::from_slice(bytes).unwrap();
    let run = &doc["runs"][0];
    let notes = run["invocations"][0]["toolExecutionNotifications"].to_string();
    (run["results"].as_array().unwrap().clone(), notes)
}

#[test]
fn sarif_keeps_the_most_severe_results_within_the_result_limit() {
    let r = report(300, 10);
    let (kept, notes) = results(&sarif::render_within(&r, 100, usize::MAX).unwrap());
    assert_eq!(kept.len(), 100);
    // 30 CRITICAL findings exist; all of them survive the cut.
    assert_eq!(kept.iter().filter(|x| x["level"] == "error").count(), 30);
    assert!(notes.contains("200 result(s) left out"), "{notes}");
}

#[test]
fn sarif_shrinks_until_the_gzipped_size_fits() {
    let r = report(2000, 400);
    let limit = 40_000;
    let bytes = sarif::render_within(&r, usize::MAX, limit).unwrap();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut enc, &bytes).unwrap();
    assert!(enc.finish().unwrap().len() <= limit);
    let (kept, notes) = results(&bytes);
    assert!(kept.len() < 2000 && !kept.is_empty());
    assert!(notes.contains("left out"));
}

#[test]
fn sarif_under_the_limits_keeps_everything_without_a_notice() {
    let (kept, notes) = results(&sarif::render(&report(50, 10)).unwrap());
    assert_eq!(kept.len(), 50);
    assert!(!notes.contains("left out"));
}

#[test]
fn markdown_stays_under_the_step_summary_cap() {
    let text = markdown::render(&report(20_000, 2_000));
    assert!(text.len() <= markdown::MAX_BYTES, "{}", text.len());
    assert!(text.contains("more finding(s) not listed"));
    assert!(
        text.contains("| 2000 | 0 | 0 | 18000 |"),
        "counts cover every finding"
    );
}

#[test]
fn junit_is_well_formed_xml_with_a_failure_per_failing_rule() {
    let mut r = report(20, 5);
    r.findings[0].message = "bad <chars> & \"quotes\" \u{1} here".into();
    let xml = assay_report::formats::junit::render(&r);
    let mut reader = quick_xml::Reader::from_str(&xml);
    let (mut failures, mut cases) = (0, 0);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e)) => {
                match e.name().as_ref() {
                    "failure" => failures += 1,
                    "testcase" => cases += 1,
                    _ => {}
                }
            }
            Ok(_) => {}
            Err(e) => panic!("not well-formed: {e}\n{xml}"),
        }
    }
    // 7 distinct rules fail on the one target.
    assert_eq!((cases, failures), (7, 7));
}
