//! The checks behind `openai-doctor`. Layers, top to bottom (`scripts/import-graph` enforces
//! that no file imports one above it and that no two files import each other):
//!
//! - `registry`, `catalog`: every check and every finding code;
//! - `checks/<id>/`: one folder per check, its codes and private parsers inside;
//! - `engine/`: the `Check` trait and context, facts, the runner;
//! - `net/`: the network context, resolution, proxy selection, tunnels;
//! - `config`, `provider`, `input`, `request`, `sdk`, `secret`, `fsread`, `model`, `details`:
//!   configuration, which API the app calls (OpenAI, Azure OpenAI, a compatible server) and how,
//!   the environment snapshot and user URLs, what is sent, the SDKs' retry facts, redaction,
//!   bounded reads, the finding model and each check's typed details.
//!
//! No printing happens here: the binary renders what the runner returns.

#![warn(missing_docs)]

/// Declares a finding code: `code!(NAME, id, title, long explanation)` (all literals).
macro_rules! code {
    ($name:ident, $id:literal, $title:literal, $explain:literal) => {
        #[doc = $title]
        pub static $name: $crate::model::Code = $crate::model::Code { id: $id, title: $title, explain: $explain };
    };
}

pub mod catalog;
pub mod checks;
pub mod config;
pub mod details;
pub mod engine;
pub mod fsread;
pub mod input;
pub mod model;
pub mod net;
pub mod provider;
pub mod registry;
pub mod request;
pub mod sdk;
pub mod secret;

pub use config::{Config, Env};
pub use engine::check::{Check, CheckInfo, Context};
pub use engine::runner::{RunError, RunReport, Selection, Verdict};
pub use model::{CheckId, CheckReport, Finding, Outcome, Severity, Status};
pub use registry::registry;
pub use secret::{Redactor, SecretString};
pub use url;

#[cfg(test)]
mod fuzz;
