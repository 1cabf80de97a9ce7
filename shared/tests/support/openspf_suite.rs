//! Loader for the openspf RFC 7208 suite, shared by `tests/openspf.rs` and
//! `benches/spf.rs`. Zone data conventions: see "RFC 7208 suite" in
//! `shared/conformance/README.md`.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::IpAddr;

use mxlens_shared::dns::{block_on_ready, MxRecord, QueryType, ZoneData, ZoneRecord};
use mxlens_shared::spf::eval::{check_host, sender_and_domain, EvalOptions};
use serde::Deserialize;

/// Where the suite lives (read-only conformance data).
pub const SUITE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/conformance/openspf-rfc7208/rfc7208-tests.yml"
);

/// One scenario of the suite: a description, its tests and its zone data.
#[derive(Debug, Deserialize)]
pub struct Scenario {
    pub description: String,
    pub tests: BTreeMap<String, TestCase>,
    pub zonedata: BTreeMap<String, Vec<Entry>>,
}

#[derive(Debug, Deserialize)]
pub struct TestCase {
    pub helo: String,
    pub host: String,
    pub mailfrom: String,
    pub result: OneOrMany,
    pub explanation: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn as_vec(&self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Entry {
    Bare(String),
    Typed(BTreeMap<String, serde_yaml::Value>),
}

pub fn text_of(value: &serde_yaml::Value) -> String {
    match value {
        serde_yaml::Value::String(s) => s.clone(),
        serde_yaml::Value::Sequence(parts) => parts.iter().map(text_of).collect(),
        serde_yaml::Value::Number(n) => n.to_string(),
        serde_yaml::Value::Null => String::new(),
        other => panic!("unexpected zone value {other:?}"),
    }
}

fn query_type(t: &str) -> QueryType {
    match t {
        "TXT" | "SPF" => QueryType::Txt,
        "A" => QueryType::A,
        "AAAA" => QueryType::Aaaa,
        "MX" => QueryType::Mx,
        "PTR" => QueryType::Ptr,
        "CNAME" => QueryType::Cname,
        other => panic!("unknown zone type {other}"),
    }
}

const ALL_TYPES: [QueryType; 7] = [
    QueryType::Txt,
    QueryType::A,
    QueryType::Aaaa,
    QueryType::Mx,
    QueryType::Ptr,
    QueryType::Cname,
    QueryType::Tlsa,
];

pub fn build_zone(zonedata: &BTreeMap<String, Vec<Entry>>) -> ZoneData {
    let mut zone = ZoneData::new();
    for (name, entries) in zonedata {
        // SPF entries are served as TXT unless the name has TXT entries.
        let has_txt = entries
            .iter()
            .any(|e| matches!(e, Entry::Typed(m) if m.contains_key("TXT")));
        let mut answered: Vec<QueryType> = Vec::new();
        for entry in entries {
            match entry {
                Entry::Bare(word) => {
                    assert_eq!(word, "TIMEOUT", "{name}");
                    // A bare TIMEOUT times out every query type that has not
                    // been answered by an entry before it (the pyspf driver's
                    // semantics: `spftimeout` expects its TXT to be served).
                    for t in ALL_TYPES {
                        if !answered.contains(&t) {
                            zone.add_timeout(name, Some(t));
                        }
                    }
                }
                Entry::Typed(map) => {
                    for (t, value) in map {
                        if value.as_str() == Some("TIMEOUT") {
                            zone.add_timeout(name, Some(query_type(t)));
                            continue;
                        }
                        if value.as_str() == Some("NONE") {
                            zone.add_empty(name);
                            continue;
                        }
                        let record = match t.as_str() {
                            "SPF" if has_txt => {
                                zone.add_empty(name);
                                continue;
                            }
                            "SPF" | "TXT" => ZoneRecord::Txt(text_of(value)),
                            "A" => ZoneRecord::A(text_of(value).parse().expect("A")),
                            "AAAA" => ZoneRecord::Aaaa(text_of(value).parse().expect("AAAA")),
                            "MX" => {
                                let seq = value.as_sequence().expect("MX is [pref, host]");
                                ZoneRecord::Mx(MxRecord {
                                    preference: seq[0].as_u64().expect("MX pref") as u16,
                                    exchange: text_of(&seq[1]).trim_end_matches('.').to_string(),
                                })
                            }
                            "PTR" => ZoneRecord::Ptr(text_of(value)),
                            "CNAME" => ZoneRecord::Cname(text_of(value)),
                            other => panic!("unknown zone type {other}"),
                        };
                        answered.push(query_type(t));
                        zone.add(name, record);
                    }
                }
            }
        }
    }
    zone
}

pub fn load() -> Vec<Scenario> {
    let text = std::fs::read_to_string(SUITE).expect("the openspf suite is present");
    serde_yaml::Deserializer::from_str(&text)
        .map(|doc| Scenario::deserialize(doc).expect("scenario parses"))
        .collect()
}

/// One suite vector's verdict; `Err` explains a mismatch.
pub fn run_case(zone: &ZoneData, case: &TestCase, opts: &EvalOptions) -> Result<(), String> {
    let ip: IpAddr = case.host.parse().map_err(|e| format!("bad host: {e}"))?;
    let (sender, domain) = sender_and_domain(&case.mailfrom, &case.helo);
    let outcome = block_on_ready(check_host(zone, ip, &domain, &sender, &case.helo, opts));
    let wanted = case.result.as_vec();
    if !wanted.iter().any(|w| w == outcome.result.as_str()) {
        return Err(format!(
            "result {} (wanted {wanted:?}): {}\n{}",
            outcome.result,
            outcome.reason,
            outcome.trace().join("\n")
        ));
    }
    if let Some(exp) = &case.explanation {
        if outcome.explanation.as_deref() != Some(exp.as_str()) {
            return Err(format!(
                "explanation {:?} (wanted {exp:?})\n{}",
                outcome.explanation,
                outcome.trace().join("\n")
            ));
        }
    }
    Ok(())
}

pub fn suite_options() -> EvalOptions {
    EvalOptions {
        default_explanation: "DEFAULT".to_string(),
        ..EvalOptions::default()
    }
}
