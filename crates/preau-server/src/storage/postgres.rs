//! The PostgreSQL backend (tokio-postgres, a small connection pool). A push is a handful
//! of set-based statements whatever its size (arrays through `unnest`).

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use preau_protocol::{Ack, Change, ReferenceVersion};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_postgres::Client;
use uuid::Uuid;

use super::{parse_ts, ts, Device, Enrolled, Fut, Page, Storage, DEVICE_COLUMNS};
use crate::error::{Error, Result};
use crate::merge::{self, state_from_columns, status_str};

const POOL_SIZE: usize = 8;

const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE devices (
    id          TEXT PRIMARY KEY,
    adviser     TEXT NOT NULL,
    name        TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    enrolled_at TEXT NOT NULL,
    revoked_at  TEXT
);
CREATE TABLE enrollment_codes (
    code_hash  TEXT PRIMARY KEY,
    adviser    TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT,
    device_id  TEXT
);
CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('seq', 0);
CREATE TABLE records (
    tbl       TEXT NOT NULL,
    record_id TEXT NOT NULL,
    revision  BIGINT NOT NULL,
    deleted   BOOLEAN NOT NULL,
    fields    TEXT NOT NULL,
    meta      TEXT NOT NULL,
    conflicts TEXT NOT NULL,
    PRIMARY KEY (tbl, record_id)
);
CREATE UNIQUE INDEX records_by_revision ON records (revision);
CREATE TABLE changes_seen (
    change_id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    revision  BIGINT NOT NULL,
    status    TEXT NOT NULL
);
CREATE TABLE reference_data (
    kind         TEXT NOT NULL,
    version      BIGINT NOT NULL,
    content      TEXT NOT NULL,
    published_at TEXT NOT NULL,
    PRIMARY KEY (kind, version)
);
"#,
    // Device codes for proposal numbers, handed out at enrollment (issue 11).
    r#"
ALTER TABLE devices ADD COLUMN device_code TEXT UNIQUE;
INSERT INTO counters (name, value) VALUES ('device_code', 0);
"#,
    // Last use of each device's token (issue 12): renewed on use, expired when idle. A
    // device enrolled before this starts a fresh idle period now.
    r#"
ALTER TABLE devices ADD COLUMN last_seen_at TEXT;
ALTER TABLE devices ADD COLUMN last_ip TEXT;
ALTER TABLE devices ADD COLUMN app_version TEXT;
UPDATE devices SET last_seen_at =
    to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
"#,
];

pub struct PgStorage {
    url: String,
    idle: std::sync::Arc<Mutex<Vec<Client>>>,
    permits: std::sync::Arc<Semaphore>,
}

/// A client borrowed from the pool, given back when dropped (unless its connection died).
struct Pooled {
    client: Option<Client>,
    idle: std::sync::Arc<Mutex<Vec<Client>>>,
    _permit: OwnedSemaphorePermit,
}

impl Pooled {
    fn get(&mut self) -> Result<&mut Client> {
        self.client
            .as_mut()
            .ok_or_else(|| Error::Storage("pooled client missing".into()))
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        if let Some(c) = self.client.take() {
            if !c.is_closed() {
                if let Ok(mut idle) = self.idle.lock() {
                    idle.push(c);
                }
            }
        }
    }
}

async fn connect(url: &str) -> Result<Client> {
    // With the TLS its `sslmode` asks for (issue 12).
    crate::pg_tls::connect(url).await
}

