//! `openai-doctor simulate`: a local OpenAI-compatible API that injects the failures the real one
//! produces, optionally runs the user's command against it, and audits that client's retries.
//! The server binds loopback unless told otherwise; under `--tls` it mints a throwaway CA and
//! tells each client how to trust it.

mod api;
mod attempt;
mod audit;
mod azure;
mod faults;
mod pages;
mod server;
mod stream;
mod tls;

use std::time::Duration;

use crate::cli::{AuditFormat, Provider, SimulateArgs};
use crate::exit::{self, AppError};
use crate::output::Output;

use faults::Plan;

/// Runs `simulate`.
///
/// # Errors
/// Usage errors (a port in use, a command that cannot start) and internal errors.
pub fn run(args: SimulateArgs) -> Result<u8, AppError> {
    let out = Output::from_process();
    let plan = Plan::parse(&args.faults).map_err(|e| AppError::usage(format!("--faults: {e}")))?;
    let azure = resource(&args)?;
    let foreign = plan.faults().find(|f| if azure.is_some() { !f.azure_has() } else { !f.openai_has() });
    if let Some(f) = foreign {
        return Err(AppError::usage(if azure.is_some() {
            format!(
                "--faults: `{f}` is not an answer of Azure OpenAI (OpenAI's or Cloudflare's); under --provider azure use 500, 429[:SECS], 401, 400, content-filter, proxy-block and the connection and stream faults"
            )
        } else {
            format!("--faults: `{f}` is Azure OpenAI's answer: add --provider azure")
        }));
    }
    let runtime = crate::setup::runtime()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|e| AppError::usage(format!("cannot listen on {}: {e}", args.listen)))?;
        let addr = listener.local_addr().map_err(|e| AppError::internal(e.to_string()))?;
        let minted = if args.tls { Some(tls::mint(addr, &args.tls_name, args.ca_out.as_deref())?) } else { None };
        let scheme = if minted.is_some() { "https" } else { "http" };
        let host = if addr.ip().is_unspecified() { "localhost".to_owned() } else { addr.ip().to_string() };
        let host = if host.contains(':') { format!("[{host}]") } else { host };
        let origin = format!("{scheme}://{host}:{}", addr.port());
        let (base_url, mut env) = match &azure {
            None => {
                let base_url = format!("{origin}/v1");
                let mut env = vec![("OPENAI_BASE_URL".to_owned(), base_url.clone())];
                // The SDKs refuse to start without a key; the simulated API accepts any. Not
                // shaped like a key (`sk-…`), so the redactor leaves the printed `export` usable.
                if unset("OPENAI_API_KEY") {
                    env.push(("OPENAI_API_KEY".to_owned(), PLACEHOLDER_KEY.to_owned()));
                }
                (base_url, env)
            }
            // AzureOpenAI reads the endpoint, key and version; OpenAI(base_url=…/openai/v1)
            // meets the v1 API with the same key. A variable already set is left as it is: the
            // user's own api-version is then the one checked.
            Some(a) => {
                let mut env = vec![
                    ("AZURE_OPENAI_ENDPOINT".to_owned(), origin.clone()),
                    ("OPENAI_BASE_URL".to_owned(), format!("{origin}/openai/v1")),
                ];
                // Only the placeholder is ever exported (and printed): a key of the user's stays
                // in the user's environment.
                if unset("AZURE_OPENAI_API_KEY") {
                    env.push(("AZURE_OPENAI_API_KEY".to_owned(), PLACEHOLDER_KEY.to_owned()));
                    if unset("OPENAI_API_KEY") {
                        env.push(("OPENAI_API_KEY".to_owned(), PLACEHOLDER_KEY.to_owned()));
                    }
                }
                if unset("OPENAI_API_VERSION") {
                    env.push(("OPENAI_API_VERSION".to_owned(), a.version().to_owned()));
                }
                (origin.clone(), env)
            }
        };
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
        let _ = out.stderr(&format!("simulate: {base_url} ({reach}); faults: {}", describe(&args.faults)));
        if let Some(a) = &azure {
            let names: Vec<String> = a
                .deployments
                .iter()
                .map(|d| if d.name == d.model { d.name.clone() } else { format!("{}={}", d.name, d.model) })
                .collect();
            let _ = out.stderr(&format!(
                "simulate: Azure OpenAI: deployments {}; api-versions {}; key: {}",
                names.join(", "),
                a.versions.join(", "),
                if unset("AZURE_OPENAI_API_KEY") {
                    format!("AZURE_OPENAI_API_KEY={PLACEHOLDER_KEY} (exported)")
                } else {
                    "AZURE_OPENAI_API_KEY as set (or AZURE_OPENAI_AD_TOKEN as a Bearer token)".to_owned()
                }
            ));
        }
        if let Some(m) = &minted {
            let _ = out.stderr(&format!(
                "simulate: throwaway CA {} ({}){}",
                m.ca_path.display(),
                tls::TRUST_VARS.join(", "),
                if args.ca_out.is_some() { "" } else { "; removed on exit" }
            ));
        }
        if args.command.is_empty() {
            let exports: Vec<String> = env.iter().map(|(k, v)| format!("export {k}={v}")).collect();
            let _ = out.stderr(&format!(
                "simulate: point your client here (Ctrl-C prints the audit):\n{}",
                exports.join("\n")
            ));
        }
        let shared = server::Shared::new(server::Settings {
            plan,
            azure,
            max_stall: args.max_stall,
            log_bodies: args.log_bodies,
            log: (!args.quiet).then(|| out.clone()),
        });
        let tls_config = minted.as_ref().map(|m| m.server.clone());
        let serving = tokio::spawn(server::serve(listener, tls_config, shared.clone()));
        let exit_code = if args.command.is_empty() {
            crate::signals::interrupted().await;
            None
        } else {
            Some(run_command(&args.command, &env, args.format == AuditFormat::Json).await?)
        };
        serving.abort();
        drop(minted);
        let attempts = shared.attempts();
        let not_kept = shared.not_kept.load(std::sync::atomic::Ordering::Relaxed);
        if not_kept > 0 {
            let _ = out.stderr(&format!(
                "simulate: the audit covers the first {} attempts; {not_kept} more were served and counted only",
                server::MAX_KEPT
            ));
        }
        let requests = audit::group(&attempts);
        let verdicts = audit::judge(&requests, args.platform_deadline, exit_code);
        let command = exit_code.map(|code| (args.command[0].as_str(), code));
        let recipe = audit::recipe(&attempts, args.platform_deadline, args.provider);
        let text = match args.format {
            AuditFormat::Table => audit::to_text(&attempts, &requests, &verdicts, command, &recipe),
            AuditFormat::Json => audit::to_json(&attempts, &requests, &verdicts, command, &recipe).to_string(),
        };
        out.stdout(&text)?;
        Ok(if audit::failed(&verdicts) { exit::CHECK_FAILED } else { exit::OK })
    })
}

