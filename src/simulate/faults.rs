//! The fault plan of `simulate`: what each attempt gets, parsed from `--faults`. A sequence
//! (`500,500,ok`, `503x2`) is served to successive attempts, then rates (`500@20%`) are drawn
//! per attempt, else the attempt succeeds. Every fault is bounded: delays end at `--max-stall`.
//! Also the refusals of `--provider azure` (a key, api-version or deployment Azure refuses),
//! recorded as faults that no plan serves so the audit judges them like the others.

use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use super::stream::StreamFault;

/// The faults' names, for help and errors.
pub const NAMES: &str = "ok, 500, 502, 502-html, 503, 503-html, 429[:SECS], quota, 401, 400, content-filter (azure), edge:520..526, edge-blocked, proxy-block, slow[:SECS], stall, disconnect, reset, refuse[:SECS]";

/// One attempt's fate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fault {
    /// A normal answer.
    Ok,
    /// 500 `server_error`, the API's JSON.
    Server500,
    /// 502 from the edge: Cloudflare's JSON (`html: false`) or its HTML page.
    BadGateway { html: bool },
    /// 503: the API's "overloaded" JSON, or the edge's HTML page.
    Unavailable { html: bool },
    /// 429 `rate_limit_exceeded` with `Retry-After` (seconds) and `retry-after-ms`.
    RateLimit { retry_after: Duration },
    /// 429 `insufficient_quota`: no retry helps.
    Quota,
    /// 401 `invalid_api_key`: no retry helps.
    Unauthorized,
    /// 400 `invalid_request_error`: no retry helps.
    BadRequest,
    /// 400 `content_filter` (Azure OpenAI's content filter blocked the prompt): no retry helps.
    ContentFilter,
    /// Not drawn from the plan: Azure refused the request as configured (key, api-version,
    /// deployment, operation). Recorded so the audit sees whether the client retried it.
    Refused(Refusal),
    /// Cloudflare's 52x HTML page in front of the API (520 to 526), not the API's answer.
    Edge(u16),
    /// Cloudflare's firewall block page (403 "Sorry, you have been blocked"): no retry helps.
    EdgeBlocked,
    /// A corporate proxy's block page (Squid's 403 `ERR_ACCESS_DENIED`): no retry helps.
    ProxyBlock,
    /// The answer, but its first byte after this long.
    Slow(Duration),
    /// Headers and (for a stream) a first chunk, then nothing until `--max-stall`, then the
    /// connection closes.
    Stall,
    /// The connection closes without an answer ("Connection error." in the SDKs).
    Disconnect,
    /// The connection is reset (RST), as by a load balancer or a firewall.
    Reset,
    /// The connection is reset and the port then refuses connections for this long, as while
    /// a gateway restarts.
    Refuse(Duration),
    /// What a middlebox does to a streamed answer (see `stream`); a plain answer is served as `ok`.
    Stream(StreamFault),
}

impl Fault {
    /// Whether a well-behaved client retries after it (the SDKs' `_should_retry`).
    pub fn retryable(self) -> bool {
        !matches!(self, Self::Ok | Self::Slow(_) | Self::Stream(_)) && !self.permanent()
    }

    /// An error no retry can fix: billing, credentials, the request itself.
    pub fn permanent(self) -> bool {
        matches!(
            self,
            Self::Quota
                | Self::Unauthorized
                | Self::BadRequest
                | Self::ContentFilter
                | Self::Refused(_)
                | Self::EdgeBlocked
                | Self::ProxyBlock
        )
    }

    /// Whether Azure OpenAI can answer it: Cloudflare's pages and JSON (502, 503, edge:…) and
    /// OpenAI's `insufficient_quota` are OpenAI's alone, and no public report quoted here shows
    /// Azure's own 502 or 503 body.
    pub fn azure_has(self) -> bool {
        !matches!(
            self,
            Self::Quota | Self::BadGateway { .. } | Self::Unavailable { .. } | Self::Edge(_) | Self::EdgeBlocked
        )
    }

    /// Whether OpenAI's API can answer it (Azure's content filter is Azure's).
    pub fn openai_has(self) -> bool {
        !matches!(self, Self::ContentFilter | Self::Refused(_))
    }

    /// The connection ends without an answer.
    pub fn closes_connection(self) -> bool {
        matches!(self, Self::Disconnect | Self::Reset | Self::Refuse(_))
    }

