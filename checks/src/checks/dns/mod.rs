//! The `dns` check: does the host the client connects to resolve? Through the nameserver
//! (hickory: A and AAAA with TTLs and exact failures) and through the OS resolver (what
//! applications use). Without `--dns-server` the OS answer decides; with it, that nameserver's.
//! With a proxy in the path the client resolves the proxy's host, so that is what decides.
//! For an Azure resource's host it also reads what the answer says about a private endpoint
//! (a private address, the `*.privatelink.*` alias) and hands the addresses to `tls`.

pub mod hosts_file;

use std::net::IpAddr;
use std::time::Duration;

use hickory_resolver::proto::rr::RecordType;

use crate::details::dns::{Direct, EachNameserver, HostsFile, Looked};
use crate::engine::check::{Activity, BoxFuture, Check, CheckInfo, Context};
use crate::model::{CheckId, Code, Finding, Outcome, Severity, Status, Step};
use crate::net::resolv_conf::ResolvConf;
use crate::net::resolve::{self, ERROR, Failure, Lookup, Nameserver};

static INFO: CheckInfo = CheckInfo {
    id: CheckId::Dns,
    title: "DNS resolution",
    verifies: "the API host (or the proxy's host) resolves, through the nameserver and through the OS resolver",
    guide_step: "2. Check your network connection (DNS)",
    time_limit: Duration::from_secs(8),
    codes: &[
        &NXDOMAIN,
        &TIMEOUT,
        &SERVFAIL,
        &REFUSED,
        &NO_ADDRESSES,
        &ERROR,
        &PRIVATE_ADDRESS,
        &IPV6_ONLY,
        &IPV6_NO_ROUTE,
        &HOSTS_FILE,
        &RESOLVERS_DIFFER,
        &VIA_PROXY,
        &SLOW,
        &DEAD_NAMESERVER,
        &SEARCH_HIJACK,
        &NO_NETWORK,
        &NO_PROXY_BYPASS,
        &PRIVATE_ENDPOINT,
        &PRIVATE_ENDPOINT_PUBLIC,
        &PRIVATE_ENDPOINT_LOCAL,
    ],
};

code!(
    PRIVATE_ENDPOINT,
    "dns.private_endpoint",
    "The Azure resource is behind a private endpoint",
    "The API host is an Azure OpenAI (or Azure AI Foundry) resource and resolves to a private \
address (RFC 1918, 100.64.0.0/10 or fc00::/7), usually through the alias \
NAME.privatelink.openai.azure.com: the resource is reached through a private endpoint in a \
virtual network. That address answers only inside the VNet, a peered VNet, or a network joined \
to it by VPN or ExpressRoute with routes to the endpoint's subnet. The classic failure is the \
private DNS zone answering where no such route exists (a DNS forwarder that knows the zone, a \
hosts-file entry, a VPN's DNS without its routes): the connection then times out or is refused. \
When the tls check connects, this machine is inside and all is well: this is information.\n\n\
Fix: when tls cannot connect, run the app from inside the VNet (or a peered network or VPN \
with routes to the endpoint); or, to use the public endpoint, enable public network access on \
the resource (Networking) and let DNS answer its public address.\n\nVerify: the tls check \
connects to the private address."
);
code!(
    PRIVATE_ENDPOINT_PUBLIC,
    "dns.private_endpoint_public",
    "The Azure resource has a private endpoint, but this machine resolves its public address",
    "The API host's aliases go through NAME.privatelink.openai.azure.com (Azure adds that alias \
in public DNS when a private endpoint is created), but the answer here is a public address: this \
machine's DNS does not know the private zone, so requests go over the internet to the public \
endpoint. That works only while the resource accepts public traffic from this network; with \
public network access disabled or limited to selected networks, Azure answers 403 \"Public \
access is disabled. Please configure private endpoint.\" or \"Access denied due to Virtual \
Network/Firewall rules.\"\n\nFix: to go through the private endpoint, link the private DNS \
zone (privatelink.openai.azure.com) to this VNet, or forward that zone from your DNS server to \
Azure DNS (168.63.129.16, from a forwarder or an Azure DNS Private Resolver inside the VNet); a \
hosts-file entry with the endpoint's address for a test. To stay public, allow this network in \
the resource's Networking settings.\n\nVerify: the dns check shows the private address \
(dns.private_endpoint) and the tls check connects."
);

code!(
    PRIVATE_ENDPOINT_LOCAL,
    "dns.private_endpoint_local",
    "The Azure resource has a private endpoint, but this machine answers its name with a local or unroutable address",
    "The API host's aliases go through NAME.privatelink.openai.azure.com (the resource has a \
private endpoint), but the address this machine uses is neither the endpoint's private address \
nor a public one. A loopback address (127.0.0.0/8, ::1) pins the name to this machine: a \
hosts-file entry, or a local tunnel or port-forward to the endpoint (az network bastion tunnel, \
ssh -L, kubectl port-forward), which works only while something here listens and forwards. A \
link-local (169.254.0.0/16, fe80::/10), unspecified (0.0.0.0, ::, the answer DNS filters give a \
blocked name), documentation, multicast or reserved address reaches no Azure resource at all.\n\n\
Fix: for loopback, start the tunnel (or remove the hosts-file line when there is none); \
otherwise find the nameserver or hosts-file entry that answers this address and remove it, then \
resolve the private zone (privatelink.openai.azure.com, linked to this VNet or forwarded to \
Azure DNS, 168.63.129.16) or the public address.\n\nVerify: the tls check connects and the \
dns check shows the endpoint's private address (dns.private_endpoint) or, with a tunnel, this \
finding as information."
);

code!(
    NO_PROXY_BYPASS,
    "dns.no_proxy_bypass",
    "NO_PROXY sends clients direct, and only the proxy gets out",
    "A proxy variable is set, but a NO_PROXY entry matches the API host, so clients resolve and \
connect to it directly. Here that fails, while the proxy, asked to CONNECT to the API host, gets \
there: the network lets HTTPS out only through the proxy (a corporate network, a Kubernetes \
namespace with an egress policy, a Docker --internal network).\n\nFix: remove the entry from \
NO_PROXY and no_proxy (it is often a broad one: `.com`, `*`, or the API host added by a \
template).\n\nVerify: the proxy check shows the proxy in the path, and dns and tls pass."
);

/// How long the direct lookup of the API host (informational behind a proxy) is still waited
/// for once the proxy's host resolved.
const DIRECT_GRACE: Duration = Duration::from_millis(50);
/// Each direct query waits as long as the C library's resolver waits for one nameserver (glibc's
/// and musl's default `timeout:5`): a nameserver that answers in 4 s is slow for the app, not
/// dead, and the doctor's own limit must not call it dead.
const NS_TIMEOUT: Duration = Duration::from_secs(5);
const SYSTEM_TIMEOUT: Duration = Duration::from_secs(5);

