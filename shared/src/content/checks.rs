//! The content findings as catalogue checks (`content.*`).

use crate::report::{Check, Status};

use super::attachments::AttachmentRisk;
use super::Findings;

/// Gmail clips a message whose HTML is larger than about 102 KB ("[Message
/// clipped] View entire message"): what follows, often the unsubscribe
/// link and the open-tracking pixel, is not shown.
pub const GMAIL_CLIP_BYTES: u32 = 102 * 1024;

/// Below this much visible text, an HTML body with images is image-only.
pub const IMAGE_ONLY_TEXT_CHARS: u32 = 100;

/// Below this much visible text per content image, the ratio is low.
pub const TEXT_PER_IMAGE_CHARS: u32 = 100;

/// Hidden text beyond this many characters is more than a preheader.
pub const HIDDEN_TEXT_CHARS: u32 = 300;

/// The plain-text and HTML alternatives share fewer words than this
/// (percent of the smaller one's words) when they say different things.
pub const MIN_ALTERNATIVE_OVERLAP: u32 = 30;

fn list(items: &[String], max: usize) -> String {
    let mut out = items
        .iter()
        .take(max)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > max {
        out.push_str(&format!(" and {} more", items.len() - max));
    }
    out
}

fn distinct<'a>(items: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in items {
        if !out.iter().any(|o| o == item) {
            out.push(item.to_string());
        }
    }
    out
}

/// Every content check of a message with a body.
pub fn content_checks(f: &Findings) -> Vec<Check> {
    let mut checks = vec![
        alternatives(f),
        image_ratio(f),
        image_alt(f),
        html_size(f),
        hidden_text(f),
        forms_scripts(f),
    ];
    checks.extend(link_checks(f));
    checks.push(attachments(f));
    checks.push(mime(f));
    if !f.section.limits.is_empty() {
        checks.push(Check::new(
            "content.limits",
            Status::Info,
            f.section.limits.join("; "),
        ));
    }
    checks
}

/// The one check of a header-only paste: the content could not be looked at.
pub fn no_body_check() -> Check {
    Check::new(
        "content.body",
        Status::NotTested,
        "only headers were given: paste the whole message (\"Show original\", \"Download message\") for the content and link checks",
    )
}

fn alternatives(f: &Findings) -> Check {
    let id = "content.alternatives";
    let s = &f.section;
    match (s.text_part, s.html_part) {
        (false, false) => Check::new(id, Status::NotApplicable, "no text or HTML body part"),
        (true, false) => Check::new(id, Status::Pass, "plain text only: every client shows it as sent"),
        (false, true) => Check::new(
            id,
            Status::Warn,
            "HTML only, without a text/plain alternative: filters score this (SpamAssassin MIME_HTML_ONLY, rspamd MIME_HTML_ONLY)",
        )
        .with_fix("Send multipart/alternative with a text/plain part carrying the same content as the HTML."),
        (true, true) => {
            let (text, html) = (&f.text_words, &f.html.words);
            let overlap = text.overlap_percent(html);
            let enough = text.total >= 10 && html.total >= 10;
            let one_empty = (text.total < 3) != (html.total < 3);
            if one_empty || (enough && overlap < MIN_ALTERNATIVE_OVERLAP) {
                Check::new(
                    id,
                    Status::Warn,
                    format!(
                        "text/plain and text/html say different things ({overlap}% of the words shared; {} text and {} HTML words): filters score alternatives that differ (SpamAssassin MPART_ALT_DIFF, rspamd R_PARTS_DIFFER)",
                        text.total, html.total
                    ),
                )
                .with_fix("Generate the text/plain alternative from the same content as the HTML, not a placeholder such as \"view this in a browser\".")
            } else {
                Check::new(id, Status::Pass, format!("text/plain and text/html alternatives, consistent ({overlap}% of the words shared)"))
            }
        }
    }
}

