//! Turning the contract's flags into rustls configurations, or into the reason rustls cannot
//! take them (exit 127). Names are the IANA ones of src/tls/names.ts (see names.rs).

use std::sync::Arc;

use rustls::client::danger::ServerCertVerifier;
use rustls::client::{
    ClientSessionMemoryCache, ClientSessionStore, ResolvesClientCert, Resumption,
    WebPkiServerVerifier,
};
use rustls::crypto::aws_lc_rs::default_provider;
use rustls::crypto::{CryptoProvider, SupportedKxGroup, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::server::WebPkiClientVerifier;
use rustls::sign::{CertifiedKey, SingleCertAndKey};
use rustls::{ClientConfig, NamedGroup, RootCertStore, ServerConfig, SignatureScheme};

use crate::cert::{self, Described};
use crate::flags::Flags;
use crate::names;
use crate::observe::{Journal, WatchedClientVerifier, WatchedKey, WatchedServerVerifier};
use crate::Stop;

const NO_EXTERNAL_PSK: &str = "rustls has no external PSKs (rustls issue 174); it resumes with \
    tickets only";

/// The PSK flags are checked for well-formedness (exit 2), then refused: rustls has no external
/// PSKs at all, so every PSK configuration is one it lacks (exit 127).
pub fn refuse_psk(flags: &Flags) -> Result<(), Stop> {
    let named = ["psk-identity", "psk-key", "psk-hash", "psk-mode", "psk-import", "cert-with-psk"]
        .into_iter()
        .filter(|f| flags.has(f))
        .collect::<Vec<_>>();
    if named.is_empty() {
        return Ok(());
    }
    if flags.has("psk-identity") != flags.has("psk-key") {
        return Err(Stop::Usage("--psk-identity and --psk-key go together".into()));
    }
    if let Some(key) = flags.get("psk-key") {
        if key.is_empty() || key.len() % 2 != 0 || !key.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(Stop::Usage(format!("--psk-key needs an even number of hex digits")));
        }
    }
    for (flag, choices) in [("psk-hash", ["sha256", "sha384"]), ("psk-mode", ["dhe_ke", "ke"])] {
        if let Some(value) = flags.get(flag) {
            if !choices.contains(&value) {
                return Err(Stop::Usage(format!(
                    "--{flag} must be {}, got {value:?}",
                    choices.join(" or ")
                )));
            }
        }
    }
    if !flags.has("psk-key") {
        return Err(Stop::Usage(format!("--{} needs --psk-identity and --psk-key", named[0])));
    }
    Err(Stop::Lacks(if flags.has("psk-import") {
        "rustls has no external PSKs, imported (RFC 9258) or raw".into()
    } else if flags.has("cert-with-psk") {
        "rustls does not implement RFC 9973 tls_cert_with_extern_psk (nor external PSKs)".into()
    } else {
        NO_EXTERNAL_PSK.into()
    }))
}

/// A group list flag as rustls groups, in order; a group rustls does not implement is refused.
pub fn groups(
    flags: &Flags,
    flag: &str,
) -> Result<Option<Vec<&'static dyn SupportedKxGroup>>, Stop> {
    let Some(list) = flags.list(flag, &names::groups(), "group").map_err(Stop::Usage)? else {
        return Ok(None);
    };
    list.into_iter()
        .map(|(name, group)| {
            group.ok_or_else(|| {
                Stop::Lacks(format!(
                    "rustls 0.23 does not implement {name} (its NamedGroup is only an enum value)"
                ))
            })
        })
        .collect::<Result<_, _>>()
        .map(Some)
}

/// --signature-schemes as rustls schemes, in order; a scheme the provider cannot verify is one
/// rustls lacks.
fn signature_schemes(flags: &Flags) -> Result<Option<Vec<SignatureScheme>>, Stop> {
    let Some(list) = flags
        .list("signature-schemes", &names::SIGNATURE_SCHEMES, "signature scheme")
        .map_err(Stop::Usage)?
    else {
        return Ok(None);
    };
    let known = default_provider().signature_verification_algorithms.supported_schemes();
    list.into_iter()
        .map(|(name, scheme)| {
            if known.contains(&scheme) {
                Ok(scheme)
            } else {
                Err(Stop::Lacks(format!(
                    "rustls with aws-lc-rs does not implement signature scheme {name}"
                )))
            }
        })
        .collect::<Result<_, _>>()
        .map(Some)
}

