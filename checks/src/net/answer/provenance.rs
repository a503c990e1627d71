//! Who sent an answer, from evidence: OpenAI's API (its error envelope, `x-request-id`,
//! `openai-processing-ms`, `openai-organization`/`openai-project`), Azure OpenAI, Cloudflare's
//! edge (in front of the API or of a gateway: the 52x family, its firewall, its rate limit), a
//! corporate proxy or secure web gateway (its headers and block pages), an LLM gateway the base
//! URL points at (its own error, or the upstream's relayed, recovered), an OpenAI-compatible
//! server (vLLM, Ollama: its own error, in its own terms), a captive portal, or something
//! unrecognised, "not from the API". The markers are those of the real answers in
//! `tests/fixtures/answers/`, plus the vendors' documented header names where no answer was found
//! (the README there lists which).

use serde_json::Value;

use super::catalogue::{Class, Diagnosis, Provider, Said, contains_ci, message_wait};
use super::{Answer, Fixer, is_openai_host};

/// A corporate proxy or secure web gateway product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Product {
    /// Zscaler Internet Access.
    Zscaler,
    /// Netskope.
    Netskope,
    /// FortiGate / FortiGuard web filter.
    Fortinet,
    /// Palo Alto Networks URL filtering.
    Paloalto,
    /// Blue Coat / Symantec ProxySG.
    Bluecoat,
    /// Cisco Umbrella.
    Umbrella,
    /// Squid.
    Squid,
}

/// An LLM or API gateway in front of the API, or an OpenAI-compatible server the base URL points
/// at (`compatible_server`: it is the API itself, not a hop before one; its tag is
/// `compatible:<product>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Gateway {
    /// LiteLLM's proxy.
    Litellm,
    /// Helicone (proxy and AI gateway).
    Helicone,
    /// Portkey.
    Portkey,
    /// Cloudflare AI Gateway (and Cloudflare's API).
    CloudflareAi,
    /// Kong.
    Kong,
    /// Azure API Management.
    AzureApim,
    /// OpenRouter.
    Openrouter,
    /// vLLM's OpenAI-compatible server (a compatible server, not a gateway).
    Vllm,
    /// Ollama's OpenAI-compatible API (a compatible server, not a gateway).
    Ollama,
}

impl Gateway {
    /// The product's name as printed.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Litellm => "LiteLLM",
            Self::Helicone => "Helicone",
            Self::Portkey => "Portkey",
            Self::CloudflareAi => "Cloudflare AI Gateway",
            Self::Kong => "Kong",
            Self::AzureApim => "Azure API Management",
            Self::Openrouter => "OpenRouter",
            Self::Vllm => "vLLM",
            Self::Ollama => "Ollama",
        }
    }

    /// A server that serves the models itself (OpenAI's API shape, its own engine), not a hop in
    /// front of another API: its errors are its own, about its own models.
    #[must_use]
    pub fn compatible_server(self) -> bool {
        matches!(self, Self::Vllm | Self::Ollama)
    }

    /// A hosted service where each caller has an account and key of their own.
    fn hosted(self) -> bool {
        matches!(self, Self::Openrouter | Self::Portkey)
    }

    /// The gateway forwards the caller's own provider key (so a relayed key or billing error is
    /// the caller's), rather than its own configured one.
    fn passes_callers_key(self) -> bool {
        matches!(self, Self::Helicone | Self::CloudflareAi)
    }
}

impl Product {
    /// The product's name as printed.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Zscaler => "Zscaler",
            Self::Netskope => "Netskope",
            Self::Fortinet => "Fortinet (FortiGate)",
            Self::Paloalto => "Palo Alto Networks",
            Self::Bluecoat => "Blue Coat / Symantec",
            Self::Umbrella => "Cisco Umbrella",
            Self::Squid => "Squid",
        }
    }
}

/// What a gateway's own error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Own {
    /// Its own authentication (the caller's key to the gateway).
    Auth,
    /// Its own timeout waiting for the upstream.
    Timeout,
    /// Its own cooldown or rate limit.
    Cooldown,
    /// Its routes: no such model, endpoint or method.
    Routing,
    /// It could not connect to its upstream ("Connection error."): the upstream is down or
    /// unreachable from the gateway.
    Unreachable,
    /// Something else of its own.
    Other,
}

/// Who sent an answer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "sender", rename_all = "snake_case")]
pub enum Sender {
    /// OpenAI's API.
    Api,
    /// Azure OpenAI.
    Azure,
    /// Cloudflare's edge in front of `fronting`; `code` is the page's error code (520…526,
    /// 1015 rate limited, 1020 firewall block) or the status.
    Cloudflare {
        /// The host Cloudflare fronts (from the page, else the base URL's).
        fronting: String,
        /// The error code.
        code: u16,
    },
    /// A proxy or secure web gateway on the caller's network.
    Proxy {
        /// The product, when the answer names it.
        product: Option<Product>,
    },
    /// An LLM or API gateway the base URL points at.
    Gateway {
        /// The product, when recognised.
        product: Option<Gateway>,
        /// `None`: the upstream's error relayed; else the gateway's own, of this kind.
        own: Option<Own>,
    },
    /// A captive portal or login page.
    Portal,
    /// Not from the API, and not recognised.
    Unknown {
        /// The HTML page's title, if any.
        title: Option<String>,
    },
}

impl Sender {
    /// A short tag: `api`, `azure`, `cloudflare`, `proxy:squid`, `gateway:litellm`,
    /// `compatible:vllm`, `portal`, `unknown` (`proxy` / `gateway` alone when the product is not
    /// recognised).
    #[must_use]
    pub fn tag(&self) -> String {
        match self {
            Self::Api => "api".into(),
            Self::Azure => "azure".into(),
            Self::Cloudflare { .. } => "cloudflare".into(),
            Self::Proxy { product: Some(p) } => format!("proxy:{}", serde_plain(p)),
            Self::Proxy { product: None } => "proxy".into(),
            Self::Gateway { product: Some(g), .. } if g.compatible_server() => format!("compatible:{}", serde_plain(g)),
            Self::Gateway { product: Some(g), .. } => format!("gateway:{}", serde_plain(g)),
            Self::Gateway { product: None, .. } => "gateway".into(),
            Self::Portal => "portal".into(),
            Self::Unknown { .. } => "unknown".into(),
        }
    }

