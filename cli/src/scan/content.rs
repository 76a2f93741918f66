//! Content scanners (secrets, and the malware/license/baseline scanners that plug into the
//! same runner) from `assay scan`: which ones run, running them on plain directories,
//! Dockerfiles and manifests, and turning their detections into report findings.
//!
//! Images (registry, layout, archive, `dir:` rootfs) are scanned inside the cataloguing walk
//! (see `image::scan`): [`ContentScanners`] gives the scanners, [`image_findings`] the
//! findings.

use std::collections::BTreeSet;
use std::path::Path;

use assay_analyze::content::{self, Detection, Scanner};
use assay_analyze::secrets::{self, AllowList};
use assay_core::{Finding, FindingKind, Location, Suppression, Target};

use super::discover::FileKind;
use super::settings::Settings;
use super::{Loaded, Outcome, display_name};

/// The content scanners a scan runs: the built-in ones of [`content::SCANNERS`] whose kind
/// was asked for with `--scanners`, plus configured ones (built here from the settings).
#[derive(Default)]
pub struct ContentScanners {
    builtin: Vec<&'static dyn Scanner>,
    configured: Vec<std::sync::Arc<dyn Scanner + Send>>,
}

impl std::fmt::Debug for ContentScanners {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(
                self.builtin
                    .iter()
                    .map(|s| s.name())
                    .chain(self.configured.iter().map(|s| s.name())),
            )
            .finish()
    }
}

impl ContentScanners {
    /// The scanners `settings` selects: built-in ones of a selected kind, and those built
    /// from configuration (`Settings::configured_scanners`, already filtered by kind).
    pub fn new(settings: &Settings) -> ContentScanners {
        ContentScanners {
            builtin: content::SCANNERS
                .iter()
                .copied()
                .filter(|s| settings.scanners.contains(&s.kind()))
                // A configured scanner (licenses:, baseline: in assay.yaml) replaces the
                // built-in one of the same name.
                .filter(|s| {
                    !settings
                        .configured_scanners
                        .0
                        .iter()
                        .any(|c| c.name() == s.name())
                })
                .collect(),
            configured: settings.configured_scanners.0.clone(),
        }
    }

    /// All of them, for the runners.
    pub fn list(&self) -> Vec<&dyn Scanner> {
        self.builtin
            .iter()
            .copied()
            .chain(self.configured.iter().map(|b| b.as_ref() as &dyn Scanner))
            .collect()
    }

    /// Whether none runs.
    pub fn is_empty(&self) -> bool {
        self.builtin.is_empty() && self.configured.is_empty()
    }
}

/// Where the finding's file lives: in an image (path in the image, layer) or on disk
/// (`root` joined with the relative path).
enum Place<'a> {
    Image,
    Disk(&'a Path),
}

/// Turns detections into findings for `target`, dropping disabled secret rules and marking
/// allow-listed ones as suppressed.
fn to_findings(
    detections: Vec<Detection>,
    target: &str,
    place: Place<'_>,
    allow: &AllowList,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    for d in detections {
        if d.kind == FindingKind::Secret && allow.is_disabled(&d.hit.rule_id) {
            continue;
        }
        let suppression = (d.kind == FindingKind::Secret)
            .then(|| allow.allowing(&d))
            .flatten()
            .map(|(index, entry)| Suppression {
                kind: "config".into(),
                reason: entry.reason.clone(),
                source: Some(format!("assay.yaml secrets.allow[{index}]")),
            });
        let path = match place {
            Place::Image => d.path.clone(),
            Place::Disk(root) if d.path.is_empty() => display_name(root),
            Place::Disk(root) => display_name(&root.join(&d.path)),
        };
        let target_name = match place {
            Place::Image => target.to_string(),
            Place::Disk(root) => display_name(root),
        };
        let mut message = d.hit.message.clone();
        if let (Some(layer), Some(hidden)) = (&d.layer, &d.hidden) {
            let what = if hidden.replaced {
                "replaced"
            } else {
                "deleted"
            };
            let thing = if d.kind == FindingKind::Secret {
                "secret"
            } else {
                "file"
            };
            message.push_str(&format!(
                "; layer {} {what} /{} but the {thing} is still in the image: layer {} ({}) holds it",
                hidden.by.index,
                d.path,
                layer.index,
                layer.diff_id.as_deref().unwrap_or("no digest"),
            ));
        } else if let Some(layer) = &d.layer
            && layer.diff_id.is_some()
        {
            message.push_str(&format!(" (layer {})", layer.index));
        }
        let location = Location {
            path,
            line: d.hit.line,
            column: d.hit.column,
            end_line: d.hit.line,
            layer: d.layer.as_ref().and_then(|l| l.diff_id.clone()),
        };
        let mut finding = Finding::new(
            d.kind,
            d.hit.rule_id.clone(),
            d.hit.severity,
            d.hit.title.clone(),
            message,
            target_name,
            location,
            &d.hit.anchor,
        );
        let mut fix = d.hit.fix.clone().unwrap_or_default();
        if let Some(secret) = &d.hit.secret {
            if !fix.is_empty() {
                fix.push(' ');
            }
            fix.push_str(&format!(
                "If this value is not a secret, allow it in assay.yaml: `secrets: {{allow: [{{value-sha256: {}}}]}}`.",
                secret.sha256
            ));
        }
        finding.fix = (!fix.is_empty()).then_some(fix);
        if let Some(rule) = content::rule(&d.hit.rule_id) {
            finding.references = vec![rule.help_uri()];
        }
        finding.suppression = suppression;
        findings.push(finding);
    }
    findings
}

