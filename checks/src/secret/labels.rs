//! Credentials announced by a label: authorization schemes (`Bearer`, `Basic`, `Token`, with any
//! run of spaces or tabs) and key-value pairs (`api-key: …`, `x-api-key=…`, `"api_key": "…"`,
//! `aws_secret_access_key = …`). One forward scan: each position is looked at once for a label,
//! and the value after a label is examined within a bounded window unless it is consumed, so a
//! text of a million labels costs linear time (the previous scan searched the rest of the text
//! for each scheme at each step, quadratic on `basic x basic x …`).

use super::is_placeholder;

/// What a label announces.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bearer,
    Basic,
    /// `Authorization: Token …` (Django REST framework, many gateways).
    Token,
    /// `name: value`, `name=value`, `"name": "value"`.
    KeyValue,
}

/// Labels, matched case-insensitively at a word start. Longest first where one is a prefix of
/// another.
const LABELS: &[(&str, Kind)] = &[
    ("bearer", Kind::Bearer),
    ("basic", Kind::Basic),
    ("token", Kind::Token),
    ("x-api-key", Kind::KeyValue),
    ("api-key", Kind::KeyValue),
    ("api_key", Kind::KeyValue),
    ("apikey", Kind::KeyValue),
    ("aws_secret_access_key", Kind::KeyValue),
    ("secret_access_key", Kind::KeyValue),
    ("secretaccesskey", Kind::KeyValue),
    ("client_secret", Kind::KeyValue),
    ("access_token", Kind::KeyValue),
];

/// How much of a value is examined before deciding it is a credential.
const WINDOW: usize = 1024;

/// Where a credential value ends.
fn value_end(b: u8) -> bool {
    b.is_ascii_whitespace() || matches!(b, b'"' | b'\'' | b',' | b';' | b'\\' | b')' | b']' | b'}' | b'<' | b'>')
}

/// Whether `value` refers to a variable rather than holding a secret: `$NAME`, `${NAME}`,
/// `%NAME%`, `{os.environ[…]}`, `process.env.NAME`, `os.getenv(…)`, `ENV[…]`. A recipe that says
/// `Authorization: Bearer $OPENAI_API_KEY` must keep working once printed.
pub(super) fn is_variable_reference(value: &str) -> bool {
    let v = value.trim_start_matches(['{', '(', '`']);
    let name_char = |c: char| c.is_ascii_alphanumeric() || c == '_';
    v.strip_prefix('$').is_some_and(|rest| {
        let rest = rest.strip_prefix('{').unwrap_or(rest);
        rest.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_' || c == '{') || rest.starts_with("process.env")
    }) || (v.len() > 2 && v.starts_with('%') && v.ends_with('%') && v[1..v.len() - 1].chars().all(name_char))
        || ["os.environ", "os.getenv", "process.env", "env[", "getenv(", "ENV[", "env::var", "System.getenv"]
            .iter()
            .any(|p| v.starts_with(p))
}

/// Whether the word after `Bearer ` is a token rather than prose or a placeholder: OpenAI's own
/// message says "Bearer auth (i.e. Authorization: Bearer YOUR_KEY)", and neither is a secret.
fn is_bearer_token(token: &str) -> bool {
    token.len() >= 8
        && token != "***"
        && !token.contains('…')
        && !token.chars().all(|c| c.is_ascii_uppercase() || c == '_')
        && !is_placeholder(token)
        && !is_variable_reference(token)
}

/// Whether `token` is base64 of `user:password` (what `Authorization: Basic` carries).
fn is_basic_credential(token: &str) -> bool {
    use base64::Engine as _;
    let token = token.trim_end_matches(['.', ')', ']']);
    token.len() >= 4
        && base64::engine::general_purpose::STANDARD
            .decode(token)
            .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(token))
            .is_ok_and(|bytes| bytes.contains(&b':'))
}

fn credential_chars(v: &str) -> bool {
    v.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~' | '+' | '/' | '='))
}

/// `Token <value>`: "Token limit" is prose; a credential is long and mixes letters and digits.
fn is_token_credential(v: &str) -> bool {
    v.len() >= 16
        && credential_chars(v)
        && v.chars().any(|c| c.is_ascii_digit())
        && v.chars().any(|c| c.is_ascii_alphabetic())
}

/// The value of `api-key: …` and the like: a secret unless it is a placeholder, a hint, a
/// variable reference, a word (`provided`) or a constant name (`YOUR_API_KEY`).
fn is_key_value(v: &str) -> bool {
    v.len() >= 8
        && credential_chars(v)
        && (v.chars().any(|c| c.is_ascii_digit()) || v.len() >= 20)
        && !v.chars().all(|c| c.is_ascii_uppercase() || c == '_')
        && !matches!(v.to_ascii_lowercase().as_str(), "true" | "false" | "null" | "none" | "undefined")
}

