//! Settling a field two laptops changed at once, and the sync views the app shows.
//!
//! The server keeps the first value of a field it received and the other one aside; a
//! pull writes both into the store (`sync_conflicts` holds the other value). Resolving
//! writes the chosen value into the record like any local edit (the triggers log it), and
//! logs the field even when the chosen value is already there, so the next push settles
//! the conflict on the server for every laptop; the conflict rows go in the same savepoint.

use rusqlite::types::Value as SqlValue;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use crate::error::{Error, Result};
use crate::store::{now_utc, Store};
use crate::sync_state::{SyncTable, KEY_DEVICE_ID, SYNC_TABLES};

/// `sync_state` key: when the server said this laptop's token was revoked ("" = not).
pub const KEY_REVOKED: &str = "revoked_at";
/// `sync_state` key: the name this laptop gave itself when enrolled.
pub const KEY_DEVICE_NAME: &str = "device_name";

/// What a sync is doing, for the progress shown in the app.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum SyncPhase {
    #[default]
    Idle,
    /// Checking the server can be reached.
    Checking,
    Pushing,
    Pulling,
    Reference,
    Applying,
    /// A request failed; the sync tries again after a pause.
    Retrying,
}

/// The sync state the app shows on every screen: what the store knows (enrollment,
/// changes waiting, conflicts) and, filled in by the app, what the sync is doing now.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SyncStatus {
    pub enrolled: bool,
    pub server_url: Option<String>,
    pub adviser: Option<String>,
    pub device_id: Option<String>,
    pub device_name: Option<String>,
    /// UTC, RFC 3339; `None` before the first complete sync.
    pub last_sync: Option<String>,
    /// Local records changed and not yet acknowledged by the server.
    pub pending: u32,
    /// Pulled records not applicable yet.
    pub waiting: u32,
    pub conflicts: u32,
    /// The server refused this laptop's token: no more sync, local data stays.
    pub revoked: bool,
    pub running: bool,
    pub phase: SyncPhase,
    /// Progress of the current phase: `done` of `total` (`total` 0: unknown).
    pub done: u32,
    pub total: u32,
    /// The last attempt reached the server (`None`: not tried since start).
    pub online: Option<bool>,
    /// French message of the last failed attempt.
    pub last_error: Option<String>,
    /// Grows with each change of what the sync is doing: a state answered by a command
    /// may reach the window after a newer event, and is then ignored.
    pub seq: u32,
}

/// A field in conflict as the app shows it: both values as text, with French labels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SyncConflict {
    pub table: String,
    pub record_id: String,
    pub field: String,
    /// What the record is: « Visite à Péronne du 3 décembre 2026 ».
    pub record_label: String,
    /// The field's French name: « Notes ».
    pub field_label: String,
    /// The value in the store now, as text ("" when empty).
    pub local_text: String,
    /// The value set aside by the server.
    pub other_text: String,
    /// The value set aside was typed on this laptop (the store now holds another one's).
    pub other_is_mine: bool,
    /// The record was deleted here: only the deletion can be kept.
    pub record_deleted: bool,
    /// Identifies the value set aside (several laptops may disagree on one field).
    pub revision: i64,
}

fn unknown_conflict() -> Error {
    Error::invalid(
        "conflict",
        "Ce conflit n'existe plus : il a peut-être déjà été résolu.",
    )
}

fn sync_table(name: &str) -> Option<&'static SyncTable> {
    SYNC_TABLES.iter().find(|t| t.name == name)
}

fn key_parts<'a>(t: &SyncTable, record_id: &'a str) -> Result<Vec<&'a str>> {
    let parts: Vec<&str> = record_id.split('/').collect();
    if parts.len() != t.key.len() || parts.iter().any(|p| p.is_empty()) {
        return Err(unknown_conflict());
    }
    Ok(parts)
}

fn key_where(t: &SyncTable) -> String {
    t.key
        .iter()
        .enumerate()
        .map(|(i, k)| format!("{k} = ?{}", i + 1))
        .collect::<Vec<_>>()
        .join(" AND ")
}

fn columns(conn: &Connection, table: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached("SELECT name FROM pragma_table_info(?1)")?;
    let rows = stmt.query_map([table], |r| r.get::<_, String>(0))?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// One column of a record, `None` when the record is gone.
fn read_field(
    conn: &Connection,
    t: &SyncTable,
    record_id: &str,
    field: &str,
) -> Result<Option<SqlValue>> {
    let keys = key_parts(t, record_id)?;
    let sql = format!("SELECT {field} FROM {} WHERE {}", t.name, key_where(t));
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(rusqlite::params_from_iter(keys.iter()), |r| r.get(0))
        .optional()?)
}

