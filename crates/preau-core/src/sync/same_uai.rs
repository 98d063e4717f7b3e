//! One school per UAI on every laptop. Two advisers may type the same school offline
//! (same UAI, two ids), or two laptops may hold a directory school under ids made before
//! directory ids came from the UAI: the server keeps both records, and a laptop cannot
//! (`UNIQUE(uai)`). Every laptop keeps the same one, [`kept_first`]: the directory's id,
//! else a directory school, else the smaller id — a rule that needs nobody to agree.
//!
//! The other one, the duplicate, is still applied (under the guard, with no UAI here) so
//! that what hangs from it arrives, and remembered in `sync_school_aliases`. At the end of
//! each sync [`merge_duplicates`] points what this laptop's adviser owns at the kept
//! school, as edits of the adviser's (logged, pushed like any other), and deletes the
//! duplicate when it is the adviser's own and nothing refers to it any more. A
//! colleague's duplicate goes when the colleague's laptop does the same; until then it is
//! hidden from the lists.

use std::cmp::Ordering;

use rusqlite::{Connection, OptionalExtension};

use super::incoming::IncomingRecord;
use crate::error::Result;
use crate::schools::directory_school_id;

/// A school as the rule compares them.
struct Candidate<'a> {
    id: &'a str,
    source: &'a str,
}

/// Which of two schools with the UAI `uai` every laptop keeps: `Less` when `a`.
fn kept_first(uai: &str, a: &Candidate, b: &Candidate) -> Ordering {
    let directory_id = directory_school_id(uai);
    let key = |c: &Candidate| {
        (
            c.id != directory_id,
            c.source != "directory",
            c.id.to_owned(),
        )
    };
    key(a).cmp(&key(b))
}

/// What applying a pulled school must do about its UAI.
pub(super) enum Clash {
    /// No other school here has it.
    None,
    /// The pulled school is the duplicate: applied without its UAI.
    PulledIsDuplicate,
}

