//! The `container` check: are we in a container, and do its limits (memory, OOM kills, CPU
//! quota, pids, open files) or its DNS settings (`ndots`) plausibly break API calls?
//! Linux-only facts sit behind `cfg(target_os = "linux")`; elsewhere the check says it does not apply.

pub mod cgroup;

use std::path::PathBuf;
use std::time::Duration;

use crate::config::Env;
use crate::details::container::{Container, OpenFiles};
use crate::engine::check::{Activity, BoxFuture, Check, CheckInfo, Context};
use crate::engine::facts::Host;
use crate::model::{CheckId, Code, Finding, Outcome, Severity, Status};
use crate::net::resolv_conf::ResolvConf;
use cgroup::{Fs, Limits};

static INFO: CheckInfo = CheckInfo {
    id: CheckId::Container,
    title: "Container and host limits",
    verifies: "container runtime, cgroup memory/CPU/pids limits, OOM kills, open-files limit and resolv.conf ndots",
    guide_step: "5. Check your environment (containers, serverless limits)",
    time_limit: Duration::from_secs(3),
    codes: &[&MEMORY_NEAR_LIMIT, &OOM_KILLED, &CPU_QUOTA, &PIDS_LIMIT, &OPEN_FILES, &NDOTS, &NO_NAMESERVER, &RUNTIME],
};

/// Memory use is close to the cgroup limit.
pub static MEMORY_NEAR_LIMIT: Code = Code {
    id: "container.memory_near_limit",
    title: "Memory use is close to the container's limit",
    explain: "The container's memory use (which includes page cache the kernel can reclaim) is \
at 90% or more of its cgroup limit. When a process needs more, the kernel's OOM killer ends it, \
and every API call it had in flight dies with it: callers see 'Connection error.' or a reset.\n\n\
Fix: raise the limit (`docker run -m`, Kubernetes `resources.limits.memory`) or lower the \
process's use (fewer concurrent requests, stream large responses).\n\nVerify: \
`openai-doctor --only container` shows use well below the limit under load.",
};
/// Processes in the cgroup were OOM-killed.
pub static OOM_KILLED: Code = Code {
    id: "container.oom_killed",
    title: "Processes in this container were killed for using too much memory",
    explain: "The cgroup's memory.events (v2) or memory.oom_control (v1) counts OOM kills. A \
killed worker drops its in-flight API requests; the failures look like network errors.\n\n\
Fix: raise the memory limit or reduce memory use; check `kubectl describe pod` for \
OOMKilled restarts.\n\nVerify: the oom_kill counter stops growing.",
};
/// Little CPU.
pub static CPU_QUOTA: Code = Code {
    id: "container.cpu_quota",
    title: "The container has less than half a CPU core",
    explain: "A CPU quota below 0.5 cores throttles the process in 100 ms periods. TLS handshakes, \
JSON parsing of large responses and event loops stall, and client-side timeouts fire while \
the server has already answered.\n\nFix: raise the CPU limit (`docker run --cpus`, \
`resources.limits.cpu`) or remove it.\n\nVerify: the quota shown is at least 1 core.",
};
/// Task limit reached or nearly reached.
pub static PIDS_LIMIT: Code = Code {
    id: "container.pids_limit",
    title: "The container is at (or near) its limit of processes and threads",
    explain: "pids.max caps processes and threads together. At the cap, starting a thread fails: \
HTTP clients that resolve names on a thread pool (getaddrinfo) or open connections in worker \
threads fail with resource errors.\n\nFix: raise pids.max (`docker run --pids-limit`, the \
kubelet's podPidsLimit) or use fewer threads.\n\nVerify: pids.current well below pids.max.",
};
/// Open-files limit.
pub static OPEN_FILES: Code = Code {
    id: "container.open_files",
    title: "The open-files limit is low",
    explain: "Every connection uses a file descriptor. The official Python SDK allows up to 1000 \
pooled connections; with a soft limit below 1024, busy clients fail with 'Too many open files' \
(EMFILE), which surfaces as a connection error.\n\nFix: raise the limit (`ulimit -n 65536`, \
`docker run --ulimit nofile=65536:65536`, systemd `LimitNOFILE=`).\n\nVerify: \
`ulimit -n` in the same environment shows the new value.",
};
/// ndots with search domains sends API lookups through the search list first.
pub static NDOTS: Code = Code {
    id: "container.ndots",
    title: "resolv.conf ndots makes every API lookup try the search domains first",
    explain: "With `options ndots:N` and search domains, a name with fewer than N dots is first \
tried with each search domain appended (api.openai.com.default.svc.cluster.local, ...). \
Kubernetes sets ndots:5, so each lookup of api.openai.com costs several extra queries, adds \
latency, and fails outright when one of those queries times out.\n\nFix: set `dnsConfig: \
options: [{name: ndots, value: \"2\"}]` on the pod, or use the fully qualified name with a \
trailing dot in OPENAI_BASE_URL (https://api.openai.com./v1).\n\nVerify: \
`openai-doctor --only container` no longer reports it.",
};
/// resolv.conf has no nameserver.
pub static NO_NAMESERVER: Code = Code {
    id: "container.no_nameserver",
    title: "resolv.conf lists no nameserver",
    explain: "Without a nameserver line the C library falls back to 127.0.0.1, where usually \
nothing answers, so every lookup of api.openai.com fails ('Temporary failure in name \
resolution', ENOTFOUND).\n\nFix: give the container DNS (`docker run --dns`, \
/etc/docker/daemon.json \"dns\", the pod's dnsPolicy).\n\nVerify: /etc/resolv.conf lists a \
nameserver and the dns check passes.",
};
/// Where we run (information).
pub static RUNTIME: Code = Code {
    id: "container.runtime",
    title: "Container runtime and limits (information)",
    explain: "Facts about where openai-doctor runs: container runtime, cgroup version and \
limits, host totals. They give context to the other findings and go into support bundles.",
};

