//! « Suivi et bilan » (issue 13, page 7): where each accepted proposal stands after the
//! mayor's yes, a commune's timeline, and the service's balance sheet per EPCI and for
//! the département, exported as XLSX.
//!
//! Amounts are those of each accepted proposal's retained scenario
//! ([`Proposal::retained_scenario`]) as the laptop froze its plan: TTC, grants, FCTVA and
//! the commune's own share (`remaining_ttc_cents`: TTC − grants − FCTVA). Pupils
//! equipped are those of the schools the retained scenario has at least one line for, as
//! the snapshot recorded them (`schools[].pupils`; a school without a count adds none);
//! classes equipped are the distinct classes its lines are for (`lines[].class`: an
//! interactive screen for the CP-CE1), a line for the whole school naming none — the
//! snapshot holds no class count per school the laptops fill in. The server recomputes
//! nothing: every figure is a sum of integers the snapshots hold.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::NaiveDate;
use rust_xlsxwriter::{Format, Workbook};
use serde::Deserialize;

use super::data::{self, day, Proposal, Status, Visit};
use super::demand::{euros, xlsx_error};
use crate::error::Result;
use crate::follow::{Step, StepRecord};
use crate::storage::{Storage, StoredChange, StoredRecord};

/// What the balance counts of a scenario beyond the amounts `data.rs` reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Equipped {
    pub fctva: i64,
    pub pupils: u64,
    pub classes: u64,
}

/// What a proposal record holds for the follow-up that `data.rs` does not read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extra {
    /// The IEN's validation as the laptop recorded it in the visit's pedagogical project:
    /// the latest date, once every school's project is « validé ».
    pub ien_validated_on: Option<NaiveDate>,
    /// Its visit.
    pub visit_id: Option<String>,
    /// By scenario, in the snapshot's order (that of `Proposal::scenarios`).
    pub scenarios: Vec<Equipped>,
}

#[derive(Deserialize)]
struct Snapshot {
    #[serde(default)]
    schools: Vec<SnapSchool>,
    #[serde(default)]
    scenarios: Vec<SnapScenario>,
}

#[derive(Deserialize)]
struct SnapSchool {
    #[serde(default)]
    name: String,
    pupils: Option<u32>,
}

#[derive(Deserialize)]
struct SnapScenario {
    #[serde(default)]
    schools: Vec<SnapLines>,
    plan: SnapPlan,
}

#[derive(Deserialize)]
struct SnapLines {
    school: String,
    #[serde(default)]
    lines: Vec<SnapLine>,
}

#[derive(Deserialize)]
struct SnapLine {
    #[serde(default)]
    class: Option<String>,
}

#[derive(Deserialize)]
struct SnapPlan {
    #[serde(default)]
    fctva_cents: i64,
}

fn extra(r: &StoredRecord) -> Extra {
    let snapshot: Option<Snapshot> = r
        .fields
        .get("snapshot")
        .and_then(serde_json::Value::as_str)
        .and_then(|s| serde_json::from_str(s).ok());
    let scenarios = snapshot
        .map(|snap| {
            snap.scenarios
                .iter()
                .map(|sc| {
                    let mut e = Equipped {
                        fctva: sc.plan.fctva_cents,
                        ..Equipped::default()
                    };
                    for school in snap.schools.iter().filter(|school| {
                        sc.schools
                            .iter()
                            .any(|l| l.school == school.name && !l.lines.is_empty())
                    }) {
                        e.pupils += u64::from(school.pupils.unwrap_or(0));
                    }
                    let classes: std::collections::HashSet<(&str, &str)> = sc
                        .schools
                        .iter()
                        .flat_map(|l| {
                            l.lines.iter().filter_map(|line| {
                                Some((l.school.as_str(), line.class.as_deref()?))
                            })
                        })
                        .collect();
                    e.classes = classes.len() as u64;
                    e
                })
                .collect()
        })
        .unwrap_or_default();
    Extra {
        ien_validated_on: None,
        visit_id: r
            .fields
            .get("visit_id")
            .and_then(serde_json::Value::as_str)
            .map(str::to_string)
            .or_else(|| r.root.clone()),
        scenarios,
    }
}