/// The address of Docker's embedded DNS on user-defined networks.
const DOCKER_EMBEDDED_DNS: &str = "127.0.0.11";

/// A lookup slower than this costs every new connection noticeably.
pub const SLOW_MS: u64 = 1_000;

code!(
    NO_NETWORK,
    "dns.no_network",
    "This machine (or container) has no network: only loopback",
    "The only network interface is loopback: a container started with --network none, a pod whose \
network was not set up, a sandbox. Nothing outside is reachable, so every lookup and connection \
fails; the DNS error is a symptom.\n\nFix: give the container a network (drop --network none, \
docker network connect, the pod's CNI).\n\nVerify: the dns check passes."
);
code!(
    SEARCH_HIJACK,
    "dns.search_hijack",
    "A search domain answers for the API host",
    "The OS resolver tries the search domains of /etc/resolv.conf before the name itself when the \
name has fewer dots than `ndots` (Kubernetes sets ndots:5), and one expansion exists (a wildcard \
record in a corporate or cluster domain): clients connect to that address, not to the API, and \
fail with TLS or connection errors that look like the API's.\n\nFix: use the absolute name with a \
trailing dot (https://api.openai.com./v1), lower ndots (the pod's dnsConfig: options ndots: 2), or \
remove the wildcard.\n\nVerify: the dns check shows the name's own address."
);
code!(
    DEAD_NAMESERVER,
    "dns.dead_nameserver",
    "A nameserver in /etc/resolv.conf does not answer",
    "Of the nameservers /etc/resolv.conf lists, one never answers while another does. The C \
library (and every client that uses it: Python, curl, Go's cgo resolver) asks them in order, so \
each lookup waits `options timeout` seconds (5 by default, times `attempts`) on the silent one \
before asking the next; with the SDKs' connect timeout that can fail the connection outright.\n\n\
Fix: remove the silent nameserver (docker run --dns, /etc/docker/daemon.json, the pod's \
dnsConfig, the VPN's DNS settings) or list the working one first.\n\nVerify: the dns check no \
longer names it."
);
code!(
    SLOW,
    "dns.slow",
    "Name resolution is slow (over 1 s)",
    "The lookup of the host took over a second. Every new connection pays it (the SDKs open new \
connections as their pool needs), and it counts against your timeouts.\n\nUsual causes: a dead \
or slow nameserver listed first in /etc/resolv.conf (each lookup waits its `timeout` before the \
next one), search domains with a high `ndots` (each expansion is a lookup first; Kubernetes' \
ndots:5), Docker's embedded DNS (127.0.0.11) forwarding to a slow upstream, a VPN's resolver.\n\n\
Fix: remove or reorder the slow nameserver, lower ndots or use the trailing-dot name, point the \
container at a nearer resolver (docker run --dns).\n\nVerify: the dns check passes without it."
);
code!(
    NXDOMAIN,
    "dns.nxdomain",
    "The name does not exist at the nameserver (NXDOMAIN)",
    "The nameserver says the host does not exist. For api.openai.com that means the nameserver is \
not a normal internet resolver: a corporate or split-horizon DNS that does not forward, a typo \
in OPENAI_BASE_URL, or a DNS filter that blocks the name. Clients report `getaddrinfo ENOTFOUND` \
(Node) or `[Errno -2] Name or service not known` (Python), wrapped as 'Connection error.'.\n\n\
Fix: check the host in OPENAI_BASE_URL; ask whoever runs the nameserver to resolve it; in Docker \
set `dns` in /etc/docker/daemon.json or `docker run --dns`.\n\nVerify: `openai-doctor --only dns` passes."
);
code!(
    TIMEOUT,
    "dns.timeout",
    "The nameserver did not answer in time",
    "No answer came back from the nameserver within the time limit. Packets to port 53 are dropped \
(a firewall, a VPN that captures DNS, a nameserver that is down). Applications wait for their \
resolver's timeout (5 s per try in glibc) and then fail with 'Temporary failure in name resolution'.\n\n\
Fix: check that the nameserver named in the finding is reachable; use another nameserver \
(`--dns-server` tries one without changing the system).\n\nVerify: the dns check answers in milliseconds."
);
code!(
    SERVFAIL,
    "dns.servfail",
    "The nameserver failed to answer (SERVFAIL)",
    "The nameserver tried and failed: its upstream is unreachable, or DNSSEC validation failed.\n\n\
Fix: retry later, or use another nameserver; report it to whoever runs the nameserver.\n\nVerify: the dns check passes."
);
code!(
    REFUSED,
    "dns.refused",
    "The nameserver refused the query (REFUSED)",
    "The nameserver does not answer this client or this name: it serves only its own zones, or only \
some networks.\n\nFix: point the system (or `--dns-server`) at a recursive resolver that serves you.\n\nVerify: the dns check passes."
);
code!(
    NO_ADDRESSES,
    "dns.no_addresses",
    "The name exists but has no address",
    "The nameserver answered, but with neither A nor AAAA records for the host.\n\nFix: check the host \
name; for a custom base URL, ask its owner to publish address records.\n\nVerify: the dns check passes."
);
code!(
    PRIVATE_ADDRESS,
    "dns.private_address",
    "An OpenAI host resolves to a private or loopback address",
    "api.openai.com is served from public (Cloudflare) addresses. A private, loopback or link-local \
answer means split-horizon DNS, a corporate gateway, a hosts-file pin, or DNS hijacking. It may \
be intended (an egress gateway), but TLS will fail unless that gateway presents a certificate \
your client trusts.\n\nFix: if not intended, find the answering nameserver or the hosts-file entry \
and remove the override.\n\nVerify: the addresses shown are public."
);
code!(
    IPV6_ONLY,
    "dns.ipv6_only",
    "Only IPv6 addresses were returned",
    "The host resolved to IPv6 addresses only. On a network without IPv6 the client cannot connect \
at all.\n\nFix: check the nameserver (DNS64?) and the network's IPv6 support.\n\nVerify: A records \
are returned, or the tls check connects over IPv6."
);
code!(
    IPV6_NO_ROUTE,
    "dns.ipv6_no_route",
    "IPv6 comes first, but this host has no IPv6 route",
    "The OS resolver lists an IPv6 address first, but this host has no route for IPv6. Clients that \
race both families (Happy Eyeballs: curl, Go, Python's httpx via anyio, Node.js 20+) recover; \
clients that try the first address only (older Node.js, openai-node v4) fail with ETIMEDOUT or \
'Premature close'.\n\nFix: `NODE_OPTIONS=--dns-result-order=ipv4first` for Node; fix the IPv6 \
setup; or prefer IPv4 in /etc/gai.conf (`precedence ::ffff:0:0/96 100`).\n\nVerify: the first \
address shown is IPv4, or IPv6 has a route."
);
code!(
    HOSTS_FILE,
    "dns.hosts_file",
    "The hosts file pins this host",
    "The hosts file (/etc/hosts) gives an address for this host, and the OS resolver uses it before \
any nameserver. Pins for api.openai.com go stale when OpenAI's edge addresses change, and then \
every connection fails or reaches the wrong server.\n\nFix: remove the line from the hosts file \
unless you run a gateway at that address on purpose.\n\nVerify: the OS resolver's answer matches \
the nameserver's."
);
code!(
    RESOLVERS_DIFFER,
    "dns.resolvers_differ",
    "The OS resolver and the nameserver disagree",
    "getaddrinfo (what applications use) and the nameserver give different results. Another name \
service is in play: the hosts file, nsswitch modules (mDNS, systemd-resolved, LDAP), or a VPN \
client's resolver.\n\nFix: find which source answers (`getent ahosts HOST`) and whether it is \
intended.\n\nVerify: both answers agree, or the difference is intended."
);
code!(
    VIA_PROXY,
    "dns.via_proxy",
    "With a proxy, the proxy resolves the API host",
    "A proxy is in the path: the client connects to the proxy and asks it to CONNECT to the API \
host, so the proxy, not this machine, resolves the API host. The check therefore resolves the \
proxy's host; this machine's answer for the API host is shown for information."
);

