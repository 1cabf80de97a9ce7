//! A stream that fails reads past a line cap or a total cap (#19 M1).
//!
//! lettre 0.11.23 reads SMTP replies into a `String` that grows until a line
//! feed arrives (`async_connection.rs`, `read_response`): a server sending
//! `220-` and then 1 GiB without LF grew the process to 1.06 GB. The mailbox
//! probe hands lettre this wrapper instead of the TCP stream, so a read that
//! would pass [`MAX_LINE`] bytes without a line feed, or [`MAX_TOTAL`] bytes
//! in all, fails with an I/O error that lettre reports. Under STARTTLS the
//! wrapper sits below TLS: the total cap still bounds the dialogue (TLS
//! never inflates what it decrypts), the line cap then sees ciphertext, in
//! which a line feed comes every 256 bytes on average.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// Longest reply line read (RFC 5321 §4.5.3.1.5 allows 512 octets; servers
/// send longer EHLO lines, never kilobytes).
pub const MAX_LINE: usize = 8 * 1024;
/// Most bytes read over one probe connection (replies, and under STARTTLS
/// the TLS handshake with the certificate chain).
pub const MAX_TOTAL: usize = 256 * 1024;

/// A TCP stream with bounded reads.
pub struct BoundedStream {
    inner: TcpStream,
    line: usize,
    total: usize,
}

impl BoundedStream {
    /// Wraps `inner`.
    pub fn new(inner: TcpStream) -> Self {
        BoundedStream {
            inner,
            line: 0,
            total: 0,
        }
    }

    /// Counts `data` (just read); an error once a cap is passed.
    fn account(&mut self, data: &[u8]) -> io::Result<()> {
        self.total = self.total.saturating_add(data.len());
        if self.total > MAX_TOTAL {
            return Err(io::Error::other(format!(
                "the server sent more than {MAX_TOTAL} bytes"
            )));
        }
        match data.iter().rposition(|&b| b == b'\n') {
            Some(lf) => self.line = data.len() - lf - 1,
            None => self.line += data.len(),
        }
        if self.line > MAX_LINE {
            return Err(io::Error::other(format!(
                "reply line longer than {MAX_LINE} bytes"
            )));
        }
        Ok(())
    }
}

impl fmt::Debug for BoundedStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoundedStream")
            .field("line", &self.line)
            .field("total", &self.total)
            .finish()
    }
}

impl AsyncRead for BoundedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => Poll::Ready(self.account(&buf.filled()[before..])),
            other => other,
        }
    }
}

impl AsyncWrite for BoundedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, data)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

impl lettre::transport::smtp::client::AsyncTokioStream for BoundedStream {
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.peer_addr()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn caps_lines_and_total() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let tcp = TcpStream::connect(addr).await.unwrap();
        let mut s = BoundedStream::new(tcp);
        assert!(s.account(&[b'a'; MAX_LINE]).is_ok());
        assert!(s.account(b"\n").is_ok());
        assert!(s.account(&[b'a'; MAX_LINE]).is_ok());
        assert!(s.account(b"a").is_err(), "one byte past the line cap");
        let mut s = BoundedStream::new(TcpStream::connect(addr).await.unwrap());
        let lines = b"250-x\r\n".repeat(MAX_TOTAL / 7);
        assert!(s.account(&lines).is_ok());
        assert!(s.account(&[b'\n'; 8]).is_err(), "past the total cap");
    }
}
