//! Encryption at rest (issue 12) on real files, with secrets in memory (the real keyring is
//! exercised by preau-cli's tests and the end-to-end tests): what a copy of the data
//! directory shows, the one-time encryption of a plain store, a lost or unreachable key.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use preau_core::model::StoreState;
use preau_core::secrets::{secret_name, MemorySecrets, SecretKind, SecretStore};
use preau_core::{Error, FileKind, Store, DB_FILE};

use crate::mayor;

const NAME: &str = "Zéphyrine Bouvard-Quenouille";
const TOKEN: &str = "jeton-secret-du-poste-4f1c";

fn secrets() -> Arc<MemorySecrets> {
    Arc::new(MemorySecrets::new())
}

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// The files of `dir` in which `needle` can be read (as `strings` would find it).
fn readable_in(dir: &Path, needle: &str) -> Vec<PathBuf> {
    files(dir)
        .into_iter()
        .filter(|f| {
            let bytes = std::fs::read(f).expect("read file");
            bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
        })
        .collect()
}

fn add_named_visit(store: &mut Store) -> String {
    let visit = store
        .visit_create("80620", "2026-12-03T18:00")
        .expect("visit");
    store
        .participant_save(&visit.id, &mayor(NAME))
        .expect("participant");
    visit.id
}

/// A raw keyed connection, to look where the store's API does not.
fn raw(dir: &Path, secrets: &dyn SecretStore) -> rusqlite::Connection {
    let key = preau_core::store_key(dir, secrets, false)
        .expect("key")
        .expect("an encrypted store has a key");
    let conn = rusqlite::Connection::open(dir.join(DB_FILE)).expect("open");
    key.unlock(&conn).expect("key");
    conn
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn a_new_store_and_its_backups_are_encrypted_and_private() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("donnees");
    let secrets = secrets();
    let mut store = Store::open_encrypted(&data, secrets.clone()).expect("open");
    let visit = add_named_visit(&mut store);
    drop(store);
    // The day's backup was made before the edit: made again now, it holds the name.
    for b in preau_core::list_backups(&data.join(DB_FILE)).expect("backups") {
        std::fs::remove_file(&b.path).expect("remove backup");
    }
    let store = Store::open_encrypted(&data, secrets.clone()).expect("reopen");
    assert_eq!(
        store.visit(&visit).expect("visit").participants[0].name,
        NAME
    );
    let backups = preau_core::list_backups(&data.join(DB_FILE)).expect("backups");
    assert_eq!(backups.len(), 1);
    // While it is open too: the WAL holds the last writes.
    assert!(data.join("preau.db-wal").exists());
    assert_eq!(readable_in(&data, NAME), Vec::<PathBuf>::new());
    assert_eq!(readable_in(&data, "SQLite format 3"), Vec::<PathBuf>::new());
    assert_eq!(
        preau_core::file_kind(Path::new(&backups[0].path)).expect("kind"),
        FileKind::Encrypted
    );
    drop(store);

    // Without the key the file is not a database; with it the backup opens.
    assert!(matches!(Store::open_in(&data), Err(Error::Corrupt { .. })));
    let copy = tempfile::tempdir().expect("tempdir");
    std::fs::copy(&backups[0].path, copy.path().join(DB_FILE)).expect("copy");
    let key = preau_core::store_key(&data, secrets.as_ref(), false)
        .expect("key")
        .expect("key kept");
    let conn = rusqlite::Connection::open(copy.path().join(DB_FILE)).expect("open");
    key.unlock(&conn).expect("key");
    let name: String = conn
        .query_row("SELECT name FROM participants", [], |r| r.get(0))
        .expect("the backup holds the participant");
    assert_eq!(name, NAME);

    #[cfg(unix)]
    {
        assert_eq!(mode(&data), 0o700);
        for f in files(&data) {
            assert_eq!(mode(&f), 0o600, "{}", f.display());
        }
        assert_eq!(mode(&data.join("backups")), 0o700);
    }
}