/// The `dns` check.
#[derive(Debug)]
pub struct DnsCheck;

impl Check for DnsCheck {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run<'a>(&'a self, ctx: &'a Context, activity: &'a Activity) -> BoxFuture<'a, Outcome> {
        Box::pin(run(ctx, activity))
    }
}

fn failure_code(f: &Failure) -> &'static Code {
    match f {
        Failure::NxDomain => &NXDOMAIN,
        Failure::Timeout(_) => &TIMEOUT,
        Failure::ServFail(_) => &SERVFAIL,
        Failure::Refused => &REFUSED,
        Failure::NoRecords => &NO_ADDRESSES,
        Failure::Other(_) => &ERROR,
    }
}

fn remedy(f: &Failure, via: &str) -> String {
    match f {
        Failure::NxDomain => format!(
            "Check the host name; ask whoever runs {via} to resolve it, or try another nameserver with --dns-server."
        ),
        Failure::Timeout(_) => format!(
            "{via} does not answer: check firewalls/VPN for port 53, or try another nameserver with --dns-server."
        ),
        Failure::ServFail(_) | Failure::Refused => {
            format!("Use a recursive resolver that serves this network instead of {via} (try --dns-server).")
        }
        Failure::NoRecords => "Check the host name: it exists but has no A/AAAA records.".to_owned(),
        Failure::Other(_) => "Check /etc/resolv.conf (or the OS network settings) for a usable nameserver.".to_owned(),
    }
}

