//! Suivi (each accepted proposal's steps, a form to date one, a commune's timeline) and
//! Bilan (the balance sheet per EPCI and for the département, and its XLSX).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{NaiveDate, Utc};
use maud::{html, Markup};
use serde::Deserialize;

use super::WebError;
use crate::follow::{Step, StepRecord, MAX_NOTE_CHARS};
use crate::staff::{Action, AuditEntry, Role};
use crate::web::data::{self, Proposal};
use crate::web::follow::{self, Followed, Source, Totals};
use crate::web::html::{date, integer, money, page};
use crate::web::session::{Posted, Staff};
use crate::web::{Page, WebState, PREFIX};

/// Whether `staff` may date the steps of `p`: the coordination and the administration
/// all, an adviser those of their own visits (the visit's owner is the name their laptop
/// was enrolled under, their account's name), partners none.
pub fn may_record(staff: &Staff, p: &Proposal) -> bool {
    Page::FollowUpRecord.allows(staff.user.role)
        && (staff.user.role != Role::Adviser || p.adviser.trim() == staff.user.name.trim())
}

/// Whether the page shows people (advisers' names, notes, links to visits): not to
/// read-only partners, as the visits pages.
fn shows_people(staff: &Staff) -> bool {
    Page::Visits.allows(staff.user.role)
}

async fn load(state: &WebState) -> Result<Vec<Followed>, WebError> {
    let storage = state.storage.as_ref();
    let today = Utc::now().date_naive();
    let proposals = data::proposals(storage, &state.cache, today).await?;
    let records = storage.follow_up_steps().await?;
    let extras = follow::extras(storage, &state.follow).await?;
    Ok(follow::followed(&proposals, &records, &extras))
}

fn step_cell(done: Option<&follow::Done>, people: bool) -> Markup {
    html! {
        @match done {
            Some(d) => td class="fait" {
                (date(d.on))
                @match &d.source {
                    Source::Laptop => { br; span class="notice" { "saisie sur le portable" } }
                    Source::Recorded(r) => @if people {
                        @if let Some(note) = &r.note { br; span class="note" { (note) } }
                    }
                }
            },
            None => td class="afaire" { "à faire" },
        }
    }
}

fn record_form(staff: &Staff, f: &Followed) -> Markup {
    let id = &f.proposal.id;
    // The first step not dated yet is offered first.
    let next = f.steps.iter().find(|s| s.1.is_none()).map(|s| s.0);
    html! {
        details {
            summary { "Dater une étape" span class="visually-hidden" { " — " (f.proposal.commune) ", " (f.proposal.reference()) } }
            form class="etape" method="post" action=(format!("{PREFIX}/suivi/{id}")) {
                input type="hidden" name="csrf" value=(staff.csrf());
                label { "Étape"
                    select name="step" required {
                        @for (step, _) in &f.steps {
                            option value=(step.key()) selected[Some(*step) == next] { (step.label()) }
                        }
                    }
                }
                label { "Date" input type="date" name="on" required min="2000-01-01" max="2100-12-31"; }
                label { "Note (facultative)" textarea name="note" rows="2" maxlength=(MAX_NOTE_CHARS) {} }
                button type="submit" { "Enregistrer" }
            }
        }
    }
}

fn follow_page(staff: &Staff, all: &[Followed], error: Option<&str>) -> Markup {
    let people = shows_people(staff);
    // The column of forms, for the roles that may date a step.
    let records = Page::FollowUpRecord.allows(staff.user.role);
    let body = html! {
        p class="notice" {
            "Les propositions acceptées et les étapes qui suivent l’accord du maire. Une étape se date ici ; "
            "la délibération saisie sur le portable s’affiche tant que le bureau n’en a pas enregistré."
        }
        @if let Some(e) = error { p class="error" role="alert" { (e) } }
        div class="scroll" {
            table class="suivi" {
                caption { (all.len()) " proposition(s) acceptée(s)" }
                thead { tr {
                    th scope="col" { "Commune" }
                    th scope="col" { "Proposition" }
                    @if people { th scope="col" { "Conseiller" } }
                    @for step in Step::ALL { th scope="col" { (step.label()) } }
                    @if records { th scope="col" { "Saisie" } }
                } }
                tbody {
                    @for f in all {
                        tr id=(format!("p-{}", f.proposal.id)) {
                            th scope="row" {
                                a href=(format!("{PREFIX}/suivi/commune/{}", f.proposal.insee)) { (f.proposal.commune) }
                                br; span class="notice" { (f.proposal.epci.as_deref().unwrap_or(follow::NO_EPCI)) }
                            }
                            td { (f.proposal.reference())
                                @if let Some(d) = f.proposal.decided_on { br; span class="notice" { "acceptée le " (date(d)) } } }
                            @if people { td { (f.proposal.adviser) } }
                            @for (_, done) in &f.steps { (step_cell(done.as_ref(), people)) }
                            @if records { td {
                                @if may_record(staff, &f.proposal) { (record_form(staff, f)) }
                                @else { span class="notice" { "—" } }
                            } }
                        }
                    }
                }
            }
        }
    };
    page(
        staff,
        Page::FollowUp,
        "Suivi des propositions acceptées",
        body,
    )
}

