//! Readers that check what flows through them: a blob's digest and size, and byte limits.
//! They fail inside `read`, so a mismatch stops every consumer at once instead of relying on
//! each caller to remember a final check.

use std::io::{self, BufRead, Read};

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
    /// `None` once the check has run (or failed).
    hasher: Option<Hasher>,
    expected: Digest,
    size: Option<u64>,
    read: u64,
    /// A failed check, repeated on every later read so no consumer mistakes it for EOF.
    failed: Option<StreamError>,
}

impl<R: Read> VerifyingReader<R> {
    /// Wraps `inner`, which should hash to `expected` and be `size` bytes long if given.
    pub fn new(inner: R, expected: Digest, size: Option<u64>) -> VerifyingReader<R> {
        let hasher = Some(Hasher::new(expected.algorithm()));
        VerifyingReader {
            inner,
            hasher,
            expected,
            size,
            read: 0,
            failed: None,
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
        let actual = hasher.finish();
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

/// In place, for a consumer that skips more than it reads (the tar walk passes over file
/// data): the bytes are hashed where they lie in the inner buffer, not copied out first.
impl<R: BufRead> BufRead for VerifyingReader<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if let Some(failed) = &self.failed {
            return Err(failed.clone().into_io());
        }
        if let Some(expected) = self.size
            && self.read > expected
        {
            return Err(self.fail(StreamError::SizeMismatch {
                expected,
                actual: self.read,
            }));
        }
        if self.hasher.is_none() {
            return Ok(&[]);
        }
        if self.inner.fill_buf()?.is_empty() {
            self.check()?;
            return Ok(&[]);
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        // The bytes being consumed are still in the inner buffer: `fill_buf` hands them out
        // again without reading.
        if let (Some(hasher), Ok(buf)) = (self.hasher.as_mut(), self.inner.fill_buf()) {
            let taken = buf.get(..amt).unwrap_or(buf);
            hasher.update(taken);
            self.read += taken.len() as u64;
        }
        self.inner.consume(amt);
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

/// In place, like [`VerifyingReader`]'s: the limit is checked on the next `fill_buf`, so a
/// consumer skipping through a bomb stops one buffer past the limit.
impl<R: BufRead> BufRead for LimitReader<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.read > self.limit {
            return Err(StreamError::LimitExceeded {
                what: self.what.to_string(),
                limit: self.limit,
            }
            .into_io());
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        self.read += amt as u64;
        self.inner.consume(amt);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufReader;

    fn data() -> Vec<u8> {
        (0..50_000u32).map(|i| (i % 253) as u8).collect()
    }

    /// Skips `amt` bytes in place, as the tar walk does through its forward seek.
    fn skip(r: &mut impl BufRead, amt: u64) -> io::Result<()> {
        crate::walk::forward::skip_in_place(r, amt).map(|_| ())
    }

    /// Reads 1000 bytes, skips 20,000 in place, reads the rest.
    fn read_skip_read(r: &mut impl BufRead) -> io::Result<usize> {
        let mut head = vec![0u8; 1000];
        r.read_exact(&mut head)?;
        skip(r, 20_000)?;
        let mut rest = Vec::new();
        r.read_to_end(&mut rest)?;
        Ok(head.len() + rest.len())
    }

    #[test]
    fn bytes_read_and_bytes_skipped_in_place_are_each_hashed_once() {
        let bytes = data();
        let size = Some(bytes.len() as u64);
        let inner = BufReader::with_capacity(777, &bytes[..]);
        let mut right = VerifyingReader::new(inner, Digest::sha256_of(&bytes), size);
        assert_eq!(
            read_skip_read(&mut right).expect("matches"),
            bytes.len() - 20_000
        );
        assert_eq!(right.bytes_read(), bytes.len() as u64);

        let inner = BufReader::with_capacity(777, &bytes[..]);
        let mut wrong = VerifyingReader::new(inner, Digest::sha256_of(b"other"), size);
        let err = read_skip_read(&mut wrong).expect_err("does not match");
        assert!(crate::error::is_mismatch(&err), "{err}");
        // Repeated, so nobody mistakes the failure for the end of the stream.
        assert!(wrong.fill_buf().is_err());
    }

    #[test]
    fn skipping_in_place_stops_one_buffer_past_the_limit() {
        let bytes = data();
        let mut limited = LimitReader::new(BufReader::with_capacity(1000, &bytes[..]), 10_000, "t");
        let err = skip(&mut limited, u64::MAX).expect_err("over the limit");
        assert!(err.to_string().contains("exceeds the limit"), "{err}");
        assert!(limited.bytes_read() <= 11_000, "{}", limited.bytes_read());
    }
}
