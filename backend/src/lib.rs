//! mxlens backend: the HTTP API, the live domain audit, the report store and
//! the command line. `app(state)` builds the router; `main.rs` stays thin.

pub mod audit;
pub mod batch;
pub mod cli;
pub mod cpu;
pub mod dedup;
pub mod dkim;
pub mod dns_budget;
pub mod error;
pub mod http;
pub mod live;
pub mod metrics;
pub mod openapi;
pub mod probe;
pub mod quota;
pub mod ratelimit;
pub mod receiver;
pub mod reports;
pub mod reputation;
pub mod resolver;
pub mod routes;
pub mod security;
pub mod serve;
pub mod ssrf;
pub mod store;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use tokio::net::TcpListener;

pub use routes::app;

/// The current time as RFC 3339 (UTC, seconds precision): the clock lives
/// here, never in `shared`.
pub fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    now.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_string())
}

/// Everything handlers share.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The report store.
    pub store: store::Store,
    /// DNS for audits.
    pub lookup: Arc<resolver::HickoryLookup>,
    /// Running and finished audits.
    pub audits: Arc<audit::AuditRegistry>,
    /// Audit settings (deadline, blocklists).
    pub audit_config: Arc<audit::AuditConfig>,
    /// The built frontend (Trunk's `dist/`).
    pub dist_dir: PathBuf,
    /// Rate limits and the concurrent-audit cap.
    pub limits: Arc<ratelimit::Limits>,
    /// Stored reports expire this many days after creation.
    pub retention_days: u32,
    /// Stored-size cap, per-client daily quota and store quota.
    pub quota: Arc<quota::StoreQuota>,
    /// Prometheus metrics of this server (`GET /metrics`).
    pub metrics: Arc<metrics::Metrics>,
    /// The CPUs for analyses and rendering, with a bounded waiting queue.
    pub cpu: Arc<cpu::CpuPool>,
    /// The DKIM key cache and limit of `GET /api/dkim-key`.
    pub dkim_keys: Arc<dkim::KeyService>,
    /// The SMTP receiver of test addresses, when `--smtp-listen` is set.
    pub receiver: Option<Arc<receiver::Receiver>>,
    /// With PostgreSQL: test addresses' and audits' events shared with
    /// the other instances (`None` on SQLite: one process).
    pub live: Option<Arc<live::LiveBus>>,
}

/// A running server, for tests: its address and a handle to stop it.
#[derive(Debug)]
pub struct RunningServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Resolves when the server has stopped.
    pub handle: tokio::task::JoinHandle<anyhow::Result<()>>,
}

/// Serves `router` on `listener` with the default connection limits until
/// `shutdown` resolves, then drains in-flight requests (graceful shutdown).
pub async fn serve_on(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    serve::serve_with(listener, router, shutdown, serve::ConnLimits::default()).await
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown signal received, draining connections");
}
