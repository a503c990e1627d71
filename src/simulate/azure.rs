//! `simulate --provider azure`: Azure OpenAI as the official `AzureOpenAI` clients meet it. The
//! deployments API (`/openai/deployments/{deployment}/chat/completions?api-version=…`, also
//! `/completions`, `/embeddings`; `GET /openai/models`, `POST /openai/responses`) and the v1 API
//! (`/openai/v1/…`, the deployment in the body's `model`, no api-version needed). Each request is
//! checked as Azure checks it, in this order: the key (`api-key`, or `Authorization: Bearer` as
//! the v1 API and Entra ID send it), the path, the api-version, the deployment, the operation the
//! deployment's model serves. What fails a check gets Azure's real answer and is recorded as a
//! `Refused` fault, so the audit sees whether the client retried it; only requests that pass draw
//! a fault from the plan, answered in Azure's words. Error bodies are quoted from public reports
//! (the same answers are kept with their headers in `tests/fixtures/answers/azure/`, named where
//! each constant is defined).

use hyper::HeaderMap;
use serde_json::{Value, json};

use super::api::{self, Answer, Body, Route};
use super::faults::{Fault, Refusal};

/// Deployments a resource has unless `--deployment` says otherwise: a chat model and an
/// embeddings model, named after their models as the portal proposes.
pub const DEFAULT_DEPLOYMENTS: [&str; 2] = ["gpt-4.1-nano", "text-embedding-3-small"];

/// api-versions the deployments API accepts unless `--api-version` says otherwise: Azure
/// OpenAI's GA data-plane versions and recent previews (the first is exported to the command).
pub const DEFAULT_VERSIONS: [&str; 9] = [
    "2024-10-21",
    "2024-06-01",
    "2024-02-01",
    "2023-05-15",
    "2022-12-01",
    "2025-04-01-preview",
    "2025-03-01-preview",
    "2025-01-01-preview",
    "2024-12-01-preview",
];

/// What the v1 API accepts as api-version (none is needed): `preview` selects its preview
/// features; a dated version is refused (see `VERSION_NOT_SUPPORTED`).
const V1_VERSIONS: [&str; 2] = ["preview", "latest"];

/// The region in Azure's headers (that of `response_headers_azure_success.http`).
const REGION: &str = "North Central US";

/// 401, wrong or missing key (microsoft/semantic-kernel#10337, the body as printed; the same
/// body behind APIM: Azure-Samples/openai-python-enterprise-logging#6). `invalid_key_401.http`.
const BAD_KEY: &str = r#"{"error":{"code":"401","message":"Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource."}}"#;

/// 401, a rejected `Authorization: Bearer` token: an Entra ID token expired or issued for another
/// audience (Azure-Samples/azure-search-openai-demo#458, the body as the SDK printed it; the same
/// in run-llama/llama_index#12484). Azure answers a bearer token in these words, not the key's.
/// `entra_token_rejected_401.http`.
const BAD_TOKEN: &str = r#"{"statusCode": 401, "message": "Unauthorized. Access token is missing, invalid, audience is incorrect (https://cognitiveservices.azure.com), or have expired."}"#;

/// 404 for a path Azure does not serve, and for a deployments-API request without api-version
/// (ai-shifu/ChatALL#305; ThinkInAIXYZ/deepchat#262: "without the api-version query parameter
/// Azure OpenAI answers 404"). `resource_not_found_404.http`, `missing_api_version_404.http`.
const RESOURCE_NOT_FOUND: &str = r#"{"error":{"code":"404","message":"Resource not found"}}"#;

/// 400 for an api-version the path does not take (hotovo/aider-desk#460; a dated version on
/// `/openai/v1/` answers it, as a public repository's comment records: "api-version=2025-04-01-
/// preview to /openai/v1/responses answers 400 {…}"; egoist/chatwise-releases#992 on the
/// deployments API). `api_version_not_supported_400.http`.
const VERSION_NOT_SUPPORTED: &str = r#"{"error":{"code":"BadRequest","message":"API version not supported"}}"#;

