//! Recensement des besoins: the campaigns, one campaign's demand matrix, its exports.

use std::collections::BTreeSet;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{NaiveDate, Utc};
use maud::{html, Markup};
use serde::Deserialize;
use uuid::Uuid;

use super::WebError;
use crate::staff::{Action, AuditEntry};
use crate::storage::Campaign;
use crate::web::data;
use crate::web::demand::{self, Demand};
use crate::web::html::{date, integer, money, page};
use crate::web::session::{Posted, Staff};
use crate::web::{Page, WebState, PREFIX};

async fn campaign(state: &WebState, id: &str) -> Result<Campaign, WebError> {
    let id = Uuid::parse_str(id).map_err(|_| WebError::NotFound)?;
    state
        .storage
        .campaigns()
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or(WebError::NotFound)
}

/// The catalogue versions the issued proposals were priced with, and the published one.
async fn catalogue_versions(state: &WebState) -> Result<BTreeSet<String>, WebError> {
    let today = Utc::now().date_naive();
    let mut versions: BTreeSet<String> =
        data::proposals(state.storage.as_ref(), &state.cache, today)
            .await?
            .into_iter()
            .map(|p| p.catalogue_version)
            .collect();
    // A catalogue published here is "serveur-N" on the laptops (preau-core's
    // `reference.rs`), which the server does not depend on.
    for v in state.storage.reference_versions().await? {
        if v.kind == "catalogue" {
            versions.insert(format!("serveur-{}", v.version));
        }
    }
    Ok(versions)
}

fn list_page(
    staff: &Staff,
    campaigns: &[Campaign],
    versions: &BTreeSet<String>,
    error: Option<&str>,
) -> Markup {
    let body = html! {
        @if campaigns.is_empty() { p { "Aucune campagne pour l’instant." } }
        @else {
            table {
                caption { "Campagnes de recensement" }
                thead { tr { th scope="col" { "Campagne" } th scope="col" { "Date limite" }
                             th scope="col" { "Catalogue" } th scope="col" { "Lancée par" } } }
                tbody {
                    @for c in campaigns {
                        tr {
                            td { a href=(format!("{PREFIX}/recensement/{}", c.id)) { (c.name) } }
                            td { (date(c.cutoff)) }
                            td { (c.catalogue_version) }
                            td { (c.created_by) }
                        }
                    }
                }
            }
        }
        @if Page::CampaignNew.allows(staff.user.role) {
            h2 { "Lancer une campagne" }
            @if let Some(e) = error { p class="error" role="alert" { (e) } }
            form class="filters" method="post" action=(format!("{PREFIX}/recensement")) {
                input type="hidden" name="csrf" value=(staff.csrf());
                label { "Nom" input type="text" name="name" required maxlength="100"; }
                label { "Date limite" input type="date" name="cutoff" required; }
                label { "Version du catalogue"
                    select name="catalogue_version" required {
                        @for v in versions { option value=(v) { (v) } }
                    }
                }
                button type="submit" { "Lancer" }
            }
        }
    };
    page(staff, Page::Campaigns, "Recensement des besoins", body)
}

pub async fn list(State(state): State<WebState>, staff: Staff) -> Result<Markup, WebError> {
    staff.may(Page::Campaigns)?;
    let campaigns = state.storage.campaigns().await?;
    let versions = catalogue_versions(&state).await?;
    Ok(list_page(&staff, &campaigns, &versions, None))
}

#[derive(Deserialize)]
pub struct NewCampaign {
    #[serde(default)]
    name: String,
    #[serde(default)]
    cutoff: String,
    #[serde(default)]
    catalogue_version: String,
}

pub async fn create(
    State(state): State<WebState>,
    staff: Staff,
    posted: Posted<NewCampaign>,
) -> Result<Response, WebError> {
    staff.may(Page::CampaignNew)?;
    let Posted { form, client } = posted;
    let name = form.name.trim();
    let versions = catalogue_versions(&state).await?;
    let cutoff = NaiveDate::parse_from_str(form.cutoff.trim(), "%Y-%m-%d").ok();
    let error =
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            Some("Donnez à la campagne un nom de 1 à 100 caractères.")
        } else if cutoff.is_none() {
            Some("Indiquez la date limite.")
        } else if !versions.contains(&form.catalogue_version) {
            Some("Choisissez une version du catalogue de la liste.")
        } else {
            None
        };
    let (Some(cutoff), None) = (cutoff, error) else {
        let campaigns = state.storage.campaigns().await?;
        let page = list_page(&staff, &campaigns, &versions, error);
        return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    let c = Campaign {
        id: Uuid::now_v7(),
        name: name.to_string(),
        cutoff,
        catalogue_version: form.catalogue_version,
        created_at: Utc::now(),
        created_by: staff.user.email.clone(),
    };
    state.storage.add_campaign(&c).await?;
    state
        .storage
        .record_audit(
            &AuditEntry::new(Some(&staff.user.email), Action::CampaignCreated, &c.name)
                .from(client),
        )
        .await?;
    Ok(Redirect::to(&format!("{PREFIX}/recensement/{}", c.id)).into_response())
}

