//! Bulk-sender requirements of Gmail (Email sender guidelines, February
//! 2024), Yahoo (Sender requirements, 2024) and Microsoft Outlook.com
//! (high-volume sender requirements, May 2025).

use super::{is_pass, item, ChecklistInputs};
use crate::report::{ChecklistItem, ChecklistStatus};

const NO_AUTH_RESULTS: &str = "No trusted Authentication-Results header: send a test message to a Gmail or Outlook.com mailbox and paste the headers as received.";

/// The bulk-sender checklist, in the contract's order: bulk.spf-or-dkim,
/// bulk.spf-and-dkim, bulk.dmarc, bulk.alignment, bulk.one-click, bulk.ptr,
/// bulk.tls, bulk.dkim-key-length, then bulk.content and bulk.link-reputation
/// (issue 20), then bulk.spam-rate.
pub fn bulk_sender(i: &ChecklistInputs) -> Vec<ChecklistItem> {
    vec![
        spf_or_dkim(i),
        spf_and_dkim(i),
        dmarc(i),
        alignment(i),
        one_click(i),
        ptr(i),
        tls(i),
        dkim_key_length(i),
        content(i),
        link_reputation(i),
        item(
            "bulk.spam-rate",
            ChecklistStatus::Manual,
            "A message cannot show the complaint rate. Check Google Postmaster Tools (spam rate below 0.3%, ideally below 0.1%), Yahoo's Complaint Feedback Loop and Microsoft SNDS/JMRP.",
        ),
    ]
}

fn content(i: &ChecklistInputs) -> ChecklistItem {
    let id = "bulk.content";
    match &i.content_problems {
        None if !i.has_body => item(
            id,
            ChecklistStatus::NeedsBody,
            "Paste the whole message: the content and link checks need the body.",
        ),
        None => item(id, ChecklistStatus::NotApplicable, "The body holds no text or HTML to check."),
        Some(problems) if problems.is_empty() => item(
            id,
            ChecklistStatus::Pass,
            "No content finding: alternatives, images, links, attachments and MIME structure are as filters expect.",
        ),
        Some(problems) => item(id, ChecklistStatus::Fail, problems.join(" ")),
    }
}

pub(crate) fn link_reputation(i: &ChecklistInputs) -> ChecklistItem {
    let id = "bulk.link-reputation";
    match &i.listed {
        None => item(
            id,
            ChecklistStatus::NeedsBackend,
            "The blocklist lookups run on the server: look up the message's domains (Reputation).",
        ),
        Some(listed) if listed.is_empty() && !i.reputation_unknown.is_empty() => item(
            id,
            ChecklistStatus::Manual,
            format!(
                "No listing found, but some lists could not answer ({}): check those names on the lists' own pages.",
                i.reputation_unknown.join(", ")
            ),
        ),
        Some(listed) if listed.is_empty() => item(
            id,
            ChecklistStatus::Pass,
            "None of the message's domains or its sending IP is on the blocklists looked up.",
        ),
        Some(listed) => item(
            id,
            ChecklistStatus::Fail,
            format!("Listed: {}.", listed.join(", ")),
        ),
    }
}

fn results_text(i: &ChecklistInputs) -> String {
    format!(
        "SPF {}, DKIM {}",
        i.spf_result.as_deref().unwrap_or("not reported"),
        i.dkim_result.as_deref().unwrap_or("not reported")
    )
}

fn spf_or_dkim(i: &ChecklistInputs) -> ChecklistItem {
    let id = "bulk.spf-or-dkim";
    if i.spf_result.is_none() && i.dkim_result.is_none() {
        return item(id, ChecklistStatus::Manual, NO_AUTH_RESULTS);
    }
    if is_pass(i.spf_result.as_deref()) || is_pass(i.dkim_result.as_deref()) {
        item(id, ChecklistStatus::Pass, results_text(i))
    } else {
        item(
            id,
            ChecklistStatus::Fail,
            format!(
                "{}: neither passed. Gmail and Yahoo reject or junk unauthenticated mail from every sender.",
                results_text(i)
            ),
        )
    }
}

fn spf_and_dkim(i: &ChecklistInputs) -> ChecklistItem {
    let id = "bulk.spf-and-dkim";
    if i.spf_result.is_none() && i.dkim_result.is_none() {
        return item(id, ChecklistStatus::Manual, NO_AUTH_RESULTS);
    }
    let spf = is_pass(i.spf_result.as_deref());
    let dkim = is_pass(i.dkim_result.as_deref());
    if spf && dkim {
        item(id, ChecklistStatus::Pass, results_text(i))
    } else {
        let missing = match (spf, dkim) {
            (false, false) => "SPF and DKIM",
            (false, true) => "SPF",
            _ => "DKIM",
        };
        item(
            id,
            ChecklistStatus::Fail,
            format!(
                "{}: {missing} did not pass. Bulk senders (5,000+ messages a day to Gmail) need both.",
                results_text(i)
            ),
        )
    }
}

