//! The national school directory ("fr-en-annuaire-education") as it really comes from
//! data.education.gouv.fr: 69 to 72 columns depending on the year, labels
//! (`Identifiant_de_l_etablissement`, `Code postal`) or API field names
//! (`identifiant_de_l_etablissement`), `;` or `,` or tab separated, UTF-8 with or without
//! BOM or Windows-1252 once re-saved by Excel, CRLF or LF. Only the identity columns are
//! required; everything else is used when it is there.
//!
//! This module only reads: [`parse`] turns the file into the département's schools,
//! `schools.rs` writes them.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use crate::error::{Error, Result};
use crate::model::{RowError, SchoolKind, SchoolStatus};
use crate::validate;

/// Above this, a pupil count is a typo (the biggest French écoles have about 1,000).
pub(crate) const MAX_PUPILS: u32 = 3_000;

/// The national file is about 40 MB; anything far bigger is not the directory.
const MAX_BYTES: usize = 200 * 1024 * 1024;

/// One school of the département, as the directory describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DirectorySchool {
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

#[derive(Debug, Default)]
pub(crate) struct ParsedDirectory {
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

/// The file's text: UTF-8 (BOM or not), UTF-16 with a BOM, or else Windows-1252, the
/// encoding of a CSV re-saved by Excel on Windows. Windows-1252 gives a character for every
/// byte, so a file that is in neither will show odd letters, never fail here.
pub(crate) fn decode(bytes: &[u8]) -> Result<Cow<'_, str>> {
    if bytes.len() > MAX_BYTES {
        return Err(rejected_at(
            1,
            format!(
                "fichier trop gros ({} Mo ; l'annuaire national en fait environ 40)",
                bytes.len() / (1024 * 1024)
            ),
        ));
    }
    if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, had_errors) = encoding.decode_without_bom_handling(&bytes[bom..]);
        if had_errors {
            return Err(rejected_at(
                1,
                format!("le fichier n'est pas lisible en {}", encoding.name()),
            ));
        }
        return Ok(text);
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(Cow::Borrowed(text)),
        Err(_) => Ok(encoding_rs::WINDOWS_1252
            .decode_without_bom_handling(bytes)
            .0),
    }
}

fn rejected_at(line: u64, reason: String) -> Error {
    Error::ImportRejected(vec![RowError { line, reason }])
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
            return Err(rejected_at(
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

/// The line a record starts on, counting lines as an editor does (CRLF is one break).
struct LineCounter<'t> {
    text: &'t [u8],
    offset: usize,
    line: u64,
}

impl LineCounter<'_> {
    fn line_at(&mut self, byte: u64) -> u64 {
        let target = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        if target >= self.offset {
            // `\r\n` and a lone `\n` end a line; a lone `\r` (old Mac files) too.
            let chunk = &self.text[self.offset..target];
            let mut prev_cr = self.offset > 0 && self.text[self.offset - 1] == b'\r';
            for &b in chunk {
                match b {
                    b'\n' if prev_cr => {}
                    b'\n' | b'\r' => self.line += 1,
                    _ => {}
                }
                prev_cr = b == b'\r';
            }
            self.offset = target;
        }
        self.line
    }
}

/// Reads the directory and keeps the écoles of the département's `communes`. Every bad row
/// of the département is reported with its real line number (the header is line 1); any
/// refuses the whole file.
pub(crate) fn parse(bytes: &[u8], communes: &HashSet<String>) -> Result<ParsedDirectory> {
    let text = decode(bytes)?;
    let text: &str = &text;
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(crate::csv_text::separator(text))
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| rejected_at(1, format!("en-tête illisible ({e})")))?
        .clone();
    let cols = Columns::from_headers(&headers)?;
    let mut lines = LineCounter {
        text: text.as_bytes(),
        offset: 0,
        line: 1,
    };
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
        Err(Error::ImportRejected(errors))
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
    let uai = match validate::uai(Some(raw_uai)) {
        Ok(Some(uai)) => Some(uai),
        Ok(None) => {
            reasons.push("identifiant (UAI) manquant".to_string());
            None
        }
        Err(_) => {
            reasons.push(format!("UAI invalide « {raw_uai} »"));
            None
        }
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
pub(crate) fn extract(parsed: &ParsedDirectory) -> Result<String> {
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    // Writing to memory only fails on a bug: kept as an error all the same.
    let write = |w: &mut csv::Writer<Vec<u8>>, rec: &[&str]| {
        w.write_record(rec)
            .map_err(|e| Error::Io(std::io::Error::from(e)))
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
    let bytes = w.into_inner().map_err(|e| Error::Io(e.into_error()))?;
    String::from_utf8(bytes).map_err(|e| Error::Io(std::io::Error::other(e)))
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
    fn windows_1252_and_utf16_are_decoded() {
        // "École" in Windows-1252: É is 0xC9.
        assert_eq!(decode(b"\xc9cole").expect("1252"), "École");
        assert_eq!(decode("\u{feff}École".as_bytes()).expect("bom"), "École");
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("École".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(decode(&utf16).expect("utf-16"), "École");
    }

    #[test]
    fn lines_count_crlf_lf_and_cr_as_one_break_each() {
        let text = b"h\r\na\r\nb\nc\rd";
        let mut l = LineCounter {
            text,
            offset: 0,
            line: 1,
        };
        assert_eq!(l.line_at(3), 2); // after "h\r\n"
        assert_eq!(l.line_at(6), 3);
        assert_eq!(l.line_at(8), 4);
        assert_eq!(l.line_at(10), 5);
        // Stopping between \r and \n does not count the pair twice.
        let mut l = LineCounter {
            text,
            offset: 0,
            line: 1,
        };
        assert_eq!(l.line_at(2), 2);
        assert_eq!(l.line_at(3), 2);
    }

    #[test]
    fn states_of_the_directory() {
        assert_eq!(state("OUVERT"), SchoolStatus::Open);
        assert_eq!(state("A FERMER"), SchoolStatus::Closing);
        assert_eq!(state("À fermer"), SchoolStatus::Closing);
        assert_eq!(state("FERME"), SchoolStatus::Closed);
        assert_eq!(state(""), SchoolStatus::Open);
    }
}
