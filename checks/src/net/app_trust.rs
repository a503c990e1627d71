//! With `--pid`, the trust anchors the diagnosed app's TLS client uses, read through
//! `/proc/PID/root` as that client reads them: the OS bundle paths of each distribution family
//! (and `SSL_CERT_FILE`/`SSL_CERT_DIR`) for curl, Go and OpenSSL-based tools; certifi's
//! `cacert.pem` in the app's Python environment, which httpx (openai-python) uses instead of the OS
//! store; Node's bundled roots plus `NODE_EXTRA_CA_CERTS`. Never the doctor's own store: an app
//! image without CA certificates must fail where the app fails.

use std::path::{Path, PathBuf};

use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;

use crate::config::{Config, in_root};

/// The bundle files of the OS store, in the order Go looks for them (the first that exists is
/// the store): Debian/Ubuntu/Alpine, Fedora/RHEL, openSUSE, OpenELEC, CentOS/RHEL 7+, Alpine's
/// symlink, SUSE's generated bundle.
pub const OS_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/tls/cacert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
    "/var/lib/ca-certificates/ca-bundle.pem",
];

/// Directories of single certificates, read when no bundle file exists.
const OS_DIRS: &[&str] = &["/etc/ssl/certs", "/etc/pki/tls/certs"];

/// Which kind of client the app is, from its executable and command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runtime {
    /// A Python interpreter (openai-python over httpx: certifi unless `SSL_CERT_FILE`).
    Python,
    /// Node.js (its bundled Mozilla roots plus `NODE_EXTRA_CA_CERTS`).
    Node,
    /// Anything else: curl, Go and OpenSSL-based programs read the OS store.
    Other,
}

/// The app's trust, as read.
#[derive(Debug)]
pub struct AppTrust {
    /// The store the app's own client verifies with.
    pub client: RootCertStore,
    /// The OS store of the app's root (what curl and Go there use).
    pub os: RootCertStore,
    /// Whose client, in words: `pid 1 (python3), a Python app (httpx/openai)`.
    pub whose: String,
    /// Every file read, with its root and what it gave: `/proc/1/root/etc/ssl/certs/ca-certificates.crt: 140 certificates`.
    pub files: Vec<String>,
    /// Where it looked and found nothing (for the "no CA certificates" finding).
    pub looked: Vec<String>,
    /// Files that exist but could not be used.
    pub errors: Vec<String>,
    /// The certifi bundle a Python app's client uses, as shown (`/usr/lib/…/cacert.pem`).
    pub certifi: Option<String>,
}

/// The app's runtime: `/proc/PID/exe`'s name, else its `argv[0]`.
fn runtime_of(pid: u32) -> (Runtime, Vec<String>) {
    let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok();
    let argv: Vec<String> = std::fs::read(format!("/proc/{pid}/cmdline"))
        .unwrap_or_default()
        .split(|b| *b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    let names = exe
        .iter()
        .filter_map(|e| e.file_name()?.to_str().map(str::to_owned))
        .chain(argv.first().and_then(|a| Path::new(a).file_name()?.to_str().map(str::to_owned)));
    let mut kind = Runtime::Other;
    for name in names {
        if name.starts_with("python") || name.starts_with("pypy") {
            kind = Runtime::Python;
            break;
        }
        if name == "node" || name == "nodejs" {
            kind = Runtime::Node;
            break;
        }
    }
    (kind, argv)
}

/// A PEM bundle's certificates (an error when unreadable or holding none).
fn read_bundle(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    use rustls::pki_types::pem::PemObject;
    let bytes = crate::fsread::read_regular(path, "CA bundle", crate::fsread::CA_FILE_LIMIT)?;
    // Unparsable blocks are skipped, as OpenSSL skips them in a bundle.
    let certs: Vec<_> = CertificateDer::pem_slice_iter(&bytes).filter_map(Result::ok).collect();
    if certs.is_empty() {
        return Err(format!("{} holds no certificate", path.display()));
    }
    Ok(certs)
}

/// Certificates of every regular file in `dir` (hashed links and `.pem`/`.crt` files alike).
/// Each entry's links are followed inside `root` (the hashed names link to
/// /usr/share/ca-certificates/…, absolute).
fn read_dir_certs(root: &Path, dir: &str) -> Vec<CertificateDer<'static>> {
    let Ok(entries) = std::fs::read_dir(in_root(root, dir)) else { return Vec::new() };
    let mut out = Vec::new();
    for e in entries.flatten().take(2_000) {
        let Some(name) = e.file_name().to_str().map(str::to_owned) else { continue };
        if let Ok(certs) = read_bundle(&in_root(root, &format!("{}/{name}", dir.trim_end_matches('/')))) {
            out.extend(certs);
        }
    }
    out
}

