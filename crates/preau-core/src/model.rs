//! Domain types shared by the store, the CLI and (through generated TypeScript) the UI.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// An EPCI (intercommunality) with communes in the département.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Epci {
    pub siren: String,
    pub name: String,
    /// CA, CC, CU, MET…
    pub kind: String,
    /// Whether the EPCI is a member of the syndicate.
    pub member: bool,
}

/// The mairie's contacts, as published in the service-public.fr directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Mairie {
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// A commune of the département, reference data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Commune {
    pub insee: String,
    pub name: String,
    pub population: u32,
    pub postal_codes: Vec<String>,
    pub epci: Option<Epci>,
    pub mairie: Mairie,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

/// One line of a commune search result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CommuneHit {
    pub insee: String,
    pub name: String,
    pub population: u32,
    pub postal_codes: Vec<String>,
    pub epci_name: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum SchoolKind {
    Maternelle,
    Elementaire,
    Primaire,
}

impl SchoolKind {
    pub const ALL: [SchoolKind; 3] = [Self::Maternelle, Self::Elementaire, Self::Primaire];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Maternelle => "maternelle",
            Self::Elementaire => "elementaire",
            Self::Primaire => "primaire",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Maternelle => "École maternelle",
            Self::Elementaire => "École élémentaire",
            Self::Primaire => "École primaire",
        }
    }
}

/// Where a school record comes from: the national directory import, or typed by an adviser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum SchoolSource {
    Directory,
    Adviser,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct School {
    pub id: String,
    /// The national identifier (UAI, e.g. 0800001A); optional for schools typed by hand.
    pub uai: Option<String>,
    pub name: String,
    pub kind: SchoolKind,
    pub public: bool,
    pub commune_insee: String,
    pub classes: Option<u32>,
    pub pupils: Option<u32>,
    pub source: SchoolSource,
    /// Its state in the national directory; open for a school typed by hand (and in
    /// visit files written before schema 7).
    #[serde(default)]
    pub status: SchoolStatus,
}

/// A school's state in the national directory (its `etat` column). A school to close or
/// closed is not offered for a new visit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum SchoolStatus {
    #[default]
    Open,
    /// `A FERMER`: still open, closing at the end of the school year.
    Closing,
    Closed,
}

impl SchoolStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SchoolStatus::Open => "open",
            SchoolStatus::Closing => "closing",
            SchoolStatus::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "open" => Some(SchoolStatus::Open),
            "closing" => Some(SchoolStatus::Closing),
            "closed" => Some(SchoolStatus::Closed),
            _ => None,
        }
    }

    /// Whether a visit may take it on now.
    pub fn offered_for_visits(self) -> bool {
        self == SchoolStatus::Open
    }
}

/// What the adviser types to add or edit a school. `id` is `None` to add one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SchoolInput {
    pub id: Option<String>,
    pub uai: Option<String>,
    pub name: String,
    pub kind: SchoolKind,
    pub public: bool,
    pub commune_insee: String,
    pub classes: Option<u32>,
    pub pupils: Option<u32>,
}

/// The roles of the people around the table (DESIGN.md, principle 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Role {
    Maire,
    Adjoint,
    SecretaireMairie,
    Directeur,
    Enseignant,
    Ien,
    Erun,
    Canope,
    Syndicat,
}

