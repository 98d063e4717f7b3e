//! The synced records read into what the back-office shows, at read time (2,000 visits
//! are small): nothing here writes, and nothing is kept between requests.
//!
//! An issued proposal's amounts are those the laptop computed and froze in its
//! `snapshot` (the plan of each proposed scenario, `preau-core`'s `plan.rs`): the server
//! recomputes nothing. The amounts counted for a proposal are those of its retained
//! scenario, [`Proposal::retained_scenario`]: the one the mayor accepted when the laptop
//! recorded it (issue 13, `accepted_scenario_id`), else the only or the first one.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::Result;
use crate::storage::{Storage, StoredChange, StoredRecord};

/// HT, TTC, grants and what is left for the commune to pay (TTC − grants − FCTVA), in
/// cents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Amounts {
    pub ht: i64,
    pub ttc: i64,
    pub aid: i64,
    pub remaining: i64,
}

impl std::ops::AddAssign for Amounts {
    fn add_assign(&mut self, o: Amounts) {
        self.ht += o.ht;
        self.ttc += o.ttc;
        self.aid += o.aid;
        self.remaining += o.remaining;
    }
}

/// Where an issued proposal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// Issued, still valid, no answer yet.
    Pending,
    Accepted,
    Refused,
    /// Issued, its validity passed without an answer.
    Expired,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Pending,
        Status::Accepted,
        Status::Refused,
        Status::Expired,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Status::Pending => "Émise, en attente",
            Status::Accepted => "Acceptée",
            Status::Refused => "Refusée",
            Status::Expired => "Expirée sans réponse",
        }
    }

    /// The key in URLs and CSS classes.
    pub fn key(self) -> &'static str {
        match self {
            Status::Pending => "attente",
            Status::Accepted => "acceptee",
            Status::Refused => "refusee",
            Status::Expired => "expiree",
        }
    }

    pub fn from_key(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.key() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    /// The visit's scenario it was drawn from; empty when neither the snapshot (issued
    /// before it named them) nor the proposal's `scenario_ids` say it.
    pub id: String,
    pub label: String,
    pub title: String,
    pub amounts: Amounts,
    /// Its lines as issued, every school together.
    pub lines: Vec<Line>,
}

/// An equipment line as the issued proposal froze it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Line {
    pub reference: String,
    pub designation: String,
    pub quantity: i64,
    pub unit_price_ht_cents: i64,
    pub total_ht_cents: i64,
}

/// An issued proposal (the latest issued revision of its number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    pub id: String,
    pub visit_id: String,
    pub number: String,
    pub revision: i64,
    pub status: Status,
    pub issued_on: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
    pub decided_on: Option<NaiveDate>,
    /// The scenario the mayor accepted, as the laptop recorded it (issue 13).
    pub accepted_scenario_id: Option<String>,
    /// The council's deliberation date, when the adviser recorded one.
    pub deliberated_on: Option<NaiveDate>,
    pub adviser: String,
    pub commune: String,
    pub insee: String,
    pub epci: Option<String>,
    pub scenarios: Vec<Scenario>,
    pub pdf_sha256: Option<String>,
    /// The catalogue version its lines were priced with.
    pub catalogue_version: String,
    /// The lot of each catalogue reference priced under a group-purchase market
    /// ("Lot 2 — Vidéoprojection").
    pub lots: HashMap<String, String>,
}

impl Proposal {
    /// "2026-K7Q3M-0001 rév. 2".
    pub fn reference(&self) -> String {
        format!("{} rév. {}", self.number, self.revision)
    }

    /// The scenario counted for it, the one place that chooses: the accepted one when the
    /// laptop recorded it, else the only or the first one (a pending proposal's « probable »
    /// demand; an acceptance recorded before the scenario was).
    pub fn retained_scenario(&self) -> Option<&Scenario> {
        self.accepted_scenario().or_else(|| self.scenarios.first())
    }

    /// The scenario the mayor accepted, when recorded and found in the snapshot.
    pub fn accepted_scenario(&self) -> Option<&Scenario> {
        let id = self.accepted_scenario_id.as_deref()?;
        self.scenarios
            .iter()
            .find(|s| !s.id.is_empty() && s.id == id)
    }

