use preau_core::model::{ImportReport, School, SchoolInput};
use tauri::State;

use crate::error::IpcResult;
use crate::state::AppState;

#[tauri::command(async)]
pub fn school_save(state: State<'_, AppState>, input: SchoolInput) -> IpcResult<School> {
    state.with_store(|s| s.school_save(&input))
}

/// Imports the national school directory from the text of a CSV file the user picked.
#[tauri::command(async)]
pub fn schools_import(state: State<'_, AppState>, csv: String) -> IpcResult<ImportReport> {
    state.with_store(|s| s.schools_import(&csv))
}
