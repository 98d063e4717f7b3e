//! The embedded SQLite backend: one writer connection, owned by a writer thread, and a
//! few readers on tokio's blocking pool.
//!
//! Group commit: the writer takes every push waiting in its queue and applies them in one
//! transaction, each push under its own savepoint (a push that fails is rolled back alone
//! and answered with its error), then commits once, with `synchronous=FULL`, before any of
//! them is acknowledged. A push is thus still atomic and durable once acknowledged, and
//! concurrent laptops share one disk sync instead of queueing for one each.
//!
//! Checkpoints (copying the WAL back into the database file) run on a thread of their own
//! with its own connection, woken by the writer's WAL hook once the log is long enough: a
//! commit no longer waits for one (they cost a commit 10–15 ms every third large push).

use std::collections::HashMap;
use std::ffi::c_int;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use preau_protocol::{Ack, AckStatus, Change, ReferenceVersion, MAX_PAGE_BYTES};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use uuid::Uuid;

use super::{
    campaign, parse_ts, staff_user, ts, Campaign, Device, Enrolled, Fut, Page, Storage,
    StoredChange, StoredPdf, StoredRecord, DEVICE_COLUMNS, STAFF_COLUMNS,
};
use crate::authz::{self, Principal};
use crate::error::{Error, Result};
use crate::merge::{self, state_from_columns, status_str};
use crate::staff::{AuditEntry, StaffUser};

pub const DB_FILE: &str = "preau-server.db";
const READERS: usize = 4;

const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE devices (
    id          TEXT PRIMARY KEY,
    adviser     TEXT NOT NULL,
    name        TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    enrolled_at TEXT NOT NULL,
    revoked_at  TEXT
) STRICT;
CREATE TABLE enrollment_codes (
    code_hash  TEXT PRIMARY KEY,
    adviser    TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT,
    device_id  TEXT
) STRICT;
CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) STRICT;
INSERT INTO counters (name, value) VALUES ('seq', 0);
CREATE TABLE records (
    tbl       TEXT NOT NULL,
    record_id TEXT NOT NULL,
    revision  INTEGER NOT NULL,
    deleted   INTEGER NOT NULL,
    fields    TEXT NOT NULL,
    meta      TEXT NOT NULL,
    conflicts TEXT NOT NULL,
    PRIMARY KEY (tbl, record_id)
) STRICT;
CREATE UNIQUE INDEX records_by_revision ON records (revision);
CREATE TABLE changes_seen (
    change_id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    revision  INTEGER NOT NULL,
    status    TEXT NOT NULL
) STRICT;
CREATE TABLE reference_data (
    kind         TEXT NOT NULL,
    version      INTEGER NOT NULL,
    content      TEXT NOT NULL,
    published_at TEXT NOT NULL,
    PRIMARY KEY (kind, version)
) STRICT;
"#,
    // Device codes for proposal numbers, handed out at enrollment (issue 11).
    r#"
ALTER TABLE devices ADD COLUMN device_code TEXT;
CREATE UNIQUE INDEX devices_device_code ON devices (device_code);
INSERT INTO counters (name, value) VALUES ('device_code', 0);
"#,
    // Ownership and history (issue 12): each record's adviser and visit, each accepted
    // change's record and the state it replaced (what `devices revert` puts back), and
    // which device holds each proposal code. Owners of records stored before are filled
    // in by `backfill` (counter `owners_backfilled`).
    r#"
ALTER TABLE records ADD COLUMN owner TEXT;
ALTER TABLE records ADD COLUMN root TEXT;
CREATE INDEX records_by_root ON records (root);
ALTER TABLE changes_seen ADD COLUMN tbl TEXT;
ALTER TABLE changes_seen ADD COLUMN record_id TEXT;
ALTER TABLE changes_seen ADD COLUMN at TEXT;
ALTER TABLE changes_seen ADD COLUMN before_deleted INTEGER;
ALTER TABLE changes_seen ADD COLUMN before_fields TEXT;
CREATE TABLE device_codes (
    code      TEXT PRIMARY KEY,
    device_id TEXT NOT NULL
) STRICT;
INSERT INTO device_codes (code, device_id)
    SELECT device_code, id FROM devices WHERE device_code IS NOT NULL;
INSERT INTO counters (name, value) VALUES ('owners_backfilled', 0);
"#,
    // Privacy (RGPD): an erasure cleans the history of the records it erases.
    r#"
CREATE INDEX changes_seen_by_record ON changes_seen (tbl, record_id);
"#,
    // Last use of each device's token (issue 12): renewed on use, expired when idle. A
    // device enrolled before this starts a fresh idle period now.
    r#"
ALTER TABLE devices ADD COLUMN last_seen_at TEXT;
ALTER TABLE devices ADD COLUMN last_ip TEXT;
ALTER TABLE devices ADD COLUMN app_version TEXT;
UPDATE devices SET last_seen_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now');
"#,
    // Indexes every push paid for and only rare commands used (issue 12's speed goal):
    // records by visit (`devices revert`, `visits hand-over` scan instead), and changes
    // by record, which only an erasure looks up, for participants: indexed for them
    // alone.
    r#"
DROP INDEX records_by_root;
DROP INDEX changes_seen_by_record;
CREATE INDEX changes_seen_participants ON changes_seen (record_id)
    WHERE tbl = 'participants';
"#,
    // The back-office (issue 13): staff accounts, their one-time password links and
    // sessions (hashes only), and the audit log of what staff did.
    r#"
CREATE TABLE staff_users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL,
    password_hash TEXT,
    created_at    TEXT NOT NULL,
    disabled_at   TEXT
) STRICT;
CREATE TABLE staff_password_links (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    expires_at TEXT NOT NULL
) STRICT;
CREATE INDEX staff_password_links_by_user ON staff_password_links (user_id);
CREATE TABLE staff_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
) STRICT;
CREATE INDEX staff_sessions_by_user ON staff_sessions (user_id);
CREATE TABLE audit_log (
    id     INTEGER PRIMARY KEY,
    at     TEXT NOT NULL,
    actor  TEXT,
    action TEXT NOT NULL,
    detail TEXT NOT NULL,
    ip     TEXT
) STRICT;
CREATE TABLE campaigns (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    cutoff            TEXT NOT NULL,
    catalogue_version TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    created_by        TEXT NOT NULL
) STRICT;
"#,
    // Follow-up of accepted proposals (issue 13, « Suivi »): the steps the back-office
    // records, append-only, its own records (no laptop's).
    r#"
CREATE TABLE follow_up_steps (
    id          TEXT PRIMARY KEY,
    proposal_id TEXT NOT NULL,
    step        TEXT NOT NULL,
    done_on     TEXT NOT NULL,
    note        TEXT,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
) STRICT;
"#,
    MIGRATION_9_PENDING_CHANGES,
];

