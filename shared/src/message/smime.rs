//! S/MIME detection (`msg.smime`, RFC 8551): signed messages
//! (`multipart/signed` with an `application/pkcs7-signature` part, §3.5.3)
//! and opaque-signed or encrypted ones (`application/pkcs7-mime` with
//! `smime-type`, §3.2.2). For a signature, the signer certificate is read
//! from the CMS SignedData (RFC 5652 §5.1) with the small DER reader in
//! [`crate::der`]: subject, issuer, validity and e-mail address, compared
//! with From. The signature itself is not verified.
//!
//! The finding is `info`: it says what S/MIME protects (the body) and what
//! it does not (headers, Subject, the envelope).

use mail_parser::{Message, MimeHeaders};

use crate::der::{self, CertificateInfo};
use crate::report::{Check, Status};

/// What kind of S/MIME a message uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmimeKind {
    /// `multipart/signed`, detached signature (RFC 8551 §3.5.3).
    DetachedSignature,
    /// `application/pkcs7-mime; smime-type=signed-data` (§3.5.2).
    OpaqueSignature,
    /// `application/pkcs7-mime; smime-type=enveloped-data` (or
    /// authEnveloped-data, RFC 8551 §3.3): encrypted.
    Encrypted,
    /// `application/pkcs7-mime` with another or no smime-type.
    Other,
}

/// What was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmimeFinding {
    /// The kind.
    pub kind: SmimeKind,
    /// The MIME type seen, e.g. `multipart/signed; protocol=application/pkcs7-signature`.
    pub mime: String,
    /// The signer certificate, when one was read.
    pub signer: Option<CertificateInfo>,
    /// Why the certificate could not be read, if it could not.
    pub certificate_problem: Option<String>,
}

fn is_pkcs7(subtype: &str, what: &str) -> bool {
    let s = subtype.to_ascii_lowercase();
    s == what || s.strip_prefix("x-") == Some(what)
}

/// Detects S/MIME in a parsed message. `None` when it has none.
pub fn detect(message: &Message<'_>) -> Option<SmimeFinding> {
    let root = message.parts.first()?;
    let ct = root.content_type()?;
    let ctype = ct.ctype().to_ascii_lowercase();
    let subtype = ct.subtype().unwrap_or("").to_ascii_lowercase();
    if ctype == "multipart" && subtype == "signed" {
        let protocol = ct.attribute("protocol").unwrap_or("").to_ascii_lowercase();
        let signature = message.parts.iter().skip(1).find(|p| {
            p.content_type().is_some_and(|c| {
                c.ctype().eq_ignore_ascii_case("application")
                    && is_pkcs7(c.subtype().unwrap_or(""), "pkcs7-signature")
            })
        });
        let protocol_is_smime = protocol
            .strip_prefix("application/")
            .is_some_and(|s| is_pkcs7(s, "pkcs7-signature"));
        if !protocol_is_smime && signature.is_none() {
            return None;
        }
        let (signer, problem) = match signature {
            Some(part) => signer_of(part.contents()),
            None => (
                None,
                Some("no application/pkcs7-signature part".to_string()),
            ),
        };
        return Some(SmimeFinding {
            kind: SmimeKind::DetachedSignature,
            mime: format!("multipart/signed; protocol={protocol}"),
            signer,
            certificate_problem: problem,
        });
    }
    if ctype == "application" && is_pkcs7(&subtype, "pkcs7-mime") {
        let smime_type = ct
            .attribute("smime-type")
            .unwrap_or("")
            .to_ascii_lowercase();
        let kind = match smime_type.as_str() {
            "signed-data" => SmimeKind::OpaqueSignature,
            "enveloped-data" | "authenveloped-data" => SmimeKind::Encrypted,
            _ => SmimeKind::Other,
        };
        let (signer, problem) = if kind == SmimeKind::OpaqueSignature {
            signer_of(root.contents())
        } else {
            (None, None)
        };
        let mime = if smime_type.is_empty() {
            format!("application/{subtype}")
        } else {
            format!("application/{subtype}; smime-type={smime_type}")
        };
        return Some(SmimeFinding {
            kind,
            mime,
            signer,
            certificate_problem: problem,
        });
    }
    None
}

