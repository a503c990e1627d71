//! Proxy selection from the environment: which variable applies to a URL, why, and whether
//! `NO_PROXY` bypasses it. Pure logic; the `proxy` check reports it and the network context uses it.

use url::Url;

use crate::config::Env;

/// The proxy variables, in the order the doctor looks at them for an https URL.
/// Lower case first, as curl and Python's urllib (httpx, requests) do.
pub const HTTPS_ORDER: &[&str] = &["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"];

/// Every proxy variable clients read, each lower-case name before its upper-case twin.
pub const VARIABLES: &[&str] =
    &["https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"];

/// `NO_PROXY` as clients read it: `no_proxy` first, as curl and Python do.
#[must_use]
pub fn no_proxy(env: &Env) -> Option<&str> {
    env.non_empty("no_proxy").or_else(|| env.non_empty("NO_PROXY"))
}
/// For an http URL (curl ignores upper-case `HTTP_PROXY`; Python and Go read it).
pub const HTTP_ORDER: &[&str] = &["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"];

/// The proxy that applies to one URL.
#[derive(Debug, Clone)]
pub struct ProxyChoice {
    /// The variable it came from.
    pub var: &'static str,
    /// The raw value (may hold credentials: never print it; use `display`).
    pub raw: String,
    /// The parsed URL, or why it does not parse.
    pub url: Result<Url, ProxyUrlError>,
    /// `NO_PROXY` entry that bypasses the proxy for the target, if any.
    pub bypassed_by: Option<String>,
}

impl ProxyChoice {
    /// The proxy URL with any password replaced by `***`.
    #[must_use]
    pub fn display(&self) -> String {
        match &self.url {
            Ok(url) => redacted_url(url),
            // A URL the doctor does not accept (socks5://...) is still shown, password hidden.
            Err(_) => {
                Url::parse(self.raw.trim()).map_or_else(|_| "(unparseable proxy URL)".to_owned(), |u| redacted_url(&u))
            }
        }
    }

    /// The proxy is in the path: set, valid, and not bypassed.
    #[must_use]
    pub fn in_path(&self) -> Option<&Url> {
        match (&self.url, &self.bypassed_by) {
            (Ok(url), None) => Some(url),
            _ => None,
        }
    }

    /// The password in the proxy URL, percent-decoded, if any.
    #[must_use]
    pub fn password(&self) -> Option<String> {
        url_password(self.url.as_ref().ok()?)
    }
}

/// A URL's password, percent-decoded.
#[must_use]
pub fn url_password(url: &Url) -> Option<String> {
    url.password().map(percent_decode)
}

/// Percent-decodes a URL's user or password (`p%40ss` → `p@ss`; `+` and `&` stay as they are).
#[must_use]
pub fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// `scheme://user:***@host:port/` for display; a user name without a password (often the key
/// itself: `http://KEY@proxy`) becomes `***`. Key-like query values are left to the redactor.
#[must_use]
pub fn redacted_url(url: &Url) -> String {
    let mut shown = url.clone();
    if shown.password().is_some() {
        let _ = shown.set_password(Some("***"));
    } else if !shown.username().is_empty() {
        let _ = shown.set_username("***");
    }
    shown.to_string()
}

/// Parses a proxy variable's value like curl does: a bare `host:port` means `http://host:port`.
///
/// # Errors
/// Why the value is not a usable proxy URL.
pub fn parse_proxy_url(raw: &str) -> Result<Url, ProxyUrlError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(ProxyUrlError::Empty);
    }
    let with_scheme = if trimmed.contains("://") { trimmed.to_owned() } else { format!("http://{trimmed}") };
    let url = Url::parse(&with_scheme).map_err(|e| ProxyUrlError::NotAUrl(e.to_string()))?;
    match url.scheme() {
        "http" | "https" => {}
        s @ ("socks5" | "socks5h" | "socks4" | "socks4a") => return Err(ProxyUrlError::Socks(s.to_owned())),
        other => return Err(ProxyUrlError::Scheme(other.to_owned())),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(ProxyUrlError::NoHost);
    }
    Ok(url)
}

/// Why a proxy variable's value is not a usable proxy URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxyUrlError {
    /// The value is empty.
    Empty,
    /// It does not parse as a URL.
    NotAUrl(String),
    /// A SOCKS proxy: valid for curl and Go, not something the doctor tests.
    Socks(String),
    /// A scheme that is no proxy scheme.
    Scheme(String),
    /// No host.
    NoHost,
}

impl std::fmt::Display for ProxyUrlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Empty => f.write_str("the value is empty"),
            Self::NotAUrl(e) => write!(f, "not a URL ({e})"),
            Self::Socks(s) => {
                write!(f, "`{s}` proxies are not supported by the doctor (Python needs `httpx[socks]` for them)")
            }
            Self::Scheme(s) => write!(f, "the scheme `{s}` is not a proxy scheme (use http://)"),
            Self::NoHost => f.write_str("the URL has no host"),
        }
    }
}

