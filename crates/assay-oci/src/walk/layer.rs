//! One layer from blob to entries: verify the blob's digest, sniff and undo its compression,
//! cap the uncompressed size, check the diff_id, and hand the tar to [`super::tar`].

use std::io::{self, BufRead, Read};
use std::sync::mpsc::SyncSender;

use super::forward::Forward;
use super::gzip::GzipMembers;
use super::output::{LayerOutput, Message};
use super::pipe::{self, PipeReader};
use super::{LayerContext, WarningKind, dir, tar};
use crate::digest::Digest;
use crate::error::{Error, is_mismatch};
use crate::media_type::{self, Compression};
use crate::source::{BlobReader, ImageSource};
use crate::verify::{LimitReader, VerifyingReader};

/// Why reading a layer stopped.
#[derive(Debug)]
pub(crate) enum Failure {
    /// An earlier layer failed; this one's result is not needed.
    Cancelled,
    /// This layer is bad.
    Error(Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure::Error(e)
    }
}

/// Times a layer whose bytes did not match its digest is read again from a source that
/// [refetches](ImageSource::refetches), before the mismatch is the error.
pub(crate) const LAYER_REFETCHES: u32 = 2;

/// Reads one layer on a worker thread, sending its entries to `sink` as it goes; returns
/// the rest, `None` when cancelled.
pub(crate) fn read(
    source: &dyn ImageSource,
    ctx: &LayerContext<'_>,
    sink: &SyncSender<Message>,
) -> Option<Result<LayerOutput, Error>> {
    let mut out = LayerOutput::new(sink.clone());
    let progress = ctx.options.progress.as_ref();
    if let Some(p) = progress {
        p.layer_started(ctx.layer);
    }
    let mut refetched = 0;
    let result = loop {
        let result = match source.layer_dir(ctx.layer) {
            Some(dir) => dir::read(dir, ctx, &mut out),
            None => read_blob(source, ctx, &mut out),
        };
        if refetched < LAYER_REFETCHES
            && source.refetches()
            && !out.sent_any()
            && matches!(&result, Err(Failure::Error(e)) if is_blob_mismatch(e, ctx))
        {
            // Everything read from the bad copy is dropped with its output (none of it has
            // reached the analyzers).
            refetched += 1;
            out = out.restart();
            continue;
        }
        break result;
    };
    if let Some(p) = progress {
        p.layer_finished(ctx.layer);
    }
    match result {
        Ok(()) => Some(Ok(out)),
        Err(Failure::Cancelled) => None,
        Err(Failure::Error(e)) => Some(Err(e)),
    }
}

/// The largest zstd window the decoder accepts (its default, `ZSTD_WINDOWLOG_LIMIT_DEFAULT`).
const ZSTD_MAX_WINDOW: u64 = 1 << 27;

/// How errors about the layer's blob name it (`layer sha256:…`), which is also how
/// [`is_blob_mismatch`] tells a blob's size mismatch from others.
fn blob_name(ctx: &LayerContext<'_>) -> String {
    format!("layer {}", ctx.layer.digest)
}

/// Whether `error` says the layer's compressed bytes were not the ones its digest names
/// (not a wrong diff_id, which no second read can fix: the config is wrong).
fn is_blob_mismatch(error: &Error, ctx: &LayerContext<'_>) -> bool {
    match error {
        Error::DigestMismatch { expected, .. } => *expected == ctx.layer.digest,
        Error::SizeMismatch { what, .. } => *what == blob_name(ctx),
        _ => false,
    }
}

/// Turns an error from the uncompressed side into a typed one: end of data too early is a
/// truncated layer, anything else a corrupt one, unless a check inside the stack fired.
pub(crate) fn stream_error(e: io::Error, ctx: &LayerContext<'_>) -> Failure {
    let layer = &ctx.layer.digest;
    let what = format!("uncompressed content of layer {layer}");
    Failure::Error(Error::from_stream(e, &what, Some(layer), |source| {
        let message = source.to_string();
        // The tar crate reports a short archive as plain errors with these texts.
        let short =
            message.contains("unexpected EOF") || message.contains("failed to read entire block");
        // zstd refuses frames whose window is over its default maximum (2^27 bytes): the
        // memory bound for zstd layers, reported as one rather than as corruption.
        if message.contains("Frame requires too much memory") {
            return Error::LimitExceeded {
                what: "zstd window of the layer's frame".into(),
                limit: ZSTD_MAX_WINDOW,
                layer: Some(layer.clone()),
            };
        }
        if source.kind() == io::ErrorKind::UnexpectedEof || short {
            Error::Truncated {
                layer: layer.clone(),
                detail: source.to_string(),
            }
        } else {
            Error::CorruptLayer {
                layer: layer.clone(),
                source,
            }
        }
    }))
}

