//! The proposal lifecycle: draft, issue (numbered, frozen), revisions, answers, expiry.
//! The renderer here returns fixed bytes: drawing PDFs is preau-pdf's job, tested there.

use chrono::NaiveDate;
use preau_core::proposals::{
    Acceptance, Civility, DocumentSettings, DraftPatch, ProposalStatus, ProposalSummary,
};
use preau_core::workflow::VisitExport;
use preau_core::{Error, Store};

use crate::{new_store, read_fixture};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

fn example(store: &mut Store) -> String {
    store
        .schools_import(read_fixture("annuaire-education-2024-somme.csv"))
        .expect("schools");
    let doc = VisitExport::parse(&read_fixture("visit-peronne-2-ecoles.json")).expect("fixture");
    store.visit_import(&doc).expect("import")
}

/// A second visit of the same commune: one school, one scenario, one line.
fn small_visit(store: &mut Store) -> String {
    let school = store.schools_of("80620").expect("schools")[0].id.clone();
    let v = store
        .visit_create("80620", "2026-12-10T18:00")
        .expect("visit")
        .id;
    store
        .visit_update(
            &v,
            &preau_core::model::VisitPatch {
                school_ids: Some(vec![school.clone()]),
                ..Default::default()
            },
        )
        .expect("school");
    let scenario = store.scenario_add(&v, "Écran").expect("scenario");
    store
        .line_save(
            &v,
            &preau_core::workflow::LineInput {
                id: preau_core::make_id(),
                scenario_id: scenario.id,
                school_id: school,
                class_id: None,
                reference: "ENI65".into(),
                quantity: "1".into(),
                objective_ids: vec![],
            },
        )
        .expect("line");
    v
}

fn fake_pdf(s: &preau_core::proposals::ProposalSnapshot) -> Result<Vec<u8>, String> {
    Ok(format!("%PDF {}", s.reference()).into_bytes())
}

#[test]
fn a_visit_has_one_draft_until_it_is_issued() {
    let (_dir, mut store) = new_store();
    let visit = example(&mut store);
    let today = day(2026, 11, 29);
    let a = store.proposal_draft(&visit, today).expect("draft");
    let b = store.proposal_draft(&visit, today).expect("same draft");
    assert_eq!(a.id, b.id);
    assert_eq!(
        (a.status, a.revision, a.number.as_deref()),
        (ProposalStatus::Brouillon, 1, None)
    );
    let snap = store.proposal_snapshot(&a.id, today).expect("snapshot");
    assert!(snap.draft);
    assert_eq!(snap.reference(), "PROJET");
    assert_eq!(snap.commune.name, "Péronne");
    assert_eq!(snap.valid_until, day(2027, 2, 27));
    assert_eq!(snap.recipient.title, "Madame la Maire, Monsieur le Maire");
    // Both scenarios of the fixture have lines: both are proposed by default.
    assert_eq!(snap.scenarios.len(), 2);
}

#[test]
fn issuing_numbers_freezes_and_refuses_a_second_issue() {
    let (_dir, mut store) = new_store();
    let visit = example(&mut store);
    let today = day(2026, 11, 29);
    let draft = store.proposal_draft(&visit, today).expect("draft");
    store
        .proposal_update_draft(
            &draft.id,
            &DraftPatch {
                civility: Some(Civility::Madame),
                validity_days: Some(60),
                ..Default::default()
            },
            today,
        )
        .expect("patch");
    let issued = store
        .proposal_issue(&draft.id, today, fake_pdf)
        .expect("issue");
    let number = issued.number.clone().expect("number");
    let device = store.device_code().expect("device");
    assert_eq!(number, format!("2026-{device}-0001"));
    assert_eq!(issued.status, ProposalStatus::Emise);
    assert_eq!(issued.valid_until, Some(day(2027, 1, 28)));
    let pdf = store.proposal_pdf(&issued.id).expect("pdf");
    assert_eq!(pdf, format!("%PDF {number} rév. 1").into_bytes());
    assert_eq!(
        issued.pdf_sha256.as_deref(),
        Some(preau_core::proposals::sha256_hex(&pdf).as_str())
    );

    // A second issue, a draft edit: refused, nothing changes.
    let again = store.proposal_issue(&draft.id, today, fake_pdf);
    assert!(matches!(again, Err(Error::Invalid { .. })), "{again:?}");
    let edit = store.proposal_update_draft(
        &draft.id,
        &DraftPatch {
            validity_days: Some(10),
            ..Default::default()
        },
        today,
    );
    assert!(matches!(edit, Err(Error::Invalid { .. })));
    assert_eq!(store.proposal_pdf(&issued.id).expect("pdf"), pdf);
    let frozen = store
        .proposal_snapshot(&issued.id, day(2027, 6, 1))
        .expect("frozen");
    assert_eq!(frozen.date, today, "the frozen snapshot keeps its own date");
    assert_eq!(frozen.recipient.title, "Madame la Maire");

    // A change of the visit after the issue does not touch the issued proposal.
    store
        .document_settings_save(&DocumentSettings {
            organisation: "Autre syndicat".into(),
            ..store.document_settings().expect("settings")
        })
        .expect("settings");
    let after = store.proposal_snapshot(&issued.id, today).expect("frozen");
    assert_eq!(after, frozen);
}

