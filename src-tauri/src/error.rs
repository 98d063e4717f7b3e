//! The one error type crossing the IPC boundary: `{code, message, field, details}`, with a
//! French `message` for the adviser. Details for developers go to the log only.

use preau_core::model::RowError;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct IpcError {
    pub code: &'static str,
    pub message: String,
    pub field: Option<&'static str>,
    pub details: Option<Vec<RowError>>,
}

impl From<preau_core::Error> for IpcError {
    fn from(e: preau_core::Error) -> Self {
        match &e {
            preau_core::Error::Invalid { .. } | preau_core::Error::ImportRejected(_) => {
                tracing::info!(error = %e, "input refused")
            }
            _ => tracing::error!(error = %e, "command failed"),
        }
        IpcError {
            code: e.code(),
            message: e.user_message(),
            field: e.field(),
            details: match e {
                preau_core::Error::ImportRejected(rows) => Some(rows),
                _ => None,
            },
        }
    }
}

impl IpcError {
    /// An error of the shell itself (files, system programs): `message` is French and
    /// the English detail has already been logged by the caller.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        IpcError {
            code,
            message: message.into(),
            field: None,
            details: None,
        }
    }

    pub fn store_unavailable() -> Self {
        IpcError {
            code: "store_unavailable",
            message: "Les données de Préau ne sont pas ouvertes.".to_string(),
            field: None,
            details: None,
        }
    }
}

pub type IpcResult<T> = Result<T, IpcError>;
