//! The visit workflow: the pedagogical project first, the current situation, then the
//! equipment of each scenario and its funding plan. Every write is validated first and
//! runs in one transaction, like the rest of the store.

mod exchange;
pub(crate) mod lines;
pub(crate) mod project;
mod socle;
mod types;

pub use exchange::{VisitExport, EXPORT_FORMAT, EXPORT_VERSION};
pub use types::*;

use std::collections::BTreeSet;

use crate::error::{Error, Result};
use crate::model::{School, Visit};
use crate::plan::{self, FundingPlan, FundingRules, PlanContext, PricedLine};
use crate::store::Store;

/// Years over which the total cost of a scenario is shown.
pub const LIFE_YEARS: u32 = 5;
const MAX_SCENARIOS: usize = 3;
pub(crate) const SCENARIO_LABELS: [&str; MAX_SCENARIOS] = ["A", "B", "C"];

/// A scenario's title, trimmed (shared with a value chosen in a sync conflict).
pub(crate) fn scenario_title(title: &str) -> Result<String> {
    let title = title.trim().to_string();
    if title.chars().count() > 120 {
        return Err(Error::invalid(
            "title",
            "Le titre est trop long (120 caractères au plus).",
        ));
    }
    Ok(title)
}

fn key_labels(pairs: &[(&str, &str)]) -> Vec<KeyLabel> {
    pairs
        .iter()
        .map(|(value, label)| KeyLabel {
            value: (*value).to_string(),
            label: (*label).to_string(),
        })
        .collect()
}

/// The lists offered by the forms.
pub fn options() -> WorkflowOptions {
    WorkflowOptions {
        typical_objectives: [
            "Renforcer la lecture et l’écriture",
            "Développer l’oral (s’enregistrer, s’écouter)",
            "Différencier les apprentissages",
            "Initier à la programmation et à la robotique",
            "Apprendre à chercher et à évaluer l’information",
            "Produire des contenus (textes, images, sons, vidéos)",
            "Communiquer avec les familles (ENT)",
            "Éduquer à un usage responsable du numérique",
        ]
        .map(str::to_string)
        .to_vec(),
        uses: key_labels(&[
            ("rechercher", "Rechercher"),
            ("produire", "Produire"),
            ("communiquer", "Communiquer"),
            ("differencier", "Différencier"),
            ("programmer", "Programmer"),
            ("projeter", "Projeter, montrer"),
            ("s_entrainer", "S’entraîner"),
        ]),
        crcn: key_labels(&[
            ("information", "Information et données"),
            ("communication", "Communication et collaboration"),
            ("creation", "Création de contenus"),
            ("protection", "Protection et sécurité"),
            ("environnement", "Environnement numérique"),
        ]),
        ien_statuses: IenStatus::ALL
            .iter()
            .map(|s| KeyLabel {
                value: s.as_str().into(),
                label: s.label().into(),
            })
            .collect(),
        displays: Display::ALL
            .iter()
            .map(|d| KeyLabel {
                value: d.as_str().into(),
                label: d.label().into(),
            })
            .collect(),
        wifi: key_labels(&[
            ("aucun", "Pas de Wi-Fi"),
            ("partiel", "Wi-Fi dans une partie des classes"),
            ("complet", "Wi-Fi dans toutes les classes"),
        ]),
        internet: key_labels(&[
            ("aucun", "Pas d’accès"),
            ("adsl", "ADSL"),
            ("vdsl", "VDSL"),
            ("fibre", "Fibre"),
            ("radio4g", "4G / radio"),
            ("satellite", "Satellite"),
        ]),
    }
}

impl Store {
    /// The funding rules in use (reference data, versioned).
    pub fn funding_rules(&self) -> Result<FundingRules> {
        let content: Option<String> = self.cached_row(
            "SELECT content FROM reference_versions WHERE kind = 'funding'",
            [],
            |r| r.get(0),
        )?;
        let content = content.ok_or_else(|| Error::Reference("funding rules missing".into()))?;
        serde_json::from_str(&content).map_err(|e| Error::Reference(format!("funding rules: {e}")))
    }

    /// The schools concerned by a visit, in French order.
    fn visit_schools(&self, visit: &Visit) -> Result<Vec<School>> {
        Ok(self
            .schools_of(&visit.commune_insee)?
            .into_iter()
            .filter(|s| visit.school_ids.contains(&s.id))
            .collect())
    }

