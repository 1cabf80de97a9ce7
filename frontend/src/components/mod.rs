//! Reusable view components.

pub mod check_list;
pub mod domain;
pub mod domain_form;
pub mod export;
pub mod message;
pub mod report_view;
pub mod share;
pub mod test_address;
pub mod transport;
