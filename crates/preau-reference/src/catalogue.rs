//! The catalogue CSV: one parser for the shipped demo catalogue and the syndicate's own
//! (README, « Catalogue du syndicat (CSV) »). French column names in any order, `;` or `,`
//! separated, UTF-8. Any bad value refuses the whole file with one French message naming
//! its line and column: a catalogue is used whole or not at all.

use std::collections::HashMap;

use chrono::NaiveDate;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::money::parse_euros;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum BudgetSection {
    Investissement,
    Fonctionnement,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CatalogueItem {
    pub reference: String,
    pub category: String,
    pub designation: String,
    pub unit: String,
    /// Unit price HT in cents used for proposals.
    pub unit_price_cents: i64,
    pub price_min_cents: i64,
    pub price_max_cents: i64,
    /// VAT rate in basis points (2000 = 20 %).
    pub vat_rate_bp: u32,
    pub lifetime_years: Option<String>,
    pub budget_section: BudgetSection,
    pub socle_strand: Option<String>,
    /// "estimé", "sourcé"…, as given by the catalogue's source.
    pub price_status: String,
    /// A yearly cost (licence, subscription, maintenance): a running cost, its unit ends in
    /// "/an"; otherwise a one-off purchase.
    pub yearly: bool,
    pub supplier: Option<String>,
    /// The supplier's own reference for the item.
    pub supplier_reference: Option<String>,
    /// The group-purchase market the price comes from; `None` in the demo catalogue.
    pub market: Option<Market>,
    /// The market's lot ("2"), and its title.
    pub lot: Option<String>,
    pub lot_label: Option<String>,
    /// Days the price may be used for a new line (the last one is never after the market's
    /// end); `None` = no limit (demo catalogue).
    pub valid_from: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
    /// Whether it can go on a new line on the day the catalogue was read.
    pub availability: Availability,
}

/// A group-purchase market ("marché") of the syndicate's catalogue.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Market {
    /// "SN-2024-07".
    pub reference: String,
    pub label: Option<String>,
    /// The market's last day: nothing is ordered under it afterwards.
    pub ends_on: NaiveDate,
}

/// Whether a catalogue item may be chosen for a new line on a given day. Lines already
/// chosen keep their price whatever it says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Availability {
    #[default]
    Offered,
    /// Its validity starts later.
    NotYet,
    /// Its validity (or its market) has ended.
    Expired,
}

/// Which catalogue a file is. The syndicate's puts every line under a market and a lot,
/// with validity dates; the demo one has none of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatalogueKind {
    Demo,
    Syndicate,
}

/// VAT rates in force in France, in basis points (0, 2,1 %, 5,5 %, 10 %, 20 %).
const VAT_RATES_BP: [u32; 5] = [0, 210, 550, 1_000, 2_000];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Need {
    Always,
    /// Required in the syndicate's catalogue.
    Syndicate,
    Optional,
}

/// Every column the parser knows, in the README's order.
const COLUMNS: &[(&str, Need)] = &[
    ("reference", Need::Always),
    ("designation", Need::Always),
    ("categorie", Need::Always),
    ("unite", Need::Always),
    ("prix_unitaire_ht", Need::Always),
    ("tva", Need::Always),
    ("periodicite", Need::Always),
    ("marche", Need::Syndicate),
    ("marche_intitule", Need::Optional),
    ("marche_fin", Need::Syndicate),
    ("lot", Need::Syndicate),
    ("lot_intitule", Need::Optional),
    ("fournisseur", Need::Optional),
    ("reference_fournisseur", Need::Optional),
    ("debut_validite", Need::Syndicate),
    ("fin_validite", Need::Syndicate),
    ("section_budgetaire", Need::Optional),
    ("volet_socle", Need::Optional),
    ("duree_vie_ans", Need::Optional),
    ("prix_ht_min", Need::Optional),
    ("prix_ht_max", Need::Optional),
    ("statut_prix", Need::Optional),
    // Kept in the file for the reader, not imported.
    ("source_prix", Need::Optional),
    ("garantie", Need::Optional),
    ("commentaire", Need::Optional),
];

