//! The `status` check: is OpenAI's status page reporting a problem with the API right now?
//! Reads the Statuspage-compatible summary, falls back to incident.io's feed, and judges only the
//! API components. An unreadable page is a warning ("status unknown"), never a failure.
//! OpenAI's page says nothing about Azure OpenAI or another server: for those the check does not
//! run (not applicable, not blocked) and says whose status to look at, unless `--status-url`
//! names a page to read.

pub mod page;

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::Value;
use url::Url;

use crate::details;
use crate::details::status::{ComponentStatus, Read, Unread};
use crate::engine::check::{Activity, BoxFuture, Check, CheckInfo, Context};
use crate::model::{CheckId, Code, Finding, Outcome, Severity, Status, plural};
use crate::net::context::Fetched;
use page::Page;

/// Largest status document read (OpenAI's summary is ~30 KiB).
pub const MAX_BODY: usize = 2 * 1024 * 1024;
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

static INFO: CheckInfo = CheckInfo {
    id: CheckId::Status,
    title: "OpenAI status page",
    verifies: "whether OpenAI reports an outage, incident or maintenance on an API component right now",
    guide_step: "1. Check the OpenAI status page",
    time_limit: Duration::from_secs(11),
    codes: &[&MAJOR_OUTAGE, &PARTIAL_OUTAGE, &DEGRADED, &MAINTENANCE, &INCIDENT, &UNKNOWN, &NOT_APPLICABLE],
};

/// Azure's public status page (all of Azure, by region and service).
pub const AZURE_STATUS_URL: &str = "https://azure.status.microsoft/en-us/status";
/// OpenRouter's status page (OnlineOrNot, not Statuspage-compatible: looked at, not read).
pub const OPENROUTER_STATUS_URL: &str = "https://status.openrouter.ai";

/// OpenAI's status page does not cover the provider the app calls.
pub static NOT_APPLICABLE: Code = Code {
    id: "status.not_applicable",
    title: "OpenAI's status page does not cover this provider",
    explain: "The app calls Azure OpenAI or another OpenAI-compatible server, not OpenAI's API. \
OpenAI's status page (status.openai.com) reports on OpenAI's own API only: an Azure OpenAI \
resource runs in Azure's regions on Azure's infrastructure, and a gateway or self-hosted server \
has its own operator. Its page being green or red says nothing about the server the app calls, \
so the check does not read it and does not claim anything is healthy.\n\nFix: for Azure \
OpenAI, look at Azure status (https://azure.status.microsoft/en-us/status) for the region and \
\"Azure OpenAI\" / \"Azure AI Foundry\", and at the resource's Resource Health (Azure portal, \
the resource, Help > Resource health), which also shows issues that affect only your \
subscription. For another server, its operator's status page applies (OpenRouter: \
https://status.openrouter.ai). For a gateway in front of OpenAI, `--status-url \
https://status.openai.com` reads OpenAI's page as well.\n\nVerify: `openai-doctor --only status \
--status-url URL` reads the page you name.",
};

/// An API component is in a major (full) outage.
pub static MAJOR_OUTAGE: Code = Code {
    id: "status.major_outage",
    title: "OpenAI reports a major outage of an API component",
    explain: "OpenAI's status page reports a major (full) outage for an API component you may be \
calling. Requests to it fail on OpenAI's side; nothing on your side will fix them.\n\nFix: wait, \
and follow the incident on the status page. Retry with exponential backoff and jitter (the \
official SDKs do: 0.5 s doubling to 8 s), and make your application degrade gracefully.\n\n\
Verify: the component shows `operational` again and `openai-doctor --only status` passes.",
};
/// An API component is partially down.
pub static PARTIAL_OUTAGE: Code = Code {
    id: "status.partial_outage",
    title: "OpenAI reports a partial outage of an API component",
    explain: "Some requests to this API component fail on OpenAI's side. Expect intermittent \
5xx errors and timeouts that retries often get through.\n\nFix: make sure your client retries \
408/409/429/5xx with exponential backoff (the SDK default is 2 retries); consider more retries \
while the incident lasts.\n\nVerify: the component shows `operational` again.",
};
/// An API component is degraded.
pub static DEGRADED: Code = Code {
    id: "status.degraded",
    title: "OpenAI reports degraded performance of an API component",
    explain: "The component works but slower than usual, or with elevated error rates. \
Latency-sensitive clients with short timeouts see timeouts first.\n\nFix: allow more time per \
attempt while it lasts, and retry with backoff.\n\nVerify: the component shows `operational` again.",
};
/// An API component is under maintenance.
pub static MAINTENANCE: Code = Code {
    id: "status.maintenance",
    title: "Maintenance in progress on an API component",
    explain: "OpenAI is running a maintenance that touches an API component. Errors during the \
window are expected.\n\nFix: wait for the window to end (the status page gives it).\n\n\
Verify: the maintenance shows as completed.",
};
/// An ongoing incident touches the API.
pub static INCIDENT: Code = Code {
    id: "status.incident",
    title: "An ongoing incident touches an API component",
    explain: "OpenAI has opened an incident that affects an API component. Its title and latest \
update often match the error you see.\n\nFix: follow the incident; retry with backoff.\n\n\
Verify: the incident is resolved.",
};
/// The status page could not be read or understood.
pub static UNKNOWN: Code = Code {
    id: "status.unknown",
    title: "The status page could not be read",
    explain: "openai-doctor could not fetch or understand OpenAI's status page, so the API's \
status is unknown. This is not itself a cause of your failures, but when the status page is \
unreachable from this machine, api.openai.com often is too (same network path).\n\nFix: look \
at the other checks (dns, tls, proxy); open https://status.openai.com in a browser.\n\n\
Verify: `openai-doctor --only status` passes or reports the page's real status.",
};