/// Columns holding yes / no as 0 / 1.
const FLAGS: &[&str] = &[
    "public",
    "teacher_computer",
    "mobile_charging",
    "wifi_switchable",
];

/// A value as the adviser reads it.
fn display(field: &str, v: &SqlValue) -> String {
    match v {
        SqlValue::Null => String::new(),
        SqlValue::Integer(i) if field.ends_with("_cents") => crate::format::euros(*i),
        SqlValue::Integer(i) if FLAGS.contains(&field) => {
            if *i == 0 { "non" } else { "oui" }.to_string()
        }
        SqlValue::Integer(i) => i.to_string(),
        SqlValue::Real(f) => f.to_string().replace('.', ","),
        SqlValue::Text(s) if field == "scheduled_at" => date_time_label(s),
        SqlValue::Text(s) => s.clone(),
        SqlValue::Blob(_) => "(données binaires)".to_string(),
    }
}

/// "2026-12-03T18:00" → "3 décembre 2026 à 18 h 00".
fn date_time_label(s: &str) -> String {
    let Some(d) = s
        .get(..10)
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    else {
        return s.to_string();
    };
    match s.get(11..16) {
        Some(t) if t.len() == 5 => format!(
            "{} à {} h {}",
            crate::format::date(d),
            t.get(..2).unwrap_or(""),
            t.get(3..).unwrap_or("")
        ),
        _ => crate::format::date(d),
    }
}

fn table_label(table: &str) -> &'static str {
    match table {
        "schools" => "École",
        "visits" => "Visite",
        "visit_schools" => "École de la visite",
        "participants" => "Participant",
        "pedagogy" => "Projet pédagogique",
        "objectives" => "Objectif",
        "class_situations" => "Classe",
        "school_situations" => "Situation de l'école",
        "scenarios" => "Scénario",
        "equipment_lines" => "Ligne d'équipement",
        "line_objectives" => "Objectif d'une ligne",
        _ => "Fiche",
    }
}

fn field_label(table: &str, field: &str) -> String {
    let label = match (table, field) {
        (_, "commune_insee") => "Commune",
        ("visits", "scheduled_at") => "Date et heure",
        ("visits", "notes") => "Notes",
        (_, "uai") => "UAI",
        ("schools", "name") => "Nom de l'école",
        ("schools", "kind") => "Type d'école",
        ("schools", "public") => "École publique",
        ("schools", "classes") => "Nombre de classes",
        (_, "pupils") => "Nombre d'élèves",
        ("participants", "name") => "Nom",
        ("participants", "role") => "Rôle",
        ("participants", "phone") => "Téléphone",
        ("participants", "email") => "Adresse électronique",
        (_, "position") => "Ordre",
        ("pedagogy", "cycles") => "Cycles",
        ("pedagogy", "uses") => "Usages visés",
        ("pedagogy", "crcn") => "Compétences du CRCN",
        ("pedagogy", "training_needs") => "Besoins de formation",
        ("pedagogy", "ien_status") => "Avis de l'IEN",
        ("pedagogy", "ien_date") => "Date de l'avis de l'IEN",
        ("pedagogy", "ien_comment") => "Commentaire de l'IEN",
        ("objectives", "label") => "Objectif",
        ("class_situations", "name") => "Nom de la classe",
        ("class_situations", "display") => "Affichage",
        ("class_situations", "teacher_computer") => "Ordinateur de l'enseignant",
        ("school_situations", "mobile_devices") => "Équipements mobiles",
        ("school_situations", "mobile_charging") => "Recharge des équipements mobiles",
        ("school_situations", "wifi") => "Wi-Fi",
        ("school_situations", "wifi_switchable") => "Wi-Fi désactivable",
        ("school_situations", "internet") => "Accès à internet",
        ("school_situations", "ent") => "ENT",
        ("scenarios", "title") => "Titre du scénario",
        ("scenarios", "label") => "Lettre du scénario",
        ("equipment_lines", "designation") => "Désignation",
        ("equipment_lines", "quantity") => "Quantité",
        ("equipment_lines", "unit_price_cents") => "Prix unitaire",
        ("equipment_lines", "vat_rate_bp") => "Taux de TVA",
        ("equipment_lines", "class_id") => "Classe",
        ("equipment_lines", "school_id") => "École",
        ("equipment_lines", "reference") => "Référence",
        _ => return field.replace('_', " "),
    };
    label.to_string()
}

