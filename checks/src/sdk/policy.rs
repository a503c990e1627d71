//! The one retry policy: the SDKs' defaults and backoff schedule, the worst case of a call that
//! times out on every attempt, and the sizing of a timeout and retry count to a platform's
//! deadline. The timeout check's advice, `recipe` and `simulate`'s audit all size here, so they
//! give the same numbers for the same deadline (tests/it/policy.rs proves it on the binary).

use std::fmt::Write as _;
use std::time::Duration;

/// The official SDKs' per-attempt timeout (openai-python `DEFAULT_TIMEOUT`, openai-node
/// `DEFAULT_TIMEOUT`: 600 s).
pub const SDK_DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);
/// openai-python's connect timeout under its default timeout (`DEFAULT_TIMEOUT =
/// httpx.Timeout(timeout=600, connect=5.0)`).
pub const SDK_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The connect timeout of an app whose per-attempt timeout is `client_timeout`, as openai-python
/// gives it: 5 s under the SDK's default; otherwise the app's own timeout, since `timeout=1.0`
/// becomes `httpx.Timeout(1.0)`, which gives 1.0 to every phase, connecting included
/// (`httpx.Timeout(20.0)` has `connect=20.0`). An app that sets exactly 600 s cannot be told from
/// the default: it is taken as the default.
#[must_use]
pub fn connect_timeout(client_timeout: Duration) -> Duration {
    if client_timeout == SDK_DEFAULT_TIMEOUT { SDK_CONNECT_TIMEOUT } else { client_timeout }
}

/// The official SDKs' default retry count (3 attempts in all).
pub const SDK_DEFAULT_MAX_RETRIES: u32 = 2;
/// The shortest per-attempt timeout worth recommending when nothing was measured: below it an
/// ordinary completion fails before it is done.
pub const SHORTEST_TIMEOUT_S: f64 = 5.0;
/// The smallest margin kept under a deadline for the work around the call, seconds.
pub const MIN_MARGIN_S: f64 = 1.0;
/// The share of a deadline kept for the work around the call (above `MIN_MARGIN_S`).
pub const MARGIN_SHARE: f64 = 0.1;

/// A client's retry settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// Per-attempt timeout, seconds (> 0).
    pub timeout_s: f64,
    /// Retries after the first attempt.
    pub max_retries: u32,
}

impl Settings {
    /// The SDKs' defaults: 600 s, 2 retries.
    pub const SDK_DEFAULTS: Self =
        Self { timeout_s: SDK_DEFAULT_TIMEOUT.as_secs_f64(), max_retries: SDK_DEFAULT_MAX_RETRIES };

    /// Settings from a timeout and a retry count.
    #[must_use]
    pub fn new(timeout: Duration, max_retries: u32) -> Self {
        Self { timeout_s: timeout.as_secs_f64(), max_retries }
    }

    /// Worst case of a call that times out on every attempt: attempts × timeout plus every
    /// backoff sleep at its longest.
    #[must_use]
    pub fn worst_case(&self) -> f64 {
        f64::from(self.max_retries + 1) * self.timeout_s + backoff_total(self.max_retries)
    }

    /// "attempt 1: 0.0–5.0 s; wait ≤ 0.5 s; attempt 2: 5.5–10.5 s; ..."
    #[must_use]
    pub fn schedule(&self) -> String {
        let mut t = 0.0;
        let mut out = String::new();
        for i in 0..=self.max_retries {
            if i > 0 {
                let w = longest_backoff(i - 1);
                let _ = write!(out, "; wait ≤ {w:.1} s; ");
                t += w;
            }
            let _ = write!(out, "attempt {}: {t:.1}–{:.1} s", i + 1, t + self.timeout_s);
            t += self.timeout_s;
        }
        out
    }
}

/// The longest backoff sleep before retry `n` (0-based): the SDKs' 0.5 s doubling to 8 s,
/// without the jitter that only ever shortens it.
#[must_use]
pub fn longest_backoff(n: u32) -> f64 {
    super::backoff(None, i64::from(n), 0.0)
}

/// The longest total backoff of `retries` retries (0 for none: a plain zero, never `-0`).
#[must_use]
pub fn backoff_total(retries: u32) -> f64 {
    (0..retries).map(longest_backoff).fold(0.0, |a, b| a + b)
}

/// The room kept under `deadline_s` for the work around the call: 10 %, at least 1 s.
#[must_use]
pub fn margin(deadline_s: f64) -> f64 {
    (deadline_s * MARGIN_SHARE).max(MIN_MARGIN_S)
}

