//! Visits to a commune: when, which schools, who sat at the table, notes.
//! Every write is one transaction, validated before anything is written.

use chrono::NaiveDateTime;
use rusqlite::{params, OptionalExtension, Row};

use crate::error::{Error, Result};
use crate::model::{
    Home, Participant, Role, SchoolStatus, SyncState, Visit, VisitPatch, VisitSummary,
};
use crate::store::{new_id, now_utc, Store};
use crate::validate;

/// How a visit's appointment is written: the form the protocol checks on every laptop's
/// push and pull ([`preau_protocol::schema::ColumnType::LocalDateTime`]).
pub(crate) const DATE_FORMAT: &str = preau_protocol::schema::LOCAL_DATE_TIME;
const MAX_NOTES: usize = 50_000;
const HOME_LIMIT: u32 = 8;

const SUMMARY_SELECT: &str = "SELECT v.id, v.commune_insee, c.name, v.scheduled_at,
       (SELECT count(*) FROM participants p WHERE p.visit_id = v.id),
       (SELECT group_concat(name, char(31)) FROM (SELECT s.name FROM visit_schools vs
          JOIN schools s ON s.id = vs.school_id WHERE vs.visit_id = v.id ORDER BY s.name))
     FROM visits v JOIN communes c ON c.insee = v.commune_insee";

