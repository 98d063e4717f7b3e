//! A stolen laptop against a real server (issue 12): every finding of the attack is a
//! failing attempt here, on SQLite and PostgreSQL. An attacker holds one enrolled device
//! (a colleague's, « Mallory »), or one of the victim's own laptops.

use preau_core::model::{Participant, Role};
use serde_json::{json, Value};
use sha2::Digest;

use crate::api::{http, post_raw};
use crate::support::{Backend, Laptop, TestServer};
use crate::sync::example_visit;

fn participant(name: &str) -> Participant {
    Participant {
        id: preau_core::make_id(),
        name: name.into(),
        role: Role::Maire,
        phone: None,
        email: None,
    }
}

/// One raw change pushed with a laptop's token; the server's answer.
fn push_raw(server: &TestServer, l: &Laptop, changes: Value) -> (u16, Value) {
    let url = format!("{}/api/v1/push", server.url());
    let bearer = format!("Bearer {}", l.token());
    let body = serde_json::to_vec(&json!({"protocol": 1, "changes": changes})).expect("json");
    l.rt.block_on(post_raw(&http(), &url, Some(&bearer), body))
}

fn change(table: &str, id: &str, fields: Value, deleted: bool) -> Value {
    json!({"change_id": uuid::Uuid::now_v7(), "table": table, "record_id": id,
        "base_revision": 0, "fields": fields, "deleted": deleted})
}

fn ack_code(answer: &Value) -> (String, String) {
    let ack = &answer["acks"][0];
    (
        ack["status"].as_str().unwrap_or("").to_string(),
        ack["refusal"]["code"].as_str().unwrap_or("").to_string(),
    )
}

