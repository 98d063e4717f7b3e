//! What the sync carries: the synced tables, their key and columns, each column's type and
//! bounds, and how a record hangs from its visit. The server checks every pushed change
//! against it before anything is stored (a table or column it does not name, a value that
//! is not a scalar of the column's type, a string over its bound: refused with
//! `invalid_change`), and decides from it who owns a record. The laptop's store must have
//! exactly these columns: `preau-core`'s `sync_schema` test compares them with its schema.

use serde_json::{Map, Value};

/// The type of a column and its bounds, as a JSON value on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// A string of at most `max` characters.
    Text { max: usize },
    /// One of these strings.
    OneOf(&'static [&'static str]),
    /// An integer in `min..=max` (JSON integers only: no fraction, no exponent beyond i64).
    Integer { min: i64, max: i64 },
    /// 0 or 1 (or `true` / `false`).
    Flag,
    /// A record id (a UUID), or empty for none.
    Id,
    /// Bytes as lowercase or uppercase hex, at most `max` bytes once decoded.
    HexBytes { max: usize },
    /// A local date and time as the laptop writes it, `YYYY-MM-DDTHH:MM:SS`: a visit's
    /// appointment, which every laptop reads back as a date (one malformed value there,
    /// pushed by one laptop, stopped every colleague's list of visits from loading).
    LocalDateTime,
}

/// The text form of [`ColumnType::LocalDateTime`] (chrono's format).
pub const LOCAL_DATE_TIME: &str = "%Y-%m-%dT%H:%M:%S";

/// One column of a synced table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    pub ty: ColumnType,
    /// `null` is a valid value.
    pub nullable: bool,
}

/// How the records of a table belong to an adviser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ownership {
    /// A visit: it belongs to the adviser whose device made it.
    Visit,
    /// Under a record of another table, named by one of its columns (or key columns): it
    /// belongs to that record's owner, and lives and dies with its visit.
    Under {
        column: &'static str,
        parent: &'static str,
    },
    /// A school: one typed by an adviser belongs to that adviser; one from the national
    /// directory (`source = directory`) is shared reference data, which any device may
    /// update and none may delete.
    School,
}

/// A synced table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Table {
    pub name: &'static str,
    /// Key columns; a record id is their values joined by `/`.
    pub key: &'static [&'static str],
    /// Every column, key columns included.
    pub columns: &'static [Column],
    pub ownership: Ownership,
    /// Records that never change once made (issued proposals), but for these columns.
    pub append_only: Option<&'static [&'static str]>,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&'static Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

const fn col(name: &'static str, ty: ColumnType) -> Column {
    Column {
        name,
        ty,
        nullable: false,
    }
}

const fn opt(name: &'static str, ty: ColumnType) -> Column {
    Column {
        name,
        ty,
        nullable: true,
    }
}

/// Short texts: names, labels, roles, codes (laptop forms allow far less).
const SHORT: ColumnType = ColumnType::Text { max: 1_000 };
/// Long texts: notes, comments, JSON lists of tags.
const LONG: ColumnType = ColumnType::Text { max: 100_000 };
/// Timestamps and dates as text.
const TIME: ColumnType = ColumnType::Text { max: 40 };
const POSITION: ColumnType = ColumnType::Integer {
    min: 0,
    max: 1_000_000,
};
const COUNT: ColumnType = ColumnType::Integer {
    min: 0,
    max: 10_000_000,
};
const CENTS: ColumnType = ColumnType::Integer {
    min: 0,
    max: 1_000_000_000_000,
};

/// Most tables hang from their visit by its `visit_id` column.
const UNDER_VISIT: Ownership = Ownership::Under {
    column: "visit_id",
    parent: "visits",
};

/// Largest issued proposal PDF, in bytes.
pub const MAX_PDF_BYTES: usize = 3 * 1024 * 1024;
/// Largest proposal snapshot (the JSON a PDF is drawn from), in characters.
pub const MAX_SNAPSHOT_CHARS: usize = 2 * 1024 * 1024;

