//! Importing a visit this laptop already has edits it like the app would: only what differs
//! is written (and so logged for sync), `created_at` stays, and the store ends up exactly as
//! the file says (issue 11: a re-import used to delete and remake the whole visit).

use std::collections::BTreeSet;

use preau_core::model::{Participant, Role};
use preau_core::workflow::VisitExport;
use preau_core::Store;
use rusqlite::Connection;

use crate::workflow::FIXTURE;
use crate::{new_store, read_fixture};

/// The example visit imported, then the log cleared as a sync would leave it.
fn synced_example() -> (tempfile::TempDir, Store, VisitExport, Connection) {
    let (dir, mut store) = new_store();
    let doc = VisitExport::parse(&read_fixture(FIXTURE)).expect("fixture parses");
    store.visit_import(&doc).expect("first import");
    let conn = Connection::open(store.path()).expect("second connection");
    conn.execute("DELETE FROM sync_log", [])
        .expect("as after a sync");
    (dir, store, doc, conn)
}

fn logged(conn: &Connection) -> BTreeSet<(String, String, String)> {
    let mut stmt = conn
        .prepare("SELECT tbl, record_id, field FROM sync_log")
        .expect("prepare");
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("query")
        .map(|r| r.expect("row"))
        .collect()
}

fn created_at(conn: &Connection, visit_id: &str) -> String {
    conn.query_row(
        "SELECT created_at FROM visits WHERE id = ?1",
        [visit_id],
        |r| r.get(0),
    )
    .expect("visit row")
}

fn entry(tbl: &str, id: &str, field: &str) -> (String, String, String) {
    (tbl.into(), id.into(), field.into())
}

#[test]
fn an_unchanged_visit_imported_again_writes_nothing() {
    let (_dir, mut store, doc, conn) = synced_example();
    let made = created_at(&conn, &doc.visit.id);
    store.visit_import(&doc).expect("import again");
    assert_eq!(logged(&conn), BTreeSet::new());
    assert_eq!(created_at(&conn, &doc.visit.id), made);
    assert_eq!(store.visit_export(&doc.visit.id).expect("export"), doc);
}

#[test]
fn an_edited_visit_imported_again_writes_only_what_differs() {
    let (_dir, mut store, mut doc, conn) = synced_example();
    let visit_id = doc.visit.id.clone();
    let made = created_at(&conn, &visit_id);

    doc.visit.notes = "Délibération reportée à février.".into();
    let renamed = doc.visit.participants[0].id.clone();
    doc.visit.participants[0].name = "Marie Dupont-Lefèvre".into();
    let gone = doc.visit.participants.remove(2).id;
    let added = preau_core::make_id();
    doc.visit.participants.insert(
        0,
        Participant {
            id: added.clone(),
            name: "Luc Bernard".into(),
            role: Role::SecretaireMairie,
            phone: None,
            email: None,
        },
    );
    let line = &mut doc.scenarios[0].lines[2];
    line.quantity = 18;
    let line_id = line.id.clone();
    let dropped_line = doc.scenarios[1].lines.remove(1).id;

    store.visit_import(&doc).expect("import the edited file");

    // The store is what the file says.
    assert_eq!(store.visit_export(&visit_id).expect("export"), doc);
    assert_eq!(
        created_at(&conn, &visit_id),
        made,
        "created_at never changes"
    );
    // And only the differences were logged for the next sync.
    let log = logged(&conn);
    for expected in [
        entry("visits", &visit_id, "notes"),
        entry("participants", &renamed, "name"),
        entry("participants", &gone, "-"),
        entry("participants", &added, "*"),
        entry("equipment_lines", &line_id, "quantity"),
        entry("equipment_lines", &dropped_line, "-"),
    ] {
        assert!(log.contains(&expected), "{expected:?} missing from {log:?}");
    }
    let unexpected: Vec<_> = log
        .iter()
        .filter(|(tbl, _, field)| {
            !matches!(
                (tbl.as_str(), field.as_str()),
                ("visits", "notes")
                    | ("participants", "name" | "-" | "*" | "position")
                    | ("equipment_lines", "quantity" | "-")
                    | ("line_objectives", "-")
            )
        })
        .collect();
    assert!(
        unexpected.is_empty(),
        "logged without a difference: {unexpected:?}"
    );
    assert!(
        !log.iter().any(|(t, _, f)| t == "visits" && f == "*"),
        "the visit is not made again"
    );
}

#[test]
fn a_file_with_a_scenario_and_a_class_fewer_removes_them_here() {
    let (_dir, mut store, mut doc, conn) = synced_example();
    let visit_id = doc.visit.id.clone();
    let scenario = doc.scenarios.remove(1).scenario.id;
    // A class no remaining line uses.
    let used: BTreeSet<String> = doc
        .scenarios
        .iter()
        .flat_map(|s| s.lines.iter().filter_map(|l| l.class_id.clone()))
        .collect();
    let pos = doc
        .classes
        .iter()
        .position(|c| !used.contains(&c.id))
        .expect("a class without lines in scenario A");
    let class = doc.classes.remove(pos).id;

    store.visit_import(&doc).expect("import");

    assert_eq!(store.visit_export(&visit_id).expect("export"), doc);
    let log = logged(&conn);
    assert!(log.contains(&entry("scenarios", &scenario, "-")), "{log:?}");
    assert!(
        log.contains(&entry("class_situations", &class, "-")),
        "{log:?}"
    );
}

#[test]
fn a_refused_reimport_changes_nothing() {
    let (_dir, mut store, mut doc, conn) = synced_example();
    let visit_id = doc.visit.id.clone();
    let before = store.visit_export(&visit_id).expect("export");
    doc.visit.notes = "Une note qui ne doit pas rester.".into();
    doc.scenarios[0].lines[0].quantity = 0;
    assert!(store.visit_import(&doc).is_err());
    assert_eq!(store.visit_export(&visit_id).expect("export"), before);
    assert_eq!(logged(&conn), BTreeSet::new());
}