type Extras = Arc<HashMap<String, Extra>>;

/// The extras of every proposal record, brought up to date by reading only the records
/// written since (`data::RecordCache`: reading them all is reading every snapshot).
#[derive(Default)]
pub struct Cache {
    rows: data::RecordCache<Option<Extra>>,
    /// Each pedagogical project's visit and IEN validation.
    projects: data::RecordCache<Option<Project>>,
}

/// What a pedagogical project (one school of a visit) says of the IEN.
#[derive(Clone)]
struct Project {
    visit_id: String,
    /// `Some` when « validé »: the day the adviser noted (or none noted).
    validated: Option<Option<NaiveDate>>,
}

fn project(c: &StoredChange) -> Option<Project> {
    if c.deleted {
        return None;
    }
    let f = &c.record.fields;
    let visit_id = f
        .get("visit_id")
        .and_then(serde_json::Value::as_str)
        .map(str::to_string)
        .or_else(|| c.record.root.clone())?;
    let valid = f.get("ien_status").and_then(serde_json::Value::as_str) == Some("valide");
    Some(Project {
        visit_id,
        validated: valid.then(|| day(f, "ien_date")),
    })
}

/// Each visit whose every school's project the IEN validated, with the latest date noted.
fn ien_validated(projects: &HashMap<String, Option<Project>>) -> HashMap<&str, NaiveDate> {
    let mut by: HashMap<&str, Option<Option<NaiveDate>>> = HashMap::new();
    for p in projects.values().flatten() {
        let entry = by.entry(p.visit_id.as_str()).or_insert(Some(None));
        *entry = match (*entry, p.validated) {
            (Some(a), Some(b)) => Some(a.max(b)),
            _ => None,
        };
    }
    by.into_iter().filter_map(|(v, d)| Some((v, d??))).collect()
}

pub async fn extras(storage: &dyn Storage, cache: &Cache) -> Result<Extras> {
    // Extras do not depend on the day: one fixed day keeps them across midnight.
    let rows = data::records_read(storage, "proposals", &cache.rows, NaiveDate::MIN, |c, _| {
        (!c.deleted).then(|| extra(&c.record))
    })
    .await?;
    let projects = data::records_read(
        storage,
        "pedagogy",
        &cache.projects,
        NaiveDate::MIN,
        |c, _| project(c),
    )
    .await?;
    let ien = ien_validated(&projects);
    Ok(Arc::new(
        rows.iter()
            .filter_map(|(id, e)| {
                let mut e = e.clone()?;
                e.ien_validated_on = e.visit_id.as_deref().and_then(|v| ien.get(v).copied());
                Some((id.clone(), e))
            })
            .collect(),
    ))
}

/// Where a step's date comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Recorded in the back-office.
    Recorded(StepRecord),
    /// Recorded on the laptop (when the back-office has none): the deliberation with the
    /// mayor's answer, the IEN's validation in the pedagogical project.
    Laptop,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Done {
    pub on: NaiveDate,
    pub source: Source,
}

/// An accepted proposal and its steps, in [`Step::ALL`]'s order.
#[derive(Debug, Clone)]
pub struct Followed {
    pub proposal: Proposal,
    pub steps: Vec<(Step, Option<Done>)>,
}

impl Followed {
    pub fn done(&self) -> usize {
        self.steps.iter().filter(|(_, d)| d.is_some()).count()
    }
}

/// The latest record of each proposal's step (`records` oldest first).
fn latest(records: &[StepRecord]) -> HashMap<(&str, Step), &StepRecord> {
    let mut by: HashMap<(&str, Step), &StepRecord> = HashMap::new();
    for r in records {
        by.insert((r.proposal_id.as_str(), r.step), r);
    }
    by
}

