//! Message analysis: pasted headers or a whole raw message in, a `message`
//! report out. Runs in the browser (WASM) and natively.
//!
//! One file per verb: [`input`] splits the paste into fields, [`received`]
//! and [`authres`] parse (DKIM-Signature in [`crate::dkim::signature`], ARC
//! in [`crate::arc`]), [`chain`] orders the hops, [`alignment`] evaluates DMARC alignment, and this module turns it
//! all into checks.

pub mod alignment;
pub mod authres;
pub mod chain;
pub mod datetime;
mod html_entities;
pub(crate) mod html_text;
pub mod hygiene;
pub mod input;
pub mod mime_limits;
pub mod received;
pub mod smime;
pub mod spam;
pub mod unsubscribe;
pub mod verified;

use std::collections::HashMap;

use thiserror::Error;

use crate::report::{
    catalog, AlignedIdentity, AlignmentSummary, ArcSummary, AuthResultSummary, Check,
    DkimSignatureSummary, FromAddress, MessageSection, Report, ReportKind, Status,
};

use self::alignment::{compute_alignment, domain_of, passed_identities, IdentityAlignment};
use self::authres::{parse_authentication_results, parse_received_spf, AuthResults, ReceivedSpf};
use self::chain::{build_chain, Chain};
use self::input::{parse_input, ParsedInput};
use crate::arc::{parse_arc_chain, ArcChainStatus};
use crate::dkim::signature::{
    self as dkim_signature, dkim_signatures, lint_dkim_signature_with_counts, HeaderCounts,
};
use crate::smtp::bounce;

/// The largest paste we analyse (1 MiB).
pub const MAX_INPUT_BYTES: usize = 1024 * 1024;

/// A hop slower than this (seconds) gets a warning (5 minutes).
pub const SLOW_HOP_SECONDS: i64 = 300;

/// Input we refuse to analyse. Everything else yields a report.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InputError {
    /// Nothing but whitespace.
    #[error("the input is empty: paste raw headers or a whole message")]
    Empty,
    /// Over [`MAX_INPUT_BYTES`].
    #[error("the input is {size} bytes; the limit is 1 MiB (1048576 bytes)")]
    TooLarge {
        /// The size given.
        size: u64,
    },
}

/// The receiving ADMD's Authentication-Results: the topmost field, plus the
/// others carrying the same authserv-id (RFC 8601 §5: only results from
/// one's own ADMD can be trusted; fields further down may be forged).
pub fn trusted_auth_results(input: &ParsedInput<'_>) -> Vec<AuthResults> {
    let all: Vec<AuthResults> = input
        .all("authentication-results")
        .map(|h| parse_authentication_results(&h.value))
        .collect();
    let Some(top) = all.first() else {
        return Vec::new();
    };
    let id = top.authserv_id.clone();
    all.into_iter()
        .filter(|ar| ar.authserv_id.eq_ignore_ascii_case(&id))
        .collect()
}

/// The (DKIM domain, selector) pairs signed into a pasted message, so the
/// domain audit can query the right `selector._domainkey` names instead of
/// guessing. Empty for input that holds no DKIM-Signature.
pub fn dkim_selectors(input: &[u8]) -> Vec<(String, String)> {
    dkim_signature::selectors(&parse_input(input))
}

