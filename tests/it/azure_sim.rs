//! `openai-doctor simulate --provider azure` against the official Python SDK's `AzureOpenAI`
//! client (and `OpenAI` on the v1 API): it succeeds where Azure would serve it, fails with the
//! SDK's exception class and Azure's own message where Azure refuses (key, Entra ID token, deployment,
//! api-version, operation, content filter), retries a 429 as long as its Retry-After says, and the
//! audit sees it all. `recipe --provider azure`, as printed, runs against it and passes. The key
//! never appears in any output.

use serde_json::Value;

use crate::simulate::{python_or_skip, verdict};
use crate::support::{doctor, run, write};

/// The resource's key in these tests: distinctive, so a leak is found.
const KEY: &str = "azure-sim-key-5f1c9e0b7a2d4c68";

/// `simulate --provider azure --format json --faults FAULTS [flags] -- command…` with the key in
/// the environment (where the SDK and the simulated resource both read it).
fn simulate(faults: &str, flags: &[&str], command: &[&str]) -> (Value, crate::support::Run) {
    let mut cmd = doctor();
    cmd.env("AZURE_OPENAI_API_KEY", KEY)
        .args(["simulate", "--provider", "azure", "--quiet", "--format", "json", "--faults", faults])
        .args(flags)
        .arg("--")
        .args(command);
    let r = run(&mut cmd, &[KEY]);
    let audit: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", r.stdout, r.stderr));
    (audit, r)
}

fn script(dir: &tempfile::TempDir, text: &str) -> String {
    write(dir.path(), "client.py", text).display().to_string()
}

fn paths(audit: &Value) -> Vec<String> {
    audit["timeline"].as_array().unwrap().iter().map(|a| format!("{} {}", a["method"], a["path"])).collect()
}

const HEALTHY: &str = r#"
import os
import openai
from openai import AzureOpenAI

client = AzureOpenAI()  # AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_API_KEY, OPENAI_API_VERSION
messages = [{"role": "user", "content": "hi"}]
raw = client.chat.completions.with_raw_response.create(model="gpt-4.1-nano", messages=messages)
reply = raw.parse()
print("chat:", reply.choices[0].message.content, reply.model)
print("headers:", " ".join(sorted(h for h in raw.headers if h in ("apim-request-id", "x-request-id", "x-ms-region", "azureml-model-session", "openai-organization"))))
print("models:", ",".join(m.id for m in client.models.list()))
chunks = list(client.chat.completions.create(model="gpt-4.1-nano", messages=[{"role": "user", "content": "stream"}], stream=True))
print("stream first chunk choices:", len(chunks[0].choices), "annotations" if chunks[0].model_extra.get("prompt_annotations") else "none")
print("stream:", "".join(c.choices[0].delta.content or "" for c in chunks if c.choices))
entra = AzureOpenAI(azure_ad_token=os.environ["AZURE_OPENAI_API_KEY"])  # sent as Authorization: Bearer
print("entra:", entra.chat.completions.create(model="gpt-4.1-nano", messages=[{"role": "user", "content": "entra"}]).choices[0].message.content)
print("embedding:", len(client.embeddings.create(model="text-embedding-3-small", input="x").data[0].embedding))
# The v1 API: the OpenAI client, the key as a Bearer token, the deployment as model, no api-version.
v1 = openai.OpenAI(base_url=os.environ["AZURE_OPENAI_ENDPOINT"] + "/openai/v1", api_key=os.environ["AZURE_OPENAI_API_KEY"])
print("v1:", v1.chat.completions.create(model="gpt-4.1-nano", messages=[{"role": "user", "content": "v1"}]).choices[0].message.content)
print("v1 models:", ",".join(m.id for m in v1.models.list()))
"#;