/// 404, no such deployment (chatboxai/chatbox#861; status from microsoft/semantic-kernel#5394).
/// `deployment_not_found_404.http`.
const DEPLOYMENT_NOT_FOUND: &str = r#"{"error":{"code":"DeploymentNotFound","message":"The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again."}}"#;

/// 400, the deployment's model does not do this operation (microsoft/graphrag#1557 for
/// `chatCompletion`, langchain-ai/langchainjs#2633 for `completion`, a public repository's log
/// and the Azure SDK's own tests for `embeddings`); the model named is the deployment's name.
/// `operation_not_supported_400.http`.
fn operation_not_supported(operation: &str, deployment: &str) -> Value {
    json!({"error": {"code": "OperationNotSupported", "message": format!("The {operation} operation does not work with the specified model, {deployment}. Please choose different model and try again. You can learn more about which models can be used with each operation here: https://go.microsoft.com/fwlink/?linkid=2197993.")}})
}

/// 429, Azure's short form (Azure-Samples/graphrag-accelerator#129: "Rate limit is exceeded.
/// Try again in 50 seconds."), with the seconds of the `retry-after` it is sent with.
/// `429_rate_limit_try_again.http`.
fn rate_limited(secs: u64) -> Value {
    json!({"error": {"code": "429", "message": format!("Rate limit is exceeded. Try again in {secs} seconds.")}})
}

/// 500 from the model behind Azure (Azure's models documentation quoting the Responses API's
/// "Error code: 500 - {'error': {'message': 'The server had an error processing your request.
/// Sorry about that! You can retry your request, or contact us through an Azure support request
/// at: https://go.microsoft.com/fwlink/?linkid=2213926 if you keep seeing this error. (Please
/// include the request ID … in your email.)', 'type': 'server_error', 'param': None, 'code':
/// None}}"; the same body in a public support ticket for gpt-4o-transcribe-diarize, 2025-11-17).
fn server_error(request_id: &str) -> Value {
    json!({"error": {
        "message": format!("The server had an error processing your request. Sorry about that! You can retry your request, or contact us through an Azure support request at: https://go.microsoft.com/fwlink/?linkid=2213926 if you keep seeing this error. (Please include the request ID {request_id} in your email.)"),
        "type": "server_error", "param": null, "code": null}})
}

/// 400 from the model, relayed unchanged in OpenAI's envelope (gabrii/Cursor-Azure-GPT-5#33).
/// `unsupported_value_temperature_400.http`.
const UNSUPPORTED_VALUE: &str = r#"{"error":{"message":"Unsupported value: 'temperature' does not support 0 with this model. Only the default (1) value is supported.","type":"invalid_request_error","param":"temperature","code":"unsupported_value"}}"#;

/// 400, the content filter blocked the prompt (vibrantlabsai/ragas#649, the SDK's exception
/// converted to JSON). `content_filter_400_innererror.http`.
const CONTENT_FILTER: &str = r#"{"error":{"message":"The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry. To learn more about our content filtering policies please read our documentation: https://go.microsoft.com/fwlink/?linkid=2198766","type":null,"param":"prompt","code":"content_filter","status":400,"innererror":{"code":"ResponsibleAIPolicyViolation","content_filter_result":{"hate":{"filtered":false,"severity":"safe"},"self_harm":{"filtered":false,"severity":"safe"},"sexual":{"filtered":false,"severity":"safe"},"violence":{"filtered":true,"severity":"medium"}}}}}"#;

/// What a deployment's model serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Chat,
    Embeddings,
    /// The legacy completions operation only (gpt-35-turbo-instruct, davinci-002).
    Completions,
}

/// One deployment of the simulated resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployment {
    pub name: String,
    pub model: String,
}

