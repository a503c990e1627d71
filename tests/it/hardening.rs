//! Regressions of the hardening pass, one test per defect found by attacking the release: no
//! false all-clear, no crash from a hostile server, no clobbered file, no secret in any output
//! (stderr and the progress line included), JSON that stays JSON, no unbounded read, no terminal
//! escape from outside, no panic on a broken output, and clear words for confusing cases.

use std::time::Duration;

use serde_json::json;

use crate::bundle::{bundle_in, unzip};
use crate::support::server::{self, Reply};
use crate::support::world::World;
use crate::support::{Run, doctor, run};

fn json_run(world: &World, extra: &[&str], secrets: &[&str]) -> Run {
    run(doctor().args(world.args()).args(["--format", "json", "--probes", "1", "--no-billable"]).args(extra), secrets)
}

fn mkfifo(dir: &std::path::Path, name: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    assert!(std::process::Command::new("mkfifo").arg(&path).status().unwrap().success());
    path
}

fn is_fifo(path: &std::path::Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_fifo())
}

// 1. False all-clear.

#[test]
fn a_probe_that_could_not_send_a_request_is_never_a_pass() {
    let world = World::healthy();
    let r = json_run(&world, &["--only", "probe", "--deadline", "0.4"], &[]);
    let probe = r.check("probe");
    assert_eq!((r.code, probe["status"].as_str()), (1, Some("fail")), "{}", r.stdout);
    assert_eq!(probe["findings"][0]["code"], "probe.not_measured", "{probe}");
    assert_eq!(r.json()["verdict"]["root_cause"], "probe");
    assert!(!r.json()["verdict"]["summary"].as_str().unwrap().contains("no problem found"));
    assert!(world.api.seen().is_empty(), "no request went out");
}

// 2. A server cannot crash the doctor.

#[test]
fn megabytes_of_pem_headers_in_bodies_and_status_pages_end_in_a_report() {
    for unit in ["-----BEGIN X-----\n", "-----BEGIN PRIVATE KEY-----"] {
        let body = unit.repeat(1024 * 1024 / unit.len());
        let api_body = body.clone();
        let world =
            World::with_api(move |_| Reply::new(500, "text/plain", api_body.clone()).header("x-request-id", "req_pem"));
        let page = body.clone();
        let status = server::http(move |_| Reply::new(200, "application/json", page.clone()));
        let r = json_run(&world, &["--status-url", &status.url(), "--skip", "container", "--deadline", "15"], &[]);
        assert_eq!(r.code, 1, "a report, not a crash: {}\n{}", r.stdout, r.stderr);
        assert_eq!(r.check("probe")["status"], "fail");
        assert!(r.elapsed < Duration::from_secs(16), "took {:?}", r.elapsed);
        assert!(r.stdout.contains("req_pem"), "the request id survives next to the body");
    }
}

// 3. No clobbered files.

#[test]
fn bundle_paths_that_are_not_new_files_or_previous_bundles_are_input_errors_before_the_run() {
    let world = World::healthy();
    let dir = tempfile::tempdir().unwrap();
    let fifo = mkfifo(dir.path(), "pipe");
    let notes = crate::support::write(dir.path(), "notes.txt", "my notes");
    let missing = dir.path().join("no/such/folder/b.zip");
    for (dest, expect) in
        [(&fifo, "not a regular file"), (&notes, "not an openai-doctor bundle"), (&missing, "does not exist")]
    {
        let r = run(doctor().args(world.args()).arg("--bundle").arg(dest), &[]);
        assert_eq!(r.code, 2, "{dest:?}: {r:?}");
        assert!(r.stderr.contains(expect), "{dest:?}: {}", r.stderr);
    }
    assert!(is_fifo(&fifo), "the FIFO is still a FIFO");
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), "my notes");
    assert!(world.api.seen().is_empty(), "decided before the run: no request was made");

    // A previous bundle is replaced; a read-only one, or any file with --force, only when asked.
    let bundle = dir.path().join("ticket.zip");
    let first =
        run(doctor().args(world.args()).args(["--probes", "1", "--skip", "container", "--bundle"]).arg(&bundle), &[]);
    assert_eq!(first.code, 0, "{first:?}");
    let again =
        run(doctor().args(world.args()).args(["--probes", "1", "--skip", "container", "--bundle"]).arg(&bundle), &[]);
    assert_eq!(again.code, 0, "a previous bundle is replaced: {again:?}");
    let mut perms = std::fs::metadata(&bundle).unwrap().permissions();
    perms.set_readonly(true);
    std::fs::set_permissions(&bundle, perms).unwrap();
    let ro = run(doctor().args(world.args()).args(["--bundle"]).arg(&bundle), &[]);
    assert!(ro.code == 2 && ro.stderr.contains("read-only"), "{ro:?}");
    let forced = run(
        doctor().args(world.args()).args(["--probes", "1", "--skip", "container", "--force", "--bundle"]).arg(&notes),
        &[],
    );
    assert_eq!(forced.code, 0, "{forced:?}");
    assert!(unzip(&notes).iter().any(|(name, _)| name == "ticket.md"), "--force replaced it with a bundle");
}

