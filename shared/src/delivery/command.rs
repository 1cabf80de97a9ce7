//! The server side of the SMTP command grammar (RFC 5321 §4.1): one
//! command line in (without its CRLF), a [`Command`] or the reply that
//! refuses it out. Total: any byte sequence gives one or the other, never a
//! panic. The receiver's state machine (in the backend) decides what a
//! command means in its state; this only parses.
//!
//! ```text
//! ehlo = "EHLO" SP ( Domain / address-literal ) CRLF        ; §4.1.1.1
//! mail = "MAIL FROM:" Reverse-path [SP Mail-parameters] CRLF ; §4.1.1.2
//! rcpt = "RCPT TO:" ( "<Postmaster@" Domain ">" / "<Postmaster>" /
//!        Forward-path ) [SP Rcpt-parameters] CRLF            ; §4.1.1.3
//! Path = "<" [ A-d-l ":" ] Mailbox ">"                       ; §4.1.2
//! esmtp-param = esmtp-keyword ["=" esmtp-value]              ; §4.1.2
//! ```

/// The longest command line, CRLF included (RFC 5321 §4.5.3.1.4).
pub const MAX_COMMAND_LINE: usize = 512;
/// The longest text line of message data, CRLF included (§4.5.3.1.6).
pub const MAX_TEXT_LINE: usize = 1000;
/// The longest local part (§4.5.3.1.1).
pub const MAX_LOCAL_PART: usize = 64;
/// The longest domain (§4.5.3.1.2).
pub const MAX_DOMAIN: usize = 255;
/// The longest path, angle brackets included (§4.5.3.1.3).
pub const MAX_PATH: usize = 256;

/// One parsed command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `HELO domain` (no extensions).
    Helo(String),
    /// `EHLO domain-or-literal`.
    Ehlo(String),
    /// `MAIL FROM:<path> params`; an empty path is the null reverse-path.
    Mail {
        /// The mailbox without brackets, empty for `<>`.
        path: String,
        /// ESMTP parameters (SIZE, BODY, SMTPUTF8...).
        params: Vec<Param>,
    },
    /// `RCPT TO:<path> params`.
    Rcpt {
        /// The mailbox without brackets (`Postmaster` alone is allowed).
        path: String,
        /// ESMTP parameters.
        params: Vec<Param>,
    },
    /// `DATA`.
    Data,
    /// `RSET`.
    Rset,
    /// `NOOP [string]`.
    Noop,
    /// `QUIT`.
    Quit,
    /// `STARTTLS` (RFC 3207 §4: no parameters).
    StartTls,
    /// `VRFY string`.
    Vrfy,
    /// `EXPN string`.
    Expn,
    /// `HELP [string]`.
    Help,
}

/// One ESMTP parameter, keyword upper-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// `SIZE`, `BODY`...
    pub keyword: String,
    /// The value after `=`, if any.
    pub value: Option<String>,
}

/// A reply: code, enhanced status code (RFC 3463) and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The three-digit reply code (RFC 5321 §4.2).
    pub code: u16,
    /// The enhanced status code, e.g. `5.5.2` (RFC 2034, RFC 3463).
    pub enhanced: &'static str,
    /// Human text.
    pub text: String,
}

impl Reply {
    /// A reply.
    pub fn new(code: u16, enhanced: &'static str, text: impl Into<String>) -> Self {
        Reply {
            code,
            enhanced,
            text: text.into(),
        }
    }

    /// The reply as it goes on the wire, CRLF-terminated. Text lines are
    /// stripped of CR and LF so a client-supplied string can never inject a
    /// reply line.
    pub fn to_wire(&self) -> String {
        let text: String = self
            .text
            .chars()
            .map(|c| if c == '\r' || c == '\n' { ' ' } else { c })
            .collect();
        if self.enhanced.is_empty() {
            format!("{} {text}\r\n", self.code)
        } else {
            format!("{} {} {text}\r\n", self.code, self.enhanced)
        }
    }

    /// True for a 4xx or 5xx reply.
    pub fn is_error(&self) -> bool {
        self.code >= 400
    }
}

fn unrecognized() -> Reply {
    Reply::new(500, "5.5.2", "Syntax error, command unrecognized")
}

fn syntax(text: &str) -> Reply {
    Reply::new(501, "5.5.4", format!("Syntax error in parameters: {text}"))
}

