//! A visit as one JSON document (`preau-cli visits export` / `import`), with a format name
//! and a version. Import makes the visit of the same id what the file says, through the
//! same validated writes as the app, inside one savepoint: all or nothing. A visit already
//! here is edited, not replaced: only what differs is written.

use std::collections::{HashMap, HashSet};

use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::lines::{parse_quantity, MAX_QUANTITY};
use super::types::*;
use crate::error::{Error, Result};
use crate::model::{School, SchoolInput, Visit, VisitPatch};
use crate::store::Store;
use crate::validate;

pub const EXPORT_FORMAT: &str = "preau-visit";
/// Bumped when the document changes in a way older versions cannot read.
pub const EXPORT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ExportScenario {
    pub scenario: Scenario,
    pub lines: Vec<EquipmentLine>,
}

/// The whole visit: what was said, decided and priced, and the schools it concerns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct VisitExport {
    /// Always "preau-visit".
    pub format: String,
    pub version: u32,
    pub visit: Visit,
    pub schools: Vec<School>,
    pub pedagogy: Vec<Pedagogy>,
    pub classes: Vec<ClassSituation>,
    pub situations: Vec<SchoolSituation>,
    pub scenarios: Vec<ExportScenario>,
}

fn bad_file(message: impl Into<String>) -> Error {
    Error::invalid("file", message)
}

impl VisitExport {
    /// Parses a document, refusing other formats and newer versions with a clear message.
    pub fn parse(text: &str) -> Result<VisitExport> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            bad_file(format!(
                "Fichier illisible : ce n'est pas du JSON valide (ligne {}, colonne {}).",
                e.line(),
                e.column()
            ))
        })?;
        if value.get("format").and_then(|f| f.as_str()) != Some(EXPORT_FORMAT) {
            return Err(bad_file(
                "Ce fichier n'est pas une visite exportée par Préau (champ « format »).",
            ));
        }
        let version = value
            .get("version")
            .and_then(|v| v.as_u64())
            .ok_or_else(|| bad_file("Champ « version » manquant ou invalide."))?;
        if version > u64::from(EXPORT_VERSION) {
            return Err(bad_file(format!(
                "Ce fichier a été écrit par une version plus récente de Préau (format {version}, celle-ci lit jusqu'au format {EXPORT_VERSION}). Mettez Préau à jour."
            )));
        }
        serde_json::from_value(value)
            .map_err(|e| bad_file(format!("Fichier de visite invalide : {e}.")))
    }
}

impl Store {
    pub fn visit_export(&self, visit_id: &str) -> Result<VisitExport> {
        let w = self.workflow(visit_id)?;
        let mut scenarios = Vec::new();
        for s in self.scenarios_of(visit_id)? {
            let lines = self.lines_of(&s.id)?;
            scenarios.push(ExportScenario { scenario: s, lines });
        }
        // Only what was recorded: the defaults shown for a school nobody described yet
        // would, once imported, read as described (and the socle would be suggested from
        // a situation nobody gave).
        let mut pedagogy = Vec::new();
        for p in w.pedagogy {
            if self.pedagogy_recorded(visit_id, &p.school_id)? {
                pedagogy.push(p);
            }
        }
        let mut situations = Vec::new();
        for s in w.situations {
            if self.situation_recorded(visit_id, &s.school_id)? {
                situations.push(s);
            }
        }
        Ok(VisitExport {
            format: EXPORT_FORMAT.to_string(),
            version: EXPORT_VERSION,
            visit: w.visit,
            schools: w.schools,
            pedagogy,
            classes: w.classes,
            situations,
            scenarios,
        })
    }

    /// Imports a visit document; returns the visit id. Nothing is written if any part is
    /// invalid.
    pub fn visit_import(&mut self, doc: &VisitExport) -> Result<String> {
        self.conn.execute_batch("SAVEPOINT visit_import")?;
        match self.import_steps(doc) {
            Ok(id) => {
                self.conn.execute_batch("RELEASE visit_import")?;
                Ok(id)
            }
            Err(e) => {
                self.conn
                    .execute_batch("ROLLBACK TO visit_import; RELEASE visit_import")?;
                Err(e)
            }
        }
    }

