//! Postes: the laptops, an enrollment code for a new (or revoked) one, revocation.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use maud::{html, Markup, PreEscaped};
use serde::Deserialize;
use uuid::Uuid;

use super::WebError;
use crate::staff::{Action, AuditEntry};
use crate::storage::Device;
use crate::web::html::{date, integer, page};
use crate::web::session::{Posted, Staff};
use crate::web::{Page, WebState, PREFIX};

fn when(t: Option<chrono::DateTime<Utc>>) -> String {
    t.map(|t| format!("{} à {}", date(t.date_naive()), t.format("%H:%M")))
        .unwrap_or_else(|| "—".into())
}

/// `text` as a QR code in SVG (black on white, with the quiet zone the standard asks for),
/// to be written inline into a page: no image request, no script. `None` if it does not
/// fit a QR code (an enrollment code always does).
pub fn qr_svg(text: &str) -> Option<String> {
    use qrcode::render::svg;
    let code = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M).ok()?;
    let image = code
        .render::<svg::Color>()
        .min_dimensions(180, 180)
        .dark_color(svg::Color("#000"))
        .light_color(svg::Color("#fff"))
        .build();
    // Without its XML declaration, which HTML does not take.
    image.find("<svg").map(|at| image[at..].to_string())
}

/// A laptop holding changes and not seen for this long gets a note: its adviser should
/// sync it (or it is lost, with what was typed on it).
const PENDING_STALE_DAYS: i64 = 7;

/// « 3 modifications », « 1 modification », « aucune » (as the app says it).
fn changes(n: u32) -> String {
    match n {
        0 => "Aucune".into(),
        1 => "1\u{a0}modification".into(),
        n => format!("{}\u{a0}modifications", integer(u64::from(n))),
    }
}

/// The Postes cell: what the laptop still had to send when it was last seen, when it
/// said so, and a note when that is old; « — » for a laptop that never said (older app).
fn pending_cell(d: &Device, now: chrono::DateTime<Utc>) -> Markup {
    let Some(n) = d.pending_changes else {
        return html! { "—" };
    };
    let stale = d
        .pending_at
        .map(|at| (now - at).num_days())
        .filter(|days| n > 0 && *days >= PENDING_STALE_DAYS);
    html! {
        (changes(n))
        @if let Some(at) = d.pending_at {
            br; span class="notice" { "au " (when(Some(at))) }
        }
        @if let Some(days) = stale {
            br; strong class="stale" {
                "Non synchronisé depuis " (integer(days.unsigned_abs())) "\u{a0}jours\u{a0}: "
                @if n > 1 { "ces modifications n’existent" } @else { "cette modification n’existe" }
                " que sur le portable."
            }
        }
    }
}

fn devices_page(staff: &Staff, devices: &[Device], code: Option<Markup>) -> Markup {
    let now = Utc::now();
    let body = html! {
        @if let Some(code) = code { (code) }
        section {
            h2 { "Enrôler un poste" }
            p class="notice" { "Le code sert une fois, pendant "
                (crate::admin::CODE_VALIDITY_HOURS) " heures ; il redonne aussi l’accès à un poste révoqué." }
            form class="inline" method="post" action=(format!("{PREFIX}/postes/enrolement")) {
                input type="hidden" name="csrf" value=(staff.csrf());
                label { "Conseiller" input type="text" name="adviser" required maxlength="100"; }
                button type="submit" { "Créer un code d’enrôlement" }
            }
        }
        table {
            caption { "Postes enrôlés (heures UTC)" }
            thead { tr {
                th scope="col" { "Conseiller" } th scope="col" { "Poste" }
                th scope="col" { "Enrôlé le" } th scope="col" { "Dernière synchronisation" }
                th scope="col" { "Application" } th scope="col" { "Modifications en attente" }
                th scope="col" { "État" }
            } }
            tbody {
                @for d in devices {
                    tr {
                        td { (d.adviser) }
                        td { (d.name) }
                        td { (date(d.enrolled_at.date_naive())) }
                        td { (when(d.last_seen_at)) }
                        td { (d.app_version.as_deref().unwrap_or("—")) }
                        td { (pending_cell(d, now)) }
                        td {
                            @if let Some(at) = d.revoked_at { "Révoqué le " (date(at.date_naive())) }
                            @else {
                                form method="post" action=(format!("{PREFIX}/postes/{}/revocation", d.id)) {
                                    input type="hidden" name="csrf" value=(staff.csrf());
                                    button type="submit" aria-label=(format!("Révoquer le poste {} de {}", d.name, d.adviser)) { "Révoquer" }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    page(staff, Page::Devices, "Postes", body)
}

pub async fn list(State(state): State<WebState>, staff: Staff) -> Result<Markup, WebError> {
    staff.may(Page::Devices)?;
    let devices = crate::admin::list_devices(state.storage.as_ref()).await?;
    Ok(devices_page(&staff, &devices, None))
}

#[derive(Deserialize)]
pub struct Enroll {
    #[serde(default)]
    adviser: String,
}

pub async fn enroll(
    State(state): State<WebState>,
    staff: Staff,
    posted: Posted<Enroll>,
) -> Result<Response, WebError> {
    staff.may(Page::DeviceActions)?;
    let Posted { form, client } = posted;
    let storage = state.storage.as_ref();
    let adviser = form.adviser.trim().to_string();
    let made = if adviser.chars().any(char::is_control) {
        None
    } else {
        crate::admin::create_enrollment(storage, &adviser)
            .await
            .ok()
    };
    let devices = crate::admin::list_devices(storage).await?;
    let Some((code, expires)) = made else {
        let error = html! { p class="error" role="alert" { "Indiquez le nom du conseiller (1 à 100 caractères)." } };
        let page = devices_page(&staff, &devices, Some(error));
        return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    storage
        .record_audit(
            &AuditEntry::new(Some(&staff.user.email), Action::EnrollmentCreated, &adviser)
                .from(client),
        )
        .await?;
    let shown = html! {
        section role="status" {
            h2 { "Code d’enrôlement pour " (adviser) }
            p class="code" { (code) }
            @if let Some(svg) = qr_svg(&code) {
                div class="qr" role="img" aria-label=(format!("Code QR du code d’enrôlement {code}")) { (PreEscaped(svg)) }
            }
            p { "À saisir dans Préau sur le portable, avant le " (when(Some(expires))) " (UTC). Il ne sera plus affiché." }
        }
    };
    Ok(devices_page(&staff, &devices, Some(shown)).into_response())
}

#[derive(Deserialize)]
pub struct Nothing {}

pub async fn revoke(
    State(state): State<WebState>,
    staff: Staff,
    Path(id): Path<String>,
    posted: Posted<Nothing>,
) -> Result<Response, WebError> {
    staff.may(Page::DeviceActions)?;
    let id = Uuid::parse_str(&id).map_err(|_| WebError::NotFound)?;
    let storage = state.storage.as_ref();
    if !crate::admin::revoke(storage, id).await? {
        return Err(WebError::NotFound);
    }
    storage
        .record_audit(
            &AuditEntry::new(
                Some(&staff.user.email),
                Action::DeviceRevoked,
                id.to_string(),
            )
            .from(posted.client),
        )
        .await?;
    Ok(Redirect::to(&format!("{PREFIX}/postes")).into_response())
}
