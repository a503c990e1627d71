//! The doctor in real containers: an image assembled here from the binary under test, its shared
//! libraries and the CA bundle (no image can be pulled on these machines), imported with
//! `docker import`, run as a non-root user. `Err` says why Docker cannot be used, for the test to
//! say so in one line and skip (CI, which has Docker, must run them).

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

/// The image tag the tests run.
pub const IMAGE: &str = "openai-doctor-test:local";

fn docker_ok() -> Result<(), String> {
    match Command::new("docker").args(["info", "--format", "{{.ServerVersion}}"]).output() {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => Err(format!("the Docker daemon does not answer: {}", String::from_utf8_lossy(&o.stderr).trim())),
        Err(e) => Err(format!("docker is not installed: {e}")),
    }
}

/// Copies `file` into `root` at the same path.
fn copy_in(root: &Path, file: &Path) -> Result<(), String> {
    let to = root.join(file.strip_prefix("/").unwrap_or(file));
    std::fs::create_dir_all(to.parent().unwrap()).map_err(|e| e.to_string())?;
    std::fs::copy(file, &to).map(|_| ()).map_err(|e| format!("{}: {e}", file.display()))
}

fn build(binary: &Path) -> Result<(), String> {
    docker_ok()?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let root = dir.path();
    std::fs::create_dir_all(root.join("tmp")).map_err(|e| e.to_string())?;
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(root.join("tmp"), std::fs::Permissions::from_mode(0o1777))
            .map_err(|e| e.to_string())?;
    }
    std::fs::create_dir_all(root.join("etc")).map_err(|e| e.to_string())?;
    std::fs::copy(binary, root.join("openai-doctor")).map_err(|e| e.to_string())?;
    let ldd = Command::new("ldd").arg(binary).output().map_err(|e| format!("ldd: {e}"))?;
    for lib in String::from_utf8_lossy(&ldd.stdout).split_whitespace().filter(|w| w.starts_with('/')) {
        copy_in(root, &std::fs::canonicalize(lib).map_err(|e| e.to_string())?)?;
        // The loader looks libraries up by the name ldd printed (a symbolic link on the host).
        copy_in(root, Path::new(lib))?;
    }
    let _ = copy_in(root, Path::new("/etc/ssl/certs/ca-certificates.crt"));
    // `sleep`, so a container of this image can stand in for a long-running application, and
    // `tail`, whose `tail /dev/zero` fills any memory limit (an app being OOM-killed).
    copy_in(root, Path::new("/bin/sleep"))?;
    copy_in(root, Path::new("/usr/bin/tail"))?;
    std::fs::write(root.join("etc/passwd"), "root:x:0:0::/:/sbin/nologin\ndoctor:x:10001:10001::/tmp:/sbin/nologin\n")
        .map_err(|e| e.to_string())?;
    std::fs::write(root.join("etc/group"), "root:x:0:\ndoctor:x:10001:\n").map_err(|e| e.to_string())?;
    // The previous build's image, removed once this one has the tag: every test run imports
    // anew, and a developer's machine should not collect one untagged 80 MB image per run.
    let previous = Command::new("docker")
        .args(["image", "inspect", "--format", "{{.Id}}", IMAGE])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    let tar = Command::new("tar")
        .args(["-C", root.to_str().unwrap(), "-cf", "-", "."])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let out = Command::new("docker")
        .args(["import", "--change", "USER doctor", "--change", "ENTRYPOINT [\"/openai-doctor\"]", "-", IMAGE])
        .stdin(tar.stdout.unwrap())
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!("docker import failed: {}", String::from_utf8_lossy(&out.stderr).trim()));
    }
    if let Some(id) =
        previous.filter(|id| !String::from_utf8_lossy(&out.stdout).contains(id.trim_start_matches("sha256:")))
    {
        // Fails harmlessly while another test run still has a container of it.
        let _ = Command::new("docker").args(["image", "rm", &id]).output();
    }
    Ok(())
}

/// The image, built once per test process.
pub fn image() -> Result<&'static str, String> {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    BUILT.get_or_init(|| build(&assert_cmd::cargo::cargo_bin("openai-doctor"))).clone().map(|()| IMAGE)
}

/// Skips (or, in CI, fails) a test that needs Docker.
pub fn unavailable(test: &str, why: &str) {
    assert!(std::env::var_os("CI").is_none(), "CI must run {test} (Docker is on these machines): {why}");
    eprintln!("SKIPPED {test}: needs Docker: {why}");
}

/// `docker run --rm` with `flags`, the image, and the doctor's `args`; (exit code, stdout, stderr).
pub fn run(flags: &[&str], args: &[&str]) -> (i32, String, String) {
    let out =
        Command::new("docker").args(["run", "--rm"]).args(flags).arg(IMAGE).args(args).output().expect("docker runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `docker ARGS`; its output.
pub fn cli(args: &[&str]) -> std::process::Output {
    Command::new("docker").args(args).output().expect("docker runs")
}

/// An application container of the image: `sleep 60` with no network and `flags`; removed when
/// dropped, so a failing assertion leaves nothing running.
pub struct App {
    /// Its name, `openai-doctor-test-<tag>-<pid>` (the loopback audit admits `container:` it).
    pub name: String,
}

impl App {
    /// Starts it; panics with Docker's words when it does not start.
    pub fn start(tag: &str, flags: &[&str]) -> Self {
        let app = Self { name: format!("openai-doctor-test-{tag}-{}", std::process::id()) };
        let mut args = vec!["run", "-d", "--rm", "--name", &app.name, "--network", "none"];
        args.extend(flags);
        args.extend(["--entrypoint", "/bin/sleep", IMAGE, "60"]);
        let out = cli(&args);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        app
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = Command::new("docker").args(["rm", "-f", &self.name]).output();
    }
}

/// A user-defined `--internal` network (no route out of it); removed when dropped.
pub struct InternalNet {
    /// Its name, `openai-doctor-test-net-<pid>` (the loopback audit admits it as internal).
    pub name: String,
}

impl InternalNet {
    /// Creates it; panics with Docker's words when it cannot.
    pub fn create() -> Self {
        let net = Self { name: format!("openai-doctor-test-net-{}", std::process::id()) };
        let out = cli(&["network", "create", "--internal", &net.name]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        net
    }

    /// Its IPv4 subnet's first three octets (`172.18.0`).
    pub fn prefix(&self) -> String {
        let out = cli(&["network", "inspect", "--format", "{{range .IPAM.Config}}{{.Subnet}}{{end}}", &self.name]);
        let subnet = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        let prefix = subnet.rsplit_once('.').map(|(p, _)| p.to_owned()).unwrap_or_default();
        assert!(prefix.split('.').count() == 3, "an IPv4 subnet: {subnet}");
        prefix
    }
}

impl Drop for InternalNet {
    fn drop(&mut self) {
        let _ = Command::new("docker").args(["network", "rm", &self.name]).output();
    }
}
