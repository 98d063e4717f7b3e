//! The `preau-cli` binary as a script would run it, on real data directories.

use std::path::Path;
use std::process::{Command, Output};

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(if name.starts_with("annuaire-") {
            // The directory files are the parsers' fixtures; the example visit is the app's.
            "../preau-reference/tests/fixtures"
        } else {
            "../../tests/fixtures"
        })
        .join(name)
        .display()
        .to_string()
}

fn cli(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_preau-cli"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("PREAU_DATA_DIR")
        .output()
        .expect("run preau-cli")
}

/// A connection to the CLI's encrypted store, keyed as the CLI does (the key from the
/// session's keyring): to change the file behind its back.
fn keyed(dir: &Path) -> rusqlite::Connection {
    let key = preau_core::store_key(dir, &preau_core::secrets::OsKeyring::new(), false)
        .expect("keyring")
        .expect("the store is encrypted: its key is in the keyring");
    let conn = rusqlite::Connection::open(dir.join("preau.db")).expect("open");
    key.unlock(&conn).expect("key");
    conn
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn search_prints_insee_name_population_best_first() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = cli(dir.path(), &["communes", "search", "peronne"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let first = stdout(&out).lines().next().map(str::to_string);
    assert_eq!(first.as_deref(), Some("80620\tPéronne\t7090"));

    let out = cli(
        dir.path(),
        &["communes", "search", "St Valery", "--limit", "1"],
    );
    assert_eq!(stdout(&out), "80721\tSaint-Valery-sur-Somme\t2306\n");
    let out = cli(dir.path(), &["communes", "search", "xyzzy"]);
    assert!(out.status.success());
    assert_eq!(stdout(&out), "", "no match prints nothing");
}

#[test]
fn import_then_plan_and_list_visits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = cli(
        dir.path(),
        &[
            "schools",
            "import",
            &fixture("annuaire-education-2024-somme.csv"),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("7 école(s) ajoutée(s), 0 mise(s) à jour, 2 ligne(s) ignorée(s)")
    );
    let out = cli(dir.path(), &["schools", "list", "80620"]);
    assert_eq!(stdout(&out).lines().count(), 3);

    let out = cli(
        dir.path(),
        &[
            "visits",
            "create",
            "--commune",
            "80620",
            "--at",
            "2026-12-03T18:00",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let id = stdout(&out).trim().to_string();
    assert_eq!(uuid_version(&id), Some('7'), "ids are UUIDv7: {id}");
    let out = cli(dir.path(), &["visits", "list"]);
    assert_eq!(
        stdout(&out),
        format!("{id}\t2026-12-03 18:00\tPéronne\t0\n")
    );
}

fn uuid_version(id: &str) -> Option<char> {
    (id.len() == 36).then(|| id.chars().nth(14)).flatten()
}

#[test]
fn bad_input_exits_non_zero_with_one_french_line_and_changes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("absent.csv").display().to_string();
    let bad_rows = fixture("annuaire-education-erreurs.csv");
    let cases: &[(&[&str], &str)] = &[
        (&["schools", "import", &bad_rows], "ligne 3 : UAI invalide"),
        (&["schools", "import", &missing], "impossible de lire"),
        (
            &[
                "visits",
                "create",
                "--commune",
                "99999",
                "--at",
                "2026-12-03T18:00",
            ],
            "Commune inconnue",
        ),
        (
            &[
                "visits",
                "create",
                "--commune",
                "80620",
                "--at",
                "2026-02-30T18:00",
            ],
            "Date ou heure invalide",
        ),
        (&["schools", "list", "00000"], "introuvable"),
    ];
    for (args, want) in cases {
        let out = cli(dir.path(), args);
        assert!(!out.status.success(), "{args:?} should fail");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "one line for {args:?}: {err}");
        assert!(
            err.starts_with("erreur : ") && err.contains(want),
            "{args:?}: {err}"
        );
    }
    assert_eq!(stdout(&cli(dir.path(), &["visits", "list"])), "");
    assert_eq!(stdout(&cli(dir.path(), &["schools", "list", "80620"])), "");
}

#[test]
fn a_newer_data_file_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    assert!(cli(dir.path(), &["visits", "list"]).status.success());
    keyed(dir.path())
        .pragma_update(None, "user_version", 999)
        .expect("newer version");
    let out = cli(dir.path(), &["visits", "list"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("version plus récente"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_visit_is_exported_imported_and_planned() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fixture_path = fixture("visit-peronne-2-ecoles.json");
    let out = cli(dir.path(), &["visits", "import", &fixture_path]);
    assert!(out.status.success(), "{}", stderr(&out));
    let id = stdout(&out).trim().to_string();

    let exported = dir.path().join("export.json");
    let out = cli(
        dir.path(),
        &[
            "visits",
            "export",
            &id,
            "--out",
            &exported.display().to_string(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let original = std::fs::read_to_string(&fixture_path).expect("fixture");
    assert_eq!(
        std::fs::read_to_string(&exported).expect("export"),
        original
    );

    let out = cli(dir.path(), &["visits", "plan", &id]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for want in [
        "Scénario A — Socle complet",
        "  Total HT\t11\u{202f}926,00\u{a0}€",
        "  Total TTC\t14\u{202f}311,20\u{a0}€",
        "(à vérifier)",
        "Scénario B — Écrans seulement",
        "  Reste à charge TTC\t1\u{202f}333,87\u{a0}€",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
    let out = cli(dir.path(), &["visits", "plan", &id, "--json"]);
    let plans: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(plans[0]["plan"]["total_ht_cents"], 1_192_600);
}

#[test]
fn malformed_and_newer_visit_files_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.json");
    let cases = [
        ("{ pas du json", "JSON valide"),
        (
            "{\"format\":\"preau-visit\",\"version\":7}",
            "version plus récente",
        ),
        (
            "{\"format\":\"autre\",\"version\":1}",
            "pas une visite exportée",
        ),
    ];
    for (text, want) in cases {
        std::fs::write(&bad, text).expect("write");
        let out = cli(
            dir.path(),
            &["visits", "import", &bad.display().to_string()],
        );
        assert!(!out.status.success());
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(want), "{err}");
    }
    assert_eq!(stdout(&cli(dir.path(), &["visits", "list"])), "");
}

fn sha256(path: &Path) -> String {
    let out = Command::new("sha256sum")
        .arg(path)
        .output()
        .expect("sha256sum");
    stdout(&out)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn a_proposal_is_drafted_rendered_issued_once_and_reprinted_identically() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let ok = |args: &[&str]| {
        let out = cli(d, args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        stdout(&out).trim().to_string()
    };
    ok(&[
        "schools",
        "import",
        &fixture("annuaire-education-2024-somme.csv"),
    ]);
    let visit = ok(&["visits", "import", &fixture("visit-peronne-2-ecoles.json")]);
    let draft = ok(&["proposals", "draft", &visit, "--civility", "monsieur"]);
    assert_eq!(uuid_version(&draft), Some('7'));

    let preview = d.join("projet.pdf");
    ok(&[
        "proposals",
        "render",
        &draft,
        "--out",
        &preview.display().to_string(),
    ]);
    assert!(std::fs::read(&preview).expect("pdf").starts_with(b"%PDF-"));

    let issued = ok(&["proposals", "issue", &draft, "--date", "2026-11-29"]);
    let (reference, hash) = issued.split_once('\t').expect("reference and hash");
    assert!(
        reference.starts_with("2026-") && reference.ends_with(" rév. 1"),
        "{reference}"
    );

    // Printed again later: the very bytes that were issued.
    let copy = d.join("copie.pdf");
    ok(&[
        "proposals",
        "render",
        &draft,
        "--out",
        &copy.display().to_string(),
    ]);
    assert_eq!(sha256(&copy), hash);

    // A second issue is refused in French and changes nothing.
    let out = cli(d, &["proposals", "issue", &draft]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("déjà émise"), "{}", stderr(&out));
    let list = ok(&["proposals", "list", &visit]);
    assert_eq!(list.lines().count(), 1);
    assert!(list.contains("Émise") && list.contains(hash), "{list}");

    // « Acceptée » (issue 13): two scenarios shown, so which one is required; a refusal
    // takes neither flag; the scenario by its label, with the deliberation date.
    let out = cli(d, &["proposals", "decide", &draft, "acceptee"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("plusieurs scénarios"),
        "{}",
        stderr(&out)
    );
    let out = cli(
        d,
        &["proposals", "decide", &draft, "refusee", "--scenario", "B"],
    );
    assert!(!out.status.success());
    let out = cli(
        d,
        &["proposals", "decide", &draft, "acceptee", "--scenario", "Z"],
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("ne fait pas partie"),
        "{}",
        stderr(&out)
    );
    let out = cli(
        d,
        &[
            "proposals",
            "decide",
            &draft,
            "acceptee",
            "--scenario",
            "B",
            "--deliberation",
            "2026-01-01",
        ],
    );
    assert!(!out.status.success(), "a deliberation before the issue");
    assert!(
        ok(&["proposals", "list", &visit]).contains("Émise"),
        "nothing recorded"
    );
    let answered = ok(&[
        "proposals",
        "decide",
        &draft,
        "acceptee",
        "--scenario",
        "B",
        "--deliberation",
        "2027-01-12",
        "--date",
        "2026-12-10",
    ]);
    assert_eq!(
        answered,
        format!("{reference}\tAcceptée — scénario B, délibération du 12 janvier 2027")
    );

    // The next draft is revision 2 of the same number.
    let next = ok(&["proposals", "draft", &visit]);
    assert_ne!(next, draft);
    let list = ok(&["proposals", "list", &visit]);
    let number = reference.trim_end_matches(" rév. 1");
    assert!(list.contains(&format!("{number} rév. 2")), "{list}");
}

#[test]
fn doctor_passes_a_sound_store_and_names_each_problem_of_a_broken_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = cli(dir.path(), &["doctor"]);
    assert!(!out.status.success(), "no store yet: nothing to check");
    assert!(
        stderr(&out).contains("aucun fichier de données"),
        "{}",
        stderr(&out)
    );

    let out = cli(
        dir.path(),
        &["visits", "import", &fixture("visit-peronne-2-ecoles.json")],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    // Edited twice before any sync: the store stays sound (issue 9).
    let visit = stdout(&out).trim().to_string();
    let db = dir.path().join("preau.db");
    for notes in ["première", "deuxième"] {
        let conn = keyed(dir.path());
        conn.execute(
            "UPDATE visits SET notes = ?1 WHERE id = ?2",
            [notes, &visit],
        )
        .expect("edit");
    }
    let out = cli(dir.path(), &["doctor"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("Aucun problème trouvé"),
        "{}",
        stdout(&out)
    );

    // The change log silenced, a field it does not know, a record it lost track of.
    let before = std::fs::read(&db).expect("read");
    {
        let conn = keyed(dir.path());
        conn.execute_batch(
            "INSERT INTO sync_guard (on_) VALUES (1);
             UPDATE visits SET notes = 'jamais envoyé';
             INSERT INTO sync_log (tbl, record_id, field, seq)
               SELECT 'participants', id, 'pointure', 1 FROM participants LIMIT 1;
             DELETE FROM sync_log WHERE tbl = 'schools';",
        )
        .expect("damage");
    }
    let damaged = std::fs::read(&db).expect("read");
    let out = cli(dir.path(), &["doctor"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(
        text.contains("champ inconnu : « participants.pointure »"),
        "{text}"
    );
    assert!(
        text.contains("journal des modifications est suspendu"),
        "{text}"
    );
    assert!(
        text.contains("« schools »") && text.contains("n’a jamais été envoyé"),
        "{text}"
    );
    assert!(
        stderr(&out).contains("problème(s) trouvé(s)"),
        "{}",
        stderr(&out)
    );
    assert_ne!(before, damaged);
    assert_eq!(
        std::fs::read(&db).expect("read"),
        damaged,
        "the doctor changes nothing"
    );
}

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Issue 12: a copy of the data directory (a stolen laptop's disk, another local user)
/// shows no participant's name, in the store, its WAL or its backups — including a store
/// and backups an earlier, unencrypted Préau left, which the CLI encrypts on first use
/// with a key it keeps in the session's keyring (the real Secret Service).
#[test]
fn no_participant_name_is_readable_in_the_data_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("donnees");
    let names = ["Marie Dupont", "Paul Martin", "Anne Leroy"];
    let readable = |needle: &str| -> Vec<String> {
        files(&data)
            .into_iter()
            .filter(|f| {
                let bytes = std::fs::read(f).expect("read");
                bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
            })
            .map(|f| f.display().to_string())
            .collect()
    };
    {
        // As an earlier Préau left it: plain SQLite, its backup too (0644 in 0755).
        let mut plain = preau_core::Store::open_in(&data).expect("plain store");
        let text =
            std::fs::read_to_string(fixture("visit-peronne-2-ecoles.json")).expect("fixture");
        let doc = preau_core::workflow::VisitExport::parse(&text).expect("parse");
        plain.visit_import(&doc).expect("import");
    }
    for b in preau_core::list_backups(&data.join("preau.db")).expect("backups") {
        std::fs::remove_file(&b.path).expect("remove");
    }
    drop(preau_core::Store::open_in(&data).expect("plain again: its backup has the names"));
    assert!(
        !readable("Marie Dupont").is_empty(),
        "the test sees plain text"
    );

    let out = cli(&data, &["visits", "list"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("Péronne"), "{}", stdout(&out));
    // Real edits through the CLI on the encrypted store.
    let out = cli(
        &data,
        &["visits", "import", &fixture("visit-peronne-2-ecoles.json")],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = cli(
        &data,
        &[
            "visits",
            "create",
            "--commune",
            "80620",
            "--at",
            "2026-12-09T18:00",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));

    for name in names {
        assert_eq!(readable(name), Vec::<String>::new(), "{name} readable");
    }
    assert_eq!(readable("SQLite format 3"), Vec::<String>::new());
    assert!(!data.join("preau.db.avant-chiffrement").exists());
    let participants: i64 = keyed(&data)
        .query_row("SELECT count(*) FROM participants", [], |r| r.get(0))
        .expect("the key in the keyring opens the store");
    assert_eq!(participants, 3);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
        assert_eq!(mode(&data), 0o700);
        for f in files(&data) {
            assert_eq!(mode(&f), 0o600, "{}", f.display());
        }
    }
    let out = cli(&data, &["doctor"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
}

/// Another session's keyring (the key removed from the real Secret Service): the CLI says
/// so in French and changes nothing; `start-over` sets the store aside (same bytes, never
/// deleted) and a new store opens; a store that opens is never set aside.
#[test]
fn a_lost_key_is_said_and_start_over_sets_the_store_aside() {
    use preau_core::secrets::{secret_name, OsKeyring, SecretKind, SecretStore};
    let dir = tempfile::tempdir().expect("tempdir");
    let out = cli(
        dir.path(),
        &[
            "visits",
            "create",
            "--commune",
            "80620",
            "--at",
            "2026-12-03T18:00",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = cli(dir.path(), &["start-over"]);
    assert!(!out.status.success(), "a readable store is not set aside");
    assert!(
        stderr(&out).contains("rien n'a été mis de côté"),
        "{}",
        stderr(&out)
    );

    let db = dir.path().join("preau.db");
    let before = std::fs::read(&db).expect("read");
    OsKeyring::new()
        .delete(&secret_name(SecretKind::StoreKey, dir.path()))
        .expect("key removed");
    let out = cli(dir.path(), &["visits", "list"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("la clé qui les ouvre")
            && stderr(&out).contains("Rien n’a été effacé"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read(&db).expect("read"), before, "nothing changed");

    let out = cli(dir.path(), &["start-over"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let aside: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .flatten()
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with("preau.db.cle-introuvable-")
                && !name.ends_with("-wal")
                && !name.ends_with("-shm")
        })
        .collect();
    assert_eq!(aside.len(), 1);
    assert_eq!(std::fs::read(aside[0].path()).expect("kept"), before);
    let out = cli(dir.path(), &["visits", "list"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "", "a new, empty store");
}
