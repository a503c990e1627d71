//! The support bundle: a zip of `ticket.md`, `report.json`, `requests.jsonl`,
//! `environment.json` and `README.txt` (each redacted by the report module as its kind needs),
//! written to a temporary name with mode 0600 and renamed, so an interrupted run never leaves a
//! half-written bundle. Where it goes is decided before the run (`plan`): a device, a FIFO, a
//! missing folder or a file that is not a previous bundle is an input error unless `--force`.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use openai_doctor_checks::{Redactor, RunReport};
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
report.json       The full report (the same document as `openai-doctor --format json`). With
                  --reduce it holds the smallest failing request body as its shape only: roles,
                  types, the model, numbers, and each text as its size, estimated tokens and SHA-256,
                  never the text of your prompts or content.
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

/// What the README says instead when the run kept the prompts' text (`--reduce-keep-text`).
pub const README_WITH_TEXT: &str = "\
WARNING: this run used --reduce-keep-text. report.json and ticket.md hold the text of the smallest
failing request body: your system prompt and user content, verbatim. Read them, and remove what
must not leave your organisation, before you attach this bundle anywhere.

";

/// The bundle's files, rendered and redacted: JSON field by field (it stays valid JSON), the
/// ticket as text.
///
/// # Errors
/// Serialisation errors.
pub fn files(
    run: &RunReport,
    target: &crate::report::Target,
    ticket: &crate::report::Ticket<'_>,
    redactor: &Redactor,
    keeps_text: bool,
) -> Result<Vec<(&'static str, String)>, crate::exit::AppError> {
    let io = |e: io::Error| crate::exit::AppError::internal(format!("cannot render the bundle: {e}"));
    let mut md = Vec::new();
    crate::report::markdown::render(&crate::report::for_terminal(run), target, ticket.env, ticket.marker, &mut md)
        .map_err(io)?;
    let mut report = crate::report::json::document(run, target);
    redactor.redact_json(&mut report);
    let mut requests = String::new();
    for r in &run.requests {
        let mut line = serde_json::to_value(r).map_err(|e| io(e.into()))?;
        redactor.redact_json(&mut line);
        requests.push_str(&line.to_string());
        requests.push('\n');
    }
    let mut env = serde_json::to_value(ticket.env).map_err(|e| io(e.into()))?;
    redactor.redact_json(&mut env);
    Ok(vec![
        ("ticket.md", redactor.redact(&String::from_utf8_lossy(&md))),
        ("report.json", crate::output::json_text(&report)?),
        ("requests.jsonl", requests),
        ("environment.json", crate::output::json_text(&env)?),
        ("README.txt", if keeps_text { format!("{README_WITH_TEXT}{README}") } else { README.to_owned() }),
    ])
}

/// Default file name: `openai-doctor-<UTC yyyymmddThhmmssZ>.zip`.
#[must_use]
pub fn default_name(started_at: &str) -> String {
    format!("openai-doctor-{}.zip", crate::report::stamp(started_at))
}

/// Where the bundle goes, decided before the run: a bad path is an input error (exit 2) up
/// front, not a lost bundle after the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dest {
    /// A new file in this directory, named after the run; never replaces another bundle.
    Dir(PathBuf),
    /// This path: a new file, or a previous bundle replaced (like curl -o), via a rename.
    File(PathBuf),
    /// Not a regular file (a device, a FIFO), and the user said `--force`: written in place.
    InPlace(PathBuf),
}

/// Whether `path` is a bundle an earlier run wrote: a zip whose first entry is `ticket.md`.
fn is_previous_bundle(path: &Path) -> bool {
    let mut head = [0u8; 39];
    let Ok(mut file) = std::fs::File::open(path) else { return false };
    std::io::Read::read_exact(&mut file, &mut head).is_ok()
        && head.starts_with(b"PK\x03\x04")
        && u16::from_le_bytes([head[26], head[27]]) == 9
        && &head[30..39] == b"ticket.md"
}

