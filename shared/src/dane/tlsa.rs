//! DANE TLSA records for SMTP (RFC 6698, RFC 7671, RFC 7672): parameter
//! semantics, RFC 7672 guidance, matching against a certificate chain, and
//! the `dane.tlsa` check.

use std::fmt;

use sha2::{Digest, Sha256, Sha512};

use crate::der::certificate_spki;
use crate::diagnostic::{has_errors, Diagnostic, Severity, Span};
use crate::dns::{DnsLookup, DnsOutcome, TlsaRecord};
use crate::report::{Check, DaneFacts, LookupOutcome, Status};

const R6698_21: &str = "RFC 6698 §2.1";
const R7672_313: &str = "RFC 7672 §3.1.3";
const R7672_31: &str = "RFC 7672 §3.1";
const R7672_311: &str = "RFC 7672 §3.1.1";

/// Certificate usage (RFC 6698 §2.1.1, RFC 7218 acronyms).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CertUsage {
    /// 0: PKIX-TA, a CA that must also pass PKIX validation.
    PkixTa,
    /// 1: PKIX-EE, the server certificate, plus PKIX validation.
    PkixEe,
    /// 2: DANE-TA, a trust anchor named by DNS.
    DaneTa,
    /// 3: DANE-EE, the server certificate or key itself.
    DaneEe,
}

/// Selector (RFC 6698 §2.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Selector {
    /// 0: the full certificate.
    Cert,
    /// 1: the SubjectPublicKeyInfo.
    Spki,
}

/// Matching type (RFC 6698 §2.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchingType {
    /// 0: exact bytes.
    Full,
    /// 1: SHA-256.
    Sha256,
    /// 2: SHA-512.
    Sha512,
}

impl CertUsage {
    /// From the wire value.
    pub fn from_u8(v: u8) -> Option<Self> {
        [Self::PkixTa, Self::PkixEe, Self::DaneTa, Self::DaneEe]
            .get(usize::from(v))
            .copied()
    }
    /// RFC 7218 acronym.
    pub fn acronym(self) -> &'static str {
        match self {
            Self::PkixTa => "PKIX-TA",
            Self::PkixEe => "PKIX-EE",
            Self::DaneTa => "DANE-TA",
            Self::DaneEe => "DANE-EE",
        }
    }
}

impl Selector {
    /// From the wire value.
    pub fn from_u8(v: u8) -> Option<Self> {
        [Self::Cert, Self::Spki].get(usize::from(v)).copied()
    }
}

impl MatchingType {
    /// From the wire value.
    pub fn from_u8(v: u8) -> Option<Self> {
        [Self::Full, Self::Sha256, Self::Sha512]
            .get(usize::from(v))
            .copied()
    }
    /// The digest length, or `None` for full data.
    pub fn digest_len(self) -> Option<usize> {
        match self {
            Self::Full => None,
            Self::Sha256 => Some(32),
            Self::Sha512 => Some(64),
        }
    }
}

/// A TLSA record in presentation form: `usage selector matching hex`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsaText(pub TlsaRecord);

