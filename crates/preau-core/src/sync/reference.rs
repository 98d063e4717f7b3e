//! Reference data published by the server (catalogue, funding rules, schools): each data
//! set is checked by the laptop's own parser before it replaces the one in use, and the
//! version received is kept so the next sync asks only for newer ones.

use std::collections::HashMap;

use rusqlite::params;

use crate::error::Result;
use crate::store::{now_utc, Store};

impl Store {
    /// Records the reference data received from the server; schools are imported into
    /// the store as a directory import would.
    pub fn sync_reference_received(
        &mut self,
        kind: &str,
        version: i64,
        content: &str,
    ) -> Result<()> {
        // Each data set is checked before it replaces the one in use; a bad one is
        // refused and the laptop keeps what it had.
        match kind {
            "schools" => {
                self.schools_import(content.as_bytes())?;
            }
            "catalogue" => {
                let tx = self.conn.savepoint()?;
                crate::reference::install_server_catalogue(&tx, content, version)?;
                tx.commit()?;
            }
            "funding" => {
                let tx = self.conn.savepoint()?;
                crate::reference::install_server_funding(&tx, content, version)?;
                tx.commit()?;
            }
            _ => {}
        }
        self.conn.execute(
            "INSERT INTO sync_reference (kind, version, content, received_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (kind) DO UPDATE SET version = excluded.version,
               content = excluded.content, received_at = excluded.received_at",
            params![kind, version, content, now_utc()],
        )?;
        Ok(())
    }

    /// The reference data versions received so far.
    pub fn sync_reference_versions(&self) -> Result<HashMap<String, i64>> {
        let mut stmt = self
            .conn
            .prepare("SELECT kind, version FROM sync_reference")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
