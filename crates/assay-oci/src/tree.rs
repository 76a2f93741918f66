//! The squashed file tree: what a container started from the image would see, as metadata
//! only. Contents are never stored here; analyzers get them during the walk.

use std::collections::{BTreeMap, VecDeque};
use std::ops::Bound;

use crate::path::normalize;

/// How many symlinks [`FileTree::resolve`] follows before calling it a loop (Linux's limit).
pub const MAX_SYMLINK_HOPS: usize = 40;

/// What kind of file an entry is. Whiteout markers appear only in a layer's entries as the
/// walker reports them, never in the squashed tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link, target as written in the archive (never followed by the walker).
    Symlink {
        /// The link target, possibly absolute or climbing out with `..`.
        target: String,
    },
    /// A hard link to another path of the image, normalised like every path.
    Hardlink {
        /// The linked path.
        target: String,
    },
    /// A character device: metadata only, never opened.
    CharDevice {
        /// Major number.
        major: u32,
        /// Minor number.
        minor: u32,
    },
    /// A block device: metadata only, never opened.
    BlockDevice {
        /// Major number.
        major: u32,
        /// Minor number.
        minor: u32,
    },
    /// A named pipe: metadata only.
    Fifo,
    /// A `.wh.NAME` marker: this layer deletes `path` from the layers below.
    Whiteout,
    /// A `.wh..wh..opq` marker: this layer hides everything below in the directory `path`.
    OpaqueDir,
}

/// One file's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Normalised path, relative to the image root, no leading `/` (`etc/os-release`).
    pub path: String,
    /// The kind (and link target or device numbers).
    pub kind: EntryKind,
    /// Permission bits (including setuid/setgid/sticky).
    pub mode: u32,
    /// Owner.
    pub uid: u64,
    /// Group.
    pub gid: u64,
    /// Size in bytes for regular files, 0 otherwise.
    pub size: u64,
    /// Modification time (seconds since the epoch).
    pub mtime: u64,
    /// Index of the layer that put it there (0 is the base layer).
    pub layer: usize,
}

impl Entry {
    /// Whether this is a whiteout or opaque-directory marker rather than a file.
    pub fn is_marker(&self) -> bool {
        matches!(self.kind, EntryKind::Whiteout | EntryKind::OpaqueDir)
    }
}

/// A symlink chain that does not end.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: more than {MAX_SYMLINK_HOPS} symbolic links (a loop)")]
pub struct SymlinkLoop {
    /// The path being resolved.
    pub path: String,
}

/// Path -> entry after all layers, whiteouts and opaque directories are applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileTree {
    entries: BTreeMap<String, Entry>,
}

impl FileTree {
    /// An empty tree.
    pub fn new() -> FileTree {
        FileTree::default()
    }

    /// The entry at `path` (leading `/` and `./` accepted), without following symlinks.
    pub fn get(&self, path: &str) -> Option<&Entry> {
        self.entries.get(&normalize(path).path)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the tree is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// All entries in path order.
    pub fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.entries.values()
    }

