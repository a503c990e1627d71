//! `simulate --tls`: a throwaway CA minted at start, a leaf for localhost, the listen address and
//! any `--tls-name`, and the variables that make each client trust the CA. The CA's key never
//! leaves memory; its certificate is written to a file that is removed on exit unless the user
//! chose where it goes.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::exit::AppError;

/// What each client reads: Python's httpx (`SSL_CERT_FILE`), requests (`REQUESTS_CA_BUNDLE`),
/// Node (`NODE_EXTRA_CA_CERTS`), curl (`CURL_CA_BUNDLE`).
pub const TRUST_VARS: &[&str] = &["SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS", "CURL_CA_BUNDLE"];

/// The minted CA's certificate on disk and the server's TLS configuration.
pub struct Minted {
    pub ca_path: PathBuf,
    pub server: Arc<rustls::ServerConfig>,
    remove: bool,
}

impl Drop for Minted {
    fn drop(&mut self) {
        if self.remove {
            let _ = std::fs::remove_file(&self.ca_path);
        }
    }
}

/// Mints the CA and the leaf.
///
/// # Errors
/// A CA file that cannot be written (usage), a minting failure (internal).
pub fn mint(addr: SocketAddr, names: &[String], ca_out: Option<&Path>) -> Result<Minted, AppError> {
    let internal = |e: rcgen::Error| AppError::internal(format!("cannot mint the simulated CA: {e}"));
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(internal)?;
    ca.distinguished_name.push(DnType::CommonName, "openai-doctor simulate (throwaway)");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::DigitalSignature];
    let ca_key = KeyPair::generate().map_err(internal)?;
    let ca_cert = ca.self_signed(&ca_key).map_err(internal)?;
    let issuer = Issuer::new(ca, ca_key);

    let mut sans = vec!["localhost".to_owned(), "127.0.0.1".to_owned(), "::1".to_owned()];
    if !addr.ip().is_unspecified() {
        sans.push(addr.ip().to_string());
    }
    sans.extend(names.iter().cloned());
    let mut leaf = CertificateParams::new(sans).map_err(internal)?;
    leaf.distinguished_name.push(DnType::CommonName, "localhost");
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let leaf_key = KeyPair::generate().map_err(internal)?;
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer).map_err(internal)?;

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| AppError::internal(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf_cert.der().clone(), ca_cert.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
        )
        .map_err(|e| AppError::internal(format!("cannot use the minted certificate: {e}")))?;
    let _: &CertificateDer<'_> = ca_cert.der();

    let (ca_path, remove) = match ca_out {
        Some(p) => (p.to_path_buf(), false),
        None => (std::env::temp_dir().join(format!("openai-doctor-simulate-ca-{:016x}.pem", fastrand::u64(..))), true),
    };
    std::fs::write(&ca_path, ca_cert.pem())
        .map_err(|e| AppError::usage(format!("cannot write the CA certificate to {}: {e}", ca_path.display())))?;
    Ok(Minted { ca_path, server: Arc::new(server), remove })
}
