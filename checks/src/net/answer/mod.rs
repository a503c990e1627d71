//! Who answered, and what the answer means: one HTTP answer (status, headers, body, the base URL
//! it was asked of) judged from evidence. `provenance` decides the sender (the API, Azure OpenAI,
//! Cloudflare's edge, a corporate proxy, an LLM gateway, a captive portal, or something
//! unrecognised); `catalogue` classifies the API's own errors (and an upstream's error that a
//! gateway relayed). `judge` puts both together with who can fix it. Pure functions over bytes:
//! the probe feeds them what it fetched, the tests feed them the real answers in
//! `tests/fixtures/answers/`. The fix is said in the terms of whoever answered: Azure OpenAI's
//! portal and deployments for Azure, `ollama pull` for Ollama, `--served-model-name` for vLLM,
//! never platform.openai.com for an answer that did not come from OpenAI.

pub mod catalogue;
pub mod provenance;

#[cfg(test)]
mod tests;

pub use catalogue::{Class, Diagnosis, Provider, diagnose};
pub use provenance::{Gateway, Product, Sender, is_azure_host, provenance};

/// The shape of the key a request carried (never the key): enough to say "an OpenAI key was
/// sent to Azure".
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyShape {
    /// `sk-…`: an OpenAI key (project, service account, admin or legacy user key).
    OpenAi,
    /// Anything else (an Azure resource key is 32 hex digits or 84 characters, without `sk-`).
    Other,
}

impl KeyShape {
    /// The shape of `key`.
    #[must_use]
    pub fn of(key: &str) -> Self {
        let k = key.trim();
        // `sk-ant-` is Anthropic's: not OpenAI's, whatever its prefix shares.
        if k.starts_with("sk-") && !k.starts_with("sk-ant-") { Self::OpenAi } else { Self::Other }
    }
}

/// What the request carried that its answer is judged against; `None` where not known.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sent {
    /// The shape of the key sent.
    pub key: Option<KeyShape>,
    /// The `api-version` query parameter: `Some(None)` the request had none.
    pub api_version: Option<Option<String>>,
    /// The app calls the base URL as an OpenAI-compatible server (neither OpenAI's API nor
    /// Azure's): OpenAI's format alone is then that server's answer, not proof of OpenAI's.
    pub compatible: bool,
}

/// One HTTP answer as the client saw it.
#[derive(Debug, Clone, Default)]
pub struct Answer {
    /// The HTTP status; `None` when it is not known.
    pub status: Option<u16>,
    /// Response headers, names lower-case, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The body (or as much of it as was read).
    pub body: Vec<u8>,
    /// `host` or `host:port` of the base URL the request was sent to.
    pub base_host: String,
    /// What the request carried (the key's shape, the api-version), when the caller knows it.
    pub sent: Sent,
}

impl Answer {
    /// The same answer, judged knowing the key the request sent (only its shape is kept).
    #[must_use]
    pub fn with_key(mut self, key: &str) -> Self {
        self.sent.key = Some(KeyShape::of(key));
        self
    }

    /// The same answer, judged knowing whether the app calls an OpenAI-compatible server.
    #[must_use]
    pub fn for_compatible(mut self, compatible: bool) -> Self {
        self.sent.compatible = compatible;
        self
    }

    /// The same answer, judged knowing the URL the request went to (its `api-version`).
    #[must_use]
    pub fn with_url(mut self, url: &url::Url) -> Self {
        self.sent.api_version = Some(url.query_pairs().find(|(k, _)| k == "api-version").map(|(_, v)| v.into_owned()));
        self
    }

    /// A header's value (name case-insensitive; the first of several).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The body as text (lossy).
    #[must_use]
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    /// The body parsed as JSON, if it is JSON.
    #[must_use]
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The base URL's host is OpenAI's own API host.
    #[must_use]
    pub fn base_is_openai(&self) -> bool {
        is_openai_host(&self.base_host)
    }
}

/// A message on one line: line breaks (gateways wrap upstream messages over lines) become single
/// spaces; every other character is kept as sent (renderers escape controls).
#[must_use]
pub fn one_line(s: &str) -> String {
    s.split('\n').map(|l| l.trim_matches(' ')).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ")
}

