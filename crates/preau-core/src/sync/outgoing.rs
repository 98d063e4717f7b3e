//! Local changes on their way to the server. The triggers log which fields of which
//! records changed (`sync_log`); a batch turns the log into changes with ids made here,
//! kept in `sync_outgoing` until the server acknowledges them, so a change resent after a
//! lost answer has the same id and the server takes it once.

use std::collections::HashMap;

use rusqlite::{params, OptionalExtension, TransactionBehavior};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::tables::{bad, read_row_where, table};
use crate::error::Result;
use crate::store::Store;

/// A change the server acknowledged, with the revision it gave the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acknowledged {
    pub change_id: String,
    pub revision: i64,
}

/// A change ready to push.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutgoingChange {
    pub change_id: String,
    pub table: String,
    pub record_id: String,
    pub base_revision: i64,
    pub fields: Map<String, Value>,
    pub deleted: bool,
}

impl Store {
    /// The changes to push next, at most `max`: those already made and not acknowledged
    /// (same ids as before), else new ones made from the log.
    ///
    /// The log is read in `seq` order (index `sync_log_by_seq`) and the scan stops once
    /// `max` records are found, so a batch costs the same whatever the size of the log
    /// (records come in the order of their first logged change, as before).
    pub fn sync_outgoing(&mut self, max: usize) -> Result<Vec<OutgoingChange>> {
        let existing = self.outgoing_saved(max)?;
        if !existing.is_empty() {
            return Ok(existing);
        }
        self.sync_outgoing_build(max)
    }

    /// The changes saved and not yet acknowledged, at most `max`, in order.
    pub fn sync_outgoing_saved(&self, max: usize) -> Result<Vec<OutgoingChange>> {
        self.outgoing_saved(max)
    }

    /// Makes at most `max` new changes from the log and saves them after those already
    /// waiting (a client may build the next batch while the previous one is in flight;
    /// they are sent, and acknowledged, in this order). Empty: the log is empty.
    pub fn sync_outgoing_build(&mut self, max: usize) -> Result<Vec<OutgoingChange>> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = build_in(&tx, max)?;
        tx.commit()?;
        Ok(out)
    }

    /// Forgets the changes the server acknowledged and makes the next ones, in one
    /// transaction: a client building while a batch is in flight saves a commit per batch
    /// and keeps the acknowledgement off the path between two requests. (An
    /// acknowledgement lost to a crash only means the change is sent again, and the server
    /// answers it is a duplicate.)
    pub fn sync_acknowledge_and_build(
        &mut self,
        acked: &[Acknowledged],
        max: usize,
    ) -> Result<Vec<OutgoingChange>> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        acknowledge_in(&tx, acked)?;
        let out = build_in(&tx, max)?;
        tx.commit()?;
        Ok(out)
    }

    fn outgoing_saved(&self, max: usize) -> Result<Vec<OutgoingChange>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT change_id, tbl, record_id, base_revision, fields, deleted FROM sync_outgoing
             ORDER BY position LIMIT ?1",
        )?;
        let rows = stmt.query_map([i64::try_from(max).unwrap_or(i64::MAX)], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, bool>(5)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (change_id, table, record_id, base_revision, fields, deleted) = row?;
            let fields = match serde_json::from_str::<Value>(&fields) {
                Ok(Value::Object(m)) => m,
                _ => return Err(bad(format!("stored change {change_id} has bad fields"))),
            };
            out.push(OutgoingChange {
                change_id,
                table,
                record_id,
                base_revision,
                fields,
                deleted,
            });
        }
        Ok(out)
    }

    /// Forgets the changes the server acknowledged. A record made here and acknowledged
    /// gets its first revision (`sync_records`): it is known to the server now, so
    /// deleting it must be said even if no pull has brought the record back yet.
    pub fn sync_acknowledge(&mut self, acked: &[Acknowledged]) -> Result<()> {
        let tx = self.conn.transaction()?;
        acknowledge_in(&tx, acked)?;
        tx.commit()?;
        Ok(())
    }
}

fn acknowledge_in(tx: &rusqlite::Transaction, acked: &[Acknowledged]) -> Result<()> {
    let mut known = tx.prepare_cached(
        "INSERT INTO sync_records (tbl, record_id, revision)
         SELECT tbl, record_id, ?2 FROM sync_outgoing
         WHERE change_id = ?1 AND base_revision = 0 AND deleted = 0 AND ?2 > 0
         ON CONFLICT (tbl, record_id) DO NOTHING",
    )?;
    let mut forget = tx.prepare_cached("DELETE FROM sync_outgoing WHERE change_id = ?1")?;
    for a in acked {
        known.execute(params![a.change_id, a.revision])?;
        forget.execute([&a.change_id])?;
    }
    Ok(())
}

/// Makes at most `max` new changes from the log, saved after those already waiting; the
/// changes in the order `outgoing_saved` would read them back.
///
/// The log is read once, in `seq` order, until a record beyond the `max`th would start:
/// the records met, each with the fields its rows name, are the batch, and exactly the rows
/// read are forgotten — by `seq` range, in one statement, and one by one only for the rows
/// that share their `seq` with the first row left (a key change logs two records under one
/// `seq`). A record's rows further on (a field edited again since) stay in the log and go
/// with a later batch, as an edit made after this one would. Reading each record's fields
/// and forgetting them with a statement each cost two of its five statements.
fn build_in(tx: &rusqlite::Transaction, max: usize) -> Result<Vec<OutgoingChange>> {
    let first_position: i64 = tx
        .prepare_cached("SELECT coalesce(max(position) + 1, 0) FROM sync_outgoing")?
        .query_row([], |r| r.get(0))?;
    let mut out = Vec::new();
    if max == 0 {
        return Ok(out);
    }
    // A slice of the log whose records all have nothing to send (made and deleted here,
    // only local columns) must not look like the end of the log — the engine stops a push
    // at an empty batch: read on until a change is made or the log is read to its end.
    // (Found by `outgoing_prop`: records left in the log after the push said it was done.)
    loop {
        let (groups, read) = read_log(tx, max)?;
        forget_read(tx, &read)?;
        make_changes(tx, groups, first_position, &mut out)?;
        if !out.is_empty() || read.below.is_none() {
            return Ok(out);
        }
    }
}

