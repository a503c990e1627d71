//! Which API the app really calls, decided as the official SDKs decide it: OpenAI's own API,
//! Azure OpenAI (the `AzureOpenAI` client: `AZURE_OPENAI_ENDPOINT`, `OPENAI_API_VERSION`, the
//! deployment as the model, `api-key` or an Entra ID token; or Azure's v1 API through the plain
//! client), or another OpenAI-compatible server (a gateway, LiteLLM, OpenRouter, vLLM, Ollama).
//! The paths, the credential and its header, and the words the report says about the target
//! follow from it, so no check guesses them again.

use url::Url;

use crate::input::Env;
use crate::secret::SecretString;

/// The host of OpenAI's API.
pub const OPENAI_HOST: &str = "api.openai.com";

/// The endpoints `AzureOpenAI` sends to `deployments/{model}/…` (openai-python's
/// `lib/azure.py`, `_deployments_endpoints`): the rest (`models`, `files`, `batches`) stay
/// under `{endpoint}/openai/`.
pub const AZURE_DEPLOYMENT_ENDPOINTS: &[&str] = &[
    "completions",
    "chat/completions",
    "embeddings",
    "audio/transcriptions",
    "audio/translations",
    "audio/speech",
    "images/generations",
    "images/edits",
];

/// Variables Azure's samples and frameworks keep the deployment's name in (the SDK itself takes
/// it in code, as `model=`): read, in this order, when `--model` does not name it.
pub const DEPLOYMENT_VARS: &[&str] =
    &["AZURE_OPENAI_DEPLOYMENT", "AZURE_OPENAI_DEPLOYMENT_NAME", "AZURE_OPENAI_CHAT_DEPLOYMENT_NAME"];

/// What `--provider` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Choice {
    /// Decide from the base URL and the environment, as the SDKs would be configured.
    #[default]
    Auto,
    /// OpenAI's API (the `OpenAI` client).
    Openai,
    /// Azure OpenAI (the `AzureOpenAI` client, or the v1 API).
    Azure,
    /// Another OpenAI-compatible server.
    Compatible,
}

impl Choice {
    /// `auto`, `openai`, `azure`, `compatible`.
    ///
    /// # Errors
    /// The accepted words.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(Self::Auto),
            "openai" => Ok(Self::Openai),
            "azure" => Ok(Self::Azure),
            "compatible" => Ok(Self::Compatible),
            _ => Err(format!("`{s}` is not a provider: auto, openai, azure or compatible")),
        }
    }
}

/// The API the app calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Provider {
    /// OpenAI's API.
    Openai,
    /// Azure OpenAI.
    Azure(Azure),
    /// Any other base URL: an OpenAI-compatible server or gateway.
    Compatible,
}

/// How an Azure OpenAI resource is called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Azure {
    /// The resource's endpoint (`https://NAME.openai.azure.com`), without a path.
    pub endpoint: Url,
    /// Which of Azure's two API shapes.
    pub style: AzureStyle,
    /// `api-version` sent on every request (required by the deployments API; the `AzureOpenAI`
    /// client refuses to start without it).
    pub api_version: Option<String>,
    /// Where the deployment's name (the model, to the SDK) came from: `--model`, a variable,
    /// the base URL; `None` when nothing named it (the chat probe then cannot aim).
    pub deployment_from: Option<String>,
    /// Called through the `AzureOpenAI` client (from `AZURE_OPENAI_ENDPOINT`), which refuses to
    /// start without an api-version; else the plain client with a base URL, which sends what it has.
    pub azure_client: bool,
}

/// Azure OpenAI's two API shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AzureStyle {
    /// `{endpoint}/openai/deployments/{deployment}/…?api-version=…`, the `AzureOpenAI` client.
    Deployments,
    /// `{endpoint}/openai/v1/…`, the plain `OpenAI` client with `base_url` (no api-version needed).
    V1,
}

/// How the credential travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Header {
    /// `Authorization: Bearer …` (OpenAI, compatible servers, Azure's Entra ID tokens and v1 API).
    Bearer,
    /// `api-key: …` (Azure OpenAI keys with the `AzureOpenAI` client).
    ApiKey,
}

