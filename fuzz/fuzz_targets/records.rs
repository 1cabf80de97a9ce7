//! Fuzzes the DNS-record parsers that have no target of their own: DMARC,
//! DKIM key, MTA-STS record and policy, TLS-RPT, BIMI and TLSA. Each is
//! total: any bytes give a model plus diagnostics, never a panic, and the
//! first byte picks the parser so the corpus stays shared.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mxlens_shared::dane::tlsa;
use mxlens_shared::{bimi, dkim, dmarc, mta_sts, tls_rpt};

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    match which % 7 {
        0 => drop(dmarc::parse_dmarc(&text)),
        1 => drop(dkim::key::parse_dkim_key(&text)),
        2 => drop(mta_sts::parse::parse_sts_record(&text)),
        3 => drop(mta_sts::parse::parse_sts_policy(&text)),
        4 => drop(tls_rpt::parse_tls_rpt(&text)),
        5 => drop(bimi::parse_bimi(&text)),
        _ => drop(tlsa::parse_tlsa(&text)),
    }
});