#[test]
fn a_plain_store_is_encrypted_in_place_with_its_backups_and_token() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path();
    let mut plain = Store::open_in(data).expect("plain store");
    let visit = add_named_visit(&mut plain);
    plain
        .sync_enroll("http://127.0.0.1:9", "device-1", "Claire Martin", TOKEN)
        .expect("enrolled");
    drop(plain);
    for b in preau_core::list_backups(&data.join(DB_FILE)).expect("backups") {
        std::fs::remove_file(&b.path).expect("remove backup");
    }
    // A plain backup holding the name and the token, as an earlier Préau left it.
    drop(Store::open_in(data).expect("plain again"));
    assert!(!readable_in(data, NAME).is_empty());
    assert!(!readable_in(data, TOKEN).is_empty());

    let secrets = secrets();
    let store = Store::open_encrypted(data, secrets.clone()).expect("encrypted");
    assert_eq!(
        store.visit(&visit).expect("visit kept").participants[0].name,
        NAME
    );
    assert_eq!(
        store
            .sync_token()
            .expect("token")
            .as_deref()
            .map(String::as_str),
        Some(TOKEN)
    );
    assert_eq!(
        store
            .sync_settings()
            .expect("settings")
            .device_id
            .as_deref(),
        Some("device-1")
    );
    drop(store);

    assert_eq!(readable_in(data, NAME), Vec::<PathBuf>::new());
    assert_eq!(readable_in(data, TOKEN), Vec::<PathBuf>::new());
    assert!(!data.join("preau.db.avant-chiffrement").exists());
    assert!(!data.join("preau.db.chiffrement").exists());
    let backups = preau_core::list_backups(&data.join(DB_FILE)).expect("backups");
    assert!(
        backups
            .iter()
            .any(|b| b.file_name.ends_with("-avant-chiffrement.db")),
        "{backups:?}"
    );
    for b in &backups {
        assert_eq!(
            preau_core::file_kind(Path::new(&b.path)).expect("kind"),
            FileKind::Encrypted,
            "{}",
            b.file_name
        );
    }
    let conn = raw(data, secrets.as_ref());
    let tokens: i64 = conn
        .query_row(
            "SELECT count(*) FROM sync_state WHERE key = 'token'",
            [],
            |r| r.get(0),
        )
        .expect("sync_state");
    assert_eq!(tokens, 0, "the token left the file");
    assert_eq!(
        secrets
            .get(&secret_name(SecretKind::DeviceToken, data))
            .expect("keyring")
            .as_deref()
            .map(String::as_str),
        Some(TOKEN)
    );
}

#[test]
fn enrolling_an_encrypted_store_keeps_the_token_in_the_keyring_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let secrets = secrets();
    let mut store = Store::open_encrypted(dir.path(), secrets.clone()).expect("open");
    store
        .sync_enroll("http://127.0.0.1:9", "device-2", "Claire Martin", TOKEN)
        .expect("enroll");
    assert_eq!(store.sync_settings().expect("settings").token, None);
    assert_eq!(
        store
            .sync_token()
            .expect("token")
            .as_deref()
            .map(String::as_str),
        Some(TOKEN)
    );
    drop(store);
    let conn = raw(dir.path(), secrets.as_ref());
    let rows: i64 = conn
        .query_row(
            "SELECT count(*) FROM sync_state WHERE key = 'token'",
            [],
            |r| r.get(0),
        )
        .expect("sync_state");
    assert_eq!(rows, 0);

    // A keyring that refuses the token: the enrollment changes nothing.
    let mut store = Store::open_encrypted(dir.path(), secrets.clone()).expect("reopen");
    secrets.set_unavailable(true);
    let err = store
        .sync_enroll("http://127.0.0.1:9", "device-3", "Claire Martin", "autre")
        .expect_err("refused");
    assert!(matches!(err, Error::Keyring(_)), "{err:?}");
    secrets.set_unavailable(false);
    assert_eq!(
        store
            .sync_settings()
            .expect("settings")
            .device_id
            .as_deref(),
        Some("device-2")
    );
}

