//! Content scanners: secrets, sensitive files, malware, licenses, baselines: everything that
//! looks *inside* files rather than at package databases.
//!
//! # The plumbing, for scanner authors
//!
//! A scanner implements [`Scanner`] and is listed in [`SCANNERS`] (nothing registers itself).
//! A scanner that needs run-time configuration (rule directories, a policy) is built by the
//! CLI and passed to the runner in the same `&[&dyn Scanner]` slice; [`SCANNERS`] holds the
//! built-in, configuration-free ones.
//!
//! - [`Scanner::wants_sized`] is called for every regular file of every layer with its
//!   normalised path (`etc/shadow`, no leading `/`) and its size, before any byte is read:
//!   keep it to string comparisons. By default it is [`Scanner::wants`] (the path) and
//!   [`Scanner::max_size`] (files larger are never handed over); a scanner that goes by
//!   size (ClamAV hash signatures name exact sizes) overrides it. The walker asks each
//!   scanner with its own limits, so one scanner's large limit does not make another's
//!   paths be read at that size.
//! - [`Scanner::scan`] gets a [`ContentFile`]: path, content, the layer it came from
//!   (index and diff_id), mode, uid and gid. With [`Scope::EveryLayer`] (the default) every
//!   version of a file in every layer is scanned, including versions a later layer deleted or
//!   replaced: those still ship in the image. Whether that happened is only known once the
//!   later layers are read, so the runner records it on the [`Detection`]
//!   ([`Detection::hidden`]) rather than on the file. With [`Scope::Final`] only the version
//!   a container would see is scanned (compliance checks of `sshd_config`, say).
//! - [`Scanner::scan_image`] runs once after the walk with the image config (for images),
//!   the squashed [`FileTree`] (metadata of every file: setuid bits, owners, ...) and, for
//!   a [`Scope::Final`] scanner, the final versions of the files it wanted
//!   ([`ImageContext::files`]), for checks across files (a config and its drop-ins). A
//!   scanner keeps no state between calls: one value may serve several walks at once.
//! - A scanner returns [`Hit`]s; the runner turns them into [`Detection`]s carrying path,
//!   layer and the scanner's [`FindingKind`]. The CLI (`cli/src/scan/content.rs`) turns
//!   detections into report findings.
//!
//! # Runners
//!
//! - [`scan_image`]: walks an image (registry, layout, archive or `dir:` rootfs) once with
//!   only the content scanners.
//! - [`ContentRun`] + [`ContentWants`]: the same as a [`Visitor`] and a [`Wants`] to join
//!   another walk, so that `assay scan` catalogues packages and scans contents in ONE pass
//!   (see `crate::catalog_image_with`).
//! - [`scan_directory`]: a plain directory, walked like a `dir:` rootfs (lstat, no link
//!   followed), with paths relative to it and no layer.
//!
//! # Cost
//!
//! The walker reads wanted files on its worker threads; [`ContentRun`] copies one layer's
//! wanted files and scans them in parallel (rayon) when the next layer starts, so scanning
//! overlaps nothing but uses every core. Scanners keep per-file cost low with path filters
//! and keyword prefilters (see `crate::secrets`).

use std::collections::BTreeMap;
use std::path::Path;

use assay_core::{FindingKind, Rule, Severity};
use assay_oci::{
    Entry, EntryKind, FileTree, Image, ImageConfig, ImageSource, Layer, Visitor, WalkOptions, Wants,
};
use rayon::prelude::*;

/// Files above this size are not handed to a scanner unless it says otherwise: secrets and
/// configuration live in small text files, and reading every large binary would dominate
/// the scan time.
pub const DEFAULT_MAX_SIZE: u64 = 2 << 20;

/// Every built-in content scanner. Scanners needing configuration are built by the caller
/// and passed to the runners next to these.
pub static SCANNERS: &[&dyn Scanner] = &[
    &crate::secrets::SecretScanner,
    &crate::malware::BUILTIN,
    &crate::license::DEFAULT,
    &crate::baseline::BUILTIN,
];

