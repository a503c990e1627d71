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

/// Keys the local OpenAI-compatible servers' own documentation tells users to set because the
/// server ignores them: published words, not secrets (`api_key="ollama"` in Ollama's OpenAI
/// compatibility docs, `"EMPTY"` in vLLM's, `"lm-studio"` in LM Studio's,
/// `"sk-no-key-required"` in llama.cpp server's). Replacing them would shred the advice
/// (`ollama pull MODEL` became `*** pull MODEL`).
const PUBLIC_PLACEHOLDERS: &[&str] = &["ollama", "EMPTY", "lm-studio", "sk-no-key-required"];

/// A key value that is a documented placeholder, exactly (see [`PUBLIC_PLACEHOLDERS`]).
#[must_use]
pub fn is_public_placeholder(value: &str) -> bool {
    PUBLIC_PLACEHOLDERS.contains(&value.trim())
}

/// Whether a value read from a secret-named variable looks like a secret worth replacing
/// everywhere: long enough, and not a boolean, a number or a word every report contains
/// (`TOKENIZERS_PARALLELISM=false` must not turn every JSON `false` into `***`).
#[must_use]
pub fn looks_like_secret(value: &str) -> bool {
    let v = value.trim();
    const WORDS: &[&str] = &["true", "false", "yes", "no", "on", "off", "none", "null", "enabled", "disabled"];
    v.chars().count() >= 8
        && !WORDS.iter().any(|w| v.eq_ignore_ascii_case(w))
        && !v.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | '_' | ':'))
}

mod encoded;
mod labels;

/// Scrubs text of secrets: first every exact secret the process knows (and the same secrets
/// split across lines, JSON-escaped, percent-encoded or in base64), then patterns for what it
/// does not know (OpenAI, AWS and GitHub key shapes, `Bearer`, `Basic` and `Token` credentials,
/// `api-key:`-style pairs, URL user info and key-like query parameters, PEM private keys).
/// A reference to a variable (`$OPENAI_API_KEY`, `os.environ[…]`) is not a secret: only values are.
///
/// Every pass is one forward scan of the text (time and memory linear in its length), so a
/// hostile body of any size cannot crash the process or blow the deadline here.
#[derive(Debug, Default, Clone)]
pub struct Redactor {
    /// (secret, replacement), longest secret first.
    known: Vec<(String, String)>,
    /// The known secrets and their base64 forms, matched in every encoding.
    encoded: Option<std::sync::Arc<encoded::Encoded>>,
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
        let mut patterns = Vec::new();
        for (secret, replacement) in &self.known {
            patterns.push((secret.clone(), replacement.clone()));
            patterns.extend(encoded::base64_cores(secret).into_iter().map(|core| (core, "***".to_owned())));
        }
        self.encoded = encoded::Encoded::new(&patterns).map(std::sync::Arc::new);
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
        if let Some(again) = self.encoded.as_ref().and_then(|e| e.redact(&out)) {
            out = again;
        }
        let out = redact_pem_private_keys(&out);
        let out = redact_urls(&out);
        let out = redact_query_params(&out);
        let out = labels::redact(&out);
        redact_key_shapes(&out)
    }

    /// Redacts every string of a JSON document in place, field by field, so the document stays
    /// valid JSON whatever is redacted (keys are ours and left alone).
    pub fn redact_json(&self, value: &mut serde_json::Value) {
        crate::details::map_json_strings(value, &|s| self.redact(s));
    }
}

/// Units that, repeated, attack a pass: every one must stay linear (unit test and
/// `openai-doctor-checks`'s `redact_bench` example, run by scripts/bench-hardening).
pub const ADVERSARIAL: &[&str] = &[
    "basic x ",
    "bearer x ",
    "Bearer Basic ",
    "Bearer  ",
    "token x ",
    "Token 0a",
    "api-key: x ",
    "x-api-key=a.",
    "\"api_key\": \"",
    "-----BEGIN X-----\n",
    "-----BEGIN PRIVATE KEY-----",
    "http://a@",
    "http://u:p/",
    "https://u:",
    "sk-sk-",
    "AKIA",
    "ghp_",
    "?key=&",
    "#key=#",
    "?code=",
    "&token",
    "%73%6b",
    "\\u0073k-",
    "sk-proj-abcdefghij\n",
    "\\n",
    "c2stcHJvai1h",
];

