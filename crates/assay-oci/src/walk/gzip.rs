//! Gzip members (RFC 1952) inflated without their CRC-32.
//!
//! flate2's `GzDecoder` always computes the CRC-32 of what it inflates; on a layer that is
//! 8% of the inflating thread, which is the walk's critical path (one gzip member cannot be
//! inflated in parallel). A layer's CRC adds nothing here: its compressed bytes are checked
//! against the blob's SHA-256 from the manifest before anything is trusted, and the inflated
//! bytes against the diff_id's. So this reads the member framing itself and hands the
//! deflate data to flate2's raw [`Decompress`] (the same zlib-rs inflate). The trailer's
//! ISIZE, which costs nothing, is still checked. Like flate2's `MultiGzDecoder`, members
//! follow each other to the end of the stream and anything else after one is an error.

use std::io::{self, BufRead, Read};

use flate2::{Decompress, FlushDecompress, Status};

use super::forward::skip_in_place;

/// The gzip magic bytes and the one compression method (deflate).
const MAGIC: [u8; 3] = [0x1f, 0x8b, 8];
const FHCRC: u8 = 1 << 1;
const FEXTRA: u8 = 1 << 2;
const FNAME: u8 = 1 << 3;
const FCOMMENT: u8 = 1 << 4;
/// Flag bits RFC 1952 reserves; a member using them is not one we can read.
const RESERVED: u8 = 0xe0;

/// Inflates the gzip members of `inner`, one after the other.
pub(crate) struct GzipMembers<R> {
    inner: R,
    inflate: Decompress,
    state: State,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// A member header is next.
    Header,
    /// Inside a member's deflate data.
    Body,
    /// The last member ended with the stream.
    Done,
}

impl<R: BufRead> GzipMembers<R> {
    pub(crate) fn new(inner: R) -> GzipMembers<R> {
        GzipMembers {
            inner,
            inflate: Decompress::new(false),
            state: State::Header,
        }
    }

    /// Reads one member header, leaving the stream at its deflate data.
    fn header(&mut self) -> io::Result<()> {
        // What follows a member is either another one or not gzip at all; tell the two
        // apart by the bytes at hand before asking for a whole header.
        let head = self.inner.fill_buf()?;
        if !MAGIC.starts_with(head.get(..head.len().min(3)).unwrap_or_default()) {
            return Err(invalid("invalid gzip header"));
        }
        let mut fixed = [0u8; 10];
        self.inner.read_exact(&mut fixed)?;
        if fixed.get(..3) != Some(&MAGIC[..]) {
            return Err(invalid("invalid gzip header"));
        }
        let flags = fixed.get(3).copied().unwrap_or(0);
        if flags & RESERVED != 0 {
            return Err(invalid("gzip header with reserved flags set"));
        }
        if flags & FEXTRA != 0 {
            let mut len = [0u8; 2];
            self.inner.read_exact(&mut len)?;
            self.skip(u64::from(u16::from_le_bytes(len)))?;
        }
        if flags & FNAME != 0 {
            self.skip_zero_terminated()?;
        }
        if flags & FCOMMENT != 0 {
            self.skip_zero_terminated()?;
        }
        if flags & FHCRC != 0 {
            self.skip(2)?;
        }
        self.inflate.reset(false);
        Ok(())
    }

    /// Checks a member's trailer (the CRC-32 is skipped, see the module's documentation),
    /// then looks for another member.
    fn trailer(&mut self) -> io::Result<()> {
        let mut trailer = [0u8; 8];
        self.inner.read_exact(&mut trailer)?;
        let isize = trailer
            .get(4..8)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map_or(0, u32::from_le_bytes);
        // ISIZE is the member's length modulo 2^32; the truncation is the format's.
        if isize != self.inflate.total_out() as u32 {
            return Err(invalid("gzip member length does not match its trailer"));
        }
        self.state = if self.inner.fill_buf()?.is_empty() {
            State::Done
        } else {
            State::Header
        };
        Ok(())
    }

    fn skip(&mut self, amt: u64) -> io::Result<()> {
        if skip_in_place(&mut self.inner, amt)? < amt {
            return Err(truncated());
        }
        Ok(())
    }

