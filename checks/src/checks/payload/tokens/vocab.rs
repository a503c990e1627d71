//! A vocabulary as build.rs laid it out: mapped in place from the binary, nothing deserialised.
//! Lookups hash the bytes (FNV-1a, the same function build.rs used) into an open-addressing
//! table of ranks and compare the candidate's bytes.

/// FNV-1a, 64 bits. Must stay the same as build.rs's.
pub(super) fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// One vocabulary: token bytes ↔ rank.
#[derive(Debug, Clone, Copy)]
pub(super) struct Vocab {
    len: usize,
    mask: usize,
    offsets: &'static [u8],
    slots: &'static [u8],
    bytes: &'static [u8],
}

fn u32_at(table: &[u8], index: usize) -> u32 {
    let at = index * 4;
    u32::from_le_bytes([table[at], table[at + 1], table[at + 2], table[at + 3]])
}

impl Vocab {
    /// Reads the layout's header; the tables stay where they are.
    pub(super) fn new(data: &'static [u8]) -> Self {
        let len = u32_at(data, 0) as usize;
        let slots_len = u32_at(data, 1) as usize;
        let offsets_end = 8 + (len + 1) * 4;
        let slots_end = offsets_end + slots_len * 4;
        Self {
            len,
            mask: slots_len - 1,
            offsets: &data[8..offsets_end],
            slots: &data[offsets_end..slots_end],
            bytes: &data[slots_end..],
        }
    }

    /// Number of tokens.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// The bytes of token `rank`.
    pub(super) fn token(&self, rank: u32) -> &'static [u8] {
        let rank = rank as usize;
        &self.bytes[u32_at(self.offsets, rank) as usize..u32_at(self.offsets, rank + 1) as usize]
    }

    /// The rank of a byte sequence that is a token.
    pub(super) fn rank(&self, piece: &[u8]) -> Option<u32> {
        #[allow(clippy::cast_possible_truncation)]
        let mut i = fnv1a(piece) as usize & self.mask;
        loop {
            let slot = u32_at(self.slots, i);
            if slot == 0 {
                return None;
            }
            debug_assert!((slot as usize) <= self.len);
            if self.token(slot - 1) == piece {
                return Some(slot - 1);
            }
            i = (i + 1) & self.mask;
        }
    }
}