// 4. Secrets in stderr, the progress line and URLs.

#[test]
fn an_invalid_base_url_is_not_echoed_with_its_secrets() {
    let r = run(
        doctor().env("OPENAI_BASE_URL", "htps://alice:PW-SECRET-41@api.test/v1?api-key=QUERY-SECRET-41").arg("checks"),
        &["PW-SECRET-41", "QUERY-SECRET-41"],
    );
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("--base-url") && r.stderr.contains("scheme"), "{}", r.stderr);
}

#[test]
fn secrets_only_a_url_holds_appear_in_no_output_and_no_bundle_file() {
    let world = World::healthy();
    let base = world.base_url().replace("https://", "https://TOKEN-ONLY-9f8e7d6c@") + "?api-key=QUERY-SECRET-42";
    let secrets = ["TOKEN-ONLY-9f8e7d6c", "QUERY-SECRET-42", "SIG-SECRET-42", "PROXYKEY-42"];
    let dir = tempfile::tempdir().unwrap();
    let r = run(
        doctor()
            .current_dir(dir.path())
            .args(world.args())
            .args(["--base-url", &base, "--format", "markdown", "--probes", "1", "--skip", "container", "--bundle"])
            .env("AZURE_OPENAI_ENDPOINT", "https://x.openai.azure.com/?sig=SIG-SECRET-42&sv=2024")
            // A proxy variable for another scheme: its user name alone is the credential.
            .env("HTTP_PROXY", "http://PROXYKEY-42@127.0.0.1:9")
            .env("NO_PROXY", "*"),
        &secrets,
    );
    // The SDKs append paths after a base URL's query, so the probe sends nothing and says so.
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("probe.base_url_query"), "{}", r.stdout);
    let files = unzip(&bundle_in(dir.path()));
    for (name, text) in &files {
        for s in secrets {
            assert!(!text.contains(s), "{s} in {name}:\n{text}");
        }
    }
    let env = &files.iter().find(|(n, _)| n == "environment.json").unwrap().1;
    assert!(env.contains("AZURE_OPENAI_ENDPOINT") && env.contains("sig=***"), "shown, its secret not: {env}");
    assert!(world.api.seen().iter().all(|s| !s.path.contains("QUERY-SECRET-42")), "never sent where the app would not");
}

