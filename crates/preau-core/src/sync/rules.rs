//! The checks a value chosen in a sync conflict goes through before it is written.
//!
//! The value set aside by the server was typed on another laptop, perhaps by an older or
//! newer build, and reaches this store as plain JSON: written raw, it could hold what no
//! form here accepts (a negative quantity, a 300-character school name). So each field is
//! checked by the very function its edit path calls (`school_name`, `parse_quantity`,
//! `check_notes`…), with the same French message, and a refused value writes nothing.

use rusqlite::types::Value as SqlValue;
use rusqlite::OptionalExtension;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::model::{Role, SchoolKind, SchoolStatus};
use crate::proposals::ProposalStatus;
use crate::store::Store;
use crate::workflow::{Display, IenStatus, Internet, Wifi};
use crate::{schools, validate, visits, workflow};

/// The message shown when the value set aside cannot be taken: what the form would say.
fn refused(e: Error) -> Error {
    match e {
        Error::Invalid { field, message } => Error::invalid(
            field,
            format!("La valeur de l'autre poste ne peut pas être reprise : {message}"),
        ),
        other => other,
    }
}

fn wrong_kind(field: &'static str) -> Error {
    Error::invalid(
        field,
        "Cette valeur n'a pas la forme attendue pour ce champ.",
    )
}

fn text<'a>(field: &'static str, v: &'a Value) -> Result<&'a str> {
    v.as_str().ok_or_else(|| wrong_kind(field))
}

fn opt_text<'a>(field: &'static str, v: &'a Value) -> Result<Option<&'a str>> {
    match v {
        Value::Null => Ok(None),
        v => text(field, v).map(Some),
    }
}

fn int(field: &'static str, v: &Value) -> Result<i64> {
    v.as_i64().ok_or_else(|| wrong_kind(field))
}

fn count(field: &'static str, v: &Value) -> Result<u32> {
    u32::try_from(int(field, v)?).map_err(|_| wrong_kind(field))
}

fn opt_count(field: &'static str, v: &Value) -> Result<Option<u32>> {
    match v {
        Value::Null => Ok(None),
        v => count(field, v).map(Some),
    }
}

/// Yes / no, stored as 0 / 1.
fn flag(field: &'static str, v: &Value) -> Result<SqlValue> {
    match v {
        Value::Bool(b) => Ok(SqlValue::Integer(i64::from(*b))),
        v => match int(field, v)? {
            n @ (0 | 1) => Ok(SqlValue::Integer(n)),
            _ => Err(wrong_kind(field)),
        },
    }
}

/// One of the keys of a list (stored as its snake_case key).
fn key_of(field: &'static str, v: &Value, known: bool) -> Result<SqlValue> {
    if known {
        Ok(SqlValue::Text(text(field, v)?.to_string()))
    } else {
        Err(not_listed(field))
    }
}

fn not_listed(field: &'static str) -> Error {
    Error::invalid(field, "Cette valeur n'est pas dans la liste proposée.")
}

fn json_text(field: &'static str, v: &Value) -> Result<SqlValue> {
    serde_json::to_string(v)
        .map(SqlValue::Text)
        .map_err(|_| wrong_kind(field))
}

fn some_text(s: Option<String>) -> SqlValue {
    s.map_or(SqlValue::Null, SqlValue::Text)
}

fn some_int(n: Option<u32>) -> SqlValue {
    n.map_or(SqlValue::Null, |n| SqlValue::Integer(i64::from(n)))
}

fn date(field: &'static str, v: &Value) -> Result<Option<chrono::NaiveDate>> {
    match opt_text(field, v)? {
        None => Ok(None),
        Some(s) => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| Error::invalid(field, "Date invalide (exemple : 2026-12-03).")),
    }
}

