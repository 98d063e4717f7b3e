//! The laptop's sync bookkeeping as the adviser sees it: what waits to be pushed.

use chrono::NaiveDate;
use preau_core::model::VisitPatch;
use preau_core::Store;
use rusqlite::Connection;

use crate::new_store;

fn notes(store: &mut Store, visit: &str, text: &str) {
    store
        .visit_update(
            visit,
            &VisitPatch {
                notes: Some(text.into()),
                ..VisitPatch::default()
            },
        )
        .expect("edited");
}

fn pending(store: &Store) -> (u32, u32) {
    let now = NaiveDate::from_ymd_opt(2026, 11, 29)
        .and_then(|d| d.and_hms_opt(12, 0, 0))
        .expect("now");
    (
        store.sync_status().expect("status").pending,
        store.home(now).expect("home").sync.pending_changes,
    )
}

/// The pending count is the records of the change log, each once: logged, turned into a
/// change waiting for its ack, or both (edited again while its change is in flight).
#[test]
fn pending_changes_count_each_waiting_record_once() {
    let (dir, mut store) = new_store();
    store
        .sync_enroll("http://127.0.0.1:9", "device", "Test", "token")
        .expect("enrolled");
    let visit = store
        .visit_create("80620", "2026-12-03T18:00")
        .expect("visit")
        .id;
    assert_eq!(pending(&store), (1, 1));
    let batch = store.sync_outgoing(1000).expect("outgoing");
    assert_eq!(pending(&store), (1, 1), "sent, not acknowledged yet");
    notes(&mut store, &visit, "Revue pendant l'envoi");
    assert_eq!(pending(&store), (1, 1), "logged and in flight: one record");
    store
        .participant_save(&visit, &crate::mayor("Marie Dupont"))
        .expect("participant");
    assert_eq!(pending(&store), (2, 2));
    store
        .sync_acknowledge(&crate::acks(&batch))
        .expect("acknowledged");
    assert_eq!(pending(&store), (2, 2), "both still logged");
    let rest = store.sync_outgoing(1000).expect("outgoing");
    store
        .sync_acknowledge(&crate::acks(&rest))
        .expect("acknowledged");
    assert_eq!(pending(&store), (0, 0));

    let conn = Connection::open(dir.path().join(preau_core::DB_FILE)).expect("raw open");
    let outbox: bool = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'outbox')",
            [],
            |r| r.get(0),
        )
        .expect("schema");
    assert!(!outbox, "schema 9 drops the outbox");
}