/// Issue 27 review: a credential in the endpoint's fragment (`#api-key=`) and an Azure Functions
/// key (`?code=`) were printed in clear in the table, the JSON and the bundle.
#[test]
fn fragment_and_function_key_credentials_appear_in_no_output_and_no_bundle_file() {
    let api = server::http(|_| Reply::json(401, &json!({"error": {"code": "401", "message": "Access denied"}})));
    let secrets = ["FRAGSECRET", "QKEYSECRET3"];
    let azure = format!("http://{}#api-key=FRAGSECRET", api.addr);
    let compatible = format!("{}/v1?code=QKEYSECRET3#api-key=FRAGSECRET", api.url());
    let envs: [&[(&str, &str)]; 2] = [
        &[("AZURE_OPENAI_ENDPOINT", &azure), ("AZURE_OPENAI_API_KEY", "0123456789abcdef0123456789abcdef")],
        &[("OPENAI_BASE_URL", &compatible)],
    ];
    for vars in envs {
        for format in ["table", "json"] {
            let dir = tempfile::tempdir().unwrap();
            let mut cmd = doctor();
            cmd.current_dir(dir.path()).envs(vars.iter().copied()).env("OPENAI_API_VERSION", "2024-10-21").args([
                "--model",
                "dep",
                "--format",
                format,
                "-v",
                "--only",
                "dns,tls,probe",
                "--probes",
                "1",
                "--no-billable",
                "--deadline",
                "15",
                "--bundle",
            ]);
            let r = run(&mut cmd, &secrets);
            assert_eq!(r.code, 1, "{vars:?} {format}: {r:?}");
            // A query or fragment breaks the SDKs' URLs: named, and the URLs shown are clean.
            assert!(r.stdout.contains("probe.base_url_query"), "{}", r.stdout);
            let files = unzip(&bundle_in(dir.path()));
            for (name, text) in &files {
                for s in secrets {
                    assert!(!text.contains(s), "{s} in {name}:\n{text}");
                }
            }
            // The variable itself is shown in the bundle's environment, its secrets redacted.
            let env = &files.iter().find(|(n, _)| n == "environment.json").unwrap().1;
            assert!(env.contains("api-key=***"), "the parameter is named, its value not: {env}");
        }
    }
    // Nothing was sent: the app's SDK could not have sent these URLs either.
    assert!(api.seen().is_empty(), "{:?}", api.seen());
}

#[test]
fn basic_credentials_a_server_echoes_are_redacted_in_every_format() {
    // base64("alice:secret-proxy-pw"): what a proxy's Proxy-Authorization header carries.
    let echoed = "YWxpY2U6c2VjcmV0LXByb3h5LXB3";
    let world = World::with_api(move |_| {
        Reply::json(
            502,
            &json!({"error": {"message": format!("upstream saw Proxy-Authorization: Basic {echoed}"), "type": "proxy"}}),
        )
    });
    for format in ["json", "table", "markdown"] {
        let r = run(
            doctor().args(world.args()).args(["--format", format, "--probes", "1", "--no-billable", "--only", "probe"]),
            &[echoed, "secret-proxy-pw"],
        );
        assert_eq!(r.code, 1, "{format}: {r:?}");
        assert!(r.stdout.contains("Proxy-Authorization: Basic") && r.stdout.contains("***"), "{format}: {}", r.stdout);
    }
}

#[test]
fn validate_output_is_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let pasted = "sk-proj-PASTEDabcdefghijklmnopqrstuvwxyz0123456789";
    let body = json!({"model": pasted, "messages": [{"role": "user", "content": "hi"}]}).to_string();
    let file = crate::support::write(dir.path(), "p.json", &body);
    for format in ["table", "json"] {
        let r = run(doctor().args(["validate", "--format", format]).arg(&file), &[pasted]);
        assert!(r.code <= 1, "{r:?}");
    }
}

#[test]
fn the_live_progress_line_is_redacted() {
    // The progress line needs a terminal: `script` gives the doctor one.
    let world = World::with_api(|_| Reply::json(200, &json!({"data": []})).after(Duration::from_millis(1500)));
    let base = world.base_url().replace("https://", "https://alice:PROGRESS-PW-43@");
    let bin = assert_cmd::cargo::cargo_bin("openai-doctor");
    let mut line = format!("{} --only probe --probes 1 --no-billable --base-url '{base}'", bin.display());
    // The world's flags but its own --base-url (this one carries the password).
    let args = world.args();
    let at = args.iter().position(|a| a == "--base-url").unwrap();
    for a in args.iter().enumerate().filter(|(i, _)| *i != at && *i != at + 1).map(|(_, a)| a) {
        line.push_str(&format!(" '{a}'"));
    }
    let out = std::process::Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("OPENAI_API_KEY", crate::support::FAKE_KEY)
        .env("TERM", "xterm")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("script (util-linux) runs");
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(screen.contains("checks done"), "the progress line was drawn:\n{screen}");
    assert!(screen.contains("alice:***@"), "{screen}");
    assert!(!screen.contains("PROGRESS-PW-43") && !screen.contains(crate::support::FAKE_KEY), "{screen}");
}

