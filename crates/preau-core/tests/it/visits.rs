use chrono::NaiveDate;
use preau_core::model::{Participant, Role, VisitPatch};

use crate::new_store;

fn participant(name: &str, role: Role) -> Participant {
    Participant {
        id: preau_core::make_id(),
        name: name.into(),
        role,
        phone: None,
        email: None,
    }
}

#[test]
fn a_visit_is_planned_edited_and_listed() {
    let (_dir, mut store) = new_store();
    store
        .schools_import(crate::read_fixture("annuaire-education-2024-somme.csv"))
        .expect("schools");
    let visit = store
        .visit_create("80620", "2026-12-03T18:00")
        .expect("created");
    assert_eq!(visit.commune_name, "Péronne");
    let schools: Vec<String> = store
        .schools_of("80620")
        .expect("schools")
        .into_iter()
        .map(|s| s.id)
        .take(2)
        .collect();
    let visit = store
        .visit_update(
            &visit.id,
            &VisitPatch {
                scheduled_at: Some("2026-12-04T18:30".into()),
                notes: Some("Le maire souhaite un ENI par classe.".into()),
                school_ids: Some(schools.clone()),
            },
        )
        .expect("updated");
    let mut sorted = schools.clone();
    sorted.sort();
    assert_eq!(visit.school_ids, sorted);
    let maire = store
        .participant_save(
            &visit.id,
            &Participant {
                email: Some("maire@peronne.fr".into()),
                ..participant("Marie Dupont", Role::Maire)
            },
        )
        .expect("maire");
    store
        .participant_save(&visit.id, &participant("Paul Martin", Role::Directeur))
        .expect("directeur");
    // Saving the same participant again (a retried autosave) is an update, not a duplicate.
    store
        .participant_save(
            &visit.id,
            &Participant {
                name: "Marie Dupont-Leroy".into(),
                ..maire
            },
        )
        .expect("edit");
    let visit = store.visit(&visit.id).expect("reload");
    let names: Vec<&str> = visit.participants.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["Marie Dupont-Leroy", "Paul Martin"]);
    assert_eq!(
        visit.scheduled_at,
        NaiveDate::from_ymd_opt(2026, 12, 4)
            .and_then(|d| d.and_hms_opt(18, 30, 0))
            .expect("date")
    );
    let list = store.visits_list().expect("list");
    assert_eq!(list.len(), 1);
    assert_eq!(
        (list[0].participant_count, list[0].school_names.len()),
        (2, 2)
    );

    let now = NaiveDate::from_ymd_opt(2026, 11, 29)
        .and_then(|d| d.and_hms_opt(12, 0, 0))
        .expect("now");
    let home = store.home(now).expect("home");
    assert_eq!((home.upcoming.len(), home.recent.len()), (1, 0));
    assert_eq!(home.sync.last_sync, None);
    assert!(home.sync.pending_changes >= 1);
    let later = NaiveDate::from_ymd_opt(2027, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .expect("later");
    assert_eq!(store.home(later).expect("home").recent.len(), 1);

    store
        .participant_delete(&visit.id, &visit.participants[1].id)
        .expect("delete");
    assert_eq!(
        store.visit(&visit.id).expect("reload").participants.len(),
        1
    );
}

#[test]
fn invalid_input_is_refused_at_its_field_and_nothing_is_stored() {
    let (_dir, mut store) = new_store();
    let visit = store
        .visit_create("80620", "2026-12-03T18:00")
        .expect("created");
    let p = participant("Marie Dupont", Role::Maire);
    let cases: Vec<(Participant, &str)> = vec![
        (
            Participant {
                name: "   ".into(),
                ..p.clone()
            },
            "name",
        ),
        (
            Participant {
                email: Some("marie@".into()),
                ..p.clone()
            },
            "email",
        ),
        (
            Participant {
                phone: Some("12".into()),
                ..p.clone()
            },
            "phone",
        ),
        (
            Participant {
                id: "pas-un-id".into(),
                ..p.clone()
            },
            "id",
        ),
    ];
    for (bad, field) in cases {
        let err = store
            .participant_save(&visit.id, &bad)
            .expect_err("refused");
        assert_eq!(err.field(), Some(field));
    }
    assert!(store
        .visit(&visit.id)
        .expect("visit")
        .participants
        .is_empty());

    let patches = [
        (
            VisitPatch {
                scheduled_at: Some("2026-02-30T18:00".into()),
                ..Default::default()
            },
            "scheduled_at",
        ),
        (
            VisitPatch {
                scheduled_at: Some("".into()),
                ..Default::default()
            },
            "scheduled_at",
        ),
        (
            VisitPatch {
                school_ids: Some(vec!["inconnue".into()]),
                ..Default::default()
            },
            "school_ids",
        ),
        (
            VisitPatch {
                notes: Some("x".repeat(60_000)),
                ..Default::default()
            },
            "notes",
        ),
    ];
    for (patch, field) in patches {
        let err = store.visit_update(&visit.id, &patch).expect_err("refused");
        assert_eq!(err.field(), Some(field));
    }
    assert_eq!(
        store.visit(&visit.id).expect("visit"),
        visit,
        "the visit is unchanged"
    );

    for (commune, at, field) in [
        ("99999", "2026-12-03T18:00", "commune_insee"),
        ("80620", "demain", "scheduled_at"),
    ] {
        let err = store.visit_create(commune, at).expect_err("refused");
        assert_eq!(err.field(), Some(field));
    }
    assert_eq!(store.visits_list().expect("list").len(), 1);
}
