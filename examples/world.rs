//! A loopback world outside the tests, for the benchmark and for comparing clients by hand:
//! `cargo run --example world -- MODE` prints a JSON object with the doctor's flags, the base URL
//! (by name, `api.test`, resolved by the world's nameserver; and by `localhost`, for clients that
//! use the system resolver), the CA file and the status URL, then serves until
//! Ctrl-C (or SIGTERM), or until stdin closes when stdin is a pipe (as scripts/bench and
//! scripts/sdk-compare hold it): started with `&` from a shell it keeps serving.
//!
//! Modes: healthy, intercept (a CA nobody trusts), error500, unauthorized, edge502, slow (60 s).
//! Everything listens on 127.0.0.1 only.

#[path = "../tests/support/mod.rs"]
#[allow(unused_imports)]
mod support;

use std::io::Read;
use std::time::Duration;

use serde_json::json;
use support::pki::{Pki, Validity};
use support::server::{self, Reply};
use support::world::World;

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_else(|| "healthy".to_owned());
    let api = |status: u16, body: serde_json::Value| {
        move |_: &server::Seen| Reply::json(status, &body).header("x-request-id", "req_world0001")
    };
    let world = match mode.as_str() {
        "healthy" => World::with_api(api(
            200,
            json!({"object": "list", "data": [{"id": "gpt-4.1-nano", "object": "model"}], "choices": [{"message": {"role": "assistant", "content": "OK"}}]}),
        )),
        "error500" => World::with_api(api(
            500,
            json!({"error": {"message": "The server had an error while processing your request. Sorry about that!", "type": "server_error", "param": null, "code": null}}),
        )),
        "unauthorized" => World::with_api(api(
            401,
            json!({"error": {"message": "Incorrect API key provided: sk-proj-****WXYZ.", "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}}),
        )),
        "edge502" => World::with_api(|_| {
            Reply::new(
                502,
                "text/html",
                "<html><head><title>502 Bad Gateway</title></head><body>cloudflare</body></html>",
            )
            .header("server", "cloudflare")
        }),
        "slow" => World::with_api(|_| Reply::json(200, &json!({"data": []})).after(Duration::from_secs(60))),
        "intercept" => {
            // A healthy world whose API presents a certificate from a CA nobody trusts.
            let mut w = World::healthy();
            let rogue = Pki::new("Zscaler Root CA", "Zscaler Inc.");
            w.api = server::https(rogue.server_config(&["api.test", "localhost"], Validity::Current), |_| {
                Reply::json(200, &json!({"data": []}))
            });
            std::mem::forget(rogue);
            w
        }
        other => {
            eprintln!("unknown mode {other}: healthy, intercept, error500, unauthorized, edge502, slow");
            std::process::exit(2);
        }
    };
    let port = world.api.addr.port();
    let info = json!({
        "doctor_args": world.args(),
        "base_url": world.base_url(),
        "localhost_base_url": format!("https://localhost:{port}/v1"),
        "ca_file": world.pki.ca_file,
        "status_url": world.status.url(),
        "dns": world.dns.arg(),
    });
    println!("{info}");
    if stdin_is_a_pipe() {
        // A script holds the pipe open for as long as it needs the world.
        let _ = std::io::stdin().read_to_end(&mut Vec::new());
    } else {
        eprintln!("world: serving until Ctrl-C");
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async {
            #[cfg(unix)]
            {
                use tokio::signal::unix::{SignalKind, signal};
                let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
                tokio::select! { _ = tokio::signal::ctrl_c() => {}, _ = term.recv() => {} }
            }
            #[cfg(not(unix))]
            let _ = tokio::signal::ctrl_c().await;
        });
    }
    // Dropping the world removes its CA file and stops its servers.
}

/// A pipe (or socket) on stdin means a caller that closes it when done; a terminal or /dev/null
/// (what a background job `&` gets) means a person, who stops it with Ctrl-C.
fn stdin_is_a_pipe() -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        std::fs::metadata("/dev/stdin").is_ok_and(|m| m.file_type().is_fifo() || m.file_type().is_socket())
    }
    #[cfg(not(unix))]
    false
}
