//! A small, total DER reader (ITU-T X.690 §8, §10): just enough to read
//! RSA public keys (RFC 8017 §A.1.1), SubjectPublicKeyInfo (RFC 5280
//! §4.1.2.7) and to find the SPKI inside a certificate (RFC 5280 §4.1).
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
        }
    }
}
