//! How one change meets the server's state of its record. Pure functions on plain data,
//! shared by every storage backend.
//!
//! - Fields are merged one by one: two laptops changing different fields both win.
//! - A field changed by another device after the change's base revision is a concurrent
//!   edit: the value already on the server stays in `fields`, the incoming one is kept in
//!   `conflicts` (nothing is dropped) until a change based on a newer revision settles it.
//! - A delete leaves a tombstone (the fields are kept); an edit arriving for a tombstone
//!   from a laptop that had not seen the delete is kept as a conflict on it; a record made
//!   again by a laptop that had seen it (same key: a school ticked again) starts over.
//! - `created_at` and `updated_at` are bookkeeping, never a conflict: the first
//!   `created_at` stays, `updated_at` takes the latest value (no person can judge them).

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

/// The maps a push fills per change: hashed with foldhash (randomly seeded per process)
/// rather than SipHash, a tenth of the writer's time on a push.
pub type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

use preau_protocol::schema;
use preau_protocol::{
    Ack, AckStatus, Change, ErrorCode, FieldConflict, Refusal, RemoteRecord, MAX_CONFLICTS,
    MAX_RECORD_BYTES,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::authz::{self, Principal};

/// Who last wrote a field, and at which server sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldMeta {
    pub rev: i64,
    pub device: Uuid,
}

/// The server's state of one record, as stored.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RecordState {
    pub revision: i64,
    pub deleted: bool,
    pub deleted_by: Option<FieldMeta>,
    pub fields: Map<String, Value>,
    pub meta: BTreeMap<String, FieldMeta>,
    pub conflicts: Vec<FieldConflict>,
    /// The adviser the record belongs to (`None`: shared, a school of the directory).
    pub owner: Option<String>,
    /// The visit the record hangs from (its own id for a visit; `None` for a school).
    pub root: Option<String>,
}

/// The stored JSON of the bookkeeping columns.
///
/// Most records are written whole by one change, so every field has the same writer:
/// that one is `base`, and `fields` lists only the fields written otherwise (issue 12: the
/// per-field form was most of what a push wrote). A record's field that has no
/// bookkeeping at all is listed in `bare`. Stores written before `base` existed hold
/// every field in `fields`, which reads the same.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct StoredMeta {
    #[serde(default)]
    pub base: Option<FieldMeta>,
    #[serde(default)]
    pub fields: BTreeMap<String, FieldMeta>,
    #[serde(default)]
    pub bare: Vec<String>,
    #[serde(default)]
    pub deleted_by: Option<FieldMeta>,
}

impl StoredMeta {
    /// Every field's bookkeeping, given the record's fields.
    pub fn expand(self, fields: &Map<String, Value>) -> BTreeMap<String, FieldMeta> {
        let mut out = self.fields;
        if let Some(base) = self.base {
            for name in fields.keys() {
                if !out.contains_key(name) && !self.bare.contains(name) {
                    out.insert(name.clone(), base);
                }
            }
        }
        out
    }
}

/// [`StoredMeta`] as written from a [`RecordState`]: serialised straight from the
/// record's maps, without building the compact form first (one is written for every
/// record a push changes).
#[derive(Debug)]
pub struct StoredMetaRef<'a> {
    st: &'a RecordState,
    base: Option<FieldMeta>,
    /// Every field of the record has bookkeeping (none is `bare`).
    all_kept: bool,
    /// Every field was written by `base` and only the record's fields have bookkeeping
    /// (a record written whole by one change): nothing is listed.
    uniform: bool,
}

impl<'a> StoredMetaRef<'a> {
    fn of(st: &'a RecordState) -> StoredMetaRef<'a> {
        // Most records a push writes: one writer for exactly the record's fields, told
        // without counting writers or looking each field up.
        if let Some(first) = st.meta.values().next().copied() {
            if st.meta.values().all(|m| *m == first)
                && st.fields.len() == st.meta.len()
                && st.fields.keys().eq(st.meta.keys())
            {
                return StoredMetaRef {
                    st,
                    base: Some(first),
                    all_kept: true,
                    uniform: true,
                };
            }
        }
        // The writer of the most fields (most records: of all of them).
        let mut counts: Vec<(FieldMeta, usize)> = Vec::new();
        for m in st.meta.values() {
            match counts.iter_mut().find(|(c, _)| c == m) {
                Some((_, n)) => *n += 1,
                None => counts.push((*m, 1)),
            }
        }
        let base = counts.iter().max_by_key(|(_, n)| *n).map(|(m, _)| *m);
        let all_kept = st.fields.len() <= st.meta.len()
            && st.fields.keys().all(|name| st.meta.contains_key(name));
        StoredMetaRef {
            st,
            base,
            all_kept,
            uniform: false,
        }
    }

    /// Written out unless `base` stands for it.
    fn listed(&self, name: &str, m: &FieldMeta) -> bool {
        Some(*m) != self.base || !self.st.fields.contains_key(name)
    }
}

impl Serialize for StoredMetaRef<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        struct Listed<'b>(&'b StoredMetaRef<'b>);
        impl Serialize for Listed<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_map(
                    self.0
                        .st
                        .meta
                        .iter()
                        .filter(|(name, m)| !self.0.uniform && self.0.listed(name, m)),
                )
            }
        }
        struct Bare<'b>(&'b RecordState);
        impl Serialize for Bare<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(
                    self.0
                        .fields
                        .keys()
                        .filter(|n| !self.0.meta.contains_key(*n)),
                )
            }
        }
        let mut out = serializer.serialize_struct("StoredMeta", 4)?;
        if let Some(base) = &self.base {
            out.serialize_field("base", base)?;
        }
        out.serialize_field("fields", &Listed(self))?;
        if self.base.is_some() && !self.all_kept {
            out.serialize_field("bare", &Bare(self.st))?;
        }
        out.serialize_field("deleted_by", &self.st.deleted_by)?;
        out.end()
    }
}

