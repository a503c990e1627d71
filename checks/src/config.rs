//! The validated run configuration every check reads: target, network path overrides,
//! the client's own timeout settings, and a snapshot of the environment (so tests can inject one).

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use url::Url;

pub use crate::input::{Env, escape_name, parse_http_url};
use crate::provider::{AZURE_DEPLOYMENT_ENDPOINTS, AzureStyle, Credential, Decision, Provider};
use crate::secret::SecretString;

/// Default API base URL, as in the official SDKs.
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";
/// Default status page root.
pub const DEFAULT_STATUS_URL: &str = "https://status.openai.com";
pub use crate::sdk::policy::{SDK_DEFAULT_MAX_RETRIES, SDK_DEFAULT_TIMEOUT};
/// Default whole-run deadline.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(20);
/// Default model of the probe's one billable request.
pub const DEFAULT_MODEL: &str = "gpt-4.1-nano";
/// Default number of requests in the probe's series.
pub const DEFAULT_PROBES: u32 = 5;

/// A curl-style `--resolve HOST:PORT:ADDR` pin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvePin {
    /// Host name as written in the URL.
    pub host: String,
    /// Port the pin applies to.
    pub port: u16,
    /// Address to use instead of a DNS answer.
    pub addr: IpAddr,
}

impl ResolvePin {
    /// Parses `HOST:PORT:ADDR` (ADDR may be `[v6]` or bare v6).
    ///
    /// # Errors
    /// A message naming the part that is wrong.
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut parts = s.splitn(3, ':');
        let (Some(host), Some(port), Some(addr)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(format!("`{s}` is not HOST:PORT:ADDR (e.g. api.openai.com:443:127.0.0.1)"));
        };
        if host.is_empty() {
            return Err(format!("`{s}`: the host is empty"));
        }
        let port: u16 = port
            .parse()
            .ok()
            .filter(|&p| p != 0)
            .ok_or_else(|| format!("`{s}`: `{port}` is not a port number (1-65535)"))?;
        let addr_text = addr.trim_start_matches('[').trim_end_matches(']');
        let addr: IpAddr = addr_text.parse().map_err(|_| format!("`{s}`: `{addr}` is not an IP address"))?;
        Ok(Self { host: host.to_ascii_lowercase(), port, addr })
    }
}

/// Parses `IP` or `IP:PORT` / `[v6]:PORT` for `--dns-server` (port 53 by default).
///
/// # Errors
/// A message saying what was expected.
pub fn parse_dns_server(s: &str) -> Result<SocketAddr, String> {
    // `[::1]` without a port is how people write an IPv6 nameserver, too.
    let bare = s.strip_prefix('[').and_then(|r| r.strip_suffix(']')).unwrap_or(s);
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, 53));
    }
    s.parse::<SocketAddr>()
        .ok()
        .filter(|a| a.port() != 0)
        .ok_or_else(|| format!("`{s}` is not IP or IP:PORT (e.g. 1.1.1.1, 127.0.0.1:5353, [::1]:53, [::1])"))
}

