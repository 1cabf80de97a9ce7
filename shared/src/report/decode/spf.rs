//! The reader for `domain.spf`, the SPF record and its lookup tree (RFC
//! 7208 §4.6.4; see the parent module for the rules: serde's, by hand, to
//! keep the bundle small).

use serde_json::Value;

use super::{object, strings, u32_of, Result};
use crate::report::{SpfFacts, SpfNodeFacts, SpfTermFacts};
use crate::spf::eval::{NodeKind, SpfResult};
use crate::spf::Qualifier;

/// `domain.spf` (report/spf.rs).
pub(super) fn spf(value: &Value) -> Result<SpfFacts> {
    let o = object(value, "spf")?;
    Ok(SpfFacts {
        lookup_count: o.req("lookup_count", u32_of)?,
        record: o.opt_string("record")?,
        terms: o.list("terms", |v| {
            let o = object(v, "term")?;
            Ok(SpfTermFacts {
                meaning: o.string("meaning")?,
                rfc: o.string("rfc")?,
                term: o.string("term")?,
            })
        })?,
        tree: o.nested("tree", node)?.ok_or("missing member `tree`")?,
        void_lookup_count: o.req("void_lookup_count", u32_of)?,
    })
}

/// One node of the tree, and its children (the depth is bounded by the
/// JSON parser's recursion limit).
fn node(value: &Value) -> Result<SpfNodeFacts> {
    let o = object(value, "node")?;
    Ok(SpfNodeFacts {
        children: o.list("children", node)?,
        dns_cost: o.req("dns_cost", u32_of)?,
        domain: o.opt_string("domain")?,
        kind: o.req("kind", kind)?,
        matched: o.opt("matched", Value::as_bool)?,
        notes: o.list("notes", strings)?,
        qualifier: o.opt("qualifier", qualifier)?,
        record: o.opt_string("record")?,
        result: o.opt("result", result)?,
        term: o.string("term")?,
        void_lookups: o.req("void_lookups", u32_of)?,
    })
}

/// The node kinds' words ([`NodeKind::as_str`]).
fn kind(v: &Value) -> Option<NodeKind> {
    let word = v.as_str()?;
    NodeKind::ALL.into_iter().find(|k| k.as_str() == word)
}

/// The qualifiers' serde words (RFC 7208 §4.6.2).
fn qualifier(v: &Value) -> Option<Qualifier> {
    Some(match v.as_str()? {
        "pass" => Qualifier::Pass,
        "fail" => Qualifier::Fail,
        "soft_fail" => Qualifier::SoftFail,
        "neutral" => Qualifier::Neutral,
        _ => return None,
    })
}

/// The check_host() results' words (RFC 7208 §2.6, [`SpfResult::as_str`]).
fn result(v: &Value) -> Option<SpfResult> {
    let word = v.as_str()?;
    SpfResult::ALL.into_iter().find(|r| r.as_str() == word)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every word reads as serde writes it.
    #[test]
    fn words_read_as_serde_writes_them() {
        for k in NodeKind::ALL {
            assert_eq!(kind(&serde_json::to_value(k).unwrap()), Some(k));
        }
        for q in [
            Qualifier::Pass,
            Qualifier::Fail,
            Qualifier::SoftFail,
            Qualifier::Neutral,
        ] {
            assert_eq!(qualifier(&serde_json::to_value(q).unwrap()), Some(q));
        }
        for r in SpfResult::ALL {
            assert_eq!(result(&serde_json::to_value(r).unwrap()), Some(r));
        }
        assert_eq!(kind(&Value::from("Record")), None);
        assert_eq!(qualifier(&Value::from("softfail")), None);
        assert_eq!(result(&Value::from("soft_fail")), None);
    }
}