/// The built-in rule `id` of any scanner in [`SCANNERS`] (for rule docs in reports).
pub fn rule(id: &str) -> Option<&'static Rule> {
    SCANNERS
        .iter()
        .flat_map(|s| s.rules().iter())
        .find(|r| r.id == id)
}

/// Which versions of a file a scanner sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every version in every layer, also the ones a later layer deleted or replaced (they
    /// are still in the image's blobs): secrets, malware.
    EveryLayer,
    /// Only the version in the squashed filesystem: configuration checks.
    Final,
}

/// The layer a file came from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LayerRef {
    /// 0 for the base layer.
    pub index: usize,
    /// The layer's diff_id (`sha256:...`); `None` for a `dir:` root filesystem or a plain
    /// directory, whose single synthetic layer names nothing a user can look up.
    pub diff_id: Option<String>,
}

impl LayerRef {
    fn of(layer: &Layer) -> LayerRef {
        LayerRef {
            index: layer.index,
            diff_id: layer
                .is_content_addressed()
                .then(|| layer.diff_id.as_ref().map(ToString::to_string))
                .flatten(),
        }
    }
}

/// One file handed to a scanner.
#[derive(Debug, Clone, Copy)]
pub struct ContentFile<'a> {
    /// Normalised path (`root/.aws/credentials`, no leading `/`).
    pub path: &'a str,
    /// The content (at most [`Scanner::max_size`] bytes).
    pub content: &'a [u8],
    /// The layer it came from.
    pub layer: &'a LayerRef,
    /// Permission bits.
    pub mode: u32,
    /// Owner.
    pub uid: u64,
    /// Group.
    pub gid: u64,
}

/// What [`Scanner::scan_image`] sees once the walk is done.
#[derive(Debug, Clone, Copy)]
pub struct ImageContext<'a> {
    /// The image config; `None` for directories (and a `dir:` rootfs, whose config is
    /// synthesised and empty).
    pub config: Option<&'a ImageConfig>,
    /// The squashed file tree (metadata only).
    pub tree: &'a FileTree,
    /// For a [`Scope::Final`] scanner, the files it wanted, in the version a container
    /// sees, sorted by path: the same files [`Scanner::scan`] got, for checks across files.
    /// Empty for [`Scope::EveryLayer`] scanners, which see every version in `scan`.
    pub files: &'a [ContentFile<'a>],
}

/// A secret value found by a scanner, never the value itself: a redacted form for reports
/// and the SHA-256 of the value for allow-lists (`secrets.allow[].value-sha256`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretValue {
    /// The first characters and `****`.
    pub redacted: String,
    /// Lower-case hex SHA-256 of the exact value.
    pub sha256: String,
}

/// One thing a scanner found in one file (or in the image as a whole).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Hit {
    /// The rule id (`ASSAY-SEC-010`), or a user rule's id (YARA rule, custom baseline).
    pub rule_id: String,
    /// Severity.
    pub severity: Severity,
    /// One line naming the problem (the rule title).
    pub title: String,
    /// What exactly was found; never contains a secret value (use `secret.redacted`).
    pub message: String,
    /// 1-based line, when the hit is on one.
    pub line: Option<u32>,
    /// 1-based column.
    pub column: Option<u32>,
    /// The path, for hits from [`Scanner::scan_image`] (`etc/passwd`, or a pseudo path such
    /// as `image config: Env`); file hits leave it `None` and get the file's path.
    pub path: Option<String>,
    /// What identifies the hit inside the file for the fingerprint (not the line number, so
    /// it survives edits elsewhere): e.g. the value's hash.
    pub anchor: String,
    /// How to fix it.
    pub fix: Option<String>,
    /// The secret, redacted.
    pub secret: Option<SecretValue>,
}

impl Hit {
    /// A hit with the rule's id, severity and title.
    pub fn new(rule: &Rule, message: impl Into<String>) -> Hit {
        Hit {
            rule_id: rule.id.to_string(),
            severity: rule.severity,
            title: rule.title.to_string(),
            message: message.into(),
            line: None,
            column: None,
            path: None,
            anchor: String::new(),
            fix: Some(rule.remediation.to_string()),
            secret: None,
        }
    }

