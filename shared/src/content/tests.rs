//! Crafted messages, one or more per check, and the SpamAssassin corpus.

use mail_parser::MessageParser;

use super::analyze_content;
use crate::message::spam;
use crate::report::{Check, ContentSection, Status};

fn analyze(raw: &str) -> (ContentSection, Vec<Check>) {
    let msg = MessageParser::default()
        .parse(raw.as_bytes())
        .expect("parses");
    let from = msg
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address.as_deref())
        .and_then(|a| a.rsplit_once('@'))
        .map(|(_, d)| d.to_ascii_lowercase());
    analyze_content(&msg, from.as_deref(), &spam::decode(&msg))
}

fn status_of(checks: &[Check], id: &str) -> Option<Status> {
    checks.iter().find(|c| c.id == id).map(|c| c.status)
}

/// A multipart/alternative newsletter from shop.example with `html` as
/// its HTML part and `text` as its plain-text part.
fn newsletter(text: &str, html: &str) -> String {
    format!(
        "From: Shop <news@shop.example>\r\nTo: a@example.net\r\nSubject: Sale\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n--b1--\r\n"
    )
}

/// An HTML-only message from shop.example.
fn html_only(html: &str) -> String {
    format!("From: news@shop.example\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n")
}

const GOOD_TEXT: &str = "Spring sale at Shop. Every jacket is half price this week, and shipping is free on orders over fifty euros. Browse the jackets at https://shop.example/jackets and the boots at https://shop.example/boots. Unsubscribe: https://shop.example/unsubscribe";

fn good_html() -> String {
    format!(
        "<html><body><p style=\"display:none\">Half price jackets</p><h1>Spring sale at Shop</h1><p>{}</p><img src=\"https://img.shop.example/j.png\" alt=\"A jacket\" width=600><a href=\"https://shop.example/jackets\">jackets</a> <a href=\"https://shop.example/boots\">boots</a> <a href=\"https://shop.example/unsubscribe\">Unsubscribe</a><img src=\"https://t.shop.example/o.gif\" width=1 height=1></body></html>",
        GOOD_TEXT
    )
}

#[test]
fn a_clean_newsletter_passes_every_check() {
    let (section, checks) = analyze(&newsletter(GOOD_TEXT, &good_html()));
    for check in &checks {
        assert!(
            matches!(check.status, Status::Pass | Status::NotApplicable),
            "{} is {}: {}",
            check.id,
            check.status,
            check.detail
        );
    }
    assert!(section.text_part && section.html_part);
    assert_eq!(
        (
            section.images,
            section.tracking_pixels,
            section.images_without_alt
        ),
        (1, 1, 0)
    );
    assert_eq!(section.links_total, 6, "3 in the text part, 3 in the HTML");
    assert_eq!(section.links.len(), 3, "one row per distinct href");
    assert!(section
        .links
        .iter()
        .all(|l| l.aligned == Some(true) && l.count == 2));
    assert_eq!(
        section.link_domains,
        ["shop.example", "img.shop.example", "t.shop.example"]
    );
}

