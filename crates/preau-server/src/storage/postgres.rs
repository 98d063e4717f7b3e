//! The PostgreSQL backend (tokio-postgres, a small connection pool). A push is a handful
//! of set-based statements whatever its size (arrays through `unnest`).

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use preau_protocol::{Ack, AckStatus, Change, ReferenceVersion, MAX_PAGE_BYTES};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_postgres::Client;
use uuid::Uuid;

use super::{
    campaign, parse_ts, staff_user, ts, Campaign, Device, Enrolled, Fut, Page, Storage,
    StoredChange, StoredPdf, StoredRecord, DEVICE_COLUMNS, STAFF_COLUMNS,
};
use crate::authz::{self, Principal};
use crate::error::{Error, Result};
use crate::merge::{self, state_from_columns, status_str};
use crate::staff::{AuditEntry, StaffUser};

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
    // Ownership and history (issue 12): see the SQLite backend's third migration.
    r#"
ALTER TABLE records ADD COLUMN owner TEXT;
ALTER TABLE records ADD COLUMN root TEXT;
CREATE INDEX records_by_root ON records (root);
ALTER TABLE changes_seen ADD COLUMN tbl TEXT;
ALTER TABLE changes_seen ADD COLUMN record_id TEXT;
ALTER TABLE changes_seen ADD COLUMN at TEXT;
ALTER TABLE changes_seen ADD COLUMN before_deleted BOOLEAN;
ALTER TABLE changes_seen ADD COLUMN before_fields TEXT;
CREATE TABLE device_codes (
    code      TEXT PRIMARY KEY,
    device_id TEXT NOT NULL
);
INSERT INTO device_codes (code, device_id)
    SELECT device_code, id FROM devices WHERE device_code IS NOT NULL;
INSERT INTO counters (name, value) VALUES ('owners_backfilled', 0);
"#,
    // Privacy (RGPD): see the SQLite backend's fourth migration.
    r#"
CREATE INDEX changes_seen_by_record ON changes_seen (tbl, record_id);
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
    // See the SQLite backend's sixth migration. Records by visit keep their index here:
    // on a production-sized PostgreSQL a hand-over should not read every record.
    r#"
DROP INDEX changes_seen_by_record;
CREATE INDEX changes_seen_participants ON changes_seen (record_id)
    WHERE tbl = 'participants';
"#,
    // The back-office (issue 13): see the SQLite backend's seventh migration.
    r#"
CREATE TABLE staff_users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL,
    password_hash TEXT,
    created_at    TEXT NOT NULL,
    disabled_at   TEXT
);
CREATE TABLE staff_password_links (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX staff_password_links_by_user ON staff_password_links (user_id);
CREATE TABLE staff_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX staff_sessions_by_user ON staff_sessions (user_id);
CREATE TABLE audit_log (
    id     BIGSERIAL PRIMARY KEY,
    at     TEXT NOT NULL,
    actor  TEXT,
    action TEXT NOT NULL,
    detail TEXT NOT NULL,
    ip     TEXT
);
CREATE TABLE campaigns (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    cutoff            TEXT NOT NULL,
    catalogue_version TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    created_by        TEXT NOT NULL
);
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
);
"#,
    MIGRATION_9_PENDING_CHANGES,
];

/// Writes an audit entry (alone, or in the transaction of what it records).
async fn insert_audit(c: &impl tokio_postgres::GenericClient, e: &AuditEntry) -> Result<()> {
    c.execute(
        "INSERT INTO audit_log (at, actor, action, detail, ip) VALUES ($1, $2, $3, $4, $5)",
        &[&ts(e.at), &e.actor, &e.action, &e.detail, &e.ip],
    )
    .await?;
    Ok(())
}

/// The changes each laptop said it still had to send at its last use (issue 13, Postes),
/// and when: `NULL` for a laptop that never said.
const MIGRATION_9_PENDING_CHANGES: &str = r#"
ALTER TABLE devices ADD COLUMN pending_changes BIGINT;
ALTER TABLE devices ADD COLUMN pending_at TEXT;
"#;

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
        backfill_owners(&tx).await?;
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
    let pending_at: Option<String> = r.try_get(9)?;
    Ok(Device {
        id: Uuid::parse_str(&id).map_err(|e| Error::Storage(format!("device id: {e}")))?,
        adviser: r.try_get(1)?,
        name: r.try_get(2)?,
        enrolled_at: parse_ts(&enrolled_at)?,
        revoked_at: revoked_at.as_deref().map(parse_ts).transpose()?,
        last_seen_at: last_seen_at.as_deref().map(parse_ts).transpose()?,
        last_ip: r.try_get(6)?,
        app_version: r.try_get(7)?,
        pending_changes: super::pending_count(r.try_get(8)?)?,
        pending_at: pending_at.as_deref().map(parse_ts).transpose()?,
    })
}

type Tx<'a> = tokio_postgres::Transaction<'a>;

fn to_staff(r: &tokio_postgres::Row) -> Result<(StaffUser, Option<String>)> {
    let id: String = r.try_get(0)?;
    let role: String = r.try_get(3)?;
    let created_at: String = r.try_get(4)?;
    let disabled_at: Option<String> = r.try_get(5)?;
    staff_user(
        &id,
        r.try_get(1)?,
        r.try_get(2)?,
        &role,
        &created_at,
        disabled_at.as_deref(),
        r.try_get(6)?,
    )
}