/// The accepted proposals with their steps, by commune then number.
pub fn followed(
    proposals: &[Proposal],
    records: &[StepRecord],
    extras: &HashMap<String, Extra>,
) -> Vec<Followed> {
    let latest = latest(records);
    let mut out: Vec<Followed> = proposals
        .iter()
        .filter(|p| p.status == Status::Accepted)
        .map(|p| {
            let extra = extras.get(&p.id);
            let laptop = |step| match step {
                // Read with the answer by `data.rs` (the proposal's own field).
                Step::Deliberation => p.deliberated_on,
                Step::IenValidation => extra.and_then(|e| e.ien_validated_on),
                _ => None,
            };
            let steps = Step::ALL
                .into_iter()
                .map(|step| {
                    let done = match (latest.get(&(p.id.as_str(), step)), laptop(step)) {
                        (Some(r), _) => Some(Done {
                            on: r.on,
                            source: Source::Recorded((*r).clone()),
                        }),
                        (None, Some(on)) => Some(Done {
                            on,
                            source: Source::Laptop,
                        }),
                        _ => None,
                    };
                    (step, done)
                })
                .collect();
            Followed {
                proposal: p.clone(),
                steps,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        (&a.proposal.commune, &a.proposal.number).cmp(&(&b.proposal.commune, &b.proposal.number))
    });
    out
}

/// One dated event of a commune's timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub on: NaiveDate,
    pub what: String,
    /// The visit it is about (a link for those who may open visits).
    pub visit: Option<String>,
    /// The visit's adviser, for a visit (shown to those who may open visits).
    pub adviser: Option<String>,
}

/// A commune's visits, proposals issued and answered, and follow-up steps, in date order
/// (events of one day in the order they happen: visit, issue, answer, steps).
pub fn timeline(
    insee: &str,
    visits: &[Visit],
    records: &[StepRecord],
    extras: &HashMap<String, Extra>,
) -> Vec<Event> {
    let mut events: Vec<(NaiveDate, usize, Event)> = Vec::new();
    let mut push = |on: NaiveDate, rank: usize, what: String, visit: &Visit, adviser: bool| {
        events.push((
            on,
            rank,
            Event {
                on,
                what,
                visit: Some(visit.id.clone()),
                adviser: adviser.then(|| visit.adviser.clone()),
            },
        ));
    };
    for v in visits.iter().filter(|v| v.insee == insee) {
        if let Some(on) = v.scheduled_on {
            push(on, 0, "Visite".to_string(), v, true);
        }
        let proposals: Vec<Proposal> = v.proposals.clone();
        for p in &proposals {
            if let Some(on) = p.issued_on {
                push(
                    on,
                    1,
                    format!("Proposition {} émise", p.reference()),
                    v,
                    false,
                );
            }
            if let (Some(on), Status::Accepted | Status::Refused) = (p.decided_on, p.status) {
                let answer = if p.status == Status::Accepted {
                    "acceptée"
                } else {
                    "refusée"
                };
                push(
                    on,
                    2,
                    format!("Proposition {} {answer}", p.reference()),
                    v,
                    false,
                );
            }
        }
        for f in followed(&proposals, records, extras) {
            for (i, (step, done)) in f.steps.iter().enumerate() {
                if let Some(d) = done {
                    let whence = match d.source {
                        Source::Laptop => " (saisie sur le portable)",
                        Source::Recorded(_) => "",
                    };
                    push(
                        d.on,
                        3 + i,
                        format!("{} — {}{whence}", step.label(), f.proposal.reference()),
                        v,
                        false,
                    );
                }
            }
        }
    }
    events.sort_by_key(|a| (a.0, a.1));
    events.into_iter().map(|(_, _, e)| e).collect()
}

/// What the balance sheet adds up: amounts in cents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub proposals: u64,
    pub ttc: i64,
    pub aid: i64,
    pub fctva: i64,
    /// The communes' own share: TTC − grants − FCTVA.
    pub own: i64,
    pub pupils: u64,
    pub classes: u64,
}