#[test]
fn the_database_itself_refuses_to_change_an_issued_proposal() {
    let (dir, mut store) = new_store();
    let visit = example(&mut store);
    let today = day(2026, 11, 29);
    let draft = store.proposal_draft(&visit, today).expect("draft");
    let issued = store
        .proposal_issue(&draft.id, today, fake_pdf)
        .expect("issue");
    drop(store);
    let conn = rusqlite::Connection::open(dir.path().join(preau_core::DB_FILE)).expect("open");
    for sql in [
        "UPDATE proposals SET pdf = x'00' WHERE id = ?1",
        "UPDATE proposals SET snapshot = '{}' WHERE id = ?1",
        "UPDATE proposals SET number = 'X' WHERE id = ?1",
        "DELETE FROM proposals WHERE id = ?1",
    ] {
        let r = conn.execute(sql, [&issued.id]);
        assert!(r.is_err(), "{sql} was allowed");
    }
    conn.execute(
        "UPDATE proposals SET status = 'acceptee', decided_on = '2026-12-01',
           accepted_scenario_id = scenario_ids ->> '$[0]', deliberated_on = '2026-12-20'
         WHERE id = ?1",
        [&issued.id],
    )
    .expect("the answer may still be recorded");
    // Once recorded, the accepted scenario and the deliberation date stay.
    for sql in [
        "UPDATE proposals SET accepted_scenario_id = scenario_ids ->> '$[1]' WHERE id = ?1",
        "UPDATE proposals SET accepted_scenario_id = NULL WHERE id = ?1",
        "UPDATE proposals SET deliberated_on = '2026-12-21' WHERE id = ?1",
        "UPDATE proposals SET deliberated_on = NULL WHERE id = ?1",
    ] {
        let r = conn.execute(sql, [&issued.id]);
        assert!(r.is_err(), "{sql} was allowed");
    }
}

#[test]
fn a_revision_keeps_the_number_and_says_what_it_replaces() {
    let (_dir, mut store) = new_store();
    let visit = example(&mut store);
    let today = day(2026, 11, 29);
    let first = store.proposal_draft(&visit, today).expect("draft");
    let first = store
        .proposal_issue(&first.id, today, fake_pdf)
        .expect("issue");
    let second = store
        .proposal_draft(&visit, day(2026, 12, 2))
        .expect("revision");
    assert_ne!(second.id, first.id);
    assert_eq!(second.revision, 2);
    assert_eq!(second.number, first.number);
    let number = first.number.clone().expect("number");
    assert_eq!(
        second.replaces.as_deref(),
        Some(format!("{number} rév. 1").as_str())
    );
    let second = store
        .proposal_issue(&second.id, day(2026, 12, 2), fake_pdf)
        .expect("issue rev 2");
    assert_eq!(second.reference(), format!("{number} rév. 2"));
    let snap = store
        .proposal_snapshot(&second.id, today)
        .expect("snapshot");
    assert_eq!(
        snap.replaces.as_deref(),
        Some(format!("{number} rév. 1").as_str())
    );
    let list = store.proposals_of(&visit, today).expect("list");
    assert_eq!(
        list.iter().map(|p| p.revision).collect::<Vec<_>>(),
        vec![2, 1]
    );
}