/// The shortest of three redactions of `unit` repeated to `len` bytes, by a redactor that knows a
/// key and a password: the one measurement behind the linearity test and `scripts/bench-hardening`.
#[must_use]
pub fn time_adversarial(len: usize, unit: &str) -> std::time::Duration {
    let mut r = Redactor::new();
    r.add_key(&SecretString::new("sk-proj-abcdefghijklmnopqrstuvwxyz0123WXYZ"));
    r.add_password("hunter2-secret");
    let text = unit.repeat(len / unit.len().max(1));
    (0..3)
        .map(|_| {
            let t = std::time::Instant::now();
            std::hint::black_box(r.redact(&text));
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn percent_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>().replace('+', "%20")
}

fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// What a key-shaped token becomes, if it is one: OpenAI keys their hint, AWS access key ids
/// and GitHub tokens their prefix and `***`.
fn key_shape(token: &str) -> Option<String> {
    if token.starts_with("sk-") && token.len() >= 23 {
        return Some(key_hint(token));
    }
    let upper_alnum = |s: &str| s.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    for prefix in ["AKIA", "ASIA", "AGPA", "AIDA", "AROA", "ANPA", "ANVA", "AIPA"] {
        if let Some(rest) = token.strip_prefix(prefix)
            && rest.len() == 16
            && upper_alnum(rest)
        {
            return Some(format!("{prefix}***"));
        }
    }
    for prefix in ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"] {
        if let Some(rest) = token.strip_prefix(prefix)
            && rest.len() >= 20
            && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Some(format!("{prefix}***"));
        }
    }
    None
}

