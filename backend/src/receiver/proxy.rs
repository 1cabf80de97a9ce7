//! The PROXY protocol (HAProxy's proxy-protocol.txt, versions 1 and 2) in
//! front of an SMTP session: a load balancer or HAProxy that forwards port
//! 25 opens each connection with a header naming the real client, so the
//! delivery report shows the sender's IP, its PTR and SPF for it, not the
//! balancer's. It is read only from peers the operator trusts
//! (`--smtp-proxy-protocol-from`); from anyone else the same bytes are an
//! SMTP command like any other and get `500` (never believed).
//!
//! Reading is exact and bounded: the header is read to its end and not a
//! byte further (the SMTP session reads what follows), in at most
//! [`MAX_V1`] or [`MAX_V2`] octets and within a deadline; anything else
//! closes the connection without a reply, as the specification asks
//! (§2: "the receiver must not try to guess … it must drop the
//! connection"). The parsing itself is the `ppp` crate's.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};

/// Longest version 1 header, CRLF included (spec §2.1: 107 octets).
pub const MAX_V1: usize = 107;
/// Longest version 2 header this receiver takes: the 16-octet preamble and
/// up to 496 octets of addresses and TLVs (spec §2.2 allows 65,535; a
/// balancer's TLVs, such as AWS's VPC endpoint id, fit well within it).
pub const MAX_V2: usize = 512;
/// Longest wait for the whole header.
pub const MAX_WAIT: Duration = Duration::from_secs(10);

/// The version 2 signature (spec §2.2).
const V2_SIGNATURE: [u8; 12] = *b"\r\n\r\n\0\r\nQUIT\n";

/// What a header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proxied {
    /// The connection is a client's, from this address.
    Client(SocketAddr),
    /// The proxy's own connection (v1 `UNKNOWN`, v2 `LOCAL`, or an address
    /// family other than TCP over IPv4/IPv6): the peer's address stands.
    Local,
}

/// Why a connection from a trusted proxy was dropped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProxyError {
    /// The header did not arrive in time.
    #[error("no complete PROXY header within {0:?}")]
    Timeout(Duration),
    /// The connection ended (or failed) before the header did.
    #[error("the connection ended inside the PROXY header")]
    Closed,
    /// Longer than this receiver takes.
    #[error("the PROXY header is longer than {0} octets")]
    TooLong(usize),
    /// Not a PROXY header, or a malformed one.
    #[error("not a valid PROXY header: {0}")]
    Invalid(String),
}

/// Reads one PROXY header (v1 or v2) from `stream` within `wait`.
pub async fn read_header<S: AsyncRead + Unpin>(
    stream: &mut S,
    wait: Duration,
) -> Result<Proxied, ProxyError> {
    tokio::time::timeout(wait, read(stream))
        .await
        .map_err(|_| ProxyError::Timeout(wait))?
}

async fn read<S: AsyncRead + Unpin>(stream: &mut S) -> Result<Proxied, ProxyError> {
    let closed = |_| ProxyError::Closed;
    // Six octets tell the versions apart ("PROXY " or the signature's
    // start) and are in every header, even v1's shortest.
    let mut header = vec![0u8; 6];
    stream.read_exact(&mut header).await.map_err(closed)?;
    if header == b"PROXY " {
        // Version 1: one line, read an octet at a time so nothing after
        // its LF is taken from the SMTP session.
        while header.last() != Some(&b'\n') {
            if header.len() >= MAX_V1 {
                return Err(ProxyError::TooLong(MAX_V1));
            }
            header.push(stream.read_u8().await.map_err(closed)?);
        }
        return parse_v1(&header);
    }
    if header[..] != V2_SIGNATURE[..6] {
        return Err(ProxyError::Invalid("no PROXY signature".into()));
    }
    header.resize(16, 0);
    stream.read_exact(&mut header[6..]).await.map_err(closed)?;
    let length = 16 + usize::from(u16::from_be_bytes([header[14], header[15]]));
    if length > MAX_V2 {
        return Err(ProxyError::TooLong(MAX_V2));
    }
    header.resize(length, 0);
    stream.read_exact(&mut header[16..]).await.map_err(closed)?;
    parse_v2(&header)
}

/// A complete version 1 header.
pub fn parse_v1(header: &[u8]) -> Result<Proxied, ProxyError> {
    use ppp::v1::Addresses;
    let parsed =
        ppp::v1::Header::try_from(header).map_err(|e| ProxyError::Invalid(e.to_string()))?;
    Ok(match parsed.addresses {
        Addresses::Tcp4(a) => {
            Proxied::Client(SocketAddr::new(IpAddr::V4(a.source_address), a.source_port))
        }
        Addresses::Tcp6(a) => {
            Proxied::Client(SocketAddr::new(IpAddr::V6(a.source_address), a.source_port))
        }
        Addresses::Unknown => Proxied::Local,
    })
}