    pub(crate) fn require_school_of_visit(&self, visit: &Visit, school_id: &str) -> Result<()> {
        if visit.school_ids.iter().any(|s| s == school_id) {
            Ok(())
        } else {
            Err(Error::invalid(
                "school_id",
                "Cette école n'est pas cochée parmi les écoles concernées par la visite.",
            ))
        }
    }

    /// The facts the funding rules need for the lines of one scenario.
    fn plan_context(
        &self,
        visit: &Visit,
        lines: &[EquipmentLine],
        classes: &[ClassSituation],
    ) -> Result<PlanContext> {
        let population = self.commune(&visit.commune_insee)?.population;
        let school_ids: BTreeSet<&str> = lines.iter().map(|l| l.school_id.as_str()).collect();
        let mut ctx = PlanContext {
            commune_population: population,
            schools: u32::try_from(school_ids.len()).unwrap_or(u32::MAX),
            classes: 0,
            pupils: 0,
            life_years: LIFE_YEARS,
        };
        for id in school_ids {
            let school = self.school(id)?;
            let own: Vec<&ClassSituation> = classes.iter().filter(|c| c.school_id == id).collect();
            let recorded = u32::try_from(own.len()).unwrap_or(u32::MAX);
            ctx.classes += if recorded > 0 {
                recorded
            } else {
                school.classes.unwrap_or(0)
            };
            let class_pupils: u32 = own.iter().filter_map(|c| c.pupils).sum();
            ctx.pupils += school.pupils.unwrap_or(class_pupils);
        }
        Ok(ctx)
    }

    fn scenario_plan(
        &self,
        visit: &Visit,
        lines: &[EquipmentLine],
        classes: &[ClassSituation],
        rules: &FundingRules,
    ) -> Result<FundingPlan> {
        let priced: Vec<PricedLine> = lines
            .iter()
            .map(|l| PricedLine {
                quantity: l.quantity,
                unit_price_cents: l.unit_price_cents,
                vat_rate_bp: l.vat_rate_bp,
                section: l.budget_section,
                strand: l.socle_strand.clone(),
                yearly: l.yearly(),
            })
            .collect();
        let ctx = self.plan_context(visit, lines, classes)?;
        Ok(plan::compute(&priced, rules, ctx))
    }

    /// The whole workflow of a visit, with the funding plan of each scenario.
    pub fn workflow(&self, visit_id: &str) -> Result<Workflow> {
        let visit = self.visit(visit_id)?;
        let schools = self.visit_schools(&visit)?;
        let pedagogy = schools
            .iter()
            .map(|s| self.pedagogy_of(visit_id, &s.id))
            .collect::<Result<Vec<_>>>()?;
        let classes = self.classes_of(visit_id)?;
        let situations = schools
            .iter()
            .map(|s| self.situation_of(visit_id, &s.id))
            .collect::<Result<Vec<_>>>()?;
        let rules = self.funding_rules()?;
        let catalogue = self.catalogue()?;
        let mut scenarios = Vec::new();
        for scenario in self.scenarios_of(visit_id)? {
            let lines = self.lines_of(&scenario.id)?;
            let plan = self.scenario_plan(&visit, &lines, &classes, &rules)?;
            let views: Vec<LineView> = lines
                .into_iter()
                .map(|l| lines::view(l, &catalogue))
                .collect();
            let unjustified = views.iter().filter(|v| !v.justified).count();
            scenarios.push(ScenarioView {
                scenario,
                lines: views,
                plan,
                unjustified_lines: u32::try_from(unjustified).unwrap_or(u32::MAX),
            });
        }
        let owner = self.visit_owner(visit_id)?;
        Ok(Workflow {
            owner,
            visit,
            schools,
            pedagogy,
            classes,
            situations,
            scenarios,
            funding: FundingInfo {
                version: rules.version.clone(),
                fctva_rate_ppm: rules.fctva_rate_ppm,
                fctva_status: rules.fctva_status,
                min_own_share_ppm: rules.min_own_share_ppm,
                programmes: rules
                    .programmes
                    .into_iter()
                    .map(|p| ProgrammeInfo {
                        status_label: p.status.label().to_string(),
                        programme: p,
                    })
                    .collect(),
            },
            catalogue_version: catalogue.version.version,
        })
    }

