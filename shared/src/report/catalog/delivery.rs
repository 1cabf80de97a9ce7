//! Catalogue entries for delivery reports: what mxlens's own SMTP receiver
//! saw when a message arrived at a test address.

use super::message::entry;
use super::{Area, CatalogEntry};

pub(super) static ENTRIES: &[CatalogEntry] = &[
    entry!("delivery.received", Delivery, 0, "Delivery received",
        "The message arrived at mxlens's own SMTP receiver: the connecting IP and its reverse DNS, the HELO name, the envelope (MAIL FROM, RCPT TO), the size and the TLS session, exactly as the sending server presented them. Everything else in this report is evaluated from these facts and the message as it arrived.",
        "",
        ["RFC 5321 §4.4", "RFC 5321 §3.3"]),
    entry!("delivery.helo", Delivery, 5, "HELO name",
        "The EHLO/HELO argument must be the client's fully-qualified domain name, or an address literal of its IP when it has none (RFC 5321 §4.1.1.1, §2.3.5). Receivers compare it with the connecting IP and its PTR name; a bare name, a name that does not resolve, or `localhost` is a strong spam signal. RFC 7208 §2.3 also recommends an SPF check of the HELO identity.",
        "Configure the sending MTA to greet with its public host name (Postfix `smtp_helo_name`, Exim `helo_data`), one that resolves to the sending IP and matches its PTR record.",
        ["RFC 5321 §4.1.1.1", "RFC 5321 §2.3.5", "RFC 7208 §2.3"]),
    entry!("delivery.tls", Delivery, 10, "TLS on the delivery",
        "Whether the sending server upgraded the connection with STARTTLS, and with which TLS version and cipher. Gmail and Yahoo require bulk senders to use TLS; a server that delivers in clear text exposes every message on the path, and TLS below 1.2 is deprecated (RFC 8996).",
        "Enable opportunistic TLS in the sending MTA (Postfix `smtp_tls_security_level = may`, or `encrypt`) with TLS 1.2 or newer.",
        ["RFC 3207", "RFC 8996", "RFC 7525"]),
];
