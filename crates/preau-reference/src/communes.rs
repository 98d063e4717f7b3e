//! The département's communes as shipped (`data/reference/somme_communes.csv`, COG 2026;
//! source and licence in `data/reference/SOURCES.md`). The directory keeps only their
//! schools: the laptop reads the codes from its store (loaded from this file), the server,
//! which has no such store, from here.

use std::collections::HashSet;

use crate::error::{Error, Result};

/// The communes file, embedded: the core loads it into the store.
pub const CSV: &str = include_str!("../../../data/reference/somme_communes.csv");

/// The INSEE codes of the département's communes ("80620").
pub fn codes() -> Result<HashSet<String>> {
    let bad = |e: csv::Error| Error::Embedded(format!("communes: {e}"));
    let mut reader = csv::Reader::from_reader(CSV.as_bytes());
    let at = reader
        .headers()
        .map_err(bad)?
        .iter()
        .position(|h| h == "code_insee")
        .ok_or_else(|| Error::Embedded("communes: no code_insee column".into()))?;
    let mut codes = HashSet::new();
    for record in reader.records() {
        let record = record.map_err(bad)?;
        let code = record
            .get(at)
            .filter(|c| !c.is_empty())
            .ok_or_else(|| Error::Embedded("communes: a line has no code_insee".into()))?;
        codes.insert(code.to_string());
    }
    Ok(codes)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_771_communes_of_the_somme() {
        let codes = super::codes().expect("embedded communes");
        assert_eq!(codes.len(), 771);
        assert!(codes.contains("80620") && codes.contains("80001"));
    }
}
