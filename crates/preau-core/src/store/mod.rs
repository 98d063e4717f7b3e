//! The local SQLite store: opening, checks, migrations and backups.
//!
//! Opening never writes to a file it has not first checked: a file from a newer Préau or a
//! damaged file is reported and left exactly as it is.
//!
//! The app and `preau-cli` open it with [`Store::open_encrypted`]: SQLCipher, with the key
//! of the data directory from the OS keyring (`crypt.rs`, `secrets.rs`), in a private
//! directory (`perms.rs`). [`Store::open`] and [`Store::open_in`] open a plain SQLite file:
//! for tests, benches and tools only.

mod backup;
mod crypt;
mod migrations;
pub mod perms;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags};

pub use backup::{list_backups, restore_backup, BackupInfo};
pub(crate) use crypt::apply_key;
pub use crypt::{file_kind, FileKind, StoreKey};
pub use migrations::SCHEMA_VERSION;

use crate::error::{Error, Result};
use crate::search::CommuneIndex;
use crate::secrets::{secret_name, set_checked, SecretKind, SecretStore};

/// The file name of the store inside the data directory.
pub const DB_FILE: &str = "preau.db";
/// SQLite `application_id` of a Préau store ("PREA"), to refuse other SQLite files.
const APPLICATION_ID: i64 = 0x5052_4541;

pub struct Store {
    pub(crate) conn: Connection,
    pub(crate) communes: CommuneIndex,
    path: PathBuf,
    /// Where this store's secrets (the sync token) are kept: the keyring for an encrypted
    /// store; `None` for a plain one (tests), which keeps its token in `sync_state` as
    /// before — such a file protects nothing anyway.
    pub(crate) vault: Option<Vault>,
}

/// The secret store of an encrypted store, and the name of its device token there.
pub(crate) struct Vault {
    pub(crate) secrets: Arc<dyn SecretStore>,
    pub(crate) token_name: String,
}

impl Store {
    /// Opens (creating if needed) the plain SQLite store in `data_dir`, migrating it and
    /// loading the embedded reference data on first start. Tests and tools only: the app
    /// and `preau-cli` use [`Store::open_encrypted`].
    pub fn open_in(data_dir: &Path) -> Result<Store> {
        std::fs::create_dir_all(data_dir)?;
        Store::open(&data_dir.join(DB_FILE))
    }

    /// Opens a plain SQLite store file (tests and tools, see [`Store::open_in`]).
    pub fn open(path: &Path) -> Result<Store> {
        Store::open_with(path, migrations::MIGRATIONS, None)
    }

    /// Opens the store of `data_dir` encrypted with the data directory's key, kept in
    /// `secrets` (the OS keyring for the app and `preau-cli`):
    /// - a new data directory gets a new random key, written to the keyring and read back
    ///   before the store is created with it;
    /// - a plain store left by an earlier Préau is checked, then encrypted in place (an
    ///   encrypted backup first; see `crypt::encrypt_in_place`), with its plain backups;
    /// - an encrypted store whose key is not in the keyring is [`Error::KeyMissing`]: left
    ///   as it is, the app offers to set it aside ([`set_aside_locked_store`]);
    /// - a keyring that cannot be asked is [`Error::Keyring`]: nothing is made anew.
    ///
    /// The directory becomes 0700 and its files 0600 (Unix), and a sync token still in
    /// the store (from before) moves to the keyring.
    pub fn open_encrypted(data_dir: &Path, secrets: Arc<dyn SecretStore>) -> Result<Store> {
        perms::private_dir(data_dir)?;
        let db = data_dir.join(DB_FILE);
        let key = store_key(data_dir, secrets.as_ref(), true)?
            .ok_or_else(|| Error::KeyMissing { path: db.clone() })?;
        match crypt::file_kind(&db)? {
            FileKind::Missing => perms::create_private_file(&db)?,
            FileKind::Plain => {
                // The same checks as any opening: a newer or damaged file is not touched.
                check_existing(&db, SCHEMA_VERSION, None)?;
                crypt::encrypt_in_place(&db, &key)?;
            }
            FileKind::Encrypted => {}
        }
        crypt::encrypt_plain_backups(&db, &key)?;
        let mut store = Store::open_with(&db, migrations::MIGRATIONS, Some(&key))?;
        crypt::remove_plain_leftover(&db, &key);
        store.vault = Some(Vault {
            token_name: secret_name(SecretKind::DeviceToken, data_dir),
            secrets,
        });
        store.move_token_to_vault()?;
        perms::tighten(data_dir);
        Ok(store)
    }

