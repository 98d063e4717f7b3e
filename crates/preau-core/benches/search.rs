//! Commune search on 35,000 synthetic communes (the scale of all France).
//! Run: `cargo bench -p preau-core --bench search`. Prints p50 / p99 / max per query.

use std::time::Instant;

use preau_core::model::CommuneHit;
use preau_core::search::CommuneIndex;

const SOMME: &str = include_str!("../../../data/reference/somme_communes.csv");
const TARGET: usize = 35_000;
const SUFFIXES: &[&str] = &[
    "",
    "-sur-Mer",
    "-le-Grand",
    "-la-Forêt",
    "-en-Vallée",
    "-lès-Bains",
    "-Saint-Martin",
    "-sous-Bois",
    "-d'Artois",
    "-sur-Loire",
    "-le-Château",
    "-aux-Champs",
    "-en-Brie",
    "-les-Vignes",
    "-Sainte-Anne",
    "-du-Lac",
    "-de-Provence",
    "-sur-Oise",
    "-la-Rivière",
    "-le-Petit",
    "-en-Argonne",
    "-sur-Seine",
    "-les-Dunes",
    "-l'Abbaye",
    "-des-Prés",
    "-sur-Marne",
    "-en-Auge",
    "-le-Vieil",
    "-la-Montagne",
    "-sur-Yonne",
    "-Saint-Jean",
    "-de-Bretagne",
    "-en-Forez",
    "-les-Roses",
    "-sur-Vienne",
    "-le-Haut",
    "-en-Bresse",
    "-la-Chapelle",
    "-sur-Cher",
    "-aux-Bois",
    "-le-Bas",
    "-sur-Dordogne",
    "-en-Caux",
    "-la-Côte",
    "-les-Mines",
];

fn synthetic() -> Vec<CommuneHit> {
    let somme: Vec<(String, u32)> = SOMME
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut f = l.split(',');
            let _insee = f.next()?;
            let name = f.next()?.to_string();
            let _siren = f.next()?;
            let pop = f.next()?.parse().ok()?;
            Some((name, pop))
        })
        .collect();
    let mut seed: u64 = 42;
    (0..TARGET)
        .map(|i| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let (name, pop) = &somme[i % somme.len()];
            let suffix = SUFFIXES[(i / somme.len()) % SUFFIXES.len()];
            CommuneHit {
                insee: format!("{:05}", i),
                name: format!("{name}{suffix}"),
                population: pop.saturating_add(u32::try_from(seed >> 54).unwrap_or(0)),
                postal_codes: vec![format!("{:05}", 1000 + (seed >> 40) % 94_000)],
                epci_name: None,
            }
        })
        .collect()
}

fn main() {
    let started = Instant::now();
    let index = CommuneIndex::new(synthetic());
    println!(
        "index of {} communes built in {:.1} ms",
        index.len(),
        started.elapsed().as_secs_f64() * 1e3
    );
    let queries = [
        "p",
        "pe",
        "per",
        "peronne",
        "amiens",
        "st val",
        "saint",
        "ste",
        "sur somme",
        "bois",
        "abbeville sur mer",
        "le grand",
        "80",
        "80200",
        "xyzzy",
        "estrees les crecy",
        "a",
        "mons",
        "villers",
        "la foret",
    ];
    let rounds = 200;
    let mut samples = Vec::with_capacity(rounds * queries.len());
    let mut found = 0usize;
    for _ in 0..rounds {
        for q in queries {
            let t = Instant::now();
            let hits = index.search(std::hint::black_box(q), 20);
            samples.push(t.elapsed().as_secs_f64() * 1e6);
            found += hits.len();
        }
    }
    if std::env::var_os("BENCH_DETAIL").is_some() {
        for (i, q) in queries.iter().enumerate() {
            let mut own: Vec<f64> = samples
                .iter()
                .skip(i)
                .step_by(queries.len())
                .copied()
                .collect();
            own.sort_by(f64::total_cmp);
            println!(
                "  {q:>20}: p50 {:.0} µs, p99 {:.0} µs",
                own[own.len() / 2],
                own[own.len() * 99 / 100]
            );
        }
    }
    samples.sort_by(f64::total_cmp);
    let pct = |p: f64| samples[((samples.len() - 1) as f64 * p) as usize];
    println!(
        "search over {} queries x {rounds}: p50 {:.0} µs, p99 {:.0} µs, max {:.0} µs ({found} hits)",
        queries.len(),
        pct(0.50),
        pct(0.99),
        pct(1.0)
    );
}
