//! The API's own errors, the long tail: an error's code, type and message (and the rate-limit
//! headers) → its class, whether another attempt can pass, and the fix. Patterns come from the
//! real answers in `tests/fixtures/answers/` and `tests/support/error_bodies.rs`; the status alone
//! misleads (`billing_not_active` and `insufficient_quota` come as 429, a billing hard limit as
//! 400, a missing scope as 401 or 403). An error no rule knows is quoted, its retryability read
//! from status and type, and no fix is invented. A fix is said in the terms of the provider whose
//! error it is (`Provider`): Azure OpenAI's portal, deployments and api-versions for Azure (never
//! platform.openai.com), `ollama pull` for Ollama, vLLM's `--served-model-name`.

use serde_json::Value;

use super::Answer;

/// What an error means for the caller, as a report groups it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// The request itself (payload, model name, parameter, URL scheme).
    Request,
    /// The key, its organization or project, or the account behind it.
    KeyOrProject,
    /// Billing, credit, spend limits, quotas.
    Billing,
    /// What the organization or this location may use (model access, verification, region).
    Access,
    /// A rate limit: wait and retry.
    RateLimit,
    /// OpenAI's side (server errors, overload).
    OpenAi,
    /// Cloudflare's edge in front of the API or a gateway.
    Edge,
    /// The caller's network (a proxy, a firewall, a captive portal).
    Network,
    /// A gateway's own error (its auth, timeouts, cooldowns, routes).
    Gateway,
    /// Not known.
    Unknown,
}

impl Class {
    /// The words in a report.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Request => "your request",
            Self::KeyOrProject => "your key or project",
            Self::Billing => "billing",
            Self::Access => "access",
            Self::RateLimit => "rate limit",
            Self::OpenAi => "OpenAI",
            Self::Edge => "edge",
            Self::Network => "your network",
            Self::Gateway => "gateway",
            Self::Unknown => "unknown",
        }
    }
}

/// An error as its sender said it: OpenAI's envelope fields, or a bare message.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Said {
    /// The HTTP status it came with (for a relayed error: the upstream's, when known).
    pub status: Option<u16>,
    /// The message (the whole text for a bare answer).
    pub message: String,
    /// `type`.
    pub kind: Option<String>,
    /// `code` (a number as text).
    pub code: Option<String>,
    /// `param`.
    pub param: Option<String>,
    /// No envelope: a plain-text answer, a cut quote, or a gateway's text around the upstream's.
    pub bare: bool,
}

impl Said {
    /// From a JSON body: `{"error": {...}}` (OpenAI, Azure, LiteLLM) or `{"error": "text"}`.
    #[must_use]
    pub fn from_json(v: &Value, status: Option<u16>) -> Option<Self> {
        match v.get("error")? {
            Value::String(s) => Some(Self { status, message: s.clone(), bare: true, ..Self::default() }),
            e @ Value::Object(_) => Some(Self {
                status,
                message: text(e.get("message")).unwrap_or_default(),
                kind: text(e.get("type")),
                code: text(e.get("code")),
                param: text(e.get("param")),
                bare: false,
            }),
            _ => None,
        }
    }

    /// A bare message.
    #[must_use]
    pub fn bare(message: &str, status: Option<u16>) -> Self {
        Self { status, message: message.trim().to_owned(), bare: true, ..Self::default() }
    }

    /// The code or the type is `name`; for a bare message, the message names it.
    fn is(&self, name: &str) -> bool {
        self.code.as_deref() == Some(name)
            || self.kind.as_deref() == Some(name)
            || (self.bare && self.message.contains(name))
    }

    /// The message contains `words` (ASCII case-insensitive).
    fn says(&self, words: &str) -> bool {
        contains_ci(&self.message, words)
    }
}

/// A JSON value as text: strings as they are, numbers printed; `null`, `"None"` and others none.
fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if s != "None" && !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// ASCII case-insensitive `contains`.
#[must_use]
pub fn contains_ci(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    n.is_empty() || h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

/// What an error is.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Diagnosis {
    /// The catalogue entry (`billing_not_active`, `rate_limit.tokens`, `unknown`, …).
    pub id: &'static str,
    /// Its class.
    pub class: Class,
    /// Whether another attempt of the same request can pass.
    pub retryable: bool,
    /// What it means, with the facts read from it (limits, windows, waits).
    pub what: String,
    /// The fix; `None` when the catalogue does not know the error (never invented).
    pub fix: Option<String>,
    /// The wait the answer asks for, in seconds (message, `Retry-After`, `x-ratelimit-reset-*`).
    pub wait_s: Option<f64>,
    /// The sender's message, as said.
    pub quoted: String,
}

impl Diagnosis {
    fn new(id: &'static str, class: Class, retryable: bool, what: impl Into<String>, fix: impl Into<String>) -> Self {
        Self { id, class, retryable, what: what.into(), fix: Some(fix.into()), wait_s: None, quoted: String::new() }
    }
}