/// Findings of a content run over the image `target`.
pub fn image_findings(
    detections: Vec<Detection>,
    target: &str,
    settings: &Settings,
) -> Vec<Finding> {
    to_findings(detections, target, Place::Image, &settings.secrets)
}

/// Content scanning of the non-image targets: a plain directory is walked like a root
/// filesystem; Dockerfiles (ENV, ARG, RUN and the other instructions, through the Dockerfile
/// parser) and manifests (text and Secret data) are scanned on their own when they are the
/// target or part of it.
pub(super) fn scan_files(
    target: &Target,
    loaded: &[Loaded<'_>],
    settings: &Settings,
    out: &mut Outcome,
) {
    let scanners = ContentScanners::new(settings);
    if scanners.is_empty() {
        return;
    }
    let list = scanners.list();
    let dockerfiles: BTreeSet<&str> = loaded
        .iter()
        .filter(|l| l.input.kind == FileKind::Dockerfile)
        .map(|l| l.input.name.as_str())
        .collect();
    if let Target::Directory(dir) = target {
        let (detections, problems) = walk_directory(dir, &list);
        for p in problems {
            crate::warn(&p);
        }
        let findings = to_findings(detections, "", Place::Disk(dir), &settings.secrets);
        // Dockerfiles get the instruction-aware scan below instead.
        let findings: Vec<Finding> = findings
            .into_iter()
            .filter(|f| !dockerfiles.contains(f.location.path.as_str()))
            .collect();
        // Listed only when it has findings, so that an IaC-only repository's report keeps
        // one target per Dockerfile and manifest.
        if !findings.is_empty() {
            add_target(out, &display_name(dir), "directory");
        }
        out.findings.extend(findings);
    }
    if !settings.scanners.contains(&FindingKind::Secret) {
        return;
    }
    // ASSAY-DF-034 already reports a secret-named ENV/ARG with a literal value when the
    // misconfig scanner runs; ASSAY-SEC-053 would repeat it.
    let df034 = settings.scanners.contains(&FindingKind::Misconfig)
        && settings.iac.is_active("ASSAY-DF-034");
    for l in loaded {
        let detections = match l.input.kind {
            FileKind::Dockerfile => dockerfile_detections(&l.input.name, &l.text)
                .into_iter()
                .filter(|d| !(df034 && d.hit.rule_id == "ASSAY-SEC-053"))
                .collect(),
            // Manifests inside a directory were scanned by the walk.
            FileKind::Manifest if !matches!(target, Target::Directory(_)) => {
                text_detections(&l.input.name, l.text.as_bytes())
            }
            FileKind::Manifest => continue,
        };
        if !matches!(target, Target::Directory(_)) {
            add_target(out, &l.input.name, l.input.kind.as_str());
        }
        out.findings.extend(to_findings(
            detections,
            &l.input.name,
            Place::Image,
            &settings.secrets,
        ));
    }
}

/// The files of a plain directory the scanners want, walked as the IaC walk does
/// (`discover::walk`: `.gitignore` honoured, hidden files included, `.git` and OCI layouts
/// skipped, no link followed), read and scanned in parallel. Paths are relative to `dir`.
/// A `dir:` root filesystem is an image instead and is walked by the layer walker.
fn walk_directory(dir: &Path, scanners: &[&dyn Scanner]) -> (Vec<Detection>, Vec<String>) {
    use rayon::prelude::*;
    use std::io::Read;
    use std::os::unix::fs::MetadataExt;

    let max = scanners.iter().map(|s| s.max_size()).max().unwrap_or(0);
    let walker = ignore::WalkBuilder::new(dir)
        .hidden(false)
        .require_git(false)
        .follow_links(false)
        .filter_entry(|e| {
            e.file_name() != ".git"
                && !(e.file_type().is_some_and(|t| t.is_dir())
                    && e.path().join("oci-layout").is_file())
        })
        .sort_by_file_name(|a, b| a.cmp(b))
        .build();
    let mut problems = Vec::new();
    let mut wanted = Vec::new();
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                problems.push(format!("{}: {e}", display_name(dir)));
                continue;
            }
        };
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let path = entry.path();
        let relative = path
            .strip_prefix(dir)
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/");
        let Ok(meta) = entry.metadata() else {
            continue;
        };
        // Each scanner with its own limits (`wants_sized`): one scanner's large limit must
        // not make another's paths be read at that size.
        if scanners
            .iter()
            .any(|s| s.wants_sized(&relative, meta.len()))
        {
            wanted.push((relative, path.to_path_buf(), meta));
        }
    }
    let results: Vec<Result<Vec<Detection>, String>> = wanted
        .par_iter()
        .map(|(relative, path, meta)| {
            let mut content = Vec::new();
            std::fs::File::open(path)
                .and_then(|f| f.take(max).read_to_end(&mut content))
                .map_err(|e| format!("{}: {e}", display_name(path)))?;
            Ok(content::scan_file(
                scanners,
                relative,
                &content,
                meta.mode() & 0o7777,
                u64::from(meta.uid()),
                u64::from(meta.gid()),
            ))
        })
        .collect();
    let mut detections = Vec::new();
    for r in results {
        match r {
            Ok(found) => detections.extend(found),
            Err(p) => problems.push(p),
        }
    }
    (detections, problems)
}

