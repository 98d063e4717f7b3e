use preau_core::model::{ImportReport, School, SchoolInput};
use tauri::ipc::{InvokeBody, Request};
use tauri::State;

use preau_core::ErrorCode;

use crate::error::{IpcError, IpcResult};
use crate::state::AppState;

#[tauri::command(async)]
pub fn school_save(state: State<'_, AppState>, input: SchoolInput) -> IpcResult<School> {
    state.with_store(|s| s.school_save(&input))
}

/// Imports the national school directory from the bytes of the CSV file the user picked,
/// sent raw: the core detects its encoding (Windows-1252 once re-saved by Excel), which a
/// text decoded by the web view would already have lost; and 40 MB as JSON would not do.
#[tauri::command(async)]
pub fn schools_import(state: State<'_, AppState>, request: Request<'_>) -> IpcResult<ImportReport> {
    let InvokeBody::Raw(file) = request.body() else {
        tracing::error!("schools_import called with a JSON body instead of the file's bytes");
        return Err(IpcError::new(
            ErrorCode::Internal,
            "Le fichier n'a pas été transmis correctement : réessayez.",
        ));
    };
    state.with_store(|s| s.schools_import(file))
}
