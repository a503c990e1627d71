//! The `timeout` check: is the client's per-attempt timeout longer than what the API takes, and
//! does the worst case of its retries (attempts × timeout + backoff) fit the platform's own
//! deadline (Lambda, API Gateway, Cloud Run, Cloud Functions, Azure Functions, Vercel)?
//! Recommends numbers and shows the resulting retry schedule.

use std::time::Duration;

use crate::config::{Env, SDK_DEFAULT_TIMEOUT};
use crate::details::{self, timeout::Observed, timeout::Recommended};
use crate::engine::check::{Activity, BoxFuture, Check, CheckInfo, Context};
use crate::model::{CheckId, Finding, Outcome, Severity, Status};
use crate::sdk::policy::{self, Fit, Settings};

static INFO: CheckInfo = CheckInfo {
    id: CheckId::Timeout,
    title: "Timeouts and retries",
    verifies: "your client timeout against the latency the probe measured, and the worst-case retry time against your platform's deadline",
    guide_step: "5. Check your timeouts",
    time_limit: Duration::from_secs(2),
    codes: &[&TOO_SHORT, &THIN_MARGIN, &RETRY_BUDGET, &DEFAULT_ON_SERVERLESS, &PLATFORM],
};

code!(
    TOO_SHORT,
    "timeout.too_short",
    "The client timeout is shorter than the API's latency",
    "The per-attempt timeout your application uses is below the time the API took to answer even \
the probe's tiny requests. Real completions take longer (time grows with output tokens; \
reasoning models think first), so these requests time out, are retried, and time out again: \
'Request timed out.' / APITimeoutError.\n\nFix: raise the timeout (the recommendation gives a \
number), or stream responses so the first bytes arrive early.\n\nVerify: `openai-doctor \
--timeout N` with your new value passes."
);
code!(
    THIN_MARGIN,
    "timeout.thin_margin",
    "The client timeout leaves little margin",
    "The timeout is less than three times the slowest latency observed for tiny requests. Larger \
requests and slow moments will exceed it.\n\nFix: raise the timeout; stream long responses."
);
code!(
    RETRY_BUDGET,
    "timeout.retry_budget",
    "The worst case of the retries outlasts the platform's deadline",
    "With your timeout and retry count, a request that keeps timing out takes attempts × timeout \
plus the backoff sleeps. When that exceeds the platform's deadline (Lambda's timeout, API \
Gateway's 29 s, Cloud Run's request timeout), the platform kills the function before the retries \
finish: the caller sees a 502/504 from the platform, not the SDK's error, and nothing is logged.\n\n\
Fix: lower the per-attempt timeout and/or max_retries so the schedule fits (the recommendation \
gives numbers), or raise the platform's deadline.\n\nVerify: the schedule shown ends before the deadline."
);
code!(
    DEFAULT_ON_SERVERLESS,
    "timeout.default_on_serverless",
    "The SDK's 600 s default timeout on a serverless platform",
    "The official SDKs wait up to 600 s per attempt by default. No serverless invocation lives that \
long, so a stalled request is never retried: the platform kills it first.\n\nFix: set an \
explicit timeout (OpenAI(timeout=...), new OpenAI({ timeout })) that fits the platform deadline.\n\n\
Verify: the timeout check passes with --timeout set to your value."
);
code!(
    PLATFORM,
    "timeout.platform",
    "Detected platform and its deadline (information)",
    "Where the doctor thinks it runs and what deadline that platform puts on one invocation. Run the \
doctor where your application runs (in the function, in the container) for this to be right, or \
pass --platform-deadline."
);

/// A detected runtime platform.
#[derive(Debug, Clone, PartialEq)]
pub struct Platform {
    /// Name.
    pub name: &'static str,
    /// The deadline of one invocation, when known.
    pub deadline_s: Option<f64>,
    /// Where the number comes from.
    pub source: String,
    /// A function platform that kills an invocation at its deadline (not Kubernetes, not a
    /// deadline given by hand): the SDK's 600 s default then never gets to retry.
    pub serverless: bool,
}

