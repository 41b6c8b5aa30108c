//! [`Reader`]: client bytes in, complete messages out.

use super::deflate::SYNC_TAIL;
use super::{
    apply_mask, check_close_payload, Inflater, Message, WsError, MAX_CONTROL_PAYLOAD, OP_BINARY,
    OP_CLOSE, OP_CONTINUATION, OP_PING, OP_PONG, OP_TEXT, RSV1,
};

/// The longest client frame header: 2 bytes, a 64-bit length, the mask.
const MAX_CLIENT_HEADER: usize = 14;
/// Message buffers above this capacity are freed after their message, so an
/// idle connection does not keep its largest message's memory.
const KEEP_CAPACITY: usize = 64 * 1024;

/// A frame header, parsed and checked.
#[derive(Debug, Clone, Copy)]
struct Frame {
    fin: bool,
    opcode: u8,
    /// `RSV1` on the first frame of a compressed message, else 0.
    rsv1: u8,
    mask: [u8; 4],
    /// Payload bytes still to come.
    remaining: u64,
    /// Payload bytes already read, modulo 4: where the mask continues.
    phase: usize,
}

/// Reads a client's side of a WebSocket connection (RFC 6455 5), incrementally:
/// input may be cut anywhere, several frames may come in one piece.
///
/// After an error the reader is poisoned: every later [`Reader::feed`] returns
/// the same error. After a close frame, later input is ignored.
#[derive(Debug)]
pub struct Reader {
    max_message: usize,
    /// The start of a header cut by the end of an input.
    head: [u8; MAX_CLIENT_HEADER],
    head_len: usize,
    /// The frame whose payload is being read.
    frame: Option<Frame>,
    /// The opcode of the fragmented message in progress (5.4), with `RSV1`
    /// added when it is compressed.
    message: Option<u8>,
    /// The unmasked payload of the data message in progress (compressed, for
    /// a compressed message: the size limit applies to it too).
    data: Vec<u8>,
    /// permessage-deflate, when negotiated; `None`: RSV1 is a protocol error.
    inflater: Option<Box<Inflater>>,
    /// The inflated payload of the last compressed message.
    inflated: Vec<u8>,
    /// How much of `data` is known to be valid UTF-8 (text messages).
    utf8_valid: usize,
    /// The unmasked payload of the control frame in progress.
    control: Vec<u8>,
    closed: bool,
    poison: Option<WsError>,
}

impl Reader {
    /// A reader that refuses messages (all their fragments together) above
    /// `max_message` bytes.
    pub fn new(max_message: usize) -> Self {
        Reader {
            max_message,
            head: [0; MAX_CLIENT_HEADER],
            head_len: 0,
            frame: None,
            message: None,
            data: Vec::new(),
            inflater: None,
            inflated: Vec::new(),
            utf8_valid: 0,
            control: Vec::new(),
            closed: false,
            poison: None,
        }
    }

    /// A reader of a connection with permessage-deflate (RFC 7692):
    /// messages whose first frame has RSV1 are inflated, and `max_message`
    /// bounds both their compressed and their inflated size.
    /// `no_context_takeover`: the client resets its compressor after each
    /// message (`client_no_context_takeover` was agreed).
    pub fn with_deflate(max_message: usize, no_context_takeover: bool) -> Self {
        Reader {
            inflater: Some(Box::new(Inflater::new(no_context_takeover))),
            ..Reader::new(max_message)
        }
    }

    /// The message size limit.
    pub fn max_message(&self) -> usize {
        self.max_message
    }

    /// Bytes held: a partial header, a partial control frame, a partial message.
    pub fn buffered(&self) -> usize {
        self.head_len + self.data.len() + self.control.len() + self.inflated.len()
    }

    /// Whether a close frame has been read.
    pub fn closed(&self) -> bool {
        self.closed
    }

