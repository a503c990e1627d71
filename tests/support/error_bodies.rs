//! Error bodies and headers the real API (and Cloudflare in front of it) sent, as quoted in
//! public reports. Each constant names its source; the tests serve them from the loopback API.

/// 401 mismatched_organization, as the Python SDK printed it (Realiserad/fish-ai#62,
/// Azure-Samples/ai-rag-chat-evaluator#76).
pub const MISMATCHED_ORGANIZATION: &str = r#"{"error": {"message": "OpenAI-Organization header should match organization for API key", "type": "invalid_request_error", "param": null, "code": "mismatched_organization"}}"#;

/// 401 account_deactivated, quoted in a public project's notes (2026, found through the code
/// index: "Error code: 401 - {'error': {'message': 'The OpenAI account associated with ...").
pub const ACCOUNT_DEACTIVATED: &str = r#"{"error": {"message": "The OpenAI account associated with this API key has been deactivated. If you are the developer for this OpenAI app, please check your email for more information. If you are seeing this error while using another app or site, please reach out to them for more help.", "type": "invalid_request_error", "code": "account_deactivated", "param": null}}"#;

/// 401 when no key arrived (yihong0618/bilingual_book_maker#137 quotes the message; the API sends
/// it with code null).
pub const NO_API_KEY: &str = r#"{"error": {"message": "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.", "type": "invalid_request_error", "param": null, "code": null}}"#;

/// Cloudflare's JSON 502, with the headers it came with (quoted in a public repository's code
/// comment: openai-python 0.27 `APIError: Bad gateway.` with its response headers, 2023-05-23).
pub const CF_BAD_GATEWAY: &str =
    r#"{"error":{"code":502,"message":"Bad gateway.","param":null,"type":"cf_bad_gateway"}}"#;
/// The CF-RAY header of that answer.
pub const CF_BAD_GATEWAY_RAY: &str = "7cba17bec9134392-EWR";

/// Cloudflare's JSON 524 (neo4j-labs/llm-graph-builder#561, ferrislucas/promptr#32).
pub const CF_GATEWAY_TIMEOUT: &str =
    r#"{"error": {"code": 524, "message": "Gateway timeout.", "param": null, "type": "cf_gateway_timeout"}}"#;

/// 403 for a model the project may not use. The message is quoted in public notes ("Project
/// does not have access to model X", an OpenAI project's model allowlist) and a README ("fails
/// with a 403 `does not have access to model`"); the envelope (type, code) is the API's usual
/// one, not quoted.
pub const PROJECT_MODEL_ACCESS: &str = r#"{"error": {"message": "Project `proj_abc123` does not have access to model `gpt-4.1-nano`", "type": "invalid_request_error", "param": null, "code": "model_not_found"}}"#;

/// 401 no_organization, as the Python SDK printed it (OpenHands/OpenHands#2562,
/// abi/screenshot-to-code#9).
pub const NO_ORGANIZATION: &str = r#"{"error": {"message": "You must be a member of an organization to use the API. Please contact us through our help center at help.openai.com.", "type": "invalid_request_error", "param": null, "code": "no_organization"}}"#;

/// 401 invalid_api_key, as a client printed it (chatanywhere/GPT_API_free#62, 2023-07-18; the key
/// hint shortened there as the API does).
pub const INVALID_API_KEY: &str = r#"{"error":{"message":"Incorrect API key provided: sk-VKMIs***************************************wjh3. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#;
