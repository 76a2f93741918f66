//! Progress display for image pulls and layer walks: indicatif bars on an interactive
//! stderr, one line per finished layer when `--progress` is asked for without a terminal
//! (CI logs), nothing otherwise. The walker only reports through `assay_oci::Progress`;
//! drawing is decided here, the one crate that prints.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};

use assay_oci::{Image, Layer, Progress};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    /// Live bars (a terminal).
    Bars,
    /// A line per finished layer (asked for with `--progress`, no terminal).
    Lines,
}

/// Bars on a terminal unless `CI=true`; `--progress` forces them, or lines without a
/// terminal.
fn style(forced: bool) -> Option<Style> {
    let tty = std::io::stderr().is_terminal();
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    match (forced, tty, ci) {
        (true, true, _) | (false, true, false) => Some(Style::Bars),
        (true, false, _) => Some(Style::Lines),
        _ => None,
    }
}

/// A progress sink for walking `image`, or `None` when nothing is to be shown. `verb` says
/// what reading a layer means here (`pulling` from a registry, `reading` a local file).
pub fn layers(forced: bool, image: &Image, verb: &'static str) -> Option<Arc<dyn Progress>> {
    let style = style(forced)?;
    let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
    Some(Arc::new(LayerProgress {
        style,
        multi,
        bars: Mutex::new(HashMap::new()),
        read: Mutex::new(HashMap::new()),
        total: image.layers.len(),
        verb,
    }))
}

#[derive(Debug)]
struct LayerProgress {
    style: Style,
    multi: MultiProgress,
    bars: Mutex<HashMap<usize, ProgressBar>>,
    /// Bytes read per layer, for the line style.
    read: Mutex<HashMap<usize, u64>>,
    total: usize,
    verb: &'static str,
}

/// `sha256:0123456789ab`, enough to tell layers apart.
fn short(layer: &Layer) -> String {
    let text = layer.digest.to_string();
    text.chars().take(19).collect()
}

impl Progress for LayerProgress {
    fn layer_started(&self, layer: &Layer) {
        if self.style != Style::Bars {
            return;
        }
        let bar = match layer.size {
            Some(size) => {
                let bar = ProgressBar::new(size);
                if let Ok(style) = ProgressStyle::with_template(
                    "{msg} {wide_bar} {bytes}/{total_bytes} {bytes_per_sec}",
                ) {
                    bar.set_style(style);
                }
                bar
            }
            None => ProgressBar::new_spinner(),
        };
        bar.set_message(format!(
            "{} layer {}/{} {}",
            self.verb,
            layer.index + 1,
            self.total,
            short(layer)
        ));
        let bar = self.multi.add(bar);
        if let Ok(mut bars) = self.bars.lock() {
            bars.insert(layer.index, bar);
        }
    }

    fn read(&self, index: usize, bytes: u64) {
        match self.style {
            Style::Bars => {
                if let Some(bar) = self.bars.lock().ok().and_then(|b| b.get(&index).cloned()) {
                    bar.inc(bytes);
                }
            }
            Style::Lines => {
                if let Ok(mut read) = self.read.lock() {
                    *read.entry(index).or_default() += bytes;
                }
            }
        }
    }

    #[allow(clippy::print_stderr)]
    fn layer_finished(&self, layer: &Layer) {
        match self.style {
            Style::Bars => {
                if let Some(bar) = self
                    .bars
                    .lock()
                    .ok()
                    .and_then(|b| b.get(&layer.index).cloned())
                {
                    bar.finish();
                }
            }
            Style::Lines => {
                let bytes = self
                    .read
                    .lock()
                    .ok()
                    .and_then(|r| r.get(&layer.index).copied())
                    .unwrap_or(0);
                eprintln!(
                    "assay: {} layer {}/{} {} done ({})",
                    self.verb,
                    layer.index + 1,
                    self.total,
                    short(layer),
                    indicatif::HumanBytes(bytes)
                );
            }
        }
    }
}

impl Drop for LayerProgress {
    fn drop(&mut self) {
        let _ = self.multi.clear();
    }
}