#[test]
fn crafted_findings_per_check() {
    let big = format!("<p>{}</p>", "lorem ipsum dolor sit amet ".repeat(4200));
    let hidden = format!("<p>Hello, a visible paragraph of text long enough to matter for the reader of this mail.</p><div style=\"font-size:0px\">{}<a href=\"https://shop.example/x\">x</a></div>", "cheap ".repeat(80));
    let table: Vec<(&str, String, &str, Status)> = vec![
        ("image-only body", html_only("<a href=\"https://shop.example/\"><img src=\"https://shop.example/sale.png\" width=600 height=900></a>"), "content.image-ratio", Status::Fail),
        ("image without alt", html_only("<img src=\"a.png\">"), "content.image-alt", Status::Warn),
        ("many images, little text", html_only(&format!("<p>{}</p>{}", "word ".repeat(40), "<img src=a.png alt=x>".repeat(5))), "content.image-ratio", Status::Warn),
        ("HTML only", html_only("<p>hello</p>"), "content.alternatives", Status::Warn),
        ("placeholder text part", newsletter("View this message in your browser: we could not show it here, sorry. Please open the web version of this newsletter instead of reading this part.", &good_html()), "content.alternatives", Status::Warn),
        ("over Gmail's clip", html_only(&big), "content.html-size", Status::Warn),
        ("hidden text and link", html_only(&hidden), "content.hidden-text", Status::Warn),
        ("white on white", html_only(&format!("<p>visible</p><span style=\"color:#fff;background-color:#fff\">{}</span>", "secret ".repeat(60))), "content.hidden-text", Status::Warn),
        ("script", html_only("<p>x</p><script>alert(1)</script>"), "content.forms-scripts", Status::Fail),
        ("event handler", html_only("<p onclick=\"steal()\">x</p>"), "content.forms-scripts", Status::Fail),
        ("iframe", html_only("<iframe src=\"https://x.example/\"></iframe>"), "content.forms-scripts", Status::Fail),
        ("form", html_only("<form action=\"https://x.example/\"><input name=pw></form>"), "content.forms-scripts", Status::Warn),
        ("shortener", html_only("<a href=\"https://bit.ly/abc\">sale</a>"), "content.url-shortener", Status::Warn),
        ("IP literal", html_only("<a href=\"http://192.0.2.7/login\">log in</a>"), "content.ip-links", Status::Fail),
        ("hex IP literal", html_only("<a href=\"http://0xC0000207/\">x</a>"), "content.ip-links", Status::Fail),
        ("text names another domain", html_only("<a href=\"https://evil.example/login\">https://www.bank.example/login</a>"), "content.link-text", Status::Fail),
        ("text names the same org domain", html_only("<a href=\"https://www.shop.example/x\">shop.example</a>"), "content.link-text", Status::Pass),
        ("plain http", html_only("<a href=\"http://shop.example/\">shop</a>"), "content.insecure-links", Status::Warn),
        ("foreign tracking domain", html_only(&"<a href=\"https://click.esp.example/r/1\">x</a>".repeat(3)), "content.link-alignment", Status::Warn),
        ("a mention of another site", html_only("<a href=\"https://news.example/\">news</a>"), "content.link-alignment", Status::Info),
        ("aligned links", html_only("<a href=\"https://www.shop.example/\">x</a>"), "content.link-alignment", Status::Pass),
        ("no links", html_only("<p>hi</p>"), "content.url-shortener", Status::NotApplicable),
    ];
    for (what, raw, id, expected) in table {
        let (_, checks) = analyze(&raw);
        let got = checks
            .iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("{what}: no {id}"));
        assert_eq!(got.status, expected, "{what}: {id}: {}", got.detail);
    }
}

fn with_attachment(name: &str, ctype: &str, base64: &str) -> String {
    format!("From: a@shop.example\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"m\"\r\n\r\n--m\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n--m\r\nContent-Type: {ctype}\r\nContent-Disposition: attachment; filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{base64}\r\n--m--\r\n")
}

#[test]
fn attachments_and_mime() {
    // "TVqQAAMAAAAEAAAA" is the start of a Windows executable (MZ).
    let table = [
        ("executable", with_attachment("setup.exe", "application/octet-stream", "TVqQAAMAAAAEAAAA"), "content.attachments", Status::Fail),
        ("double extension", with_attachment("invoice.pdf.exe", "application/pdf", "TVqQAAMAAAAEAAAA"), "content.attachments", Status::Fail),
        ("zip archive", with_attachment("files.zip", "application/zip", "UEsDBBQAAAAIAA=="), "content.attachments", Status::Warn),
        ("a PDF", with_attachment("report.pdf", "application/pdf", "JVBERi0xLjQK"), "content.attachments", Status::Pass),
        ("no boundary", "From: a@shop.example\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n\r\nhello\r\n".to_string(), "content.mime", Status::Warn),
        ("boundary never appears", "From: a@shop.example\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\nhello\r\n".to_string(), "content.mime", Status::Warn),
        ("unclosed multipart", "From: a@shop.example\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\nContent-Type: text/plain\r\n\r\nhello\r\n".to_string(), "content.mime", Status::Warn),
        ("unknown charset", "From: a@shop.example\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=x-klingon\r\n\r\nhello\r\n".to_string(), "content.mime", Status::Warn),
        ("8-bit without charset", "From: a@shop.example\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nh\u{e9}llo\r\n".to_string(), "content.mime", Status::Warn),
        ("multipart without MIME-Version", "From: a@shop.example\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\n\r\nhi\r\n--zz--\r\n".to_string(), "content.mime", Status::Warn),
        ("well formed", newsletter(GOOD_TEXT, &good_html()), "content.mime", Status::Pass),
    ];
    for (what, raw, id, expected) in table {
        let (_, checks) = analyze(&raw);
        let got = checks
            .iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("{what}: no {id}"));
        assert_eq!(got.status, expected, "{what}: {id}: {}", got.detail);
    }
}