impl std::ops::AddAssign for Totals {
    fn add_assign(&mut self, o: Totals) {
        self.proposals += o.proposals;
        self.ttc += o.ttc;
        self.aid += o.aid;
        self.fctva += o.fctva;
        self.own += o.own;
        self.pupils += o.pupils;
        self.classes += o.classes;
    }
}

/// One accepted proposal in the balance sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BalanceRow {
    pub commune: String,
    pub insee: String,
    pub epci: String,
    pub reference: String,
    /// The retained scenario's label ("A").
    pub scenario: String,
    pub totals: Totals,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Balance {
    /// By EPCI name.
    pub by_epci: BTreeMap<String, Totals>,
    pub departement: Totals,
    /// By EPCI, commune, number.
    pub rows: Vec<BalanceRow>,
}

/// The EPCI of a commune outside any.
pub const NO_EPCI: &str = "Hors EPCI";

/// The balance sheet of the accepted proposals.
pub fn balance(proposals: &[Proposal], extras: &HashMap<String, Extra>) -> Balance {
    let mut b = Balance::default();
    for p in proposals.iter().filter(|p| p.status == Status::Accepted) {
        let Some(scenario) = p.retained_scenario() else {
            continue;
        };
        let index = p
            .scenarios
            .iter()
            .position(|s| std::ptr::eq(s, scenario))
            .unwrap_or(0);
        let equipped = extras
            .get(&p.id)
            .and_then(|e| e.scenarios.get(index).copied())
            .unwrap_or_default();
        let totals = Totals {
            proposals: 1,
            ttc: scenario.amounts.ttc,
            aid: scenario.amounts.aid,
            fctva: equipped.fctva,
            own: scenario.amounts.remaining,
            pupils: equipped.pupils,
            classes: equipped.classes,
        };
        let epci = p.epci.clone().unwrap_or_else(|| NO_EPCI.to_string());
        *b.by_epci.entry(epci.clone()).or_default() += totals;
        b.departement += totals;
        b.rows.push(BalanceRow {
            commune: p.commune.clone(),
            insee: p.insee.clone(),
            epci,
            reference: p.reference(),
            scenario: scenario.label.clone(),
            totals,
        });
    }
    b.rows.sort_by(|x, y| {
        (&x.epci, &x.commune, &x.reference).cmp(&(&y.epci, &y.commune, &y.reference))
    });
    b
}

/// The columns after a row's labels, in both sheets.
const FIGURES: [&str; 7] = [
    "Propositions acceptées",
    "Investi TTC",
    "Subventions",
    "FCTVA",
    "Part des communes",
    "Élèves",
    "Classes",
];

/// Writes `t` from column `col` of `row`: counts as numbers, amounts as euros.
fn write_totals(
    s: &mut rust_xlsxwriter::Worksheet,
    row: u32,
    col: u16,
    t: &Totals,
    money: &Format,
    count: &Format,
) -> Result<()> {
    let counts = [t.proposals, t.pupils, t.classes].map(|n| n as f64);
    s.write_number_with_format(row, col, counts[0], count)
        .map_err(xlsx_error)?;
    for (i, cents) in [t.ttc, t.aid, t.fctva, t.own].into_iter().enumerate() {
        s.write_number_with_format(row, col + 1 + i as u16, euros(cents), money)
            .map_err(xlsx_error)?;
    }
    s.write_number_with_format(row, col + 5, counts[1], count)
        .map_err(xlsx_error)?;
    s.write_number_with_format(row, col + 6, counts[2], count)
        .map_err(xlsx_error)?;
    Ok(())
}

