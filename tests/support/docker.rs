//! The doctor in real containers: the repository's Dockerfile built offline by `scripts/image` (no
//! image can be pulled on these machines) around the binary under test, run as a non-root user. `Err` says why Docker cannot be used, for the test to
//! say so in one line and skip (CI, which has Docker, must run them).

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

/// The image tag the tests run: one per test process (`openai-doctor-test:run-<pid>`), removed
/// when the process is gone (see `reap`), so a shared Docker host keeps no image of ours and
/// two test runs never replace each other's.
pub fn image_tag() -> &'static str {
    static TAG: OnceLock<String> = OnceLock::new();
    TAG.get_or_init(|| format!("openai-doctor-test:run-{}", std::process::id()))
}

/// Removes `tags` once this test process has exited: a detached watcher (the test harness has no
/// hook at exit), in its own session so an interrupted run still cleans up.
fn reap(tags: &[&str]) {
    let script = format!(
        "while kill -0 {} 2>/dev/null; do sleep 2; done; docker image rm {} >/dev/null 2>&1",
        std::process::id(),
        tags.join(" ")
    );
    let detached = |program: &str, args: &[&str]| {
        Command::new(program)
            .args(args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
    };
    // `setsid -f` forks the watcher and returns at once: waited for, it leaves no zombie.
    if detached("setsid", &["-f", "sh", "-c", &script]).and_then(|mut c| c.wait()).is_err() {
        let _ = detached("sh", &["-c", &script]);
    }
}

fn docker_ok() -> Result<(), String> {
    match Command::new("docker").args(["info", "--format", "{{.ServerVersion}}"]).output() {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => Err(format!("the Docker daemon does not answer: {}", String::from_utf8_lossy(&o.stderr).trim())),
        Err(e) => Err(format!("docker is not installed: {e}")),
    }
}

/// The repository's image as `scripts/image` builds it offline (the Dockerfile's own final stage
/// on a runtime with glibc and CA certificates, user 65532) from the binary under test, plus one
/// layer with `sleep`, so a container of it can stand in for a long-running application, `tail`,
/// whose `tail /dev/zero` fills any memory limit (an app being OOM-killed), and tinyproxy (libc
/// only), the egress proxy.
fn build(binary: &Path) -> Result<(), String> {
    docker_ok()?;
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let image = image_tag();
    let base = format!("{image}-base");
    let out = Command::new(repo.join("scripts/image"))
        .args(["--binary".as_ref(), binary.as_os_str(), "--tag".as_ref(), base.as_ref()])
        .output()
        .map_err(|e| format!("scripts/image: {e}"))?;
    if !out.status.success() {
        return Err(format!("scripts/image failed: {}", String::from_utf8_lossy(&out.stderr).trim()));
    }
    reap(&[&base]);
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let tinyproxy = super::tinyproxy::binary();
    let tools =
        [(Path::new("/bin/sleep"), "sleep"), (Path::new("/usr/bin/tail"), "tail"), (tinyproxy.as_path(), "tinyproxy")];
    for (tool, name) in tools {
        std::fs::copy(tool, dir.path().join(name)).map_err(|e| format!("{}: {e}", tool.display()))?;
    }
    // The egress tests' proxy: any client on the test network, any port, no Via header.
    std::fs::write(
        dir.path().join("tinyproxy.conf"),
        "Port 8888\nListen 0.0.0.0\nTimeout 30\nMaxClients 20\nLogLevel Info\nDisableViaHeader Yes\n",
    )
    .map_err(|e| e.to_string())?;
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!(
            "FROM {base}\nCOPY sleep /bin/sleep\nCOPY tail /usr/bin/tail\nCOPY tinyproxy /usr/bin/tinyproxy\n\
             COPY tinyproxy.conf /etc/tinyproxy.conf\nLABEL org.opencontainers.image.title=\"openai-doctor\"\n"
        ),
    )
    .map_err(|e| e.to_string())?;
    let out = Command::new("docker")
        .args(["build", "-q", "--network", "none", "-t", image])
        .arg(dir.path())
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!("docker build failed: {}", String::from_utf8_lossy(&out.stderr).trim()));
    }
    // Removing the last tag of each removes the layers only this run made.
    reap(&[image]);
    Ok(())
}

/// The image, built once per test process.
pub fn image() -> Result<&'static str, String> {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    BUILT.get_or_init(|| build(&assert_cmd::cargo::cargo_bin("openai-doctor"))).clone().map(|()| image_tag())
}