/// Synced tables, parents before children (the order the laptop applies them in).
pub const TABLES: &[Table] = &[
    Table {
        name: "schools",
        key: &["id"],
        columns: &[
            col("id", ColumnType::Id),
            opt("uai", ColumnType::Text { max: 16 }),
            col("name", SHORT),
            col(
                "kind",
                ColumnType::OneOf(&["maternelle", "elementaire", "primaire"]),
            ),
            col("public", ColumnType::Flag),
            col("commune_insee", ColumnType::Text { max: 5 }),
            opt("classes", COUNT),
            opt("pupils", COUNT),
            col("source", ColumnType::OneOf(&["directory", "adviser"])),
            col("updated_at", TIME),
            col("status", ColumnType::OneOf(&["open", "closing", "closed"])),
        ],
        ownership: Ownership::School,
        append_only: None,
    },
    Table {
        name: "visits",
        key: &["id"],
        columns: &[
            col("id", ColumnType::Id),
            col("commune_insee", ColumnType::Text { max: 5 }),
            col("scheduled_at", ColumnType::LocalDateTime),
            col("notes", LONG),
            col("created_at", TIME),
            col("updated_at", TIME),
        ],
        ownership: Ownership::Visit,
        append_only: None,
    },
    Table {
        name: "visit_schools",
        key: &["visit_id", "school_id"],
        columns: &[
            col("visit_id", ColumnType::Id),
            col("school_id", ColumnType::Id),
        ],
        ownership: UNDER_VISIT,
        append_only: None,
    },
    Table {
        name: "participants",
        key: &["id"],
        columns: &[
            col("id", ColumnType::Id),
            col("visit_id", ColumnType::Id),
            col("position", POSITION),
            col("name", SHORT),
            col("role", SHORT),
            opt("phone", SHORT),
            opt("email", SHORT),
        ],
        ownership: UNDER_VISIT,
        append_only: None,
    },
    Table {
        name: "pedagogy",
        key: &["visit_id", "school_id"],
        columns: &[
            col("visit_id", ColumnType::Id),
            col("school_id", ColumnType::Id),
            col("cycles", SHORT),
            col("uses", LONG),
            col("crcn", LONG),
            col("training_needs", LONG),
            col(
                "ien_status",
                ColumnType::OneOf(&["a_soumettre", "soumis", "valide", "a_retravailler"]),
            ),
            opt("ien_date", TIME),
            col("ien_comment", LONG),
        ],
        ownership: UNDER_VISIT,
        append_only: None,
    },
    Table {
        name: "objectives",
        key: &["id"],
        columns: &[
            col("id", ColumnType::Id),
            col("visit_id", ColumnType::Id),
            col("school_id", ColumnType::Id),
            col("position", POSITION),
            col("label", LONG),
        ],
        ownership: UNDER_VISIT,
        append_only: None,
    },
    Table {
        name: "class_situations",
        key: &["id"],
        columns: &[
            col("id", ColumnType::Id),
            col("visit_id", ColumnType::Id),
            col("school_id", ColumnType::Id),
            col("position", POSITION),
            col("name", SHORT),
            opt("pupils", COUNT),
            col("display", SHORT),
            col("teacher_computer", ColumnType::Flag),
        ],
        ownership: UNDER_VISIT,
        append_only: None,
    },
    Table {
        name: "school_situations",
        key: &["visit_id", "school_id"],
        columns: &[
            col("visit_id", ColumnType::Id),
            col("school_id", ColumnType::Id),
            col("mobile_devices", COUNT),
            col("mobile_charging", ColumnType::Flag),
            col("wifi", SHORT),
            col("wifi_switchable", ColumnType::Flag),
            col("internet", SHORT),
            opt("ent", SHORT),
        ],
        ownership: UNDER_VISIT,
        append_only: None,
    },
    Table {
        name: "scenarios",
        key: &["id"],
        columns: &[
            col("id", ColumnType::Id),
            col("visit_id", ColumnType::Id),
            col("label", SHORT),
            col("title", SHORT),
        ],
        ownership: UNDER_VISIT,
        append_only: None,
    },
    Table {
        name: "equipment_lines",
        key: &["id"],
        columns: &[
            col("id", ColumnType::Id),
            col("scenario_id", ColumnType::Id),
            col("position", POSITION),
            col("school_id", ColumnType::Id),
            opt("class_id", ColumnType::Id),
            col("catalogue_version", SHORT),
            col("reference", SHORT),
            col("designation", SHORT),
            col("category", SHORT),
            col("unit", SHORT),
            col("unit_price_cents", CENTS),
            col(
                "vat_rate_bp",
                ColumnType::Integer {
                    min: 0,
                    max: 10_000,
                },
            ),
            col(
                "budget_section",
                ColumnType::OneOf(&["investissement", "fonctionnement"]),
            ),
            opt("socle_strand", SHORT),
            col(
                "quantity",
                ColumnType::Integer {
                    min: 1,
                    max: 100_000,
                },
            ),
        ],
        ownership: Ownership::Under {
            column: "scenario_id",
            parent: "scenarios",
        },
        append_only: None,
    },
    Table {
        name: "line_objectives",
        key: &["line_id", "objective_id"],
        columns: &[
            col("line_id", ColumnType::Id),
            col("objective_id", ColumnType::Id),
        ],
        ownership: Ownership::Under {
            column: "line_id",
            parent: "equipment_lines",
        },
        append_only: None,
    },
    Table {
        name: "proposals",
        key: &["id"],
        columns: &[
            col("id", ColumnType::Id),
            col("visit_id", ColumnType::Id),
            opt("number", ColumnType::Text { max: 40 }),
            col(
                "revision",
                ColumnType::Integer {
                    min: 1,
                    max: 10_000,
                },
            ),
            opt("replaces_id", ColumnType::Id),
            col(
                "status",
                ColumnType::OneOf(&["brouillon", "emise", "acceptee", "refusee"]),
            ),
            col("scenario_ids", SHORT),
            col("civility", ColumnType::OneOf(&["", "madame", "monsieur"])),
            col("validity_days", ColumnType::Integer { min: 1, max: 365 }),
            col("created_at", TIME),
            opt("issued_on", TIME),
            opt("valid_until", TIME),
            opt("decided_on", TIME),
            // Set with an acceptance (issue 13), never changed after; absent from laptops
            // older than it.
            opt("accepted_scenario_id", ColumnType::Id),
            opt("deliberated_on", TIME),
            opt(
                "snapshot",
                ColumnType::Text {
                    max: MAX_SNAPSHOT_CHARS,
                },
            ),
            opt("pdf", ColumnType::HexBytes { max: MAX_PDF_BYTES }),
            opt("pdf_sha256", ColumnType::Text { max: 64 }),
        ],
        ownership: UNDER_VISIT,
        // The mayor's answer is all that changes once a proposal is issued: accepted or
        // refused, on which day, which scenario, and the council's deliberation date.
        append_only: Some(&[
            "status",
            "decided_on",
            "accepted_scenario_id",
            "deliberated_on",
        ]),
    },
];

