//! Equipment lines: chosen from the catalogue, each keeping the catalogue version and the
//! unit price it was chosen at, tied to the objectives it serves.

use rusqlite::{params, OptionalExtension, Row};

use super::project::enum_key;
use super::types::*;
use crate::error::{Error, Result};
use crate::model::{Availability, BudgetSection, Catalogue, CatalogueItem};
use crate::store::Store;
use crate::validate;

/// The most of one item on one line.
pub const MAX_QUANTITY: i64 = 10_000;

const SELECT: &str = "SELECT id, scenario_id, school_id, class_id, catalogue_version, reference,
       designation, category, unit, unit_price_cents, vat_rate_bp, budget_section, socle_strand,
       quantity FROM equipment_lines";

fn line_from_row(r: &Row<'_>) -> rusqlite::Result<EquipmentLine> {
    let section: String = r.get(11)?;
    Ok(EquipmentLine {
        id: r.get(0)?,
        scenario_id: r.get(1)?,
        school_id: r.get(2)?,
        class_id: r.get(3)?,
        catalogue_version: r.get(4)?,
        reference: r.get(5)?,
        designation: r.get(6)?,
        category: r.get(7)?,
        unit: r.get(8)?,
        unit_price_cents: r.get(9)?,
        vat_rate_bp: r.get(10)?,
        budget_section: if section == "fonctionnement" {
            BudgetSection::Fonctionnement
        } else {
            BudgetSection::Investissement
        },
        socle_strand: r.get(12)?,
        quantity: r.get(13)?,
        objective_ids: Vec::new(),
    })
}

/// Parses the quantity as typed: a whole number from 1 to `MAX_QUANTITY`.
pub fn parse_quantity(text: &str) -> Result<u32> {
    let t = text.trim().replace(['\u{a0}', '\u{202f}', ' '], "");
    if t.is_empty() {
        return Err(Error::invalid("quantity", "La quantité est obligatoire."));
    }
    let n: i64 = t.parse().map_err(|_| {
        Error::invalid(
            "quantity",
            "La quantité doit être un nombre entier (exemple : 12).",
        )
    })?;
    if n < 1 {
        return Err(Error::invalid(
            "quantity",
            "La quantité doit être d'au moins 1.",
        ));
    }
    if n > MAX_QUANTITY {
        return Err(Error::invalid(
            "quantity",
            "Quantité trop élevée (10 000 au plus par ligne).",
        ));
    }
    u32::try_from(n).map_err(|_| Error::invalid("quantity", "Quantité invalide."))
}

/// How a line compares with the catalogue in use.
pub(super) fn view(line: EquipmentLine, catalogue: &Catalogue) -> LineView {
    let current = catalogue
        .items
        .iter()
        .find(|i| i.reference == line.reference);
    let (price_notice, current_price_cents) = if line.catalogue_version == catalogue.version.version
    {
        (None, None)
    } else {
        match current {
            None => (Some(PriceNotice::Withdrawn), None),
            Some(item) => (
                Some(PriceNotice::NewerCatalogue),
                (item.unit_price_cents != line.unit_price_cents).then_some(item.unit_price_cents),
            ),
        }
    };
    LineView {
        total_ht_cents: line.total_ht_cents(),
        justified: line.justified(),
        yearly: line.yearly(),
        price_notice,
        current_price_cents,
        line,
    }
}

