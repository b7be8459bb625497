//! Turning names and files from the command line into rustls configurations.
//! Group and cipher-suite names are the IANA ones the rest of pqinterop uses.

use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::crypto::aws_lc_rs::{self as aws_lc_rs_provider, cipher_suite, kx_group};
use rustls::crypto::{CryptoProvider, SupportedKxGroup};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig, SupportedCipherSuite};

/// Groups in the IANA registry that rustls 0.23 names but does not implement.
const NOT_IMPLEMENTED: &[&str] = &["MLKEM512", "SecP384r1MLKEM1024"];

pub fn groups() -> [(&'static str, &'static dyn SupportedKxGroup); 7] {
    [
        ("x25519", kx_group::X25519),
        ("secp256r1", kx_group::SECP256R1),
        ("secp384r1", kx_group::SECP384R1),
        ("MLKEM768", kx_group::MLKEM768),
        ("MLKEM1024", kx_group::MLKEM1024),
        ("X25519MLKEM768", kx_group::X25519MLKEM768),
        ("SecP256r1MLKEM768", kx_group::SECP256R1MLKEM768),
    ]
}

pub fn cipher_suites() -> [(&'static str, SupportedCipherSuite); 3] {
    [
        ("TLS_AES_128_GCM_SHA256", cipher_suite::TLS13_AES_128_GCM_SHA256),
        ("TLS_AES_256_GCM_SHA384", cipher_suite::TLS13_AES_256_GCM_SHA384),
        ("TLS_CHACHA20_POLY1305_SHA256", cipher_suite::TLS13_CHACHA20_POLY1305_SHA256),
    ]
}

fn group(name: &str) -> Result<&'static dyn SupportedKxGroup, String> {
    if NOT_IMPLEMENTED.contains(&name) {
        return Err(format!("group {name} is not implemented by rustls 0.23"));
    }
    let known = groups();
    known
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, g)| *g)
        .ok_or_else(|| format!("unknown group {name:?} (known: {})", names(&known)))
}

fn cipher_suite(name: &str) -> Result<SupportedCipherSuite, String> {
    let known = cipher_suites();
    known
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, s)| *s)
        .ok_or_else(|| format!("unknown cipher suite {name:?} (known: {})", names(&known)))
}

fn names<T>(table: &[(&str, T)]) -> String {
    table.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
}

/// The aws-lc-rs provider, narrowed to the listed groups and suites (comma-separated, in
/// preference order) when given; otherwise its defaults (X25519MLKEM768 first).
pub fn provider(groups: Option<&str>, suites: Option<&str>) -> Result<Arc<CryptoProvider>, String> {
    let mut provider = aws_lc_rs_provider::default_provider();
    if let Some(list) = groups {
        provider.kx_groups = list.split(',').map(group).collect::<Result<_, _>>()?;
    }
    if let Some(list) = suites {
        provider.cipher_suites = list.split(',').map(cipher_suite).collect::<Result<_, _>>()?;
    }
    Ok(Arc::new(provider))
}

fn certificates(path: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("{path}: {e}"))?;
    if certs.is_empty() {
        return Err(format!("{path}: no certificate in it"));
    }
    Ok(certs)
}

fn private_key(path: &str) -> Result<PrivateKeyDer<'static>, String> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| format!("{path}: {e}"))
}

fn roots(ca_path: &str) -> Result<Arc<RootCertStore>, String> {
    let mut roots = RootCertStore::empty();
    for cert in certificates(ca_path)? {
        roots.add(cert).map_err(|e| format!("{ca_path}: {e}"))?;
    }
    Ok(Arc::new(roots))
}

pub struct ClientOptions<'a> {
    pub ca: &'a str,
    /// Certificate and key to present when the server asks for one.
    pub identity: Option<(&'a str, &'a str)>,
    pub early_data: bool,
}

pub fn client_config(
    provider: Arc<CryptoProvider>,
    options: &ClientOptions,
) -> Result<Arc<ClientConfig>, String> {
    let verifier =
        WebPkiServerVerifier::builder_with_provider(roots(options.ca)?, provider.clone())
            .build()
            .map_err(|e| e.to_string())?;
    let builder = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| e.to_string())?
        .with_webpki_verifier(verifier);
    let mut config = match options.identity {
        Some((cert, key)) => builder
            .with_client_auth_cert(certificates(cert)?, private_key(key)?)
            .map_err(|e| format!("{cert}: {e}"))?,
        None => builder.with_no_client_auth(),
    };
    // Resumption needs nothing here: the default in-memory session cache keeps the tickets.
    config.enable_early_data = options.early_data;
    Ok(Arc::new(config))
}

pub struct ServerOptions<'a> {
    pub cert: &'a str,
    pub key: &'a str,
    /// CA that client certificates must chain to; set means client auth is required.
    pub client_ca: Option<&'a str>,
    pub tickets: usize,
    pub max_early_data: u32,
}

pub fn server_config(
    provider: Arc<CryptoProvider>,
    options: &ServerOptions,
) -> Result<Arc<ServerConfig>, String> {
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| e.to_string())?;
    let builder = match options.client_ca {
        Some(ca) => builder.with_client_cert_verifier(
            WebPkiClientVerifier::builder_with_provider(roots(ca)?, provider)
                .build()
                .map_err(|e| e.to_string())?,
        ),
        None => builder.with_no_client_auth(),
    };
    let mut config = builder
        .with_single_cert(certificates(options.cert)?, private_key(options.key)?)
        .map_err(|e| format!("{}: {e}", options.cert))?;
    // Resumption uses the default in-memory session store: tickets are session ids into it.
    config.send_tls13_tickets = options.tickets;
    config.max_early_data_size = options.max_early_data;
    Ok(Arc::new(config))
}