/// Only the listed schemes, in their order: what a verifier offers (signature_algorithms,
/// CertificateRequest) and accepts in a CertificateVerify. Certificate chains are still checked
/// with every algorithm (`all`): the CA signs with ECDSA whatever the leaf's scheme.
fn narrow(
    algorithms: WebPkiSupportedAlgorithms,
    schemes: &[SignatureScheme],
) -> WebPkiSupportedAlgorithms {
    let mapping: Vec<_> = schemes
        .iter()
        .filter_map(|s| algorithms.mapping.iter().find(|(m, _)| m == s).copied())
        .collect();
    // The provider wants 'static tables; this program configures once, so leaking is fine.
    WebPkiSupportedAlgorithms {
        all: algorithms.all,
        mapping: Box::leak(mapping.into_boxed_slice()),
    }
}

/// What both roles configure alike.
struct Common {
    provider: CryptoProvider,
    schemes: Option<Vec<SignatureScheme>>,
    /// The leaf and the key we present, if any.
    identity: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
    ca: Option<Arc<RootCertStore>>,
}

fn common(flags: &Flags) -> Result<Common, Stop> {
    let mut provider = default_provider();
    if let Some(groups) = groups(flags, "groups")? {
        provider.kx_groups = groups;
    }
    if let Some(suites) =
        flags.list("cipher-suites", &names::cipher_suites(), "cipher suite").map_err(Stop::Usage)?
    {
        provider.cipher_suites = suites.into_iter().map(|(_, s)| s).collect();
    }
    let schemes = signature_schemes(flags)?;
    if let Some(schemes) = &schemes {
        provider.signature_verification_algorithms =
            narrow(provider.signature_verification_algorithms, schemes);
    }
    let identity = match (flags.get("cert"), flags.get("key")) {
        (Some(cert), Some(key)) => Some((chain(cert, flags.get("chain"))?, private_key(key)?)),
        (None, None) => None,
        _ => return Err(Stop::Usage("--cert and --key go together".into())),
    };
    let ca = flags.get("ca").map(roots).transpose()?;
    Ok(Common { provider, schemes, identity, ca })
}

fn certificates(flag: &str, path: &str) -> Result<Vec<CertificateDer<'static>>, Stop> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
        .map_err(|e| Stop::Usage(format!("--{flag} {path}: {e}")))?;
    if certs.is_empty() {
        return Err(Stop::Usage(format!("--{flag} {path}: no certificate in it")));
    }
    Ok(certs)
}

/// The leaf (first of --cert), then the --chain certificates other than the leaf.
fn chain(cert: &str, extra: Option<&str>) -> Result<Vec<CertificateDer<'static>>, Stop> {
    let mut chain = certificates("cert", cert)?;
    chain.truncate(1);
    if let Some(path) = extra {
        let leaf = chain[0].clone();
        chain.extend(certificates("chain", path)?.into_iter().filter(|c| *c != leaf));
    }
    Ok(chain)
}

fn private_key(path: &str) -> Result<PrivateKeyDer<'static>, Stop> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| Stop::Usage(format!("--key {path}: {e}")))
}

fn roots(path: &str) -> Result<Arc<RootCertStore>, Stop> {
    let mut roots = RootCertStore::empty();
    for cert in certificates("ca", path)? {
        roots.add(cert).map_err(|e| Stop::Usage(format!("--ca {path}: {e}")))?;
    }
    Ok(Arc::new(roots))
}