/// The `container` check, reading under `root` (`/` in production).
#[derive(Debug, Clone)]
pub struct ContainerCheck {
    /// Filesystem root to read `/proc`, `/sys` and `/etc` under.
    pub root: PathBuf,
}

impl Default for ContainerCheck {
    fn default() -> Self {
        Self { root: PathBuf::from("/") }
    }
}

impl Check for ContainerCheck {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run<'a>(&'a self, ctx: &'a Context, activity: &'a Activity) -> BoxFuture<'a, Outcome> {
        Box::pin(async move {
            activity.set_local("reading /proc, /sys/fs/cgroup and /etc/resolv.conf");
            let (root, pid) = (self.root.clone(), ctx.config.pid);
            let env = ctx.config.env.clone();
            let api_host = ctx.config.api_host().to_owned();
            let (outcome, host, runtime) = tokio::task::spawn_blocking(move || {
                let host = host_facts();
                let fs = pid.map_or_else(|| Fs::new(root), Fs::of_process);
                let (outcome, runtime) = inspect(&fs, &env, &api_host, &host);
                (outcome, host, runtime)
            })
            .await
            .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
            let _ = ctx.facts.host.set(Host { os: host.os, kernel: host.kernel, arch: std::env::consts::ARCH });
            if let Some(r) = runtime {
                let _ = ctx.facts.runtime.set(r);
            }
            outcome
        })
    }
}

pub use crate::details::container::HostFacts;
pub use crate::engine::facts::host_facts;

/// `512 MiB`, `1.5 GiB`.
#[must_use]
pub fn human_bytes(b: u64) -> String {
    #[allow(clippy::cast_precision_loss)]
    let f = b as f64;
    if b >= 1 << 30 {
        format!("{:.1} GiB", f / f64::from(1u32 << 30))
    } else {
        format!("{:.0} MiB", f / f64::from(1u32 << 20))
    }
}

/// Which container runtime, if any, from marker files, cgroup paths and the environment.
fn runtime(fs: &Fs, env: &Env, limits: Option<&Limits>) -> Option<&'static str> {
    let k8s = env.non_empty("KUBERNETES_SERVICE_HOST").is_some();
    let path = limits.map_or("", |l| l.path.as_str());
    if k8s || path.contains("kubepods") {
        Some("Kubernetes pod")
    } else if fs.exists("/.dockerenv") || path.contains("docker") {
        Some("Docker container")
    } else if fs.exists("/run/.containerenv") || path.contains("libpod") {
        Some("Podman container")
    } else if path.contains("containerd") || path.contains("cri-") {
        Some("containerd container")
    } else if path.contains("lxc") {
        Some("LXC container")
    } else {
        None
    }
}