/// Whose error it is, so whose terms the fix is said in: OpenAI's API, Azure OpenAI, or an
/// OpenAI-compatible server (the sender's, or the upstream's a gateway relayed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    /// OpenAI's API (api.openai.com), and the default when nothing says otherwise.
    OpenAi,
    /// Azure OpenAI (an `*.openai.azure.com` resource, or its answer relayed).
    Azure,
    /// vLLM's OpenAI-compatible server.
    Vllm,
    /// Ollama's OpenAI-compatible API.
    Ollama,
}

/// Azure OpenAI's documentation of the api-versions it accepts (and when each retires).
pub const AZURE_API_VERSIONS_URL: &str = "https://learn.microsoft.com/azure/ai-foundry/openai/api-version-lifecycle";
/// A generally available (not preview) Azure OpenAI data-plane api-version, to name in a fix.
pub const AZURE_GA_API_VERSION: &str = "2024-10-21";
/// Where an Azure resource's key and endpoint are, as one sentence of a fix.
const AZURE_KEYS: &str =
    "the resource's Keys and Endpoint page in the Azure portal (Resource Management → Keys and Endpoint)";

const BILLING_URL: &str = "https://platform.openai.com/settings/organization/billing";
const KEYS_URL: &str = "https://platform.openai.com/api-keys";
const ORG_URL: &str = "https://platform.openai.com/settings/organization/general";

/// Classifies an error said by the API (or relayed from it), with the answer's headers for the
/// rate-limit facts.
#[must_use]
pub fn diagnose(said: &Said, a: &Answer, provider: Provider) -> Diagnosis {
    let mut d = rule(said, a, provider);
    d.quoted = said.message.trim().to_owned();
    if provider == Provider::Azure {
        d.fix = d.fix.and_then(|f| azure_terms(d.id, f));
    }
    d
}

/// An Azure answer's fix never sends the user to OpenAI's platform: the few entries whose fix
/// names it (OpenAI's account wording, relayed) get Azure's equivalent, or no fix rather than a
/// wrong one.
fn azure_terms(id: &str, fix: String) -> Option<String> {
    if !fix.contains("platform.openai.com") {
        return Some(fix);
    }
    match id {
        "billing_not_active" | "billing_hard_limit_reached" | "insufficient_quota" => Some(
            "Azure OpenAI bills through the Azure subscription: check that the subscription is active and the deployment's quota in the Azure AI Foundry portal's Quota page; no retry helps.".to_owned(),
        ),
        "missing_scopes" | "invalid_api_key" | "no_api_key" => Some(format!(
            "Take the key and endpoint together from {AZURE_KEYS}, or give the Entra ID identity the Cognitive Services OpenAI User role on the resource."
        )),
        "model_retired" => Some(
            "Deploy the model's replacement and use that deployment (Azure AI Foundry → Deployments); Azure's retirement dates: https://learn.microsoft.com/azure/ai-foundry/openai/concepts/model-retirements.".to_owned(),
        ),
        _ => None,
    }
}

/// The model named in "model \"x\" not found" / "The model `x` does not exist".
fn model_named(m: &str) -> Option<String> {
    for (open, close) in [("model \"", '"'), ("model '", '\''), ("model `", '`')] {
        if let Some(rest) = after(m, open).or_else(|| after(m, &open.replace("model", "Model"))) {
            let name: String = rest.chars().take_while(|c| *c != close).collect();
            if !name.is_empty() && name.len() < 200 {
                return Some(name);
            }
        }
    }
    None
}