pub async fn show(State(state): State<WebState>, staff: Staff) -> Result<Markup, WebError> {
    staff.may(Page::FollowUp)?;
    let all = load(&state).await?;
    Ok(follow_page(&staff, &all, None))
}

#[derive(Deserialize)]
pub struct StepForm {
    #[serde(default)]
    step: String,
    #[serde(default)]
    on: String,
    #[serde(default)]
    note: String,
}

/// Why a step is not recorded, in French.
fn checked(form: &StepForm, proposal: &str, by: &str) -> Result<StepRecord, String> {
    let step = Step::from_key(&form.step).ok_or("Choisissez une étape dans la liste.")?;
    let on = NaiveDate::parse_from_str(form.on.trim(), "%Y-%m-%d")
        .map_err(|_| "Indiquez la date de l’étape (jour, mois, année).")?;
    StepRecord::new(proposal, step, on, &form.note, by).map_err(|e| match e {
        crate::error::Error::Client { message, .. } => {
            let mut m = message;
            if let Some(first) = m.get(..1) {
                let upper = first.to_uppercase();
                m.replace_range(..1, &upper);
            }
            format!("{m}.")
        }
        _ => "Étape refusée.".to_string(),
    })
}

pub async fn record(
    State(state): State<WebState>,
    staff: Staff,
    Path(id): Path<String>,
    posted: Posted<StepForm>,
) -> Result<Response, WebError> {
    staff.may(Page::FollowUpRecord)?;
    let all = load(&state).await?;
    let Some(f) = all.iter().find(|f| f.proposal.id == id) else {
        return Err(WebError::NotFound);
    };
    if !may_record(&staff, &f.proposal) {
        tracing::warn!(user = %staff.user.email, proposal = %id, "follow-up of another adviser's proposal refused");
        return Err(WebError::Forbidden);
    }
    let Posted { form, client } = posted;
    let step = match checked(&form, &id, &staff.user.email) {
        Ok(s) => s,
        Err(e) => {
            let e = format!("{}, {} : {e}", f.proposal.commune, f.proposal.reference());
            let page = follow_page(&staff, &all, Some(&e));
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let audit = AuditEntry::new(
        Some(&staff.user.email),
        Action::FollowUpRecorded,
        format!(
            "{} : {} le {}",
            f.proposal.reference(),
            step.step.label(),
            step.on
        ),
    )
    .from(client);
    state.storage.add_follow_up_step(&step, &audit).await?;
    Ok(Redirect::to(&format!("{PREFIX}/suivi#p-{id}")).into_response())
}

/// A commune's timeline: its visits, proposals issued and answered, steps.
pub async fn commune(
    State(state): State<WebState>,
    staff: Staff,
    Path(insee): Path<String>,
) -> Result<Markup, WebError> {
    staff.may(Page::FollowUp)?;
    if insee.len() != 5 || !insee.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(WebError::NotFound);
    }
    let storage = state.storage.as_ref();
    let today = Utc::now().date_naive();
    let visits = data::visits(storage, &state.cache, today).await?;
    let records = storage.follow_up_steps().await?;
    let extras = follow::extras(storage, &state.follow).await?;
    let events = follow::timeline(&insee, &visits, &records, &extras);
    let name = data::Communes::load().name(&insee);
    let people = shows_people(&staff);
    let body = html! {
        p { a href=(format!("{PREFIX}/suivi")) { "Retour au suivi" } }
        @if events.is_empty() {
            p { "Aucune visite enregistrée pour cette commune." }
        } @else {
            ol class="chronologie" {
                @for e in &events {
                    li {
                        span class="quand" { (date(e.on)) }
                        " "
                        @match (&e.visit, people) {
                            (Some(v), true) => a href=(format!("{PREFIX}/visites/{v}")) { (e.what) },
                            _ => span { (e.what) },
                        }
                        @if let (Some(adviser), true) = (&e.adviser, people) { " (" (adviser) ")" }
                    }
                }
            }
        }
    };
    Ok(page(
        &staff,
        Page::FollowUp,
        &format!("Chronologie — {name}"),
        body,
    ))
}

fn totals_cells(t: &Totals, figures: bool) -> Markup {
    let fig = |name: &'static str| figures.then_some(name);
    html! {
        td class="num" data-figure=[fig("bilan-propositions")] { (integer(t.proposals)) }
        (money_fig(t.ttc, fig("bilan-ttc")))
        (money_fig(t.aid, fig("bilan-aides")))
        (money_fig(t.fctva, fig("bilan-fctva")))
        (money_fig(t.own, fig("bilan-part")))
        td class="num" data-figure=[fig("bilan-eleves")] { (integer(t.pupils)) }
        td class="num" data-figure=[fig("bilan-classes")] { (integer(t.classes)) }
    }
}

fn money_fig(cents: i64, figure: Option<&'static str>) -> Markup {
    match figure {
        Some(f) => html! { td class="num" data-figure=(f) { (crate::web::html::euros(cents)) } },
        None => money(cents),
    }
}

async fn balance(state: &WebState) -> Result<follow::Balance, WebError> {
    let storage = state.storage.as_ref();
    let today = Utc::now().date_naive();
    let proposals = data::proposals(storage, &state.cache, today).await?;
    let extras = follow::extras(storage, &state.follow).await?;
    Ok(follow::balance(&proposals, &extras))
}

pub async fn bilan(State(state): State<WebState>, staff: Staff) -> Result<Markup, WebError> {
    staff.may(Page::Balance)?;
    let b = balance(&state).await?;
    let today = Utc::now().date_naive();
    let body = html! {
        p class="notice" {
            "Au " (date(today)) ", les propositions acceptées, pour le scénario retenu par la commune, "
            "tels que les portables les ont calculés : montants TTC, subventions obtenues, FCTVA, "
            "et part restant aux communes (TTC − subventions − FCTVA). Élèves : ceux des écoles que "
            "le scénario retenu équipe ; classes : celles auxquelles une de ses lignes est destinée."
        }
        p { a href=(format!("{PREFIX}/bilan.xlsx")) download { "Télécharger le bilan (XLSX)" } }
        div class="scroll" {
            table {
                caption { "Bilan par EPCI" }
                thead { tr {
                    th scope="col" { "EPCI" }
                    th scope="col" class="num" { "Propositions acceptées" }
                    th scope="col" class="num" { "Investi TTC" }
                    th scope="col" class="num" { "Subventions" }
                    th scope="col" class="num" { "FCTVA" }
                    th scope="col" class="num" { "Part des communes" }
                    th scope="col" class="num" { "Élèves" }
                    th scope="col" class="num" { "Classes" }
                } }
                tbody {
                    @for (epci, t) in &b.by_epci {
                        tr { th scope="row" { (epci) } (totals_cells(t, false)) }
                    }
                }
                tfoot {
                    tr { th scope="row" { "Département" } (totals_cells(&b.departement, true)) }
                }
            }
        }
    };
    Ok(page(&staff, Page::Balance, "Bilan du service", body))
}

pub async fn bilan_xlsx(
    State(state): State<WebState>,
    staff: Staff,
    parts: axum::http::request::Parts,
) -> Result<Response, WebError> {
    staff.may(Page::BalanceExport)?;
    let b = balance(&state).await?;
    let today = Utc::now().date_naive();
    let bytes = follow::xlsx(&b, today)?;
    let file = format!("bilan-{today}.xlsx");
    super::exported(&state, &staff, &parts, file, super::XLSX, bytes).await
}
