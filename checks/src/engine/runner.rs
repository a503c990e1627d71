//! The runner: runs the selected checks concurrently, each as soon as what it needs has passed,
//! within its own time limit and the run deadline; turns panics into `internal` failures;
//! marks blocked checks `skip` with `blocked_by`; and names the root cause.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::watch;

use crate::details::{Details, TimedOut};
use crate::engine::check::{Activity, Check, CheckInfo, Context};
use crate::model::millis;
use crate::model::{CheckId, CheckReport, Code, Finding, Outcome, Severity, Status, Step};
use crate::net::context::{RequestRecord, now_rfc3339};
use crate::secret::Redactor;

/// A check failed because of a bug in openai-doctor itself.
pub static INTERNAL: Code = Code {
    id: "internal",
    title: "The check crashed: a bug in openai-doctor",
    explain: "A check stopped with an unexpected error inside openai-doctor. This says nothing \
about your setup; the other checks still ran and their results stand.\n\nFix: run again with -v \
and report the output (it is redacted) at the project's issue tracker.\n\nVerify: the check \
reports pass, warn or fail instead of `internal` after upgrading.",
};

/// A check ran out of time.
pub static TIMED_OUT: Code = Code {
    id: "timed_out",
    title: "The check did not finish within its time limit or the run deadline",
    explain: "The check was still waiting for the network (or another resource) when its time \
limit or the run's --deadline ran out. The finding names what it was waiting for: that is the \
step that hangs, and the same step hangs in your application, which with the SDK defaults waits \
up to 600 s per attempt.\n\nLikely causes: a firewall that drops packets instead of rejecting \
them, a proxy that accepts connections and never answers, a DNS server that does not answer.\n\n\
Fix: see the step it was waiting for; a longer --deadline helps only on slow but working \
networks.\n\nVerify: the check finishes well within the deadline.",
};

/// The run was interrupted before the check finished.
pub static INTERRUPTED: Code = Code {
    id: "interrupted",
    title: "The run was interrupted before this check finished",
    explain: "Ctrl-C (SIGINT) or SIGTERM stopped the run while this check was still running; \
the finding says what it was waiting for, which is often the very step that hangs in your \
application. The other results stand; the report is partial.\n\nFix: run again and let it finish \
(it ends within --deadline).",
};

/// Which checks the user selected.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// `--only`: run just these (empty = all).
    pub only: Vec<CheckId>,
    /// `--skip`: do not run these.
    pub skip: Vec<CheckId>,
}

impl Selection {
    /// Whether check `id` is selected.
    #[must_use]
    pub fn includes(&self, id: CheckId) -> bool {
        (self.only.is_empty() || self.only.contains(&id)) && !self.skip.contains(&id)
    }
}

/// The verdict of a whole run.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// Worst status over the checks that ran (`pass` when none ran).
    pub status: Status,
    /// The first failing check in report order, once failures put down to an earlier check's
    /// finding made that check fail (see `attribute`).
    pub root_cause: Option<CheckId>,
    /// One sentence.
    pub summary: String,
}

/// Everything a run produced.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// When the run started (RFC 3339 UTC).
    pub started_at: String,
    /// Wall time of the run.
    pub duration: Duration,
    /// One entry per check, in report order.
    pub checks: Vec<CheckReport>,
    /// Every HTTP request made.
    pub requests: Vec<RequestRecord>,
    /// The verdict.
    pub verdict: Verdict,
    /// The run was stopped (Ctrl-C, SIGTERM) before every check finished.
    pub interrupted: bool,
    /// What the renderers read, typed.
    pub facts: crate::engine::facts::RunFacts,
}

impl RunReport {
    /// A copy with every text that may hold outside bytes (summaries, details, findings, the
    /// request log) passed through `f`; ids, codes and numbers are the doctor's own and stay.
    /// The text renderers use it to strip terminal control characters.
    #[must_use]
    pub fn map_text(&self, f: &dyn Fn(&str) -> String) -> Self {
        let mut run = self.clone();
        run.verdict.summary = f(&run.verdict.summary);
        for c in &mut run.checks {
            c.summary = f(&c.summary);
            c.details.map_text(f);
            for finding in &mut c.findings {
                finding.message = f(&finding.message);
                finding.remedy = f(&finding.remedy);
            }
        }
        for r in &mut run.requests {
            r.method = f(&r.method);
            r.url = f(&r.url);
            for text in
                [&mut r.error, &mut r.request_id, &mut r.client_request_id, &mut r.error_code].into_iter().flatten()
            {
                *text = f(text);
            }
            for v in r.ratelimit.values_mut() {
                *v = f(v);
            }
            if let Some(a) = &mut r.answered_by {
                a.who = f(&a.who);
                for e in &mut a.evidence {
                    *e = f(e);
                }
            }
        }
        run
    }

    /// Whether the root cause is a bug in the doctor itself.
    #[must_use]
    pub fn root_cause_is_internal(&self) -> bool {
        self.verdict.root_cause.is_some_and(|id| {
            self.checks.iter().find(|c| c.id == id).is_some_and(|c| c.findings.iter().any(|f| f.code == INTERNAL.id))
        })
    }
}

type Done = (Status, Option<CheckId>);

