//! « Suivi et bilan » (issue 13, page 7) over real HTTP: who may date a step (an adviser
//! only for their own visits, a partner never, no form without its CSRF token), what a
//! bad form gets (a French error, nothing stored), the laptop's deliberation shown until
//! the office records one, a commune's timeline, and the balance sheet and its XLSX equal
//! to the cent to the plans the laptops computed.

use std::io::Cursor;

use calamine::{Data, Reader};
use preau_server::staff::Role;

use crate::backoffice::{accepted_plan, issue, named_account, Browser, Issued, PASSWORD};
use crate::support::{Backend, TestServer};

fn euros(cents: i64) -> String {
    preau_reference::format::euros(cents)
}

/// The fixture's visit (Péronne) as `issue` answers it: the mayor accepts scenario B,
/// which equips the elementary school only (214 pupils) and names two classes (an
/// interactive screen each for the CP-CE1 and the CE2-CM1).
const PUPILS_PER_VISIT: u64 = 214;
const CLASSES_PER_VISIT: u64 = 2;

fn pairs<'a>(form: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    form.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

fn steps(server: &TestServer) -> Vec<preau_server::follow::StepRecord> {
    let storage = std::sync::Arc::clone(&server.storage);
    server.block_on(async move { storage.follow_up_steps().await.expect("steps") })
}

/// The laptop's deliberation day on a proposal record, as the laptop's answer carries it
/// (`deliberated_on`), set in the database: this server's laptops do not record it yet.
fn laptop_deliberation(backend: &Backend, db: &str, proposal: &str, day: &str) {
    let sql = match backend {
        Backend::Sqlite(_) => format!(
            "UPDATE records SET fields = json_set(fields, '$.deliberated_on', '{day}') \
             WHERE tbl = 'proposals' AND record_id = '{proposal}'"
        ),
        Backend::Postgres(_) => format!(
            "UPDATE records SET fields = jsonb_set(fields::jsonb, '{{deliberated_on}}', \
             '\"{day}\"')::text WHERE tbl = 'proposals' AND record_id = '{proposal}'"
        ),
    };
    backend.execute(db, &sql);
}

