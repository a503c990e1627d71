//! The container check's details: runtime, the cgroup's limits, open files, resolv.conf and the
//! host's totals. The OpenMetrics renderer reads `cgroup` as a type.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::net::resolv_conf::ResolvConf;

/// The container check's details. On a system without cgroups (not Linux) only `host` is known
/// and the rest is null.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Container {
    /// The container runtime (`Docker container`), or null outside one.
    pub runtime: Option<Cow<'static, str>>,
    /// The process's cgroup and its limits, or null when unreadable.
    pub cgroup: Option<Limits>,
    /// The memory limit in words (`512 MiB`).
    pub memory_limit_human: Option<String>,
    /// `Max open files`, soft and hard.
    pub open_files: Option<OpenFiles>,
    /// What `/etc/resolv.conf` says, or null when unreadable.
    pub resolv_conf: Option<ResolvConf>,
    /// The machine's totals.
    pub host: HostFacts,
}

/// Limits and usage of the process's cgroup. `None` means unlimited or not available.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// 1 or 2.
    pub version: u8,
    /// The cgroup path from `/proc/self/cgroup` (memory controller on v1).
    pub path: String,
    /// Directory the limits were read from.
    pub dir: String,
    /// Tightest memory limit on the path up to the mount point, in bytes.
    pub memory_limit: Option<u64>,
    /// Current memory usage, in bytes (includes reclaimable page cache).
    pub memory_current: Option<u64>,
    /// Processes killed by the OOM killer in this cgroup.
    pub oom_kills: Option<u64>,
    /// CPU quota in cores (quota / period).
    pub cpu_quota_cores: Option<f64>,
    /// Maximum number of tasks.
    pub pids_max: Option<u64>,
    /// Current number of tasks.
    pub pids_current: Option<u64>,
}

/// `Max open files` from `/proc/self/limits` (null: unlimited or unreadable).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenFiles {
    /// Soft limit.
    pub soft: Option<u64>,
    /// Hard limit.
    pub hard: Option<u64>,
}

/// Host totals from sysinfo (and the CPUs this process may use).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostFacts {
    /// Total memory in bytes.
    pub memory_total: u64,
    /// CPUs available to this process (respects affinity and cgroup quota).
    pub cpus: usize,
    /// Operating system name and version.
    pub os: String,
    /// Kernel version.
    pub kernel: String,
    /// CPU architecture.
    pub arch: Cow<'static, str>,
}