/// Our certificate and key as rustls signs with them (narrowed and watched, see observe.rs),
/// and the leaf's description for the report.
fn credential(
    common: &Common,
    journal: &Journal,
) -> Result<Option<(Arc<SingleCertAndKey>, Described)>, Stop> {
    let Some((chain, key)) = &common.identity else { return Ok(None) };
    // from_der also checks that the key belongs to the leaf.
    let loaded = CertifiedKey::from_der(chain.clone(), key.clone_key(), &common.provider)
        .map_err(|e| Stop::Usage(format!("--key: {e}")))?;
    let key = WatchedKey {
        inner: loaded.key.clone(),
        schemes: common.schemes.clone(),
        journal: journal.clone(),
    };
    let described = cert::describe(&chain[0])
        .ok_or_else(|| Stop::Usage("--cert: the leaf does not parse as X.509".into()))?;
    let certified = CertifiedKey::new(chain.clone(), Arc::new(key));
    Ok(Some((Arc::new(SingleCertAndKey::from(certified)), described)))
}

pub struct ServerSetup {
    pub config: Arc<ServerConfig>,
    pub leaf: Described,
}

pub fn server(flags: &Flags, journal: &Journal) -> Result<ServerSetup, Stop> {
    let common = common(flags)?;
    if flags.has("client-auth") && common.ca.is_none() {
        return Err(Stop::Usage("--client-auth needs --ca".into()));
    }
    let (resolver, leaf) = credential(&common, journal)?
        .ok_or_else(|| Stop::Usage("--cert and --key are required".into()))?;
    let tickets = flags.number("tickets").map_err(Stop::Usage)?.unwrap_or(0);
    let max_early_data = flags.number("max-early-data").map_err(Stop::Usage)?.unwrap_or(0);
    let provider = Arc::new(common.provider);
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| Stop::Usage(e.to_string()))?;
    let builder = match (&common.ca, flags.has("client-auth")) {
        (Some(ca), true) => {
            let inner = WebPkiClientVerifier::builder_with_provider(ca.clone(), provider)
                .build()
                .map_err(|e| Stop::Usage(format!("--ca: {e}")))?;
            builder.with_client_cert_verifier(Arc::new(WatchedClientVerifier {
                inner,
                journal: journal.clone(),
            }))
        }
        _ => builder.with_no_client_auth(),
    };
    let mut config = builder.with_cert_resolver(resolver);
    // --cipher-suites is the server's preference order; without it rustls follows the client's.
    config.ignore_client_order = flags.has("cipher-suites");
    // Tickets are ids into the default in-memory session store.
    config.send_tls13_tickets = tickets;
    config.max_early_data_size = max_early_data;
    Ok(ServerSetup { config: Arc::new(config), leaf })
}

pub struct ClientSetup {
    pub first: Arc<ClientConfig>,
    /// The resumed connection's configuration: --resume-groups, or the first one.
    pub second: Arc<ClientConfig>,
    /// Our leaf, for the report when the server asks for it.
    pub leaf: Option<Described>,
}

pub fn client(flags: &Flags, journal: &Journal) -> Result<ClientSetup, Stop> {
    let common = common(flags)?;
    let ca = common.ca.clone().ok_or_else(|| Stop::Usage("--ca is required".into()))?;
    let credential = credential(&common, journal)?;
    key_shares(flags, &common.provider.kx_groups)?;
    let resume_groups = groups(flags, "resume-groups")?;
    if resume_groups.is_some() && !flags.has("resume") {
        return Err(Stop::Usage("--resume-groups needs --resume".into()));
    }
    let provider = Arc::new(common.provider);
    let inner = WebPkiServerVerifier::builder_with_provider(ca, provider.clone())
        .build()
        .map_err(|e| Stop::Usage(format!("--ca: {e}")))?;
    let verifier: Arc<dyn ServerCertVerifier> =
        Arc::new(WatchedServerVerifier { inner, journal: journal.clone() });
    // rustls resumes only with a configuration holding the very verifier and certificate
    // resolver of the ticket's connection (compatible_config): both configs share them, and
    // the ticket store.
    let store: Arc<dyn ClientSessionStore> = Arc::new(ClientSessionMemoryCache::new(32));
    let resolver: Arc<dyn ResolvesClientCert> = match &credential {
        Some((resolver, _)) => resolver.clone(),
        None => Arc::new(NoClientCertificate),
    };
    let early_data = flags.has("early-data");
    let make = |provider: Arc<CryptoProvider>| -> Result<Arc<ClientConfig>, Stop> {
        let builder = ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13])
            .map_err(|e| Stop::Usage(e.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(verifier.clone());
        let mut config = builder.with_client_cert_resolver(resolver.clone());
        config.resumption = Resumption::store(store.clone());
        config.enable_early_data = early_data;
        Ok(Arc::new(config))
    };
    let first = make(provider.clone())?;
    let second = match resume_groups {
        Some(groups) => {
            make(Arc::new(CryptoProvider { kx_groups: groups, ..(*provider).clone() }))?
        }
        None => first.clone(),
    };
    Ok(ClientSetup { first, second, leaf: credential.map(|(_, leaf)| leaf) })
}

