//! The pedagogical project and the current situation of each school of a visit.

use rusqlite::{params, OptionalExtension};

use super::types::*;
use crate::error::{Error, Result};
use crate::store::Store;
use crate::validate;

const MAX_OBJECTIVES: usize = 20;
const MAX_TAGS: usize = 20;
const MAX_CLASSES_PER_SCHOOL: usize = 40;

fn json_list<T: serde::Serialize>(v: &[T]) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Error::Reference(format!("json: {e}")))
}

fn parse_list<T: serde::de::DeserializeOwned>(s: &str) -> rusqlite::Result<Vec<T>> {
    serde_json::from_str(s).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

pub(crate) fn clean_tags(field: &'static str, tags: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for t in tags {
        let t = t.trim();
        if t.is_empty() || out.iter().any(|o| o == t) {
            continue;
        }
        if t.chars().count() > 100 {
            return Err(Error::invalid(
                field,
                "Un élément de la liste est trop long (100 caractères au plus).",
            ));
        }
        out.push(t.to_string());
    }
    if out.len() > MAX_TAGS {
        return Err(Error::invalid(
            field,
            format!("{MAX_TAGS} éléments au plus."),
        ));
    }
    Ok(out)
}

// The checks of one field, shared by the edit path and a value chosen in a sync
// conflict (`sync/rules.rs`), so both refuse the same values with the same message.

/// The cycles of a project, sorted, without duplicates.
pub(crate) fn clean_cycles(cycles: &[u8]) -> Result<Vec<u8>> {
    let mut cycles = cycles.to_vec();
    cycles.sort_unstable();
    cycles.dedup();
    if cycles.iter().any(|c| !(1..=3).contains(c)) {
        return Err(Error::invalid(
            "cycles",
            "Les cycles de l'école primaire sont 1, 2 et 3.",
        ));
    }
    Ok(cycles)
}

/// A long free text of the project (training needs, the IEN's comment).
pub(crate) fn project_text(field: &'static str, text: &str) -> Result<()> {
    if text.chars().count() > 5_000 {
        return Err(Error::invalid(
            field,
            "Texte trop long (5 000 caractères au plus).",
        ));
    }
    Ok(())
}

pub(crate) fn check_ien_date(status: IenStatus, date: Option<chrono::NaiveDate>) -> Result<()> {
    if status == IenStatus::ASoumettre && date.is_some() {
        return Err(Error::invalid(
            "ien_date",
            "Une date ne s'indique qu'une fois le projet soumis à l'IEN.",
        ));
    }
    Ok(())
}

pub(crate) fn objective_label(label: &str) -> Result<String> {
    validate::required_text("objectives", "Le libellé de l'objectif", label, 300)
}

pub(crate) fn class_name(name: &str) -> Result<String> {
    validate::required_text("name", "Le nom de la classe", name, 60)
}

pub(crate) fn class_pupils(pupils: Option<u32>) -> Result<Option<u32>> {
    validate::count("pupils", "Nombre d'élèves", pupils, 40)
}

pub(crate) fn check_mobile_devices(n: u32) -> Result<()> {
    if n > 2_000 {
        return Err(Error::invalid(
            "mobile_devices",
            "Nombre d'appareils mobiles trop élevé (2 000 au plus).",
        ));
    }
    Ok(())
}

pub(crate) fn clean_ent(ent: Option<&str>) -> Result<Option<String>> {
    let ent = validate::optional_text(ent);
    if ent.as_ref().is_some_and(|e| e.chars().count() > 100) {
        return Err(Error::invalid(
            "ent",
            "Nom d'ENT trop long (100 caractères au plus).",
        ));
    }
    Ok(ent)
}