    /// Who answered, in words: "OpenAI's API", "Cloudflare's edge in front of api.openai.com".
    #[must_use]
    pub fn describe(&self, base_host: &str) -> String {
        match self {
            Self::Api => "OpenAI's API".into(),
            Self::Azure => "Azure OpenAI".into(),
            Self::Cloudflare { fronting, .. } => format!("Cloudflare's edge in front of {fronting}"),
            Self::Proxy { product: Some(p) } => format!("a {} proxy on your network", p.name()),
            Self::Proxy { product: None } => "a proxy on your network".into(),
            Self::Gateway { product: Some(g), .. } if g.compatible_server() => {
                format!("{}'s OpenAI-compatible server at {base_host}", g.name())
            }
            Self::Gateway { product, own } => {
                let name = product
                    .map_or_else(|| format!("the gateway at {base_host}"), |g| format!("{} at {base_host}", g.name()));
                match own {
                    None => format!("{name}, relaying its upstream's error"),
                    Some(_) => format!("{name} (its own error)"),
                }
            }
            Self::Portal => "a captive portal or login page".into(),
            Self::Unknown { title: Some(t) } => format!("not the API: an unrecognised page titled \"{t}\""),
            Self::Unknown { title: None } => "not the API: an unrecognised answer".into(),
        }
    }

    /// Whose terms the error is in: Azure for Azure OpenAI and for an upstream Azure answer a
    /// gateway relayed (LiteLLM's `AzureException`, Azure API Management passing its backend's),
    /// the server's own for vLLM and Ollama, else OpenAI's.
    #[must_use]
    pub fn provider(&self, said: Option<&Said>) -> Provider {
        match self {
            Self::Azure => Provider::Azure,
            Self::Gateway { product: Some(Gateway::Vllm), .. } => Provider::Vllm,
            Self::Gateway { product: Some(Gateway::Ollama), .. } => Provider::Ollama,
            Self::Gateway { product: Some(Gateway::AzureApim), own: None } => Provider::Azure,
            Self::Gateway { own: None, .. }
                if said.is_some_and(|s| {
                    contains_ci(&s.message, "Azure OpenAI") || s.message.contains("AzureException")
                }) =>
            {
                Provider::Azure
            }
            _ => Provider::OpenAi,
        }
    }

    /// Class, retryability, fixer, what happened and the fix, from the sender and the diagnosis.
    #[allow(clippy::too_many_lines)]
    pub(super) fn verdict(
        &self,
        a: &Answer,
        p: &Provenance,
        d: Option<&Diagnosis>,
    ) -> (Class, bool, Fixer, String, Option<String>) {
        let status = a.status.unwrap_or(0);
        match self {
            Self::Api | Self::Azure => match d {
                Some(d) => {
                    let fixer = if d.class == Class::OpenAi { Fixer::OpenAi } else { Fixer::You };
                    (d.class, d.retryable, fixer, d.what.clone(), d.fix.clone())
                }
                None => (Class::Unknown, false, Fixer::You, format!("{} answered {status}", self.describe(&a.base_host)), None),
            },
            Self::Cloudflare { fronting, code } => {
                let owner = if is_openai_host(fronting) || fronting.ends_with(".openai.com") { Fixer::OpenAi } else { Fixer::GatewayOwner };
                let owner_words = if owner == Fixer::OpenAi { "OpenAI's side" } else { "the gateway's operator" };
                match code {
                    1020 => (
                        Class::Edge,
                        false,
                        Fixer::You,
                        format!("Cloudflare's firewall in front of {fronting} blocked this client before the API saw it (its IP, VPN or hosting range, or the request's content); the key was never checked"),
                        Some("Call from another network or egress IP (no VPN, not a hosting range); if it persists, contact OpenAI support with the Ray ID. A new key does not help.".into()),
                    ),
                    1015 => (
                        Class::Edge,
                        true,
                        Fixer::You,
                        format!("Cloudflare in front of {fronting} rate-limited this client (error 1015)"),
                        Some("Slow down and retry later; many clients behind one address share this limit.".into()),
                    ),
                    c => {
                        let meaning = edge_meaning(*c);
                        let retryable = !matches!(c, 525 | 526);
                        let fix = match c {
                            524 => "Stream the response (stream: true) so bytes flow before ~100 s, or shorten the request; retry with backoff.".to_owned(),
                            525 | 526 => format!("Nothing on your side: {owner_words} must fix the origin's TLS; check its status page."),
                            _ => format!("Nothing on your side: retry with backoff; if it persists, it is {owner_words} to fix (quote the Ray ID)."),
                        };
                        (Class::Edge, retryable, owner, format!("{c} from Cloudflare in front of {fronting}: {meaning}"), Some(fix))
                    }
                }
            }
            Self::Proxy { product } => {
                let who = product.map_or("a proxy", Product::name);
                if status == 407 {
                    (
                        Class::Network,
                        false,
                        Fixer::NetworkTeam,
                        format!("{who} on your network asks for credentials (407)"),
                        Some("Give the proxy's credentials (HTTPS_PROXY=http://user:pass@host:port) or ask your network team; the API never saw the request.".into()),
                    )
                } else {
                    (
                        Class::Network,
                        false,
                        Fixer::NetworkTeam,
                        format!("{who} on your network refused the request with its block page; the API never saw it, so the key was never checked"),
                        Some(format!("Ask your network team to allow {} for this client (or set NO_PROXY where the proxy should not be used); retrying does not help.", a.base_host)),
                    )
                }
            }
            Self::Gateway { product: Some(g), .. } if g.compatible_server() => {
                let name = format!("{}'s OpenAI-compatible server at {}", g.name(), a.base_host);
                match d {
                    Some(d) if d.id != "unknown" => {
                        (d.class, d.retryable, Fixer::You, format!("{name} answered: {}", d.what), d.fix.clone())
                    }
                    // Not in the catalogue: its message is quoted by the report; no fix invented.
                    Some(d) => (
                        d.class,
                        d.retryable,
                        if status >= 500 { Fixer::GatewayOwner } else { Fixer::You },
                        format!("{name} answered {status} with its own error (not OpenAI's API: OpenAI's status page and keys do not apply)"),
                        None,
                    ),
                    None => (Class::Unknown, status >= 500, Fixer::You, format!("{name} answered {status}"), None),
                }
            }
            Self::Gateway { product, own: None } => {
                let name = product.map_or("The gateway", Gateway::name);
                match d {
                    Some(d) => {
                        let fixer = match d.class {
                            // Waiting out a rate limit and fixing the request are the caller's.
                            Class::Request | Class::RateLimit => Fixer::You,
                            Class::OpenAi => Fixer::OpenAi,
                            _ if product.is_some_and(Gateway::passes_callers_key) => Fixer::You,
                            _ => Fixer::GatewayOwner,
                        };
                        let fix = d.fix.as_ref().map(|f| {
                            if fixer == Fixer::GatewayOwner {
                                format!("For the gateway's owner (it calls its upstream with its own key and settings, not yours): {f}")
                            } else {
                                f.clone()
                            }
                        });
                        (d.class, d.retryable, fixer, format!("{name} relayed the upstream's error: {}", d.what), fix)
                    }
                    None => (Class::Gateway, false, Fixer::GatewayOwner, format!("{name} relayed an upstream error"), None),
                }
            }
            Self::Gateway { product, own: Some(own) } => {
                let name = product.map_or("The gateway", Gateway::name);
                let wait = p.said.as_ref().and_then(|s| message_wait(&s.message));
                let (retryable, what, fix) = match own {
                    Own::Auth if product.is_some_and(Gateway::hosted) => (false, format!("{name} refused the request itself: your key to {name} (not an OpenAI key) was missing or not accepted"), format!("Send your {name} key (Authorization: Bearer) from your account there; OpenAI never saw the request.")),
                    Own::Auth => (false, format!("{name} refused the request itself: your key to the gateway (not the OpenAI key) was not accepted"), "Ask the gateway's owner for a key it accepts (or the header it expects); OpenAI never saw the request.".to_owned()),
                    Own::Timeout => (true, format!("{name}'s own timeout fired while it waited for its upstream: the gateway, not OpenAI, gave up"), "Retry; if it repeats, the gateway's owner should raise its upstream timeout (or the upstream is slow: check its status).".to_owned()),
                    Own::Cooldown => (true, format!("{name} put the model's upstream in cooldown after upstream failures and refused without calling it{}", wait.map(|w| format!("; it asks to wait {w:.0} s")).unwrap_or_default()), "Wait the stated time and retry; the upstream failures behind the cooldown are for the gateway's owner to look at.".to_owned()),
                    Own::Unreachable => (true, format!("{name} could not connect to its upstream (a connection error, relayed as {status}): the upstream is down or unreachable from the gateway; OpenAI's status page does not cover this hop"), "The gateway's owner: check the upstream's address and that it is up and reachable from the gateway.".to_owned()),
                    Own::Routing => (false, format!("{name} does not serve this route or model (its own configuration); what it answers says nothing about the key or OpenAI"), "Use a route and model name the gateway serves (ask its owner); a GET /models the gateway answers itself is no proof the upstream works.".to_owned()),
                    Own::Other => (status >= 500 || matches!(status, 408 | 429), format!("{name} answered with its own error"), "See the gateway's message; its owner can tell more.".to_owned()),
                };
                // On a hosted gateway the caller holds their own key to it; a self-hosted one's
                // keys are issued by whoever runs it.
                let fixer = if *own == Own::Auth && product.is_some_and(Gateway::hosted) {
                    Fixer::You
                } else {
                    Fixer::GatewayOwner
                };
                (Class::Gateway, retryable, fixer, what, Some(fix))
            }
            Self::Portal => (
                Class::Network,
                false,
                Fixer::You,
                "a captive portal or login page answered instead of the API (HTML where JSON was expected)".into(),
                Some("Log in to the network (open any http:// page in a browser) or use another network; the API never saw the request.".into()),
            ),
            Self::Unknown { title } => {
                let fixer = if a.base_is_openai() { Fixer::NetworkTeam } else { Fixer::GatewayOwner };
                let t = title.as_ref().map(|t| format!(" titled \"{t}\"")).unwrap_or_default();
                (
                    Class::Unknown,
                    status >= 500,
                    fixer,
                    format!("not from the API: an answer{t} the doctor does not recognise (no OpenAI envelope or headers)"),
                    None,
                )
            }
        }
    }
}

