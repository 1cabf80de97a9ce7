//! A small, total DER reader (ITU-T X.690 §8, §10): just enough to read
//! RSA public keys (RFC 8017 §A.1.1), SubjectPublicKeyInfo (RFC 5280
//! §4.1.2.7), to find the SPKI inside a certificate (RFC 5280 §4.1), and
//! to walk the certificates of a CMS SignedData (RFC 5652 §5.1) for S/MIME.
//! Every function returns an error instead of panicking on any input.

use thiserror::Error;

/// Why DER could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DerError {
    /// The input ended inside an element.
    #[error("truncated DER: needed {needed} more byte(s)")]
    Truncated {
        /// How many bytes were missing.
        needed: u32,
    },
    /// Indefinite lengths are BER, not DER (X.690 §10.1).
    #[error("indefinite length is not allowed in DER")]
    IndefiniteLength,
    /// Length field longer than 4 bytes, or not minimal.
    #[error("unsupported or non-minimal length encoding")]
    BadLength,
    /// Multi-byte tag numbers are not used by the structures we read.
    #[error("unsupported high tag number")]
    HighTag,
    /// A different element than expected.
    #[error("expected tag 0x{expected:02x}, found 0x{found:02x}")]
    UnexpectedTag {
        /// The tag we wanted.
        expected: u8,
        /// The tag we saw.
        found: u8,
    },
    /// Bytes after the outermost element.
    #[error("{0} trailing byte(s) after the DER structure")]
    TrailingData(u32),
    /// Structurally valid DER that is not the expected key type.
    #[error("{0}")]
    Unsupported(String),
}

/// DER tag of SEQUENCE.
pub const TAG_SEQUENCE: u8 = 0x30;
/// DER tag of INTEGER.
pub const TAG_INTEGER: u8 = 0x02;
/// DER tag of BIT STRING.
pub const TAG_BIT_STRING: u8 = 0x03;
/// DER tag of OBJECT IDENTIFIER.
pub const TAG_OID: u8 = 0x06;

/// One element: tag, its content bytes, and the whole encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// The identifier octet.
    pub tag: u8,
    /// The content octets.
    pub value: &'a [u8],
    /// Tag, length and content together.
    pub raw: &'a [u8],
}

fn truncated(needed: usize) -> DerError {
    DerError::Truncated {
        needed: u32::try_from(needed).unwrap_or(u32::MAX),
    }
}

/// Reads one element from the start of `input`; returns it and the rest.
pub fn read_tlv(input: &[u8]) -> Result<(Tlv<'_>, &[u8]), DerError> {
    let (&tag, rest) = input.split_first().ok_or_else(|| truncated(2))?;
    if tag & 0x1f == 0x1f {
        return Err(DerError::HighTag);
    }
    let (&first, mut rest) = rest.split_first().ok_or_else(|| truncated(1))?;
    let length = if first < 0x80 {
        usize::from(first)
    } else if first == 0x80 {
        return Err(DerError::IndefiniteLength);
    } else {
        let count = usize::from(first & 0x7f);
        if count > 4 {
            return Err(DerError::BadLength);
        }
        if rest.len() < count {
            return Err(truncated(count - rest.len()));
        }
        let mut length = 0usize;
        for &b in &rest[..count] {
            length = (length << 8) | usize::from(b);
        }
        if length < 0x80 || rest[0] == 0 {
            return Err(DerError::BadLength);
        }
        rest = &rest[count..];
        length
    };
    if rest.len() < length {
        return Err(truncated(length - rest.len()));
    }
    let header = input.len() - rest.len();
    let value = &rest[..length];
    Ok((
        Tlv {
            tag,
            value,
            raw: &input[..header + length],
        },
        &rest[length..],
    ))
}

/// Reads one element and checks its tag.
pub fn expect(input: &[u8], tag: u8) -> Result<(Tlv<'_>, &[u8]), DerError> {
    let (tlv, rest) = read_tlv(input)?;
    if tlv.tag != tag {
        return Err(DerError::UnexpectedTag {
            expected: tag,
            found: tlv.tag,
        });
    }
    Ok((tlv, rest))
}

