//! The command line: one clap definition, whose doc comments are the help text.
//! House rules: long flags only unless a short one is a strong convention (-v); every option
//! that takes a value has an upper-case value name; the API key is never a flag.

use std::path::PathBuf;
use std::sync::LazyLock;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use openai_doctor_checks::CheckId;
use openai_doctor_checks::config::{self, ResolvePin};
use openai_doctor_checks::provider;
use openai_doctor_checks::request::Endpoint;
use openai_doctor_checks::url;

const EXAMPLES: &str = "\
Examples:
  From a laptop:
    export OPENAI_API_KEY=sk-...
    openai-doctor

  Inside a container (the doctor reads the container's own limits and DNS settings):
    docker run --rm -e OPENAI_API_KEY -e HTTPS_PROXY openai-doctor
    kubectl exec deploy/my-app -- openai-doctor --format json

  Preparing a support ticket:
    openai-doctor -v --format markdown > ticket.md

Exit codes: 0 no check failed, 1 a check failed, 2 usage or input error, 3 internal error.
The API key is read only from OPENAI_API_KEY (never a flag: flags leak into shell history and ps).";

/// Defaults shown in `--help`, written from the constants the library uses (defined once, in
/// `openai_doctor_checks::config` and `sdk::policy`).
static DEFAULT_DEADLINE: LazyLock<String> = LazyLock::new(|| secs_text(config::DEFAULT_DEADLINE));
static SDK_DEFAULT_TIMEOUT: LazyLock<String> = LazyLock::new(|| secs_text(config::SDK_DEFAULT_TIMEOUT));

/// A duration as `parse_secs` reads it back: `20`, `0.5`.
fn secs_text(d: Duration) -> String {
    format!("{}", d.as_secs_f64())
}

/// Tells you why your calls to the OpenAI API fail, and what to do about it.
///
/// Runs the troubleshooting checklist in order: status page, DNS, TCP+TLS, proxy, request
/// payload, an authenticated probe, a streamed answer, timeouts, container limits. Each finding
/// names the cause and the fix; a check that cannot run because an earlier one failed is
/// skipped, so the report shows one root cause.
#[derive(Debug, Parser)]
// A flag given twice takes its last value, as in curl and git (wrapper scripts rely on it).
#[command(name = "openai-doctor", version, after_help = EXAMPLES, max_term_width = 100, args_override_self = true)]
pub struct Cli {
    /// Run a subcommand instead of the checklist.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Options for the checklist run.
    #[command(flatten)]
    pub run: RunArgs,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the checks in report order: id, what each verifies, the guide step it follows.
    Checks,
    /// Explain a finding code: what it means, likely causes, how to fix and verify.
    Explain {
        /// A finding code as printed in a report, e.g. status.major_outage.
        #[arg(value_name = "CODE")]
        code: String,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell.
        #[arg(value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) to stdout: openai-doctor man > openai-doctor.1
    Man,
    /// Run a local OpenAI-compatible API that injects failures, optionally run your command
    /// against it (after --), and audit how your client retried.
    Simulate(SimulateArgs),
    /// Serve runs as Prometheus metrics: /probe?checks=…&target=… (cached), /metrics, /report.
    Serve(Box<ServeArgs>),
    /// Print client settings (Python SDK and tenacity, Node SDK, curl in bash) that retry like
    /// the SDKs and fit your platform's deadline.
    Recipe {
        /// The language.
        #[arg(value_enum, value_name = "LANG")]
        lang: crate::recipe::Lang,
        /// The API the client calls: openai, or azure (the SDKs' AzureOpenAI client, configured
        /// from AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_API_KEY and OPENAI_API_VERSION).
        #[arg(long, value_enum, value_name = "PROVIDER", default_value = "openai")]
        provider: Provider,
        /// The per-attempt timeout you want (cut to fit --platform-deadline).
        #[arg(long, value_name = "SECS", default_value = SDK_DEFAULT_TIMEOUT.as_str(), value_parser = parse_secs)]
        timeout: std::time::Duration,
        /// The retries you want (cut to fit --platform-deadline).
        #[arg(long, value_name = "N", default_value_t = config::SDK_DEFAULT_MAX_RETRIES, value_parser = clap::value_parser!(u32).range(0..=20))]
        max_retries: u32,
        /// Your platform's deadline for a whole invocation (Lambda, API Gateway's 30 s, a job).
        #[arg(long, value_name = "SECS", value_parser = parse_secs)]
        platform_deadline: Option<std::time::Duration>,
    },
    /// Validate request bodies offline (for CI): exit 0 no errors, 1 errors, 2 unreadable file.
    Validate {
        /// Request bodies (JSON files; `-` for stdin).
        #[arg(value_name = "FILE", required = true)]
        files: Vec<PathBuf>,
        /// The endpoint (chat, responses, embeddings), when the body's shape does not say.
        #[arg(long, value_name = "ENDPOINT", value_parser = Endpoint::parse)]
        endpoint: Option<Endpoint>,
        /// Output format (table or json).
        #[arg(long, value_enum, value_name = "FORMAT", default_value = "table")]
        format: Format,
    },
}

pub use crate::recipe::Provider;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people.
    Table,
    /// For machines: one JSON document on stdout (schema_version 1, see README).
    Json,
    /// For pasting into a ticket or an issue.
    Markdown,
    /// For Prometheus: OpenMetrics text, one document per run (README: "Many machines").
    Openmetrics,
}

/// When to colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    /// When stdout is a terminal and NO_COLOR is not set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Which target flags were typed on the command line rather than filled from the doctor's own
/// environment (or the default): with `--pid` the others come from the target's environment.
#[derive(Debug, Default, Clone, Copy)]
pub struct Typed {
    /// `--base-url`.
    pub base_url: bool,
    /// `--org`.
    pub org: bool,
    /// `--project`.
    pub project: bool,
    /// `--model`.
    pub model: bool,
    /// `--azure-endpoint`.
    pub azure_endpoint: bool,
    /// `--api-version`.
    pub api_version: bool,
    /// `OPENAI_BASE_URL` was read from the doctor's environment (not typed, not the default).
    pub base_url_from_env: bool,
    /// `--status-url`.
    pub status_url: bool,
}

impl Cli {
    /// Parses the process's command line like `try_parse`, noting which target flags were typed.
    ///
    /// # Errors
    /// clap's usage error, formatted for the user.
    pub fn parse_noting_sources() -> Result<Self, clap::Error> {
        use clap::parser::ValueSource;
        use clap::{CommandFactory, FromArgMatches};
        let matches = Self::command().try_get_matches()?;
        let mut cli = Self::from_arg_matches(&matches).map_err(|e| e.format(&mut Self::command()))?;
        let typed = |id: &str| matches.value_source(id) == Some(ValueSource::CommandLine);
        cli.run.typed = Typed {
            base_url: typed("base_url"),
            org: typed("org"),
            project: typed("project"),
            model: typed("model"),
            azure_endpoint: typed("azure_endpoint"),
            api_version: typed("api_version"),
            base_url_from_env: matches.value_source("base_url") == Some(ValueSource::EnvVariable),
            status_url: typed("status_url"),
        };
        Ok(cli)
    }
}

/// Options of the checklist run.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// API base URL, as your client uses it.
    // The value is not shown in --help: a base URL may carry a password.
    #[arg(long, value_name = "URL", env = "OPENAI_BASE_URL", hide_env_values = true, default_value = config::DEFAULT_BASE_URL,
          value_parser = |s: &str| config::parse_http_url("--base-url / OPENAI_BASE_URL", s), help_heading = "Target")]
    pub base_url: url::Url,

    /// Organization ID sent as OpenAI-Organization.
    #[arg(long, value_name = "ID", env = "OPENAI_ORG_ID", help_heading = "Target")]
    pub org: Option<String>,

    /// Project ID sent as OpenAI-Project.
    #[arg(long, value_name = "ID", env = "OPENAI_PROJECT_ID", help_heading = "Target")]
    pub project: Option<String>,

    /// Which of the three above were typed (not taken from our environment or the default).
    #[arg(skip)]
    pub typed: Typed,

    /// Diagnose as process PID sees it: its environment (proxies, CA files, OPENAI_*), its files
    /// (through /proc/PID/root) and its cgroup (Linux; e.g. docker run --pid container:app).
    #[arg(long, value_name = "PID", value_parser = clap::value_parser!(u32).range(1..), help_heading = "Target")]
    pub pid: Option<u32>,

    /// Model for the probe's one billable request (with Azure OpenAI: the deployment's name, as
    /// the AzureOpenAI client takes it).
    #[arg(long, value_name = "NAME", default_value = config::DEFAULT_MODEL, help_heading = "Target")]
    pub model: String,

    /// Which API your app calls: decided from the base URL and AZURE_OPENAI_ENDPOINT by default.
    #[arg(long, value_name = "PROVIDER", default_value = "auto", value_parser = provider::Choice::parse,
          help_heading = "Target", long_help = "Which API your app calls: auto (from OPENAI_BASE_URL / --base-url, then \
AZURE_OPENAI_ENDPOINT), openai, azure (the AzureOpenAI client: AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_API_KEY or \
AZURE_OPENAI_AD_TOKEN, OPENAI_API_VERSION, the deployment as --model) or compatible (another OpenAI-compatible server).")]
    pub provider: provider::Choice,

    /// Azure OpenAI resource endpoint (https://NAME.openai.azure.com), as AzureOpenAI reads it.
    #[arg(long, value_name = "URL", env = "AZURE_OPENAI_ENDPOINT", hide_env_values = true, help_heading = "Target")]
    pub azure_endpoint: Option<String>,

    /// Azure OpenAI api-version sent on every request, as AzureOpenAI reads it.
    #[arg(long, value_name = "VERSION", env = "OPENAI_API_VERSION", hide_env_values = true, help_heading = "Target")]
    pub api_version: Option<String>,

    /// Status page root (reads and merges <URL>/api/v2/summary.json and incident.io's <URL>/proxy/<host>).
    #[arg(long, value_name = "URL", default_value = config::DEFAULT_STATUS_URL,
          value_parser = |s: &str| config::parse_http_url("--status-url", s), help_heading = "Target")]
    pub status_url: url::Url,

    /// Extra trust anchors (PEM), on top of the system store, SSL_CERT_FILE and SSL_CERT_DIR. Repeatable.
    #[arg(long, value_name = "PEM", help_heading = "Network")]
    pub ca_file: Vec<PathBuf>,

    /// Use this nameserver for every lookup the doctor makes.
    #[arg(long, value_name = "IP[:PORT]", value_parser = config::parse_dns_server, help_heading = "Network")]
    pub dns_server: Option<std::net::SocketAddr>,

    /// Pin a host to an address, like curl's --resolve. Repeatable.
    #[arg(long, value_name = "HOST:PORT:ADDR", value_parser = ResolvePin::parse, help_heading = "Network")]
    pub resolve: Vec<ResolvePin>,

    /// Whole-run deadline; every check ends within it.
    #[arg(long, value_name = "SECS", default_value = DEFAULT_DEADLINE.as_str(), value_parser = parse_secs, allow_negative_numbers = true, help_heading = "Network")]
    pub deadline: std::time::Duration,

    /// The per-attempt timeout your application uses (the default is the SDKs').
    #[arg(long, value_name = "SECS", default_value = SDK_DEFAULT_TIMEOUT.as_str(), value_parser = parse_secs, allow_negative_numbers = true, help_heading = "Request")]
    pub timeout: std::time::Duration,

    /// The retry count your application uses (the default is the SDKs').
    #[arg(long, value_name = "N", default_value_t = config::SDK_DEFAULT_MAX_RETRIES, value_parser = clap::value_parser!(u32).range(0..=100), help_heading = "Request")]
    pub max_retries: u32,

    /// Requests in the probe's series (GET /models, retried with the SDKs' backoff).
    #[arg(long, value_name = "N", default_value_t = config::DEFAULT_PROBES, value_parser = clap::value_parser!(u32).range(1..=50), help_heading = "Request")]
    pub probes: u32,

    /// Do not send the one billable request (a 1-token chat completion).
    #[arg(long, help_heading = "Request")]
    pub no_billable: bool,

    /// Your platform's deadline for a whole invocation, when it is not detected (Lambda, ...).
    #[arg(long, value_name = "SECS", value_parser = parse_secs, allow_negative_numbers = true, help_heading = "Request")]
    pub platform_deadline: Option<std::time::Duration>,

    /// Request body to validate offline, as your application sends it (`-` for stdin).
    #[arg(long, value_name = "FILE", help_heading = "Request")]
    pub payload: Option<PathBuf>,

    /// The endpoint the payload is for (chat, responses, embeddings), when its shape does not say.
    #[arg(long, value_name = "ENDPOINT", value_parser = Endpoint::parse, help_heading = "Request")]
    pub endpoint: Option<Endpoint>,

    /// Also send the payload itself once, after the minimal request (it costs money).
    #[arg(long, requires = "payload", help_heading = "Request")]
    pub send_payload: bool,

    /// When the sent payload fails with a 5xx (or no answer) and the minimal request passes,
    /// shrink it to the smallest body that still fails (1 output token per attempt; costs money).
    #[arg(long, requires = "send_payload", help_heading = "Request")]
    pub reduce: bool,

    /// With --reduce: put the minimal failing body's text (your prompts and content) in the report
    /// and the bundle; by default only its shape (roles, sizes, estimated tokens, a SHA-256 per text).
    #[arg(long, requires = "reduce", help_heading = "Request")]
    pub reduce_keep_text: bool,

    /// Most requests --reduce may send.
    #[arg(long, value_name = "N", default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..=50), help_heading = "Request")]
    pub reduce_requests: u32,

    /// Write a support bundle (zip) for a ticket: to PATH (a file or a directory) or the current directory.
    #[arg(long, value_name = "PATH", num_args = 0..=1, help_heading = "Output")]
    pub bundle: Option<Option<PathBuf>>,

    /// With --bundle or --output: replace a file that is not a previous bundle or report (or is
    /// read-only, or a symbolic link: the link, never its target), or write into a device or FIFO.
    #[arg(long, help_heading = "Output")]
    pub force: bool,

    /// Run only these checks (comma-separated ids).
    #[arg(long, value_name = "IDS", value_delimiter = ',', value_parser = CheckId::parse, help_heading = "Output")]
    pub only: Vec<CheckId>,

    /// Do not run these checks (comma-separated ids).
    #[arg(long, value_name = "IDS", value_delimiter = ',', value_parser = CheckId::parse, help_heading = "Output")]
    pub skip: Vec<CheckId>,

    /// Output format.
    #[arg(long, value_enum, value_name = "FORMAT", default_value = "table", help_heading = "Output")]
    pub format: Format,

    /// Write the report to FILE instead of stdout, atomically (a temporary file in the same
    /// folder, renamed): node_exporter's textfile collector never reads half a document. Replaces
    /// only a new file or a previous report (--force for anything else).
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub output: Option<PathBuf>,

    /// When to use colour (NO_COLOR is honoured in auto).
    #[arg(long, value_enum, value_name = "WHEN", default_value = "auto", help_heading = "Output")]
    pub color: Color,

    /// Show details for every check and the table of requests made.
    #[arg(short, long, help_heading = "Output")]
    pub verbose: bool,
}