#[test]
fn the_azure_sdk_succeeds_where_azure_serves() {
    let Some(py) = python_or_skip("the_azure_sdk_succeeds_where_azure_serves") else { return };
    let dir = tempfile::tempdir().unwrap();
    let client = script(&dir, HEALTHY);
    let (audit, r) = simulate("", &[], &[&py, &client]);
    assert_eq!(audit["command"]["exit_code"], 0, "{}\n{}", r.stdout, r.stderr);
    let out = &r.stderr; // under --format json the command's stdout goes to stderr
    for line in [
        "chat: Simulated answer from openai-doctor. gpt-4.1-nano",
        "headers: apim-request-id azureml-model-session x-ms-region x-request-id",
        "models: gpt-4.1-nano,text-embedding-3-small",
        "stream first chunk choices: 0 annotations",
        "stream: Simulated answer from openai-doctor.",
        "entra: Simulated answer from openai-doctor.",
        "embedding: 8",
        "v1: Simulated answer from openai-doctor.",
        "v1 models: gpt-4.1-nano,text-embedding-3-small",
    ] {
        assert!(out.lines().any(|l| l == line), "missing `{line}` in:\n{out}");
    }
    assert!(r.stderr.contains("simulate: Azure OpenAI: deployments gpt-4.1-nano, text-embedding-3-small;"));
    assert_eq!(
        paths(&audit),
        [
            r#""POST" "/openai/deployments/gpt-4.1-nano/chat/completions""#,
            r#""GET" "/openai/models""#,
            r#""POST" "/openai/deployments/gpt-4.1-nano/chat/completions""#,
            r#""POST" "/openai/deployments/gpt-4.1-nano/chat/completions""#,
            r#""POST" "/openai/deployments/text-embedding-3-small/embeddings""#,
            r#""POST" "/openai/v1/chat/completions""#,
            r#""GET" "/openai/v1/models""#,
        ]
    );
    assert_eq!(audit["clients"][0], "python");
    for v in audit["verdicts"].as_array().unwrap() {
        assert_ne!(v["verdict"], "fail", "{v}");
    }
}

const REFUSED: &str = r#"
import os
import openai
from openai import AzureOpenAI

endpoint, key = os.environ["AZURE_OPENAI_ENDPOINT"], os.environ["AZURE_OPENAI_API_KEY"]

def ask(name, client, **kwargs):
    kwargs.setdefault("model", "gpt-4.1-nano")
    try:
        client.chat.completions.create(messages=[{"role": "user", "content": name}], **kwargs)
        print(name, "ok")
    except openai.APIStatusError as e:
        print(name, type(e).__name__, e.status_code, e.code, "|", e.message)

ask("wrong-key", AzureOpenAI(api_key="not-the-resource-key"))
ask("wrong-token", AzureOpenAI(azure_ad_token="not-a-token-of-this-tenant"))
ask("unknown-deployment", AzureOpenAI(), model="gpt-4o")
ask("unsupported-version", AzureOpenAI(api_version="2019-01-01"))
# The OpenAI client pointed at a deployment: the key as api-key, but no api-version.
ask("no-version", openai.OpenAI(base_url=endpoint + "/openai/deployments/gpt-4.1-nano", api_key="unused", default_headers={"api-key": key}))
ask("wrong-operation", AzureOpenAI(), model="text-embedding-3-small")
ask("content-filtered", AzureOpenAI())
ask("healthy", AzureOpenAI())
"#;

#[test]
fn the_azure_sdk_fails_where_azure_refuses_with_azures_words() {
    let Some(py) = python_or_skip("the_azure_sdk_fails_where_azure_refuses_with_azures_words") else { return };
    let dir = tempfile::tempdir().unwrap();
    let client = script(&dir, REFUSED);
    // The one fault goes to the first request Azure would serve: refusals draw none.
    let (audit, r) = simulate("content-filter", &[], &[&py, &client]);
    assert_eq!(audit["command"]["exit_code"], 0, "{}", r.stderr);
    for (name, class, words) in [
        (
            "wrong-key",
            "AuthenticationError 401 401",
            "Access denied due to invalid subscription key or wrong API endpoint.",
        ),
        // A rejected Entra ID token gets Azure's words for a token (no `error` envelope, so no
        // code), not the key's.
        (
            "wrong-token",
            "AuthenticationError 401 None",
            "Unauthorized. Access token is missing, invalid, audience is incorrect (https://cognitiveservices.azure.com), or have expired.",
        ),
        (
            "unknown-deployment",
            "NotFoundError 404 DeploymentNotFound",
            "The API deployment for this resource does not exist.",
        ),
        ("unsupported-version", "BadRequestError 400 BadRequest", "API version not supported"),
        ("no-version", "NotFoundError 404 404", "Resource not found"),
        (
            "wrong-operation",
            "BadRequestError 400 OperationNotSupported",
            "The chatCompletion operation does not work with the specified model, text-embedding-3-small.",
        ),
        ("content-filtered", "BadRequestError 400 content_filter", "Azure OpenAI's content management policy"),
    ] {
        let line = r
            .stderr
            .lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("{name}: {}", r.stderr));
        assert!(line.starts_with(&format!("{name} {class} |")) && line.contains(words), "{line}");
    }
    assert!(r.stderr.lines().any(|l| l == "healthy ok"), "{}", r.stderr);
    // The SDK retries none of them: one attempt each, and the audit says so.
    assert_eq!((audit["attempts"].as_u64(), audit["requests"].as_u64()), (Some(8), Some(8)), "{audit}");
    assert_eq!(verdict(&audit, "no_retry_on_permanent_errors"), "pass", "{audit}");
    let faults: Vec<&str> =
        audit["timeline"].as_array().unwrap().iter().map(|a| a["fault"].as_str().unwrap()).collect();
    assert_eq!(
        faults,
        [
            "401 Azure: invalid key",
            "401 Azure: bearer token rejected",
            "404 Azure: DeploymentNotFound",
            "400 Azure: api-version not supported",
            "404 Azure: no api-version",
            "400 Azure: OperationNotSupported",
            "400 content_filter",
            "ok"
        ]
    );
}

