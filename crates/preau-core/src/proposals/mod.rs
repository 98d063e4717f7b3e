//! Printed proposals: a draft per visit, issued once and then frozen (snapshot, PDF bytes
//! and their SHA-256), revised by a new revision that says which one it replaces.
//!
//! The core does not draw PDFs: `proposal_issue` takes the renderer as a function, so the
//! frozen bytes come from the same call the CLI and the app use to preview a draft.

mod accent;
mod settings;
mod snapshot;
mod types;

use chrono::{Datelike, Days, NaiveDate};
use rusqlite::{params, OptionalExtension, Row};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::store::Store;

pub use accent::{Accent, DEFAULT_ACCENT};
pub use settings::MAX_LOGO_BYTES;
pub use types::*;

/// Version of the snapshot format stored with each issued proposal.
pub const SNAPSHOT_FORMAT: u32 = 1;

/// The columns `summary_row` reads. The last one lists the scenarios an issued proposal
/// shows, from its snapshot: each with its id, or — proposals issued before snapshots
/// carried it — the id of the visit's scenario of the same label (unique in a visit).
const SUMMARY_COLUMNS: &str = "p.id, p.visit_id, p.number, p.revision, p.status, p.scenario_ids,
    p.civility, p.validity_days, p.issued_on, p.valid_until, p.decided_on, p.pdf_sha256,
    r.number, r.revision, p.accepted_scenario_id, p.deliberated_on,
    (SELECT json_group_array(json_object(
         'id', COALESCE(json_extract(sc.value, '$.id'),
                        (SELECT s.id FROM scenarios s
                         WHERE s.visit_id = p.visit_id
                           AND s.label = json_extract(sc.value, '$.label'))),
         'label', json_extract(sc.value, '$.label'),
         'title', json_extract(sc.value, '$.title')))
     FROM json_each(CASE WHEN json_valid(p.snapshot) THEN p.snapshot END, '$.scenarios') sc)";

/// A scenario as an issued proposal showed it, read back from its snapshot.
#[derive(serde::Deserialize)]
struct ShownScenario {
    id: Option<String>,
    label: Option<String>,
    title: Option<String>,
}

fn offered(json: Option<String>) -> Vec<OfferedScenario> {
    json.and_then(|j| serde_json::from_str::<Vec<ShownScenario>>(&j).ok())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|s| {
            Some(OfferedScenario {
                id: s.id?,
                label: s.label.unwrap_or_default(),
                title: s.title.unwrap_or_default(),
            })
        })
        .collect()
}

fn summary_row(r: &Row<'_>, today: NaiveDate) -> rusqlite::Result<ProposalSummary> {
    let stored: String = r.get(4)?;
    let valid_until: Option<NaiveDate> = r.get(9)?;
    let status = ProposalStatus::on(&stored, valid_until, today);
    let scenario_ids: String = r.get(5)?;
    let civility: String = r.get(6)?;
    let replaces_number: Option<String> = r.get(12)?;
    let replaces_revision: Option<u32> = r.get(13)?;
    Ok(ProposalSummary {
        id: r.get(0)?,
        visit_id: r.get(1)?,
        number: r.get(2)?,
        revision: r.get(3)?,
        replaces: replaces_number
            .zip(replaces_revision)
            .map(|(n, rev)| format!("{n} rév. {rev}")),
        status,
        status_label: status.label().to_string(),
        scenario_ids: serde_json::from_str(&scenario_ids).unwrap_or_default(),
        civility: Civility::from_key(&civility),
        validity_days: r.get(7)?,
        issued_on: r.get(8)?,
        valid_until,
        decided_on: r.get(10)?,
        accepted_scenario_id: r.get(14)?,
        deliberated_on: r.get(15)?,
        offered: offered(r.get(16)?),
        pdf_sha256: r.get(11)?,
    })
}