impl Deployment {
    /// `NAME` or `NAME=MODEL` (the model defaults to the name, as the portal proposes).
    ///
    /// # Errors
    /// A name Azure would not take (letters, digits, `-`, `_`, `.`, at most 64).
    pub fn parse(spec: &str) -> Result<Self, String> {
        let (name, model) = spec.split_once('=').unwrap_or((spec, spec));
        let name = name.trim();
        let model = model.trim();
        let ok = |s: &str| {
            !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        };
        if !ok(name) || !ok(model) {
            return Err(format!(
                "`{spec}`: a deployment is NAME or NAME=MODEL, each 1 to 64 letters, digits, '-', '_' or '.'"
            ));
        }
        Ok(Self { name: name.to_owned(), model: model.to_owned() })
    }

    fn kind(&self) -> Kind {
        let m = self.model.to_ascii_lowercase();
        if m.contains("embedding") || m.contains("ada-002") {
            Kind::Embeddings
        } else if m.contains("instruct") || m.starts_with("davinci") || m.starts_with("babbage") {
            Kind::Completions
        } else {
            Kind::Chat
        }
    }

    /// Azure's word for `route` where this deployment's model does not do it.
    fn refuses(&self, route: Route) -> Option<&'static str> {
        match (route, self.kind()) {
            (Route::Chat, Kind::Embeddings | Kind::Completions) => Some("chatCompletion"),
            (Route::Completions, Kind::Chat | Kind::Embeddings) => Some("completion"),
            (Route::Embeddings, Kind::Chat | Kind::Completions) => Some("embeddings"),
            _ => None,
        }
    }
}

/// The simulated resource: its key, deployments and api-versions. No `Debug`: it holds the key.
pub struct Azure {
    /// Accepted as `api-key` and as `Authorization: Bearer` (the v1 API takes the key so).
    key: String,
    /// An Entra ID token accepted as `Authorization: Bearer`, when AZURE_OPENAI_AD_TOKEN is set.
    ad_token: Option<String>,
    pub deployments: Vec<Deployment>,
    pub versions: Vec<String>,
}

/// Which of Azure's two APIs a path belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Surface {
    /// `/openai/deployments/…`, `/openai/models`, `/openai/responses`: api-version required.
    Dated,
    /// `/openai/v1/…`: api-version optional.
    V1,
}

/// A path Azure serves.
#[derive(Debug, PartialEq, Eq)]
struct Target<'a> {
    route: Route,
    surface: Surface,
    /// The deployment named in the path (the deployments API), else the body's `model`.
    deployment: Option<&'a str>,
}

fn target<'a>(method: &str, path: &'a str) -> Option<Target<'a>> {
    let rest = path.strip_prefix("/openai")?.trim_end_matches('/');
    let op = |method: &str, op: &str| match (method, op) {
        ("GET", "/models") => Some(Route::Models),
        ("POST", "/chat/completions") => Some(Route::Chat),
        ("POST", "/completions") => Some(Route::Completions),
        ("POST", "/embeddings") => Some(Route::Embeddings),
        ("POST", "/responses") => Some(Route::Responses),
        _ => None,
    };
    if let Some(v1) = rest.strip_prefix("/v1") {
        return op(method, v1).map(|route| Target { route, surface: Surface::V1, deployment: None });
    }
    if let Some(d) = rest.strip_prefix("/deployments/") {
        let (name, _) = d.split_once('/')?;
        let route = op(method, &d[name.len()..]).filter(|r| !matches!(r, Route::Models | Route::Responses))?;
        return Some(Target { route, surface: Surface::Dated, deployment: Some(name) });
    }
    match op(method, rest)? {
        route @ (Route::Models | Route::Responses) => Some(Target { route, surface: Surface::Dated, deployment: None }),
        _ => None,
    }
}

/// The value of `api-version` in a query string, if any (empty counts as absent).
fn api_version(query: Option<&str>) -> Option<&str> {
    query?.split('&').find_map(|kv| kv.strip_prefix("api-version=")).filter(|v| !v.is_empty())
}