impl Store {
    /// Checks the value chosen for `table.field` of a record that exists, as its edit path
    /// would, and gives what to write. `Invalid` (nothing written) when a form would have
    /// refused it.
    pub(crate) fn check_chosen_value(
        &self,
        table: &str,
        record_id: &str,
        field: &str,
        v: &Value,
    ) -> Result<SqlValue> {
        self.check_field(table, record_id, field, v)
            .map_err(refused)
    }

    fn check_field(
        &self,
        table: &str,
        record_id: &str,
        field: &str,
        v: &Value,
    ) -> Result<SqlValue> {
        let first = record_id.split('/').next().unwrap_or(record_id);
        Ok(match (table, field) {
            ("schools", "name") => SqlValue::Text(schools::school_name(text("name", v)?)?),
            ("schools", "uai") => {
                let uai = validate::uai(opt_text("uai", v)?)?;
                if let Some(uai) = &uai {
                    self.uai_free(uai, Some(first))?;
                }
                some_text(uai)
            }
            ("schools", "classes") => some_int(schools::school_classes(opt_count("classes", v)?)?),
            ("schools", "pupils") => some_int(schools::school_pupils(opt_count("pupils", v)?)?),
            ("schools", "kind") => {
                key_of("kind", v, SchoolKind::parse(text("kind", v)?).is_some())?
            }
            ("schools", "status") => key_of(
                "status",
                v,
                SchoolStatus::parse(text("status", v)?).is_some(),
            )?,
            ("schools", "public") => flag("public", v)?,
            (_, "commune_insee") => {
                let insee = text("commune_insee", v)?;
                self.known_commune(insee)?;
                SqlValue::Text(insee.to_string())
            }
            ("visits", "scheduled_at") => SqlValue::Text(
                validate::date_time("scheduled_at", text("scheduled_at", v)?)?
                    .format(crate::visits::DATE_FORMAT)
                    .to_string(),
            ),
            ("visits", "notes") => {
                let notes = text("notes", v)?;
                visits::check_notes(notes)?;
                SqlValue::Text(notes.to_string())
            }
            ("participants", "name") => SqlValue::Text(visits::participant_name(text("name", v)?)?),
            ("participants", "role") => key_of("role", v, Role::parse(text("role", v)?).is_some())?,
            ("participants", "phone") => some_text(validate::phone(opt_text("phone", v)?)?),
            ("participants", "email") => some_text(validate::email(opt_text("email", v)?)?),
            ("pedagogy", "cycles") => {
                let cycles: Vec<u8> =
                    serde_json::from_value(v.clone()).map_err(|_| wrong_kind("cycles"))?;
                json_text(
                    "cycles",
                    &Value::from(workflow::project::clean_cycles(&cycles)?),
                )?
            }
            ("pedagogy", "uses" | "crcn") => {
                let f = if field == "uses" { "uses" } else { "crcn" };
                let tags: Vec<String> =
                    serde_json::from_value(v.clone()).map_err(|_| wrong_kind(f))?;
                json_text(f, &Value::from(workflow::project::clean_tags(f, &tags)?))?
            }
            ("pedagogy", "training_needs" | "ien_comment") => {
                let f = if field == "training_needs" {
                    "training_needs"
                } else {
                    "ien_comment"
                };
                let s = text(f, v)?;
                workflow::project::project_text(f, s)?;
                SqlValue::Text(s.trim().to_string())
            }
            ("pedagogy", "ien_status") => {
                let status = IenStatus::parse(text("ien_status", v)?)
                    .ok_or_else(|| not_listed("ien_status"))?;
                let date = self.pedagogy_column(record_id, "ien_date")?;
                let date =
                    date.and_then(|d| chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok());
                workflow::project::check_ien_date(status, date)?;
                SqlValue::Text(status.as_str().to_string())
            }
            ("pedagogy", "ien_date") => {
                let d = date("ien_date", v)?;
                let status = self
                    .pedagogy_column(record_id, "ien_status")?
                    .and_then(|s| IenStatus::parse(&s))
                    .unwrap_or(IenStatus::ASoumettre);
                workflow::project::check_ien_date(status, d)?;
                some_text(d.map(|d| d.format("%Y-%m-%d").to_string()))
            }
            ("objectives", "label") => {
                SqlValue::Text(workflow::project::objective_label(text("label", v)?)?)
            }
            ("class_situations", "name") => {
                SqlValue::Text(workflow::project::class_name(text("name", v)?)?)
            }
            ("class_situations", "pupils") => {
                some_int(workflow::project::class_pupils(opt_count("pupils", v)?)?)
            }
            ("class_situations", "display") => {
                key_of("display", v, Display::parse(text("display", v)?).is_some())?
            }
            ("class_situations", "teacher_computer") => flag("teacher_computer", v)?,
            ("school_situations", "mobile_devices") => {
                let n = count("mobile_devices", v)?;
                workflow::project::check_mobile_devices(n)?;
                SqlValue::Integer(i64::from(n))
            }
            ("school_situations", "mobile_charging") => flag("mobile_charging", v)?,
            ("school_situations", "wifi_switchable") => flag("wifi_switchable", v)?,
            ("school_situations", "wifi") => key_of(
                "wifi",
                v,
                workflow::project::from_key::<Wifi>(text("wifi", v)?).is_some(),
            )?,
            ("school_situations", "internet") => key_of(
                "internet",
                v,
                workflow::project::from_key::<Internet>(text("internet", v)?).is_some(),
            )?,
            ("school_situations", "ent") => {
                some_text(workflow::project::clean_ent(opt_text("ent", v)?)?)
            }
            ("scenarios", "title") => SqlValue::Text(workflow::scenario_title(text("title", v)?)?),
            ("scenarios", "label") => key_of(
                "label",
                v,
                workflow::SCENARIO_LABELS.contains(&text("label", v)?),
            )?,
            ("equipment_lines", "quantity") => {
                // Checked as the quantity field reads it: a whole number from 1 up.
                let n = int("quantity", v)?;
                SqlValue::Integer(i64::from(workflow::lines::parse_quantity(&n.to_string())?))
            }
            ("equipment_lines", "unit_price_cents") => match int("unit_price_cents", v)? {
                n if n >= 0 => SqlValue::Integer(n),
                _ => return Err(wrong_kind("unit_price_cents")),
            },
            ("equipment_lines", "vat_rate_bp") => match int("vat_rate_bp", v)? {
                n @ 0..=10_000 => SqlValue::Integer(n),
                _ => return Err(wrong_kind("vat_rate_bp")),
            },
            ("proposals", "status") => {
                let known = matches!(
                    ProposalStatus::from_key(text("status", v)?),
                    Some(
                        ProposalStatus::Emise | ProposalStatus::Acceptee | ProposalStatus::Refusee
                    )
                );
                key_of("status", v, known)?
            }
            ("proposals", "decided_on") => {
                some_text(date("decided_on", v)?.map(|d| d.format("%Y-%m-%d").to_string()))
            }
            // Any other column (positions, the catalogue facts a line was priced with,
            // the parents of a record): no form edits it on its own, so only its kind is
            // checked, as SQLite's STRICT tables would.
            _ => match v {
                Value::Null | Value::String(_) => super::tables::to_sql(v),
                Value::Number(n) if n.is_i64() => super::tables::to_sql(v),
                Value::Bool(_) => super::tables::to_sql(v),
                _ => return Err(wrong_kind("conflict")),
            },
        })
    }

    /// One text column of a project (`record_id` is `visit/school`).
    fn pedagogy_column(&self, record_id: &str, column: &str) -> Result<Option<String>> {
        let (visit, school) = record_id.split_once('/').unwrap_or((record_id, ""));
        Ok(self
            .cached_row(
                &format!("SELECT {column} FROM pedagogy WHERE visit_id = ?1 AND school_id = ?2"),
                [visit, school],
                |r| r.get::<_, Option<String>>(0),
            )
            .optional()?
            .flatten())
    }
}
