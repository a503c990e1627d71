//! The timeout check's details: the client's timeout and retries, their worst case and schedule,
//! the platform's deadline, the latencies the probe observed, and the recommendation.

use serde::{Deserialize, Serialize};

/// The timeout check's details.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timeout {
    /// The client's timeout per attempt.
    pub client_timeout_s: f64,
    /// Its retries.
    pub max_retries: u32,
    /// Every attempt timing out, with the SDKs' backoff between them.
    pub worst_case_s: f64,
    /// When each attempt starts and ends in that worst case.
    pub schedule: String,
    /// The platform detected, or null.
    pub platform: Option<Platform>,
    /// Latencies of the probe's successful requests.
    pub observed: Vec<Observed>,
    /// A timeout and retries that fit what was observed and the platform's deadline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recommended: Option<Recommended>,
}

/// A detected platform.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Platform {
    /// Its name.
    pub name: String,
    /// The deadline of one invocation, when known.
    pub deadline_s: Option<f64>,
    /// Where the number comes from.
    pub source: String,
}

/// One successful request of the probe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Observed {
    /// `models` or `chat`.
    pub what: String,
    /// Time to the response head.
    pub ttfb_ms: u64,
    /// Time to the end of the body.
    pub total_ms: u64,
}

/// The recommended settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recommended {
    /// Timeout per attempt.
    pub timeout_s: f64,
    /// Retries.
    pub max_retries: u32,
    /// Their schedule.
    pub schedule: String,
    /// Their worst case.
    pub worst_case_s: f64,
}
