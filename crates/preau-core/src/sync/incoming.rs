//! Records pulled from the server, written into the store. A page is applied with its
//! cursor in one transaction, parents first, under `sync_guard` (the triggers stay
//! silent: a remote write is not a local change). A record that cannot be applied yet
//! (its parent is on a later page, a local rule refuses it) is staged in `sync_inbox`
//! and retried after the last page. Fields changed here and not yet pushed are left as
//! they are: the server will see the clash and keep both values.

use std::collections::{HashMap, HashSet};

use rusqlite::config::DbConfig;
use rusqlite::types::{ToSqlOutput, Value as SqlValue, ValueRef};
use rusqlite::{params, CachedStatement, Connection, ToSql, TransactionBehavior};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::same_uai;
use super::settings::{set_cursor, set_last_sync};
use super::tables::{
    bad, columns, is_blob, key_values, key_where, table, to_sql_column, SyncTable,
};
use crate::error::{Error, Result};
use crate::store::Store;

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
    /// For a visit or a typed school: the adviser it belongs to, as the server says.
    #[serde(default)]
    pub owner: Option<String>,
}

/// What applying the inbox did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplyReport {
    pub applied: u32,
    /// Records that could not be applied yet (their parent has not arrived, or a local
    /// rule refused them); they stay staged and are retried at the next sync.
    pub waiting: u32,
}

/// The statements that write one table's pulled records, prepared once per application
/// of a page and held (not looked up in the connection's cache for every record): the
/// table's columns, the key lookups, and an `INSERT` or `UPDATE` per set of columns
/// written (by bit mask of column positions; records of one table nearly always carry
/// the same columns).
struct TableSql<'c> {
    columns: Vec<String>,
    exists: CachedStatement<'c>,
    delete: CachedStatement<'c>,
    writes: HashMap<(bool, u64), CachedStatement<'c>>,
}

impl<'c> TableSql<'c> {
    fn new(conn: &'c Connection, t: &SyncTable) -> Result<TableSql<'c>> {
        let key = key_where(t);
        Ok(TableSql {
            columns: columns(conn, t.name)?,
            exists: conn.prepare_cached(&format!("SELECT 1 FROM {} WHERE {key}", t.name))?,
            delete: conn.prepare_cached(&format!("DELETE FROM {} WHERE {key}", t.name))?,
            writes: HashMap::new(),
        })
    }

    /// `UPDATE … SET` the named columns (`update`), else `INSERT` them after the key;
    /// parameters: the key's values, then the columns' in the order given.
    fn write_sql(t: &SyncTable, update: bool, names: &[&str]) -> String {
        let first = t.key.len() + 1;
        if update {
            let sets = names
                .iter()
                .enumerate()
                .map(|(i, f)| format!("{f} = ?{}", i + first))
                .collect::<Vec<_>>()
                .join(", ");
            return format!("UPDATE {} SET {sets} WHERE {}", t.name, key_where(t));
        }
        let all: Vec<&str> = t.key.iter().copied().chain(names.iter().copied()).collect();
        let marks = (1..=all.len())
            .map(|i| format!("?{i}"))
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "INSERT INTO {} ({}) VALUES ({marks})",
            t.name,
            all.join(", ")
        )
    }
}

/// A pulled value bound as it is: text borrowed from the record, not copied (BLOB
/// columns, sent as hex, are decoded).
enum Param<'a> {
    Text(&'a str),
    Owned(SqlValue),
}

impl ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Param::Text(text) => ToSqlOutput::Borrowed(ValueRef::Text(text.as_bytes())),
            Param::Owned(value) => ToSqlOutput::Borrowed(ValueRef::from(value)),
        })
    }
}

fn param<'a>(t: &SyncTable, column: &str, v: &'a Value) -> Result<Param<'a>> {
    Ok(match v {
        Value::String(text) if !is_blob(t.name, column) => Param::Text(text),
        _ => Param::Owned(to_sql_column(t.name, column, v)?),
    })
}