#[test]
fn the_azure_sdk_retries_a_429_as_long_as_retry_after_says_and_the_audit_sees_it() {
    let Some(py) = python_or_skip("the_azure_sdk_retries_a_429_as_long_as_retry_after_says_and_the_audit_sees_it")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let client = script(
        &dir,
        "from openai import AzureOpenAI\nr = AzureOpenAI().chat.completions.create(model=\"gpt-4.1-nano\", messages=[{\"role\": \"user\", \"content\": \"hi\"}])\nprint(r.choices[0].message.content)\n",
    );
    // Azure's Retry-After is whole seconds: 1.5 is sent as 2, and the SDK waits that.
    let (audit, r) = simulate("500,429:1.5", &[], &[&py, &client]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!((audit["attempts"].as_u64(), audit["requests"].as_u64()), (Some(3), Some(1)), "{audit}");
    let at: Vec<f64> =
        audit["timeline"].as_array().unwrap().iter().map(|a| a["at_ms"].as_f64().unwrap() / 1000.0).collect();
    assert!((0.37..0.7).contains(&(at[1] - at[0])), "the SDK's first backoff: {at:?}");
    assert!(at[2] - at[1] >= 1.95, "Retry-After: 2 honoured: {at:?}");
    for id in ["sends_requests", "retries_transient_errors", "backoff", "honours_retry_after"] {
        assert_eq!(verdict(&audit, id), "pass", "{id}: {audit}");
    }
    let recipe = audit["recipe"]["text"].as_str().unwrap();
    assert!(recipe.contains("client = AzureOpenAI(timeout=600.0, max_retries=2)"), "{recipe}");
}

#[test]
fn the_azure_recipes_pass_the_audit() {
    let Some(py) = python_or_skip("the_azure_recipes_pass_the_audit") else { return };
    let recipe = run(doctor().args(["recipe", "python", "--provider", "azure", "--platform-deadline", "60"]), &[]);
    assert_eq!(recipe.code, 0, "{}", recipe.stderr);
    assert!(
        recipe.stdout.contains("openai.AzureOpenAI(timeout=") && !recipe.stdout.contains(" OpenAI("),
        "{}",
        recipe.stdout
    );
    let dir = tempfile::tempdir().unwrap();
    let client = script(
        &dir,
        &format!(
            "{}\nprint(create_chat(model=\"gpt-4.1-nano\", messages=[{{\"role\": \"user\", \"content\": \"hi\"}}]).choices[0].message.content)\nprint(stream_chat(model=\"gpt-4.1-nano\", messages=[{{\"role\": \"user\", \"content\": \"stream\"}}]))\n",
            recipe.stdout
        ),
    );
    let (audit, r) = simulate("500,429:1", &["--platform-deadline", "60"], &[&py, &client]);
    assert_eq!(audit["command"]["exit_code"], 0, "{}", r.stderr);
    assert_eq!(r.stderr.matches("Simulated answer from openai-doctor.").count(), 2, "{}", r.stderr);
    assert_eq!(audit["attempts"], 4, "three for the call, one for the stream: {audit}");
    for v in audit["verdicts"].as_array().unwrap() {
        assert_ne!(v["verdict"], "fail", "{v}");
    }
    for id in ["retries_transient_errors", "backoff", "honours_retry_after", "fits_platform_deadline"] {
        assert_eq!(verdict(&audit, id), "pass", "{id}: {audit}");
    }
    // A content filter is not retried by the recipe.
    let (audit, _) = simulate("content-filter", &[], &[&py, &client]);
    assert_eq!(audit["command"]["exit_code"], 1, "BadRequestError raised");
    assert_eq!(audit["attempts"], 1, "{audit}");
    assert_eq!(verdict(&audit, "no_retry_on_permanent_errors"), "pass", "{audit}");
}

#[test]
fn the_azure_bash_recipe_passes() {
    let recipe =
        run(doctor().args(["recipe", "bash", "--provider", "azure", "--timeout", "10", "--max-retries", "3"]), &[]);
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "body.json", r#"{"messages":[{"role":"user","content":"hi"}]}"#);
    write(dir.path(), "recipe.sh", &recipe.stdout);
    // curl's arguments are logged (what `ps` shows other users): the key must not be among them.
    let (curl_dir, path) = crate::hardening_two::argv_logging_curl();
    let cd = format!(
        "cd {} && PATH='{}' AZURE_OPENAI_DEPLOYMENT=gpt-4.1-nano bash recipe.sh",
        dir.path().display(),
        path.to_string_lossy()
    );
    let (audit, r) = simulate("500,429:1,disconnect", &[], &["sh", "-c", &cd]);
    assert_eq!(audit["command"]["exit_code"], 0, "{}\n{}", r.stderr, recipe.stdout);
    assert_eq!(audit["attempts"], 4, "{audit}");
    let argv = std::fs::read_to_string(curl_dir.path().join("argv.log")).unwrap();
    assert_eq!(argv.matches("@-").count(), 4, "the header on stdin, each attempt:\n{argv}");
    assert!(!argv.contains(KEY), "the key on curl's command line:\n{argv}");
    assert!(paths(&audit).iter().all(|p| p.contains("/openai/deployments/gpt-4.1-nano/chat/completions")));
    for id in ["retries_transient_errors", "backoff", "honours_retry_after"] {
        assert_eq!(verdict(&audit, id), "pass", "{id}: {audit}");
    }
    // A deployment the resource does not have: Azure's 404, not retried.
    let wrong = format!("cd {} && AZURE_OPENAI_DEPLOYMENT=gpt-4o bash recipe.sh", dir.path().display());
    let (audit, r) = simulate("", &[], &["sh", "-c", &wrong]);
    assert_eq!(audit["command"]["exit_code"], 1);
    assert_eq!(audit["attempts"], 1, "{audit}");
    assert!(r.stderr.contains("DeploymentNotFound"), "{}", r.stderr);
}

#[test]
fn deployments_and_versions_can_be_chosen_and_bad_ones_are_usage_errors() {
    let Some(py) = python_or_skip("deployments_and_versions_can_be_chosen_and_bad_ones_are_usage_errors") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let client = script(
        &dir,
        "from openai import AzureOpenAI\nimport os\nprint(os.environ['OPENAI_API_VERSION'])\nprint(AzureOpenAI().chat.completions.create(model=\"chat\", messages=[]).model)\n",
    );
    let flags = ["--deployment", "chat=gpt-4o", "--api-version", "2025-04-01-preview"];
    let (audit, r) = simulate("", &flags, &[&py, &client]);
    assert_eq!(audit["command"]["exit_code"], 0, "{}", r.stderr);
    assert!(
        r.stderr.lines().any(|l| l == "2025-04-01-preview") && r.stderr.lines().any(|l| l == "gpt-4o"),
        "{}",
        r.stderr
    );

    for (args, words) in [
        (vec!["--provider", "azure", "--faults", "quota"], "is not an answer of Azure OpenAI"),
        (vec!["--provider", "azure", "--faults", "503"], "is not an answer of Azure OpenAI"),
        (vec!["--faults", "content-filter"], "add --provider azure"),
        (vec!["--deployment", "x"], "need --provider azure"),
        (vec!["--provider", "azure", "--deployment", "a b"], "NAME or NAME=MODEL"),
        (vec!["--provider", "azure", "--api-version", "2024 10"], "--api-version `2024 10`"),
    ] {
        let r = run(doctor().env("AZURE_OPENAI_API_KEY", KEY).arg("simulate").args(&args).args(["--", "true"]), &[KEY]);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(words), "{args:?}: {}", r.stderr);
    }
}
