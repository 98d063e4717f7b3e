//! Commune search as the adviser types: accent-, case- and hyphen-insensitive on the name,
//! postal codes and INSEE code; "St"/"Ste" match "Saint"/"Sainte".
//!
//! Ranking: exact name, then name prefix, then a word of the name starting with the query,
//! then every query word starting a word of the name; within a tier, larger population
//! first, then name. The index lives in memory: a whole département is a few hundred
//! kilobytes, and all of France (35,000 communes) a few megabytes.

use rusqlite::Connection;

use crate::error::Result;
use crate::model::CommuneHit;
use crate::text::{fold, fold_plain};

struct Entry {
    hit: CommuneHit,
    folded: String,
    /// Byte offsets where the words of `folded` start.
    word_starts: Vec<u16>,
}

#[derive(Default)]
pub struct CommuneIndex {
    entries: Vec<Entry>,
}

/// Lower is better.
type Tier = u8;

impl CommuneIndex {
    pub fn new(hits: Vec<CommuneHit>) -> CommuneIndex {
        let entries = hits
            .into_iter()
            .map(|hit| {
                let folded = fold(&hit.name);
                let mut word_starts = vec![0u16];
                word_starts.extend(
                    folded
                        .bytes()
                        .enumerate()
                        .filter(|(_, b)| *b == b' ')
                        .filter_map(|(i, _)| u16::try_from(i + 1).ok()),
                );
                Entry {
                    hit,
                    folded,
                    word_starts,
                }
            })
            .collect();
        CommuneIndex { entries }
    }

