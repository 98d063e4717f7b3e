//! Model-based property test of the laptop's store (issue 9: "nothing typed is lost").
//!
//! Random sequences of every write the app and the CLI make (visits, participants, schools,
//! project and objectives, class and school situations, scenarios, lines and the objectives
//! they serve, proposals drafted, issued and answered, settings, visit and school imports),
//! the same record edited many times in a row, deletes, re-creates and invalid inputs, are
//! run against a real store file, interleaved with reopening the store and, in the second
//! property, with syncs against a real `preau-server` on loopback and a second laptop
//! editing the same visits. After every step:
//!
//! - the store equals a plain in-memory model of what was accepted ([`Model`]);
//! - an input the model calls invalid is refused and changes no byte of any table;
//! - the change log (`sync_log`) covers every difference from what was last synced, and
//!   names nothing that did not change;
//! - after a sync, both laptops and a third one pulling from scratch hold the same records,
//!   and no edit made on one side only was lost.
//!
//! Failing cases are shrunk by proptest; their seeds are kept in
//! `proptest-regressions/store_model.txt` (replayed first on every run) and the shrunk
//! sequences as named tests at the end of this file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use chrono::NaiveDate;
use preau_core::model::{Participant, Role, School, SchoolInput, SchoolKind, VisitPatch};
use preau_core::proposals::{DocumentSettings, ProposalStatus};
use preau_core::workflow::{
    ClassSituation, Display, IenStatus, Internet, LineInput, Objective, Pedagogy, SchoolSituation,
    VisitExport, Wifi,
};
use preau_core::Store;
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, TestCaseError, TestRunner};
use rusqlite::types::Value as Sql;

use crate::support::{fast_retries, TestServer};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 2).unwrap_or_default()
}

fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
}

// ---------------------------------------------------------------------------------------
// Operations

/// An existing record (picked by index among those the model has) or a new one.
#[derive(Debug, Clone, Copy)]
enum Slot {
    Existing(u8),
    New,
}

/// A text typed by the adviser: accepted, blank, or over its length limit.
#[derive(Debug, Clone)]
enum Text {
    Good(String),
    Blank,
    TooLong,
}

impl Text {
    fn value(&self, limit: usize) -> String {
        match self {
            Text::Good(s) => s.clone(),
            Text::Blank => "   ".into(),
            Text::TooLong => "é".repeat(limit + 1),
        }
    }
    fn valid(&self) -> bool {
        matches!(self, Text::Good(_))
    }
}

#[derive(Debug, Clone)]
enum Op {
    CreateVisit {
        commune: u8,
        hour: u8,
        bad: bool,
    },
    Notes {
        v: u8,
        text: Text,
    },
    Date {
        v: u8,
        day: u8,
        bad: bool,
    },
    TickSchool {
        v: u8,
        s: u8,
    },
    UntickSchool {
        v: u8,
        s: u8,
    },
    SaveParticipant {
        v: u8,
        p: Slot,
        name: Text,
        role: u8,
        email: Option<bool>,
    },
    DeleteParticipant {
        v: u8,
        p: u8,
    },
    SaveSchool {
        commune: u8,
        s: Slot,
        name: Text,
        pupils: Option<u16>,
        /// A new school's UAI, from a pool of two: both laptops may type the same one.
        uai: Option<u8>,
    },
    SavePedagogy {
        v: u8,
        s: u8,
        cycles: u8,
        uses: u8,
        /// For each of up to four objective slots: keep/rename (Some) or drop (None).
        objectives: Vec<Option<Text>>,
        training: String,
        bad_cycle: bool,
    },
    SaveClass {
        v: u8,
        s: u8,
        c: Slot,
        name: Text,
        pupils: u8,
        display: u8,
        computer: bool,
    },
    DeleteClass {
        v: u8,
        c: u8,
    },
    SaveSituation {
        v: u8,
        s: u8,
        devices: u16,
        wifi: u8,
        internet: u8,
        ent: Option<String>,
    },
    AddScenario {
        v: u8,
        title: String,
    },
    RenameScenario {
        v: u8,
        sc: u8,
        title: Text,
    },
    DeleteScenario {
        v: u8,
        sc: u8,
    },
    SaveLine {
        v: u8,
        sc: u8,
        l: Slot,
        s: u8,
        item: u8,
        quantity: String,
        class: Option<u8>,
        objectives: u8,
    },
    DeleteLine {
        v: u8,
        sc: u8,
        l: u8,
    },
    Draft {
        v: u8,
    },
    Issue {
        v: u8,
    },
    Decide {
        v: u8,
        answer: Answer,
    },
    Settings {
        organisation: Text,
        email_ok: bool,
    },
    ExportImport {
        v: u8,
        corrupt: bool,
    },
    ImportSchools {
        bad: bool,
    },
    Reopen,
    /// The whole round: A, then B, then A again, then a new laptop from scratch.
    Sync,
    /// The second laptop makes this edit on its own store.
    Other(Box<Op>),
}

fn good_text() -> impl Strategy<Value = String> {
    // Mostly a few names, so the same value comes back (an edit back to what it was).
    prop_oneof![
        4 => prop::sample::select(vec![
            "Marie Dupont", "Paul Martin", "Élodie N’Guyen", "Jean-Éric", "CM1-CM2",
            "Lire et écrire", "l'école", "Ça va",
        ])
        .prop_map(str::to_string),
        1 => "[A-Za-zÉéèçà][a-zéèà' -]{0,14}[a-z]",
    ]
}

fn text() -> impl Strategy<Value = Text> {
    prop_oneof![
        8 => good_text().prop_map(Text::Good),
        1 => Just(Text::Blank),
        1 => Just(Text::TooLong),
    ]
}

fn slot() -> impl Strategy<Value = Slot> {
    prop_oneof![3 => any::<u8>().prop_map(Slot::Existing), 1 => Just(Slot::New)]
}

fn quantity() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => (1u32..40).prop_map(|n| n.to_string()),
        1 => prop::sample::select(vec!["0", "", "douze", "-3", "10001", "2,5"]).prop_map(str::to_string),
    ]
}

fn edit() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => (any::<u8>(), 0u8..24, prop::bool::weighted(0.1))
            .prop_map(|(commune, hour, bad)| Op::CreateVisit { commune, hour, bad }),
        4 => (any::<u8>(), text()).prop_map(|(v, text)| Op::Notes { v, text }),
        2 => (any::<u8>(), 1u8..29, prop::bool::weighted(0.15))
            .prop_map(|(v, day, bad)| Op::Date { v, day, bad }),
        3 => (any::<u8>(), any::<u8>()).prop_map(|(v, s)| Op::TickSchool { v, s }),
        1 => (any::<u8>(), any::<u8>()).prop_map(|(v, s)| Op::UntickSchool { v, s }),
        6 => (any::<u8>(), slot(), text(), 0u8..9, prop::option::of(prop::bool::weighted(0.8)))
            .prop_map(|(v, p, name, role, email)| Op::SaveParticipant { v, p, name, role, email }),
        1 => (any::<u8>(), any::<u8>()).prop_map(|(v, p)| Op::DeleteParticipant { v, p }),
        2 => (any::<u8>(), slot(), text(), prop::option::of(0u16..600), prop::option::weighted(0.6, 0u8..2))
            .prop_map(|(commune, s, name, pupils, uai)| Op::SaveSchool { commune, s, name, pupils, uai }),
        5 => (
            any::<u8>(),
            any::<u8>(),
            1u8..8,
            any::<u8>(),
            prop::collection::vec(prop::option::weighted(0.8, text()), 0..4),
            prop::sample::select(vec!["", "Prise en main de l'ENI", "3 h avec Canopé"]),
            prop::bool::weighted(0.1),
        )
            .prop_map(|(v, s, cycles, uses, objectives, training, bad_cycle)| Op::SavePedagogy {
                v, s, cycles, uses, objectives, training: training.to_string(), bad_cycle,
            }),
        4 => (any::<u8>(), any::<u8>(), slot(), text(), 0u8..45, 0u8..6, any::<bool>())
            .prop_map(|(v, s, c, name, pupils, display, computer)| Op::SaveClass {
                v, s, c, name, pupils, display, computer,
            }),
        1 => (any::<u8>(), any::<u8>()).prop_map(|(v, c)| Op::DeleteClass { v, c }),
        3 => (
            any::<u8>(),
            any::<u8>(),
            prop_oneof![9 => 0u16..60, 1 => Just(2_001u16)],
            0u8..3,
            0u8..6,
            prop::option::of(prop::sample::select(vec!["ENT Hauts-de-France", "Beneylu"]).prop_map(str::to_string)),
        )
            .prop_map(|(v, s, devices, wifi, internet, ent)| Op::SaveSituation {
                v, s, devices, wifi, internet, ent,
            }),
        2 => (any::<u8>(), prop::sample::select(vec!["", "Socle", "Classe mobile"]))
            .prop_map(|(v, t)| Op::AddScenario { v, title: t.to_string() }),
        1 => (any::<u8>(), any::<u8>(), text()).prop_map(|(v, sc, title)| Op::RenameScenario { v, sc, title }),
        1 => (any::<u8>(), any::<u8>()).prop_map(|(v, sc)| Op::DeleteScenario { v, sc }),
        8 => (
            any::<u8>(),
            any::<u8>(),
            slot(),
            any::<u8>(),
            any::<u8>(),
            quantity(),
            prop::option::of(any::<u8>()),
            any::<u8>(),
        )
            .prop_map(|(v, sc, l, s, item, quantity, class, objectives)| Op::SaveLine {
                v, sc, l, s, item, quantity, class, objectives,
            }),
        2 => (any::<u8>(), any::<u8>(), any::<u8>()).prop_map(|(v, sc, l)| Op::DeleteLine { v, sc, l }),
        1 => any::<u8>().prop_map(|v| Op::Draft { v }),
        1 => any::<u8>().prop_map(|v| Op::Issue { v }),
        1 => (any::<u8>(), answer()).prop_map(|(v, answer)| Op::Decide { v, answer }),
        1 => (text(), prop::bool::weighted(0.85))
            .prop_map(|(organisation, email_ok)| Op::Settings { organisation, email_ok }),
        1 => (any::<u8>(), prop::bool::weighted(0.3)).prop_map(|(v, corrupt)| Op::ExportImport { v, corrupt }),
        1 => prop::bool::weighted(0.5).prop_map(|bad| Op::ImportSchools { bad }),
    ]
}

