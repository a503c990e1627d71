//! The official SDKs' retry policy, reproduced exactly (openai-python `_base_client.py` at v2.52+):
//! which answers are retried (`x-should-retry`, 408, 409, 429, 5xx; never a `Retry-After` above
//! 120 s), how long to wait (`retry-after-ms`, `retry-after` in seconds or as an HTTP date, else
//! 0.5 s doubling to 8 s with 0–25% jitter). `policy` sizes a client's settings from these.

pub mod policy;

/// Base of the exponential backoff, seconds.
pub const INITIAL_RETRY_DELAY: f64 = 0.5;
/// Cap of the exponential backoff, seconds.
pub const MAX_RETRY_DELAY: f64 = 8.0;
/// Largest server-directed wait honoured, seconds (Python v2.52+; before: 60).
pub const MAX_RETRY_AFTER: f64 = 120.0;

/// Parses a number the way Python's `float()` does for these headers: surrounding white space,
/// `inf`/`infinity`/`nan` in any case, exponents, underscores between digits.
#[must_use]
pub fn python_float(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    // Python allows single underscores between digits ("1_000"); nowhere else.
    let cleaned = if t.contains('_') {
        let b = t.as_bytes();
        for (i, c) in b.iter().enumerate() {
            if *c == b'_' && !(i > 0 && i + 1 < b.len() && b[i - 1].is_ascii_digit() && b[i + 1].is_ascii_digit()) {
                return None;
            }
        }
        t.replace('_', "")
    } else {
        t.to_owned()
    };
    cleaned.parse::<f64>().ok()
}

const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses an HTTP date like Python's `email.utils.parsedate_tz` + `mktime_tz`: the weekday is
/// ignored; `GMT`, `UTC`, `Z` or `±hhmm` zones; years past 9999 fail (Python overflows there).
#[must_use]
pub fn http_date_unix(s: &str) -> Option<i64> {
    let mut words: Vec<&str> = s.split_whitespace().collect();
    if words.first().is_some_and(|w| w.ends_with(',') || w.chars().all(char::is_alphabetic)) && words.len() > 5 {
        words.remove(0);
    }
    let [day, month, year, time, zone, ..] = words.as_slice() else { return None };
    let day: i64 = day.parse().ok().filter(|d| (1..=31).contains(d))?;
    let month = i64::try_from(MONTHS.iter().position(|m| month.to_ascii_lowercase().starts_with(m))?).ok()? + 1;
    let mut year: i64 = year.parse().ok()?;
    if year < 100 {
        year += if year > 68 { 1900 } else { 2000 };
    }
    if !(1..=9999).contains(&year) {
        return None;
    }
    let hms: Vec<i64> = time.split(':').map(str::parse).collect::<Result<_, _>>().ok()?;
    let (h, mi, sec) = match hms.as_slice() {
        [h, m] => (*h, *m, 0),
        [h, m, s] => (*h, *m, *s),
        _ => return None,
    };
    if h > 23 || mi > 59 || sec > 61 || h < 0 || mi < 0 || sec < 0 {
        return None;
    }
    let offset = match zone.to_ascii_uppercase().as_str() {
        "GMT" | "UTC" | "UT" | "Z" => 0,
        z if (z.starts_with('+') || z.starts_with('-')) && z.len() == 5 => {
            let n: i64 = z[1..].parse().ok()?;
            let secs = (n / 100) * 3600 + (n % 100) * 60;
            if z.starts_with('-') { -secs } else { secs }
        }
        _ => return None,
    };
    Some(days_from_civil(year, month, day) * 86_400 + h * 3600 + mi * 60 + sec - offset)
}

/// Header lookup, case-insensitive.
pub trait Headers {
    /// A header's value.
    fn get(&self, name: &str) -> Option<&str>;
}

impl Headers for [(&str, &str)] {
    fn get(&self, name: &str) -> Option<&str> {
        self.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| *v)
    }
}

impl Headers for reqwest::header::HeaderMap {
    fn get(&self, name: &str) -> Option<&str> {
        reqwest::header::HeaderMap::get(self, name).and_then(|v| v.to_str().ok())
    }
}

/// The server-directed wait in seconds (may be negative, infinite or NaN, as in the SDK).
/// `now` is Unix seconds.
#[must_use]
pub fn parse_retry_after(headers: &(impl Headers + ?Sized), now: f64) -> Option<f64> {
    if let Some(ms) = headers.get("retry-after-ms").and_then(python_float) {
        return Some(ms / 1000.0);
    }
    let value = headers.get("retry-after")?;
    if let Some(secs) = python_float(value) {
        return Some(secs);
    }
    #[allow(clippy::cast_precision_loss)]
    http_date_unix(value).map(|t| t as f64 - now)
}

