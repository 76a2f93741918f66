//! CycloneDX XML, 1.6 or 1.5: the same document as the JSON writer ([`super::cyclonedx::build`])
//! in the element order the official XSD requires (`name`, `version`, `hashes`, `licenses`,
//! `purl`, `properties` within a component; `timestamp`, `tools`, `component` within the
//! metadata). Written with quick-xml's writer, which escapes text and attributes.

use std::io;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use super::CdxSpec;
use super::cyclonedx::{Bom, Component, LicenseChoice};

type W = Writer<Vec<u8>>;

pub(super) fn render(bom: &Bom<'_>, spec: CdxSpec) -> io::Result<Vec<u8>> {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let namespace = format!("http://cyclonedx.org/schema/bom/{}", spec.as_str());
    let version = bom.version.to_string();
    w.create_element("bom")
        .with_attribute(("xmlns", namespace.as_str()))
        .with_attribute(("serialNumber", bom.serial_number.as_str()))
        .with_attribute(("version", version.as_str()))
        .write_inner_content(|w| {
            w.create_element("metadata").write_inner_content(|w| {
                text(w, "timestamp", bom.metadata.timestamp)?;
                w.create_element("tools").write_inner_content(|w| {
                    list(w, "components", &bom.metadata.tools.components, component)
                })?;
                component(w, &bom.metadata.component)?;
                Ok(())
            })?;
            list(w, "components", &bom.components, component)?;
            if !bom.dependencies.is_empty() {
                w.create_element("dependencies").write_inner_content(|w| {
                    for dependency in &bom.dependencies {
                        let element = w
                            .create_element("dependency")
                            .with_attribute(("ref", dependency.reference));
                        if dependency.depends_on.is_empty() {
                            element.write_empty()?;
                        } else {
                            element.write_inner_content(|w| {
                                for child in &dependency.depends_on {
                                    w.create_element("dependency")
                                        .with_attribute(("ref", *child))
                                        .write_empty()?;
                                }
                                Ok(())
                            })?;
                        }
                    }
                    Ok(())
                })?;
            }
            Ok(())
        })?;
    let mut out = w.into_inner();
    out.push(b'\n');
    Ok(out)
}

fn text(w: &mut W, name: &str, value: &str) -> io::Result<()> {
    w.create_element(name)
        .write_text_content(BytesText::new(value))?;
    Ok(())
}

/// `<name>` with one child per item, left out when there are none (the XSD allows neither
/// an empty `<components>` in `tools` nor in `bom` to carry meaning).
fn list<T>(
    w: &mut W,
    name: &str,
    items: &[T],
    each: impl Fn(&mut W, &T) -> io::Result<()>,
) -> io::Result<()> {
    if items.is_empty() {
        return Ok(());
    }
    w.create_element(name).write_inner_content(|w| {
        for item in items {
            each(w, item)?;
        }
        Ok(())
    })?;
    Ok(())
}

fn component(w: &mut W, c: &Component<'_>) -> io::Result<()> {
    let mut element = w
        .create_element("component")
        .with_attribute(("type", c.kind));
    if let Some(reference) = c.bom_ref {
        element = element.with_attribute(("bom-ref", reference));
    }
    element.write_inner_content(|w| {
        text(w, "name", c.name)?;
        if let Some(version) = c.version {
            text(w, "version", version)?;
        }
        list(w, "hashes", &c.hashes, |w, h| {
            w.create_element("hash")
                .with_attribute(("alg", h.alg))
                .write_text_content(BytesText::new(&h.content))?;
            Ok(())
        })?;
        if !c.licenses.is_empty() {
            w.create_element("licenses").write_inner_content(|w| {
                for choice in &c.licenses {
                    match choice {
                        LicenseChoice::Expression { expression } => {
                            text(w, "expression", expression)?;
                        }
                        LicenseChoice::License { license } => {
                            w.create_element("license").write_inner_content(|w| {
                                if let Some(id) = license.id {
                                    text(w, "id", id)?;
                                } else if let Some(name) = license.name {
                                    text(w, "name", name)?;
                                }
                                Ok(())
                            })?;
                        }
                    }
                }
                Ok(())
            })?;
        }
        if let Some(purl) = c.purl {
            text(w, "purl", purl)?;
        }
        list(w, "properties", &c.properties, |w, p| {
            w.create_element("property")
                .with_attribute(("name", p.name))
                .write_text_content(BytesText::new(p.value))?;
            Ok(())
        })?;
        Ok(())
    })?;
    Ok(())
}
