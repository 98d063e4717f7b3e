//! Schema migrations, numbered by SQLite's `user_version`. Shipped migrations are never
//! edited; a change is a new file appended to `MIGRATIONS`.
//!
//! Hand-written rather than rusqlite_migration: that crate pins an older rusqlite, and we
//! need a backup and a "newer file" check before anything runs anyway.

use rusqlite::Connection;

use super::APPLICATION_ID;
use crate::error::Result;

const MIGRATIONS: &[&str] = &[include_str!("../../migrations/001_initial.sql")];

pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Applies the migrations after `from`, all in one transaction.
pub(super) fn migrate(conn: &mut Connection, from: i64) -> Result<()> {
    if from >= SCHEMA_VERSION {
        return Ok(());
    }
    let tx = conn.transaction()?;
    let start = usize::try_from(from).unwrap_or(0);
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(start) {
        tracing::info!(version = i + 1, "applying migration");
        tx.execute_batch(sql)?;
    }
    tx.pragma_update(None, "application_id", APPLICATION_ID)?;
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    tx.commit()?;
    Ok(())
}
