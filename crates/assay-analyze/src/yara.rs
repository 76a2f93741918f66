//! YARA rules (`assay scan --yara-rules DIR`) through [yara-x](https://github.com/VirusTotal/yara-x),
//! the Rust YARA. Built only with the cargo feature `yara` (off by default): yara-x compiles
//! rules to WebAssembly and brings wasmtime and cranelift with it, which costs minutes of
//! build time that most users would pay for nothing (docs/malware.md has the measurements).
//!
//! Every `*.yar` / `*.yara` file under the directory (recursively, sorted) is compiled once,
//! each in its own namespace named after its path relative to the directory without the
//! extension (`webshells/php`), so that two files may use the same rule name. A matching
//! rule is a finding with id `YARA:<namespace>.<rule>`, the severity of the rule's
//! `severity` meta (HIGH without one), the rule's `description` meta and tags as the title.
//!
//! The scanner wants every file up to [`MAX_FILE_SIZE`] in every layer (a rule may match any
//! content, so there is no path or size filter as the hash signatures have): on an image,
//! it reads about what `assay sbom` reads plus every binary.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use assay_core::{FindingKind, Rule, Severity};

use crate::content::{ContentFile, Hit, Scanner};

/// Files larger than this are not handed to YARA: 32 MiB covers scripts, web shells,
/// miners and ordinary executables, while the largest files of an image (databases,
/// language runtimes, model weights) would dominate the scan time.
pub const MAX_FILE_SIZE: u64 = 32 << 20;

/// Rule file extensions, as the `yara` command line and rule repositories use them.
const EXTENSIONS: [&str; 2] = ["yar", "yara"];

/// Loading or compiling the rules failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum YaraError {
    /// A file or directory could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file or directory.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A rule file that does not compile.
    #[error("{path}:{line}: {why}")]
    Compile {
        /// The rule file.
        path: String,
        /// 1-based line of the error.
        line: u32,
        /// yara-x's description of the error.
        why: String,
    },
    /// A `severity` meta that names no severity.
    #[error(
        "{path}: rule {rule}: meta severity {value:?} is not a severity (expected critical, high, medium, low or info)"
    )]
    Severity {
        /// The rule file.
        path: String,
        /// The rule's identifier.
        rule: String,
        /// The meta value.
        value: String,
    },
    /// The directory holds no rule file: an empty or mistyped directory would otherwise
    /// scan with no rule and report nothing.
    #[error("{path}: no .yar or .yara file")]
    NoRules {
        /// The directory.
        path: String,
    },
}

/// What a finding of one rule says, computed once when the rules are loaded.
#[derive(Debug)]
struct RuleInfo {
    id: String,
    severity: Severity,
    title: String,
    /// The rule file, as given (`rules/webshells/php.yar`).
    file: String,
}

/// The YARA content scanner: compiled rules and what each reports.
pub struct YaraScanner {
    /// The compiled rules. Leaked on purpose: a [`yara_x::Scanner`] borrows its rules, and
    /// each worker thread keeps one scanner (see [`YaraScanner::scan`]) because creating one
    /// instantiates the rules' WebAssembly module, which is too costly to do per file. The
    /// rules are loaded once per run and live as long as it.
    rules: &'static yara_x::Rules,
    /// Per (namespace, rule identifier).
    info: HashMap<(String, String), RuleInfo>,
    files: usize,
    warnings: Vec<String>,
}

impl std::fmt::Debug for YaraScanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("YaraScanner")
            .field("files", &self.files)
            .field("rules", &self.info.len())
            .finish_non_exhaustive()
    }
}