fn join(addrs: &[IpAddr]) -> String {
    addrs.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

/// Everything the lookups found, for the judgement.
struct Lookups {
    host: String,
    role: &'static str,
    nameserver: String,
    a: Lookup,
    aaaa: Lookup,
    /// The OS resolver's answer (getaddrinfo); `None` with `--dns-server`.
    system: Option<Lookup>,
    /// With a proxy: the API host as this machine resolves it (the proxy resolves it itself).
    api_lookup: Option<Lookup>,
    /// Hosts-file entries for the host.
    pinned: Vec<IpAddr>,
    /// Each nameserver of /etc/resolv.conf asked on its own (when there are several).
    per_server: Vec<(String, Lookup)>,
    /// resolv.conf's `options timeout:` and `attempts:`.
    resolver_timeout: (u32, u32),
    /// With search domains tried first (ndots): the expansion the OS resolver's answer came
    /// from, when it is not the host itself — `(expansion, addresses)`.
    hijacked_by: Option<(String, Vec<IpAddr>)>,
    /// resolv.conf's ndots.
    ndots: u32,
}

impl Lookups {
    fn ns_addrs(&self) -> Vec<IpAddr> {
        self.a.addrs.iter().chain(&self.aaaa.addrs).copied().collect()
    }
}

async fn run(ctx: &Context, activity: &Activity) -> Outcome {
    let cfg = &ctx.config;
    let proxy = ctx.net.proxy_url().cloned();
    let (host, port) = ctx.first_hop();
    let role = if proxy.is_some() { "proxy host" } else { "API host" };
    if let Some(out) = no_lookup_needed(ctx, &host, port, role) {
        return out;
    }
    activity.set(format!("looking up {host} (A, AAAA) and asking the OS resolver"));
    let ns_timeout = activity.bounded(NS_TIMEOUT, Duration::from_millis(300));
    // With --pid, the app's resolv.conf (through its root), never the doctor's.
    let nameserver = match (cfg.pid, cfg.dns_server) {
        #[cfg(unix)]
        (Some(pid), None) => {
            let owner = cfg.env.owner().map_or_else(|| format!("pid {pid}"), str::to_owned);
            let shown = format!("/etc/resolv.conf of {owner}, read at /proc/{pid}/root/etc/resolv.conf");
            Nameserver::from_file(&cfg.file("/etc/resolv.conf"), &shown, ns_timeout)
        }
        _ => Nameserver::new(cfg.dns_server, ns_timeout),
    };
    let nameserver = match nameserver {
        Ok(ns) => ns,
        Err(e) => {
            return Outcome::with_status(
                Status::Fail,
                "no usable DNS configuration",
                Direct { host, addrs: Vec::new(), pinned: false },
            )
            .and(Finding::new(
                &ERROR,
                Severity::Fail,
                e,
                "Check /etc/resolv.conf (or the OS network settings).",
            ));
        }
    };
    let sys_timeout = activity.bounded(SYSTEM_TIMEOUT, Duration::from_millis(300));
    // With --dns-server every lookup goes to that server: getaddrinfo would ask the system's.
    let system_lookup =
        async { if cfg.dns_server.is_some() { None } else { Some(resolve::system_lookup(&host, sys_timeout).await) } };
    // With a proxy, the direct lookup of the API host is one clients never make (the proxy
    // resolves it): asked alongside, reported for information, and not waited for once the
    // proxy's host resolved (where only the proxy gets out, it would wait out a timeout).
    let api_host = crate::config::bare_host(&cfg.base_url);
    let started = std::time::Instant::now();
    let direct = async {
        match &proxy {
            Some(_) => Some(nameserver.lookup(&api_host, RecordType::A).await),
            None => None,
        }
    };
    let (a, aaaa, system, api_lookup) = {
        let mut direct = std::pin::pin!(direct);
        let mut main = std::pin::pin!(async {
            tokio::join!(
                nameserver.lookup(&host, RecordType::A),
                nameserver.lookup(&host, RecordType::AAAA),
                system_lookup
            )
        });
        let mut direct_done = None;
        let (a, aaaa, system) = loop {
            tokio::select! {
                r = &mut main => break r,
                r = &mut direct, if direct_done.is_none() => direct_done = Some(r),
            }
        };
        let proxy_resolved =
            !a.addrs.is_empty() || !aaaa.addrs.is_empty() || system.as_ref().is_some_and(|s| !s.addrs.is_empty());
        let api_lookup = match direct_done {
            Some(done) => done,
            None if proxy_resolved => match tokio::time::timeout(DIRECT_GRACE, &mut direct).await {
                Ok(done) => done,
                Err(_) => Some(Lookup {
                    query: resolve::Query::A,
                    addrs: Vec::new(),
                    cname: Vec::new(),
                    ttl: None,
                    failure: Some(Failure::Other(format!(
                        "no answer within {} ms, not waited for: clients behind the proxy never make this lookup",
                        crate::model::millis(started.elapsed())
                    ))),
                    elapsed_ms: crate::model::millis(started.elapsed()),
                }),
            },
            None => direct.await,
        };
        (a, aaaa, system, api_lookup)
    };
    let pinned = match cfg.pid {
        Some(_) => hosts_file::lookup_in(&cfg.file(hosts_file::path()), &host),
        None => hosts_file::lookup(&host),
    };
    let conf = ResolvConf::parse(&std::fs::read_to_string(cfg.file("/etc/resolv.conf")).unwrap_or_default());
    let per_server = if cfg.dns_server.is_none() {
        each_nameserver(&conf, &host, ns_timeout.min(PER_SERVER_TIMEOUT)).await
    } else {
        Vec::new()
    };
    let resolver_timeout = (conf.timeout_s, conf.attempts);
    let hijacked_by = match &system {
        Some(sys) if cfg.dns_server.is_none() => {
            search_expansion(&nameserver, &conf, &host, &sys.addrs, &a, &aaaa).await
        }
        _ => None,
    };
    let l = Lookups {
        host,
        role,
        nameserver: nameserver.describe.clone(),
        a,
        aaaa,
        system,
        api_lookup,
        pinned,
        per_server,
        resolver_timeout,
        hijacked_by,
        ndots: conf.ndots,
    };
    if let Some(slowest) =
        [Some(&l.a), Some(&l.aaaa), l.system.as_ref()].into_iter().flatten().map(|x| x.elapsed_ms).max()
    {
        let _ = ctx.facts.dns_ms.set(slowest);
    }
    let out = judge(ctx, &l, proxy.as_ref());
    let timeout = activity.bounded(Duration::from_secs(5), Duration::from_millis(300));
    crate::net::bypass::name_if_cause(&ctx.config, &ctx.net, out, &NO_PROXY_BYPASS, timeout).await
}

/// When the OS resolver applies search domains first (a name with fewer dots than ndots) and its
/// answer is not what the name itself resolves to, the expansion that answered (a wildcard record
/// in a search domain hijacks the API host).
async fn search_expansion(
    ns: &Nameserver,
    conf: &ResolvConf,
    host: &str,
    os_addrs: &[IpAddr],
    a: &Lookup,
    aaaa: &Lookup,
) -> Option<(String, Vec<IpAddr>)> {
    let expansions = conf.searched_first(host);
    let own: Vec<IpAddr> = a.addrs.iter().chain(&aaaa.addrs).copied().collect();
    if expansions.is_empty() || os_addrs.is_empty() || os_addrs.iter().any(|ip| own.contains(ip)) {
        return None;
    }
    for name in expansions {
        let found = ns.lookup(&name, RecordType::A).await;
        if found.addrs.iter().any(|ip| os_addrs.contains(ip)) {
            return Some((name, found.addrs));
        }
    }
    None
}

/// A nameserver of resolv.conf that does not answer while another does: which one, and what it
/// costs every lookup.
fn dead_nameserver(l: &Lookups) -> Option<Finding> {
    let silent: Vec<&str> = l
        .per_server
        .iter()
        .filter(|(_, x)| matches!(x.failure, Some(Failure::Timeout(_))))
        .map(|(ns, _)| ns.as_str())
        .collect();
    let answering: Vec<&str> = l
        .per_server
        .iter()
        .filter(|(_, x)| x.failure.is_none() || !x.addrs.is_empty())
        .map(|(ns, _)| ns.as_str())
        .collect();
    if silent.is_empty() || answering.is_empty() {
        return None;
    }
    let (timeout, attempts) = l.resolver_timeout;
    Some(Finding::new(
        &DEAD_NAMESERVER,
        Severity::Warn,
        format!(
            "nameserver {} in /etc/resolv.conf does not answer; {} does: every lookup the C library makes waits up to {timeout} s (options timeout, × {attempts} attempts) on the silent one first",
            silent.join(", "),
            answering.join(", ")
        ),
        "Remove the silent nameserver from /etc/resolv.conf (docker run --dns, /etc/docker/daemon.json \"dns\", the pod's dnsConfig, the VPN's DNS settings), or put the working one first.",
    ).about(&[Step::Resolve]))
}

/// How long one nameserver asked on its own may take to answer.
const PER_SERVER_TIMEOUT: Duration = Duration::from_secs(2);

/// With several nameservers in resolv.conf, each asked on its own for `host` (A), at once: a
/// silent one costs every lookup its timeout before the next is asked, and the combined lookup
/// hides which one it is.
async fn each_nameserver(conf: &ResolvConf, host: &str, timeout: Duration) -> Vec<(String, Lookup)> {
    if conf.nameservers.len() < 2 {
        return Vec::new();
    }
    let tasks: Vec<_> = conf
        .nameservers
        .iter()
        .filter_map(|ns| ns.parse::<IpAddr>().ok())
        .map(|ip| {
            let host = host.to_owned();
            tokio::spawn(async move {
                let ns = Nameserver::new(Some(std::net::SocketAddr::new(ip, 53)), timeout).ok()?;
                Some((ip.to_string(), ns.lookup(&host, RecordType::A).await))
            })
        })
        .collect();
    let mut out = Vec::new();
    for task in tasks {
        if let Ok(Some(result)) = task.await {
            out.push(result);
        }
    }
    out
}

/// An IP literal or a `--resolve` pin: nothing to look up.
fn no_lookup_needed(ctx: &Context, host: &str, port: u16, role: &str) -> Option<Outcome> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        let _ = ctx.facts.connect_addrs.set(vec![ip]);
        return Some(Outcome::with_status(
            Status::Pass,
            format!("the {role} is an IP address ({ip}); no lookup needed"),
            Direct { host: host.to_owned(), addrs: vec![ip], pinned: false },
        ));
    }
    let pin = ctx.config.pin_for(host, port)?;
    let _ = ctx.facts.connect_addrs.set(vec![pin]);
    Some(Outcome::with_status(
        Status::Pass,
        format!("{host}:{port} pinned by --resolve to {pin}; no lookup needed"),
        Direct { host: host.to_owned(), addrs: vec![pin], pinned: true },
    ))
}