#[test]
fn filter_rules_are_tied_to_findings() {
    let raw = format!(
        "X-Spam-Status: Yes, score=9.1 required=5.0 tests=URIBL_BLACK=1.7,HTML_IMAGE_ONLY_08=1.8,BAYES_99=3.5\r\n{}",
        html_only("<a href=\"https://listed.example/x\"><img src=\"https://listed.example/i.png\" width=600></a>")
    );
    let (_, checks) = analyze(&raw);
    let tied: Vec<&Check> = checks
        .iter()
        .filter(|c| c.id == "content.filter-rules")
        .collect();
    assert_eq!(
        tied.len(),
        2,
        "URIBL_BLACK and HTML_IMAGE_ONLY_08, not BAYES_99: {tied:?}"
    );
    assert!(
        tied[0]
            .detail
            .contains("URIBL_BLACK (1.7) fired because links go to listed.example"),
        "{}",
        tied[0].detail
    );
    assert!(
        tied[1].detail.contains("HTML_IMAGE_ONLY_08") && tied[1].detail.contains("image-only"),
        "{}",
        tied[1].detail
    );
    let ratio = checks
        .iter()
        .find(|c| c.id == "content.image-ratio")
        .unwrap();
    assert!(
        ratio
            .detail
            .contains("[SpamAssassin HTML_IMAGE_ONLY_08 fired]"),
        "{}",
        ratio.detail
    );
}

/// Hostile input: each cap is reached and reported, and nothing loops
/// (the speed is measured by `benches/content.rs`, not here).
#[test]
fn hostile_html_is_bounded() {
    use super::limits::{MAX_HTML_DEPTH, MAX_HTML_SCAN_BYTES, MAX_LINKS};
    // Enormous HTML: past the scan cap.
    let huge =
        html_only(&"<p>aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa</p>".repeat(MAX_HTML_SCAN_BYTES / 32));
    let (section, checks) = analyze(&huge);
    assert!(
        section.limits.iter().any(|l| l.contains("only its first")),
        "{:?}",
        section.limits
    );
    assert_eq!(status_of(&checks, "content.limits"), Some(Status::Info));
    // Deep nesting.
    let deep = html_only(&format!(
        "{}text{}",
        "<div>".repeat(MAX_HTML_DEPTH * 20),
        "</div>".repeat(MAX_HTML_DEPTH * 20)
    ));
    let (section, _) = analyze(&deep);
    assert!(
        section.limits.iter().any(|l| l.contains("nests deeper")),
        "{:?}",
        section.limits
    );
    // Many links: all counted, the table and the classification capped.
    let many = html_only(&"<a href=\"https://a.example/\">x</a>".repeat(MAX_LINKS * 3));
    let (section, _) = analyze(&many);
    assert_eq!(section.links_total as usize, MAX_LINKS * 3);
    assert_eq!(section.links.len(), 1);
    assert!(
        section.limits.iter().any(|l| l.contains("links")),
        "{:?}",
        section.limits
    );
    // Many distinct link domains: the reputation list is capped.
    let domains: String = (0..200)
        .map(|i| format!("<a href=\"https://d{i}.example/\">x</a>"))
        .collect();
    let (section, _) = analyze(&html_only(&domains));
    assert_eq!(section.link_domains.len(), super::limits::MAX_LINK_DOMAINS);
    // Unterminated constructs swallow the rest without looping.
    for html in [
        "<a href=\"",
        "<!-- never closed",
        "<script>while(1){}",
        "<",
        "<a",
        "&#x",
        "<img src=x alt",
        "</",
    ] {
        let (_, checks) = analyze(&html_only(&format!("{html}{}", "x".repeat(100_000))));
        assert!(!checks.is_empty(), "{html}");
    }
}