/// The `status` check.
#[derive(Debug)]
pub struct StatusCheck;

impl Check for StatusCheck {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run<'a>(&'a self, ctx: &'a Context, activity: &'a Activity) -> BoxFuture<'a, Outcome> {
        Box::pin(run(ctx, activity))
    }
}

/// `<root>/api/v2/summary.json`.
#[must_use]
pub fn summary_url(root: &Url) -> Url {
    join(root, "api/v2/summary.json")
}

/// `<root>/proxy/<host of root>`.
#[must_use]
pub fn incident_io_url(root: &Url) -> Url {
    join(root, &format!("proxy/{}", root.host_str().unwrap_or_default()))
}

fn join(root: &Url, path: &str) -> Url {
    let mut base = root.clone();
    if !base.path().ends_with('/') {
        let p = format!("{}/", base.path());
        base.set_path(&p);
    }
    base.join(path).unwrap_or(base)
}

/// Not OpenAI's API and no `--status-url`: OpenAI's page does not apply. A skip with no blocker
/// (the runner lets the checks that need `status` run), its summary saying why and where to
/// look instead, never a pass that would claim the provider is healthy.
fn not_applicable(config: &crate::config::Config) -> Option<Outcome> {
    if config.provider.is_openai() || config.status_url_given {
        return None;
    }
    let host = config.api_host().to_owned();
    let (summary, look) = match &config.provider {
        crate::provider::Provider::Azure(_) => (
            format!(
                "not applicable: OpenAI's status page does not cover Azure OpenAI; see Azure status ({AZURE_STATUS_URL}) and the resource's Resource Health in the Azure portal"
            ),
            format!(
                "Look at Azure status ({AZURE_STATUS_URL}: Azure OpenAI / Azure AI Foundry in your resource's region) and the resource's Resource Health (Azure portal: the resource, Help > Resource health), which also shows issues that touch only your subscription."
            ),
        ),
        _ => {
            let openrouter = host.trim_end_matches('.').ends_with("openrouter.ai");
            let theirs = if openrouter {
                format!("OpenRouter's status page ({OPENROUTER_STATUS_URL})")
            } else {
                format!("the status of {host}, from whoever runs it")
            };
            (
                format!("not applicable: OpenAI's status page does not cover {host}; {theirs} applies"),
                format!(
                    "Look at {theirs}. If {host} is a gateway in front of OpenAI, add --status-url {} to read OpenAI's page too.",
                    crate::config::DEFAULT_STATUS_URL.trim_end_matches('/')
                ),
            )
        }
    };
    let why = format!(
        "{} is {}, not OpenAI's API: status.openai.com says nothing about it, so it was not read",
        host,
        config.provider.name()
    );
    Some(Outcome::with_status(Status::Skip, summary, details::Details::nothing()).and(Finding::new(
        &NOT_APPLICABLE,
        Severity::Info,
        why,
        look,
    )))
}

