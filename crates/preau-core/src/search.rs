//! Commune search as the adviser types: accent-, case- and hyphen-insensitive on the name,
//! postal codes and INSEE code; "St"/"Ste" match "Saint"/"Sainte".
//!
//! Ranking: exact name, then name prefix, then a word of the name starting with the query,
//! then every query word starting a word of the name; within a tier, larger population
//! first, then name.
//!
//! The index keeps every word start of every folded name in one sorted array, so each tier
//! is a binary-searched range; a lower tier is only looked at when the better ones hold
//! fewer than `limit` communes. All of France (35,000 communes) is a few megabytes.

use std::cmp::Ordering;

use rusqlite::Connection;

use crate::error::Result;
use crate::model::CommuneHit;
use crate::text::{fold, fold_plain};

struct Entry {
    hit: CommuneHit,
    folded: String,
}

/// A word start in a folded name: entry index and byte offset.
#[derive(Clone, Copy)]
struct WordStart {
    entry: u32,
    offset: u16,
}

#[derive(Default)]
pub struct CommuneIndex {
    entries: Vec<Entry>,
    /// Starts of the names (offset 0), sorted by the folded name.
    names: Vec<WordStart>,
    /// Starts of the other words, sorted by the text from there to the end of the name.
    words: Vec<WordStart>,
    /// (INSEE or postal code, entry) sorted by code, for prefix ranges.
    codes: Vec<(String, u32)>,
}

/// Lower is better.
type Tier = u8;

