use preau_core::model::{SchoolInput, SchoolKind, SchoolSource, SchoolStatus, VisitPatch};
use preau_core::{Error, Store};

use crate::{fixture, new_store, read_fixture};

/// What a store holds of its schools, for comparing imports.
fn schools(store: &Store) -> Vec<(String, String, SchoolKind, bool, String, SchoolStatus)> {
    let mut all = Vec::new();
    for insee in ["80620", "80240", "80002", "80021", "80001", "80136"] {
        for s in store.schools_of(insee).expect("schools") {
            all.push((
                s.uai.unwrap_or_default(),
                s.name,
                s.kind,
                s.public,
                s.commune_insee,
                s.status,
            ));
        }
    }
    all.sort_by(|a, b| a.0.cmp(&b.0));
    all
}

/// The rows of a fixture, re-read with the csv crate, to write them out in other forms.
fn records(name: &str) -> Vec<Vec<String>> {
    let bytes = std::fs::read(fixture(name)).expect("fixture");
    let text = std::str::from_utf8(&bytes).expect("utf-8");
    let text = text
        .strip_prefix('\u{feff}')
        .expect("the real export has a BOM");
    csv::ReaderBuilder::new()
        .delimiter(b';')
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.expect("record").iter().map(str::to_string).collect())
        .collect()
}

fn write(rows: &[Vec<String>], delimiter: u8, terminator: csv::Terminator) -> String {
    let mut w = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .terminator(terminator)
        .from_writer(Vec::new());
    for r in rows {
        w.write_record(r).expect("write");
    }
    String::from_utf8(w.into_inner().expect("flush")).expect("utf-8")
}

#[test]
fn the_2026_export_imports_without_a_question() {
    let (_dir, mut store) = new_store();
    let report = store
        .schools_import(std::fs::read(fixture("annuaire-education-2026-somme.csv")).expect("read"))
        .expect("the 2026 export imports");
    // 10 écoles of the Somme (one of them on two lines); a collège, a lycée, an école of
    // the Oise and one of the Aisne are left out.
    assert_eq!(
        (report.added, report.updated, report.skipped, report.merged),
        (10, 0, 4, 1)
    );
    let peronne = store.schools_of("80620").expect("schools");
    let closing = peronne
        .iter()
        .find(|s| s.uai.as_deref() == Some("0800911M"))
        .expect("the closing school is there");
    assert_eq!(closing.status, SchoolStatus::Closing);
    assert!(peronne
        .iter()
        .filter(|s| s.uai.as_deref() != Some("0800911M"))
        .all(|s| s.status == SchoolStatus::Open));
    assert!(
        peronne.iter().all(|s| s.pupils.is_none()),
        "no count in 2026"
    );
    let doingt = store.schools_of("80240").expect("schools");
    assert!(
        doingt
            .iter()
            .any(|s| s.name == "École \"Les Hirondelles\"; site des Prés"),
        "quoted name with a separator and quotes: {doingt:?}"
    );
    let bray = store.schools_of("80136").expect("schools");
    assert_eq!(bray.len(), 1, "a multi-site école is one school");
}

#[test]
fn a_new_directory_without_pupils_keeps_the_counts_known() {
    let (_dir, mut store) = new_store();
    store
        .schools_import(read_fixture("annuaire-education-2024-somme.csv"))
        .expect("2024");
    let doingt = store.schools_of("80240").expect("schools").remove(0);
    store
        .school_save(&SchoolInput {
            id: Some(doingt.id.clone()),
            uai: doingt.uai.clone(),
            name: doingt.name.clone(),
            kind: doingt.kind,
            public: doingt.public,
            commune_insee: doingt.commune_insee.clone(),
            classes: Some(4),
            pupils: Some(91),
        })
        .expect("the adviser types the pupils");
    let report = store
        .schools_import(std::fs::read(fixture("annuaire-education-2026-somme.csv")).expect("read"))
        .expect("2026");
    assert_eq!((report.added, report.updated), (3, 7));
    let again = store.school(&doingt.id).expect("same school");
    assert_eq!((again.classes, again.pupils), (Some(4), Some(91)));
    let pasteur = store
        .schools_of("80620")
        .expect("schools")
        .into_iter()
        .find(|s| s.uai.as_deref() == Some("0800901B"))
        .expect("Pasteur");
    assert_eq!(pasteur.pupils, Some(214), "the 2024 count is kept");
}

