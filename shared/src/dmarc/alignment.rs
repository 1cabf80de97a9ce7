//! DMARC identifier alignment, computed by us (RFC 7489 §3.1).
//!
//! The identities come from the message: the RFC5322.From domain, the `d=`
//! of DKIM signatures the receiving server said passed, and the SPF-checked
//! MAIL FROM domain (`smtp.mailfrom` in Authentication-Results, or
//! Return-Path). Organizational domains come from the Public Suffix List
//! through [`crate::org_domain`]. Nothing here looks at a domain's DNS
//! policy: the message's result is what the receiver recorded, and a policy
//! is never a result.

use crate::message::authres::AuthResults;
use crate::org_domain::{aligned_relaxed, aligned_strict, organizational_domain};

/// One authenticated identity compared with the From domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityAlignment {
    /// The identity's domain (DKIM `d=` or the MAIL FROM domain), lower case.
    pub domain: String,
    /// Its organizational domain.
    pub org_domain: String,
    /// Same organizational domain as From (relaxed mode, `adkim=r`/`aspf=r`).
    pub relaxed: bool,
    /// Identical to the From domain (strict mode, `adkim=s`/`aspf=s`).
    pub strict: bool,
}

/// The verdict for one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alignment {
    /// The RFC5322.From domain, lower case.
    pub from_domain: String,
    /// Its organizational domain.
    pub from_org_domain: String,
    /// DKIM signatures that passed, each compared.
    pub dkim: Vec<IdentityAlignment>,
    /// The SPF identity, when SPF passed.
    pub spf: Option<IdentityAlignment>,
}

impl Alignment {
    /// DMARC would pass in relaxed mode (the default): some passing identity
    /// shares the From organizational domain.
    pub fn relaxed_pass(&self) -> bool {
        self.dkim.iter().any(|d| d.relaxed) || self.spf.as_ref().is_some_and(|s| s.relaxed)
    }

    /// DMARC would pass in strict mode.
    pub fn strict_pass(&self) -> bool {
        self.dkim.iter().any(|d| d.strict) || self.spf.as_ref().is_some_and(|s| s.strict)
    }
}

fn identity(from_domain: &str, domain: &str) -> IdentityAlignment {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    IdentityAlignment {
        org_domain: organizational_domain(&domain),
        relaxed: aligned_relaxed(from_domain, &domain),
        strict: aligned_strict(from_domain, &domain),
        domain,
    }
}

/// Compares the From domain with passing DKIM domains and the passing SPF
/// domain.
pub fn compute_alignment(
    from_domain: &str,
    dkim_pass_domains: &[String],
    spf_pass_domain: Option<&str>,
) -> Alignment {
    let from_domain = from_domain.trim_end_matches('.').to_ascii_lowercase();
    Alignment {
        from_org_domain: organizational_domain(&from_domain),
        dkim: dkim_pass_domains
            .iter()
            .map(|d| identity(&from_domain, d))
            .collect(),
        spf: spf_pass_domain.map(|d| identity(&from_domain, d)),
        from_domain,
    }
}

/// The domain part of an address or a bare domain (`a@b.example` →
/// `b.example`, `<>` → `None`).
pub fn domain_of(value: &str) -> Option<String> {
    let v = value.trim().trim_matches(|c| c == '<' || c == '>').trim();
    let domain = v.rsplit('@').next().unwrap_or(v).trim_end_matches('.');
    (!domain.is_empty()).then(|| domain.to_ascii_lowercase())
}

/// What the trusted Authentication-Results say passed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PassedIdentities {
    /// `d=` of each DKIM result `pass` (`header.d`, else the `header.i`
    /// domain), deduplicated.
    pub dkim: Vec<String>,
    /// The SPF result, when SPF was reported.
    pub spf_result: Option<String>,
    /// The SPF-checked domain (`smtp.mailfrom`, else `Return-Path`, else
    /// `smtp.helo`).
    pub spf_domain: Option<String>,
}

impl PassedIdentities {
    /// The SPF domain, only when SPF passed.
    pub fn spf_pass_domain(&self) -> Option<&str> {
        match self.spf_result.as_deref() {
            Some("pass") => self.spf_domain.as_deref(),
            _ => None,
        }
    }
}

/// Reads the passing identities from trusted Authentication-Results.
pub fn passed_identities(trusted: &[AuthResults], return_path: Option<&str>) -> PassedIdentities {
    let mut out = PassedIdentities::default();
    for ar in trusted {
        for r in ar.method("dkim") {
            if r.result != "pass" {
                continue;
            }
            let domain = r
                .property("header", "d")
                .and_then(domain_of)
                .or_else(|| r.property("header", "i").and_then(domain_of));
            if let Some(d) = domain {
                if !out.dkim.contains(&d) {
                    out.dkim.push(d);
                }
            }
        }
        if out.spf_result.is_none() {
            if let Some(r) = ar.method("spf").next() {
                out.spf_result = Some(r.result.clone());
                out.spf_domain = r
                    .property("smtp", "mailfrom")
                    .and_then(domain_of)
                    .or_else(|| return_path.and_then(domain_of))
                    .or_else(|| r.property("smtp", "helo").and_then(domain_of));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::authres::parse_authentication_results;

    #[test]
    fn relaxed_and_strict() {
        let a = compute_alignment(
            "news.example.com",
            &["example.com".to_string(), "esp.example".to_string()],
            Some("bounces.esp.example"),
        );
        assert!(a.relaxed_pass());
        assert!(!a.strict_pass());
        assert!(a.dkim[0].relaxed && !a.dkim[0].strict);
        assert!(!a.spf.as_ref().unwrap().relaxed);

        let a = compute_alignment("example.co.uk", &["other.co.uk".to_string()], None);
        assert!(!a.relaxed_pass(), "co.uk is a public suffix");
    }

    #[test]
    fn identities_from_authres() {
        let ar = parse_authentication_results("mx.google.com; dkim=pass header.i=@example.com header.s=s1; dkim=fail header.d=bad.example; spf=pass smtp.mailfrom=bounce@mail.example.com");
        let ids = passed_identities(&[ar], None);
        assert_eq!(ids.dkim, ["example.com"]);
        assert_eq!(ids.spf_pass_domain(), Some("mail.example.com"));
        let ar = parse_authentication_results("mx; spf=softfail");
        let ids = passed_identities(&[ar], Some("<x@rp.example>"));
        assert_eq!(ids.spf_domain.as_deref(), Some("rp.example"));
        assert_eq!(ids.spf_pass_domain(), None);
    }
}
