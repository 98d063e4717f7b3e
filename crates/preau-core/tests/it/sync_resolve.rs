//! Settling a field in conflict: the chosen value is written, becomes a local change to
//! push, and the conflict goes; a refused choice changes nothing.

use preau_core::model::VisitPatch;
use preau_core::sync::{IncomingConflict, IncomingRecord, OutgoingChange};
use preau_core::Store;
use serde_json::{json, Map};

use crate::new_store;

const ME: &str = "0197a000-0000-7000-8000-00000000000b";
const OTHER: &str = "0197a000-0000-7000-8000-00000000000a";

/// An enrolled laptop with one visit, pushed and acknowledged.
fn laptop_with_visit() -> (tempfile::TempDir, Store, String) {
    let (dir, mut store) = new_store();
    store
        .sync_enroll("http://127.0.0.1:9", ME, "Test", "token")
        .expect("enrolled");
    let visit = store
        .visit_create("80620", "2026-12-03T18:00")
        .expect("visit");
    push_all(&mut store);
    assert_eq!(store.sync_status().expect("status").pending, 0);
    (dir, store, visit.id)
}

fn push_all(store: &mut Store) -> Vec<OutgoingChange> {
    let out = store.sync_outgoing(1000).expect("outgoing");
    store
        .sync_acknowledge(&crate::acks(&out))
        .expect("acknowledged");
    out
}

/// The server's answer after another laptop's notes won and ours were set aside.
fn pull_conflict(store: &mut Store, visit_id: &str, device: &str) {
    let mut fields = Map::new();
    fields.insert("notes".into(), json!("Notes du poste A"));
    let record = IncomingRecord {
        table: "visits".into(),
        record_id: visit_id.into(),
        revision: 10,
        deleted: false,
        fields,
        conflicts: vec![IncomingConflict {
            field: "notes".into(),
            value: json!("Notes du poste B"),
            device_id: device.into(),
            revision: 11,
        }],
        owner: None,
    };
    store.sync_receive(&[record], 11).expect("received");
}

#[test]
fn a_conflict_is_listed_with_both_values_and_labels() {
    let (_dir, mut store, visit) = laptop_with_visit();
    pull_conflict(&mut store, &visit, ME);
    let status = store.sync_status().expect("status");
    assert_eq!(status.conflicts, 1);
    assert!(status.enrolled && !status.revoked);
    let list = store.sync_conflict_list().expect("list");
    assert_eq!(list.len(), 1);
    let c = &list[0];
    assert_eq!(c.field_label, "Notes");
    assert_eq!(c.record_label, "Visite à Péronne du 3 décembre 2026");
    assert_eq!(c.local_text, "Notes du poste A");
    assert_eq!(c.other_text, "Notes du poste B");
    assert!(c.other_is_mine, "the value set aside was typed here");
    assert!(!c.record_deleted);
    assert_eq!(c.revision, 11);
}

#[test]
fn keeping_the_other_value_writes_it_and_makes_a_change() {
    let (_dir, mut store, visit) = laptop_with_visit();
    pull_conflict(&mut store, &visit, OTHER);
    assert!(!store.sync_conflict_list().expect("list")[0].other_is_mine);
    store
        .sync_conflict_resolve("visits", &visit, "notes", 11, true)
        .expect("resolved");
    assert_eq!(
        store.visit(&visit).expect("visit").notes,
        "Notes du poste B"
    );
    let status = store.sync_status().expect("status");
    assert_eq!(status.conflicts, 0);
    assert_eq!(status.pending, 1);
    let out = push_all(&mut store);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].table, "visits");
    assert_eq!(out[0].fields.get("notes"), Some(&json!("Notes du poste B")));
    // Based on the revision pulled with the conflict: the server takes it as settling it.
    assert_eq!(out[0].base_revision, 10);
}

#[test]
fn keeping_the_value_here_is_still_pushed() {
    let (_dir, mut store, visit) = laptop_with_visit();
    pull_conflict(&mut store, &visit, OTHER);
    store
        .sync_conflict_resolve("visits", &visit, "notes", 11, false)
        .expect("resolved");
    assert_eq!(
        store.visit(&visit).expect("visit").notes,
        "Notes du poste A"
    );
    assert!(store.sync_conflict_list().expect("list").is_empty());
    let out = push_all(&mut store);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].fields.get("notes"), Some(&json!("Notes du poste A")));
    assert_eq!(out[0].base_revision, 10);
}

