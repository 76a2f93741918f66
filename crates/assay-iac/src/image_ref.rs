//! Image references as Dockerfiles and pod specs write them, split the way Docker resolves
//! them, and matched against the user's allowed registries and golden images. One module so
//! that a Dockerfile's `FROM` and a Deployment's `image:` are judged by the same rules.

/// An image reference split into registry, repository, tag and digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// Registry host, `docker.io` when none is written.
    pub registry: String,
    /// Repository path (`library/nginx`), lower case.
    pub repository: String,
    /// Tag, when written.
    pub tag: Option<String>,
    /// Digest, when written.
    pub digest: Option<String>,
}

/// Docker's rule: the first component is a registry when it has a dot or a port or is
/// `localhost`.
fn is_host(component: &str) -> bool {
    component.contains('.') || component.contains(':') || component == "localhost"
}

impl ImageRef {
    /// Splits `image` as Docker does; Docker Hub's official images live under `library/`.
    pub fn parse(image: &str) -> Self {
        let image = image.trim();
        let (name, digest) = match image.split_once('@') {
            Some((n, d)) => (n, Some(d.to_string())),
            None => (image, None),
        };
        let last_slash = name.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match name.get(last_slash..).and_then(|tail| tail.rfind(':')) {
            Some(colon) => {
                let at = last_slash + colon;
                (
                    name.get(..at).unwrap_or(name),
                    name.get(at + 1..).map(str::to_string),
                )
            }
            None => (name, None),
        };
        let name = name.to_ascii_lowercase();
        let (registry, repository) = match name.split_once('/') {
            Some((first, rest)) if is_host(first) => (first.to_string(), rest.to_string()),
            _ => ("docker.io".to_string(), name.clone()),
        };
        let registry = if registry == "index.docker.io" {
            "docker.io".to_string()
        } else {
            registry
        };
        let repository = if registry == "docker.io" && !repository.contains('/') {
            format!("library/{repository}")
        } else {
            repository
        };
        ImageRef {
            registry,
            repository,
            tag,
            digest,
        }
    }

    /// `registry/repository`, e.g. `docker.io/library/nginx`.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// Whether an allowed-registries entry admits this image: a registry host
    /// (`registry.example.com`), a path prefix (`registry.example.com/golden/`), or a Docker
    /// Hub short name (`debian`) or namespace (`bitnami`).
    pub fn allowed_by(&self, entry: &str) -> bool {
        let entry = entry.trim().trim_end_matches('/').to_ascii_lowercase();
        if entry.is_empty() {
            return false;
        }
        let full = self.full_name();
        let under = |prefix: &str| full == prefix || full.starts_with(&format!("{prefix}/"));
        match entry.split_once('/') {
            None if is_host(&entry) => self.registry == entry,
            // A bare word is an official image (`debian`) or a Hub namespace (`bitnami`).
            None => {
                under(&format!("docker.io/library/{entry}")) || under(&format!("docker.io/{entry}"))
            }
            Some((first, _)) if is_host(first) => under(&entry),
            Some(_) => under(&format!("docker.io/{entry}")),
        }
    }

    /// Whether this image is the golden image `entry`: same repository, and the same tag and
    /// digest where the entry names them.
    pub fn is_golden(&self, entry: &str) -> bool {
        let golden = ImageRef::parse(entry);
        golden.full_name() == self.full_name()
            && golden
                .tag
                .as_ref()
                .is_none_or(|t| self.tag.as_ref() == Some(t))
            && golden
                .digest
                .as_ref()
                .is_none_or(|d| self.digest.as_ref() == Some(d))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_hub_short_names_expand_to_library() {
        let r = ImageRef::parse("nginx");
        assert_eq!(r.full_name(), "docker.io/library/nginx");
        assert_eq!(r.tag, None);
        assert_eq!(
            ImageRef::parse("bitnami/redis:7").full_name(),
            "docker.io/bitnami/redis"
        );
        assert_eq!(
            ImageRef::parse("index.docker.io/library/debian").full_name(),
            "docker.io/library/debian"
        );
    }

    #[test]
    fn registry_with_port_is_not_mistaken_for_a_tag() {
        let r = ImageRef::parse("localhost:5000/app:1.0@sha256:abc");
        assert_eq!(r.registry, "localhost:5000");
        assert_eq!(r.repository, "app");
        assert_eq!(r.tag.as_deref(), Some("1.0"));
        assert_eq!(r.digest.as_deref(), Some("sha256:abc"));
    }

    #[test]
    fn allowed_entries_are_hosts_path_prefixes_or_hub_names() {
        let r = ImageRef::parse("registry.example.com/golden/web:1");
        assert!(r.allowed_by("registry.example.com"));
        assert!(r.allowed_by("registry.example.com/golden/"));
        assert!(!r.allowed_by("registry.example.com/other"));
        assert!(!r.allowed_by("registry.example"));
        assert!(!r.allowed_by("registry.example.com/gold"));
        assert!(ImageRef::parse("nginx:1.27").allowed_by("docker.io/library"));
        assert!(ImageRef::parse("nginx:1.27").allowed_by("docker.io"));
        assert!(ImageRef::parse("debian:12").allowed_by("debian"));
        assert!(ImageRef::parse("bitnami/redis").allowed_by("bitnami"));
        assert!(!ImageRef::parse("debian:12").allowed_by("ubuntu"));
    }

    #[test]
    fn golden_images_match_by_repository_and_tag() {
        assert!(ImageRef::parse("docker.io/library/debian:12").is_golden("debian"));
        assert!(ImageRef::parse("debian:12").is_golden("debian:12"));
        assert!(!ImageRef::parse("debian:11").is_golden("debian:12"));
        assert!(!ImageRef::parse("debian:12").is_golden("registry.example.com/golden/debian"));
    }
}
