//! Finding codes of the `probe` check, with their explanations.

code!(
    NO_KEY,
    "probe.no_key",
    "OPENAI_API_KEY is not set",
    "No API key in the environment. The SDKs fail at client construction ('Missing credentials').\n\n\
Fix: export OPENAI_API_KEY=sk-... in the environment your application runs in (a container's \
env, a Lambda's configuration, a CI secret).\n\nVerify: the probe check passes."
);
code!(
    KEY_WHITESPACE,
    "probe.key_whitespace",
    "The API key has white space or a line break",
    "The key has leading or trailing white space (often a newline from `echo` into a secret or a \
.env file), or white space inside. The official Python client then fails with 'Connection \
error.' and prints the whole key in the exception chain; Node trims it.\n\nFix: store the key \
without the newline (`printf %s` instead of `echo`; strip .env values).\n\nVerify: the probe passes."
);
code!(
    KEY_FORMAT,
    "probe.key_format",
    "The API key does not look like an OpenAI key",
    "OpenAI keys start with sk- (sk-proj-, sk-svcacct-, sk-admin-, or legacy sk-). A key with \
another prefix, or of an unusual length, is likely from another service, truncated, or a \
placeholder.\n\nFix: copy the key again from https://platform.openai.com/api-keys.\n\nVerify: the probe passes."
);
code!(
    KEY_OTHER_VENDOR,
    "probe.key_other_vendor",
    "The API key belongs to another vendor",
    "The key in OPENAI_API_KEY has a prefix another vendor uses (sk-ant- is Anthropic's). OpenAI \
answers 401.\n\nFix: put your OpenAI key in OPENAI_API_KEY.\n\nVerify: the probe passes."
);
code!(
    INVALID_KEY,
    "probe.invalid_key",
    "The API rejected the key (401)",
    "The API answered 401: the key is wrong, revoked, or belongs to another organization or project \
than the OpenAI-Organization / OpenAI-Project headers name. Retrying cannot help.\n\nFix: create \
a new key at https://platform.openai.com/api-keys; check OPENAI_ORG_ID / OPENAI_PROJECT_ID.\n\nVerify: the probe passes."
);
code!(
    ORG_MISMATCH,
    "probe.org_mismatch",
    "The OpenAI-Organization header names another organization than the key's (401)",
    "The API answered 401 mismatched_organization: the request carried an OpenAI-Organization \
header (the SDKs send OPENAI_ORG_ID; here --org or OPENAI_ORG_ID) for an organization the key does \
not belong to. The key itself may be fine: a new key will not help.\n\nFix: unset OPENAI_ORG_ID \
(the key's default organization is used), or set it to the key's organization (Settings → \
Organization → General).\n\nVerify: the probe passes."
);
code!(
    ACCOUNT_DEACTIVATED,
    "probe.account_deactivated",
    "The OpenAI account behind the key is deactivated (401)",
    "The API answered 401 account_deactivated: the account, not the key, is switched off, so a new \
key from the same account fails the same way.\n\nFix: the account owner should read OpenAI's \
email about the deactivation and contact OpenAI support; until then use a key of another account.\n\n\
Verify: the probe passes."
);
code!(
    KEY_NOT_RECEIVED,
    "probe.key_not_received",
    "The API received no key although one was sent (401)",
    "The doctor sent the key in an Authorization: Bearer header, yet the API answered that no API \
key was provided: something between this machine and the API (a proxy, an API gateway, a load \
balancer, a corporate TLS inspector) removed the Authorization header.\n\nFix: configure that \
hop to pass Authorization through, or reach the API without it (NO_PROXY, another base URL).\n\n\
Verify: the probe passes."
);
code!(
    NO_ORGANIZATION,
    "probe.no_organization",
    "The account behind the key belongs to no organization (401)",
    "The API answered 401 no_organization: \"You must be a member of an organization to use the \
API\". The key is not the problem: its account is in no organization (it left or was removed), so \
every key of it fails the same way.\n\nFix: join or create an organization on platform.openai.com, \
or contact OpenAI through help.openai.com.\n\nVerify: the probe passes."
);
code!(
    MODEL_ACCESS,
    "probe.model_access",
    "The project has no access to the model (403)",
    "The API answered 403 that the project does not have access to the model: the key works (GET \
/models passes), but the project's model allowlist (Settings → Project → Limits) leaves this model \
out, or the organization has not been granted it.\n\nFix: allow the model for the project, or \
use one it may use (GET /models lists them).\n\nVerify: the probe passes."
);
code!(
    REGION,
    "probe.region",
    "The API is not available from this country or region (403)",
    "The API answered 403 unsupported_country_region_territory: requests from this location are \
not served. A VPN or a proxy elsewhere changes what the API sees.\n\nFix: see OpenAI's list of \
supported countries; run from a supported region.\n\nVerify: the probe passes."
);
code!(
    FORBIDDEN,
    "probe.forbidden",
    "The API refused the request (403)",
    "The API answered 403: the key lacks the permission for this endpoint or model (restricted \
project keys, organization policies).\n\nFix: check the key's permissions and the project's \
model access.\n\nVerify: the probe passes."
);
code!(
    NOT_FOUND,
    "probe.not_found",
    "The endpoint does not exist (404): wrong base URL?",
    "GET /models answered 404. The base URL is probably missing /v1 (it must be \
https://api.openai.com/v1) or points at another service.\n\nFix: set OPENAI_BASE_URL to the \
API root including /v1.\n\nVerify: the probe passes."
);
code!(
    MODEL_NOT_FOUND,
    "probe.model_not_found",
    "The model does not exist or this key cannot use it (404)",
    "The chat completion answered 404 model_not_found: a typo in the model name, a model that was \
retired, or one your project has no access to.\n\nFix: pick a model that GET /models lists for \
this key (--model here).\n\nVerify: the probe passes."
);
code!(
    RATE_LIMITED,
    "probe.rate_limited",
    "Rate limited (429): transient",
    "The API answered 429 rate_limit_exceeded: too many requests or tokens per minute. It passes: \
wait the Retry-After time; the SDKs retry this automatically.\n\nFix: retry with backoff; \
spread load; ask for higher limits. The x-ratelimit-* headers (in -v and JSON) show the \
limits and when they reset.\n\nVerify: the probe passes after the reset time."
);
code!(
    QUOTA,
    "probe.quota",
    "Out of quota (429 insufficient_quota): retrying cannot help",
    "The API answered 429 insufficient_quota: the account has no credit left or hit its spend \
limit. Retries fail the same way (yet the SDKs retry every 429).\n\nFix: add credit or raise \
the limit at https://platform.openai.com/settings/organization/billing.\n\nVerify: the probe passes."
);
code!(
    SERVER_ERROR,
    "probe.server_error",
    "The API answered with server errors (5xx)",
    "The API answered 500/502/503/504. When some requests pass, the errors are transient: retry \
with exponential backoff and jitter (the SDKs do, twice). When every request fails, simplify \
the request and check the status page; if it persists, contact support with the request IDs \
listed (they are in the report and the bundle).\n\nVerify: the probe passes."
);
code!(
    EDGE_ERROR,
    "probe.edge_error",
    "An edge error page, not the API (HTML 5xx)",
    "The answer was an HTML error page, not OpenAI's JSON: it came from the edge (Cloudflare) or a \
proxy in between, not from the API itself. Clients that expect JSON report a parse error or \
a bare status.\n\nFix: treat it as transient and retry with backoff; if it persists, report the \
cf-ray / request id.\n\nVerify: the probe passes."
);
code!(
    CONNECTION,
    "probe.connection",
    "Requests failed without an HTTP answer",
    "A request got no HTTP answer (connection reset, timeout, TLS error mid-request): what the SDKs \
report as 'Connection error.' or 'Request timed out.'.\n\nFix: see the dns, tls and proxy checks; \
when they pass and this still happens intermittently, retry with backoff.\n\nVerify: the probe passes."
);
code!(
    UNEXPECTED,
    "probe.unexpected",
    "An unexpected answer",
    "The API answered with a status the doctor does not classify. The finding quotes OpenAI's \
message.\n\nFix: as the message says."
);
code!(
    REDIRECT,
    "probe.redirect",
    "The base URL redirects",
    "The API answered the base URL with a redirect (301, 302, 307, 308). The doctor does not follow \
it with the key: clients drop the Authorization header when a redirect changes the scheme, host or \
port (the next hop then answers 401, which looks like a proxy removing the header), and a redirect \
from https to http would send the key in clear. The request log records the hop (`location`).\n\n\
Fix: use the address the redirect points to as the base URL; a redirect to plain http is a \
misconfigured gateway, never a base URL to use."
);
code!(
    INTERMITTENT,
    "probe.intermittent",
    "Some requests failed, some passed: transient errors",
    "Part of the series failed with transient errors (5xx, timeouts, 429) while other requests \
passed. That is the signature of a transient problem: retries with exponential backoff and \
jitter get through (the SDKs retry twice by default: make sure you did not turn that off). \
The finding gives the observed failure rate with its 95 % Wilson interval for the number of \
requests; it is a failure when the interval's lower bound is above 25 % (even the most \
favourable rate the sample allows then fails more than 1 in 64 calls after two retries), \
else a warning. Compare reruns by their intervals.\n\n\
Fix: keep retries on (max_retries ≥ 2); if the rate is high, check the status page; report \
persistent rates to support with the request IDs listed.\n\nVerify: the series passes."
);
code!(
    STOPPED_EARLY,
    "probe.stopped_early",
    "The series stopped early to stay within the deadline",
    "The server was slow (or asked to wait via Retry-After), so the probe stopped before sending \
every request rather than run past --deadline. Its verdict rests on fewer requests.\n\nFix: give \
a longer --deadline for a fuller picture."
);
code!(
    NOT_MEASURED,
    "probe.not_measured",
    "The probe sent no request: too little of the deadline was left",
    "The probe starts when the checks before it are done; when less time is left than one request \
needs, it sends nothing. Nothing was measured, so nothing is known to work: this is never a pass.\n\n\
Fix: run again with a longer --deadline (the default is 20 s). If an earlier check was slow (a \
slow nameserver or TLS handshake), its own time in the report says which.\n\nVerify: the probe \
sends its series and passes."
);
code!(
    SLOW_FIRST_BYTE,
    "probe.slow_first_byte",
    "The API is slow to answer a tiny request (first byte over 5 s)",
    "GET /models, which has no body and no model work, took over five seconds to its first byte. \
Larger requests will be slower still, and a short client timeout fails.\n\nUsual causes: a proxy \
or gateway that queues or inspects traffic, a congested or distant route, an incident at OpenAI \
(see the status check).\n\nFix: check the path (proxy, VPN); give your client a timeout that fits \
(the timeout check says how much).\n\nVerify: the probe passes without it."
);
code!(
    REDUCED,
    "probe.reduced",
    "What shrinking your failing payload showed (--reduce)",
    "With --send-payload --reduce, when your payload fails with a 5xx or no answer while the minimal \
request passes, the doctor shrinks it one change at a time (the tools, response_format, optional \
parameters, images, messages from the middle of the history, halves of long contents), each \
attempt with 1 output token, within a request budget (--reduce-requests, default 12), twice the \
original's size in all, and the deadline. A change after which the body still fails is kept; one \
after which it passes is what triggers the failure. The smallest failing body is in the report's \
details (and the bundle), redacted.\n\nFix: work around the part named; send support the minimal \
body and the request ids.\n\nVerify: your application's request passes."
);
code!(
    PAYLOAD_FAILS,
    "probe.payload_fails",
    "Your own payload fails where the minimal request passes",
    "With --send-payload the probe sends your request body once after the minimal one. When the \
minimal request passes and yours fails with a 5xx, the payload itself triggers the error: the \
guide's 'simplify and reduce' step. A 4xx quotes the API's reason.\n\nFix: shorten the \
conversation, drop images and tools, lower the output limit, and add parts back one at a time; \
contact support with the request id.\n\nVerify: --send-payload passes."
);
code!(
    CLOCK_SKEW,
    "probe.clock_skew",
    "This machine's clock differs from the server's",
    "The server's Date header differs from the local clock by over a minute. Skewed clocks break \
TLS certificate checks (not yet valid / expired), signed requests and token expiry.\n\nFix: \
enable time sync (NTP; timedatectl set-ntp true; the VM's or container host's clock).\n\nVerify: \
the skew shown is a few seconds."
);
code!(
    EDGE_BLOCKED,
    "probe.edge_blocked",
    "Cloudflare in front of the API blocked this client (firewall or rate limit), not the API",
    "Cloudflare's edge in front of the API answered with its own page: \"Sorry, you have been blocked\" \
(a firewall rule, error 1020) or error 1015 (rate limited). The API never saw the request, so the key \
was never checked: a new key does not help. The usual cause is the address the request came from (a \
VPN, a hosting or cloud range, a shared corporate exit) or the request's content.\n\nFix: call from \
another network or egress IP; for 1015 slow down; if it persists, contact OpenAI support with the \
Ray ID.\n\nVerify: the probe passes."
);
code!(
    PROXY_BLOCKED,
    "probe.proxy_blocked",
    "A proxy or secure web gateway on your network refused the request",
    "The answer came from a proxy on the caller's network (Squid, Zscaler, Netskope, Fortinet, Palo \
Alto, Blue Coat, Cisco Umbrella: its headers or block page), not from the API: a 403 (or a 503) block \
page, or 407 when it wants credentials. The key was never checked.\n\nFix: ask the network team to \
allow the API's host for this client, give the proxy its credentials (407), or bypass it where that \
is allowed (NO_PROXY).\n\nVerify: the probe passes."
);
code!(
    CAPTIVE_PORTAL,
    "probe.captive_portal",
    "A captive portal or login page answered instead of the API",
    "The answer was an HTML page (with 200 or a redirect) where the API's JSON was expected: a hotel, \
airport or office network's login page intercepts the traffic. Clients report a JSON parse error.\n\n\
Fix: log in to the network (open any http:// page in a browser) or use another network.\n\nVerify: \
the probe passes."
);
code!(
    NOT_API,
    "probe.not_api",
    "The answer did not come from the API (unrecognised sender)",
    "The answer carried neither OpenAI's error envelope nor its headers, and matched no known edge, \
proxy, gateway or portal: something between this machine and the API (or the server at the base URL) \
answered. The finding quotes the page's title.\n\nFix: find the hop that answered (the base URL, a \
proxy, a load balancer); its owner can tell more.\n\nVerify: the probe passes."
);
code!(
    GATEWAY_ERROR,
    "probe.gateway_error",
    "The gateway at the base URL answered with its own error",
    "The base URL points at a gateway in front of OpenAI (LiteLLM, Helicone, Portkey, Cloudflare AI \
Gateway, Kong, Azure API Management, OpenRouter), and it answered itself: its own authentication, its \
own timeout waiting for its upstream, its cooldown after upstream failures, or its routes. OpenAI \
never saw the request, and a GET /models the gateway answers from its configuration is no proof that \
its upstream works.\n\nFix: as the finding says; the gateway's owner configures its keys, timeouts, \
cooldowns and model names.\n\nVerify: the probe passes."
);
code!(
    BILLING,
    "probe.billing",
    "Billing blocks the account: no retry helps",
    "The API answered billing_not_active (as a 429, which is not a rate limit) or \
billing_hard_limit_reached (a 400): the account has no active payment method or reached its monthly \
spend limit. Retries fail the same way.\n\nFix: the account's owner fixes billing or raises the limit \
at https://platform.openai.com/settings/organization/billing.\n\nVerify: the probe passes."
);
code!(
    KEY_SCOPES,
    "probe.key_scopes",
    "The key is valid but lacks a permission scope (restricted key)",
    "The API answered that the key has insufficient permissions (\"Missing scopes: model.request\"), \
with 401 or 403: a restricted project key (or a token) without the permission this endpoint needs. \
The key is not wrong, so a new key with the same restrictions fails the same way.\n\nFix: edit the \
key's permissions at https://platform.openai.com/api-keys (Model capabilities: Write for chat), or \
use a key with All permissions.\n\nVerify: the probe passes."
);
code!(
    HTTPS_REQUIRED,
    "probe.https_required",
    "The API was called over plain http",
    "The API answered 403 \"The OpenAI API can only be accessed over HTTPS\": the request arrived over \
http (a base URL with http://, or a proxy that rewrites the scheme). The key is not the problem.\n\n\
Fix: use https://api.openai.com/v1 as the base URL.\n\nVerify: the probe passes."
);
code!(
    ORG_VERIFICATION,
    "probe.org_verification",
    "The organization must be verified for this model (or for streaming it)",
    "The API answered that the organization must be verified to use (or to stream) the model: a 403 \
for the model, or a 400 unsupported_value on `stream`. The key and billing are fine.\n\nFix: verify \
the organization at https://platform.openai.com/settings/organization/general (access can take 15 \
minutes to propagate), or use another model, or call it without streaming.\n\nVerify: the probe passes."
);
code!(
    REQUEST_REJECTED,
    "probe.request_rejected",
    "The API rejected the request itself",
    "The API answered that the request is not acceptable for this model: a parameter it does not take \
(max_tokens on reasoning models), a value it does not accept (temperature other than 1), a context \
longer than the model's window, a request larger than the tokens-per-minute limit, or a retired model. \
Retries fail the same way.\n\nFix: as the finding says (`validate` checks a payload offline).\n\n\
Verify: the probe passes."
);
code!(
    PROJECT_MISMATCH,
    "probe.project_mismatch",
    "The OpenAI-Project header names another project than the key's",
    "The API answered that the OpenAI-Project header does not match the key's project: the request \
carried OPENAI_PROJECT_ID (or --project) for a project the key does not belong to. A new key will not \
help.\n\nFix: unset OPENAI_PROJECT_ID or set it to the key's project.\n\nVerify: the probe passes."
);
code!(
    PAYLOAD_SIZE,
    "probe.payload_size",
    "Requests above a size get no answer on this network path (size, not content)",
    "With --send-payload --reduce, when your payload gets no answer (a timeout or a reset) while the \
small requests pass, the doctor sends a control of the same size with neutral content (padding in \
one user message, same model and endpoint, 1 output token). When the control fails too, the size \
is the cause, not the content, and bisection over control sizes (within --reduce-requests, twice \
the original's size and the deadline, each with a short timeout) names the byte range where \
requests start failing. Usual causes: a path-MTU black hole (a VPN or tunnel with a smaller MTU \
whose ICMP 'fragmentation needed' is blocked), a proxy or gateway with a body limit.\n\nFix: lower \
the MTU of the interface or VPN (ip link set dev <if> mtu 1280) or clamp the TCP MSS on the tunnel, \
allow ICMP type 3 code 4, or raise the proxy's body limit. Simplifying the payload does not help \
unless it stays under the limit.\n\nVerify: --send-payload passes; the range is gone."
);
code!(
    PAYLOAD_CONTENT,
    "probe.payload_content",
    "A neutral request of your payload's size passes: the content triggers the failure",
    "With --send-payload --reduce, when your payload gets no answer while the small requests pass, \
the doctor sends a control of the same size with neutral content. When the control passes, the \
network path carries requests of that size: what your payload contains triggers the failure, and \
--reduce looks for the part (probe.reduced).\n\nFix: work around the part that triggers it; send \
the support team the minimal failing body with the request ids.\n\nVerify: --send-payload passes."
);
code!(
    AZURE_API_VERSION,
    "probe.azure_api_version",
    "Azure OpenAI's deployments API is called without an api-version",
    "The AzureOpenAI client needs an api-version: without the `api_version` argument or \
OPENAI_API_VERSION it refuses to start (\"Must provide either the `api_version` argument or the \
`OPENAI_API_VERSION` environment variable\"), and a request without one gets Azure's 404 \
\"Resource not found\". The probe does not send requests the app cannot send.\n\nFix: export \
OPENAI_API_VERSION with a version Azure supports (a GA one, e.g. 2024-10-21; the list is on \
Microsoft Learn's \"Azure OpenAI API version lifecycle\" page), or call the v1 API \
(base_url https://NAME.openai.azure.com/openai/v1/), which needs none.\n\nVerify: the probe passes."
);
code!(
    AZURE_DEPLOYMENT,
    "probe.azure_deployment",
    "No Azure OpenAI deployment named: the chat completion was not sent",
    "With Azure's deployments API a chat completion goes to \
/openai/deployments/{deployment}/chat/completions: the AzureOpenAI client takes the deployment's \
name as `model`. Neither --model nor AZURE_OPENAI_DEPLOYMENT (AZURE_OPENAI_DEPLOYMENT_NAME, \
AZURE_OPENAI_CHAT_DEPLOYMENT_NAME) named it, so the probe sent only the requests that need none.\n\n\
Fix: run with --model DEPLOYMENT (the name in Azure AI Foundry > Deployments, not the model's \
name unless they are the same).\n\nVerify: the probe sends the chat completion."
);
code!(
    BASE_URL_QUERY,
    "probe.base_url_query",
    "The base URL or Azure endpoint carries a query: the SDKs' request URLs break",
    "The official SDKs append each request's path to the base URL as text: openai-python merges it \
into the base URL's raw path, query included, and the AzureOpenAI client builds \
f\"{azure_endpoint}/openai\". A base URL such as https://host/v1?api-version=preview (or an \
endpoint with ?… or #…) therefore sends every request to a wrong URL (…/v1?api-version=preview/chat/completions), \
and the server answers 404 or nothing useful. The probe sends nothing the app could not send.\n\n\
Fix: remove the query and fragment from OPENAI_BASE_URL / AZURE_OPENAI_ENDPOINT; pass \
query parameters as the client's default_query (AzureOpenAI takes api_version= or \
OPENAI_API_VERSION).\n\nVerify: the probe passes."
);
code!(
    AZURE_CLIENT,
    "probe.azure_client",
    "The OpenAI client is pointed at an Azure resource outside its v1 API",
    "OPENAI_BASE_URL (read only by the plain OpenAI client) names an Azure OpenAI resource, but \
not its v1 API (/openai/v1/). The plain client sends OpenAI's paths (/chat/completions, no \
deployment, no api-version) and the key as a bearer token, which Azure's deployments API refuses \
(401 \"Access token is missing, invalid…\" or 404). The probe sends what the app sends, so the \
answers below are Azure's.\n\nFix: either base_url=https://NAME.openai.azure.com/openai/v1/ with \
the OpenAI client (the deployment as model=), or the AzureOpenAI client with \
AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_API_KEY and OPENAI_API_VERSION (and unset OPENAI_BASE_URL).\n\n\
Verify: the probe passes."
);
code!(
    AZURE_V1,
    "probe.azure_v1",
    "The Azure resource also serves the v1 API (information)",
    "When the app calls an Azure OpenAI resource through the deployments API (the AzureOpenAI \
client, an api-version on every request), the probe asks once, for free, whether the resource \
also serves Azure's v1 API: GET {endpoint}/openai/v1/models with the app's credential. A 200 is \
said as information: on the v1 API the OpenAI client (base_url {endpoint}/openai/v1/, the \
deployment as model=) needs no api-version, so nothing breaks when a version retires. Nothing is \
said when it does not answer 200: the app works as it is.\n\nFix: none needed.\n\nVerify: -."
);