/// An enum's serde name (kebab-case) without a serializer round-trip through JSON text.
fn serde_plain<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// What Cloudflare's 5xx codes mean.
#[must_use]
pub fn edge_meaning(code: u16) -> &'static str {
    match code {
        520 => "the origin answered with an empty, unknown or unexpected response",
        521 => "the origin refused the connection (origin down)",
        522 => "Cloudflare could not complete a TCP connection to the origin (connect timeout)",
        523 => "the origin is unreachable (no route to it)",
        524 => "the origin accepted the connection but did not answer within Cloudflare's ~100 s",
        525 => "the TLS handshake between Cloudflare and the origin failed",
        526 => "the origin's certificate is not valid for Cloudflare",
        530 => "Cloudflare could not resolve or reach the origin (an origin DNS error)",
        502 => "bad gateway between Cloudflare and the origin",
        503 => "the origin is unavailable",
        504 => "the origin timed out",
        _ => "an error page from Cloudflare, not the API's answer",
    }
}

/// Who sent an answer, the evidence, and what it said.
#[derive(Debug, Clone)]
pub struct Provenance {
    /// The sender.
    pub sender: Sender,
    /// What shows it.
    pub evidence: Vec<String>,
    /// The error said (by the API, or the upstream's a gateway relayed) for the catalogue.
    pub said: Option<Said>,
}

/// How much of a body the markers are searched in.
const SCAN: usize = 64 * 1024;

