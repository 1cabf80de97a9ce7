//! DMARC policy discovery (RFC 7489 §6.6.3) and the RFC 9989 §4.10 DNS tree
//! walk, plus the external report authorization check (RFC 7489 §7.1).
//! All DNS goes through [`DnsLookup`]; results are data, and only SERVFAIL
//! or a timeout is an infrastructure failure.

use serde::Serialize;

use crate::dns::{DnsLookup, DnsOutcome};
use crate::org_domain::organizational_domain;

use super::model::PsdFlag;
use super::parse::{parse_dmarc, DmarcParse};

/// One DNS query made during discovery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DmarcQuery {
    /// The name queried (`_dmarc.…`).
    pub name: String,
    /// What came back, in words.
    pub outcome: String,
}

/// A DMARC record that applies to the audited domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundPolicy {
    /// The domain whose `_dmarc` name held the record.
    pub source: String,
    /// The TXT record text.
    pub txt: String,
    /// The parsed record.
    pub parsed: DmarcParse,
    /// True when the record came from a parent (organizational domain or
    /// tree walk), not from the audited domain itself.
    pub inherited: bool,
}

/// What discovery concluded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiscoveryResult {
    /// Exactly one DMARC record applies.
    Found(Box<FoundPolicy>),
    /// No DMARC record at the domain nor its organizational domain.
    NotFound,
    /// More than one `v=DMARC1` record at one name: RFC 7489 §6.6.3 says
    /// discovery stops and DMARC is not applied.
    Multiple {
        /// The domain with several records.
        source: String,
        /// The records.
        records: Vec<String>,
    },
    /// A query failed (timeout, SERVFAIL): we could not find out.
    DnsFailure {
        /// The name whose query failed.
        name: String,
        /// What failed.
        description: String,
    },
}

/// The outcome of policy discovery for one domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DmarcDiscovery {
    /// The audited domain, lower-case, without trailing dot.
    pub domain: String,
    /// Its organizational domain (Public Suffix List for RFC 7489, tree walk
    /// for RFC 9989).
    pub organizational_domain: String,
    /// Every query made, in order.
    pub queries: Vec<DmarcQuery>,
    /// The conclusion.
    pub result: DiscoveryResult,
}

impl DmarcDiscovery {
    /// The record found, if exactly one applies.
    pub fn found(&self) -> Option<&FoundPolicy> {
        match &self.result {
            DiscoveryResult::Found(f) => Some(f.as_ref()),
            _ => None,
        }
    }

    /// `domain.dmarc_discovery`: how discovery ended, with the names
    /// queried.
    pub fn facts(&self) -> crate::report::DmarcDiscoveryFacts {
        use crate::report::LookupOutcome;
        let mut facts = crate::report::DmarcDiscoveryFacts {
            queried: self.queries.iter().map(|q| q.name.clone()).collect(),
            ..Default::default()
        };
        match &self.result {
            DiscoveryResult::Found(found) => {
                facts.result = LookupOutcome::Found;
                facts.source = Some(found.source.clone());
            }
            DiscoveryResult::NotFound => facts.result = LookupOutcome::NotFound,
            DiscoveryResult::Multiple { source, records } => {
                facts.result = LookupOutcome::Multiple;
                facts.source = Some(source.clone());
                facts.records = Some(records.len() as u32);
            }
            DiscoveryResult::DnsFailure { name, description } => {
                facts.result = LookupOutcome::DnsFailure;
                facts.error = Some(format!("{name}: {description}"));
            }
        }
        facts
    }
}

/// True for a TXT string that claims to be a DMARC record: first tag `v`
/// with value `DMARC1`. The value is compared case-insensitively here so
/// that `v=dmarc1` is reported as a syntax error instead of a missing record.
pub fn is_dmarc_candidate(txt: &str) -> bool {
    let trimmed = txt.trim_start_matches([' ', '\t']);
    let Some(rest) = trimmed.strip_prefix(['v', 'V']) else {
        return false;
    };
    let Some(rest) = rest.trim_start_matches([' ', '\t']).strip_prefix('=') else {
        return false;
    };
    let rest = rest.trim_start_matches([' ', '\t']);
    rest.len() >= 6
        && rest.is_char_boundary(6)
        && rest[..6].eq_ignore_ascii_case("DMARC1")
        && rest[6..]
            .chars()
            .next()
            .is_none_or(|c| c == ';' || c == ' ' || c == '\t')
}

