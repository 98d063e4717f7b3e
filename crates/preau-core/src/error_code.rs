//! The codes of the errors that cross the IPC boundary: one enum for every refusal the
//! window can receive, from the core (`Error::code`), the sync engine
//! (`preau_sync::Error::code`) and the shell itself (`src-tauri/src/error.rs`). Exported to
//! TypeScript (`ui/src/api/types/ErrorCode.ts`): the UI switches on these, never on the
//! French message, which is only shown.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What went wrong, for the UI and scripts: a stable `snake_case` string on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ErrorCode {
    // ----- The core (`preau_core::Error`) -----
    /// A value refused before anything was written; `field` names the field.
    InvalidInput,
    /// The record asked for does not exist (any more).
    NotFound,
    /// The store was written by a newer Préau.
    NewerSchema,
    /// The store file is unreadable or damaged.
    CorruptStore,
    /// A directory file refused as a whole; `details` lists its bad rows.
    ImportRejected,
    /// SQLite or the disk failed: nothing was written, trying again may work.
    Storage,
    /// The reference data built into the binary is invalid.
    ReferenceData,
    /// The store is encrypted and its key is not in this session's keyring.
    StoreKeyMissing,
    /// The OS keyring (Secret Service…) cannot be reached or did not keep a secret.
    KeyringUnavailable,

    // ----- The shell (`src-tauri`) -----
    /// The store is not open (start failed, restore in progress).
    StoreUnavailable,
    /// A failure of Préau itself or of the IPC (a command's task died, a malformed call).
    Internal,
    /// `proposal_issue` refused: edits of the visit are still waiting in the journal.
    UnsavedEdits,
    /// A visit could not be turned into its JSON document.
    ExportFailed,
    /// « Exporter toutes les visites » on a laptop with no visit.
    NothingToExport,
    /// A file (export, PDF) could not be written.
    WriteFailed,
    /// The journal of edits waiting could not be written.
    JournalFailed,
    /// The PDF could not be drawn.
    PdfFailed,
    /// No PDF viewer could be started.
    NoViewer,
    /// No printer (no `lp`, or it could not run).
    NoPrinter,
    /// The printer refused the job.
    PrintFailed,

    // ----- The sync (`preau_sync::Error`) -----
    /// A sync or an enrollment is already running.
    Busy,
    /// The syndicate revoked this laptop.
    Revoked,
    /// This laptop is not enrolled.
    NotEnrolled,
    /// The server cannot be reached.
    Offline,
    /// The server refused the enrollment code (unknown, used or expired); `field` is `code`.
    InvalidEnrollmentCode,
    /// The server refused the sync for another reason, or answered something unexpected.
    SyncRefused,
    /// The server let this laptop's token expire (not used for too long): enroll again.
    TokenExpired,
}

impl ErrorCode {
    /// Every code, in declaration order.
    pub const ALL: [ErrorCode; 27] = [
        ErrorCode::InvalidInput,
        ErrorCode::NotFound,
        ErrorCode::NewerSchema,
        ErrorCode::CorruptStore,
        ErrorCode::ImportRejected,
        ErrorCode::Storage,
        ErrorCode::ReferenceData,
        ErrorCode::StoreKeyMissing,
        ErrorCode::KeyringUnavailable,
        ErrorCode::StoreUnavailable,
        ErrorCode::Internal,
        ErrorCode::UnsavedEdits,
        ErrorCode::ExportFailed,
        ErrorCode::NothingToExport,
        ErrorCode::WriteFailed,
        ErrorCode::JournalFailed,
        ErrorCode::PdfFailed,
        ErrorCode::NoViewer,
        ErrorCode::NoPrinter,
        ErrorCode::PrintFailed,
        ErrorCode::Busy,
        ErrorCode::Revoked,
        ErrorCode::NotEnrolled,
        ErrorCode::Offline,
        ErrorCode::InvalidEnrollmentCode,
        ErrorCode::SyncRefused,
        ErrorCode::TokenExpired,
    ];

    /// The code as it is on the wire (`"invalid_input"`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::NotFound => "not_found",
            ErrorCode::NewerSchema => "newer_schema",
            ErrorCode::CorruptStore => "corrupt_store",
            ErrorCode::ImportRejected => "import_rejected",
            ErrorCode::Storage => "storage",
            ErrorCode::ReferenceData => "reference_data",
            ErrorCode::StoreKeyMissing => "store_key_missing",
            ErrorCode::KeyringUnavailable => "keyring_unavailable",
            ErrorCode::StoreUnavailable => "store_unavailable",
            ErrorCode::Internal => "internal",
            ErrorCode::UnsavedEdits => "unsaved_edits",
            ErrorCode::ExportFailed => "export_failed",
            ErrorCode::NothingToExport => "nothing_to_export",
            ErrorCode::WriteFailed => "write_failed",
            ErrorCode::JournalFailed => "journal_failed",
            ErrorCode::PdfFailed => "pdf_failed",
            ErrorCode::NoViewer => "no_viewer",
            ErrorCode::NoPrinter => "no_printer",
            ErrorCode::PrintFailed => "print_failed",
            ErrorCode::Busy => "busy",
            ErrorCode::Revoked => "revoked",
            ErrorCode::NotEnrolled => "not_enrolled",
            ErrorCode::Offline => "offline",
            ErrorCode::InvalidEnrollmentCode => "invalid_enrollment_code",
            ErrorCode::SyncRefused => "sync_refused",
            ErrorCode::TokenExpired => "token_expired",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use ts_rs::TS;

    use super::ErrorCode;

    #[test]
    fn every_code_round_trips_through_json_as_its_str() {
        let mut seen = HashSet::new();
        for code in ErrorCode::ALL {
            let json = serde_json::to_value(code).expect("serialise");
            assert_eq!(json, serde_json::Value::from(code.as_str()), "{code:?}");
            let back: ErrorCode = serde_json::from_value(json).expect("deserialise");
            assert_eq!(back, code);
            assert!(seen.insert(code.as_str()), "{} twice", code.as_str());
        }
        assert!(serde_json::from_str::<ErrorCode>("\"Invalid input\"").is_err());
    }

    /// The union ts-rs writes for the enum, as its list of strings.
    fn union_of(ts: &str) -> Vec<String> {
        let decl = ts
            .split("export type ErrorCode =")
            .nth(1)
            .expect("the ErrorCode declaration");
        let decl = decl.split(';').next().unwrap_or_default();
        decl.split('|')
            .map(|s| s.trim().trim_matches('"').to_string())
            .collect()
    }

    #[test]
    fn all_lists_every_variant() {
        // The declaration is generated from the enum itself: a variant left out of `ALL`
        // (and so out of the round trip above) shows here.
        let cfg = ts_rs::Config::from_env();
        let ts = ErrorCode::export_to_string(&cfg).expect("export");
        let want: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(union_of(&ts), want);
    }

    #[test]
    fn the_typescript_file_is_up_to_date() {
        // The file the UI compiles against, as it was when this test was built (ts-rs's own
        // export test rewrites it during this run; `scripts/test.sh` also checks git diff).
        let on_disk = include_str!("../../../ui/src/api/types/ErrorCode.ts");
        let cfg = ts_rs::Config::from_env();
        let generated = ErrorCode::export_to_string(&cfg).expect("export");
        assert_eq!(
            on_disk, generated,
            "ui/src/api/types/ErrorCode.ts is stale: run `cargo test -p preau-core` and commit it"
        );
    }
}