/// Why a run cannot start: a mistake of the library caller's (the registry never makes one),
/// said as an error instead of a panic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunError {
    /// Two checks in the list have the same id.
    #[error("two checks have the id `{0}`")]
    DuplicateCheck(CheckId),
    /// A selected check needs one that is not in the list (a deselected one would count as met).
    #[error("the `{check}` check needs `{needs}`, which is not in the run")]
    MissingDependency {
        /// The check.
        check: CheckId,
        /// What it needs.
        needs: CheckId,
    },
}

/// A check of the run with what it waits for, ready to be spawned.
struct Planned {
    index: usize,
    check: Arc<dyn Check>,
    selected: bool,
    deps: Vec<(CheckId, watch::Receiver<Option<Done>>)>,
    tx: watch::Sender<Option<Done>>,
}

/// Checks the list (unique ids, every needed check present or deselected) and wires each check
/// to the results of the checks it needs.
fn plan(checks: Vec<Arc<dyn Check>>, ctx: &Context, selection: &Selection) -> Result<Vec<Planned>, RunError> {
    let mut channels = HashMap::new();
    for check in &checks {
        let id = check.info().id;
        if channels.insert(id, watch::channel::<Option<Done>>(None)).is_some() {
            return Err(RunError::DuplicateCheck(id));
        }
    }
    let mut planned = Vec::with_capacity(checks.len());
    for (index, check) in checks.into_iter().enumerate() {
        let id = check.info().id;
        let selected = selection.includes(id);
        let mut deps = Vec::new();
        // Dependencies the user deselected count as satisfied: the check copes without them.
        for &needs in check.needs(ctx).iter().filter(|&&d| selected && selection.includes(d)) {
            let rx = channels.get(&needs).ok_or(RunError::MissingDependency { check: id, needs })?.1.clone();
            deps.push((needs, rx));
        }
        let tx = channels[&id].0.clone();
        planned.push(Planned { index, check, selected, deps, tx });
    }
    Ok(planned)
}

