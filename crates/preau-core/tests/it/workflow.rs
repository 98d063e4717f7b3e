//! The visit workflow through the store: project, situation, lines, plans, export/import.

use preau_core::model::{Participant, Role, VisitPatch};
use preau_core::workflow::{
    ClassSituation, Display, IenStatus, Internet, LineInput, Objective, Pedagogy, SchoolSituation,
    VisitExport, Wifi,
};
use preau_core::{make_id, Store};

use crate::{fixture, new_store, read_fixture};

pub const FIXTURE: &str = "visit-peronne-2-ecoles.json";

/// Builds the example visit of `tests/fixtures/visit-peronne-2-ecoles.json` through the
/// same calls as the app.
fn build_example(store: &mut Store) -> String {
    store
        .schools_import(read_fixture("annuaire-education-2024-somme.csv"))
        .expect("schools");
    let schools = store.schools_of("80620").expect("schools");
    let (elem, mat) = (&schools[0], &schools[1]);
    let visit = store
        .visit_create("80620", "2026-12-03T18:00")
        .expect("visit");
    let id = visit.id.clone();
    store
        .visit_update(
            &id,
            &VisitPatch {
                notes: Some("Le conseil municipal délibère en janvier.".into()),
                school_ids: Some(vec![elem.id.clone(), mat.id.clone()]),
                ..Default::default()
            },
        )
        .expect("schools concerned");
    for (name, role) in [
        ("Marie Dupont", Role::Maire),
        ("Paul Martin", Role::Directeur),
        ("Anne Leroy", Role::Ien),
    ] {
        store
            .participant_save(
                &id,
                &Participant {
                    id: make_id(),
                    name: name.into(),
                    role,
                    phone: None,
                    email: None,
                },
            )
            .expect("participant");
    }
    let lecture = Objective {
        id: make_id(),
        label: "Renforcer la lecture et l'écriture".into(),
    };
    let oral = Objective {
        id: make_id(),
        label: "Développer l'oral (s'enregistrer, s'écouter)".into(),
    };
    store
        .pedagogy_save(
            &id,
            &Pedagogy {
                school_id: elem.id.clone(),
                objectives: vec![lecture.clone(), oral.clone()],
                cycles: vec![2, 3],
                uses: vec!["produire".into(), "differencier".into()],
                crcn: vec!["creation".into(), "communication".into()],
                training_needs: "Prise en main de l'ENI et de l'ENT (3 h, Canopé).".into(),
                ien_status: IenStatus::Soumis,
                ien_date: chrono::NaiveDate::from_ymd_opt(2026, 11, 20),
                ien_comment: String::new(),
            },
        )
        .expect("project elem");
    let langage = Objective {
        id: make_id(),
        label: "Développer le langage oral en maternelle".into(),
    };
    store
        .pedagogy_save(
            &id,
            &Pedagogy {
                school_id: mat.id.clone(),
                objectives: vec![langage.clone()],
                cycles: vec![1],
                uses: vec!["produire".into()],
                crcn: vec!["creation".into()],
                training_needs: String::new(),
                ien_status: IenStatus::ASoumettre,
                ien_date: None,
                ien_comment: String::new(),
            },
        )
        .expect("project mat");
    let mut classes = Vec::new();
    for (name, pupils) in [("CP-CE1", 22), ("CE2-CM1", 24), ("CM2", 21)] {
        classes.push(
            store
                .class_save(
                    &id,
                    &ClassSituation {
                        id: make_id(),
                        school_id: elem.id.clone(),
                        name: name.into(),
                        pupils: Some(pupils),
                        display: if name == "CM2" {
                            Display::Vpi
                        } else {
                            Display::Aucun
                        },
                        teacher_computer: name == "CM2",
                    },
                )
                .expect("class"),
        );
    }
    store
        .school_situation_save(
            &id,
            &SchoolSituation {
                school_id: elem.id.clone(),
                mobile_devices: 0,
                mobile_charging: false,
                wifi: Wifi::Partiel,
                wifi_switchable: false,
                internet: Internet::Vdsl,
                ent: None,
            },
        )
        .expect("situation");
    let a = store.scenario_add(&id, "Socle complet").expect("A");
    let b = store.scenario_add(&id, "Écrans seulement").expect("B");
    let line = |scenario: &str,
                school: &str,
                class: Option<&str>,
                reference: &str,
                qty: &str,
                objectives: Vec<&Objective>| LineInput {
        id: make_id(),
        scenario_id: scenario.to_string(),
        school_id: school.to_string(),
        class_id: class.map(str::to_string),
        reference: reference.into(),
        quantity: qty.into(),
        objective_ids: objectives.into_iter().map(|o| o.id.clone()).collect(),
    };
    let lines = [
        line(
            &a.id,
            &elem.id,
            Some(&classes[0].id),
            "ENI65",
            "1",
            vec![&lecture],
        ),
        line(
            &a.id,
            &elem.id,
            Some(&classes[1].id),
            "ENI65",
            "1",
            vec![&lecture, &oral],
        ),
        line(&a.id, &elem.id, None, "TABL", "16", vec![&oral]),
        line(&a.id, &elem.id, None, "CHAR16", "1", vec![&oral]),
        line(&a.id, &mat.id, None, "BEEPACK", "1", vec![&langage]),
        line(&a.id, &elem.id, None, "ENT", "67", vec![&lecture]),
        line(
            &b.id,
            &elem.id,
            Some(&classes[0].id),
            "ENI65",
            "1",
            vec![&lecture],
        ),
        line(
            &b.id,
            &elem.id,
            Some(&classes[1].id),
            "ENI65",
            "1",
            vec![&lecture],
        ),
    ];
    for l in &lines {
        store.line_save(&id, l).expect("line");
    }
    id
}