/// Writes a remote record into its table (inside the guard: no log entry).
fn write_record<'c>(
    conn: &'c Connection,
    t: &SyncTable,
    rec: &IncomingRecord,
    skip: &HashSet<String>,
    sql: &mut TableSql<'c>,
) -> Result<()> {
    let keys = key_values(t, &rec.record_id)?;
    if rec.deleted {
        sql.delete
            .execute(rusqlite::params_from_iter(keys.iter()))?;
        return Ok(());
    }
    // The columns written, by position in the table, with their values.
    let mut fields: Vec<(usize, &Value)> = rec
        .fields
        .iter()
        .filter(|(f, _)| !skip.contains(*f) && !t.key.contains(&f.as_str()) && !t.is_local(f))
        .filter_map(|(f, v)| sql.columns.iter().position(|c| c == f).map(|i| (i, v)))
        .collect();
    fields.sort_unstable_by_key(|(i, _)| *i);
    let exists = sql.exists.exists(rusqlite::params_from_iter(keys.iter()))?;
    if exists && fields.is_empty() {
        return Ok(());
    }
    let columns = &sql.columns;
    let mut values: Vec<Param<'_>> = keys.iter().map(|k| Param::Text(k)).collect();
    for (i, v) in &fields {
        values.push(param(t, columns.get(*i).map_or("", String::as_str), v)?);
    }
    let names = || -> Vec<&str> {
        fields
            .iter()
            .filter_map(|(i, _)| columns.get(*i).map(String::as_str))
            .collect()
    };
    let mask = fields.iter().try_fold(0u64, |m, (i, _)| {
        Some(m | 1u64.checked_shl(u32::try_from(*i).ok()?)?)
    });
    match mask {
        Some(mask) => {
            let statement = match sql.writes.entry((exists, mask)) {
                std::collections::hash_map::Entry::Occupied(held) => held.into_mut(),
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(conn.prepare_cached(&TableSql::write_sql(t, exists, &names()))?)
                }
            };
            statement.execute(rusqlite::params_from_iter(values))?;
        }
        // A table of more than 64 columns (none today): made each time.
        None => {
            conn.prepare_cached(&TableSql::write_sql(t, exists, &names()))?
                .execute(rusqlite::params_from_iter(values))?;
        }
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
        "INSERT INTO sync_inbox
           (tbl, record_id, revision, deleted, fields, conflicts, last_error, owner)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (tbl, record_id) DO UPDATE SET revision = excluded.revision,
           deleted = excluded.deleted, fields = excluded.fields,
           conflicts = excluded.conflicts, last_error = excluded.last_error,
           owner = excluded.owner
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
        r.owner,
    ])?;
    Ok(())
}

/// What one application of remote records knows about the store, read once: the
/// per-record lookups it makes unnecessary are skipped (a first sync has nothing local in
/// flight, nothing staged and no conflicts).
struct ApplyCtx<'c> {
    tables: HashMap<&'static str, TableSql<'c>>,
    /// Records each record's server revision (`sync_records`), held like `tables`.
    note_revision: CachedStatement<'c>,
    /// Local changes logged or waiting for their ack: look each record up.
    check_local: bool,
    inbox_maybe_nonempty: bool,
    conflicts_maybe_nonempty: bool,
}