/// SHA-256 of bytes, lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl ProposalSnapshot {
    /// A short fingerprint of the content, printed in the footer: two renders of the same
    /// content carry the same one, any change of content changes it.
    pub fn short_hash(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        sha256_hex(&json).chars().take(12).collect()
    }

    /// "2026-K7Q3M-0001 rév. 2"; on a draft "PROJET", or "… rév. 2 (projet)" for the
    /// draft of a revision, whose number is already known.
    pub fn reference(&self) -> String {
        match (&self.number, self.draft) {
            (Some(n), false) => format!("{n} rév. {}", self.revision),
            (Some(n), true) => format!("{n} rév. {} (projet)", self.revision),
            (None, _) => "PROJET".to_string(),
        }
    }
}

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

impl Store {
    /// This laptop's code in proposal numbers: five Crockford base-32 characters drawn
    /// once from the random bits of a UUIDv7, so that laptops issuing offline never make
    /// the same number.
    pub fn device_code(&self) -> Result<String> {
        let existing: Option<String> = self
            .conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'device_code'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(code) = existing {
            return Ok(code);
        }
        let random = uuid::Uuid::now_v7().as_u128();
        let code: String = (0..5)
            .map(|i| {
                let idx = ((random >> (5 * i)) & 31) as usize;
                char::from(CROCKFORD[idx])
            })
            .collect();
        self.conn.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('device_code', ?1)",
            [&code],
        )?;
        Ok(self.conn.query_row(
            "SELECT value FROM meta WHERE key = 'device_code'",
            [],
            |r| r.get(0),
        )?)
    }

    /// Takes the code the server handed out at enrollment (4 to 8 characters of Crockford's
    /// base 32), unless this laptop already has one: it may have numbered proposals with
    /// it, and a number never changes. Returns whether it was taken.
    pub fn device_code_adopt(&self, code: &str) -> Result<bool> {
        if !(4..=8).contains(&code.len()) || !code.bytes().all(|b| CROCKFORD.contains(&b)) {
            return Err(Error::Invalid {
                field: "device_code",
                message: format!("Code de poste invalide reçu du serveur : {code}"),
            });
        }
        let taken = self.conn.execute(
            "INSERT INTO meta (key, value) SELECT 'device_code', ?1
             WHERE NOT EXISTS (SELECT 1 FROM meta WHERE key = 'device_code')",
            [code],
        )?;
        Ok(taken == 1)
    }

    pub fn proposals_of(&self, visit_id: &str, today: NaiveDate) -> Result<Vec<ProposalSummary>> {
        self.visit(visit_id)?;
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM proposals p LEFT JOIN proposals r ON r.id = p.replaces_id
             WHERE p.visit_id = ?1 ORDER BY p.revision DESC, p.status = 'brouillon' DESC"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt
            .query_map([visit_id], |r| summary_row(r, today))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    pub fn proposal(&self, id: &str, today: NaiveDate) -> Result<ProposalSummary> {
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM proposals p LEFT JOIN proposals r ON r.id = p.replaces_id
             WHERE p.id = ?1"
        );
        self.conn
            .query_row(&sql, [id], |r| summary_row(r, today))
            .optional()?
            .ok_or_else(|| Error::NotFound {
                what: "proposal",
                id: id.to_string(),
            })
    }

    /// The visit's draft, made if there is none. After an issue, the new draft is the
    /// next revision of the same number and replaces the latest one.
    pub fn proposal_draft(&mut self, visit_id: &str, today: NaiveDate) -> Result<ProposalSummary> {
        self.visit(visit_id)?;
        let tx = self.conn.savepoint()?;
        let existing: Option<String> = tx
            .query_row(
                "SELECT id FROM proposals WHERE visit_id = ?1 AND status = 'brouillon'",
                [visit_id],
                |r| r.get(0),
            )
            .optional()?;
        let id = match existing {
            Some(id) => id,
            None => {
                let latest: Option<(String, u32, String, String, u32)> = tx
                    .query_row(
                        "SELECT id, revision, scenario_ids, civility, validity_days
                         FROM proposals WHERE visit_id = ?1 ORDER BY revision DESC LIMIT 1",
                        [visit_id],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
                    )
                    .optional()?;
                let id = crate::store::new_id();
                let (revision, replaces, scenarios, civility, days) = match latest {
                    Some((prev, rev, sc, civ, days)) => (rev + 1, Some(prev), sc, civ, days),
                    None => (1, None, "[]".to_string(), String::new(), 90),
                };
                let number: Option<String> = match &replaces {
                    Some(prev) => {
                        tx.query_row("SELECT number FROM proposals WHERE id = ?1", [prev], |r| {
                            r.get(0)
                        })?
                    }
                    None => None,
                };
                tx.execute(
                    "INSERT INTO proposals (id, visit_id, number, revision, replaces_id, status,
                       scenario_ids, civility, validity_days, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, 'brouillon', ?6, ?7, ?8, ?9)",
                    params![
                        id,
                        visit_id,
                        number,
                        revision,
                        replaces,
                        scenarios,
                        civility,
                        days,
                        crate::store::now_utc()
                    ],
                )?;
                id
            }
        };
        tx.commit()?;
        self.proposal(&id, today)
    }

    fn require_draft(&self, id: &str, today: NaiveDate) -> Result<ProposalSummary> {
        let p = self.proposal(id, today)?;
        if p.status != ProposalStatus::Brouillon {
            return Err(Error::invalid(
                "proposal",
                format!(
                    "La proposition {} est déjà émise : elle ne peut plus changer. \
                     Créez une nouvelle révision pour la modifier.",
                    p.reference()
                ),
            ));
        }
        Ok(p)
    }

    pub fn proposal_update_draft(
        &mut self,
        id: &str,
        patch: &DraftPatch,
        today: NaiveDate,
    ) -> Result<ProposalSummary> {
        let p = self.require_draft(id, today)?;
        let scenarios = match &patch.scenario_ids {
            Some(ids) => {
                let known = self.scenarios_of(&p.visit_id)?;
                for sid in ids {
                    if !known.iter().any(|s| &s.id == sid) {
                        return Err(Error::invalid(
                            "scenario_ids",
                            "Ce scénario n'appartient pas à cette visite.",
                        ));
                    }
                }
                ids.clone()
            }
            None => p.scenario_ids.clone(),
        };
        let days = patch.validity_days.unwrap_or(p.validity_days);
        if !(1..=365).contains(&days) {
            return Err(Error::invalid(
                "validity_days",
                "La durée de validité va de 1 à 365 jours.",
            ));
        }
        let civility = patch.civility.unwrap_or(p.civility);
        let tx = self.conn.savepoint()?;
        tx.execute(
            "UPDATE proposals SET scenario_ids = ?2, civility = ?3, validity_days = ?4
             WHERE id = ?1",
            params![
                id,
                serde_json::to_string(&scenarios).unwrap_or_else(|_| "[]".into()),
                civility.key(),
                days
            ],
        )?;
        tx.commit()?;
        self.proposal(id, today)
    }

    /// What the PDF shows: the frozen snapshot of an issued proposal, or the visit as it
    /// is now for a draft (dated `today`).
    pub fn proposal_snapshot(&self, id: &str, today: NaiveDate) -> Result<ProposalSnapshot> {
        let p = self.proposal(id, today)?;
        if p.status == ProposalStatus::Brouillon {
            return self.build_snapshot(&p, today);
        }
        let json: String =
            self.conn
                .query_row("SELECT snapshot FROM proposals WHERE id = ?1", [id], |r| {
                    r.get(0)
                })?;
        serde_json::from_str(&json).map_err(|e| Error::Corrupt {
            path: self.path().to_path_buf(),
            reason: format!("proposal {id} snapshot: {e}"),
        })
    }

    /// The PDF bytes frozen when the proposal was issued.
    pub fn proposal_pdf(&self, id: &str) -> Result<Vec<u8>> {
        let pdf: Option<Vec<u8>> = self
            .conn
            .query_row("SELECT pdf FROM proposals WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()?
            .ok_or_else(|| Error::NotFound {
                what: "proposal",
                id: id.to_string(),
            })?;
        pdf.ok_or_else(|| {
            Error::invalid(
                "proposal",
                "Cette proposition est un brouillon : elle n'a pas encore de PDF émis.",
            )
        })
    }

    /// Issues a draft: gives it its number (first revision), freezes its snapshot, renders
    /// it with `render` and stores the bytes and their SHA-256, all in one transaction. A
    /// failure anywhere leaves the draft and the number counter as they were. A proposal
    /// already issued is refused and left as it was.
    pub fn proposal_issue<F>(
        &mut self,
        id: &str,
        today: NaiveDate,
        render: F,
    ) -> Result<ProposalSummary>
    where
        F: FnOnce(&ProposalSnapshot) -> std::result::Result<Vec<u8>, String>,
    {
        let p = self.require_draft(id, today)?;
        let mut snapshot = self.build_snapshot(&p, today)?;
        if snapshot.scenarios.is_empty() {
            return Err(Error::invalid(
                "scenario_ids",
                "Aucun scénario proposé n'a de ligne d'équipement : rien à émettre.",
            ));
        }
        let device = self.device_code()?;
        let tx = self.conn.savepoint()?;
        let number = match &p.number {
            Some(n) => n.clone(),
            None => {
                let year = today.year();
                let seq: i64 = tx.query_row(
                    "INSERT INTO proposal_counters (year, last_seq) VALUES (?1, 1)
                     ON CONFLICT (year) DO UPDATE SET last_seq = last_seq + 1
                     RETURNING last_seq",
                    [year],
                    |r| r.get(0),
                )?;
                format!("{year}-{device}-{seq:04}")
            }
        };
        snapshot.number = Some(number.clone());
        snapshot.draft = false;
        let pdf = render(&snapshot).map_err(|e| {
            tracing::error!(proposal = %p.id, error = %e, "PDF rendering failed");
            Error::invalid(
                "proposal",
                "Le PDF de la proposition n'a pas pu être produit ; rien n'a été émis.",
            )
        })?;
        let json = serde_json::to_string(&snapshot)
            .map_err(|e| Error::invalid("proposal", e.to_string()))?;
        let hash = sha256_hex(&pdf);
        // The scenarios the document shows, frozen with it: « every scenario that has
        // lines » becomes the list it was on that day, which an acceptance names one of.
        let shown: Vec<&str> = snapshot.scenarios.iter().map(|s| s.id.as_str()).collect();
        let shown =
            serde_json::to_string(&shown).map_err(|e| Error::invalid("proposal", e.to_string()))?;
        let changed = tx.execute(
            "UPDATE proposals SET status = 'emise', number = ?2, issued_on = ?3,
               valid_until = ?4, snapshot = ?5, pdf = ?6, pdf_sha256 = ?7, scenario_ids = ?8
             WHERE id = ?1 AND status = 'brouillon'",
            params![
                p.id,
                number,
                today,
                snapshot.valid_until,
                json,
                pdf,
                hash,
                shown
            ],
        )?;
        if changed != 1 {
            return Err(Error::invalid(
                "proposal",
                "Cette proposition a déjà été émise.",
            ));
        }
        tx.commit()?;
        self.proposal(&p.id, today)
    }

    /// Records that the mayor accepted an issued proposal on `today`: which of its
    /// scenarios (required when it showed several, one of them) and, when given, the date
    /// of the council's deliberation. Nothing is written when any of it is refused.
    pub fn proposal_accept(
        &mut self,
        id: &str,
        acceptance: &Acceptance,
        today: NaiveDate,
    ) -> Result<ProposalSummary> {
        let p = self.answerable(id, today)?;
        let scenario = accepted_scenario(&p, acceptance.scenario_id.as_deref())?;
        if let Some(d) = acceptance.deliberated_on {
            check_deliberation(&p, d, today)?;
        }
        let tx = self.conn.savepoint()?;
        tx.execute(
            "UPDATE proposals SET status = 'acceptee', decided_on = ?2,
               accepted_scenario_id = ?3, deliberated_on = ?4
             WHERE id = ?1",
            params![id, today, scenario, acceptance.deliberated_on],
        )?;
        tx.commit()?;
        self.proposal(id, today)
    }

    /// Records that the mayor refused an issued proposal on `today`.
    pub fn proposal_refuse(&mut self, id: &str, today: NaiveDate) -> Result<ProposalSummary> {
        self.answerable(id, today)?;
        let tx = self.conn.savepoint()?;
        tx.execute(
            "UPDATE proposals SET status = 'refusee', decided_on = ?2 WHERE id = ?1",
            params![id, today],
        )?;
        tx.commit()?;
        self.proposal(id, today)
    }

    /// The proposal, if it is issued and not answered yet.
    fn answerable(&self, id: &str, today: NaiveDate) -> Result<ProposalSummary> {
        let p = self.proposal(id, today)?;
        if !matches!(p.status, ProposalStatus::Emise | ProposalStatus::Expiree) {
            return Err(Error::invalid(
                "status",
                match p.status {
                    ProposalStatus::Brouillon => {
                        "Un brouillon ne peut pas être accepté ou refusé : émettez-le d'abord."
                    }
                    _ => "La réponse du maire à cette proposition est déjà enregistrée.",
                },
            ));
        }
        Ok(p)
    }
}

