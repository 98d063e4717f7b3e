//! The admin subcommands' work, on the same storage as `serve`.

use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::auth::{code_hash, new_code};
use crate::error::{Error, Result};
use crate::merge;
use crate::reference::{self, Published, ReferenceKind};
use crate::storage::{Device, HistoryEntry, ParticipantRecord, ProposalSnapshot, Storage};

/// How long an enrollment code stays valid.
pub const CODE_VALIDITY_HOURS: i64 = 72;

/// Creates a one-time enrollment code for `adviser`; returns it with its expiry.
pub async fn create_enrollment(
    storage: &dyn Storage,
    adviser: &str,
) -> Result<(String, DateTime<Utc>)> {
    let adviser = adviser.trim();
    if adviser.is_empty() || adviser.chars().count() > 100 {
        return Err(Error::Reference(
            "adviser name must be 1 to 100 characters".into(),
        ));
    }
    let code = new_code()?;
    let expires_at = Utc::now() + Duration::hours(CODE_VALIDITY_HOURS);
    storage
        .create_enrollment(&code_hash(&code), adviser, expires_at)
        .await?;
    Ok((code, expires_at))
}

pub async fn list_devices(storage: &dyn Storage) -> Result<Vec<Device>> {
    storage.devices().await
}

pub async fn revoke(storage: &dyn Storage, id: Uuid) -> Result<bool> {
    storage.revoke(id, Utc::now()).await
}