thread_local! {
    /// One yara-x scanner per rule set (keyed by the address of its leaked rules) on each
    /// thread that scans.
    static SCANNERS: RefCell<Vec<(usize, yara_x::Scanner<'static>)>> = const { RefCell::new(Vec::new()) };
}

impl YaraScanner {
    /// Compiles every `*.yar` / `*.yara` file under `dir` (recursively, sorted by path).
    pub fn load(dir: &Path) -> Result<YaraScanner, YaraError> {
        let mut files = Vec::new();
        collect(dir, &mut files)?;
        files.sort();
        if files.is_empty() {
            return Err(YaraError::NoRules {
                path: dir.display().to_string(),
            });
        }
        let mut compiler = yara_x::Compiler::new();
        let mut namespaces: HashMap<String, String> = HashMap::new();
        let mut warnings = Vec::new();
        for file in &files {
            let shown = file.display().to_string();
            let text = std::fs::read_to_string(file).map_err(|source| YaraError::Read {
                path: shown.clone(),
                source,
            })?;
            let namespace = namespace_of(dir, file);
            namespaces.insert(namespace.clone(), shown.clone());
            compiler.new_namespace(&namespace);
            let seen = compiler.warnings().len();
            compiler
                .add_source(yara_x::SourceCode::from(text.as_str()).with_origin(&shown))
                .map_err(|e| {
                    let label = e
                        .labels()
                        .next()
                        .map(|l| (l.span().start(), l.text().to_string()));
                    let (line, why) = describe(e.title(), label, &text);
                    YaraError::Compile {
                        path: shown.clone(),
                        line,
                        why,
                    }
                })?;
            for w in compiler.warnings().iter().skip(seen) {
                let label = w
                    .labels()
                    .next()
                    .map(|l| (l.span().start(), l.text().to_string()));
                let (line, why) = describe(w.title(), label, &text);
                warnings.push(format!("{shown}:{line}: {why}"));
            }
        }
        let rules: &'static yara_x::Rules = Box::leak(Box::new(compiler.build()));
        let mut info = HashMap::new();
        for rule in rules.iter() {
            let namespace = rule.namespace().to_string();
            let identifier = rule.identifier().to_string();
            let file = namespaces.get(&namespace).cloned().unwrap_or_default();
            let mut severity = Severity::High;
            let mut description = None;
            for (key, value) in rule.metadata() {
                let text = match value {
                    yara_x::MetaValue::String(s) => s.to_string(),
                    yara_x::MetaValue::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
                    _ => continue,
                };
                match key {
                    "severity" => {
                        severity = text.parse().map_err(|_| YaraError::Severity {
                            path: file.clone(),
                            rule: identifier.clone(),
                            value: text.clone(),
                        })?;
                    }
                    "description" => description = Some(text),
                    _ => {}
                }
            }
            let id = format!("YARA:{namespace}.{identifier}");
            let mut title = description
                .unwrap_or_else(|| format!("Matches YARA rule {namespace}.{identifier}"));
            let tags: Vec<&str> = rule.tags().map(|t| t.identifier()).collect();
            if !tags.is_empty() {
                title.push_str(&format!(" [{}]", tags.join(", ")));
            }
            info.insert(
                (namespace, identifier),
                RuleInfo {
                    id,
                    severity,
                    title,
                    file,
                },
            );
        }
        Ok(YaraScanner {
            rules,
            info,
            files: files.len(),
            warnings,
        })
    }

    /// How many rule files were compiled.
    pub fn files(&self) -> usize {
        self.files
    }

    /// How many rules they hold.
    pub fn rule_count(&self) -> usize {
        self.info.len()
    }

    /// The compiler's warnings (`file:line: what`), for the caller to show.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    fn hit(&self, rule: &yara_x::Rule<'_, '_>) -> Hit {
        let namespace = rule.namespace();
        let identifier = rule.identifier();
        let key = (namespace.to_string(), identifier.to_string());
        let (id, severity, title, file) = match self.info.get(&key) {
            Some(i) => (i.id.clone(), i.severity, i.title.clone(), i.file.as_str()),
            // Every compiled rule is in `info`; a rule yara-x reports under another name
            // would still be reported, with the defaults.
            None => (
                format!("YARA:{namespace}.{identifier}"),
                Severity::High,
                format!("Matches YARA rule {namespace}.{identifier}"),
                "",
            ),
        };
        let mut matched = Vec::new();
        for pattern in rule.patterns() {
            if let Some(m) = pattern.matches().next() {
                matched.push(format!(
                    "{} at offset {}",
                    pattern.identifier(),
                    m.range().start
                ));
            }
        }
        let mut message = format!("matches YARA rule {namespace}.{identifier}");
        if !file.is_empty() {
            message.push_str(&format!(" (defined in {file})"));
        }
        if !matched.is_empty() {
            message.push_str(&format!(": {}", matched.join(", ")));
        }
        Hit::custom(id.clone(), severity, title, message)
            .with_anchor(id)
            .with_fix(
                "Find out how the file got into the image (base image, build context, downloaded artefact), remove it and rebuild; if the rule is wrong for this file, silence its id in .assayignore.",
            )
    }
}