/// Applies `change` made by `device`, given sequence number `seq`, to `state` (None: the
/// record is new to the server).
pub fn apply(
    state: Option<RecordState>,
    change: &Change,
    device: Uuid,
    seq: i64,
) -> (RecordState, AckStatus) {
    let me = FieldMeta { rev: seq, device };
    let Some(mut st) = state else {
        // New to the server: the change is the whole record, every field written by it
        // (what the loop below does field by field, built at once).
        let st = if change.deleted {
            RecordState {
                revision: seq,
                deleted: true,
                deleted_by: Some(me),
                ..RecordState::default()
            }
        } else {
            made(change.fields.clone(), device, seq)
        };
        return (st, AckStatus::Applied);
    };
    let concurrent = |m: &FieldMeta| m.rev > change.base_revision && m.device != device;
    let mut status = AckStatus::Applied;

    if change.deleted {
        if !st.deleted {
            st.deleted = true;
            st.deleted_by = Some(me);
        }
        st.revision = seq;
        return (st, status);
    }

    let delete_seen = st
        .deleted_by
        .map_or(st.revision, |d| d.rev)
        .le(&change.base_revision);
    if st.deleted && delete_seen {
        // Made again by a laptop that had seen the delete: a school ticked again, an
        // objective served again (records keyed by what they join come back with the
        // same id). The record starts over from this change, which carries it whole.
        st = RecordState {
            revision: seq,
            fields: change.fields.clone(),
            meta: change.fields.keys().map(|f| (f.clone(), me)).collect(),
            ..RecordState::default()
        };
        return (st, status);
    }

    // Conflicts kept on bookkeeping before it was merged as such are dropped.
    st.conflicts.retain(|c| Bookkeeping::of(&c.field).is_none());

    if st.deleted {
        // An edit for a deleted record the laptop had not seen deleted: the delete stands,
        // the values are kept aside.
        for (field, value) in &change.fields {
            if erased_since(&st, field, change.base_revision) {
                continue;
            }
            if Bookkeeping::of(field).is_none() && st.fields.get(field) != Some(value) {
                set_aside(&mut st, field, value, device, seq);
                status = AckStatus::Conflict;
            }
        }
        st.revision = seq;
        return (st, status);
    }

    for (field, value) in &change.fields {
        if erased_since(&st, field, change.base_revision) {
            continue;
        }
        let current = st.fields.get(field);
        if let Some(kind) = Bookkeeping::of(field) {
            if kind.takes(current, value) {
                st.fields.insert(field.clone(), value.clone());
                st.meta.insert(field.clone(), me);
            }
            continue;
        }
        let clash = match st.meta.get(field) {
            Some(m) => concurrent(m) && current != Some(value),
            None => false,
        };
        if clash {
            set_aside(&mut st, field, value, device, seq);
            status = AckStatus::Conflict;
        } else {
            // A change that had seen every conflicting value settles the conflict.
            st.conflicts
                .retain(|c| c.field != *field || c.revision > change.base_revision);
            // The same value again (a record sent whole, an import) changes nothing and
            // claims nothing: a colleague's later edit of the field is not concurrent
            // with it.
            if current != Some(value) {
                st.fields.insert(field.clone(), value.clone());
                st.meta.insert(field.clone(), me);
            }
        }
    }
    st.revision = seq;
    (st, status)
}

/// A record new to the server made by one change, with its fields: every one written by
/// it. What [`apply`] makes of a change to a record the server does not have.
fn made(fields: Map<String, Value>, device: Uuid, seq: i64) -> RecordState {
    let me = FieldMeta { rev: seq, device };
    RecordState {
        revision: seq,
        meta: fields.keys().map(|f| (f.clone(), me)).collect(),
        fields,
        ..RecordState::default()
    }
}

