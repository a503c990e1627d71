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
}

/// Azure OpenAI's two API shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AzureStyle {
    /// `{endpoint}/openai/deployments/{deployment}/…?api-version=…`, the `AzureOpenAI` client
    /// (from `AZURE_OPENAI_ENDPOINT`, or `--provider azure` with a base URL), which refuses to
    /// start without an api-version.
    Deployments,
    /// `{endpoint}/openai/v1/…`, the plain `OpenAI` client with `base_url` (no api-version needed).
    V1,
    /// The plain `OpenAI` client with a base URL on the resource but not at its v1 API: OpenAI's
    /// paths and a bearer token, which Azure refuses (a common slip, sent as the app sends it).
    PlainClient,
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
    /// `--azure-endpoint` was typed (a flag wins over `OPENAI_BASE_URL` from the environment).
    pub endpoint_typed: bool,
    /// `--api-version` or `OPENAI_API_VERSION` (empty when set but empty: the SDK sends it so).
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
    /// Why the SDK's own URLs break with this configuration (a query or fragment where the
    /// client appends paths): the probe says it and sends nothing it could not send either.
    pub url_problem: Option<String>,
}

/// Decides as the app's client would be configured by the same environment: `OPENAI_BASE_URL`
/// is read only by the `OpenAI` client, `AZURE_OPENAI_ENDPOINT` only by `AzureOpenAI`; a typed
/// flag wins over a variable.
///
/// # Errors
/// An Azure endpoint that is not a URL, `--provider azure` with no endpoint to call, or
/// `--base-url` with `--azure-endpoint` (exclusive, as `base_url` and `azure_endpoint` are).
pub fn decide(inputs: &Inputs, env: &Env) -> Result<Decision, String> {
    let base_host = inputs.base_url.host_str().unwrap_or("").to_ascii_lowercase();
    let base_is_set = inputs.base_source != BaseSource::Default;
    let base_said = match inputs.base_source {
        BaseSource::Flag => "--base-url",
        BaseSource::Env => "OPENAI_BASE_URL",
        BaseSource::Default => "the default base URL",
    };
    let azure_endpoint = inputs.azure_endpoint.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if inputs.base_source == BaseSource::Flag && inputs.endpoint_typed && azure_endpoint.is_some() {
        return Err("--base-url and --azure-endpoint are mutually exclusive, as the AzureOpenAI client's base_url and azure_endpoint are: give one".to_owned());
    }
    let forced = inputs.choice != Choice::Auto;
    // The endpoint is the one called when typed, or when nothing else names an API.
    let endpoint_wins = azure_endpoint.is_some()
        && (inputs.endpoint_typed
            || !base_is_set
            || (inputs.choice == Choice::Azure && inputs.base_source != BaseSource::Flag));
    let choice = match inputs.choice {
        Choice::Auto if endpoint_wins => Choice::Azure,
        Choice::Auto if base_is_set && is_azure_host(&base_host) => Choice::Azure,
        Choice::Auto if base_is_set && is_openai_host(&base_host) => Choice::Openai,
        Choice::Auto if base_is_set => Choice::Compatible,
        Choice::Auto => Choice::Openai,
        other => other,
    };
    // With both set, the other client would call the other API: said, so nobody is misled.
    let also = match (azure_endpoint, endpoint_wins, base_is_set) {
        (Some(_), false, true) => "; AZURE_OPENAI_ENDPOINT is set too, which only an AzureOpenAI client would call (--provider azure diagnoses that one)".to_owned(),
        (Some(_), true, true) => format!("; {base_said} is set too, which only an OpenAI client would call"),
        _ => String::new(),
    };
    let query_problem = |url: &Url, what: &str| {
        (url.query().is_some() || url.fragment().is_some()).then(|| {
            format!("{what} carries a query or fragment (`?…`/`#…`): the SDKs append each request's path after it, so every request goes to a wrong URL")
        })
    };
    let base_problem = || query_problem(&inputs.base_url, base_said);
    let mut clean_base = inputs.base_url.clone();
    clean_base.set_query(None);
    clean_base.set_fragment(None);
    match choice {
        Choice::Openai | Choice::Auto => Ok(Decision {
            provider: Provider::Openai,
            base_url: clean_base,
            credential: Credential::openai(env),
            why: if forced {
                format!("--provider openai{also}")
            } else if base_is_set {
                format!("{base_said} is OpenAI's API{also}")
            } else {
                "no OPENAI_BASE_URL or AZURE_OPENAI_ENDPOINT: the SDKs' default".to_owned()
            },
            url_problem: base_problem(),
        }),
        Choice::Compatible => Ok(Decision {
            provider: Provider::Compatible,
            base_url: clean_base,
            credential: Credential::openai(env),
            why: if forced {
                format!("--provider compatible{also}")
            } else {
                format!("{base_said} ({base_host}) is not OpenAI's API: an OpenAI-compatible server or gateway{also}")
            },
            url_problem: base_problem(),
        }),
        Choice::Azure if !endpoint_wins => {
            if !base_is_set {
                return Err("--provider azure needs the resource's endpoint: --azure-endpoint https://NAME.openai.azure.com or AZURE_OPENAI_ENDPOINT".to_owned());
            }
            let path = clean_base.path().trim_end_matches('/').to_owned();
            let mut endpoint = clean_base.clone();
            endpoint.set_path("");
            let v1 = path.ends_with("/openai/v1");
            // OPENAI_BASE_URL is the plain OpenAI client's: at the v1 API it works, elsewhere
            // on Azure it sends OpenAI's paths and a bearer token. `--provider azure` with a
            // base URL is AzureOpenAI(base_url=…): its api-version, its routing, its key.
            let style = if v1 {
                AzureStyle::V1
            } else if forced {
                AzureStyle::Deployments
            } else {
                AzureStyle::PlainClient
            };
            let mut base_url = clean_base.clone();
            let api_version = (style == AzureStyle::Deployments).then(|| inputs.api_version.clone()).flatten();
            if let Some(v) = &api_version {
                base_url.query_pairs_mut().append_pair("api-version", v);
            }
            let credential =
                if style == AzureStyle::Deployments { Credential::azure(env) } else { Credential::openai(env) };
            let deployment_from = path.contains("/deployments/").then(|| base_said.to_owned());
            let shape = match style {
                AzureStyle::V1 => "Azure OpenAI's v1 API, called with the OpenAI client",
                AzureStyle::Deployments => "an Azure OpenAI resource, called with the AzureOpenAI client",
                AzureStyle::PlainClient => {
                    "an Azure OpenAI resource, but not its v1 API (/openai/v1/): the OpenAI client sends OpenAI's paths and a bearer token there"
                }
            };
            Ok(Decision {
                why: if forced {
                    format!("--provider azure, {base_said} is {shape}{also}")
                } else {
                    format!("{base_said}'s host {base_host} is {shape}{also}")
                },
                provider: Provider::Azure(Azure { endpoint, style, api_version, deployment_from }),
                base_url,
                credential,
                url_problem: base_problem(),
            })
        }
        Choice::Azure => {
            let Some(raw) = azure_endpoint else {
                return Err("--provider azure needs the resource's endpoint: --azure-endpoint https://NAME.openai.azure.com or AZURE_OPENAI_ENDPOINT".to_owned());
            };
            let said = if inputs.endpoint_typed { "--azure-endpoint" } else { "AZURE_OPENAI_ENDPOINT" };
            let mut endpoint = crate::input::parse_http_url("--azure-endpoint / AZURE_OPENAI_ENDPOINT", raw)?;
            // AzureOpenAI builds f"{endpoint.rstrip('/')}/openai": a query or fragment in the
            // endpoint ends up before /openai.
            let url_problem = (endpoint.query().is_some() || endpoint.fragment().is_some()).then(|| {
                format!("{said} carries a query or fragment (`?…`/`#…`): the AzureOpenAI client appends /openai after it, so every request goes to a wrong URL")
            });
            endpoint.set_query(None);
            endpoint.set_fragment(None);
            // A path people add by hand (…/openai/) is doubled by the client too: it is kept,
            // and shows in the URLs the report prints.
            let path = endpoint.path().trim_end_matches('/').to_owned();
            endpoint.set_path(&path);
            let mut base_url = endpoint.clone();
            base_url.set_path(&format!("{path}/openai"));
            if let Some(v) = &inputs.api_version {
                base_url.query_pairs_mut().append_pair("api-version", v);
            }
            let host = endpoint.host_str().unwrap_or("").to_owned();
            Ok(Decision {
                why: if forced {
                    format!("--provider azure, {said} {host}: the AzureOpenAI client{also}")
                } else if inputs.endpoint_typed {
                    format!("--azure-endpoint {host}: the AzureOpenAI client{also}")
                } else {
                    format!("AZURE_OPENAI_ENDPOINT is set ({host}): the AzureOpenAI client{also}")
                },
                provider: Provider::Azure(Azure {
                    endpoint,
                    style: AzureStyle::Deployments,
                    api_version: inputs.api_version.clone(),
                    deployment_from: None,
                }),
                base_url,
                credential: Credential::azure(env),
                url_problem,
            })
        }
    }
}

