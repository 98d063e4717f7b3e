//! Two laptops, one server: replays, convergence in either order, field merges,
//! same-field conflicts kept visible, tombstones.

use preau_core::model::{Participant, Role, VisitPatch};
use preau_core::workflow::VisitExport;
use preau_server::reference::ReferenceKind;
use serde_json::{json, Value};

use crate::api::{http, post_raw};
use crate::support::{Backend, Laptop, TestServer};

fn fixture(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(if name.starts_with("annuaire-") {
            // The directory files are the parsers' fixtures; the example visit is the app's.
            "../preau-reference/tests/fixtures"
        } else {
            "../../tests/fixtures"
        })
        .join(name);
    std::fs::read_to_string(path).expect("fixture")
}

/// Imports the example visit (two schools, pedagogy, classes, scenarios, lines).
pub fn example_visit(l: &mut Laptop) -> String {
    let doc = VisitExport::parse(&fixture("visit-peronne-2-ecoles.json")).expect("fixture");
    l.store.visit_import(&doc).expect("import")
}

fn participant(name: &str) -> Participant {
    Participant {
        id: preau_core::make_id(),
        name: name.into(),
        role: Role::Maire,
        phone: None,
        email: None,
    }
}

fn notes(l: &mut Laptop, visit: &str, text: &str) {
    l.store
        .visit_update(
            visit,
            &VisitPatch {
                notes: Some(text.into()),
                ..VisitPatch::default()
            },
        )
        .expect("notes");
}

pub fn replay_changes_nothing(backend: &Backend) {
    let db = "replay";
    let server = TestServer::start(&backend.url(db));
    let mut a = Laptop::enrolled(&server.url(), &server.enrollment_code("Anne"));
    let visit = example_visit(&mut a);
    notes(&mut a, &visit, "première version");
    let changes = a.store.sync_outgoing(10_000).expect("outgoing");
    assert!(changes.len() > 10, "the example visit makes many records");
    let body = json!({"protocol": 1, "changes": changes.iter().map(|c| json!({
        "change_id": c.change_id, "table": c.table, "record_id": c.record_id,
        "base_revision": c.base_revision, "fields": c.fields, "deleted": c.deleted,
    })).collect::<Vec<_>>()});
    let bytes = serde_json::to_vec(&body).expect("json");
    let bearer = format!("Bearer {}", a.token());
    let url = format!("{}/api/v1/push", server.url());
    let client = http();
    let pull = |client: &reqwest::Client| {
        let client = client.clone();
        let url = format!("{}/api/v1/pull", server.url());
        let bearer = bearer.clone();
        async move {
            let (s, page) = post_raw(
                &client,
                &url,
                Some(&bearer),
                br#"{"protocol":1,"cursor":0}"#.to_vec(),
            )
            .await;
            assert_eq!(s, 200);
            page
        }
    };
    let (first, before) = a.rt.block_on(async {
        let (s, first) = post_raw(&client, &url, Some(&bearer), bytes.clone()).await;
        assert_eq!(s, 200, "{first}");
        (first, pull(&client).await)
    });
    assert!(first["acks"]
        .as_array()
        .expect("acks")
        .iter()
        .all(|a| a["status"] == "applied"));
    let applied = backend.changes_applied(db);
    assert_eq!(applied, i64::try_from(changes.len()).expect("len"));
    for _ in 0..3 {
        let (again, after) = a.rt.block_on(async {
            let (s, again) = post_raw(&client, &url, Some(&bearer), bytes.clone()).await;
            assert_eq!(s, 200);
            (again, pull(&client).await)
        });
        let acks = again["acks"].as_array().expect("acks");
        assert_eq!(acks.len(), changes.len());
        for (x, y) in acks.iter().zip(first["acks"].as_array().expect("acks")) {
            assert_eq!(x["status"], "duplicate");
            assert_eq!(x["revision"], y["revision"], "the first answer's revision");
        }
        assert_eq!(after, before, "a replay changes nothing on the server");
        assert_eq!(backend.changes_applied(db), applied);
    }
    // The laptop itself resends the same ids (its ack was "lost"): duplicates, no change.
    let report = a.sync();
    assert_eq!(report.duplicates, changes.len());
    assert_eq!(backend.changes_applied(db), applied);
    assert_eq!(a.store.sync_overview().expect("overview").pending, 0);
}

