//! Recompute of the funding plans of a visit with 3 schools, 3 scenarios and 60 lines:
//! `Store::plans` (reads from SQLite and computes) and `plan::compute` alone.
//! Run: `cargo bench -p preau-core --bench plan`.

use std::time::Instant;

use preau_core::model::VisitPatch;
use preau_core::plan::{self, PlanContext, PricedLine};
use preau_core::workflow::{IenStatus, LineInput, Objective, Pedagogy};
use preau_core::{make_id, Store};

const SCHOOLS_CSV: &str =
    include_str!("../../preau-reference/tests/fixtures/annuaire-education-2024-somme.csv");
const ITEMS: [&str; 10] = [
    "ENI65", "PCENS", "TABL", "CHAR16", "WIFI", "VISU", "BEEPACK", "ENT", "MDM", "MAINT",
];

fn percentiles(mut samples: Vec<f64>) -> String {
    samples.sort_by(f64::total_cmp);
    let at = |p: f64| samples[((samples.len() - 1) as f64 * p) as usize];
    format!("p50 {:.1} µs, p99 {:.1} µs", at(0.5), at(0.99))
}

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open_in(dir.path()).expect("store");
    store.schools_import(SCHOOLS_CSV).expect("schools");
    let schools = store.schools_of("80620").expect("schools");
    let visit = store
        .visit_create("80620", "2026-12-03T18:00")
        .expect("visit");
    store
        .visit_update(
            &visit.id,
            &VisitPatch {
                school_ids: Some(schools.iter().map(|s| s.id.clone()).collect()),
                ..Default::default()
            },
        )
        .expect("schools concerned");
    let mut objectives = Vec::new();
    for s in &schools {
        let o = Objective {
            id: make_id(),
            label: "Différencier les apprentissages".into(),
        };
        store
            .pedagogy_save(
                &visit.id,
                &Pedagogy {
                    school_id: s.id.clone(),
                    objectives: vec![o.clone()],
                    cycles: vec![2, 3],
                    uses: vec![],
                    crcn: vec![],
                    training_needs: String::new(),
                    ien_status: IenStatus::ASoumettre,
                    ien_date: None,
                    ien_comment: String::new(),
                },
            )
            .expect("project");
        objectives.push(o);
    }
    for title in ["A", "B", "C"] {
        let scenario = store.scenario_add(&visit.id, title).expect("scenario");
        for i in 0..20 {
            let k = i % schools.len();
            store
                .line_save(
                    &visit.id,
                    &LineInput {
                        id: make_id(),
                        scenario_id: scenario.id.clone(),
                        school_id: schools[k].id.clone(),
                        class_id: None,
                        reference: ITEMS[i % ITEMS.len()].into(),
                        quantity: (1 + i % 5).to_string(),
                        objective_ids: vec![objectives[k].id.clone()],
                    },
                )
                .expect("line");
        }
    }
    let rounds = 500;
    let mut with_store = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let t = Instant::now();
        let plans = store.plans(std::hint::black_box(&visit.id)).expect("plans");
        with_store.push(t.elapsed().as_secs_f64() * 1e6);
        assert_eq!(plans.len(), 3);
    }
    let rules = store.funding_rules().expect("rules");
    let lines: Vec<PricedLine> = (0..60)
        .map(|i| PricedLine {
            quantity: 1 + i % 5,
            unit_price_cents: 10_000 + i64::from(i) * 1_234,
            vat_rate_bp: 2000,
            section: preau_core::model::BudgetSection::Investissement,
            strand: Some("équipement classe".into()),
            yearly: false,
        })
        .collect();
    let ctx = PlanContext {
        commune_population: 278,
        schools: 3,
        classes: 9,
        pupils: 180,
        life_years: 5,
    };
    let mut compute_only = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let t = Instant::now();
        for chunk in lines.chunks(20) {
            std::hint::black_box(plan::compute(chunk, &rules, ctx));
        }
        compute_only.push(t.elapsed().as_secs_f64() * 1e6);
    }
    println!("3 schools, 3 scenarios, 60 lines, {rounds} rounds:");
    println!(
        "  Store::plans (SQLite reads + compute): {}",
        percentiles(with_store)
    );
    println!(
        "  plan::compute x3 (pure):               {}",
        percentiles(compute_only)
    );
}