fn pretty(doc: &VisitExport) -> String {
    serde_json::to_string_pretty(doc).expect("json") + "\n"
}

#[test]
fn the_example_visit_matches_its_fixture_and_round_trips() {
    let (_dir, mut store) = new_store();
    let id = build_example(&mut store);
    let built = store.visit_export(&id).expect("export");
    if std::env::var_os("PREAU_WRITE_FIXTURES").is_some() {
        std::fs::write(fixture(FIXTURE), pretty(&built)).expect("write fixture");
    }
    // The fixture documents the schema: importing it and exporting again gives it back.
    let text = read_fixture(FIXTURE);
    let doc = VisitExport::parse(&text).expect("fixture parses");
    let (_dir2, mut other) = new_store();
    let imported = other.visit_import(&doc).expect("import");
    assert_eq!(
        pretty(&other.visit_export(&imported).expect("re-export")),
        text
    );
    // Importing twice changes nothing and duplicates nothing.
    other.visit_import(&doc).expect("import again");
    assert_eq!(
        pretty(&other.visit_export(&imported).expect("re-export")),
        text
    );
    assert_eq!(other.visits_list().expect("list").len(), 1);
    // The built visit has the fixture's shape (ids differ, the money does not).
    let plans_built = store.plans(&id).expect("plans");
    let plans_fixture = other.plans(&imported).expect("plans");
    let totals = |p: &[(
        preau_core::workflow::Scenario,
        preau_core::plan::FundingPlan,
    )]|
     -> Vec<(String, i64, i64, i64)> {
        p.iter()
            .map(|(s, plan)| {
                (
                    s.label.clone(),
                    plan.total_ht_cents,
                    plan.total_aid_cents,
                    plan.remaining_ttc_cents,
                )
            })
            .collect()
    };
    assert_eq!(totals(&plans_built), totals(&plans_fixture));
}

#[test]
fn the_example_plan_is_exact() {
    let (_dir, mut store) = new_store();
    let id = build_example(&mut store);
    let plans = store.plans(&id).expect("plans");
    let (a, plan) = &plans[0];
    assert_eq!(a.label, "A");
    // ENI65 2 × 2 200 + TABL 16 × 350 + CHAR16 1 × 1 050 + BEEPACK 1 × 675 + ENT 67 × 3
    let ht = 2 * 220_000 + 16 * 35_000 + 105_000 + 67_500 + 67 * 300;
    assert_eq!(plan.total_ht_cents, ht);
    assert_eq!(plan.total_vat_cents, ht / 5);
    // Péronne has 7 090 inhabitants: no DETR; the socle equipment strand applies.
    assert!(plan.not_applicable.iter().any(|n| n.programme_id == "DETR"));
    assert!(plan
        .aids
        .iter()
        .all(|a| a.status == preau_core::plan::RuleStatus::ToCheck));
    assert!(plan.total_aid_cents * 10 <= plan.total_ht_cents * 8);
    assert_eq!(plan.remaining_ht_cents, ht - plan.total_aid_cents);
}

