//! A complete healthy loopback world: a test CA, an HTTPS API server for `api.test`, a nameserver
//! that answers `api.test → 127.0.0.1`, and a healthy status page. `args()` points the doctor at
//! it, so no lookup or connection leaves loopback.

use serde_json::json;

use super::dns::{self, Dns};
use super::pki::{Pki, Validity};
use super::server::{self, Reply, Seen, Server};
use super::status_pages::{HEALTHY, statuspage};

pub struct World {
    pub pki: Pki,
    pub api: Server,
    pub dns: Dns,
    pub status: Server,
}

impl World {
    /// A world whose API answers with `api`.
    pub fn with_api(api: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Self {
        let pki = Pki::new("Doctor Test Root", "openai-doctor tests");
        let api = server::https(pki.server_config(&["api.test", "localhost"], Validity::Current), api);
        let dns = dns::serve(&[("api.test", "127.0.0.1")]);
        let status = server::http(|_| Reply::json(200, &statuspage(HEALTHY, json!([]))));
        Self { pki, api, dns, status }
    }

    /// A world whose API lists models.
    pub fn healthy() -> Self {
        Self::with_api(|_| {
            Reply::json(200, &json!({"object": "list", "data": [{"id": "gpt-4.1-nano", "object": "model"}]}))
        })
    }

    pub fn base_url(&self) -> String {
        format!("https://api.test:{}/v1", self.api.addr.port())
    }

    /// Flags that aim the doctor at this world, without trusting its CA. The world stands in for
    /// OpenAI's API (`--provider openai`): `api.test` would otherwise be judged as an
    /// OpenAI-compatible server.
    pub fn args_without_ca(&self) -> Vec<String> {
        vec![
            "--provider".into(),
            "openai".into(),
            "--base-url".into(),
            self.base_url(),
            "--dns-server".into(),
            self.dns.arg(),
            "--status-url".into(),
            self.status.url(),
        ]
    }

    /// Flags that aim the doctor at this world, standing in for OpenAI's API.
    pub fn args(&self) -> Vec<String> {
        vec![
            "--provider".into(),
            "openai".into(),
            "--base-url".into(),
            self.base_url(),
            "--dns-server".into(),
            self.dns.arg(),
            "--ca-file".into(),
            self.pki.ca_file.display().to_string(),
            "--status-url".into(),
            self.status.url(),
        ]
    }
}