#[test]
fn every_real_form_of_the_export_gives_the_same_schools() {
    let reference = {
        let (_dir, mut store) = new_store();
        store
            .schools_import(read_fixture("annuaire-education-2024-somme.csv"))
            .expect("2024");
        schools(&store)
    };
    assert_eq!(reference.len(), 7);
    let rows = records("annuaire-education-2024-somme.csv");
    let api_names: Vec<Vec<String>> =
        std::iter::once(rows[0].iter().map(|h| h.to_lowercase()).collect())
            .chain(rows[1..].iter().cloned())
            .collect();
    let reordered: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().rev().cloned().collect())
        .collect();
    let excel_1252 = |text: &str| {
        let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(text);
        assert!(!unmappable);
        bytes.into_owned()
    };
    let forms: Vec<(&str, Vec<u8>)> = vec![
        (
            "2023 (Code postal, coordonnee_X)",
            std::fs::read(fixture("annuaire-education-2023-somme.csv")).expect("2023"),
        ),
        (
            "séparateur virgule",
            write(&rows, b',', csv::Terminator::CRLF).into_bytes(),
        ),
        (
            "noms de champs de l'API",
            write(&api_names, b';', csv::Terminator::CRLF).into_bytes(),
        ),
        (
            "colonnes dans un autre ordre, LF",
            write(&reordered, b';', csv::Terminator::Any(b'\n')).into_bytes(),
        ),
        (
            "réenregistré par Excel (Windows-1252, point-virgule)",
            excel_1252(&write(&rows, b';', csv::Terminator::CRLF)),
        ),
        (
            "tabulations",
            write(&rows, b'\t', csv::Terminator::CRLF).into_bytes(),
        ),
    ];
    for (form, bytes) in forms {
        let (_dir, mut store) = new_store();
        let report = store
            .schools_import(&bytes)
            .unwrap_or_else(|e| panic!("{form}: {e:?}"));
        assert_eq!((report.added, report.skipped), (7, 2), "{form}");
        assert_eq!(schools(&store), reference, "{form}");
    }
}

#[test]
fn errors_name_their_real_line_with_crlf_and_quoted_line_breaks() {
    let mut rows = records("annuaire-education-2026-somme.csv");
    // A line break inside a quoted address (lines 2 and 3 of the file), then a bad UAI.
    let address = rows[0]
        .iter()
        .position(|h| h == "Adresse_1")
        .expect("Adresse_1");
    rows[1][address] = "Rue Jean Jaurès\r\nBâtiment B".into();
    rows[2][0] = "0800901".into();
    let text = format!("\u{feff}{}", write(&rows, b';', csv::Terminator::CRLF));
    let (_dir, mut store) = new_store();
    let Error::ImportRejected(errors) = store.schools_import(&text).expect_err("refused") else {
        panic!("ImportRejected expected");
    };
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].line, 4, "{errors:?}");
    let real_line = text
        .split("\r\n")
        .position(|l| l.starts_with("0800901;"))
        .expect("the line")
        + 1;
    assert_eq!(real_line, 4);
}

