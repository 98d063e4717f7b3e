//! The embedded SQLite backend: one writer connection, owned by a writer thread, and a
//! few readers on tokio's blocking pool.
//!
//! Group commit: the writer takes every push waiting in its queue and applies them in one
//! transaction, each push under its own savepoint (a push that fails is rolled back alone
//! and answered with its error), then commits once, with `synchronous=FULL`, before any of
//! them is acknowledged. A push is thus still atomic and durable once acknowledged, and
//! concurrent laptops share one disk sync instead of queueing for one each.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use preau_protocol::{Ack, Change, ReferenceVersion};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use uuid::Uuid;

use super::{parse_ts, ts, Device, Enrolled, Fut, Page, Storage, DEVICE_COLUMNS};
use crate::error::{Error, Result};
use crate::merge::{self, state_from_columns, status_str};

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
    // Last use of each device's token (issue 12): renewed on use, expired when idle. A
    // device enrolled before this starts a fresh idle period now.
    r#"
ALTER TABLE devices ADD COLUMN last_seen_at TEXT;
ALTER TABLE devices ADD COLUMN last_ip TEXT;
ALTER TABLE devices ADD COLUMN app_version TEXT;
UPDATE devices SET last_seen_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now');
"#,
];

/// Most pushes, and most changes, committed together by the writer.
const GROUP_PUSHES: usize = 128;
const GROUP_CHANGES: usize = 20_000;

type WriteFn = Box<dyn FnOnce(&mut Connection) + Send>;

/// Work for the writer thread.
enum Job {
    Push {
        device: Uuid,
        changes: Vec<Change>,
        reply: tokio::sync::oneshot::Sender<Result<Vec<Ack>>>,
    },
    Write(WriteFn),
}

