//! « An issued proposal never changes » with its answer (issue 13), as a property: random
//! sequences of acceptances (any scenario, one it does not show, none; any deliberation
//! date), refusals and direct writes to the answer's columns, on a proposal issued with
//! one or two scenarios. After every step the proposal is what a plain model says: its
//! frozen content never moves, an answer is recorded once, and the accepted scenario and
//! the deliberation date, once set, never change, whoever writes.

use chrono::{Days, NaiveDate};
use preau_core::proposals::{Acceptance, DraftPatch, ProposalStatus, ProposalSummary};
use preau_core::workflow::VisitExport;
use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};

use crate::{new_store, read_fixture};

#[derive(Debug, Clone)]
enum Step {
    /// `scenario`: an index into the scenarios shown, or `None`; `foreign`: an id the
    /// proposal does not show instead. `deliberation`: days after the issue.
    Accept {
        scenario: Option<u8>,
        foreign: bool,
        deliberation: Option<i16>,
    },
    Refuse,
    /// A direct SQL write (another program, a bug): the accepted scenario set to one of
    /// those shown (or none), or the deliberation date moved (or removed).
    WriteScenario(Option<u8>),
    WriteDeliberation(Option<i16>),
}

fn step() -> impl Strategy<Value = Step> {
    let days = prop_oneof![-3i16..3, -30i16..400];
    prop_oneof![
        4 => (
            prop::option::weighted(0.8, any::<u8>()),
            prop::bool::weighted(0.15),
            prop::option::of(days.clone()),
        )
            .prop_map(|(scenario, foreign, deliberation)| Step::Accept {
                scenario,
                foreign,
                deliberation,
            }),
        1 => Just(Step::Refuse),
        2 => prop::option::of(any::<u8>()).prop_map(Step::WriteScenario),
        2 => prop::option::of(days).prop_map(Step::WriteDeliberation),
    ]
}

/// What the proposal must hold: the answer, as the model follows it.
#[derive(Debug, Clone, PartialEq)]
struct Answer {
    status: ProposalStatus,
    scenario: Option<String>,
    deliberation: Option<NaiveDate>,
}

fn runner() -> TestRunner {
    crate::prop_runner("answer_prop.txt", 64)
}

fn day(offset: i16, from: NaiveDate) -> NaiveDate {
    let d = Days::new(u64::from(offset.unsigned_abs()));
    if offset < 0 {
        from.checked_sub_days(d)
    } else {
        from.checked_add_days(d)
    }
    .unwrap_or(from)
}

fn run(both: bool, steps: &[Step]) -> Result<(), TestCaseError> {
    let (dir, mut store) = new_store();
    store
        .schools_import(read_fixture("annuaire-education-2024-somme.csv"))
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let doc = VisitExport::parse(&read_fixture("visit-peronne-2-ecoles.json"))
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let visit = store
        .visit_import(&doc)
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let issued_on = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap_or_default();
    let today = NaiveDate::from_ymd_opt(2026, 12, 10).unwrap_or_default();
    let draft = store
        .proposal_draft(&visit, issued_on)
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    if !both {
        let first = store
            .scenarios_of(&visit)
            .map_err(|e| TestCaseError::fail(e.to_string()))?[0]
            .id
            .clone();
        let patch = DraftPatch {
            scenario_ids: Some(vec![first]),
            ..DraftPatch::default()
        };
        store
            .proposal_update_draft(&draft.id, &patch, issued_on)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
    }
    let issued = store
        .proposal_issue(&draft.id, issued_on, |s| {
            Ok(format!("%PDF {}", s.reference()).into_bytes())
        })
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(issued.offered.len(), if both { 2 } else { 1 });
    let shown: Vec<String> = issued.offered.iter().map(|o| o.id.clone()).collect();
    let frozen = |p: &ProposalSummary| {
        (
            p.number.clone(),
            p.scenario_ids.clone(),
            p.offered.clone(),
            p.issued_on,
            p.valid_until,
            p.pdf_sha256.clone(),
        )
    };
    let snapshot = store
        .proposal_snapshot(&issued.id, today)
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let conn = rusqlite::Connection::open(dir.path().join(preau_core::DB_FILE))
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let mut model = Answer {
        status: ProposalStatus::Emise,
        scenario: None,
        deliberation: None,
    };
    for step in steps {
        let open = model.status == ProposalStatus::Emise;
        match step {
            Step::Accept {
                scenario,
                foreign,
                deliberation,
            } => {
                let named = if *foreign {
                    Some(visit.clone())
                } else {
                    scenario.map(|i| shown[usize::from(i) % shown.len()].clone())
                };
                let date = deliberation.map(|d| day(d, issued_on));
                let valid = named
                    .as_ref()
                    .map_or(shown.len() == 1, |n| shown.contains(n))
                    && date.is_none_or(|d| d >= issued_on && d <= day(366, today));
                let recorded = named.clone().or_else(|| shown.first().cloned());
                // What a direct write already set stays: an acceptance saying otherwise
                // is refused by the schema (nothing written).
                let kept = (model.scenario.is_none() || model.scenario == recorded)
                    && (model.deliberation.is_none() || model.deliberation == date);
                let r = store.proposal_accept(
                    &issued.id,
                    &Acceptance {
                        scenario_id: named.clone(),
                        deliberated_on: date,
                    },
                    today,
                );
                prop_assert_eq!(r.is_ok(), open && valid && kept, "{:?}: {:?}", step, r);
                if r.is_ok() {
                    model = Answer {
                        status: ProposalStatus::Acceptee,
                        scenario: recorded,
                        deliberation: date,
                    };
                }
            }
            Step::Refuse => {
                let r = store.proposal_refuse(&issued.id, today);
                prop_assert_eq!(r.is_ok(), open, "{:?}", r);
                if r.is_ok() {
                    model.status = ProposalStatus::Refusee;
                }
            }
            Step::WriteScenario(to) => {
                let to = to.map(|i| shown[usize::from(i) % shown.len()].clone());
                let r = conn.execute(
                    "UPDATE proposals SET accepted_scenario_id = ?2 WHERE id = ?1",
                    rusqlite::params![issued.id, to],
                );
                let allowed = model.scenario.is_none() || model.scenario == to;
                prop_assert_eq!(r.is_ok(), allowed, "{:?}", step);
                if r.is_ok() {
                    model.scenario = to;
                }
            }
            Step::WriteDeliberation(to) => {
                let to = to.map(|d| day(d, issued_on));
                let r = conn.execute(
                    "UPDATE proposals SET deliberated_on = ?2 WHERE id = ?1",
                    rusqlite::params![issued.id, to],
                );
                let allowed = model.deliberation.is_none() || model.deliberation == to;
                prop_assert_eq!(r.is_ok(), allowed, "{:?}", step);
                if r.is_ok() {
                    model.deliberation = to;
                }
            }
        }
        let now = store
            .proposal(&issued.id, today)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(frozen(&now), frozen(&issued), "the issued content moved");
        prop_assert_eq!(
            Answer {
                status: now.status,
                scenario: now.accepted_scenario_id.clone(),
                deliberation: now.deliberated_on,
            },
            model.clone()
        );
    }
    let after = store
        .proposal_snapshot(&issued.id, today)
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(after, snapshot);
    Ok(())
}

#[test]
fn an_issued_proposal_never_changes_but_for_its_answer_set_once() {
    let strategy = (any::<bool>(), prop::collection::vec(step(), 1..12));
    let result = runner().run(&strategy, |(both, steps)| run(both, &steps));
    if let Err(e) = result {
        panic!("{e}");
    }
}
