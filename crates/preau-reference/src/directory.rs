//! The national school directory ("fr-en-annuaire-education") as it really comes from
//! data.education.gouv.fr: 69 to 72 columns depending on the year, labels
//! (`Identifiant_de_l_etablissement`, `Code postal`) or API field names
//! (`identifiant_de_l_etablissement`), `;` or `,` or tab separated, UTF-8 with or without
//! BOM or Windows-1252 once re-saved by Excel, CRLF or LF. Only the identity columns are
//! required; everything else is used when it is there.
//!
//! This module only reads: [`parse`] turns the file into the département's schools (the
//! laptop's `preau-core` writes them into its store), [`extract`] writes them back as the
//! small file the server publishes.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::csv_text::LineCounter;
use crate::error::{Error, Result, RowError};

/// Above this, a pupil count is a typo (the biggest French écoles have about 1,000).
pub const MAX_PUPILS: u32 = 3_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum SchoolKind {
    Maternelle,
    Elementaire,
    Primaire,
}

impl SchoolKind {
    pub const ALL: [SchoolKind; 3] = [Self::Maternelle, Self::Elementaire, Self::Primaire];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Maternelle => "maternelle",
            Self::Elementaire => "elementaire",
            Self::Primaire => "primaire",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Maternelle => "École maternelle",
            Self::Elementaire => "École élémentaire",
            Self::Primaire => "École primaire",
        }
    }
}

/// A school's state in the national directory (its `etat` column). A school to close or
/// closed is not offered for a new visit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum SchoolStatus {
    #[default]
    Open,
    /// `A FERMER`: still open, closing at the end of the school year.
    Closing,
    Closed,
}

impl SchoolStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SchoolStatus::Open => "open",
            SchoolStatus::Closing => "closing",
            SchoolStatus::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "open" => Some(SchoolStatus::Open),
            "closing" => Some(SchoolStatus::Closing),
            "closed" => Some(SchoolStatus::Closed),
            _ => None,
        }
    }

    /// Whether a visit may take it on now.
    pub fn offered_for_visits(self) -> bool {
        self == SchoolStatus::Open
    }
}

/// A UAI (the national school identifier) as the directory and advisers write it, in
/// capitals: 7 digits and a letter ("0801234X"); `None` when `raw` (trimmed, not empty) is
/// not one.
pub fn parse_uai(raw: &str) -> Option<String> {
    let v = raw.trim().to_ascii_uppercase();
    let b = v.as_bytes();
    (b.len() == 8 && b[..7].iter().all(u8::is_ascii_digit) && b[7].is_ascii_uppercase())
        .then_some(v)
}

/// One school of the département, as the directory describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectorySchool {
    pub uai: String,
    pub name: String,
    pub kind: SchoolKind,
    /// `None` when the file has no status column: an update keeps what the store has.
    pub public: Option<bool>,
    pub commune_insee: String,
    /// `None` when the file has no pupil count (2026 on) or the cell is empty.
    pub pupils: Option<u32>,
    pub status: SchoolStatus,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ParsedDirectory {
    pub schools: Vec<DirectorySchool>,
    /// Rows outside the département, or that are not écoles.
    pub skipped: u32,
    /// Lines repeating the UAI of a multi-site establishment.
    pub merged: u32,
}

/// The columns Préau reads, each under every name the exports have used (folded: lowercase,
/// no accent, `_` between words).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Uai,
    Name,
    Type,
    Status,
    Commune,
    Pupils,
    Maternelle,
    Elementaire,
    MultiUai,
    State,
}

impl Column {
    const ALL: [Column; 10] = [
        Column::Uai,
        Column::Name,
        Column::Type,
        Column::Status,
        Column::Commune,
        Column::Pupils,
        Column::Maternelle,
        Column::Elementaire,
        Column::MultiUai,
        Column::State,
    ];

    fn names(self) -> &'static [&'static str] {
        match self {
            Column::Uai => &["identifiant_de_l_etablissement", "uai", "numero_uai"],
            Column::Name => &["nom_etablissement", "appellation_officielle"],
            Column::Type => &["type_etablissement"],
            Column::Status => &["statut_public_prive", "secteur_public_prive"],
            Column::Commune => &["code_commune", "code_insee_commune"],
            Column::Pupils => &["nombre_d_eleves", "nombre_eleves"],
            Column::Maternelle => &["ecole_maternelle"],
            Column::Elementaire => &["ecole_elementaire"],
            Column::MultiUai => &["multi_uai", "etablissement_multi_lignes"],
            Column::State => &["etat", "etat_etablissement"],
        }
    }

    /// The label shown when the column is missing.
    fn label(self) -> &'static str {
        self.names()[0]
    }

    const REQUIRED: [Column; 4] = [Column::Uai, Column::Name, Column::Type, Column::Commune];
}

