//! Reference data the server publishes to the laptops — the group-purchase catalogue, the
//! funding rules, the département's schools of the national directory: checked with the
//! parsers the laptops use (`preau-reference`), compared with what is published, published.
//!
//! The command line (`preau-server import …`) and the back-office's Référentiel page call
//! the same [`prepare`] and [`publish`]: for one file, both publish the same bytes.

use std::collections::BTreeMap;
use std::fmt;

use preau_reference::catalogue::{self, CatalogueItem, CatalogueKind};
use preau_reference::directory::{self, DirectorySchool};
use preau_reference::funding::{self, FundingRules, Programme, UncomputedProgramme};
use preau_reference::{communes, format};

use crate::error::{Error, Result};
use crate::storage::Storage;

/// One reference data set laptops fetch (its name is the protocol's `kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReferenceKind {
    Catalogue,
    Funding,
    Schools,
}

impl ReferenceKind {
    pub const ALL: [ReferenceKind; 3] = [
        ReferenceKind::Catalogue,
        ReferenceKind::Funding,
        ReferenceKind::Schools,
    ];

    /// The name laptops ask for and the storage keeps.
    pub fn as_str(self) -> &'static str {
        match self {
            ReferenceKind::Catalogue => "catalogue",
            ReferenceKind::Funding => "funding",
            ReferenceKind::Schools => "schools",
        }
    }

    pub fn parse(s: &str) -> Option<ReferenceKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            ReferenceKind::Catalogue => "Catalogue du groupement de commandes",
            ReferenceKind::Funding => "Règles de financement",
            ReferenceKind::Schools => "Annuaire des écoles",
        }
    }

    /// Largest file accepted: the national directory is about 40 MB; a catalogue or
    /// funding rules are a few KB.
    pub fn max_bytes(self) -> usize {
        match self {
            ReferenceKind::Schools => 64 * 1024 * 1024,
            ReferenceKind::Catalogue | ReferenceKind::Funding => 4 * 1024 * 1024,
        }
    }
}

impl fmt::Display for ReferenceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A file checked and turned into what laptops receive, not yet published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    pub kind: ReferenceKind,
    /// What laptops receive (for the directory: the département's écoles, in UTF-8).
    pub content: String,
    /// Items, programmes or schools it holds.
    pub entries: usize,
}

#[derive(Debug, Clone)]
pub struct Published {
    pub kind: ReferenceKind,
    pub version: i64,
    pub entries: usize,
}

