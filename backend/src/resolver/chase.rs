//! What a lookup comes to once answers arrive: the records, "no records"
//! with the response code, or a failure. The rules are hickory-resolver
//! 0.26's (its `Resolver` and `CachingClient`), which this crate used until
//! the query path moved to [`super::transport`]: reports must not change
//! (issue #17), so they are kept exactly, quirks included, and each is
//! named where it comes from.
//!
//! - RFC 6761 special-use names are answered locally: `localhost.` and
//!   the loopback reverse zones give the loopback address (PTR
//!   `localhost.`) and nothing else; `invalid.` and `onion.` are NXDOMAIN.
//! - An error RCODE (SERVFAIL, REFUSED, FORMERR, …) is a failure; NXDOMAIN
//!   or NOERROR without an answer is "no records" (RFC 2308 §2).
//! - A CNAME chain in the answer is followed to its end (RFC 1034 §3.6.2);
//!   when the answer does not hold the target's records, the target is
//!   asked, at most [`MAX_QUERY_DEPTH`] questions in all.

use std::sync::Arc;

use hickory_proto::op::{Message, Query, ResponseCode};
use hickory_proto::rr::domain::usage::{
    ResolverUsage, ZoneUsage, DEFAULT, INVALID, IN_ADDR_ARPA_127, IP6_ARPA_1, LOCAL, LOCALHOST,
    ONION,
};
use hickory_proto::rr::rdata::{A, AAAA, PTR};
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};

use super::transport::Failure;

/// Questions asked for one lookup, CNAME hops included (hickory-resolver's
/// `DepthTracker::MAX_QUERY_DEPTH`).
pub const MAX_QUERY_DEPTH: u8 = 8;

/// What a lookup came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolved {
    /// The answer records (possibly of other types; the caller picks).
    Answers(Vec<Record>),
    /// No records: NXDOMAIN, or NOERROR and nothing (NODATA).
    NoRecords(ResponseCode),
    /// No usable answer.
    Failed(Failure),
}

/// An RCODE that makes the response an error rather than an answer
/// (hickory-net's `DnsError::from_response`): everything but NOERROR,
/// NXDOMAIN and codes it does not know.
pub fn is_error_code(code: ResponseCode) -> bool {
    !matches!(
        code,
        ResponseCode::NoError | ResponseCode::NXDomain | ResponseCode::Unknown(_)
    )
}

/// The local answer for an RFC 6761 special-use name, if `query` is one.
pub fn special_use(query: &Query) -> Option<Resolved> {
    if query.query_class() != DNSClass::IN {
        return None;
    }
    let name = query.name();
    let usage: &ZoneUsage = match name {
        n if LOCALHOST.zone_of(n) => &LOCALHOST,
        n if IN_ADDR_ARPA_127.zone_of(n) => &LOCALHOST,
        n if IP6_ARPA_1.zone_of(n) => &LOCALHOST,
        n if INVALID.zone_of(n) => &INVALID,
        n if LOCAL.zone_of(n) => &LOCAL,
        n if ONION.zone_of(n) => &ONION,
        _ => &DEFAULT,
    };
    match usage.resolver() {
        ResolverUsage::Loopback => {
            let data = match query.query_type() {
                RecordType::A => RData::A(A::new(127, 0, 0, 1)),
                RecordType::AAAA => RData::AAAA(AAAA::new(0, 0, 0, 0, 0, 0, 0, 1)),
                RecordType::PTR => RData::PTR(PTR(Name::from_ascii("localhost.").ok()?)),
                _ => return Some(Resolved::NoRecords(ResponseCode::NoError)),
            };
            Some(Resolved::Answers(vec![Record::from_rdata(
                name.clone(),
                u32::MAX,
                data,
            )]))
        }
        ResolverUsage::NxDomain => Some(Resolved::NoRecords(ResponseCode::NXDomain)),
        _ => None,
    }
}

/// Whether `response` holds an answer to `query` (hickory-proto's
/// `DnsResponse::contains_answer`).
fn contains_answer(response: &Message, query: &Query) -> bool {
    match query.query_type() {
        RecordType::ANY => response.all_sections().any(|r| &r.name == query.name()),
        RecordType::SOA => response
            .all_sections()
            .filter(|r| r.record_type().is_soa())
            .any(|r| r.name.zone_of(query.name())),
        q_type => {
            !response.answers.is_empty()
                || response
                    .all_sections()
                    .any(|r| r.record_type() == q_type && &r.name == query.name())
        }
    }
}

/// The next step after one response.
#[derive(Debug)]
pub enum Step {
    /// The lookup is decided.
    Done(Resolved),
    /// Ask this name next (the end of a CNAME chain the response did not
    /// resolve).
    Follow(Name),
}

