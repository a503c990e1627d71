//! The `stream` check and `simulate`'s stream faults in real worlds: the doctor's own `simulate`
//! as the API, a real nginx (Debian's package) as a TLS reverse proxy in front of it with
//! proxy_buffering on or off, tinyproxy as a CONNECT proxy, and the official Python SDK streaming
//! against each stream fault (what it raises is what the finding and the audit say).

use serde_json::Value;

use crate::simulate::{client, python_or_skip, verdict};
use crate::support::nginx::{self, Buffering, Nginx};
use crate::support::pki::Pki;
use crate::support::simulated::{self, Simulated};
use crate::support::{Run, doctor, run, tinyproxy};

/// The API behind nginx at `api.test`, trusted through a CA minted now.
struct Path {
    pki: Pki,
    nginx: Nginx,
    _api: Simulated,
}

impl Path {
    fn new(faults: &str, buffering: Buffering) -> Self {
        let api = simulated::start(faults);
        let pki = Pki::new("Stream Test Root", "openai-doctor tests");
        let nginx = nginx::start(&pki, "api.test", api.port, buffering);
        Self { pki, nginx, _api: api }
    }

    fn args(&self) -> Vec<String> {
        let port = self.nginx.port;
        vec![
            "--base-url".into(),
            format!("https://api.test:{port}/v1"),
            "--resolve".into(),
            format!("api.test:{port}:127.0.0.1"),
            "--ca-file".into(),
            self.pki.ca_file.display().to_string(),
        ]
    }
}

/// The doctor's run with `args` (status and container skipped: not this test's world).
fn diagnose(args: &[String], env: &[(&str, &str)]) -> Run {
    let mut cmd = doctor();
    cmd.args(["--format", "json", "--skip", "status,container"]).args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    run(&mut cmd, &[])
}

fn codes(check: &Value) -> Vec<String> {
    check["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap().to_owned()).collect()
}

fn finding<'a>(check: &'a Value, code: &str) -> &'a Value {
    check["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .unwrap_or_else(|| panic!("no {code}: {check}"))
}

/// Per-event timings are in the JSON: each event's arrival, in order.
fn assert_timed(stream: &Value) {
    let d = &stream["details"];
    let events = d["event_ms"].as_array().unwrap();
    assert_eq!(events.len() as u64, d["events"].as_u64().unwrap(), "{d}");
    let ms: Vec<u64> = events.iter().map(|v| v.as_u64().unwrap()).collect();
    assert!(ms.windows(2).all(|w| w[0] <= w[1]), "in order: {ms:?}");
    assert!(d["sample"].as_array().unwrap().len() <= 3, "a capped sample only: {d}");
}

#[test]
fn nginx_with_proxy_buffering_on_holds_the_stream_and_is_named() {
    let path = Path::new("", Buffering::On);
    let r = diagnose(&path.args(), &[]);
    let s = r.check("stream");
    assert_eq!(s["status"], "fail", "{s}");
    assert_eq!(codes(&s), ["stream.buffered"], "{s}");
    let f = finding(&s, "stream.buffered");
    let msg = f["message"].as_str().unwrap();
    assert!(msg.contains("nginx/") && msg.contains("proxy_buffering"), "{msg}");
    assert!(f["remedy"].as_str().unwrap().contains("proxy_buffering off"), "{f}");
    let d = &s["details"];
    assert!(d["gaps"]["spread_ms"].as_u64().unwrap() <= 10, "{d}");
    assert!(d["first_event_ms"].as_u64().unwrap() >= 100, "after the stream's own duration: {d}");
    assert_eq!(d["done"], true);
    assert_timed(&s);
    assert_eq!(r.code, 1, "a failed check fails the run");
    // The probe's plain requests passed through the same nginx: only the stream shows it.
    assert_eq!(r.check("probe")["status"], "pass");
}

#[test]
fn nginx_with_proxy_buffering_off_or_x_accel_buffering_no_passes() {
    for buffering in [Buffering::Off, Buffering::OnWithAccelNo] {
        let path = Path::new("", buffering);
        let r = diagnose(&path.args(), &[]);
        let s = r.check("stream");
        assert_eq!(s["status"], "pass", "{buffering:?}: {s}");
        let d = &s["details"];
        assert_eq!(d["server"].as_str().map(|v| v.starts_with("nginx")), Some(true), "{d}");
        // simulate paces events 20 ms apart: they came one by one.
        assert!(d["gaps"]["p50_ms"].as_u64().unwrap() >= 10, "{buffering:?}: {d}");
        assert!(d["gaps"]["spread_ms"].as_u64().unwrap() >= 80, "{buffering:?}: {d}");
        assert!(s["summary"].as_str().unwrap().contains("one by one"), "{s}");
        assert_timed(&s);
    }
}