impl<'c> ApplyCtx<'c> {
    fn new(conn: &'c Connection) -> Result<ApplyCtx<'c>> {
        let any = |sql: &str| -> Result<bool> { Ok(conn.query_row(sql, [], |r| r.get(0))?) };
        Ok(ApplyCtx {
            tables: HashMap::new(),
            note_revision: conn.prepare_cached(
                "INSERT INTO sync_records (tbl, record_id, revision) VALUES (?1, ?2, ?3)
                 ON CONFLICT (tbl, record_id) DO UPDATE SET revision = excluded.revision",
            )?,
            check_local: any("SELECT EXISTS (SELECT 1 FROM sync_log)")?
                || any("SELECT EXISTS (SELECT 1 FROM sync_outgoing)")?,
            inbox_maybe_nonempty: any("SELECT EXISTS (SELECT 1 FROM sync_inbox)")?,
            conflicts_maybe_nonempty: any("SELECT EXISTS (SELECT 1 FROM sync_conflicts)")?,
        })
    }
}

/// Applies one remote record with its bookkeeping. The outer error is fatal (the store
/// failed); the inner one says the record cannot be applied yet.
fn apply_one<'c>(
    conn: &'c Connection,
    t: &'static SyncTable,
    rec: &IncomingRecord,
    ctx: &mut ApplyCtx<'c>,
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
    if let Err(e) = check_pulled(rec) {
        return Ok(Err(e));
    }
    if t.name == "class_situations" && rec.deleted {
        unlink_lines_from_class(conn, &rec.record_id)?;
    }
    if !pending.contains("-") {
        if !ctx.tables.contains_key(t.name) {
            ctx.tables.insert(t.name, TableSql::new(conn, t)?);
        }
        let mut skip = std::borrow::Cow::Borrowed(&pending);
        if t.name == "schools" {
            if let same_uai::Clash::PulledIsDuplicate = same_uai::before_school(conn, rec)? {
                skip.to_mut().insert("uai".to_owned());
            }
        }
        let Some(sql) = ctx.tables.get_mut(t.name) else {
            return Err(bad(format!("no SQL for {}", t.name)));
        };
        if let Err(e) = write_record(conn, t, rec, &skip, sql) {
            return Ok(Err(e));
        }
    }
    match t.name {
        "visits" => note_owner(conn, "sync_owners", "visit_id", rec)?,
        "schools" => note_owner(conn, "sync_school_owners", "school_id", rec)?,
        _ => {}
    }
    if ctx.inbox_maybe_nonempty {
        conn.prepare_cached("DELETE FROM sync_inbox WHERE tbl = ?1 AND record_id = ?2")?
            .execute([&rec.table, &rec.record_id])?;
    }
    if pending.is_empty() && !outgoing {
        // The next change's base: only once nothing local is in flight.
        ctx.note_revision
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

/// Keeps who a pulled visit or school belongs to, as the server says, in `table` (local,
/// never logged): a colleague's visit is read-only here, and only the owner's laptop
/// deletes a duplicate school (`same_uai.rs`).
fn note_owner(conn: &Connection, table: &str, key: &str, rec: &IncomingRecord) -> Result<()> {
    match (&rec.owner, rec.deleted) {
        (Some(owner), false) => {
            conn.prepare_cached(&format!(
                "INSERT INTO {table} ({key}, adviser) VALUES (?1, ?2)
                 ON CONFLICT ({key}) DO UPDATE SET adviser = excluded.adviser"
            ))?
            .execute([&rec.record_id, owner])?;
        }
        (_, true) => {
            conn.prepare_cached(&format!("DELETE FROM {table} WHERE {key} = ?1"))?
                .execute([&rec.record_id])?;
        }
        (None, false) => {}
    }
    Ok(())
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
/// A class deleted elsewhere: the lines of this laptop that named it lose it, as the
/// local `ON DELETE SET NULL` would do, but as a local edit (outside the guard, so the
/// triggers log it). Under the guard the cascade would change them here only: a line
/// made here while a colleague deleted its class would keep the class on the server and
/// on every other laptop, where it then waits forever for a class that no longer exists
/// (found by `store_model::laptops_and_server_converge`).
fn unlink_lines_from_class(conn: &Connection, class_id: &str) -> Result<()> {
    let guarded: bool = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM sync_guard)")?
        .query_row([], |r| r.get(0))?;
    if guarded {
        conn.prepare_cached("DELETE FROM sync_guard")?.execute([])?;
    }
    let unlinked = conn
        .prepare_cached("UPDATE equipment_lines SET class_id = NULL WHERE class_id = ?1")?
        .execute([class_id]);
    if guarded {
        conn.prepare_cached("INSERT INTO sync_guard (on_) VALUES (1)")?
            .execute([])?;
    }
    unlinked?;
    Ok(())
}

/// Whether no trigger has anything to do when `rec` is applied under the guard: the
/// triggers that log edits are silenced by the guard, and the others fire on deletes
/// (conflicts cleared), on proposals (issued ones frozen) or for what a pulled school does
/// outside the guard (`same_uai`). A record written with the triggers off is the same
/// record; what changes is that SQLite no longer compiles them into the statement, which
/// made every insert a multi-row write and copied each page it touched to a statement
/// journal (a third of a first sync's time).
fn triggers_idle(rec: &IncomingRecord) -> bool {
    !rec.deleted && rec.table != "schools" && rec.table != "proposals"
}

/// The connection's triggers switched off until dropped (`SQLITE_DBCONFIG_ENABLE_TRIGGER`;
/// SQLite prepares the statements again either way).
struct TriggersOff<'c>(&'c Connection);

impl<'c> TriggersOff<'c> {
    fn new(conn: &'c Connection) -> Result<TriggersOff<'c>> {
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER, false)?;
        Ok(TriggersOff(conn))
    }
}

impl TriggersOff<'_> {
    /// Switches them back on, saying if that failed (the edits typed next would not be
    /// logged): the sync stops with the error.
    fn restore(self) -> Result<()> {
        let on = self
            .0
            .set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER, true);
        std::mem::forget(self);
        on?;
        Ok(())
    }
}