/// A colleague's device reads a visit but cannot rename, delete or add to it; its
/// laptop keeps the refused edits aside and goes back to the server's state; the owner
/// loses nothing and nothing waits anywhere.
pub fn foreign_owner_cannot_change_or_delete(backend: &Backend) {
    let server = TestServer::start(&backend.url("attack_owner"));
    let mut anne = Laptop::enrolled(&server.url(), &server.enrollment_code("Anne"));
    let mut mallory = Laptop::enrolled(&server.url(), &server.enrollment_code("Mallory"));
    let visit = example_visit(&mut anne);
    let mayor = participant("Mme la maire");
    anne.store.participant_save(&visit, &mayor).expect("save");
    anne.sync();
    mallory.sync();
    let shared = mallory
        .store
        .visit(&visit)
        .expect("colleagues' visits are read");
    assert!(shared.participants.iter().any(|p| p.name == "Mme la maire"));

    // Through the app: rename, add, then delete the whole visit.
    let mut renamed = mayor.clone();
    renamed.name = "Pirate".into();
    mallory
        .store
        .participant_save(&visit, &renamed)
        .expect("local edit");
    mallory
        .store
        .participant_save(&visit, &participant("Intrus"))
        .expect("local add");
    let report = mallory.sync();
    assert!(report.refused >= 2, "{report:?}");
    mallory
        .store
        .participant_delete(&visit, &mayor.id)
        .expect("local delete");
    let report = mallory.sync();
    assert!(report.refused >= 1, "{report:?}");
    assert_eq!(report.waiting, 0, "{:?}", mallory.inbox_errors());
    assert!(mallory.store.sync_refused_count().expect("refused") >= 3);

    let r = anne.sync();
    assert_eq!(r.waiting, 0, "{:?}", anne.inbox_errors());
    let kept = anne.store.visit(&visit).expect("the visit is still there");
    let names: Vec<&str> = kept.participants.iter().map(|p| p.name.as_str()).collect();
    assert!(names.contains(&"Mme la maire"), "{names:?}");
    assert!(
        !names.contains(&"Pirate") && !names.contains(&"Intrus"),
        "{names:?}"
    );
    // The attacker's laptop is back to the server's state too.
    mallory.sync();
    assert_eq!(mallory.dump(), anne.dump());
    assert_eq!(mallory.store.sync_overview().expect("o").pending, 0);

    // Raw HTTP: a delete of the visit and an edit are refused with the server's record.
    let (status, answer) = push_raw(
        &server,
        &mallory,
        json!([change("visits", &visit, json!({}), true)]),
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(ack_code(&answer), ("refused".into(), "forbidden".into()));
    assert_eq!(
        answer["acks"][0]["refusal"]["record"]["record_id"],
        visit.as_str()
    );
    let (_, answer) = push_raw(
        &server,
        &mallory,
        json!([change(
            "participants",
            &mayor.id,
            json!({"name": "Pirate"}),
            false
        )]),
    );
    assert_eq!(ack_code(&answer), ("refused".into(), "forbidden".into()));
    // Nor can a record be hung under her visit.
    let (_, answer) = push_raw(
        &server,
        &mallory,
        json!([change(
            "participants",
            &preau_core::make_id(),
            json!({"visit_id": visit,
            "position": 9, "name": "Intrus", "role": "maire"}),
            false
        )]),
    );
    assert_eq!(ack_code(&answer), ("refused".into(), "forbidden".into()));
    let r = anne.sync();
    assert_eq!(r.waiting, 0);
    let fresh = {
        let mut l = Laptop::enrolled(&server.url(), &server.enrollment_code("Paul"));
        l.sync();
        l
    };
    assert_eq!(fresh.dump(), anne.dump());
}

/// Issued proposals: created once, by the device of their number, with a PDF matching
/// its SHA-256; never deleted, never changed but for the answer.
pub fn forged_proposals_are_refused(backend: &Backend) {
    let server = TestServer::start(&backend.url("attack_proposal"));
    let mut anne = Laptop::enrolled(&server.url(), &server.enrollment_code("Anne"));
    let mut mallory = Laptop::enrolled(&server.url(), &server.enrollment_code("Mallory"));
    let visit = example_visit(&mut anne);
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 29).expect("date");
    let draft = anne.store.proposal_draft(&visit, today).expect("draft");
    let issued = anne
        .store
        .proposal_issue(&draft.id, today, |_| Ok(b"%PDF-1.7 vraie".to_vec()))
        .expect("issue");
    anne.sync();
    let anne_code = anne.store.device_code().expect("code");
    let own_visit = mallory
        .store
        .visit_create("80620", "2026-12-03T18:00")
        .expect("visit")
        .id;
    mallory.sync();

    let pdf = b"%PDF-1.7 fausse".to_vec();
    let sha = hex::encode(sha2::Sha256::digest(&pdf));
    let forged = |visit: &str, number: &str, sha: &str| {
        json!({"id": preau_core::make_id(), "visit_id": visit, "number": number, "revision": 1,
            "status": "acceptee", "scenario_ids": "[]", "civility": "", "validity_days": 90,
            "created_at": "2026-11-29T10:00:00Z", "issued_on": "2026-11-29",
            "valid_until": "2027-02-27", "snapshot": "{}", "pdf": hex::encode(&pdf),
            "pdf_sha256": sha})
    };
    let mallory_code = mallory.store.device_code().expect("code");
    for (why, fields, want) in [
        (
            "under another adviser's visit",
            forged(&visit, &format!("2026-{mallory_code}-0001"), &sha),
            "forbidden",
        ),
        (
            "with another device's code",
            forged(&own_visit, &format!("2026-{anne_code}-0099"), &sha),
            "invalid_proposal",
        ),
        (
            "with a fake SHA-256",
            forged(
                &own_visit,
                &format!("2026-{mallory_code}-0001"),
                &"0".repeat(64),
            ),
            "invalid_proposal",
        ),
        (
            "as a draft",
            {
                let mut f = forged(&own_visit, &format!("2026-{mallory_code}-0001"), &sha);
                f["status"] = json!("brouillon");
                f
            },
            "invalid_proposal",
        ),
    ] {
        let id = fields["id"].as_str().unwrap_or_default().to_string();
        let (status, answer) = push_raw(
            &server,
            &mallory,
            json!([change("proposals", &id, fields, false)]),
        );
        assert_eq!(status, 200, "{why}: {answer}");
        assert_eq!(
            ack_code(&answer),
            ("refused".into(), want.into()),
            "{why}: {answer}"
        );
    }
    // Anne's issued proposal: its PDF never changes, it is never deleted, even by her.
    for (why, ch) in [
        (
            "new PDF",
            change(
                "proposals",
                &issued.id,
                json!({"pdf": "2550", "pdf_sha256": "00"}),
                false,
            ),
        ),
        ("deleted", change("proposals", &issued.id, json!({}), true)),
    ] {
        let (_, answer) = push_raw(&server, &anne, json!([ch]));
        assert_eq!(
            ack_code(&answer),
            ("refused".into(), "invalid_proposal".into()),
            "{why}"
        );
    }
    // Issue 13: the accepted scenario is one the proposal shows, on an accepted
    // proposal, with a real date; nothing of a refused answer is stored.
    let (a, b) = (
        issued.scenario_ids[0].clone(),
        issued.scenario_ids[1].clone(),
    );
    for (why, fields) in [
        (
            "a scenario the proposal does not show",
            json!({"status": "acceptee", "decided_on": "2026-12-01",
                "accepted_scenario_id": visit}),
        ),
        (
            "a scenario on a refusal",
            json!({"status": "refusee", "decided_on": "2026-12-01", "accepted_scenario_id": a}),
        ),
        (
            "a deliberation date that is no date",
            json!({"status": "acceptee", "decided_on": "2026-12-01", "accepted_scenario_id": b,
                "deliberated_on": "demain"}),
        ),
    ] {
        let (_, answer) = push_raw(
            &server,
            &anne,
            json!([change("proposals", &issued.id, fields, false)]),
        );
        assert_eq!(
            ack_code(&answer),
            ("refused".into(), "invalid_proposal".into()),
            "{why}: {answer}"
        );
    }
    mallory.sync();
    let seen = mallory
        .store
        .proposal(&issued.id, today)
        .expect("pulled proposal");
    assert_eq!(
        (seen.status_label.as_str(), seen.accepted_scenario_id),
        ("Émise", None),
        "nothing of a refused answer is stored"
    );
    // Her answer goes through; then it never changes.
    let (_, answer) = push_raw(
        &server,
        &anne,
        json!([change(
            "proposals",
            &issued.id,
            json!({"status": "acceptee", "decided_on": "2026-12-01",
                "accepted_scenario_id": b, "deliberated_on": "2027-01-12"}),
            false
        )]),
    );
    assert_eq!(ack_code(&answer).0, "applied", "{answer}");
    let (_, answer) = push_raw(
        &server,
        &anne,
        json!([change(
            "proposals",
            &issued.id,
            json!({"accepted_scenario_id": a}),
            false
        )]),
    );
    assert_eq!(
        ack_code(&answer),
        ("refused".into(), "invalid_proposal".into()),
        "another scenario after the answer: {answer}"
    );
    let r = mallory.sync();
    assert_eq!(r.waiting, 0, "{:?}", mallory.inbox_errors());
    assert_eq!(
        mallory.store.proposal_pdf(&issued.id).expect("pdf"),
        b"%PDF-1.7 vraie"
    );
    let seen = mallory.store.proposal(&issued.id, today).expect("pulled");
    assert_eq!(
        seen.answer_text(),
        "Acceptée — scénario B, délibération du 12 janvier 2027"
    );
}

