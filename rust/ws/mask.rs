//! Unmasking (RFC 6455 5.3): XOR with the 4-byte key, eight bytes at a time.

/// XORs `buf` in place with `mask` repeated, starting at byte `phase % 4` of
/// the mask (the payload offset of `buf[0]`, so a payload split over several
/// reads unmasks chunk by chunk). Masking and unmasking are the same.
#[inline]
pub fn apply_mask(buf: &mut [u8], mask: [u8; 4], phase: usize) {
    let mut m = mask;
    m.rotate_left(phase % 4);
    let word = u64::from_ne_bytes([m[0], m[1], m[2], m[3], m[0], m[1], m[2], m[3]]);
    let mut words = buf.chunks_exact_mut(8);
    for chunk in &mut words {
        if let Ok(bytes) = <[u8; 8]>::try_from(&*chunk) {
            chunk.copy_from_slice(&(u64::from_ne_bytes(bytes) ^ word).to_ne_bytes());
        }
    }
    // The tail starts at a multiple of 8 bytes: at byte 0 of the rotated mask.
    for (byte, key) in words.into_remainder().iter_mut().zip(m.iter().cycle()) {
        *byte ^= key;
    }
}
