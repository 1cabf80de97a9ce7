//! ARC, the Authenticated Received Chain (RFC 8617): the chain of ARC sets
//! in [`chain`], its validation in [`verify`].

pub mod chain;
pub mod verify;

pub use chain::{parse_arc_chain, ArcChain, ArcChainStatus, ArcSeal, ArcSet, MAX_ARC_SETS};