    /// The file's schools as they are known here: a school already here under another id
    /// but with the same UAI (both laptops imported the directory) is the same school.
    fn local_school_ids(&self, doc: &VisitExport) -> Result<HashMap<String, String>> {
        let mut map = HashMap::new();
        for s in &doc.schools {
            if self.school(&s.id).is_ok() {
                continue;
            }
            if let Some(uai) = &s.uai {
                let local: Option<String> = self
                    .cached_row("SELECT id FROM schools WHERE uai = ?1", [uai], |r| r.get(0))
                    .optional()?;
                if let Some(local) = local {
                    map.insert(s.id.clone(), local);
                }
            }
        }
        Ok(map)
    }

    fn import_steps(&mut self, doc: &VisitExport) -> Result<String> {
        let map = self.local_school_ids(doc)?;
        let doc = &remap_schools(doc, &map);
        let v = &doc.visit;
        let id = validate::record_id("visit.id", &v.id)?;
        // Schools first: a school already here (same id) is left as the adviser has it.
        for s in &doc.schools {
            if s.commune_insee != v.commune_insee {
                return Err(bad_file(format!(
                    "L'école « {} » n'est pas dans la commune de la visite.",
                    s.name
                )));
            }
            if self.school(&s.id).is_err() {
                let saved = self.school_save(&SchoolInput {
                    id: None,
                    uai: s.uai.clone(),
                    name: s.name.clone(),
                    kind: s.kind,
                    public: s.public,
                    commune_insee: s.commune_insee.clone(),
                    classes: s.classes,
                    pupils: s.pupils,
                })?;
                self.conn.execute(
                    "UPDATE schools SET id = ?1, source = ?3 WHERE id = ?2",
                    rusqlite::params![s.id, saved.id, super::project::enum_key(&s.source)],
                )?;
            }
        }
        match self.visit(&id) {
            Ok(_) => self.import_over(&id, doc)?,
            Err(Error::NotFound { .. }) => self.import_new(&id, doc)?,
            Err(e) => return Err(e),
        }
        Ok(id)
    }

    /// A visit new to this laptop: created, then filled through the app's writes.
    fn import_new(&mut self, id: &str, doc: &VisitExport) -> Result<()> {
        let v = &doc.visit;
        let created = self.visit_create(
            &v.commune_insee,
            &v.scheduled_at
                .format(crate::visits::DATE_FORMAT)
                .to_string(),
        )?;
        self.conn
            .execute("UPDATE visits SET id = ?1 WHERE id = ?2", [id, &created.id])?;
        self.visit_update(
            id,
            &VisitPatch {
                scheduled_at: None,
                notes: Some(v.notes.clone()),
                school_ids: Some(v.school_ids.clone()),
            },
        )?;
        self.import_children(id, doc)
    }

    /// A visit this laptop already has: only what differs is written, as the adviser would
    /// edit it in the app. The record is never deleted and made again, so `created_at`
    /// stays, unchanged fields are not logged for sync, and a colleague's concurrent edit
    /// of another field is not met by a conflict (nothing was changed here).
    fn import_over(&mut self, id: &str, doc: &VisitExport) -> Result<()> {
        let v = &doc.visit;
        let here = self.visit(id)?;
        if here.commune_insee != v.commune_insee {
            return Err(bad_file(
                "Cette visite existe déjà ici dans une autre commune : le fichier ne peut pas la remplacer.",
            ));
        }
        self.drop_what_the_file_lacks(id, doc)?;
        // The file's schools are ticked beside those ticked here while the children are
        // written (a project needs its school ticked); the visit keeps the file's at the end.
        let mut both = here.school_ids.clone();
        both.extend(
            v.school_ids
                .iter()
                .filter(|s| !here.school_ids.contains(s))
                .cloned(),
        );
        self.visit_update(
            id,
            &VisitPatch {
                scheduled_at: (here.scheduled_at != v.scheduled_at).then(|| {
                    v.scheduled_at
                        .format(crate::visits::DATE_FORMAT)
                        .to_string()
                }),
                notes: (here.notes != v.notes).then(|| v.notes.clone()),
                school_ids: (both != here.school_ids).then_some(both),
            },
        )?;
        self.import_children(id, doc)?;
        self.keep_file_order(id, doc)?;
        let now = self.visit(id)?;
        if now.school_ids != v.school_ids {
            self.visit_update(
                id,
                &VisitPatch {
                    scheduled_at: None,
                    notes: None,
                    school_ids: Some(v.school_ids.clone()),
                },
            )?;
        }
        Ok(())
    }