#[test]
fn numbers_follow_each_other_and_are_never_reused() {
    let (_dir, mut store) = new_store();
    let v1 = example(&mut store);
    let v2 = small_visit(&mut store);
    let today = day(2026, 11, 29);
    let device = store.device_code().expect("device");
    assert_eq!(device.len(), 5);
    let mut numbers = Vec::new();
    for v in [&v1, &v2] {
        let d = store.proposal_draft(v, today).expect("draft");
        // A failing render consumes nothing.
        let failed = store.proposal_issue(&d.id, today, |_| Err("disk full".into()));
        assert!(failed.is_err());
        let p = store.proposal_issue(&d.id, today, fake_pdf).expect("issue");
        numbers.push(p.number.expect("number"));
    }
    assert_eq!(
        numbers,
        vec![format!("2026-{device}-0001"), format!("2026-{device}-0002")]
    );
    // A new year starts a new sequence.
    let d = store
        .proposal_draft(&v1, day(2027, 1, 4))
        .expect("revision");
    let p = store
        .proposal_issue(&d.id, day(2027, 1, 4), fake_pdf)
        .expect("issue");
    assert_eq!(
        p.number.as_deref(),
        Some(numbers[0].as_str()),
        "a revision keeps its number"
    );
}

#[test]
fn answers_and_expiry() {
    let (_dir, mut store) = new_store();
    let visit = example(&mut store);
    let today = day(2026, 11, 29);
    let d = store.proposal_draft(&visit, today).expect("draft");
    let refused = store.proposal_accept(&d.id, &Default::default(), today);
    assert!(
        matches!(refused, Err(Error::Invalid { .. })),
        "a draft cannot be accepted"
    );
    let p = store.proposal_issue(&d.id, today, fake_pdf).expect("issue");
    let later = day(2027, 3, 1);
    assert_eq!(
        store.proposal(&p.id, later).expect("p").status,
        ProposalStatus::Expiree
    );
    let b = p.offered[1].id.clone();
    let accepted = store
        .proposal_accept(
            &p.id,
            &Acceptance {
                scenario_id: Some(b.clone()),
                deliberated_on: None,
            },
            day(2026, 12, 10),
        )
        .expect("accept");
    assert_eq!(accepted.status, ProposalStatus::Acceptee);
    assert_eq!(accepted.accepted_scenario_id, Some(b));
    assert_eq!(
        store.proposal(&p.id, later).expect("p").status,
        ProposalStatus::Acceptee,
        "an answered proposal does not expire"
    );
    assert!(store.proposal_refuse(&p.id, later).is_err());
}

/// Issue 13: « Acceptée » names one of the scenarios the proposal shows, and may carry the
/// council's deliberation date; anything else is refused at its field and writes nothing.
#[test]
fn an_acceptance_names_a_shown_scenario_and_a_plausible_deliberation() {
    let (dir, mut store) = new_store();
    let visit = example(&mut store);
    let today = day(2026, 11, 29);
    let d = store.proposal_draft(&visit, today).expect("draft");
    assert!(
        d.scenario_ids.is_empty(),
        "the draft proposes every scenario with lines"
    );
    let p = store.proposal_issue(&d.id, today, fake_pdf).expect("issue");
    let labels: Vec<&str> = p.offered.iter().map(|o| o.label.as_str()).collect();
    assert_eq!(labels, ["A", "B"]);
    let scenarios = store.scenarios_of(&visit).expect("scenarios");
    assert_eq!(
        p.scenario_ids,
        scenarios.iter().map(|s| s.id.clone()).collect::<Vec<_>>(),
        "issuing freezes the list the document shows"
    );
    assert_eq!(
        store
            .proposal_snapshot(&p.id, today)
            .expect("snapshot")
            .scenarios[1]
            .id,
        scenarios[1].id
    );
    let b = p.offered[1].id.clone();
    let answer_day = day(2026, 12, 10);
    let file = || {
        let conn = rusqlite::Connection::open(dir.path().join(preau_core::DB_FILE)).expect("open");
        let rows: Vec<String> = conn
            .prepare(
                "SELECT json_array(id, status, decided_on, accepted_scenario_id, deliberated_on)
                 FROM proposals ORDER BY id",
            )
            .expect("prepare")
            .query_map([], |r| r.get(0))
            .expect("rows")
            .collect::<rusqlite::Result<_>>()
            .expect("rows");
        let log: i64 = conn
            .query_row("SELECT count(*) FROM sync_log", [], |r| r.get(0))
            .expect("log");
        (rows, log)
    };
    let before = file();
    let cases = [
        (None, None, "accepted_scenario_id"),
        (Some(visit.clone()), None, "accepted_scenario_id"),
        (Some(b.clone()), Some(day(2026, 11, 28)), "deliberated_on"),
        (Some(b.clone()), Some(day(2027, 12, 12)), "deliberated_on"),
    ];
    for (scenario_id, deliberated_on, field) in cases {
        let refused = store.proposal_accept(
            &p.id,
            &Acceptance {
                scenario_id: scenario_id.clone(),
                deliberated_on,
            },
            answer_day,
        );
        match refused {
            Err(e @ Error::Invalid { .. }) => {
                assert_eq!(e.field(), Some(field), "{scenario_id:?} {deliberated_on:?}");
                assert_eq!(e.code(), preau_core::ErrorCode::InvalidInput);
                assert!(!e.user_message().is_empty());
            }
            other => panic!("{scenario_id:?} {deliberated_on:?}: {other:?}"),
        }
        assert_eq!(file(), before, "a refused acceptance writes nothing");
    }
    let accepted = store
        .proposal_accept(
            &p.id,
            &Acceptance {
                scenario_id: Some(b.clone()),
                deliberated_on: Some(day(2027, 1, 12)),
            },
            answer_day,
        )
        .expect("accept B");
    assert_eq!(accepted.accepted_scenario_id.as_deref(), Some(b.as_str()));
    assert_eq!(
        accepted.answer_text(),
        "Acceptée — scénario B, délibération du 12 janvier 2027"
    );
    assert_eq!(store.proposal(&p.id, answer_day).expect("read"), accepted);
    // Answered once: neither answer is taken again, and the acceptance stays as it was.
    assert!(store
        .proposal_accept(&p.id, &Acceptance::default(), answer_day)
        .is_err());
    assert!(store.proposal_refuse(&p.id, answer_day).is_err());
    assert_eq!(store.proposal(&p.id, answer_day).expect("read"), accepted);
}