    /// Reads `input`, the next bytes from the client, passing each complete
    /// message or control frame to `emit` in order. On an error the messages
    /// before it have been emitted, and the reader is poisoned.
    pub fn feed(&mut self, input: &[u8], mut emit: impl FnMut(Message<'_>)) -> Result<(), WsError> {
        if let Some(err) = self.poison {
            return Err(err);
        }
        let result = self.run(input, &mut emit);
        if let Err(err) = result {
            self.poison = Some(err);
            self.release();
        }
        result
    }

    fn release(&mut self) {
        self.head_len = 0;
        self.frame = None;
        self.message = None;
        self.data = Vec::new();
        self.inflated = Vec::new();
        self.control = Vec::new();
    }

    fn run(&mut self, mut input: &[u8], emit: &mut impl FnMut(Message<'_>)) -> Result<(), WsError> {
        while !self.closed {
            let mut frame = match self.frame.take() {
                Some(frame) => frame,
                None => match self.read_header(&mut input)? {
                    Some(frame) => frame,
                    None => return Ok(()),
                },
            };
            let n = usize::try_from(frame.remaining).map_or(input.len(), |r| r.min(input.len()));
            let Some((chunk, rest)) = input.split_at_checked(n) else {
                return Ok(());
            };
            input = rest;
            let control = frame.opcode >= OP_CLOSE;
            let buf = if control {
                &mut self.control
            } else {
                &mut self.data
            };
            let start = buf.len();
            buf.extend_from_slice(chunk);
            if let Some(fresh) = buf.get_mut(start..) {
                apply_mask(fresh, frame.mask, frame.phase);
            }
            frame.phase = (frame.phase + n) % 4;
            frame.remaining -= n as u64;
            if frame.remaining > 0 {
                if self.message == Some(OP_TEXT) && !control {
                    self.check_utf8_prefix()?;
                }
                self.frame = Some(frame);
                return Ok(());
            }
            self.finish(frame, emit)?;
        }
        Ok(())
    }

    /// Reads (the rest of) a header from `input`, advancing it. `None` when
    /// the input ends first (the part read is kept in `head`).
    fn read_header(&mut self, input: &mut &[u8]) -> Result<Option<Frame>, WsError> {
        let in_message = self.message.is_some();
        let room = self.room();
        if self.head_len == 0 {
            // The common case: the whole header is in this input.
            return match parse_header(input, in_message, room, self.inflater.is_some())? {
                Some((frame, used)) => {
                    *input = input.get(used..).unwrap_or_default();
                    Ok(Some(self.start(frame)))
                }
                None => {
                    self.keep_head(input);
                    *input = &[];
                    Ok(None)
                }
            };
        }
        let old = self.head_len;
        let take = input.len().min(MAX_CLIENT_HEADER - old);
        let (part, rest) = input.split_at_checked(take).unwrap_or((input, &[]));
        self.keep_head(part);
        let head = self.head.get(..self.head_len).unwrap_or_default();
        match parse_header(head, in_message, room, self.inflater.is_some())? {
            Some((frame, used)) => {
                self.head_len = 0;
                *input = input.get(used - old..).unwrap_or_default();
                Ok(Some(self.start(frame)))
            }
            None => {
                *input = rest;
                Ok(None)
            }
        }
    }

    fn keep_head(&mut self, part: &[u8]) {
        let end = self.head_len + part.len();
        if let Some(slot) = self.head.get_mut(self.head_len..end) {
            slot.copy_from_slice(part);
            self.head_len = end;
        }
    }

    /// Notes the message a new data frame starts.
    fn start(&mut self, frame: Frame) -> Frame {
        if frame.opcode == OP_TEXT || frame.opcode == OP_BINARY {
            self.message = Some(frame.opcode | frame.rsv1);
        }
        frame
    }

    /// How many more bytes the message in progress may take.
    fn room(&self) -> u64 {
        (self.max_message as u64).saturating_sub(self.data.len() as u64)
    }

    /// Text (8.1): fails as soon as the bytes so far cannot start valid
    /// UTF-8; a sequence cut by the end of a frame or read waits for its end.
    fn check_utf8_prefix(&mut self) -> Result<(), WsError> {
        let tail = self.data.get(self.utf8_valid..).unwrap_or_default();
        match std::str::from_utf8(tail) {
            Ok(_) => self.utf8_valid = self.data.len(),
            Err(e) if e.error_len().is_none() => self.utf8_valid += e.valid_up_to(),
            Err(_) => return Err(WsError::InvalidUtf8),
        }
        Ok(())
    }

    fn finish(&mut self, frame: Frame, emit: &mut impl FnMut(Message<'_>)) -> Result<(), WsError> {
        match frame.opcode {
            OP_CLOSE => {
                check_close_payload(&self.control)?;
                self.closed = true;
                emit(Message::Close(&self.control));
                self.release();
                return Ok(());
            }
            OP_PING | OP_PONG => {
                if frame.opcode == OP_PING {
                    emit(Message::Ping(&self.control));
                } else {
                    emit(Message::Pong(&self.control));
                }
                self.control.clear();
                return Ok(());
            }
            _ => {}
        }
        if !frame.fin {
            if self.message == Some(OP_TEXT) {
                self.check_utf8_prefix()?;
            }
            return Ok(());
        }
        match self.message.take() {
            Some(OP_TEXT) => {
                let tail = self.data.get(self.utf8_valid..).unwrap_or_default();
                std::str::from_utf8(tail).map_err(|_| WsError::InvalidUtf8)?;
                // SAFETY: `data[..utf8_valid]` was checked to be valid UTF-8
                // ending on a character boundary, and the rest just now.
                emit(Message::Text(unsafe {
                    std::str::from_utf8_unchecked(&self.data)
                }));
            }
            Some(OP_BINARY) | None => emit(Message::Binary(&self.data)),
            Some(compressed) => self.finish_compressed(compressed & !RSV1, emit)?,
        }
        self.utf8_valid = 0;
        if self.data.capacity() > KEEP_CAPACITY {
            self.data = Vec::new();
        } else {
            self.data.clear();
        }
        Ok(())
    }
}

impl Reader {
    /// Emits a compressed message: inflated within the size limit (RFC 7692
    /// 7.2.2), then checked as its opcode asks.
    fn finish_compressed(
        &mut self,
        opcode: u8,
        emit: &mut impl FnMut(Message<'_>),
    ) -> Result<(), WsError> {
        let Some(inflater) = self.inflater.as_mut() else {
            return Err(WsError::ReservedBits);
        };
        self.data.extend_from_slice(&SYNC_TAIL);
        inflater.inflate(&self.data, self.max_message, &mut self.inflated)?;
        if opcode == OP_TEXT {
            let text = std::str::from_utf8(&self.inflated).map_err(|_| WsError::InvalidUtf8)?;
            emit(Message::Text(text));
        } else {
            emit(Message::Binary(&self.inflated));
        }
        if self.inflated.capacity() > KEEP_CAPACITY {
            self.inflated = Vec::new();
        } else {
            self.inflated.clear();
        }
        Ok(())
    }
}

/// Parses and checks a frame header at the start of `buf` (5.2): the frame
/// and the header's length, or `None` when `buf` ends first. Fails as soon as
/// the bytes present break a rule: a data frame longer than `room` is refused
/// from its length, before its payload is buffered. `in_message`: a
/// fragmented message is in progress. `deflate`: permessage-deflate was
/// negotiated, so RSV1 may mark the first frame of a data message.
fn parse_header(
    buf: &[u8],
    in_message: bool,
    room: u64,
    deflate: bool,
) -> Result<Option<(Frame, usize)>, WsError> {
    let Some(&b0) = buf.first() else {
        return Ok(None);
    };
    let fin = b0 & 0x80 != 0;
    let opcode = b0 & 0x0F;
    let rsv1 = match b0 & 0x70 {
        0 => 0,
        RSV1 if deflate && (opcode == OP_TEXT || opcode == OP_BINARY) => RSV1,
        _ => return Err(WsError::ReservedBits),
    };
    match opcode {
        OP_CONTINUATION if !in_message => return Err(WsError::UnexpectedContinuation),
        OP_TEXT | OP_BINARY if in_message => return Err(WsError::InterleavedMessage),
        OP_CLOSE | OP_PING | OP_PONG if !fin => return Err(WsError::FragmentedControl),
        OP_CONTINUATION | OP_TEXT | OP_BINARY | OP_CLOSE | OP_PING | OP_PONG => {}
        _ => return Err(WsError::ReservedOpcode(opcode)),
    }
    let Some(&b1) = buf.get(1) else {
        return Ok(None);
    };
    if b1 & 0x80 == 0 {
        return Err(WsError::Unmasked);
    }
    // Longer encodings than needed are accepted (5.2 asks for the minimal
    // one, but nothing is ambiguous about the others).
    let (len, mask_at) = match b1 & 0x7F {
        126 => match buf.get(2..4) {
            Some(&[a, b]) => (u64::from(u16::from_be_bytes([a, b])), 4),
            _ => return Ok(None),
        },
        127 => match buf.get(2..10).and_then(|b| <[u8; 8]>::try_from(b).ok()) {
            Some(bytes) => (u64::from_be_bytes(bytes), 10),
            None => return Ok(None),
        },
        short => (u64::from(short), 2),
    };
    if len >> 63 != 0 {
        return Err(WsError::LengthOverflow);
    }
    if opcode >= OP_CLOSE {
        if len > MAX_CONTROL_PAYLOAD as u64 {
            return Err(WsError::ControlTooLong);
        }
    } else if len > room {
        return Err(WsError::MessageTooBig);
    }
    let Some(mask) = buf
        .get(mask_at..mask_at + 4)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
    else {
        return Ok(None);
    };
    let frame = Frame {
        fin,
        opcode,
        rsv1,
        mask,
        remaining: len,
        phase: 0,
    };
    Ok(Some((frame, mask_at + 4)))
}
