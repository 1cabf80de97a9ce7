//! DKIM and ARC verification in the browser (issue #15), run by the engine
//! worker (`super`) after its analysis of the paste: the same
//! canonicalization, hashing and verdicts as the server and the CLI
//! (`shared::message::verified`), with the signature checks done by the
//! browser's WebCrypto (`SubtleCrypto.verify`), so no bignum code ships in
//! the bundle. The keys come from `GET /api/dkim-key`: only `d=` and `s=`
//! leave the browser, never the message. When the server cannot be reached
//! (a private link opened offline) each signature reads "not verified",
//! never a silent pass.

use std::future::Future;

use js_sys::{Object, Reflect, Uint8Array};
use mxlens_shared::dkim::crypto::{
    CryptoUnavailable, SignatureAlgorithm, SignatureVerifier, VerifyingKey,
};
use mxlens_shared::dkim::key::{parse_dkim_key, KeyLookupOutcome};
use mxlens_shared::dkim::verify::KeySet;
use mxlens_shared::message::verified::{
    apply_verification, keys_for_message, verify_message, MessageVerification,
};
use mxlens_shared::report::Report;
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::mark;

/// Signature checks by WebCrypto: RSASSA-PKCS1-v1_5 with SHA-256 over the
/// header data (RFC 6376 §3.3.1) and Ed25519 over its SHA-256 (RFC 8463 §3).
#[derive(Debug, Clone, Copy, Default)]
pub struct WebCryptoVerifier;

fn words(e: JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "WebCrypto refused the operation".to_string())
}

fn set(object: &Object, key: &str, value: &str) {
    let _ = Reflect::set(object, &key.into(), &value.into());
}

/// The worker's global scope (this code runs in the engine's Web Worker).
fn scope() -> web_sys::WorkerGlobalScope {
    js_sys::global().unchecked_into()
}

/// The worker's `SubtleCrypto`, when it has one (a secure context: a
/// worker started by a page served over HTTPS or from loopback).
fn subtle() -> Option<web_sys::SubtleCrypto> {
    scope().crypto().ok().map(|c| c.subtle())
}

async fn webcrypto_verify(
    algorithm: SignatureAlgorithm,
    key: &VerifyingKey,
    message: &[u8],
    signature: &[u8],
) -> Result<bool, CryptoUnavailable> {
    mark("mxlens:crypto-start");
    let unavailable = |e: JsValue| CryptoUnavailable(format!("WebCrypto: {}", words(e)));
    let subtle = subtle().ok_or_else(|| {
        CryptoUnavailable("this browser offers no WebCrypto (a secure context is needed)".into())
    })?;
    let params = Object::new();
    let (format, bytes) = match (algorithm, key) {
        (SignatureAlgorithm::RsaSha256, VerifyingKey::Rsa { spki, .. }) => {
            set(&params, "name", "RSASSA-PKCS1-v1_5");
            set(&params, "hash", "SHA-256");
            ("spki", spki.as_slice())
        }
        (SignatureAlgorithm::Ed25519Sha256, VerifyingKey::Ed25519(raw)) => {
            set(&params, "name", "Ed25519");
            ("raw", raw.as_slice())
        }
        _ => return Err(CryptoUnavailable("key and algorithm differ".into())),
    };
    let usages = js_sys::Array::of1(&"verify".into());
    let data: Object = Uint8Array::from(bytes).into();
    let imported = subtle
        .import_key_with_object(format, &data, &params, false, &usages)
        .map_err(unavailable)?;
    let key: web_sys::CryptoKey = JsFuture::from(imported)
        .await
        .map_err(unavailable)?
        .unchecked_into();
    let verified = subtle
        .verify_with_object_and_u8_array_and_u8_array(&params, &key, signature, message)
        .map_err(unavailable)?;
    let answer = JsFuture::from(verified).await.map_err(unavailable);
    mark("mxlens:crypto-end");
    Ok(answer?.as_bool().unwrap_or(false))
}

impl SignatureVerifier for WebCryptoVerifier {
    fn verify(
        &self,
        algorithm: SignatureAlgorithm,
        key: &VerifyingKey,
        message: &[u8],
        signature: &[u8],
    ) -> impl Future<Output = Result<bool, CryptoUnavailable>> {
        webcrypto_verify(algorithm, key, message, signature)
    }