    pub(crate) fn load(conn: &Connection) -> Result<CommuneIndex> {
        let mut stmt = conn.prepare(
            "SELECT c.insee, c.name, c.population, c.postal_codes, e.name
             FROM communes c LEFT JOIN epci e ON e.siren = c.epci_siren",
        )?;
        let hits = stmt
            .query_map([], |r| {
                let postal: String = r.get(3)?;
                Ok(CommuneHit {
                    insee: r.get(0)?,
                    name: r.get(1)?,
                    population: r.get(2)?,
                    postal_codes: split_postal_codes(&postal),
                    epci_name: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(CommuneIndex::new(hits))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The best `limit` matches for `query`, best first. An empty query matches nothing.
    pub fn search(&self, query: &str, limit: usize) -> Vec<CommuneHit> {
        let plain = fold_plain(query);
        if plain.is_empty() || limit == 0 {
            return Vec::new();
        }
        let mut matches: Vec<(Tier, &Entry)> = if plain.bytes().all(|b| b.is_ascii_digit()) {
            self.entries
                .iter()
                .filter_map(|e| code_tier(e, &plain).map(|t| (t, e)))
                .collect()
        } else {
            // "st" may be "saint" or the start of a name: try both, keep the better tier.
            let expanded = fold(query);
            let variants: Vec<Vec<&str>> = [&expanded, &plain]
                .into_iter()
                .map(|q| q.split(' ').collect())
                .collect();
            let queries = [expanded.as_str(), plain.as_str()];
            self.entries
                .iter()
                .filter_map(|e| {
                    queries
                        .iter()
                        .zip(&variants)
                        .filter_map(|(q, words)| name_tier(e, q, words))
                        .min()
                        .map(|t| (t, e))
                })
                .collect()
        };
        let key = |(tier, e): &(Tier, &Entry)| (*tier, std::cmp::Reverse(e.hit.population));
        if matches.len() > limit {
            matches.select_nth_unstable_by(limit - 1, |a, b| {
                key(a)
                    .cmp(&key(b))
                    .then_with(|| a.1.folded.cmp(&b.1.folded))
            });
            matches.truncate(limit);
        }
        matches.sort_by(|a, b| {
            key(a)
                .cmp(&key(b))
                .then_with(|| a.1.folded.cmp(&b.1.folded))
        });
        matches.into_iter().map(|(_, e)| e.hit.clone()).collect()
    }
}

pub(crate) fn split_postal_codes(s: &str) -> Vec<String> {
    s.split([';', ',', ' '])
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

fn code_tier(e: &Entry, q: &str) -> Option<Tier> {
    let codes =
        std::iter::once(e.hit.insee.as_str()).chain(e.hit.postal_codes.iter().map(String::as_str));
    codes
        .filter_map(|c| {
            if c == q {
                Some(0)
            } else if c.starts_with(q) {
                Some(1)
            } else {
                None
            }
        })
        .min()
}

fn name_tier(e: &Entry, q: &str, words: &[&str]) -> Option<Tier> {
    let name = e.folded.as_str();
    if name == q {
        return Some(0);
    }
    if name.starts_with(q) {
        return Some(1);
    }
    let starts_word = |needle: &str| {
        e.word_starts.iter().any(|&s| {
            name.get(usize::from(s)..)
                .is_some_and(|rest| rest.starts_with(needle))
        })
    };
    if starts_word(q) {
        return Some(2);
    }
    if words.len() > 1 && words.iter().all(|w| starts_word(w)) {
        return Some(3);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(insee: &str, name: &str, population: u32, postal: &str) -> CommuneHit {
        CommuneHit {
            insee: insee.into(),
            name: name.into(),
            population,
            postal_codes: split_postal_codes(postal),
            epci_name: None,
        }
    }

    fn index() -> CommuneIndex {
        CommuneIndex::new(vec![
            hit("80620", "Péronne", 7_500, "80200"),
            hit("80621", "Péronne-les-Bois", 120, "80201"),
            hit(
                "80700",
                "Saint-Quentin-la-Motte-Croix-au-Bailly",
                300,
                "80880",
            ),
            hit("80701", "Saint-Valery-sur-Somme", 2_600, "80230"),
            hit("80702", "Sainte-Segrée", 60, "80290"),
            hit("80703", "Mons-Boubert", 500, "80210"),
            hit("80704", "Boubers-sur-Canche", 400, "80300"),
            hit("80021", "Amiens", 133_000, "80000;80080;80090"),
            hit("80022", "Estrées-lès-Crécy", 500, "80150"),
            hit("80023", "Stenay-Bis", 50, "80999"),
        ])
    }

    fn names(hits: Vec<CommuneHit>) -> Vec<String> {
        hits.into_iter().map(|h| h.name).collect()
    }

    #[test]
    fn ranks_matches_best_first() {
        let idx = index();
        let cases: &[(&str, &[&str])] = &[
            ("peronne", &["Péronne", "Péronne-les-Bois"]),
            ("PÉRONNE-LES", &["Péronne-les-Bois"]),
            ("St Valery", &["Saint-Valery-sur-Somme"]),
            ("st-quentin", &["Saint-Quentin-la-Motte-Croix-au-Bailly"]),
            ("ste segree", &["Sainte-Segrée"]),
            (
                "st",
                &[
                    "Saint-Valery-sur-Somme",
                    "Saint-Quentin-la-Motte-Croix-au-Bailly",
                    "Sainte-Segrée",
                    "Stenay-Bis",
                ],
            ),
            ("bou", &["Boubers-sur-Canche", "Mons-Boubert"]),
            ("valery somme", &["Saint-Valery-sur-Somme"]),
            ("estrees les crecy", &["Estrées-lès-Crécy"]),
            ("80200", &["Péronne"]),
            ("8020", &["Péronne", "Péronne-les-Bois"]),
            ("80080", &["Amiens"]),
            ("80620", &["Péronne"]),
            ("", &[]),
            ("  -- ", &[]),
            ("zzz", &[]),
        ];
        for (query, want) in cases {
            assert_eq!(names(idx.search(query, 10)), *want, "query {query:?}");
        }
    }

    #[test]
    fn limit_keeps_the_best() {
        let idx = index();
        assert_eq!(
            names(idx.search("s", 2)),
            [
                "Saint-Valery-sur-Somme",
                "Saint-Quentin-la-Motte-Croix-au-Bailly"
            ]
        );
        assert!(idx.search("s", 0).is_empty());
    }
}
