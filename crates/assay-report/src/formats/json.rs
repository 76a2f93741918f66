//! assay's JSON report: the [`Report`] itself, pretty-printed (docs/json-format.md).

use assay_core::Report;

use crate::RenderError;

/// Pretty JSON with a trailing newline; field order is the struct order, lists are sorted.
pub fn render(report: &Report) -> Result<Vec<u8>, RenderError> {
    let mut out =
        serde_json::to_vec_pretty(report).map_err(|e| RenderError::Serialize(e.to_string()))?;
    out.push(b'\n');
    Ok(out)
}