    /// A hit for a rule known only at run time (YARA, custom baselines).
    pub fn custom(
        rule_id: impl Into<String>,
        severity: Severity,
        title: impl Into<String>,
        message: impl Into<String>,
    ) -> Hit {
        Hit {
            rule_id: rule_id.into(),
            severity,
            title: title.into(),
            message: message.into(),
            line: None,
            column: None,
            path: None,
            anchor: String::new(),
            fix: None,
            secret: None,
        }
    }

    /// Sets line and column.
    pub fn at(mut self, line: u32, column: u32) -> Hit {
        self.line = Some(line);
        self.column = Some(column);
        self
    }

    /// Sets the path (for image-level hits).
    pub fn with_path(mut self, path: impl Into<String>) -> Hit {
        self.path = Some(path.into());
        self
    }

    /// Sets the fingerprint anchor.
    pub fn with_anchor(mut self, anchor: impl Into<String>) -> Hit {
        self.anchor = anchor.into();
        self
    }

    /// Sets the fix text.
    pub fn with_fix(mut self, fix: impl Into<String>) -> Hit {
        self.fix = Some(fix.into());
        self
    }

    /// Attaches the secret (redacted) and makes its hash the anchor.
    pub fn with_secret(mut self, secret: SecretValue) -> Hit {
        self.anchor = secret.sha256.clone();
        self.secret = Some(secret);
        self
    }
}

/// Looks inside files. Called from worker threads, hence `Sync`.
pub trait Scanner: Sync {
    /// Short unique name (`secret`, `malware`); also what `--scanners` calls it.
    fn name(&self) -> &'static str;

    /// The finding kind of its hits.
    fn kind(&self) -> FindingKind;

    /// Its built-in rules, for `assay rules`, the docs and SARIF rule metadata.
    fn rules(&self) -> &'static [Rule];

    /// Whether to read the regular file at `path` (normalised, no leading `/`). Called for
    /// every file of every layer: keep it to string comparisons.
    fn wants(&self, path: &str) -> bool;

    /// Larger files are not handed over.
    fn max_size(&self) -> u64 {
        DEFAULT_MAX_SIZE
    }

    /// Whether to read the regular file at `path` of `size` bytes, known before any byte is
    /// read: by default, when `size` is within [`Scanner::max_size`] and [`Scanner::wants`]
    /// the path. A scanner that goes by size overrides it (the malware scanner wants any
    /// path, but only at the sizes its signatures have). Keep it cheap: called for every
    /// file of every layer.
    fn wants_sized(&self, path: &str, size: u64) -> bool {
        size <= self.max_size() && self.wants(path)
    }

    /// Which versions of a file to scan.
    fn scope(&self) -> Scope {
        Scope::EveryLayer
    }

    /// Called once when a run starts ([`ContentRun::new`]), before the walk: a scanner with
    /// a costly one-time load (the license scanner's SPDX text store, ~100 ms) starts it
    /// here on a thread of its own, so that it overlaps the walk, which keeps one core per
    /// layer busy, instead of following it. Must not block. Default: nothing.
    fn prepare(&self) {}

    /// What the file holds.
    fn scan(&self, file: &ContentFile<'_>) -> Vec<Hit>;

    /// Checks of the image as a whole (config, squashed tree), once after the walk.
    fn scan_image(&self, _image: &ImageContext<'_>) -> Vec<Hit> {
        Vec::new()
    }
}

/// A built-in scanner built on first use (`malware::BUILTIN`, `baseline::BUILTIN`: a
/// `static` in [`SCANNERS`]) is the scanner it builds: every method forwards.
impl<S, F> Scanner for std::sync::LazyLock<S, F>
where
    S: Scanner + Send,
    F: FnOnce() -> S + Send,
{
    fn name(&self) -> &'static str {
        (**self).name()
    }

    fn kind(&self) -> FindingKind {
        (**self).kind()
    }

