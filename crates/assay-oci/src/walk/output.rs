//! What a worker hands the calling thread for one layer, and when. Entries and the wanted
//! contents are held until [`HELD_CONTENT`] bytes of content are waiting, then sent on, so a
//! layer of many wanted files (or one file repeated 50,000 times) costs a bounded amount of
//! memory instead of all of its wanted bytes at once. The calling thread merges the current
//! layer's batches as they come; a worker ahead of it waits on its layer's bounded channel.
//!
//! A layer whose content was never sent on can still be read again from scratch (a registry
//! that served bad bytes); once a batch has gone to the analyzers it cannot.
//!
//! Hard links get their target's content from the most recently read [`LINK_CONTENT`] bytes
//! of wanted files, shared rather than copied, whether or not their batch has gone.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::mpsc::SyncSender;

use super::layer::Failure;
use super::{Item, LayerStats, Warning};
use crate::error::Error;

/// Wanted content a worker holds before sending a batch on.
pub(crate) const HELD_CONTENT: u64 = 16 << 20;

/// Wanted content kept for hard links to it after its batch has gone: tar writes a link
/// after its target, usually right after it (`gunzip` and `uncompress` in the same directory).
pub(crate) const LINK_CONTENT: u64 = 64 << 20;

/// Batches in flight per layer: with [`HELD_CONTENT`], what one layer ahead of the merge can
/// hold is about 3 x 16 MiB plus the one file being read (at most `Limits::max_file_read`).
pub(crate) const BATCHES_IN_FLIGHT: usize = 2;

/// A worker's message about one layer.
#[derive(Debug)]
pub(crate) enum Message {
    /// Entries (with contents) read so far, in archive order.
    Items(Vec<Item>),
    /// The end of the layer: the rest of it, or its error; `None` when cancelled.
    Done(Option<Result<LayerOutput, Error>>),
}

/// What a worker has produced for one layer and not sent yet.
#[derive(Debug)]
pub(crate) struct LayerOutput {
    pub(crate) items: Vec<Item>,
    pub(crate) warnings: Vec<Warning>,
    pub(crate) stats: LayerStats,
    /// Path -> the content read for it, so a hard link to it gets the content; the most
    /// recent [`LINK_CONTENT`] bytes, oldest dropped first (`link_order`).
    read_contents: HashMap<String, Arc<Vec<u8>>>,
    link_order: VecDeque<(String, Arc<Vec<u8>>)>,
    link_bytes: u64,
    held: u64,
    sent: bool,
    sink: SyncSender<Message>,
}

impl LayerOutput {
    pub(crate) fn new(sink: SyncSender<Message>) -> LayerOutput {
        LayerOutput {
            items: Vec::new(),
            warnings: Vec::new(),
            stats: LayerStats::default(),
            read_contents: HashMap::new(),
            link_order: VecDeque::new(),
            link_bytes: 0,
            held: 0,
            sent: false,
            sink,
        }
    }

    /// Adds an entry; sends the batch on once enough content is held.
    pub(crate) fn push(&mut self, item: Item) -> Result<(), Failure> {
        if let Some((content, _)) = &item.content {
            self.held += content.len() as u64;
            self.keep_for_links(&item.entry.path, content);
        }
        self.items.push(item);
        if self.held > HELD_CONTENT {
            self.send_batch()?;
        }
        Ok(())
    }

    /// The content read for `path` in this layer, if it is still kept.
    pub(crate) fn content_of(&self, path: &str) -> Option<Arc<Vec<u8>>> {
        self.read_contents.get(path).cloned()
    }

    fn keep_for_links(&mut self, path: &str, content: &Arc<Vec<u8>>) {
        self.read_contents
            .insert(path.to_string(), Arc::clone(content));
        self.link_order
            .push_back((path.to_string(), Arc::clone(content)));
        self.link_bytes += content.len() as u64;
        while self.link_bytes > LINK_CONTENT {
            let Some((old, bytes)) = self.link_order.pop_front() else {
                break;
            };
            self.link_bytes -= bytes.len() as u64;
            // A later entry of the same path replaced it: that one stays.
            if self
                .read_contents
                .get(&old)
                .is_some_and(|kept| Arc::ptr_eq(kept, &bytes))
            {
                self.read_contents.remove(&old);
            }
        }
    }

    /// Whether part of this layer has gone to the analyzers already.
    pub(crate) fn sent_any(&self) -> bool {
        self.sent
    }

    /// A fresh output for reading the layer again.
    pub(crate) fn restart(&self) -> LayerOutput {
        LayerOutput::new(self.sink.clone())
    }

    /// Ends the layer: sends what is left, or the error.
    pub(crate) fn finish(sink: &SyncSender<Message>, result: Option<Result<LayerOutput, Error>>) {
        // The calling thread has stopped listening only after an error, which it reports.
        let _ = sink.send(Message::Done(result));
    }

    fn send_batch(&mut self) -> Result<(), Failure> {
        let batch = std::mem::take(&mut self.items);
        self.held = 0;
        self.sent = true;
        self.sink
            .send(Message::Items(batch))
            .map_err(|_| Failure::Cancelled)
    }
}
