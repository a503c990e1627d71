//! An authoritative DNS server (hickory-server, in process) on 127.0.0.1:0, UDP and TCP, serving
//! the zone `test.` (or another zone, with aliases: `serve_zone`); and a UDP socket that never
//! answers.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use hickory_server::Server;
use hickory_server::proto::rr::rdata::{A, AAAA, CNAME, SOA};
use hickory_server::proto::rr::{LowerName, Name, RData, Record};
use hickory_server::store::in_memory::InMemoryZoneHandler;
use hickory_server::zone_handler::{AxfrPolicy, Catalog, ZoneType};
use tokio::sync::oneshot;

/// A running DNS server.
pub struct Dns {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Dns {
    /// `--dns-server` value.
    pub fn arg(&self) -> String {
        self.addr.to_string()
    }
}

impl Drop for Dns {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Serves `test.` with the given (name, address) records; other names in the zone are NXDOMAIN,
/// names outside it are REFUSED.
pub fn serve(records: &[(&str, &str)]) -> Dns {
    serve_zone("test", records)
}

/// Serves `origin` with (name, value) records: an address makes an A or AAAA record, a name a
/// CNAME (`res.openai.azure.com` → `res.privatelink.openai.azure.com`, as Azure's private
/// endpoints answer).
pub fn serve_zone(origin: &str, records: &[(&str, &str)]) -> Dns {
    let (udp, tcp, addr) = free_sockets();
    serve_sockets_in(origin, udp, tcp, addr, records)
}

fn free_sockets() -> (std::net::UdpSocket, std::net::TcpListener, SocketAddr) {
    // UDP and TCP on the same port: retry when another test holds the TCP side.
    (0..20)
        .find_map(|_| {
            let udp = std::net::UdpSocket::bind("127.0.0.1:0").ok()?;
            let addr = udp.local_addr().ok()?;
            let tcp = std::net::TcpListener::bind(addr).ok()?;
            Some((udp, tcp, addr))
        })
        .expect("a free loopback port for UDP and TCP")
}

/// The same server on a chosen address (a loopback address on port 53, for a resolv.conf).
pub fn serve_at(addr: SocketAddr, records: &[(&str, &str)]) -> Dns {
    let udp = std::net::UdpSocket::bind(addr).unwrap();
    let tcp = std::net::TcpListener::bind(addr).unwrap();
    serve_sockets_in("test", udp, tcp, addr, records)
}

fn serve_sockets_in(
    origin: &str,
    udp: std::net::UdpSocket,
    tcp: std::net::TcpListener,
    addr: SocketAddr,
    records: &[(&str, &str)],
) -> Dns {
    let origin = Name::from_str(&format!("{origin}.")).unwrap();
    let mut zone = InMemoryZoneHandler::<hickory_server::net::runtime::TokioRuntimeProvider>::empty(
        origin.clone(),
        ZoneType::Primary,
        AxfrPolicy::Deny,
    );
    let soa = SOA::new(
        Name::from_str(&format!("ns.{origin}")).unwrap(),
        Name::from_str(&format!("admin.{origin}")).unwrap(),
        1,
        3600,
        600,
        86_400,
        60,
    );
    zone.upsert_mut(Record::from_rdata(origin.clone(), 60, RData::SOA(soa)), 1);
    for (name, addr) in records {
        let name = Name::from_str(&format!("{name}.")).unwrap();
        let rdata = match addr.parse::<IpAddr>() {
            Ok(IpAddr::V4(v4)) => RData::A(A(v4)),
            Ok(IpAddr::V6(v6)) => RData::AAAA(AAAA(v6)),
            Err(_) => RData::CNAME(CNAME(Name::from_str(&format!("{addr}.")).unwrap())),
        };
        zone.upsert_mut(Record::from_rdata(name, 300, rdata), 1);
    }
    let mut catalog = Catalog::new();
    catalog.upsert(LowerName::new(&origin), vec![Arc::new(zone)]);

    udp.set_nonblocking(true).unwrap();
    tcp.set_nonblocking(true).unwrap();
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async move {
            let mut server = Server::new(catalog);
            server.register_socket(tokio::net::UdpSocket::from_std(udp).unwrap());
            server.register_listener(tokio::net::TcpListener::from_std(tcp).unwrap(), Duration::from_secs(5), 32);
            let _ = stop_rx.await;
            let _ = server.shutdown_gracefully().await;
        });
    });
    Dns { addr, stop: Some(stop_tx), thread: Some(thread) }
}

/// A UDP socket on loopback that reads nothing and answers nothing.
pub struct Blackhole {
    pub addr: SocketAddr,
    _socket: std::net::UdpSocket,
}

pub fn blackhole() -> Blackhole {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    Blackhole { addr: socket.local_addr().unwrap(), _socket: socket }
}

/// A UDP relay in front of a nameserver that holds every answer back for `delay` (a slow or
/// distant resolver), on its own thread; it stops with the process.
pub struct SlowRelay {
    pub addr: SocketAddr,
}

impl SlowRelay {
    pub fn arg(&self) -> String {
        self.addr.to_string()
    }
}

pub fn slow(upstream: SocketAddr, delay: Duration) -> SlowRelay {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = socket.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok((n, from)) = socket.recv_from(&mut buf) {
            let query = buf[..n].to_vec();
            let reply_to = socket.try_clone().unwrap();
            std::thread::spawn(move || {
                std::thread::sleep(delay);
                let up = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
                up.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                let _ = up.send_to(&query, upstream);
                let mut answer = [0u8; 4096];
                if let Ok((m, _)) = up.recv_from(&mut answer) {
                    let _ = reply_to.send_to(&answer[..m], from);
                }
            });
        }
    });
    SlowRelay { addr }
}
