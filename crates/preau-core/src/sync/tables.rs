//! What is synced and how its values travel: the synced tables with their keys and
//! unlogged columns, the conversion between SQLite values and the JSON of the wire, and
//! the SQL made from a table description (a record's key, its row as a map). Shared by
//! every other part of `sync/`; no state, no policy.

use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::Connection;
use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// A synced table and its key columns (a record id is the key values joined by `/`).
///
/// The triggers that log changes are hand-written SQL (migrations 004 to 007), one line
/// per column. Every column is either logged when it changes or listed here as not
/// logged, and `tests/it/sync_columns.rs` checks each one against the schema
/// (`pragma_table_info`) by changing it in a real row: a column added without its trigger
/// line fails that test instead of silently never reaching the server.
#[derive(Debug, Clone, Copy)]
pub struct SyncTable {
    pub name: &'static str,
    pub key: &'static [&'static str],
    /// Columns that never leave this laptop: not logged, not sent with a new record, not
    /// written from a pulled one.
    pub local: &'static [&'static str],
    /// Bookkeeping columns: sent with a new record, never logged as an edit (else every
    /// two concurrent edits of one record would clash on them).
    pub bookkeeping: &'static [&'static str],
}

impl SyncTable {
    const fn new(name: &'static str, key: &'static [&'static str]) -> SyncTable {
        SyncTable {
            name,
            key,
            local: &[],
            bookkeeping: &[],
        }
    }

    pub(super) fn is_local(&self, column: &str) -> bool {
        self.local.contains(&column)
    }
}

/// Synced tables, parents before children (the order remote records are applied in).
pub const SYNC_TABLES: &[SyncTable] = &[
    SyncTable {
        bookkeeping: &["updated_at"],
        ..SyncTable::new("schools", &["id"])
    },
    SyncTable {
        bookkeeping: &["created_at", "updated_at"],
        ..SyncTable::new("visits", &["id"])
    },
    SyncTable::new("visit_schools", &["visit_id", "school_id"]),
    SyncTable::new("participants", &["id"]),
    SyncTable::new("pedagogy", &["visit_id", "school_id"]),
    SyncTable::new("objectives", &["id"]),
    SyncTable::new("class_situations", &["id"]),
    SyncTable::new("school_situations", &["visit_id", "school_id"]),
    SyncTable::new("scenarios", &["id"]),
    SyncTable::new("equipment_lines", &["id"]),
    SyncTable::new("line_objectives", &["line_id", "objective_id"]),
    // Issued proposals only (see migrations/005_sync_proposals.sql): append-only. Their
    // columns but the answer are frozen by the schema once issued, so never change.
    SyncTable::new("proposals", &["id"]),
];

/// BLOB columns of synced tables: sent as hex text, written back as bytes.
const BLOB_COLUMNS: &[(&str, &str)] = &[("proposals", "pdf")];

pub(super) fn is_blob(table: &str, column: &str) -> bool {
    BLOB_COLUMNS.contains(&(table, column))
}

/// A JSON value for a column: hex text back to bytes for BLOB columns.
pub(super) fn to_sql_column(table: &str, column: &str, v: &Value) -> Result<SqlValue> {
    match v {
        Value::String(text) if is_blob(table, column) => hex::decode(text)
            .map(SqlValue::Blob)
            .map_err(|e| bad(format!("{table}.{column}: {e}"))),
        _ => Ok(to_sql(v)),
    }
}

pub(super) fn table(name: &str) -> Option<(usize, &'static SyncTable)> {
    SYNC_TABLES.iter().enumerate().find(|(_, t)| t.name == name)
}

pub(super) fn bad(message: impl Into<String>) -> Error {
    Error::invalid("sync", message)
}

pub(super) fn to_json(v: ValueRef<'_>) -> Value {
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
pub(super) fn columns(conn: &Connection, table: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached("SELECT name FROM pragma_table_info(?1)")?;
    let rows = stmt.query_map([table], |r| r.get::<_, String>(0))?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

pub(super) fn key_values<'a>(t: &SyncTable, record_id: &'a str) -> Result<Vec<&'a str>> {
    let parts: Vec<&str> = record_id.split('/').collect();
    if parts.len() != t.key.len() || parts.iter().any(|p| p.is_empty()) {
        return Err(bad(format!("bad record id {record_id:?} for {}", t.name)));
    }
    Ok(parts)
}

pub(super) fn key_where(t: &SyncTable) -> String {
    t.key
        .iter()
        .enumerate()
        .map(|(i, k)| format!("{k} = ?{}", i + 1))
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// The current row of a record as a JSON map, `None` if it is gone.
pub(super) fn read_row(
    conn: &Connection,
    t: &SyncTable,
    record_id: &str,
) -> Result<Option<Map<String, Value>>> {
    read_row_where(conn, t, record_id, |_| true)
}

/// The columns of a record's current row that `wanted` names, as a JSON map; `None` if
/// the row is gone. The others are not converted at all (a batch reads one row a change).
pub(super) fn read_row_where(
    conn: &Connection,
    t: &SyncTable,
    record_id: &str,
    wanted: impl Fn(&str) -> bool,
) -> Result<Option<Map<String, Value>>> {
    let keys = key_values(t, record_id)?;
    let mut stmt = conn.prepare_cached(select_sql(t))?;
    let names: Vec<Option<String>> = stmt
        .column_names()
        .map(|name| wanted(name).then(|| name.to_string()))
        .collect();
    let mut rows = stmt.query(rusqlite::params_from_iter(keys.iter()))?;
    let Some(row) = rows.next()? else {
        return Ok(None);
    };
    let mut map = Map::new();
    for (i, name) in names.into_iter().enumerate() {
        if let Some(name) = name {
            map.insert(name, to_json(row.get_ref(i)?));
        }
    }
    Ok(Some(map))
}

/// `SELECT * FROM <table> WHERE <key>`, made once per table.
fn select_sql(t: &SyncTable) -> &'static str {
    static SQL: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let all = SQL.get_or_init(|| {
        SYNC_TABLES
            .iter()
            .map(|t| format!("SELECT * FROM {} WHERE {}", t.name, key_where(t)))
            .collect()
    });
    SYNC_TABLES
        .iter()
        .position(|s| s.name == t.name)
        .and_then(|i| all.get(i))
        .map_or("SELECT NULL WHERE 0", String::as_str)
}