/// Runs `checks` (already in report order) against `ctx` until done or `stop` completes
/// (Ctrl-C): checks still in flight are then aborted and reported as interrupted, with what they
/// were waiting for.
///
/// # Errors
/// Two checks with one id, or a selected check whose dependency is not in the list.
pub async fn run_until(
    checks: Vec<Arc<dyn Check>>,
    ctx: Arc<Context>,
    selection: &Selection,
    stop: impl std::future::Future<Output = ()>,
    live: &Live,
) -> Result<RunReport, RunError> {
    let started_at = now_rfc3339();
    let start = Instant::now();
    let deadline = tokio::time::Instant::now() + ctx.config.deadline;
    let infos: Vec<(CheckId, &'static str)> = checks.iter().map(|c| (c.info().id, c.info().title)).collect();
    let planned = plan(checks, &ctx, selection)?;
    if let Ok(mut l) = live.0.lock() {
        l.total = planned.len();
    }

    let mut set = tokio::task::JoinSet::new();
    for Planned { index, check, selected, deps, tx } in planned {
        if !selected {
            let info = check.info();
            let report = skipped(info.id, info.title, "not selected (--only/--skip)", None);
            let _ = tx.send(Some((Status::Skip, None)));
            set.spawn(async move { (index, report) });
            continue;
        }
        let (ctx, live) = (ctx.clone(), live.clone());
        set.spawn(async move {
            let report = run_one(check, ctx, deps, deadline, live).await;
            // An interrupted check sends nothing: its dependents then learn of the interrupt too,
            // instead of taking its skip for "not applicable" and running.
            if !report.findings.iter().any(|f| f.code == INTERRUPTED.id) {
                let _ = tx.send(Some((report.status, report.blocked_by)));
            }
            (index, report)
        });
    }

    let (slots, interrupted) = collect(set, infos.len(), stop, live).await;
    let mut reports: Vec<CheckReport> = slots
        .into_iter()
        .zip(&infos)
        .map(|(slot, (id, title))| slot.unwrap_or_else(|| cut_short(*id, title, live)))
        .collect();
    attribute(&mut reports);
    let mut verdict = verdict(&reports);
    if interrupted {
        interrupted_verdict(&mut verdict, &reports);
    }
    Ok(RunReport {
        started_at,
        duration: start.elapsed(),
        requests: ctx.net.requests(),
        checks: reports,
        verdict,
        interrupted,
        facts: ctx.facts.snapshot(),
    })
}

/// Gathers the checks' reports as they finish (keeping the progress count), aborting the rest
/// when `stop` completes; `true` with the reports when it did.
async fn collect(
    mut set: tokio::task::JoinSet<(usize, CheckReport)>,
    n: usize,
    stop: impl std::future::Future<Output = ()>,
    live: &Live,
) -> (Vec<Option<CheckReport>>, bool) {
    let mut slots: Vec<Option<CheckReport>> = (0..n).map(|_| None).collect();
    let mut interrupted = false;
    let mut stop = std::pin::pin!(stop);
    loop {
        tokio::select! {
            joined = set.join_next() => match joined {
                Some(Ok((index, report))) => {
                    if let Ok(mut l) = live.0.lock() {
                        l.running.remove(&report.id);
                        l.done += 1;
                    }
                    slots[index] = Some(report);
                }
                // Aborted after an interrupt; run_one itself never panics.
                Some(Err(_)) => {}
                None => break,
            },
            () = &mut stop, if !interrupted => {
                interrupted = true;
                set.abort_all();
            }
        }
    }
    (slots, interrupted)
}

/// The report of a check the interrupt aborted: what it was waiting for, if it had started.
fn cut_short(id: CheckId, title: &'static str, live: &Live) -> CheckReport {
    let doing = live.0.lock().ok().and_then(|a| a.running.get(&id).map(Activity::get)).filter(|d| !d.is_empty());
    let summary = match doing {
        Some(d) => format!("interrupted while waiting for: {d}"),
        None => "interrupted before it started".to_owned(),
    };
    let mut report = skipped(id, title, &summary, None);
    report.findings.push(Finding::new(&INTERRUPTED, Severity::Info, summary.clone(), ""));
    report
}

/// The run as it happens: which checks are running and what each waits for, how many are done.
/// The progress display and interrupted reports read it.
#[derive(Debug, Clone, Default)]
pub struct Live(Arc<std::sync::Mutex<LiveState>>);

#[derive(Debug, Default)]
struct LiveState {
    running: std::collections::BTreeMap<CheckId, Activity>,
    done: usize,
    total: usize,
}

impl Live {
    /// (done, total, running checks with what each waits for), in report order of ids.
    #[must_use]
    pub fn snapshot(&self) -> (usize, usize, Vec<(CheckId, String)>) {
        self.0
            .lock()
            .map_or((0, 0, Vec::new()), |l| (l.done, l.total, l.running.iter().map(|(id, a)| (*id, a.get())).collect()))
    }
}

/// Aborts a task when dropped, so an aborted runner task takes its check task with it.
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// One check: wait for what it needs, run it within its limits, finalise its report.
async fn run_one(
    check: Arc<dyn Check>,
    ctx: Arc<Context>,
    deps: Vec<(CheckId, watch::Receiver<Option<Done>>)>,
    deadline: tokio::time::Instant,
    live: Live,
) -> CheckReport {
    let info = check.info();
    if let Err(mut skip) = wait_for_dependencies(info, deps, deadline).await {
        if skip.blocked_by.is_some() {
            // Blocked, but what needs no network is still known: say it.
            let offline = check.offline(&ctx);
            let redact = |s: &str| ctx.net.redactor.redact(s);
            if let Some(first) = offline.iter().find(|f| f.severity >= Severity::Warn) {
                skip.summary = format!("{}; without the network: {}", skip.summary, redact(&first.message));
            }
            skip.findings.extend(offline.into_iter().map(|f| Finding {
                message: redact(&f.message),
                remedy: redact(&f.remedy),
                ..f
            }));
        }
        return skip;
    }
    let start = Instant::now();
    let outcome = run_within_limits(check, &ctx, deadline, &live).await;
    finalise(info, outcome, &ctx.net.redactor, start.elapsed())
}

/// Waits until every dependency has a result: `Err` with the check's skip report when one failed,
/// was blocked, outlived the deadline, or the run was interrupted.
async fn wait_for_dependencies(
    info: &'static CheckInfo,
    deps: Vec<(CheckId, watch::Receiver<Option<Done>>)>,
    deadline: tokio::time::Instant,
) -> Result<(), CheckReport> {
    for (dep, mut rx) in deps {
        let waited = tokio::time::timeout_at(deadline, rx.wait_for(Option::is_some)).await;
        let done = match waited {
            Ok(Ok(guard)) => *guard,
            // The dependency's task is gone without a result: the run was interrupted.
            Ok(Err(_)) => {
                let why = format!("interrupted while `{dep}` was still running");
                let mut report = skipped(info.id, info.title, &why, None);
                report.findings.push(Finding::new(&INTERRUPTED, Severity::Info, why, ""));
                return Err(report);
            }
            Err(_) => None,
        };
        match done {
            // Not applicable (skipped with no blocker) counts as satisfied.
            Some((status, _)) if status.lets_dependents_run() => {}
            Some((Status::Skip, None)) => {}
            Some((Status::Skip, Some(root))) => {
                let why = format!("blocked by `{root}` (through `{dep}`)");
                return Err(skipped(info.id, info.title, &why, Some(root)));
            }
            Some((_, _)) => {
                let why = format!("blocked by `{dep}`, which failed");
                return Err(skipped(info.id, info.title, &why, Some(dep)));
            }
            None => {
                let why = format!("the run deadline passed while `{dep}` was still running");
                return Err(skipped(info.id, info.title, &why, Some(dep)));
            }
        }
    }
    Ok(())
}

/// Runs the check on its own task within its time limit and the run deadline: a panic becomes
/// an `internal` failure, running out of time a `timed_out` one saying what it waited for.
async fn run_within_limits(
    check: Arc<dyn Check>,
    ctx: &Arc<Context>,
    deadline: tokio::time::Instant,
    live: &Live,
) -> Outcome {
    let info = check.info();
    let now = tokio::time::Instant::now();
    let limit_at = (now + info.time_limit).min(deadline);
    let activity = Activity::until(limit_at);
    if let Ok(mut a) = live.0.lock() {
        a.running.insert(info.id, activity.clone());
    }
    let handle = {
        let (ctx, activity) = (ctx.clone(), activity.clone());
        tokio::spawn(async move { check.run(&ctx, &activity).await })
    };
    // Whatever ends this function (a result, the time limit, the runner's abort) ends the check.
    let _guard = AbortOnDrop(handle.abort_handle());
    match tokio::time::timeout_at(limit_at, handle).await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(join_error)) => crashed(info.id, join_error),
        Err(_) => timed_out(&activity, limit_at.saturating_duration_since(now), limit_at >= deadline),
    }
}