/// Reads exactly one element spanning all of `input`.
pub fn expect_whole(input: &[u8], tag: u8) -> Result<Tlv<'_>, DerError> {
    let (tlv, rest) = expect(input, tag)?;
    if !rest.is_empty() {
        return Err(DerError::TrailingData(
            u32::try_from(rest.len()).unwrap_or(u32::MAX),
        ));
    }
    Ok(tlv)
}

/// The DER encoding of OID 1.2.840.113549.1.1.1 (rsaEncryption, RFC 8017 §A.1).
pub const OID_RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
/// The DER encoding of OID 1.3.101.112 (id-Ed25519, RFC 8410 §3).
pub const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];

/// A public key read from DER.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicKey {
    /// RSA with its modulus size.
    Rsa {
        /// Modulus length in bits.
        modulus_bits: u32,
    },
    /// Ed25519 in an SPKI wrapper.
    Ed25519,
}

/// Bit length of a big-endian unsigned INTEGER content (leading zeros skipped).
fn integer_bits(content: &[u8]) -> u32 {
    let significant: &[u8] = match content.iter().position(|&b| b != 0) {
        Some(i) => &content[i..],
        None => return 0,
    };
    let top = significant[0];
    (significant.len() as u32 - 1) * 8 + (8 - top.leading_zeros())
}

/// Reads an `RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }`
/// (RFC 8017 §A.1.1) and returns the modulus size in bits.
pub fn rsa_public_key_bits(der: &[u8]) -> Result<u32, DerError> {
    let seq = expect_whole(der, TAG_SEQUENCE)?;
    let (modulus, rest) = expect(seq.value, TAG_INTEGER)?;
    let (exponent, rest) = expect(rest, TAG_INTEGER)?;
    if !rest.is_empty() {
        return Err(DerError::TrailingData(rest.len() as u32));
    }
    if exponent.value.is_empty() || modulus.value.is_empty() {
        return Err(DerError::Unsupported("empty RSA integer".into()));
    }
    if modulus.value[0] & 0x80 != 0 {
        return Err(DerError::Unsupported("negative RSA modulus".into()));
    }
    Ok(integer_bits(modulus.value))
}

/// Reads a `SubjectPublicKeyInfo` (RFC 5280 §4.1.2.7) holding an RSA or
/// Ed25519 key, or a bare `RSAPublicKey` (RFC 3447 form some DKIM keys use).
pub fn read_public_key(der: &[u8]) -> Result<PublicKey, DerError> {
    let seq = expect_whole(der, TAG_SEQUENCE)?;
    let (first, _) = read_tlv(seq.value)?;
    if first.tag == TAG_INTEGER {
        return rsa_public_key_bits(der).map(|modulus_bits| PublicKey::Rsa { modulus_bits });
    }
    let (algorithm, rest) = expect(seq.value, TAG_SEQUENCE)?;
    let (bits, rest) = expect(rest, TAG_BIT_STRING)?;
    if !rest.is_empty() {
        return Err(DerError::TrailingData(rest.len() as u32));
    }
    let (oid, _) = expect(algorithm.value, TAG_OID)?;
    let (&unused, key) = bits.value.split_first().ok_or_else(|| truncated(1))?;
    if unused != 0 {
        return Err(DerError::Unsupported(
            "public key BIT STRING has unused bits".into(),
        ));
    }
    if oid.value == OID_RSA_ENCRYPTION {
        rsa_public_key_bits(key).map(|modulus_bits| PublicKey::Rsa { modulus_bits })
    } else if oid.value == OID_ED25519 {
        if key.len() == 32 {
            Ok(PublicKey::Ed25519)
        } else {
            Err(DerError::Unsupported(format!(
                "Ed25519 key is {} bytes, not 32",
                key.len()
            )))
        }
    } else {
        Err(DerError::Unsupported(
            "the key algorithm is neither RSA nor Ed25519".into(),
        ))
    }
}

