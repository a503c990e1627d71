//! `openai-doctor simulate`: a local OpenAI-compatible API that injects the failures the real one
//! produces, optionally runs the user's command against it, and audits that client's retries.
//! The server binds loopback unless told otherwise; under `--tls` it mints a throwaway CA and
//! tells each client how to trust it.

mod api;
pub mod audit;
mod faults;
mod server;
mod tls;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::exit::{self, AppError};
use crate::output::Output;

pub use faults::Plan;

/// `simulate`'s options.
#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// Faults to inject: comma-separated; FAULT (next attempt), FAULTxN (N attempts in a row),
    /// FAULT@P% (each later attempt with probability P). FAULT: ok, 500, 502, 502-html, 503,
    /// 503-html, 429[:SECS] (Retry-After), quota, 401, 400, slow[:SECS], stall, disconnect.
    #[arg(long, value_name = "SPEC", default_value = "", value_parser = parse_plan)]
    pub faults: PlanArg,

    /// Address to listen on (loopback unless you say otherwise; port 0 picks a free one).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,

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
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = crate::cli::parse_secs)]
    pub max_stall: Duration,

    /// Your platform's deadline for a whole invocation (Lambda, a gateway): judged in the audit.
    #[arg(long, value_name = "SECS", value_parser = crate::cli::parse_secs)]
    pub platform_deadline: Option<Duration>,

    /// Keep request bodies in the audit's timeline (they may hold your prompts).
    #[arg(long)]
    pub log_bodies: bool,

    /// Do not print a line per attempt.
    #[arg(long, short)]
    pub quiet: bool,

    /// The audit's format.
    #[arg(long, value_enum, value_name = "FORMAT", default_value = "table")]
    pub format: AuditFormat,

    /// The command to run against the simulated API (after --), with OPENAI_BASE_URL set.
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

/// Formats of the audit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuditFormat {
    Table,
    Json,
}

/// A parsed `--faults` (clap needs `Clone`; the plan's counter starts when the server does).
#[derive(Debug, Clone)]
pub struct PlanArg(String);

fn parse_plan(s: &str) -> Result<PlanArg, String> {
    Plan::parse(s).map(|_| PlanArg(s.to_owned()))
}

/// Runs `simulate`.
///
/// # Errors
/// Usage errors (a port in use, a command that cannot start) and internal errors.
pub fn run(args: SimulateArgs) -> Result<u8, AppError> {
    let out = Output::from_process();
    let plan = Plan::parse(&args.faults.0).map_err(AppError::usage)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| AppError::internal(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|e| AppError::usage(format!("cannot listen on {}: {e}", args.listen)))?;
        let addr = listener.local_addr().map_err(|e| AppError::internal(e.to_string()))?;
        let minted = if args.tls { Some(tls::mint(addr, &args.tls_name, args.ca_out.as_deref())?) } else { None };
        let scheme = if minted.is_some() { "https" } else { "http" };
        let host = if addr.ip().is_unspecified() { "localhost".to_owned() } else { addr.ip().to_string() };
        let host = if host.contains(':') { format!("[{host}]") } else { host };
        let base_url = format!("{scheme}://{host}:{}/v1", addr.port());
        let mut env = vec![("OPENAI_BASE_URL".to_owned(), base_url.clone())];
        if let Some(m) = &minted {
            for var in tls::TRUST_VARS {
                env.push(((*var).to_owned(), m.ca_path.display().to_string()));
            }
        }
        let reach = if addr.ip().is_loopback() {
            "loopback only".to_owned()
        } else {
            format!("listening on {}: reachable from other hosts", addr.ip())
        };
        let _ = out.stderr(&format!("simulate: {base_url} ({reach}); faults: {}", describe(&args.faults.0)));
        if args.command.is_empty() {
            let exports: Vec<String> = env.iter().map(|(k, v)| format!("export {k}={v}")).collect();
            let _ = out.stderr(&format!(
                "simulate: point your client here (Ctrl-C prints the audit):\n{}",
                exports.join("\n")
            ));
        }
        let shared = server::Shared::new(server::Settings {
            plan,
            max_stall: args.max_stall,
            log_bodies: args.log_bodies,
            verbose: !args.quiet,
        });
        let tls_config = minted.as_ref().map(|m| m.server.clone());
        let serving = tokio::spawn(server::serve(listener, tls_config, shared.clone()));
        let command = if args.command.is_empty() {
            crate::app::interrupted().await;
            None
        } else {
            Some(run_command(&args.command, &env).await?)
        };
        serving.abort();
        drop(minted);
        let attempts = shared.attempts();
        let requests = audit::group(&attempts);
        let verdicts = audit::judge(&requests, args.platform_deadline);
        let command = command.as_ref().map(|code| (args.command[0].as_str(), *code));
        let text = match args.format {
            AuditFormat::Table => audit::to_text(&attempts, &requests, &verdicts, command),
            AuditFormat::Json => audit::to_json(&attempts, &requests, &verdicts, command).to_string(),
        };
        out.stdout(&text)?;
        Ok(if audit::failed(&verdicts) { exit::CHECK_FAILED } else { exit::OK })
    })
}

fn describe(spec: &str) -> String {
    if spec.trim().is_empty() { "none (every attempt succeeds)".to_owned() } else { spec.to_owned() }
}

/// Runs the user's command with `env` and waits for it; Ctrl-C reaches it (same process group)
/// and the audit of what was seen is printed all the same.
async fn run_command(command: &[String], env: &[(String, String)]) -> Result<Option<i32>, AppError> {
    let mut child = tokio::process::Command::new(&command[0])
        .args(&command[1..])
        .envs(env.iter().map(|(k, v)| (k, v)))
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| AppError::usage(format!("cannot run `{}`: {e}", command[0])))?;
    tokio::select! {
        status = child.wait() => Ok(status.map_err(|e| AppError::internal(e.to_string()))?.code()),
        () = crate::app::interrupted() => {
            // The terminal sent it SIGINT too; give it a moment to exit on its own.
            match tokio::time::timeout(Duration::from_secs(5), child.wait()).await {
                Ok(Ok(status)) => Ok(status.code()),
                _ => {
                    let _ = child.kill().await;
                    Ok(None)
                }
            }
        }
    }
}