impl PgStorage {
    pub async fn connect(url: &str) -> Result<PgStorage> {
        let mut client = connect(url).await?;
        client
            .batch_execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY)",
            )
            .await?;
        let tx = client.transaction().await?;
        tx.batch_execute("LOCK TABLE schema_migrations IN EXCLUSIVE MODE")
            .await?;
        let found: i64 = tx
            .query_one(
                "SELECT coalesce(max(version), 0) FROM schema_migrations",
                &[],
            )
            .await?
            .get(0);
        let latest = i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX);
        if found > latest {
            return Err(Error::Storage(format!(
                "database schema {found} is newer than this server ({latest})"
            )));
        }
        for (i, sql) in MIGRATIONS
            .iter()
            .enumerate()
            .skip(usize::try_from(found).unwrap_or(0))
        {
            tracing::info!(version = i + 1, "applying postgres migration");
            tx.batch_execute(sql).await?;
            let v = i64::try_from(i + 1).unwrap_or(i64::MAX);
            tx.execute("INSERT INTO schema_migrations (version) VALUES ($1)", &[&v])
                .await?;
        }
        tx.commit().await?;
        tracing::info!("postgres storage ready");
        Ok(PgStorage {
            url: url.to_string(),
            idle: std::sync::Arc::new(Mutex::new(vec![client])),
            permits: std::sync::Arc::new(Semaphore::new(POOL_SIZE)),
        })
    }

    async fn client(&self) -> Result<Pooled> {
        let permit = std::sync::Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| Error::Storage("pool closed".into()))?;
        let reused = {
            let mut idle = self
                .idle
                .lock()
                .map_err(|_| Error::Storage("pool lock poisoned".into()))?;
            idle.pop()
        };
        let client = match reused {
            Some(c) if !c.is_closed() => c,
            _ => connect(&self.url).await?,
        };
        Ok(Pooled {
            client: Some(client),
            idle: std::sync::Arc::clone(&self.idle),
            _permit: permit,
        })
    }
}

fn to_device(r: &tokio_postgres::Row) -> Result<Device> {
    let id: String = r.try_get(0)?;
    let enrolled_at: String = r.try_get(3)?;
    let revoked_at: Option<String> = r.try_get(4)?;
    let last_seen_at: Option<String> = r.try_get(5)?;
    Ok(Device {
        id: Uuid::parse_str(&id).map_err(|e| Error::Storage(format!("device id: {e}")))?,
        adviser: r.try_get(1)?,
        name: r.try_get(2)?,
        enrolled_at: parse_ts(&enrolled_at)?,
        revoked_at: revoked_at.as_deref().map(parse_ts).transpose()?,
        last_seen_at: last_seen_at.as_deref().map(parse_ts).transpose()?,
        last_ip: r.try_get(6)?,
        app_version: r.try_get(7)?,
    })
}

async fn push_tx(client: &mut Client, device: Uuid, changes: &[Change]) -> Result<Vec<Ack>> {
    let tx = client.transaction().await?;
    // The row lock on the counter serialises pushes until commit: sequence numbers
    // become visible in order.
    let seq: i64 = tx
        .query_one(
            "SELECT value FROM counters WHERE name = 'seq' FOR UPDATE",
            &[],
        )
        .await?
        .try_get(0)?;
    let ids: Vec<String> = changes.iter().map(|c| c.change_id.to_string()).collect();
    let mut already_seen = HashMap::new();
    for row in tx
        .query(
            "SELECT change_id, revision FROM changes_seen WHERE change_id = ANY($1)",
            &[&ids],
        )
        .await?
    {
        let id: String = row.try_get(0)?;
        if let Ok(id) = Uuid::parse_str(&id) {
            already_seen.insert(id, row.try_get::<_, i64>(1)?);
        }
    }
    let tbls: Vec<&str> = changes.iter().map(|c| c.table.as_str()).collect();
    let rids: Vec<&str> = changes.iter().map(|c| c.record_id.as_str()).collect();
    let mut loaded = HashMap::new();
    for row in tx
        .query(
            "SELECT r.tbl, r.record_id, r.revision, r.deleted, r.fields, r.meta, r.conflicts
             FROM records r
             JOIN (SELECT DISTINCT * FROM unnest($1::text[], $2::text[]) AS k(tbl, rid)) k
               ON r.tbl = k.tbl AND r.record_id = k.rid",
            &[&tbls, &rids],
        )
        .await?
    {
        let key: (String, String) = (row.try_get(0)?, row.try_get(1)?);
        let f: String = row.try_get(4)?;
        let m: String = row.try_get(5)?;
        let c: String = row.try_get(6)?;
        let st = state_from_columns(row.try_get(2)?, row.try_get(3)?, &f, &m, &c)?;
        loaded.insert(key, st);
    }
    let out = merge::apply_batch(changes, device, seq, &already_seen, |t, r| {
        Ok::<_, Error>(loaded.remove(&(t.to_string(), r.to_string())))
    })?;

    let n = out.records.len();
    let (mut t, mut r, mut rev, mut del) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut f, mut m, mut c) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for ((tbl, id), st) in &out.records {
        t.push(tbl.as_str());
        r.push(id.as_str());
        rev.push(st.revision);
        del.push(st.deleted);
        f.push(serde_json::to_string(&st.fields)?);
        m.push(serde_json::to_string(&st.stored_meta())?);
        c.push(serde_json::to_string(&st.conflicts)?);
    }
    if n > 0 {
        tx.execute(
            "INSERT INTO records (tbl, record_id, revision, deleted, fields, meta, conflicts)
             SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bool[],
                                  $5::text[], $6::text[], $7::text[])
             ON CONFLICT (tbl, record_id) DO UPDATE SET revision = excluded.revision,
               deleted = excluded.deleted, fields = excluded.fields, meta = excluded.meta,
               conflicts = excluded.conflicts",
            &[&t, &r, &rev, &del, &f, &m, &c],
        )
        .await?;
    }
    if !out.seen.is_empty() {
        let ids: Vec<String> = out.seen.iter().map(|s| s.0.to_string()).collect();
        let revs: Vec<i64> = out.seen.iter().map(|s| s.1).collect();
        let statuses: Vec<&str> = out.seen.iter().map(|s| status_str(s.2)).collect();
        let device_text = device.to_string();
        tx.execute(
            "INSERT INTO changes_seen (change_id, device_id, revision, status)
             SELECT id, $2, rev, st FROM unnest($1::text[], $3::bigint[], $4::text[])
               AS s(id, rev, st)",
            &[&ids, &device_text, &revs, &statuses],
        )
        .await?;
    }
    tx.execute(
        "UPDATE counters SET value = $1 WHERE name = 'seq'",
        &[&out.last_seq],
    )
    .await?;
    tx.commit().await?;
    Ok(out.acks)
}

