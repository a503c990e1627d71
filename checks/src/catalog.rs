//! The catalogue of every finding code the program can emit, for `openai-doctor explain` and the
//! test that keeps codes and explanations in step: each check's codes (from its `CheckInfo`, in
//! report order), then the runner's.

use crate::engine::runner;
use crate::model::Code;

/// The runner's own codes: a crash, a time-out, an interrupt.
static RUNNER_CODES: &[&Code] = &[&runner::INTERNAL, &runner::TIMED_OUT, &runner::INTERRUPTED];

/// Every finding code the program can emit, in report order of their checks.
#[must_use]
pub fn all() -> Vec<&'static Code> {
    crate::registry::registry()
        .iter()
        .flat_map(|c| c.info().codes.iter().copied())
        .chain(RUNNER_CODES.iter().copied())
        .collect()
}

/// The catalogue entry for `id`.
#[must_use]
pub fn find(id: &str) -> Option<&'static Code> {
    all().into_iter().find(|c| c.id == id)
}

/// The catalogued codes nearest to a mistyped `id` (at most three, nearest first), for
/// `explain`'s "did you mean": edit distance over the whole id, a code whose part after the dot
/// is exactly what was typed (`unknown_issuer` → `tls.unknown_issuer`), or one that contains it.
#[must_use]
pub fn nearest(id: &str) -> Vec<&'static str> {
    let id = id.trim().to_ascii_lowercase();
    // A third of the length, at least 2: `tls.unknwon_issuer` (2 edits) yes, `nope` → `dns.nx` no.
    let limit = (id.chars().count() / 3).max(2);
    let mut scored: Vec<(usize, &'static str)> = all()
        .into_iter()
        .filter_map(|c| {
            let tail = c.id.rsplit('.').next().unwrap_or(c.id);
            let d = if tail == id {
                0
            } else if id.len() >= 4 && c.id.contains(&id) {
                // A part of a code (`proxy.auth`, `ndots`): after the real typos.
                limit
            } else {
                distance(&id, c.id)
            };
            (d <= limit).then_some((d, c.id))
        })
        .collect();
    scored.sort();
    scored.into_iter().take(3).map(|(_, id)| id).collect()
}

/// Levenshtein distance, with a swap of two neighbours counted as one edit (the usual typo).
fn distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `Code` declared anywhere in the sources (a `code!(NAME, "id", ...)` macro call or a
    /// `static NAME: Code = Code { id: "..." }`) is in the catalogue, so `explain` knows it.
    #[test]
    fn every_declared_code_is_in_the_catalogue() {
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).unwrap().flatten() {
                let p = entry.path();
                if p.is_dir() {
                    walk(&p, out);
                } else if p.extension().is_some_and(|e| e == "rs") && !p.ends_with("catalog.rs") {
                    out.push(p);
                }
            }
        }
        let mut files = Vec::new();
        walk(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut files);
        let known: Vec<&str> = all().iter().map(|c| c.id).collect();
        let mut declared = 0;
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            let mut rest = text.as_str();
            // The id is the first string literal after `code!(` or `: Code = Code {`.
            while let Some(pos) = [rest.find("code!("), rest.find(": Code = Code {")].into_iter().flatten().min() {
                rest = &rest[pos + 6..];
                let Some(start) = rest.find('"') else { break };
                let end = rest[start + 1..].find('"').unwrap() + start + 1;
                let id = &rest[start + 1..end];
                if id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.')
                    && !id.is_empty()
                {
                    declared += 1;
                    assert!(known.contains(&id), "{id} (declared in {}) is not in catalog::all()", file.display());
                }
                rest = &rest[end..];
            }
        }
        assert!(declared >= known.len(), "found only {declared} declarations for {} catalogued codes", known.len());
    }

    #[test]
    fn a_typo_suggests_the_nearest_codes_and_nonsense_suggests_none() {
        assert_eq!(nearest("tls.unknwon_issuer").first(), Some(&"tls.unknown_issuer"));
        assert_eq!(nearest("TLS.Unknown_Isuer").first(), Some(&"tls.unknown_issuer"));
        assert_eq!(nearest("unknown_issuer"), ["tls.unknown_issuer"]);
        assert!(nearest("nope").is_empty(), "{:?}", nearest("nope"));
        assert_eq!(nearest("ndots"), ["container.ndots"]);
        assert!(nearest("completely.unrelated.words").is_empty());
        assert_eq!(distance("ab", "ba"), 1);
        assert_eq!(distance("kitten", "sitting"), 3);
    }

    #[test]
    fn codes_are_unique_and_explained() {
        let all = all();
        for (i, c) in all.iter().enumerate() {
            assert!(!c.explain.trim().is_empty() && !c.title.is_empty(), "{}", c.id);
            assert!(all[..i].iter().all(|o| o.id != c.id), "duplicate {}", c.id);
        }
    }
}