#[test]
fn scan_html_never_panics() {
    use proptest::prelude::*;
    proptest!(ProptestConfig::with_cases(300), |(html in "(<[a-z/!]{0,3}|[ =\"'>&;#x0-9a-z]|style=\"display:none\"|href=){0,200}")| {
        let _ = super::html::scan_html(&html);
    });
    proptest!(ProptestConfig::with_cases(200), |(bytes in proptest::collection::vec(any::<u8>(), 0..2000))| {
        let text = String::from_utf8_lossy(&bytes);
        let _ = super::html::scan_html(&text);
        let _ = super::links::urls_in_text(&text);
        let _ = super::links::parse_url(&text);
        let _ = super::links::domain_in_text(&text);
        let _ = super::attachments::classify(&text, &bytes);
    });
}

/// The 70 SpamAssassin test messages (shared/conformance/spamassassin):
/// every one gives a report (bsmtpnull, one byte, is refused as empty
/// input), and those that carry a content problem raise the finding.
#[test]
fn spamassassin_corpus() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/conformance/spamassassin/spam");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).expect("the corpus is laid beside the project") {
        let path = entry.unwrap().path();
        let raw = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        match crate::message::analyze_message(&raw, "2026-12-05T00:00:00Z") {
            Ok(report) => assert!(
                report.checks.iter().any(|c| c.id.starts_with("content.")),
                "{name}: no content check"
            ),
            Err(e) => assert_eq!(name, "bsmtpnull", "{name}: {e}"),
        }
        count += 1;
    }
    assert_eq!(count, 70, "the corpus holds 70 messages");
    let table: &[(&str, &str, Status)] = &[
        // Real spam linking to http://209.61.190.180/...
        ("001", "content.ip-links", Status::Fail),
        // HTML-only spam, seven images, six without alt.
        ("006", "content.alternatives", Status::Warn),
        ("006", "content.image-alt", Status::Warn),
        // Links to hex and mixed-radix IP literals (http://0x425c45de/).
        ("009", "content.ip-links", Status::Fail),
        // Content-Type "text plain": no slash.
        ("badctype1", "content.mime", Status::Warn),
        // multipart/alternative whose HTML part is 26 images and no text,
        // and whose text part says something else.
        ("badmime.txt", "content.image-ratio", Status::Fail),
        ("badmime.txt", "content.alternatives", Status::Warn),
        // A base64 part that does not decode.
        ("badmime3.txt", "content.mime", Status::Warn),
        // bit.ly, tinyurl.com and page.link shortener chains.
        (
            "decodeshorturl_base.eml",
            "content.url-shortener",
            Status::Warn,
        ),
        (
            "decodeshorturl_base2.eml",
            "content.url-shortener",
            Status::Warn,
        ),
        (
            "decodeshorturl_chain.eml",
            "content.url-shortener",
            Status::Warn,
        ),
        (
            "decodeshorturl_anchor.eml",
            "content.url-shortener",
            Status::Warn,
        ),
        (
            "decodeshorturl_params.eml",
            "content.url-shortener",
            Status::Warn,
        ),
        (
            "decodeshorturl_doubleslash.eml",
            "content.url-shortener",
            Status::Warn,
        ),
        // "I should not be listed: http://144.137.3.98/blah"
        ("dnsbl_domsonly.eml", "content.ip-links", Status::Fail),
        ("relayUS.eml", "content.ip-links", Status::Fail),
        // Excel workbooks with VBA macros, one renamed to .jpg.
        ("olevbmacro_macro.eml", "content.attachments", Status::Fail),
        (
            "olevbmacro_malicemacro.eml",
            "content.attachments",
            Status::Fail,
        ),
        (
            "olevbmacro_renamedmacro.eml",
            "content.attachments",
            Status::Fail,
        ),
        ("hashbl", "content.attachments", Status::Fail),
        // A password-protected ZIP and an encrypted Word document.
        (
            "olevbmacro_zippwmacro.eml",
            "content.attachments",
            Status::Fail,
        ),
        (
            "olevbmacro_encrypted.eml",
            "content.attachments",
            Status::Fail,
        ),
        // A workbook without macros, a CSV and a real PNG are fine.
        (
            "olevbmacro_nomacro.eml",
            "content.attachments",
            Status::Pass,
        ),
        (
            "olevbmacro_goodcsv.eml",
            "content.attachments",
            Status::Pass,
        ),
        (
            "extracttext_gtube_png.eml",
            "content.attachments",
            Status::Pass,
        ),
        // HTML-only UTF-8 message; UTF-16 message whose images lack alt.
        ("unicode2", "content.alternatives", Status::Warn),
        ("utf16.eml", "content.image-alt", Status::Warn),
        // Plain http next to https links.
        (
            "redirectors_base.eml",
            "content.insecure-links",
            Status::Warn,
        ),
        // Plain-text messages without links.
        ("gtube.eml", "content.alternatives", Status::Pass),
        ("gtube.eml", "content.url-shortener", Status::NotApplicable),
        // Headers only (no body after the header block).
        ("017", "content.body", Status::NotTested),
    ];
    for (name, id, expected) in table {
        let raw = std::fs::read(dir.join(name)).unwrap();
        let report = crate::message::analyze_message(&raw, "2026-12-05T00:00:00Z").unwrap();
        let check = report
            .checks
            .iter()
            .find(|c| c.id == *id)
            .unwrap_or_else(|| panic!("{name}: no {id}"));
        assert_eq!(check.status, *expected, "{name}: {id}: {}", check.detail);
    }
}

