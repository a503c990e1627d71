//! The checks, one folder each, in report order. Each owns its finding codes and its private
//! parsers; none imports another (what one learns for another goes through `engine::facts`).

pub mod container;
pub mod dns;
pub mod payload;
pub mod probe;
pub mod proxy;
pub mod status;
pub mod stream;
pub mod timeout;
pub mod tls;
