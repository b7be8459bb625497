//! The project's names (src/tls/names.ts) for what rustls has, and for what it lacks. Every name
//! on the command line and in the JSON line goes through these tables.

use rustls::crypto::aws_lc_rs::{cipher_suite, kx_group};
use rustls::crypto::SupportedKxGroup;
use rustls::{SignatureScheme, SupportedCipherSuite};

/// Every NamedGroup of the contract; None where rustls 0.23 names the group but has no
/// implementation of it (its NamedGroup is only an enum value).
pub fn groups() -> [(&'static str, Option<&'static dyn SupportedKxGroup>); 9] {
    [
        ("x25519", Some(kx_group::X25519)),
        ("secp256r1", Some(kx_group::SECP256R1)),
        ("secp384r1", Some(kx_group::SECP384R1)),
        ("MLKEM512", None),
        ("MLKEM768", Some(kx_group::MLKEM768)),
        ("MLKEM1024", Some(kx_group::MLKEM1024)),
        ("SecP256r1MLKEM768", Some(kx_group::SECP256R1MLKEM768)),
        ("X25519MLKEM768", Some(kx_group::X25519MLKEM768)),
        ("SecP384r1MLKEM1024", None),
    ]
}

pub fn cipher_suites() -> [(&'static str, SupportedCipherSuite); 3] {
    [
        ("TLS_AES_128_GCM_SHA256", cipher_suite::TLS13_AES_128_GCM_SHA256),
        ("TLS_AES_256_GCM_SHA384", cipher_suite::TLS13_AES_256_GCM_SHA384),
        ("TLS_CHACHA20_POLY1305_SHA256", cipher_suite::TLS13_CHACHA20_POLY1305_SHA256),
    ]
}

/// SignatureScheme names of names.ts. Whether rustls can use one is the provider's word
/// (setup::signature_schemes), not this table's.
pub const SIGNATURE_SCHEMES: [(&str, SignatureScheme); 17] = [
    ("rsa_pkcs1_sha256", SignatureScheme::RSA_PKCS1_SHA256),
    ("rsa_pkcs1_sha384", SignatureScheme::RSA_PKCS1_SHA384),
    ("rsa_pkcs1_sha512", SignatureScheme::RSA_PKCS1_SHA512),
    ("ecdsa_secp256r1_sha256", SignatureScheme::ECDSA_NISTP256_SHA256),
    ("ecdsa_secp384r1_sha384", SignatureScheme::ECDSA_NISTP384_SHA384),
    ("ecdsa_secp521r1_sha512", SignatureScheme::ECDSA_NISTP521_SHA512),
    ("rsa_pss_rsae_sha256", SignatureScheme::RSA_PSS_SHA256),
    ("rsa_pss_rsae_sha384", SignatureScheme::RSA_PSS_SHA384),
    ("rsa_pss_rsae_sha512", SignatureScheme::RSA_PSS_SHA512),
    ("ed25519", SignatureScheme::ED25519),
    ("ed448", SignatureScheme::ED448),
    // rustls has no codepoint for RSASSA-PSS keys (0x0809..0x080b).
    ("rsa_pss_pss_sha256", SignatureScheme::Unknown(0x0809)),
    ("rsa_pss_pss_sha384", SignatureScheme::Unknown(0x080a)),
    ("rsa_pss_pss_sha512", SignatureScheme::Unknown(0x080b)),
    ("mldsa44", SignatureScheme::ML_DSA_44),
    ("mldsa65", SignatureScheme::ML_DSA_65),
    ("mldsa87", SignatureScheme::ML_DSA_87),
];

/// AlertDescription codes by their names.ts names (rustls' own spelling differs, e.g.
/// UnrecognisedName, and it has no variant for general_error).
const ALERTS: [(&str, u8); 28] = [
    ("close_notify", 0),
    ("unexpected_message", 10),
    ("bad_record_mac", 20),
    ("record_overflow", 22),
    ("handshake_failure", 40),
    ("bad_certificate", 42),
    ("unsupported_certificate", 43),
    ("certificate_revoked", 44),
    ("certificate_expired", 45),
    ("certificate_unknown", 46),
    ("illegal_parameter", 47),
    ("unknown_ca", 48),
    ("access_denied", 49),
    ("decode_error", 50),
    ("decrypt_error", 51),
    ("protocol_version", 70),
    ("insufficient_security", 71),
    ("internal_error", 80),
    ("inappropriate_fallback", 86),
    ("user_canceled", 90),
    ("missing_extension", 109),
    ("unsupported_extension", 110),
    ("unrecognized_name", 112),
    ("bad_certificate_status_response", 113),
    ("unknown_psk_identity", 115),
    ("certificate_required", 116),
    ("general_error", 117),
    ("no_application_protocol", 120),
];

/// The name of a table entry whose value satisfies `matches`.
pub fn name_of<T>(
    table: &[(&'static str, T)],
    matches: impl Fn(&T) -> bool,
) -> Option<&'static str> {
    table.iter().find(|(_, value)| matches(value)).map(|(name, _)| *name)
}

/// A name's entry in a table, or a usage problem that lists the known names.
pub fn lookup<T: Copy>(
    table: &[(&'static str, T)],
    what: &str,
    name: &str,
) -> Result<(&'static str, T), String> {
    table.iter().find(|(n, _)| *n == name).copied().ok_or_else(|| {
        let known: Vec<&str> = table.iter().map(|(n, _)| *n).collect();
        format!("unknown {what} {name:?} (known: {})", known.join(", "))
    })
}

pub fn alert_name(code: u8) -> Option<&'static str> {
    name_of(&ALERTS, |c| *c == code)
}

pub fn group_name(group: &dyn SupportedKxGroup) -> Option<&'static str> {
    name_of(&groups(), |g| g.is_some_and(|g| g.name() == group.name()))
}

pub fn scheme_name(scheme: SignatureScheme) -> Option<&'static str> {
    name_of(&SIGNATURE_SCHEMES, |s| *s == scheme)
}
