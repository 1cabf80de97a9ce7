//! The blocklists and allow-lists mxlens knows: what each one's return
//! codes mean, how much a listing hurts delivery, and where to ask for
//! removal. A zone not in the table is still queried (`--dnsbl-domain`,
//! `--dnsbl`), with the generic RFC 5782 reading: any 127.0.0.0/8 answer
//! is a listing.
//!
//! Refusal codes: a list that will not answer a resolver (a public
//! resolver, too many queries) says so with a code inside 127/8. Such an
//! answer is an `error`, never a listing: Spamhaus 127.255.255.0/24 (and
//! DBL 127.0.1.255 for an IP asked of a domain list), URIBL and SURBL
//! 127.0.0.1, DNSWL 127.0.0.255.

use std::net::Ipv4Addr;

/// What a list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    /// Domain names (RFC 5782 §3: the name itself is looked up).
    Domain,
    /// IP addresses (RFC 5782 §2: the reversed address is looked up).
    Ip,
    /// An IP allow-list (DNSWL): a listing is good news.
    Allow,
}

impl ListKind {
    /// The report's word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            ListKind::Domain => "domain",
            ListKind::Ip => "ip",
            ListKind::Allow => "allow",
        }
    }
}

/// How one list's answers read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Codes {
    /// Spamhaus DBL: one code per category (127.0.1.x).
    SpamhausDbl,
    /// Spamhaus ZEN: SBL, CSS, XBL and PBL codes (127.0.0.x).
    SpamhausZen,
    /// SURBL multi: a bitmask in the last octet.
    Surbl,
    /// URIBL multi: a bitmask in the last octet.
    Uribl,
    /// DNSWL: 127.0.<category>.<trust>.
    Dnswl,
    /// Any 127/8 answer is a listing (RFC 5782 §2.3).
    Generic,
}

/// A known list.
#[derive(Debug, Clone, Copy)]
pub struct ListSpec {
    /// Its DNS zone.
    pub zone: &'static str,
    /// Its name.
    pub name: &'static str,
    /// What it holds.
    pub kind: ListKind,
    /// How much a listing hurts delivery (`high`, `medium`, `low`): how
    /// many large receivers block on it.
    pub impact: &'static str,
    /// Where to ask for removal.
    pub delist_url: &'static str,
    codes: Codes,
}

/// The lists mxlens knows, by zone.
pub const KNOWN_LISTS: &[ListSpec] = &[
    ListSpec {
        zone: "dbl.spamhaus.org",
        name: "Spamhaus DBL",
        kind: ListKind::Domain,
        impact: "high",
        delist_url: "https://check.spamhaus.org/",
        codes: Codes::SpamhausDbl,
    },
    ListSpec {
        zone: "multi.surbl.org",
        name: "SURBL",
        kind: ListKind::Domain,
        impact: "high",
        delist_url: "https://www.surbl.org/surbl-analysis",
        codes: Codes::Surbl,
    },
    ListSpec {
        zone: "multi.uribl.com",
        name: "URIBL",
        kind: ListKind::Domain,
        impact: "medium",
        delist_url: "https://admin.uribl.com/",
        codes: Codes::Uribl,
    },
    ListSpec {
        zone: "zen.spamhaus.org",
        name: "Spamhaus ZEN",
        kind: ListKind::Ip,
        impact: "high",
        delist_url: "https://check.spamhaus.org/",
        codes: Codes::SpamhausZen,
    },
    ListSpec {
        zone: "bl.spamcop.net",
        name: "SpamCop",
        kind: ListKind::Ip,
        impact: "medium",
        delist_url: "https://www.spamcop.net/bl.shtml",
        codes: Codes::Generic,
    },
    ListSpec {
        zone: "b.barracudacentral.org",
        name: "Barracuda BRBL",
        kind: ListKind::Ip,
        impact: "medium",
        delist_url: "https://www.barracudacentral.org/rbl/removal-request",
        codes: Codes::Generic,
    },
    ListSpec {
        zone: "list.dnswl.org",
        name: "DNSWL",
        kind: ListKind::Allow,
        impact: "low",
        delist_url: "https://www.dnswl.org/",
        codes: Codes::Dnswl,
    },
];

/// The domain lists queried when none are configured.
pub const DEFAULT_DOMAIN_LISTS: &[&str] =
    &["dbl.spamhaus.org", "multi.surbl.org", "multi.uribl.com"];

/// The allow-lists queried when none are configured.
pub const DEFAULT_ALLOW_LISTS: &[&str] = &["list.dnswl.org"];

