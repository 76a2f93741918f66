//! CycloneDX XML read into the same document structs the JSON reader fills, so both forms
//! become one inventory through one code path (`read::cyclonedx_inventory`).
//!
//! A small event-driven reader over quick-xml rather than serde: the XML form nests lists
//! (`<components><component>`), keeps `type` and `bom-ref` in attributes and spells license
//! choices as elements, so a streaming walk that fills the structs is shorter and clearer than
//! a second set of serde types. Unknown elements are skipped; text is unescaped.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use serde_json::json;

use super::read::{CdxBom, CdxComponent, CdxDependency, CdxMetadata, CdxProperty, ReadError};

/// Whether `text` (the start of a document) is a CycloneDX XML bill: a `bom` element in a
/// CycloneDX namespace.
pub(super) fn is_cyclonedx(text: &str) -> bool {
    text.contains("<bom") && text.contains("http://cyclonedx.org/schema/bom/")
}

/// What the element currently open is, for texts that matter.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Open {
    Other(String),
    Property(String),
}

fn attribute(e: &BytesStart<'_>, key: &str) -> Result<Option<String>, quick_xml::Error> {
    Ok(match e.try_get_attribute(key)? {
        Some(a) => Some(
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)?
                .into_owned(),
        ),
        None => None,
    })
}

