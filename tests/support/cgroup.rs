//! A memory-limited cgroup for one child process, made under this test process's own cgroup
//! (cgroup v1 `memory.limit_in_bytes`, or v2 `memory.max`) and removed afterwards. `Err` says why
//! where the machine does not allow it (not Linux, not root, no memory controller), so the test
//! can say so in one line and skip.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

pub struct MemoryCgroup {
    dir: PathBuf,
    v2: bool,
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

fn own_path(controller: &str) -> Option<String> {
    let text = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    text.lines().find_map(|l| {
        let mut parts = l.splitn(3, ':');
        let (_, list, path) = (parts.next()?, parts.next()?, parts.next()?);
        (list.split(',').any(|c| c == controller)).then(|| path.to_owned())
    })
}

impl MemoryCgroup {
    /// A new cgroup limited to `limit` bytes of memory (and no swap).
    pub fn new(limit: u64) -> Result<Self, String> {
        let name = format!("openai-doctor-test-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        let v1_root = Path::new("/sys/fs/cgroup/memory");
        let (dir, v2) = if v1_root.join("memory.limit_in_bytes").exists() {
            let own = own_path("memory").ok_or("no memory line in /proc/self/cgroup")?;
            (v1_root.join(own.trim_start_matches('/')).join(name), false)
        } else if Path::new("/sys/fs/cgroup/cgroup.controllers").exists() {
            let own = own_path("").ok_or("no cgroup v2 line in /proc/self/cgroup")?;
            (Path::new("/sys/fs/cgroup").join(own.trim_start_matches('/')).join(name), true)
        } else {
            return Err("no cgroup memory controller on this machine".to_owned());
        };
        std::fs::create_dir(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let cg = Self { dir, v2 };
        let write = |file: &str, value: &str| {
            std::fs::write(cg.dir.join(file), value).map_err(|e| format!("cannot set {file}: {e}"))
        };
        if v2 {
            write("memory.max", &limit.to_string())?;
            let _ = write("memory.swap.max", "0");
        } else {
            write("memory.limit_in_bytes", &limit.to_string())?;
            if cg.dir.join("memory.memsw.limit_in_bytes").exists() {
                write("memory.memsw.limit_in_bytes", &limit.to_string())?;
            }
        }
        Ok(cg)
    }

    /// `program args…`, started inside the cgroup (a shell joins it, then execs the program).
    pub fn command(&self, program: &Path) -> std::process::Command {
        let mut cmd = std::process::Command::new("sh");
        cmd.arg("-c").arg(r#"echo $$ > "$0" && exec "$@""#).arg(self.dir.join("cgroup.procs")).arg(program);
        cmd
    }

    /// The highest memory use seen, in bytes.
    pub fn peak(&self) -> Option<u64> {
        let file = if self.v2 { "memory.peak" } else { "memory.max_usage_in_bytes" };
        std::fs::read_to_string(self.dir.join(file)).ok()?.trim().parse().ok()
    }

    /// OOM kills inside the cgroup.
    pub fn oom_kills(&self) -> u64 {
        let file = if self.v2 { "memory.events" } else { "memory.oom_control" };
        std::fs::read_to_string(self.dir.join(file))
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("oom_kill ").and_then(|n| n.trim().parse().ok()))
            .unwrap_or(0)
    }
}

impl Drop for MemoryCgroup {
    fn drop(&mut self) {
        for _ in 0..50 {
            if std::fs::remove_dir(&self.dir).is_ok() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}
