//! Privacy (RGPD): one person's data exported and erased on request, the erasure reaching
//! every laptop by sync and leaving the server's records, history and set-aside values;
//! participants of old visits anonymised past the retention period.

use std::collections::BTreeSet;

use preau_core::model::{Participant, Role};
use preau_server::admin::{self, Person, Retention};

use crate::support::{Backend, Laptop, TestServer};

fn participant(name: &str, phone: Option<&str>, email: Option<&str>) -> Participant {
    Participant {
        id: preau_core::make_id(),
        name: name.into(),
        role: Role::Directeur,
        phone: phone.map(str::to_string),
        email: email.map(str::to_string),
    }
}

/// What must be found nowhere once Marie-Hélène Dupré is erased (lowercase ASCII): her
/// name in every spelling used below, her email, and every phone number she had.
const TRACES: &[&str] = &["dupr", "12 34 56 78", "00 00 01", "77 77 77"];

fn traces_on(l: &Laptop) -> Vec<String> {
    TRACES
        .iter()
        .flat_map(|t| l.scan(t).into_iter().map(move |h| format!("{t:?} in {h}")))
        .collect()
}

fn marie() -> Person {
    Person {
        name: "Marie-Hélène DUPRÉ".into(),
        email: Some("MH.Dupre@mairie-peronne.fr".into()),
        phone: None,
    }
}

