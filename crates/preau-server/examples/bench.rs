//! Sync benchmarks against the real `preau-server` binary over loopback (build it first:
//! `cargo build --release -p preau-server && cargo run --release -p preau-server --example bench`).
//!
//! 1. Push of 1,000 visits (about 50,000 rows) from one laptop.
//! 2. First sync of a new laptop (reference data and those 1,000 visits).
//! 3. 100 laptops syncing at once: latency of each push batch, server memory.
//! 4. The push of 1. again, from a store encrypted as the app's is (SQLCipher), to a
//!    server of its own.
//! 5. The floor under 1.: the rows the server wrote for that push (`records`, and
//!    `changes_seen`, each change's id and history) written again into an empty server
//!    database, in the push's transactions, with prepared statements and nothing else —
//!    no HTTP, no JSON, no merge, no laptop.
//!
//! `--dump FILE` writes the 1,000 visits' rows as the server holds them once pushed (one
//! JSON object a line: `{"table", "id", "fields"}`), for `bench/pouchdb` to replicate the
//! same documents; `--json` prints the results as one JSON object instead of sentences.
//! `scripts/bench-sync.sh` runs both sides.

#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use preau_core::Store;
use preau_protocol::Change;
use preau_sync::{Client, Progress, SyncOptions};

struct Server {
    child: Child,
    url: String,
    bin: PathBuf,
    dir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn admin(&self, args: &[&str]) -> String {
        let out = Command::new(&self.bin)
            .arg("--data-dir")
            .arg(&self.dir)
            .args(args)
            .stderr(Stdio::null())
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}");
        String::from_utf8(out.stdout).unwrap()
    }

    fn code(&self) -> String {
        let out = self.admin(&["enroll", "--adviser", "Banc d'essai"]);
        out.split_whitespace().last().unwrap().to_string()
    }

    fn memory_kib(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let get = |key: &str| {
            status
                .lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        (get("VmRSS:"), get("VmHWM:"))
    }

    fn cpu_seconds(&self) -> f64 {
        cpu_seconds(&self.child.id().to_string())
    }
}

/// The CPU time (user + system, every thread, those ended included) process `pid` has used
/// (`self`: this one), from /proc/PID/stat, in seconds.
fn cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // utime and stime, fields 14 and 15 of proc(5)'s stat, are the 12th and 13th after the
    // command name (in parentheses, which may hold spaces); in USER_HZ ticks, 100 a second
    // on every Linux ABI.
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    let ticks = |i: usize| fields[i].parse::<f64>().unwrap();
    (ticks(11) + ticks(12)) / 100.0
}

fn start_server(dir: &Path) -> Server {
    let exe = std::env::current_exe().unwrap();
    let bin = exe.parent().unwrap().parent().unwrap().join("preau-server");
    assert!(bin.exists(), "build preau-server first ({})", bin.display());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(&bin)
        .arg("--data-dir")
        .arg(dir)
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server {
        child,
        url: format!("http://127.0.0.1:{port}"),
        bin,
        dir: dir.to_path_buf(),
    };
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return server;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("server did not start");
}