/// The verdict on what the lookups found: a failure names the resolver that decides (the OS's,
/// or the nameserver with `--dns-server`); a success may still warn.
fn judge(ctx: &Context, l: &Lookups, proxy: Option<&url::Url>) -> Outcome {
    let (host, role, a, aaaa) = (&l.host, l.role, &l.a, &l.aaaa);
    let lookups: Vec<&Lookup> = [Some(a), Some(aaaa), l.system.as_ref()].into_iter().flatten().collect();
    let details = Looked {
        host: host.clone(),
        role: role.to_owned(),
        nameserver: l.nameserver.clone(),
        lookups: lookups.iter().copied().cloned().collect(),
        // With --pid, the app's hosts file: the path says in which root it was read.
        hosts_file: HostsFile {
            path: ctx.config.file(hosts_file::path()).display().to_string(),
            entries: l.pinned.clone(),
        },
        api_host_via_this_machine: l.api_lookup.clone(),
        each_nameserver: l
            .per_server
            .iter()
            .map(|(ns, x)| EachNameserver { nameserver: ns.clone(), lookup: x.clone() })
            .collect(),
    };
    let ns_addrs = l.ns_addrs();
    // With --dns-server there is no OS lookup, and the nameserver's answer decides.
    let decisive_by_ns = l.system.is_none();
    let (mut addrs, mut failure) = match &l.system {
        Some(system) => (system.addrs.clone(), system.failure.clone().filter(|_| system.addrs.is_empty())),
        None => {
            let failure = if ns_addrs.is_empty() { Some(worst_failure(a, aaaa)) } else { None };
            (ns_addrs.clone(), failure)
        }
    };
    let dead = dead_nameserver(l);
    // The OS resolver gave up on a silent first nameserver, but the next one answers: clients
    // get there too, only later. That is slow, not broken.
    if matches!(failure, Some(Failure::Timeout(_)))
        && let Some((_, alive)) = l.per_server.iter().find(|(_, x)| !x.addrs.is_empty())
    {
        addrs.clone_from(&alive.addrs);
        failure = None;
    }
    if let Some((expansion, hijack)) = &l.hijacked_by {
        return search_hijack(l, expansion, hijack, &ns_addrs, details);
    }
    if let Some(failure) = failure {
        return not_resolved(l, &failure, decisive_by_ns, dead, details);
    }
    let _ = ctx.facts.connect_addrs.set(addrs.clone());
    let elapsed = l.system.as_ref().map_or(a.elapsed_ms.max(aaaa.elapsed_ms), |s| s.elapsed_ms);
    let mut out = Outcome::from_findings(format!("{host} → {} ({elapsed} ms)", join(&addrs)), details, Vec::new());
    if let Some(f) = dead {
        out = out.and(f);
    }
    let slowest = lookups.iter().map(|x| x.elapsed_ms).max().unwrap_or(0);
    if slowest > SLOW_MS {
        out = out.and(Finding::new(
            &SLOW,
            Severity::Warn,
            format!("looking up {host} took {slowest} ms (over {SLOW_MS} ms): every new connection pays it"),
            "Usual causes: a slow or dead nameserver first in /etc/resolv.conf, search domains with a high ndots, Docker's embedded DNS (127.0.0.11) with a slow upstream, a VPN resolver. See `openai-doctor explain dns.slow`.",
        ).about(&[Step::Resolve]));
    }
    for finding in
        resolved_findings(&ctx.facts, l, &addrs, &ns_addrs, proxy, &crate::config::bare_host(&ctx.config.base_url))
    {
        out = out.and(finding);
    }
    // Behind a proxy the proxy resolves the API host: what this machine answers is not the path.
    if proxy.is_none()
        && let Some((finding, private)) = private_endpoint(l, &addrs)
    {
        if !private.is_empty() {
            let _ = ctx.facts.private_endpoint.set(private);
        }
        out = out.and(finding);
    }
    out
}

/// The private DNS zone a resource's private endpoint is named in: the `privatelink.` part of
/// the alias when there is one, else the zone Azure documents for the host's domain.
fn private_zone(host: &str, alias: Option<&str>) -> String {
    if let Some(zone) = alias.and_then(|a| a.find("privatelink.").map(|i| &a[i..])) {
        return zone.to_owned();
    }
    let h = host.trim_end_matches('.').to_ascii_lowercase();
    let zone = ["openai.azure.com", "cognitiveservices.azure.com", "services.ai.azure.com"]
        .into_iter()
        .find(|d| h.ends_with(&format!(".{d}")))
        .unwrap_or("openai.azure.com");
    format!("privatelink.{zone}")
}

/// For an Azure resource's host: a private address answered (the resource is behind a private
/// endpoint: information, since only the connection tells inside from outside, and `tls` names
/// it when it fails), or the `privatelink` alias with a public address (the app goes to the
/// public endpoint, which refuses it when public access is off). The finding, and the private
/// addresses for `tls`.
fn private_endpoint(l: &Lookups, addrs: &[IpAddr]) -> Option<(Finding, Vec<IpAddr>)> {
    let host = &l.host;
    if !crate::provider::is_azure_host(host) {
        return None;
    }
    let aliases: Vec<&str> = l.a.cname.iter().chain(&l.aaaa.cname).map(String::as_str).collect();
    let alias = aliases.iter().copied().find(|c| c.contains("privatelink."));
    let private: Vec<IpAddr> = addrs.iter().copied().filter(|ip| resolve::is_private_range(*ip)).collect();
    let zone = private_zone(host, alias);
    let through = alias.map_or_else(String::new, |a| format!(" through the alias {a}"));
    if !private.is_empty() {
        return Some((
            Finding::new(
                &PRIVATE_ENDPOINT,
                Severity::Info,
                format!(
                    "{host} resolves to {}{through}: a private endpoint, reachable only from inside its virtual network (or a peered network, VPN or ExpressRoute with routes to it); the tls check shows whether this machine is inside",
                    join(&private)
                ),
                format!(
                    "If tls cannot connect: run from inside the VNet (or a peered network or VPN with routes to the endpoint), or enable public network access on the resource and let DNS answer its public address instead of the {zone} zone's. If tls connects, nothing to do."
                ),
            ),
            private,
        ));
    }
    let alias = alias?;
    let public: Vec<IpAddr> = addrs.iter().copied().filter(|ip| resolve::special_kind(*ip).is_none()).collect();
    if public.is_empty() {
        return Some((local_answer(l, host, alias, &zone, addrs), Vec::new()));
    }
    Some((
        Finding::new(
            &PRIVATE_ENDPOINT_PUBLIC,
            Severity::Info,
            format!(
                "{host} is an alias of {alias} (the resource has a private endpoint), but this machine's DNS answers its public address {}: requests go to the public endpoint, which answers 403 (\"Public access is disabled…\", \"Access denied due to Virtual Network/Firewall rules\") when the resource accepts only private traffic",
                join(&public)
            ),
            format!(
                "To use the private endpoint: link the private DNS zone {zone} to this VNet, or forward {zone} to Azure DNS (168.63.129.16) from your DNS server (a conditional forwarder, Azure DNS Private Resolver). To stay public: allow this network in the resource's Networking settings."
            ),
        ),
        Vec::new(),
    ))
}

