//! preau-core against real SQLite files in temporary directories.

mod answer_prop;
mod change_log;
mod directory_prop;
mod durability;
mod encryption;
mod import;
mod import_diff;
mod outgoing_prop;
mod proposals;
mod search;
mod store;
mod sync_columns;
mod sync_resolve;
mod sync_schema;
mod sync_state;
mod visits;
mod workflow;

use std::path::{Path, PathBuf};

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

pub fn read_fixture(name: &str) -> String {
    std::fs::read_to_string(fixture(name)).expect("fixture readable")
}

/// The mayor, with a new id: the participant most tests add to a visit.
pub fn mayor(name: &str) -> preau_core::model::Participant {
    preau_core::model::Participant {
        id: preau_core::make_id(),
        name: name.into(),
        role: preau_core::model::Role::Maire,
        phone: None,
        email: None,
    }
}

pub fn new_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open_in(dir.path()).expect("store opens");
    (dir, store)
}

/// The server's acknowledgements of `changes`, each with a revision (any positive one).
pub fn acks(changes: &[preau_core::sync::OutgoingChange]) -> Vec<preau_core::sync::Acknowledged> {
    changes
        .iter()
        .enumerate()
        .map(|(i, c)| preau_core::sync::Acknowledged {
            change_id: c.change_id.clone(),
            revision: i64::try_from(i).unwrap_or(0) + 1,
        })
        .collect()
}

/// A proptest runner: `PREAU_PROPTEST_CASES` cases (else `cases`), its shrunk failures kept
/// in `tests/it/proptest-regressions/<file>` and replayed first.
pub fn prop_runner(file: &str, cases: u32) -> proptest::test_runner::TestRunner {
    use proptest::test_runner::{Config, FileFailurePersistence, TestRunner};
    let cases = std::env::var("PREAU_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    // The path lives as long as the test binary (a few per run).
    let path: &'static str = Box::leak(
        format!(
            "{}/tests/it/proptest-regressions/{file}",
            env!("CARGO_MANIFEST_DIR")
        )
        .into_boxed_str(),
    );
    TestRunner::new(Config {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(path))),
        ..Config::default()
    })
}