/// Values the server does not know how to hold are refused before anything is stored;
/// every laptop, a new one included, keeps syncing.
pub fn poison_values_are_refused(backend: &Backend) {
    let server = TestServer::start(&backend.url("attack_poison"));
    let mut mallory = Laptop::enrolled(&server.url(), &server.enrollment_code("Mallory"));
    let id = preau_core::make_id();
    let mut deep = json!("x");
    for _ in 0..123 {
        deep = json!({ "a": deep });
    }
    let huge: Value = serde_json::from_str("123456789012345678901234567890").expect("number");
    for (why, ch) in [
        (
            "nested value",
            change("visits", &id, json!({ "notes": deep }), false),
        ),
        (
            "array value",
            change("visits", &id, json!({"notes": [1, 2]}), false),
        ),
        (
            "huge integer",
            change("participants", &id, json!({ "position": huge }), false),
        ),
        ("unknown table", change("secrets", &id, json!({}), false)),
        (
            "unknown column",
            change("visits", &id, json!({"owner": "Mallory"}), false),
        ),
        (
            "oversize string",
            change("visits", &id, json!({"notes": "x".repeat(100_001)}), false),
        ),
        (
            "NUL in a name",
            change("participants", &id, json!({"name": "a\u{0}b"}), false),
        ),
        (
            "record id not an id",
            change("visits", "not-an-id", json!({}), false),
        ),
        (
            "wrong enum",
            change("schools", &id, json!({"kind": "lycee"}), false),
        ),
    ] {
        let (status, answer) = push_raw(&server, &mallory, json!([ch]));
        assert_eq!(status, 422, "{why}: {answer}");
        assert_eq!(answer["code"], "invalid_change", "{why}: {answer}");
    }
    let mut fresh = Laptop::enrolled(&server.url(), &server.enrollment_code("Anne"));
    let r = fresh.sync();
    assert_eq!((r.pulled, r.waiting), (0, 0));
    mallory.sync();
}