impl Storage for PgStorage {
    fn create_enrollment<'a>(
        &'a self,
        code_hash: &'a str,
        adviser: &'a str,
        expires_at: DateTime<Utc>,
    ) -> Fut<'a, ()> {
        Box::pin(async move {
            let mut p = self.client().await?;
            p.get()?
                .execute(
                    "INSERT INTO enrollment_codes (code_hash, adviser, expires_at)
                     VALUES ($1, $2, $3)",
                    &[&code_hash, &adviser, &ts(expires_at)],
                )
                .await?;
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
        Box::pin(async move {
            let mut p = self.client().await?;
            let tx = p.get()?.transaction().await?;
            let Some(row) = tx
                .query_opt(
                    "SELECT adviser, expires_at FROM enrollment_codes
                     WHERE code_hash = $1 AND used_at IS NULL FOR UPDATE",
                    &[&code_hash],
                )
                .await?
            else {
                return Ok(None);
            };
            let adviser: String = row.try_get(0)?;
            let expires_at: String = row.try_get(1)?;
            if parse_ts(&expires_at)? < now {
                return Ok(None);
            }
            let id = device.id.to_string();
            tx.execute(
                "UPDATE enrollment_codes SET used_at = $2, device_id = $3 WHERE code_hash = $1",
                &[&code_hash, &ts(now), &id],
            )
            .await?;
            // The counter's row lock orders concurrent enrollments.
            let n: i64 = tx
                .query_one(
                    "UPDATE counters SET value = value + 1 WHERE name = 'device_code'
                     RETURNING value",
                    &[],
                )
                .await?
                .try_get(0)?;
            let device_code = preau_protocol::device_code(u64::try_from(n).unwrap_or(0));
            tx.execute(
                "INSERT INTO devices (id, adviser, name, token_hash, enrolled_at, device_code)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    &id,
                    &adviser,
                    &device.name,
                    &token_hash,
                    &ts(device.enrolled_at),
                    &device_code,
                ],
            )
            .await?;
            tx.commit().await?;
            Ok(Some(Enrolled {
                adviser,
                device_code,
            }))
        })
    }

    fn device_by_token<'a>(&'a self, token_hash: &'a str) -> Fut<'a, Option<Device>> {
        Box::pin(async move {
            let mut p = self.client().await?;
            p.get()?
                .query_opt(
                    &format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE token_hash = $1"),
                    &[&token_hash],
                )
                .await?
                .as_ref()
                .map(to_device)
                .transpose()
        })
    }

    fn devices(&self) -> Fut<'_, Vec<Device>> {
        Box::pin(async move {
            let mut p = self.client().await?;
            p.get()?
                .query(
                    &format!("SELECT {DEVICE_COLUMNS} FROM devices ORDER BY enrolled_at, id"),
                    &[],
                )
                .await?
                .iter()
                .map(to_device)
                .collect()
        })
    }

    fn revoke(&self, id: Uuid, now: DateTime<Utc>) -> Fut<'_, bool> {
        Box::pin(async move {
            let mut p = self.client().await?;
            let c = p.get()?;
            let id = id.to_string();
            let exists = c
                .query_opt("SELECT 1 FROM devices WHERE id = $1", &[&id])
                .await?
                .is_some();
            c.execute(
                "UPDATE devices SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
                &[&id, &ts(now)],
            )
            .await?;
            Ok(exists)
        })
    }

    fn push<'a>(&'a self, device: Uuid, changes: &'a [Change]) -> Fut<'a, Vec<Ack>> {
        Box::pin(async move {
            let mut p = self.client().await?;
            push_tx(p.get()?, device, changes).await
        })
    }

    fn pull(&self, cursor: i64, limit: u32) -> Fut<'_, Page> {
        Box::pin(async move {
            let mut p = self.client().await?;
            let rows = p
                .get()?
                .query(
                    "SELECT tbl, record_id, revision, deleted, fields, conflicts
                     FROM records WHERE revision > $1 ORDER BY revision LIMIT $2",
                    &[&cursor, &(i64::from(limit) + 1)],
                )
                .await?;
            let more = rows.len() > limit as usize;
            let mut records = Vec::with_capacity(rows.len());
            for row in rows.iter().take(limit as usize) {
                let f: &str = row.try_get(4)?;
                let c: &str = row.try_get(5)?;
                records.push(merge::remote_from_columns(
                    row.try_get(0)?,
                    row.try_get(1)?,
                    row.try_get(2)?,
                    row.try_get(3)?,
                    f,
                    c,
                )?);
            }
            let next_cursor = records.last().map_or(cursor, |r| r.revision);
            let remaining = if more {
                let n: i64 = p
                    .get()?
                    .query_one(
                        "SELECT count(*) FROM records WHERE revision > $1",
                        &[&next_cursor],
                    )
                    .await?
                    .try_get(0)?;
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
        })
    }

    fn publish_reference<'a>(&'a self, kind: &'a str, content: &'a str) -> Fut<'a, i64> {
        Box::pin(async move {
            let mut p = self.client().await?;
            let tx = p.get()?.transaction().await?;
            tx.batch_execute("LOCK TABLE reference_data IN EXCLUSIVE MODE")
                .await?;
            let version: i64 = tx
                .query_one(
                    "SELECT coalesce(max(version), 0) + 1 FROM reference_data WHERE kind = $1",
                    &[&kind],
                )
                .await?
                .try_get(0)?;
            tx.execute(
                "INSERT INTO reference_data (kind, version, content, published_at)
                 VALUES ($1, $2, $3, $4)",
                &[&kind, &version, &content, &ts(Utc::now())],
            )
            .await?;
            tx.commit().await?;
            Ok(version)
        })
    }

    fn reference_versions(&self) -> Fut<'_, Vec<ReferenceVersion>> {
        Box::pin(async move {
            let mut p = self.client().await?;
            p.get()?
                .query(
                    "SELECT kind, max(version) FROM reference_data GROUP BY kind ORDER BY kind",
                    &[],
                )
                .await?
                .iter()
                .map(|r| {
                    Ok(ReferenceVersion {
                        kind: r.try_get(0)?,
                        version: r.try_get(1)?,
                    })
                })
                .collect()
        })
    }

    fn reference<'a>(&'a self, kind: &'a str) -> Fut<'a, Option<(i64, String)>> {
        Box::pin(async move {
            let mut p = self.client().await?;
            let row = p
                .get()?
                .query_opt(
                    "SELECT version, content FROM reference_data WHERE kind = $1
                     ORDER BY version DESC LIMIT 1",
                    &[&kind],
                )
                .await?;
            Ok(match row {
                Some(r) => Some((r.try_get(0)?, r.try_get(1)?)),
                None => None,
            })
        })
    }

    fn touch_device<'a>(
        &'a self,
        id: Uuid,
        at: DateTime<Utc>,
        ip: Option<&'a str>,
        app_version: Option<&'a str>,
    ) -> Fut<'a, ()> {
        Box::pin(async move {
            let mut p = self.client().await?;
            p.get()?
                .execute(
                    "UPDATE devices SET last_seen_at = $2, last_ip = $3, app_version = $4
                     WHERE id = $1",
                    &[&id.to_string(), &ts(at), &ip, &app_version],
                )
                .await?;
            Ok(())
        })
    }
}