/// The spec of `zone`: a known list, or a generic one of `kind` (impact
/// `medium`, no delisting page).
pub fn spec_for(zone: &str, kind: ListKind) -> ListSpec {
    let zone = zone.trim_end_matches('.');
    KNOWN_LISTS
        .iter()
        .find(|s| s.zone.eq_ignore_ascii_case(zone))
        .copied()
        .unwrap_or(ListSpec {
            zone: "",
            name: "",
            kind,
            impact: if kind == ListKind::Allow {
                "low"
            } else {
                "medium"
            },
            delist_url: "",
            codes: if kind == ListKind::Allow {
                Codes::Dnswl
            } else {
                Codes::Generic
            },
        })
}

/// How a list's answer reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reading {
    /// Listed, with what the codes mean.
    Listed(String),
    /// The list refused the query (or answered outside 127/8): unknown.
    Refused(String),
}

/// Reads the A records a list answered for a name (RFC 5782 §2.3: an
/// answer in 127.0.0.0/8 is a listing, except the refusal codes above).
pub fn read_answer(spec: &ListSpec, answers: &[Ipv4Addr]) -> Reading {
    if let Some(a) = answers.iter().find(|a| a.octets()[0] != 127) {
        return Reading::Refused(format!(
            "answered {a}, outside 127.0.0.0/8: not a valid list answer (RFC 5782 §2.3)"
        ));
    }
    if let Some(a) = answers.iter().find(|a| is_refusal(spec.codes, a)) {
        return Reading::Refused(format!(
            "answered {a}: the list refused the query (a public or unregistered resolver, or too many queries), so the listing is unknown"
        ));
    }
    let mut meanings: Vec<String> = Vec::new();
    for a in answers {
        for m in meaning(spec.codes, a) {
            if !meanings.iter().any(|x| x == m) {
                meanings.push(m.to_string());
            }
        }
    }
    Reading::Listed(meanings.join(", "))
}

fn is_refusal(codes: Codes, a: &Ipv4Addr) -> bool {
    let [_, b, c, d] = a.octets();
    // Spamhaus's 127.255.255.0/24 (typing error, public resolver, too many
    // queries) holds for every zone: no list uses it for listings.
    if b == 255 && c == 255 {
        return true;
    }
    match codes {
        Codes::SpamhausDbl => (b, c, d) == (0, 1, 255),
        Codes::Surbl | Codes::Uribl => (b, c, d) == (0, 0, 1),
        Codes::Dnswl => d == 255,
        Codes::SpamhausZen | Codes::Generic => false,
    }
}

fn meaning(codes: Codes, a: &Ipv4Addr) -> Vec<&'static str> {
    let [_, b, c, d] = a.octets();
    match codes {
        Codes::SpamhausDbl if (b, c) == (0, 1) => vec![match d {
            2 => "spam domain",
            4 => "phishing domain",
            5 => "malware domain",
            6 => "botnet C&C domain",
            102 => "abused legitimate domain (spam)",
            103 => "abused legitimate domain (redirector or URL shortener)",
            104 => "abused legitimate domain (phishing)",
            105 => "abused legitimate domain (malware)",
            106 => "abused legitimate domain (botnet C&C)",
            _ => "listed (unknown DBL code)",
        }],
        Codes::SpamhausZen if (b, c) == (0, 0) => vec![match d {
            2 => "SBL: known spam source",
            3 => "SBL CSS: snowshoe spam",
            9 => "SBL DROP: hijacked netblock",
            4..=7 => "XBL: exploited or infected host",
            10 | 11 => "PBL: end-user range that should not send mail directly",
            _ => "listed (unknown ZEN code)",
        }],
        Codes::Surbl if (b, c) == (0, 0) => bitmask(
            d,
            &[
                (8, "phishing (PH)"),
                (16, "malware (MW)"),
                (64, "spam and abuse (ABUSE)"),
                (128, "cracked site (CR)"),
            ],
            "listed (unknown SURBL bits)",
        ),
        Codes::Uribl if (b, c) == (0, 0) => bitmask(
            d,
            &[
                (2, "black: spam domain"),
                (4, "grey: bulk mail domain"),
                (8, "red: new spam domain"),
            ],
            "listed (unknown URIBL bits)",
        ),
        Codes::Dnswl => vec![match d {
            0 => "allow-listed, trust none",
            1 => "allow-listed, trust low",
            2 => "allow-listed, trust medium",
            _ => "allow-listed, trust high",
        }],
        _ => vec!["listed"],
    }
}