/// The changes each laptop said it still had to send at its last use (issue 13, Postes),
/// and when: `NULL` for a laptop that never said.
const MIGRATION_9_PENDING_CHANGES: &str = r#"
ALTER TABLE devices ADD COLUMN pending_changes INTEGER;
ALTER TABLE devices ADD COLUMN pending_at TEXT;
"#;

/// Most pushes, and most changes, committed together by the writer.
const GROUP_PUSHES: usize = 128;
const GROUP_CHANGES: usize = 20_000;

type WriteFn = Box<dyn FnOnce(&mut Connection) + Send>;

/// Work for the writer thread.
enum Job {
    Push {
        who: Principal,
        changes: Vec<Change>,
        reply: tokio::sync::oneshot::Sender<Result<Vec<Ack>>>,
    },
    /// A device's last use: committed with the pushes waiting beside it rather than in a
    /// transaction (and an fsync) of its own, since most arrive with a push.
    Touch {
        touch: Touch,
        reply: tokio::sync::oneshot::Sender<Result<()>>,
    },
    Write(WriteFn),
}

/// What `touch_device` records.
struct Touch {
    device: Uuid,
    at: String,
    ip: Option<String>,
    app_version: Option<String>,
    pending: Option<u32>,
}

impl Job {
    /// Committed by `commit_group`, together with other jobs of its kind.
    fn groups(&self) -> bool {
        matches!(self, Job::Push { .. } | Job::Touch { .. })
    }
}

pub struct SqliteStorage {
    jobs: Mutex<mpsc::Sender<Job>>,
    readers: Arc<Vec<Mutex<Connection>>>,
    next_reader: AtomicUsize,
}

/// WAL pages after which the checkpoint thread is woken (SQLite's own automatic
/// checkpoint is at 1,000).
const CHECKPOINT_PAGES: c_int = 1_000;
/// WAL pages after which the writer checkpoints itself.
const CHECKPOINT_TOO_LONG: c_int = 16 * CHECKPOINT_PAGES;

/// Copies the WAL into the database file when woken, without blocking the writer or the
/// readers (`PASSIVE`: what a reader still uses is copied next time).
fn checkpoint_loop(conn: Connection, woken: mpsc::Receiver<()>) {
    while woken.recv().is_ok() {
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(error = %e, "wal checkpoint failed");
        }
    }
}

fn writer_stopped() -> Error {
    Error::Storage("sqlite writer stopped".into())
}

/// The writer thread: runs jobs in arrival order, the pushes found waiting together.
fn writer_loop(mut conn: Connection, jobs: mpsc::Receiver<Job>) {
    let mut pending: Option<Job> = None;
    loop {
        let first = match pending.take() {
            Some(job) => job,
            None => match jobs.recv() {
                Ok(job) => job,
                Err(_) => return,
            },
        };
        match first {
            Job::Write(f) => {
                if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&mut conn))).is_err()
                {
                    tracing::error!("sqlite write panicked");
                }
            }
            first => {
                let mut group = vec![first];
                let mut changes = group_changes(&group);
                while group.len() < GROUP_PUSHES && changes < GROUP_CHANGES {
                    match jobs.try_recv() {
                        Ok(job) if job.groups() => {
                            group.push(job);
                            changes = group_changes(&group);
                        }
                        Ok(other) => {
                            pending = Some(other);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    commit_group(&mut conn, group)
                }))
                .is_err()
                {
                    tracing::error!("sqlite push panicked");
                }
            }
        }
    }
}

fn group_changes(group: &[Job]) -> usize {
    group
        .iter()
        .map(|j| match j {
            Job::Push { changes, .. } => changes.len(),
            Job::Touch { .. } | Job::Write(_) => 0,
        })
        .sum()
}

/// Each push's acknowledgements, and whether the touches were recorded.
type GroupOutcome = (Vec<Result<Vec<Ack>>>, Result<()>);

/// Applies pushes and device touches in one transaction, each push under its own
/// savepoint, and answers them once the transaction is committed (or all with the error
/// that stopped it).
fn commit_group(conn: &mut Connection, group: Vec<Job>) {
    let mut push_replies = Vec::with_capacity(group.len());
    let mut pushes = Vec::with_capacity(group.len());
    let mut touch_replies = Vec::new();
    let mut touches = Vec::new();
    for job in group {
        match job {
            Job::Push {
                who,
                changes,
                reply,
            } => {
                pushes.push((who, changes));
                push_replies.push(reply);
            }
            Job::Touch { touch, reply } => {
                touches.push(touch);
                touch_replies.push(reply);
            }
            Job::Write(_) => {}
        }
    }
    let outcome = (|| -> Result<GroupOutcome> {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut results = Vec::with_capacity(pushes.len());
        let now = ts(Utc::now());
        for (who, changes) in pushes.iter_mut() {
            results.push(in_savepoint(&tx, || push_in(&tx, who, changes, &now))?);
        }
        // A touch that fails must not take the pushes with it.
        let touched = in_savepoint(&tx, || touch_in(&tx, &touches))?;
        tx.commit()?;
        Ok((results, touched))
    })();
    match outcome {
        Ok((results, touched)) => {
            for (reply, result) in push_replies.into_iter().zip(results) {
                let _ = reply.send(result);
            }
            if let Err(e) = &touched {
                tracing::warn!(error = %e, "device touches not recorded");
            }
            for reply in touch_replies {
                let answer = match &touched {
                    Ok(()) => Ok(()),
                    Err(e) => Err(Error::Storage(e.to_string())),
                };
                let _ = reply.send(answer);
            }
        }
        Err(e) => {
            tracing::error!(error = %e, pushes = push_replies.len(), "push group failed");
            let message = e.to_string();
            for reply in push_replies {
                let _ = reply.send(Err(Error::Storage(message.clone())));
            }
            for reply in touch_replies {
                let _ = reply.send(Err(Error::Storage(message.clone())));
            }
        }
    }
}

/// Runs `f` under a savepoint: its writes are kept if it succeeds, undone if it fails.
/// The outer error is the savepoint's own (the transaction cannot go on).
fn in_savepoint<T>(tx: &Connection, f: impl FnOnce() -> Result<T>) -> Result<Result<T>> {
    tx.prepare_cached("SAVEPOINT job")?.execute([])?;
    let result = f();
    if result.is_err() {
        tx.prepare_cached("ROLLBACK TO job")?.execute([])?;
    }
    tx.prepare_cached("RELEASE job")?.execute([])?;
    Ok(result)
}

fn touch_in(tx: &Connection, touches: &[Touch]) -> Result<()> {
    let mut update = tx.prepare_cached(
        "UPDATE devices SET last_seen_at = ?2, last_ip = ?3, app_version = ?4,
             pending_changes = coalesce(?5, pending_changes),
             pending_at = CASE WHEN ?5 IS NULL THEN pending_at ELSE ?2 END
         WHERE id = ?1",
    )?;
    for t in touches {
        update.execute(params![
            t.device.to_string(),
            t.at,
            t.ip,
            t.app_version,
            t.pending
        ])?;
    }
    Ok(())
}