#[test]
fn lines_must_serve_an_objective_and_bad_quantities_are_refused() {
    let (_dir, mut store) = new_store();
    let id = build_example(&mut store);
    let w = store.workflow(&id).expect("workflow");
    let a = &w.scenarios[0];
    assert_eq!(a.unjustified_lines, 0);
    let school = &w.schools[0];
    let mut input = LineInput {
        id: make_id(),
        scenario_id: a.scenario.id.clone(),
        school_id: school.id.clone(),
        class_id: None,
        reference: "VISU".into(),
        quantity: "2".into(),
        objective_ids: vec![],
    };
    let view = store
        .line_save(&id, &input)
        .expect("an unjustified line is kept, flagged");
    assert!(!view.justified);
    assert_eq!(
        store.workflow(&id).expect("w").scenarios[0].unjustified_lines,
        1
    );
    let lines_before = store.lines_of(&a.scenario.id).expect("lines");
    let cases: &[(&str, &str, &str)] = &[
        ("0", "VISU", "quantity"),
        ("-3", "VISU", "quantity"),
        ("deux", "VISU", "quantity"),
        ("99999", "VISU", "quantity"),
        ("2", "NEXISTEPAS", "reference"),
    ];
    for (qty, reference, field) in cases {
        input.id = make_id();
        input.quantity = (*qty).into();
        input.reference = (*reference).into();
        let err = store.line_save(&id, &input).expect_err("refused");
        assert_eq!(err.field(), Some(*field), "{qty} {reference}");
    }
    assert_eq!(
        store.lines_of(&a.scenario.id).expect("lines"),
        lines_before,
        "nothing stored"
    );
}

#[test]
fn a_malformed_or_newer_file_is_refused() {
    let (_dir, mut store) = new_store();
    let good = read_fixture(FIXTURE);
    let newer = good.replacen("\"version\": 1", "\"version\": 2", 1);
    let foreign = good.replacen("preau-visit", "autre-chose", 1);
    let mut broken_line = VisitExport::parse(&good).expect("parses");
    broken_line.scenarios[0].lines[0].reference = "NEXISTEPAS".into();
    broken_line.scenarios[0].lines[0].quantity = 0;
    let broken_line = serde_json::to_string(&broken_line).expect("json");
    let cases = [
        ("{", "JSON valide"),
        ("[]", "format"),
        (newer.as_str(), "version plus récente"),
        (foreign.as_str(), "format"),
        ("{\"format\":\"preau-visit\",\"version\":1}", "invalide"),
    ];
    for (text, want) in cases {
        let err = VisitExport::parse(text).expect_err("refused");
        assert!(err.user_message().contains(want), "{}", err.user_message());
    }
    let doc = VisitExport::parse(&broken_line).expect("well-formed");
    assert!(store.visit_import(&doc).is_err());
    assert!(
        store.visits_list().expect("list").is_empty(),
        "nothing half-imported"
    );
    assert!(
        store.schools_of("80620").expect("schools").is_empty(),
        "schools rolled back too"
    );
}

#[test]
fn socle_suggestions_follow_the_facts() {
    let (_dir, mut store) = new_store();
    let id = build_example(&mut store);
    let w = store.workflow(&id).expect("workflow");
    let b = &w.scenarios[1].scenario;
    let suggestions = store.socle_suggestions(&id, &b.id).expect("suggestions");
    let refs: Vec<(&str, u32)> = suggestions
        .iter()
        .map(|s| (s.reference.as_str(), s.quantity))
        .collect();
    // Scenario B has the two ENI already; the CM2 has a VPI and a teacher computer.
    assert_eq!(
        refs,
        [
            ("PCENS", 1),
            ("PCENS", 1),
            ("TABL", 16),
            ("CHAR16", 1),
            ("COQUE", 16),
            ("MDM", 16),
            ("WIFI", 3),
            ("ENT", 214)
        ]
    );
    assert!(suggestions.iter().all(|s| !s.reason.is_empty()));
}

#[test]
fn a_visit_from_a_laptop_that_imported_the_same_directory_maps_schools_by_uai() {
    let (_dir, mut store) = new_store();
    store
        .schools_import(read_fixture("annuaire-education-2024-somme.csv"))
        .expect("schools");
    let doc = VisitExport::parse(&read_fixture(FIXTURE)).expect("fixture");
    let id = store
        .visit_import(&doc)
        .expect("import maps schools by UAI");
    assert_eq!(
        store.schools_of("80620").expect("schools").len(),
        3,
        "no duplicate school"
    );
    let w = store.workflow(&id).expect("workflow");
    assert_eq!(w.schools.len(), 2);
    assert_eq!(w.scenarios[0].lines.len(), 6);
    assert_eq!(w.scenarios[0].unjustified_lines, 0, "objectives still tied");
}

