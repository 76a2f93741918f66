//! Readers that check what flows through them: a blob's digest and size, and byte limits.
//! They fail inside `read`, so a mismatch stops every consumer at once instead of relying on
//! each caller to remember a final check.

use std::io::{self, Read};

use crate::background_hash::BackgroundHasher;
use crate::digest::{Digest, Hasher};

/// Failures raised inside a reader stack, carried in an [`io::Error`] and turned back into
/// [`crate::Error`] at the crate boundary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StreamError {
    /// The bytes hash to another digest.
    #[error("digest mismatch: expected {expected}, got {actual}")]
    DigestMismatch {
        /// Expected digest.
        expected: Digest,
        /// Actual digest.
        actual: Digest,
    },
    /// More or fewer bytes than the descriptor said.
    #[error("size mismatch: expected {expected} bytes, read {actual}")]
    SizeMismatch {
        /// Expected size.
        expected: u64,
        /// Bytes read.
        actual: u64,
    },
    /// The helper thread hashing the stream stopped before the end.
    #[error("the thread hashing the stream stopped")]
    HashingFailed,
    /// A byte limit was hit.
    #[error("{what} exceeds the limit of {limit}")]
    LimitExceeded {
        /// What grew too large.
        what: String,
        /// The limit.
        limit: u64,
    },
}

impl StreamError {
    pub(crate) fn into_io(self) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, self)
    }
}

/// Hashes everything read and, at end of stream, fails unless the digest (and the size, when
/// known) match. Reading past a known size fails at once, so an endless blob stops early.
#[derive(Debug)]
pub struct VerifyingReader<R> {
    inner: R,
    hasher: Option<StreamHasher>,
    expected: Digest,
    size: Option<u64>,
    read: u64,
    /// A failed check, repeated on every later read so no consumer mistakes it for EOF.
    failed: Option<StreamError>,
}

impl<R: Read> VerifyingReader<R> {
    /// Wraps `inner`, which should hash to `expected` and be `size` bytes long if given.
    pub fn new(inner: R, expected: Digest, size: Option<u64>) -> VerifyingReader<R> {
        let hasher = Some(StreamHasher::Inline(Hasher::new(expected.algorithm())));
        VerifyingReader {
            inner,
            hasher,
            expected,
            size,
            read: 0,
            failed: None,
        }
    }

    /// [`VerifyingReader::new`], hashing on a helper thread: for a reader whose consumer
    /// is itself CPU-bound (inflating a layer), so the two share the cores.
    pub(crate) fn hashing_in_background(
        inner: R,
        expected: Digest,
        size: Option<u64>,
    ) -> VerifyingReader<R> {
        let hasher = BackgroundHasher::new(expected.algorithm());
        VerifyingReader {
            hasher: Some(StreamHasher::Background(hasher)),
            ..VerifyingReader::new(inner, expected, size)
        }
    }

    /// Bytes read so far.
    pub fn bytes_read(&self) -> u64 {
        self.read
    }

    /// Reads what the consumer left unread and checks the digest; decoders and tar readers
    /// stop before the end (gzip trailers, tar padding), so callers must finish explicitly.
    /// Returns the blob's size.
    pub fn finish(&mut self) -> io::Result<u64> {
        io::copy(self, &mut io::sink())?;
        Ok(self.read)
    }

    fn fail(&mut self, error: StreamError) -> io::Error {
        self.hasher = None;
        self.failed = Some(error.clone());
        error.into_io()
    }

    fn check(&mut self) -> io::Result<()> {
        let Some(hasher) = self.hasher.take() else {
            return Ok(());
        };
        if let Some(expected) = self.size
            && expected != self.read
        {
            return Err(self.fail(StreamError::SizeMismatch {
                expected,
                actual: self.read,
            }));
        }
        let Some(actual) = hasher.finish() else {
            return Err(self.fail(StreamError::HashingFailed));
        };
        if actual != self.expected {
            return Err(self.fail(StreamError::DigestMismatch {
                expected: self.expected.clone(),
                actual,
            }));
        }
        Ok(())
    }
}

impl<R: Read> Read for VerifyingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(failed) = &self.failed {
            return Err(failed.clone().into_io());
        }
        if buf.is_empty() || self.hasher.is_none() {
            return Ok(0);
        }
        let n = self.inner.read(buf)?;
        if n == 0 {
            self.check()?;
            return Ok(0);
        }
        self.read += n as u64;
        if let Some(expected) = self.size
            && self.read > expected
        {
            return Err(self.fail(StreamError::SizeMismatch {
                expected,
                actual: self.read,
            }));
        }
        if let Some(h) = self.hasher.as_mut() {
            h.update(buf.get(..n).unwrap_or_default());
        }
        Ok(n)
    }
}

/// Where a [`VerifyingReader`] hashes.
#[derive(Debug)]
enum StreamHasher {
    Inline(Hasher),
    Background(BackgroundHasher),
}

impl StreamHasher {
    fn update(&mut self, bytes: &[u8]) {
        match self {
            StreamHasher::Inline(h) => h.update(bytes),
            StreamHasher::Background(h) => h.update(bytes),
        }
    }

    fn finish(self) -> Option<Digest> {
        match self {
            StreamHasher::Inline(h) => Some(h.finish()),
            StreamHasher::Background(h) => h.finish(),
        }
    }
}

/// Fails once more than `limit` bytes have been read: the guard against decompression bombs.
#[derive(Debug)]
pub struct LimitReader<R> {
    inner: R,
    limit: u64,
    read: u64,
    what: &'static str,
}

impl<R: Read> LimitReader<R> {
    /// Allows at most `limit` bytes of `what` through.
    pub fn new(inner: R, limit: u64, what: &'static str) -> LimitReader<R> {
        LimitReader {
            inner,
            limit,
            read: 0,
            what,
        }
    }

    /// Bytes read so far.
    pub fn bytes_read(&self) -> u64 {
        self.read
    }
}

impl<R: Read> Read for LimitReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read > self.limit {
            return Err(StreamError::LimitExceeded {
                what: self.what.to_string(),
                limit: self.limit,
            }
            .into_io());
        }
        Ok(n)
    }
}
