//! The "socle numérique" suggestion: from the facts of each class and school, the lines
//! that would bring the school to the socle (an interactive display and a teacher computer
//! per class, a shared pool of mobile devices with charging, Wi-Fi that can be switched
//! off, an ENT), each with its reason. The adviser accepts, edits or drops each one.

use super::types::*;
use crate::error::Result;
use crate::store::Store;

const DISPLAY: &str = "ENI65";
const TEACHER_PC: &str = "PCENS";
const TABLET: &str = "TABL";
const CART: &str = "CHAR16";
const CASE: &str = "COQUE";
const MDM: &str = "MDM";
const WIFI: &str = "WIFI";
const ENT: &str = "ENT";
/// A shared pool: one cart of 16 tablets per school.
const POOL: u32 = 16;

impl Store {
    /// Suggestions for the schools of a visit, leaving out what `scenario_id` already has.
    pub fn socle_suggestions(&self, visit_id: &str, scenario_id: &str) -> Result<Vec<Suggestion>> {
        let workflow = self.workflow(visit_id)?;
        let existing: Vec<(String, Option<String>, String)> = workflow
            .scenarios
            .iter()
            .filter(|s| s.scenario.id == scenario_id)
            .flat_map(|s| &s.lines)
            .map(|l| {
                (
                    l.line.school_id.clone(),
                    l.line.class_id.clone(),
                    l.line.reference.clone(),
                )
            })
            .collect();
        let catalogue = self.catalogue()?;
        let designation = |reference: &str| {
            catalogue
                .items
                .iter()
                .find(|i| i.reference == reference)
                .map(|i| i.designation.clone())
        };
        let mut out = Vec::new();
        let mut push = |school_id: &str,
                        class_id: Option<&str>,
                        reference: &str,
                        quantity: u32,
                        reason: String| {
            let already = existing
                .iter()
                .any(|(s, c, r)| s == school_id && c.as_deref() == class_id && r == reference);
            if let (false, Some(designation)) = (already, designation(reference)) {
                out.push(Suggestion {
                    school_id: school_id.to_string(),
                    class_id: class_id.map(str::to_string),
                    reference: reference.to_string(),
                    designation,
                    quantity,
                    reason,
                });
            }
        };
        for school in &workflow.schools {
            let classes: Vec<&ClassSituation> = workflow
                .classes
                .iter()
                .filter(|c| c.school_id == school.id)
                .collect();
            for c in &classes {
                if !c.display.is_interactive() {
                    push(&school.id, Some(&c.id), DISPLAY, 1, format!(
                        "Classe « {} » : {} ; le socle prévoit un affichage collectif interactif par classe.",
                        c.name,
                        c.display.label().to_lowercase()
                    ));
                }
                if !c.teacher_computer {
                    push(
                        &school.id,
                        Some(&c.id),
                        TEACHER_PC,
                        1,
                        format!(
                            "Classe « {} » : pas d’ordinateur pour l’enseignant.",
                            c.name
                        ),
                    );
                }
            }
            // Nothing is suggested from a situation nobody described.
            let Some(situation) = workflow
                .situations
                .iter()
                .find(|s| s.school_id == school.id)
                .filter(|_| {
                    self.situation_recorded(visit_id, &school.id)
                        .unwrap_or(false)
                })
            else {
                continue;
            };
            if situation.mobile_devices == 0 {
                let why = format!("{} : aucun équipement mobile ; le socle prévoit un lot partagé avec sa recharge.", school.name);
                push(&school.id, None, TABLET, POOL, why.clone());
                push(&school.id, None, CART, 1, why.clone());
                push(&school.id, None, CASE, POOL, why);
                push(
                    &school.id,
                    None,
                    MDM,
                    POOL,
                    format!(
                        "{} : gestion des {POOL} tablettes (par appareil et par an).",
                        school.name
                    ),
                );
            } else if !situation.mobile_charging {
                push(
                    &school.id,
                    None,
                    CART,
                    situation.mobile_devices.div_ceil(POOL),
                    format!(
                        "{} : {} appareils mobiles sans solution de recharge et de rangement.",
                        school.name, situation.mobile_devices
                    ),
                );
            }
            if situation.wifi != Wifi::Complet || !situation.wifi_switchable {
                let rooms = u32::try_from(classes.len()).unwrap_or(1).max(1);
                let what = match (situation.wifi, situation.wifi_switchable) {
                    (Wifi::Aucun, _) => "pas de Wi-Fi",
                    (Wifi::Partiel, _) => "Wi-Fi dans une partie des classes seulement",
                    _ => "Wi-Fi qui ne peut pas être coupé par l’enseignant",
                };
                push(&school.id, None, WIFI, rooms, format!(
                    "{} : {what} ; le socle prévoit un point d’accès désactivable par classe équipée.",
                    school.name
                ));
            }
            if situation.ent.is_none() {
                let pupils = school
                    .pupils
                    .unwrap_or_else(|| classes.iter().filter_map(|c| c.pupils).sum())
                    .max(1);
                push(
                    &school.id,
                    None,
                    ENT,
                    pupils,
                    format!(
                        "{} : pas d’ENT ; licence par élève et par an ({pupils} élèves).",
                        school.name
                    ),
                );
            }
        }
        Ok(out)
    }
}
