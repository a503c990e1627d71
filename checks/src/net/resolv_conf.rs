//! Parses `/etc/resolv.conf`: nameservers, search domains, and `ndots` — the setting that makes
//! Kubernetes pods try every search domain before `api.openai.com` itself.

use serde::{Deserialize, Serialize};

/// What the doctor needs from resolv.conf.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResolvConf {
    /// `nameserver` lines, in order.
    pub nameservers: Vec<String>,
    /// `search` (or `domain`) domains; the last such line wins, as in glibc.
    pub search: Vec<String>,
    /// `options ndots:N` (glibc caps it at 15; default 1).
    pub ndots: u32,
    /// `options timeout:N`: seconds glibc waits for one nameserver (default 5, at most 30).
    pub timeout_s: u32,
    /// `options attempts:N`: rounds over the nameservers (default 2, at most 5).
    pub attempts: u32,
}

impl Default for ResolvConf {
    fn default() -> Self {
        Self { nameservers: Vec::new(), search: Vec::new(), ndots: 1, timeout_s: 5, attempts: 2 }
    }
}

impl ResolvConf {
    /// Parses the file's text. Unknown lines are ignored, as the C library does.
    #[must_use]
    pub fn parse(text: &str) -> Self {
        let mut conf = Self::default();
        for line in text.lines() {
            let line = line.split(['#', ';']).next().unwrap_or("");
            let mut words = line.split_whitespace();
            match words.next() {
                Some("nameserver") => conf.nameservers.extend(words.next().map(str::to_owned)),
                Some("search" | "domain") => conf.search = words.map(str::to_owned).collect(),
                Some("options") => {
                    for opt in words {
                        if let Some(n) = opt.strip_prefix("ndots:") {
                            conf.ndots = n.parse::<u32>().map_or(conf.ndots, |n| n.min(15));
                        } else if let Some(n) = opt.strip_prefix("timeout:") {
                            conf.timeout_s = n.parse::<u32>().map_or(conf.timeout_s, |n| n.clamp(1, 30));
                        } else if let Some(n) = opt.strip_prefix("attempts:") {
                            conf.attempts = n.parse::<u32>().map_or(conf.attempts, |n| n.clamp(1, 5));
                        }
                    }
                }
                _ => {}
            }
        }
        conf
    }

    /// The search domains a lookup of `host` tries before `host` itself (glibc rule: a name with
    /// fewer dots than `ndots` goes through the search list first).
    #[must_use]
    pub fn searched_first(&self, host: &str) -> Vec<String> {
        let host = host.trim_end_matches('.');
        let dots = u32::try_from(host.matches('.').count()).unwrap_or(u32::MAX);
        if host.is_empty() || dots >= self.ndots {
            return Vec::new();
        }
        self.search.iter().map(|d| format!("{host}.{d}")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const K8S: &str = "search default.svc.cluster.local svc.cluster.local cluster.local\n\
                       nameserver 10.96.0.10\noptions ndots:5\n";

    #[test]
    fn kubernetes_ndots_sends_api_lookups_through_the_search_list() {
        let conf = ResolvConf::parse(K8S);
        assert_eq!(conf.nameservers, ["10.96.0.10"]);
        assert_eq!(conf.ndots, 5);
        let first = conf.searched_first("api.openai.com");
        assert_eq!(first.len(), 3);
        assert_eq!(first[0], "api.openai.com.default.svc.cluster.local");
        assert!(conf.searched_first("api.openai.com.").is_empty() || conf.ndots > 2);
    }

    #[test]
    fn defaults_and_comments() {
        let conf = ResolvConf::parse("# generated\nnameserver 127.0.0.11 # docker\noptions ndots:0 edns0\n");
        assert_eq!(conf.nameservers, ["127.0.0.11"]);
        assert_eq!(conf.ndots, 0);
        assert!(conf.searched_first("api.openai.com").is_empty());
        assert_eq!(ResolvConf::parse("garbage\n\0\n"), ResolvConf::default());
        assert_eq!(ResolvConf::parse("options ndots:99").ndots, 15);
    }

    #[test]
    fn ndots_two_does_not_search_a_two_dot_name() {
        let conf = ResolvConf::parse("search corp.example\noptions ndots:2");
        assert!(conf.searched_first("api.openai.com").is_empty());
        assert_eq!(conf.searched_first("openai.com"), ["openai.com.corp.example"]);
    }
}