pub fn steps_are_dated_by_the_right_people(backend: &Backend) {
    let db = "backoffice_follow";
    let server = TestServer::start(&backend.url(db));
    let anne = issue(&server, "Anne Martin", true);
    let paul = issue(&server, "Paul Durand", true);
    let lea = issue(&server, "Léa Bernard", false);
    laptop_deliberation(backend, db, &paul.proposal, "2026-11-03");
    named_account(&server, "coord@syndicat.test", "Claire", Role::Coordinator);
    named_account(&server, "viewer@syndicat.test", "Canopé", Role::Viewer);
    named_account(&server, "anne@syndicat.test", "Anne Martin", Role::Adviser);
    let path = |i: &Issued| format!("/bureau/suivi/{}", i.proposal);
    let good = |csrf: &str| -> Vec<(&'static str, String)> {
        vec![
            ("csrf", csrf.to_string()),
            ("step", "validation_ien".into()),
            ("on", "2026-11-20".into()),
            ("note", "Validé par Mme l’IEN de Péronne".into()),
        ]
    };
    server.block_on(async {
        // Anonymous: the login page, for the page and the form.
        let mut anonymous = Browser::new(&server);
        for p in [
            "/bureau/suivi",
            "/bureau/bilan",
            "/bureau/suivi/commune/80620",
        ] {
            let a = anonymous.get(p).await;
            assert_eq!(a.status, 303, "{p}");
            assert_eq!(a.location.as_deref(), Some("/bureau/connexion"));
        }
        let a = anonymous.post(&path(&anne), &[("csrf", "x")]).await;
        assert_eq!(a.status, 303);

        // A partner reads the follow-up without people's names and may date nothing.
        let mut viewer = Browser::new(&server);
        assert_eq!(
            viewer.login("viewer@syndicat.test", PASSWORD).await.status,
            303
        );
        let page = viewer.get("/bureau/suivi").await;
        assert_eq!(page.status, 200, "{}", page.text());
        let text = page.text();
        assert!(text.contains("Péronne") && text.contains("2 proposition(s) acceptée(s)"));
        assert!(!text.contains("Anne Martin") && !text.contains("Dater une étape"));
        let form = good(&page.csrf());
        assert_eq!(viewer.post(&path(&anne), &pairs(&form)).await.status, 403);
        let t = viewer.get("/bureau/suivi/commune/80620").await;
        assert_eq!(t.status, 200);
        let text = t.text();
        assert!(text.contains("Visite") && text.contains("émise"));
        assert!(!text.contains("Anne Martin") && !text.contains("/bureau/visites/"));

        // An adviser dates the steps of their own visits only.
        let mut adviser = Browser::new(&server);
        assert_eq!(
            adviser.login("anne@syndicat.test", PASSWORD).await.status,
            303
        );
        let page = adviser.get("/bureau/suivi").await;
        let text = page.text();
        assert_eq!(
            text.matches("action=\"/bureau/suivi/").count(),
            1,
            "one form: Anne's"
        );
        assert!(text.contains(&format!("action=\"{}\"", path(&anne))));
        let form = good(&page.csrf());
        let form = pairs(&form);
        assert_eq!(
            adviser.post(&path(&paul), &form).await.status,
            403,
            "Paul’s"
        );
        let a = adviser.post(&path(&anne), &form).await;
        assert_eq!(a.status, 303, "{}", a.text());
        assert_eq!(
            a.location.as_deref(),
            Some(format!("/bureau/suivi#p-{}", anne.proposal).as_str())
        );
    });
    assert_eq!(steps(&server).len(), 1);
    server.block_on(async {
        let mut coord = Browser::new(&server);
        assert_eq!(
            coord.login("coord@syndicat.test", PASSWORD).await.status,
            303
        );
        let page = coord.get("/bureau/suivi").await;
        let text = page.text();
        assert_eq!(
            text.matches("action=\"/bureau/suivi/").count(),
            2,
            "every form"
        );
        // The laptop's deliberation, until the office records one; Anne's IEN step.
        assert!(text.contains("3 novembre 2026") && text.contains(">saisie sur le portable<"));
        assert!(text.contains("20 novembre 2026") && text.contains("Validé par Mme l’IEN"));
        let csrf = page.csrf();
        // Without the token: refused, nothing stored.
        let form = [("step", "commande"), ("on", "2026-12-01")];
        assert_eq!(coord.post(&path(&paul), &form).await.status, 403);
        let zeros = "0".repeat(64);
        let wrong = [
            ("csrf", zeros.as_str()),
            ("step", "commande"),
            ("on", "2026-12-01"),
        ];
        assert_eq!(coord.post(&path(&paul), &wrong).await.status, 403);
        // Bad input: a French error, nothing stored.
        let long = "x".repeat(preau_server::follow::MAX_NOTE_CHARS + 1);
        for (step, on, note, error) in [
            ("commande", "2026-13-01", "", "Indiquez la date"),
            ("commande", "", "", "Indiquez la date"),
            ("commande", "1999-12-31", "", "entre 2000 et 2100"),
            ("paiement", "2026-12-01", "", "Choisissez une étape"),
            (
                "commande",
                "2026-12-01",
                long.as_str(),
                "dépasse 500 caractères",
            ),
            (
                "commande",
                "2026-12-01",
                "a\u{7}b",
                "caractères de contrôle",
            ),
        ] {
            let form = [
                ("csrf", csrf.as_str()),
                ("step", step),
                ("on", on),
                ("note", note),
            ];
            let a = coord.post(&path(&paul), &form).await;
            assert_eq!(a.status, 422, "{step} {on}");
            assert!(a.text().contains(error), "{step} {on}: {error}");
        }
        // Not an accepted proposal, or none: not found.
        let form = [
            ("csrf", csrf.as_str()),
            ("step", "commande"),
            ("on", "2026-12-01"),
        ];
        assert_eq!(coord.post(&path(&lea), &form).await.status, 404);
        assert_eq!(coord.post("/bureau/suivi/nope", &form).await.status, 404);
        // The coordination dates any proposal's step; a second deliberation corrects
        // the laptop's.
        assert_eq!(coord.post(&path(&paul), &form).await.status, 303);
        let from_laptop = |text: &str| text.matches(">saisie sur le portable<").count();
        let before = from_laptop(&coord.get("/bureau/suivi").await.text());
        let form = [
            ("csrf", csrf.as_str()),
            ("step", "deliberation"),
            ("on", "2026-11-04"),
        ];
        assert_eq!(coord.post(&path(&paul), &form).await.status, 303);
        let text = coord.get("/bureau/suivi").await.text();
        assert!(
            text.contains("1 décembre 2026") || text.contains("1er décembre 2026"),
            "{text}"
        );
        // The office's deliberation replaces the laptop's; the IEN's validation noted in
        // the example's projects still comes from the laptop.
        assert!(text.contains("4 novembre 2026"));
        assert_eq!(from_laptop(&text), before - 1, "{text}");

        // The commune's timeline: visits, issues, answers and steps in date order.
        let t = coord.get("/bureau/suivi/commune/80620").await;
        assert_eq!(t.status, 200);
        let page = t.text();
        let text = &page[page.find("class=\"chronologie\"").expect("the timeline")..];
        let at = |s: &str| {
            text.find(s)
                .unwrap_or_else(|| panic!("{s} in the timeline"))
        };
        // 4 November, 20 November, 1 December; the visits, issues and answers too.
        assert!(at("Délibération du conseil municipal") < at("Validation par l’IEN"));
        assert!(at("Validation par l’IEN") < at("Commande via le groupement"));
        for shown in ["Visite", "émise", "acceptée"] {
            at(shown);
        }
        assert!(text.contains(&format!("/bureau/visites/{}", anne.visit)));
        assert_eq!(coord.get("/bureau/suivi/commune/..%2F..").await.status, 404);
        let none = coord.get("/bureau/suivi/commune/80001").await;
        assert_eq!(none.status, 200);
        assert!(none.text().contains("Aucune visite"));
    });
    assert_eq!(steps(&server).len(), 3);
    let log = server.block_on(async { server.storage.audit_log(50).await.expect("log") });
    let recorded: Vec<_> = log
        .iter()
        .filter(|e| e.action == "follow_up_recorded")
        .collect();
    assert_eq!(recorded.len(), 3);
    assert!(recorded
        .iter()
        .any(|e| e.actor.as_deref() == Some("anne@syndicat.test")
            && e.detail.contains("Validation par l’IEN")));
}

