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

use preau_protocol::{Ack, AckStatus, Change, FieldConflict, RemoteRecord};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

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
}

/// The stored JSON of the bookkeeping columns.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct StoredMeta {
    #[serde(default)]
    pub fields: BTreeMap<String, FieldMeta>,
    #[serde(default)]
    pub deleted_by: Option<FieldMeta>,
}

/// Applies `change` made by `device`, given sequence number `seq`, to `state` (None: the
/// record is new to the server).
pub fn apply(
    state: Option<RecordState>,
    change: &Change,
    device: Uuid,
    seq: i64,
) -> (RecordState, AckStatus) {
    let mut st = state.unwrap_or_default();
    let me = FieldMeta { rev: seq, device };
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
            if Bookkeeping::of(field).is_none() && st.fields.get(field) != Some(value) {
                st.conflicts.push(FieldConflict {
                    field: field.clone(),
                    value: value.clone(),
                    device_id: device,
                    revision: seq,
                });
                status = AckStatus::Conflict;
            }
        }
        st.revision = seq;
        return (st, status);
    }

    for (field, value) in &change.fields {
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
            st.conflicts.push(FieldConflict {
                field: field.clone(),
                value: value.clone(),
                device_id: device,
                revision: seq,
            });
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

/// What a batch does to the store, computed in memory by [`apply_batch`].
#[derive(Debug, Default)]
pub struct BatchOutcome {
    pub acks: Vec<Ack>,
    /// The final state of every record the batch touched, keyed by (table, record id).
    pub records: HashMap<(String, String), RecordState>,
    /// New change ids with their sequence number and status, to remember.
    pub seen: Vec<(Uuid, i64, AckStatus)>,
    /// The last sequence number used.
    pub last_seq: i64,
}

/// Applies a batch in order. `already_seen` holds the change ids the store knew before
/// (with their sequence number); `load` gives the stored state of a record.
pub fn apply_batch<E>(
    changes: &[Change],
    device: Uuid,
    last_seq: i64,
    already_seen: &HashMap<Uuid, i64>,
    mut load: impl FnMut(&str, &str) -> Result<Option<RecordState>, E>,
) -> Result<BatchOutcome, E> {
    let mut out = BatchOutcome {
        last_seq,
        ..BatchOutcome::default()
    };
    let mut in_batch: HashMap<Uuid, i64> = HashMap::new();
    for ch in changes {
        if let Some(rev) = already_seen
            .get(&ch.change_id)
            .or_else(|| in_batch.get(&ch.change_id))
        {
            out.acks.push(Ack {
                change_id: ch.change_id,
                status: AckStatus::Duplicate,
                revision: *rev,
            });
            continue;
        }
        out.last_seq += 1;
        let seq = out.last_seq;
        let key = (ch.table.clone(), ch.record_id.clone());
        let state = match out.records.remove(&key) {
            Some(st) => Some(st),
            None => load(&ch.table, &ch.record_id)?,
        };
        let (state, status) = apply(state, ch, device, seq);
        out.records.insert(key, state);
        in_batch.insert(ch.change_id, seq);
        out.seen.push((ch.change_id, seq, status));
        out.acks.push(Ack {
            change_id: ch.change_id,
            status,
            revision: seq,
        });
    }
    Ok(out)
}

pub fn status_str(s: AckStatus) -> &'static str {
    match s {
        AckStatus::Applied => "applied",
        AckStatus::Conflict => "conflict",
        AckStatus::Duplicate => "duplicate",
    }
}

/// Builds a state from its stored columns.
pub fn state_from_columns(
    revision: i64,
    deleted: bool,
    fields: &str,
    meta: &str,
    conflicts: &str,
) -> serde_json::Result<RecordState> {
    let meta: StoredMeta = serde_json::from_str(meta)?;
    Ok(RecordState {
        revision,
        deleted,
        deleted_by: meta.deleted_by,
        fields: serde_json::from_str(fields)?,
        meta: meta.fields,
        conflicts: serde_json::from_str(conflicts)?,
    })
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
) -> serde_json::Result<PulledRecord> {
    use serde::de::Error as _;
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
    })
}

impl RecordState {
    pub fn into_remote(self, table: String, record_id: String) -> RemoteRecord {
        RemoteRecord {
            table,
            record_id,
            revision: self.revision,
            deleted: self.deleted,
            fields: self.fields,
            conflicts: self.conflicts,
        }
    }

    /// The bookkeeping as stored in the `meta` column.
    pub fn stored_meta(&self) -> StoredMeta {
        StoredMeta {
            fields: self.meta.clone(),
            deleted_by: self.deleted_by,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
        )
        .expect("pulled");
        let wire = serde_json::to_string(&pulled).expect("serialise");
        assert_eq!(wire, serde_json::to_string(&expected).expect("serialise"));
        let back: RemoteRecord = serde_json::from_str(&wire).expect("a RemoteRecord");
        assert_eq!(back, expected);
        assert!(remote_from_columns("t".into(), "r".into(), 1, false, "[]", "[]").is_err());
        assert!(remote_from_columns("t".into(), "r".into(), 1, false, "{}", "{").is_err());
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
