//! The support bundle: a zip of `ticket.md`, `report.json`, `requests.jsonl`,
//! `environment.json` and `README.txt`, every file redacted, written to a temporary name with
//! mode 0600 and renamed, so an interrupted run never leaves a half-written bundle.

use std::io::Write;
use std::path::{Path, PathBuf};

use openai_doctor_checks::Redactor;
use zip::write::SimpleFileOptions;

/// A written bundle.
#[derive(Debug)]
pub struct Written {
    /// Where it is.
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: u64,
    /// SHA-256 of the file, hex.
    pub sha256: String,
}

/// What the bundle's README says.
pub const README: &str = "\
openai-doctor support bundle
============================

Attach this zip to a support ticket as it is. Every file is plain text.

ticket.md         The ticket: summary, root cause, failed requests with their ids, environment,
                  what was ruled out. Paste it into the ticket's description.
report.json       The full report (the same document as `openai-doctor --format json`).
requests.jsonl    One line per HTTP request the doctor made, including those that got no answer:
                  UTC time, method, URL, status or error, x-request-id, X-Client-Request-Id, timings.
environment.json  OS, kernel, architecture, container and platform, tool version, and the relevant
                  environment variables by name, with redacted values.
README.txt        This file.

Redaction: every file passed through one redactor before it was written. It replaces the exact
secrets the process knew (the API key, other *_KEY / *_SECRET / *_TOKEN variables, proxy
passwords, Authorization headers), then patterns for what it did not know: OpenAI key shapes
(sk-, sk-proj-, sk-svcacct-, sk-admin-, sk-None-), Bearer tokens, credentials in URLs and PEM
private keys. Keys keep their prefix and last 4 characters (sk-proj-…WXYZ) so support can tell
which key was used; passwords become ***.
";

/// Default file name: `openai-doctor-<UTC yyyymmddThhmmssZ>.zip`.
#[must_use]
pub fn default_name(started_at: &str) -> String {
    format!("openai-doctor-{}.zip", crate::report::stamp(started_at))
}

/// Writes `files` (name, text) as a zip at `dest` (a file, a directory, or the current directory
/// when `None`), redacting every text with `redactor`.
///
/// # Errors
/// Any I/O error, in words.
pub fn write(
    dest: Option<&Path>,
    started_at: &str,
    files: &[(&str, String)],
    redactor: &Redactor,
) -> Result<Written, String> {
    // An explicit file name is replaced, like curl -o; a default name never replaces another
    // bundle (two runs in the same second get -2, -3, ...).
    let (path, no_clobber) = match dest {
        Some(p) if p.is_dir() => (p.join(default_name(started_at)), true),
        Some(p) => (p.to_path_buf(), false),
        None => (PathBuf::from(default_name(started_at)), true),
    };
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated).unix_permissions(0o600);
    for (name, text) in files {
        zip.start_file(*name, options).map_err(|e| format!("cannot add {name} to the bundle: {e}"))?;
        zip.write_all(redactor.redact(text).as_bytes()).map_err(|e| format!("cannot add {name} to the bundle: {e}"))?;
    }
    let bytes = zip.finish().map_err(|e| format!("cannot finish the bundle: {e}"))?.into_inner();
    let sha256 =
        ring::digest::digest(&ring::digest::SHA256, &bytes).as_ref().iter().map(|b| format!("{b:02x}")).collect();

    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("bundle.zip"),
        std::process::id()
    ));
    let result = (|| -> std::io::Result<PathBuf> {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&tmp)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        if !no_clobber {
            return std::fs::rename(&tmp, &path).map(|()| path.clone());
        }
        // hard_link fails when the name exists: that makes "create if absent" atomic.
        for n in 1..1000 {
            let candidate = if n == 1 {
                path.clone()
            } else {
                path.with_file_name(format!(
                    "{}-{n}.zip",
                    path.file_stem().and_then(|s| s.to_str()).unwrap_or("bundle")
                ))
            };
            match std::fs::hard_link(&tmp, &candidate) {
                Ok(()) => {
                    std::fs::remove_file(&tmp)?;
                    return Ok(candidate);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                // No hard links on this filesystem: fall back to a rename.
                Err(_) if !candidate.exists() => return std::fs::rename(&tmp, &candidate).map(|()| candidate),
                Err(e) => return Err(e),
            }
        }
        Err(std::io::Error::new(std::io::ErrorKind::AlreadyExists, "999 bundles with this name already exist"))
    })();
    let path = match result {
        Ok(p) => p,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(format!("cannot write the bundle {}: {e}", path.display()));
        }
    };
    Ok(Written { size: bytes.len() as u64, path, sha256 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_contents() {
        assert_eq!(default_name("2026-11-25T13:15:12.345Z"), "openai-doctor-20261125T131512Z.zip");
        let dir = tempfile::tempdir().unwrap();
        let mut r = Redactor::new();
        r.add_password("hunter2-secret");
        let w =
            write(Some(dir.path()), "2026-11-25T13:15:12Z", &[("a.txt", "pw=hunter2-secret".to_owned())], &r).unwrap();
        assert!(w.path.starts_with(dir.path()) && w.size > 0 && w.sha256.len() == 64);
        let mut archive = zip::ZipArchive::new(std::fs::File::open(&w.path).unwrap()).unwrap();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut archive.by_name("a.txt").unwrap(), &mut text).unwrap();
        assert_eq!(text, "pw=***");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&w.path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left");
        let again = write(Some(dir.path()), "2026-11-25T13:15:12Z", &[("a.txt", "x".to_owned())], &r).unwrap();
        assert_eq!(
            again.path.file_name().unwrap(),
            "openai-doctor-20261125T131512Z-2.zip",
            "a default name never replaces a bundle"
        );
    }
}
