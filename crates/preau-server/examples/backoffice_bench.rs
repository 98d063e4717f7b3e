//! Back-office benchmark (issue 13): the pages' server time on the volume —
//! 50 advisers, 2,000 visits, 10,000 equipment lines, 1,500 issued proposals (each with a
//! 40 KB PDF) — over loopback against the real server, on SQLite.
//!
//! `cargo run --release -p preau-server --example backoffice_bench [-- --json]`
//!
//! The records are written straight into a fresh database (the shapes the laptops push:
//! a proposal's `snapshot` with its scenarios' frozen lines and plans), not pushed: the
//! push is the sync bench's subject. Then a coordinator logs in and each page is asked
//! for many times, gzip accepted as a browser accepts it; p50 and p99 of the answer time
//! as the client sees it, the page's size and the bytes transferred.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

const ADVISERS: usize = 50;
const VISITS: usize = 2_000;
const LINES_PER_VISIT: usize = 5;
const PROPOSALS: usize = 1_500;
const PDF_BYTES: usize = 40_000;
const PASSWORD: &str = "un mot de passe de banc d'essai";

fn uuid() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Writes the records into the server's SQLite file, as pushes would have left them.
fn fill(db: &std::path::Path) {
    let mut c = rusqlite::Connection::open(db).unwrap();
    let tx = c.transaction().unwrap();
    let mut revision = 0i64;
    let communes = preau_reference::communes::all().unwrap();
    let pdf = hex::encode(
        (0..PDF_BYTES)
            .map(|i| (i * 7 % 251) as u8)
            .collect::<Vec<_>>(),
    );
    let pdf_sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
        hex::decode(&pdf).unwrap(),
    ));
    let mut insert = |tbl: &str, id: &str, fields: serde_json::Value, owner: &str, root: &str| {
        revision += 1;
        tx.execute(
            "INSERT INTO records (tbl, record_id, revision, deleted, fields, meta, conflicts, owner, root)
             VALUES (?1, ?2, ?3, 0, ?4, '{}', '[]', ?5, ?6)",
            rusqlite::params![tbl, id, revision, fields.to_string(), owner, root],
        )
        .unwrap();
    };
    let categories = [
        "Affichage collectif",
        "Équipement mobile",
        "Robotique",
        "Services",
    ];
    for v in 0..VISITS {
        let adviser = format!("Conseiller {:02}", v % ADVISERS);
        let commune = &communes[v * 7 % communes.len()];
        let visit = uuid();
        let day = 1 + v % 28;
        insert(
            "visits",
            &visit,
            json!({ "id": visit, "commune_insee": commune.insee,
                    "scheduled_at": format!("2026-{:02}-{day:02}T09:00:00", 1 + v % 11),
                    "notes": "", "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z" }),
            &adviser,
            &visit,
        );
        let scenario = uuid();
        insert(
            "scenarios",
            &scenario,
            json!({ "id": scenario, "visit_id": visit, "label": "A", "title": "Socle complet" }),
            &adviser,
            &visit,
        );
        let mut lines = Vec::new();
        let mut ht = 0i64;
        for l in 0..LINES_PER_VISIT {
            let id = uuid();
            let reference = format!("REF{:03}", (v + l * 13) % 120);
            let quantity = 1 + ((v + l) % 9) as i64;
            let price = 5_000 + ((v * 31 + l * 17) % 200) as i64 * 1_000;
            ht += quantity * price;
            insert(
                "equipment_lines",
                &id,
                json!({ "id": id, "scenario_id": scenario, "position": l, "school_id": uuid(),
                        "catalogue_version": "serveur-1", "reference": reference,
                        "designation": format!("Article {reference}"),
                        "category": categories[(v + l) % categories.len()], "unit": "u",
                        "unit_price_cents": price, "vat_rate_bp": 2000,
                        "budget_section": "investissement", "quantity": quantity }),
                &adviser,
                &visit,
            );
            lines.push(json!({ "designation": format!("Article {reference}"), "reference": reference,
                "class": null, "quantity": quantity, "unit": "u", "unit_price_ht_cents": price,
                "total_ht_cents": quantity * price, "vat_rate_bp": 2000, "yearly": false, "objectives": [] }));
        }
        if v < PROPOSALS {
            let id = uuid();
            let status = ["emise", "acceptee", "refusee", "emise"][v % 4];
            let ttc = ht * 12 / 10;
            let snapshot = json!({
                "commune": { "name": commune.name, "insee": commune.insee, "population": 500, "epci": commune.epci },
                "catalogue": { "version": "serveur-1", "label": "", "source": "", "indicative": false, "markets": [] },
                "scenarios": [{ "label": "A", "title": "Socle complet",
                    "schools": [{ "school": "École", "lines": lines, "subtotal_ht_cents": ht }],
                    "plan": { "total_ht_cents": ht, "total_ttc_cents": ttc, "total_aid_cents": ht / 2,
                              "remaining_ttc_cents": ttc - ht / 2 } }]
            });
            insert(
                "proposals",
                &id,
                json!({ "id": id, "visit_id": visit, "number": format!("2026-{:04}-{:04}", v % ADVISERS, v),
                        "revision": 1, "status": status, "scenario_ids": "", "civility": "",
                        "validity_days": 90, "created_at": "2026-01-01T00:00:00Z",
                        "issued_on": format!("2026-{:02}-{day:02}", 1 + v % 11),
                        "valid_until": format!("2027-{:02}-{day:02}", 1 + v % 11),
                        "snapshot": snapshot.to_string(), "pdf": pdf, "pdf_sha256": pdf_sha }),
                &adviser,
                &visit,
            );
        }
    }
    tx.execute(
        "UPDATE counters SET value = ?1 WHERE name = 'seq'",
        [revision],
    )
    .unwrap();
    tx.commit().unwrap();
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() {
    let json_out = std::env::args().any(|a| a == "--json");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join(preau_server::storage::sqlite::DB_FILE);
    // Migrations first, then the records, then the server on that file.
    drop(preau_server::storage::open(None, dir.path()).await.unwrap());
    let t = Instant::now();
    fill(&db);
    let filled = t.elapsed();
    let storage = preau_server::storage::open(None, dir.path()).await.unwrap();
    let (_, link) = preau_server::staff::add_user(
        storage.as_ref(),
        "coord@bench.test",
        "Banc",
        preau_server::staff::Role::Coordinator,
    )
    .await
    .unwrap();
    preau_server::staff::set_password(storage.as_ref(), &link.token, PASSWORD)
        .await
        .unwrap()
        .unwrap();
    let session = preau_server::staff::login(storage.as_ref(), "coord@bench.test", PASSWORD)
        .await
        .unwrap()
        .unwrap();
    let campaign = preau_server::storage::Campaign {
        id: uuid::Uuid::now_v7(),
        name: "Banc".into(),
        cutoff: chrono::NaiveDate::from_ymd_opt(2099, 1, 1).unwrap(),
        catalogue_version: "serveur-1".into(),
        created_at: chrono::Utc::now(),
        created_by: "coord@bench.test".into(),
    };
    storage.add_campaign(&campaign).await.unwrap();
    let (addr, _server) = preau_server::spawn("127.0.0.1:0".parse().unwrap(), Arc::clone(&storage))
        .await
        .unwrap();
    // Follow-up: three steps dated on each accepted proposal, through the storage API.
    let proposals = storage.live_records("proposals").await.unwrap();
    let accepted = proposals
        .iter()
        .filter(|r| r.fields.get("status").and_then(|s| s.as_str()) == Some("acceptee"));
    for r in accepted {
        for (step, day) in [
            (preau_server::follow::Step::IenValidation, 3),
            (preau_server::follow::Step::Deliberation, 10),
            (preau_server::follow::Step::Order, 20),
        ] {
            let on = chrono::NaiveDate::from_ymd_opt(2026, 11, day).unwrap();
            let s = preau_server::follow::StepRecord::new(
                &r.record_id,
                step,
                on,
                "",
                "coord@bench.test",
            )
            .unwrap();
            let audit = preau_server::staff::AuditEntry::new(
                Some("coord@bench.test"),
                preau_server::staff::Action::FollowUpRecorded,
                &r.record_id,
            );
            storage.add_follow_up_step(&s, &audit).await.unwrap();
        }
    }
    let visit = storage.live_records("visits").await.unwrap()[0]
        .record_id
        .clone();
    let insee = storage.live_records("visits").await.unwrap()[0]
        .fields
        .get("commune_insee")
        .and_then(|s| s.as_str())
        .unwrap()
        .to_string();
    let proposal = storage.live_records("proposals").await.unwrap()[0]
        .record_id
        .clone();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder().build().unwrap();
    let cookie = format!("preau_session={}", session.token);
    let base = format!("http://{addr}/bureau");
    let pages = [
        ("tableau de bord", base.clone(), 50),
        ("carte (771 communes)", format!("{base}/carte"), 30),
        (
            "carte d’un conseiller",
            format!("{base}/carte?conseiller=Conseiller%2007"),
            30,
        ),
        ("visites (2 000 lignes)", format!("{base}/visites"), 30),
        (
            "visites filtrées",
            format!("{base}/visites?conseiller=Conseiller%2007&statut=acceptee"),
            30,
        ),
        ("page d’une visite", format!("{base}/visites/{visit}"), 30),
        (
            "PDF émis (vérifié)",
            format!("{base}/propositions/{proposal}/pdf"),
            30,
        ),
        (
            "matrice de la demande",
            format!("{base}/recensement/{}", campaign.id),
            50,
        ),
        (
            "export XLSX",
            format!("{base}/recensement/{}/besoins.xlsx", campaign.id),
            10,
        ),
        (
            "export CSV",
            format!("{base}/recensement/{}/besoins.csv", campaign.id),
            10,
        ),
        ("suivi (375 acceptées)", format!("{base}/suivi"), 30),
        (
            "chronologie d’une commune",
            format!("{base}/suivi/commune/{insee}"),
            30,
        ),
        ("bilan", format!("{base}/bilan"), 30),
        ("bilan XLSX", format!("{base}/bilan.xlsx"), 10),
    ];
    let mut results = Vec::new();
    for (name, url, n) in &pages {
        let mut times = Vec::new();
        // Asked as a browser asks (gzip accepted): the time includes compressing, and
        // `transferred` is what crosses the network.
        let mut transferred = 0;
        for _ in 0..*n {
            let t = Instant::now();
            let r = client
                .get(url)
                .header("cookie", &cookie)
                .header("accept-encoding", "gzip")
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{name}");
            transferred = r.bytes().await.unwrap().len();
            times.push(t.elapsed());
        }
        let r = client
            .get(url)
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        let bytes = r.bytes().await.unwrap().len();
        times.sort();
        results.push((
            name.to_string(),
            percentile(&times, 0.5),
            percentile(&times, 0.99),
            bytes,
            transferred,
        ));
    }
    // The first page after a push that changed a proposal: one proposal written again
    // (a new revision, as a mayor's answer would leave it), then the page asked once.
    let writer = rusqlite::Connection::open(&db).unwrap();
    let bump = || {
        writer
            .execute_batch(&format!(
                "BEGIN;
                 UPDATE counters SET value = value + 1 WHERE name = 'seq';
                 UPDATE records SET revision = (SELECT value FROM counters WHERE name = 'seq')
                   WHERE tbl = 'proposals' AND record_id = '{proposal}';
                 COMMIT;"
            ))
            .unwrap();
    };
    for (name, url) in [
        ("tableau de bord après un envoi", base.clone()),
        ("suivi après un envoi", format!("{base}/suivi")),
    ] {
        let mut times = Vec::new();
        let mut transferred = 0;
        for _ in 0..20 {
            bump();
            let t = Instant::now();
            let r = client
                .get(&url)
                .header("cookie", &cookie)
                .header("accept-encoding", "gzip")
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{name}");
            transferred = r.bytes().await.unwrap().len();
            times.push(t.elapsed());
        }
        times.sort();
        results.push((
            name.to_string(),
            percentile(&times, 0.5),
            percentile(&times, 0.99),
            0,
            transferred,
        ));
    }
    // The same side by side in one run, through the library: the proposals read after a
    // push by a warm cache (what it wrote) and by a cold one (every proposal: what each
    // push cost before the cache read only what changed).
    let today = chrono::Utc::now().date_naive();
    let warm = preau_server::web::data::Cache::default();
    preau_server::web::data::proposals(storage.as_ref(), &warm, today)
        .await
        .unwrap();
    for (name, cold) in [
        ("propositions relues : cache", false),
        ("propositions relues : toutes", true),
    ] {
        let mut times = Vec::new();
        for _ in 0..20 {
            bump();
            let fresh = preau_server::web::data::Cache::default();
            let cache = if cold { &fresh } else { &warm };
            let t = Instant::now();
            let read = preau_server::web::data::proposals(storage.as_ref(), cache, today)
                .await
                .unwrap();
            times.push(t.elapsed());
            assert_eq!(read.len(), PROPOSALS);
        }
        times.sort();
        results.push((
            name.to_string(),
            percentile(&times, 0.5),
            percentile(&times, 0.99),
            0,
            0,
        ));
    }
    if json_out {
        let pages: Vec<_> = results
            .iter()
            .map(|(name, p50, p99, bytes, transferred)| {
                json!({ "page": name, "p50_ms": p50.as_secs_f64() * 1e3,
                        "p99_ms": p99.as_secs_f64() * 1e3, "bytes": bytes,
                        "transferred": transferred })
            })
            .collect();
        println!(
            "{}",
            json!({ "fill_s": filled.as_secs_f64(), "pages": pages })
        );
    } else {
        println!(
            "{VISITS} visites, {} lignes, {PROPOSALS} propositions émises ({} Ko de PDF chacune) écrites en {:.1} s",
            VISITS * LINES_PER_VISIT,
            PDF_BYTES / 1000,
            filled.as_secs_f64()
        );
        for (name, p50, p99, bytes, transferred) in results {
            println!(
                "{name:<26} p50 {:>7.1} ms   p99 {:>7.1} ms   {bytes} octets, {transferred} transférés",
                p50.as_secs_f64() * 1e3,
                p99.as_secs_f64() * 1e3
            );
        }
    }
}
