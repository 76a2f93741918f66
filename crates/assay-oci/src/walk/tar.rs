//! A layer's tar entries into [`Entry`] values: paths normalised, whiteouts recognised, links
//! recorded but never followed, devices kept as metadata, wanted contents read once.

use std::cell::Cell;
use std::io::{self, Read, Seek, SeekFrom};
use std::rc::Rc;

use ::tar::EntryType;

use super::layer::{Failure, stream_error};
use super::{Item, LayerContext, LayerOutput, WarningKind};
use crate::error::Error;
use crate::path::{join, normalize, parent};
use crate::tree::{Entry, EntryKind};
use crate::verify::StreamError;

/// Caps what the tar reader may consume while it looks for the next entry. The tar crate
/// reads GNU long names and PAX records wholly into memory, so without this a header
/// claiming gigabytes of "name" would be read into RAM. Data of the previous entry, which
/// the tar crate skips without keeping, is allowed through freely.
struct HeaderGuard<'a> {
    inner: &'a mut dyn TarInput,
    pos: u64,
    /// Stream position the next read may not pass; `u64::MAX` outside header parsing.
    stop_at: Rc<Cell<u64>>,
    max_header: u64,
}

impl Read for HeaderGuard<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let room = self.stop_at.get().saturating_sub(self.pos);
        if room == 0 && !buf.is_empty() {
            return Err(StreamError::LimitExceeded {
                what: "tar entry header".into(),
                limit: self.max_header,
            }
            .into_io());
        }
        let take = usize::try_from(room).unwrap_or(usize::MAX).min(buf.len());
        let n = self.inner.read(buf.get_mut(..take).unwrap_or_default())?;
        self.pos += n as u64;
        Ok(n)
    }
}

/// What the tar walk reads: a stream it can skip through (see [`super::forward`]).
pub(crate) trait TarInput: Read + Seek {}

impl<T: Read + Seek> TarInput for T {}

/// Skips pass straight through: they are file data, not header bytes.
impl Seek for HeaderGuard<'_> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.pos = self.inner.seek(to)?;
        Ok(self.pos)
    }
}

/// A stream that ended while the tar reader skipped an entry's data names that entry, so a
/// header claiming more data than the layer holds is traced to its path. Other errors (the
/// digest and limit checks among them) pass unchanged.
fn in_data_of(e: io::Error, previous: Option<&(String, u64)>) -> io::Error {
    let from_a_check = crate::error::find_stream_error(&e).is_some();
    match previous {
        Some((path, size)) if e.kind() == io::ErrorKind::UnexpectedEof && !from_a_check => {
            io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("{e}: the layer ends inside the {size} bytes of data that {path} claims"),
            )
        }
        _ => e,
    }
}

