//! One storage trait, two backends: embedded SQLite (the default) and PostgreSQL. Each
//! backend has its own migrations; the sync rules live in `merge.rs`, shared by both.
//!
//! Pushes are serialised (SQLite's single writer; a row lock on the sequence counter in
//! PostgreSQL), so sequence numbers become visible in order and a pull after cursor `n`
//! never skips a change committed later with a smaller number.

pub mod postgres;
pub mod sqlite;

use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, Utc};
use preau_protocol::{Ack, Change, ReferenceVersion};
use serde::Serialize;
use uuid::Uuid;

use crate::authz::Principal;
use crate::error::{Error, Result};
use crate::staff::{AuditEntry, StaffUser};

pub type Fut<'a, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Device {
    pub id: Uuid,
    pub adviser: String,
    pub name: String,
    pub enrolled_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// Last use of its token (renewed at most every few minutes; `None`: not since the
    /// enrollment), from which address, with which app (`preau/0.1.0`).
    pub last_seen_at: Option<DateTime<Utc>>,
    pub last_ip: Option<String>,
    pub app_version: Option<String>,
    /// How many of its records the laptop said it still had to send
    /// (`preau_protocol::PENDING_CHANGES_HEADER`), and when; `None`: it never said (an
    /// older app).
    pub pending_changes: Option<u32>,
    pub pending_at: Option<DateTime<Utc>>,
}

/// A page of records after a cursor.
#[derive(Debug, Clone)]
pub struct Page {
    pub records: Vec<crate::merge::PulledRecord>,
    pub next_cursor: i64,
    pub more: bool,
    /// Records after `next_cursor` (for the laptop's progress: n / total).
    pub remaining: u64,
}

/// What an enrollment gave the new device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrolled {
    pub adviser: String,
    /// Its code in proposal numbers (`preau_protocol::device_code` of a server counter).
    pub device_code: String,
}

