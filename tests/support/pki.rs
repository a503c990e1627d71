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