/// `Code postal`, `Code_Postal` and `code_postal` are one column.
fn header_key(header: &str) -> String {
    crate::text::fold_plain(header.trim().trim_start_matches('\u{feff}')).replace(' ', "_")
}

/// Column positions of one file.
struct Columns {
    /// By `Column as usize`.
    at: [Option<usize>; Column::ALL.len()],
}

impl Columns {
    fn from_headers(headers: &csv::StringRecord) -> Result<Columns> {
        let mut keys: HashMap<String, usize> = HashMap::new();
        for (i, h) in headers.iter().enumerate() {
            // The first of two same-named columns wins.
            keys.entry(header_key(h)).or_insert(i);
        }
        let mut at = [None; Column::ALL.len()];
        for column in Column::ALL {
            if let Some(&i) = column.names().iter().find_map(|n| keys.get(*n)) {
                at[column as usize] = Some(i);
            }
        }
        let missing: Vec<&str> = Column::REQUIRED
            .into_iter()
            .filter(|c| at[*c as usize].is_none())
            .map(Column::label)
            .collect();
        if !missing.is_empty() {
            return Err(Error::rejected_at(
                1,
                format!(
                    "colonnes manquantes : {} (attendu : l'export CSV de l'annuaire de l'éducation, « fr-en-annuaire-education »)",
                    missing.join(", ")
                ),
            ));
        }
        Ok(Columns { at })
    }

    fn has(&self, column: Column) -> bool {
        self.at[column as usize].is_some()
    }

    fn get<'r>(&self, rec: &'r csv::StringRecord, column: Column) -> &'r str {
        self.at[column as usize]
            .and_then(|i| rec.get(i))
            .map_or("", str::trim)
    }
}

/// A commune code as text; Excel turns `02691` into `2691`.
fn commune_code(raw: &str) -> Cow<'_, str> {
    if raw.len() == 4 && raw.bytes().all(|b| b.is_ascii_digit()) {
        Cow::Owned(format!("0{raw}"))
    } else {
        Cow::Borrowed(raw)
    }
}

