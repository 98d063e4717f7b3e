//! The national school directory at its real size (about 65,000 rows and 40 MB in the 2026
//! format: 71 columns, BOM, `;`, CRLF), imported into a new store keeping the Somme's
//! écoles, side by side with Python's `csv` module merely reading the same file (the peer
//! the issue names). The file is generated from the 2026 fixture's header and rows.
//! Run: `cargo bench -p preau-core --bench directory`.

use std::io::Write;
use std::process::Command;
use std::time::{Duration, Instant};

use preau_core::Store;

const FIXTURE: &str =
    include_str!("../../preau-reference/tests/fixtures/annuaire-education-2026-somme.csv");
const COMMUNES: &str = include_str!("../../../data/reference/somme_communes.csv");
const ROWS: usize = 65_000;
const RUNS: usize = 5;

/// The national file: every département, about 1 row in 100 an école of the Somme (as in
/// the real file: the Somme has some 600 écoles of France's 65,000 establishments).
fn national_file() -> Vec<u8> {
    let text = FIXTURE.trim_start_matches('\u{feff}');
    let mut lines = text.split("\r\n");
    let header = lines.next().expect("header");
    let template: Vec<&str> = lines.next().expect("a row").split(';').collect::<Vec<_>>();
    let col = |name: &str| {
        header
            .split(';')
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("column {name}"))
    };
    let (uai, nom, type_, cp, commune, dept, adresse) = (
        col("Identifiant_de_l_etablissement"),
        col("Nom_etablissement"),
        col("Type_etablissement"),
        col("Code_postal"),
        col("Code_commune"),
        col("Code_departement"),
        col("Adresse_1"),
    );
    let somme: Vec<&str> = COMMUNES
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next())
        .collect();
    let mut out = Vec::with_capacity(45 << 20);
    out.extend_from_slice("\u{feff}".as_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(b"\r\n");
    let types = [
        "Ecole",
        "Ecole",
        "Ecole",
        "Collège",
        "Lycée",
        "Service Administratif",
    ];
    for i in 0..ROWS {
        let mut row: Vec<String> = template.iter().map(|s| (*s).to_string()).collect();
        let in_somme = i % 100 == 7;
        let (d, c) = if in_somme {
            ("080".to_string(), somme[i / 100 % somme.len()].to_string())
        } else {
            let d = 1 + i % 95;
            let d = if d == 80 { 81 } else { d };
            (format!("{d:03}"), format!("{d:02}{:03}", i % 900 + 1))
        };
        row[uai] = format!("{}{:05}{}", &d[1..], i, (b'A' + (i % 26) as u8) as char);
        row[nom] = format!("École primaire numéro {i} « Les Tilleuls »");
        row[type_] = types[i % types.len()].to_string();
        row[cp] = format!("{}{:03}", &c[..2], i % 1000);
        row[commune] = c;
        row[dept] = d;
        row[adresse] = format!(
            "{} rue de la République, bâtiment {}, entrée par la cour de l'ancienne mairie",
            i % 300,
            i % 7
        );
        out.extend_from_slice(row.join(";").as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    let file = national_file();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("fr-en-annuaire-education.csv");
    std::fs::File::create(&path)
        .and_then(|mut f| f.write_all(&file))
        .expect("write the national file");
    println!(
        "national file: {} rows, {:.1} MB",
        ROWS,
        file.len() as f64 / 1e6
    );

    let mut ours = Vec::new();
    let mut report = None;
    for run in 0..RUNS {
        let store_dir = dir.path().join(format!("store-{run}"));
        let mut store = Store::open_in(&store_dir).expect("store");
        let start = Instant::now();
        // What the app does: read the file's bytes, then import.
        let bytes = std::fs::read(&path).expect("read");
        report = Some(
            store
                .schools_import(&bytes)
                .expect("the national file imports"),
        );
        ours.push(start.elapsed());
    }
    let report = report.expect("ran");

    let python = "import csv, sys\n\
        with open(sys.argv[1], encoding='utf-8-sig', newline='') as f:\n\
        \x20   n = sum(1 for _ in csv.reader(f, delimiter=';'))\n\
        print(n)\n";
    let mut theirs = Vec::new();
    for _ in 0..RUNS {
        let start = Instant::now();
        let out = Command::new("python3")
            .args(["-c", python])
            .arg(&path)
            .output()
            .expect("python3 runs");
        theirs.push(start.elapsed());
        assert!(out.status.success(), "python3 failed");
        let rows: usize = String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("row count");
        assert_eq!(rows, ROWS + 1);
    }
    // Python's start-up alone, to show it is not what makes the difference.
    let start = Instant::now();
    Command::new("python3")
        .args(["-c", "import csv"])
        .output()
        .expect("python3 runs");
    let startup = start.elapsed();

    let (ours, theirs) = (median(ours), median(theirs));
    println!(
        "Préau schools_import (read + decode + parse + keep the Somme's {} écoles + write): median {:.0} ms",
        report.added,
        ours.as_secs_f64() * 1e3
    );
    println!(
        "Python csv.reader reading the same file: median {:.0} ms (of which start-up {:.0} ms)",
        theirs.as_secs_f64() * 1e3,
        startup.as_secs_f64() * 1e3
    );
    println!(
        "ratio Préau / Python: {:.2} (goal: ≤ 1)",
        ours.as_secs_f64() / theirs.as_secs_f64()
    );
}
