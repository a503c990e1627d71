//! `--output FILE`: where the report goes, decided before the run with `--bundle`'s rules, and
//! how it is written. A new file or a previous report is replaced atomically (a temporary file
//! with a random name, created exclusively so a planted symbolic link is never followed, renamed
//! over the path, removed only if this run created it). A symbolic link, a device, a FIFO, a
//! read-only file or a file that is not an earlier report is an input error unless `--force`
//! (then a link is replaced, never its target, and a device or FIFO is written in place).

use std::io::Write;
use std::path::{Path, PathBuf};

/// Where the report goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dest {
    /// A new file, or one replaced via a rename.
    File(PathBuf),
    /// Not a regular file (a device, a FIFO), and the user said `--force`: written in place.
    InPlace(PathBuf),
}

/// Whether `path` holds a report an earlier run wrote (any format names the tool).
fn is_previous_report(path: &Path) -> bool {
    let Ok(file) = std::fs::File::open(path) else { return false };
    let mut text = Vec::new();
    // A report is far smaller; a bigger file is someone else's.
    std::io::Read::read_to_end(&mut std::io::Read::take(file, 64 << 20), &mut text).is_ok()
        && [&b"openai_doctor"[..], b"openai-doctor"].iter().any(|m| text.windows(m.len()).any(|w| w == *m))
}

fn folder(path: &Path) -> &Path {
    path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

/// Decides where the report goes.
///
/// # Errors
/// The path, what is wrong with it and what to do, for an input error (exit 2).
pub fn plan(path: &Path, force: bool) -> Result<Dest, String> {
    let shown = path.display();
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => Some(meta),
        Err(e) if matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory) => None,
        Err(e) => return Err(format!("--output {shown}: {e}")),
    };
    let dir = folder(path);
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return Err(format!("--output {shown}: {} is not a directory", dir.display())),
        Err(_) => return Err(format!("--output {shown}: the folder {} does not exist", dir.display())),
    }
    let Some(meta) = meta else { return Ok(Dest::File(path.to_path_buf())) };
    let kind = meta.file_type();
    if kind.is_symlink() {
        return if force {
            Ok(Dest::File(path.to_path_buf()))
        } else {
            Err(format!(
                "--output {shown} is a symbolic link; give another path, or --force to replace the link (never what it points to)"
            ))
        };
    }
    if kind.is_dir() {
        return Err(format!("--output {shown} is a directory; give a file name"));
    }
    if !kind.is_file() {
        return if force {
            Ok(Dest::InPlace(path.to_path_buf()))
        } else {
            Err(format!(
                "--output {shown} is not a regular file (a device, FIFO or socket); give a file, or --force to write into it"
            ))
        };
    }
    if !force && meta.permissions().readonly() {
        return Err(format!("--output {shown} is read-only; give a new name, or --force to replace it"));
    }
    if !force && !is_previous_report(path) {
        return Err(format!(
            "--output {shown} exists and is not an openai-doctor report; give a new name, or --force to replace it"
        ));
    }
    Ok(Dest::File(path.to_path_buf()))
}

/// Writes `text` to `dest`.
///
/// # Errors
/// Any I/O error, in words.
pub fn write(dest: &Dest, text: &str) -> Result<(), String> {
    let path = match dest {
        Dest::InPlace(path) => {
            return std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .and_then(|mut f| f.write_all(text.as_bytes()))
                .map_err(|e| format!("--output {}: {e}", path.display()));
        }
        Dest::File(path) => path,
    };
    let name = path.file_name().map_or_else(|| "report".into(), |n| n.to_string_lossy().into_owned());
    let tmp = folder(path).join(format!(".{name}.{}.{:016x}.tmp", std::process::id(), fastrand::u64(..)));
    let mut created = false;
    let result = (|| -> std::io::Result<()> {
        // create_new is O_CREAT|O_EXCL: it fails on any existing name, a symbolic link included.
        let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        created = true;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        // Only a file this run created is removed: a same-named file is someone else's.
        if created {
            let _ = std::fs::remove_file(&tmp);
        }
        format!("--output {}: {e}", path.display())
    })
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn links_devices_and_other_files_need_force() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        let link = dir.path().join("report.prom");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        assert!(plan(&link, false).unwrap_err().contains("symbolic link"));
        write(&plan(&link, true).unwrap(), "openai_doctor_success 1\n").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious", "the link's target is never written");
        assert!(!std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert!(plan(Path::new("/dev/null"), false).unwrap_err().contains("not a regular file"));
        assert_eq!(plan(Path::new("/dev/null"), true).unwrap(), Dest::InPlace("/dev/null".into()));
        assert!(plan(&victim, false).unwrap_err().contains("not an openai-doctor report"));
        assert_eq!(plan(&link, false).unwrap(), Dest::File(link.clone()), "a previous report is replaced");
        assert!(plan(dir.path(), false).unwrap_err().contains("is a directory"));
        let leftovers = std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().ends_with(".tmp"));
        assert_eq!(leftovers.count(), 0);
    }

    #[test]
    fn a_failed_rename_leaves_other_files_alone() {
        let dir = tempfile::tempdir().unwrap();
        // Renaming a file over a non-empty directory fails: the temporary file is ours to remove,
        // nothing else is touched.
        let target = dir.path().join("busy");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("inside"), "x").unwrap();
        let err = write(&Dest::File(target.clone()), "report").unwrap_err();
        assert!(err.contains("--output"), "{err}");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["busy"], "{names:?}");
    }
}