/// The whole check over a filesystem root, an environment and host facts: its outcome, and the
/// container runtime it found (for the ticket).
#[must_use]
pub fn inspect(fs: &Fs, env: &Env, api_host: &str, host: &HostFacts) -> (Outcome, Option<&'static str>) {
    if !cfg!(target_os = "linux") && fs.read("/proc/self/cgroup").is_none() {
        return (
            Outcome::with_status(
                Status::Skip,
                format!("not applicable on {}: cgroups and /proc are Linux-only", std::env::consts::OS),
                Container {
                    runtime: None,
                    cgroup: None,
                    memory_limit_human: None,
                    open_files: None,
                    resolv_conf: None,
                    host: host.clone(),
                },
            ),
            None,
        );
    }
    let limits = cgroup::read_limits(fs);
    let runtime = runtime(fs, env, limits.as_ref());
    let nofile = cgroup::open_files(fs);
    let resolv = fs.read("/etc/resolv.conf").map(|t| ResolvConf::parse(&t));
    let mut findings = Vec::new();
    if let Some(l) = &limits {
        limit_findings(l, &mut findings);
    }
    if let Some((Some(soft), hard)) = nofile {
        findings.extend(open_files_finding(soft, hard));
    }
    if let Some(conf) = &resolv {
        resolv_findings(conf, api_host, &mut findings);
    }

    let summary = summary(runtime, limits.as_ref(), host);
    let details = Container {
        runtime: runtime.map(Into::into),
        memory_limit_human: limits.as_ref().and_then(|l| l.memory_limit).map(human_bytes),
        cgroup: limits,
        open_files: nofile.map(|(soft, hard)| OpenFiles { soft, hard }),
        resolv_conf: resolv,
        host: host.clone(),
    };
    let mut out = Outcome::from_findings(summary, details, findings);
    if runtime.is_some() && out.status == Status::Pass {
        out = out.and(Finding::new(
            &RUNTIME,
            Severity::Info,
            format!("running in a {}", runtime.unwrap_or_default()),
            "",
        ));
        out.status = Status::Pass;
    }
    (out, runtime)
}

/// One line: where, each limit that is set ("limits 96 MiB, 0.25 CPU, 32 processes"), and the
/// CPUs usable. A pids limit matters as much as memory (threads for lookups), so it is stated here,
/// not only in the raw details.
fn summary(runtime: Option<&str>, limits: Option<&Limits>, host: &HostFacts) -> String {
    let mut parts = vec![runtime.map_or_else(|| "not in a container".to_owned(), |r| format!("in a {r}"))];
    let set: Vec<String> = limits
        .map(|l| {
            [
                l.memory_limit.map(human_bytes),
                l.cpu_quota_cores.map(cpus),
                l.pids_max.map(|p| if p == 1 { "1 process".to_owned() } else { format!("{p} processes") }),
            ]
            .into_iter()
            .flatten()
            .collect()
        })
        .unwrap_or_default();
    if set.is_empty() {
        parts.push(match limits {
            Some(_) => format!("no memory, CPU or pids limit (host {})", human_bytes(host.memory_total)),
            None => format!("host {}", human_bytes(host.memory_total)),
        });
    } else {
        parts.push(format!("limits {}", set.join(", ")));
    }
    #[allow(clippy::cast_precision_loss)]
    parts.push(format!("{} usable", cpus(host.cpus as f64)));
    parts.join(", ")
}