pub fn two_laptops_converge(backend: &Backend, a_first: bool) {
    let db = if a_first {
        "converge_ab"
    } else {
        "converge_ba"
    };
    let server = TestServer::start(&backend.url(db));
    let mut a = Laptop::enrolled(&server.url(), &server.enrollment_code("Anne"));
    let mut b = Laptop::enrolled(&server.url(), &server.enrollment_code("Anne"));
    let visit = example_visit(&mut a);
    a.sync();
    let r = b.sync();
    assert_eq!(
        r.waiting,
        0,
        "every record applies, parents first: {:?}",
        b.inbox_errors()
    );
    assert_eq!(a.dump(), b.dump());
    assert!(b.store.visit(&visit).is_ok());

    // Offline: different records and different fields of one record.
    notes(&mut a, &visit, "notes d'Anne");
    b.store
        .visit_update(
            &visit,
            &VisitPatch {
                scheduled_at: Some("2026-12-10T17:30".into()),
                ..VisitPatch::default()
            },
        )
        .expect("date");
    let pa = participant("Mme la maire");
    a.store
        .participant_save(&visit, &pa)
        .expect("participant a");
    b.store
        .participant_save(&visit, &participant("M. le directeur"))
        .expect("participant b");
    let order: [&mut Laptop; 2] = if a_first {
        [&mut a, &mut b]
    } else {
        [&mut b, &mut a]
    };
    let [first, second] = order;
    first.sync();
    let report = second.sync();
    assert_eq!(report.conflicts, 0, "different fields merge");
    first.sync();
    assert_eq!(a.dump(), b.dump(), "both laptops converge");
    let v = b.store.visit(&visit).expect("visit");
    assert_eq!(v.notes, "notes d'Anne");
    assert_eq!(
        v.participants.len(),
        a.store.visit(&visit).expect("visit").participants.len()
    );
    assert!(a.store.sync_conflicts().expect("conflicts").is_empty());

    // A delete travels as a tombstone.
    a.store.participant_delete(&visit, &pa.id).expect("delete");
    a.sync();
    b.sync();
    assert!(b
        .store
        .visit(&visit)
        .expect("visit")
        .participants
        .iter()
        .all(|p| p.id != pa.id));
    assert_eq!(a.dump(), b.dump());
    assert_eq!(a.store.sync_overview().expect("o").pending, 0);
    assert_eq!(b.store.sync_overview().expect("o").pending, 0);
}

pub fn same_field_conflict_is_visible(backend: &Backend) {
    let server = TestServer::start(&backend.url("conflict"));
    let mut a = Laptop::enrolled(&server.url(), &server.enrollment_code("Anne"));
    let mut b = Laptop::enrolled(&server.url(), &server.enrollment_code("Anne"));
    let visit = a
        .store
        .visit_create("80620", "2026-12-03T18:00")
        .expect("visit")
        .id;
    a.sync();
    b.sync();
    notes(&mut a, &visit, "version du portable");
    notes(&mut b, &visit, "version du bureau");
    a.sync();
    let report = b.sync();
    assert_eq!(report.conflicts, 1, "B's push clashes");
    a.sync();
    for l in [&a, &b] {
        let conflicts = l.store.sync_conflicts().expect("conflicts");
        assert_eq!(conflicts.len(), 1, "{conflicts:?}");
        let c = &conflicts[0];
        assert_eq!((c.table.as_str(), c.field.as_str()), ("visits", "notes"));
        assert_eq!(c.record_id, visit);
        assert_eq!(c.local_value, Value::from("version du portable"));
        assert_eq!(c.other_value, Value::from("version du bureau"));
        assert_eq!(l.store.sync_overview().expect("o").conflicts, 1);
    }
    assert_eq!(a.dump(), b.dump());
    // The office computer's value is picked: the conflict is settled everywhere.
    notes(&mut b, &visit, "version du bureau");
    b.sync();
    a.sync();
    for l in [&a, &b] {
        assert!(l.store.sync_conflicts().expect("conflicts").is_empty());
        assert_eq!(l.store.visit(&visit).expect("v").notes, "version du bureau");
    }
}