/// A slim application image with no CA certificates at all (as `FROM debian:slim` without
/// `ca-certificates`): `sleep`, its libraries, a passwd with user 65532, and `sleep` again under the
/// name `/usr/local/bin/python3`, a stand-in whose executable name is all a Python app shows from
/// outside (no interpreter). Imported from a tar of this machine's files: nothing is pulled.
pub fn slim_image() -> Result<&'static str, String> {
    static TAG: OnceLock<String> = OnceLock::new();
    let slim: &'static str = TAG.get_or_init(|| format!("openai-doctor-test-slim:run-{}", std::process::id()));
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            docker_ok()?;
            let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
            let root = dir.path();
            let put = |from: &Path, to: &str| -> Result<(), String> {
                let dest = root.join(to.trim_start_matches('/'));
                std::fs::create_dir_all(dest.parent().unwrap()).map_err(|e| e.to_string())?;
                std::fs::copy(from, &dest).map(|_| ()).map_err(|e| format!("{}: {e}", from.display()))
            };
            put(Path::new("/bin/sleep"), "/bin/sleep")?;
            put(Path::new("/bin/sleep"), "/usr/local/bin/python3")?;
            let ldd = Command::new("ldd").arg("/bin/sleep").output().map_err(|e| format!("ldd: {e}"))?;
            for lib in String::from_utf8_lossy(&ldd.stdout).split_whitespace().filter(|w| w.starts_with('/')) {
                put(Path::new(lib), lib)?;
            }
            std::fs::create_dir_all(root.join("etc")).map_err(|e| e.to_string())?;
            std::fs::write(
                root.join("etc/passwd"),
                "root:x:0:0::/root:/sbin/nologin\nnonroot:x:65532:65532::/home/nonroot:/sbin/nologin\n",
            )
            .map_err(|e| e.to_string())?;
            let tar = Command::new("tar").arg("-C").arg(root).args(["-c", "."]).output().map_err(|e| e.to_string())?;
            let mut import = Command::new("docker")
                .args(["import", "--change", "USER 65532", "-", slim])
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::null())
                .spawn()
                .map_err(|e| e.to_string())?;
            std::io::Write::write_all(&mut import.stdin.take().unwrap(), &tar.stdout).map_err(|e| e.to_string())?;
            let status = import.wait().map_err(|e| e.to_string())?;
            if !status.success() {
                return Err("docker import of the slim image failed".to_owned());
            }
            // Removed when this test process is gone, as the doctor's image is.
            reap(&[slim]);
            Ok(())
        })
        .clone()
        .map(|()| slim)
}

/// Skips (or, in CI, fails) a test that needs Docker.
pub fn unavailable(test: &str, why: &str) {
    assert!(std::env::var_os("CI").is_none(), "CI must run {test} (Docker is on these machines): {why}");
    crate::support::record_skip(test, &format!("needs Docker: {why}"));
}

/// `docker run --rm` with `flags`, the image, and the doctor's `args`; (exit code, stdout, stderr).
pub fn run(flags: &[&str], args: &[&str]) -> (i32, String, String) {
    let out = Command::new("docker")
        .args(["run", "--rm"])
        .args(flags)
        .arg(image_tag())
        .args(args)
        .output()
        .expect("docker runs");
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

/// A detached container of the image, named `openai-doctor-test-<tag>-<pid>` (the loopback
/// audit admits `container:` it) and removed when dropped, so a failing assertion leaves nothing
/// running.
pub struct Container {
    pub name: String,
}

impl Container {
    /// `docker run -d --rm --name NAME NETWORK FLAGS --entrypoint ENTRYPOINT IMAGE ARGS`; panics
    /// with Docker's words when it does not start.
    fn run(tag: &str, network: &[&str], flags: &[&str], entrypoint: &str, args: &[&str]) -> Self {
        Self::run_image(image_tag(), tag, network, flags, entrypoint, args)
    }

    fn run_image(image: &str, tag: &str, network: &[&str], flags: &[&str], entrypoint: &str, args: &[&str]) -> Self {
        let c = Self { name: format!("openai-doctor-test-{tag}-{}", std::process::id()) };
        let mut argv = vec!["run", "-d", "--rm", "--name", &c.name];
        argv.extend(network);
        argv.extend(flags);
        argv.extend(["--entrypoint", entrypoint, image]);
        argv.extend(args);
        let out = cli(&argv);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        c
    }

    /// An application: `sleep 60` with no network and `flags`.
    pub fn app(tag: &str, flags: &[&str]) -> Self {
        Self::run(tag, &["--network", "none"], flags, "/bin/sleep", &["60"])
    }

    /// An application of `image` on `net`: `program 60` (a `sleep`) with `flags`, named by `tag`.
    pub fn app_of(image: &str, tag: &str, net: &InternalNet, flags: &[&str], program: &str) -> Self {
        Self::run_image(image, tag, &["--network", &net.name], flags, program, &["60"])
    }

    /// A service on `net`, reachable there as `alias`: `entrypoint` with `args` (the simulated
    /// API, tinyproxy).
    pub fn service(alias: &str, net: &InternalNet, flags: &[&str], entrypoint: &str, args: &[&str]) -> Self {
        Self::service_as(alias, alias, net, flags, entrypoint, args)
    }

    /// As `service`, named by `tag` (two tests running at once may both want an `api`).
    pub fn service_as(
        tag: &str,
        alias: &str,
        net: &InternalNet,
        flags: &[&str],
        entrypoint: &str,
        args: &[&str],
    ) -> Self {
        Self::run(tag, &["--network", &net.name, "--network-alias", alias], flags, entrypoint, args)
    }

    /// Joins another test network as `alias` too.
    pub fn join(&self, net: &InternalNet, alias: &str) {
        let out = cli(&["network", "connect", "--alias", alias, &net.name, &self.name]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }

    /// Its output so far (for a failing assertion's message).
    pub fn logs(&self) -> String {
        let out = cli(&["logs", &self.name]);
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    }
}

impl Drop for Container {
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
        Self::named("net")
    }

    /// Creates `openai-doctor-test-<tag>-<pid>`.
    pub fn named(tag: &str) -> Self {
        let net = Self { name: format!("openai-doctor-test-{tag}-{}", std::process::id()) };
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
