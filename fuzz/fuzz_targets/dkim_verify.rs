//! DKIM and ARC verification of any bytes as a message: every signature's
//! key is present (an Ed25519 and an RSA record, so both public-key paths
//! and the hashes run), no panic, no hang (huge `h=`, gigantic `l=`, base64
//! garbage, non-UTF-8 bodies).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mxlens_shared::dkim::crypto::RingVerifier;
use mxlens_shared::dkim::key::{parse_dkim_key, KeyLookupOutcome};
use mxlens_shared::dkim::verify::KeySet;
use mxlens_shared::dns::block_on_ready;
use mxlens_shared::message::verified::{keys_for_message, verify_message};

const ED25519: &str = "v=DKIM1; k=ed25519; p=Njurginq1+2JtMIRK4QJqNnzkSQz8HwPNcLSgWI3XHE=";
const RSA: &str = "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDA57WFxidBpNkH2LmcbHHcYxrCRco+syPJDb9QLX9b9aG4XsCjX4ZvoKj74JfSt6e6s/TyaHDQNCOJAbo0fAVN5GszaISTg9hEsb3Vsh8js1OXjtb5Xil+DUAFuV+u/ZzKI6LxHj9sOPr5HOaQhytHBhMU/Fnr5mQxrRAaqwLv4wIDAQAB";

fuzz_target!(|data: &[u8]| {
    let mut keys = KeySet::default();
    for (i, (domain, selector)) in keys_for_message(data).into_iter().enumerate() {
        let txt = if i % 2 == 0 { ED25519 } else { RSA };
        keys.insert(
            &domain,
            &selector,
            KeyLookupOutcome::Found {
                txt: txt.to_string(),
                parsed: Box::new(parse_dkim_key(txt)),
                record_count: 1,
            },
        );
    }
    let _ = block_on_ready(verify_message(data, &keys, &RingVerifier, 1_667_843_664));
});