#[test]
fn a_closing_school_is_not_offered_for_a_visit_but_stays_in_the_ones_it_is_in() {
    let (_dir, mut store) = new_store();
    store
        .schools_import(read_fixture("annuaire-education-2024-somme.csv"))
        .expect("2024");
    let visit = store
        .visit_create("80620", "2026-12-03T18:00")
        .expect("visit");
    let jaures = store
        .schools_of("80620")
        .expect("schools")
        .into_iter()
        .find(|s| s.uai.as_deref() == Some("0800900A"))
        .expect("Jaurès");
    store
        .visit_update(
            &visit.id,
            &VisitPatch {
                school_ids: Some(vec![jaures.id.clone()]),
                ..Default::default()
            },
        )
        .expect("ticked while open");
    // The next directory says Jaurès closes; the 2026 fixture has another closing school.
    let mut rows = records("annuaire-education-2026-somme.csv");
    let etat = rows[0].iter().position(|h| h == "etat").expect("etat");
    let jaures_row = rows.iter().position(|r| r[0] == "0800900A").expect("row");
    rows[jaures_row][etat] = "A FERMER".into();
    store
        .schools_import(write(&rows, b';', csv::Terminator::CRLF))
        .expect("2026");
    assert_eq!(
        store.school(&jaures.id).expect("school").status,
        SchoolStatus::Closing
    );
    // Still in the visit, which saves as before.
    let kept = store
        .visit_update(
            &visit.id,
            &VisitPatch {
                notes: Some("Le maire confirme la fermeture en juin.".into()),
                school_ids: Some(vec![jaures.id.clone()]),
                ..Default::default()
            },
        )
        .expect("a school already in the visit stays");
    assert_eq!(kept.school_ids, vec![jaures.id.clone()]);
    // Not offered to a new visit.
    let other = store
        .visit_create("80620", "2026-12-10T18:00")
        .expect("visit");
    let err = store
        .visit_update(
            &other.id,
            &VisitPatch {
                school_ids: Some(vec![jaures.id.clone()]),
                ..Default::default()
            },
        )
        .expect_err("a closing school is refused");
    assert_eq!(err.field(), Some("school_ids"));
    assert!(
        err.user_message().contains("à fermer"),
        "{}",
        err.user_message()
    );
    assert!(store.visit(&other.id).expect("visit").school_ids.is_empty());
}

#[test]
fn imports_the_departement_schools_only() {
    let (_dir, mut store) = new_store();
    let report = store
        .schools_import(read_fixture("annuaire-education-2024-somme.csv"))
        .expect("good file imports");
    // 7 schools in the Somme; a collège and a school of the Oise are skipped.
    assert_eq!((report.added, report.updated, report.skipped), (7, 0, 2));
    let peronne = store.schools_of("80620").expect("schools");
    let summary: Vec<(&str, SchoolKind, bool, Option<u32>)> = peronne
        .iter()
        .map(|s| (s.name.as_str(), s.kind, s.public, s.pupils))
        .collect();
    assert_eq!(
        summary,
        [
            (
                "École élémentaire Louis Pasteur",
                SchoolKind::Elementaire,
                true,
                Some(214)
            ),
            (
                "École maternelle Jean Jaurès",
                SchoolKind::Maternelle,
                true,
                Some(112)
            ),
            (
                "École privée Sainte-Colette",
                SchoolKind::Primaire,
                false,
                Some(98)
            ),
        ]
    );
    assert!(peronne.iter().all(|s| s.source == SchoolSource::Directory));
    let abbeville = store.schools_of("80001").expect("schools");
    assert_eq!(
        abbeville[0].kind,
        SchoolKind::Maternelle,
        "kind guessed from the name"
    );
    assert_eq!(abbeville[0].pupils, None);
}

#[test]
fn reimporting_updates_without_duplicates_and_keeps_the_advisers_classes() {
    let (_dir, mut store) = new_store();
    let csv = read_fixture("annuaire-education-2024-somme.csv");
    store.schools_import(&csv).expect("first import");
    let mut school = store
        .schools_of("80240")
        .expect("schools")
        .pop()
        .expect("Doingt's school");
    let edited = store
        .school_save(&SchoolInput {
            id: Some(school.id.clone()),
            uai: school.uai.clone(),
            name: school.name.clone(),
            kind: school.kind,
            public: school.public,
            commune_insee: school.commune_insee.clone(),
            classes: Some(4),
            pupils: school.pupils,
        })
        .expect("adviser adds the number of classes");
    assert_eq!(edited.classes, Some(4));
    let report = store.schools_import(&csv).expect("second import");
    assert_eq!((report.added, report.updated), (0, 7));
    school = store.school(&school.id).expect("same school");
    assert_eq!(school.classes, Some(4));
    assert_eq!(store.schools_of("80240").expect("schools").len(), 1);
}

