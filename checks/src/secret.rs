//! Secrets: `SecretString` (never printed in clear) and `Redactor`, the one mechanism that
//! scrubs every output — the exact secrets the process knows, then key-shaped patterns.

use std::fmt;

/// A secret value. `Debug` and `Display` show only a hint (`sk-proj-…WXYZ`), never the value.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(String);

impl SecretString {
    /// Wraps a secret.
    #[must_use]
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The clear value. Call only where it goes on the wire.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Prefix and last four characters, like OpenAI's own error messages: `sk-proj-…WXYZ`.
    #[must_use]
    pub fn hint(&self) -> String {
        key_hint(self.0.trim())
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretString({})", self.hint())
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hint())
    }
}

/// Whether an environment variable's name says it holds a secret.
#[must_use]
pub fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    ["KEY", "SECRET", "TOKEN", "PASSWORD", "PASSWD", "CREDENTIAL"].iter().any(|w| upper.contains(w))
        && !upper.ends_with("_FILE")
        && !upper.ends_with("_PATH")
}

/// Known key prefixes, longest first so `sk-proj-` wins over `sk-`.
const KEY_PREFIXES: &[&str] = &["sk-svcacct-", "sk-admin-", "sk-proj-", "sk-None-", "sk-ant-", "sk-"];

/// `sk-proj-…WXYZ` for a key; `…WXYZ` when there is no known prefix; `***` when too short to
/// show anything without revealing most of it.
#[must_use]
pub fn key_hint(key: &str) -> String {
    let prefix = KEY_PREFIXES.iter().find(|p| key.starts_with(**p)).copied().unwrap_or("");
    let rest = &key[prefix.len()..];
    let chars: Vec<char> = rest.chars().collect();
    if chars.len() < 12 {
        return format!("{prefix}***");
    }
    let last4: String = chars[chars.len() - 4..].iter().collect();
    format!("{prefix}…{last4}")
}

/// Scrubs text of secrets: first every exact secret the process knows, then patterns for what it
/// does not know (OpenAI key shapes, `Bearer` tokens, URL credentials, PEM private keys).
#[derive(Debug, Default, Clone)]
pub struct Redactor {
    /// (secret, replacement), longest secret first.
    known: Vec<(String, String)>,
}

impl Redactor {
    /// A redactor with no known secrets (patterns only).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers an API key: replaced by its hint wherever it occurs (also trimmed).
    pub fn add_key(&mut self, key: &SecretString) {
        let hint = key.hint();
        self.add(key.expose(), &hint);
        self.add(key.expose().trim(), &hint);
    }

    /// Registers a password or token: replaced by `***`.
    pub fn add_password(&mut self, secret: &str) {
        self.add(secret, "***");
        // The percent-encoded form appears in URLs.
        let encoded = percent_encode(secret);
        if encoded != secret {
            self.add(&encoded, "***");
        }
    }

    fn add(&mut self, secret: &str, replacement: &str) {
        // Very short values would shred ordinary text; they are covered by the patterns.
        if secret.len() < 4 || self.known.iter().any(|(s, _)| s == secret) {
            return;
        }
        self.known.push((secret.to_owned(), replacement.to_owned()));
        self.known.sort_by_key(|(s, _)| std::cmp::Reverse(s.len()));
    }

    /// Returns `text` with every secret replaced.
    #[must_use]
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for (secret, replacement) in &self.known {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), replacement);
            }
        }
        let out = redact_pem_private_keys(&out);
        let out = redact_url_credentials(&out);
        let out = redact_bearer(&out);
        redact_key_shapes(&out)
    }
}

fn percent_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>().replace('+', "%20")
}

fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// `sk-…` tokens of 20+ key characters become their hint.
fn redact_key_shapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find("sk-") {
        let boundary_ok = rest[..pos].chars().next_back().is_none_or(|c| !is_key_char(c));
        let token_len = rest[pos..].char_indices().find(|&(_, c)| !is_key_char(c)).map_or(rest.len() - pos, |(i, _)| i);
        let token = &rest[pos..pos + token_len];
        out.push_str(&rest[..pos]);
        if boundary_ok && token_len >= 23 && !token.contains('…') {
            out.push_str(&key_hint(token));
        } else {
            out.push_str(token);
        }
        rest = &rest[pos + token_len..];
        if token_len == 0 {
            break;
        }
    }
    out.push_str(rest);
    out
}