pub fn erasure_reaches_every_laptop(backend: &Backend) {
    let db = "privacy_erase";
    let server = TestServer::start(&backend.url(db));
    let mut desk = Laptop::enrolled(&server.url(), &server.enrollment_code("Anne"));
    let mut field = Laptop::enrolled(&server.url(), &server.enrollment_code("Anne"));
    let mut colleague = Laptop::enrolled(&server.url(), &server.enrollment_code("Paul"));

    // She was met on two visits; a colleague of hers on the first.
    let v1 = desk
        .store
        .visit_create("80620", "2026-11-03T18:00")
        .expect("visit")
        .id;
    let v2 = desk
        .store
        .visit_create("80620", "2026-12-01T09:00")
        .expect("visit")
        .id;
    let p1 = desk
        .store
        .participant_save(
            &v1,
            &participant(
                "Marie-Hélène Dupré",
                Some("06 12 34 56 78"),
                Some("mh.dupre@mairie-peronne.fr"),
            ),
        )
        .expect("save");
    let other = desk
        .store
        .participant_save(&v1, &participant("Paul Roy", Some("03 22 00 11 22"), None))
        .expect("save");
    let p2 = desk
        .store
        .participant_save(&v2, &participant("marie helene dupre", None, None))
        .expect("save");
    desk.sync();
    field.sync();

    // History and a value set aside: both laptops rename her, the desk changes her phone.
    let mut edited = p1.clone();
    edited.name = "Mme Marie-Hélène Dupré".into();
    edited.phone = Some("06 00 00 00 01".into());
    desk.store.participant_save(&v1, &edited).expect("edit");
    desk.sync();
    let mut renamed = p1.clone();
    renamed.name = "M.-H. Dupré".into();
    field.store.participant_save(&v1, &renamed).expect("rename");
    let r = field.sync();
    assert_eq!(r.conflicts, 1, "the field laptop's name is set aside");
    // An edit the field laptop has not sent when the erasure happens.
    let mut pending = field.store.visit(&v1).expect("visit").participants;
    pending.retain(|p| p.id == p1.id);
    let mut pending = pending.pop().expect("p1 on the field laptop");
    pending.phone = Some("07 77 77 77 77".into());
    field.store.participant_save(&v1, &pending).expect("edit");
    colleague.sync();
    assert!(
        !traces_on(&colleague).is_empty(),
        "the colleague pulled her"
    );
    assert!(
        !backend.scan(db, "dupr").is_empty(),
        "the server holds her name before the erasure"
    );

    // Export: exactly her two records, with their visits.
    let storage = std::sync::Arc::clone(&server.storage);
    let export = server.block_on(async move {
        admin::export_person(storage.as_ref(), &marie())
            .await
            .expect("export")
    });
    let records = export["records"].as_array().expect("records");
    let ids: BTreeSet<&str> = records
        .iter()
        .map(|r| r["record_id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, BTreeSet::from([p1.id.as_str(), p2.id.as_str()]));
    let first = records
        .iter()
        .find(|r| r["record_id"] == p1.id.as_str())
        .expect("p1");
    assert_eq!(first["name"], "Mme Marie-Hélène Dupré");
    assert_eq!(first["email"], "mh.dupre@mairie-peronne.fr");
    assert_eq!(first["visit"]["id"], v1.as_str());
    assert_eq!(first["visit"]["commune_insee"], "80620");
    assert!(first["visit"]["scheduled_at"]
        .as_str()
        .is_some_and(|s| s.starts_with("2026-11-03")));
    assert_eq!(first["visit"]["adviser"], "Anne");
    assert_eq!(first["set_aside"][0]["value"], "M.-H. Dupré");
    assert_eq!(first["matched_on"], serde_json::json!(["email"]));
    // By phone alone: the same first record, not the colleague's.
    let storage = std::sync::Arc::clone(&server.storage);
    let by_phone = server.block_on(async move {
        admin::find_person(
            storage.as_ref(),
            &Person {
                name: "Inconnue".into(),
                email: None,
                phone: Some("+33 6 00 00 00 01".into()),
            },
        )
        .await
        .expect("find")
    });
    assert_eq!(
        by_phone.iter().map(|p| &p.record_id).collect::<Vec<_>>(),
        [&p1.id]
    );

    // Erase her.
    let storage = std::sync::Arc::clone(&server.storage);
    let erased = server.block_on(async move {
        admin::erase_person(storage.as_ref(), &marie())
            .await
            .expect("erase")
    });
    assert_eq!((erased.records.len(), erased.changed), (2, 2));
    let storage = std::sync::Arc::clone(&server.storage);
    let again = server.block_on(async move {
        admin::erase_person(storage.as_ref(), &marie())
            .await
            .expect("erase again")
    });
    assert_eq!(
        (again.records.len(), again.changed, again.history),
        (0, 0, 0),
        "nothing left to find"
    );

    for l in [&mut desk, &mut field, &mut colleague] {
        let r = l.sync();
        assert_eq!(r.waiting, 0, "{:?}", l.inbox_errors());
    }
    let mut fresh = Laptop::enrolled(&server.url(), &server.enrollment_code("Anne"));
    fresh.sync();
    for (who, l) in [
        ("desk", &desk),
        ("field", &field),
        ("colleague", &colleague),
        ("fresh", &fresh),
    ] {
        assert_eq!(traces_on(l), Vec::<String>::new(), "{who}");
        let mut ps = l.store.visit(&v1).expect("visit").participants;
        ps.extend(l.store.visit(&v2).expect("visit").participants);
        let erased: Vec<&Participant> = ps.iter().filter(|p| p.id != other.id).collect();
        assert_eq!(erased.len(), 2, "{who}: {ps:?}");
        for p in erased {
            assert_eq!(p.name, "Personne effacée", "{who}");
            assert_eq!((&p.phone, &p.email), (&None, &None), "{who}");
        }
        assert!(
            ps.iter().any(|p| p.id == other.id && p.name == "Paul Roy"),
            "{who}: her colleague stays"
        );
    }
    assert_eq!(desk.dump(), fresh.dump());
    assert_eq!(field.dump(), fresh.dump());
    assert!(
        field.store.sync_conflicts().expect("conflicts").is_empty(),
        "nothing of hers set aside"
    );
    for t in TRACES {
        assert_eq!(
            backend.scan(db, t),
            Vec::<String>::new(),
            "{t:?} on the server"
        );
    }

    // After the erasure, a new value typed for the participant is new data.
    let mut p = desk.store.visit(&v2).expect("visit").participants;
    let mut p = p.pop().expect("p2");
    p.name = "Nouvelle directrice".into();
    desk.store.participant_save(&v2, &p).expect("save");
    desk.sync();
    fresh.sync();
    assert!(fresh
        .store
        .visit(&v2)
        .expect("visit")
        .participants
        .iter()
        .any(|p| p.name == "Nouvelle directrice"));
}

pub fn retention_anonymises_only_old_visits(backend: &Backend) {
    let db = "privacy_retention";
    let server = TestServer::start(&backend.url(db));
    let mut desk = Laptop::enrolled(&server.url(), &server.enrollment_code("Anne"));
    let old = desk
        .store
        .visit_create("80620", "2021-03-01T09:00")
        .expect("visit")
        .id;
    let recent = desk
        .store
        .visit_create("80620", "2026-11-01T09:00")
        .expect("visit")
        .id;
    desk.store
        .participant_save(
            &old,
            &participant(
                "Ancien Maire",
                Some("03 22 99 99 99"),
                Some("ancien@mairie.fr"),
            ),
        )
        .expect("save");
    desk.store
        .participant_save(
            &recent,
            &participant("Nouveau Maire", None, Some("nouveau@mairie.fr")),
        )
        .expect("save");
    // Deleted on the laptop: the server's tombstone keeps its last fields.
    let gone = desk
        .store
        .participant_save(&old, &participant("Ancienne Secrétaire", None, None))
        .expect("save");
    desk.sync();
    desk.store
        .participant_delete(&old, &gone.id)
        .expect("delete");
    desk.sync();
    assert!(!backend.scan(db, "ancienne secr").is_empty());

    let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 7).expect("date");
    let cutoff = Retention::Years(3).cutoff(today).expect("cutoff");
    let storage = std::sync::Arc::clone(&server.storage);
    let (listed, first, second) = server.block_on(async move {
        let listed = admin::past_retention(storage.as_ref(), cutoff)
            .await
            .expect("list");
        let first = admin::anonymise_before(storage.as_ref(), cutoff)
            .await
            .expect("anonymise");
        let second = admin::anonymise_before(storage.as_ref(), cutoff)
            .await
            .expect("again");
        (listed, first, second)
    });
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(listed
        .iter()
        .all(|p| p.visit_id.as_deref() == Some(old.as_str())));
    assert_eq!((first, second), (2, 0), "done once, then nothing left");
    for t in ["ancien maire", "ancien@", "99 99 99", "ancienne secr"] {
        assert_eq!(
            backend.scan(db, t),
            Vec::<String>::new(),
            "{t:?} on the server"
        );
    }
    assert!(
        !backend.scan(db, "nouveau maire").is_empty(),
        "recent visits are kept"
    );

    let r = desk.sync();
    assert_eq!(r.waiting, 0, "{:?}", desk.inbox_errors());
    let gone = desk.store.visit(&old).expect("visit").participants;
    assert_eq!(gone.len(), 1);
    assert_eq!(gone[0].name, "Personne effacée");
    assert_eq!((&gone[0].phone, &gone[0].email), (&None, &None));
    assert_eq!(gone[0].role, Role::Directeur, "what the person was stays");
    let kept = desk.store.visit(&recent).expect("visit").participants;
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].name, "Nouveau Maire");
    assert_eq!(kept[0].email.as_deref(), Some("nouveau@mairie.fr"));
    for t in ["ancien maire", "ancien@", "99 99 99"] {
        assert_eq!(desk.scan(t), Vec::<String>::new(), "{t:?} on the laptop");
    }
}

