//! Regressions of the second hardening pass (issue 21), one test per defect: `--output` as safe as
//! `--bundle`, secrets that survived redaction, a password holding `/`, recipes that work once
//! printed, prompts kept out of the bundle, escape codes in a process name, unbounded request
//! ids and fault specs.

use serde_json::json;

use crate::bundle::unzip;
use crate::support::server::{self, Reply};
use crate::support::world::World;
use crate::support::{FAKE_KEY, doctor, run, write};

fn leftovers(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect()
}

// Item 2: a planted symbolic link at any temporary name is never followed.

#[test]
fn output_never_follows_a_planted_symlink() {
    let dir = tempfile::tempdir().unwrap();
    let victim = write(dir.path(), "victim.txt", "precious");
    // Today's predictable names, for the next few pids: each is a link to the victim.
    let out = dir.path().join("r.prom");
    let me = std::process::id();
    for pid in me..me + 2000 {
        let _ = std::os::unix::fs::symlink(&victim, dir.path().join(format!(".r.prom.{pid}.tmp")));
    }
    let r = run(doctor().args(["--only", "container", "--format", "openmetrics", "--output"]).arg(&out), &[]);
    assert!(r.code == 0 || r.code == 1, "{r:?}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious", "the link's target was overwritten");
    assert!(std::fs::read_to_string(&out).unwrap().contains("openai_doctor"), "the report was written");
    // The planted links are someone else's: still there, still links.
    let links = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_type().unwrap().is_symlink())
        .count();
    assert_eq!(links, 2000);

    // A link at the output path itself is an input error without --force; with it the link is
    // replaced, never its target.
    let link = dir.path().join("link.prom");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    let r = run(doctor().args(["--only", "container", "--format", "openmetrics", "--output"]).arg(&link), &[]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("symbolic link"), "{}", r.stderr);
    let r =
        run(doctor().args(["--only", "container", "--format", "openmetrics", "--force", "--output"]).arg(&link), &[]);
    assert!(r.code <= 1, "{r:?}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert!(!std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
}

// Item 7: devices, read-only and unrelated files are not replaced without --force.

#[test]
fn output_applies_the_bundles_rules() {
    let dir = tempfile::tempdir().unwrap();
    let notes = write(dir.path(), "notes.txt", "my notes");
    let readonly = dir.path().join("old.prom");
    let first = run(doctor().args(["--only", "container", "--format", "openmetrics", "--output"]).arg(&readonly), &[]);
    assert!(first.code <= 1, "{first:?}");
    let mut perms = std::fs::metadata(&readonly).unwrap().permissions();
    perms.set_readonly(true);
    std::fs::set_permissions(&readonly, perms).unwrap();
    for (dest, expect) in [
        (std::path::PathBuf::from("/dev/null"), "not a regular file"),
        (notes.clone(), "not an openai-doctor report"),
        (readonly.clone(), "read-only"),
        (dir.path().to_path_buf(), "is a directory"),
    ] {
        let r = run(doctor().args(["--only", "container", "--output"]).arg(&dest), &[]);
        assert_eq!(r.code, 2, "{dest:?}: {r:?}");
        assert!(r.stderr.contains(expect), "{dest:?}: {}", r.stderr);
    }
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), "my notes");
    // A previous report is replaced as before (the textfile collector's use).
    let again = dir.path().join("again.prom");
    for _ in 0..2 {
        let r = run(doctor().args(["--only", "container", "--format", "openmetrics", "--output"]).arg(&again), &[]);
        assert!(r.code <= 1, "{r:?}");
    }
    // --force replaces an unrelated file; --force alone is a usage error.
    let r = run(doctor().args(["--only", "container", "--force", "--output"]).arg(&notes), &[]);
    assert!(r.code <= 1, "{r:?}");
    assert!(std::fs::read_to_string(&notes).unwrap().contains("openai-doctor"));
    let r = run(doctor().args(["--only", "container", "--force"]), &[]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(leftovers(dir.path()).is_empty(), "{:?}", leftovers(dir.path()));
}