/// A client without a certificate, as one object both configurations share (rustls'
/// with_no_client_auth makes a new one per configuration, which stops resumption across them).
#[derive(Debug)]
struct NoClientCertificate;

impl ResolvesClientCert for NoClientCertificate {
    fn resolve(&self, _: &[&[u8]], _: &[SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        None
    }

    fn has_certs(&self) -> bool {
        false
    }
}

/// The server name: a DNS name is sent as SNI and matched; an IP address (the default,
/// 127.0.0.1) is matched against the certificate's IP SANs and sends no SNI.
pub fn server_name(flags: &Flags) -> Result<ServerName<'static>, Stop> {
    let name = flags.get("server-name").unwrap_or("127.0.0.1");
    ServerName::try_from(name.to_string())
        .map_err(|e| Stop::Usage(format!("--server-name {name}: {e}")))
}

/// --key-shares: rustls decides its shares itself. A first ClientHello carries one share for
/// the first group, plus the classical component of a hybrid first group when that component
/// is listed too (client/hs.rs). Any other request is one rustls cannot do.
fn key_shares(flags: &Flags, groups: &[&'static dyn SupportedKxGroup]) -> Result<(), Stop> {
    let Some(text) = flags.get("key-shares") else { return Ok(()) };
    let wanted: Vec<NamedGroup> = if text == "none" {
        Vec::new()
    } else {
        let list = flags.list("key-shares", &names::groups(), "group").map_err(Stop::Usage)?;
        let mut wanted = Vec::new();
        for (name, group) in list.unwrap_or_default() {
            if !groups.iter().any(|g| Some(g.name()) == group.map(|g| g.name())) {
                return Err(Stop::Usage(format!("--key-shares {name} is not in --groups")));
            }
            wanted.push(group.map(|g| g.name()).unwrap());
        }
        wanted
    };
    let sent = shares_rustls_sends(groups);
    if wanted == sent {
        return Ok(());
    }
    let show = |list: &[NamedGroup]| {
        let names: Vec<String> = list
            .iter()
            .map(|n| {
                names::name_of(&names::groups(), |g| g.is_some_and(|g| g.name() == *n))
                    .map_or(format!("{n:?}"), str::to_string)
            })
            .collect();
        format!("[{}]", names.join(", "))
    };
    Err(Stop::Lacks(format!(
        "rustls shares its first group (and a hybrid's classical component): with these groups it \
         sends {}, not {}",
        show(&sent),
        show(&wanted)
    )))
}

/// The shares rustls puts in a first ClientHello for `groups`, asking rustls' own key exchange
/// for the hybrid's component.
fn shares_rustls_sends(groups: &[&'static dyn SupportedKxGroup]) -> Vec<NamedGroup> {
    let Some(first) = groups.first() else { return Vec::new() };
    let mut shares = vec![first.name()];
    if let Ok(active) = first.start() {
        if let Some((component, _)) = active.hybrid_component() {
            if groups.iter().any(|g| g.name() == component) {
                shares.push(component);
            }
        }
    }
    shares
}