async fn run(ctx: &Context, activity: &Activity) -> Outcome {
    if let Some(out) = not_applicable(&ctx.config) {
        return out;
    }
    let root = &ctx.config.status_url;
    let mut tried = Vec::new();
    let mut pages: Vec<(Url, Page)> = Vec::new();
    // Both feeds: the Statuspage-compatible summary hides components the incident.io feed lists.
    for (url, parse) in [
        (summary_url(root), page::parse_statuspage as fn(&Value) -> Option<Page>),
        (incident_io_url(root), page::parse_incident_io),
    ] {
        activity.set(format!("GET {url}"));
        // Leave time to report "status unknown" rather than be cut off by the deadline.
        let timeout = activity.bounded(FETCH_TIMEOUT, Duration::from_millis(300));
        if timeout < Duration::from_millis(200) {
            tried.push(format!("{url}: not tried, no time left before the deadline"));
            break;
        }
        match ctx.net.get(INFO.id, &url, MAX_BODY, timeout).await {
            Ok(fetched) => match interpret(&fetched, parse) {
                Ok(page) => pages.push((url, page)),
                Err(why) => tried.push(format!("{url}: {why}")),
            },
            Err(e) => {
                // Same host: when the first URL is unreachable, the second is too.
                tried.push(format!("{url}: {e}"));
                break;
            }
        }
    }
    let mut pages = pages.into_iter();
    if let Some((url, first)) = pages.next() {
        let page = pages.fold(first, |merged, (_, next)| page::merge(merged, next));
        return judge(&page, &url, root, &tried);
    }
    let why = tried.join("; ");
    Outcome::with_status(Status::Warn, "status unknown: the status page could not be read", details::status::Status::Unread(Unread { tried }))
        .and(Finding::new(
            &UNKNOWN,
            Severity::Warn,
            format!("status unknown: {why}"),
            format!(
                "Open {root} in a browser. If it is unreachable from this machine too, look at the network checks (dns, tls, proxy)."
            ),
        ))
}

/// Turns a response into a page, or says in words what was received instead.
fn interpret(f: &Fetched, parse: fn(&Value) -> Option<Page>) -> Result<Page, String> {
    let kind = describe(f);
    if !(200..300).contains(&f.status) {
        return Err(format!("HTTP {}{kind}", f.status));
    }
    if f.truncated {
        return Err(format!("larger than {} MiB, not read further", MAX_BODY / (1024 * 1024)));
    }
    let doc: Value = serde_json::from_slice(&f.body).map_err(|e| {
        if kind.is_empty() { format!("not valid JSON ({e})") } else { format!("HTTP {}{kind}", f.status) }
    })?;
    parse(&doc).ok_or_else(|| "JSON, but not a status page summary in the expected format".to_owned())
}

/// ", HTML, not JSON" and the like; empty when the body looks like JSON.
fn describe(f: &Fetched) -> String {
    let prefix = &f.body[..f.body.len().min(512)];
    let t = String::from_utf8_lossy(prefix).trim_start().to_ascii_lowercase();
    // Invalid bytes in the first 512 (not a character cut at the end of them) mean binary data.
    let binary = std::str::from_utf8(prefix).is_err_and(|e| e.error_len().is_some());
    if f.body.is_empty() {
        ", empty body".to_owned()
    } else if f.looks_like_html() {
        ", HTML, not JSON".to_owned()
    } else if t.starts_with("<?xml") || t.starts_with("<rss") || t.starts_with("<feed") {
        // Azure's status feed and the like: openai-doctor reads Statuspage and incident.io pages.
        ", an RSS/XML feed, not a Statuspage or incident.io summary (JSON)".to_owned()
    } else if t.starts_with('{') || t.starts_with('[') {
        String::new()
    } else if binary {
        ", binary data, not JSON".to_owned()
    } else {
        format!(", text, not JSON (starts with {:?})", t.chars().take(40).collect::<String>())
    }
}

/// The API components the doctor expects any OpenAI status page to show.
const EXPECTED_API: &[&str] = &["Chat Completions", "Responses"];

