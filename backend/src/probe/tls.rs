//! TLS inspection for probes: a rustls client whose certificate verifier
//! records the presented chain and judges it (path validation against the
//! trust anchors, name match) without failing the handshake, so that the
//! report can say what is wrong instead of just "handshake failed". The
//! handshake signatures are still verified: the peer must own the key of
//! the certificate it presented.

use std::net::IpAddr;
use std::sync::{Arc, LazyLock, Mutex};

use mxlens_shared::smtp::{CertSummary, ChainVerdict};
use tokio_rustls::rustls;
use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::client::{verify_server_cert_signed_by_trust_anchor, verify_server_name};
use tokio_rustls::rustls::crypto::{
    verify_tls12_signature, verify_tls13_signature, CryptoProvider,
};
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use tokio_rustls::rustls::server::ParsedCertificate;
use tokio_rustls::rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

/// What the verifier saw during one handshake.
#[derive(Debug, Clone, Default)]
pub struct RecordedChain {
    /// The presented chain in DER, leaf first.
    pub der_chain: Vec<Vec<u8>>,
    /// Path validation against the trust anchors.
    pub verdict: Option<ChainVerdict>,
    /// Whether the leaf is valid for the name we connected for.
    pub name_matches: Option<bool>,
}

/// The ring provider, shared.
fn provider() -> Arc<CryptoProvider> {
    static PROVIDER: LazyLock<Arc<CryptoProvider>> =
        LazyLock::new(|| Arc::new(rustls::crypto::ring::default_provider()));
    PROVIDER.clone()
}

/// Trust anchors: the Mozilla roots of webpki-roots plus `extra` (DER
/// certificates, e.g. a test CA). An extra certificate that does not parse
/// is skipped.
pub fn root_store(extra: &[Vec<u8>]) -> Arc<RootCertStore> {
    static WEBPKI: LazyLock<Arc<RootCertStore>> = LazyLock::new(|| {
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        Arc::new(roots)
    });
    if extra.is_empty() {
        return WEBPKI.clone();
    }
    let mut roots = (*WEBPKI.clone()).clone();
    for der in extra {
        let _ = roots.add(CertificateDer::from(der.clone()));
    }
    Arc::new(roots)
}

/// A verifier that records instead of refusing.
#[derive(Debug)]
pub struct RecordingVerifier {
    roots: Arc<RootCertStore>,
    provider: Arc<CryptoProvider>,
    seen: Mutex<RecordedChain>,
}

impl RecordingVerifier {
    /// A verifier judging against `roots`.
    pub fn new(roots: Arc<RootCertStore>) -> Self {
        RecordingVerifier {
            roots,
            provider: provider(),
            seen: Mutex::new(RecordedChain::default()),
        }
    }

