//! Splits one layer's work over threads joined by bounded pipes. A layer walk chains two:
//! one thread fetches the blob and hashes the compressed bytes, the next inflates, and the
//! walking thread hashes the uncompressed tar for the diff_id and parses it. A single gzip
//! member cannot be inflated in parallel, so the inflating thread is the critical path and
//! does nothing else: no reads from the file or socket, no digest, no copy of its input.
//!
//! Written here rather than taken from a crate: what is needed is a bounded, buffer-recycling
//! [`BufRead`] over a channel whose errors keep their [`io::Error`] payload (the digest
//! checks of [`crate::verify`] travel inside it), which `std::sync::mpsc` gives in a few lines.

use std::io::{self, BufRead, Read};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, sync_channel};

use super::forward::skip_in_place;
use crate::error::find_stream_error;
use crate::verify::StreamError;

/// Bytes the producer reads per chunk.
const CHUNK: usize = 256 << 10;
/// Chunks in flight between the threads: bounds the memory per layer to about 2 MiB.
const DEPTH: usize = 8;

/// Runs `consume` over what `produce` yields, with `produce` read on its own scoped thread.
/// The consumer sees the producer's errors (digest mismatches included) as read errors; if
/// the consumer stops early, the producer stops at its next chunk.
pub(crate) fn run<P, T>(produce: P, consume: impl FnOnce(&mut PipeReader) -> T) -> T
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
                delivered: 0,
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
        let (n, error) = fill(&mut input, &mut buf);
        if n > 0 && full.send(Ok((buf, n))).is_err() {
            return;
        }
        if let Some(e) = error {
            let _ = full.send(Err(e));
            return;
        }
        if n < CHUNK {
            // An explicit end, so the consumer can tell it from a producer that died.
            let _ = full.send(Ok((Vec::new(), 0)));
            return;
        }
    }
}

/// Reads until `buf` is full, the input ends or fails: a socket yields a few KiB per read,
/// and a message per read would cost the receiving thread a wake-up each. Returns the bytes
/// read and the error that stopped it, if one did.
fn fill(input: &mut impl Read, buf: &mut [u8]) -> (usize, Option<io::Error>) {
    let mut n = 0;
    while let Some(rest) = buf.get_mut(n..).filter(|rest| !rest.is_empty()) {
        match input.read(rest) {
            Ok(0) => break,
            Ok(read) => n += read,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return (n, Some(e)),
        }
    }
    (n, None)
}

/// The consumer's end: a [`BufRead`] over the producer's chunks, so a decoder or the tar
/// reader above it works on the chunk in place instead of on a copy.
pub(crate) struct PipeReader {
    full: Receiver<io::Result<Chunk>>,
    empty: SyncSender<Vec<u8>>,
    current: Vec<u8>,
    /// Bytes of `current` that are data.
    len: usize,
    pos: usize,
    /// Bytes handed to the consumer so far.
    delivered: u64,
    /// How the stream ended, once it has.
    end: Option<End>,
}

/// How a [`PipeReader`]'s stream ended.
enum End {
    /// Every byte was delivered.
    Complete,
    /// An error was delivered; later reads fail too, so nobody mistakes it for the end. A
    /// digest or size check that failed is repeated as itself, so whoever drains the stream
    /// after a decoding error still learns that the bytes were wrong.
    Failed(Option<StreamError>),
}

impl PipeReader {
    /// Bytes the consumer has taken so far.
    pub(crate) fn delivered(&self) -> u64 {
        self.delivered
    }

    /// Reads to the end of the stream, discarding the bytes: what follows a decoder's end
    /// (a gzip trailer, padding) still counts towards the producer's digest check.
    pub(crate) fn drain(&mut self) -> io::Result<()> {
        skip_in_place(self, u64::MAX).map(|_| ())
    }
}

