//! The laptop's synced tables are exactly what the protocol's schema describes (the
//! server refuses anything else), every change a real store makes fits it, and a pulled
//! record that does not (a forged proposal) is staged, never written.

use chrono::NaiveDate;
use preau_core::sync::{IncomingRecord, SYNC_TABLES};
use preau_core::workflow::VisitExport;
use preau_protocol::schema::{self, ColumnType};
use rusqlite::Connection;
use serde_json::{json, Map, Value};
use sha2::Digest;

use crate::{new_store, read_fixture};

#[test]
fn the_store_has_the_protocol_s_tables_and_columns() {
    let (dir, store) = new_store();
    drop(store);
    let conn = Connection::open(dir.path().join(preau_core::DB_FILE)).expect("raw open");
    let names: Vec<&str> = SYNC_TABLES.iter().map(|t| t.name).collect();
    let protocol: Vec<&str> = schema::TABLES.iter().map(|t| t.name).collect();
    assert_eq!(names, protocol, "same tables, same order");
    for (t, p) in SYNC_TABLES.iter().zip(schema::TABLES) {
        assert_eq!(t.key, p.key, "{}: same key", t.name);
        let mut stmt = conn
            .prepare("SELECT name, type, \"notnull\" FROM pragma_table_info(?1)")
            .expect("prepare");
        let cols: Vec<(String, String, bool)> = stmt
            .query_map([t.name], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .expect("query")
            .map(|r| r.expect("row"))
            .collect();
        let mut store_names: Vec<&str> = cols.iter().map(|c| c.0.as_str()).collect();
        let mut protocol_names: Vec<&str> = p.columns.iter().map(|c| c.name).collect();
        store_names.sort_unstable();
        protocol_names.sort_unstable();
        assert_eq!(store_names, protocol_names, "{}: same columns", t.name);
        for (name, declared, not_null) in &cols {
            let c = p.column(name).expect("column");
            let ty_ok = match c.ty {
                ColumnType::Text { .. }
                | ColumnType::OneOf(_)
                | ColumnType::Id
                | ColumnType::LocalDateTime => declared == "TEXT",
                ColumnType::Integer { .. } | ColumnType::Flag => declared == "INTEGER",
                ColumnType::HexBytes { .. } => declared == "BLOB",
            };
            assert!(ty_ok, "{}.{name}: {declared} vs {:?}", t.name, c.ty);
            // A key column is NOT NULL in practice even where SQLite does not say so.
            let key = p.key.contains(&name.as_str());
            assert_eq!(
                *not_null || key,
                !c.nullable,
                "{}.{name}: nullability",
                t.name
            );
        }
    }
}

#[test]
fn every_change_a_real_store_makes_fits_the_schema() {
    let (_dir, mut store) = new_store();
    store
        .schools_import(read_fixture("annuaire-education-2024-somme.csv"))
        .expect("schools");
    let doc = VisitExport::parse(&read_fixture("visit-peronne-2-ecoles.json")).expect("fixture");
    let visit = store.visit_import(&doc).expect("import");
    store
        .participant_save(&visit, &crate::mayor("Mme Lefèvre"))
        .expect("participant");
    let today = NaiveDate::from_ymd_opt(2026, 11, 29).expect("date");
    let draft = store.proposal_draft(&visit, today).expect("draft");
    store
        .proposal_issue(&draft.id, today, |_| Ok(b"%PDF-1.7".to_vec()))
        .expect("issued");
    let changes = store.sync_outgoing(100_000).expect("outgoing");
    let tables: std::collections::HashSet<&str> =
        changes.iter().map(|c| c.table.as_str()).collect();
    assert_eq!(
        tables.len(),
        SYNC_TABLES.len(),
        "every table sends something: {tables:?}"
    );
    for c in &changes {
        if let Err(why) = schema::check_change(&c.table, &c.record_id, &c.fields) {
            panic!("{} {}: {why}", c.table, c.record_id);
        }
    }
}

fn proposal(visit: &str, pdf: &[u8], sha: &str) -> IncomingRecord {
    let fields = json!({"id": "01890a5d-ac96-774b-bcce-b302099a8059", "visit_id": visit,
        "number": "2026-0002-0001", "revision": 1, "replaces_id": null, "status": "acceptee",
        "scenario_ids": "[]", "civility": "", "validity_days": 90,
        "created_at": "2026-11-29T10:00:00Z", "issued_on": "2026-11-29",
        "valid_until": "2027-02-27", "decided_on": null, "snapshot": "{}",
        "pdf": hex::encode(pdf), "pdf_sha256": sha});
    pulled(
        "proposals",
        "01890a5d-ac96-774b-bcce-b302099a8059",
        7,
        fields,
    )
}

#[test]
fn a_forged_or_malformed_pulled_record_is_staged_not_written() {
    let (_dir, mut store) = new_store();
    let visit = store
        .visit_create("80620", "2026-12-03T18:00")
        .expect("visit")
        .id;
    let today = NaiveDate::from_ymd_opt(2026, 11, 29).expect("date");
    let forged = proposal(&visit, b"%PDF fausse", &"0".repeat(64));
    let report = store.sync_receive(&[forged], 7).expect("receive");
    assert_eq!((report.applied, report.waiting), (0, 1));
    assert!(store.proposals_of(&visit, today).expect("list").is_empty());
    // A value deeper than a scalar, an unknown column: staged too.
    let mut deep = Map::new();
    deep.insert("notes".into(), json!({"a": {"b": 1}}));
    let mut unknown = Map::new();
    unknown.insert("owner".into(), Value::from("x"));
    for fields in [deep, unknown] {
        let r = IncomingRecord {
            table: "visits".into(),
            record_id: visit.clone(),
            revision: 8,
            deleted: false,
            fields,
            conflicts: Vec::new(),
            owner: None,
        };
        let report = store.sync_receive(&[r], 8).expect("receive");
        assert_eq!(report.waiting, 1);
    }
    assert_eq!(store.visit(&visit).expect("visit").notes, "");
    // The genuine one goes in.
    let pdf = b"%PDF vraie";
    let genuine = proposal(&visit, pdf, &hex::encode(sha2::Sha256::digest(pdf)));
    let report = store.sync_receive(&[genuine], 9).expect("receive");
    assert_eq!(report.applied, 1, "{report:?}");
    assert_eq!(store.proposals_of(&visit, today).expect("list").len(), 1);
}

fn pulled(table: &str, id: &str, revision: i64, fields: Value) -> IncomingRecord {
    IncomingRecord {
        table: table.into(),
        record_id: id.into(),
        revision,
        deleted: false,
        fields: fields.as_object().cloned().unwrap_or_default(),
        conflicts: Vec::new(),
        owner: None,
    }
}

/// New records are written with the triggers switched off (`incoming::TriggersOff`): a
/// missing parent is still refused and the record staged, nothing is logged, and the
/// triggers are on again for what is typed next (else an edit would never be sent).
#[test]
fn a_page_written_without_triggers_leaves_them_on() {
    let (_dir, mut store) = new_store();
    let visit = "01890a5d-ac96-774b-bcce-b302099a0001";
    let page = [
        pulled(
            "visits",
            visit,
            1,
            json!({"id": visit, "commune_insee": "80620", "scheduled_at": "2026-12-03T18:00:00",
                "notes": "", "created_at": "2026-12-01T00:00:00Z",
                "updated_at": "2026-12-01T00:00:00Z"}),
        ),
        pulled(
            "participants",
            "01890a5d-ac96-774b-bcce-b302099a0002",
            2,
            json!({"id": "01890a5d-ac96-774b-bcce-b302099a0002", "visit_id": visit,
                "position": 0, "name": "Mme la maire", "role": "maire"}),
        ),
        pulled(
            "participants",
            "01890a5d-ac96-774b-bcce-b302099a0003",
            3,
            json!({"id": "01890a5d-ac96-774b-bcce-b302099a0003",
                "visit_id": "01890a5d-ac96-774b-bcce-b302099a0099",
                "position": 0, "name": "Sans visite", "role": "maire"}),
        ),
    ];
    let report = store.sync_receive(&page, 3).expect("receive");
    assert_eq!((report.applied, report.waiting), (2, 1), "{report:?}");
    assert_eq!(
        store.sync_pending().expect("pending"),
        0,
        "nothing pulled is sent back"
    );
    store
        .visit_update(
            visit,
            &preau_core::model::VisitPatch {
                notes: Some("Tapé après la synchronisation".into()),
                ..Default::default()
            },
        )
        .expect("edit");
    assert_eq!(
        store.sync_pending().expect("pending"),
        1,
        "the edit is logged"
    );
    let sent = store.sync_outgoing(10).expect("outgoing");
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].fields.get("notes"),
        Some(&json!("Tapé après la synchronisation"))
    );
}