/// An issued proposal naming the person is listed by the export (her values only, not
/// the other people it names) and kept by the erasure: an issued document is immutable.
pub fn issued_proposals_naming_a_person_are_listed(backend: &Backend) {
    let server = TestServer::start(&backend.url("privacy_proposals"));
    let mut desk = Laptop::enrolled(&server.url(), &server.enrollment_code("Anne"));
    let visit = crate::sync::example_visit(&mut desk);
    desk.store
        .participant_save(
            &visit,
            &participant(
                "Marie-Hélène Dupré",
                None,
                Some("mh.dupre@mairie-peronne.fr"),
            ),
        )
        .expect("save");
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 29).expect("date");
    let draft = desk.store.proposal_draft(&visit, today).expect("draft");
    let issued = desk
        .store
        .proposal_issue(&draft.id, today, |_| Ok(b"%PDF-1.7 test".to_vec()))
        .expect("issue");
    desk.sync();

    let storage = std::sync::Arc::clone(&server.storage);
    let (export, erased, after) = server.block_on(async move {
        let export = admin::export_person(storage.as_ref(), &marie())
            .await
            .expect("export");
        let erased = admin::erase_person(storage.as_ref(), &marie())
            .await
            .expect("erase");
        let after = admin::proposals_naming(storage.as_ref(), &marie())
            .await
            .expect("list");
        (export, erased, after)
    });
    let proposals = export["proposals"].as_array().expect("proposals");
    assert_eq!(proposals.len(), 1, "{export}");
    assert_eq!(proposals[0]["record_id"], issued.id.as_str());
    let mentions = proposals[0]["mentions"].as_array().expect("mentions");
    assert!(!mentions.is_empty());
    assert!(
        mentions.iter().all(|m| m["value"] == "Marie-Hélène Dupré"),
        "only her own values: {mentions:?}"
    );
    assert_eq!(
        (erased.records.len(), erased.changed),
        (1, 1),
        "her participant record"
    );
    assert_eq!(after.len(), 1, "the issued proposal is kept");
    desk.sync();
    assert!(desk.store.proposal(&issued.id, today).is_ok());
}

