//! Checks of the route a message took: its Received hops, in order.

use crate::report::{Check, MessageSection, Status};

use super::chain::Chain;

use super::SLOW_HOP_SECONDS;

/// The route's checks, and the section's hops: each hop's report view is
/// moved out of `chain` (left at its default there) rather than copied.
pub(super) fn chain_checks(
    chain: &mut Chain,
    section: &mut MessageSection,
    checks: &mut Vec<Check>,
) {
    route_checks(chain, checks);
    section.hops = chain
        .hops
        .iter_mut()
        .map(|h| std::mem::take(&mut h.hop))
        .collect();
    section.total_delay_seconds = chain.total_delay_seconds;
    section.sending_ip = chain.sending_ip.map(|ip| ip.to_string());
}

fn route_checks(chain: &Chain, checks: &mut Vec<Check>) {
    if chain.hops.is_empty() {
        checks.push(Check::new(
            "msg.received-chain",
            Status::NotApplicable,
            "no Received headers: the paste holds no trace of the route",
        ));
        return;
    }
    let path: Vec<&str> = chain
        .hops
        .iter()
        .map(|h| h.hop.by.as_deref().or(h.hop.from.as_deref()).unwrap_or("?"))
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
            // Named only for the hops that give a check.
            let by = || {
                h.hop
                    .by
                    .clone()
                    .unwrap_or_else(|| format!("hop {}", index + 1))
            };
            match h.hop.delay_seconds {
                Some(d) if d > SLOW_HOP_SECONDS => {
                    let by = by();
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
                    let by = by();
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