fn crashed(id: CheckId, join_error: tokio::task::JoinError) -> Outcome {
    let what = panic_message(join_error);
    Outcome::with_status(Status::Fail, "the check crashed (a bug in openai-doctor)", Details::nothing()).and(
        Finding::new(
            &INTERNAL,
            Severity::Fail,
            format!("the `{id}` check crashed: {what}"),
            "Report this output at the openai-doctor issue tracker; the other checks are unaffected.",
        ),
    )
}

fn timed_out(activity: &Activity, limit: Duration, by_deadline: bool) -> Outcome {
    let waiting = activity.get();
    let on_network = activity.on_network() && !waiting.is_empty();
    let waiting = if waiting.is_empty() { "its first step".to_owned() } else { waiting };
    let which = if by_deadline { "the run deadline (--deadline)" } else { "its time limit" };
    // Only a wait on the network can be a firewall's doing.
    let remedy = if on_network {
        "Something on the path accepts traffic and never answers (a firewall that drops \
         packets, a stalled proxy or nameserver). See `openai-doctor explain timed_out`."
    } else {
        "The check was busy with work of its own, not waiting for the network: give a \
         longer --deadline. If it happens again with a generous one, report it."
    };
    Outcome::with_status(
        Status::Fail,
        format!("no result within {:.1} s", limit.as_secs_f64()),
        Details::TimedOut(TimedOut { waiting_for: waiting.clone(), limit_ms: millis(limit) }),
    )
    .and(Finding::new(
        &TIMED_OUT,
        Severity::Fail,
        format!("stopped after {:.1} s ({which}) while waiting for: {waiting}", limit.as_secs_f64()),
        remedy,
    ))
}

/// The check's report: every text it produced redacted (a check may quote a header or an
/// environment value), with its duration.
fn finalise(info: &'static CheckInfo, outcome: Outcome, redactor: &Redactor, took: Duration) -> CheckReport {
    let mut details = outcome.details;
    details.map_text(&|s| redactor.redact(s));
    CheckReport {
        id: info.id,
        title: info.title,
        status: outcome.status,
        summary: redactor.redact(&outcome.summary),
        details,
        findings: outcome
            .findings
            .into_iter()
            .map(|f| Finding { message: redactor.redact(&f.message), remedy: redactor.redact(&f.remedy), ..f })
            .collect(),
        blocked_by: None,
        duration_ms: millis(took),
    }
}

fn panic_message(e: tokio::task::JoinError) -> String {
    if !e.is_panic() {
        return "the check was cancelled".to_owned();
    }
    let payload = e.into_panic();
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".to_owned())
}

fn skipped(id: CheckId, title: &'static str, why: &str, blocked_by: Option<CheckId>) -> CheckReport {
    CheckReport {
        id,
        title,
        status: Status::Skip,
        summary: why.to_owned(),
        details: Details::nothing(),
        findings: Vec::new(),
        blocked_by,
        duration_ms: 0,
    }
}

/// An interrupted run's verdict: a failure among the finished checks stays the root cause; without
/// one, the run is not "no problem found" (the unfinished checks may be where it is) and is never
/// a pass.
fn interrupted_verdict(verdict: &mut Verdict, reports: &[CheckReport]) {
    let cut: Vec<&str> =
        reports.iter().filter(|r| r.findings.iter().any(|f| f.code == INTERRUPTED.id)).map(|r| r.id.as_str()).collect();
    if verdict.root_cause.is_some() || cut.is_empty() {
        verdict.summary = format!("interrupted (the results are partial): {}", verdict.summary);
        return;
    }
    let finished = reports.iter().filter(|r| r.status != Status::Skip).count();
    verdict.summary = format!(
        "interrupted before {} finished ({}): no failure among the {finished} that did, but the cause may be in those that did not; run again without interrupting",
        crate::model::plural(cut.len(), "check"),
        cut.join(", ")
    );
    verdict.status = verdict.status.max(Status::Warn);
}

/// A failure of one check put down to an earlier check's finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribution {
    /// The check that failed.
    pub failed: CheckId,
    /// The earlier check that named the step its requests ran out of time in.
    pub to: CheckId,
    /// That check's finding.
    pub code: &'static str,
    /// The steps.
    pub steps: Vec<Step>,
}

/// What the namer's finding says once it is the proven cause; the verdict line leaves it out
/// (it says it in its own words).
const PROVEN: &str = "; here it failed `";

/// The rule that keeps the doctor's own limits from being the root cause: a failed check whose
/// every failing finding ran out of time in steps of the connection (the lookup, the connect, the
/// handshake) that a warning or failure of an earlier check (in report order) names as slow did
/// not fail on its own: it failed because of that check. For each such check, the first earlier
/// check with a finding naming all those steps, and that finding.
#[must_use]
pub fn attributions(reports: &[CheckReport]) -> Vec<Attribution> {
    let mut out = Vec::new();
    for (i, failed) in reports.iter().enumerate().filter(|(_, r)| r.status == Status::Fail) {
        let failures: Vec<&Finding> = failed.findings.iter().filter(|f| f.severity == Severity::Fail).collect();
        if failures.is_empty() || failures.iter().any(|f| f.steps.is_empty()) {
            continue;
        }
        let mut steps: Vec<Step> = failures.iter().flat_map(|f| f.steps.iter().copied()).collect();
        steps.sort_unstable();
        steps.dedup();
        let named = reports[..i].iter().filter(|r| matches!(r.status, Status::Warn | Status::Fail)).find_map(|r| {
            r.findings
                .iter()
                .find(|f| f.severity >= Severity::Warn && steps.iter().all(|s| f.steps.contains(s)))
                .map(|f| (r.id, f.code))
        });
        if let Some((to, code)) = named {
            out.push(Attribution { failed: failed.id, to, code, steps });
        }
    }
    out
}