fn normalize(domain: &str) -> String {
    domain.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// What one `_dmarc.<name>` query found.
enum Step {
    One(String),
    None,
    Many(Vec<String>),
    Failure(String),
}

async fn query_dmarc<L: DnsLookup>(
    lookup: &L,
    domain: &str,
    queries: &mut Vec<DmarcQuery>,
) -> Step {
    let name = format!("_dmarc.{domain}");
    let outcome = lookup.txt(&name).await;
    queries.push(DmarcQuery {
        name,
        outcome: outcome.describe(),
    });
    match outcome {
        DnsOutcome::Records(records) => {
            // RFC 7489 §6.6.3 step 2: discard records that are not DMARC.
            let mut dmarc: Vec<String> = records
                .into_iter()
                .filter(|r| is_dmarc_candidate(r))
                .collect();
            match dmarc.len() {
                0 => Step::None,
                1 => Step::One(dmarc.remove(0)),
                _ => Step::Many(dmarc),
            }
        }
        DnsOutcome::NoData | DnsOutcome::NxDomain => Step::None,
        other => Step::Failure(other.describe()),
    }
}

/// RFC 7489 §6.6.3 policy discovery: `_dmarc.<domain>` first, then
/// `_dmarc.<organizational domain>` (Public Suffix List, via
/// [`crate::org_domain`]) when the first has no DMARC record.
///
/// ```
/// use mxlens_shared::dns::{block_on_ready, ZoneData, ZoneRecord};
/// use mxlens_shared::dmarc::{discover_policy, DiscoveryResult};
/// let mut zone = ZoneData::new();
/// zone.add("_dmarc.example.com", ZoneRecord::Txt("v=DMARC1; p=reject".into()));
/// let found = block_on_ready(discover_policy(&zone, "mail.example.com"));
/// let policy = found.found().unwrap();
/// assert_eq!(policy.source, "example.com");
/// assert!(policy.inherited);
/// ```
pub async fn discover_policy<L: DnsLookup>(lookup: &L, domain: &str) -> DmarcDiscovery {
    let domain = normalize(domain);
    let org = organizational_domain(&domain);
    let mut queries = Vec::new();
    let mut candidates = vec![domain.clone()];
    if org != domain {
        candidates.push(org.clone());
    }
    let mut result = DiscoveryResult::NotFound;
    for candidate in candidates {
        match query_dmarc(lookup, &candidate, &mut queries).await {
            Step::One(txt) => {
                result = DiscoveryResult::Found(Box::new(FoundPolicy {
                    parsed: parse_dmarc(&txt),
                    txt,
                    inherited: candidate != domain,
                    source: candidate,
                }));
                break;
            }
            Step::Many(records) => {
                result = DiscoveryResult::Multiple {
                    source: candidate,
                    records,
                };
                break;
            }
            Step::Failure(description) => {
                result = DiscoveryResult::DnsFailure {
                    name: format!("_dmarc.{candidate}"),
                    description,
                };
                break;
            }
            Step::None => {}
        }
    }
    DmarcDiscovery {
        domain,
        organizational_domain: org,
        queries,
        result,
    }
}

/// At most this many `_dmarc` queries in the RFC 9989 §4.10 tree walk.
pub const TREE_WALK_MAX_QUERIES: u32 = 8;

/// The names the RFC 9989 §4.10 tree walk queries for `domain`, in order:
/// the domain itself; then, if it has eight or more labels, the name
/// shortened to its seven rightmost labels; then one label fewer each step,
/// down to the top-level domain. At most [`TREE_WALK_MAX_QUERIES`] names.
pub fn tree_walk_names(domain: &str) -> Vec<String> {
    let domain = normalize(domain);
    let labels: Vec<&str> = domain.split('.').filter(|l| !l.is_empty()).collect();
    if labels.is_empty() {
        return Vec::new();
    }
    let mut names = vec![labels.join(".")];
    let mut count = labels.len().min(8) - 1;
    while count >= 1 {
        names.push(labels[labels.len() - count..].join("."));
        count -= 1;
    }
    names
}

/// The DNS tree walk of RFC 9989 §4.10: the applicable policy is the first
/// DMARC record found walking from the domain towards the root, and the
/// organizational domain follows the `psd` tags found on the way
/// (RFC 9989 §4.10.2): the first record with `psd=n` marks it; a record
/// with `psd=y` marks a public suffix, so the organizational domain is the
/// name one label below it; otherwise it is the name with the fewest labels
/// that has a DMARC record, or the domain itself when none has one.
pub async fn discover_tree_walk<L: DnsLookup>(lookup: &L, domain: &str) -> DmarcDiscovery {
    let domain = normalize(domain);
    let names = tree_walk_names(&domain);
    let mut queries = Vec::new();
    let mut result = DiscoveryResult::NotFound;
    let mut organizational: Option<String> = None;
    let mut fewest_labels_with_record: Option<String> = None;
    let mut previous: Option<String> = None;
    for name in &names {
        let step = query_dmarc(lookup, name, &mut queries).await;
        match step {
            Step::Failure(description) => {
                if matches!(result, DiscoveryResult::NotFound) {
                    result = DiscoveryResult::DnsFailure {
                        name: format!("_dmarc.{name}"),
                        description,
                    };
                }
                break;
            }
            Step::Many(records) => {
                if matches!(result, DiscoveryResult::NotFound) {
                    result = DiscoveryResult::Multiple {
                        source: name.clone(),
                        records,
                    };
                }
            }
            Step::One(txt) => {
                let parsed = parse_dmarc(&txt);
                let psd = parsed.record.psd;
                if matches!(result, DiscoveryResult::NotFound) {
                    result = DiscoveryResult::Found(Box::new(FoundPolicy {
                        source: name.clone(),
                        inherited: *name != domain,
                        txt,
                        parsed,
                    }));
                }
                match psd {
                    Some(PsdFlag::No) => {
                        organizational = Some(name.clone());
                        break;
                    }
                    Some(PsdFlag::Yes) => {
                        organizational = Some(previous.clone().unwrap_or_else(|| name.clone()));
                        break;
                    }
                    _ => fewest_labels_with_record = Some(name.clone()),
                }
            }
            Step::None => {}
        }
        previous = Some(name.clone());
    }
    let organizational_domain = organizational
        .or(fewest_labels_with_record)
        .unwrap_or_else(|| domain.clone());
    DmarcDiscovery {
        domain,
        organizational_domain,
        queries,
        result,
    }
}

/// The result of one external report authorization query (RFC 7489 §7.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum ReportAuthorization {
    /// The destination is in the same organizational domain: no check needed.
    SameOrganization,
    /// `<domain>._report._dmarc.<dest>` has a `v=DMARC1` record.
    Authorized,
    /// No `v=DMARC1` record there: receivers will not send reports.
    NotAuthorized,
    /// The query failed.
    DnsFailure {
        /// What failed.
        description: String,
    },
}