/// `host` or `host:port` of a URL (port only when not the scheme's default).
#[must_use]
pub fn host_of(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or("").to_ascii_lowercase();
    match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host,
    }
}

/// OpenAI's API host (with or without a port): `api.openai.com` and its regional and mTLS hosts.
#[must_use]
pub fn is_openai_host(host: &str) -> bool {
    host.split(':').next().is_some_and(crate::provider::is_openai_host)
}

/// Who can fix what an answer says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fixer {
    /// The caller: the request, the key, the account's billing, the client's settings.
    You,
    /// The people who run the network between the caller and the API (proxy, firewall, VPN).
    NetworkTeam,
    /// Whoever runs the gateway the base URL points at (its keys, timeouts, routes, upstream).
    GatewayOwner,
    /// OpenAI (or, for Azure OpenAI, Microsoft): only retries and support help.
    OpenAi,
}

impl Fixer {
    /// The words in a report.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::You => "you",
            Self::NetworkTeam => "your network team",
            Self::GatewayOwner => "your gateway's owner",
            Self::OpenAi => "OpenAI",
        }
    }
}

/// The whole judgement of one answer.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Judgement {
    /// Who sent it.
    pub sender: Sender,
    /// What shows it, one short sentence each.
    pub evidence: Vec<String>,
    /// The error, classified: the API's own, or the upstream's a gateway relayed. `None` for
    /// answers that are not errors of an API (an edge page, a block page, a portal).
    pub diagnosis: Option<Diagnosis>,
    /// The class for reports: the diagnosis' class, else the sender's.
    pub class: Class,
    /// Whether another attempt of the same request can pass.
    pub retryable: bool,
    /// Who can fix it.
    pub fixer: Fixer,
    /// One line: what happened, in the doctor's words.
    pub what: String,
    /// What to do; `None` when nothing is known beyond the sender's own message.
    pub fix: Option<String>,
    /// The base URL's host the answer came from (for the words "… at <host>").
    pub base_host: String,
    /// The app calls that host as an OpenAI-compatible server (see [`Sent::compatible`]).
    pub compatible: bool,
}

/// Who answered one request, as the request log keeps it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Attribution {
    /// `api`, `azure`, `cloudflare`, `proxy:squid`, `gateway:litellm`, `portal`, `unknown`.
    pub sender: String,
    /// The sender in words.
    pub who: String,
    /// What shows it.
    pub evidence: Vec<String>,
    /// Who can fix what it said.
    pub fixer: Fixer,
}

impl Judgement {
    /// Who answered, in words. OpenAI's format from a server the app calls as OpenAI-compatible is
    /// that server's answer first: it speaks the format, or relays OpenAI's (the evidence shows
    /// which).
    #[must_use]
    pub fn who(&self) -> String {
        match self.sender {
            Sender::Api if self.compatible && !self.base_host.is_empty() => format!(
                "the server at {}, in OpenAI's format (its own answer, or OpenAI's API relayed)",
                self.base_host
            ),
            _ => self.sender.describe(&self.base_host),
        }
    }

    /// The part the request log keeps.
    #[must_use]
    pub fn attribution(&self) -> Attribution {
        Attribution { sender: self.sender.tag(), who: self.who(), evidence: self.evidence.clone(), fixer: self.fixer }
    }
}

/// Judges one answer: sender, evidence, the error's class, who can fix it.
#[must_use]
pub fn judge(a: &Answer) -> Judgement {
    let p = provenance(a);
    let provider = p.sender.provider(p.said.as_ref());
    let diagnosis = p.said.as_ref().map(|said| diagnose(said, a, provider));
    let (class, retryable, fixer, what, fix) = p.sender.verdict(a, &p, diagnosis.as_ref());
    Judgement {
        sender: p.sender,
        evidence: p.evidence,
        diagnosis,
        class,
        retryable,
        fixer,
        what,
        fix,
        base_host: a.base_host.clone(),
        compatible: a.sent.compatible,
    }
}