impl BufRead for PipeReader {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.pos >= self.len {
            match &self.end {
                Some(End::Complete) => return Ok(&[]),
                Some(End::Failed(Some(check))) => return Err(check.clone().into_io()),
                Some(End::Failed(None)) => {
                    return Err(io::Error::other("the layer stream failed earlier"));
                }
                None => {}
            }
            match self.full.recv() {
                Ok(Ok((_, 0))) => self.end = Some(End::Complete),
                Ok(Ok((next, len))) => {
                    let used = std::mem::replace(&mut self.current, next);
                    self.len = len;
                    self.pos = 0;
                    // Hand the spent buffer back; if the producer is gone it is dropped.
                    let _ = self.empty.try_send(used);
                }
                Ok(Err(e)) => {
                    self.end = Some(End::Failed(find_stream_error(&e).cloned()));
                    return Err(e);
                }
                // The producer went away without saying the stream ended.
                Err(_) => {
                    self.end = Some(End::Failed(None));
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the producing thread stopped before the end of the layer",
                    ));
                }
            }
        }
        Ok(self.current.get(self.pos..self.len).unwrap_or_default())
    }

    fn consume(&mut self, amt: usize) {
        let amt = amt.min(self.len.saturating_sub(self.pos));
        self.pos += amt;
        self.delivered += amt as u64;
    }
}

impl Read for PipeReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf.get_mut(..n)
            .unwrap_or_default()
            .copy_from_slice(available.get(..n).unwrap_or_default());
        self.consume(n);
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

    impl Source {
        fn new(data: Vec<u8>, error: Option<io::ErrorKind>) -> Source {
            Source {
                data,
                pos: 0,
                error,
            }
        }
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
        let source = Source::new(bytes.clone(), None);
        let got = run(source, |r| {
            let mut out = Vec::new();
            r.read_to_end(&mut out).map(|_| out)
        });
        assert_eq!(got.expect("every byte"), bytes);
    }

    #[test]
    fn a_producer_error_reaches_the_consumer_after_the_bytes_before_it() {
        let source = Source::new(data(1000), Some(io::ErrorKind::InvalidData));
        let (read, err) = run(source, |r| {
            let mut out = Vec::new();
            let err = r.read_to_end(&mut out).expect_err("the producer failed");
            (out.len(), err.kind())
        });
        assert_eq!((read, err), (1000, io::ErrorKind::InvalidData));
    }

    #[test]
    fn a_failed_digest_check_is_repeated_to_whoever_drains_after_it() {
        let bytes = data(2 * CHUNK + 5);
        let wrong = crate::digest::Digest::sha256_of(b"something else");
        let source = crate::verify::VerifyingReader::new(&bytes[..], wrong, None);
        let (first, again, delivered) = run(source, |r| {
            let first = r.drain().expect_err("the digest does not match");
            let again = r.drain().expect_err("still failed");
            (first, again, r.delivered())
        });
        for e in [&first, &again] {
            assert!(crate::error::is_mismatch(e), "{e}");
        }
        assert_eq!(delivered, bytes.len() as u64);
    }

    #[test]
    fn chunks_are_filled_from_short_reads() {
        // The source yields 7919 bytes per read; the consumer sees whole chunks.
        let source = Source::new(data(3 * CHUNK), None);
        let sizes = run(source, |r| {
            let mut sizes = Vec::new();
            loop {
                let n = r.fill_buf().expect("data").len();
                if n == 0 {
                    return sizes;
                }
                sizes.push(n);
                r.consume(n);
            }
        });
        assert_eq!(sizes, vec![CHUNK; 3]);
    }

    #[test]
    fn a_consumer_that_stops_early_does_not_hang_the_producer() {
        // Far more than the channel holds: the producer must notice the consumer left.
        let source = Source::new(data(40 * CHUNK), None);
        let first = run(source, |r| {
            let mut one = [0u8; 10];
            r.read_exact(&mut one).map(|()| one)
        });
        assert_eq!(first.expect("ten bytes").to_vec(), data(10));
    }
}