pub fn reference_data_comes_down(backend: &Backend) {
    let server = TestServer::start(&backend.url("reference"));
    let dir = tempfile::tempdir().expect("dir");
    let schools = dir.path().join("schools.csv");
    std::fs::write(&schools, fixture("annuaire-education-2024-somme.csv")).expect("write");
    let storage = std::sync::Arc::clone(&server.storage);
    let published = server.block_on(async move {
        preau_server::admin::import_reference(storage.as_ref(), ReferenceKind::Schools, &schools)
            .await
    });
    let published = published.expect("publish schools");
    assert_eq!(published.version, 1);
    assert!(published.entries > 0);
    let example = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../data/reference/catalogue-syndicat-exemple.csv"),
    )
    .expect("example catalogue");
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "not,a,catalogue\n1,2,3\n").expect("write");
    // The example with a VAT rate that does not exist on its third article (line 4).
    let bad_vat = dir.path().join("bad-vat.csv");
    let mut lines: Vec<String> = example.lines().map(str::to_string).collect();
    lines[3] = lines[3].replacen(";20;ponctuel;", ";19,6;ponctuel;", 1);
    std::fs::write(&bad_vat, lines.join("\n")).expect("write");
    for (path, want) in [
        (
            bad,
            "Catalogue, ligne 1, colonne « not » : colonne inconnue",
        ),
        (
            bad_vat,
            "Catalogue, ligne 4, colonne « tva » : taux de TVA « 19,6 » inconnu",
        ),
    ] {
        let storage = std::sync::Arc::clone(&server.storage);
        let refused = server.block_on(async move {
            preau_server::admin::import_reference(storage.as_ref(), ReferenceKind::Catalogue, &path)
                .await
        });
        let err = refused.expect_err("a bad catalogue is not published");
        assert!(err.to_string().contains(want), "{err}");
    }
    let mut a = Laptop::enrolled(&server.url(), &server.enrollment_code("Anne"));
    let report = a.sync();
    assert_eq!(report.reference_updated, vec!["schools".to_string()]);
    assert!(!a.store.schools_of("80620").expect("schools").is_empty() || published.entries > 0);
    let again = a.sync();
    assert!(
        again.reference_updated.is_empty(),
        "a version is fetched once"
    );

    // The syndicate publishes its catalogue (the README's example: two markets, ENI65 at
    // 1 890 € HT under market SN-2024-07, lot 1) and funding rules: the laptop prices new
    // lines with them; lines already chosen keep their price.
    let visit = example_visit(&mut a);
    let cat_path = dir.path().join("catalogue.csv");
    std::fs::write(&cat_path, &example).expect("write");
    let funding_path = dir.path().join("funding.json");
    std::fs::write(
        &funding_path,
        std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../data/reference/funding_rules.json"),
        )
        .expect("funding"),
    )
    .expect("write");
    for (kind, path) in [
        (ReferenceKind::Catalogue, &cat_path),
        (ReferenceKind::Funding, &funding_path),
    ] {
        let storage = std::sync::Arc::clone(&server.storage);
        let path = path.clone();
        server
            .block_on(async move {
                preau_server::admin::import_reference(storage.as_ref(), kind, &path).await
            })
            .expect("publish");
    }
    let before = a.store.workflow(&visit).expect("workflow");
    let report = a.sync();
    let mut updated = report.reference_updated.clone();
    updated.sort();
    assert_eq!(
        updated,
        vec!["catalogue".to_string(), "funding".to_string()]
    );
    let cat = a.store.catalogue().expect("catalogue");
    assert!(
        cat.version.version.starts_with("serveur-"),
        "{:?}",
        cat.version
    );
    let eni = cat
        .items
        .iter()
        .find(|i| i.reference == "ENI65")
        .expect("ENI65");
    assert_eq!(eni.unit_price_cents, 189_000);
    let market = eni.market.as_ref().expect("market");
    assert_eq!(
        (market.reference.as_str(), market.ends_on.to_string()),
        ("SN-2024-07", "2027-08-31".to_string())
    );
    assert_eq!(eni.lot.as_deref(), Some("1"));
    assert_eq!(eni.supplier_reference.as_deref(), Some("EDN-IFP65-4K"));
    assert_eq!(
        (
            eni.valid_from.map(|d| d.to_string()),
            eni.valid_until.map(|d| d.to_string())
        ),
        (Some("2026-09-01".into()), Some("2027-08-31".into()))
    );
    assert!(!cat.demo);
    assert_eq!(cat.markets.len(), 2, "{:?}", cat.markets);
    // The old tablet's price ended on 31/08/2026: shown, never offered for a new line.
    let old = cat
        .items
        .iter()
        .find(|i| i.reference == "TABL-G9")
        .expect("TABL-G9");
    assert_eq!(old.availability, preau_core::model::Availability::Expired);
    assert!(a
        .store
        .funding_rules()
        .expect("rules")
        .version
        .starts_with("2026"));
    assert!(a
        .store
        .reference_version("funding")
        .expect("funding")
        .version
        .starts_with("serveur-"));
    let after = a.store.workflow(&visit).expect("workflow");
    assert_eq!(
        before.scenarios[0].plan.total_ht_cents, after.scenarios[0].plan.total_ht_cents,
        "lines chosen before keep their price"
    );
    // A line of the syndicate's catalogue: the proposal names its market and lot; an
    // article past its validity is refused for a new line.
    let wf = a.store.workflow(&visit).expect("workflow");
    let input = |reference: &str| preau_core::workflow::LineInput {
        id: uuid::Uuid::now_v7().to_string(),
        scenario_id: wf.scenarios[0].scenario.id.clone(),
        school_id: wf.schools[0].id.clone(),
        class_id: None,
        reference: reference.to_string(),
        quantity: "2".to_string(),
        objective_ids: Vec::new(),
    };
    a.store.line_save(&visit, &input("ENI65")).expect("line");
    let refused = a
        .store
        .line_save(&visit, &input("TABL-G9"))
        .expect_err("expired");
    assert!(
        refused
            .user_message()
            .contains("n’est plus valable au catalogue depuis le 31 août 2026"),
        "{}",
        refused.user_message()
    );
    let today = chrono::Local::now().date_naive();
    let draft = a.store.proposal_draft(&visit, today).expect("draft");
    let snap = a
        .store
        .proposal_snapshot(&draft.id, today)
        .expect("snapshot");
    assert_eq!(snap.catalogue.markets.len(), 1, "{:?}", snap.catalogue);
    let m = &snap.catalogue.markets[0];
    assert_eq!(m.reference, "SN-2024-07");
    assert_eq!(m.lots.len(), 1);
    assert_eq!(
        (m.lots[0].lot.as_str(), m.lots[0].references.clone()),
        ("1", vec!["ENI65".to_string()])
    );
    assert!(
        snap.catalogue.demo_references.contains(&"TABL".to_string()),
        "the example visit's other lines are from the demo catalogue"
    );
    // Reopening the store (a new build with other demo data) keeps the server's data.
    let path = a.store.path().to_path_buf();
    let reopened = preau_core::Store::open(&path).expect("reopen");
    assert!(reopened
        .catalogue()
        .expect("catalogue")
        .version
        .version
        .starts_with("serveur-"));
}