/// `Bearer <token>` becomes `Bearer ***` (case-insensitive on the scheme).
fn redact_bearer(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    if !lower.contains("bearer ") {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while let Some(rel) = lower[i..].find("bearer ") {
        let start = i + rel + "bearer ".len();
        out.push_str(&text[i..start]);
        let token_len = text[start..]
            .char_indices()
            .find(|&(_, c)| c.is_whitespace() || c == '"' || c == '\'' || c == ',')
            .map_or(text.len() - start, |(j, _)| j);
        if token_len > 0 && &text[start..start + token_len] != "***" {
            out.push_str("***");
        } else {
            out.push_str(&text[start..start + token_len]);
        }
        i = start + token_len;
    }
    out.push_str(&text[i..]);
    out
}

/// `scheme://user:pass@host` becomes `scheme://user:***@host`.
fn redact_url_credentials(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find("://") {
        let after = pos + 3;
        out.push_str(&rest[..after]);
        let authority_end = rest[after..]
            .char_indices()
            .find(|&(_, c)| c == '/' || c.is_whitespace() || c == '"' || c == '\'')
            .map_or(rest.len() - after, |(i, _)| i);
        let authority = &rest[after..after + authority_end];
        match (authority.rfind('@'), authority.find(':')) {
            // `<password>` is a placeholder in advice text, not a secret.
            (Some(at), Some(colon)) if colon < at && !is_placeholder(&authority[colon + 1..at]) => {
                out.push_str(&authority[..=colon]);
                out.push_str("***");
                out.push_str(&authority[at..]);
            }
            _ => out.push_str(authority),
        }
        rest = &rest[after + authority_end..];
    }
    out.push_str(rest);
    out
}

fn is_placeholder(s: &str) -> bool {
    s.len() > 2 && s.starts_with('<') && s.ends_with('>') && !s[1..s.len() - 1].contains(['<', '>'])
}

/// PEM private-key blocks become a one-line marker.
fn redact_pem_private_keys(text: &str) -> String {
    let mut out = text.to_owned();
    while let Some(start) = out.find("-----BEGIN ") {
        let header_end = match out[start..].find("-----\n").or_else(|| out[start + 11..].find("-----").map(|i| i + 11))
        {
            Some(i) => start + i,
            None => break,
        };
        if !out[start..header_end].contains("PRIVATE KEY") {
            // Not a private key: leave it, continue after it.
            let tail = redact_pem_private_keys(&out[header_end..]);
            out.truncate(header_end);
            out.push_str(&tail);
            return out;
        }
        let Some(end_rel) = out[header_end..].find("-----END ") else {
            out.replace_range(start.., "[private key redacted]");
            break;
        };
        let end_marker = header_end + end_rel;
        let close = out[end_marker + 9..].find("-----").map_or(out.len(), |i| end_marker + 9 + i + 5);
        out.replace_range(start..close, "[private key redacted]");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_key() {
        let key = SecretString::new("sk-proj-abcdefghijklmnopqrstuvwxyz0123WXYZ");
        assert_eq!(format!("{key}"), "sk-proj-…WXYZ");
        assert_eq!(format!("{key:?}"), "SecretString(sk-proj-…WXYZ)");
    }

    #[test]
    fn short_keys_show_nothing() {
        assert_eq!(key_hint("sk-abc"), "sk-***");
        assert_eq!(key_hint("hunter2"), "***");
    }

    #[test]
    fn known_secrets_are_replaced_everywhere() {
        let mut r = Redactor::new();
        r.add_key(&SecretString::new("sk-proj-abcdefghijklmnopqrstuvwxyz0123WXYZ\n"));
        r.add_password("p@ss:word");
        let text = "key=sk-proj-abcdefghijklmnopqrstuvwxyz0123WXYZ pw=p@ss:word enc=p%40ss%3Aword";
        let out = r.redact(text);
        assert!(!out.contains("abcdefghijklmnop"), "{out}");
        assert!(!out.contains("p@ss:word") && !out.contains("p%40ss%3Aword"), "{out}");
        assert!(out.contains("sk-proj-…WXYZ"), "{out}");
    }

    #[test]
    fn patterns_catch_unknown_secrets() {
        let r = Redactor::new();
        let out = r.redact(
            "Authorization: Bearer abc.def-ghi\nproxy http://bob:s3cret@proxy:3128/ \
             other sk-svcacct-AAAAAAAAAAAAAAAAAAAAAAAAAAAA1234 keep sk-short",
        );
        assert!(!out.contains("abc.def-ghi"), "{out}");
        assert!(out.contains("Bearer ***"), "{out}");
        assert!(out.contains("http://bob:***@proxy:3128/"), "{out}");
        assert!(out.contains("sk-svcacct-…1234"), "{out}");
        assert!(out.contains("sk-short"), "{out}");
        let advice = "set HTTPS_PROXY=http://<user>:<password>@<host>:<port>";
        assert_eq!(r.redact(advice), advice, "placeholders are advice, not secrets");
        assert_eq!(r.redact("http://u:<x>y>@h"), "http://u:***@h");
    }

    #[test]
    fn pem_private_keys_are_removed() {
        let r = Redactor::new();
        let text = "a\n-----BEGIN PRIVATE KEY-----\nMIIEvQ==\n-----END PRIVATE KEY-----\nb\n\
                    -----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        let out = r.redact(text);
        assert!(!out.contains("MIIEvQ"), "{out}");
        assert!(out.contains("[private key redacted]"), "{out}");
        assert!(out.contains("MIIB"), "certificates are public: {out}");
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(crate::fuzz::cases(1000)))]

            /// Secrets the process knows never survive, wherever they are planted in a report.
            #[test]
            fn planted_secrets_never_survive(
                password in "[A-Za-z0-9!@#%^&*()_+=-]{8,32}",
                key_body in "[A-Za-z0-9_-]{20,60}",
                prefix in prop_oneof![Just("sk-"), Just("sk-proj-"), Just("sk-svcacct-"), Just("sk-admin-"), Just("sk-None-")],
                text in "\\PC{0,200}",
                at in 0usize..200,
                around in prop_oneof![Just(""), Just("\""), Just(" "), Just("Bearer "), Just("http://user:"), Just("="), Just("\n")],
            ) {
                let key = format!("{prefix}{key_body}");
                let mut r = Redactor::new();
                r.add_key(&SecretString::new(key.clone()));
                r.add_password(&password);
                let cut = text.char_indices().map(|(i, _)| i).nth(at).unwrap_or(text.len());
                let planted = format!("{}{around}{key}{around}{password}@host {}", &text[..cut], &text[cut..]);
                let out = r.redact(&planted);
                prop_assert!(!out.contains(&key), "key survived: {out}");
                prop_assert!(!out.contains(&password), "password survived: {out}");
                prop_assert_eq!(r.redact(&out), out.clone(), "idempotent");
            }

            /// Key-shaped tokens the process does not know are scrubbed too.
            #[test]
            fn unknown_keys_are_scrubbed(body in "[A-Za-z0-9]{24,60}", text in "[a-z ]{0,40}") {
                let key = format!("sk-proj-{body}");
                let out = Redactor::new().redact(&format!("{text} {key} {text}"));
                prop_assert!(!out.contains(&key));
            }
        }
    }

    #[test]
    fn redaction_is_idempotent() {
        let mut r = Redactor::new();
        r.add_key(&SecretString::new("sk-proj-abcdefghijklmnopqrstuvwxyz0123WXYZ"));
        let once = r.redact("sk-proj-abcdefghijklmnopqrstuvwxyz0123WXYZ and Bearer tok");
        assert_eq!(r.redact(&once), once);
    }
}