/// The DER `SubjectPublicKeyInfo` of an X.509 certificate (RFC 5280 §4.1):
/// `Certificate ::= SEQUENCE { tbsCertificate, ... }`, and in
/// `TBSCertificate` the optional `[0] version`, then serialNumber,
/// signature, issuer, validity, subject and subjectPublicKeyInfo.
pub fn certificate_spki(cert: &[u8]) -> Result<&[u8], DerError> {
    let certificate = expect_whole(cert, TAG_SEQUENCE)?;
    let (tbs, _) = expect(certificate.value, TAG_SEQUENCE)?;
    let mut rest = tbs.value;
    let (first, after) = read_tlv(rest)?;
    if first.tag == 0xa0 {
        rest = after;
    }
    // serialNumber, signature, issuer, validity, subject
    for _ in 0..5 {
        let (_, after) = read_tlv(rest)?;
        rest = after;
    }
    let (spki, _) = expect(rest, TAG_SEQUENCE)?;
    Ok(spki.raw)
}

/// The DER encoding of OID 1.2.840.113549.1.7.2 (id-signedData, RFC 5652 §5.1).
pub const OID_SIGNED_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];
/// The DER encoding of OID 1.2.840.113549.1.7.3 (id-envelopedData, RFC 5652 §6.1).
pub const OID_ENVELOPED_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x03];
/// The DER encoding of OID 1.2.840.113549.1.9.1 (emailAddress, RFC 5280 §4.1.2.6).
pub const OID_EMAIL_ADDRESS: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01];
/// The DER encoding of OID 2.5.29.17 (subjectAltName, RFC 5280 §4.2.1.6).
pub const OID_SUBJECT_ALT_NAME: &[u8] = &[0x55, 0x1d, 0x11];

/// The content type of a CMS `ContentInfo` (RFC 5652 §3) and its content:
/// `ContentInfo ::= SEQUENCE { contentType OBJECT IDENTIFIER,
/// content [0] EXPLICIT ANY DEFINED BY contentType }`.
pub fn content_info(der: &[u8]) -> Result<(&[u8], Option<&[u8]>), DerError> {
    let (info, _) = expect(der, TAG_SEQUENCE)?;
    let (oid, rest) = expect(info.value, TAG_OID)?;
    let content = match read_tlv(rest) {
        Ok((tlv, _)) if tlv.tag == 0xa0 => Some(tlv.value),
        _ => None,
    };
    Ok((oid.value, content))
}

/// The certificates carried by a CMS SignedData (RFC 5652 §5.1), each as
/// its whole DER encoding:
///
/// ```text
/// SignedData ::= SEQUENCE {
///   version CMSVersion,
///   digestAlgorithms DigestAlgorithmIdentifiers,      -- SET
///   encapContentInfo EncapsulatedContentInfo,         -- SEQUENCE
///   certificates [0] IMPLICIT CertificateSet OPTIONAL,
///   crls [1] IMPLICIT RevocationInfoChoices OPTIONAL,
///   signerInfos SignerInfos }
/// ```
///
/// `der` is a whole `ContentInfo`. Other certificate choices (attribute
/// certificates, tagged) are skipped.
pub fn signed_data_certificates(der: &[u8]) -> Result<Vec<&[u8]>, DerError> {
    let (oid, content) = content_info(der)?;
    if oid != OID_SIGNED_DATA {
        return Err(DerError::Unsupported("not a CMS SignedData".into()));
    }
    let content =
        content.ok_or_else(|| DerError::Unsupported("SignedData without content".into()))?;
    let (signed, _) = expect(content, TAG_SEQUENCE)?;
    let (_, rest) = expect(signed.value, TAG_INTEGER)?;
    let (_, rest) = expect(rest, 0x31)?;
    let (_, rest) = expect(rest, TAG_SEQUENCE)?;
    let mut out = Vec::new();
    if let Ok((certs, _)) = read_tlv(rest) {
        if certs.tag == 0xa0 {
            let mut inner = certs.value;
            while !inner.is_empty() {
                let (cert, after) = read_tlv(inner)?;
                if cert.tag == TAG_SEQUENCE {
                    out.push(cert.raw);
                }
                inner = after;
            }
        }
    }
    Ok(out)
}

/// What mxlens reads of an X.509 certificate (RFC 5280 §4.1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CertificateInfo {
    /// The subject DN, e.g. `CN=Alice, emailAddress=alice@example.com`.
    pub subject: String,
    /// The issuer DN.
    pub issuer: String,
    /// notBefore, RFC 3339 UTC.
    pub not_before: String,
    /// notAfter, RFC 3339 UTC.
    pub not_after: String,
    /// E-mail addresses: SAN rfc822Name entries, then the subject's
    /// emailAddress attributes (RFC 5280 §4.1.2.6, §4.2.1.6).
    pub emails: Vec<String>,
}

