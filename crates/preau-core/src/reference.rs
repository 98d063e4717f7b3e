//! Reference data shipped inside the binary (communes, EPCI, demo catalogue, funding
//! programmes), loaded into the store on first start and again when the shipped version
//! changes. Sources and licences: `data/reference/SOURCES.md`.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::model::{BudgetSection, Catalogue, CatalogueItem, ReferenceVersion};
use crate::money::parse_euros;
use crate::store::{now_utc, Store};

const COMMUNES_CSV: &str = include_str!("../../../data/reference/somme_communes.csv");
const EPCI_CSV: &str = include_str!("../../../data/reference/somme_epci.csv");
const CATALOGUE_CSV: &str = include_str!("../../../data/reference/catalogue_equipement_ecole.csv");
/// Normalised from `financements_reference.json` (kept beside it as the source).
const FUNDING_JSON: &str = include_str!("../../../data/reference/funding_rules.json");

/// A short, stable fingerprint of shipped data, so a new build reloads what changed.
fn fingerprint(parts: &[&str]) -> String {
    // FNV-1a: no dependency, stable across builds and platforms.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

fn loaded_version(conn: &Connection, kind: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT version FROM reference_versions WHERE kind = ?1",
            [kind],
            |r| r.get(0),
        )
        .optional()?)
}

fn record_version(conn: &Connection, v: &ReferenceVersion, content: Option<&str>) -> Result<()> {
    conn.execute(
        "INSERT INTO reference_versions (kind, version, label, source, indicative, content, loaded_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT(kind) DO UPDATE SET version = excluded.version, label = excluded.label,
           source = excluded.source, indicative = excluded.indicative,
           content = excluded.content, loaded_at = excluded.loaded_at",
        params![v.kind, v.version, v.label, v.source, v.indicative, content, now_utc()],
    )?;
    Ok(())
}

/// Loads each shipped data set whose version differs from the one in the store.
pub(crate) fn ensure_loaded(conn: &mut Connection) -> Result<()> {
    let tx = conn.transaction()?;
    let communes_version = fingerprint(&[COMMUNES_CSV, EPCI_CSV]);
    if loaded_version(&tx, "communes")?.as_deref() != Some(&communes_version) {
        load_communes(&tx)?;
        record_version(
            &tx,
            &ReferenceVersion {
                kind: "communes".into(),
                version: communes_version,
                label: "Communes de la Somme (COG 2026)".into(),
                source: "@etalab/decoupage-administratif 6.0.0 et annuaire service-public.fr (Licence Ouverte)".into(),
                indicative: false,
            },
            None,
        )?;
    }
    let catalogue_version = format!("demo-{}", fingerprint(&[CATALOGUE_CSV]));
    let loaded = loaded_version(&tx, "catalogue")?;
    if !is_from_server(loaded.as_deref()) && loaded.as_deref() != Some(&catalogue_version) {
        load_catalogue(&tx, CATALOGUE_CSV, &catalogue_version)?;
        record_version(
            &tx,
            &ReferenceVersion {
                kind: "catalogue".into(),
                version: catalogue_version,
                label: "Catalogue de démonstration — prix indicatifs".into(),
                source: "Fourchettes de prix HT estimées à partir de sources publiques ; \
                         le catalogue du groupement de commandes est importé par le syndicat"
                    .into(),
                indicative: true,
            },
            None,
        )?;
    }
    let funding_version = fingerprint(&[FUNDING_JSON]);
    let loaded = loaded_version(&tx, "funding")?;
    if !is_from_server(loaded.as_deref()) && loaded.as_deref() != Some(&funding_version) {
        parse_funding(FUNDING_JSON)?;
        record_version(
            &tx,
            &ReferenceVersion {
                kind: "funding".into(),
                version: funding_version,
                label:
                    "Dispositifs de financement (référence, statuts « sourcé » / « à vérifier »)"
                        .into(),
                source: "Recherche documentaire du syndicat, sources citées par règle".into(),
                indicative: true,
            },
            Some(FUNDING_JSON),
        )?;
    }
    tx.commit()?;
    Ok(())
}

#[derive(Deserialize)]
struct EpciRow {
    epci_siren: String,
    nom: String,
    #[serde(rename = "type")]
    kind: String,
    membre_somme_numerique: String,
}

#[derive(Deserialize)]
struct CommuneRow {
    code_insee: String,
    nom: String,
    population_municipale: u32,
    codes_postaux: String,
    epci_siren: String,
    centroide_lat: Option<f64>,
    centroide_lon: Option<f64>,
    mairie_adresse: String,
    mairie_telephone: String,
    mairie_email: String,
}

fn non_empty(s: String) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