impl fmt::Display for TlsaText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = &self.0;
        write!(f, "{} {} {} ", r.usage, r.selector, r.matching)?;
        for b in &r.data {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// A parsed presentation-form record with diagnostics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsaParse {
    /// The record, when the fields could be read.
    pub record: Option<TlsaRecord>,
    /// Findings (parse plus [`lint_tlsa_record`]).
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses `3 1 1 <hex>` (RFC 6698 §2.2; the hex may contain spaces).
/// Never panics.
pub fn parse_tlsa(input: &str) -> TlsaParse {
    let whole = Span::new(0, input.len());
    let mut fields = Vec::new();
    let mut offset = 0;
    for part in input.split_ascii_whitespace() {
        let start = input[offset..].find(part).map_or(offset, |i| offset + i);
        offset = start + part.len();
        fields.push((part, Span::new(start, offset)));
    }
    let mut diags = Vec::new();
    if fields.len() < 4 {
        diags.push(Diagnostic::error(
            whole,
            "tlsa.fields",
            "RFC 6698 §2.2",
            "expected usage, selector, matching type and data",
        ));
        return TlsaParse {
            record: None,
            diagnostics: diags,
        };
    }
    let mut numbers = [0u8; 3];
    for (i, (text, span)) in fields[..3].iter().enumerate() {
        match text.parse::<u8>() {
            Ok(n) => numbers[i] = n,
            Err(_) => diags.push(Diagnostic::error(
                *span,
                "tlsa.number",
                "RFC 6698 §2.2",
                format!("`{text}` is not a number from 0 to 255"),
            )),
        }
    }
    let hex: String = fields[3..].iter().map(|(t, _)| *t).collect();
    let data_span = Span::new(fields[3].1.start as usize, input.len());
    let data = decode_hex(&hex);
    if data.is_none() {
        diags.push(Diagnostic::error(
            data_span,
            "tlsa.hex",
            "RFC 6698 §2.2",
            "the association data is not valid hexadecimal",
        ));
    }
    if has_errors(&diags) {
        return TlsaParse {
            record: None,
            diagnostics: diags,
        };
    }
    let record = TlsaRecord {
        usage: numbers[0],
        selector: numbers[1],
        matching: numbers[2],
        data: data.unwrap_or_default(),
    };
    diags.extend(lint_tlsa_record(&record).into_iter().map(|mut d| {
        d.span = whole;
        d
    }));
    TlsaParse {
        record: Some(record),
        diagnostics: diags,
    }
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if hex.is_empty() || !hex.len().is_multiple_of(2) || !hex.is_ascii() {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
        .collect()
}

/// Checks one record's parameters against RFC 6698 and the SMTP guidance of
/// RFC 7672. Spans are empty: binary records have no text.
pub fn lint_tlsa_record(record: &TlsaRecord) -> Vec<Diagnostic> {
    let span = Span::default();
    let mut diags = Vec::new();
    let usage = CertUsage::from_u8(record.usage);
    let selector = Selector::from_u8(record.selector);
    let matching = MatchingType::from_u8(record.matching);
    if usage.is_none() {
        diags.push(Diagnostic::error(
            span,
            "tlsa.unknown-usage",
            R6698_21,
            format!(
                "usage {} is not defined; the record is unusable",
                record.usage
            ),
        ));
    }
    if selector.is_none() {
        diags.push(Diagnostic::error(
            span,
            "tlsa.unknown-selector",
            R6698_21,
            format!(
                "selector {} is not defined; the record is unusable",
                record.selector
            ),
        ));
    }
    if matching.is_none() {
        diags.push(Diagnostic::error(
            span,
            "tlsa.unknown-matching",
            R6698_21,
            format!(
                "matching type {} is not defined; the record is unusable",
                record.matching
            ),
        ));
    }
    if let Some(m) = matching {
        match m.digest_len() {
            Some(len) if record.data.len() != len => diags.push(Diagnostic::error(
                span,
                "tlsa.digest-length",
                R6698_21,
                format!(
                    "a {} digest is {len} bytes, this one is {}",
                    if len == 32 { "SHA-256" } else { "SHA-512" },
                    record.data.len()
                ),
            )),
            None if record.data.is_empty() => diags.push(Diagnostic::error(
                span,
                "tlsa.empty-data",
                R6698_21,
                "the association data is empty",
            )),
            None => diags.push(Diagnostic::warning(
                span,
                "tlsa.full-data",
                R7672_311,
                "matching type 0 publishes the whole certificate or key; use 1 (SHA-256)",
            )),
            _ => {}
        }
    }
    if let Some(u @ (CertUsage::PkixTa | CertUsage::PkixEe)) = usage {
        diags.push(Diagnostic::warning(
            span,
            "tlsa.pkix-usage",
            R7672_313,
            format!("usage {} ({}) is not for SMTP: SMTP clients treat it as unusable; use 3 1 1 (DANE-EE)", record.usage, u.acronym()),
        ));
    }
    if usage == Some(CertUsage::DaneEe) && selector == Some(Selector::Cert) {
        diags.push(Diagnostic::info(
            span,
            "tlsa.ee-full-cert",
            R7672_31,
            "3 0 x must change at every certificate renewal; 3 1 1 survives renewals that keep the key",
        ));
    }
    diags
}

fn select(cert: &[u8], selector: Selector) -> Option<&[u8]> {
    match selector {
        Selector::Cert => Some(cert),
        Selector::Spki => certificate_spki(cert).ok(),
    }
}

fn matches_cert(
    record: &TlsaRecord,
    cert: &[u8],
    selector: Selector,
    matching: MatchingType,
) -> bool {
    let Some(content) = select(cert, selector) else {
        return false;
    };
    match matching {
        MatchingType::Full => content == record.data.as_slice(),
        MatchingType::Sha256 => Sha256::digest(content)[..] == record.data[..],
        MatchingType::Sha512 => Sha512::digest(content)[..] == record.data[..],
    }
}

/// Whether `record` matches the presented chain (`chain[0]` the server
/// certificate, then its issuers, DER). End-entity usages (1, 3) match the
/// server certificate; trust-anchor usages (0, 2) match any issuer
/// certificate in the chain (RFC 7671 §5.2). PKIX validation for usages
/// 0 and 1 is not performed here. Unknown parameters never match.
pub fn tlsa_matches(record: &TlsaRecord, chain: &[Vec<u8>]) -> bool {
    let (Some(usage), Some(selector), Some(matching)) = (
        CertUsage::from_u8(record.usage),
        Selector::from_u8(record.selector),
        MatchingType::from_u8(record.matching),
    ) else {
        return false;
    };
    match usage {
        CertUsage::DaneEe | CertUsage::PkixEe => chain
            .first()
            .is_some_and(|c| matches_cert(record, c, selector, matching)),
        CertUsage::DaneTa | CertUsage::PkixTa => chain
            .iter()
            .skip(1)
            .any(|c| matches_cert(record, c, selector, matching)),
    }
}

/// Queries `_25._tcp.<mx_host>` TLSA (RFC 7672 §2.2).
pub async fn lookup_tlsa<L: DnsLookup>(lookup: &L, mx_host: &str) -> DnsOutcome<TlsaRecord> {
    let host = mx_host.trim().trim_end_matches('.').to_ascii_lowercase();
    lookup.tlsa(&format!("_25._tcp.{host}")).await
}

/// The `domain.dane` entry for one MX host: its TLSA records, how many
/// are usable for SMTP (well formed, not a PKIX usage, RFC 7672 §3.1.3),
/// whether the answer was DNSSEC-validated and whether a record matches the
/// presented chain (DER, server first).
pub fn tlsa_facts(
    mx_host: &str,
    outcome: &DnsOutcome<TlsaRecord>,
    chain: Option<&[Vec<u8>]>,
    dnssec_validated: Option<bool>,
) -> DaneFacts {
    facts_with(
        mx_host,
        outcome,
        chain,
        dnssec_validated,
        &record_findings(outcome),
    )
}

/// Each record's findings ([`lint_tlsa_record`]), in record order; empty
/// without records.
fn record_findings(outcome: &DnsOutcome<TlsaRecord>) -> Vec<Vec<Diagnostic>> {
    outcome.records().iter().map(lint_tlsa_record).collect()
}

/// [`tlsa_facts`] with the records' findings already made.
fn facts_with(
    mx_host: &str,
    outcome: &DnsOutcome<TlsaRecord>,
    chain: Option<&[Vec<u8>]>,
    dnssec_validated: Option<bool>,
    findings: &[Vec<Diagnostic>],
) -> DaneFacts {
    let mut facts = DaneFacts {
        host: mx_host.trim_end_matches('.').to_string(),
        dnssec_validated,
        ..Default::default()
    };
    match outcome {
        DnsOutcome::Records(records) if !records.is_empty() => {
            facts.result = LookupOutcome::Found;
            facts.records = records
                .iter()
                .map(|r| TlsaText(r.clone()).to_string())
                .collect();
            facts.usable = findings
                .iter()
                .filter(|diags| {
                    !has_errors(diags) && !diags.iter().any(|d| d.code == "tlsa.pkix-usage")
                })
                .count() as u32;
            facts.matched = chain.map(|chain| records.iter().any(|r| tlsa_matches(r, chain)));
        }
        DnsOutcome::Records(_) | DnsOutcome::NoData | DnsOutcome::NxDomain => {
            facts.result = LookupOutcome::NotFound;
        }
        other => {
            facts.result = LookupOutcome::DnsFailure;
            facts.error = Some(other.describe());
        }
    }
    facts
}

/// The `dane.tlsa` check for one MX host (subject = host), from its
/// [`tlsa_facts`]; `outcome` gives the records' findings for the detail.
///
/// `chain` is the certificate chain the MX presented (DER, server first),
/// when the SMTP probe got one. `dnssec_validated` says whether the TLSA
/// answer was DNSSEC-authenticated, when known: without DNSSEC, TLSA
/// records are ignored (RFC 7672 §2.2).
pub fn lint_tlsa(
    mx_host: &str,
    outcome: &DnsOutcome<TlsaRecord>,
    chain: Option<&[Vec<u8>]>,
    dnssec_validated: Option<bool>,
) -> (Check, DaneFacts) {
    let findings = record_findings(outcome);
    let facts = facts_with(mx_host, outcome, chain, dnssec_validated, &findings);
    let host = facts.host.as_str();
    let check = match outcome {
        DnsOutcome::Records(records) if !records.is_empty() => {
            let mut notes = Vec::new();
            let mut warned = false;
            for (text, diags) in facts.records.iter().zip(&findings) {
                warned |= diags.iter().any(|d| d.severity == Severity::Warning);
                for d in diags {
                    if d.severity != Severity::Info || notes.len() < 8 {
                        notes.push(format!("{text}: {}", d.describe()));
                    }
                }
            }
            let mut detail = format!("_25._tcp.{host}: {}", facts.records.join(", "));
            if !notes.is_empty() {
                detail.push_str(&format!("; {}", notes.join("; ")));
            }
            if facts.usable == 0 {
                Check::new(
                    "dane.tlsa",
                    Status::Fail,
                    format!(
                        "{detail}; no usable TLSA record for SMTP, so DANE senders cannot deliver"
                    ),
                )
                .with_fix("Publish a 3 1 1 record with the SHA-256 of the server's public key.")
            } else if facts.dnssec_validated == Some(false) {
                Check::new("dane.tlsa", Status::Warn, format!("{detail}; the answer was not DNSSEC-validated (AD=0: the zone is unsigned, or the resolver does not validate), and DANE senders ignore TLSA records without DNSSEC (RFC 7672 §2.2)"))
            } else if facts.matched == Some(true) {
                Check::new(
                    "dane.tlsa",
                    Status::Pass,
                    format!("{detail}; the presented certificate matches"),
                )
            } else if facts.matched == Some(false) {
                Check::new(
                    "dane.tlsa",
                    Status::Fail,
                    format!("{detail}; no record matches the presented certificate chain: DANE senders will defer mail"),
                )
                .with_fix("Update the TLSA records to the current key (publish the new record before rotating).")
            } else if warned {
                Check::new(
                    "dane.tlsa",
                    Status::Warn,
                    format!("{detail}; certificate not checked"),
                )
            } else {
                // Usable records, but no certificate to match them against
                // (no SMTP probe): not a pass we could prove.
                Check::new(
                    "dane.tlsa",
                    Status::NotTested,
                    format!("{detail}; the records are usable, but the certificate was not checked (no TLS handshake with the MX)"),
                )
            }
        }
        DnsOutcome::Records(_) | DnsOutcome::NoData | DnsOutcome::NxDomain => Check::new(
            "dane.tlsa",
            Status::Info,
            format!("no TLSA records at _25._tcp.{host}: DANE is not used"),
        ),
        other => Check::new(
            "dane.tlsa",
            Status::Error,
            format!(
                "the TLSA query for _25._tcp.{host} failed: {}",
                other.describe()
            ),
        ),
    };
    (check.with_subject(host), facts)
}

#[cfg(test)]
#[path = "tlsa_tests.rs"]
mod tests;
