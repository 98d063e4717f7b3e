//! Property test of the directory import: a generated directory, written in any of the
//! forms the real exports take (separator, line endings, BOM, Windows-1252, labels or API
//! field names, any column order, with or without the pupil count, multi-site lines), gives
//! exactly the département's écoles it holds; one bad row of the département refuses the
//! whole file, names the line it really starts on, and changes nothing in the store.
//!
//! Seeds of failures are kept in `proptest-regressions/directory_prop.txt`.

use std::collections::BTreeMap;

use preau_core::model::{SchoolKind, SchoolStatus};
use preau_core::{Error, Store};
use proptest::prelude::*;
use proptest::test_runner::TestRunner;

use crate::new_store;

/// Communes: three of the Somme and two elsewhere (skipped).
const COMMUNES: [&str; 5] = ["80620", "80240", "80001", "60159", "02361"];

#[derive(Debug, Clone)]
struct Row {
    uai: u32,
    name: String,
    ecole: bool,
    commune: usize,
    public: bool,
    maternelle: bool,
    elementaire: bool,
    pupils: Option<u32>,
    state: &'static str,
    /// Written twice, as a multi-site establishment.
    multi: bool,
}

#[derive(Debug, Clone)]
struct Form {
    separator: u8,
    crlf: bool,
    bom: bool,
    windows_1252: bool,
    api_names: bool,
    with_pupils: bool,
    /// A rotation of the columns.
    rotate: usize,
    /// A bad UAI on this row of the département, if any.
    corrupt: Option<usize>,
}

fn name() -> impl Strategy<Value = String> {
    // What names hold: accents, quotes, separators, apostrophes, and a line break.
    proptest::collection::vec(
        prop_oneof![
            Just("École".to_string()),
            Just(" ".to_string()),
            Just("Saint-Éloi".to_string()),
            Just("\"Les Hirondelles\"".to_string()),
            Just(";".to_string()),
            Just(",".to_string()),
            Just("l'Œuvre".to_string()),
            Just("\r\n".to_string()),
            Just("\t".to_string()),
            "[a-zà-ÿ]{1,8}",
        ],
        1..6,
    )
    .prop_map(|parts| parts.concat())
    .prop_filter("a name", |n| !n.trim().is_empty())
}

fn row() -> impl Strategy<Value = Row> {
    (
        0u32..40,
        name(),
        prop::bool::weighted(0.8),
        0..COMMUNES.len(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        prop::option::of(0u32..3_000),
        prop_oneof![Just("OUVERT"), Just("A FERMER"), Just("")],
        prop::bool::weighted(0.15),
    )
        .prop_map(
            |(uai, name, ecole, commune, public, maternelle, elementaire, pupils, state, multi)| {
                Row {
                    uai,
                    name,
                    ecole,
                    commune,
                    public,
                    maternelle,
                    elementaire,
                    pupils,
                    state,
                    multi,
                }
            },
        )
}

fn form() -> impl Strategy<Value = Form> {
    (
        prop_oneof![Just(b';'), Just(b','), Just(b'\t')],
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        0usize..8,
        prop::option::weighted(0.3, 0usize..30),
    )
        .prop_map(
            |(separator, crlf, bom, windows_1252, api_names, with_pupils, rotate, corrupt)| Form {
                separator,
                crlf,
                bom,
                windows_1252,
                api_names,
                with_pupils,
                rotate,
                corrupt,
            },
        )
}

const HEADERS: [&str; 11] = [
    "Identifiant_de_l_etablissement",
    "Nom_etablissement",
    "Type_etablissement",
    "Statut_public_prive",
    "Code_commune",
    "Ecole_maternelle",
    "Ecole_elementaire",
    "etat",
    "multi_uai",
    "Libelle_nature",
    "Nombre_d_eleves",
];

fn uai(n: u32, commune: usize) -> String {
    format!(
        "{}{:05}{}",
        &COMMUNES[commune][..2],
        n,
        (b'A' + (n % 26) as u8) as char
    )
}

/// The file, and the line each written row starts on.
fn write(rows: &[Row], form: &Form) -> (Vec<u8>, Vec<u64>) {
    let columns = if form.with_pupils { 11 } else { 10 };
    let mut header: Vec<String> = HEADERS[..columns]
        .iter()
        .map(|h| {
            if form.api_names {
                h.to_lowercase()
            } else {
                (*h).to_string()
            }
        })
        .collect();
    header.rotate_left(form.rotate % columns);
    let mut records = vec![header];
    let mut corrupt_left = form.corrupt;
    for r in rows {
        // A bad row among the département's single-line écoles.
        let may_corrupt = r.ecole && r.commune < 3 && !r.multi;
        let mut id = uai(r.uai, r.commune);
        if may_corrupt {
            if let Some(n) = corrupt_left.as_mut() {
                if *n == 0 {
                    id = format!("X{id}");
                    corrupt_left = None;
                } else {
                    *n -= 1;
                }
            }
        }
        let flag = |b: bool| if b { "1" } else { "0" }.to_string();
        let mut rec = vec![
            id,
            r.name.clone(),
            if r.ecole { "Ecole" } else { "Collège" }.to_string(),
            if r.public { "Public" } else { "Privé" }.to_string(),
            COMMUNES[r.commune].to_string(),
            flag(r.maternelle),
            flag(r.elementaire),
            r.state.to_string(),
            flag(r.multi),
            "ECOLE DE NIVEAU ELEMENTAIRE".to_string(),
            r.pupils.map(|n| n.to_string()).unwrap_or_default(),
        ];
        rec.truncate(columns);
        rec.rotate_left(form.rotate % columns);
        records.push(rec.clone());
        if r.multi {
            records.push(rec);
        }
    }
    let mut w = csv::WriterBuilder::new()
        .delimiter(form.separator)
        .terminator(if form.crlf {
            csv::Terminator::CRLF
        } else {
            csv::Terminator::Any(b'\n')
        })
        .from_writer(Vec::new());
    // Where each record starts: the line breaks before it, counted as an editor does.
    let mut starts = Vec::new();
    for rec in &records {
        w.flush().expect("flush");
        let text = w.get_ref();
        let breaks = text
            .iter()
            .enumerate()
            .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && text.get(i + 1) != Some(&b'\n')))
            .count();
        starts.push(breaks as u64 + 1);
        w.write_record(rec).expect("write");
    }
    let text = String::from_utf8(w.into_inner().expect("flush")).expect("utf-8");
    let mut bytes = Vec::new();
    if form.windows_1252 {
        // Excel's files carry no BOM; names with no Windows-1252 form stay UTF-8.
        let (encoded, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&text);
        if !unmappable {
            return (encoded.into_owned(), starts);
        }
    }
    if form.bom {
        bytes.extend_from_slice("\u{feff}".as_bytes());
    }
    bytes.extend_from_slice(text.as_bytes());
    (bytes, starts)
}