/// The label starting at `i`, if any: its kind and length.
fn label_at(bytes: &[u8], i: usize) -> Option<(Kind, usize)> {
    if i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_') {
        return None;
    }
    LABELS.iter().find_map(|&(name, kind)| {
        let end = i + name.len();
        let word = bytes.get(i..end)?;
        (word.eq_ignore_ascii_case(name.as_bytes())
            && !bytes.get(end).is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_'))
        .then_some((kind, name.len()))
    })
}

/// Where the value after a label begins (after the separator the kind needs), if one does.
fn value_start(bytes: &[u8], after: usize, kind: Kind) -> Option<usize> {
    let mut j = after;
    let blanks = |j: &mut usize| {
        let from = *j;
        while bytes.get(*j).is_some_and(|b| matches!(b, b' ' | b'\t')) && *j - from < 64 {
            *j += 1;
        }
        *j - from
    };
    if kind == Kind::KeyValue {
        // `"api_key": "v"`, `api-key: v`, `x-api-key=v`, `api_key = 'v'`.
        if matches!(bytes.get(j), Some(b'"' | b'\'')) {
            j += 1;
        }
        blanks(&mut j);
        if !matches!(bytes.get(j), Some(b':' | b'=')) {
            return None;
        }
        j += 1;
        blanks(&mut j);
        if matches!(bytes.get(j), Some(b'"' | b'\'')) {
            j += 1;
        }
        Some(j)
    } else {
        (blanks(&mut j) > 0).then_some(j)
    }
}

/// `text` with every labelled credential replaced by `***`.
pub(super) fn redact(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let (mut copied, mut i) = (0, 0);
    while i < bytes.len() {
        if !matches!(bytes[i] | 0x20, b'b' | b't' | b'x' | b'a' | b's' | b'c') {
            i += 1;
            continue;
        }
        let Some((kind, len)) = label_at(bytes, i) else {
            i += 1;
            continue;
        };
        let after = i + len;
        let Some(start) = value_start(bytes, after, kind) else {
            i = after;
            continue;
        };
        // Decide on a bounded window; consume the whole value only when it is a credential.
        let limit = (start + WINDOW).min(bytes.len());
        let window_end = bytes[start..limit].iter().position(|&b| value_end(b)).map_or(limit, |n| start + n);
        let Some(value) = text.get(start..window_end) else {
            i = after;
            continue;
        };
        let secret = match kind {
            Kind::Bearer => is_bearer_token(value),
            Kind::Basic => is_basic_credential(value),
            Kind::Token => is_token_credential(value) && !is_variable_reference(value),
            Kind::KeyValue => {
                is_key_value(value) && !is_placeholder(value) && !is_variable_reference(value) && value != "***"
            }
        };
        if !secret {
            i = after;
            continue;
        }
        let end = if window_end == limit && limit < bytes.len() {
            bytes[limit..].iter().position(|&b| value_end(b)).map_or(bytes.len(), |n| limit + n)
        } else {
            window_end
        };
        out.push_str(&text[copied..start]);
        out.push_str("***");
        copied = end;
        i = end;
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labelled_credentials_in_every_spelling() {
        let cases = [
            ("Authorization: Bearer  TOKENabc123def456", "Authorization: Bearer  ***"),
            ("Authorization: Bearer\tTOKENabc123def456", "Authorization: Bearer\t***"),
            ("api-key: 0123456789abcdef0123456789abcdef", "api-key: ***"),
            ("X-Api-Key:abcdef0123456789", "X-Api-Key:***"),
            (r#"{"api_key": "s3cr3t-value-here"}"#, r#"{"api_key": "***"}"#),
            ("Authorization: Token 9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b", "Authorization: Token ***"),
            ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws_secret_access_key = ***"),
            ("Proxy-Authorization: Basic YWxpY2U6czNjcmV0LXB3", "Proxy-Authorization: Basic ***"),
        ];
        for (text, want) in cases {
            assert_eq!(redact(text), want, "{text}");
        }
    }

    #[test]
    fn prose_placeholders_and_variables_are_left_alone() {
        for text in [
            "Token limit reached; token counts follow",
            "use basic auth or Basic Realm",
            "Authorization: Bearer YOUR_KEY",
            r#"curl -H "Authorization: Bearer $OPENAI_API_KEY""#,
            "Authorization: Bearer ${OPENAI_API_KEY}",
            r#"f"Bearer {os.environ['OPENAI_API_KEY']}""#,
            "`Bearer ${process.env.OPENAI_API_KEY}`",
            "api_key=os.environ[\"OPENAI_API_KEY\"]",
            "apiKey: process.env.OPENAI_API_KEY",
            "Incorrect API key provided: sk-proj-…WXYZ",
            "api-key: <your key>",
            "api_key: provided",
            "OPENAI_API_KEY=sk-proj-…WXYZ",
        ] {
            assert_eq!(redact(text), text);
        }
    }
}