fn local_op() -> impl Strategy<Value = Op> {
    prop_oneof![30 => edit(), 1 => Just(Op::Reopen)]
}

fn synced_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        24 => edit(),
        8 => edit().prop_map(|o| Op::Other(Box::new(o))),
        1 => Just(Op::Reopen),
        3 => Just(Op::Sync),
    ]
}

/// A burst of edits of one record in a row (the case issue 9 missed), then anything.
fn local_sequence() -> impl Strategy<Value = Vec<Op>> {
    (edit(), 2usize..5, prop::collection::vec(local_op(), 1..40)).prop_map(
        |(repeated, times, rest)| {
            let mut ops = vec![Op::CreateVisit {
                commune: 0,
                hour: 18,
                bad: false,
            }];
            ops.extend(std::iter::repeat_n(repeated, times));
            ops.extend(rest);
            ops
        },
    )
}

// ---------------------------------------------------------------------------------------
// The model: what was accepted, as plain values.

#[derive(Debug, Clone, PartialEq)]
struct MVisit {
    commune: String,
    scheduled_at: String,
    notes: String,
    school_ids: BTreeSet<String>,
    participants: Vec<Participant>,
    pedagogy: BTreeMap<String, Pedagogy>,
    classes: Vec<ClassSituation>,
    situations: BTreeMap<String, SchoolSituation>,
    scenarios: Vec<MScenario>,
    proposals: BTreeMap<String, MProposal>,
}

#[derive(Debug, Clone, PartialEq)]
struct MScenario {
    id: String,
    label: String,
    title: String,
    lines: Vec<MLine>,
}

#[derive(Debug, Clone, PartialEq)]
struct MLine {
    id: String,
    school_id: String,
    class_id: Option<String>,
    reference: String,
    quantity: u32,
    objective_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
struct MProposal {
    status: ProposalStatus,
    pdf_sha256: Option<String>,
    /// The scenarios it shows, as issued (never changes after).
    offered: Vec<String>,
    /// The mayor's answer (issue 13): set once with an acceptance, never changed.
    accepted_scenario_id: Option<String>,
    deliberated_on: Option<NaiveDate>,
}

/// The mayor's answer an op records: a refusal, or an acceptance naming one of the shown
/// scenarios (by index), a scenario it does not show, or none, with a deliberation date
/// some days from the answer (negative: before it; far values are refused).
#[derive(Debug, Clone)]
enum Answer {
    Refuse,
    Accept {
        scenario: Option<u8>,
        foreign: bool,
        deliberation: Option<i16>,
    },
}

fn answer() -> impl Strategy<Value = Answer> {
    prop_oneof![
        1 => Just(Answer::Refuse),
        3 => (
            prop::option::weighted(0.8, any::<u8>()),
            prop::bool::weighted(0.1),
            prop::option::of(prop_oneof![-3i16..3, -400i16..400]),
        )
            .prop_map(|(scenario, foreign, deliberation)| Answer::Accept {
                scenario,
                foreign,
                deliberation,
            }),
    ]
}

#[derive(Debug, Clone, PartialEq)]
struct Model {
    visits: BTreeMap<String, MVisit>,
    schools: BTreeMap<String, School>,
    settings: DocumentSettings,
}

impl MVisit {
    /// Classes as the store lists them: by school, then in the order they were added.
    fn normalised(&self) -> MVisit {
        let mut v = self.clone();
        v.classes.sort_by(|a, b| a.school_id.cmp(&b.school_id));
        v.scenarios.sort_by(|a, b| a.label.cmp(&b.label));
        v
    }
}

impl Model {
    /// The model as read back from the store: compared with the one built from inputs.
    fn read(store: &Store) -> Result<Model, String> {
        let e = |e: preau_core::Error| e.to_string();
        let conn = reader(store.path());
        let mut visits = BTreeMap::new();
        for summary in store.visits_list().map_err(e)? {
            let id = summary.id;
            let v = store.visit(&id).map_err(e)?;
            let recorded = |table: &str| -> Result<Vec<String>, String> {
                let mut stmt = conn
                    .prepare_cached(&format!(
                        "SELECT school_id FROM {table} WHERE visit_id = ?1 ORDER BY school_id"
                    ))
                    .map_err(|e| e.to_string())?;
                let rows = stmt
                    .query_map([&id], |r| r.get(0))
                    .map_err(|e| e.to_string())?;
                rows.collect::<rusqlite::Result<Vec<String>>>()
                    .map_err(|e| e.to_string())
            };
            let mut pedagogy = BTreeMap::new();
            for s in recorded("pedagogy")? {
                pedagogy.insert(s.clone(), store.pedagogy_of(&id, &s).map_err(e)?);
            }
            let mut situations = BTreeMap::new();
            for s in recorded("school_situations")? {
                situations.insert(s.clone(), store.situation_of(&id, &s).map_err(e)?);
            }
            let mut scenarios = Vec::new();
            for s in store.scenarios_of(&id).map_err(e)? {
                let lines = store
                    .lines_of(&s.id)
                    .map_err(e)?
                    .into_iter()
                    .map(|l| MLine {
                        id: l.id,
                        school_id: l.school_id,
                        class_id: l.class_id,
                        reference: l.reference,
                        quantity: l.quantity,
                        objective_ids: l.objective_ids,
                    })
                    .collect();
                scenarios.push(MScenario {
                    id: s.id,
                    label: s.label,
                    title: s.title,
                    lines,
                });
            }
            let proposals = store
                .proposals_of(&id, today())
                .map_err(e)?
                .into_iter()
                .map(|p| {
                    (
                        p.id,
                        MProposal {
                            status: p.status,
                            pdf_sha256: p.pdf_sha256,
                            offered: p.offered.into_iter().map(|o| o.id).collect(),
                            accepted_scenario_id: p.accepted_scenario_id,
                            deliberated_on: p.deliberated_on,
                        },
                    )
                })
                .collect();
            let visit = MVisit {
                commune: v.commune_insee,
                scheduled_at: v.scheduled_at.format("%Y-%m-%dT%H:%M").to_string(),
                notes: v.notes,
                school_ids: v.school_ids.into_iter().collect(),
                participants: v.participants,
                pedagogy,
                classes: store.classes_of(&id).map_err(e)?,
                situations,
                scenarios,
                proposals,
            };
            visits.insert(id, visit.normalised());
        }
        let mut schools = BTreeMap::new();
        // As the lists show them: a duplicate of another school's UAI no visit ticks is
        // hidden (`sync/same_uai.rs`).
        let ids: Vec<String> = {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT id FROM schools WHERE id NOT IN (
                       SELECT a.school_id FROM sync_school_aliases a WHERE NOT EXISTS
                         (SELECT 1 FROM visit_schools v WHERE v.school_id = a.school_id))
                     ORDER BY id",
                )
                .map_err(|e| e.to_string())?;
            let rows = stmt
                .query_map([], |r| r.get(0))
                .map_err(|e| e.to_string())?;
            rows.collect::<rusqlite::Result<_>>()
                .map_err(|e| e.to_string())?
        };
        for id in ids {
            schools.insert(id.clone(), store.school(&id).map_err(e)?);
        }
        Ok(Model {
            visits,
            schools,
            settings: store.document_settings().map_err(e)?,
        })
    }

    fn visit_id(&self, v: u8) -> Option<String> {
        pick(self.visits.keys(), v).cloned()
    }

    fn schools_of(&self, commune: &str) -> Vec<&School> {
        self.schools
            .values()
            .filter(|s| s.commune_insee == commune)
            .collect()
    }
}

fn pick<'a, T>(items: impl ExactSizeIterator<Item = &'a T>, i: u8) -> Option<&'a T>
where
    T: 'a,
{
    let n = items.len();
    if n == 0 {
        return None;
    }
    let mut items = items;
    items.nth(usize::from(i) % n)
}

// ---------------------------------------------------------------------------------------
// Row dumps: the change log's ground truth.

thread_local! {
    /// One read connection per store file: opening one (and parsing the schema) on every
    /// check would be most of the test's time.
    static READERS: std::cell::RefCell<BTreeMap<PathBuf, std::rc::Rc<rusqlite::Connection>>> =
        const { std::cell::RefCell::new(BTreeMap::new()) };
}

fn reader(path: &Path) -> std::rc::Rc<rusqlite::Connection> {
    READERS.with(|r| {
        std::rc::Rc::clone(r.borrow_mut().entry(path.to_path_buf()).or_insert_with(|| {
            std::rc::Rc::new(rusqlite::Connection::open(path).expect("open store"))
        }))
    })
}

/// Closes the read connections of a case when it ends, however it ends.
struct Readers;

impl Drop for Readers {
    fn drop(&mut self) {
        READERS.with(|r| r.borrow_mut().clear());
    }
}

/// Synced records as stored: (table, record id) → column → value (bookkeeping aside).
type Records = BTreeMap<(String, String), BTreeMap<String, Sql>>;