/// "Prix unitaire HT" → "prix_unitaire_ht", "Référence fournisseur" → "reference_fournisseur".
fn column_key(header: &str) -> String {
    crate::text::fold_plain(header.trim_start_matches('\u{feff}')).replace(' ', "_")
}

fn refused(line: u64, column: Option<&str>, what: impl std::fmt::Display) -> Error {
    let at = match column {
        Some(c) => format!("ligne {line}, colonne « {c} »"),
        None => format!("ligne {line}"),
    };
    Error::Catalogue(format!(
        "Catalogue, {at} : {what}. Le catalogue n'a pas été importé."
    ))
}

/// "31/08/2027" or "2027-08-31".
fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%d/%m/%Y")
        .or_else(|_| NaiveDate::parse_from_str(s, "%Y-%m-%d"))
        .ok()
        .filter(|d| (2000..=2100).contains(&chrono::Datelike::year(d)))
}

fn french_date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// An amount in euros HT: "1 234,50", "1234.5", "1 234,50 €".
fn parse_price(s: &str) -> std::result::Result<i64, String> {
    let t = s.trim().trim_end_matches('€').trim_end();
    if t.starts_with('-') {
        return Err(format!("prix négatif « {s} »"));
    }
    parse_euros(t).ok_or_else(|| {
        format!("« {s} » n'est pas un prix en euros (exemple : 1 234,50, deux décimales au plus)")
    })
}

/// "20", "20 %", "5,5", "2.1" → basis points, among the French rates.
fn parse_vat(s: &str) -> std::result::Result<u32, String> {
    let t = s.trim().trim_end_matches('%').trim_end();
    let unknown = || {
        format!("taux de TVA « {s} » inconnu (taux admis : 0, 2,1, 5,5, 10 ou 20, en pourcentage)")
    };
    let bp = parse_euros(t)
        .and_then(|c| u32::try_from(c).ok())
        .ok_or_else(unknown)?;
    if VAT_RATES_BP.contains(&bp) {
        Ok(bp)
    } else {
        Err(unknown())
    }
}

/// One record's values by column, with its line number for messages.
struct Row<'a> {
    line: u64,
    values: HashMap<&'static str, &'a str>,
}

impl Row<'_> {
    fn get(&self, column: &'static str) -> Option<&str> {
        self.values
            .get(column)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    fn text(&self, column: &'static str) -> Option<String> {
        self.get(column).map(str::to_string)
    }

    fn required(&self, column: &'static str) -> Result<&str> {
        self.get(column)
            .ok_or_else(|| refused(self.line, Some(column), "valeur obligatoire manquante"))
    }

    fn date(&self, column: &'static str) -> Result<Option<NaiveDate>> {
        match self.get(column) {
            None => Ok(None),
            Some(s) => parse_date(s).map(Some).ok_or_else(|| {
                refused(
                    self.line,
                    Some(column),
                    format!("« {s} » n'est pas une date (JJ/MM/AAAA, par exemple 31/08/2027)"),
                )
            }),
        }
    }

    fn price(&self, column: &'static str) -> Result<Option<i64>> {
        self.get(column)
            .map(|s| parse_price(s).map_err(|e| refused(self.line, Some(column), e)))
            .transpose()
    }
}

/// What was first said about a market or a lot, so that later lines agree with it.
struct Seen<T> {
    value: T,
    line: u64,
}