/// Reads one response to `query`, asked at `depth` (0 for the first
/// question). `preserved` carries the CNAME records of earlier hops.
pub fn step(query: &Query, response: &Message, preserved: &mut Vec<Record>, depth: u8) -> Step {
    let code = response.metadata.response_code;
    if is_error_code(code) {
        return Step::Done(Resolved::Failed(Failure::Error(code.to_string())));
    }
    if !contains_answer(response, query) {
        return Step::Done(Resolved::NoRecords(code));
    }
    let qtype = query.query_type();
    // Follow the CNAMEs of the answer section in order (and, as hickory
    // does, an SRV record's target) from the query name.
    let (search_name, was_cname) = if qtype.is_any() || qtype.is_cname() {
        (query.name().clone(), false)
    } else {
        response
            .answers
            .iter()
            .fold(
                (query.name().clone(), false),
                |(search, was_cname), r| match &r.data {
                    RData::CNAME(target) if r.name == search => (target.0.clone(), true),
                    RData::SRV(srv) => (srv.target.clone(), true),
                    _ => (search, was_cname),
                },
            )
    };
    let matches = |r: &Record| {
        r.dns_class == query.query_class()
            && (qtype.is_any() || r.record_type() == qtype)
            && (r.name == search_name || &r.name == query.name())
    };
    let found_name = response.all_sections().any(matches);
    if found_name && (!was_cname || preserved.is_empty()) {
        // hickory keeps intermediate CNAMEs (`preserve_intermediates`), so
        // it rebuilds the answer only after an earlier hop.
        let mut answers: Vec<Record> = if preserved.is_empty() {
            response.answers.clone()
        } else {
            let mut merged = std::mem::take(preserved);
            merged.extend(
                response
                    .all_sections()
                    .filter(|r| {
                        r.dns_class == query.query_class()
                            && (matches(r) || r.record_type() == RecordType::CNAME)
                    })
                    .cloned(),
            );
            merged
        };
        // DNSSEC records are dropped when the query did not ask for them
        // (`Message::maybe_strip_dnssec_records`).
        answers.retain(|r| r.record_type() == qtype || !r.record_type().is_dnssec());
        return Step::Done(Resolved::Answers(answers));
    }
    preserved.extend(
        response
            .all_sections()
            .filter(|r| r.dns_class == query.query_class() && r.record_type() == RecordType::CNAME)
            .cloned(),
    );
    if was_cname && depth + 1 < MAX_QUERY_DEPTH {
        Step::Follow(search_name)
    } else {
        Step::Done(Resolved::NoRecords(code))
    }
}

