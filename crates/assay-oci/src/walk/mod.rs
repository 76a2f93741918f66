//! The layer walker: one pass over every layer, in parallel, merged in layer order.
//!
//! Each layer is decompressed and read on a worker thread into metadata plus the contents of
//! the files some analyzer asked for ([`Wants`]); the calling thread then hands each layer,
//! in order, to the [`Visitor`] and stacks it onto the squashed [`FileTree`]. Nothing is ever
//! written to disk and no link is followed, so a hostile layer can only produce warnings or
//! a typed error.

mod dir;
pub(crate) mod forward;
mod gzip;
mod layer;
mod output;
mod pipe;
mod progress;
mod tar;

pub use progress::Progress;

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, sync_channel};
use std::sync::{Mutex, PoisonError};

use output::{BATCHES_IN_FLIGHT, LayerOutput, Message};

use crate::error::Error;
use crate::image::{Image, Layer};
use crate::limits::Limits;
use crate::source::ImageSource;
use crate::tree::{Entry, FileTree};

/// What one analyzer wants read. Called on worker threads, hence `Sync`.
pub trait Wants: Sync {
    /// Whether the content of the regular file at `path` (normalised: `etc/os-release`, no
    /// leading `/`) should be read and handed over.
    fn wants(&self, path: &str) -> bool;

    /// The largest file worth reading; larger ones are skipped for this analyzer.
    fn max_size(&self) -> u64 {
        u64::MAX
    }

    /// Whether the regular file at `path` of `size` bytes (the tar header's size, known
    /// before any byte is read) should be read. The walker asks only this. An analyzer
    /// made of several (the content scanners) overrides it to ask each part with its own
    /// limit: pairing "any part wants the path" with "the largest limit of any part" would
    /// read every other part's paths up to that largest limit.
    fn wants_sized(&self, path: &str, size: u64) -> bool {
        size <= self.max_size() && self.wants(path)
    }
}

/// Receives the walk's results on the calling thread, in layer order then archive order.
/// Every method has an empty default, so a visitor implements only what it needs.
pub trait Visitor {
    /// A layer begins.
    fn layer(&mut self, _layer: &Layer) {}

    /// An entry of `layer`, whiteout and opaque markers included. Seeing every layer's
    /// entries (not only the squashed result) is what lets a secret scanner report a file
    /// that a later layer deleted but that still ships in the image.
    fn entry(&mut self, _layer: &Layer, _entry: &Entry) {}

    /// The content of a wanted regular file, read once for all `wanted_by` (indexes into the
    /// `wants` slice given to [`walk`]), right after its [`Visitor::entry`] call.
    fn file(&mut self, _layer: &Layer, _entry: &Entry, _content: &[u8], _wanted_by: &[usize]) {}

    /// `entry` (from an earlier layer, see `entry.layer`) is hidden by `by`: a whiteout, an
    /// opaque directory, or a non-directory put over its directory. Called after `by`'s
    /// entries.
    fn deleted(&mut self, _by: &Layer, _entry: &Entry) {}

    /// The squashed tree, once every layer has been applied.
    fn finish(&mut self, _tree: &FileTree) {}
}

/// A visitor that only builds the tree.
#[derive(Debug, Default)]
pub struct NoVisitor;

impl Visitor for NoVisitor {}

/// How to walk.
#[derive(Debug, Clone)]
pub struct WalkOptions {
    /// Size limits.
    pub limits: Limits,
    /// Worker threads; 0 means one per core, never more than there are layers.
    pub threads: usize,
    /// Check each compressed layer's uncompressed bytes against its config diff_id too.
    pub verify_diff_ids: bool,
    /// Told about each layer as it is read, for a progress bar; `None` reports nothing.
    pub progress: Option<std::sync::Arc<dyn Progress>>,
}

impl Default for WalkOptions {
    fn default() -> WalkOptions {
        WalkOptions {
            limits: Limits::default(),
            threads: 0,
            verify_diff_ids: true,
            progress: None,
        }
    }
}

/// Something odd but survivable in a layer; the walk goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The layer index.
    pub layer: usize,
    /// The path concerned (normalised; the raw form is in `kind` where it matters).
    pub path: String,
    /// What happened.
    pub kind: WarningKind,
}

