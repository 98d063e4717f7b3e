//! Field checks shared by every write. Messages are French: they are shown at the field.

use chrono::NaiveDateTime;

use crate::error::{Error, Result};

/// A trimmed, non-empty text of at most `max` characters.
pub(crate) fn required_text(
    field: &'static str,
    label: &str,
    value: &str,
    max: usize,
) -> Result<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(Error::invalid(field, format!("{label} est obligatoire.")));
    }
    if v.chars().count() > max {
        return Err(Error::invalid(
            field,
            format!("{label} est trop long ({max} caractères au plus)."),
        ));
    }
    Ok(v.to_string())
}

/// `None` for an empty value.
pub(crate) fn optional_text(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

pub(crate) fn email(value: Option<&str>) -> Result<Option<String>> {
    let Some(v) = optional_text(value) else {
        return Ok(None);
    };
    let ok = v.len() <= 254
        && !v.contains(char::is_whitespace)
        && v.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
    if ok {
        Ok(Some(v))
    } else {
        Err(Error::invalid(
            "email",
            "Adresse e-mail invalide (exemple : prenom.nom@mairie.fr).",
        ))
    }
}

pub(crate) fn phone(value: Option<&str>) -> Result<Option<String>> {
    let Some(v) = optional_text(value) else {
        return Ok(None);
    };
    let allowed = v
        .chars()
        .all(|c| c.is_ascii_digit() || " .-+()".contains(c));
    let digits = v.chars().filter(char::is_ascii_digit).count();
    if allowed && (10..=15).contains(&digits) {
        Ok(Some(v))
    } else {
        Err(Error::invalid(
            "phone",
            "Numéro de téléphone invalide (exemple : 03 22 12 34 56).",
        ))
    }
}

/// A local date and time typed in the form: "YYYY-MM-DDTHH:MM" (seconds allowed).
pub(crate) fn date_time(field: &'static str, value: &str) -> Result<NaiveDateTime> {
    let v = value.trim();
    let parsed = NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S"))
        .or_else(|_| NaiveDateTime::parse_from_str(v, "%Y-%m-%d %H:%M"));
    match parsed {
        Ok(dt) if (2000..=2100).contains(&chrono::Datelike::year(&dt)) => Ok(dt),
        Ok(_) => Err(Error::invalid(field, "La date doit être comprise entre 2000 et 2100.")),
        Err(_) => Err(Error::invalid(field, "Date ou heure invalide : indiquez une date réelle et une heure (exemple : 2026-12-03T18:00).")),
    }
}

pub(crate) fn record_id(field: &'static str, value: &str) -> Result<String> {
    uuid::Uuid::parse_str(value.trim())
        .map(|u| u.to_string())
        .map_err(|_| Error::invalid(field, "Identifiant invalide."))
}

/// A count typed by the adviser (classes, pupils), within a plausible range.
pub(crate) fn count(
    field: &'static str,
    label: &str,
    value: Option<u32>,
    max: u32,
) -> Result<Option<u32>> {
    match value {
        Some(n) if n > max => Err(Error::invalid(
            field,
            format!("{label} : {n} semble trop élevé ({max} au plus)."),
        )),
        v => Ok(v),
    }
}

/// The national school identifier: 7 digits and a letter, e.g. 0801234X.
pub(crate) fn uai(value: Option<&str>) -> Result<Option<String>> {
    let Some(v) = optional_text(value) else {
        return Ok(None);
    };
    // The directory's rule, so a UAI typed by hand is one an import would take.
    preau_reference::directory::parse_uai(&v)
        .map(Some)
        .ok_or_else(|| {
            Error::invalid(
                "uai",
                "UAI invalide : 7 chiffres suivis d'une lettre (exemple : 0801234X).",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        let cases = [
            (None, Ok(None)),
            (Some("  "), Ok(None)),
            (
                Some("marie.dupont@mairie-peronne.fr"),
                Ok(Some("marie.dupont@mairie-peronne.fr")),
            ),
            (Some(" a@b.fr "), Ok(Some("a@b.fr"))),
            (Some("marie"), Err(())),
            (Some("a@b"), Err(())),
            (Some("a b@c.fr"), Err(())),
            (Some("@c.fr"), Err(())),
            (Some("a@@c.fr"), Err(())),
            (Some("a@c.fr."), Err(())),
        ];
        for (input, want) in cases {
            let got = email(input).map_err(|_| ());
            assert_eq!(got, want.map(|o| o.map(str::to_string)), "email({input:?})");
        }
    }

    #[test]
    fn phones() {
        for ok in [
            "03 22 84 00 00",
            "+33 3 22 84 00 00",
            "03.22.84.00.00",
            "0322840000",
        ] {
            assert!(phone(Some(ok)).is_ok(), "{ok}");
        }
        for bad in [
            "12",
            "03 22 84 00 0x",
            "appeler la mairie",
            "0322840000000000000",
        ] {
            assert!(phone(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn dates() {
        assert!(date_time("d", "2026-12-03T18:00").is_ok());
        assert!(date_time("d", "2026-12-03T18:00:00").is_ok());
        for bad in [
            "",
            "2026-02-30T18:00",
            "2026-12-03T25:00",
            "demain",
            "1899-01-01T10:00",
        ] {
            assert!(date_time("d", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn uais() {
        assert_eq!(
            uai(Some("0801234x")).ok().flatten().as_deref(),
            Some("0801234X")
        );
        assert_eq!(uai(Some("")).ok().flatten(), None);
        for bad in ["080123X", "08012345", "A801234X", "0801234XX"] {
            assert!(uai(Some(bad)).is_err(), "{bad}");
        }
    }
}