    fn rules(&self) -> &'static [Rule] {
        (**self).rules()
    }

    fn wants(&self, path: &str) -> bool {
        (**self).wants(path)
    }

    fn max_size(&self) -> u64 {
        (**self).max_size()
    }

    fn wants_sized(&self, path: &str, size: u64) -> bool {
        (**self).wants_sized(path, size)
    }

    fn scope(&self) -> Scope {
        (**self).scope()
    }

    fn prepare(&self) {
        (**self).prepare();
    }

    fn scan(&self, file: &ContentFile<'_>) -> Vec<Hit> {
        (**self).scan(file)
    }

    fn scan_image(&self, image: &ImageContext<'_>) -> Vec<Hit> {
        (**self).scan_image(image)
    }
}

/// How a layer hides a file version that still ships in the image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hidden {
    /// The layer that deleted or replaced it.
    pub by: LayerRef,
    /// `true` when the later layer wrote a new version of the path, `false` when it
    /// deleted it (whiteout, opaque directory, or a file put over a parent directory).
    pub replaced: bool,
}

/// A hit, placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    /// The scanner's name.
    pub scanner: &'static str,
    /// The scanner's finding kind.
    pub kind: FindingKind,
    /// What was found.
    pub hit: Hit,
    /// The file (or the hit's own path for image-level hits).
    pub path: String,
    /// The layer of the file; `None` for image-level hits and for directories.
    pub layer: Option<LayerRef>,
    /// Set when a later layer deleted or replaced this version of the file: the content is
    /// no longer visible in a container but still in the image.
    pub hidden: Option<Hidden>,
}

/// Every detection of one run, in a stable order (path, layer, line, rule).
#[derive(Debug, Default)]
pub struct ContentScan {
    /// The detections.
    pub detections: Vec<Detection>,
    /// Walker warnings.
    pub warnings: Vec<assay_oci::Warning>,
}

/// A [`Wants`] that wants a file when any of the scanners wants it at its size
/// ([`Scanner::wants_sized`], each with its own limits); its `max_size` is the largest of
/// theirs, an upper bound only: the walker asks `wants_sized`.
#[derive(Clone, Copy)]
pub struct ContentWants<'s>(pub &'s [&'s dyn Scanner]);

impl std::fmt::Debug for ContentWants<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|s| s.name()))
            .finish()
    }
}

impl Wants for ContentWants<'_> {
    fn wants(&self, path: &str) -> bool {
        self.0.iter().any(|s| s.wants(path))
    }

    fn max_size(&self) -> u64 {
        self.0.iter().map(|s| s.max_size()).max().unwrap_or(0)
    }

    fn wants_sized(&self, path: &str, size: u64) -> bool {
        self.0.iter().any(|s| s.wants_sized(path, size))
    }
}

/// One file version waiting to be scanned.
struct Pending {
    path: String,
    content: Vec<u8>,
    layer: LayerRef,
    mode: u32,
    uid: u64,
    gid: u64,
    size: u64,
}

impl Pending {
    fn as_file(&self) -> ContentFile<'_> {
        ContentFile {
            path: &self.path,
            content: &self.content,
            layer: &self.layer,
            mode: self.mode,
            uid: self.uid,
            gid: self.gid,
        }
    }
}

/// Collects files during a walk and scans them; a [`Visitor`] so it can share a walk with
/// catalogers. Create with [`ContentRun::new`], walk with [`ContentWants`] over the same
/// scanners, then call [`ContentRun::finish`].
pub struct ContentRun<'s> {
    scanners: &'s [&'s dyn Scanner],
    /// The current layer's files for [`Scope::EveryLayer`] scanners, scanned in parallel at
    /// the next layer boundary or once [`BATCH_BYTES`] of them are gathered.
    batch: Vec<Pending>,
    /// Content bytes in `batch`.
    batch_bytes: u64,
    /// The latest version of each path wanted by a [`Scope::Final`] scanner.
    finals: BTreeMap<String, Pending>,
    detections: Vec<Detection>,
    /// Which file versions have detections: path -> layer indexes, to notice later deletions.
    hit_paths: BTreeMap<String, Vec<usize>>,
    /// (path, layer index) -> how it was hidden.
    hidden: BTreeMap<(String, usize), Hidden>,
    current: Option<LayerRef>,
    any_final: bool,
    any_every: bool,
}