impl CommuneIndex {
    pub fn new(hits: Vec<CommuneHit>) -> CommuneIndex {
        let entries: Vec<Entry> = hits
            .into_iter()
            .map(|hit| Entry {
                folded: fold(&hit.name),
                hit,
            })
            .collect();
        let mut names = Vec::with_capacity(entries.len());
        let mut words = Vec::new();
        let mut codes = Vec::new();
        for (i, e) in entries.iter().enumerate() {
            let Ok(entry) = u32::try_from(i) else { break };
            names.push(WordStart { entry, offset: 0 });
            for (at, b) in e.folded.bytes().enumerate() {
                if b == b' ' {
                    if let Ok(offset) = u16::try_from(at + 1) {
                        words.push(WordStart { entry, offset });
                    }
                }
            }
            codes.push((e.hit.insee.clone(), entry));
            codes.extend(e.hit.postal_codes.iter().map(|c| (c.clone(), entry)));
        }
        let mut index = CommuneIndex {
            entries,
            names,
            words,
            codes,
        };
        let mut names = std::mem::take(&mut index.names);
        names.sort_unstable_by(|a, b| index.text(*a).cmp(index.text(*b)));
        let mut words = std::mem::take(&mut index.words);
        words.sort_unstable_by(|a, b| index.text(*a).cmp(index.text(*b)));
        index.names = names;
        index.words = words;
        index.codes.sort();
        index.codes.dedup();
        index
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

    /// The folded name from a word start to its end.
    fn text(&self, w: WordStart) -> &[u8] {
        self.entries
            .get(w.entry as usize)
            .and_then(|e| e.folded.as_bytes().get(usize::from(w.offset)..))
            .unwrap_or_default()
    }

    /// The word starts in `sorted` whose text begins with `prefix`.
    fn range<'a>(&self, sorted: &'a [WordStart], prefix: &[u8]) -> &'a [WordStart] {
        let start = sorted.partition_point(|w| self.text(*w) < prefix);
        let len = sorted[start..].partition_point(|w| {
            let t = self.text(*w);
            t.starts_with(prefix) || t.cmp(prefix) == Ordering::Less
        });
        &sorted[start..start + len]
    }

    /// The best `limit` matches for `query`, best first. An empty query matches nothing.
    pub fn search(&self, query: &str, limit: usize) -> Vec<CommuneHit> {
        let plain = fold_plain(query);
        if plain.is_empty() || limit == 0 {
            return Vec::new();
        }
        let mut found = Found::new(self.entries.len());
        if plain.bytes().all(|b| b.is_ascii_digit()) {
            self.code_matches(&plain, &mut found);
        } else {
            // "st" may be "saint" or the start of a name: try both.
            let expanded = fold(query);
            let mut variants = vec![expanded.as_str()];
            if expanded != plain {
                variants.push(plain.as_str());
            }
            for q in &variants {
                for w in self.range(&self.names, q.as_bytes()) {
                    let exact = self.text(*w).len() == q.len();
                    found.add(w.entry, if exact { 0 } else { 1 });
                }
            }
            if found.len() < limit {
                for q in &variants {
                    for w in self.range(&self.words, q.as_bytes()) {
                        found.add(w.entry, 2);
                    }
                }
            }
            if found.len() < limit {
                for q in &variants {
                    self.all_words_match(q, &mut found);
                }
            }
        }
        let mut matches: Vec<(Tier, &Entry)> = found
            .items
            .into_iter()
            .filter_map(|(tier, i)| self.entries.get(i as usize).map(|e| (tier, e)))
            .collect();
        let order = |a: &(Tier, &Entry), b: &(Tier, &Entry)| {
            (a.0, std::cmp::Reverse(a.1.hit.population), &a.1.folded).cmp(&(
                b.0,
                std::cmp::Reverse(b.1.hit.population),
                &b.1.folded,
            ))
        };
        if matches.len() > limit {
            matches.select_nth_unstable_by(limit - 1, order);
            matches.truncate(limit);
        }
        matches.sort_by(order);
        matches.into_iter().map(|(_, e)| e.hit.clone()).collect()
    }

    /// Tier 3: a query of several words, each starting some word of the name.
    fn all_words_match(&self, q: &str, found: &mut Found) {
        let words: Vec<&[u8]> = q.split(' ').map(str::as_bytes).collect();
        let [first, rest @ ..] = words.as_slice() else {
            return;
        };
        if rest.is_empty() {
            return;
        }
        let candidates = self
            .range(&self.names, first)
            .iter()
            .chain(self.range(&self.words, first));
        for w in candidates {
            let Some(e) = self.entries.get(w.entry as usize) else {
                continue;
            };
            let name = e.folded.as_bytes();
            let starts_word = |needle: &[u8]| {
                std::iter::once(0)
                    .chain(
                        name.iter()
                            .enumerate()
                            .filter(|(_, b)| **b == b' ')
                            .map(|(i, _)| i + 1),
                    )
                    .any(|s| name[s..].starts_with(needle))
            };
            if rest.iter().all(|w| starts_word(w)) {
                found.add(w.entry, 3);
            }
        }
    }

    /// Communes whose INSEE or postal code equals (tier 0) or starts with (tier 1) `q`.
    fn code_matches(&self, q: &str, found: &mut Found) {
        let start = self.codes.partition_point(|(c, _)| c.as_str() < q);
        let mut hits: Vec<(Tier, u32)> = self.codes[start..]
            .iter()
            .take_while(|(c, _)| c.starts_with(q))
            .map(|(c, i)| (Tier::from(c != q), *i))
            .collect();
        hits.sort_unstable();
        for (tier, i) in hits {
            found.add(i, tier);
        }
    }
}

/// Matches so far, each commune once with the best tier it reached first.
struct Found {
    seen: Vec<u64>,
    items: Vec<(Tier, u32)>,
}

impl Found {
    fn new(n: usize) -> Found {
        Found {
            seen: vec![0; n.div_ceil(64)],
            items: Vec::new(),
        }
    }

    fn add(&mut self, entry: u32, tier: Tier) {
        let (word, bit) = ((entry / 64) as usize, 1u64 << (entry % 64));
        if let Some(w) = self.seen.get_mut(word) {
            if *w & bit == 0 {
                *w |= bit;
                self.items.push((tier, entry));
            }
        }
    }

    fn len(&self) -> usize {
        self.items.len()
    }
}

pub(crate) fn split_postal_codes(s: &str) -> Vec<String> {
    s.split([';', ',', ' '])
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
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
