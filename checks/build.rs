//! With the `tokens` feature: lays out the o200k_base and cl100k_base vocabularies (taken from
//! the `tiktoken` crate) as tables the binary maps in place: an open-addressing hash table of
//! ranks, the tokens' offsets and their bytes. Nothing is deserialised at run time, and a run
//! costs memory only for the pages it touches (bpe-openai's serialised tables made the binary
//! 45 MiB larger and a run with a payload peak at ~75 MiB).
//!
//! Layout, all little-endian u32 unless said: n_tokens, n_slots (a power of two), offsets
//! (n_tokens + 1, into the bytes), slots (0 = empty, else rank + 1), then the tokens' bytes.
//! `fnv1a` must stay the same as `tokens::vocab::fnv1a` (a test looks up every token).

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[cfg(feature = "tokens")]
fn layout(name: &str) -> Vec<u8> {
    let enc = tiktoken::get_encoding(name).expect("the tiktoken crate has this vocabulary");
    let n = u32::try_from(enc.vocab_size()).expect("fits u32");
    let tokens: Vec<Vec<u8>> = (0..n).map(|rank| enc.decode(&[rank])).collect();
    // Load factor at most 0.5: short probe sequences.
    let slots_len = (tokens.len() * 2).next_power_of_two();
    let mask = slots_len - 1;
    let mut slots = vec![0u32; slots_len];
    for (rank, token) in tokens.iter().enumerate() {
        assert!(!token.is_empty(), "{name}: rank {rank} has no bytes");
        let mut i = usize::try_from(fnv1a(token) & mask as u64).expect("fits usize");
        while slots[i] != 0 {
            i = (i + 1) & mask;
        }
        slots[i] = u32::try_from(rank + 1).expect("fits u32");
    }
    let mut out = Vec::new();
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&u32::try_from(slots_len).expect("fits u32").to_le_bytes());
    let mut offset = 0u32;
    out.extend_from_slice(&offset.to_le_bytes());
    for token in &tokens {
        offset += u32::try_from(token.len()).expect("fits u32");
        out.extend_from_slice(&offset.to_le_bytes());
    }
    for s in &slots {
        out.extend_from_slice(&s.to_le_bytes());
    }
    for token in &tokens {
        out.extend_from_slice(token);
    }
    out
}

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    let _ = fnv1a(b"");
    #[cfg(feature = "tokens")]
    {
        let dir = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
        for name in ["o200k_base", "cl100k_base"] {
            std::fs::write(dir.join(format!("{name}.vocab")), layout(name)).expect("OUT_DIR is writable");
        }
    }
}