fn attribute_name(oid: &[u8]) -> Option<&'static str> {
    Some(match oid {
        [0x55, 0x04, 0x03] => "CN",
        [0x55, 0x04, 0x06] => "C",
        [0x55, 0x04, 0x07] => "L",
        [0x55, 0x04, 0x08] => "ST",
        [0x55, 0x04, 0x0a] => "O",
        [0x55, 0x04, 0x0b] => "OU",
        _ if oid == OID_EMAIL_ADDRESS => "emailAddress",
        _ => return None,
    })
}

/// A DirectoryString or IA5String value as text (BMPString is UTF-16BE).
fn string_value(tlv: &Tlv<'_>) -> String {
    if tlv.tag == 0x1e {
        let units: Vec<u16> = tlv
            .value
            .chunks(2)
            .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
            .collect();
        return String::from_utf16_lossy(&units);
    }
    String::from_utf8_lossy(tlv.value).into_owned()
}

/// `Name ::= SEQUENCE OF RelativeDistinguishedName` (RFC 5280 §4.1.2.4),
/// as `CN=..., O=...`, and the emailAddress values it holds.
fn read_name(name: &[u8]) -> Result<(String, Vec<String>), DerError> {
    let mut parts = Vec::new();
    let mut emails = Vec::new();
    let mut rdns = name;
    while !rdns.is_empty() {
        let (set, after) = expect(rdns, 0x31)?;
        rdns = after;
        let mut atvs = set.value;
        while !atvs.is_empty() {
            let (atv, after) = expect(atvs, TAG_SEQUENCE)?;
            atvs = after;
            let (oid, rest) = expect(atv.value, TAG_OID)?;
            let (value, _) = read_tlv(rest)?;
            let text = string_value(&value);
            if oid.value == OID_EMAIL_ADDRESS {
                emails.push(text.clone());
            }
            let key = attribute_name(oid.value).map_or_else(|| "?".to_string(), str::to_string);
            parts.push(format!("{key}={text}"));
        }
    }
    Ok((parts.join(", "), emails))
}

/// UTCTime (`YYMMDDHHMMSSZ`, years 1950–2049, RFC 5280 §4.1.2.5.1) or
/// GeneralizedTime (`YYYYMMDDHHMMSSZ`, §4.1.2.5.2) as RFC 3339.
fn read_time(tlv: &Tlv<'_>) -> Result<String, DerError> {
    let text = core::str::from_utf8(tlv.value)
        .map_err(|_| DerError::Unsupported("time is not ASCII".into()))?;
    let digits = text.trim_end_matches('Z');
    let full = match (tlv.tag, digits.len()) {
        (0x17, 12) => {
            let yy: u32 = digits[..2]
                .parse()
                .map_err(|_| DerError::Unsupported("bad UTCTime".into()))?;
            format!("{}{digits}", if yy < 50 { "20" } else { "19" })
        }
        (0x18, 14) => digits.to_string(),
        _ => return Err(DerError::Unsupported(format!("unsupported time {text:?}"))),
    };
    if !full.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DerError::Unsupported(format!("bad time {text:?}")));
    }
    Ok(format!(
        "{}-{}-{}T{}:{}:{}Z",
        &full[..4],
        &full[4..6],
        &full[6..8],
        &full[8..10],
        &full[10..12],
        &full[12..14]
    ))
}

/// The rfc822Name entries of a subjectAltName extension value
/// (`GeneralNames ::= SEQUENCE OF GeneralName`; `rfc822Name [1] IA5String`).
fn san_emails(value: &[u8]) -> Result<Vec<String>, DerError> {
    let (names, _) = expect(value, TAG_SEQUENCE)?;
    let mut out = Vec::new();
    let mut rest = names.value;
    while !rest.is_empty() {
        let (name, after) = read_tlv(rest)?;
        rest = after;
        if name.tag == 0x81 {
            out.push(String::from_utf8_lossy(name.value).into_owned());
        }
    }
    Ok(out)
}

