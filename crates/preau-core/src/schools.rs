//! Schools: typed by the adviser, or imported from the national school directory
//! ("fr-en-annuaire-education", read by `directory.rs`).

use std::collections::HashSet;

use rusqlite::{params, OptionalExtension, Row};

use crate::error::{Error, Result};
use crate::model::{ImportReport, School, SchoolInput, SchoolKind, SchoolSource, SchoolStatus};
use crate::store::{new_id, now_utc, Store};
use crate::validate;
use preau_reference::directory::{self, MAX_PUPILS};

const MAX_CLASSES: u32 = 60;

const SELECT: &str = "SELECT id, uai, name, kind, public, commune_insee, classes, pupils, source,
    status FROM schools";

fn school_from_row(r: &Row<'_>) -> rusqlite::Result<School> {
    let kind: String = r.get(3)?;
    let source: String = r.get(8)?;
    let status: String = r.get(9)?;
    Ok(School {
        id: r.get(0)?,
        uai: r.get(1)?,
        name: r.get(2)?,
        kind: SchoolKind::parse(&kind).unwrap_or(SchoolKind::Primaire),
        public: r.get(4)?,
        commune_insee: r.get(5)?,
        classes: r.get(6)?,
        pupils: r.get(7)?,
        source: if source == "directory" {
            SchoolSource::Directory
        } else {
            SchoolSource::Adviser
        },
        status: SchoolStatus::parse(&status).unwrap_or_default(),
    })
}

// The checks of one field, shared by the edit path and a value chosen in a sync
// conflict (`sync/rules.rs`), so both refuse the same values with the same message.

pub(crate) fn school_name(name: &str) -> Result<String> {
    validate::required_text("name", "Le nom de l'école", name, 200)
}

pub(crate) fn school_classes(classes: Option<u32>) -> Result<Option<u32>> {
    validate::count("classes", "Nombre de classes", classes, MAX_CLASSES)
}

pub(crate) fn school_pupils(pupils: Option<u32>) -> Result<Option<u32>> {
    validate::count("pupils", "Nombre d'élèves", pupils, MAX_PUPILS)
}

impl Store {
    pub(crate) fn known_commune(&self, insee: &str) -> Result<()> {
        self.commune(insee)
            .map(|_| ())
            .map_err(|_| Error::invalid("commune_insee", "Commune inconnue dans le département."))
    }

