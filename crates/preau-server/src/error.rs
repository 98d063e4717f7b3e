//! The crate's one error enum, and how it becomes an HTTP answer.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use preau_protocol::{ErrorBody, ErrorCode};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A client error: shown to the client as `{code, message}`.
    #[error("{message}")]
    Client {
        status: StatusCode,
        code: ErrorCode,
        message: String,
    },
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("postgres: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    #[error("stored JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error("background task: {0}")]
    Join(#[from] tokio::task::JoinError),
    #[error("random source: {0}")]
    Random(String),
    #[error("storage: {0}")]
    Storage(String),
    #[error("reference data: {0}")]
    Reference(String),
    #[error("tls: {0}")]
    Tls(String),
    #[error("configuration: {0}")]
    Config(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn client(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Error {
        Error::Client {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn invalid(message: impl Into<String>) -> Error {
        Error::client(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::InvalidBody,
            message,
        )
    }

    pub fn unauthorized(code: ErrorCode, message: impl Into<String>) -> Error {
        Error::client(StatusCode::UNAUTHORIZED, code, message)
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        match self {
            Error::Client {
                status,
                code,
                message,
            } => {
                tracing::debug!(code = code.as_str(), %message, "client error");
                let mut response = (status, Json(ErrorBody { code, message })).into_response();
                // For the refusal's log line (`middleware.rs`).
                response.extensions_mut().insert(code);
                response
            }
            other => {
                // Internal details go to the log, never to the client.
                tracing::error!(error = %other, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Json(ErrorBody {
                        code: ErrorCode::Internal,
                        message: "internal server error".into(),
                    }),
                )
                    .into_response()
            }
        }
    }
}
