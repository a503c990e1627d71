//! The rule that turns a failure rate into a verdict: the same world gives the same verdict, and
//! a rerun can be compared. A sample of n requests only bounds the true rate, so the verdict
//! rests on the 95 % Wilson score interval of the observed rate, not on the count alone.

/// z for a two-sided 95 % interval.
const Z: f64 = 1.96;

/// Transient failures among successes fail the check when the interval's lower bound is above
/// this: even the most favourable rate the sample allows then makes more than 1 in 64 of the
/// app's calls fail after the SDKs' two retries (0.25³ ≈ 1.6 %).
pub const FAIL_ABOVE: f64 = 0.25;

/// The observed failure rate of `failed` of `n` requests and its 95 % Wilson score interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub failed: usize,
    pub n: usize,
    pub low: f64,
    pub high: f64,
}

impl Rate {
    #[must_use]
    pub fn of(failed: usize, n: usize) -> Self {
        if n == 0 {
            return Self { failed, n, low: 0.0, high: 1.0 };
        }
        #[allow(clippy::cast_precision_loss)]
        let (f, nf) = (failed.min(n) as f64, n as f64);
        let p = f / nf;
        let z2 = Z * Z;
        let centre = p + z2 / (2.0 * nf);
        let spread = Z * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt();
        let denom = 1.0 + z2 / nf;
        Self { failed, n, low: ((centre - spread) / denom).max(0.0), high: ((centre + spread) / denom).min(1.0) }
    }

    /// The rule: a failure when the lower bound is above `FAIL_ABOVE`.
    #[must_use]
    pub fn fails(&self) -> bool {
        self.low > FAIL_ABOVE
    }

    /// "60 % (95 % interval 31–83 %, n = 10)".
    #[must_use]
    pub fn describe(&self) -> String {
        #[allow(clippy::cast_precision_loss)]
        let p = if self.n == 0 { 0.0 } else { self.failed as f64 / self.n as f64 };
        format!(
            "failure rate {:.0} % (95 % interval {:.0}–{:.0} %, n = {})",
            p * 100.0,
            self.low * 100.0,
            self.high * 100.0,
            self.n
        )
    }

    /// The rule in words, with where this sample falls.
    #[must_use]
    pub fn rule(&self) -> String {
        format!(
            "{}: the rule is a failure when the interval's lower bound is above {:.0} % (more than 1 in 64 of the app's calls would fail after the SDKs' 2 retries), else a warning",
            if self.fails() { "a failure" } else { "a warning" },
            FAIL_ABOVE * 100.0
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_intervals_match_the_published_values() {
        // Wilson 95 % for 6 of 10: 0.3127–0.8318.
        let r = Rate::of(6, 10);
        assert!((r.low - 0.3127).abs() < 1e-3 && (r.high - 0.8318).abs() < 1e-3, "{r:?}");
        assert!(r.fails());
        assert_eq!(r.describe(), "failure rate 60 % (95 % interval 31–83 %, n = 10)");
        // 3 of 5: 0.2307–0.8824: the same 60 %, too few requests to say more than a warning.
        let r = Rate::of(3, 5);
        assert!((r.low - 0.2307).abs() < 1e-3 && (r.high - 0.8824).abs() < 1e-3, "{r:?}");
        assert!(!r.fails());
        assert!(!Rate::of(2, 5).fails());
        assert!(Rate::of(5, 5).fails());
        assert_eq!(Rate::of(0, 0).describe(), "failure rate 0 % (95 % interval 0–100 %, n = 0)");
    }
}