fn connect(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    // Deleted and overwritten content is zeroed in the file, not left in free space:
    // personal data erased (`people erase`) must not stay readable in the database's
    // bytes.
    conn.pragma_update(None, "secure_delete", "ON")?;
    conn.set_prepared_statement_cache_capacity(32);
    Ok(conn)
}

fn migrate(conn: &mut Connection) -> Result<()> {
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let latest = i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX);
    if found > latest {
        return Err(Error::Storage(format!(
            "database schema {found} is newer than this server ({latest})"
        )));
    }
    let tx = conn.transaction()?;
    for (i, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .skip(usize::try_from(found).unwrap_or(0))
    {
        tracing::info!(version = i + 1, "applying sqlite migration");
        tx.execute_batch(sql)?;
    }
    tx.pragma_update(None, "user_version", latest)?;
    tx.commit()?;
    Ok(())
}

impl SqliteStorage {
    pub fn open(path: &Path) -> Result<SqliteStorage> {
        let mut writer = connect(path)?;
        migrate(&mut writer)?;
        backfill_owners(&mut writer)?;
        let readers = (0..READERS)
            .map(|_| connect(path).map(Mutex::new))
            .collect::<Result<Vec<_>>>()?;
        let checkpoints = connect(path)?;
        let (wake, woken) = mpsc::sync_channel::<()>(1);
        writer.wal_hook(Some(move |wal: &mut rusqlite::hooks::Wal, pages: c_int| {
            if pages >= CHECKPOINT_TOO_LONG {
                // The checkpoint thread cannot keep up (or is gone): this commit waits
                // for one, as SQLite's own automatic checkpoint would.
                return wal.checkpoint();
            }
            if pages >= CHECKPOINT_PAGES {
                // Full: a checkpoint is already asked for.
                let _ = wake.try_send(());
            }
            Ok(())
        }))?;
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || checkpoint_loop(checkpoints, woken))?;
        let (jobs, queue) = mpsc::channel();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || writer_loop(writer, queue))?;
        tracing::info!(path = %path.display(), "sqlite storage opened");
        Ok(SqliteStorage {
            jobs: Mutex::new(jobs),
            readers: Arc::new(readers),
            next_reader: AtomicUsize::new(0),
        })
    }

    fn send(&self, job: Job) -> Result<()> {
        self.jobs
            .lock()
            .map_err(|_| writer_stopped())?
            .send(job)
            .map_err(|_| writer_stopped())
    }

    fn write<T, F>(&self, f: F) -> Fut<'static, T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let sent = self.send(Job::Write(Box::new(move |c| {
            let _ = reply.send(f(c));
        })));
        Box::pin(async move {
            sent?;
            answer.await.map_err(|_| writer_stopped())?
        })
    }

    fn read<T, F>(&self, f: F) -> Fut<'static, T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let readers = Arc::clone(&self.readers);
        let i = self.next_reader.fetch_add(1, Ordering::Relaxed) % READERS;
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                let conn = readers
                    .get(i)
                    .ok_or_else(|| Error::Storage("no reader".into()))?;
                let guard = conn
                    .lock()
                    .map_err(|_| Error::Storage("reader lock poisoned".into()))?;
                f(&guard)
            })
            .await?
        })
    }
}

/// Writes an audit entry (alone, or in the transaction of what it records).
fn insert_audit(c: &Connection, e: &AuditEntry) -> Result<()> {
    c.execute(
        "INSERT INTO audit_log (at, actor, action, detail, ip) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![ts(e.at), e.actor, e.action, e.detail, e.ip],
    )?;
    Ok(())
}

/// A row of [`DEVICE_COLUMNS`], read on a reader's thread and checked after.
struct DeviceRow {
    id: String,
    adviser: String,
    name: String,
    enrolled_at: String,
    revoked_at: Option<String>,
    last_seen_at: Option<String>,
    last_ip: Option<String>,
    app_version: Option<String>,
    pending_changes: Option<i64>,
    pending_at: Option<String>,
}

fn device_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DeviceRow> {
    Ok(DeviceRow {
        id: r.get(0)?,
        adviser: r.get(1)?,
        name: r.get(2)?,
        enrolled_at: r.get(3)?,
        revoked_at: r.get(4)?,
        last_seen_at: r.get(5)?,
        last_ip: r.get(6)?,
        app_version: r.get(7)?,
        pending_changes: r.get(8)?,
        pending_at: r.get(9)?,
    })
}

fn to_device(row: DeviceRow) -> Result<Device> {
    Ok(Device {
        id: Uuid::parse_str(&row.id).map_err(|e| Error::Storage(format!("device id: {e}")))?,
        adviser: row.adviser,
        name: row.name,
        enrolled_at: parse_ts(&row.enrolled_at)?,
        revoked_at: row.revoked_at.as_deref().map(parse_ts).transpose()?,
        last_seen_at: row.last_seen_at.as_deref().map(parse_ts).transpose()?,
        last_ip: row.last_ip,
        app_version: row.app_version,
        pending_changes: super::pending_count(row.pending_changes)?,
        pending_at: row.pending_at.as_deref().map(parse_ts).transpose()?,
    })
}

/// A staff account and its password hash from a row of [`STAFF_COLUMNS`].
fn staff_from_row(r: &rusqlite::Row<'_>) -> Result<(StaffUser, Option<String>)> {
    staff_user(
        &r.get::<_, String>(0)?,
        r.get(1)?,
        r.get(2)?,
        &r.get::<_, String>(3)?,
        &r.get::<_, String>(4)?,
        r.get::<_, Option<String>>(5)?.as_deref(),
        r.get(6)?,
    )
}

const LOAD_RECORD: &str = "SELECT revision, deleted, fields, meta, conflicts, owner, root
     FROM records WHERE tbl = ?1 AND record_id = ?2";

fn load_record(tx: &Connection, tbl: &str, id: &str) -> Result<Option<merge::RecordState>> {
    load_with(&mut tx.prepare_cached(LOAD_RECORD)?, tbl, id)
}

/// [`load_record`] with its statement prepared by the caller (once for a whole push).
fn load_with(
    stmt: &mut rusqlite::CachedStatement<'_>,
    tbl: &str,
    id: &str,
) -> Result<Option<merge::RecordState>> {
    stmt.query_row(params![tbl, id], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, bool>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, Option<String>>(5)?,
            r.get::<_, Option<String>>(6)?,
        ))
    })
    .optional()?
    .map(|(rev, del, f, m, c, owner, root)| {
        Ok::<_, Error>(state_from_columns(rev, del, &f, &m, &c, owner, root)?)
    })
    .transpose()
}

