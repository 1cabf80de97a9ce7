//! The SMTP reply explainer: basic reply codes (RFC 5321 §4.2) and enhanced
//! status codes (RFC 3463, the IANA registry of RFC 5248, and the codes
//! Gmail and Microsoft document), each with its likely cause and what to do.
//!
//! ```
//! use mxlens_shared::smtp::codes::explain;
//! let e = explain("550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown").unwrap();
//! assert_eq!(e.basic_code, Some(550));
//! assert_eq!(e.enhanced_code.as_deref(), Some("5.1.1"));
//! assert_eq!(e.recipient.as_deref(), Some("bob@example.com"));
//! ```
//!
//! Check id: `smtp.reply-code`.

use serde::{Deserialize, Serialize};

use crate::report::{Check, Status};

/// The class of a reply (RFC 5321 §4.2.1 first digit, RFC 3463 §3.1 class).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyClass {
    /// 2xx / 2.x.x: success.
    Success,
    /// 3xx: intermediate (send more).
    Intermediate,
    /// 4xx / 4.x.x: transient failure; the sender retries.
    TransientFailure,
    /// 5xx / 5.x.x: permanent failure; the message bounces.
    PermanentFailure,
}

/// One explained SMTP reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyExplanation {
    /// The reply as found, multi-line replies joined with spaces.
    pub reply: String,
    /// The basic three-digit code (RFC 5321 §4.2), when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basic_code: Option<u16>,
    /// The enhanced status code `class.subject.detail` (RFC 3463), when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enhanced_code: Option<String>,
    /// The server's text after the codes.
    pub text: String,
    /// Success, intermediate, transient or permanent.
    pub class: ReplyClass,
    /// What the basic code means.
    #[serde(default)]
    pub basic_meaning: String,
    /// What the enhanced code means.
    #[serde(default)]
    pub enhanced_meaning: String,
    /// The likely cause, in plain words.
    pub likely_cause: String,
    /// What to do about it.
    pub what_to_do: String,
    /// RFC and provider references.
    pub refs: Vec<String>,
    /// The provider whose documented code this is (`Gmail`, `Microsoft`, `Yahoo`), when recognised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// The first e-mail address in the text (usually the rejected recipient).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<String>,
}

struct BasicEntry {
    code: u16,
    meaning: &'static str,
    cause: &'static str,
    action: &'static str,
}

/// RFC 5321 §4.2.2/§4.2.3 reply codes, plus RFC 7504 (521, 556) and RFC 4954 (530, 535).
static BASIC: &[BasicEntry] = &[
    BasicEntry { code: 211, meaning: "System status or help reply", cause: "Informational reply.", action: "Nothing." },
    BasicEntry { code: 214, meaning: "Help message", cause: "Informational reply.", action: "Nothing." },
    BasicEntry { code: 220, meaning: "Service ready", cause: "The server greets the client.", action: "Nothing." },
    BasicEntry { code: 221, meaning: "Service closing transmission channel", cause: "Normal end of the session.", action: "Nothing." },
    BasicEntry { code: 235, meaning: "Authentication succeeded", cause: "SMTP AUTH succeeded (RFC 4954).", action: "Nothing." },
    BasicEntry { code: 250, meaning: "Requested mail action okay, completed", cause: "The server accepted the command or the message.", action: "Nothing: the receiving server took responsibility for the message." },
    BasicEntry { code: 251, meaning: "User not local; will forward", cause: "The server accepted the message and will forward it.", action: "Nothing." },
    BasicEntry { code: 252, meaning: "Cannot verify the user, but will accept the message and attempt delivery", cause: "The server does not confirm recipients (VRFY disabled or catch-all).", action: "Nothing; a later bounce is still possible." },
    BasicEntry { code: 354, meaning: "Start mail input", cause: "The server waits for the message data.", action: "Nothing." },
    BasicEntry { code: 421, meaning: "Service not available, closing transmission channel", cause: "The receiving server is overloaded, shutting down, or is rate-limiting your sending IP (too many connections or messages, or poor reputation).", action: "Nothing at once: your server retries automatically. If it persists, lower the sending rate and connections per IP, and check the IP's reputation." },
    BasicEntry { code: 450, meaning: "Requested mail action not taken: mailbox unavailable", cause: "The mailbox is temporarily unavailable (busy or locked), or the server defers you for policy reasons such as greylisting.", action: "Let your server retry; delivery normally succeeds within minutes to hours." },
    BasicEntry { code: 451, meaning: "Requested action aborted: local error in processing", cause: "A temporary problem at the receiver: greylisting, a failed DNS or database lookup, or a rate limit.", action: "Let your server retry (RFC 5321 §4.5.4.1 recommends waiting at least 30 minutes and trying for 4-5 days). Greylisted mail is accepted on a retry from the same IP." },
    BasicEntry { code: 452, meaning: "Requested action not taken: insufficient system storage", cause: "The receiving server or mailbox is out of space, or you sent too many recipients in one transaction (RFC 5321 §4.5.3.1.10).", action: "Retry later; send fewer recipients per message (RCPT TO) and per connection." },
    BasicEntry { code: 455, meaning: "Server unable to accommodate parameters", cause: "A MAIL or RCPT parameter (e.g. SIZE) cannot be handled right now.", action: "Retry later or drop the parameter." },
    BasicEntry { code: 500, meaning: "Syntax error, command unrecognized", cause: "The sending software spoke invalid SMTP, a line was too long, or a firewall mangled the session.", action: "Fix the sending software or disable the SMTP inspection on the firewall in between." },
    BasicEntry { code: 501, meaning: "Syntax error in parameters or arguments", cause: "A command argument is malformed, often an invalid address in MAIL FROM or RCPT TO, or a bad HELO name.", action: "Check the addresses and the HELO/EHLO name the sender uses." },
    BasicEntry { code: 502, meaning: "Command not implemented", cause: "The server does not support a command the client sent.", action: "Use only the extensions the server announced in its EHLO reply." },
    BasicEntry { code: 503, meaning: "Bad sequence of commands", cause: "Commands were sent in the wrong order, e.g. RCPT before MAIL, or relaying without authenticating first.", action: "Authenticate before sending through a submission server, and check the client's SMTP implementation." },
    BasicEntry { code: 504, meaning: "Command parameter not implemented", cause: "A parameter, such as an AUTH mechanism, is not supported.", action: "Choose a mechanism or parameter the server announced." },
    BasicEntry { code: 521, meaning: "Host does not accept mail", cause: "The server never accepts mail (RFC 7504), e.g. a web host answering on port 25.", action: "Check the recipient domain's MX records: mail is going to the wrong host." },
    BasicEntry { code: 530, meaning: "Authentication required", cause: "The server requires SMTP AUTH or STARTTLS before it accepts mail (RFC 4954, RFC 3207).", action: "Enable STARTTLS and authentication in the sending client." },
    BasicEntry { code: 535, meaning: "Authentication credentials invalid", cause: "Wrong user name or password, or an app password is needed (RFC 4954).", action: "Check the credentials; providers such as Gmail and Microsoft 365 may require OAuth or app passwords." },
    BasicEntry { code: 550, meaning: "Requested action not taken: mailbox unavailable", cause: "The mailbox does not exist or refuses mail, or the receiver rejected the message for policy reasons (authentication, reputation, content).", action: "Read the enhanced code and the text: remove unknown addresses from your list; for policy rejections fix authentication or reputation." },
    BasicEntry { code: 551, meaning: "User not local; please try <forward-path>", cause: "The recipient is not hosted here; the server names another address.", action: "Send to the forward-path the server gives." },
    BasicEntry { code: 552, meaning: "Requested mail action aborted: exceeded storage allocation", cause: "The recipient's mailbox is full, or the message is larger than the server accepts.", action: "Make the message smaller (link large files instead of attaching them) or ask the recipient to free space." },
    BasicEntry { code: 553, meaning: "Requested action not taken: mailbox name not allowed", cause: "The address is syntactically invalid, or the sender address is not allowed (e.g. relaying or sending as a domain you may not use).", action: "Check the recipient address for typos, and that you send from an address the server lets you use." },
    BasicEntry { code: 554, meaning: "Transaction failed (or, at connection time, no SMTP service here)", cause: "A generic permanent rejection, usually a policy decision: the sending IP is blocklisted, the content was judged spam, or authentication failed.", action: "Read the text for the blocklist or reason; check the sending IP on blocklists and fix SPF, DKIM and DMARC." },
    BasicEntry { code: 556, meaning: "Domain does not accept mail", cause: "The recipient domain publishes a null MX (RFC 7505) or otherwise does not accept mail (RFC 7504).", action: "The address cannot receive mail: remove it." },
];