/// A colleague's visit whose appointment is not a date the app writes (one laptop sent
/// `2026-12-03T18:00`) is staged, not written: written, it stopped the list of visits
/// from loading on every laptop that pulled it.
#[test]
fn a_pulled_visit_with_a_malformed_date_is_staged_and_the_list_loads() {
    let (_dir, mut store) = new_store();
    store
        .visit_create("80620", "2026-12-03T18:00")
        .expect("own visit");
    let visit = "01890a5d-ac96-774b-bcce-b302099a0011";
    let malformed = pulled(
        "visits",
        visit,
        1,
        json!({"id": visit, "commune_insee": "80620", "scheduled_at": "2026-12-03T18:00",
            "notes": "", "created_at": "2026-12-01T00:00:00Z",
            "updated_at": "2026-12-01T00:00:00Z"}),
    );
    let report = store.sync_receive(&[malformed], 1).expect("receive");
    assert_eq!((report.applied, report.waiting), (0, 1), "{report:?}");
    assert_eq!(store.visits_list().expect("the list loads").len(), 1);
}

/// What lets a pulled chunk be written with the triggers off (`incoming::triggers_idle`):
/// outside schools and proposals, every trigger an insert or an update fires is one the
/// sync guard silences. A trigger that did other work on such a table would be skipped
/// for pulled records without a word: this fails first.
#[test]
fn outside_schools_and_proposals_only_guarded_triggers_fire_on_writes() {
    let (_dir, store) = new_store();
    let conn = Connection::open(store.path()).expect("open");
    let mut stmt = conn
        .prepare("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")
        .expect("prepare");
    let triggers: Vec<(String, String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("query")
        .map(|r| r.expect("row"))
        .collect();
    let mut checked = 0;
    for (name, table, sql) in &triggers {
        let head = sql
            .to_uppercase()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let head = head.split(" BEGIN").next().unwrap_or_default().to_string();
        if table == "schools" || table == "proposals" || head.contains(" DELETE ON ") {
            continue;
        }
        assert!(
            head.ends_with("WHEN NOT EXISTS (SELECT 1 FROM SYNC_GUARD)"),
            "{name} on {table} fires on writes without the sync guard: {head}"
        );
        checked += 1;
    }
    assert!(checked >= 20, "{checked} triggers checked");
}
