//! The answer of the browser's engine worker to "Explain an SMTP error"
//! (frontend/src/engine/main.rs): the bounce as the bounce reader reads it
//! (RFC 3464 reports and the providers' own formats) and every SMTP reply
//! found in the text (RFC 5321 §4.2 codes, RFC 3463 enhanced codes).

use serde_json::Value;

use super::{bounce, object, strings, u16_of, Obj, Result};
use crate::report::BounceReport;
use crate::smtp::codes::{ReplyClass, ReplyExplanation};

/// Decodes `{"bounce": <bounce or null>, "replies": [...]}`.
pub fn explained(value: &Value) -> Result<(Option<BounceReport>, Vec<ReplyExplanation>)> {
    let o = object(value, "explanation")?;
    Ok((o.nested("bounce", bounce)?, o.list("replies", reply)?))
}

fn class(v: &Value) -> Option<ReplyClass> {
    Some(match v.as_str()? {
        "success" => ReplyClass::Success,
        "intermediate" => ReplyClass::Intermediate,
        "transient_failure" => ReplyClass::TransientFailure,
        "permanent_failure" => ReplyClass::PermanentFailure,
        _ => return None,
    })
}

/// One [`ReplyExplanation`], with serde's rules (module docs of `decode`).
pub(super) fn reply(value: &Value) -> Result<ReplyExplanation> {
    let o: Obj<'_> = object(value, "reply")?;
    Ok(ReplyExplanation {
        reply: o.string("reply")?,
        basic_code: o.opt("basic_code", u16_of)?,
        enhanced_code: o.opt_string("enhanced_code")?,
        text: o.string("text")?,
        class: o.req("class", class)?,
        basic_meaning: o.or_default("basic_meaning", super::string)?,
        enhanced_meaning: o.or_default("enhanced_meaning", super::string)?,
        likely_cause: o.string("likely_cause")?,
        what_to_do: o.string("what_to_do")?,
        refs: o.list("refs", strings)?,
        provider: o.opt_string("provider")?,
        recipient: o.opt_string("recipient")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every class word round-trips as serde writes it.
    #[test]
    fn classes_read_as_serde_writes_them() {
        for c in [
            ReplyClass::Success,
            ReplyClass::Intermediate,
            ReplyClass::TransientFailure,
            ReplyClass::PermanentFailure,
        ] {
            assert_eq!(class(&serde_json::to_value(c).unwrap()), Some(c));
        }
        assert_eq!(class(&Value::from("permanent")), None);
    }

    #[test]
    fn a_reply_without_its_required_members_is_an_error_naming_one() {
        let e = explained(&serde_json::json!({"replies": [{"reply": "550"}]})).unwrap_err();
        assert!(e.starts_with("replies[0]: missing member"), "{e}");
        assert_eq!(explained(&serde_json::json!({})), Ok((None, vec![])));
        assert!(explained(&Value::from(3)).is_err());
    }
}
