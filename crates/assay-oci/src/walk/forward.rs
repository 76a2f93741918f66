//! A forward-only [`Seek`] over a [`BufRead`], for the tar reader: given a seekable input it
//! skips file data by seeking instead of reading it into a scratch buffer (which the tar
//! crate zeroes, 32 KiB per entry), so the data of files nobody asked for is passed over in
//! place, hashed where it lies by the [`crate::verify`] readers below.

use std::io::{self, BufRead, Read, Seek, SeekFrom};

/// Consumes up to `amt` bytes of `input` where they lie in its buffer, without copying them
/// out; returns how many there were before the end. Every skip of the walk goes through
/// here: file data the tar reader passes over, gzip header fields, a blob's tail.
pub(crate) fn skip_in_place(input: &mut impl BufRead, mut amt: u64) -> io::Result<u64> {
    let mut skipped = 0;
    while amt > 0 {
        let available = input.fill_buf()?.len();
        if available == 0 {
            break;
        }
        let n = available.min(usize::try_from(amt).unwrap_or(usize::MAX));
        input.consume(n);
        amt -= n as u64;
        skipped += n as u64;
    }
    Ok(skipped)
}

/// The stream below, with its position; seeks only forward from the current position.
pub(crate) struct Forward<R> {
    inner: R,
    pos: u64,
}

impl<R: BufRead> Forward<R> {
    pub(crate) fn new(inner: R) -> Forward<R> {
        Forward { inner, pos: 0 }
    }

    /// Bytes passed so far, read or skipped.
    pub(crate) fn position(&self) -> u64 {
        self.pos
    }

    /// Skips up to `amt` bytes; returns how many there were before the end.
    fn skip(&mut self, amt: u64) -> io::Result<u64> {
        let skipped = skip_in_place(&mut self.inner, amt)?;
        self.pos += skipped;
        Ok(skipped)
    }

    /// Skips to the end of the stream.
    pub(crate) fn drain(&mut self) -> io::Result<()> {
        self.skip(u64::MAX).map(|_| ())
    }
}

impl<R: BufRead> Read for Forward<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: BufRead> Seek for Forward<R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let amt = match to {
            SeekFrom::Current(delta) => u64::try_from(delta).ok(),
            SeekFrom::Start(at) => at.checked_sub(self.pos),
            SeekFrom::End(_) => None,
        }
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::Unsupported,
                "a layer stream only skips forward",
            )
        })?;
        if self.skip(amt)? < amt {
            // Worded as the tar crate words a short skip, which maps to a truncated layer.
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "unexpected EOF during skip",
            ));
        }
        Ok(self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> Vec<u8> {
        (0..10_000u32).map(|i| (i % 251) as u8).collect()
    }

    #[test]
    fn reads_and_skips_keep_one_position() {
        let bytes = data();
        let mut f = Forward::new(io::BufReader::with_capacity(64, &bytes[..]));
        let mut head = [0u8; 10];
        f.read_exact(&mut head).expect("ten bytes");
        assert_eq!(f.seek(SeekFrom::Current(1000)).expect("forward"), 1010);
        assert_eq!(f.stream_position().expect("stay"), 1010);
        assert_eq!(f.seek(SeekFrom::Start(2000)).expect("forward"), 2000);
        let mut next = [0u8; 3];
        f.read_exact(&mut next).expect("three bytes");
        assert_eq!(&next[..], &bytes[2000..2003]);
        assert_eq!(f.position(), 2003);
    }

    #[test]
    fn a_skip_past_the_end_is_an_unexpected_eof() {
        let bytes = data();
        let mut f = Forward::new(&bytes[..]);
        let err = f.seek(SeekFrom::Current(20_000)).expect_err("past the end");
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        assert_eq!(f.position(), 10_000);
    }

    #[test]
    fn backwards_is_refused() {
        let bytes = data();
        let mut f = Forward::new(&bytes[..]);
        f.seek(SeekFrom::Current(100)).expect("forward");
        for to in [SeekFrom::Current(-1), SeekFrom::Start(50), SeekFrom::End(0)] {
            let err = f.seek(to).expect_err("not forward");
            assert_eq!(err.kind(), io::ErrorKind::Unsupported);
        }
    }
}