#[allow(clippy::too_many_lines)]
fn rule(s: &Said, a: &Answer, p: Provider) -> Diagnosis {
    use Class::{Access, Billing, KeyOrProject, OpenAi, RateLimit, Request};
    let status = s.status.unwrap_or(0);
    // Billing and quota first: they come as 429 and 400, and must never read as a rate limit.
    if s.is("billing_not_active") || s.says("Your account is not active") {
        return Diagnosis::new(
            "billing_not_active",
            Billing,
            false,
            "the account has no active billing (a 429 that is not a rate limit)",
            format!("Add or fix the payment method at {BILLING_URL} (the account's owner); no retry helps."),
        );
    }
    if s.is("billing_hard_limit_reached") || s.says("Billing hard limit has been reached") {
        return Diagnosis::new(
            "billing_hard_limit_reached",
            Billing,
            false,
            "the organization's monthly spend limit (hard limit) is reached",
            format!(
                "Raise the spend limit at {BILLING_URL}/limits, or wait for the next billing period; no retry helps."
            ),
        );
    }
    if s.is("insufficient_quota") || s.says("exceeded your current quota") {
        return Diagnosis::new(
            "insufficient_quota",
            Billing,
            false,
            "no credit or quota left on the account (a 429 that is not a rate limit)",
            format!("Add credit or raise the limit at {BILLING_URL}; retries fail the same way."),
        );
    }
    if s.is("mismatched_organization") || s.says("OpenAI-Organization header should match") {
        return Diagnosis::new(
            "mismatched_organization",
            KeyOrProject,
            false,
            "the OpenAI-Organization header names an organization the key does not belong to",
            "Unset OPENAI_ORG_ID (the key's own organization is used) or set it to the key's organization; a new key will not help.",
        );
    }
    if s.is("mismatched_project") || s.says("OpenAI-Project header") {
        return Diagnosis::new(
            "mismatched_project",
            KeyOrProject,
            false,
            "the OpenAI-Project header names a project the key does not belong to",
            "Unset OPENAI_PROJECT_ID or set it to the key's project (a project key works only in its project).",
        );
    }
    if s.is("no_organization") || s.says("must be a member of an organization") {
        return Diagnosis::new(
            "no_organization",
            KeyOrProject,
            false,
            "the account behind the key belongs to no organization",
            "Join or create an organization on platform.openai.com, or contact OpenAI through help.openai.com; every key of this account fails the same way.",
        );
    }
    if s.is("account_deactivated") || s.says("has been deactivated") {
        return Diagnosis::new(
            "account_deactivated",
            KeyOrProject,
            false,
            "the account behind the key is deactivated (not just the key)",
            "The account's owner should read OpenAI's email about it and contact support; a new key of the same account fails the same way.",
        );
    }
    if s.says("Missing scopes") || s.says("insufficient permissions for this operation") {
        let scopes = after(&s.message, "Missing scopes:").map(|m| m.trim().trim_end_matches('.').to_owned());
        return Diagnosis::new(
            "missing_scopes",
            KeyOrProject,
            false,
            format!(
                "the key is valid but lacks a permission{} (a restricted key, or a token without the scope)",
                scopes.map(|x| format!(" ({x})")).unwrap_or_default()
            ),
            format!(
                "Edit the key's permissions at {KEYS_URL} (e.g. \"Model capabilities: Write\" for model.request), or use a key with All permissions; a new key with the same restrictions fails the same way."
            ),
        );
    }
    if s.says("You didn't provide an API key") {
        return Diagnosis::new(
            "no_api_key",
            KeyOrProject,
            false,
            "the API received no key",
            "Send the key in Authorization: Bearer; if it was sent, something on the way (a proxy, a gateway) removed the header.",
        );
    }
    // Azure's answer to a bearer token it cannot use: an Entra ID token expired or issued for
    // another audience, or an API key sent as a bearer token to the deployments API (the plain
    // OpenAI client pointed at it). Real: azure/entra_token_rejected_401.http.
    if s.says("Access token is missing, invalid, audience is incorrect") {
        return Diagnosis::new(
            "entra_token",
            KeyOrProject,
            false,
            "Azure OpenAI rejected the bearer token in Authorization: an Entra ID token that expired (they last about an hour), was issued for another audience than https://cognitiveservices.azure.com, or an API key sent as a bearer token",
            "With an API key, send it in the api-key header (the AzureOpenAI client with api_key= / AZURE_OPENAI_API_KEY does; the plain OpenAI client works only with the v1 path /openai/v1/). With Entra ID, get a fresh token for the scope https://cognitiveservices.azure.com/.default (az account get-access-token --resource https://cognitiveservices.azure.com) and give the identity the Cognitive Services OpenAI User role on the resource.",
        );
    }
    if s.is("invalid_api_key") || s.says("Incorrect API key provided") || s.says("invalid subscription key") {
        let azure = s.says("subscription key") || p == Provider::Azure;
        let openai_key_to_azure = azure && a.sent.key == Some(super::KeyShape::OpenAi);
        return Diagnosis::new(
            "invalid_api_key",
            KeyOrProject,
            false,
            if openai_key_to_azure {
                "the app sends an OpenAI key (sk-…) to Azure OpenAI, which takes only its resource's own keys (or an Entra ID token)"
            } else if azure {
                "Azure OpenAI does not accept this key at this endpoint (wrong key, another resource's key, or the endpoint of another resource or region): key and endpoint are checked together"
            } else {
                "the API does not know this key (wrong, revoked, or a key of another service)"
            },
            if openai_key_to_azure {
                format!(
                    "Send the Azure resource's key (AZURE_OPENAI_API_KEY, in the api-key header; the AzureOpenAI client does this) from {AZURE_KEYS}, with that resource's endpoint (AZURE_OPENAI_ENDPOINT); an OpenAI key works only at api.openai.com."
                )
            } else if azure {
                format!(
                    "Take the key and the endpoint together from {AZURE_KEYS}: AZURE_OPENAI_API_KEY and AZURE_OPENAI_ENDPOINT must be of the same resource (either of its two keys works); a new key does not help while the endpoint is another resource's or region's."
                )
            } else {
                format!("Use a valid key from {KEYS_URL}; a key of another service needs that service's base URL.")
            },
        );
    }
    if s.is("unsupported_country_region_territory") || s.says("Country, region, or territory not supported") {
        return Diagnosis::new(
            "unsupported_country_region_territory",
            Access,
            false,
            "the API does not serve the country or region this request came from (by its egress IP)",
            "Run from a supported country (see OpenAI's supported countries); no key or retry helps.",
        );
    }
    if s.says("can only be accessed over HTTPS") {
        return Diagnosis::new(
            "https_required",
            Request,
            false,
            "the request reached the API over plain http",
            "Use https://api.openai.com/v1 as the base URL (check OPENAI_BASE_URL and any proxy that rewrites the scheme); the key is not the problem.",
        );
    }
    if s.says("must be verified to") {
        let stream = s.param.as_deref() == Some("stream") || s.says("to stream");
        return Diagnosis::new(
            "organization_verification_required",
            Access,
            false,
            if stream {
                "the organization must be verified to stream this model"
            } else {
                "the organization must be verified to use this model"
            },
            format!(
                "Verify the organization at {ORG_URL} (Verify Organization; access can take up to 15 minutes to propagate){}; the key and billing are fine.",
                if stream { ", or call the model without stream" } else { ", or use another model" }
            ),
        );
    }
    if s.says("does not have access to model") {
        return Diagnosis::new(
            "model_access",
            Access,
            false,
            "the project may not use this model (its model allowlist or the organization's access)",
            "Allow the model for the project (Settings → Project → Limits), or use one GET /models lists.",
        );
    }
    if s.says("try pulling it first") {
        let model = model_named(&s.message).unwrap_or_else(|| "MODEL".into());
        return Diagnosis::new(
            "model_not_pulled",
            Request,
            false,
            format!("Ollama has no model named \"{model}\" on this host (not pulled, or another name)"),
            format!(
                "On the Ollama host: `ollama pull {model}`, or send a name `ollama list` shows (with its tag, e.g. llama3.2:latest); retries fail the same way."
            ),
        );
    }
    if s.is("model_not_found") || (s.says("The model") && s.says("does not exist")) {
        if p == Provider::Vllm {
            let model = model_named(&s.message).map(|m| format!(" `{m}`")).unwrap_or_default();
            return Diagnosis::new(
                "model_not_found",
                Request,
                false,
                format!("vLLM serves no model named{model}: it answers only to the name it was started with"),
                "Send the name GET /v1/models lists: vLLM's --served-model-name, else the --model argument exactly as given at start (a local path stays a path).",
            );
        }
        if s.says("deprecated") || s.says("shut down") || s.says("retired") {
            return Diagnosis::new(
                "model_retired",
                Request,
                false,
                "the model is retired",
                "Change the model name to its replacement (https://platform.openai.com/docs/deprecations); the key is fine.",
            );
        }
        return Diagnosis::new(
            "model_not_found",
            Access,
            false,
            "the model does not exist, or this project has no access to it",
            "Check the model name, then the project's model access and usage tier; GET /models lists what this key may use.",
        );
    }
    if s.is("context_length_exceeded") || s.says("maximum context length") || s.says("exceed the configured limit") {
        let mut d = context_length(s);
        if p == Provider::Vllm {
            d.fix = Some(
                "Shorten the messages or lower max_tokens; vLLM's window is its --max-model-len (raise it up to the model's own window if the GPU memory allows); `validate` counts a payload's tokens.".to_owned(),
            );
        }
        return d;
    }
    if s.says("Unsupported Media Type") {
        return Diagnosis::new(
            "unsupported_media_type",
            Request,
            false,
            "the server takes only JSON bodies and this request was not sent as application/json",
            "Send the body with Content-Type: application/json (curl -d alone sends application/x-www-form-urlencoded; use -H 'Content-Type: application/json' or --json).",
        );
    }
    if s.is("unsupported_parameter") || s.says("Unsupported parameter") {
        let param = s.param.clone().or_else(|| quoted_word(&s.message)).unwrap_or_else(|| "a parameter".into());
        let instead = after(&s.message, "Use '").and_then(|r| r.split('\'').next()).map(str::to_owned);
        return Diagnosis::new(
            "unsupported_parameter",
            Request,
            false,
            format!("the model does not take `{param}`"),
            match instead {
                Some(i) => {
                    format!("Send `{i}` instead of `{param}` (reasoning models); `validate` checks a payload for it.")
                }
                None => format!("Remove `{param}` from the request for this model."),
            },
        );
    }
    if s.is("unsupported_value") || s.says("Unsupported value") {
        let param = s.param.clone().or_else(|| quoted_word(&s.message)).unwrap_or_else(|| "a parameter".into());
        let default = after(&s.message, "Only the default (").and_then(|r| r.split(')').next()).map(str::to_owned);
        return Diagnosis::new(
            "unsupported_value",
            Request,
            false,
            format!("the model does not accept this value of `{param}`"),
            match default {
                Some(d) => format!("Drop `{param}` or set it to {d} (the only value this model takes)."),
                None => format!("Change or drop `{param}` for this model."),
            },
        );
    }
    if s.is("content_filter") || s.says("content management policy") {
        if p == Provider::Azure {
            let fired = a
                .json()
                .and_then(|v| v.pointer("/error/innererror/content_filter_result").cloned())
                .map(|r| filtered_categories(&r))
                .filter(|c| !c.is_empty());
            let which = if s.param.as_deref() == Some("prompt") || s.says("the prompt triggering") {
                "the prompt"
            } else {
                "the request"
            };
            return Diagnosis::new(
                "content_filter",
                Request,
                false,
                match fired {
                    Some(c) => format!(
                        "Azure OpenAI's content filter blocked {which}: {c} (innererror.content_filter_result); not an outage, not the key"
                    ),
                    None => format!(
                        "Azure OpenAI's content filter blocked {which} (the answer does not say which category); not an outage, not the key"
                    ),
                },
                "Change the prompt, or have the resource's owner change the content filter configuration assigned to this deployment (Azure AI Foundry → Guardrails & controls → Content filters); retrying the same prompt fails the same way.",
            );
        }
        return Diagnosis::new(
            "content_filter",
            Request,
            false,
            "the content filter blocked the prompt",
            "Change the prompt; retrying the same prompt fails the same way.",
        );
    }
    if s.is("DeploymentNotFound") || s.says("API deployment for this resource does not exist") {
        return Diagnosis::new(
            "deployment_not_found",
            Request,
            true,
            "no deployment of this name on the Azure resource (or one created in the last minutes): Azure routes by the deployment's name, not the model's",
            "Use the deployment name (not the model name) as Azure AI Foundry → Deployments lists it: it is the AzureOpenAI client's model= (AZURE_OPENAI_DEPLOYMENT in many apps) and the {deployment} in /openai/deployments/{deployment}/…; a deployment created in the last 5 minutes may not answer yet: retry then.",
        );
    }
    if s.is("OperationNotSupported") || s.says("operation does not work with the specified model") {
        // "The chatCompletion operation does not work with the specified model, text-embedding-3-large."
        let op = after(&s.message, "The ").and_then(|r| r.split(" operation").next()).filter(|o| !o.contains(' '));
        let model = after(&s.message, "with the specified model, ")
            .map(|r| r.split(['.', ' ']).next().unwrap_or("").to_owned())
            .filter(|m| !m.is_empty());
        // The legacy completions operation on a chat model is the other classic.
        let legacy = op == Some("completion");
        let what = match (op, &model) {
            (Some(op), Some(m)) if legacy => format!(
                "the deployment's model ({m}) does not support the {op} operation called: a chat model on the legacy completions path"
            ),
            (Some(op), Some(m)) => format!(
                "the deployment's model ({m}) does not support the {op} operation called (e.g. chat on an embedding model's deployment)"
            ),
            _ => {
                "the deployment's model does not support this operation (e.g. chat on an embedding model's deployment)"
                    .to_owned()
            }
        };
        return Diagnosis::new(
            "operation_not_supported",
            Request,
            false,
            what,
            if legacy {
                "Call chat completions (/openai/deployments/{deployment}/chat/completions; client.chat.completions in the SDKs) for a chat model's deployment; the key and the endpoint are fine."
            } else {
                "Call a deployment whose model serves this operation (chat completions: a chat model's deployment; embeddings: /embeddings on an embedding model's deployment), or deploy such a model in Azure AI Foundry → Deployments; the key and the endpoint are fine."
            },
        );
    }
    if s.says("enabled only for api versions") {
        let min = after(&s.message, "api versions ")
            .map(|r| r.split_whitespace().next().unwrap_or("").to_owned())
            .filter(|v| !v.is_empty());
        let sent =
            a.sent.api_version.clone().flatten().map(|v| format!(" (this request sent {v})")).unwrap_or_default();
        return Diagnosis::new(
            "api_version.too_old",
            Request,
            false,
            format!(
                "the deployment's model needs a newer api-version{}{sent}; the key and deployment are fine",
                min.as_ref().map(|m| format!(": {m} or later")).unwrap_or_default()
            ),
            format!(
                "Raise OPENAI_API_VERSION (api_version= in the AzureOpenAI client) to {} (see {AZURE_API_VERSIONS_URL}).",
                min.map_or_else(|| "the version the model's page names".to_owned(), |m| format!("{m} or later"))
            ),
        );
    }
    // Azure's network rules: public access off, or only selected networks and private endpoints
    // (real bodies: azure/public_access_disabled_403*.http, azure/vnet_firewall_denied_403*.http).
    if s.says("Public access is disabled")
        || s.says("Access denied due to Virtual Network/Firewall rules")
        || s.says("A Virtual Network is configured for this resource")
    {
        return Diagnosis::new(
            "network_rules",
            Access,
            false,
            "the Azure resource's network rules refused this caller (public network access disabled, or only selected networks and private endpoints): the key was not the problem",
            "Call from inside the resource's virtual network with its host resolving to the private endpoint (the private DNS zone privatelink.openai.azure.com linked to your VNet, or forwarded by your DNS; the dns check shows what this machine resolves), or allow this network in the resource's Networking settings (Firewalls and virtual networks).",
        );
    }
    if s.says("API version not supported") {
        let sent = match &a.sent.api_version {
            Some(Some(v)) => format!(" (this request sent api-version={v})"),
            Some(None) => " (this request sent none)".to_owned(),
            None => String::new(),
        };
        return Diagnosis::new(
            "api_version",
            Request,
            false,
            format!("Azure OpenAI does not accept this api-version for this path{sent}"),
            format!(
                "Set OPENAI_API_VERSION (api_version= in the AzureOpenAI client) to a version listed at {AZURE_API_VERSIONS_URL}, e.g. the GA {AZURE_GA_API_VERSION} for /openai/deployments/{{deployment}}/…; the v1 path (/openai/v1/…) takes no dated api-version."
            ),
        );
    }
    if s.says("Resource not found") {
        // Azure answers the same 404 for a wrong path, another resource's host and a missing
        // api-version: what the request sent tells them apart when the doctor knows it.
        return match &a.sent.api_version {
            Some(None) => Diagnosis::new(
                "resource_not_found.api_version",
                Request,
                false,
                "the request carried no api-version query parameter, and Azure OpenAI answers that with its generic 404 \"Resource not found\"",
                format!(
                    "Send ?api-version= on every request: set OPENAI_API_VERSION (api_version= in the AzureOpenAI client) to a GA version such as {AZURE_GA_API_VERSION} (the list: {AZURE_API_VERSIONS_URL})."
                ),
            ),
            Some(Some(v)) => Diagnosis::new(
                "resource_not_found",
                Request,
                false,
                format!(
                    "no route for this URL on the resource although api-version={v} was sent: the path, or the resource/region of the endpoint, is wrong"
                ),
                format!(
                    "Use the endpoint exactly as {AZURE_KEYS} shows it: https://<resource>.openai.azure.com/, no path, of the resource that has the deployment; then the path /openai/deployments/{{deployment}}/chat/completions (no doubled /openai, no /v1 after the endpoint)."
                ),
            ),
            None => Diagnosis::new(
                "resource_not_found",
                Request,
                false,
                "no route for this URL: a wrong path, another resource's or region's endpoint, or no api-version query parameter (Azure answers all three with this same 404)",
                format!(
                    "Send ?api-version= on every request (OPENAI_API_VERSION, e.g. the GA {AZURE_GA_API_VERSION}); use the endpoint as {AZURE_KEYS} shows it: https://<resource>.openai.azure.com/, no path; and the path /openai/deployments/{{deployment}}/chat/completions."
                ),
            ),
        };
    }
    if s.says("Request too large for") {
        return rate_limit(s, a, true, p);
    }
    if s.is("rate_limit_exceeded")
        || s.says("Rate limit reached")
        || s.says("Rate limit is exceeded")
        || s.says("exceeded token rate limit")
        || s.says("exceeded the token rate limit")
        || s.says("exceeded call rate limit")
        || s.says("exceeded the call rate limit")
        || matches!(s.kind.as_deref(), Some("requests" | "tokens" | "images"))
    {
        return rate_limit(s, a, false, p);
    }
    if s.message.trim() == "error code: 1015" {
        return Diagnosis::new(
            "edge_rate_limit",
            RateLimit,
            true,
            "Cloudflare in front of the upstream rate-limited this caller (error 1015)",
            "Slow down and retry later, or route to another provider.",
        );
    }
    if status == 429 && (s.message.trim().is_empty() || s.says("rate limit exceeded") || rate_limit_headers(a)) {
        return rate_limit(s, a, false, p);
    }
    if status == 429 && s.says("slow down") {
        return Diagnosis::new(
            "slow_down",
            RateLimit,
            true,
            "throttled at OpenAI's edge (\"slow down\"): seen during degraded service and with requests that carry no key",
            "Back off and retry later; check the status page and that the Authorization header is really sent.",
        );
    }
    if s.says("overloaded") {
        return Diagnosis::new(
            "overloaded",
            OpenAi,
            true,
            "the model is overloaded on OpenAI's side",
            "Retry with exponential backoff; if it persists, contact OpenAI support with the request id.",
        );
    }
    if s.is("server_error") || s.says("The server had an error") || s.says("An error occurred while processing") {
        return Diagnosis::new(
            "server_error",
            OpenAi,
            true,
            "an error inside OpenAI's servers",
            "Retry with exponential backoff; if the same request keeps failing, try a minimal one and report the request id to OpenAI.",
        );
    }
    // Not in the catalogue: quote it, judge class and retryability from status and type, and
    // invent no fix.
    let server = s.kind.as_deref() == Some("server_error") || status >= 500;
    Diagnosis {
        id: "unknown",
        class: if server {
            OpenAi
        } else if status == 429 {
            RateLimit
        } else if status == 401 {
            KeyOrProject
        } else if status == 403 {
            Access
        } else if s.kind.as_deref() == Some("invalid_request_error") || matches!(status, 400 | 404 | 413 | 422) {
            Request
        } else {
            Class::Unknown
        },
        retryable: server || matches!(status, 408 | 409 | 429),
        what: "an error the doctor's catalogue does not know".into(),
        fix: None,
        wait_s: None,
        quoted: String::new(),
    }
}

