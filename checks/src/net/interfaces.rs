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

#[cfg(test)]
mod tests {
    use super::*;

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