impl Drop for TriggersOff<'_> {
    /// An error on the way out (the sync stops anyway).
    fn drop(&mut self) {
        if let Err(e) = self
            .0
            .set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER, true)
        {
            tracing::error!(error = %e, "triggers not switched back on");
        }
    }
}

fn apply_all<'c>(
    conn: &'c Connection,
    recs: &[&IncomingRecord],
    ctx: &mut ApplyCtx<'c>,
    stage_failures: bool,
) -> Result<ApplyReport> {
    let mut report = ApplyReport::default();
    for chunk in recs.chunks(APPLY_CHUNK) {
        run(conn, "SAVEPOINT sync_chunk")?;
        let mut clean = true;
        let quiet = if chunk.iter().all(|r| triggers_idle(r)) {
            Some(TriggersOff::new(conn)?)
        } else {
            None
        };
        for rec in chunk {
            let Some((_, t)) = table(&rec.table) else {
                continue;
            };
            if apply_one(conn, t, rec, ctx)?.is_err() {
                clean = false;
                break;
            }
        }
        if let Some(quiet) = quiet {
            quiet.restore()?;
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

/// Applies remote records inside the caller's transaction: parents first, under the
/// guard; those that cannot be applied yet are staged with their error.
pub(super) fn apply_records(tx: &Connection, records: &[IncomingRecord]) -> Result<ApplyReport> {
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
    let mut ctx = ApplyCtx::new(tx)?;
    tx.execute("INSERT INTO sync_guard (on_) VALUES (1)", [])?;
    let report = apply_all(tx, &recs, &mut ctx, true)?;
    tx.execute("DELETE FROM sync_guard", [])?;
    Ok(report)
}

/// Whether a pulled record may be written at all: it fits the protocol's schema (the
/// server checks pushes against the same, but a laptop trusts no server blindly), and an
/// issued proposal's PDF matches its SHA-256 (a forged proposal would be frozen here,
/// undeletable). Refused ones are staged with the reason, and the sync goes on.
fn check_pulled(rec: &IncomingRecord) -> std::result::Result<(), Error> {
    if rec.deleted {
        return Ok(());
    }
    preau_protocol::schema::check_change(&rec.table, &rec.record_id, &rec.fields)
        .map_err(|why| bad(format!("record refused: {why}")))?;
    if rec.table == "proposals" {
        use sha2::Digest;
        let text = |f: &str| rec.fields.get(f).and_then(Value::as_str);
        if text("status").is_some_and(|s| s != "brouillon") {
            let pdf = text("pdf").and_then(|h| hex::decode(h).ok());
            let ok = match (pdf, text("pdf_sha256")) {
                (Some(pdf), Some(claimed)) => {
                    hex::encode(sha2::Sha256::digest(&pdf)).eq_ignore_ascii_case(claimed)
                }
                _ => false,
            };
            if !ok {
                return Err(bad("proposal refused: its PDF does not match its SHA-256"));
            }
        }
    }
    Ok(())
}

impl Store {
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
        set_cursor(&tx, next_cursor)?;
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
        // The page's commit does not wait for the disk (`synchronous=NORMAL`, WAL): a power
        // cut can lose the last pages applied, never part of one, and their cursor goes
        // with them, so they are pulled again. What the page changed here and sends on is
        // durable before it is sent: the next push's commit waits for the disk, and a WAL
        // commit that does makes every earlier one durable too.
        self.with_lazy_commits(|store| {
            let tx = store
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            let report = apply_records(&tx, records)?;
            set_cursor(&tx, next_cursor)?;
            tx.commit()?;
            Ok(report)
        })
    }

    /// Applies the staged records, parents first, each on its own (in chunks under a
    /// savepoint; a chunk with a failure is redone one savepoint per record): a record
    /// whose parent has not arrived yet stays staged for the next time. Fields changed
    /// locally and not yet pushed are left as they are (the server will see the clash).
    pub fn sync_apply_inbox(&mut self) -> Result<ApplyReport> {
        let mut staged: Vec<IncomingRecord> = Vec::new();
        {
            let mut stmt = self.conn.prepare(
                "SELECT tbl, record_id, revision, deleted, fields, conflicts, owner
                 FROM sync_inbox ORDER BY revision",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, bool>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, Option<String>>(6)?,
                ))
            })?;
            for row in rows {
                let (table, record_id, revision, deleted, fields, conflicts, owner) = row?;
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
                    owner,
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
        // Once every page is here: what hangs from a duplicate school has arrived.
        same_uai::merge_duplicates(&tx)?;
        set_last_sync(&tx)?;
        tx.commit()?;
        Ok(report)
    }
}
