//! The `proxy` check: which proxy variable applies to the API URL and why, what is wrong with the
//! variables (malformed, unsupported scheme, upper/lower-case conflict, typos, NO_PROXY bypass),
//! how the common clients treat them, and — when a proxy is in the path — whether it opens a
//! CONNECT tunnel to the API host.

use std::net::SocketAddr;
use std::time::Duration;

use crate::config::Env;
use crate::details::proxy::{Applies, ConnectReply, Proxy};
use crate::engine::check::{Activity, BoxFuture, Check, CheckInfo, Context};
use crate::model::{CheckId, Finding, Outcome, Severity, Status};
use crate::net::proxy_env::{self, ProxyUrlError};
use crate::net::tunnel::{self, ConnectFailure, TunnelError};

static INFO: CheckInfo = CheckInfo {
    id: CheckId::Proxy,
    title: "Proxy",
    verifies: "the proxy variables (which applies, conflicts, NO_PROXY) and, when a proxy is in the path, that it opens a CONNECT tunnel to the API",
    guide_step: "2. Check your network connection (proxies)",
    time_limit: Duration::from_secs(10),
    codes: &[
        &DIRECT,
        &BYPASSED,
        &BAD_URL,
        &UNSUPPORTED_SCHEME,
        &CASE_CONFLICT,
        &TYPO,
        &CLIENTS,
        &REFUSED,
        &NO_NETWORK,
        &TIMEOUT,
        &AUTH_REQUIRED,
        &FORBIDDEN,
        &UPSTREAM,
        &UNEXPECTED,
    ],
};

const STEP_TIMEOUT: Duration = Duration::from_secs(5);