/// Keeps `value` aside as a conflict on `field`. A device has at most one value aside per
/// field (its later one replaces it), so a record's conflicts stay bounded by its fields
/// times the devices that edit it.
fn set_aside(st: &mut RecordState, field: &str, value: &Value, device: Uuid, seq: i64) {
    st.conflicts
        .retain(|c| !(c.field == field && c.device_id == device));
    st.conflicts.push(FieldConflict {
        field: field.to_string(),
        value: value.clone(),
        device_id: device,
        revision: seq,
    });
}

/// Fields that record when, not what: merged by rule, never set aside for a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bookkeeping {
    /// Written once, when the record is made.
    CreatedAt,
    /// The latest wins, whoever wrote it.
    UpdatedAt,
}

impl Bookkeeping {
    fn of(field: &str) -> Option<Bookkeeping> {
        match field {
            "created_at" => Some(Bookkeeping::CreatedAt),
            "updated_at" => Some(Bookkeeping::UpdatedAt),
            _ => None,
        }
    }

    /// Whether `incoming` replaces the value the server holds.
    fn takes(self, current: Option<&Value>, incoming: &Value) -> bool {
        match (self, current) {
            (_, None) | (_, Some(Value::Null)) => true,
            (Bookkeeping::CreatedAt, Some(_)) => false,
            (Bookkeeping::UpdatedAt, Some(current)) => {
                later(incoming, current) == Ordering::Greater
            }
        }
    }
}