/// Everything a run needs, validated.
#[derive(Debug, Clone)]
pub struct Config {
    /// API base URL (`--base-url`, `OPENAI_BASE_URL`).
    pub base_url: Url,
    /// Which API the app calls (OpenAI, Azure OpenAI, a compatible server), decided by
    /// [`crate::provider::decide`] as the app's SDK would be configured.
    pub provider: Provider,
    /// Why that provider, in words for the target line.
    pub provider_why: String,
    /// Why the app's SDK cannot build its request URLs from this configuration (a query in the
    /// base URL or endpoint), when it cannot.
    pub url_problem: Option<String>,
    /// The credential the app's client sends (`OPENAI_API_KEY`, `AZURE_OPENAI_API_KEY`,
    /// `AZURE_OPENAI_AD_TOKEN`), only ever from the environment, and its header.
    pub credential: Credential,
    /// `OpenAI-Organization` header value.
    pub org: Option<String>,
    /// `OpenAI-Project` header value.
    pub project: Option<String>,
    /// Model for the probe's billable request.
    pub model: String,
    /// Status page root.
    pub status_url: Url,
    /// `--status-url` was typed: read that page whatever the provider (without it, only
    /// OpenAI's own API is judged by OpenAI's status page).
    pub status_url_given: bool,
    /// Extra trust anchors (`--ca-file`).
    pub ca_files: Vec<PathBuf>,
    /// Nameserver for every lookup the doctor makes (`--dns-server`).
    pub dns_server: Option<SocketAddr>,
    /// `--resolve` pins.
    pub resolve: Vec<ResolvePin>,
    /// The per-attempt timeout the user's application uses.
    pub client_timeout: Duration,
    /// The user's application's retry count.
    pub max_retries: u32,
    /// Whole-run deadline.
    pub deadline: Duration,
    /// Requests in the probe's series.
    pub probes: u32,
    /// Send the one billable chat completion.
    pub billable: bool,
    /// The platform's own deadline for a whole invocation (`--platform-deadline`).
    pub platform_deadline: Option<Duration>,
    /// The request body to validate (`--payload`).
    pub payload: Option<crate::request::PayloadInput>,
    /// Also send the payload itself (`--send-payload`; it costs money).
    pub send_payload: bool,
    /// `--reduce`: shrink a failing payload, with at most this many requests.
    pub reduce: Option<u32>,
    /// `--reduce-keep-text`: report the minimal failing body with its text; by default only its
    /// shape (roles, sizes, estimated tokens, a SHA-256 per text).
    pub reduce_keep_text: bool,
    /// Environment snapshot: the doctor's own, or with `--pid` the target process's.
    pub env: Env,
    /// `--pid`: the process whose view is diagnosed (its environment, files and cgroup).
    pub pid: Option<u32>,
}

impl Config {
    /// A configuration with the SDK defaults for `env` (used by tests and as the CLI's base).
    #[must_use]
    pub fn new(env: Env) -> Self {
        Self {
            base_url: Url::parse(DEFAULT_BASE_URL).expect("constant URL parses"),
            provider: Provider::Openai,
            provider_why: "the SDKs' default".to_owned(),
            url_problem: None,
            credential: Credential::openai(&env),
            org: None,
            project: None,
            model: DEFAULT_MODEL.to_owned(),
            status_url: Url::parse(DEFAULT_STATUS_URL).expect("constant URL parses"),
            status_url_given: false,
            ca_files: Vec::new(),
            dns_server: None,
            resolve: Vec::new(),
            client_timeout: SDK_DEFAULT_TIMEOUT,
            max_retries: SDK_DEFAULT_MAX_RETRIES,
            deadline: DEFAULT_DEADLINE,
            probes: DEFAULT_PROBES,
            billable: true,
            platform_deadline: None,
            payload: None,
            send_payload: false,
            reduce: None,
            reduce_keep_text: false,
            env,
            pid: None,
        }
    }

    /// A file as the diagnosed process sees it: under `/proc/<pid>/root` with `--pid`, its
    /// symbolic links followed inside that root.
    #[must_use]
    pub fn file(&self, abs: &str) -> std::path::PathBuf {
        match self.pid {
            Some(pid) => in_root(std::path::Path::new(&format!("/proc/{pid}/root")), abs),
            None => std::path::PathBuf::from(abs),
        }
    }

    /// The credential's value, when set (untrimmed, as the environment holds it).
    #[must_use]
    pub fn api_key(&self) -> Option<&SecretString> {
        self.credential.value.as_ref()
    }

    /// Takes a provider decision: its base URL, credential and reasons.
    pub fn set_provider(&mut self, d: Decision) {
        self.base_url = d.base_url;
        self.provider = d.provider;
        self.provider_why = d.why;
        self.url_problem = d.url_problem;
        self.credential = d.credential;
    }

    /// The path segments under the base URL the app's SDK sends an endpoint to: with the
    /// `AzureOpenAI` client, `deployments`, the deployment (the model, one segment whatever it
    /// holds: the SDK percent-encodes `/`, spaces and line breaks in it), then the endpoint's
    /// path, for the deployment endpoints; the endpoint's path alone otherwise.
    #[must_use]
    pub fn route(&self, path: &str) -> Vec<String> {
        let mut segments = Vec::new();
        if let Some(a) = self.provider.azure()
            && a.style == AzureStyle::Deployments
            && AZURE_DEPLOYMENT_ENDPOINTS.contains(&path)
            && !self.base_url.path().contains("/deployments/")
        {
            segments.push("deployments".to_owned());
            segments.push(self.model.clone());
        }
        segments.extend(path.split('/').map(str::to_owned));
        segments
    }