/// A new line, or a line re-priced, takes an item only within its validity (and its
/// market's); lines already chosen keep their price whatever the dates say.
fn require_offered(item: &CatalogueItem) -> Result<()> {
    let date = crate::format::date;
    match item.availability {
        Availability::Offered => Ok(()),
        Availability::NotYet => Err(Error::invalid(
            "reference",
            match item.valid_from {
                Some(from) => format!(
                    "L'article « {} » n'est pas encore valable au catalogue : son prix s'applique à partir du {}.",
                    item.reference,
                    date(from)
                ),
                None => format!("L'article « {} » n'est pas encore valable au catalogue.", item.reference),
            },
        )),
        Availability::Expired => {
            let end = [item.valid_until, item.market.as_ref().map(|m| m.ends_on)]
                .into_iter()
                .flatten()
                .min();
            Err(Error::invalid(
                "reference",
                match end {
                    Some(end) => format!(
                        "L'article « {} » n'est plus valable au catalogue depuis le {} : choisissez un article en vigueur.",
                        item.reference,
                        date(end)
                    ),
                    None => format!(
                        "L'article « {} » n'est plus valable au catalogue : choisissez un article en vigueur.",
                        item.reference
                    ),
                },
            ))
        }
    }
}

fn apply_item(line: &mut EquipmentLine, item: &CatalogueItem, version: &str) {
    line.catalogue_version = version.to_string();
    line.designation = item.designation.clone();
    line.category = item.category.clone();
    line.unit = item.unit.clone();
    line.unit_price_cents = item.unit_price_cents;
    line.vat_rate_bp = item.vat_rate_bp;
    line.budget_section = item.budget_section;
    line.socle_strand = item.socle_strand.clone();
}