code!(
    DIRECT,
    "proxy.direct",
    "No proxy: direct connection",
    "No proxy variable applies to the API URL, so clients connect directly. That is fine unless your \
network requires a proxy for outbound HTTPS, in which case direct connections time out (see the \
tls check): set HTTPS_PROXY."
);
code!(
    BYPASSED,
    "proxy.bypassed",
    "NO_PROXY bypasses the proxy for the API host",
    "A proxy variable is set, but a NO_PROXY entry matches the API host, so clients connect \
directly. If your network only allows outbound traffic through the proxy, remove the entry.\n\n\
Verify: the proxy check shows the proxy in the path."
);
code!(
    BAD_URL,
    "proxy.bad_url",
    "The proxy variable does not hold a usable URL",
    "The proxy variable that applies cannot be parsed as a proxy URL. Clients fail before sending \
anything (httpx raises at client construction; curl refuses to run).\n\nFix: set it to \
http://host:port (or http://<user>:<password>@<host>:<port>).\n\nVerify: the proxy check passes."
);
code!(
    UNSUPPORTED_SCHEME,
    "proxy.unsupported_scheme",
    "The proxy uses a scheme the doctor cannot test",
    "SOCKS proxies work with curl and Go, but Python's httpx needs the optional `httpx[socks]` \
extra (otherwise: 'ImportError: Using SOCKS proxy, but the socksio package is not installed'), \
and Node.js fetch needs a SOCKS agent.\n\nFix: install the extra, or use an HTTP proxy."
);
code!(
    CASE_CONFLICT,
    "proxy.case_conflict",
    "Upper- and lower-case proxy variables disagree",
    "Both HTTPS_PROXY and https_proxy (or the HTTP/ALL pairs) are set to different values. Clients \
disagree on which wins: curl and Python (urllib, httpx, requests) take the lower-case one, Go \
takes the upper-case one. Two apps on the same machine then use different proxies.\n\nFix: set \
both to the same value, or unset one.\n\nVerify: the finding disappears."
);
code!(
    TYPO,
    "proxy.typo",
    "A variable looks like a misspelt proxy variable",
    "A variable whose name resembles a proxy variable (HTTP_PORXY, HTTPS_PROXY_, HTTPSPROXY, ...) is \
set, but no client reads it.\n\nFix: rename it.\n\nVerify: the finding disappears."
);
code!(
    CLIENTS,
    "proxy.clients",
    "How the common clients treat these variables",
    "curl reads https_proxy/HTTPS_PROXY (and only lower-case http_proxy). Python's httpx (the \
openai package) and requests read both cases, lower-case first, plus NO_PROXY. Go reads both \
cases, upper-case first. Node.js fetch (undici) and openai-node v5+ ignore HTTPS_PROXY unless \
you pass a ProxyAgent as fetchOptions.dispatcher (v4: httpAgent); Node 24 reads the variables \
only with NODE_USE_ENV_PROXY=1."
);
code!(
    REFUSED,
    "proxy.refused",
    "The proxy refused the connection",
    "Nothing listens at the proxy's address and port, or a firewall rejects it. Every request through \
it fails at once.\n\nFix: check the host and port in the proxy variable (the finding names it) and \
that the proxy is running.\n\nVerify: the proxy check passes."
);
code!(
    NO_NETWORK,
    "proxy.no_network",
    "This machine (or container) has no network: only loopback",
    "The proxy cannot be reached because the only network interface is loopback: a container \
started with --network none, a pod whose network was not set up, a sandbox. Seen here when the \
proxy's address is an IP (no lookup to fail first).\n\nFix: give the container a network (drop \
--network none, docker network connect, the pod's CNI).\n\nVerify: the proxy check opens a tunnel."
);
code!(
    TIMEOUT,
    "proxy.timeout",
    "The proxy did not answer",
    "The proxy did not accept the connection, or accepted it and never answered the CONNECT request, \
within the time limit. Clients hang until their own timeout.\n\nFix: check that the proxy is up \
and reachable from here; ask its operator.\n\nVerify: the proxy check passes in milliseconds."
);
code!(
    AUTH_REQUIRED,
    "proxy.auth_required",
    "The proxy requires authentication (407)",
    "The proxy answered 407 Proxy Authentication Required. Without credentials, or with wrong ones, \
every request fails. Proxies that offer only Negotiate (Kerberos) or NTLM are not supported by \
the official SDKs' HTTP stacks: put a local forwarding proxy (cntlm, px) in front.\n\nFix: put \
the credentials in the URL: HTTPS_PROXY=http://<user>:<password>@<host>:<port> (percent-encode special \
characters).\n\nVerify: the proxy check passes."
);
code!(
    FORBIDDEN,
    "proxy.forbidden",
    "The proxy refused to tunnel to the API (403)",
    "The proxy's policy blocks CONNECT to the API host (a category filter, an allow-list).\n\nFix: ask \
the proxy's operator to allow api.openai.com:443.\n\nVerify: the proxy check passes."
);
code!(
    UPSTREAM,
    "proxy.upstream",
    "The proxy could not reach the API (502/503/504)",
    "The proxy accepted the request but could not connect to the API host itself: its own DNS, \
routing or firewall fails.\n\nFix: ask the proxy's operator; test from another network.\n\nVerify: the proxy check passes."
);
code!(
    UNEXPECTED,
    "proxy.unexpected",
    "The proxy answered CONNECT unexpectedly",
    "The proxy answered CONNECT with a status that is neither success nor a known refusal, or with \
something that is not HTTP (an https proxy addressed as http://, or not a proxy at all).\n\nFix: \
check the proxy URL's scheme and port.\n\nVerify: the proxy check passes."
);

/// The `proxy` check.
#[derive(Debug)]
pub struct ProxyCheck;

impl Check for ProxyCheck {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn needs(&self, ctx: &Context) -> &'static [CheckId] {
        if ctx.net.proxy_url().is_some() { &[CheckId::Dns] } else { &[] }
    }

    fn run<'a>(&'a self, ctx: &'a Context, activity: &'a Activity) -> BoxFuture<'a, Outcome> {
        Box::pin(run(ctx, activity))
    }
}

/// Names of the variables clients read.
const KNOWN: &[&str] = proxy_env::VARIABLES;

/// Variables that look like misspelt proxy variables.
fn typos(env: &Env) -> Vec<String> {
    env.iter()
        .map(|(k, _)| k)
        .filter(|k| !KNOWN.contains(k))
        .filter(|k| {
            let l = k.to_ascii_lowercase();
            let squashed: String = l.chars().filter(char::is_ascii_alphabetic).collect();
            let proxyish = ["proxy", "porxy", "prxoy", "proxi", "prox"].iter().any(|p| squashed.ends_with(p));
            let scheme = ["http", "https", "all", "no"].iter().any(|s| squashed.starts_with(s));
            // Short names only: FOO_HTTP_PROXY_URL-style app settings are not typos.
            proxyish && scheme && squashed.len() <= 10
        })
        .map(str::to_owned)
        .collect()
}