/// The synced table of this name.
pub fn table(name: &str) -> Option<&'static Table> {
    TABLES.iter().find(|t| t.name == name)
}

/// A UUID as the laptops write them: 36 characters, lowercase hex and dashes.
pub fn is_uuid_text(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
        })
}

/// Why a value does not fit its column (English, for the client's logs).
fn check_value(table: &Table, column: &Column, value: &Value) -> Result<(), String> {
    // Checked for every field of every pushed change: nothing is allocated unless the
    // value is refused.
    let name = || format!("{}.{}", table.name, column.name);
    if value.is_null() {
        return if column.nullable {
            Ok(())
        } else {
            Err(format!("{} may not be null", name()))
        };
    }
    match column.ty {
        ColumnType::Text { max } => match value.as_str() {
            Some(s) if s.chars().count() <= max && !s.contains('\0') => Ok(()),
            Some(_) => Err(format!(
                "{} is longer than {max} characters or holds NUL",
                name()
            )),
            None => Err(format!("{} must be a string", name())),
        },
        ColumnType::OneOf(allowed) => match value.as_str() {
            Some(s) if allowed.contains(&s) => Ok(()),
            _ => Err(format!("{} must be one of {}", name(), allowed.join(", "))),
        },
        ColumnType::Integer { min, max } => match value.as_i64() {
            // `as_i64` is None for fractions and for integers beyond i64 (which would lose
            // precision in SQLite and in JavaScript).
            Some(n) if (min..=max).contains(&n) => Ok(()),
            _ => Err(format!("{} must be an integer from {min} to {max}", name())),
        },
        ColumnType::Flag => match value {
            Value::Bool(_) => Ok(()),
            v if matches!(v.as_i64(), Some(0 | 1)) => Ok(()),
            _ => Err(format!("{} must be 0 or 1", name())),
        },
        ColumnType::Id => match value.as_str() {
            Some(s) if is_uuid_text(s) => Ok(()),
            _ => Err(format!("{} must be a record id", name())),
        },
        ColumnType::HexBytes { max } => match value.as_str() {
            Some(s)
                if s.len() % 2 == 0
                    && s.len() / 2 <= max
                    && s.bytes().all(|b| b.is_ascii_hexdigit()) =>
            {
                Ok(())
            }
            _ => Err(format!("{} must be hex of at most {max} bytes", name())),
        },
        ColumnType::LocalDateTime => match value.as_str() {
            Some(s) if chrono::NaiveDateTime::parse_from_str(s, LOCAL_DATE_TIME).is_ok() => Ok(()),
            _ => Err(format!(
                "{} must be a date and time, YYYY-MM-DDTHH:MM:SS",
                name()
            )),
        },
    }
}

