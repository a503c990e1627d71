//! Byte-pair merging of one piece, as tiktoken does it: start from single bytes, and merge the
//! adjacent pair whose concatenation has the lowest rank (the leftmost one on a tie) until no
//! pair is a token. Short pieces use tiktoken's own quadratic loop; long ones (a megabyte of
//! letters without a space is one piece) a heap that makes the same merges in O(n log n).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::vocab::Vocab;

/// Pieces up to this many bytes use the quadratic loop (faster for them).
const SHORT: usize = 256;

/// The number of tokens `piece` becomes.
pub(super) fn count(vocab: &Vocab, piece: &[u8]) -> usize {
    if piece.len() <= 1 || vocab.rank(piece).is_some() {
        return usize::from(!piece.is_empty());
    }
    if piece.len() <= SHORT { count_short(vocab, piece) } else { count_long(vocab, piece) }
}

/// tiktoken's `byte_pair_merge`: `parts[i]` is (start, rank of merging part i with part i + 1).
fn count_short(vocab: &Vocab, piece: &[u8]) -> usize {
    let rank_of = |parts: &[(usize, u32)], i: usize| -> u32 {
        if i + 2 < parts.len() { vocab.rank(&piece[parts[i].0..parts[i + 2].0]).unwrap_or(u32::MAX) } else { u32::MAX }
    };
    let mut parts: Vec<(usize, u32)> = (0..=piece.len()).map(|i| (i, u32::MAX)).collect();
    for i in 0..parts.len() - 2 {
        parts[i].1 = rank_of(&parts, i);
    }
    while let Some((i, _)) =
        parts[..parts.len() - 1].iter().enumerate().filter(|(_, p)| p.1 != u32::MAX).min_by_key(|(i, p)| (p.1, *i))
    {
        parts.remove(i + 1);
        parts[i].1 = rank_of(&parts, i);
        if i > 0 {
            parts[i - 1].1 = rank_of(&parts, i - 1);
        }
    }
    parts.len() - 1
}

/// The same merges with a heap of (rank, start) and a linked list of parts. A heap entry is
/// stale when its part is gone or its pair changed since it was pushed.
fn count_long(vocab: &Vocab, piece: &[u8]) -> usize {
    let n = piece.len();
    // Parts by their start byte: the next part's start (n at the end), the previous part's
    // start, and whether the part still exists.
    let mut next: Vec<usize> = (1..=n).collect();
    let mut prev: Vec<usize> = (0..n).map(|i| i.wrapping_sub(1)).collect();
    let mut alive = vec![true; n];
    let pair_rank = |next: &[usize], start: usize| -> Option<u32> {
        let mid = next[start];
        (mid < n).then(|| vocab.rank(&piece[start..next[mid]])).flatten()
    };
    let mut heap: BinaryHeap<Reverse<(u32, usize, usize)>> = BinaryHeap::new();
    for start in 0..n {
        if let Some(rank) = pair_rank(&next, start) {
            heap.push(Reverse((rank, start, next[next[start]])));
        }
    }
    let mut parts = n;
    while let Some(Reverse((rank, start, end))) = heap.pop() {
        // Stale: the part was merged into its left neighbour, or its pair is not the same one.
        if !alive[start] || next[start] >= n || next[next[start]] != end {
            continue;
        }
        let mid = next[start];
        debug_assert_eq!(vocab.rank(&piece[start..end]), Some(rank));
        alive[mid] = false;
        next[start] = end;
        if end < n {
            prev[end] = start;
        }
        parts -= 1;
        if let Some(r) = pair_rank(&next, start) {
            heap.push(Reverse((r, start, next[next[start]])));
        }
        let before = prev[start];
        if before != usize::MAX
            && let Some(r) = pair_rank(&next, before)
        {
            heap.push(Reverse((r, before, next[next[before]])));
        }
    }
    parts
}

#[cfg(test)]
pub(super) fn count_both(vocab: &Vocab, piece: &[u8]) -> (usize, usize) {
    (count_short(vocab, piece), count_long(vocab, piece))
}