pub trait Storage: Send + Sync + 'static {
    /// Records a one-time enrollment code (its hash) for `adviser`.
    fn create_enrollment<'a>(
        &'a self,
        code_hash: &'a str,
        adviser: &'a str,
        expires_at: DateTime<Utc>,
    ) -> Fut<'a, ()>;

    /// Consumes an unexpired, unused code, creates the device and hands it the next
    /// device code. `None`: no such code.
    fn enroll<'a>(
        &'a self,
        code_hash: &'a str,
        device: &'a Device,
        token_hash: &'a str,
        now: DateTime<Utc>,
    ) -> Fut<'a, Option<Enrolled>>;

    fn device_by_token<'a>(&'a self, token_hash: &'a str) -> Fut<'a, Option<Device>>;
    fn devices(&self) -> Fut<'_, Vec<Device>>;
    /// `false`: no such device.
    fn revoke(&self, id: Uuid, now: DateTime<Utc>) -> Fut<'_, bool>;

    /// Applies a batch for `who` in one transaction; a change id seen before is
    /// acknowledged with its first answer and not applied again; a change `who` may not
    /// make is refused (`crate::authz`) and changes nothing. The batch is handed over (the
    /// SQLite writer's thread takes it without a copy).
    fn push<'a>(&'a self, who: &'a Principal, changes: Vec<Change>) -> Fut<'a, Vec<Ack>>;
    /// At most `limit` records after `cursor`, and fewer once their JSON passes
    /// `MAX_PAGE_BYTES` (never none while records remain).
    fn pull(&self, cursor: i64, limit: u32) -> Fut<'_, Page>;

    /// Puts back every record `device` changed since `since` as it was before the
    /// device's first change, as new changes every laptop pulls; records it made are
    /// deleted; the live records of a visit it brought back are sent again (laptops
    /// removed them with the visit).
    fn revert_device(&self, device: Uuid, since: DateTime<Utc>) -> Fut<'_, u64>;
    /// Removes a record for good: a tombstone with no fields, pulled by every laptop.
    /// `false`: no such record.
    fn purge_record<'a>(&'a self, table: &'a str, record_id: &'a str) -> Fut<'a, bool>;
    /// Gives a visit and everything under it to another adviser; the number of records.
    fn hand_over<'a>(&'a self, visit_id: &'a str, adviser: &'a str) -> Fut<'a, u64>;

    /// Publishes a new version of a reference data set; returns its version.
    fn publish_reference<'a>(&'a self, kind: &'a str, content: &'a str) -> Fut<'a, i64>;
    fn reference_versions(&self) -> Fut<'_, Vec<ReferenceVersion>>;
    fn reference<'a>(&'a self, kind: &'a str) -> Fut<'a, Option<(i64, String)>>;

    /// Every participant record, tombstones too (a tombstone keeps its last fields), with
    /// its visit's commune and date: what `people export|erase|anonymise` choose from.
    fn participants(&self) -> Fut<'_, Vec<ParticipantRecord>>;
    /// Erases the personal data of these participant records (`merge::erased`) as new
    /// changes every laptop pulls, and from their history (`changes_seen.before_fields`)
    /// and the values set aside on them; then has the database drop the old bytes it can
    /// (SQLite: secure delete and a truncated WAL; PostgreSQL: VACUUM). Returns how many
    /// records changed; records already erased are left alone (their history is still
    /// cleaned), unknown ids are skipped.
    fn erase_participants(&self, record_ids: Vec<String>) -> Fut<'_, u64>;
    /// Every proposal record's number, visit and snapshot (not its PDF): issued proposals
    /// name the visit's participants, and `people export` lists those naming a person.
    fn proposal_snapshots(&self) -> Fut<'_, Vec<ProposalSnapshot>>;
    /// Every participant history entry holding a state (`changes_seen.before_fields`): a
    /// person replaced on a record (a new mayor typed over the former one) is only there.
    fn participant_history(&self) -> Fut<'_, Vec<HistoryEntry>>;
    /// Erases the personal fields of these history entries (`merge::erased_history`), as
    /// `erase_participants` does for a record's whole history; the records themselves are
    /// left alone. Returns how many entries changed.
    fn erase_history(&self, change_ids: Vec<String>) -> Fut<'_, u64>;
    /// Records a use of a device's token (which renews it): when, from which address,
    /// with which app, and the changes it said it still had to send (`None`: it did not
    /// say; the count last reported is kept).
    fn touch_device<'a>(
        &'a self,
        id: Uuid,
        at: DateTime<Utc>,
        ip: Option<&'a str>,
        app_version: Option<&'a str>,
        pending: Option<u32>,
    ) -> Fut<'a, ()>;

    // Staff accounts and the back-office (issue 13), kept apart from devices: a device
    // token is never looked up here, a session never in `devices`.

    /// `false`: an account already has this email.
    fn add_staff_user<'a>(&'a self, user: &'a StaffUser) -> Fut<'a, bool>;
    fn staff_users(&self) -> Fut<'_, Vec<StaffUser>>;
    /// The account with this (normalised) email, with its password hash if one was set.
    fn staff_user_by_email<'a>(
        &'a self,
        email: &'a str,
    ) -> Fut<'a, Option<(StaffUser, Option<String>)>>;
    /// Disables the account and deletes its sessions and password links, in one
    /// transaction. `false`: no such account.
    fn disable_staff_user<'a>(&'a self, email: &'a str, now: DateTime<Utc>) -> Fut<'a, bool>;
    fn create_password_link<'a>(
        &'a self,
        token_hash: &'a str,
        user: Uuid,
        expires_at: DateTime<Utc>,
    ) -> Fut<'a, ()>;
    /// Consumes an unused, unexpired link of an enabled account: sets its password hash
    /// and ends its sessions. `None`: no such link.
    fn use_password_link<'a>(
        &'a self,
        token_hash: &'a str,
        password_hash: &'a str,
        now: DateTime<Utc>,
    ) -> Fut<'a, Option<StaffUser>>;
    fn create_staff_session<'a>(
        &'a self,
        token_hash: &'a str,
        user: Uuid,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Fut<'a, ()>;
    /// The enabled account of an unexpired session.
    fn staff_session<'a>(
        &'a self,
        token_hash: &'a str,
        now: DateTime<Utc>,
    ) -> Fut<'a, Option<StaffUser>>;
    fn end_staff_session<'a>(&'a self, token_hash: &'a str) -> Fut<'a, ()>;
    fn record_audit<'a>(&'a self, entry: &'a AuditEntry) -> Fut<'a, ()>;
    /// The `limit` latest entries, newest first.
    fn audit_log(&self, limit: u32) -> Fut<'_, Vec<AuditEntry>>;
    /// Every stored record of a synced table, tombstones excepted, read as they are (the
    /// back-office computes its pages from them); a proposal's PDF is left in the
    /// database.
    fn live_records<'a>(&'a self, table: &'a str) -> Fut<'a, Vec<StoredRecord>>;
    /// How many records `table` holds (tombstones too) and its latest revision: every
    /// push, purge and revert that changes one of them changes this pair. Cheap: no
    /// record's fields are read (what the back-office's cache is keyed on).
    fn table_version<'a>(&'a self, table: &'a str) -> Fut<'a, (i64, i64)>;
    /// Every record of `table` written after `revision` (tombstones too), in revision
    /// order, as [`Storage::live_records`] reads them: what the back-office's cache of
    /// proposals reads after a push instead of every proposal again.
    fn records_since<'a>(&'a self, table: &'a str, revision: i64) -> Fut<'a, Vec<StoredChange>>;
    /// The live records of `table` under one visit (its `root`), as [`Storage::live_records`].
    fn live_records_of_visit<'a>(
        &'a self,
        table: &'a str,
        visit_id: &'a str,
    ) -> Fut<'a, Vec<StoredRecord>>;
    /// A live proposal's PDF (hex, as pushed) and the SHA-256 the laptop gave it.
    fn proposal_pdf<'a>(&'a self, record_id: &'a str) -> Fut<'a, Option<StoredPdf>>;
    /// A group-purchase campaign (the back-office's own record, no laptop's).
    fn add_campaign<'a>(&'a self, campaign: &'a Campaign) -> Fut<'a, ()>;
    /// Every campaign, the latest cut-off first.
    fn campaigns(&self) -> Fut<'_, Vec<Campaign>>;
    /// Records a follow-up step of a proposal (the back-office's own record, no laptop's)
    /// and its audit entry, in one transaction.
    fn add_follow_up_step<'a>(
        &'a self,
        step: &'a crate::follow::StepRecord,
        audit: &'a AuditEntry,
    ) -> Fut<'a, ()>;
    /// Every follow-up step recorded, oldest first (the latest of a proposal's step counts).
    fn follow_up_steps(&self) -> Fut<'_, Vec<crate::follow::StepRecord>>;
}

