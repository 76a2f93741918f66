//! `--report FORMAT=FILE`, shared by `scan` and `audit-log`: one place decides what a spec
//! looks like and what its errors say.

use std::path::PathBuf;

use assay_report::Format;

use crate::exit::Failure;

/// The extra reports one run writes.
#[derive(Debug, Default)]
pub struct ReportSpecs {
    /// Report formats and their files.
    pub reports: Vec<(Format, PathBuf)>,
    /// OpenVEX documents (`openvex=FILE`), which are not a report format but written from the
    /// same findings; only where the caller accepts them.
    pub openvex: Vec<PathBuf>,
}

impl ReportSpecs {
    /// Parses `specs`; `openvex=FILE` is accepted only when `allow_openvex` (elsewhere it is
    /// an unknown format like any other).
    pub fn parse(specs: &[String], allow_openvex: bool) -> Result<ReportSpecs, Failure> {
        let mut out = ReportSpecs::default();
        for spec in specs {
            let (name, file) = spec
                .split_once('=')
                .filter(|(n, f)| !n.is_empty() && !f.is_empty())
                .ok_or_else(|| {
                    Failure::input(format!("--report: {spec:?} should be FORMAT=FILE"))
                })?;
            if allow_openvex && name == "openvex" {
                out.openvex.push(PathBuf::from(file));
                continue;
            }
            let format: Format = name.parse().map_err(|e: assay_report::ParseFormatError| {
                Failure::input(format!("--report: {e}"))
            })?;
            out.reports.push((format, PathBuf::from(file)));
        }
        Ok(out)
    }

    /// Whether `main` or one of the reports is a template, which needs `--template`.
    pub fn need_template(&self, main: Format) -> bool {
        main == Format::Template || self.reports.iter().any(|(f, _)| *f == Format::Template)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn specs(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_formats_and_openvex_where_allowed() {
        let parsed =
            ReportSpecs::parse(&specs(&["sarif=a.sarif", "openvex=v.json"]), true).expect("ok");
        assert_eq!(
            parsed.reports,
            vec![(Format::Sarif, PathBuf::from("a.sarif"))]
        );
        assert_eq!(parsed.openvex, vec![PathBuf::from("v.json")]);
        assert!(!parsed.need_template(Format::Json));
        assert!(parsed.need_template(Format::Template));
    }

    #[test]
    fn malformed_specs_and_unknown_formats_are_input_errors() {
        for (spec, allow, says) in [
            ("sarif", true, "should be FORMAT=FILE"),
            ("=x", true, "should be FORMAT=FILE"),
            ("sarif=", true, "should be FORMAT=FILE"),
            ("nope=x", true, "--report:"),
            ("openvex=x", false, "--report:"),
        ] {
            let err = ReportSpecs::parse(&specs(&[spec]), allow).expect_err(spec);
            assert!(err.to_string().contains(says), "{spec}: {err}");
        }
    }
}