/// Resolves `query` with `ask`, which sends one question (with its retries)
/// and returns the response, whatever its RCODE.
pub async fn resolve<F, Fut>(query: Query, ask: F) -> Resolved
where
    F: Fn(Query) -> Fut,
    Fut: std::future::Future<Output = Result<Arc<Message>, Failure>>,
{
    let mut query = query;
    let mut preserved = Vec::new();
    for depth in 0..MAX_QUERY_DEPTH {
        if let Some(local) = special_use(&query) {
            return local;
        }
        let response = match ask(query.clone()).await {
            Ok(r) => r,
            Err(failure) => return Resolved::Failed(failure),
        };
        match step(&query, &response, &mut preserved, depth) {
            Step::Done(resolved) => return resolved,
            Step::Follow(next) => query = Query::query(next, query.query_type()),
        }
    }
    // `step` stops following at MAX_QUERY_DEPTH - 1.
    Resolved::NoRecords(ResponseCode::NoError)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::rdata::{CNAME, TXT};

    fn name(s: &str) -> Name {
        Name::from_ascii(s).unwrap()
    }

    fn txt(owner: &str, text: &str) -> Record {
        Record::from_rdata(
            name(owner),
            60,
            RData::TXT(TXT::new(vec![text.to_string()])),
        )
    }

    fn cname(owner: &str, target: &str) -> Record {
        Record::from_rdata(name(owner), 60, RData::CNAME(CNAME(name(target))))
    }

    fn response(code: ResponseCode, answers: Vec<Record>) -> Message {
        let mut m = Message::response(1, hickory_proto::op::OpCode::Query);
        m.metadata.response_code = code;
        m.answers = answers;
        m
    }

    /// A zone as a function: the response an authoritative server gives.
    async fn run(query: &str, zone: impl Fn(&Name) -> Message) -> (Resolved, Vec<String>) {
        let asked = std::sync::Mutex::new(Vec::new());
        let resolved = resolve(Query::query(name(query), RecordType::TXT), |q: Query| {
            asked.lock().unwrap().push(q.name().to_ascii());
            let r = zone(q.name());
            async move { Ok(Arc::new(r)) }
        })
        .await;
        (resolved, asked.into_inner().unwrap())
    }

    #[tokio::test]
    async fn codes_and_answers() {
        let (r, _) = run("a.test.", |_| response(ResponseCode::NXDomain, vec![])).await;
        assert_eq!(r, Resolved::NoRecords(ResponseCode::NXDomain));
        let (r, _) = run("a.test.", |_| response(ResponseCode::NoError, vec![])).await;
        assert_eq!(r, Resolved::NoRecords(ResponseCode::NoError));
        let (r, _) = run("a.test.", |_| response(ResponseCode::ServFail, vec![])).await;
        assert_eq!(r, Resolved::Failed(Failure::Error("Server Failure".into())));
        let (r, _) = run("a.test.", |_| response(ResponseCode::Refused, vec![])).await;
        assert_eq!(r, Resolved::Failed(Failure::Error("Query Refused".into())));
        let (r, _) = run("a.test.", |_| {
            response(ResponseCode::NoError, vec![txt("a.test.", "x")])
        })
        .await;
        assert_eq!(r, Resolved::Answers(vec![txt("a.test.", "x")]));
    }

    #[tokio::test]
    async fn a_chain_in_one_answer_is_not_asked_again() {
        let (r, asked) = run("a.test.", |_| {
            response(
                ResponseCode::NoError,
                vec![cname("a.test.", "b.test."), txt("b.test.", "x")],
            )
        })
        .await;
        assert_eq!(asked, ["a.test."]);
        assert_eq!(
            r,
            Resolved::Answers(vec![cname("a.test.", "b.test."), txt("b.test.", "x")])
        );
    }

    #[tokio::test]
    async fn a_chain_is_followed_and_its_cnames_kept() {
        let (r, asked) = run("a.test.", |n| {
            if n == &name("a.test.") {
                response(ResponseCode::NoError, vec![cname("a.test.", "b.other.")])
            } else {
                response(ResponseCode::NoError, vec![txt("b.other.", "x")])
            }
        })
        .await;
        assert_eq!(asked, ["a.test.", "b.other."]);
        assert_eq!(
            r,
            Resolved::Answers(vec![cname("a.test.", "b.other."), txt("b.other.", "x")])
        );
        // The target does not exist: its NXDOMAIN is the answer.
        let (r, _) = run("a.test.", |n| {
            if n == &name("a.test.") {
                response(ResponseCode::NoError, vec![cname("a.test.", "b.other.")])
            } else {
                response(ResponseCode::NXDomain, vec![])
            }
        })
        .await;
        assert_eq!(r, Resolved::NoRecords(ResponseCode::NXDomain));
    }

    #[tokio::test]
    async fn a_loop_ends_after_the_query_depth() {
        let (r, asked) = run("a.test.", |_| {
            response(
                ResponseCode::NoError,
                vec![cname("a.test.", "b.test."), cname("b.test.", "a.test.")],
            )
        })
        .await;
        assert_eq!(asked.len(), usize::from(MAX_QUERY_DEPTH));
        assert_eq!(r, Resolved::NoRecords(ResponseCode::NoError));
    }

    #[tokio::test]
    async fn special_use_names_are_answered_locally() {
        for (q, rtype, want_records) in [
            ("localhost.", RecordType::A, true),
            ("x.localhost.", RecordType::AAAA, true),
            ("1.0.0.127.in-addr.arpa.", RecordType::PTR, true),
        ] {
            let r = special_use(&Query::query(name(q), rtype));
            assert!(
                matches!(&r, Some(Resolved::Answers(a)) if a.len() == 1) == want_records,
                "{q}: {r:?}"
            );
        }
        assert_eq!(
            special_use(&Query::query(name("localhost."), RecordType::TXT)),
            Some(Resolved::NoRecords(ResponseCode::NoError))
        );
        for q in ["a.invalid.", "x.onion."] {
            assert_eq!(
                special_use(&Query::query(name(q), RecordType::A)),
                Some(Resolved::NoRecords(ResponseCode::NXDomain)),
                "{q}"
            );
        }
        // `local.` is mDNS's, which hickory-resolver asked the server
        // about like any other name.
        for q in ["example.com.", "printer.local."] {
            assert_eq!(
                special_use(&Query::query(name(q), RecordType::A)),
                None,
                "{q}"
            );
        }
        // A CNAME to localhost ends locally too.
        let (r, asked) = run("a.test.", |_| {
            response(ResponseCode::NoError, vec![cname("a.test.", "localhost.")])
        })
        .await;
        assert_eq!(asked, ["a.test."]);
        assert_eq!(r, Resolved::NoRecords(ResponseCode::NoError));
    }
}
