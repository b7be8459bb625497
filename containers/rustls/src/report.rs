//! The one JSON line printed per connection, with the fields of docs/peer-contract.md.
//! `null` means "rustls does not say", which the judge keeps apart from false.

use rustls::{AlertDescription, CommonState, Error, HandshakeKind, ProtocolVersion};

use crate::cert::Described;
use crate::names;

/// Why a connection failed: free text, plus the alert that crossed the wire if we know it.
pub struct Failure {
    /// The alert's code and whether we received it (true) or sent it.
    pub alert: Option<(u8, bool)>,
    pub error: String,
}

impl Failure {
    pub fn plain(error: impl Into<String>) -> Self {
        Self { alert: None, error: error.into() }
    }

    /// `sent` is the alert byte seen going out in the clear; `queued` says rustls queued some
    /// alert after the error, which is then encrypted and named from the error instead.
    pub fn tls(error: &Error, queued: bool, sent: Option<u8>) -> Self {
        let alert = match (error, sent) {
            (Error::AlertReceived(desc), _) => Some((u8::from(*desc), true)),
            (_, Some(code)) => Some((code, false)),
            _ if queued => alert_rustls_sends_for(error).map(|desc| (u8::from(desc), false)),
            _ => None,
        };
        Self { alert, error: error.to_string() }
    }
}

/// rustls' own error-to-alert rules (error.rs, common_state.rs); used only when the alert left
/// encrypted and could not be read off the wire.
fn alert_rustls_sends_for(error: &Error) -> Option<AlertDescription> {
    Some(match error {
        Error::InvalidCertificate(e) => e.clone().into(),
        Error::InvalidMessage(e) => e.clone().into(),
        Error::PeerMisbehaved(_) => AlertDescription::IllegalParameter,
        Error::PeerIncompatible(_) => AlertDescription::HandshakeFailure,
        Error::NoCertificatesPresented => AlertDescription::CertificateRequired,
        Error::DecryptError => AlertDescription::BadRecordMac,
        Error::InappropriateMessage { .. } | Error::InappropriateHandshakeMessage { .. } => {
            AlertDescription::UnexpectedMessage
        }
        _ => return None,
    })
}

/// The alert description of a plaintext alert record among TLS records, if there is one.
/// Encrypted records all carry content type 23, so a type-21 record is readable as is.
pub fn plaintext_alert(mut records: &[u8]) -> Option<u8> {
    while records.len() >= 5 {
        let length = u16::from_be_bytes([records[3], records[4]]) as usize;
        let (record, rest) = records.split_at((5 + length).min(records.len()));
        if record[0] == 21 && record.len() == 7 {
            return Some(record[6]);
        }
        records = rest;
    }
    None
}

#[derive(Default)]
pub struct Report {
    pub ok: bool,
    pub version: Option<&'static str>,
    pub group: Option<&'static str>,
    pub cipher_suite: Option<&'static str>,
    pub hello_retry_request: Option<bool>,
    pub resumed: Option<bool>,
    pub psk_mode: Option<&'static str>,
    pub early_data: Option<&'static str>,
    pub signature_scheme: Option<&'static str>,
    pub peer_certificate: Option<Described>,
    pub certificate: Option<Described>,
    /// Client only: "matched", "mismatched" or "none".
    pub echo: Option<&'static str>,
    pub alert: Option<&'static str>,
    pub alert_direction: Option<&'static str>,
    pub error: Option<String>,
    pub handshake_ms: Option<f64>,
}

impl Report {
    pub fn failed(error: impl Into<String>) -> Self {
        Self { error: Some(error.into()), ..Self::default() }
    }

    /// What rustls negotiated (as far as it got), and how the connection ended.
    pub fn new(state: &CommonState, outcome: Result<(), Failure>) -> Self {
        let kind = state.handshake_kind();
        let resumed = kind.map(|k| k == HandshakeKind::Resumed);
        let mut report = Self {
            ok: outcome.is_ok(),
            // The configs allow TLS 1.3 only.
            version: state
                .protocol_version()
                .filter(|v| *v == ProtocolVersion::TLSv1_3)
                .map(|_| "TLSv1.3"),
            group: state.negotiated_key_exchange_group().and_then(names::group_name),
            cipher_suite: state.negotiated_cipher_suite().and_then(|negotiated| {
                names::name_of(&names::cipher_suites(), |s| s.suite() == negotiated.suite())
            }),
            // A resumed handshake does not tell whether it went through a HelloRetryRequest.
            hello_retry_request: match kind {
                Some(HandshakeKind::Full) => Some(false),
                Some(HandshakeKind::FullWithHelloRetryRequest) => Some(true),
                _ => None,
            },
            resumed,
            // rustls offers and accepts only psk_dhe_ke (its psk_key_exchange_modes), and has
            // no external PSKs: a resumed connection is psk_dhe_ke.
            psk_mode: resumed.and_then(|r| r.then_some("psk_dhe_ke")),
            ..Self::default()
        };
        if let Err(failure) = outcome {
            if let Some((code, received)) = failure.alert {
                match names::alert_name(code) {
                    Some(name) => {
                        report.alert = Some(name);
                        report.alert_direction = Some(if received { "received" } else { "sent" });
                    }
                    // A code the project has no name for stays readable in the error text.
                    None => {
                        let way = if received { "received" } else { "sent" };
                        report.error = Some(format!("{} ({way} alert {code})", failure.error));
                        return report;
                    }
                }
            }
            report.error = Some(failure.error);
        }
        report
    }

    pub fn to_json(&self) -> String {
        let fields = [
            ("ok", self.ok.to_string()),
            ("version", text(self.version)),
            ("group", text(self.group)),
            ("cipherSuite", text(self.cipher_suite)),
            ("helloRetryRequest", flag(self.hello_retry_request)),
            ("resumed", flag(self.resumed)),
            ("pskMode", text(self.psk_mode)),
            // rustls has no external PSKs, so no identity and no RFC 9973.
            ("pskIdentity", "null".into()),
            ("earlyData", text(self.early_data)),
            ("certWithPsk", "false".into()),
            ("signatureScheme", text(self.signature_scheme)),
            ("peerCertificate", certificate(self.peer_certificate.as_ref())),
            ("certificate", certificate(self.certificate.as_ref())),
            ("echo", text(self.echo)),
            ("alert", text(self.alert)),
            ("alertDirection", text(self.alert_direction)),
            ("error", text(self.error.as_deref())),
            ("handshakeMs", self.handshake_ms.map_or("null".into(), |ms| format!("{ms:.1}"))),
        ];
        let body: Vec<String> = fields.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
        format!("{{{}}}", body.join(","))
    }
}

fn certificate(value: Option<&Described>) -> String {
    let Some(d) = value else { return "null".into() };
    format!(
        "{{\"subject\":{},\"keyType\":{}}}",
        text(Some(&d.subject)),
        text(d.key_type.as_deref())
    )
}

fn flag(value: Option<bool>) -> String {
    value.map_or("null".into(), |b| b.to_string())
}

fn text(value: Option<&str>) -> String {
    let Some(value) = value else { return "null".into() };
    let mut quoted = String::from('"');
    for c in value.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            c if (c as u32) < 0x20 => quoted.push_str(&format!("\\u{:04x}", c as u32)),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}
