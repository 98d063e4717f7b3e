//! Domain types shared by the store, the CLI and (through generated TypeScript) the UI.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

// Produced by the reference parsers; here under their old paths for the store, the shell and
// the UI's generated types.
pub use preau_reference::catalogue::{Availability, BudgetSection, CatalogueItem, Market};
pub use preau_reference::directory::{SchoolKind, SchoolStatus};
pub use preau_reference::RowError;

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
            Self::Directeur => "Directeur / directrice d’école",
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum StoreState {
    Ready,
    /// The file was written by a newer Préau: left untouched.
    NewerSchema,
    /// The file is damaged or not a Préau store: left untouched, backups offered.
    Corrupt,
    /// Any other failure to open (permissions, disk, a keyring that does not answer…).
    Unavailable,
    /// The store is encrypted and its key is not in this session's keyring: left
    /// untouched; the app offers to set it aside and start again from the server.
    KeyMissing,
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