    /// Entries strictly below directory `dir` (`""` for the whole tree), in path order.
    pub fn descendants<'a>(&'a self, dir: &str) -> impl Iterator<Item = &'a Entry> + 'a {
        let prefix = prefix_of(&normalize(dir).path);
        self.entries
            .range(prefix.clone()..)
            .take_while(move |(k, _)| k.starts_with(&prefix))
            .map(|(_, e)| e)
    }

    /// Resolves `path` inside the tree as a container would see it, following symlinks in
    /// every component; absolute targets and `..` stay inside the root (it is a chroot), so a
    /// hostile link can never point outside the image. `Ok(None)` when nothing is there.
    pub fn resolve(&self, path: &str) -> Result<Option<&Entry>, SymlinkLoop> {
        let mut todo: VecDeque<String> = path.split('/').map(str::to_string).collect();
        let mut resolved: Vec<String> = Vec::new();
        let mut hops = 0;
        while let Some(part) = todo.pop_front() {
            match part.as_str() {
                "" | "." => continue,
                ".." => {
                    resolved.pop();
                    continue;
                }
                _ => resolved.push(part),
            }
            let current = resolved.join("/");
            if let Some(Entry {
                kind: EntryKind::Symlink { target },
                ..
            }) = self.entries.get(&current)
            {
                hops += 1;
                if hops > MAX_SYMLINK_HOPS {
                    return Err(SymlinkLoop {
                        path: path.to_string(),
                    });
                }
                resolved.pop();
                if target.starts_with('/') {
                    resolved.clear();
                }
                for part in target.split('/').rev() {
                    todo.push_front(part.to_string());
                }
            }
        }
        Ok(self.entries.get(&resolved.join("/")))
    }

    /// Applies one layer's entries on top of the tree, the way overlayfs stacks layers: its
    /// whiteouts and opaque markers first remove from the layers below (never from itself,
    /// as the OCI spec says), then its entries are added in archive order (a later duplicate
    /// wins; a non-directory replaces a directory and hides its contents). Every entry of a
    /// lower layer that disappears is handed to `removed`.
    pub fn apply_layer(&mut self, entries: Vec<Entry>, removed: &mut dyn FnMut(Entry)) {
        for marker in entries.iter().filter(|e| e.is_marker()) {
            match marker.kind {
                EntryKind::Whiteout => {
                    if let Some(gone) = self.entries.remove(&marker.path) {
                        removed(gone);
                    }
                    self.remove_below(&marker.path, removed);
                }
                _ => self.remove_below(&marker.path, removed),
            }
        }
        for entry in entries.into_iter().filter(|e| !e.is_marker()) {
            if entry.kind != EntryKind::Dir && self.has_below(&entry.path) {
                self.remove_below(&entry.path, removed);
            }
            self.entries.insert(entry.path.clone(), entry);
        }
    }

    /// Whether anything lies below `dir`: asked for every file of every layer, so it looks
    /// at the key after `dir` instead of building the `dir/` key. Between `dir` and `dir/`
    /// sort only keys continuing `dir` with a byte below `/` (`dir-2`, `dir.d`); on one of
    /// those it asks the exact range.
    fn has_below(&self, dir: &str) -> bool {
        if dir.is_empty() {
            return !self.entries.is_empty();
        }
        let after = (Bound::Excluded(dir), Bound::Unbounded);
        let Some((next, _)) = self.entries.range::<str, _>(after).next() else {
            return false;
        };
        match next.strip_prefix(dir).and_then(|rest| rest.bytes().next()) {
            Some(b'/') => true,
            Some(b) if b < b'/' => self.keys_below(&prefix_of(dir)).next().is_some(),
            _ => false,
        }
    }

    /// The keys starting with `prefix` (a directory's `dir/`), in order.
    fn keys_below<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a String> + 'a {
        self.entries
            .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
            .map(|(k, _)| k)
            .take_while(move |k| k.starts_with(prefix))
    }

    fn remove_below(&mut self, dir: &str, removed: &mut dyn FnMut(Entry)) {
        let prefix = prefix_of(dir);
        let keys: Vec<String> = self.keys_below(&prefix).cloned().collect();
        for key in keys {
            if let Some(gone) = self.entries.remove(&key) {
                removed(gone);
            }
        }
    }
}

/// `dir/` (or `""` for the root), the key prefix of everything below `dir`.
fn prefix_of(dir: &str) -> String {
    if dir.is_empty() {
        String::new()
    } else {
        format!("{dir}/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str, kind: EntryKind, layer: usize) -> Entry {
        Entry {
            path: path.to_string(),
            kind,
            mode: 0o644,
            uid: 0,
            gid: 0,
            size: 0,
            mtime: 0,
            layer,
        }
    }

    fn tree(paths: &[&str]) -> FileTree {
        let mut tree = FileTree::new();
        let entries = paths.iter().map(|p| entry(p, EntryKind::File, 0)).collect();
        tree.apply_layer(entries, &mut |_| {});
        tree
    }

    #[test]
    fn below_looks_past_siblings_that_sort_between_a_path_and_its_children() {
        assert!(tree(&["b-1", "b.d/z", "b/c"]).has_below("b"));
        assert!(tree(&["b/c"]).has_below("b"));
        assert!(!tree(&["b-1", "b.d/z", "bb/c"]).has_below("b"));
        assert!(!tree(&["b", "a/b/c"]).has_below("b"));
        assert!(!tree(&[]).has_below("b"));
    }

    #[test]
    fn a_file_over_a_directory_hides_only_what_is_below_it() {
        let mut t = FileTree::new();
        let lower = vec![
            entry("a", EntryKind::Dir, 0),
            entry("a/x", EntryKind::File, 0),
            entry("a-2", EntryKind::File, 0),
            entry("a.d/y", EntryKind::File, 0),
        ];
        t.apply_layer(lower, &mut |_| {});
        let mut gone = Vec::new();
        t.apply_layer(vec![entry("a", EntryKind::File, 1)], &mut |e| {
            gone.push(e.path)
        });
        assert_eq!(gone, ["a/x"]);
        for kept in ["a", "a-2", "a.d/y"] {
            assert!(t.get(kept).is_some(), "{kept}");
        }
        assert_eq!(t.get("a").map(|e| e.layer), Some(1));
    }
}