fn image_ratio(f: &Findings) -> Check {
    let id = "content.image-ratio";
    let s = &f.section;
    if !s.html_part {
        return Check::new(id, Status::NotApplicable, "no HTML body");
    }
    let text = s.visible_text_chars;
    if s.images == 0 {
        return Check::new(
            id,
            Status::Pass,
            format!("{text} characters of visible text, no content images"),
        );
    }
    if text < IMAGE_ONLY_TEXT_CHARS {
        return Check::new(
            id,
            Status::Fail,
            format!("image-only: {} image(s) and {text} characters of visible text; filters cannot read images and score this (SpamAssassin HTML_IMAGE_ONLY_*), and readers who block images see nothing", s.images),
        )
        .with_fix("Put the message in HTML text, with images as illustration; aim for at least a few hundred characters of text.");
    }
    if text / s.images < TEXT_PER_IMAGE_CHARS {
        return Check::new(
            id,
            Status::Warn,
            format!("{} image(s) for {text} characters of visible text: a low text-to-image ratio (SpamAssassin HTML_IMAGE_RATIO_*)", s.images),
        )
        .with_fix("Add text or drop images: keep well over 100 characters of text per image.");
    }
    Check::new(
        id,
        Status::Pass,
        format!("{} image(s), {text} characters of visible text", s.images),
    )
}

fn image_alt(f: &Findings) -> Check {
    let id = "content.image-alt";
    let s = &f.section;
    if s.images == 0 {
        return Check::new(id, Status::NotApplicable, "no content images");
    }
    if s.images_without_alt > 0 {
        return Check::new(
            id,
            Status::Warn,
            format!("{} of {} image(s) have no alt text: with images blocked, readers see nothing there", s.images_without_alt, s.images),
        )
        .with_fix("Give every content image an alt attribute that says what it shows (alt=\"\" for decoration).");
    }
    Check::new(
        id,
        Status::Pass,
        format!("all {} image(s) have alt text", s.images),
    )
}

fn html_size(f: &Findings) -> Check {
    let id = "content.html-size";
    let s = &f.section;
    if !s.html_part {
        return Check::new(id, Status::NotApplicable, "no HTML body");
    }
    let kb = s.html_bytes.div_ceil(1024);
    if s.html_bytes > GMAIL_CLIP_BYTES {
        return Check::new(
            id,
            Status::Warn,
            format!("the HTML is {kb} KB; Gmail clips messages over about 102 KB, hiding the rest (often the unsubscribe link and the tracking pixel)"),
        )
        .with_fix("Trim the HTML below 102 KB: inline less CSS, drop comments and unused markup, link long content instead.");
    }
    Check::new(
        id,
        Status::Pass,
        format!("the HTML is {kb} KB, under Gmail's ~102 KB clipping size"),
    )
}

fn hidden_text(f: &Findings) -> Check {
    let id = "content.hidden-text";
    if !f.section.html_part {
        return Check::new(id, Status::NotApplicable, "no HTML body");
    }
    let hidden_links = f
        .links
        .iter()
        .filter(|l| l.flags.iter().any(|x| x == "hidden"))
        .count();
    let chars = f.html.hidden_chars;
    if chars > HIDDEN_TEXT_CHARS || hidden_links > 0 {
        return Check::new(
            id,
            Status::Warn,
            format!("{chars} characters of hidden text and {hidden_links} hidden link(s) (display:none, zero font size, text coloured like its background): filters read hidden text as an attempt to fool them"),
        )
        .with_fix("Remove hidden content; a preheader of a sentence or two is fine.");
    }
    if chars > 0 {
        return Check::new(
            id,
            Status::Pass,
            format!("{chars} characters of hidden text: a preheader, which is fine"),
        );
    }
    Check::new(id, Status::Pass, "no hidden text")
}

fn forms_scripts(f: &Findings) -> Check {
    let id = "content.forms-scripts";
    if !f.section.html_part {
        return Check::new(id, Status::NotApplicable, "no HTML body");
    }
    let h = &f.html;
    if h.scripts > 0 || h.embeds > 0 {
        return Check::new(
            id,
            Status::Fail,
            format!("{} script(s) or event handler(s) and {} embedded object(s) (iframe, object, embed): mail clients strip them and filters treat them as an attack", h.scripts, h.embeds),
        )
        .with_fix("Remove JavaScript, event handlers and embedded frames; link to a web page instead.");
    }
    if h.forms > 0 {
        return Check::new(
            id,
            Status::Warn,
            format!("{} form(s): most clients disable forms in mail, and forms asking for data are a phishing sign", h.forms),
        )
        .with_fix("Link to a form on your website instead of embedding it.");
    }
    Check::new(id, Status::Pass, "no scripts, forms or embedded objects")
}