/// A pull page is bounded in bytes, whatever the records; values set aside in conflict
/// are bounded per device and field.
pub fn pages_and_conflicts_are_bounded(backend: &Backend) {
    let server = TestServer::start(&backend.url("attack_pages"));
    let mut anne = Laptop::enrolled(&server.url(), &server.enrollment_code("Anne"));
    let long = "é".repeat(99_000);
    let changes: Vec<Value> = (0..60)
        .map(|_| {
            change(
                "visits",
                &preau_core::make_id(),
                json!({"commune_insee": "80620", "scheduled_at": "2026-12-03T18:00:00",
                    "notes": long, "created_at": "2026-12-01T00:00:00Z",
                    "updated_at": "2026-12-01T00:00:00Z"}),
                false,
            )
        })
        .collect();
    for chunk in changes.chunks(20) {
        let (status, answer) = push_raw(&server, &anne, Value::from(chunk.to_vec()));
        assert_eq!(status, 200, "{answer}");
    }
    let url = format!("{}/api/v1/pull", server.url());
    let bearer = format!("Bearer {}", anne.token());
    let body = serde_json::to_vec(&json!({"protocol": 1, "cursor": 0})).expect("json");
    let raw = anne.rt.block_on(async {
        http()
            .post(&url)
            .header("authorization", &bearer)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("pull")
            .bytes()
            .await
            .expect("body")
    });
    let page: Value = serde_json::from_slice(&raw).expect("page");
    let n = page["records"].as_array().map_or(0, Vec::len);
    assert!((1..60).contains(&n), "{n} records in one page");
    assert_eq!(page["more"], true);
    assert!(
        raw.len() < preau_protocol::MAX_PAGE_BYTES + 300_000,
        "{} bytes in one page",
        raw.len()
    );
    // The laptop still gets everything, page by page.
    let r = anne.sync();
    assert_eq!(r.waiting, 0, "{:?}", anne.inbox_errors());

    // One device sending the same field again and again keeps one value aside.
    let mut office = Laptop::enrolled(&server.url(), &server.enrollment_code("Anne"));
    let visit = anne
        .store
        .visit_create("80620", "2026-12-03T18:00")
        .expect("visit")
        .id;
    anne.sync();
    for i in 0..20 {
        let (_, answer) = push_raw(
            &server,
            &office,
            json!([change(
                "visits",
                &visit,
                json!({ "notes": format!("version {i}") }),
                false
            )]),
        );
        assert_ne!(ack_code(&answer).0, "refused", "{answer}");
    }
    let r = office.sync();
    assert_eq!(r.waiting, 0);
    let conflicts = office.store.sync_conflicts().expect("conflicts");
    assert!(conflicts.len() <= 1, "{conflicts:?}");
}