    /// The `Retry-After` it sends, if any.
    pub fn retry_after(self) -> Option<Duration> {
        match self {
            Self::RateLimit { retry_after } => Some(retry_after),
            _ => None,
        }
    }

    /// The status it answers with, when it answers.
    #[cfg(test)]
    pub fn status(self) -> Option<u16> {
        if self.closes_connection() {
            return None;
        }
        Some(match self {
            Self::Ok | Self::Slow(_) | Self::Stall | Self::Stream(_) => 200,
            Self::Server500 => 500,
            Self::BadGateway { .. } => 502,
            Self::Unavailable { .. } => 503,
            Self::RateLimit { .. } | Self::Quota => 429,
            Self::Unauthorized => 401,
            Self::BadRequest | Self::ContentFilter => 400,
            Self::Refused(r) => r.status(),
            Self::Edge(code) => code,
            Self::EdgeBlocked | Self::ProxyBlock => 403,
            Self::Disconnect | Self::Reset | Self::Refuse(_) => unreachable!("closes the connection"),
        })
    }

    fn parse(word: &str) -> Result<Self, String> {
        let (name, arg) = word.split_once(':').map_or((word, None), |(n, a)| (n, Some(a)));
        let secs = |default: f64| -> Result<Duration, String> {
            let v =
                arg.map_or(Ok(default), |a| a.parse::<f64>().map_err(|_| format!("`{word}`: `{a}` is not seconds")))?;
            if !(0.0..=3600.0).contains(&v) {
                return Err(format!("`{word}`: seconds must be between 0 and 3600"));
            }
            Ok(Duration::from_secs_f64(v))
        };
        if let Some(stream) = StreamFault::parse(word, name, arg) {
            return stream.map(Self::Stream);
        }
        let no_arg = |f: Self| if arg.is_some() { Err(format!("`{word}` takes no `:` value")) } else { Ok(f) };
        match name {
            "ok" => no_arg(Self::Ok),
            "500" => no_arg(Self::Server500),
            "502" => no_arg(Self::BadGateway { html: false }),
            "502-html" => no_arg(Self::BadGateway { html: true }),
            "503" => no_arg(Self::Unavailable { html: false }),
            "503-html" => no_arg(Self::Unavailable { html: true }),
            "429" => Ok(Self::RateLimit { retry_after: secs(1.0)? }),
            "quota" => no_arg(Self::Quota),
            "401" => no_arg(Self::Unauthorized),
            "400" => no_arg(Self::BadRequest),
            "content-filter" => no_arg(Self::ContentFilter),
            "edge" => match arg.and_then(|a| a.parse::<u16>().ok()) {
                Some(code) if super::pages::edge_words(code).is_some() => Ok(Self::Edge(code)),
                _ => Err(format!("`{word}`: edge takes a Cloudflare code from 520 to 526 (edge:522)")),
            },
            "edge-blocked" => no_arg(Self::EdgeBlocked),
            "proxy-block" => no_arg(Self::ProxyBlock),
            "slow" => Ok(Self::Slow(secs(5.0)?)),
            "stall" => no_arg(Self::Stall),
            "disconnect" => no_arg(Self::Disconnect),
            "reset" => no_arg(Self::Reset),
            "refuse" => Ok(Self::Refuse(secs(2.0)?)),
            _ => Err(format!("`{name}` is not a fault ({NAMES}; streams: {})", super::stream::NAMES)),
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ok => f.write_str("ok"),
            Self::Server500 => f.write_str("500 server_error"),
            Self::BadGateway { html: false } => f.write_str("502 (edge JSON)"),
            Self::BadGateway { html: true } => f.write_str("502 (edge HTML)"),
            Self::Unavailable { html: false } => f.write_str("503 overloaded"),
            Self::Unavailable { html: true } => f.write_str("503 (edge HTML)"),
            Self::RateLimit { retry_after } => write!(f, "429 rate limit (Retry-After {}s)", retry_after.as_secs_f64()),
            Self::Quota => f.write_str("429 insufficient_quota"),
            Self::Unauthorized => f.write_str("401 invalid_api_key"),
            Self::BadRequest => f.write_str("400 invalid_request_error"),
            Self::ContentFilter => f.write_str("400 content_filter"),
            Self::Refused(r) => r.fmt(f),
            Self::Edge(code) => write!(f, "{code} (Cloudflare edge page)"),
            Self::EdgeBlocked => f.write_str("403 (Cloudflare firewall block page)"),
            Self::ProxyBlock => f.write_str("403 (proxy block page)"),
            Self::Slow(d) => write!(f, "slow first byte ({}s)", d.as_secs_f64()),
            Self::Stall => f.write_str("stall"),
            Self::Disconnect => f.write_str("disconnect"),
            Self::Reset => f.write_str("connection reset"),
            Self::Refuse(d) => write!(f, "reset, then port closed for {}s", d.as_secs_f64()),
            Self::Stream(s) => s.fmt(f),
        }
    }
}