/// Parses a number of seconds between a millisecond and a day (fractions allowed), with an
/// optional unit as people write it next to `timeout 10s` or a YAML file: `500ms`, `10s`, `2m`.
/// One range error for every value outside it: `-1`, `0`, `1e-300` (which would round to
/// nothing), `1e9`.
pub(crate) fn parse_secs(s: &str) -> Result<std::time::Duration, String> {
    const RANGE: &str = "a number of seconds from 0.001 to 86400 (or with a unit: 500ms, 10s, 2m)";
    let t = s.trim();
    let (number, scale) = if let Some(n) = t.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60.0)
    } else {
        (t, 1.0)
    };
    let v = number.trim().parse::<f64>().map_err(|_| format!("`{s}` is not {RANGE}"))? * scale;
    if !v.is_finite() || !(0.001..=86_400.0).contains(&v) {
        return Err(format!("`{s}` is out of range: give {RANGE}"));
    }
    Ok(std::time::Duration::from_secs_f64(v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn seconds_are_validated() {
        assert_eq!(parse_secs("1.5").unwrap().as_millis(), 1500);
        assert!(parse_secs("0").is_err());
        assert!(parse_secs("-1").is_err());
        assert!(parse_secs("nan").is_err());
        assert!(parse_secs("abc").is_err());
        assert!(parse_secs("1e-300").unwrap_err().contains("out of range"));
        assert_eq!(parse_secs("0.001").unwrap().as_millis(), 1);
        assert_eq!(parse_secs("10s").unwrap().as_millis(), 10_000);
        assert_eq!(parse_secs("500ms").unwrap().as_millis(), 500);
        assert_eq!(parse_secs("2m").unwrap().as_millis(), 120_000);
        assert!(parse_secs("0.5ms").unwrap_err().contains("out of range"));
        assert!(parse_secs("s").is_err());
        assert!(parse_secs("10h").is_err());
    }

    #[test]
    fn defaults_come_from_the_library_constants() {
        let cli = Cli::try_parse_from(["openai-doctor"]).unwrap();
        let lib = openai_doctor_checks::Config::new(openai_doctor_checks::Env::default());
        assert_eq!(cli.run.deadline, lib.deadline);
        assert_eq!(cli.run.timeout, lib.client_timeout);
        assert_eq!(cli.run.max_retries, lib.max_retries);
        assert_eq!(cli.run.model, lib.model);
        assert_eq!(cli.run.probes, lib.probes);
        let Some(Command::Recipe { timeout, max_retries, .. }) =
            Cli::try_parse_from(["openai-doctor", "recipe", "python"]).unwrap().command
        else {
            panic!("recipe parses")
        };
        assert_eq!((timeout, max_retries), (lib.client_timeout, lib.max_retries));
    }
}

#[cfg(test)]
mod repeat_tests {
    use super::*;

    #[test]
    fn repeatable_flags_accumulate_and_single_flags_take_the_last_value() {
        let cli = Cli::try_parse_from([
            "openai-doctor",
            "--resolve",
            "a:1:127.0.0.1",
            "--resolve",
            "b:2:127.0.0.2",
            "--ca-file",
            "x.pem",
            "--ca-file",
            "y.pem",
            "--model",
            "m1",
            "--model",
            "m2",
        ])
        .unwrap();
        assert_eq!(cli.run.resolve.len(), 2);
        assert_eq!(cli.run.ca_file.len(), 2);
        assert_eq!(cli.run.model, "m2");
    }
}

/// `simulate`'s options.
#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// Faults to inject: comma-separated; FAULT (next attempt), FAULTxN (N attempts in a row),
    /// FAULT@P% (each later attempt with probability P). FAULT: ok, 500, 502, 502-html, 503,
    /// 503-html, 429[:SECS] (with Retry-After), quota (429 insufficient_quota), 401, 400,
    /// edge:520..526 (Cloudflare's 52x page), edge-blocked (its firewall's 403 page), proxy-block
    /// (a proxy's 403 block page), slow[:SECS] (first byte late), stall (mid-body, until --max-stall), disconnect (closed
    /// without an answer), reset (RST), refuse[:SECS] (RST, then the port refuses connections).
    /// Under --provider azure (Azure's bodies and headers): 500, 429[:SECS] (Retry-After in
    /// whole seconds), 401, 400, content-filter (400 content_filter), proxy-block and the
    /// connection faults; Cloudflare's and OpenAI's own (502, 503, quota, edge…) are refused.
    /// Streams only (a plain answer is served as ok): stream-cut:N (N events, then closed
    /// mid-body), stream-reset:N (then RST), stream-gap[:SECS] (between events), stream-buffer
    /// (all events at the end), stream-gzip (gzip held by the compressor).
    #[arg(long, value_name = "SPEC", default_value = "")]
    pub faults: String,

    /// The API to play: openai, or azure (Azure OpenAI's paths, its `api-key` check, its
    /// api-version check, its deployments and its error bodies; faults answer in Azure's words,
    /// and content-filter is one more). The accepted key is AZURE_OPENAI_API_KEY from this
    /// environment (or a placeholder that is exported to COMMAND).
    #[arg(long, value_enum, value_name = "PROVIDER", default_value = "openai")]
    pub provider: Provider,

    /// Under --provider azure: a deployment the resource has, NAME or NAME=MODEL (the model
    /// decides what it serves: chat, embeddings, or completions for an *instruct* model).
    /// Repeatable; default: gpt-4.1-nano and text-embedding-3-small.
    #[arg(long, value_name = "NAME[=MODEL]")]
    pub deployment: Vec<String>,

    /// Under --provider azure: an api-version the deployments API accepts (repeatable; the first
    /// is exported as OPENAI_API_VERSION). Default: Azure's GA versions and recent previews.
    #[arg(long, value_name = "VERSION")]
    pub api_version: Vec<String>,

    /// Address to listen on (loopback unless you say otherwise; port 0 picks a free one).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    pub listen: std::net::SocketAddr,

    /// Serve HTTPS with a throwaway CA minted now; prints how to trust it.
    #[arg(long)]
    pub tls: bool,

    /// Extra names for the TLS certificate (besides localhost and the listen address), e.g. a
    /// container's name. Repeatable.
    #[arg(long, value_name = "NAME", requires = "tls")]
    pub tls_name: Vec<String>,

    /// Where to write the CA certificate (PEM) under --tls (default: a temporary file removed on exit).
    #[arg(long, value_name = "FILE", requires = "tls")]
    pub ca_out: Option<PathBuf>,

    /// The longest any stall or slow answer lasts.
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = parse_secs)]
    pub max_stall: std::time::Duration,

    /// Your platform's deadline for a whole invocation (Lambda, a gateway): judged in the audit.
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    pub platform_deadline: Option<std::time::Duration>,

    /// Keep request bodies in the audit's timeline (they may hold your prompts).
    #[arg(long)]
    pub log_bodies: bool,

    /// Do not print a line per attempt.
    #[arg(long, short)]
    pub quiet: bool,

    /// The audit's format.
    #[arg(long, value_enum, value_name = "FORMAT", default_value = "table")]
    pub format: AuditFormat,

    /// The command to run against the simulated API (after --), with OPENAI_BASE_URL set (and,
    /// under --provider azure, AZURE_OPENAI_ENDPOINT and OPENAI_API_VERSION).
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

/// Formats of the audit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuditFormat {
    Table,
    Json,
}

/// `serve`'s options, and the run's (target, network, request) for every probe.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (loopback unless you say otherwise).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9469")]
    pub listen: std::net::SocketAddr,

    /// How long a run answers scrapes of the same probe before the next scrape starts a new one.
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = parse_secs)]
    pub cache: std::time::Duration,

    /// Send the probe's billable request (a 1-token chat completion) in every run. Off by default.
    #[arg(long)]
    pub allow_billable: bool,

    /// Another base URL a scrape may name as `target=` (the configured one always may). Repeatable.
    #[arg(long, value_name = "URL", value_parser = |s: &str| config::parse_http_url("--allow-target", s))]
    pub allow_target: Vec<url::Url>,

    #[command(flatten)]
    pub run: RunArgs,
}