/// Compares two timestamps as instants when both are RFC 3339 (laptops write them so),
/// else as text; a timestamp is later than anything that is not one.
fn later(a: &Value, b: &Value) -> Ordering {
    let instant = |v: &Value| {
        v.as_str()
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
    };
    match (instant(a), instant(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Greater,
        (None, Some(_)) => Ordering::Less,
        (None, None) => a.as_str().cmp(&b.as_str()),
    }
}

/// A change the batch remembers: its id, sequence number (0 when refused), status, and
/// the record's state before it (`None`: the server did not have the record), which is
/// what `devices revert` puts back.
#[derive(Debug)]
pub struct Seen {
    pub change_id: Uuid,
    pub revision: i64,
    pub status: AckStatus,
    pub table: String,
    pub record_id: String,
    pub before: Option<Before>,
}

/// A record's state before a change, as kept in the history.
#[derive(Debug, Clone)]
pub struct Before {
    pub deleted: bool,
    /// The fields as JSON.
    pub fields: String,
}

/// What a batch does to the store, computed in memory by [`apply_batch`].
#[derive(Debug, Default)]
pub struct BatchOutcome {
    pub acks: Vec<Ack>,
    /// The final state of every record the batch changed, keyed by (table, record id).
    pub records: FastMap<(String, String), RecordState>,
    /// Change ids with their outcome, to remember (refused ones too).
    pub seen: Vec<Seen>,
    /// Proposal device codes claimed by this device (made on a laptop before enrollments
    /// handed codes out).
    pub claimed_codes: Vec<String>,
    /// The last sequence number used.
    pub last_seq: i64,
}

/// An estimate of a record's stored size in bytes (its fields and conflicts as JSON),
/// cheap enough to take after every change.
fn approx_size(st: &RecordState) -> usize {
    fn value(v: &Value) -> usize {
        match v {
            Value::String(s) => s.len() + 2,
            Value::Array(a) => a.iter().map(value).sum::<usize>() + 2,
            Value::Object(o) => o.iter().map(|(k, v)| k.len() + 3 + value(v)).sum::<usize>() + 2,
            _ => 8,
        }
    }
    let fields: usize = st.fields.iter().map(|(k, v)| k.len() + 3 + value(v)).sum();
    let conflicts: usize = st
        .conflicts
        .iter()
        .map(|c| c.field.len() + 100 + value(&c.value))
        .sum();
    fields + conflicts
}

/// Applies a batch in order for `who`. `already_seen` holds the change ids the store knew
/// before, with their sequence number (refused ones are not in it: they are judged
/// again); `load` gives the stored state of a record, `code_owner` the device holding a
/// proposal code. A change its device may not make is refused (see `authz`), changes
/// nothing, and is answered with the server's record. The fields of a change that makes a
/// new record are moved into it (taken from `changes`, not copied).
pub fn apply_batch<E>(
    changes: &mut [Change],
    who: &Principal,
    last_seq: i64,
    already_seen: &FastMap<Uuid, i64>,
    code_owner: &dyn Fn(&str) -> Option<Uuid>,
    mut load: impl FnMut(&str, &str) -> Result<Option<RecordState>, E>,
) -> Result<BatchOutcome, E> {
    let mut out = BatchOutcome {
        last_seq,
        ..BatchOutcome::default()
    };
    // Records read from the store and not changed by the batch (parents, refused ones).
    out.records.reserve(changes.len());
    let mut read: FastMap<(String, String), Option<RecordState>> = FastMap::default();
    let mut in_batch: FastMap<Uuid, i64> =
        FastMap::with_capacity_and_hasher(changes.len(), Default::default());
    let mut claimed: FastMap<String, Uuid> = FastMap::default();
    for ch in changes.iter_mut() {
        if let Some(rev) = already_seen
            .get(&ch.change_id)
            .or_else(|| in_batch.get(&ch.change_id))
        {
            out.acks.push(Ack {
                change_id: ch.change_id,
                status: AckStatus::Duplicate,
                revision: *rev,
                refusal: None,
            });
            continue;
        }
        let key = (ch.table.clone(), ch.record_id.clone());
        let state = match out.records.remove(&key) {
            Some(st) => Some(st),
            None => match read.remove(&key) {
                Some(st) => st,
                None => load(&ch.table, &ch.record_id)?,
            },
        };
        let verdict = match schema::table(&ch.table) {
            None => Err(authz::Denied {
                code: ErrorCode::InvalidChange,
                message: format!("{} is not a synced table", ch.table),
            }),
            Some(table) => {
                // The parent, by reference (no copy per change): from this batch, else
                // read once from the store.
                let pkey = authz::parent_to_check(table, ch, state.as_ref())
                    .map(|(pt, pid)| (pt.to_string(), pid.to_string()));
                if let Some(k) = &pkey {
                    if !out.records.contains_key(k) && !read.contains_key(k) {
                        let loaded = load(&k.0, &k.1)?;
                        read.insert(k.clone(), loaded);
                    }
                }
                let parent = pkey.as_ref().and_then(|k| {
                    out.records
                        .get(k)
                        .or_else(|| read.get(k).and_then(Option::as_ref))
                });
                let owner_of = |c: &str| claimed.get(c).copied().or_else(|| code_owner(c));
                authz::authorize(who, table, ch, state.as_ref(), parent, &owner_of)
            }
        };
        // A new record, allowed: it takes the change's fields as they are.
        let new_fields = (state.is_none() && !ch.deleted && verdict.is_ok())
            .then(|| std::mem::take(&mut ch.fields));
        let ch = &*ch;
        let refuse = |denied: authz::Denied, state: &Option<RecordState>| Ack {
            change_id: ch.change_id,
            status: AckStatus::Refused,
            revision: 0,
            refusal: Some(Refusal {
                code: denied.code,
                message: denied.message,
                record: state
                    .clone()
                    .map(|st| st.into_remote(ch.table.clone(), ch.record_id.clone())),
            }),
        };
        // The change as it would apply, or why it may not.
        let last_seq = out.last_seq;
        let outcome = verdict.and_then(|(placement, code)| {
            let seq = last_seq + 1;
            let (mut next, status) = match new_fields {
                Some(fields) => (made(fields, who.device, seq), AckStatus::Applied),
                None => apply(state.clone(), ch, who.device, seq),
            };
            next.owner = placement.owner;
            next.root = placement.root;
            if next.conflicts.len() > MAX_CONFLICTS || approx_size(&next) > MAX_RECORD_BYTES {
                return Err(authz::Denied {
                    code: ErrorCode::RecordTooLarge,
                    message: format!(
                        "{} {} would pass {MAX_RECORD_BYTES} bytes or {MAX_CONFLICTS} values set aside",
                        ch.table, ch.record_id
                    ),
                });
            }
            Ok((seq, next, status, code))
        });
        let (seq, next, status, code) = match outcome {
            Ok(v) => v,
            Err(denied) => {
                out.acks.push(refuse(denied, &state));
                out.seen.push(Seen {
                    change_id: ch.change_id,
                    revision: 0,
                    status: AckStatus::Refused,
                    table: ch.table.clone(),
                    record_id: ch.record_id.clone(),
                    before: None,
                });
                read.insert(key, state);
                continue;
            }
        };
        // The state this change replaces, kept for `devices revert` (accepted changes only).
        let before = state.as_ref().map(|st| Before {
            deleted: st.deleted,
            fields: serde_json::to_string(&st.fields).unwrap_or_else(|_| "{}".into()),
        });
        if let Some(code) = code {
            if code_owner(&code.code).is_none() && !claimed.contains_key(&code.code) {
                claimed.insert(code.code.clone(), who.device);
                out.claimed_codes.push(code.code);
            }
        }
        out.last_seq = seq;
        out.records.insert(key, next);
        in_batch.insert(ch.change_id, seq);
        out.seen.push(Seen {
            change_id: ch.change_id,
            revision: seq,
            status,
            table: ch.table.clone(),
            record_id: ch.record_id.clone(),
            before,
        });
        out.acks.push(Ack {
            change_id: ch.change_id,
            status,
            revision: seq,
            refusal: None,
        });
    }
    Ok(out)
}

pub fn status_str(s: AckStatus) -> &'static str {
    match s {
        AckStatus::Applied => "applied",
        AckStatus::Conflict => "conflict",
        AckStatus::Duplicate => "duplicate",
        AckStatus::Refused => "refused",
    }
}