    fn open_with(path: &Path, migrations: &[&str], key: Option<&StoreKey>) -> Result<Store> {
        let latest = migrations::version_of(migrations);
        let found = if path.exists() && crypt::file_kind(path)? != FileKind::Missing {
            check_existing(path, latest, key)?
        } else {
            0
        };
        let mut conn = Connection::open(path).map_err(|e| classify(path, e))?;
        crypt::apply_key(&conn, key).map_err(|e| classify(path, e))?;
        configure(&conn).map_err(|e| classify(path, e))?;
        conn.set_prepared_statement_cache_capacity(64);
        if found > 0 && found < latest {
            backup::make_backup(&conn, path, &format!("avant-migration-v{found}"))?;
        }
        migrations::migrate(&mut conn, found, migrations)?;
        crate::reference::ensure_loaded(&mut conn)?;
        backup::daily_backup(&conn, path)?;
        let communes = CommuneIndex::load(&conn)?;
        tracing::info!(path = %path.display(), schema = SCHEMA_VERSION, "store opened");
        Ok(Store {
            conn,
            communes,
            path: path.to_path_buf(),
            vault: None,
        })
    }

    /// `query_row` through the statement cache: the same reads run on every keystroke.
    pub(crate) fn cached_row<T, P, F>(&self, sql: &str, params: P, f: F) -> rusqlite::Result<T>
    where
        P: rusqlite::Params,
        F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    {
        self.conn.prepare_cached(sql)?.query_row(params, f)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// SQLite's `PRAGMA data_version`: changes when ANOTHER connection (the window's, or
    /// preau-cli) commits to the file, never for this connection's own writes. Reading it
    /// costs no query plan and no I/O beyond the WAL index, so a second connection can
    /// poll it to notice local edits.
    pub fn data_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .pragma_query_value(None, "data_version", |r| r.get(0))?)
    }
}

/// Reads the schema version of an existing file without writing to it, refusing a file
/// from a newer Préau, a foreign SQLite file or a damaged one.
fn check_existing(path: &Path, latest: i64, key: Option<&StoreKey>) -> Result<i64> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| classify(path, e))?;
    crypt::apply_key(&conn, key).map_err(|e| classify(path, e))?;
    let read = || -> rusqlite::Result<(i64, i64, String)> {
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let app_id: i64 = conn.pragma_query_value(None, "application_id", |r| r.get(0))?;
        let check: String = conn.pragma_query_value(None, "quick_check", |r| r.get(0))?;
        Ok((version, app_id, check))
    };
    let (version, app_id, check) = read().map_err(|e| classify(path, e))?;
    if check != "ok" {
        return Err(Error::Corrupt {
            path: path.to_path_buf(),
            reason: format!("quick_check: {check}"),
        });
    }
    let empty = version == 0 && app_id == 0;
    if !empty && app_id != APPLICATION_ID {
        return Err(Error::Corrupt {
            path: path.to_path_buf(),
            reason: format!("not a Préau store (application_id {app_id:#x})"),
        });
    }
    if version > latest {
        return Err(Error::NewerSchema {
            found: version,
            supported: latest,
        });
    }
    Ok(version)
}