/// A proposal showing one scenario is accepted without naming it: that one is recorded.
/// A refusal records none.
#[test]
fn a_single_scenario_is_the_one_accepted_and_a_refusal_names_none() {
    let (_dir, mut store) = new_store();
    let visit = example(&mut store);
    let today = day(2026, 11, 29);
    let a = store.scenarios_of(&visit).expect("scenarios")[0].id.clone();
    let d = store.proposal_draft(&visit, today).expect("draft");
    store
        .proposal_update_draft(
            &d.id,
            &DraftPatch {
                scenario_ids: Some(vec![a.clone()]),
                ..DraftPatch::default()
            },
            today,
        )
        .expect("only A");
    let p = store.proposal_issue(&d.id, today, fake_pdf).expect("issue");
    let accepted: ProposalSummary = store
        .proposal_accept(&p.id, &Acceptance::default(), today)
        .expect("accept");
    assert_eq!(accepted.accepted_scenario_id, Some(a));
    assert_eq!(accepted.answer_text(), "Acceptée — scénario A");

    let d = store.proposal_draft(&visit, today).expect("revision");
    let p = store.proposal_issue(&d.id, today, fake_pdf).expect("issue");
    let refused = store.proposal_refuse(&p.id, today).expect("refuse");
    assert_eq!(refused.status, ProposalStatus::Refusee);
    assert_eq!(refused.accepted_scenario_id, None);
    assert_eq!(refused.deliberated_on, None);
    assert_eq!(refused.answer_text(), "Refusée");
}

#[test]
fn bad_draft_input_is_refused_and_changes_nothing() {
    let (_dir, mut store) = new_store();
    let visit = example(&mut store);
    let today = day(2026, 11, 29);
    let d = store.proposal_draft(&visit, today).expect("draft");
    let cases = [
        (
            DraftPatch {
                validity_days: Some(0),
                ..Default::default()
            },
            "validity_days",
        ),
        (
            DraftPatch {
                validity_days: Some(400),
                ..Default::default()
            },
            "validity_days",
        ),
        (
            DraftPatch {
                scenario_ids: Some(vec!["not-a-scenario".into()]),
                ..Default::default()
            },
            "scenario_ids",
        ),
    ];
    for (patch, field) in cases {
        let r = store.proposal_update_draft(&d.id, &patch, today);
        assert_eq!(r.err().and_then(|e| e.field()), Some(field));
    }
    assert_eq!(store.proposal(&d.id, today).expect("draft"), d);
    assert!(matches!(
        store.proposal_draft("no-such-visit", today),
        Err(Error::NotFound { .. })
    ));
}