impl Store {
    /// The project of a school for a visit; an empty one "à soumettre" if none yet.
    pub fn pedagogy_of(&self, visit_id: &str, school_id: &str) -> Result<Pedagogy> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, label FROM objectives WHERE visit_id = ?1 AND school_id = ?2
             ORDER BY position, id",
        )?;
        let objectives = stmt
            .query_map([visit_id, school_id], |r| {
                Ok(Objective {
                    id: r.get(0)?,
                    label: r.get(1)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let row = self
            .cached_row(
                "SELECT cycles, uses, crcn, training_needs, ien_status, ien_date, ien_comment
                 FROM pedagogy WHERE visit_id = ?1 AND school_id = ?2",
                [visit_id, school_id],
                |r| {
                    let status: String = r.get(4)?;
                    let date: Option<String> = r.get(5)?;
                    Ok(Pedagogy {
                        school_id: school_id.to_string(),
                        objectives: Vec::new(),
                        cycles: parse_list(&r.get::<_, String>(0)?)?,
                        uses: parse_list(&r.get::<_, String>(1)?)?,
                        crcn: parse_list(&r.get::<_, String>(2)?)?,
                        training_needs: r.get(3)?,
                        ien_status: IenStatus::parse(&status).unwrap_or(IenStatus::ASoumettre),
                        ien_date: date
                            .and_then(|d| chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()),
                        ien_comment: r.get(6)?,
                    })
                },
            )
            .optional()?;
        let mut pedagogy = row.unwrap_or(Pedagogy {
            school_id: school_id.to_string(),
            objectives: Vec::new(),
            cycles: Vec::new(),
            uses: Vec::new(),
            crcn: Vec::new(),
            training_needs: String::new(),
            ien_status: IenStatus::ASoumettre,
            ien_date: None,
            ien_comment: String::new(),
        });
        pedagogy.objectives = objectives;
        Ok(pedagogy)
    }

    /// Saves a school's whole project. Objectives keep their ids (lines point to them); an
    /// objective removed from the list no longer justifies the lines that served it.
    pub fn pedagogy_save(&mut self, visit_id: &str, p: &Pedagogy) -> Result<Pedagogy> {
        let visit = self.visit(visit_id)?;
        self.require_school_of_visit(&visit, &p.school_id)?;
        if p.objectives.len() > MAX_OBJECTIVES {
            return Err(Error::invalid(
                "objectives",
                format!("{MAX_OBJECTIVES} objectifs au plus."),
            ));
        }
        let mut objectives = Vec::new();
        for o in &p.objectives {
            let id = validate::record_id("objectives", &o.id)?;
            let label = objective_label(&o.label)?;
            let owner: Option<(String, String)> = self
                .cached_row(
                    "SELECT visit_id, school_id FROM objectives WHERE id = ?1",
                    [&id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            if owner.is_some_and(|(v, s)| v != visit_id || s != p.school_id) {
                return Err(Error::invalid(
                    "objectives",
                    "Cet objectif appartient à un autre projet.",
                ));
            }
            objectives.push(Objective { id, label });
        }
        let cycles = clean_cycles(&p.cycles)?;
        let uses = clean_tags("uses", &p.uses)?;
        let crcn = clean_tags("crcn", &p.crcn)?;
        project_text("training_needs", &p.training_needs)?;
        project_text("ien_comment", &p.ien_comment)?;
        check_ien_date(p.ien_status, p.ien_date)?;
        let tx = self.conn.savepoint()?;
        tx.execute(
            "INSERT INTO pedagogy (visit_id, school_id, cycles, uses, crcn, training_needs,
               ien_status, ien_date, ien_comment)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT(visit_id, school_id) DO UPDATE SET cycles = excluded.cycles,
               uses = excluded.uses, crcn = excluded.crcn,
               training_needs = excluded.training_needs, ien_status = excluded.ien_status,
               ien_date = excluded.ien_date, ien_comment = excluded.ien_comment",
            params![
                visit_id,
                p.school_id,
                json_list(&cycles)?,
                json_list(&uses)?,
                json_list(&crcn)?,
                p.training_needs.trim(),
                p.ien_status.as_str(),
                p.ien_date.map(|d| d.format("%Y-%m-%d").to_string()),
                p.ien_comment.trim(),
            ],
        )?;
        let keep: Vec<&str> = objectives.iter().map(|o| o.id.as_str()).collect();
        let existing: Vec<String> = {
            let mut stmt =
                tx.prepare("SELECT id FROM objectives WHERE visit_id = ?1 AND school_id = ?2")?;
            let rows = stmt.query_map([visit_id, &p.school_id], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        for gone in existing.iter().filter(|e| !keep.contains(&e.as_str())) {
            tx.execute("DELETE FROM objectives WHERE id = ?1", [gone])?;
        }
        for (pos, o) in objectives.iter().enumerate() {
            tx.execute(
                "INSERT INTO objectives (id, visit_id, school_id, position, label)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(id) DO UPDATE SET position = excluded.position, label = excluded.label",
                params![o.id, visit_id, p.school_id, i64::try_from(pos).unwrap_or(i64::MAX), o.label],
            )?;
        }
        crate::visits::touch(&tx, visit_id)?;
        tx.commit()?;
        self.pedagogy_of(visit_id, &p.school_id)
    }

    pub fn classes_of(&self, visit_id: &str) -> Result<Vec<ClassSituation>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, school_id, name, pupils, display, teacher_computer FROM class_situations
             WHERE visit_id = ?1 ORDER BY school_id, position, id",
        )?;
        let rows = stmt
            .query_map([visit_id], |r| {
                let display: String = r.get(4)?;
                Ok(ClassSituation {
                    id: r.get(0)?,
                    school_id: r.get(1)?,
                    name: r.get(2)?,
                    pupils: r.get(3)?,
                    display: Display::parse(&display).unwrap_or(Display::Aucun),
                    teacher_computer: r.get(5)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    pub fn class_save(&mut self, visit_id: &str, c: &ClassSituation) -> Result<ClassSituation> {
        let visit = self.visit(visit_id)?;
        let id = validate::record_id("id", &c.id)?;
        self.require_school_of_visit(&visit, &c.school_id)?;
        let name = class_name(&c.name)?;
        let pupils = class_pupils(c.pupils)?;
        let existing = self.classes_of(visit_id)?;
        if let Some(other) = existing.iter().find(|e| e.id == id) {
            if other.school_id != c.school_id {
                return Err(Error::invalid(
                    "school_id",
                    "Une classe ne change pas d'école.",
                ));
            }
        } else if existing
            .iter()
            .filter(|e| e.school_id == c.school_id)
            .count()
            >= MAX_CLASSES_PER_SCHOOL
        {
            return Err(Error::invalid(
                "name",
                format!("{MAX_CLASSES_PER_SCHOOL} classes au plus par école."),
            ));
        }
        let owner: Option<String> = self
            .cached_row(
                "SELECT visit_id FROM class_situations WHERE id = ?1",
                [&id],
                |r| r.get(0),
            )
            .optional()?;
        if owner.is_some_and(|o| o != visit_id) {
            return Err(Error::invalid(
                "id",
                "Cette classe appartient à une autre visite.",
            ));
        }
        let tx = self.conn.savepoint()?;
        tx.execute(
            "INSERT INTO class_situations (id, visit_id, school_id, position, name, pupils, display,
               teacher_computer)
             VALUES (?1, ?2, ?3,
               (SELECT coalesce(max(position), 0) + 1 FROM class_situations WHERE visit_id = ?2),
               ?4, ?5, ?6, ?7)
             ON CONFLICT(id) DO UPDATE SET name = excluded.name, pupils = excluded.pupils,
               display = excluded.display, teacher_computer = excluded.teacher_computer",
            params![id, visit_id, c.school_id, name, pupils, c.display.as_str(), c.teacher_computer],
        )?;
        crate::visits::touch(&tx, visit_id)?;
        tx.commit()?;
        Ok(ClassSituation {
            id,
            school_id: c.school_id.clone(),
            name,
            pupils,
            display: c.display,
            teacher_computer: c.teacher_computer,
        })
    }

    pub fn class_delete(&mut self, visit_id: &str, id: &str) -> Result<()> {
        let tx = self.conn.savepoint()?;
        let n = tx.execute(
            "DELETE FROM class_situations WHERE id = ?1 AND visit_id = ?2",
            params![id, visit_id],
        )?;
        if n > 0 {
            crate::visits::touch(&tx, visit_id)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The school-wide situation; "nothing yet" defaults when none was recorded.
    pub fn situation_of(&self, visit_id: &str, school_id: &str) -> Result<SchoolSituation> {
        let row = self
            .cached_row(
                "SELECT mobile_devices, mobile_charging, wifi, wifi_switchable, internet, ent
                 FROM school_situations WHERE visit_id = ?1 AND school_id = ?2",
                [visit_id, school_id],
                |r| {
                    let wifi: String = r.get(2)?;
                    let internet: String = r.get(4)?;
                    Ok((r.get(0)?, r.get(1)?, wifi, r.get(3)?, internet, r.get(5)?))
                },
            )
            .optional()?;
        Ok(match row {
            Some((mobile_devices, mobile_charging, wifi, wifi_switchable, internet, ent)) => {
                SchoolSituation {
                    school_id: school_id.to_string(),
                    mobile_devices,
                    mobile_charging,
                    wifi: from_key(&wifi).unwrap_or(Wifi::Aucun),
                    wifi_switchable,
                    internet: from_key(&internet).unwrap_or(Internet::Aucun),
                    ent,
                }
            }
            None => SchoolSituation {
                school_id: school_id.to_string(),
                mobile_devices: 0,
                mobile_charging: false,
                wifi: Wifi::Aucun,
                wifi_switchable: false,
                internet: Internet::Adsl,
                ent: None,
            },
        })
    }

    /// Whether the school's project was ever saved (else `pedagogy_of` gives defaults).
    pub(super) fn pedagogy_recorded(&self, visit_id: &str, school_id: &str) -> Result<bool> {
        Ok(self
            .cached_row(
                "SELECT 1 FROM pedagogy WHERE visit_id = ?1 AND school_id = ?2",
                [visit_id, school_id],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    pub(super) fn situation_recorded(&self, visit_id: &str, school_id: &str) -> Result<bool> {
        Ok(self
            .cached_row(
                "SELECT 1 FROM school_situations WHERE visit_id = ?1 AND school_id = ?2",
                [visit_id, school_id],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    pub fn school_situation_save(
        &mut self,
        visit_id: &str,
        s: &SchoolSituation,
    ) -> Result<SchoolSituation> {
        let visit = self.visit(visit_id)?;
        self.require_school_of_visit(&visit, &s.school_id)?;
        check_mobile_devices(s.mobile_devices)?;
        let ent = clean_ent(s.ent.as_deref())?;
        let tx = self.conn.savepoint()?;
        tx.execute(
            "INSERT INTO school_situations (visit_id, school_id, mobile_devices, mobile_charging,
               wifi, wifi_switchable, internet, ent)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT(visit_id, school_id) DO UPDATE SET mobile_devices = excluded.mobile_devices,
               mobile_charging = excluded.mobile_charging, wifi = excluded.wifi,
               wifi_switchable = excluded.wifi_switchable, internet = excluded.internet,
               ent = excluded.ent",
            params![
                visit_id,
                s.school_id,
                s.mobile_devices,
                s.mobile_charging,
                enum_key(&s.wifi),
                s.wifi_switchable,
                enum_key(&s.internet),
                ent
            ],
        )?;
        crate::visits::touch(&tx, visit_id)?;
        tx.commit()?;
        self.situation_of(visit_id, &s.school_id)
    }
}

/// The snake_case key serde gives a unit enum variant, for storage.
pub(crate) fn enum_key<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// The unit enum variant stored as `key`.
pub(crate) fn from_key<T: serde::de::DeserializeOwned>(key: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(key.to_string())).ok()
}