/// The changes for `groups`, saved from `first_position` on, pushed to `out`.
fn make_changes(
    tx: &rusqlite::Transaction,
    groups: Vec<Logged>,
    first_position: i64,
    out: &mut Vec<OutgoingChange>,
) -> Result<()> {
    {
        // Prepared once for the batch.
        let mut revision = tx.prepare_cached(
            "SELECT revision FROM sync_records WHERE tbl = ?1 AND record_id = ?2",
        )?;
        let mut save = tx.prepare_cached(
            "INSERT INTO sync_outgoing (change_id, position, tbl, record_id, base_revision,
               fields, deleted) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        let mut in_flight =
            tx.prepare_cached("SELECT 1 FROM sync_outgoing WHERE tbl = ?1 AND record_id = ?2")?;
        for (position, (tbl, record_id, fields_logged)) in groups.into_iter().enumerate() {
            let Some((_, t)) = table(&tbl) else {
                continue;
            };
            let whole = fields_logged.iter().any(|f| f == "*");
            let wanted = |column: &str| {
                !t.is_local(column) && (whole || fields_logged.iter().any(|f| f == column))
            };
            let (fields, deleted) = match read_row_where(tx, t, &record_id, wanted)? {
                None => (Map::new(), true),
                Some(fields) if fields.is_empty() && !whole => continue,
                Some(fields) => (fields, false),
            };
            let base: i64 = revision
                .query_row([&tbl, &record_id], |r| r.get(0))
                .optional()?
                .unwrap_or(0);
            if deleted && base == 0 && !in_flight.exists([&tbl, &record_id])? {
                // Made and deleted before the server ever saw it (never pulled, never
                // acknowledged, not on its way): nothing to say.
                continue;
            }
            let change_id = crate::store::make_id();
            let fields_text = serde_json::to_string(&fields).map_err(|e| bad(e.to_string()))?;
            save.execute(params![
                change_id,
                first_position.saturating_add(i64::try_from(position).unwrap_or(i64::MAX)),
                tbl,
                record_id,
                base,
                fields_text,
                deleted
            ])?;
            out.push(OutgoingChange {
                change_id,
                table: tbl,
                record_id,
                base_revision: base,
                fields,
                deleted,
            });
        }
    }
    Ok(())
}

/// One record's logged rows in a batch: table, record id, the fields named.
type Logged = (String, String, Vec<String>);

/// Which log rows a batch read: every row below `below` (`None`: every row, the log was read
/// to its end), and these rows at `below` itself.
struct Read {
    below: Option<i64>,
    last: Option<i64>,
    at_boundary: Vec<(String, String, String)>,
}

/// The first `max` records of the log in `seq` order with their fields, and which rows
/// that took.
fn read_log(tx: &rusqlite::Transaction, max: usize) -> Result<(Vec<Logged>, Read)> {
    let mut groups: Vec<Logged> = Vec::new();
    let mut read = Read {
        below: None,
        last: None,
        at_boundary: Vec::new(),
    };
    if max == 0 {
        read.below = Some(i64::MIN);
        return Ok((groups, read));
    }
    let mut index: HashMap<(String, String), usize> = HashMap::new();
    let mut stmt = tx.prepare_cached(
        "SELECT tbl, record_id, field, seq FROM sync_log ORDER BY seq, tbl, record_id",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let (tbl, record_id, field, seq): (String, String, String, i64) =
            (row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?);
        if read.last != Some(seq) {
            read.at_boundary.clear();
        }
        let key = (tbl, record_id);
        match index.get(&key) {
            Some(&i) => {
                if let Some(group) = groups.get_mut(i) {
                    group.2.push(field.clone());
                }
            }
            None if groups.len() >= max => {
                // `at_boundary` already holds only this `seq`'s rows (cleared above).
                read.below = Some(seq);
                return Ok((groups, read));
            }
            None => {
                index.insert(key.clone(), groups.len());
                groups.push((key.0.clone(), key.1.clone(), vec![field.clone()]));
            }
        }
        read.at_boundary.push((key.0, key.1, field));
        read.last = Some(seq);
    }
    Ok((groups, read))
}

/// Deletes exactly the log rows [`read_log`] read.
fn forget_read(tx: &rusqlite::Transaction, read: &Read) -> Result<()> {
    match read.below {
        None => {
            if let Some(last) = read.last {
                tx.prepare_cached("DELETE FROM sync_log WHERE seq <= ?1")?
                    .execute([last])?;
            }
        }
        Some(below) => {
            tx.prepare_cached("DELETE FROM sync_log WHERE seq < ?1")?
                .execute([below])?;
            if read.last == Some(below) {
                let mut one = tx.prepare_cached(
                    "DELETE FROM sync_log WHERE tbl = ?1 AND record_id = ?2 AND field = ?3",
                )?;
                for (tbl, record_id, field) in &read.at_boundary {
                    one.execute([tbl, record_id, field])?;
                }
            }
        }
    }
    Ok(())
}