/// Detects the platform from the environment; `--platform-deadline` overrides the deadline.
#[must_use]
pub fn detect(env: &Env, given: Option<Duration>) -> Option<Platform> {
    let secs = |v: Option<&str>| v.and_then(|t| t.trim().parse::<f64>().ok()).filter(|s| *s > 0.0);
    let mut p = if let Some(name) = env.non_empty("AWS_LAMBDA_FUNCTION_NAME") {
        Some(Platform {
            name: "AWS Lambda",
            deadline_s: Some(3.0),
            source: format!(
                "function {name}: Lambda's timeout is not in the environment; its default is 3 s (behind API Gateway, 29 s at most). Pass --platform-deadline with the configured value"
            ),
            serverless: true,
        })
    } else if env.non_empty("FUNCTION_TARGET").is_some() || env.non_empty("FUNCTION_NAME").is_some() {
        let configured = secs(env.non_empty("FUNCTION_TIMEOUT_SEC"));
        Some(Platform {
            name: "Google Cloud Functions",
            deadline_s: configured.or(Some(60.0)),
            source: configured.map_or_else(
                || "default 60 s (FUNCTION_TIMEOUT_SEC not set)".to_owned(),
                |s| format!("FUNCTION_TIMEOUT_SEC={s}"),
            ),
            serverless: true,
        })
    } else if env.non_empty("K_SERVICE").is_some() {
        Some(Platform {
            name: "Google Cloud Run",
            deadline_s: Some(300.0),
            source: "default request timeout 300 s (configurable up to 3600 s)".to_owned(),
            serverless: true,
        })
    } else if env.non_empty("FUNCTIONS_WORKER_RUNTIME").is_some() {
        Some(Platform {
            name: "Azure Functions",
            deadline_s: Some(230.0),
            source: "HTTP triggers end at 230 s (the load balancer's idle timeout), whatever functionTimeout says"
                .to_owned(),
            serverless: true,
        })
    } else if env.non_empty("VERCEL").is_some() {
        Some(Platform { name: "Vercel", deadline_s: None, source: "maxDuration depends on the plan and settings (10-60 s classic, 300 s with Fluid compute): pass --platform-deadline".to_owned(), serverless: true })
    } else if env.non_empty("KUBERNETES_SERVICE_HOST").is_some() {
        Some(Platform {
            name: "Kubernetes",
            deadline_s: None,
            source:
                "no deadline of its own; ingress controllers usually cut requests at 60 s (nginx proxy_read_timeout)"
                    .to_owned(),
            serverless: false,
        })
    } else {
        None
    };
    if let Some(d) = given {
        let p = p.get_or_insert(Platform {
            name: "your platform",
            deadline_s: None,
            source: String::new(),
            serverless: false,
        });
        p.deadline_s = Some(d.as_secs_f64());
        p.source = "--platform-deadline".to_owned();
    }
    p
}

/// The `timeout` check.
#[derive(Debug)]
pub struct TimeoutCheck;

impl Check for TimeoutCheck {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn needs(&self, _ctx: &Context) -> &'static [CheckId] {
        &[CheckId::Probe]
    }

    fn run<'a>(&'a self, ctx: &'a Context, activity: &'a Activity) -> BoxFuture<'a, Outcome> {
        Box::pin(async move {
            activity.set_local("comparing timeouts");
            judge(ctx)
        })
    }
}