/// Builds a state from its stored columns.
pub fn state_from_columns(
    revision: i64,
    deleted: bool,
    fields: &str,
    meta: &str,
    conflicts: &str,
    owner: Option<String>,
    root: Option<String>,
) -> serde_json::Result<RecordState> {
    let meta: StoredMeta = serde_json::from_str(meta)?;
    let fields: Map<String, Value> = serde_json::from_str(fields)?;
    let deleted_by = meta.deleted_by;
    Ok(RecordState {
        revision,
        deleted,
        deleted_by,
        meta: meta.expand(&fields),
        fields,
        conflicts: serde_json::from_str(conflicts)?,
        owner,
        root,
    })
}

/// The device id the server's own changes (an admin's revert or purge) are made under.
pub const SERVER_DEVICE: Uuid = Uuid::nil();

/// A record put back as it was before a change (`before`; `None`: the record did not
/// exist, so it is deleted), as a new change `seq` made by the server: every field is
/// claimed at `seq`, nothing stays set aside.
pub fn restore(current: RecordState, before: Option<&Before>, seq: i64) -> RecordState {
    let me = FieldMeta {
        rev: seq,
        device: SERVER_DEVICE,
    };
    let (deleted, fields) = match before {
        Some(b) => (
            b.deleted,
            serde_json::from_str::<Map<String, Value>>(&b.fields).unwrap_or_default(),
        ),
        None => (true, current.fields.clone()),
    };
    RecordState {
        revision: seq,
        deleted,
        deleted_by: deleted.then_some(me),
        meta: fields.keys().map(|k| (k.clone(), me)).collect(),
        fields,
        conflicts: Vec::new(),
        owner: current.owner,
        root: current.root,
    }
}

/// A record removed for good by an admin (`records purge`): a tombstone with no fields
/// and nothing set aside, as a new change `seq`.
pub fn purged(current: RecordState, seq: i64) -> RecordState {
    RecordState {
        revision: seq,
        deleted: true,
        deleted_by: Some(FieldMeta {
            rev: seq,
            device: SERVER_DEVICE,
        }),
        fields: Map::new(),
        meta: BTreeMap::new(),
        conflicts: Vec::new(),
        owner: current.owner,
        root: current.root,
    }
}

/// The device id personal data is erased under (`people erase|anonymise`). Unlike
/// [`SERVER_DEVICE`] (a revert, which a laptop's concurrent edit may still contest as a
/// conflict), an erasure is final for every value written before it was seen: see
/// [`erased_since`].
pub const ERASURE_DEVICE: Uuid = Uuid::from_u128(1);

/// What an erased participant is called instead of their name (`name` is required).
pub const ERASED_NAME: &str = "Personne effacée";

/// A participant's personal fields (the RGPD's « données à caractère personnel » the
/// server holds; `role` and `position` say what the person is, not who).
pub const PERSONAL_FIELDS: &[&str] = &["name", "phone", "email"];

/// Whether `field` was erased after `base_revision`: a change made by a laptop that had
/// not yet seen the erasure (an edit waiting to be pushed) must not bring the person's
/// data back, neither as the value nor set aside as a conflict every laptop pulls. The
/// field is dropped from the change; the rest of it applies. An edit made after the
/// laptop pulled the erasure is new data and is taken as usual.
fn erased_since(st: &RecordState, field: &str, base_revision: i64) -> bool {
    st.meta
        .get(field)
        .is_some_and(|m| m.device == ERASURE_DEVICE && m.rev > base_revision)
}

/// Whether a participant's personal fields already hold nothing (no name, no phone, no
/// email, none of them set aside): a retention run leaves such records alone.
pub fn is_erased(st: &RecordState) -> bool {
    let blank = |f: &str| match st.fields.get(f) {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => f == "name" && s == ERASED_NAME,
        Some(_) => false,
    };
    PERSONAL_FIELDS.iter().all(|f| blank(f))
        && !st
            .conflicts
            .iter()
            .any(|c| PERSONAL_FIELDS.contains(&c.field.as_str()))
}

/// A participant with their personal data erased, as a new change `seq` made by the
/// server: the name becomes [`ERASED_NAME`], phone and email null, the values set aside
/// on those fields are dropped. A tombstone stays one (its fields are erased too: a
/// tombstone keeps its last fields).
pub fn erased(mut st: RecordState, seq: i64) -> RecordState {
    let me = FieldMeta {
        rev: seq,
        device: ERASURE_DEVICE,
    };
    for f in PERSONAL_FIELDS {
        let value = if *f == "name" {
            Value::String(ERASED_NAME.into())
        } else {
            Value::Null
        };
        st.fields.insert((*f).to_string(), value);
        st.meta.insert((*f).to_string(), me);
    }
    st.conflicts
        .retain(|c| !PERSONAL_FIELDS.contains(&c.field.as_str()));
    st.revision = seq;
    st
}

