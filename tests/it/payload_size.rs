//! Size or content? A payload that gets no answer while the small requests pass: a loopback API
//! that stalls silently on any body above 1,400 bytes (as a path-MTU black hole, a VPN or a
//! proxy with a body limit does) is named as the size on the path, with the byte range found by
//! bisection within the deadline; one that stalls only on a given content is named as content.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::server::{Reply, Seen};
use crate::support::world::World;
use crate::support::{Run, doctor, run};

/// Above this many bytes of body, the path swallows the request: no answer, no reset.
const PATH_LIMIT: usize = 1_400;

fn ok() -> Reply {
    Reply::new(200, "application/json", r#"{"object":"list","data":[{"id":"gpt-4.1-nano","object":"model"}]}"#)
        .header("x-request-id", "req_small_ok")
}

/// No answer for an hour: the client sees what a black hole shows it, silence.
fn stall() -> Reply {
    ok().after(Duration::from_secs(3600))
}

/// A chat payload of about 20 KB (the issue's size): a long history of ordinary turns, with `marker` in the last one.
fn payload(dir: &std::path::Path, marker: &str) -> (std::path::PathBuf, usize) {
    let mut messages = vec![json!({"role": "system", "content": "You are a careful assistant."})];
    for i in 0..120 {
        messages.push(json!({"role": "user", "content": format!("What happened in chapter {i} of the story?")}));
        messages.push(json!({"role": "assistant", "content": format!("In chapter {i}, the travellers crossed another river and rested.")}));
    }
    messages.push(json!({"role": "user", "content": format!("Summarise the journey. {marker}")}));
    let body = json!({"model": "gpt-4.1", "messages": messages}).to_string();
    (crate::support::write(dir, "payload.json", &body), body.len())
}

fn size_run(world: &World, path: &std::path::Path, extra: &[&str]) -> Run {
    let args = ["--format", "json", "--only", "payload,probe", "--probes", "1", "--send-payload", "--reduce"];
    run(doctor().args(args).arg("--payload").arg(path).args(world.args()).args(extra), &[])
}

fn finding(r: &Run, code: &str) -> Option<Value> {
    r.check("probe")["findings"].as_array().unwrap().iter().find(|f| f["code"] == code).cloned()
}

fn posts(world: &World) -> Vec<Seen> {
    world.api.seen().into_iter().filter(|s| s.method == "POST").collect()
}

#[test]
fn a_path_that_drops_big_requests_is_named_with_the_byte_range() {
    let world = World::with_api(|s| if s.body.len() > PATH_LIMIT { stall() } else { ok() });
    let dir = tempfile::tempdir().unwrap();
    let (path, original) = payload(dir.path(), "");
    assert!(original > 15_000, "{original}");
    let r = size_run(&world, &path, &["--deadline", "25"]);
    assert!(r.elapsed < Duration::from_secs(25), "within --deadline: {:?}", r.elapsed);
    let f =
        finding(&r, "probe.payload_size").unwrap_or_else(|| panic!("no probe.payload_size in {}", r.check("probe")));
    let msg = f["message"].as_str().unwrap();
    assert!(msg.contains("the size on the network path is the cause, not the content"), "{msg}");
    assert!(msg.contains(&format!("same size ({original} bytes")), "the control has the payload's size: {msg}");
    let range = msg.split("start failing between ").nth(1).unwrap_or_else(|| panic!("{msg}"));
    let numbers: Vec<usize> =
        range.split(" bytes").next().unwrap().split(" and ").map(|n| n.parse().unwrap()).collect();
    let (from, to) = (numbers[0], numbers[1]);
    assert!(from <= PATH_LIMIT && PATH_LIMIT < to, "the range holds the limit: {from}..{to}");
    assert!(to - from <= 100, "the bisection narrows it: {from}..{to}: {msg}");
    assert!(f["remedy"].as_str().unwrap().contains("MTU"), "{f}");
    let d = &r.check("probe")["details"]["size_or_content"];
    assert_eq!(d["cause"], "size", "{d}");
    assert_eq!(
        (d["passes_at_bytes"].as_u64(), d["fails_at_bytes"].as_u64()),
        (Some(from as u64), Some(to as u64)),
        "{d}"
    );
    assert_eq!(d["control_bytes"].as_u64(), Some(original as u64), "{d}");
    assert_eq!(f["severity"], "fail", "{f}");
    // The payload finding no longer blames the content, and nothing is reduced.
    let p = finding(&r, "probe.payload_fails").expect("the payload's own finding");
    assert!(p["remedy"].as_str().unwrap().contains("The size, not the content"), "{p}");
    assert!(finding(&r, "probe.reduced").is_none(), "{}", r.check("probe"));
    assert!(finding(&r, "probe.payload_content").is_none(), "{}", r.check("probe"));
    // The controls are neutral: the payload's text never goes out again, each asks for 1 token.
    let posts = posts(&world);
    let controls: Vec<&Seen> = posts.iter().filter(|s| String::from_utf8_lossy(&s.body).contains("padding")).collect();
    assert!(controls.len() >= 4, "control and bisection: {}", controls.len());
    assert_eq!(controls[0].body.len(), original, "the first control has the payload's size");
    for c in &controls {
        let body = String::from_utf8_lossy(&c.body);
        assert!(!body.contains("travellers") && body.contains("\"max_completion_tokens\":1"), "{body}");
        assert!(body.contains("\"model\":\"gpt-4.1\""), "the payload's model: {body}");
    }
    // Within the --reduce budget (12 by default) next to the minimal completion and the payload.
    assert!(posts.len() <= 2 + 12, "{} POSTs", posts.len());
    assert_eq!(r.code, 1);
}

#[test]
fn content_that_stalls_while_a_neutral_control_passes_is_named_content() {
    let world =
        World::with_api(|s| if String::from_utf8_lossy(&s.body).contains("ZX-TRIGGER") { stall() } else { ok() });
    let dir = tempfile::tempdir().unwrap();
    let (path, original) = payload(dir.path(), "ZX-TRIGGER");
    let r = size_run(&world, &path, &["--deadline", "20", "--reduce-requests", "1"]);
    assert!(r.elapsed < Duration::from_secs(20), "within --deadline: {:?}", r.elapsed);
    let f = finding(&r, "probe.payload_content")
        .unwrap_or_else(|| panic!("no probe.payload_content in {}", r.check("probe")));
    let msg = f["message"].as_str().unwrap();
    assert!(msg.contains(&format!("same size ({original} bytes")) && msg.contains("passes"), "{msg}");
    assert!(msg.contains("your payload's content triggers the failure, not its size"), "{msg}");
    assert!(f["remedy"].as_str().unwrap().contains("--reduce"), "{f}");
    let d = &r.check("probe")["details"]["size_or_content"];
    assert_eq!(d["cause"], "content", "{d}");
    assert!(d["passes_at_bytes"].is_null() && d["steps"].as_array().unwrap().is_empty(), "{d}");
    assert!(finding(&r, "probe.payload_size").is_none(), "{}", r.check("probe"));
    let p = finding(&r, "probe.payload_fails").expect("the payload's own finding");
    assert!(p["remedy"].as_str().unwrap().contains("payload triggers it"), "{p}");
    // One control, of the payload's size, within the budget of 1.
    let posts = posts(&world);
    let controls: Vec<&Seen> = posts.iter().filter(|s| String::from_utf8_lossy(&s.body).contains("padding")).collect();
    assert_eq!(controls.len(), 1, "{}", controls.len());
    assert_eq!(controls[0].body.len(), original);
    assert_eq!(r.code, 1);
}

/// Without the opt-in, no control is sent, and one failure is not blamed on the content.
#[test]
fn without_reduce_no_control_is_sent_and_the_content_is_not_blamed() {
    let world = World::with_api(|s| if s.body.len() > PATH_LIMIT { stall() } else { ok() });
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = payload(dir.path(), "");
    let args = ["--format", "json", "--only", "payload,probe", "--probes", "1", "--send-payload", "--deadline", "6"];
    let r = run(doctor().args(args).arg("--payload").arg(&path).args(world.args()), &[]);
    assert!(r.elapsed < Duration::from_secs(6), "within --deadline: {:?}", r.elapsed);
    let p = finding(&r, "probe.payload_fails").unwrap_or_else(|| panic!("{}", r.check("probe")));
    let remedy = p["remedy"].as_str().unwrap();
    assert!(remedy.contains("the size on the network path") && remedy.contains("run again with --reduce"), "{p}");
    assert!(!remedy.contains("The payload triggers it"), "{p}");
    assert!(finding(&r, "probe.payload_size").is_none() && finding(&r, "probe.payload_content").is_none());
    assert!(posts(&world).iter().all(|s| !String::from_utf8_lossy(&s.body).contains("padding")), "no control");
}