/// Decides who sent `a`.
#[must_use]
#[allow(clippy::too_many_lines)]
pub fn provenance(a: &Answer) -> Provenance {
    let body = &a.body[..a.body.len().min(SCAN)];
    let text = String::from_utf8_lossy(body);
    let lower = text.to_ascii_lowercase();
    let json = a.json();
    let status = a.status;
    let html = looks_html(a, &lower);
    let title = html_title(&text);
    let mut ev = Vec::new();

    // 0. A success with the API's own headers is the API's (or its relay's, see the gateways):
    // its body is a model's text, which may mention any product, so no page marker applies.
    let api_header =
        ["openai-processing-ms", "openai-organization", "openai-project", "openai-version", "x-request-id"]
            .iter()
            .any(|h| a.header(h).is_some());
    let success = status.is_some_and(|s| (200..300).contains(&s));
    // 1. Gateways, by headers, host and envelope (their answers are JSON, often OpenAI-like).
    if let Some(g) = gateway(a, json.as_ref(), &mut ev) {
        return g;
    }
    // 2. Cloudflare's own JSON errors in front of the API (`cf_bad_gateway`, `cf_gateway_timeout`).
    if let Some(kind) = json.as_ref().and_then(|v| v.pointer("/error/type")).and_then(Value::as_str)
        && kind.starts_with("cf_")
    {
        ev.push(format!("a Cloudflare error type in the body (\"{kind}\"), not one of the API's"));
        push_header(a, "cf-ray", &mut ev);
        let fronting = a.base_host.clone();
        return done(Sender::Cloudflare { fronting, code: status.unwrap_or(0) }, ev, None);
    }
    // 2b. OpenAI-compatible servers (vLLM, Ollama), by their envelopes, wording and ports (after
    // Cloudflare's JSON errors, whose code is a number too).
    if let Some(c) = compatible(a, json.as_ref(), &mut ev) {
        return c;
    }
    let envelope = json.as_ref().and_then(|v| Said::from_json(v, status)).filter(|s| !s.bare);
    if envelope.is_none() && json.is_none() && !(success && (api_header || !html)) {
        // 3. Non-JSON: a proxy's block page, Cloudflare's edge page, a portal.
        if let Some(p) = proxy(a, &lower, title.as_deref(), &mut ev) {
            return done(Sender::Proxy { product: p }, ev, None);
        }
        if let Some((fronting, code)) = cloudflare(a, &text, &lower, title.as_deref(), &mut ev) {
            return done(Sender::Cloudflare { fronting, code }, ev, None);
        }
        if portal(a, &lower, html, &mut ev) {
            return done(Sender::Portal, ev, None);
        }
        if status.is_some_and(|s| (300..400).contains(&s))
            && let Some(loc) = a.header("location")
        {
            ev.push(format!(
                "a {} redirect to {}: the base URL's host sends clients elsewhere",
                status.unwrap_or(0),
                cap(loc)
            ));
            return done(Sender::Unknown { title: None }, ev, None);
        }
    }
    // 4. Azure OpenAI, by host, headers and its own error codes.
    let azure_host = is_azure_host(&a.base_host);
    let azure_headers: Vec<&str> =
        ["apim-request-id", "x-ms-region", "azureml-model-session", "x-ms-client-request-id"]
            .into_iter()
            .filter(|h| a.header(h).is_some())
            .collect();
    if azure_host || !azure_headers.is_empty() || contains_ci(&text, "Azure OpenAI") {
        if azure_host {
            ev.push(format!("the base URL's host {} is an Azure OpenAI endpoint", a.base_host));
        }
        for h in azure_headers {
            // The region that answered is worth its value: "wrong regional endpoint" is Azure's
            // own wording for a common 401.
            match a.header(h).filter(|_| h == "x-ms-region") {
                Some(region) => ev.push(format!("Azure's header x-ms-region: {}", cap(region))),
                None => ev.push(format!("Azure's header {h}")),
            }
        }
        if contains_ci(&text, "Azure OpenAI") {
            ev.push("the message names Azure OpenAI".into());
        }
        let said = envelope.clone().or_else(|| said_of(a, json.as_ref(), &text, html));
        return done(Sender::Azure, ev, said);
    }
    // 5. The API: its envelope, its headers, or its known wording.
    let api_headers: Vec<String> =
        ["openai-processing-ms", "openai-organization", "openai-project", "openai-version", "x-request-id"]
            .into_iter()
            .filter_map(|h| a.header(h).map(|v| format!("{h}: {}", cap(v))))
            .collect();
    if let Some(said) = envelope {
        // Only OpenAI's format, from another host and with none of its headers: that caveat is
        // the evidence that matters most, so it comes first (a report shows the first three).
        let bare = api_headers.is_empty();
        if bare {
            caveat(a, &mut ev);
        }
        ev.push("OpenAI's error envelope {\"error\": {\"message\", …}}".into());
        ev.extend(api_headers.into_iter().map(|h| format!("header {h}")));
        if !bare {
            caveat(a, &mut ev);
        }
        return done(Sender::Api, ev, Some(said));
    }
    if !api_headers.is_empty() && !html {
        ev.extend(api_headers.into_iter().map(|h| format!("header {h}")));
        caveat(a, &mut ev);
        let said = said_of(a, json.as_ref(), &text, html);
        return done(Sender::Api, ev, said);
    }
    if !html && json.is_none() {
        let said = Said::bare(&text, status);
        let d = super::catalogue::diagnose(&said, a, Provider::OpenAi);
        if d.id != "unknown" && !text.trim().is_empty() {
            ev.push(format!("a message in the API's own wording (catalogue entry {}); no envelope", d.id));
            caveat(a, &mut ev);
            return done(Sender::Api, ev, Some(said));
        }
    }
    let stream = lower.trim_start().starts_with("data:") || lower.trim_start().starts_with("event:");
    if (stream
        || json
            .as_ref()
            .is_some_and(|v| v.get("object").is_some() || v.get("data").is_some() || v.get("choices").is_some()))
        && success
    {
        if !a.base_is_openai() && !a.base_host.is_empty() {
            ev.push(format!(
                "an OpenAI-shaped answer without any of the API's headers from {}, not api.openai.com: a gateway or a compatible server answered",
                a.base_host
            ));
            return done(Sender::Gateway { product: None, own: Some(Own::Other) }, ev, None);
        }
        ev.push("an API-shaped JSON answer".into());
        return done(Sender::Api, ev, None);
    }
    // 6. Not from the API, and not recognised.
    match &title {
        Some(t) => ev.push(format!("an HTML page titled \"{t}\" where OpenAI's JSON was expected")),
        None if html => ev.push("an HTML page without a title where OpenAI's JSON was expected".into()),
        None => ev
            .push(format!("no OpenAI envelope or headers: a {}-byte body that is neither JSON nor HTML", a.body.len())),
    }
    done(Sender::Unknown { title }, ev, None)
}

fn done(sender: Sender, evidence: Vec<String>, said: Option<Said>) -> Provenance {
    Provenance { sender, evidence, said }
}

/// When the base URL is not OpenAI's, an envelope in OpenAI's shape may come from a relay.
fn caveat(a: &Answer, ev: &mut Vec<String>) {
    if !a.base_is_openai() && !a.base_host.is_empty() {
        ev.push(format!(
            "the base URL's host is {}, not api.openai.com: an unrecognised gateway or compatible server may have relayed it",
            a.base_host
        ));
    }
}

fn push_header(a: &Answer, name: &str, ev: &mut Vec<String>) {
    if let Some(v) = a.header(name) {
        ev.push(format!("header {name}: {}", cap(v)));
    }
}

/// Longest header value or quote kept in evidence, in characters: a hostile server's 100 KB
/// header must not be copied into every finding.
const EVIDENCE_CHARS: usize = 120;

/// `v`, or its first `EVIDENCE_CHARS` characters and "…".
fn cap(v: &str) -> String {
    match v.char_indices().nth(EVIDENCE_CHARS) {
        None => v.to_owned(),
        Some((end, _)) => format!("{}…", &v[..end]),
    }
}

/// The error said by a non-envelope body: `{"error": "text"}`, or the text itself.
fn said_of(a: &Answer, json: Option<&Value>, text: &str, html: bool) -> Option<Said> {
    if let Some(s) = json.and_then(|v| Said::from_json(v, a.status)) {
        return Some(s);
    }
    if let Some(m) = json.and_then(|v| v.get("message")).and_then(Value::as_str) {
        return Some(Said::bare(m, a.status));
    }
    if text.trim().is_empty() {
        // Headers only: the status (and rate-limit headers) still say something.
        return a.status.filter(|s| *s >= 400).map(|s| Said::bare("", Some(s)));
    }
    (!html && json.is_none() && !text.trim_start().starts_with("data:")).then(|| Said::bare(text, a.status))
}

/// An HTML page: by content type or by its first bytes.
fn looks_html(a: &Answer, lower: &str) -> bool {
    a.header("content-type").is_some_and(|c| contains_ci(c, "text/html"))
        || lower.trim_start().starts_with('<')
        || lower.contains("<html")
        || lower.contains("<!doctype")
}

