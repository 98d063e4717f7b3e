//! Préau's client sync engine, the one place the laptop's side of the sync lives; the app
//! and `preau-cli` are thin front ends over it.
//!
//! - [`account`]: enrollment (first or again) and revocation.
//! - [`engine`]: one sync. It pushes the laptop's pending changes in batches (each change
//!   keeps its client-made id until acknowledged, so a retried batch is never applied
//!   twice), pulls the server's records after the saved cursor in pages (staged with the
//!   cursor, so an interrupted pull resumes), fetches newer reference data, then applies
//!   what was pulled. Transport failures and 5xx are retried with backoff.
//! - [`policy`]: when to sync — a pure function of events and time (edits seen, the server
//!   reachable again, failures and their backoff, « Synchroniser »), tested without network.
//! - [`worker`]: the background task that follows the policy on its own store connection
//!   and tells an [`worker::Observer`] (the window) what it does.
//!
//! It talks HTTPS (rustls), or plain HTTP to a loopback address; plain HTTP elsewhere only
//! when [`SyncOptions::allow_plain_http`] says so.

pub mod account;
mod client;
pub mod engine;
mod error;
pub mod policy;
pub mod worker;

pub use account::{enroll, host_name, Enrolled};
pub use client::{check_url, health, Client};
pub use engine::{sync, Progress, SyncOptions, SyncReport};
pub use error::Error;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The runtime a sync runs on, the same for the app, the CLI and the benches: the caller's
/// thread drives the sync (and the store, which is not `Send`-shared), one worker thread
/// drives the connections. With a single thread, a request was not even written to the
/// socket while the store built the next batch or applied the last page; here the network
/// and the store overlap, as the engine's `join!`s intend.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("preau-sync-net")
        .enable_all()
        .build()
        .map_err(|e| Error::Network(format!("sync runtime: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_loopback() {
        assert!(check_url("https://sync.example.fr/", false).is_ok());
        assert!(check_url("http://127.0.0.1:8080", false).is_ok());
        assert!(check_url("http://[::1]:8080", false).is_ok());
        assert!(check_url("http://localhost:8080", false).is_ok());
        assert!(matches!(
            check_url("http://sync.example.fr", false),
            Err(Error::InsecureUrl(_))
        ));
        assert!(check_url("http://sync.example.fr", true).is_ok());
        assert!(matches!(check_url("ftp://x", true), Err(Error::BadUrl(_))));
    }
}