struct EnhancedEntry {
    /// `c.s.d` exact (c = 4 or 5), or `x.s.d` for any class.
    code: &'static str,
    /// Provider whose documentation defines this use, if any.
    provider: Option<&'static str>,
    meaning: &'static str,
    cause: &'static str,
    action: &'static str,
    refs: &'static [&'static str],
}

macro_rules! enh {
    ($code:literal, $prov:expr, $meaning:literal, $cause:literal, $action:literal, [$($r:literal),*]) => {
        EnhancedEntry { code: $code, provider: $prov, meaning: $meaning, cause: $cause, action: $action, refs: &[$($r),*] }
    };
}

/// Enhanced status codes. Exact `c.s.d` entries (provider uses) come first
/// and win over the generic `x.s.d` entries of RFC 3463 and its updates.
static ENHANCED: &[EnhancedEntry] = &[
    // --- Gmail (Google Workspace Admin Help, "SMTP errors and codes"; sender guidelines) ---
    enh!("5.7.26", Some("Gmail"), "Unauthenticated mail: multiple authentication checks failed (DMARC)",
        "The message failed DMARC for the From domain (SPF and DKIM did not pass aligned), or Gmail's rule that every sender must authenticate with SPF or DKIM. Since 2024 Gmail rejects such mail from bulk senders.",
        "Publish SPF for the envelope domain and sign with DKIM using d= equal to (or a parent of) the From domain, then check the DMARC record. Forwarders should add ARC.",
        ["RFC 7372 §3.4", "RFC 7489", "Gmail SMTP error reference", "Gmail email sender guidelines"]),
    enh!("4.7.26", Some("Gmail"), "Temporarily deferred: unauthenticated mail",
        "Gmail deferred the message because it is not authenticated with SPF or DKIM (Gmail's temporary enforcement of the sender guidelines).",
        "Authenticate with SPF and DKIM aligned with the From domain; deferred mail is retried.",
        ["RFC 7372 §3.4", "Gmail email sender guidelines"]),
    enh!("5.7.25", Some("Gmail"), "Reverse DNS validation failed",
        "The sending IP has no PTR record, or the PTR name does not resolve back to the IP (Gmail requires forward-confirmed reverse DNS).",
        "Ask the owner of the IP (your hosting or ISP) to set a PTR record to a host name whose A/AAAA record points back to the IP.",
        ["RFC 7372 §3.3", "Gmail email sender guidelines"]),
    enh!("4.7.25", Some("Gmail"), "Reverse DNS validation failed (temporary)",
        "The sending IP's PTR record is missing or does not match, or the DNS lookup failed.",
        "Set a PTR record whose name resolves back to the IP.",
        ["RFC 7372 §3.3"]),
    enh!("5.7.27", None, "Sender address has null MX",
        "The envelope sender's domain publishes a null MX (RFC 7505), so it can receive no bounces; receivers refuse its mail.",
        "Send from a domain that can receive mail, or remove the null MX from the sending domain.",
        ["RFC 7505"]),
    enh!("5.7.23", None, "SPF validation failed",
        "The sending IP is not authorised by the SPF record of the envelope (MAIL FROM) domain, and the receiver rejects SPF fail.",
        "Add the sending server or provider to the SPF record (an include: or ip4:/ip6:), and mind the 10-lookup limit.",
        ["RFC 7372 §3.2", "RFC 7208 §8.4"]),
    enh!("5.7.24", None, "SPF validation error",
        "The SPF record could not be evaluated: a syntax error or too many DNS lookups (permerror), or a DNS failure.",
        "Fix the SPF record's syntax and keep it under 10 DNS-querying terms.",
        ["RFC 7372 §3.2", "RFC 7208 §4.6.4"]),
    enh!("4.7.28", Some("Gmail"), "Rate limited: unusual rate of unsolicited mail",
        "Gmail sees an unusual rate of mail from your IP or domain, or complaints, and slows you down.",
        "Slow down, warm up new IPs gradually, send only to engaged recipients, and watch Postmaster Tools.",
        ["Gmail SMTP error reference"]),
    enh!("5.7.28", Some("Gmail"), "Rejected: unusual rate of unsolicited mail",
        "Gmail blocked the mail because of an unusual rate of unsolicited mail from the IP or domain.",
        "Stop sending to unengaged recipients, follow the bulk-sender guidelines, and check Postmaster Tools.",
        ["Gmail SMTP error reference"]),
    enh!("5.7.29", None, "ARC validation failure",
        "The ARC chain added by an intermediary (mailing list or forwarder) failed to validate.",
        "The intermediary must fix its ARC sealing; the original sender should keep DKIM intact.",
        ["RFC 8617"]),
    enh!("5.7.30", None, "REQUIRETLS support required",
        "The message asked for REQUIRETLS and a hop on the path does not support it.",
        "Send without REQUIRETLS or through servers that support it.",
        ["RFC 8689"]),
    // --- Microsoft (Exchange Online / Outlook.com NDR references) ---
    enh!("5.7.509", Some("Microsoft"), "Access denied: the sending domain does not pass DMARC (policy reject)",
        "The From domain publishes DMARC p=reject and the message failed DMARC at Microsoft.",
        "Make SPF or DKIM pass aligned with the From domain; if you forward, keep the original DKIM signature intact.",
        ["Microsoft Learn: NDR 5.7.509", "RFC 7489"]),
    enh!("5.7.515", Some("Microsoft"), "Access denied: the sending domain does not meet the required authentication level",
        "Outlook.com requires high-volume senders (over 5,000 messages a day) to pass SPF, DKIM and DMARC (at least p=none, aligned with SPF or DKIM); this message did not.",
        "Publish SPF and DKIM for the sending domain and a DMARC record aligned with the From domain, then resend.",
        ["Microsoft: Outlook requirements for high-volume senders (2025)", "RFC 7489"]),
    enh!("5.7.606", Some("Microsoft"), "Access denied: banned sending IP",
        "The sending IP is on Microsoft's block list (codes 5.7.606 to 5.7.649), usually after spam was sent from it.",
        "Request delisting at https://sender.office.com, then find and stop the source of the spam.",
        ["Microsoft Learn: NDR 5.7.606-649"]),
    enh!("5.7.607", Some("Microsoft"), "Access denied: banned sending IP",
        "The sending IP is on Microsoft's block list (codes 5.7.606 to 5.7.649).",
        "Request delisting at https://sender.office.com.",
        ["Microsoft Learn: NDR 5.7.606-649"]),
    enh!("5.7.608", Some("Microsoft"), "Access denied: banned sending IP",
        "The sending IP is on Microsoft's block list (codes 5.7.606 to 5.7.649).",
        "Request delisting at https://sender.office.com.",
        ["Microsoft Learn: NDR 5.7.606-649"]),
    enh!("4.7.650", Some("Microsoft"), "Temporarily rate limited due to IP reputation",
        "Outlook.com throttles the sending IP because of its reputation (often a new or cold IP, or complaints).",
        "Let the server retry, slow down, warm up the IP, and enrol in Microsoft's SNDS and JMRP.",
        ["Outlook.com postmaster (postmaster.live.com)"]),
    enh!("5.7.708", Some("Microsoft"), "Access denied: traffic not accepted from this IP",
        "Microsoft refuses mail from this IP, typically a new tenant or an IP with poor reputation relaying through Exchange Online.",
        "Send from IPs with good reputation; contact Microsoft support if you are a new tenant.",
        ["Microsoft Learn: NDR 5.7.708"]),
    enh!("5.7.750", Some("Microsoft"), "Unregistered domain email is restricted",
        "Exchange Online refuses to relay mail from a domain not accepted in the tenant.",
        "Add and verify the sending domain in the Microsoft 365 tenant.",
        ["Microsoft Learn: NDR 5.7.750"]),
    enh!("5.7.64", Some("Microsoft"), "Relay access denied (tenant attribution)",
        "An inbound connector in Exchange Online did not match the sending server, so Microsoft refused to relay.",
        "Fix the inbound connector (certificate or IP) for the on-premises or partner server.",
        ["Microsoft Learn: NDR 5.7.64"]),
    enh!("5.1.10", None, "Recipient not found (Microsoft), or recipient address has null MX (RFC 7505)",
        "Microsoft uses 5.1.10 for a recipient that does not exist (RESOLVER.ADR.RecipientNotFound); RFC 7505 registers it for a recipient domain with a null MX.",
        "Check the address for typos and remove it from your list if it does not exist.",
        ["RFC 7505", "Microsoft Learn: NDR 5.1.10"]),
    enh!("5.4.1", None, "Recipient address rejected: access denied (or no answer from host)",
        "Microsoft 365 rejects recipients that do not exist in the tenant (directory-based edge blocking, 'Access denied. AS(201806281)'). Elsewhere it is RFC 3463's 'no answer from host'.",
        "Check the recipient address; the domain's admin must make sure the mailbox exists and the domain's MX points at the right service.",
        ["RFC 3463 §3.5", "Microsoft Learn: NDR 5.4.1"]),
    // --- Greylisting and generic policy ---
    enh!("4.7.1", None, "Delivery temporarily not authorised (most often greylisting)",
        "The receiver deferred the message by policy. 'Greylisted' means the server rejects the first attempt from an unknown sender/IP/recipient triplet and accepts a retry after a few minutes. Gmail also uses 4.7.1 for rate limits.",
        "Nothing for greylisting: make sure your server retries from the same IP (all normal MTAs do). If it keeps failing, slow down and check the IP's reputation.",
        ["RFC 3463 §3.8", "RFC 6647 (greylisting)"]),
    enh!("4.7.0", None, "Temporary security or policy failure",
        "A temporary policy deferral: rate limiting, reputation (Gmail 421 4.7.0 'unusual rate of unsolicited mail'), TLS negotiation failure, or a temporary server error (Microsoft).",
        "Let the server retry; slow down, and check TLS and the sending IP's reputation if it persists.",
        ["RFC 3463 §3.8", "Gmail SMTP error reference"]),
    enh!("5.7.1", None, "Delivery not authorised, message refused",
        "The receiver refused the message by policy: relaying denied, the sender or IP is blocked or blocklisted, the content was judged spam, or the recipient accepts mail only from certain senders.",
        "Read the text for the reason: check the IP on blocklists, fix SPF/DKIM/DMARC, do not relay through servers you may not use, or ask the recipient to allow you.",
        ["RFC 3463 §3.8"]),
    enh!("5.7.0", None, "Other or undefined security status",
        "A security or policy refusal without a specific reason; often 'must issue STARTTLS first', authentication required, or a spam/phishing block.",
        "Use STARTTLS and authentication where required; otherwise read the text for the reason.",
        ["RFC 3463 §3.8"]),
    // --- Generic RFC 3463 subjects and details (class x) ---
    enh!("x.0.0", None, "Other undefined status", "No specific reason was given.", "Read the text of the reply.", ["RFC 3463 §3.1"]),
    enh!("x.1.0", None, "Other address status", "Something about the address is wrong.", "Check the address.", ["RFC 3463 §3.2"]),
    enh!("x.1.1", None, "Bad destination mailbox address (user unknown)",
        "The mailbox does not exist at the recipient domain: a typo, a deleted account, or an old address on your list.",
        "Check the spelling; remove the address from your list. Repeated sends to unknown users hurt your reputation.",
        ["RFC 3463 §3.2"]),
    enh!("x.1.2", None, "Bad destination system address",
        "The recipient domain does not exist or cannot receive mail (no MX and no address).",
        "Check the domain part of the address for typos.",
        ["RFC 3463 §3.2"]),
    enh!("x.1.3", None, "Bad destination mailbox address syntax", "The recipient address is not a valid address.", "Correct the address.", ["RFC 3463 §3.2"]),
    enh!("x.1.4", None, "Destination mailbox address ambiguous", "The address matches several mailboxes.", "Use a more specific address.", ["RFC 3463 §3.2"]),
    enh!("x.1.5", None, "Destination address valid", "The recipient was accepted.", "Nothing.", ["RFC 3463 §3.2"]),
    enh!("x.1.6", None, "Destination mailbox has moved, no forwarding address", "The person has left or changed address.", "Remove the address; find the new one another way.", ["RFC 3463 §3.2"]),
    enh!("x.1.7", None, "Bad sender's mailbox address syntax", "The envelope sender (MAIL FROM) is malformed.", "Fix the sending software's envelope sender.", ["RFC 3463 §3.2"]),
    enh!("x.1.8", None, "Bad sender's system address", "The envelope sender's domain does not exist or has no MX/A record, so bounces could not be returned.", "Send from a domain that resolves and can receive mail.", ["RFC 3463 §3.2"]),
    enh!("x.2.0", None, "Other or undefined mailbox status", "A problem with the mailbox.", "Read the text; retry later if temporary.", ["RFC 3463 §3.3"]),
    enh!("x.2.1", None, "Mailbox disabled, not accepting messages", "The account is disabled or suspended (Gmail: 'The email account that you tried to reach is disabled').", "Remove the address from your list.", ["RFC 3463 §3.3"]),
    enh!("x.2.2", None, "Mailbox full", "The recipient is over quota.", "Retry later; a persistent 5.2.2 means the account is abandoned: remove it.", ["RFC 3463 §3.3"]),
    enh!("x.2.3", None, "Message length exceeds administrative limit", "The message is larger than the recipient accepts (Gmail's limit is 25 MB after encoding).", "Send a smaller message; link large files instead of attaching them.", ["RFC 3463 §3.3"]),
    enh!("x.2.4", None, "Mailing list expansion problem", "The recipient is a list that could not be expanded.", "Contact the list owner.", ["RFC 3463 §3.3"]),
    enh!("x.3.0", None, "Other or undefined mail system status", "A problem with the receiving mail system.", "Retry later; contact the recipient's postmaster if it persists.", ["RFC 3463 §3.4"]),
    enh!("x.3.1", None, "Mail system full", "The receiving system is out of storage.", "Retry later.", ["RFC 3463 §3.4"]),
    enh!("x.3.2", None, "System not accepting network messages", "The receiving system is shutting down or refuses mail for now.", "Retry later.", ["RFC 3463 §3.4"]),
    enh!("x.3.3", None, "System not capable of selected features", "A feature the message needs is not supported.", "Send without the feature.", ["RFC 3463 §3.4"]),
    enh!("x.3.4", None, "Message too big for system", "The message exceeds the system's size limit.", "Send a smaller message.", ["RFC 3463 §3.4"]),
    enh!("x.3.5", None, "System incorrectly configured", "The receiving system is misconfigured.", "Contact the recipient's postmaster.", ["RFC 3463 §3.4"]),
    enh!("x.4.0", None, "Other or undefined network or routing status", "A network or routing problem.", "Retry later; check DNS and connectivity.", ["RFC 3463 §3.5"]),
    enh!("x.4.1", None, "No answer from host", "The receiving server did not answer (connection timed out or refused).", "Let the server retry; check that the recipient's MX hosts are up and that outbound port 25 is not blocked by your provider.", ["RFC 3463 §3.5"]),
    enh!("x.4.2", None, "Bad connection", "The connection was dropped during the transaction, often a receiver throttling you or a network problem.", "Let the server retry; lower the concurrency towards that receiver.", ["RFC 3463 §3.5"]),
    enh!("x.4.3", None, "Directory server failure", "A DNS lookup failed (SERVFAIL or timeout) while routing the message.", "Retry; check the recipient domain's DNS and your resolver.", ["RFC 3463 §3.5"]),
    enh!("x.4.4", None, "Unable to route", "No route to the recipient: the domain has no MX or A record, or the MX host does not resolve.", "Check the recipient domain for typos and its MX records.", ["RFC 3463 §3.5"]),
    enh!("x.4.5", None, "Mail system congestion", "The receiver is congested.", "Retry later.", ["RFC 3463 §3.5"]),
    enh!("x.4.6", None, "Routing loop detected", "The message looped between servers (too many Received headers).", "Fix the forwarding or MX configuration that makes mail loop.", ["RFC 3463 §3.5"]),
    enh!("x.4.7", None, "Delivery time expired", "The sending server gave up after retrying for its maximum queue time.", "Find out why the earlier attempts failed (see the last error); check the recipient's servers.", ["RFC 3463 §3.5"]),
    enh!("x.5.0", None, "Other or undefined protocol status", "An SMTP protocol problem.", "Check the sending software.", ["RFC 3463 §3.6"]),
    enh!("x.5.1", None, "Invalid command", "The client sent a command the server does not accept here.", "Check the sending software.", ["RFC 3463 §3.6"]),
    enh!("x.5.2", None, "Syntax error", "A command was malformed.", "Check the sending software.", ["RFC 3463 §3.6"]),
    enh!("x.5.3", None, "Too many recipients", "The transaction had more recipients than the server allows.", "Send fewer recipients per message.", ["RFC 3463 §3.6"]),
    enh!("x.5.4", None, "Invalid command arguments", "A command argument is invalid.", "Check the addresses and parameters the client sends.", ["RFC 3463 §3.6"]),
    enh!("x.5.5", None, "Wrong protocol version", "The protocol version is not supported.", "Check the sending software.", ["RFC 3463 §3.6"]),
    enh!("x.5.6", None, "Authentication exchange line is too long", "The AUTH exchange exceeded the line limit.", "Use a shorter credential or another mechanism.", ["RFC 4954 §6"]),
    enh!("x.6.0", None, "Other or undefined media error", "Something in the message content was refused (attachment type, format).", "Read the text; remove the offending attachment.", ["RFC 3463 §3.7"]),
    enh!("x.6.1", None, "Media not supported", "The message uses a content type the receiver does not accept.", "Send another format.", ["RFC 3463 §3.7"]),
    enh!("x.6.2", None, "Conversion required and prohibited", "The message needs conversion (e.g. 8-bit to 7-bit) but conversion is prohibited.", "Send 7-bit safe content (quoted-printable or base64).", ["RFC 3463 §3.7"]),
    enh!("x.6.3", None, "Conversion required but not supported", "The message needs a conversion the server cannot do.", "Send 7-bit safe content.", ["RFC 3463 §3.7"]),
    enh!("x.6.4", None, "Conversion with loss performed", "The message was delivered after a lossy conversion.", "Nothing.", ["RFC 3463 §3.7"]),
    enh!("x.6.5", None, "Conversion failed", "A content conversion failed.", "Send 7-bit safe content.", ["RFC 3463 §3.7"]),
    enh!("x.6.7", None, "Non-ASCII addresses not permitted", "The receiver does not support SMTPUTF8 addresses.", "Use an ASCII address.", ["RFC 6531"]),
    enh!("x.7.2", None, "Mailing list expansion prohibited", "The sender may not post to this list.", "Ask the list owner for permission.", ["RFC 3463 §3.8"]),
    enh!("x.7.3", None, "Security conversion required but not possible", "A security conversion could not be done.", "Contact the recipient's postmaster.", ["RFC 3463 §3.8"]),
    enh!("x.7.4", None, "Security features not supported", "A required security feature is not supported.", "Contact the recipient's postmaster.", ["RFC 3463 §3.8"]),
    enh!("x.7.5", None, "Cryptographic failure", "A cryptographic operation failed.", "Check signatures and certificates.", ["RFC 3463 §3.8"]),
    enh!("x.7.6", None, "Cryptographic algorithm not supported", "An algorithm is not supported.", "Use a supported algorithm.", ["RFC 3463 §3.8"]),
    enh!("x.7.7", None, "Message integrity failure", "The message was altered or a signature is broken.", "Find what modifies the message in transit.", ["RFC 3463 §3.8"]),
    enh!("x.7.8", None, "Authentication credentials invalid", "SMTP AUTH failed: wrong user name or password.", "Fix the credentials (app password or OAuth where required).", ["RFC 4954 §6"]),
    enh!("x.7.9", None, "Authentication mechanism is too weak", "The AUTH mechanism is not accepted.", "Use a stronger mechanism over TLS.", ["RFC 4954 §6"]),
    enh!("x.7.10", None, "Encryption needed", "The server requires TLS before this command.", "Enable STARTTLS in the client.", ["RFC 5248"]),
    enh!("x.7.11", None, "Encryption required for requested authentication mechanism", "Plain-text AUTH needs TLS first.", "Enable STARTTLS before AUTH.", ["RFC 4954 §6"]),
    enh!("x.7.13", None, "User account disabled", "The sending account is disabled.", "Contact your provider.", ["RFC 5248"]),
    enh!("x.7.14", None, "Trust relationship required", "The server requires a trust relationship with the client.", "Contact the recipient's postmaster.", ["RFC 5248"]),
    enh!("x.7.17", None, "Mailbox owner has changed", "The mailbox now belongs to someone else (RRVS).", "Remove the address.", ["RFC 7293"]),
    enh!("x.7.18", None, "Domain owner has changed", "The domain changed owner since the address was collected (RRVS).", "Remove the address.", ["RFC 7293"]),
    enh!("x.7.20", None, "No passing DKIM signature found", "The receiver requires a valid DKIM signature.", "Sign with DKIM and keep the signature intact in transit.", ["RFC 7372 §3.1"]),
    enh!("x.7.21", None, "No acceptable DKIM signature found", "A DKIM signature verified but is not acceptable (e.g. wrong domain or weak algorithm).", "Sign with rsa-sha256 and a key of 2048 bits, with d= aligned to From.", ["RFC 7372 §3.1"]),
    enh!("x.7.22", None, "No valid author-matched DKIM signature found", "No valid DKIM signature matches the From domain.", "Sign with d= equal to the From domain (or its organizational domain).", ["RFC 7372 §3.1"]),
    enh!("x.7.23", None, "SPF validation failed", "The sending IP is not authorised by the envelope domain's SPF record.", "Add the sending server to SPF.", ["RFC 7372 §3.2"]),
    enh!("x.7.24", None, "SPF validation error", "The SPF record could not be evaluated.", "Fix the SPF record.", ["RFC 7372 §3.2"]),
    enh!("x.7.25", None, "Reverse DNS validation failed", "The sending IP's PTR is missing or does not match.", "Set forward-confirmed reverse DNS for the IP.", ["RFC 7372 §3.3"]),
    enh!("x.7.26", None, "Multiple authentication checks failed", "SPF, DKIM and DMARC checks failed together.", "Fix SPF and DKIM alignment with the From domain.", ["RFC 7372 §3.4"]),
    enh!("x.7.27", None, "Sender address has null MX", "The sender domain publishes a null MX.", "Send from a domain that can receive mail.", ["RFC 7505"]),
    enh!("x.7.1", None, "Delivery not authorised, message refused", "Refused by policy.", "Read the text for the reason.", ["RFC 3463 §3.8"]),
    enh!("x.7.0", None, "Other or undefined security status", "A security or policy problem.", "Read the text for the reason.", ["RFC 3463 §3.8"]),
];