/// A stolen laptop of the adviser herself wipes her visit: the admin revokes it and
/// reverts what it did; every laptop gets the visit back, whole.
pub fn revert_restores_a_vandalised_visit(backend: &Backend) {
    let server = TestServer::start(&backend.url("attack_revert"));
    let mut desk = Laptop::enrolled(&server.url(), &server.enrollment_code("Anne"));
    let mut stolen = Laptop::enrolled(&server.url(), &server.enrollment_code("Anne"));
    let visit = example_visit(&mut desk);
    desk.store
        .participant_save(&visit, &participant("Mme la maire"))
        .expect("save");
    desk.sync();
    stolen.sync();
    let before = desk.dump();
    let start = chrono::Utc::now() - chrono::Duration::seconds(1);

    let mut p = stolen.store.visit(&visit).expect("visit").participants[0].clone();
    p.name = "Vandale".into();
    stolen.store.participant_save(&visit, &p).expect("rename");
    stolen.sync();
    let scenario = stolen.store.workflow(&visit).expect("workflow").scenarios[0]
        .scenario
        .id
        .clone();
    stolen
        .store
        .scenario_delete(&visit, &scenario)
        .expect("delete a scenario");
    stolen.sync();
    // The app deletes no visit: the thief sends it by hand with the laptop's token.
    let (_, answer) = push_raw(
        &server,
        &stolen,
        json!([change("visits", &visit, json!({}), true)]),
    );
    assert_eq!(
        ack_code(&answer).0,
        "applied",
        "the owner's device may delete: {answer}"
    );
    desk.sync();
    assert!(
        desk.store.visit(&visit).is_err(),
        "the vandal's delete reached the desk"
    );

    let stolen_id: uuid::Uuid = stolen
        .store
        .sync_settings()
        .expect("s")
        .device_id
        .expect("id")
        .parse()
        .expect("uuid");
    let storage = std::sync::Arc::clone(&server.storage);
    let restored = server.block_on(async move {
        preau_server::admin::revoke(storage.as_ref(), stolen_id)
            .await
            .expect("revoke");
        preau_server::admin::revert_device(storage.as_ref(), stolen_id, start)
            .await
            .expect("revert")
    });
    assert!(restored > 5, "{restored} records put back");
    let r = desk.sync();
    assert_eq!(r.waiting, 0, "{:?}", desk.inbox_errors());
    assert_eq!(desk.dump(), before, "the visit is back as it was");
    let mut fresh = Laptop::enrolled(&server.url(), &server.enrollment_code("Anne"));
    fresh.sync();
    assert_eq!(fresh.dump(), before);
}

