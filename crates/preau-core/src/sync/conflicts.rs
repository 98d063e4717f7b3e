//! Fields two laptops changed at once. The server keeps the first value it received and
//! sets the other aside; a pull writes both into the store (`sync_conflicts` holds the
//! other value). Settling one writes the chosen value like a local edit (after the checks
//! of `rules.rs`) and logs the field even when the value was already there, so the next
//! push settles the conflict on the server for every laptop; the conflict rows go in the
//! same savepoint. A delete takes its conflicts with it (schema 10, triggers).

use rusqlite::types::Value as SqlValue;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use super::labels::{display, field_label, record_label};
use super::tables::{columns, key_values, key_where, read_row, table, to_sql, SyncTable};
use crate::error::{Error, Result};
use crate::store::Store;

/// A field in conflict, as the app shows it: the value in the store and the other one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldConflictView {
    pub table: String,
    pub record_id: String,
    pub field: String,
    pub local_value: Value,
    pub other_value: Value,
    pub device_id: String,
    pub revision: i64,
}

/// A field in conflict as the app shows it: both values as text, with French labels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SyncConflict {
    pub table: String,
    pub record_id: String,
    pub field: String,
    /// What the record is: « Visite à Péronne du 3 décembre 2026 ».
    pub record_label: String,
    /// The field's French name: « Notes ».
    pub field_label: String,
    /// The value in the store now, as text ("" when empty).
    pub local_text: String,
    /// The value set aside by the server.
    pub other_text: String,
    /// The value set aside was typed on this laptop (the store now holds another one's).
    pub other_is_mine: bool,
    /// The record was deleted here: only the deletion can be kept.
    pub record_deleted: bool,
    /// Identifies the value set aside (several laptops may disagree on one field).
    pub revision: i64,
}

fn unknown_conflict() -> Error {
    Error::invalid(
        "conflict",
        "Ce conflit n'existe plus : il a peut-être déjà été résolu.",
    )
}

/// One column of a record, `None` when the record is gone.
fn read_field(
    conn: &Connection,
    t: &SyncTable,
    record_id: &str,
    field: &str,
) -> Result<Option<SqlValue>> {
    let keys = key_values(t, record_id).map_err(|_| unknown_conflict())?;
    let sql = format!("SELECT {field} FROM {} WHERE {}", t.name, key_where(t));
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(rusqlite::params_from_iter(keys.iter()), |r| r.get(0))
        .optional()?)
}

impl Store {
    /// The fields in conflict, with the value in the store and the other one.
    pub fn sync_conflicts(&self) -> Result<Vec<FieldConflictView>> {
        let mut stmt = self.conn.prepare(
            "SELECT tbl, record_id, field, value, device_id, revision FROM sync_conflicts
             ORDER BY tbl, record_id, field, revision",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, i64>(5)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (tbl, record_id, field, value, device_id, revision) = row?;
            let local_value = match table(&tbl) {
                Some((_, t)) => read_row(&self.conn, t, &record_id)?
                    .and_then(|m| m.get(&field).cloned())
                    .unwrap_or(Value::Null),
                None => Value::Null,
            };
            out.push(FieldConflictView {
                table: tbl,
                record_id,
                field,
                local_value,
                other_value: serde_json::from_str(&value).unwrap_or(Value::Null),
                device_id,
                revision,
            });
        }
        Ok(out)
    }

    /// The fields in conflict, labelled for the adviser.
    pub fn sync_conflict_list(&self) -> Result<Vec<SyncConflict>> {
        let me = self.sync_settings()?.device_id;
        let mut out = Vec::new();
        for c in self.sync_conflicts()? {
            let Some((_, t)) = table(&c.table) else {
                continue;
            };
            let local = read_field(&self.conn, t, &c.record_id, &c.field).unwrap_or(None);
            out.push(SyncConflict {
                record_label: record_label(&self.conn, &c.table, &c.record_id)?,
                field_label: field_label(&c.table, &c.field),
                local_text: local
                    .as_ref()
                    .map(|v| display(&c.field, v))
                    .unwrap_or_default(),
                other_text: display(&c.field, &to_sql(&c.other_value)),
                other_is_mine: me.as_deref() == Some(c.device_id.as_str()),
                record_deleted: local.is_none(),
                table: c.table,
                record_id: c.record_id,
                field: c.field,
                revision: c.revision,
            });
        }
        Ok(out)
    }

    /// Settles a field in conflict: `keep_remote` writes the value set aside (identified
    /// by `revision`), else the value in the store stays. Either way the field becomes a
    /// local change (so the server and the other laptops get the choice at the next sync)
    /// and every conflict row of the field goes, in one savepoint.
    pub fn sync_conflict_resolve(
        &mut self,
        table: &str,
        record_id: &str,
        field: &str,
        revision: i64,
        keep_remote: bool,
    ) -> Result<()> {
        let (_, t) = super::tables::table(table).ok_or_else(unknown_conflict)?;
        let keys = key_values(t, record_id).map_err(|_| unknown_conflict())?;
        let cols = columns(&self.conn, t.name)?;
        if !cols.iter().any(|c| c == field) || t.key.contains(&field) {
            return Err(unknown_conflict());
        }
        let other: Option<String> = self
            .conn
            .prepare_cached(
                "SELECT value FROM sync_conflicts
                 WHERE tbl = ?1 AND record_id = ?2 AND field = ?3 AND revision = ?4",
            )?
            .query_row(params![table, record_id, field, revision], |r| r.get(0))
            .optional()?;
        let other = other.ok_or_else(unknown_conflict)?;
        let exists = self
            .conn
            .prepare_cached(&format!("SELECT 1 FROM {} WHERE {}", t.name, key_where(t)))?
            .exists(rusqlite::params_from_iter(keys.iter()))?;
        // The value set aside goes through the checks a typed one does, before anything
        // is written: refused, the conflict stays as it was.
        let chosen = match (exists, keep_remote) {
            (true, true) => Some(self.check_chosen_value(
                t.name,
                record_id,
                field,
                &serde_json::from_str::<Value>(&other).unwrap_or(Value::String(other.clone())),
            )?),
            _ => None,
        };
        let sp = self.conn.savepoint()?;
        if exists {
            if let Some(chosen) = chosen {
                let sql = format!(
                    "UPDATE {} SET {field} = ?{} WHERE {}",
                    t.name,
                    t.key.len() + 1,
                    key_where(t)
                );
                let mut values: Vec<SqlValue> =
                    keys.iter().map(|k| SqlValue::Text(k.to_string())).collect();
                values.push(chosen);
                sp.prepare_cached(&sql)?
                    .execute(rusqlite::params_from_iter(values))?;
            }
            // The choice is a change even when the value was already there.
            sp.execute("UPDATE sync_log_seq SET last = last + 1", [])?;
            sp.prepare_cached(
                "INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
                 SELECT ?1, ?2, ?3, last FROM sync_log_seq",
            )?
            .execute(params![table, record_id, field])?;
        } else if keep_remote {
            return Err(Error::invalid(
                "conflict",
                "Cette fiche a été supprimée sur ce poste : la valeur de l'autre poste ne peut \
                 plus y être reprise.",
            ));
        }
        sp.prepare_cached(
            "DELETE FROM sync_conflicts WHERE tbl = ?1 AND record_id = ?2 AND field = ?3",
        )?
        .execute(params![table, record_id, field])?;
        sp.commit()?;
        Ok(())
    }
}
