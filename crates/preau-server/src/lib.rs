//! The syndicate's central server: device enrollment, the sync API and versioned
//! reference data, over embedded SQLite (default) or PostgreSQL.
//!
//! - `api.rs`: routes under `/api/v1`, JSON bodies, OpenAPI document;
//! - `auth.rs`: enrollment codes and bearer tokens (stored hashed);
//! - `merge.rs`: how a change meets a record (field merge, conflicts, tombstones);
//! - `authz.rs`: who may make a change (owners, shared schools, issued proposals);
//! - `quota.rs`: changes a device may push per hour;
//! - `storage/`: the one storage trait and its two backends;
//! - `admin.rs`: the admin subcommands' work (enroll, devices, reference imports).

pub mod admin;
pub mod api;
pub mod auth;
pub mod authz;
pub mod error;
pub mod merge;
pub mod quota;
pub mod storage;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

pub use error::{Error, Result};
pub use storage::Storage;

/// Serves the API on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    storage: Arc<dyn Storage>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let app = api::router(storage);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}

/// Binds `addr` and serves in a background task; returns the bound address (port 0 picks
/// a free port) and a handle that stops the server when dropped or aborted.
pub async fn spawn(
    addr: SocketAddr,
    storage: Arc<dyn Storage>,
) -> Result<(SocketAddr, tokio::task::JoinHandle<Result<()>>)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let handle = tokio::spawn(serve(listener, storage, std::future::pending()));
    Ok((local, handle))
}
