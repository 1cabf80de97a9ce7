//! The one lookup behind every "exactly one versioned TXT record" protocol:
//! BIMI (`v=BIMI1`), TLS-RPT (`v=TLSRPTv1`, RFC 8460 §3) and MTA-STS
//! (`v=STSv1`, RFC 8461 §3.1). Each queries one name, keeps only the
//! records that carry its version tag, and treats several as none applying.

use crate::dns::{DnsLookup, DnsOutcome};

/// What a versioned TXT lookup found, with the protocol's parse `P`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxtRecord<P> {
    /// Exactly one record with the version tag.
    Found {
        /// The TXT text.
        txt: String,
        /// The protocol's parse of it.
        parsed: P,
    },
    /// No record with the version tag (NXDOMAIN, NODATA, or only others).
    NotFound,
    /// Several records with the version tag: the protocols say none then
    /// applies (senders assume no policy, receivers show no logo).
    Multiple(Vec<String>),
    /// Timeout or SERVFAIL, described.
    DnsFailure(String),
}

/// Queries `name` for TXT and keeps the records for which `is_versioned`
/// holds (each protocol's own rule for its version tag), parsing the one
/// record found with `parse`.
pub async fn lookup_versioned<L: DnsLookup, P>(
    lookup: &L,
    name: &str,
    is_versioned: fn(&str) -> bool,
    parse: fn(&str) -> P,
) -> TxtRecord<P> {
    match lookup.txt(name).await {
        DnsOutcome::Records(records) => {
            let mut found: Vec<String> = records
                .into_iter()
                .filter(|r| is_versioned(r.trim_start()))
                .collect();
            match found.len() {
                0 => TxtRecord::NotFound,
                1 => {
                    let txt = found.remove(0);
                    TxtRecord::Found {
                        parsed: parse(&txt),
                        txt,
                    }
                }
                _ => TxtRecord::Multiple(found),
            }
        }
        DnsOutcome::NoData | DnsOutcome::NxDomain => TxtRecord::NotFound,
        other => TxtRecord::DnsFailure(other.describe()),
    }
}

/// The domain as the lookups above put it into a name: trimmed, without
/// the trailing dot, lower case.
pub fn lookup_domain(domain: &str) -> String {
    domain.trim().trim_end_matches('.').to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::{block_on_ready, QueryType, ZoneData, ZoneRecord};

    fn versioned(r: &str) -> bool {
        r.starts_with("v=X1")
    }

    #[test]
    fn one_many_none_and_failures() {
        let mut z = ZoneData::new();
        z.add("one.example", ZoneRecord::Txt("  v=X1; a=b".into()))
            .add("one.example", ZoneRecord::Txt("other".into()))
            .add("two.example", ZoneRecord::Txt("v=X1".into()))
            .add("two.example", ZoneRecord::Txt("v=X1; c=d".into()))
            .add("none.example", ZoneRecord::Txt("v=Y1".into()))
            .add_timeout("slow.example", Some(QueryType::Txt));
        let run = |name: &str| block_on_ready(lookup_versioned(&z, name, versioned, str::len));
        assert_eq!(
            run("one.example"),
            TxtRecord::Found {
                txt: "  v=X1; a=b".into(),
                parsed: 11
            }
        );
        assert!(matches!(run("two.example"), TxtRecord::Multiple(r) if r.len() == 2));
        assert_eq!(run("none.example"), TxtRecord::NotFound);
        assert_eq!(run("missing.example"), TxtRecord::NotFound);
        assert!(matches!(run("slow.example"), TxtRecord::DnsFailure(_)));
    }
}