/// The kinds of [`Warning`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WarningKind {
    /// A path climbed above the root with `..`; it was clamped at the root.
    PathEscape {
        /// The path as written.
        raw: String,
    },
    /// An absolute path; the leading `/` was dropped.
    AbsolutePath {
        /// The path as written.
        raw: String,
    },
    /// A path or link target that is not UTF-8; invalid bytes were replaced.
    NonUtf8Path,
    /// A hard link target climbing above the root; clamped at the root.
    LinkEscape {
        /// The target as written.
        raw: String,
    },
    /// A tar entry type that has no meaning in an image (sockets, tape volumes); skipped.
    UnsupportedEntryType {
        /// The tar type flag.
        type_flag: u8,
    },
    /// A wanted file larger than [`Limits::max_file_read`]; not read.
    FileTooLarge {
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// A whiteout with an empty, `.` or `..` name; ignored.
    InvalidWhiteout {
        /// The marker's name.
        name: String,
    },
    /// `.wh..wh.NAME` other than the opaque marker (a whiteout of a whiteout, or AUFS
    /// metadata): it could only hide a file named `.wh.NAME`, which no layer can hold; ignored.
    WhiteoutOfWhiteout {
        /// The marker's name.
        name: String,
    },
    /// The media type announced one compression and the magic bytes another; the bytes won.
    CompressionMismatch {
        /// The layer's media type.
        media_type: String,
        /// What the bytes are.
        detected: &'static str,
    },
    /// A file or directory of a `dir:` root filesystem could not be read.
    Unreadable {
        /// The error.
        error: String,
    },
    /// A hard link whose target is not a regular file earlier in the same layer, so its
    /// content cannot be handed over.
    HardlinkContentUnavailable {
        /// The link target.
        target: String,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "layer {}: {}: ", self.layer, self.path)?;
        match &self.kind {
            WarningKind::PathEscape { raw } => {
                write!(f, "path {raw:?} climbs above the root; clamped")
            }
            WarningKind::AbsolutePath { raw } => write!(f, "absolute path {raw:?}; made relative"),
            WarningKind::NonUtf8Path => write!(f, "path is not UTF-8"),
            WarningKind::LinkEscape { raw } => {
                write!(f, "hard link target {raw:?} climbs above the root; clamped")
            }
            WarningKind::UnsupportedEntryType { type_flag } => {
                write!(f, "unsupported tar entry type {type_flag:#04x}; skipped")
            }
            WarningKind::FileTooLarge { size, limit } => write!(
                f,
                "{size} bytes, over the {limit}-byte read limit; not read"
            ),
            WarningKind::InvalidWhiteout { name } => {
                write!(f, "invalid whiteout {name:?}; ignored")
            }
            WarningKind::WhiteoutOfWhiteout { name } => {
                write!(f, "whiteout of a whiteout {name:?}; ignored")
            }
            WarningKind::CompressionMismatch {
                media_type,
                detected,
            } => {
                write!(
                    f,
                    "media type {media_type} but the bytes are {detected}; read as {detected}"
                )
            }
            WarningKind::Unreadable { error } => write!(f, "unreadable: {error}"),
            WarningKind::HardlinkContentUnavailable { target } => {
                write!(
                    f,
                    "hard link to {target}, whose content was not read in this layer"
                )
            }
        }
    }
}

/// Byte and entry counts of one layer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LayerStats {
    /// Blob bytes read.
    pub compressed: u64,
    /// Uncompressed tar bytes read.
    pub uncompressed: u64,
    /// Entries, markers included.
    pub entries: u64,
    /// Files whose content was read.
    pub files_read: u64,
}

/// The walk's result.
#[derive(Debug, Clone, Default)]
pub struct Walk {
    /// The squashed file tree.
    pub tree: FileTree,
    /// Warnings, in layer order.
    pub warnings: Vec<Warning>,
    /// Per-layer counts, in layer order.
    pub stats: Vec<LayerStats>,
}

/// One entry of a layer and, when wanted, its content.
#[derive(Debug)]
pub(crate) struct Item {
    pub(crate) entry: Entry,
    /// Shared with hard links to the same file (see `output::LINK_CONTENT`).
    pub(crate) content: Option<(std::sync::Arc<Vec<u8>>, Vec<usize>)>,
}

/// What a worker needs to read one layer.
pub(crate) struct LayerContext<'a> {
    pub(crate) layer: &'a Layer,
    pub(crate) wants: &'a [&'a dyn Wants],
    pub(crate) options: &'a WalkOptions,
    /// The lowest layer index that failed; a worker on a later layer stops early.
    failed_at: &'a AtomicUsize,
}