    /// Skips a name or comment without keeping it: a hostile header may make it endless.
    fn skip_zero_terminated(&mut self) -> io::Result<()> {
        loop {
            let buf = self.inner.fill_buf()?;
            if buf.is_empty() {
                return Err(truncated());
            }
            match buf.iter().position(|&b| b == 0) {
                Some(end) => {
                    self.inner.consume(end + 1);
                    return Ok(());
                }
                None => {
                    let n = buf.len();
                    self.inner.consume(n);
                }
            }
        }
    }
}

impl<R: BufRead> Read for GzipMembers<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            match self.state {
                State::Done => return Ok(0),
                State::Header => {
                    self.header()?;
                    self.state = State::Body;
                }
                State::Body => {
                    let input = self.inner.fill_buf()?;
                    if input.is_empty() {
                        return Err(truncated());
                    }
                    let (in_before, out_before) =
                        (self.inflate.total_in(), self.inflate.total_out());
                    let status = self
                        .inflate
                        .decompress(input, out, FlushDecompress::None)
                        .map_err(|e| invalid(&format!("corrupt deflate stream: {e}")))?;
                    let consumed = self.inflate.total_in() - in_before;
                    let produced = self.inflate.total_out() - out_before;
                    self.inner
                        .consume(usize::try_from(consumed).unwrap_or(usize::MAX));
                    if status == Status::StreamEnd {
                        self.trailer()?;
                    }
                    if produced > 0 {
                        return Ok(usize::try_from(produced).unwrap_or(0));
                    }
                }
            }
        }
    }
}

fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.to_string())
}

fn truncated() -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, "gzip stream ends early")
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::GzEncoder;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).expect("in memory");
        e.finish().expect("in memory")
    }

    fn data(len: usize, seed: usize) -> Vec<u8> {
        (0..len).map(|i| ((i * 7 + seed) % 97) as u8).collect()
    }

    fn inflate(bytes: &[u8]) -> io::Result<Vec<u8>> {
        // A tiny buffer, so members and headers straddle refills.
        let mut out = Vec::new();
        GzipMembers::new(io::BufReader::with_capacity(7, bytes)).read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn members_are_inflated_in_order() {
        let (a, b) = (data(100_000, 1), data(3, 2));
        let mut both = gzip(&a);
        both.extend(gzip(&b));
        let mut want = a.clone();
        want.extend(&b);
        assert_eq!(inflate(&both).expect("two members"), want);
        assert_eq!(
            inflate(&gzip(&[])).expect("an empty member"),
            Vec::<u8>::new()
        );
    }

    #[test]
    fn optional_header_fields_are_skipped() {
        let body = data(5000, 3);
        let mut e = flate2::GzBuilder::new()
            .filename("layer.tar")
            .comment("a comment")
            .extra(vec![1, 2, 3, 4])
            .write(Vec::new(), Compression::fast());
        e.write_all(&body).expect("in memory");
        let bytes = e.finish().expect("in memory");
        assert_eq!(inflate(&bytes).expect("with fields"), body);
    }

    #[test]
    fn a_header_crc_is_skipped() {
        let body = data(50, 4);
        let mut bytes = gzip(&body);
        // Set FHCRC and insert two (unchecked) header CRC bytes after the fixed header.
        bytes[3] |= FHCRC;
        bytes.splice(10..10, [0xab, 0xcd]);
        assert_eq!(inflate(&bytes).expect("with a header crc"), body);
    }

    #[test]
    fn truncation_anywhere_is_an_unexpected_eof() {
        let bytes = gzip(&data(20_000, 5));
        for cut in [
            0,
            5,
            10,
            30,
            bytes.len() / 2,
            bytes.len() - 4,
            bytes.len() - 1,
        ] {
            let err = inflate(&bytes[..cut]).expect_err("truncated");
            assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "cut at {cut}");
        }
    }

    #[test]
    fn garbage_after_a_member_and_corrupt_data_are_invalid() {
        let mut bytes = gzip(&data(1000, 6));
        bytes.extend(b"not gzip");
        let err = inflate(&bytes).expect_err("trailing garbage");
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);

        let mut bytes = gzip(&data(1000, 6));
        let len = bytes.len();
        bytes[len - 1] ^= 0xff; // ISIZE
        let err = inflate(&bytes).expect_err("wrong length");
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);

        let mut bytes = gzip(&data(1000, 6));
        bytes[10] = 0xff; // reserved block type
        let err = inflate(&bytes).expect_err("corrupt deflate");
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    }
}