impl AppTrust {
    fn add(&mut self, to_client: bool, shown: String, certs: Vec<CertificateDer<'static>>) -> usize {
        let store = if to_client { &mut self.client } else { &mut self.os };
        let (added, ignored) = store.add_parsable_certificates(certs);
        if ignored > 0 {
            self.errors.push(format!("{shown}: {ignored} certificate(s) could not be used"));
        }
        added
    }

    /// The OS store of the app's root, as OpenSSL and Go read it: `SSL_CERT_FILE`, else the first
    /// bundle file that exists, else the certificate directories (and `SSL_CERT_DIR`).
    fn read_os(&mut self, cfg: &Config, root_dir: &Path) {
        let env = &cfg.env;
        let root = root_label(cfg);
        if let Some(file) = env.non_empty("SSL_CERT_FILE") {
            let path = in_root(root_dir, file);
            match read_bundle(&path) {
                Ok(certs) => {
                    let n = self.add(false, file.to_owned(), certs);
                    self.files.push(format!(
                        "SSL_CERT_FILE={file} in {root}: {} (OS store)",
                        crate::model::plural(n, "certificate")
                    ));
                }
                Err(e) => self.errors.push(format!("SSL_CERT_FILE={file} in {root}: {e}")),
            }
            return;
        }
        for bundle in OS_BUNDLES {
            let path = in_root(root_dir, bundle);
            if !path.is_file() {
                self.looked.push((*bundle).to_owned());
                continue;
            }
            match read_bundle(&path) {
                Ok(certs) => {
                    let n = self.add(false, (*bundle).to_owned(), certs);
                    self.files
                        .push(format!("{bundle} in {root}: {} (OS store)", crate::model::plural(n, "certificate")));
                    return;
                }
                Err(e) => self.errors.push(format!("{bundle} in {root}: {e}")),
            }
        }
        let dirs = env.non_empty("SSL_CERT_DIR").map(|d| d.split(':').map(str::to_owned).collect::<Vec<_>>());
        for dir in dirs.unwrap_or_else(|| OS_DIRS.iter().map(|d| (*d).to_owned()).collect()) {
            let certs = read_dir_certs(root_dir, &dir);
            if certs.is_empty() {
                self.looked.push(format!("{dir}/"));
            } else {
                let n = self.add(false, dir.clone(), certs);
                self.files.push(format!("{dir}/ in {root}: {} (OS store)", crate::model::plural(n, "certificate")));
            }
        }
    }

