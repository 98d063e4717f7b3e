//! Communes: search and the commune sheet.

use rusqlite::{OptionalExtension, Row};

use crate::error::{Error, Result};
use crate::model::{Commune, CommuneHit, CommuneSheet, Epci, Mairie};
use crate::search::split_postal_codes;
use crate::store::Store;

fn commune_from_row(r: &Row<'_>) -> rusqlite::Result<Commune> {
    let postal: String = r.get(3)?;
    let epci_siren: Option<String> = r.get(10)?;
    let epci = match epci_siren {
        Some(siren) => Some(Epci {
            siren,
            name: r.get(11)?,
            kind: r.get(12)?,
            member: r.get(13)?,
        }),
        None => None,
    };
    Ok(Commune {
        insee: r.get(0)?,
        name: r.get(1)?,
        population: r.get(2)?,
        postal_codes: split_postal_codes(&postal),
        epci,
        mairie: Mairie {
            address: r.get(4)?,
            phone: r.get(5)?,
            email: r.get(6)?,
        },
        latitude: r.get(7)?,
        longitude: r.get(8)?,
    })
}

impl Store {
    pub fn communes_search(&self, query: &str, limit: usize) -> Vec<CommuneHit> {
        self.communes.search(query, limit)
    }

    pub fn commune(&self, insee: &str) -> Result<Commune> {
        self.cached_row(
            "SELECT c.insee, c.name, c.population, c.postal_codes, c.mairie_address,
                   c.mairie_phone, c.mairie_email, c.latitude, c.longitude, NULL,
                   e.siren, e.name, e.kind, e.member
                 FROM communes c LEFT JOIN epci e ON e.siren = c.epci_siren
                 WHERE c.insee = ?1",
            [insee.trim()],
            commune_from_row,
        )
        .optional()?
        .ok_or_else(|| Error::NotFound {
            what: "commune",
            id: insee.to_string(),
        })
    }

    pub fn commune_sheet(&self, insee: &str) -> Result<CommuneSheet> {
        let commune = self.commune(insee)?;
        let schools = self.schools_of(&commune.insee)?;
        let visits = self.visits_of(&commune.insee)?;
        Ok(CommuneSheet {
            commune,
            schools,
            visits,
        })
    }
}
