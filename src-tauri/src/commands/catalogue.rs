use preau_core::model::Catalogue;
use tauri::State;

use crate::error::IpcResult;
use crate::state::AppState;

#[tauri::command(async)]
pub fn catalogue(state: State<'_, AppState>) -> IpcResult<Catalogue> {
    state.with_store(|s| s.catalogue())
}