fn judge(ctx: &Context) -> Outcome {
    let cfg = &ctx.config;
    let asked = Settings::new(cfg.client_timeout, cfg.max_retries);
    let (timeout_s, retries) = (asked.timeout_s, asked.max_retries);
    let platform = detect(&cfg.env, cfg.platform_deadline);
    if let Some(p) = &platform {
        let _ = ctx.facts.platform.set(p.name);
    }
    let samples = ctx.facts.latencies.get().cloned().unwrap_or_default();
    #[allow(clippy::cast_precision_loss)]
    let slowest_s = samples.iter().map(|l| l.total_ms).max().map(|ms| ms as f64 / 1000.0);
    let worst = asked.worst_case();
    let mut details = details::timeout::Timeout {
        client_timeout_s: timeout_s,
        max_retries: retries,
        worst_case_s: worst,
        schedule: asked.schedule(),
        platform: platform.as_ref().map(|p| details::timeout::Platform {
            name: p.name.to_owned(),
            deadline_s: p.deadline_s,
            source: p.source.clone(),
        }),
        observed: samples
            .iter()
            .map(|l| Observed { what: l.what.to_owned(), ttfb_ms: l.ttfb_ms, total_ms: l.total_ms })
            .collect(),
        recommended: None,
    };
    let mut findings = Vec::new();
    if let Some(p) = &platform {
        let deadline = p.deadline_s.map_or_else(|| "unknown".to_owned(), |d| format!("{d:.0} s"));
        findings.push(Finding::new(
            &PLATFORM,
            Severity::Info,
            format!("platform: {} (deadline {deadline}: {})", p.name, p.source),
            "",
        ));
    }

    let Some(slowest) = slowest_s else {
        // The probe ran but nothing succeeded: nothing to compare against.
        return Outcome::from_findings(
            format!("no successful request to measure; worst case of your retries: {worst:.0} s"),
            details,
            findings,
        );
    };
    let mut recommended = latency_findings(timeout_s, slowest, retries, &mut findings);
    if let Some(p) = &platform {
        // Not a subtraction: a Duration below zero panics.
        let default_timeout = cfg.client_timeout == SDK_DEFAULT_TIMEOUT;
        recommended = platform_findings(p, default_timeout, asked, slowest, &mut findings).or(recommended);
    }
    if let Some(r) = recommended {
        details.recommended = Some(Recommended {
            timeout_s: r.timeout_s,
            max_retries: r.max_retries,
            schedule: r.schedule(),
            worst_case_s: r.worst_case(),
        });
    }
    let summary = format!(
        "timeout {} × {} attempts (worst case {worst:.1} s) vs slowest observed {:.0} ms{}",
        secs(timeout_s),
        retries + 1,
        slowest * 1000.0,
        platform
            .as_ref()
            .and_then(|p| p.deadline_s.map(|d| format!(", {} deadline {d:.0} s", p.name)))
            .unwrap_or_default()
    );
    let out = Outcome::from_findings(summary, details, findings);
    debug_assert!(out.status != Status::Skip);
    out
}

/// The per-attempt timeout against the slowest tiny request: the settings to recommend, if any.
fn latency_findings(timeout_s: f64, slowest: f64, retries: u32, findings: &mut Vec<Finding>) -> Option<Settings> {
    let floor = (slowest * 3.0).max(10.0).ceil();
    if timeout_s < slowest {
        findings.push(Finding::new(
            &TOO_SHORT,
            Severity::Fail,
            format!(
                "your {} timeout is shorter than the {slowest:.1} s the API took for a tiny request",
                secs(timeout_s)
            ),
            format!("Raise the per-attempt timeout to at least {floor:.0} s (or stream responses)."),
        ));
        Some(Settings { timeout_s: floor, max_retries: retries })
    } else if timeout_s < slowest * 3.0 {
        findings.push(Finding::new(
            &THIN_MARGIN,
            Severity::Warn,
            format!("your {} timeout is less than 3× the {slowest:.1} s a tiny request took; larger requests will exceed it", secs(timeout_s)),
            format!("Raise the per-attempt timeout to {floor:.0} s or more; stream long responses."),
        ));
        Some(Settings { timeout_s: floor, max_retries: retries })
    } else {
        None
    }
}

/// The retries' worst case against the platform's deadline, and the SDK's default timeout on a
/// function platform: the settings that fit (sized by the one retry policy), if a change is needed.
fn platform_findings(
    p: &Platform,
    default_timeout: bool,
    asked: Settings,
    slowest: f64,
    findings: &mut Vec<Finding>,
) -> Option<Settings> {
    if default_timeout && p.serverless {
        findings.push(Finding::new(
            &DEFAULT_ON_SERVERLESS,
            Severity::Warn,
            format!("{} with the SDK's default {} per-attempt timeout: a stalled request is never retried before the platform kills it", p.name, secs(SDK_DEFAULT_TIMEOUT.as_secs_f64())),
            "Set an explicit timeout that fits the platform's deadline (OpenAI(timeout=...), new OpenAI({ timeout })).",
        ));
    }
    let worst = asked.worst_case();
    let deadline = p.deadline_s.filter(|&d| worst > d)?;
    let sized = policy::size(asked, Some(deadline), Some(slowest));
    let c = sized.chosen;
    let (t, r) = (secs(c.timeout_s), c.max_retries);
    let ends = format!("{} (ends by {:.1} s, within {})", c.schedule(), sized.worst_s, secs(deadline));
    let (remedy, fix) = match sized.fit {
        Fit::Impossible => (
            format!(
                "No attempt fits {} once {} are kept for the rest of the invocation: raise the platform's deadline.",
                secs(deadline),
                secs(policy::margin(deadline))
            ),
            None,
        ),
        Fit::BelowFloor => (
            format!(
                "Only timeout={t} with max_retries={r} fits: {ends}, shorter than the {} a completion needs here: raise the platform's deadline, or stream responses.",
                secs(sized.floor_s)
            ),
            Some(c),
        ),
        Fit::Cut | Fit::AsAsked | Fit::NoDeadline => {
            (format!("Use timeout={t} with max_retries={r}: {ends}."), Some(c))
        }
    };
    findings.push(Finding::new(
        &RETRY_BUDGET,
        Severity::Fail,
        format!("worst case {worst:.1} s ({} attempts × {} + backoff) exceeds {} of {}: the function is killed before the retries finish", asked.max_retries + 1, secs(asked.timeout_s), deadline_of(p), secs(deadline)),
        remedy,
    ));
    fix
}

