//! `preau-cli doctor`: checks a store file without changing it — SQLite's own integrity,
//! foreign keys, and the change log against the tables (issue 9). Problems are French
//! sentences for the adviser or the syndicate's IT person.
//!
//! The file is opened read-only on its own connection: the app may keep it open.

use std::collections::HashSet;
use std::path::Path;

use rusqlite::{Connection, OpenFlags, OptionalExtension};

use crate::error::{Error, Result};
use crate::store::StoreKey;
use crate::sync::SYNC_TABLES;

/// What the doctor found; no problem means the file is sound.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DoctorReport {
    /// French, one sentence each.
    pub problems: Vec<String>,
    /// What was checked, French, for the summary.
    pub checked: Vec<String>,
}

/// More problems than this of one kind are summed up in one line.
const MAX_LISTED: usize = 20;

/// Checks a plain store file (tests, tools); [`check_with_key`] for an encrypted one.
pub fn check(path: &Path) -> Result<DoctorReport> {
    check_with_key(path, None)
}

/// Checks the store file at `path`, opened with `key` when it is encrypted.
pub fn check_with_key(path: &Path, key: Option<&StoreKey>) -> Result<DoctorReport> {
    if !path.exists() {
        return Err(Error::Io(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("{} does not exist", path.display()),
        )));
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    crate::store::apply_key(&conn, key)?;
    let mut report = DoctorReport::default();
    integrity(&conn, &mut report)?;
    foreign_keys(&conn, &mut report)?;
    change_log(&conn, &mut report)?;
    Ok(report)
}

fn integrity(conn: &Connection, report: &mut DoctorReport) -> Result<()> {
    let mut stmt = conn.prepare("PRAGMA integrity_check")?;
    let lines: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    if lines != ["ok"] {
        for l in lines.iter().take(MAX_LISTED) {
            report.problems.push(format!(
                "Fichier endommagé (contrôle d’intégrité de SQLite) : {l}"
            ));
        }
    }
    report
        .checked
        .push("intégrité du fichier (SQLite)".to_string());
    Ok(())
}