/// The credential the app's client sends, and where it came from.
#[derive(Debug, Clone)]
pub struct Credential {
    /// Its value, when set.
    pub value: Option<SecretString>,
    /// The variable it is read from (`OPENAI_API_KEY`, `AZURE_OPENAI_API_KEY`, `AZURE_OPENAI_AD_TOKEN`).
    pub var: &'static str,
    /// The header it travels in.
    pub header: Header,
}

impl Credential {
    /// `OPENAI_API_KEY` as a bearer token: OpenAI's clients, Azure's v1 API, compatible servers.
    #[must_use]
    pub fn openai(env: &Env) -> Self {
        Self { value: env.get("OPENAI_API_KEY").map(SecretString::new), var: "OPENAI_API_KEY", header: Header::Bearer }
    }

    /// What `AzureOpenAI` sends: `AZURE_OPENAI_AD_TOKEN` as a bearer token when set (the client
    /// prefers the token), else `AZURE_OPENAI_API_KEY` in `api-key`.
    #[must_use]
    pub fn azure(env: &Env) -> Self {
        match env.get("AZURE_OPENAI_AD_TOKEN") {
            Some(token) => {
                Self { value: Some(SecretString::new(token)), var: "AZURE_OPENAI_AD_TOKEN", header: Header::Bearer }
            }
            None => Self {
                value: env.get("AZURE_OPENAI_API_KEY").map(SecretString::new),
                var: "AZURE_OPENAI_API_KEY",
                header: Header::ApiKey,
            },
        }
    }
}

/// Where the base URL came from, for the words of the decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaseSource {
    /// `--base-url`.
    Flag,
    /// `OPENAI_BASE_URL` (the doctor's, or the app's with `--pid`).
    Env,
    /// Nothing set: the SDKs' default.
    Default,
}

/// What the decision reads.
#[derive(Debug, Clone)]
pub struct Inputs {
    /// `--provider`.
    pub choice: Choice,
    /// The base URL and where it came from.
    pub base_url: Url,
    /// Where `base_url` came from.
    pub base_source: BaseSource,
    /// `--azure-endpoint` or `AZURE_OPENAI_ENDPOINT`.
    pub azure_endpoint: Option<String>,
    /// `--api-version` or `OPENAI_API_VERSION`.
    pub api_version: Option<String>,
}

/// The decision: the provider, the base URL requests go under, the credential, and why.
#[derive(Debug, Clone)]
pub struct Decision {
    /// The provider.
    pub provider: Provider,
    /// The base URL as the SDK builds it (`{endpoint}/openai?api-version=…` for `AzureOpenAI`).
    pub base_url: Url,
    /// The credential and its header.
    pub credential: Credential,
    /// Why, in words for the target line: "AZURE_OPENAI_ENDPOINT is set (…)".
    pub why: String,
}

