//! `openai-doctor recipe` and the end of `simulate`'s audit: client settings that retry the way
//! the official SDKs do (exponential backoff from 0.5 s, ×2, capped at 8 s, with jitter; honour
//! `retry-after-ms`/`Retry-After`; never retry a permanent error), sized by the checks crate's one
//! retry policy (`sdk::policy`) so that the worst case fits the platform's deadline. One sizing,
//! three languages.

use std::fmt::Write;
use std::time::Duration;

use openai_doctor_checks::model::plural;
pub use openai_doctor_checks::sdk::policy::Sizing;
use openai_doctor_checks::sdk::policy::{self, Fit, Settings};
use openai_doctor_checks::sdk::{INITIAL_RETRY_DELAY as INITIAL, MAX_RETRY_DELAY as CAP};

/// Languages a recipe is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// The official Python SDK, and tenacity around it.
    Python,
    /// The official Node SDK.
    Node,
    /// curl in a bash loop.
    Bash,
}

impl Lang {
    /// The language of a client the simulated API saw (`x-stainless-lang` or User-Agent).
    pub fn of_client(client: &str) -> Option<Self> {
        match client.to_ascii_lowercase().as_str() {
            "python" | "python-requests" | "python-httpx" | "openai" => Some(Self::Python),
            "js" | "node" | "node-fetch" | "undici" => Some(Self::Node),
            "curl" | "wget" => Some(Self::Bash),
            _ => None,
        }
    }
}

/// Which API `simulate` plays and `recipe` writes a client for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Provider {
    /// OpenAI's API (`/v1/...`, `Authorization: Bearer`).
    Openai,
    /// Azure OpenAI (`/openai/deployments/{deployment}/...?api-version=`, `api-key`, and the
    /// `/openai/v1/` API).
    Azure,
}

/// `timeout` and `max_retries` sized to `platform` by the one retry policy (nothing measured:
/// the shortest timeout kept is the policy's 5 s).
pub fn size(timeout: Duration, max_retries: u32, platform: Option<Duration>) -> Sizing {
    policy::size(Settings::new(timeout, max_retries), platform.map(|p| p.as_secs_f64()), None)
}

/// Seconds as curl's `--max-time` and people read them: `20`, `0.25` (whole milliseconds, never 0).
fn plain(s: f64) -> String {
    format!("{}", policy::node_millis(s) / 1000.0)
}

fn headline(s: &Sizing, comment: &str) -> String {
    let c = s.chosen;
    let mut h = format!(
        "{comment} Sized by openai-doctor: per-attempt timeout {}s, {} ({}), backoff at most {}s:\n{comment} worst case {:.1}s",
        plain(c.timeout_s),
        if c.max_retries == 1 { "1 retry".to_owned() } else { format!("{} retries", c.max_retries) },
        plural(c.max_retries + 1, "attempt"),
        policy::backoff_total(c.max_retries),
        s.worst_s
    );
    let p = s.deadline_s.map(plain).unwrap_or_default();
    match s.fit {
        Fit::NoDeadline => {}
        Fit::AsAsked | Fit::Cut => {
            let _ = write!(h, ", within the platform deadline of {p}s");
        }
        Fit::BelowFloor => {
            let _ = write!(
                h,
                ", within the platform deadline of {p}s only as one attempt shorter than the {}s a normal completion needs: raise the deadline if you can",
                plain(s.floor_s)
            );
        }
        Fit::Impossible if s.deadline_s.is_some_and(|d| s.worst_s > d) => {
            let _ = write!(
                h,
                ": MORE than the platform deadline of {p}s, too short for even one {}s attempt",
                plain(c.timeout_s)
            );
        }
        Fit::Impossible => {
            let _ = write!(
                h,
                ": the platform deadline of {p}s leaves no room for an attempt once {}s are kept for the rest of the invocation",
                plain(s.deadline_s.map_or(0.0, policy::margin))
            );
        }
    }
    h.push('.');
    if c != s.asked {
        let _ = write!(
            h,
            "\n{comment} (asked for a {}s timeout and {} retries; cut to fit {p}s.)",
            plain(s.asked.timeout_s),
            s.asked.max_retries
        );
    }
    h.push('\n');
    h
}