/// Key-shaped tokens (`sk-…` of 20+ key characters, `AKIA…`, `ghp_…`) become their hint. One
/// scan over the maximal runs of key characters.
fn redact_key_shapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut iter = text.char_indices().peekable();
    while let Some((start, c)) = iter.next() {
        if !is_key_char(c) {
            continue;
        }
        let mut end = start + c.len_utf8();
        while let Some(&(i, c)) = iter.peek() {
            if !is_key_char(c) {
                break;
            }
            end = i + c.len_utf8();
            iter.next();
        }
        if let Some(shape) = key_shape(&text[start..end]) {
            out.push_str(&text[copied..start]);
            out.push_str(&shape);
            copied = end;
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// Where a URL's authority ends.
fn authority_end(c: char) -> bool {
    c == '/' || c == '?' || c == '#' || url_end(c)
}

/// Where a URL ends in running text.
fn url_end(c: char) -> bool {
    c.is_whitespace() || matches!(c, '"' | '\'' | '`' | '\\')
}

/// Query parameter names that carry credentials (`?api-key=`, `?sig=`, `&access_token=`...).
/// `code` is an Azure Functions function key (`?code=`) and an OAuth authorization code: both
/// are credentials, matched exactly so that `error_code=` or `status_code=` stay readable.
fn is_secret_param(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    matches!(n.as_str(), "key" | "sig" | "auth" | "pass" | "pwd" | "code")
        || ["key", "token", "secret", "password", "passwd", "credential", "signature"].iter().any(|w| n.contains(w))
}

/// In every `scheme://` URL: user info becomes `***` (a user name without a password is often
/// the key itself: `https://TOKEN@gateway`), a password becomes `***`, and the values of
/// key-like query parameters become `***`.
fn redact_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find("://") {
        let after = pos + 3;
        out.push_str(&rest[..after]);
        let tail = &rest[after..];
        let url_len = tail.char_indices().find(|&(_, c)| url_end(c)).map_or(tail.len(), |(i, _)| i);
        let url = &tail[..url_len];
        let mut authority_len = url.char_indices().find(|&(_, c)| authority_end(c)).map_or(url_len, |(i, _)| i);
        // `https://u:GW/pass@host`: a password may hold `/`, `?` or `#`. When what precedes the
        // first of them is `user:something` and an `@` follows later, the user info is everything
        // before the last `@` (over-redacting `https://h:8443/a@b` is the safe mistake).
        if !url[..authority_len].contains('@')
            && url[..authority_len].contains(':')
            && let Some(at) = url.rfind('@')
            && url[at + 1..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '[')
        {
            authority_len = url[at..].find(authority_end).map_or(url_len, |n| at + n);
        }
        let authority = &tail[..authority_len];
        match authority.rfind('@') {
            Some(at) => {
                let userinfo = &authority[..at];
                match userinfo.find(':') {
                    // `<password>` is a placeholder in advice text, not a secret.
                    Some(colon) if is_placeholder(&userinfo[colon + 1..]) => out.push_str(userinfo),
                    Some(colon) if colon + 1 < userinfo.len() => {
                        out.push_str(&userinfo[..=colon]);
                        out.push_str("***");
                    }
                    // `KEY:@host` and `TOKEN@host`: the user name is the secret.
                    Some(_) if is_placeholder(&userinfo[..userinfo.len() - 1]) || userinfo == "***:" => {
                        out.push_str(userinfo);
                    }
                    Some(_) => out.push_str("***:"),
                    None if is_placeholder(userinfo) || userinfo == "***" || userinfo.is_empty() => {
                        out.push_str(userinfo);
                    }
                    None => out.push_str("***"),
                }
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        out.push_str(&tail[authority_len..url_len]);
        rest = &tail[url_len..];
    }
    out.push_str(rest);
    out
}

/// `?name=value`, `&name=value` and `#name=value` with a key-like name (`api-key`, `sig`,
/// `access_token`...) become `name=***`, wherever they stand: in a URL, or in a label such as
/// `GET /models?key=…`. A fragment is never sent, but it is printed wherever the URL is, and
/// credentials do travel there (`#access_token=` of OAuth's implicit flow, `#api-key=` pasted
/// into an endpoint variable).
fn redact_query_params(text: &str) -> String {
    if !text.contains('=') {
        return text.to_owned();
    }
    let is_name = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '[' | ']');
    let value_end = |c: char| matches!(c, '&' | '#') || url_end(c);
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while let Some(rel) = text[i..].find(['?', '&', '#']) {
        let name_start = i + rel + 1;
        out.push_str(&text[i..name_start]);
        let name_len = text[name_start..].find(|c: char| !is_name(c)).unwrap_or(text.len() - name_start);
        let name = &text[name_start..name_start + name_len];
        let after = name_start + name_len;
        if name_len == 0 || !text[after..].starts_with('=') || !is_secret_param(name) {
            i = name_start;
            continue;
        }
        let value_start = after + 1;
        let value_len = text[value_start..].find(value_end).unwrap_or(text.len() - value_start);
        let value = &text[value_start..value_start + value_len];
        out.push_str(name);
        out.push('=');
        out.push_str(if value.is_empty() || is_placeholder(value) { value } else { "***" });
        i = value_start + value_len;
    }
    out.push_str(&text[i..]);
    out
}

/// The credential in a URL's user info as it is written (`https://u:GW/pass@host` → `GW/pass`;
/// `https://TOKEN@host` → `TOKEN`), read textually: the user info is everything before the last
/// `@` of the URL, so a password holding `/` is found even where a URL parser sees a host.
#[must_use]
pub fn url_credential(raw: &str) -> Option<String> {
    let rest = &raw.trim()[raw.trim().find("://")? + 3..];
    let url = rest.split(char::is_whitespace).next().unwrap_or(rest);
    let userinfo = &url[..url.rfind('@')?];
    let secret = match userinfo.split_once(':') {
        Some((_, pw)) => pw,
        // A user name alone is a credential only when it looks like a token, not like `git`.
        None if userinfo.len() >= 12 && userinfo.chars().any(|c| c.is_ascii_digit()) => userinfo,
        None => return None,
    };
    (secret.len() >= 4 && !is_placeholder(secret) && secret != "***").then(|| secret.to_owned())
}

fn is_placeholder(s: &str) -> bool {
    s.len() > 2 && s.starts_with('<') && s.ends_with('>') && !s[1..s.len() - 1].contains(['<', '>'])
}

/// PEM private-key blocks become a one-line marker. One forward scan: a header that is not a
/// private key is copied as is; a private key without its END line loses only its base64 lines,
/// never the text after them (a request id holding a BEGIN line must not swallow the report).
fn redact_pem_private_keys(text: &str) -> String {
    const BEGIN: &str = "-----BEGIN ";
    const END: &str = "-----END ";
    const MARKER: &str = "[private key redacted]";
    if !text.contains(BEGIN) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    // Where the last search for an END line failed: no END exists after it, so a later BEGIN
    // does not search again (that would make a text of many BEGINs quadratic).
    let mut no_end_after = usize::MAX;
    while let Some(rel) = text[i..].find(BEGIN) {
        let start = i + rel;
        out.push_str(&text[i..start]);
        // The label ends at the next `-----` on the same line, within a label's length.
        let label_end = line_window(text, start + BEGIN.len()).find("-----").map(|n| start + BEGIN.len() + n + 5);
        let Some(label_end) = label_end.filter(|&e| text[start..e].contains("PRIVATE KEY")) else {
            out.push_str(BEGIN);
            i = start + BEGIN.len();
            continue;
        };
        let end = if start >= no_end_after { None } else { text[label_end..].find(END).map(|n| label_end + n) };
        match end {
            Some(end) => {
                let label = line_window(text, end + END.len());
                let close = label.find("-----").map_or(end + END.len() + label.len(), |n| end + END.len() + n + 5);
                out.push_str(MARKER);
                i = close;
            }
            None => {
                no_end_after = no_end_after.min(start);
                out.push_str(MARKER);
                i = base64_lines_end(text, label_end);
            }
        }
    }
    out.push_str(&text[i..]);
    out
}

/// The text from `from` to the end of its line, at most 64 bytes of it: PEM labels are short,
/// and a bounded look keeps the scan linear when a line is megabytes long.
fn line_window(text: &str, from: usize) -> &str {
    let mut end = (from + 64).min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let window = &text[from..end];
    window.find('\n').map_or(window, |n| &window[..n])
}

/// The end of the run of base64 lines that follows a PEM header at `from`.
fn base64_lines_end(text: &str, from: usize) -> usize {
    let is_b64 = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=');
    let mut i = from;
    // The rest of the header line itself (normally nothing).
    if text[i..].starts_with('\n') {
        i += 1;
    } else {
        return i;
    }
    loop {
        let line_end = text[i..].find('\n').map_or(text.len(), |n| i + n);
        let line = text[i..line_end].trim_end_matches('\r');
        if line.is_empty() || !line.chars().all(is_b64) {
            return i;
        }
        i = if line_end < text.len() { line_end + 1 } else { line_end };
        if i >= text.len() {
            return i;
        }
    }
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

            /// Redacting a JSON document field by field always leaves valid JSON, and no pass
            /// makes the text grow beyond a marker per match.
            #[test]
            fn redacted_json_always_parses(
                parts in proptest::collection::vec(prop_oneof![
                    Just("-----BEGIN PRIVATE KEY-----".to_owned()), Just("-----END PRIVATE KEY-----".to_owned()),
                    Just("\n".to_owned()), Just("Bearer ".to_owned()), Just("Basic YTpi".to_owned()),
                    Just("http://u:p@h/?key=1".to_owned()), Just("sk-proj-abcdefghijklmnopqrstuvwxyz".to_owned()),
                    Just("false".to_owned()), Just("\"".to_owned()), "\\PC{0,12}",
                ], 0..60),
            ) {
                let text: String = parts.concat();
                let mut r = Redactor::new();
                r.add_password("false");
                let mut doc = serde_json::json!({"s": text, "b": false, "a": [text.clone(), null, 1]});
                r.redact_json(&mut doc);
                let back: serde_json::Value = serde_json::from_str(&serde_json::to_string(&doc).unwrap()).unwrap();
                prop_assert_eq!(&back["b"], &serde_json::Value::Bool(false));
                prop_assert!(back["s"].as_str().unwrap().len() <= text.len() + 32 * parts.len() + 32);
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
    fn url_user_names_and_key_like_query_parameters_are_secrets() {
        let r = Redactor::new();
        let out = r.redact(
            "proxy http://KEYKEYKEY:@proxy:3128/ gw https://TOKEN123@gateway/v1 \
             az https://x.openai.azure.com/openai?api-version=2024-10-21&api-key=abc123def&sig=zz%2F#frag \
             q https://h/v1?key=k1&token=t1&access_token=a1&page=2",
        );
        for secret in ["KEYKEYKEY", "TOKEN123", "abc123def", "zz%2F", "k1&", "t1&", "a1&"] {
            assert!(!out.contains(secret), "{secret} survived: {out}");
        }
        assert!(out.contains("http://***:@proxy:3128/") && out.contains("https://***@gateway/v1"), "{out}");
        assert!(out.contains("api-version=2024-10-21&api-key=***&sig=***#frag"), "{out}");
        assert!(out.contains("key=***&token=***&access_token=***&page=2"), "{out}");
        assert_eq!(r.redact("GET /models?api-key=abc&api-version=1"), "GET /models?api-key=***&api-version=1");
        assert_eq!(r.redact("a & b = c, x&y"), "a & b = c, x&y", "ordinary text is left alone");
        assert_eq!(r.redact(&out), out, "idempotent");
    }

    /// Issue 27 review: a credential in a URL fragment (`#api-key=`, OAuth's `#access_token=`)
    /// and an Azure Functions key (`?code=`) were printed in clear.
    #[test]
    fn fragment_parameters_and_function_keys_are_secrets() {
        let r = Redactor::new();
        let out = r.redact(
            "endpoint http://127.0.0.1:18080#api-key=FRAGSECRET1 fn https://f.azurewebsites.net/api/x?code=QKEYSECRET3 \
             oauth https://app/cb#access_token=FRAGSECRET2&token_type=bearer&state=s1 \
             both https://h/v1?api-version=1&code=QKEYSECRET4#frag label GET /x#key=FRAGSECRET5",
        );
        for secret in ["FRAGSECRET1", "QKEYSECRET3", "FRAGSECRET2", "QKEYSECRET4", "FRAGSECRET5"] {
            assert!(!out.contains(secret), "{secret} survived: {out}");
        }
        assert!(out.contains("http://127.0.0.1:18080#api-key=*** "), "{out}");
        assert!(out.contains("#access_token=***&token_type=***&state=s1"), "over-redacting is the safe mistake: {out}");
        assert!(out.contains("?api-version=1&code=***#frag"), "{out}");
        assert_eq!(r.redact(&out), out, "idempotent");
        // Every common credential parameter, after `?`, `&` and `#`.
        for name in [
            "key",
            "apikey",
            "api_key",
            "api-key",
            "token",
            "access_token",
            "sig",
            "signature",
            "client_secret",
            "password",
            "subscription-key",
            "x-api-key",
            "code",
            "Code",
            "refresh_token",
            "id_token",
        ] {
            for sep in ['?', '&', '#'] {
                let text = format!("https://h/p{sep}{name}=CREDVALUE9");
                let out = r.redact(&text);
                assert!(!out.contains("CREDVALUE9"), "{name} after {sep}: {out}");
            }
        }
        // Words that merely end in `code`, a fragment without `=`, and `#` in prose stay whole.
        for text in ["GET /x?error_code=429&status_code=503", "see https://h/docs#section-2", "issue #27=done"] {
            assert_eq!(r.redact(text), text);
        }
    }

    #[test]
    fn the_apis_own_bearer_placeholder_is_left_whole() {
        let r = Redactor::new();
        let text = "provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or";
        assert_eq!(r.redact(text), text);
        assert_eq!(r.redact("(Authorization: Bearer abcdefgh1234)."), "(Authorization: Bearer ***).");
    }

    #[test]
    fn basic_credentials_are_redacted_and_the_word_basic_is_not() {
        let r = Redactor::new();
        // base64("alice:s3cret-pw")
        let out = r.redact("Proxy-Authorization: Basic YWxpY2U6czNjcmV0LXB3\nuse basic auth or Basic Realm");
        assert!(!out.contains("YWxpY2U6czNjcmV0LXB3"), "{out}");
        assert!(out.contains("Basic ***") && out.contains("basic auth") && out.contains("Basic Realm"), "{out}");
    }

    #[test]
    fn only_values_shaped_like_secrets_are_registered_from_variables() {
        for v in ["false", "true", "1", "12345678", "0.5", "off", "short"] {
            assert!(!looks_like_secret(v), "{v}");
        }
        for v in ["hunter2-secret", "whsec_webhooksecret42", "sk-proj-abcdefghijklmnop"] {
            assert!(looks_like_secret(v), "{v}");
        }
    }

    #[test]
    fn a_begin_line_without_its_end_does_not_swallow_the_text_after_it() {
        let r = Redactor::new();
        let out = r.redact("request id -----BEGIN PRIVATE KEY----- | status 500 | end\nnext line");
        assert!(out.contains("[private key redacted] | status 500 | end\nnext line"), "{out}");
        let out = r.redact("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nAAAA==\nafter it");
        assert_eq!(out, "[private key redacted]after it");
    }

    #[test]
    fn adversarial_texts_of_megabytes_are_redacted_in_one_pass() {
        // The recursive version overflowed the stack at ~360 KB and used ~1.3 GB below that.
        let r = Redactor::new();
        for unit in ["-----BEGIN X-----\n", "-----BEGIN PRIVATE KEY-----", "http://a@", "Bearer Basic ", "sk-sk-"] {
            let text = unit.repeat(4 * 1024 * 1024 / unit.len());
            let out = r.redact(&text);
            assert!(out.len() <= text.len() + 64, "{unit}: output grew from {} to {}", text.len(), out.len());
        }
    }

    #[test]
    fn json_stays_json_whatever_is_redacted() {
        let mut r = Redactor::new();
        r.add_password("false");
        r.add_password("hunter2-secret");
        let mut doc = serde_json::json!({
            "ok": false, "n": 1, "id": "-----BEGIN PRIVATE KEY-----", "pw": "x hunter2-secret y", "list": ["false"]
        });
        r.redact_json(&mut doc);
        let text = serde_json::to_string(&doc).unwrap();
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["ok"], false);
        assert_eq!(back["pw"], "x *** y");
        assert_eq!(back["id"], "[private key redacted]");
    }

    #[test]
    fn redaction_is_idempotent() {
        let mut r = Redactor::new();
        r.add_key(&SecretString::new("sk-proj-abcdefghijklmnopqrstuvwxyz0123WXYZ"));
        let once = r.redact("sk-proj-abcdefghijklmnopqrstuvwxyz0123WXYZ and Bearer tok");
        assert_eq!(r.redact(&once), once);
    }

    /// Issue 21, item 9: the shapes a 401 body echoed that survived the first redactor.
    #[test]
    fn echoed_credentials_of_every_shape_are_scrubbed() {
        use base64::Engine as _;
        let key = "sk-proj-abcdefghijklmnopqrstuvwxyz0123WXYZ";
        let mut r = Redactor::new();
        r.add_key(&SecretString::new(key));
        r.add_password("pr0xy/pa ss");
        let escaped: String = key.chars().map(|c| format!("\\u{:04x}", u32::from(c))).collect();
        let percent: String = key.bytes().map(|b| format!("%{b:02x}")).collect();
        let b64 = base64::engine::general_purpose::STANDARD.encode(format!("Bearer {key}"));
        let body = format!(
            "Bearer  TOKENabc123def456ghi\nBearer\tTOKENabc123def456jkl\napi-key: 0123456789abcdef0123456789abcdef\n\
             x-api-key: xk-live-98765zyxw\n{{\"api_key\": \"s3cr3t-valu3-here\"}}\n\
             Authorization: Token 9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b\n\
             AKIAIOSFODNN7EXAMPLE aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n\
             ghp_16C7e42F292c6912E7710c838347Ae178B4a github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuv\n\
             split {}\n{} escaped {escaped} percent {percent} b64 {b64} proxy pr0xy%2Fpa%20ss",
            &key[..17],
            &key[17..]
        );
        let out = r.redact(&body);
        for secret in [
            "TOKENabc123def456",
            "0123456789abcdef0123456789abcdef",
            "xk-live-98765zyxw",
            "s3cr3t-valu3-here",
            "9944b09199c62bcf",
            "IOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI",
            "16C7e42F292c6912",
            "11ABCDEFG0123456789",
            "ijklmnopqrstuvwxyz0123",
            "\\u0069\\u006a",
            "%69%6a%6b",
            &b64[12..40],
            "pr0xy",
        ] {
            assert!(!out.contains(secret), "{secret} survived:\n{out}");
        }
        assert_eq!(r.redact(&out), out, "idempotent");
    }

    /// Issue 21, item 4: a reference to a variable is not a secret; only values are.
    #[test]
    fn references_to_variables_survive_and_their_values_do_not() {
        let r = Redactor::new();
        for text in [
            r#"curl -H "Authorization: Bearer $OPENAI_API_KEY" "$base/chat/completions""#,
            r#"headers = {"Authorization": f"Bearer {os.environ['OPENAI_API_KEY']}"}"#,
            "headers: { Authorization: `Bearer ${process.env.OPENAI_API_KEY}` }",
            "client = OpenAI(api_key=os.environ[\"OPENAI_API_KEY\"])",
        ] {
            assert_eq!(r.redact(text), text);
        }
        assert_eq!(r.redact("Authorization: Bearer abc123def456"), "Authorization: Bearer ***");
    }

    /// Issue 21, item 10: a password holding `/` (which a URL parser reads as a path) is still
    /// the user info: everything before the last `@`.
    #[test]
    fn a_password_with_a_slash_is_user_info() {
        let r = Redactor::new();
        let out = r.redact("invalid value 'https://u:GW/pass@host.example/v1' for '--base-url <URL>'");
        assert!(!out.contains("GW/pass") && !out.contains("pass@"), "{out}");
        assert!(out.contains("https://u:***@host.example/v1'"), "{out}");
        let out = r.redact("[env: OPENAI_BASE_URL=https://u:a?b#c/d@host]");
        assert!(!out.contains("a?b") && out.contains("@host]"), "{out}");
        assert_eq!(
            r.redact("see https://medium.com/@user and https://h/x"),
            "see https://medium.com/@user and https://h/x"
        );
        assert_eq!(url_credential("https://u:GW/pass@host/v1").as_deref(), Some("GW/pass"));
        assert_eq!(url_credential("https://git@host/x"), None, "a short user name is no credential");
    }

    /// Issue 21, item 3: every pass is linear. Inputs 8 times larger may take at most 24 times
    /// longer (linear is 8, quadratic 64): a growth ratio, not an absolute time, so a loaded
    /// machine or a debug build cannot fail it; the release targets live in scripts/bench-hardening.
    #[test]
    fn every_pass_grows_linearly_on_adversarial_inputs() {
        let (small, large) = if cfg!(debug_assertions) { (64 << 10, 512 << 10) } else { (512 << 10, 4 << 20) };
        let time = time_adversarial;
        for unit in ADVERSARIAL {
            let (a, b) = (time(small, unit), time(large, unit));
            let ratio = b.as_secs_f64() / a.as_secs_f64().max(1e-6);
            assert!(
                ratio <= 24.0 || b.as_millis() < 20,
                "{unit:?}: {a:?} for {small} B, {b:?} for {large} B (×{ratio:.1})"
            );
        }
    }
}
