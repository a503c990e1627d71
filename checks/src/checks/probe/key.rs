//! Inspects the credential the app's client sends (`OPENAI_API_KEY`, `AZURE_OPENAI_API_KEY` or
//! `AZURE_OPENAI_AD_TOKEN`) without printing it: missing, empty, white space or a line break,
//! another vendor's prefix, an odd shape for the provider it goes to. Returns the key to use
//! (trimmed) when it can be used.

use super::codes::{KEY_FORMAT, KEY_OTHER_VENDOR, KEY_WHITESPACE, NO_KEY};
use crate::model::{Finding, Severity};
use crate::provider::{Credential, Header, Provider};
use crate::secret::{SecretString, key_hint};

/// Problems with the credential, and the key to use (trimmed) when it can be used at all.
#[must_use]
pub fn inspect_key(credential: &Credential, provider: &Provider) -> (Option<SecretString>, Vec<Finding>) {
    let var = credential.var;
    let Some(key) = credential.value.as_ref() else {
        let (what, fix) = match provider {
            Provider::Azure(_) if credential.header == Header::ApiKey => (
                "neither AZURE_OPENAI_API_KEY nor AZURE_OPENAI_AD_TOKEN is set: the AzureOpenAI client refuses to start (\"Missing credentials\")".to_owned(),
                "export AZURE_OPENAI_API_KEY with KEY 1 or KEY 2 from the Azure resource's Keys and Endpoint page; with Entra ID (a token provider such as DefaultAzureCredential in code), run the doctor with AZURE_OPENAI_AD_TOKEN=$(az account get-access-token --resource https://cognitiveservices.azure.com --query accessToken -o tsv).".to_owned(),
            ),
            Provider::Azure(_) => (
                format!("{var} is not set: the OpenAI client refuses to start without a key"),
                format!("export {var} with KEY 1 or KEY 2 from the Azure resource's Keys and Endpoint page: the OpenAI client sends it as a bearer token, which Azure's v1 API (/openai/v1/) accepts."),
            ),
            Provider::Compatible => (
                format!("{var} is not set: the OpenAI client refuses to start without a key, even for a server that needs none"),
                format!("export {var} with the key your server or gateway issued (any non-empty value for a server without authentication, e.g. a local vLLM or Ollama)."),
            ),
            _ => (format!("{var} is not set"), format!("export {var}=sk-... in the environment your application runs in.")),
        };
        return (None, vec![Finding::new(&NO_KEY, Severity::Fail, what, fix)]);
    };
    let raw = key.expose();
    let trimmed = raw.trim();
    let hint = key_hint(trimmed);
    let mut findings = Vec::new();
    if trimmed.is_empty() {
        // AzureOpenAI prefers a token that is set, even empty, over the key: it sends
        // `Authorization: Bearer ` and fails with "Connection error.".
        let fix = if var == "AZURE_OPENAI_AD_TOKEN" {
            "unset AZURE_OPENAI_AD_TOKEN: set, even empty, the AzureOpenAI client prefers it over AZURE_OPENAI_API_KEY (it sends `Authorization: Bearer ` and fails with \"Connection error.\")".to_owned()
        } else {
            format!("export {var} with the key's value.")
        };
        return (None, vec![Finding::new(&NO_KEY, Severity::Fail, format!("{var} is set but empty"), fix)]);
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
            format!("{var} ({hint}) {what}: the Python SDK fails with 'Connection error.' and prints the key; the probe continues with it trimmed"),
            "Store the key without the trailing newline (printf %s, not echo; check .env files and secret stores).",
        ));
    }
    if trimmed.chars().any(|c| c.is_whitespace() || c.is_control() || !c.is_ascii()) {
        findings.push(Finding::new(
            &KEY_WHITESPACE,
            Severity::Fail,
            format!("{var} ({hint}) has white space or non-ASCII characters inside"),
            "Copy the key again; it cannot be sent as a header as it is.",
        ));
        return (None, findings);
    }
    match provider {
        Provider::Openai => openai_shape(trimmed, var, &hint, &mut findings),
        Provider::Azure(_) => azure_shape(trimmed, credential, &hint, &mut findings),
        // A gateway's or a local server's keys have any shape; only another vendor's is a slip.
        Provider::Compatible => {}
    }
    (Some(SecretString::new(trimmed)), findings)
}