fn read_blob(
    source: &dyn ImageSource,
    ctx: &LayerContext<'_>,
    out: &mut LayerOutput,
) -> Result<(), Failure> {
    let layer = ctx.layer;
    let what = blob_name(ctx);
    let declared = media_type::layer_compression(&layer.media_type).ok_or_else(|| {
        Error::UnsupportedMediaType {
            what: what.clone(),
            media_type: layer.media_type.clone(),
        }
    })?;
    let raw = source.open_blob(&layer.digest)?;
    let raw: BlobReader<'_> = match &ctx.options.progress {
        Some(progress) => Box::new(super::progress::Counting {
            inner: raw,
            progress: progress.clone(),
            index: layer.index,
        }),
        None => raw,
    };
    // This thread parses; a helper fetches and hashes the blob, another inflates it.
    let blob = VerifyingReader::new(raw, layer.digest.clone(), layer.size);
    let (result, finished) = pipe::run(blob, |blob| {
        let result = read_stream(blob, declared, ctx, out);
        if matches!(result, Err(Failure::Cancelled)) {
            return (result, Ok(()));
        }
        // Read to the end of the blob even after an error: a digest mismatch is the root
        // cause of most decoding errors and must be what is reported.
        let finished = blob.drain();
        out.stats.compressed = blob.delivered();
        (result, finished)
    });
    if matches!(result, Err(Failure::Cancelled)) {
        return result;
    }
    let blob_error = |e: io::Error| {
        Error::from_stream(e, &what, Some(&layer.digest), |source| Error::Io {
            path: what.clone().into(),
            source,
        })
    };
    match (result, finished) {
        (_, Err(e)) if is_mismatch(&e) => Err(blob_error(e).into()),
        (Err(failure), _) => Err(failure),
        (Ok(()), Err(e)) => Err(blob_error(e).into()),
        (Ok(()), Ok(())) => Ok(()),
    }
}

fn read_stream(
    blob: &mut PipeReader,
    declared: Compression,
    ctx: &LayerContext<'_>,
    out: &mut LayerOutput,
) -> Result<(), Failure> {
    let layer = ctx.layer;
    let head = blob.fill_buf().map_err(|e| stream_error(e, ctx))?;
    let detected = Compression::sniff(head);
    if detected != declared {
        let kind = WarningKind::CompressionMismatch {
            media_type: layer.media_type.clone(),
            detected: detected.as_str(),
        };
        ctx.warn(out, "", kind);
    }
    let decoded: Box<dyn Read + Send + '_> = match detected {
        Compression::Gzip => Box::new(GzipMembers::new(blob)),
        Compression::Zstd => Box::new(
            zstd::stream::read::Decoder::with_buffer(blob).map_err(|e| stream_error(e, ctx))?,
        ),
        Compression::None => return read_tar(blob, None, ctx, out),
    };
    let diff_id = layer
        .diff_id
        .clone()
        .filter(|_| ctx.options.verify_diff_ids);
    // Inflate on one thread, hash and parse on this one.
    pipe::run(decoded, |tar| read_tar(tar, diff_id, ctx, out))
}

/// Parses an uncompressed layer, checking its `diff_id` when given and capping its size.
fn read_tar(
    input: &mut PipeReader,
    diff_id: Option<Digest>,
    ctx: &LayerContext<'_>,
    out: &mut LayerOutput,
) -> Result<(), Failure> {
    match diff_id {
        Some(diff_id) => parse_tar(VerifyingReader::new(input, diff_id, None), ctx, out),
        None => parse_tar(input, ctx, out),
    }
}

fn parse_tar(
    input: impl BufRead,
    ctx: &LayerContext<'_>,
    out: &mut LayerOutput,
) -> Result<(), Failure> {
    let limit = ctx.options.limits.max_layer_uncompressed;
    let mut limited = Forward::new(LimitReader::new(input, limit, "uncompressed layer"));
    let result = tar::read(&mut limited, ctx, out);
    out.stats.uncompressed = limited.position();
    result?;
    // Whatever follows the tar's end marker still counts: it completes the diff_id and the
    // gzip checksum, and it is where a bomb could hide.
    limited.drain().map_err(|e| stream_error(e, ctx))?;
    out.stats.uncompressed = limited.position();
    Ok(())
}
