//! The presented certificate chain: captured during the handshake by a verifier that records
//! what it is asked to verify, described (subject, issuer, dates, names), and verified against
//! the trust stores the common clients use, so "curl works but Python fails" gets an answer.

use std::sync::{Arc, Mutex};

use crate::details::tls::Cert;
use rustls::RootCertStore;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

/// Verifies like webpki with the given roots, and keeps the chain it was shown.
#[derive(Debug)]
pub struct Recorder {
    inner: Arc<WebPkiServerVerifier>,
    /// The presented chain, end entity first.
    pub chain: Mutex<Vec<CertificateDer<'static>>>,
}

/// A verifier over `roots` with the ring provider.
///
/// # Panics
/// Never in practice: building fails only for an empty root store, which callers avoid.
#[must_use]
pub fn webpki(roots: Arc<RootCertStore>) -> Option<Arc<WebPkiServerVerifier>> {
    WebPkiServerVerifier::builder_with_provider(roots, crate::net::context::crypto()).build().ok()
}

impl Recorder {
    /// A recorder over `roots` (`None` when the store is empty).
    #[must_use]
    pub fn new(roots: Arc<RootCertStore>) -> Option<Arc<Self>> {
        Some(Arc::new(Self { inner: webpki(roots)?, chain: Mutex::new(Vec::new()) }))
    }

    /// The chain seen.
    #[must_use]
    pub fn chain(&self) -> Vec<CertificateDer<'static>> {
        self.chain.lock().map(|c| c.clone()).unwrap_or_default()
    }
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut chain) = self.chain.lock() {
            *chain = std::iter::once(end_entity).chain(intermediates).map(|c| c.clone().into_owned()).collect();
        }
        self.inner.verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// One certificate, described: what the report shows (`Cert`, read through `Deref`) and what only
/// the judgement needs (times as numbers, self-issued).
#[derive(Debug, Clone)]
pub struct CertInfo {
    /// As the report shows it.
    pub cert: Cert,
    /// Unix seconds of `not_before`.
    pub not_before_unix: i64,
    /// Unix seconds of `not_after`.
    pub not_after_unix: i64,
    /// Subject and issuer are the same name (a root, or a self-signed leaf).
    pub self_issued: bool,
}

impl std::ops::Deref for CertInfo {
    type Target = Cert;
    fn deref(&self) -> &Cert {
        &self.cert
    }
}

impl CertInfo {
    /// As the report shows it.
    #[must_use]
    pub fn shown(&self) -> Cert {
        self.cert.clone()
    }

    /// `CN=x, O=y` of the issuer.
    #[must_use]
    pub fn issuer(&self) -> String {
        dn(self.issuer_cn.as_deref(), self.issuer_o.as_deref())
    }

    /// `CN=x, O=y` of the subject.
    #[must_use]
    pub fn subject(&self) -> String {
        dn(self.subject_cn.as_deref(), self.subject_o.as_deref())
    }
}

fn dn(cn: Option<&str>, o: Option<&str>) -> String {
    match (cn, o) {
        (Some(cn), Some(o)) => format!("CN={cn}, O={o}"),
        (Some(cn), None) => format!("CN={cn}"),
        (None, Some(o)) => format!("O={o}"),
        (None, None) => "(no name)".to_owned(),
    }
}

fn rfc3339(unix: i64) -> String {
    jiff::Timestamp::from_second(unix).map_or_else(|_| unix.to_string(), |t| t.to_string())
}

/// Describes a DER certificate (`None` when it does not parse).
#[must_use]
pub fn describe(der: &CertificateDer<'_>) -> Option<CertInfo> {
    use x509_parser::prelude::*;
    let (_, cert) = X509Certificate::from_der(der.as_ref()).ok()?;
    let first = |name: &X509Name<'_>, cn: bool| -> Option<String> {
        let attr = if cn { name.iter_common_name().next() } else { name.iter_organization().next() };
        attr.and_then(|a| a.as_str().ok()).map(str::to_owned)
    };
    let mut names = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for n in &san.value.general_names {
            match n {
                GeneralName::DNSName(d) => names.push((*d).to_owned()),
                GeneralName::IPAddress(b) => {
                    let ip = match b.len() {
                        4 => <[u8; 4]>::try_from(*b).ok().map(|a| std::net::IpAddr::from(a).to_string()),
                        16 => <[u8; 16]>::try_from(*b).ok().map(|a| std::net::IpAddr::from(a).to_string()),
                        _ => None,
                    };
                    names.extend(ip);
                }
                _ => {}
            }
        }
    }
    let ca_issuers = cert.extensions().iter().find_map(|ext| match ext.parsed_extension() {
        ParsedExtension::AuthorityInfoAccess(aia) => aia.accessdescs.iter().find_map(|ad| {
            match (&ad.access_location, ad.access_method.to_id_string() == "1.3.6.1.5.5.7.48.2") {
                (GeneralName::URI(uri), true) => Some((*uri).to_owned()),
                _ => None,
            }
        }),
        _ => None,
    });
    let self_issued = cert.subject() == cert.issuer();
    let nb = cert.validity().not_before.timestamp();
    let na = cert.validity().not_after.timestamp();
    Some(CertInfo {
        cert: Cert {
            subject_cn: first(cert.subject(), true),
            subject_o: first(cert.subject(), false),
            issuer_cn: first(cert.issuer(), true),
            issuer_o: first(cert.issuer(), false),
            not_before: rfc3339(nb),
            not_after: rfc3339(na),
            names,
            ca_issuers,
        },
        not_before_unix: nb,
        not_after_unix: na,
        self_issued,
    })
}

