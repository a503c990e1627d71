//! Where the doctor ran, for the ticket and `environment.json`: OS, kernel, architecture,
//! container and platform, proxy, tool version, the client's timeout settings, and the relevant
//! environment variables by name with their values redacted.

use openai_doctor_checks::net::proxy_env;
use openai_doctor_checks::secret::{is_secret_name, key_hint};
use openai_doctor_checks::{Config, RunReport};
use serde::Serialize;

/// Names (exact) and prefixes of the variables worth showing support.
const EXACT: &[&str] = &[
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "NODE_EXTRA_CA_CERTS",
    "NODE_USE_SYSTEM_CA",
    "NODE_OPTIONS",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_REGION",
    "K_SERVICE",
    "FUNCTION_TARGET",
    "FUNCTION_TIMEOUT_SEC",
    "FUNCTIONS_WORKER_RUNTIME",
    "VERCEL",
    "KUBERNETES_SERVICE_HOST",
];
const PREFIXES: &[&str] = &["OPENAI_", "AZURE_OPENAI_"];

/// One environment variable, value redacted.
#[derive(Debug, Clone, Serialize)]
pub struct Var {
    /// Name.
    pub name: String,
    /// Value as shown: keys as `sk-…WXYZ`, other secrets as `***`, proxy passwords as `***`.
    pub value: String,
}

/// Where the run happened.
#[derive(Debug, Clone, Serialize)]
pub struct Environment {
    /// Operating system.
    pub os: String,
    /// Kernel version.
    pub kernel: String,
    /// CPU architecture.
    pub arch: String,
    /// Container runtime, when in one.
    pub container: Option<String>,
    /// Serverless platform, when detected.
    pub platform: Option<String>,
    /// Proxy in the path (redacted).
    pub proxy: Option<String>,
    /// openai-doctor version and build.
    pub tool: String,
    /// The client timeout and retries the report assumed.
    pub client: String,
    /// Relevant variables.
    pub variables: Vec<Var>,
}

fn shown(name: &str, value: &str) -> String {
    if name.to_ascii_uppercase().ends_with("_PROXY") && !name.eq_ignore_ascii_case("no_proxy") {
        return proxy_env::parse_proxy_url(value)
            .map_or_else(|_| "(not a URL)".to_owned(), |u| proxy_env::redacted_url(&u));
    }
    if is_secret_name(name) {
        return if value.trim().starts_with("sk-") { key_hint(value.trim()) } else { "***".to_owned() };
    }
    value.to_owned()
}

impl Environment {
    /// Collects the environment of this run.
    #[must_use]
    pub fn collect(config: &Config, run: &RunReport, proxy: Option<String>) -> Self {
        // The container check read the host already; ask sysinfo only when it did not run.
        let (os, kernel, arch) = match &run.facts.host {
            Some(h) => (h.os.clone(), h.kernel.clone(), h.arch.to_owned()),
            None => {
                let host = openai_doctor_checks::engine::facts::host_facts();
                (host.os, host.kernel, host.arch.into_owned())
            }
        };
        let variables = config
            .env
            .iter()
            .filter(|(k, _)| {
                proxy_env::VARIABLES.contains(k) || EXACT.contains(k) || PREFIXES.iter().any(|p| k.starts_with(p))
            })
            .map(|(k, v)| Var { name: k.to_owned(), value: crate::output::clean(&shown(k, v)).into_owned() })
            .collect();
        Self {
            os,
            kernel,
            arch,
            container: run.facts.runtime.map(str::to_owned),
            platform: run.facts.platform.map(str::to_owned),
            proxy,
            tool: format!(
                "openai-doctor {} ({} {})",
                env!("CARGO_PKG_VERSION"),
                std::env::consts::OS,
                std::env::consts::ARCH
            ),
            client: format!(
                "timeout {} s per attempt, {} retries",
                config.client_timeout.as_secs_f64(),
                config.max_retries
            ),
            variables,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_redacted_by_kind() {
        assert_eq!(shown("OPENAI_API_KEY", "sk-proj-abcdefghijklmnopqrstuvwxyz1234"), "sk-proj-…1234");
        assert_eq!(shown("OPENAI_WEBHOOK_SECRET", "whsec_abcdefgh"), "***");
        assert_eq!(shown("HTTPS_PROXY", "http://u:pw@proxy:3128"), "http://u:***@proxy:3128/");
        assert_eq!(shown("NO_PROXY", "localhost,.corp"), "localhost,.corp");
        assert_eq!(shown("SSL_CERT_FILE", "/etc/ssl/ca.pem"), "/etc/ssl/ca.pem");
    }
}
