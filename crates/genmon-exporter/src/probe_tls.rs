//! The probe's TLS client: the normal webpki verification (or none, with
//! `tls_insecure`) wrapped so the handshake leaves behind what
//! blackbox_exporter reports from Go's `tls.ConnectionState`: the earliest
//! notAfter of every certificate the server presented (leaf and
//! intermediates: `probe_ssl_earliest_cert_expiry`) and the TLS version
//! (`probe_tls_version_info`). reqwest's own `TlsInfo` shows only the leaf.
//!
//! Session resumption is off: a resumed handshake presents no certificates,
//! and blackbox_exporter does a full handshake on every probe too.

use std::sync::{Arc, Mutex};

use tokio_rustls::rustls::client::WebPkiServerVerifier;
use tokio_rustls::rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use tokio_rustls::rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms, verify_tls12_signature, verify_tls13_signature};
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use tokio_rustls::rustls::{self, CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

/// What the last handshake showed.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Seen {
    /// Earliest notAfter (Unix seconds) of the presented chain.
    pub earliest_expiry: Option<i64>,
    /// blackbox_exporter's name of the version: `TLS 1.2` or `TLS 1.3`.
    pub version: Option<&'static str>,
}

/// Server certificate verifier that records [`Seen`].
#[derive(Debug)]
pub struct Recorder {
    /// `None` with `tls_insecure`: any chain is accepted (its handshake
    /// signature is still checked, as Go's `InsecureSkipVerify` does).
    verifier: Option<Arc<WebPkiServerVerifier>>,
    algs: WebPkiSupportedAlgorithms,
    seen: Mutex<Seen>,
}

impl Recorder {
    /// What the handshake since the last `take` recorded.
    pub fn take(&self) -> Seen {
        std::mem::take(&mut *self.seen.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn update(&self, f: impl FnOnce(&mut Seen)) {
        f(&mut self.seen.lock().unwrap_or_else(|e| e.into_inner()));
    }
}

/// The public roots probes trust (webpki-roots, as reqwest's default).
pub fn public_roots() -> Arc<RootCertStore> {
    Arc::new(RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    })
}

/// A client config trusting `roots` (or anything, when `insecure`), and the
/// recorder its handshakes report to.
pub fn client_config(roots: Arc<RootCertStore>, insecure: bool) -> anyhow::Result<(ClientConfig, Arc<Recorder>)> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = match insecure {
        true => None,
        false => Some(WebPkiServerVerifier::builder_with_provider(roots, provider.clone()).build()?),
    };
    let recorder = Arc::new(Recorder {
        verifier,
        algs: provider.signature_verification_algorithms,
        seen: Mutex::default(),
    });
    let mut cfg = ClientConfig::builder_with_provider(provider as Arc<CryptoProvider>)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(recorder.clone())
        .with_no_client_auth();
    cfg.resumption = rustls::client::Resumption::disabled();
    Ok((cfg, recorder))
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Some(v) = &self.verifier {
            v.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)?;
        }
        // Go parses every presented certificate, verified or not: one it
        // cannot read fails the handshake there too.
        let mut earliest = i64::MAX;
        for der in std::iter::once(end_entity).chain(intermediates) {
            let t = super::cert::not_after(der).map_err(|e| {
                tracing::debug!(error = %e, "cannot read a presented certificate");
                rustls::Error::InvalidCertificate(CertificateError::BadEncoding)
            })?;
            earliest = earliest.min(t);
        }
        self.update(|s| s.earliest_expiry = Some(earliest));
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let ok = verify_tls12_signature(message, cert, dss, &self.algs)?;
        self.update(|s| s.version = Some("TLS 1.2"));
        Ok(ok)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let ok = verify_tls13_signature(message, cert, dss, &self.algs)?;
        self.update(|s| s.version = Some("TLS 1.3"));
        Ok(ok)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algs.supported_schemes()
    }
}