fn subject_meaning(subject: u16) -> &'static str {
    match subject {
        0 => "other or undefined status",
        1 => "addressing status",
        2 => "mailbox status",
        3 => "mail system status",
        4 => "network and routing status",
        5 => "mail delivery protocol status",
        6 => "message content or media status",
        7 => "security or policy status",
        _ => "unknown subject",
    }
}

fn find_enhanced(code: &str) -> Option<&'static EnhancedEntry> {
    if let Some(e) = ENHANCED.iter().find(|e| e.code == code) {
        return Some(e);
    }
    // Microsoft's banned-IP range 5.7.606 to 5.7.649.
    if let Some(detail) = code
        .strip_prefix("5.7.")
        .and_then(|d| d.parse::<u16>().ok())
    {
        if (606..=649).contains(&detail) {
            return ENHANCED.iter().find(|e| e.code == "5.7.606");
        }
    }
    let generic = format!("x{}", &code[1..]);
    ENHANCED.iter().find(|e| e.code == generic)
}

fn detect_provider(text: &str) -> Option<&'static str> {
    let lower = text.to_ascii_lowercase();
    if lower.contains("gsmtp") || lower.contains("google.com") || lower.contains("gmail") {
        Some("Gmail")
    } else if lower.contains("outlook.com")
        || lower.contains("protection.outlook")
        || lower.contains("resolver.adr")
        || lower.contains("hotmail")
        || lower.contains("microsoft")
        || lower.contains("office365")
    {
        Some("Microsoft")
    } else if lower.contains("yahoo") || lower.contains("aol.com") {
        Some("Yahoo")
    } else {
        None
    }
}

