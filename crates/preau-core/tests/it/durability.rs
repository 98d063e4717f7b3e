//! A process killed in the middle of writes leaves a readable store holding every visit
//! it acknowledged. The test re-runs its own binary as the writer and kills it with
//! SIGKILL after a while.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use preau_core::model::{Participant, Role, VisitPatch};
use preau_core::Store;

const WRITER_ENV: &str = "PREAU_TEST_WRITER_DIR";

/// The writer: plans visits with participants forever, printing each id once committed.
#[test]
fn writer_child() {
    let Some(dir) = std::env::var_os(WRITER_ENV) else {
        return; // only runs when spawned by the test below
    };
    let mut store = Store::open_in(std::path::Path::new(&dir)).expect("writer opens");
    for i in 0u64.. {
        let visit = store
            .visit_create("80620", "2026-12-03T18:00")
            .expect("create");
        store
            .participant_save(
                &visit.id,
                &Participant {
                    id: preau_core::make_id(),
                    name: format!("Participant {i}"),
                    role: Role::Maire,
                    phone: None,
                    email: None,
                },
            )
            .expect("participant");
        store
            .visit_update(
                &visit.id,
                &VisitPatch {
                    notes: Some("x".repeat(2_000)),
                    ..Default::default()
                },
            )
            .expect("notes");
        println!("ack {}", visit.id);
    }
}

#[test]
fn a_killed_writer_loses_nothing_it_acknowledged() {
    let dir = tempfile::tempdir().expect("tempdir");
    drop(Store::open_in(dir.path()).expect("prepare"));
    let exe = std::env::current_exe().expect("test binary");
    for round in 0..3u64 {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "durability::writer_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(WRITER_ENV, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn writer");
        let stdout = child.stdout.take().expect("stdout");
        let mut acked = Vec::new();
        let started = Instant::now();
        // Kill at a different point each round.
        let wanted = 20 + round * 37;
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("line");
            if let Some(id) = line.strip_prefix("ack ") {
                acked.push(id.to_string());
            }
            if acked.len() as u64 >= wanted || started.elapsed() > Duration::from_secs(30) {
                break;
            }
        }
        child.kill().expect("SIGKILL");
        let _ = child.wait();
        assert!(!acked.is_empty(), "the writer acknowledged nothing");

        let store = Store::open_in(dir.path()).expect("store readable after the kill");
        for id in &acked {
            let visit = store.visit(id).expect("acknowledged visit present");
            assert_eq!(visit.participants.len(), 1, "visit {id} intact");
            assert_eq!(visit.notes.len(), 2_000);
        }
        let conn = rusqlite::Connection::open(store.path()).expect("raw");
        let check: String = conn
            .pragma_query_value(None, "integrity_check", |r| r.get(0))
            .expect("integrity_check");
        assert_eq!(check, "ok");
    }
}