fn foreign_keys(conn: &Connection, report: &mut DoctorReport) -> Result<()> {
    let mut stmt = conn.prepare("PRAGMA foreign_key_check")?;
    let rows: Vec<(String, Option<i64>, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (table, rowid, parent) in rows.iter().take(MAX_LISTED) {
        report.problems.push(format!(
            "Lien rompu : une ligne de « {table} » (n° {}) désigne une ligne absente de « {parent} ».",
            rowid.map_or_else(|| "?".to_string(), |r| r.to_string())
        ));
    }
    if rows.len() > MAX_LISTED {
        report.problems.push(format!(
            "… et {} autres liens rompus.",
            rows.len() - MAX_LISTED
        ));
    }
    report.checked.push("liens entre les tables".to_string());
    Ok(())
}

/// The record id of each row of a synced table, as the triggers write it.
fn record_ids(conn: &Connection, table: &str, key: &[&str]) -> Result<HashSet<String>> {
    let filter = if table == "proposals" {
        // Drafts stay on their laptop (schema 5): they are never logged.
        " WHERE status <> 'brouillon'"
    } else {
        ""
    };
    let sql = format!(
        "SELECT {} FROM {table}{filter}",
        key.iter()
            .map(|k| format!("\"{k}\""))
            .collect::<Vec<_>>()
            .join(" || '/' || ")
    );
    let mut stmt = conn.prepare(&sql)?;
    let ids = stmt
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(ids)
}

fn columns(conn: &Connection, table: &str) -> Result<HashSet<String>> {
    let mut stmt = conn.prepare("SELECT name FROM pragma_table_info(?1)")?;
    let cols = stmt
        .query_map([table], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(cols)
}

fn change_log(conn: &Connection, report: &mut DoctorReport) -> Result<()> {
    let mut listed = 0usize;
    let mut problem = |report: &mut DoctorReport, text: String| {
        listed += 1;
        if listed <= MAX_LISTED {
            report.problems.push(text);
        }
    };
    let guard: i64 = conn.query_row("SELECT count(*) FROM sync_guard", [], |r| r.get(0))?;
    if guard > 0 {
        problem(
            report,
            "Le journal des modifications est suspendu (table sync_guard non vide) : les \
             modifications faites maintenant ne seraient jamais envoyées au serveur."
                .to_string(),
        );
    }
    let last: i64 = conn.query_row("SELECT last FROM sync_log_seq", [], |r| r.get(0))?;
    let max_seq: Option<i64> = conn
        .query_row("SELECT max(seq) FROM sync_log", [], |r| r.get(0))
        .optional()?
        .flatten();
    // The triggers count first, then log `last + 1`: the newest entry is at most one ahead.
    if max_seq.is_some_and(|m| m > last + 1) {
        problem(
            report,
            "Le compteur du journal des modifications est en retard sur le journal.".to_string(),
        );
    }
    let known: HashSet<&str> = SYNC_TABLES.iter().map(|t| t.name).collect();
    let mut stmt = conn.prepare("SELECT DISTINCT tbl FROM sync_log")?;
    let logged_tables: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for t in &logged_tables {
        if !known.contains(t.as_str()) {
            problem(
                report,
                format!("Le journal des modifications nomme une table inconnue : « {t} »."),
            );
        }
    }
    let mut triggers: HashSet<String> = HashSet::new();
    {
        let mut stmt = conn.prepare(
            "SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' AND sql LIKE '%sync_log%'",
        )?;
        for t in stmt.query_map([], |r| r.get::<_, String>(0))? {
            triggers.insert(t?);
        }
    }
    for t in SYNC_TABLES {
        if !triggers.contains(t.name) {
            problem(
                report,
                format!(
                    "Les modifications de « {} » ne sont plus journalisées (déclencheurs absents).",
                    t.name
                ),
            );
        }
        let ids = record_ids(conn, t.name, t.key)?;
        let cols = columns(conn, t.name)?;
        let synced: HashSet<String> = {
            let mut stmt = conn.prepare("SELECT record_id FROM sync_records WHERE tbl = ?1")?;
            let rows = stmt.query_map([t.name], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let (whole, outgoing): (HashSet<String>, HashSet<String>) = {
            let mut stmt =
                conn.prepare("SELECT record_id FROM sync_log WHERE tbl = ?1 AND field = '*'")?;
            let rows = stmt.query_map([t.name], |r| r.get(0))?;
            let whole = rows.collect::<rusqlite::Result<_>>()?;
            let mut stmt = conn.prepare("SELECT record_id FROM sync_outgoing WHERE tbl = ?1")?;
            let rows = stmt.query_map([t.name], |r| r.get(0))?;
            (whole, rows.collect::<rusqlite::Result<_>>()?)
        };
        let mut stmt =
            conn.prepare("SELECT record_id, field FROM sync_log WHERE tbl = ?1 ORDER BY seq")?;
        let entries: Vec<(String, String)> = stmt
            .query_map([t.name], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (id, field) in &entries {
            match field.as_str() {
                "-" if ids.contains(id) => problem(
                    report,
                    format!(
                        "« {} » {id} est marqué supprimé dans le journal, mais il existe.",
                        t.name
                    ),
                ),
                "-" => {}
                _ if !ids.contains(id) => problem(
                    report,
                    format!(
                        "Le journal nomme « {} » {id}, qui n’existe pas (ni suppression notée).",
                        t.name
                    ),
                ),
                "*" => {}
                f if !cols.contains(f) => problem(
                    report,
                    format!("Le journal nomme un champ inconnu : « {}.{f} ».", t.name),
                ),
                _ => {}
            }
        }
        // A record the server has never acknowledged must be waiting to be sent whole,
        // or it never will be.
        for id in &ids {
            if !synced.contains(id) && !whole.contains(id) && !outgoing.contains(id) {
                problem(
                    report,
                    format!(
                        "« {} » {id} n’a jamais été envoyé au serveur et n’est pas dans le journal des modifications : il ne le serait jamais.",
                        t.name
                    ),
                );
            }
        }
    }
    if listed > MAX_LISTED {
        report.problems.push(format!(
            "… et {} autres problèmes du journal des modifications.",
            listed - MAX_LISTED
        ));
    }
    report
        .checked
        .push("journal des modifications à envoyer au serveur".to_string());
    Ok(())
}
