//! The laptop's side of sync, in the store (schema 4, `migrations/004_sync.sql`):
//! triggers log which fields changed; [`Store::sync_outgoing`] turns the log into changes
//! with client-made ids, kept until acknowledged; pulled records are staged
//! ([`Store::sync_stage`]) then applied parents first ([`Store::sync_apply_inbox`]).
//!
//! No network here: `preau-sync` moves these plain values over HTTP.

use std::collections::{HashMap, HashSet};

use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::store::{now_utc, Store};

/// A synced table and its key columns (a record id is the key values joined by `/`).
#[derive(Debug, Clone, Copy)]
pub struct SyncTable {
    pub name: &'static str,
    pub key: &'static [&'static str],
}

/// Synced tables, parents before children (the order remote records are applied in).
pub const SYNC_TABLES: &[SyncTable] = &[
    SyncTable {
        name: "schools",
        key: &["id"],
    },
    SyncTable {
        name: "visits",
        key: &["id"],
    },
    SyncTable {
        name: "visit_schools",
        key: &["visit_id", "school_id"],
    },
    SyncTable {
        name: "participants",
        key: &["id"],
    },
    SyncTable {
        name: "pedagogy",
        key: &["visit_id", "school_id"],
    },
    SyncTable {
        name: "objectives",
        key: &["id"],
    },
    SyncTable {
        name: "class_situations",
        key: &["id"],
    },
    SyncTable {
        name: "school_situations",
        key: &["visit_id", "school_id"],
    },
    SyncTable {
        name: "scenarios",
        key: &["id"],
    },
    SyncTable {
        name: "equipment_lines",
        key: &["id"],
    },
    SyncTable {
        name: "line_objectives",
        key: &["line_id", "objective_id"],
    },
    // Issued proposals only (see migrations/005_sync_proposals.sql): append-only.
    SyncTable {
        name: "proposals",
        key: &["id"],
    },
];

/// BLOB columns of synced tables: sent as hex text, written back as bytes.
const BLOB_COLUMNS: &[(&str, &str)] = &[("proposals", "pdf")];

fn is_blob(table: &str, column: &str) -> bool {
    BLOB_COLUMNS.contains(&(table, column))
}

/// A JSON value for a column: hex text back to bytes for BLOB columns.
fn to_sql_column(table: &str, column: &str, v: &Value) -> Result<SqlValue> {
    match v {
        Value::String(text) if is_blob(table, column) => hex::decode(text)
            .map(SqlValue::Blob)
            .map_err(|e| bad(format!("{table}.{column}: {e}"))),
        _ => Ok(to_sql(v)),
    }
}

fn table(name: &str) -> Option<(usize, &'static SyncTable)> {
    SYNC_TABLES.iter().enumerate().find(|(_, t)| t.name == name)
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

/// A value kept aside by the server because two laptops changed the same field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncomingConflict {
    pub field: String,
    pub value: Value,
    pub device_id: String,
    pub revision: i64,
}

/// A record as pulled from the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncomingRecord {
    pub table: String,
    pub record_id: String,
    pub revision: i64,
    pub deleted: bool,
    pub fields: Map<String, Value>,
    pub conflicts: Vec<IncomingConflict>,
}

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

/// What applying the inbox did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplyReport {
    pub applied: u32,
    /// Records that could not be applied yet (their parent has not arrived, or a local
    /// rule refused them); they stay staged and are retried at the next sync.
    pub waiting: u32,
}

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
}

pub const KEY_SERVER_URL: &str = "server_url";
pub const KEY_TOKEN: &str = "token";
pub const KEY_DEVICE_ID: &str = "device_id";
pub const KEY_ADVISER: &str = "adviser";
pub const KEY_CURSOR: &str = "cursor";
pub const KEY_LAST_SYNC: &str = "last_sync";

fn bad(message: impl Into<String>) -> Error {
    Error::invalid("sync", message)
}

fn get_state(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT value FROM sync_state WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?)
}