impl Store {
    pub fn lines_of(&self, scenario_id: &str) -> Result<Vec<EquipmentLine>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "{SELECT} WHERE scenario_id = ?1 ORDER BY position, id"
        ))?;
        let mut lines = stmt
            .query_map([scenario_id], line_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        // All the scenario's links in one query, in the objectives' order.
        let mut stmt = self.conn.prepare_cached(
            "SELECT lo.line_id, lo.objective_id FROM line_objectives lo
             JOIN equipment_lines l ON l.id = lo.line_id
             JOIN objectives o ON o.id = lo.objective_id
             WHERE l.scenario_id = ?1 ORDER BY o.position, o.id",
        )?;
        let links = stmt
            .query_map([scenario_id], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        for (line_id, objective_id) in links {
            if let Some(line) = lines.iter_mut().find(|l| l.id == line_id) {
                line.objective_ids.push(objective_id);
            }
        }
        Ok(lines)
    }

    fn line(&self, id: &str) -> Result<Option<EquipmentLine>> {
        let line = self
            .cached_row(&format!("{SELECT} WHERE id = ?1"), [id], line_from_row)
            .optional()?;
        match line {
            Some(l) => Ok(self
                .lines_of(&l.scenario_id)?
                .into_iter()
                .find(|x| x.id == id)),
            None => Ok(None),
        }
    }

    /// The checks of a line against its visit: scenario, school, class and objectives.
    /// Returns the line id, the quantity and the objectives without duplicates.
    pub(super) fn check_line_input(
        &self,
        visit_id: &str,
        input: &LineInput,
    ) -> Result<(String, u32, Vec<String>)> {
        let visit = self.visit(visit_id)?;
        let id = validate::record_id("id", &input.id)?;
        let quantity = parse_quantity(&input.quantity)?;
        if !self
            .scenarios_of(visit_id)?
            .iter()
            .any(|s| s.id == input.scenario_id)
        {
            return Err(Error::invalid(
                "scenario_id",
                "Ce scénario n'appartient pas à cette visite.",
            ));
        }
        // A line stays editable for the school it already stands for, ticked or not. Here
        // a school with lines cannot be unticked, but another laptop may untick it while
        // this one adds its first line: after the sync the line is there, its school
        // unticked, and the adviser must still be able to correct it (or tick the school
        // again, or delete the line). Found by `store_model::laptops_and_server_converge`.
        let school_now: Option<String> = self
            .cached_row(
                "SELECT school_id FROM equipment_lines WHERE id = ?1",
                [&id],
                |r| r.get(0),
            )
            .optional()?;
        let same_school = school_now.as_deref() == Some(input.school_id.as_str());
        if !same_school {
            self.require_school_of_visit(&visit, &input.school_id)?;
        }
        if let Some(class_id) = &input.class_id {
            if !self
                .classes_of(visit_id)?
                .iter()
                .any(|c| &c.id == class_id && c.school_id == input.school_id)
            {
                return Err(Error::invalid(
                    "class_id",
                    "Cette classe n'est pas dans l'école choisie.",
                ));
            }
        }
        let objectives = self.pedagogy_of(visit_id, &input.school_id)?.objectives;
        let mut objective_ids: Vec<String> = Vec::new();
        for o in &input.objective_ids {
            if !objectives.iter().any(|x| &x.id == o) {
                return Err(Error::invalid(
                    "objective_ids",
                    "Un objectif choisi n'est pas dans le projet pédagogique de cette école.",
                ));
            }
            if !objective_ids.contains(o) {
                objective_ids.push(o.clone());
            }
        }
        Ok((id, quantity, objective_ids))
    }

    /// Adds or edits a line. A new line, or one whose item changes, takes the price of the
    /// catalogue in use; an existing line keeps the price it was chosen at.
    pub fn line_save(&mut self, visit_id: &str, input: &LineInput) -> Result<LineView> {
        let (id, quantity, objective_ids) = self.check_line_input(visit_id, input)?;
        let catalogue = self.catalogue()?;
        let reference = input.reference.trim();
        let existing = self.line(&id)?;
        if let Some(e) = &existing {
            let scenario_visit: String = self.cached_row(
                "SELECT visit_id FROM scenarios WHERE id = ?1",
                [&e.scenario_id],
                |r| r.get(0),
            )?;
            if scenario_visit != visit_id {
                return Err(Error::invalid(
                    "id",
                    "Cette ligne appartient à une autre visite.",
                ));
            }
        }
        let mut line = match existing {
            Some(e) if e.reference == reference => e,
            _ => {
                let item = catalogue
                    .items
                    .iter()
                    .find(|i| i.reference == reference)
                    .ok_or_else(|| {
                        Error::invalid(
                            "reference",
                            format!(
                                "Article « {reference} » introuvable dans le catalogue en vigueur."
                            ),
                        )
                    })?;
                require_offered(item)?;
                let mut line = EquipmentLine {
                    id: id.clone(),
                    scenario_id: input.scenario_id.clone(),
                    school_id: input.school_id.clone(),
                    class_id: None,
                    catalogue_version: String::new(),
                    reference: item.reference.clone(),
                    designation: String::new(),
                    category: String::new(),
                    unit: String::new(),
                    unit_price_cents: 0,
                    vat_rate_bp: 0,
                    budget_section: item.budget_section,
                    socle_strand: None,
                    quantity,
                    objective_ids: Vec::new(),
                };
                apply_item(&mut line, item, &catalogue.version.version);
                line
            }
        };
        line.scenario_id = input.scenario_id.clone();
        line.school_id = input.school_id.clone();
        line.class_id = input.class_id.clone();
        line.quantity = quantity;
        line.objective_ids = objective_ids;
        self.write_line(visit_id, &line)?;
        Ok(view(line, &catalogue))
    }

    pub(super) fn write_line(&mut self, visit_id: &str, line: &EquipmentLine) -> Result<()> {
        let tx = self.conn.savepoint()?;
        tx.execute(
            "INSERT INTO equipment_lines (id, scenario_id, position, school_id, class_id,
               catalogue_version, reference, designation, category, unit, unit_price_cents,
               vat_rate_bp, budget_section, socle_strand, quantity)
             VALUES (?1, ?2,
               (SELECT coalesce(max(position), 0) + 1 FROM equipment_lines WHERE scenario_id = ?2),
               ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
             ON CONFLICT(id) DO UPDATE SET scenario_id = excluded.scenario_id,
               school_id = excluded.school_id, class_id = excluded.class_id,
               catalogue_version = excluded.catalogue_version, reference = excluded.reference,
               designation = excluded.designation, category = excluded.category,
               unit = excluded.unit, unit_price_cents = excluded.unit_price_cents,
               vat_rate_bp = excluded.vat_rate_bp, budget_section = excluded.budget_section,
               socle_strand = excluded.socle_strand, quantity = excluded.quantity",
            params![
                line.id,
                line.scenario_id,
                line.school_id,
                line.class_id,
                line.catalogue_version,
                line.reference,
                line.designation,
                line.category,
                line.unit,
                line.unit_price_cents,
                line.vat_rate_bp,
                enum_key(&line.budget_section),
                line.socle_strand,
                line.quantity,
            ],
        )?;
        // Only the links that change: a kept one is not rewritten (nor logged for sync).
        let linked: Vec<String> = {
            let mut stmt =
                tx.prepare_cached("SELECT objective_id FROM line_objectives WHERE line_id = ?1")?;
            let rows = stmt.query_map([&line.id], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        for gone in linked.iter().filter(|o| !line.objective_ids.contains(o)) {
            tx.execute(
                "DELETE FROM line_objectives WHERE line_id = ?1 AND objective_id = ?2",
                params![line.id, gone],
            )?;
        }
        for o in line.objective_ids.iter().filter(|o| !linked.contains(o)) {
            tx.execute(
                "INSERT INTO line_objectives (line_id, objective_id) VALUES (?1, ?2)",
                params![line.id, o],
            )?;
        }
        crate::visits::touch(&tx, visit_id)?;
        tx.commit()?;
        Ok(())
    }

    pub fn line_delete(&mut self, visit_id: &str, id: &str) -> Result<()> {
        let tx = self.conn.savepoint()?;
        let n = tx.execute(
            "DELETE FROM equipment_lines WHERE id = ?1
               AND scenario_id IN (SELECT id FROM scenarios WHERE visit_id = ?2)",
            params![id, visit_id],
        )?;
        if n > 0 {
            crate::visits::touch(&tx, visit_id)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Takes the price of the catalogue in use for a line (asked by the user, never silent).
    pub fn line_reprice(&mut self, visit_id: &str, id: &str) -> Result<LineView> {
        let mut line = self.line(id)?.ok_or_else(|| Error::NotFound {
            what: "line",
            id: id.to_string(),
        })?;
        let catalogue = self.catalogue()?;
        let item = catalogue
            .items
            .iter()
            .find(|i| i.reference == line.reference)
            .ok_or_else(|| {
                Error::invalid(
                    "reference",
                    "Cet article n'est plus au catalogue : choisissez-en un autre.",
                )
            })?;
        require_offered(item)?;
        apply_item(&mut line, item, &catalogue.version.version);
        self.write_line(visit_id, &line)?;
        Ok(view(line, &catalogue))
    }
}

#[cfg(test)]
mod tests {
    use super::parse_quantity;

    #[test]
    fn quantities_as_typed() {
        let cases: [(&str, Result<u32, &str>); 9] = [
            ("12", Ok(12)),
            (" 3 ", Ok(3)),
            ("1 000", Ok(1_000)),
            ("0", Err("au moins 1")),
            ("-2", Err("au moins 1")),
            ("", Err("obligatoire")),
            ("douze", Err("nombre entier")),
            ("2,5", Err("nombre entier")),
            ("99999999999999999999", Err("nombre entier")),
        ];
        for (text, want) in cases {
            match (parse_quantity(text), want) {
                (Ok(n), Ok(w)) => assert_eq!(n, w, "{text:?}"),
                (Err(e), Err(w)) => {
                    assert_eq!(e.field(), Some("quantity"));
                    assert!(
                        e.user_message().contains(w),
                        "{text:?}: {}",
                        e.user_message()
                    );
                }
                (got, want) => panic!("{text:?}: got {got:?}, want {want:?}"),
            }
        }
        assert!(parse_quantity("10001").is_err());
    }
}