/// Azure OpenAI's keys are the resource's (32 hexadecimal digits, or the newer 84 characters),
/// its tokens Entra ID JWTs: an OpenAI key sent to Azure is the classic slip.
fn azure_shape(key: &str, credential: &Credential, hint: &str, findings: &mut Vec<Finding>) {
    let var = credential.var;
    if key.starts_with("sk-") {
        findings.push(Finding::new(
            &KEY_OTHER_VENDOR,
            Severity::Fail,
            format!("{var} ({hint}) is an OpenAI platform key, sent to Azure OpenAI: Azure answers 401 (\"Access denied due to invalid subscription key or wrong API endpoint\")"),
            "Use KEY 1 or KEY 2 from the Azure resource's Keys and Endpoint page (or an Entra ID token); OpenAI's keys only work at api.openai.com.",
        ));
    } else if credential.header == Header::Bearer && var == "AZURE_OPENAI_AD_TOKEN" && !key.starts_with("eyJ") {
        findings.push(Finding::new(
            &KEY_FORMAT,
            Severity::Warn,
            format!("{var} ({hint}) does not look like an Entra ID access token (a JWT starts with eyJ)"),
            "Get one with az account get-access-token --resource https://cognitiveservices.azure.com (it expires within about an hour).",
        ));
    }
}

/// OpenAI's key shapes.
fn openai_shape(trimmed: &str, var: &str, hint: &str, findings: &mut Vec<Finding>) {
    if trimmed.starts_with("sk-ant-") {
        findings.push(Finding::new(
            &KEY_OTHER_VENDOR,
            Severity::Fail,
            format!("{var} ({hint}) is an Anthropic key"),
            "Put your OpenAI key in OPENAI_API_KEY (https://platform.openai.com/api-keys).",
        ));
    } else if !trimmed.starts_with("sk-") {
        findings.push(Finding::new(
            &KEY_FORMAT,
            Severity::Warn,
            format!("{var} ({hint}) does not start with sk-, as OpenAI keys do"),
            "Check that this is an OpenAI key (https://platform.openai.com/api-keys).",
        ));
    } else if trimmed.len() < 40 {
        findings.push(Finding::new(
            &KEY_FORMAT,
            Severity::Warn,
            format!("{var} ({hint}) is {} characters long; OpenAI keys are longer (51 to 200)", trimmed.len()),
            "Check that the key was not truncated when copied.",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Env;

    fn openai(key: Option<&str>) -> (Option<SecretString>, Vec<Finding>) {
        let env = key.map_or_else(Env::default, |k| Env::from_pairs([("OPENAI_API_KEY", k)]));
        inspect_key(&Credential::openai(&env), &Provider::Openai)
    }

    #[test]
    fn keys_are_inspected_without_showing_them() {
        let (k, f) = openai(None);
        assert!(k.is_none() && f[0].code == "probe.no_key");
        let key = "sk-proj-abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP1234";
        let (k, f) = openai(Some(&format!(
            "{key}
"
        )));
        assert_eq!(k.unwrap().expose(), key);
        assert_eq!(f[0].code, "probe.key_whitespace");
        assert!(
            f[0].message.contains("line break")
                && f[0].message.contains("sk-proj-…1234")
                && !f[0].message.contains(key)
        );
        let (_, f) = openai(Some("sk-ant-api03-abcdefghijklmnopqrstuvwxyz"));
        assert_eq!(f[0].code, "probe.key_other_vendor");
        let (_, f) = openai(Some("gsk_abcdefghijklmnopqrstuvwxyz0123456789"));
        assert_eq!(f[0].code, "probe.key_format");
        let (_, f) = openai(Some("sk-short1234567"));
        assert!(f[0].message.contains("characters long"), "{}", f[0].message);
        let (k, f) = openai(Some("sk-abc def-ghijklmnopqrstuvwxyz0123456789"));
        assert!(k.is_none() && f[0].message.contains("inside"));
        let (k, f) = openai(Some(key));
        assert!(k.is_some() && f.is_empty());
    }

    #[test]
    fn azure_credentials_are_judged_as_azure_reads_them() {
        let azure = Provider::Azure(crate::provider::Azure {
            endpoint: url::Url::parse("https://res.openai.azure.com").unwrap(),
            style: crate::provider::AzureStyle::Deployments,
            api_version: Some("2024-10-21".into()),
            deployment_from: None,
        });
        let (k, f) = inspect_key(&Credential::azure(&Env::default()), &azure);
        assert!(
            k.is_none() && f[0].message.contains("AZURE_OPENAI_AD_TOKEN") && f[0].remedy.contains("Keys and Endpoint")
        );
        let env = Env::from_pairs([("AZURE_OPENAI_API_KEY", "0123456789abcdef0123456789abcdef")]);
        let (k, f) = inspect_key(&Credential::azure(&env), &azure);
        assert!(k.is_some() && f.is_empty(), "{f:?}");
        let key = "sk-proj-abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP1234";
        let (_, f) = inspect_key(&Credential::azure(&Env::from_pairs([("AZURE_OPENAI_API_KEY", key)])), &azure);
        assert_eq!(f[0].code, "probe.key_other_vendor");
        assert!(f[0].message.starts_with("AZURE_OPENAI_API_KEY (sk-proj-…1234)") && !f[0].message.contains(key));
        // A gateway's key has any shape.
        let env = Env::from_pairs([("OPENAI_API_KEY", "gw-123")]);
        let (k, f) = inspect_key(&Credential::openai(&env), &Provider::Compatible);
        assert!(k.is_some() && f.is_empty());
    }
}