/// The one advice for trusting a private CA (`ca`), for every finding that gives it: Python's
/// variables replace the public roots, so they get a bundle of those plus the CA, never the CA alone.
#[must_use]
pub fn trust_advice(ca: &str) -> String {
    format!(
        "Python (openai/httpx, requests): make a bundle of the public roots plus the CA (cat \"$(python -m certifi)\" {ca} > bundle.pem) and set SSL_CERT_FILE=bundle.pem and REQUESTS_CA_BUNDLE=bundle.pem (either replaces the public roots: pointed at {ca} alone, every other host fails); Node.js: NODE_EXTRA_CA_CERTS={ca} (added to its bundled roots); curl, Go: add {ca} to the OS store (update-ca-certificates); here: --ca-file {ca}. Do not disable verification."
    )
}

/// Subject (CN, O) of every trust anchor in `store`.
#[must_use]
pub fn anchor_names(store: &RootCertStore) -> Vec<(Option<String>, Option<String>)> {
    use x509_parser::prelude::*;
    store
        .roots
        .iter()
        .filter_map(|anchor| {
            // The anchor keeps the Name's contents: wrap them in their SEQUENCE again to parse.
            let body = anchor.subject.as_ref();
            let mut der = vec![0x30];
            let len = body.len();
            if len < 0x80 {
                der.push(u8::try_from(len).ok()?);
            } else {
                let bytes: Vec<u8> = len.to_be_bytes().into_iter().skip_while(|b| *b == 0).collect();
                der.push(0x80 | u8::try_from(bytes.len()).ok()?);
                der.extend(bytes);
            }
            der.extend_from_slice(body);
            let (_, name) = X509Name::from_der(&der).ok()?;
            let cn = name.iter_common_name().next().and_then(|a| a.as_str().ok()).map(str::to_owned);
            let o = name.iter_organization().next().and_then(|a| a.as_str().ok()).map(str::to_owned);
            Some((cn, o))
        })
        .collect()
}

/// Why a leaf sent alone, without AIA, is most likely a server that leaves its intermediate out:
/// a trusted root of the issuer's organization, or an issuer named as an intermediate. `None`
/// when nothing says so (then a TLS-inspecting proxy is as likely), and for the CAs of the
/// inspecting products, whose names say "Intermediate" too.
#[must_use]
pub fn intermediate_evidence(leaf: &CertInfo, roots: &RootCertStore) -> Option<String> {
    let issuer = format!("{} {}", leaf.issuer_cn.as_deref().unwrap_or(""), leaf.issuer_o.as_deref().unwrap_or(""))
        .to_ascii_lowercase();
    let inspecting = [
        "zscaler",
        "netskope",
        "fortinet",
        "fortigate",
        "palo alto",
        "blue coat",
        "bluecoat",
        "umbrella",
        "forcepoint",
        "mitmproxy",
        "sophos",
        "checkpoint",
        "check point",
    ];
    if inspecting.iter().any(|v| issuer.contains(v)) {
        return None;
    }
    if let Some(org) = leaf.issuer_o.as_deref().filter(|o| !o.trim().is_empty()) {
        let same =
            anchor_names(roots).into_iter().find(|(_, o)| o.as_deref().is_some_and(|o| o.eq_ignore_ascii_case(org)));
        if let Some((cn, _)) = same {
            let root = cn.unwrap_or_else(|| org.to_owned());
            return Some(format!("a trusted root of the same organization ({org}: {root}) is in the store"));
        }
    }
    let cn = leaf.issuer_cn.as_deref().unwrap_or("").to_ascii_lowercase();
    ["intermediate", "issuing", "subordinate", "sub ca"]
        .iter()
        .find(|w| cn.contains(*w))
        .map(|w| format!("the issuer's name says it is an intermediate (\"{w}\")"))
}

/// Would this client family trust the chain?
#[derive(Debug, Clone)]
pub struct ClientTrust {
    /// Client family.
    pub client: &'static str,
    /// The store it uses here (given this environment).
    pub store: String,
    /// Verified against that store.
    pub trusted: bool,
    /// The one setting that would make it trust the chain (when it does not).
    pub fix: String,
}

