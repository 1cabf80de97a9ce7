//! A tiny HTTPS server on loopback (tokio-rustls, a leaf from the test CA)
//! that answers every request with one canned response, or never answers.
//! For MTA-STS and BIMI fetches.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::rustls;

use crate::pki::Leaf;

/// A one-response-per-connection HTTPS server.
#[derive(Debug)]
pub struct Https {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Connections accepted.
    pub connections: Arc<AtomicU64>,
    /// The raw requests received.
    pub requests: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Https {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What the server answers.
#[derive(Debug, Clone)]
pub enum Serve {
    /// These bytes, then close.
    Canned(Vec<u8>),
    /// Nothing: accept, read the request and never answer.
    Silent,
    /// `head` at once, then `body` one byte per `gap` (a slow body).
    Trickle {
        /// Status line and headers, CRLF CRLF included.
        head: Vec<u8>,
        /// The body.
        body: Vec<u8>,
        /// Pause between body bytes.
        gap: Duration,
    },
}

/// Starts a server presenting `leaf`; `None` means accept and never answer.
pub async fn https(leaf: &Leaf, response: Option<Vec<u8>>) -> Https {
    https_serving(leaf, response.map_or(Serve::Silent, Serve::Canned)).await
}

/// Starts a server presenting `leaf` that answers every request with `serve`.
pub async fn https_serving(leaf: &Leaf, response: Serve) -> Https {
    let certs = rustls_pemfile::certs(&mut leaf.chain_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = rustls_pemfile::private_key(&mut leaf.key_pem.as_bytes())
        .unwrap()
        .unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let connections = Arc::new(AtomicU64::new(0));
    let requests = Arc::new(Mutex::new(Vec::new()));
    let (count, log) = (connections.clone(), requests.clone());
    let task = tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::Relaxed);
            let acceptor = acceptor.clone();
            let response = response.clone();
            let log = log.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                log.lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&request).into_owned());
                match response {
                    Serve::Canned(bytes) => {
                        let _ = tls.write_all(&bytes).await;
                        let _ = tls.shutdown().await;
                    }
                    Serve::Silent => tokio::time::sleep(Duration::from_secs(60)).await,
                    Serve::Trickle { head, body, gap } => {
                        if tls.write_all(&head).await.is_err() {
                            return;
                        }
                        for byte in body {
                            if tls.write_all(&[byte]).await.is_err() || tls.flush().await.is_err() {
                                return;
                            }
                            tokio::time::sleep(gap).await;
                        }
                        let _ = tls.shutdown().await;
                    }
                }
            });
        }
    });
    Https {
        addr,
        connections,
        requests,
        task,
    }
}

/// A `200 OK` text/plain response with `body`.
pub fn ok_response(body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}