impl std::fmt::Debug for ContentRun<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContentRun")
            .field("scanners", &ContentWants(self.scanners))
            .field("detections", &self.detections.len())
            .finish_non_exhaustive()
    }
}

impl<'s> ContentRun<'s> {
    /// A run of `scanners`; lets each [`Scanner::prepare`].
    pub fn new(scanners: &'s [&'s dyn Scanner]) -> ContentRun<'s> {
        for s in scanners {
            s.prepare();
        }
        ContentRun {
            scanners,
            batch: Vec::new(),
            batch_bytes: 0,
            finals: BTreeMap::new(),
            detections: Vec::new(),
            hit_paths: BTreeMap::new(),
            hidden: BTreeMap::new(),
            current: None,
            any_final: scanners.iter().any(|s| s.scope() == Scope::Final),
            any_every: scanners.iter().any(|s| s.scope() == Scope::EveryLayer),
        }
    }

    /// The [`Wants`] to walk with.
    pub fn wants(&self) -> ContentWants<'s> {
        ContentWants(self.scanners)
    }

    fn scan_batch(&mut self, scope: Scope, files: &[Pending]) {
        let scanners = self.scanners;
        let found: Vec<Vec<Detection>> = files
            .par_iter()
            .map(|p| {
                let file = p.as_file();
                scanners
                    .iter()
                    .filter(|s| s.scope() == scope && s.wants_sized(&p.path, p.size))
                    .flat_map(|s| {
                        s.scan(&file).into_iter().map(|hit| Detection {
                            scanner: s.name(),
                            kind: s.kind(),
                            path: hit.path.clone().unwrap_or_else(|| p.path.clone()),
                            hit,
                            layer: Some(p.layer.clone()),
                            hidden: None,
                        })
                    })
                    .collect()
            })
            .collect();
        for d in found.into_iter().flatten() {
            if let Some(layer) = &d.layer {
                self.hit_paths
                    .entry(d.path.clone())
                    .or_default()
                    .push(layer.index);
            }
            self.detections.push(d);
        }
    }

    fn flush(&mut self) {
        let batch = std::mem::take(&mut self.batch);
        self.batch_bytes = 0;
        if !batch.is_empty() {
            self.scan_batch(Scope::EveryLayer, &batch);
        }
    }

    fn mark(&mut self, path: &str, by: &Layer, replaced: bool) {
        let Some(layers) = self.hit_paths.get(path) else {
            return;
        };
        for &index in layers.iter().filter(|&&i| i < by.index) {
            self.hidden
                .entry((path.to_string(), index))
                .or_insert_with(|| Hidden {
                    by: LayerRef::of(by),
                    replaced,
                });
        }
    }

    /// Scans what is left, runs the image-level checks with `config` and the walk's tree,
    /// and returns the detections sorted.
    pub fn finish(mut self, config: Option<&ImageConfig>, tree: &FileTree) -> Vec<Detection> {
        self.flush();
        // Final-scope files: only those the squashed tree still has from the same layer.
        let finals: Vec<Pending> = std::mem::take(&mut self.finals)
            .into_values()
            .filter(|p| {
                tree.get(&p.path).is_some_and(|e| {
                    e.layer == p.layer.index
                        && matches!(e.kind, EntryKind::File | EntryKind::Hardlink { .. })
                })
            })
            .collect();
        if !finals.is_empty() {
            self.scan_batch(Scope::Final, &finals);
        }
        // `finals` came out of a map by path, so each scanner's slice is sorted by path.
        let final_files: Vec<ContentFile<'_>> = finals.iter().map(Pending::as_file).collect();
        for s in self.scanners {
            let files: Vec<ContentFile<'_>> = if s.scope() == Scope::Final {
                final_files
                    .iter()
                    .filter(|f| s.wants_sized(f.path, f.content.len() as u64))
                    .copied()
                    .collect()
            } else {
                Vec::new()
            };
            let context = ImageContext {
                config,
                tree,
                files: &files,
            };
            for hit in s.scan_image(&context) {
                self.detections.push(Detection {
                    scanner: s.name(),
                    kind: s.kind(),
                    path: hit.path.clone().unwrap_or_default(),
                    hit,
                    layer: None,
                    hidden: None,
                });
            }
        }
        let hidden = std::mem::take(&mut self.hidden);
        for d in &mut self.detections {
            if let Some(layer) = &d.layer {
                d.hidden = hidden.get(&(d.path.clone(), layer.index)).cloned();
            }
        }
        let mut detections = self.detections;
        detections.sort_by(|a, b| {
            (
                &a.path,
                &a.layer,
                a.hit.line,
                a.hit.column,
                &a.hit.rule_id,
                &a.hit.anchor,
            )
                .cmp(&(
                    &b.path,
                    &b.layer,
                    b.hit.line,
                    b.hit.column,
                    &b.hit.rule_id,
                    &b.hit.anchor,
                ))
        });
        detections.dedup();
        detections
    }
}