/// Parses a catalogue CSV. Each item's unit price is the file's; the demo catalogue also
/// gives the estimated range it was taken from.
pub fn parse(text: &str, kind: CatalogueKind) -> Result<Vec<CatalogueItem>> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(crate::csv_text::separator(text))
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| refused(1, None, format!("en-tête illisible ({e})")))?
        .clone();
    let mut index: Vec<(&'static str, usize)> = Vec::new();
    for (i, header) in headers.iter().enumerate() {
        let key = column_key(header);
        if key.is_empty() {
            return Err(refused(1, None, format!("colonne n° {} sans nom", i + 1)));
        }
        let Some((name, _)) = COLUMNS.iter().find(|(name, _)| *name == key) else {
            let known: Vec<&str> = COLUMNS.iter().map(|(n, _)| *n).collect();
            return Err(refused(
                1,
                Some(header),
                format!("colonne inconnue (colonnes admises : {})", known.join(", ")),
            ));
        };
        if index.iter().any(|(n, _)| n == name) {
            return Err(refused(1, Some(header), "colonne en double"));
        }
        index.push((name, i));
    }
    for (name, need) in COLUMNS {
        let needed = match need {
            Need::Always => true,
            Need::Syndicate => kind == CatalogueKind::Syndicate,
            Need::Optional => false,
        };
        if needed && !index.iter().any(|(n, _)| n == name) {
            return Err(refused(
                1,
                Some(name),
                "colonne obligatoire absente de l'en-tête",
            ));
        }
    }

    let mut items: Vec<CatalogueItem> = Vec::new();
    let mut references: HashMap<String, u64> = HashMap::new();
    let mut markets: HashMap<String, Seen<(Option<String>, NaiveDate)>> = HashMap::new();
    let mut lots: HashMap<(String, String), Seen<Option<String>>> = HashMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, csv::Position::line);
            match e.kind() {
                csv::ErrorKind::UnequalLengths {
                    expected_len, len, ..
                } => refused(
                    line,
                    None,
                    format!(
                        "{len} valeurs au lieu de {expected_len} (une par colonne de l'en-tête)"
                    ),
                ),
                _ => refused(line, None, format!("ligne illisible ({e})")),
            }
        })?;
        let line = record.position().map_or(0, csv::Position::line);
        if record.iter().all(str::is_empty) {
            continue;
        }
        let row = Row {
            line,
            values: index
                .iter()
                .map(|(name, i)| (*name, record.get(*i).unwrap_or("")))
                .collect(),
        };
        let item = parse_row(&row, kind)?;

        if let Some(first) = references.insert(item.reference.clone(), line) {
            return Err(refused(
                line,
                Some("reference"),
                format!(
                    "référence « {} » déjà donnée ligne {first} (une ligne par article)",
                    item.reference
                ),
            ));
        }
        if let Some(m) = &item.market {
            let said = (m.label.clone(), m.ends_on);
            match markets.get(&m.reference) {
                None => {
                    markets.insert(m.reference.clone(), Seen { value: said, line });
                }
                Some(seen) if seen.value.1 != m.ends_on => {
                    return Err(refused(
                        line,
                        Some("marche_fin"),
                        format!(
                            "le marché « {} » finit le {} ligne {}, ici le {}",
                            m.reference,
                            french_date(seen.value.1),
                            seen.line,
                            french_date(m.ends_on)
                        ),
                    ))
                }
                Some(seen) if seen.value.0 != m.label => {
                    return Err(refused(
                        line,
                        Some("marche_intitule"),
                        format!(
                            "le marché « {} » a un autre intitulé ligne {}",
                            m.reference, seen.line
                        ),
                    ))
                }
                Some(_) => {}
            }
            if let Some(lot) = &item.lot {
                let key = (m.reference.clone(), lot.clone());
                match lots.get(&key) {
                    None => {
                        lots.insert(
                            key,
                            Seen {
                                value: item.lot_label.clone(),
                                line,
                            },
                        );
                    }
                    Some(seen) if seen.value != item.lot_label => {
                        return Err(refused(
                            line,
                            Some("lot_intitule"),
                            format!(
                                "le lot {lot} du marché « {} » a un autre intitulé ligne {}",
                                m.reference, seen.line
                            ),
                        ))
                    }
                    Some(_) => {}
                }
            }
        }
        items.push(item);
    }
    if items.is_empty() {
        return Err(refused(2, None, "aucun article après l'en-tête"));
    }
    Ok(items)
}

