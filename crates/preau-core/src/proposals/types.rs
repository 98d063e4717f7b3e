//! Types of printed proposals: what the visit screen lists and edits, the letterhead
//! settings, and the frozen snapshot a PDF is rendered from.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::Accent;
use crate::plan::FundingPlan;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ProposalStatus {
    Brouillon,
    Emise,
    Acceptee,
    Refusee,
    /// Issued, not answered, and past its validity date (computed, never stored).
    Expiree,
}

impl ProposalStatus {
    pub(crate) fn from_key(s: &str) -> Option<Self> {
        match s {
            "brouillon" => Some(Self::Brouillon),
            "emise" => Some(Self::Emise),
            "acceptee" => Some(Self::Acceptee),
            "refusee" => Some(Self::Refusee),
            _ => None,
        }
    }

    /// The status of a stored row on `today`: an issued proposal past its validity date
    /// and not answered is « expirée » (never stored).
    pub(crate) fn on(stored: &str, valid_until: Option<NaiveDate>, today: NaiveDate) -> Self {
        let status = Self::from_key(stored).unwrap_or(Self::Brouillon);
        if status == Self::Emise && valid_until.is_some_and(|d| d < today) {
            Self::Expiree
        } else {
            status
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Brouillon => "Brouillon",
            Self::Emise => "Émise",
            Self::Acceptee => "Acceptée",
            Self::Refusee => "Refusée",
            Self::Expiree => "Expirée",
        }
    }
}

/// How the letter addresses the mayor.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Civility {
    /// Not said: the letter uses "Madame la Maire, Monsieur le Maire".
    #[default]
    Inconnue,
    Madame,
    Monsieur,
}

impl Civility {
    pub(crate) fn key(self) -> &'static str {
        match self {
            Self::Inconnue => "",
            Self::Madame => "madame",
            Self::Monsieur => "monsieur",
        }
    }

    pub(crate) fn from_key(s: &str) -> Self {
        match s {
            "madame" => Self::Madame,
            "monsieur" => Self::Monsieur,
            _ => Self::Inconnue,
        }
    }

    /// "Madame la Maire", used in the address block and as the salutation.
    pub fn title(self) -> &'static str {
        match self {
            Self::Inconnue => "Madame la Maire, Monsieur le Maire",
            Self::Madame => "Madame la Maire",
            Self::Monsieur => "Monsieur le Maire",
        }
    }
}

/// A proposal of a visit as the visit screen lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ProposalSummary {
    pub id: String,
    pub visit_id: String,
    /// Given at the first issue and kept by every later revision; `None` for a draft of
    /// a first revision.
    pub number: Option<String>,
    pub revision: u32,
    /// "2026-K7Q3M-0001 rév. 1" of the revision this one replaces.
    pub replaces: Option<String>,
    pub status: ProposalStatus,
    pub status_label: String,
    /// Scenarios proposed; on a draft, empty = every scenario that has lines. Issuing
    /// writes the list the document shows (proposals issued before that may keep `[]`).
    pub scenario_ids: Vec<String>,
    pub civility: Civility,
    pub validity_days: u32,
    pub issued_on: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
    pub decided_on: Option<NaiveDate>,
    /// The scenario the mayor accepted (one of `scenario_ids`), once recorded.
    pub accepted_scenario_id: Option<String>,
    /// The date of the council's deliberation, when the adviser recorded one.
    pub deliberated_on: Option<NaiveDate>,
    /// The scenarios an issued proposal shows (empty on a draft), which « Acceptée »
    /// chooses from.
    pub offered: Vec<OfferedScenario>,
    /// SHA-256 of the issued PDF bytes, hex.
    pub pdf_sha256: Option<String>,
}

/// A scenario an issued proposal shows, as it showed it: its label and title on the day
/// it was issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct OfferedScenario {
    pub id: String,
    pub label: String,
    pub title: String,
}

/// The mayor's « Acceptée »: which scenario (may be left out when the proposal shows only
/// one) and, when known, the date of the council's deliberation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Acceptance {
    pub scenario_id: Option<String>,
    pub deliberated_on: Option<NaiveDate>,
}

impl ProposalSummary {
    /// The scenario the mayor accepted, as the proposal showed it.
    pub fn accepted_scenario(&self) -> Option<&OfferedScenario> {
        let id = self.accepted_scenario_id.as_deref()?;
        self.offered.iter().find(|s| s.id == id)
    }

    /// « Acceptée — scénario B, délibération du 12 janvier 2027 », « Refusée »: the status
    /// with what the answer recorded (the app's `answerText` words it the same way).
    pub fn answer_text(&self) -> String {
        let mut parts = Vec::new();
        if let Some(s) = self.accepted_scenario() {
            parts.push(format!("scénario {}", s.label));
        }
        if let Some(d) = self.deliberated_on {
            parts.push(format!("délibération du {}", crate::format::date(d)));
        }
        if parts.is_empty() {
            self.status_label.clone()
        } else {
            format!("{} — {}", self.status_label, parts.join(", "))
        }
    }

    /// "2026-K7Q3M-0001 rév. 2", or "Brouillon" before the first issue.
    pub fn reference(&self) -> String {
        match &self.number {
            Some(n) => format!("{n} rév. {}", self.revision),
            None => "Brouillon".to_string(),
        }
    }
}