/// The key the simulated API hands out when none is set: not shaped like a key (`sk-…`), so the
/// redactor leaves a printed `export` usable.
const PLACEHOLDER_KEY: &str = "simulated-not-a-real-key";

fn unset(name: &str) -> bool {
    std::env::var_os(name).is_none_or(|v| v.is_empty())
}

/// The key the simulated Azure resource accepts: AZURE_OPENAI_API_KEY, else the placeholder.
fn a_key() -> String {
    std::env::var("AZURE_OPENAI_API_KEY").ok().filter(|k| !k.is_empty()).unwrap_or_else(|| PLACEHOLDER_KEY.to_owned())
}

/// The simulated Azure resource under `--provider azure`; its flags without it are a usage error.
fn resource(args: &SimulateArgs) -> Result<Option<azure::Azure>, AppError> {
    if args.provider != Provider::Azure {
        if !args.deployment.is_empty() || !args.api_version.is_empty() {
            return Err(AppError::usage("--deployment and --api-version need --provider azure"));
        }
        return Ok(None);
    }
    let token = std::env::var("AZURE_OPENAI_AD_TOKEN").ok().filter(|t| !t.is_empty());
    azure::Azure::new(a_key(), token, &args.deployment, &args.api_version).map(Some).map_err(AppError::usage)
}

fn describe(spec: &str) -> String {
    if spec.trim().is_empty() { "none (every attempt succeeds)".to_owned() } else { spec.to_owned() }
}

/// Runs the user's command with `env` and waits for it; Ctrl-C reaches it (same process group)
/// and the audit of what was seen is printed all the same. Under `--format json` the command's
/// stdout goes to stderr, so stdout stays one JSON document.
async fn run_command(command: &[String], env: &[(String, String)], json: bool) -> Result<Option<i32>, AppError> {
    let mut cmd = tokio::process::Command::new(&command[0]);
    if json {
        cmd.stdout(std::process::Stdio::from(std::io::stderr()));
    }
    let mut child = cmd
        .args(&command[1..])
        .envs(env.iter().map(|(k, v)| (k, v)))
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| AppError::usage(format!("cannot run `{}`: {e}", command[0])))?;
    tokio::select! {
        status = child.wait() => Ok(status.map_err(|e| AppError::internal(e.to_string()))?.code()),
        () = crate::signals::interrupted() => {
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