/// The categories Azure's content filter flagged (`filtered: true`), with their severity:
/// `violence (medium)`.
fn filtered_categories(result: &Value) -> String {
    let Some(map) = result.as_object() else { return String::new() };
    map.iter()
        .filter(|(_, v)| v.get("filtered").and_then(Value::as_bool) == Some(true))
        .map(|(k, v)| match v.get("severity").and_then(Value::as_str) {
            Some(sev) => format!("{k} (severity {sev})"),
            None => k.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `context_length_exceeded`, with the window and the tokens when the message gives them.
fn context_length(s: &Said) -> Diagnosis {
    let window = number_after(&s.message, "maximum context length is ")
        .or_else(|| number_after(&s.message, "configured limit of "));
    let tokens = number_after(&s.message, "resulted in ").or_else(|| number_after(&s.message, "you requested "));
    let completion = number_after(&s.message, "in the messages, ");
    let mut what = "the request is longer than the model's context window".to_owned();
    match (window, tokens) {
        (Some(w), Some(t)) => {
            what = format!("{what}: {t} tokens for a window of {w} (over by {})", t.saturating_sub(w))
        }
        (Some(w), None) => what = format!("{what} of {w} tokens"),
        _ => {}
    }
    if let Some(c) = completion {
        what = format!("{what}, {c} of them asked for the completion");
    }
    Diagnosis::new(
        "context_length_exceeded",
        Class::Request,
        false,
        what,
        "Shorten the messages (trim old turns, summarise), lower the output limit, or use a model with a larger window; `validate` counts a payload's tokens.",
    )
}

/// A rate limit by kind (requests, tokens, images; per minute or per day), with the limit and
/// the wait from the message and the `x-ratelimit-*` headers (also as a gateway renamed them).
fn rate_limit(s: &Said, a: &Answer, too_large: bool, p: Provider) -> Diagnosis {
    let azure = p == Provider::Azure;
    let m = &s.message;
    let per_day = contains_ci(m, "per day") || m.contains("(RPD)") || m.contains("(TPD)");
    let kind = if contains_ci(m, "images per") || m.contains("(IPM)") || s.kind.as_deref() == Some("images") {
        "images"
    } else if contains_ci(m, "tokens per")
        || contains_ci(m, "token rate limit")
        || m.contains("(TPM)")
        || m.contains("(TPD)")
        || s.kind.as_deref() == Some("tokens")
    {
        "tokens"
    } else if contains_ci(m, "requests per")
        || contains_ci(m, "call rate limit")
        || m.contains("(RPM)")
        || m.contains("(RPD)")
        || s.kind.as_deref() == Some("requests")
    {
        "requests"
    } else if header(a, "x-ratelimit-remaining-tokens").is_some_and(|v| v.trim() == "0")
        || a.header("x-rate-limit-reset-tokens").is_some()
        || a.header("policy-id").is_some_and(|p| p.contains("Token"))
    {
        "tokens"
    } else if header(a, "x-ratelimit-remaining-requests").is_some_and(|v| v.trim() == "0") {
        "requests"
    } else {
        "unknown"
    };
    let period = if per_day { "day" } else { "minute" };
    let mut what = match kind {
        "unknown" => "a rate limit".to_owned(),
        k => format!("a rate limit on {k} per {period}"),
    };
    let limit = number_after(m, "Limit ").or_else(|| {
        let name = if kind == "tokens" { "x-ratelimit-limit-tokens" } else { "x-ratelimit-limit-requests" };
        header(a, name).and_then(|v| v.trim().parse().ok())
    });
    if let Some(l) = limit {
        what.push_str(&format!(": limit {l}"));
        if let Some(u) = number_after(m, "Used ") {
            what.push_str(&format!(", used {u}"));
        }
        if let Some(r) = number_after(m, "Requested ") {
            what.push_str(&format!(", requested {r}"));
        }
    }
    let wait = wait_of(m, a, kind);
    if let Some(w) = wait {
        what.push_str(&format!("; resets in {}", seconds(w)));
    }
    if too_large {
        let mut d = Diagnosis::new(
            "rate_limit.request_too_large",
            Class::Request,
            false,
            format!("one request is larger than the {kind}-per-{period} limit ({what}): waiting never helps"),
            if azure {
                "Shrink the request (fewer input tokens, a lower max_tokens), or raise the deployment's Tokens per Minute (Azure AI Foundry → Deployments → Edit)."
            } else {
                "Shrink the request (fewer input tokens, a lower output limit) or raise the limit with a higher usage tier."
            },
        );
        d.wait_s = wait;
        return d;
    }
    // A wait of an hour or more is a quota in all but name: no client retries through it.
    if wait.is_some_and(|w| w >= 3600.0) || per_day {
        let mut d = Diagnosis::new(
            "rate_limit.quota",
            Class::Billing,
            false,
            format!("{what}: a daily or tier quota rather than a passing limit"),
            if azure {
                "The resource's owner: raise the deployment's Tokens per Minute in Azure AI Foundry (Deployments → Edit), within the subscription's regional quota (the Foundry portal's Quota page, where an increase is requested), or move to another pricing tier; else wait for the reset. Retries within the run fail the same way."
            } else {
                "Raise the quota or tier (the account's or resource's owner), or wait for the reset; retries within the run fail the same way."
            },
        );
        d.wait_s = wait;
        return d;
    }
    let id = match kind {
        "requests" => "rate_limit.requests",
        "tokens" => "rate_limit.tokens",
        "images" => "rate_limit.images",
        _ => "rate_limit",
    };
    let mut d = Diagnosis::new(
        id,
        Class::RateLimit,
        true,
        what,
        match (wait, azure) {
            (Some(w), false) => format!("Wait {} and retry (the SDKs retry 429 with backoff); spread the load or ask for higher limits.", seconds(w)),
            (None, false) => "Retry with exponential backoff and jitter (no wait was given); spread the load or ask for higher limits.".to_owned(),
            (Some(w), true) => format!(
                "Wait {} as Azure asks{} and retry; for more room, raise the deployment's Tokens per Minute in Azure AI Foundry (Deployments → Edit; its RPM follows), within the region's quota (the Foundry portal's Quota page), or spread the load over deployments or regions.",
                seconds(w),
                if header(a, "retry-after").is_some() || header(a, "retry-after-ms").is_some() {
                    " (Retry-After)"
                } else if a.header("x-rate-limit-reset-tokens").is_some() {
                    " (in x-rate-limit-reset-tokens; no Retry-After came, and the SDKs read only Retry-After: they may retry too soon)"
                } else {
                    " (in its message; no Retry-After came with this answer, and the SDKs read only Retry-After: they may retry too soon)"
                }
            ),
            (None, true) => "Retry with exponential backoff and jitter (Azure gave no wait); for more room, raise the deployment's Tokens per Minute in Azure AI Foundry (Deployments → Edit), within the region's quota (the Foundry portal's Quota page), or spread the load over deployments or regions.".to_owned(),
        },
    );
    d.wait_s = wait;
    d
}

/// The answer carries rate-limit headers (OpenAI's, Azure's, or renamed by a gateway).
fn rate_limit_headers(a: &Answer) -> bool {
    a.headers.iter().any(|(k, _)| {
        let k = k.strip_prefix("llm_provider-").unwrap_or(k);
        k.starts_with("x-ratelimit-") || k.starts_with("x-rate-limit-") || k == "retry-after" || k == "retry-after-ms"
    })
}

/// A header, also under the name an LLM gateway gives the upstream's (`llm_provider-…`).
#[must_use]
pub fn header<'a>(a: &'a Answer, name: &str) -> Option<&'a str> {
    a.header(name).or_else(|| a.header(&format!("llm_provider-{name}")))
}

/// The wait asked for: `retry-after-ms` / `retry-after` (also renamed), the reset header of the
/// limit's kind, or the message's "try again in …" / "retry after N seconds".
fn wait_of(m: &str, a: &Answer, kind: &str) -> Option<f64> {
    if let Some(ms) = header(a, "retry-after-ms").and_then(crate::sdk::python_float) {
        return Some(ms / 1000.0);
    }
    if let Some(s) = header(a, "retry-after").and_then(crate::sdk::python_float) {
        return Some(s);
    }
    let reset = if kind == "tokens" { "x-ratelimit-reset-tokens" } else { "x-ratelimit-reset-requests" };
    if let Some(d) = header(a, reset).and_then(go_duration) {
        return Some(d);
    }
    if let Some(d) = a.header("x-rate-limit-reset-tokens").and_then(crate::sdk::python_float) {
        return Some(d);
    }
    message_wait(m)
}

/// "try again in 20s", "Try again in 60 seconds", "retry after 86400 seconds", "in 1m3.2s".
#[must_use]
pub fn message_wait(m: &str) -> Option<f64> {
    let lower = m.to_ascii_lowercase();
    for cue in ["try again in ", "retry after "] {
        if let Some(i) = lower.find(cue) {
            let rest = &lower[i + cue.len()..];
            let token: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '.').collect();
            let token = token.trim_end_matches('.');
            if let Some(d) = go_duration(token) {
                return Some(d);
            }
            let n: String = token.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
            let after_n = rest[n.len()..].trim_start();
            if let Ok(v) = n.parse::<f64>()
                && (after_n.starts_with("second") || after_n.starts_with("sec"))
            {
                return Some(v);
            }
            if let Ok(v) = n.parse::<f64>()
                && after_n.starts_with("minute")
            {
                return Some(v * 60.0);
            }
        }
    }
    None
}

