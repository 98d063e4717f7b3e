//! The change log (`sync_log`) takes any number of edits of any field between two syncs,
//! whatever form the write statement takes (issue 9: the second upsert of a field failed).

use preau_core::model::{Participant, Role};
use rusqlite::Connection;

use crate::new_store;

fn participant(id: &str, name: &str) -> Participant {
    Participant {
        id: id.into(),
        name: name.into(),
        role: Role::Maire,
        phone: None,
        email: None,
    }
}

/// The story of the bug, through the store's API: three saves of one participant.
#[test]
fn a_field_saved_three_times_before_a_sync_keeps_the_last_value() {
    let (_dir, mut store) = new_store();
    let visit = store
        .visit_create("80620", "2026-12-03T18:00")
        .expect("visit");
    let id = preau_core::make_id();
    for name in ["Marie", "Marie Dupont", "Marie Dupont-Lefèvre"] {
        store
            .participant_save(&visit.id, &participant(&id, name))
            .expect("every save succeeds");
    }
    let saved = store.visit(&visit.id).expect("visit");
    assert_eq!(saved.participants[0].name, "Marie Dupont-Lefèvre");
}

fn log_of(conn: &Connection, record_id: &str) -> Vec<String> {
    let mut stmt = conn
        .prepare(
            "SELECT field FROM sync_log WHERE tbl = 'participants' AND record_id = ?1
             ORDER BY field",
        )
        .expect("prepare");
    stmt.query_map([record_id], |r| r.get(0))
        .expect("query")
        .map(|r| r.expect("row"))
        .collect()
}

/// Each statement form that can write a synced row, run three times in a row on the same
/// record with a new value each time: every run succeeds, the last value is stored and the
/// log names the field once.
#[test]
fn every_write_form_may_repeat_between_syncs() {
    let (_dir, mut store) = new_store();
    let visit = store
        .visit_create("80620", "2026-12-03T18:00")
        .expect("visit");
    let id = preau_core::make_id();
    store
        .participant_save(&visit.id, &participant(&id, "Départ"))
        .expect("first save");
    let conn = Connection::open(store.path()).expect("second connection");
    conn.pragma_update(None, "foreign_keys", true).expect("fk");
    // Pretend the record was synced: only the edits below are unsynced.
    conn.execute("DELETE FROM sync_log", []).expect("clear log");

    let forms: &[(&str, &str)] = &[
        ("UPDATE", "UPDATE participants SET name = ?2 WHERE id = ?1"),
        (
            "UPDATE OR ABORT",
            "UPDATE OR ABORT participants SET name = ?2 WHERE id = ?1",
        ),
        (
            "UPDATE OR FAIL",
            "UPDATE OR FAIL participants SET name = ?2 WHERE id = ?1",
        ),
        (
            "UPDATE OR ROLLBACK",
            "UPDATE OR ROLLBACK participants SET name = ?2 WHERE id = ?1",
        ),
        (
            "UPDATE OR REPLACE",
            "UPDATE OR REPLACE participants SET name = ?2 WHERE id = ?1",
        ),
        (
            "UPDATE OR IGNORE",
            "UPDATE OR IGNORE participants SET name = ?2 WHERE id = ?1",
        ),
        (
            "upsert",
            "INSERT INTO participants (id, visit_id, position, name, role)
             SELECT id, visit_id, position, ?2, role FROM participants WHERE id = ?1
             ON CONFLICT (id) DO UPDATE SET name = excluded.name",
        ),
        (
            "INSERT OR REPLACE",
            "INSERT OR REPLACE INTO participants (id, visit_id, position, name, role)
             SELECT id, visit_id, position, ?2, role FROM participants WHERE id = ?1",
        ),
    ];
    for (label, sql) in forms {
        for round in 0..3 {
            let value = format!("{label} {round}");
            let changed = conn
                .execute(sql, [id.as_str(), value.as_str()])
                .unwrap_or_else(|e| panic!("{label}, round {round}: {e}"));
            assert_eq!(changed, 1, "{label}, round {round}");
            let stored: String = conn
                .query_row("SELECT name FROM participants WHERE id = ?1", [&id], |r| {
                    r.get(0)
                })
                .expect("stored");
            assert_eq!(stored, value, "{label}, round {round}");
            let log = log_of(&conn, &id);
            assert!(
                log.iter().any(|f| f == "name" || f == "*"),
                "{label}: the edit is logged ({log:?})"
            );
            let mut distinct = log.clone();
            distinct.dedup();
            assert_eq!(distinct, log, "{label}: one log entry per field");
        }
    }
    // Delete then insert, twice: the record is new again, logged whole.
    for round in 0..2 {
        let tx = conn.unchecked_transaction().expect("tx");
        tx.execute("DELETE FROM participants WHERE id = ?1", [&id])
            .expect("delete");
        tx.execute(
            "INSERT INTO participants (id, visit_id, position, name, role)
             VALUES (?1, ?2, 0, ?3, 'maire')",
            [id.as_str(), visit.id.as_str(), &format!("recréé {round}")],
        )
        .expect("insert again");
        tx.commit().expect("commit");
        assert_eq!(log_of(&conn, &id), vec!["*".to_string()]);
    }
    // And deleted for good: the log says so, once.
    conn.execute("DELETE FROM participants WHERE id = ?1", [&id])
        .expect("delete");
    assert_eq!(log_of(&conn, &id), vec!["-".to_string()]);
}

/// No trigger may lean on a conflict clause to write the change log: the statement that
/// fires it can override that clause (held by the NOT EXISTS guard of schema 6).
#[test]
fn no_trigger_relies_on_a_conflict_clause_for_the_log() {
    let (_dir, store) = new_store();
    let conn = Connection::open(store.path()).expect("open");
    let mut stmt = conn
        .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        .expect("prepare");
    let triggers: Vec<(String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query")
        .map(|r| r.expect("row"))
        .collect();
    assert!(triggers.len() >= 35, "{} triggers", triggers.len());
    for (name, sql) in &triggers {
        let upper = sql.to_uppercase();
        for (i, _) in upper.match_indices("INTO SYNC_LOG") {
            let before = &upper[..i];
            assert!(
                !before.trim_end().ends_with("OR IGNORE")
                    && !before.trim_end().ends_with("OR REPLACE"),
                "{name} writes sync_log with a conflict clause"
            );
            let statement = &upper[i..upper[i..].find(';').map_or(upper.len(), |e| i + e)];
            assert!(
                statement.contains("NOT EXISTS (SELECT 1 FROM SYNC_LOG"),
                "{name}: a log insert without its NOT EXISTS guard"
            );
        }
    }
}
