//! Eight bytes at a time in one `u64` ("SIMD within a register"): the
//! digit checks and conversions of the hot path's fixed-width fields
//! (timestamps, UUIDs). Words are little-endian: a field's first byte is
//! the word's lowest.

/// Eight bytes, each `b` repeated.
pub(crate) const fn bytes8(b: u8) -> u64 {
    u64::from_ne_bytes([b; 8])
}

/// Per byte of `x`: 0 when it is an ASCII digit, non-zero otherwise (no
/// carry crosses from one byte into the next).
#[inline]
pub(crate) fn non_digits(x: u64) -> u64 {
    let d = x ^ bytes8(b'0');
    // A digit is 0x30..=0x39: after the xor its high nibble is 0 and its low
    // nibble at most 9, so adding 6 to the low nibble stays below 0x10.
    (d & bytes8(0xf0)) | (((d & bytes8(0x0f)) + bytes8(0x06)) & bytes8(0x10))
}

/// Leading ASCII digits of the little-endian word `x` (0 to 8).
#[inline]
pub(crate) fn leading_digits(x: u64) -> usize {
    (non_digits(x).trailing_zeros() / 8) as usize
}

/// The value of eight ASCII digits (the first most significant); the caller
/// has checked that they are digits.
#[inline]
pub(crate) fn eight_digits(x: u64) -> u32 {
    let v = x - bytes8(b'0');
    // Each step joins neighbours, the more significant times 10, 100 and
    // 10 000: pairs in 16-bit lanes, then quads in 32-bit lanes, then all.
    let v = (v.wrapping_mul(10) + (v >> 8)) & 0x00ff_00ff_00ff_00ff;
    let v = (v.wrapping_mul(100) + (v >> 16)) & 0x0000_ffff_0000_ffff;
    (v.wrapping_mul(10_000) + (v >> 32)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_digits_flags_exactly_the_bytes_that_are_not_digits() {
        for b in 0..=255u8 {
            for at in 0..8 {
                // The byte at `at` among digits, and among bytes that would
                // carry (0xff) if any step added across bytes.
                for fill in [b'7', 0xff] {
                    let mut word = [fill; 8];
                    word[at] = b;
                    let flags = non_digits(u64::from_le_bytes(word)).to_le_bytes();
                    assert_eq!(flags[at] == 0, b.is_ascii_digit(), "byte {b:#x} at {at}");
                }
            }
        }
    }

    #[test]
    fn leading_digits_and_their_value() {
        for (s, n) in [
            (b"12345678", 8),
            (b"1234567Z", 7),
            (b"+0000000", 0),
            (b"0:000000", 1),
            (b"000000/0", 6),
        ] {
            assert_eq!(leading_digits(u64::from_le_bytes(*s)), n, "{s:?}");
        }
        for v in [
            0u32, 1, 9, 10, 99_999_999, 12_345_678, 10_000_000, 90_000_009,
        ] {
            let s = format!("{v:08}");
            let x = u64::from_le_bytes(s.as_bytes().try_into().unwrap());
            assert_eq!(eight_digits(x), v, "{s}");
        }
    }
}