fn link_checks(f: &Findings) -> Vec<Check> {
    let web: Vec<_> = f.links.iter().filter(|l| !l.host.is_empty()).collect();
    let with = |flag: &str| -> Vec<&crate::report::LinkSummary> {
        web.iter()
            .copied()
            .filter(|l| l.flags.iter().any(|x| x == flag))
            .collect()
    };
    let none = |id: &str| Check::new(id, Status::NotApplicable, "no web links in the body");
    if web.is_empty() {
        return [
            "content.url-shortener",
            "content.ip-links",
            "content.link-text",
            "content.insecure-links",
            "content.link-alignment",
        ]
        .into_iter()
        .map(none)
        .collect();
    }
    let mut out = Vec::new();
    let short = with("shortener");
    out.push(if short.is_empty() {
        Check::new("content.url-shortener", Status::Pass, format!("none of {} link(s) goes through a URL shortener", web.len()))
    } else {
        Check::new(
            "content.url-shortener",
            Status::Warn,
            format!("{} link(s) through a public URL shortener ({}): shorteners hide the destination and are shared with spammers, so filters distrust them", short.len(), list(&distinct(short.iter().map(|l| l.href.as_str())), 3)),
        )
        .with_fix("Link to your own domain directly (a branded short domain of your own is fine).")
    });
    let ip = with("ip_literal");
    out.push(if ip.is_empty() {
        Check::new("content.ip-links", Status::Pass, "no link goes to a bare IP address")
    } else {
        Check::new(
            "content.ip-links",
            Status::Fail,
            format!("{} link(s) to a bare IP address ({}): legitimate senders link to names; filters score this (SpamAssassin NUMERIC_HTTP_ADDR, rspamd HTTP_TO_IP)", ip.len(), list(&distinct(ip.iter().map(|l| l.host.as_str())), 3)),
        )
        .with_fix("Link to a host name of your domain.")
    });
    let mismatch = with("text_mismatch");
    out.push(if mismatch.is_empty() {
        Check::new("content.link-text", Status::Pass, "no link text names another domain than its link goes to")
    } else {
        let pairs: Vec<String> = mismatch
            .iter()
            .map(|l| format!("\"{}\" → {}", l.shown_domain.as_deref().unwrap_or_default(), l.host))
            .collect();
        Check::new(
            "content.link-text",
            Status::Fail,
            format!("{} link(s) show one domain and go to another ({}): the classic phishing pattern, which filters and mailbox providers flag", mismatch.len(), list(&distinct(pairs.iter().map(String::as_str)), 3)),
        )
        .with_fix("Make the visible text match the link's domain, or use words (\"Read more\") instead of a URL as link text; with click tracking, use a tracking domain under your own domain.")
    });
    let insecure = with("insecure");
    out.push(if insecure.is_empty() {
        Check::new(
            "content.insecure-links",
            Status::Pass,
            format!("all {} web link(s) use https", web.len()),
        )
    } else {
        Check::new(
            "content.insecure-links",
            Status::Warn,
            format!(
                "{} of {} web link(s) use plain http ({})",
                insecure.len(),
                web.len(),
                list(&distinct(insecure.iter().map(|l| l.host.as_str())), 3)
            ),
        )
        .with_fix("Use https links (and an https click-tracking domain).")
    });
    out.push(alignment(f, &web));
    out
}

