//! User templates in minijinja (Jinja2 syntax), like Trivy's `--template`: the template sees
//! the JSON report as `report` (and its fields at top level), so anything in
//! docs/json-format.md can be used.

use assay_core::Report;
use minijinja::{Environment, Value};

use crate::RenderError;

/// Renders `source` (named `name` in errors) with the report.
pub fn render(report: &Report, name: &str, source: &str) -> Result<String, RenderError> {
    let mut env = Environment::new();
    if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
        .keep_trailing_newline(true)
        .build()
    {
        env.set_syntax(syntax);
    }
    env.add_template(name, source)
        .map_err(|e| RenderError::Template(describe(name, &e)))?;
    let template = env
        .get_template(name)
        .map_err(|e| RenderError::Template(describe(name, &e)))?;
    let json = serde_json::to_value(report).map_err(|e| RenderError::Serialize(e.to_string()))?;
    let mut ctx = match &json {
        serde_json::Value::Object(map) => map.clone(),
        _ => serde_json::Map::new(),
    };
    ctx.insert("report".into(), json.clone());
    template
        .render(Value::from(minijinja::value::Serde(&ctx)))
        .map_err(|e| RenderError::Template(describe(name, &e)))
}

/// One line: `file:line: what`.
fn describe(name: &str, e: &minijinja::Error) -> String {
    let what = e
        .detail()
        .map_or_else(|| e.kind().to_string(), |d| format!("{}: {d}", e.kind()));
    match e.line() {
        Some(line) => format!("{name}:{line}: {what}"),
        None => format!("{name}: {what}"),
    }
}