fn set_state(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO sync_state (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute([key, value])?;
    Ok(())
}

fn to_json(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::from(i),
        ValueRef::Real(f) => Value::from(f),
        ValueRef::Text(t) => Value::String(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::String(hex::encode(b)),
    }
}

pub(crate) fn to_sql(v: &Value) -> SqlValue {
    match v {
        Value::Null => SqlValue::Null,
        Value::Bool(b) => SqlValue::Integer(i64::from(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(i) => SqlValue::Integer(i),
            None => SqlValue::Real(n.as_f64().unwrap_or(0.0)),
        },
        Value::String(s) => SqlValue::Text(s.clone()),
        other => SqlValue::Text(other.to_string()),
    }
}

/// The column names of a synced table, read from the schema.
fn columns(conn: &Connection, table: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached("SELECT name FROM pragma_table_info(?1)")?;
    let rows = stmt.query_map([table], |r| r.get::<_, String>(0))?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

fn key_values<'a>(t: &SyncTable, record_id: &'a str) -> Result<Vec<&'a str>> {
    let parts: Vec<&str> = record_id.split('/').collect();
    if parts.len() != t.key.len() || parts.iter().any(|p| p.is_empty()) {
        return Err(bad(format!("bad record id {record_id:?} for {}", t.name)));
    }
    Ok(parts)
}

fn key_where(t: &SyncTable) -> String {
    t.key
        .iter()
        .enumerate()
        .map(|(i, k)| format!("{k} = ?{}", i + 1))
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// The current row of a record as a JSON map, `None` if it is gone.
fn read_row(
    conn: &Connection,
    t: &SyncTable,
    record_id: &str,
) -> Result<Option<Map<String, Value>>> {
    let keys = key_values(t, record_id)?;
    let sql = format!("SELECT * FROM {} WHERE {}", t.name, key_where(t));
    let mut stmt = conn.prepare_cached(&sql)?;
    let names: Vec<String> = stmt.column_names().map(|s| s.to_string()).collect();
    let mut rows = stmt.query(rusqlite::params_from_iter(keys.iter()))?;
    let Some(row) = rows.next()? else {
        return Ok(None);
    };
    let mut map = Map::new();
    for (i, name) in names.iter().enumerate() {
        map.insert(name.clone(), to_json(row.get_ref(i)?));
    }
    Ok(Some(map))
}

/// Writes a remote record into its table (inside the guard: no log entry).
fn write_record(
    tx: &Connection,
    t: &SyncTable,
    rec: &IncomingRecord,
    skip: &HashSet<String>,
    cols: &[String],
) -> Result<()> {
    let keys = key_values(t, &rec.record_id)?;
    if rec.deleted {
        let sql = format!("DELETE FROM {} WHERE {}", t.name, key_where(t));
        tx.prepare_cached(&sql)?
            .execute(rusqlite::params_from_iter(keys.iter()))?;
        return Ok(());
    }
    let fields: Vec<(&String, &Value)> = rec
        .fields
        .iter()
        .filter(|(f, _)| cols.contains(f) && !skip.contains(*f) && !t.key.contains(&f.as_str()))
        .collect();
    let exists = tx
        .prepare_cached(&format!("SELECT 1 FROM {} WHERE {}", t.name, key_where(t)))?
        .exists(rusqlite::params_from_iter(keys.iter()))?;
    if exists {
        if fields.is_empty() {
            return Ok(());
        }
        let sets = fields
            .iter()
            .enumerate()
            .map(|(i, (f, _))| format!("{f} = ?{}", i + 1 + t.key.len()))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!("UPDATE {} SET {sets} WHERE {}", t.name, key_where(t));
        let mut values: Vec<SqlValue> =
            keys.iter().map(|k| SqlValue::Text(k.to_string())).collect();
        for (f, v) in &fields {
            values.push(to_sql_column(t.name, f, v)?);
        }
        tx.prepare_cached(&sql)?
            .execute(rusqlite::params_from_iter(values))?;
    } else {
        let mut names: Vec<&str> = t.key.to_vec();
        let mut values: Vec<SqlValue> =
            keys.iter().map(|k| SqlValue::Text(k.to_string())).collect();
        for (f, v) in &fields {
            names.push(f.as_str());
            values.push(to_sql_column(t.name, f, v)?);
        }
        let marks = (1..=names.len())
            .map(|i| format!("?{i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({marks})",
            t.name,
            names.join(", ")
        );
        tx.prepare_cached(&sql)?
            .execute(rusqlite::params_from_iter(values))?;
    }
    Ok(())
}

/// Upserts parents first, deletes children first (then in server order).
fn sort_for_apply(recs: &mut [&IncomingRecord]) {
    recs.sort_by_key(|r| {
        let rank = table(&r.table).map_or(usize::MAX, |(i, _)| i);
        let rank = i64::try_from(rank).unwrap_or(i64::MAX);
        (r.deleted, if r.deleted { -rank } else { rank }, r.revision)
    });
}

/// Stages a pulled record in the inbox (a newer revision replaces an older one).
fn stage_record(conn: &Connection, r: &IncomingRecord, error: Option<&str>) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO sync_inbox (tbl, record_id, revision, deleted, fields, conflicts, last_error)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (tbl, record_id) DO UPDATE SET revision = excluded.revision,
           deleted = excluded.deleted, fields = excluded.fields,
           conflicts = excluded.conflicts, last_error = excluded.last_error
         WHERE excluded.revision >= sync_inbox.revision",
    )?
    .execute(params![
        r.table,
        r.record_id,
        r.revision,
        r.deleted,
        serde_json::to_string(&r.fields).map_err(|e| bad(e.to_string()))?,
        serde_json::to_string(&r.conflicts).map_err(|e| bad(e.to_string()))?,
        error,
    ])?;
    Ok(())
}

/// What one application of remote records knows about the store, read once: the
/// per-record lookups it makes unnecessary are skipped (a first sync has nothing local in
/// flight, nothing staged and no conflicts).
struct ApplyCtx {
    columns: HashMap<&'static str, Vec<String>>,
    /// Local changes logged or waiting for their ack: look each record up.
    check_local: bool,
    inbox_maybe_nonempty: bool,
    conflicts_maybe_nonempty: bool,
}

impl ApplyCtx {
    fn new(conn: &Connection) -> Result<ApplyCtx> {
        let any = |sql: &str| -> Result<bool> { Ok(conn.query_row(sql, [], |r| r.get(0))?) };
        Ok(ApplyCtx {
            columns: HashMap::new(),
            check_local: any("SELECT EXISTS (SELECT 1 FROM sync_log)")?
                || any("SELECT EXISTS (SELECT 1 FROM sync_outgoing)")?,
            inbox_maybe_nonempty: any("SELECT EXISTS (SELECT 1 FROM sync_inbox)")?,
            conflicts_maybe_nonempty: any("SELECT EXISTS (SELECT 1 FROM sync_conflicts)")?,
        })
    }
}

/// Applies one remote record with its bookkeeping. The outer error is fatal (the store
/// failed); the inner one says the record cannot be applied yet.
fn apply_one(
    conn: &Connection,
    t: &'static SyncTable,
    rec: &IncomingRecord,
    ctx: &mut ApplyCtx,
) -> Result<std::result::Result<(), Error>> {
    let (pending, outgoing) = if ctx.check_local {
        let pending: HashSet<String> = conn
            .prepare_cached("SELECT field FROM sync_log WHERE tbl = ?1 AND record_id = ?2")?
            .query_map([&rec.table, &rec.record_id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let outgoing: bool = conn
            .prepare_cached(
                "SELECT count(*) > 0 FROM sync_outgoing WHERE tbl = ?1 AND record_id = ?2",
            )?
            .query_row([&rec.table, &rec.record_id], |r| r.get(0))?;
        (pending, outgoing)
    } else {
        (HashSet::new(), false)
    };
    if !pending.contains("-") {
        if !ctx.columns.contains_key(t.name) {
            ctx.columns.insert(t.name, columns(conn, t.name)?);
        }
        let cols = ctx.columns.get(t.name).map(Vec::as_slice).unwrap_or(&[]);
        if let Err(e) = write_record(conn, t, rec, &pending, cols) {
            return Ok(Err(e));
        }
    }
    if ctx.inbox_maybe_nonempty {
        conn.prepare_cached("DELETE FROM sync_inbox WHERE tbl = ?1 AND record_id = ?2")?
            .execute([&rec.table, &rec.record_id])?;
    }
    if pending.is_empty() && !outgoing {
        // The next change's base: only once nothing local is in flight.
        conn.prepare_cached(
            "INSERT INTO sync_records (tbl, record_id, revision) VALUES (?1, ?2, ?3)
             ON CONFLICT (tbl, record_id) DO UPDATE SET revision = excluded.revision",
        )?
        .execute(params![rec.table, rec.record_id, rec.revision])?;
    }
    if ctx.conflicts_maybe_nonempty {
        conn.prepare_cached("DELETE FROM sync_conflicts WHERE tbl = ?1 AND record_id = ?2")?
            .execute([&rec.table, &rec.record_id])?;
    }
    for c in &rec.conflicts {
        conn.prepare_cached(
            "INSERT OR REPLACE INTO sync_conflicts
               (tbl, record_id, field, value, device_id, revision)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            rec.table,
            rec.record_id,
            c.field,
            c.value.to_string(),
            c.device_id,
            c.revision
        ])?;
        ctx.conflicts_maybe_nonempty = true;
    }
    Ok(Ok(()))
}

fn run(conn: &Connection, sql: &str) -> Result<()> {
    conn.prepare_cached(sql)?.execute([])?;
    Ok(())
}

/// Records per savepoint when applying remote records.
const APPLY_CHUNK: usize = 500;

/// Applies sorted remote records: a chunk at a time under one savepoint; a chunk where a
/// record fails is rolled back and redone one savepoint per record, so every record that
/// can be applied is, and each one that cannot leaves no trace but its staged copy (with
/// its error). `stage_failures`: the records come from a page (stage the failures), not
/// from the inbox (note the error on the staged row).
fn apply_all(
    conn: &Connection,
    recs: &[&IncomingRecord],
    ctx: &mut ApplyCtx,
    stage_failures: bool,
) -> Result<ApplyReport> {
    let mut report = ApplyReport::default();
    for chunk in recs.chunks(APPLY_CHUNK) {
        run(conn, "SAVEPOINT sync_chunk")?;
        let mut clean = true;
        for rec in chunk {
            let Some((_, t)) = table(&rec.table) else {
                continue;
            };
            if apply_one(conn, t, rec, ctx)?.is_err() {
                clean = false;
                break;
            }
        }
        if clean {
            run(conn, "RELEASE sync_chunk")?;
            report.applied += u32::try_from(chunk.len()).unwrap_or(u32::MAX);
            continue;
        }
        run(conn, "ROLLBACK TO sync_chunk")?;
        run(conn, "RELEASE sync_chunk")?;
        for rec in chunk {
            let Some((_, t)) = table(&rec.table) else {
                continue;
            };
            run(conn, "SAVEPOINT sync_record")?;
            match apply_one(conn, t, rec, ctx)? {
                Ok(()) => {
                    run(conn, "RELEASE sync_record")?;
                    report.applied += 1;
                }
                Err(e) => {
                    run(conn, "ROLLBACK TO sync_record")?;
                    run(conn, "RELEASE sync_record")?;
                    tracing::debug!(table = %rec.table, id = %rec.record_id, error = %e,
                        "remote record not applicable yet");
                    let error = e.to_string();
                    if stage_failures {
                        stage_record(conn, rec, Some(&error))?;
                        ctx.inbox_maybe_nonempty = true;
                    } else {
                        conn.prepare_cached(
                            "UPDATE sync_inbox SET last_error = ?3 WHERE tbl = ?1 AND record_id = ?2",
                        )?
                        .execute(params![rec.table, rec.record_id, error])?;
                    }
                    report.waiting += 1;
                }
            }
        }
    }
    Ok(report)
}

impl Store {
    pub fn sync_get(&self, key: &str) -> Result<Option<String>> {
        get_state(&self.conn, key)
    }

    pub fn sync_set(&mut self, key: &str, value: &str) -> Result<()> {
        set_state(&self.conn, key, value)
    }

    /// Records the enrollment: server, device and its token. A different server starts
    /// over from cursor 0 (the local records are then pushed to it as new).
    pub fn sync_enroll(
        &mut self,
        server_url: &str,
        device_id: &str,
        adviser: &str,
        token: &str,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        let previous = get_state(&tx, KEY_SERVER_URL)?;
        if previous.as_deref().is_some_and(|p| p != server_url) {
            tx.execute("DELETE FROM sync_records", [])?;
            tx.execute("DELETE FROM sync_inbox", [])?;
            tx.execute("DELETE FROM sync_state WHERE key = ?1", [KEY_CURSOR])?;
            for t in SYNC_TABLES {
                let key = t
                    .key
                    .iter()
                    .map(|k| k.to_string())
                    .collect::<Vec<_>>()
                    .join(" || '/' || ");
                tx.execute(
                    &format!(
                        "INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
                         SELECT '{}', {key}, '*', 0 FROM {}",
                        t.name, t.name
                    ),
                    [],
                )?;
            }
        }
        set_state(&tx, KEY_SERVER_URL, server_url)?;
        set_state(&tx, KEY_DEVICE_ID, device_id)?;
        set_state(&tx, KEY_ADVISER, adviser)?;
        set_state(&tx, KEY_TOKEN, token)?;
        tx.commit()?;
        Ok(())
    }

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
        let first_position: i64 = tx
            .prepare_cached("SELECT coalesce(max(position) + 1, 0) FROM sync_outgoing")?
            .query_row([], |r| r.get(0))?;
        let mut groups: Vec<(String, String)> = Vec::new();
        if max > 0 {
            let mut picked: HashSet<(String, String)> = HashSet::new();
            let mut stmt = tx.prepare_cached(
                "SELECT tbl, record_id FROM sync_log ORDER BY seq, tbl, record_id",
            )?;
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                let key = (row.get::<_, String>(0)?, row.get::<_, String>(1)?);
                if picked.insert(key.clone()) {
                    groups.push(key);
                    if groups.len() >= max {
                        break;
                    }
                }
            }
        }
        let mut out = Vec::with_capacity(groups.len());
        for (position, (tbl, record_id)) in groups.into_iter().enumerate() {
            let fields_logged: Vec<String> = tx
                .prepare_cached(
                    "DELETE FROM sync_log WHERE tbl = ?1 AND record_id = ?2 RETURNING field",
                )?
                .query_map([&tbl, &record_id], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let Some((_, t)) = table(&tbl) else {
                continue;
            };
            let row = read_row(&tx, t, &record_id)?;
            let (fields, deleted) = match row {
                None => (Map::new(), true),
                Some(row) if fields_logged.iter().any(|f| f == "*") => (row, false),
                Some(row) => {
                    let wanted: HashSet<&str> = fields_logged.iter().map(String::as_str).collect();
                    let fields: Map<String, Value> = row
                        .into_iter()
                        .filter(|(k, _)| wanted.contains(k.as_str()))
                        .collect();
                    if fields.is_empty() {
                        continue;
                    }
                    (fields, false)
                }
            };
            let base: i64 = tx
                .prepare_cached(
                    "SELECT revision FROM sync_records WHERE tbl = ?1 AND record_id = ?2",
                )?
                .query_row([&tbl, &record_id], |r| r.get(0))
                .optional()?
                .unwrap_or(0);
            if deleted && base == 0 {
                // Made and deleted before the server ever saw it: nothing to say.
                continue;
            }
            let change_id = crate::store::make_id();
            let fields_text = serde_json::to_string(&fields).map_err(|e| bad(e.to_string()))?;
            tx.prepare_cached(
                "INSERT INTO sync_outgoing (change_id, position, tbl, record_id, base_revision,
                   fields, deleted) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
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
        tx.commit()?;
        // What was just saved, in the same order `outgoing_saved` would read it back.
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

    /// Forgets the changes the server acknowledged.
    pub fn sync_acknowledge(&mut self, change_ids: &[String]) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached("DELETE FROM sync_outgoing WHERE change_id = ?1")?;
            for id in change_ids {
                stmt.execute([id])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Stages a pulled page and moves the cursor, in one transaction: an interrupted pull
    /// resumes after the last staged page.
    pub fn sync_stage(&mut self, records: &[IncomingRecord], next_cursor: i64) -> Result<()> {
        let tx = self.conn.transaction()?;
        for r in records {
            if table(&r.table).is_none() {
                tracing::debug!(table = %r.table, "record of a table this build does not sync");
                continue;
            }
            stage_record(&tx, r, None)?;
        }
        set_state(&tx, KEY_CURSOR, &next_cursor.to_string())?;
        tx.commit()?;
        Ok(())
    }

    /// Applies a pulled page and moves the cursor, in one transaction: an interrupted pull
    /// resumes after the last page received, and a page is never half applied. Records
    /// that cannot be applied yet (a parent on a later page, a local rule) are staged in
    /// the inbox with their error, as [`Store::sync_stage`] would, and retried by
    /// [`Store::sync_apply_inbox`]; a staged older revision of a record applied here is
    /// dropped.
    pub fn sync_receive(
        &mut self,
        records: &[IncomingRecord],
        next_cursor: i64,
    ) -> Result<ApplyReport> {
        let mut recs: Vec<&IncomingRecord> = records
            .iter()
            .filter(|r| {
                let known = table(&r.table).is_some();
                if !known {
                    tracing::debug!(table = %r.table, "record of a table this build does not sync");
                }
                known
            })
            .collect();
        sort_for_apply(&mut recs);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut ctx = ApplyCtx::new(&tx)?;
        tx.execute("INSERT INTO sync_guard (on_) VALUES (1)", [])?;
        let report = apply_all(&tx, &recs, &mut ctx, true)?;
        tx.execute("DELETE FROM sync_guard", [])?;
        set_state(&tx, KEY_CURSOR, &next_cursor.to_string())?;
        tx.commit()?;
        Ok(report)
    }

    pub fn sync_cursor(&self) -> Result<i64> {
        Ok(get_state(&self.conn, KEY_CURSOR)?
            .and_then(|c| c.parse().ok())
            .unwrap_or(0))
    }

    /// Applies the staged records, parents first, each on its own (in chunks under a
    /// savepoint; a chunk with a failure is redone one savepoint per record): a record
    /// whose parent has not arrived yet stays staged for the next time. Fields changed
    /// locally and not yet pushed are left as they are (the server will see the clash).
    pub fn sync_apply_inbox(&mut self) -> Result<ApplyReport> {
        let mut staged: Vec<IncomingRecord> = Vec::new();
        {
            let mut stmt = self.conn.prepare(
                "SELECT tbl, record_id, revision, deleted, fields, conflicts FROM sync_inbox
                 ORDER BY revision",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, bool>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                ))
            })?;
            for row in rows {
                let (table, record_id, revision, deleted, fields, conflicts) = row?;
                let fields = match serde_json::from_str::<Value>(&fields) {
                    Ok(Value::Object(m)) => m,
                    _ => Map::new(),
                };
                let conflicts = serde_json::from_str(&conflicts).unwrap_or_default();
                staged.push(IncomingRecord {
                    table,
                    record_id,
                    revision,
                    deleted,
                    fields,
                    conflicts,
                });
            }
        }
        let mut recs: Vec<&IncomingRecord> = staged
            .iter()
            .filter(|r| table(&r.table).is_some())
            .collect();
        sort_for_apply(&mut recs);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut report = ApplyReport::default();
        if !recs.is_empty() {
            let mut ctx = ApplyCtx::new(&tx)?;
            ctx.inbox_maybe_nonempty = true;
            tx.execute("INSERT INTO sync_guard (on_) VALUES (1)", [])?;
            report = apply_all(&tx, &recs, &mut ctx, false)?;
            tx.execute("DELETE FROM sync_guard", [])?;
        }
        set_state(&tx, KEY_LAST_SYNC, &now_utc())?;
        tx.commit()?;
        Ok(report)
    }

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

    pub fn sync_overview(&self) -> Result<SyncOverview> {
        let pending: u32 = self.conn.query_row(
            "SELECT (SELECT count(*) FROM (SELECT DISTINCT tbl, record_id FROM sync_log))
                  + (SELECT count(*) FROM sync_outgoing)",
            [],
            |r| r.get(0),
        )?;
        let waiting: u32 = self
            .conn
            .query_row("SELECT count(*) FROM sync_inbox", [], |r| r.get(0))?;
        let conflicts: u32 = self.conn.query_row(
            "SELECT count(*) FROM (SELECT DISTINCT tbl, record_id, field FROM sync_conflicts)",
            [],
            |r| r.get(0),
        )?;
        Ok(SyncOverview {
            server_url: get_state(&self.conn, KEY_SERVER_URL)?,
            device_id: get_state(&self.conn, KEY_DEVICE_ID)?,
            adviser: get_state(&self.conn, KEY_ADVISER)?,
            cursor: self.sync_cursor()?,
            last_sync: get_state(&self.conn, KEY_LAST_SYNC)?,
            pending,
            waiting,
            conflicts,
        })
    }
}
