//! Builds the snapshot of a proposal from the visit as it is now.

use chrono::NaiveDate;

use super::types::*;
use super::{valid_until, Accent, ProposalSummary, SNAPSHOT_FORMAT};
use crate::error::{Error, Result};
use crate::model::Role;
use crate::store::Store;
use crate::workflow::{KeyLabel, Pedagogy, Workflow};

fn labels(keys: &[String], options: &[KeyLabel]) -> Vec<String> {
    keys.iter()
        .map(|k| {
            options
                .iter()
                .find(|o| &o.value == k)
                .map(|o| o.label.clone())
                .unwrap_or_else(|| k.clone())
        })
        .collect()
}

fn school_project(
    school: &crate::model::School,
    pedagogy: Option<&Pedagogy>,
    options: &crate::workflow::WorkflowOptions,
) -> SchoolProject {
    let empty = Vec::new();
    SchoolProject {
        name: school.name.clone(),
        uai: school.uai.clone(),
        kind: school.kind.label().to_string(),
        classes: school.classes,
        pupils: school.pupils,
        objectives: pedagogy
            .map(|p| p.objectives.iter().map(|o| o.label.clone()).collect())
            .unwrap_or_default(),
        cycles: pedagogy
            .map(|p| p.cycles.iter().map(|c| format!("Cycle {c}")).collect())
            .unwrap_or_default(),
        uses: labels(pedagogy.map(|p| &p.uses).unwrap_or(&empty), &options.uses),
        crcn: labels(pedagogy.map(|p| &p.crcn).unwrap_or(&empty), &options.crcn),
        training_needs: pedagogy
            .map(|p| p.training_needs.clone())
            .unwrap_or_default(),
        ien_status: pedagogy
            .map(|p| p.ien_status.label())
            .unwrap_or(crate::workflow::IenStatus::ASoumettre.label())
            .to_string(),
        ien_date: pedagogy.and_then(|p| p.ien_date),
        ien_comment: pedagogy.map(|p| p.ien_comment.clone()).unwrap_or_default(),
    }
}

/// The scenarios a proposal shows: those chosen, or every scenario that has lines.
fn proposed<'a>(
    wf: &'a Workflow,
    chosen: &'a [String],
) -> impl Iterator<Item = &'a crate::workflow::ScenarioView> + 'a {
    wf.scenarios.iter().filter(move |s| {
        if chosen.is_empty() {
            !s.lines.is_empty()
        } else {
            chosen.contains(&s.scenario.id)
        }
    })
}

fn scenarios(wf: &Workflow, chosen: &[String]) -> Vec<ScenarioSnapshot> {
    let objective_label = |id: &str| -> Option<String> {
        wf.pedagogy
            .iter()
            .flat_map(|p| p.objectives.iter())
            .find(|o| o.id == id)
            .map(|o| o.label.clone())
    };
    let class_name = |id: &str| -> Option<String> {
        wf.classes
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.name.clone())
    };
    proposed(wf, chosen)
        .map(|s| {
            let schools = wf
                .schools
                .iter()
                .filter_map(|school| {
                    let lines: Vec<LineSnapshot> = s
                        .lines
                        .iter()
                        .filter(|l| l.line.school_id == school.id)
                        .map(|l| LineSnapshot {
                            designation: l.line.designation.clone(),
                            reference: l.line.reference.clone(),
                            class: l.line.class_id.as_deref().and_then(class_name),
                            quantity: l.line.quantity,
                            unit: l.line.unit.clone(),
                            unit_price_ht_cents: l.line.unit_price_cents,
                            total_ht_cents: l.total_ht_cents,
                            vat_rate_bp: l.line.vat_rate_bp,
                            yearly: l.yearly,
                            objectives: l
                                .line
                                .objective_ids
                                .iter()
                                .filter_map(|id| objective_label(id))
                                .collect(),
                        })
                        .collect();
                    if lines.is_empty() {
                        return None;
                    }
                    let subtotal = lines.iter().map(|l| l.total_ht_cents).sum();
                    Some(SchoolLines {
                        school: school.name.clone(),
                        lines,
                        subtotal_ht_cents: subtotal,
                    })
                })
                .collect();
            ScenarioSnapshot {
                id: s.scenario.id.clone(),
                label: s.scenario.label.clone(),
                title: s.scenario.title.clone(),
                schools,
                plan: s.plan.clone(),
            }
        })
        .collect()
}

impl Store {
    /// The catalogue facts of a proposal: the catalogue in use, and the markets and lots
    /// of the proposed lines, each looked up in the catalogue version it was priced from.
    fn catalogue_facts(&self, wf: &Workflow, chosen: &[String]) -> Result<CatalogueFacts> {
        let catalogue = self.reference_version("catalogue")?;
        let mut facts = CatalogueFacts {
            demo: crate::reference::is_demo_catalogue(&catalogue.version),
            version: catalogue.version,
            label: catalogue.label,
            source: catalogue.source,
            indicative: catalogue.indicative,
            markets: Vec::new(),
            demo_references: Vec::new(),
            references_without_market: Vec::new(),
        };
        for view in proposed(wf, chosen).flat_map(|s| &s.lines) {
            let line = &view.line;
            if crate::reference::is_demo_catalogue(&line.catalogue_version) {
                if !facts.demo_references.contains(&line.reference) {
                    facts.demo_references.push(line.reference.clone());
                }
                continue;
            }
            let item = self.catalogue_item_in(&line.catalogue_version, &line.reference)?;
            let Some((market, lot)) = item.and_then(|i| Some((i.market?, (i.lot?, i.lot_label))))
            else {
                if !facts.references_without_market.contains(&line.reference) {
                    facts.references_without_market.push(line.reference.clone());
                }
                continue;
            };
            let m = match facts
                .markets
                .iter_mut()
                .position(|m| m.reference == market.reference)
            {
                Some(i) => &mut facts.markets[i],
                None => {
                    facts.markets.push(MarketUse {
                        reference: market.reference,
                        label: market.label,
                        ends_on: market.ends_on,
                        lots: Vec::new(),
                    });
                    let last = facts.markets.len() - 1;
                    &mut facts.markets[last]
                }
            };
            let (lot, lot_label) = lot;
            match m.lots.iter_mut().find(|l| l.lot == lot) {
                Some(l) => {
                    if !l.references.contains(&line.reference) {
                        l.references.push(line.reference.clone());
                    }
                }
                None => m.lots.push(LotUse {
                    lot,
                    label: lot_label,
                    references: vec![line.reference.clone()],
                }),
            }
        }
        facts.markets.sort_by(|a, b| a.reference.cmp(&b.reference));
        for m in &mut facts.markets {
            m.lots.sort_by_key(|l| natural(&l.lot));
        }
        Ok(facts)
    }