/// Reads a CycloneDX XML document; errors name `name:line`.
pub(super) fn read(name: &str, bytes: &[u8]) -> Result<CdxBom, ReadError> {
    let text = std::str::from_utf8(bytes).map_err(|e| ReadError::Invalid {
        name: name.to_string(),
        kind: "CycloneDX XML",
        line: line_of(bytes, e.valid_up_to()),
        reason: "not UTF-8".into(),
    })?;
    let mut reader = Reader::from_str(text);
    let invalid = |reader: &Reader<&[u8]>, reason: String| ReadError::Invalid {
        name: name.to_string(),
        kind: "CycloneDX XML",
        line: line_of(
            bytes,
            usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX),
        ),
        reason,
    };
    let mut bom = CdxBom {
        metadata: None,
        components: Vec::new(),
        dependencies: Vec::new(),
    };
    // Open elements, outermost first; components being filled, innermost last, each with
    // whether it is the metadata's subject.
    let mut path: Vec<Open> = Vec::new();
    let mut building: Vec<(CdxComponent, bool)> = Vec::new();
    let mut text_buf = String::new();
    let mut saw_bom = false;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| invalid(&reader, e.to_string()))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                let local = e.local_name().as_ref().to_string();
                let attr =
                    |key: &str| attribute(e, key).map_err(|x| invalid(&reader, x.to_string()));
                let parent = path.last().cloned();
                let under = |n: &str| matches!(&parent, Some(Open::Other(p)) if p == n);
                match local.as_str() {
                    "bom" if path.is_empty() => saw_bom = true,
                    "component" if under("components") || under("metadata") => {
                        let subject = under("metadata");
                        let component = CdxComponent {
                            kind: attr("type")?.unwrap_or_default(),
                            bom_ref: attr("bom-ref")?,
                            ..CdxComponent::default()
                        };
                        if empty {
                            finish(&mut bom, &mut building, component, subject);
                        } else {
                            building.push((component, subject));
                        }
                    }
                    "dependency" if under("dependencies") => bom.dependencies.push(CdxDependency {
                        reference: attr("ref")?.unwrap_or_default(),
                        depends_on: Vec::new(),
                    }),
                    "dependency" if under("dependency") => {
                        if let (Some(last), Some(child)) =
                            (bom.dependencies.last_mut(), attr("ref")?)
                        {
                            last.depends_on.push(child);
                        }
                    }
                    _ => {}
                }
                if !empty {
                    let open = if local == "property" {
                        Open::Property(attr("name")?.unwrap_or_default())
                    } else {
                        Open::Other(local)
                    };
                    path.push(open);
                    text_buf.clear();
                }
            }
            Event::Text(t) => text_buf.push_str(&t.xml10_content()),
            Event::CData(t) => text_buf.push_str(&t.into_inner()),
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => {
                        let entity = r.xml10_content();
                        quick_xml::escape::resolve_predefined_entity(&entity)
                            .ok_or_else(|| invalid(&reader, format!("unknown entity &{entity};")))?
                            .to_string()
                    }
                    Err(e) => return Err(invalid(&reader, e.to_string())),
                };
                text_buf.push_str(&resolved);
            }
            Event::End(_) => {
                let closed = path.pop();
                let text = std::mem::take(&mut text_buf).trim().to_string();
                let parent = path.last().cloned();
                let in_component = matches!(&parent, Some(Open::Other(p)) if p == "component");
                match closed {
                    Some(Open::Other(local)) if local == "component" => {
                        if let Some((component, subject)) = building.pop() {
                            finish(&mut bom, &mut building, component, subject);
                        }
                    }
                    Some(Open::Other(local)) if in_component => {
                        if let Some((c, _)) = building.last_mut() {
                            match local.as_str() {
                                "name" => c.name = text,
                                "version" => c.version = Some(text),
                                "purl" => c.purl = Some(text),
                                _ => {}
                            }
                        }
                    }
                    Some(Open::Other(local)) => {
                        // License texts: component/licenses/(expression | license/(id|name)).
                        let depth = path.len();
                        let at = |i: usize| match path.get(i) {
                            Some(Open::Other(n)) => n.as_str(),
                            _ => "",
                        };
                        let license = match local.as_str() {
                            "expression" if at(depth.wrapping_sub(1)) == "licenses" => {
                                Some(json!({ "expression": text }))
                            }
                            "id" | "name"
                                if at(depth.wrapping_sub(1)) == "license"
                                    && at(depth.wrapping_sub(2)) == "licenses" =>
                            {
                                Some(json!({ "license": { local.as_str(): text } }))
                            }
                            _ => None,
                        };
                        if let (Some(license), Some((c, _))) = (license, building.last_mut()) {
                            c.licenses.push(license);
                        }
                    }
                    Some(Open::Property(key)) => {
                        if let Some((c, _)) = building.last_mut() {
                            c.properties.push(CdxProperty {
                                name: key,
                                value: text,
                            });
                        }
                    }
                    None => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_bom {
        return Err(invalid(&reader, "no <bom> root element".into()));
    }
    Ok(bom)
}

/// A finished component goes into its parent component, the metadata (the subject) or the
/// document's list.
fn finish(
    bom: &mut CdxBom,
    building: &mut [(CdxComponent, bool)],
    component: CdxComponent,
    subject: bool,
) {
    if subject {
        bom.metadata = Some(CdxMetadata {
            component: Some(component),
        });
    } else if let Some((parent, _)) = building.last_mut() {
        parent.components.push(component);
    } else {
        bom.components.push(component);
    }
}

/// The 1-based line of byte `offset`.
fn line_of(bytes: &[u8], offset: usize) -> usize {
    let end = offset.min(bytes.len());
    bytes
        .get(..end)
        .map_or(1, |b| b.iter().filter(|c| **c == b'\n').count() + 1)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::Value;

    #[test]
    fn reads_components_licenses_properties_and_edges() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1">
  <metadata><component type="container" bom-ref="img"><name>app</name>
    <components><component type="library"><name>inner</name><purl>pkg:npm/inner@1</purl></component></components>
  </component></metadata>
  <components>
    <component type="library" bom-ref="a&amp;b">
      <name>a</name><version>1.0</version>
      <licenses><license><id>MIT</id></license><expression>MIT OR Apache-2.0</expression></licenses>
      <purl>pkg:npm/a@1.0</purl>
      <properties><property name="assay:package:path">srv/app/package-lock.json</property></properties>
    </component>
    <component type="library" bom-ref="b"><name>b</name><purl><![CDATA[pkg:npm/b@2]]></purl></component>
  </components>
  <dependencies><dependency ref="a&amp;b"><dependency ref="b"/></dependency><dependency ref="b"/></dependencies>
</bom>"#;
        let bom = read("x.xml", xml.as_bytes()).unwrap();
        assert_eq!(bom.components.len(), 2);
        let a = &bom.components[0];
        assert_eq!(a.bom_ref.as_deref(), Some("a&b"));
        assert_eq!(a.version.as_deref(), Some("1.0"));
        assert_eq!(a.licenses.len(), 2);
        assert_eq!(a.licenses[0]["license"]["id"], Value::from("MIT"));
        assert_eq!(a.properties[0].value, "srv/app/package-lock.json");
        assert_eq!(bom.components[1].purl.as_deref(), Some("pkg:npm/b@2"));
        let subject = bom.metadata.unwrap().component.unwrap();
        assert_eq!(subject.components[0].name, "inner");
        assert_eq!(bom.dependencies[0].depends_on, ["b"]);
    }

    #[test]
    fn malformed_xml_names_the_line() {
        let err = read(
            "bad.xml",
            b"<bom xmlns=\"http://cyclonedx.org/schema/bom/1.6\">\n<components>\n</bom>",
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("bad.xml:3: invalid CycloneDX XML"), "{err}");
    }
}