/// The first address-looking token in `text` (`<bob@example.com>` or bare).
fn first_address(text: &str) -> Option<String> {
    for token in
        text.split(|c: char| c.is_whitespace() || c == ',' || c == ';' || c == '"' || c == '\'')
    {
        let t = token.trim_matches(|c: char| {
            c == '<'
                || c == '>'
                || c == ':'
                || c == '('
                || c == ')'
                || c == '['
                || c == ']'
                || c == '.'
        });
        if let Some((local, domain)) = t.split_once('@') {
            if !local.is_empty() && domain.contains('.') && !domain.contains('@') {
                return Some(t.to_string());
            }
        }
    }
    None
}

/// Parses `c.s.d` (RFC 3463 §2: class 2/4/5, subject and detail up to 3 digits).
fn parse_enhanced(token: &str) -> Option<(u16, u16, u16)> {
    let mut it = token.split('.');
    let class: u16 = it.next()?.parse().ok()?;
    let subject_s = it.next()?;
    let detail_s = it.next()?;
    if it.next().is_some()
        || !matches!(class, 2 | 4 | 5)
        || subject_s.is_empty()
        || detail_s.is_empty()
        || subject_s.len() > 3
        || detail_s.len() > 3
        || !subject_s.chars().all(|c| c.is_ascii_digit())
        || !detail_s.chars().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    Some((class, subject_s.parse().ok()?, detail_s.parse().ok()?))
}