    /// `SubtleCrypto.digest`; `sha2` when WebCrypto cannot answer.
    async fn sha256(&self, data: &[u8]) -> [u8; 32] {
        if let Some(Ok(digest)) = subtle().map(|s| s.digest_with_str_and_u8_array("SHA-256", data))
        {
            if let Ok(buffer) = JsFuture::from(digest).await {
                let mut out = [0u8; 32];
                let bytes = Uint8Array::new(&buffer);
                if bytes.length() == 32 {
                    bytes.copy_to(&mut out);
                    return out;
                }
            }
        }
        mxlens_shared::dkim::crypto::sha256(data)
    }
}

/// The key requests for a message's signatures (at most 16,
/// `shared::dkim::verify::MAX_KEYS`), each `GET /api/dkim-key` sent when
/// this is made: `fetch` starts at once, so the answers arrive while the
/// page analyses the message, not after (#15, bench/ui-dkim.mjs).
pub struct KeyRequests(Vec<(String, String, Option<js_sys::Promise>)>);

/// Sends the key requests of `input`'s signatures.
pub fn request_keys(input: &[u8]) -> KeyRequests {
    let scope = scope();
    KeyRequests(
        keys_for_message(input)
            .into_iter()
            .map(|(domain, selector)| {
                let url = format!(
                    "/api/dkim-key?domain={}&selector={}",
                    js_sys::encode_uri_component(&domain),
                    js_sys::encode_uri_component(&selector)
                );
                let sent = Some(scope.fetch_with_str(&url));
                (domain, selector, sent)
            })
            .collect(),
    )
}

/// The key of one request of [`request_keys`]. The record is parsed here,
/// by the same parser the server uses; a server that cannot be reached, or
/// that refuses, gives a lookup failure ("not verified"), never a missing
/// key.
async fn read_key(sent: Option<js_sys::Promise>) -> KeyLookupOutcome {
    let failure = |why: &str| KeyLookupOutcome::DnsFailure(why.into());
    let response = match sent {
        Some(sent) => JsFuture::from(sent).await.ok(),
        None => None,
    };
    let Some(response) = response.map(JsCast::unchecked_into::<web_sys::Response>) else {
        return failure("the mxlens server could not be reached to fetch the key");
    };
    if response.status() != 200 {
        return KeyLookupOutcome::DnsFailure(format!(
            "the mxlens server answered HTTP {} to the key lookup",
            response.status()
        ));
    }
    let text = match response.text() {
        Ok(text) => JsFuture::from(text).await.ok().and_then(|t| t.as_string()),
        Err(_) => None,
    };
    let Some(Ok(answer)) = text.map(|t| mxlens_shared::report::decode::parse(&t)) else {
        return failure("the mxlens server's key answer could not be read");
    };
    let text = |key: &str| answer.get(key).and_then(Value::as_str).map(str::to_string);
    match text("status").as_deref() {
        Some("found") => {
            let txt = text("txt").unwrap_or_default();
            KeyLookupOutcome::Found {
                parsed: Box::new(parse_dkim_key(&txt)),
                txt,
                record_count: answer
                    .get("record_count")
                    .and_then(Value::as_u64)
                    .unwrap_or(1) as u32,
            }
        }
        Some("not_found") => KeyLookupOutcome::NotFound,
        _ => KeyLookupOutcome::DnsFailure(
            text("error").unwrap_or_else(|| "the key lookup failed".to_string()),
        ),
    }
}

/// mxlens's own DKIM and ARC verdicts for `input`: the keys of `requests`
/// (made by [`request_keys`] from the same input), then every signature
/// checked by WebCrypto. `now` is unix seconds (for `x=`). `None` when,
/// with the keys in, `wanted()` says the verdicts are no longer wanted.
pub async fn verify_input(
    input: &str,
    requests: KeyRequests,
    now: i64,
    wanted: impl Fn() -> bool,
) -> Option<MessageVerification> {
    let mut keys = KeySet::default();
    for (domain, selector, sent) in requests.0 {
        let outcome = read_key(sent).await;
        keys.insert(&domain, &selector, outcome);
    }
    mark("mxlens:keys-fetched");
    if !wanted() {
        return None;
    }
    let verification = verify_message(input.as_bytes(), &keys, &WebCryptoVerifier, now).await;
    mark("mxlens:verified");
    Some(verification)
}

/// `report` (the analysis just sent to the page) with `verification` in
/// it: not a second analysis of the message, which costs hundreds of
/// milliseconds in WASM for a 1 MiB paste (bench/ui-dkim.mjs).
pub fn with_verification(mut report: Report, verification: &MessageVerification) -> Report {
    apply_verification(&mut report, verification);
    report
}

/// Unix seconds now.
pub fn unix_now() -> i64 {
    (js_sys::Date::now() / 1000.0) as i64
}