fn state(raw: &str) -> SchoolStatus {
    match crate::text::fold_plain(raw).as_str() {
        "a fermer" => SchoolStatus::Closing,
        "ferme" | "fermee" | "fermeture" => SchoolStatus::Closed,
        // OUVERT, A OUVRIR, or an empty cell.
        "ouvert" | "a ouvrir" | "" => SchoolStatus::Open,
        other => {
            tracing::warn!(state = other, "unknown directory state, taken as open");
            SchoolStatus::Open
        }
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

/// Reads the directory and keeps the écoles of the département's `communes`. Every bad row
/// of the département is reported with its real line number (the header is line 1); any
/// refuses the whole file.
pub fn parse(bytes: &[u8], communes: &HashSet<String>) -> Result<ParsedDirectory> {
    let text = crate::csv_text::decode(bytes)?;
    let text: &str = &text;
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(crate::csv_text::separator(text))
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| Error::rejected_at(1, format!("en-tête illisible ({e})")))?
        .clone();
    let cols = Columns::from_headers(&headers)?;
    let mut lines = LineCounter::new(text.as_bytes());
    let mut errors = Vec::new();
    // UAI → (line, multi-site flag) of its first line.
    let mut seen: HashMap<String, (u64, bool)> = HashMap::new();
    let mut out = ParsedDirectory::default();
    let mut rec = csv::StringRecord::new();
    loop {
        let more = match reader.read_record(&mut rec) {
            Ok(more) => more,
            Err(e) => {
                let line = e.position().map_or(0, |p| lines.line_at(p.byte()));
                errors.push(RowError {
                    line,
                    reason: format!("ligne illisible ({e})"),
                });
                if errors.len() >= 1_000 || !matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) {
                    break;
                }
                continue;
            }
        };
        if !more {
            break;
        }
        // Cheap filters first: most of the national file is elsewhere or not an école.
        let commune = commune_code(cols.get(&rec, Column::Commune));
        if !communes.contains(commune.as_ref())
            || crate::text::fold_plain(cols.get(&rec, Column::Type)) != "ecole"
        {
            out.skipped += 1;
            continue;
        }
        let line = rec.position().map_or(0, |p| lines.line_at(p.byte()));
        match school_of(&cols, &rec, commune.into_owned()) {
            Ok(school) => {
                let multi = cols.get(&rec, Column::MultiUai) == "1";
                match seen.get(&school.uai) {
                    Some(&(_, first_multi)) if multi || first_multi => out.merged += 1,
                    Some(&(first, _)) => errors.push(RowError {
                        line,
                        reason: format!(
                            "UAI {} en double (déjà ligne {first}, sans « multi_uai » à 1)",
                            school.uai
                        ),
                    }),
                    None => {
                        seen.insert(school.uai.clone(), (line, multi));
                        out.schools.push(school);
                    }
                }
            }
            Err(reasons) => errors.push(RowError {
                line,
                reason: reasons.join(" ; "),
            }),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(Error::Rejected(errors))
    }
}

/// One row of the département, checked; the reasons it is refused otherwise.
fn school_of(
    cols: &Columns,
    rec: &csv::StringRecord,
    commune_insee: String,
) -> std::result::Result<DirectorySchool, Vec<String>> {
    let mut reasons = Vec::new();
    let raw_uai = cols.get(rec, Column::Uai);
    let uai = if raw_uai.is_empty() {
        reasons.push("identifiant (UAI) manquant".to_string());
        None
    } else {
        let uai = parse_uai(raw_uai);
        if uai.is_none() {
            reasons.push(format!("UAI invalide « {raw_uai} »"));
        }
        uai
    };
    let name = cols.get(rec, Column::Name);
    if name.is_empty() {
        reasons.push("nom de l'établissement manquant".into());
    } else if name.chars().count() > 200 {
        reasons.push("nom de l'établissement trop long (200 caractères au plus)".into());
    }
    let public = if cols.has(Column::Status) {
        let raw = cols.get(rec, Column::Status);
        match crate::text::fold_plain(raw).as_str() {
            "public" => Some(true),
            "prive" => Some(false),
            _ => {
                reasons.push(format!("statut « {raw} » inconnu (Public ou Privé)"));
                None
            }
        }
    } else {
        None
    };
    let pupils_raw = cols.get(rec, Column::Pupils);
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
    let Some(uai) = uai else {
        return Err(reasons);
    };
    if !reasons.is_empty() {
        return Err(reasons);
    }
    let flag = |c: Column| cols.get(rec, c) == "1";
    let kind = match (flag(Column::Maternelle), flag(Column::Elementaire)) {
        (true, false) => SchoolKind::Maternelle,
        (false, true) => SchoolKind::Elementaire,
        (true, true) => SchoolKind::Primaire,
        (false, false) => kind_from_name(name),
    };
    Ok(DirectorySchool {
        uai,
        name: name.to_string(),
        kind,
        public,
        commune_insee,
        pupils,
        status: state(cols.get(rec, Column::State)),
    })
}

/// The département's part of a directory file, as UTF-8 `;` CSV with the columns Préau
/// reads: what the server publishes to laptops instead of the 40 MB national file.
pub fn extract(parsed: &ParsedDirectory) -> Result<String> {
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    // Writing to memory only fails on a bug: kept as an error all the same.
    let write = |w: &mut csv::Writer<Vec<u8>>, rec: &[&str]| {
        w.write_record(rec).map_err(|e| Error::Write(e.to_string()))
    };
    write(
        &mut w,
        &[
            "Identifiant_de_l_etablissement",
            "Nom_etablissement",
            "Type_etablissement",
            "Statut_public_prive",
            "Code_commune",
            "Ecole_maternelle",
            "Ecole_elementaire",
            "Nombre_d_eleves",
            "etat",
        ],
    )?;
    for s in &parsed.schools {
        let (maternelle, elementaire) = match s.kind {
            SchoolKind::Maternelle => ("1", "0"),
            SchoolKind::Elementaire => ("0", "1"),
            SchoolKind::Primaire => ("1", "1"),
        };
        let pupils = s.pupils.map(|n| n.to_string()).unwrap_or_default();
        let state = match s.status {
            SchoolStatus::Open => "OUVERT",
            SchoolStatus::Closing => "A FERMER",
            SchoolStatus::Closed => "FERME",
        };
        let public = match s.public {
            Some(true) => "Public",
            Some(false) => "Privé",
            None => "",
        };
        write(
            &mut w,
            &[
                &s.uai,
                &s.name,
                "Ecole",
                public,
                &s.commune_insee,
                maternelle,
                elementaire,
                &pupils,
                state,
            ],
        )?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| Error::Write(e.into_error().to_string()))?;
    String::from_utf8(bytes).map_err(|e| Error::Write(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_fold_to_one_key() {
        for h in [
            "Code postal",
            "Code_postal",
            "code_postal",
            "\u{feff}CODE_POSTAL",
        ] {
            assert_eq!(header_key(h), "code_postal", "{h:?}");
        }
        assert_eq!(
            header_key("Identifiant_de_l_etablissement"),
            "identifiant_de_l_etablissement"
        );
    }

    #[test]
    fn states_of_the_directory() {
        assert_eq!(state("OUVERT"), SchoolStatus::Open);
        assert_eq!(state("A FERMER"), SchoolStatus::Closing);
        assert_eq!(state("À fermer"), SchoolStatus::Closing);
        assert_eq!(state("FERME"), SchoolStatus::Closed);
        assert_eq!(state(""), SchoolStatus::Open);
    }

    fn somme() -> HashSet<String> {
        crate::communes::codes().expect("embedded communes")
    }

    #[test]
    fn the_three_real_formats_read_as_the_same_ecoles() {
        let read = |bytes: &[u8]| {
            let mut p = parse(bytes, &somme()).expect("parses");
            p.schools.sort_by(|a, b| a.uai.cmp(&b.uai));
            p
        };
        let y2026 = read(include_bytes!(
            "../tests/fixtures/annuaire-education-2026-somme.csv"
        ));
        let y2024 = read(include_bytes!(
            "../tests/fixtures/annuaire-education-2024-somme.csv"
        ));
        let y2023 = read(include_bytes!(
            "../tests/fixtures/annuaire-education-2023-somme.csv"
        ));
        assert_eq!(y2026.schools.len(), 10);
        assert_eq!(y2026.merged, 1, "a multi-site UAI is one school");
        assert!(
            y2026.schools.iter().all(|s| s.pupils.is_none()),
            "2026 has no count"
        );
        let ids = |p: &ParsedDirectory| -> Vec<(String, SchoolKind, String)> {
            p.schools
                .iter()
                .map(|s| (s.uai.clone(), s.kind, s.commune_insee.clone()))
                .collect()
        };
        assert_eq!(ids(&y2024), ids(&y2023));
        assert!(y2024.schools.iter().any(|s| s.pupils.is_some()));
        // What the server publishes reads back as the same schools.
        let extract = extract(&y2026).expect("extract");
        let again = read(extract.as_bytes());
        assert_eq!(again.schools, y2026.schools);
    }

    #[test]
    fn every_bad_row_is_named_at_its_line() {
        let err = parse(
            include_bytes!("../tests/fixtures/annuaire-education-erreurs.csv"),
            &somme(),
        )
        .expect_err("refused");
        let Error::Rejected(rows) = err else {
            panic!("{err:?}")
        };
        let lines: Vec<u64> = rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, [3, 4, 6, 7], "{rows:?}");
        assert!(
            rows[0].reason.contains("UAI invalide « 080090B »"),
            "{rows:?}"
        );
    }

    #[test]
    fn a_file_without_the_identity_columns_is_refused_at_line_1() {
        let err = parse(b"nom;commune\nx;80620\n", &somme()).expect_err("refused");
        let Error::Rejected(rows) = err else {
            panic!("{err:?}")
        };
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].line, 1);
        assert!(
            rows[0].reason.starts_with("colonnes manquantes"),
            "{rows:?}"
        );
    }

    #[test]
    fn uais() {
        assert_eq!(parse_uai("0801234x").as_deref(), Some("0801234X"));
        assert_eq!(parse_uai(" 0801234X ").as_deref(), Some("0801234X"));
        for bad in ["080123X", "08012345", "A801234X", "0801234XX"] {
            assert!(parse_uai(bad).is_none(), "{bad}");
        }
    }
}
