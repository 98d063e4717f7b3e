//! The follow-up of an accepted proposal (issue 13, « Suivi et bilan »): the steps after
//! the mayor's yes, each with the day it happened, recorded in the back-office.
//!
//! A step is the server's own record, never a laptop's: recording one changes no synced
//! record. Steps are kept append-only; for each proposal and step, the latest recorded
//! one counts (an error is corrected by recording the step again, the former entry stays
//! in the history and the audit log).

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::error::{Error, Result};

/// The steps after an accepted proposal, in the order they usually come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    /// The IEN (the académie's district inspector) validates the pedagogical project.
    IenValidation,
    /// The municipal council deliberates on the purchase.
    Deliberation,
    /// The order through the group purchase.
    Order,
    /// Delivery and installation in the schools.
    Delivery,
    /// The teachers' training.
    Training,
}

impl Step {
    pub const ALL: [Step; 5] = [
        Step::IenValidation,
        Step::Deliberation,
        Step::Order,
        Step::Delivery,
        Step::Training,
    ];

    /// How it is stored and posted.
    pub fn key(self) -> &'static str {
        match self {
            Step::IenValidation => "validation_ien",
            Step::Deliberation => "deliberation",
            Step::Order => "commande",
            Step::Delivery => "livraison",
            Step::Training => "formation",
        }
    }

    pub fn from_key(s: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|st| st.key() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Step::IenValidation => "Validation par l’IEN",
            Step::Deliberation => "Délibération du conseil municipal",
            Step::Order => "Commande via le groupement",
            Step::Delivery => "Livraison et installation",
            Step::Training => "Formation",
        }
    }
}

/// Longest note kept with a step, in characters.
pub const MAX_NOTE_CHARS: usize = 500;

/// The days a step may be dated (anything else is a typing error).
fn plausible(day: NaiveDate) -> bool {
    (2000..=2100).contains(&chrono::Datelike::year(&day))
}

/// A step recorded for a proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRecord {
    pub id: Uuid,
    /// The proposal's record id (of its issued revision).
    pub proposal_id: String,
    pub step: Step,
    /// The day it happened.
    pub on: NaiveDate,
    pub note: Option<String>,
    /// The staff member's email.
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

impl StepRecord {
    /// A new record, checked: a plausible day, a note of at most [`MAX_NOTE_CHARS`]
    /// characters without control characters but line breaks (a blank note is none).
    pub fn new(
        proposal_id: &str,
        step: Step,
        on: NaiveDate,
        note: &str,
        recorded_by: &str,
    ) -> Result<StepRecord> {
        if !plausible(on) {
            return Err(Error::invalid("la date doit être entre 2000 et 2100"));
        }
        let note = note.trim();
        if note.chars().count() > MAX_NOTE_CHARS {
            return Err(Error::invalid(format!(
                "la note dépasse {MAX_NOTE_CHARS} caractères"
            )));
        }
        if note
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r')
        {
            return Err(Error::invalid(
                "la note contient des caractères de contrôle",
            ));
        }
        Ok(StepRecord {
            id: Uuid::now_v7(),
            proposal_id: proposal_id.to_string(),
            step,
            on,
            note: (!note.is_empty()).then(|| note.to_string()),
            recorded_by: recorded_by.to_string(),
            recorded_at: Utc::now(),
        })
    }
}

/// A step record from its stored columns `(id, proposal_id, step, done_on, note,
/// recorded_by, recorded_at)`, for both backends.
pub(crate) fn from_columns(
    id: &str,
    proposal_id: String,
    step: &str,
    on: &str,
    note: Option<String>,
    recorded_by: String,
    recorded_at: &str,
) -> Result<StepRecord> {
    Ok(StepRecord {
        id: Uuid::parse_str(id).map_err(|e| Error::Storage(format!("step id: {e}")))?,
        proposal_id,
        step: Step::from_key(step)
            .ok_or_else(|| Error::Storage(format!("unknown follow-up step {step:?}")))?,
        on: NaiveDate::parse_from_str(on, "%Y-%m-%d")
            .map_err(|e| Error::Storage(format!("step day {on:?}: {e}")))?,
        note,
        recorded_by,
        recorded_at: crate::storage::parse_ts(recorded_at)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    #[test]
    fn keys_round_trip() {
        for s in Step::ALL {
            assert_eq!(Step::from_key(s.key()), Some(s));
        }
        assert_eq!(Step::from_key("Formation"), None);
    }

    #[test]
    fn records_are_checked() {
        let ok = StepRecord::new("p", Step::Order, day(2026, 12, 7), "  ", "a@s.fr").expect("ok");
        assert_eq!(ok.note, None);
        let long = "é".repeat(MAX_NOTE_CHARS + 1);
        for (on, note) in [
            (day(1999, 12, 31), ""),
            (day(2101, 1, 1), ""),
            (day(2026, 1, 1), long.as_str()),
            (day(2026, 1, 1), "a\u{0}b"),
        ] {
            assert!(StepRecord::new("p", Step::Order, on, note, "a@s.fr").is_err());
        }
        let kept = StepRecord::new("p", Step::Order, day(2026, 1, 1), "ligne 1\nligne 2", "a")
            .expect("line breaks are fine");
        assert_eq!(kept.note.as_deref(), Some("ligne 1\nligne 2"));
    }
}