/// The shortest per-attempt timeout to recommend: 5 s, or twice the slowest request measured
/// when that is longer (whole seconds).
#[must_use]
pub fn shortest_timeout(slowest_observed_s: Option<f64>) -> f64 {
    slowest_observed_s.map_or(SHORTEST_TIMEOUT_S, |s| (2.0 * s).ceil().max(SHORTEST_TIMEOUT_S))
}

/// How the sized settings relate to the deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    /// No deadline was given: the settings are as asked.
    NoDeadline,
    /// The settings asked for already fit under the deadline's margin.
    AsAsked,
    /// Cut (timeout first, then retries) to fit, keeping a useful timeout.
    Cut,
    /// Only one attempt shorter than the useful timeout fits: it may cut normal completions.
    BelowFloor,
    /// Not even one attempt fits under the margin.
    Impossible,
}

/// Settings sized to a deadline, with their worst case.
#[derive(Debug, Clone, PartialEq)]
pub struct Sizing {
    /// What the caller asked for.
    pub asked: Settings,
    /// What fits (equal to `asked` unless cut).
    pub chosen: Settings,
    /// The platform's deadline, seconds.
    pub deadline_s: Option<f64>,
    /// The deadline less the margin, seconds.
    pub budget_s: Option<f64>,
    /// The shortest timeout the sizing kept when cutting.
    pub floor_s: f64,
    /// `chosen`'s worst case.
    pub worst_s: f64,
    /// How `chosen` relates to the deadline.
    pub fit: Fit,
}

/// Sizes `asked` to fit `deadline_s` less its margin: while the worst case is over the budget,
/// the timeout is cut (to whole seconds, never above what was asked, never below
/// `shortest_timeout(slowest)` or the asked timeout if that is shorter), then the retries. When
/// no retry count keeps the timeout at that floor, one attempt as long as the budget allows.
#[must_use]
pub fn size(asked: Settings, deadline_s: Option<f64>, slowest_observed_s: Option<f64>) -> Sizing {
    let floor = shortest_timeout(slowest_observed_s);
    let done = |chosen: Settings, budget: Option<f64>, fit: Fit| Sizing {
        asked,
        chosen,
        deadline_s,
        budget_s: budget,
        floor_s: floor,
        worst_s: chosen.worst_case(),
        fit,
    };
    let Some(deadline) = deadline_s else { return done(asked, None, Fit::NoDeadline) };
    let budget = deadline - margin(deadline);
    if asked.worst_case() <= budget {
        return done(asked, Some(budget), Fit::AsAsked);
    }
    let keep = floor.min(asked.timeout_s);
    // The asked timeout when it fits as is, else whole seconds (what people write in config).
    let timeout = |room: f64| if asked.timeout_s <= room { asked.timeout_s } else { room.floor() };
    for retries in (0..=asked.max_retries).rev() {
        let t = timeout((budget - backoff_total(retries)) / f64::from(retries + 1));
        if t >= keep {
            return done(Settings { timeout_s: t, max_retries: retries }, Some(budget), Fit::Cut);
        }
    }
    let t = timeout(budget);
    if t > 0.0 {
        done(Settings { timeout_s: t, max_retries: 0 }, Some(budget), Fit::BelowFloor)
    } else {
        done(Settings { timeout_s: asked.timeout_s.min(1.0), max_retries: 0 }, Some(budget), Fit::Impossible)
    }
}

/// A number of seconds as the Python SDK takes it: `8.0`, `0.25`, `0.001` (rounded up to the
/// millisecond, so never `0.0`).
#[must_use]
pub fn python_seconds(s: f64) -> String {
    let ms = (s * 1000.0).ceil().max(1.0);
    if ms % 1000.0 == 0.0 { format!("{:.1}", ms / 1000.0) } else { format!("{}", ms / 1000.0) }
}