async fn compute(state: &WebState, c: &Campaign) -> Result<Demand, WebError> {
    let today = Utc::now().date_naive();
    let storage = state.storage.as_ref();
    let proposals = data::proposals(storage, &state.cache, today).await?;
    let categories = data::categories(storage, &state.cache).await?;
    Ok(demand::demand(c, &proposals, &categories))
}

pub async fn show(
    State(state): State<WebState>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Markup, WebError> {
    staff.may(Page::Campaigns)?;
    let c = campaign(&state, &id).await?;
    let d = compute(&state, &c).await?;
    let exports = Page::DemandExport.allows(staff.user.role);
    let (firm, probable) = (d.firm_total(), d.probable_total());
    let body = html! {
        p {
            "Catalogue " (c.catalogue_version) ", date limite " (date(c.cutoff)) ". "
            (d.firm_proposals) " proposition(s) acceptée(s) ; "
            (d.probable_proposals) " en attente, comptée(s) à part comme probables."
        }
        @if exports {
            p {
                a href=(format!("{PREFIX}/recensement/{}/besoins.xlsx", c.id)) { "Exporter en XLSX" }
                " · "
                a href=(format!("{PREFIX}/recensement/{}/besoins.csv", c.id)) { "Exporter en CSV" }
            }
        }
        table {
            caption { "Synthèse par lot ou catégorie" }
            thead { tr { th scope="col" { "Lot ou catégorie" }
                th scope="col" class="num" { "Quantité acceptée" } th scope="col" class="num" { "HT accepté" }
                th scope="col" class="num" { "Quantité probable" } th scope="col" class="num" { "HT probable" } } }
            tbody {
                @for g in &d.groups {
                    @let (f, p) = (g.firm_total(), g.probable_total());
                    tr { th scope="row" { (g.name) }
                        td class="num" { (integer(f.quantity.unsigned_abs())) } (money(f.ht))
                        td class="num" { (integer(p.quantity.unsigned_abs())) } (money(p.ht)) }
                }
            }
            tfoot { tr { th scope="row" { "Total" }
                td class="num" { (integer(firm.quantity.unsigned_abs())) }
                td class="num" data-figure="demande-ht" { (crate::web::html::euros(firm.ht)) }
                td class="num" { (integer(probable.quantity.unsigned_abs())) }
                td class="num" data-figure="probable-ht" { (crate::web::html::euros(probable.ht)) } } }
        }
        @for g in &d.groups {
            h2 { (g.name) }
            div class="scroll" tabindex="0" role="region" aria-label=(g.name) {
                table {
                    caption { "Quantités acceptées par commune — " (g.name) }
                    thead { tr {
                        th scope="col" { "Article" }
                        @for (_, name) in &d.communes { th scope="col" class="num" { (name) } }
                        th scope="col" class="num" { "Total" } th scope="col" class="num" { "HT accepté" }
                        th scope="col" class="num" { "Probable" } th scope="col" class="num" { "HT probable" }
                    } }
                    tbody {
                        @for item in &g.items {
                            @let (f, p) = (item.firm_total(), item.probable_total());
                            tr {
                                th scope="row" { (item.designation) br; span class="notice" { (item.reference) } }
                                @for (insee, _) in &d.communes {
                                    td class="num" { @if let Some(c) = item.firm.get(insee) { (c.quantity) } }
                                }
                                td class="num" { (f.quantity) } (money(f.ht))
                                td class="num" { (p.quantity) } (money(p.ht))
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page(&staff, Page::Campaigns, &c.name, body))
}

fn file_name(c: &Campaign, ext: &str) -> String {
    // « Rentrée 2027 » → besoins-rentree-2027-…: plain ASCII for every system.
    let stem: String = preau_reference::text::fold_plain(&c.name)
        .chars()
        .map(|ch| if ch.is_ascii_alphanumeric() { ch } else { '-' })
        .collect();
    format!("besoins-{}-{}.{ext}", stem.trim_matches('-'), c.cutoff)
}

async fn export(
    state: WebState,
    staff: Staff,
    id: String,
    parts: axum::http::request::Parts,
    ext: &'static str,
) -> Result<Response, WebError> {
    staff.may(Page::DemandExport)?;
    let c = campaign(&state, &id).await?;
    let d = compute(&state, &c).await?;
    let (bytes, mime) = match ext {
        "xlsx" => (demand::xlsx(&c, &d)?, super::XLSX),
        _ => (demand::csv(&d)?, "text/csv; charset=utf-8"),
    };
    super::exported(&state, &staff, &parts, file_name(&c, ext), mime, bytes).await
}

pub async fn xlsx(
    State(state): State<WebState>,
    staff: Staff,
    Path(id): Path<String>,
    parts: axum::http::request::Parts,
) -> Result<Response, WebError> {
    export(state, staff, id, parts, "xlsx").await
}

pub async fn csv(
    State(state): State<WebState>,
    staff: Staff,
    Path(id): Path<String>,
    parts: axum::http::request::Parts,
) -> Result<Response, WebError> {
    export(state, staff, id, parts, "csv").await
}