#[test]
fn a_lost_key_is_said_and_the_store_only_set_aside_on_request() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path();
    let secrets = secrets();
    let mut store = Store::open_encrypted(data, secrets.clone()).expect("open");
    add_named_visit(&mut store);
    drop(store);
    let before = std::fs::read(data.join(DB_FILE)).expect("read");
    let listing = |d: &Path| {
        let mut names: Vec<String> = files(d).iter().map(|f| f.display().to_string()).collect();
        names.sort();
        names
    };
    let files_before = listing(data);

    // Another session: the keyring has no key for this directory.
    secrets.clear();
    let (store, status) = preau_core::open_with_status(data, secrets.clone());
    assert!(store.is_none());
    assert_eq!(status.state, StoreState::KeyMissing);
    assert!(
        status
            .message
            .as_deref()
            .is_some_and(|m| m.contains("clé") && m.contains("Rien n’a été effacé")),
        "{status:?}"
    );
    assert_eq!(std::fs::read(data.join(DB_FILE)).expect("read"), before);
    assert_eq!(listing(data), files_before, "nothing made, nothing removed");
    assert!(
        secrets
            .get(&secret_name(SecretKind::StoreKey, data))
            .expect("keyring")
            .is_none(),
        "no new key made for a store that has one"
    );

    // « Mettre de côté et repartir »: renamed, never deleted, and a new store opens.
    let aside = preau_core::set_aside_locked_store(data).expect("set aside");
    assert_eq!(std::fs::read(&aside).expect("kept"), before);
    let backups_aside = std::fs::read_dir(data).expect("dir").flatten().any(|e| {
        e.file_name()
            .to_string_lossy()
            .starts_with("backups.cle-introuvable-")
    });
    assert!(backups_aside);
    let store = Store::open_encrypted(data, secrets.clone()).expect("new store");
    assert!(store.visits_list().expect("visits").is_empty());
}

#[test]
fn a_wrong_key_or_an_unreachable_keyring_changes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path();
    let secrets = secrets();
    let mut store = Store::open_encrypted(data, secrets.clone()).expect("open");
    add_named_visit(&mut store);
    drop(store);
    let before = std::fs::read(data.join(DB_FILE)).expect("read");

    secrets.set_unavailable(true);
    let err = Store::open_encrypted(data, secrets.clone())
        .err()
        .expect("no keyring");
    assert!(matches!(err, Error::Keyring(_)), "{err:?}");
    let (_, status) = preau_core::open_with_status(data, secrets.clone());
    assert_eq!(status.state, StoreState::Unavailable);
    secrets.set_unavailable(false);

    let name = secret_name(SecretKind::StoreKey, data);
    secrets.set(&name, &"ab".repeat(32)).expect("another key");
    let err = Store::open_encrypted(data, secrets.clone())
        .err()
        .expect("wrong key");
    assert!(matches!(err, Error::Corrupt { .. }), "{err:?}");
    assert_eq!(std::fs::read(data.join(DB_FILE)).expect("read"), before);

    // A plain store and a keyring that cannot be asked: not encrypted, not touched.
    let plain_dir = tempfile::tempdir().expect("tempdir");
    drop(Store::open_in(plain_dir.path()).expect("plain"));
    let plain = std::fs::read(plain_dir.path().join(DB_FILE)).expect("read");
    secrets.set_unavailable(true);
    assert!(Store::open_encrypted(plain_dir.path(), secrets.clone()).is_err());
    assert_eq!(
        std::fs::read(plain_dir.path().join(DB_FILE)).expect("read"),
        plain
    );
}

#[test]
fn a_plain_store_from_a_newer_preau_is_refused_and_left_plain() {
    let dir = tempfile::tempdir().expect("tempdir");
    drop(Store::open_in(dir.path()).expect("plain"));
    let db = dir.path().join(DB_FILE);
    {
        let conn = rusqlite::Connection::open(&db).expect("open");
        conn.pragma_update(None, "user_version", 999)
            .expect("version");
    }
    let before = std::fs::read(&db).expect("read");
    let err = Store::open_encrypted(dir.path(), secrets())
        .err()
        .expect("newer");
    assert!(matches!(err, Error::NewerSchema { .. }), "{err:?}");
    assert_eq!(std::fs::read(&db).expect("read"), before);
    assert_eq!(preau_core::file_kind(&db).expect("kind"), FileKind::Plain);
}