fn judge(page: &Page, url: &Url, root: &Url, tried: &[String]) -> Outcome {
    let site = root.as_str().trim_end_matches('/');
    let api: Vec<_> = page.components.iter().filter(|c| c.is_api).collect();
    let not_shown: Vec<&str> =
        EXPECTED_API.iter().copied().filter(|e| !api.iter().any(|c| c.name.eq_ignore_ascii_case(e))).collect();
    let details = details::status::Status::Read(Read {
        url: url.to_string(),
        format: page.format,
        page_indicator: page.indicator.clone(),
        api_components: api
            .iter()
            .map(|c| ComponentStatus { name: c.name.clone(), status: c.status.clone() })
            .collect(),
        not_shown: not_shown.iter().map(|s| (*s).to_owned()).collect(),
        incidents: page.incidents.clone(),
        maintenances: page.maintenances.clone(),
        fallback_reasons: tried.to_vec(),
    });
    if api.is_empty() {
        return Outcome::with_status(Status::Warn, "status unknown: the page lists no API component", details).and(
            Finding::new(
                &UNKNOWN,
                Severity::Warn,
                format!(
                    "status unknown: {url} lists {} components, none of them an API component",
                    page.components.len()
                ),
                format!("Open {site} in a browser and look at the API components."),
            ),
        );
    }
    let mut out = Outcome::from_findings(String::new(), details, Vec::new());
    for finding in component_findings(&api, site) {
        out = out.and(finding);
    }
    for finding in incident_findings(page, site) {
        out = out.and(finding);
    }
    out.summary = summary(page, &api, &not_shown);
    out
}

/// One finding per status, naming every API component in it (ten degraded components are one
/// finding, not ten).
fn component_findings(api: &[&page::Component], site: &str) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (status, code, severity) in [
        ("major_outage", &MAJOR_OUTAGE, Severity::Fail),
        ("partial_outage", &PARTIAL_OUTAGE, Severity::Warn),
        ("degraded_performance", &DEGRADED, Severity::Warn),
        ("under_maintenance", &MAINTENANCE, Severity::Warn),
    ] {
        let names: Vec<&str> = api.iter().filter(|c| c.status == status).map(|c| c.name.as_str()).collect();
        if !names.is_empty() {
            findings.push(Finding::new(
                code,
                severity,
                format!("{}: {}", names.join(", "), page::words(status)),
                format!("Wait and retry with exponential backoff; follow {site}."),
            ));
        }
    }
    findings
}

/// Incidents and maintenances that touch the API, or name no product at all (unscoped: they may).
fn incident_findings(page: &Page, site: &str) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (list, code, what) in
        [(&page.incidents, &INCIDENT, "incident"), (&page.maintenances, &MAINTENANCE, "maintenance")]
    {
        for i in list.iter().filter(|i| i.touches_api || i.unscoped) {
            let mut msg = format!("{what}: {} ({}", i.name, page::words(&i.status));
            if let Some(since) = &i.since {
                let _ = write!(msg, ", since {since}");
            }
            if let Some(until) = &i.until {
                let _ = write!(msg, ", until {until}");
            }
            msg.push(')');
            if !i.components.is_empty() {
                let _ = write!(msg, " affecting {}", i.components.join(", "));
            } else if i.unscoped {
                msg.push_str(", naming no product: it may touch the API");
            }
            if let Some(update) = &i.latest_update {
                let _ = write!(msg, ". Latest update: {}", update.trim());
            }
            findings.push(Finding::new(
                code,
                Severity::Warn,
                msg,
                format!("Follow the {what} on {site}; retry with backoff."),
            ));
        }
    }
    findings
}