/// Why Azure refused a request as configured (not a fault of the plan).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// 401: no key, or not the resource's.
    Key,
    /// 401: an `Authorization: Bearer` token that is neither an Entra ID token the resource
    /// accepts nor its key.
    Token,
    /// 404: the deployments API without `api-version`.
    NoVersion,
    /// 400: an api-version the path does not take.
    Version,
    /// 404: no such deployment.
    Deployment,
    /// 400: the deployment's model does not do this operation.
    Operation,
}

impl Refusal {
    pub fn status(self) -> u16 {
        match self {
            Self::Key | Self::Token => 401,
            Self::NoVersion | Self::Deployment => 404,
            Self::Version | Self::Operation => 400,
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Key => "401 Azure: invalid key",
            Self::Token => "401 Azure: bearer token rejected",
            Self::NoVersion => "404 Azure: no api-version",
            Self::Version => "400 Azure: api-version not supported",
            Self::Deployment => "404 Azure: DeploymentNotFound",
            Self::Operation => "400 Azure: OperationNotSupported",
        })
    }
}

/// The plan: a sequence, then rates (per mille, so `0.5%` is exact), then `ok`. The sequence is
/// kept as runs (fault, count), adjacent equal runs merged: `500x10000` repeated over a 60 KB
/// spec is one run, not millions of entries.
#[derive(Debug, Default)]
pub struct Plan {
    sequence: Vec<(Fault, usize)>,
    rates: Vec<(Fault, u32)>,
    /// Where the next attempt is in the sequence: (run, attempts served from it).
    served: Mutex<(usize, usize)>,
}