/// Applies `attributions`: the failed check's failing findings say whose finding they come from
/// ("because of `dns` (dns.dead_nameserver): …"); that finding, now shown to cause a failure
/// here, becomes a failure (the severities' own definitions: a warning plausibly causes failures,
/// a failure is a cause of one) and says which check it failed, and its check fails with it. The
/// report then reads as the verdict does: the root cause is the first failed check.
pub fn attribute(reports: &mut [CheckReport]) {
    for a in attributions(reports) {
        if let Some(failed) = reports.iter_mut().find(|r| r.id == a.failed) {
            for f in failed.findings.iter_mut().filter(|f| f.severity == Severity::Fail) {
                f.message = format!("because of `{}` ({}): {}", a.to, a.code, f.message);
            }
        }
        let doing: Vec<&str> = a.steps.iter().map(|s| s.doing()).collect();
        if let Some(namer) = reports.iter_mut().find(|r| r.id == a.to) {
            namer.status = Status::Fail;
            if let Some(f) = namer.findings.iter_mut().find(|f| f.code == a.code) {
                f.severity = Severity::Fail;
                if !f.message.contains(PROVEN) {
                    f.message = format!(
                        "{}{PROVEN}{}` (its requests ran out of time {})",
                        f.message.trim_end_matches('.'),
                        a.failed,
                        doing.join(" and ")
                    );
                } else {
                    // A second check failed by it: named too.
                    f.message = f.message.replacen(PROVEN, &format!("{PROVEN}{}` and `", a.failed), 1);
                }
            }
        }
    }
}

/// The verdict over a list of reports in report order.
#[must_use]
pub fn verdict(reports: &[CheckReport]) -> Verdict {
    let ran = || reports.iter().filter(|r| r.status != Status::Skip);
    let status = ran().map(|r| r.status).max().unwrap_or(Status::Pass);
    let root = reports.iter().find(|r| r.status == Status::Fail);
    let fails = ran().filter(|r| r.status == Status::Fail).count();
    let warns = ran().filter(|r| r.status == Status::Warn).count();
    let blocked = reports.iter().filter(|r| r.blocked_by.is_some()).count();
    let plural = |n: usize, word: &str| crate::model::plural(n, word);
    let summary = match root {
        Some(root) => {
            let mut s = format!("{} failed; root cause: {} — {}", plural(fails, "check"), root.id, root_words(root));
            // The checks that failed only because of it (see `attributions`).
            let because: Vec<String> =
                attributions(reports).iter().filter(|a| a.to == root.id).map(|a| format!("`{}`", a.failed)).collect();
            if !because.is_empty() {
                s.push_str(&format!("; {} failed only because of it", because.join(" and ")));
            }
            if blocked > 0 {
                s.push_str(&format!(" ({} skipped because of it)", plural(blocked, "check")));
            }
            // What blocked checks found without the network (a missing key) is a cause too.
            let offline: Vec<String> = reports
                .iter()
                .filter(|r| r.blocked_by.is_some())
                .flat_map(|r| r.findings.iter().filter(|f| f.severity == Severity::Fail).map(move |f| (r.id, f)))
                .map(|(id, f)| format!("{id}: {}", f.message))
                .collect();
            if !offline.is_empty() {
                s.push_str(&format!("; also: {}", offline.join("; ")));
            }
            s
        }
        None if warns > 0 => format!("no check failed; {} to look at", plural(warns, "warning")),
        None if ran().count() == 0 => "no check ran".to_owned(),
        None => "no problem found".to_owned(),
    };
    Verdict { status, root_cause: root.map(|r| r.id), summary }
}

