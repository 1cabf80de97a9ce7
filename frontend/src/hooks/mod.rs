//! The page's state, as hooks: the message analysis and the domain audit.

pub mod use_audit;
pub mod use_message;