/// "the AWS Lambda deadline", "your platform's deadline" (a name that has its own article).
fn deadline_of(p: &Platform) -> String {
    if p.name.starts_with("your ") { format!("{}'s deadline", p.name) } else { format!("the {} deadline", p.name) }
}

fn secs(s: f64) -> String {
    if (s - s.round()).abs() < 1e-9 { format!("{s:.0} s") } else { format!("{s:.1} s") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget_finding(name: &'static str, deadline: f64, slowest: f64) -> (Finding, Option<Settings>) {
        let p = Platform { name, deadline_s: Some(deadline), source: String::new(), serverless: false };
        let mut findings = Vec::new();
        let fix = platform_findings(&p, false, Settings::SDK_DEFAULTS, slowest, &mut findings);
        (findings.pop().expect("a retry budget finding"), fix)
    }

    #[test]
    fn the_retry_budget_finding_reads_well_and_uses_the_policy() {
        let (f, fix) = budget_finding("your platform", 30.0, 0.2);
        assert!(f.message.contains("exceeds your platform's deadline of 30 s"), "{}", f.message);
        assert!(!f.message.contains("the your"), "{}", f.message);
        assert_eq!(fix, Some(policy::size(Settings::SDK_DEFAULTS, Some(30.0), Some(0.2)).chosen));
        assert!(f.remedy.starts_with("Use timeout=8 s with max_retries=2: attempt 1"), "{}", f.remedy);
        let (f, _) = budget_finding("AWS Lambda", 29.0, 0.2);
        assert!(f.message.contains("exceeds the AWS Lambda deadline of 29 s"), "{}", f.message);
        // 3 s: only one short attempt fits, and the remedy says it is short.
        let (f, fix) = budget_finding("AWS Lambda", 3.0, 0.2);
        assert_eq!(fix, Some(Settings { timeout_s: 2.0, max_retries: 0 }));
        assert!(f.remedy.starts_with("Only timeout=2 s with max_retries=0 fits"), "{}", f.remedy);
        let (f, fix) = budget_finding("AWS Lambda", 1.5, 0.2);
        assert_eq!(fix, None);
        assert!(f.remedy.contains("No attempt fits 1.5 s once 1 s are kept"), "{}", f.remedy);
    }

    #[test]
    fn platforms_are_detected() {
        let env = Env::from_pairs([("AWS_LAMBDA_FUNCTION_NAME", "f")]);
        assert_eq!(detect(&env, None).unwrap().deadline_s, Some(3.0));
        assert_eq!(detect(&env, Some(Duration::from_secs(29))).unwrap().deadline_s, Some(29.0));
        let env = Env::from_pairs([("K_SERVICE", "svc"), ("FUNCTION_TARGET", "main"), ("FUNCTION_TIMEOUT_SEC", "120")]);
        let p = detect(&env, None).unwrap();
        assert_eq!((p.name, p.deadline_s), ("Google Cloud Functions", Some(120.0)));
        assert_eq!(detect(&Env::from_pairs([("K_SERVICE", "svc")]), None).unwrap().name, "Google Cloud Run");
        assert_eq!(detect(&Env::from_pairs([("VERCEL", "1")]), None).unwrap().deadline_s, None);
        assert!(detect(&Env::default(), None).is_none());
        assert_eq!(detect(&Env::default(), Some(Duration::from_secs(10))).unwrap().name, "your platform");
    }
}