/// A mayor replaced after an election: the adviser typed the new one over the former on
/// the same record. The former is found in the history only; erasing him cleans it and
/// leaves the new mayor alone.
pub fn a_replaced_person_is_found_in_history(backend: &Backend) {
    let db = "privacy_history";
    let server = TestServer::start(&backend.url(db));
    let mut desk = Laptop::enrolled(&server.url(), &server.enrollment_code("Anne"));
    let visit = desk
        .store
        .visit_create("80620", "2026-11-03T18:00")
        .expect("visit")
        .id;
    let mut p = desk
        .store
        .participant_save(
            &visit,
            &participant("Jean Lefèvre", Some("03 22 44 55 66"), None),
        )
        .expect("save");
    desk.sync();
    p.name = "Luc Petit".into();
    p.phone = Some("03 22 10 20 30".into());
    desk.store.participant_save(&visit, &p).expect("new mayor");
    desk.sync();
    // The whole name: « lef » alone is also in SQLite's own schema record of a table
    // whose name starts with « f » (« table » + « follow_up_steps »).
    assert!(!backend.scan(db, "lefèvre").is_empty(), "in the history");

    let former = Person {
        name: "Jean LEFEVRE".into(),
        email: None,
        phone: None,
    };
    let storage = std::sync::Arc::clone(&server.storage);
    let asked = former.clone();
    let (export, erased) = server.block_on(async move {
        let export = admin::export_person(storage.as_ref(), &asked)
            .await
            .expect("export");
        let erased = admin::erase_person(storage.as_ref(), &asked)
            .await
            .expect("erase");
        (export, erased)
    });
    assert_eq!(export["records"], serde_json::json!([]), "{export}");
    let history = export["history"].as_array().expect("history");
    assert_eq!(history.len(), 1, "{export}");
    assert_eq!(history[0]["record_id"], p.id.as_str());
    assert_eq!(
        history[0]["values"],
        serde_json::json!({"name": "Jean Lefèvre"}),
        "his name only: the phone did not match what was asked"
    );
    assert_eq!(
        (erased.records.len(), erased.changed, erased.history),
        (0, 0, 1)
    );
    assert_eq!(backend.scan(db, "lefèvre"), Vec::<String>::new());
    desk.sync();
    let now = desk.store.visit(&visit).expect("visit").participants;
    assert_eq!(now.len(), 1);
    assert_eq!(now[0].name, "Luc Petit", "the new mayor stays");
}