fn conflicts(env: &Env) -> Vec<String> {
    KNOWN
        .chunks(2)
        .filter_map(|pair| match (env.non_empty(pair[0]), env.non_empty(pair[1])) {
            (Some(a), Some(b)) if a != b => Some(format!("{} and {}", pair[0], pair[1])),
            _ => None,
        })
        .collect()
}

async fn run(ctx: &Context, activity: &Activity) -> Outcome {
    let env = &ctx.config.env;
    let api_host = crate::config::bare_host(&ctx.config.base_url);
    let choice = ctx.net.proxy.clone();
    let details = Proxy {
        applies: choice.as_ref().map(|c| Applies {
            var: c.var.to_owned(),
            url: c.display(),
            bypassed_by: c.bypassed_by.clone(),
        }),
        set: KNOWN.iter().filter(|k| env.non_empty(k).is_some()).map(|k| (*k).to_owned()).collect(),
        proxy_addr: None,
        connect_ms: None,
        connect_reply: None,
    };
    let mut findings = variable_findings(env);
    let Some(choice) = choice else {
        return direct("direct connection: no proxy variable is set".to_owned(), details, findings);
    };
    let shown = choice.display();
    if let Some(entry) = &choice.bypassed_by {
        findings.push(Finding::new(
            &BYPASSED,
            Severity::Info,
            format!(
                "{} is set ({shown}), but NO_PROXY entry `{entry}` matches {api_host}: clients connect directly",
                choice.var
            ),
            "",
        ));
        let summary = format!("direct connection: NO_PROXY `{entry}` bypasses {} for {api_host}", choice.var);
        return direct(summary, details, findings);
    }
    let url = match &choice.url {
        Ok(url) => url.clone(),
        Err(why) => return unusable(choice.var, &shown, why, details, findings),
    };
    findings.push(Finding::new(
        &CLIENTS,
        Severity::Info,
        format!("{} applies: curl, Python (openai/httpx, requests) and Go use it; Node.js openai v5+ ignores it unless you pass a ProxyAgent (fetchOptions.dispatcher)", choice.var),
        "",
    ));
    live(ctx, activity, choice.var, &shown, &url, details, findings).await
}

/// Findings about the variables themselves: upper/lower-case conflicts and misspellings.
fn variable_findings(env: &crate::config::Env) -> Vec<Finding> {
    let mut findings = Vec::new();
    let conflicting = conflicts(env);
    if !conflicting.is_empty() {
        findings.push(Finding::new(
            &CASE_CONFLICT,
            Severity::Warn,
            format!(
                "{} are set to different values: curl and Python use the lower-case one, Go the upper-case one",
                conflicting.join("; ")
            ),
            "Set both cases to the same value, or unset one.",
        ));
    }
    let typo = typos(env);
    if !typo.is_empty() {
        findings.push(Finding::new(
            &TYPO,
            Severity::Warn,
            format!("{} set, but no client reads {}", typo.join(", "), if typo.len() == 1 { "it" } else { "them" }),
            "Rename it to HTTPS_PROXY / HTTP_PROXY / NO_PROXY.",
        ));
    }
    findings
}

/// A direct connection is a fact, not a verdict: "info" unless a finding says worse.
fn direct(summary: String, details: Proxy, findings: Vec<Finding>) -> Outcome {
    let out = Outcome::from_findings(summary, details, findings);
    if out.status == Status::Pass { Outcome { status: Status::Info, ..out } } else { out }
}

/// A proxy variable whose value cannot be used: a SOCKS proxy (a warning: some clients use it) or
/// not a URL at all.
fn unusable(var: &str, shown: &str, why: &ProxyUrlError, details: Proxy, mut findings: Vec<Finding>) -> Outcome {
    if let ProxyUrlError::Socks(scheme) = why {
        findings.push(Finding::new(
            &UNSUPPORTED_SCHEME,
            Severity::Warn,
            format!("{var} is a {scheme} proxy ({shown}): curl and Go use it, Python's openai/httpx only with the httpx[socks] extra, Node.js only with a SOCKS agent; the doctor cannot test it"),
            "pip install 'httpx[socks]' for Python clients, or give an HTTP proxy (http://host:port) if your network has one.",
        ));
        return Outcome::from_findings(
            format!("{var} is a {scheme} proxy, which the doctor cannot test"),
            details,
            findings,
        );
    }
    findings.push(Finding::new(
        &BAD_URL,
        Severity::Fail,
        format!("{var} is not a usable proxy URL: {why}"),
        format!("Set {var} to http://host:port (or http://<user>:<password>@<host>:<port>)."),
    ));
    Outcome::from_findings(format!("{var} cannot be used: {why}"), details, findings)
}

