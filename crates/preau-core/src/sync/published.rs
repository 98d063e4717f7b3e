//! Checks of the reference files the server publishes, made with the laptops' own
//! parsers so that what the server accepts, every laptop can install.

use crate::error::Result;
use crate::store::Store;

/// Checks the syndicate's catalogue CSV with the parser the laptops use (every line under
/// a market and a lot, with validity dates); returns its item count. A refusal is an
/// `Invalid` error whose French message names the line and the column.
pub fn check_catalogue_csv(text: &str) -> Result<usize> {
    Ok(crate::reference::parse_catalogue(text, crate::reference::CatalogueKind::Syndicate)?.len())
}

/// Checks funding rules JSON; returns its programme count (computed or not).
pub fn check_funding_json(text: &str) -> Result<usize> {
    let rules = crate::reference::parse_funding(text)?;
    Ok(rules.programmes.len() + rules.not_computed.len())
}

/// Checks a national directory file (any of its real forms) and keeps the département's
/// écoles, as the small UTF-8 CSV laptops import (the national file is 40 MB; a laptop
/// needs a few hundred rows). Returns that CSV and its number of schools.
pub fn prepare_schools_csv(file: &[u8]) -> Result<(String, usize)> {
    let dir = std::env::temp_dir().join(format!("preau-check-{}", crate::store::make_id()));
    let result = (|| {
        let store = Store::open_in(&dir)?;
        let (csv, schools) = store.schools_extract(file)?;
        // What laptops will do with it, once here: it must import as it is.
        let mut check = Store::open_in(&dir.join("check"))?;
        check.schools_import(csv.as_bytes())?;
        Ok((csv, schools))
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}