const SAVE_RECORD: &str =
    "INSERT INTO records (tbl, record_id, revision, deleted, fields, meta, conflicts, owner, root)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
     ON CONFLICT (tbl, record_id) DO UPDATE SET revision = excluded.revision,
       deleted = excluded.deleted, fields = excluded.fields, meta = excluded.meta,
       conflicts = excluded.conflicts, owner = excluded.owner, root = excluded.root";

fn save_record(tx: &Connection, tbl: &str, id: &str, st: &merge::RecordState) -> Result<()> {
    save_with(&mut tx.prepare_cached(SAVE_RECORD)?, tbl, id, st)
}

/// [`save_record`] with its statement prepared by the caller (once for a whole push).
fn save_with(
    stmt: &mut rusqlite::CachedStatement<'_>,
    tbl: &str,
    id: &str,
    st: &merge::RecordState,
) -> Result<()> {
    // Nothing set aside (nearly every record): the constant, not a serialiser's output.
    let conflicts = if st.conflicts.is_empty() {
        "[]".to_string()
    } else {
        serde_json::to_string(&st.conflicts)?
    };
    stmt.execute(params![
        tbl,
        id,
        st.revision,
        st.deleted,
        serde_json::to_string(&st.fields)?,
        serde_json::to_string(&st.stored_meta())?,
        conflicts,
        st.owner,
        st.root,
    ])?;
    Ok(())
}

fn next_seq(tx: &Connection) -> Result<i64> {
    Ok(tx
        .prepare_cached("UPDATE counters SET value = value + 1 WHERE name = 'seq' RETURNING value")?
        .query_row([], |r| r.get(0))?)
}

/// One push, inside the writer's transaction.
fn push_in(
    tx: &Connection,
    who: &Principal,
    changes: &mut [Change],
    now: &str,
) -> Result<Vec<Ack>> {
    let seq: i64 = tx
        .prepare_cached("SELECT value FROM counters WHERE name = 'seq'")?
        .query_row([], |r| r.get(0))?;
    let mut already_seen = merge::FastMap::default();
    {
        // A refused change is judged again when it comes back (a visit may have been
        // handed over meanwhile).
        let mut seen_get = tx.prepare_cached(
            "SELECT revision FROM changes_seen WHERE change_id = ?1 AND status <> 'refused'",
        )?;
        for ch in changes.iter() {
            if let Some(rev) = seen_get
                .query_row([ch.change_id.to_string()], |r| r.get::<_, i64>(0))
                .optional()?
            {
                already_seen.insert(ch.change_id, rev);
            }
        }
    }
    let mut codes = HashMap::new();
    for code in authz::proposal_codes_named(changes) {
        let device: Option<String> = tx
            .prepare_cached("SELECT device_id FROM device_codes WHERE code = ?1")?
            .query_row([code], |r| r.get(0))
            .optional()?;
        if let Some(d) = device.and_then(|d| Uuid::parse_str(&d).ok()) {
            codes.insert(code.to_string(), d);
        }
    }
    let mut load = tx.prepare_cached(LOAD_RECORD)?;
    let out = merge::apply_batch(
        changes,
        who,
        seq,
        &already_seen,
        &|c: &str| codes.get(c).copied(),
        |tbl, id| load_with(&mut load, tbl, id),
    )?;
    let mut save = tx.prepare_cached(SAVE_RECORD)?;
    for ((tbl, id), st) in &out.records {
        save_with(&mut save, tbl, id, st)?;
    }
    {
        let mut seen = tx.prepare_cached(
            "INSERT INTO changes_seen (change_id, device_id, revision, status, tbl, record_id,
               at, before_deleted, before_fields)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (change_id) DO UPDATE SET revision = excluded.revision,
               status = excluded.status, at = excluded.at,
               before_deleted = excluded.before_deleted, before_fields = excluded.before_fields",
        )?;
        let device_text = who.device.to_string();
        for s in &out.seen {
            seen.execute(params![
                s.change_id.to_string(),
                device_text,
                s.revision,
                status_str(s.status),
                s.table,
                s.record_id,
                now,
                s.before.as_ref().map(|b| b.deleted),
                s.before.as_ref().map(|b| b.fields.as_str()),
            ])?;
        }
        let mut claim =
            tx.prepare_cached("INSERT INTO device_codes (code, device_id) VALUES (?1, ?2)")?;
        for code in &out.claimed_codes {
            claim.execute(params![code, device_text])?;
        }
    }
    tx.prepare_cached("UPDATE counters SET value = ?1 WHERE name = 'seq'")?
        .execute([out.last_seq])?;
    for s in out.seen.iter().filter(|s| s.status == AckStatus::Refused) {
        tracing::warn!(device = %who.device, adviser = %who.adviser, table = %s.table,
            record = %s.record_id, "change refused");
    }
    Ok(out.acks)
}

fn pull_read(conn: &Connection, cursor: i64, limit: u32) -> Result<Page> {
    let mut stmt = conn.prepare_cached(
        "SELECT tbl, record_id, revision, deleted, fields, conflicts, owner FROM records
         WHERE revision > ?1 ORDER BY revision LIMIT ?2",
    )?;
    let mut rows = stmt.query(params![cursor, i64::from(limit) + 1])?;
    let mut records = Vec::new();
    let mut bytes = 0usize;
    let mut more = false;
    while let Some(r) = rows.next()? {
        if records.len() >= limit as usize || (bytes >= MAX_PAGE_BYTES && !records.is_empty()) {
            more = true;
            break;
        }
        let fields = r.get_ref(4)?.as_str().map_err(rusqlite::Error::from)?;
        let conflicts = r.get_ref(5)?.as_str().map_err(rusqlite::Error::from)?;
        bytes += fields.len() + conflicts.len();
        records.push(merge::remote_from_columns(
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            fields,
            conflicts,
            r.get(6)?,
        )?);
    }
    let next_cursor = records.last().map_or(cursor, |r| r.revision);
    let remaining = if more {
        let n: i64 = conn
            .prepare_cached("SELECT count(*) FROM records WHERE revision > ?1")?
            .query_row([next_cursor], |r| r.get(0))?;
        u64::try_from(n).unwrap_or(0)
    } else {
        0
    };
    Ok(Page {
        records,
        next_cursor,
        more,
        remaining,
    })
}