fn parse_basic(token: &str) -> Option<u16> {
    if token.len() != 3 || !token.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let code: u16 = token.parse().ok()?;
    let first = code / 100;
    let second = (code / 10) % 10;
    // RFC 5321 §4.2: first digit 2-5, second digit 0-5.
    ((2..=5).contains(&first) && second <= 5).then_some(code)
}

/// Builds an explanation from the codes and text.
fn build(
    reply: &str,
    basic: Option<u16>,
    enhanced: Option<(u16, u16, u16)>,
    text: &str,
) -> ReplyExplanation {
    let enhanced_code = enhanced.map(|(c, s, d)| format!("{c}.{s}.{d}"));
    let class_digit = basic
        .map(|b| b / 100)
        .or(enhanced.map(|e| e.0))
        .unwrap_or(5);
    let class = match class_digit {
        2 => ReplyClass::Success,
        3 => ReplyClass::Intermediate,
        4 => ReplyClass::TransientFailure,
        _ => ReplyClass::PermanentFailure,
    };
    let basic_entry = basic.and_then(|b| BASIC.iter().find(|e| e.code == b));
    let basic_meaning = match (basic, basic_entry) {
        (_, Some(e)) => e.meaning.to_string(),
        (Some(b), None) => format!(
            "{} reply {b} (not a standard code)",
            match b / 100 {
                2 => "positive completion",
                3 => "positive intermediate",
                4 => "transient negative",
                _ => "permanent negative",
            }
        ),
        (None, None) => String::new(),
    };
    let enhanced_entry = enhanced_code.as_deref().and_then(find_enhanced);
    let mut provider = detect_provider(text).map(str::to_string);
    let lower = text.to_ascii_lowercase();
    let mut refs: Vec<String> = vec!["RFC 5321 §4.2".to_string()];
    if enhanced.is_some() {
        refs.push("RFC 3463".to_string());
    }
    let (enhanced_meaning, mut likely_cause, mut what_to_do) = match (enhanced, enhanced_entry) {
        (Some(_), Some(e)) => {
            refs.extend(e.refs.iter().map(|r| r.to_string()));
            if let Some(p) = e.provider {
                // A provider-specific reading applies only when the reply looks like that provider's,
                // except for codes that only that provider uses.
                if provider.is_none() && matches!(p, "Microsoft") && e.code.starts_with("5.7.") {
                    provider = Some(p.to_string());
                }
            }
            (
                e.meaning.to_string(),
                e.cause.to_string(),
                e.action.to_string(),
            )
        }
        (Some((_, s, _)), None) => (
            format!("{} (detail not registered)", capitalise(subject_meaning(s))),
            String::new(),
            String::new(),
        ),
        _ => (String::new(), String::new(), String::new()),
    };
    if likely_cause.is_empty() {
        if let Some(b) = basic_entry {
            likely_cause = b.cause.to_string();
            what_to_do = b.action.to_string();
        } else {
            likely_cause = "The server gave no standard code; read its text.".to_string();
            what_to_do = match class {
                ReplyClass::TransientFailure => "Let the server retry.".to_string(),
                _ => "Read the server's text for the reason.".to_string(),
            };
        }
    }
    // Text-based refinements for the most frequent real-world replies.
    if lower.contains("greylist") || lower.contains("graylist") {
        likely_cause = "Greylisting: the receiver rejects the first attempt from an unknown sender, IP and recipient triplet and accepts a retry after a few minutes.".to_string();
        what_to_do = "Nothing: your server retries automatically from the same IP. Only if the retry keeps failing, check that the retries come from the same IP (a pool of IPs restarts the greylist).".to_string();
        refs.push("RFC 6647".to_string());
    }
    if (lower.contains("spamhaus")
        || lower.contains("blocklist")
        || lower.contains("blacklist")
        || lower.contains("block list")
        || lower.contains("rbl"))
        && class == ReplyClass::PermanentFailure
    {
        likely_cause.push_str(" The text names a DNS blocklist: the sending IP is listed.");
        what_to_do.push_str(" Look the IP up on the named blocklist and follow its delisting procedure after fixing the cause.");
    }
    // Yahoo's bracketed codes (Yahoo Sender Hub, "SMTP error codes").
    if lower.contains("[tss04]") {
        likely_cause = "Yahoo temporarily defers mail from your IP because of unexpected volume or user complaints (TSS04).".to_string();
        what_to_do = "Let your server retry, slow down, and reduce complaints: send only to engaged recipients and honour unsubscribes. Join Yahoo's Complaint Feedback Loop.".to_string();
        provider = Some("Yahoo".to_string());
        refs.push("Yahoo Sender Hub: SMTP error codes".to_string());
    } else if lower.contains("[tss09]") {
        likely_cause =
            "Yahoo permanently defers all mail from your IP (TSS09); retrying will not succeed."
                .to_string();
        what_to_do = "Stop sending from this IP, fix the cause (compromised account, list quality), and contact Yahoo through the Sender Hub.".to_string();
        provider = Some("Yahoo".to_string());
        refs.push("Yahoo Sender Hub: SMTP error codes".to_string());
    } else if provider.as_deref() == Some("Yahoo") && enhanced_code.as_deref() == Some("5.7.9") {
        likely_cause = "Yahoo refused the message for policy reasons, most often a DMARC failure on a domain with p=reject.".to_string();
        what_to_do = "Make SPF or DKIM pass aligned with the From domain.".to_string();
        refs.push("Yahoo Sender Hub: SMTP error codes".to_string());
    }
    if basic == Some(554) && lower.contains("no smtp service") {
        likely_cause = "The server refuses the connection itself (RFC 5321 §3.1), usually because the connecting IP is blocked.".to_string();
    }
    if provider.as_deref() == Some("Microsoft") {
        if let Some(s) = lower.find("(s").and_then(|i| {
            let rest = &lower[i + 2..];
            let end = rest.find(')')?;
            rest[..end]
                .chars()
                .all(|c| c.is_ascii_digit())
                .then(|| rest[..end].to_string())
        }) {
            what_to_do.push_str(&format!(" Outlook.com reference code S{s}: see https://sendersupport.olc.protection.outlook.com/pm/troubleshooting.aspx."));
        }
    }
    let mut seen = std::collections::HashSet::new();
    refs.retain(|r| seen.insert(r.clone()));
    ReplyExplanation {
        reply: reply.trim().to_string(),
        basic_code: basic,
        enhanced_code,
        text: text.trim().to_string(),
        class,
        basic_meaning,
        enhanced_meaning,
        likely_cause,
        what_to_do,
        refs,
        provider,
        recipient: first_address(text),
    }
}

