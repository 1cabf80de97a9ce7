//! `analyze_message`: a paste in, a `message` report out. The checks of
//! the route are in [`super::route`], those of authentication in
//! [`super::auth`].

use super::{datetime, hygiene, input, mime_limits, smime, spam, unsubscribe, verified};

use crate::report::{catalog, Check, FromAddress, MessageSection, Report, ReportKind, Status};

use super::authres::{parse_authentication_results, parse_received_spf, AuthResults, ReceivedSpf};
use super::chain::{build_chain, Chain};
use super::input::{parse_input, ParsedInput};
use crate::dkim::signature::{self as dkim_signature, DkimSignature};
use crate::dmarc::alignment::domain_of;
use crate::smtp::bounce;

use super::auth::{alignment_check, auth_checks, dkim_checks};
use super::route::chain_checks;
use super::{InputError, MAX_INPUT_BYTES};

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

/// True when what precedes the header block is a bounce's words, so that
/// block is the quoted original's, not the paste's own. Only the skipped
/// text is read here: a summary table (Gmail's "Show original"), an mbox
/// `From ` line or blank lines in front of a message are not a bounce, and
/// the message after them is analysed (and read for a bounce) as if pasted
/// alone. Reading the whole paste as a bounce's text to learn that was a
/// third of the analysis of a "Show original" paste (#17 G4).
fn bounce_words_before(parsed: &ParsedInput<'_>) -> bool {
    let skipped = &parsed.input[..(parsed.header_start as usize).min(parsed.input.len())];
    !skipped.iter().all(u8::is_ascii_whitespace)
        && bounce::read_text(&input::utf8_lossy(skipped)).is_some()
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
    let text = input::utf8_lossy(input);
    // A bare SMTP reply, or a bounce's text pasted without its headers
    // (whose first header block is then the quoted original's, after the
    // bounce's words): read the bounce from the whole text.
    if parsed.headers.is_empty()
        || bounce::looks_like_bare_reply(&text)
        || bounce_words_before(&parsed)
    {
        if let Some(found) = bounce::read_text(&text) {
            let checks = bounce::checks(&found);
            // Only the bounce: headers found after its words are the
            // quoted original's, which `bounce.original` describes.
            let section = MessageSection {
                has_body: parsed.has_body,
                bounce: Some(found),
                ..MessageSection::default()
            };
            let mut report = Report::new(ReportKind::Message, generated_at, checks);
            report.message = Some(section);
            return Ok(report);
        }
    }
    // Received is parsed by our own `received` module (the chain below);
    // keeping mail-parser's copy raw spares a second tokenisation of every
    // stamp, which was a fifth of the analysis time on long chains.
    // Past the MIME limits (#19 H3) mail-parser gets the header block only:
    // its boundary search is quadratic in the nesting depth.
    let mail = if parsed.mime_limit.is_some() {
        input::message_parser().parse_headers(parsed.header_bytes())
    } else {
        input::message_parser().parse(parsed.message_bytes())
    };
    // Subject and From from that parse (the header block's fields are the
    // same ones either way); a second parse of the header block only when
    // mail-parser gave no message.
    let decoded = match &mail {
        Some(m) => input::DecodedHeaders::of(m),
        None => parsed.decoded(),
    };
    let mut section = MessageSection {
        has_body: parsed.has_body,
        subject: decoded.subject.clone(),
        ..MessageSection::default()
    };
    let mut checks = Vec::new();

    // The From address of the section (alignment needs it). `msg.from`
    // itself is hygiene's (RFC 5322 §3.6.2); only when mail-parser cannot
    // read the paste does `from_fallback` stand in for it.
    let from_count = parsed.count("from");
    if let (1, [(name, address)]) = (from_count, decoded.from.as_slice()) {
        if address.contains('@') {
            section.from = Some(FromAddress {
                name: name.clone(),
                address: address.clone(),
                domain: domain_of(address).unwrap_or_default(),
            });
        }
    }

    let trusted = trusted_auth_results(&parsed);
    let receiver_id = trusted
        .first()
        .map(|ar| ar.authserv_id.clone())
        .filter(|id| !id.is_empty());
    let received_spf = parsed
        .first("received-spf")
        .map(|h| parse_received_spf(&h.value));
    let mut chain = build_chain(
        &parsed,
        receiver_id.as_deref(),
        received_spf
            .as_ref()
            .and_then(|s| s.get("client-ip"))
            .and_then(|ip| ip.parse().ok()),
    );
    chain_checks(&mut chain, &mut section, &mut checks);

    auth_checks(
        &parsed,
        &trusted,
        received_spf.as_ref(),
        &mut section,
        &mut checks,
    );
    // Every DKIM-Signature parsed once: its checks, alignment when no
    // receiver's results are trusted, and the `h=` lists below read it.
    let signatures = dkim_signature::dkim_signatures(&parsed);
    dkim_checks(
        &parsed,
        &signatures,
        &trusted,
        &chain,
        report_time,
        &mut section,
        &mut checks,
    );
    alignment_check(
        &parsed,
        &signatures,
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
    let dkim_h: Vec<Vec<String>> = signatures
        .iter()
        .map(DkimSignature::signed_headers_lower)
        .collect();
    checks.extend(mime_limits::check(&parsed));
    let mut inputs = match &mail {
        Some(m) => {
            let now_unix = report_time.unwrap_or(0);
            let hygiene = hygiene::analyse(m, now_unix);
            checks.extend(hygiene.checks);
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
            let mut inputs = crate::checklists::ChecklistInputs::from_message(m, &dkim_h);
            inputs.apply_hygiene(&hygiene.facts);
            inputs
        }
        None => {
            let from = from_fallback(&parsed, from_count, section.from.as_ref());
            let inputs = crate::checklists::ChecklistInputs {
                from_valid: Some(from.status == Status::Pass),
                ..Default::default()
            };
            checks.push(from);
            inputs
        }
    };
    inputs.apply_content_checks(&checks);
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

    checks.sort_by_cached_key(|c| catalog::order(&c.id));
    let mut report = Report::new(ReportKind::Message, generated_at, checks);
    report.message = Some(section);
    report.checklists = checklists;
    Ok(report)
}

/// `msg.from` when mail-parser could not read the paste, so hygiene did
/// not run: from the header count and the address the core parser read.
fn from_fallback(parsed: &ParsedInput, from_count: u32, from: Option<&FromAddress>) -> Check {
    match (from_count, from) {
        (1, Some(from)) => Check::new("msg.from", Status::Pass, format!("From: {}", from.address)),
        (0, _) if parsed.headers.is_empty() => Check::new(
            "msg.from",
            Status::NotTested,
            "no header block found: paste the raw headers (\"Show original\", \"View source\")",
        ),
        (0, _) => Check::new("msg.from", Status::Fail, "no From header"),
        (n, _) => Check::new(
            "msg.from",
            Status::Fail,
            format!("{n} From header(s) without exactly one valid address"),
        ),
    }
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
