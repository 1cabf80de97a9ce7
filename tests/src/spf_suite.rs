//! The openspf RFC 7208 suite's zone data as real DNS records, so the suite
//! can run through the shipped `mxlens spf` binary against a real DNS
//! server ([`crate::dns::TestDns::start_records`]). The YAML loader is the
//! one `shared`'s in-process run uses; the zone conventions (SPF entries
//! served as TXT unless the name has TXT entries, a bare `TIMEOUT` times
//! out every type not answered before it) are the same as its
//! `build_zone`.

#[path = "../../shared/tests/support/openspf_suite.rs"]
mod loader;

use std::collections::BTreeMap;

use hickory_proto::rr::rdata::{A, AAAA, CNAME};
use hickory_proto::rr::rdata::{HINFO, MX, PTR, TXT};
use hickory_proto::rr::{Name, RData, Record, RecordType};

pub use loader::{load, Entry, OneOrMany, Scenario, TestCase};

/// One scenario's DNS: the records, and the (name, type) pairs that never
/// get an answer (`None` = every type).
#[derive(Debug, Default)]
pub struct SuiteZone {
    /// Records to serve.
    pub records: Vec<Record>,
    /// Queries the server must leave unanswered.
    pub timeouts: Vec<(Name, Option<RecordType>)>,
}

/// A name from the suite, built from its raw labels (any octet is legal in
/// a label, RFC 2181 §11).
pub fn name(text: &str) -> Name {
    mxlens_backend::resolver::query_name(text)
        .unwrap_or_else(|e| panic!("suite name {text:?}: {e}"))
}

fn record_type(t: &str) -> RecordType {
    match t {
        "TXT" | "SPF" => RecordType::TXT,
        "A" => RecordType::A,
        "AAAA" => RecordType::AAAA,
        "MX" => RecordType::MX,
        "PTR" => RecordType::PTR,
        "CNAME" => RecordType::CNAME,
        other => panic!("unknown zone type {other}"),
    }
}

/// The character-strings of a TXT value: a YAML list keeps its strings
/// apart (the resolver joins them, RFC 7208 §3.3), and a string longer
/// than 255 octets is split, as a zone file would have to.
fn txt(value: &serde_yaml::Value) -> TXT {
    let strings: Vec<String> = match value {
        serde_yaml::Value::Sequence(parts) => parts.iter().map(loader::text_of).collect(),
        other => vec![loader::text_of(other)],
    };
    let mut chunks: Vec<&[u8]> = strings
        .iter()
        .flat_map(|s| {
            let bytes = s.as_bytes();
            if bytes.is_empty() {
                vec![bytes]
            } else {
                bytes.chunks(255).collect()
            }
        })
        .collect();
    if chunks.is_empty() {
        // `SPF: []`: TXT RDATA holds at least one character-string (RFC 1035
        // §3.3.14), and hickory refuses an empty one on the wire, as a real
        // zone could not hold it either. The nearest real record is one
        // empty string, which is not an SPF record (RFC 7208 §4.5).
        chunks.push(b"");
    }
    TXT::from_bytes(chunks)
}

/// A record that makes `owner` exist without answering any query the
/// evaluator sends (NODATA for TXT, A, …).
fn placeholder(owner: &Name) -> Record {
    Record::from_rdata(
        owner.clone(),
        60,
        RData::HINFO(HINFO::new("suite".into(), "placeholder".into())),
    )
}

/// Builds one scenario's zone.
pub fn build(zonedata: &BTreeMap<String, Vec<Entry>>) -> SuiteZone {
    let mut zone = SuiteZone::default();
    for (owner_text, entries) in zonedata {
        let owner = name(owner_text);
        let has_txt = entries
            .iter()
            .any(|e| matches!(e, Entry::Typed(m) if m.contains_key("TXT")));
        let mut answered: Vec<RecordType> = Vec::new();
        for entry in entries {
            match entry {
                Entry::Bare(word) => {
                    assert_eq!(word, "TIMEOUT", "{owner_text}");
                    if answered.is_empty() {
                        zone.timeouts.push((owner.clone(), None));
                    } else {
                        for t in [
                            RecordType::TXT,
                            RecordType::A,
                            RecordType::AAAA,
                            RecordType::MX,
                            RecordType::PTR,
                            RecordType::CNAME,
                        ] {
                            if !answered.contains(&t) {
                                zone.timeouts.push((owner.clone(), Some(t)));
                            }
                        }
                    }
                }
                Entry::Typed(map) => {
                    for (t, value) in map {
                        if value.as_str() == Some("TIMEOUT") {
                            zone.timeouts.push((owner.clone(), Some(record_type(t))));
                            continue;
                        }
                        if value.as_str() == Some("NONE") || (t == "SPF" && has_txt) {
                            // The name exists; the SPF-type record itself is
                            // never asked for (RFC 7208 §3.1: TXT only).
                            let marker = placeholder(&owner);
                            if !zone.records.contains(&marker) {
                                zone.records.push(marker);
                            }
                            continue;
                        }
                        let text = || loader::text_of(value);
                        let rdata = match t.as_str() {
                            "SPF" | "TXT" => RData::TXT(txt(value)),
                            "A" => RData::A(A(text().parse().expect("A"))),
                            "AAAA" => RData::AAAA(AAAA(text().parse().expect("AAAA"))),
                            "MX" => {
                                let seq = value.as_sequence().expect("MX is [pref, host]");
                                RData::MX(MX::new(
                                    seq[0].as_u64().expect("MX preference") as u16,
                                    name(&loader::text_of(&seq[1])),
                                ))
                            }
                            "PTR" => RData::PTR(PTR(name(&text()))),
                            "CNAME" => RData::CNAME(CNAME(name(&text()))),
                            other => panic!("unknown zone type {other}"),
                        };
                        answered.push(record_type(t));
                        zone.records
                            .push(Record::from_rdata(owner.clone(), 60, rdata));
                    }
                }
            }
        }
    }
    zone
}