/// Upper-cases the first letter of our own English text. ASCII only on
/// purpose: `char::to_uppercase` would link core's Unicode case table (about
/// 12 KB) into the browser bundle (issue 7), and every caller passes text
/// from this module that starts with an ASCII letter.
fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
        .unwrap_or_default()
}

/// (basic code, enhanced code, continuation line?, text).
type SplitReply<'a> = (Option<u16>, Option<(u16, u16, u16)>, bool, &'a str);

/// Splits a reply line at its codes: `550-5.7.26 text` or `451 4.7.1 text`
/// or `5.1.1 text`. Returns (basic, enhanced, continuation?, text).
fn split_codes(line: &str) -> Option<SplitReply<'_>> {
    let line = line.trim_start();
    let (basic, continued, rest) = if line.len() >= 3 && line.is_char_boundary(3) {
        match parse_basic(&line[..3]) {
            Some(code) => {
                let after = &line[3..];
                if after.is_empty() {
                    (Some(code), false, "")
                } else if let Some(r) = after.strip_prefix('-') {
                    (Some(code), true, r)
                } else if after.starts_with([' ', '\t']) {
                    (Some(code), false, after)
                } else {
                    return None;
                }
            }
            None => (None, false, line),
        }
    } else {
        (None, false, line)
    };
    let rest = rest.trim_start();
    let token_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let enhanced = parse_enhanced(rest[..token_end].trim_end_matches([',', ';', ':']));
    let text = if enhanced.is_some() {
        rest[token_end..].trim_start()
    } else {
        rest
    };
    if basic.is_none() && enhanced.is_none() {
        return None;
    }
    // RFC 3463 §2: the enhanced class must match the basic class.
    if let (Some(b), Some((c, _, _))) = (basic, enhanced) {
        if b / 100 != c {
            return Some((basic, None, continued, rest));
        }
    }
    Some((basic, enhanced, continued, text))
}

/// Explains one reply: a line such as `451 4.7.1 Greylisted`, a multi-line
/// reply (`550-5.7.26 ...` lines followed by `550 5.7.26 ...`), or a bare
/// enhanced status (`5.1.1`, e.g. a DSN Status field). Returns `None` when
/// the text does not start with a reply code. Total: never panics.
pub fn explain(text: &str) -> Option<ReplyExplanation> {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next()?;
    let (basic, enhanced, mut continued, first_text) = split_codes(first)?;
    let mut joined = first_text.to_string();
    let mut reply = first.to_string();
    for line in lines {
        if !continued {
            break;
        }
        match split_codes(line) {
            Some((b, _, cont, t)) if b == basic => {
                joined.push(' ');
                joined.push_str(t);
                reply.push(' ');
                reply.push_str(line);
                continued = cont;
            }
            _ => break,
        }
    }
    Some(build(&reply, basic, enhanced, &joined))
}

/// Whether the characters before a mid-line code make it plausibly a reply
/// (`said: 550 ...`, `smtp; 550 ...`, `'550 ...`).
fn plausible_prefix(before: &str) -> bool {
    let b = before.trim_end().to_ascii_lowercase();
    b.is_empty()
        || b.ends_with("said:")
        || b.ends_with("smtp;")
        || b.ends_with(':')
        || b.ends_with('\'')
        || b.ends_with('"')
        || b.ends_with('(')
        || b.ends_with("returned")
        || b.ends_with("error")
        || b.ends_with("reply")
}

/// Finds and explains every SMTP reply in a bounce or pasted text: lines
/// starting with a code, and codes after `said:`, `smtp;` or quotes, as
/// bounces quote them. Indented continuation lines are joined. Distinct
/// replies only, in order of appearance. Total: never panics.
pub fn find_replies(text: &str) -> Vec<ReplyExplanation> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<ReplyExplanation> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let mut found: Option<(usize, String)> = None;
        // Candidate positions: every digit that starts a token.
        for (pos, ch) in line.char_indices() {
            if !(ch == '2' || ch == '4' || ch == '5') {
                continue;
            }
            if pos > 0 {
                let prev = line[..pos].chars().next_back().unwrap_or(' ');
                if prev.is_alphanumeric()
                    || prev == '.'
                    || prev == '-'
                    || prev == '/'
                    || prev == '#'
                {
                    continue;
                }
            }
            let candidate = &line[pos..];
            let Some((basic, enhanced, _, _)) = split_codes(candidate) else {
                continue;
            };
            let at_start = line[..pos].trim().is_empty();
            // A mid-line match needs an enhanced code or a reply-like prefix; a bare
            // enhanced code alone needs a prefix such as "Status:" handled by bounce/dsn.rs.
            let plausible = match (basic, enhanced) {
                (Some(b), Some(_)) => b >= 400 || at_start,
                (Some(b), None) => b >= 400 && (at_start || plausible_prefix(&line[..pos])),
                (None, Some((c, _, _))) => c != 2 && (at_start || plausible_prefix(&line[..pos])),
                (None, None) => false,
            };
            if !plausible {
                continue;
            }
            if basic.is_some_and(|b| b < 400) && !at_start {
                continue;
            }
            found = Some((pos, candidate.to_string()));
            break;
        }
        let Some((_, mut candidate)) = found else {
            i += 1;
            continue;
        };
        // Gather multi-line replies and indented continuations.
        let mut j = i + 1;
        while j < lines.len() {
            let next = lines[j];
            if next.trim().is_empty() {
                break;
            }
            let code_line = split_codes(next).is_some();
            let indented = next.starts_with([' ', '\t']);
            let multiline = candidate
                .lines()
                .last()
                .is_some_and(|l| l.trim_start().as_bytes().get(3) == Some(&b'-'));
            if (multiline && code_line) || (indented && !code_line) {
                candidate.push('\n');
                candidate.push_str(next.trim());
                j += 1;
            } else {
                break;
            }
        }
        if let Some(mut e) = explain(&candidate) {
            // Indented continuations are folded text, not further reply lines.
            if !e.reply.contains('\n') && candidate.contains('\n') && e.basic_code.is_some() {
                let extra: Vec<&str> = candidate
                    .lines()
                    .skip(1)
                    .filter(|l| split_codes(l).is_none())
                    .collect();
                if !extra.is_empty() {
                    let text = format!("{} {}", e.text, extra.join(" "));
                    let reply = format!("{} {}", e.reply, extra.join(" "));
                    e = build(
                        &reply,
                        e.basic_code,
                        e.enhanced_code.as_deref().and_then(parse_enhanced),
                        &text,
                    );
                }
            }
            if !out.iter().any(|o| o.reply == e.reply) {
                out.push(e);
            }
        }
        i = j.max(i + 1);
    }
    out
}

/// `smtp.reply-code` for one explained reply: fail for 5xx, warn for 4xx,
/// info otherwise. The caller may set a subject (e.g. the recipient).
pub fn reply_check(expl: &ReplyExplanation) -> Check {
    let status = match expl.class {
        ReplyClass::PermanentFailure => Status::Fail,
        ReplyClass::TransientFailure => Status::Warn,
        _ => Status::Info,
    };
    let codes = match (expl.basic_code, &expl.enhanced_code) {
        (Some(b), Some(e)) => format!("{b} {e}"),
        (Some(b), None) => b.to_string(),
        (None, Some(e)) => e.clone(),
        (None, None) => String::new(),
    };
    let mut meaning = Vec::new();
    if !expl.basic_meaning.is_empty() {
        meaning.push(expl.basic_meaning.clone());
    }
    if !expl.enhanced_meaning.is_empty() {
        meaning.push(expl.enhanced_meaning.clone());
    }
    let provider = expl
        .provider
        .as_deref()
        .map_or_else(String::new, |p| format!(" [{p}]"));
    let detail = format!(
        "{codes}{provider}: {}. Server said: \"{}\". Likely cause: {}",
        meaning.join(" — "),
        expl.text,
        expl.likely_cause
    );
    let mut check = Check::new("smtp.reply-code", status, detail);
    if status != Status::Info {
        check = check.with_fix(expl.what_to_do.clone());
    }
    for r in &expl.refs {
        if !check.refs.contains(r) {
            check.refs.push(r.clone());
        }
    }
    check
}

