use preau_core::model::{SchoolInput, SchoolKind, SchoolSource};
use preau_core::Error;

use crate::{new_store, read_fixture};

#[test]
fn imports_the_departement_schools_only() {
    let (_dir, mut store) = new_store();
    let report = store
        .schools_import(&read_fixture("annuaire-education-somme.csv"))
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
    let csv = read_fixture("annuaire-education-somme.csv");
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
        .schools_import(&read_fixture("annuaire-education-erreurs.csv"))
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
    assert!(rows[3].reason.contains("en double (déjà ligne 2)"));
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
    for text in ["", "nom,commune\nÉcole,80620\n", "\u{feff}a;b;c\n1;2;3\n"] {
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