#[test]
fn letterhead_settings_are_checked() {
    let (_dir, mut store) = new_store();
    let base = store.document_settings().expect("defaults");
    assert!(base.has_logo, "the demo logo is there by default");
    type Edit = fn(&mut DocumentSettings);
    let cases: [(Edit, &str); 6] = [
        (|s| s.organisation = "  ".into(), "organisation"),
        (|s| s.accent = "bleu".into(), "accent"),
        (|s| s.accent = "#f6c343".into(), "accent"),
        (|s| s.place = String::new(), "place"),
        (|s| s.address_lines = vec!["x".into(); 5], "address_lines"),
        (|s| s.adviser_name = "a\u{7}b".into(), "adviser_name"),
    ];
    for (edit, field) in cases {
        let mut s = base.clone();
        edit(&mut s);
        let r = store.document_settings_save(&s);
        assert_eq!(r.err().and_then(|e| e.field()), Some(field));
    }
    assert_eq!(store.document_settings().expect("unchanged"), base);
    assert!(store.logo_set(Some(b"GIF89a")).is_err());
    store.logo_set(None).expect("remove");
    assert_eq!(store.logo_png().expect("logo"), None);
    assert!(!store.document_settings().expect("s").has_logo);
}

#[test]
fn the_accent_colour_is_saved_and_frozen_into_the_letterhead() {
    let (_dir, mut store) = new_store();
    let visit = example(&mut store);
    let today = day(2026, 11, 29);
    let draft = store.proposal_draft(&visit, today).expect("draft");
    let before = store.proposal_snapshot(&draft.id, today).expect("snap");
    assert!(before.letterhead.accent.is_default());
    // The default colour stays out of the snapshot: older snapshots keep their fingerprint.
    let json = serde_json::to_string(&before).expect("json");
    assert!(!json.contains("accent"), "{json}");

    let settings = store.document_settings().expect("settings");
    assert_eq!(settings.accent, "#1d4e89");
    let e = store
        .document_settings_save(&DocumentSettings {
            accent: "#12345".into(),
            ..settings.clone()
        })
        .expect_err("refused");
    assert_eq!(e.field(), Some("accent"));
    assert!(e.to_string().contains("#rrggbb"), "{e}");
    assert_eq!(store.document_settings().expect("unchanged"), settings);

    let saved = store
        .document_settings_save(&DocumentSettings {
            accent: " #2E6B3A ".into(),
            ..settings
        })
        .expect("saved");
    assert_eq!(saved.accent, "#2e6b3a", "kept in one spelling");
    let after = store.proposal_snapshot(&draft.id, today).expect("snap");
    assert_eq!(after.letterhead.accent.to_string(), "#2e6b3a");
    assert_ne!(after.short_hash(), before.short_hash());
}

