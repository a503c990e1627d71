//! Many machines: `--format openmetrics`, `--output`, the `serve` exporter against the loopback
//! world, scraped by a real Prometheus (Debian's package, started here on loopback), and the
//! files in deploy/ checked by promtool and kubernetes-validate. The tools are installed by
//! `scripts/test`; a test that needs a missing one says so and skips (CI must run it).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::server::{Reply, closed_port};
use crate::support::world::World;
use crate::support::{FAKE_KEY, doctor, run};

fn tool(name: &str) -> Option<String> {
    let out = Command::new("sh").args(["-c", &format!("command -v {name}")]).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn skip(test: &str, why: &str) {
    assert!(std::env::var_os("CI").is_none(), "CI must run {test}: {why}");
    eprintln!("SKIPPED {test}: {why}");
}

/// A world whose API lists models after `delay`.
pub(crate) fn world(delay: Duration) -> World {
    World::with_api(move |_| {
        Reply::json(200, &json!({"object": "list", "data": [{"id": "gpt-4.1-nano", "object": "model"}]}))
            .header("x-request-id", "req_metrics0001")
            .after(delay)
    })
}

#[test]
fn openmetrics_goes_to_a_file_atomically_with_bounded_labels() {
    let w = World::with_api(|_| {
        Reply::json(
            500,
            &json!({"error": {"message": "An error occurred", "type": "server_error", "code": "server_error"}}),
        )
        .header("x-request-id", "req_metrics0500")
    });
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("openai_doctor.prom");
    let r = run(
        doctor().args(w.args()).args(["--format", "openmetrics", "--output"]).arg(&file).args(["--no-billable"]),
        &[],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stdout.is_empty(), "the report went to the file: {}", r.stdout);
    let doc = std::fs::read_to_string(&file).unwrap();
    assert!(doc.starts_with("# TYPE openai_doctor info\n"), "{doc}");
    assert!(doc.ends_with("# EOF\n"), "{doc}");
    assert!(doc.contains("openai_doctor_success 0\n"), "{doc}");
    assert!(doc.contains("root_cause=\"probe\""), "{doc}");
    assert!(doc.contains("openai_doctor_check_status{check=\"probe\",openai_doctor_check_status=\"fail\"} 1"), "{doc}");
    assert!(doc.contains("openai_doctor_probe_attempts{class=\"server_error\"} 5"), "{doc}");
    assert!(doc.contains("openai_doctor_phase_duration_seconds{phase=\"tls\"}"), "{doc}");
    // Bounded labels: no request ids, no URLs, no messages.
    assert!(!doc.contains("req_") && !doc.contains("https://") && !doc.contains("An error"), "{doc}");
    assert!(!doc.contains(FAKE_KEY));
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left.len(), 1, "no temporary file left: {left:?}");

    // A folder that does not exist is an input error before anything is half-written.
    let r =
        run(doctor().args(["--only", "container", "--format", "openmetrics", "--output", "/nonexistent/x.prom"]), &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--output /nonexistent/x.prom"), "{}", r.stderr);
}

/// A running `serve`, stopped (SIGTERM) when dropped.
pub(crate) struct Serve {
    pub(crate) child: Child,
    pub(crate) addr: String,
}

impl Serve {
    pub(crate) fn start(args: &[String]) -> Self {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("openai-doctor"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .env_clear()
            .env("OPENAI_API_KEY", FAKE_KEY)
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stderr.as_mut().unwrap()).read_line(&mut line).unwrap();
        let addr = line.split("http://").nth(1).and_then(|s| s.split('/').next()).unwrap_or_else(|| panic!("{line}"));
        assert!(line.contains("(loopback only)") && line.contains("billable request off"), "{line}");
        Self { addr: addr.to_owned(), child }
    }

    /// GET `path` with `headers`: (status, content type, body).
    pub(crate) fn get(&self, path: &str, headers: &[(&str, &str)]) -> (u16, String, String) {
        get(&self.addr, path, headers)
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
    }
}

pub(crate) fn get(addr: &str, path: &str, headers: &[(&str, &str)]) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let ctype = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-type: ").map(str::to_owned))
        .unwrap_or_default();
    assert!(!raw.contains(FAKE_KEY), "the key leaked: {raw}");
    (status, ctype, body.to_owned())
}

pub(crate) fn counter(metrics: &str, sample: &str) -> u64 {
    metrics.lines().find_map(|l| l.strip_prefix(sample)).and_then(|v| v.trim().parse().ok()).unwrap_or(0)
}

