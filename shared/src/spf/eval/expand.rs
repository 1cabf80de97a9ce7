//! Macro expansion for the evaluator (RFC 7208 §7): the values a macro
//! string reads, the validated name of `%{p}`, and the target names of
//! domain-specs (§4.8, §7.3).

use std::net::IpAddr;

use super::{is_queryable, Evaluator};
use crate::dns::{DnsLookup, DnsOutcome};
use crate::spf::macros::{self, MacroContext};
use crate::spf::model::{DomainSpec, MacroString};

/// Drops labels from the left until the name fits in 253 characters
/// (RFC 7208 §7.3).
fn truncate_domain(mut name: String) -> String {
    while name.len() > 253 {
        match name.find('.') {
            Some(dot) => {
                name.drain(..=dot);
            }
            None => break,
        }
    }
    name
}

impl<L: DnsLookup> Evaluator<'_, L> {
    /// The `p` macro value (RFC 7208 §7.3): a validated name of the client,
    /// preferring `domain` itself, then its subdomains.
    async fn validated_name(&self, domain: &str) -> Option<String> {
        let names = match self.lookup.ptr(self.ip).await {
            DnsOutcome::Records(names) => names,
            _ => return None,
        };
        let mut validated = Vec::new();
        for name in names.into_iter().take(10) {
            if self.name_has_ip(&name).await {
                validated.push(name);
            }
        }
        let lower = domain.to_ascii_lowercase();
        let pick = validated
            .iter()
            .find(|n| n.eq_ignore_ascii_case(&lower))
            .or_else(|| {
                validated
                    .iter()
                    .find(|n| n.to_ascii_lowercase().ends_with(&format!(".{lower}")))
            })
            .or(validated.first());
        pick.cloned()
    }

    /// True when `name` has an address record equal to the client IP.
    /// Errors count as "no" (RFC 7208 §5.5).
    pub(super) async fn name_has_ip(&self, name: &str) -> bool {
        if !is_queryable(name) {
            return false;
        }
        match self.ip {
            IpAddr::V4(v4) => self.lookup.a(name).await.records().contains(&v4),
            IpAddr::V6(v6) => self.lookup.aaaa(name).await.records().contains(&v6),
        }
    }

    pub(super) async fn expand(&self, s: &MacroString, domain: &str) -> String {
        let validated = if macros::needs_validated_name(s) {
            self.validated_name(domain).await
        } else {
            None
        };
        let ctx = MacroContext {
            sender: &self.sender,
            local_part: &self.local_part,
            sender_domain: &self.sender_domain,
            domain,
            ip: self.ip,
            helo: &self.helo,
            receiver: &self.opts.receiver,
            timestamp: self.opts.timestamp,
            validated_name: validated.as_deref(),
        };
        macros::expand(s, &ctx)
    }

    /// Expands a domain-spec into a target name (§4.8, §7.3).
    pub(super) async fn target(&self, spec: Option<&DomainSpec>, domain: &str) -> String {
        match spec {
            Some(spec) => {
                let expanded = self.expand(&spec.0, domain).await;
                let expanded = expanded.strip_suffix('.').unwrap_or(&expanded).to_string();
                truncate_domain(expanded)
            }
            None => domain.to_string(),
        }
    }
}
