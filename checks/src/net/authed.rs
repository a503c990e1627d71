//! The one authenticated API request: key, organization, project, a fresh client request id and
//! the headers the official SDKs send, built on the shared client (so proxy, trust and resolution
//! are the app's). Every check that calls the API builds its requests here, so a header added for
//! one is added for all.

use reqwest::{Method, RequestBuilder};

use crate::config::Config;
use crate::net::context::{Meta, Net};
use crate::provider::Header;
use crate::secret::SecretString;

/// A request ready to send, with what the log records about it.
#[derive(Debug)]
pub struct Authed {
    /// The request.
    pub builder: RequestBuilder,
    /// `X-Client-Request-Id` it carries (support can find the request by it).
    pub client_request_id: String,
    /// The attempt number, for the log.
    pub attempt: u32,
}

impl Authed {
    /// Adds a JSON body.
    #[must_use]
    pub fn json(mut self, body: Vec<u8>) -> Self {
        self.builder = self.builder.header("content-type", "application/json").body(body);
        self
    }

    /// What the request log records about it besides the exchange.
    #[must_use]
    pub fn meta(&self) -> Meta {
        Meta { client_request_id: Some(self.client_request_id.clone()), attempt: Some(self.attempt) }
    }
}

/// The key as it can be sent: trimmed (the probe says when it had to trim), `None` when empty or
/// when it holds white space or non-ASCII inside (no header can carry it).
#[must_use]
pub fn usable_key(config: &Config) -> Option<SecretString> {
    let trimmed = config.api_key()?.expose().trim();
    let ok = !trimmed.is_empty() && trimmed.chars().all(|c| c.is_ascii_graphic());
    ok.then(|| SecretString::new(trimmed))
}

/// `method` on `path` under the base URL (routed as the app's SDK routes it: Azure's deployment
/// paths), authenticated as the SDKs authenticate: `Authorization: Bearer` (or `api-key` for an
/// Azure key with the `AzureOpenAI` client), `OpenAI-Organization` and `OpenAI-Project` when configured, `Accept:
/// application/json` and `x-stainless-retry-count` (retries taken before this attempt) as
/// openai-python sends them, and a fresh `X-Client-Request-Id`. `attempt` is 1-based within the
/// check's series.
#[must_use]
pub fn request(net: &Net, config: &Config, key: &SecretString, method: Method, path: &str, attempt: u32) -> Authed {
    request_at(net, config, key, method, path, attempt, 0)
}

/// As [`request`], for a retry: `retries_taken` earlier attempts of the same logical request.
#[must_use]
pub fn request_at(
    net: &Net,
    config: &Config,
    key: &SecretString,
    method: Method,
    path: &str,
    attempt: u32,
    retries_taken: u32,
) -> Authed {
    request_to(net, config, key, method, config.api_url(path), attempt, retries_taken)
}

/// As [`request_at`], to a URL the caller built (another API of the same resource, such as
/// Azure's v1 API beside its deployments API), with the same credential and headers.
#[must_use]
pub fn request_to(
    net: &Net,
    config: &Config,
    key: &SecretString,
    method: Method,
    url: url::Url,
    attempt: u32,
    retries_taken: u32,
) -> Authed {
    let client_request_id = uuid::Uuid::new_v4().to_string();
    let builder = net.client().request(method, url);
    let mut builder = match config.credential.header {
        Header::Bearer => builder.bearer_auth(key.expose()),
        Header::ApiKey => {
            let mut value = reqwest::header::HeaderValue::from_str(key.expose())
                .unwrap_or_else(|_| reqwest::header::HeaderValue::from_static(""));
            value.set_sensitive(true);
            builder.header("api-key", value)
        }
    };
    builder = builder
        .header("Accept", "application/json")
        .header("x-stainless-retry-count", retries_taken.to_string())
        .header("X-Client-Request-Id", &client_request_id);
    if let Some(org) = &config.org {
        builder = builder.header("OpenAI-Organization", org);
    }
    if let Some(project) = &config.project {
        builder = builder.header("OpenAI-Project", project);
    }
    Authed { builder, client_request_id, attempt }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Env;

    #[test]
    fn the_request_carries_what_the_sdks_send_and_the_key_only_in_authorization() {
        let mut cfg = Config::new(Env::from_pairs([("OPENAI_API_KEY", " sk-proj-abcdef0123456789abcdef \n")]));
        cfg.org = Some("org-x".into());
        cfg.project = Some("proj_y".into());
        let net = Net::new(&cfg).unwrap();
        let key = usable_key(&cfg).unwrap();
        assert_eq!(key.expose(), "sk-proj-abcdef0123456789abcdef", "trimmed");
        let r = request_at(&net, &cfg, &key, Method::POST, "chat/completions", 3, 2).json(b"{}".to_vec());
        let meta = r.meta();
        let built = r.builder.build().unwrap();
        let h = built.headers();
        assert_eq!(built.url().as_str(), "https://api.openai.com/v1/chat/completions");
        assert_eq!(h["authorization"], "Bearer sk-proj-abcdef0123456789abcdef");
        assert_eq!(h["openai-organization"], "org-x");
        assert_eq!(h["openai-project"], "proj_y");
        assert_eq!(h["x-stainless-retry-count"], "2");
        assert_eq!(h["accept"], "application/json");
        assert_eq!(h["content-type"], "application/json");
        assert_eq!(h["x-client-request-id"], r.client_request_id.as_str());
        assert_eq!((meta.attempt, meta.client_request_id.as_deref()), (Some(3), Some(r.client_request_id.as_str())));
    }

    #[test]
    fn a_key_with_space_inside_cannot_be_sent() {
        for bad in ["", "  ", "sk-proj a", "sk-\u{e9}"] {
            let cfg = Config::new(Env::from_pairs([("OPENAI_API_KEY", bad)]));
            assert!(usable_key(&cfg).is_none(), "{bad:?}");
        }
    }
}
