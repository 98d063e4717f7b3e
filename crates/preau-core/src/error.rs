//! The one error type of preau-core. `Display` is English (for logs); `user_message` is the
//! French text shown to the adviser.

use std::path::PathBuf;

use crate::model::RowError;
use crate::ErrorCode;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input refused before anything was written.
    #[error("invalid {field}: {message}")]
    Invalid {
        field: &'static str,
        /// French, shown next to the field.
        message: String,
    },
    #[error("{what} not found: {id}")]
    NotFound { what: &'static str, id: String },
    #[error("database schema version {found} is newer than supported version {supported}")]
    NewerSchema { found: i64, supported: i64 },
    #[error("database file {path} is unreadable or corrupt: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    #[error("import refused: {} bad row(s)", .0.len())]
    ImportRejected(Vec<RowError>),
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error("embedded reference data is invalid: {0}")]
    Reference(String),
    /// The store is encrypted and its key is not in the keyring (another session or user,
    /// a keyring reset): the file is left as it is.
    #[error("the key of the encrypted store {path} is not in the keyring")]
    KeyMissing { path: PathBuf },
    /// The OS keyring could not be asked or did not keep a secret.
    #[error("keyring: {0}")]
    Keyring(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Error::Invalid {
            field,
            message: message.into(),
        }
    }

    /// A stable, machine-readable code for the UI and scripts.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Invalid { .. } => ErrorCode::InvalidInput,
            Error::NotFound { .. } => ErrorCode::NotFound,
            Error::NewerSchema { .. } => ErrorCode::NewerSchema,
            Error::Corrupt { .. } => ErrorCode::CorruptStore,
            Error::ImportRejected(_) => ErrorCode::ImportRejected,
            Error::Sqlite(_) | Error::Io(_) => ErrorCode::Storage,
            Error::Reference(_) => ErrorCode::ReferenceData,
            Error::KeyMissing { .. } => ErrorCode::StoreKeyMissing,
            Error::Keyring(_) => ErrorCode::KeyringUnavailable,
        }
    }

    /// The field an `Invalid` error is about, for inline display.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Error::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }

    /// French text for the adviser, with typographic apostrophes (« l’école »), whatever
    /// wrote it. Internal details stay in the logs.
    pub fn user_message(&self) -> String {
        crate::format::apostrophes(&self.french())
    }

    fn french(&self) -> String {
        match self {
            Error::Invalid { message, .. } => message.clone(),
            Error::NotFound { what, .. } => format!("Élément introuvable ({what})."),
            Error::NewerSchema { .. } => "Ces données ont été enregistrées par une version plus récente de Préau. \
                 Installez la dernière version de Préau pour les ouvrir ; le fichier n'a pas été modifié."
                .to_string(),
            Error::Corrupt { .. } => "Le fichier de données de Préau est illisible ou endommagé. \
                 Il n'a pas été modifié. Vous pouvez restaurer la dernière sauvegarde."
                .to_string(),
            Error::ImportRejected(rows) => format!(
                "Import refusé : {} ligne{} invalide{}. Aucune école n'a été importée.",
                rows.len(),
                if rows.len() > 1 { "s" } else { "" },
                if rows.len() > 1 { "s" } else { "" }
            ),
            Error::Sqlite(_) | Error::Io(_) => {
                "L'enregistrement a échoué (erreur de stockage). Rien n'a été modifié.".to_string()
            }
            Error::Reference(_) => "Les données de référence intégrées sont invalides.".to_string(),
            Error::KeyMissing { .. } => "Vos données Préau sont chiffrées, et la clé qui les ouvre \
                 n'est pas dans le trousseau de cette session (autre session ou autre utilisateur, \
                 trousseau réinitialisé). Rien n'a été effacé. Si vous retrouvez votre session \
                 habituelle, ouvrez Préau depuis celle-ci. Sinon, Préau peut mettre ces données \
                 de côté (sans les supprimer) et repartir d'un poste neuf : reliez-le ensuite au \
                 serveur du syndicat pour récupérer vos visites."
                .to_string(),
            Error::Keyring(_) => "Le trousseau du système (où Préau garde la clé de ses données) \
                 ne répond pas. Ouvrez votre session de bureau habituelle, déverrouillez le \
                 trousseau, puis réessayez. Rien n'a été modifié."
                .to_string(),
        }
    }
}

/// The parsers' refusals, as the UI has always received them: a directory's bad rows as
/// `ImportRejected` (listed at their lines), a catalogue's sentence as `Invalid` at field
/// `catalogue`, funding rules as reference data refused.
impl From<preau_reference::Error> for Error {
    fn from(e: preau_reference::Error) -> Self {
        use preau_reference::Error as R;
        match e {
            R::Rejected(rows) => Error::ImportRejected(rows),
            R::Catalogue(message) => Error::invalid("catalogue", message),
            R::Funding(message) => Error::Reference(format!("funding rules: {message}")),
            R::Embedded(message) => Error::Reference(message),
            R::Write(message) => Error::Io(std::io::Error::other(message)),
        }
    }
}
