//! The syndicate's central server: device enrollment, the sync API and versioned
//! reference data, over embedded SQLite (default) or PostgreSQL.
//!
//! - `api.rs`: routes under `/api/v1`, JSON bodies, OpenAPI document;
//! - `auth.rs`: enrollment codes and bearer tokens (stored hashed);
//! - `merge.rs`: how a change meets a record (field merge, conflicts, tombstones);
//! - `authz.rs`: who may make a change (owners, shared schools, issued proposals);
//! - `quota.rs`: changes a device may push per hour;
//! - `storage/`: the one storage trait and its two backends;
//! - `admin.rs`: the admin subcommands' work (enroll, devices, reference imports);
//! - `listener.rs`: the accept loop (connection cap, header and idle timeouts, TLS);
//! - `middleware.rs`: client address, body timeout, request deadline, refusal logs;
//! - `tls.rs`: built-in TLS, its certificate reloaded when the files change;
//! - `pg_tls.rs`: PostgreSQL over TLS (`sslmode`);
//! - `text.rs`: client text made safe to print;
//! - `staff.rs`: the syndicate's staff accounts, sessions and audit log (issue 13);
//! - `follow.rs`: the follow-up steps of accepted proposals (issue 13);
//! - `web/`: the back-office, HTML under `/bureau` (issue 13).

pub mod admin;
pub mod api;
pub mod auth;
pub mod authz;
pub mod error;
pub mod follow;
pub mod listener;
pub mod merge;
pub mod middleware;
pub mod pg_tls;
pub mod quota;
pub mod reference;
pub mod staff;
pub mod storage;
pub mod text;
pub mod tls;
pub mod web;

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

pub use error::{Error, Result};
pub use storage::Storage;

/// How the server meets the network (issue 12); `Default` is what `serve` uses when the
/// configuration file says nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerOptions {
    pub limits: listener::Limits,
    pub auth: auth::AuthPolicy,
    /// Reverse proxies whose `X-Forwarded-For` names the client (none by default: the
    /// header is then ignored).
    pub trusted_proxies: Vec<IpAddr>,
    /// Built-in TLS; `None`: plain HTTP (behind a reverse proxy, or on loopback).
    pub tls: Option<tls::TlsFiles>,
    /// Changes one device may push per hour.
    pub quota: quota::PerHour,
}

/// The API with the middleware every request goes through.
pub fn app(storage: Arc<dyn Storage>, options: &ServerOptions) -> axum::Router {
    let guard = Arc::new(middleware::Guard {
        limits: options.limits.clone(),
        auth: options.auth.clone(),
        trusted_proxies: options.trusted_proxies.clone().into(),
    });
    api::router_with(Arc::clone(&storage), quota::Quota::new(options.quota.0))
        .merge(web::router(storage, options.tls.is_some()))
        .layer(axum::middleware::from_fn_with_state(
            guard,
            middleware::guard,
        ))
}

/// Serves the API on `listener` until `shutdown` resolves, with the default options.
pub async fn serve(
    listener: tokio::net::TcpListener,
    storage: Arc<dyn Storage>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    serve_with(listener, storage, ServerOptions::default(), shutdown).await
}

/// Serves the API on `listener` until `shutdown` resolves. A TLS pair that does not load
/// fails here, before anything is served.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    storage: Arc<dyn Storage>,
    options: ServerOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let tls = options.tls.as_ref().map(tls::acceptor).transpose()?;
    let app = app(storage, &options);
    listener::run(listener, app, options.limits, tls, shutdown).await
}

/// Binds `addr` and serves in a background task; returns the bound address (port 0 picks
/// a free port) and a handle that stops the server when dropped or aborted.
pub async fn spawn(
    addr: SocketAddr,
    storage: Arc<dyn Storage>,
) -> Result<(SocketAddr, tokio::task::JoinHandle<Result<()>>)> {
    spawn_with(addr, storage, ServerOptions::default()).await
}

/// [`spawn`] with options; the options are checked (and the TLS pair loaded) before it
/// returns.
pub async fn spawn_with(
    addr: SocketAddr,
    storage: Arc<dyn Storage>,
    options: ServerOptions,
) -> Result<(SocketAddr, tokio::task::JoinHandle<Result<()>>)> {
    options.limits.check()?;
    if let Some(files) = &options.tls {
        tls::acceptor(files)?;
    }
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let handle = tokio::spawn(serve_with(
        listener,
        storage,
        options,
        std::future::pending(),
    ));
    Ok((local, handle))
}
