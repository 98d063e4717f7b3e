//! The laptop's sync settings: which server, under which device and token, how far the
//! pull got, and whether the server revoked it. Kept as rows of `sync_state` (key, text
//! value: schema 4), read all at once into a typed [`SyncSettings`] and changed only
//! through the setters below, so no caller spells a key or parses a value.
//!
//! The device token is a secret: an encrypted store keeps it in the keyring beside its key
//! (`Store::vault`), never in the file; read it with [`Store::sync_token`]. Only a plain
//! store (tests, tools) keeps it in `sync_state`, as Préau did before.

use rusqlite::{Connection, OptionalExtension};

use super::tables::SYNC_TABLES;
use crate::error::Result;
use crate::secrets::{set_checked, Secret};
use crate::store::{now_utc, Store};

/// The keys of `sync_state`; their spelling is the stored schema, never shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    ServerUrl,
    Token,
    DeviceId,
    Adviser,
    DeviceName,
    Cursor,
    LastSync,
    /// When the server said this laptop's token was revoked ("" = not revoked).
    Revoked,
}

impl Key {
    fn name(self) -> &'static str {
        match self {
            Key::ServerUrl => "server_url",
            Key::Token => "token",
            Key::DeviceId => "device_id",
            Key::Adviser => "adviser",
            Key::DeviceName => "device_name",
            Key::Cursor => "cursor",
            Key::LastSync => "last_sync",
            Key::Revoked => "revoked_at",
        }
    }
}

/// Everything the laptop knows about its enrollment and its place in the server's log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncSettings {
    /// `None`: never enrolled.
    pub server_url: Option<String>,
    /// The token as kept in `sync_state`: only a plain store (tests) has it there; use
    /// [`Store::sync_token`], which also reads the keyring of an encrypted store.
    pub token: Option<String>,
    pub device_id: Option<String>,
    pub adviser: Option<String>,
    /// The name this laptop gave itself when enrolled.
    pub device_name: Option<String>,
    /// The server sequence number the next pull starts after (0: from the start).
    pub cursor: i64,
    /// UTC, RFC 3339: the end of the last complete sync.
    pub last_sync: Option<String>,
    /// UTC, RFC 3339: when the server refused this laptop's token.
    pub revoked_at: Option<String>,
}

impl SyncSettings {
    pub fn enrolled(&self) -> bool {
        self.server_url.is_some()
    }

    pub fn revoked(&self) -> bool {
        self.revoked_at.is_some()
    }
}

fn get(conn: &Connection, key: Key) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT value FROM sync_state WHERE key = ?1")?
        .query_row([key.name()], |r| r.get(0))
        .optional()?)
}