    /// Refuses a proposal whose lines stand for a school no longer ticked: its tables are
    /// made school by school from the ticked ones, so those lines would be in the totals and
    /// in no table. Only two laptops editing at once lead there (one adds a line while the
    /// other unticks its school; see `check_line_input`): the adviser ticks the school again
    /// or deletes the lines.
    fn require_lines_of_ticked_schools(&self, wf: &Workflow, chosen: &[String]) -> Result<()> {
        let Some(school_id) = proposed(wf, chosen)
            .flat_map(|s| &s.lines)
            .map(|l| &l.line.school_id)
            .find(|id| !wf.visit.school_ids.contains(id))
        else {
            return Ok(());
        };
        let name = self
            .schools_of(&wf.visit.commune_insee)?
            .into_iter()
            .find(|s| &s.id == school_id)
            .map_or_else(|| "une école".to_string(), |s| format!("« {} »", s.name));
        Err(Error::invalid(
            "school_ids",
            format!(
                "Des lignes d'équipement concernent {name}, qui n'est plus cochée parmi les \
                 écoles de la visite : cochez-la à nouveau (étape Participants) ou supprimez \
                 ces lignes, puis produisez la proposition."
            ),
        ))
    }

    /// The snapshot of a proposal from the visit as it is now, dated `today`. Drafts are
    /// marked as such; `proposal_issue` sets the number and clears the mark.
    pub(super) fn build_snapshot(
        &self,
        p: &ProposalSummary,
        today: NaiveDate,
    ) -> Result<ProposalSnapshot> {
        let wf = self.workflow(&p.visit_id)?;
        self.require_lines_of_ticked_schools(&wf, &p.scenario_ids)?;
        let commune = self.commune(&wf.visit.commune_insee)?;
        let settings = self.document_settings()?;
        let options = crate::workflow::options();
        let mayor = wf
            .visit
            .participants
            .iter()
            .find(|x| x.role == Role::Maire)
            .map(|x| x.name.clone());
        let contact_line = [&settings.phone, &settings.email, &settings.website]
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" · ");
        Ok(ProposalSnapshot {
            format: SNAPSHOT_FORMAT,
            letterhead: Letterhead {
                organisation: settings.organisation.clone(),
                address_lines: settings.address_lines.clone(),
                contact_line,
                logo_png: self.logo_png()?,
                // Checked when saved: a value that no longer reads falls back to the default.
                accent: Accent::parse(&settings.accent).unwrap_or_default(),
            },
            number: p.number.clone(),
            revision: p.revision,
            replaces: p.replaces.clone(),
            draft: true,
            place: settings.place.clone(),
            date: today,
            valid_until: valid_until(today, p.validity_days),
            recipient: Recipient {
                title: p.civility.title().to_string(),
                mayor_name: mayor,
                mairie: format!("Mairie de {}", commune.name),
                address: commune.mairie.address.clone(),
            },
            object: format!(
                "Proposition d’équipement numérique pour {} de {}",
                if wf.schools.len() > 1 {
                    "les écoles"
                } else {
                    "l’école"
                },
                commune.name
            ),
            commune: CommuneFacts {
                name: commune.name.clone(),
                insee: commune.insee.clone(),
                population: commune.population,
                epci: commune.epci.as_ref().map(|e| e.name.clone()),
            },
            meeting_date: wf.visit.scheduled_at.date(),
            participants: wf
                .visit
                .participants
                .iter()
                .map(|x| ParticipantLine {
                    name: x.name.clone(),
                    role: x.role.label().to_string(),
                })
                .collect(),
            schools: wf
                .schools
                .iter()
                .map(|s| {
                    school_project(
                        s,
                        wf.pedagogy.iter().find(|p| p.school_id == s.id),
                        &options,
                    )
                })
                .collect(),
            scenarios: scenarios(&wf, &p.scenario_ids),
            catalogue: self.catalogue_facts(&wf, &p.scenario_ids)?,
            funding_version: wf.funding.version.clone(),
            adviser: Signatory {
                name: settings.adviser_name.clone(),
                title: settings.adviser_title.clone(),
                phone: settings.adviser_phone.clone(),
                email: settings.adviser_email.clone(),
            },
        })
    }
}

/// Lots "2" before "10": numbers by value, then the rest as text.
fn natural(lot: &str) -> (u64, String) {
    let digits: String = lot.chars().take_while(char::is_ascii_digit).collect();
    (digits.parse().unwrap_or(u64::MAX), lot.to_string())
}
