//! The network path every check shares: the context (one HTTP client, trust anchors, the log of
//! requests), the client's connect budget, name resolution as the client does it, proxy selection from the environment, and
//! CONNECT tunnels, the one authenticated request builder and the streaming send. It knows no
//! check.

pub mod answer;
pub mod app_trust;
pub mod authed;
pub mod bypass;
pub mod connect;
pub mod context;
pub mod interfaces;
pub mod proxy_env;
pub mod resolv_conf;
pub mod resolve;
pub mod stream;
pub mod tunnel;