#[test]
fn a_file_with_bad_rows_is_refused_whole_with_line_numbers() {
    let (_dir, mut store) = new_store();
    let err = store
        .schools_import(read_fixture("annuaire-education-erreurs.csv"))
        .expect_err("bad rows refuse the file");
    let Error::ImportRejected(rows) = err else {
        panic!("expected ImportRejected, got {err:?}");
    };
    let got: Vec<(u64, bool)> = rows
        .iter()
        .map(|r| (r.line, !r.reason.is_empty()))
        .collect();
    assert_eq!(
        got,
        [(3, true), (4, true), (6, true), (7, true)],
        "{rows:?}"
    );
    assert!(rows[0].reason.contains("UAI invalide"));
    assert!(rows[1].reason.contains("nombre d'élèves"));
    assert!(rows[2].reason.contains("nom"));
    assert!(rows[3].reason.contains("en double (déjà ligne 2"));
    for insee in ["80620", "80240"] {
        assert!(
            store.schools_of(insee).expect("schools").is_empty(),
            "nothing half-imported"
        );
    }
}

#[test]
fn files_that_are_not_the_directory_format_are_refused() {
    let (_dir, mut store) = new_store();
    for text in [
        "",
        "nom,commune\nÉcole,80620\n",
        "\u{feff}a;b;c\n1;2;3\n",
        "\u{feff}Identifiant_de_l_etablissement;Nom_etablissement;Code_commune\r\n",
    ] {
        let err = store.schools_import(text).expect_err("refused");
        let Error::ImportRejected(rows) = err else {
            panic!("expected ImportRejected");
        };
        assert_eq!(rows[0].line, 1, "{text:?}");
        assert!(rows[0].reason.contains("colonnes manquantes"), "{rows:?}");
    }
}

#[test]
fn the_adviser_adds_and_edits_a_school_with_checks() {
    let (_dir, mut store) = new_store();
    let input = SchoolInput {
        id: None,
        uai: None,
        name: "  École communale  ".into(),
        kind: SchoolKind::Primaire,
        public: true,
        commune_insee: "80002".into(),
        classes: Some(2),
        pupils: Some(38),
    };
    let school = store.school_save(&input).expect("added");
    assert_eq!(school.name, "École communale");
    assert_eq!(school.source, SchoolSource::Adviser);

    let bad: Vec<(SchoolInput, &str)> = vec![
        (
            SchoolInput {
                name: " ".into(),
                ..input.clone()
            },
            "name",
        ),
        (
            SchoolInput {
                uai: Some("12".into()),
                ..input.clone()
            },
            "uai",
        ),
        (
            SchoolInput {
                classes: Some(500),
                ..input.clone()
            },
            "classes",
        ),
        (
            SchoolInput {
                pupils: Some(100_000),
                ..input.clone()
            },
            "pupils",
        ),
        (
            SchoolInput {
                commune_insee: "99999".into(),
                ..input.clone()
            },
            "commune_insee",
        ),
    ];
    for (input, field) in bad {
        let err = store.school_save(&input).expect_err("refused");
        assert_eq!(err.field(), Some(field), "{err:?}");
        assert!(!err.user_message().is_empty());
    }
    assert_eq!(
        store.schools_of("80002").expect("schools").len(),
        1,
        "nothing invalid stored"
    );

    store
        .school_save(&SchoolInput {
            uai: Some("0800999z".into()),
            ..input.clone()
        })
        .expect("second");
    let dup = store
        .school_save(&SchoolInput {
            uai: Some("0800999Z".into()),
            ..input.clone()
        })
        .expect_err("duplicate UAI refused");
    assert_eq!(dup.field(), Some("uai"));
}
