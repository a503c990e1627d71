//! A test PKI minted by rcgen at test time: a CA, and leaves for loopback names that are valid,
//! expired, not yet valid, or for the wrong name.

use std::path::PathBuf;
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    date_time_ymd,
};
use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A CA with its PEM written to a temporary file (for `--ca-file`).
pub struct Pki {
    issuer: Issuer<'static, KeyPair>,
    ca_der: CertificateDer<'static>,
    pub ca_pem: String,
    pub ca_file: PathBuf,
    _dir: tempfile::TempDir,
}

/// Validity of a leaf.
#[derive(Debug, Clone, Copy)]
pub enum Validity {
    Current,
    Expired,
    NotYetValid,
}

impl Pki {
    /// A new CA whose subject is `cn` / `org`.
    pub fn new(cn: &str, org: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, cn);
        params.distinguished_name.push(DnType::OrganizationName, org);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages =
            vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let ca_file = dir.path().join("ca.pem");
        std::fs::write(&ca_file, cert.pem()).unwrap();
        Self { ca_pem: cert.pem(), ca_der: cert.der().clone(), issuer: Issuer::new(params, key), ca_file, _dir: dir }
    }

    /// A leaf for `names` (DNS names or IP literals) and its key.
    pub fn leaf(&self, names: &[&str], validity: Validity) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
        let mut params = CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>()).unwrap();
        params.distinguished_name.push(DnType::CommonName, names.first().copied().unwrap_or("leaf"));
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        match validity {
            Validity::Current => {}
            Validity::Expired => {
                params.not_before = date_time_ymd(2020, 1, 1);
                params.not_after = date_time_ymd(2021, 1, 1);
            }
            Validity::NotYetValid => {
                params.not_before = date_time_ymd(2999, 1, 1);
                params.not_after = date_time_ymd(3000, 1, 1);
            }
        }
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        (vec![cert.der().clone(), self.ca_der.clone()], key)
    }

    /// A leaf for `names` as PEM files in `dir` (the chain with the CA, and the key), for servers
    /// configured by files (nginx). Returns their paths.
    pub fn leaf_files(&self, names: &[&str], dir: &std::path::Path) -> (PathBuf, PathBuf) {
        let (chain, key) = self.leaf(names, Validity::Current);
        let pem = |label: &str, der: &[u8]| {
            use base64::Engine as _;
            let b64 = base64::engine::general_purpose::STANDARD.encode(der);
            let lines: Vec<&str> = b64.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap()).collect();
            format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", lines.join("\n"))
        };
        let chain_pem: String = chain.iter().map(|c| pem("CERTIFICATE", c.as_ref())).collect();
        let key_pem = pem("PRIVATE KEY", key.secret_der());
        let (cert_path, key_path) = (dir.join("leaf.pem"), dir.join("leaf.key"));
        std::fs::write(&cert_path, chain_pem).unwrap();
        std::fs::write(&key_path, key_pem).unwrap();
        (cert_path, key_path)
    }

    /// A rustls server configuration presenting a leaf for `names`.
    pub fn server_config(&self, names: &[&str], validity: Validity) -> Arc<ServerConfig> {
        let (chain, key) = self.leaf(names, validity);
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut cfg = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .unwrap();
        cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
        Arc::new(cfg)
    }
}

/// A root, an intermediate it signs, and a leaf the intermediate signs whose AIA names where the
/// intermediate lives: a server configured to send the leaf alone (the common misconfiguration:
/// cert.pem instead of fullchain.pem). Returns the server configuration and the root's PEM file.
pub struct MissingIntermediate {
    pub server: Arc<ServerConfig>,
    pub root_file: PathBuf,
    _dir: tempfile::TempDir,
}

/// DER of an AuthorityInfoAccess extension with one caIssuers URI.
fn aia_ca_issuers(url: &str) -> Vec<u8> {
    let oid = [0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x02];
    let mut uri = vec![0x86, u8::try_from(url.len()).unwrap()];
    uri.extend_from_slice(url.as_bytes());
    let mut desc = vec![0x30, u8::try_from(oid.len() + uri.len()).unwrap()];
    desc.extend_from_slice(&oid);
    desc.extend_from_slice(&uri);
    let mut out = vec![0x30, u8::try_from(desc.len()).unwrap()];
    out.extend_from_slice(&desc);
    out
}

pub fn missing_intermediate(names: &[&str]) -> MissingIntermediate {
    leaf_alone(names, Some("http://r1.i.doctor.test/"), ("Doctor Test Intermediate R1", "openai-doctor tests"))
}

/// A leaf sent alone, issued by an intermediate named `(cn, org)` under a root of organization
/// "openai-doctor tests", with an AIA caIssuers URL or none.
pub fn leaf_alone(names: &[&str], aia: Option<&str>, (mid_cn, mid_org): (&str, &str)) -> MissingIntermediate {
    let ca = |cn: &str, org: &str| {
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name.push(DnType::CommonName, cn);
        p.distinguished_name.push(DnType::OrganizationName, org);
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
        p
    };
    let root_key = KeyPair::generate().unwrap();
    let root_params = ca("Doctor Test Public Root", "openai-doctor tests");
    let root = root_params.self_signed(&root_key).unwrap();
    let root_issuer = Issuer::new(root_params, root_key);
    let mid_key = KeyPair::generate().unwrap();
    let mid_params = ca(mid_cn, mid_org);
    let _mid = mid_params.signed_by(&mid_key, &root_issuer).unwrap();
    let mid_issuer = Issuer::new(mid_params, mid_key);
    let mut leaf = CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>()).unwrap();
    leaf.distinguished_name.push(DnType::CommonName, names[0]);
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    if let Some(url) = aia {
        leaf.custom_extensions
            .push(rcgen::CustomExtension::from_oid_content(&[1, 3, 6, 1, 5, 5, 7, 1, 1], aia_ca_issuers(url)));
    }
    let leaf_key = KeyPair::generate().unwrap();
    let leaf_cert = leaf.signed_by(&leaf_key, &mid_issuer).unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![leaf_cert.der().clone()], key)
        .unwrap();
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    let dir = tempfile::tempdir().unwrap();
    let root_file = dir.path().join("root.pem");
    std::fs::write(&root_file, root.pem()).unwrap();
    MissingIntermediate { server: Arc::new(cfg), root_file, _dir: dir }
}