#[test]
fn serve_answers_caches_negotiates_and_refuses_bad_queries() {
    let w = world(Duration::ZERO);
    let serve = Serve::start(&w.args());
    let (status, ctype, body) = serve.get("/probe", &[]);
    assert_eq!(status, 200, "{body}");
    assert!(ctype.starts_with("text/plain; version=0.0.4"), "{ctype}");
    assert!(body.contains("openai_doctor_success 1") && !body.contains("# EOF"), "{body}");
    if let Some(promtool) = tool("promtool") {
        let mut p = Command::new(promtool).args(["check", "metrics"]).stdin(Stdio::piped()).output_with(&body);
        assert!(p.0, "promtool check metrics: {}", p.1);
        p = Command::new(tool("promtool").unwrap())
            .args(["check", "metrics"])
            .stdin(Stdio::piped())
            .output_with(&serve.get("/metrics", &[]).2);
        assert!(p.0, "promtool check metrics /metrics: {}", p.1);
    } else {
        skip("promtool check metrics", "promtool is not installed (apt-get install prometheus)");
    }
    let (status, ctype, body) = serve.get("/probe", &[("Accept", "application/openmetrics-text;version=1.0.0")]);
    assert_eq!(status, 200);
    assert!(ctype.starts_with("application/openmetrics-text"), "{ctype}");
    assert!(body.ends_with("# EOF\n") && body.contains("# TYPE openai_doctor_check_status stateset"), "{body}");
    let (_, _, metrics) = serve.get("/metrics", &[]);
    assert_eq!(counter(&metrics, "openai_doctor_exporter_runs_total "), 1, "the second scrape was cached: {metrics}");
    assert_eq!(counter(&metrics, "openai_doctor_exporter_scrapes_total{result=\"cached\"} "), 1, "{metrics}");

    for (query, words) in [
        ("/probe?checks=dns,bogus", "`bogus` is not a check id"),
        ("/probe?color=red", "unknown parameter `color`"),
        ("/probe?target=http://169.254.169.254/latest", "is not allowed"),
        ("/probe?target=not%20a%20url", "target"),
    ] {
        let (status, _, body) = serve.get(query, &[]);
        assert_eq!(status, 400, "{query}: {body}");
        assert!(body.contains(words), "{query}: {body}");
    }
    assert_eq!(serve.get("/nope", &[]).0, 404);
    let (status, ctype, report) = serve.get("/report", &[]);
    assert_eq!((status, ctype.as_str()), (200, "application/json"));
    let report: Value = serde_json::from_str(&report).unwrap();
    assert!(report["verdict"]["root_cause"].is_null(), "{report}");
    // serve never spends money unless told: the probe made no chat completion.
    let probe = report["checks"].as_array().unwrap().iter().find(|c| c["id"] == "probe").unwrap().clone();
    assert!(w.api.seen().iter().all(|s| s.method == "GET"), "{probe}");
}

trait OutputWith {
    fn output_with(&mut self, stdin: &str) -> (bool, String);
}

impl OutputWith for Command {
    fn output_with(&mut self, stdin: &str) -> (bool, String) {
        let mut child = self.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.success(),
            format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
        )
    }
}

#[test]
fn concurrent_scrapes_share_one_run_and_none_outlives_its_timeout() {
    // The API answers after 2 s: ten scrapes arriving together wait for one run.
    let w = world(Duration::from_secs(2));
    let mut args = w.args();
    args.extend(["--probes".into(), "1".into()]);
    let serve = Serve::start(&args);
    let addr = serve.addr.clone();
    let scrapes: Vec<_> = (0..10)
        .map(|_| {
            let addr = addr.clone();
            std::thread::spawn(move || get(&addr, "/probe?checks=dns,tls,probe", &[]))
        })
        .collect();
    for s in scrapes {
        let (status, _, body) = s.join().unwrap();
        assert_eq!(status, 200, "{body}");
        assert!(
            body.contains("openai_doctor_check_status{check=\"probe\",openai_doctor_check_status=\"pass\"} 1"),
            "{body}"
        );
    }
    let (_, _, metrics) = serve.get("/metrics", &[]);
    assert_eq!(counter(&metrics, "openai_doctor_exporter_runs_total "), 1, "{metrics}");

    // Prometheus says it waits 1.5 s: the scrape answers within that, not after the API's 2 s.
    let started = Instant::now();
    let (status, _, body) = serve.get("/probe?checks=tls,probe", &[("X-Prometheus-Scrape-Timeout-Seconds", "1.5")]);
    let took = started.elapsed();
    assert!(took < Duration::from_millis(1600), "answered within the scrape timeout: {took:?}");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("openai_doctor_success 0"), "the run met its deadline: {body}");
}

