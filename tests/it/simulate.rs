//! `openai-doctor simulate` against real clients: the official Python SDK (from PyPI), tenacity,
//! curl. The audit must report what each really does. Needs python3 with `openai` and `tenacity`
//! (`.ci/run` installs them); says so and skips without them, and CI must run them.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

use crate::support::{FAKE_KEY, doctor, run, write};

/// The Python interpreter that has the SDK, by absolute path (the tests clear the environment,
/// and pyenv's shims need theirs).
fn python() -> Result<&'static PathBuf, String> {
    static FOUND: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    FOUND
        .get_or_init(|| {
            let out = Command::new("python3")
                .args(["-c", "import sys, openai, tenacity; print(sys.executable); print(openai.__version__)"])
                .output()
                .map_err(|e| format!("python3: {e}"))?;
            if !out.status.success() {
                return Err(format!(
                    "python3 lacks openai or tenacity (pip install openai tenacity): {}",
                    String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or_default()
                ));
            }
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            Ok(PathBuf::from(text.lines().next().unwrap_or_default()))
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// The interpreter's path, or `None` after saying why the test is skipped.
pub(crate) fn python_or_skip(test: &str) -> Option<String> {
    match python() {
        Ok(p) => Some(p.display().to_string()),
        Err(why) => {
            skip(test, &why);
            None
        }
    }
}

fn skip(test: &str, why: &str) {
    assert!(std::env::var_os("CI").is_none(), "CI must run {test}: {why}");
    eprintln!("SKIPPED {test}: {why}");
}

pub(crate) fn client(name: &str) -> String {
    format!("{}/tests/clients/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// `simulate --format json --faults FAULTS [flags] -- command…`: the audit and the run.
pub(crate) fn simulate(faults: &str, flags: &[&str], command: &[&str]) -> (Value, crate::support::Run) {
    let mut cmd = doctor();
    cmd.args(["simulate", "--quiet", "--format", "json", "--faults", faults]).args(flags).arg("--").args(command);
    let r = run(&mut cmd, &[]);
    let audit: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", r.stdout, r.stderr));
    (audit, r)
}

pub(crate) fn verdict<'a>(audit: &'a Value, id: &str) -> &'a str {
    audit["verdicts"].as_array().unwrap().iter().find(|v| v["id"] == id).and_then(|v| v["verdict"].as_str()).unwrap()
}

/// Gaps between consecutive attempts, in seconds.
fn gaps(audit: &Value) -> Vec<f64> {
    let at: Vec<f64> =
        audit["timeline"].as_array().unwrap().iter().map(|a| a["at_ms"].as_f64().unwrap() / 1000.0).collect();
    at.windows(2).map(|w| w[1] - w[0]).collect()
}

#[test]
fn the_python_sdk_retries_with_its_backoff_and_honours_retry_after() {
    let Some(py) = python_or_skip("the_python_sdk_retries_with_its_backoff_and_honours_retry_after") else { return };
    let chat = client("chat.py");
    let (audit, r) = simulate("500,429:1.5", &[], &[&py, &chat]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(audit["command"]["exit_code"], 0, "{audit}");
    assert_eq!((audit["attempts"].as_u64(), audit["requests"].as_u64()), (Some(3), Some(1)), "{audit}");
    assert_eq!(audit["clients"][0], "python");
    // x-stainless-retry-count 0, 1, 2: one logical request.
    let counts: Vec<u64> =
        audit["timeline"].as_array().unwrap().iter().map(|a| a["retry_count"].as_u64().unwrap()).collect();
    assert_eq!(counts, [0, 1, 2]);
    let g = gaps(&audit);
    // openai-python: first backoff 0.5 s × (0.75..1.0]; then Retry-After (retry-after-ms 1500).
    assert!((0.37..0.7).contains(&g[0]), "first backoff within the SDK's bounds: {g:?}");
    assert!(g[1] >= 1.45, "Retry-After honoured: {g:?}");
    for id in ["sends_requests", "retries_transient_errors", "backoff", "honours_retry_after"] {
        assert_eq!(verdict(&audit, id), "pass", "{id}: {audit}");
    }
    assert_eq!(audit["recipe"]["lang"], "python");
}

#[test]
fn the_python_sdk_retries_insufficient_quota_and_the_audit_says_so() {
    // Measured, not assumed: openai-python retries every 429, insufficient_quota included (its
    // `_should_retry` looks at the status and `x-should-retry`, not the error code), so a quota
    // error costs two extra attempts and their backoff before it surfaces.
    let Some(py) = python_or_skip("the_python_sdk_retries_insufficient_quota_and_the_audit_says_so") else { return };
    let chat = client("chat.py");
    let (audit, r) = simulate("quota@100%", &[], &[&py, &chat]);
    assert_eq!(r.code, 1, "a ✗ verdict fails the run: {}", r.stdout);
    assert_eq!(audit["command"]["exit_code"], 1, "the SDK raised RateLimitError");
    assert_eq!(audit["attempts"], 3, "{audit}");
    assert_eq!(verdict(&audit, "no_retry_on_permanent_errors"), "fail", "{audit}");
    let seen = audit["verdicts"][2]["seen"].as_str().unwrap();
    assert!(seen.contains("insufficient_quota"), "{seen}");
}

#[test]
fn the_guides_tenacity_snippet_fails_and_the_recipes_passes() {
    let Some(py) = python_or_skip("the_guides_tenacity_snippet_fails_and_the_recipes_passes") else { return };
    let guide = client("guide_tenacity.py");
    let (audit, r) = simulate("500", &[], &[&py, &guide]);
    assert_eq!(r.code, 1);
    assert_eq!(audit["attempts"], 0, "AttributeError before the first request: {audit}");
    assert_eq!(verdict(&audit, "sends_requests"), "fail", "{audit}");
    assert!(r.stderr.contains("no attribute 'APIErrors'"), "{}", r.stderr);

    // The recipe, as printed, with one call at the end.
    let recipe = run(doctor().args(["recipe", "python", "--platform-deadline", "60"]), &[]);
    assert_eq!(recipe.code, 0);
    assert!(!recipe.stdout.contains("APIErrors"));
    let dir = tempfile::tempdir().unwrap();
    let script = write(
        dir.path(),
        "recipe.py",
        &format!(
            "{}\nprint(create_chat(model=\"gpt-4.1-nano\", messages=[{{\"role\": \"user\", \"content\": \"hi\"}}]).choices[0].message.content)\n",
            recipe.stdout
        ),
    );
    let script = script.display().to_string();
    let (audit, r) = simulate("500,429:1", &["--platform-deadline", "60"], &[&py, &script]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(audit["command"]["exit_code"], 0, "{}", r.stderr);
    assert_eq!(audit["attempts"], 3, "{audit}");
    for v in audit["verdicts"].as_array().unwrap() {
        assert_ne!(v["verdict"], "fail", "{v}");
    }
    for id in ["retries_transient_errors", "backoff", "honours_retry_after", "fits_platform_deadline"] {
        assert_eq!(verdict(&audit, id), "pass", "{id}: {audit}");
    }
    // Without x-stainless-retry-count (max_retries=0), retries are told apart by their body.
    assert_eq!(audit["requests"], 1, "{audit}");
    // A quota error is not retried by the recipe.
    let (audit, _) = simulate("quota@100%", &[], &[&py, &script]);
    assert_eq!(audit["attempts"], 1, "{audit}");
    assert_eq!(verdict(&audit, "no_retry_on_permanent_errors"), "pass", "{audit}");
}

#[test]
fn curl_without_retries_and_a_tight_loop_are_judged() {
    let (audit, r) = simulate(
        "500",
        &[],
        &["sh", "-c", "curl -s -o /dev/null -d '{\"model\":\"m\"}' \"$OPENAI_BASE_URL/chat/completions\""],
    );
    assert_eq!(r.code, 1);
    assert_eq!(audit["clients"][0], "curl");
    assert_eq!(verdict(&audit, "retries_transient_errors"), "fail", "{audit}");
    assert_eq!(audit["recipe"]["lang"], "bash", "the recipe is for the stack seen");

    let tight = client("tight_loop.sh");
    let (audit, r) = simulate("500,503", &[], &[&tight]);
    assert_eq!(audit["command"]["exit_code"], 0, "{}", r.stderr);
    assert_eq!(audit["attempts"], 3);
    assert_eq!(verdict(&audit, "retries_transient_errors"), "pass", "{audit}");
    assert_eq!(verdict(&audit, "backoff"), "fail", "{audit}");
    assert!(audit["verdicts"][3]["seen"].as_str().unwrap().contains("tight loop"), "{audit}");
}

#[test]
fn the_bash_recipe_passes() {
    let recipe = run(doctor().args(["recipe", "bash", "--timeout", "10", "--max-retries", "3"]), &[]);
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "body.json", r#"{"model":"gpt-4.1-nano","messages":[{"role":"user","content":"hi"}]}"#);
    let script = write(dir.path(), "recipe.sh", &recipe.stdout).display().to_string();
    let cd = format!("cd {} && bash recipe.sh", dir.path().display());
    let (audit, r) = simulate("500,429:1,disconnect", &[], &["sh", "-c", &cd]);
    assert_eq!(audit["command"]["exit_code"], 0, "{}\n{}", r.stderr, std::fs::read_to_string(&script).unwrap());
    assert_eq!(audit["attempts"], 4, "{audit}");
    for id in ["retries_transient_errors", "backoff", "honours_retry_after"] {
        assert_eq!(verdict(&audit, id), "pass", "{id}: {audit}");
    }
    let (audit, _) = simulate("quota", &[], &["sh", "-c", &cd]);
    assert_eq!(audit["attempts"], 1, "insufficient_quota is not retried: {audit}");
}

#[test]
fn under_tls_the_sdk_trusts_the_minted_ca_and_the_ca_file_goes_away() {
    let Some(py) = python_or_skip("under_tls_the_sdk_trusts_the_minted_ca_and_the_ca_file_goes_away") else { return };
    let chat = client("chat.py");
    let (audit, r) = simulate("", &["--tls"], &[&py, &chat]);
    assert_eq!(audit["command"]["exit_code"], 0, "{}", r.stderr);
    assert!(r.stderr.contains("simulate: https://127.0.0.1:"), "{}", r.stderr);
    let line =
        r.stderr.lines().find(|l| l.starts_with("simulate: throwaway CA ")).unwrap_or_else(|| panic!("{}", r.stderr));
    let ca = line.trim_start_matches("simulate: throwaway CA ").split(' ').next().unwrap();
    assert!(line.contains("SSL_CERT_FILE, REQUESTS_CA_BUNDLE, NODE_EXTRA_CA_CERTS, CURL_CA_BUNDLE"), "{line}");
    assert!(!std::path::Path::new(ca).exists(), "the temporary CA file {ca} is removed on exit");
}

#[test]
fn ctrl_c_stops_the_server_and_prints_what_it_saw() {
    use std::io::{BufRead, BufReader};
    let bin = assert_cmd::cargo::cargo_bin("openai-doctor");
    let mut child = Command::new(bin)
        .args(["simulate", "--faults", "500"])
        .env("OPENAI_API_KEY", FAKE_KEY)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    let url = first.split_whitespace().nth(1).unwrap().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "binds loopback by default: {first}");
    assert!(first.contains("(loopback only)"), "{first}");
    for _ in 0..2 {
        let out = Command::new("curl")
            .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", &format!("{url}/models")])
            .output()
            .unwrap();
        assert!(!out.stdout.is_empty());
    }
    Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    // Two identical GETs, the first failed: one request retried at once.
    assert!(stdout.contains("Retry audit") && stdout.contains("2 attempts for 1 request"), "{stdout}");
    assert!(stdout.contains("✗ backoff") && stdout.contains("a tight loop"), "{stdout}");
    assert!(!stdout.contains(FAKE_KEY));
}

#[test]
fn bad_input_is_a_usage_error() {
    let r = run(doctor().args(["simulate", "--", "/nonexistent/client"]), &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("cannot run `/nonexistent/client`"), "{}", r.stderr);
    let r = run(doctor().args(["simulate", "--faults", "418", "--", "true"]), &[]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--faults: `418` is not a fault"), "{}", r.stderr);
    let r = run(doctor().args(["simulate", "--listen", "not-an-address"]), &[]);
    assert_eq!(r.code, 2);
    let r = run(doctor().args(["recipe", "cobol"]), &[]);
    assert_eq!(r.code, 2);
}