/// Validates a reference file with the parsers the laptops use (`preau-reference`, no
/// store). The national school directory (any of its real forms, up to 40 MB) is cut down
/// to the département's écoles, in UTF-8. A refusal is French and names the lines.
pub fn prepare(kind: ReferenceKind, file: &[u8]) -> Result<Prepared> {
    if file.len() > kind.max_bytes() {
        return Err(Error::Reference(format!(
            "le fichier dépasse {} Mo : ce n’est pas un fichier de ce type",
            kind.max_bytes() / (1024 * 1024)
        )));
    }
    let text = || {
        std::str::from_utf8(file)
            .map(str::to_string)
            .map_err(|_| Error::Reference("le fichier n’est pas en UTF-8".into()))
    };
    let checked = match kind {
        ReferenceKind::Schools => prepare_schools(file),
        ReferenceKind::Catalogue => {
            let content = text()?;
            catalogue::parse(&content, CatalogueKind::Syndicate).map(|items| (content, items.len()))
        }
        ReferenceKind::Funding => {
            let content = text()?;
            funding::parse(&content).map(|rules| {
                let n = rules.programme_count();
                (content, n)
            })
        }
    };
    let (content, entries) = checked.map_err(|e| match e {
        // The IT person needs the lines to fix, not a count.
        preau_reference::Error::Rejected(rows) => Error::Reference(
            rows.iter()
                .take(20)
                .map(|r| format!("ligne {} : {}", r.line, r.reason))
                .chain((rows.len() > 20).then(|| format!("… et {} autres", rows.len() - 20)))
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        // The parser's own French sentence (line and column), without an English prefix.
        preau_reference::Error::Catalogue(message) => Error::Reference(message),
        preau_reference::Error::Funding(message) => {
            Error::Reference(format!("règles de financement refusées : {message}"))
        }
        e => Error::Reference(e.to_string()),
    })?;
    Ok(Prepared {
        kind,
        content,
        entries,
    })
}

/// Publishes a prepared file as the next version of its kind: laptops fetch it at their
/// next sync.
pub async fn publish(storage: &dyn Storage, prepared: &Prepared) -> Result<Published> {
    let kind = prepared.kind;
    let version = storage
        .publish_reference(kind.as_str(), &prepared.content)
        .await?;
    tracing::info!(%kind, version, entries = prepared.entries, "reference data published");
    Ok(Published {
        kind,
        version,
        entries: prepared.entries,
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

/// Entries added, changed (before, after) and removed, by key, in key order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changes<T> {
    pub added: Vec<T>,
    pub changed: Vec<(T, T)>,
    pub removed: Vec<T>,
}

impl<T> Changes<T> {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }
}

/// Compares two lists keyed by `key` (a key repeated keeps its last entry, as the
/// laptops' import does).
pub fn changes<T: Clone + PartialEq>(old: &[T], new: &[T], key: impl Fn(&T) -> &str) -> Changes<T> {
    let index = |list: &[T]| -> BTreeMap<String, T> {
        list.iter()
            .map(|t| (key(t).to_string(), t.clone()))
            .collect()
    };
    let (old, new) = (index(old), index(new));
    let mut out = Changes {
        added: Vec::new(),
        changed: Vec::new(),
        removed: Vec::new(),
    };
    for (k, n) in &new {
        match old.get(k) {
            None => out.added.push(n.clone()),
            Some(o) if o != n => out.changed.push((o.clone(), n.clone())),
            Some(_) => {}
        }
    }
    out.removed = old
        .iter()
        .filter(|(k, _)| !new.contains_key(*k))
        .map(|(_, o)| o.clone())
        .collect();
    out
}

/// What publishing a file would change for the laptops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Comparison {
    Catalogue(Changes<CatalogueItem>),
    Funding {
        programmes: Changes<Programme>,
        not_computed: Changes<UncomputedProgramme>,
        /// The rules' own settings that change: (French label, before, after).
        settings: Vec<(&'static str, String, String)>,
    },
    Schools(Changes<DirectorySchool>),
}

/// A prepared file against the version published now.
#[derive(Debug, Clone)]
pub struct Preview {
    /// The version published now, if any.
    pub published: Option<i64>,
    /// The published version could not be read back (an older format): everything shows
    /// as added.
    pub published_unreadable: bool,
    pub comparison: Comparison,
}

/// Compares `prepared` with the published `content` of the same kind (`None`: nothing
/// published yet).
pub fn compare(prepared: &Prepared, published: Option<(i64, &str)>) -> Preview {
    let old = published.map(|(_, c)| c);
    let mut unreadable = false;
    let mut read = |ok: bool| {
        if old.is_some() && !ok {
            unreadable = true;
        }
    };
    let comparison = match prepared.kind {
        ReferenceKind::Catalogue => {
            let items = |text: &str| catalogue::parse(text, CatalogueKind::Syndicate).ok();
            let before = old.and_then(items);
            read(before.is_some());
            let after = items(&prepared.content).unwrap_or_default();
            Comparison::Catalogue(changes(&before.unwrap_or_default(), &after, |i| {
                i.reference.as_str()
            }))
        }
        ReferenceKind::Funding => {
            let before = old.and_then(|t| funding::parse(t).ok());
            read(before.is_some());
            let after = funding::parse(&prepared.content).ok();
            funding_changes(before.as_ref(), after.as_ref())
        }
        ReferenceKind::Schools => {
            let schools = |text: &str| {
                communes::codes()
                    .and_then(|codes| directory::parse(text.as_bytes(), &codes))
                    .map(|p| p.schools)
                    .ok()
            };
            let before = old.and_then(schools);
            read(before.is_some());
            let after = schools(&prepared.content).unwrap_or_default();
            Comparison::Schools(changes(&before.unwrap_or_default(), &after, |s| {
                s.uai.as_str()
            }))
        }
    };
    Preview {
        published: published.map(|(v, _)| v),
        published_unreadable: unreadable,
        comparison,
    }
}

fn funding_changes(before: Option<&FundingRules>, after: Option<&FundingRules>) -> Comparison {
    let programmes = |r: Option<&FundingRules>| r.map(|r| r.programmes.clone()).unwrap_or_default();
    let uncomputed =
        |r: Option<&FundingRules>| r.map(|r| r.not_computed.clone()).unwrap_or_default();
    let mut settings = Vec::new();
    if let (Some(b), Some(a)) = (before, after) {
        let pairs = [
            ("Version des règles", b.version.clone(), a.version.clone()),
            (
                "Taux du FCTVA",
                format::percent(b.fctva_rate_ppm),
                format::percent(a.fctva_rate_ppm),
            ),
            (
                "Statut du taux du FCTVA",
                b.fctva_status.label().to_string(),
                a.fctva_status.label().to_string(),
            ),
            (
                "Part minimale de la commune",
                format::percent(b.min_own_share_ppm),
                format::percent(a.min_own_share_ppm),
            ),
        ];
        settings = pairs.into_iter().filter(|(_, b, a)| b != a).collect();
    }
    Comparison::Funding {
        programmes: changes(&programmes(before), &programmes(after), |p| p.id.as_str()),
        not_computed: changes(&uncomputed(before), &uncomputed(after), |p| p.id.as_str()),
        settings,
    }
}

/// The French names of a catalogue item's fields that differ between two versions.
pub fn item_fields_changed(old: &CatalogueItem, new: &CatalogueItem) -> Vec<&'static str> {
    let mut out = Vec::new();
    let mut differs = |label, changed: bool| {
        if changed {
            out.push(label);
        }
    };
    differs("désignation", old.designation != new.designation);
    differs("catégorie", old.category != new.category);
    differs("unité", old.unit != new.unit);
    differs("prix", old.unit_price_cents != new.unit_price_cents);
    differs("TVA", old.vat_rate_bp != new.vat_rate_bp);
    differs("marché", old.market != new.market);
    differs("lot", old.lot != new.lot || old.lot_label != new.lot_label);
    differs(
        "validité",
        old.valid_from != new.valid_from || old.valid_until != new.valid_until,
    );
    differs(
        "fournisseur",
        old.supplier != new.supplier || old.supplier_reference != new.supplier_reference,
    );
    let listed = out.len();
    if listed == 0 && old != new {
        out.push("autres champs");
    }
    out
}

/// The French names of a school's fields that differ between two directory versions.
pub fn school_fields_changed(old: &DirectorySchool, new: &DirectorySchool) -> Vec<&'static str> {
    [
        ("nom", old.name != new.name),
        ("type", old.kind != new.kind),
        ("secteur", old.public != new.public),
        ("commune", old.commune_insee != new.commune_insee),
        ("effectif", old.pupils != new.pupils),
        ("état", old.status != new.status),
    ]
    .into_iter()
    .filter_map(|(label, changed)| changed.then_some(label))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn fixture(name: &str) -> Vec<u8> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../preau-reference/tests/fixtures")
            .join(name);
        std::fs::read(path).unwrap_or_default()
    }

    fn example_catalogue() -> String {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../data/reference/catalogue-syndicat-exemple.csv");
        std::fs::read_to_string(path).unwrap_or_default()
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
        let p = prepare(ReferenceKind::Schools, &latin1).expect("published");
        assert_eq!(p.entries, 10);
        assert!(p
            .content
            .contains("École maternelle des Peupliers;Ecole;Public;80620;1;0;;A FERMER"));
        assert!(!p.content.contains("Compiègne"), "the Oise is left out");
        assert_eq!(p.content.lines().count(), 11, "header + one line per école");
    }

    #[test]
    fn a_refused_directory_names_its_lines_in_french() {
        let err = prepare(
            ReferenceKind::Schools,
            &fixture("annuaire-education-erreurs.csv"),
        )
        .expect_err("refused");
        let Error::Reference(text) = err else {
            panic!("a reference error")
        };
        for line in ["ligne 3 :", "ligne 4 :", "ligne 6 :", "ligne 7 :"] {
            assert!(text.contains(line), "{text}");
        }
    }

    #[test]
    fn kinds_are_named_as_the_protocol_names_them() {
        for kind in ReferenceKind::ALL {
            assert_eq!(ReferenceKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(ReferenceKind::parse("Catalogue"), None);
        let big = vec![b'a'; ReferenceKind::Funding.max_bytes() + 1];
        assert!(prepare(ReferenceKind::Funding, &big).is_err());
        assert!(prepare(ReferenceKind::Catalogue, &[0xff, 0xfe]).is_err());
    }

    #[test]
    fn a_catalogue_is_compared_item_by_item_and_price_by_price() {
        let example = example_catalogue();
        let mut lines: Vec<String> = example.lines().map(str::to_string).collect();
        let header = lines[0].clone();
        let reference = |line: &str| line.split(';').next().unwrap_or("").to_string();
        // One item removed (the last), one with its designation changed (the second).
        let removed = reference(&lines[lines.len() - 1]);
        lines.pop();
        let renamed = reference(&lines[1]);
        let columns: Vec<&str> = header.split(';').collect();
        let at = columns
            .iter()
            .position(|c| *c == "designation")
            .expect("designation column");
        let mut cells: Vec<String> = lines[1].split(';').map(str::to_string).collect();
        cells[at] = format!("{} (nouveau modèle)", cells[at]);
        lines[1] = cells.join(";");
        let old = prepare(ReferenceKind::Catalogue, example.as_bytes()).expect("example");
        let new = prepare(ReferenceKind::Catalogue, lines.join("\n").as_bytes()).expect("new");
        let preview = compare(&new, Some((3, &old.content)));
        assert_eq!(preview.published, Some(3));
        assert!(!preview.published_unreadable);
        let Comparison::Catalogue(c) = preview.comparison else {
            panic!("a catalogue")
        };
        assert!(c.added.is_empty());
        assert_eq!(
            c.removed
                .iter()
                .map(|i| i.reference.clone())
                .collect::<Vec<_>>(),
            [removed]
        );
        assert_eq!(c.changed.len(), 1);
        assert_eq!(c.changed[0].1.reference, renamed);
        assert_eq!(
            item_fields_changed(&c.changed[0].0, &c.changed[0].1),
            ["désignation"]
        );
        // Nothing published: everything is added; the same file: nothing changes.
        let Comparison::Catalogue(c) = compare(&old, None).comparison else {
            panic!("a catalogue")
        };
        assert_eq!(c.added.len(), old.entries);
        let same = compare(&old, Some((1, &old.content)));
        assert!(matches!(same.comparison, Comparison::Catalogue(c) if c.is_empty()));
        let unreadable = compare(&old, Some((1, "pas un catalogue")));
        assert!(unreadable.published_unreadable);
    }

    #[test]
    fn funding_rules_are_compared_programme_by_programme() {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/reference/funding_rules.json");
        let text = std::fs::read_to_string(path).expect("funding rules");
        let old = prepare(ReferenceKind::Funding, text.as_bytes()).expect("rules");
        let mut rules: FundingRules = serde_json::from_str(&text).expect("json");
        let gone = rules.programmes.remove(0);
        rules.programmes[0].rate_ppm /= 2;
        let halved = rules.programmes[0].id.clone();
        rules.fctva_rate_ppm = 160_000;
        let json = serde_json::to_string(&rules).expect("json");
        let new = prepare(ReferenceKind::Funding, json.as_bytes()).expect("new rules");
        let Comparison::Funding {
            programmes,
            not_computed,
            settings,
        } = compare(&new, Some((1, &old.content))).comparison
        else {
            panic!("funding")
        };
        assert_eq!(programmes.removed, [gone]);
        assert_eq!(programmes.changed.len(), 1);
        assert_eq!(programmes.changed[0].1.id, halved);
        assert!(programmes.added.is_empty() && not_computed.is_empty());
        assert_eq!(settings.len(), 1);
        assert_eq!(settings[0].0, "Taux du FCTVA");
        assert_eq!(settings[0].2, "16\u{a0}%");
    }

    proptest::proptest! {
        /// Whatever two lists (keys repeated, values changed), the changes applied to the
        /// old one give the new one, and no key is in two of added / changed / removed.
        #[test]
        fn changes_applied_to_the_old_list_give_the_new_one(
            old in proptest::collection::vec((0u8..12, 0u8..3), 0..20),
            new in proptest::collection::vec((0u8..12, 0u8..3), 0..20),
        ) {
            let text = |v: &[(u8, u8)]| -> Vec<(String, u8)> {
                v.iter().map(|(k, x)| (k.to_string(), *x)).collect()
            };
            let (old, new) = (text(&old), text(&new));
            let c = changes(&old, &new, |e| e.0.as_str());
            let last = |v: &[(String, u8)]| -> BTreeMap<String, u8> { v.iter().cloned().collect() };
            let mut applied = last(&old);
            for (k, _) in &c.removed {
                proptest::prop_assert!(applied.remove(k).is_some());
            }
            for (before, (k, x)) in &c.changed {
                proptest::prop_assert_eq!(&before.0, k);
                proptest::prop_assert!(applied.insert(k.clone(), *x).is_some_and(|b| b != *x));
            }
            for (k, x) in &c.added {
                proptest::prop_assert!(applied.insert(k.clone(), *x).is_none());
            }
            proptest::prop_assert_eq!(applied, last(&new));
        }
    }

    #[test]
    fn two_directories_are_compared_school_by_school() {
        let y2024 = prepare(
            ReferenceKind::Schools,
            &fixture("annuaire-education-2024-somme.csv"),
        )
        .expect("2024");
        let y2026 = prepare(
            ReferenceKind::Schools,
            &fixture("annuaire-education-2026-somme.csv"),
        )
        .expect("2026");
        let Comparison::Schools(c) = compare(&y2026, Some((1, &y2024.content))).comparison else {
            panic!("schools")
        };
        assert!(!c.is_empty());
        for (o, n) in &c.changed {
            assert_eq!(o.uai, n.uai);
            assert!(!school_fields_changed(o, n).is_empty());
        }
        let after = y2024.entries + c.added.len() - c.removed.len();
        assert_eq!(after, y2026.entries);
    }
}