/// The `privatelink` alias, and only addresses that are neither the endpoint's nor public: a
/// loopback answer pins the name to this machine (a hosts-file line, a local tunnel), which is
/// information since tls tells whether something listens; anything else reaches no resource.
fn local_answer(l: &Lookups, host: &str, alias: &str, zone: &str, addrs: &[IpAddr]) -> Finding {
    let kinds: Vec<String> =
        addrs.iter().map(|ip| format!("{ip} ({})", resolve::special_kind(*ip).unwrap_or("public"))).collect();
    let pinned = addrs.iter().any(|ip| l.pinned.contains(ip));
    if addrs.iter().any(|ip| resolve::special_kind(*ip) == Some("loopback")) {
        let by = if pinned {
            format!("the line of {} that pins it", hosts_file::path())
        } else {
            "a hosts-file entry or a local resolver".to_owned()
        };
        return Finding::new(
            &PRIVATE_ENDPOINT_LOCAL,
            Severity::Info,
            format!(
                "{host} is an alias of {alias} (the resource has a private endpoint), and this machine answers {}: not a public address, the name is pinned to this machine ({by}), as for a local tunnel or port-forward to the endpoint; requests reach the resource only while something here listens and forwards them (the tls check shows whether it does)",
                kinds.join(", ")
            ),
            format!(
                "If you run a tunnel to the endpoint (az network bastion tunnel, ssh -L, kubectl port-forward), keep it up while the app runs. If not, remove {by} and resolve the private zone {zone} (linked to this VNet, or forwarded to Azure DNS, 168.63.129.16) or the public address."
            ),
        );
    }
    let by = if pinned {
        format!("the line of {}", hosts_file::path())
    } else {
        "the nameserver or hosts-file entry".to_owned()
    };
    Finding::new(
        &PRIVATE_ENDPOINT_LOCAL,
        Severity::Warn,
        format!(
            "{host} is an alias of {alias} (the resource has a private endpoint), but this machine answers {}: neither the endpoint's private address nor a public one, so no client reaches the resource there{}",
            kinds.join(", "),
            if addrs.iter().any(|ip| ip.is_unspecified()) {
                " (0.0.0.0 or :: is what DNS filters answer for a blocked name)"
            } else {
                ""
            }
        ),
        format!(
            "Find {by} that answers this and remove it; then resolve the private zone {zone} (linked to this VNet, or forwarded to Azure DNS, 168.63.129.16) or the public address."
        ),
    )
}

/// The OS resolver's answer came from a search-domain expansion, not the name itself.
fn search_hijack(l: &Lookups, expansion: &str, hijack: &[IpAddr], ns_addrs: &[IpAddr], details: Looked) -> Outcome {
    let host = &l.host;
    let own = if ns_addrs.is_empty() { "nothing".to_owned() } else { join(ns_addrs) };
    Outcome::with_status(Status::Fail, format!("{host} resolves to {expansion}'s address"), details).and(
        Finding::new(
            &SEARCH_HIJACK,
            Severity::Fail,
            format!(
                "the OS resolver answers {host} with {}, the address of {expansion}: with ndots:{} it tries the search domains first, and {expansion} exists; {host} itself is {own}",
                join(hijack),
                l.ndots
            ),
            format!(
                "Use the absolute name (a trailing dot: https://{host}./v1), lower ndots (the pod's dnsConfig options ndots: 2), or remove the record (often a wildcard) for {expansion}."
            ),
        ),
    )
}

/// The name does not resolve: which resolver decided, its words, and the cause.
fn not_resolved(
    l: &Lookups,
    failure: &Failure,
    decisive_by_ns: bool,
    dead: Option<Finding>,
    details: Looked,
) -> Outcome {
    let (host, role, a, aaaa) = (&l.host, l.role, &l.a, &l.aaaa);
    let via = if decisive_by_ns { format!("nameserver {}", l.nameserver) } else { "the OS resolver".to_owned() };
    let mut msg = format!("{host} ({role}): {} at {via}", failure.describe());
    // The nameserver's own answer names the cause more precisely than getaddrinfo's words
    // (NXDOMAIN vs "name or service not known"): quote it, and take the code from it.
    let mut cause = failure;
    if !decisive_by_ns {
        msg.push_str(&format!(
            "; asked directly, nameserver {} gave A: {}, AAAA: {}",
            l.nameserver,
            outcome_words(a),
            outcome_words(aaaa)
        ));
        if let Some(ns_failure) = a.failure.as_ref().filter(|_| a.addrs.is_empty()) {
            cause = ns_failure;
        }
    }
    // No interface but loopback (`docker run --network none`, a pod without its network): the
    // cause is not DNS at all.
    if crate::net::interfaces::only_loopback() {
        return Outcome::with_status(Status::Fail, "this machine has no network: only loopback", details).and(
            Finding::new(
                &NO_NETWORK,
                Severity::Fail,
                format!(
                    "{host} cannot be looked up or reached: the only network interface here is loopback (lo); {msg}"
                ),
                crate::net::interfaces::NO_NETWORK_FIX,
            ),
        );
    }
    // Docker's embedded DNS answers for containers and forwards every other name upstream: when
    // it times out or fails, the broken part is the upstream, configured outside the container.
    let mut fix = remedy(failure, &via);
    if l.nameserver.split_whitespace().next() == Some(DOCKER_EMBEDDED_DNS)
        && matches!(cause, Failure::Timeout(_) | Failure::ServFail(_))
    {
        msg.push_str(&format!("; {DOCKER_EMBEDDED_DNS} is Docker's embedded DNS, which forwards names outside the container network to upstream nameservers: they do not answer"));
        fix = format!(
            "Fix Docker's upstream nameservers: `docker run --dns` / compose `dns:`, \"dns\" in /etc/docker/daemon.json, or else the host's /etc/resolv.conf (docker inspect shows a container's; ask them directly from the host: dig @UPSTREAM {host}). On an --internal network nothing upstream is reachable: use a proxy."
        );
    }
    let code = failure_code(cause);
    let out = Outcome::with_status(Status::Fail, format!("{host} does not resolve: {}", failure.describe()), details)
        .and(Finding::new(code, Severity::Fail, msg, fix));
    match dead {
        Some(f) => out.and(f),
        None => out,
    }
}

