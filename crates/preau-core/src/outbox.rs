//! Records changed locally since the last sync with the syndicate's server.

use rusqlite::Connection;

use crate::error::Result;

pub(crate) fn mark(conn: &Connection, entity: &str, id: &str) -> Result<()> {
    conn.execute(
        "INSERT OR IGNORE INTO outbox (entity, entity_id) VALUES (?1, ?2)",
        [entity, id],
    )?;
    Ok(())
}

/// Records changed locally and not yet acknowledged by the server (schema 4 tracks them
/// per field in `sync_log`, then `sync_outgoing`; see `sync_state.rs`).
pub(crate) fn pending(conn: &Connection) -> Result<u32> {
    Ok(conn.query_row(
        "SELECT (SELECT count(*) FROM (SELECT DISTINCT tbl, record_id FROM sync_log))
              + (SELECT count(*) FROM sync_outgoing)",
        [],
        |r| r.get(0),
    )?)
}
