//! Operating-system package databases.

pub mod apk;
pub mod dpkg;

use assay_core::Distro;

/// `distro=ID-VERSION_ID`, the purl qualifier Syft and Trivy write for OS packages.
pub(crate) fn distro_qualifier(distro: Option<&Distro>) -> String {
    match distro {
        Some(Distro {
            id,
            version_id: Some(v),
            ..
        }) => format!("{id}-{v}"),
        Some(d) => d.id.clone(),
        None => String::new(),
    }
}