fn load_communes(conn: &Connection) -> Result<()> {
    let bad = |e: csv::Error| Error::Reference(format!("communes: {e}"));
    let mut epci = conn.prepare(
        "INSERT INTO epci (siren, name, kind, member) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(siren) DO UPDATE SET name = excluded.name, kind = excluded.kind,
           member = excluded.member",
    )?;
    for row in csv::Reader::from_reader(EPCI_CSV.as_bytes()).deserialize() {
        let row: EpciRow = row.map_err(bad)?;
        epci.execute(params![
            row.epci_siren,
            row.nom,
            row.kind,
            row.membre_somme_numerique == "oui"
        ])?;
    }
    let mut commune = conn.prepare(
        "INSERT INTO communes (insee, name, population, postal_codes, epci_siren,
           mairie_address, mairie_phone, mairie_email, latitude, longitude)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT(insee) DO UPDATE SET name = excluded.name, population = excluded.population,
           postal_codes = excluded.postal_codes, epci_siren = excluded.epci_siren,
           mairie_address = excluded.mairie_address, mairie_phone = excluded.mairie_phone,
           mairie_email = excluded.mairie_email, latitude = excluded.latitude,
           longitude = excluded.longitude",
    )?;
    for row in csv::Reader::from_reader(COMMUNES_CSV.as_bytes()).deserialize() {
        let row: CommuneRow = row.map_err(bad)?;
        commune.execute(params![
            row.code_insee,
            row.nom,
            row.population_municipale,
            row.codes_postaux,
            non_empty(row.epci_siren),
            non_empty(row.mairie_adresse),
            non_empty(row.mairie_telephone),
            non_empty(row.mairie_email),
            row.centroide_lat,
            row.centroide_lon,
        ])?;
    }
    Ok(())
}

#[derive(Deserialize)]
struct CatalogueRow {
    id: String,
    categorie: String,
    designation: String,
    unite: String,
    prix_ht_min: String,
    prix_ht_max: String,
    tva_pct: String,
    duree_vie_ans: String,
    section_budgetaire: String,
    volet_socle_snee: String,
    statut_prix: String,
}

/// Parses the demo catalogue. Its unit price is the middle of the estimated range,
/// rounded down to the euro: indicative only, and labelled so wherever it shows.
pub(crate) fn parse_catalogue(csv_text: &str) -> Result<Vec<CatalogueItem>> {
    let mut items = Vec::new();
    for (i, row) in csv::Reader::from_reader(csv_text.as_bytes())
        .deserialize()
        .enumerate()
    {
        let line = i + 2;
        let row: CatalogueRow =
            row.map_err(|e| Error::Reference(format!("catalogue line {line}: {e}")))?;
        let price = |s: &str| {
            parse_euros(s)
                .ok_or_else(|| Error::Reference(format!("catalogue line {line}: bad price {s:?}")))
        };
        let (min, max) = (price(&row.prix_ht_min)?, price(&row.prix_ht_max)?);
        let vat_bp = parse_euros(&row.tva_pct)
            .and_then(|c| u32::try_from(c).ok())
            .filter(|bp| *bp <= 10_000)
            .ok_or_else(|| Error::Reference(format!("catalogue line {line}: bad VAT")))?;
        let budget_section = match row.section_budgetaire.as_str() {
            "investissement" => BudgetSection::Investissement,
            "fonctionnement" => BudgetSection::Fonctionnement,
            other => {
                return Err(Error::Reference(format!(
                    "catalogue line {line}: unknown budget section {other:?}"
                )))
            }
        };
        items.push(CatalogueItem {
            reference: row.id,
            category: row.categorie,
            designation: row.designation,
            unit: row.unite,
            unit_price_cents: (min + max) / 2 / 100 * 100,
            price_min_cents: min,
            price_max_cents: max,
            vat_rate_bp: vat_bp,
            lifetime_years: non_empty(row.duree_vie_ans).filter(|s| s != "-"),
            budget_section,
            socle_strand: non_empty(row.volet_socle_snee),
            price_status: row.statut_prix,
        });
    }
    Ok(items)
}

/// Versions published by the syndicate's server start with this; the shipped demo data
/// never replaces them.
const SERVER_VERSION_PREFIX: &str = "serveur-";

fn is_from_server(version: Option<&str>) -> bool {
    version.is_some_and(|v| v.starts_with(SERVER_VERSION_PREFIX))
}

/// Installs a catalogue published by the syndicate's server as the one in use. Lines
/// already chosen keep the version and price they were chosen at.
pub(crate) fn install_server_catalogue(
    conn: &Connection,
    csv_text: &str,
    version: i64,
) -> Result<()> {
    let items = parse_catalogue(csv_text)?;
    let indicative = items.iter().any(|i| i.price_min_cents != i.price_max_cents);
    let v = format!("{SERVER_VERSION_PREFIX}{version}");
    load_catalogue(conn, csv_text, &v)?;
    record_version(
        conn,
        &ReferenceVersion {
            kind: "catalogue".into(),
            version: v,
            label: format!("Catalogue du groupement d'achat (version {version})"),
            source: "Publié par le serveur du syndicat".into(),
            indicative,
        },
        None,
    )
}

