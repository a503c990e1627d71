//! Azure OpenAI and OpenAI-compatible endpoints, end to end: a loopback HTTPS resource named
//! `res.openai.azure.com` (pinned with `--resolve`, a certificate for that name from the test CA) that is as strict as Azure — the `api-key` header, an `api-version` on every request,
//! the deployment in the path — and answers with Azure's real bodies
//! (`tests/fixtures/answers/azure/`, sources in each file). The doctor must call it as the
//! `AzureOpenAI` client does, from the environment that client reads.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use crate::support::answers;
use crate::support::dns::{self, Dns};
use crate::support::pki::{Pki, Validity};
use crate::support::server::{self, Reply, Seen, Server};
use crate::support::{doctor, run};

/// An Azure resource key's shape (32 hexadecimal digits); tests assert it never shows.
const AZURE_KEY: &str = "0badc0de0badc0de1234567890abcdef";
const DEPLOYMENT: &str = "chat-prod";
const VERSIONS: &[&str] = &["2024-10-21", "2024-06-01"];

struct Resource {
    pki: Pki,
    api: Server,
    dns: Dns,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Resource {
    fn endpoint(&self) -> String {
        format!("https://res.openai.azure.com:{}", self.api.addr.port())
    }

    /// Flags that keep every lookup and connection on loopback: the endpoint's name pinned with
    /// `--resolve`, as a user pins a private endpoint; any other lookup goes to the loopback
    /// nameserver, which knows no other name.
    fn net_args(&self) -> Vec<String> {
        vec![
            "--resolve".into(),
            format!("res.openai.azure.com:{}:127.0.0.1", self.api.addr.port()),
            "--dns-server".into(),
            self.dns.arg(),
            "--ca-file".into(),
            self.pki.ca_file.display().to_string(),
        ]
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

/// Azure's answers, by its rules: auth first, then the api-version, then the route.
fn azure(s: &Seen) -> Reply {
    let (path, query) = s.path.split_once('?').unwrap_or((&s.path, ""));
    let version = query.split('&').find_map(|kv| kv.strip_prefix("api-version="));
    let bearer = s.header("authorization").and_then(|v| v.strip_prefix("Bearer "));
    let authed = s.header("api-key") == Some(AZURE_KEY) || bearer.is_some_and(|t| t.starts_with("eyJ"));
    let with_ids = |r: Reply| {
        r.header("apim-request-id", "bb943c68-99ed-46ab-bda9-a5efbdf5897a")
            .header("x-request-id", "3a8b1a44-a02c-4a07-b51d-1c88acec4c4f")
            .header("x-ms-region", "Sweden Central")
    };
    // The v1 API takes the key as a bearer token too, and no dated api-version.
    let v1_authed = bearer == Some(AZURE_KEY) || s.header("api-key") == Some(AZURE_KEY);
    if let Some(rest) = path.strip_prefix("/openai/v1/") {
        if !v1_authed {
            return with_ids(answers::reply("azure/invalid_key_401.http"));
        }
        let model = serde_json::from_slice::<Value>(&s.body).ok().and_then(|b| b["model"].as_str().map(str::to_owned));
        return match (s.method.as_str(), rest, model.as_deref()) {
            ("GET", "models", _) => with_ids(Reply::json(
                200,
                &json!({"object": "list", "data": [{"id": "gpt-4o-mini", "object": "model"}]}),
            )),
            ("POST", "chat/completions", Some(DEPLOYMENT)) => with_ids(Reply::json(
                200,
                &json!({"id": "chatcmpl-2", "object": "chat.completion", "model": "gpt-4o-mini",
                        "choices": [{"index": 0, "finish_reason": "length", "message": {"role": "assistant", "content": "Hi"}}]}),
            )),
            ("POST", "chat/completions", _) => with_ids(answers::reply("azure/deployment_not_found_404.http")),
            _ => with_ids(answers::reply("azure/resource_not_found_404.http")),
        };
    }
    if !authed {
        // A bearer that is no Entra token (a key sent as one, by the plain client) gets Azure's
        // token answer; a wrong or missing api-key its key answer.
        if bearer.is_some() {
            return with_ids(answers::reply("azure/entra_token_rejected_401.http"));
        }
        return with_ids(answers::reply("azure/invalid_key_401.http"));
    }
    let Some(version) = version else {
        return with_ids(answers::reply("azure/missing_api_version_404.http"));
    };
    if !VERSIONS.contains(&version) {
        return with_ids(answers::reply("azure/api_version_not_supported_400.http"));
    }
    match (s.method.as_str(), path) {
        ("GET", "/openai/models") => with_ids(Reply::json(
            200,
            &json!({"object": "list", "data": [{"id": "gpt-4o-mini-2024-07-18", "object": "model"}]}),
        )),
        ("POST", p) if p.starts_with("/openai/deployments/") && p.ends_with("/chat/completions") => {
            let deployment = p.trim_start_matches("/openai/deployments/").trim_end_matches("/chat/completions");
            if deployment != DEPLOYMENT {
                return with_ids(answers::reply("azure/deployment_not_found_404.http"));
            }
            with_ids(Reply::json(
                200,
                &json!({"id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-4o-mini-2024-07-18",
                        "choices": [{"index": 0, "finish_reason": "length", "message": {"role": "assistant", "content": "Hi"}}],
                        "usage": {"prompt_tokens": 8, "completion_tokens": 1, "total_tokens": 9}}),
            ))
        }
        _ => with_ids(answers::reply("azure/resource_not_found_404.http")),
    }
}

fn resource() -> Resource {
    let pki = Pki::new("Doctor Test Root", "openai-doctor tests");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let api = server::https(pki.server_config(&["res.openai.azure.com"], Validity::Current), move |s| {
        log.lock().unwrap().push(s.clone());
        azure(s)
    });
    let dns = dns::serve(&[]);
    Resource { pki, api, dns, seen }
}

/// The doctor with an Azure app's environment (no OPENAI_API_KEY at all).
fn azure_doctor(r: &Resource, vars: &[(&str, &str)]) -> assert_cmd::Command {
    let mut cmd = doctor();
    cmd.env_remove("OPENAI_API_KEY").env("AZURE_OPENAI_ENDPOINT", r.endpoint());
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd.args(r.net_args()).args(["--format", "json", "--only", "dns,tls,probe,stream", "--deadline", "15"]);
    cmd
}

fn codes(doc: &Value, id: &str) -> Vec<String> {
    let check = doc["checks"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap();
    check["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap().to_owned()).collect()
}

#[test]
fn the_azure_client_is_called_as_the_sdk_calls_it() {
    let r = resource();
    let out = run(
        azure_doctor(&r, &[("AZURE_OPENAI_API_KEY", AZURE_KEY), ("OPENAI_API_VERSION", "2024-10-21")])
            .args(["--model", DEPLOYMENT, "--probes", "2"]),
        &[AZURE_KEY],
    );
    let doc = out.json();
    assert_eq!(doc["target"]["provider"], "azure", "{doc}");
    assert!(doc["target"]["provider_why"].as_str().unwrap().contains("AZURE_OPENAI_ENDPOINT"), "{doc}");
    assert_eq!(doc["checks"].as_array().unwrap().iter().find(|c| c["id"] == "probe").unwrap()["status"], "pass");
    let seen = r.seen();
    assert!(seen.iter().any(|s| s.path == "/openai/models?api-version=2024-10-21"), "{seen:?}");
    assert!(
        seen.iter()
            .any(|s| s.path == format!("/openai/deployments/{DEPLOYMENT}/chat/completions?api-version=2024-10-21")),
        "{seen:?}"
    );
    for s in &seen {
        assert_eq!(s.header("api-key"), Some(AZURE_KEY), "the key goes in api-key: {s:?}");
        assert!(s.header("authorization").is_none(), "no bearer with an Azure key: {s:?}");
        // Every request of the deployments API carries the api-version; the one look at the v1
        // API (which takes none) is the offer below.
        assert!(
            s.path.contains("api-version=2024-10-21") || s.path == "/openai/v1/models",
            "api-version on every request: {s:?}"
        );
    }
    // The resource also serves the v1 API: said as information, once.
    assert_eq!(seen.iter().filter(|s| s.path == "/openai/v1/models").count(), 1, "{seen:?}");
    assert!(codes(&doc, "probe").contains(&"probe.azure_v1".to_owned()), "{doc}");
    assert_eq!(doc["verdict"]["status"], "warn", "an offer is no failure (tls warns on the test CA): {doc}");
    // Azure's own request id is kept for its support, beside x-request-id.
    let requests = doc["requests"].as_array().unwrap();
    assert!(requests.iter().any(|q| q["apim_request_id"] == "bb943c68-99ed-46ab-bda9-a5efbdf5897a"), "{doc}");
    // The bundle keeps Azure's request id and never the key (its environment file included).
    let dir = tempfile::tempdir().unwrap();
    run(
        azure_doctor(&r, &[("AZURE_OPENAI_API_KEY", AZURE_KEY), ("OPENAI_API_VERSION", "2024-10-21")])
            .current_dir(dir.path())
            .args(["--model", DEPLOYMENT, "--probes", "1", "--bundle"]),
        &[AZURE_KEY],
    );
    let files = crate::bundle::unzip(&crate::bundle::bundle_in(dir.path()));
    assert!(
        files.iter().any(|(_, text)| text.contains("bb943c68-99ed-46ab-bda9-a5efbdf5897a")),
        "apim-request-id kept"
    );
    assert!(files.iter().any(|(_, text)| text.contains("AZURE_OPENAI_API_KEY")), "the variable is named");
    for (name, text) in &files {
        assert!(!text.contains(AZURE_KEY), "the Azure key in {name}");
    }
    // The table names the provider and why.
    let table = run(
        azure_doctor(&r, &[("AZURE_OPENAI_API_KEY", AZURE_KEY), ("OPENAI_API_VERSION", "2024-10-21")])
            .args(["--model", DEPLOYMENT, "--probes", "1", "--format", "table"]),
        &[AZURE_KEY],
    );
    assert!(
        table.stdout.contains("provider Azure OpenAI (api-version 2024-10-21) · AZURE_OPENAI_ENDPOINT is set"),
        "{}",
        table.stdout
    );
}

#[test]
fn an_entra_token_goes_as_a_bearer_and_wins_over_the_key() {
    let r = resource();
    let token = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJjb2duaXRpdmVzZXJ2aWNlcyJ9.c2lnbmF0dXJlLXNlY3JldA";
    let out = run(
        azure_doctor(
            &r,
            &[
                ("AZURE_OPENAI_AD_TOKEN", token),
                ("AZURE_OPENAI_API_KEY", "wrong"),
                ("OPENAI_API_VERSION", "2024-06-01"),
            ],
        )
        .args(["--model", DEPLOYMENT, "--probes", "1", "--only", "probe"]),
        &[token],
    );
    assert_eq!(out.code, 0, "{}", out.stdout);
    for s in r.seen() {
        assert_eq!(s.header("authorization"), Some(format!("Bearer {token}").as_str()));
        assert!(s.header("api-key").is_none());
    }
}

#[test]
fn without_api_version_nothing_is_sent_and_the_fix_names_the_variable() {
    let r = resource();
    let out = run(azure_doctor(&r, &[("AZURE_OPENAI_API_KEY", AZURE_KEY)]).args(["--model", DEPLOYMENT]), &[AZURE_KEY]);
    let doc = out.json();
    assert_eq!(out.code, 1);
    assert_eq!(codes(&doc, "probe"), ["probe.azure_api_version"]);
    assert_eq!(doc["verdict"]["root_cause"], "probe");
    assert!(doc.to_string().contains("export OPENAI_API_VERSION="), "{doc}");
    assert!(r.seen().is_empty(), "the AzureOpenAI client cannot send without it: {:?}", r.seen());
}

#[test]
fn without_a_deployment_the_chat_is_not_aimed_at_a_model_name() {
    let r = resource();
    let out = run(
        azure_doctor(&r, &[("AZURE_OPENAI_API_KEY", AZURE_KEY), ("OPENAI_API_VERSION", "2024-10-21")])
            .args(["--probes", "1"]),
        &[AZURE_KEY],
    );
    let doc = out.json();
    assert_eq!(codes(&doc, "probe"), ["probe.azure_deployment", "probe.azure_v1"], "{doc}");
    assert!(r.seen().iter().all(|s| !s.path.contains("/deployments/")), "{:?}", r.seen());
    let stream = doc["checks"].as_array().unwrap().iter().find(|c| c["id"] == "stream").unwrap();
    assert!(stream["summary"].as_str().unwrap().contains("no Azure OpenAI deployment named"), "{stream}");
    // A deployment named in the variable Azure's samples use is taken, and said.
    let out = run(
        azure_doctor(
            &r,
            &[
                ("AZURE_OPENAI_API_KEY", AZURE_KEY),
                ("OPENAI_API_VERSION", "2024-10-21"),
                ("AZURE_OPENAI_DEPLOYMENT_NAME", DEPLOYMENT),
            ],
        )
        .args(["--probes", "1", "--only", "probe"]),
        &[AZURE_KEY],
    );
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(out.json()["target"]["model"], DEPLOYMENT);
}

#[test]
fn azure_refusals_are_azures_with_azures_fixes() {
    let r = resource();
    // An OpenAI platform key sent to Azure, and a deployment that does not exist.
    let out = run(
        azure_doctor(&r, &[("AZURE_OPENAI_API_KEY", crate::support::FAKE_KEY), ("OPENAI_API_VERSION", "2024-10-21")])
            .args(["--model", DEPLOYMENT, "--probes", "1", "--only", "probe"]),
        &[],
    );
    let doc = out.json();
    assert_eq!(out.code, 1);
    let text = doc["checks"].to_string();
    assert!(codes(&doc, "probe").contains(&"probe.key_other_vendor".to_owned()), "{doc}");
    assert!(text.contains("Keys and Endpoint"), "{text}");
    assert!(!text.contains("platform.openai.com/api-keys"), "no OpenAI advice for an Azure key: {text}");
    let requests = doc["requests"].as_array().unwrap();
    assert!(requests.iter().all(|q| q["answered_by"]["sender"] == "azure"), "{doc}");
    assert!(text.contains("x-ms-region: Sweden Central"), "the region that answered is named: {text}");

    let out = run(
        azure_doctor(&r, &[("AZURE_OPENAI_API_KEY", AZURE_KEY), ("OPENAI_API_VERSION", "2024-10-21")])
            .args(["--model", "gpt-4o", "--probes", "1", "--only", "probe"]),
        &[AZURE_KEY],
    );
    let text = out.json()["checks"].to_string();
    assert!(text.contains("deployment"), "DeploymentNotFound is named: {text}");
    assert!(r.seen().iter().any(|s| s.path.starts_with("/openai/deployments/gpt-4o/chat/completions")));

    // A version Azure does not serve: its own 400.
    let out = run(
        azure_doctor(&r, &[("AZURE_OPENAI_API_KEY", AZURE_KEY), ("OPENAI_API_VERSION", "2099-01-01")])
            .args(["--model", DEPLOYMENT, "--probes", "1", "--only", "probe"]),
        &[AZURE_KEY],
    );
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(out.json()["checks"].to_string().contains("api-version"), "{}", out.stdout);
}

#[test]
fn azure_is_read_from_the_apps_environment_with_pid() {
    let r = resource();
    let mut app = std::process::Command::new("sleep")
        .arg("30")
        .env_clear()
        .env("AZURE_OPENAI_ENDPOINT", r.endpoint())
        .env("AZURE_OPENAI_API_KEY", AZURE_KEY)
        .env("OPENAI_API_VERSION", "2024-10-21")
        .env("AZURE_OPENAI_DEPLOYMENT", DEPLOYMENT)
        .spawn()
        .unwrap();
    let pid = app.id().to_string();
    // The doctor's own environment says OpenAI; the app's says Azure, and the app's wins.
    let out = run(
        doctor().args(["--pid", &pid, "--format", "json", "--only", "probe", "--probes", "1"]).args(r.net_args()),
        &[AZURE_KEY],
    );
    let _ = app.kill();
    let _ = app.wait();
    let doc = out.json();
    assert_eq!(doc["target"]["provider"], "azure", "{doc}");
    assert_eq!(doc["target"]["model"], DEPLOYMENT, "{doc}");
    assert_eq!(out.code, 0, "{doc}");
    assert!(r.seen().iter().all(|s| s.header("api-key") == Some(AZURE_KEY)));
}

#[test]
fn a_compatible_server_is_not_judged_as_openai() {
    let api = server::http(|s| {
        if s.header("authorization") != Some("Bearer local-key") {
            return Reply::json(401, &json!({"error": {"message": "bad key"}}));
        }
        Reply::json(200, &json!({"object": "list", "data": [{"id": "llama3", "object": "model"}]}))
    });
    let out = run(
        doctor()
            .env("OPENAI_API_KEY", "local-key")
            .env("OPENAI_BASE_URL", format!("http://127.0.0.1:{}/v1", api.addr.port()))
            .args(["--format", "json", "--only", "probe", "--no-billable", "--probes", "1"]),
        &["local-key"],
    );
    let doc = out.json();
    assert_eq!(doc["target"]["provider"], "compatible", "{doc}");
    assert!(doc["target"]["provider_why"].as_str().unwrap().contains("not OpenAI's API"), "{doc}");
    // A local server's key has any shape: no "does not start with sk-".
    assert!(codes(&doc, "probe").iter().all(|c| c != "probe.key_format"), "{doc}");
    assert_eq!(out.code, 0, "{doc}");
}

#[test]
fn a_forced_provider_without_an_endpoint_is_a_usage_error() {
    let out = run(doctor().args(["--provider", "azure", "--only", "probe"]), &[]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("--azure-endpoint"), "{}", out.stderr);
    let out = run(doctor().args(["--provider", "aws"]), &[]);
    assert_eq!(out.code, 2, "{out:?}");
}

/// The Python SDK's `AzureOpenAI` client, one chat completion through the deployment; prints
/// `ok` or the exception's class.
const SDK_CHAT: &str = r#"
import sys
from openai import AzureOpenAI
try:
    AzureOpenAI(max_retries=2).chat.completions.create(model=sys.argv[1], messages=[{"role": "user", "content": "hi"}])
    print("ok")
except Exception as e:
    print(type(e).__name__)
"#;

#[test]
fn the_doctor_and_the_azure_sdk_agree_on_simulated_azure() {
    let Some(py) = crate::simulate::python_or_skip("the_doctor_and_the_azure_sdk_agree_on_simulated_azure") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let client = crate::support::write(dir.path(), "chat.py", SDK_CHAT);
    let key = "azure-agree-key-3c5e7a9b1d";
    // (faults, deployment the app names, the SDK's outcome, the doctor's exit)
    let worlds: &[(&str, &str, &str, i32)] = &[
        ("", "gpt-4.1-nano", "ok", 0),
        ("429:1", "gpt-4.1-nano", "ok", 0),
        ("", "gpt-4o-prod", "NotFoundError", 1),
        ("500x40", "gpt-4.1-nano", "InternalServerError", 1),
        ("401x40", "gpt-4.1-nano", "AuthenticationError", 1),
    ];
    for &(faults, deployment, sdk_says, doctor_exit) in worlds {
        let sim =
            crate::support::simulated::start_with(faults, &["--provider", "azure"], &[("AZURE_OPENAI_API_KEY", key)]);
        let endpoint = format!("http://127.0.0.1:{}", sim.port);
        let vars = [
            ("AZURE_OPENAI_ENDPOINT", endpoint.as_str()),
            ("AZURE_OPENAI_API_KEY", key),
            ("OPENAI_API_VERSION", "2024-10-21"),
        ];
        let sdk = std::process::Command::new(&py)
            .arg(&client)
            .arg(deployment)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(vars)
            .output()
            .unwrap();
        let sdk_out = String::from_utf8_lossy(&sdk.stdout).trim().to_owned();
        assert_eq!(sdk_out, sdk_says, "{faults:?}/{deployment}: {}", String::from_utf8_lossy(&sdk.stderr));
        drop(sim);
        // A fresh plan for the doctor: the same world, from its start.
        let sim =
            crate::support::simulated::start_with(faults, &["--provider", "azure"], &[("AZURE_OPENAI_API_KEY", key)]);
        let endpoint = format!("http://127.0.0.1:{}", sim.port);
        let mut cmd = doctor();
        cmd.env_remove("OPENAI_API_KEY").envs(vars).env("AZURE_OPENAI_ENDPOINT", &endpoint).args([
            "--only",
            "probe",
            "--probes",
            "2",
            "--model",
            deployment,
            "--format",
            "json",
            "--deadline",
            "15",
        ]);
        let out = run(&mut cmd, &[key]);
        let doc = out.json();
        assert_eq!(out.code, doctor_exit, "{faults:?}/{deployment}: the SDK says {sdk_says}, the doctor: {doc}");
        assert_eq!(doc["target"]["provider"], "azure");
        if doctor_exit == 1 {
            let text = doc["checks"].to_string();
            assert!(!text.contains("platform.openai.com"), "Azure's advice, not OpenAI's: {text}");
        }
    }
}

#[test]
fn the_v1_api_is_called_with_the_plain_client_and_the_deployment_as_model() {
    let r = resource();
    let out = run(
        doctor()
            .env("OPENAI_API_KEY", AZURE_KEY)
            .env("OPENAI_BASE_URL", format!("{}/openai/v1", r.endpoint()))
            .args(r.net_args())
            .args(["--format", "json", "--only", "dns,tls,probe,stream", "--deadline", "15", "--probes", "1"])
            .args(["--model", DEPLOYMENT]),
        &[AZURE_KEY],
    );
    let doc = out.json();
    assert_eq!(doc["target"]["provider"], "azure", "{doc}");
    assert_eq!(doc["target"]["provider_name"], "Azure OpenAI (v1 API)", "{doc}");
    let probe = doc["checks"].as_array().unwrap().iter().find(|c| c["id"] == "probe").unwrap().clone();
    assert_eq!(probe["status"], "pass", "{probe}");
    let seen = r.seen();
    assert!(seen.iter().any(|s| s.path == "/openai/v1/models"), "{seen:?}");
    assert!(seen.iter().any(|s| s.path == "/openai/v1/chat/completions"), "{seen:?}");
    for s in &seen {
        assert_eq!(
            s.header("authorization"),
            Some(format!("Bearer {AZURE_KEY}").as_str()),
            "the plain client's bearer"
        );
        assert!(!s.path.contains("api-version"), "the v1 API needs none: {s:?}");
    }
    // Without a deployment named, the v1 API is not sent a model's name either.
    let out = run(
        doctor()
            .env("OPENAI_API_KEY", AZURE_KEY)
            .env("OPENAI_BASE_URL", format!("{}/openai/v1/", r.endpoint()))
            .args(r.net_args())
            .args(["--format", "json", "--only", "probe", "--deadline", "15", "--probes", "1"]),
        &[AZURE_KEY],
    );
    assert_eq!(codes(&out.json(), "probe"), ["probe.azure_deployment"], "{}", out.stdout);
}

#[test]
fn the_openai_client_at_the_deployments_api_is_sent_as_the_app_sends_it() {
    // OPENAI_BASE_URL at …/openai (not the v1 API): only the plain OpenAI client reads it, and it
    // sends OpenAI's paths with the key as a bearer token; Azure refuses, and says why.
    let r = resource();
    let out = run(
        doctor()
            .env("OPENAI_API_KEY", AZURE_KEY)
            .env("AZURE_OPENAI_API_KEY", AZURE_KEY)
            .env("OPENAI_API_VERSION", "2024-10-21")
            .env("OPENAI_BASE_URL", format!("{}/openai", r.endpoint()))
            .args(r.net_args())
            .args(["--format", "json", "--only", "probe", "--deadline", "15", "--probes", "1", "--model", DEPLOYMENT]),
        &[AZURE_KEY],
    );
    let doc = out.json();
    assert_eq!(out.code, 1, "{doc}");
    assert_eq!(codes(&doc, "probe")[0], "probe.azure_client", "{doc}");
    let seen = r.seen();
    assert!(seen.iter().all(|s| s.path == "/openai/models" || s.path == "/openai/chat/completions"), "{seen:?}");
    assert!(seen.iter().all(|s| s.header("api-key").is_none() && s.header("authorization").is_some()), "{seen:?}");
    let text = doc["checks"].to_string();
    assert!(text.contains("/openai/v1/") && text.contains("AZURE_OPENAI_ENDPOINT"), "both ways out are named: {text}");
    assert!(text.contains("Access token is missing"), "Azure's own answer is quoted: {text}");
}

#[test]
fn typed_flags_win_and_broken_urls_are_not_sent() {
    let r = resource();
    // --azure-endpoint typed wins over OPENAI_BASE_URL from the environment, and says so.
    let out = run(
        doctor()
            .env("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
            .env("AZURE_OPENAI_API_KEY", AZURE_KEY)
            .env("OPENAI_API_VERSION", "2024-10-21")
            .args(r.net_args())
            .args(["--azure-endpoint", &r.endpoint(), "--model", DEPLOYMENT])
            .args(["--format", "json", "--only", "probe", "--deadline", "15", "--probes", "1"]),
        &[AZURE_KEY],
    );
    let doc = out.json();
    assert_eq!(out.code, 0, "{doc}");
    assert!(doc["target"]["provider_why"].as_str().unwrap().contains("OPENAI_BASE_URL is set too"), "{doc}");
    // Both typed: exclusive, as in the SDK.
    let out = run(doctor().args(["--base-url", "http://127.0.0.1:9/v1", "--azure-endpoint", &r.endpoint()]), &[]);
    assert_eq!(out.code, 2, "{out:?}");
    // A query or a fragment where the SDK appends paths: nothing sent, and never shown.
    let before = r.seen().len();
    let out = run(
        azure_doctor(&r, &[("AZURE_OPENAI_API_KEY", AZURE_KEY), ("OPENAI_API_VERSION", "2024-10-21")])
            .env("AZURE_OPENAI_ENDPOINT", format!("{}#api-key=FRAGSECRET77", r.endpoint()))
            .args(["--model", DEPLOYMENT, "--bundle", "--probes", "1"])
            .current_dir(tempfile::tempdir().unwrap().path()),
        &[AZURE_KEY, "FRAGSECRET77"],
    );
    let doc = out.json();
    assert_eq!(codes(&doc, "probe"), ["probe.base_url_query"], "{doc}");
    assert_eq!(r.seen().len(), before, "nothing sent");
}

#[test]
fn empty_variables_are_judged_as_the_sdk_reads_them() {
    let r = resource();
    // OPENAI_API_VERSION= is set: the client starts and sends `api-version=`.
    let out = run(
        azure_doctor(&r, &[("AZURE_OPENAI_API_KEY", AZURE_KEY), ("OPENAI_API_VERSION", "")])
            .args(["--model", DEPLOYMENT]),
        &[AZURE_KEY],
    );
    let doc = out.json();
    assert_eq!(codes(&doc, "probe"), ["probe.azure_api_version"], "{doc}");
    assert!(doc["checks"].to_string().contains("set but empty"), "{doc}");
    // AZURE_OPENAI_AD_TOKEN= beside a good key: the client prefers the (empty) token.
    let out = run(
        azure_doctor(
            &r,
            &[("AZURE_OPENAI_API_KEY", AZURE_KEY), ("AZURE_OPENAI_AD_TOKEN", ""), ("OPENAI_API_VERSION", "2024-10-21")],
        )
        .args(["--model", DEPLOYMENT]),
        &[AZURE_KEY],
    );
    let text = out.json()["checks"].to_string();
    assert!(text.contains("unset AZURE_OPENAI_AD_TOKEN"), "{text}");
}

#[test]
fn a_deployment_name_is_one_segment_sent_as_the_sdk_encodes_it() {
    let r = resource();
    for (name, path) in [
        ("chat-prod\n", "/openai/deployments/chat-prod%0A/chat/completions"),
        ("team/chat", "/openai/deployments/team%2Fchat/chat/completions"),
        ("../models", "/openai/deployments/..%2Fmodels/chat/completions"),
    ] {
        let out = run(
            azure_doctor(&r, &[("AZURE_OPENAI_API_KEY", AZURE_KEY), ("OPENAI_API_VERSION", "2024-10-21")])
                .args(["--model", name, "--only", "probe", "--probes", "1"]),
            &[AZURE_KEY],
        );
        assert_eq!(out.code, 1, "{name:?}: {}", out.stdout);
        let want = format!("{path}?api-version=2024-10-21");
        assert!(r.seen().iter().any(|s| s.path == want), "{name:?}: {:?}", r.seen());
        if name.ends_with('\n') {
            assert!(out.json()["checks"].to_string().contains("white space or a line break"), "{}", out.stdout);
        }
    }
}

#[test]
fn a_local_ollamas_own_error_is_the_servers_with_its_fix_unshredded() {
    // Ollama's real 404 (tests/fixtures/answers/compatible/), with the key its docs tell users to
    // set (api_key="ollama": required, but unused), which is no secret to redact.
    let api = server::http(|s| {
        if s.method == "GET" {
            return Reply::json(
                200,
                &json!({"object": "list", "data": [{"id": "llama3.2:latest", "object": "model"}]}),
            );
        }
        answers::reply("compatible/ollama_model_not_found_404.http")
    });
    let out = run(
        doctor()
            .env("OPENAI_API_KEY", "ollama")
            .env("OPENAI_BASE_URL", format!("http://127.0.0.1:{}/v1", api.addr.port()))
            .args(["--format", "json", "--only", "probe", "--probes", "1", "--model", "ollama"]),
        &[],
    );
    let doc = out.json();
    assert_eq!(out.code, 1, "{doc}");
    let finding = &doc["checks"].as_array().unwrap().iter().find(|c| c["id"] == "probe").unwrap()["findings"][0];
    assert_eq!(finding["code"], "probe.model_not_found", "the server's own error, not a hop's: {finding}");
    let text = finding.to_string();
    assert!(finding["remedy"].as_str().unwrap().contains("ollama pull"), "{finding}");
    assert!(!text.contains("gateway"), "a local server is no gateway: {text}");
}

#[test]
fn a_compatible_servers_401_in_openais_format_is_that_servers_with_its_operators_key() {
    // OpenRouter's real 401, from a host the doctor does not know: OpenAI's format is no proof that
    // OpenAI answered, and the key to use is the server's, not one from platform.openai.com.
    let api = server::http(|_| answers::reply("gateway/openrouter_no_auth_credentials_401.http"));
    let out = run(
        doctor()
            .env("OPENAI_API_KEY", "sk-or-v1-0123456789abcdef0123456789abcdef")
            .env("OPENAI_BASE_URL", format!("http://127.0.0.1:{}/v1", api.addr.port()))
            .args(["--format", "json", "--only", "probe", "--probes", "1"]),
        &["sk-or-v1-0123456789abcdef0123456789abcdef"],
    );
    let doc = out.json();
    let finding = &doc["checks"].as_array().unwrap().iter().find(|c| c["id"] == "probe").unwrap()["findings"][0];
    let message = finding["message"].as_str().unwrap();
    assert!(message.contains("answered by the server at 127.0.0.1"), "{finding}");
    assert!(!message.contains("answered by OpenAI's API"), "{finding}");
    let remedy = finding["remedy"].as_str().unwrap();
    assert!(remedy.contains("operator issued") && !remedy.contains("platform.openai.com"), "{finding}");
    // The request log says the same as the finding: one judgement, one wording.
    let who = doc["requests"][0]["answered_by"]["who"].as_str().unwrap();
    assert!(who.starts_with("the server at 127.0.0.1"), "{who}");
}