impl Plan {
    /// Parses `SPEC`: comma-separated items, each `FAULT`, `FAULTxN` (N times in a row) or
    /// `FAULT@P%` (each attempt with probability P, after the sequence).
    ///
    /// # Errors
    /// Which item is wrong and why.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let mut plan = Self::default();
        let mut total = 0;
        for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if let Some((fault, pct)) = item.split_once('@') {
                let pct = pct.strip_suffix('%').ok_or_else(|| format!("`{item}`: a rate ends with %, e.g. 500@20%"))?;
                let p: f64 = pct.parse().map_err(|_| format!("`{item}`: `{pct}` is not a percentage"))?;
                if !(0.0..=100.0).contains(&p) {
                    return Err(format!("`{item}`: a rate is between 0% and 100%"));
                }
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let per_mille = (p * 10.0).round() as u32;
                total += per_mille;
                plan.rates.push((Fault::parse(fault)?, per_mille));
            } else {
                let (fault, times) = match item.rsplit_once('x') {
                    Some((f, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
                        let n: usize = n.parse().map_err(|_| format!("`{item}`: `{n}` is too many"))?;
                        if n > 10_000 {
                            return Err(format!("`{item}`: at most 10000 in a row"));
                        }
                        (f, n)
                    }
                    _ => (item, 1),
                };
                let fault = Fault::parse(fault)?;
                match plan.sequence.last_mut() {
                    Some((last, n)) if *last == fault => *n += times,
                    _ if times > 0 => plan.sequence.push((fault, times)),
                    _ => {}
                }
            }
        }
        if total > 1000 {
            return Err(format!("the rates add up to {}%, more than 100%", f64::from(total) / 10.0));
        }
        Ok(plan)
    }

    /// The next attempt's fault.
    pub fn next(&self) -> Fault {
        let mut served = self.served.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (run, used) = &mut *served;
        if let Some(&(fault, count)) = self.sequence.get(*run) {
            *used += 1;
            if *used == count {
                (*run, *used) = (*run + 1, 0);
            }
            return fault;
        }
        drop(served);
        let mut draw = fastrand::u32(0..1000);
        for (fault, per_mille) in &self.rates {
            if draw < *per_mille {
                return *fault;
            }
            draw -= per_mille;
        }
        Fault::Ok
    }

    /// Every fault the plan can serve.
    pub fn faults(&self) -> impl Iterator<Item = Fault> + '_ {
        self.sequence.iter().map(|(f, _)| *f).chain(self.rates.iter().map(|(f, _)| *f))
    }

    /// Whether any fault is planned.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.sequence.is_empty() && self.rates.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequences_then_rates_then_ok() {
        let plan = Plan::parse("500x2, 429:2, quota").unwrap();
        let got: Vec<Fault> = (0..5).map(|_| plan.next()).collect();
        assert_eq!(
            got,
            [
                Fault::Server500,
                Fault::Server500,
                Fault::RateLimit { retry_after: Duration::from_secs(2) },
                Fault::Quota,
                Fault::Ok
            ]
        );
        let pages = Plan::parse("edge:522, edge-blocked, proxy-block").unwrap();
        let got: Vec<Fault> = (0..3).map(|_| pages.next()).collect();
        assert_eq!(got, [Fault::Edge(522), Fault::EdgeBlocked, Fault::ProxyBlock]);
        assert!(got.iter().all(|f| f.status().is_some()));
        assert!(Fault::Edge(524).retryable() && !Fault::ProxyBlock.retryable() && !Fault::EdgeBlocked.retryable());
        let always = Plan::parse("503@100%").unwrap();
        assert!((0..50).all(|_| always.next() == Fault::Unavailable { html: false }));
    }

    /// Issue 21, item 14: a 60 KB spec of `500x10000` items is one run, not 60 million faults
    /// (1.4 GB), and is served the same.
    #[test]
    fn long_sequences_are_kept_as_runs() {
        let spec = "500x10000,".repeat(6 * 1024);
        let plan = Plan::parse(&spec).unwrap();
        assert_eq!(plan.sequence, [(Fault::Server500, 10_000 * 6 * 1024)]);
        let plan = Plan::parse("500x2,500,503x0,429:1x2,ok").unwrap();
        assert_eq!(plan.sequence.len(), 3, "{:?}", plan.sequence);
        let got: Vec<Fault> = (0..7).map(|_| plan.next()).collect();
        let limit = Fault::RateLimit { retry_after: Duration::from_secs(1) };
        assert_eq!(got, [Fault::Server500, Fault::Server500, Fault::Server500, limit, limit, Fault::Ok, Fault::Ok]);
    }

    #[test]
    fn random_specs_never_panic() {
        let alphabet: Vec<char> = "0123456789x@%:,.-okquotasltdcnrefhm \u{e9}\u{1f600}".chars().collect();
        for _ in 0..20_000 {
            let spec: String =
                (0..fastrand::usize(0..24)).map(|_| alphabet[fastrand::usize(..alphabet.len())]).collect();
            if let Ok(plan) = Plan::parse(&spec) {
                for _ in 0..3 {
                    let _ = plan.next();
                }
            }
        }
    }

    #[test]
    fn bad_specs_say_why() {
        for (spec, words) in [
            ("418", "not a fault"),
            ("500@", "ends with %"),
            ("500@150%", "between 0% and 100%"),
            ("500@60%,502@60%", "more than 100%"),
            ("slow:x", "not seconds"),
            ("slow:99999", "between 0 and 3600"),
            ("500x99999", "at most 10000"),
            ("ok:1", "takes no"),
            ("edge:530", "520 to 526"),
            ("edge", "520 to 526"),
        ] {
            let err = Plan::parse(spec).unwrap_err();
            assert!(err.contains(words), "{spec}: {err}");
        }
        assert!(Plan::parse("").unwrap().is_empty());
    }

    #[test]
    fn each_provider_has_its_own_answers() {
        let plan = Plan::parse("content-filter,500,429:2").unwrap();
        assert!(plan.faults().all(Fault::azure_has));
        assert!(!plan.faults().all(Fault::openai_has));
        assert!(Fault::ContentFilter.permanent() && Fault::ContentFilter.status() == Some(400));
        let refused = Fault::Refused(Refusal::Deployment);
        assert!(refused.permanent() && !refused.retryable() && refused.status() == Some(404));
        for openai_only in ["quota", "502", "503-html", "edge:522", "edge-blocked"] {
            assert!(!Plan::parse(openai_only).unwrap().faults().all(Fault::azure_has), "{openai_only}");
        }
    }
}
