//! The one error type crossing the IPC boundary: `{code, message, field, details}`, with a
//! French `message` for the adviser and a `code` from one enum (`preau_core::ErrorCode`,
//! exported to TypeScript): the window switches on the code and the field, never on the
//! message. Details for developers go to the log only.

use preau_core::model::RowError;
use preau_core::ErrorCode;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct IpcError {
    pub code: ErrorCode,
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

impl From<preau_sync::Error> for IpcError {
    /// The engine's refusal as the window shows it: its code and the form field it is
    /// about (the server's address or the enrollment code).
    fn from(e: preau_sync::Error) -> Self {
        if let preau_sync::Error::Store(e) = e {
            return e.into();
        }
        tracing::warn!(error = %e, "sync command refused");
        IpcError {
            code: e.code(),
            message: e.user_message(),
            field: e.field(),
            details: None,
        }
    }
}

impl IpcError {
    /// An error of the shell itself (files, system programs): `message` is French and
    /// the English detail has already been logged by the caller.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        IpcError {
            code,
            message: message.into(),
            field: None,
            details: None,
        }
    }

    pub fn store_unavailable() -> Self {
        IpcError::new(
            ErrorCode::StoreUnavailable,
            "Les données de Préau ne sont pas ouvertes.",
        )
    }
}

pub type IpcResult<T> = Result<T, IpcError>;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn wire(e: IpcError) -> Value {
        serde_json::to_value(e).expect("serialise")
    }

    #[test]
    fn a_refused_value_names_its_code_and_field() {
        let e = preau_core::Error::Invalid {
            field: "email",
            message: "Adresse e-mail invalide.".into(),
        };
        assert_eq!(
            wire(e.into()),
            json!({"code": "invalid_input", "message": "Adresse e-mail invalide.",
                   "field": "email", "details": null})
        );
    }

    #[test]
    fn a_rejected_import_carries_its_rows() {
        let rows = vec![RowError {
            line: 5,
            reason: "UAI manquant".into(),
        }];
        let v = wire(preau_core::Error::ImportRejected(rows).into());
        assert_eq!(v["code"], "import_rejected");
        assert_eq!(v["details"], json!([{"line": 5, "reason": "UAI manquant"}]));
    }

    #[test]
    fn every_core_error_keeps_its_code() {
        let cases = [
            (
                preau_core::Error::NotFound {
                    what: "visit",
                    id: "x".into(),
                },
                "not_found",
            ),
            (
                preau_core::Error::NewerSchema {
                    found: 99,
                    supported: 8,
                },
                "newer_schema",
            ),
            (
                preau_core::Error::Corrupt {
                    path: "/x".into(),
                    reason: "bad".into(),
                },
                "corrupt_store",
            ),
            (
                preau_core::Error::Io(std::io::Error::other("disk full")),
                "storage",
            ),
            (preau_core::Error::Reference("bad".into()), "reference_data"),
        ];
        for (e, code) in cases {
            let v = wire(e.into());
            assert_eq!(v["code"], code);
            assert_eq!(v["field"], Value::Null);
        }
    }

    #[test]
    fn sync_refusals_keep_their_code_and_field() {
        let cases = [
            (preau_sync::Error::MissingUrl, "invalid_input", json!("url")),
            (
                preau_sync::Error::MissingCode,
                "invalid_input",
                json!("code"),
            ),
            (preau_sync::Error::Busy, "busy", Value::Null),
            (preau_sync::Error::Revoked, "revoked", Value::Null),
            (preau_sync::Error::Expired, "token_expired", Value::Null),
            (preau_sync::Error::NotEnrolled, "not_enrolled", Value::Null),
            (
                preau_sync::Error::Network("down".into()),
                "offline",
                Value::Null,
            ),
            (
                preau_sync::Error::Refused {
                    status: 403,
                    code: preau_protocol::ErrorCode::InvalidEnrollmentCode,
                    message: String::new(),
                },
                "invalid_enrollment_code",
                json!("code"),
            ),
            (
                preau_sync::Error::Refused {
                    status: 500,
                    code: preau_protocol::ErrorCode::Internal,
                    message: String::new(),
                },
                "sync_refused",
                Value::Null,
            ),
        ];
        for (e, code, field) in cases {
            let v = wire(e.into());
            assert_eq!((&v["code"], &v["field"]), (&json!(code), &field), "{v}");
        }
    }

    #[test]
    fn a_store_error_in_the_sync_keeps_the_core_field() {
        let e = preau_sync::Error::Store(preau_core::Error::Invalid {
            field: "notes",
            message: "Trop long.".into(),
        });
        let v = wire(e.into());
        assert_eq!(
            (&v["code"], &v["field"]),
            (&json!("invalid_input"), &json!("notes"))
        );
    }

    #[test]
    fn the_shell_s_own_errors_serialise_their_code() {
        assert_eq!(
            wire(IpcError::store_unavailable())["code"],
            "store_unavailable"
        );
        assert_eq!(
            wire(IpcError::new(ErrorCode::NoPrinter, "Aucune imprimante."))["code"],
            "no_printer"
        );
    }
}