fn set(conn: &Connection, key: Key, value: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO sync_state (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute([key.name(), value])?;
    Ok(())
}

/// Moves the pull's cursor (inside the transaction that applied or staged its page).
pub(super) fn set_cursor(conn: &Connection, cursor: i64) -> Result<()> {
    set(conn, Key::Cursor, &cursor.to_string())
}

/// Records that a sync just completed.
pub(super) fn set_last_sync(conn: &Connection) -> Result<()> {
    set(conn, Key::LastSync, &now_utc())
}

pub(super) fn read(conn: &Connection) -> Result<SyncSettings> {
    let mut s = SyncSettings::default();
    let mut stmt = conn.prepare_cached("SELECT key, value FROM sync_state")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    for row in rows {
        let (key, value) = row?;
        match key.as_str() {
            "server_url" => s.server_url = Some(value),
            "token" => s.token = Some(value),
            "device_id" => s.device_id = Some(value),
            "adviser" => s.adviser = Some(value),
            "device_name" => s.device_name = Some(value),
            "cursor" => s.cursor = value.parse().unwrap_or(0),
            "last_sync" => s.last_sync = Some(value),
            "revoked_at" => s.revoked_at = Some(value).filter(|v| !v.is_empty()),
            _ => {}
        }
    }
    Ok(s)
}

impl Store {
    /// The sync settings, read at once.
    pub fn sync_settings(&self) -> Result<SyncSettings> {
        read(&self.conn)
    }

    /// The device token the server gave this laptop: from the keyring for an encrypted
    /// store, from `sync_state` for a plain one. `None`: not enrolled (or the keyring lost
    /// it: enroll again).
    pub fn sync_token(&self) -> Result<Option<Secret>> {
        match &self.vault {
            Some(vault) => vault.secrets.get(&vault.token_name),
            None => Ok(get(&self.conn, Key::Token)?.map(Secret::new)),
        }
    }

    /// Moves a token an earlier Préau left in `sync_state` into the keyring (written and
    /// read back first, then removed from the file). Nothing to do for a plain store.
    pub(crate) fn move_token_to_vault(&mut self) -> Result<()> {
        let Some(vault) = &self.vault else {
            return Ok(());
        };
        let Some(token) = get(&self.conn, Key::Token)?.map(Secret::new) else {
            return Ok(());
        };
        set_checked(vault.secrets.as_ref(), &vault.token_name, &token)?;
        self.conn
            .execute("DELETE FROM sync_state WHERE key = ?1", [Key::Token.name()])?;
        tracing::info!("device token moved from the store to the keyring");
        Ok(())
    }

    /// The server sequence number the next pull starts after.
    pub fn sync_cursor(&self) -> Result<i64> {
        Ok(get(&self.conn, Key::Cursor)?
            .and_then(|c| c.parse().ok())
            .unwrap_or(0))
    }

    /// Records the enrollment: server, device and its token. A different server starts
    /// over from cursor 0 (the local records are then pushed to it as new). An encrypted
    /// store's token goes to the keyring first (a keyring that refuses it changes nothing).
    pub fn sync_enroll(
        &mut self,
        server_url: &str,
        device_id: &str,
        adviser: &str,
        token: &str,
    ) -> Result<()> {
        if let Some(vault) = &self.vault {
            set_checked(vault.secrets.as_ref(), &vault.token_name, token)?;
        }
        let in_file = self.vault.is_none();
        let tx = self.conn.transaction()?;
        let previous = get(&tx, Key::ServerUrl)?;
        if previous.as_deref().is_some_and(|p| p != server_url) {
            tx.execute("DELETE FROM sync_records", [])?;
            tx.execute("DELETE FROM sync_inbox", [])?;
            tx.execute(
                "DELETE FROM sync_state WHERE key = ?1",
                [Key::Cursor.name()],
            )?;
            for t in SYNC_TABLES {
                let key = t
                    .key
                    .iter()
                    .map(|k| k.to_string())
                    .collect::<Vec<_>>()
                    .join(" || '/' || ");
                tx.execute(
                    &format!(
                        "INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
                         SELECT '{}', {key}, '*', 0 FROM {}",
                        t.name, t.name
                    ),
                    [],
                )?;
            }
        }
        set(&tx, Key::ServerUrl, server_url)?;
        set(&tx, Key::DeviceId, device_id)?;
        set(&tx, Key::Adviser, adviser)?;
        if in_file {
            set(&tx, Key::Token, token)?;
        } else {
            tx.execute("DELETE FROM sync_state WHERE key = ?1", [Key::Token.name()])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The same server at another address (a new host name, a proxy): unlike
    /// [`Store::sync_enroll`], the cursor and what the server acknowledged stay.
    pub fn sync_set_server_url(&mut self, server_url: &str) -> Result<()> {
        set(&self.conn, Key::ServerUrl, server_url)
    }

    /// The name this laptop gave itself when enrolled.
    pub fn sync_set_device_name(&mut self, name: &str) -> Result<()> {
        set(&self.conn, Key::DeviceName, name)
    }

    /// Records that the server revoked this laptop (`false`: a new enrollment).
    pub fn sync_set_revoked(&mut self, revoked: bool) -> Result<()> {
        let value = if revoked { now_utc() } else { String::new() };
        set(&self.conn, Key::Revoked, &value)
    }
}