    /// The amounts counted for it (see the module's documentation).
    pub fn amounts(&self) -> Amounts {
        self.retained_scenario()
            .map(|s| s.amounts)
            .unwrap_or_default()
    }
}

/// What the snapshot holds that the back-office reads (the rest is ignored).
#[derive(Deserialize)]
struct Snapshot {
    commune: SnapCommune,
    #[serde(default)]
    scenarios: Vec<SnapScenario>,
    catalogue: SnapCatalogue,
}

#[derive(Deserialize)]
struct SnapCatalogue {
    version: String,
    #[serde(default)]
    markets: Vec<SnapMarket>,
}

#[derive(Deserialize)]
struct SnapMarket {
    #[serde(default)]
    lots: Vec<SnapLot>,
}

#[derive(Deserialize)]
struct SnapLot {
    lot: String,
    label: Option<String>,
    #[serde(default)]
    references: Vec<String>,
}

#[derive(Deserialize)]
struct SnapSchool {
    #[serde(default)]
    lines: Vec<Line>,
}

#[derive(Deserialize)]
struct SnapCommune {
    name: String,
    insee: String,
    epci: Option<String>,
}

#[derive(Deserialize)]
struct SnapScenario {
    #[serde(default)]
    id: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    schools: Vec<SnapSchool>,
    plan: SnapPlan,
}

#[derive(Deserialize)]
struct SnapPlan {
    total_ht_cents: i64,
    total_ttc_cents: i64,
    total_aid_cents: i64,
    remaining_ttc_cents: i64,
}

fn text<'a>(fields: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    fields.get(name).and_then(Value::as_str)
}

/// A date field ("2026-11-29", or an RFC 3339 instant: its day).
pub fn day(fields: &Map<String, Value>, name: &str) -> Option<NaiveDate> {
    let t = text(fields, name)?;
    NaiveDate::parse_from_str(t.get(..10)?, "%Y-%m-%d").ok()
}

/// The issued proposals as last read, and what they were read at: reading them again
/// means reading every PDF's bytes out of the database (SQLite parses a record's whole
/// JSON to leave its `pdf` out; PostgreSQL detoasts it), a few hundred megabytes for the
/// issue's 1,500 proposals, while an issued proposal only changes by a push.
#[derive(Default)]
pub struct Cache {
    proposal_rows: RecordCache<Row>,
    proposals: std::sync::Mutex<Option<CachedProposals>>,
    /// Each catalogue reference's category, keyed on the equipment lines' version.
    categories: std::sync::Mutex<Option<(TableVersion, Categories)>>,
}

/// `Storage::table_version`: a table's record count and latest revision.
type TableVersion = (i64, i64);
/// Each catalogue reference's category.
pub type Categories = std::sync::Arc<HashMap<String, String>>;

/// Each catalogue reference's category, from the synced equipment lines (10,000 of them
/// are read again only when one changed).
pub async fn categories(storage: &dyn Storage, cache: &Cache) -> Result<Categories> {
    let key = storage.table_version("equipment_lines").await?;
    if let Some(hit) = cache
        .categories
        .lock()
        .ok()
        .and_then(|c| c.as_ref().filter(|c| c.0 == key).map(|c| c.1.clone()))
    {
        return Ok(hit);
    }
    let fresh: HashMap<String, String> = storage
        .live_records("equipment_lines")
        .await?
        .iter()
        .map(|l| {
            (
                field(l, "reference").to_string(),
                field(l, "category").to_string(),
            )
        })
        .filter(|(r, c)| !r.is_empty() && !c.is_empty())
        .collect();
    let fresh = std::sync::Arc::new(fresh);
    if let Ok(mut c) = cache.categories.lock() {
        *c = Some((key, fresh.clone()));
    }
    Ok(fresh)
}

struct CachedProposals {
    /// `Storage::table_version("proposals")` and the day statuses were computed for.
    key: (TableVersion, NaiveDate),
    proposals: std::sync::Arc<Vec<Proposal>>,
}