/// How far after the answer a deliberation date may be: a council meets at least once a
/// quarter, so a date more than a year away is a typing error.
const DELIBERATION_HORIZON_DAYS: u64 = 366;

/// The scenario an acceptance records: the one named, if the proposal showed it; the
/// only one when it showed a single scenario and none is named.
fn accepted_scenario(p: &ProposalSummary, named: Option<&str>) -> Result<Option<String>> {
    const FIELD: &str = "accepted_scenario_id";
    match named {
        Some(id) => p
            .offered
            .iter()
            .find(|s| s.id == id)
            .map(|s| Some(s.id.clone()))
            .ok_or_else(|| {
                Error::invalid(
                    FIELD,
                    "Ce scénario ne fait pas partie de la proposition : choisissez l'un de ceux qu'elle présente.",
                )
            }),
        None => match p.offered.as_slice() {
            [only] => Ok(Some(only.id.clone())),
            // A proposal whose scenarios cannot be told any more (issued before snapshots
            // named them, its scenario since deleted): accepted without one.
            [] => Ok(None),
            _ => Err(Error::invalid(
                FIELD,
                "La proposition présente plusieurs scénarios : indiquez celui que le maire a accepté.",
            )),
        },
    }
}

fn check_deliberation(p: &ProposalSummary, day: NaiveDate, today: NaiveDate) -> Result<()> {
    const FIELD: &str = "deliberated_on";
    if let Some(issued) = p.issued_on.filter(|issued| day < *issued) {
        return Err(Error::invalid(
            FIELD,
            format!(
                "La délibération ne peut pas précéder l'émission de la proposition (le {}).",
                crate::format::date(issued)
            ),
        ));
    }
    let horizon = today
        .checked_add_days(Days::new(DELIBERATION_HORIZON_DAYS))
        .unwrap_or(today);
    if day > horizon {
        return Err(Error::invalid(
            FIELD,
            "La date de délibération est à plus d'un an : vérifiez l'année.",
        ));
    }
    Ok(())
}

pub(crate) fn valid_until(today: NaiveDate, days: u32) -> NaiveDate {
    today
        .checked_add_days(Days::new(u64::from(days)))
        .unwrap_or(today)
}