impl Scanner for YaraScanner {
    fn name(&self) -> &'static str {
        "yara"
    }

    fn kind(&self) -> FindingKind {
        FindingKind::Malware
    }

    fn rules(&self) -> &'static [Rule] {
        // The rules are the user's, known only at run time.
        &[]
    }

    fn wants(&self, _path: &str) -> bool {
        // A rule may match any content: every path, up to `max_size`.
        true
    }

    fn max_size(&self) -> u64 {
        MAX_FILE_SIZE
    }

    fn scan(&self, file: &ContentFile<'_>) -> Vec<Hit> {
        let key = std::ptr::from_ref(self.rules) as usize;
        SCANNERS.with(|cell| {
            let mut pool = cell.borrow_mut();
            let index = match pool.iter().position(|(k, _)| *k == key) {
                Some(i) => i,
                None => {
                    pool.push((key, yara_x::Scanner::new(self.rules)));
                    pool.len() - 1
                }
            };
            let Some((_, scanner)) = pool.get_mut(index) else {
                return Vec::new();
            };
            match scanner.scan(file.content) {
                Ok(results) => results.matching_rules().map(|r| self.hit(&r)).collect(),
                // No module is built and no timeout set, so a scan cannot fail today; if a
                // later yara-x does, the file is reported as not scanned rather than clean.
                Err(e) => vec![Hit::custom(
                    "YARA:scan-error",
                    Severity::Info,
                    "File could not be scanned with the YARA rules",
                    format!("yara-x: {e}"),
                )],
            }
        })
    }
}

/// The rule files under `dir`, recursively (links are followed, as `yara -r` does).
fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), YaraError> {
    let read = |source| YaraError::Read {
        path: dir.display().to_string(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(read)? {
        let path = entry.map_err(read)?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| EXTENSIONS.contains(&e))
        {
            out.push(path);
        }
    }
    Ok(())
}

/// A yara-x error or warning as one line: its 1-based line in `text` (from the byte offset
/// of its first label) and its title, with the label's text when that adds something
/// (`syntax error: expecting pattern identifier`).
fn describe(title: &str, label: Option<(usize, String)>, text: &str) -> (u32, String) {
    let Some((offset, what)) = label else {
        return (1, title.to_string());
    };
    let before = text.get(..offset).unwrap_or(text);
    let line = u32::try_from(before.matches('\n').count() + 1).unwrap_or(u32::MAX);
    let what = what.split_whitespace().collect::<Vec<_>>().join(" ");
    if what.is_empty() || what == title {
        (line, title.to_string())
    } else {
        (line, format!("{title}: {what}"))
    }
}

/// The namespace of a rule file: its path under `dir`, `/`-separated, without extension.
fn namespace_of(dir: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(dir).unwrap_or(file).with_extension("");
    relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::content::LayerRef;
    use assay_oci::testing::{ImageSpec, LayerSpec, LayoutBuilder};
    use assay_oci::{Image, Limits, OciLayout, WalkOptions};

    fn rules_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let file = dir.path().join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, text).unwrap();
        }
        dir
    }

    fn scan(scanner: &YaraScanner, content: &[u8]) -> Vec<Hit> {
        let layer = LayerRef {
            index: 0,
            diff_id: None,
        };
        scanner.scan(&ContentFile {
            path: "f",
            content,
            layer: &layer,
            mode: 0o644,
            uid: 0,
            gid: 0,
        })
    }

    const MARKER: &str = r#"