/// Fills in the owners of records stored before ownership existed (once).
async fn backfill_owners(tx: &Tx<'_>) -> Result<()> {
    let done: i64 = tx
        .query_one(
            "SELECT value FROM counters WHERE name = 'owners_backfilled'",
            &[],
        )
        .await?
        .try_get(0)?;
    if done != 0 {
        return Ok(());
    }
    let mut advisers = HashMap::new();
    for row in tx.query("SELECT id, adviser FROM devices", &[]).await? {
        let id: String = row.try_get(0)?;
        if let Ok(id) = Uuid::parse_str(&id) {
            advisers.insert(id, row.try_get::<_, String>(1)?);
        }
    }
    let mut records = Vec::new();
    for row in tx
        .query("SELECT tbl, record_id, fields, meta FROM records", &[])
        .await?
    {
        let meta: merge::StoredMeta = serde_json::from_str(row.try_get(3)?)?;
        records.push(authz::Unplaced {
            table: row.try_get(0)?,
            record_id: row.try_get(1)?,
            fields: serde_json::from_str(row.try_get(2)?)?,
            first_device: merge::first_device(&meta),
        });
    }
    let found = authz::backfill(&records, &|d| advisers.get(&d).cloned());
    let t: Vec<&str> = records.iter().map(|r| r.table.as_str()).collect();
    let r: Vec<&str> = records.iter().map(|r| r.record_id.as_str()).collect();
    let o: Vec<Option<&str>> = found.placed.iter().map(|p| p.owner.as_deref()).collect();
    let v: Vec<Option<&str>> = found.placed.iter().map(|p| p.root.as_deref()).collect();
    tx.execute(
        "UPDATE records SET owner = u.owner, root = u.root
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS u(tbl, rid, owner, root)
         WHERE records.tbl = u.tbl AND records.record_id = u.rid",
        &[&t, &r, &o, &v],
    )
    .await?;
    for (code, device) in &found.codes {
        tx.execute(
            "INSERT INTO device_codes (code, device_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[code, &device.to_string()],
        )
        .await?;
    }
    tx.execute(
        "UPDATE counters SET value = 1 WHERE name = 'owners_backfilled'",
        &[],
    )
    .await?;
    Ok(())
}

fn state_from_row(row: &tokio_postgres::Row, at: usize) -> Result<merge::RecordState> {
    let f: &str = row.try_get(at + 2)?;
    let m: &str = row.try_get(at + 3)?;
    let c: &str = row.try_get(at + 4)?;
    Ok(state_from_columns(
        row.try_get(at)?,
        row.try_get(at + 1)?,
        f,
        m,
        c,
        row.try_get(at + 5)?,
        row.try_get(at + 6)?,
    )?)
}

/// Writes records' states in one statement.
async fn save_records(
    tx: &Tx<'_>,
    records: &merge::FastMap<(String, String), merge::RecordState>,
) -> Result<()> {
    let n = records.len();
    if n == 0 {
        return Ok(());
    }
    let (mut t, mut r, mut rev, mut del) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut f, mut m, mut c, mut o, mut v) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for ((tbl, id), st) in records {
        t.push(tbl.as_str());
        r.push(id.as_str());
        rev.push(st.revision);
        del.push(st.deleted);
        f.push(serde_json::to_string(&st.fields)?);
        m.push(serde_json::to_string(&st.stored_meta())?);
        c.push(serde_json::to_string(&st.conflicts)?);
        o.push(st.owner.as_deref());
        v.push(st.root.as_deref());
    }
    tx.execute(
        "INSERT INTO records (tbl, record_id, revision, deleted, fields, meta, conflicts, owner, root)
         SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bool[],
                              $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
         ON CONFLICT (tbl, record_id) DO UPDATE SET revision = excluded.revision,
           deleted = excluded.deleted, fields = excluded.fields, meta = excluded.meta,
           conflicts = excluded.conflicts, owner = excluded.owner, root = excluded.root",
        &[&t, &r, &rev, &del, &f, &m, &c, &o, &v],
    )
    .await?;
    Ok(())
}

const RECORD_COLUMNS: &str = "revision, deleted, fields, meta, conflicts, owner, root";

async fn load_record(tx: &Tx<'_>, tbl: &str, id: &str) -> Result<Option<merge::RecordState>> {
    tx.query_opt(
        &format!("SELECT {RECORD_COLUMNS} FROM records WHERE tbl = $1 AND record_id = $2"),
        &[&tbl, &id],
    )
    .await?
    .map(|row| state_from_row(&row, 0))
    .transpose()
}

async fn next_seq(tx: &Tx<'_>) -> Result<i64> {
    Ok(tx
        .query_one(
            "UPDATE counters SET value = value + 1 WHERE name = 'seq' RETURNING value",
            &[],
        )
        .await?
        .try_get(0)?)
}

