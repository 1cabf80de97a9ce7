//! The mechanisms' matches (RFC 7208 §5): `all`, `include`, `a`, `mx`,
//! `ptr`, `ip4`, `ip6` and `exists`, with the §4.6.4 limits they count.

use std::net::IpAddr;

use super::{is_queryable, Evaluator, Inner, LookupNode, SpfResult};
use crate::dns::{DnsLookup, DnsOutcome};
use crate::spf::model::{Directive, Mechanism};

/// True when `ip` is inside `network/prefix` (same family only).
pub fn ip_in_network(ip: IpAddr, network: IpAddr, prefix: u8) -> bool {
    match (ip, network) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let prefix = u32::from(prefix.min(32));
            let mask = if prefix == 0 {
                0
            } else {
                u32::MAX << (32 - prefix)
            };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let prefix = u32::from(prefix.min(128));
            let mask = if prefix == 0 {
                0
            } else {
                u128::MAX << (128 - prefix)
            };
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

/// A mechanism either matches, does not, or ends the evaluation with an
/// error result (temperror / permerror).
type MatchResult = Result<bool, Inner>;

impl<L: DnsLookup> Evaluator<'_, L> {
    pub(super) async fn eval_mechanism(
        &mut self,
        directive: &Directive,
        domain: &str,
        node: &mut LookupNode,
    ) -> MatchResult {
        let mechanism = &directive.mechanism;
        if mechanism.queries_dns() {
            self.count_term(node)?;
        }
        match mechanism {
            Mechanism::All => Ok(true),
            Mechanism::Ip4 { network, prefix } => Ok(ip_in_network(
                self.ip,
                IpAddr::V4(*network),
                prefix.unwrap_or(32),
            )),
            Mechanism::Ip6 { network, prefix } => Ok(ip_in_network(
                self.ip,
                IpAddr::V6(*network),
                prefix.unwrap_or(128),
            )),
            Mechanism::Include(spec) => {
                let target = self.target(Some(spec), domain).await;
                node.domain = Some(target.clone());
                let (inner, child) = self.eval_domain(target.clone()).await;
                node.result = Some(inner.result);
                node.children.push(child);
                // §5.2: the include table.
                match inner.result {
                    SpfResult::Pass => Ok(true),
                    SpfResult::Fail | SpfResult::SoftFail | SpfResult::Neutral => Ok(false),
                    SpfResult::TempError => Err(inner),
                    SpfResult::PermError => Err(inner),
                    SpfResult::None => Err(Inner::new(
                        SpfResult::PermError,
                        format!("include:{target} has no SPF record (RFC 7208 §5.2)"),
                    )),
                }
            }
            Mechanism::A { domain: spec, cidr } => {
                let target = self.target(spec.as_ref(), domain).await;
                node.domain = Some(target.clone());
                if !is_queryable(&target) {
                    node.notes.push("target is not a valid domain name".into());
                    return Ok(false);
                }
                self.match_addresses(&target, cidr.ip4, cidr.ip6, node, true)
                    .await
            }
            Mechanism::Mx { domain: spec, cidr } => {
                let target = self.target(spec.as_ref(), domain).await;
                node.domain = Some(target.clone());
                if !is_queryable(&target) {
                    node.notes.push("target is not a valid domain name".into());
                    return Ok(false);
                }
                let mx = self.lookup.mx(&target).await;
                let hosts = match &mx {
                    DnsOutcome::Records(r) if !r.is_empty() => r.clone(),
                    DnsOutcome::Records(_) | DnsOutcome::NoData | DnsOutcome::NxDomain => {
                        node.notes.push(format!("MX {target}: {}", mx.describe()));
                        self.count_void(node)?;
                        return Ok(false);
                    }
                    failure => return Err(Self::temperror(node, &format!("MX {target}"), failure)),
                };
                // §4.6.4: at most 10 MX names per mx mechanism, else permerror.
                if hosts.len() > 10 {
                    node.notes
                        .push(format!("{} MX records; the limit is 10", hosts.len()));
                    return Err(Inner::new(
                        SpfResult::PermError,
                        format!(
                            "mx:{target} has {} MX records; the limit is 10 (RFC 7208 §4.6.4)",
                            hosts.len()
                        ),
                    ));
                }
                for host in hosts {
                    let exchange = host.exchange.trim_end_matches('.');
                    if !is_queryable(exchange) {
                        continue; // null MX (RFC 7505) or a bad name
                    }
                    if self
                        .match_addresses(exchange, cidr.ip4, cidr.ip6, node, false)
                        .await?
                    {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Mechanism::Ptr(spec) => {
                let target = self.target(spec.as_ref(), domain).await;
                node.domain = Some(target.clone());
                // §5.5: PTR errors mean no match; at most 10 names are checked.
                let names = match self.lookup.ptr(self.ip).await {
                    DnsOutcome::Records(names) => names,
                    other => {
                        node.notes.push(format!("PTR: {}", other.describe()));
                        return Ok(false);
                    }
                };
                let target_lower = target.to_ascii_lowercase();
                for name in names.into_iter().take(10) {
                    let lower = name.trim_end_matches('.').to_ascii_lowercase();
                    if !self.name_has_ip(&lower).await {
                        continue;
                    }
                    if lower == target_lower || lower.ends_with(&format!(".{target_lower}")) {
                        node.notes.push(format!("validated name {lower}"));
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Mechanism::Exists(spec) => {
                let target = self.target(Some(spec), domain).await;
                node.domain = Some(target.clone());
                if !is_queryable(&target) {
                    node.notes.push("target is not a valid domain name".into());
                    return Ok(false);
                }
                let answer = self.lookup.exists(&target).await;
                match &answer {
                    DnsOutcome::Records(r) if !r.is_empty() => Ok(true),
                    DnsOutcome::Records(_) | DnsOutcome::NoData | DnsOutcome::NxDomain => {
                        node.notes
                            .push(format!("A {target}: {}", answer.describe()));
                        self.count_void(node)?;
                        Ok(false)
                    }
                    failure => Err(Self::temperror(node, &format!("A {target}"), failure)),
                }
            }
        }
    }

    /// The address part of `a` and `mx` (§5.3, §5.4): the lookup type
    /// follows the client's address family.
    async fn match_addresses(
        &mut self,
        name: &str,
        ip4_prefix: Option<u8>,
        ip6_prefix: Option<u8>,
        node: &mut LookupNode,
        counts_void: bool,
    ) -> MatchResult {
        match self.ip {
            IpAddr::V4(_) => {
                let answer = self.lookup.a(name).await;
                match &answer {
                    DnsOutcome::Records(r) if !r.is_empty() => Ok(r
                        .iter()
                        .any(|a| ip_in_network(self.ip, IpAddr::V4(*a), ip4_prefix.unwrap_or(32)))),
                    DnsOutcome::Records(_) | DnsOutcome::NoData | DnsOutcome::NxDomain => {
                        node.notes.push(format!("A {name}: {}", answer.describe()));
                        if counts_void {
                            self.count_void(node)?;
                        }
                        Ok(false)
                    }
                    failure => Err(Self::temperror(node, &format!("A {name}"), failure)),
                }
            }
            IpAddr::V6(_) => {
                let answer = self.lookup.aaaa(name).await;
                match &answer {
                    DnsOutcome::Records(r) if !r.is_empty() => Ok(r.iter().any(|a| {
                        ip_in_network(self.ip, IpAddr::V6(*a), ip6_prefix.unwrap_or(128))
                    })),
                    DnsOutcome::Records(_) | DnsOutcome::NoData | DnsOutcome::NxDomain => {
                        node.notes
                            .push(format!("AAAA {name}: {}", answer.describe()));
                        if counts_void {
                            self.count_void(node)?;
                        }
                        Ok(false)
                    }
                    failure => Err(Self::temperror(node, &format!("AAAA {name}"), failure)),
                }
            }
        }
    }
}
