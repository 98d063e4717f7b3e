//! One module per page; the refusals every page shares.

pub mod audit;
pub mod dashboard;
pub mod demand;
pub mod devices;
pub mod follow;
pub mod login;
pub mod map;
pub mod referentiel;
pub mod visits;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::html;

use super::html::frame;
use super::PREFIX;

/// Why a page is not shown, as a French page with its status.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    /// A form without a valid CSRF token, from another origin, or unreadable.
    #[error("bad form")]
    BadForm,
    #[error("too many attempts")]
    Throttled,
    #[error(transparent)]
    Internal(#[from] crate::error::Error),
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, title, text) = match &self {
            WebError::Forbidden => (
                StatusCode::FORBIDDEN,
                "Accès refusé",
                "Votre rôle ne donne pas accès à cette page. Demandez à l’administration \
                 du service si vous en avez besoin.",
            ),
            WebError::NotFound => (
                StatusCode::NOT_FOUND,
                "Page introuvable",
                "Cette page n’existe pas, ou plus.",
            ),
            WebError::BadForm => (
                StatusCode::FORBIDDEN,
                "Formulaire refusé",
                "Ce formulaire a expiré ou ne vient pas de cette page : rechargez la page \
                 et recommencez.",
            ),
            WebError::Throttled => (
                StatusCode::TOO_MANY_REQUESTS,
                "Trop de tentatives",
                "Trop de tentatives de connexion : réessayez dans un quart d’heure.",
            ),
            WebError::Internal(e) => {
                tracing::error!(error = %e, "back-office page failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Erreur du serveur",
                    "Le serveur n’a pas pu préparer cette page. Réessayez ; si l’erreur \
                     persiste, prévenez l’administration du service.",
                )
            }
        };
        let body = html! {
            p { (text) }
            p { a href=(PREFIX) { "Retour au tableau de bord" } }
        };
        (status, frame(title, None, body)).into_response()
    }
}

pub async fn not_found() -> WebError {
    WebError::NotFound
}

/// The media type of an XLSX file.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// An export sent as a download named `file`, once written to the audit log.
pub async fn exported(
    state: &super::WebState,
    staff: &super::session::Staff,
    parts: &axum::http::request::Parts,
    file: String,
    mime: &'static str,
    bytes: Vec<u8>,
) -> Result<Response, WebError> {
    use crate::staff::{Action, AuditEntry};
    state
        .storage
        .record_audit(
            &AuditEntry::new(Some(&staff.user.email), Action::Exported, &file)
                .from(super::session::client(parts)),
        )
        .await?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, mime.to_string()),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}
