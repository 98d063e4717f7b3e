//! One storage trait, two backends: embedded SQLite (the default) and PostgreSQL. Each
//! backend has its own migrations; the sync rules live in `merge.rs`, shared by both.
//!
//! Pushes are serialised (SQLite's single writer; a row lock on the sequence counter in
//! PostgreSQL), so sequence numbers become visible in order and a pull after cursor `n`
//! never skips a change committed later with a smaller number.

pub mod postgres;
pub mod sqlite;

use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, Utc};
use preau_protocol::{Ack, Change, ReferenceVersion};
use serde::Serialize;
use uuid::Uuid;

use crate::error::{Error, Result};

pub type Fut<'a, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Device {
    pub id: Uuid,
    pub adviser: String,
    pub name: String,
    pub enrolled_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// Last use of its token (renewed at most every few minutes; `None`: not since the
    /// enrollment), from which address, with which app (`preau/0.1.0`).
    pub last_seen_at: Option<DateTime<Utc>>,
    pub last_ip: Option<String>,
    pub app_version: Option<String>,
}

/// A page of records after a cursor.
#[derive(Debug, Clone)]
pub struct Page {
    pub records: Vec<crate::merge::PulledRecord>,
    pub next_cursor: i64,
    pub more: bool,
    /// Records after `next_cursor` (for the laptop's progress: n / total).
    pub remaining: u64,
}

/// What an enrollment gave the new device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrolled {
    pub adviser: String,
    /// Its code in proposal numbers (`preau_protocol::device_code` of a server counter).
    pub device_code: String,
}

pub trait Storage: Send + Sync + 'static {
    /// Records a one-time enrollment code (its hash) for `adviser`.
    fn create_enrollment<'a>(
        &'a self,
        code_hash: &'a str,
        adviser: &'a str,
        expires_at: DateTime<Utc>,
    ) -> Fut<'a, ()>;

    /// Consumes an unexpired, unused code, creates the device and hands it the next
    /// device code. `None`: no such code.
    fn enroll<'a>(
        &'a self,
        code_hash: &'a str,
        device: &'a Device,
        token_hash: &'a str,
        now: DateTime<Utc>,
    ) -> Fut<'a, Option<Enrolled>>;

    fn device_by_token<'a>(&'a self, token_hash: &'a str) -> Fut<'a, Option<Device>>;
    fn devices(&self) -> Fut<'_, Vec<Device>>;
    /// `false`: no such device.
    fn revoke(&self, id: Uuid, now: DateTime<Utc>) -> Fut<'_, bool>;

    /// Applies a batch in one transaction; a change id seen before is acknowledged with
    /// its first answer and not applied again.
    fn push<'a>(&'a self, device: Uuid, changes: &'a [Change]) -> Fut<'a, Vec<Ack>>;
    fn pull(&self, cursor: i64, limit: u32) -> Fut<'_, Page>;

    /// Publishes a new version of a reference data set; returns its version.
    fn publish_reference<'a>(&'a self, kind: &'a str, content: &'a str) -> Fut<'a, i64>;
    fn reference_versions(&self) -> Fut<'_, Vec<ReferenceVersion>>;
    fn reference<'a>(&'a self, kind: &'a str) -> Fut<'a, Option<(i64, String)>>;

    /// Records a use of a device's token (which renews it): when, from which address,
    /// with which app.
    fn touch_device<'a>(
        &'a self,
        id: Uuid,
        at: DateTime<Utc>,
        ip: Option<&'a str>,
        app_version: Option<&'a str>,
    ) -> Fut<'a, ()>;
}

/// The columns of `devices` a [`Device`] is read from, in this order (both backends).
pub(crate) const DEVICE_COLUMNS: &str =
    "id, adviser, name, enrolled_at, revoked_at, last_seen_at, last_ip, app_version";

/// Opens the storage a `--database-url` / `--data-dir` pair names.
pub async fn open(
    database_url: Option<&str>,
    data_dir: &std::path::Path,
) -> Result<std::sync::Arc<dyn Storage>> {
    match database_url {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => Ok(
            std::sync::Arc::new(postgres::PgStorage::connect(url).await?),
        ),
        Some(url) if url.starts_with("sqlite://") => {
            let path = std::path::PathBuf::from(url.trim_start_matches("sqlite://"));
            Ok(std::sync::Arc::new(sqlite::SqliteStorage::open(&path)?))
        }
        Some(other) => Err(Error::Storage(format!(
            "unsupported database URL scheme: {}",
            other.split(':').next().unwrap_or("")
        ))),
        None => {
            std::fs::create_dir_all(data_dir)?;
            Ok(std::sync::Arc::new(sqlite::SqliteStorage::open(
                &data_dir.join(sqlite::DB_FILE),
            )?))
        }
    }
}

pub(crate) fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub(crate) fn parse_ts(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| Error::Storage(format!("bad timestamp {s:?}: {e}")))
}