/// « Visite à Péronne du 3 décembre 2026 », or `None` when the visit is not here.
fn visit_label(conn: &Connection, visit_id: &str) -> Result<Option<String>> {
    let row: Option<(String, String)> = conn
        .prepare_cached(
            "SELECT c.name, v.scheduled_at FROM visits v
             JOIN communes c ON c.insee = v.commune_insee WHERE v.id = ?1",
        )?
        .query_row([visit_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(row.map(|(commune, at)| {
        let day = at
            .get(..10)
            .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .map(crate::format::date)
            .unwrap_or(at);
        format!("Visite à {commune} du {day}")
    }))
}

fn one_text(conn: &Connection, sql: &str, id: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached(sql)?
        .query_row([id], |r| r.get::<_, Option<String>>(0))
        .optional()?
        .flatten())
}

/// What a record is, in French, for the conflicts list.
fn record_label(conn: &Connection, table: &str, record_id: &str) -> Result<String> {
    let first = record_id.split('/').next().unwrap_or(record_id);
    let base = table_label(table);
    let visit_of = |sql: &str| -> Result<Option<String>> {
        match one_text(conn, sql, first)? {
            Some(visit_id) => visit_label(conn, &visit_id),
            None => Ok(None),
        }
    };
    let label = match table {
        "schools" => one_text(conn, "SELECT name FROM schools WHERE id = ?1", first)?
            .map(|name| format!("École {name}")),
        "visits" => visit_label(conn, first)?,
        "visit_schools" | "pedagogy" | "school_situations" => {
            visit_label(conn, first)?.map(|v| format!("{base} — {v}"))
        }
        "participants" => {
            let name = one_text(conn, "SELECT name FROM participants WHERE id = ?1", first)?;
            let visit = visit_of("SELECT visit_id FROM participants WHERE id = ?1")?;
            match (name, visit) {
                (Some(n), Some(v)) => Some(format!("{n} — {v}")),
                (Some(n), None) => Some(format!("Participant {n}")),
                _ => None,
            }
        }
        "objectives" => visit_of("SELECT visit_id FROM objectives WHERE id = ?1")?
            .map(|v| format!("{base} — {v}")),
        "class_situations" => {
            let name = one_text(
                conn,
                "SELECT name FROM class_situations WHERE id = ?1",
                first,
            )?;
            let visit = visit_of("SELECT visit_id FROM class_situations WHERE id = ?1")?;
            visit.map(|v| format!("Classe {} — {v}", name.unwrap_or_default()))
        }
        "scenarios" => visit_of("SELECT visit_id FROM scenarios WHERE id = ?1")?
            .map(|v| format!("{base} — {v}")),
        "equipment_lines" | "line_objectives" => {
            let visit = visit_of(
                "SELECT s.visit_id FROM equipment_lines l JOIN scenarios s ON s.id = l.scenario_id
                 WHERE l.id = ?1",
            )?;
            visit.map(|v| format!("{base} — {v}"))
        }
        _ => None,
    };
    Ok(label.unwrap_or_else(|| format!("{base} (supprimée sur ce poste)")))
}

impl Store {
    /// The sync state the store knows; the app adds what the running sync is doing.
    pub fn sync_status(&self) -> Result<SyncStatus> {
        let o = self.sync_overview()?;
        let revoked = self.sync_get(KEY_REVOKED)?.is_some_and(|v| !v.is_empty());
        Ok(SyncStatus {
            enrolled: o.server_url.is_some(),
            server_url: o.server_url,
            adviser: o.adviser,
            device_id: o.device_id,
            device_name: self.sync_get(KEY_DEVICE_NAME)?,
            last_sync: o.last_sync,
            pending: o.pending,
            waiting: o.waiting,
            conflicts: o.conflicts,
            revoked,
            ..SyncStatus::default()
        })
    }

    /// Records that the server revoked this laptop (`false`: a new enrollment).
    pub fn sync_set_revoked(&mut self, revoked: bool) -> Result<()> {
        let value = if revoked { now_utc() } else { String::new() };
        self.sync_set(KEY_REVOKED, &value)
    }

    /// The fields in conflict, labelled for the adviser.
    pub fn sync_conflict_list(&self) -> Result<Vec<SyncConflict>> {
        let me = self.sync_get(KEY_DEVICE_ID)?;
        let mut out = Vec::new();
        for c in self.sync_conflicts()? {
            let Some(t) = sync_table(&c.table) else {
                continue;
            };
            let local = read_field(&self.conn, t, &c.record_id, &c.field).unwrap_or(None);
            out.push(SyncConflict {
                record_label: record_label(&self.conn, &c.table, &c.record_id)?,
                field_label: field_label(&c.table, &c.field),
                local_text: local
                    .as_ref()
                    .map(|v| display(&c.field, v))
                    .unwrap_or_default(),
                other_text: display(&c.field, &crate::sync_state::to_sql(&c.other_value)),
                other_is_mine: me.as_deref() == Some(c.device_id.as_str()),
                record_deleted: local.is_none(),
                table: c.table,
                record_id: c.record_id,
                field: c.field,
                revision: c.revision,
            });
        }
        Ok(out)
    }

    /// Settles a field in conflict: `keep_remote` writes the value set aside (identified
    /// by `revision`), else the value in the store stays. Either way the field becomes a
    /// local change (so the server and the other laptops get the choice at the next sync)
    /// and every conflict row of the field goes, in one savepoint.
    pub fn sync_conflict_resolve(
        &mut self,
        table: &str,
        record_id: &str,
        field: &str,
        revision: i64,
        keep_remote: bool,
    ) -> Result<()> {
        let t = sync_table(table).ok_or_else(unknown_conflict)?;
        let keys = key_parts(t, record_id)?;
        let cols = columns(&self.conn, t.name)?;
        if !cols.iter().any(|c| c == field) || t.key.contains(&field) {
            return Err(unknown_conflict());
        }
        let other: Option<String> = self
            .conn
            .prepare_cached(
                "SELECT value FROM sync_conflicts
                 WHERE tbl = ?1 AND record_id = ?2 AND field = ?3 AND revision = ?4",
            )?
            .query_row(params![table, record_id, field, revision], |r| r.get(0))
            .optional()?;
        let other = other.ok_or_else(unknown_conflict)?;
        let exists = self
            .conn
            .prepare_cached(&format!("SELECT 1 FROM {} WHERE {}", t.name, key_where(t)))?
            .exists(rusqlite::params_from_iter(keys.iter()))?;
        // The value set aside goes through the checks a typed one does, before anything
        // is written: refused, the conflict stays as it was.
        let chosen = match (exists, keep_remote) {
            (true, true) => Some(self.check_chosen_value(
                t.name,
                record_id,
                field,
                &serde_json::from_str::<Value>(&other).unwrap_or(Value::String(other.clone())),
            )?),
            _ => None,
        };
        let sp = self.conn.savepoint()?;
        if exists {
            if let Some(chosen) = chosen {
                let sql = format!(
                    "UPDATE {} SET {field} = ?{} WHERE {}",
                    t.name,
                    t.key.len() + 1,
                    key_where(t)
                );
                let mut values: Vec<SqlValue> =
                    keys.iter().map(|k| SqlValue::Text(k.to_string())).collect();
                values.push(chosen);
                sp.prepare_cached(&sql)?
                    .execute(rusqlite::params_from_iter(values))?;
            }
            // The choice is a change even when the value was already there.
            sp.execute("UPDATE sync_log_seq SET last = last + 1", [])?;
            sp.prepare_cached(
                "INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
                 SELECT ?1, ?2, ?3, last FROM sync_log_seq",
            )?
            .execute(params![table, record_id, field])?;
        } else if keep_remote {
            return Err(Error::invalid(
                "conflict",
                "Cette fiche a été supprimée sur ce poste : la valeur de l'autre poste ne peut \
                 plus y être reprise.",
            ));
        }
        sp.prepare_cached(
            "DELETE FROM sync_conflicts WHERE tbl = ?1 AND record_id = ?2 AND field = ?3",
        )?
        .execute(params![table, record_id, field])?;
        sp.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_as_the_adviser_writes_them() {
        assert_eq!(display("notes", &SqlValue::Null), "");
        assert_eq!(display("public", &SqlValue::Integer(1)), "oui");
        assert_eq!(
            display("unit_price_cents", &SqlValue::Integer(123_456)),
            "1\u{202f}234,56\u{a0}€"
        );
        assert_eq!(
            display("scheduled_at", &SqlValue::Text("2026-12-03T18:00".into())),
            "3 décembre 2026 à 18 h 00"
        );
        assert_eq!(field_label("visits", "notes"), "Notes");
        assert_eq!(field_label("visits", "odd_field"), "odd field");
    }
}