    /// certifi's `cacert.pem` in the app's Python environment.
    fn certifi(cfg: &Config, root_dir: &Path, argv: &[String]) -> Option<(String, PathBuf)> {
        let env = &cfg.env;
        // Where site-packages can be: the venv (VIRTUAL_ENV, or argv[0]'s bin/..), PYTHONPATH,
        // the user site, and the system prefixes.
        let mut prefixes: Vec<String> = Vec::new();
        prefixes.extend(env.non_empty("VIRTUAL_ENV").map(str::to_owned));
        if let Some(bin) = argv.first().filter(|a| a.starts_with('/')).and_then(|a| Path::new(a).parent()) {
            prefixes.extend(bin.parent().and_then(|p| p.to_str()).map(str::to_owned));
        }
        prefixes.extend(env.non_empty("PYTHONUSERBASE").map(str::to_owned));
        prefixes.extend(env.non_empty("HOME").map(|h| format!("{h}/.local")));
        prefixes.extend(["/usr/local", "/usr", "/opt/conda", "/opt/venv", "/app/.venv"].map(str::to_owned));
        let mut dirs: Vec<String> =
            env.non_empty("PYTHONPATH").map(|p| p.split(':').map(str::to_owned).collect()).unwrap_or_default();
        for prefix in prefixes {
            let lib = in_root(root_dir, &format!("{prefix}/lib"));
            let Ok(entries) = std::fs::read_dir(&lib) else { continue };
            let mut pys: Vec<String> = entries
                .flatten()
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| n.starts_with("python3") || n == "python")
                .collect();
            pys.sort();
            for py in pys.iter().rev() {
                dirs.push(format!("{prefix}/lib/{py}/site-packages"));
                dirs.push(format!("{prefix}/lib/{py}/dist-packages"));
            }
            if prefix == "/usr" {
                dirs.push("/usr/lib/python3/dist-packages".to_owned());
            }
        }
        dirs.into_iter().find_map(|d| {
            let shown = format!("{d}/certifi/cacert.pem");
            let path = in_root(root_dir, &shown);
            path.is_file().then_some((shown, path))
        })
    }

    /// Reads the app's trust (`cfg.pid` set) the way its client does.
    #[must_use]
    pub fn read(cfg: &Config) -> Self {
        let pid = cfg.pid.unwrap_or(0);
        let (runtime, argv) = runtime_of(pid);
        Self::read_in(cfg, Path::new(&format!("/proc/{pid}/root")), runtime, &argv)
    }

    /// Reads the trust of an app of `runtime` started as `argv`, whose root is `root_dir`.
    #[must_use]
    pub fn read_in(cfg: &Config, root_dir: &Path, runtime: Runtime, argv: &[String]) -> Self {
        let mut t = Self {
            client: RootCertStore::empty(),
            os: RootCertStore::empty(),
            whose: String::new(),
            files: Vec::new(),
            looked: Vec::new(),
            errors: Vec::new(),
            certifi: None,
        };
        let pid = cfg.pid.unwrap_or(0);
        let owner = cfg.env.owner().map_or_else(|| format!("pid {pid}"), str::to_owned);
        let root = root_label(cfg);
        t.read_os(cfg, root_dir);
        match runtime {
            Runtime::Python => {
                // httpx (openai-python): SSL_CERT_FILE or SSL_CERT_DIR replace certifi; else certifi.
                if cfg.env.non_empty("SSL_CERT_FILE").is_some() || cfg.env.non_empty("SSL_CERT_DIR").is_some() {
                    t.client = t.os.clone();
                    t.whose = format!("{owner}, a Python app (httpx/openai: SSL_CERT_FILE/SSL_CERT_DIR)");
                } else if let Some((shown, path)) = Self::certifi(cfg, root_dir, argv) {
                    match read_bundle(&path) {
                        Ok(certs) => {
                            let n = t.add(true, shown.clone(), certs);
                            t.files.push(format!(
                                "{shown} in {root}: {} (certifi)",
                                crate::model::plural(n, "certificate")
                            ));
                            t.certifi = Some(shown.clone());
                        }
                        Err(e) => t.errors.push(format!("{shown} in {root}: {e}")),
                    }
                    t.whose = format!("{owner}, a Python app (httpx/openai: certifi)");
                } else {
                    t.looked.push("certifi/cacert.pem in the app's site-packages".to_owned());
                    t.client = t.os.clone();
                    t.whose = format!("{owner}, a Python app without certifi (Python's ssl: the OS store)");
                }
            }
            Runtime::Node => {
                t.client = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
                t.files.push(format!("Node.js bundled roots: {} certificates", t.client.len()));
                if let Some(extra) = cfg.env.non_empty("NODE_EXTRA_CA_CERTS") {
                    match read_bundle(&in_root(root_dir, extra)) {
                        Ok(certs) => {
                            let n = t.add(true, extra.to_owned(), certs);
                            t.files.push(format!(
                                "NODE_EXTRA_CA_CERTS={extra} in {root}: {}",
                                crate::model::plural(n, "certificate")
                            ));
                        }
                        Err(e) => t.errors.push(format!("NODE_EXTRA_CA_CERTS={extra} in {root}: {e}")),
                    }
                }
                let system = cfg.env.non_empty("NODE_USE_SYSTEM_CA") == Some("1")
                    || argv.iter().any(|a| a == "--use-system-ca")
                    || cfg.env.non_empty("NODE_OPTIONS").is_some_and(|o| o.contains("--use-system-ca"));
                if system {
                    t.client.roots.extend(t.os.roots.iter().cloned());
                }
                t.whose = format!("{owner}, a Node.js app (bundled roots + NODE_EXTRA_CA_CERTS)");
            }
            Runtime::Other => {
                t.client = t.os.clone();
                t.whose = format!("{owner} (curl, Go, OpenSSL-based clients: the OS store)");
            }
        }
        t
    }
}

