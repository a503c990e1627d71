//! Parses a request body the strict way the API's parser differs from `serde_json`: invalid
//! UTF-8 (with line and column), JSON syntax errors (line and column), and duplicate keys, which
//! the server resolves silently by keeping one of them.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// A key that appears twice in one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    /// JSON pointer of the object.
    pub object: String,
    /// The repeated key.
    pub key: String,
}

/// Why the body is not a JSON document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

/// Line and column (1-based) of a byte offset.
#[must_use]
pub fn line_col(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let start = before.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[start..]).chars().count() + 1;
    (line, column)
}

/// Parses `bytes` as one JSON document, collecting duplicate keys.
///
/// # Errors
/// Invalid UTF-8 or invalid JSON, with line and column.
pub fn parse(bytes: &[u8]) -> Result<(Value, Vec<Duplicate>), SyntaxError> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    if let Err(e) = std::str::from_utf8(bytes) {
        let (line, column) = line_col(bytes, e.valid_up_to());
        return Err(SyntaxError {
            line,
            column,
            message: format!("invalid UTF-8 (byte 0x{:02x}); the API requires UTF-8", bytes[e.valid_up_to()]),
        });
    }
    let mut dups = Vec::new();
    let mut de = serde_json::Deserializer::from_slice(bytes);
    // serde_json's own recursion limit (128) guards the stack.
    let value = Seed { path: String::new(), dups: &mut dups }.deserialize(&mut de).map_err(|e| syntax(&e))?;
    de.end().map_err(|e| syntax(&e))?;
    Ok((value, dups))
}

fn syntax(e: &serde_json::Error) -> SyntaxError {
    let text = e.to_string();
    // serde_json appends " at line L column C"; keep the message alone.
    let mut message = text.rsplit_once(" at line ").map_or(text.as_str(), |(m, _)| m).to_owned();
    if message.contains("hex escape") || message.contains("surrogate") {
        message.push_str(" (a \\u escape: a lone UTF-16 surrogate such as \\ud800 is not valid text)");
    }
    SyntaxError { line: e.line(), column: e.column(), message }
}

/// Escapes a key for a JSON pointer (RFC 6901).
#[must_use]
pub fn pointer_escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

struct Seed<'a> {
    path: String,
    dups: &'a mut Vec<Duplicate>,
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) =
            seq.next_element_seed(Seed { path: format!("{}/{}", self.path, out.len()), dups: &mut *self.dups })?
        {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let path = format!("{}/{}", self.path, pointer_escape(&key));
            let value = map.next_value_seed(Seed { path, dups: &mut *self.dups })?;
            if out.insert(key.clone(), value).is_some() {
                self.dups.push(Duplicate {
                    object: if self.path.is_empty() { "/".to_owned() } else { self.path.clone() },
                    key,
                });
            }
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_have_line_and_column() {
        let e = parse(b"{\n  \"model\": \"gpt-4o\",\n  \"messages\": [,]\n}").unwrap_err();
        assert_eq!((e.line, e.column), (3, 16));
        assert!(e.message.contains("expected value"), "{}", e.message);
        let e = parse(b"{\"a\": 1} trailing").unwrap_err();
        assert!(e.message.contains("trailing"), "{}", e.message);
    }

    #[test]
    fn invalid_utf8_and_lone_surrogates() {
        let e = parse(b"{\"a\": \"caf\xe9\"}").unwrap_err();
        assert_eq!((e.line, e.column), (1, 11));
        assert!(e.message.contains("UTF-8"), "{}", e.message);
        let e = parse(br#"{"a": "\ud800"}"#).unwrap_err();
        assert!(e.message.contains("surrogate"), "{}", e.message);
        assert!(parse(br#"{"a": "\ud83d\ude00"}"#).is_ok(), "a valid pair");
    }

    #[test]
    fn duplicates_are_reported_with_their_object() {
        let (_, dups) =
            parse(br#"{"model": "a", "messages": [{"role": "user", "role": "system"}], "model": "b"}"#).unwrap();
        assert_eq!(
            dups,
            [
                Duplicate { object: "/messages/0".into(), key: "role".into() },
                Duplicate { object: "/".into(), key: "model".into() }
            ]
        );
    }

    #[test]
    fn bom_is_ignored_and_pointers_escape() {
        assert!(parse(b"\xef\xbb\xbf{}").is_ok());
        assert_eq!(pointer_escape("a/b~c"), "a~1b~0c");
    }
}