#[test]
fn a_stream_cut_by_the_relay_after_three_events_is_named_with_its_count() {
    let path = Path::new("stream-cut:3@100%", Buffering::Off);
    let r = diagnose(&path.args(), &[]);
    let s = r.check("stream");
    assert_eq!(s["status"], "fail", "{s}");
    assert_eq!(codes(&s), ["stream.cut"]);
    let msg = finding(&s, "stream.cut")["message"].as_str().unwrap().to_owned();
    // nginx relays what it got (three events) and closes the client's connection mid-body.
    assert!(msg.contains("cut after 3 events"), "{msg}");
    assert!(msg.contains("RemoteProtocolError"), "the SDK's error is named: {msg}");
    assert_eq!(s["details"]["done"], false);
    assert!(path.nginx.log().contains("upstream prematurely closed"), "nginx saw the cut: {}", path.nginx.log());
}

#[test]
fn a_healthy_stream_directly_and_faults_without_a_proxy() {
    let api = simulated::start("");
    let args = vec!["--base-url".to_owned(), api.base_url()];
    let r = diagnose(&args, &[]);
    let s = r.check("stream");
    assert_eq!(s["status"], "pass", "{s}");
    assert!(codes(&s).is_empty(), "{s}");
    assert_eq!(s["details"]["done"], true);
    assert_timed(&s);
    // The request log has the stream with its timings and ids.
    let logged: Vec<Value> =
        r.json()["requests"].as_array().unwrap().iter().filter(|q| q["check"] == "stream").cloned().collect();
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert_eq!(logged[0]["status"], 200);
    assert!(logged[0]["client_request_id"].is_string() && logged[0]["request_id"].is_string());

    // Reset after 2 events; gzip held by the compressor; a gap longer than the doctor waits.
    for (faults, code, words) in [
        ("stream-reset:2@100%", "stream.cut", "RST"),
        ("stream-gzip@100%", "stream.buffered", "Content-Encoding: gzip"),
    ] {
        let api = simulated::start(faults);
        let r = diagnose(&["--base-url".to_owned(), api.base_url()], &[]);
        let s = r.check("stream");
        assert_eq!(codes(&s), [code], "{faults}: {s}");
        let msg = finding(&s, code)["message"].as_str().unwrap();
        assert!(msg.contains(words), "{faults}: {msg}");
    }
    let api = simulated::start("stream-gap:30@100%");
    let r = diagnose(&["--base-url".to_owned(), api.base_url(), "--deadline".to_owned(), "6".to_owned()], &[]);
    let s = r.check("stream");
    assert_eq!(codes(&s), ["stream.stalled"], "{s}");
    assert!(r.elapsed.as_secs_f64() < 8.0, "bounded by the deadline: {:?}", r.elapsed);
}

#[test]
fn the_table_and_the_ticket_carry_the_streams_timings() {
    let path = Path::new("", Buffering::On);
    let mut cmd = doctor();
    cmd.args(["-v", "--skip", "status,container"]).args(path.args());
    let table = run(&mut cmd, &[]);
    let line = table
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("streaming:"))
        .unwrap_or_else(|| panic!("{}", table.stdout));
    assert!(line.contains("first event") && line.contains("gaps p50") && line.contains("total"), "{line}");
    assert!(table.stdout.contains("events: stream.buffered"), "{}", table.stdout);

    let mut cmd = doctor();
    cmd.args(["--format", "markdown", "--skip", "status,container"]).args(path.args());
    let ticket = run(&mut cmd, &[]);
    let section = ticket.stdout.split("## Stream").nth(1).unwrap_or_else(|| panic!("{}", ticket.stdout));
    let arrivals = section.lines().find(|l| l.starts_with("Event arrivals")).unwrap();
    let ms: Vec<u64> = arrivals.split(':').nth(1).unwrap().split(',').map(|v| v.trim().parse().unwrap()).collect();
    assert!(ms.len() >= 7 && ms.windows(2).all(|w| w[0] <= w[1]), "{arrivals}");
    assert!(ms.last().unwrap() - ms.first().unwrap() <= 10, "held back: {arrivals}");
    assert!(section.contains("stream.buffered"), "{section}");
}