impl ReplyExplanation {
    /// Who has to act on this reply, in plain words: nobody for a success,
    /// the sending server's retry queue for a transient failure (RFC 5321
    /// §4.5.4.1), and for a permanent failure the party the enhanced code's
    /// subject points at (RFC 3463 §3: addressing, mailbox, mail system,
    /// routing, protocol, content, policy), or the basic code's when there
    /// is no enhanced code.
    pub fn who_must_act(&self) -> &'static str {
        match self.class {
            ReplyClass::Success | ReplyClass::Intermediate => {
                return "Nobody: the server accepted the command."
            }
            ReplyClass::TransientFailure => {
                return "Nobody at first: the sending server retries on its own. If the retries keep failing for hours, the sender's mail administrator.";
            }
            ReplyClass::PermanentFailure => {}
        }
        let mut parts = self.enhanced_code.as_deref().unwrap_or("").split('.');
        let subject = parts.nth(1).and_then(|s| s.parse::<u16>().ok());
        let detail = parts.next().and_then(|d| d.parse::<u16>().ok());
        match (subject, detail) {
            // X.1.7 / X.1.8: the sender's own address is bad (RFC 3463 §3.2).
            (Some(1), Some(7 | 8)) => "The sender's mail administrator: the envelope sender address or its domain is not accepted.",
            (Some(1), _) => "The sender: correct the recipient address or remove it from the list.",
            (Some(2), _) => "The recipient (a full or disabled mailbox); the sender can only try again later or use another address.",
            (Some(3), _) => "The recipient's mail administrator: their mail system refused or failed.",
            (Some(4), _) => "Whoever runs the route: the recipient domain's DNS and MX, or the sender's relay settings.",
            (Some(5), _) => "The sender's mail administrator: the sending software spoke SMTP the server did not accept.",
            (Some(6), _) => "The sender: change the message (size, encoding or content).",
            (Some(7), _) => "The sender's mail administrator or domain owner: authentication (SPF, DKIM, DMARC), sending reputation or TLS.",
            _ => match self.basic_code {
                Some(500..=504) => "The sender's mail administrator: the sending software spoke SMTP the server did not accept.",
                Some(521 | 556) => "The sender: the recipient's domain does not accept mail, so remove the address.",
                Some(530 | 535) => "The sender: the client's login or TLS settings.",
                Some(552) => "The sender (make the message smaller) or the recipient (free space in the mailbox).",
                Some(554) => "The sender's mail administrator or domain owner: reputation, authentication or content.",
                _ => "The sender: read the server's text; an unknown address is removed from the list, a policy rejection goes to the sending domain's administrator.",
            },
        }
    }
}

#[cfg(test)]
mod who_must_act_tests {
    use super::*;