impl Store {
    /// Runs `f` with commits that do not wait for the disk (`synchronous=NORMAL`), then
    /// waits again: only for writes that can be lost and made again (pulled pages). In WAL
    /// mode a power cut then loses the last such commits whole, never corrupts; in any
    /// other journal mode it could, so there `f` runs as it is.
    pub(crate) fn with_lazy_commits<T>(
        &mut self,
        f: impl FnOnce(&mut Store) -> Result<T>,
    ) -> Result<T> {
        let mode: String = self
            .conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return f(self);
        }
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        let out = f(self);
        let restored = self.conn.pragma_update(None, "synchronous", "FULL");
        let out = out?;
        restored?;
        Ok(out)
    }
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // FULL: an acknowledged edit survives a power cut, not only a killed process.
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

/// Turns SQLite's "not a database" and "corrupt" into `Error::Corrupt`.
fn classify(path: &Path, e: rusqlite::Error) -> Error {
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) | Some(ErrorCode::DatabaseCorrupt) => Error::Corrupt {
            path: path.to_path_buf(),
            reason: e.to_string(),
        },
        _ => Error::Sqlite(e),
    }
}

pub(crate) fn now_utc() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub(crate) fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// A fresh UUIDv7, for records the UI creates before their first save.
pub fn make_id() -> String {
    new_id()
}

/// The key of the store in `data_dir`, from `secrets`. With `create`, a data directory
/// whose store is not encrypted yet (none, or a plain file) gets a new random key, kept in
/// `secrets` (and read back) before anything is encrypted with it; without, such a store
/// has no key (`None`: it is opened plain). An encrypted store whose key is not there is
/// [`Error::KeyMissing`].
pub fn store_key(
    data_dir: &Path,
    secrets: &dyn SecretStore,
    create: bool,
) -> Result<Option<StoreKey>> {
    let db = data_dir.join(DB_FILE);
    let name = secret_name(SecretKind::StoreKey, data_dir);
    let kind = crypt::file_kind(&db)?;
    if let Some(text) = secrets.get(&name)? {
        return match StoreKey::parse(&text) {
            Some(key) => Ok(Some(key)),
            None => Err(Error::Keyring(format!(
                "the secret {name} is not a store key"
            ))),
        };
    }
    match kind {
        FileKind::Encrypted => Err(Error::KeyMissing { path: db }),
        FileKind::Missing | FileKind::Plain if create => {
            let key = StoreKey::generate()?;
            set_checked(secrets, &name, key.as_str())?;
            tracing::info!(data_dir = %data_dir.display(), "new store key kept in the keyring");
            Ok(Some(key))
        }
        FileKind::Missing | FileKind::Plain => Ok(None),
    }
}

/// Sets aside an encrypted store whose key is lost (the keyring of another session or
/// user, or a reset one), so that a new store can be made and the adviser's data pulled
/// back from the server. Nothing is deleted: the store, its WAL and its backups (encrypted
/// with the same lost key) are renamed `….cle-introuvable-<time>`, and come back if the
/// key does. Returns the set-aside store's path.
pub fn set_aside_locked_store(data_dir: &Path) -> Result<PathBuf> {
    let db = data_dir.join(DB_FILE);
    let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S");
    let aside = data_dir.join(format!("{DB_FILE}.cle-introuvable-{stamp}"));
    std::fs::rename(&db, &aside)?;
    for suffix in ["-wal", "-shm"] {
        let side = data_dir.join(format!("{DB_FILE}{suffix}"));
        if side.exists() {
            std::fs::rename(
                &side,
                data_dir.join(format!("{DB_FILE}.cle-introuvable-{stamp}{suffix}")),
            )?;
        }
    }
    let backups = data_dir.join("backups");
    if backups.exists() {
        std::fs::rename(
            &backups,
            data_dir.join(format!("backups.cle-introuvable-{stamp}")),
        )?;
    }
    tracing::warn!(aside = %aside.display(), "store without its key set aside");
    Ok(aside)
}

