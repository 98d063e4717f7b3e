use std::path::Path;
use std::sync::Arc;

use preau_core::model::StoreState;
use preau_core::secrets::MemorySecrets;
use preau_core::{open_with_status, Error, Store, DB_FILE, SCHEMA_VERSION};
use rusqlite::Connection;

fn bytes(p: &Path) -> Vec<u8> {
    std::fs::read(p).expect("read file")
}

#[test]
fn first_start_loads_the_somme_and_reopening_is_idempotent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open_in(dir.path()).expect("first open");
    assert_eq!(store.communes_search("Péronne", 1)[0].insee, "80620");
    let catalogue = store.catalogue().expect("catalogue");
    assert!(
        catalogue.version.indicative,
        "the demo catalogue is labelled indicative"
    );
    assert_eq!(catalogue.items.len(), 32);
    drop(store);
    let store = Store::open_in(dir.path()).expect("second open");
    let conn = Connection::open(store.path()).expect("raw open");
    let communes: i64 = conn
        .query_row("SELECT count(*) FROM communes", [], |r| r.get(0))
        .expect("count");
    let epci: i64 = conn
        .query_row("SELECT count(*) FROM epci", [], |r| r.get(0))
        .expect("count");
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .expect("version");
    assert_eq!((communes, epci, version), (771, 17, SCHEMA_VERSION));
    let peronne = store.commune("80620").expect("Péronne");
    assert_eq!(peronne.postal_codes, ["80200"]);
    assert!(peronne.epci.is_some());
}

#[test]
fn a_file_from_a_newer_preau_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join(DB_FILE);
    drop(Store::open(&db).expect("create"));
    {
        let conn = Connection::open(&db).expect("raw open");
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .expect("bump");
        conn.pragma_update(None, "journal_mode", "DELETE")
            .expect("checkpoint");
    }
    let before = bytes(&db);
    match Store::open(&db) {
        Err(Error::NewerSchema { found, supported }) => {
            assert_eq!((found, supported), (SCHEMA_VERSION + 1, SCHEMA_VERSION));
        }
        other => panic!("expected NewerSchema, got {:?}", other.err()),
    }
    assert_eq!(bytes(&db), before, "the newer file must not be modified");
    let (store, status) = open_with_status(dir.path(), Arc::new(MemorySecrets::new()));
    assert!(store.is_none());
    assert_eq!(status.state, StoreState::NewerSchema);
    assert!(status
        .message
        .unwrap_or_default()
        .contains("version plus récente"));
}

#[test]
fn a_damaged_file_is_reported_never_overwritten_and_a_backup_can_be_restored() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join(DB_FILE);
    let secrets = Arc::new(MemorySecrets::new());
    let open = || Store::open_encrypted(dir.path(), secrets.clone());
    let mut store = open().expect("create");
    let visit = store
        .visit_create("80620", "2026-12-03T18:00")
        .expect("visit");
    drop(store);
    // Reopen tomorrow: today's backup (made at first start) holds the catalogue but the
    // visit was made after it; make a fresh one by reopening after removing backups.
    std::fs::remove_dir_all(dir.path().join("backups")).expect("clear backups");
    drop(open().expect("reopen makes a backup"));

    let garbage = b"this is not a sqlite database, just a damaged file..".repeat(200);
    std::fs::write(&db, &garbage).expect("damage");
    let _ = std::fs::remove_file(dir.path().join("preau.db-wal"));
    let _ = std::fs::remove_file(dir.path().join("preau.db-shm"));

    // The key is there and does not open it: damaged (a lost key is another state).
    assert!(matches!(open(), Err(Error::Corrupt { .. })));
    assert_eq!(bytes(&db), garbage, "the damaged file must not be touched");
    let (store, status) = open_with_status(dir.path(), secrets.clone());
    assert!(store.is_none());
    assert_eq!(status.state, StoreState::Corrupt);
    let backup = status.backups.first().expect("a backup is offered").clone();

    let aside = preau_core::restore_backup(&db, Path::new(&backup.path)).expect("restore");
    assert_eq!(bytes(&aside), garbage, "the damaged file is kept aside");
    let store = open().expect("restored store opens");
    assert_eq!(
        store
            .visit(&visit.id)
            .expect("visit restored")
            .commune_insee,
        "80620"
    );
}

#[test]
fn a_foreign_sqlite_file_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join(DB_FILE);
    {
        let conn = Connection::open(&db).expect("create foreign");
        conn.execute_batch("CREATE TABLE t (x); PRAGMA user_version = 3;")
            .expect("schema");
    }
    let before = bytes(&db);
    assert!(matches!(Store::open(&db), Err(Error::Corrupt { .. })));
    assert_eq!(bytes(&db), before);
}

#[test]
fn restoring_a_file_that_is_not_a_listed_backup_is_refused() {
    let (dir, store) = crate::new_store();
    let db = store.path().to_path_buf();
    drop(store);
    let other = dir.path().join("elsewhere.db");
    std::fs::write(&other, b"x").expect("write");
    assert!(preau_core::restore_backup(&db, &other).is_err());
    assert!(Store::open(&db).is_ok(), "the store is left in place");
}