#[test]
fn a_later_local_edit_of_the_field_is_what_gets_pushed() {
    let (_dir, mut store, visit) = laptop_with_visit();
    pull_conflict(&mut store, &visit, OTHER);
    store
        .sync_conflict_resolve("visits", &visit, "notes", 11, true)
        .expect("resolved");
    store
        .visit_update(
            &visit,
            &VisitPatch {
                notes: Some("Notes reprises".into()),
                ..VisitPatch::default()
            },
        )
        .expect("edited");
    let out = push_all(&mut store);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].fields.get("notes"), Some(&json!("Notes reprises")));
}

#[test]
fn an_unknown_or_stale_choice_is_refused_and_changes_nothing() {
    let (_dir, mut store, visit) = laptop_with_visit();
    pull_conflict(&mut store, &visit, OTHER);
    let attempts: [(&str, &str, &str, i64); 5] = [
        ("visits", visit.as_str(), "notes", 12),
        ("visits", visit.as_str(), "scheduled_at", 11),
        ("visits", visit.as_str(), "notes = 'x' --", 11),
        ("visits", visit.as_str(), "id", 11),
        ("proposals", visit.as_str(), "notes", 11),
    ];
    for (table, id, field, revision) in attempts {
        let err = store
            .sync_conflict_resolve(table, id, field, revision, true)
            .expect_err("refused");
        assert_eq!(
            err.code(),
            preau_core::ErrorCode::InvalidInput,
            "{table} {field} {revision}"
        );
        assert!(err.user_message().contains("conflit"));
    }
    assert_eq!(
        store.visit(&visit).expect("visit").notes,
        "Notes du poste A"
    );
    let status = store.sync_status().expect("status");
    assert_eq!((status.conflicts, status.pending), (1, 0));
    // Resolved once, a second answer (another window, a double click) is refused.
    store
        .sync_conflict_resolve("visits", &visit, "notes", 11, false)
        .expect("resolved");
    assert!(store
        .sync_conflict_resolve("visits", &visit, "notes", 11, true)
        .is_err());
    assert_eq!(
        store.visit(&visit).expect("visit").notes,
        "Notes du poste A"
    );
}

#[test]
fn a_record_deleted_here_keeps_its_deletion() {
    let (_dir, mut store, visit) = laptop_with_visit();
    let person = store
        .participant_save(&visit, &crate::mayor("Marie Dupont"))
        .expect("participant");
    push_all(&mut store);
    let mut fields = Map::new();
    fields.insert("phone".into(), json!("03 22 00 00 01"));
    let record = IncomingRecord {
        table: "participants".into(),
        record_id: person.id.clone(),
        revision: 20,
        deleted: false,
        fields,
        conflicts: vec![IncomingConflict {
            field: "phone".into(),
            value: json!("03 22 00 00 02"),
            device_id: OTHER.into(),
            revision: 21,
        }],
        owner: None,
    };
    store.sync_receive(&[record], 21).expect("received");
    let list = store.sync_conflict_list().expect("list");
    assert_eq!(
        list[0].record_label,
        "Marie Dupont — Visite à Péronne du 3 décembre 2026"
    );
    assert_eq!(list[0].field_label, "Téléphone");
    store
        .participant_delete(&visit, &person.id)
        .expect("deleted");
    // The delete settles it: the values in conflict went with the record.
    assert_eq!(store.sync_status().expect("status").conflicts, 0);
    assert!(store
        .sync_conflict_resolve("participants", &person.id, "phone", 21, true)
        .is_err());
    let out = push_all(&mut store);
    assert_eq!(out.len(), 1);
    assert!(out[0].deleted);
    // Another laptop edited it before it saw the delete: the server sends the tombstone
    // with that edit aside, and only the deletion can be kept.
    let tombstone = IncomingRecord {
        table: "participants".into(),
        record_id: person.id.clone(),
        revision: 22,
        deleted: true,
        fields: Map::new(),
        conflicts: vec![IncomingConflict {
            field: "phone".into(),
            value: json!("03 22 00 00 03"),
            device_id: OTHER.into(),
            revision: 23,
        }],
        owner: None,
    };
    store.sync_receive(&[tombstone], 23).expect("received");
    let list = store.sync_conflict_list().expect("list");
    assert!(list[0].record_deleted);
    assert_eq!(list[0].local_text, "");
    assert!(store
        .sync_conflict_resolve("participants", &person.id, "phone", 23, true)
        .is_err());
    store
        .sync_conflict_resolve("participants", &person.id, "phone", 23, false)
        .expect("deletion kept");
    assert_eq!(store.sync_status().expect("status").conflicts, 0);
}