/// Fills in the owners of records stored before ownership existed (once).
fn backfill_owners(conn: &mut Connection) -> Result<()> {
    let done: i64 = conn.query_row(
        "SELECT value FROM counters WHERE name = 'owners_backfilled'",
        [],
        |r| r.get(0),
    )?;
    if done != 0 {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let advisers: HashMap<Uuid, String> = {
        let mut stmt = tx.prepare("SELECT id, adviser FROM devices")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut map = HashMap::new();
        for row in rows {
            let (id, adviser) = row?;
            if let Ok(id) = Uuid::parse_str(&id) {
                map.insert(id, adviser);
            }
        }
        map
    };
    let records: Vec<authz::Unplaced> = {
        let mut stmt = tx.prepare("SELECT tbl, record_id, fields, meta FROM records")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (table, record_id, fields, meta) = row?;
            let meta: merge::StoredMeta = serde_json::from_str(&meta)?;
            out.push(authz::Unplaced {
                table,
                record_id,
                fields: serde_json::from_str(&fields)?,
                first_device: merge::first_device(&meta),
            });
        }
        out
    };
    let found = authz::backfill(&records, &|d| advisers.get(&d).cloned());
    {
        let mut set = tx.prepare(
            "UPDATE records SET owner = ?3, root = ?4 WHERE tbl = ?1 AND record_id = ?2",
        )?;
        for (r, p) in records.iter().zip(&found.placed) {
            set.execute(params![r.table, r.record_id, p.owner, p.root])?;
        }
        let mut claim =
            tx.prepare("INSERT OR IGNORE INTO device_codes (code, device_id) VALUES (?1, ?2)")?;
        for (code, device) in &found.codes {
            claim.execute(params![code, device.to_string()])?;
        }
    }
    tx.execute(
        "UPDATE counters SET value = 1 WHERE name = 'owners_backfilled'",
        [],
    )?;
    tx.commit()?;
    if !records.is_empty() {
        tracing::info!(
            records = records.len(),
            "owners of stored records filled in"
        );
    }
    Ok(())
}