#[test]
fn only_stream_runs_without_the_probe_and_a_failed_completion_skips_it() {
    let api = simulated::start("");
    let r = run(doctor().args(["--format", "json", "--only", "stream", "--base-url", &api.base_url()]), &[]);
    let s = r.check("stream");
    assert_eq!(s["status"], "pass", "{s}");
    assert_eq!(s["details"]["model"], "gpt-4.1-nano", "the configured model: {s}");
    assert_eq!(r.check("probe")["status"], "skip");
    // The probe's completion fails (500 on every chat attempt, after five good GET /models):
    // nothing new for a stream to show.
    let api = simulated::start("okx5,500x3");
    let r = diagnose(&["--base-url".to_owned(), api.base_url()], &[]);
    let s = r.check("stream");
    assert_eq!(s["status"], "skip", "{s}");
}

#[test]
fn no_billable_skips_the_stream() {
    let api = simulated::start("");
    let r = diagnose(&["--base-url".to_owned(), api.base_url(), "--no-billable".to_owned()], &[]);
    let s = r.check("stream");
    assert_eq!(s["status"], "skip", "{s}");
    assert!(s["summary"].as_str().unwrap().contains("--no-billable"), "{s}");
    assert!(!r.json()["requests"].as_array().unwrap().iter().any(|q| q["check"] == "stream"));
}

#[test]
fn through_tinyproxy_connect_the_stream_is_not_buffered() {
    // A CONNECT tunnel carries TLS bytes as they come: buffering there would need TLS inspection.
    let path = Path::new("", Buffering::Off);
    let proxy = tinyproxy::start(None);
    let url = proxy.url(None);
    // By address: the proxy resolves the API's name itself, and api.test is known only here.
    let args = vec![
        "--base-url".to_owned(),
        format!("https://127.0.0.1:{}/v1", path.nginx.port),
        "--ca-file".to_owned(),
        path.pki.ca_file.display().to_string(),
    ];
    let r = diagnose(&args, &[("HTTPS_PROXY", url.as_str())]);
    let s = r.check("stream");
    assert_eq!(s["status"], "pass", "{s}");
    assert!(s["details"]["gaps"]["spread_ms"].as_u64().unwrap() >= 80, "{s}");
    let p = r.check("proxy");
    assert_ne!(p["status"], "skip", "the proxy was in the path: {p}");
}

// --- The official Python SDK streaming against each stream fault ---