/// What a successful resolution may still warn about: private answers for OpenAI hosts, hosts-
/// file pins, resolvers that disagree, IPv6 without a route, and the API host through a proxy.
fn resolved_findings(
    facts: &crate::engine::facts::Facts,
    l: &Lookups,
    addrs: &[IpAddr],
    ns_addrs: &[IpAddr],
    proxy: Option<&url::Url>,
    api_host: &str,
) -> Vec<Finding> {
    let host = &l.host;
    let mut findings = Vec::new();
    if host.ends_with("openai.com") {
        let private: Vec<IpAddr> = addrs.iter().copied().filter(|ip| resolve::is_non_public(*ip)).collect();
        if !private.is_empty() {
            findings.push(Finding::new(&PRIVATE_ADDRESS, Severity::Warn, format!("{host} resolves to non-public address(es) {}", join(&private)), "Unless you run an egress gateway there on purpose, find the nameserver or hosts-file entry that answers this and remove it."));
        }
    }
    // A hosts-file entry matters where it overrides what DNS says (or pins an OpenAI host);
    // `localhost` or an internal name that DNS does not know is simply how it resolves.
    let overrides = !ns_addrs.is_empty() && l.pinned.iter().any(|p| !ns_addrs.contains(p));
    if overrides {
        let _ = facts.hosts_pinned.set(l.pinned.clone());
    }
    if !l.pinned.is_empty() && (overrides || host.ends_with("openai.com")) {
        let dns_says = if ns_addrs.is_empty() { String::new() } else { format!("; DNS answers {}", join(ns_addrs)) };
        findings.push(Finding::new(
            &HOSTS_FILE,
            Severity::Warn,
            format!(
                "{} pins {host} to {}{dns_says}: clients connect to the pinned address",
                hosts_file::path(),
                join(&l.pinned)
            ),
            format!("Remove the {host} line from {} unless you run a gateway there on purpose.", hosts_file::path()),
        ));
    } else if l.pinned.is_empty()
        && let Some(system) = l.system.as_ref().filter(|s| !s.addrs.is_empty() && ns_addrs.is_empty())
    {
        findings.push(Finding::new(&RESOLVERS_DIFFER, Severity::Info, format!("the OS resolver answers {} but nameserver {} answers A: {}, AAAA: {}", join(&system.addrs), l.nameserver, outcome_words(&l.a), outcome_words(&l.aaaa)), "Another name service (nsswitch, a VPN resolver) answers for this host: check it is intended (getent ahosts)."));
    }
    findings.extend(ipv6_finding(host, addrs, resolve::has_route));
    if let (Some(url), Some(api)) = (proxy, &l.api_lookup) {
        findings.push(Finding::new(
            &VIA_PROXY,
            Severity::Info,
            format!(
                "the proxy {} resolves {api_host}; from this machine it is {}",
                crate::net::proxy_env::redacted_url(url),
                outcome_words(api)
            ),
            "",
        ));
    }
    findings
}

/// IPv6-only answers, or IPv6 listed first on a host without an IPv6 route (`has_route` is the
/// route probe, injected so tests can play a host without IPv6).
fn ipv6_finding(host: &str, addrs: &[IpAddr], has_route: impl Fn(IpAddr) -> bool) -> Option<Finding> {
    let v6 = addrs.iter().copied().find(IpAddr::is_ipv6)?;
    if !addrs.iter().any(IpAddr::is_ipv4) {
        return Some(Finding::new(
            &IPV6_ONLY,
            Severity::Warn,
            format!("{host} has only IPv6 addresses ({})", join(addrs)),
            "Make sure this network routes IPv6, or get A records from the nameserver.",
        ));
    }
    (addrs.first().is_some_and(IpAddr::is_ipv6) && !has_route(v6)).then(|| {
        Finding::new(
            &IPV6_NO_ROUTE,
            Severity::Warn,
            format!("the OS resolver lists IPv6 ({v6}) first, but this host has no IPv6 route"),
            "For Node.js set NODE_OPTIONS=--dns-result-order=ipv4first; or prefer IPv4 in /etc/gai.conf; or fix IPv6.",
        )
    })
}

fn outcome_words(l: &Lookup) -> String {
    if l.addrs.is_empty() {
        l.failure.as_ref().map_or_else(|| "nothing".to_owned(), Failure::describe)
    } else {
        join(&l.addrs)
    }
}