/// The text of an HTML page's `<title>`.
#[must_use]
pub fn html_title(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let start = lower.find("<title")?;
    let open_end = start + lower[start..].find('>')? + 1;
    let close = open_end + lower[open_end..].find("</title")?;
    let t = text[open_end..close].split_whitespace().collect::<Vec<_>>().join(" ");
    (!t.is_empty()).then_some(t)
}

/// An Azure OpenAI (or Azure AI services / Foundry) endpoint's host.
#[must_use]
pub fn is_azure_host(host: &str) -> bool {
    crate::provider::is_azure_host(host.split(':').next().unwrap_or(""))
}

/// A corporate proxy or secure web gateway, by its headers and block page.
fn proxy(a: &Answer, lower: &str, title: Option<&str>, ev: &mut Vec<String>) -> Option<Option<Product>> {
    let mut product = None;
    let mut found = false;
    if let Some(v) = a.header("x-squid-error") {
        ev.push(format!("header X-Squid-Error: {}", cap(v)));
        product = Some(Product::Squid);
        found = true;
    }
    if let Some(v) = a.header("server")
        && let Some(p) = product_named(&v.to_ascii_lowercase())
    {
        ev.push(format!("header Server: {}", cap(v)));
        product = product.or(Some(p));
        found = true;
    }
    for name in ["via", "proxy-agent", "x-bluecoat-via"] {
        if let Some(v) = a.header(name) {
            let l = v.to_ascii_lowercase();
            if l.contains("kong") || l.contains("cloudflare") {
                continue;
            }
            ev.push(format!("header {name}: {}", cap(v)));
            product = product.or_else(|| product_named(&l)).or((name == "x-bluecoat-via").then_some(Product::Bluecoat));
            found = true;
        }
    }
    if a.header("proxy-authenticate").is_some() || a.status == Some(407) {
        ev.push("407 Proxy Authentication Required: a proxy asks for credentials".into());
        found = true;
    }
    if let Some(t) = title
        && let Some(p) = product_named(&t.to_ascii_lowercase()).or_else(|| block_title(t))
    {
        ev.push(format!("a block page titled \"{t}\""));
        product = product.or(Some(p));
        found = true;
    }
    let page_markers: [(&str, Product); 11] = [
        ("zscaler", Product::Zscaler),
        ("netskope", Product::Netskope),
        ("fortiguard", Product::Fortinet),
        ("web filter violation", Product::Fortinet),
        ("url.fortinet.net", Product::Fortinet),
        ("blocked in accordance with company policy", Product::Paloalto),
        ("proxysg", Product::Bluecoat),
        ("blue coat", Product::Bluecoat),
        ("cisco umbrella", Product::Umbrella),
        ("err_access_denied", Product::Squid),
        ("the requested url could not be retrieved", Product::Squid),
    ];
    if let Some((marker, p)) = page_markers.iter().find(|(m, _)| lower.contains(m)) {
        ev.push(format!("the page's text has \"{marker}\" ({})", p.name()));
        product = product.or(Some(*p));
        found = true;
    }
    found.then_some(product)
}

fn product_named(l: &str) -> Option<Product> {
    [
        ("zscaler", Product::Zscaler),
        ("netskope", Product::Netskope),
        ("fortinet", Product::Fortinet),
        ("fortigate", Product::Fortinet),
        ("palo alto", Product::Paloalto),
        ("pan-os", Product::Paloalto),
        ("bluecoat", Product::Bluecoat),
        ("blue coat", Product::Bluecoat),
        ("symantec", Product::Bluecoat),
        ("umbrella", Product::Umbrella),
        ("opendns", Product::Umbrella),
        ("squid", Product::Squid),
    ]
    .into_iter()
    .find(|(m, _)| l.contains(m))
    .map(|(_, p)| p)
}

/// Titles of vendors' block pages that do not name the vendor.
fn block_title(t: &str) -> Option<Product> {
    match t.trim() {
        "Web Filter Violation" => Some(Product::Fortinet),
        "Web Page Blocked" => Some(Product::Paloalto),
        _ => None,
    }
}

/// Cloudflare's edge: its error page (HTML or rendered text) and headers. Returns the host it
/// fronts and the error code.
fn cloudflare(a: &Answer, text: &str, lower: &str, title: Option<&str>, ev: &mut Vec<String>) -> Option<(String, u16)> {
    let markers = [
        "cf-error-details",
        "cf-wrapper",
        "cloudflare ray id",
        "/cdn-cgi/",
        "5xx-error-landing",
        "attention required! | cloudflare",
        "error code: 1015",
        "error code: 1020",
        "<center>cloudflare</center>",
    ];
    let mut page: Vec<&str> = markers.iter().copied().filter(|m| lower.contains(m)).collect();
    // Cloudflare's titles: "api.openai.com | 502: Bad gateway" (also when the page is cut after
    // its head).
    if title.is_some_and(cloudflare_title) {
        page.push("a title \"<host> | <code>: …\"");
    }
    let server = a.header("server").is_some_and(|s| s.eq_ignore_ascii_case("cloudflare"));
    let ray = a.header("cf-ray");
    let api_headers =
        ["openai-processing-ms", "openai-organization", "openai-project", "openai-version", "x-request-id"]
            .iter()
            .any(|h| a.header(h).is_some());
    // The API's own answers come through Cloudflare too: its headers alone prove nothing when
    // the API's headers are there, or the body is not a page.
    if page.is_empty() && (!(server || ray.is_some()) || api_headers || !(looks_html(a, lower) || a.body.is_empty())) {
        return None;
    }
    // What the page says comes first (inserted below at `start`), then how it is known.
    let start = ev.len();
    if !page.is_empty() {
        ev.push(format!("Cloudflare's error page ({})", page.join(", ")));
    }
    if server {
        ev.push("header server: cloudflare".into());
    }
    if let Some(r) = ray {
        ev.push(format!("header cf-ray: {} (Cloudflare's request id)", cap(r)));
    }
    if page.is_empty() {
        ev.push("no answer of the API behind it (no OpenAI envelope)".into());
    }
    // The host: "api.openai.com | 520: …" in the title or text, utm_campaign=<host>, or the
    // firewall's "You are unable to access <host>".
    let fronting = title
        .and_then(|t| t.split(" | ").next().filter(|h| h.contains('.') && !h.contains(' ')))
        .map(str::to_owned)
        .or_else(|| {
            text.split(" | ")
                .next()
                .map(str::trim)
                .filter(|h| h.contains('.') && !h.contains(char::is_whitespace))
                .map(str::to_owned)
        })
        .or_else(|| between(text, "utm_campaign=", &['"', '&', ')', ' ']))
        .or_else(|| between(text, "unable to access</span> ", &['<', '\n']))
        .map(|h| h.trim().to_ascii_lowercase())
        .unwrap_or_else(|| a.base_host.clone());
    if fronting != a.base_host {
        ev.push(format!("the page names the host it fronts: {fronting}"));
    }
    let code = if lower.contains("you have been blocked")
        || lower.contains("error code: 1020")
        || lower.contains("error code 1020")
    {
        ev.insert(start, "Cloudflare's firewall block (\"Sorry, you have been blocked\" / error 1020)".into());
        1020
    } else if lower.contains("error code: 1015") || lower.contains("error code 1015") {
        ev.insert(start, "Cloudflare's rate limit (error 1015)".into());
        1015
    } else if let Some(c) = (520..=530).find(|c| {
        lower.contains(&format!("error code {c}"))
            || lower.contains(&format!("errorcode_{c}"))
            || lower.contains(&format!("| {c}:"))
    }) {
        ev.insert(start, format!("the page names error code {c}"));
        c
    } else {
        a.status.unwrap_or(0)
    };
    Some((fronting, code))
}