/// Issued proposals travel whole and once (PDF bytes included), never conflict, and the
/// mayor's answer follows; drafts stay on the laptop that made them.
pub fn issued_proposals_travel_append_only(backend: &Backend) {
    let server = TestServer::start(&backend.url("proposals"));
    let mut a = Laptop::enrolled(&server.url(), &server.enrollment_code("Anne"));
    let mut b = Laptop::enrolled(&server.url(), &server.enrollment_code("Anne"));
    let visit = example_visit(&mut a);
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 29).expect("date");
    let draft = a.store.proposal_draft(&visit, today).expect("draft");
    a.sync();
    b.sync();
    assert!(
        b.store
            .proposals_of(&visit, today)
            .expect("list")
            .is_empty(),
        "a draft is not sent"
    );

    let fake_pdf: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
    let pdf = fake_pdf.clone();
    let issued = a
        .store
        .proposal_issue(&draft.id, today, move |_| Ok(pdf))
        .expect("issue");
    a.sync();
    let r = b.sync();
    assert_eq!(r.waiting, 0, "{:?}", b.inbox_errors());
    let got = b.store.proposal(&issued.id, today).expect("received");
    assert_eq!(got, issued, "the same number, revision, dates and hash");
    assert_eq!(b.store.proposal_pdf(&issued.id).expect("pdf"), fake_pdf);
    assert_eq!(
        b.store.proposal_snapshot(&issued.id, today).expect("snap"),
        a.store.proposal_snapshot(&issued.id, today).expect("snap")
    );

    // B records the mayor's answer; A gets it. Nothing else of the row can change.
    // The scenario and the deliberation date travel with it (issue 13).
    let chosen = got.offered[1].id.clone();
    let on_b = b
        .store
        .proposal_accept(
            &issued.id,
            &preau_core::proposals::Acceptance {
                scenario_id: Some(chosen.clone()),
                deliberated_on: chrono::NaiveDate::from_ymd_opt(2027, 1, 12),
            },
            today,
        )
        .expect("accept");
    b.sync();
    a.sync();
    let on_a = a.store.proposal(&issued.id, today).expect("proposal");
    assert_eq!(on_a.status, preau_core::proposals::ProposalStatus::Acceptee);
    assert_eq!(on_a.accepted_scenario_id, Some(chosen));
    assert_eq!(on_a, on_b);
    assert!(a.store.sync_conflicts().expect("conflicts").is_empty());
    assert!(b.store.sync_conflicts().expect("conflicts").is_empty());
    // Both laptops now hold the same issued rows (B never had a draft).
    let issued_rows = |l: &Laptop| -> Vec<String> {
        l.dump()
            .into_iter()
            .filter(|r| r.starts_with("proposals:") && !r.contains("Text(\"brouillon\")"))
            .collect()
    };
    assert_eq!(issued_rows(&a), issued_rows(&b));
    assert_eq!(issued_rows(&a).len(), 1);
}