/// Whether a file can be made in `dir`: a probe file is created there (and removed).
fn try_write(dir: &Path) -> std::io::Result<()> {
    let probe = dir.join(format!(".openai-doctor-probe-{}-{:08x}", std::process::id(), fastrand::u32(..)));
    std::fs::OpenOptions::new().write(true).create_new(true).open(&probe)?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// `dir` as a user can find it: `.` (and any relative path) made absolute.
fn real_path(dir: &Path) -> PathBuf {
    let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
    std::fs::canonicalize(dir)
        .or_else(|_| std::env::current_dir().map(|cwd| cwd.join(dir)))
        .unwrap_or_else(|_| dir.to_path_buf())
}

/// Whether a file could be made in `dir`; when not, the error names its real path and only the
/// places verified writable here (/tmp, /dev/shm, $HOME, the working directory): in a read-only
/// container /tmp is read-only too, and suggesting it would send the user round in circles.
fn check_writable(dir: &Path) -> Result<(), String> {
    let Err(e) = try_write(dir) else { return Ok(()) };
    let failed = real_path(dir);
    let mut candidates: Vec<PathBuf> = vec![PathBuf::from("/tmp"), PathBuf::from("/dev/shm")];
    candidates.extend(std::env::var_os("HOME").filter(|h| !h.is_empty()).map(PathBuf::from));
    candidates.extend(std::env::current_dir().ok());
    let mut writable: Vec<PathBuf> = Vec::new();
    for c in candidates {
        let c = real_path(&c);
        if c != failed && !writable.contains(&c) && c.is_dir() && try_write(&c).is_ok() {
            writable.push(c);
        }
    }
    let place = match writable.first() {
        Some(first) => format!(
            "writable here: {} (e.g. --bundle {})",
            writable.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "),
            first.display()
        ),
        None => "no writable place found here (tried /tmp, /dev/shm, $HOME and the working directory): mount one \
                 for this user (docker run --tmpfs /tmp:uid=<the container user's uid>, or a volume) and give it to --bundle"
            .to_owned(),
    };
    Err(format!("--bundle: cannot write in {} ({e}); {place}", failed.display()))
}

/// Decides where the bundle goes. `force` allows replacing a file that is not a previous bundle
/// (or is read-only) and writing into a device or a FIFO.
///
/// # Errors
/// The path, what is wrong with it and what to do, for an input error.
pub fn plan(dest: Option<&Path>, force: bool) -> Result<Dest, String> {
    let Some(path) = dest else {
        check_writable(Path::new("."))?;
        // An empty directory path: the bundle is named `openai-doctor-….zip`, not `./openai-…`.
        return Ok(Dest::Dir(PathBuf::new()));
    };
    let shown = path.display();
    let meta = match std::fs::metadata(path) {
        Ok(meta) => Some(meta),
        Err(e) if matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory) => None,
        Err(e) => return Err(format!("--bundle {shown}: {e}")),
    };
    let Some(meta) = meta else {
        // A dangling symbolic link is something else's name: not ours to replace silently.
        if std::fs::symlink_metadata(path).is_ok() && !force {
            return Err(format!(
                "--bundle {shown} is a symbolic link to nothing; give another path, or --force to replace the link"
            ));
        }
        if path.as_os_str().to_string_lossy().ends_with(std::path::MAIN_SEPARATOR) {
            return Err(format!("--bundle {shown}: no such directory"));
        }
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        match std::fs::metadata(parent) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => return Err(format!("--bundle {shown}: {} is not a directory", parent.display())),
            Err(_) => return Err(format!("--bundle {shown}: the folder {} does not exist", parent.display())),
        }
        check_writable(parent)?;
        return Ok(Dest::File(path.to_path_buf()));
    };
    if meta.is_dir() {
        check_writable(path)?;
        return Ok(Dest::Dir(path.to_path_buf()));
    }
    if !meta.is_file() {
        return if force {
            Ok(Dest::InPlace(path.to_path_buf()))
        } else {
            Err(format!(
                "--bundle {shown} is not a regular file (a device, FIFO or socket); give a file or a directory, \
                 or --force to write into it"
            ))
        };
    }
    if !force && !is_previous_bundle(path) {
        return Err(format!(
            "--bundle {shown} exists and is not an openai-doctor bundle; give a new name or a directory, \
             or --force to replace it"
        ));
    }
    if !force && meta.permissions().readonly() {
        return Err(format!("--bundle {shown} is read-only; give a new name, or --force to replace it"));
    }
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    check_writable(parent)?;
    Ok(Dest::File(path.to_path_buf()))
}