fn dmarc(i: &ChecklistInputs) -> ChecklistItem {
    let id = "bulk.dmarc";
    let Some(result) = i.dmarc_result.as_deref().map(str::to_ascii_lowercase) else {
        return item(
            id,
            ChecklistStatus::NeedsBackend,
            "The receiver did not report DMARC; run the domain audit to check the record.",
        );
    };
    match result.as_str() {
        // A pass or fail means the receiver found a policy to evaluate.
        "pass" | "fail" | "quarantine" | "reject" => item(
            id,
            ChecklistStatus::Pass,
            format!("The receiver evaluated a DMARC policy (dmarc={result}), so a record is published."),
        ),
        "none" => item(
            id,
            ChecklistStatus::Fail,
            "The receiver reported dmarc=none: the From domain publishes no DMARC record. Publish at least `v=DMARC1; p=none`.",
        ),
        "permerror" => item(
            id,
            ChecklistStatus::Fail,
            "The receiver reported dmarc=permerror: the DMARC record is broken.",
        ),
        other => item(
            id,
            ChecklistStatus::NeedsBackend,
            format!("The receiver reported dmarc={other}; run the domain audit to check the record."),
        ),
    }
}

fn alignment(i: &ChecklistInputs) -> ChecklistItem {
    let id = "bulk.alignment";
    match (i.spf_aligned, i.dkim_aligned) {
        (Some(true), _) | (_, Some(true)) => {
            let which = match (i.spf_aligned, i.dkim_aligned) {
                (Some(true), Some(true)) => "SPF and DKIM are",
                (Some(true), _) => "SPF is",
                _ => "DKIM is",
            };
            item(
                id,
                ChecklistStatus::Pass,
                format!("{which} aligned with the From domain."),
            )
        }
        (Some(false), Some(false)) | (Some(false), None) | (None, Some(false)) => item(
            id,
            ChecklistStatus::Fail,
            "No passing SPF or DKIM identity is aligned with the From domain. Sign with DKIM d= under the From domain, or use a MAIL FROM under it.",
        ),
        (None, None) => item(
            id,
            ChecklistStatus::Manual,
            "Alignment could not be computed: no passing SPF or DKIM result was found in the headers.",
        ),
    }
}

fn one_click(i: &ChecklistInputs) -> ChecklistItem {
    let id = "bulk.one-click";
    let Some(st) = &i.unsubscribe else {
        return item(
            id,
            ChecklistStatus::Manual,
            "Unsubscribe headers were not examined.",
        );
    };
    if st.one_click {
        return item(
            id,
            ChecklistStatus::Pass,
            "List-Unsubscribe with an https URI, List-Unsubscribe-Post: List-Unsubscribe=One-Click, both signed by DKIM.",
        );
    }
    if !st.has_list_unsubscribe && !st.has_post && !st.looks_bulk {
        return item(
            id,
            ChecklistStatus::NotApplicable,
            "No sign of bulk or list mail (no List-Unsubscribe, List-Id or Precedence: bulk); transactional and personal mail are exempt.",
        );
    }
    let mut missing = Vec::new();
    if !st.has_list_unsubscribe {
        missing.push("List-Unsubscribe");
    } else if st.https_uri.is_none() {
        missing.push("an https List-Unsubscribe URI");
    }
    if !st.post_value_ok {
        missing.push("List-Unsubscribe-Post: List-Unsubscribe=One-Click");
    }
    if !st.dkim_covers_both {
        missing.push("a DKIM signature covering both headers");
    }
    item(
        id,
        ChecklistStatus::Fail,
        format!("Missing for RFC 8058 one-click: {}.", missing.join(", ")),
    )
}

/// Needs the sending IP's reverse DNS: the combined report answers it from
/// the audit's `domain.ptr` (see [`crate::report::combine`]).
fn ptr(_: &ChecklistInputs) -> ChecklistItem {
    item(
        "bulk.ptr",
        ChecklistStatus::NeedsBackend,
        "Needs a live DNS lookup of the sending IP's PTR record (domain audit).",
    )
}

fn tls(i: &ChecklistInputs) -> ChecklistItem {
    let id = "bulk.tls";
    let plain = i.hop_tls.iter().filter(|t| **t == Some(false)).count();
    let encrypted = i.hop_tls.iter().filter(|t| **t == Some(true)).count();
    if plain > 0 {
        item(
            id,
            ChecklistStatus::Fail,
            format!("{plain} hop(s) after the sender carried the message without TLS."),
        )
    } else if encrypted > 0 {
        item(
            id,
            ChecklistStatus::Pass,
            format!("{encrypted} hop(s) used TLS; none is known to be unencrypted."),
        )
    } else {
        item(
            id,
            ChecklistStatus::Manual,
            "The Received headers do not say whether TLS was used.",
        )
    }
}

