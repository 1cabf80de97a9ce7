//! The public-key step of DKIM and ARC, behind one small trait so that the
//! hashing and every rule stay here in `shared` while the bignum code comes
//! from the platform: `ring` natively ([`RingVerifier`], never built for
//! wasm32) and the browser's WebCrypto `SubtleCrypto.verify` in the frontend.
//!
//! RFC 8301 §3.1: rsa-sha1 signatures are not valid, so no SHA-1 path
//! exists; RFC 8301 §3.2: RSA keys under 1024 bits are refused before any
//! verifier is asked (see [`VerifyingKey::from_record`]).

use std::future::Future;

use base64::Engine;

use crate::der::{self, DerError, TAG_BIT_STRING, TAG_INTEGER, TAG_OID, TAG_SEQUENCE};

/// The signing algorithms a verifier is asked about (RFC 6376 §3.3, RFC
/// 8463 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (RFC 6376 §3.3.2, RFC 8017 §8.2).
    RsaSha256,
    /// PureEdDSA Ed25519 over the SHA-256 of the header data (RFC 8463 §3).
    Ed25519Sha256,
}

impl SignatureAlgorithm {
    /// Reads `a=`; `None` for rsa-sha1 (RFC 8301 §3.1) and unknown names.
    pub fn from_tag(tag: &str) -> Option<Self> {
        match tag.trim().to_ascii_lowercase().as_str() {
            "rsa-sha256" => Some(SignatureAlgorithm::RsaSha256),
            "ed25519-sha256" => Some(SignatureAlgorithm::Ed25519Sha256),
            _ => None,
        }
    }

    /// The key type `k=` must name for this algorithm.
    pub fn key_type(self) -> &'static str {
        match self {
            SignatureAlgorithm::RsaSha256 => "rsa",
            SignatureAlgorithm::Ed25519Sha256 => "ed25519",
        }
    }
}

/// A public key in the forms the verifiers take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyingKey {
    /// RSA: the `RSAPublicKey` (RFC 8017 §A.1.1) for ring, the
    /// `SubjectPublicKeyInfo` (RFC 5280 §4.1.2.7) for WebCrypto.
    Rsa {
        /// PKCS#1 `RSAPublicKey` DER.
        pkcs1: Vec<u8>,
        /// `SubjectPublicKeyInfo` DER.
        spki: Vec<u8>,
        /// Modulus size.
        bits: u32,
    },
    /// The 32 raw bytes of an Ed25519 key (RFC 8463 §4.2).
    Ed25519(Vec<u8>),
}

/// Why a key record's `p=` cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyProblem {
    /// Not base64, not DER, or not the right size; the text says which.
    Unreadable(String),
    /// An RSA key under 1024 bits (RFC 8301 §3.2).
    TooShort(u32),
}

fn der_len(len: usize, out: &mut Vec<u8>) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .iter()
            .copied()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend_from_slice(&bytes);
    }
}

fn der_element(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    der_len(content.len(), &mut out);
    out.extend_from_slice(content);
    out
}

/// The `RSAPublicKey` inside an SPKI, or the input when it already is one
/// (some DKIM keys publish the bare PKCS#1 form).
fn rsa_pkcs1(der_bytes: &[u8]) -> Result<&[u8], DerError> {
    let seq = der::expect_whole(der_bytes, TAG_SEQUENCE)?;
    let (first, _) = der::read_tlv(seq.value)?;
    if first.tag == TAG_INTEGER {
        return Ok(der_bytes);
    }
    let (algorithm, rest) = der::expect(seq.value, TAG_SEQUENCE)?;
    let (oid, _) = der::expect(algorithm.value, TAG_OID)?;
    if oid.value != der::OID_RSA_ENCRYPTION {
        return Err(DerError::Unsupported("not an RSA key".into()));
    }
    let (bits, _) = der::expect(rest, TAG_BIT_STRING)?;
    bits.value
        .split_first()
        .map(|(_, key)| key)
        .ok_or(DerError::Unsupported("empty BIT STRING".into()))
}

impl VerifyingKey {
    /// The key of a `p=` value for `algorithm`.
    pub fn from_record(p: &str, algorithm: SignatureAlgorithm) -> Result<Self, KeyProblem> {
        let compact: String = p.chars().filter(|c| !c.is_whitespace()).collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(compact)
            .map_err(|e| KeyProblem::Unreadable(format!("p= is not base64: {e}")))?;
        match algorithm {
            SignatureAlgorithm::Ed25519Sha256 => {
                if bytes.len() == 32 {
                    Ok(VerifyingKey::Ed25519(bytes))
                } else {
                    Err(KeyProblem::Unreadable(format!(
                        "an Ed25519 key is 32 bytes, this one is {}",
                        bytes.len()
                    )))
                }
            }
            SignatureAlgorithm::RsaSha256 => {
                let unreadable =
                    |e: DerError| KeyProblem::Unreadable(format!("p= is not an RSA key: {e}"));
                let pkcs1 = rsa_pkcs1(&bytes).map_err(unreadable)?.to_vec();
                let bits = der::rsa_public_key_bits(&pkcs1).map_err(unreadable)?;
                if bits < 1024 {
                    return Err(KeyProblem::TooShort(bits));
                }
                // AlgorithmIdentifier rsaEncryption with NULL parameters.
                let mut algorithm = der_element(TAG_OID, der::OID_RSA_ENCRYPTION);
                algorithm.extend_from_slice(&[0x05, 0x00]);
                let mut bit_string = vec![0u8];
                bit_string.extend_from_slice(&pkcs1);
                let mut body = der_element(TAG_SEQUENCE, &algorithm);
                body.extend(der_element(TAG_BIT_STRING, &bit_string));
                Ok(VerifyingKey::Rsa {
                    spki: der_element(TAG_SEQUENCE, &body),
                    pkcs1,
                    bits,
                })
            }
        }
    }
}