/// OpenAI's API host: `api.openai.com`, its data-residency hosts (`us.`, `eu.`… as openai-python's
/// `_data_residency.py` names them) and its mTLS hosts (`mtls.`, `mtls-eu.`), any case, a
/// trailing dot allowed.
#[must_use]
pub fn is_openai_host(host: &str) -> bool {
    let h = host.trim_end_matches('.').to_ascii_lowercase();
    h == OPENAI_HOST || h.ends_with(".api.openai.com")
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
                (AzureStyle::PlainClient, _) => "Azure OpenAI (the OpenAI client, not at /openai/v1/)".to_owned(),
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
            endpoint_typed: false,
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
    fn each_client_reads_its_own_variable() {
        let env = Env::default();
        let d = decide(&inputs(Some("https://res.openai.azure.com/openai/v1/"), None, None), &env).unwrap();
        assert_eq!(d.provider.azure().unwrap().style, AzureStyle::V1);
        assert_eq!((d.credential.header, d.credential.var), (Header::Bearer, "OPENAI_API_KEY"));
        // OPENAI_BASE_URL is the OpenAI client's: with an endpoint also set, it is the one
        // diagnosed, and the other is named.
        let d = decide(&inputs(Some("http://127.0.0.1:4000/v1"), Some("https://res.openai.azure.com"), None), &env)
            .unwrap();
        assert_eq!(d.provider, Provider::Compatible);
        assert!(d.why.contains("127.0.0.1") && d.why.contains("AZURE_OPENAI_ENDPOINT is set too"), "{}", d.why);
        // A typed --azure-endpoint wins over OPENAI_BASE_URL from the environment.
        let mut typed = inputs(Some("http://127.0.0.1:4000/v1"), Some("https://res.openai.azure.com"), Some("v"));
        typed.endpoint_typed = true;
        let d = decide(&typed, &env).unwrap();
        assert_eq!(d.provider.azure().unwrap().style, AzureStyle::Deployments);
        assert!(d.why.starts_with("--azure-endpoint") && d.why.contains("OPENAI_BASE_URL is set too"), "{}", d.why);
        // Both typed: exclusive, as in the SDK.
        typed.base_source = BaseSource::Flag;
        assert!(decide(&typed, &env).unwrap_err().contains("mutually exclusive"));
        for openai in [
            "https://api.openai.com/v1",
            "https://eu.api.openai.com/v1",
            "https://API.OpenAI.com./v1",
            "https://mtls.api.openai.com/v1",
        ] {
            let d = decide(&inputs(Some(openai), None, None), &env).unwrap();
            assert_eq!(d.provider, Provider::Openai, "{openai}");
        }
        let d = decide(&inputs(Some("https://api.openai.com.evil.example/v1"), None, None), &env).unwrap();
        assert_eq!(d.provider, Provider::Compatible);
        let d = decide(&inputs(None, None, None), &env).unwrap();
        assert_eq!(d.provider, Provider::Openai);
        // OPENAI_BASE_URL at the deployments API: the plain client, OpenAI's paths, a bearer.
        let d = decide(&inputs(Some("https://res.openai.azure.com/openai"), None, Some("2024-10-21")), &env).unwrap();
        let a = d.provider.azure().unwrap();
        assert_eq!((a.style, a.api_version.as_deref()), (AzureStyle::PlainClient, None));
        assert_eq!(d.credential.var, "OPENAI_API_KEY");
        assert_eq!(d.base_url.as_str(), "https://res.openai.azure.com/openai");
    }

    #[test]
    fn a_query_where_the_sdk_appends_paths_is_a_problem_and_never_shown() {
        let env = Env::default();
        let d = decide(
            &inputs(Some("https://res.cognitiveservices.azure.com/openai/v1?api-version=preview"), None, None),
            &env,
        )
        .unwrap();
        assert!(d.url_problem.unwrap().contains("OPENAI_BASE_URL carries a query"));
        assert_eq!(d.base_url.query(), None);
        let d = decide(&inputs(None, Some("http://127.0.0.1:1#api-key=FRAG"), Some("v")), &env).unwrap();
        assert!(d.url_problem.unwrap().contains("AZURE_OPENAI_ENDPOINT carries a query or fragment"));
        assert!(!d.base_url.as_str().contains("FRAG"), "{}", d.base_url);
        assert!(decide(&inputs(Some("http://127.0.0.1:4000/v1/"), None, None), &env).unwrap().url_problem.is_none());
    }

    #[test]
    fn minimal_requests_use_what_each_server_accepts() {
        let azure = |v: &str| {
            Provider::Azure(Azure {
                endpoint: Url::parse("https://res.openai.azure.com").unwrap(),
                style: AzureStyle::Deployments,
                api_version: Some(v.to_owned()),
                deployment_from: None,
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
