//! Visites et propositions: the filtered, sorted table; a visit's page; an issued PDF,
//! byte for byte as the laptop pushed it, checked against its SHA-256 before it is sent.

use std::collections::BTreeSet;

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use maud::{html, Markup};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::WebError;
use crate::staff::{Action, AuditEntry};
use crate::web::data::{self, field, Status, Visit};
use crate::web::html::{date, integer, money, page};
use crate::web::session::Staff;
use crate::web::{Page, WebState, PREFIX};

/// The table's filters and order, from the query string (all optional).
#[derive(Debug, Default, Deserialize)]
pub struct Filters {
    #[serde(default)]
    commune: String,
    #[serde(default)]
    epci: String,
    #[serde(default)]
    conseiller: String,
    #[serde(default)]
    statut: String,
    #[serde(default)]
    du: String,
    #[serde(default)]
    au: String,
    #[serde(default)]
    tri: String,
}

fn parse_day(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

impl Filters {
    fn keeps(&self, v: &Visit) -> bool {
        let commune = preau_reference::text::fold_plain(&self.commune);
        (commune.is_empty()
            || preau_reference::text::fold_plain(&v.commune).contains(&commune)
            || v.insee.starts_with(self.commune.trim()))
            && (self.epci.is_empty() || v.epci.as_deref() == Some(self.epci.as_str()))
            && (self.conseiller.is_empty() || v.adviser == self.conseiller)
            && match self.statut.as_str() {
                "" => true,
                "aucune" => v.status().is_none(),
                key => Status::from_key(key).is_some_and(|s| v.status() == Some(s)),
            }
            && parse_day(&self.du).is_none_or(|d| v.scheduled_on.is_some_and(|s| s >= d))
            && parse_day(&self.au).is_none_or(|d| v.scheduled_on.is_some_and(|s| s <= d))
    }

    fn sort(&self, visits: &mut [Visit]) {
        let (key, desc) = match self.tri.strip_prefix('-') {
            Some(k) => (k, true),
            None => (self.tri.as_str(), false),
        };
        match key {
            "commune" => visits.sort_by(|a, b| a.commune.cmp(&b.commune)),
            "conseiller" => visits.sort_by(|a, b| a.adviser.cmp(&b.adviser)),
            "epci" => visits.sort_by(|a, b| a.epci.cmp(&b.epci)),
            "statut" => visits.sort_by_key(Visit::status),
            // By date, the latest first, unless asked otherwise.
            _ => {
                visits.sort_by_key(|v| v.scheduled_on);
                if self.tri != "date" {
                    visits.reverse();
                }
                return;
            }
        }
        if desc {
            visits.reverse();
        }
    }

    /// The query string with another order.
    fn with_sort(&self, tri: &str) -> String {
        let pairs = [
            ("commune", self.commune.as_str()),
            ("epci", &self.epci),
            ("conseiller", &self.conseiller),
            ("statut", &self.statut),
            ("du", &self.du),
            ("au", &self.au),
            ("tri", tri),
        ];
        let query: Vec<String> = pairs
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", crate::web::html::encode(v)))
            .collect();
        format!("?{}", query.join("&"))
    }
}

/// A JSON list as the laptop stores it (`[2,3]`, `["projection","oral"]`), as words.
fn json_words(json: &str) -> String {
    match serde_json::from_str::<Vec<serde_json::Value>>(json) {
        Ok(items) => items
            .iter()
            .map(|v| match v {
                serde_json::Value::String(s) => s.replace('_', " "),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(", "),
        Err(_) => json.to_string(),
    }
}

/// The IEN's opinion as the app labels it.
fn ien_label(key: &str) -> &str {
    match key {
        "a_soumettre" => "À soumettre",
        "soumis" => "Soumis",
        "valide" => "Validé",
        "a_retravailler" => "À retravailler",
        other => other,
    }
}

/// A participant's role as the app labels it (preau-core's `model::Role`, which the
/// server does not depend on; an unknown key is shown as it is).
fn role_label(key: &str) -> &str {
    match key {
        "maire" => "Maire",
        "adjoint" => "Adjoint(e) aux affaires scolaires",
        "secretaire_mairie" => "Secrétaire de mairie",
        "directeur" => "Directeur / directrice d’école",
        "enseignant" => "Enseignant(e)",
        "ien" => "IEN",
        "erun" => "ERUN / conseiller numérique",
        "canope" => "Canopé",
        "syndicat" => "Syndicat",
        other => other,
    }
}

fn status_badge(s: Option<Status>) -> Markup {
    match s {
        Some(s) => html! { span class=(format!("status {}", s.key())) { (s.label()) } },
        None => html! { span class="notice" { "Aucune proposition" } },
    }
}

pub(crate) fn select(
    name: &str,
    label: &str,
    current: &str,
    options: &[(String, String)],
) -> Markup {
    html! {
        label { (label)
            select name=(name) {
                option value="" selected[current.is_empty()] { "Tous" }
                @for (value, text) in options {
                    option value=(value) selected[current == value] { (text) }
                }
            }
        }
    }
}

pub async fn list(
    State(state): State<WebState>,
    staff: Staff,
    Query(filters): Query<Filters>,
) -> Result<Markup, WebError> {
    staff.may(Page::Visits)?;
    let today = Utc::now().date_naive();
    let all = data::visits(state.storage.as_ref(), &state.cache, today).await?;
    let epcis: BTreeSet<String> = all.iter().filter_map(|v| v.epci.clone()).collect();
    let advisers: BTreeSet<String> = all.iter().map(|v| v.adviser.clone()).collect();
    let total = all.len();
    let mut shown: Vec<Visit> = all.into_iter().filter(|v| filters.keeps(v)).collect();
    filters.sort(&mut shown);
    let pairs = |set: &BTreeSet<String>| -> Vec<(String, String)> {
        set.iter().map(|s| (s.clone(), s.clone())).collect()
    };
    let mut statuses: Vec<(String, String)> = Status::ALL
        .iter()
        .map(|s| (s.key().to_string(), s.label().to_string()))
        .collect();
    statuses.push(("aucune".into(), "Sans proposition".into()));
    let sortable = |key: &str, label: &str| {
        let next = if filters.tri == key {
            format!("-{key}")
        } else {
            key.to_string()
        };
        let sort = if filters.tri == key {
            "ascending"
        } else if filters.tri == format!("-{key}") {
            "descending"
        } else {
            "none"
        };
        html! { th scope="col" aria-sort=(sort) { a href=(filters.with_sort(&next)) { (label) } } }
    };
    let body = html! {
        form class="filters" method="get" action=(format!("{PREFIX}/visites")) {
            label { "Commune" input type="search" name="commune" value=(filters.commune); }
            (select("epci", "EPCI", &filters.epci, &pairs(&epcis)))
            (select("conseiller", "Conseiller", &filters.conseiller, &pairs(&advisers)))
            (select("statut", "Statut", &filters.statut, &statuses))
            label { "Du" input type="date" name="du" value=(filters.du); }
            label { "Au" input type="date" name="au" value=(filters.au); }
            input type="hidden" name="tri" value=(filters.tri);
            button type="submit" { "Filtrer" }
        }
        p role="status" { (integer(shown.len() as u64)) " visite(s) sur " (integer(total as u64)) "." }
        table {
            caption { "Visites" }
            thead { tr {
                (sortable("date", "Date"))
                (sortable("commune", "Commune"))
                (sortable("epci", "EPCI"))
                (sortable("conseiller", "Conseiller"))
                (sortable("statut", "Dernière proposition"))
                th scope="col" class="num" { "HT" }
            } }
            tbody {
                @for v in &shown {
                    tr {
                        td { (v.scheduled_on.map(date).unwrap_or_default()) }
                        td { a href=(format!("{PREFIX}/visites/{}", v.id)) { (v.commune) } }
                        td { (v.epci.as_deref().unwrap_or("")) }
                        td { (v.adviser) }
                        td { (status_badge(v.status())) }
                        @match v.proposals.iter().max_by_key(|p| (p.issued_on, p.revision)) {
                            Some(p) => (money(p.amounts().ht)),
                            None => td {},
                        }
                    }
                }
            }
        }
    };
    Ok(page(&staff, Page::Visits, "Visites et propositions", body))
}

pub async fn visit(
    State(state): State<WebState>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Markup, WebError> {
    staff.may(Page::Visit)?;
    if !preau_protocol::schema::is_uuid_text(&id) {
        return Err(WebError::NotFound);
    }
    let storage = state.storage.as_ref();
    let today = Utc::now().date_naive();
    let visit = data::visits(storage, &state.cache, today)
        .await?
        .into_iter()
        .find(|v| v.id == id)
        .ok_or(WebError::NotFound)?;
    let mut participants = storage.live_records_of_visit("participants", &id).await?;
    participants.sort_by_key(|p| p.fields.get("position").and_then(|v| v.as_i64()));
    let scenarios = storage.live_records_of_visit("scenarios", &id).await?;
    let projects = storage.live_records_of_visit("pedagogy", &id).await?;
    let mut objectives = storage.live_records_of_visit("objectives", &id).await?;
    objectives.sort_by_key(|o| o.fields.get("position").and_then(|v| v.as_i64()));
    let schools: std::collections::HashMap<String, String> = storage
        .live_records("schools")
        .await?
        .into_iter()
        .map(|s| (s.record_id.clone(), field(&s, "name").to_string()))
        .collect();
    let lines = storage
        .live_records_of_visit("equipment_lines", &id)
        .await?;
    let title = format!(
        "{} — {}",
        visit.commune,
        visit.scheduled_on.map(date).unwrap_or_default()
    );
    let body = html! {
        section {
            dl {
                dt { "Commune" } dd { (visit.commune) " (" (visit.insee) ")" }
                dt { "EPCI" } dd { (visit.epci.as_deref().unwrap_or("—")) }
                dt { "Conseiller" } dd { (visit.adviser) }
            }
        }
        h2 { "Participants" }
        @if participants.is_empty() { p { "Aucun participant enregistré." } }
        @else {
            ul { @for p in &participants { li { (field(p, "name")) " — " (role_label(field(p, "role"))) } } }
        }
        h2 { "Projet par école" }
        @if projects.is_empty() { p { "Aucun projet pédagogique enregistré." } }
        @for project in &projects {
            @let school = field(project, "school_id");
            section {
                h3 { (schools.get(school).map_or("École", String::as_str)) }
                dl {
                    dt { "Cycles" } dd { (json_words(field(project, "cycles"))) }
                    dt { "Usages visés" } dd { (json_words(field(project, "uses"))) }
                    dt { "Besoins de formation" } dd {
                        @match field(project, "training_needs") { "" => "—", text => (text) }
                    }
                    dt { "Avis de l’IEN" } dd {
                        (ien_label(field(project, "ien_status")))
                        @if let Some(d) = data::day(&project.fields, "ien_date") { ", le " (date(d)) }
                    }
                }
                @let mine: Vec<_> = objectives.iter().filter(|o| field(o, "school_id") == school).collect();
                @if !mine.is_empty() {
                    p { "Objectifs :" }
                    ul { @for o in mine { li { (field(o, "label")) } } }
                }
            }
        }
        h2 { "Scénarios" }
        @if scenarios.is_empty() { p { "Aucun scénario." } }
        @else {
            table {
                caption { "Scénarios de la visite (équipements saisis)" }
                thead { tr { th scope="col" { "Scénario" } th scope="col" class="num" { "Lignes" }
                             th scope="col" class="num" { "Montant HT" } } }
                tbody {
                    @for s in &scenarios {
                        @let mine: Vec<_> = lines.iter()
                            .filter(|l| field(l, "scenario_id") == s.record_id).collect();
                        @let ht: i64 = mine.iter().map(|l| {
                            let n = |f: &str| l.fields.get(f).and_then(|v| v.as_i64()).unwrap_or(0);
                            n("unit_price_cents") * n("quantity")
                        }).sum();
                        tr {
                            th scope="row" { (field(s, "label")) " — " (field(s, "title")) }
                            td class="num" { (mine.len()) }
                            (money(ht))
                        }
                    }
                }
            }
        }
        h2 { "Propositions émises" }
        @if visit.proposals.is_empty() { p { "Aucune proposition émise." } }
        @for p in &visit.proposals {
            section {
                h3 { (p.reference()) " " (status_badge(Some(p.status))) }
                p {
                    "Émise le " (p.issued_on.map(date).unwrap_or_default())
                    ", valable jusqu’au " (p.valid_until.map(date).unwrap_or_default())
                    @if let Some(d) = p.decided_on { ", réponse le " (date(d)) }
                    "."
                }
                @if p.status == Status::Accepted {
                    p data-testid="accepted-scenario" {
                        @if let Some(s) = p.accepted_scenario() {
                            "Scénario accepté : " strong { (s.label) " — " (s.title) }
                        } @else {
                            "Scénario accepté : non précisé par le portable"
                        }
                        @if let Some(d) = p.deliberated_on {
                            " ; délibération du conseil municipal du " strong { (date(d)) }
                        }
                        "."
                    }
                }
                table {
                    caption { "Plans de financement calculés sur le portable" }
                    thead { tr { th scope="col" { "Scénario" } th scope="col" class="num" { "HT" }
                        th scope="col" class="num" { "TTC" } th scope="col" class="num" { "Aides" }
                        th scope="col" class="num" { "Reste à charge" } } }
                    tbody {
                        @for s in &p.scenarios {
                            @let counted = p.retained_scenario().is_some_and(|r| std::ptr::eq(r, s));
                            tr {
                                th scope="row" {
                                    (s.label) " — " (s.title)
                                    @if counted && p.scenarios.len() > 1 { " (compté)" }
                                }
                                (money(s.amounts.ht)) (money(s.amounts.ttc))
                                (money(s.amounts.aid)) (money(s.amounts.remaining))
                            }
                        }
                    }
                }
                @if p.scenarios.len() > 1 && p.accepted_scenario().is_none() {
                    p class="notice" { "Plusieurs scénarios : le tableau de bord et le \
                        recensement comptent le premier, tant que le portable n’a pas enregistré \
                        celui que la mairie a accepté." }
                }
                p {
                    a href=(format!("{PREFIX}/propositions/{}/pdf", p.id)) download { "Télécharger le PDF émis" }
                    br;
                    "SHA-256 : " span class="hash" { (p.pdf_sha256.as_deref().unwrap_or("—")) }
                }
            }
        }
    };
    Ok(page(&staff, Page::Visit, &title, body))
}

pub async fn pdf(
    State(state): State<WebState>,
    staff: Staff,
    Path(id): Path<String>,
    parts: axum::http::request::Parts,
) -> Result<Response, WebError> {
    staff.may(Page::ProposalPdf)?;
    if !preau_protocol::schema::is_uuid_text(&id) {
        return Err(WebError::NotFound);
    }
    let storage = state.storage.as_ref();
    let stored = storage.proposal_pdf(&id).await?.ok_or(WebError::NotFound)?;
    let bytes = hex::decode(&stored.hex).map_err(|e| {
        crate::error::Error::Storage(format!("proposal {id}: stored PDF is not hex: {e}"))
    })?;
    let sha256 = hex::encode(Sha256::digest(&bytes));
    // The bytes must be those the laptop issued: a PDF altered in the database is not sent.
    if stored
        .sha256
        .as_deref()
        .is_none_or(|s| !s.eq_ignore_ascii_case(&sha256))
    {
        return Err(crate::error::Error::Storage(format!(
            "proposal {id}: stored PDF does not match its SHA-256"
        ))
        .into());
    }
    let number = data::proposals(storage, &state.cache, Utc::now().date_naive())
        .await?
        .into_iter()
        .find(|p| p.id == id)
        .map_or_else(|| id.clone(), |p| p.reference());
    storage
        .record_audit(
            &AuditEntry::new(Some(&staff.user.email), Action::PdfDownloaded, &number)
                .from(crate::web::session::client(&parts)),
        )
        .await?;
    let file = format!(
        "proposition-{}.pdf",
        number
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            })
            .collect::<String>()
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
            (header::HeaderName::from_static("x-content-sha256"), sha256),
        ],
        bytes,
    )
        .into_response())
}
