//! Progress of a walk, for whoever draws it: the library only reports (layer started, bytes
//! read, layer finished) through [`Progress`]; the CLI decides whether and how to draw, so
//! libraries stay silent and tests see no output.

use std::fmt;
use std::io::{self, Read};
use std::sync::Arc;

use crate::image::Layer;

/// Receives a walk's progress. Called from worker threads, several layers at once.
pub trait Progress: Send + Sync + fmt::Debug {
    /// A worker starts reading `layer` (its `size` is the compressed size, when known).
    fn layer_started(&self, _layer: &Layer) {}
    /// `bytes` more compressed bytes of the layer at `index` were read (pulled, for a
    /// registry).
    fn read(&self, _index: usize, _bytes: u64) {}
    /// The worker is done with `layer`, successfully or not.
    fn layer_finished(&self, _layer: &Layer) {}
}

/// A blob reader that reports how many bytes went through it.
pub(crate) struct Counting<R> {
    pub(crate) inner: R,
    pub(crate) progress: Arc<dyn Progress>,
    pub(crate) index: usize,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            self.progress.read(self.index, n as u64);
        }
        Ok(n)
    }
}