/// A group-purchase campaign ("recensement des besoins"): the demand of the proposals
/// priced with one catalogue version, as of a cut-off date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Campaign {
    pub id: Uuid,
    pub name: String,
    pub cutoff: chrono::NaiveDate,
    pub catalogue_version: String,
    pub created_at: DateTime<Utc>,
    /// The staff member who launched it.
    pub created_by: String,
}

/// A campaign from its stored columns `(id, name, cutoff, catalogue_version,
/// created_at, created_by)`, for both backends.
pub(crate) fn campaign(
    id: &str,
    name: String,
    cutoff: &str,
    catalogue_version: String,
    created_at: &str,
    created_by: String,
) -> Result<Campaign> {
    Ok(Campaign {
        id: Uuid::parse_str(id).map_err(|e| Error::Storage(format!("campaign id: {e}")))?,
        name,
        cutoff: chrono::NaiveDate::parse_from_str(cutoff, "%Y-%m-%d")
            .map_err(|e| Error::Storage(format!("campaign cut-off {cutoff:?}: {e}")))?,
        catalogue_version,
        created_at: parse_ts(created_at)?,
        created_by,
    })
}

/// A live record as the back-office reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRecord {
    pub record_id: String,
    pub fields: serde_json::Map<String, serde_json::Value>,
    /// The adviser it belongs to.
    pub owner: Option<String>,
    /// Its visit.
    pub root: Option<String>,
}

/// A record as [`Storage::records_since`] reads it: live or a tombstone.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredChange {
    pub revision: i64,
    pub deleted: bool,
    pub record: StoredRecord,
}

/// A stored row as [`Storage::records_since`] reads it: `(record_id, revision, deleted,
/// fields, owner, root)`.
pub(crate) type ChangeRow = (String, i64, bool, String, Option<String>, Option<String>);

/// Parses [`ChangeRow`]s, for both backends.
pub(crate) fn stored_changes(rows: Vec<ChangeRow>) -> Result<Vec<StoredChange>> {
    rows.into_iter()
        .map(|(record_id, revision, deleted, fields, owner, root)| {
            Ok(StoredChange {
                revision,
                deleted,
                record: StoredRecord {
                    record_id,
                    fields: serde_json::from_str(&fields)?,
                    owner,
                    root,
                },
            })
        })
        .collect()
}

/// An issued proposal's PDF as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPdf {
    pub hex: String,
    pub sha256: Option<String>,
}

/// Parses live records' `(record_id, fields, owner, root)`, for both backends.
pub(crate) fn stored_records(
    rows: Vec<(String, String, Option<String>, Option<String>)>,
) -> Result<Vec<StoredRecord>> {
    rows.into_iter()
        .map(|(record_id, fields, owner, root)| {
            Ok(StoredRecord {
                record_id,
                fields: serde_json::from_str(&fields)?,
                owner,
                root,
            })
        })
        .collect()
}

/// The columns of `staff_users` a [`StaffUser`] is read from, in this order (both
/// backends), then its password hash.
pub(crate) const STAFF_COLUMNS: &str =
    "id, email, name, role, created_at, disabled_at, password_hash";

