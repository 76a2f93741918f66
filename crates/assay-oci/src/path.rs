//! Normalising archive paths into the tree's form (`etc/passwd`: relative, no `.`/`..`, no
//! trailing slash), noting what a hostile layer tried.

/// A normalised path and what had to be undone to get it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Normalized {
    /// The path, `""` for the root.
    pub(crate) path: String,
    /// A `..` tried to climb above the root; it was dropped, as containerd's in-root path
    /// resolution does, so the entry lands where a runtime would put it.
    pub(crate) escaped: bool,
    /// The path started with `/`.
    pub(crate) absolute: bool,
}

/// Normalises `raw` lexically; `..` at the root stays at the root.
pub(crate) fn normalize(raw: &str) -> Normalized {
    let absolute = raw.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    let mut escaped = false;
    for part in raw.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    escaped = true;
                }
            }
            p => parts.push(p),
        }
    }
    Normalized {
        path: parts.join("/"),
        escaped,
        absolute,
    }
}

/// The parent of a normalised path (`""` for top-level names).
pub(crate) fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(p, _)| p)
}

/// `parent/name`, or `name` at the root.
pub(crate) fn join(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_string()
    } else {
        format!("{parent}/{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn climbing_above_root_is_clamped_and_noted() {
        let n = normalize("../../etc/passwd");
        assert_eq!(
            (n.path.as_str(), n.escaped, n.absolute),
            ("etc/passwd", true, false)
        );
        let n = normalize("/usr/./lib//x/../y/");
        assert_eq!(
            (n.path.as_str(), n.escaped, n.absolute),
            ("usr/lib/y", false, true)
        );
        assert_eq!(normalize("./").path, "");
        assert_eq!(parent("a/b/c"), "a/b");
        assert_eq!(parent("a"), "");
    }
}