/// `host | 522: Connection timed out`: Cloudflare's error-page title.
fn cloudflare_title(t: &str) -> bool {
    t.split_once(" | ").is_some_and(|(host, rest)| {
        host.contains('.')
            && !host.contains(' ')
            && rest.len() > 4
            && rest.as_bytes()[..3].iter().all(u8::is_ascii_digit)
            && rest.as_bytes()[3] == b':'
    })
}

/// The text between `start` and the first of `ends`.
fn between(text: &str, start: &str, ends: &[char]) -> Option<String> {
    let i = text.find(start)? + start.len();
    let rest = &text[i..];
    let end = rest.find(|c| ends.contains(&c)).unwrap_or(rest.len());
    let v = rest[..end].trim();
    (!v.is_empty()).then(|| v.to_owned())
}

/// A captive portal or login page: HTML with 200 or a redirect where JSON was expected, a
/// meta refresh, or 511.
fn portal(a: &Answer, lower: &str, html: bool, ev: &mut Vec<String>) -> bool {
    let status = a.status.unwrap_or(0);
    if status == 511 {
        ev.push("511 Network Authentication Required".into());
        return true;
    }
    let redirect = (300..400).contains(&status);
    if redirect && let Some(loc) = a.header("location") {
        // A redirect to another API address is a moved base URL, not a login page.
        let l = loc.to_ascii_lowercase();
        let api_path = ["/v1", "/openai/", "/models", "/chat/completions", "/responses", "/embeddings"]
            .iter()
            .any(|p| l.contains(p));
        if api_path {
            return false;
        }
        ev.push(format!("a {status} redirect to {} where JSON was expected", cap(loc)));
        return true;
    }
    if html && (status == 200 || redirect || status == 0) {
        let refresh = lower.contains("http-equiv=\"refresh\"") || lower.contains("http-equiv='refresh'");
        let login = lower.contains("login")
            || lower.contains("log in")
            || lower.contains("sign in")
            || lower.contains("hotspot");
        if refresh || login || status == 200 {
            ev.push(format!(
                "an HTML page with {} where OpenAI's JSON was expected{}",
                if status == 0 { "an unknown status".to_owned() } else { format!("status {status}") },
                if refresh { " (a meta refresh to a login page)" } else { "" }
            ));
            return true;
        }
    }
    false
}

/// Ollama's default port: a base URL on it is Ollama's unless the answer says otherwise.
const OLLAMA_PORT: &str = ":11434";

/// An OpenAI-compatible server that serves the models itself, by its envelope and wording: vLLM
/// (`{"object": "error", …, "code": 404}` before 2025, `{"error": {…, "code": 400}}` after, a
/// numeric code OpenAI's API never sends; `owned_by: "vllm"` in its model list), Ollama ("…not
/// found, try pulling it first", `{"error": "text"}` on its own API, port 11434). `server:
/// uvicorn` (vLLM's web server, and many Python servers') only adds to the evidence.
fn compatible(a: &Answer, json: Option<&Value>, ev: &mut Vec<String>) -> Option<Provenance> {
    let api_headers = ["openai-processing-ms", "openai-organization", "openai-project", "openai-version"]
        .iter()
        .any(|h| a.header(h).is_some());
    if api_headers || is_openai_host(&a.base_host) || is_azure_host(&a.base_host) {
        return None;
    }
    let v = json?;
    let err = v.get("error");
    let message = err
        .and_then(|e| e.get("message").or(Some(e)))
        .and_then(Value::as_str)
        .or_else(|| v.get("message").and_then(Value::as_str))
        .unwrap_or_default();
    let mut found = Vec::new();
    let mut product = None;
    let top_error = v.get("object").and_then(Value::as_str) == Some("error") && v.get("message").is_some();
    let nested_numeric = err.is_some_and(|e| {
        e.get("code").is_some_and(Value::is_number) && e.get("type").and_then(Value::as_str).is_some()
    });
    if top_error {
        found.push(
            "vLLM's error envelope ({\"object\": \"error\", \"message\", \"type\", \"code\": <number>}), not OpenAI's"
                .to_owned(),
        );
        product = Some(Gateway::Vllm);
    } else if nested_numeric {
        let kind = err.and_then(|e| e.get("type")).and_then(Value::as_str).unwrap_or_default();
        found.push(format!(
            "vLLM's error envelope (type \"{}\" with a numeric code: OpenAI's API sends its code as text)",
            cap(kind)
        ));
        product = Some(Gateway::Vllm);
    }
    let listed_by_vllm = v
        .get("data")
        .and_then(Value::as_array)
        .is_some_and(|d| d.iter().any(|m| m.get("owned_by").and_then(Value::as_str) == Some("vllm")));
    if listed_by_vllm {
        found.push("a model list whose models are owned_by \"vllm\"".to_owned());
        product = product.or(Some(Gateway::Vllm));
    }
    if contains_ci(message, "try pulling it first") {
        found.push("Ollama's wording in the message (\"try pulling it first\")".to_owned());
        product = Some(Gateway::Ollama);
    }
    let ollama_port = a.base_host.ends_with(OLLAMA_PORT);
    if ollama_port && (product.is_none() || product == Some(Gateway::Ollama)) && (err.is_some() || product.is_some()) {
        found.push(format!("the base URL's port {} is Ollama's default", &OLLAMA_PORT[1..]));
        product = Some(Gateway::Ollama);
    }
    let product = product?;
    if let Some(server) = a.header("server").filter(|s| contains_ci(s, "uvicorn")) {
        found.push(format!("header server: {} (the Python web server vLLM runs on)", cap(server)));
    }
    ev.extend(found);
    let status = a.status;
    let success = status.is_some_and(|s| (200..300).contains(&s));
    if success {
        return Some(done(Sender::Gateway { product: Some(product), own: Some(Own::Other) }, std::mem::take(ev), None));
    }
    let said = if top_error {
        Some(Said {
            status,
            message: message.to_owned(),
            kind: v.get("type").and_then(Value::as_str).map(str::to_owned),
            code: v.get("code").map(|c| c.to_string().trim_matches('"').to_owned()).filter(|c| c != "null"),
            param: v.get("param").and_then(Value::as_str).map(str::to_owned),
            bare: false,
        })
    } else {
        Said::from_json(v, status)
    };
    let own = if status == Some(404) && (contains_ci(message, "model") || message.is_empty()) {
        Own::Routing
    } else {
        Own::Other
    };
    Some(done(Sender::Gateway { product: Some(product), own: Some(own) }, std::mem::take(ev), said))
}