/// Live: connect to the proxy and ask for a tunnel to the API host.
async fn live(
    ctx: &Context,
    activity: &Activity,
    from: &str,
    shown: &str,
    url: &url::Url,
    mut details: Proxy,
    mut findings: Vec<Finding>,
) -> Outcome {
    let api_host = crate::config::bare_host(&ctx.config.base_url);
    let api_port = ctx.config.api_port();
    let (proxy_host, proxy_port) = ctx.first_hop();
    let addrs = ctx.first_hop_addrs(activity.bounded(STEP_TIMEOUT, Duration::from_millis(500))).await;
    let addr = match addrs.as_deref() {
        Ok([ip, ..]) => SocketAddr::new(*ip, proxy_port),
        Ok([]) | Err(_) => {
            let why = addrs.err().unwrap_or_else(|| "no address".to_owned());
            findings.push(Finding::new(
                &crate::net::resolve::ERROR,
                Severity::Fail,
                format!("the proxy host {proxy_host} (from {from}) does not resolve: {why}"),
                "Check the host in the proxy variable.",
            ));
            return Outcome::from_findings(format!("proxy {shown} does not resolve"), details, findings);
        }
    };
    activity.set(format!("connecting to proxy {shown} at {addr}"));
    let step = activity.bounded(STEP_TIMEOUT, Duration::from_millis(300));
    let (mut stream, connect_time) = match tunnel::open_proxy(addr, url, ctx.net.roots.clone(), step).await {
        Ok(ok) => ok,
        Err(e) => {
            let (finding, summary) = open_failure(e, from, shown, addr);
            findings.push(finding);
            return Outcome::from_findings(summary, details, findings);
        }
    };
    activity.set(format!("waiting for proxy {shown} to answer CONNECT {api_host}:{api_port}"));
    let step = activity.bounded(STEP_TIMEOUT, Duration::from_millis(300));
    let reply = tunnel::connect(&mut stream, url, &api_host, api_port, step).await;
    details.proxy_addr = Some(addr.to_string());
    details.connect_ms = Some(crate::model::millis(connect_time));
    let reply = match reply {
        Ok(r) => r,
        Err(e) => {
            let (code, msg) = match e {
                TunnelError::Timeout(t) => {
                    (&TIMEOUT, format!("proxy {shown} (from {from}) accepted the connection but {t}"))
                }
                TunnelError::Closed(t) | TunnelError::Io(t) | TunnelError::NotHttp(t) => {
                    (&UNEXPECTED, format!("proxy {shown} (from {from}): {t}"))
                }
            };
            let remedy = "Check the proxy URL and that the proxy is healthy; ask its operator.";
            findings.push(Finding::new(code, Severity::Fail, msg, remedy));
            return Outcome::from_findings(format!("proxy {shown} did not open a tunnel"), details, findings);
        }
    };
    details.connect_reply =
        Some(ConnectReply { status: reply.status, reason: reply.reason.clone(), elapsed_ms: reply.elapsed_ms });
    let target = format!("{api_host}:{api_port}");
    let creds = !url.username().is_empty();
    let (summary, finding) = judge_reply(&reply, from, shown, &target, creds);
    findings.extend(finding);
    Outcome::from_findings(summary, details, findings)
}

/// The finding and summary for a proxy that could not be reached.
fn open_failure(e: tunnel::OpenError, from: &str, shown: &str, addr: SocketAddr) -> (Finding, String) {
    match e {
        tunnel::OpenError::Connect(e) => {
            let (code, remedy) = match e.kind {
                ConnectFailure::Refused => {
                    (&REFUSED, format!("Check the host and port in {from} and that the proxy is running."))
                }
                ConnectFailure::Timeout => (
                    &TIMEOUT,
                    "The proxy's address drops packets: check it is reachable from this network (firewall, VPN)."
                        .to_owned(),
                ),
                ConnectFailure::NoNetwork => (&NO_NETWORK, crate::net::interfaces::NO_NETWORK_FIX.to_owned()),
                _ => (&REFUSED, format!("Check the address in {from}.")),
            };
            let msg = format!("proxy {shown} (from {from}) at {addr}: {} after {} ms", e.kind.words(), e.elapsed_ms);
            (Finding::new(code, Severity::Fail, msg, remedy), format!("proxy {shown} unreachable: {}", e.kind.words()))
        }
        tunnel::OpenError::Tls(text) => (
            Finding::new(
                &UNEXPECTED,
                Severity::Fail,
                format!("proxy {shown} (from {from}): {text}"),
                "Check the proxy URL's scheme (http:// or https://) and that your CA trusts the proxy's certificate.",
            ),
            format!("proxy {shown}: {text}"),
        ),
    }
}