/// `simulate --format json --faults FAULTS -- python stream.py`, with `env` for the client.
fn sdk_stream(py: &str, faults: &str, env: &[(&str, &str)]) -> (Value, Run) {
    let mut cmd = doctor();
    cmd.args(["simulate", "--quiet", "--format", "json", "--faults", faults, "--", py, &client("stream.py")]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let r = run(&mut cmd, &[]);
    let audit: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", r.stdout, r.stderr));
    (audit, r)
}

/// What the SDK raised, as stream.py prints it.
fn raised(r: &Run) -> &str {
    r.stderr.lines().find(|l| l.starts_with("RAISED ")).unwrap_or_default()
}

#[test]
fn the_python_sdk_raises_on_a_cut_stream_and_does_not_retry_it() {
    let Some(py) = python_or_skip("the_python_sdk_raises_on_a_cut_stream_and_does_not_retry_it") else { return };
    // Closed mid-body after 3 events: openai.APIConnectionError caused by httpx's
    // RemoteProtocolError "incomplete chunked read" (older SDKs raise the httpx error itself:
    // openai/openai-python#2065).
    let (audit, r) = sdk_stream(&py, "stream-cut:3", &[]);
    assert_eq!(audit["command"]["exit_code"], 1, "{}", r.stderr);
    let e = raised(&r);
    assert!(e.contains("RemoteProtocolError") && e.contains("incomplete chunked read"), "{e}");
    assert!(e.contains("openai.APIConnectionError"), "{e}");
    assert_eq!(audit["attempts"], 1, "a stream that started is not retried: {audit}");
    assert_eq!(verdict(&audit, "notices_cut_streams"), "pass", "{audit}");
    assert!(r.stderr.contains("PARTIAL Simulated answer "), "the text before the cut: {}", r.stderr);

    // Reset (RST) after 2 events: a ReadError, connection reset by peer.
    let (audit, r) = sdk_stream(&py, "stream-reset:2", &[]);
    let e = raised(&r);
    assert!(e.contains("ReadError") && e.contains("Connection reset by peer"), "{e}");
    assert_eq!(audit["attempts"], 1, "{audit}");
    assert_eq!(verdict(&audit, "notices_cut_streams"), "pass");
}

#[test]
fn the_python_sdk_on_stalled_buffered_and_gzipped_streams() {
    let Some(py) = python_or_skip("the_python_sdk_on_stalled_buffered_and_gzipped_streams") else { return };
    // A 2 s gap with a 0.5 s timeout: APITimeoutError (httpx ReadTimeout), not retried.
    let (audit, r) = sdk_stream(&py, "stream-gap:2", &[("OPENAI_TIMEOUT", "0.5")]);
    let e = raised(&r);
    assert!(e.contains("openai.APITimeoutError") && e.contains("ReadTimeout"), "{e}");
    assert_eq!(verdict(&audit, "waits_on_stalled_streams"), "pass", "{audit}");
    let seen = audit["verdicts"].as_array().unwrap().iter().find(|v| v["id"] == "waits_on_stalled_streams").unwrap();
    assert!(seen["seen"].as_str().unwrap().contains("without waiting for its end"), "{seen}");

    // The SDK's default timeout (600 s) waits through every gap.
    let (audit, r) = sdk_stream(&py, "stream-gap:0.3", &[]);
    assert_eq!(audit["command"]["exit_code"], 0, "{}", r.stderr);
    assert!(r.stderr.contains("Simulated answer from openai-doctor.") || r.stdout.contains("Simulated"));
    assert_eq!(verdict(&audit, "waits_on_stalled_streams"), "pass", "{audit}");

    // Held to the end, or gzipped (httpx accepts gzip and undoes it): the whole answer, late.
    for faults in ["stream-buffer", "stream-gzip"] {
        let (audit, r) = sdk_stream(&py, faults, &[]);
        assert_eq!(audit["command"]["exit_code"], 0, "{faults}: {}", r.stderr);
        assert!(raised(&r).is_empty(), "{faults}: {}", r.stderr);
        assert_eq!(verdict(&audit, "notices_cut_streams"), "not_seen");
    }
}

#[test]
fn the_recipes_stream_chat_sends_a_cut_stream_again_and_gets_the_whole_answer() {
    let Some(py) = python_or_skip("the_recipes_stream_chat_sends_a_cut_stream_again_and_gets_the_whole_answer") else {
        return;
    };
    let recipe = run(doctor().args(["recipe", "python", "--platform-deadline", "60"]), &[]);
    assert_eq!(recipe.code, 0);
    assert!(recipe.stdout.contains("def stream_chat("), "{}", recipe.stdout);
    let dir = tempfile::tempdir().unwrap();
    let script = crate::support::write(
        dir.path(),
        "recipe.py",
        &format!(
            "{}\nprint(stream_chat(model=\"gpt-4.1-nano\", messages=[{{\"role\": \"user\", \"content\": \"hi\"}}]))\n",
            recipe.stdout
        ),
    );
    let script = script.display().to_string();
    let mut cmd = doctor();
    cmd.args([
        "simulate",
        "--quiet",
        "--format",
        "json",
        "--faults",
        "stream-cut:3,stream-reset:1,ok",
        "--",
        &py,
        &script,
    ]);
    let r = run(&mut cmd, &[]);
    let audit: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", r.stdout, r.stderr));
    assert_eq!(audit["command"]["exit_code"], 0, "{}", r.stderr);
    assert!(r.stderr.contains("Simulated answer from openai-doctor."), "the whole answer: {}", r.stderr);
    assert_eq!(audit["attempts"], 3, "two cut streams, then the whole one: {audit}");
    assert_eq!(audit["requests"], 1, "{audit}");
    assert_eq!(verdict(&audit, "notices_cut_streams"), "pass", "{audit}");
    assert_eq!(verdict(&audit, "backoff"), "pass", "{audit}");
}
