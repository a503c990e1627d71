//! The finding model: the check ids (the one source of the report order), what a check reports
//! (status, summary, typed details, findings) and the catalogue entry (`Code`) every finding points at.
//! The bottom of the crate: it imports nothing of it.

use serde::Serialize;

use crate::details::Details;

/// Declares `CheckId` from one list: each variant with its printed id. The enum, `ALL` (report
/// order), `COUNT` and `as_str` all come from that list, so a variant cannot be left out of any of
/// them; `registry::check` matches on every variant, so one without its check does not compile.
macro_rules! check_ids {
    ($( $(#[$doc:meta])* $variant:ident = $id:literal, )+) => {
        /// A check's id. The variants' order is the report order; every list of checks derives from it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum CheckId {
            $( $(#[$doc])* $variant, )+
        }

        impl CheckId {
            /// How many checks there are.
            pub const COUNT: usize = [$($id),+].len();

            /// Every id, in report order.
            pub const ALL: [Self; Self::COUNT] = [$(Self::$variant),+];

            /// The id as printed (`dns`).
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self {
                    $( Self::$variant => $id, )+
                }
            }
        }
    };
}

check_ids! {
    /// OpenAI's status page.
    Status = "status",
    /// DNS resolution.
    Dns = "dns",
    /// TCP and TLS.
    Tls = "tls",
    /// The proxy in the path.
    Proxy = "proxy",
    /// The request payload.
    Payload = "payload",
    /// The authenticated probe.
    Probe = "probe",
    /// A streamed answer.
    Stream = "stream",
    /// Timeouts and retries.
    Timeout = "timeout",
    /// Container limits.
    Container = "container",
}

impl Serialize for CheckId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl CheckId {
    /// Parses an id (case-insensitive).
    ///
    /// # Errors
    /// Not a check id, with the list of ids.
    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL.into_iter().find(|id| id.as_str().eq_ignore_ascii_case(s.trim())).ok_or_else(|| {
            let ids: Vec<&str> = Self::ALL.iter().map(|id| id.as_str()).collect();
            format!("`{s}` is not a check id. Check ids: {}", ids.join(", "))
        })
    }
}

impl std::fmt::Display for CheckId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// `1 check`, `2 checks`: a count with its noun.
#[must_use]
pub fn plural(n: impl TryInto<i64>, word: &str) -> String {
    match n.try_into().unwrap_or(i64::MAX) {
        1 => format!("1 {word}"),
        n => format!("{n} {word}s"),
    }
}

/// The nearest-rank quantile `q` (0 < q ≤ 1) of `sorted` values; `None` when there are none.
#[must_use]
pub fn nearest_rank<T: Copy>(sorted: &[T], q: f64) -> Option<T> {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len().max(1)) - 1).copied()
}

/// Milliseconds, saturating: every duration in a report.
#[must_use]
pub fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The outcome of one check, ordered from best to worst for `worst()` comparisons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The check ran and found nothing wrong.
    Pass,
    /// The check collected facts but makes no judgement (e.g. "no proxy configured").
    Info,
    /// The check found something that plausibly causes failures.
    Warn,
    /// The check found a cause of failure.
    Fail,
    /// The check did not run: not selected, not applicable, or blocked by an earlier failure.
    Skip,
}

impl Status {
    /// The lowercase word used in every output.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Info => "info",
            Self::Warn => "warn",
            Self::Fail => "fail",
            Self::Skip => "skip",
        }
    }

    /// The report symbol (✓ pass, i info, ! warn, ✗ fail, – skip).
    #[must_use]
    pub fn symbol(self) -> &'static str {
        match self {
            Self::Pass => "✓",
            Self::Info => "i",
            Self::Warn => "!",
            Self::Fail => "✗",
            Self::Skip => "–",
        }
    }

    /// Whether a check that depends on one with this status may run.
    #[must_use]
    pub fn lets_dependents_run(self) -> bool {
        matches!(self, Self::Pass | Self::Info | Self::Warn)
    }
}

/// How serious a single finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A fact worth knowing.
    Info,
    /// Plausibly causes failures.
    Warn,
    /// A cause of failure.
    Fail,
}

impl Severity {
    /// The check status this severity implies on its own.
    #[must_use]
    pub fn status(self) -> Status {
        match self {
            Self::Info => Status::Info,
            Self::Warn => Status::Warn,
            Self::Fail => Status::Fail,
        }
    }
}

/// A catalogue entry: a stable finding code with its long explanation (`openai-doctor explain`).
#[derive(Debug)]
pub struct Code {
    /// The stable code, `<check>.<what>`, e.g. `status.major_outage`.
    pub id: &'static str,
    /// One line: what this finding means.
    pub title: &'static str,
    /// The long explanation: meaning, likely causes, how to fix, how to verify the fix.
    pub explain: &'static str,
}

