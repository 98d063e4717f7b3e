use preau_core::map::{CommuneMap, Neighbourhood};
use preau_core::model::{CommuneHit, CommuneSheet};
use tauri::State;

use crate::error::IpcResult;
use crate::state::AppState;

const MAX_RESULTS: u32 = 50;

#[tauri::command(async)]
pub fn communes_search(
    state: State<'_, AppState>,
    query: String,
    limit: u32,
) -> IpcResult<Vec<CommuneHit>> {
    let limit = limit.min(MAX_RESULTS) as usize;
    state.with_store(|s| Ok(s.communes_search(&query, limit)))
}

#[tauri::command(async)]
pub fn commune_sheet(state: State<'_, AppState>, insee: String) -> IpcResult<CommuneSheet> {
    state.with_store(|s| s.commune_sheet(&insee))
}

/// The département's map with each commune's stage on this laptop (issue 14).
#[tauri::command(async)]
pub fn commune_map(state: State<'_, AppState>) -> IpcResult<CommuneMap> {
    state.with_store(|s| s.commune_map())
}

/// A commune and its neighbours, for its sheet.
#[tauri::command(async)]
pub fn commune_neighbourhood(
    state: State<'_, AppState>,
    insee: String,
) -> IpcResult<Neighbourhood> {
    state.with_store(|s| s.commune_neighbourhood(&insee))
}
