//! Copies of the store kept beside it, in `backups/`: one before any migration, and one a
//! day. A damaged file is set aside, never overwritten, when a backup is restored.

use std::path::{Path, PathBuf};

use chrono::{NaiveDateTime, Utc};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{Error, Result};

const DIR: &str = "backups";
const KEEP_DAILY: usize = 7;
pub(super) const STAMP: &str = "%Y%m%d-%H%M%S";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct BackupInfo {
    pub path: String,
    pub file_name: String,
    pub created_at: NaiveDateTime,
}

pub(super) fn backup_dir(db: &Path) -> PathBuf {
    db.parent().unwrap_or(Path::new(".")).join(DIR)
}

/// Writes a consistent copy of the open store (`VACUUM INTO`), named with the UTC time.
/// On an encrypted store SQLCipher writes the copy encrypted with the same key; the file
/// is private (0600 in a 0700 folder).
pub(super) fn make_backup(conn: &Connection, db: &Path, reason: &str) -> Result<PathBuf> {
    let dir = backup_dir(db);
    super::perms::private_dir(&dir)?;
    let stamp = Utc::now().format(STAMP);
    let target = dir.join(format!("preau-{stamp}-{reason}.db"));
    if target.exists() {
        return Ok(target);
    }
    let target_str = target
        .to_str()
        .ok_or_else(|| Error::Io(std::io::Error::other("backup path is not UTF-8")))?;
    conn.execute("VACUUM INTO ?1", [target_str])?;
    super::perms::private_file(&target)?;
    tracing::info!(backup = %target.display(), "backup written");
    Ok(target)
}

/// Makes the day's backup unless one is less than a day old, keeping the last few.
pub(super) fn daily_backup(conn: &Connection, db: &Path) -> Result<()> {
    let backups = list_backups(db)?;
    let now = Utc::now().naive_utc();
    let daily: Vec<&BackupInfo> = backups
        .iter()
        .filter(|b| b.file_name.ends_with("-quotidienne.db"))
        .collect();
    if daily
        .first()
        .is_some_and(|b| now.signed_duration_since(b.created_at) < chrono::Duration::days(1))
    {
        return Ok(());
    }
    make_backup(conn, db, "quotidienne")?;
    for old in daily.iter().skip(KEEP_DAILY - 1) {
        if let Err(e) = std::fs::remove_file(&old.path) {
            tracing::warn!(path = %old.path, error = %e, "could not prune old backup");
        }
    }
    Ok(())
}

/// The backups of the store at `db`, newest first.
pub fn list_backups(db: &Path) -> Result<Vec<BackupInfo>> {
    let dir = backup_dir(db);
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(stamp) = name.strip_prefix("preau-").and_then(|s| s.get(..15)) else {
            continue;
        };
        let Ok(created_at) = NaiveDateTime::parse_from_str(stamp, STAMP) else {
            continue;
        };
        out.push(BackupInfo {
            path: entry.path().to_string_lossy().into_owned(),
            file_name: name,
            created_at,
        });
    }
    out.sort_by(|a, b| {
        b.created_at
            .cmp(&a.created_at)
            .then(b.file_name.cmp(&a.file_name))
    });
    Ok(out)
}

/// Puts `backup` in place of the store at `db`. The current file (and its WAL) is renamed
/// aside with a `.endommage-<time>` suffix, never deleted. Returns the set-aside path.
pub fn restore_backup(db: &Path, backup: &Path) -> Result<PathBuf> {
    let known = list_backups(db)?;
    if !known.iter().any(|b| Path::new(&b.path) == backup) {
        return Err(Error::NotFound {
            what: "backup",
            id: backup.display().to_string(),
        });
    }
    let stamp = Utc::now().format(STAMP);
    let aside = db.with_extension(format!("db.endommage-{stamp}"));
    if db.exists() {
        std::fs::rename(db, &aside)?;
    }
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", db.display()));
        if side.exists() {
            std::fs::rename(&side, format!("{}{suffix}", aside.display()))?;
        }
    }
    // Copy to a temporary name first so a crash never leaves a half-copied store.
    let tmp = db.with_extension("db.restauration");
    std::fs::copy(backup, &tmp)?;
    super::perms::private_file(&tmp)?;
    std::fs::rename(&tmp, db)?;
    tracing::warn!(from = %backup.display(), aside = %aside.display(), "backup restored");
    Ok(aside)
}