/// The API a recipe's client calls: its client class, how it is configured, where curl goes.
struct Api {
    /// The SDKs' client class.
    class: &'static str,
    /// Comment lines (without the comment marker) on how the client is configured.
    note: &'static [&'static str],
    /// bash: the lines that set `$url` (the chat endpoint) and `$auth` (the key's header), after
    /// their comment lines. `$auth` is a shell variable handed to curl on its standard input:
    /// nothing that expands to the key may stand in curl's arguments (`ps` shows them to all).
    bash_url: &'static str,
}

const OPENAI: Api = Api {
    class: "OpenAI",
    note: &[],
    bash_url: r#"base=${OPENAI_BASE_URL:-https://api.openai.com/v1}
url="$base/chat/completions"
auth="Authorization: Bearer $OPENAI_API_KEY""#,
};

/// Azure OpenAI as the official SDKs' `AzureOpenAI` clients meet it (openai-python
/// `lib/azure.py`: api-version from OPENAI_API_VERSION on every request, the key as `api-key`,
/// `model=` naming the deployment; openai-node's `AzureOpenAI` reads the same variables).
const AZURE: Api = Api {
    class: "AzureOpenAI",
    note: &[
        "Azure OpenAI: the client reads AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_API_KEY (or",
        "AZURE_OPENAI_AD_TOKEN) and OPENAI_API_VERSION; model= names your deployment, not the model.",
    ],
    bash_url: r#"# Azure OpenAI: AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_API_KEY and OPENAI_API_VERSION as the SDKs
# read them, and AZURE_OPENAI_DEPLOYMENT naming your deployment.
deployment=${AZURE_OPENAI_DEPLOYMENT:?set AZURE_OPENAI_DEPLOYMENT to the name of your deployment}
url="${AZURE_OPENAI_ENDPOINT%/}/openai/deployments/$deployment/chat/completions?api-version=$OPENAI_API_VERSION"
auth="api-key: $AZURE_OPENAI_API_KEY""#,
};

fn note(api: &Api, comment: &str) -> String {
    api.note.iter().map(|l| format!("{comment} {l}\n")).collect()
}

/// The recipe for `lang` with OpenAI's client: retries, then the streaming settings.
#[cfg(test)]
pub fn render(lang: Lang, s: &Sizing) -> String {
    render_for(lang, Provider::Openai, s)
}

/// The recipe for `lang` with the client of `provider`.
pub fn render_for(lang: Lang, provider: Provider, s: &Sizing) -> String {
    let api = match provider {
        Provider::Openai => &OPENAI,
        Provider::Azure => &AZURE,
    };
    let mut out = match lang {
        Lang::Python => python(s, api),
        Lang::Node => node(s, api),
        Lang::Bash => bash(s, api),
    };
    out.push_str(&streaming(lang, s, api));
    out
}

fn python(s: &Sizing, api: &Api) -> String {
    let (t, n) = (policy::python_seconds(s.chosen.timeout_s), s.chosen.max_retries);
    let stop = s.budget_s.map_or_else(String::new, |b| format!(" | stop_after_delay({})", plain(b.max(0.001))));
    format!(
        r#"{head}{note}
# 1. The SDK's own retries: 408, 409, 429, 5xx and connection errors, exponential backoff with
#    jitter, retry-after-ms / Retry-After honoured. Set both numbers explicitly.
from openai import {class}

client = {class}(timeout={t}, max_retries={n})

# 2. Or your own loop (tenacity) around the call: turn the SDK's retries off so they do not
#    multiply, catch the SDK's real exception classes, never retry insufficient_quota.
import openai
from tenacity import retry, retry_if_exception, stop_after_attempt, stop_after_delay, wait_exponential_jitter

client = openai.{class}(timeout={t}, max_retries=0)


def _transient(e: BaseException) -> bool:
    if isinstance(e, openai.RateLimitError):
        return e.code != "insufficient_quota"  # billing, not load: no retry can help
    if isinstance(e, openai.APIStatusError):
        return e.status_code in (408, 409) or e.status_code >= 500
    return isinstance(e, openai.APIConnectionError)  # APITimeoutError is one too


_backoff = wait_exponential_jitter(initial={INITIAL}, max={CAP}, jitter=0.25)


def _wait(state) -> float:
    response = getattr(state.outcome.exception(), "response", None)
    headers = response.headers if response is not None else {{}}
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        try:
            seconds = float(headers.get(name)) * scale
        except (TypeError, ValueError):
            continue
        if 0 < seconds <= 60:
            return seconds
    return _backoff(state)


@retry(retry=retry_if_exception(_transient), wait=_wait, stop=stop_after_attempt({attempts}){stop}, reraise=True)
def create_chat(**kwargs):
    return client.chat.completions.create(**kwargs)
"#,
        head = headline(s, "#"),
        note = note(api, "#"),
        class = api.class,
        attempts = n + 1,
    )
}