/// A number of seconds as milliseconds, the Node SDK's unit (rounded up, at least 1).
#[must_use]
pub fn node_millis(s: f64) -> f64 {
    (s * 1000.0).ceil().max(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sized(deadline: Option<f64>) -> (f64, u32, f64, Fit) {
        let s = size(Settings::SDK_DEFAULTS, deadline, None);
        (s.chosen.timeout_s, s.chosen.max_retries, s.worst_s, s.fit)
    }

    #[test]
    fn the_sdk_defaults_sized_to_common_deadlines() {
        assert_eq!(sized(None), (600.0, 2, 1801.5, Fit::NoDeadline));
        // Lambda's default: 1 s of margin, one 2 s attempt, shorter than a completion needs.
        assert_eq!(sized(Some(3.0)), (2.0, 0, 2.0, Fit::BelowFloor));
        // Three attempts would leave 2 s each, two 4 s: one attempt of 9 s.
        assert_eq!(sized(Some(10.0)), (9.0, 0, 9.0, Fit::Cut));
        // API Gateway (29 s) and 30 s: 3 × 8 s + 1.5 s of backoff.
        assert_eq!(sized(Some(29.0)), (8.0, 2, 25.5, Fit::Cut));
        assert_eq!(sized(Some(30.0)), (8.0, 2, 25.5, Fit::Cut));
        assert_eq!(sized(Some(60.0)), (17.0, 2, 52.5, Fit::Cut));
        assert_eq!(sized(Some(900.0)), (269.0, 2, 808.5, Fit::Cut));
        assert_eq!(sized(Some(1.5)), (1.0, 0, 1.0, Fit::Impossible));
        assert_eq!(sized(Some(3600.0)), (600.0, 2, 1801.5, Fit::AsAsked));
    }

    #[test]
    fn schedules_and_worst_cases() {
        assert!((Settings::SDK_DEFAULTS.worst_case() - 1801.5).abs() < 1e-9);
        assert_eq!(
            Settings { timeout_s: 5.0, max_retries: 2 }.schedule(),
            "attempt 1: 0.0–5.0 s; wait ≤ 0.5 s; attempt 2: 5.5–10.5 s; wait ≤ 1.0 s; attempt 3: 11.5–16.5 s"
        );
        assert!((longest_backoff(10) - 8.0).abs() < 1e-9);
        assert!(backoff_total(0).is_sign_positive(), "no retries: 0, not -0");
        assert_eq!(format!("{}", backoff_total(0)), "0");
    }

    #[test]
    fn a_measured_latency_raises_the_floor() {
        // 4 s measured: an 8 s floor, which three attempts of 8 s still meet.
        let s = size(Settings::SDK_DEFAULTS, Some(30.0), Some(4.0));
        assert_eq!((s.chosen.timeout_s, s.chosen.max_retries, s.floor_s), (8.0, 2, 8.0));
        let s = size(Settings::SDK_DEFAULTS, Some(30.0), Some(6.0));
        assert_eq!((s.chosen.timeout_s, s.chosen.max_retries, s.fit), (13.0, 1, Fit::Cut));
    }

    #[test]
    fn never_longer_than_asked_and_never_zero() {
        let s = size(Settings { timeout_s: 0.001, max_retries: 0 }, Some(0.001), None);
        assert!(s.chosen.timeout_s > 0.0 && s.chosen.timeout_s <= 0.001, "{s:?}");
        let s = size(Settings { timeout_s: 2.0, max_retries: 5 }, Some(10.0), None);
        assert!(s.chosen.timeout_s <= 2.0 && s.worst_s <= 9.0, "{s:?}");
        assert_eq!(python_seconds(0.001), "0.001");
        assert_eq!(python_seconds(0.0001), "0.001");
        assert_eq!(python_seconds(8.0), "8.0");
        assert_eq!(python_seconds(2.5), "2.5");
        assert!((node_millis(0.0004) - 1.0).abs() < 1e-9);
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(crate::fuzz::cases(2000)))]

            #[test]
            fn sizing_fits_or_says_why(t in 0.001f64..86_400.0, n in 0u32..100, d in proptest::option::of(0.001f64..86_400.0), slow in proptest::option::of(0.0f64..100.0)) {
                let s = size(Settings { timeout_s: t, max_retries: n }, d, slow);
                prop_assert!(s.chosen.timeout_s > 0.0 && s.chosen.timeout_s <= t);
                prop_assert!(s.chosen.max_retries <= n);
                prop_assert!((s.worst_s - s.chosen.worst_case()).abs() < 1e-9);
                match s.fit {
                    Fit::NoDeadline => prop_assert!(d.is_none() && s.chosen == s.asked),
                    Fit::AsAsked | Fit::Cut | Fit::BelowFloor => prop_assert!(s.worst_s <= s.budget_s.unwrap() + 1e-9),
                    Fit::Impossible => prop_assert!(s.budget_s.unwrap() < 1.0),
                }
            }
        }
    }
}
