//! The demand of a group-purchase campaign ("recensement des besoins"): catalogue item ×
//! commune, grouped by lot (or category when the item is under no market), quantities
//! and amounts HT from the issued proposals' frozen lines; the accepted ones firm, the
//! pending ones apart as probable. Exported as XLSX and CSV.

use std::collections::{BTreeMap, HashMap};

use rust_xlsxwriter::{Format, Workbook, Worksheet};

use super::data::{Proposal, Status};
use crate::error::{Error, Result};
use crate::storage::Campaign;

/// A quantity and its amount HT (cents).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cell {
    pub quantity: i64,
    pub ht: i64,
}

impl std::ops::AddAssign for Cell {
    fn add_assign(&mut self, o: Cell) {
        self.quantity += o.quantity;
        self.ht += o.ht;
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Item {
    pub reference: String,
    pub designation: String,
    /// By INSEE code.
    pub firm: BTreeMap<String, Cell>,
    pub probable: BTreeMap<String, Cell>,
}

fn sum<'a>(cells: impl Iterator<Item = &'a Cell>) -> Cell {
    let mut total = Cell::default();
    for c in cells {
        total += *c;
    }
    total
}

impl Item {
    pub fn firm_total(&self) -> Cell {
        sum(self.firm.values())
    }

    pub fn probable_total(&self) -> Cell {
        sum(self.probable.values())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Group {
    /// "Lot 2 — Vidéoprojection", or a category.
    pub name: String,
    pub items: Vec<Item>,
}

impl Group {
    pub fn firm_total(&self) -> Cell {
        let totals: Vec<Cell> = self.items.iter().map(Item::firm_total).collect();
        sum(totals.iter())
    }

    pub fn probable_total(&self) -> Cell {
        let totals: Vec<Cell> = self.items.iter().map(Item::probable_total).collect();
        sum(totals.iter())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Demand {
    pub groups: Vec<Group>,
    /// The communes with a demand, `(insee, name)`, by name.
    pub communes: Vec<(String, String)>,
    pub firm_proposals: usize,
    pub probable_proposals: usize,
}

impl Demand {
    pub fn firm_total(&self) -> Cell {
        let totals: Vec<Cell> = self.groups.iter().map(Group::firm_total).collect();
        sum(totals.iter())
    }

    pub fn probable_total(&self) -> Cell {
        let totals: Vec<Cell> = self.groups.iter().map(Group::probable_total).collect();
        sum(totals.iter())
    }
}

/// The campaign's demand: proposals priced with its catalogue version; firm when
/// accepted by the cut-off date, probable while pending. Each counts its retained
/// scenario's lines (`data`'s rule).
pub fn demand(
    campaign: &Campaign,
    proposals: &[Proposal],
    categories: &HashMap<String, String>,
) -> Demand {
    let mut groups: BTreeMap<String, BTreeMap<String, Item>> = BTreeMap::new();
    let mut communes: BTreeMap<String, String> = BTreeMap::new();
    let mut d = Demand::default();
    for p in proposals
        .iter()
        .filter(|p| p.catalogue_version == campaign.catalogue_version)
    {
        let firm = match p.status {
            Status::Accepted if p.decided_on.is_none_or(|d| d <= campaign.cutoff) => true,
            Status::Pending if p.issued_on.is_none_or(|d| d <= campaign.cutoff) => false,
            _ => continue,
        };
        let Some(scenario) = p.retained_scenario() else {
            continue;
        };
        if firm {
            d.firm_proposals += 1;
        } else {
            d.probable_proposals += 1;
        }
        communes.insert(p.insee.clone(), p.commune.clone());
        for line in &scenario.lines {
            let group = p
                .lots
                .get(&line.reference)
                .or_else(|| categories.get(&line.reference))
                .cloned()
                .unwrap_or_else(|| "Sans catégorie".to_string());
            let item = groups
                .entry(group)
                .or_default()
                .entry(line.reference.clone())
                .or_insert_with(|| Item {
                    reference: line.reference.clone(),
                    designation: line.designation.clone(),
                    ..Item::default()
                });
            let cells = if firm {
                &mut item.firm
            } else {
                &mut item.probable
            };
            *cells.entry(p.insee.clone()).or_default() += Cell {
                quantity: line.quantity,
                ht: line.total_ht_cents,
            };
        }
    }
    d.groups = groups
        .into_iter()
        .map(|(name, items)| Group {
            name,
            items: items.into_values().collect(),
        })
        .collect();
    let mut communes: Vec<(String, String)> = communes.into_iter().collect();
    communes.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    d.communes = communes;
    d
}

/// Cents as the euros a spreadsheet cell holds.
pub(super) fn euros(cents: i64) -> f64 {
    // Cents are integers below 2^53: the division is exact to the cent once rounded.
    cents as f64 / 100.0
}

pub(super) fn xlsx_error(e: rust_xlsxwriter::XlsxError) -> Error {
    Error::Storage(format!("xlsx: {e}"))
}

/// A sheet name Excel accepts: at most 31 characters, none of `[]:*?/\`, unique.
fn sheet_name(name: &str, taken: &mut Vec<String>) -> String {
    let clean: String = name
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { '-' } else { c })
        .take(28)
        .collect();
    let mut candidate = clean.trim().to_string();
    if candidate.is_empty() {
        candidate = "Lot".into();
    }
    let mut n = 2;
    while taken.iter().any(|t| t.eq_ignore_ascii_case(&candidate)) {
        candidate = format!("{} {n}", clean.chars().take(25).collect::<String>());
        n += 1;
    }
    taken.push(candidate.clone());
    candidate
}

/// The demand as a workbook: a summary sheet, then one sheet per lot or category; numbers
/// are numbers, amounts in a euro format.
pub fn xlsx(campaign: &Campaign, d: &Demand) -> Result<Vec<u8>> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let money = Format::new().set_num_format("#,##0.00 \"€\"");
    let money_bold = Format::new().set_num_format("#,##0.00 \"€\"").set_bold();
    let mut taken = vec!["Synthèse".to_string()];
    {
        let s: &mut Worksheet = book.add_worksheet();
        s.set_name("Synthèse").map_err(xlsx_error)?;
        s.write_string_with_format(0, 0, &campaign.name, &bold)
            .map_err(xlsx_error)?;
        s.write_string(
            1,
            0,
            format!(
                "Catalogue {} ; date limite {}",
                campaign.catalogue_version,
                preau_reference::format::date(campaign.cutoff)
            ),
        )
        .map_err(xlsx_error)?;
        let head = [
            "Lot ou catégorie",
            "Quantité acceptée",
            "Montant HT accepté",
            "Quantité probable",
            "Montant HT probable",
        ];
        for (c, h) in head.iter().enumerate() {
            s.write_string_with_format(3, c as u16, *h, &bold)
                .map_err(xlsx_error)?;
        }
        let mut row = 4u32;
        for g in &d.groups {
            let (f, p) = (g.firm_total(), g.probable_total());
            s.write_string(row, 0, &g.name).map_err(xlsx_error)?;
            s.write_number(row, 1, f.quantity as f64)
                .map_err(xlsx_error)?;
            s.write_number_with_format(row, 2, euros(f.ht), &money)
                .map_err(xlsx_error)?;
            s.write_number(row, 3, p.quantity as f64)
                .map_err(xlsx_error)?;
            s.write_number_with_format(row, 4, euros(p.ht), &money)
                .map_err(xlsx_error)?;
            row += 1;
        }
        let (f, p) = (d.firm_total(), d.probable_total());
        s.write_string_with_format(row, 0, "Total", &bold)
            .map_err(xlsx_error)?;
        s.write_number_with_format(row, 1, f.quantity as f64, &bold)
            .map_err(xlsx_error)?;
        s.write_number_with_format(row, 2, euros(f.ht), &money_bold)
            .map_err(xlsx_error)?;
        s.write_number_with_format(row, 3, p.quantity as f64, &bold)
            .map_err(xlsx_error)?;
        s.write_number_with_format(row, 4, euros(p.ht), &money_bold)
            .map_err(xlsx_error)?;
        s.set_column_width(0, 40).map_err(xlsx_error)?;
        s.set_column_range_width(1, 4, 20).map_err(xlsx_error)?;
    }
    for g in &d.groups {
        let name = sheet_name(&g.name, &mut taken);
        let s = book.add_worksheet();
        s.set_name(&name).map_err(xlsx_error)?;
        s.write_string_with_format(0, 0, "Référence", &bold)
            .map_err(xlsx_error)?;
        s.write_string_with_format(0, 1, "Désignation", &bold)
            .map_err(xlsx_error)?;
        let first = 2u16;
        for (i, (insee, commune)) in d.communes.iter().enumerate() {
            s.write_string_with_format(0, first + i as u16, format!("{commune} ({insee})"), &bold)
                .map_err(xlsx_error)?;
        }
        let after = first + d.communes.len() as u16;
        let tail = [
            "Quantité acceptée",
            "Montant HT accepté",
            "Quantité probable",
            "Montant HT probable",
        ];
        for (i, h) in tail.iter().enumerate() {
            s.write_string_with_format(0, after + i as u16, *h, &bold)
                .map_err(xlsx_error)?;
        }
        let mut row = 1u32;
        for item in &g.items {
            s.write_string(row, 0, &item.reference)
                .map_err(xlsx_error)?;
            s.write_string(row, 1, &item.designation)
                .map_err(xlsx_error)?;
            for (i, (insee, _)) in d.communes.iter().enumerate() {
                if let Some(c) = item.firm.get(insee) {
                    s.write_number(row, first + i as u16, c.quantity as f64)
                        .map_err(xlsx_error)?;
                }
            }
            let (f, p) = (item.firm_total(), item.probable_total());
            s.write_number(row, after, f.quantity as f64)
                .map_err(xlsx_error)?;
            s.write_number_with_format(row, after + 1, euros(f.ht), &money)
                .map_err(xlsx_error)?;
            s.write_number(row, after + 2, p.quantity as f64)
                .map_err(xlsx_error)?;
            s.write_number_with_format(row, after + 3, euros(p.ht), &money)
                .map_err(xlsx_error)?;
            row += 1;
        }
        let (f, p) = (g.firm_total(), g.probable_total());
        s.write_string_with_format(row, 0, "Total", &bold)
            .map_err(xlsx_error)?;
        s.write_number_with_format(row, after, f.quantity as f64, &bold)
            .map_err(xlsx_error)?;
        s.write_number_with_format(row, after + 1, euros(f.ht), &money_bold)
            .map_err(xlsx_error)?;
        s.write_number_with_format(row, after + 2, p.quantity as f64, &bold)
            .map_err(xlsx_error)?;
        s.write_number_with_format(row, after + 3, euros(p.ht), &money_bold)
            .map_err(xlsx_error)?;
        s.set_column_width(1, 45).map_err(xlsx_error)?;
    }
    book.save_to_buffer().map_err(xlsx_error)
}

/// "1234,56": an amount as French Excel reads a number in a CSV.
fn csv_euros(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{},{:02}", abs / 100, abs % 100)
}

/// The demand as CSV, one line per item × commune × nature (acceptée / probable): UTF-8
/// with a BOM and `;`, which French Excel opens as is.
pub fn csv(d: &Demand) -> Result<Vec<u8>> {
    let mut out = "\u{feff}".as_bytes().to_vec();
    {
        let mut w = csv::WriterBuilder::new()
            .delimiter(b';')
            .from_writer(&mut out);
        let bad = |e: csv::Error| Error::Storage(format!("csv: {e}"));
        w.write_record([
            "Lot ou catégorie",
            "Référence",
            "Désignation",
            "Commune",
            "Code INSEE",
            "Nature",
            "Quantité",
            "Montant HT (€)",
        ])
        .map_err(bad)?;
        let names: HashMap<&str, &str> = d
            .communes
            .iter()
            .map(|(i, n)| (i.as_str(), n.as_str()))
            .collect();
        for g in &d.groups {
            for item in &g.items {
                for (nature, cells) in [("acceptée", &item.firm), ("probable", &item.probable)] {
                    for (insee, c) in cells {
                        w.write_record([
                            g.name.as_str(),
                            &item.reference,
                            &item.designation,
                            names.get(insee.as_str()).copied().unwrap_or(""),
                            insee,
                            nature,
                            &c.quantity.to_string(),
                            &csv_euros(c.ht),
                        ])
                        .map_err(bad)?;
                    }
                }
            }
        }
        w.flush()?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::data::{Amounts, Line, Scenario};

    fn proposal(insee: &str, status: Status, lines: Vec<(&str, i64, i64)>) -> Proposal {
        Proposal {
            id: format!("p{insee}"),
            visit_id: "v".into(),
            number: "N".into(),
            revision: 1,
            status,
            issued_on: None,
            valid_until: None,
            decided_on: None,
            accepted_scenario_id: None,
            deliberated_on: None,
            adviser: "Anne".into(),
            commune: format!("Commune {insee}"),
            insee: insee.into(),
            epci: None,
            scenarios: vec![Scenario {
                id: "sa".into(),
                label: "A".into(),
                title: "t".into(),
                amounts: Amounts::default(),
                lines: lines
                    .into_iter()
                    .map(|(r, q, price)| Line {
                        reference: r.into(),
                        designation: format!("Article {r}"),
                        quantity: q,
                        unit_price_ht_cents: price,
                        total_ht_cents: q * price,
                    })
                    .collect(),
            }],
            pdf_sha256: None,
            catalogue_version: "c1".into(),
            lots: HashMap::from([("VP".to_string(), "Lot 2 — Vidéoprojection".to_string())]),
        }
    }

    fn campaign() -> Campaign {
        Campaign {
            id: uuid::Uuid::now_v7(),
            name: "Rentrée 2027".into(),
            cutoff: chrono::NaiveDate::from_ymd_opt(2027, 3, 31).expect("date"),
            catalogue_version: "c1".into(),
            created_at: chrono::Utc::now(),
            created_by: "coord@s.fr".into(),
        }
    }

    #[test]
    fn firm_and_probable_are_apart_and_grouped_by_lot_or_category() {
        let mut other_version = proposal("80003", Status::Accepted, vec![("VP", 9, 100)]);
        other_version.catalogue_version = "c0".into();
        let ps = vec![
            proposal(
                "80001",
                Status::Accepted,
                vec![("VP", 2, 50_000), ("TAB", 10, 30_000)],
            ),
            proposal("80002", Status::Pending, vec![("VP", 1, 50_000)]),
            proposal("80004", Status::Refused, vec![("VP", 5, 50_000)]),
            other_version,
        ];
        let cats = HashMap::from([("TAB".to_string(), "Équipement mobile".to_string())]);
        let d = demand(&campaign(), &ps, &cats);
        assert_eq!((d.firm_proposals, d.probable_proposals), (1, 1));
        let names: Vec<&str> = d.groups.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(names, ["Lot 2 — Vidéoprojection", "Équipement mobile"]);
        assert_eq!(
            d.firm_total(),
            Cell {
                quantity: 12,
                ht: 400_000
            }
        );
        assert_eq!(
            d.probable_total(),
            Cell {
                quantity: 1,
                ht: 50_000
            }
        );
        assert_eq!(d.communes.len(), 2);

        let csv = csv(&d).expect("csv");
        let text = String::from_utf8(csv).expect("utf-8");
        assert!(text.starts_with('\u{feff}'));
        assert!(text.contains(
            "Lot 2 — Vidéoprojection;VP;Article VP;Commune 80001;80001;acceptée;2;1000,00"
        ));
        assert!(text.contains(";probable;1;500,00"));
        assert!(!xlsx(&campaign(), &d).expect("xlsx").is_empty());
    }

    use proptest::prelude::*;

    fn any_proposal() -> impl Strategy<Value = Proposal> {
        let status = prop_oneof![
            Just(Status::Pending),
            Just(Status::Accepted),
            Just(Status::Refused),
            Just(Status::Expired),
        ];
        let line = (0..4usize, 1..50i64, 0..200_000i64);
        (
            0..5usize,
            status,
            proptest::collection::vec(line.clone(), 0..6),
            any::<bool>(),
            proptest::option::of(proptest::collection::vec(line, 0..6)),
            prop_oneof![
                Just(None),
                Just(Some("sa")),
                Just(Some("sb")),
                Just(Some("ghost"))
            ],
        )
            .prop_map(|(commune, status, lines, same_version, second, accepted)| {
                let refs = ["VP", "TAB", "ROB", "LIC"];
                let mut p = proposal(
                    &format!("8000{commune}"),
                    status,
                    lines
                        .into_iter()
                        .map(|(r, q, price)| (refs[r], q, price))
                        .collect(),
                );
                if !same_version {
                    p.catalogue_version = "c0".into();
                }
                // Issue 13: a second scenario, and an accepted one recorded (or one the
                // snapshot does not hold: then the first counts).
                if let Some(second) = second {
                    let b = proposal(
                        "0",
                        status,
                        second
                            .into_iter()
                            .map(|(r, q, price)| (refs[r], q, price))
                            .collect(),
                    );
                    let mut b = b.scenarios[0].clone();
                    b.id = "sb".into();
                    b.label = "B".into();
                    p.scenarios.push(b);
                }
                p.accepted_scenario_id = accepted.map(str::to_string);
                p
            })
    }

    proptest! {
        /// Whatever the proposals: the firm total is the accepted proposals' lines of the
        /// campaign's catalogue, the probable one the pending ones', every group and item
        /// adds up, and the CSV's lines add up to the same cents.
        #[test]
        fn totals_add_up_whatever_the_proposals(ps in proptest::collection::vec(any_proposal(), 0..12)) {
            let cats = HashMap::from([("TAB".to_string(), "Équipement mobile".to_string())]);
            let d = demand(&campaign(), &ps, &cats);
            let lines = |st: Status| -> Cell {
                let mut c = Cell::default();
                for p in ps.iter().filter(|p| p.status == st && p.catalogue_version == "c1") {
                    // Counted: the accepted scenario when recorded and held, else the first.
                    let counted = match p.accepted_scenario_id.as_deref() {
                        Some("sb") if p.scenarios.len() > 1 => &p.scenarios[1],
                        _ => &p.scenarios[0],
                    };
                    for l in &counted.lines {
                        c += Cell { quantity: l.quantity, ht: l.total_ht_cents };
                    }
                }
                c
            };
            prop_assert_eq!(d.firm_total(), lines(Status::Accepted));
            prop_assert_eq!(d.probable_total(), lines(Status::Pending));
            for g in &d.groups {
                let items: i64 = g.items.iter().map(|i| i.firm_total().ht).sum();
                prop_assert_eq!(g.firm_total().ht, items);
            }
            let text = String::from_utf8(csv(&d).expect("csv")).expect("utf-8");
            let mut firm = 0i64;
            for line in text.lines().skip(1) {
                let f: Vec<&str> = line.split(';').collect();
                if f[5] == "acceptée" {
                    let (e, c) = f[7].split_once(',').expect("comma");
                    firm += e.parse::<i64>().expect("euros") * 100 + c.parse::<i64>().expect("cents");
                }
            }
            prop_assert_eq!(firm, d.firm_total().ht);
        }
    }

    #[test]
    fn sheet_names_are_short_clean_and_unique() {
        let mut taken = vec!["Synthèse".to_string()];
        let a = sheet_name(
            "Lot 1 — Tablettes: [écoles]/maternelles et élémentaires",
            &mut taken,
        );
        assert!(
            a.chars().count() <= 31 && !a.contains([':', '[', ']', '/']),
            "{a}"
        );
        let b = sheet_name(
            "Lot 1 — Tablettes: [écoles]/maternelles et élémentaires",
            &mut taken,
        );
        assert_ne!(a, b);
        assert!(b.chars().count() <= 31);
        assert_ne!(
            sheet_name("synthèse", &mut taken).to_lowercase(),
            "synthèse"
        );
    }
}
