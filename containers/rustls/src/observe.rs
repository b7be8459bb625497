//! What rustls does with certificates and signatures, seen from the callbacks it makes, because
//! its Connection API does not say: which certificate the peer presented and we verified, which
//! scheme a CertificateVerify used, whether we presented ours. Each wrapper hands every call to
//! rustls' own object unchanged and notes the outcome; the signing key also narrows the schemes
//! it signs with to --signature-schemes, in their order.

use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::sign::{Signer, SigningKey};
use rustls::{
    DigitallySignedStruct, DistinguishedName, Error, SignatureAlgorithm, SignatureScheme,
};

/// One connection's notes; connections run one after another, so one journal serves them all
/// (reset before each).
#[derive(Default)]
pub struct Seen {
    /// The peer's leaf, once rustls verified the chain it came with.
    pub peer_certificate: Option<CertificateDer<'static>>,
    /// The scheme of the peer's CertificateVerify, once rustls verified it.
    pub peer_scheme: Option<SignatureScheme>,
    /// The scheme rustls chose for our CertificateVerify: our certificate went out with it.
    pub own_scheme: Option<SignatureScheme>,
}

#[derive(Clone, Default)]
pub struct Journal(Arc<Mutex<Seen>>);

impl Journal {
    pub fn reset(&self) {
        *self.0.lock().unwrap() = Seen::default();
    }

    pub fn take(&self) -> Seen {
        std::mem::take(&mut *self.0.lock().unwrap())
    }

    fn note(&self, write: impl FnOnce(&mut Seen)) {
        write(&mut self.0.lock().unwrap());
    }
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Journal")
    }
}

/// A client's server-certificate verifier (rustls' WebPkiServerVerifier), watched.
#[derive(Debug)]
pub struct WatchedServerVerifier {
    pub inner: Arc<dyn ServerCertVerifier>,
    pub journal: Journal,
}

impl ServerCertVerifier for WatchedServerVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let verified = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )?;
        self.journal.note(|s| s.peer_certificate = Some(end_entity.clone().into_owned()));
        Ok(verified)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        let valid = self.inner.verify_tls13_signature(message, cert, dss)?;
        self.journal.note(|s| s.peer_scheme = Some(dss.scheme));
        Ok(valid)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }

    fn requires_raw_public_keys(&self) -> bool {
        self.inner.requires_raw_public_keys()
    }

    fn root_hint_subjects(&self) -> Option<&[DistinguishedName]> {
        self.inner.root_hint_subjects()
    }
}

/// A server's client-certificate verifier (rustls' WebPkiClientVerifier), watched.
#[derive(Debug)]
pub struct WatchedClientVerifier {
    pub inner: Arc<dyn ClientCertVerifier>,
    pub journal: Journal,
}

impl ClientCertVerifier for WatchedClientVerifier {
    fn offer_client_auth(&self) -> bool {
        self.inner.offer_client_auth()
    }

    fn client_auth_mandatory(&self) -> bool {
        self.inner.client_auth_mandatory()
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.inner.root_hint_subjects()
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, Error> {
        let verified = self.inner.verify_client_cert(end_entity, intermediates, now)?;
        self.journal.note(|s| s.peer_certificate = Some(end_entity.clone().into_owned()));
        Ok(verified)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        let valid = self.inner.verify_tls13_signature(message, cert, dss)?;
        self.journal.note(|s| s.peer_scheme = Some(dss.scheme));
        Ok(valid)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }

    fn requires_raw_public_keys(&self) -> bool {
        self.inner.requires_raw_public_keys()
    }
}

/// Our private key (as aws-lc-rs loaded it), watched, and narrowed to `schemes` when given:
/// rustls asks it to choose among the peer's offered schemes; it then takes the first of ours
/// the peer offered and the key can make, instead of the key's own order.
#[derive(Debug)]
pub struct WatchedKey {
    pub inner: Arc<dyn SigningKey>,
    pub schemes: Option<Vec<SignatureScheme>>,
    pub journal: Journal,
}

impl SigningKey for WatchedKey {
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn Signer>> {
        let signer = match &self.schemes {
            None => self.inner.choose_scheme(offered),
            Some(ours) => ours
                .iter()
                .filter(|scheme| offered.contains(scheme))
                .find_map(|scheme| self.inner.choose_scheme(&[*scheme])),
        }?;
        self.journal.note(|s| s.own_scheme = Some(signer.scheme()));
        Some(signer)
    }

    fn public_key(&self) -> Option<rustls::pki_types::SubjectPublicKeyInfoDer<'_>> {
        self.inner.public_key()
    }

    fn algorithm(&self) -> SignatureAlgorithm {
        self.inner.algorithm()
    }
}