/// Parses one command line (its CRLF already removed).
pub fn parse_command(line: &[u8]) -> Result<Command, Reply> {
    if line.len() + 2 > MAX_COMMAND_LINE {
        return Err(Reply::new(500, "5.5.2", "Line too long"));
    }
    let Ok(line) = std::str::from_utf8(line) else {
        return Err(unrecognized());
    };
    if line.bytes().any(|b| b.is_ascii_control() && b != b'\t') {
        return Err(Reply::new(500, "5.5.2", "Control characters in command"));
    }
    let (verb, rest) = match line.find(' ') {
        Some(i) => (&line[..i], &line[i + 1..]),
        None => (line, ""),
    };
    let verb = verb.to_ascii_uppercase();
    let bare = |command: Command| {
        if rest.trim().is_empty() {
            Ok(command)
        } else {
            Err(syntax("this command takes no argument"))
        }
    };
    match verb.as_str() {
        "HELO" | "EHLO" => {
            let domain = rest.trim();
            if domain.is_empty() || domain.contains(' ') {
                return Err(syntax(
                    "EHLO and HELO take exactly one domain or address literal",
                ));
            }
            Ok(if verb == "HELO" {
                Command::Helo(domain.to_string())
            } else {
                Command::Ehlo(domain.to_string())
            })
        }
        "MAIL" => {
            let (path, params) = path_and_params(rest, "FROM:")?;
            Ok(Command::Mail { path, params })
        }
        "RCPT" => {
            let (path, params) = path_and_params(rest, "TO:")?;
            if path.is_empty() {
                return Err(syntax("the null path <> is not a recipient"));
            }
            Ok(Command::Rcpt { path, params })
        }
        "DATA" => bare(Command::Data),
        "RSET" => bare(Command::Rset),
        "QUIT" => bare(Command::Quit),
        "STARTTLS" => bare(Command::StartTls),
        "NOOP" => Ok(Command::Noop),
        "HELP" => Ok(Command::Help),
        "VRFY" => Ok(Command::Vrfy),
        "EXPN" => Ok(Command::Expn),
        _ => Err(unrecognized()),
    }
}

/// Splits `FROM:<path> params` (or `TO:`). A space after the colon is
/// tolerated, as most servers do; the brackets are required.
fn path_and_params(rest: &str, prefix: &str) -> Result<(String, Vec<Param>), Reply> {
    let head = rest.get(..prefix.len()).unwrap_or_default();
    if !head.eq_ignore_ascii_case(prefix) {
        return Err(syntax(&format!("expected {prefix}<address>")));
    }
    let rest = rest[prefix.len()..].trim_start_matches(' ');
    if !rest.starts_with('<') {
        return Err(syntax("the address must be in angle brackets"));
    }
    let close = closing_bracket(rest).ok_or_else(|| syntax("unterminated <address>"))?;
    let inner = &rest[1..close];
    if close + 1 > MAX_PATH {
        return Err(Reply::new(501, "5.1.3", "Path too long"));
    }
    let path = mailbox_of(inner)?;
    let params = parse_params(&rest[close + 1..])?;
    Ok((path, params))
}

/// The index of the `>` that closes the path opened at 0, skipping
/// quoted strings (a quoted local part may hold `>`).
fn closing_bracket(s: &str) -> Option<usize> {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in s.char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '>' if !quoted => return Some(i),
            _ => {}
        }
    }
    None
}

/// The mailbox of a path, source route dropped (§4.1.2: A-d-l is to be
/// ignored, Appendix C). Empty stays empty (the null path).
fn mailbox_of(inner: &str) -> Result<String, Reply> {
    let mailbox = if inner.starts_with('@') {
        match inner.find(':') {
            Some(i) => &inner[i + 1..],
            None => return Err(syntax("source route without ':'")),
        }
    } else {
        inner
    };
    if mailbox.is_empty() {
        return Ok(String::new());
    }
    if mailbox.eq_ignore_ascii_case("postmaster") {
        return Ok(mailbox.to_string());
    }
    let Some(at) = mailbox.rfind('@') else {
        return Err(syntax("the address has no @domain"));
    };
    let (local, domain) = (&mailbox[..at], &mailbox[at + 1..]);
    if local.is_empty() || domain.is_empty() {
        return Err(syntax("empty local part or domain"));
    }
    if local.len() > MAX_LOCAL_PART {
        return Err(Reply::new(501, "5.1.3", "Local part too long"));
    }
    if domain.len() > MAX_DOMAIN {
        return Err(Reply::new(501, "5.1.3", "Domain too long"));
    }
    if !is_domain_or_literal(domain) {
        return Err(Reply::new(501, "5.1.3", "Bad domain in address"));
    }
    if !local.starts_with('"') && local.contains([' ', '<', '>']) {
        return Err(Reply::new(501, "5.1.3", "Bad local part in address"));
    }
    Ok(mailbox.to_string())
}

/// A domain (letters, digits, hyphens, dots; any non-ASCII, for SMTPUTF8)
/// or an address literal in brackets (§4.1.3).
pub fn is_domain_or_literal(domain: &str) -> bool {
    if let Some(literal) = domain.strip_prefix('[') {
        return literal.ends_with(']') && literal.len() > 1;
    }
    !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || !c.is_ascii())
}