    /// What was recorded (empty before the handshake reached the certificate).
    pub fn recorded(&self) -> RecordedChain {
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let mut record = RecordedChain {
            der_chain: std::iter::once(end_entity)
                .chain(intermediates)
                .map(|c| c.as_ref().to_vec())
                .collect(),
            ..Default::default()
        };
        match ParsedCertificate::try_from(end_entity) {
            Ok(parsed) => {
                let chain = verify_server_cert_signed_by_trust_anchor(
                    &parsed,
                    &self.roots,
                    intermediates,
                    now,
                    self.provider.signature_verification_algorithms.all,
                );
                record.verdict = Some(match chain {
                    Ok(()) => ChainVerdict::Trusted,
                    Err(e) => ChainVerdict::Untrusted {
                        reason: e.to_string(),
                    },
                });
                record.name_matches = Some(verify_server_name(&parsed, server_name).is_ok());
            }
            Err(e) => {
                record.verdict = Some(ChainVerdict::Untrusted {
                    reason: format!("unparsable certificate: {e}"),
                });
                record.name_matches = Some(false);
            }
        }
        *self.seen.lock().unwrap_or_else(|p| p.into_inner()) = record;
        // Deliberately accept: the verdict is reported, not enforced.
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A connector using `verifier` (TLS 1.2 and 1.3, ring).
pub fn recording_connector(
    verifier: Arc<RecordingVerifier>,
) -> Result<tokio_rustls::TlsConnector, rustls::Error> {
    let config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

/// A connector that enforces verification against `roots` (for HTTPS
/// fetches, where an invalid certificate must fail the fetch).
pub fn verifying_connector(
    roots: Arc<RootCertStore>,
) -> Result<tokio_rustls::TlsConnector, rustls::Error> {
    let config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

/// The SNI / verification name for `host`; an IP when `host` is not a
/// valid DNS name.
pub fn server_name(host: &str, ip: IpAddr) -> ServerName<'static> {
    let host = host.trim_end_matches('.');
    ServerName::try_from(host.to_string()).unwrap_or(ServerName::IpAddress(ip.into()))
}

/// "TLSv1.3" style name of a protocol version.
pub fn version_name(version: rustls::ProtocolVersion) -> String {
    match version {
        rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3".into(),
        rustls::ProtocolVersion::TLSv1_2 => "TLSv1.2".into(),
        rustls::ProtocolVersion::TLSv1_1 => "TLSv1.1".into(),
        rustls::ProtocolVersion::TLSv1_0 => "TLSv1.0".into(),
        rustls::ProtocolVersion::SSLv3 => "SSLv3".into(),
        other => format!("{other:?}"),
    }
}

fn rfc3339(t: x509_parser::time::ASN1Time) -> String {
    t.to_datetime()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}

/// Summarises one DER certificate with x509-parser. `now_unix` is the probe
/// time (seconds since the epoch) for `days_left`. `None` when it does not
/// parse.
pub fn summarize_cert(der: &[u8], now_unix: i64) -> Option<CertSummary> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    let mut sans = Vec::new();
    if let Ok(Some(ext)) = cert.subject_alternative_name() {
        for name in &ext.value.general_names {
            match name {
                GeneralName::DNSName(n) => sans.push(n.to_string()),
                GeneralName::IPAddress(bytes) => match bytes.len() {
                    4 => {
                        let b: [u8; 4] = (*bytes).try_into().ok()?;
                        sans.push(IpAddr::from(b).to_string());
                    }
                    16 => {
                        let b: [u8; 16] = (*bytes).try_into().ok()?;
                        sans.push(IpAddr::from(b).to_string());
                    }
                    _ => {}
                },
                _ => {}
            }
        }
    }
    let validity = cert.validity();
    let not_after = validity.not_after.timestamp();
    Some(CertSummary {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        sans,
        not_before: rfc3339(validity.not_before),
        not_after: rfc3339(validity.not_after),
        days_left: (not_after - now_unix).div_euclid(86_400),
    })
}

/// Seconds since the epoch now.
pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Describes a failed handshake. A server that speaks only TLS 1.0/1.1
/// (which rustls cannot negotiate) is reported as "protocol version: …",
/// so the report can fail `smtp.tls-version` (RFC 8996) instead of
/// guessing.
pub fn describe_handshake_error(e: &std::io::Error) -> String {
    use rustls::{AlertDescription, PeerIncompatible};
    let inner = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>());
    let old_protocol = matches!(
        inner,
        Some(rustls::Error::AlertReceived(
            AlertDescription::ProtocolVersion
        )) | Some(rustls::Error::PeerIncompatible(
            PeerIncompatible::ServerDoesNotSupportTls12Or13
                | PeerIncompatible::ServerTlsVersionIsDisabledByOurConfig
                | PeerIncompatible::SupportedVersionsExtensionRequired
        ))
    );
    if old_protocol {
        format!("protocol version: the server offers no TLS 1.2 or 1.3 ({e})")
    } else {
        e.to_string()
    }
}
