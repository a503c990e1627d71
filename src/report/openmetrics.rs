//! The run as metrics: OpenMetrics text (`--format openmetrics`, `serve`'s default) or
//! Prometheus' 0.0.4 text (`serve`, for scrapers that ask for it). One document per run, every
//! label value from a bounded set: check ids, phases, error classes, finding codes and severities
//! from the catalogue, quantiles, the API host and the root cause's check id. No request ids,
//! no free text, so a fleet's series stay countable (README: "Many machines").

use std::fmt::Write;

use openai_doctor_checks::RunReport;
use openai_doctor_checks::details::probe::Class;
use openai_doctor_checks::model::{CheckId, Status, nearest_rank};

use super::Target;

/// Which text format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// `application/openmetrics-text; version=1.0.0`: info and stateset types, units, `# EOF`.
    OpenMetrics,
    /// `text/plain; version=0.0.4`: gauges only, no `# EOF`.
    Prometheus,
}

impl Dialect {
    /// The Content-Type header for it.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
            Self::Prometheus => "text/plain; version=0.0.4; charset=utf-8",
        }
    }
}

/// The states of `openai_doctor_check_status`.
const STATES: [Status; 5] = [Status::Pass, Status::Info, Status::Warn, Status::Fail, Status::Skip];

/// A document being written: families (HELP, TYPE, UNIT) and their samples, in either dialect.
/// `serve` writes its own health with it too.
pub struct Doc {
    dialect: Dialect,
    out: String,
}

impl Doc {
    /// An empty document.
    pub fn new(dialect: Dialect) -> Self {
        Self { dialect, out: String::new() }
    }

    /// The text, with OpenMetrics' `# EOF` where it belongs.
    pub fn finish(mut self) -> String {
        if self.dialect == Dialect::OpenMetrics {
            self.out.push_str("# EOF\n");
        }
        self.out
    }

    /// HELP and TYPE (and UNIT) for a family. `kind` is the OpenMetrics type; Prometheus 0.0.4
    /// gets `gauge` for `info` and `stateset`.
    pub fn family(&mut self, name: &str, kind: &str, unit: Option<&str>, help: &str) {
        let kind = match (self.dialect, kind) {
            (Dialect::Prometheus, "info" | "stateset") => "gauge",
            _ => kind,
        };
        let name = match (self.dialect, kind) {
            // OpenMetrics names an info family without its `_info` suffix.
            (Dialect::OpenMetrics, "info") => name.trim_end_matches("_info"),
            // …and a counter family without `_total`.
            (Dialect::OpenMetrics, "counter") => name.trim_end_matches("_total"),
            _ => name,
        };
        let _ = writeln!(self.out, "# TYPE {name} {kind}");
        if let (Dialect::OpenMetrics, Some(unit)) = (self.dialect, unit) {
            let _ = writeln!(self.out, "# UNIT {name} {unit}");
        }
        let _ = writeln!(self.out, "# HELP {name} {help}");
    }

    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.out.push_str(name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                let _ = write!(self.out, "{k}=\"{}\"", escape(v));
            }
            self.out.push('}');
        }
        let _ = writeln!(self.out, " {}", number(value));
    }
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fn number(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_owned()
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        // Microseconds are the finest the doctor measures; no 0.013000000000000001.
        format!("{}", (v * 1e6).round() / 1e6)
    }
}

/// A count as a sample value (exact below 2^53, far above any limit or count read here).
#[allow(clippy::cast_precision_loss)]
fn count(n: u64) -> f64 {
    n as f64
}

#[allow(clippy::cast_precision_loss)]
fn secs(ms: u64) -> f64 {
    ms as f64 / 1000.0
}

/// The document for `run`.
pub fn render(run: &RunReport, target: &Target, dialect: Dialect) -> String {
    let mut d = Doc::new(dialect);
    let root = run.verdict.root_cause.map_or("none", |id| id.as_str());
    d.family(
        "openai_doctor_info",
        "info",
        None,
        "The doctor's version, the API host it checked, its provider (openai, azure, compatible), and the root cause (a check id, or none).",
    );
    d.sample(
        "openai_doctor_info",
        &[
            ("version", env!("CARGO_PKG_VERSION")),
            ("host", &target.host),
            ("provider", target.provider),
            ("root_cause", root),
        ],
        1.0,
    );

    d.family("openai_doctor_success", "gauge", None, "1 when no check failed (warnings allowed), else 0.");
    d.sample("openai_doctor_success", &[], f64::from(u8::from(run.verdict.root_cause.is_none())));

    d.family("openai_doctor_run_duration_seconds", "gauge", Some("seconds"), "Wall time of the run.");
    d.sample("openai_doctor_run_duration_seconds", &[], run.duration.as_secs_f64());

    d.family("openai_doctor_check_status", "stateset", None, "Each check's status: pass, info, warn, fail or skip.");
    for c in &run.checks {
        for state in STATES {
            d.sample(
                "openai_doctor_check_status",
                &[("check", c.id.as_str()), ("openai_doctor_check_status", state.as_str())],
                f64::from(u8::from(c.status == state)),
            );
        }
    }
    d.family("openai_doctor_check_duration_seconds", "gauge", Some("seconds"), "Wall time of each check.");
    for c in &run.checks {
        d.sample("openai_doctor_check_duration_seconds", &[("check", c.id.as_str())], secs(c.duration_ms));
    }

    let f = &run.facts;
    let first = f.first_request;
    let phases = [
        ("dns", f.dns_ms),
        ("connect", f.connect_ms),
        ("tls", f.handshake_ms),
        ("first_byte", first.map(|l| l.ttfb_ms)),
        ("total", first.map(|l| l.total_ms)),
    ];
    if phases.iter().any(|(_, v)| v.is_some()) {
        d.family(
            "openai_doctor_phase_duration_seconds",
            "gauge",
            Some("seconds"),
            "Time of each phase of reaching the API (as blackbox_exporter's probe_http_duration_seconds): the slowest lookup, TCP connect, TLS handshake, first byte and whole of the first successful request.",
        );
        for (phase, v) in phases {
            if let Some(ms) = v {
                d.sample("openai_doctor_phase_duration_seconds", &[("phase", phase)], secs(ms));
            }
        }
    }

    probe(&mut d, run);
    findings(&mut d, run);
    container(&mut d, run);
    d.finish()
}

