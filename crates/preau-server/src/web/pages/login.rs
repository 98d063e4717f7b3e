//! Login, logout, and the one-time link's password form.

use std::time::Instant;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use serde::Deserialize;

use super::WebError;
use crate::auth::new_token;
use crate::staff::{self, Action, AuditEntry};
use crate::text::printable;
use crate::web::html::frame;
use crate::web::session::{cookie, set_cookie, Posted, Staff, FORM_COOKIE, SESSION_COOKIE};
use crate::web::{WebState, PREFIX};

/// The form cookie's value (reused if the browser has one), and its `Set-Cookie`.
fn form_token(headers: &HeaderMap, secure: bool) -> Result<(String, String), WebError> {
    let value = match cookie(headers, FORM_COOKIE) {
        Some(v) if v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()) => v.to_string(),
        _ => new_token()?,
    };
    let set = set_cookie(FORM_COOKIE, &value, 3600, secure);
    Ok((value, set))
}

fn login_page(csrf: &str, email: &str, error: Option<&str>) -> Markup {
    let body = html! {
        section class="login" {
            @if let Some(error) = error { p class="error" role="alert" { (error) } }
            form method="post" action=(format!("{PREFIX}/connexion")) {
                input type="hidden" name="csrf" value=(csrf);
                label { "Adresse électronique"
                    input type="email" name="email" value=(email) autocomplete="username" required autofocus;
                }
                label { "Mot de passe"
                    input type="password" name="password" autocomplete="current-password" required;
                }
                button type="submit" { "Se connecter" }
            }
            p class="notice" { "Pas encore de mot de passe, ou oublié ? Demandez un lien à l’administration du service." }
        }
    };
    frame("Connexion", None, body)
}

pub async fn form(
    State(state): State<WebState>,
    staff: Option<Staff>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    if staff.is_some() {
        return Ok(Redirect::to(PREFIX).into_response());
    }
    let (csrf, set) = form_token(&headers, state.secure)?;
    Ok(([(header::SET_COOKIE, set)], login_page(&csrf, "", None)).into_response())
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

pub async fn submit(
    State(state): State<WebState>,
    headers: HeaderMap,
    posted: Posted<LoginForm>,
) -> Result<Response, WebError> {
    let Posted { form, client } = posted;
    let storage = state.storage.as_ref();
    let now = Instant::now();
    if !state.throttle.allows(&form.email, client, now) {
        tracing::warn!(?client, "login throttled");
        return Err(WebError::Throttled);
    }
    match staff::login(storage, &form.email, &form.password).await? {
        Some(session) => {
            state.throttle.succeeded(&form.email);
            storage
                .record_audit(
                    &AuditEntry::new(Some(&session.user.email), Action::Login, "").from(client),
                )
                .await?;
            let set = set_cookie(
                SESSION_COOKIE,
                &session.token,
                staff::SESSION_HOURS * 3600,
                state.secure,
            );
            Ok(([(header::SET_COOKIE, set)], Redirect::to(PREFIX)).into_response())
        }
        None => {
            state.throttle.failed(&form.email, client, now);
            let email = printable(&staff::normal_email(&form.email), 100);
            storage
                .record_audit(&AuditEntry::new(None, Action::LoginFailed, &email).from(client))
                .await?;
            let (csrf, set) = form_token(&headers, state.secure)?;
            let page = login_page(
                &csrf,
                &email,
                Some("Adresse ou mot de passe incorrect, ou compte désactivé."),
            );
            Ok((StatusCode::UNAUTHORIZED, [(header::SET_COOKIE, set)], page).into_response())
        }
    }
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn logout(
    State(state): State<WebState>,
    staff: Staff,
    posted: Posted<Empty>,
) -> Result<Response, WebError> {
    staff::logout(state.storage.as_ref(), staff.token()).await?;
    state
        .storage
        .record_audit(
            &AuditEntry::new(Some(&staff.user.email), Action::Logout, "").from(posted.client),
        )
        .await?;
    let clear = set_cookie(SESSION_COOKIE, "", 0, state.secure);
    Ok((
        [(header::SET_COOKIE, clear)],
        Redirect::to(&format!("{PREFIX}/connexion")),
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct LinkQuery {
    #[serde(default)]
    jeton: String,
}

fn password_page(csrf: &str, link: &str, error: Option<&str>) -> Markup {
    let body = html! {
        section class="login" {
            @if let Some(error) = error { p class="error" role="alert" { (error) } }
            form method="post" action=(format!("{PREFIX}/mot-de-passe")) {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="jeton" value=(link);
                label { "Nouveau mot de passe (" (staff::MIN_PASSWORD_CHARS) " caractères au moins)"
                    input type="password" name="password" autocomplete="new-password" required
                        minlength=(staff::MIN_PASSWORD_CHARS);
                }
                label { "Le même, encore une fois"
                    input type="password" name="confirm" autocomplete="new-password" required;
                }
                button type="submit" { "Enregistrer le mot de passe" }
            }
        }
    };
    frame("Choisir votre mot de passe", None, body)
}

pub async fn password_form(
    State(state): State<WebState>,
    headers: HeaderMap,
    Query(q): Query<LinkQuery>,
) -> Result<Response, WebError> {
    let (csrf, set) = form_token(&headers, state.secure)?;
    Ok((
        [(header::SET_COOKIE, set)],
        password_page(&csrf, &q.jeton, None),
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    jeton: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

pub async fn password_submit(
    State(state): State<WebState>,
    headers: HeaderMap,
    posted: Posted<PasswordForm>,
) -> Result<Response, WebError> {
    let Posted { form, .. } = posted;
    let refused = |message: String| -> Result<Response, WebError> {
        let (csrf, set) = form_token(&headers, state.secure)?;
        Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            [(header::SET_COOKIE, set)],
            password_page(&csrf, &form.jeton, Some(&message)),
        )
            .into_response())
    };
    if form.password != form.confirm {
        return refused("Les deux mots de passe ne sont pas les mêmes.".into());
    }
    match staff::set_password(state.storage.as_ref(), &form.jeton, &form.password).await? {
        Ok(user) => {
            let body = html! {
                section class="login" {
                    p { "Mot de passe enregistré pour " (user.email) "." }
                    p { a href=(format!("{PREFIX}/connexion")) { "Se connecter" } }
                }
            };
            Ok(frame("Mot de passe enregistré", None, body).into_response())
        }
        Err(why) => refused(why.message()),
    }
}