/// Decides as the app's client would be configured by the same environment.
///
/// # Errors
/// An Azure endpoint that is not a URL, or `--provider azure` with no endpoint to call.
pub fn decide(inputs: &Inputs, env: &Env) -> Result<Decision, String> {
    let base_host = inputs.base_url.host_str().unwrap_or("").to_ascii_lowercase();
    let base_is_set = inputs.base_source != BaseSource::Default;
    let base_said = match inputs.base_source {
        BaseSource::Flag => "--base-url",
        BaseSource::Env => "OPENAI_BASE_URL",
        BaseSource::Default => "the default base URL",
    };
    let azure_endpoint = inputs.azure_endpoint.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let choice = match inputs.choice {
        Choice::Auto if base_is_set && is_azure_host(&base_host) => Choice::Azure,
        Choice::Auto if base_is_set && base_host == OPENAI_HOST => Choice::Openai,
        Choice::Auto if base_is_set => Choice::Compatible,
        Choice::Auto if azure_endpoint.is_some() => Choice::Azure,
        Choice::Auto => Choice::Openai,
        other => other,
    };
    let forced = inputs.choice != Choice::Auto;
    match choice {
        Choice::Openai | Choice::Auto => Ok(Decision {
            provider: Provider::Openai,
            base_url: inputs.base_url.clone(),
            credential: Credential::openai(env),
            why: if forced {
                "--provider openai".to_owned()
            } else if base_is_set {
                format!("{base_said} is OpenAI's API")
            } else {
                "no OPENAI_BASE_URL or AZURE_OPENAI_ENDPOINT: the SDKs' default".to_owned()
            },
        }),
        Choice::Compatible => Ok(Decision {
            provider: Provider::Compatible,
            base_url: inputs.base_url.clone(),
            credential: Credential::openai(env),
            why: if forced {
                "--provider compatible".to_owned()
            } else {
                format!("{base_said} ({base_host}) is not OpenAI's API: an OpenAI-compatible server or gateway")
            },
        }),
        Choice::Azure if base_is_set && (!forced || azure_endpoint.is_none()) => {
            // The plain client (or AzureOpenAI with base_url) pointed at the resource: its path
            // says which API shape; its query may already carry the api-version.
            let path = inputs.base_url.path().trim_end_matches('/').to_owned();
            let v1 = path.ends_with("/openai/v1");
            let mut endpoint = inputs.base_url.clone();
            endpoint.set_path("");
            endpoint.set_query(None);
            let from_query =
                inputs.base_url.query_pairs().find(|(k, _)| k == "api-version").map(|(_, v)| v.into_owned());
            let api_version = from_query.clone().or_else(|| inputs.api_version.clone());
            let mut base_url = inputs.base_url.clone();
            if let (None, Some(v)) = (&from_query, &api_version)
                && !v1
            {
                base_url.query_pairs_mut().append_pair("api-version", v);
            }
            let style = if v1 { AzureStyle::V1 } else { AzureStyle::Deployments };
            let deployment_from = path.contains("/deployments/").then(|| base_said.to_owned());
            // The v1 API is called with the plain client and OPENAI_API_KEY; the deployments
            // API with AzureOpenAI's credentials.
            let credential = if v1 { Credential::openai(env) } else { Credential::azure(env) };
            let shape = if v1 { "Azure OpenAI's v1 API" } else { "an Azure OpenAI resource" };
            Ok(Decision {
                why: if forced {
                    format!("--provider azure, {base_said} {shape}")
                } else {
                    format!("{base_said}'s host {base_host} is {shape}")
                },
                provider: Provider::Azure(Azure { endpoint, style, api_version, deployment_from, azure_client: false }),
                base_url,
                credential,
            })
        }
        Choice::Azure => {
            let Some(raw) = azure_endpoint else {
                return Err("--provider azure needs the resource's endpoint: --azure-endpoint https://NAME.openai.azure.com or AZURE_OPENAI_ENDPOINT".to_owned());
            };
            let mut endpoint = crate::input::parse_http_url("--azure-endpoint / AZURE_OPENAI_ENDPOINT", raw)?;
            // AzureOpenAI appends /openai to the endpoint (stripped of a trailing slash): a
            // path people add by hand (…/openai/) would be doubled by the client too, so it is
            // kept, and shows in the URLs the report prints.
            let path = endpoint.path().trim_end_matches('/').to_owned();
            endpoint.set_query(None);
            let mut base_url = endpoint.clone();
            base_url.set_path(&format!("{path}/openai"));
            if let Some(v) = &inputs.api_version {
                base_url.query_pairs_mut().append_pair("api-version", v);
            }
            let host = endpoint.host_str().unwrap_or("").to_owned();
            let mut endpoint_only = endpoint.clone();
            endpoint_only.set_path(&path);
            Ok(Decision {
                why: if forced {
                    format!("--provider azure, endpoint {host}")
                } else {
                    format!("AZURE_OPENAI_ENDPOINT is set ({host}) and OPENAI_BASE_URL is not: the AzureOpenAI client")
                },
                provider: Provider::Azure(Azure {
                    endpoint: endpoint_only,
                    style: AzureStyle::Deployments,
                    api_version: inputs.api_version.clone(),
                    deployment_from: None,
                    azure_client: true,
                }),
                base_url,
                credential: Credential::azure(env),
            })
        }
    }
}

