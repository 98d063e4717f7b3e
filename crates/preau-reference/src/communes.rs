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

/// A commune's name and EPCI, as the server's back-office shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commune {
    pub insee: String,
    pub name: String,
    /// "CC Terre de Picardie"; `None` for a commune in none.
    pub epci: Option<String>,
    /// Its EPCI is a member of the syndicate (`epci_membre_somme_numerique`).
    pub member: bool,
}

/// Every commune of the embedded file, by INSEE code.
pub fn all() -> Result<Vec<Commune>> {
    let bad = |e: csv::Error| Error::Embedded(format!("communes: {e}"));
    let mut reader = csv::Reader::from_reader(CSV.as_bytes());
    let headers = reader.headers().map_err(bad)?.clone();
    let at = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| Error::Embedded(format!("communes: no {name} column")))
    };
    let (insee, name, epci) = (at("code_insee")?, at("nom")?, at("epci_nom")?);
    let member = at("epci_membre_somme_numerique")?;
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(bad)?;
        let get = |i: usize| record.get(i).unwrap_or("").to_string();
        out.push(Commune {
            insee: get(insee),
            name: get(name),
            epci: Some(get(epci)).filter(|e| !e.is_empty()),
            member: get(member) == "oui",
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_771_communes_of_the_somme() {
        let codes = super::codes().expect("embedded communes");
        assert_eq!(codes.len(), 771);
        assert!(codes.contains("80620") && codes.contains("80001"));
        let all = super::all().expect("communes");
        assert_eq!(all.len(), 771);
        let abbeville = all.iter().find(|c| c.insee == "80001").expect("80001");
        assert_eq!(abbeville.name, "Abbeville");
        assert_eq!(abbeville.epci.as_deref(), Some("CA de la Baie de Somme"));
        assert!(abbeville.member);
        // The 10 communes of the CC interrégionale Aumale – Blangy and the one of the CC du
        // Ternois are not members.
        assert_eq!(all.iter().filter(|c| !c.member).count(), 11);
    }
}
