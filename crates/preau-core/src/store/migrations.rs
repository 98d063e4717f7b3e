//! Schema migrations, numbered by SQLite's `user_version`. Shipped migrations are never
//! edited; a change is a new file appended to `MIGRATIONS`.
//!
//! Hand-written rather than rusqlite_migration: that crate pins an older rusqlite, and we
//! need a backup and a "newer file" check before anything runs anyway.

use rusqlite::Connection;

use super::APPLICATION_ID;
use crate::error::Result;

pub(super) const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/001_initial.sql"),
    include_str!("../../migrations/002_workflow.sql"),
    include_str!("../../migrations/003_proposals.sql"),
    include_str!("../../migrations/004_sync.sql"),
    include_str!("../../migrations/005_sync_proposals.sql"),
    include_str!("../../migrations/006_sync_log_any_write.sql"),
    include_str!("../../migrations/007_school_status.sql"),
    include_str!("../../migrations/008_catalogue_market.sql"),
    include_str!("../../migrations/009_drop_outbox.sql"),
    include_str!("../../migrations/010_delete_clears_conflicts.sql"),
    include_str!("../../migrations/011_sync_refused.sql"),
    include_str!("../../migrations/012_same_uai.sql"),
    include_str!("../../migrations/013_accepted_scenario.sql"),
    include_str!("../../migrations/014_sync_without_rowid.sql"),
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

pub(super) fn version_of(migrations: &[&str]) -> i64 {
    i64::try_from(migrations.len()).unwrap_or(i64::MAX)
}

/// Applies the migrations after `from`, all in one transaction.
pub(super) fn migrate(conn: &mut Connection, from: i64, migrations: &[&str]) -> Result<()> {
    let latest = version_of(migrations);
    if from >= latest {
        return Ok(());
    }
    let tx = conn.transaction()?;
    let start = usize::try_from(from).unwrap_or(0);
    for (i, sql) in migrations.iter().enumerate().skip(start) {
        tracing::info!(version = i + 1, "applying migration");
        tx.execute_batch(sql)?;
    }
    tx.pragma_update(None, "application_id", APPLICATION_ID)?;
    tx.pragma_update(None, "user_version", latest)?;
    tx.commit()?;
    Ok(())
}
