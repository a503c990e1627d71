//! What the user gives the doctor, read before any configuration exists: the environment
//! snapshot (the doctor's own, or with `--pid` the app's), URLs typed or set, and the names other
//! processes chose, made harmless to print. A leaf: `config` and `provider` both build on it.

use std::collections::BTreeMap;

use url::Url;

/// A snapshot of the environment variables the doctor reads. Tests build one by hand.
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: BTreeMap<String, String>,
    /// With `--pid`, whose environment this is (`pid 1 (python3)`), read with it.
    owner: Option<String>,
}

impl Env {
    /// The environment of process `pid` (`/proc/<pid>/environ`), for `--pid`.
    ///
    /// # Errors
    /// No such process, or no permission, in words that say what to do.
    pub fn from_pid(pid: u32) -> Result<Self, String> {
        if !cfg!(target_os = "linux") {
            return Err(format!("--pid is not applicable on {}: it reads /proc (Linux only)", std::env::consts::OS));
        }
        let path = format!("/proc/{pid}/environ");
        let bytes = std::fs::read(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => format!("--pid {pid}: no such process (is it in this PID namespace? docker run --pid container:<app>, kubectl debug --target=<container>)"),
            std::io::ErrorKind::PermissionDenied => format!(
                "--pid {pid}: cannot read {path}: permission denied. Run as the process's user or as root (reading another user's environment needs CAP_SYS_PTRACE: docker run --cap-add SYS_PTRACE)"
            ),
            _ => format!("--pid {pid}: cannot read {path}: {e}"),
        })?;
        let vars = bytes
            .split(|b| *b == 0)
            .filter_map(|kv| std::str::from_utf8(kv).ok())
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let comm = std::fs::read(format!("/proc/{pid}/comm")).unwrap_or_default();
        let comm = String::from_utf8_lossy(&comm);
        // The kernel ends the name with a newline; the rest is the process's own choice
        // (PR_SET_NAME, its file name) and reaches terminals and tickets: shown, never obeyed.
        Ok(Self { vars, owner: Some(format!("pid {pid} ({})", escape_name(comm.strip_suffix('\n').unwrap_or(&comm)))) })
    }

    /// The process environment (non-UTF-8 values are skipped).
    #[must_use]
    pub fn from_process() -> Self {
        Self {
            vars: std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
            owner: None,
        }
    }

    /// An environment with exactly these variables.
    #[must_use]
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self { vars: pairs.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect(), owner: None }
    }

    /// With `--pid`, whose environment this is: `pid 1 (python3)`.
    #[must_use]
    pub fn owner(&self) -> Option<&str> {
        self.owner.as_deref()
    }

    /// A variable's value, if set (empty counts as set).
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// A variable's value, if set and not empty.
    #[must_use]
    pub fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// Every variable, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// Validates a user-given URL: http(s) only, with a host.
///
/// # Errors
/// A message saying what is wrong with it.
pub fn parse_http_url(what: &str, s: &str) -> Result<Url, String> {
    // The value itself is not repeated: clap quotes it already, and it may hold a password.
    let url = Url::parse(s.trim()).map_err(|e| format!("{what}: not a valid URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("{what}: the scheme `{}` is not supported; use http or https", url.scheme()));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("{what}: the URL has no host"));
    }
    Ok(url)
}

/// A name chosen by another process, on one line and harmless on a terminal: control
/// characters (newline and tab included), DEL, C1 controls and bidirectional overrides become
/// escapes (`\x1b`, `\u{202e}`), and so does the backquote (a name must not close a markdown
/// code block).
#[must_use]
pub fn escape_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_control() || c == '`' || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') {
            if u32::from(c) < 0x100 {
                out.push_str(&format!("\\x{:02x}", u32::from(c)));
            } else {
                out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
            }
        } else {
            out.push(c);
        }
    }
    out
}