#[test]
fn a_scrape_during_shutdown_gets_a_clean_503() {
    let w = world(Duration::from_secs(5));
    let mut args = w.args();
    args.extend(["--probes".into(), "1".into()]);
    let mut serve = Serve::start(&args);
    let addr = serve.addr.clone();
    let waiting = std::thread::spawn(move || get(&addr, "/probe?checks=probe", &[]));
    std::thread::sleep(Duration::from_millis(500));
    let stopped = Instant::now();
    Command::new("kill").arg(serve.child.id().to_string()).status().unwrap();
    let (status, _, body) = waiting.join().unwrap();
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("shutting down"), "{body}");
    let code = serve.child.wait().unwrap().code();
    assert_eq!(code, Some(0));
    assert!(stopped.elapsed() < Duration::from_secs(3), "{:?}", stopped.elapsed());
}

#[test]
fn prometheus_scrapes_serve_and_sees_the_series() {
    let Some(prometheus) = tool("prometheus") else {
        return skip(
            "prometheus_scrapes_serve_and_sees_the_series",
            "prometheus is not installed (apt-get install prometheus)",
        );
    };
    let w = world(Duration::ZERO);
    let serve = Serve::start(&w.args());
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "global:\n  scrape_interval: 2s\n  scrape_timeout: 2s\nscrape_configs:\n  - job_name: openai-doctor\n    metrics_path: /probe\n    params:\n      checks: ['status,dns,tls,probe']\n    static_configs:\n      - targets: ['{}']\n",
        serve.addr
    );
    std::fs::write(dir.path().join("prometheus.yml"), config).unwrap();
    let port = closed_port();
    let web = format!("127.0.0.1:{port}");
    let mut prom = Command::new(prometheus)
        .arg(format!("--config.file={}", dir.path().join("prometheus.yml").display()))
        .arg(format!("--storage.tsdb.path={}", dir.path().join("data").display()))
        .arg(format!("--web.listen-address={web}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let query = |q: &str| -> Value {
        let (status, _, body) = get(
            &web,
            &format!(
                "/api/v1/query?query={}",
                q.replace(' ', "%20")
                    .replace('"', "%22")
                    .replace('{', "%7B")
                    .replace('}', "%7D")
                    .replace('=', "%3D")
                    .replace(',', "%2C")
            ),
            &[],
        );
        if status != 200 {
            return Value::Null;
        }
        serde_json::from_str(&body).unwrap_or(Value::Null)
    };
    let started = Instant::now();
    let mut success = Value::Null;
    while started.elapsed() < Duration::from_secs(45) {
        std::thread::sleep(Duration::from_millis(500));
        if TcpStream::connect(&web).is_err() {
            continue;
        }
        success = query("openai_doctor_success");
        if success["data"]["result"].as_array().is_some_and(|r| !r.is_empty()) {
            break;
        }
    }
    let value = |v: &Value| v["data"]["result"][0]["value"][1].as_str().map(str::to_owned);
    let up = query("up{job=\"openai-doctor\"}");
    let dns = query("openai_doctor_check_status{check=\"dns\",openai_doctor_check_status=\"pass\"}");
    let targets = get(&web, "/api/v1/targets", &[]).2;
    let _ = prom.kill();
    let _ = prom.wait();
    assert_eq!(value(&success).as_deref(), Some("1"), "{success}\n{targets}");
    assert_eq!(value(&up).as_deref(), Some("1"), "{up}");
    assert_eq!(value(&dns).as_deref(), Some("1"), "{dns}");
    let targets: Value = serde_json::from_str(&targets).unwrap();
    assert_eq!(targets["data"]["activeTargets"][0]["lastError"], "", "OpenMetrics parsed: {targets}");
}

#[test]
fn the_deploy_files_pass_their_checkers() {
    let root = env!("CARGO_MANIFEST_DIR");
    match tool("promtool") {
        Some(promtool) => {
            let rules = Command::new(&promtool)
                .args(["check", "rules", "rules.yml"])
                .current_dir(format!("{root}/deploy/prometheus"))
                .output()
                .unwrap();
            assert!(rules.status.success(), "{}", String::from_utf8_lossy(&rules.stdout));
            let tests = Command::new(&promtool)
                .args(["test", "rules", "rules_test.yml"])
                .current_dir(format!("{root}/deploy/prometheus"))
                .output()
                .unwrap();
            assert!(
                tests.status.success(),
                "{}{}",
                String::from_utf8_lossy(&tests.stdout),
                String::from_utf8_lossy(&tests.stderr)
            );
        }
        None => skip("promtool check/test rules", "promtool is not installed (apt-get install prometheus)"),
    }
    match tool("kubernetes-validate") {
        Some(validate) => {
            let out = Command::new(validate)
                .args(["--strict", "serve.yaml", "cronjob.yaml"])
                .current_dir(format!("{root}/deploy/kubernetes"))
                .output()
                .unwrap();
            let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            assert!(out.status.success(), "{said}");
            assert_eq!(said.matches(" passed for resource ").count(), 3, "{said}");
        }
        None => skip("kubernetes-validate", "kubernetes-validate is not installed (pip install kubernetes-validate)"),
    }
}