/// Analyses a pasted header block or whole message. `generated_at` is the
/// RFC 3339 time to stamp on the report (`shared` has no clock).
pub fn analyze_message(input: &[u8], generated_at: &str) -> Result<Report, InputError> {
    if input.len() > MAX_INPUT_BYTES {
        return Err(InputError::TooLarge {
            size: input.len() as u64,
        });
    }
    if input.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(InputError::Empty);
    }
    let report_time = datetime::parse_rfc3339(generated_at);
    let parsed = parse_input(input);
    let decoded = parsed.decoded();
    let mut section = MessageSection {
        has_body: parsed.has_body,
        subject: decoded.subject.clone(),
        ..MessageSection::default()
    };
    let mut checks = Vec::new();

    // msg.from. Integration note: when hygiene emits msg.from, drop this
    // block but keep filling `section.from` (alignment needs it).
    let from_count = parsed.count("from");
    match (from_count, decoded.from.as_slice()) {
        (1, [(name, address)]) if address.contains('@') => {
            let (name, address) = (name.clone(), address.clone());
            let domain = domain_of(&address).unwrap_or_default();
            checks.push(Check::new(
                "msg.from",
                Status::Pass,
                format!("From: {address}"),
            ));
            section.from = Some(FromAddress {
                name,
                address,
                domain,
            });
        }
        (0, _) if parsed.headers.is_empty() => checks.push(Check::new(
            "msg.from",
            Status::NotTested,
            "no header block found: paste the raw headers (\"Show original\", \"View source\")",
        )),
        (0, _) => checks.push(Check::new("msg.from", Status::Fail, "no From header")),
        (n, _) => checks.push(Check::new(
            "msg.from",
            Status::Fail,
            format!("{n} From header(s) without exactly one valid address"),
        )),
    }

    let trusted = trusted_auth_results(&parsed);
    let receiver_id = trusted
        .first()
        .map(|ar| ar.authserv_id.clone())
        .filter(|id| !id.is_empty());
    let received_spf = parsed
        .first("received-spf")
        .map(|h| parse_received_spf(&h.value));
    let chain = build_chain(
        &parsed,
        receiver_id.as_deref(),
        received_spf
            .as_ref()
            .and_then(|s| s.get("client-ip"))
            .and_then(|ip| ip.parse().ok()),
    );
    chain_checks(&chain, &mut section, &mut checks);

    auth_checks(
        &parsed,
        &trusted,
        received_spf.as_ref(),
        &mut section,
        &mut checks,
    );
    dkim_checks(
        &parsed,
        &trusted,
        &chain,
        report_time,
        &mut section,
        &mut checks,
    );
    alignment_check(
        &parsed,
        &trusted,
        received_spf.as_ref(),
        &mut section,
        &mut checks,
    );
    envelope(
        &parsed,
        &trusted,
        received_spf.as_ref(),
        &chain,
        &mut section,
    );
    checks.extend(verified::unverified_checks(&parsed, &section));

    // Hygiene, unsubscribe, spam verdicts and bounces work on mail-parser's
    // view of the (normalised) message; the checklists read everything.
    let dkim_h: Vec<Vec<String>> = dkim_signature::signed_header_lists(&parsed)
        .into_iter()
        .map(|l| l.headers)
        .collect();
    let text = String::from_utf8_lossy(input);
    // A bare SMTP reply, or a bounce's text pasted without its headers
    // (whose first header block is then the quoted original's, after the
    // bounce's words): read the bounce from the whole text.
    if parsed.headers.is_empty() || parsed.header_start > 0 || bounce::looks_like_bare_reply(&text)
    {
        if let Some(found) = bounce::read_text(&text) {
            let checks = bounce::checks(&found);
            // Only the bounce: headers found after its words are the
            // quoted original's, which `bounce.original` describes.
            let section = MessageSection {
                has_body: section.has_body,
                bounce: Some(found),
                ..MessageSection::default()
            };
            let mut report = Report::new(ReportKind::Message, generated_at, checks);
            report.message = Some(section);
            return Ok(report);
        }
    }
    // Received is parsed by our own `received` module (the chain above);
    // keeping mail-parser's copy raw spares a second tokenisation of every
    // stamp, which was a fifth of the analysis time on long chains.
    // Past the MIME limits (#19 H3) mail-parser gets the header block only:
    // its boundary search is quadratic in the nesting depth.
    let mail = if parsed.mime_limit.is_some() {
        input::message_parser().parse_headers(parsed.header_bytes())
    } else {
        input::message_parser().parse(parsed.message_bytes())
    };
    checks.extend(mime_limits::check(&parsed));
    let mut inputs = match &mail {
        Some(m) => {
            let now_unix = report_time.unwrap_or(0);
            let hygiene_checks = hygiene::checks(m, now_unix);
            if hygiene_checks.iter().any(|c| c.id == "msg.from") {
                // hygiene's msg.from is the precise one; section.from stays.
                checks.retain(|c| c.id != "msg.from");
            }
            checks.extend(hygiene_checks);
            checks.extend(unsubscribe::checks(m, &dkim_h));
            let verdicts = spam::decode(m);
            checks.extend(spam::checks(&verdicts));
            section.spam_verdicts = verdicts.iter().map(spam::SpamVerdict::summary).collect();
            // The Content section (issue 20): the body never leaves the browser.
            if parsed.has_body {
                let from_domain = section.from.as_ref().map(|f| f.domain.clone());
                let (content, content_checks) =
                    crate::content::analyze_content(m, from_domain.as_deref(), &verdicts);
                checks.extend(content_checks);
                section.content = Some(content);
            } else {
                checks.push(crate::content::checks::no_body_check());
            }
            section.bounce = bounce::read_message(m);
            if let Some(found) = &section.bounce {
                checks.extend(bounce::checks(found));
            }
            if let Some(finding) = smime::detect(m) {
                let from = section.from.as_ref().map(|f| f.address.as_str());
                checks.push(smime::smime_check(&finding, from, report_time));
            }
            crate::checklists::ChecklistInputs::from_message(m, &dkim_h)
        }
        None => crate::checklists::ChecklistInputs::default(),
    };
    inputs.apply_checks(&checks);
    let result_of = |method: &str| {
        section
            .auth_results
            .iter()
            .find(|r| r.method == method)
            .map(|r| r.result.clone())
    };
    inputs.spf_result = result_of("spf");
    inputs.dmarc_result = result_of("dmarc");
    inputs.dkim_result = if section
        .auth_results
        .iter()
        .any(|r| r.method == "dkim" && r.result == "pass")
    {
        Some("pass".to_string())
    } else {
        result_of("dkim")
    };
    if let Some(alignment) = &section.alignment {
        inputs.spf_aligned = alignment.spf.as_ref().map(|s| s.relaxed);
        inputs.dkim_aligned = Some(alignment.dkim.iter().any(|d| d.relaxed));
    }
    // TLS per hop, for the hops after the sender's own network.
    inputs.hop_tls = section
        .hops
        .iter()
        .filter(|h| !h.internal)
        .map(|h| h.tls)
        .collect();
    inputs.has_body = parsed.has_body;
    inputs.apply_content(section.content.as_ref());
    let checklists = crate::checklists::build(&inputs);

    checks.sort_by_cached_key(|c| catalog_position(&c.id));
    let mut report = Report::new(ReportKind::Message, generated_at, checks);
    report.message = Some(section);
    report.checklists = checklists;
    Ok(report)
}