/// An admin hands a visit over: its new owner may change it, the former one no longer.
/// A purged record leaves every laptop.
pub fn hand_over_and_purge(backend: &Backend) {
    let server = TestServer::start(&backend.url("attack_handover"));
    let mut anne = Laptop::enrolled(&server.url(), &server.enrollment_code("Anne"));
    let mut paul = Laptop::enrolled(&server.url(), &server.enrollment_code("Paul"));
    let visit = anne
        .store
        .visit_create("80620", "2026-12-03T18:00")
        .expect("visit")
        .id;
    let p = participant("M. le maire");
    anne.store.participant_save(&visit, &p).expect("save");
    anne.sync();
    paul.sync();
    let storage = std::sync::Arc::clone(&server.storage);
    let id: uuid::Uuid = visit.parse().expect("uuid");
    let n = server.block_on(async move {
        preau_server::admin::hand_over(storage.as_ref(), id, "Paul")
            .await
            .expect("hand over")
    });
    assert_eq!(n, 2);
    // The laptops learn it at their next sync (the visit is sent again with its owner):
    // Anne's now shows it as Paul's, Paul's as his own.
    for (l, shown) in [(&mut anne, Some("Paul")), (&mut paul, None)] {
        l.sync();
        assert_eq!(
            l.store.visit_owner(&visit).expect("owner").as_deref(),
            shown
        );
    }
    let (_, answer) = push_raw(
        &server,
        &paul,
        json!([change(
            "participants",
            &p.id,
            json!({"name": "M. Roy"}),
            false
        )]),
    );
    // Taken (a conflict with Anne's value: the raw change saw no revision).
    assert_ne!(ack_code(&answer).0, "refused", "{answer}");
    let (_, answer) = push_raw(
        &server,
        &anne,
        json!([change(
            "participants",
            &p.id,
            json!({"name": "Autre"}),
            false
        )]),
    );
    assert_eq!(ack_code(&answer), ("refused".into(), "forbidden".into()));

    let storage = std::sync::Arc::clone(&server.storage);
    let pid = p.id.clone();
    assert!(server.block_on(async move {
        preau_server::admin::purge_record(storage.as_ref(), "participants", &pid)
            .await
            .expect("purge")
    }));
    for l in [&mut anne, &mut paul] {
        let r = l.sync();
        assert_eq!(r.waiting, 0, "{:?}", l.inbox_errors());
        assert!(l
            .store
            .visit(&visit)
            .expect("visit")
            .participants
            .is_empty());
    }
}

/// A device scripted to flood the server is stopped at its hourly quota (set here by the
/// server's options, as `changes_per_hour` does): 429 `quota_exceeded` saying when to
/// retry, nothing of the refused push stored; another device is not affected.
pub fn a_flood_is_stopped_at_the_quota(backend: &Backend) {
    let options = preau_server::ServerOptions {
        quota: preau_server::quota::PerHour(3),
        ..preau_server::ServerOptions::default()
    };
    let server = TestServer::start_with(&backend.url("attack_quota"), options);
    let mallory = Laptop::enrolled(&server.url(), &server.enrollment_code("Mallory"));
    let anne = Laptop::enrolled(&server.url(), &server.enrollment_code("Anne"));
    let school = |name: &str| {
        change(
            "schools",
            &preau_core::make_id(),
            json!({"name": name, "kind": "primaire", "public": true,
                "commune_insee": "80021"}),
            false,
        )
    };
    let (status, answer) = push_raw(&server, &mallory, json!([school("a"), school("b")]));
    assert_eq!(status, 200, "{answer}");
    let flood = school("c-flood");
    let (status, answer) = push_raw(&server, &mallory, json!([flood.clone(), school("d")]));
    assert_eq!(status, 429, "{answer}");
    assert_eq!(answer["code"], "quota_exceeded", "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .is_some_and(|m| m.contains("retry in")),
        "{answer}"
    );
    let (status, answer) = push_raw(&server, &anne, json!([school("e")]));
    assert_eq!(status, 200, "another device has its own quota: {answer}");
    let storage = std::sync::Arc::clone(&server.storage);
    let page = server
        .block_on(async move { storage.pull(0, 1000).await })
        .expect("pull");
    let names: Vec<String> = page
        .records
        .iter()
        .filter_map(|r| {
            let fields: Value = serde_json::from_str(r.fields.get()).ok()?;
            Some(fields["name"].as_str()?.to_string())
        })
        .collect();
    assert_eq!(names.len(), 3, "a, b and e: {names:?}");
    assert!(!names.iter().any(|n| n == "c-flood"), "{names:?}");
}