/// Per-record values of one synced table, kept between requests and brought up to date
/// by reading only the records written since (`Storage::records_since`, tombstones too):
/// after a push, what it wrote, not every proposal's snapshot again. All are read again
/// on a new day (a value may depend on it) or when the count says a record went without
/// a revision (a purge).
pub struct RecordCache<T> {
    slot: std::sync::Mutex<Option<Cached<T>>>,
}

impl<T> Default for RecordCache<T> {
    fn default() -> Self {
        RecordCache {
            slot: std::sync::Mutex::new(None),
        }
    }
}

struct Cached<T> {
    key: (TableVersion, NaiveDate),
    /// Every record read, tombstones too (their count is the table's).
    rows: std::sync::Arc<HashMap<String, T>>,
}

/// Each record of `table` read by `read` (as of `today`), tombstones included.
pub async fn records_read<T: Clone>(
    storage: &dyn Storage,
    table: &str,
    cache: &RecordCache<T>,
    today: NaiveDate,
    read: impl Fn(&StoredChange, NaiveDate) -> T,
) -> Result<std::sync::Arc<HashMap<String, T>>> {
    let version = storage.table_version(table).await?;
    let key = (version, today);
    let (since, mut rows) = match cache
        .slot
        .lock()
        .ok()
        .as_deref_mut()
        .and_then(Option::as_mut)
    {
        Some(c) if c.key == key => return Ok(c.rows.clone()),
        // Taken, not copied: a request that fails from here leaves nothing, and the next
        // one reads them all.
        Some(c) if c.key.1 == today && c.key.0 .1 <= version.1 => {
            (c.key.0 .1, std::mem::take(&mut c.rows))
        }
        _ => (0, std::sync::Arc::default()),
    };
    let fresh = storage.records_since(table, since).await?;
    let map = std::sync::Arc::make_mut(&mut rows);
    for c in &fresh {
        map.insert(c.record.record_id.clone(), read(c, today));
    }
    if i64::try_from(map.len()).ok() != Some(version.0) {
        // A record went without a new revision (purged): read them all.
        *map = storage
            .records_since(table, 0)
            .await?
            .iter()
            .map(|c| (c.record.record_id.clone(), read(c, today)))
            .collect();
    }
    if let Ok(mut c) = cache.slot.lock() {
        *c = Some(Cached {
            key,
            rows: rows.clone(),
        });
    }
    Ok(rows)
}

/// A proposal record as read: what it counts for when live and issued.
#[derive(Clone)]
pub struct Row {
    /// Issued (not a draft, numbered) and readable.
    issued: Option<Proposal>,
    /// The issued revision it replaces.
    replaces: Option<String>,
}

impl Row {
    fn read(change: &StoredChange, today: NaiveDate) -> Row {
        let r = &change.record;
        let issued = !change.deleted
            && text(&r.fields, "status").is_some_and(|s| s != "brouillon")
            && text(&r.fields, "number").is_some();
        Row {
            issued: if issued { proposal(r, today) } else { None },
            replaces: text(&r.fields, "replaces_id")
                .filter(|_| issued)
                .map(str::to_string),
        }
    }
}

/// The issued proposals, latest revision of each number, as of `today`; each counted for
/// its visit's adviser as the server has it now (a hand-over moves the visit's proposals
/// without changing their revision). Read through a [`RecordCache`].
pub async fn proposals(
    storage: &dyn Storage,
    cache: &Cache,
    today: NaiveDate,
) -> Result<Vec<Proposal>> {
    let version = storage.table_version("proposals").await?;
    let key = (version, today);
    let cached = cache.proposals.lock().ok().and_then(|c| {
        c.as_ref()
            .filter(|c| c.key == key)
            .map(|c| c.proposals.clone())
    });
    let proposals = match cached {
        Some(p) => p,
        None => {
            let rows =
                records_read(storage, "proposals", &cache.proposal_rows, today, Row::read).await?;
            let fresh = std::sync::Arc::new(issued(&rows));
            if let Ok(mut c) = cache.proposals.lock() {
                *c = Some(CachedProposals {
                    key,
                    proposals: fresh.clone(),
                });
            }
            fresh
        }
    };
    let owners: HashMap<String, String> = storage
        .live_records("visits")
        .await?
        .into_iter()
        .filter_map(|v| Some((v.record_id, v.owner?)))
        .collect();
    Ok(proposals
        .iter()
        .map(|p| {
            let mut p = p.clone();
            if let Some(owner) = owners.get(&p.visit_id) {
                p.adviser.clone_from(owner);
            }
            p
        })
        .collect())
}

