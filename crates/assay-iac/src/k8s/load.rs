//! Text to documents: YAML (every `---` document) or JSON, parsed into [`Node`] trees that keep
//! the line and column of every key and item so that findings can point at them.
//!
//! saphyr does the parsing; this module converts its nodes into a small owned tree, resolving
//! the YAML merge key (`<<: *defaults`) on the way, because rules only ever need "what is at this
//! path and where was it written".

use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};

use crate::ParseError;

/// One value of a manifest with the place findings about it should point at.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    /// 1-based line: of the key for a mapping value, of the node itself otherwise.
    pub line: u32,
    /// 1-based column, same convention as `line`.
    pub column: u32,
    /// 1-based last line the node spans.
    pub end_line: u32,
    /// The content.
    pub value: Value,
}

/// The content of a [`Node`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// Entries in source order; keys that are not strings are rendered as text.
    Map(Vec<(String, Node)>),
}

impl Node {
    /// The value under `key` when this is a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The value at a dotted path of mapping keys (`spec.template.spec`).
    pub fn at(&self, path: &str) -> Option<&Node> {
        path.split('.').try_fold(self, |node, key| node.get(key))
    }

    /// The string, when this is a string scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The boolean, when this is a boolean scalar.
    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The integer, when this is an integer scalar.
    pub fn as_i64(&self) -> Option<i64> {
        match self.value {
            Value::Int(i) => Some(i),
            _ => None,
        }
    }

    /// The items, or nothing when this is not a sequence.
    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    /// The entries, or nothing when this is not a mapping.
    pub fn entries(&self) -> &[(String, Node)] {
        match &self.value {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    /// Scalars as text (`80`, `true`, `nginx`), for values users write either way.
    pub fn text(&self) -> Option<String> {
        match &self.value {
            Value::Str(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// The same value as JSON, for Rego policies and [`super::Document`].
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Str(s) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

/// Parses every document of `text`; empty documents are dropped.
///
/// JSON is read by the same YAML parser (JSON is YAML's flow syntax) so that it keeps positions
/// too; tabs, legal JSON whitespace that YAML rejects in places, are turned into spaces first.
pub(crate) fn parse(path: &str, text: &str) -> Result<Vec<Node>, ParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let looks_like_json = matches!(text.trim_start().chars().next(), Some('{' | '['));
    let source = if looks_like_json && text.contains('\t') {
        std::borrow::Cow::Owned(text.replace('\t', " "))
    } else {
        std::borrow::Cow::Borrowed(text)
    };
    match MarkedYaml::load_from_str(&source) {
        Ok(docs) => Ok(docs
            .iter()
            .map(|d| convert(d, None, 0))
            .filter(|n| n.value != Value::Null)
            .collect()),
        Err(e) => {
            if looks_like_json && let Err(json) = serde_json::from_str::<serde_json::Value>(text) {
                return Err(ParseError {
                    path: path.to_string(),
                    line: u32::try_from(json.line()).ok().filter(|l| *l > 0),
                    message: format!("invalid json: {json}"),
                });
            }
            Err(ParseError {
                path: path.to_string(),
                line: u32::try_from(e.marker().line()).ok().filter(|l| *l > 0),
                message: format!(
                    "invalid yaml: {} at column {}",
                    e.info(),
                    e.marker().col() + 1
                ),
            })
        }
    }
}

/// Deep nesting beyond this is cut off (treated as null) so hostile input cannot overflow the
/// stack; no real manifest comes near it.
const MAX_DEPTH: usize = 200;

fn convert(node: &MarkedYaml<'_>, at: Option<(u32, u32)>, depth: usize) -> Node {
    let start = node.span.start;
    let own = (to_u32(start.line()), to_u32(start.col() + 1));
    let (line, column) = at.unwrap_or(own);
    let end_line = to_u32(node.span.end.line()).max(line);
    let value = if depth > MAX_DEPTH {
        Value::Null
    } else {
        convert_data(&node.data, depth)
    };
    Node {
        line,
        column,
        end_line,
        value,
    }
}

fn convert_data<'i>(data: &YamlData<'i, MarkedYaml<'i>>, depth: usize) -> Value {
    match data {
        YamlData::Value(scalar) => match scalar {
            Scalar::Null => Value::Null,
            Scalar::Boolean(b) => Value::Bool(*b),
            Scalar::Integer(i) => Value::Int(*i),
            Scalar::FloatingPoint(f) => Value::Float(f.0),
            Scalar::String(s) => Value::Str(s.to_string()),
        },
        YamlData::Representation(s, _, _) => Value::Str(s.to_string()),
        YamlData::Sequence(items) => Value::Seq(
            items
                .iter()
                .map(|item| convert(item, None, depth + 1))
                .collect(),
        ),
        YamlData::Mapping(map) => {
            let mut entries: Vec<(String, Node)> = Vec::new();
            let mut merged: Vec<(String, Node)> = Vec::new();
            for (key, value) in map {
                let key_at = (
                    to_u32(key.span.start.line()),
                    to_u32(key.span.start.col() + 1),
                );
                let name = key_text(&key.data);
                let value = convert(value, Some(key_at), depth + 1);
                if name == "<<" {
                    // YAML merge key: explicit keys win over merged ones, earlier merges over later.
                    let sources = match &value.value {
                        Value::Seq(items) => items.clone(),
                        _ => vec![value],
                    };
                    for source in sources {
                        for (k, v) in source.entries() {
                            if !merged.iter().any(|(m, _)| m == k) {
                                merged.push((k.clone(), v.clone()));
                            }
                        }
                    }
                } else {
                    entries.push((name, value));
                }
            }
            for (k, v) in merged {
                if !entries.iter().any(|(e, _)| *e == k) {
                    entries.push((k, v));
                }
            }
            Value::Map(entries)
        }
        YamlData::Tagged(_, inner) => convert_data(&inner.data, depth + 1),
        YamlData::Alias(_) | YamlData::BadValue => Value::Null,
    }
}

fn key_text<'i>(data: &YamlData<'i, MarkedYaml<'i>>) -> String {
    match data {
        YamlData::Value(Scalar::String(s)) => s.to_string(),
        YamlData::Value(Scalar::Integer(i)) => i.to_string(),
        YamlData::Value(Scalar::Boolean(b)) => b.to_string(),
        YamlData::Value(Scalar::FloatingPoint(f)) => f.to_string(),
        YamlData::Value(Scalar::Null) => "null".to_string(),
        YamlData::Representation(s, _, _) => s.to_string(),
        YamlData::Tagged(_, inner) => key_text(&inner.data),
        _ => String::new(),
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