/// The key values of a record id of `table`, or why it is not one.
pub fn key_values<'a>(table: &Table, record_id: &'a str) -> Result<Vec<&'a str>, String> {
    let parts: Vec<&str> = record_id.split('/').collect();
    if parts.len() != table.key.len() || !parts.iter().all(|p| is_uuid_text(p)) {
        return Err(format!(
            "record id of {} must be {} record id(s) joined by /",
            table.name,
            table.key.len()
        ));
    }
    Ok(parts)
}

/// Checks a change's table, record id and fields against the schema: every field a
/// column of the table, every value a scalar of the column's type within its bounds, key
/// columns (when sent) equal to the record id's parts. English reason on refusal.
pub fn check_change(
    table_name: &str,
    record_id: &str,
    fields: &Map<String, Value>,
) -> Result<&'static Table, String> {
    let table = table(table_name).ok_or_else(|| format!("{table_name:?} is not a synced table"))?;
    let keys = key_values(table, record_id)?;
    for (field, value) in fields {
        let column = table
            .column(field)
            .ok_or_else(|| format!("{}.{field} is not a synced column", table.name))?;
        check_value(table, column, value)?;
        if let Some(i) = table.key.iter().position(|k| k == field) {
            if value.as_str() != keys.get(i).copied() {
                return Err(format!("{}.{field} differs from the record id", table.name));
            }
        }
    }
    Ok(table)
}

