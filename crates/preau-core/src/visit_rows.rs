//! The visits as the « Visites » list and « À relancer » read them: each visit's summary,
//! the names of who sat at the table (searched), and where its proposal stands. Two
//! queries whatever the number of visits (2,000 is a few milliseconds); the list's search,
//! filters and sort are the UI's (`ui/src/lib/visitList.ts`), on these rows.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::Result;
use crate::model::VisitSummary;
use crate::proposals::ProposalStatus;
use crate::store::Store;

/// Where a visit's proposal stands: its last issued revision when there is one (the
/// mayor holds it, whatever draft of a next revision is on the laptop), else its draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ProposalBrief {
    /// « Expirée » is computed from the validity date and the day asked about.
    pub status: ProposalStatus,
    /// "2026-K7Q3M-0001 rév. 2"; `None` for the draft of a first revision.
    pub reference: Option<String>,
    pub valid_until: Option<NaiveDate>,
    pub decided_on: Option<NaiveDate>,
    /// The label (« B ») of the scenario the mayor accepted, as the proposal showed it
    /// (issue 13); `None` until one is recorded.
    pub accepted_scenario: Option<String>,
}

/// A visit in the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct VisitRow {
    pub visit: VisitSummary,
    /// Names of the participants, in the order they were added (their ids are UUIDv7).
    pub participants: Vec<String>,
    /// `None` when the visit has no proposal, not even a draft.
    pub proposal: Option<ProposalBrief>,
}

impl Store {
    /// Every visit (most recent date first) with its participants' names and its
    /// proposal's state on `today`.
    pub fn visit_rows(&self, today: NaiveDate) -> Result<Vec<VisitRow>> {
        let mut names: HashMap<String, Vec<String>> = HashMap::new();
        {
            let mut stmt = self
                .conn
                .prepare_cached("SELECT visit_id, name FROM participants ORDER BY visit_id, id")?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                names.entry(r.get(0)?).or_default().push(r.get(1)?);
            }
        }
        let mut briefs: HashMap<String, ProposalBrief> = HashMap::new();
        {
            // Issued revisions first, the latest first; a draft only when nothing was issued.
            let mut stmt = self.conn.prepare_cached(
                // The accepted scenario's label from the snapshot, read only for the
                // proposals that record one.
                "SELECT visit_id, status, number, revision, valid_until, decided_on,
                   CASE WHEN accepted_scenario_id IS NOT NULL AND json_valid(snapshot) THEN
                     (SELECT json_extract(sc.value, '$.label')
                      FROM json_each(snapshot, '$.scenarios') sc
                      WHERE json_extract(sc.value, '$.id') = accepted_scenario_id)
                   END,
                   (SELECT label FROM scenarios WHERE id = accepted_scenario_id)
                 FROM proposals
                 ORDER BY visit_id, status = 'brouillon', revision DESC, issued_on DESC",
            )?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let visit_id: String = r.get(0)?;
                if briefs.contains_key(&visit_id) {
                    continue;
                }
                let stored: String = r.get(1)?;
                let number: Option<String> = r.get(2)?;
                let revision: u32 = r.get(3)?;
                let valid_until: Option<NaiveDate> = r.get(4)?;
                let status = ProposalStatus::on(&stored, valid_until, today);
                briefs.insert(
                    visit_id,
                    ProposalBrief {
                        status,
                        reference: number.map(|n| format!("{n} rév. {revision}")),
                        valid_until,
                        decided_on: r.get(5)?,
                        // Snapshots issued before they named their scenarios: the
                        // visit's scenario of that id.
                        accepted_scenario: r.get::<_, Option<String>>(6)?.or(r.get(7)?),
                    },
                );
            }
        }
        Ok(self
            .visits_list()?
            .into_iter()
            .map(|visit| VisitRow {
                participants: names.remove(&visit.id).unwrap_or_default(),
                proposal: briefs.remove(&visit.id),
                visit,
            })
            .collect())
    }
}
