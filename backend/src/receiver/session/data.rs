//! The DATA phase of a session (RFC 5321 §4.1.1.4): the message read
//! line by line within the line and DATA deadlines, the size cap (RFC 1870
//! §6.3) and the memory budget, then the single-use claim of its test
//! addresses and the report built in the background.

use std::sync::Arc;
use std::time::Instant;

use mxlens_shared::delivery::command::{Reply, MAX_TEXT_LINE};
use tokio::io::{AsyncRead, AsyncWrite, BufReader};

use super::{read_line, Line, Next, Session};
use crate::receiver::tokens::TestAddress;

impl Session {
    pub(super) async fn data<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        reader: &mut BufReader<S>,
    ) -> Next {
        if !self
            .send(
                reader,
                &Reply::new(354, "", "End data with <CR><LF>.<CR><LF>"),
            )
            .await
        {
            return Next::Close;
        }
        for address in &self.rcpts {
            address.push(
                "receiving",
                serde_json::json!({"client_ip": self.facts.client_ip, "mail_from": self.facts.mail_from}),
                false,
            );
        }
        let config = self.receiver.config.clone();
        let deadline = Instant::now() + config.data_timeout;
        let max = config.max_message_bytes;
        let mut message: Vec<u8> = Vec::new();
        let mut held = self.receiver.hold();
        let mut over_budget = false;
        let mut size: u64 = 0;
        let mut long_line = false;
        let mut line = Vec::with_capacity(MAX_TEXT_LINE);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let wait = left.min(config.command_timeout);
            let read = if wait.is_zero() {
                Err(())
            } else {
                tokio::time::timeout(wait, read_line(reader, MAX_TEXT_LINE, &mut line))
                    .await
                    .map_err(|_| ())
            };
            match read {
                Err(()) => {
                    self.fail_rcpts("the sender was too slow: the DATA timed out");
                    let reply = Reply::new(
                        421,
                        "4.4.2",
                        format!("{} DATA timeout, closing", config.hostname),
                    );
                    self.send(reader, &reply).await;
                    return Next::Close;
                }
                Ok(Err(_)) | Ok(Ok(Line::Eof)) => {
                    self.fail_rcpts("the connection closed before the end of DATA");
                    return Next::Close;
                }
                Ok(Ok(Line::TooLong)) => long_line = true,
                Ok(Ok(Line::Ok)) => {
                    if line == b"." {
                        break;
                    }
                    // RFC 5321 §4.5.2: a leading dot is removed.
                    let text = line.strip_prefix(b".").unwrap_or(&line);
                    let n = text.len() as u64 + 2;
                    size += n;
                    if size <= max && !over_budget && held.grow(n) {
                        message.extend_from_slice(text);
                        message.extend_from_slice(b"\r\n");
                    } else if !message.is_empty() || !over_budget {
                        // Over the cap or the memory budget: drop what
                        // was kept, keep reading and counting.
                        over_budget |= size <= max;
                        message = Vec::new();
                        held.release();
                    }
                }
            }
        }
        let next = if long_line {
            self.errors += 1;
            self.reset();
            let reply = Reply::new(
                500,
                "5.5.2",
                "Line too long (RFC 5321 §4.5.3.1.6: 1000 octets)",
            );
            self.continue_if(self.send(reader, &reply).await)
        } else if size > max {
            self.errors += 1;
            self.reset();
            let reply = Reply::new(
                552,
                "5.3.4",
                "Message size exceeds fixed maximum message size",
            );
            self.continue_if(self.send(reader, &reply).await)
        } else if over_budget {
            self.reset();
            let reply = Reply::new(452, "4.3.1", "Insufficient system storage, try again later");
            self.continue_if(self.send(reader, &reply).await)
        } else {
            self.accept(message, held, reader).await
        };
        next
    }

    pub(super) fn fail_rcpts(&mut self, why: &str) {
        for address in &self.rcpts {
            address.push("waiting", serde_json::json!({"after": why}), false);
        }
    }

    /// End of an accepted DATA: claims the addresses (single use), answers
    /// 250 with the queue id, and builds the report in the background.
    pub(super) async fn accept<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        message: Vec<u8>,
        held: crate::receiver::Held,
        reader: &mut BufReader<S>,
    ) -> Next {
        let mut claimed: Vec<Arc<TestAddress>> = Vec::new();
        for address in std::mem::take(&mut self.rcpts) {
            if self.receiver.claim(&address).await {
                claimed.push(address);
            }
        }
        if claimed.is_empty() && self.postmaster {
            // Nobody reads a mailbox here: the operator sees it in the log.
            tracing::info!(
                client_ip = %self.facts.client_ip,
                mail_from = %self.facts.mail_from,
                size = message.len(),
                "a message for the test domain's postmaster was accepted and discarded"
            );
            self.reset();
            let sent = self
                .send(
                    reader,
                    &Reply::new(250, "2.0.0", "Ok: delivered to postmaster"),
                )
                .await;
            return self.continue_if(sent);
        }
        if claimed.is_empty() {
            self.reset();
            return self.no_such_address(reader).await;
        }
        let mut facts = self.facts.clone();
        facts.size = message.len() as u64;
        facts.received_at = crate::now_rfc3339();
        let queue_id = claimed[0].id.clone();
        self.reset();
        let state = self.state.clone();
        tokio::spawn(crate::receiver::deliver::deliver(
            state, facts, message, claimed, held,
        ));
        let sent = self
            .send(
                reader,
                &Reply::new(250, "2.0.0", format!("Ok: queued as {queue_id}")),
            )
            .await;
        self.continue_if(sent)
    }
}
