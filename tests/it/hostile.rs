//! Hostile and broken peers: each run ends within --deadline (+1 s) with a clear finding, and
//! nothing panics. A server that sends headers then stalls the body, one that answers after 60 s,
//! 50 MB bodies, invalid UTF-8, a redirect loop, a hundred 1xx answers; and 20 runs at once.

use std::time::Duration;

use serde_json::json;

use crate::support::pki::Validity;
use crate::support::server::{self, Reply};
use crate::support::world::World;
use crate::support::{Run, doctor, run};

fn probe_only(world: &World, extra: &[&str]) -> Run {
    run(
        doctor()
            .args(world.args())
            .args(["--format", "json", "--only", "dns,tls,probe", "--probes", "1", "--no-billable"])
            .args(extra),
        &[],
    )
}

fn probe_message(r: &Run) -> String {
    r.check("probe")["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join(" | ")
}

/// A world whose API is a raw TLS server answering with `bytes`.
fn raw_world(bytes: Vec<u8>, stall: bool) -> World {
    let mut world = World::healthy();
    world.api = server::raw_tls(world.pki.server_config(&["api.test", "localhost"], Validity::Current), bytes, stall);
    world
}

#[test]
fn headers_then_a_stalled_body_end_within_the_deadline() {
    let world = raw_world(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"data\": [".to_vec(),
        true,
    );
    let r = probe_only(&world, &["--deadline", "4"]);
    assert!(r.elapsed < Duration::from_secs(5), "took {:?}", r.elapsed);
    assert_eq!(r.check("probe")["status"], "fail");
    assert!(probe_message(&r).contains("no complete answer within"), "{}", probe_message(&r));
}

#[test]
fn a_server_answering_after_60_s_ends_within_the_deadline() {
    let world = World::with_api(|_| Reply::json(200, &json!({"data": []})).after(Duration::from_secs(60)));
    let r = probe_only(&world, &["--deadline", "4"]);
    assert!(r.elapsed < Duration::from_secs(5), "took {:?}", r.elapsed);
    assert!(probe_message(&r).contains("no complete answer within"), "{}", probe_message(&r));
}

#[test]
fn a_50_mb_status_page_is_read_only_in_part() {
    let world = World::healthy();
    let huge = server::http(|_| Reply::new(200, "application/json", vec![b' '; 50 * 1024 * 1024]));
    let r = run(
        doctor().args(world.args()).args(["--format", "json", "--only", "status", "--status-url", &huge.url()]),
        &[],
    );
    assert!(r.elapsed < Duration::from_secs(10), "took {:?}", r.elapsed);
    let c = r.check("status");
    assert_eq!(c["status"], "warn");
    assert!(c["findings"][0]["message"].as_str().unwrap().contains("larger than 2 MiB, not read further"), "{c}");
}

#[test]
fn a_50_mb_error_body_and_invalid_utf8_are_handled() {
    let world = World::with_api(|_| {
        Reply::new(500, "application/json", vec![b'x'; 50 * 1024 * 1024]).header("x-request-id", "req_big")
    });
    let r = probe_only(&world, &[]);
    let msg = probe_message(&r);
    assert!(msg.contains("500") && msg.contains("only the first MiB was read") && msg.contains("req_big"), "{msg}");
    let world = World::with_api(|_| {
        Reply::new(500, "text/plain", vec![0xff, 0xfe, 0xc3, 0x28, 0x80]).header("x-request-id", "req_utf8")
    });
    let r = probe_only(&world, &[]);
    assert!(probe_message(&r).contains("req_utf8"), "{}", probe_message(&r));
    assert_eq!(r.check("probe")["status"], "fail");
}

#[test]
fn a_redirect_loop_is_bounded_and_named() {
    let world = World::with_api(|s| Reply::new(302, "text/plain", "").header("location", &s.path));
    let r = probe_only(&world, &[]);
    let msg = probe_message(&r);
    // An API request never follows a redirect (issue 21): the loop is named at its first hop.
    assert!(msg.contains("redirect loop"), "{msg}");
    assert!(world.api.seen().len() <= 6 + 1, "at most the first request and 5 redirects: {}", world.api.seen().len());
}

#[test]
fn a_hundred_informational_answers_before_the_real_one() {
    let mut bytes = b"HTTP/1.1 100 Continue\r\n\r\n".repeat(100);
    let body = br#"{"object":"list","data":[]}"#;
    bytes.extend_from_slice(format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nx-request-id: req_after_1xx\r\nContent-Length: {}\r\n\r\n", body.len()).as_bytes());
    bytes.extend_from_slice(body);
    let world = raw_world(bytes, false);
    let r = probe_only(&world, &["--deadline", "4"]);
    assert!(r.elapsed < Duration::from_secs(5));
    // The HTTP client reads past informational answers to the real one.
    assert_eq!(r.check("probe")["status"], "pass", "{}", probe_message(&r));
    let request = r.json()["requests"].as_array().unwrap().iter().find(|q| q["check"] == "probe").cloned().unwrap();
    assert_eq!((request["status"].as_u64(), request["request_id"].as_str()), (Some(200), Some("req_after_1xx")));
}

#[test]
fn twenty_runs_at_once_all_succeed_with_their_own_bundles() {
    let world = World::healthy();
    let dir = tempfile::tempdir().unwrap();
    let args = world.args();
    let handles: Vec<_> = (0..20)
        .map(|_| {
            let (args, dir) = (args.clone(), dir.path().to_path_buf());
            std::thread::spawn(move || {
                run(
                    doctor().current_dir(&dir).args(&args).args([
                        "--format",
                        "json",
                        "--probes",
                        "1",
                        "--skip",
                        "container",
                        "--bundle",
                    ]),
                    &[],
                )
            })
        })
        .collect();
    for h in handles {
        let r = h.join().unwrap();
        assert_eq!(r.code, 0, "{}", r.stdout);
        assert_eq!(r.json()["verdict"]["root_cause"], serde_json::Value::Null);
    }
    let zips = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "zip"))
        .count();
    let all = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!((zips, all), (20, 20), "twenty bundles, no temporary file left, none overwritten");
}