impl Visitor for ContentRun<'_> {
    fn layer(&mut self, layer: &Layer) {
        self.flush();
        self.current = Some(LayerRef::of(layer));
    }

    fn entry(&mut self, layer: &Layer, entry: &Entry) {
        // A later layer writing the same path replaces earlier versions that had hits.
        if !entry.is_marker() && entry.kind != EntryKind::Dir {
            // Hits of this layer's own batch are not known yet; only earlier layers matter.
            self.mark(&entry.path, layer, true);
        }
    }

    fn file(&mut self, layer: &Layer, entry: &Entry, content: &[u8], _wanted_by: &[usize]) {
        let layer_ref = match &self.current {
            Some(l) if l.index == layer.index => l.clone(),
            _ => LayerRef::of(layer),
        };
        // The walk may hand over content wanted only by another visitor sharing it.
        let size = content.len() as u64;
        let make = || Pending {
            path: entry.path.clone(),
            content: content.to_vec(),
            layer: layer_ref.clone(),
            mode: entry.mode,
            uid: entry.uid,
            gid: entry.gid,
            size,
        };
        let wanted = |scope: Scope| {
            self.scanners
                .iter()
                .any(|s| s.scope() == scope && s.wants_sized(&entry.path, size))
        };
        if self.any_every && wanted(Scope::EveryLayer) {
            self.batch.push(make());
            self.batch_bytes += size;
            // Scanned in parallel a batch at a time, not a layer at a time, so a layer of many
            // wanted files is never held whole (hits of a batch only hide earlier layers').
            if self.batch_bytes > BATCH_BYTES {
                self.flush();
            }
        }
        if self.any_final && wanted(Scope::Final) {
            self.finals.insert(entry.path.clone(), make());
        }
    }

    fn deleted(&mut self, by: &Layer, entry: &Entry) {
        // The current batch belongs to `by` itself, whose files cannot be deleted by it:
        // scan it first so earlier layers' hits are all known.
        self.flush();
        self.mark(&entry.path, by, false);
        if self
            .finals
            .get(&entry.path)
            .is_some_and(|p| p.layer.index == entry.layer)
        {
            self.finals.remove(&entry.path);
        }
    }
}

/// Content bytes gathered before a batch is scanned: enough files to keep every core busy,
/// few enough that memory stays bounded.
const BATCH_BYTES: u64 = 32 << 20;

/// Walks `image` once with only the content scanners.
pub fn scan_image(
    source: &dyn ImageSource,
    image: &Image,
    scanners: &[&dyn Scanner],
    options: &WalkOptions,
) -> Result<ContentScan, crate::Error> {
    let mut run = ContentRun::new(scanners);
    let wants = run.wants();
    let walk = assay_oci::walk(source, image, &[&wants], &mut run, options)?;
    let config = config_of(image);
    Ok(ContentScan {
        detections: run.finish(config, &walk.tree),
        warnings: walk.warnings,
    })
}

/// The image config worth showing to scanners: `None` for a `dir:` root filesystem, whose
/// config is synthesised.
pub fn config_of(image: &Image) -> Option<&ImageConfig> {
    image
        .layers
        .iter()
        .all(Layer::is_content_addressed)
        .then_some(&image.config)
}

