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

pub(crate) fn pending(conn: &Connection) -> Result<u32> {
    Ok(conn.query_row("SELECT count(*) FROM outbox", [], |r| r.get(0))?)
}