/// Writes `visits` visits of 50 rows each into a laptop store (the sync triggers log them
/// as they would for typed data); `key`: the store's SQLCipher key, if it is encrypted.
fn fill(store_path: &Path, key: Option<&preau_core::StoreKey>, visits: usize) -> usize {
    let mut c = rusqlite::Connection::open(store_path).unwrap();
    if let Some(key) = key {
        key.unlock(&c).unwrap();
    }
    let tx = c.transaction().unwrap();
    let id = preau_core::make_id;
    let schools = [id(), id()];
    for (i, s) in schools.iter().enumerate() {
        tx.execute(
            "INSERT INTO schools (id, uai, name, kind, public, commune_insee, classes, pupils, source, updated_at)
             VALUES (?1, ?2, ?3, 'primaire', 1, '80620', 3, 60, 'adviser', '2026-11-01T00:00:00Z')",
            rusqlite::params![s, format!("0800{i:03}X"), format!("École {i}")],
        )
        .unwrap();
    }
    let mut rows = 2;
    for v in 0..visits {
        let visit = id();
        tx.execute(
            "INSERT INTO visits (id, commune_insee, scheduled_at, notes, created_at, updated_at)
             VALUES (?1, '80620', '2026-12-03T18:00:00', ?2, '2026-11-01T00:00:00Z', '2026-11-01T00:00:00Z')",
            rusqlite::params![visit, format!("Visite {v}")],
        )
        .unwrap();
        rows += 1;
        for s in &schools {
            tx.execute(
                "INSERT INTO visit_schools (visit_id, school_id) VALUES (?1, ?2)",
                [&visit, s],
            )
            .unwrap();
            tx.execute(
                "INSERT INTO pedagogy (visit_id, school_id, training_needs) VALUES (?1, ?2, 'ENT')",
                [&visit, s],
            )
            .unwrap();
            tx.execute(
                "INSERT INTO school_situations (visit_id, school_id, mobile_devices, mobile_charging, wifi,
                   wifi_switchable, internet, ent) VALUES (?1, ?2, 8, 1, 'partiel', 1, 'adsl', NULL)",
                [&visit, s],
            )
            .unwrap();
            rows += 3;
        }
        for p in 0..5 {
            tx.execute(
                "INSERT INTO participants (id, visit_id, position, name, role) VALUES (?1, ?2, ?3, ?4, 'maire')",
                rusqlite::params![id(), visit, p as i64, format!("Participant {p}")],
            )
            .unwrap();
            rows += 1;
        }
        let mut objectives = Vec::new();
        for o in 0..6 {
            let oid = id();
            tx.execute(
                "INSERT INTO objectives (id, visit_id, school_id, position, label) VALUES (?1, ?2, ?3, ?4, ?5)",
                rusqlite::params![oid, visit, schools[o % 2], o as i64, format!("Objectif {o}")],
            )
            .unwrap();
            objectives.push(oid);
            rows += 1;
        }
        for k in 0..4 {
            tx.execute(
                "INSERT INTO class_situations (id, visit_id, school_id, position, name, pupils, display, teacher_computer)
                 VALUES (?1, ?2, ?3, ?4, ?5, 20, 'vpi', 1)",
                rusqlite::params![id(), visit, schools[k % 2], k as i64, format!("Classe {k}")],
            )
            .unwrap();
            rows += 1;
        }
        for (label, scenario) in ["A", "B"].iter().map(|l| (l, id())) {
            tx.execute(
                "INSERT INTO scenarios (id, visit_id, label, title) VALUES (?1, ?2, ?3, 'Scénario')",
                rusqlite::params![scenario, visit, label],
            )
            .unwrap();
            rows += 1;
            for n in 0..10 {
                let line = id();
                tx.execute(
                    "INSERT INTO equipment_lines (id, scenario_id, position, school_id, catalogue_version, reference,
                       designation, category, unit, unit_price_cents, vat_rate_bp, budget_section, quantity)
                     VALUES (?1, ?2, ?3, ?4, 'demo', 'REF', 'Tablette', 'mobile', 'unité', 35000, 2000, 'investissement', 4)",
                    rusqlite::params![line, scenario, n as i64, schools[n % 2]],
                )
                .unwrap();
                rows += 1;
                if n < 3 {
                    tx.execute(
                        "INSERT INTO line_objectives (line_id, objective_id) VALUES (?1, ?2)",
                        [&line, &objectives[n]],
                    )
                    .unwrap();
                    rows += 1;
                }
            }
        }
    }
    tx.commit().unwrap();
    rows
}

fn laptop(dir: &Path, server: &Server, rt: &tokio::runtime::Runtime) -> Store {
    enrolled(Store::open_in(dir).unwrap(), server, rt)
}