impl ClientTrust {
    /// As the report shows it.
    #[must_use]
    pub fn shown(&self) -> crate::details::tls::ClientTrust {
        crate::details::tls::ClientTrust {
            client: self.client.to_owned(),
            store: self.store.clone(),
            trusted: self.trusted,
            fix: self.fix.clone(),
        }
    }
}

fn store_from_file(path: &std::path::Path) -> Option<Arc<RootCertStore>> {
    let certs = crate::net::context::read_pem_certs(path).ok()?;
    let mut store = RootCertStore::empty();
    store.add_parsable_certificates(certs);
    Some(Arc::new(store))
}

fn verifies(store: Arc<RootCertStore>, chain: &[CertificateDer<'static>], host: &str) -> bool {
    let (Some(ee), Some(verifier), Ok(name)) = (chain.first(), webpki(store), ServerName::try_from(host.to_owned()))
    else {
        return false;
    };
    verifier.verify_server_cert(ee, &chain[1..], &name, &[], UnixTime::now()).is_ok()
}

/// Verifies `chain` for `host` against the stores of the common client families, given `env`.
/// `os` is the OS store as loaded (which honours `SSL_CERT_FILE`/`SSL_CERT_DIR`).
#[must_use]
pub fn client_trust(
    chain: &[CertificateDer<'static>],
    host: &str,
    os: &Arc<RootCertStore>,
    cfg: &crate::config::Config,
    ca_file: Option<&std::path::Path>,
    app_certifi: Option<(&Arc<RootCertStore>, &str)>,
) -> Vec<ClientTrust> {
    let env = &cfg.env;
    let ca = ca_file.map_or_else(|| "your-ca.pem".to_owned(), |p| p.display().to_string());
    // Python's certifi and Node's bundled store are both the Mozilla roots: built once here.
    let mozilla = Arc::new(RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() });
    let mut out = Vec::new();
    out.push(ClientTrust {
        client: "curl, Go, OS tools",
        store: "operating system store".to_owned(),
        trusted: verifies(os.clone(), chain, host),
        fix: format!("add {ca} to the OS store (Debian: /usr/local/share/ca-certificates + update-ca-certificates; macOS: Keychain; Windows: certutil -addstore Root)"),
    });
    let (store, label) = match env.non_empty("SSL_CERT_FILE") {
        Some(f) => (
            store_from_file(&cfg.file(f)).unwrap_or_else(|| Arc::new(RootCertStore::empty())),
            format!("SSL_CERT_FILE={f}"),
        ),
        // With --pid, the certifi bundle found in the app's environment, not ours.
        None => match app_certifi {
            Some((store, shown)) => (store.clone(), format!("certifi ({shown})")),
            None => (mozilla.clone(), "certifi (Mozilla bundle)".to_owned()),
        },
    };
    out.push(ClientTrust {
        client: "Python openai / httpx",
        store: label,
        trusted: verifies(store, chain, host),
        fix: format!("SSL_CERT_FILE=bundle.pem, where bundle.pem is the public roots plus {ca} (it replaces certifi)"),
    });
    let (store, label) = match env
        .non_empty("REQUESTS_CA_BUNDLE")
        .map(|f| ("REQUESTS_CA_BUNDLE", f))
        .or_else(|| env.non_empty("CURL_CA_BUNDLE").map(|f| ("CURL_CA_BUNDLE", f)))
    {
        Some((var, f)) => {
            (store_from_file(&cfg.file(f)).unwrap_or_else(|| Arc::new(RootCertStore::empty())), format!("{var}={f}"))
        }
        None => (mozilla.clone(), "certifi (Mozilla bundle)".to_owned()),
    };
    out.push(ClientTrust {
        client: "Python requests",
        store: label,
        trusted: verifies(store, chain, host),
        fix: "REQUESTS_CA_BUNDLE=bundle.pem (the same bundle)".to_owned(),
    });
    let mut node = RootCertStore::clone(&mozilla);
    let mut label = "Node.js bundled Mozilla store".to_owned();
    if let Some(f) = env.non_empty("NODE_EXTRA_CA_CERTS") {
        if let Ok(certs) = crate::net::context::read_pem_certs(&cfg.file(f)) {
            node.add_parsable_certificates(certs);
        }
        label.push_str(&format!(" + NODE_EXTRA_CA_CERTS={f}"));
    }
    if env.non_empty("NODE_USE_SYSTEM_CA") == Some("1") {
        node.roots.extend(os.roots.iter().cloned());
        label.push_str(" + OS store (NODE_USE_SYSTEM_CA=1)");
    }
    out.push(ClientTrust {
        client: "Node.js openai",
        store: label,
        trusted: verifies(Arc::new(node), chain, host),
        fix: format!("NODE_EXTRA_CA_CERTS={ca} (added to Node's bundled roots)"),
    });
    out
}