    #[test]
    fn each_reply_names_who_must_act() {
        let table = [
            ("250 2.0.0 OK", "Nobody: the server"),
            ("451 4.7.1 Greylisted, try again", "Nobody at first"),
            (
                "550 5.1.1 <bob@example.com>: User unknown",
                "correct the recipient address",
            ),
            ("552 5.2.2 Mailbox full", "The recipient"),
            ("550 5.7.26 Unauthenticated email", "domain owner"),
            ("553 5.1.8 Sender address rejected", "envelope sender"),
            ("521 Host does not accept mail", "does not accept mail"),
        ];
        for (reply, want) in table {
            let e = explain(reply).unwrap_or_else(|| panic!("no explanation for {reply}"));
            assert!(
                e.who_must_act().contains(want),
                "{reply}: {}",
                e.who_must_act()
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Input, basic code, enhanced code, class, text expected in the explanation.
    type ExplainCase<'a> = (&'a str, Option<u16>, Option<&'a str>, ReplyClass, &'a str);

    #[test]
    fn explain_table() {
        // input, basic, enhanced, class, substring expected in cause or meaning
        let cases: &[ExplainCase] = &[
            ("550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown", Some(550), Some("5.1.1"), ReplyClass::PermanentFailure, "does not exist"),
            ("451 4.7.1 Greylisted, please try again later", Some(451), Some("4.7.1"), ReplyClass::TransientFailure, "Greylisting"),
            ("550-5.7.26 This mail has been blocked because the sender is\n550-5.7.26 unauthenticated. Gmail requires all senders to authenticate with\n550 5.7.26 either SPF or DKIM. - gsmtp", Some(550), Some("5.7.26"), ReplyClass::PermanentFailure, "DMARC"),
            ("421 4.7.0 [192.0.2.1] Our system has detected an unusual rate of unsolicited mail", Some(421), Some("4.7.0"), ReplyClass::TransientFailure, "rate"),
            ("550 5.7.515 Access denied, sending domain example.com doesn't meet the required authentication level.", Some(550), Some("5.7.515"), ReplyClass::PermanentFailure, "high-volume"),
            ("550 5.7.509 Access denied, sending domain example.com does not pass DMARC verification", Some(550), Some("5.7.509"), ReplyClass::PermanentFailure, "p=reject"),
            ("550 5.7.606 Access denied, banned sending IP [203.0.113.5].", Some(550), Some("5.7.606"), ReplyClass::PermanentFailure, "block list"),
            ("550 5.7.612 Access denied, banned sending IP [203.0.113.5].", Some(550), Some("5.7.612"), ReplyClass::PermanentFailure, "block list"),
            ("451 4.7.650 The mail server [203.0.113.5] has been temporarily rate limited due to IP reputation. (S775)", Some(451), Some("4.7.650"), ReplyClass::TransientFailure, "reputation"),
            ("552 5.2.2 The email account that you tried to reach is over quota.", Some(552), Some("5.2.2"), ReplyClass::PermanentFailure, "over quota"),
            ("452 4.2.2 The email account that you tried to reach is over quota.", Some(452), Some("4.2.2"), ReplyClass::TransientFailure, "over quota"),
            ("552 5.2.3 Your message exceeded Google's message size limits.", Some(552), Some("5.2.3"), ReplyClass::PermanentFailure, "larger"),
            ("550 5.2.1 The email account that you tried to reach is disabled.", Some(550), Some("5.2.1"), ReplyClass::PermanentFailure, "disabled"),
            ("550 5.1.2 Host unknown", Some(550), Some("5.1.2"), ReplyClass::PermanentFailure, "does not exist"),
            ("550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup", Some(550), Some("5.1.10"), ReplyClass::PermanentFailure, "Microsoft"),
            ("550 5.4.1 Recipient address rejected: Access denied. AS(201806281)", Some(550), Some("5.4.1"), ReplyClass::PermanentFailure, "directory-based"),
            ("554 5.4.4 SMTPSEND.DNS.NonExistentDomain; nonexistent domain", Some(554), Some("5.4.4"), ReplyClass::PermanentFailure, "No route"),
            ("451 4.4.1 No answer from host", Some(451), Some("4.4.1"), ReplyClass::TransientFailure, "did not answer"),
            ("421 4.4.2 Connection dropped", Some(421), Some("4.4.2"), ReplyClass::TransientFailure, "dropped"),
            ("550 5.7.1 Service unavailable; Client host [203.0.113.5] blocked using zen.spamhaus.org", Some(550), Some("5.7.1"), ReplyClass::PermanentFailure, "blocklist"),
            ("530 5.7.0 Must issue a STARTTLS command first.", Some(530), Some("5.7.0"), ReplyClass::PermanentFailure, "STARTTLS"),
            ("550 5.7.23 SPF validation failed", Some(550), Some("5.7.23"), ReplyClass::PermanentFailure, "SPF"),
            ("550 5.7.25 The IP address sending this message does not have a PTR record setup", Some(550), Some("5.7.25"), ReplyClass::PermanentFailure, "PTR"),
            ("550 5.7.27 sender address has null MX", Some(550), Some("5.7.27"), ReplyClass::PermanentFailure, "null MX"),
            ("450 Requested mail action not taken: mailbox unavailable", Some(450), None, ReplyClass::TransientFailure, "greylisting"),
            ("554 No SMTP service here", Some(554), None, ReplyClass::PermanentFailure, "refuses the connection"),
            ("553 sorry, that domain isn't in my list of allowed rcpthosts", Some(553), None, ReplyClass::PermanentFailure, "not allowed"),
            ("551 User not local; please try <bob@example.net>", Some(551), None, ReplyClass::PermanentFailure, "forward-path"),
            ("521 example.net does not accept mail", Some(521), None, ReplyClass::PermanentFailure, "never accepts"),
            ("556 5.1.10 Recipient address has null MX", Some(556), Some("5.1.10"), ReplyClass::PermanentFailure, "null MX"),
            ("421 4.7.0 [TSS04] Messages from 203.0.113.5 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes", Some(421), Some("4.7.0"), ReplyClass::TransientFailure, "TSS04"),
            ("553 5.7.2 [TSS09] All messages from 203.0.113.5 will be permanently deferred; Retrying will NOT succeed. See https://postmaster.yahooinc.com/error-codes", Some(553), Some("5.7.2"), ReplyClass::PermanentFailure, "TSS09"),
            ("554 5.7.9 Message not accepted for policy reasons. See https://senders.yahooinc.com/error-codes", Some(554), Some("5.7.9"), ReplyClass::PermanentFailure, "DMARC"),
            ("500 5.5.1 Command unrecognized", Some(500), Some("5.5.1"), ReplyClass::PermanentFailure, "command"),
            ("501 5.1.7 Bad sender address syntax", Some(501), Some("5.1.7"), ReplyClass::PermanentFailure, "malformed"),
            ("502 5.5.1 Command not implemented", Some(502), Some("5.5.1"), ReplyClass::PermanentFailure, "command"),
            ("503 5.5.1 Error: need RCPT command", Some(503), Some("5.5.1"), ReplyClass::PermanentFailure, "command"),
            ("504 5.5.4 Unrecognized authentication type", Some(504), Some("5.5.4"), ReplyClass::PermanentFailure, "argument"),
            ("452 4.5.3 Too many recipients", Some(452), Some("4.5.3"), ReplyClass::TransientFailure, "recipients"),
            ("455 4.5.4 Server unable to accommodate parameters", Some(455), Some("4.5.4"), ReplyClass::TransientFailure, "argument"),
            ("5.1.1", None, Some("5.1.1"), ReplyClass::PermanentFailure, "does not exist"),
            ("4.4.7", None, Some("4.4.7"), ReplyClass::TransientFailure, "gave up"),
            ("550 4.1.1 mismatched class", Some(550), None, ReplyClass::PermanentFailure, "mailbox"),
            ("250 2.0.0 OK 1700000000 x1si123 - gsmtp", Some(250), Some("2.0.0"), ReplyClass::Success, ""),
        ];
        for (input, basic, enhanced, class, needle) in cases {
            let e = explain(input).unwrap_or_else(|| panic!("no explanation for input: {input:?}"));
            assert_eq!(e.basic_code, *basic, "input: {input:?}");
            assert_eq!(e.enhanced_code.as_deref(), *enhanced, "input: {input:?}");
            assert_eq!(e.class, *class, "input: {input:?}");
            let all = format!(
                "{} {} {} {}",
                e.basic_meaning, e.enhanced_meaning, e.likely_cause, e.what_to_do
            );
            assert!(
                all.to_lowercase().contains(&needle.to_lowercase()),
                "input: {input:?} lacks {needle:?}: {all}"
            );
            assert!(!e.refs.is_empty(), "input: {input:?}");
        }
    }

    #[test]
    fn rejects_non_replies() {
        for input in [
            "",
            "hello",
            "600 nope",
            "5a0 x",
            "55",
            "2025-07-01",
            "Date: 550",
        ] {
            assert!(explain(input).is_none(), "input: {input:?}");
        }
    }

    #[test]
    fn multiline_is_joined() {
        let input = "550-5.7.26 This mail has been blocked because the sender is\r\n550-5.7.26 unauthenticated.\r\n550 5.7.26 Gmail requires SPF or DKIM. - gsmtp";
        let e = explain(input).unwrap();
        assert!(
            e.text.contains("sender is unauthenticated. Gmail requires"),
            "input: {input:?} got {}",
            e.text
        );
        assert_eq!(e.provider.as_deref(), Some("Gmail"));
    }

    #[test]
    fn find_replies_table() {
        let cases: &[(&str, &[&str])] = &[
            (
                "<bob@example.net>: host mx.example.net[192.0.2.25] said: 550 5.1.1\n    <bob@example.net>: Recipient address rejected: User unknown in local\n    recipient table (in reply to RCPT TO command)",
                &["550 5.1.1"],
            ),
            ("Diagnostic-Code: smtp; 451 4.7.1 Greylisted, try again in 5 minutes", &["451 4.7.1"]),
            ("Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found'", &["550 5.1.10"]),
            (
                "550-5.7.26 blocked because the sender is\n550-5.7.26 unauthenticated.\n550 5.7.26 gsmtp\nthen later\n421 4.7.0 try again later",
                &["550 5.7.26", "421 4.7.0"],
            ),
            (
                "SMTP error from remote mail server after RCPT TO:<kim@example.net>:\n    550 5.1.1 <kim@example.net>: Recipient address rejected: User unknown",
                &["550 5.1.1"],
            ),
            (
                "<kim@example.net>:\n192.0.2.25 does not like recipient.\nRemote host said: 550 5.1.1 No such user\nGiving up on 192.0.2.25.",
                &["550 5.1.1"],
            ),
            (
                "host mx.example.net [192.0.2.25]: 554 5.7.1 Service unavailable; Client host [203.0.113.5] blocked using zen.spamhaus.org",
                &["554 5.7.1"],
            ),
            ("We have 550 employees and 5.1 million users", &[]),
            ("Reporting-MTA: dns; mail.example.com\nArrival-Date: Tue, 1 Jul 2025 10:00:00 +0000", &[]),
            ("", &[]),
        ];
        for (input, want) in cases {
            let got: Vec<String> = find_replies(input)
                .iter()
                .map(|e| {
                    format!(
                        "{} {}",
                        e.basic_code.map_or(String::new(), |b| b.to_string()),
                        e.enhanced_code.clone().unwrap_or_default()
                    )
                    .trim()
                    .to_string()
                })
                .collect();
            assert_eq!(got, *want, "input: {input:?}");
        }
        let e = &find_replies(cases[0].0)[0];
        assert_eq!(e.recipient.as_deref(), Some("bob@example.net"));
        assert!(e.text.contains("recipient table"), "{}", e.text);
    }

    #[test]
    fn reply_check_statuses() {
        let cases: &[(&str, Status)] = &[
            ("550 5.1.1 unknown", Status::Fail),
            ("451 4.7.1 greylisted", Status::Warn),
            ("250 2.0.0 OK", Status::Info),
        ];
        for (input, want) in cases {
            let c = reply_check(&explain(input).unwrap());
            assert_eq!(c.status, *want, "input: {input:?}");
            assert_eq!(c.id, "smtp.reply-code");
            assert!(
                c.refs.iter().any(|r| r.starts_with("RFC 5321")),
                "input: {input:?}"
            );
        }
    }

    #[test]
    fn never_panics() {
        let inputs = [
            "5",
            "55€",
            "550-",
            "550-€",
            "5.€.1",
            "€550 5.1.1",
            "550 5.1.1\n550-",
            "4.7.",
            "550 9.9.9 x",
            "550 5.1234.1 x",
        ];
        for input in inputs {
            let _ = explain(input);
            let _ = find_replies(input);
        }
    }
}
