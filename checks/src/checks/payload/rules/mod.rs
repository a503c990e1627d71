//! The rules: what the API checks in a request body (types, enums, ranges, names, limits) and
//! what a schema cannot say (tool-call pairing, `json_object` without the word JSON, parameters
//! reasoning models reject, a last turn from the assistant). Every problem has a JSON pointer,
//! a fix and, where known, the API's own 400 text. One file per endpoint, their shared
//! vocabulary in `common`.

mod chat;
pub mod common;
mod embeddings;
mod responses;

pub use chat::chat;
pub use common::{Sink, Texts, type_name};
pub use embeddings::embeddings;
pub use responses::responses;