/// The summary and finding for the proxy's answer to CONNECT.
fn judge_reply(
    reply: &tunnel::ConnectReply,
    from: &str,
    shown: &str,
    target: &str,
    creds: bool,
) -> (String, Option<Finding>) {
    match reply.status {
        200..=299 => (
            format!("CONNECT {target} through {shown} (from {from}) → {} in {} ms", reply.status, reply.elapsed_ms),
            None,
        ),
        // 407 is the standard answer; some proxies (tinyproxy among them) answer CONNECT with 401.
        401 | 407 => {
            let mut offered = reply.header_values("proxy-authenticate");
            offered.extend(reply.header_values("www-authenticate"));
            let schemes: Vec<String> =
                offered.iter().map(|v| v.split_whitespace().next().unwrap_or("").to_owned()).collect();
            let only_sso = !schemes.is_empty()
                && schemes.iter().all(|s| s.eq_ignore_ascii_case("negotiate") || s.eq_ignore_ascii_case("ntlm"));
            let msg = format!(
                "proxy {shown} (from {from}) answered {}: {}; it offers {}",
                reply.status,
                if creds {
                    "it rejected the credentials in the proxy URL"
                } else {
                    "it requires credentials and the proxy URL has none"
                },
                if schemes.is_empty() { "no scheme".to_owned() } else { schemes.join(", ") }
            );
            let remedy = if only_sso {
                "This proxy offers only Negotiate/NTLM, which the official SDKs do not support: run a local forwarding proxy (cntlm, px) and point HTTPS_PROXY at it.".to_owned()
            } else {
                format!(
                    "Put valid credentials in {from}: http://<user>:<password>@<host>:<port> (percent-encode special characters)."
                )
            };
            (
                format!("proxy {shown} requires authentication ({})", reply.status),
                Some(Finding::new(&AUTH_REQUIRED, Severity::Fail, msg, remedy)),
            )
        }
        403 => (
            format!("proxy {shown} blocks {target} (403)"),
            Some(Finding::new(
                &FORBIDDEN,
                Severity::Fail,
                format!("proxy {shown} (from {from}) refused CONNECT {target}: 403 {}", reply.reason),
                format!("Ask the proxy's operator to allow {target}."),
            )),
        ),
        502..=504 => (
            format!("proxy {shown} cannot reach {target} ({})", reply.status),
            Some(Finding::new(
                &UPSTREAM,
                Severity::Fail,
                format!("proxy {shown} (from {from}) could not reach {target}: {} {}", reply.status, reply.reason),
                "The proxy itself cannot reach the API: ask its operator (its DNS, routes or firewall).",
            )),
        ),
        other => (
            format!("proxy {shown} answered {other}"),
            Some(Finding::new(
                &UNEXPECTED,
                Severity::Fail,
                format!("proxy {shown} (from {from}) answered CONNECT {target} with {other} {}", reply.reason),
                "Check the proxy URL; ask its operator.",
            )),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::proxy_env::{self, ProxyChoice};

    #[test]
    fn typos_and_conflicts() {
        let env = Env::from_pairs([
            ("HTTP_PORXY", "x"),
            ("HTTPS_PROXY", "http://a:1"),
            ("https_proxy", "http://b:1"),
            ("MY_APP_HTTP_PROXY_URL", "y"),
            ("NOPROXY", "z"),
        ]);
        assert_eq!(typos(&env), ["HTTP_PORXY", "NOPROXY"]);
        assert_eq!(conflicts(&env), ["https_proxy and HTTPS_PROXY"]);
    }

    #[test]
    fn choice_is_shared_with_the_network_context() {
        // The check reports exactly what Net uses: both come from proxy_env::choose.
        let env = Env::from_pairs([("HTTPS_PROXY", "http://u:pw@127.0.0.1:3128")]);
        let url = url::Url::parse("https://api.openai.com/v1").unwrap();
        let c: ProxyChoice = proxy_env::choose(&env, &url).unwrap();
        assert_eq!(c.display(), "http://u:***@127.0.0.1:3128/");
    }
}
