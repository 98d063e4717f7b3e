//! The conflicts list in the adviser's words: what a record is (« Visite à Péronne du
//! 3 décembre 2026 »), a field's French name, a value as a form shows it.

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension};

use crate::error::Result;

/// Columns holding yes / no as 0 / 1.
const FLAGS: &[&str] = &[
    "public",
    "teacher_computer",
    "mobile_charging",
    "wifi_switchable",
];

/// A value as the adviser reads it.
pub(super) fn display(field: &str, v: &SqlValue) -> String {
    match v {
        SqlValue::Null => String::new(),
        SqlValue::Integer(i) if field.ends_with("_cents") => crate::format::euros(*i),
        SqlValue::Integer(i) if FLAGS.contains(&field) => {
            if *i == 0 { "non" } else { "oui" }.to_string()
        }
        SqlValue::Integer(i) => i.to_string(),
        SqlValue::Real(f) => f.to_string().replace('.', ","),
        SqlValue::Text(s) if field == "scheduled_at" => date_time_label(s),
        SqlValue::Text(s) => s.clone(),
        SqlValue::Blob(_) => "(données binaires)".to_string(),
    }
}

/// "2026-12-03T18:00" → "3 décembre 2026 à 18 h 00".
fn date_time_label(s: &str) -> String {
    let Some(d) = s
        .get(..10)
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    else {
        return s.to_string();
    };
    match s.get(11..16) {
        Some(t) if t.len() == 5 => format!(
            "{} à {} h {}",
            crate::format::date(d),
            t.get(..2).unwrap_or(""),
            t.get(3..).unwrap_or("")
        ),
        _ => crate::format::date(d),
    }
}

fn table_label(table: &str) -> &'static str {
    match table {
        "schools" => "École",
        "visits" => "Visite",
        "visit_schools" => "École de la visite",
        "participants" => "Participant",
        "pedagogy" => "Projet pédagogique",
        "objectives" => "Objectif",
        "class_situations" => "Classe",
        "school_situations" => "Situation de l'école",
        "scenarios" => "Scénario",
        "equipment_lines" => "Ligne d'équipement",
        "line_objectives" => "Objectif d'une ligne",
        _ => "Fiche",
    }
}

pub(super) fn field_label(table: &str, field: &str) -> String {
    let label = match (table, field) {
        (_, "commune_insee") => "Commune",
        ("visits", "scheduled_at") => "Date et heure",
        ("visits", "notes") => "Notes",
        (_, "uai") => "UAI",
        ("schools", "name") => "Nom de l'école",
        ("schools", "kind") => "Type d'école",
        ("schools", "public") => "École publique",
        ("schools", "classes") => "Nombre de classes",
        (_, "pupils") => "Nombre d'élèves",
        ("participants", "name") => "Nom",
        ("participants", "role") => "Rôle",
        ("participants", "phone") => "Téléphone",
        ("participants", "email") => "E-mail",
        (_, "position") => "Ordre",
        ("pedagogy", "cycles") => "Cycles",
        ("pedagogy", "uses") => "Usages visés",
        ("pedagogy", "crcn") => "Compétences du CRCN",
        ("pedagogy", "training_needs") => "Besoins de formation",
        ("pedagogy", "ien_status") => "Avis de l'IEN",
        ("pedagogy", "ien_date") => "Date de l'avis de l'IEN",
        ("pedagogy", "ien_comment") => "Commentaire de l'IEN",
        ("objectives", "label") => "Objectif",
        ("class_situations", "name") => "Nom de la classe",
        ("class_situations", "display") => "Affichage",
        ("class_situations", "teacher_computer") => "Ordinateur de l'enseignant",
        ("school_situations", "mobile_devices") => "Équipements mobiles",
        ("school_situations", "mobile_charging") => "Recharge des équipements mobiles",
        ("school_situations", "wifi") => "Wi-Fi",
        ("school_situations", "wifi_switchable") => "Wi-Fi désactivable",
        ("school_situations", "internet") => "Accès à internet",
        ("school_situations", "ent") => "ENT",
        ("scenarios", "title") => "Titre du scénario",
        ("scenarios", "label") => "Lettre du scénario",
        ("equipment_lines", "designation") => "Désignation",
        ("equipment_lines", "quantity") => "Quantité",
        ("equipment_lines", "unit_price_cents") => "Prix unitaire",
        ("equipment_lines", "vat_rate_bp") => "Taux de TVA",
        ("equipment_lines", "class_id") => "Classe",
        ("equipment_lines", "school_id") => "École",
        ("equipment_lines", "reference") => "Référence",
        _ => return field.replace('_', " "),
    };
    label.to_string()
}