/// Position of a check id in the catalogue (unknown ids last), so checks come
/// out in catalogue order.
fn catalog_position(id: &str) -> usize {
    catalog::entries()
        .position(|e| e.id == id)
        .unwrap_or(usize::MAX)
}

/// The envelope the sending IP used, as the receiver recorded it: MAIL FROM
/// from the topmost Return-Path (added at final delivery, RFC 5321 §4.4),
/// else the trusted `smtp.mailfrom` (RFC 8601 §2.7.2), else Received-SPF's
/// `envelope-from` (RFC 7208 §9.1); HELO from the sending hop's Received
/// `from` clause, else Received-SPF's `helo=` or the trusted `smtp.helo`.
/// A domain audit of the message's sender evaluates SPF for these.
fn envelope(
    parsed: &ParsedInput,
    trusted: &[AuthResults],
    received_spf: Option<&ReceivedSpf>,
    chain: &Chain,
    section: &mut MessageSection,
) {
    let clean = |v: &str| {
        let v = v
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .trim();
        (!v.is_empty()).then(|| v.to_string())
    };
    let smtp_property = |name: &str| {
        trusted
            .iter()
            .flat_map(|ar| ar.method("spf"))
            .find_map(|r| r.property("smtp", name).and_then(clean))
    };
    section.envelope_from = parsed
        .first("return-path")
        .and_then(|h| clean(&h.value))
        .or_else(|| smtp_property("mailfrom"))
        .or_else(|| {
            received_spf
                .and_then(|s| s.get("envelope-from"))
                .and_then(clean)
        });
    let sending_hop_helo = chain.sending_ip.and_then(|ip| {
        let ip = ip.to_string();
        section
            .hops
            .iter()
            .rev()
            .find(|h| h.ip.as_deref() == Some(ip.as_str()))
            .and_then(|h| h.helo.as_deref().or(h.from.as_deref()))
            .and_then(clean)
            // Postfix writes "unknown" when the client sent no HELO at all.
            .filter(|helo| !helo.eq_ignore_ascii_case("unknown"))
    });
    section.envelope_helo = sending_hop_helo
        .or_else(|| received_spf.and_then(|s| s.get("helo")).and_then(clean))
        .or_else(|| smtp_property("helo"));
}

