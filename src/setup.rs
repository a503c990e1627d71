//! What every program shares to get going: the command line turned into a checked configuration
//! and selection (`--pid` included: the target's environment, base URL, organization, project),
//! a run's session (network context, the target as reports name it, the registry's checks run
//! to a stop signal), and the one tokio runtime builder (the doctor run, `serve`, `simulate`).

use std::sync::Arc;

use openai_doctor_checks::engine::runner;
use openai_doctor_checks::net::context::NetError;
use openai_doctor_checks::{Config, Context, Env, RunReport, Selection, registry};

use crate::cli::RunArgs;
use crate::exit::AppError;
use crate::output::Output;
use crate::report::Target;

/// The runtime every program runs on: two workers (the doctor is I/O-bound and should not take
/// a machine's cores), timers and I/O on.
///
/// # Errors
/// The runtime cannot start (exit 3).
pub fn runtime() -> Result<tokio::runtime::Runtime, AppError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| AppError::internal(format!("cannot start the async runtime: {e}")))
}

/// One run's world: the network context built from a configuration, and the target as the
/// reports name it. The doctor makes one; `serve` one per scrape (a fresh connection pool, so
/// each run measures connecting as a client does).
pub struct Session {
    /// The context every check reads.
    pub ctx: Arc<Context>,
    /// The target, for the reports.
    pub target: Target,
}

impl Session {
    /// The session for `config`.
    ///
    /// # Errors
    /// A configuration the network context refuses (an unreadable `--ca-file`), or a client that
    /// did not build; unredacted.
    pub fn new(config: Config) -> Result<Self, NetError> {
        let ctx = Arc::new(Context::new(config)?);
        let target = Target::new(&ctx.config, &ctx.net);
        Ok(Self { ctx, target })
    }

    /// Runs every registered check `selection` keeps, until done or `stop` resolves.
    ///
    /// # Errors
    /// Never with the registry's checks (unique ids, every dependency present): a bug if it does.
    pub async fn run(
        &self,
        selection: &Selection,
        stop: impl std::future::Future<Output = ()>,
        live: &runner::Live,
    ) -> Result<RunReport, runner::RunError> {
        runner::run_until(registry(), self.ctx.clone(), selection, stop, live).await
    }
}

/// The configuration and selection a command line asks for (`--pid` included), checked: what
/// a run and `serve` share.
///
/// # Errors
/// An unreadable `--pid`, header values that are not printable ASCII (exit 2).
pub fn prepare(args: &RunArgs) -> Result<(Config, Selection), AppError> {
    let env = match args.pid {
        // The target's environment: its variables are secrets like ours (the redactor reads them).
        Some(pid) => Env::from_pid(pid).map_err(|e| AppError::usage(Output::from_process().redactor().redact(&e)))?,
        None => Env::from_process(),
    };
    let mut config = config(args, env);
    if let Some(pid) = args.pid {
        from_target(&mut config, args, pid)?;
    }
    provider(&mut config, args)?;
    header_value("--org / OPENAI_ORG_ID", config.org.as_ref())?;
    header_value("--project / OPENAI_PROJECT_ID", config.project.as_ref())?;
    Ok((config, selection(args)))
}

/// The selection (clap parsed the ids: an unknown one is a usage error there).
fn selection(args: &RunArgs) -> Selection {
    Selection { only: args.only.clone(), skip: args.skip.clone() }
}

/// Header values must be visible ASCII: a newline or a control character in OPENAI_ORG_ID would
/// make every client fail before sending anything.
fn header_value(what: &str, value: Option<&String>) -> Result<(), AppError> {
    match value {
        Some(v) if v.is_empty() || !v.bytes().all(|b| (0x20..0x7f).contains(&b)) => Err(AppError::usage(format!(
            "{what} must be printable ASCII with no line breaks (got {} characters{})",
            v.chars().count(),
            if v.contains('\n') { ", including a newline" } else { "" }
        ))),
        _ => Ok(()),
    }
}