/// The first `NO_PROXY` entry (from `no_proxy`, then `NO_PROXY`) that matches `host`.
#[must_use]
pub fn no_proxy_match(env: &Env, host: &str) -> Option<String> {
    let list = no_proxy(env)?;
    no_proxy_list_match(list, host)
}

/// Matching as curl and httpx do: `*` matches all; `example.com` and `.example.com` match the
/// domain and its subdomains; IP literals match exactly; a `:port` suffix is ignored.
#[must_use]
pub fn no_proxy_list_match(list: &str, host: &str) -> Option<String> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let host = host.trim_start_matches('[').trim_end_matches(']');
    for entry in list.split([',', ' ']).map(str::trim).filter(|e| !e.is_empty()) {
        if entry == "*" {
            return Some(entry.to_owned());
        }
        let mut pattern = entry.to_ascii_lowercase();
        // Strip a :port (but not from a bare IPv6 literal).
        if let Some((h, p)) = pattern.rsplit_once(':')
            && p.chars().all(|c| c.is_ascii_digit())
            && (!h.contains(':') || h.ends_with(']'))
        {
            pattern = h.to_owned();
        }
        let pattern = pattern.trim_start_matches('[').trim_end_matches(']');
        let domain = pattern.trim_start_matches("*.").trim_start_matches('.');
        if domain.is_empty() {
            continue;
        }
        if host == domain || host.ends_with(&format!(".{domain}")) {
            return Some(entry.to_owned());
        }
    }
    None
}

/// The proxy that applies to `target` from `env`, if any variable is set.
#[must_use]
pub fn choose(env: &Env, target: &Url) -> Option<ProxyChoice> {
    let order = if target.scheme() == "http" { HTTP_ORDER } else { HTTPS_ORDER };
    let var = order.iter().copied().find(|v| env.non_empty(v).is_some())?;
    let raw = env.non_empty(var).unwrap_or_default().to_owned();
    let url = parse_proxy_url(&raw);
    let bypassed_by = target.host_str().and_then(|h| no_proxy_match(env, h));
    Some(ProxyChoice { var, raw, url, bypassed_by })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api() -> Url {
        Url::parse("https://api.openai.com/v1").unwrap()
    }

    #[test]
    fn lower_case_wins_and_all_proxy_is_the_fallback() {
        let env = Env::from_pairs([("HTTPS_PROXY", "http://upper:1"), ("https_proxy", "http://lower:2")]);
        assert_eq!(choose(&env, &api()).unwrap().var, "https_proxy");
        let env = Env::from_pairs([("ALL_PROXY", "http://all:3")]);
        assert_eq!(choose(&env, &api()).unwrap().var, "ALL_PROXY");
        let env = Env::from_pairs([("HTTP_PROXY", "http://plain:3")]);
        assert!(choose(&env, &api()).is_none(), "HTTP_PROXY does not apply to https URLs");
    }

    #[test]
    fn bare_host_port_means_http_and_bad_schemes_are_named() {
        assert_eq!(parse_proxy_url("proxy:3128").unwrap().as_str(), "http://proxy:3128/");
        assert_eq!(parse_proxy_url("socks5://p:1").unwrap_err(), ProxyUrlError::Socks("socks5".into()));
        assert!(parse_proxy_url("socks5://p:1").unwrap_err().to_string().contains("socks5"));
        assert_eq!(parse_proxy_url("ftp://p:1").unwrap_err(), ProxyUrlError::Scheme("ftp".into()));
        assert!(parse_proxy_url("ftp://p:1").unwrap_err().to_string().contains("ftp"));
        assert_eq!(parse_proxy_url(""), Err(ProxyUrlError::Empty));
        assert!(parse_proxy_url("http://").is_err());
    }

    #[test]
    fn no_proxy_matching() {
        assert_eq!(no_proxy_list_match("localhost,.openai.com", "api.openai.com").as_deref(), Some(".openai.com"));
        assert_eq!(no_proxy_list_match("openai.com", "api.openai.com").as_deref(), Some("openai.com"));
        assert_eq!(no_proxy_list_match("*", "x").as_deref(), Some("*"));
        assert_eq!(no_proxy_list_match("api.openai.com:443", "api.openai.com").as_deref(), Some("api.openai.com:443"));
        assert!(no_proxy_list_match("notopenai.com,localhost", "api.openai.com").is_none());
        assert_eq!(no_proxy_list_match("::1", "[::1]").as_deref(), Some("::1"));
    }

    #[test]
    fn credentials_are_redacted_and_decoded() {
        let env = Env::from_pairs([("HTTPS_PROXY", "http://bob:p%40ss@proxy:3128")]);
        let choice = choose(&env, &api()).unwrap();
        assert_eq!(choice.display(), "http://bob:***@proxy:3128/");
        assert_eq!(choice.password().as_deref(), Some("p@ss"));
        let env = Env::from_pairs([("HTTPS_PROXY", "http://bob:a&b=c+d%21@proxy:3128")]);
        assert_eq!(
            choose(&env, &api()).unwrap().password().as_deref(),
            Some("a&b=c+d!"),
            "& and = are part of the password"
        );
    }
}