/// [`STAFF_COLUMNS`] of a table named `alias` in a join.
pub(crate) fn staff_columns_of(alias: &str) -> String {
    STAFF_COLUMNS
        .split(", ")
        .map(|col| format!("{alias}.{col}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A staff account from its stored columns.
pub(crate) fn staff_user(
    id: &str,
    email: String,
    name: String,
    role: &str,
    created_at: &str,
    disabled_at: Option<&str>,
    password_hash: Option<String>,
) -> Result<(StaffUser, Option<String>)> {
    Ok((
        StaffUser {
            id: Uuid::parse_str(id).map_err(|e| Error::Storage(format!("staff id: {e}")))?,
            email,
            name,
            role: role.parse()?,
            created_at: parse_ts(created_at)?,
            disabled_at: disabled_at.map(parse_ts).transpose()?,
            has_password: password_hash.is_some(),
        },
        password_hash,
    ))
}

/// One participant history entry: the state a change replaced.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    pub change_id: String,
    pub record_id: String,
    /// When the change was accepted.
    pub at: Option<String>,
    /// The record's fields before the change (JSON).
    pub before_fields: String,
}

/// A proposal record's snapshot (the JSON text the PDF was made from), without its PDF.
#[derive(Debug, Clone, PartialEq)]
pub struct ProposalSnapshot {
    pub record_id: String,
    pub deleted: bool,
    pub visit_id: Option<String>,
    pub number: Option<String>,
    pub snapshot: Option<String>,
}

/// A participant record as stored on the server, with its visit's commune and date.
#[derive(Debug, Clone, PartialEq)]
pub struct ParticipantRecord {
    pub record_id: String,
    pub deleted: bool,
    pub fields: serde_json::Map<String, serde_json::Value>,
    /// Values other laptops gave a field, set aside as conflicts.
    pub conflicts: Vec<preau_protocol::FieldConflict>,
    /// The adviser the record belongs to.
    pub owner: Option<String>,
    pub visit_id: Option<String>,
    pub commune_insee: Option<String>,
    pub scheduled_at: Option<String>,
}

/// A participant's stored columns: record id, deleted, fields, conflicts, owner, root.
pub(crate) type ParticipantRow = (String, bool, String, String, Option<String>, Option<String>);

/// Joins participant rows `(record_id, deleted, fields, conflicts, owner, root)` to the
/// visits' fields `(record_id, fields)`, for both backends. The visit is the record's
/// root, else its `visit_id` field (records stored before owners were filled in).
pub(crate) fn join_participants(
    rows: Vec<ParticipantRow>,
    visits: Vec<(String, String)>,
) -> Result<Vec<ParticipantRecord>> {
    use serde_json::{Map, Value};
    let visits: std::collections::HashMap<String, Map<String, Value>> = visits
        .into_iter()
        .map(|(id, fields)| Ok((id, serde_json::from_str(&fields)?)))
        .collect::<Result<_>>()?;
    rows.into_iter()
        .map(|(record_id, deleted, fields, conflicts, owner, root)| {
            let fields: Map<String, Value> = serde_json::from_str(&fields)?;
            let visit_id = root.or_else(|| {
                fields
                    .get("visit_id")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            });
            let visit = visit_id.as_ref().and_then(|v| visits.get(v));
            let text = |f: &str| {
                visit
                    .and_then(|v| v.get(f))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            };
            Ok(ParticipantRecord {
                commune_insee: text("commune_insee"),
                scheduled_at: text("scheduled_at"),
                record_id,
                deleted,
                fields,
                conflicts: serde_json::from_str(&conflicts)?,
                owner,
                visit_id,
            })
        })
        .collect()
}

/// The columns of `devices` a [`Device`] is read from, in this order (both backends).
pub(crate) const DEVICE_COLUMNS: &str = "id, adviser, name, enrolled_at, revoked_at, \
     last_seen_at, last_ip, app_version, pending_changes, pending_at";

/// Opens the storage a `--database-url` / `--data-dir` pair names.
pub async fn open(
    database_url: Option<&str>,
    data_dir: &std::path::Path,
) -> Result<std::sync::Arc<dyn Storage>> {
    match database_url {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => Ok(
            std::sync::Arc::new(postgres::PgStorage::connect(url).await?),
        ),
        Some(url) if url.starts_with("sqlite://") => {
            let path = std::path::PathBuf::from(url.trim_start_matches("sqlite://"));
            Ok(std::sync::Arc::new(sqlite::SqliteStorage::open(&path)?))
        }
        Some(other) => Err(Error::Storage(format!(
            "unsupported database URL scheme: {}",
            other.split(':').next().unwrap_or("")
        ))),
        None => {
            std::fs::create_dir_all(data_dir)?;
            Ok(std::sync::Arc::new(sqlite::SqliteStorage::open(
                &data_dir.join(sqlite::DB_FILE),
            )?))
        }
    }
}

/// A stored pending count (`devices.pending_changes`), which only a valid report wrote.
pub(crate) fn pending_count(stored: Option<i64>) -> Result<Option<u32>> {
    stored
        .map(|n| u32::try_from(n).map_err(|_| Error::Storage(format!("bad pending count {n}"))))
        .transpose()
}

pub(crate) fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub(crate) fn parse_ts(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| Error::Storage(format!("bad timestamp {s:?}: {e}")))
}
