//! The doctor inside real Docker containers with real limits (needs Docker; says so and skips
//! without it, and CI must run it): the container check reports the limits the container was
//! given, and `--network none` is named as the root cause instead of a DNS, TLS or proxy error.

use serde_json::Value;

use crate::support::FAKE_KEY;
use crate::support::docker;

fn check(doc: &Value, id: &str) -> Value {
    doc["checks"].as_array().unwrap().iter().find(|c| c["id"] == id).cloned().unwrap()
}

#[test]
fn the_container_check_reports_the_limits_docker_set() {
    if let Err(why) = docker::image() {
        return docker::unavailable("the_container_check_reports_the_limits_docker_set", &why);
    }
    let (code, stdout, stderr) = docker::run(
        &["-m", "64m", "--memory-swap", "64m", "--cpus", "0.5", "--pids-limit", "64", "--network", "none"],
        &["--only", "container", "--format", "json"],
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    let c = check(&doc, "container");
    let cg = &c["details"]["cgroup"];
    assert_eq!(cg["memory_limit"], 64 * 1024 * 1024, "{c}");
    assert_eq!(cg["cpu_quota_cores"], 0.5, "{c}");
    assert_eq!(cg["pids_max"], 64, "{c}");
    assert!(c["summary"].as_str().unwrap().contains("limits 64 MiB, 0.5 CPU, 64 processes"), "{c}");
    assert!(c["details"]["runtime"].as_str().unwrap_or("").contains("Docker"), "{c}");
}

#[test]
fn the_summary_states_each_limit_set() {
    if let Err(why) = docker::image() {
        return docker::unavailable("the_summary_states_each_limit_set", &why);
    }
    let (code, stdout, stderr) = docker::run(
        &["--memory", "96m", "--cpus", "0.25", "--pids-limit", "32", "--cpuset-cpus", "0", "--network", "none"],
        &["--only", "container"],
    );
    // A quota under half a CPU is a warning (exit 0); the table is what a user reads.
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let table = stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(table.contains("in a Docker container, limits 96 MiB, 0.25 CPU, 32 processes, 1 CPU usable"), "{stdout}");
    assert!(!table.contains("1 CPUs"), "{stdout}");
}

#[test]
fn an_oom_kill_in_the_container_before_the_run_is_reported() {
    if let Err(why) = docker::image() {
        return docker::unavailable("an_oom_kill_in_the_container_before_the_run_is_reported", &why);
    }
    let app = docker::Container::app("oom", &["-m", "32m", "--memory-swap", "32m"]);
    // The app's memory runs out: the kernel kills it (137), the container lives on.
    let hog = docker::cli(&["exec", &app.name, "/usr/bin/tail", "/dev/zero"]);
    let doctor =
        docker::cli(&["exec", &app.name, "/usr/local/bin/openai-doctor", "--only", "container", "--format", "json"]);
    drop(app);
    assert_eq!(hog.status.code(), Some(137), "tail /dev/zero was OOM-killed: {hog:?}");
    let stdout = String::from_utf8_lossy(&doctor.stdout);
    assert_eq!(doctor.status.code(), Some(0), "a warning, not a failure: {stdout}");
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    let c = check(&doc, "container");
    assert_eq!(c["details"]["cgroup"]["oom_kills"], 1, "{c}");
    let oom = c["findings"].as_array().unwrap().iter().find(|f| f["code"] == "container.oom_killed");
    let oom = oom.unwrap_or_else(|| panic!("no container.oom_killed: {c}"));
    assert_eq!(oom["severity"], "warn", "{oom}");
    assert!(oom["message"].as_str().unwrap().starts_with("1 process in this cgroup was killed"), "{oom}");
}

#[test]
fn dockers_embedded_dns_with_a_dead_upstream_is_named_within_the_deadline() {
    if let Err(why) = docker::image() {
        return docker::unavailable("dockers_embedded_dns_with_a_dead_upstream_is_named_within_the_deadline", &why);
    }
    // A user-defined network (so 127.0.0.11 in resolv.conf), internal (so nothing leaves it),
    // whose containers' upstream nameserver is an address where nothing answers any more.
    let net = docker::InternalNet::create();
    let prefix = net.prefix();
    let upstream = format!("{prefix}.250");
    let started = std::time::Instant::now();
    let (code, stdout, stderr) = docker::run(
        &["--network", &net.name, "--dns", &upstream],
        &["--only", "dns", "--format", "json", "--deadline", "20"],
    );
    let took = started.elapsed();
    drop(net);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(took < std::time::Duration::from_secs(20), "within the deadline: {took:?}");
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    let d = check(&doc, "dns");
    let f = d["findings"].as_array().unwrap().iter().find(|f| f["severity"] == "fail").cloned();
    let f = f.unwrap_or_else(|| panic!("no failing finding: {d}"));
    assert_eq!(f["code"], "dns.timeout", "{d}");
    assert!(f["message"].as_str().unwrap().contains("127.0.0.11 is Docker's embedded DNS"), "{f}");
    assert!(f["remedy"].as_str().unwrap().contains("daemon.json"), "{f}");
}

#[test]
fn no_network_is_the_root_cause_not_a_dns_error() {
    if let Err(why) = docker::image() {
        return docker::unavailable("no_network_is_the_root_cause_not_a_dns_error", &why);
    }
    let key = format!("OPENAI_API_KEY={FAKE_KEY}");
    let (code, stdout, stderr) = docker::run(
        &["--network", "none", "-e", &key],
        &["--skip", "status,container", "--format", "json", "--deadline", "10"],
    );
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(!stdout.contains(FAKE_KEY) && !stderr.contains(FAKE_KEY));
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["verdict"]["root_cause"], "dns", "{doc}");
    let d = check(&doc, "dns");
    assert_eq!(d["findings"][0]["code"], "dns.no_network", "{d}");
}