/// A history entry's `before_fields` (JSON) with the personal fields erased as in
/// [`erased`]; `None` when there was nothing to erase. Unreadable JSON becomes `{}`: it
/// may hold the data and no revert can use it anyway.
pub fn erased_history(before_fields: &str) -> Option<String> {
    let Ok(mut fields) = serde_json::from_str::<Map<String, Value>>(before_fields) else {
        return Some("{}".into());
    };
    let mut changed = false;
    for f in PERSONAL_FIELDS {
        let Some(v) = fields.get_mut(*f) else {
            continue;
        };
        let blank = if *f == "name" {
            Value::String(ERASED_NAME.into())
        } else {
            Value::Null
        };
        if *v != blank {
            *v = blank;
            changed = true;
        }
    }
    changed.then(|| serde_json::to_string(&fields).unwrap_or_else(|_| "{}".into()))
}

/// The first device that wrote a record, from its bookkeeping (for owners of records
/// stored before ownership existed).
pub fn first_device(meta: &StoredMeta) -> Option<Uuid> {
    meta.fields
        .values()
        .chain(meta.base.iter())
        .chain(meta.deleted_by.iter())
        .min_by_key(|m| m.rev)
        .map(|m| m.device)
}

/// A record as pulled: [`RemoteRecord`] on the wire (same fields, same order), with the
/// stored JSON of `fields` and `conflicts` passed through as it is instead of being
/// parsed and written again (a pull page is mostly these two columns).
#[derive(Debug, Clone, Serialize)]
pub struct PulledRecord {
    pub table: String,
    pub record_id: String,
    pub revision: i64,
    pub deleted: bool,
    pub fields: Box<serde_json::value::RawValue>,
    pub conflicts: Box<serde_json::value::RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

/// Whether laptops are told the owner of this table's records: of visits (to show a
/// colleague's as read-only) and of schools (two typed with one UAI are merged, and only
/// the owner's laptop deletes its duplicate).
fn sends_owner(table: &str) -> bool {
    table == "visits" || table == "schools"
}

/// A record as pulled, from its stored columns (the bookkeeping in `meta` is not sent).
/// The stored JSON is checked (an object, an array) without being rebuilt.
pub fn remote_from_columns(
    table: String,
    record_id: String,
    revision: i64,
    deleted: bool,
    fields: &str,
    conflicts: &str,
    owner: Option<String>,
) -> serde_json::Result<PulledRecord> {
    use serde::de::Error as _;
    let with_owner = sends_owner(&table);
    let raw = |text: &str, open: char| {
        if !text.trim_start().starts_with(open) {
            return Err(serde_json::Error::custom(format!(
                "stored JSON is not {}",
                if open == '{' { "an object" } else { "an array" }
            )));
        }
        serde_json::value::RawValue::from_string(text.to_owned())
    };
    Ok(PulledRecord {
        table,
        record_id,
        revision,
        deleted,
        fields: raw(fields, '{')?,
        conflicts: raw(conflicts, '[')?,
        owner: owner.filter(|_| with_owner),
    })
}

impl RecordState {
    pub fn into_remote(self, table: String, record_id: String) -> RemoteRecord {
        let owner = self.owner.filter(|_| sends_owner(&table));
        RemoteRecord {
            owner,
            table,
            record_id,
            revision: self.revision,
            deleted: self.deleted,
            fields: self.fields,
            conflicts: self.conflicts,
        }
    }

    /// The bookkeeping as stored in the `meta` column.
    pub fn stored_meta(&self) -> StoredMetaRef<'_> {
        StoredMetaRef::of(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    proptest! {
        /// The compact bookkeeping reads back as every field's, whatever mix of writers,
        /// fields without bookkeeping and bookkeeping of fields no longer held; the
        /// per-field form written before it reads the same.
        #[test]
        fn stored_meta_reads_back_as_written(
            held in proptest::collection::btree_set(0usize..6, 0..6),
            written in proptest::collection::btree_map(0usize..8, (0i64..3, 0usize..3), 0..8),
            deleted_by in proptest::option::of((0i64..3, 0usize..3)),
        ) {
            let devices = [Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3)];
            let fm = |(rev, d): (i64, usize)| FieldMeta { rev, device: devices[d] };
            let st = RecordState {
                fields: held.iter().map(|i| (format!("f{i}"), json!(i))).collect(),
                meta: written.iter().map(|(i, m)| (format!("f{i}"), fm(*m))).collect(),
                deleted_by: deleted_by.map(fm),
                ..RecordState::default()
            };
            let compact = serde_json::to_string(&st.stored_meta()).expect("json");
            let read: StoredMeta = serde_json::from_str(&compact).expect("read");
            prop_assert_eq!(read.deleted_by, st.deleted_by);
            prop_assert_eq!(read.expand(&st.fields), st.meta.clone());
            let old = json!({"fields": st.meta, "deleted_by": st.deleted_by}).to_string();
            let read: StoredMeta = serde_json::from_str(&old).expect("read old");
            prop_assert_eq!(read.expand(&st.fields), st.meta.clone());
        }
    }

