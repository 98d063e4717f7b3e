//! The crate's one error enum. `Display` is English (logs, the server's console); the
//! French text meant for people is carried inside each variant, as the parsers wrote it.

use serde::{Deserialize, Serialize};

/// One refused row of an import, with its line number in the file (header = line 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RowError {
    pub line: u64,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A directory file refused: every bad row of the département, each at its line. A file
    /// refused as a whole (encoding, size, header) is one row at line 1.
    #[error("file refused: {} bad row(s)", .0.len())]
    Rejected(Vec<RowError>),
    /// A catalogue refused: one French sentence naming the line and the column, ending
    /// « Le catalogue n'a pas été importé. » (the whole file is used or none of it).
    #[error("catalogue refused: {0}")]
    Catalogue(String),
    /// Funding rules refused: not the expected JSON (serde's English message), or an
    /// impossible value (a French sentence naming the programme).
    #[error("funding rules: {0}")]
    Funding(String),
    /// Data built into the binary is unreadable: a packaging bug, never the user's input.
    #[error("embedded reference data: {0}")]
    Embedded(String),
    /// Writing a CSV to memory failed, which only a bug can cause.
    #[error("writing CSV: {0}")]
    Write(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn rejected_at(line: u64, reason: impl Into<String>) -> Error {
        Error::Rejected(vec![RowError {
            line,
            reason: reason.into(),
        }])
    }
}
