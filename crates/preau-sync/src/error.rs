//! The engine's one error type: English `Display` for logs, `user_message()` in French,
//! `code()` for the window (one of the IPC's `preau_core::ErrorCode`s), `field()` for the
//! form field a refusal is about.

use preau_core::ErrorCode as IpcCode;
use preau_protocol::ErrorCode;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no server URL given")]
    MissingUrl,
    #[error("no enrollment code given")]
    MissingCode,
    #[error("a sync is already running")]
    Busy,
    #[error("this laptop is not enrolled")]
    NotEnrolled,
    #[error("refusing plain HTTP to a non-loopback server: {0}")]
    InsecureUrl(String),
    #[error("bad server URL {0}")]
    BadUrl(String),
    #[error("device revoked")]
    Revoked,
    /// The server let this laptop's token expire (unused for too long).
    #[error("device token expired")]
    Expired,
    #[error("server refused: {status} {code:?}: {message}")]
    Refused {
        status: u16,
        code: ErrorCode,
        message: String,
    },
    #[error("network: {0}")]
    Network(String),
    #[error("unexpected answer: {0}")]
    Protocol(String),
    #[error("store: {0}")]
    Store(#[from] preau_core::Error),
}

impl Error {
    /// A French message for the user.
    pub fn user_message(&self) -> String {
        match self {
            Error::MissingUrl => "Saisissez l'adresse du serveur du syndicat.".into(),
            Error::MissingCode => "Saisissez le code d'enrôlement remis par le syndicat.".into(),
            Error::Busy => "Une synchronisation est en cours : réessayez dans un instant.".into(),
            Error::NotEnrolled => {
                "Ce poste n'est pas enrôlé : saisissez l'adresse du serveur et le code \
                 d'enrôlement (preau-cli enroll URL CODE)."
                    .into()
            }
            Error::InsecureUrl(url) => format!(
                "Adresse refusée : {url} n'est pas en HTTPS (HTTP n'est permis que vers ce poste)."
            ),
            Error::BadUrl(url) => format!("Adresse de serveur invalide : {url}"),
            Error::Revoked => "Ce poste a été révoqué par le syndicat : il ne peut plus se \
                               synchroniser. Vos données locales restent disponibles et \
                               exportables."
                .into(),
            Error::Expired => "Ce poste ne s'est pas synchronisé depuis trop longtemps : son \
                               accès au serveur du syndicat a expiré. Enrôlez-le à nouveau avec \
                               un code remis par le syndicat ; vos données locales sont \
                               conservées."
                .into(),
            Error::Refused { code, .. } => match code {
                ErrorCode::InvalidEnrollmentCode => {
                    "Code d'enrôlement inconnu, déjà utilisé ou expiré.".into()
                }
                ErrorCode::InvalidToken | ErrorCode::MissingToken => {
                    "Le serveur ne reconnaît pas ce poste : enrôlez-le à nouveau.".into()
                }
                ErrorCode::UnsupportedProtocol | ErrorCode::InvalidChange => {
                    "Le serveur et Préau n'ont pas la même version : mettez Préau à jour.".into()
                }
                ErrorCode::QuotaExceeded => "Le serveur a reçu trop de modifications de ce \
                                             poste en une heure : la synchronisation \
                                             reprendra plus tard."
                    .into(),
                ErrorCode::RequestTimeout => "Le serveur n'a pas répondu à temps : la \
                                              synchronisation reprendra plus tard."
                    .into(),
                _ => format!(
                    "Le serveur a refusé la synchronisation ({}).",
                    code.as_str()
                ),
            },
            Error::Network(_) => "Serveur injoignable : la synchronisation reprendra plus tard, \
                                  là où elle s'est arrêtée."
                .into(),
            Error::Protocol(_) => "Réponse inattendue du serveur.".into(),
            Error::Store(e) => e.user_message(),
        }
    }

    /// The code the window switches on; a store error keeps the core's own.
    pub fn code(&self) -> IpcCode {
        match self {
            Error::MissingUrl | Error::MissingCode | Error::InsecureUrl(_) | Error::BadUrl(_) => {
                IpcCode::InvalidInput
            }
            Error::Busy => IpcCode::Busy,
            Error::Revoked => IpcCode::Revoked,
            Error::Expired => IpcCode::TokenExpired,
            Error::NotEnrolled => IpcCode::NotEnrolled,
            Error::Network(_) => IpcCode::Offline,
            Error::Refused {
                code: ErrorCode::InvalidEnrollmentCode,
                ..
            } => IpcCode::InvalidEnrollmentCode,
            Error::Refused { .. } | Error::Protocol(_) => IpcCode::SyncRefused,
            Error::Store(e) => e.code(),
        }
    }

    /// The form field a refusal is about (the address or the enrollment code).
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Error::MissingUrl | Error::InsecureUrl(_) | Error::BadUrl(_) => Some("url"),
            Error::MissingCode
            | Error::Refused {
                code: ErrorCode::InvalidEnrollmentCode,
                ..
            } => Some("code"),
            _ => None,
        }
    }

    /// Worth retrying: the network or the server failed, not the request.
    pub(crate) fn retryable(&self) -> bool {
        match self {
            Error::Network(_) | Error::Protocol(_) => true,
            // A 408: the server gave up on a slow request (a poor link); the next try
            // may well go through.
            Error::Refused { status, code, .. } => {
                *status >= 500 || *code == ErrorCode::RequestTimeout
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_has_its_code_and_field() {
        let refused = |code| Error::Refused {
            status: 401,
            code,
            message: String::new(),
        };
        let cases: Vec<(Error, IpcCode, Option<&str>)> = vec![
            (Error::MissingUrl, IpcCode::InvalidInput, Some("url")),
            (Error::MissingCode, IpcCode::InvalidInput, Some("code")),
            (
                Error::InsecureUrl("http://x".into()),
                IpcCode::InvalidInput,
                Some("url"),
            ),
            (
                Error::BadUrl("x".into()),
                IpcCode::InvalidInput,
                Some("url"),
            ),
            (Error::Busy, IpcCode::Busy, None),
            (Error::Revoked, IpcCode::Revoked, None),
            (Error::Expired, IpcCode::TokenExpired, None),
            (Error::NotEnrolled, IpcCode::NotEnrolled, None),
            (Error::Network("refused".into()), IpcCode::Offline, None),
            (
                refused(ErrorCode::InvalidEnrollmentCode),
                IpcCode::InvalidEnrollmentCode,
                Some("code"),
            ),
            (refused(ErrorCode::InvalidToken), IpcCode::SyncRefused, None),
            (Error::Protocol("?".into()), IpcCode::SyncRefused, None),
            (
                Error::Store(preau_core::Error::Io(std::io::Error::other("disk"))),
                IpcCode::Storage,
                None,
            ),
        ];
        for (error, code, field) in cases {
            assert_eq!((error.code(), error.field()), (code, field), "{error:?}");
            assert!(!error.user_message().is_empty());
        }
        assert!(Error::Expired
            .user_message()
            .contains("Enrôlez-le à nouveau"));
    }

    #[test]
    fn a_request_timeout_is_retried_other_refusals_are_not() {
        let refused = |status, code| Error::Refused {
            status,
            code,
            message: String::new(),
        };
        assert!(refused(408, ErrorCode::RequestTimeout).retryable());
        assert!(refused(503, ErrorCode::Unknown).retryable());
        assert!(!refused(401, ErrorCode::ExpiredToken).retryable());
        assert!(!refused(422, ErrorCode::InvalidBody).retryable());
        assert!(!Error::Expired.retryable());
    }
}