/// Reads subject, issuer, validity and e-mail addresses of a certificate:
///
/// ```text
/// TBSCertificate ::= SEQUENCE {
///   version [0] EXPLICIT Version DEFAULT v1, serialNumber, signature,
///   issuer Name, validity Validity, subject Name, subjectPublicKeyInfo,
///   issuerUniqueID [1] OPTIONAL, subjectUniqueID [2] OPTIONAL,
///   extensions [3] EXPLICIT Extensions OPTIONAL }
/// ```
pub fn certificate_info(cert: &[u8]) -> Result<CertificateInfo, DerError> {
    let (certificate, _) = expect(cert, TAG_SEQUENCE)?;
    let (tbs, _) = expect(certificate.value, TAG_SEQUENCE)?;
    let mut rest = tbs.value;
    let (first, after) = read_tlv(rest)?;
    if first.tag == 0xa0 {
        rest = after;
    }
    let (_, rest) = expect(rest, TAG_INTEGER)?;
    let (_, rest) = expect(rest, TAG_SEQUENCE)?;
    let (issuer, rest) = expect(rest, TAG_SEQUENCE)?;
    let (validity, rest) = expect(rest, TAG_SEQUENCE)?;
    let (subject, mut rest) = expect(rest, TAG_SEQUENCE)?;
    let (not_before, after) = read_tlv(validity.value)?;
    let (not_after, _) = read_tlv(after)?;
    let (issuer, _) = read_name(issuer.value)?;
    let (subject, subject_emails) = read_name(subject.value)?;
    let mut emails = Vec::new();
    // subjectPublicKeyInfo, then optional fields up to [3] extensions.
    let (_, after) = expect(rest, TAG_SEQUENCE)?;
    rest = after;
    while !rest.is_empty() {
        let (field, after) = read_tlv(rest)?;
        rest = after;
        if field.tag != 0xa3 {
            continue;
        }
        let (extensions, _) = expect(field.value, TAG_SEQUENCE)?;
        let mut exts = extensions.value;
        while !exts.is_empty() {
            let (ext, after) = expect(exts, TAG_SEQUENCE)?;
            exts = after;
            let (oid, mut inner) = expect(ext.value, TAG_OID)?;
            if oid.value != OID_SUBJECT_ALT_NAME {
                continue;
            }
            if let Ok((critical, after)) = expect(inner, 0x01) {
                let _ = critical;
                inner = after;
            }
            let (octets, _) = expect(inner, 0x04)?;
            emails.extend(san_emails(octets.value)?);
        }
    }
    for e in subject_emails {
        if !emails.iter().any(|x| x.eq_ignore_ascii_case(&e)) {
            emails.push(e);
        }
    }
    Ok(CertificateInfo {
        subject,
        issuer,
        not_before: read_time(&not_before)?,
        not_after: read_time(&not_after)?,
        emails,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_and_errors() {
        assert_eq!(read_tlv(&[0x02, 0x01, 0x05]).unwrap().0.value, &[5]);
        assert_eq!(
            read_tlv(&[0x02, 0x02, 0x05]),
            Err(DerError::Truncated { needed: 1 })
        );
        assert_eq!(read_tlv(&[0x30, 0x80]), Err(DerError::IndefiniteLength));
        assert_eq!(read_tlv(&[0x30, 0x81, 0x05]), Err(DerError::BadLength));
        assert_eq!(read_tlv(&[0x1f, 0x01]), Err(DerError::HighTag));
        assert!(read_tlv(&[]).is_err());
        // A bare RSAPublicKey with a 9-bit modulus 0x0100 + exponent 3.
        assert_eq!(
            rsa_public_key_bits(&[0x30, 0x07, 0x02, 0x02, 0x01, 0x00, 0x02, 0x01, 0x03]),
            Ok(9)
        );
    }

    #[test]
    fn never_panics() {
        for len in 0..64u8 {
            let data: Vec<u8> = (0..len).map(|i| i.wrapping_mul(37) ^ 0x30).collect();
            let _ = read_public_key(&data);
            let _ = certificate_spki(&data);
            let _ = certificate_info(&data);
            let _ = signed_data_certificates(&data);
        }
    }
}