/// The balance sheet as a workbook: « Synthèse » (one row per EPCI, then the
/// département) and « Détail » (one row per accepted proposal); numbers are numbers,
/// amounts in a euro format.
pub fn xlsx(b: &Balance, today: NaiveDate) -> Result<Vec<u8>> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let money = Format::new().set_num_format("#,##0.00 \"€\"");
    let money_bold = money.clone().set_bold();
    let count = Format::new().set_num_format("#,##0");
    let count_bold = count.clone().set_bold();
    {
        let s = book.add_worksheet();
        s.set_name("Synthèse").map_err(xlsx_error)?;
        s.write_string_with_format(
            0,
            0,
            format!(
                "Bilan du service au {} (propositions acceptées, scénario retenu)",
                preau_reference::format::date(today)
            ),
            &bold,
        )
        .map_err(xlsx_error)?;
        s.write_string_with_format(2, 0, "EPCI", &bold)
            .map_err(xlsx_error)?;
        for (i, h) in FIGURES.iter().enumerate() {
            s.write_string_with_format(2, 1 + i as u16, *h, &bold)
                .map_err(xlsx_error)?;
        }
        let mut row = 3;
        for (epci, t) in &b.by_epci {
            s.write_string(row, 0, epci).map_err(xlsx_error)?;
            write_totals(s, row, 1, t, &money, &count)?;
            row += 1;
        }
        s.write_string_with_format(row, 0, "Département", &bold)
            .map_err(xlsx_error)?;
        write_totals(s, row, 1, &b.departement, &money_bold, &count_bold)?;
        s.set_column_width(0, 42).map_err(xlsx_error)?;
        s.set_column_range_width(1, 7, 18).map_err(xlsx_error)?;
    }
    {
        let s = book.add_worksheet();
        s.set_name("Détail").map_err(xlsx_error)?;
        for (i, h) in ["EPCI", "Commune", "INSEE", "Proposition", "Scénario"]
            .iter()
            .chain(FIGURES.iter())
            .enumerate()
        {
            s.write_string_with_format(0, i as u16, *h, &bold)
                .map_err(xlsx_error)?;
        }
        for (i, r) in b.rows.iter().enumerate() {
            let row = 1 + i as u32;
            for (col, text) in [&r.epci, &r.commune, &r.insee, &r.reference, &r.scenario]
                .into_iter()
                .enumerate()
            {
                s.write_string(row, col as u16, text).map_err(xlsx_error)?;
            }
            write_totals(s, row, 5, &r.totals, &money, &count)?;
        }
        s.set_column_width(0, 36).map_err(xlsx_error)?;
        s.set_column_width(1, 24).map_err(xlsx_error)?;
        s.set_column_range_width(5, 11, 16).map_err(xlsx_error)?;
    }
    book.save_to_buffer().map_err(xlsx_error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::data::{Amounts, Scenario};
    use proptest::prelude::*;

    fn proposal(id: &str, epci: Option<&str>, status: Status, a: Amounts) -> Proposal {
        Proposal {
            id: id.into(),
            visit_id: format!("v-{id}"),
            number: format!("N-{id}"),
            revision: 1,
            status,
            issued_on: NaiveDate::from_ymd_opt(2026, 10, 1),
            valid_until: None,
            decided_on: NaiveDate::from_ymd_opt(2026, 10, 20),
            adviser: "Anne".into(),
            commune: format!("Commune {id}"),
            insee: "80620".into(),
            epci: epci.map(str::to_string),
            scenarios: vec![Scenario {
                id: String::new(),
                label: "A".into(),
                title: "t".into(),
                amounts: a,
                lines: vec![],
            }],
            accepted_scenario_id: None,
            deliberated_on: None,
            pdf_sha256: None,
            catalogue_version: "c".into(),
            lots: HashMap::new(),
        }
    }

    fn amounts(ttc: i64, aid: i64, fctva: i64) -> Amounts {
        Amounts {
            ht: ttc * 5 / 6,
            ttc,
            aid,
            remaining: ttc - aid - fctva,
        }
    }

    #[test]
    fn the_snapshot_gives_fctva_and_the_equipped_schools() {
        let snapshot = serde_json::json!({
            "schools": [
                { "name": "École A", "classes": null, "pupils": 70 },
                { "name": "École B", "classes": null, "pupils": 41 },
                { "name": "École C", "classes": null, "pupils": null },
                { "name": "École D", "classes": null, "pupils": 12 }
            ],
            "scenarios": [
                { "schools": [ { "school": "École A", "lines": [
                    { "class": "CP", "quantity": 1 }, { "class": "CP" }, { "class": null } ] } ],
                  "plan": { "fctva_cents": 1234 } },
                { "schools": [ { "school": "École A", "lines": [ { "class": "CP" } ] },
                               { "school": "École B", "lines": [ { "class": "CP" }, { "class": "CM1" } ] },
                               { "school": "École C", "lines": [ {} ] },
                               { "school": "École D", "lines": [] } ],
                  "plan": { "fctva_cents": 99 } }
            ]
        })
        .to_string();
        let r = StoredRecord {
            record_id: "p".into(),
            fields: serde_json::json!({ "snapshot": snapshot, "deliberated_on": "2026-11-03" })
                .as_object()
                .cloned()
                .unwrap_or_default(),
            owner: None,
            root: None,
        };
        let e = extra(&r);
        assert_eq!(
            e.scenarios,
            vec![
                Equipped {
                    fctva: 1234,
                    pupils: 70,
                    classes: 1
                },
                Equipped {
                    fctva: 99,
                    pupils: 111,
                    classes: 3
                }
            ]
        );
    }

    #[test]
    fn the_laptops_deliberation_shows_until_the_office_records_one() {
        let mut p = proposal("p", None, Status::Accepted, amounts(100, 10, 10));
        p.deliberated_on = NaiveDate::from_ymd_opt(2026, 11, 3);
        let extras = HashMap::from([(
            "p".to_string(),
            Extra {
                ien_validated_on: NaiveDate::from_ymd_opt(2026, 10, 20),
                ..Extra::default()
            },
        )]);
        let f = followed(std::slice::from_ref(&p), &[], &extras);
        assert_eq!(
            f[0].steps[1].1.as_ref().map(|d| &d.source),
            Some(&Source::Laptop)
        );
        assert_eq!(
            f[0].steps[0].1,
            Some(Done {
                on: NaiveDate::from_ymd_opt(2026, 10, 20).expect("day"),
                source: Source::Laptop
            }),
            "the IEN's validation noted in the project"
        );
        let on = NaiveDate::from_ymd_opt(2026, 11, 5).expect("day");
        let mut first = StepRecord::new("p", Step::Deliberation, on, "", "a").expect("step");
        first.on = NaiveDate::from_ymd_opt(2026, 11, 4).expect("day");
        let second = StepRecord::new("p", Step::Deliberation, on, "corrigée", "a").expect("step");
        let f = followed(&[p], &[first, second.clone()], &extras);
        assert_eq!(
            f[0].steps[1].1,
            Some(Done {
                on,
                source: Source::Recorded(second)
            })
        );
        assert_eq!(f[0].done(), 2);
    }

    #[test]
    fn the_ien_validated_a_visit_when_every_school_project_says_so() {
        let d = |day: u32| NaiveDate::from_ymd_opt(2026, 10, day);
        let p = |visit: &str, validated: Option<Option<NaiveDate>>| {
            Some(Project {
                visit_id: visit.into(),
                validated,
            })
        };
        let projects = HashMap::from([
            ("a1".to_string(), p("a", Some(d(3)))),
            ("a2".to_string(), p("a", Some(d(9)))),
            ("b1".to_string(), p("b", Some(d(3)))),
            ("b2".to_string(), p("b", None)),
            ("c1".to_string(), p("c", Some(None))),
            ("gone".to_string(), None),
        ]);
        let ien = ien_validated(&projects);
        assert_eq!(ien.get("a").copied(), d(9), "the latest school's date");
        assert!(!ien.contains_key("b"), "a school still waiting");
        assert!(!ien.contains_key("c"), "validated with no date noted");
    }

    #[test]
    fn a_timeline_is_in_date_order_visit_issue_answer_then_steps() {
        let d = |m: u32, day: u32| NaiveDate::from_ymd_opt(2026, m, day).expect("day");
        let mut p = proposal("p", None, Status::Accepted, amounts(100, 10, 10));
        p.issued_on = Some(d(10, 1));
        p.decided_on = Some(d(10, 1));
        let mut refused = proposal("r", None, Status::Refused, amounts(100, 10, 10));
        refused.issued_on = Some(d(9, 1));
        refused.decided_on = Some(d(9, 15));
        let visit = Visit {
            id: "v".into(),
            insee: "80620".into(),
            commune: "Péronne".into(),
            epci: None,
            adviser: "Anne".into(),
            scheduled_on: Some(d(10, 1)),
            proposals: vec![p, refused],
        };
        let other = Visit {
            insee: "80001".into(),
            ..visit.clone()
        };
        let steps = [
            StepRecord::new("p", Step::Training, d(12, 1), "", "a").expect("step"),
            StepRecord::new("p", Step::Order, d(10, 1), "", "a").expect("step"),
        ];
        let events = timeline("80620", &[visit, other], &steps, &HashMap::new());
        let what: Vec<&str> = events.iter().map(|e| e.what.as_str()).collect();
        assert_eq!(
            what,
            [
                "Proposition N-r rév. 1 émise",
                "Proposition N-r rév. 1 refusée",
                "Visite",
                "Proposition N-p rév. 1 émise",
                "Proposition N-p rév. 1 acceptée",
                "Commande via le groupement — N-p rév. 1",
                "Formation — N-p rév. 1",
            ]
        );
        assert_eq!(events[2].adviser.as_deref(), Some("Anne"));
        assert!(events.iter().all(|e| e.visit.as_deref() == Some("v")));
    }

    fn any_proposal() -> impl Strategy<Value = (Proposal, Equipped)> {
        (
            0..4usize,
            prop_oneof![
                Just(Status::Accepted),
                Just(Status::Pending),
                Just(Status::Refused)
            ],
            0..10_000_000i64,
            0..100i64,
            0..100i64,
            0..500u64,
            0..30u64,
        )
            .prop_map(|(epci, status, ttc, aid_pct, fctva_pct, pupils, classes)| {
                let aid = ttc * aid_pct / 200;
                let fctva = ttc * fctva_pct / 200;
                let epci = ["CC A", "CC B", "CA C"].get(epci).copied();
                let id = uuid::Uuid::now_v7().to_string();
                (
                    proposal(&id, epci, status, amounts(ttc, aid, fctva)),
                    Equipped {
                        fctva,
                        pupils,
                        classes,
                    },
                )
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        /// The département is the sum of its EPCI and of the accepted proposals, to the
        /// cent; TTC = grants + FCTVA + own share on every row and total.
        #[test]
        fn the_balance_adds_up(ps in proptest::collection::vec(any_proposal(), 0..20)) {
            let extras: HashMap<String, Extra> = ps.iter().map(|(p, e)| (p.id.clone(), Extra {
                scenarios: vec![*e], ..Extra::default() })).collect();
            let proposals: Vec<Proposal> = ps.iter().map(|(p, _)| p.clone()).collect();
            let b = balance(&proposals, &extras);
            let accepted: Vec<&(Proposal, Equipped)> =
                ps.iter().filter(|(p, _)| p.status == Status::Accepted).collect();
            let mut by_epci = Totals::default();
            for t in b.by_epci.values() { by_epci += *t; }
            prop_assert_eq!(by_epci, b.departement);
            prop_assert_eq!(b.departement.proposals as usize, accepted.len());
            prop_assert_eq!(b.departement.ttc, accepted.iter().map(|(p, _)| p.amounts().ttc).sum::<i64>());
            prop_assert_eq!(b.departement.pupils, accepted.iter().map(|(_, e)| e.pupils).sum::<u64>());
            for t in b.by_epci.values().chain([&b.departement]).chain(b.rows.iter().map(|r| &r.totals)) {
                prop_assert_eq!(t.ttc, t.aid + t.fctva + t.own);
            }
            prop_assert!(!xlsx(&b, NaiveDate::from_ymd_opt(2026, 12, 7).unwrap_or_default())
                .expect("xlsx").is_empty());
        }
    }
}