/// Opens the store in `data_dir` (encrypted, its key in `secrets`) and says what the app
/// may do with it. On failure the store is `None` and the status carries the French
/// message and the backups on offer.
pub fn open_with_status(
    data_dir: &Path,
    secrets: Arc<dyn SecretStore>,
) -> (Option<Store>, crate::model::AppStatus) {
    use crate::model::{AppStatus, StoreState};
    let db = data_dir.join(DB_FILE);
    let result = Store::open_encrypted(data_dir, secrets);
    let (state, message) = match &result {
        Ok(_) => (StoreState::Ready, None),
        Err(e) => {
            tracing::error!(error = %e, path = %db.display(), "cannot open store");
            let state = match e {
                Error::NewerSchema { .. } => StoreState::NewerSchema,
                Error::Corrupt { .. } => StoreState::Corrupt,
                Error::KeyMissing { .. } => StoreState::KeyMissing,
                _ => StoreState::Unavailable,
            };
            let message = match state {
                StoreState::Unavailable => format!(
                    "Préau ne peut pas ouvrir ses données dans {} : {}",
                    data_dir.display(),
                    e.user_message()
                ),
                _ => e.user_message(),
            };
            (state, Some(message))
        }
    };
    // A store whose key is lost cannot be restored from backups made with that same key.
    let backups = if matches!(state, StoreState::Ready | StoreState::KeyMissing) {
        Vec::new()
    } else {
        list_backups(&db).unwrap_or_default()
    };
    let status = AppStatus {
        state,
        message,
        data_dir: data_dir.display().to_string(),
        backups,
    };
    (result.ok(), status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_migration_keeps_a_backup_and_the_data() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join(DB_FILE);
        let v1 = migrations::MIGRATIONS;
        let mut store = Store::open_with(&db, v1, None).expect("open v1");
        let visit = store
            .visit_create("80620", "2026-12-03T18:00")
            .expect("visit");
        drop(store);

        let v2: Vec<&str> = v1
            .iter()
            .copied()
            .chain(["ALTER TABLE visits ADD COLUMN mood TEXT"])
            .collect();
        let store = Store::open_with(&db, &v2, None).expect("open v2");
        assert_eq!(
            store.visit(&visit.id).expect("visit kept").commune_insee,
            "80620"
        );
        let backups = list_backups(&db).expect("backups");
        let pre = backups
            .iter()
            .find(|b| {
                b.file_name
                    .contains(&format!("avant-migration-v{SCHEMA_VERSION}"))
            })
            .expect("a backup made before migrating");
        let copy = Store::open_with(Path::new(&pre.path), v1, None)
            .expect("backup opens at the old version");
        assert!(copy.visit(&visit.id).is_ok());
    }

    /// Schema 9 drops the `outbox` of schema 1 (nothing reads it): a store written by
    /// schema 8 upgrades, keeps its records and what its change log says waits.
    #[test]
    fn schema_9_drops_the_outbox_and_keeps_the_change_log() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join(DB_FILE);
        let v8 = &migrations::MIGRATIONS[..8];
        let mut store = Store::open_with(&db, v8, None).expect("open v8");
        let visit = store
            .visit_create("80620", "2026-12-03T18:00")
            .expect("visit");
        store
            .conn
            .execute(
                "INSERT INTO outbox (entity, entity_id) VALUES ('visit', ?1)",
                [&visit.id],
            )
            .expect("schema 8 has an outbox");
        let pending = crate::sync::pending_records(&store.conn).expect("pending");
        drop(store);

        let store = Store::open_with(&db, &migrations::MIGRATIONS[..9], None).expect("open v9");
        let (version, outbox): (i64, bool) = store
            .conn
            .query_row(
                "SELECT (SELECT user_version FROM pragma_user_version),
                        EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'outbox')",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("schema");
        assert_eq!((version, outbox), (9, false));
        assert!(store.visit(&visit.id).is_ok());
        assert_eq!(
            crate::sync::pending_records(&store.conn).expect("pending"),
            pending
        );
    }

    /// Schema 12 (issue 13): a proposal accepted before it with a single scenario takes
    /// that one — listed, or found by the label its snapshot shows —, one with several or
    /// not accepted takes none, and nothing is logged for the sync.
    #[test]
    fn schema_13_gives_single_scenario_acceptances_their_scenario() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join(DB_FILE);
        let v11 = &migrations::MIGRATIONS[..11];
        let mut store = Store::open_with(&db, v11, None).expect("open v11");
        let visit = store
            .visit_create("80620", "2026-12-03T18:00")
            .expect("visit");
        let a = store.scenario_add(&visit.id, "Socle").expect("A");
        let b = store.scenario_add(&visit.id, "Complet").expect("B");
        let shown = |labels: &[&str]| {
            let scenarios: Vec<_> = labels
                .iter()
                .map(|l| serde_json::json!({"label": l, "title": "", "schools": [], "plan": {}}))
                .collect();
            serde_json::json!({ "scenarios": scenarios }).to_string()
        };
        let rows = [
            ("p1", "acceptee", "[]".to_string(), shown(&[&b.label])),
            (
                "p2",
                "acceptee",
                format!("[\"{}\"]", a.id),
                shown(&[&a.label]),
            ),
            (
                "p3",
                "acceptee",
                "[]".to_string(),
                shown(&[&a.label, &b.label]),
            ),
            ("p4", "emise", "[]".to_string(), shown(&[&a.label])),
            ("p5", "refusee", "[]".to_string(), shown(&[&a.label])),
        ];
        for (i, (id, status, ids, snapshot)) in rows.iter().enumerate() {
            store
                .conn
                .execute(
                    "INSERT INTO proposals (id, visit_id, number, revision, status, scenario_ids,
                       created_at, issued_on, valid_until, snapshot, pdf, pdf_sha256)
                     VALUES (?1, ?2, ?3, 1, ?4, ?5, '2026-12-01', '2026-12-01', '2027-03-01',
                             ?6, x'00', 'ab')",
                    rusqlite::params![
                        id,
                        visit.id,
                        format!("2026-ABCDE-{i:04}"),
                        status,
                        ids,
                        snapshot
                    ],
                )
                .expect("proposal of schema 11");
        }
        let pending = crate::sync::pending_records(&store.conn).expect("pending");
        drop(store);

        let store = Store::open_with(&db, migrations::MIGRATIONS, None).expect("open v12");
        let accepted = |id: &str| -> Option<String> {
            store
                .conn
                .query_row(
                    "SELECT accepted_scenario_id FROM proposals WHERE id = ?1",
                    [id],
                    |r| r.get(0),
                )
                .expect("row")
        };
        assert_eq!(accepted("p1"), Some(b.id.clone()), "found by its label");
        assert_eq!(accepted("p2"), Some(a.id.clone()), "the one listed");
        assert_eq!(
            accepted("p3"),
            None,
            "two scenarios: the adviser did not say"
        );
        assert_eq!(accepted("p4"), None, "not accepted");
        assert_eq!(accepted("p5"), None, "refused");
        assert_eq!(
            crate::sync::pending_records(&store.conn).expect("pending"),
            pending,
            "the migration sends nothing"
        );
        // Set once, never changed.
        let r = store.conn.execute(
            "UPDATE proposals SET accepted_scenario_id = ?2 WHERE id = 'p1'",
            [&a.id],
        );
        assert!(r.is_err(), "a recorded scenario never changes");
    }

    /// Schema 14 (issue 11's speed): the sync tables rebuilt without rowid keep every row —
    /// what waits to be sent, the changes in flight with their ids and order, the
    /// revisions and owners pulled — and the triggers go on logging edits into the new log.
    #[test]
    fn schema_14_keeps_the_sync_bookkeeping() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join(DB_FILE);
        let v13 = &migrations::MIGRATIONS[..13];
        let mut store = Store::open_with(&db, v13, None).expect("open v13");
        let first = store
            .visit_create("80620", "2026-12-03T18:00")
            .expect("visit");
        // One change in flight (made, not acknowledged), one visit still only logged.
        let in_flight = store.sync_outgoing_build(1).expect("build");
        assert_eq!(in_flight.len(), 1);
        let second = store
            .visit_create("80620", "2026-12-04T18:00")
            .expect("visit");
        store
            .conn
            .execute_batch(&format!(
                "INSERT INTO sync_records (tbl, record_id, revision) VALUES ('visits', '{}', 7);
                 INSERT INTO sync_owners (visit_id, adviser) VALUES ('{}', 'Anne');
                 INSERT INTO sync_school_owners (school_id, adviser) VALUES ('s1', 'Paul');",
                first.id, first.id
            ))
            .expect("pulled bookkeeping");
        let dump = |conn: &Connection| -> Vec<String> {
            [
                "SELECT tbl || record_id || field || seq FROM sync_log",
                "SELECT change_id || position || tbl || record_id || base_revision || fields
                   || deleted FROM sync_outgoing",
                "SELECT tbl || record_id || revision FROM sync_records",
                "SELECT visit_id || adviser FROM sync_owners",
                "SELECT school_id || adviser FROM sync_school_owners",
            ]
            .iter()
            .flat_map(|sql| {
                let mut stmt = conn.prepare(sql).expect("query");
                let mut rows: Vec<String> = stmt
                    .query_map([], |r| r.get(0))
                    .expect("rows")
                    .collect::<rusqlite::Result<_>>()
                    .expect("read");
                rows.sort();
                rows
            })
            .collect()
        };
        let before = dump(&store.conn);
        assert!(before.len() >= 5, "{before:?}");
        drop(store);

        let mut store = Store::open_with(&db, migrations::MIGRATIONS, None).expect("open v14");
        assert_eq!(dump(&store.conn), before, "every row kept");
        let without_rowid: i64 = store
            .conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table'
                   AND name IN ('sync_log', 'sync_outgoing', 'sync_records', 'sync_owners',
                                'sync_school_owners')
                   AND sql LIKE '%WITHOUT ROWID'",
                [],
                |r| r.get(0),
            )
            .expect("schema");
        assert_eq!(without_rowid, 5);
        // The change in flight is sent again with its id, then the logged visit.
        let again = store.sync_outgoing(10).expect("saved");
        assert_eq!(again, in_flight);
        store
            .sync_acknowledge(&[crate::sync::Acknowledged {
                change_id: again[0].change_id.clone(),
                revision: 1,
            }])
            .expect("ack");
        let next = store.sync_outgoing(10).expect("from the log");
        assert_eq!(
            next.iter()
                .map(|c| c.record_id.as_str())
                .collect::<Vec<_>>(),
            [second.id.as_str()]
        );
        // An edit after the migration is logged in the new table.
        store
            .visit_create("80620", "2026-12-05T18:00")
            .expect("visit");
        let logged: i64 = store
            .conn
            .query_row("SELECT count(*) FROM sync_log WHERE field = '*'", [], |r| {
                r.get(0)
            })
            .expect("log");
        assert_eq!(logged, 1);
    }

    #[test]
    fn data_version_moves_for_the_other_connections_writes_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut window = Store::open_in(dir.path()).expect("window");
        let mut watcher = Store::open_in(dir.path()).expect("second connection");
        let before = watcher.data_version().expect("version");
        watcher
            .visit_create("80620", "2026-12-03T18:00")
            .expect("own write");
        assert_eq!(watcher.data_version().expect("version"), before);
        window
            .visit_create("80620", "2026-12-04T18:00")
            .expect("other write");
        assert_ne!(watcher.data_version().expect("version"), before);
    }
}