/// The issued proposals of `rows`, by id; a revision replaced by a later issued one is
/// not counted twice.
fn issued(rows: &HashMap<String, Row>) -> Vec<Proposal> {
    let replaced: std::collections::HashSet<&str> = rows
        .values()
        .filter_map(|r| r.replaces.as_deref())
        .collect();
    let mut out: Vec<Proposal> = rows
        .iter()
        .filter(|(id, _)| !replaced.contains(id.as_str()))
        .filter_map(|(_, r)| r.issued.clone())
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

fn proposal(r: &StoredRecord, today: NaiveDate) -> Option<Proposal> {
    let f = &r.fields;
    let snapshot: Snapshot = match text(f, "snapshot").map(serde_json::from_str) {
        Some(Ok(s)) => s,
        _ => {
            tracing::warn!(proposal = %r.record_id, "issued proposal without a readable snapshot");
            return None;
        }
    };
    let snapshot_len = snapshot.scenarios.len();
    let valid_until = day(f, "valid_until");
    let status = match text(f, "status")? {
        "acceptee" => Status::Accepted,
        "refusee" => Status::Refused,
        _ if valid_until.is_some_and(|v| v < today) => Status::Expired,
        _ => Status::Pending,
    };
    Some(Proposal {
        id: r.record_id.clone(),
        visit_id: text(f, "visit_id")
            .map(str::to_string)
            .or_else(|| r.root.clone())
            .unwrap_or_default(),
        number: text(f, "number")?.to_string(),
        revision: f.get("revision").and_then(Value::as_i64).unwrap_or(1),
        status,
        issued_on: day(f, "issued_on"),
        valid_until,
        decided_on: day(f, "decided_on"),
        accepted_scenario_id: text(f, "accepted_scenario_id").map(str::to_string),
        deliberated_on: day(f, "deliberated_on"),
        adviser: r.owner.clone().unwrap_or_default(),
        commune: snapshot.commune.name,
        insee: snapshot.commune.insee,
        epci: snapshot.commune.epci,
        scenarios: snapshot
            .scenarios
            .into_iter()
            .zip(shown_ids(f, snapshot_len))
            .map(|(s, listed)| Scenario {
                id: if s.id.is_empty() { listed } else { s.id },
                label: s.label,
                title: s.title,
                amounts: Amounts {
                    ht: s.plan.total_ht_cents,
                    ttc: s.plan.total_ttc_cents,
                    aid: s.plan.total_aid_cents,
                    remaining: s.plan.remaining_ttc_cents,
                },
                lines: s
                    .schools
                    .into_iter()
                    .flat_map(|school| school.lines)
                    .collect(),
            })
            .collect(),
        pdf_sha256: text(f, "pdf_sha256").map(str::to_string),
        lots: snapshot
            .catalogue
            .markets
            .into_iter()
            .flat_map(|m| m.lots)
            .flat_map(|lot| {
                let name = match &lot.label {
                    Some(label) => format!("Lot {} — {label}", lot.lot),
                    None => format!("Lot {}", lot.lot),
                };
                lot.references.into_iter().map(move |r| (r, name.clone()))
            })
            .collect(),
        catalogue_version: snapshot.catalogue.version,
    })
}

/// Each scenario's id by its place in the snapshot, from the proposal's `scenario_ids`:
/// for snapshots issued before they named their scenarios. The app lists the chosen ones
/// in the visit's order, the order the snapshot shows them in, so the lists match when
/// they are as long; otherwise (every scenario with lines, `[]`) nothing can be told.
fn shown_ids(f: &Map<String, Value>, shown: usize) -> impl Iterator<Item = String> {
    let listed: Vec<String> = text(f, "scenario_ids")
        .and_then(|t| serde_json::from_str(t).ok())
        .filter(|ids: &Vec<String>| ids.len() == shown)
        .unwrap_or_default();
    listed.into_iter().chain(std::iter::repeat(String::new()))
}

/// A commune's name and EPCI, from the embedded reference.
#[derive(Debug, Clone, Default)]
pub struct Communes(HashMap<String, preau_reference::communes::Commune>);

impl Communes {
    pub fn load() -> Communes {
        match preau_reference::communes::all() {
            Ok(all) => Communes(all.into_iter().map(|c| (c.insee.clone(), c)).collect()),
            Err(e) => {
                tracing::error!(error = %e, "embedded communes unreadable");
                Communes::default()
            }
        }
    }

    pub fn name(&self, insee: &str) -> String {
        self.0
            .get(insee)
            .map_or_else(|| insee.to_string(), |c| c.name.clone())
    }

    pub fn epci(&self, insee: &str) -> Option<String> {
        self.0.get(insee).and_then(|c| c.epci.clone())
    }
}

/// A visit as the list shows it.
#[derive(Debug, Clone)]
pub struct Visit {
    pub id: String,
    pub insee: String,
    pub commune: String,
    pub epci: Option<String>,
    pub adviser: String,
    pub scheduled_on: Option<NaiveDate>,
    /// Its issued proposals' latest revisions.
    pub proposals: Vec<Proposal>,
}

impl Visit {
    /// The status of its latest proposal (by issue date), if any.
    pub fn status(&self) -> Option<Status> {
        self.proposals
            .iter()
            .max_by_key(|p| (p.issued_on, p.revision))
            .map(|p| p.status)
    }
}

/// Every live visit with its issued proposals.
pub async fn visits(storage: &dyn Storage, cache: &Cache, today: NaiveDate) -> Result<Vec<Visit>> {
    let records = storage.live_records("visits").await?;
    let mut proposals: HashMap<String, Vec<Proposal>> = HashMap::new();
    for p in self::proposals(storage, cache, today).await? {
        proposals.entry(p.visit_id.clone()).or_default().push(p);
    }
    let communes = Communes::load();
    Ok(records
        .into_iter()
        .map(|r| {
            let insee = text(&r.fields, "commune_insee").unwrap_or("").to_string();
            Visit {
                commune: communes.name(&insee),
                epci: communes.epci(&insee),
                scheduled_on: day(&r.fields, "scheduled_at"),
                adviser: r.owner.clone().unwrap_or_default(),
                proposals: proposals.remove(&r.record_id).unwrap_or_default(),
                id: r.record_id,
                insee,
            }
        })
        .collect())
}

pub fn field<'a>(r: &'a StoredRecord, name: &str) -> &'a str {
    text(&r.fields, name).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The issued proposals of live records, as the cache reads them.
    fn issued_of(records: Vec<StoredRecord>, today: NaiveDate) -> Vec<Proposal> {
        let rows = records
            .into_iter()
            .enumerate()
            .map(|(i, record)| {
                let change = StoredChange {
                    revision: i64::try_from(i).unwrap_or(0),
                    deleted: false,
                    record,
                };
                (change.record.record_id.clone(), Row::read(&change, today))
            })
            .collect();
        issued(&rows)
    }

    fn record(id: &str, fields: Value) -> StoredRecord {
        StoredRecord {
            record_id: id.into(),
            fields: fields.as_object().cloned().unwrap_or_default(),
            owner: Some("Anne".into()),
            root: Some("v1".into()),
        }
    }

    fn snapshot(ht: i64) -> String {
        json!({
            "commune": { "name": "Péronne", "insee": "80620", "epci": "CC Haute Somme" },
            "catalogue": { "version": "c1" },
            "scenarios": [{ "label": "A", "title": "t", "plan": {
                "total_ht_cents": ht, "total_ttc_cents": ht * 12 / 10,
                "total_aid_cents": ht / 2, "remaining_ttc_cents": ht / 3 } }]
        })
        .to_string()
    }

    #[test]
    fn statuses_revisions_and_drafts() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 7).expect("date");
        let records = vec![
            record("d", json!({ "status": "brouillon", "visit_id": "v1" })),
            record(
                "p1",
                json!({ "status": "emise", "number": "N1", "revision": 1,
                "valid_until": "2026-12-01", "snapshot": snapshot(100) }),
            ),
            record(
                "p2",
                json!({ "status": "emise", "number": "N1", "revision": 2,
                "replaces_id": "p1", "valid_until": "2026-12-31", "snapshot": snapshot(200) }),
            ),
            record(
                "p3",
                json!({ "status": "emise", "number": "N2", "revision": 1,
                "valid_until": "2026-12-01", "snapshot": snapshot(300) }),
            ),
            record(
                "p4",
                json!({ "status": "acceptee", "number": "N3", "revision": 1,
                "valid_until": "2026-12-01", "snapshot": snapshot(400) }),
            ),
            record(
                "bad",
                json!({ "status": "emise", "number": "N4", "snapshot": "{" }),
            ),
        ];
        let got = issued_of(records, today);
        let by_id = |id: &str| got.iter().find(|p| p.id == id).map(|p| p.status);
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(by_id("p2"), Some(Status::Pending));
        assert_eq!(by_id("p3"), Some(Status::Expired));
        assert_eq!(by_id("p4"), Some(Status::Accepted));
        let p2 = got.iter().find(|p| p.id == "p2").expect("p2");
        assert_eq!(p2.amounts().ht, 200);
        assert_eq!(p2.epci.as_deref(), Some("CC Haute Somme"));
        assert_eq!(p2.visit_id, "v1");
    }

    /// Issue 13: the accepted scenario is the one counted, found by the id the snapshot
    /// gives it, or — snapshots issued before they named their scenarios — by its place
    /// in `scenario_ids`; with neither, or none recorded, the first one.
    #[test]
    fn the_retained_scenario_is_the_accepted_one() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 7).expect("date");
        let two = |ids: bool| {
            let sc = |id: &str, label: &str, ht: i64| {
                let mut s = json!({ "label": label, "title": "t", "plan": {
                    "total_ht_cents": ht, "total_ttc_cents": ht, "total_aid_cents": 0,
                    "remaining_ttc_cents": ht } });
                if ids {
                    s["id"] = json!(id);
                }
                s
            };
            json!({
                "commune": { "name": "Péronne", "insee": "80620", "epci": null },
                "catalogue": { "version": "c1" },
                "scenarios": [sc("sa", "A", 100), sc("sb", "B", 250)]
            })
            .to_string()
        };
        let accepted = |id: &str, snapshot: String, listed: &str, scenario: Option<&str>| {
            record(
                id,
                json!({ "status": "acceptee", "number": id, "revision": 1, "snapshot": snapshot,
                    "scenario_ids": listed, "accepted_scenario_id": scenario,
                    "deliberated_on": "2027-01-12" }),
            )
        };
        let records = vec![
            accepted("named", two(true), "[\"sa\",\"sb\"]", Some("sb")),
            accepted("listed", two(false), "[\"sa\",\"sb\"]", Some("sb")),
            accepted("untold", two(false), "[]", Some("sb")),
            accepted("unrecorded", two(true), "[\"sa\",\"sb\"]", None),
        ];
        let got = issued_of(records, today);
        let counted = |id: &str| {
            let p = got.iter().find(|p| p.id == id).expect("proposal");
            (
                p.retained_scenario().map(|s| s.label.as_str()),
                p.amounts().ht,
            )
        };
        assert_eq!(counted("named"), (Some("B"), 250));
        assert_eq!(counted("listed"), (Some("B"), 250));
        assert_eq!(counted("untold"), (Some("A"), 100));
        assert_eq!(counted("unrecorded"), (Some("A"), 100));
        let named = got.iter().find(|p| p.id == "named").expect("named");
        assert_eq!(named.deliberated_on, NaiveDate::from_ymd_opt(2027, 1, 12));
        assert_eq!(named.accepted_scenario().map(|s| s.id.as_str()), Some("sb"));
    }
}