#[test]
fn a_failed_rename_removes_only_this_runs_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    // Someone else's files at the names today's code would have picked (the pid of the run).
    let me = std::process::id();
    for pid in me..me + 2000 {
        write(dir.path(), &format!(".busy.{pid}.tmp"), "theirs");
    }
    // A non-empty directory cannot be replaced by a file: the rename fails.
    let busy = dir.path().join("busy");
    std::fs::create_dir(&busy).unwrap();
    write(&busy, "inside", "x");
    let r = run(doctor().args(["--only", "container", "--force", "--output"]).arg(&busy), &[]);
    assert_eq!(r.code, 2, "{r:?}");
    let left = leftovers(dir.path());
    assert_eq!(left.len(), 2000, "only this run's temporary file is removed");
    for name in left {
        assert_eq!(std::fs::read_to_string(dir.path().join(&name)).unwrap(), "theirs", "{name}");
    }
}

// Item 9: secrets a 401 body echoes survive in no output.

const ECHOED: &[&str] = &[
    "TWOSPACEabc123def456",
    "TABBEDabc123def456",
    "0123456789abcdef0123456789abcdef",
    "xk-live-98765zyxw",
    "s3cr3t-valu3-here",
    "9944b09199c62bcf9418",
    "IOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI",
    "16C7e42F292c6912E771",
];

/// Standard base64 with padding (no dependency for one test).
fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, &b)| acc | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            out.push(if i <= chunk.len() { char::from(ABC[(n >> (18 - 6 * i) & 63) as usize]) } else { '=' });
        }
    }
    out
}

fn echoing_body() -> String {
    let escaped: String = FAKE_KEY.chars().map(|c| format!("\\u{:04x}", u32::from(c))).collect();
    let percent: String = FAKE_KEY.bytes().map(|b| format!("%{b:02X}")).collect();
    let b64 = base64(format!("Bearer {FAKE_KEY}").as_bytes());
    format!(
        "Bearer  TWOSPACEabc123def456\nAuthorization: Bearer\tTABBEDabc123def456\napi-key: 0123456789abcdef0123456789abcdef\n\
         x-api-key: xk-live-98765zyxw\n{{\"api_key\": \"s3cr3t-valu3-here\"}}\nAuthorization: Token 9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b\n\
         AKIAIOSFODNN7EXAMPLE aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n\
         ghp_16C7e42F292c6912E7710c838347Ae178B4a\nyour key {}\n{}\nescaped {escaped}\npercent {percent}\nbase64 {b64}\n",
        &FAKE_KEY[..20],
        &FAKE_KEY[20..]
    )
}

#[test]
fn secrets_an_error_body_echoes_survive_nowhere() {
    let body = echoing_body();
    let world =
        World::with_api(move |_| Reply::new(401, "text/plain", body.clone()).header("x-request-id", "req_echo"));
    let dir = tempfile::tempdir().unwrap();
    let key_parts = [&FAKE_KEY[8..30], "\\u0054\\u0045\\u0053\\u0054", "%54%45%53%54%61"];
    let mut secrets: Vec<&str> = ECHOED.to_vec();
    secrets.extend(key_parts);
    for format in ["table", "json", "markdown"] {
        let r = run(
            doctor().current_dir(dir.path()).args(world.args()).args([
                "--format",
                format,
                "-v",
                "--probes",
                "1",
                "--no-billable",
                "--skip",
                "container",
                "--bundle",
            ]),
            &secrets,
        );
        assert_eq!(r.code, 1, "{r:?}");
        assert!(r.stdout.contains("req_echo") || format == "table", "{}", r.stdout);
    }
    let bundle = std::fs::read_dir(dir.path()).unwrap().next().unwrap().unwrap().path();
    for (name, text) in unzip(&bundle) {
        for s in &secrets {
            assert!(!text.contains(s), "{s} in {name}:\n{text}");
        }
    }
}

// Item 10: a base-URL password holding `/`.