// 5. The redactor must not corrupt output.

#[test]
fn settings_named_like_secrets_and_pem_lines_in_headers_leave_reports_whole() {
    let world = World::with_api(|_| {
        Reply::json(500, &json!({"error": {"message": "boom", "type": "server_error"}}))
            .header("x-request-id", "-----BEGIN PRIVATE KEY-----")
    });
    let r = json_run(&world, &["--only", "probe"], &[]);
    let doc = r.json();
    assert_eq!(doc["checks"][0]["status"], "skip", "JSON parses, booleans and all: {}", r.stdout);
    let r = run(
        doctor()
            .args(world.args())
            .args(["--format", "markdown", "--probes", "1", "--no-billable", "--only", "probe"])
            .env("TOKENIZERS_PARALLELISM", "false"),
        &[],
    );
    assert!(r.stdout.contains("[private key redacted]"), "{}", r.stdout);
    assert!(r.stdout.contains("_Generated by openai-doctor"), "the ticket is whole after the header:\n{}", r.stdout);
    // An untrusted CA: the trust analysis holds `"trusted": false` for every client's store.
    let r = run(
        doctor()
            .args(world.args_without_ca())
            .args(["--format", "json", "--only", "dns,tls"])
            .env("TOKENIZERS_PARALLELISM", "false"),
        &[],
    );
    assert!(r.stdout.contains(": false"), "JSON false is not a secret: {}", r.stdout);
    r.json();
}

// 6. Bounded reads before the deadline starts.

#[test]
fn fifos_and_devices_as_input_files_are_input_errors_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = mkfifo(dir.path(), "fifo");
    let fifo = fifo.to_str().unwrap();
    /// Flags, variables, what stderr must say.
    type Case<'a> = (Vec<&'a str>, Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case<'_>> = vec![
        (vec!["--payload", fifo], vec![], "FIFO"),
        (vec!["--ca-file", fifo], vec![], "FIFO"),
        (vec![], vec![("SSL_CERT_FILE", fifo)], "SSL_CERT_FILE"),
        (vec![], vec![("SSL_CERT_FILE", "/dev/zero")], "a device"),
        (vec!["--payload", "/dev/zero"], vec![], "a device"),
    ];
    for (args, env, expect) in cases {
        let mut cmd = doctor();
        cmd.args(["--deadline", "2", "--only", "container"]).args(&args).timeout(Duration::from_secs(10));
        for (k, v) in &env {
            cmd.env(k, v);
        }
        let r = run(&mut cmd, &[]);
        assert_eq!(r.code, 2, "{args:?} {env:?}: {r:?}");
        assert!(r.stderr.contains(expect), "{args:?} {env:?}: {}", r.stderr);
        assert!(r.elapsed < Duration::from_secs(3), "{args:?} {env:?}: took {:?}", r.elapsed);
    }
    let r = run(doctor().args(["validate"]).arg(fifo).timeout(Duration::from_secs(10)), &[]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stdout.contains("1 unreadable, 0 errors"), "unreadable files are counted: {}", r.stdout);
}

// 7. Terminal escape injection.

