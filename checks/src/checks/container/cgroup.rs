//! Reads the limits of this process's own cgroup (v1 and v2) under an injectable filesystem root:
//! finds the cgroup through `/proc/self/cgroup` and `/proc/self/mountinfo` (the mount root is not
//! assumed to be ours), and walks up to the mount point for the tightest limit.

use std::path::{Path, PathBuf};

/// Reads files relative to a root directory (`/` in production, a fixture tree in tests).
#[derive(Debug, Clone)]
pub struct Fs {
    root: PathBuf,
    /// With `--pid`: `/proc/self/...` means that process's `/proc/<pid>/...` on this machine.
    pid: Option<u32>,
}

impl Fs {
    /// A reader rooted at `root`.
    #[must_use]
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into(), pid: None }
    }

    /// The files of process `pid`: its root (`/proc/<pid>/root`) and its own `/proc` entries.
    #[must_use]
    pub fn of_process(pid: u32) -> Self {
        Self { root: PathBuf::from(format!("/proc/{pid}/root")), pid: Some(pid) }
    }

    /// The host path for an absolute path inside the root.
    #[must_use]
    pub fn path(&self, abs: &Path) -> PathBuf {
        if let (Some(pid), Ok(rest)) = (self.pid, abs.strip_prefix("/proc/self")) {
            return PathBuf::from(format!("/proc/{pid}")).join(rest);
        }
        self.root.join(abs.strip_prefix("/").unwrap_or(abs))
    }

    /// A file's text, if readable.
    #[must_use]
    pub fn read(&self, abs: impl AsRef<Path>) -> Option<String> {
        std::fs::read_to_string(self.path(abs.as_ref())).ok()
    }

    /// Whether a path exists.
    #[must_use]
    pub fn exists(&self, abs: impl AsRef<Path>) -> bool {
        self.path(abs.as_ref()).exists()
    }
}

pub use crate::details::container::Limits;

/// One line of `/proc/self/mountinfo` that matters here.
#[derive(Debug, Clone)]
struct Mount {
    root: String,
    point: String,
    fstype: String,
    super_opts: String,
}