async fn push_tx(client: &mut Client, who: &Principal, changes: &mut [Change]) -> Result<Vec<Ack>> {
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
    let mut already_seen = merge::FastMap::default();
    for row in tx
        .query(
            "SELECT change_id, revision FROM changes_seen
             WHERE change_id = ANY($1) AND status <> 'refused'",
            &[&ids],
        )
        .await?
    {
        let id: String = row.try_get(0)?;
        if let Ok(id) = Uuid::parse_str(&id) {
            already_seen.insert(id, row.try_get::<_, i64>(1)?);
        }
    }
    // The batch's records and the parents their changes name, read in one statement.
    let mut tbls: Vec<&str> = Vec::with_capacity(changes.len());
    let mut rids: Vec<&str> = Vec::with_capacity(changes.len());
    for c in changes.iter() {
        tbls.push(c.table.as_str());
        rids.push(c.record_id.as_str());
        if let Some((pt, pid)) = preau_protocol::schema::table(&c.table)
            .and_then(|t| preau_protocol::schema::parent_of(t, &c.record_id, &c.fields))
        {
            tbls.push(pt);
            rids.push(pid);
        }
    }
    let mut loaded = HashMap::new();
    for row in tx
        .query(
            &format!(
                "SELECT r.tbl, r.record_id, {}
                 FROM records r
                 JOIN (SELECT DISTINCT * FROM unnest($1::text[], $2::text[]) AS k(tbl, rid)) k
                   ON r.tbl = k.tbl AND r.record_id = k.rid",
                RECORD_COLUMNS
                    .split(", ")
                    .map(|c| format!("r.{c}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            &[&tbls, &rids],
        )
        .await?
    {
        let key: (String, String) = (row.try_get(0)?, row.try_get(1)?);
        loaded.insert(key, state_from_row(&row, 2)?);
    }
    let mut codes = HashMap::new();
    for code in authz::proposal_codes_named(changes) {
        if let Some(row) = tx
            .query_opt(
                "SELECT device_id FROM device_codes WHERE code = $1",
                &[&code],
            )
            .await?
        {
            if let Ok(d) = Uuid::parse_str(row.try_get(0)?) {
                codes.insert(code.to_string(), d);
            }
        }
    }
    let out = merge::apply_batch(
        changes,
        who,
        seq,
        &already_seen,
        &|c: &str| codes.get(c).copied(),
        |t, r| Ok::<_, Error>(loaded.get(&(t.to_string(), r.to_string())).cloned()),
    )?;
    save_records(&tx, &out.records).await?;
    if !out.seen.is_empty() {
        let ids: Vec<String> = out.seen.iter().map(|s| s.change_id.to_string()).collect();
        let revs: Vec<i64> = out.seen.iter().map(|s| s.revision).collect();
        let statuses: Vec<&str> = out.seen.iter().map(|s| status_str(s.status)).collect();
        let tbl: Vec<&str> = out.seen.iter().map(|s| s.table.as_str()).collect();
        let rid: Vec<&str> = out.seen.iter().map(|s| s.record_id.as_str()).collect();
        let bdel: Vec<Option<bool>> = out
            .seen
            .iter()
            .map(|s| s.before.as_ref().map(|b| b.deleted))
            .collect();
        let bf: Vec<Option<&str>> = out
            .seen
            .iter()
            .map(|s| s.before.as_ref().map(|b| b.fields.as_str()))
            .collect();
        let device_text = who.device.to_string();
        let now = ts(Utc::now());
        tx.execute(
            "INSERT INTO changes_seen (change_id, device_id, revision, status, tbl, record_id,
               at, before_deleted, before_fields)
             SELECT id, $2, rev, st, tbl, rid, $5, bdel, bf
             FROM unnest($1::text[], $3::bigint[], $4::text[], $6::text[], $7::text[],
                         $8::bool[], $9::text[]) AS s(id, rev, st, tbl, rid, bdel, bf)
             ON CONFLICT (change_id) DO UPDATE SET revision = excluded.revision,
               status = excluded.status, at = excluded.at,
               before_deleted = excluded.before_deleted, before_fields = excluded.before_fields",
            &[
                &ids,
                &device_text,
                &revs,
                &statuses,
                &now,
                &tbl,
                &rid,
                &bdel,
                &bf,
            ],
        )
        .await?;
        for code in &out.claimed_codes {
            tx.execute(
                "INSERT INTO device_codes (code, device_id) VALUES ($1, $2)",
                &[code, &device_text],
            )
            .await?;
        }
    }
    tx.execute(
        "UPDATE counters SET value = $1 WHERE name = 'seq'",
        &[&out.last_seq],
    )
    .await?;
    tx.commit().await?;
    for s in out.seen.iter().filter(|s| s.status == AckStatus::Refused) {
        tracing::warn!(device = %who.device, adviser = %who.adviser, table = %s.table,
            record = %s.record_id, "change refused");
    }
    Ok(out.acks)
}

/// `revert_device`, in one transaction.
async fn revert_tx(client: &mut Client, device: Uuid, since: &str) -> Result<u64> {
    let tx = client.transaction().await?;
    tx.query_one(
        "SELECT value FROM counters WHERE name = 'seq' FOR UPDATE",
        &[],
    )
    .await?;
    let rows = tx
        .query(
            "SELECT DISTINCT ON (tbl, record_id) tbl, record_id, before_deleted, before_fields
             FROM changes_seen
             WHERE device_id = $1 AND at >= $2 AND revision > 0 AND tbl IS NOT NULL
             ORDER BY tbl, record_id, revision",
            &[&device.to_string(), &since],
        )
        .await?;
    let mut restored = std::collections::HashSet::new();
    let mut roots = std::collections::HashSet::new();
    for row in rows {
        let (tbl, id): (String, String) = (row.try_get(0)?, row.try_get(1)?);
        let before = match (
            row.try_get::<_, Option<bool>>(2)?,
            row.try_get::<_, Option<String>>(3)?,
        ) {
            (Some(deleted), Some(fields)) => Some(merge::Before { deleted, fields }),
            _ => None,
        };
        let Some(current) = load_record(&tx, &tbl, &id).await? else {
            continue;
        };
        let st = merge::restore(current, before.as_ref(), next_seq(&tx).await?);
        if !st.deleted {
            if let Some(root) = &st.root {
                roots.insert(root.clone());
            }
        }
        let mut one = merge::FastMap::default();
        one.insert((tbl.clone(), id.clone()), st);
        save_records(&tx, &one).await?;
        restored.insert((tbl, id));
    }
    // Laptops removed what hung from a visit deleted there: send it again.
    for root in &roots {
        let keys = tx
            .query(
                "SELECT tbl, record_id FROM records WHERE root = $1 AND NOT deleted
                 ORDER BY revision",
                &[root],
            )
            .await?;
        for key in keys {
            let key: (String, String) = (key.try_get(0)?, key.try_get(1)?);
            if restored.contains(&key) {
                continue;
            }
            let seq = next_seq(&tx).await?;
            tx.execute(
                "UPDATE records SET revision = $3 WHERE tbl = $1 AND record_id = $2",
                &[&key.0, &key.1, &seq],
            )
            .await?;
        }
    }
    tx.commit().await?;
    tracing::info!(device = %device, restored = restored.len(), "device changes reverted");
    Ok(u64::try_from(restored.len()).unwrap_or(u64::MAX))
}

/// `erase_participants`, in one transaction: (records changed, history entries cleaned).
async fn erase_tx(client: &mut Client, record_ids: &[String]) -> Result<(u64, u64)> {
    let tx = client.transaction().await?;
    // Server changes take sequence numbers in order with pushes (see `push_tx`).
    tx.query_one(
        "SELECT value FROM counters WHERE name = 'seq' FOR UPDATE",
        &[],
    )
    .await?;
    let (mut changed, mut cleaned) = (0u64, 0u64);
    for id in record_ids {
        let Some(current) = load_record(&tx, "participants", id).await? else {
            continue;
        };
        if !merge::is_erased(&current) {
            let st = merge::erased(current, next_seq(&tx).await?);
            let mut one = merge::FastMap::default();
            one.insert(("participants".to_string(), id.clone()), st);
            save_records(&tx, &one).await?;
            changed += 1;
        }
        let history = tx
            .query(
                "SELECT change_id, before_fields FROM changes_seen
                 WHERE tbl = 'participants' AND record_id = $1 AND before_fields IS NOT NULL",
                &[id],
            )
            .await?;
        for row in history {
            let (change_id, before): (String, String) = (row.try_get(0)?, row.try_get(1)?);
            if let Some(clean) = merge::erased_history(&before) {
                tx.execute(
                    "UPDATE changes_seen SET before_fields = $2 WHERE change_id = $1",
                    &[&change_id, &clean],
                )
                .await?;
                cleaned += 1;
            }
        }
    }
    tx.commit().await?;
    Ok((changed, cleaned))
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
            tx.execute(
                "INSERT INTO device_codes (code, device_id) VALUES ($1, $2)",
                &[&device_code, &id],
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

    fn push<'a>(&'a self, who: &'a Principal, mut changes: Vec<Change>) -> Fut<'a, Vec<Ack>> {
        Box::pin(async move {
            let mut p = self.client().await?;
            push_tx(p.get()?, who, &mut changes).await
        })
    }

    fn pull(&self, cursor: i64, limit: u32) -> Fut<'_, Page> {
        Box::pin(async move {
            let mut p = self.client().await?;
            // Sizes first (octet_length reads a stored value's length without
            // decompressing it), so the page is cut at MAX_PAGE_BYTES before any large
            // value is read.
            let sizes = p
                .get()?
                .query(
                    "SELECT revision, octet_length(fields) + octet_length(conflicts)
                     FROM records WHERE revision > $1 ORDER BY revision LIMIT $2",
                    &[&cursor, &(i64::from(limit) + 1)],
                )
                .await?;
            let mut last = cursor;
            let mut bytes = 0usize;
            let mut taken = 0usize;
            for row in sizes.iter().take(limit as usize) {
                if bytes >= MAX_PAGE_BYTES && taken > 0 {
                    break;
                }
                let size: i32 = row.try_get::<_, Option<i32>>(1)?.unwrap_or(0);
                bytes += usize::try_from(size).unwrap_or(0);
                last = row.try_get(0)?;
                taken += 1;
            }
            let more = sizes.len() > taken;
            let rows = p
                .get()?
                .query(
                    "SELECT tbl, record_id, revision, deleted, fields, conflicts, owner
                     FROM records WHERE revision > $1 AND revision <= $2 ORDER BY revision",
                    &[&cursor, &last],
                )
                .await?;
            let mut records = Vec::with_capacity(rows.len());
            for row in &rows {
                let f: &str = row.try_get(4)?;
                let c: &str = row.try_get(5)?;
                records.push(merge::remote_from_columns(
                    row.try_get(0)?,
                    row.try_get(1)?,
                    row.try_get(2)?,
                    row.try_get(3)?,
                    f,
                    c,
                    row.try_get(6)?,
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

    fn revert_device(&self, device: Uuid, since: DateTime<Utc>) -> Fut<'_, u64> {
        Box::pin(async move {
            let mut p = self.client().await?;
            revert_tx(p.get()?, device, &ts(since)).await
        })
    }

    fn purge_record<'a>(&'a self, table: &'a str, record_id: &'a str) -> Fut<'a, bool> {
        Box::pin(async move {
            let mut p = self.client().await?;
            let tx = p.get()?.transaction().await?;
            tx.query_one(
                "SELECT value FROM counters WHERE name = 'seq' FOR UPDATE",
                &[],
            )
            .await?;
            let Some(current) = load_record(&tx, table, record_id).await? else {
                return Ok(false);
            };
            let st = merge::purged(current, next_seq(&tx).await?);
            let mut one = merge::FastMap::default();
            one.insert((table.to_string(), record_id.to_string()), st);
            save_records(&tx, &one).await?;
            tx.commit().await?;
            tracing::info!(table = %table, record = %record_id, "record purged");
            Ok(true)
        })
    }

    fn hand_over<'a>(&'a self, visit_id: &'a str, adviser: &'a str) -> Fut<'a, u64> {
        Box::pin(async move {
            let mut p = self.client().await?;
            let tx = p.get()?.transaction().await?;
            // Serialised with pushes (the row lock on the counter), like every revision.
            tx.query_one(
                "SELECT value FROM counters WHERE name = 'seq' FOR UPDATE",
                &[],
            )
            .await?;
            let n = tx
                .execute(
                    "UPDATE records SET owner = $2 WHERE root = $1",
                    &[&visit_id, &adviser],
                )
                .await?;
            if n > 0 {
                // Laptops learn a visit's owner from the visit record they pull: it is
                // sent again (a new revision), else they would never see the hand-over.
                let seq = next_seq(&tx).await?;
                tx.execute(
                    "UPDATE records SET revision = $2 WHERE tbl = 'visits' AND record_id = $1",
                    &[&visit_id, &seq],
                )
                .await?;
            }
            tx.commit().await?;
            tracing::info!(visit = %visit_id, adviser = %adviser, records = n, "visit handed over");
            Ok(n)
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

    fn participants(&self) -> Fut<'_, Vec<super::ParticipantRecord>> {
        Box::pin(async move {
            let mut p = self.client().await?;
            let client = p.get()?;
            let rows = client
                .query(
                    "SELECT record_id, deleted, fields, conflicts, owner, root FROM records
                     WHERE tbl = 'participants' ORDER BY record_id",
                    &[],
                )
                .await?
                .iter()
                .map(|r| {
                    Ok((
                        r.try_get(0)?,
                        r.try_get(1)?,
                        r.try_get(2)?,
                        r.try_get(3)?,
                        r.try_get(4)?,
                        r.try_get(5)?,
                    ))
                })
                .collect::<Result<Vec<_>>>()?;
            let visits = client
                .query(
                    "SELECT record_id, fields FROM records WHERE tbl = 'visits'",
                    &[],
                )
                .await?
                .iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect::<Result<Vec<_>>>()?;
            super::join_participants(rows, visits)
        })
    }

    fn erase_participants(&self, record_ids: Vec<String>) -> Fut<'_, u64> {
        Box::pin(async move {
            let mut p = self.client().await?;
            let (changed, cleaned) = erase_tx(p.get()?, &record_ids).await?;
            // Dead row versions keep the old values until vacuumed. Not fatal: autovacuum
            // gets there later.
            if let Err(e) = p.get()?.batch_execute("VACUUM records, changes_seen").await {
                tracing::warn!(error = %e, "vacuum after erasure failed");
            }
            tracing::info!(records = changed, history = cleaned, "personal data erased");
            Ok(changed)
        })
    }

    fn participant_history(&self) -> Fut<'_, Vec<super::HistoryEntry>> {
        Box::pin(async move {
            let mut p = self.client().await?;
            p.get()?
                .query(
                    "SELECT change_id, record_id, at, before_fields FROM changes_seen
                     WHERE tbl = 'participants' AND before_fields IS NOT NULL
                     ORDER BY record_id, revision",
                    &[],
                )
                .await?
                .iter()
                .map(|r| {
                    Ok(super::HistoryEntry {
                        change_id: r.try_get(0)?,
                        record_id: r.try_get(1)?,
                        at: r.try_get(2)?,
                        before_fields: r.try_get(3)?,
                    })
                })
                .collect()
        })
    }

    fn erase_history(&self, change_ids: Vec<String>) -> Fut<'_, u64> {
        Box::pin(async move {
            let mut p = self.client().await?;
            let tx = p.get()?.transaction().await?;
            let mut cleaned = 0u64;
            for id in &change_ids {
                let before: Option<String> = match tx
                    .query_opt(
                        "SELECT before_fields FROM changes_seen WHERE change_id = $1",
                        &[id],
                    )
                    .await?
                {
                    Some(row) => row.try_get(0)?,
                    None => None,
                };
                if let Some(clean) = before.as_deref().and_then(merge::erased_history) {
                    tx.execute(
                        "UPDATE changes_seen SET before_fields = $2 WHERE change_id = $1",
                        &[id, &clean],
                    )
                    .await?;
                    cleaned += 1;
                }
            }
            tx.commit().await?;
            if let Err(e) = p.get()?.batch_execute("VACUUM changes_seen").await {
                tracing::warn!(error = %e, "vacuum after erasure failed");
            }
            tracing::info!(history = cleaned, "personal data erased from history");
            Ok(cleaned)
        })
    }

    fn proposal_snapshots(&self) -> Fut<'_, Vec<super::ProposalSnapshot>> {
        Box::pin(async move {
            let mut p = self.client().await?;
            // `json`, not `jsonb`: parsed once for two keys, the PDF not rebuilt.
            p.get()?
                .query(
                    "SELECT record_id, deleted, root, fields::json ->> 'number',
                       fields::json ->> 'snapshot'
                     FROM records WHERE tbl = 'proposals' ORDER BY record_id",
                    &[],
                )
                .await?
                .iter()
                .map(|r| {
                    Ok(super::ProposalSnapshot {
                        record_id: r.try_get(0)?,
                        deleted: r.try_get(1)?,
                        visit_id: r.try_get(2)?,
                        number: r.try_get(3)?,
                        snapshot: r.try_get(4)?,
                    })
                })
                .collect()
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
        Box::pin(async move {
            let mut p = self.client().await?;
            let pending = pending.map(i64::from);
            p.get()?
                .execute(
                    "UPDATE devices SET last_seen_at = $2, last_ip = $3, app_version = $4,
                         pending_changes = coalesce($5, pending_changes),
                         pending_at = CASE WHEN $5::BIGINT IS NULL THEN pending_at ELSE $2 END
                     WHERE id = $1",
                    &[&id.to_string(), &ts(at), &ip, &app_version, &pending],
                )
                .await?;
            Ok(())
        })
    }

    fn add_staff_user<'a>(&'a self, user: &'a StaffUser) -> Fut<'a, bool> {
        Box::pin(async move {
            let mut p = self.client().await?;
            let n = p
                .get()?
                .execute(
                    "INSERT INTO staff_users (id, email, name, role, created_at)
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (email) DO NOTHING",
                    &[
                        &user.id.to_string(),
                        &user.email,
                        &user.name,
                        &user.role.as_str(),
                        &ts(user.created_at),
                    ],
                )
                .await?;
            Ok(n == 1)
        })
    }

    fn staff_users(&self) -> Fut<'_, Vec<StaffUser>> {
        Box::pin(async move {
            let mut p = self.client().await?;
            p.get()?
                .query(
                    &format!("SELECT {STAFF_COLUMNS} FROM staff_users ORDER BY email"),
                    &[],
                )
                .await?
                .iter()
                .map(|r| to_staff(r).map(|(u, _)| u))
                .collect()
        })
    }

    fn staff_user_by_email<'a>(
        &'a self,
        email: &'a str,
    ) -> Fut<'a, Option<(StaffUser, Option<String>)>> {
        Box::pin(async move {
            let mut p = self.client().await?;
            p.get()?
                .query_opt(
                    &format!("SELECT {STAFF_COLUMNS} FROM staff_users WHERE email = $1"),
                    &[&email],
                )
                .await?
                .as_ref()
                .map(to_staff)
                .transpose()
        })
    }

    fn disable_staff_user<'a>(&'a self, email: &'a str, now: DateTime<Utc>) -> Fut<'a, bool> {
        Box::pin(async move {
            let mut p = self.client().await?;
            let tx = p.get()?.transaction().await?;
            let Some(row) = tx
                .query_opt(
                    "UPDATE staff_users SET disabled_at = coalesce(disabled_at, $2)
                     WHERE email = $1 RETURNING id",
                    &[&email, &ts(now)],
                )
                .await?
            else {
                return Ok(false);
            };
            let id: String = row.try_get(0)?;
            tx.execute("DELETE FROM staff_sessions WHERE user_id = $1", &[&id])
                .await?;
            tx.execute(
                "DELETE FROM staff_password_links WHERE user_id = $1",
                &[&id],
            )
            .await?;
            tx.commit().await?;
            Ok(true)
        })
    }

    fn create_password_link<'a>(
        &'a self,
        token_hash: &'a str,
        user: Uuid,
        expires_at: DateTime<Utc>,
    ) -> Fut<'a, ()> {
        Box::pin(async move {
            let mut p = self.client().await?;
            p.get()?
                .execute(
                    "INSERT INTO staff_password_links (token_hash, user_id, expires_at)
                     VALUES ($1, $2, $3)",
                    &[&token_hash, &user.to_string(), &ts(expires_at)],
                )
                .await?;
            Ok(())
        })
    }

    fn use_password_link<'a>(
        &'a self,
        token_hash: &'a str,
        password_hash: &'a str,
        now: DateTime<Utc>,
    ) -> Fut<'a, Option<StaffUser>> {
        Box::pin(async move {
            let mut p = self.client().await?;
            let tx = p.get()?.transaction().await?;
            let Some(row) = tx
                .query_opt(
                    "DELETE FROM staff_password_links WHERE token_hash = $1
                     RETURNING user_id, expires_at",
                    &[&token_hash],
                )
                .await?
            else {
                return Ok(None);
            };
            let id: String = row.try_get(0)?;
            let expires_at: String = row.try_get(1)?;
            if parse_ts(&expires_at)? < now {
                // Used up all the same: an expired link is never good again.
                tx.commit().await?;
                return Ok(None);
            }
            let user = tx
                .query_opt(
                    &format!(
                        "UPDATE staff_users SET password_hash = $2
                         WHERE id = $1 AND disabled_at IS NULL RETURNING {STAFF_COLUMNS}"
                    ),
                    &[&id, &password_hash],
                )
                .await?
                .as_ref()
                .map(to_staff)
                .transpose()?
                .map(|(u, _)| u);
            if user.is_some() {
                tx.execute("DELETE FROM staff_sessions WHERE user_id = $1", &[&id])
                    .await?;
            }
            tx.commit().await?;
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
        Box::pin(async move {
            let mut p = self.client().await?;
            let c = p.get()?;
            // Expired sessions go when new ones come: the table stays small.
            c.execute(
                "DELETE FROM staff_sessions WHERE expires_at < $1",
                &[&ts(now)],
            )
            .await?;
            c.execute(
                "INSERT INTO staff_sessions (token_hash, user_id, created_at, expires_at)
                 VALUES ($1, $2, $3, $4)",
                &[&token_hash, &user.to_string(), &ts(now), &ts(expires_at)],
            )
            .await?;
            Ok(())
        })
    }

    fn staff_session<'a>(
        &'a self,
        token_hash: &'a str,
        now: DateTime<Utc>,
    ) -> Fut<'a, Option<StaffUser>> {
        Box::pin(async move {
            let columns = super::staff_columns_of("u");
            let mut p = self.client().await?;
            p.get()?
                .query_opt(
                    &format!(
                        "SELECT {columns} FROM staff_sessions s
                         JOIN staff_users u ON u.id = s.user_id
                         WHERE s.token_hash = $1 AND s.expires_at > $2
                           AND u.disabled_at IS NULL"
                    ),
                    &[&token_hash, &ts(now)],
                )
                .await?
                .as_ref()
                .map(|r| to_staff(r).map(|(u, _)| u))
                .transpose()
        })
    }

    fn end_staff_session<'a>(&'a self, token_hash: &'a str) -> Fut<'a, ()> {
        Box::pin(async move {
            let mut p = self.client().await?;
            p.get()?
                .execute(
                    "DELETE FROM staff_sessions WHERE token_hash = $1",
                    &[&token_hash],
                )
                .await?;
            Ok(())
        })
    }

    fn record_audit<'a>(&'a self, entry: &'a AuditEntry) -> Fut<'a, ()> {
        Box::pin(async move {
            let mut p = self.client().await?;
            insert_audit(p.get()?, entry).await
        })
    }

    fn audit_log(&self, limit: u32) -> Fut<'_, Vec<AuditEntry>> {
        Box::pin(async move {
            let mut p = self.client().await?;
            p.get()?
                .query(
                    "SELECT at, actor, action, detail, ip FROM audit_log
                     ORDER BY id DESC LIMIT $1",
                    &[&i64::from(limit)],
                )
                .await?
                .iter()
                .map(|r| {
                    let at: String = r.try_get(0)?;
                    Ok(AuditEntry {
                        at: parse_ts(&at)?,
                        actor: r.try_get(1)?,
                        action: r.try_get(2)?,
                        detail: r.try_get(3)?,
                        ip: r.try_get(4)?,
                    })
                })
                .collect()
        })
    }

    fn live_records<'a>(&'a self, table: &'a str) -> Fut<'a, Vec<StoredRecord>> {
        Box::pin(async move {
            let mut p = self.client().await?;
            // The PDF (up to megabytes of hex) stays in the database.
            let rows = p
                .get()?
                .query(
                    "SELECT record_id, CASE WHEN $1 = 'proposals'
                       THEN (fields::jsonb - 'pdf')::text ELSE fields END, owner, root
                     FROM records WHERE tbl = $1 AND NOT deleted ORDER BY record_id",
                    &[&table],
                )
                .await?
                .iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)))
                .collect::<Result<Vec<_>>>()?;
            super::stored_records(rows)
        })
    }

    fn proposal_pdf<'a>(&'a self, record_id: &'a str) -> Fut<'a, Option<StoredPdf>> {
        Box::pin(async move {
            let mut p = self.client().await?;
            let row = p
                .get()?
                .query_opt(
                    "SELECT fields::json ->> 'pdf', fields::json ->> 'pdf_sha256'
                     FROM records WHERE tbl = 'proposals' AND record_id = $1 AND NOT deleted",
                    &[&record_id],
                )
                .await?;
            let Some(row) = row else {
                return Ok(None);
            };
            let hex: Option<String> = row.try_get(0)?;
            let sha256: Option<String> = row.try_get(1)?;
            Ok(hex.map(|hex| StoredPdf { hex, sha256 }))
        })
    }

    fn add_campaign<'a>(&'a self, campaign: &'a Campaign) -> Fut<'a, ()> {
        Box::pin(async move {
            let mut p = self.client().await?;
            p.get()?
                .execute(
                    "INSERT INTO campaigns
                       (id, name, cutoff, catalogue_version, created_at, created_by)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                    &[
                        &campaign.id.to_string(),
                        &campaign.name,
                        &campaign.cutoff.to_string(),
                        &campaign.catalogue_version,
                        &ts(campaign.created_at),
                        &campaign.created_by,
                    ],
                )
                .await?;
            Ok(())
        })
    }

    fn campaigns(&self) -> Fut<'_, Vec<Campaign>> {
        Box::pin(async move {
            let mut p = self.client().await?;
            p.get()?
                .query(
                    "SELECT id, name, cutoff, catalogue_version, created_at, created_by
                     FROM campaigns ORDER BY cutoff DESC, created_at DESC",
                    &[],
                )
                .await?
                .iter()
                .map(|r| {
                    let id: String = r.try_get(0)?;
                    let cutoff: String = r.try_get(2)?;
                    let at: String = r.try_get(4)?;
                    campaign(
                        &id,
                        r.try_get(1)?,
                        &cutoff,
                        r.try_get(3)?,
                        &at,
                        r.try_get(5)?,
                    )
                })
                .collect()
        })
    }

    fn table_version<'a>(&'a self, table: &'a str) -> Fut<'a, (i64, i64)> {
        Box::pin(async move {
            let mut p = self.client().await?;
            let row = p
                .get()?
                .query_one(
                    "SELECT count(*), coalesce(max(revision), 0) FROM records WHERE tbl = $1",
                    &[&table],
                )
                .await?;
            Ok((row.try_get(0)?, row.try_get(1)?))
        })
    }

    fn records_since<'a>(&'a self, table: &'a str, revision: i64) -> Fut<'a, Vec<StoredChange>> {
        Box::pin(async move {
            let mut p = self.client().await?;
            let rows = p
                .get()?
                .query(
                    "SELECT record_id, revision, deleted, CASE WHEN tbl = 'proposals'
                       THEN (fields::jsonb - 'pdf')::text ELSE fields END, owner, root
                     FROM records WHERE revision > $2 AND tbl = $1 ORDER BY revision",
                    &[&table, &revision],
                )
                .await?
                .iter()
                .map(|r| {
                    Ok((
                        r.try_get(0)?,
                        r.try_get(1)?,
                        r.try_get(2)?,
                        r.try_get(3)?,
                        r.try_get(4)?,
                        r.try_get(5)?,
                    ))
                })
                .collect::<Result<Vec<_>>>()?;
            super::stored_changes(rows)
        })
    }

    fn live_records_of_visit<'a>(
        &'a self,
        table: &'a str,
        visit_id: &'a str,
    ) -> Fut<'a, Vec<StoredRecord>> {
        Box::pin(async move {
            let mut p = self.client().await?;
            let rows = p
                .get()?
                .query(
                    "SELECT record_id, CASE WHEN tbl = 'proposals'
                       THEN (fields::jsonb - 'pdf')::text ELSE fields END, owner, root
                     FROM records WHERE root = $2 AND tbl = $1 AND NOT deleted
                     ORDER BY record_id",
                    &[&table, &visit_id],
                )
                .await?
                .iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)))
                .collect::<Result<Vec<_>>>()?;
            super::stored_records(rows)
        })
    }

    fn add_follow_up_step<'a>(
        &'a self,
        step: &'a crate::follow::StepRecord,
        audit: &'a AuditEntry,
    ) -> Fut<'a, ()> {
        Box::pin(async move {
            let mut p = self.client().await?;
            let tx = p.get()?.transaction().await?;
            tx.execute(
                "INSERT INTO follow_up_steps
                   (id, proposal_id, step, done_on, note, recorded_by, recorded_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[
                    &step.id.to_string(),
                    &step.proposal_id,
                    &step.step.key(),
                    &step.on.to_string(),
                    &step.note,
                    &step.recorded_by,
                    &ts(step.recorded_at),
                ],
            )
            .await?;
            insert_audit(&tx, audit).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    fn follow_up_steps(&self) -> Fut<'_, Vec<crate::follow::StepRecord>> {
        Box::pin(async move {
            let mut p = self.client().await?;
            p.get()?
                .query(
                    "SELECT id, proposal_id, step, done_on, note, recorded_by, recorded_at
                     FROM follow_up_steps ORDER BY recorded_at, id",
                    &[],
                )
                .await?
                .iter()
                .map(|r| {
                    let id: String = r.try_get(0)?;
                    let step: String = r.try_get(2)?;
                    let on: String = r.try_get(3)?;
                    let at: String = r.try_get(6)?;
                    crate::follow::from_columns(
                        &id,
                        r.try_get(1)?,
                        &step,
                        &on,
                        r.try_get(4)?,
                        r.try_get(5)?,
                        &at,
                    )
                })
                .collect()
        })
    }
}