fn probe(d: &mut Doc, run: &RunReport) {
    let Some(p) = run.checks.iter().find(|c| c.id == CheckId::Probe).and_then(|c| c.details.probe()) else { return };
    if p.series.is_empty() {
        return;
    }
    d.family("openai_doctor_probe_attempts", "gauge", None, "The probe's requests in this run, by outcome class.");
    for &class in Class::ALL {
        #[allow(clippy::cast_precision_loss)]
        let n = p.series.iter().filter(|a| a.class == class).count() as f64;
        d.sample("openai_doctor_probe_attempts", &[("class", class.as_str())], n);
    }
    // An answer is a status line; a request that timed out or broke got none.
    let mut answered: Vec<f64> = p.series.iter().filter(|a| a.status.is_some()).map(|a| secs(a.total_ms)).collect();
    answered.sort_by(f64::total_cmp);
    if !answered.is_empty() {
        d.family(
            "openai_doctor_probe_latency_seconds",
            "summary",
            Some("seconds"),
            "Latency of the probe's requests that got an answer (any status).",
        );
        for (q, label) in [(0.5, "0.5"), (0.95, "0.95"), (1.0, "1")] {
            let v = nearest_rank(&answered, q).unwrap_or(f64::NAN);
            d.sample("openai_doctor_probe_latency_seconds", &[("quantile", label)], v);
        }
        #[allow(clippy::cast_precision_loss)]
        let count = answered.len() as f64;
        d.sample("openai_doctor_probe_latency_seconds_count", &[], count);
        d.sample("openai_doctor_probe_latency_seconds_sum", &[], answered.iter().sum());
    }
}

fn findings(d: &mut Doc, run: &RunReport) {
    d.family(
        "openai_doctor_findings",
        "gauge",
        None,
        "Findings of this run by check, code (from `openai-doctor explain`) and severity.",
    );
    let mut counts: std::collections::BTreeMap<(&str, &str, &str), u32> = std::collections::BTreeMap::new();
    for c in &run.checks {
        for f in &c.findings {
            *counts.entry((c.id.as_str(), f.code, f.severity.status().as_str())).or_default() += 1;
        }
    }
    for ((check, code, severity), n) in &counts {
        d.sample("openai_doctor_findings", &[("check", check), ("code", code), ("severity", severity)], f64::from(*n));
    }
}

fn container(d: &mut Doc, run: &RunReport) {
    let Some(cg) =
        run.checks.iter().find(|c| c.id == CheckId::Container).and_then(|c| c.details.container()?.cgroup.as_ref())
    else {
        return;
    };
    let gauges = [
        (
            "openai_doctor_container_memory_limit_bytes",
            "bytes",
            "The cgroup's memory limit (absent: none).",
            cg.memory_limit.map(count),
        ),
        (
            "openai_doctor_container_memory_usage_bytes",
            "bytes",
            "The cgroup's memory in use.",
            cg.memory_current.map(count),
        ),
        (
            "openai_doctor_container_cpu_limit_cores",
            "",
            "The cgroup's CPU quota in cores (absent: none).",
            cg.cpu_quota_cores,
        ),
        (
            "openai_doctor_container_pids_limit",
            "",
            "The cgroup's process limit (absent: none).",
            cg.pids_max.map(count),
        ),
    ];
    for (name, unit, help, value) in gauges {
        if let Some(v) = value {
            d.family(name, "gauge", (!unit.is_empty()).then_some(unit), help);
            d.sample(name, &[], v);
        }
    }
    if let Some(n) = cg.oom_kills.map(count) {
        d.family(
            "openai_doctor_container_oom_kills_total",
            "counter",
            None,
            "OOM kills in the cgroup since it was created.",
        );
        d.sample("openai_doctor_container_oom_kills_total", &[], n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped_and_numbers_plain() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        assert_eq!(number(64.0 * 1024.0 * 1024.0), "67108864");
        assert_eq!(number(0.004), "0.004");
        assert_eq!(number(0.013_000_000_000_000_001), "0.013");
        let v = [0.001, 0.002, 0.003, 0.004, 0.1];
        assert_eq!(
            (nearest_rank(&v, 0.5), nearest_rank(&v, 0.95), nearest_rank(&v, 1.0)),
            (Some(0.003), Some(0.1), Some(0.1))
        );
        assert_eq!(nearest_rank::<f64>(&[], 0.5), None);
    }
}