/// An Azure OpenAI (or Azure AI Foundry) resource's host.
#[must_use]
pub fn is_azure_host(host: &str) -> bool {
    let h = host.trim_end_matches('.').to_ascii_lowercase();
    h.ends_with(".openai.azure.com")
        || h.ends_with(".cognitiveservices.azure.com")
        || h.ends_with(".services.ai.azure.com")
}

impl Provider {
    /// `openai`, `azure`, `compatible`: the JSON report's and the metrics' word.
    #[must_use]
    pub fn id(&self) -> &'static str {
        match self {
            Self::Openai => "openai",
            Self::Azure(_) => "azure",
            Self::Compatible => "compatible",
        }
    }

    /// How the report names it: "OpenAI", "Azure OpenAI (api-version 2024-10-21)", "an
    /// OpenAI-compatible server".
    #[must_use]
    pub fn name(&self) -> String {
        match self {
            Self::Openai => "OpenAI".to_owned(),
            Self::Azure(a) => match (a.style, &a.api_version) {
                (AzureStyle::V1, _) => "Azure OpenAI (v1 API)".to_owned(),
                (AzureStyle::Deployments, Some(v)) => format!("Azure OpenAI (api-version {v})"),
                (AzureStyle::Deployments, None) => "Azure OpenAI (no api-version)".to_owned(),
            },
            Self::Compatible => "an OpenAI-compatible server".to_owned(),
        }
    }

    /// The Azure settings, when it is Azure.
    #[must_use]
    pub fn azure(&self) -> Option<&Azure> {
        match self {
            Self::Azure(a) => Some(a),
            _ => None,
        }
    }

    /// The output-token limit a minimal chat completion sets where the app's server accepts it:
    /// `max_completion_tokens` on OpenAI, on Azure's v1 API and on Azure from api-version
    /// 2024-09-01-preview (older versions refuse it as an unrecognized argument), `max_tokens` on
    /// compatible servers (vLLM, Ollama, LiteLLM and OpenRouter all take it).
    #[must_use]
    pub fn token_limit_field(&self) -> &'static str {
        match self {
            Self::Openai => "max_completion_tokens",
            Self::Azure(a) => match (a.style, a.api_version.as_deref()) {
                (AzureStyle::Deployments, Some(v)) if v < "2024-09-01" => "max_tokens",
                _ => "max_completion_tokens",
            },
            Self::Compatible => "max_tokens",
        }
    }

    /// A minimal chat completion for this provider: `model`, one user message, the token limit
    /// it accepts, and `store: false` only where it is OpenAI's own parameter.
    #[must_use]
    pub fn minimal_chat(&self, model: &str, content: &str, max_tokens: u32) -> serde_json::Value {
        let mut body = serde_json::json!({"model": model, "messages": [{"role": "user", "content": content}]});
        body[self.token_limit_field()] = max_tokens.into();
        if self.is_openai() {
            body["store"] = false.into();
        }
        body
    }

    /// OpenAI's own API (its status page, its key format, platform.openai.com's advice apply).
    #[must_use]
    pub fn is_openai(&self) -> bool {
        matches!(self, Self::Openai)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(base: Option<&str>, endpoint: Option<&str>, version: Option<&str>) -> Inputs {
        Inputs {
            choice: Choice::Auto,
            base_url: Url::parse(base.unwrap_or("https://api.openai.com/v1")).unwrap(),
            base_source: if base.is_some() { BaseSource::Env } else { BaseSource::Default },
            azure_endpoint: endpoint.map(str::to_owned),
            api_version: version.map(str::to_owned),
        }
    }

    #[test]
    fn the_azure_client_is_read_from_its_variables() {
        let env = Env::from_pairs([("AZURE_OPENAI_API_KEY", "0123456789abcdef0123456789abcdef")]);
        let d = decide(&inputs(None, Some("https://res.openai.azure.com/"), Some("2024-10-21")), &env).unwrap();
        assert_eq!(d.base_url.as_str(), "https://res.openai.azure.com/openai?api-version=2024-10-21");
        assert_eq!(d.credential.header, Header::ApiKey);
        assert_eq!(d.credential.var, "AZURE_OPENAI_API_KEY");
        assert!(d.why.contains("AZURE_OPENAI_ENDPOINT"), "{}", d.why);
        let a = d.provider.azure().unwrap();
        assert_eq!((a.style, a.endpoint.as_str()), (AzureStyle::Deployments, "https://res.openai.azure.com/"));
        // The token wins, as in AzureOpenAI._prepare_options.
        let env = Env::from_pairs([("AZURE_OPENAI_API_KEY", "k"), ("AZURE_OPENAI_AD_TOKEN", "eyJ0")]);
        let d = decide(&inputs(None, Some("https://res.openai.azure.com"), None), &env).unwrap();
        assert_eq!((d.credential.header, d.credential.var), (Header::Bearer, "AZURE_OPENAI_AD_TOKEN"));
        assert_eq!(d.base_url.as_str(), "https://res.openai.azure.com/openai");
    }

    #[test]
    fn the_base_url_decides_before_the_azure_variables() {
        let env = Env::default();
        let d = decide(&inputs(Some("https://res.openai.azure.com/openai/v1/"), None, None), &env).unwrap();
        assert_eq!(d.provider.azure().unwrap().style, AzureStyle::V1);
        assert_eq!((d.credential.header, d.credential.var), (Header::Bearer, "OPENAI_API_KEY"));
        let d = decide(&inputs(Some("http://127.0.0.1:4000/v1"), Some("https://res.openai.azure.com"), None), &env)
            .unwrap();
        assert_eq!(d.provider, Provider::Compatible);
        assert!(d.why.contains("127.0.0.1"), "{}", d.why);
        let d = decide(&inputs(Some("https://api.openai.com/v1"), None, None), &env).unwrap();
        assert_eq!(d.provider, Provider::Openai);
        let d = decide(&inputs(None, None, None), &env).unwrap();
        assert_eq!(d.provider, Provider::Openai);
        // An api-version in the base URL's query is the one sent.
        let d = decide(
            &inputs(Some("https://res.cognitiveservices.azure.com/openai?api-version=2024-06-01"), None, Some("x")),
            &env,
        )
        .unwrap();
        assert_eq!(d.provider.azure().unwrap().api_version.as_deref(), Some("2024-06-01"));
        assert_eq!(d.base_url.query(), Some("api-version=2024-06-01"));
    }

    #[test]
    fn minimal_requests_use_what_each_server_accepts() {
        let azure = |v: &str| {
            Provider::Azure(Azure {
                endpoint: Url::parse("https://res.openai.azure.com").unwrap(),
                style: AzureStyle::Deployments,
                api_version: Some(v.to_owned()),
                deployment_from: None,
                azure_client: true,
            })
        };
        let body = Provider::Openai.minimal_chat("m", "hi", 1);
        assert_eq!((body["max_completion_tokens"].as_u64(), body["store"].as_bool()), (Some(1), Some(false)));
        let old = azure("2024-06-01").minimal_chat("d", "hi", 1);
        assert_eq!((old["max_tokens"].as_u64(), old.get("store")), (Some(1), None), "{old}");
        assert!(azure("2024-10-21").minimal_chat("d", "hi", 1)["max_completion_tokens"].is_u64());
        assert!(azure("2024-09-01-preview").minimal_chat("d", "hi", 1)["max_completion_tokens"].is_u64());
        assert_eq!(Provider::Compatible.token_limit_field(), "max_tokens");
    }

    #[test]
    fn a_forced_provider_is_said_and_checked() {
        let env = Env::default();
        let mut i = inputs(None, None, None);
        i.choice = Choice::Azure;
        assert!(decide(&i, &env).unwrap_err().contains("--azure-endpoint"));
        i.azure_endpoint = Some("ftp://x".into());
        assert!(decide(&i, &env).unwrap_err().contains("scheme"));
        i.azure_endpoint = Some("http://127.0.0.1:8443".into());
        let d = decide(&i, &env).unwrap();
        assert_eq!(d.base_url.as_str(), "http://127.0.0.1:8443/openai");
        assert!(d.why.starts_with("--provider azure"), "{}", d.why);
        assert!(Choice::parse("AZURE").is_ok() && Choice::parse("aws").unwrap_err().contains("compatible"));
    }
}
