//! Runs the doctor with its own /etc/resolv.conf and /etc/hosts: a private mount namespace
//! (`unshare -m`) where files of the test's are bind-mounted over them, so the C library's
//! resolver and the doctor read what the test wrote. Needs root and unshare (util-linux): `Err`
//! says why not, for the test to say so in one line and skip (CI must run them).

use std::path::Path;

/// A command that runs `program` with `resolv_conf` (and `hosts`, when given) in place of the
/// machine's own.
pub fn with_resolver_files(
    program: &Path,
    resolv_conf: &Path,
    hosts: Option<&Path>,
) -> Result<std::process::Command, String> {
    let probe = std::process::Command::new("unshare").args(["-m", "true"]).output();
    match probe {
        Ok(o) if o.status.success() => {}
        Ok(o) => return Err(format!("unshare -m fails here: {}", String::from_utf8_lossy(&o.stderr).trim())),
        Err(e) => return Err(format!("unshare is not available: {e}")),
    }
    let mut script = format!("mount --bind '{}' /etc/resolv.conf", resolv_conf.display());
    if let Some(h) = hosts {
        script.push_str(&format!(" && mount --bind '{}' /etc/hosts", h.display()));
    }
    script.push_str(r#" && exec "$@""#);
    let mut cmd = std::process::Command::new("unshare");
    cmd.args(["-m", "sh", "-c", &script, "sh"]).arg(program);
    Ok(cmd)
}

/// Skips (or, in CI, fails) a test that needs a private mount namespace.
pub fn unavailable(test: &str, why: &str) {
    assert!(std::env::var_os("CI").is_none(), "CI must run {test}: {why}");
    crate::support::record_skip(test, why);
}
