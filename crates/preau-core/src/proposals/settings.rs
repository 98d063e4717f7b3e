//! The letterhead and signatory printed on documents, kept in the `settings` table.

use rusqlite::OptionalExtension;

use super::types::DocumentSettings;
use super::{Accent, DEFAULT_ACCENT};
use crate::error::{Error, Result};
use crate::store::Store;

const KEY_DOCUMENTS: &str = "documents";
const KEY_LOGO: &str = "logo_png";
/// A letterhead logo is small; a bigger file is almost certainly the wrong one.
pub const MAX_LOGO_BYTES: usize = 512 * 1024;
const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// The demo logo shipped with Préau (made for the project, see data/letterhead/).
const DEMO_LOGO: &[u8] = include_bytes!("../../../../data/letterhead/logo-demo.png");

impl Default for DocumentSettings {
    /// A demo letterhead: the syndicate's IT sets the real one in Réglages.
    fn default() -> Self {
        DocumentSettings {
            organisation: "Somme numérique".into(),
            address_lines: vec![
                "Syndicat mixte du numérique éducatif (démonstration)".into(),
                "Adresse à renseigner dans Réglages".into(),
            ],
            phone: String::new(),
            email: String::new(),
            website: String::new(),
            place: "Amiens".into(),
            adviser_name: "Conseiller du syndicat".into(),
            adviser_title: "Conseiller numérique éducatif".into(),
            adviser_phone: String::new(),
            adviser_email: String::new(),
            has_logo: true,
            accent: DEFAULT_ACCENT.to_string(),
        }
    }
}

fn required(field: &'static str, value: &str, label: &str, max: usize) -> Result<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(Error::invalid(field, format!("{label} est obligatoire.")));
    }
    bounded(field, v, label, max)
}

fn bounded(field: &'static str, value: &str, label: &str, max: usize) -> Result<String> {
    let v = value.trim();
    if v.chars().count() > max {
        return Err(Error::invalid(
            field,
            format!("{label} est trop long ({max} caractères au plus)."),
        ));
    }
    if v.chars().any(|c| c.is_control()) {
        return Err(Error::invalid(
            field,
            format!("{label} contient un caractère invalide."),
        ));
    }
    Ok(v.to_string())
}

fn checked(s: &DocumentSettings) -> Result<DocumentSettings> {
    let address_lines = s
        .address_lines
        .iter()
        .map(|l| bounded("address_lines", l, "Une ligne d'adresse", 80))
        .filter(|l| !matches!(l, Ok(v) if v.is_empty()))
        .collect::<Result<Vec<_>>>()?;
    if address_lines.len() > 4 {
        return Err(Error::invalid(
            "address_lines",
            "L'adresse tient en quatre lignes au plus.",
        ));
    }
    Ok(DocumentSettings {
        organisation: required("organisation", &s.organisation, "Le nom du syndicat", 80)?,
        address_lines,
        phone: bounded("phone", &s.phone, "Le téléphone", 30)?,
        email: bounded("email", &s.email, "L’e-mail", 80)?,
        website: bounded("website", &s.website, "Le site", 80)?,
        place: required("place", &s.place, "Le lieu", 60)?,
        adviser_name: required("adviser_name", &s.adviser_name, "Le nom du conseiller", 80)?,
        adviser_title: bounded("adviser_title", &s.adviser_title, "La fonction", 80)?,
        adviser_phone: bounded("adviser_phone", &s.adviser_phone, "Le téléphone", 30)?,
        adviser_email: bounded("adviser_email", &s.adviser_email, "L’e-mail", 80)?,
        has_logo: s.has_logo,
        accent: Accent::parse(&s.accent)?.to_string(),
    })
}

impl Store {
    pub(crate) fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    pub(crate) fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        )?;
        Ok(())
    }

    /// Whether a letterhead was ever saved on this laptop (else the demo one is printed).
    pub(crate) fn letterhead_saved(&self) -> Result<bool> {
        Ok(self.setting(KEY_DOCUMENTS)?.is_some())
    }

    /// Whether the letterhead logo is still the demo one shipped with Préau.
    pub(crate) fn logo_is_demo(&self) -> Result<bool> {
        Ok(self.setting(KEY_LOGO)?.is_none())
    }

    pub fn document_settings(&self) -> Result<DocumentSettings> {
        let mut s = match self.setting(KEY_DOCUMENTS)? {
            Some(json) => serde_json::from_str(&json).map_err(|e| Error::Corrupt {
                path: self.path().to_path_buf(),
                reason: format!("settings.documents: {e}"),
            })?,
            None => DocumentSettings::default(),
        };
        // Asked of SQLite: no need to read and decode the logo itself.
        let removed: Option<bool> = self
            .conn
            .query_row(
                "SELECT value = '' FROM settings WHERE key = ?1",
                [KEY_LOGO],
                |r| r.get(0),
            )
            .optional()?;
        s.has_logo = removed != Some(true);
        Ok(s)
    }

    pub fn document_settings_save(&mut self, s: &DocumentSettings) -> Result<DocumentSettings> {
        let s = checked(s)?;
        let json =
            serde_json::to_string(&s).map_err(|e| Error::invalid("settings", e.to_string()))?;
        self.set_setting(KEY_DOCUMENTS, &json)?;
        self.document_settings()
    }

    /// The letterhead logo (PNG), the demo one until another is set, `None` if removed.
    pub fn logo_png(&self) -> Result<Option<Vec<u8>>> {
        Ok(match self.setting(KEY_LOGO)? {
            None => Some(DEMO_LOGO.to_vec()),
            Some(text) => hex::decode(text).ok().filter(|bytes| !bytes.is_empty()),
        })
    }

    /// Sets the letterhead logo (a PNG file's bytes), or removes it with `None`.
    pub fn logo_set(&mut self, png: Option<&[u8]>) -> Result<()> {
        let text = match png {
            None => String::new(),
            Some(bytes) => {
                if bytes.len() > MAX_LOGO_BYTES {
                    return Err(Error::invalid(
                        "logo",
                        "Le logo est trop lourd (512 Ko au plus).",
                    ));
                }
                if !bytes.starts_with(PNG_SIGNATURE) {
                    return Err(Error::invalid("logo", "Le logo doit être une image PNG."));
                }
                hex::encode(bytes)
            }
        };
        self.set_setting(KEY_LOGO, &text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_logo_is_a_png() {
        assert!(DEMO_LOGO.starts_with(PNG_SIGNATURE));
    }
}
