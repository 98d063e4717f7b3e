//! Stores and visits shared by the tests and the benchmark (real SQLite, real fixtures).
#![allow(dead_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use preau_core::proposals::{Civility, DraftPatch};
use preau_core::workflow::{LineInput, VisitExport};
use preau_core::Store;

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(if name.starts_with("annuaire-") {
            // The directory files are the parsers' fixtures; the example visit is the app's.
            "../preau-reference/tests/fixtures"
        } else {
            "../../tests/fixtures"
        })
        .join(name)
}

pub fn read(name: &str) -> String {
    std::fs::read_to_string(fixture(name)).expect("fixture")
}

pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 29).expect("date")
}

pub fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open_in(dir.path()).expect("store");
    store
        .schools_import(read("annuaire-education-2024-somme.csv"))
        .expect("schools");
    (dir, store)
}

/// The example visit (Péronne, two schools, two scenarios) and its draft.
pub fn example(store: &mut Store) -> (String, String) {
    let doc = VisitExport::parse(&read("visit-peronne-2-ecoles.json")).expect("fixture");
    let visit = store.visit_import(&doc).expect("import");
    let draft = store.proposal_draft(&visit, today()).expect("draft");
    store
        .proposal_update_draft(
            &draft.id,
            &DraftPatch {
                civility: Some(Civility::Madame),
                ..Default::default()
            },
            today(),
        )
        .expect("civility");
    (visit, draft.id)
}

/// A Péronne visit with one scenario of `n` lines spread over its first `schools` schools.
pub fn big_visit(store: &mut Store, n: usize, schools: usize) -> String {
    let schools: Vec<String> = store
        .schools_of("80620")
        .expect("schools")
        .into_iter()
        .take(schools)
        .map(|s| s.id)
        .collect();
    let v = store
        .visit_create("80620", "2026-12-10T18:00")
        .expect("visit")
        .id;
    store
        .visit_update(
            &v,
            &preau_core::model::VisitPatch {
                school_ids: Some(schools.clone()),
                ..Default::default()
            },
        )
        .expect("schools");
    let scenario = store
        .scenario_add(&v, "Plan pluriannuel")
        .expect("scenario");
    let refs: Vec<String> = store
        .catalogue()
        .expect("catalogue")
        .items
        .into_iter()
        .map(|i| i.reference)
        .collect();
    for i in 0..n {
        store
            .line_save(
                &v,
                &LineInput {
                    id: preau_core::make_id(),
                    scenario_id: scenario.id.clone(),
                    school_id: schools[i % schools.len()].clone(),
                    class_id: None,
                    reference: refs[i % refs.len()].clone(),
                    quantity: format!("{}", 1 + i % 7),
                    objective_ids: vec![],
                },
            )
            .expect("line");
    }
    v
}