/// `0.25 CPU`, `1 CPU`, `1.5 CPUs`, `4 CPUs` (at most two decimals, none when whole).
#[must_use]
pub fn cpus(n: f64) -> String {
    let text = format!("{n:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    let unit = if n <= 1.0 { "CPU" } else { "CPUs" };
    format!("{text} {unit}")
}

/// Memory near its limit, OOM kills, a small CPU quota, the pids limit.
fn limit_findings(l: &Limits, findings: &mut Vec<Finding>) {
    if let (Some(limit), Some(cur)) = (l.memory_limit, l.memory_current)
        && limit > 0
        && cur.saturating_mul(10) >= limit.saturating_mul(9)
    {
        findings.push(Finding::new(
            &MEMORY_NEAR_LIMIT,
            Severity::Warn,
            format!(
                "memory use {} is {}% of the {} limit",
                human_bytes(cur),
                cur.saturating_mul(100) / limit,
                human_bytes(limit)
            ),
            "Raise the memory limit (docker run -m, Kubernetes resources.limits.memory) or reduce use.",
        ));
    }
    if let Some(kills) = l.oom_kills.filter(|k| *k > 0) {
        findings.push(Finding::new(
            &OOM_KILLED,
            Severity::Warn,
            // A counter over the cgroup's life: these kills happened before this run, to the app.
            if kills == 1 {
                "1 process in this cgroup was killed for exceeding the memory limit since the cgroup was created; API calls in flight in it died with it".to_owned()
            } else {
                format!("{kills} processes in this cgroup were killed for exceeding the memory limit since the cgroup was created; API calls in flight in them died with them")
            },
            "Raise the memory limit or reduce memory use; check for OOMKilled restarts (kubectl describe pod).",
        ));
    }
    if let Some(cores) = l.cpu_quota_cores.filter(|c| *c < 0.5) {
        findings.push(Finding::new(
            &CPU_QUOTA,
            Severity::Warn,
            format!("CPU quota is {cores:.2} cores: TLS handshakes and response parsing are throttled"),
            "Raise the CPU limit (docker run --cpus, resources.limits.cpu) to at least 1 core.",
        ));
    }
    if let (Some(max), Some(cur)) = (l.pids_max, l.pids_current) {
        if cur >= max {
            findings.push(Finding::new(
                &PIDS_LIMIT,
                Severity::Fail,
                format!("{cur} of {max} processes/threads in use: no new thread can start"),
                "Raise pids.max (docker run --pids-limit, kubelet podPidsLimit) or use fewer threads.",
            ));
        } else if cur.saturating_mul(10) >= max.saturating_mul(9) {
            findings.push(Finding::new(
                &PIDS_LIMIT,
                Severity::Warn,
                format!("{cur} of {max} processes/threads in use"),
                "Raise pids.max (docker run --pids-limit) or use fewer threads.",
            ));
        }
    }
}

/// An open-files limit too low for an HTTP client.
fn open_files_finding(soft: u64, hard: Option<u64>) -> Option<Finding> {
    let hard_text = hard.map_or_else(|| "unlimited".to_owned(), |h| h.to_string());
    let remedy = "Raise it: ulimit -n 65536, docker run --ulimit nofile=65536:65536, systemd LimitNOFILE=.";
    if soft < 64 {
        let msg = format!("open-files limit is {soft} (hard {hard_text}): too few for an HTTP client's sockets");
        Some(Finding::new(&OPEN_FILES, Severity::Fail, msg, remedy))
    } else if soft < 1024 {
        let msg =
            format!("open-files limit is {soft} (hard {hard_text}); busy clients fail with 'Too many open files'");
        Some(Finding::new(&OPEN_FILES, Severity::Warn, msg, remedy))
    } else {
        None
    }
}

/// No nameserver, and search domains the API host's lookups go through first.
fn resolv_findings(conf: &ResolvConf, api_host: &str, findings: &mut Vec<Finding>) {
    if conf.nameservers.is_empty() {
        findings.push(Finding::new(
            &NO_NAMESERVER,
            Severity::Warn,
            "/etc/resolv.conf lists no nameserver: lookups go to 127.0.0.1",
            "Give the container DNS: docker run --dns, /etc/docker/daemon.json \"dns\", or the pod's dnsPolicy.",
        ));
    }
    let searched = conf.searched_first(api_host);
    if !searched.is_empty() {
        findings.push(Finding::new(
            &NDOTS,
            Severity::Warn,
            format!(
                "ndots:{} with {} search domain(s): each lookup of {api_host} first tries {}",
                conf.ndots,
                conf.search.len(),
                searched.join(", ")
            ),
            "Set the pod's dnsConfig ndots to 2, or use the trailing-dot name (https://api.openai.com./v1).",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::cgroup::tree;
    use super::*;

    fn host() -> HostFacts {
        HostFacts {
            memory_total: 8 << 30,
            cpus: 4,
            os: "Linux".to_owned(),
            kernel: "6.1".to_owned(),
            arch: "x86_64".into(),
        }
    }

    const MOUNT: &str = "30 24 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";

    #[test]
    fn a_full_pod_fails_on_pids_and_warns_on_the_rest() {
        let t = tree(&[
            ("/proc/self/cgroup", "0::/\n"),
            ("/proc/self/mountinfo", MOUNT),
            ("/sys/fs/cgroup/memory.max", "268435456\n"),
            ("/sys/fs/cgroup/memory.current", "260000000\n"),
            ("/sys/fs/cgroup/memory.events", "oom_kill 3\n"),
            ("/sys/fs/cgroup/cpu.max", "20000 100000\n"),
            ("/sys/fs/cgroup/pids.max", "32\n"),
            ("/sys/fs/cgroup/pids.current", "32\n"),
            ("/proc/self/limits", "Max open files            512                  4096                 files\n"),
            (
                "/etc/resolv.conf",
                "search ns.svc.cluster.local svc.cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n",
            ),
        ]);
        let env = Env::from_pairs([("KUBERNETES_SERVICE_HOST", "10.96.0.1")]);
        let out = inspect(&Fs::new(t.path()), &env, "api.openai.com", &host()).0;
        let codes: Vec<_> = out.findings.iter().map(|f| f.code).collect();
        assert_eq!(
            codes,
            [
                "container.memory_near_limit",
                "container.oom_killed",
                "container.cpu_quota",
                "container.pids_limit",
                "container.open_files",
                "container.ndots"
            ]
        );
        assert_eq!(out.status, Status::Fail);
        assert!(out.summary.contains("Kubernetes pod"), "{}", out.summary);
        assert!(out.summary.contains("limits 256 MiB, 0.2 CPU, 32 processes, 4 CPUs usable"), "{}", out.summary);
        assert_eq!(out.details.container().and_then(|c| c.cgroup.as_ref()?.memory_limit), Some(268_435_456));
    }

    #[test]
    fn a_plain_host_passes() {
        let t = tree(&[
            ("/proc/self/cgroup", "0::/user.slice/user-1000.slice/session-2.scope\n"),
            ("/proc/self/mountinfo", MOUNT),
            ("/proc/self/limits", "Max open files            65536                65536                files\n"),
            ("/etc/resolv.conf", "nameserver 192.168.1.1\n"),
        ]);
        let out = inspect(&Fs::new(t.path()), &Env::default(), "api.openai.com", &host()).0;
        assert_eq!(out.status, Status::Pass, "{:?}", out.findings);
        assert!(out.summary.starts_with("not in a container"), "{}", out.summary);
    }

    #[test]
    fn docker_marker_and_missing_nameserver() {
        let t = tree(&[("/.dockerenv", ""), ("/etc/resolv.conf", "options ndots:1\n")]);
        let out = inspect(&Fs::new(t.path()), &Env::default(), "api.openai.com", &host()).0;
        if cfg!(target_os = "linux") {
            assert_eq!(out.status, Status::Warn);
            assert_eq!(out.findings[0].code, "container.no_nameserver");
            assert!(out.summary.contains("Docker"), "{}", out.summary);
        } else {
            assert_eq!(out.status, Status::Skip);
        }
    }

    #[test]
    fn human_units() {
        assert_eq!(human_bytes(256 << 20), "256 MiB");
        assert_eq!(human_bytes(3 << 29), "1.5 GiB");
        assert_eq!(
            [cpus(0.25), cpus(0.5), cpus(1.0), cpus(1.5), cpus(4.0)],
            ["0.25 CPU", "0.5 CPU", "1 CPU", "1.5 CPUs", "4 CPUs"]
        );
    }
}