    #[test]
    fn a_record_written_by_one_change_stores_one_writer() {
        let (st, _) = apply(
            None,
            &change(0, json!({"a": 1, "b": 2, "c": 3})),
            Uuid::nil(),
            7,
        );
        let stored = serde_json::to_value(st.stored_meta()).expect("json");
        assert_eq!(
            stored,
            json!({"base": {"rev": 7, "device": Uuid::nil()}, "fields": {}, "deleted_by": null})
        );
    }

    fn change(base: i64, fields: Value) -> Change {
        Change {
            change_id: Uuid::now_v7(),
            table: "visits".into(),
            record_id: "r".into(),
            base_revision: base,
            fields: fields.as_object().cloned().unwrap_or_default(),
            deleted: false,
        }
    }

    #[test]
    fn pulled_records_are_remote_records_on_the_wire() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let (st, _) = apply(None, &change(0, json!({"notes": "x", "n": 2})), a, 1);
        let (st, _) = apply(Some(st), &change(0, json!({"notes": "y"})), b, 2);
        assert_eq!(st.conflicts.len(), 1);
        let expected = st.clone().into_remote("visits".into(), "r".into());
        let pulled = remote_from_columns(
            "visits".into(),
            "r".into(),
            st.revision,
            st.deleted,
            &serde_json::to_string(&st.fields).expect("fields"),
            &serde_json::to_string(&st.conflicts).expect("conflicts"),
            st.owner.clone(),
        )
        .expect("pulled");
        let wire = serde_json::to_string(&pulled).expect("serialise");
        assert_eq!(wire, serde_json::to_string(&expected).expect("serialise"));
        let back: RemoteRecord = serde_json::from_str(&wire).expect("a RemoteRecord");
        assert_eq!(back, expected);
        assert!(remote_from_columns("t".into(), "r".into(), 1, false, "[]", "[]", None).is_err());
        assert!(remote_from_columns("t".into(), "r".into(), 1, false, "{}", "{", None).is_err());
    }