    /// A UAI names one school: refused when another school than `id` has it.
    pub(crate) fn uai_free(&self, uai: &str, id: Option<&str>) -> Result<()> {
        let other: Option<(String, String)> = self
            .cached_row("SELECT id, name FROM schools WHERE uai = ?1", [uai], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        match other {
            Some((other_id, other_name)) if id != Some(other_id.as_str()) => Err(Error::invalid(
                "uai",
                format!("Cet UAI est déjà celui de l'école « {other_name} »."),
            )),
            _ => Ok(()),
        }
    }

    pub fn school(&self, id: &str) -> Result<School> {
        self.cached_row(&format!("{SELECT} WHERE id = ?1"), [id], school_from_row)
            .optional()?
            .ok_or_else(|| Error::NotFound {
                what: "school",
                id: id.to_string(),
            })
    }

    /// The commune's schools, but a duplicate of another one's UAI no visit here ticks
    /// (`sync/same_uai.rs`: it goes when its owner's laptop syncs).
    pub fn schools_of(&self, insee: &str) -> Result<Vec<School>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "{SELECT} WHERE commune_insee = ?1 AND id NOT IN (
               SELECT a.school_id FROM sync_school_aliases a
               WHERE NOT EXISTS (SELECT 1 FROM visit_schools v WHERE v.school_id = a.school_id))"
        ))?;
        let mut rows = stmt
            .query_map([insee], school_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        // French order ("École élémentaire" before "École maternelle"), not byte order.
        rows.sort_by_cached_key(|s| (crate::text::fold(&s.name), s.id.clone()));
        Ok(rows)
    }

    /// Adds (`input.id` is `None`) or edits a school typed by the adviser.
    pub fn school_save(&mut self, input: &SchoolInput) -> Result<School> {
        let name = school_name(&input.name)?;
        let uai = validate::uai(input.uai.as_deref())?;
        let classes = school_classes(input.classes)?;
        let pupils = school_pupils(input.pupils)?;
        self.known_commune(&input.commune_insee)?;
        if let Some(uai) = &uai {
            self.uai_free(uai, input.id.as_deref())?;
        }
        let id = match &input.id {
            Some(id) => {
                let id = validate::record_id("id", id)?;
                self.school(&id)?;
                id
            }
            None => new_id(),
        };
        let tx = self.conn.savepoint()?;
        tx.execute(
            "INSERT INTO schools (id, uai, name, kind, public, commune_insee, classes, pupils,
               source, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'adviser', ?9)
             ON CONFLICT(id) DO UPDATE SET uai = excluded.uai, name = excluded.name,
               kind = excluded.kind, public = excluded.public,
               commune_insee = excluded.commune_insee, classes = excluded.classes,
               pupils = excluded.pupils, updated_at = excluded.updated_at",
            params![
                id,
                uai,
                name,
                input.kind.as_str(),
                input.public,
                input.commune_insee.trim(),
                classes,
                pupils,
                now_utc()
            ],
        )?;
        tx.commit()?;
        self.school(&id)
    }

    /// Imports the schools of the département's communes from the national directory CSV,
    /// as downloaded (any year's columns, separator and encoding: see `directory.rs`).
    /// Any bad row refuses the whole file (with every bad line listed); nothing is written.
    /// A school already known by its UAI is updated; what the directory does not say (the
    /// number of classes, the pupils when it has no count, the status when it has no such
    /// column) keeps what an adviser typed.
    pub fn schools_import(&mut self, file: impl AsRef<[u8]>) -> Result<ImportReport> {
        let parsed = directory::parse(file.as_ref(), &self.commune_codes()?)?;
        let tx = self.conn.savepoint()?;
        let mut report = ImportReport {
            skipped: parsed.skipped,
            merged: parsed.merged,
            ..ImportReport::default()
        };
        let now = now_utc();
        for s in &parsed.schools {
            let existing: Option<String> = tx
                .query_row("SELECT id FROM schools WHERE uai = ?1", [&s.uai], |r| {
                    r.get(0)
                })
                .optional()?;
            match existing {
                Some(id) => {
                    tx.execute(
                        "UPDATE schools SET name = ?2, kind = ?3, public = COALESCE(?4, public),
                           commune_insee = ?5, pupils = COALESCE(?6, pupils), status = ?7,
                           updated_at = ?8
                         WHERE id = ?1",
                        params![
                            id,
                            s.name,
                            s.kind.as_str(),
                            s.public,
                            s.commune_insee,
                            s.pupils,
                            s.status.as_str(),
                            now
                        ],
                    )?;
                    report.updated += 1;
                }
                None => {
                    let id = directory_school_id(&s.uai);
                    tx.execute(
                        "INSERT INTO schools (id, uai, name, kind, public, commune_insee, classes,
                           pupils, source, status, updated_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, ?7, 'directory', ?8, ?9)",
                        params![
                            id,
                            s.uai,
                            s.name,
                            s.kind.as_str(),
                            // The directory lists public and private écoles; a file without
                            // the column is almost always the public ones.
                            s.public.unwrap_or(true),
                            s.commune_insee,
                            s.pupils,
                            s.status.as_str(),
                            now
                        ],
                    )?;
                    report.added += 1;
                }
            }
        }
        tx.commit()?;
        tracing::info!(?report, "school directory imported");
        Ok(report)
    }

    fn commune_codes(&self) -> Result<HashSet<String>> {
        let mut stmt = self.conn.prepare_cached("SELECT insee FROM communes")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

/// The id of the directory's school `uai`, the same on every laptop: each laptop imports
/// the directory the server publishes, and a school made there with an id of its own
/// would come down to the others as a second school with the same UAI, left waiting on
/// every laptop (`UNIQUE(uai)`). A UUID of version 8 (custom) from the SHA-256 of the
/// UAI: never equal to a UUIDv7 made for a school typed by hand.
pub fn directory_school_id(uai: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(format!("preau/school/{}", uai.trim().to_uppercase()));
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes)
        .into_uuid()
        .to_string()
}

#[cfg(test)]
mod directory_ids {
    use super::directory_school_id;

    #[test]
    fn one_uai_one_id_on_every_laptop() {
        let id = directory_school_id("0800001A");
        assert_eq!(id, directory_school_id(" 0800001a "));
        assert_ne!(id, directory_school_id("0800002B"));
        let parsed = uuid::Uuid::parse_str(&id).expect("a uuid");
        assert_eq!(parsed.get_version_num(), 8);
        assert!(preau_protocol::schema::is_uuid_text(&id));
    }
}
