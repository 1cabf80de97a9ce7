//! The linter's part of the report: the SPF checks ([`checks`],
//! [`sender_ip_check`]) and the `domain.spf` section
//! ([`SpfLint::report_section`]).

use std::net::IpAddr;

use super::suggest::{merge_records, move_all_last, replace_ptr, with_all_qualifier};
use super::{
    SpfLint, SpfLookupStatus, TreeIssue, LOOKUP_LIMIT, RECORD_SIZE_LIMIT, VOID_LOOKUP_LIMIT,
};
use crate::report::{Check, SpfFacts, SpfNodeFacts, SpfTermFacts, Status};
use crate::spf::eval::{LookupNode, SpfOutcome, SpfResult};
use crate::spf::model::{Diagnostic, Qualifier};

impl SpfLint {
    /// The `domain.spf` section of the report: the record, the lookup
    /// counts, the tree and the legend of the terms the record uses
    /// ([`crate::spf::terms::spf_term_legend`]).
    pub fn report_section(&self) -> SpfFacts {
        SpfFacts {
            lookup_count: self.lookup_count,
            record: self.record.clone(),
            terms: crate::spf::terms::spf_term_legend(self.record.as_deref().unwrap_or_default())
                .into_iter()
                .map(|row| SpfTermFacts {
                    meaning: row.meaning.to_string(),
                    rfc: row.rfc.to_string(),
                    term: row.term.to_string(),
                })
                .collect(),
            tree: node_facts(&self.tree),
            void_lookup_count: self.void_lookup_count,
        }
    }
}

/// One node of the lookup tree as the report carries it.
fn node_facts(node: &LookupNode) -> SpfNodeFacts {
    SpfNodeFacts {
        children: node.children.iter().map(node_facts).collect(),
        dns_cost: node.dns_cost,
        domain: node.domain.clone(),
        kind: node.kind,
        matched: node.matched,
        notes: node.notes.clone(),
        qualifier: node.qualifier,
        record: node.record.clone(),
        result: node.result,
        term: node.term.clone(),
        void_lookups: node.void_lookups,
    }
}

fn describe_diagnostic(d: &Diagnostic) -> String {
    format!(
        "bytes {}..{}: {} ({})",
        d.span.start, d.span.end, d.message, d.rfc
    )
}

