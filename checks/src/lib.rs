//! The checks behind `openai-doctor`: the finding model, the `Check` trait and registry, the
//! runner (order, dependencies, deadlines, concurrency), the shared network context, and one
//! module per check. No printing happens here: the binary renders what the runner returns.

#![warn(missing_docs)]

/// Declares a finding code: `code!(NAME, id, title, long explanation)` (all literals).
macro_rules! code {
    ($name:ident, $id:literal, $title:literal, $explain:literal) => {
        #[doc = $title]
        pub static $name: $crate::model::Code = $crate::model::Code { id: $id, title: $title, explain: $explain };
    };
}

pub mod catalog;
pub mod cgroup;
pub mod check;
pub mod config;
pub mod container;
pub mod dns;
pub mod facts;
pub mod fsread;
pub mod hosts_file;
pub mod model;
pub mod net;
pub mod payload;
pub mod probe;
pub mod proxy;
pub mod proxy_env;
pub mod resolv_conf;
pub mod resolve;
pub mod retry;
pub mod runner;
pub mod secret;
pub mod status;
pub mod status_page;
pub mod timeout;
pub mod tls;
pub mod tls_chain;
pub mod tunnel;

pub use check::{Check, CheckInfo, Context, registry};
pub use config::{Config, Env};
pub use model::{CheckReport, Finding, Outcome, Severity, Status};
pub use runner::{RunReport, Selection, Verdict, run};
pub use secret::{Redactor, SecretString};
pub use url;

#[cfg(test)]
mod fuzz;