/// Lists `name` as a scanned target unless another scanner already did.
fn add_target(out: &mut Outcome, name: &str, kind: &str) {
    if !out.targets.iter().any(|t| t.name == name) {
        out.targets.push(assay_core::TargetSummary {
            name: name.to_string(),
            kind: kind.to_string(),
            base_image: None,
            rules_checked: Vec::new(),
        });
    }
}

fn detection(hit: content::Hit, path: &str) -> Detection {
    Detection {
        scanner: "secret",
        kind: FindingKind::Secret,
        path: hit.path.clone().unwrap_or_else(|| path.to_string()),
        hit,
        layer: None,
        hidden: None,
    }
}

fn text_detections(name: &str, text: &[u8]) -> Vec<Detection> {
    secrets::scan_text(name, text)
        .into_iter()
        .map(|h| detection(h, name))
        .collect()
}

/// Secrets in a Dockerfile, instruction by instruction: `ENV`/`ARG` pairs (a secret-named
/// variable with a literal value is `ASSAY-SEC-053`) and token formats in every
/// instruction (`RUN curl -H "Authorization: token ghp_..."`, heredocs included). A file that
/// does not parse is scanned as plain text.
fn dockerfile_detections(name: &str, text: &str) -> Vec<Detection> {
    let Ok(df) = assay_iac::dockerfile::parse(name, text) else {
        return text_detections(name, text.as_bytes());
    };
    let mut out = Vec::new();
    for ins in &df.instructions {
        let line = ins.start_line;
        let mut hits = Vec::new();
        if ins.is("ENV") {
            let place = format!("ENV on line {line}");
            for (key, value) in ins.raw_pairs() {
                hits.extend(secrets::scan_assignment(key, value, &place));
            }
        } else if ins.is("ARG") {
            // ARG words are `NAME` or `NAME=default`.
            let place = format!("ARG on line {line}");
            for (key, value) in ins.args.iter().filter_map(|w| w.split_once('=')) {
                hits.extend(secrets::scan_assignment(key, value, &place));
            }
        }
        if hits.is_empty() {
            let mut body = ins.original.clone();
            for h in &ins.heredocs {
                body.push('\n');
                body.push_str(&h.content);
            }
            hits = secrets::scan_text(name, body.as_bytes())
                .into_iter()
                .map(|mut h| {
                    // Lines of the instruction's text, counted from the instruction.
                    let offset = h.line.unwrap_or(1).saturating_sub(1);
                    h.line = Some(line + offset);
                    let inner = format!(" at line {}", offset + 1);
                    if let Some(stripped) = h.message.strip_suffix(&inner) {
                        h.message = format!("{stripped} at line {}", line + offset);
                    }
                    h
                })
                .collect();
        }
        for mut h in hits {
            if h.line.is_none() {
                h = h.at(line, 1);
            }
            out.push(detection(h, name));
        }
    }
    out
}