/// `the root of pid 1 (python3) (/proc/1/root)`.
fn root_label(cfg: &Config) -> String {
    let pid = cfg.pid.unwrap_or(0);
    match cfg.env.owner() {
        Some(owner) => format!("the root of {owner} (/proc/{pid}/root)"),
        None => format!("/proc/{pid}/root"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Env;

    /// A PEM bundle of `n` certificates minted here.
    fn pem(n: usize) -> String {
        (0..n)
            .map(|i| {
                let key = rcgen::KeyPair::generate().unwrap();
                let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
                params.distinguished_name.push(rcgen::DnType::CommonName, format!("Test Root {i}"));
                params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
                params.self_signed(&key).unwrap().pem()
            })
            .collect()
    }

    fn put(root: &Path, path: &str, text: &str) {
        let full = root.join(path.trim_start_matches('/'));
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }

    fn cfg(env: &[(&str, &str)]) -> Config {
        let mut c = Config::new(Env::from_pairs(env.iter().copied()));
        c.pid = Some(7);
        c
    }

    #[test]
    fn a_python_app_trusts_certifi_in_its_site_packages_not_the_os_store() {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        put(r, "/etc/ssl/certs/ca-certificates.crt", &pem(2));
        put(r, "/usr/local/lib/python3.12/site-packages/certifi/cacert.pem", &pem(3));
        let argv = vec!["/usr/local/bin/python3".to_owned(), "app.py".to_owned()];
        let t = AppTrust::read_in(&cfg(&[]), r, Runtime::Python, &argv);
        assert_eq!((t.client.len(), t.os.len()), (3, 2), "{t:?}");
        assert!(t.whose.contains("Python app (httpx/openai: certifi)"), "{}", t.whose);
        assert!(
            t.files.iter().any(|f| f.starts_with(
                "/usr/local/lib/python3.12/site-packages/certifi/cacert.pem in /proc/7/root: 3 certificates"
            )),
            "{:?}",
            t.files
        );
        // A venv found from argv[0], and SSL_CERT_FILE replacing certifi, as httpx does.
        put(r, "/app/venv/lib/python3.11/site-packages/certifi/cacert.pem", &pem(1));
        let venv = vec!["/app/venv/bin/python".to_owned()];
        assert_eq!(AppTrust::read_in(&cfg(&[]), r, Runtime::Python, &venv).client.len(), 1);
        put(r, "/srv/corp.pem", &pem(1));
        let t = AppTrust::read_in(&cfg(&[("SSL_CERT_FILE", "/srv/corp.pem")]), r, Runtime::Python, &argv);
        assert_eq!(t.client.len(), 1, "{t:?}");
    }

    #[test]
    fn each_distributions_bundle_is_found_and_links_stay_in_the_apps_root() {
        for bundle in OS_BUNDLES {
            let root = tempfile::tempdir().unwrap();
            put(root.path(), bundle, &pem(1));
            let t = AppTrust::read_in(&cfg(&[]), root.path(), Runtime::Other, &[]);
            assert_eq!(t.client.len(), 1, "{bundle}: {t:?}");
        }
        // RHEL: ca-bundle.crt is an absolute link into /etc/pki/ca-trust: followed inside the root.
        let root = tempfile::tempdir().unwrap();
        put(root.path(), "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", &pem(2));
        std::fs::create_dir_all(root.path().join("etc/pki/tls/certs")).unwrap();
        let link = root.path().join("etc/pki/tls/certs/ca-bundle.crt");
        std::os::unix::fs::symlink("/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", link).unwrap();
        let t = AppTrust::read_in(&cfg(&[]), root.path(), Runtime::Other, &[]);
        assert_eq!(t.client.len(), 2);
        assert!(t.files[0].starts_with("/etc/pki/tls/certs/ca-bundle.crt in /proc/7/root"), "{:?}", t.files);
    }

    #[test]
    fn without_a_bundle_the_hashed_links_are_read_inside_the_root() {
        let root = tempfile::tempdir().unwrap();
        put(root.path(), "/usr/share/ca-certificates/corp/root.crt", &pem(1));
        std::fs::create_dir_all(root.path().join("etc/ssl/certs")).unwrap();
        let link = root.path().join("etc/ssl/certs/5a1b2c3d.0");
        std::os::unix::fs::symlink("/usr/share/ca-certificates/corp/root.crt", link).unwrap();
        let t = AppTrust::read_in(&cfg(&[]), root.path(), Runtime::Other, &[]);
        assert_eq!(t.client.len(), 1, "{t:?}");
        assert!(t.files[0].starts_with("/etc/ssl/certs/ in /proc/7/root: 1 certificate"), "{:?}", t.files);
    }

    #[test]
    fn an_empty_root_has_no_certificates_and_says_where_it_looked() {
        let root = tempfile::tempdir().unwrap();
        let t = AppTrust::read_in(&cfg(&[]), root.path(), Runtime::Other, &[]);
        assert!(t.client.is_empty() && t.os.is_empty());
        assert!(t.looked.iter().any(|l| l == "/etc/ssl/certs/ca-certificates.crt"), "{:?}", t.looked);
        // Node.js carries its own roots: never empty; NODE_EXTRA_CA_CERTS adds to them.
        put(root.path(), "/ca.pem", &pem(1));
        let t = AppTrust::read_in(&cfg(&[("NODE_EXTRA_CA_CERTS", "/ca.pem")]), root.path(), Runtime::Node, &[]);
        assert_eq!(t.client.len(), webpki_roots::TLS_SERVER_ROOTS.len() + 1);
    }
}