fn node(s: &Sizing, api: &Api) -> String {
    format!(
        r#"{head}{note}// The SDK retries 408, 409, 429, 5xx and connection errors with exponential backoff and jitter
// and honours retry-after-ms / Retry-After. Its timeout is in milliseconds.
import {import} from "openai";

const client = new {class}({{ timeout: {ms}, maxRetries: {n} }});

// Per request, where one call needs other numbers:
// await client.chat.completions.create(body, {{ timeout: {ms}, maxRetries: {n} }});
// A 429 with error.code "insufficient_quota" is billing, not load: check err.code and stop.
"#,
        head = headline(s, "//"),
        note = note(api, "//"),
        import = if api.class == "OpenAI" { "OpenAI".to_owned() } else { format!("{{ {} }}", api.class) },
        class = api.class,
        ms = policy::node_millis(s.chosen.timeout_s),
        n = s.chosen.max_retries,
    )
}

fn bash(s: &Sizing, api: &Api) -> String {
    format!(
        r#"{head}# POST body.json to the chat endpoint; retry 408, 409, 429 (not insufficient_quota), 5xx and
# connection errors; wait what Retry-After says, else 0.5 s doubling to 8 s, minus up to 25 %.
{url}
attempt=0
delay={INITIAL}
while :; do
  attempt=$((attempt + 1))
  # The header with the key reaches curl on its standard input (-H @-), never on its command line,
  # where ps shows it to every user of the machine (printf is a bash builtin: no process).
  code=$(printf '%s\n' "$auth" | curl -sS -o response.json -D headers.txt -w '%{{http_code}}' \
    --max-time {t} "$url" -H @- \
    -H 'Content-Type: application/json' -d @body.json) || code=000
  case $code in
    2??) cat response.json; break ;;
    408|409|429|5??|000) ;;
    *) cat response.json >&2; exit 1 ;;
  esac
  if grep -q insufficient_quota response.json 2>/dev/null; then cat response.json >&2; exit 1; fi
  if [ "$attempt" -ge {attempts} ]; then echo "giving up after $attempt attempts (HTTP $code)" >&2; exit 1; fi
  wait=$(tr -d '\r' < headers.txt | awk -v d="$delay" 'BEGIN {{ srand(); w = d * (1 - 0.25 * rand()) }}
    tolower($1) == "retry-after-ms:" && $2 + 0 > 0 {{ ms = $2 / 1000 }}
    tolower($1) == "retry-after:" && $2 + 0 > 0 {{ s = $2 + 0 }}
    END {{ if (ms > 0 && ms <= 60) w = ms; else if (s > 0 && s <= 60) w = s; print w }}')
  sleep "$wait"
  delay=$(awk -v d="$delay" 'BEGIN {{ d *= 2; if (d > {CAP}) d = {CAP}; print d }}')
done
"#,
        head = headline(s, "#"),
        url = api.bash_url,
        t = plain(s.chosen.timeout_s),
        attempts = s.chosen.max_retries + 1,
    )
}

// --- Streaming (issue 25): the read timeout between chunks, and a cut stream sent again. ---

/// The longest read timeout recommended for a stream: long enough for a reasoning model's first
/// token, short enough that a stalled stream does not hold the caller for the SDKs' 600 s.
const STREAM_READ_CAP: f64 = 60.0;