fn parse_row(row: &Row<'_>, kind: CatalogueKind) -> Result<CatalogueItem> {
    let line = row.line;
    let at = |column: &'static str, what: String| refused(line, Some(column), what);
    let reference = row.required("reference")?.to_string();
    let designation = row.required("designation")?.to_string();
    let category = row.required("categorie")?.to_string();
    let mut unit = row.required("unite")?.to_string();

    let price = row.price("prix_unitaire_ht")?.ok_or_else(|| {
        refused(
            line,
            Some("prix_unitaire_ht"),
            "valeur obligatoire manquante",
        )
    })?;
    let min = row.price("prix_ht_min")?;
    let max = row.price("prix_ht_max")?;
    let (min, max) = match (min, max) {
        (None, None) => (price, price),
        (Some(min), Some(max)) => (min, max),
        (Some(_), None) => {
            return Err(at(
                "prix_ht_max",
                "une fourchette de prix demande un minimum et un maximum".into(),
            ))
        }
        (None, Some(_)) => {
            return Err(at(
                "prix_ht_min",
                "une fourchette de prix demande un minimum et un maximum".into(),
            ))
        }
    };
    if !(min <= price && price <= max) {
        return Err(at(
            "prix_unitaire_ht",
            format!(
                "prix de {} hors de la fourchette {} – {}",
                crate::format::euros(price),
                crate::format::euros(min),
                crate::format::euros(max)
            ),
        ));
    }
    let vat_rate_bp = parse_vat(row.required("tva")?).map_err(|e| at("tva", e))?;

    let periodicity = row.required("periodicite")?;
    let yearly = match crate::text::fold_plain(periodicity).as_str() {
        "annuel" | "annuelle" | "par an" => true,
        "ponctuel" | "ponctuelle" | "unique" => false,
        _ => {
            return Err(at(
                "periodicite",
                format!("« {periodicity} » : attendu « annuel » (licence, abonnement, maintenance) ou « ponctuel » (achat)"),
            ))
        }
    };
    if yearly && !unit.contains("/an") {
        unit.push_str("/an");
    } else if !yearly && unit.contains("/an") {
        return Err(at(
            "unite",
            format!("unité « {unit} » par an pour un article ponctuel (périodicité)"),
        ));
    }
    let budget_section = match row.get("section_budgetaire") {
        None if yearly => BudgetSection::Fonctionnement,
        None => BudgetSection::Investissement,
        Some(s) => match crate::text::fold_plain(s).as_str() {
            "investissement" if yearly => {
                return Err(at(
                    "section_budgetaire",
                    "un article annuel relève du fonctionnement, pas de l'investissement".into(),
                ))
            }
            "investissement" => BudgetSection::Investissement,
            "fonctionnement" => BudgetSection::Fonctionnement,
            _ => {
                return Err(at(
                    "section_budgetaire",
                    format!("« {s} » : attendu « investissement » ou « fonctionnement »"),
                ))
            }
        },
    };

    let market = match row.get("marche") {
        None => {
            if kind == CatalogueKind::Syndicate {
                return Err(at("marche", "valeur obligatoire manquante".into()));
            }
            if row.get("marche_fin").is_some() || row.get("lot").is_some() {
                return Err(at("marche", "fin de marché ou lot sans marché".into()));
            }
            None
        }
        Some(reference) => {
            let ends_on = row.date("marche_fin")?.ok_or_else(|| {
                at(
                    "marche_fin",
                    "valeur obligatoire manquante (fin du marché)".into(),
                )
            })?;
            Some(Market {
                reference: reference.to_string(),
                label: row.text("marche_intitule"),
                ends_on,
            })
        }
    };
    let lot = row.text("lot");
    if market.is_some() && lot.is_none() {
        return Err(at("lot", "valeur obligatoire manquante".into()));
    }
    let valid_from = row.date("debut_validite")?;
    let given_until = row.date("fin_validite")?;
    if let (Some(from), Some(until)) = (valid_from, given_until) {
        if until < from {
            return Err(at(
                "fin_validite",
                format!(
                    "fin de validité ({}) avant le début ({})",
                    french_date(until),
                    french_date(from)
                ),
            ));
        }
    }
    let valid_until = match (&market, given_until) {
        (Some(m), Some(until)) if until > m.ends_on => {
            return Err(at(
                "fin_validite",
                format!(
                    "fin de validité ({}) après la fin du marché « {} » ({})",
                    french_date(until),
                    m.reference,
                    french_date(m.ends_on)
                ),
            ))
        }
        (Some(m), None) => Some(m.ends_on),
        (_, until) => until,
    };
    if let (Some(from), Some(until)) = (valid_from, valid_until) {
        if until < from {
            return Err(at(
                "debut_validite",
                format!(
                    "début de validité ({}) après la fin du marché ({})",
                    french_date(from),
                    french_date(until)
                ),
            ));
        }
    }

    Ok(CatalogueItem {
        reference,
        category,
        designation,
        unit,
        unit_price_cents: price,
        price_min_cents: min,
        price_max_cents: max,
        vat_rate_bp,
        lifetime_years: row.text("duree_vie_ans").filter(|s| s != "-"),
        budget_section,
        socle_strand: row.text("volet_socle"),
        price_status: row.text("statut_prix").unwrap_or_else(|| match kind {
            CatalogueKind::Demo => "estimé".to_string(),
            CatalogueKind::Syndicate => "prix du marché".to_string(),
        }),
        yearly,
        supplier: row.text("fournisseur"),
        supplier_reference: row.text("reference_fournisseur"),
        market,
        lot,
        lot_label: row.text("lot_intitule"),
        valid_from,
        valid_until,
        availability: Availability::Offered,
    })
}