    /// Deletes, through the app's own deletes, what the visit holds here and the file does
    /// not (the file is the whole visit).
    fn drop_what_the_file_lacks(&mut self, id: &str, doc: &VisitExport) -> Result<()> {
        let scenarios: HashSet<&str> = doc
            .scenarios
            .iter()
            .map(|e| e.scenario.id.as_str())
            .collect();
        let lines: HashSet<&str> = doc
            .scenarios
            .iter()
            .flat_map(|s| s.lines.iter().map(|l| l.id.as_str()))
            .collect();
        let classes: HashSet<&str> = doc.classes.iter().map(|c| c.id.as_str()).collect();
        let participants: HashSet<&str> = doc
            .visit
            .participants
            .iter()
            .map(|p| p.id.as_str())
            .collect();
        for s in self.scenarios_of(id)? {
            if !scenarios.contains(s.id.as_str()) {
                self.scenario_delete(id, &s.id)?;
                continue;
            }
            for l in self.lines_of(&s.id)? {
                if !lines.contains(l.id.as_str()) {
                    self.line_delete(id, &l.id)?;
                }
            }
        }
        for c in self.classes_of(id)? {
            if !classes.contains(c.id.as_str()) {
                self.class_delete(id, &c.id)?;
            }
        }
        for p in self.visit(id)?.participants {
            if !participants.contains(p.id.as_str()) {
                self.participant_delete(id, &p.id)?;
            }
        }
        // Projects and situations kept here for any school, ticked or not (what was kept of
        // a school since unticked is not in the file either).
        for school in self.school_ids_in(id, "pedagogy")? {
            if !doc.pedagogy.iter().any(|p| p.school_id == school) {
                self.conn.execute(
                    "DELETE FROM objectives WHERE visit_id = ?1 AND school_id = ?2",
                    [id, school.as_str()],
                )?;
                self.conn.execute(
                    "DELETE FROM pedagogy WHERE visit_id = ?1 AND school_id = ?2",
                    [id, school.as_str()],
                )?;
            }
        }
        for school in self.school_ids_in(id, "school_situations")? {
            if !doc.situations.iter().any(|s| s.school_id == school) {
                self.conn.execute(
                    "DELETE FROM school_situations WHERE visit_id = ?1 AND school_id = ?2",
                    [id, school.as_str()],
                )?;
            }
        }
        Ok(())
    }

    /// Participants, classes and lines in the file's order; positions are rewritten only
    /// when the order here differs, so an unchanged visit logs nothing.
    fn keep_file_order(&mut self, id: &str, doc: &VisitExport) -> Result<()> {
        let participants: Vec<&str> = doc
            .visit
            .participants
            .iter()
            .map(|p| p.id.as_str())
            .collect();
        let here: Vec<String> = self
            .visit(id)?
            .participants
            .into_iter()
            .map(|p| p.id)
            .collect();
        self.renumber("participants", &here, &participants)?;
        let classes: Vec<&str> = doc.classes.iter().map(|c| c.id.as_str()).collect();
        let here: Vec<String> = self.classes_of(id)?.into_iter().map(|c| c.id).collect();
        self.renumber("class_situations", &here, &classes)?;
        for es in &doc.scenarios {
            let lines: Vec<&str> = es.lines.iter().map(|l| l.id.as_str()).collect();
            let here: Vec<String> = self
                .lines_of(&es.scenario.id)?
                .into_iter()
                .map(|l| l.id)
                .collect();
            self.renumber("equipment_lines", &here, &lines)?;
        }
        Ok(())
    }