#[test]
fn a_base_url_password_with_a_slash_is_never_printed() {
    let secret = "GW/pass-SECRET-10";
    let url = format!("https://u:{secret}@api.test/v1");
    let r = run(doctor().args(["--base-url", &url, "checks"]), &[secret, "pass-SECRET-10"]);
    assert_eq!(r.code, 2, "{r:?}");
    let r = run(doctor().env("OPENAI_BASE_URL", &url).arg("checks"), &[secret, "pass-SECRET-10"]);
    assert_eq!(r.code, 2, "{r:?}");
    for args in [&["--help"][..], &["serve", "--help"]] {
        let r = run(doctor().env("OPENAI_BASE_URL", &url).args(args), &[secret, "pass-SECRET-10", "GW/"]);
        assert_eq!(r.code, 0, "{r:?}");
        assert!(r.stdout.contains("[env: OPENAI_BASE_URL]"), "{}", r.stdout);
    }
}

// Item 4: the printed recipes work against a server that checks the key.

/// A loopback API as strict as the real one about the key: anything but `Bearer <FAKE_KEY>` is
/// a 401 with the real body.
fn strict_api() -> server::Server {
    server::http(|s| {
        if s.header("authorization") != Some(&format!("Bearer {FAKE_KEY}")) {
            return Reply::new(401, "application/json", crate::support::error_bodies::INVALID_API_KEY);
        }
        Reply::json(
            200,
            &json!({"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "gpt-4.1-nano",
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok-from-strict"}, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}),
        )
    })
}

/// A directory holding a `curl` that appends its arguments (one a line) to `argv.log` beside it
/// and runs the real curl: what `ps` shows other users of the machine while it runs.
pub(crate) fn argv_logging_curl() -> (tempfile::TempDir, std::ffi::OsString) {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let real = std::env::split_paths(&path).map(|d| d.join("curl")).find(|p| p.is_file()).expect("curl on PATH");
    let dir = tempfile::tempdir().unwrap();
    let script = format!(
        "#!/bin/sh\nprintf '%s\\n' \"$@\" >> '{}'\nexec '{}' \"$@\"\n",
        dir.path().join("argv.log").display(),
        real.display()
    );
    let wrapper = write(dir.path(), "curl", &script);
    std::fs::set_permissions(&wrapper, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let mut dirs = vec![dir.path().to_owned()];
    dirs.extend(std::env::split_paths(&path));
    let joined = std::env::join_paths(dirs).unwrap();
    (dir, joined)
}

#[test]
fn the_bash_recipe_works_against_a_server_that_checks_the_key() {
    let api = strict_api();
    let recipe = run(doctor().args(["recipe", "bash", "--timeout", "5", "--max-retries", "0"]), &[]);
    assert_eq!(recipe.code, 0);
    assert!(recipe.stdout.contains("Bearer $OPENAI_API_KEY"), "{}", recipe.stdout);
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "body.json", r#"{"model":"gpt-4.1-nano","messages":[{"role":"user","content":"hi"}]}"#);
    write(dir.path(), "recipe.sh", &recipe.stdout);
    let (curl_dir, path) = argv_logging_curl();
    let out = std::process::Command::new("bash")
        .arg("recipe.sh")
        .current_dir(dir.path())
        .env("PATH", &path)
        .env("OPENAI_API_KEY", FAKE_KEY)
        .env("OPENAI_BASE_URL", format!("{}/v1", api.url()))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("ok-from-strict"), "{stdout}");
    // Issue 27 review: the key reached the server, but never curl's command line.
    let argv = std::fs::read_to_string(curl_dir.path().join("argv.log")).unwrap();
    assert!(argv.contains("@-") && !argv.contains(&FAKE_KEY[8..]), "curl's arguments:\n{argv}");
    // And the strict server is strict: the same script with another key fails.
    let bad = std::process::Command::new("bash")
        .arg("recipe.sh")
        .current_dir(dir.path())
        .env("OPENAI_API_KEY", "sk-proj-not-the-right-key-0000000000000")
        .env("OPENAI_BASE_URL", format!("{}/v1", api.url()))
        .output()
        .unwrap();
    assert!(!bad.status.success());
}

#[test]
fn the_python_recipe_works_against_a_server_that_checks_the_key() {
    // The interpreter with openai and tenacity (the project venv first), as the SDK tests find it.
    let Some(python) = crate::simulate::python_or_skip("the_python_recipe_works_against_a_server_that_checks_the_key")
    else {
        return;
    };
    let api = strict_api();
    let recipe = run(doctor().args(["recipe", "python", "--timeout", "5"]), &[]);
    let dir = tempfile::tempdir().unwrap();
    let script = format!(
        "{}\nprint(create_chat(model=\"gpt-4.1-nano\", messages=[{{\"role\": \"user\", \"content\": \"hi\"}}]).choices[0].message.content)\n",
        recipe.stdout
    );
    write(dir.path(), "recipe.py", &script);
    let out = std::process::Command::new(&python)
        .arg("recipe.py")
        .current_dir(dir.path())
        .env("OPENAI_API_KEY", FAKE_KEY)
        .env("OPENAI_BASE_URL", format!("{}/v1", api.url()))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("ok-from-strict"), "{stdout}");
}

// Items 1, 5 and 6: `serve` under scrapers that try to exhaust it.

mod serve {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::time::{Duration, Instant};

    use crate::metrics::{Serve, counter, get, world};

    fn serve_with(delay: Duration) -> (crate::support::world::World, Serve) {
        let w = world(delay);
        let mut args = w.args();
        args.extend(["--probes".into(), "1".into(), "--cache".into(), "60".into()]);
        let serve = Serve::start(&args);
        (w, serve)
    }

    #[test]
    fn forty_spellings_of_one_check_list_are_one_run() {
        let (_w, serve) = serve_with(Duration::from_millis(1500));
        let spellings: Vec<String> = (1..=40)
            .map(|n| match n % 4 {
                0 => vec!["probe"; n].join(","),
                1 => vec!["PROBE"; n].join("%2C"),
                2 => format!("{}probe", ",".repeat(n)),
                _ => vec![" probe "; n].join(",").replace(' ', "%20"),
            })
            .collect();
        let scrapes: Vec<_> = spellings
            .into_iter()
            .map(|checks| {
                let addr = serve.addr.clone();
                std::thread::spawn(move || get(&addr, &format!("/probe?checks={checks}"), &[]))
            })
            .collect();
        for s in scrapes {
            let (status, _, body) = s.join().unwrap();
            assert_eq!(status, 200, "{body}");
        }
        let (_, _, metrics) = serve.get("/metrics", &[]);
        assert_eq!(counter(&metrics, "openai_doctor_exporter_runs_total "), 1, "{metrics}");
    }

    #[test]
    fn runs_in_flight_are_capped_and_the_refusal_says_why() {
        let (_w, serve) = serve_with(Duration::from_secs(3));
        let sets = ["probe", "dns,probe", "tls,probe", "status,probe"];
        let running: Vec<_> = sets
            .iter()
            .map(|checks| {
                let addr = serve.addr.clone();
                let checks = (*checks).to_owned();
                std::thread::spawn(move || get(&addr, &format!("/probe?checks={checks}"), &[]))
            })
            .collect();
        std::thread::sleep(Duration::from_millis(800));
        let (status, _, body) = serve.get("/probe?checks=proxy,probe", &[]);
        assert_eq!(status, 503, "{body}");
        assert!(body.contains("runs are in flight"), "{body}");
        // A scrape of a probe already running shares it instead.
        let (status, _, body) = serve.get("/probe?checks=probe,probe", &[]);
        assert_eq!(status, 200, "{body}");
        for r in running {
            assert_eq!(r.join().unwrap().0, 200);
        }
        let (_, _, metrics) = serve.get("/metrics", &[]);
        assert_eq!(counter(&metrics, "openai_doctor_exporter_runs_total "), 4, "{metrics}");
        assert_eq!(counter(&metrics, "openai_doctor_exporter_runs_in_flight "), 0, "{metrics}");
    }

    #[test]
    fn a_run_cut_short_by_one_scrapers_timeout_is_not_served_to_others() {
        let (_w, serve) = serve_with(Duration::from_millis(300));
        let (status, _, body) = serve.get("/probe?checks=probe", &[("X-Prometheus-Scrape-Timeout-Seconds", "0.5")]);
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("openai_doctor_success 0"), "0.1 s is too short for the probe: {body}");
        let (status, _, body) = serve.get("/probe?checks=probe", &[]);
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("openai_doctor_success 1"), "a healthy API, given its time: {body}");
        let (_, _, metrics) = serve.get("/metrics", &[]);
        assert_eq!(counter(&metrics, "openai_doctor_exporter_runs_total "), 2, "{metrics}");
    }

    /// Reads until the server closes; how long that took.
    fn closed_after(mut s: TcpStream) -> (Duration, String) {
        let started = Instant::now();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let mut raw = Vec::new();
        let _ = s.read_to_end(&mut raw);
        (started.elapsed(), String::from_utf8_lossy(&raw).into_owned())
    }

    #[test]
    fn slow_and_oversized_request_heads_are_cut_off() {
        let (_w, serve) = serve_with(Duration::ZERO);
        // A slowloris: a head that never ends, a byte every half second.
        let mut slow = TcpStream::connect(&serve.addr).unwrap();
        slow.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n").unwrap();
        let trickle = slow.try_clone().unwrap();
        let writer = std::thread::spawn(move || {
            let mut t = trickle;
            for _ in 0..40 {
                std::thread::sleep(Duration::from_millis(500));
                if t.write_all(b"X").is_err() {
                    break;
                }
            }
        });
        let (took, _) = closed_after(slow);
        assert!(took < Duration::from_secs(8), "a slow head is closed within the header timeout: {took:?}");
        writer.join().unwrap();
        // 380 KB of head: refused at once, not buffered.
        let mut big = TcpStream::connect(&serve.addr).unwrap();
        let mut head = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Pad: ".to_vec();
        head.extend(std::iter::repeat_n(b'a', 380 * 1024));
        let _ = big.write_all(&head);
        let (took, answer) = closed_after(big);
        assert!(took < Duration::from_secs(3), "{took:?}");
        assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 431"), "{answer}");
        // The exporter still answers.
        assert_eq!(serve.get("/metrics", &[]).0, 200);
    }

    #[test]
    fn connections_beyond_the_cap_are_refused_with_a_reason() {
        let (_w, serve) = serve_with(Duration::ZERO);
        let held: Vec<TcpStream> = (0..512).map(|_| TcpStream::connect(&serve.addr).unwrap()).collect();
        std::thread::sleep(Duration::from_millis(300));
        let (_, answer) = closed_after(TcpStream::connect(&serve.addr).unwrap());
        assert!(answer.starts_with("HTTP/1.1 503") && answer.contains("too many open connections"), "{answer}");
        drop(held);
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(serve.get("/metrics", &[]).0, 200, "slots come back when connections close");
    }
}