fn config(args: &RunArgs, env: Env) -> Config {
    let mut config = Config::new(env);
    config.base_url = args.base_url.clone();
    // An empty variable means unset, as the SDKs read it (`OPENAI_ORG_ID=` in a .env file).
    config.org = args.org.clone().filter(|v| !v.is_empty());
    config.project = args.project.clone().filter(|v| !v.is_empty());
    config.model = args.model.clone();
    config.status_url = args.status_url.clone();
    config.status_url_given = args.typed.status_url;
    config.ca_files = args.ca_file.clone();
    config.dns_server = args.dns_server;
    config.resolve = args.resolve.clone();
    config.client_timeout = args.timeout;
    config.max_retries = args.max_retries;
    config.deadline = args.deadline;
    config.probes = args.probes;
    config.billable = !args.no_billable;
    config.platform_deadline = args.platform_deadline;
    config
}

/// With `--pid`, what the command line did not set comes from the target's environment, as its
/// SDK reads it: the base URL, the organization and the project.
fn from_target(config: &mut Config, args: &RunArgs, pid: u32) -> Result<(), AppError> {
    config.pid = Some(pid);
    if !args.typed.base_url {
        // The app's OPENAI_BASE_URL, or the SDK default when it has none (never ours).
        let (what, url) = match config.env.non_empty("OPENAI_BASE_URL") {
            Some(url) => ("OPENAI_BASE_URL of --pid", url),
            None => ("the default base URL", openai_doctor_checks::config::DEFAULT_BASE_URL),
        };
        config.base_url = openai_doctor_checks::config::parse_http_url(what, url).map_err(AppError::usage)?;
    }
    if !args.typed.org {
        config.org = config.env.non_empty("OPENAI_ORG_ID").map(str::to_owned);
    }
    if !args.typed.project {
        config.project = config.env.non_empty("OPENAI_PROJECT_ID").map(str::to_owned);
    }
    Ok(())
}

/// Which API the app calls, decided as its SDK would be configured by the same environment (the
/// app's, with `--pid`), and with Azure's deployments API the deployment when `--model` did not
/// name it (the variables the Azure samples use).
fn provider(config: &mut Config, args: &RunArgs) -> Result<(), AppError> {
    use openai_doctor_checks::provider::{self, BaseSource, Inputs};
    let pid = args.pid.is_some();
    // What was not typed is read from the environment the report is about (the app's with
    // --pid), as its SDK reads it: an empty OPENAI_API_VERSION is sent empty.
    let pick = |typed: bool, flag: &Option<String>, var: &str| -> Option<String> {
        if typed { flag.clone() } else { config.env.get(var).map(str::to_owned) }
    };
    let base_source = if args.typed.base_url {
        BaseSource::Flag
    } else if (pid && config.env.non_empty("OPENAI_BASE_URL").is_some()) || (!pid && args.typed.base_url_from_env) {
        BaseSource::Env
    } else {
        BaseSource::Default
    };
    let inputs = Inputs {
        choice: args.provider,
        base_url: config.base_url.clone(),
        base_source,
        azure_endpoint: pick(args.typed.azure_endpoint, &args.azure_endpoint, "AZURE_OPENAI_ENDPOINT")
            .filter(|v| !v.trim().is_empty()),
        endpoint_typed: args.typed.azure_endpoint,
        api_version: pick(args.typed.api_version, &args.api_version, "OPENAI_API_VERSION"),
    };
    let decision = provider::decide(&inputs, &config.env).map_err(AppError::usage)?;
    config.set_provider(decision);
    let typed_model = args.typed.model;
    let env = config.env.clone();
    if let provider::Provider::Azure(azure) = &mut config.provider
        && azure.deployment_from.is_none()
    {
        if typed_model {
            azure.deployment_from = Some("--model".to_owned());
        } else if let Some((var, name)) = provider::DEPLOYMENT_VARS.iter().find_map(|v| Some((*v, env.non_empty(v)?))) {
            azure.deployment_from = Some(var.to_owned());
            config.model = name.to_owned();
        }
    }
    Ok(())
}

/// The exit a network-context error deserves: the user's input is a usage error (2), a client that
/// did not build from valid input an internal one (3). `redact` is applied to the message.
pub fn net_error(e: &NetError, redact: impl Fn(&str) -> String) -> AppError {
    match e {
        NetError::Input(m) => AppError::usage(redact(m)),
        NetError::Client(m) => AppError::internal(redact(m)),
    }
}
