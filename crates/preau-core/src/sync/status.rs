//! What the sync state looks like from outside: changes waiting, records not applied
//! yet, conflicts, enrollment. Read by the home screen, the sync screen, the rail's
//! indicator and `preau-cli sync`; the running sync adds what it is doing now.

use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::Result;
use crate::store::Store;

/// The sync state the app and the CLI show.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncOverview {
    pub server_url: Option<String>,
    pub device_id: Option<String>,
    pub adviser: Option<String>,
    pub cursor: i64,
    pub last_sync: Option<String>,
    /// Local records changed and not yet acknowledged by the server.
    pub pending: u32,
    /// Pulled records not applied yet.
    pub waiting: u32,
    pub conflicts: u32,
    /// Local changes the server refused (another adviser's visit…), kept on this laptop.
    pub refused: u32,
}

/// Records changed locally and not yet acknowledged by the server: the distinct records
/// of the change log and of the changes made from it and still waiting for their ack (a
/// record in both counts once). What the home screen and the sync screen call "pending".
///
/// Counted as the log's records plus the waiting changes' records that have nothing left
/// in the log, each part read in its index's order (the log's key, `sync_outgoing_by_record`):
/// no temporary B-tree, which a `UNION` of the two needs and which cost a sync of 50,000
/// records as much as building its batches, since the count is read after every batch.
pub(crate) fn pending_records(conn: &Connection) -> Result<u32> {
    Ok(conn
        .prepare_cached(
            "SELECT (SELECT count(*) FROM (SELECT DISTINCT tbl, record_id FROM sync_log))
                  + (SELECT count(*) FROM (SELECT DISTINCT tbl, record_id FROM sync_outgoing o
                       WHERE NOT EXISTS (SELECT 1 FROM sync_log l
                                         WHERE l.tbl = o.tbl AND l.record_id = o.record_id)))",
        )?
        .query_row([], |r| r.get(0))?)
}

/// What a sync is doing, for the progress shown in the app.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum SyncPhase {
    #[default]
    Idle,
    /// Checking the server can be reached.
    Checking,
    Pushing,
    Pulling,
    Reference,
    Applying,
    /// A request failed; the sync tries again after a pause.
    Retrying,
}

/// The sync state the app shows on every screen: what the store knows (enrollment,
/// changes waiting, conflicts) and, filled in by the app, what the sync is doing now.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SyncStatus {
    pub enrolled: bool,
    pub server_url: Option<String>,
    pub adviser: Option<String>,
    pub device_id: Option<String>,
    pub device_name: Option<String>,
    /// UTC, RFC 3339; `None` before the first complete sync.
    pub last_sync: Option<String>,
    /// Local records changed and not yet acknowledged by the server.
    pub pending: u32,
    /// Pulled records not applicable yet.
    pub waiting: u32,
    pub conflicts: u32,
    /// Local changes the server refused (another adviser's visit…), kept on this laptop.
    pub refused: u32,
    /// The server refused this laptop's token: no more sync, local data stays.
    pub revoked: bool,
    pub running: bool,
    pub phase: SyncPhase,
    /// Progress of the current phase: `done` of `total` (`total` 0: unknown).
    pub done: u32,
    pub total: u32,
    /// The last attempt reached the server (`None`: not tried since start).
    pub online: Option<bool>,
    /// French message of the last failed attempt.
    pub last_error: Option<String>,
    /// Grows with each change of what the sync is doing: a state answered by a command
    /// may reach the window after a newer event, and is then ignored.
    pub seq: u32,
}

impl Store {
    /// The records with changes the server has not acknowledged yet
    /// ([`SyncOverview::pending`] alone: what a sync tells the server after each batch).
    pub fn sync_pending(&self) -> Result<u32> {
        pending_records(&self.conn)
    }

    pub fn sync_overview(&self) -> Result<SyncOverview> {
        let pending = pending_records(&self.conn)?;
        let waiting: u32 = self
            .conn
            .query_row("SELECT count(*) FROM sync_inbox", [], |r| r.get(0))?;
        let conflicts: u32 = self.conn.query_row(
            "SELECT count(*) FROM (SELECT DISTINCT tbl, record_id, field FROM sync_conflicts)",
            [],
            |r| r.get(0),
        )?;
        let refused = self.sync_refused_count()?;
        let s = self.sync_settings()?;
        Ok(SyncOverview {
            server_url: s.server_url,
            device_id: s.device_id,
            adviser: s.adviser,
            cursor: s.cursor,
            last_sync: s.last_sync,
            pending,
            waiting,
            conflicts,
            refused,
        })
    }

    /// The colleague a pulled visit belongs to, when it is not this laptop's adviser
    /// (`None`: a visit of this adviser, or one never synced).
    pub fn visit_owner(&self, visit_id: &str) -> Result<Option<String>> {
        use rusqlite::OptionalExtension;
        Ok(self
            .conn
            .prepare_cached(
                "SELECT o.adviser FROM sync_owners o WHERE o.visit_id = ?1
                   AND o.adviser IS NOT (SELECT value FROM sync_state WHERE key = 'adviser')",
            )?
            .query_row([visit_id], |r| r.get(0))
            .optional()?)
    }

    /// The sync state the store knows; the app adds what the running sync is doing.
    pub fn sync_status(&self) -> Result<SyncStatus> {
        let o = self.sync_overview()?;
        let s = self.sync_settings()?;
        Ok(SyncStatus {
            enrolled: o.server_url.is_some(),
            server_url: o.server_url,
            adviser: o.adviser,
            device_id: o.device_id,
            device_name: s.device_name.clone(),
            last_sync: o.last_sync,
            pending: o.pending,
            waiting: o.waiting,
            conflicts: o.conflicts,
            refused: o.refused,
            revoked: s.revoked(),
            ..SyncStatus::default()
        })
    }
}