fn chain_checks(chain: &Chain, section: &mut MessageSection, checks: &mut Vec<Check>) {
    section.hops = chain.hops.iter().map(|h| h.hop.clone()).collect();
    section.total_delay_seconds = chain.total_delay_seconds;
    section.sending_ip = chain.sending_ip.map(|ip| ip.to_string());

    if chain.hops.is_empty() {
        checks.push(Check::new(
            "msg.received-chain",
            Status::NotApplicable,
            "no Received headers: the paste holds no trace of the route",
        ));
        return;
    }
    let path: Vec<String> = chain
        .hops
        .iter()
        .map(|h| {
            h.hop
                .by
                .clone()
                .or_else(|| h.hop.from.clone())
                .unwrap_or_else(|| "?".into())
        })
        .collect();
    let total = chain
        .total_delay_seconds
        .map(|t| format!(", {t} s in total"))
        .unwrap_or_default();
    let undated = chain
        .hops
        .iter()
        .filter(|h| {
            h.diagnostics
                .iter()
                .any(|d| matches!(d.code, "received.no-date" | "received.bad-date"))
        })
        .count();
    let undated = if undated > 0 {
        format!(" ({undated} stamp(s) without a readable date)")
    } else {
        String::new()
    };
    checks.push(Check::new(
        "msg.received-chain",
        Status::Info,
        format!(
            "{} hop(s){total}: {}{undated}",
            chain.hops.len(),
            path.join(" → ")
        ),
    ));

    let timed = chain
        .hops
        .iter()
        .filter(|h| h.hop.unix_seconds.is_some())
        .count();
    if timed < 2 {
        checks.push(Check::new(
            "msg.hop-delay",
            Status::NotApplicable,
            "fewer than two hops carry a readable timestamp",
        ));
        checks.push(Check::new(
            "msg.received-order",
            Status::NotApplicable,
            "fewer than two hops carry a readable timestamp",
        ));
    } else {
        let mut slow = false;
        let mut skew = false;
        for (index, h) in chain.hops.iter().enumerate() {
            let by = h
                .hop
                .by
                .clone()
                .unwrap_or_else(|| format!("hop {}", index + 1));
            match h.hop.delay_seconds {
                Some(d) if d > SLOW_HOP_SECONDS => {
                    slow = true;
                    checks.push(
                        Check::new(
                            "msg.hop-delay",
                            Status::Warn,
                            format!("hop {} to {by} took {}", index + 1, describe_seconds(d)),
                        )
                        .with_subject(by.clone()),
                    );
                }
                Some(d) if d < 0 => {
                    skew = true;
                    checks.push(
                        Check::new(
                            "msg.received-order",
                            Status::Warn,
                            format!(
                                "hop {} at {by} is stamped {} before the previous hop: a clock is wrong",
                                index + 1,
                                describe_seconds(-d)
                            ),
                        )
                        .with_subject(by),
                    );
                }
                _ => {}
            }
        }
        if !slow {
            checks.push(Check::new(
                "msg.hop-delay",
                Status::Pass,
                format!(
                    "no hop took longer than 5 minutes (total {})",
                    describe_seconds(chain.total_delay_seconds.unwrap_or(0))
                ),
            ));
        }
        if !skew {
            checks.push(Check::new(
                "msg.received-order",
                Status::Pass,
                "timestamps grow from the oldest hop to the newest",
            ));
        }
    }

    match chain.sending_ip {
        Some(ip) => {
            let how = chain.sending_ip_source.unwrap_or("");
            checks.push(
                Check::new("msg.sending-ip", Status::Info, format!("{ip} ({how})"))
                    .with_subject(ip.to_string()),
            );
        }
        None => checks.push(Check::new(
            "msg.sending-ip",
            Status::NotTested,
            "no public client IP in the Received headers",
        )),
    }

    // TLS on the hops that crossed the Internet: from the sending hop on,
    // hops whose client is public.
    let external: Vec<_> = chain
        .hops
        .iter()
        .skip(chain.sending_hop.unwrap_or(0))
        .filter(|h| !h.hop.internal && h.hop.ip.is_some())
        .collect();
    let clear: Vec<String> = external
        .iter()
        .filter(|h| h.hop.tls == Some(false))
        .map(|h| {
            format!(
                "{} → {}",
                h.hop.from.as_deref().unwrap_or("?"),
                h.hop.by.as_deref().unwrap_or("?")
            )
        })
        .collect();
    let encrypted = external.iter().filter(|h| h.hop.tls == Some(true)).count();
    if !clear.is_empty() {
        checks.push(Check::new(
            "msg.transport-tls",
            Status::Warn,
            format!("sent without TLS: {}", clear.join(", ")),
        ));
    } else if encrypted > 0 {
        checks.push(Check::new(
            "msg.transport-tls",
            Status::Pass,
            format!("{encrypted} Internet hop(s), all with TLS"),
        ));
    } else {
        checks.push(Check::new(
            "msg.transport-tls",
            Status::NotTested,
            "the Received headers do not say whether TLS was used",
        ));
    }
}

