//! Whether this network namespace has any network at all. With nothing but loopback (`docker run
//! --network none`, a pod whose CNI did not run, a sandbox) every lookup and connection fails,
//! and each check would otherwise blame its own layer; `dns`, `tls` and `proxy` all ask here.

use std::path::Path;

/// The advice every "no network" finding gives.
pub const NO_NETWORK_FIX: &str = "Give the container a network: drop --network none (docker run), attach one (docker network connect), or check the pod's network and CNI.";

/// Whether `sys_class_net` lists loopback and nothing else (Linux; elsewhere never).
#[must_use]
pub fn only_loopback_in(sys_class_net: &Path) -> bool {
    if !cfg!(target_os = "linux") {
        return false;
    }
    let Ok(entries) = std::fs::read_dir(sys_class_net) else { return false };
    let names: Vec<String> = entries.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    !names.is_empty() && names.iter().all(|n| n == "lo")
}

/// Whether this machine's (or container's) only interface is loopback.
#[must_use]
pub fn only_loopback() -> bool {
    only_loopback_in(Path::new("/sys/class/net"))
}

/// Whether a routing table in `/proc/net/ipv6_route` form has a usable route to `ip`: through an
/// interface other than loopback and not a reject route (Docker's containers without IPv6 have
/// only loopback's reject routes).
#[must_use]
pub fn ipv6_route_to_in(table: &str, ip: std::net::Ipv6Addr) -> bool {
    const RTF_REJECT: u32 = 0x0200;
    let target = u128::from(ip);
    table.lines().any(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        let (Some(dest), Some(len), Some(flags), Some(iface)) = (f.first(), f.get(1), f.get(8), f.get(9)) else {
            return false;
        };
        let (Ok(dest), Ok(len), Ok(flags)) =
            (u128::from_str_radix(dest, 16), u32::from_str_radix(len, 16), u32::from_str_radix(flags, 16))
        else {
            return false;
        };
        let mask = if len == 0 { 0 } else { u128::MAX << (128 - len.min(128)) };
        *iface != "lo" && flags & RTF_REJECT == 0 && (target & mask) == (dest & mask)
    })
}

/// Whether this machine has an IPv6 route to `ip`: `None` where that cannot be read (not Linux);
/// `Some(false)` when IPv6 is off in the kernel (no routing table at all).
#[must_use]
pub fn ipv6_route_to(ip: std::net::Ipv6Addr) -> Option<bool> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    match std::fs::read_to_string("/proc/net/ipv6_route") {
        Ok(table) => Some(ipv6_route_to_in(&table, ip)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(false),
        Err(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv6_route_counts_only_through_a_real_interface() {
        // A Docker container without IPv6: loopback's reject routes only.
        let docker = "00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo\n";
        let ip: std::net::Ipv6Addr = "2606:4700::6810:1".parse().unwrap();
        assert!(!ipv6_route_to_in(docker, ip));
        // A default route through eth0, and a /64 on eth0 that covers only its own prefix.
        let default = "00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000001 00000000 00000003     eth0\n";
        assert!(ipv6_route_to_in(default, ip));
        let local = "fd000000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0\n";
        assert!(ipv6_route_to_in(local, "fd00::1".parse().unwrap()));
        assert!(!ipv6_route_to_in(local, ip));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn loopback_alone_is_no_network() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!only_loopback_in(dir.path()), "nothing listed says nothing");
        std::fs::create_dir(dir.path().join("lo")).unwrap();
        assert!(only_loopback_in(dir.path()));
        std::fs::create_dir(dir.path().join("eth0")).unwrap();
        assert!(!only_loopback_in(dir.path()));
    }
}