/// Undoes mountinfo's octal escapes (`\040` is a space).
fn unescape(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && i + 3 < bytes.len() {
            let oct = &bytes[i + 1..i + 4];
            if oct.iter().all(|b| (b'0'..=b'7').contains(b)) {
                let v = oct.iter().fold(0u32, |acc, b| acc * 8 + u32::from(b - b'0'));
                if let Ok(v) = u8::try_from(v) {
                    out.push(v);
                    i += 4;
                    continue;
                }
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_mountinfo(text: &str) -> Vec<Mount> {
    text.lines()
        .filter_map(|line| {
            let (left, right) = line.split_once(" - ")?;
            let l: Vec<&str> = left.split_whitespace().collect();
            let r: Vec<&str> = right.split_whitespace().collect();
            Some(Mount {
                root: unescape(l.get(3)?),
                point: unescape(l.get(4)?),
                fstype: (*r.first()?).to_owned(),
                super_opts: r.get(2).copied().unwrap_or("").to_owned(),
            })
        })
        .collect()
}

/// `(controllers, path)` per line of `/proc/self/cgroup`.
fn parse_proc_cgroup(text: &str) -> Vec<(Vec<String>, String)> {
    text.lines()
        .filter_map(|line| {
            let mut parts = line.splitn(3, ':');
            let _id = parts.next()?;
            let controllers = parts.next()?.split(',').filter(|c| !c.is_empty()).map(str::to_owned).collect();
            let path = parts.next()?.to_owned();
            Some((controllers, path))
        })
        .collect()
}

/// The directory of `cgroup_path` under `mount`: strip the mount's root when the path is under
/// it (Docker without a cgroup namespace), else use the mount point itself.
fn cgroup_dir(mount: &Mount, cgroup_path: &str) -> PathBuf {
    let root = mount.root.trim_end_matches('/');
    let rel = if root.is_empty() {
        Some(cgroup_path)
    } else if cgroup_path == root {
        Some("")
    } else {
        cgroup_path.strip_prefix(&format!("{root}/"))
    };
    let mut dir = PathBuf::from(&mount.point);
    if let Some(rel) = rel {
        for part in rel.split('/').filter(|p| !p.is_empty() && *p != "..") {
            dir.push(part);
        }
    }
    dir
}

fn num(text: Option<String>) -> Option<u64> {
    text?.trim().parse().ok()
}

/// `max` → None; a number → Some.
fn max_or_num(text: Option<String>) -> Option<u64> {
    let t = text?;
    let t = t.trim();
    if t == "max" { None } else { t.parse().ok() }
}

fn keyed(text: Option<String>, key: &str) -> Option<u64> {
    text?.lines().find_map(|l| {
        let (k, v) = l.split_once(' ')?;
        if k == key { v.trim().parse().ok() } else { None }
    })
}

/// The tightest of a limit from `dir` up to `top` (inclusive): a nested cgroup with no limit of
/// its own is still bound by its parents'.
fn tightest<T: PartialOrd + Copy>(dir: &Path, top: &Path, read: impl Fn(&Path) -> Option<T>) -> Option<T> {
    let mut best: Option<T> = None;
    let mut cur = Some(dir);
    while let Some(d) = cur {
        if let Some(v) = read(d) {
            best = Some(match best {
                Some(b) if b <= v => b,
                _ => v,
            });
        }
        if d == top || !d.starts_with(top) {
            break;
        }
        cur = d.parent();
    }
    best
}

/// v1 reports "no limit" as a huge page-aligned number.
const V1_UNLIMITED: u64 = 1 << 62;

/// Reads the limits of the process's cgroup under `fs`. `None` when there are no cgroups.
#[must_use]
pub fn read_limits(fs: &Fs) -> Option<Limits> {
    let groups = parse_proc_cgroup(&fs.read("/proc/self/cgroup")?);
    let mounts = parse_mountinfo(&fs.read("/proc/self/mountinfo").unwrap_or_default());
    let v1_memory = groups.iter().find(|(c, _)| c.iter().any(|x| x == "memory"));
    if let Some((_, path)) = v1_memory {
        return Some(read_v1(fs, &groups, &mounts, path));
    }
    let (_, path) = groups.iter().find(|(c, _)| c.is_empty())?;
    let mount = mounts.iter().find(|m| m.fstype == "cgroup2")?;
    let dir = cgroup_dir(mount, path);
    let top = PathBuf::from(&mount.point);
    let file = |d: &Path, name: &str| fs.read(d.join(name));
    let cpu = tightest(&dir, &top, |d| {
        let text = file(d, "cpu.max")?;
        let mut it = text.split_whitespace();
        let quota = it.next()?;
        let period: f64 = it.next().unwrap_or("100000").parse().ok()?;
        if quota == "max" || period <= 0.0 {
            return None;
        }
        Some(quota.parse::<f64>().ok()? / period)
    });
    Some(Limits {
        version: 2,
        path: path.clone(),
        dir: dir.display().to_string(),
        memory_limit: tightest(&dir, &top, |d| max_or_num(file(d, "memory.max"))),
        memory_current: num(file(&dir, "memory.current")),
        oom_kills: keyed(file(&dir, "memory.events"), "oom_kill"),
        cpu_quota_cores: cpu,
        pids_max: tightest(&dir, &top, |d| max_or_num(file(d, "pids.max"))),
        pids_current: num(file(&dir, "pids.current")),
    })
}

fn read_v1(fs: &Fs, groups: &[(Vec<String>, String)], mounts: &[Mount], mem_path: &str) -> Limits {
    let dir_for = |controller: &str| -> Option<(PathBuf, PathBuf)> {
        let (_, path) = groups.iter().find(|(c, _)| c.iter().any(|x| x == controller))?;
        let mount = mounts.iter().find(|m| m.fstype == "cgroup" && m.super_opts.split(',').any(|o| o == controller))?;
        Some((cgroup_dir(mount, path), PathBuf::from(&mount.point)))
    };
    let mut limits = Limits { version: 1, path: mem_path.to_owned(), ..Limits::default() };
    if let Some((dir, top)) = dir_for("memory") {
        let file = |d: &Path, name: &str| fs.read(d.join(name));
        limits.memory_limit =
            tightest(&dir, &top, |d| num(file(d, "memory.limit_in_bytes")).filter(|v| *v < V1_UNLIMITED));
        limits.memory_current = num(file(&dir, "memory.usage_in_bytes"));
        limits.oom_kills = keyed(file(&dir, "memory.oom_control"), "oom_kill");
        limits.dir = dir.display().to_string();
    }
    if let Some((dir, top)) = dir_for("cpu") {
        limits.cpu_quota_cores = tightest(&dir, &top, |d| {
            let quota: f64 = fs.read(d.join("cpu.cfs_quota_us"))?.trim().parse().ok()?;
            let period: f64 = fs.read(d.join("cpu.cfs_period_us"))?.trim().parse().ok()?;
            (quota > 0.0 && period > 0.0).then(|| quota / period)
        });
    }
    if let Some((dir, top)) = dir_for("pids") {
        limits.pids_max = tightest(&dir, &top, |d| max_or_num(fs.read(d.join("pids.max"))));
        limits.pids_current = num(fs.read(dir.join("pids.current")));
    }
    limits
}

/// Soft and hard "Max open files" from `/proc/self/limits`.
#[must_use]
pub fn open_files(fs: &Fs) -> Option<(Option<u64>, Option<u64>)> {
    let text = fs.read("/proc/self/limits")?;
    let line = text.lines().find(|l| l.starts_with("Max open files"))?;
    let mut cols = line["Max open files".len()..].split_whitespace();
    let parse = |v: Option<&str>| v.and_then(|v| v.parse().ok());
    Some((parse(cols.next()), parse(cols.next())))
}

/// A fixture tree: files at absolute-looking paths under a temporary root.
#[cfg(test)]
pub(crate) fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let p = dir.path().join(path.trim_start_matches('/'));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

#[cfg(test)]
mod tests {
    use super::*;

    const V2_MOUNT: &str = "30 24 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n";

    #[test]
    fn v2_nested_path_takes_the_tightest_limit() {
        let t = tree(&[
            ("/proc/self/cgroup", "0::/kubepods/pod1/ctr\n"),
            ("/proc/self/mountinfo", V2_MOUNT),
            ("/sys/fs/cgroup/kubepods/pod1/memory.max", "536870912\n"),
            ("/sys/fs/cgroup/kubepods/pod1/ctr/memory.max", "max\n"),
            ("/sys/fs/cgroup/kubepods/pod1/ctr/memory.current", "500000000\n"),
            ("/sys/fs/cgroup/kubepods/pod1/ctr/memory.events", "low 0\nhigh 0\nmax 4\noom 2\noom_kill 2\n"),
            ("/sys/fs/cgroup/kubepods/pod1/ctr/cpu.max", "50000 100000\n"),
            ("/sys/fs/cgroup/kubepods/pod1/ctr/pids.max", "max\n"),
            ("/sys/fs/cgroup/kubepods/pids.max", "100\n"),
        ]);
        let l = read_limits(&Fs::new(t.path())).unwrap();
        assert_eq!(l.version, 2);
        assert_eq!(l.memory_limit, Some(536_870_912));
        assert_eq!(l.memory_current, Some(500_000_000));
        assert_eq!(l.oom_kills, Some(2));
        assert_eq!(l.cpu_quota_cores, Some(0.5));
        assert_eq!(l.pids_max, Some(100), "a grandparent's pids limit binds");
        assert!(l.dir.ends_with("kubepods/pod1/ctr"), "{}", l.dir);
    }

    #[test]
    fn v2_namespaced_root_is_the_mount_point() {
        let t = tree(&[
            ("/proc/self/cgroup", "0::/\n"),
            ("/proc/self/mountinfo", V2_MOUNT),
            ("/sys/fs/cgroup/memory.max", "268435456\n"),
            ("/sys/fs/cgroup/pids.max", "64\n"),
            ("/sys/fs/cgroup/pids.current", "64\n"),
        ]);
        let l = read_limits(&Fs::new(t.path())).unwrap();
        assert_eq!(l.memory_limit, Some(268_435_456));
        assert_eq!((l.pids_max, l.pids_current), (Some(64), Some(64)));
    }

    #[test]
    fn v1_mount_root_is_not_assumed_ours() {
        // Docker without a cgroup namespace: the path is /docker/abc and so is the mount root.
        let t = tree(&[
            ("/proc/self/cgroup", "12:pids:/docker/abc\n9:cpu,cpuacct:/docker/abc\n4:memory:/docker/abc\n"),
            (
                "/proc/self/mountinfo",
                "40 30 0:35 /docker/abc /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory\n\
                 41 30 0:36 /docker/abc /sys/fs/cgroup/cpu,cpuacct ro - cgroup cgroup rw,cpu,cpuacct\n\
                 42 30 0:37 /docker/abc /sys/fs/cgroup/pids ro - cgroup cgroup rw,pids\n",
            ),
            ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "1073741824\n"),
            ("/sys/fs/cgroup/memory/memory.usage_in_bytes", "1048576\n"),
            ("/sys/fs/cgroup/memory/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n"),
            ("/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "200000\n"),
            ("/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us", "100000\n"),
            ("/sys/fs/cgroup/pids/pids.max", "max\n"),
        ]);
        let l = read_limits(&Fs::new(t.path())).unwrap();
        assert_eq!(l.version, 1);
        assert_eq!(l.memory_limit, Some(1_073_741_824));
        assert_eq!(l.oom_kills, Some(1));
        assert_eq!(l.cpu_quota_cores, Some(2.0));
        assert_eq!(l.pids_max, None);
    }

    #[test]
    fn v1_unlimited_is_none_and_garbage_is_tolerated() {
        let t = tree(&[
            ("/proc/self/cgroup", "4:memory:/\ngarbage line\n"),
            ("/proc/self/mountinfo", "nonsense\n40 30 0:35 / /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory\n"),
            ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "9223372036854771712\n"),
            ("/sys/fs/cgroup/memory/memory.usage_in_bytes", "not a number\n"),
        ]);
        let l = read_limits(&Fs::new(t.path())).unwrap();
        assert_eq!(l.memory_limit, None);
        assert_eq!(l.memory_current, None);
    }

    #[test]
    fn no_cgroup_file_means_no_limits() {
        let t = tree(&[("/etc/hostname", "x")]);
        assert!(read_limits(&Fs::new(t.path())).is_none());
    }

    #[test]
    fn mountinfo_escapes_are_undone() {
        assert_eq!(unescape(r"/a\040b"), "/a b");
        assert_eq!(unescape(r"/a\04"), r"/a\04");
    }

    #[test]
    fn open_files_limits() {
        let t = tree(&[(
            "/proc/self/limits",
            "Limit                     Soft Limit           Hard Limit           Units\n\
             Max open files            1024                 524288               files\n",
        )]);
        assert_eq!(open_files(&Fs::new(t.path())), Some((Some(1024), Some(524_288))));
    }
}