impl Role {
    pub const ALL: [Role; 9] = [
        Self::Maire,
        Self::Adjoint,
        Self::SecretaireMairie,
        Self::Directeur,
        Self::Enseignant,
        Self::Ien,
        Self::Erun,
        Self::Canope,
        Self::Syndicat,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Maire => "maire",
            Self::Adjoint => "adjoint",
            Self::SecretaireMairie => "secretaire_mairie",
            Self::Directeur => "directeur",
            Self::Enseignant => "enseignant",
            Self::Ien => "ien",
            Self::Erun => "erun",
            Self::Canope => "canope",
            Self::Syndicat => "syndicat",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Maire => "Maire",
            Self::Adjoint => "Adjoint(e) aux affaires scolaires",
            Self::SecretaireMairie => "Secrétaire de mairie",
            Self::Directeur => "Directeur / directrice d'école",
            Self::Enseignant => "Enseignant(e)",
            Self::Ien => "IEN",
            Self::Erun => "ERUN / conseiller numérique",
            Self::Canope => "Canopé",
            Self::Syndicat => "Syndicat",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Participant {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub phone: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Visit {
    pub id: String,
    pub commune_insee: String,
    pub commune_name: String,
    /// Local date and time of the meeting, as agreed with the mairie.
    pub scheduled_at: NaiveDateTime,
    pub school_ids: Vec<String>,
    pub participants: Vec<Participant>,
    pub notes: String,
}

/// The editable fields of a visit; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct VisitPatch {
    #[ts(optional)]
    pub scheduled_at: Option<String>,
    #[ts(optional)]
    pub notes: Option<String>,
    #[ts(optional)]
    pub school_ids: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct VisitSummary {
    pub id: String,
    pub commune_insee: String,
    pub commune_name: String,
    pub scheduled_at: NaiveDateTime,
    pub participant_count: u32,
    pub school_names: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CommuneSheet {
    pub commune: Commune,
    pub schools: Vec<School>,
    pub visits: Vec<VisitSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SyncState {
    /// `None` until the first sync with the syndicate's server.
    pub last_sync: Option<NaiveDateTime>,
    /// Records changed locally since the last sync.
    pub pending_changes: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Home {
    pub upcoming: Vec<VisitSummary>,
    pub recent: Vec<VisitSummary>,
    pub sync: SyncState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum BudgetSection {
    Investissement,
    Fonctionnement,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
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
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Market {
    /// "SN-2024-07".
    pub reference: String,
    pub label: Option<String>,
    /// The market's last day: nothing is ordered under it afterwards.
    pub ends_on: NaiveDate,
}

/// Whether a catalogue item may be chosen for a new line on a given day. Lines already
/// chosen keep their price whatever it says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Availability {
    #[default]
    Offered,
    /// Its validity starts later.
    NotYet,
    /// Its validity (or its market) has ended.
    Expired,
}

/// A version of a reference data set (catalogue, funding rules, communes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ReferenceVersion {
    pub kind: String,
    pub version: String,
    pub label: String,
    pub source: String,
    /// True for the shipped demo catalogue: prices are indicative ("prix indicatifs").
    pub indicative: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Catalogue {
    pub version: ReferenceVersion,
    pub items: Vec<CatalogueItem>,
    /// The shipped demo catalogue: no market, no validity (« démonstration »).
    pub demo: bool,
    /// The markets of the items, by reference (empty for the demo catalogue).
    pub markets: Vec<Market>,
    /// The day `availability` was computed for.
    pub as_of: NaiveDate,
}

/// The outcome of a school directory import.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ImportReport {
    pub added: u32,
    pub updated: u32,
    /// Rows outside the département or that are not schools.
    pub skipped: u32,
    /// Lines repeating the UAI of a multi-site establishment, counted once.
    pub merged: u32,
}

/// One refused row of an import, with its line number in the file (header = line 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct RowError {
    pub line: u64,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum StoreState {
    Ready,
    /// The file was written by a newer Préau: left untouched.
    NewerSchema,
    /// The file is damaged or not a Préau store: left untouched, backups offered.
    Corrupt,
    /// Any other failure to open (permissions, disk…).
    Unavailable,
}

/// What the app can do with its data directory, shown before anything else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct AppStatus {
    pub state: StoreState,
    /// French explanation when the state is not `ready`.
    pub message: Option<String>,
    pub data_dir: String,
    pub backups: Vec<crate::BackupInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct RoleOption {
    pub value: Role,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SchoolKindOption {
    pub value: SchoolKind,
    pub label: String,
}

/// The French labels of the enumerations, so the UI never spells them itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Labels {
    pub roles: Vec<RoleOption>,
    pub school_kinds: Vec<SchoolKindOption>,
}

impl Labels {
    pub fn french() -> Labels {
        Labels {
            roles: Role::ALL
                .into_iter()
                .map(|value| RoleOption {
                    value,
                    label: value.label().to_string(),
                })
                .collect(),
            school_kinds: SchoolKind::ALL
                .into_iter()
                .map(|value| SchoolKindOption {
                    value,
                    label: value.label().to_string(),
                })
                .collect(),
        }
    }
}