type Expected = BTreeMap<String, (String, SchoolKind, bool, String, Option<u32>, SchoolStatus)>;

/// What the import must give: each UAI of the département's écoles once.
fn expected(rows: &[Row], form: &Form) -> Expected {
    let mut out = Expected::new();
    for r in rows.iter().filter(|r| r.ecole && r.commune < 3) {
        let kind = match (r.maternelle, r.elementaire) {
            (true, false) => SchoolKind::Maternelle,
            (false, true) => SchoolKind::Elementaire,
            (true, true) => SchoolKind::Primaire,
            (false, false) => {
                let n = preau_core::text::fold(&r.name);
                if n.contains("maternelle") {
                    SchoolKind::Maternelle
                } else if n.contains("elementaire") {
                    SchoolKind::Elementaire
                } else {
                    SchoolKind::Primaire
                }
            }
        };
        let status = match r.state {
            "A FERMER" => SchoolStatus::Closing,
            _ => SchoolStatus::Open,
        };
        out.entry(uai(r.uai, r.commune)).or_insert((
            r.name.trim().to_string(),
            kind,
            r.public,
            COMMUNES[r.commune].to_string(),
            if form.with_pupils { r.pupils } else { None },
            status,
        ));
    }
    out
}

fn stored(store: &Store) -> Expected {
    let mut out = Expected::new();
    for insee in &COMMUNES[..3] {
        for s in store.schools_of(insee).expect("schools") {
            out.insert(
                s.uai.clone().unwrap_or_default(),
                (
                    s.name,
                    s.kind,
                    s.public,
                    s.commune_insee,
                    s.pupils,
                    s.status,
                ),
            );
        }
    }
    out
}

fn runner() -> TestRunner {
    crate::prop_runner("directory_prop.txt", 200)
}

#[test]
fn any_real_form_of_the_directory_imports_its_schools_or_names_the_bad_line() {
    // One line per UAI, except the repeats of multi-site establishments `write` makes.
    let rows = proptest::collection::vec(row(), 0..25).prop_map(|mut rows| {
        let mut seen = std::collections::HashSet::new();
        rows.retain(|r| seen.insert(r.uai));
        rows
    });
    runner()
        .run(&(rows, form()), |(rows, form)| {
            let (_dir, mut store) = new_store();
            let (bytes, starts) = write(&rows, &form);
            let before = stored(&store);
            let written_departement: Vec<usize> = {
                // Record index (header = 0) of each row `write` may make bad.
                let mut idx = 1;
                let mut out = Vec::new();
                for r in &rows {
                    if r.ecole && r.commune < 3 && !r.multi {
                        out.push(idx);
                    }
                    idx += if r.multi { 2 } else { 1 };
                }
                out
            };
            let corrupt = form
                .corrupt
                .filter(|&n| n < written_departement.len())
                .map(|n| written_departement[n]);
            match (store.schools_import(&bytes), corrupt) {
                (Ok(_), None) => {
                    prop_assert_eq!(stored(&store), expected(&rows, &form));
                }
                (Err(Error::ImportRejected(errors)), Some(record)) => {
                    prop_assert_eq!(errors.len(), 1, "{:?}", errors);
                    prop_assert_eq!(errors[0].line, starts[record], "{:?}", errors);
                    prop_assert_eq!(stored(&store), before, "nothing written");
                }
                (other, corrupt) => {
                    prop_assert!(
                        false,
                        "import gave {:?} with a bad row at {:?}",
                        other,
                        corrupt
                    );
                }
            }
            Ok(())
        })
        .expect("property holds");
}