    #[test]
    fn different_fields_merge_and_same_field_conflicts() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let (st, s) = apply(None, &change(0, json!({"notes": "x", "date": "d"})), a, 1);
        assert_eq!(s, AckStatus::Applied);
        // a edits notes, b (who saw revision 1) edits date: both merge.
        let (st, _) = apply(Some(st), &change(1, json!({"notes": "a"})), a, 2);
        let (st, s) = apply(Some(st), &change(1, json!({"date": "b"})), b, 3);
        assert_eq!(s, AckStatus::Applied);
        assert_eq!(st.fields["notes"], "a");
        assert_eq!(st.fields["date"], "b");
        // b edits notes too, based on revision 1: conflict, both kept.
        let (st, s) = apply(Some(st), &change(1, json!({"notes": "b"})), b, 4);
        assert_eq!(s, AckStatus::Conflict);
        assert_eq!(st.fields["notes"], "a");
        assert_eq!(st.conflicts.len(), 1);
        assert_eq!(st.conflicts[0].value, "b");
        // a settles it having seen revision 4.
        let (st, s) = apply(Some(st), &change(4, json!({"notes": "b"})), a, 5);
        assert_eq!(s, AckStatus::Applied);
        assert!(st.conflicts.is_empty());
        assert_eq!(st.revision, 5);
    }

    #[test]
    fn bookkeeping_is_merged_by_rule_never_a_conflict() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let made = json!({"notes": "x", "created_at": "2026-11-01T09:00:00.000Z",
            "updated_at": "2026-11-01T09:00:00.000Z"});
        let (st, _) = apply(None, &change(0, made), a, 1);
        // b re-imported the visit: the whole record again, made later, edited earlier.
        let again = json!({"notes": "x", "created_at": "2026-12-01T10:00:00.000Z",
            "updated_at": "2026-11-20T08:00:00.000+01:00"});
        let (st, s) = apply(Some(st), &change(0, again), b, 2);
        assert_eq!(s, AckStatus::Applied);
        assert!(st.conflicts.is_empty(), "{:?}", st.conflicts);
        assert_eq!(st.fields["created_at"], "2026-11-01T09:00:00.000Z");
        assert_eq!(st.fields["updated_at"], "2026-11-20T08:00:00.000+01:00");
        // An older updated_at (a laptop behind) does not go back in time.
        let behind = json!({"updated_at": "2026-11-02T00:00:00.000Z"});
        let (st, s) = apply(Some(st), &change(0, behind), a, 3);
        assert_eq!(s, AckStatus::Applied);
        assert_eq!(st.fields["updated_at"], "2026-11-20T08:00:00.000+01:00");
        // The same notes sent again claimed nothing; a real edit still conflicts.
        assert_eq!(st.meta["notes"], FieldMeta { rev: 1, device: a });
        let (st, s) = apply(Some(st), &change(0, json!({"notes": "y"})), b, 4);
        assert_eq!(s, AckStatus::Conflict);
        assert_eq!(st.conflicts.len(), 1);
        assert_eq!(st.conflicts[0].field, "notes");
        // Conflicts stored on bookkeeping before this rule are dropped when touched.
        let mut old = st.clone();
        old.conflicts.push(FieldConflict {
            field: "created_at".into(),
            value: json!("2026-12-01T10:00:00.000Z"),
            device_id: b,
            revision: 5,
        });
        let (st, _) = apply(Some(old), &change(5, json!({"n": 1})), b, 6);
        assert!(st.conflicts.iter().all(|c| c.field == "notes"));
        // An edit for a tombstone sets no bookkeeping aside either.
        let mut del = change(6, json!({}));
        del.deleted = true;
        let (st, _) = apply(Some(st), &del, a, 7);
        let late = json!({"updated_at": "2027-01-01T00:00:00.000Z", "notes": "z"});
        let (st, s) = apply(Some(st), &change(3, late), b, 8);
        assert_eq!(s, AckStatus::Conflict);
        assert!(st.conflicts.iter().all(|c| c.field == "notes"));
    }

    #[test]
    fn own_later_edits_never_conflict_and_deletes_are_tombstones() {
        let a = Uuid::now_v7();
        let (st, _) = apply(None, &change(0, json!({"notes": "1"})), a, 1);
        let (st, s) = apply(Some(st), &change(0, json!({"notes": "2"})), a, 2);
        assert_eq!(s, AckStatus::Applied);
        let mut del = change(2, json!({}));
        del.deleted = true;
        let (st, _) = apply(Some(st), &del, a, 3);
        assert!(st.deleted);
        assert_eq!(st.fields["notes"], "2");
        let (st, s) = apply(
            Some(st),
            &change(1, json!({"notes": "3"})),
            Uuid::now_v7(),
            4,
        );
        assert_eq!(s, AckStatus::Conflict);
        assert!(st.deleted);
    }

    #[test]
    fn an_erasure_wins_over_edits_made_before_it_was_seen() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let made = json!({"name": "Marie Curie", "role": "maire", "phone": "0600000000"});
        let (st, _) = apply(None, &change(0, made), a, 1);
        let (st, _) = apply(Some(st), &change(0, json!({"name": "M. Curie"})), b, 2);
        assert_eq!(st.conflicts.len(), 1, "b's name is set aside");
        assert!(!is_erased(&st));
        let st = erased(st, 3);
        assert!(is_erased(&st));
        assert_eq!(st.fields["name"], ERASED_NAME);
        assert_eq!(st.fields["phone"], Value::Null);
        assert!(st.conflicts.is_empty());
        assert_eq!(st.revision, 3);
        // a's edit made before it pulled the erasure: the name and the phone are dropped,
        // not set aside; the role is taken.
        let late = json!({"name": "Marie Curie", "phone": "0611111111", "role": "adjoint"});
        let (st, s) = apply(Some(st), &change(1, late), a, 4);
        assert_eq!(s, AckStatus::Applied);
        assert!(is_erased(&st), "{st:?}");
        assert_eq!(st.fields["role"], "adjoint");
        // Typed after the erasure was pulled: new data, taken.
        let (st, s) = apply(Some(st), &change(4, json!({"name": "Paul Roy"})), a, 5);
        assert_eq!(s, AckStatus::Applied);
        assert_eq!(st.fields["name"], "Paul Roy");
        // The history loses the values too, and says when nothing was left to erase.
        let h = erased_history(r#"{"name":"Marie Curie","email":"m@c.fr","role":"maire"}"#)
            .expect("erased");
        assert!(!h.contains("Curie") && !h.contains("m@c.fr") && h.contains("maire"));
        assert_eq!(erased_history(&h), None);
        assert_eq!(erased_history("not json").as_deref(), Some("{}"));
    }

    #[test]
    fn a_record_made_again_after_its_delete_was_seen_starts_over() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let (st, _) = apply(None, &change(0, json!({"visit_id": "v", "n": 1})), a, 1);
        let mut del = change(1, json!({}));
        del.deleted = true;
        let (st, _) = apply(Some(st), &del, a, 2);
        // B pulled the tombstone (revision 2), then ticked the school again.
        let (st, s) = apply(Some(st), &change(2, json!({"visit_id": "v", "n": 3})), b, 3);
        assert_eq!(s, AckStatus::Applied);
        assert!(!st.deleted);
        assert_eq!(st.fields["n"], 3);
        assert_eq!(st.meta["n"], FieldMeta { rev: 3, device: b });
        assert!(st.conflicts.is_empty());
        // An edit that had not seen the delete still does not bring it back.
        let (st, _) = apply(Some(st), &del, a, 4);
        let (st, s) = apply(Some(st), &change(3, json!({"n": 5})), b, 5);
        assert_eq!(s, AckStatus::Conflict);
        assert!(st.deleted);
    }
}