#[test]
fn revocation_and_device_name_are_remembered() {
    let (dir, mut store, _visit) = laptop_with_visit();
    store
        .sync_set_device_name("Portable de Test")
        .expect("name");
    store.sync_set_revoked(true).expect("revoked");
    drop(store);
    let mut store = Store::open_in(dir.path()).expect("reopened");
    let status = store.sync_status().expect("status");
    assert!(status.revoked);
    assert_eq!(status.device_name.as_deref(), Some("Portable de Test"));
    store.sync_set_revoked(false).expect("enrolled again");
    assert!(!store.sync_status().expect("status").revoked);
}

/// A pulled record of `table` whose `field` the server set aside another value of.
fn conflicting(
    table: &str,
    record_id: &str,
    revision: i64,
    field: &str,
    kept: serde_json::Value,
    aside: serde_json::Value,
) -> IncomingRecord {
    let mut fields = Map::new();
    fields.insert(field.into(), kept);
    IncomingRecord {
        table: table.into(),
        record_id: record_id.into(),
        revision,
        deleted: false,
        fields,
        conflicts: vec![IncomingConflict {
            field: field.into(),
            value: aside,
            device_id: OTHER.into(),
            revision: revision + 1,
        }],
        owner: None,
    }
}

/// An enrolled laptop with a visit of one school, a scenario and one line, pushed.
fn laptop_with_line() -> (tempfile::TempDir, Store, String, String, String) {
    let (dir, mut store) = new_store();
    store
        .sync_enroll("http://127.0.0.1:9", ME, "Test", "token")
        .expect("enrolled");
    store
        .schools_import(crate::read_fixture("annuaire-education-2024-somme.csv"))
        .expect("schools");
    let school = store.schools_of("80620").expect("schools")[0].id.clone();
    let visit = store
        .visit_create("80620", "2026-12-10T18:00")
        .expect("visit")
        .id;
    store
        .visit_update(
            &visit,
            &VisitPatch {
                school_ids: Some(vec![school.clone()]),
                ..VisitPatch::default()
            },
        )
        .expect("school");
    let scenario = store.scenario_add(&visit, "Écran").expect("scenario").id;
    let line = store
        .line_save(
            &visit,
            &preau_core::workflow::LineInput {
                id: preau_core::make_id(),
                scenario_id: scenario.clone(),
                school_id: school,
                class_id: None,
                reference: "ENI65".into(),
                quantity: "1".into(),
                objective_ids: vec![],
            },
        )
        .expect("line")
        .line
        .id;
    push_all(&mut store);
    (dir, store, visit, scenario, line)
}

#[test]
fn a_local_delete_clears_the_conflicts_of_the_record_and_of_its_cascade() {
    let (_dir, mut store, visit, scenario, line) = laptop_with_line();
    let pulled = [
        conflicting(
            "scenarios",
            &scenario,
            30,
            "title",
            json!("Écran"),
            json!("Écrans"),
        ),
        conflicting("equipment_lines", &line, 32, "quantity", json!(1), json!(2)),
    ];
    store.sync_receive(&pulled, 33).expect("received");
    assert_eq!(store.sync_status().expect("status").conflicts, 2);
    // The scenario goes, and its line with it (ON DELETE CASCADE).
    store.scenario_delete(&visit, &scenario).expect("deleted");
    assert!(
        store.sync_conflict_list().expect("list").is_empty(),
        "no conflict left on records that are gone"
    );
    let out = push_all(&mut store);
    let deleted: Vec<&str> = out
        .iter()
        .filter(|c| c.deleted)
        .map(|c| c.table.as_str())
        .collect();
    assert!(deleted.contains(&"scenarios") && deleted.contains(&"equipment_lines"));
}

