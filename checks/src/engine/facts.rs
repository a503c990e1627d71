//! Facts checks hand on, typed: to the checks that depend on them (the runner guarantees the
//! order: the addresses `dns` found, the latencies `probe` measured for `timeout`), and to the
//! renderers and the ticket (phase timings, the host and platform), so that nothing downstream
//! parses a check's free-form `details`.

use std::net::IpAddr;
use std::sync::OnceLock;

/// Written once by the producing check, read by its dependents.
#[derive(Debug, Default)]
pub struct Facts {
    /// Addresses of the host the client connects to first: the API host, or the proxy's host
    /// when a proxy is in the path. Set by `dns`.
    pub connect_addrs: OnceLock<Vec<IpAddr>>,
    /// Latencies of the probe's successful requests. Set by `probe`.
    pub latencies: OnceLock<Vec<Latency>>,
    /// Addresses the hosts file pins the first hop to, where they override DNS. Set by `dns`.
    pub hosts_pinned: OnceLock<Vec<IpAddr>>,
    /// An Azure resource's private-endpoint addresses the API host resolved to (no proxy in the
    /// path). Set by `dns`; `tls` names them when it cannot connect (outside the VNet).
    pub private_endpoint: OnceLock<Vec<IpAddr>>,
    /// The slowest DNS lookup of the first hop. Set by `dns`.
    pub dns_ms: OnceLock<u64>,
    /// TCP connect and TLS handshake to the first hop. Set by `tls`.
    pub connect_ms: OnceLock<u64>,
    /// The TLS handshake. Set by `tls`.
    pub handshake_ms: OnceLock<u64>,
    /// The machine the doctor runs on. Set by `container`.
    pub host: OnceLock<Host>,
    /// The container runtime, when in one. Set by `container`.
    pub runtime: OnceLock<&'static str>,
    /// The serverless platform, when detected. Set by `timeout`.
    pub platform: OnceLock<&'static str>,
    /// The model whose plain chat completion passed. Set by `probe`; `stream` streams it.
    pub chat_model: OnceLock<String>,
    /// The streamed answer's timings. Set by `stream`.
    pub stream: OnceLock<StreamFact>,
}

impl Facts {
    /// What the renderers read, once the run is over.
    #[must_use]
    pub fn snapshot(&self) -> RunFacts {
        RunFacts {
            dns_ms: self.dns_ms.get().copied(),
            connect_ms: self.connect_ms.get().copied(),
            handshake_ms: self.handshake_ms.get().copied(),
            first_request: self.latencies.get().and_then(|l| l.first().copied()),
            host: self.host.get().cloned(),
            runtime: self.runtime.get().copied(),
            platform: self.platform.get().copied(),
            stream: self.stream.get().cloned(),
        }
    }
}

/// Reads the host totals (what `container` reports, and what the ticket shows when it did not run).
#[must_use]
pub fn host_facts() -> crate::details::container::HostFacts {
    let mut sys = sysinfo::System::new();
    sys.refresh_memory();
    let memory_total = sys.total_memory();
    crate::details::container::HostFacts {
        memory_total,
        cpus: std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
        os: sysinfo::System::long_os_version().unwrap_or_else(|| std::env::consts::OS.to_owned()),
        kernel: sysinfo::System::kernel_version().unwrap_or_default(),
        arch: std::env::consts::ARCH.into(),
    }
}

/// The machine: OS, kernel, architecture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    /// `Linux (Debian GNU/Linux 12)`.
    pub os: String,
    /// Kernel version.
    pub kernel: String,
    /// CPU architecture.
    pub arch: &'static str,
}

/// The typed facts of a finished run that the renderers and the ticket read: the request's
/// phases (httpstat's waterfall), the host, the container runtime and the platform. Each is
/// `None` when the check that measures it did not run.
#[derive(Debug, Clone, Default)]
pub struct RunFacts {
    /// Slowest DNS lookup.
    pub dns_ms: Option<u64>,
    /// TCP connect.
    pub connect_ms: Option<u64>,
    /// TLS handshake.
    pub handshake_ms: Option<u64>,
    /// The first successful API request (first byte and total).
    pub first_request: Option<Latency>,
    /// The machine.
    pub host: Option<Host>,
    /// The container runtime.
    pub runtime: Option<&'static str>,
    /// The serverless platform.
    pub platform: Option<&'static str>,
    /// The streamed answer, when the stream check ran.
    pub stream: Option<StreamFact>,
}

/// A streamed answer's timings, for the network path's streaming line and the ticket.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StreamFact {
    /// First event.
    pub first_event_ms: Option<u64>,
    /// Median gap between events.
    pub gap_p50_ms: u64,
    /// Largest gap between events.
    pub gap_max_ms: u64,
    /// Until the end.
    pub total_ms: u64,
    /// Events.
    pub events: u32,
    /// Each event's arrival (capped like the check's details).
    pub event_ms: Vec<u64>,
    /// `ok`, or the code of the first warning or failure (`stream.buffered`).
    pub verdict: &'static str,
}

/// One successful request's timing, measured from the connection on: the name's lookup is left
/// out, as no timeout of the SDKs bounds it (`dns` reports a slow lookup on its own).
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Latency {
    /// `models` or `chat`.
    pub what: &'static str,
    /// Time to the response head.
    pub ttfb_ms: u64,
    /// Time to the end of the body.
    pub total_ms: u64,
}
