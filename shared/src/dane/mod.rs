//! DANE for SMTP (RFC 7672): TLSA records (RFC 6698, RFC 7671), matched
//! against the certificate chain an MX presents.

pub mod tlsa;
