//! The `preau-cli` binary as a script would run it, on real data directories.

use std::path::Path;
use std::process::{Command, Output};

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
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
            &fixture("annuaire-education-somme.csv"),
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
    let db = dir.path().join("preau.db");
    // SQLite keeps `user_version` at offset 60 of the header, big-endian.
    let mut bytes = std::fs::read(&db).expect("read");
    bytes[60..64].copy_from_slice(&999u32.to_be_bytes());
    std::fs::write(&db, bytes).expect("write");
    let out = cli(dir.path(), &["visits", "list"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("version plus récente"),
        "{}",
        stderr(&out)
    );
}