/// The verifier could not run (the browser lacks the algorithm, the key
/// was refused by the platform). Never a verdict: it reads "not verified".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CryptoUnavailable(pub String);

/// Checks one signature. `message` is what was signed: for RSA the header
/// data, hashed by the verifier with SHA-256; for Ed25519 the 32-byte
/// SHA-256 of the header data (RFC 8463 §3). `Ok(false)` means the
/// signature does not match.
pub trait SignatureVerifier {
    /// Verifies `signature` over `message` with `key`.
    fn verify(
        &self,
        algorithm: SignatureAlgorithm,
        key: &VerifyingKey,
        message: &[u8],
        signature: &[u8],
    ) -> impl Future<Output = Result<bool, CryptoUnavailable>>;

    /// The SHA-256 of `data`, for the body hash (RFC 6376 §3.7). By
    /// default `sha2` here; the browser's verifier asks WebCrypto, which
    /// hashes a 1 MiB body in about a third of the time of `sha2` built
    /// for size in WebAssembly (#15, bench/ui-dkim.mjs).
    fn sha256(&self, data: &[u8]) -> impl Future<Output = [u8; 32]> {
        std::future::ready(sha256(data))
    }
}

/// The SHA-256 of `data` by `sha2`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(data).into()
}

/// The native verifier, on `ring` (already in the tree through rustls).
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug, Clone, Copy, Default)]
pub struct RingVerifier;

#[cfg(not(target_arch = "wasm32"))]
impl RingVerifier {
    /// The synchronous check behind the trait.
    pub fn verify_now(
        algorithm: SignatureAlgorithm,
        key: &VerifyingKey,
        message: &[u8],
        signature: &[u8],
    ) -> Result<bool, CryptoUnavailable> {
        use ring::signature as sig;
        let (params, bytes): (&'static dyn sig::VerificationAlgorithm, &[u8]) =
            match (algorithm, key) {
                (SignatureAlgorithm::RsaSha256, VerifyingKey::Rsa { pkcs1, .. }) => {
                    (&sig::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY, pkcs1)
                }
                (SignatureAlgorithm::Ed25519Sha256, VerifyingKey::Ed25519(raw)) => {
                    (&sig::ED25519, raw)
                }
                _ => return Err(CryptoUnavailable("key and algorithm differ".into())),
            };
        Ok(sig::UnparsedPublicKey::new(params, bytes)
            .verify(message, signature)
            .is_ok())
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl SignatureVerifier for RingVerifier {
    fn verify(
        &self,
        algorithm: SignatureAlgorithm,
        key: &VerifyingKey,
        message: &[u8],
        signature: &[u8],
    ) -> impl Future<Output = Result<bool, CryptoUnavailable>> {
        std::future::ready(Self::verify_now(algorithm, key, message, signature))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_spki_and_bare_pkcs1_rsa_keys() {
        let spki = "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB";
        let key = VerifyingKey::from_record(spki, SignatureAlgorithm::RsaSha256).unwrap();
        let VerifyingKey::Rsa {
            spki: rebuilt,
            pkcs1,
            bits,
        } = key
        else {
            panic!("not rsa")
        };
        assert_eq!(bits, 1024);
        // Re-wrapping gives back the published SPKI byte for byte.
        assert_eq!(
            base64::engine::general_purpose::STANDARD.encode(&rebuilt),
            spki
        );
        let bare = base64::engine::general_purpose::STANDARD.encode(&pkcs1);
        let again = VerifyingKey::from_record(&bare, SignatureAlgorithm::RsaSha256).unwrap();
        assert!(matches!(again, VerifyingKey::Rsa { spki, .. } if spki == rebuilt));
    }

    #[test]
    fn refuses_garbage_short_and_mismatched_keys() {
        for p in ["", "!!!", "AAAA", "MIIBIjAN"] {
            assert!(matches!(
                VerifyingKey::from_record(p, SignatureAlgorithm::RsaSha256),
                Err(KeyProblem::Unreadable(_))
            ));
        }
        // 512-bit key from the ARC test suite.
        let short = "MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAIWmlgix/84GJ+dfgjm7LTc9EPdfk ftlgiPpCq4/kbDAZmU0VvYKDljjleJ1dfvS+CGy9U/kk1tG3EeEvb82xAcCAwEAAQ==";
        assert_eq!(
            VerifyingKey::from_record(short, SignatureAlgorithm::RsaSha256),
            Err(KeyProblem::TooShort(512))
        );
        assert!(VerifyingKey::from_record(
            "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
            SignatureAlgorithm::Ed25519Sha256
        )
        .is_ok());
    }
}