    /// Host of the API base URL.
    #[must_use]
    pub fn api_host(&self) -> &str {
        self.base_url.host_str().unwrap_or("")
    }

    /// The `--resolve` pin for `host:port`, if any.
    #[must_use]
    pub fn pin_for(&self, host: &str, port: u16) -> Option<IpAddr> {
        self.resolve.iter().find(|p| p.host.eq_ignore_ascii_case(host) && p.port == port).map(|p| p.addr)
    }

    /// Port of the API base URL (443 for https by default).
    #[must_use]
    pub fn api_port(&self) -> u16 {
        self.base_url.port_or_known_default().unwrap_or(443)
    }

    /// The URL of an endpoint under the base URL: the routed segments appended (each
    /// percent-encoded as one segment), the `api-version` query the `AzureOpenAI` client adds
    /// kept (`…/openai?api-version=X` → `…/openai/models?api-version=X`).
    #[must_use]
    pub fn api_url(&self, path: &str) -> Url {
        let mut url = self.base_url.clone();
        url.set_fragment(None);
        let mut full = url.path().trim_end_matches('/').to_owned();
        for segment in self.route(path) {
            full.push('/');
            full.extend(percent_encoding::utf8_percent_encode(&segment, SEGMENT));
        }
        url.set_path(&full);
        url
    }

    /// How a request to `path` is named in reports: `GET /models`, with the base URL's query
    /// when it has one (`GET /models?api-version=X`), so the report names what was requested.
    #[must_use]
    pub fn api_label(&self, method: &str, path: &str) -> String {
        // The path as sent (its segments encoded), after the base URL's.
        let url = self.api_url(path);
        let base_path = self.base_url.path().trim_end_matches('/');
        let path = url.path().strip_prefix(base_path).unwrap_or(url.path()).trim_start_matches('/');
        match self.base_url.query() {
            Some(q) if !q.is_empty() => format!("{method} /{path}?{q}"),
            _ => format!("{method} /{path}"),
        }
    }
}

/// What openai-python leaves unencoded in a path segment (`_utils/_path.py`: RFC 3986's `pchar`,
/// `quote(value, safe="!$&'()*+,;=:@")`): letters, digits, `-._~` and those; `/`, `%`, white
/// space and line breaks are encoded, so a deployment's name stays one segment as sent.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=')
    .remove(b':')
    .remove(b'@');

/// A URL's host as resolvers and TLS take it: IPv6 without brackets.
#[must_use]
pub fn bare_host(url: &Url) -> String {
    match url.host() {
        Some(url::Host::Ipv6(addr)) => addr.to_string(),
        Some(host) => host.to_string(),
        None => String::new(),
    }
}

