//! The admin subcommands' work, on the same storage as `serve`.

use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use preau_reference::catalogue::{self, CatalogueKind};
use preau_reference::{communes, directory, funding};
use uuid::Uuid;

use crate::auth::{code_hash, new_code};
use crate::error::{Error, Result};
use crate::storage::{Device, Storage};

/// How long an enrollment code stays valid.
pub const CODE_VALIDITY_HOURS: i64 = 72;

/// Creates a one-time enrollment code for `adviser`; returns it with its expiry.
pub async fn create_enrollment(
    storage: &dyn Storage,
    adviser: &str,
) -> Result<(String, DateTime<Utc>)> {
    let adviser = adviser.trim();
    if adviser.is_empty() || adviser.chars().count() > 100 {
        return Err(Error::Reference(
            "adviser name must be 1 to 100 characters".into(),
        ));
    }
    let code = new_code()?;
    let expires_at = Utc::now() + Duration::hours(CODE_VALIDITY_HOURS);
    storage
        .create_enrollment(&code_hash(&code), adviser, expires_at)
        .await?;
    Ok((code, expires_at))
}

pub async fn list_devices(storage: &dyn Storage) -> Result<Vec<Device>> {
    storage.devices().await
}

pub async fn revoke(storage: &dyn Storage, id: Uuid) -> Result<bool> {
    storage.revoke(id, Utc::now()).await
}

/// What a reference import published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub kind: String,
    pub version: i64,
    pub entries: usize,
}

/// Checks a reference file with the same parsers the laptops use, then publishes it as a
/// new version of `kind` (`catalogue`, `funding`, `schools`).
/// An instant given on the command line: RFC 3339 (`2026-12-07T09:30:00Z`), or a day
/// (`2026-12-07`, from midnight UTC), or a day and a time (`2026-12-07 09:30`, UTC).
pub fn parse_since(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M") {
        return Some(t.and_utc());
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

/// Undoes what one device changed since `since` (a stolen laptop's vandalism): every
/// record it touched goes back to its state before the device's first change, for every
/// laptop at its next sync. Returns how many records were put back.
pub async fn revert_device(
    storage: &dyn Storage,
    device: Uuid,
    since: DateTime<Utc>,
) -> Result<u64> {
    storage.revert_device(device, since).await
}

/// Removes a record for good (a bad record no laptop can apply). `false`: none such.
pub async fn purge_record(storage: &dyn Storage, table: &str, record_id: &str) -> Result<bool> {
    if preau_protocol::schema::table(table).is_none() {
        return Err(Error::Reference(format!("{table:?} is not a synced table")));
    }
    storage.purge_record(table, record_id).await
}

/// Gives a visit, and everything under it, to another adviser. `0`: no such visit.
pub async fn hand_over(storage: &dyn Storage, visit_id: Uuid, adviser: &str) -> Result<u64> {
    let adviser = adviser.trim();
    if adviser.is_empty() || adviser.chars().count() > 100 {
        return Err(Error::Reference(
            "adviser name must be 1 to 100 characters".into(),
        ));
    }
    storage.hand_over(&visit_id.to_string(), adviser).await
}

pub async fn import_reference(storage: &dyn Storage, kind: &str, path: &Path) -> Result<Published> {
    let file = std::fs::read(path)?;
    let (content, entries) = prepare_reference(kind, &file)?;
    let version = storage.publish_reference(kind, &content).await?;
    tracing::info!(kind, version, entries, "reference data published");
    Ok(Published {
        kind: kind.to_string(),
        version,
        entries,
    })
}

/// Validates a reference file with the parsers the laptops use (`preau-reference`, no
/// store); returns what laptops receive and how many entries it holds. The national school
/// directory (any of its real forms, up to 40 MB) is cut down to the département's écoles,
/// in UTF-8.
pub fn prepare_reference(kind: &str, file: &[u8]) -> Result<(String, usize)> {
    let text = || {
        std::str::from_utf8(file)
            .map(str::to_string)
            .map_err(|_| Error::Reference(format!("the {kind} file is not UTF-8")))
    };
    let checked = match kind {
        "schools" => prepare_schools(file),
        "catalogue" => {
            let content = text()?;
            catalogue::parse(&content, CatalogueKind::Syndicate).map(|items| (content, items.len()))
        }
        "funding" => {
            let content = text()?;
            funding::parse(&content).map(|rules| {
                let n = rules.programme_count();
                (content, n)
            })
        }
        other => {
            return Err(Error::Reference(format!(
                "unknown reference kind {other:?} (catalogue, funding, schools)"
            )))
        }
    };
    checked.map_err(|e| match e {
        // The IT person needs the lines to fix, not a count.
        preau_reference::Error::Rejected(rows) => Error::Reference(
            rows.iter()
                .take(20)
                .map(|r| format!("line {}: {}", r.line, r.reason))
                .chain((rows.len() > 20).then(|| format!("… and {} more", rows.len() - 20)))
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        // The parser's own French sentence (line and column), without an English prefix.
        preau_reference::Error::Catalogue(message) => Error::Reference(message),
        e => Error::Reference(e.to_string()),
    })
}

/// The département's écoles of a national directory file, as the small UTF-8 CSV laptops
/// import (the national file is 40 MB; a laptop needs a few hundred rows), and their count.
fn prepare_schools(file: &[u8]) -> preau_reference::Result<(String, usize)> {
    let parsed = directory::parse(file, &communes::codes()?)?;
    let csv = directory::extract(&parsed)?;
    // What every laptop will do with it, once here: it must read back as the same schools.
    let again = directory::parse(csv.as_bytes(), &communes::codes()?)?;
    if again.schools != parsed.schools {
        return Err(preau_reference::Error::Write(
            "the extract does not read back as the same schools".into(),
        ));
    }
    Ok((csv, parsed.schools.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../preau-reference/tests/fixtures")
            .join(name);
        std::fs::read(path).unwrap_or_default()
    }

    #[test]
    fn the_directory_is_published_as_the_departements_ecoles_in_utf8() {
        // The 2026 export re-saved by Excel: Windows-1252 (its characters are all Latin-1).
        let utf8 = fixture("annuaire-education-2026-somme.csv");
        let text = String::from_utf8_lossy(&utf8);
        let latin1: Vec<u8> = text
            .trim_start_matches('\u{feff}')
            .chars()
            .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
            .collect();
        let (content, schools) = prepare_reference("schools", &latin1).expect("published");
        assert_eq!(schools, 10);
        assert!(content.contains("École maternelle des Peupliers;Ecole;Public;80620;1;0;;A FERMER"));
        assert!(!content.contains("Compiègne"), "the Oise is left out");
        assert_eq!(content.lines().count(), 11, "header + one line per école");
    }

    #[test]
    fn a_refused_directory_names_its_lines() {
        let err = prepare_reference("schools", &fixture("annuaire-education-erreurs.csv"))
            .expect_err("refused");
        let text = err.to_string();
        for line in ["line 3:", "line 4:", "line 6:", "line 7:"] {
            assert!(text.contains(line), "{text}");
        }
    }
}
