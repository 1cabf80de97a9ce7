//! mxlens itself, in-process on an ephemeral loopback port, configured
//! through the real command-line parser, on either report store.

use std::net::SocketAddr;

use clap::Parser;
use mxlens_backend::cli::{Cli, Command};

use crate::dns::TestDns;
use crate::postgres::TestPostgres;

/// Which report store a test server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    /// A fresh SQLite file in a temporary directory.
    Sqlite,
    /// A private PostgreSQL cluster started for this server.
    Postgres,
}

/// A running mxlens server. Dropping it stops it.
#[derive(Debug)]
pub struct TestServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Base URL, `http://127.0.0.1:PORT`.
    pub url: String,
    /// The SMTP receiver's address, when started with `--smtp-listen`.
    pub smtp_addr: Option<SocketAddr>,
    /// The server's state (test addresses, store), for in-process checks.
    pub state: mxlens_backend::AppState,
    smtp_task: Option<tokio::task::JoinHandle<()>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    _data: tempfile::TempDir,
    // Dropped after the server is told to stop (fields drop in order).
    _postgres: Option<TestPostgres>,
    _dns: Option<TestDns>,
}

impl TestServer {
    /// Starts `mxlens serve` with extra command-line `args` (for example
    /// `--nameserver 127.0.0.1:5353`), a fresh SQLite store and the
    /// repository's built frontend (`dist/`).
    ///
    /// Without a `--nameserver` in `args`, the server asks a test DNS server
    /// of its own on loopback that holds no zones (every name NXDOMAIN), so
    /// no test ever queries the machine's resolver: the server looks up DKIM
    /// keys and blocklists for pasted messages and the browser's link hosts.
    pub async fn start(args: &[&str]) -> anyhow::Result<Self> {
        Self::start_with(StoreKind::Sqlite, args).await
    }

    /// Like [`TestServer::start`], on a fresh store of the given kind.
    pub async fn start_with(store: StoreKind, args: &[&str]) -> anyhow::Result<Self> {
        match store {
            StoreKind::Sqlite => Self::start_on(None, args).await,
            StoreKind::Postgres => {
                let postgres = TestPostgres::start().await?;
                let url = postgres.url();
                let mut server = Self::start_on(Some(&url), args).await?;
                server._postgres = Some(postgres);
                Ok(server)
            }
        }
    }

    /// Starts a server on the store at `database_url` (several servers can
    /// share one PostgreSQL database), or on a fresh SQLite file when `None`.
    pub async fn start_on(database_url: Option<&str>, args: &[&str]) -> anyhow::Result<Self> {
        let data = tempfile::Builder::new().prefix("mxlens-data").tempdir()?;
        let db = match database_url {
            Some(url) => url.to_string(),
            None => format!("sqlite://{}/mxlens.db", data.path().display()),
        };
        let dist = crate::repo_root().join("dist");
        let dist = dist.display().to_string();
        let mut argv = vec![
            "mxlens",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            &db,
            "--dist",
            &dist,
        ];
        argv.extend_from_slice(args);
        let has_nameserver = args
            .iter()
            .any(|a| *a == "--nameserver" || a.starts_with("--nameserver="));
        let (dns, dns_addr) = if has_nameserver {
            (None, String::new())
        } else {
            let dns = TestDns::start(&[]).await?;
            let addr = dns.addr.to_string();
            (Some(dns), addr)
        };
        if dns.is_some() {
            argv.extend_from_slice(&["--nameserver", &dns_addr]);
        }
        let cli = Cli::try_parse_from(argv)?;
        let Command::Serve(serve) = cli.command else {
            anyhow::bail!("not a serve command");
        };
        let state = mxlens_backend::cli::build_state(&serve).await?;
        let smtp = mxlens_backend::cli::start_receiver(&serve, &state).await?;
        let listener = tokio::net::TcpListener::bind(serve.listen).await?;
        let addr = listener.local_addr()?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(mxlens_backend::serve::serve_with(
            listener,
            mxlens_backend::app(state.clone()),
            async move {
                let _ = rx.await;
            },
            serve.conn_limits(),
        ));
        Ok(TestServer {
            addr,
            url: format!("http://{addr}"),
            smtp_addr: smtp.as_ref().map(|(addr, _)| *addr),
            state,
            smtp_task: smtp.map(|(_, task)| task),
            stop: Some(tx),
            _data: data,
            _postgres: None,
            _dns: dns,
        })
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.smtp_task.take() {
            task.abort();
        }
    }
}
