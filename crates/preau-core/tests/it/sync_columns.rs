//! The change log cannot silently miss a column. The sync triggers are written by hand
//! (migrations 004 to 007), one `INSERT INTO sync_log` per column; a column added to a
//! synced table without its line in the update trigger would never be pushed, and
//! nothing else would say so. This test takes every column of every synced table from
//! the schema (`pragma_table_info`), changes it in a real row and looks at the log.

use chrono::NaiveDate;
use preau_core::sync::{SyncTable, SYNC_TABLES};
use preau_core::workflow::VisitExport;
use rusqlite::{Connection, ErrorCode};

use crate::{new_store, read_fixture};

/// A store with at least one row in every synced table: the example visit (two schools,
/// participants, pedagogy, objectives, classes, situations, scenarios, lines serving
/// objectives) and an issued proposal.
fn every_table_filled() -> (tempfile::TempDir, Connection) {
    let (dir, mut store) = new_store();
    store
        .schools_import(read_fixture("annuaire-education-2024-somme.csv"))
        .expect("schools");
    let doc = VisitExport::parse(&read_fixture("visit-peronne-2-ecoles.json")).expect("fixture");
    let visit = store.visit_import(&doc).expect("import");
    let today = NaiveDate::from_ymd_opt(2026, 11, 29).expect("date");
    let draft = store.proposal_draft(&visit, today).expect("draft");
    store
        .proposal_issue(&draft.id, today, |_| Ok(b"%PDF".to_vec()))
        .expect("issued");
    drop(store);
    let conn = Connection::open(dir.path().join(preau_core::DB_FILE)).expect("raw open");
    // Any value of the column's type will do: the test is about the triggers, not the
    // rules (a changed key or parent must not be refused by its constraints either).
    conn.pragma_update(None, "foreign_keys", false)
        .expect("pragma");
    conn.pragma_update(None, "ignore_check_constraints", true)
        .expect("pragma");
    (dir, conn)
}

/// The record id of the row (its key values joined by `/`, as the sync names it).
fn record_id(conn: &Connection, t: &SyncTable, rowid: i64) -> String {
    let key = t.key.join(" || '/' || ");
    conn.query_row(
        &format!("SELECT {key} FROM {} WHERE rowid = ?1", t.name),
        [rowid],
        |r| r.get(0),
    )
    .expect("key")
}

/// A SQL expression for another value of the column, of its declared type.
fn another_value(column: &str, declared: &str, current: &str) -> String {
    match (current, declared) {
        ("integer", _) => format!("{column} + 1000003"),
        ("real", _) => format!("{column} + 0.5"),
        ("text", _) => format!("{column} || 'x'"),
        ("blob", _) => format!("zeroblob(length({column}) + 1)"),
        (_, "INTEGER") => "1".into(),
        (_, "REAL") => "0.5".into(),
        (_, "BLOB") => "x'00'".into(),
        _ => "'x'".into(),
    }
}

/// What updating `column` of the row logged, or `None` when the schema refuses the
/// change (an issued proposal's frozen columns): a column that cannot change cannot be
/// missed. Nothing is kept: the change is rolled back.
fn log_after_update(
    conn: &mut Connection,
    t: &SyncTable,
    rowid: i64,
    column: &str,
    declared: &str,
) -> Option<(String, Vec<(String, String)>)> {
    let sp = conn.savepoint().expect("savepoint");
    sp.execute("DELETE FROM sync_log", []).expect("clear log");
    let current: String = sp
        .query_row(
            &format!("SELECT typeof({column}) FROM {} WHERE rowid = ?1", t.name),
            [rowid],
            |r| r.get(0),
        )
        .expect("type");
    let value = another_value(column, declared, &current);
    let sql = format!("UPDATE {} SET {column} = {value} WHERE rowid = ?1", t.name);
    match sp.execute(&sql, [rowid]) {
        Ok(1) => {}
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == ErrorCode::ConstraintViolation
                && e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_TRIGGER =>
        {
            return None;
        }
        other => panic!("{}.{column}: {sql} gave {other:?}", t.name),
    }
    let new_id = record_id(&sp, t, rowid);
    let mut stmt = sp
        .prepare("SELECT record_id, field FROM sync_log WHERE tbl = ?1 ORDER BY record_id, field")
        .expect("log");
    let logged = stmt
        .query_map([t.name], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("log")
        .collect::<rusqlite::Result<Vec<(String, String)>>>()
        .expect("log");
    Some((new_id, logged))
}

#[test]
fn every_column_of_a_synced_table_is_logged_or_declared_unlogged() {
    let (_dir, mut conn) = every_table_filled();
    let mut problems: Vec<String> = Vec::new();
    let mut refused: Vec<String> = Vec::new();
    for t in SYNC_TABLES {
        let columns: Vec<(String, String)> = conn
            .prepare("SELECT name, type FROM pragma_table_info(?1)")
            .expect("columns")
            .query_map([t.name], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("columns")
            .collect::<rusqlite::Result<_>>()
            .expect("columns");
        for declared in t.local.iter().chain(t.bookkeeping) {
            if !columns.iter().any(|(c, _)| c == declared) {
                problems.push(format!(
                    "{}.{declared}: declared, but no such column",
                    t.name
                ));
            }
        }
        let rowid: i64 = conn
            .query_row(
                &format!("SELECT rowid FROM {} ORDER BY rowid LIMIT 1", t.name),
                [],
                |r| r.get(0),
            )
            .unwrap_or_else(|e| panic!("no row in {}: {e}", t.name));
        let old_id = record_id(&conn, t, rowid);
        for (column, declared) in &columns {
            let Some((new_id, logged)) = log_after_update(&mut conn, t, rowid, column, declared)
            else {
                refused.push(format!("{}.{column}", t.name));
                continue;
            };
            let has = |id: &str, field: &str| logged.iter().any(|(r, f)| r == id && f == field);
            let unlogged =
                t.local.contains(&column.as_str()) || t.bookkeeping.contains(&column.as_str());
            let fine = if t.key.contains(&column.as_str()) {
                // A new key: the old record is gone, the new one is new.
                has(&old_id, "-") && has(&new_id, "*")
            } else if unlogged {
                logged.is_empty()
            } else {
                has(&old_id, column)
            };
            if !fine {
                problems.push(format!(
                    "{}.{column}: {} (logged: {logged:?})",
                    t.name,
                    if unlogged {
                        "declared local or bookkeeping, but its change is logged"
                    } else {
                        "changed, not in the change log, not declared local"
                    }
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "the sync triggers and SYNC_TABLES disagree:\n{}",
        problems.join("\n")
    );
    // Only an issued proposal is frozen by the schema (migrations/003_proposals.sql); a
    // refusal anywhere else would hide a column from this test.
    assert!(
        refused.iter().all(|c| c.starts_with("proposals.")) && refused.len() < 20,
        "changes refused by the schema: {refused:?}"
    );
}