fn alignment(f: &Findings, web: &[&crate::report::LinkSummary]) -> Check {
    let id = "content.link-alignment";
    let Some(from) = f.from_domain.as_deref() else {
        return Check::new(
            id,
            Status::NotApplicable,
            "no From domain to compare the links with",
        );
    };
    let judged: Vec<_> = web.iter().filter(|l| l.aligned.is_some()).collect();
    if judged.is_empty() {
        return Check::new(id, Status::NotApplicable, "no link goes to a host name");
    }
    let unaligned = distinct(
        judged
            .iter()
            .filter(|l| l.aligned == Some(false))
            .map(|l| l.host.as_str()),
    );
    let aligned_count = judged.iter().filter(|l| l.aligned == Some(true)).count();
    let org = crate::org_domain::organizational_domain(from);
    if unaligned.is_empty() {
        Check::new(id, Status::Pass, format!("every link goes to {org}"))
    } else if aligned_count == 0 && tracking_host(&judged).is_some() {
        let host = tracking_host(&judged).unwrap_or_default();
        Check::new(
            id,
            Status::Warn,
            format!("no link goes to the From domain's {org}: all go to {} ({host} carries {TRACKING_LINKS} or more, as a click-tracking domain does); a tracking domain shared with other senders carries their reputation into yours", list(&unaligned, 4)),
        )
        .with_fix(format!("Use a click-tracking domain under {org} (e.g. a CNAME click.{org} to your ESP) so links build your own reputation."))
    } else {
        Check::new(
            id,
            Status::Info,
            format!(
                "{aligned_count} link(s) go to {org}; others go to {}",
                list(&unaligned, 4)
            ),
        )
    }
}

/// A message whose links all leave the sender's domain is only a concern
/// when one foreign host carries several of them: the mark of a
/// click-tracking or redirect domain, rather than a mention of a site.
pub const TRACKING_LINKS: usize = 3;

/// The unaligned host carrying the most links, when it carries at least
/// [`TRACKING_LINKS`].
fn tracking_host(links: &[&&crate::report::LinkSummary]) -> Option<String> {
    let hosts = distinct(
        links
            .iter()
            .filter(|l| l.aligned == Some(false))
            .map(|l| l.host.as_str()),
    );
    hosts
        .into_iter()
        .map(|h| {
            let n = links.iter().filter(|l| l.host == h).count();
            (n, h)
        })
        .filter(|(n, _)| *n >= TRACKING_LINKS)
        .max_by_key(|(n, _)| *n)
        .map(|(_, h)| h)
}

fn attachments(f: &Findings) -> Check {
    let id = "content.attachments";
    if f.attachments.is_empty() {
        return Check::new(id, Status::NotApplicable, "no attachments");
    }
    let worst = f
        .attachments
        .iter()
        .map(|a| a.risk)
        .min()
        .unwrap_or(AttachmentRisk::None);
    let named: Vec<String> = f
        .attachments
        .iter()
        .filter(|a| a.risk != AttachmentRisk::None)
        .map(|a| {
            format!(
                "{} ({})",
                if a.filename.is_empty() {
                    "unnamed"
                } else {
                    &a.filename
                },
                a.risk.as_str().replace('_', " ")
            )
        })
        .collect();
    if super::is_blocking(worst) {
        Check::new(
            id,
            Status::Fail,
            format!("{}: Gmail blocks executables and encrypted archives outright, and filters quarantine macro documents and double extensions", list(&named, 4)),
        )
        .with_fix("Do not attach executables, macro documents or password-protected archives: share a link to the file on your website instead.")
    } else if worst != AttachmentRisk::None {
        Check::new(
            id,
            Status::Warn,
            format!("{}: archives hide their content from scanners, and content that does not match its name looks like evasion", list(&named, 4)),
        )
        .with_fix("Attach the files themselves, named for what they are, or link to them.")
    } else {
        Check::new(
            id,
            Status::Pass,
            format!(
                "{} attachment(s), none of a risky type",
                f.attachments.len()
            ),
        )
    }
}

fn mime(f: &Findings) -> Check {
    let id = "content.mime";
    if f.mime.problems.is_empty() {
        Check::new(
            id,
            Status::Pass,
            format!("{} MIME part(s), well formed", f.mime.parts),
        )
    } else {
        Check::new(id, Status::Warn, f.mime.problems.join("; "))
            .with_fix("Build the message with a standard MIME library: every multipart needs a boundary that appears and closes, every text part a known charset.")
    }
}
