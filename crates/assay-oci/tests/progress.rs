//! Walk progress: every layer reports its start, every compressed byte and its end, from the
//! worker threads, without the library drawing anything.
#![allow(clippy::unwrap_used)]

mod support;

use std::sync::{Arc, Mutex};

use assay_oci::testing::{ImageSpec, LayerSpec};
use assay_oci::{Layer, Progress, WalkOptions};
use support::walk_image_with;

#[derive(Debug, Default)]
struct Recorded {
    started: Vec<usize>,
    finished: Vec<usize>,
    bytes: Vec<u64>,
}

#[derive(Debug, Default)]
struct Recorder(Mutex<Recorded>);

impl Progress for Recorder {
    fn layer_started(&self, layer: &Layer) {
        self.0.lock().unwrap().started.push(layer.index);
    }
    fn read(&self, index: usize, bytes: u64) {
        let mut r = self.0.lock().unwrap();
        if r.bytes.len() <= index {
            r.bytes.resize(index + 1, 0);
        }
        r.bytes[index] += bytes;
    }
    fn layer_finished(&self, layer: &Layer) {
        self.0.lock().unwrap().finished.push(layer.index);
    }
}

#[test]
fn reports_each_layer_and_its_compressed_bytes() {
    let image = ImageSpec::new()
        .layer(LayerSpec::new().file("a", "x".repeat(50_000)))
        .layer(LayerSpec::new().file("b", "y"))
        .layer(LayerSpec::new().file("c", "z"));
    let recorder = Arc::new(Recorder::default());
    let options = WalkOptions {
        progress: Some(recorder.clone()),
        ..WalkOptions::default()
    };
    let (walk, _) = walk_image_with(image, &[], &options);
    let walk = walk.unwrap();
    let recorded = recorder.0.lock().unwrap();
    let mut started = recorded.started.clone();
    started.sort_unstable();
    let mut finished = recorded.finished.clone();
    finished.sort_unstable();
    assert_eq!(started, [0, 1, 2]);
    assert_eq!(finished, [0, 1, 2]);
    let compressed: Vec<u64> = walk.stats.iter().map(|s| s.compressed).collect();
    assert_eq!(recorded.bytes, compressed);
}