#[test]
fn no_key_is_reported_when_the_network_fails_too() {
    if let Err(why) = docker::image() {
        return docker::unavailable("no_key_is_reported_when_the_network_fails_too", &why);
    }
    // No OPENAI_API_KEY, and no lookup can succeed (--network none).
    let (code, stdout, stderr) =
        docker::run(&["--network", "none"], &["--skip", "status,container", "--deadline", "10"]);
    let (_, json, _) =
        docker::run(&["--network", "none"], &["--skip", "status,container", "--format", "json", "--deadline", "10"]);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    let doc: Value = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
    assert_eq!(doc["verdict"]["root_cause"], "dns", "{doc}");
    let probe = check(&doc, "probe");
    assert_eq!(probe["blocked_by"], "dns", "{probe}");
    assert_eq!(probe["findings"][0]["code"], "probe.no_key", "{probe}");
    assert!(doc["verdict"]["summary"].as_str().unwrap().ends_with("also: probe: OPENAI_API_KEY is not set"), "{doc}");
    let table = stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(table.contains("without the network: OPENAI_API_KEY is not set"), "{stdout}");
}

#[test]
fn an_ipv6_only_host_without_an_ipv6_route_is_one_sentence() {
    if let Err(why) = docker::image() {
        return docker::unavailable("an_ipv6_only_host_without_an_ipv6_route_is_one_sentence", &why);
    }
    // A network (internal, so nothing leaves it) without IPv6; the API host's only address is IPv6.
    let net = docker::InternalNet::named("v6");
    let flags = ["--network", net.name.as_str(), "--add-host", "api6:fd00::1", "-e", "OPENAI_BASE_URL=https://api6/v1"];
    let (code, stdout, stderr) =
        docker::run(&flags, &["--skip", "status,container", "--format", "json", "--deadline", "10"]);
    let (_, table, _) = docker::run(&flags, &["--skip", "status,container", "--deadline", "10"]);
    drop(net);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    let doc: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(doc["verdict"]["root_cause"], "tls", "{doc}");
    let tls = check(&doc, "tls");
    assert_eq!(tls["summary"], "api6 resolves only to IPv6 here, and this machine has no IPv6 route", "{tls}");
    assert_eq!(tls["findings"][0]["code"], "tls.ipv6_no_route", "{tls}");
    let table = table.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        table.contains("root cause: tls — api6 resolves only to IPv6 here, and this machine has no IPv6 route"),
        "{table}"
    );
    assert!(!table.contains("network unreachable"), "{table}");
}