fn synced_records(path: &Path) -> Records {
    let conn = reader(path);
    let mut out = Records::new();
    for t in preau_core::sync::SYNC_TABLES {
        // Drafts stay on their laptop (schema 5): only issued proposals are synced.
        let filter = if t.name == "proposals" {
            " WHERE status <> 'brouillon'"
        } else {
            ""
        };
        let mut stmt = conn
            .prepare_cached(&format!("SELECT * FROM {}{filter}", t.name))
            .expect("prepare");
        let names: Vec<String> = stmt.column_names().map(str::to_string).collect();
        let mut rows = stmt.query([]).expect("query");
        while let Some(row) = rows.next().expect("row") {
            let mut fields = BTreeMap::new();
            let mut key = Vec::new();
            for (i, n) in names.iter().enumerate() {
                let v: Sql = row.get(i).expect("value");
                if t.key.contains(&n.as_str()) {
                    if let Sql::Text(s) = &v {
                        key.push((n.clone(), s.clone()));
                    }
                }
                if n != "created_at" && n != "updated_at" {
                    fields.insert(n.clone(), v);
                }
            }
            let id = t
                .key
                .iter()
                .filter_map(|k| key.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
                .collect::<Vec<_>>()
                .join("/");
            out.insert((t.name.to_string(), id), fields);
        }
    }
    out
}

/// Every table of the file, every row: an invalid input must leave it byte for byte.
fn whole_file(path: &Path) -> Vec<String> {
    let conn = reader(path);
    let tables: Vec<String> = {
        let mut stmt = conn
            .prepare_cached("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .expect("prepare");
        let rows = stmt.query_map([], |r| r.get(0)).expect("query");
        rows.map(|r| r.expect("row")).collect()
    };
    let mut out = Vec::new();
    for t in tables {
        // The embedded reference data is written once at creation and never by an edit.
        if [
            "communes",
            "epci",
            "catalogue_items",
            "communes_fts",
            "reference_versions",
        ]
        .contains(&t.as_str())
            || t.starts_with("communes_fts")
        {
            continue;
        }
        let mut stmt = conn
            .prepare_cached(&format!("SELECT * FROM \"{t}\" ORDER BY rowid"))
            .or_else(|_| conn.prepare_cached(&format!("SELECT * FROM \"{t}\"")))
            .expect("prepare");
        let n = stmt.column_count();
        let mut rows = stmt.query([]).expect("query");
        while let Some(row) = rows.next().expect("row") {
            let mut line = format!("{t}:");
            for i in 0..n {
                match row.get(i).expect("value") {
                    // The logo and issued PDFs: their digest says whether a byte changed.
                    Sql::Blob(b) => {
                        use sha2::Digest;
                        line.push_str(&format!(" blob:{}", hex::encode(sha2::Sha256::digest(&b))));
                    }
                    v => line.push_str(&format!(" {v:?}")),
                }
            }
            out.push(line);
        }
    }
    out
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct LogEntry {
    table: String,
    record_id: String,
    field: String,
}

fn change_log(path: &Path) -> BTreeSet<LogEntry> {
    let conn = reader(path);
    let mut stmt = conn
        .prepare_cached("SELECT tbl, record_id, field FROM sync_log")
        .expect("prepare");
    let rows = stmt
        .query_map([], |r| {
            Ok(LogEntry {
                table: r.get(0)?,
                record_id: r.get(1)?,
                field: r.get(2)?,
            })
        })
        .expect("query");
    rows.map(|r| r.expect("row")).collect()
}

fn outgoing_count(path: &Path) -> i64 {
    let conn = reader(path);
    conn.query_row("SELECT count(*) FROM sync_outgoing", [], |r| r.get(0))
        .expect("count")
}

/// What differs between two record sets: (table, id, field), "" for the record itself.
fn differences(before: &Records, after: &Records) -> BTreeSet<(String, String, String)> {
    let mut out = BTreeSet::new();
    let keys: BTreeSet<&(String, String)> = before.keys().chain(after.keys()).collect();
    for k in keys {
        match (before.get(k), after.get(k)) {
            (Some(a), Some(b)) => {
                for (f, v) in b {
                    if a.get(f) != Some(v) {
                        out.insert((k.0.clone(), k.1.clone(), f.clone()));
                    }
                }
            }
            _ => {
                out.insert((k.0.clone(), k.1.clone(), String::new()));
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// A laptop under test.

struct Lap {
    name: &'static str,
    store: Option<Store>,
    path: PathBuf,
    _dir: tempfile::TempDir,
    model: Model,
    /// Records as last synced (empty before the first sync).
    synced: Records,
    /// Every (table, id, field) that differed from `synced` after some step since then.
    ever: BTreeSet<(String, String, String)>,
    rt: tokio::runtime::Runtime,
}

struct Templates {
    with_schools: PathBuf,
    bare: PathBuf,
    directory: Vec<School>,
    communes: Vec<String>,
    catalogue: Vec<String>,
    _dir: tempfile::TempDir,
}

/// Opening a store migrates and loads the reference data: done once, then copied.
fn templates() -> &'static Templates {
    static T: OnceLock<Templates> = OnceLock::new();
    T.get_or_init(|| {
        let dir = tempfile::tempdir().expect("template dir");
        let bare = dir.path().join("bare");
        drop(Store::open_in(&bare).expect("bare store"));
        let with_schools = dir.path().join("schools");
        let mut store = Store::open_in(&with_schools).expect("template store");
        let csv = std::fs::read_to_string(repo_file(
            "crates/preau-reference/tests/fixtures/annuaire-education-2024-somme.csv",
        ))
        .expect("directory fixture");
        store.schools_import(&csv).expect("directory import");
        let directory: Vec<School> = Model::read(&store)
            .expect("read template")
            .schools
            .into_values()
            .collect();
        let mut communes: Vec<String> = directory
            .iter()
            .map(|s| s.commune_insee.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        // A commune with no school in the directory: schools are added by hand there.
        communes.push("80021".into());
        let catalogue = store
            .catalogue()
            .expect("catalogue")
            .items
            .into_iter()
            .map(|i| i.reference)
            .collect();
        drop(store);
        Templates {
            with_schools,
            bare,
            directory,
            communes,
            catalogue,
            _dir: dir,
        }
    })
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("dir");
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

impl Lap {
    fn new(name: &'static str, template: &Path) -> Lap {
        let dir = tempfile::tempdir().expect("laptop dir");
        copy_dir(template, dir.path());
        let store = Store::open_in(dir.path()).expect("laptop store");
        let path = store.path().to_path_buf();
        let model = Model::read(&store).expect("read model");
        Lap {
            name,
            store: Some(store),
            path,
            _dir: dir,
            model,
            synced: Records::new(),
            ever: BTreeSet::new(),
            rt: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime"),
        }
    }

    fn store(&mut self) -> &mut Store {
        self.store.as_mut().expect("store open")
    }

    fn reopen(&mut self) {
        drop(self.store.take());
        self.store = Some(Store::open(&self.path).expect("reopen"));
    }

    fn enroll(&mut self, server: &TestServer, adviser: &str) {
        let code = server.enrollment_code(adviser);
        let url = server.url();
        let store = self.store.as_mut().expect("store open");
        self.rt
            .block_on(preau_sync::enroll(
                store,
                &url,
                &code,
                "portable de test",
                fast_retries(),
            ))
            .expect("enroll");
    }

    fn sync(&mut self) -> Result<preau_sync::SyncReport, TestCaseError> {
        let store = self.store.as_mut().expect("store open");
        self.rt
            .block_on(preau_sync::sync(store, fast_retries(), &mut |_| {}))
            .map_err(|e| TestCaseError::fail(format!("{}: sync failed: {e}", self.name)))
    }

    /// The invariants that hold after every step.
    fn check(&mut self, step: &str) -> Result<(), TestCaseError> {
        let read = Model::read(self.store.as_ref().expect("store open"))
            .map_err(|e| TestCaseError::fail(format!("{} after {step}: read: {e}", self.name)))?;
        let mut expected = self.model.clone();
        for v in expected.visits.values_mut() {
            *v = v.normalised();
        }
        if read != expected {
            return Err(TestCaseError::fail(format!(
                "{} after {step}: the store differs from the model\n{}",
                self.name,
                model_diff(&expected, &read)
            )));
        }
        self.check_log(step)
    }

    /// The change log holds exactly what is unsynced.
    fn check_log(&mut self, step: &str) -> Result<(), TestCaseError> {
        let now = synced_records(&self.path);
        let diff = differences(&self.synced, &now);
        self.ever.extend(diff.iter().cloned());
        let log = change_log(&self.path);
        let has = |t: &str, r: &str, f: &str| {
            log.contains(&LogEntry {
                table: t.into(),
                record_id: r.into(),
                field: f.into(),
            })
        };
        for (t, r, f) in &diff {
            let key = (t.clone(), r.clone());
            let covered = match (self.synced.contains_key(&key), now.contains_key(&key)) {
                (false, true) => has(t, r, "*"),
                (true, false) => has(t, r, "-"),
                (false, false) => true,
                (true, true) => has(t, r, f) || has(t, r, "*"),
            };
            if !covered {
                return Err(TestCaseError::fail(format!(
                    "{} after {step}: {t} {r} {f:?} changed but is not in the change log",
                    self.name
                )));
            }
        }
        for e in &log {
            let key = (e.table.clone(), e.record_id.clone());
            let justified = match e.field.as_str() {
                "-" => !now.contains_key(&key),
                // A record sent whole is never wrong (an import rewrites it whole).
                "*" => now.contains_key(&key),
                f => {
                    now.contains_key(&key)
                        && (self.ever.contains(&(
                            e.table.clone(),
                            e.record_id.clone(),
                            f.to_string(),
                        )) || has(&e.table, &e.record_id, "*"))
                }
            };
            if !justified {
                return Err(TestCaseError::fail(format!(
                    "{} after {step}: the change log names {e:?}, which did not change",
                    self.name
                )));
            }
        }
        Ok(())
    }
}

fn model_diff(expected: &Model, read: &Model) -> String {
    let mut out = String::new();
    if expected.settings != read.settings {
        out.push_str(&format!(
            "settings: model {:?}\n   store {:?}\n",
            expected.settings, read.settings
        ));
    }
    for (id, s) in &expected.schools {
        if read.schools.get(id) != Some(s) {
            out.push_str(&format!(
                "school {id}: model {s:?}\n   store {:?}\n",
                read.schools.get(id)
            ));
        }
    }
    for id in read.schools.keys() {
        if !expected.schools.contains_key(id) {
            out.push_str(&format!("school {id}: in the store only\n"));
        }
    }
    for (id, v) in &expected.visits {
        match read.visits.get(id) {
            Some(r) if r == v => {}
            Some(r) => out.push_str(&format!("visit {id}:\n model {v:#?}\n store {r:#?}\n")),
            None => out.push_str(&format!("visit {id}: missing from the store\n")),
        }
    }
    for id in read.visits.keys() {
        if !expected.visits.contains_key(id) {
            out.push_str(&format!("visit {id}: in the store only\n"));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Running one operation: the model says whether it must be accepted.

enum Expect {
    Accepted,
    Refused,
    /// Depends on rules the model does not restate (issuing, importing): either way it is
    /// checked — accepted, the model follows; refused, nothing changed.
    Either,
}

const ROLES: [Role; 9] = [
    Role::Maire,
    Role::Adjoint,
    Role::SecretaireMairie,
    Role::Directeur,
    Role::Enseignant,
    Role::Ien,
    Role::Erun,
    Role::Canope,
    Role::Syndicat,
];
const DISPLAYS: [Display; 6] = [
    Display::Aucun,
    Display::Televiseur,
    Display::Videoprojecteur,
    Display::Vpi,
    Display::Tni,
    Display::Eni,
];
const USES: [&str; 4] = ["produire", "differencier", "collaborer", "programmer"];

fn fail(lap: &Lap, step: &str, what: impl std::fmt::Display) -> TestCaseError {
    TestCaseError::fail(format!("{} at {step}: {what}", lap.name))
}

/// Runs `op` on `lap`; returns a label for messages, or `None` when the op has nothing to
/// act on (no visit yet, say).
fn run(lap: &mut Lap, op: &Op) -> Result<Option<String>, TestCaseError> {
    let step = format!("{op:?}");
    let before = whole_file(&lap.path);
    // Each arm returns what the model expects and the write's outcome, plus how the
    // model changes if it was accepted.
    let outcome = apply(lap, op)?;
    let Some((expect, result, update)) = outcome else {
        return Ok(None);
    };
    match (expect, result) {
        (Expect::Accepted | Expect::Either, Ok(())) => update(&mut lap.model),
        (Expect::Refused | Expect::Either, Err(_)) => {
            let after = whole_file(&lap.path);
            if before != after {
                let gone: Vec<&String> = before.iter().filter(|l| !after.contains(l)).collect();
                let new: Vec<&String> = after.iter().filter(|l| !before.contains(l)).collect();
                return Err(fail(
                    lap,
                    &step,
                    format!("refused, yet the file changed: -{gone:?} +{new:?}"),
                ));
            }
        }
        (Expect::Accepted, Err(e)) => {
            return Err(fail(lap, &step, format!("a valid edit was refused: {e}")))
        }
        (Expect::Refused, Ok(())) => {
            return Err(fail(lap, &step, "an invalid edit was accepted"));
        }
    }
    lap.check(&step)?;
    Ok(Some(step))
}

type Update = Box<dyn FnOnce(&mut Model)>;
type Outcome = Option<(Expect, Result<(), preau_core::Error>, Update)>;

/// UAIs both laptops may type for new schools (in no directory file of the tests).
const TYPED_UAIS: [&str; 2] = ["0809990Z", "0809991Y"];

fn ok_if(valid: bool) -> Expect {
    if valid {
        Expect::Accepted
    } else {
        Expect::Refused
    }
}

fn done<T>(r: preau_core::Result<T>) -> (Result<(), preau_core::Error>, Option<T>) {
    match r {
        Ok(v) => (Ok(()), Some(v)),
        Err(e) => (Err(e), None),
    }
}

fn apply(lap: &mut Lap, op: &Op) -> Result<Outcome, TestCaseError> {
    let t = templates();
    let model = lap.model.clone();
    Ok(match op {
        Op::CreateVisit { commune, hour, bad } => {
            let insee = t.communes[usize::from(*commune) % t.communes.len()].clone();
            let at = if *bad {
                format!("2026-12-03T{}:61", hour)
            } else {
                format!("2026-12-03T{hour:02}:30")
            };
            let (r, v) = done(lap.store().visit_create(&insee, &at));
            Some((
                ok_if(!*bad),
                r,
                Box::new(move |m: &mut Model| {
                    if let Some(v) = v {
                        m.visits.insert(
                            v.id,
                            MVisit {
                                commune: insee,
                                scheduled_at: at,
                                notes: String::new(),
                                school_ids: BTreeSet::new(),
                                participants: Vec::new(),
                                pedagogy: BTreeMap::new(),
                                classes: Vec::new(),
                                situations: BTreeMap::new(),
                                scenarios: Vec::new(),
                                proposals: BTreeMap::new(),
                            },
                        );
                    }
                }),
            ))
        }
        Op::Notes { v, text } => {
            let Some(id) = model.visit_id(*v) else {
                return Ok(None);
            };
            let notes = match text {
                Text::TooLong => "n".repeat(50_001),
                other => other.value(0),
            };
            let patch = VisitPatch {
                notes: Some(notes.clone()),
                ..VisitPatch::default()
            };
            let (r, _) = done(lap.store().visit_update(&id, &patch));
            Some((
                ok_if(!matches!(text, Text::TooLong)),
                r,
                Box::new(move |m: &mut Model| {
                    if let Some(v) = m.visits.get_mut(&id) {
                        v.notes = notes;
                    }
                }),
            ))
        }
        Op::Date { v, day, bad } => {
            let Some(id) = model.visit_id(*v) else {
                return Ok(None);
            };
            let at = if *bad {
                format!("2026-02-{}T18:00", day + 29)
            } else {
                format!("2026-12-{day:02}T17:45")
            };
            let patch = VisitPatch {
                scheduled_at: Some(at.clone()),
                ..VisitPatch::default()
            };
            let (r, _) = done(lap.store().visit_update(&id, &patch));
            Some((
                ok_if(!*bad),
                r,
                Box::new(move |m: &mut Model| {
                    if let Some(v) = m.visits.get_mut(&id) {
                        v.scheduled_at = at;
                    }
                }),
            ))
        }
        Op::TickSchool { v, s } | Op::UntickSchool { v, s } => {
            let Some(id) = model.visit_id(*v) else {
                return Ok(None);
            };
            let visit = &model.visits[&id];
            let tick = matches!(op, Op::TickSchool { .. });
            let candidates: Vec<String> = if tick {
                model
                    .schools_of(&visit.commune)
                    .into_iter()
                    .map(|s| s.id.clone())
                    .collect()
            } else {
                visit.school_ids.iter().cloned().collect()
            };
            let Some(school) = pick(candidates.iter(), *s).cloned() else {
                return Ok(None);
            };
            let mut ids = visit.school_ids.clone();
            if tick {
                ids.insert(school.clone());
            } else {
                ids.remove(&school);
            }
            let has_lines = visit
                .scenarios
                .iter()
                .flat_map(|s| &s.lines)
                .any(|l| l.school_id == school);
            let patch = VisitPatch {
                school_ids: Some(ids.iter().cloned().collect()),
                ..VisitPatch::default()
            };
            let (r, _) = done(lap.store().visit_update(&id, &patch));
            Some((
                ok_if(tick || !has_lines),
                r,
                Box::new(move |m: &mut Model| {
                    if let Some(v) = m.visits.get_mut(&id) {
                        v.school_ids = ids;
                    }
                }),
            ))
        }
        Op::SaveParticipant {
            v,
            p,
            name,
            role,
            email,
        } => {
            let Some(id) = model.visit_id(*v) else {
                return Ok(None);
            };
            let existing = match p {
                Slot::Existing(i) => pick(model.visits[&id].participants.iter(), *i),
                Slot::New => None,
            };
            let pid = existing.map_or_else(preau_core::make_id, |e| e.id.clone());
            let input = Participant {
                id: pid.clone(),
                name: name.value(120),
                role: ROLES[usize::from(*role) % ROLES.len()],
                phone: None,
                email: email.map(|ok| {
                    if ok {
                        "maire@mairie-80.fr".to_string()
                    } else {
                        "pas une adresse".to_string()
                    }
                }),
            };
            let valid = name.valid() && *email != Some(false);
            let (r, saved) = done(lap.store().participant_save(&id, &input));
            Some((
                ok_if(valid),
                r,
                Box::new(move |m: &mut Model| {
                    let Some(saved) = saved else { return };
                    if let Some(v) = m.visits.get_mut(&id) {
                        match v.participants.iter_mut().find(|x| x.id == pid) {
                            Some(x) => *x = saved,
                            None => v.participants.push(saved),
                        }
                    }
                }),
            ))
        }
        Op::DeleteParticipant { v, p } => {
            let Some(id) = model.visit_id(*v) else {
                return Ok(None);
            };
            let Some(pid) = pick(model.visits[&id].participants.iter(), *p).map(|x| x.id.clone())
            else {
                return Ok(None);
            };
            let (r, _) = done(lap.store().participant_delete(&id, &pid));
            Some((
                Expect::Accepted,
                r,
                Box::new(move |m: &mut Model| {
                    if let Some(v) = m.visits.get_mut(&id) {
                        v.participants.retain(|x| x.id != pid);
                    }
                }),
            ))
        }
        Op::SaveSchool {
            commune,
            s,
            name,
            pupils,
            uai,
        } => {
            let insee = t.communes[usize::from(*commune) % t.communes.len()].clone();
            let existing = match s {
                Slot::Existing(i) => pick(model.schools_of(&insee).into_iter(), *i).cloned(),
                Slot::New => None,
            };
            let input = SchoolInput {
                id: existing.as_ref().map(|e| e.id.clone()),
                uai: match &existing {
                    Some(e) => e.uai.clone(),
                    None => uai.map(|u| TYPED_UAIS[usize::from(u) % TYPED_UAIS.len()].to_string()),
                },
                name: name.value(200),
                kind: existing.as_ref().map_or(SchoolKind::Primaire, |e| e.kind),
                public: true,
                commune_insee: insee,
                classes: existing.as_ref().and_then(|e| e.classes),
                pupils: pupils.map(u32::from),
            };
            // A UAI another school of this laptop has is refused (`uai_free`).
            let uai_taken = input.uai.as_ref().is_some_and(|u| {
                model
                    .schools
                    .values()
                    .any(|x| x.uai.as_ref() == Some(u) && Some(&x.id) != input.id.as_ref())
            });
            let (r, saved) = done(lap.store().school_save(&input));
            let expected_name = name.value(200);
            Some((
                ok_if(name.valid() && !uai_taken),
                r,
                Box::new(move |m: &mut Model| {
                    if let Some(saved) = saved {
                        assert_eq!(saved.name, expected_name, "the name typed is kept");
                        m.schools.insert(saved.id.clone(), saved);
                    }
                }),
            ))
        }
        Op::SavePedagogy {
            v,
            s,
            cycles,
            uses,
            objectives,
            training,
            bad_cycle,
        } => {
            let Some(id) = model.visit_id(*v) else {
                return Ok(None);
            };
            let visit = &model.visits[&id];
            let Some(school) = pick(visit.school_ids.iter(), *s).cloned() else {
                return Ok(None);
            };
            let current = visit
                .pedagogy
                .get(&school)
                .map(|p| p.objectives.clone())
                .unwrap_or_default();
            let mut list = Vec::new();
            let mut valid = !*bad_cycle;
            for (i, slot) in objectives.iter().enumerate() {
                let Some(label) = slot else { continue };
                valid &= label.valid();
                list.push(Objective {
                    id: current
                        .get(i)
                        .map_or_else(preau_core::make_id, |o| o.id.clone()),
                    label: label.value(300),
                });
            }
            let mut cycle_list: Vec<u8> =
                (1..=3).filter(|c| cycles & (1 << (c - 1)) != 0).collect();
            if *bad_cycle {
                cycle_list.push(4);
            }
            let input = Pedagogy {
                school_id: school.clone(),
                objectives: list.clone(),
                cycles: cycle_list.clone(),
                uses: USES
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| uses & (1 << i) != 0)
                    .map(|(_, u)| u.to_string())
                    .collect(),
                crcn: Vec::new(),
                training_needs: training.clone(),
                ien_status: IenStatus::ASoumettre,
                ien_date: None,
                ien_comment: String::new(),
            };
            let (r, saved) = done(lap.store().pedagogy_save(&id, &input));
            Some((
                ok_if(valid),
                r,
                Box::new(move |m: &mut Model| {
                    let Some(saved) = saved else { return };
                    assert_eq!(saved.objectives, list, "objectives as typed");
                    assert_eq!(saved.cycles, cycle_list, "cycles as ticked");
                    assert_eq!(saved.uses, input.uses, "uses as ticked");
                    if let Some(v) = m.visits.get_mut(&id) {
                        // An objective dropped no longer justifies the lines it served.
                        let kept: Vec<&str> = list.iter().map(|o| o.id.as_str()).collect();
                        for l in v.scenarios.iter_mut().flat_map(|s| s.lines.iter_mut()) {
                            if l.school_id == school {
                                l.objective_ids.retain(|o| kept.contains(&o.as_str()));
                            }
                        }
                        v.pedagogy.insert(school, saved);
                    }
                }),
            ))
        }
        Op::SaveClass {
            v,
            s,
            c,
            name,
            pupils,
            display,
            computer,
        } => {
            let Some(id) = model.visit_id(*v) else {
                return Ok(None);
            };
            let visit = &model.visits[&id];
            let existing = match c {
                Slot::Existing(i) => pick(visit.classes.iter(), *i).cloned(),
                Slot::New => None,
            };
            let school = match &existing {
                Some(e) => e.school_id.clone(),
                None => match pick(visit.school_ids.iter(), *s) {
                    Some(s) => s.clone(),
                    None => return Ok(None),
                },
            };
            let input = ClassSituation {
                id: existing
                    .as_ref()
                    .map_or_else(preau_core::make_id, |e| e.id.clone()),
                school_id: school.clone(),
                name: name.value(60),
                pupils: Some(u32::from(*pupils)),
                display: DISPLAYS[usize::from(*display) % DISPLAYS.len()],
                teacher_computer: *computer,
            };
            // A class of a school since unticked is kept, but no longer edited.
            let valid = name.valid() && *pupils <= 40 && visit.school_ids.contains(&school);
            let (r, saved) = done(lap.store().class_save(&id, &input));
            Some((
                ok_if(valid),
                r,
                Box::new(move |m: &mut Model| {
                    let Some(saved) = saved else { return };
                    if let Some(v) = m.visits.get_mut(&id) {
                        match v.classes.iter_mut().find(|x| x.id == saved.id) {
                            Some(x) => *x = saved,
                            None => v.classes.push(saved),
                        }
                    }
                }),
            ))
        }
        Op::DeleteClass { v, c } => {
            let Some(id) = model.visit_id(*v) else {
                return Ok(None);
            };
            let Some(cid) = pick(model.visits[&id].classes.iter(), *c).map(|x| x.id.clone()) else {
                return Ok(None);
            };
            let (r, _) = done(lap.store().class_delete(&id, &cid));
            Some((
                Expect::Accepted,
                r,
                Box::new(move |m: &mut Model| {
                    if let Some(v) = m.visits.get_mut(&id) {
                        v.classes.retain(|x| x.id != cid);
                        // Its lines stay, for the whole school (ON DELETE SET NULL).
                        for l in v.scenarios.iter_mut().flat_map(|s| s.lines.iter_mut()) {
                            if l.class_id.as_deref() == Some(cid.as_str()) {
                                l.class_id = None;
                            }
                        }
                    }
                }),
            ))
        }
        Op::SaveSituation {
            v,
            s,
            devices,
            wifi,
            internet,
            ent,
        } => {
            let Some(id) = model.visit_id(*v) else {
                return Ok(None);
            };
            let Some(school) = pick(model.visits[&id].school_ids.iter(), *s).cloned() else {
                return Ok(None);
            };
            let input = SchoolSituation {
                school_id: school.clone(),
                mobile_devices: u32::from(*devices),
                mobile_charging: devices % 2 == 0,
                wifi: [Wifi::Aucun, Wifi::Partiel, Wifi::Complet][usize::from(*wifi) % 3],
                wifi_switchable: *wifi == 1,
                internet: [
                    Internet::Aucun,
                    Internet::Adsl,
                    Internet::Vdsl,
                    Internet::Fibre,
                    Internet::Radio4g,
                    Internet::Satellite,
                ][usize::from(*internet) % 6],
                ent: ent.clone(),
            };
            let (r, saved) = done(lap.store().school_situation_save(&id, &input));
            Some((
                ok_if(*devices <= 2_000),
                r,
                Box::new(move |m: &mut Model| {
                    let Some(saved) = saved else { return };
                    assert_eq!(saved, input, "the situation as typed");
                    if let Some(v) = m.visits.get_mut(&id) {
                        v.situations.insert(school, saved);
                    }
                }),
            ))
        }
        Op::AddScenario { v, title } => {
            let Some(id) = model.visit_id(*v) else {
                return Ok(None);
            };
            let full = model.visits[&id].scenarios.len() >= 3;
            let (r, saved) = done(lap.store().scenario_add(&id, title));
            Some((
                ok_if(!full),
                r,
                Box::new(move |m: &mut Model| {
                    let Some(s) = saved else { return };
                    if let Some(v) = m.visits.get_mut(&id) {
                        v.scenarios.push(MScenario {
                            id: s.id,
                            label: s.label,
                            title: s.title,
                            lines: Vec::new(),
                        });
                    }
                }),
            ))
        }
        Op::RenameScenario { v, sc, title } => {
            let Some(id) = model.visit_id(*v) else {
                return Ok(None);
            };
            let Some(sid) = pick(model.visits[&id].scenarios.iter(), *sc).map(|s| s.id.clone())
            else {
                return Ok(None);
            };
            // A blank title is allowed (the label A, B or C is enough).
            let value = title.value(120);
            let (r, _) = done(lap.store().scenario_rename(&id, &sid, &value));
            Some((
                ok_if(!matches!(title, Text::TooLong)),
                r,
                Box::new(move |m: &mut Model| {
                    if let Some(v) = m.visits.get_mut(&id) {
                        if let Some(s) = v.scenarios.iter_mut().find(|s| s.id == sid) {
                            s.title = value.trim().to_string();
                        }
                    }
                }),
            ))
        }
        Op::DeleteScenario { v, sc } => {
            let Some(id) = model.visit_id(*v) else {
                return Ok(None);
            };
            let Some(sid) = pick(model.visits[&id].scenarios.iter(), *sc).map(|s| s.id.clone())
            else {
                return Ok(None);
            };
            let (r, _) = done(lap.store().scenario_delete(&id, &sid));
            Some((
                // A draft proposing this scenario may hold it: either way, checked.
                Expect::Either,
                r,
                Box::new(move |m: &mut Model| {
                    if let Some(v) = m.visits.get_mut(&id) {
                        v.scenarios.retain(|s| s.id != sid);
                    }
                }),
            ))
        }
        Op::SaveLine {
            v,
            sc,
            l,
            s,
            item,
            quantity,
            class,
            objectives,
        } => {
            let Some(id) = model.visit_id(*v) else {
                return Ok(None);
            };
            let visit = &model.visits[&id];
            let Some(scenario) = pick(visit.scenarios.iter(), *sc) else {
                return Ok(None);
            };
            let existing = match l {
                Slot::Existing(i) => pick(scenario.lines.iter(), *i).cloned(),
                Slot::New => None,
            };
            let school = match &existing {
                Some(e) => e.school_id.clone(),
                None => match pick(visit.school_ids.iter(), *s) {
                    Some(s) => s.clone(),
                    None => return Ok(None),
                },
            };
            let classes: Vec<&ClassSituation> = visit
                .classes
                .iter()
                .filter(|c| c.school_id == school)
                .collect();
            let class_id = class.and_then(|c| pick(classes.iter(), c).map(|c| c.id.clone()));
            let school_objectives: Vec<String> = visit
                .pedagogy
                .get(&school)
                .map(|p| p.objectives.iter().map(|o| o.id.clone()).collect())
                .unwrap_or_default();
            let objective_ids: Vec<String> = school_objectives
                .iter()
                .enumerate()
                .filter(|(i, _)| *i < 8 && objectives & (1 << i) != 0)
                .map(|(_, o)| o.clone())
                .collect();
            let reference = existing.as_ref().map_or_else(
                || t.catalogue[usize::from(*item) % t.catalogue.len()].clone(),
                |e| e.reference.clone(),
            );
            let input = LineInput {
                id: existing
                    .as_ref()
                    .map_or_else(preau_core::make_id, |e| e.id.clone()),
                scenario_id: scenario.id.clone(),
                school_id: school.clone(),
                class_id: class_id.clone(),
                reference: reference.clone(),
                quantity: quantity.clone(),
                objective_ids: objective_ids.clone(),
            };
            let parsed: Option<u32> = quantity
                .parse::<u32>()
                .ok()
                .filter(|q| (1..=10_000).contains(q));
            let sid = scenario.id.clone();
            let (r, _) = done(lap.store().line_save(&id, &input));
            Some((
                ok_if(parsed.is_some()),
                r,
                Box::new(move |m: &mut Model| {
                    let line = MLine {
                        id: input.id,
                        school_id: school,
                        class_id,
                        reference,
                        quantity: parsed.unwrap_or_default(),
                        objective_ids,
                    };
                    let Some(v) = m.visits.get_mut(&id) else {
                        return;
                    };
                    let Some(s) = v.scenarios.iter_mut().find(|s| s.id == sid) else {
                        return;
                    };
                    match s.lines.iter_mut().find(|x| x.id == line.id) {
                        Some(x) => *x = line,
                        None => s.lines.push(line),
                    }
                }),
            ))
        }
        Op::DeleteLine { v, sc, l } => {
            let Some(id) = model.visit_id(*v) else {
                return Ok(None);
            };
            let Some(scenario) = pick(model.visits[&id].scenarios.iter(), *sc) else {
                return Ok(None);
            };
            let Some(lid) = pick(scenario.lines.iter(), *l).map(|x| x.id.clone()) else {
                return Ok(None);
            };
            let (r, _) = done(lap.store().line_delete(&id, &lid));
            Some((
                Expect::Accepted,
                r,
                Box::new(move |m: &mut Model| {
                    if let Some(v) = m.visits.get_mut(&id) {
                        for s in &mut v.scenarios {
                            s.lines.retain(|x| x.id != lid);
                        }
                    }
                }),
            ))
        }
        Op::Draft { v } => {
            let Some(id) = model.visit_id(*v) else {
                return Ok(None);
            };
            let (r, p) = done(lap.store().proposal_draft(&id, today()));
            Some((
                Expect::Accepted,
                r,
                Box::new(move |m: &mut Model| {
                    let Some(p) = p else { return };
                    if let Some(v) = m.visits.get_mut(&id) {
                        v.proposals.insert(
                            p.id,
                            MProposal {
                                offered: Vec::new(),
                                accepted_scenario_id: None,
                                deliberated_on: None,
                                status: ProposalStatus::Brouillon,
                                pdf_sha256: None,
                            },
                        );
                    }
                }),
            ))
        }
        Op::Issue { v } => {
            let Some(id) = model.visit_id(*v) else {
                return Ok(None);
            };
            let Some(draft) = model.visits[&id]
                .proposals
                .iter()
                .find(|(_, p)| p.status == ProposalStatus::Brouillon)
                .map(|(k, _)| k.clone())
            else {
                return Ok(None);
            };
            // The PDF itself is preau-pdf's business (tested there): any fixed bytes of
            // the snapshot do here.
            let (r, p) = done(lap.store().proposal_issue(&draft, today(), |s| {
                serde_json::to_vec(s).map_err(|e| e.to_string())
            }));
            Some((
                Expect::Either,
                r,
                Box::new(move |m: &mut Model| {
                    let Some(p) = p else { return };
                    if let Some(v) = m.visits.get_mut(&id) {
                        v.proposals.insert(
                            p.id,
                            MProposal {
                                status: ProposalStatus::Emise,
                                pdf_sha256: p.pdf_sha256,
                                offered: p.offered.into_iter().map(|o| o.id).collect(),
                                accepted_scenario_id: None,
                                deliberated_on: None,
                            },
                        );
                    }
                }),
            ))
        }
        Op::Decide { v, answer } => {
            let Some(id) = model.visit_id(*v) else {
                return Ok(None);
            };
            let proposals = &model.visits[&id].proposals;
            let Some((pid, p)) = proposals
                .iter()
                .find(|(_, p)| p.status == ProposalStatus::Emise)
                .or_else(|| proposals.iter().next())
                .map(|(k, p)| (k.clone(), p.clone()))
            else {
                return Ok(None);
            };
            let open = p.status == ProposalStatus::Emise;
            match answer {
                Answer::Refuse => {
                    let (r, _) = done(lap.store().proposal_refuse(&pid, today()));
                    Some((
                        ok_if(open),
                        r,
                        Box::new(move |m: &mut Model| {
                            if let Some(p) = m
                                .visits
                                .get_mut(&id)
                                .and_then(|v| v.proposals.get_mut(&pid))
                            {
                                p.status = ProposalStatus::Refusee;
                            }
                        }),
                    ))
                }
                Answer::Accept {
                    scenario,
                    foreign,
                    deliberation,
                } => {
                    let named = if *foreign {
                        Some(uuid::Uuid::now_v7().to_string())
                    } else {
                        scenario.and_then(|i| {
                            (!p.offered.is_empty())
                                .then(|| p.offered[usize::from(i) % p.offered.len()].clone())
                        })
                    };
                    // Issued today in this model (its clock does not move): a date before
                    // today precedes the issue, one more than a year ahead is a typo.
                    let deliberated_on = deliberation.and_then(|d| {
                        today().checked_add_signed(chrono::Duration::days(i64::from(d)))
                    });
                    let scenario_ok = match &named {
                        Some(n) => p.offered.contains(n),
                        None => p.offered.len() <= 1,
                    };
                    let date_ok = deliberation.is_none_or(|d| (0..=366).contains(&d));
                    let acceptance = preau_core::proposals::Acceptance {
                        scenario_id: named.clone(),
                        deliberated_on,
                    };
                    let (r, _) = done(lap.store().proposal_accept(&pid, &acceptance, today()));
                    let recorded = named.or_else(|| p.offered.first().cloned());
                    Some((
                        ok_if(open && scenario_ok && date_ok),
                        r,
                        Box::new(move |m: &mut Model| {
                            if let Some(p) = m
                                .visits
                                .get_mut(&id)
                                .and_then(|v| v.proposals.get_mut(&pid))
                            {
                                p.status = ProposalStatus::Acceptee;
                                p.accepted_scenario_id = recorded;
                                p.deliberated_on = deliberated_on;
                            }
                        }),
                    ))
                }
            }
        }
        Op::Settings {
            organisation,
            email_ok,
        } => {
            let mut s = model.settings.clone();
            s.organisation = organisation.value(200);
            s.adviser_email = if *email_ok {
                "conseiller@syndicat-80.fr".into()
            } else {
                "conseiller at syndicat".into()
            };
            let (r, saved) = done(lap.store().document_settings_save(&s));
            Some((
                // Limits of the letterhead are the settings' own (tested there).
                if *email_ok && organisation.valid() {
                    Expect::Accepted
                } else {
                    Expect::Either
                },
                r,
                Box::new(move |m: &mut Model| {
                    if let Some(saved) = saved {
                        m.settings = saved;
                    }
                }),
            ))
        }
        Op::ExportImport { v, corrupt } => {
            let Some(id) = model.visit_id(*v) else {
                return Ok(None);
            };
            let mut doc: VisitExport = match lap.store().visit_export(&id) {
                Ok(d) => d,
                Err(e) => return Err(fail(lap, "export", e)),
            };
            if *corrupt {
                // A file edited by hand: a school moved to another commune, or a commune
                // that does not exist.
                match doc.schools.first_mut() {
                    Some(s) => s.commune_insee = "99999".into(),
                    None => doc.visit.commune_insee = "99999".into(),
                }
            }
            let refused_for_sure = *corrupt;
            let (r, _) = done(lap.store().visit_import(&doc));
            Some((
                if refused_for_sure {
                    Expect::Refused
                } else {
                    // A visit with proposals is not replaced (issued ones are kept).
                    Expect::Either
                },
                r,
                // The same visit, imported again: the model does not change, but for what
                // was kept of schools since unticked (the file holds the visit's schools).
                Box::new(move |m: &mut Model| {
                    if let Some(v) = m.visits.get_mut(&id) {
                        let ticked = v.school_ids.clone();
                        v.pedagogy.retain(|s, _| ticked.contains(s));
                        v.situations.retain(|s, _| ticked.contains(s));
                        v.classes.retain(|c| ticked.contains(&c.school_id));
                    }
                }),
            ))
        }
        Op::ImportSchools { bad } => {
            let name = if *bad {
                "crates/preau-reference/tests/fixtures/annuaire-education-erreurs.csv"
            } else {
                "crates/preau-reference/tests/fixtures/annuaire-education-2024-somme.csv"
            };
            let csv = std::fs::read_to_string(repo_file(name)).expect("fixture");
            let (r, _) = done(lap.store().schools_import(&csv));
            // Schools new to this laptop get ids of their own: found back by UAI.
            let after: Vec<School> = if r.is_ok() {
                Model::read(lap.store.as_ref().expect("store open"))
                    .map_err(|e| fail(lap, "read", e))?
                    .schools
                    .into_values()
                    .collect()
            } else {
                Vec::new()
            };
            let directory = t.directory.clone();
            Some((
                ok_if(!*bad),
                r,
                Box::new(move |m: &mut Model| {
                    for d in directory {
                        let known = m.schools.values_mut().find(|s| s.uai == d.uai);
                        match known {
                            Some(s) => {
                                s.name = d.name;
                                s.kind = d.kind;
                                s.public = d.public;
                                s.commune_insee = d.commune_insee;
                                if d.pupils.is_some() {
                                    s.pupils = d.pupils;
                                }
                            }
                            None => {
                                if let Some(new) = after.iter().find(|s| s.uai == d.uai) {
                                    m.schools.insert(new.id.clone(), new.clone());
                                }
                            }
                        }
                    }
                }),
            ))
        }
        Op::Reopen | Op::Sync | Op::Other(_) => None,
    })
}

// ---------------------------------------------------------------------------------------
// Running a sequence.

fn run_local(ops: &[Op]) -> Result<(), TestCaseError> {
    let _readers = Readers;
    let mut a = Lap::new("A", &templates().with_schools);
    a.check("start")?;
    for op in ops {
        match op {
            Op::Reopen => {
                a.reopen();
                a.check("reopen")?;
            }
            Op::Sync | Op::Other(_) => {}
            op => {
                run(&mut a, op)?;
            }
        }
    }
    doctor(&a)?;
    a.reopen();
    a.check("final reopen")
}

/// `preau-cli doctor`'s checks, through the same library function.
fn doctor(lap: &Lap) -> Result<(), TestCaseError> {
    let report = preau_core::doctor::check(&lap.path)
        .map_err(|e| fail(lap, "doctor", format!("doctor could not run: {e}")))?;
    if !report.problems.is_empty() {
        return Err(fail(lap, "doctor", format!("{:?}", report.problems)));
    }
    Ok(())
}

struct Synced {
    server: TestServer,
    a: Lap,
    b: Lap,
    /// The server's database file, read by the ownership invariant.
    server_db: PathBuf,
    _dir: tempfile::TempDir,
}

fn run_synced(ops: &[Op]) -> Result<(), TestCaseError> {
    run_synced_as(ops, "Anne")
}

/// A (Anne's laptop) and B (enrolled for `b_adviser`) run the sequence. With another
/// adviser, B's changes to Anne's records are refused, kept aside on B, and B goes back
/// to the server's state.
fn run_synced_as(ops: &[Op], b_adviser: &str) -> Result<(), TestCaseError> {
    let _readers = Readers;
    let dir = tempfile::tempdir().expect("server dir");
    let server_db = dir.path().join("server.db");
    let server = TestServer::start(&format!("sqlite://{}", server_db.display()));
    let mut a = Lap::new("A", &templates().with_schools);
    let mut b = Lap::new("B", &templates().bare);
    a.enroll(&server, "Anne");
    b.enroll(&server, b_adviser);
    let mut w = Synced {
        server,
        a,
        b,
        server_db,
        _dir: dir,
    };
    for op in ops {
        match op {
            Op::Reopen => {
                w.a.reopen();
                w.a.check("reopen")?;
            }
            Op::Sync => sync_round(&mut w)?,
            // Known divergences, left out until the sync has a merge rule for them (see
            // `regression_same_scenario_label_on_two_laptops`): both adding scenario « A »
            // to one visit offline make two records for one (visit, label); both issuing
            // the next revision of one proposal make two for one (number, revision). Each
            // stays staged « en attente » on the other laptop. (Both importing the
            // directory, or typing one UAI, is merged: `sync/same_uai.rs`.)
            Op::Other(op) if matches!(**op, Op::AddScenario { .. } | Op::Issue { .. }) => {}
            Op::Other(op) => {
                run(&mut w.b, op)?;
            }
            op => {
                run(&mut w.a, op)?;
            }
        }
    }
    sync_round(&mut w)?;
    doctor(&w.a)?;
    doctor(&w.b)
}

/// A syncs, B syncs, A syncs again; then a laptop new to the server pulls everything.
/// All three hold the same records, and an edit made on one side only survived.
fn sync_round(w: &mut Synced) -> Result<(), TestCaseError> {
    let a_before = synced_records(&w.a.path);
    let b_before = synced_records(&w.b.path);
    let a_changed = differences(&w.a.synced, &a_before);
    let b_changed = differences(&w.b.synced, &b_before);
    w.a.sync()?;
    w.b.sync()?;
    let last = w.a.sync()?;
    // What A's last pull made it change (a school merged with B's duplicate) was pushed
    // after the pull: B gets it at its next sync.
    if last.pushed > 0 {
        w.b.sync()?;
    }
    for lap in [&w.a, &w.b] {
        let log = change_log(&lap.path);
        if !log.is_empty() || outgoing_count(&lap.path) != 0 {
            return Err(fail(
                lap,
                "sync",
                format!("changes left unsent after a sync: {log:?}"),
            ));
        }
    }
    let mut c = Lap::new("C", &templates().bare);
    c.enroll(&w.server, "Anne");
    c.sync()?;
    let after_a = synced_records(&w.a.path);
    let after_b = synced_records(&w.b.path);
    let after_c = synced_records(&c.path);
    for (name, other) in [("B", &after_b), ("C", &after_c)] {
        if &after_a != other {
            let d = differences(&after_a, other);
            return Err(TestCaseError::fail(format!(
                "after a sync, A and {name} differ on {d:?}"
            )));
        }
    }
    // Nothing lost: a value changed on one laptop only is the value everyone has now,
    // unless the other laptop deleted the record it sits in (a delete wins).
    let value = |r: &Records, (t, id, f): &(String, String, String)| -> Option<Sql> {
        let rec = r.get(&(t.clone(), id.clone()))?;
        if f.is_empty() {
            Some(Sql::Integer(1))
        } else {
            rec.get(f).cloned()
        }
    };
    let deleted_by = |changed: &BTreeSet<(String, String, String)>, before: &Records| {
        changed
            .iter()
            .any(|(t, id, f)| f.is_empty() && !before.contains_key(&(t.clone(), id.clone())))
    };
    // A value the server set aside as a same-field conflict is not lost: both laptops
    // show it next to the other one until the adviser chooses (`sync_conflicts`).
    let conflicts: BTreeSet<(String, String, String, String)> = {
        let conn = reader(&w.a.path);
        let mut stmt = conn
            .prepare_cached("SELECT tbl, record_id, field, value FROM sync_conflicts")
            .expect("prepare");
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .expect("query");
        rows.map(|r| r.expect("row")).collect()
    };
    let as_json = |v: &Option<Sql>| -> String {
        match v {
            None | Some(Sql::Null) => "null".into(),
            Some(Sql::Integer(i)) => i.to_string(),
            Some(Sql::Real(f)) => serde_json::Value::from(*f).to_string(),
            Some(Sql::Text(t)) => serde_json::Value::from(t.as_str()).to_string(),
            Some(Sql::Blob(b)) => serde_json::Value::from(hex::encode(b)).to_string(),
        }
    };
    // Two schools typed with one UAI became one (`sync/same_uai.rs`): the duplicate's
    // record went, and what hung from it now names the kept school, with what was typed.
    let merged: BTreeMap<String, String> = {
        let uai_of = |r: &Records, id: &str| -> Option<Sql> {
            r.get(&("schools".to_string(), id.to_string()))
                .and_then(|rec| rec.get("uai").cloned())
                .filter(|u| *u != Sql::Null)
        };
        let mut m = BTreeMap::new();
        for before in [&a_before, &b_before] {
            for (t, id) in before.keys() {
                let Some(uai) = uai_of(before, id).filter(|_| t == "schools") else {
                    continue;
                };
                if uai_of(&after_a, id).as_ref() == Some(&uai) {
                    continue;
                }
                let kept = after_a.keys().find(|(t2, k)| {
                    t2 == "schools" && k != id && uai_of(&after_a, k).as_ref() == Some(&uai)
                });
                if let Some((_, k)) = kept {
                    m.insert(id.clone(), k.clone());
                }
            }
        }
        m
    };
    MERGED_SEEN.fetch_add(merged.len(), Ordering::Relaxed);
    let moved = |(t, id, f): &(String, String, String), mine: &Option<Sql>| -> bool {
        merged.iter().any(|(dup, kept)| {
            (t == "schools" && id == dup)
                || (id.contains(dup.as_str())
                    && value(
                        &after_a,
                        &(t.clone(), id.replace(dup.as_str(), kept), f.clone()),
                    ) == *mine)
                || (f == "school_id"
                    && *mine == Some(Sql::Text(dup.clone()))
                    && value(&after_a, &(t.clone(), id.clone(), f.clone()))
                        == Some(Sql::Text(kept.clone())))
        })
    };
    let a_deleted = deleted_by(&a_changed, &a_before);
    let b_deleted = deleted_by(&b_changed, &b_before);
    let (a_refused, b_refused) = (refused_records(&w.a.path), refused_records(&w.b.path));
    REFUSED_SEEN.fetch_add(a_refused.len() + b_refused.len(), Ordering::Relaxed);
    for (mine, theirs, before, they_deleted, who, refused) in [
        (
            &a_changed, &b_changed, &a_before, b_deleted, "A", &a_refused,
        ),
        (
            &b_changed, &a_changed, &b_before, a_deleted, "B", &b_refused,
        ),
    ] {
        for key in mine.difference(theirs) {
            // Refused by the server (a record of another adviser): kept aside on the
            // laptop that typed it (`sync_refused`), not lost, and not applied.
            if refused.contains(&(key.0.clone(), key.1.clone())) {
                continue;
            }
            let now = value(&after_a, key);
            let mine = value(before, key);
            let set_aside =
                conflicts.contains(&(key.0.clone(), key.1.clone(), key.2.clone(), as_json(&mine)));
            // A reference to a record the other laptop deleted is emptied, as the delete
            // empties it on each laptop (ON DELETE SET NULL: a class deleted, a line of it
            // pointed at it on the other laptop meanwhile): a delete wins there too.
            let target_deleted = match &mine {
                Some(Sql::Text(target)) => theirs.iter().any(|(t, id, f)| {
                    f.is_empty() && id == target && !after_a.contains_key(&(t.clone(), id.clone()))
                }),
                _ => false,
            };
            let kept = now == mine
                || (they_deleted && now.is_none())
                || (target_deleted && now == Some(Sql::Null))
                || set_aside
                || moved(key, &mine);
            if !kept {
                return Err(TestCaseError::fail(format!(
                    "{who}'s edit of {key:?} was lost in the sync: {:?} became {now:?} (refused: {refused:?})",
                    value(before, key)
                )));
            }
        }
    }
    owners_only(&w.server_db)?;
    for lap in [&mut w.a, &mut w.b] {
        lap.model = Model::read(lap.store.as_ref().expect("store"))
            .map_err(|e| TestCaseError::fail(format!("read after sync: {e}")))?;
        lap.synced = after_a.clone();
        lap.ever.clear();
        lap.check("sync")?;
    }
    Ok(())
}

/// Refused records seen by all sync rounds: the ownership property must meet some.
static REFUSED_SEEN: AtomicUsize = AtomicUsize::new(0);

/// Schools merged by UAI seen by all sync rounds: the convergence property must meet some.
static MERGED_SEEN: AtomicUsize = AtomicUsize::new(0);

/// The records whose changes the server refused to this laptop.
fn refused_records(path: &Path) -> BTreeSet<(String, String)> {
    let conn = reader(path);
    let mut stmt = conn
        .prepare_cached("SELECT tbl, record_id FROM sync_refused")
        .expect("prepare");
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query");
    rows.map(|r| r.expect("row")).collect()
}

/// A device only changes what its adviser owns: on the server, every field of a record
/// with an owner was last written by a device of that owner (or by the server itself).
fn owners_only(server_db: &Path) -> Result<(), TestCaseError> {
    let conn = rusqlite::Connection::open_with_flags(
        server_db,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("server db");
    let advisers: std::collections::HashMap<String, String> = conn
        .prepare("SELECT id, adviser FROM devices")
        .expect("prepare")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query")
        .map(|r| r.expect("row"))
        .collect();
    let mut stmt = conn
        .prepare("SELECT tbl, record_id, owner, meta FROM records WHERE owner IS NOT NULL")
        .expect("prepare");
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })
        .expect("query");
    for row in rows {
        let (tbl, id, owner, meta) = row.expect("row");
        let meta: preau_server::merge::StoredMeta =
            serde_json::from_str(&meta).expect("stored meta");
        for m in meta.fields.values().chain(meta.deleted_by.iter()) {
            if m.device == preau_server::merge::SERVER_DEVICE
                || m.device == preau_server::merge::ERASURE_DEVICE
            {
                continue;
            }
            let by = advisers.get(&m.device.to_string()).map(String::as_str);
            if by != Some(owner.as_str()) {
                return Err(TestCaseError::fail(format!(
                    "{tbl} {id} of {owner} was changed by a device of {by:?}"
                )));
            }
        }
    }
    Ok(())
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        max_shrink_iters: 2_000,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/it/proptest-regressions/store_model.txt"
        )))),
        ..Config::default()
    })
}

/// Cases from `PREAU_PROPTEST_CASES`, else `default` (CI runs the default).
fn cases(default: u32) -> u32 {
    std::env::var("PREAU_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn the_store_follows_its_model() {
    let mut runner = runner(cases(2_000));
    let result = runner.run(&local_sequence(), |ops| run_local(&ops));
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn laptops_and_server_converge() {
    let strategy = (
        edit(),
        2usize..4,
        prop::collection::vec(synced_op(), 1..30),
        prop::bool::weighted(0.5),
    )
        .prop_map(|(repeated, times, rest, same_school)| {
            let mut ops = vec![Op::CreateVisit {
                commune: 0,
                hour: 18,
                bad: false,
            }];
            ops.extend(std::iter::repeat_n(repeated, times));
            ops.push(Op::Sync);
            if same_school {
                // Both advisers type the same school (one UAI) in the visit's commune.
                let typed = |name: &str| Op::SaveSchool {
                    commune: 0,
                    s: Slot::New,
                    name: Text::Good(name.into()),
                    pupils: None,
                    uai: Some(0),
                };
                ops.push(typed("École du Moulin"));
                ops.push(Op::Other(Box::new(typed("Ecole primaire du Moulin"))));
            }
            ops.extend(rest);
            ops
        });
    let mut runner = runner((cases(2_000) / 10).max(1));
    let result = runner.run(&strategy, |ops| run_synced(&ops));
    if let Err(e) = result {
        panic!("{e}");
    }
    assert!(
        MERGED_SEEN.load(Ordering::Relaxed) > 0 || cases(2_000) < 500,
        "no sequence typed one UAI on both laptops"
    );
}

/// Issue 12: a colleague's laptop runs the same random writes on the visits it pulled
/// (and on its own): the server takes from each device only what its adviser owns, the
/// laptops still converge, and nothing either adviser typed is lost (a refused change is
/// kept aside on the laptop that made it).
#[test]
fn a_device_changes_only_what_its_adviser_owns() {
    let strategy = (edit(), prop::collection::vec(synced_op(), 1..30)).prop_map(|(first, rest)| {
        let mut ops = vec![Op::CreateVisit {
            commune: 0,
            hour: 18,
            bad: false,
        }];
        ops.push(first);
        ops.push(Op::Sync);
        ops.extend(rest);
        ops
    });
    let mut runner = runner((cases(2_000) / 10).max(1));
    let result = runner.run(&strategy, |ops| run_synced_as(&ops, "Paul"));
    if let Err(e) = result {
        panic!("{e}");
    }
    assert!(
        REFUSED_SEEN.load(Ordering::Relaxed) > 0,
        "no sequence tried to change a colleague's record"
    );
}

// ---------------------------------------------------------------------------------------
// Shrunk failures, kept by name.

/// Issue 9 as the generator first found it: one participant's name saved twice.
#[test]
fn regression_participant_name_saved_twice() {
    let name = |s: &str| Op::SaveParticipant {
        v: 0,
        p: Slot::Existing(0),
        name: Text::Good(s.into()),
        role: 0,
        email: None,
    };
    let ops = [
        Op::CreateVisit {
            commune: 0,
            hour: 18,
            bad: false,
        },
        Op::SaveParticipant {
            v: 0,
            p: Slot::New,
            name: Text::Good("Marie".into()),
            role: 0,
            email: None,
        },
        name("Marie Dupont"),
        name("Marie Dupont-Lefèvre"),
    ];
    if let Err(e) = run_local(&ops) {
        panic!("{e}");
    }
}

/// A line's quantity typed 5 then 7, with the project's ticks on, off and on again.
#[test]
fn regression_quantity_retyped_and_ticks_toggled() {
    let mut ops = vec![
        Op::CreateVisit {
            commune: 0,
            hour: 18,
            bad: false,
        },
        Op::TickSchool { v: 0, s: 0 },
        Op::AddScenario {
            v: 0,
            title: String::new(),
        },
    ];
    for q in ["5", "7", "7", "12"] {
        ops.push(Op::SaveLine {
            v: 0,
            sc: 0,
            l: if q == "5" {
                Slot::New
            } else {
                Slot::Existing(0)
            },
            s: 0,
            item: 0,
            quantity: q.into(),
            class: None,
            objectives: 0,
        });
    }
    for cycles in [1u8, 0, 1, 3] {
        ops.push(Op::SavePedagogy {
            v: 0,
            s: 0,
            cycles,
            uses: cycles,
            objectives: vec![Some(Text::Good("Lire".into()))],
            training: String::new(),
            bad_cycle: false,
        });
    }
    ops.push(Op::Reopen);
    if let Err(e) = run_local(&ops) {
        panic!("{e}");
    }
}

/// Found when a re-import started editing the visit in place (issue 11): a situation kept
/// for a school since unticked is not in the file, so the import drops it.
#[test]
fn regression_reimport_drops_the_situation_of_an_unticked_school() {
    let ops = [
        Op::CreateVisit {
            commune: 0,
            hour: 18,
            bad: false,
        },
        Op::TickSchool { v: 0, s: 0 },
        Op::SaveSituation {
            v: 0,
            s: 0,
            devices: 0,
            wifi: 0,
            internet: 0,
            ent: None,
        },
        Op::UntickSchool { v: 0, s: 0 },
        Op::ExportImport {
            v: 0,
            corrupt: false,
        },
    ];
    if let Err(e) = run_local(&ops) {
        panic!("{e}");
    }
}

/// Found by `laptops_and_server_converge` (CI, 7 December 2026): A adds the first line for
/// a school while B, offline too, unticks that school (B sees no line for it). After the
/// sync the line is there and its school is not ticked; A's next edit of the line's
/// quantity was refused (« Cette école n'est pas cochée… »). A line stays editable for the
/// school it already stands for.
#[test]
fn regression_line_of_a_school_unticked_on_the_other_laptop() {
    let line = || Op::SaveLine {
        v: 0,
        sc: 0,
        l: Slot::Existing(0),
        s: 0,
        item: 0,
        quantity: "1".into(),
        class: None,
        objectives: 0,
    };
    let ops = [
        Op::CreateVisit {
            commune: 0,
            hour: 18,
            bad: false,
        },
        Op::TickSchool { v: 0, s: 0 },
        Op::TickSchool { v: 0, s: 0 },
        Op::Sync,
        Op::AddScenario {
            v: 0,
            title: String::new(),
        },
        line(),
        Op::Other(Box::new(Op::UntickSchool { v: 0, s: 0 })),
        Op::Sync,
        line(),
    ];
    if let Err(e) = run_synced(&ops) {
        panic!("{e}");
    }
}

/// Found by `laptops_and_server_converge` with 500 cases: B points a line at a class
/// while A deletes that class. After the sync the line's class is empty on every laptop
/// (the class is gone): the reference follows the delete, as on the laptop that deleted.
#[test]
fn regression_line_pointed_at_a_class_the_other_laptop_deleted() {
    let line = |class| Op::SaveLine {
        v: 0,
        sc: 0,
        l: Slot::Existing(0),
        s: 0,
        item: 0,
        quantity: "1".into(),
        class,
        objectives: 0,
    };
    let ops = [
        Op::CreateVisit {
            commune: 0,
            hour: 18,
            bad: false,
        },
        Op::AddScenario {
            v: 0,
            title: String::new(),
        },
        Op::AddScenario {
            v: 0,
            title: String::new(),
        },
        Op::Sync,
        Op::Other(Box::new(Op::TickSchool { v: 0, s: 0 })),
        Op::DeleteScenario { v: 0, sc: 0 },
        Op::Sync,
        line(None),
        Op::Other(Box::new(Op::SaveClass {
            v: 0,
            s: 0,
            c: Slot::Existing(0),
            name: Text::Good("Marie Dupont".into()),
            pupils: 0,
            display: 0,
            computer: false,
        })),
        line(None),
        Op::Sync,
        Op::DeleteClass { v: 0, c: 0 },
        Op::Other(Box::new(line(Some(0)))),
    ];
    if let Err(e) = run_synced(&ops) {
        panic!("{e}");
    }
}

/// Found by `laptops_and_server_converge`: two laptops each add scenario « A » to the same
/// visit before syncing. The server keeps both records; each laptop refuses the other's
/// (UNIQUE (visit_id, label)) and keeps it staged, so the laptops never converge. Needs a
/// merge rule in the sync engine (issue 11); run with `--ignored` to see it.
#[test]
#[ignore = "known divergence: same scenario label added on two laptops (issue 11)"]
fn regression_same_scenario_label_on_two_laptops() {
    let ops = [
        Op::CreateVisit {
            commune: 0,
            hour: 18,
            bad: false,
        },
        Op::Sync,
        Op::Other(Box::new(Op::AddScenario {
            v: 0,
            title: String::new(),
        })),
        Op::AddScenario {
            v: 0,
            title: String::new(),
        },
        Op::Sync,
    ];
    // Bypass the generator's exclusion: B adds its scenario directly.
    let _readers = Readers;
    let dir = tempfile::tempdir().expect("server dir");
    let server_db = dir.path().join("server.db");
    let server = TestServer::start(&format!("sqlite://{}", server_db.display()));
    let mut a = Lap::new("A", &templates().with_schools);
    let mut b = Lap::new("B", &templates().bare);
    a.enroll(&server, "Anne");
    b.enroll(&server, "Anne");
    let mut w = Synced {
        server,
        a,
        b,
        server_db,
        _dir: dir,
    };
    let result = (|| {
        for op in &ops {
            match op {
                Op::Sync => sync_round(&mut w)?,
                Op::Other(op) => {
                    run(&mut w.b, op)?;
                }
                op => {
                    run(&mut w.a, op)?;
                }
            }
        }
        Ok::<(), TestCaseError>(())
    })();
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// Found by `laptops_and_server_converge` once both laptops typed one UAI: B ticks its own
/// duplicate in A's visit; B's pull merges it into A's school (the tick moves), and the
/// moved tick, pushed after the pull, was never pulled back: B's doctor found a record
/// neither acknowledged nor logged. The sync now pulls again after that push.
#[test]
fn regression_same_uai_ticked_on_the_other_laptop() {
    let typed = |name: &str| Op::SaveSchool {
        commune: 0,
        s: Slot::New,
        name: Text::Good(name.into()),
        pupils: None,
        uai: Some(0),
    };
    let ops = [
        Op::CreateVisit {
            commune: 0,
            hour: 18,
            bad: false,
        },
        Op::Sync,
        typed("École du Moulin"),
        Op::Other(Box::new(typed("Ecole primaire du Moulin"))),
        Op::Other(Box::new(Op::TickSchool { v: 0, s: 36 })),
    ];
    if let Err(e) = run_synced(&ops) {
        panic!("{e}");
    }
}