/// Writes `files` (name, text already redacted) as a zip at `dest`.
///
/// # Errors
/// Any I/O error, in words.
pub fn write(dest: &Dest, started_at: &str, files: &[(&str, String)]) -> Result<Written, String> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated).unix_permissions(0o600);
    for (name, text) in files {
        zip.start_file(*name, options).map_err(|e| format!("cannot add {name} to the bundle: {e}"))?;
        zip.write_all(text.as_bytes()).map_err(|e| format!("cannot add {name} to the bundle: {e}"))?;
    }
    let bytes = zip.finish().map_err(|e| format!("cannot finish the bundle: {e}"))?.into_inner();
    let sha256 =
        ring::digest::digest(&ring::digest::SHA256, &bytes).as_ref().iter().map(|b| format!("{b:02x}")).collect();
    let size = bytes.len() as u64;

    // An explicit file name is replaced, like curl -o; a default name never replaces another
    // bundle (two runs in the same second get -2, -3, ...).
    let (path, no_clobber) = match dest {
        Dest::InPlace(path) => {
            let written = std::fs::OpenOptions::new().write(true).open(path).and_then(|mut f| f.write_all(&bytes));
            return written
                .map(|()| Written { path: path.clone(), size, sha256 })
                .map_err(|e| format!("cannot write the bundle {}: {e}", path.display()));
        }
        Dest::Dir(dir) => (dir.join(default_name(started_at)), true),
        Dest::File(path) => (path.clone(), false),
    };
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.{}.{:08x}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("bundle.zip"),
        std::process::id(),
        fastrand::u32(..)
    ));
    let mut created = false;
    let result = (|| -> std::io::Result<PathBuf> {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&tmp)?;
        created = true;
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
    match result {
        Ok(path) => Ok(Written { size, path, sha256 }),
        Err(e) => {
            // Only a file this run created is removed: a same-named file is someone else's.
            if created {
                let _ = std::fs::remove_file(&tmp);
            }
            Err(format!("cannot write the bundle {}: {e}", path.display()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_contents() {
        assert_eq!(default_name("2026-11-25T13:15:12.345Z"), "openai-doctor-20261125T131512Z.zip");
        let dir = tempfile::tempdir().unwrap();
        let dest = plan(Some(dir.path()), false).unwrap();
        let w = write(&dest, "2026-11-25T13:15:12Z", &[("ticket.md", "pw=***".to_owned())]).unwrap();
        assert!(w.path.starts_with(dir.path()) && w.size > 0 && w.sha256.len() == 64);
        let mut archive = zip::ZipArchive::new(std::fs::File::open(&w.path).unwrap()).unwrap();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut archive.by_name("ticket.md").unwrap(), &mut text).unwrap();
        assert_eq!(text, "pw=***");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&w.path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left");
        let again = write(&dest, "2026-11-25T13:15:12Z", &[("ticket.md", "x".to_owned())]).unwrap();
        assert_eq!(
            again.path.file_name().unwrap(),
            "openai-doctor-20261125T131512Z-2.zip",
            "a default name never replaces a bundle"
        );
        // A previous bundle named explicitly is replaced; any other file needs --force.
        assert_eq!(plan(Some(&w.path), false).unwrap(), Dest::File(w.path.clone()));
        let other = dir.path().join("notes.txt");
        std::fs::write(&other, "mine").unwrap();
        assert!(plan(Some(&other), false).unwrap_err().contains("not an openai-doctor bundle"));
        assert_eq!(plan(Some(&other), true).unwrap(), Dest::File(other.clone()));
    }

    #[cfg(unix)]
    #[test]
    fn devices_missing_folders_and_files_in_the_way_are_input_errors() {
        let err = plan(Some(Path::new("/dev/null")), false).unwrap_err();
        assert!(err.contains("not a regular file"), "{err}");
        assert_eq!(plan(Some(Path::new("/dev/null")), true).unwrap(), Dest::InPlace("/dev/null".into()));
        let dir = tempfile::tempdir().unwrap();
        let err = plan(Some(&dir.path().join("missing/b.zip")), false).unwrap_err();
        assert!(err.contains("does not exist"), "{err}");
        let file = dir.path().join("f");
        std::fs::write(&file, "x").unwrap();
        let err = plan(Some(&file.join("b.zip")), false).unwrap_err();
        assert!(err.contains("is not a directory"), "{err}");
        // A temp file of the same name that the doctor did not create is left alone.
        let dest = Dest::File(dir.path().join("b.zip"));
        let w = write(&dest, "2026-11-25T13:15:12Z", &[("ticket.md", "x".to_owned())]).unwrap();
        assert!(w.path.exists());
    }
}