#[test]
fn no_network_is_named_when_no_lookup_fails_first() {
    if let Err(why) = docker::image() {
        return docker::unavailable("no_network_is_named_when_no_lookup_fails_first", &why);
    }
    // An IP address leaves nothing for dns to fail on: the connection is where it shows.
    for (env, root, code) in [
        ("OPENAI_BASE_URL=https://10.9.9.9/v1", "tls", "tls.no_network"),
        ("HTTPS_PROXY=http://10.9.9.9:3128", "proxy", "proxy.no_network"),
    ] {
        let (exit, stdout, stderr) = docker::run(
            &["--network", "none", "-e", env],
            &["--skip", "status,container", "--format", "json", "--deadline", "10"],
        );
        assert_eq!(exit, 1, "{env}: {stdout}\n{stderr}");
        let doc: Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(doc["verdict"]["root_cause"], root, "{env}: {doc}");
        let c = check(&doc, root);
        let failed = c["findings"].as_array().unwrap().iter().find(|f| f["severity"] == "fail").cloned();
        let failed = failed.unwrap_or_else(|| panic!("{env}: no failing finding: {c}"));
        assert_eq!(failed["code"], code, "{env}: {c}");
        assert!(failed["remedy"].as_str().unwrap().contains("--network none"), "{c}");
    }
}