rule Marker : test {
    meta:
        description = "Planted marker"
        severity = "medium"
    strings:
        $m = "planted-marker"
    condition:
        $m
}
"#;

    #[test]
    fn compiles_files_in_namespaces_and_reports_matches() {
        let dir = rules_dir(&[
            ("a.yar", MARKER),
            // Same rule name, another namespace: no conflict.
            (
                "sub/b.yara",
                "rule Marker { strings: $x = \"other\" condition: $x }",
            ),
            ("notes.txt", "not a rule {"),
        ]);
        let scanner = YaraScanner::load(dir.path()).unwrap();
        assert_eq!((scanner.files(), scanner.rule_count()), (2, 2));

        let hits = scan(&scanner, b"xx planted-marker");
        assert_eq!(hits.len(), 1);
        let hit = &hits[0];
        assert_eq!(hit.rule_id, "YARA:a.Marker");
        assert_eq!(hit.severity, Severity::Medium);
        assert_eq!(hit.title, "Planted marker [test]");
        assert!(hit.message.contains("$m at offset 3"), "{}", hit.message);

        let hits = scan(&scanner, b"other");
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].rule_id, "YARA:sub/b.Marker");
        assert_eq!(hits[0].severity, Severity::High);
        assert!(scan(&scanner, b"clean content").is_empty());
    }

    #[test]
    fn errors_name_file_and_line() {
        let dir = rules_dir(&[(
            "bad.yar",
            "rule a { condition: true }\nrule b {\n  condition:\n    true and and\n}\n",
        )]);
        let err = YaraScanner::load(dir.path()).unwrap_err().to_string();
        let want = format!("{}:4: ", dir.path().join("bad.yar").display());
        assert!(err.starts_with(&want), "{err}");
        assert!(!err.contains('\n'), "{err}");

        let dir = rules_dir(&[(
            "sev.yar",
            "rule s { meta: severity = \"urgent\" condition: true }",
        )]);
        let err = YaraScanner::load(dir.path()).unwrap_err().to_string();
        assert!(
            err.ends_with("sev.yar: rule s: meta severity \"urgent\" is not a severity (expected critical, high, medium, low or info)"),
            "{err}"
        );

        let dir = rules_dir(&[("readme.md", "x")]);
        let err = YaraScanner::load(dir.path()).unwrap_err().to_string();
        assert!(err.ends_with(": no .yar or .yara file"), "{err}");
    }

    #[test]
    fn every_layer_is_scanned_and_deleted_versions_are_marked() {
        let rules = rules_dir(&[("m.yar", MARKER)]);
        let scanner = YaraScanner::load(rules.path()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        LayoutBuilder::new()
            .image(
                None,
                ImageSpec::new()
                    .layer(
                        LayerSpec::new()
                            .file("tmp/drop", "planted-marker")
                            .file("etc/clean", "nothing"),
                    )
                    .layer(LayerSpec::new().whiteout("tmp/drop")),
            )
            .write(dir.path());
        let source = OciLayout::open(dir.path(), None).unwrap();
        let image = Image::open(&source, None, &Limits::default()).unwrap();
        let scanners: [&dyn Scanner; 1] = [&scanner];
        let found = crate::content::scan_image(&source, &image, &scanners, &WalkOptions::default())
            .unwrap()
            .detections;
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].path, "tmp/drop");
        assert_eq!(found[0].layer.as_ref().map(|l| l.index), Some(0));
        let hidden = found[0].hidden.as_ref().unwrap();
        assert_eq!((hidden.by.index, hidden.replaced), (1, false));
    }
}
