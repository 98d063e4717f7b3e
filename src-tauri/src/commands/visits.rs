use preau_core::model::{Participant, Visit, VisitPatch, VisitSummary};
use preau_core::visit_rows::VisitRow;
use tauri::State;

use crate::error::IpcResult;
use crate::state::AppState;

#[tauri::command(async)]
pub fn visit_create(
    state: State<'_, AppState>,
    commune_insee: String,
    scheduled_at: String,
) -> IpcResult<Visit> {
    state.with_store(|s| s.visit_create(&commune_insee, &scheduled_at))
}

#[tauri::command(async)]
pub fn visit_get(state: State<'_, AppState>, id: String) -> IpcResult<Visit> {
    state.with_store(|s| s.visit(&id))
}

#[tauri::command(async)]
pub fn visits_list(state: State<'_, AppState>) -> IpcResult<Vec<VisitSummary>> {
    state.with_store(|s| s.visits_list())
}

/// The « Visites » list and « À relancer »: a proposal's « expirée » is on the laptop's day.
#[tauri::command(async)]
pub fn visit_rows(state: State<'_, AppState>) -> IpcResult<Vec<VisitRow>> {
    let today = chrono::Local::now().date_naive();
    state.with_store(|s| s.visit_rows(today))
}

#[tauri::command(async)]
pub fn visit_update(state: State<'_, AppState>, id: String, patch: VisitPatch) -> IpcResult<Visit> {
    state.with_store(|s| s.visit_update(&id, &patch))
}

#[tauri::command(async)]
pub fn participant_save(
    state: State<'_, AppState>,
    visit_id: String,
    participant: Participant,
) -> IpcResult<Participant> {
    state.with_store(|s| s.participant_save(&visit_id, &participant))
}

#[tauri::command(async)]
pub fn participant_delete(
    state: State<'_, AppState>,
    visit_id: String,
    id: String,
) -> IpcResult<()> {
    state.with_store(|s| s.participant_delete(&visit_id, &id))
}