/// What the verdict line says about the root cause: its first failing finding (without the list
/// of request ids), never a summary that may read as a pass ("5 of 5 GET /models OK" while the
/// payload failed); the summary only when no finding fails.
#[must_use]
pub fn root_words(root: &CheckReport) -> String {
    const MAX: usize = 240;
    let Some(f) = root.findings.iter().find(|f| f.severity == crate::model::Severity::Fail) else {
        return root.summary.clone();
    };
    let head = f.message.split(". Request ids:").next().unwrap_or(&f.message);
    // What the verdict says in its own words (the checks it failed).
    let head = head.split(PROVEN).next().unwrap_or(head);
    let text = crate::net::answer::one_line(head);
    let text = text.as_str();
    if text.chars().count() <= MAX {
        return text.to_owned();
    }
    let cut: String = text.chars().take(MAX).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, Env};
    use crate::engine::check::{BoxFuture, CheckInfo};

    /// A scripted check: returns `status` after `delay`, or panics.
    struct Fake {
        info: &'static CheckInfo,
        needs: &'static [CheckId],
        status: Status,
        delay: Duration,
        panic: bool,
    }

    fn info(id: &'static str, limit: Duration) -> &'static CheckInfo {
        Box::leak(Box::new(CheckInfo {
            id: CheckId::parse(id).unwrap(),
            title: id,
            verifies: "",
            guide_step: "",
            time_limit: limit,
            codes: &[],
        }))
    }

    fn fake(id: &'static str, needs: &[&'static str], status: Status) -> Arc<dyn Check> {
        Arc::new(Fake {
            info: info(id, Duration::from_secs(5)),
            needs: Box::leak(needs.iter().map(|n| CheckId::parse(n).unwrap()).collect::<Vec<_>>().into_boxed_slice()),
            status,
            delay: Duration::ZERO,
            panic: false,
        })
    }

    impl Check for Fake {
        fn info(&self) -> &'static CheckInfo {
            self.info
        }
        fn needs(&self, _ctx: &Context) -> &'static [CheckId] {
            self.needs
        }
        fn run<'a>(&'a self, _ctx: &'a Context, activity: &'a Activity) -> BoxFuture<'a, Outcome> {
            Box::pin(async move {
                activity.set_local(format!("the fake {} sleeping", self.info.id));
                tokio::time::sleep(self.delay).await;
                assert!(!self.panic, "scripted panic in {}", self.info.id);
                Outcome::with_status(
                    self.status,
                    format!("{} says {}", self.info.id, self.status.as_str()),
                    Details::nothing(),
                )
            })
        }
    }

    fn ctx(deadline: Duration) -> Arc<Context> {
        let mut config = Config::new(Env::default());
        config.deadline = deadline;
        Arc::new(Context::new(config).unwrap())
    }

    async fn run(checks: Vec<Arc<dyn Check>>, ctx: Arc<Context>, selection: &Selection) -> RunReport {
        run_until(checks, ctx, selection, std::future::pending(), &Live::default()).await.expect("a valid list")
    }

    async fn go(checks: Vec<Arc<dyn Check>>, selection: Selection) -> RunReport {
        run(checks, ctx(Duration::from_secs(10)), &selection).await
    }

    #[tokio::test]
    async fn a_duplicate_id_or_a_missing_dependency_is_an_error_not_a_panic() {
        let (c, all, live) = (ctx(Duration::from_secs(10)), Selection::default(), Live::default());
        let twice = vec![fake("dns", &[], Status::Pass), fake("dns", &[], Status::Pass)];
        let r = run_until(twice, c.clone(), &all, std::future::pending(), &live).await;
        assert_eq!(r.unwrap_err(), RunError::DuplicateCheck(CheckId::Dns));
        let orphan = vec![fake("tls", &["dns"], Status::Pass)];
        let r = run_until(orphan, c.clone(), &all, std::future::pending(), &live).await;
        let err = r.unwrap_err();
        assert_eq!(err, RunError::MissingDependency { check: CheckId::Tls, needs: CheckId::Dns });
        assert_eq!(err.to_string(), "the `tls` check needs `dns`, which is not in the run");
        // Deselected, the missing dependency counts as met, as it does when it is in the list.
        let skip_dns = Selection { only: vec![], skip: vec![CheckId::Dns] };
        let r = run(vec![fake("tls", &["dns"], Status::Pass)], c.clone(), &skip_dns).await;
        assert_eq!(statuses(&r), [("tls", Status::Pass, None)]);
        // A check that is not selected needs nothing.
        let only_status = Selection { only: vec![CheckId::Status], skip: vec![] };
        let r = run(vec![fake("tls", &["dns"], Status::Pass)], c, &only_status).await;
        assert_eq!(statuses(&r), [("tls", Status::Skip, None)]);
    }

    fn statuses(r: &RunReport) -> Vec<(&str, Status, Option<&str>)> {
        r.checks.iter().map(|c| (c.id.as_str(), c.status, c.blocked_by.map(CheckId::as_str))).collect()
    }

    #[tokio::test]
    async fn a_failure_blocks_its_dependents_transitively_and_is_the_root_cause() {
        let r = go(
            vec![
                fake("status", &[], Status::Warn),
                fake("dns", &[], Status::Fail),
                fake("tls", &["dns"], Status::Pass),
                fake("probe", &["tls"], Status::Pass),
                fake("container", &[], Status::Pass),
            ],
            Selection::default(),
        )
        .await;
        assert_eq!(
            statuses(&r),
            [
                ("status", Status::Warn, None),
                ("dns", Status::Fail, None),
                ("tls", Status::Skip, Some("dns")),
                ("probe", Status::Skip, Some("dns")),
                ("container", Status::Pass, None),
            ]
        );
        assert_eq!(r.verdict.root_cause, Some(CheckId::Dns));
        assert_eq!(r.verdict.status, Status::Fail);
        assert!(r.verdict.summary.contains("root cause: dns"), "{}", r.verdict.summary);
        assert!(r.verdict.summary.contains("2 checks skipped"), "{}", r.verdict.summary);
    }

    #[tokio::test]
    async fn warnings_let_dependents_run_and_deselected_dependencies_count_as_met() {
        let r = go(
            vec![
                fake("dns", &[], Status::Warn),
                fake("tls", &["dns"], Status::Pass),
                fake("probe", &["proxy"], Status::Pass),
                fake("proxy", &[], Status::Fail),
            ],
            Selection { only: vec![], skip: vec![CheckId::Proxy] },
        )
        .await;
        assert_eq!(
            statuses(&r),
            [
                ("dns", Status::Warn, None),
                ("tls", Status::Pass, None),
                ("probe", Status::Pass, None),
                ("proxy", Status::Skip, None)
            ]
        );
        assert_eq!(r.verdict.root_cause, None);
    }

    #[tokio::test]
    async fn not_applicable_dependencies_do_not_block() {
        let r = go(
            vec![fake("payload", &[], Status::Skip), fake("probe", &["payload"], Status::Pass)],
            Selection::default(),
        )
        .await;
        assert_eq!(statuses(&r), [("payload", Status::Skip, None), ("probe", Status::Pass, None)]);
    }

    #[tokio::test]
    async fn a_panic_becomes_an_internal_failure_of_that_check_only() {
        let crash: Arc<dyn Check> = Arc::new(Fake {
            info: info("dns", Duration::from_secs(5)),
            needs: &[],
            status: Status::Pass,
            delay: Duration::ZERO,
            panic: true,
        });
        let r = go(vec![crash, fake("container", &[], Status::Pass)], Selection::default()).await;
        assert_eq!(r.checks[0].status, Status::Fail);
        assert_eq!(r.checks[0].findings[0].code, "internal");
        assert!(r.checks[0].findings[0].message.contains("scripted panic"), "{:?}", r.checks[0].findings);
        assert_eq!(r.checks[1].status, Status::Pass);
        assert!(r.root_cause_is_internal());
    }

    #[tokio::test]
    async fn a_check_over_its_limit_fails_saying_what_it_waited_for() {
        let slow: Arc<dyn Check> = Arc::new(Fake {
            info: info("tls", Duration::from_millis(100)),
            needs: &[],
            status: Status::Pass,
            delay: Duration::from_secs(30),
            panic: false,
        });
        let start = Instant::now();
        let r = go(vec![slow], Selection::default()).await;
        assert!(start.elapsed() < Duration::from_secs(5), "bounded by the check's limit");
        let f = &r.checks[0].findings[0];
        assert_eq!((r.checks[0].status, f.code), (Status::Fail, "timed_out"));
        assert!(f.message.contains("the fake tls sleeping"), "{}", f.message);
        assert!(f.message.contains("its time limit"), "{}", f.message);
        // Local work timed out: no firewall is to blame.
        assert!(!f.remedy.contains("firewall") && f.remedy.contains("longer --deadline"), "{}", f.remedy);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn after_an_interrupt_no_check_blames_the_deadline() {
        for _ in 0..20 {
            let slow: Arc<dyn Check> = Arc::new(Fake {
                info: info("dns", Duration::from_secs(30)),
                needs: &[],
                status: Status::Pass,
                delay: Duration::from_secs(30),
                panic: false,
            });
            let checks = vec![slow, fake("tls", &["dns"], Status::Pass), fake("probe", &["tls"], Status::Pass)];
            let stop = tokio::time::sleep(Duration::from_millis(20));
            let r = run_until(checks, ctx(Duration::from_secs(10)), &Selection::default(), stop, &Live::default())
                .await
                .unwrap();
            assert!(r.interrupted);
            for c in &r.checks {
                assert!(!c.summary.contains("deadline"), "{}: {}", c.id, c.summary);
                assert!(c.summary.contains("interrupted"), "{}: {}", c.id, c.summary);
            }
            // Nothing failed, nothing finished: not a pass, not "no problem found".
            assert_eq!(r.verdict.status, Status::Warn, "{}", r.verdict.summary);
            assert!(!r.verdict.summary.contains("no problem found"), "{}", r.verdict.summary);
            assert!(
                r.verdict.summary.starts_with("interrupted before 3 checks finished (dns, tls, probe)"),
                "{}",
                r.verdict.summary
            );
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_interrupt_after_a_failure_keeps_the_root_cause() {
        let slow: Arc<dyn Check> = Arc::new(Fake {
            info: info("probe", Duration::from_secs(30)),
            needs: &[],
            status: Status::Pass,
            delay: Duration::from_secs(30),
            panic: false,
        });
        let checks = vec![fake("dns", &[], Status::Fail), slow];
        let stop = tokio::time::sleep(Duration::from_millis(300));
        let r = run_until(checks, ctx(Duration::from_secs(10)), &Selection::default(), stop, &Live::default())
            .await
            .unwrap();
        assert_eq!((r.verdict.status, r.verdict.root_cause), (Status::Fail, Some(CheckId::Dns)));
        assert!(
            r.verdict.summary.starts_with("interrupted (the results are partial): 1 check failed"),
            "{}",
            r.verdict.summary
        );
    }

    #[tokio::test]
    async fn the_run_deadline_bounds_everything() {
        let slow: Arc<dyn Check> = Arc::new(Fake {
            info: info("dns", Duration::from_secs(60)),
            needs: &[],
            status: Status::Pass,
            delay: Duration::from_secs(60),
            panic: false,
        });
        let start = Instant::now();
        let r = run(
            vec![slow, fake("tls", &["dns"], Status::Pass)],
            ctx(Duration::from_millis(300)),
            &Selection::default(),
        )
        .await;
        assert!(start.elapsed() < Duration::from_secs(5));
        assert_eq!(r.checks[0].findings[0].code, "timed_out");
        assert!(r.checks[0].findings[0].message.contains("--deadline"), "{}", r.checks[0].findings[0].message);
        assert_eq!((r.checks[1].status, r.checks[1].blocked_by), (Status::Skip, Some(CheckId::Dns)));
    }

    fn report(id: CheckId, findings: Vec<Finding>) -> CheckReport {
        let status = Outcome::from_findings("", Details::nothing(), findings.clone()).status;
        CheckReport {
            id,
            title: id.as_str(),
            status,
            summary: format!("{id} summary"),
            details: Details::nothing(),
            findings,
            blocked_by: None,
            duration_ms: 0,
        }
    }

    fn finding(code: &'static str, severity: Severity, steps: &'static [Step]) -> Finding {
        Finding { code, severity, message: format!("{code} says so"), remedy: String::new(), steps }
    }

    /// The world of the issue: `dns` warns that a silent nameserver costs every lookup 5 s, `tls`
    /// passes, and the probe's requests ran out of time resolving the name.
    fn slow_nameserver(probe: Vec<Finding>) -> Vec<CheckReport> {
        vec![
            report(CheckId::Status, vec![]),
            report(
                CheckId::Dns,
                vec![
                    finding("dns.hosts_file", Severity::Info, &[]),
                    finding("dns.dead_nameserver", Severity::Warn, &[Step::Resolve]),
                    finding("dns.slow", Severity::Warn, &[Step::Resolve]),
                ],
            ),
            report(CheckId::Tls, vec![finding("tls.slow", Severity::Warn, &[Step::Tls])]),
            report(CheckId::Probe, probe),
        ]
    }

    #[test]
    fn a_failure_only_in_a_step_an_earlier_check_named_is_that_checks() {
        let mut reports = slow_nameserver(vec![
            finding("probe.stopped_early", Severity::Info, &[]),
            finding("probe.connection", Severity::Fail, &[Step::Resolve]),
        ]);
        // Before: the probe is the first failure.
        assert_eq!(verdict(&reports).root_cause, Some(CheckId::Probe));
        let expected = Attribution {
            failed: CheckId::Probe,
            to: CheckId::Dns,
            code: "dns.dead_nameserver",
            steps: vec![Step::Resolve],
        };
        assert_eq!(attributions(&reports), std::slice::from_ref(&expected));
        attribute(&mut reports);
        // The rule holds on what it produced: applying it again finds the same.
        assert_eq!(attributions(&reports), [expected]);
        // The namer's first finding for that step is proven to fail the probe: a failure, and says so.
        let dns = &reports[1];
        assert_eq!(dns.status, Status::Fail);
        assert_eq!(dns.findings[1].severity, Severity::Fail);
        assert_eq!(
            dns.findings[1].message,
            "dns.dead_nameserver says so; here it failed `probe` (its requests ran out of time resolving the API's name)"
        );
        // Only that one: the other warning stays a warning.
        assert_eq!(dns.findings[2].severity, Severity::Warn);
        let probe = &reports[3];
        assert_eq!(probe.status, Status::Fail);
        assert_eq!(probe.findings[1].message, "because of `dns` (dns.dead_nameserver): probe.connection says so");
        assert_eq!(probe.findings[0].message, "probe.stopped_early says so", "information is left alone");
        let v = verdict(&reports);
        assert_eq!((v.root_cause, v.status), (Some(CheckId::Dns), Status::Fail));
        assert_eq!(
            v.summary,
            "2 checks failed; root cause: dns — dns.dead_nameserver says so; `probe` failed only because of it"
        );
    }

    #[test]
    fn a_failure_in_another_step_or_of_another_kind_stays_its_own() {
        // Out of time connecting (TCP): nobody named that step.
        let other_step = slow_nameserver(vec![finding("probe.connection", Severity::Fail, &[Step::Connect])]);
        // One failure in the named step and one not in any step (a 500): not only because of dns.
        let also_500 = slow_nameserver(vec![
            finding("probe.connection", Severity::Fail, &[Step::Resolve]),
            finding("probe.server_error", Severity::Fail, &[]),
        ]);
        // Both steps: no single earlier finding names both.
        let both = slow_nameserver(vec![
            finding("probe.connection", Severity::Fail, &[Step::Resolve]),
            finding("probe.connection", Severity::Fail, &[Step::Tls]),
        ]);
        for mut reports in [other_step, also_500, both] {
            assert!(attributions(&reports).is_empty());
            attribute(&mut reports);
            assert_eq!(reports[1].status, Status::Warn);
            assert_eq!(verdict(&reports).root_cause, Some(CheckId::Probe));
        }
        // A later check's warning does not explain an earlier failure (report order is the order
        // of the path: a lookup, a connection, then requests).
        let mut reports = vec![
            report(CheckId::Dns, vec![finding("dns.timeout", Severity::Fail, &[Step::Resolve])]),
            report(CheckId::Probe, vec![finding("probe.slow", Severity::Warn, &[Step::Resolve])]),
        ];
        assert!(attributions(&reports).is_empty());
        attribute(&mut reports);
        assert_eq!(reports[1].status, Status::Warn);
        // The slow TLS handshake that `tls` named is the cause of a probe out of time in it.
        let mut reports = slow_nameserver(vec![finding("probe.connection", Severity::Fail, &[Step::Tls])]);
        attribute(&mut reports);
        assert_eq!(verdict(&reports).root_cause, Some(CheckId::Tls));
        assert!(reports[2].findings[0].message.ends_with("(its requests ran out of time in the TLS handshake)"));
    }

    #[tokio::test]
    async fn only_selects() {
        let r = go(
            vec![fake("status", &[], Status::Fail), fake("container", &[], Status::Pass)],
            Selection { only: vec![CheckId::Container], skip: vec![] },
        )
        .await;
        assert_eq!(statuses(&r), [("status", Status::Skip, None), ("container", Status::Pass, None)]);
        assert_eq!(r.verdict.root_cause, None);
    }
}