/// Another laptop may untick a school while this one adds its first line (neither sees the
/// other's edit): after the sync the line is there and its school is not ticked. The line
/// stays editable (found by `store_model::laptops_and_server_converge`); no other line may
/// be moved to, or made for, that school until it is ticked again.
#[test]
fn a_line_whose_school_was_unticked_elsewhere_stays_editable() {
    let (dir, mut store) = new_store();
    let id = build_example(&mut store);
    let w = store.workflow(&id).expect("workflow");
    let scenario = w.scenarios[0].scenario.id.clone();
    let lines = store.lines_of(&scenario).expect("lines");
    let gone = lines[0].school_id.clone();
    let other = lines
        .iter()
        .find(|l| l.school_id != gone)
        .expect("a line of the other school")
        .clone();
    // What a pulled untick leaves: the school's row in visit_schools deleted, its lines kept.
    rusqlite::Connection::open(dir.path().join(preau_core::DB_FILE))
        .expect("open")
        .execute(
            "DELETE FROM visit_schools WHERE visit_id = ?1 AND school_id = ?2",
            [&id, &gone],
        )
        .expect("untick");
    assert!(!store.visit(&id).expect("visit").school_ids.contains(&gone));

    let input = |l: &preau_core::workflow::EquipmentLine, school: &str, quantity: &str| LineInput {
        id: l.id.clone(),
        scenario_id: scenario.clone(),
        school_id: school.to_string(),
        class_id: None,
        reference: l.reference.clone(),
        quantity: quantity.into(),
        objective_ids: vec![],
    };
    let edited = store
        .line_save(&id, &input(&lines[0], &gone, "7"))
        .expect("the line of the unticked school is edited");
    assert_eq!(edited.line.quantity, 7);

    let before = store.lines_of(&scenario).expect("lines");
    let moved = store
        .line_save(&id, &input(&other, &gone, "1"))
        .expect_err("a line is not moved to an unticked school");
    assert_eq!(moved.field(), Some("school_id"));
    let mut new_line = input(&lines[0], &gone, "1");
    new_line.id = make_id();
    let made = store
        .line_save(&id, &new_line)
        .expect_err("no new line for an unticked school");
    assert_eq!(made.field(), Some("school_id"));
    assert_eq!(
        store.lines_of(&scenario).expect("lines"),
        before,
        "nothing stored"
    );

    // The proposal's tables are made school by school from the ticked ones: with such a
    // line it is neither shown nor issued, and says which school to tick again.
    let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 7).expect("date");
    let draft = store.proposal_draft(&id, today).expect("draft");
    let refused = store
        .proposal_snapshot(&draft.id, today)
        .expect_err("no snapshot with a line of an unticked school");
    assert_eq!(refused.field(), Some("school_ids"));
    assert!(
        refused.user_message().contains("cochez-la à nouveau"),
        "{}",
        refused.user_message()
    );
    let issued = store.proposal_issue(&draft.id, today, |_| Ok(b"%PDF".to_vec()));
    assert_eq!(issued.expect_err("not issued").field(), Some("school_ids"));
    let mut ticked = store.visit(&id).expect("visit").school_ids;
    ticked.push(gone.clone());
    store
        .visit_update(
            &id,
            &VisitPatch {
                school_ids: Some(ticked),
                ..Default::default()
            },
        )
        .expect("ticked again");
    let snapshot = store.proposal_snapshot(&draft.id, today).expect("snapshot");
    for s in &snapshot.scenarios {
        let shown: usize = s.schools.iter().map(|school| school.lines.len()).sum();
        assert_eq!(
            shown,
            store.lines_of(&s.id).expect("lines").len(),
            "every line in a table"
        );
    }
}

#[test]
fn a_school_with_equipment_lines_cannot_be_unticked() {
    let (_dir, mut store) = new_store();
    let id = build_example(&mut store);
    let before = store.visit(&id).expect("visit");
    let err = store
        .visit_update(
            &id,
            &VisitPatch {
                school_ids: Some(vec![]),
                ..Default::default()
            },
        )
        .expect_err("refused");
    assert_eq!(err.field(), Some("school_ids"));
    assert!(
        err.user_message().contains("ligne(s) d’équipement"),
        "{}",
        err.user_message()
    );
    assert_eq!(store.visit(&id).expect("visit"), before);
}