// Item 11: --reduce keeps the shape of the user's prompts, not their text.

#[test]
fn reduce_puts_the_shape_of_the_prompts_in_the_bundle_not_their_text() {
    let world = World::with_api(|s| {
        let body = String::from_utf8_lossy(&s.body).into_owned();
        if s.method == "POST" && body.contains("\"role\":\"tool\"") && body.len() > 20_000 {
            Reply::json(500, &json!({"error": {"message": "The server had an error while processing your request.", "type": "server_error", "param": null, "code": null}}))
                .header("x-request-id", "req_reduce_fail")
        } else {
            Reply::json(200, &json!({"object": "list", "data": [{"id": "gpt-4.1-nano", "object": "model"}]}))
        }
    });
    let private = ["St. Mary's triage desk", "Jane Roe", "4711-0815"];
    let messages = json!([
        {"role": "system", "content": "You are the St. Mary's triage desk. Be careful."},
        {"role": "user", "content": "Patient Jane Roe, ID 4711-0815, reports chest pain."},
        {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": format!("Jane Roe 4711-0815 {}", "r".repeat(40_000))},
        {"role": "user", "content": "summarise for Jane Roe"}
    ]);
    let body = json!({"model": "gpt-4.1", "messages": messages});
    let dir = tempfile::tempdir().unwrap();
    let payload = write(dir.path(), "p.json", &body.to_string());
    for keep in [false, true] {
        let out = tempfile::tempdir().unwrap();
        let mut cmd = doctor();
        cmd.current_dir(out.path()).args(world.args()).args([
            "--format",
            "json",
            "--skip",
            "status,container",
            "--probes",
            "1",
            "--payload",
            payload.to_str().unwrap(),
            "--send-payload",
            "--reduce",
            "--deadline",
            "30",
            "--bundle",
        ]);
        if keep {
            cmd.arg("--reduce-keep-text");
        }
        let r = run(&mut cmd, if keep { &[] } else { &private });
        let reduced = &r.check("probe")["details"]["reduced"];
        let minimal = reduced["minimal_body"].to_string();
        assert!(minimal.contains("\"role\":\"tool\""), "the shape stays: {minimal}");
        let files = unzip(&std::fs::read_dir(out.path()).unwrap().next().unwrap().unwrap().path());
        let readme = &files.iter().find(|(n, _)| n == "README.txt").unwrap().1;
        if keep {
            assert!(minimal.contains("Jane Roe"), "--reduce-keep-text keeps it: {minimal}");
            assert!(readme.contains("WARNING") && readme.contains("verbatim"), "{readme}");
        } else {
            assert!(minimal.contains("bytes") && minimal.contains("tokens") && minimal.contains("sha256"), "{minimal}");
            for (name, text) in &files {
                for p in private {
                    assert!(!text.contains(p), "{p} in {name}");
                }
            }
            assert!(readme.contains("never the text of your prompts"), "{readme}");
        }
    }
}

// Item 12: a process that names itself with escape codes.

#[test]
fn a_process_name_with_escape_codes_reaches_no_output_raw() {
    let dir = tempfile::tempdir().unwrap();
    // The name a process gets from its file (what PR_SET_NAME sets too): 15 bytes at most.
    let name = "\u{1b}]0;pwn\u{7}\n```\u{1b}[2J";
    let exe = dir.path().join(name);
    std::fs::copy("/bin/sleep", &exe).unwrap();
    let mut app = std::process::Command::new(&exe).arg("30").spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let pid = app.id().to_string();
    for format in ["table", "markdown", "json"] {
        let r = run(doctor().args(["--pid", &pid, "--only", "container", "--format", format]), &[]);
        assert!(r.code <= 1, "{r:?}");
        assert!(!r.stdout.contains('\u{1b}') && !r.stdout.contains('\u{7}'), "{format}: {:?}", r.stdout);
        assert!(!r.stdout.contains("\n```\\x1b"), "{format}: the name closed a code block: {}", r.stdout);
        assert!(r.stdout.contains("x1b]0;pwn"), "{format}: the name is shown, escaped: {}", r.stdout);
    }
    let _ = app.kill();
    let _ = app.wait();
}

// Item 13: request ids are capped.

#[test]
fn a_huge_request_id_is_cut_and_marked() {
    let id = format!("req_{}", "x".repeat(100 * 1024));
    let world = World::with_api(move |_| {
        Reply::json(500, &json!({"error": {"message": "The server had an error while processing your request.", "type": "server_error", "param": null, "code": null}}))
            .header("x-request-id", &id)
    });
    let r = run(
        doctor().args(world.args()).args([
            "--format",
            "json",
            "--probes",
            "3",
            "--no-billable",
            "--skip",
            "status,container",
        ]),
        &[],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stdout.contains("…[cut: 102404 bytes]"), "the cut is marked");
    assert!(r.stdout.len() < 100 * 1024, "three ids of 100 KB are not copied: {} bytes", r.stdout.len());
}

// Item 8: redirects are recorded and named, a downgrade fails, the key never follows.

#[test]
fn a_base_url_that_redirects_is_named_and_a_downgrade_fails() {
    let world = World::healthy();
    let target = world.base_url();
    let hop = server::http(move |s| {
        let rest = s.path.strip_prefix("/v1").unwrap_or(&s.path).to_owned();
        Reply::new(301, "text/html", "<html>Moved</html>").header("location", &format!("{target}{rest}"))
    });
    let args = ["--only", "probe", "--format", "json", "--probes", "1", "--no-billable", "--deadline", "10"];
    let base = format!("{}/v1", hop.url());
    let r = run(doctor().args(world.args()).args(["--base-url", &base]).args(args), &[]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    let probe = r.check("probe");
    let f = &probe["findings"][0];
    assert_eq!(f["code"], "probe.redirect", "{probe}");
    assert!(f["message"].as_str().unwrap().contains(&format!("redirects to {}", world.base_url())), "{f}");
    assert!(f["remedy"].as_str().unwrap().contains(&format!("use {}", world.base_url())), "{f}");
    assert!(!probe.to_string().contains("removed the Authorization header"), "{probe}");
    let hops: Vec<_> = r.json()["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|q| q["location"].as_str().map(str::to_owned))
        .collect();
    assert!(hops.iter().any(|l| l.starts_with(&world.base_url())), "the hop is in the request log: {hops:?}");
    assert!(world.api.seen().is_empty(), "the redirect is not followed with the key");

    // https → http: a failure, and the plain-http server never sees the key.
    let plain = server::http(|_| Reply::json(200, &json!({"object": "list", "data": []})));
    let plain_url = plain.url();
    let down = World::with_api(move |s| {
        let rest = s.path.strip_prefix("/v1").unwrap_or(&s.path).to_owned();
        Reply::new(302, "text/html", "").header("location", &format!("{plain_url}/v1{rest}"))
    });
    let r = run(doctor().args(down.args()).args(args), &[]);
    assert_eq!(r.code, 1, "a downgrade is a failure: {}", r.stdout);
    let f = &r.check("probe")["findings"][0];
    assert_eq!(f["code"], "probe.redirect", "{f}");
    assert!(f["message"].as_str().unwrap().contains("downgrade to plain http"), "{f}");
    assert!(plain.seen().iter().all(|s| s.header("authorization").is_none()), "the key never reaches plain http");
}

// Item 15 (images): `scripts/image` and the tests remove only what their run built.

#[test]
fn scripts_image_removes_only_what_its_run_built() {
    use crate::support::docker;
    let docker_ok = docker::cli(&["info", "--format", "{{.ServerVersion}}"]).status.success();
    if !docker_ok {
        docker::unavailable("scripts_image_removes_only_what_its_run_built", "no daemon");
        return;
    }
    // Someone else's untagged image with the project's label (what the old prune removed).
    let mut tar = std::process::Command::new("tar")
        .args(["-c", "-C", env!("CARGO_MANIFEST_DIR"), "Cargo.toml"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let import = std::process::Command::new("docker")
        .args(["import", "--change", "LABEL org.opencontainers.image.title=openai-doctor", "-"])
        .stdin(tar.stdout.take().unwrap())
        .output()
        .unwrap();
    tar.wait().unwrap();
    assert!(import.status.success(), "{}", String::from_utf8_lossy(&import.stderr));
    let theirs = String::from_utf8_lossy(&import.stdout).trim().to_owned();
    let tag = format!("openai-doctor-h21-image-test:run-{}", std::process::id());
    let out = std::process::Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/image"))
        .args(["--binary", assert_cmd::cargo::cargo_bin("openai-doctor").to_str().unwrap(), "--tag", &tag])
        .output()
        .unwrap();
    let all = |args: &[&str]| String::from_utf8_lossy(&docker::cli(args).stdout).into_owned();
    let after = all(&["images", "-a", "--no-trunc", "--format", "{{.ID}} {{.Repository}}:{{.Tag}}"]);
    let _ = docker::cli(&["image", "rm", &tag]);
    let _ = docker::cli(&["image", "rm", &theirs]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(after.contains(&theirs), "another user's image survives:\n{after}");
    // Nothing this run made is left but the image asked for: no stand-in base under a tag, no
    // build-stage leftover (the script names its run).
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    let run = said.rsplit("(run ").next().and_then(|r| r.split(')').next()).unwrap_or_else(|| panic!("{said}"));
    assert!(!after.contains(&format!(":run-{run}")), "stand-ins left behind:\n{after}");
    let leftovers = all(&["images", "-q", "--filter", &format!("label=org.openai-doctor.image-run={run}")]);
    assert!(leftovers.trim().is_empty(), "build-stage leftovers: {leftovers}");
    assert!(docker::image_tag().contains(&format!("run-{}", std::process::id())), "the tests' image is this run's");
}
