//! Bounded reads of the files a user names (payloads, `--ca-file`, `SSL_CERT_FILE` and its
//! kin), before the run's deadline starts. Only regular files are opened, never more than a limit
//! is read, and a read that takes longer than `READ_TIMEOUT` (a hung network mount) is given up:
//! a FIFO would block forever, and `/dev/zero` would read until memory runs out.

use std::io::Read;
use std::path::Path;

/// Most bytes of a CA bundle (Mozilla's whole store is about 220 KB).
pub const CA_FILE_LIMIT: u64 = 16 * 1024 * 1024;

/// Longest wait for one file: a local disk answers in milliseconds.
pub const READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// What a path is, in words, when it is not a regular file.
fn kind(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
    }
    if meta.is_dir() { "a directory" } else { "not a regular file" }
}

/// Checks that `path` names a regular file of at most `limit` bytes, without opening it.
///
/// # Errors
/// `"<what> <path>: <why>"`, for an input error.
pub fn check_regular(path: &Path, what: &str, limit: u64) -> Result<(), String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read {what} {}: {e}", path.display()))?;
    if !meta.is_file() {
        return Err(format!("{what} {} is {}, not a regular file", path.display(), kind(&meta)));
    }
    if meta.len() > limit {
        return Err(format!("{what} {} is larger than {} MiB", path.display(), limit / (1024 * 1024)));
    }
    Ok(())
}

/// Reads a regular file of at most `limit` bytes.
///
/// # Errors
/// Not a regular file, too large, or unreadable, in words naming `what` and the path.
pub fn read_regular(path: &Path, what: &str, limit: u64) -> Result<Vec<u8>, String> {
    let (owned_path, owned_what) = (path.to_path_buf(), what.to_owned());
    let (tx, rx) = std::sync::mpsc::channel();
    // On a thread, so that a hung mount costs READ_TIMEOUT and not the run; a thread still
    // blocked then is left behind (the process exits on the input error).
    std::thread::spawn(move || {
        let read = check_regular(&owned_path, &owned_what, limit).and_then(|()| {
            let file = std::fs::File::open(&owned_path)
                .map_err(|e| format!("cannot read {owned_what} {}: {e}", owned_path.display()))?;
            read_limited(file, &format!("{owned_what} {}", owned_path.display()), limit)
        });
        let _ = tx.send(read);
    });
    rx.recv_timeout(READ_TIMEOUT).unwrap_or_else(|_| {
        Err(format!(
            "cannot read {what} {}: no answer within {} s (a hung network mount?)",
            path.display(),
            READ_TIMEOUT.as_secs()
        ))
    })
}

/// Reads at most `limit` bytes from `reader` (a file or stdin).
///
/// # Errors
/// Larger than `limit`, or a read error.
pub fn read_limited(reader: impl Read, name: &str, limit: u64) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    reader.take(limit + 1).read_to_end(&mut bytes).map_err(|e| format!("cannot read {name}: {e}"))?;
    if bytes.len() as u64 > limit {
        return Err(format!("{name} is larger than {} MiB", limit / (1024 * 1024)));
    }
    Ok(bytes)
}

/// The trust variables OpenSSL-style clients read, checked before anything opens them:
/// `SSL_CERT_FILE` must be a regular file when it exists (a missing one is the `tls` check's
/// business), and `SSL_CERT_DIR` may hold only regular files and directories.
///
/// # Errors
/// The variable, its path and what is wrong.
pub fn check_trust_env(env: &crate::config::Env) -> Result<(), String> {
    if let Some(file) = env.non_empty("SSL_CERT_FILE") {
        let path = Path::new(file);
        if path.exists() {
            check_regular(path, "SSL_CERT_FILE", CA_FILE_LIMIT)?;
        }
    }
    if let Some(dir) = env.non_empty("SSL_CERT_DIR") {
        // A colon-separated list, as OpenSSL reads it.
        for dir in dir.split(':').filter(|d| !d.is_empty()) {
            let Ok(entries) = std::fs::read_dir(dir) else { continue };
            for entry in entries.flatten() {
                let path = entry.path();
                if let Ok(meta) = std::fs::metadata(&path)
                    && !meta.is_file()
                    && !meta.is_dir()
                {
                    return Err(format!("SSL_CERT_DIR holds {}, which is {}", path.display(), kind(&meta)));
                }
            }
        }
    }
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn devices_fifos_and_large_files_are_refused_without_blocking() {
        let err = read_regular(Path::new("/dev/zero"), "CA file", CA_FILE_LIMIT).unwrap_err();
        assert!(err.contains("is a device, not a regular file"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        let err = read_regular(&fifo, "payload", 100).unwrap_err();
        assert!(err.contains("a FIFO (named pipe)"), "{err}");
        let big = dir.path().join("big");
        std::fs::write(&big, vec![b'x'; 101]).unwrap();
        assert!(read_regular(&big, "payload", 100).unwrap_err().contains("larger than"));
        std::fs::write(&big, b"ok").unwrap();
        assert_eq!(read_regular(&big, "payload", 100).unwrap(), b"ok");
        let env = crate::config::Env::from_pairs([("SSL_CERT_FILE", fifo.to_str().unwrap())]);
        assert!(check_trust_env(&env).unwrap_err().starts_with("SSL_CERT_FILE"));
        let env = crate::config::Env::from_pairs([("SSL_CERT_DIR", dir.path().to_str().unwrap())]);
        assert!(check_trust_env(&env).unwrap_err().contains("FIFO"));
        let env = crate::config::Env::from_pairs([("SSL_CERT_FILE", "/nonexistent/ca.pem")]);
        assert!(check_trust_env(&env).is_ok(), "a missing file is the tls check's finding, not an input error");
    }
}