/// The more telling of the A and AAAA failures (NXDOMAIN beats "no records").
fn worst_failure(a: &Lookup, aaaa: &Lookup) -> Failure {
    let rank = |f: &Failure| match f {
        Failure::NoRecords => 0,
        Failure::Other(_) => 1,
        Failure::Timeout(_) => 2,
        Failure::ServFail(_) | Failure::Refused => 3,
        Failure::NxDomain => 4,
    };
    [&a.failure, &aaaa.failure].into_iter().flatten().max_by_key(|f| rank(f)).cloned().unwrap_or(Failure::NoRecords)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ips(list: &[&str]) -> Vec<IpAddr> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn ipv6_first_without_a_route_warns() {
        let dual = ips(&["2606:4700:7::f3", "162.159.140.245"]);
        let f = ipv6_finding("api.openai.com", &dual, |_| false).unwrap();
        assert_eq!(f.code, "dns.ipv6_no_route");
        assert!(f.message.contains("2606:4700:7::f3"), "{}", f.message);
        assert!(ipv6_finding("api.openai.com", &dual, |_| true).is_none(), "with a route, nothing to say");
        let v4_first = ips(&["162.159.140.245", "2606:4700:7::f3"]);
        assert!(ipv6_finding("api.openai.com", &v4_first, |_| false).is_none(), "IPv4 first: clients try it first");
        assert_eq!(ipv6_finding("h", &ips(&["::1"]), |_| true).unwrap().code, "dns.ipv6_only");
        assert!(ipv6_finding("h", &ips(&["127.0.0.1"]), |_| false).is_none());
    }

    fn found(query: resolve::Query, addrs: &[&str], cname: &[&str]) -> Lookup {
        Lookup {
            query,
            addrs: ips(addrs),
            cname: cname.iter().map(|s| (*s).to_owned()).collect(),
            ttl: Some(60),
            failure: None,
            elapsed_ms: 1,
        }
    }

    fn lookups(host: &str, a: Lookup) -> Lookups {
        Lookups {
            host: host.to_owned(),
            role: "API host",
            nameserver: "127.0.0.1:53 (--dns-server)".into(),
            a,
            aaaa: found(resolve::Query::Aaaa, &[], &[]),
            system: None,
            api_lookup: None,
            pinned: Vec::new(),
            per_server: Vec::new(),
            resolver_timeout: (5, 2),
            hijacked_by: None,
            ndots: 1,
        }
    }

    #[test]
    fn an_azure_private_endpoint_is_named_and_handed_on() {
        let alias = "res.privatelink.openai.azure.com";
        let l = lookups("res.openai.azure.com", found(resolve::Query::A, &["10.1.2.3"], &[alias]));
        let (f, private) = private_endpoint(&l, &ips(&["10.1.2.3"])).unwrap();
        assert_eq!((f.code, f.severity), ("dns.private_endpoint", Severity::Info), "the connection tells, not DNS");
        assert!(f.message.contains("10.1.2.3") && f.message.contains(alias), "{}", f.message);
        assert_eq!(private, ips(&["10.1.2.3"]));
        // Shared address space and unique-local IPv6 count; loopback does not.
        for ip in ["100.64.0.9", "fd00::9", "172.16.0.4", "192.168.1.1"] {
            assert!(resolve::is_private_range(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["127.0.0.1", "169.254.1.1", "20.1.2.3", "fe80::1", "100.128.0.1"] {
            assert!(!resolve::is_private_range(ip.parse().unwrap()), "{ip}");
        }

        // The alias, and a public answer: the app goes to the public endpoint.
        let l = lookups("res.openai.azure.com", found(resolve::Query::A, &["20.43.1.2"], &[alias]));
        let (f, private) = private_endpoint(&l, &ips(&["20.43.1.2"])).unwrap();
        assert_eq!(f.code, "dns.private_endpoint_public");
        assert!(
            f.remedy.contains("privatelink.openai.azure.com") && f.remedy.contains("168.63.129.16"),
            "{}",
            f.remedy
        );
        assert!(private.is_empty());

        // Only a public address is called public: a documentation address beside it is left out.
        let l = lookups("res.openai.azure.com", found(resolve::Query::A, &["198.51.100.7", "20.43.1.2"], &[alias]));
        let (f, _) = private_endpoint(&l, &ips(&["198.51.100.7", "20.43.1.2"])).unwrap();
        assert!(f.message.contains("public address 20.43.1.2:"), "{}", f.message);

        // No alias, public: nothing to say. Not an Azure host: not this finding's business.
        let l = lookups("res.openai.azure.com", found(resolve::Query::A, &["20.43.1.2"], &[]));
        assert!(private_endpoint(&l, &ips(&["20.43.1.2"])).is_none());
        let l = lookups("llm.internal.test", found(resolve::Query::A, &["10.1.2.3"], &[]));
        assert!(private_endpoint(&l, &ips(&["10.1.2.3"])).is_none());
        // The zone follows the resource's domain when no alias names it.
        assert_eq!(private_zone("x.cognitiveservices.azure.com", None), "privatelink.cognitiveservices.azure.com");
    }

    /// Issue 27 review: a loopback or link-local answer with the `privatelink` alias was called
    /// "its public address".
    #[test]
    fn only_a_global_address_is_called_public() {
        for ip in ["20.43.1.2", "168.63.129.16", "1.1.1.1", "2603:1030::5", "::ffff:20.43.1.2", "100.128.0.1"] {
            assert_eq!(resolve::special_kind(ip.parse().unwrap()), None, "{ip}");
        }
        for (ip, kind) in [
            ("127.0.0.1", "loopback"),
            ("127.8.9.10", "loopback"),
            ("::1", "loopback"),
            ("::ffff:127.0.0.1", "loopback"),
            ("169.254.169.254", "link-local"),
            ("fe80::1", "link-local"),
            ("febf::1", "link-local"),
            ("0.0.0.0", "unspecified"),
            ("::", "unspecified"),
            ("192.0.2.1", "documentation"),
            ("198.51.100.7", "documentation"),
            ("203.0.113.9", "documentation"),
            ("2001:db8::1", "documentation"),
            ("100.64.0.1", "private"),
            ("10.0.0.1", "private"),
            ("fd00::1", "private"),
            ("198.19.0.1", "benchmarking"),
            ("224.0.0.1", "multicast"),
            ("ff02::1", "multicast"),
            ("240.0.0.1", "reserved"),
            ("255.255.255.255", "reserved"),
            ("100::1", "reserved"),
        ] {
            assert_eq!(resolve::special_kind(ip.parse().unwrap()), Some(kind), "{ip}");
        }

        let alias = "res.privatelink.openai.azure.com";
        let host = "res.openai.azure.com";
        // Loopback: pinned to this machine (a tunnel, a hosts-file line), information; never "public".
        for addrs in [&["127.0.0.1"][..], &["::1"], &["127.0.0.1", "169.254.1.1"]] {
            let l = lookups(host, found(resolve::Query::A, addrs, &[alias]));
            let (f, private) = private_endpoint(&l, &ips(addrs)).unwrap();
            assert_eq!((f.code, f.severity), ("dns.private_endpoint_local", Severity::Info), "{addrs:?}");
            assert!(!f.message.contains("its public address"), "{}", f.message);
            assert!(f.message.contains("(loopback)") && f.message.contains("pinned to this machine"), "{}", f.message);
            assert!(f.message.contains("tunnel") && f.remedy.contains("privatelink.openai.azure.com"), "{f:?}");
            assert!(private.is_empty(), "loopback is not the endpoint's address for tls");
        }
        // The hosts file's line is named when it is what pins the name.
        let mut l = lookups(host, found(resolve::Query::A, &["127.0.0.1"], &[alias]));
        l.pinned = ips(&["127.0.0.1"]);
        let (f, _) = private_endpoint(&l, &ips(&["127.0.0.1"])).unwrap();
        assert!(f.message.contains(&format!("the line of {} that pins it", hosts_file::path())), "{}", f.message);
        // Link-local, unspecified, documentation: reaches no resource; a warning, never "public".
        for (addr, words) in [
            ("169.254.10.1", "(link-local)"),
            ("0.0.0.0", "DNS filters"),
            ("fe80::2", "(link-local)"),
            ("2001:db8::7", "(documentation)"),
        ] {
            let l = lookups(host, found(resolve::Query::A, &[addr], &[alias]));
            let (f, _) = private_endpoint(&l, &ips(&[addr])).unwrap();
            assert_eq!((f.code, f.severity), ("dns.private_endpoint_local", Severity::Warn), "{addr}");
            assert!(!f.message.contains("its public address") && f.message.contains(words), "{}", f.message);
        }
        // CGNAT is a private endpoint's address (some VNets use it), not public.
        let l = lookups(host, found(resolve::Query::A, &["100.64.3.4"], &[alias]));
        assert_eq!(private_endpoint(&l, &ips(&["100.64.3.4"])).unwrap().0.code, "dns.private_endpoint");
    }
}
