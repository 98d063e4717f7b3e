//! Encryption at rest (SQLCipher, through rusqlite's bundled build): the store's key, how
//! a connection is keyed, and the one-time encryption of a store written by an earlier,
//! unencrypted Préau.
//!
//! The key is 256 random bits, kept in the OS keyring (`secrets.rs`) and given to SQLCipher
//! as a raw key (`x'…'`, no passphrase derivation: it is already random). A connection
//! opened without a key reads a plain SQLite file, as before: tests and tools may still do
//! so, the app and `preau-cli` never do (`Store::open_encrypted`).

use std::path::{Path, PathBuf};

use chrono::Utc;
use rusqlite::{Connection, OpenFlags};
use zeroize::Zeroizing;

use super::{backup, perms};
use crate::error::{Error, Result};

/// The SQLCipher key of one data directory: 64 lowercase hex digits, wiped when dropped.
#[derive(Clone)]
pub struct StoreKey(Zeroizing<String>);

impl std::fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreKey(…)")
    }
}

impl StoreKey {
    /// A new random key (the OS's random source).
    pub fn generate() -> Result<StoreKey> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        getrandom::fill(bytes.as_mut_slice())
            .map_err(|e| Error::Keyring(format!("no random source for a new key: {e}")))?;
        Ok(StoreKey(Zeroizing::new(hex::encode(bytes.as_slice()))))
    }

    /// The key as kept in the keyring; `None` if it is not 64 hex digits.
    pub fn parse(text: &str) -> Option<StoreKey> {
        let text = text.trim();
        (text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| StoreKey(Zeroizing::new(text.to_ascii_lowercase())))
    }

    /// The text kept in the keyring.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Keys `conn`, a connection to the store's file just opened outside [`Store`] (a test,
    /// a bench, a look at a backup), as the store keys its own, and checks the key opens it.
    ///
    /// [`Store`]: crate::Store
    pub fn unlock(&self, conn: &Connection) -> rusqlite::Result<()> {
        apply_key(conn, Some(self))
    }

    /// SQLCipher's raw-key form, `x'<hex>'`.
    fn raw(&self) -> Zeroizing<String> {
        Zeroizing::new(format!("x'{}'", self.0.as_str()))
    }
}

/// Keys a connection just opened (before any other statement) and checks the key opens
/// it: a wrong key, like a damaged first page, is SQLite's "file is not a database".
pub(crate) fn apply_key(conn: &Connection, key: Option<&StoreKey>) -> rusqlite::Result<()> {
    if let Some(key) = key {
        // SQLCipher's own log goes to stderr (a wrong key prints three "ERROR CORE"
        // lines): the failure is reported through our error and tracing instead.
        conn.pragma_update(None, "cipher_log_level", "NONE")?;
        conn.pragma_update(None, "key", key.raw().as_str())?;
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        })?;
    }
    Ok(())
}

/// What a store file is, from its first bytes (no SQLite involved).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// No file, or an empty one: a new store.
    Missing,
    /// A plain SQLite file (written by Préau before encryption, or by a test).
    Plain,
    /// Anything else: an encrypted store (SQLCipher leaves no readable header) — or a
    /// damaged file, which only the key can tell apart.
    Encrypted,
}

const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

pub fn file_kind(path: &Path) -> std::io::Result<FileKind> {
    use std::io::Read;
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileKind::Missing),
        Err(e) => return Err(e),
    };
    let mut head = [0u8; 16];
    let mut read = 0;
    while read < head.len() {
        let n = file.read(&mut head[read..])?;
        if n == 0 {
            break;
        }
        read += n;
    }
    Ok(match read {
        0 => FileKind::Missing,
        16 if &head == SQLITE_HEADER => FileKind::Plain,
        _ => FileKind::Encrypted,
    })
}