/// One SPF check, decided for a domain whose record was found: its id and
/// the function that adds exactly one check for it. When the record could
/// not be read or does not exist, every id here gets `not_tested` or
/// `not_applicable` from this list, so an id is written once.
type SpfCheck = (&'static str, fn(&SpfLint, &str, &mut Vec<Check>));

/// The SPF checks after `spf.present`, in catalogue order.
const SPF_CHECKS: &[SpfCheck] = &[
    ("spf.single-record", single_record),
    ("spf.syntax", syntax),
    ("spf.lookup-limit", lookup_limit),
    ("spf.void-lookups", void_lookups),
    ("spf.all-qualifier", all_qualifier),
    ("spf.ptr-mechanism", ptr_mechanism),
    ("spf.record-size", record_size),
    ("spf.include-resolves", include_resolves),
];

/// The SPF report checks for a linted domain, in catalogue order:
/// `spf.present`, then [`SPF_CHECKS`].
pub fn checks(lint: &SpfLint) -> Vec<Check> {
    let d = &lint.domain;
    let mut out = Vec::new();
    let record = match (&lint.status, &lint.record) {
        (SpfLookupStatus::DnsError(e), _) => {
            out.push(Check::new(
                "spf.present",
                Status::Error,
                format!("the TXT lookup for {d} failed ({e}); SPF could not be checked"),
            ));
            for (id, _) in SPF_CHECKS {
                out.push(Check::new(
                    id,
                    Status::NotTested,
                    format!("TXT lookup for {d} failed ({e})"),
                ));
            }
            return out;
        }
        (_, None) => {
            let detail = if lint.spf_rr_seen {
                format!("{d} has no SPF TXT record, only a deprecated type-99 SPF record, which receivers ignore (RFC 7208 §3.1)")
            } else if lint.status == SpfLookupStatus::NxDomain {
                format!("{d} does not exist (NXDOMAIN)")
            } else {
                format!("no `v=spf1` TXT record at {d}")
            };
            out.push(Check::new("spf.present", Status::Fail, detail));
            for (id, _) in SPF_CHECKS {
                out.push(Check::new(
                    id,
                    Status::NotApplicable,
                    format!("no SPF record at {d}"),
                ));
            }
            return out;
        }
        (_, Some(record)) => record.as_str(),
    };
    present(lint, record, &mut out);
    for (_, check) in SPF_CHECKS {
        check(lint, record, &mut out);
    }
    out
}

/// `spf.present`: the record found (a pass), and whether a deprecated type-99 SPF record is also published.
fn present(lint: &SpfLint, record: &str, out: &mut Vec<Check>) {
    let d = &lint.domain;
    if lint.spf_rr_seen {
        out.push(
            Check::new(
                "spf.present",
                Status::Warn,
                format!("{d}: {record}; a deprecated type-99 SPF record is also published (RFC 7208 §3.1, §14.1)"),
            )
            .with_fix("Remove the type-99 SPF record; keep only the TXT record."),
        );
    } else {
        out.push(Check::new(
            "spf.present",
            Status::Pass,
            format!("{d}: {record}"),
        ));
    }
}

/// `spf.single-record`: several `v=spf1` records give permerror (RFC 7208 §4.5).
fn single_record(lint: &SpfLint, _record: &str, out: &mut Vec<Check>) {
    let d = &lint.domain;
    if lint.records.len() > 1 {
        out.push(
            Check::new(
                "spf.single-record",
                Status::Fail,
                format!(
                    "{} `v=spf1` records at {d}: {}; receivers return permerror (RFC 7208 §4.5)",
                    lint.records.len(),
                    lint.records
                        .iter()
                        .map(|r| format!("\"{r}\""))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
            .with_fix("Merge the records into one TXT record.")
            .with_suggestion(merge_records(&lint.records)),
        );
    } else {
        out.push(Check::new(
            "spf.single-record",
            Status::Pass,
            format!("one SPF record at {d}"),
        ));
    }
}

/// `spf.syntax`: errors in the record or in an included one give permerror; terms after `all`, a redirect beside `all` and unknown modifiers warn.
fn syntax(lint: &SpfLint, record: &str, out: &mut Vec<Check>) {
    let errors: Vec<&Diagnostic> = lint.diagnostics.iter().filter(|x| x.is_error()).collect();
    let nested: Vec<&TreeIssue> = lint
        .issues
        .iter()
        .filter(|i| i.code == "spf.include.syntax")
        .collect();
    let warnings: Vec<&Diagnostic> = lint
        .diagnostics
        .iter()
        .filter(|x| {
            matches!(
                x.code,
                "spf.lint.after-all" | "spf.lint.redirect-with-all" | "spf.lint.unknown-modifier"
            )
        })
        .collect();
    if !errors.is_empty() || !nested.is_empty() {
        let mut parts: Vec<String> = errors.iter().map(|e| describe_diagnostic(e)).collect();
        parts.extend(nested.iter().map(|i| i.message.clone()));
        out.push(Check::new(
            "spf.syntax",
            Status::Fail,
            format!("{}; every SPF check gives permerror", parts.join("; ")),
        ));
    } else if !warnings.is_empty() {
        let parts: Vec<String> = warnings.iter().map(|e| describe_diagnostic(e)).collect();
        let mut check = Check::new("spf.syntax", Status::Warn, parts.join("; "));
        if warnings.iter().any(|w| w.code == "spf.lint.after-all") {
            check = check
                .with_fix("Move `all` to the end: terms after it are never evaluated.")
                .with_suggestion(move_all_last(record));
        }
        out.push(check);
    } else {
        out.push(Check::new(
            "spf.syntax",
            Status::Pass,
            "the record is valid RFC 7208 syntax",
        ));
    }
}

/// `spf.lookup-limit`: more than ten DNS-querying terms give permerror (RFC 7208 §4.6.4). A DNS failure below the top record leaves the count incomplete: that is an error, unless the limit is already exceeded.
fn lookup_limit(lint: &SpfLint, _record: &str, out: &mut Vec<Check>) {
    let dns_failed = lint.issues.iter().any(TreeIssue::is_dns_error);
    let bound = if lint.has_macro_targets || dns_failed || lint.walk_stopped {
        "at least "
    } else {
        ""
    };
    let lookups = format!(
        "requires {bound}{}/{LOOKUP_LIMIT} DNS lookups (RFC 7208 §4.6.4)",
        lint.lookup_count
    );
    let too_many_mx: Vec<&TreeIssue> = lint
        .issues
        .iter()
        .filter(|i| i.code == "spf.mx.too-many")
        .collect();
    let looped = lint.issues.iter().any(|i| i.code == "spf.include.loop");
    out.push(if lint.lookup_count > LOOKUP_LIMIT {
        Check::new(
            "spf.lookup-limit",
            Status::Fail,
            format!("{lookups}; receivers return permerror"),
        )
    } else if looped {
        // RFC 7208 §4.6.4: a loop never ends on its own; evaluation runs
        // into the limit and receivers return permerror.
        Check::new(
            "spf.lookup-limit",
            Status::Fail,
            format!("{lookups} until an include/redirect loop repeats; evaluating the loop exceeds the limit and receivers return permerror"),
        )
    } else if !too_many_mx.is_empty() {
        let why: Vec<String> = too_many_mx.iter().map(|i| i.message.clone()).collect();
        Check::new(
            "spf.lookup-limit",
            Status::Fail,
            format!("{lookups}, but {}", why.join("; ")),
        )
    } else if dns_failed {
        Check::new(
            "spf.lookup-limit",
            Status::Error,
            format!("{lookups}; some DNS lookups failed, so the count is incomplete"),
        )
    } else {
        Check::new("spf.lookup-limit", Status::Pass, lookups)
    });
}

/// `spf.void-lookups`: more than two void lookups give permerror (RFC 7208 §4.6.4).
fn void_lookups(lint: &SpfLint, _record: &str, out: &mut Vec<Check>) {
    let dns_failed = lint.issues.iter().any(TreeIssue::is_dns_error);
    let voids = format!(
        "{} void lookup(s) (limit {VOID_LOOKUP_LIMIT}, RFC 7208 §4.6.4)",
        lint.void_lookup_count
    );
    out.push(match lint.void_lookup_count {
        n if n > VOID_LOOKUP_LIMIT => Check::new(
            "spf.void-lookups",
            Status::Fail,
            format!("{voids}; receivers return permerror"),
        ),
        _ if dns_failed => Check::new(
            "spf.void-lookups",
            Status::Error,
            format!("{voids} so far; some DNS lookups failed, so the count is incomplete"),
        ),
        0 => Check::new("spf.void-lookups", Status::Pass, voids),
        _ => Check::new(
            "spf.void-lookups",
            Status::Warn,
            format!("{voids}: some terms point at names without records"),
        ),
    });
}

/// `spf.all-qualifier`: `+all` fails, `?all` or no `all` warns.
fn all_qualifier(lint: &SpfLint, record: &str, out: &mut Vec<Check>) {
    out.push(match lint.effective_all {
        Some(Qualifier::Pass) => Check::new(
            "spf.all-qualifier",
            Status::Fail,
            "`+all` authorises every host on the Internet to send as this domain",
        )
        .with_suggestion(with_all_qualifier(record, Qualifier::SoftFail)),
        Some(Qualifier::Neutral) => Check::new(
            "spf.all-qualifier",
            Status::Warn,
            "`?all` makes no assertion about unlisted hosts",
        )
        .with_suggestion(with_all_qualifier(record, Qualifier::SoftFail)),
        None => Check::new(
            "spf.all-qualifier",
            Status::Warn,
            "the policy has no `all` mechanism: unlisted hosts get neutral",
        )
        .with_suggestion(with_all_qualifier(record, Qualifier::SoftFail)),
        Some(q) => Check::new(
            "spf.all-qualifier",
            Status::Pass,
            format!("the policy ends with `{}all`", q.symbol()),
        ),
    });
}

/// `spf.ptr-mechanism`: `ptr` in the domain's own record SHOULD NOT be used (RFC 7208 §5.5).
fn ptr_mechanism(lint: &SpfLint, record: &str, out: &mut Vec<Check>) {
    let ptr_terms: Vec<&Diagnostic> = lint
        .diagnostics
        .iter()
        .filter(|x| x.code == "spf.lint.ptr")
        .collect();
    out.push(if ptr_terms.is_empty() {
        Check::new("spf.ptr-mechanism", Status::Pass, "no `ptr` mechanism")
    } else {
        Check::new(
            "spf.ptr-mechanism",
            Status::Warn,
            format!(
                "`ptr` at {}; it SHOULD NOT be used (RFC 7208 §5.5)",
                ptr_terms
                    .iter()
                    .map(|x| format!("bytes {}..{}", x.span.start, x.span.end))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
        .with_fix("Replace `ptr` with `a:` for the host names it covered, or better with the `ip4:`/`ip6:` ranges of your servers.")
        .with_suggestion(replace_ptr(record))
    });
}

/// `spf.record-size`: keep the record under 450 bytes (RFC 7208 §3.4).
fn record_size(_lint: &SpfLint, record: &str, out: &mut Vec<Check>) {
    let size = record.len() as u32;
    out.push(if size > RECORD_SIZE_LIMIT {
        Check::new(
            "spf.record-size",
            Status::Warn,
            format!(
                "the record is {size} bytes; keep it under {RECORD_SIZE_LIMIT} (RFC 7208 §3.4)"
            ),
        )
    } else {
        Check::new(
            "spf.record-size",
            Status::Pass,
            format!("the record is {size} bytes"),
        )
    });
}

/// `spf.include-resolves`: an include target without a record, a loop or several records give permerror.
fn include_resolves(lint: &SpfLint, _record: &str, out: &mut Vec<Check>) {
    let broken: Vec<&TreeIssue> = lint
        .issues
        .iter()
        .filter(|i| {
            matches!(
                i.code.as_str(),
                "spf.include.no-record"
                    | "spf.redirect.no-record"
                    | "spf.include.loop"
                    | "spf.include.multiple"
            )
        })
        .collect();
    let dns_errors: Vec<&TreeIssue> = lint.issues.iter().filter(|i| i.is_dns_error()).collect();
    out.push(if !broken.is_empty() {
        Check::new(
            "spf.include-resolves",
            Status::Fail,
            broken
                .iter()
                .map(|i| i.message.clone())
                .collect::<Vec<_>>()
                .join("; "),
        )
    } else if !dns_errors.is_empty() {
        Check::new(
            "spf.include-resolves",
            Status::Error,
            dns_errors
                .iter()
                .map(|i| i.message.clone())
                .collect::<Vec<_>>()
                .join("; "),
        )
    } else if !lint.has_includes {
        Check::new(
            "spf.include-resolves",
            Status::NotApplicable,
            "the policy has no `include:`",
        )
    } else {
        Check::new(
            "spf.include-resolves",
            Status::Pass,
            "every include target has an SPF record",
        )
    });
}

/// The `spf.sender-ip` check for a check_host() outcome.
pub fn sender_ip_check(ip: IpAddr, outcome: &SpfOutcome) -> Check {
    let status = match outcome.result {
        SpfResult::Pass => Status::Pass,
        SpfResult::Fail | SpfResult::PermError => Status::Fail,
        SpfResult::SoftFail | SpfResult::Neutral | SpfResult::None => Status::Warn,
        SpfResult::TempError => Status::Error,
    };
    let mut detail = format!(
        "SPF {} for {ip}: {} ({} DNS lookups, {} void)",
        outcome.result, outcome.reason, outcome.lookup_count, outcome.void_lookup_count
    );
    if let Some(exp) = &outcome.explanation {
        detail.push_str(&format!("; explanation: {exp}"));
    }
    Check::new("spf.sender-ip", status, detail).with_subject(ip.to_string())
}