/// Read timeout between chunks for `s`: the per-attempt timeout, at most `STREAM_READ_CAP`.
pub fn stream_read(s: &Sizing) -> f64 {
    s.chosen.timeout_s.min(STREAM_READ_CAP)
}

fn streaming(lang: Lang, s: &Sizing, api: &Api) -> String {
    let read = stream_read(s);
    // The platform's deadline less the policy's margin, as the tenacity loop's stop uses it.
    let budget = s.budget_s.map(f64::floor);
    match lang {
        Lang::Python => {
            let deadline = budget.map_or_else(String::new, |b| {
                format!(
                    "\n                if time.monotonic() - started > {b}:  # the platform's deadline, less 10 %\n                    raise TimeoutError(\"the stream outlasted the deadline\")"
                )
            });
            format!(
                r#"
# 3. Streaming (stream=True). The timeout is per read: until the first token, then between chunks;
#    a stream stalled longer raises openai.APITimeoutError. The SDK does not retry a stream that
#    started, and a cut one raises openai.APIConnectionError (httpx RemoteProtocolError,
#    "incomplete chunked read"): send the whole request again, never keep the partial text.
import random
import time

stream_client = openai.{class}(timeout=openai.Timeout({t}, connect=5.0, read={read_s}), max_retries=0)


def stream_chat(**kwargs):
    """The whole streamed answer as text; a cut, stalled or failed stream is sent again."""
    started = time.monotonic()
    for attempt in range({attempts}):
        parts, finished = [], False
        try:
            for chunk in stream_client.chat.completions.create(stream=True, **kwargs):
                if chunk.choices:
                    parts.append(chunk.choices[0].delta.content or "")
                    finished = finished or chunk.choices[0].finish_reason is not None{deadline}
            if finished:
                return "".join(parts)
        except Exception as e:  # noqa: BLE001 - _transient says which ones to retry
            if not _transient(e) or attempt == {last}:
                raise
        time.sleep(min({INITIAL} * 2**attempt, {CAP}) * (1 - 0.25 * random.random()))
    raise RuntimeError("the stream ended without finish_reason {attempts} times")
"#,
                class = api.class,
                t = policy::python_seconds(s.chosen.timeout_s),
                read_s = policy::python_seconds(read),
                attempts = s.chosen.max_retries + 1,
                last = s.chosen.max_retries,
            )
        }
        Lang::Node => format!(
            r#"
// Streaming (stream: true): openai-node clears its timeout once the answer's head arrives, so a
// stream that stalls later waits forever. Keep an idle timer of your own; a stream that ends
// without finish_reason was cut: send the whole request again, never keep the partial text.
const READ_MS = {read_ms};
async function streamChat(body) {{
  const stream = await client.chat.completions.create({{ ...body, stream: true }});
  let idle = setTimeout(() => stream.controller.abort(), READ_MS);
  let text = "";
  let finished = false;
  try {{
    for await (const chunk of stream) {{
      clearTimeout(idle);
      idle = setTimeout(() => stream.controller.abort(), READ_MS);
      text += chunk.choices[0]?.delta?.content ?? "";
      finished ||= Boolean(chunk.choices[0]?.finish_reason);
    }}
  }} finally {{
    clearTimeout(idle);
  }}
  if (!finished) throw new Error("the stream was cut before its end: send the request again");
  return text;
}}
"#,
            read_ms = policy::node_millis(read),
        ),
        Lang::Bash => format!(
            r#"
# Streaming, with a body that says "stream": true: -N passes events on as they come, and
# --speed-limit 1 --speed-time {read} ends a stream idle for {read} s (curl exit 28). A stream
# without its "data: [DONE]" line was cut: send the whole request again.
#   printf '%s\n' "$auth" | curl -sS -N --speed-limit 1 --speed-time {read} --max-time {total} \
#     "$url" -H @- -H 'Content-Type: application/json' \
#     -d @stream_body.json > stream.txt && grep -q '^data: \[DONE\]' stream.txt
"#,
            read = plain(read),
            total = plain(budget.unwrap_or(s.chosen.timeout_s)),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(s: &Sizing) -> (f64, u32) {
        (s.chosen.timeout_s, s.chosen.max_retries)
    }

    #[test]
    fn the_sdk_defaults_unsized_and_sized_for_a_lambda() {
        let sdk = size(Duration::from_secs(600), 2, None);
        assert_eq!(numbers(&sdk), (600.0, 2));
        assert!((sdk.worst_s - 1801.5).abs() < 1e-9, "{sdk:?}");
        // 30 s (API Gateway's limit): 27 s of budget, 1.5 s of backoff, three attempts of 8 s.
        let lambda = size(Duration::from_secs(600), 2, Some(Duration::from_secs(30)));
        assert_eq!(numbers(&lambda), (8.0, 2), "{lambda:?}");
        assert!(lambda.worst_s <= 27.0, "{lambda:?}");
        assert!(headline(&lambda, "#").contains("cut to fit 30s"));
        // 10 s: two or three attempts would leave under 5 s each, so one attempt of 9 s.
        let tight = size(Duration::from_secs(600), 2, Some(Duration::from_secs(10)));
        assert_eq!(tight.chosen.max_retries, 0, "{tight:?}");
        assert!(tight.worst_s <= 9.0, "{tight:?}");
    }

    #[test]
    fn a_deadline_too_short_for_any_attempt_is_said_so() {
        let s = size(Duration::from_secs(600), 2, Some(Duration::from_millis(1)));
        assert_eq!(numbers(&s), (1.0, 0), "{s:?}");
        assert!(render(Lang::Bash, &s).contains("MORE than the platform deadline"), "{s:?}");
        for (t, n, p) in [(0.001, 0, 0.001), (86_400.0, 20, 86_400.0), (1.0, 20, 3.0), (600.0, 100, 30.0)] {
            let s = size(Duration::from_secs_f64(t), n, Some(Duration::from_secs_f64(p)));
            // Never longer than asked, never zero (`timeout=0.0` would mean "no time at all").
            assert!(s.chosen.timeout_s > 0.0 && s.chosen.timeout_s <= t && s.chosen.max_retries <= n, "{s:?}");
            assert!(!render(Lang::Python, &s).contains("timeout=0.0,"), "{s:?}");
        }
    }

    #[test]
    fn issue_21_sizing_bugs() {
        // 3 s: one attempt, no retry, no "-0s" of backoff; said to be shorter than a completion needs.
        let py = render(Lang::Python, &size(Duration::from_secs(600), 2, Some(Duration::from_secs(3))));
        assert!(py.contains("0 retries (1 attempt), backoff at most 0s") && !py.contains("-0"), "{py}");
        assert!(py.contains("OpenAI(timeout=2.0, max_retries=0)") && py.contains("shorter than the 5s"), "{py}");
        // A millisecond timeout is printed as one, in every language's unit.
        let s = size(Duration::from_millis(1), 2, None);
        assert!(render(Lang::Python, &s).contains("OpenAI(timeout=0.001, max_retries=2)"));
        assert!(render(Lang::Node, &s).contains("timeout: 1, maxRetries: 2"));
        assert!(render(Lang::Bash, &s).contains("--max-time 0.001 "));
    }

    #[test]
    fn streaming_settings_are_sized_like_the_rest() {
        let lambda = size(Duration::from_secs(600), 2, Some(Duration::from_secs(30)));
        let py = render(Lang::Python, &lambda);
        assert!(py.contains("openai.Timeout(8.0, connect=5.0, read=8.0), max_retries=0"), "{py}");
        assert!(py.contains("range(3)") && py.contains("time.monotonic() - started > 27"), "{py}");
        let sdk = size(Duration::from_secs(600), 2, None);
        assert_eq!(stream_read(&sdk), 60.0, "a stalled stream does not hold for 600 s");
        assert!(!render(Lang::Python, &sdk).contains("time.monotonic() - started >"), "no deadline, no cut-off");
        assert!(render(Lang::Node, &lambda).contains("const READ_MS = 8000;"));
        assert!(render(Lang::Bash, &lambda).contains("--speed-time 8 --max-time 27"));
    }

    #[test]
    fn azure_recipes_use_the_azure_client_with_the_same_numbers() {
        let s = size(Duration::from_secs(600), 2, Some(Duration::from_secs(30)));
        let py = render_for(Lang::Python, Provider::Azure, &s);
        for line in [
            "client = AzureOpenAI(timeout=8.0, max_retries=2)",
            "client = openai.AzureOpenAI(timeout=8.0, max_retries=0)",
            "stream_client = openai.AzureOpenAI(timeout=openai.Timeout(8.0, connect=5.0, read=8.0), max_retries=0)",
        ] {
            assert!(py.lines().any(|l| l == line), "{line}\n{py}");
        }
        assert!(py.contains("OPENAI_API_VERSION") && !py.contains(" OpenAI("), "{py}");
        let node = render_for(Lang::Node, Provider::Azure, &s);
        assert!(
            node.contains("import { AzureOpenAI } from \"openai\";")
                && node.contains("new AzureOpenAI({ timeout: 8000, maxRetries: 2 })"),
            "{node}"
        );
        let bash = render_for(Lang::Bash, Provider::Azure, &s);
        assert!(
            bash.contains(r#"auth="api-key: $AZURE_OPENAI_API_KEY""#)
                && bash.contains("api-version=$OPENAI_API_VERSION"),
            "{bash}"
        );
        assert!(!bash.contains("'s "), "a quote inside ${{…:?…}} breaks bash: {bash}");
        assert_eq!(render_for(Lang::Python, Provider::Openai, &s), render(Lang::Python, &s));
    }

    /// Every curl command in `bash` (`curl -…`, continuation lines joined), commented or not.
    fn curl_commands(bash: &str) -> Vec<String> {
        let mut commands = Vec::new();
        let mut current: Option<String> = None;
        for line in bash.lines() {
            let line = line.trim_start_matches(['#', ' ']);
            let text = line.trim_end_matches('\\');
            match current.as_mut() {
                Some(c) => c.push_str(text),
                None if line.contains("curl -") => current = Some(text[text.find("curl -").unwrap()..].to_owned()),
                None => continue,
            }
            if !line.ends_with('\\') {
                commands.extend(current.take());
            }
        }
        commands
    }

    /// Issue 27 review: a key in curl's arguments is visible to every user through `ps`.
    #[test]
    fn no_bash_recipe_puts_the_key_on_curls_command_line() {
        for provider in [Provider::Openai, Provider::Azure] {
            for s in [
                size(Duration::from_secs(600), 2, None),
                size(Duration::from_secs(20), 3, Some(Duration::from_secs(60))),
            ] {
                let bash = render_for(Lang::Bash, provider, &s);
                let commands = curl_commands(&bash);
                assert_eq!(commands.len(), 2, "the loop's curl and the stream's: {commands:?}\n{bash}");
                for c in &commands {
                    for expansion in [
                        "$OPENAI_API_KEY",
                        "${OPENAI_API_KEY",
                        "$AZURE_OPENAI_API_KEY",
                        "${AZURE_OPENAI_API_KEY",
                        "$AZURE_OPENAI_AD_TOKEN",
                        "$auth",
                        "${auth",
                    ] {
                        assert!(!c.contains(expansion), "{expansion} in curl's arguments: {c}");
                    }
                    assert!(c.contains("-H @-"), "the header comes on stdin: {c}");
                }
                assert!(bash.contains("printf '%s\\n' \"$auth\" | curl "), "{bash}");
            }
        }
        // The check itself can fail: the old recipe's line is caught.
        let old = "  code=$(curl -sS --max-time 5 \\\n    \"$url\" -H \"$auth\" \\\n    -d @body.json) || code=000\n";
        assert!(curl_commands(old)[0].contains("-H \"$auth\""), "{:?}", curl_commands(old));
    }

    #[test]
    fn recipes_carry_the_numbers() {
        let s = size(Duration::from_secs(20), 3, None);
        let py = render(Lang::Python, &s);
        assert!(py.contains("OpenAI(timeout=20.0, max_retries=3)") && py.contains("stop_after_attempt(4)"), "{py}");
        assert!(!py.contains("APIErrors"), "the SDK has no such module");
        assert!(render(Lang::Node, &s).contains("timeout: 20000, maxRetries: 3"));
        assert!(render(Lang::Bash, &s).contains("--max-time 20"));
    }
}