/// Funding rules from JSON, refused unless they pass `FundingRules::validate`.
pub(crate) fn parse_funding(json: &str) -> Result<crate::plan::FundingRules> {
    let rules: crate::plan::FundingRules =
        serde_json::from_str(json).map_err(|e| Error::Reference(format!("funding rules: {e}")))?;
    rules
        .validate()
        .map_err(|e| Error::Reference(format!("funding rules: {e}")))?;
    Ok(rules)
}

/// Installs funding rules published by the syndicate's server, after validating them.
pub(crate) fn install_server_funding(conn: &Connection, json: &str, version: i64) -> Result<()> {
    parse_funding(json)?;
    record_version(
        conn,
        &ReferenceVersion {
            kind: "funding".into(),
            version: format!("{SERVER_VERSION_PREFIX}{version}"),
            label: format!("Dispositifs de financement (version {version} du syndicat)"),
            source: "Publié par le serveur du syndicat".into(),
            indicative: true,
        },
        Some(json),
    )
}

fn load_catalogue(conn: &Connection, csv_text: &str, version: &str) -> Result<()> {
    let items = parse_catalogue(csv_text)?;
    let mut insert = conn.prepare(
        "INSERT OR REPLACE INTO catalogue_items (version, reference, category, designation, unit,
           unit_price_cents, price_min_cents, price_max_cents, vat_rate_bp, lifetime_years,
           budget_section, socle_strand, price_status)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?;
    for it in items {
        insert.execute(params![
            version,
            it.reference,
            it.category,
            it.designation,
            it.unit,
            it.unit_price_cents,
            it.price_min_cents,
            it.price_max_cents,
            it.vat_rate_bp,
            it.lifetime_years,
            match it.budget_section {
                BudgetSection::Investissement => "investissement",
                BudgetSection::Fonctionnement => "fonctionnement",
            },
            it.socle_strand,
            it.price_status,
        ])?;
    }
    Ok(())
}

impl Store {
    pub fn reference_version(&self, kind: &str) -> Result<ReferenceVersion> {
        self.cached_row(
            "SELECT kind, version, label, source, indicative FROM reference_versions
                 WHERE kind = ?1",
            [kind],
            |r| {
                Ok(ReferenceVersion {
                    kind: r.get(0)?,
                    version: r.get(1)?,
                    label: r.get(2)?,
                    source: r.get(3)?,
                    indicative: r.get(4)?,
                })
            },
        )
        .optional()?
        .ok_or_else(|| Error::NotFound {
            what: "reference data",
            id: kind.to_string(),
        })
    }

    /// The catalogue version currently in use, with its items by category.
    pub fn catalogue(&self) -> Result<Catalogue> {
        let version = self.reference_version("catalogue")?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT reference, category, designation, unit, unit_price_cents, price_min_cents,
               price_max_cents, vat_rate_bp, lifetime_years, budget_section, socle_strand,
               price_status
             FROM catalogue_items WHERE version = ?1 ORDER BY category, designation",
        )?;
        let items = stmt
            .query_map([&version.version], |r| {
                let section: String = r.get(9)?;
                Ok(CatalogueItem {
                    reference: r.get(0)?,
                    category: r.get(1)?,
                    designation: r.get(2)?,
                    unit: r.get(3)?,
                    unit_price_cents: r.get(4)?,
                    price_min_cents: r.get(5)?,
                    price_max_cents: r.get(6)?,
                    vat_rate_bp: r.get(7)?,
                    lifetime_years: r.get(8)?,
                    budget_section: if section == "fonctionnement" {
                        BudgetSection::Fonctionnement
                    } else {
                        BudgetSection::Investissement
                    },
                    socle_strand: r.get(10)?,
                    price_status: r.get(11)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(Catalogue { version, items })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_catalogue_parses_with_indicative_midpoint_prices() {
        let items = parse_catalogue(CATALOGUE_CSV).expect("shipped catalogue parses");
        assert_eq!(items.len(), 32);
        let eni = items
            .iter()
            .find(|i| i.reference == "ENI65")
            .expect("ENI65");
        assert_eq!(eni.unit_price_cents, 220_000);
        assert_eq!(eni.vat_rate_bp, 2_000);
        assert!(items
            .iter()
            .all(|i| i.price_min_cents <= i.unit_price_cents
                && i.unit_price_cents <= i.price_max_cents));
    }
}