/// Reads every entry of the tar in `input` into `out`.
pub(crate) fn read(
    input: &mut dyn TarInput,
    ctx: &LayerContext<'_>,
    out: &mut LayerOutput,
) -> Result<(), Failure> {
    let limits = &ctx.options.limits;
    let stop_at = Rc::new(Cell::new(limits.max_header));
    let guard = HeaderGuard {
        inner: input,
        pos: 0,
        stop_at: Rc::clone(&stop_at),
        max_header: limits.max_header,
    };
    let mut archive = ::tar::Archive::new(guard);
    let mut entries = archive
        .entries_with_seek()
        .map_err(|e| stream_error(e, ctx))?;
    let mut next_stop = limits.max_header;
    // The previous entry's path and claimed data size: the next header is read after its
    // data, so a layer ending inside that data is reported as a lie of that entry.
    let mut previous: Option<(String, u64)> = None;
    loop {
        if ctx.cancelled() {
            return Err(Failure::Cancelled);
        }
        stop_at.set(next_stop);
        let next = entries.next();
        stop_at.set(u64::MAX);
        let Some(entry) = next else { break };
        let mut entry = entry.map_err(|e| stream_error(in_data_of(e, previous.as_ref()), ctx))?;
        out.stats.entries += 1;
        if out.stats.entries > limits.max_entries {
            return Err(limit(ctx, "entries in one layer", limits.max_entries));
        }
        let header = entry.header();
        let on_disk = if header.entry_type().is_gnu_sparse() {
            header.entry_size().unwrap_or(0)
        } else {
            entry.size()
        };
        next_stop = entry
            .raw_file_position()
            .saturating_add(on_disk.div_ceil(512).saturating_mul(512))
            .saturating_add(limits.max_header);

        let raw_path = entry.path_bytes().into_owned();
        if raw_path.len() as u64 > limits.max_path_len {
            return Err(limit(ctx, "path length", limits.max_path_len));
        }
        let raw = String::from_utf8_lossy(&raw_path).into_owned();
        let normalized = normalize(&raw);
        let path = normalized.path;
        previous = Some((path.clone(), on_disk));
        if std::str::from_utf8(&raw_path).is_err() {
            ctx.warn(out, &path, WarningKind::NonUtf8Path);
        }
        if normalized.escaped {
            ctx.warn(out, &path, WarningKind::PathEscape { raw: raw.clone() });
        } else if normalized.absolute {
            ctx.warn(out, &path, WarningKind::AbsolutePath { raw: raw.clone() });
        }
        if path.is_empty() {
            continue; // the root directory itself (`./`)
        }

        let header = entry.header();
        let mode = header.mode().unwrap_or(0) & 0o7777;
        let uid = header.uid().unwrap_or(0);
        let gid = header.gid().unwrap_or(0);
        let mtime = header.mtime().unwrap_or(0);
        let entry_type = header.entry_type();
        let new_entry = |path: String, kind: EntryKind, size: u64| Entry {
            path,
            kind,
            mode,
            uid,
            gid,
            size,
            mtime,
            layer: ctx.layer.index,
        };

        let name = path.rsplit('/').next().unwrap_or("");
        if let Some(hidden) = name.strip_prefix(".wh.") {
            let dir = parent(&path);
            if hidden == ".wh..opq" {
                out.push(Item {
                    entry: new_entry(dir.to_string(), EntryKind::OpaqueDir, 0),
                    content: None,
                })?;
            } else if hidden.starts_with(".wh.") {
                ctx.warn(
                    out,
                    &path,
                    WarningKind::WhiteoutOfWhiteout {
                        name: name.to_string(),
                    },
                );
            } else if hidden.is_empty() || hidden == "." || hidden == ".." {
                ctx.warn(
                    out,
                    &path,
                    WarningKind::InvalidWhiteout {
                        name: name.to_string(),
                    },
                );
            } else {
                let hidden = join(dir, hidden);
                out.push(Item {
                    entry: new_entry(hidden, EntryKind::Whiteout, 0),
                    content: None,
                })?;
            }
            continue;
        }

        let link_target = || -> Result<(String, bool), Failure> {
            let bytes = entry
                .link_name_bytes()
                .map(|b| b.into_owned())
                .unwrap_or_default();
            if bytes.len() as u64 > limits.max_path_len {
                return Err(limit(ctx, "link target length", limits.max_path_len));
            }
            let utf8 = std::str::from_utf8(&bytes).is_ok();
            Ok((String::from_utf8_lossy(&bytes).into_owned(), utf8))
        };
        let device = |major: io::Result<Option<u32>>, minor: io::Result<Option<u32>>| {
            (
                major.ok().flatten().unwrap_or(0),
                minor.ok().flatten().unwrap_or(0),
            )
        };
        let kind = match entry_type {
            EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => EntryKind::File,
            EntryType::Directory => EntryKind::Dir,
            EntryType::Symlink => {
                let (target, utf8) = link_target()?;
                if !utf8 {
                    ctx.warn(out, &path, WarningKind::NonUtf8Path);
                }
                EntryKind::Symlink { target }
            }
            EntryType::Link => {
                let (raw_target, utf8) = link_target()?;
                if !utf8 {
                    ctx.warn(out, &path, WarningKind::NonUtf8Path);
                }
                let target = normalize(&raw_target);
                if target.escaped {
                    ctx.warn(out, &path, WarningKind::LinkEscape { raw: raw_target });
                }
                EntryKind::Hardlink {
                    target: target.path,
                }
            }
            EntryType::Char => {
                let (major, minor) = device(header.device_major(), header.device_minor());
                EntryKind::CharDevice { major, minor }
            }
            EntryType::Block => {
                let (major, minor) = device(header.device_major(), header.device_minor());
                EntryKind::BlockDevice { major, minor }
            }
            EntryType::Fifo => EntryKind::Fifo,
            EntryType::XGlobalHeader => continue,
            other => {
                ctx.warn(
                    out,
                    &path,
                    WarningKind::UnsupportedEntryType {
                        type_flag: other.as_byte(),
                    },
                );
                continue;
            }
        };

        let mut content = None;
        let size = if kind == EntryKind::File {
            entry.size()
        } else {
            0
        };
        match &kind {
            EntryKind::File => {
                let wanted_by = ctx.wanted_by(&path, size);
                if !wanted_by.is_empty() {
                    if size > limits.max_file_read {
                        ctx.warn(
                            out,
                            &path,
                            WarningKind::FileTooLarge {
                                size,
                                limit: limits.max_file_read,
                            },
                        );
                    } else {
                        let bytes = read_content(&mut entry, size, &path, ctx)?;
                        out.stats.files_read += 1;
                        content = Some((std::sync::Arc::new(bytes), wanted_by));
                    }
                }
            }
            EntryKind::Hardlink { target } => {
                // Kept unless more than `output::LINK_CONTENT` bytes of wanted files were
                // read after the target: then the warning below.
                match out.content_of(target) {
                    Some(bytes) => {
                        let wanted_by = ctx.wanted_by(&path, bytes.len() as u64);
                        if !wanted_by.is_empty() {
                            content = Some((bytes, wanted_by));
                        }
                    }
                    // The target's size is unknown here (a link's header says 0): asking
                    // at size 0 warns for analyzers that want this path by name, not for
                    // ones that go by size only, which would have read the target itself.
                    None if !ctx.wanted_by(&path, 0).is_empty() => {
                        ctx.warn(
                            out,
                            &path,
                            WarningKind::HardlinkContentUnavailable {
                                target: target.clone(),
                            },
                        );
                    }
                    None => {}
                }
            }
            _ => {}
        }
        out.push(Item {
            entry: new_entry(path, kind, size),
            content,
        })?;
    }
    Ok(())
}

/// Reads exactly `size` bytes of an entry; fewer means the header lied about its size.
fn read_content(
    entry: &mut dyn Read,
    size: u64,
    path: &str,
    ctx: &LayerContext<'_>,
) -> Result<Vec<u8>, Failure> {
    let mut bytes = Vec::with_capacity(usize::try_from(size.min(1 << 20)).unwrap_or(0));
    entry
        .take(size)
        .read_to_end(&mut bytes)
        .map_err(|e| stream_error(e, ctx))?;
    if (bytes.len() as u64) < size {
        return Err(Failure::Error(Error::Truncated {
            layer: ctx.layer.digest.clone(),
            detail: format!(
                "{path}: the header claims {size} bytes but only {} follow",
                bytes.len()
            ),
        }));
    }
    Ok(bytes)
}

fn limit(ctx: &LayerContext<'_>, what: &str, limit: u64) -> Failure {
    Failure::Error(Error::LimitExceeded {
        what: what.to_string(),
        limit,
        layer: Some(ctx.layer.digest.clone()),
    })
}