/// An instant given on the command line: RFC 3339 (`2026-12-07T09:30:00Z`), or a day
/// (`2026-12-07`, from midnight UTC), or a day and a time (`2026-12-07 09:30`, UTC).
pub fn parse_since(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M") {
        return Some(t.and_utc());
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

/// Undoes what one device changed since `since` (a stolen laptop's vandalism): every
/// record it touched goes back to its state before the device's first change, for every
/// laptop at its next sync. Returns how many records were put back.
pub async fn revert_device(
    storage: &dyn Storage,
    device: Uuid,
    since: DateTime<Utc>,
) -> Result<u64> {
    storage.revert_device(device, since).await
}

/// Removes a record for good (a bad record no laptop can apply). `false`: none such.
pub async fn purge_record(storage: &dyn Storage, table: &str, record_id: &str) -> Result<bool> {
    if preau_protocol::schema::table(table).is_none() {
        return Err(Error::Reference(format!("{table:?} is not a synced table")));
    }
    storage.purge_record(table, record_id).await
}

/// Gives a visit, and everything under it, to another adviser. `0`: no such visit.
pub async fn hand_over(storage: &dyn Storage, visit_id: Uuid, adviser: &str) -> Result<u64> {
    let adviser = adviser.trim();
    if adviser.is_empty() || adviser.chars().count() > 100 {
        return Err(Error::Reference(
            "adviser name must be 1 to 100 characters".into(),
        ));
    }
    storage.hand_over(&visit_id.to_string(), adviser).await
}

/// One person whose data is asked for (`people export|erase`). A participant record is
/// theirs when its name folds to the same words (case, accents, hyphens and punctuation
/// aside: « Jean-Paul Hérault » is « jean paul herault »), or its email is the same (case
/// aside), or its phone has the same digits (« 06 12 34 56 78 », « +33 6 12 34 56 78 »).
/// Values set aside on the record (another laptop's spelling) count too.
#[derive(Debug, Clone, Default)]
pub struct Person {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

fn fold_email(s: &str) -> String {
    s.trim().to_lowercase()
}

/// The digits of a phone number, a French international prefix as the national 0.
fn fold_phone(s: &str) -> String {
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    let international = if s.trim_start().starts_with('+') {
        digits.strip_prefix("33")
    } else {
        digits.strip_prefix("0033")
    };
    match international {
        Some(rest) => format!("0{rest}"),
        None => digits,
    }
}

impl Person {
    /// Refuses a request that would match nothing or everything.
    fn check(&self) -> Result<()> {
        if preau_reference::text::fold_plain(&self.name).is_empty() {
            return Err(Error::Reference("the name must hold letters".into()));
        }
        if self
            .email
            .as_deref()
            .is_some_and(|e| fold_email(e).is_empty())
            || self
                .phone
                .as_deref()
                .is_some_and(|p| fold_phone(p).is_empty())
        {
            return Err(Error::Reference("empty email or phone".into()));
        }
        Ok(())
    }

    /// Whether one value of a participant's field is this person's.
    fn value_matches(&self, field: &str, value: &serde_json::Value) -> bool {
        let Some(v) = value.as_str() else {
            return false;
        };
        match field {
            "name" => {
                let v = preau_reference::text::fold_plain(v);
                !v.is_empty() && v == preau_reference::text::fold_plain(&self.name)
            }
            "email" => self
                .email
                .as_deref()
                .is_some_and(|e| !v.trim().is_empty() && fold_email(v) == fold_email(e)),
            "phone" => self
                .phone
                .as_deref()
                .is_some_and(|p| !fold_phone(v).is_empty() && fold_phone(v) == fold_phone(p)),
            _ => false,
        }
    }

    /// Where a proposal's snapshot (JSON text) names this person: the path and value of
    /// each of its strings that is their name, email or phone as [`Person::matches`]
    /// compares them. Only these go into an export: the rest of the snapshot names other
    /// people.
    pub fn mentions(&self, snapshot: &str) -> Vec<(String, serde_json::Value)> {
        fn walk<'a>(
            v: &'a serde_json::Value,
            path: String,
            out: &mut Vec<(String, &'a serde_json::Value)>,
        ) {
            match v {
                serde_json::Value::String(_) => out.push((path, v)),
                serde_json::Value::Array(a) => {
                    for (i, v) in a.iter().enumerate() {
                        walk(v, format!("{path}[{i}]"), out);
                    }
                }
                serde_json::Value::Object(o) => {
                    for (k, v) in o {
                        let p = if path.is_empty() {
                            k.clone()
                        } else {
                            format!("{path}.{k}")
                        };
                        walk(v, p, out);
                    }
                }
                _ => {}
            }
        }
        let parsed = serde_json::from_str(snapshot)
            .unwrap_or_else(|_| serde_json::Value::String(snapshot.to_string()));
        let mut strings = Vec::new();
        walk(&parsed, String::new(), &mut strings);
        let mut found: Vec<(String, serde_json::Value)> = strings
            .into_iter()
            .filter(|(_, v)| {
                merge::PERSONAL_FIELDS
                    .iter()
                    .any(|f| self.value_matches(f, v))
            })
            .map(|(p, v)| (p, v.clone()))
            .collect();
        // In path order, whatever order the JSON object kept.
        found.sort_by(|a, b| a.0.cmp(&b.0));
        found
    }

    /// Which of a record's values are this person's: `name`, `email`, `phone`, or
    /// `set_aside.name`… for a value set aside. What the admin checks before sending an
    /// export or erasing (a mairie's shared email also names its other staff).
    pub fn matched_on(&self, p: &ParticipantRecord) -> Vec<String> {
        let mut on = Vec::new();
        for f in merge::PERSONAL_FIELDS {
            if p.fields.get(*f).is_some_and(|v| self.value_matches(f, v)) {
                on.push((*f).to_string());
            }
        }
        for f in merge::PERSONAL_FIELDS {
            if p.conflicts
                .iter()
                .any(|c| c.field == *f && self.value_matches(f, &c.value))
            {
                on.push(format!("set_aside.{f}"));
            }
        }
        on
    }

    pub fn matches(&self, p: &ParticipantRecord) -> bool {
        !self.matched_on(p).is_empty()
    }

    /// This person's values in a history entry's state (JSON), by field.
    fn in_history(&self, before_fields: &str) -> serde_json::Map<String, serde_json::Value> {
        let Ok(fields) =
            serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(before_fields)
        else {
            return serde_json::Map::new();
        };
        fields
            .into_iter()
            .filter(|(f, v)| {
                merge::PERSONAL_FIELDS.contains(&f.as_str()) && self.value_matches(f, v)
            })
            .collect()
    }
}

/// The history entries naming `person` on records they are no longer the participant of
/// (`skip`: the records found as theirs, whose whole history an erasure cleans anyway),
/// with the values that are theirs.
pub async fn history_naming(
    storage: &dyn Storage,
    person: &Person,
    skip: &std::collections::HashSet<&str>,
) -> Result<Vec<(HistoryEntry, serde_json::Map<String, serde_json::Value>)>> {
    person.check()?;
    Ok(storage
        .participant_history()
        .await?
        .into_iter()
        .filter(|h| !skip.contains(h.record_id.as_str()))
        .filter_map(|h| {
            let values = person.in_history(&h.before_fields);
            (!values.is_empty()).then_some((h, values))
        })
        .collect())
}

/// The participant records of `person`, in record id order.
pub async fn find_person(storage: &dyn Storage, person: &Person) -> Result<Vec<ParticipantRecord>> {
    person.check()?;
    let mut found = storage.participants().await?;
    found.retain(|p| person.matches(p));
    Ok(found)
}

/// The proposals whose snapshot names `person` (issued ones: immutable, kept by
/// `people erase`).
pub async fn proposals_naming(
    storage: &dyn Storage,
    person: &Person,
) -> Result<Vec<ProposalSnapshot>> {
    person.check()?;
    let mut found = storage.proposal_snapshots().await?;
    found.retain(|p| {
        p.snapshot
            .as_deref()
            .is_some_and(|s| !person.mentions(s).is_empty())
    });
    Ok(found)
}

/// What `people export` writes: every participant record of `person` with its visit's
/// commune and date, the values set aside on it, and whether the record was deleted (the
/// server keeps a deleted record's last fields); and the proposals naming them.
pub async fn export_person(storage: &dyn Storage, person: &Person) -> Result<serde_json::Value> {
    let found = find_person(storage, person).await?;
    let skip = found.iter().map(|p| p.record_id.as_str()).collect();
    let history = history_naming(storage, person, &skip).await?;
    let proposals = proposals_naming(storage, person).await?;
    tracing::info!(
        records = found.len(),
        history = history.len(),
        proposals = proposals.len(),
        "personal data exported"
    );
    Ok(serde_json::json!({
        "exported_at": crate::storage::ts(Utc::now()),
        "request": {"name": person.name, "email": person.email, "phone": person.phone},
        "records": found.iter().map(|p| export_record(person, p)).collect::<Vec<_>>(),
        // Former values on records now about someone else: only the person's own.
        "history": history.iter().map(|(h, values)| serde_json::json!({
            "table": "participants",
            "record_id": h.record_id,
            "replaced_at": h.at,
            "values": values,
        })).collect::<Vec<_>>(),
        "proposals": proposals.iter().map(|p| serde_json::json!({
            "table": "proposals",
            "record_id": p.record_id,
            "deleted": p.deleted,
            "number": p.number,
            "visit_id": p.visit_id,
            "mentions": p.snapshot.as_deref().map(|s| person.mentions(s)).unwrap_or_default()
                .into_iter()
                .map(|(path, value)| serde_json::json!({"path": path, "value": value}))
                .collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    }))
}

fn export_record(person: &Person, p: &ParticipantRecord) -> serde_json::Value {
    let field = |f: &str| p.fields.get(f).cloned().unwrap_or(serde_json::Value::Null);
    serde_json::json!({
        "table": "participants",
        "record_id": p.record_id,
        "matched_on": person.matched_on(p),
        "deleted": p.deleted,
        "name": field("name"),
        "role": field("role"),
        "phone": field("phone"),
        "email": field("email"),
        "visit": {
            "id": p.visit_id,
            "commune_insee": p.commune_insee,
            "scheduled_at": p.scheduled_at,
            "adviser": p.owner,
        },
        "set_aside": p.conflicts.iter()
            .filter(|c| merge::PERSONAL_FIELDS.contains(&c.field.as_str()))
            .map(|c| serde_json::json!({"field": c.field, "value": c.value}))
            .collect::<Vec<_>>(),
    })
}

/// What `people erase` did.
#[derive(Debug, Clone, PartialEq)]
pub struct Erased {
    /// The person's records as they were (for the admin's confirmation).
    pub records: Vec<ParticipantRecord>,
    /// How many of them changed (the others were already erased).
    pub changed: u64,
    /// History entries of other records cleaned of the person's former values.
    pub history: u64,
}

/// Erases the personal data of `person`'s participant records, for every laptop at its
/// next sync (see `Storage::erase_participants`), and their former values from the
/// history of records now about someone else.
pub async fn erase_person(storage: &dyn Storage, person: &Person) -> Result<Erased> {
    let records = find_person(storage, person).await?;
    let history = {
        let skip = records.iter().map(|p| p.record_id.as_str()).collect();
        history_naming(storage, person, &skip).await?
    };
    let ids = records.iter().map(|p| p.record_id.clone()).collect();
    let changed = storage.erase_participants(ids).await?;
    let history = if history.is_empty() {
        0
    } else {
        let ids = history.into_iter().map(|(h, _)| h.change_id).collect();
        storage.erase_history(ids).await?
    };
    Ok(Erased {
        records,
        changed,
        history,
    })
}

/// A retention period: `3y` (years), `18m` (months) or `400d` (days).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retention {
    Years(u32),
    Months(u32),
    Days(u32),
}

impl Retention {
    pub fn parse(text: &str) -> Option<Retention> {
        let text = text.trim();
        let unit = text.chars().last()?;
        let n: u32 = text[..text.len() - unit.len_utf8()].trim().parse().ok()?;
        match (n, unit) {
            (0, _) => None,
            (n, 'y' | 'a') => Some(Retention::Years(n)),
            (n, 'm') => Some(Retention::Months(n)),
            (n, 'd' | 'j') => Some(Retention::Days(n)),
            _ => None,
        }
    }

    /// The first day still kept: visits scheduled before it are past the period.
    pub fn cutoff(self, today: chrono::NaiveDate) -> Option<chrono::NaiveDate> {
        match self {
            Retention::Years(n) => {
                today.checked_sub_months(chrono::Months::new(n.checked_mul(12)?))
            }
            Retention::Months(n) => today.checked_sub_months(chrono::Months::new(n)),
            Retention::Days(n) => today.checked_sub_days(chrono::Days::new(u64::from(n))),
        }
    }
}

/// The day of a visit's `scheduled_at` (`2026-12-03T18:00`, RFC 3339, or a bare date).
fn visit_day(scheduled_at: &str) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(scheduled_at.get(..10)?, "%Y-%m-%d").ok()
}

/// The participant records of visits scheduled before `cutoff` that still hold personal
/// data. Participants whose visit is unknown or has no readable date are left out.
pub async fn past_retention(
    storage: &dyn Storage,
    cutoff: chrono::NaiveDate,
) -> Result<Vec<ParticipantRecord>> {
    let mut found = storage.participants().await?;
    let holds_data = |p: &ParticipantRecord| {
        !merge::is_erased(&merge::RecordState {
            fields: p.fields.clone(),
            conflicts: p.conflicts.clone(),
            ..merge::RecordState::default()
        })
    };
    let undated = found
        .iter()
        .filter(|p| p.scheduled_at.as_deref().and_then(visit_day).is_none() && holds_data(p))
        .count();
    if undated > 0 {
        // Kept: without a date the period cannot be judged (a visit purged, a bad date).
        // `people erase` reaches them by name.
        tracing::warn!(
            participants = undated,
            "participants without a readable visit date are not anonymised by retention"
        );
    }
    found.retain(|p| {
        let old = p
            .scheduled_at
            .as_deref()
            .and_then(visit_day)
            .is_some_and(|d| d < cutoff);
        old && holds_data(p)
    });
    Ok(found)
}

/// Anonymises the participants of visits scheduled before `cutoff`, as `people erase`
/// does (the retention period). Returns how many records changed.
pub async fn anonymise_before(storage: &dyn Storage, cutoff: chrono::NaiveDate) -> Result<u64> {
    let found = past_retention(storage, cutoff).await?;
    if found.is_empty() {
        return Ok(0);
    }
    let ids = found.into_iter().map(|p| p.record_id).collect();
    let n = storage.erase_participants(ids).await?;
    tracing::info!(records = n, cutoff = %cutoff, "participants past the retention period anonymised");
    Ok(n)
}

/// `preau-server import KIND FILE`: checks the file as the Référentiel page does and
/// publishes it (the same [`reference::prepare`] and [`reference::publish`]).
pub async fn import_reference(
    storage: &dyn Storage,
    kind: ReferenceKind,
    path: &Path,
) -> Result<Published> {
    let file = std::fs::read(path)?;
    let prepared = reference::prepare(kind, &file)?;
    reference::publish(storage, &prepared).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(name: &str, phone: Option<&str>, email: Option<&str>) -> ParticipantRecord {
        let mut fields = serde_json::Map::new();
        fields.insert("name".into(), name.into());
        fields.insert("phone".into(), phone.into());
        fields.insert("email".into(), email.into());
        ParticipantRecord {
            record_id: "p".into(),
            deleted: false,
            fields,
            conflicts: Vec::new(),
            owner: None,
            visit_id: None,
            commune_insee: None,
            scheduled_at: None,
        }
    }

    #[test]
    fn a_person_is_matched_on_folded_name_or_exact_email_or_phone() {
        let person = Person {
            name: "Jean-Paul Hérault".into(),
            email: Some("JP.Herault@Mairie.fr".into()),
            phone: Some("+33 6 12 34 56 78".into()),
        };
        assert!(person.check().is_ok());
        assert!(person.matches(&record("jean paul HERAULT", None, None)));
        assert!(person.matches(&record("X", None, Some("jp.herault@mairie.fr "))));
        assert!(person.matches(&record("X", Some("06.12.34.56.78"), None)));
        assert!(!person.matches(&record("Jean-Paul Hérault-Roy", None, None)));
        assert!(!person.matches(&record("X", Some("06 12 34 56 79"), Some("jp@mairie.fr"))));
        let mut aside = record("X", None, None);
        aside.conflicts.push(preau_protocol::FieldConflict {
            field: "name".into(),
            value: "Jean Paul Herault".into(),
            device_id: uuid::Uuid::nil(),
            revision: 2,
        });
        assert!(person.matches(&aside));
        let snapshot = r#"{"recipient":{"mayor_name":"Jean Paul HERAULT"},
            "participants":[{"name":"Autre","role":"Maire"},{"name":"jean-paul hérault"}]}"#;
        assert_eq!(
            person.mentions(snapshot),
            [
                (
                    "participants[1].name".to_string(),
                    "jean-paul hérault".into()
                ),
                (
                    "recipient.mayor_name".to_string(),
                    "Jean Paul HERAULT".into()
                )
            ]
        );
        assert!(person
            .mentions(r#"{"participants":[{"name":"Paul Hérault"}]}"#)
            .is_empty());
        assert_eq!(
            person.mentions("Jean-Paul Hérault").len(),
            1,
            "not JSON: one text"
        );
        let by_name = Person {
            name: "Hérault".into(),
            ..Person::default()
        };
        assert!(!by_name.matches(&record("Jean-Paul Hérault", Some(""), Some(""))));
        assert!(Person::default().check().is_err());
        assert!(Person {
            name: " - ".into(),
            ..Person::default()
        }
        .check()
        .is_err());
    }

    #[test]
    fn retention_periods_and_visit_days() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 7).expect("date");
        let day = |s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
        assert_eq!(Retention::parse("3y"), Some(Retention::Years(3)));
        assert_eq!(Retention::parse("18m"), Some(Retention::Months(18)));
        assert_eq!(Retention::parse(" 400d "), Some(Retention::Days(400)));
        for bad in ["", "3", "y", "0y", "-1y", "3w", "3 ans"] {
            assert_eq!(Retention::parse(bad), None, "{bad}");
        }
        assert_eq!(Retention::Years(3).cutoff(today), Some(day("2023-12-07")));
        assert_eq!(Retention::Months(18).cutoff(today), Some(day("2025-06-07")));
        assert_eq!(Retention::Days(7).cutoff(today), Some(day("2026-11-30")));
        assert_eq!(visit_day("2023-12-03T18:00"), Some(day("2023-12-03")));
        assert_eq!(
            visit_day("2023-12-03T18:00:00+01:00"),
            Some(day("2023-12-03"))
        );
        assert_eq!(visit_day("bientôt"), None);
    }
}
