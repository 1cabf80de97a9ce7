//! The "top problems" of a report: the few checks a reader should fix
//! first. The UI shows them as cards under the header band; the CLI and
//! the Markdown export can show the same selection, so it is chosen here.

use super::{catalog, Check, Report, Status};

/// Rank of a status for the top problems: lower is worse. Only `fail` and
/// `warn` are problems of the mail setup; `error` and `not_tested` say we
/// could not look, and are shown in the check list instead.
fn severity_rank(status: Status) -> Option<u8> {
    match status {
        Status::Fail => Some(0),
        Status::Warn => Some(1),
        _ => None,
    }
}

impl Report {
    /// The `n` most serious problems: `fail` before `warn`, then the higher
    /// catalogue weight (what the check costs in the score), then report
    /// order. A check id repeated for several subjects counts once, by its
    /// worst instance, so three failing MX hosts do not fill every slot.
    ///
    /// A bounce is read for what it says about the failed delivery: its
    /// problems are the `bounce.*` checks. The mailer daemon's own message
    /// (its missing Message-ID, its authentication) is not what a person
    /// pasting a bounce asks about, and the reply code the bounce quotes
    /// (`smtp.reply-code`) repeats what `bounce.recipient` says, so those
    /// stay in the check list only.
    pub fn top_problems(&self, n: usize) -> Vec<&Check> {
        let bounce = self.message.as_ref().is_some_and(|m| m.bounce.is_some());
        // Repeated selection instead of a sort: n is tiny, and the browser
        // bundle then carries no sort code for this.
        let mut out: Vec<&Check> = Vec::new();
        while out.len() < n {
            let mut best: Option<(u8, u8, &Check)> = None;
            for check in &self.checks {
                let Some(rank) = severity_rank(check.status) else {
                    continue;
                };
                // By prefix, not by the catalogue's area: Area::Bounce also
                // holds `smtp.reply-code`, which this leaves out on purpose
                // (see above).
                if bounce && !check.id.starts_with("bounce.") {
                    continue;
                }
                if out.iter().any(|c| c.id == check.id) {
                    continue;
                }
                let weight = catalog::lookup(&check.id).map_or(5, |e| e.weight);
                // Strictly better only, so the first in report order wins ties.
                let better = match best {
                    None => true,
                    Some((r, w, _)) => rank < r || (rank == r && weight > w),
                };
                if better {
                    best = Some((rank, weight, check));
                }
            }
            match best {
                Some((_, _, check)) => out.push(check),
                None => break,
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::ReportKind;

    fn ids(report: &Report, n: usize) -> Vec<String> {
        report
            .top_problems(n)
            .iter()
            .map(|c| format!("{}:{}", c.id, c.status))
            .collect()
    }

    #[test]
    fn fail_before_warn_then_weight_then_order() {
        let weight = |id: &str| catalog::lookup(id).unwrap().weight;
        // Two catalogued ids with different weights, to test the tie-break.
        let (heavy, light) = {
            let mut all: Vec<_> = catalog::entries()
                .filter(|e| e.weight > 0 && e.id != "msg.spam-verdicts")
                .collect();
            all.sort_by_key(|e| std::cmp::Reverse(e.weight));
            (all[0].id, all[all.len() - 1].id)
        };
        assert!(weight(heavy) > weight(light));
        let report = Report::new(
            ReportKind::Message,
            "2025-07-01T00:00:00Z",
            vec![
                Check::new("msg.from", Status::Pass, "ok"),
                Check::new(light, Status::Fail, "light fail"),
                Check::new("msg.spam-verdicts", Status::Warn, "warn"),
                Check::new(heavy, Status::Fail, "heavy fail"),
                Check::new("dns.resolves", Status::Error, "SERVFAIL"),
                Check::new("mx.present", Status::NotTested, "timeout"),
            ],
        );
        let got = ids(&report, 3);
        let want = vec![
            format!("{heavy}:fail"),
            format!("{light}:fail"),
            "msg.spam-verdicts:warn".to_string(),
        ];
        assert_eq!(got, want, "report checks: {:?}", report.checks);
        assert_eq!(ids(&report, 1), vec![format!("{heavy}:fail")]);
        assert_eq!(
            ids(&report, 10).len(),
            3,
            "error and not_tested are not problems"
        );
    }

    #[test]
    fn a_repeated_id_counts_once_by_its_worst_instance() {
        let report = Report::new(
            ReportKind::Domain,
            "2025-07-01T00:00:00Z",
            vec![
                Check::new("mx.present", Status::Warn, "a").with_subject("mx1"),
                Check::new("mx.present", Status::Fail, "b").with_subject("mx2"),
                Check::new("mx.present", Status::Fail, "c").with_subject("mx3"),
            ],
        );
        let top = report.top_problems(3);
        assert_eq!(top.len(), 1);
        assert_eq!(top[0].subject.as_deref(), Some("mx2"));
    }

    #[test]
    fn a_bounce_is_read_for_its_failed_delivery() {
        let bounce = crate::message::analyze_message(
            include_bytes!("../../../tests/fixtures/messages/17-bounce-dsn-550-5.1.1.eml"),
            "2025-07-01T00:00:00Z",
        )
        .unwrap();
        assert!(bounce.message.as_ref().unwrap().bounce.is_some());
        // The daemon's own message has problems of its own...
        assert!(bounce
            .checks
            .iter()
            .any(|c| !c.id.starts_with("bounce.") && severity_rank(c.status).is_some()));
        // ...but the problems shown first are the failed delivery's.
        let top = ids(&bounce, 3);
        assert!(!top.is_empty());
        assert!(top.iter().all(|id| id.starts_with("bounce.")), "{top:?}");
        // A message that is not a bounce is unaffected.
        let plain = crate::message::analyze_message(
            include_bytes!("../../../tests/fixtures/messages/30-broken-hygiene.eml"),
            "2025-07-01T00:00:00Z",
        )
        .unwrap();
        assert!(ids(&plain, 3).iter().all(|id| !id.starts_with("bounce.")));
        assert!(!ids(&plain, 3).is_empty());
    }

    #[test]
    fn a_clean_report_has_no_problems() {
        let report = Report::new(
            ReportKind::Message,
            "2025-07-01T00:00:00Z",
            vec![Check::new("msg.from", Status::Pass, "ok")],
        );
        assert!(report.top_problems(3).is_empty());
    }
}