#[test]
fn control_characters_from_a_server_never_reach_the_terminal() {
    let hostile = "\u{1b}]52;c;aGVsbG8=\u{7}\u{1b}[2J\u{1b}[32m✓ no problem found\u{9b}0m\r\u{202e}";
    let world = World::with_api(move |_| {
        Reply::json(500, &json!({"error": {"message": hostile, "type": "server_error"}}))
            .header("x-request-id", "req_esc")
    });
    for format in ["table", "markdown"] {
        let r = run(
            doctor().args(world.args()).args([
                "--format",
                format,
                "--probes",
                "1",
                "--no-billable",
                "--only",
                "probe",
                "-v",
            ]),
            &[],
        );
        let raw = r
            .stdout
            .chars()
            .chain(r.stderr.chars())
            .filter(|&c| (c.is_control() && c != '\n' && c != '\t') || c == '\u{202e}');
        assert_eq!(raw.count(), 0, "{format}: {:?}", r.stdout);
        assert!(r.stdout.contains("\\x1b]52;c;"), "shown as escapes: {}", r.stdout);
    }
    let r = json_run(&world, &["--only", "probe"], &[]);
    assert!(!r.stdout.contains('\u{1b}') && !r.stdout.contains('\u{9b}'), "{}", r.stdout);
    let message = r.check("probe")["findings"][0]["message"].as_str().unwrap().to_owned();
    assert!(message.contains(hostile), "JSON keeps the text, escaped: {message:?}");
}

// 8. No panic on a broken output.

/// The binary as a std `Command` (assert_cmd's has no stdout/stderr redirection), with the same
/// scrubbed environment as `doctor()`.
fn std_doctor() -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("openai-doctor"));
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("OPENAI_API_KEY", crate::support::FAKE_KEY)
        .env("NO_COLOR", "1")
        .env("RUST_BACKTRACE", "0")
        .stdin(std::process::Stdio::null());
    cmd
}

#[test]
fn closed_pipes_and_full_disks_end_quietly_or_with_exit_3() {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = std_doctor().args(["--deadline", "0"]).stderr(writer).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "a usage error with stderr closed: no panic");

    let world = World::healthy();
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = std_doctor()
        .args(world.args())
        .args(["--format", "json", "--probes", "1", "--skip", "container", "--bundle"])
        .current_dir(tempfile::tempdir().unwrap().path())
        .stdout(writer)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "stdout closed (| head): {}", String::from_utf8_lossy(&out.stderr));

    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let dir = tempfile::tempdir().unwrap();
    let out = std_doctor()
        .args(world.args())
        .args(["--format", "json", "--probes", "1", "--skip", "container", "--bundle"])
        .current_dir(dir.path())
        .stderr(writer)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "stderr closed while naming the bundle: no panic");
    bundle_in(dir.path());

    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let out = std_doctor().args(["--only", "container"]).stdout(full).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot write to stdout"));
}

// 9. Confusing results.

#[test]
fn an_empty_org_variable_means_unset() {
    let world = World::healthy();
    let r = run(
        doctor()
            .args(world.args())
            .args(["--format", "json", "--probes", "1", "--no-billable", "--skip", "container"])
            .env("OPENAI_ORG_ID", "")
            .env("OPENAI_PROJECT_ID", ""),
        &[],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        world
            .api
            .seen()
            .iter()
            .all(|s| s.header("openai-organization").is_none() && s.header("openai-project").is_none())
    );
}

#[test]
fn a_base_url_with_a_query_is_named_not_sent() {
    // openai-python merges each path into the base URL's raw path, query included
    // (…/v1?api-version=X + models → …/v1/?api-version=Xmodels): no request of the app's
    // reaches the API, so the doctor sends none and names the query.
    let world = World::healthy();
    let base = format!("{}?api-version=2024-10-21", world.base_url());
    let r = json_run(&world, &["--base-url", &base, "--only", "probe"], &[]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(world.api.seen().is_empty(), "{:?}", world.api.seen());
    let probe = r.check("probe");
    assert_eq!(probe["findings"][0]["code"], "probe.base_url_query", "{probe}");
    assert!(probe["findings"][0]["message"].as_str().unwrap().contains("--base-url carries a query"), "{probe}");
}

#[test]
fn a_bracketed_ipv6_nameserver_is_accepted() {
    let r = run(doctor().args(["--dns-server", "[::1]", "--only", "container", "--format", "json"]), &[]);
    assert_ne!(r.code, 2, "{}", r.stderr);
}