/// The « Visites » list: each visit's proposal as the mayor holds it, on the day asked.
#[test]
fn visit_rows_say_where_each_proposal_stands() {
    let (_dir, mut store) = new_store();
    let example_visit = example(&mut store);
    let small = small_visit(&mut store);
    let bare = store
        .visit_create("80620", "2027-01-15T09:00")
        .expect("visit")
        .id;
    let today = day(2026, 11, 29);
    let state = |store: &Store, on: NaiveDate, id: &str| {
        let rows = store.visit_rows(on).expect("rows");
        assert_eq!(rows.len(), 3);
        let row = rows.into_iter().find(|r| r.visit.id == id).expect("row");
        row.proposal.map(|p| (p.status, p.reference, p.valid_until))
    };
    assert_eq!(state(&store, today, &bare), None);
    assert_eq!(state(&store, today, &small), None);

    let draft = store.proposal_draft(&small, today).expect("draft");
    assert_eq!(
        state(&store, today, &small),
        Some((ProposalStatus::Brouillon, None, None))
    );
    let issued = store
        .proposal_issue(&draft.id, today, fake_pdf)
        .expect("issue");
    let reference = Some(issued.reference());
    let until = issued.valid_until;
    assert_eq!(
        state(&store, today, &small),
        Some((ProposalStatus::Emise, reference.clone(), until))
    );
    // Past its validity date and not answered: « expirée », computed, never stored.
    let after = until.expect("valid until") + chrono::Days::new(1);
    assert_eq!(
        state(&store, after, &small),
        Some((ProposalStatus::Expiree, reference.clone(), until))
    );
    // A draft of the next revision does not hide the issued one the mayor holds.
    store.proposal_draft(&small, today).expect("next draft");
    assert_eq!(
        state(&store, today, &small),
        Some((ProposalStatus::Emise, reference.clone(), until))
    );
    store
        .proposal_accept(&issued.id, &Default::default(), today)
        .expect("accepted");
    assert_eq!(
        state(&store, after, &small).map(|s| s.0),
        Some(ProposalStatus::Acceptee)
    );
    // The accepted scenario's label comes with it (issue 14's « acceptée (scénario X) »).
    let d = store.proposal_draft(&example_visit, today).expect("draft");
    let p = store.proposal_issue(&d.id, today, fake_pdf).expect("issue");
    store
        .proposal_accept(
            &p.id,
            &Acceptance {
                scenario_id: Some(p.offered[1].id.clone()),
                deliberated_on: None,
            },
            today,
        )
        .expect("accept B");
    let accepted = |id: &str| {
        store
            .visit_rows(today)
            .expect("rows")
            .into_iter()
            .find(|r| r.visit.id == id)
            .and_then(|r| r.proposal)
            .and_then(|p| p.accepted_scenario)
    };
    assert_eq!(accepted(&small).as_deref(), Some("A"));
    assert_eq!(accepted(&example_visit).as_deref(), Some("B"));

    // Participants' names come with the row (the list searches them).
    let rows = store.visit_rows(today).expect("rows");
    let example_row = rows
        .iter()
        .find(|r| r.visit.id == example_visit)
        .expect("example");
    assert_eq!(
        example_row.participants,
        ["Marie Dupont", "Paul Martin", "Anne Leroy"]
    );
    // Most recent date first, as `visits_list`.
    let ids: Vec<String> = rows.into_iter().map(|r| r.visit.id).collect();
    let listed: Vec<String> = store
        .visits_list()
        .expect("list")
        .into_iter()
        .map(|v| v.id)
        .collect();
    assert_eq!(ids, listed);
}

/// The map's stages follow what this laptop holds: membership, a visit, an issued
/// proposal, the mayor's yes; the neighbourhood is Péronne's, fitted around it.
#[test]
fn the_map_colours_communes_by_what_happened_there() {
    use preau_core::map::Stage;
    let (_dir, mut store) = new_store();
    let stage = |store: &Store, insee: &str| {
        let map = store.commune_map().expect("map");
        assert!(map.communes.len() > 700 && map.epci_borders.len() > 1000);
        map.communes
            .iter()
            .find(|c| c.insee == insee)
            .expect("on the map")
            .stage
    };
    assert_eq!(stage(&store, "80620"), Stage::Member);
    assert_eq!(stage(&store, "80104"), Stage::NotMember);
    let visit = example(&mut store);
    assert_eq!(stage(&store, "80620"), Stage::Visited);
    let today = day(2026, 11, 29);
    let draft = store.proposal_draft(&visit, today).expect("draft");
    assert_eq!(
        stage(&store, "80620"),
        Stage::Visited,
        "a draft is not issued"
    );
    let issued = store
        .proposal_issue(&draft.id, today, fake_pdf)
        .expect("issue");
    assert_eq!(stage(&store, "80620"), Stage::Issued);
    // A second visit without a proposal does not bring it back.
    small_visit(&mut store);
    assert_eq!(stage(&store, "80620"), Stage::Issued);
    let acceptance = preau_core::proposals::Acceptance {
        scenario_id: issued.offered.first().map(|o| o.id.clone()),
        deliberated_on: None,
    };
    store
        .proposal_accept(&draft.id, &acceptance, day(2026, 12, 1))
        .expect("accept");
    assert_eq!(stage(&store, "80620"), Stage::Accepted);
    assert_eq!(stage(&store, "80021"), Stage::Member);

    let around = store.commune_neighbourhood("80620").expect("neighbourhood");
    assert_eq!(around.commune.name, "Péronne");
    assert_eq!(around.commune.stage, Stage::Accepted);
    assert!(around.neighbours.iter().any(|n| n.name == "Doingt"));
    assert!(around.neighbours.iter().all(|n| n.insee != "80620"));
    assert_eq!(around.view_box.len(), 4);
    assert!(matches!(
        store.commune_neighbourhood("99999"),
        Err(Error::NotFound { .. })
    ));
}
