//! Types of the visit workflow: pedagogical project, current situation, scenarios and
//! equipment lines, and the whole workflow as the UI shows it.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::model::{BudgetSection, School, Visit};
use crate::plan::{FundingPlan, Programme, RuleStatus};

/// The IEN's validation of a school's pedagogical project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum IenStatus {
    ASoumettre,
    Soumis,
    Valide,
    ARetravailler,
}

impl IenStatus {
    pub const ALL: [IenStatus; 4] = [
        Self::ASoumettre,
        Self::Soumis,
        Self::Valide,
        Self::ARetravailler,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ASoumettre => "a_soumettre",
            Self::Soumis => "soumis",
            Self::Valide => "valide",
            Self::ARetravailler => "a_retravailler",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::ASoumettre => "À soumettre",
            Self::Soumis => "Soumis à l’IEN",
            Self::Valide => "Validé par l’IEN",
            Self::ARetravailler => "À retravailler",
        }
    }
}

/// A pedagogical objective of a school's project; equipment lines point to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Objective {
    pub id: String,
    pub label: String,
}

/// The pedagogical project of one school for one visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Pedagogy {
    pub school_id: String,
    pub objectives: Vec<Objective>,
    /// Cycles concerned: 1, 2, 3.
    pub cycles: Vec<u8>,
    /// Uses (keys of `WorkflowOptions::uses`, or free text).
    pub uses: Vec<String>,
    /// CRCN skill areas aimed at (keys of `WorkflowOptions::crcn`).
    pub crcn: Vec<String>,
    pub training_needs: String,
    pub ien_status: IenStatus,
    pub ien_date: Option<NaiveDate>,
    pub ien_comment: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Display {
    Aucun,
    Televiseur,
    Videoprojecteur,
    Vpi,
    Tni,
    Eni,
}

impl Display {
    pub const ALL: [Display; 6] = [
        Self::Aucun,
        Self::Televiseur,
        Self::Videoprojecteur,
        Self::Vpi,
        Self::Tni,
        Self::Eni,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Aucun => "aucun",
            Self::Televiseur => "televiseur",
            Self::Videoprojecteur => "videoprojecteur",
            Self::Vpi => "vpi",
            Self::Tni => "tni",
            Self::Eni => "eni",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Aucun => "Aucun affichage",
            Self::Televiseur => "Téléviseur",
            Self::Videoprojecteur => "Vidéoprojecteur simple",
            Self::Vpi => "Vidéoprojecteur interactif (VPI)",
            Self::Tni => "Tableau numérique interactif (TNI)",
            Self::Eni => "Écran numérique interactif (ENI)",
        }
    }

    /// Whether the class already has an interactive collective display (socle).
    pub fn is_interactive(self) -> bool {
        matches!(self, Self::Vpi | Self::Tni | Self::Eni)
    }
}

/// One class of a school as it is today.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ClassSituation {
    pub id: String,
    pub school_id: String,
    /// Level or name, e.g. "CP-CE1".
    pub name: String,
    pub pupils: Option<u32>,
    pub display: Display,
    pub teacher_computer: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Wifi {
    Aucun,
    Partiel,
    Complet,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Internet {
    Aucun,
    Adsl,
    Vdsl,
    Fibre,
    Radio4g,
    Satellite,
}

/// The school-wide equipment as it is today.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SchoolSituation {
    pub school_id: String,
    pub mobile_devices: u32,
    pub mobile_charging: bool,
    pub wifi: Wifi,
    /// Wi-Fi that the teacher can switch off (a requirement of the socle).
    pub wifi_switchable: bool,
    pub internet: Internet,
    /// The ENT in use, if any.
    pub ent: Option<String>,
}

/// One option of a visit (A, B, C) with its equipment lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Scenario {
    pub id: String,
    pub label: String,
    pub title: String,
}

/// What the adviser types for an equipment line. The quantity is the text of the field,
/// checked by the core so that the message is the same everywhere.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct LineInput {
    pub id: String,
    pub scenario_id: String,
    pub school_id: String,
    pub class_id: Option<String>,
    pub reference: String,
    pub quantity: String,
    pub objective_ids: Vec<String>,
}

/// Why a line's price may need a look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum PriceNotice {
    /// The catalogue in use has another version of this item.
    NewerCatalogue,
    /// The item is no longer in the catalogue in use.
    Withdrawn,
}

/// An equipment line, with the catalogue version and price it was chosen at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct EquipmentLine {
    pub id: String,
    pub scenario_id: String,
    pub school_id: String,
    pub class_id: Option<String>,
    pub catalogue_version: String,
    pub reference: String,
    pub designation: String,
    pub category: String,
    pub unit: String,
    pub unit_price_cents: i64,
    pub vat_rate_bp: u32,
    pub budget_section: BudgetSection,
    pub socle_strand: Option<String>,
    pub quantity: u32,
    pub objective_ids: Vec<String>,
}

impl EquipmentLine {
    /// A line that serves no objective is not justified: "le matériel n'est pas le
    /// préalable".
    pub fn justified(&self) -> bool {
        !self.objective_ids.is_empty()
    }

    /// Licences and maintenance are billed every year ("élève/an", "appareil/an"…).
    pub fn yearly(&self) -> bool {
        self.unit.contains("/an")
    }

    pub fn total_ht_cents(&self) -> i64 {
        self.unit_price_cents
            .saturating_mul(i64::from(self.quantity))
    }
}

/// A line as the UI shows it: the line, whether it is justified, its price notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct LineView {
    pub line: EquipmentLine,
    pub total_ht_cents: i64,
    pub justified: bool,
    pub yearly: bool,
    pub price_notice: Option<PriceNotice>,
    /// The current catalogue price, when it differs from the line's.
    pub current_price_cents: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ScenarioView {
    pub scenario: Scenario,
    pub lines: Vec<LineView>,
    pub plan: FundingPlan,
    pub unjustified_lines: u32,
}

/// A line proposed to bring a school to the "socle numérique", with its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Suggestion {
    pub school_id: String,
    pub class_id: Option<String>,
    pub reference: String,
    pub designation: String,
    pub quantity: u32,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ProgrammeInfo {
    pub programme: Programme,
    pub status_label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct FundingInfo {
    pub version: String,
    pub fctva_rate_ppm: u32,
    pub fctva_status: RuleStatus,
    pub min_own_share_ppm: u32,
    pub programmes: Vec<ProgrammeInfo>,
}

/// Everything the visit screen shows, in one read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Workflow {
    pub visit: Visit,
    /// The schools concerned by the visit.
    pub schools: Vec<School>,
    pub pedagogy: Vec<Pedagogy>,
    pub classes: Vec<ClassSituation>,
    pub situations: Vec<SchoolSituation>,
    pub scenarios: Vec<ScenarioView>,
    pub funding: FundingInfo,
    pub catalogue_version: String,
    /// The colleague this visit belongs to, when it is not this laptop's adviser's: the
    /// server takes its changes only from that colleague's devices (read-only here).
    pub owner: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct KeyLabel {
    pub value: String,
    pub label: String,
}

/// The short lists the forms offer (typical objectives, uses, CRCN areas…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct WorkflowOptions {
    pub typical_objectives: Vec<String>,
    pub uses: Vec<KeyLabel>,
    pub crcn: Vec<KeyLabel>,
    pub ien_statuses: Vec<KeyLabel>,
    pub displays: Vec<KeyLabel>,
    pub wifi: Vec<KeyLabel>,
    pub internet: Vec<KeyLabel>,
}