/// Needs the signing key from DNS: the combined report answers it from
/// the audit's `domain.dkim` (see [`crate::report::combine`]).
fn dkim_key_length(_: &ChecklistInputs) -> ChecklistItem {
    item(
        "bulk.dkim-key-length",
        ChecklistStatus::NeedsBackend,
        "Needs the DKIM public key from DNS (domain audit with the selectors found in the headers).",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::unsubscribe::UnsubscribeState;

    fn status(items: &[ChecklistItem], id: &str) -> ChecklistStatus {
        items.iter().find(|i| i.id == id).unwrap().status
    }

    #[test]
    fn bulk_table() {
        let pass = |s: &str| Some(s.to_string());
        let cases: Vec<(&str, ChecklistInputs, &str, ChecklistStatus)> = vec![
            (
                "nothing known",
                ChecklistInputs::default(),
                "bulk.spf-or-dkim",
                ChecklistStatus::Manual,
            ),
            (
                "spf pass",
                ChecklistInputs {
                    spf_result: pass("pass"),
                    dkim_result: pass("none"),
                    ..Default::default()
                },
                "bulk.spf-or-dkim",
                ChecklistStatus::Pass,
            ),
            (
                "spf pass only",
                ChecklistInputs {
                    spf_result: pass("pass"),
                    dkim_result: pass("none"),
                    ..Default::default()
                },
                "bulk.spf-and-dkim",
                ChecklistStatus::Fail,
            ),
            (
                "both pass",
                ChecklistInputs {
                    spf_result: pass("pass"),
                    dkim_result: pass("pass"),
                    ..Default::default()
                },
                "bulk.spf-and-dkim",
                ChecklistStatus::Pass,
            ),
            (
                "both fail",
                ChecklistInputs {
                    spf_result: pass("softfail"),
                    dkim_result: pass("fail"),
                    ..Default::default()
                },
                "bulk.spf-or-dkim",
                ChecklistStatus::Fail,
            ),
            (
                "dmarc none",
                ChecklistInputs {
                    dmarc_result: pass("none"),
                    ..Default::default()
                },
                "bulk.dmarc",
                ChecklistStatus::Fail,
            ),
            (
                "dmarc fail",
                ChecklistInputs {
                    dmarc_result: pass("fail"),
                    ..Default::default()
                },
                "bulk.dmarc",
                ChecklistStatus::Pass,
            ),
            (
                "dmarc unknown",
                ChecklistInputs::default(),
                "bulk.dmarc",
                ChecklistStatus::NeedsBackend,
            ),
            (
                "aligned dkim",
                ChecklistInputs {
                    spf_aligned: Some(false),
                    dkim_aligned: Some(true),
                    ..Default::default()
                },
                "bulk.alignment",
                ChecklistStatus::Pass,
            ),
            (
                "not aligned",
                ChecklistInputs {
                    spf_aligned: Some(false),
                    dkim_aligned: Some(false),
                    ..Default::default()
                },
                "bulk.alignment",
                ChecklistStatus::Fail,
            ),
            (
                "alignment unknown",
                ChecklistInputs::default(),
                "bulk.alignment",
                ChecklistStatus::Manual,
            ),
            (
                "one-click ok",
                ChecklistInputs {
                    unsubscribe: Some(UnsubscribeState {
                        one_click: true,
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                "bulk.one-click",
                ChecklistStatus::Pass,
            ),
            (
                "personal mail",
                ChecklistInputs {
                    unsubscribe: Some(UnsubscribeState::default()),
                    ..Default::default()
                },
                "bulk.one-click",
                ChecklistStatus::NotApplicable,
            ),
            (
                "list no post",
                ChecklistInputs {
                    unsubscribe: Some(UnsubscribeState {
                        has_list_unsubscribe: true,
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                "bulk.one-click",
                ChecklistStatus::Fail,
            ),
            (
                "ptr unknown",
                ChecklistInputs::default(),
                "bulk.ptr",
                ChecklistStatus::NeedsBackend,
            ),
            (
                "tls ok",
                ChecklistInputs {
                    hop_tls: vec![Some(true), None],
                    ..Default::default()
                },
                "bulk.tls",
                ChecklistStatus::Pass,
            ),
            (
                "tls plain",
                ChecklistInputs {
                    hop_tls: vec![Some(true), Some(false)],
                    ..Default::default()
                },
                "bulk.tls",
                ChecklistStatus::Fail,
            ),
            (
                "tls unknown",
                ChecklistInputs::default(),
                "bulk.tls",
                ChecklistStatus::Manual,
            ),
            (
                "key unknown",
                ChecklistInputs::default(),
                "bulk.dkim-key-length",
                ChecklistStatus::NeedsBackend,
            ),
            (
                "spam rate",
                ChecklistInputs {
                    spf_result: pass("pass"),
                    ..Default::default()
                },
                "bulk.spam-rate",
                ChecklistStatus::Manual,
            ),
        ];
        for (name, inputs, id, want) in cases {
            assert_eq!(
                status(&bulk_sender(&inputs), id),
                want,
                "case {name}: {inputs:?}"
            );
        }
    }
}
