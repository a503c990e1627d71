//! Reads the hosts file (`/etc/hosts`, or Windows' `drivers\etc\hosts`): a pin there overrides
//! DNS for every application on the machine, and goes stale silently.

use std::net::IpAddr;

/// Where the hosts file lives on this OS.
#[must_use]
pub fn path() -> &'static str {
    if cfg!(windows) { r"C:\Windows\System32\drivers\etc\hosts" } else { "/etc/hosts" }
}

/// Addresses the hosts file text gives for `host` (case-insensitive, trailing dot ignored).
#[must_use]
pub fn entries_for(text: &str, host: &str) -> Vec<IpAddr> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    text.lines()
        .filter_map(|line| {
            let line = line.split('#').next()?;
            let mut words = line.split_whitespace();
            let ip: IpAddr = words.next()?.parse().ok()?;
            words.any(|name| name.trim_end_matches('.').eq_ignore_ascii_case(&host)).then_some(ip)
        })
        .collect()
}

/// Reads the hosts file of this machine for `host`.
#[must_use]
pub fn lookup(host: &str) -> Vec<IpAddr> {
    lookup_in(std::path::Path::new(path()), host)
}

/// The entries for `host` in the hosts file at `file` (another process's, with `--pid`).
#[must_use]
pub fn lookup_in(file: &std::path::Path, host: &str) -> Vec<IpAddr> {
    std::fs::read_to_string(file).map(|t| entries_for(&t, host)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_pins_and_ignores_comments() {
        let text =
            "127.0.0.1 localhost\n# 1.2.3.4 api.openai.com\n104.18.7.192 API.openai.com. other # old pin\nbad line\n";
        assert_eq!(entries_for(text, "api.openai.com"), ["104.18.7.192".parse::<IpAddr>().unwrap()]);
        assert!(entries_for(text, "openai.com").is_empty());
    }
}
