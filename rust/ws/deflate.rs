//! permessage-deflate (RFC 7692) payloads: [`Inflater`] for what a client
//! sends, [`Deflater`] for what the server sends.
//!
//! Raw DEFLATE (RFC 1951) with the `flate2` crate. A message is compressed
//! with a sync flush and sent without the final `00 00 ff ff` (7.2.1); the
//! receiver puts those four bytes back before inflating (7.2.2).
//!
//! The server always works without context takeover (it answers
//! `server_no_context_takeover`): each message is compressed on its own, so one
//! compressed frame serves every recipient of a broadcast, and one
//! [`Deflater`] serves every connection.

use super::WsError;
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

/// The empty stored block a sync flush ends with (RFC 7692 7.2.1, 7.2.2).
pub const SYNC_TAIL: [u8; 4] = [0x00, 0x00, 0xFF, 0xFF];

/// The first allocation of an inflated message; it then doubles.
const FIRST_STEP: usize = 16 * 1024;

/// Inflates a client's compressed messages, one after the other, keeping the
/// client's sliding window between them unless the client resets it.
pub struct Inflater {
    /// Made at the first compressed message: a connection that never sends
    /// one holds no window.
    state: Option<Decompress>,
    /// `client_no_context_takeover` was agreed: each message starts afresh.
    no_context_takeover: bool,
}

impl std::fmt::Debug for Inflater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inflater")
            .field("active", &self.state.is_some())
            .field("no_context_takeover", &self.no_context_takeover)
            .finish()
    }
}

impl Inflater {
    /// An inflater; `no_context_takeover`: the client resets its compressor
    /// after each message (so may the inflater).
    pub fn new(no_context_takeover: bool) -> Self {
        Inflater {
            state: None,
            no_context_takeover,
        }
    }

    /// Inflates one message's payload (`SYNC_TAIL` already appended) into
    /// `out`, step by step, failing with [`WsError::MessageTooBig`] as soon as
    /// the output passes `max` bytes: at most `max + 1` bytes are ever held,
    /// whatever the payload inflates to. Invalid DEFLATE data is
    /// [`WsError::InvalidDeflate`].
    pub fn inflate(&mut self, input: &[u8], max: usize, out: &mut Vec<u8>) -> Result<(), WsError> {
        out.clear();
        let state = self.state.get_or_insert_with(|| Decompress::new(false));
        let result = inflate_bounded(state, input, max, out);
        if self.no_context_takeover || result.is_err() {
            state.reset(false);
        }
        result
    }
}

fn inflate_bounded(
    state: &mut Decompress,
    input: &[u8],
    max: usize,
    out: &mut Vec<u8>,
) -> Result<(), WsError> {
    let ceiling = max.saturating_add(1);
    let mut pos = 0usize;
    loop {
        if out.len() >= out.capacity() {
            let step = out.capacity().max(FIRST_STEP);
            out.reserve_exact(step.min(ceiling.saturating_sub(out.len())).max(1));
        }
        let rest = input.get(pos..).unwrap_or_default();
        let (in_before, out_before) = (state.total_in(), out.len());
        let status = state
            .decompress_vec(rest, out, FlushDecompress::Sync)
            .map_err(|_| WsError::InvalidDeflate)?;
        let consumed = usize::try_from(state.total_in() - in_before).unwrap_or(usize::MAX);
        pos = pos.saturating_add(consumed);
        if out.len() > max {
            return Err(WsError::MessageTooBig);
        }
        if status == Status::StreamEnd {
            // A final block (BFINAL) ends the client's stream: the next message
            // starts a new one, and what follows in this payload is the tail.
            state.reset(false);
            return Ok(());
        }
        let room_left = out.len() < out.capacity();
        if pos >= input.len() && room_left {
            return Ok(());
        }
        if consumed == 0 && out.len() == out_before && room_left {
            // No progress with input left and room for output: the data
            // cannot be inflated any further.
            return Err(WsError::InvalidDeflate);
        }
    }
}

/// Why a payload could not be compressed (not expected with valid settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DeflateError {
    /// A compression level outside 0-9.
    #[error("compression level must be 0-9, not {0}")]
    Level(u32),
    /// The compressor refused its input.
    #[error("compression failed")]
    Failed,
}

/// Compresses the server's messages, each on its own (no context takeover).
pub struct Deflater {
    state: Compress,
    level: u32,
}

impl std::fmt::Debug for Deflater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deflater")
            .field("level", &self.level)
            .finish()
    }
}

impl Deflater {
    /// A compressor at `level` (0: stored, 1: fastest, 9: smallest).
    pub fn new(level: u32) -> Result<Self, DeflateError> {
        if level > 9 {
            return Err(DeflateError::Level(level));
        }
        Ok(Deflater {
            state: Compress::new(Compression::new(level), false),
            level,
        })
    }

    /// The compression level.
    pub fn level(&self) -> u32 {
        self.level
    }

    /// Appends the compressed form of `payload` to `out`, without the sync
    /// flush's final `00 00 ff ff` (RFC 7692 7.2.1), and resets the
    /// compressor: the result does not depend on earlier messages.
    pub fn compress(&mut self, payload: &[u8], out: &mut Vec<u8>) -> Result<(), DeflateError> {
        let result = self.compress_flushed(payload, out);
        self.state.reset();
        result?;
        if out.ends_with(&SYNC_TAIL) {
            out.truncate(out.len() - SYNC_TAIL.len());
        }
        Ok(())
    }

    fn compress_flushed(&mut self, payload: &[u8], out: &mut Vec<u8>) -> Result<(), DeflateError> {
        let start_in = self.state.total_in();
        out.reserve(payload.len() / 2 + 64);
        loop {
            if out.capacity() - out.len() < 64 {
                out.reserve(out.capacity().max(256));
            }
            let done = usize::try_from(self.state.total_in() - start_in).unwrap_or(usize::MAX);
            let rest = payload.get(done..).unwrap_or_default();
            self.state
                .compress_vec(rest, out, FlushCompress::Sync)
                .map_err(|_| DeflateError::Failed)?;
            let done = usize::try_from(self.state.total_in() - start_in).unwrap_or(usize::MAX);
            // The flush is complete once all the input is in and the output did not fill up.
            if done >= payload.len() && out.len() < out.capacity() {
                return Ok(());
            }
        }
    }
}