impl LayerContext<'_> {
    pub(crate) fn cancelled(&self) -> bool {
        self.failed_at.load(Ordering::Relaxed) < self.layer.index
    }

    /// Indexes of the analyzers that want `path` at this size (the caller checks the read
    /// limit and warns).
    pub(crate) fn wanted_by(&self, path: &str, size: u64) -> Vec<usize> {
        self.wants
            .iter()
            .enumerate()
            .filter(|(_, w)| w.wants_sized(path, size))
            .map(|(i, _)| i)
            .collect()
    }

    pub(crate) fn warn(&self, out: &mut LayerOutput, path: &str, kind: WarningKind) {
        out.warnings.push(Warning {
            layer: self.layer.index,
            path: path.to_string(),
            kind,
        });
    }
}

/// Walks every layer of `image` from `source`: verifies each blob, builds the squashed tree,
/// and hands the visitor every layer's entries, the wanted contents and the deletions, in
/// layer order whatever order the workers finish in. The first error in layer order is
/// returned; later layers stop early.
pub fn walk(
    source: &dyn ImageSource,
    image: &Image,
    wants: &[&dyn Wants],
    visitor: &mut dyn Visitor,
    options: &WalkOptions,
) -> Result<Walk, Error> {
    let layers = &image.layers;
    let threads = match options.threads {
        0 => std::thread::available_parallelism().map_or(1, usize::from),
        n => n,
    }
    .clamp(1, layers.len().max(1));
    let next = AtomicUsize::new(0);
    let failed_at = AtomicUsize::new(usize::MAX);
    // One bounded channel per layer: the calling thread reads the layer it is merging, and a
    // worker ahead of it waits once its layer's channel is full, so memory stays bounded.
    // A worker takes its layer's sender; if it dies the channel closes instead of hanging.
    let (senders, receivers): (Vec<_>, Vec<_>) = layers
        .iter()
        .map(|_| {
            let (tx, rx) = sync_channel::<Message>(BATCHES_IN_FLIGHT);
            (Some(tx), rx)
        })
        .unzip();
    let senders = Mutex::new(senders);

    std::thread::scope(|scope| {
        for _ in 0..threads {
            let (next, failed_at, senders) = (&next, &failed_at, &senders);
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(layer) = layers.get(i) else { break };
                    let Some(sink) = senders
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .get_mut(i)
                        .and_then(Option::take)
                    else {
                        break;
                    };
                    let ctx = LayerContext {
                        layer,
                        wants,
                        options,
                        failed_at,
                    };
                    let result = if ctx.cancelled() {
                        None
                    } else {
                        layer::read(source, &ctx, &sink)
                    };
                    if matches!(result, Some(Err(_))) {
                        failed_at.fetch_min(i, Ordering::Relaxed);
                    }
                    LayerOutput::finish(&sink, result);
                }
            });
        }

        let fail = |i: usize, e: Error| {
            failed_at.fetch_min(i, Ordering::Relaxed);
            Err(e)
        };
        let mut walk = Walk::default();
        for (i, (layer, rx)) in layers.iter().zip(&receivers).enumerate() {
            match merge(layer, rx, &mut walk, visitor) {
                Ok(()) => {}
                Err(e) => return fail(i, e),
            }
            if walk.tree.len() as u64 > options.limits.max_entries {
                let what = format!("files in the squashed tree of {}", image.name);
                return fail(
                    i,
                    Error::LimitExceeded {
                        what,
                        limit: options.limits.max_entries,
                        layer: None,
                    },
                );
            }
        }
        visitor.finish(&walk.tree);
        Ok(walk)
    })
}