/// The signer certificate from a CMS SignedData: the first certificate
/// carrying an e-mail address, else the first one.
fn signer_of(der: &[u8]) -> (Option<CertificateInfo>, Option<String>) {
    let certs = match der::signed_data_certificates(der) {
        Ok(c) => c,
        Err(e) => return (None, Some(format!("the signature could not be read: {e}"))),
    };
    let infos: Vec<CertificateInfo> = certs
        .iter()
        .filter_map(|c| der::certificate_info(c).ok())
        .collect();
    let chosen = infos
        .iter()
        .find(|i| !i.emails.is_empty())
        .or(infos.first())
        .cloned();
    match chosen {
        Some(info) => (Some(info), None),
        None => (
            None,
            Some("the signature carries no readable certificate".into()),
        ),
    }
}

/// What S/MIME does and does not protect, said plainly.
pub const PROTECTION_NOTE: &str = "S/MIME protects the body (and attachments): a signature shows who wrote it and that it was not changed, encryption keeps it unreadable to everyone but the recipient. It does not hide the headers: From, To, Cc, the Subject and the date, and the envelope (MAIL FROM, RCPT TO) stay readable, so S/MIME does not hide who writes to whom. They are protected in transit only where TLS protects each hop between servers.";

/// The `msg.smime` check, with `from` the From address and `now_unix` the
/// report time (for the validity period).
pub fn smime_check(finding: &SmimeFinding, from: Option<&str>, now_unix: Option<i64>) -> Check {
    let what = match finding.kind {
        SmimeKind::DetachedSignature => "Signed with S/MIME (detached signature)",
        SmimeKind::OpaqueSignature => "Signed with S/MIME (opaque signature)",
        SmimeKind::Encrypted => "Encrypted with S/MIME",
        SmimeKind::Other => "S/MIME content",
    };
    let mut detail = format!("{what}: {}.", finding.mime);
    if let Some(cert) = &finding.signer {
        detail.push_str(&format!(
            " Signer certificate: subject {}; issuer {}; valid {} to {}",
            cert.subject, cert.issuer, cert.not_before, cert.not_after
        ));
        if let Some(now) = now_unix {
            let start = crate::message::datetime::parse_rfc3339(&cert.not_before);
            let end = crate::message::datetime::parse_rfc3339(&cert.not_after);
            if end.is_some_and(|e| now > e) {
                detail.push_str(" (expired at the report time)");
            } else if start.is_some_and(|s| now < s) {
                detail.push_str(" (not yet valid at the report time)");
            }
        }
        detail.push('.');
        if cert.emails.is_empty() {
            detail.push_str(" The certificate names no e-mail address.");
        } else {
            detail.push_str(&format!(" Certificate e-mail: {}", cert.emails.join(", ")));
            match from {
                Some(f) if cert.emails.iter().any(|e| e.eq_ignore_ascii_case(f)) => {
                    detail.push_str(&format!(", which matches From ({f})."))
                }
                Some(f) => detail.push_str(&format!(
                    ", which does not match From ({f}): receivers show the signature as invalid or from someone else."
                )),
                None => detail.push('.'),
            }
        }
        detail.push_str(" mxlens does not verify the signature itself.");
    } else if let Some(problem) = &finding.certificate_problem {
        detail.push_str(&format!(" {problem}."));
    }
    detail.push(' ');
    detail.push_str(PROTECTION_NOTE);
    Check::new("msg.smime", Status::Info, detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_messages_have_no_smime() {
        let m = mail_parser::MessageParser::default()
            .parse(b"From: a@b.test\r\nContent-Type: text/plain\r\n\r\nhi\r\n".as_slice())
            .unwrap();
        assert!(detect(&m).is_none());
    }

    #[test]
    fn garbage_signatures_are_reported_not_panicked_on() {
        let raw = b"From: a@b.test\r\nContent-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; boundary=XX\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\nhi\r\n--XX\r\nContent-Type: application/pkcs7-signature\r\nContent-Transfer-Encoding: base64\r\n\r\nMIIBAAAA\r\n--XX--\r\n";
        let m = mail_parser::MessageParser::default()
            .parse(raw.as_slice())
            .unwrap();
        let f = detect(&m).unwrap();
        assert_eq!(f.kind, SmimeKind::DetachedSignature);
        assert!(f.signer.is_none());
        assert!(f.certificate_problem.is_some());
        let check = smime_check(&f, Some("a@b.test"), None);
        assert_eq!(check.status, Status::Info);
        assert!(check.detail.contains("does not hide the headers"));
    }
}