/// The editable fields of a draft; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DraftPatch {
    #[ts(optional)]
    pub scenario_ids: Option<Vec<String>>,
    #[ts(optional)]
    pub civility: Option<Civility>,
    #[ts(optional)]
    pub validity_days: Option<u32>,
}

/// Who sends the proposal and from where: the syndicate's letterhead and the adviser.
/// Configured per laptop (Réglages); frozen into each issued proposal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DocumentSettings {
    pub organisation: String,
    pub address_lines: Vec<String>,
    pub phone: String,
    pub email: String,
    pub website: String,
    /// Town printed before the date: "Amiens, le 29 novembre 2026".
    pub place: String,
    pub adviser_name: String,
    pub adviser_title: String,
    pub adviser_phone: String,
    pub adviser_email: String,
    /// True when a logo is set (the PNG itself is kept apart: `Store::logo_png`).
    pub has_logo: bool,
    /// The accent colour, `#rrggbb`: checked on save (`Accent::parse`), the syndicate's
    /// blue when never set. Text here so that a bad value gets a French error, not a
    /// refused call.
    #[serde(default = "default_accent_text")]
    pub accent: String,
}

fn default_accent_text() -> String {
    super::DEFAULT_ACCENT.to_string()
}

/// Everything a proposal PDF shows, as plain data: rendering it needs no store, and the
/// same snapshot always renders to the same bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProposalSnapshot {
    pub format: u32,
    pub letterhead: Letterhead,
    /// `None` on a draft: the number is given when the proposal is issued.
    pub number: Option<String>,
    pub revision: u32,
    pub replaces: Option<String>,
    pub draft: bool,
    pub place: String,
    pub date: NaiveDate,
    pub valid_until: NaiveDate,
    pub recipient: Recipient,
    pub object: String,
    pub commune: CommuneFacts,
    pub meeting_date: NaiveDate,
    pub participants: Vec<ParticipantLine>,
    pub schools: Vec<SchoolProject>,
    pub scenarios: Vec<ScenarioSnapshot>,
    pub catalogue: CatalogueFacts,
    pub funding_version: String,
    pub adviser: Signatory,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Letterhead {
    pub organisation: String,
    pub address_lines: Vec<String>,
    pub contact_line: String,
    pub logo_png: Option<Vec<u8>>,
    /// Left out of the JSON when it is the default, so that proposals issued before it
    /// existed keep their snapshot and fingerprint.
    #[serde(default, skip_serializing_if = "Accent::is_default")]
    pub accent: Accent,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    /// "Monsieur le Maire".
    pub title: String,
    pub mayor_name: Option<String>,
    /// "Mairie de Péronne".
    pub mairie: String,
    pub address: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommuneFacts {
    pub name: String,
    pub insee: String,
    pub population: u32,
    pub epci: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParticipantLine {
    pub name: String,
    pub role: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchoolProject {
    pub name: String,
    pub uai: Option<String>,
    pub kind: String,
    pub classes: Option<u32>,
    pub pupils: Option<u32>,
    pub objectives: Vec<String>,
    /// "Cycle 1", "Cycle 2"…
    pub cycles: Vec<String>,
    pub uses: Vec<String>,
    pub crcn: Vec<String>,
    pub training_needs: String,
    pub ien_status: String,
    pub ien_date: Option<NaiveDate>,
    pub ien_comment: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioSnapshot {
    /// The visit's scenario it was drawn from (issue 13: the one « Acceptée » names).
    /// Left out of the JSON when empty: proposals issued before it have none and keep
    /// their fingerprint.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    pub label: String,
    pub title: String,
    pub schools: Vec<SchoolLines>,
    pub plan: FundingPlan,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchoolLines {
    pub school: String,
    pub lines: Vec<LineSnapshot>,
    pub subtotal_ht_cents: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineSnapshot {
    pub designation: String,
    pub reference: String,
    /// The class it is for, if any.
    pub class: Option<String>,
    pub quantity: u32,
    pub unit: String,
    pub unit_price_ht_cents: i64,
    pub total_ht_cents: i64,
    pub vat_rate_bp: u32,
    /// Yearly cost (licence, subscription): counted in running costs.
    pub yearly: bool,
    pub objectives: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogueFacts {
    pub version: String,
    pub label: String,
    pub source: String,
    /// Demo catalogue: "prix indicatifs".
    pub indicative: bool,
    /// The catalogue in use is the shipped demo one (no market: « démonstration »).
    #[serde(default)]
    pub demo: bool,
    /// The group-purchase markets the proposed lines were priced under, with their lots.
    #[serde(default)]
    pub markets: Vec<MarketUse>,
    /// References of the proposed lines priced from the demo catalogue (no market).
    #[serde(default)]
    pub demo_references: Vec<String>,
    /// References of the proposed lines whose catalogue version is not on this laptop, or
    /// says no market.
    #[serde(default)]
    pub references_without_market: Vec<String>,
}

/// A market the proposal's lines come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketUse {
    pub reference: String,
    pub label: Option<String>,
    pub ends_on: NaiveDate,
    pub lots: Vec<LotUse>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LotUse {
    pub lot: String,
    pub label: Option<String>,
    /// Catalogue references of the proposed lines in this lot.
    pub references: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signatory {
    pub name: String,
    pub title: String,
    pub phone: String,
    pub email: String,
}