/// Bookkeeping is not a conflict (issue 11): the same visit imported again on a laptop
/// that has it, and imported on a laptop new to it while a colleague edits it, leaves no
/// conflict; `created_at` is the first one on every laptop.
pub fn reimporting_a_visit_is_not_a_conflict(backend: &Backend) {
    let server = TestServer::start(&backend.url("reimport"));
    let mut a = Laptop::enrolled(&server.url(), &server.enrollment_code("Anne"));
    let mut b = Laptop::enrolled(&server.url(), &server.enrollment_code("Anne"));
    let doc = VisitExport::parse(&fixture("visit-peronne-2-ecoles.json")).expect("fixture");
    let visit = a.store.visit_import(&doc).expect("import on A");
    a.sync();
    b.sync();
    let created = |l: &Laptop| -> String {
        let conn = rusqlite::Connection::open(l.store.path()).expect("open laptop db");
        conn.query_row(
            "SELECT created_at FROM visits WHERE id = ?1",
            [&visit],
            |r| r.get(0),
        )
        .expect("visit row")
    };
    let first = created(&a);
    // A third laptop, which had never seen the visit, imports the file (its created_at is
    // later) and syncs; then a colleague edits while B imports the same file again.
    let mut c = Laptop::enrolled(&server.url(), &server.enrollment_code("Anne"));
    c.store.visit_import(&doc).expect("import on C");
    assert_ne!(created(&c), first);
    let rc = c.sync();
    notes(&mut a, &visit, "Ajout d'Anne après la visite.");
    b.store.visit_import(&doc).expect("import again on B");
    a.sync();
    let rb = b.sync();
    assert_eq!((rb.conflicts, rc.conflicts), (0, 0), "nothing to judge");
    c.sync();
    a.sync();
    b.sync();
    for l in [&a, &b, &c] {
        let conflicts = l.store.sync_conflicts().expect("conflicts");
        assert!(conflicts.is_empty(), "{conflicts:?}");
        assert_eq!(created(l), first, "created_at never changes");
        assert_eq!(
            l.store.visit(&visit).expect("visit").notes,
            "Ajout d'Anne après la visite."
        );
    }
    assert_eq!(a.dump(), b.dump());
    assert_eq!(a.dump(), c.dump());
}

/// The directory published by the server reaches two laptops: each school is one record
/// everywhere (same id from the same UAI), so nothing waits and the laptops agree.
pub fn the_directory_is_one_set_of_schools_on_every_laptop(backend: &Backend) {
    let server = TestServer::start(&backend.url("directory_twice"));
    let dir = tempfile::tempdir().expect("dir");
    let schools = dir.path().join("schools.csv");
    std::fs::write(&schools, fixture("annuaire-education-2024-somme.csv")).expect("write");
    let storage = std::sync::Arc::clone(&server.storage);
    server
        .block_on(async move {
            preau_server::admin::import_reference(
                storage.as_ref(),
                ReferenceKind::Schools,
                &schools,
            )
            .await
        })
        .expect("publish schools");
    let mut a = Laptop::enrolled(&server.url(), &server.enrollment_code("Anne"));
    let mut b = Laptop::enrolled(&server.url(), &server.enrollment_code("Paul"));
    a.sync();
    b.sync();
    a.sync();
    let rb = b.sync();
    let ra = a.sync();
    assert_eq!(ra.waiting, 0, "{:?}", a.inbox_errors());
    assert_eq!(rb.waiting, 0, "{:?}", b.inbox_errors());
    assert_eq!(a.dump(), b.dump());
}