/// A complete version 2 header.
pub fn parse_v2(header: &[u8]) -> Result<Proxied, ProxyError> {
    use ppp::v2::{Addresses, Command};
    let parsed =
        ppp::v2::Header::try_from(header).map_err(|e| ProxyError::Invalid(e.to_string()))?;
    if parsed.command == Command::Local {
        return Ok(Proxied::Local);
    }
    Ok(match parsed.addresses {
        Addresses::IPv4(a) => {
            Proxied::Client(SocketAddr::new(IpAddr::V4(a.source_address), a.source_port))
        }
        Addresses::IPv6(a) => {
            Proxied::Client(SocketAddr::new(IpAddr::V6(a.source_address), a.source_port))
        }
        // §2.2: an unsupported family: keep the connection's own address.
        Addresses::Unspecified | Addresses::Unix(_) => Proxied::Local,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn read_all(bytes: &[u8]) -> (Result<Proxied, ProxyError>, Vec<u8>) {
        let mut input = bytes;
        let result = read_header(&mut input, Duration::from_secs(1)).await;
        (result, input.to_vec())
    }

    fn v2(command: u8, family: u8, body: &[u8]) -> Vec<u8> {
        let mut h = V2_SIGNATURE.to_vec();
        h.push(0x20 | command);
        h.push(family);
        h.extend_from_slice(&(body.len() as u16).to_be_bytes());
        h.extend_from_slice(body);
        h
    }

    #[tokio::test]
    async fn version_1_and_2_give_the_client_and_leave_the_rest() {
        let (got, rest) =
            read_all(b"PROXY TCP4 192.0.2.25 198.51.100.1 40000 25\r\nEHLO x\r\n").await;
        assert_eq!(
            got,
            Ok(Proxied::Client("192.0.2.25:40000".parse().unwrap()))
        );
        assert_eq!(rest, b"EHLO x\r\n");
        let (got, _) = read_all(b"PROXY TCP6 2001:db8::25 2001:db8::1 40000 25\r\n").await;
        assert_eq!(
            got,
            Ok(Proxied::Client("[2001:db8::25]:40000".parse().unwrap()))
        );
        assert_eq!(read_all(b"PROXY UNKNOWN\r\n").await.0, Ok(Proxied::Local));

        let mut body = Vec::new();
        body.extend_from_slice(&[192, 0, 2, 26, 198, 51, 100, 1]);
        body.extend_from_slice(&40001u16.to_be_bytes());
        body.extend_from_slice(&25u16.to_be_bytes());
        let mut bytes = v2(1, 0x11, &body);
        bytes.extend_from_slice(b"EHLO y\r\n");
        let (got, rest) = read_all(&bytes).await;
        assert_eq!(
            got,
            Ok(Proxied::Client("192.0.2.26:40001".parse().unwrap()))
        );
        assert_eq!(rest, b"EHLO y\r\n");
        assert_eq!(read_all(&v2(0, 0x00, &[])).await.0, Ok(Proxied::Local));
    }

    #[tokio::test]
    async fn hostile_headers_are_refused_within_their_bounds() {
        // Not a header at all.
        assert!(matches!(
            read_all(b"EHLO x\r\n").await.0,
            Err(ProxyError::Invalid(_))
        ));
        // v1 without its end, past 107 octets: refused at 107, not read on.
        let long = [b"PROXY TCP4 ".as_slice(), &[b'1'; 300]].concat();
        let (got, rest) = read_all(&long).await;
        assert_eq!(got, Err(ProxyError::TooLong(MAX_V1)));
        assert_eq!(rest.len(), long.len() - MAX_V1);
        // v2 announcing 65,535 octets: refused on the preamble.
        let mut huge = V2_SIGNATURE.to_vec();
        huge.extend_from_slice(&[0x21, 0x11, 0xff, 0xff]);
        let (got, rest) = read_all(&huge).await;
        assert_eq!(got, Err(ProxyError::TooLong(MAX_V2)));
        assert!(rest.is_empty());
        // Truncated: the connection ends inside the header.
        assert_eq!(
            read_all(b"PROXY TCP4 192.0").await.0,
            Err(ProxyError::Closed)
        );
        assert_eq!(read_all(&huge[..10]).await.0, Err(ProxyError::Closed));
        // Malformed v1 and v2.
        assert!(matches!(
            read_all(b"PROXY TCP4 999.0.2.25 198.51.100.1 1 25\r\n")
                .await
                .0,
            Err(ProxyError::Invalid(_))
        ));
        assert!(matches!(
            read_all(&v2(1, 0x11, &[1, 2, 3])).await.0,
            Err(ProxyError::Invalid(_))
        ));
        // Every prefix of a good header, and garbage after a good preamble,
        // is an answer (never a panic).
        let good = b"PROXY TCP4 192.0.2.25 198.51.100.1 40000 25\r\n";
        for n in 0..good.len() {
            assert!(read_all(&good[..n]).await.0.is_err(), "{n}");
        }
        for byte in 0..=255u8 {
            let mut bytes = V2_SIGNATURE.to_vec();
            bytes.extend_from_slice(&[byte, byte, 0, 12]);
            bytes.extend_from_slice(&[byte; 12]);
            let _ = read_all(&bytes).await;
        }
    }

    #[tokio::test]
    async fn a_dribbling_header_is_cut_at_the_deadline() {
        let (mut client, mut server) = tokio::io::duplex(64);
        use tokio::io::AsyncWriteExt;
        client.write_all(b"PROXY TCP4 192.0.2.25").await.unwrap();
        let started = std::time::Instant::now();
        let got = read_header(&mut server, Duration::from_millis(300)).await;
        assert_eq!(got, Err(ProxyError::Timeout(Duration::from_millis(300))));
        assert!(started.elapsed() < Duration::from_secs(2));
        drop(client);
    }
}