/// « Visite à Péronne du 3 décembre 2026 », or `None` when the visit is not here.
fn visit_label(conn: &Connection, visit_id: &str) -> Result<Option<String>> {
    let row: Option<(String, String)> = conn
        .prepare_cached(
            "SELECT c.name, v.scheduled_at FROM visits v
             JOIN communes c ON c.insee = v.commune_insee WHERE v.id = ?1",
        )?
        .query_row([visit_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(row.map(|(commune, at)| {
        let day = at
            .get(..10)
            .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .map(crate::format::date)
            .unwrap_or(at);
        format!("Visite à {commune} du {day}")
    }))
}

fn one_text(conn: &Connection, sql: &str, id: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached(sql)?
        .query_row([id], |r| r.get::<_, Option<String>>(0))
        .optional()?
        .flatten())
}

/// What a record is, in French, for the conflicts list.
pub(super) fn record_label(conn: &Connection, table: &str, record_id: &str) -> Result<String> {
    let first = record_id.split('/').next().unwrap_or(record_id);
    let base = table_label(table);
    let visit_of = |sql: &str| -> Result<Option<String>> {
        match one_text(conn, sql, first)? {
            Some(visit_id) => visit_label(conn, &visit_id),
            None => Ok(None),
        }
    };
    let label = match table {
        "schools" => one_text(conn, "SELECT name FROM schools WHERE id = ?1", first)?
            .map(|name| format!("École {name}")),
        "visits" => visit_label(conn, first)?,
        "visit_schools" | "pedagogy" | "school_situations" => {
            visit_label(conn, first)?.map(|v| format!("{base} — {v}"))
        }
        "participants" => {
            let name = one_text(conn, "SELECT name FROM participants WHERE id = ?1", first)?;
            let visit = visit_of("SELECT visit_id FROM participants WHERE id = ?1")?;
            match (name, visit) {
                (Some(n), Some(v)) => Some(format!("{n} — {v}")),
                (Some(n), None) => Some(format!("Participant {n}")),
                _ => None,
            }
        }
        "objectives" => visit_of("SELECT visit_id FROM objectives WHERE id = ?1")?
            .map(|v| format!("{base} — {v}")),
        "class_situations" => {
            let name = one_text(
                conn,
                "SELECT name FROM class_situations WHERE id = ?1",
                first,
            )?;
            let visit = visit_of("SELECT visit_id FROM class_situations WHERE id = ?1")?;
            visit.map(|v| format!("Classe {} — {v}", name.unwrap_or_default()))
        }
        "scenarios" => visit_of("SELECT visit_id FROM scenarios WHERE id = ?1")?
            .map(|v| format!("{base} — {v}")),
        "equipment_lines" | "line_objectives" => {
            let visit = visit_of(
                "SELECT s.visit_id FROM equipment_lines l JOIN scenarios s ON s.id = l.scenario_id
                 WHERE l.id = ?1",
            )?;
            visit.map(|v| format!("{base} — {v}"))
        }
        _ => None,
    };
    Ok(label.unwrap_or_else(|| format!("{base} (supprimée sur ce poste)")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_as_the_adviser_writes_them() {
        assert_eq!(display("notes", &SqlValue::Null), "");
        assert_eq!(display("public", &SqlValue::Integer(1)), "oui");
        assert_eq!(
            display("unit_price_cents", &SqlValue::Integer(123_456)),
            "1\u{202f}234,56\u{a0}€"
        );
        assert_eq!(
            display("scheduled_at", &SqlValue::Text("2026-12-03T18:00".into())),
            "3 décembre 2026 à 18 h 00"
        );
        assert_eq!(field_label("visits", "notes"), "Notes");
        assert_eq!(field_label("visits", "odd_field"), "odd field");
    }
}