/// Issue 11: the same school typed by hand on two laptops (one UAI, two ids), each ticked
/// in a visit with its project. Every laptop keeps the same one; each adviser's laptop
/// points its own visit at it and deletes its own duplicate; nothing waits, nothing
/// typed in the projects is lost, and a laptop new to the server pulls one school.
pub fn one_school_per_uai_typed_on_two_laptops(backend: &Backend) {
    use preau_core::model::{SchoolInput, SchoolKind};
    let server = TestServer::start(&backend.url("same_uai"));
    let mut a = Laptop::enrolled(&server.url(), &server.enrollment_code("Anne"));
    let mut b = Laptop::enrolled(&server.url(), &server.enrollment_code("Paul"));
    let uai = "0809999Z";
    let typed = |l: &mut Laptop, name: &str, needs: &str| -> (String, String) {
        let school = l
            .store
            .school_save(&SchoolInput {
                id: None,
                uai: Some(uai.into()),
                name: name.into(),
                kind: SchoolKind::Primaire,
                public: true,
                commune_insee: "80620".into(),
                classes: Some(3),
                pupils: Some(61),
            })
            .expect("school")
            .id;
        let visit = l
            .store
            .visit_create("80620", "2026-12-03T18:00")
            .expect("visit")
            .id;
        l.store
            .visit_update(
                &visit,
                &VisitPatch {
                    school_ids: Some(vec![school.clone()]),
                    ..VisitPatch::default()
                },
            )
            .expect("tick");
        let mut p = l.store.pedagogy_of(&visit, &school).expect("pedagogy");
        p.training_needs = needs.into();
        l.store.pedagogy_save(&visit, &p).expect("save pedagogy");
        (school, visit)
    };
    let (school_a, visit_a) = typed(&mut a, "École du Moulin", "Anne : prise en main des ENI");
    let (school_b, visit_b) = typed(&mut b, "Ecole primaire du Moulin", "Paul : tablettes");
    let kept = school_a.clone().min(school_b.clone());
    for _ in 0..2 {
        a.sync();
        b.sync();
    }
    let ra = a.sync();
    let rb = b.sync();
    assert_eq!(ra.waiting, 0, "{:?}", a.inbox_errors());
    assert_eq!(rb.waiting, 0, "{:?}", b.inbox_errors());
    let mut c = Laptop::enrolled(&server.url(), &server.enrollment_code("Anne"));
    let rc = c.sync();
    assert_eq!(rc.waiting, 0, "{:?}", c.inbox_errors());
    for (name, l) in [("A", &a), ("B", &b), ("C", &c)] {
        let schools = l.store.schools_of("80620").expect("schools");
        let with_uai: Vec<&String> = schools
            .iter()
            .filter(|s| s.uai.as_deref() == Some(uai))
            .map(|s| &s.id)
            .collect();
        assert_eq!(with_uai, vec![&kept], "{name}: one school for the UAI");
        assert!(
            schools
                .iter()
                .all(|s| s.id == kept || s.id != school_a && s.id != school_b),
            "{name}: the duplicate is gone"
        );
        for (visit, needs) in [
            (&visit_a, "Anne : prise en main des ENI"),
            (&visit_b, "Paul : tablettes"),
        ] {
            assert_eq!(
                l.store.visit(visit).expect("visit").school_ids,
                vec![kept.clone()],
                "{name}: the visit names the kept school"
            );
            let p = l.store.pedagogy_of(visit, &kept).expect("pedagogy");
            assert_eq!(p.training_needs, needs, "{name}: the project typed is kept");
        }
        assert_eq!(l.store.sync_overview().expect("overview").refused, 0);
    }
    assert_eq!(a.dump(), b.dump());
    assert_eq!(a.dump(), c.dump());
}