/// "all 3 API components operational; 1 ongoing API incident (1 incident on other products)".
fn summary(page: &Page, api: &[&page::Component], not_shown: &[&str]) -> String {
    let worst = api.iter().max_by_key(|c| page::severity_rank(&c.status)).expect("api is not empty");
    let others = page.incidents.iter().filter(|i| !i.touches_api && !i.unscoped).count();
    let unscoped = page.incidents.iter().filter(|i| i.unscoped).count();
    let api_incidents = page.incidents.iter().filter(|i| i.touches_api).count();
    let mut summary = if page::severity_rank(&worst.status) == 0 {
        format!("all {} API components operational", api.len())
    } else {
        let bad: Vec<String> = api
            .iter()
            .filter(|c| page::severity_rank(&c.status) > 0)
            .map(|c| format!("{} {}", c.name, page::words(&c.status)))
            .collect();
        bad.join(", ")
    };
    if !not_shown.is_empty() {
        let _ = write!(summary, " (the page does not show {})", not_shown.join(" or "));
    }
    if api_incidents > 0 {
        let _ = write!(summary, "; {}", plural(api_incidents, "ongoing API incident"));
    }
    if unscoped > 0 {
        let _ = write!(summary, "; {} naming no product", plural(unscoped, "incident"));
    }
    let maintenances = page.maintenances.iter().filter(|m| m.touches_api || m.unscoped).count();
    if maintenances > 0 {
        let _ = write!(summary, "; {} in progress", plural(maintenances, "maintenance"));
    }
    if others > 0 {
        let _ = write!(summary, " ({} on other products)", plural(others, "incident"));
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_built_from_the_root() {
        let root = Url::parse("http://127.0.0.1:8080/x").unwrap();
        assert_eq!(summary_url(&root).as_str(), "http://127.0.0.1:8080/x/api/v2/summary.json");
        assert_eq!(incident_io_url(&root).as_str(), "http://127.0.0.1:8080/x/proxy/127.0.0.1");
        let root = Url::parse("https://status.openai.com").unwrap();
        assert_eq!(incident_io_url(&root).as_str(), "https://status.openai.com/proxy/status.openai.com");
    }

    fn fetched(status: u16, ct: &str, body: &str) -> Fetched {
        Fetched {
            status,
            content_type: Some(ct.to_owned()),
            headers: reqwest::header::HeaderMap::new(),
            body: body.as_bytes().to_vec(),
            truncated: false,
            api_error: None,
            ttfb: Duration::ZERO,
            elapsed: Duration::ZERO,
            url: None,
        }
    }

    #[test]
    fn what_was_received_is_said() {
        let parse = page::parse_statuspage as fn(&Value) -> Option<Page>;
        let e = interpret(&fetched(200, "text/html", "<!DOCTYPE html><p>hi"), parse).unwrap_err();
        assert!(e.contains("HTML, not JSON"), "{e}");
        let e = interpret(&fetched(503, "text/plain", ""), parse).unwrap_err();
        assert!(e.contains("HTTP 503") && e.contains("empty"), "{e}");
        let e = interpret(&fetched(200, "application/json", "{\"a\":1}"), parse).unwrap_err();
        assert!(e.contains("not a status page"), "{e}");
        let e = interpret(&fetched(200, "application/json", "{\"a\":"), parse).unwrap_err();
        assert!(e.contains("not valid JSON"), "{e}");
    }

    fn config(base: &str, provider: crate::provider::Provider) -> crate::config::Config {
        let mut c = crate::config::Config::new(crate::config::Env::default());
        c.base_url = Url::parse(base).unwrap();
        c.provider = provider;
        c
    }

    #[test]
    fn other_providers_are_not_judged_by_openai_status() {
        use crate::provider::{Azure, AzureStyle, Provider};
        let azure = Provider::Azure(Azure {
            endpoint: Url::parse("https://res.openai.azure.com").unwrap(),
            style: AzureStyle::Deployments,
            api_version: Some("2024-10-21".into()),
            deployment_from: None,
        });
        let out = not_applicable(&config("https://res.openai.azure.com/openai", azure.clone())).unwrap();
        assert_eq!(out.status, Status::Skip, "not a pass claiming health");
        assert!(out.summary.contains(AZURE_STATUS_URL) && out.summary.contains("Resource Health"), "{}", out.summary);
        assert_eq!((out.findings[0].code, out.findings[0].severity), (NOT_APPLICABLE.id, Severity::Info));

        let out = not_applicable(&config("https://openrouter.ai/api/v1", Provider::Compatible)).unwrap();
        assert!(out.summary.contains(OPENROUTER_STATUS_URL), "{}", out.summary);
        let out = not_applicable(&config("http://127.0.0.1:4000/v1", Provider::Compatible)).unwrap();
        assert!(out.summary.contains("127.0.0.1") && !out.summary.contains("openrouter"), "{}", out.summary);
        assert!(out.findings[0].remedy.contains("--status-url https://status.openai.com"), "{:?}", out.findings);

        // OpenAI's API, or a page named on the command line: read as before.
        assert!(not_applicable(&config("https://api.openai.com/v1", Provider::Openai)).is_none());
        let mut given = config("https://res.openai.azure.com/openai", azure);
        given.status_url_given = true;
        assert!(not_applicable(&given).is_none());
    }

    #[test]
    fn an_xml_feed_is_named() {
        let parse = page::parse_statuspage as fn(&Value) -> Option<Page>;
        let e =
            interpret(&fetched(200, "application/rss+xml", "<?xml version=\"1.0\"?><rss></rss>"), parse).unwrap_err();
        assert!(e.contains("RSS/XML feed"), "{e}");
    }
}