fn describe_seconds(seconds: i64) -> String {
    match seconds {
        s if s < 120 => format!("{s} s"),
        s if s < 7200 => format!("{} min {} s", s / 60, s % 60),
        s => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

fn summarise_properties(r: &authres::MethodResult) -> Option<String> {
    let mut parts: Vec<String> = r
        .properties
        .iter()
        .map(|p| {
            if p.ptype.is_empty() {
                format!("{}={}", p.name, p.value)
            } else {
                format!("{}.{}={}", p.ptype, p.name, p.value)
            }
        })
        .collect();
    if let Some(reason) = &r.reason {
        parts.push(format!("reason={reason}"));
    }
    (!parts.is_empty()).then(|| parts.join(" "))
}

fn auth_status(result: &str) -> Status {
    match result {
        "pass" => Status::Pass,
        "fail" | "softfail" | "permerror" | "hardfail" | "policy" => Status::Fail,
        _ => Status::Warn,
    }
}

fn auth_checks(
    parsed: &ParsedInput<'_>,
    trusted: &[AuthResults],
    received_spf: Option<&ReceivedSpf>,
    section: &mut MessageSection,
    checks: &mut Vec<Check>,
) {
    for ar in trusted {
        for r in &ar.results {
            section.auth_results.push(AuthResultSummary {
                authserv_id: ar.authserv_id.clone(),
                method: r.method.clone(),
                result: r.result.clone(),
                details: summarise_properties(r),
            });
        }
    }
    let receiver = trusted
        .first()
        .map(|ar| {
            if ar.authserv_id.is_empty() {
                "the receiving server (no authserv-id)".to_string()
            } else {
                ar.authserv_id.clone()
            }
        })
        .unwrap_or_default();

    for (method, id) in [
        ("spf", "msg.auth.spf"),
        ("dkim", "msg.auth.dkim"),
        ("dmarc", "msg.auth.dmarc"),
    ] {
        let results: Vec<&authres::MethodResult> =
            trusted.iter().flat_map(|ar| ar.method(method)).collect();
        if trusted.is_empty() && method == "spf" {
            // No Authentication-Results, but the receiver may still have
            // recorded its SPF verdict in Received-SPF (RFC 7208 §9.1).
            if let Some(spf) = received_spf {
                let mut detail = format!("Received-SPF: {}", spf.result);
                for key in ["envelope-from", "client-ip", "helo"] {
                    if let Some(v) = spf.get(key) {
                        detail.push_str(&format!(" {key}={v}"));
                    }
                }
                checks.push(Check::new(id, auth_status(&spf.result), detail));
                continue;
            }
        }
        if trusted.is_empty() {
            checks.push(Check::new(
                id,
                Status::NotTested,
                "no Authentication-Results header: the receiving server's verdict is not in the paste",
            ));
            continue;
        }
        if results.is_empty() {
            checks.push(Check::new(
                id,
                Status::Warn,
                format!("{receiver} recorded no {method} result"),
            ));
            continue;
        }
        // One passing DKIM signature is enough (RFC 6376 §6.1).
        let best = results
            .iter()
            .find(|r| r.result == "pass")
            .copied()
            .unwrap_or(results[0]);
        let all: Vec<String> = results
            .iter()
            .map(|r| match summarise_properties(r) {
                Some(p) => format!("{}={} ({p})", method, r.result),
                None => format!("{}={}", method, r.result),
            })
            .collect();
        checks.push(Check::new(
            id,
            auth_status(&best.result),
            format!("{receiver}: {}", all.join("; ")),
        ));
    }

    // ARC: the chain's structure, and the receiver's arc= result.
    let arc = parse_arc_chain(parsed);
    let receiver_arc = trusted
        .iter()
        .flat_map(|ar| ar.method("arc"))
        .next()
        .map(|r| r.result.clone());
    match &arc.status {
        ArcChainStatus::None => {
            checks.push(Check::new(
                "msg.auth.arc",
                Status::NotApplicable,
                "no ARC headers: the message was not sealed by an intermediary",
            ));
        }
        status => {
            let (structure, problem) = match status {
                ArcChainStatus::Fail(why) => ("fail", Some(why.clone())),
                _ => ("pass", None),
            };
            let sealer = arc.last_sealer().unwrap_or("?");
            let mut detail = format!(
                "{} ARC set(s), last sealed by {sealer}; structure {structure}",
                arc.sets.len()
            );
            if let Some(why) = &problem {
                detail.push_str(&format!(" ({why})"));
            }
            if let Some(r) = &receiver_arc {
                detail.push_str(&format!("; receiver recorded arc={r}"));
            }
            let status = match (&problem, receiver_arc.as_deref()) {
                (Some(_), _) => Status::Warn,
                (None, Some("pass")) => Status::Pass,
                (None, Some(_)) => Status::Warn,
                (None, None) => Status::Info,
            };
            checks.push(Check::new("msg.auth.arc", status, detail));
            section.arc = Some(ArcSummary {
                sets: arc.sets.len() as u32,
                structure: structure.to_string(),
                problem,
                last_sealer: arc.last_sealer().map(str::to_string),
                receiver_result: receiver_arc,
            });
        }
    }
}

fn dkim_checks(
    parsed: &ParsedInput<'_>,
    trusted: &[AuthResults],
    chain: &Chain,
    report_time: Option<i64>,
    section: &mut MessageSection,
    checks: &mut Vec<Check>,
) {
    let signatures = dkim_signatures(parsed);
    if signatures.is_empty() {
        checks.push(Check::new(
            "msg.dkim-signature",
            Status::NotApplicable,
            "no DKIM-Signature header",
        ));
        return;
    }
    let delivery_time = chain.hops.last().and_then(|h| h.hop.unix_seconds);
    let counts = HeaderCounts::of(parsed);
    // The receiver's DKIM results by (d=, s=) and by d= alone, built once so
    // that many signatures and many results stay linear.
    let mut by_selector: HashMap<(String, String), String> = HashMap::new();
    let mut by_domain: HashMap<String, String> = HashMap::new();
    for r in trusted.iter().flat_map(|ar| ar.method("dkim")) {
        let Some(d) = r
            .property("header", "d")
            .or_else(|| r.property("header", "i"))
            .and_then(domain_of)
        else {
            continue;
        };
        match r.property("header", "s") {
            Some(s) => {
                by_selector
                    .entry((d, s.to_ascii_lowercase()))
                    .or_insert_with(|| r.result.clone());
            }
            None => {
                by_domain.entry(d).or_insert_with(|| r.result.clone());
            }
        }
    }
    for sig in &signatures {
        let domain = sig.domain.clone().unwrap_or_default();
        let selector = sig.selector.clone().unwrap_or_default();
        let result = by_selector
            .get(&(domain.clone(), selector.to_ascii_lowercase()))
            .or_else(|| by_domain.get(&domain))
            .cloned();
        section.dkim_signatures.push(DkimSignatureSummary {
            domain: domain.clone(),
            selector: selector.clone(),
            algorithm: sig.algorithm.clone().unwrap_or_default(),
            signed_headers: sig
                .signed_headers
                .iter()
                .map(|h| h.to_ascii_lowercase())
                .collect(),
            canonicalization: sig.canonicalization.clone(),
            body_length: sig.body_length,
            timestamp: sig.timestamp,
            expiration: sig.expiration,
            result,
            verified: None,
            failure: None,
            verify_detail: None,
            body_change: None,
            changed_text: None,
        });
        let findings = lint_dkim_signature_with_counts(sig, &counts, report_time, delivery_time);
        let subject = format!("d={domain} s={selector}");
        let worst = findings
            .iter()
            .map(|f| f.status)
            .filter(|s| matches!(s, Status::Fail | Status::Warn))
            .min();
        let detail = if findings.is_empty() {
            format!(
                "{subject} a={}: tags are sound",
                sig.algorithm.as_deref().unwrap_or("?")
            )
        } else {
            let texts: Vec<String> = findings
                .iter()
                .map(|f| format!("{} ({})", f.message, f.rfc))
                .collect();
            format!(
                "{subject} a={}: {}",
                sig.algorithm.as_deref().unwrap_or("?"),
                texts.join("; ")
            )
        };
        checks.push(
            Check::new("msg.dkim-signature", worst.unwrap_or(Status::Pass), detail)
                .with_subject(subject),
        );
    }
}

fn aligned_summary(identity: &IdentityAlignment) -> AlignedIdentity {
    AlignedIdentity {
        domain: identity.domain.clone(),
        org_domain: identity.org_domain.clone(),
        relaxed: identity.relaxed,
        strict: identity.strict,
    }
}

fn alignment_check(
    parsed: &ParsedInput<'_>,
    trusted: &[AuthResults],
    received_spf: Option<&ReceivedSpf>,
    section: &mut MessageSection,
    checks: &mut Vec<Check>,
) {
    let Some(from) = section.from.as_ref() else {
        checks.push(Check::new(
            "msg.dmarc-alignment",
            Status::NotTested,
            "no single From domain to align with",
        ));
        return;
    };
    let return_path = parsed.first("return-path").map(|h| h.value.clone());
    // Only Received-SPF: an aligned SPF pass is enough for DMARC.
    if trusted.is_empty() {
        if let Some(spf) = received_spf.filter(|s| s.result == "pass") {
            let domain = spf
                .get("envelope-from")
                .and_then(domain_of)
                .or_else(|| return_path.as_deref().and_then(domain_of));
            if let Some(domain) = domain {
                let a = compute_alignment(&from.domain, &[], Some(&domain));
                if a.relaxed_pass() {
                    checks.push(Check::new(
                        "msg.dmarc-alignment",
                        Status::Pass,
                        format!(
                            "From {}: SPF (Received-SPF pass) for {domain} {}; DKIM results unknown (no Authentication-Results)",
                            a.from_domain,
                            a.spf.as_ref().map_or("", aligned_word)
                        ),
                    ));
                    section.alignment = Some(AlignmentSummary {
                        from_domain: a.from_domain.clone(),
                        from_org_domain: a.from_org_domain.clone(),
                        dkim: Vec::new(),
                        spf: a.spf.as_ref().map(aligned_summary),
                        relaxed: a.relaxed_pass(),
                        strict: a.strict_pass(),
                    });
                    return;
                }
            }
        }
    }
    if trusted.is_empty() {
        // We cannot tell what passed; show which identities would align.
        let dkim: Vec<String> = dkim_signatures(parsed)
            .into_iter()
            .filter_map(|s| s.domain)
            .collect();
        let rp = return_path.as_deref().and_then(domain_of);
        let a = compute_alignment(&from.domain, &dkim, rp.as_deref());
        let mut parts: Vec<String> = a
            .dkim
            .iter()
            .map(|d| format!("DKIM d={} {}", d.domain, aligned_word(d)))
            .collect();
        if let Some(s) = &a.spf {
            parts.push(format!("Return-Path {} {}", s.domain, aligned_word(s)));
        }
        let found = if parts.is_empty() {
            "no DKIM-Signature or Return-Path to compare".to_string()
        } else {
            parts.join("; ")
        };
        checks.push(Check::new(
            "msg.dmarc-alignment",
            Status::NotTested,
            format!(
                "no Authentication-Results, so we cannot know which identities passed. From {}: {found}",
                from.domain
            ),
        ));
        return;
    }
    let ids = passed_identities(trusted, return_path.as_deref());
    let a = compute_alignment(&from.domain, &ids.dkim, ids.spf_pass_domain());
    let mut parts: Vec<String> = a
        .dkim
        .iter()
        .map(|d| format!("DKIM d={} {}", d.domain, aligned_word(d)))
        .collect();
    match (&a.spf, ids.spf_result.as_deref()) {
        (Some(s), _) => parts.push(format!("SPF {} {}", s.domain, aligned_word(s))),
        (None, Some(r)) => parts.push(format!("SPF {r} (cannot align)")),
        (None, None) => parts.push("no SPF result".to_string()),
    }
    if a.dkim.is_empty() {
        parts.insert(0, "no passing DKIM signature".to_string());
    }
    let status = if a.relaxed_pass() {
        Status::Pass
    } else {
        Status::Fail
    };
    let mode = if a.strict_pass() {
        "aligned in strict and relaxed mode"
    } else if a.relaxed_pass() {
        "aligned in relaxed mode only (fails adkim=s/aspf=s)"
    } else {
        "not aligned"
    };
    let mut check = Check::new(
        "msg.dmarc-alignment",
        status,
        format!(
            "From {} (organizational domain {}): {mode}. {}",
            a.from_domain,
            a.from_org_domain,
            parts.join("; ")
        ),
    );
    if status == Status::Fail {
        check = check.with_fix(format!(
            "Sign with DKIM d={} (or a subdomain of {}), or send with a MAIL FROM under {}.",
            a.from_domain, a.from_org_domain, a.from_org_domain
        ));
    }
    checks.push(check);
    section.alignment = Some(AlignmentSummary {
        from_domain: a.from_domain.clone(),
        from_org_domain: a.from_org_domain.clone(),
        dkim: a.dkim.iter().map(aligned_summary).collect(),
        spf: a.spf.as_ref().map(aligned_summary),
        relaxed: a.relaxed_pass(),
        strict: a.strict_pass(),
    });
}

fn aligned_word(identity: &IdentityAlignment) -> &'static str {
    if identity.strict {
        "aligned (strict)"
    } else if identity.relaxed {
        "aligned (relaxed)"
    } else {
        "not aligned"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_hops_and_finds_from() {
        let raw = b"Received: from a by b; Tue, 1 Jul 2025 10:00:00 +0000\r\nReceived: from c by d; Tue, 1 Jul 2025 09:59:00 +0000\r\nFrom: Alice <alice@Example.com>\r\nSubject: hi\r\n\r\nbody";
        let report = analyze_message(raw, "2025-07-01T10:00:00Z").unwrap();
        let m = report.message.unwrap();
        assert_eq!(m.hops.len(), 2);
        assert_eq!(m.hops[0].by.as_deref(), Some("d"));
        assert_eq!(m.hops[1].delay_seconds, Some(60));
        assert_eq!(m.total_delay_seconds, Some(60));
        assert_eq!(m.from.unwrap().domain, "example.com");
    }

    #[test]
    fn refuses_empty_and_oversized_input() {
        assert_eq!(analyze_message(b" \n ", "t"), Err(InputError::Empty));
        let big = vec![b'a'; MAX_INPUT_BYTES + 1];
        assert!(matches!(
            analyze_message(&big, "t"),
            Err(InputError::TooLarge { .. })
        ));
    }

    #[test]
    fn only_the_topmost_admd_is_trusted() {
        let raw = b"Authentication-Results: mx.receiver.example; spf=fail smtp.mailfrom=example.com\nAuthentication-Results: mx.receiver.example; dkim=pass header.d=example.com\nAuthentication-Results: forged.example; dmarc=pass header.from=example.com\nFrom: a@example.com\n\n";
        let report = analyze_message(raw, "2026-01-01T00:00:00Z").unwrap();
        let dmarc = report.checks_with_id("msg.auth.dmarc").next().unwrap();
        assert_eq!(dmarc.status, Status::Warn, "{dmarc:?}");
        let align = report.checks_with_id("msg.dmarc-alignment").next().unwrap();
        assert_eq!(align.status, Status::Pass);
        assert_eq!(report.message.unwrap().auth_results.len(), 2);
    }

    #[test]
    fn received_spf_alone_gives_spf_and_alignment() {
        let raw = b"Received-SPF: pass (mx.example.net: domain of a@mail.example.com designates 192.0.2.1 as permitted sender) client-ip=192.0.2.1; envelope-from=a@mail.example.com; helo=mail.example.com;\nFrom: a@example.com\n\n";
        let report = analyze_message(raw, "2026-01-01T00:00:00Z").unwrap();
        let spf = report.checks_with_id("msg.auth.spf").next().unwrap();
        assert_eq!(spf.status, Status::Pass);
        let align = report.checks_with_id("msg.dmarc-alignment").next().unwrap();
        assert_eq!(align.status, Status::Pass, "{align:?}");
        assert_eq!(
            dkim_selectors(b"DKIM-Signature: v=1; d=example.com; s=s1\n\n"),
            [("example.com".to_string(), "s1".to_string())]
        );
    }

    #[test]
    fn checks_come_in_catalogue_order() {
        let raw = b"Received: from a (a [203.0.113.9]) by b with ESMTP; Tue, 1 Jul 2025 10:00:00 +0000\nFrom: a@example.com\n\n";
        let report = analyze_message(raw, "2026-01-01T00:00:00Z").unwrap();
        let positions: Vec<usize> = report
            .checks
            .iter()
            .map(|c| catalog_position(&c.id))
            .collect();
        let mut sorted = positions.clone();
        sorted.sort();
        assert_eq!(positions, sorted);
        assert!(report
            .checks
            .iter()
            .all(|c| catalog::lookup(&c.id).is_some()));
    }
}
