//! The single layer of a `dir:` root filesystem, read from disk in place. Nothing is
//! followed: entries come from `lstat`, symlinks are read as text, and a file is opened only
//! after checking it is the same regular file `lstat` saw (so a swap for a symlink between
//! the two calls is noticed).

use std::fs::{self, File, Metadata};
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use super::layer::Failure;
use super::{Item, LayerContext, LayerOutput, WarningKind};
use crate::error::Error;
use crate::path::join;
use crate::tree::{Entry, EntryKind};

pub(crate) fn read(
    root: &Path,
    ctx: &LayerContext<'_>,
    out: &mut LayerOutput,
) -> Result<(), Failure> {
    let limits = &ctx.options.limits;
    // Depth-first, children in name order, so output is the same on every run.
    let mut stack: Vec<(PathBuf, String)> = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, rel_dir)) = stack.pop() {
        if ctx.cancelled() {
            return Err(Failure::Cancelled);
        }
        let mut children = match fs::read_dir(&dir) {
            Ok(iter) => iter
                .filter_map(Result::ok)
                .map(|e| e.file_name())
                .collect::<Vec<_>>(),
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
                ctx.warn(
                    out,
                    &rel_dir,
                    WarningKind::Unreadable {
                        error: e.to_string(),
                    },
                );
                continue;
            }
            Err(source) => return Err(Error::Io { path: dir, source }.into()),
        };
        children.sort();
        let mut subdirs = Vec::new();
        for name in children {
            let full = dir.join(&name);
            let name_str = name.to_string_lossy();
            let rel = join(&rel_dir, &name_str);
            if name.to_str().is_none() {
                ctx.warn(out, &rel, WarningKind::NonUtf8Path);
            }
            if rel.len() as u64 > limits.max_path_len {
                return Err(limit(ctx, "path length", limits.max_path_len));
            }
            out.stats.entries += 1;
            if out.stats.entries > limits.max_entries {
                return Err(limit(ctx, "entries in one layer", limits.max_entries));
            }
            let meta = match fs::symlink_metadata(&full) {
                Ok(m) => m,
                Err(e) => {
                    ctx.warn(
                        out,
                        &rel,
                        WarningKind::Unreadable {
                            error: e.to_string(),
                        },
                    );
                    continue;
                }
            };
            let ft = meta.file_type();
            let rdev = || (dev_major(meta.rdev()), dev_minor(meta.rdev()));
            let kind = if ft.is_symlink() {
                match fs::read_link(&full) {
                    Ok(target) => EntryKind::Symlink {
                        target: target.to_string_lossy().into_owned(),
                    },
                    Err(e) => {
                        ctx.warn(
                            out,
                            &rel,
                            WarningKind::Unreadable {
                                error: e.to_string(),
                            },
                        );
                        continue;
                    }
                }
            } else if ft.is_dir() {
                subdirs.push((full.clone(), rel.clone()));
                EntryKind::Dir
            } else if ft.is_file() {
                EntryKind::File
            } else if ft.is_char_device() {
                let (major, minor) = rdev();
                EntryKind::CharDevice { major, minor }
            } else if ft.is_block_device() {
                let (major, minor) = rdev();
                EntryKind::BlockDevice { major, minor }
            } else if ft.is_fifo() {
                EntryKind::Fifo
            } else {
                ctx.warn(
                    out,
                    &rel,
                    WarningKind::UnsupportedEntryType { type_flag: b's' },
                );
                continue;
            };
            let size = if kind == EntryKind::File {
                meta.len()
            } else {
                0
            };
            let mut content = None;
            if kind == EntryKind::File {
                let wanted_by = ctx.wanted_by(&rel, size);
                if !wanted_by.is_empty() {
                    if size > limits.max_file_read {
                        ctx.warn(
                            out,
                            &rel,
                            WarningKind::FileTooLarge {
                                size,
                                limit: limits.max_file_read,
                            },
                        );
                    } else {
                        match read_same_file(&full, &meta, limits.max_file_read) {
                            Ok(bytes) => {
                                out.stats.files_read += 1;
                                content = Some((std::sync::Arc::new(bytes), wanted_by));
                            }
                            Err(e) => ctx.warn(
                                out,
                                &rel,
                                WarningKind::Unreadable {
                                    error: e.to_string(),
                                },
                            ),
                        }
                    }
                }
            }
            let entry = Entry {
                path: rel,
                kind,
                mode: meta.mode() & 0o7777,
                uid: u64::from(meta.uid()),
                gid: u64::from(meta.gid()),
                size,
                mtime: u64::try_from(meta.mtime()).unwrap_or(0),
                layer: ctx.layer.index,
            };
            out.push(Item { entry, content })?;
        }
        // Reverse so the stack pops them in name order.
        stack.extend(subdirs.into_iter().rev());
    }
    Ok(())
}

/// Opens `path` and reads it only if it is still the regular file `seen` describes.
fn read_same_file(path: &Path, seen: &Metadata, max: u64) -> io::Result<Vec<u8>> {
    let file = File::open(path)?;
    let now = file.metadata()?;
    if !now.is_file() || now.dev() != seen.dev() || now.ino() != seen.ino() {
        return Err(io::Error::other("replaced while being read"));
    }
    let mut bytes = Vec::new();
    file.take(max).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Linux's `major()` from glibc's encoding of `dev_t`.
fn dev_major(rdev: u64) -> u32 {
    (((rdev >> 8) & 0xfff) | ((rdev >> 32) & !0xfff)) as u32
}

/// Linux's `minor()`.
fn dev_minor(rdev: u64) -> u32 {
    ((rdev & 0xff) | ((rdev >> 12) & !0xff)) as u32
}

fn limit(ctx: &LayerContext<'_>, what: &str, limit: u64) -> Failure {
    Failure::Error(Error::LimitExceeded {
        what: what.to_string(),
        limit,
        layer: Some(ctx.layer.digest.clone()),
    })
}
