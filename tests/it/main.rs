//! Black-box tests of the `openai-doctor` binary against loopback worlds. One test binary (one
//! link step) with a module per topic.

#[path = "../support/mod.rs"]
mod support;

mod azure;
mod azure_sim;
mod bundle;
mod cli;
mod container;
mod containers;
mod details;
mod experience;
mod hardening;
mod hardening_two;
mod hostile;
mod json_report;
mod metrics;
mod network;
#[cfg(feature = "online")]
mod online;
mod payload;
mod payload_size;
mod policy;
mod probe;
mod provenance;
mod simulate;
mod status;
mod stream;