#[test]
fn print_spamassassin_corpus() {
    if std::env::var_os("MXLENS_PRINT_CORPUS").is_none() {
        return;
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/conformance/spamassassin/spam");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    for path in paths {
        let raw = std::fs::read(&path).unwrap();
        let report = crate::message::analyze_message(&raw, "2026-12-05T00:00:00Z");
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        match report {
            Ok(r) => {
                let c: Vec<String> = r
                    .checks
                    .iter()
                    .filter(|c| {
                        c.id.starts_with("content.")
                            && !matches!(c.status, Status::Pass | Status::NotApplicable)
                    })
                    .map(|c| {
                        format!(
                            "{}={} [{}]",
                            c.id,
                            c.status,
                            c.detail.chars().take(140).collect::<String>()
                        )
                    })
                    .collect();
                println!("{name}: {}", c.join("\n    "));
            }
            Err(e) => println!("{name}: ERR {e}"),
        }
    }
}

/// RFC 2045 §6.7 note 1: a stray `=` survives, escapes and soft line
/// breaks are decoded, and hostile input (all `=`) stays linear.
#[test]
fn lenient_quoted_printable() {
    use super::mime::decode_qp_lenient;
    assert_eq!(decode_qp_lenient(b"a=3Db =\r\nc==== d=\n"), b"a=b c==== d");
    assert_eq!(decode_qp_lenient(b"x=4"), b"x=4");
    assert_eq!(decode_qp_lenient(b"=C2=A9 ="), "\u{a9} ".as_bytes());
    let hostile = vec![b'='; 1 << 20];
    // The last `=` ends the input: a soft line break.
    assert_eq!(decode_qp_lenient(&hostile).len(), (1 << 20) - 1);
}

/// A quoted-printable text part with a line of `=` (not valid QP, so
/// mail-parser keeps the raw bytes) still gives decoded links: the
/// opt-out link reads `u=3f…`, not `u=3D3f…`.
#[test]
fn links_of_a_part_that_does_not_decode_strictly() {
    let raw = "From: news@shop.example\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nSale =C2=A9\r\n=====\r\nUnsubscribe (https://shop.example/unsubscribe?u=3D3f4e&id=3D1a=\r\n2b)\r\n";
    let (section, _) = analyze(raw);
    let hrefs: Vec<&str> = section.links.iter().map(|l| l.href.as_str()).collect();
    assert_eq!(hrefs, ["https://shop.example/unsubscribe?u=3f4e&id=1a2b"]);
}

/// The byte count of an ASCII text is the character count it replaced.
#[test]
fn non_whitespace_chars_counts_as_chars_did() {
    for text in [
        "",
        " a\tb\nc\u{b}d\u{c}e\rf ",
        "\u{1c}\u{1f}\u{7f}x",
        "café\u{a0}\u{2003}crème\u{3000}",
    ] {
        let by_chars = text.chars().filter(|c| !c.is_whitespace()).count() as u32;
        assert_eq!(super::non_whitespace_chars(text), by_chars, "{text:?}");
    }
}