/// The id of the record this one hangs from (its parent), as named by its fields or its
/// key: `None` for a visit or a school, or when the change does not name it.
pub fn parent_of<'a>(
    table: &Table,
    record_id: &'a str,
    fields: &'a Map<String, Value>,
) -> Option<(&'static str, &'a str)> {
    let Ownership::Under { column, parent } = table.ownership else {
        return None;
    };
    if let Some(i) = table.key.iter().position(|k| *k == column) {
        return record_id.split('/').nth(i).map(|id| (parent, id));
    }
    fields
        .get(column)
        .and_then(Value::as_str)
        .map(|id| (parent, id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const V: &str = "01890a5d-ac96-774b-bcce-b302099a8057";
    const S: &str = "01890a5d-ac96-774b-bcce-b302099a8058";

    fn fields(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn tables_are_unique_and_parents_come_first() {
        for (i, t) in TABLES.iter().enumerate() {
            assert!(crate::is_valid_name(t.name));
            assert!(TABLES[..i].iter().all(|o| o.name != t.name), "{}", t.name);
            for k in t.key {
                assert!(t.column(k).is_some(), "{}.{k}", t.name);
            }
            if let Ownership::Under { column, parent } = t.ownership {
                assert!(t.column(column).is_some(), "{}.{column}", t.name);
                let p = TABLES.iter().position(|o| o.name == parent);
                assert!(p.is_some_and(|p| p < i), "{} before {}", parent, t.name);
            }
            for c in t.columns {
                assert!(crate::is_valid_name(c.name));
            }
        }
    }

    #[test]
    fn values_are_checked_against_their_column() {
        let ok = fields(json!({"id": V, "commune_insee": "80001", "notes": "école",
            "scheduled_at": "2026-12-03T18:00:00", "created_at": "x", "updated_at": "y"}));
        assert!(check_change("visits", V, &ok).is_ok());
        for bad in [
            json!({"scheduled_at": "2026-12-03T18:00"}),
            json!({"scheduled_at": "2026-02-30T18:00:00"}),
            json!({"scheduled_at": "demain"}),
            json!({"scheduled_at": 20261203}),
            json!({"notes": {"deep": [1]}}),
            json!({"notes": [1]}),
            json!({"notes": 3}),
            json!({"notes": null}),
            json!({"notes": "a\u{0}b"}),
            json!({"owner": "x"}),
            json!({"id": S}),
        ] {
            assert!(
                check_change("visits", V, &fields(bad.clone())).is_err(),
                "{bad}"
            );
        }
        assert!(check_change("visits", "a'b", &Map::new()).is_err());
        assert!(check_change("nope", V, &Map::new()).is_err());
        let big = "x".repeat(100_001);
        assert!(check_change("visits", V, &fields(json!({ "notes": big }))).is_err());
        // Integers: in range, no fraction, nothing beyond i64.
        let line = |q: Value| fields(json!({ "quantity": q }));
        assert!(check_change("equipment_lines", V, &line(json!(3))).is_ok());
        for q in [
            json!(0),
            json!(2.5),
            json!(1e30),
            json!(100_001),
            json!("3"),
        ] {
            assert!(
                check_change("equipment_lines", V, &line(q.clone())).is_err(),
                "{q}"
            );
        }
        let huge: Value =
            serde_json::from_str("123456789012345678901234567890").unwrap_or(Value::Null);
        assert!(check_change("equipment_lines", V, &line(huge)).is_err());
        // Link tables: two ids; key fields must match the id.
        let link = format!("{V}/{S}");
        assert!(check_change("visit_schools", &link, &fields(json!({"visit_id": V}))).is_ok());
        assert!(check_change("visit_schools", &link, &fields(json!({"visit_id": S}))).is_err());
        assert!(check_change("visit_schools", V, &Map::new()).is_err());
        // PDF bytes as hex.
        let p = |pdf: &str| fields(json!({ "pdf": pdf }));
        assert!(check_change("proposals", V, &p("25504446")).is_ok());
        assert!(check_change("proposals", V, &p("2550444")).is_err());
        assert!(check_change("proposals", V, &p("zz")).is_err());
    }

    #[test]
    fn parents_come_from_the_key_or_the_fields() {
        let t = table("equipment_lines").expect("lines");
        let f = fields(json!({ "scenario_id": S }));
        assert_eq!(parent_of(t, V, &f), Some(("scenarios", S)));
        assert_eq!(parent_of(t, V, &Map::new()), None);
        let t = table("line_objectives").expect("links");
        assert_eq!(
            parent_of(t, &format!("{V}/{S}"), &Map::new()),
            Some(("equipment_lines", V))
        );
        assert_eq!(parent_of(table("visits").expect("visits"), V, &f), None);
    }
}