/// A gateway, by host, headers and envelope; its own error or the upstream's relayed.
#[allow(clippy::too_many_lines)]
fn gateway(a: &Answer, json: Option<&Value>, ev: &mut Vec<String>) -> Option<Provenance> {
    let host = a.base_host.split(':').next().unwrap_or("").to_ascii_lowercase();
    let mut product = None;
    let mut note = |p: Gateway, why: String, ev: &mut Vec<String>| {
        ev.push(why);
        product = product.or(Some(p));
    };
    let by_host = [
        ("helicone.ai", Gateway::Helicone),
        ("hconeai.com", Gateway::Helicone),
        ("openrouter.ai", Gateway::Openrouter),
        ("gateway.ai.cloudflare.com", Gateway::CloudflareAi),
        ("api.cloudflare.com", Gateway::CloudflareAi),
        ("azure-api.net", Gateway::AzureApim),
        ("portkey.ai", Gateway::Portkey),
    ];
    if let Some((_, g)) = by_host.iter().find(|(h, _)| host == *h || host.ends_with(&format!(".{h}"))) {
        note(*g, format!("the base URL's host {} is {}'s", a.base_host, g.name()), ev);
    }
    let mut by_header: Vec<(Gateway, Vec<&str>)> = Vec::new();
    for (k, v) in &a.headers {
        let g = if k.starts_with("x-litellm-") {
            Some(Gateway::Litellm)
        } else if k.starts_with("helicone-") {
            Some(Gateway::Helicone)
        } else if k.starts_with("x-portkey-") {
            Some(Gateway::Portkey)
        } else if k.starts_with("cf-aig-") {
            Some(Gateway::CloudflareAi)
        } else if k.starts_with("x-kong-") || ((k == "server" || k == "via") && v.to_ascii_lowercase().contains("kong"))
        {
            Some(Gateway::Kong)
        } else if k.starts_with("ocp-apim-") {
            Some(Gateway::AzureApim)
        } else {
            None
        };
        if let Some(g) = g {
            match by_header.iter_mut().find(|(p, _)| *p == g) {
                Some((_, names)) => names.push(k),
                None => by_header.push((g, vec![k])),
            }
        }
    }
    // One line of evidence per product: its headers.
    for (g, names) in by_header {
        let shown: Vec<&str> = names.iter().take(3).copied().collect();
        let more = if names.len() > 3 { ", …" } else { "" };
        note(g, format!("{}'s headers ({}{more})", g.name(), shown.join(", ")), ev);
    }
    let renamed: Vec<&str> =
        a.headers.iter().filter(|(k, _)| k.starts_with("llm_provider-")).map(|(k, _)| k.as_str()).collect();
    if !renamed.is_empty() {
        note(Gateway::Litellm, format!("upstream headers renamed by LiteLLM ({})", renamed.join(", ")), ev);
    }
    let err = json.and_then(|v| v.get("error"));
    let message = err
        .and_then(|e| e.get("message").or(Some(e)))
        .and_then(Value::as_str)
        .or_else(|| json.and_then(|v| v.get("message")).and_then(Value::as_str))
        .unwrap_or_default()
        .to_owned();
    // OpenRouter: "Provider returned error" with the upstream's answer in metadata.raw.
    if let Some(meta) = err.and_then(|e| e.get("metadata"))
        && (meta.get("raw").is_some() || meta.get("provider_name").is_some())
    {
        note(Gateway::Openrouter, "OpenRouter's envelope (error.metadata with provider_name / raw)".into(), ev);
        let code =
            err.and_then(|e| e.get("code")).and_then(Value::as_u64).and_then(|c| u16::try_from(c).ok()).or(a.status);
        if let Some(raw) = meta.get("raw").and_then(Value::as_str) {
            let provider = meta.get("provider_name").and_then(Value::as_str).unwrap_or("the provider");
            ev.push(format!("the upstream's answer relayed in metadata.raw (provider {provider})"));
            let said = serde_json::from_str::<Value>(raw)
                .ok()
                .and_then(|v| Said::from_json(&v, code))
                .unwrap_or_else(|| Said::bare(raw, code));
            return Some(done(Sender::Gateway { product, own: None }, std::mem::take(ev), Some(said)));
        }
    }
    // Cloudflare's API envelope (AI Gateway, Workers AI): its own error.
    if let Some(v) = json
        && v.get("success") == Some(&Value::Bool(false))
        && let Some(first) = v.get("errors").and_then(Value::as_array).and_then(|e| e.first())
    {
        note(Gateway::CloudflareAi, "Cloudflare's API envelope (result / success / errors), not OpenAI's".into(), ev);
        let code = first.get("code").and_then(Value::as_u64).unwrap_or(0);
        let msg = first.get("message").and_then(Value::as_str).unwrap_or_default();
        ev.push(format!("its error {code}: \"{}\"", cap(msg)));
        let own = if contains_ci(msg, "authentication") || a.status == Some(401) {
            Own::Auth
        } else if a.status == Some(405) || contains_ci(msg, "not supported") || a.status == Some(404) {
            Own::Routing
        } else {
            Own::Other
        };
        return Some(done(
            Sender::Gateway { product, own: Some(own) },
            std::mem::take(ev),
            Some(Said::bare(msg, a.status)),
        ));
    }
    // Azure API Management's own envelope: {"statusCode": 401, "message": "Access denied …"}.
    // Azure OpenAI's own front door answers in it too (its requests pass Microsoft's API
    // Management: apim-request-id), e.g. a rejected Entra token: on an Azure OpenAI host it is
    // Azure's (azure/entra_token_rejected_401.http), on `*.azure-api.net` a gateway's.
    if let Some(v) = json
        && !is_azure_host(&a.base_host)
        && v.get("statusCode").is_some()
        && let Some(m) = v.get("message").and_then(Value::as_str)
    {
        note(Gateway::AzureApim, "Azure API Management's envelope (statusCode / message)".into(), ev);
        let own =
            if contains_ci(m, "subscription key") || contains_ci(m, "access denied") { Own::Auth } else { Own::Other };
        return Some(done(
            Sender::Gateway { product, own: Some(own) },
            std::mem::take(ev),
            Some(Said::bare(m, a.status)),
        ));
    }
    // Helicone's AI gateway: {"code", "message", "details": [{statusCode, source}]}.
    if let Some(v) = json
        && let Some(details) = v.get("details").and_then(Value::as_array)
        && v.get("code").is_some()
    {
        note(Gateway::Helicone, "Helicone's AI-gateway envelope (code / message / details)".into(), ev);
        if let Some(d) = details.iter().find(|d| d.get("source").is_some()) {
            let st = d.get("statusCode").and_then(Value::as_u64).and_then(|c| u16::try_from(c).ok());
            let src = d.get("source").and_then(Value::as_str).unwrap_or("");
            ev.push(format!(
                "the upstream's {} relayed in details (source {src})",
                st.map_or("error".into(), |s| s.to_string())
            ));
            let said = Said {
                status: st,
                message: d.get("message").and_then(Value::as_str).unwrap_or_default().to_owned(),
                kind: d.get("type").and_then(Value::as_str).map(str::to_owned),
                ..Said::default()
            };
            return Some(done(Sender::Gateway { product, own: None }, std::mem::take(ev), Some(said)));
        }
        return Some(done(
            Sender::Gateway { product, own: Some(Own::Other) },
            std::mem::take(ev),
            Some(Said::bare(&message, a.status)),
        ));
    }
    // LiteLLM: its messages and types.
    let kind = err.and_then(|e| e.get("type")).and_then(Value::as_str).unwrap_or_default();
    let litellm_words = [
        "litellm",
        "no connected db",
        "no deployments available for selected model",
        "received model group",
        "api_base: ",
        "apitimeouterror - ",
        "invalid model name passed in",
    ];
    // In the error's message only: a model's answer may well talk about LiteLLM.
    let said_lower = message.to_ascii_lowercase();
    if let Some(w) = litellm_words.iter().find(|w| said_lower.contains(*w)) {
        note(Gateway::Litellm, format!("LiteLLM's wording in the message (\"{w}\")"), ev);
    } else if matches!(kind, "auth_error" | "no_db_connection" | "budget_exceeded") {
        note(Gateway::Litellm, format!("LiteLLM's error type \"{kind}\""), ev);
    } else if kind == "None" && err.and_then(|e| e.get("param")).and_then(Value::as_str) == Some("None") {
        note(Gateway::Litellm, "Python's None printed as text in type and param (LiteLLM's proxy does)".into(), ev);
    }
    let product = product?;
    let l = message.to_ascii_lowercase();
    if product == Gateway::Litellm && (l.contains("no deployments available") || l.contains("cooldown")) {
        // Its router's cooldown: the upstream failures it lists are the reason, not the answer.
        let said = Said::bare(&message, a.status);
        return Some(done(
            Sender::Gateway { product: Some(product), own: Some(Own::Cooldown) },
            std::mem::take(ev),
            Some(said),
        ));
    }
    if product == Gateway::Litellm || message.contains("Error code: ") {
        // LiteLLM keeps the upstream's text in its message: "…Exception - Error code: 429 - {…}".
        if let Some(i) = message.find("Error code: ") {
            let rest = &message[i + "Error code: ".len()..];
            let st: String = rest.chars().take_while(char::is_ascii_digit).collect();
            let upstream = rest.split_once(" - ").map_or(rest, |(_, r)| r);
            ev.push(format!("the upstream's {st} quoted inside the gateway's message"));
            let said = Said::bare(upstream, st.parse().ok());
            return Some(done(Sender::Gateway { product: Some(product), own: None }, std::mem::take(ev), Some(said)));
        }
        if let Some(i) = message.find("Exception - ") {
            let upstream = &message[i + "Exception - ".len()..];
            // The SDK inside the gateway never got an answer: that is the gateway's hop.
            if ["Connection error", "Connection refused", "Name or service not known", "getaddrinfo"]
                .iter()
                .any(|w| contains_ci(upstream, w))
            {
                ev.push(
                    "the gateway's client got no answer from its upstream (a connection error in its message)".into(),
                );
                let said = Said::bare(upstream, a.status);
                return Some(done(
                    Sender::Gateway { product: Some(product), own: Some(Own::Unreachable) },
                    std::mem::take(ev),
                    Some(said),
                ));
            }
            ev.push("the upstream's message quoted inside the gateway's (…Exception - …)".into());
            let said = Said::bare(upstream, a.status);
            return Some(done(Sender::Gateway { product: Some(product), own: None }, std::mem::take(ev), Some(said)));
        }
        let own = if l.contains("no connected db")
            || l.contains("authentication error")
            || kind == "auth_error"
            || a.status == Some(401)
        {
            Own::Auth
        } else if l.contains("timeout") || l.contains("timed out") || matches!(a.status, Some(408 | 504)) {
            Own::Timeout
        } else if l.contains("invalid model name")
            || l.contains("model not found")
            || matches!(a.status, Some(404 | 405))
        {
            Own::Routing
        } else {
            Own::Other
        };
        if product == Gateway::Litellm || own != Own::Other {
            let said = Said::bare(&message, a.status);
            return Some(done(
                Sender::Gateway { product: Some(product), own: Some(own) },
                std::mem::take(ev),
                Some(said),
            ));
        }
    }
    // An error object without a `type` is not OpenAI's (the API always sends one): the gateway's
    // own, in OpenAI's outline (OpenRouter: {"error": {"message", "code"}}).
    if let Some(e) = err.filter(|e| e.is_object() && e.get("type").is_none()) {
        ev.push(format!("{}'s own error object (message and code, no OpenAI type)", product.name()));
        let own = match a.status {
            Some(401 | 403) => Own::Auth,
            Some(404 | 405) => Own::Routing,
            Some(408 | 504) => Own::Timeout,
            Some(429) => Own::Cooldown,
            _ => Own::Other,
        };
        let said = Said::from_json(&serde_json::json!({ "error": e }), a.status);
        return Some(done(Sender::Gateway { product: Some(product), own: Some(own) }, std::mem::take(ev), said));
    }
    // A known gateway answering OpenAI's own envelope unchanged: the upstream's error relayed.
    if let Some(said) = json.and_then(|v| Said::from_json(v, a.status)).filter(|s| !s.bare) {
        ev.push("OpenAI's error envelope passed through unchanged".into());
        return Some(done(Sender::Gateway { product: Some(product), own: None }, std::mem::take(ev), Some(said)));
    }
    if json.is_none() && !a.body.is_empty() {
        // A known gateway's host but a page: let the edge/proxy rules judge it.
        ev.clear();
        return None;
    }
    let said = (!message.is_empty()).then(|| Said::bare(&message, a.status));
    Some(done(Sender::Gateway { product: Some(product), own: Some(Own::Other) }, std::mem::take(ev), said))
}
