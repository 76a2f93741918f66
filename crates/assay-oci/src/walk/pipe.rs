//! Splits one layer's work over two threads: a producer reads the blob (hashing the
//! compressed bytes) and inflates it, while the consumer hashes the uncompressed tar for the
//! diff_id and parses it. A single gzip member cannot be inflated in parallel, so without
//! this a one-layer image keeps one core busy with inflate *and* both SHA-256 passes and the
//! tar parse; with it the wall time is about the inflate alone.
//!
//! Written here rather than taken from a crate: what is needed is a bounded, buffer-recycling
//! `Read` over a channel whose errors keep their [`io::Error`] payload (the digest checks of
//! [`crate::verify`] travel inside it), which `std::sync::mpsc` gives in a few lines.

use std::io::{self, Read};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, sync_channel};

/// Bytes the producer reads per chunk.
const CHUNK: usize = 256 << 10;
/// Chunks in flight between the threads: bounds the memory per layer to about 2 MiB.
const DEPTH: usize = 8;

/// Runs `consume` over what `produce` yields, with `produce` read on its own scoped thread.
/// The consumer sees the producer's errors (digest mismatches included) as read errors; if
/// the consumer stops early, the producer stops at its next chunk.
pub(crate) fn run<P, T>(produce: P, consume: impl FnOnce(&mut dyn Read) -> T) -> T
where
    P: Read + Send,
{
    std::thread::scope(|scope| {
        let (full_tx, full_rx) = sync_channel(DEPTH);
        let (empty_tx, empty_rx) = sync_channel(DEPTH + 1);
        let producer = scope.spawn(move || pump(produce, &full_tx, &empty_rx));
        let result = {
            let mut reader = PipeReader {
                full: full_rx,
                empty: empty_tx,
                current: Vec::new(),
                len: 0,
                pos: 0,
                end: None,
            };
            consume(&mut reader)
            // The reader, and with it the receiving end, drops here, so a producer still
            // blocked on a full channel wakes up and stops.
        };
        // The producer never panics on input (decoders return errors); should it panic
        // anyway, the consumer saw the stream close without its end marker, an error.
        let _ = producer.join();
        result
    })
}

/// A chunk: a buffer of [`CHUNK`] bytes (kept at that length, so recycling it costs no
/// zeroing) and how many of them are data.
type Chunk = (Vec<u8>, usize);

/// Reads chunks from `input` until it ends, fails or nobody listens.
fn pump(mut input: impl Read, full: &SyncSender<io::Result<Chunk>>, empty: &Receiver<Vec<u8>>) {
    loop {
        let mut buf = match empty.try_recv() {
            Ok(buf) if buf.len() == CHUNK => buf,
            Ok(_) | Err(TryRecvError::Empty | TryRecvError::Disconnected) => vec![0; CHUNK],
        };
        let message = match read_some(&mut input, &mut buf) {
            Ok(0) => {
                // An explicit end, so the consumer can tell it from a producer that died.
                let _ = full.send(Ok((Vec::new(), 0)));
                return;
            }
            Ok(n) => Ok((buf, n)),
            Err(e) => Err(e),
        };
        let failed = message.is_err();
        if full.send(message).is_err() || failed {
            return;
        }
    }
}

/// One `read`, retried on `Interrupted`.
fn read_some(input: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match input.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// The consumer's end: a `Read` over the producer's chunks.
struct PipeReader {
    full: Receiver<io::Result<Chunk>>,
    empty: SyncSender<Vec<u8>>,
    current: Vec<u8>,
    /// Bytes of `current` that are data.
    len: usize,
    pos: usize,
    /// How the stream ended, once it has.
    end: Option<End>,
}

/// How a [`PipeReader`]'s stream ended.
#[derive(Clone, Copy)]
enum End {
    /// Every byte was delivered.
    Complete,
    /// An error was delivered; later reads fail too, so nobody mistakes it for the end.
    Failed,
}

impl Read for PipeReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos >= self.len {
            match self.end {
                Some(End::Complete) => return Ok(0),
                Some(End::Failed) => {
                    return Err(io::Error::other("the layer stream failed earlier"));
                }
                None => {}
            }
            match self.full.recv() {
                Ok(Ok((_, 0))) => {
                    self.end = Some(End::Complete);
                    return Ok(0);
                }
                Ok(Ok((next, len))) => {
                    let used = std::mem::replace(&mut self.current, next);
                    self.len = len;
                    self.pos = 0;
                    // Hand the spent buffer back; if the producer is gone it is dropped.
                    let _ = self.empty.try_send(used);
                }
                Ok(Err(e)) => {
                    self.end = Some(End::Failed);
                    return Err(e);
                }
                // The producer went away without saying the stream ended.
                Err(_) => {
                    self.end = Some(End::Failed);
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the inflating thread stopped before the end of the layer",
                    ));
                }
            }
        }
        let available = self.current.get(self.pos..self.len).unwrap_or_default();
        let n = available.len().min(buf.len());
        buf.get_mut(..n)
            .unwrap_or_default()
            .copy_from_slice(available.get(..n).unwrap_or_default());
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Yields `data` in odd-sized reads, then fails with `error` if one is given.
    struct Source {
        data: Vec<u8>,
        pos: usize,
        error: Option<io::ErrorKind>,
    }

    impl Read for Source {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.pos == self.data.len() {
                return match self.error.take() {
                    Some(kind) => Err(io::Error::new(kind, "boom")),
                    None => Ok(0),
                };
            }
            let n = buf.len().min(7919).min(self.data.len() - self.pos);
            buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
            self.pos += n;
            Ok(n)
        }
    }

    fn data(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 31 % 251) as u8).collect()
    }

    #[test]
    fn the_consumer_reads_every_byte_in_order() {
        let bytes = data(3 * CHUNK + 12345);
        let source = Source {
            data: bytes.clone(),
            pos: 0,
            error: None,
        };
        let got = run(source, |r| {
            let mut out = Vec::new();
            r.read_to_end(&mut out).map(|_| out)
        });
        assert_eq!(got.expect("every byte"), bytes);
    }

    #[test]
    fn a_producer_error_reaches_the_consumer_after_the_bytes_before_it() {
        let source = Source {
            data: data(1000),
            pos: 0,
            error: Some(io::ErrorKind::InvalidData),
        };
        let (read, err) = run(source, |r| {
            let mut out = Vec::new();
            let err = r.read_to_end(&mut out).expect_err("the producer failed");
            (out.len(), err.kind())
        });
        assert_eq!((read, err), (1000, io::ErrorKind::InvalidData));
    }

    #[test]
    fn a_consumer_that_stops_early_does_not_hang_the_producer() {
        // Far more than the channel holds: the producer must notice the consumer left.
        let source = Source {
            data: data(40 * CHUNK),
            pos: 0,
            error: None,
        };
        let first = run(source, |r| {
            let mut one = [0u8; 10];
            r.read_exact(&mut one).map(|()| one)
        });
        assert_eq!(first.expect("ten bytes").to_vec(), data(10));
    }
}
