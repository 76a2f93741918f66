//! Hashing on a helper thread, for the layer walk: there the reading thread is busy
//! inflating, and the compressed blob's SHA-256 (a tenth of its work on a gzip layer) is
//! better done by the other core. The bytes are copied into recycled buffers and hashed in
//! order; `finish` waits for the last of them.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use crate::digest::{Algorithm, Digest, Hasher};

/// Buffers in flight: bounds the memory to a few read sizes.
const DEPTH: usize = 8;

/// A [`Hasher`] running on its own thread.
#[derive(Debug)]
pub(crate) struct BackgroundHasher {
    full: Option<SyncSender<Vec<u8>>>,
    empty: Receiver<Vec<u8>>,
    thread: Option<JoinHandle<Digest>>,
    /// Set when the thread could not be started: hash inline instead.
    inline: Option<Hasher>,
}

impl BackgroundHasher {
    pub(crate) fn new(algorithm: Algorithm) -> BackgroundHasher {
        let (full_tx, full_rx) = sync_channel::<Vec<u8>>(DEPTH);
        let (empty_tx, empty_rx) = sync_channel::<Vec<u8>>(DEPTH + 1);
        let spawned = std::thread::Builder::new()
            .name("assay-hash".into())
            .spawn(move || {
                let mut hasher = Hasher::new(algorithm);
                for buf in full_rx {
                    hasher.update(&buf);
                    let _ = empty_tx.try_send(buf);
                }
                hasher.finish()
            });
        match spawned {
            Ok(thread) => BackgroundHasher {
                full: Some(full_tx),
                empty: empty_rx,
                thread: Some(thread),
                inline: None,
            },
            Err(_) => BackgroundHasher {
                full: None,
                empty: empty_rx,
                thread: None,
                inline: Some(Hasher::new(algorithm)),
            },
        }
    }

    pub(crate) fn update(&mut self, bytes: &[u8]) {
        if let Some(inline) = self.inline.as_mut() {
            inline.update(bytes);
            return;
        }
        let mut buf = self.empty.try_recv().unwrap_or_default();
        buf.clear();
        buf.extend_from_slice(bytes);
        if let Some(full) = &self.full {
            // Fails only if the thread is gone, which `finish` then reports.
            let _ = full.send(buf);
        }
    }

    /// The digest of everything passed to `update`; `None` if the helper thread died.
    pub(crate) fn finish(mut self) -> Option<Digest> {
        if let Some(inline) = self.inline.take() {
            return Some(inline.finish());
        }
        drop(self.full.take());
        self.thread.take().and_then(|thread| thread.join().ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gives_the_same_digest_as_hashing_inline() {
        let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 253) as u8).collect();
        let mut background = BackgroundHasher::new(Algorithm::Sha256);
        let mut inline = Hasher::new(Algorithm::Sha256);
        for chunk in data.chunks(65_537) {
            background.update(chunk);
            inline.update(chunk);
        }
        assert_eq!(background.finish(), Some(inline.finish()));
    }
}
