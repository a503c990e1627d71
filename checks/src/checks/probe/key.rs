//! Inspects OPENAI_API_KEY without printing it: missing, empty, white space or a line break,
//! another vendor's prefix, an odd shape. Returns the key to use (trimmed) when it can be used.

use super::codes::{KEY_FORMAT, KEY_OTHER_VENDOR, KEY_WHITESPACE, NO_KEY};
use crate::model::{Finding, Severity};
use crate::secret::{SecretString, key_hint};

/// Problems with the key, and the key to use (trimmed) when it can be used at all.
#[must_use]
pub fn inspect_key(key: Option<&SecretString>) -> (Option<SecretString>, Vec<Finding>) {
    let Some(key) = key else {
        return (
            None,
            vec![Finding::new(
                &NO_KEY,
                Severity::Fail,
                "OPENAI_API_KEY is not set",
                "export OPENAI_API_KEY=sk-... in the environment your application runs in.",
            )],
        );
    };
    let raw = key.expose();
    let trimmed = raw.trim();
    let hint = key_hint(trimmed);
    let mut findings = Vec::new();
    if trimmed.is_empty() {
        return (
            None,
            vec![Finding::new(
                &NO_KEY,
                Severity::Fail,
                "OPENAI_API_KEY is set but empty",
                "export OPENAI_API_KEY=sk-... with the key's value.",
            )],
        );
    }
    if trimmed.len() != raw.len() {
        let what = if raw.ends_with('\n') || raw.ends_with("\r\n") {
            "ends with a line break"
        } else {
            "has white space around it"
        };
        findings.push(Finding::new(
            &KEY_WHITESPACE,
            Severity::Fail,
            format!("OPENAI_API_KEY ({hint}) {what}: the Python SDK fails with 'Connection error.' and prints the key; the probe continues with it trimmed"),
            "Store the key without the trailing newline (printf %s, not echo; check .env files and secret stores).",
        ));
    }
    if trimmed.chars().any(|c| c.is_whitespace() || c.is_control() || !c.is_ascii()) {
        findings.push(Finding::new(
            &KEY_WHITESPACE,
            Severity::Fail,
            format!("OPENAI_API_KEY ({hint}) has white space or non-ASCII characters inside"),
            "Copy the key again; it cannot be sent as a header as it is.",
        ));
        return (None, findings);
    }
    if trimmed.starts_with("sk-ant-") {
        findings.push(Finding::new(
            &KEY_OTHER_VENDOR,
            Severity::Fail,
            format!("OPENAI_API_KEY ({hint}) is an Anthropic key"),
            "Put your OpenAI key in OPENAI_API_KEY (https://platform.openai.com/api-keys).",
        ));
    } else if !trimmed.starts_with("sk-") {
        findings.push(Finding::new(
            &KEY_FORMAT,
            Severity::Warn,
            format!("OPENAI_API_KEY ({hint}) does not start with sk-, as OpenAI keys do"),
            "Check that this is an OpenAI key (https://platform.openai.com/api-keys).",
        ));
    } else if trimmed.len() < 40 {
        findings.push(Finding::new(
            &KEY_FORMAT,
            Severity::Warn,
            format!("OPENAI_API_KEY ({hint}) is {} characters long; OpenAI keys are longer (51 to 200)", trimmed.len()),
            "Check that the key was not truncated when copied.",
        ));
    }
    (Some(SecretString::new(trimmed)), findings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_inspected_without_showing_them() {
        let (k, f) = inspect_key(None);
        assert!(k.is_none() && f[0].code == "probe.no_key");
        let key = "sk-proj-abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP1234";
        let (k, f) = inspect_key(Some(&SecretString::new(format!("{key}\n"))));
        assert_eq!(k.unwrap().expose(), key);
        assert_eq!(f[0].code, "probe.key_whitespace");
        assert!(
            f[0].message.contains("line break")
                && f[0].message.contains("sk-proj-…1234")
                && !f[0].message.contains(key)
        );
        let (_, f) = inspect_key(Some(&SecretString::new("sk-ant-api03-abcdefghijklmnopqrstuvwxyz")));
        assert_eq!(f[0].code, "probe.key_other_vendor");
        let (_, f) = inspect_key(Some(&SecretString::new("gsk_abcdefghijklmnopqrstuvwxyz0123456789")));
        assert_eq!(f[0].code, "probe.key_format");
        let (_, f) = inspect_key(Some(&SecretString::new("sk-short1234567")));
        assert!(f[0].message.contains("characters long"), "{}", f[0].message);
        let (k, f) = inspect_key(Some(&SecretString::new("sk-abc def-ghijklmnopqrstuvwxyz0123456789")));
        assert!(k.is_none() && f[0].message.contains("inside"));
        let (k, f) = inspect_key(Some(&SecretString::new(key)));
        assert!(k.is_some() && f.is_empty());
    }
}