/// `abs` as seen from `root`: each symbolic link on the way is followed inside `root`. The kernel
/// would resolve an absolute link target (RHEL's ca-bundle.crt → /etc/pki/ca-trust/…, Debian's
/// certifi → /etc/ssl/certs/…) against the doctor's `/`, i.e. in the wrong container.
#[must_use]
pub fn in_root(root: &std::path::Path, abs: &str) -> std::path::PathBuf {
    use std::path::{Component, PathBuf};
    let mut resolved = PathBuf::new();
    // The components still to walk, the next one last.
    let mut pending: Vec<std::ffi::OsString> = Vec::new();
    let push = |pending: &mut Vec<std::ffi::OsString>, path: &std::path::Path| {
        for c in path.components().rev() {
            match c {
                Component::Normal(n) => pending.push(n.to_owned()),
                Component::ParentDir => pending.push("..".into()),
                _ => {}
            }
        }
    };
    push(&mut pending, std::path::Path::new(abs));
    let mut hops = 0;
    while let Some(c) = pending.pop() {
        if c == ".." {
            resolved.pop();
            continue;
        }
        let candidate = resolved.join(&c);
        let full = root.join(&candidate);
        let link = std::fs::symlink_metadata(&full).is_ok_and(|m| m.file_type().is_symlink());
        match std::fs::read_link(&full) {
            Ok(target) if link && hops < 40 => {
                hops += 1;
                if target.is_absolute() {
                    resolved = PathBuf::new();
                }
                push(&mut pending, &target);
            }
            _ => resolved = candidate,
        }
    }
    root.join(resolved)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_file_in_another_root_follows_links_inside_that_root() {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        std::fs::create_dir_all(r.join("etc/pki/ca-trust/extracted/pem")).unwrap();
        std::fs::create_dir_all(r.join("etc/pki/tls/certs")).unwrap();
        std::fs::write(r.join("etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem"), "x").unwrap();
        // RHEL's absolute link, and a relative one beside it.
        std::os::unix::fs::symlink(
            "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
            r.join("etc/pki/tls/certs/ca-bundle.crt"),
        )
        .unwrap();
        std::os::unix::fs::symlink("../ca-trust/extracted/pem/tls-ca-bundle.pem", r.join("etc/pki/tls/cert.pem"))
            .unwrap();
        let want = r.join("etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem");
        assert_eq!(in_root(r, "/etc/pki/tls/certs/ca-bundle.crt"), want);
        assert_eq!(in_root(r, "/etc/pki/tls/cert.pem"), want);
        assert_eq!(in_root(r, "/../../etc/pki/tls/certs/ca-bundle.crt"), want, "no way out of the root");
    }

    use super::*;

    #[test]
    fn process_names_are_shown_not_obeyed() {
        assert_eq!(escape_name("python3"), "python3");
        assert_eq!(escape_name("\x1b]0;pwn\x07\n```\u{202e}x"), "\\x1b]0;pwn\\x07\\x0a\\x60\\x60\\x60\\u{202e}x");
    }

    #[test]
    fn resolve_pins_parse() {
        let pin = ResolvePin::parse("API.openai.com:443:127.0.0.1").unwrap();
        assert_eq!(pin.host, "api.openai.com");
        assert_eq!(pin.port, 443);
        assert_eq!(pin.addr, "127.0.0.1".parse::<IpAddr>().unwrap());
        let v6 = ResolvePin::parse("h:8443:[::1]").unwrap();
        assert_eq!(v6.addr, "::1".parse::<IpAddr>().unwrap());
        assert!(ResolvePin::parse("h:99999:1.2.3.4").unwrap_err().contains("port"));
        assert!(ResolvePin::parse("h:443").unwrap_err().contains("HOST:PORT:ADDR"));
        assert!(ResolvePin::parse("h:0:1.2.3.4").unwrap_err().contains("port"), "port 0 is never what a client uses");
        assert!(ResolvePin::parse("h:443:nope").unwrap_err().contains("IP address"));
    }

    #[test]
    fn dns_servers_parse() {
        assert_eq!(parse_dns_server("1.1.1.1").unwrap().port(), 53);
        assert_eq!(parse_dns_server("127.0.0.1:5353").unwrap().port(), 5353);
        assert_eq!(parse_dns_server("[::1]:53").unwrap().port(), 53);
        assert!(parse_dns_server("dns.google").is_err());
        assert_eq!(parse_dns_server("[::1]").unwrap(), "[::1]:53".parse().unwrap());
        assert!(parse_dns_server("127.0.0.1:0").is_err());
    }

    #[test]
    fn bare_hosts() {
        assert_eq!(bare_host(&Url::parse("https://[::1]:8443/v1").unwrap()), "::1");
        assert_eq!(bare_host(&Url::parse("https://API.openai.com/v1").unwrap()), "api.openai.com");
        assert_eq!(bare_host(&Url::parse("http://127.0.0.1:3128").unwrap()), "127.0.0.1");
    }

    #[test]
    fn endpoint_urls_keep_the_base_query() {
        let mut c = Config::new(Env::default());
        assert_eq!(c.api_url("models").as_str(), "https://api.openai.com/v1/models");
        assert_eq!(c.api_label("GET", "models"), "GET /models");
        c.base_url = Url::parse("https://x.example/openai/v1/?api-version=2024-10-21#f").unwrap();
        assert_eq!(
            c.api_url("chat/completions").as_str(),
            "https://x.example/openai/v1/chat/completions?api-version=2024-10-21"
        );
        assert_eq!(c.api_label("GET", "models"), "GET /models?api-version=2024-10-21");
    }

    #[test]
    fn urls_are_checked() {
        assert!(parse_http_url("--base-url", "https://api.openai.com/v1").is_ok());
        assert!(parse_http_url("--base-url", "ftp://x").unwrap_err().contains("scheme"));
        assert!(parse_http_url("--base-url", "api.openai.com").is_err());
    }
}