/// Parses ` KEY=value KEY` (§4.1.2: esmtp-keyword is letters, digits and
/// hyphens; esmtp-value is printable, no `=` and no space).
fn parse_params(rest: &str) -> Result<Vec<Param>, Reply> {
    let mut params = Vec::new();
    for word in rest.split(' ').filter(|w| !w.is_empty()) {
        let (keyword, value) = match word.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (word, None),
        };
        let keyword_ok = !keyword.is_empty()
            && keyword
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric())
            && keyword
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-');
        let value_ok = value.is_none_or(|v| !v.is_empty() && !v.contains('='));
        if !keyword_ok || !value_ok {
            return Err(Reply::new(
                555,
                "5.5.4",
                "MAIL FROM/RCPT TO parameters not recognized or not implemented",
            ));
        }
        params.push(Param {
            keyword: keyword.to_ascii_uppercase(),
            value: value.map(str::to_string),
        });
        if params.len() > 16 {
            return Err(syntax("too many parameters"));
        }
    }
    Ok(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse() {
        let cases: &[(&str, Command)] = &[
            (
                "EHLO mail.example.com",
                Command::Ehlo("mail.example.com".into()),
            ),
            ("helo [192.0.2.1]", Command::Helo("[192.0.2.1]".into())),
            (
                "MAIL FROM:<a@example.com> SIZE=1000 BODY=8BITMIME",
                Command::Mail {
                    path: "a@example.com".into(),
                    params: vec![
                        Param {
                            keyword: "SIZE".into(),
                            value: Some("1000".into()),
                        },
                        Param {
                            keyword: "BODY".into(),
                            value: Some("8BITMIME".into()),
                        },
                    ],
                },
            ),
            (
                "mail from: <>",
                Command::Mail {
                    path: String::new(),
                    params: vec![],
                },
            ),
            (
                "RCPT TO:<@relay.example:t@test.example>",
                Command::Rcpt {
                    path: "t@test.example".into(),
                    params: vec![],
                },
            ),
            (
                "RCPT TO:<\"odd >local\"@test.example>",
                Command::Rcpt {
                    path: "\"odd >local\"@test.example".into(),
                    params: vec![],
                },
            ),
            (
                "RCPT TO:<Postmaster>",
                Command::Rcpt {
                    path: "Postmaster".into(),
                    params: vec![],
                },
            ),
            ("DATA", Command::Data),
            ("rset", Command::Rset),
            ("NOOP hello", Command::Noop),
            ("QUIT", Command::Quit),
            ("STARTTLS", Command::StartTls),
            ("VRFY x", Command::Vrfy),
        ];
        for (line, want) in cases {
            assert_eq!(
                parse_command(line.as_bytes()).as_ref(),
                Ok(want),
                "{line:?}"
            );
        }
    }

    #[test]
    fn bad_commands_get_the_rfc_reply() {
        let cases: &[(&[u8], u16)] = &[
            (b"", 500),
            (b"FOO bar", 500),
            (b"\xff\xfe", 500),
            (b"EHLO", 501),
            (b"EHLO a b", 501),
            (b"MAIL TO:<a@b.c>", 501),
            (b"MAIL FROM:a@b.c", 501),
            (b"MAIL FROM:<a@b.c", 501),
            (b"MAIL FROM:<nodomain>", 501),
            (b"MAIL FROM:<a@b..c>", 501),
            (b"MAIL FROM:<a@b.c> SIZE==1", 555),
            (b"MAIL FROM:<a@b.c> =x", 555),
            (b"RCPT TO:<>", 501),
            (b"DATA now", 501),
            (b"STARTTLS x", 501),
            (b"NOOP\x00", 500),
        ];
        for (line, code) in cases {
            let reply = parse_command(line).expect_err(&format!("{line:?}"));
            assert_eq!(reply.code, *code, "{line:?}: {reply:?}");
        }
        let long = format!("MAIL FROM:<{}@example.com>", "a".repeat(65));
        assert_eq!(
            parse_command(long.as_bytes()).unwrap_err().enhanced,
            "5.1.3"
        );
        let line = vec![b'A'; MAX_COMMAND_LINE];
        assert_eq!(parse_command(&line).unwrap_err().text, "Line too long");
    }

    #[test]
    fn replies_cannot_be_split_by_client_text() {
        let reply = Reply::new(250, "2.1.0", "ok <a@b>\r\n250 injected");
        assert_eq!(reply.to_wire(), "250 2.1.0 ok <a@b>  250 injected\r\n");
        assert_eq!(Reply::new(220, "", "hi").to_wire(), "220 hi\r\n");
    }

    proptest::proptest! {
        #[test]
        fn any_line_gives_a_command_or_a_reply(line in proptest::collection::vec(proptest::num::u8::ANY, 0..600)) {
            match parse_command(&line) {
                Ok(_) => {}
                Err(reply) => proptest::prop_assert!(reply.code >= 500 && reply.code < 600),
            }
        }
    }
}