fn enrolled(mut store: Store, server: &Server, rt: &tokio::runtime::Runtime) -> Store {
    rt.block_on(preau_sync::enroll(
        &mut store,
        &server.url,
        &server.code(),
        "banc",
        SyncOptions::default(),
    ))
    .unwrap();
    store
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Writes every record the server holds, as pulled (so, the rows the push sent), one JSON
/// object a line; returns how many.
fn dump(server: &Server, token: String, file: &Path, rt: &tokio::runtime::Runtime) -> usize {
    let client = Client::new(&server.url, Some(token), SyncOptions::default()).unwrap();
    let mut out = std::io::BufWriter::new(std::fs::File::create(file).unwrap());
    let (mut cursor, mut n) = (0, 0);
    loop {
        let page = rt.block_on(client.pull(cursor, &mut |_| {})).unwrap();
        for r in page.records.iter().filter(|r| !r.deleted) {
            let row = serde_json::json!({"table": r.table, "id": r.record_id, "fields": r.fields});
            serde_json::to_writer(&mut out, &row).unwrap();
            out.write_all(b"\n").unwrap();
            n += 1;
        }
        if !page.more {
            break;
        }
        cursor = page.next_cursor;
    }
    out.flush().unwrap();
    n
}

/// A server started in `dir` with the catalogue and the funding rules published.
fn server_with_reference(dir: &Path) -> Server {
    let server = start_server(dir);
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    for (kind, file) in [
        ("catalogue", "data/reference/catalogue-syndicat-exemple.csv"),
        ("funding", "data/reference/funding_rules.json"),
    ] {
        server.admin(&["import", kind, repo.join(file).to_str().unwrap()]);
    }
    server
}

/// The rows the server in `from` holds for the pushes it took (`records`, and
/// `changes_seen`: each change's id, for a change sent twice, and the state it replaced,
/// for `devices revert`), written into the empty database of a server made in `to`
/// (same schema, indexes and pragmas) by prepared statements, `batch` changes a
/// transaction as the push committed them: how many rows, and how long the writing took.
fn storage_floor(from: &Path, to: &Path, batch: usize) -> (usize, Duration) {
    drop(start_server(to)); // makes the database, with its schema
    let db = preau_server::storage::sqlite::DB_FILE;
    let src = rusqlite::Connection::open(from.join(db)).unwrap();
    let read = |sql: &str, n: usize| -> Vec<Vec<rusqlite::types::Value>> {
        let mut stmt = src.prepare(sql).unwrap();
        stmt.query_map([], |r| (0..n).map(|i| r.get(i)).collect())
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    };
    let records = read(
        "SELECT tbl, record_id, revision, deleted, fields, meta, conflicts, owner, root
         FROM records ORDER BY revision",
        9,
    );
    let seen = read(
        "SELECT change_id, device_id, revision, status, tbl, record_id, at, before_deleted,
           before_fields FROM changes_seen ORDER BY revision",
        9,
    );
    let mut dst = rusqlite::Connection::open(to.join(db)).unwrap();
    for (pragma, value) in [
        ("journal_mode", "WAL"),
        ("synchronous", "FULL"),
        ("secure_delete", "ON"),
    ] {
        dst.pragma_update(None, pragma, value).unwrap();
    }
    let start = Instant::now();
    for (recs, seens) in records.chunks(batch).zip(seen.chunks(batch)) {
        let tx = dst
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .unwrap();
        {
            let mut put = tx
                .prepare_cached(
                    "INSERT INTO records (tbl, record_id, revision, deleted, fields, meta,
                       conflicts, owner, root) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )
                .unwrap();
            for r in recs {
                put.execute(rusqlite::params_from_iter(r)).unwrap();
            }
            let mut put = tx
                .prepare_cached(
                    "INSERT INTO changes_seen (change_id, device_id, revision, status, tbl,
                       record_id, at, before_deleted, before_fields)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )
                .unwrap();
            for r in seens {
                put.execute(rusqlite::params_from_iter(r)).unwrap();
            }
        }
        tx.commit().unwrap();
    }
    (records.len() + seen.len(), start.elapsed())
}