    /// One scenario with its lines and plan: what the totals panel shows after a change.
    pub fn scenario_view(&self, visit_id: &str, scenario_id: &str) -> Result<ScenarioView> {
        let visit = self.visit(visit_id)?;
        let scenario = self
            .scenarios_of(visit_id)?
            .into_iter()
            .find(|s| s.id == scenario_id)
            .ok_or_else(|| Error::NotFound {
                what: "scenario",
                id: scenario_id.to_string(),
            })?;
        let classes = self.classes_of(visit_id)?;
        let rules = self.funding_rules()?;
        let catalogue = self.catalogue()?;
        let lines = self.lines_of(scenario_id)?;
        let plan = self.scenario_plan(&visit, &lines, &classes, &rules)?;
        let views: Vec<LineView> = lines
            .into_iter()
            .map(|l| lines::view(l, &catalogue))
            .collect();
        let unjustified = views.iter().filter(|v| !v.justified).count();
        Ok(ScenarioView {
            scenario,
            lines: views,
            plan,
            unjustified_lines: u32::try_from(unjustified).unwrap_or(u32::MAX),
        })
    }

    /// The funding plan of each scenario of a visit.
    pub fn plans(&self, visit_id: &str) -> Result<Vec<(Scenario, FundingPlan)>> {
        let visit = self.visit(visit_id)?;
        let classes = self.classes_of(visit_id)?;
        let rules = self.funding_rules()?;
        self.scenarios_of(visit_id)?
            .into_iter()
            .map(|s| {
                let lines = self.lines_of(&s.id)?;
                let plan = self.scenario_plan(&visit, &lines, &classes, &rules)?;
                Ok((s, plan))
            })
            .collect()
    }

    pub fn scenarios_of(&self, visit_id: &str) -> Result<Vec<Scenario>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, label, title FROM scenarios WHERE visit_id = ?1 ORDER BY label")?;
        let rows = stmt
            .query_map([visit_id], |r| {
                Ok(Scenario {
                    id: r.get(0)?,
                    label: r.get(1)?,
                    title: r.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Adds the next scenario (A, then B, then C).
    pub fn scenario_add(&mut self, visit_id: &str, title: &str) -> Result<Scenario> {
        self.visit(visit_id)?;
        let existing = self.scenarios_of(visit_id)?;
        let label = SCENARIO_LABELS
            .iter()
            .find(|l| !existing.iter().any(|s| s.label == **l))
            .ok_or_else(|| Error::invalid("scenario", "Trois scénarios au plus (A, B et C)."))?;
        let title = scenario_title(title)?;
        let scenario = Scenario {
            id: crate::store::new_id(),
            label: (*label).to_string(),
            title,
        };
        let tx = self.conn.savepoint()?;
        tx.execute(
            "INSERT INTO scenarios (id, visit_id, label, title) VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![scenario.id, visit_id, scenario.label, scenario.title],
        )?;
        crate::visits::touch(&tx, visit_id)?;
        tx.commit()?;
        Ok(scenario)
    }

    pub fn scenario_rename(&mut self, visit_id: &str, id: &str, title: &str) -> Result<Scenario> {
        let title = scenario_title(title)?;
        let tx = self.conn.savepoint()?;
        let n = tx.execute(
            "UPDATE scenarios SET title = ?3 WHERE id = ?1 AND visit_id = ?2",
            rusqlite::params![id, visit_id, title],
        )?;
        if n == 0 {
            return Err(Error::NotFound {
                what: "scenario",
                id: id.to_string(),
            });
        }
        crate::visits::touch(&tx, visit_id)?;
        tx.commit()?;
        self.scenarios_of(visit_id)?
            .into_iter()
            .find(|s| s.id == id)
            .ok_or_else(|| Error::NotFound {
                what: "scenario",
                id: id.to_string(),
            })
    }

    pub fn scenario_delete(&mut self, visit_id: &str, id: &str) -> Result<()> {
        let tx = self.conn.savepoint()?;
        let n = tx.execute(
            "DELETE FROM scenarios WHERE id = ?1 AND visit_id = ?2",
            rusqlite::params![id, visit_id],
        )?;
        if n > 0 {
            crate::visits::touch(&tx, visit_id)?;
        }
        tx.commit()?;
        Ok(())
    }
}