/// A Go duration as OpenAI's reset headers and messages write it (`6m0s`, `20ms`, `1m3.2s`,
/// `7s`, `1h`, `0`), in seconds.
#[must_use]
pub fn go_duration(s: &str) -> Option<f64> {
    let mut rest = s.trim();
    if rest == "0" {
        return Some(0.0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total = 0.0;
    while !rest.is_empty() {
        let n = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        if n == 0 {
            return None;
        }
        let number: f64 = rest[..n].parse().ok()?;
        rest = &rest[n..];
        let u = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let scale = match &rest[..u] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" => 1e-6,
            "ns" => 1e-9,
            _ => return None,
        };
        total += number * scale;
        rest = &rest[u..];
    }
    Some(total)
}

/// `45 s`, `2.5 s`, `1 h 0 min`.
fn seconds(w: f64) -> String {
    if w >= 3600.0 {
        format!("{:.1} h", w / 3600.0)
    } else if w.fract() == 0.0 {
        format!("{w:.0} s")
    } else {
        format!("{w:.1} s")
    }
}

/// The text after `cue`.
fn after<'a>(hay: &'a str, cue: &str) -> Option<&'a str> {
    hay.find(cue).map(|i| &hay[i + cue.len()..])
}

/// The whole number right after `cue` (`"Limit 30000, …"` → 30000).
fn number_after(hay: &str, cue: &str) -> Option<u64> {
    let rest = after(hay, cue)?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// The first `'quoted'` word of a message (`Unsupported parameter: 'max_tokens' …`).
fn quoted_word(m: &str) -> Option<String> {
    let rest = after(m, "'")?;
    rest.split('\'').next().filter(|w| !w.is_empty() && !w.contains(' ')).map(str::to_owned)
}