/// Hands one layer to the visitor as its batches arrive, then stacks it onto the tree.
fn merge(
    layer: &Layer,
    rx: &Receiver<Message>,
    walk: &mut Walk,
    visitor: &mut dyn Visitor,
) -> Result<(), Error> {
    visitor.layer(layer);
    let mut entries = Vec::new();
    let mut visit = |items: Vec<Item>| {
        for item in items {
            visitor.entry(layer, &item.entry);
            if let Some((content, wanted_by)) = &item.content {
                visitor.file(layer, &item.entry, content, wanted_by);
            }
            entries.push(item.entry);
        }
    };
    let output = loop {
        match rx.recv() {
            Ok(Message::Items(items)) => visit(items),
            Ok(Message::Done(Some(Ok(mut output)))) => {
                visit(std::mem::take(&mut output.items));
                break output;
            }
            Ok(Message::Done(Some(Err(e)))) => return Err(e),
            // Cancelled only after an earlier layer failed, which returned first; a closed
            // channel means its worker died.
            Ok(Message::Done(None)) | Err(_) => {
                return Err(Error::Invalid {
                    what: format!("layer {}", layer.digest),
                    why: "walk cancelled".into(),
                });
            }
        }
    };
    walk.tree
        .apply_layer(entries, &mut |gone| visitor.deleted(layer, &gone));
    walk.warnings.extend(output.warnings);
    walk.stats.push(output.stats);
    Ok(())
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::OciLayout;
    use crate::testing::{ImageSpec, LayerSpec, LayoutBuilder};

    /// Wants any path, but only files of exactly `size` bytes (as a hash-signature scanner
    /// does), with a large `max_size`.
    struct ExactSize(u64);

    impl Wants for ExactSize {
        fn wants(&self, _path: &str) -> bool {
            true
        }
        fn max_size(&self) -> u64 {
            1 << 20
        }
        fn wants_sized(&self, _path: &str, size: u64) -> bool {
            size == self.0
        }
    }

    #[derive(Default)]
    struct Files(Vec<(String, Vec<usize>)>);

    impl Visitor for Files {
        fn file(&mut self, _: &Layer, entry: &Entry, _: &[u8], wanted_by: &[usize]) {
            self.0.push((entry.path.clone(), wanted_by.to_vec()));
        }
    }

    /// Wants every file, at any size up to 2 MiB.
    struct Everything;

    impl Wants for Everything {
        fn wants(&self, _path: &str) -> bool {
            true
        }
        fn max_size(&self) -> u64 {
            2 << 20
        }
    }

    #[test]
    fn a_layer_of_more_wanted_content_than_is_held_arrives_whole_and_in_order() {
        // 80 MiB: several batches of `output::HELD_CONTENT`, more than `output::LINK_CONTENT`.
        let files = 80;
        let mut spec = LayerSpec::new();
        for i in 0..files {
            spec = spec.file(&format!("f{i:02}"), vec![i as u8; 1 << 20]);
        }
        let spec = spec
            .hardlink("to-first", "f00")
            .hardlink("to-recent", "f20")
            .hardlink("to-last", "f79");
        let dir = tempfile::tempdir().unwrap();
        LayoutBuilder::new()
            .image(None, ImageSpec::new().layer(spec))
            .write(dir.path());
        let source = OciLayout::open(dir.path(), None).unwrap();
        let image = Image::open(&source, None, &Limits::default()).unwrap();
        let mut seen = Files::default();
        let walk = walk(
            &source,
            &image,
            &[&Everything],
            &mut seen,
            &WalkOptions::default(),
        )
        .unwrap();
        let read: Vec<&str> = seen.0.iter().map(|(p, _)| p.as_str()).collect();
        let mut expected: Vec<String> = (0..files).map(|i| format!("f{i:02}")).collect();
        expected.extend(["to-recent".into(), "to-last".into()]);
        assert_eq!(read, expected);
        assert_eq!(walk.stats[0].files_read, files);
        assert_eq!(walk.tree.len(), 83);
        // Links get their target's content although its batch has gone, as long as it is
        // among the last 64 MiB read (`f20`, `f79`); `f00` is not: a warning instead.
        let warned: Vec<&str> = walk.warnings.iter().map(|w| w.path.as_str()).collect();
        assert_eq!(warned, ["to-first"]);
        assert!(matches!(
            walk.warnings[0].kind,
            WarningKind::HardlinkContentUnavailable { .. }
        ));
    }

    #[test]
    fn the_walker_asks_wants_sized_with_the_header_size() {
        let dir = tempfile::tempdir().unwrap();
        LayoutBuilder::new()
            .image(
                None,
                ImageSpec::new().layer(
                    LayerSpec::new()
                        .file("a", vec![1u8; 68])
                        .file("b", vec![1u8; 69])
                        .file("c", vec![1u8; 68])
                        .hardlink("d", "a")
                        .hardlink("e", "b"),
                ),
            )
            .write(dir.path());
        let source = OciLayout::open(dir.path(), None).unwrap();
        let image = Image::open(&source, None, &Limits::default()).unwrap();
        let mut files = Files::default();
        let walk = walk(
            &source,
            &image,
            &[&ExactSize(68)],
            &mut files,
            &WalkOptions::default(),
        )
        .unwrap();
        let read: Vec<&str> = files.0.iter().map(|(p, _)| p.as_str()).collect();
        // `b` is not read although `wants` and `max_size` would take it; the link to `a`
        // gets `a`'s content, the link to the unread `b` nothing and no warning.
        assert_eq!(read, ["a", "c", "d"]);
        assert_eq!(walk.stats[0].files_read, 2);
        assert!(walk.warnings.is_empty(), "{:?}", walk.warnings);
    }
}
