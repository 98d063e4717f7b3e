//! Schools: typed by the adviser, or imported from the national school directory
//! ("fr-en-annuaire-education", `;`-separated CSV).

use std::collections::{HashMap, HashSet};

use rusqlite::{params, OptionalExtension, Row};

use crate::error::{Error, Result};
use crate::model::{ImportReport, RowError, School, SchoolInput, SchoolKind, SchoolSource};
use crate::store::{new_id, now_utc, Store};
use crate::validate;

const MAX_CLASSES: u32 = 60;
const MAX_PUPILS: u32 = 3_000;

const SELECT: &str =
    "SELECT id, uai, name, kind, public, commune_insee, classes, pupils, source FROM schools";

fn school_from_row(r: &Row<'_>) -> rusqlite::Result<School> {
    let kind: String = r.get(3)?;
    let source: String = r.get(8)?;
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
    })
}

impl Store {
    pub fn school(&self, id: &str) -> Result<School> {
        self.cached_row(&format!("{SELECT} WHERE id = ?1"), [id], school_from_row)
            .optional()?
            .ok_or_else(|| Error::NotFound {
                what: "school",
                id: id.to_string(),
            })
    }

    pub fn schools_of(&self, insee: &str) -> Result<Vec<School>> {
        let mut stmt = self
            .conn
            .prepare(&format!("{SELECT} WHERE commune_insee = ?1"))?;
        let mut rows = stmt
            .query_map([insee], school_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        // French order ("École élémentaire" before "École maternelle"), not byte order.
        rows.sort_by_cached_key(|s| (crate::text::fold(&s.name), s.id.clone()));
        Ok(rows)
    }

    /// Adds (`input.id` is `None`) or edits a school typed by the adviser.
    pub fn school_save(&mut self, input: &SchoolInput) -> Result<School> {
        let name = validate::required_text("name", "Le nom de l'école", &input.name, 200)?;
        let uai = validate::uai(input.uai.as_deref())?;
        let classes = validate::count("classes", "Nombre de classes", input.classes, MAX_CLASSES)?;
        let pupils = validate::count("pupils", "Nombre d'élèves", input.pupils, MAX_PUPILS)?;
        self.commune(&input.commune_insee).map_err(|_| {
            Error::invalid("commune_insee", "Commune inconnue dans le département.")
        })?;
        if let Some(uai) = &uai {
            let other: Option<(String, String)> = self
                .cached_row("SELECT id, name FROM schools WHERE uai = ?1", [uai], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()?;
            if let Some((other_id, other_name)) = other {
                if input.id.as_deref() != Some(other_id.as_str()) {
                    return Err(Error::invalid(
                        "uai",
                        format!("Cet UAI est déjà celui de l'école « {other_name} »."),
                    ));
                }
            }
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
        crate::outbox::mark(&tx, "school", &id)?;
        tx.commit()?;
        self.school(&id)
    }

    /// Imports the schools of the département's communes from the national directory CSV.
    /// Any bad row refuses the whole file (with every bad line listed); nothing is written.
    /// A school already known by its UAI is updated; the number of classes typed by an
    /// adviser is kept, since the directory does not have it.
    pub fn schools_import(&mut self, csv_text: &str) -> Result<ImportReport> {
        let communes: HashSet<String> = {
            let mut stmt = self.conn.prepare_cached("SELECT insee FROM communes")?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let parsed = parse_directory(csv_text, &communes)?;
        let tx = self.conn.savepoint()?;
        let mut report = ImportReport {
            skipped: parsed.skipped,
            ..ImportReport::default()
        };
        let now = now_utc();
        for s in &parsed.schools {
            let existing: Option<String> = tx
                .query_row("SELECT id FROM schools WHERE uai = ?1", [&s.uai], |r| {
                    r.get(0)
                })
                .optional()?;
            let id = match existing {
                Some(id) => {
                    tx.execute(
                        "UPDATE schools SET name = ?2, kind = ?3, public = ?4, commune_insee = ?5,
                           pupils = COALESCE(?6, pupils), updated_at = ?7 WHERE id = ?1",
                        params![
                            id,
                            s.name,
                            s.kind.as_str(),
                            s.public,
                            s.commune_insee,
                            s.pupils,
                            now
                        ],
                    )?;
                    report.updated += 1;
                    id
                }
                None => {
                    let id = new_id();
                    tx.execute(
                        "INSERT INTO schools (id, uai, name, kind, public, commune_insee, classes,
                           pupils, source, updated_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, ?7, 'directory', ?8)",
                        params![
                            id,
                            s.uai,
                            s.name,
                            s.kind.as_str(),
                            s.public,
                            s.commune_insee,
                            s.pupils,
                            now
                        ],
                    )?;
                    report.added += 1;
                    id
                }
            };
            crate::outbox::mark(&tx, "school", &id)?;
        }
        tx.commit()?;
        tracing::info!(?report, "school directory imported");
        Ok(report)
    }
}

struct DirectorySchool {
    uai: String,
    name: String,
    kind: SchoolKind,
    public: bool,
    commune_insee: String,
    pupils: Option<u32>,
}

struct ParsedDirectory {
    schools: Vec<DirectorySchool>,
    skipped: u32,
}

const COL_UAI: &str = "Identifiant_de_l_etablissement";
const COL_NAME: &str = "Nom_etablissement";
const COL_TYPE: &str = "Type_etablissement";
const COL_STATUS: &str = "Statut_public_prive";
const COL_COMMUNE: &str = "Code_commune";
const COL_PUPILS: &str = "Nombre_d_eleves";
const COL_MATERNELLE: &str = "Ecole_maternelle";
const COL_ELEMENTAIRE: &str = "Ecole_elementaire";

fn parse_directory(text: &str, communes: &HashSet<String>) -> Result<ParsedDirectory> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| {
            Error::ImportRejected(vec![RowError {
                line: 1,
                reason: format!("en-tête illisible ({e})"),
            }])
        })?
        .clone();
    let col: HashMap<&str, usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| (h.trim(), i))
        .collect();
    let missing: Vec<&str> = [
        COL_UAI,
        COL_NAME,
        COL_TYPE,
        COL_STATUS,
        COL_COMMUNE,
        COL_PUPILS,
    ]
    .into_iter()
    .filter(|c| !col.contains_key(c))
    .collect();
    if !missing.is_empty() {
        return Err(Error::ImportRejected(vec![RowError {
            line: 1,
            reason: format!(
                "colonnes manquantes : {} (attendu : le format de l'annuaire de l'éducation, séparateur « ; »)",
                missing.join(", ")
            ),
        }]));
    }
    let get = |rec: &csv::StringRecord, name: &str| -> String {
        col.get(name)
            .and_then(|&i| rec.get(i))
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let mut errors = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut out = ParsedDirectory {
        schools: Vec::new(),
        skipped: 0,
    };
    for rec in reader.records() {
        let rec = match rec {
            Ok(rec) => rec,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                errors.push(RowError {
                    line,
                    reason: format!("ligne illisible ({e})"),
                });
                continue;
            }
        };
        let line = rec.position().map_or(0, |p| p.line());
        let is_school = crate::text::fold(&get(&rec, COL_TYPE)) == "ecole";
        if !is_school || !communes.contains(&get(&rec, COL_COMMUNE)) {
            out.skipped += 1;
            continue;
        }
        let mut reasons = Vec::new();
        let uai = match validate::uai(Some(&get(&rec, COL_UAI))) {
            Ok(Some(uai)) => Some(uai),
            Ok(None) => {
                reasons.push("identifiant (UAI) manquant".to_string());
                None
            }
            Err(_) => {
                reasons.push(format!("UAI invalide « {} »", get(&rec, COL_UAI)));
                None
            }
        };
        let name = get(&rec, COL_NAME);
        if name.is_empty() {
            reasons.push("nom de l'établissement manquant".into());
        }
        let public = match crate::text::fold(&get(&rec, COL_STATUS)).as_str() {
            "public" => Some(true),
            "prive" => Some(false),
            other => {
                reasons.push(format!("statut « {other} » inconnu (Public ou Privé)"));
                None
            }
        };
        let pupils_raw = get(&rec, COL_PUPILS);
        let pupils = if pupils_raw.is_empty() {
            None
        } else {
            match pupils_raw.parse::<u32>() {
                Ok(n) if n <= MAX_PUPILS => Some(n),
                _ => {
                    reasons.push(format!("nombre d'élèves « {pupils_raw} » invalide"));
                    None
                }
            }
        };
        if let Some(uai) = &uai {
            if let Some(first) = seen.get(uai) {
                reasons.push(format!("UAI {uai} en double (déjà ligne {first})"));
            } else {
                seen.insert(uai.clone(), line);
            }
        }
        if !reasons.is_empty() {
            errors.push(RowError {
                line,
                reason: reasons.join(" ; "),
            });
            continue;
        }
        let (Some(uai), Some(public)) = (uai, public) else {
            continue;
        };
        let flag = |c: &str| get(&rec, c) == "1";
        let kind = match (flag(COL_MATERNELLE), flag(COL_ELEMENTAIRE)) {
            (true, false) => SchoolKind::Maternelle,
            (false, true) => SchoolKind::Elementaire,
            (true, true) => SchoolKind::Primaire,
            (false, false) => kind_from_name(&name),
        };
        out.schools.push(DirectorySchool {
            uai,
            name,
            kind,
            public,
            commune_insee: get(&rec, COL_COMMUNE),
            pupils,
        });
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(Error::ImportRejected(errors))
    }
}

fn kind_from_name(name: &str) -> SchoolKind {
    let n = crate::text::fold(name);
    if n.contains("maternelle") {
        SchoolKind::Maternelle
    } else if n.contains("elementaire") {
        SchoolKind::Elementaire
    } else {
        SchoolKind::Primaire
    }
}