/// An id shaped like Azure's (a UUID).
fn uuid() -> String {
    let n = fastrand::u128(..);
    let h = format!("{n:032x}");
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

impl Azure {
    /// The resource with `key` (and an Entra token, if any), `deployments` (`NAME[=MODEL]`,
    /// default `DEFAULT_DEPLOYMENTS`) and `versions` (default `DEFAULT_VERSIONS`).
    ///
    /// # Errors
    /// A deployment spec or an api-version that cannot be.
    pub fn new(
        key: String,
        ad_token: Option<String>,
        deployments: &[String],
        versions: &[String],
    ) -> Result<Self, String> {
        let mut list = Vec::new();
        let specs: Vec<String> = if deployments.is_empty() {
            DEFAULT_DEPLOYMENTS.iter().map(|s| (*s).to_owned()).collect()
        } else {
            deployments.to_vec()
        };
        for spec in &specs {
            let d = Deployment::parse(spec).map_err(|e| format!("--deployment {e}"))?;
            if list.iter().any(|o: &Deployment| o.name == d.name) {
                return Err(format!("--deployment `{}` is given twice", d.name));
            }
            list.push(d);
        }
        let versions: Vec<String> = if versions.is_empty() {
            DEFAULT_VERSIONS.iter().map(|s| (*s).to_owned()).collect()
        } else {
            versions.iter().map(|v| v.trim().to_owned()).collect()
        };
        if let Some(bad) =
            versions.iter().find(|v| v.is_empty() || !v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        {
            return Err(format!("--api-version `{bad}`: a version is like 2024-10-21 or 2025-04-01-preview"));
        }
        Ok(Self { key, ad_token, deployments: list, versions })
    }

    /// The version exported as OPENAI_API_VERSION.
    pub fn version(&self) -> &str {
        self.versions.first().map_or(DEFAULT_VERSIONS[0], String::as_str)
    }

    /// Who the request is, as Azure checks it: an `api-key` header is judged as the key (a bad
    /// or missing one gets the key's wording); without it, an `Authorization: Bearer` token is
    /// judged as a token (the resource's Entra ID token, or its key, which the v1 API takes so)
    /// and a bad one gets the token's wording.
    fn refusal(&self, headers: &HeaderMap) -> Option<Refusal> {
        let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        if let Some(k) = get("api-key") {
            return (k != self.key).then_some(Refusal::Key);
        }
        match get("authorization").and_then(|v| v.strip_prefix("Bearer ")) {
            Some(t) if t == self.key || self.ad_token.as_deref() == Some(t) => None,
            Some(_) => Some(Refusal::Token),
            None => Some(Refusal::Key),
        }
    }

    /// The answer to one request: its route, the fault it is recorded with, and the answer.
    /// `next` draws the plan's fault, only for a request Azure would serve.
    pub fn serve(
        &self,
        req: &hyper::http::request::Parts,
        body: &Value,
        next: impl FnOnce() -> Fault,
        now: u64,
    ) -> (Route, Fault, Answer) {
        let (method, path, query, headers) = (req.method.as_str(), req.uri.path(), req.uri.query(), &req.headers);
        let apim = uuid();
        let found = target(method, path);
        let route = found.as_ref().map_or(Route::NotFound, |t| t.route);
        let refuse = |why: Refusal, body: String| (route, Fault::Refused(why), error(why.status(), body, front(&apim)));
        match self.refusal(headers) {
            Some(why @ Refusal::Token) => return refuse(why, BAD_TOKEN.to_owned()),
            Some(why) => return refuse(why, BAD_KEY.to_owned()),
            None => {}
        }
        let Some(t) = found else {
            return (Route::NotFound, Fault::Ok, error(404, RESOURCE_NOT_FOUND.to_owned(), front(&apim)));
        };
        match (t.surface, api_version(query)) {
            (Surface::Dated, None) => return refuse(Refusal::NoVersion, RESOURCE_NOT_FOUND.to_owned()),
            (Surface::Dated, Some(v)) if !self.versions.iter().any(|s| s == v) => {
                return refuse(Refusal::Version, VERSION_NOT_SUPPORTED.to_owned());
            }
            (Surface::V1, Some(v)) if !V1_VERSIONS.contains(&v) => {
                return refuse(Refusal::Version, VERSION_NOT_SUPPORTED.to_owned());
            }
            _ => {}
        }
        let deployment = if t.route == Route::Models {
            None
        } else {
            let name = t.deployment.or_else(|| body.get("model").and_then(Value::as_str)).unwrap_or_default();
            let Some(d) = self.deployments.iter().find(|d| d.name == name) else {
                return refuse(Refusal::Deployment, DEPLOYMENT_NOT_FOUND.to_owned());
            };
            if let Some(operation) = d.refuses(t.route) {
                return refuse(Refusal::Operation, operation_not_supported(operation, &d.name).to_string());
            }
            Some(d)
        };
        let fault = next();
        let request_id = uuid();
        let from_model = |status: u16, body: String| {
            let mut h = front(&apim);
            h.push(("x-request-id", request_id.clone()));
            error(status, body, h)
        };
        match fault {
            Fault::RateLimit { retry_after } => {
                // Whole seconds, rounded up: a client that waits what it says is never early.
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let secs = retry_after.as_secs_f64().ceil() as u64;
                let mut h = front(&apim);
                h.push(("retry-after", secs.to_string()));
                h.push(("x-rate-limit-reset-tokens", secs.to_string()));
                h.push(("policy-id", "DeploymentRatelimit-Token".to_owned()));
                return (t.route, fault, error(429, rate_limited(secs).to_string(), h));
            }
            Fault::Unauthorized => return (t.route, fault, error(401, BAD_KEY.to_owned(), front(&apim))),
            Fault::BadRequest => return (t.route, fault, from_model(400, UNSUPPORTED_VALUE.to_owned())),
            Fault::ContentFilter => return (t.route, fault, from_model(400, CONTENT_FILTER.to_owned())),
            Fault::ProxyBlock => {
                let p = super::pages::proxy_block();
                let a = Answer {
                    status: p.status,
                    content_type: "text/html; charset=UTF-8",
                    headers: p.headers,
                    body: Body::Whole(p.body),
                };
                return (t.route, fault, a);
            }
            // Refused at start (`Fault::azure_has`); 500 should one come through all the same.
            Fault::Server500
            | Fault::Quota
            | Fault::BadGateway { .. }
            | Fault::Unavailable { .. }
            | Fault::Edge(_)
            | Fault::EdgeBlocked
            | Fault::Refused(_) => {
                return (t.route, fault, from_model(500, server_error(&request_id).to_string()));
            }
            Fault::Ok
            | Fault::Slow(_)
            | Fault::Stall
            | Fault::Disconnect
            | Fault::Reset
            | Fault::Refuse(_)
            | Fault::Stream(_) => {}
        }
        let model = deployment.map_or("", |d| d.model.as_str());
        let stream = body.get("stream").and_then(Value::as_bool).unwrap_or(false);
        let mut answer = match (t.route, deployment) {
            (Route::Models, _) => {
                let mut ids: Vec<&str> = self.deployments.iter().map(|d| d.model.as_str()).collect();
                ids.dedup();
                api::ok(api::models_of(&ids, now))
            }
            (Route::Chat, _) if stream => api::events(chunks(model, now)),
            (Route::Responses, _) if stream => api::events(api::response_events(model, now)),
            _ => {
                // The model field answers with the deployment's model, as Azure does.
                let mut body = if body.is_object() { body.clone() } else { json!({}) };
                body["model"] = json!(model);
                api::answer(t.route, &body, Fault::Ok, &request_id, now)
            }
        };
        let mut h = front(&apim);
        h.extend([
            ("x-request-id", request_id),
            ("x-ms-client-request-id", apim.clone()),
            ("azureml-model-session", "d008-20240215231538".to_owned()),
            ("x-ratelimit-remaining-requests", "79".to_owned()),
            ("x-ratelimit-remaining-tokens", "61353".to_owned()),
            ("cache-control", "no-cache, must-revalidate".to_owned()),
            ("access-control-allow-origin", "*".to_owned()),
            ("x-accel-buffering", "no".to_owned()),
        ]);
        answer.headers.extend(h);
        (t.route, fault, answer)
    }
}

/// The headers every answer of Azure's front door carries (`response_headers_azure_success.http`,
/// `deployment_not_found_404_headers.http`): its request id, HSTS, nosniff, the region.
fn front(apim: &str) -> Vec<(&'static str, String)> {
    vec![
        ("apim-request-id", apim.to_owned()),
        ("strict-transport-security", "max-age=31536000; includeSubDomains; preload".to_owned()),
        ("x-content-type-options", "nosniff".to_owned()),
        ("x-ms-region", REGION.to_owned()),
    ]
}

fn error(status: u16, body: String, headers: Vec<(&'static str, String)>) -> Answer {
    Answer { status, content_type: "application/json", headers, body: Body::Whole(body) }
}

/// A streamed chat completion as Azure sends it (openai/openai-python#1677, the raw lines quoted
/// by the SDK's Azure maintainer; `stream_content_filter_annotations.http`): first a chunk with
/// the prompt's content-filter annotations, an empty id and model, and no choices; then the
/// model's chunks with `"usage": null` and no `system_fingerprint`.
fn chunks(model: &str, now: u64) -> Vec<String> {
    let safe = json!({"filtered": false, "severity": "safe"});
    let filter = json!({"hate": safe, "self_harm": safe, "sexual": safe, "violence": safe});
    let first = json!({"id": "", "object": "", "created": 0, "model": "",
        "prompt_annotations": [{"prompt_index": 0, "content_filter_results": filter}], "choices": [], "usage": null});
    let chunk = |delta: Value, finish: Value| {
        let v = json!({"id": format!("chatcmpl-sim{now:x}"), "object": "chat.completion.chunk", "created": now,
            "model": model, "choices": [{"index": 0, "finish_reason": finish, "delta": delta}], "usage": null});
        format!("data: {v}\n\n")
    };
    let mut out = vec![format!("data: {first}\n\n"), chunk(json!({"role": "assistant"}), Value::Null)];
    for word in api::TEXT.split_inclusive(' ') {
        out.push(chunk(json!({"content": word}), Value::Null));
    }
    out.push(chunk(json!({}), json!("stop")));
    out.push("data: [DONE]\n\n".to_owned());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn azure() -> Azure {
        Azure::new("k".to_owned(), None, &[], &[]).unwrap()
    }

    fn with_key(key: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("api-key", key.parse().unwrap());
        h
    }

    fn parts(method: &str, path: &str, query: Option<&str>, headers: &HeaderMap) -> hyper::http::request::Parts {
        let uri = query.map_or_else(|| path.to_owned(), |q| format!("{path}?{q}"));
        let mut req = hyper::Request::builder().method(method).uri(uri).body(()).unwrap();
        *req.headers_mut() = headers.clone();
        req.into_parts().0
    }

    fn serve(query: Option<&str>, headers: &HeaderMap, fault: Fault) -> Answer {
        let p = parts("POST", "/openai/deployments/gpt-4.1-nano/chat/completions", query, headers);
        azure().serve(&p, &json!({}), || fault, 1).2
    }

    fn call(method: &str, path: &str, query: Option<&str>, headers: &HeaderMap, body: &Value) -> (Route, Fault, u16) {
        let (r, f, a) = azure().serve(&parts(method, path, query, headers), body, || Fault::Ok, 1);
        (r, f, a.status)
    }

    #[test]
    fn paths_as_the_sdk_sends_them() {
        let t = target("POST", "/openai/deployments/gpt-4.1-nano/chat/completions").unwrap();
        assert_eq!((t.route, t.surface, t.deployment), (Route::Chat, Surface::Dated, Some("gpt-4.1-nano")));
        assert_eq!(target("GET", "/openai/models").unwrap().route, Route::Models);
        assert_eq!(target("POST", "/openai/v1/chat/completions").unwrap().surface, Surface::V1);
        assert_eq!(target("POST", "/openai/deployments/d/embeddings").unwrap().route, Route::Embeddings);
        assert_eq!(target("POST", "/openai/deployments/d/completions").unwrap().route, Route::Completions);
        for bad in ["/v1/chat/completions", "/openai/deployments/d", "/openai/deployments/d/models", "/openai/chat"] {
            assert_eq!(target("POST", bad), None, "{bad}");
        }
        assert_eq!(api_version(Some("x=1&api-version=2024-10-21")), Some("2024-10-21"));
        assert_eq!(api_version(Some("api-version=")), None);
    }

    #[test]
    fn checks_in_azures_order() {
        let chat = json!({"messages": []});
        let p = "/openai/deployments/gpt-4.1-nano/chat/completions";
        let ok = with_key("k");
        let v = Some("api-version=2024-10-21");
        assert_eq!(call("POST", p, v, &ok, &chat), (Route::Chat, Fault::Ok, 200));
        assert_eq!(call("POST", p, v, &with_key("x"), &chat).1, Fault::Refused(Refusal::Key));
        assert_eq!(call("POST", p, v, &HeaderMap::new(), &chat).2, 401);
        assert_eq!(call("POST", p, None, &ok, &chat), (Route::Chat, Fault::Refused(Refusal::NoVersion), 404));
        assert_eq!(call("POST", p, Some("api-version=2019-01-01"), &ok, &chat).2, 400);
        let other = "/openai/deployments/gpt-4o/chat/completions";
        assert_eq!(call("POST", other, v, &ok, &chat).1, Fault::Refused(Refusal::Deployment));
        let emb = "/openai/deployments/text-embedding-3-small/chat/completions";
        assert_eq!(call("POST", emb, v, &ok, &chat).1, Fault::Refused(Refusal::Operation));
        // The v1 API: Bearer key, no api-version, the deployment in `model`; a dated version refused.
        let mut bearer = HeaderMap::new();
        bearer.insert("authorization", "Bearer k".parse().unwrap());
        let body = json!({"model": "gpt-4.1-nano"});
        assert_eq!(call("POST", "/openai/v1/chat/completions", None, &bearer, &body).2, 200);
        assert_eq!(call("POST", "/openai/v1/chat/completions", Some("api-version=preview"), &bearer, &body).2, 200);
        assert_eq!(call("POST", "/openai/v1/chat/completions", v, &bearer, &body).2, 400);
        assert_eq!(call("POST", "/openai/v1/chat/completions", None, &bearer, &json!({})).2, 404);
        assert_eq!(call("GET", "/openai/v1/models", None, &bearer, &Value::Null).2, 200);
        assert_eq!(call("GET", "/openai/nowhere", None, &ok, &Value::Null), (Route::NotFound, Fault::Ok, 404));
    }

    /// Issue 27 review: a rejected bearer token gets Azure's words for a token, a bad or missing
    /// `api-key` the key's.
    #[test]
    fn a_bad_bearer_token_gets_the_tokens_answer_and_a_bad_key_the_keys() {
        let p = parts("POST", "/openai/deployments/gpt-4.1-nano/chat/completions", Some("api-version=2024-10-21"), &{
            let mut h = HeaderMap::new();
            h.insert("authorization", "Bearer eyJ.expired.token".parse().unwrap());
            h
        });
        let entra = Azure::new("k".into(), Some("eyJ.good.token".into()), &[], &[]).unwrap();
        let (_, fault, a) = entra.serve(&p, &json!({}), || Fault::Ok, 1);
        assert_eq!((fault, a.status), (Fault::Refused(Refusal::Token), 401));
        let Body::Whole(text) = a.body else { panic!("whole") };
        let doc: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(doc["statusCode"], 401);
        assert!(
            doc["message"].as_str().unwrap().starts_with("Unauthorized. Access token is missing, invalid"),
            "{text}"
        );
        assert!(a.headers.iter().any(|(k, _)| *k == "apim-request-id"), "{:?}", a.headers);
        // The resource's own Entra token passes; a bad api-key (even beside a good bearer) and no
        // credential at all get the key's words.
        let mut good = HeaderMap::new();
        good.insert("authorization", "Bearer eyJ.good.token".parse().unwrap());
        assert_eq!(entra.refusal(&good), None);
        good.insert("api-key", "wrong".parse().unwrap());
        assert_eq!(entra.refusal(&good), Some(Refusal::Key));
        for headers in [with_key("wrong"), HeaderMap::new()] {
            let (_, fault, a) = azure().serve(
                &parts("POST", "/openai/deployments/gpt-4.1-nano/chat/completions", None, &headers),
                &json!({}),
                || Fault::Ok,
                1,
            );
            assert_eq!(fault, Fault::Refused(Refusal::Key));
            let Body::Whole(text) = a.body else { panic!("whole") };
            assert!(text.contains("Access denied due to invalid subscription key"), "{text}");
        }
    }

    #[test]
    fn faults_answer_in_azures_words_and_headers() {
        let (h, v) = (with_key("k"), Some("api-version=2024-10-21"));
        let a = serve(v, &h, Fault::RateLimit { retry_after: std::time::Duration::from_millis(1500) });
        assert_eq!(a.status, 429);
        assert!(a.headers.contains(&("retry-after", "2".to_owned())), "{:?}", a.headers);
        assert!(!a.headers.iter().any(|(k, _)| k.starts_with("openai-") || *k == "retry-after-ms"));
        let Body::Whole(text) = a.body else { panic!("whole") };
        assert!(text.contains("Try again in 2 seconds."), "{text}");
        let a = serve(v, &h, Fault::Ok);
        for name in ["apim-request-id", "x-request-id", "x-ms-region", "azureml-model-session"] {
            assert!(a.headers.iter().any(|(k, _)| *k == name), "{name}: {:?}", a.headers);
        }
        let a = serve(v, &h, Fault::ContentFilter);
        let Body::Whole(text) = a.body else { panic!("whole") };
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap()["error"]["code"], "content_filter");
    }

    #[test]
    fn a_stream_opens_with_the_prompt_annotations() {
        let list = chunks("gpt-4.1-nano", 1);
        let first: Value = serde_json::from_str(list[0].trim().strip_prefix("data: ").unwrap()).unwrap();
        assert_eq!(first["choices"], json!([]));
        assert!(first["prompt_annotations"][0]["content_filter_results"]["hate"].is_object());
        assert_eq!(list.last().unwrap(), "data: [DONE]\n\n");
    }

    #[test]
    fn deployments_and_versions_are_checked() {
        assert_eq!(
            Deployment::parse("chat=gpt-4o").unwrap(),
            Deployment { name: "chat".into(), model: "gpt-4o".into() }
        );
        assert_eq!(Deployment::parse("gpt-4o").unwrap().model, "gpt-4o");
        for bad in ["", "=x", "a b", "x=", &"a".repeat(65)] {
            assert!(Deployment::parse(bad).is_err(), "{bad}");
        }
        assert!(Azure::new("k".into(), None, &["a".into(), "a=b".into()], &[]).err().unwrap().contains("twice"));
        assert!(Azure::new("k".into(), None, &[], &["2024 10".into()]).is_err());
        assert_eq!(azure().version(), "2024-10-21");
        assert_eq!(Deployment::parse("x=gpt-35-turbo-instruct").unwrap().refuses(Route::Chat), Some("chatCompletion"));
    }
}