    /// The schools `table` (pedagogy or school_situations) holds a row of for the visit.
    fn school_ids_in(&self, visit_id: &str, table: &'static str) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT school_id FROM {table} WHERE visit_id = ?1"
        ))?;
        let rows = stmt.query_map([visit_id], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn renumber(&mut self, table: &'static str, here: &[String], wanted: &[&str]) -> Result<()> {
        if here.iter().map(String::as_str).eq(wanted.iter().copied()) {
            return Ok(());
        }
        let sql = format!("UPDATE {table} SET position = ?2 WHERE id = ?1 AND position IS NOT ?2");
        for (pos, rid) in wanted.iter().enumerate() {
            self.conn.execute(
                &sql,
                rusqlite::params![rid, i64::try_from(pos).unwrap_or(i64::MAX) + 1],
            )?;
        }
        Ok(())
    }

    /// Participants, projects, classes, situations, scenarios and lines, each through the
    /// app's validated upsert: a value equal to the one here writes nothing to the log.
    fn import_children(&mut self, id: &str, doc: &VisitExport) -> Result<()> {
        for p in &doc.visit.participants {
            self.participant_save(id, p)?;
        }
        for p in &doc.pedagogy {
            self.pedagogy_save(id, p)?;
        }
        for c in &doc.classes {
            self.class_save(id, c)?;
        }
        for s in &doc.situations {
            self.school_situation_save(id, s)?;
        }
        for es in &doc.scenarios {
            let s = &es.scenario;
            let sid = validate::record_id("scenario.id", &s.id)?;
            if !["A", "B", "C"].contains(&s.label.as_str()) {
                return Err(bad_file(format!(
                    "Scénario « {} » inconnu (A, B ou C).",
                    s.label
                )));
            }
            let owner: Option<String> = self
                .cached_row(
                    "SELECT visit_id FROM scenarios WHERE id = ?1",
                    [&sid],
                    |r| r.get(0),
                )
                .optional()?;
            if owner.is_some_and(|o| o != id) {
                return Err(bad_file(format!(
                    "Le scénario « {} » appartient à une autre visite.",
                    s.label
                )));
            }
            self.conn.execute(
                "INSERT INTO scenarios (id, visit_id, label, title) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(id) DO UPDATE SET label = excluded.label, title = excluded.title",
                rusqlite::params![sid, id, s.label, s.title.trim()],
            )?;
            for line in &es.lines {
                self.import_line(id, &sid, line)?;
            }
        }
        Ok(())
    }

    /// A line keeps the catalogue version and price of the file, after the same checks as
    /// a line typed in the app.
    fn import_line(
        &mut self,
        visit_id: &str,
        scenario_id: &str,
        line: &EquipmentLine,
    ) -> Result<()> {
        if line.scenario_id != scenario_id {
            return Err(bad_file(
                "Une ligne d'équipement n'est pas rangée sous son scénario.",
            ));
        }
        parse_quantity(&line.quantity.to_string())?;
        if i64::from(line.quantity) > MAX_QUANTITY
            || line.unit_price_cents < 0
            || line.vat_rate_bp > 10_000
        {
            return Err(bad_file(format!(
                "Ligne « {} » : quantité, prix ou TVA hors limites.",
                line.reference
            )));
        }
        validate::required_text("reference", "La référence", &line.reference, 60)?;
        validate::required_text("designation", "La désignation", &line.designation, 500)?;
        // Membership checks (school, class, objectives) are those of `line_save`.
        let input = LineInput {
            id: line.id.clone(),
            scenario_id: scenario_id.to_string(),
            school_id: line.school_id.clone(),
            class_id: line.class_id.clone(),
            reference: line.reference.clone(),
            quantity: line.quantity.to_string(),
            objective_ids: line.objective_ids.clone(),
        };
        self.check_line_input(visit_id, &input)?;
        self.write_line(visit_id, line)
    }
}

/// The document with its school ids replaced as `map` says.
fn remap_schools(doc: &VisitExport, map: &HashMap<String, String>) -> VisitExport {
    let mut doc = doc.clone();
    let local = |id: &mut String| {
        if let Some(l) = map.get(id.as_str()) {
            *id = l.clone();
        }
    };
    doc.schools.iter_mut().for_each(|s| local(&mut s.id));
    doc.visit.school_ids.iter_mut().for_each(local);
    doc.pedagogy
        .iter_mut()
        .for_each(|p| local(&mut p.school_id));
    doc.classes.iter_mut().for_each(|c| local(&mut c.school_id));
    doc.situations
        .iter_mut()
        .for_each(|s| local(&mut s.school_id));
    for scenario in &mut doc.scenarios {
        scenario
            .lines
            .iter_mut()
            .for_each(|l| local(&mut l.school_id));
    }
    doc
}
