//! The « Visites » list's read with 2,000 visits (issue 14: list and filter ≤ 50 ms from
//! keystroke to screen; this is the core's part, read once when the screen opens):
//! `Store::visit_rows` over 2,000 visits in 40 communes, two participants each, a draft
//! proposal on one in ten. Run: `cargo bench -p preau-core --bench visit_rows`.

use std::time::Instant;

use chrono::NaiveDate;
use preau_core::model::{Participant, Role};
use preau_core::{make_id, Store};

const VISITS: usize = 2_000;

fn percentiles(mut samples: Vec<f64>) -> String {
    samples.sort_by(f64::total_cmp);
    let at = |p: f64| samples[((samples.len() - 1) as f64 * p) as usize];
    format!(
        "p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        at(0.5),
        at(0.99),
        at(1.0)
    )
}

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open_in(dir.path()).expect("store");
    let communes: Vec<String> = ["a", "b", "c", "h", "m", "p", "r", "s"]
        .iter()
        .flat_map(|q| store.communes_search(q, 5))
        .map(|c| c.insee)
        .take(40)
        .collect();
    assert!(communes.len() >= 20, "{} communes", communes.len());
    let today = NaiveDate::from_ymd_opt(2026, 12, 7).expect("date");
    let start = NaiveDate::from_ymd_opt(2026, 1, 5).expect("date");
    for i in 0..VISITS {
        let day = start + chrono::Days::new((i % 700) as u64);
        let at = format!("{}T{:02}:00", day.format("%Y-%m-%d"), 8 + i % 10);
        let visit = store
            .visit_create(&communes[i % communes.len()], &at)
            .expect("visit");
        for (n, role) in [(0, Role::Maire), (1, Role::Directeur)] {
            store
                .participant_save(
                    &visit.id,
                    &Participant {
                        id: make_id(),
                        name: format!("Participant {i}-{n}"),
                        role,
                        phone: None,
                        email: None,
                    },
                )
                .expect("participant");
        }
        if i % 10 == 0 {
            store.proposal_draft(&visit.id, today).expect("draft");
        }
    }
    let rounds = 50;
    let mut samples = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let t = Instant::now();
        let rows = store.visit_rows(std::hint::black_box(today)).expect("rows");
        samples.push(t.elapsed().as_secs_f64() * 1e3);
        assert_eq!(rows.len(), VISITS);
    }
    println!(
        "Store::visit_rows, {VISITS} visits, {rounds} rounds: {}",
        percentiles(samples)
    );
}