/// Scans one file found outside an image (a caller's own directory walk, which may honour
/// `.gitignore`): every scanner that wants `path` at this size, whatever its [`Scope`] (a
/// directory has only one version of each file); no layer. Image-level checks
/// ([`Scanner::scan_image`]) do not run.
pub fn scan_file(
    scanners: &[&dyn Scanner],
    path: &str,
    content: &[u8],
    mode: u32,
    uid: u64,
    gid: u64,
) -> Vec<Detection> {
    let layer = LayerRef {
        index: 0,
        diff_id: None,
    };
    let file = ContentFile {
        path,
        content,
        layer: &layer,
        mode,
        uid,
        gid,
    };
    let size = content.len() as u64;
    let mut out: Vec<Detection> = scanners
        .iter()
        .filter(|s| s.wants_sized(path, size))
        .flat_map(|s| {
            s.scan(&file).into_iter().map(|hit| Detection {
                scanner: s.name(),
                kind: s.kind(),
                path: hit.path.clone().unwrap_or_else(|| path.to_string()),
                hit,
                layer: None,
                hidden: None,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        (a.hit.line, a.hit.column, &a.hit.rule_id, &a.hit.anchor).cmp(&(
            b.hit.line,
            b.hit.column,
            &b.hit.rule_id,
            &b.hit.anchor,
        ))
    });
    out
}

/// Scans a plain directory: walked like a `dir:` root filesystem (entries from `lstat`, no
/// link followed), paths relative to `dir`, no layer.
pub fn scan_directory(
    dir: &Path,
    scanners: &[&dyn Scanner],
    options: &WalkOptions,
) -> Result<ContentScan, crate::Error> {
    let source = assay_oci::Rootfs::open(dir)?;
    let image = Image::open(&source, None, &options.limits)?;
    let mut scan = scan_image(&source, &image, scanners, options)?;
    for d in &mut scan.detections {
        d.layer = None;
        d.hidden = None;
    }
    Ok(scan)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use assay_oci::testing::{ImageSpec, LayerSpec, LayoutBuilder};
    use assay_oci::{Limits, OciLayout};

    /// Wants paths under `prefix` up to `max` bytes; reports every file it is given, and
    /// in `scan_image` every file of [`ImageContext::files`].
    struct Probe {
        name: &'static str,
        prefix: &'static str,
        max: u64,
        scope: Scope,
    }

    impl Scanner for Probe {
        fn name(&self) -> &'static str {
            self.name
        }
        fn kind(&self) -> FindingKind {
            FindingKind::Secret
        }
        fn rules(&self) -> &'static [Rule] {
            &[]
        }
        fn wants(&self, path: &str) -> bool {
            path.starts_with(self.prefix)
        }
        fn max_size(&self) -> u64 {
            self.max
        }
        fn scope(&self) -> Scope {
            self.scope
        }
        fn scan(&self, file: &ContentFile<'_>) -> Vec<Hit> {
            vec![Hit::custom("SCAN", Severity::Low, "scanned", file.path)]
        }
        fn scan_image(&self, image: &ImageContext<'_>) -> Vec<Hit> {
            image
                .files
                .iter()
                .map(|f| {
                    let text = String::from_utf8_lossy(f.content);
                    Hit::custom("IMAGE", Severity::Low, "in scan_image", text).with_path(f.path)
                })
                .collect()
        }
    }

    const SMALL: Probe = Probe {
        name: "small",
        prefix: "small/",
        max: 100,
        scope: Scope::EveryLayer,
    };
    const LARGE: Probe = Probe {
        name: "large",
        prefix: "large/",
        max: 1 << 20,
        scope: Scope::EveryLayer,
    };

    /// Walks `spec` with `scanners`; the detections (scanner, rule, path, message) and the
    /// number of files the walker read.
    fn run(spec: ImageSpec, scanners: &[&dyn Scanner]) -> (Vec<(String, String, String)>, u64) {
        let dir = tempfile::tempdir().unwrap();
        LayoutBuilder::new().image(None, spec).write(dir.path());
        let source = OciLayout::open(dir.path(), None).unwrap();
        let image = Image::open(&source, None, &Limits::default()).unwrap();
        let mut run = ContentRun::new(scanners);
        let wants = run.wants();
        let walk = assay_oci::walk(
            &source,
            &image,
            &[&wants],
            &mut run,
            &WalkOptions::default(),
        )
        .unwrap();
        let read = walk.stats.iter().map(|s| s.files_read).sum();
        let found = run
            .finish(None, &walk.tree)
            .into_iter()
            .map(|d| {
                (
                    d.scanner.to_string(),
                    d.hit.rule_id,
                    d.path + " " + &d.hit.message,
                )
            })
            .collect();
        (found, read)
    }

    #[test]
    fn one_scanners_large_limit_does_not_read_anothers_paths_at_that_size() {
        let wants = ContentWants(&[&SMALL, &LARGE]);
        assert_eq!(wants.max_size(), 1 << 20);
        assert!(wants.wants_sized("small/a", 100));
        assert!(!wants.wants_sized("small/a", 5000));
        assert!(wants.wants_sized("large/a", 5000));
        assert!(!wants.wants_sized("other", 10));

        let big = vec![b'x'; 5000];
        let (found, read) = run(
            ImageSpec::new().layer(
                LayerSpec::new()
                    .file("small/big", &big)
                    .file("small/tiny", "t")
                    .file("large/big", &big)
                    .file("other/big", &big),
            ),
            &[&SMALL, &LARGE],
        );
        // small/big is within LARGE's limit but only SMALL wants its path: never read.
        assert_eq!(read, 2);
        let scanned: Vec<(&str, &str)> = found
            .iter()
            .map(|(s, _, m)| (s.as_str(), m.split(' ').next().unwrap()))
            .collect();
        assert_eq!(scanned, [("large", "large/big"), ("small", "small/tiny")]);
    }

    #[test]
    fn a_final_scope_scanner_gets_the_surviving_files_in_scan_image() {
        let finals = Probe {
            name: "finals",
            prefix: "etc/",
            max: 100,
            scope: Scope::Final,
        };
        let (found, _) = run(
            ImageSpec::new()
                .layer(
                    LayerSpec::new()
                        .file("etc/kept", "v1")
                        .file("etc/replaced", "old")
                        .file("etc/deleted", "gone")
                        .file("etc/large", vec![b'x'; 500]),
                )
                .layer(
                    LayerSpec::new()
                        .file("etc/replaced", "new")
                        .whiteout("etc/deleted"),
                ),
            &[&finals],
        );
        let image: Vec<&str> = found
            .iter()
            .filter(|(_, rule, _)| rule == "IMAGE")
            .map(|(_, _, m)| m.as_str())
            .collect();
        assert_eq!(image, ["etc/kept v1", "etc/replaced new"]);
    }

    #[test]
    fn the_malware_scanner_wants_only_signature_sizes() {
        let malware: &dyn Scanner = &crate::malware::BUILTIN;
        assert!(malware.wants_sized("any/path", 68));
        assert!(!malware.wants_sized("any/path", 1000));
        assert!(!malware.wants_sized("any/path", 0));
        // The ContentWants of malware + license does not read every file up to the
        // license scanner's limit.
        let license: &dyn Scanner = &crate::license::DEFAULT;
        let wants = ContentWants(&[malware, license]);
        assert!(!wants.wants_sized("usr/bin/python3", 5_000_000));
        assert!(wants.wants_sized("usr/share/doc/bash/copyright", 5_000_000));
    }

    #[test]
    fn scanner_names_and_rule_ids_are_unique() {
        let mut names: Vec<&str> = SCANNERS.iter().map(|s| s.name()).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len(), "duplicate scanner names: {names:?}");
        let mut ids: Vec<&str> = SCANNERS
            .iter()
            .flat_map(|s| s.rules().iter().map(|r| r.id))
            .collect();
        ids.sort_unstable();
        let before = ids.len();
        ids.dedup();
        assert_eq!(before, ids.len(), "duplicate rule ids");
    }
}