/// Before a pulled school is written: when another school here has its UAI, decide which
/// one is kept; a local duplicate loses its UAI here (under the guard: not a change of the
/// adviser's) and is remembered. Inside the apply's savepoint.
pub(super) fn before_school(conn: &Connection, rec: &IncomingRecord) -> Result<Clash> {
    if rec.deleted {
        conn.prepare_cached("DELETE FROM sync_school_aliases WHERE school_id = ?1")?
            .execute([&rec.record_id])?;
        return Ok(Clash::None);
    }
    let Some(uai) = rec.fields.get("uai").and_then(|v| v.as_str()) else {
        return Ok(Clash::None);
    };
    let already: Option<String> = conn
        .prepare_cached("SELECT kept_id FROM sync_school_aliases WHERE school_id = ?1")?
        .query_row([&rec.record_id], |r| r.get(0))
        .optional()?;
    if already.is_some() {
        return Ok(Clash::PulledIsDuplicate);
    }
    let other: Option<(String, String)> = conn
        .prepare_cached("SELECT id, source FROM schools WHERE uai = ?1 AND id <> ?2")?
        .query_row([uai, &rec.record_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((other_id, other_source)) = other else {
        return Ok(Clash::None);
    };
    let pulled = Candidate {
        id: &rec.record_id,
        source: rec
            .fields
            .get("source")
            .and_then(|v| v.as_str())
            .unwrap_or("adviser"),
    };
    let local = Candidate {
        id: &other_id,
        source: &other_source,
    };
    let remember = conn.prepare_cached(
        "INSERT INTO sync_school_aliases (school_id, kept_id) VALUES (?1, ?2)
         ON CONFLICT (school_id) DO UPDATE SET kept_id = excluded.kept_id",
    );
    if kept_first(uai, &pulled, &local) == Ordering::Less {
        conn.prepare_cached("UPDATE schools SET uai = NULL WHERE id = ?1")?
            .execute([&other_id])?;
        remember?.execute([&other_id, &rec.record_id])?;
        tracing::info!(kept = %rec.record_id, duplicate = %other_id, "two schools with one UAI");
        Ok(Clash::None)
    } else {
        remember?.execute([&rec.record_id, &other_id])?;
        tracing::info!(kept = %other_id, duplicate = %rec.record_id, "two schools with one UAI");
        Ok(Clash::PulledIsDuplicate)
    }
}

/// The visits this laptop's adviser owns (those with no colleague as owner).
const MINE: &str = "NOT EXISTS (SELECT 1 FROM sync_owners o WHERE o.visit_id = {visit}
      AND o.adviser IS NOT (SELECT value FROM sync_state WHERE key = 'adviser'))";

fn mine(visit_column: &str) -> String {
    MINE.replace("{visit}", visit_column)
}

/// Points what this adviser owns at the kept schools, and deletes the adviser's own
/// duplicates nothing refers to any more. Outside the guard: these are the adviser's
/// edits, logged and pushed like typed ones. Idempotent.
pub(super) fn merge_duplicates(conn: &Connection) -> Result<u32> {
    let aliases: Vec<(String, String)> = conn
        .prepare_cached(
            "SELECT a.school_id, a.kept_id FROM sync_school_aliases a
             JOIN schools k ON k.id = a.kept_id",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut merged = 0;
    for (duplicate, kept) in &aliases {
        repoint(conn, duplicate, kept)?;
        if deletable(conn, duplicate)? {
            conn.prepare_cached("DELETE FROM schools WHERE id = ?1")?
                .execute([duplicate])?;
            merged += 1;
        }
    }
    // Duplicates gone (deleted here or by their owner) are forgotten.
    conn.prepare_cached(
        "DELETE FROM sync_school_aliases
         WHERE school_id NOT IN (SELECT id FROM schools)",
    )?
    .execute([])?;
    Ok(merged)
}

/// The tables keyed by (visit, school): a row moves to the kept school unless the visit
/// already has one there (then the kept school's row wins and the duplicate's goes).
const KEYED_BY_SCHOOL: &[&str] = &["visit_schools", "pedagogy", "school_situations"];

/// The tables that name a school in a column of their own.
const NAMING_A_SCHOOL: &[&str] = &["objectives", "class_situations"];

fn repoint(conn: &Connection, duplicate: &str, kept: &str) -> Result<()> {
    for t in KEYED_BY_SCHOOL {
        let columns: Vec<String> = conn
            .prepare_cached(&format!("SELECT name FROM pragma_table_info('{t}')"))?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let copied = columns
            .iter()
            .map(|c| if c == "school_id" { "?2" } else { c.as_str() })
            .collect::<Vec<_>>()
            .join(", ");
        let mine = mine(&format!("{t}.visit_id"));
        conn.prepare_cached(&format!(
            "INSERT OR IGNORE INTO {t} ({}) SELECT {copied} FROM {t}
             WHERE school_id = ?1 AND {mine}",
            columns.join(", ")
        ))?
        .execute([duplicate, kept])?;
        conn.prepare_cached(&format!("DELETE FROM {t} WHERE school_id = ?1 AND {mine}"))?
            .execute([duplicate])?;
    }
    for t in NAMING_A_SCHOOL {
        let mine = mine(&format!("{t}.visit_id"));
        conn.prepare_cached(&format!(
            "UPDATE {t} SET school_id = ?2 WHERE school_id = ?1 AND {mine}"
        ))?
        .execute([duplicate, kept])?;
    }
    let mine =
        mine("(SELECT s.visit_id FROM scenarios s WHERE s.id = equipment_lines.scenario_id)");
    conn.prepare_cached(&format!(
        "UPDATE equipment_lines SET school_id = ?2 WHERE school_id = ?1 AND {mine}"
    ))?
    .execute([duplicate, kept])?;
    Ok(())
}

/// A duplicate this laptop may delete: its adviser's own (the server says so, or it was
/// never pulled: typed here), not from the directory (none may delete those), and
/// nothing here refers to it any more.
fn deletable(conn: &Connection, school: &str) -> Result<bool> {
    let sql = format!(
        "SELECT s.source = 'adviser'
           AND (EXISTS (SELECT 1 FROM sync_school_owners o WHERE o.school_id = s.id
                  AND o.adviser = (SELECT value FROM sync_state WHERE key = 'adviser'))
                OR (NOT EXISTS (SELECT 1 FROM sync_school_owners o WHERE o.school_id = s.id)
                    AND NOT EXISTS (SELECT 1 FROM sync_records r
                                    WHERE r.tbl = 'schools' AND r.record_id = s.id)))
           AND {}
         FROM schools s WHERE s.id = ?1",
        [
            "visit_schools",
            "pedagogy",
            "school_situations",
            "objectives",
            "class_situations",
            "equipment_lines",
        ]
        .iter()
        .map(|t| format!("NOT EXISTS (SELECT 1 FROM {t} WHERE school_id = s.id)"))
        .collect::<Vec<_>>()
        .join(" AND ")
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([school], |r| r.get::<_, bool>(0))
        .optional()?
        .unwrap_or(false))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;
    use serde_json::json;

    /// A colleague's visit staged before it could be applied keeps the owner the server
    /// named (the inbox keeps it since schema 12): it is shown read-only.
    #[test]
    fn a_staged_record_keeps_its_owner() {
        let dir = tempfile::tempdir().expect("dir");
        let mut store = Store::open_in(dir.path()).expect("store");
        let id = "01900000-0000-7000-8000-0000000000aa";
        let fields = json!({
            "id": id, "commune_insee": "80620", "scheduled_at": "2026-12-03T18:00:00",
            "notes": "", "created_at": "2026-12-01T10:00:00Z",
            "updated_at": "2026-12-01T10:00:00Z"
        });
        let rec = IncomingRecord {
            table: "visits".into(),
            record_id: id.into(),
            revision: 1,
            deleted: false,
            fields: fields.as_object().cloned().expect("object"),
            conflicts: Vec::new(),
            owner: Some("Paul".into()),
        };
        store.sync_stage(&[rec], 1).expect("staged");
        assert_eq!(store.sync_apply_inbox().expect("applied").applied, 1);
        assert_eq!(
            store.visit_owner(id).expect("owner").as_deref(),
            Some("Paul")
        );
    }

    #[test]
    fn every_laptop_keeps_the_same_school() {
        let uai = "0801234X";
        let dir = directory_school_id(uai);
        let c = |id: &'static str, source: &'static str| Candidate { id, source };
        let typed_a = c("01900000-0000-7000-8000-000000000001", "adviser");
        let typed_b = c("01900000-0000-7000-8000-000000000002", "adviser");
        let old_directory = c("01900000-0000-7000-8000-000000000003", "directory");
        let directory = Candidate {
            id: &dir,
            source: "directory",
        };
        // The smaller id between two typed ones, whichever laptop compares.
        assert_eq!(kept_first(uai, &typed_a, &typed_b), Ordering::Less);
        assert_eq!(kept_first(uai, &typed_b, &typed_a), Ordering::Greater);
        // A directory school before a typed one, the directory's id before any.
        assert_eq!(kept_first(uai, &old_directory, &typed_a), Ordering::Less);
        assert_eq!(kept_first(uai, &directory, &old_directory), Ordering::Less);
        assert_eq!(kept_first(uai, &typed_a, &directory), Ordering::Greater);
    }
}