#[test]
fn a_pulled_tombstone_clears_the_conflicts_of_the_record_and_of_its_cascade() {
    let (_dir, mut store, visit) = laptop_with_visit();
    let person = store
        .participant_save(&visit, &crate::mayor("Marie Dupont"))
        .expect("participant");
    push_all(&mut store);
    let pulled = [
        conflicting("visits", &visit, 40, "notes", json!("A"), json!("B")),
        conflicting(
            "participants",
            &person.id,
            42,
            "phone",
            json!("03 22 00 00 01"),
            json!("03 22 00 00 02"),
        ),
    ];
    store.sync_receive(&pulled, 43).expect("received");
    assert_eq!(store.sync_status().expect("status").conflicts, 2);
    // Another laptop deleted the visit: only its tombstone needs to arrive.
    let tombstone = IncomingRecord {
        table: "visits".into(),
        record_id: visit.clone(),
        revision: 44,
        deleted: true,
        fields: Map::new(),
        conflicts: vec![],
        owner: None,
    };
    store.sync_receive(&[tombstone], 44).expect("received");
    assert!(store.visit(&visit).is_err(), "the visit is gone");
    assert!(
        store.sync_conflict_list().expect("list").is_empty(),
        "no conflict left on the visit or its participant"
    );
    assert_eq!(store.sync_status().expect("status").pending, 0);
}

#[test]
fn a_value_chosen_in_a_conflict_goes_through_the_checks_of_a_typed_one() {
    let (_dir, mut store, _visit, _scenario, line) = laptop_with_line();
    let school = store.schools_of("80620").expect("schools")[0].clone();
    let too_long = "É".repeat(201);
    let pulled = [
        conflicting(
            "equipment_lines",
            &line,
            50,
            "quantity",
            json!(1),
            json!(-3),
        ),
        conflicting(
            "schools",
            &school.id,
            52,
            "name",
            json!(school.name),
            json!(too_long),
        ),
    ];
    store.sync_receive(&pulled, 53).expect("received");
    assert_eq!(store.sync_status().expect("status").conflicts, 2);

    for (table, id, field, revision, says) in [
        ("schools", &school.id, "name", 53, "trop long"),
        ("equipment_lines", &line, "quantity", 51, "au moins 1"),
    ] {
        let err = store
            .sync_conflict_resolve(table, id, field, revision, true)
            .expect_err("a value no form accepts is refused");
        assert_eq!(
            err.code(),
            preau_core::ErrorCode::InvalidInput,
            "{table}.{field}"
        );
        assert_eq!(err.field(), Some(field), "{table}.{field}");
        assert!(err.user_message().contains(says), "{}", err.user_message());
    }
    // Nothing written, nothing to push, both conflicts still there to settle.
    let status = store.sync_status().expect("status");
    assert_eq!((status.conflicts, status.pending), (2, 0));
    assert_eq!(store.school(&school.id).expect("school").name, school.name);

    // A value a form accepts is taken, as typed there (the name trimmed).
    store
        .sync_receive(
            &[conflicting(
                "schools",
                &school.id,
                54,
                "name",
                json!(school.name),
                json!("  École du Centre "),
            )],
            55,
        )
        .expect("received");
    store
        .sync_conflict_resolve("schools", &school.id, "name", 55, true)
        .expect("accepted");
    assert_eq!(
        store.school(&school.id).expect("school").name,
        "École du Centre"
    );
    store
        .sync_receive(
            &[conflicting(
                "equipment_lines",
                &line,
                56,
                "quantity",
                json!(1),
                json!(3),
            )],
            57,
        )
        .expect("received");
    store
        .sync_conflict_resolve("equipment_lines", &line, "quantity", 57, true)
        .expect("accepted");
    let out = push_all(&mut store);
    let quantity = out
        .iter()
        .find(|c| c.table == "equipment_lines")
        .and_then(|c| c.fields.get("quantity"));
    assert_eq!(quantity, Some(&json!(3)));
    assert_eq!(store.sync_status().expect("status").conflicts, 0);
}
