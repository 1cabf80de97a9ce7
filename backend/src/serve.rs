//! The HTTP accept loop (#19 M2). `axum::serve` set no header-read timeout
//! and no connection limit: 1,000 connections sending one byte every 10 s
//! stayed open, and at the file-descriptor limit `accept` failed for
//! everyone. Here:
//!
//! - hyper's HTTP/1 `header_read_timeout` (with a Tokio timer) closes a
//!   connection that has not sent a whole request head within
//!   `--header-read-timeout-secs` (10). The timer also runs while a
//!   keep-alive connection waits for its next request, so it is the idle
//!   timeout too;
//! - at most `--max-connections` (1,024) connections are open; past it the
//!   loop stops accepting and new connections wait in the kernel's listen
//!   backlog until one closes, instead of failing `accept` with EMFILE.
//!
//! A reverse proxy with its own timeouts is still expected in front
//! (docs/deployment.md).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// Default seconds a client has to send a request head.
pub const DEFAULT_HEADER_READ_TIMEOUT_SECS: u64 = 10;
/// Default most connections open at once.
pub const DEFAULT_MAX_CONNECTIONS: u32 = 1024;

/// Connection limits of the server.
#[derive(Debug, Clone, Copy)]
pub struct ConnLimits {
    /// Time to send a whole request head (and the keep-alive idle time).
    pub header_read_timeout: Duration,
    /// Most connections open at once.
    pub max_connections: u32,
}

impl Default for ConnLimits {
    fn default() -> Self {
        ConnLimits {
            header_read_timeout: Duration::from_secs(DEFAULT_HEADER_READ_TIMEOUT_SECS),
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

/// Serves `router` on `listener` within `limits` until `shutdown` resolves,
/// then drains in-flight connections (graceful shutdown).
pub async fn serve_with(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    limits: ConnLimits,
) -> anyhow::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1) as usize));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            _ = &mut shutdown => break,
            permit = slots.clone().acquire_owned() => permit?,
        };
        let (stream, peer) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::warn!(error = %e, "accept error");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let service = router.clone().map_request(
            move |mut request: axum::http::Request<hyper::body::Incoming>| {
                request
                    .extensions_mut()
                    .insert(ConnectInfo::<SocketAddr>(peer));
                request
            },
        );
        let connection =
            builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}