/// A number cell of a sheet.
fn number(sheet: &calamine::Range<Data>, row: u32, col: u32) -> f64 {
    match sheet.get_value((row, col)) {
        Some(Data::Float(f)) => *f,
        Some(Data::Int(i)) => *i as f64,
        other => panic!("({row}, {col}) is not a number: {other:?}"),
    }
}

fn cents(euros: f64) -> i64 {
    (euros * 100.0).round() as i64
}

pub fn the_balance_is_the_laptops_plans(backend: &Backend) {
    let server = TestServer::start(&backend.url("backoffice_bilan"));
    let anne = issue(&server, "Anne Martin", true);
    let paul = issue(&server, "Paul Durand", true);
    let _pending = issue(&server, "Léa Bernard", false);
    named_account(&server, "viewer@syndicat.test", "Canopé", Role::Viewer);
    let plans = [accepted_plan(&anne), accepted_plan(&paul)];
    let sum = |f: fn(&preau_core::plan::FundingPlan) -> i64| plans.iter().map(f).sum::<i64>();
    let (ttc, aid, fctva, own) = (
        sum(|p| p.total_ttc_cents),
        sum(|p| p.total_aid_cents),
        sum(|p| p.fctva_cents),
        sum(|p| p.remaining_ttc_cents),
    );
    assert!(ttc > 0 && aid > 0 && fctva > 0);
    server.block_on(async {
        let mut b = Browser::new(&server);
        assert_eq!(b.login("viewer@syndicat.test", PASSWORD).await.status, 303);
        let page = b.get("/bureau/bilan").await;
        assert_eq!(page.status, 200, "{}", page.text());
        assert_eq!(page.figure("bilan-propositions"), "2");
        assert_eq!(page.figure("bilan-ttc"), euros(ttc));
        assert_eq!(page.figure("bilan-aides"), euros(aid));
        assert_eq!(page.figure("bilan-fctva"), euros(fctva));
        assert_eq!(page.figure("bilan-part"), euros(own));
        assert_eq!(
            page.figure("bilan-eleves"),
            (2 * PUPILS_PER_VISIT).to_string()
        );
        assert_eq!(
            page.figure("bilan-classes"),
            (2 * CLASSES_PER_VISIT).to_string()
        );

        let x = b.get("/bureau/bilan.xlsx").await;
        assert_eq!(x.status, 200);
        assert_eq!(
            x.headers["content-type"],
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        );
        let mut book = calamine::Xlsx::new(Cursor::new(x.body.clone())).expect("an XLSX");
        assert_eq!(book.sheet_names(), vec!["Synthèse", "Détail"]);
        let summary = book.worksheet_range("Synthèse").expect("summary");
        // A title, a blank row, the headers, the only EPCI, the département.
        let last = summary.end().expect("cells").0;
        assert_eq!(last, 4);
        assert_eq!(
            summary.get_value((last, 0)),
            Some(&Data::String("Département".into()))
        );
        assert_eq!(number(&summary, last, 1), 2.0);
        assert_eq!(cents(number(&summary, last, 2)), ttc);
        assert_eq!(cents(number(&summary, last, 3)), aid);
        assert_eq!(cents(number(&summary, last, 4)), fctva);
        assert_eq!(cents(number(&summary, last, 5)), own);
        assert_eq!(number(&summary, last, 6), (2 * PUPILS_PER_VISIT) as f64);
        assert_eq!(number(&summary, last, 7), (2 * CLASSES_PER_VISIT) as f64);
        let detail = book.worksheet_range("Détail").expect("detail");
        assert_eq!(
            detail.height(),
            3,
            "a header and the two accepted proposals"
        );
        let rows_ttc: i64 = (1..3).map(|r| cents(number(&detail, r, 6))).sum();
        assert_eq!(rows_ttc, ttc);
        for r in 1..3 {
            assert_eq!(
                detail.get_value((r, 2)),
                Some(&Data::String("80620".into()))
            );
        }
        let log = server.storage.audit_log(10).await.expect("log");
        assert!(log
            .iter()
            .any(|e| e.action == "exported" && e.detail.starts_with("bilan-")));
    });
}
