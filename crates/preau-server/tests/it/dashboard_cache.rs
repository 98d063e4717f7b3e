//! The back-office's caches of proposals (`web::data::proposals`, the follow-up's
//! `web::follow::extras`, both read through `data::RecordCache`): after any sequence of
//! pushes, answers, new revisions, purges and days, what they serve equals a fresh read
//! of every proposal.

use std::cell::RefCell;

use chrono::{Days, NaiveDate};
use preau_server::web::data::{self, Cache};
use preau_server::web::follow;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use crate::backoffice::fresh_example_visit;
use crate::support::{Backend, Laptop, TestServer};

#[derive(Debug, Clone)]
enum Step {
    /// A new visit's proposal issued (and accepted at once, or not).
    Issue { accept: bool },
    /// The mayor refuses the n-th proposal still waiting.
    Refuse(u8),
    /// The n-th visit's proposal issued again (a new revision replaces the last).
    Reissue(u8),
    /// An administrator purges the n-th proposal record.
    Purge(u8),
    /// Some days go by (proposals expire).
    Days(u8),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => any::<bool>().prop_map(|accept| Step::Issue { accept }),
        1 => any::<u8>().prop_map(Step::Refuse),
        1 => any::<u8>().prop_map(Step::Reissue),
        1 => any::<u8>().prop_map(Step::Purge),
        1 => (1u8..60).prop_map(Step::Days),
    ]
}

fn pdf() -> Vec<u8> {
    b"%PDF-1.7 proposition\n".to_vec()
}

pub fn the_cache_serves_what_a_fresh_read_reads(backend: &Backend) {
    let server = TestServer::start(&backend.url("dashboard_cache"));
    // One server, laptop and cache for every case: each case goes on from the state the
    // previous ones left (proptest's runner takes a `Fn`).
    let laptop = RefCell::new(Laptop::enrolled(
        &server.url(),
        &server.enrollment_code("Anne Martin"),
    ));
    let cache = Cache::default();
    let follow_cache = follow::Cache::default();
    let visits: RefCell<Vec<String>> = RefCell::new(Vec::new());
    let today = RefCell::new(chrono::Utc::now().date_naive());
    let cases = std::env::var("PREAU_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse::<u32>().ok())
        .map_or(12, |n| (n / 100).clamp(4, 40));
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&prop::collection::vec(step(), 1..6), |steps| {
        for s in &steps {
            run(
                &server,
                &mut laptop.borrow_mut(),
                &mut visits.borrow_mut(),
                &mut today.borrow_mut(),
                s,
            )?;
            let day = *today.borrow();
            let cached = server.block_on(data::proposals(server.storage.as_ref(), &cache, day));
            let fresh = server.block_on(data::proposals(
                server.storage.as_ref(),
                &Cache::default(),
                day,
            ));
            let (cached, fresh) = (
                cached.map_err(|e| TestCaseError::fail(e.to_string()))?,
                fresh.map_err(|e| TestCaseError::fail(e.to_string()))?,
            );
            prop_assert_eq!(cached, fresh, "after {:?}", s);
            let extras = |cache: &follow::Cache| {
                server
                    .block_on(follow::extras(server.storage.as_ref(), cache))
                    .map_err(|e| TestCaseError::fail(e.to_string()))
            };
            prop_assert_eq!(
                extras(&follow_cache)?,
                extras(&follow::Cache::default())?,
                "follow-up extras after {:?}",
                s
            );
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

fn run(
    server: &TestServer,
    laptop: &mut Laptop,
    visits: &mut Vec<String>,
    today: &mut NaiveDate,
    s: &Step,
) -> Result<(), TestCaseError> {
    let nth = |list: &[String], n: u8| -> Option<String> {
        (!list.is_empty()).then(|| list[usize::from(n) % list.len()].clone())
    };
    let fail = |e: preau_core::Error| TestCaseError::fail(e.to_string());
    match s {
        Step::Issue { accept } => {
            let visit = fresh_example_visit(laptop);
            let draft = laptop.store.proposal_draft(&visit, *today).map_err(fail)?;
            let issued = laptop
                .store
                .proposal_issue(&draft.id, *today, |_| Ok(pdf()))
                .map_err(fail)?;
            if *accept {
                // The mayor accepts the last scenario shown (B of the example's two).
                let acceptance = preau_core::proposals::Acceptance {
                    scenario_id: issued.offered.last().map(|o| o.id.clone()),
                    deliberated_on: None,
                };
                laptop
                    .store
                    .proposal_accept(&issued.id, &acceptance, *today)
                    .map_err(fail)?;
            }
            visits.push(visit);
        }
        Step::Refuse(n) => {
            let waiting: Vec<String> = visits
                .iter()
                .flat_map(|v| laptop.store.proposals_of(v, *today).unwrap_or_default())
                .filter(|p| p.status == preau_core::proposals::ProposalStatus::Emise)
                .map(|p| p.id)
                .collect();
            if let Some(id) = nth(&waiting, *n) {
                laptop.store.proposal_refuse(&id, *today).map_err(fail)?;
            }
        }
        Step::Reissue(n) => {
            if let Some(visit) = nth(visits, *n) {
                // A visit whose proposal was answered cannot be issued again: skipped.
                if let Ok(draft) = laptop.store.proposal_draft(&visit, *today) {
                    laptop
                        .store
                        .proposal_issue(&draft.id, *today, |_| Ok(pdf()))
                        .map_err(fail)?;
                }
            }
        }
        Step::Purge(n) => {
            let ids: Vec<String> = visits
                .iter()
                .flat_map(|v| laptop.store.proposals_of(v, *today).unwrap_or_default())
                .map(|p| p.id)
                .collect();
            if let Some(id) = nth(&ids, *n) {
                let storage = std::sync::Arc::clone(&server.storage);
                server
                    .block_on(async move { storage.purge_record("proposals", &id).await })
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
            }
        }
        Step::Days(d) => {
            *today = today
                .checked_add_days(Days::new(u64::from(*d)))
                .unwrap_or(*today);
        }
    }
    laptop.sync();
    Ok(())
}