/// One rua/ruf destination domain and its authorization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExternalDestination {
    /// The mailto domain of the report URI.
    pub destination: String,
    /// The name queried, when one was.
    pub query: Option<String>,
    /// The outcome.
    pub authorization: ReportAuthorization,
}

/// For every `rua`/`ruf` mailto destination of `found`, checks whether it
/// is external (another organizational domain than the record's domain)
/// and, if so, whether `<source>._report._dmarc.<dest>` authorizes it
/// (RFC 7489 §7.1). Each destination domain is queried once.
pub async fn check_report_authorization<L: DnsLookup>(
    lookup: &L,
    found: &FoundPolicy,
) -> Vec<ExternalDestination> {
    let record = &found.parsed.record;
    let source_org = organizational_domain(&found.source);
    let mut out: Vec<ExternalDestination> = Vec::new();
    for uri in record.rua.iter().chain(record.ruf.iter()) {
        let Some(dest) = uri.mailto_domain() else {
            continue;
        };
        if out.iter().any(|d| d.destination == dest) {
            continue;
        }
        if organizational_domain(&dest) == source_org {
            out.push(ExternalDestination {
                destination: dest,
                query: None,
                authorization: ReportAuthorization::SameOrganization,
            });
            continue;
        }
        let name = format!("{}._report._dmarc.{}", found.source, dest);
        let authorization = match lookup.txt(&name).await {
            DnsOutcome::Records(records) => {
                if records.iter().any(|r| is_dmarc_candidate(r)) {
                    ReportAuthorization::Authorized
                } else {
                    ReportAuthorization::NotAuthorized
                }
            }
            DnsOutcome::NoData | DnsOutcome::NxDomain => ReportAuthorization::NotAuthorized,
            other => ReportAuthorization::DnsFailure {
                description: other.describe(),
            },
        };
        out.push(ExternalDestination {
            destination: dest,
            query: Some(name),
            authorization,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::{block_on_ready, QueryType, ZoneData, ZoneRecord};

    #[test]
    fn tree_walk_names_are_bounded() {
        assert_eq!(
            tree_walk_names("a.b.example.com"),
            ["a.b.example.com", "b.example.com", "example.com", "com"]
        );
        let long = "a.b.c.d.e.f.g.h.i.example.com";
        let names = tree_walk_names(long);
        assert_eq!(names.len() as u32, TREE_WALK_MAX_QUERIES);
        assert_eq!(names[0], long);
        assert_eq!(names[1], "e.f.g.h.i.example.com");
        assert_eq!(names.last().unwrap(), "com");
    }

    #[test]
    fn discovery_prefers_the_domain_then_the_org_domain() {
        let mut z = ZoneData::new();
        z.add(
            "_dmarc.example.com",
            ZoneRecord::Txt("v=DMARC1; p=reject; sp=quarantine".into()),
        );
        z.add("_dmarc.example.com", ZoneRecord::Txt("unrelated".into()));
        let d = block_on_ready(discover_policy(&z, "Example.COM."));
        let f = d.found().unwrap();
        assert_eq!(f.source, "example.com");
        assert!(!f.inherited);
        let d = block_on_ready(discover_policy(&z, "a.b.example.com"));
        assert_eq!(d.queries.len(), 2);
        assert!(d.found().unwrap().inherited);
    }

    #[test]
    fn multiple_and_failures_stop_discovery() {
        let mut z = ZoneData::new();
        z.add(
            "_dmarc.two.example",
            ZoneRecord::Txt("v=DMARC1; p=none".into()),
        );
        z.add(
            "_dmarc.two.example",
            ZoneRecord::Txt("v=DMARC1; p=reject".into()),
        );
        z.add_timeout("_dmarc.slow.example", Some(QueryType::Txt));
        assert!(matches!(
            block_on_ready(discover_policy(&z, "two.example")).result,
            DiscoveryResult::Multiple { .. }
        ));
        assert!(matches!(
            block_on_ready(discover_policy(&z, "slow.example")).result,
            DiscoveryResult::DnsFailure { .. }
        ));
        assert_eq!(
            block_on_ready(discover_policy(&z, "none.example")).result,
            DiscoveryResult::NotFound
        );
    }

    #[test]
    fn tree_walk_follows_psd() {
        let mut z = ZoneData::new();
        z.add(
            "_dmarc.example",
            ZoneRecord::Txt("v=DMARC1; p=reject; psd=y".into()),
        );
        let d = block_on_ready(discover_tree_walk(&z, "mail.corp.example"));
        assert_eq!(d.found().unwrap().source, "example");
        assert_eq!(d.organizational_domain, "corp.example");
        z.add(
            "_dmarc.corp.example",
            ZoneRecord::Txt("v=DMARC1; p=none".into()),
        );
        let d = block_on_ready(discover_tree_walk(&z, "mail.corp.example"));
        assert_eq!(d.found().unwrap().source, "corp.example");
        assert_eq!(d.organizational_domain, "corp.example");
    }

    #[test]
    fn report_authorization() {
        let mut z = ZoneData::new();
        z.add(
            "example.com._report._dmarc.good.example",
            ZoneRecord::Txt("v=DMARC1".into()),
        );
        let found = FoundPolicy {
            source: "example.com".into(),
            txt: String::new(),
            parsed: parse_dmarc("v=DMARC1; p=none; rua=mailto:a@good.example,mailto:b@bad.example,mailto:c@mail.example.com"),
            inherited: false,
        };
        let auth = block_on_ready(check_report_authorization(&z, &found));
        assert_eq!(auth.len(), 3);
        assert_eq!(auth[0].authorization, ReportAuthorization::Authorized);
        assert_eq!(auth[1].authorization, ReportAuthorization::NotAuthorized);
        assert_eq!(auth[2].authorization, ReportAuthorization::SameOrganization);
    }

    #[test]
    fn candidates() {
        for (txt, yes) in [
            ("v=DMARC1; p=none", true),
            ("V = dmarc1;", true),
            ("v=DMARC12", false),
            ("v=spf1", false),
            ("v=DMARC1", true),
        ] {
            assert_eq!(is_dmarc_candidate(txt), yes, "{txt}");
        }
    }
}
