//! Changes the server refused (issue 12): a record of another adviser's visit changed
//! here, an issued proposal this laptop may not send. The refused values are kept in
//! `sync_refused` (schema 11), never dropped, and the record goes back to the server's
//! state — or, when the server has none, leaves this laptop — so the laptop and the
//! server agree again and the sync goes on. The sync screen counts them.

use rusqlite::{params, TransactionBehavior};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::incoming::{apply_records, IncomingRecord};
use super::tables::{bad, table};
use crate::error::Result;
use crate::store::{now_utc, Store};

/// A change the server refused, with its reason and the server's record (`None`: the
/// server has no such record).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefusedChange {
    pub change_id: String,
    pub table: String,
    pub record_id: String,
    pub deleted: bool,
    pub fields: Map<String, Value>,
    /// The server's error code (`forbidden`, `invalid_proposal`, `record_too_large`…).
    pub code: String,
    /// The server's reason, in English (for IT).
    pub message: String,
    pub record: Option<IncomingRecord>,
}

impl Store {
    /// Keeps the refused changes aside, forgets them as outgoing, and puts their records
    /// back as the server has them, in one transaction. A record the server does not
    /// have is removed here (its values stay in `sync_refused`).
    pub fn sync_refused(&mut self, refused: &[RefusedChange]) -> Result<()> {
        if refused.is_empty() {
            return Ok(());
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let now = now_utc();
        let mut server: Vec<IncomingRecord> = Vec::with_capacity(refused.len());
        for r in refused {
            tx.prepare_cached(
                "INSERT OR REPLACE INTO sync_refused
                   (change_id, tbl, record_id, deleted, fields, code, message, refused_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                r.change_id,
                r.table,
                r.record_id,
                r.deleted,
                serde_json::to_string(&r.fields).map_err(|e| bad(e.to_string()))?,
                r.code,
                r.message,
                now
            ])?;
            tx.prepare_cached("DELETE FROM sync_outgoing WHERE change_id = ?1")?
                .execute([&r.change_id])?;
            tracing::warn!(table = %r.table, record = %r.record_id, code = %r.code,
                reason = %r.message, "change refused by the server; kept aside");
            if table(&r.table).is_none() {
                continue;
            }
            // The last word on a record is the latest refusal's.
            server.retain(|s| !(s.table == r.table && s.record_id == r.record_id));
            server.push(r.record.clone().unwrap_or_else(|| IncomingRecord {
                table: r.table.clone(),
                record_id: r.record_id.clone(),
                revision: 0,
                deleted: true,
                fields: Map::new(),
                conflicts: Vec::new(),
                owner: None,
            }));
        }
        apply_records(&tx, &server)?;
        tx.commit()?;
        Ok(())
    }

    /// How many changes the server refused (kept on this laptop).
    pub fn sync_refused_count(&self) -> Result<u32> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM sync_refused", [], |r| r.get(0))?)
    }
}