/// The meanings of the bits set in `d` (SURBL and URIBL answer one
/// address whose last octet is a bitmask of their sublists).
fn bitmask(d: u8, bits: &[(u8, &'static str)], unknown: &'static str) -> Vec<&'static str> {
    let found: Vec<&'static str> = bits
        .iter()
        .filter(|(bit, _)| d & bit != 0)
        .map(|(_, m)| *m)
        .collect();
    if found.is_empty() {
        vec![unknown]
    } else {
        found
    }
}

/// The impact of a listing: a URIBL grey listing (bulk mail, not spam)
/// weighs low whatever the list's impact.
pub fn listing_impact(spec: &ListSpec, answers: &[Ipv4Addr]) -> &'static str {
    if spec.codes == Codes::Uribl && answers.iter().all(|a| a.octets()[3] & 0b1010 == 0) {
        return "low";
    }
    spec.impact
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(zone: &str, kind: ListKind, codes: &[&str]) -> Reading {
        let answers: Vec<Ipv4Addr> = codes.iter().map(|c| c.parse().unwrap()).collect();
        read_answer(&spec_for(zone, kind), &answers)
    }

    #[test]
    fn codes_decoded() {
        let listed = |m: &str| Reading::Listed(m.to_string());
        for (zone, kind, codes, expected) in [
            ("dbl.spamhaus.org", ListKind::Domain, &["127.0.1.2"][..], listed("spam domain")),
            ("dbl.spamhaus.org", ListKind::Domain, &["127.0.1.4"], listed("phishing domain")),
            ("dbl.spamhaus.org", ListKind::Domain, &["127.0.1.5"], listed("malware domain")),
            ("dbl.spamhaus.org", ListKind::Domain, &["127.0.1.102"], listed("abused legitimate domain (spam)")),
            ("dbl.spamhaus.org", ListKind::Domain, &["127.0.1.103"], listed("abused legitimate domain (redirector or URL shortener)")),
            ("zen.spamhaus.org", ListKind::Ip, &["127.0.0.2", "127.0.0.11"], listed("SBL: known spam source, PBL: end-user range that should not send mail directly")),
            ("zen.spamhaus.org", ListKind::Ip, &["127.0.0.4"], listed("XBL: exploited or infected host")),
            ("zen.spamhaus.org", ListKind::Ip, &["127.0.0.3"], listed("SBL CSS: snowshoe spam")),
            ("multi.surbl.org", ListKind::Domain, &["127.0.0.24"], listed("phishing (PH), malware (MW)")),
            ("multi.uribl.com", ListKind::Domain, &["127.0.0.2"], listed("black: spam domain")),
            ("list.dnswl.org", ListKind::Allow, &["127.0.15.2"], listed("allow-listed, trust medium")),
            ("bl.example.test", ListKind::Ip, &["127.0.0.2"], listed("listed")),
        ] {
            assert_eq!(read(zone, kind, codes), expected, "{zone} {codes:?}");
        }
    }

    #[test]
    fn refusals_are_never_listings() {
        for (zone, kind, code) in [
            ("dbl.spamhaus.org", ListKind::Domain, "127.255.255.254"),
            ("dbl.spamhaus.org", ListKind::Domain, "127.0.1.255"),
            ("zen.spamhaus.org", ListKind::Ip, "127.255.255.252"),
            ("zen.spamhaus.org", ListKind::Ip, "127.255.255.255"),
            ("multi.uribl.com", ListKind::Domain, "127.0.0.1"),
            ("multi.surbl.org", ListKind::Domain, "127.0.0.1"),
            ("list.dnswl.org", ListKind::Allow, "127.0.0.255"),
            ("bl.example.test", ListKind::Ip, "10.0.0.1"),
        ] {
            assert!(
                matches!(read(zone, kind, &[code]), Reading::Refused(_)),
                "{zone} {code}"
            );
        }
    }

    #[test]
    fn uribl_grey_weighs_low() {
        let spec = spec_for("multi.uribl.com", ListKind::Domain);
        assert_eq!(
            listing_impact(&spec, &["127.0.0.4".parse().unwrap()]),
            "low"
        );
        assert_eq!(
            listing_impact(&spec, &["127.0.0.2".parse().unwrap()]),
            "medium"
        );
        let dbl = spec_for("dbl.spamhaus.org.", ListKind::Domain);
        assert_eq!((dbl.name, dbl.impact), ("Spamhaus DBL", "high"));
    }
}
