//! Reference data shipped inside the binary (communes, EPCI, demo catalogue, funding
//! programmes), loaded into the store on first start and again when the shipped version
//! changes. Sources and licences: `data/reference/SOURCES.md`.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Deserialize;

use chrono::NaiveDate;

// The parsers live in `preau-reference` (no store), shared with the server; this module
// loads what they return into the store.
use preau_reference::catalogue::{self, CatalogueKind};

use crate::error::{Error, Result};
use crate::model::{BudgetSection, Catalogue, CatalogueItem, Market, ReferenceVersion};
use crate::store::{now_utc, Store};

const COMMUNES_CSV: &str = preau_reference::communes::CSV;
const EPCI_CSV: &str = include_str!("../../../data/reference/somme_epci.csv");
const CATALOGUE_CSV: &str = include_str!("../../../data/reference/catalogue_equipement_ecole.csv");
/// Bumped when the catalogue parser reads the same file differently, so stores reload it.
const CATALOGUE_FORMAT: &str = "catalogue-csv-2";
/// Versions of the shipped demo catalogue start with this.
const DEMO_VERSION_PREFIX: &str = "demo-";
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
    let catalogue_version = format!(
        "{DEMO_VERSION_PREFIX}{}",
        fingerprint(&[CATALOGUE_CSV, CATALOGUE_FORMAT])
    );
    let loaded = loaded_version(&tx, "catalogue")?;
    if !is_from_server(loaded.as_deref()) && loaded.as_deref() != Some(&catalogue_version) {
        let items = parse_catalogue(CATALOGUE_CSV, CatalogueKind::Demo)?;
        load_catalogue(&tx, &items, &catalogue_version)?;
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

/// Parses the demo catalogue, or the syndicate's (`kind`): see `catalogue::parse`. A
/// refusal is `Invalid` (field `catalogue`) with the parser's French sentence.
fn parse_catalogue(csv_text: &str, kind: CatalogueKind) -> Result<Vec<CatalogueItem>> {
    Ok(catalogue::parse(csv_text, kind)?)
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
    let items = parse_catalogue(csv_text, CatalogueKind::Syndicate)?;
    let indicative = items.iter().any(|i| i.price_min_cents != i.price_max_cents);
    let v = format!("{SERVER_VERSION_PREFIX}{version}");
    load_catalogue(conn, &items, &v)?;
    record_version(
        conn,
        &ReferenceVersion {
            kind: "catalogue".into(),
            version: v,
            label: format!("Catalogue du groupement d’achat (version {version})"),
            source: "Publié par le serveur du syndicat".into(),
            indicative,
        },
        None,
    )
}

/// Funding rules from JSON, refused unless they pass `FundingRules::validate`.
fn parse_funding(json: &str) -> Result<crate::plan::FundingRules> {
    Ok(preau_reference::funding::parse(json)?)
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

fn load_catalogue(conn: &Connection, items: &[CatalogueItem], version: &str) -> Result<()> {
    let mut insert = conn.prepare(
        "INSERT OR REPLACE INTO catalogue_items (version, reference, category, designation, unit,
           unit_price_cents, price_min_cents, price_max_cents, vat_rate_bp, lifetime_years,
           budget_section, socle_strand, price_status, supplier, supplier_reference,
           market_reference, market_label, market_ends_on, lot, lot_label, valid_from,
           valid_until)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
           ?18, ?19, ?20, ?21, ?22)",
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
            it.supplier,
            it.supplier_reference,
            it.market.as_ref().map(|m| &m.reference),
            it.market.as_ref().and_then(|m| m.label.as_ref()),
            it.market.as_ref().map(|m| m.ends_on),
            it.lot,
            it.lot_label,
            it.valid_from,
            it.valid_until,
        ])?;
    }
    Ok(())
}

const ITEM_COLUMNS: &str = "reference, category, designation, unit, unit_price_cents,
    price_min_cents, price_max_cents, vat_rate_bp, lifetime_years, budget_section,
    socle_strand, price_status, supplier, supplier_reference, market_reference, market_label,
    market_ends_on, lot, lot_label, valid_from, valid_until";

fn item_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CatalogueItem> {
    let section: String = r.get(9)?;
    let unit: String = r.get(3)?;
    let market_reference: Option<String> = r.get(14)?;
    let market_ends_on: Option<NaiveDate> = r.get(16)?;
    Ok(CatalogueItem {
        reference: r.get(0)?,
        category: r.get(1)?,
        designation: r.get(2)?,
        yearly: unit.contains("/an"),
        unit,
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
        supplier: r.get(12)?,
        supplier_reference: r.get(13)?,
        market: match (market_reference, market_ends_on) {
            (Some(reference), Some(ends_on)) => Some(Market {
                reference,
                label: r.get(15)?,
                ends_on,
            }),
            _ => None,
        },
        lot: r.get(17)?,
        lot_label: r.get(18)?,
        valid_from: r.get(19)?,
        valid_until: r.get(20)?,
        availability: crate::model::Availability::Offered,
    })
}

/// Today on this laptop: what catalogue validity is checked against.
fn local_today() -> NaiveDate {
    chrono::Local::now().date_naive()
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

    /// The catalogue version currently in use, with its items by category, each item's
    /// availability as of today.
    pub fn catalogue(&self) -> Result<Catalogue> {
        self.catalogue_on(local_today())
    }

    /// `catalogue`, with availability as of `today`.
    pub fn catalogue_on(&self, today: NaiveDate) -> Result<Catalogue> {
        let version = self.reference_version("catalogue")?;
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {ITEM_COLUMNS} FROM catalogue_items WHERE version = ?1
             ORDER BY category, designation"
        ))?;
        let mut items = stmt
            .query_map([&version.version], item_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut markets: Vec<Market> = Vec::new();
        for it in &mut items {
            it.availability = catalogue::availability_on(it, today);
            if let Some(m) = &it.market {
                if !markets.contains(m) {
                    markets.push(m.clone());
                }
            }
        }
        markets.sort();
        Ok(Catalogue {
            demo: version.version.starts_with(DEMO_VERSION_PREFIX),
            version,
            items,
            markets,
            as_of: today,
        })
    }

    /// An item as it was in catalogue `version` (lines keep the version they were chosen
    /// from); `None` when that version is not on this laptop.
    pub fn catalogue_item_in(
        &self,
        version: &str,
        reference: &str,
    ) -> Result<Option<CatalogueItem>> {
        Ok(self
            .cached_row(
                &format!(
                    "SELECT {ITEM_COLUMNS} FROM catalogue_items
                     WHERE version = ?1 AND reference = ?2"
                ),
                [version, reference],
                item_from_row,
            )
            .optional()?)
    }
}

/// Whether `version` is one of the shipped demo catalogue's.
pub fn is_demo_catalogue(version: &str) -> bool {
    version.starts_with(DEMO_VERSION_PREFIX)
}