/// A step of a connection to the API: what a finding can name as slow or broken (`dns` names
/// the lookup, `tls` the connect and the handshake) and what a request can die in (the probe's).
/// The verdict puts a failure down to the check that named its step first (see
/// `engine::runner::attribute`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    /// Name resolution.
    Resolve,
    /// The TCP connection.
    Connect,
    /// The TLS handshake.
    Tls,
}

impl Step {
    /// This step alone, as a finding's `steps`.
    #[must_use]
    pub fn alone(self) -> &'static [Step] {
        match self {
            Self::Resolve => &[Self::Resolve],
            Self::Connect => &[Self::Connect],
            Self::Tls => &[Self::Tls],
        }
    }

    /// What a request was doing in this step, for messages ("resolving the name").
    #[must_use]
    pub fn doing(self) -> &'static str {
        match self {
            Self::Resolve => "resolving the API's name",
            Self::Connect => "connecting (TCP)",
            Self::Tls => "in the TLS handshake",
        }
    }
}

/// One thing a check found, with its cause and its fix.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Stable code from the catalogue.
    pub code: &'static str,
    /// How serious it is.
    pub severity: Severity,
    /// What was found, with the evidence (names, numbers).
    pub message: String,
    /// What to do about it, concretely. Empty for pure information.
    pub remedy: String,
    /// The steps of a connection this finding is about: those it names as slow or broken, or
    /// those its failed requests died in. Empty for everything else. Not in the JSON report: the
    /// verdict reads it, and the messages say it in words.
    #[serde(skip)]
    pub steps: &'static [Step],
}

impl Finding {
    /// The report symbol for its severity.
    #[must_use]
    pub fn severity_symbol(&self) -> &'static str {
        self.severity.status().symbol()
    }

    /// A finding for `code` with a message and a remedy.
    #[must_use]
    pub fn new(code: &'static Code, severity: Severity, message: impl Into<String>, remedy: impl Into<String>) -> Self {
        Self { code: code.id, severity, message: message.into(), remedy: remedy.into(), steps: &[] }
    }

    /// The same finding, about `steps` of a connection (see `steps`).
    #[must_use]
    pub fn about(mut self, steps: &'static [Step]) -> Self {
        self.steps = steps;
        self
    }
}

/// What a check returns: the runner adds id, title, timing and `blocked_by`.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Overall status of the check.
    pub status: Status,
    /// One line for the report.
    pub summary: String,
    /// What the check measured, typed (for renderers, `-v` and JSON).
    pub details: Details,
    /// What the check found.
    pub findings: Vec<Finding>,
}

impl Outcome {
    /// An outcome whose status is the worst of its findings (pass when there are none).
    #[must_use]
    pub fn from_findings(summary: impl Into<String>, details: impl Into<Details>, findings: Vec<Finding>) -> Self {
        // Information does not change a status.
        let status = findings
            .iter()
            .filter(|f| f.severity != Severity::Info)
            .map(|f| f.severity.status())
            .max()
            .unwrap_or(Status::Pass);
        Self { status, summary: summary.into(), details: details.into(), findings }
    }

    /// An outcome with an explicit status.
    #[must_use]
    pub fn with_status(status: Status, summary: impl Into<String>, details: impl Into<Details>) -> Self {
        Self { status, summary: summary.into(), details: details.into(), findings: Vec::new() }
    }

    /// Names `finding` as the cause: it comes first and `summary` replaces the summary.
    #[must_use]
    pub fn cause_first(mut self, finding: Finding, summary: String) -> Self {
        let before = std::mem::take(&mut self.findings);
        self.summary = summary;
        let mut out = self.and(finding);
        out.findings.extend(before);
        out
    }

    /// Adds a finding and raises the status to match a warning or failure.
    #[must_use]
    pub fn and(mut self, finding: Finding) -> Self {
        let implied = finding.severity.status();
        if finding.severity != Severity::Info && implied > self.status && self.status != Status::Skip {
            self.status = implied;
        }
        self.findings.push(finding);
        self
    }
}

/// One check's line in the report.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    /// Check id (`status`, `dns`, ...).
    pub id: CheckId,
    /// Human title.
    pub title: &'static str,
    /// Outcome status.
    pub status: Status,
    /// One-line summary.
    pub summary: String,
    /// What the check measured, typed.
    pub details: Details,
    /// Findings with codes and remedies.
    pub findings: Vec<Finding>,
    /// The check whose failure kept this one from running.
    pub blocked_by: Option<CheckId>,
    /// Wall time of this check.
    pub duration_ms: u64,
}