/// The wait before the next attempt, in seconds, from an already parsed `Retry-After` (honoured
/// when finite and in (0, 120]) and the number of retries already taken (0.5 s doubling to 8 s,
/// shortened by 0-25% jitter; `random` in [0, 1)).
#[must_use]
pub fn backoff(retry_after: Option<f64>, retries_taken: i64, random: f64) -> f64 {
    if let Some(ra) = retry_after
        && ra.is_finite()
        && ra > 0.0
        && ra <= MAX_RETRY_AFTER
    {
        return ra;
    }
    let nb = retries_taken.clamp(0, 1000);
    let sleep = (INITIAL_RETRY_DELAY * 2f64.powi(i32::try_from(nb).unwrap_or(1000))).min(MAX_RETRY_DELAY);
    let jitter = 1.0 - 0.25 * random;
    (sleep * jitter).max(0.0)
}

/// Whether the SDK retries this answer.
#[must_use]
pub fn should_retry(status: u16, headers: &(impl Headers + ?Sized), now: f64) -> bool {
    if let Some(ra) = parse_retry_after(headers, now)
        && ra.is_finite()
        && ra > MAX_RETRY_AFTER
    {
        return false;
    }
    match headers.get("x-should-retry") {
        Some("true") => return true,
        Some("false") => return false,
        _ => {}
    }
    matches!(status, 408 | 409 | 429) || status >= 500
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `time.time()` in the SDK's test: Fri, 29 Sep 2023 16:26:37 UTC.
    const NOW: f64 = 1_696_004_797.0;

    /// The SDK's `_calculate_retry_timeout(remaining_retries, options, headers)`, composed the
    /// way the probe composes it.
    fn retry_delay(remaining: i64, max_retries: i64, headers: &[(&str, &str)], now: f64, random: f64) -> f64 {
        backoff(parse_retry_after(headers, now), max_retries - remaining, random)
    }

    /// openai-python `tests/test_client.py::test_parse_retry_after_header` (v2.52+), verbatim:
    /// `[remaining_retries, retry_after, expected]`, with `max_retries=3`.
    const SDK_TABLE: &[(i64, &str, f64)] = &[
        (3, "20", 20.0),
        (3, "0", 0.5),
        (3, "-10", 0.5),
        (3, "60", 60.0),
        (3, "61", 61.0),
        (3, "120", 120.0),
        (3, "121", 0.5),
        (3, "Fri, 29 Sep 2023 16:26:57 GMT", 20.0),
        (3, "Fri, 29 Sep 2023 16:26:37 GMT", 0.5),
        (3, "Fri, 29 Sep 2023 16:26:27 GMT", 0.5),
        (3, "Fri, 29 Sep 2023 16:27:37 GMT", 60.0),
        (3, "Fri, 29 Sep 2023 16:27:38 GMT", 61.0),
        (3, "Fri, 29 Sep 2023 16:28:37 GMT", 120.0),
        (3, "Fri, 29 Sep 2023 16:28:38 GMT", 0.5),
        (3, "99999999999999999999999999999999999", 0.5),
        (3, "inf", 0.5),
        (3, "nan", 0.5),
        (3, "Zun, 29 Sep 2023 16:26:27 GMT", 0.5),
        (3, "Fri, 29 Sep 100000 16:26:57 GMT", 0.5),
        (3, "", 0.5),
        (2, "", 0.5 * 2.0),
        (1, "", 0.5 * 4.0),
        (-1100, "", 8.0),
    ];

    #[test]
    fn sdk_retry_after_table_is_exact_without_jitter() {
        for (remaining, value, expected) in SDK_TABLE {
            let headers: &[(&str, &str)] = &[("retry-after", value)];
            let got = retry_delay(*remaining, 3, headers, NOW, 0.0);
            assert!((got - expected).abs() < 1e-9, "{value:?} with {remaining} left: got {got}, want {expected}");
        }
    }

    #[test]
    fn sdk_retry_after_table_holds_within_the_sdk_tolerance_with_jitter() {
        // The SDK asserts pytest.approx(expected, 0.5 * 0.875): jitter only ever shortens backoff.
        for (remaining, value, expected) in SDK_TABLE {
            let headers: &[(&str, &str)] = &[("retry-after", value)];
            for random in [0.0, 0.5, 0.999] {
                let got = retry_delay(*remaining, 3, headers, NOW, random);
                assert!((got - expected).abs() <= expected * 0.4375, "{value:?}: {got} vs {expected}");
                assert!(got <= *expected + 1e-9, "{value:?}: jitter never lengthens: {got}");
            }
        }
    }

    /// openai-python `test_retry_after_max_delay` (status 429), verbatim.
    #[test]
    fn sdk_max_delay_table() {
        for (headers, retry) in [
            (&[("retry-after", "120")][..], true),
            (&[("retry-after", "121")][..], false),
            (&[("retry-after-ms", "120000")][..], true),
            (&[("retry-after-ms", "120001")][..], false),
            (&[("retry-after", "Fri, 29 Sep 2023 16:28:37 GMT")][..], true),
            (&[("retry-after", "Fri, 29 Sep 2023 16:28:38 GMT")][..], false),
        ] {
            assert_eq!(should_retry(429, headers, NOW), retry, "{headers:?}");
        }
    }

    #[test]
    fn should_retry_follows_the_sdk_order() {
        let none: &[(&str, &str)] = &[];
        for s in [408, 409, 429, 500, 502, 503, 504] {
            assert!(should_retry(s, none, NOW), "{s}");
        }
        for s in [400, 401, 403, 404, 422] {
            assert!(!should_retry(s, none, NOW), "{s}");
        }
        assert!(should_retry(400, &[("x-should-retry", "true")][..], NOW));
        assert!(!should_retry(500, &[("x-should-retry", "false")][..], NOW));
        assert!(should_retry(500, &[("x-should-retry", "False")][..], NOW), "exact string compare");
        // An invalid date must not hide the status error (no retry for 400).
        assert!(!should_retry(400, &[("retry-after", "Fri, 29 Sep 100000 16:26:57 GMT")][..], NOW));
    }

    #[test]
    fn retry_after_ms_wins_and_falls_through_when_invalid() {
        assert_eq!(parse_retry_after(&[("retry-after-ms", "1500"), ("retry-after", "9")][..], NOW), Some(1.5));
        assert_eq!(parse_retry_after(&[("retry-after-ms", "soon"), ("retry-after", "9")][..], NOW), Some(9.0));
        assert_eq!(parse_retry_after(&[("Retry-After", " 2.5 ")][..], NOW), Some(2.5));
        assert_eq!(python_float("1_000"), Some(1000.0));
        assert_eq!(python_float("1__0"), None);
        assert_eq!(python_float("_1"), None);
    }

    #[test]
    fn http_dates() {
        assert_eq!(http_date_unix("Fri, 29 Sep 2023 16:26:37 GMT"), Some(1_696_004_797));
        assert_eq!(http_date_unix("29 Sep 2023 16:26:37 +0100"), Some(1_696_004_797 - 3600));
        assert_eq!(http_date_unix("Sun, 06 Nov 1994 08:49:37 GMT"), Some(784_111_777));
        assert_eq!(http_date_unix("Fri, 29 Sep 2023 16:26 GMT"), Some(1_696_004_760));
        assert_eq!(http_date_unix("Fri, 31 Xyz 2023 16:26:37 GMT"), None);
        assert_eq!(http_date_unix("tomorrow"), None);
    }

    mod props {
        use super::super::*;
        use super::retry_delay;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(crate::fuzz::cases(2000)))]

            #[test]
            fn parsers_never_panic(s in "\\PC{0,40}") {
                let _ = http_date_unix(&s);
                let _ = python_float(&s);
                let h: &[(&str, &str)] = &[("retry-after", &s), ("retry-after-ms", &s), ("x-should-retry", &s)];
                let d = retry_delay(2, 2, h, 1e9, 0.3);
                prop_assert!(d.is_finite() && (0.0..=120.0).contains(&d));
                let _ = should_retry(500, h, 1e9);
            }

            #[test]
            fn backoff_is_bounded_and_monotone(remaining in -2000i64..10, random in 0.0f64..1.0) {
                let none: &[(&str, &str)] = &[];
                let d = retry_delay(remaining, 10, none, 0.0, random);
                prop_assert!((0.375..=8.0).contains(&d));
                let next = retry_delay(remaining - 1, 10, none, 0.0, 0.0);
                prop_assert!(next + 1e-9 >= retry_delay(remaining, 10, none, 0.0, 0.0));
            }
        }
    }
}