pub struct SqliteStorage {
    jobs: Mutex<mpsc::Sender<Job>>,
    readers: Arc<Vec<Mutex<Connection>>>,
    next_reader: AtomicUsize,
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
            push @ Job::Push { .. } => {
                let mut group = vec![push];
                let mut changes = group_changes(&group);
                while group.len() < GROUP_PUSHES && changes < GROUP_CHANGES {
                    match jobs.try_recv() {
                        Ok(job @ Job::Push { .. }) => {
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
                    push_group(&mut conn, group)
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
            Job::Write(_) => 0,
        })
        .sum()
}

/// Applies pushes in one transaction, each under its own savepoint, and answers them once
/// the transaction is committed (or all with the error that stopped it).
fn push_group(conn: &mut Connection, group: Vec<Job>) {
    let mut replies = Vec::with_capacity(group.len());
    let mut pushes = Vec::with_capacity(group.len());
    for job in group {
        if let Job::Push {
            device,
            changes,
            reply,
        } = job
        {
            pushes.push((device, changes));
            replies.push(reply);
        }
    }
    let outcome = (|| -> Result<Vec<Result<Vec<Ack>>>> {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut results = Vec::with_capacity(pushes.len());
        for (device, changes) in &pushes {
            tx.prepare_cached("SAVEPOINT push")?.execute([])?;
            match push_in(&tx, *device, changes) {
                Ok(acks) => {
                    tx.prepare_cached("RELEASE push")?.execute([])?;
                    results.push(Ok(acks));
                }
                Err(e) => {
                    tx.prepare_cached("ROLLBACK TO push")?.execute([])?;
                    tx.prepare_cached("RELEASE push")?.execute([])?;
                    results.push(Err(e));
                }
            }
        }
        tx.commit()?;
        Ok(results)
    })();
    match outcome {
        Ok(results) => {
            for (reply, result) in replies.into_iter().zip(results) {
                let _ = reply.send(result);
            }
        }
        Err(e) => {
            tracing::error!(error = %e, pushes = replies.len(), "push group failed");
            let message = e.to_string();
            for reply in replies {
                let _ = reply.send(Err(Error::Storage(message.clone())));
            }
        }
    }
}

fn connect(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
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
        let readers = (0..READERS)
            .map(|_| connect(path).map(Mutex::new))
            .collect::<Result<Vec<_>>>()?;
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

type DeviceRow = (
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn device_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DeviceRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
    ))
}

fn to_device(row: DeviceRow) -> Result<Device> {
    let (id, adviser, name, enrolled_at, revoked_at, last_seen_at, last_ip, app_version) = row;
    Ok(Device {
        id: Uuid::parse_str(&id).map_err(|e| Error::Storage(format!("device id: {e}")))?,
        adviser,
        name,
        enrolled_at: parse_ts(&enrolled_at)?,
        revoked_at: revoked_at.as_deref().map(parse_ts).transpose()?,
        last_seen_at: last_seen_at.as_deref().map(parse_ts).transpose()?,
        last_ip,
        app_version,
    })
}

/// One push, inside the writer's transaction.
fn push_in(tx: &Connection, device: Uuid, changes: &[Change]) -> Result<Vec<Ack>> {
    let seq: i64 = tx
        .prepare_cached("SELECT value FROM counters WHERE name = 'seq'")?
        .query_row([], |r| r.get(0))?;
    let mut already_seen = HashMap::new();
    {
        let mut seen_get =
            tx.prepare_cached("SELECT revision FROM changes_seen WHERE change_id = ?1")?;
        for ch in changes {
            if let Some(rev) = seen_get
                .query_row([ch.change_id.to_string()], |r| r.get::<_, i64>(0))
                .optional()?
            {
                already_seen.insert(ch.change_id, rev);
            }
        }
    }
    let out = {
        let mut load = tx.prepare_cached(
            "SELECT revision, deleted, fields, meta, conflicts FROM records
             WHERE tbl = ?1 AND record_id = ?2",
        )?;
        merge::apply_batch(changes, device, seq, &already_seen, |tbl, id| {
            load.query_row(params![tbl, id], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, bool>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })
            .optional()?
            .map(|(rev, del, f, m, c)| Ok::<_, Error>(state_from_columns(rev, del, &f, &m, &c)?))
            .transpose()
        })?
    };
    {
        let mut save = tx.prepare_cached(
            "INSERT INTO records (tbl, record_id, revision, deleted, fields, meta, conflicts)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (tbl, record_id) DO UPDATE SET revision = excluded.revision,
               deleted = excluded.deleted, fields = excluded.fields, meta = excluded.meta,
               conflicts = excluded.conflicts",
        )?;
        for ((tbl, id), st) in &out.records {
            save.execute(params![
                tbl,
                id,
                st.revision,
                st.deleted,
                serde_json::to_string(&st.fields)?,
                serde_json::to_string(&st.stored_meta())?,
                serde_json::to_string(&st.conflicts)?,
            ])?;
        }
        let mut seen = tx.prepare_cached(
            "INSERT INTO changes_seen (change_id, device_id, revision, status)
             VALUES (?1, ?2, ?3, ?4)",
        )?;
        let device_text = device.to_string();
        for (id, rev, status) in &out.seen {
            seen.execute(params![
                id.to_string(),
                device_text,
                rev,
                status_str(*status)
            ])?;
        }
    }
    tx.prepare_cached("UPDATE counters SET value = ?1 WHERE name = 'seq'")?
        .execute([out.last_seq])?;
    Ok(out.acks)
}

fn pull_read(conn: &Connection, cursor: i64, limit: u32) -> Result<Page> {
    let mut stmt = conn.prepare_cached(
        "SELECT tbl, record_id, revision, deleted, fields, conflicts FROM records
         WHERE revision > ?1 ORDER BY revision LIMIT ?2",
    )?;
    let mut rows = stmt.query(params![cursor, i64::from(limit) + 1])?;
    let mut records = Vec::new();
    let mut more = false;
    while let Some(r) = rows.next()? {
        if records.len() >= limit as usize {
            more = true;
            break;
        }
        records.push(merge::remote_from_columns(
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get_ref(4)?.as_str().map_err(rusqlite::Error::from)?,
            r.get_ref(5)?.as_str().map_err(rusqlite::Error::from)?,
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

    fn push<'a>(&'a self, device: Uuid, changes: &'a [Change]) -> Fut<'a, Vec<Ack>> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let sent = self.send(Job::Push {
            device,
            changes: changes.to_vec(),
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

    fn touch_device<'a>(
        &'a self,
        id: Uuid,
        at: DateTime<Utc>,
        ip: Option<&'a str>,
        app_version: Option<&'a str>,
    ) -> Fut<'a, ()> {
        let (ip, app_version) = (ip.map(str::to_string), app_version.map(str::to_string));
        self.write(move |c| {
            c.prepare_cached(
                "UPDATE devices SET last_seen_at = ?2, last_ip = ?3, app_version = ?4
                 WHERE id = ?1",
            )?
            .execute(params![id.to_string(), ts(at), ip, app_version])?;
            Ok(())
        })
    }
}