/// `revert_device`, in the writer's transaction.
fn revert_in(tx: &Connection, device: Uuid, since: &str) -> Result<u64> {
    // SQLite takes the other columns from the row holding the minimum.
    let firsts: Vec<(String, String, Option<merge::Before>)> = {
        let mut stmt = tx.prepare(
            "SELECT tbl, record_id, min(revision), before_deleted, before_fields
             FROM changes_seen
             WHERE device_id = ?1 AND at >= ?2 AND revision > 0 AND tbl IS NOT NULL
             GROUP BY tbl, record_id",
        )?;
        let rows = stmt.query_map(params![device.to_string(), since], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<bool>>(3)?,
                r.get::<_, Option<String>>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (tbl, id, deleted, fields) = row?;
            let before = match (deleted, fields) {
                (Some(deleted), Some(fields)) => Some(merge::Before { deleted, fields }),
                _ => None,
            };
            out.push((tbl, id, before));
        }
        out
    };
    let mut restored = std::collections::HashSet::new();
    let mut roots = std::collections::HashSet::new();
    for (tbl, id, before) in &firsts {
        let Some(current) = load_record(tx, tbl, id)? else {
            continue;
        };
        let st = merge::restore(current, before.as_ref(), next_seq(tx)?);
        if !st.deleted {
            if let Some(root) = &st.root {
                roots.insert(root.clone());
            }
        }
        save_record(tx, tbl, id, &st)?;
        restored.insert((tbl.clone(), id.clone()));
    }
    // Laptops removed what hung from a visit deleted there: send it again.
    let mut resent = 0u64;
    if !roots.is_empty() {
        // One pass over the records (there is no index by visit: it cost every push more
        // than this rare command saves).
        let keys: Vec<(String, String)> = {
            let roots = serde_json::to_string(&roots)?;
            let mut stmt = tx.prepare(
                "SELECT tbl, record_id FROM records
                 WHERE deleted = 0 AND root IN (SELECT value FROM json_each(?1))
                 ORDER BY revision",
            )?;
            let rows = stmt.query_map([roots], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        for key in keys.into_iter().filter(|k| !restored.contains(k)) {
            let seq = next_seq(tx)?;
            tx.execute(
                "UPDATE records SET revision = ?3 WHERE tbl = ?1 AND record_id = ?2",
                params![key.0, key.1, seq],
            )?;
            resent += 1;
        }
    }
    tracing::info!(device = %device, restored = restored.len(), resent, "device changes reverted");
    Ok(u64::try_from(restored.len()).unwrap_or(u64::MAX))
}

/// `participants`, on a reader.
fn participants_read(conn: &Connection) -> Result<Vec<super::ParticipantRecord>> {
    let rows = {
        let mut stmt = conn.prepare(
            "SELECT record_id, deleted, fields, conflicts, owner, root FROM records
             WHERE tbl = 'participants' ORDER BY record_id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })?;
        rows.collect::<rusqlite::Result<Vec<_>>>()?
    };
    let visits = {
        let mut stmt =
            conn.prepare("SELECT record_id, fields FROM records WHERE tbl = 'visits'")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()?
    };
    super::join_participants(rows, visits)
}

/// After an erasure: the WAL still holds the pages as they were before; checkpoint them
/// into the database (where secure_delete zeroed the old values) and truncate it. A reader
/// in the middle of a pull can keep it from completing: said, not fatal (the next erasure
/// or checkpoint finishes the job).
fn checkpoint_after_erasure(c: &Connection) -> Result<()> {
    let (busy, _, _): (i64, i64, i64) =
        c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
    if busy != 0 {
        tracing::warn!("wal checkpoint after erasure incomplete (readers busy)");
    }
    Ok(())
}

/// `erase_participants`, in the writer's transaction: (records changed, history entries
/// cleaned).
fn erase_in(tx: &Connection, record_ids: &[String]) -> Result<(u64, u64)> {
    let (mut changed, mut cleaned) = (0u64, 0u64);
    for id in record_ids {
        let Some(current) = load_record(tx, "participants", id)? else {
            continue;
        };
        if !merge::is_erased(&current) {
            let st = merge::erased(current, next_seq(tx)?);
            save_record(tx, "participants", id, &st)?;
            changed += 1;
        }
        let history: Vec<(String, String)> = {
            let mut stmt = tx.prepare_cached(
                "SELECT change_id, before_fields FROM changes_seen
                 WHERE tbl = 'participants' AND record_id = ?1 AND before_fields IS NOT NULL",
            )?;
            let rows = stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let mut set =
            tx.prepare_cached("UPDATE changes_seen SET before_fields = ?2 WHERE change_id = ?1")?;
        for (change_id, before) in history {
            if let Some(clean) = merge::erased_history(&before) {
                set.execute(params![change_id, clean])?;
                cleaned += 1;
            }
        }
    }
    Ok((changed, cleaned))
}

impl Storage for SqliteStorage {
    fn create_enrollment<'a>(
        &'a self,
        code_hash: &'a str,
        adviser: &'a str,
        expires_at: DateTime<Utc>,
    ) -> Fut<'a, ()> {
        let (code_hash, adviser) = (code_hash.to_string(), adviser.to_string());
        self.write(move |c| {
            c.execute(
                "INSERT INTO enrollment_codes (code_hash, adviser, expires_at) VALUES (?1, ?2, ?3)",
                params![code_hash, adviser, ts(expires_at)],
            )?;
            Ok(())
        })
    }

    fn enroll<'a>(
        &'a self,
        code_hash: &'a str,
        device: &'a Device,
        token_hash: &'a str,
        now: DateTime<Utc>,
    ) -> Fut<'a, Option<Enrolled>> {
        let (code_hash, device, token_hash) = (
            code_hash.to_string(),
            device.clone(),
            token_hash.to_string(),
        );
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let found: Option<(String, String)> = tx
                .query_row(
                    "SELECT adviser, expires_at FROM enrollment_codes
                     WHERE code_hash = ?1 AND used_at IS NULL",
                    [&code_hash],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let Some((adviser, expires_at)) = found else {
                return Ok(None);
            };
            if parse_ts(&expires_at)? < now {
                return Ok(None);
            }
            tx.execute(
                "UPDATE enrollment_codes SET used_at = ?2, device_id = ?3 WHERE code_hash = ?1",
                params![code_hash, ts(now), device.id.to_string()],
            )?;
            let n: i64 = tx.query_row(
                "UPDATE counters SET value = value + 1 WHERE name = 'device_code' RETURNING value",
                [],
                |r| r.get(0),
            )?;
            let device_code = preau_protocol::device_code(u64::try_from(n).unwrap_or(0));
            tx.execute(
                "INSERT INTO devices (id, adviser, name, token_hash, enrolled_at, device_code)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    device.id.to_string(),
                    adviser,
                    device.name,
                    token_hash,
                    ts(device.enrolled_at),
                    device_code
                ],
            )?;
            tx.execute(
                "INSERT INTO device_codes (code, device_id) VALUES (?1, ?2)",
                params![device_code, device.id.to_string()],
            )?;
            tx.commit()?;
            Ok(Some(Enrolled {
                adviser,
                device_code,
            }))
        })
    }

    fn device_by_token<'a>(&'a self, token_hash: &'a str) -> Fut<'a, Option<Device>> {
        let token_hash = token_hash.to_string();
        self.read(move |c| {
            c.prepare_cached(&format!(
                "SELECT {DEVICE_COLUMNS} FROM devices WHERE token_hash = ?1"
            ))?
            .query_row([token_hash], device_from_row)
            .optional()?
            .map(to_device)
            .transpose()
        })
    }

    fn devices(&self) -> Fut<'_, Vec<Device>> {
        self.read(|c| {
            let mut stmt = c.prepare(&format!(
                "SELECT {DEVICE_COLUMNS} FROM devices ORDER BY enrolled_at, id"
            ))?;
            let rows = stmt.query_map([], device_from_row)?;
            rows.map(|r| to_device(r?)).collect()
        })
    }

    fn revoke(&self, id: Uuid, now: DateTime<Utc>) -> Fut<'_, bool> {
        self.write(move |c| {
            let exists: bool = c.query_row(
                "SELECT count(*) > 0 FROM devices WHERE id = ?1",
                [id.to_string()],
                |r| r.get(0),
            )?;
            c.execute(
                "UPDATE devices SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                params![id.to_string(), ts(now)],
            )?;
            Ok(exists)
        })
    }

    fn push<'a>(&'a self, who: &'a Principal, changes: Vec<Change>) -> Fut<'a, Vec<Ack>> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let sent = self.send(Job::Push {
            who: who.clone(),
            changes,
            reply,
        });
        Box::pin(async move {
            sent?;
            answer.await.map_err(|_| writer_stopped())?
        })
    }

    fn pull(&self, cursor: i64, limit: u32) -> Fut<'_, Page> {
        self.read(move |c| pull_read(c, cursor, limit))
    }

    fn revert_device(&self, device: Uuid, since: DateTime<Utc>) -> Fut<'_, u64> {
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let n = revert_in(&tx, device, &ts(since))?;
            tx.commit()?;
            Ok(n)
        })
    }

    fn purge_record<'a>(&'a self, table: &'a str, record_id: &'a str) -> Fut<'a, bool> {
        let (table, record_id) = (table.to_string(), record_id.to_string());
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let Some(current) = load_record(&tx, &table, &record_id)? else {
                return Ok(false);
            };
            let st = merge::purged(current, next_seq(&tx)?);
            save_record(&tx, &table, &record_id, &st)?;
            tx.commit()?;
            tracing::info!(table = %table, record = %record_id, "record purged");
            Ok(true)
        })
    }

    fn hand_over<'a>(&'a self, visit_id: &'a str, adviser: &'a str) -> Fut<'a, u64> {
        let (visit_id, adviser) = (visit_id.to_string(), adviser.to_string());
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let n = tx.execute(
                "UPDATE records SET owner = ?2 WHERE root = ?1",
                params![visit_id, adviser],
            )?;
            if n > 0 {
                // Laptops learn a visit's owner from the visit record they pull: it is
                // sent again (a new revision), else they would never see the hand-over.
                let seq = next_seq(&tx)?;
                tx.execute(
                    "UPDATE records SET revision = ?2 WHERE tbl = 'visits' AND record_id = ?1",
                    params![visit_id, seq],
                )?;
            }
            tx.commit()?;
            tracing::info!(visit = %visit_id, adviser = %adviser, records = n, "visit handed over");
            Ok(u64::try_from(n).unwrap_or(u64::MAX))
        })
    }

    fn publish_reference<'a>(&'a self, kind: &'a str, content: &'a str) -> Fut<'a, i64> {
        let (kind, content) = (kind.to_string(), content.to_string());
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let version: i64 = tx.query_row(
                "SELECT coalesce(max(version), 0) + 1 FROM reference_data WHERE kind = ?1",
                [&kind],
                |r| r.get(0),
            )?;
            tx.execute(
                "INSERT INTO reference_data (kind, version, content, published_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![kind, version, content, ts(Utc::now())],
            )?;
            tx.commit()?;
            Ok(version)
        })
    }

    fn reference_versions(&self) -> Fut<'_, Vec<ReferenceVersion>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT kind, max(version) FROM reference_data GROUP BY kind ORDER BY kind",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(ReferenceVersion {
                    kind: r.get(0)?,
                    version: r.get(1)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    fn reference<'a>(&'a self, kind: &'a str) -> Fut<'a, Option<(i64, String)>> {
        let kind = kind.to_string();
        self.read(move |c| {
            Ok(c.query_row(
                "SELECT version, content FROM reference_data WHERE kind = ?1
                 ORDER BY version DESC LIMIT 1",
                [kind],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
        })
    }

    fn participants(&self) -> Fut<'_, Vec<super::ParticipantRecord>> {
        self.read(participants_read)
    }

    fn erase_participants(&self, record_ids: Vec<String>) -> Fut<'_, u64> {
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let (changed, cleaned) = erase_in(&tx, &record_ids)?;
            tx.commit()?;
            checkpoint_after_erasure(c)?;
            tracing::info!(records = changed, history = cleaned, "personal data erased");
            Ok(changed)
        })
    }

    fn participant_history(&self) -> Fut<'_, Vec<super::HistoryEntry>> {
        self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT change_id, record_id, at, before_fields FROM changes_seen
                 WHERE tbl = 'participants' AND before_fields IS NOT NULL
                 ORDER BY record_id, revision",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(super::HistoryEntry {
                    change_id: r.get(0)?,
                    record_id: r.get(1)?,
                    at: r.get(2)?,
                    before_fields: r.get(3)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    fn erase_history(&self, change_ids: Vec<String>) -> Fut<'_, u64> {
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut cleaned = 0u64;
            for id in &change_ids {
                let before: Option<Option<String>> = tx
                    .query_row(
                        "SELECT before_fields FROM changes_seen WHERE change_id = ?1",
                        [id],
                        |r| r.get(0),
                    )
                    .optional()?;
                if let Some(clean) = before.flatten().as_deref().and_then(merge::erased_history) {
                    tx.execute(
                        "UPDATE changes_seen SET before_fields = ?2 WHERE change_id = ?1",
                        params![id, clean],
                    )?;
                    cleaned += 1;
                }
            }
            tx.commit()?;
            checkpoint_after_erasure(c)?;
            tracing::info!(history = cleaned, "personal data erased from history");
            Ok(cleaned)
        })
    }

    fn proposal_snapshots(&self) -> Fut<'_, Vec<super::ProposalSnapshot>> {
        self.read(|c| {
            // JSON functions: the PDF (megabytes of hex) stays in the database.
            let mut stmt = c.prepare(
                "SELECT record_id, deleted, root, json_extract(fields, '$.number'),
                   json_extract(fields, '$.snapshot')
                 FROM records WHERE tbl = 'proposals' AND json_valid(fields) ORDER BY record_id",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(super::ProposalSnapshot {
                    record_id: r.get(0)?,
                    deleted: r.get(1)?,
                    visit_id: r.get(2)?,
                    number: r.get(3)?,
                    snapshot: r.get(4)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    fn touch_device<'a>(
        &'a self,
        id: Uuid,
        at: DateTime<Utc>,
        ip: Option<&'a str>,
        app_version: Option<&'a str>,
        pending: Option<u32>,
    ) -> Fut<'a, ()> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let sent = self.send(Job::Touch {
            touch: Touch {
                device: id,
                at: ts(at),
                ip: ip.map(str::to_string),
                app_version: app_version.map(str::to_string),
                pending,
            },
            reply,
        });
        Box::pin(async move {
            sent?;
            answer.await.map_err(|_| writer_stopped())?
        })
    }

    fn add_staff_user<'a>(&'a self, user: &'a StaffUser) -> Fut<'a, bool> {
        let user = user.clone();
        self.write(move |c| {
            let n = c.execute(
                "INSERT INTO staff_users (id, email, name, role, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (email) DO NOTHING",
                params![
                    user.id.to_string(),
                    user.email,
                    user.name,
                    user.role.as_str(),
                    ts(user.created_at)
                ],
            )?;
            Ok(n == 1)
        })
    }

    fn staff_users(&self) -> Fut<'_, Vec<StaffUser>> {
        self.read(|c| {
            let mut stmt = c.prepare(&format!(
                "SELECT {STAFF_COLUMNS} FROM staff_users ORDER BY email"
            ))?;
            let mut rows = stmt.query([])?;
            let mut users = Vec::new();
            while let Some(r) = rows.next()? {
                users.push(staff_from_row(r)?.0);
            }
            Ok(users)
        })
    }

    fn staff_user_by_email<'a>(
        &'a self,
        email: &'a str,
    ) -> Fut<'a, Option<(StaffUser, Option<String>)>> {
        let email = email.to_string();
        self.read(move |c| {
            c.prepare_cached(&format!(
                "SELECT {STAFF_COLUMNS} FROM staff_users WHERE email = ?1"
            ))?
            .query([email])?
            .next()?
            .map(staff_from_row)
            .transpose()
        })
    }

    fn disable_staff_user<'a>(&'a self, email: &'a str, now: DateTime<Utc>) -> Fut<'a, bool> {
        let email = email.to_string();
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let id: Option<String> = tx
                .query_row(
                    "SELECT id FROM staff_users WHERE email = ?1",
                    [&email],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(id) = id else {
                return Ok(false);
            };
            tx.execute(
                "UPDATE staff_users SET disabled_at = coalesce(disabled_at, ?2) WHERE id = ?1",
                params![id, ts(now)],
            )?;
            tx.execute("DELETE FROM staff_sessions WHERE user_id = ?1", [&id])?;
            tx.execute("DELETE FROM staff_password_links WHERE user_id = ?1", [&id])?;
            tx.commit()?;
            Ok(true)
        })
    }

    fn create_password_link<'a>(
        &'a self,
        token_hash: &'a str,
        user: Uuid,
        expires_at: DateTime<Utc>,
    ) -> Fut<'a, ()> {
        let token_hash = token_hash.to_string();
        self.write(move |c| {
            c.execute(
                "INSERT INTO staff_password_links (token_hash, user_id, expires_at)
                 VALUES (?1, ?2, ?3)",
                params![token_hash, user.to_string(), ts(expires_at)],
            )?;
            Ok(())
        })
    }

    fn use_password_link<'a>(
        &'a self,
        token_hash: &'a str,
        password_hash: &'a str,
        now: DateTime<Utc>,
    ) -> Fut<'a, Option<StaffUser>> {
        let (token_hash, password_hash) = (token_hash.to_string(), password_hash.to_string());
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let found: Option<(String, String)> = tx
                .query_row(
                    "DELETE FROM staff_password_links WHERE token_hash = ?1
                     RETURNING user_id, expires_at",
                    [&token_hash],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let Some((id, expires_at)) = found else {
                return Ok(None);
            };
            if parse_ts(&expires_at)? < now {
                // Used up all the same: an expired link is never good again.
                tx.commit()?;
                return Ok(None);
            }
            let n = tx.execute(
                "UPDATE staff_users SET password_hash = ?2 WHERE id = ?1 AND disabled_at IS NULL",
                params![id, password_hash],
            )?;
            if n == 0 {
                tx.commit()?;
                return Ok(None);
            }
            tx.execute("DELETE FROM staff_sessions WHERE user_id = ?1", [&id])?;
            let user = tx
                .prepare(&format!(
                    "SELECT {STAFF_COLUMNS} FROM staff_users WHERE id = ?1"
                ))?
                .query([&id])?
                .next()?
                .map(staff_from_row)
                .transpose()?
                .map(|(u, _)| u);
            tx.commit()?;
            Ok(user)
        })
    }

    fn create_staff_session<'a>(
        &'a self,
        token_hash: &'a str,
        user: Uuid,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Fut<'a, ()> {
        let token_hash = token_hash.to_string();
        self.write(move |c| {
            // Expired sessions go when new ones come: the table stays small.
            c.execute(
                "DELETE FROM staff_sessions WHERE expires_at < ?1",
                [ts(now)],
            )?;
            c.execute(
                "INSERT INTO staff_sessions (token_hash, user_id, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![token_hash, user.to_string(), ts(now), ts(expires_at)],
            )?;
            Ok(())
        })
    }

    fn staff_session<'a>(
        &'a self,
        token_hash: &'a str,
        now: DateTime<Utc>,
    ) -> Fut<'a, Option<StaffUser>> {
        let token_hash = token_hash.to_string();
        self.read(move |c| {
            c.prepare_cached(&format!(
                "SELECT {} FROM staff_sessions s JOIN staff_users u ON u.id = s.user_id
                 WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND u.disabled_at IS NULL",
                super::staff_columns_of("u")
            ))?
            .query(params![token_hash, ts(now)])?
            .next()?
            .map(|r| staff_from_row(r).map(|(u, _)| u))
            .transpose()
        })
    }

    fn end_staff_session<'a>(&'a self, token_hash: &'a str) -> Fut<'a, ()> {
        let token_hash = token_hash.to_string();
        self.write(move |c| {
            c.execute(
                "DELETE FROM staff_sessions WHERE token_hash = ?1",
                [token_hash],
            )?;
            Ok(())
        })
    }

    fn record_audit<'a>(&'a self, entry: &'a AuditEntry) -> Fut<'a, ()> {
        let e = entry.clone();
        self.write(move |c| insert_audit(c, &e))
    }

    fn audit_log(&self, limit: u32) -> Fut<'_, Vec<AuditEntry>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT at, actor, action, detail, ip FROM audit_log ORDER BY id DESC LIMIT ?1",
            )?;
            let rows = stmt.query_map([limit], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                ))
            })?;
            rows.map(|r| {
                let (at, actor, action, detail, ip) = r?;
                Ok(AuditEntry {
                    at: parse_ts(&at)?,
                    actor,
                    action,
                    detail,
                    ip,
                })
            })
            .collect()
        })
    }

    fn live_records<'a>(&'a self, table: &'a str) -> Fut<'a, Vec<StoredRecord>> {
        let table = table.to_string();
        self.read(move |c| {
            // The PDF (up to megabytes of hex) stays in the database.
            let mut stmt = c.prepare_cached(
                "SELECT record_id, CASE WHEN ?1 = 'proposals' THEN json_remove(fields, '$.pdf')
                   ELSE fields END, owner, root
                 FROM records WHERE tbl = ?1 AND deleted = 0 ORDER BY record_id",
            )?;
            let rows = stmt.query_map([&table], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?;
            super::stored_records(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    fn proposal_pdf<'a>(&'a self, record_id: &'a str) -> Fut<'a, Option<StoredPdf>> {
        let record_id = record_id.to_string();
        self.read(move |c| {
            let found: Option<(Option<String>, Option<String>)> = c
                .query_row(
                    "SELECT json_extract(fields, '$.pdf'), json_extract(fields, '$.pdf_sha256')
                     FROM records WHERE tbl = 'proposals' AND record_id = ?1 AND deleted = 0
                       AND json_valid(fields)",
                    [record_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            Ok(found.and_then(|(hex, sha256)| hex.map(|hex| StoredPdf { hex, sha256 })))
        })
    }

    fn add_campaign<'a>(&'a self, campaign: &'a Campaign) -> Fut<'a, ()> {
        let c = campaign.clone();
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO campaigns (id, name, cutoff, catalogue_version, created_at, created_by)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    c.id.to_string(),
                    c.name,
                    c.cutoff.to_string(),
                    c.catalogue_version,
                    ts(c.created_at),
                    c.created_by
                ],
            )?;
            Ok(())
        })
    }

    fn campaigns(&self) -> Fut<'_, Vec<Campaign>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, name, cutoff, catalogue_version, created_at, created_by
                 FROM campaigns ORDER BY cutoff DESC, created_at DESC",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                ))
            })?;
            rows.map(|r| {
                let (id, name, cutoff, version, at, by) = r?;
                campaign(&id, name, &cutoff, version, &at, by)
            })
            .collect()
        })
    }

    fn table_version<'a>(&'a self, table: &'a str) -> Fut<'a, (i64, i64)> {
        let table = table.to_string();
        self.read(move |c| {
            Ok(c.prepare_cached(
                "SELECT count(*), coalesce(max(revision), 0) FROM records WHERE tbl = ?1",
            )?
            .query_row([table], |r| Ok((r.get(0)?, r.get(1)?)))?)
        })
    }

    fn records_since<'a>(&'a self, table: &'a str, revision: i64) -> Fut<'a, Vec<StoredChange>> {
        let table = table.to_string();
        self.read(move |c| {
            // By the revision index: after a push, only what it wrote is read.
            let mut stmt = c.prepare_cached(
                "SELECT record_id, revision, deleted,
                   CASE WHEN tbl = 'proposals' THEN json_remove(fields, '$.pdf') ELSE fields END,
                   owner, root
                 FROM records WHERE revision > ?2 AND tbl = ?1 ORDER BY revision",
            )?;
            let rows = stmt.query_map(params![table, revision], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            })?;
            super::stored_changes(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    fn live_records_of_visit<'a>(
        &'a self,
        table: &'a str,
        visit_id: &'a str,
    ) -> Fut<'a, Vec<StoredRecord>> {
        let (table, visit_id) = (table.to_string(), visit_id.to_string());
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT record_id, CASE WHEN tbl = 'proposals' THEN json_remove(fields, '$.pdf')
                   ELSE fields END, owner, root
                 FROM records WHERE root = ?2 AND tbl = ?1 AND deleted = 0 ORDER BY record_id",
            )?;
            let rows = stmt.query_map([&table, &visit_id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?;
            super::stored_records(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    fn add_follow_up_step<'a>(
        &'a self,
        step: &'a crate::follow::StepRecord,
        audit: &'a AuditEntry,
    ) -> Fut<'a, ()> {
        let (s, e) = (step.clone(), audit.clone());
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute(
                "INSERT INTO follow_up_steps
                   (id, proposal_id, step, done_on, note, recorded_by, recorded_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    s.id.to_string(),
                    s.proposal_id,
                    s.step.key(),
                    s.on.to_string(),
                    s.note,
                    s.recorded_by,
                    ts(s.recorded_at)
                ],
            )?;
            insert_audit(&tx, &e)?;
            tx.commit()?;
            Ok(())
        })
    }

    fn follow_up_steps(&self) -> Fut<'_, Vec<crate::follow::StepRecord>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, proposal_id, step, done_on, note, recorded_by, recorded_at
                 FROM follow_up_steps ORDER BY recorded_at, id",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                ))
            })?;
            rows.map(|r| {
                let (id, proposal, step, on, note, by, at) = r?;
                crate::follow::from_columns(&id, proposal, &step, &on, note, by, &at)
            })
            .collect()
        })
    }
}