fn side_file(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn utf8(path: &Path) -> Result<&str> {
    path.to_str()
        .ok_or_else(|| Error::Io(std::io::Error::other("path is not UTF-8")))
}

fn fsync(path: &Path) -> std::io::Result<()> {
    std::fs::File::open(path)?.sync_all()
}

/// Flushes a directory so that a rename in it survives a power cut (Unix; Windows commits
/// renames with its file system's journal and has no directory handle to flush).
fn fsync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Copies the plain SQLite file `plain` into a new encrypted file `target` (SQLCipher's
/// `sqlcipher_export`, then the header fields it does not copy), flushed to disk and
/// checked: it opens with `key`, passes `quick_check` and has the same rows in every table.
/// `plain` is read, never written (its WAL is folded in first).
fn export_encrypted(plain: &Path, target: &Path, key: &StoreKey) -> Result<()> {
    if target.exists() {
        // Only ever a leftover of an interrupted export: the plain file is still there.
        std::fs::remove_file(target)?;
    }
    perms::create_private_file(target)?;
    let conn = Connection::open(plain)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // Folds the WAL into the file (and removes it): what follows sees one file. "wal"
    // back means another process still has the store open.
    let mode: String =
        conn.pragma_update_and_check(None, "journal_mode", "DELETE", |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("delete") {
        return Err(Error::Io(std::io::Error::other(
            "the store is open in another process: not encrypted now",
        )));
    }
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let app_id: i64 = conn.pragma_query_value(None, "application_id", |r| r.get(0))?;
    conn.execute(
        "ATTACH DATABASE ?1 AS encrypted KEY ?2",
        rusqlite::params![utf8(target)?, key.raw().as_str()],
    )?;
    conn.query_row("SELECT sqlcipher_export('encrypted')", [], |_| Ok(()))?;
    conn.execute_batch(&format!(
        "PRAGMA encrypted.user_version = {version};
         PRAGMA encrypted.application_id = {app_id};"
    ))?;
    conn.execute_batch("DETACH DATABASE encrypted")?;
    fsync(target)?;

    // The copy must be whole before anything relies on it.
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let copy = Connection::open_with_flags(target, flags)?;
    apply_key(&copy, Some(key))?;
    let check: String = copy.pragma_query_value(None, "quick_check", |r| r.get(0))?;
    let copy_version: i64 = copy.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if check != "ok" || copy_version != version {
        return Err(Error::Io(std::io::Error::other(format!(
            "encrypted copy failed its check ({check}, version {copy_version})"
        ))));
    }
    let tables: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for table in tables {
        let sql = format!("SELECT count(*) FROM \"{}\"", table.replace('"', "\"\""));
        let a: i64 = conn.query_row(&sql, [], |r| r.get(0))?;
        let b: i64 = copy.query_row(&sql, [], |r| r.get(0))?;
        if a != b {
            return Err(Error::Io(std::io::Error::other(format!(
                "encrypted copy of {table} has {b} rows instead of {a}"
            ))));
        }
    }
    Ok(())
}

/// Name under which the plain store stays while its encrypted copy takes its place.
pub(super) fn plain_leftover(db: &Path) -> PathBuf {
    side_file(db, ".avant-chiffrement")
}

fn export_target(file: &Path) -> PathBuf {
    side_file(file, ".chiffrement")
}

/// Encrypts the plain store at `db` in place, once, on the first start of a Préau that
/// encrypts. The caller checked it first (a newer or damaged file is never touched).
///
/// 1. An encrypted, verified copy is written beside it (`preau.db.chiffrement`, flushed).
/// 2. That copy is also the backup taken before the change
///    (`backups/preau-<time>-avant-chiffrement.db`): encrypted, like every backup.
/// 3. The plain file keeps a second name (`preau.db.avant-chiffrement`, a hard link), the
///    copy is renamed over `preau.db` (atomic), the directory flushed.
/// 4. Only then is the plain name removed. A crash at any step leaves either the plain
///    store in place (redone at the next start) or the encrypted one plus the plain
///    leftover, which the next successful open removes.
pub(super) fn encrypt_in_place(db: &Path, key: &StoreKey) -> Result<()> {
    tracing::info!(path = %db.display(), "encrypting the store (first start with encryption)");
    let tmp = export_target(db);
    export_encrypted(db, &tmp, key)?;

    let stamp = Utc::now().format(backup::STAMP);
    let dir = backup::backup_dir(db);
    perms::private_dir(&dir)?;
    let before = dir.join(format!("preau-{stamp}-avant-chiffrement.db"));
    std::fs::copy(&tmp, &before)?;
    perms::private_file(&before)?;
    fsync(&before)?;
    fsync_dir(&dir);

    let leftover = plain_leftover(db);
    if leftover.exists() {
        std::fs::remove_file(&leftover)?;
    }
    if std::fs::hard_link(db, &leftover).is_err() {
        // A file system without hard links: a copy does the same job.
        std::fs::copy(db, &leftover)?;
    }
    std::fs::rename(&tmp, db)?;
    if let Some(parent) = db.parent() {
        fsync_dir(parent);
    }
    remove_plain_leftover(db, key);
    tracing::info!(path = %db.display(), backup = %before.display(), "store encrypted");
    Ok(())
}

/// Removes the plain copy an encryption left beside `db`, once `db` opens with `key`.
pub(super) fn remove_plain_leftover(db: &Path, key: &StoreKey) {
    let leftover = plain_leftover(db);
    if !leftover.exists() {
        return;
    }
    let opens = (|| -> rusqlite::Result<()> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(db, flags)?;
        apply_key(&conn, Some(key))
    })()
    .is_ok();
    if !opens {
        tracing::warn!(path = %leftover.display(), "encrypted store does not open: plain copy kept");
        return;
    }
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let file = side_file(&leftover, suffix);
        if let Err(e) = std::fs::remove_file(&file) {
            if e.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(path = %file.display(), error = %e, "plain copy not removed");
            }
        }
    }
}

/// Encrypts every backup still in plain SQLite (made by an earlier Préau), each replaced
/// by its verified encrypted copy. One that cannot be read is left as it is and logged:
/// never deleted, since it may be the only copy of something.
pub(super) fn encrypt_plain_backups(db: &Path, key: &StoreKey) -> Result<()> {
    for b in backup::list_backups(db)? {
        let path = PathBuf::from(&b.path);
        if file_kind(&path)? != FileKind::Plain {
            continue;
        }
        let tmp = export_target(&path);
        match export_encrypted(&path, &tmp, key) {
            Ok(()) => {
                std::fs::rename(&tmp, &path)?;
                tracing::info!(backup = %path.display(), "backup encrypted");
            }
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                tracing::warn!(backup = %path.display(), error = %e, "plain backup could not be encrypted: left as it is");
            }
        }
    }
    if let Some(dir) = db.parent() {
        fsync_dir(&dir.join("backups"));
    }
    Ok(())
}