fn parse_stored_date(s: &str) -> rusqlite::Result<NaiveDateTime> {
    NaiveDateTime::parse_from_str(s, DATE_FORMAT).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn summary_from_row(r: &Row<'_>) -> rusqlite::Result<VisitSummary> {
    let date: String = r.get(3)?;
    let schools: Option<String> = r.get(5)?;
    Ok(VisitSummary {
        id: r.get(0)?,
        commune_insee: r.get(1)?,
        commune_name: r.get(2)?,
        scheduled_at: parse_stored_date(&date)?,
        participant_count: r.get(4)?,
        school_names: schools
            .map(|s| s.split('\u{1f}').map(str::to_string).collect())
            .unwrap_or_default(),
    })
}

fn participant_from_row(r: &Row<'_>) -> rusqlite::Result<Participant> {
    let role: String = r.get(2)?;
    Ok(Participant {
        id: r.get(0)?,
        name: r.get(1)?,
        role: Role::parse(&role).unwrap_or(Role::Syndicat),
        phone: r.get(3)?,
        email: r.get(4)?,
    })
}

// The checks of one field, shared by the edit path and a value chosen in a sync
// conflict (`sync/rules.rs`), so both refuse the same values with the same message.

pub(crate) fn check_notes(notes: &str) -> Result<()> {
    if notes.chars().count() > MAX_NOTES {
        return Err(Error::invalid(
            "notes",
            format!("Les notes sont trop longues ({MAX_NOTES} caractères au plus)."),
        ));
    }
    Ok(())
}

pub(crate) fn participant_name(name: &str) -> Result<String> {
    validate::required_text("name", "Le nom", name, 120)
}

/// Bumps the visit's modification time (the sync triggers log the change itself).
pub(crate) fn touch(tx: &rusqlite::Connection, visit_id: &str) -> Result<()> {
    tx.execute(
        "UPDATE visits SET updated_at = ?2 WHERE id = ?1",
        params![visit_id, now_utc()],
    )?;
    Ok(())
}

impl Store {
    pub fn visit_create(&mut self, commune_insee: &str, scheduled_at: &str) -> Result<Visit> {
        let when = validate::date_time("scheduled_at", scheduled_at)?;
        let commune = self.commune(commune_insee).map_err(|_| {
            Error::invalid("commune_insee", "Commune inconnue dans le département.")
        })?;
        let id = new_id();
        let now = now_utc();
        let tx = self.conn.savepoint()?;
        tx.execute(
            "INSERT INTO visits (id, commune_insee, scheduled_at, notes, created_at, updated_at)
             VALUES (?1, ?2, ?3, '', ?4, ?4)",
            params![id, commune.insee, when.format(DATE_FORMAT).to_string(), now],
        )?;
        tx.commit()?;
        self.visit(&id)
    }

    pub fn visit(&self, id: &str) -> Result<Visit> {
        let not_found = || Error::NotFound {
            what: "visit",
            id: id.to_string(),
        };
        let (commune_insee, commune_name, date, notes): (String, String, String, String) = self
            .cached_row(
                "SELECT v.commune_insee, c.name, v.scheduled_at, v.notes
                 FROM visits v JOIN communes c ON c.insee = v.commune_insee WHERE v.id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?
            .ok_or_else(not_found)?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT school_id FROM visit_schools WHERE visit_id = ?1 ORDER BY school_id",
        )?;
        let school_ids = stmt
            .query_map([id], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, name, role, phone, email FROM participants WHERE visit_id = ?1
             ORDER BY position, id",
        )?;
        let participants = stmt
            .query_map([id], participant_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(Visit {
            id: id.to_string(),
            commune_insee,
            commune_name,
            scheduled_at: parse_stored_date(&date)?,
            school_ids,
            participants,
            notes,
        })
    }

    /// Applies the fields present in `patch`, all or nothing.
    pub fn visit_update(&mut self, id: &str, patch: &VisitPatch) -> Result<Visit> {
        let visit = self.visit(id)?;
        let when = patch
            .scheduled_at
            .as_deref()
            .map(|s| validate::date_time("scheduled_at", s))
            .transpose()?;
        if let Some(notes) = &patch.notes {
            check_notes(notes)?;
        }
        if let Some(ids) = &patch.school_ids {
            let of_commune = self.schools_of(&visit.commune_insee)?;
            if ids.iter().any(|i| !of_commune.iter().any(|s| &s.id == i)) {
                return Err(Error::invalid(
                    "school_ids",
                    "Une école choisie n'appartient pas à cette commune.",
                ));
            }
            // A school the directory says is closing or closed is not taken on any more;
            // a visit it is already part of keeps it.
            if let Some(closing) = of_commune.iter().find(|s| {
                !s.status.offered_for_visits()
                    && ids.contains(&s.id)
                    && !visit.school_ids.contains(&s.id)
            }) {
                let state = match closing.status {
                    SchoolStatus::Closed => "fermée",
                    _ => "à fermer",
                };
                return Err(Error::invalid(
                    "school_ids",
                    format!(
                        "L'école « {} » est {state} selon l'annuaire de l'éducation : elle ne peut plus être ajoutée à une visite.",
                        closing.name
                    ),
                ));
            }
            // Unticking a school would leave its lines priced in the plans, out of sight.
            for removed in visit.school_ids.iter().filter(|s| !ids.contains(s)) {
                let lines: i64 = self.cached_row(
                    "SELECT count(*) FROM equipment_lines l JOIN scenarios s ON s.id = l.scenario_id
                     WHERE s.visit_id = ?1 AND l.school_id = ?2",
                    [id, removed.as_str()],
                    |r| r.get(0),
                )?;
                if lines > 0 {
                    let name = self.school(removed).map(|s| s.name).unwrap_or_default();
                    return Err(Error::invalid(
                        "school_ids",
                        format!(
                            "L'école « {name} » a {lines} ligne(s) d'équipement dans les scénarios : supprimez-les avant de la décocher."
                        ),
                    ));
                }
            }
        }
        let tx = self.conn.savepoint()?;
        if let Some(when) = when {
            tx.execute(
                "UPDATE visits SET scheduled_at = ?2 WHERE id = ?1",
                params![id, when.format(DATE_FORMAT).to_string()],
            )?;
        }
        if let Some(notes) = &patch.notes {
            tx.execute(
                "UPDATE visits SET notes = ?2 WHERE id = ?1",
                params![id, notes],
            )?;
        }
        if let Some(ids) = &patch.school_ids {
            // Only the schools unticked and ticked: a school kept is not rewritten (and so
            // not logged for sync).
            for removed in visit.school_ids.iter().filter(|s| !ids.contains(s)) {
                tx.execute(
                    "DELETE FROM visit_schools WHERE visit_id = ?1 AND school_id = ?2",
                    params![id, removed],
                )?;
            }
            for school in ids {
                tx.execute(
                    "INSERT OR IGNORE INTO visit_schools (visit_id, school_id) VALUES (?1, ?2)",
                    params![id, school],
                )?;
            }
        }
        touch(&tx, id)?;
        tx.commit()?;
        self.visit(id)
    }

    /// Adds or edits a participant, by its id (made by the client, so a retried save is
    /// the same participant, never a duplicate).
    pub fn participant_save(&mut self, visit_id: &str, p: &Participant) -> Result<Participant> {
        let pid = validate::record_id("id", &p.id)?;
        let name = participant_name(&p.name)?;
        let phone = validate::phone(p.phone.as_deref())?;
        let email = validate::email(p.email.as_deref())?;
        self.visit(visit_id)?;
        let owner: Option<String> = self
            .cached_row(
                "SELECT visit_id FROM participants WHERE id = ?1",
                [&pid],
                |r| r.get(0),
            )
            .optional()?;
        if owner.as_deref().is_some_and(|o| o != visit_id) {
            return Err(Error::invalid(
                "id",
                "Ce participant appartient à une autre visite.",
            ));
        }
        let tx = self.conn.savepoint()?;
        tx.execute(
            "INSERT INTO participants (id, visit_id, position, name, role, phone, email)
             VALUES (?1, ?2,
               (SELECT coalesce(max(position), 0) + 1 FROM participants WHERE visit_id = ?2),
               ?3, ?4, ?5, ?6)
             ON CONFLICT(id) DO UPDATE SET name = excluded.name, role = excluded.role,
               phone = excluded.phone, email = excluded.email",
            params![pid, visit_id, name, p.role.as_str(), phone, email],
        )?;
        touch(&tx, visit_id)?;
        tx.commit()?;
        Ok(Participant {
            id: pid,
            name,
            role: p.role,
            phone,
            email,
        })
    }

    pub fn participant_delete(&mut self, visit_id: &str, id: &str) -> Result<()> {
        let tx = self.conn.savepoint()?;
        let n = tx.execute(
            "DELETE FROM participants WHERE id = ?1 AND visit_id = ?2",
            params![id, visit_id],
        )?;
        if n > 0 {
            touch(&tx, visit_id)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// All visits, the most recent date first.
    pub fn visits_list(&self) -> Result<Vec<VisitSummary>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "{SUMMARY_SELECT} ORDER BY v.scheduled_at DESC, v.id"
        ))?;
        let rows = stmt
            .query_map([], summary_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    pub fn visits_of(&self, insee: &str) -> Result<Vec<VisitSummary>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "{SUMMARY_SELECT} WHERE v.commune_insee = ?1 ORDER BY v.scheduled_at DESC, v.id"
        ))?;
        let rows = stmt
            .query_map([insee], summary_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The home screen: next visits from `now` (local time), recent ones, and sync state.
    pub fn home(&self, now: NaiveDateTime) -> Result<Home> {
        let now = now.format(DATE_FORMAT).to_string();
        let query = |sql: &str| -> Result<Vec<VisitSummary>> {
            let mut stmt = self
                .conn
                .prepare_cached(&format!("{SUMMARY_SELECT} {sql}"))?;
            let rows = stmt
                .query_map(params![now, HOME_LIMIT], summary_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        };
        Ok(Home {
            upcoming: query("WHERE v.scheduled_at >= ?1 ORDER BY v.scheduled_at ASC LIMIT ?2")?,
            recent: query("WHERE v.scheduled_at < ?1 ORDER BY v.scheduled_at DESC LIMIT ?2")?,
            sync: SyncState {
                last_sync: None,
                pending_changes: crate::sync::pending_records(&self.conn)?,
            },
        })
    }
}