/// Whether `item` may go on a new line on `today`.
pub fn availability_on(item: &CatalogueItem, today: NaiveDate) -> Availability {
    let ends = [item.valid_until, item.market.as_ref().map(|m| m.ends_on)]
        .into_iter()
        .flatten()
        .min();
    if item.valid_from.is_some_and(|from| today < from) {
        Availability::NotYet
    } else if ends.is_some_and(|end| today > end) {
        Availability::Expired
    } else {
        Availability::Offered
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The French sentence of a refusal.
    fn message(e: &Error) -> String {
        match e {
            Error::Catalogue(m) => m.clone(),
            other => other.to_string(),
        }
    }

    const HEADER: &str = "reference;designation;categorie;unite;prix_unitaire_ht;tva;periodicite;marche;marche_intitule;marche_fin;lot;lot_intitule;fournisseur;reference_fournisseur;debut_validite;fin_validite";

    fn good_line() -> String {
        "ENI65;Écran 65 pouces;Affichage collectif;unité;2 150,00;20;ponctuel;SN-2024-07;Équipements;31/08/2027;1;Affichage;Fournisseur A;FA-65;01/09/2026;31/08/2027".into()
    }

    fn syndicate(lines: &[String]) -> Result<Vec<CatalogueItem>> {
        let mut text = HEADER.to_string();
        for l in lines {
            text.push('\n');
            text.push_str(l);
        }
        parse(&text, CatalogueKind::Syndicate)
    }

    /// The good line with field `column` (0-based) replaced.
    fn with(column: usize, value: &str) -> String {
        let mut fields: Vec<String> = good_line().split(';').map(str::to_string).collect();
        fields[column] = value.to_string();
        fields.join(";")
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    #[test]
    fn a_syndicate_line_carries_its_market_lot_and_validity() {
        let items = syndicate(&[good_line()]).expect("parses");
        let it = &items[0];
        assert_eq!(it.unit_price_cents, 215_000);
        assert_eq!((it.price_min_cents, it.price_max_cents), (215_000, 215_000));
        assert_eq!(it.vat_rate_bp, 2_000);
        assert!(!it.yearly);
        assert_eq!(it.budget_section, BudgetSection::Investissement);
        let m = it.market.as_ref().expect("market");
        assert_eq!(m.reference, "SN-2024-07");
        assert_eq!(m.label.as_deref(), Some("Équipements"));
        assert_eq!(m.ends_on, date(2027, 8, 31));
        assert_eq!(it.lot.as_deref(), Some("1"));
        assert_eq!(it.supplier_reference.as_deref(), Some("FA-65"));
        assert_eq!(it.valid_from, Some(date(2026, 9, 1)));
        assert_eq!(it.valid_until, Some(date(2027, 8, 31)));
        assert_eq!(it.price_status, "prix du marché");
    }

    #[test]
    fn comma_separated_with_french_headers_quotes_bom_and_iso_dates() {
        let text = "\u{feff}Référence,Désignation,Catégorie,Unité,Prix unitaire HT,TVA (%),Périodicité,Marché,Fin du marché,Lot,Début validité,Fin validité\n\
                    ENT,\"Abonnement ENT, par élève\",Services,élève,\"3,50 €\",20 %,Annuel,SN-2025-02,2028-12-31,1,,\n";
        // "Fin du marché" is not a known name: refused, and said so.
        let err = parse(text, CatalogueKind::Syndicate).expect_err("unknown column");
        assert!(
            message(&err).contains("« Fin du marché »"),
            "{}",
            message(&err)
        );
        let text = text.replace("Fin du marché", "Marché fin");
        let items = parse(&text, CatalogueKind::Syndicate).expect("parses");
        let it = &items[0];
        assert_eq!(it.designation, "Abonnement ENT, par élève");
        assert_eq!(it.unit, "élève/an");
        assert!(it.yearly);
        assert_eq!(it.budget_section, BudgetSection::Fonctionnement);
        assert_eq!(it.unit_price_cents, 350);
        assert_eq!(it.valid_from, None);
        assert_eq!(
            it.valid_until,
            Some(date(2028, 12, 31)),
            "until the market's end"
        );
    }

    #[test]
    fn bad_input_names_its_line_and_column() {
        let cases: Vec<(Vec<String>, &str)> = vec![
            (vec![with(4, "-12")], "ligne 2, colonne « prix_unitaire_ht » : prix négatif"),
            (vec![with(4, "douze")], "ligne 2, colonne « prix_unitaire_ht » : « douze » n'est pas un prix"),
            (vec![with(4, "12,345")], "colonne « prix_unitaire_ht »"),
            (vec![with(4, "")], "ligne 2, colonne « prix_unitaire_ht » : valeur obligatoire"),
            (vec![with(5, "19,6")], "ligne 2, colonne « tva » : taux de TVA « 19,6 » inconnu"),
            (vec![with(5, "deux")], "colonne « tva »"),
            (vec![with(6, "mensuel")], "ligne 2, colonne « periodicite »"),
            (vec![with(14, "01/09/2027"), ], "ligne 2, colonne « fin_validite » : fin de validité (31/08/2027) avant le début (01/09/2027)"),
            (vec![with(15, "30/09/2027")], "ligne 2, colonne « fin_validite » : fin de validité (30/09/2027) après la fin du marché"),
            (vec![with(15, "31/02/2027")], "ligne 2, colonne « fin_validite » : « 31/02/2027 » n'est pas une date"),
            (vec![with(9, "")], "ligne 2, colonne « marche_fin » : valeur obligatoire"),
            (vec![with(7, "")], "ligne 2, colonne « marche » : valeur obligatoire"),
            (vec![with(10, "")], "ligne 2, colonne « lot » : valeur obligatoire"),
            (vec![with(0, "")], "ligne 2, colonne « reference » : valeur obligatoire"),
            (vec![with(3, "licence/an")], "ligne 2, colonne « unite »"),
            (vec![good_line(), good_line()], "ligne 3, colonne « reference » : référence « ENI65 » déjà donnée ligne 2"),
            (
                vec![good_line(), with(0, "ENI75").replace("31/08/2027;1;", "30/06/2027;1;").replace(";31/08/2027", ";30/06/2027")],
                "ligne 3, colonne « marche_fin » : le marché « SN-2024-07 » finit le 31/08/2027 ligne 2",
            ),
            (
                vec![good_line(), with(0, "ENI75").replace(";Affichage;", ";Écrans;")],
                "ligne 3, colonne « lot_intitule »",
            ),
            (vec!["ENI65;trop;peu".into()], "ligne 2 : 3 valeurs au lieu de 16"),
            (vec![], "aucun article"),
        ];
        for (lines, want) in cases {
            let err = syndicate(&lines).expect_err(want);
            let msg = message(&err);
            assert!(msg.contains(want), "want {want:?} in {msg:?}");
            assert!(msg.ends_with("Le catalogue n'a pas été importé."), "{msg}");
            assert!(matches!(err, Error::Catalogue(_)), "{err:?}");
        }
    }

    #[test]
    fn a_missing_unknown_or_doubled_column_is_named() {
        let without_lot = HEADER.replace(";lot;", ";");
        let err = parse(&without_lot, CatalogueKind::Syndicate).expect_err("no lot");
        assert!(
            message(&err).contains("ligne 1, colonne « lot » : colonne obligatoire absente"),
            "{}",
            message(&err)
        );
        // The demo catalogue needs no market columns.
        let demo = "reference,designation,categorie,unite,prix_unitaire_ht,tva,periodicite\nX,Y,Z,unité,1,20,ponctuel\n";
        assert_eq!(parse(demo, CatalogueKind::Demo).expect("demo").len(), 1);
        let err = parse(demo, CatalogueKind::Syndicate).expect_err("no market");
        assert!(
            message(&err).contains("colonne « marche »"),
            "{}",
            message(&err)
        );
        let err =
            parse(&demo.replace("periodicite", "prix"), CatalogueKind::Demo).expect_err("unknown");
        assert!(
            message(&err).contains("ligne 1, colonne « prix » : colonne inconnue"),
            "{}",
            message(&err)
        );
        let err = parse(
            &demo.replace("tva,periodicite", "tva,TVA"),
            CatalogueKind::Demo,
        )
        .expect_err("twice");
        assert!(
            message(&err).contains("colonne « TVA » : colonne en double"),
            "{}",
            message(&err)
        );
    }

    #[test]
    fn line_numbers_count_quoted_line_breaks_and_blank_lines() {
        let text = format!(
            "{HEADER}\n{}\n\nENI75;\"Écran\n75 pouces\";Affichage collectif;unité;2200;20;ponctuel;SN-2024-07;Équipements;31/08/2027;1;Affichage;;;;\nENI86;Écran;Affichage collectif;unité;abc;20;ponctuel;SN-2024-07;Équipements;31/08/2027;1;Affichage;;;;\n",
            good_line()
        );
        let err = parse(&text, CatalogueKind::Syndicate).expect_err("bad price");
        assert!(
            message(&err).contains("ligne 6, colonne « prix_unitaire_ht »"),
            "{}",
            message(&err)
        );
    }

    #[test]
    fn availability_follows_the_validity_and_the_market() {
        let items = syndicate(&[good_line()]).expect("parses");
        let it = &items[0];
        assert_eq!(availability_on(it, date(2026, 8, 31)), Availability::NotYet);
        assert_eq!(availability_on(it, date(2026, 9, 1)), Availability::Offered);
        assert_eq!(
            availability_on(it, date(2027, 8, 31)),
            Availability::Offered
        );
        assert_eq!(availability_on(it, date(2027, 9, 1)), Availability::Expired);
        let demo = parse(
            "reference,designation,categorie,unite,prix_unitaire_ht,tva,periodicite\nX,Y,Z,unité,1,20,ponctuel\n",
            CatalogueKind::Demo,
        )
        .expect("demo");
        assert_eq!(
            availability_on(&demo[0], date(2090, 1, 1)),
            Availability::Offered
        );
    }

    #[test]
    fn shipped_catalogue_parses_with_indicative_midpoint_prices() {
        let items = parse(
            include_str!("../../../data/reference/catalogue_equipement_ecole.csv"),
            CatalogueKind::Demo,
        )
        .expect("shipped catalogue parses");
        assert_eq!(items.len(), 32);
        let eni = items
            .iter()
            .find(|i| i.reference == "ENI65")
            .expect("ENI65");
        assert_eq!(eni.unit_price_cents, 220_000);
        assert_eq!(eni.vat_rate_bp, 2_000);
        assert!(items.iter().all(|i| i.price_min_cents <= i.unit_price_cents
            && i.unit_price_cents <= i.price_max_cents
            && i.market.is_none()
            && i.valid_until.is_none()));
        // Running costs are the yearly items, and only they.
        let yearly: Vec<&str> = items
            .iter()
            .filter(|i| i.yearly)
            .map(|i| i.reference.as_str())
            .collect();
        assert_eq!(yearly, ["MDM", "MAINT", "ENT", "RESS"]);
        let form = items.iter().find(|i| i.reference == "FORM").expect("FORM");
        assert!(!form.yearly && form.budget_section == BudgetSection::Fonctionnement);
    }

    #[test]
    fn the_example_syndicate_catalogue_parses_with_two_markets() {
        let text = include_str!("../../../data/reference/catalogue-syndicat-exemple.csv");
        let items = parse(text, CatalogueKind::Syndicate).expect("example parses");
        let mut markets: Vec<&str> = items
            .iter()
            .filter_map(|i| i.market.as_ref().map(|m| m.reference.as_str()))
            .collect();
        markets.sort_unstable();
        markets.dedup();
        assert_eq!(markets.len(), 2, "{markets:?}");
        assert!(items
            .iter()
            .all(|i| i.lot.is_some() && i.valid_until.is_some()));
        // The references the "socle numérique" suggestions use are all there.
        for reference in [
            "ENI65", "PCENS", "TABL", "CHAR16", "COQUE", "MDM", "WIFI", "ENT",
        ] {
            assert!(
                items.iter().any(|i| i.reference == reference),
                "{reference} missing"
            );
        }
    }

    mod prop {
        use super::*;
        use proptest::prelude::*;

        fn euros_text(cents: i64) -> String {
            format!("{},{:02}", cents / 100, cents % 100)
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            /// Any catalogue written out field by field reads back the same, whatever the
            /// separator, quoting and the text in the fields.
            #[test]
            fn a_written_catalogue_reads_back(
                rows in proptest::collection::vec(
                    ("[A-Z]{2,6}[0-9]{0,3}", "[^\u{0}\r\n]{1,40}", 0i64..10_000_000, 0usize..5, any::<bool>(), 0i64..900, 0i64..900),
                    1..20,
                ),
                semicolon in any::<bool>(),
            ) {
                let sep = if semicolon { ';' } else { ',' };
                let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
                let mut text = ["reference", "designation", "categorie", "unite", "prix_unitaire_ht", "tva", "periodicite", "marche", "marche_fin", "lot", "debut_validite", "fin_validite"].join(&sep.to_string());
                let mut want = Vec::new();
                let mut seen = std::collections::HashSet::new();
                for (i, (reference, designation, price, vat, yearly, from, len)) in rows.iter().enumerate() {
                    let reference = format!("{reference}-{i}");
                    let designation = format!("Article {designation}");
                    if !seen.insert(reference.clone()) { continue; }
                    let from_day = date(2026, 1, 1) + chrono::Days::new(*from as u64);
                    let until_day = from_day + chrono::Days::new(*len as u64);
                    let fields = [
                        reference.clone(),
                        quote(&designation),
                        quote("Catégorie ; « test »"),
                        "unité".into(),
                        quote(&euros_text(*price)),
                        quote(&match VAT_RATES_BP[*vat] { 210 => "2,1".to_string(), 550 => "5,5".into(), bp => (bp / 100).to_string() }),
                        if *yearly { "annuel" } else { "ponctuel" }.into(),
                        "SN-1".into(),
                        "31/12/2030".into(),
                        (i % 3 + 1).to_string(),
                        french_date(from_day),
                        until_day.format("%Y-%m-%d").to_string(),
                    ];
                    text.push('\n');
                    text.push_str(&fields.join(&sep.to_string()));
                    want.push((reference, designation.trim().to_string(), *price, VAT_RATES_BP[*vat], *yearly, from_day, until_day));
                }
                let items = parse(&text, CatalogueKind::Syndicate).map_err(|e| TestCaseError::fail(message(&e)))?;
                prop_assert_eq!(items.len(), want.len());
                for (it, (reference, designation, price, vat, yearly, from, until)) in items.iter().zip(want) {
                    prop_assert_eq!(&it.reference, &reference);
                    prop_assert_eq!(&it.designation, &designation);
                    prop_assert_eq!(it.unit_price_cents, price);
                    prop_assert_eq!(it.vat_rate_bp, vat);
                    prop_assert_eq!(it.yearly, yearly);
                    prop_assert_eq!(it.unit.contains("/an"), yearly);
                    prop_assert_eq!(it.valid_from, Some(from));
                    prop_assert_eq!(it.valid_until, Some(until));
                }
            }

            /// Garbage never panics, and a refusal always names a line.
            #[test]
            fn any_text_is_parsed_or_refused_with_a_line(text in "[a-z0-9;,\"\n €%/-]{0,300}") {
                if let Err(e) = parse(&format!("{HEADER}\n{text}"), CatalogueKind::Syndicate) {
                    prop_assert!(message(&e).starts_with("Catalogue, ligne "), "{}", message(&e));
                }
            }
        }
    }
}
