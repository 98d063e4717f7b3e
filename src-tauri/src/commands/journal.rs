//! The journal of edits not yet acknowledged by the store (`journal.rs`): read once when
//! the window starts, replaced whole by the window at each change.

use tauri::State;

use preau_core::ErrorCode;

use crate::error::{IpcError, IpcResult};
use crate::journal::{Journal, JournalEntry, JournalState};

#[tauri::command(async)]
pub fn journal_read(journal: State<'_, Journal>) -> JournalState {
    journal.state()
}

/// Replaces the journal; a write overtaken by a newer one (`generation`) is ignored.
#[tauri::command(async)]
pub fn journal_write(
    journal: State<'_, Journal>,
    generation: u64,
    entries: Vec<JournalEntry>,
) -> IpcResult<()> {
    journal
        .replace(generation, entries)
        .map(|_| ())
        .map_err(|e| {
            tracing::error!(error = %e, "writing the edit journal failed");
            IpcError::new(
                ErrorCode::JournalFailed,
                "Le journal des modifications en attente n'a pas pu être écrit sur le disque.",
            )
        })
}