#[test]
fn a_read_only_container_gets_a_clear_bundle_error_naming_a_writable_place() {
    if let Err(why) = docker::image() {
        return docker::unavailable("a_read_only_container_gets_a_clear_bundle_error", &why);
    }
    // Read-only root, no tmpfs: /tmp, $HOME and the working directory are read-only; Docker's
    // /dev/shm (a tmpfs of its own) is the one writable place, and the only one suggested.
    let (code, stdout, stderr) =
        docker::run(&["--read-only", "--network", "none", "-w", "/"], &["--only", "container", "--bundle"]);
    assert_eq!(code, 2, "an input error before the run: {stdout}\n{stderr}");
    assert!(stderr.contains("cannot write in / ("), "the real folder, not `.`: {stderr}");
    assert!(stderr.contains("writable here: /dev/shm (e.g. --bundle /dev/shm)"), "{stderr}");
    assert!(
        !stderr.contains("/tmp") && !stderr.contains("/home/nonroot"),
        "read-only places are not suggested: {stderr}"
    );
    assert!(stdout.is_empty(), "no run, no partial report: {stdout}");
    // The place it suggests works.
    let (code, _, stderr) =
        docker::run(&["--read-only", "--network", "none", "-w", "/"], &["--only", "container", "--bundle", "/dev/shm"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("support bundle /dev/shm/openai-doctor-"), "{stderr}");
    // Without /dev/shm either (--ipc none), no place is writable: how to get one.
    let (code, _, stderr) = docker::run(
        &["--read-only", "--ipc", "none", "--network", "none"],
        &["--only", "container", "--bundle", "/tmp"],
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("cannot write in /tmp ("), "{stderr}");
    assert!(stderr.contains("no writable place found here"), "{stderr}");
    assert!(stderr.contains("--tmpfs /tmp:uid="), "how to get a writable place: {stderr}");
    // With a writable place (a tmpfs), the bundle is written there.
    let (code, _, stderr) = docker::run(
        &["--read-only", "--tmpfs", "/tmp:uid=65532,gid=65532", "--network", "none"],
        &["--only", "container", "--bundle", "/tmp"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("support bundle /tmp/openai-doctor-"), "{stderr}");
}

#[test]
fn pid_diagnoses_an_app_container_from_beside_it() {
    if let Err(why) = docker::image() {
        return docker::unavailable("pid_diagnoses_an_app_container_from_beside_it", &why);
    }
    // The app: its own key, proxy (with a password) and CA variable, a memory limit, no network.
    let app = docker::Container::app(
        "app",
        &[
            "-m",
            "96m",
            "-e",
            "HTTPS_PROXY=http://bob:APPSECRET-31@10.9.9.9:3128",
            "-e",
            "SSL_CERT_FILE=/etc/app-ca.pem",
            "-e",
            "OPENAI_API_KEY=sk-proj-APPKEYSECRET0123456789abcdefghijklmnopqrstuv",
        ],
    );
    let beside = format!("container:{}", app.name);
    // Every output: JSON, the table, the ticket, and a bundle written to a volume.
    let out = tempfile::tempdir().unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(out.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    }
    let volume = format!("{}:/out", out.path().display());
    let only = ["--pid", "1", "--only", "proxy,container", "--deadline", "10s"];
    let runs: Vec<_> =
        [&["--format", "json"][..], &[][..], &["--format", "markdown"][..], &["--bundle", "/out/b.zip"][..]]
            .iter()
            .map(|extra| {
                let args: Vec<&str> = only.iter().chain(extra.iter()).copied().collect();
                docker::run(&["--pid", &beside, "--network", &beside, "-v", &volume], &args)
            })
            .collect();
    drop(app);
    let bundle = crate::bundle::unzip(&crate::bundle::bundle_in(out.path()));
    assert!(bundle.len() > 3, "{:?}", bundle.iter().map(|(n, _)| n).collect::<Vec<_>>());
    for text in runs.iter().flat_map(|(_, o, e)| [o, e]).chain(bundle.iter().map(|(_, t)| t)) {
        for secret in ["APPSECRET-31", "APPKEYSECRET"] {
            assert!(!text.contains(secret), "{secret} leaked:\n{text}");
        }
    }
    let (code, stdout, stderr) = &runs[0];
    assert_ne!(*code, 2, "{stderr}");
    let table = runs[1].1.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(table.contains("as seen by pid 1 (sleep)"), "the table says whose view: {}", runs[1].1);
    assert!(runs[2].1.contains("as seen by pid 1 (sleep)"), "the ticket says whose view: {}", runs[2].1);
    let doc: Value = serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    assert!(doc["target"]["process"].as_str().unwrap().contains("(sleep)"), "{doc}");
    let proxy = check(&doc, "proxy");
    assert!(proxy.to_string().contains("bob:***@10.9.9.9:3128"), "the app's proxy, password hidden: {proxy}");
    let container = check(&doc, "container");
    assert_eq!(container["details"]["cgroup"]["memory_limit"], 96 * 1024 * 1024, "the app's cgroup: {container}");
}

#[test]
fn egress_only_through_a_proxy_and_no_proxy_named_as_the_cause() {
    if let Err(why) = docker::image() {
        return docker::unavailable("egress_only_through_a_proxy_and_no_proxy_named_as_the_cause", &why);
    }
    // Two --internal networks: the app's (`edge`, where only the proxy is) and the proxy's way
    // to the API (`upstream`). The API is the doctor's own simulated one, with a CA it mints.
    let edge = docker::InternalNet::named("edge");
    let upstream = docker::InternalNet::named("upstream");
    let shared = tempfile::tempdir().unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(shared.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    }
    let rw = format!("{}:/shared", shared.path().display());
    let api = docker::Container::service(
        "api",
        &upstream,
        &["-v", &rw],
        "/usr/local/bin/openai-doctor",
        &[
            "simulate",
            "--listen",
            "0.0.0.0:8443",
            "--tls",
            "--tls-name",
            "api",
            "--ca-out",
            "/shared/ca.pem",
            "--quiet",
        ],
    );
    let proxy =
        docker::Container::service("proxy", &edge, &[], "/usr/bin/tinyproxy", &["-d", "-c", "/etc/tinyproxy.conf"]);
    proxy.join(&upstream, "proxy");
    let ca = shared.path().join("ca.pem");
    let waited = std::time::Instant::now();
    while !ca.exists() && waited.elapsed() < std::time::Duration::from_secs(15) {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(ca.exists(), "the simulated API did not start: {}", api.logs());

    let ro = format!("{}:/shared:ro", shared.path().display());
    let key = format!("OPENAI_API_KEY={FAKE_KEY}");
    let run = |env: &[&str]| {
        let mut flags = vec!["--network", &edge.name, "-v", &ro, "-e", "SSL_CERT_FILE=/shared/ca.pem", "-e", &key];
        flags.extend(["-e", "OPENAI_BASE_URL=https://api:8443/v1"]);
        for e in env {
            flags.extend(["-e", e]);
        }
        let (code, stdout, stderr) =
            docker::run(&flags, &["--skip", "status,container", "--format", "json", "--deadline", "20"]);
        assert!(!stdout.contains(FAKE_KEY) && !stderr.contains(FAKE_KEY), "the key leaked");
        let doc: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
        (code, doc)
    };

    // Through the proxy, the whole checklist passes, the billable request included.
    let (code, doc) = run(&["HTTPS_PROXY=http://proxy:8888"]);
    assert_eq!(code, 0, "{doc}\n{}", proxy.logs());
    assert_eq!(check(&doc, "proxy")["status"], "pass", "{doc}");
    assert_eq!(check(&doc, "probe")["status"], "pass", "{doc}");
    assert_eq!(doc["target"]["proxy"], "http://proxy:8888/", "{doc}");
    // The direct lookup of the API host, which clients behind the proxy never make, is reported
    // for information and not waited out (nothing outside answers here).
    let dns = check(&doc, "dns");
    let via = dns["findings"].as_array().unwrap().iter().find(|f| f["code"] == "dns.via_proxy").cloned();
    let via = via.unwrap_or_else(|| panic!("no dns.via_proxy: {dns}"));
    assert_eq!(via["severity"], "info", "{via}");
    eprintln!("egress healthy run: dns took {} ms: {}", dns["duration_ms"], via["message"]);

    // Direct (no proxy variable), the API host is not even a name here.
    let (code, doc) = run(&[]);
    assert_eq!(code, 1, "{doc}");
    assert_eq!(doc["verdict"]["root_cause"], "dns", "{doc}");
    assert_ne!(check(&doc, "dns")["findings"][0]["code"], "dns.no_proxy_bypass", "no proxy, no bypass: {doc}");

    // NO_PROXY covering the API host sends clients direct: that is named as the cause.
    let (code, doc) = run(&["HTTPS_PROXY=http://proxy:8888", "NO_PROXY=localhost,api"]);
    assert_eq!(code, 1, "{doc}");
    assert_eq!(doc["verdict"]["root_cause"], "dns", "{doc}");
    let d = check(&doc, "dns");
    let cause = &d["findings"][0];
    assert_eq!(cause["code"], "dns.no_proxy_bypass", "{d}");
    let msg = cause["message"].as_str().unwrap();
    assert!(msg.starts_with("NO_PROXY entry `api` sends clients straight to api:8443"), "{msg}");
    assert!(msg.contains("through HTTPS_PROXY (http://proxy:8888/)") && msg.contains("CONNECT 200"), "{msg}");
    assert!(cause["remedy"].as_str().unwrap().starts_with("Remove `api` from NO_PROXY"), "{cause}");
    assert!(d["summary"].as_str().unwrap().starts_with("NO_PROXY `api` bypasses HTTPS_PROXY"), "{d}");
    drop((proxy, api));
}

/// The simulated API (a CA minted at start, written to `shared/ca.pem`) on `net` as `api`.
fn simulated_api(net: &docker::InternalNet, shared: &std::path::Path) -> docker::Container {
    let rw = format!("{}:/shared", shared.display());
    let api = docker::Container::service_as(
        "trust-api",
        "api",
        net,
        &["-v", &rw],
        "/usr/local/bin/openai-doctor",
        &[
            "simulate",
            "--listen",
            "0.0.0.0:8443",
            "--tls",
            "--tls-name",
            "api",
            "--ca-out",
            "/shared/ca.pem",
            "--quiet",
        ],
    );
    let ca = shared.join("ca.pem");
    let waited = std::time::Instant::now();
    while !ca.exists() && waited.elapsed() < std::time::Duration::from_secs(15) {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(ca.exists(), "the simulated API did not start: {}", api.logs());
    api
}

fn shared_dir() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let shared = tempfile::tempdir().unwrap();
    std::fs::set_permissions(shared.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    shared
}

#[test]
fn pid_reads_the_apps_trust_store_not_the_doctors() {
    let slim = match docker::image().and_then(|_| docker::slim_image()) {
        Ok(slim) => slim,
        Err(why) => return docker::unavailable("pid_reads_the_apps_trust_store_not_the_doctors", &why),
    };
    let net = docker::InternalNet::named("trust");
    let shared = shared_dir();
    let api = simulated_api(&net, shared.path());
    let ro = format!("{}:/shared:ro", shared.path().display());
    // The doctor itself trusts the simulated API's CA (its own SSL_CERT_FILE): what it found
    // before, judging with its own store, was "no check failed".
    let beside = |app: &docker::Container, format: &[&str]| {
        let with = format!("container:{}", app.name);
        let mut args = vec!["--pid", "1", "--only", "dns,tls", "--deadline", "15"];
        args.extend(format);
        docker::run(&["--pid", &with, "--network", &with, "-v", &ro, "-e", "SSL_CERT_FILE=/shared/ca.pem"], &args)
    };
    let base = "OPENAI_BASE_URL=https://api:8443/v1";
    // An app whose image has no CA certificates at all.
    let bare = docker::Container::app_of(slim, "bare", &net, &["-e", base], "/bin/sleep");
    let (code, stdout, stderr) = beside(&bare, &["--format", "json"]);
    let (_, table, _) = beside(&bare, &[]);
    drop(bare);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    let doc: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    assert_eq!(doc["verdict"]["root_cause"], "tls", "{doc}");
    let tls = check(&doc, "tls");
    let f = &tls["findings"][0];
    assert_eq!(f["code"], "tls.no_ca_certificates", "{tls}");
    let msg = f["message"].as_str().unwrap();
    assert!(msg.starts_with("This container has no CA certificates: install ca-certificates (apt/apk/dnf)"), "{msg}");
    assert!(
        msg.contains("/etc/ssl/certs/ca-certificates.crt") && msg.contains("/proc/1/root"),
        "where it looked: {msg}"
    );
    let anchors = &tls["details"]["trust_anchors"];
    assert_eq!(anchors["system"], 0, "{anchors}");
    assert!(anchors["app"].as_str().unwrap().starts_with("pid 1 (sleep)"), "whose trust: {anchors}");
    let table = table.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(table.contains("This container has no CA certificates"), "{table}");
    // Its resolver configuration and hosts file too: the report says which file of which root.
    let dns = check(&doc, "dns");
    let ns = dns["details"]["nameserver"].as_str().unwrap();
    assert!(ns.ends_with("(/etc/resolv.conf of pid 1 (sleep), read at /proc/1/root/etc/resolv.conf)"), "{dns}");
    assert_eq!(dns["details"]["hosts_file"]["path"], "/proc/1/root/etc/hosts", "{dns}");

    // The same image with the app's own CA bundle (SSL_CERT_FILE in its environment, a file in
    // its root): trusted, and the report names the file and the root it was read in.
    let with_ca = docker::Container::app_of(
        slim,
        "withca",
        &net,
        &["-v", &ro, "-e", base, "-e", "SSL_CERT_FILE=/shared/ca.pem"],
        "/bin/sleep",
    );
    let (code, stdout, stderr) = beside(&with_ca, &["--format", "json"]);
    drop(with_ca);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    let summary = check(&doc, "tls")["summary"].as_str().unwrap().to_owned();
    assert!(summary.contains("; verified with the trust of pid 1 (sleep)"), "{summary}");
    let anchors = &check(&doc, "tls")["details"]["trust_anchors"];
    let files = anchors["files"].to_string();
    assert!(
        files.contains("SSL_CERT_FILE=/shared/ca.pem in the root of pid 1 (sleep) (/proc/1/root): 1 certificate"),
        "{anchors}"
    );

    // A Python app (by its executable's name: a stand-in, no interpreter) whose certifi bundle
    // holds the CA, with no OS store: httpx trusts certifi, so tls passes, and curl/Go would not.
    let certifi = format!(
        "{}:/usr/local/lib/python3.12/site-packages/certifi/cacert.pem:ro",
        shared.path().join("ca.pem").display()
    );
    let python =
        docker::Container::app_of(slim, "python", &net, &["-v", &certifi, "-e", base], "/usr/local/bin/python3");
    let (code, stdout, stderr) = beside(&python, &["--format", "json"]);
    drop((python, api, net));
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    let tls = check(&doc, "tls");
    assert_eq!(tls["status"], "warn", "{tls}");
    let summary = tls["summary"].as_str().unwrap();
    assert!(
        summary.contains("verified with the trust of pid 1 (python3), a Python app (httpx/openai: certifi): /usr/local/lib/python3.12/site-packages/certifi/cacert.pem in the root of pid 1 (python3) (/proc/1/root): 1 certificate"),
        "{summary}"
    );
    let f = &tls["findings"][0];
    assert_eq!(f["code"], "tls.client_trust", "the OS store is empty for curl and Go: {tls}");
    assert!(
        f["message"].as_str().unwrap()
            == "the client of pid 1 (python3), a Python app (httpx/openai: certifi) trusts this chain, but these clients would not: curl, Go, OS tools, Python requests, Node.js openai",
        "{f}"
    );
}