/// One sync of `store`: its report, the time until the push was done, the whole time.
fn timed_sync(
    store: &mut Store,
    rt: &tokio::runtime::Runtime,
) -> (preau_sync::SyncReport, Duration, Duration) {
    let start = Instant::now();
    let mut pushed_at = None;
    let report = rt
        .block_on(preau_sync::sync(store, SyncOptions::default(), &mut |p| {
            if let Progress::Pushing { done, total } = p {
                if done == total {
                    pushed_at = Some(start.elapsed());
                }
            }
        }))
        .unwrap();
    let total = start.elapsed();
    (report, pushed_at.unwrap_or(total), total)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut dump_to, mut json) = (None, false);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--json" => json = true,
            "--dump" => dump_to = Some(PathBuf::from(args.next().expect("--dump FILE"))),
            other => panic!("unknown argument {other} (expected --dump FILE, --json)"),
        }
    }
    let say = |line: String| {
        if !json {
            println!("{line}");
        }
    };
    let tmp = tempfile::tempdir().unwrap();
    let server = server_with_reference(&tmp.path().join("server"));
    // The runtime the app and the CLI sync on.
    let rt = preau_sync::runtime().unwrap();

    // 1. Push of 1,000 visits.
    let mut a = laptop(&tmp.path().join("a"), &server, &rt);
    let rows = fill(a.path(), None, 1_000);
    let cpu_before = (server.cpu_seconds(), cpu_seconds("self"));
    let (report, push, total) = timed_sync(&mut a, &rt);
    // Until the pull's end: the push's share is the most of it.
    let (push_server_cpu, push_laptop_cpu) = (
        server.cpu_seconds() - cpu_before.0,
        cpu_seconds("self") - cpu_before.1,
    );
    say(format!(
        "push of 1,000 visits ({rows} rows, {} changes): {:.2} s (whole sync incl. pulling them back: {:.2} s)",
        report.pushed,
        push.as_secs_f64(),
        total.as_secs_f64()
    ));
    say(format!(
        "  CPU used by that sync (push and pull): server {push_server_cpu:.2} s, laptop {push_laptop_cpu:.2} s"
    ));
    let pushed = report.pushed;
    let dumped = dump_to.as_ref().map(|file| {
        let token = a.sync_settings().unwrap().token.unwrap();
        let n = dump(&server, token, file, &rt);
        say(format!("{n} rows written to {}", file.display()));
        n
    });

    // 5. The server's storage alone, under the push of 1 (read before other laptops push).
    let (floor_rows, floor) = storage_floor(
        &tmp.path().join("server"),
        &tmp.path().join("server-floor"),
        preau_protocol::MAX_BATCH_CHANGES,
    );
    say(format!(
        "floor under that push: the server's {floor_rows} rows for it (records, changes seen) \
         written again alone, in transactions of {} changes: {:.2} s",
        preau_protocol::MAX_BATCH_CHANGES,
        floor.as_secs_f64()
    ));

    // 2. First sync of a new laptop.
    let mut b = laptop(&tmp.path().join("b"), &server, &rt);
    let start = Instant::now();
    let report = rt
        .block_on(preau_sync::sync(
            &mut b,
            SyncOptions::default(),
            &mut |_| {},
        ))
        .unwrap();
    let first_sync = start.elapsed();
    say(format!(
        "first sync of a new laptop ({} records, reference {:?}): {:.2} s",
        report.pulled,
        report.reference_updated,
        first_sync.as_secs_f64()
    ));
    let pulled = report.pulled;

    // 3. 100 laptops at once, each pushing 10 batches of 50 changes and pulling.
    let tokens: Vec<String> = (0..100)
        .map(|i| {
            let dir = tmp.path().join(format!("l{i}"));
            let s = laptop(&dir, &server, &rt);
            s.sync_settings().unwrap().token.unwrap()
        })
        .collect();
    // A hundred machines, not the app: the default runtime (a worker a core).
    let many = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    // On this one machine the server and the hundred laptops share the cores: what each
    // used is printed, to read the latencies with.
    let (server_cpu, laptops_cpu) = (server.cpu_seconds(), cpu_seconds("self"));
    let start = Instant::now();
    let latencies = many.block_on(async {
        let mut tasks = Vec::new();
        for token in tokens {
            let url = server.url.clone();
            tasks.push(tokio::spawn(async move {
                // Pages of 1,000 here, as the figure says (a sync uses the protocol's 2,000).
                let opts = SyncOptions {
                    page_size: 1_000,
                    ..SyncOptions::default()
                };
                let client = Client::new(&url, Some(token), opts).unwrap();
                // Each laptop's participants hang from a visit of its own (the server
                // takes nothing under a visit it does not have).
                let visit = uuid::Uuid::now_v7().to_string();
                let made = Change {
                    change_id: uuid::Uuid::now_v7(),
                    table: "visits".into(),
                    record_id: visit.clone(),
                    base_revision: 0,
                    fields: serde_json::json!({"id": visit, "commune_insee": "80620",
                        "scheduled_at": "2026-12-03T18:00:00", "notes": "",
                        "created_at": "2026-12-01T00:00:00.000Z",
                        "updated_at": "2026-12-01T00:00:00.000Z"})
                    .as_object()
                    .cloned()
                    .unwrap(),
                    deleted: false,
                };
                client.push(vec![made], &mut |_| {}).await.unwrap();
                let mut lat = Vec::new();
                for _ in 0..10 {
                    let changes: Vec<Change> = (0..50)
                        .map(|i| Change {
                            change_id: uuid::Uuid::now_v7(),
                            table: "participants".into(),
                            record_id: uuid::Uuid::now_v7().to_string(),
                            base_revision: 0,
                            fields: serde_json::json!({"visit_id": visit, "name": format!("P{i}"),
                                "role": "maire", "position": i})
                            .as_object()
                            .cloned()
                            .unwrap(),
                            deleted: false,
                        })
                        .collect();
                    let t = Instant::now();
                    let resp = client.push(changes, &mut |_| {}).await.unwrap();
                    lat.push((t.elapsed(), Instant::now()));
                    assert!(
                        resp.acks
                            .iter()
                            .all(|a| a.status != preau_protocol::AckStatus::Refused),
                        "the bench's changes are taken"
                    );
                }
                let t = Instant::now();
                client.pull(0, &mut |_| {}).await.unwrap();
                (lat, t, t.elapsed())
            }));
        }
        let mut all = Vec::new();
        let mut pulls = Vec::new();
        for t in tasks {
            let (lat, pull_start, pull) = t.await.unwrap();
            all.extend(lat);
            pulls.push((pull_start, pull));
        }
        (all, pulls)
    });
    let wall = start.elapsed();
    let server_cpu = server.cpu_seconds() - server_cpu;
    let laptops_cpu = cpu_seconds("self") - laptops_cpu;
    let (pushes_at, pulls_at) = latencies;
    // The pushes answered before the first laptop began its pull: the rest shared the
    // cores with pages of 1,000 records being read, sent and parsed.
    let first_pull = pulls_at.iter().map(|(start, _)| *start).min().unwrap();
    let mut before_pulls: Vec<Duration> = pushes_at
        .iter()
        .filter(|(_, done)| *done < first_pull)
        .map(|(lat, _)| *lat)
        .collect();
    before_pulls.sort();
    let mut pushes: Vec<Duration> = pushes_at.iter().map(|(lat, _)| *lat).collect();
    pushes.sort();
    let mut pulls: Vec<Duration> = pulls_at.iter().map(|(_, lat)| *lat).collect();
    pulls.sort();
    let (rss, peak) = server.memory_kib();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let (p50, p99, max) = (
        ms(percentile(&pushes, 0.5)),
        ms(percentile(&pushes, 0.99)),
        ms(*pushes.last().unwrap()),
    );
    let pull_p99 = ms(percentile(&pulls, 0.99));
    let before_pulls_p99 = ms(percentile(&before_pulls, 0.99));
    say(format!(
        "100 concurrent laptops: {} push batches of 50 in {:.2} s; push p50 {p50:.0} ms, p99 {p99:.0} ms, \
         max {max:.0} ms; pull of 1,000 records p99 {pull_p99:.0} ms; server memory {} MiB (peak {} MiB)",
        pushes.len(),
        wall.as_secs_f64(),
        rss / 1024,
        peak / 1024
    ));
    say(format!(
        "  the {} batches answered before any laptop pulled: p99 {before_pulls_p99:.0} ms; \
         CPU used meanwhile: server {server_cpu:.2} s, the 100 laptops (this process) {laptops_cpu:.2} s",
        before_pulls.len()
    ));
    // 4. The push of 1,000 visits again, from a store encrypted as the app's and preau-cli's
    // are (SQLCipher: every page written is encrypted, every page read from the file
    // decrypted), to a server of its own (as empty as the first one was).
    let server_e = server_with_reference(&tmp.path().join("server-e"));
    let secrets: std::sync::Arc<dyn preau_core::secrets::SecretStore> =
        std::sync::Arc::new(preau_core::secrets::MemorySecrets::new());
    let dir_e = tmp.path().join("e");
    let store_e = Store::open_encrypted(&dir_e, std::sync::Arc::clone(&secrets)).unwrap();
    let mut e = enrolled(store_e, &server_e, &rt);
    let key = preau_core::store_key(&dir_e, secrets.as_ref(), false)
        .unwrap()
        .expect("the encrypted store's key");
    let rows_e = fill(e.path(), Some(&key), 1_000);
    let (report_e, push_e, _) = timed_sync(&mut e, &rt);
    assert_eq!(rows_e, rows, "the same rows as the first push");
    say(format!(
        "push of 1,000 visits from an encrypted store ({} changes): {:.2} s ({:.2}× the plain store's)",
        report_e.pushed,
        push_e.as_secs_f64(),
        push_e.as_secs_f64() / push.as_secs_f64()
    ));
    if json {
        let out = serde_json::json!({
            "rows": rows,
            "changes": pushed,
            "dumped": dumped,
            "push_s": push.as_secs_f64(),
            "push_sync_s": total.as_secs_f64(),
            "push_encrypted_s": push_e.as_secs_f64(),
            "push_server_cpu_s": push_server_cpu,
            "push_laptop_cpu_s": push_laptop_cpu,
            "storage_floor_s": floor.as_secs_f64(),
            "storage_floor_rows": floor_rows,
            "first_sync_s": first_sync.as_secs_f64(),
            "first_sync_records": pulled,
            "laptops": {
                "batches": pushes.len(),
                "wall_s": wall.as_secs_f64(),
                "push_p50_ms": p50,
                "push_p99_ms": p99,
                "push_max_ms": max,
                "pull_p99_ms": pull_p99,
                "before_pulls_batches": before_pulls.len(),
                "before_pulls_p99_ms": before_pulls_p99,
                "server_cpu_s": server_cpu,
                "laptops_cpu_s": laptops_cpu,
                "server_rss_mib": rss / 1024,
                "server_peak_mib": peak / 1024,
            },
        });
        println!("{out}");
    }
}
