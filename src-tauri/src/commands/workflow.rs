//! The visit workflow: project, situation, scenarios and lines. Line edits answer with
//! their scenario (lines and funding plan) so the totals panel follows each keystroke.

use preau_core::workflow::{
    self, ClassSituation, LineInput, Pedagogy, Scenario, ScenarioView, SchoolSituation, Suggestion,
    Workflow, WorkflowOptions,
};
use tauri::State;

use crate::error::IpcResult;
use crate::state::AppState;

#[tauri::command(async)]
pub fn workflow(state: State<'_, AppState>, visit_id: String) -> IpcResult<Workflow> {
    state.with_store(|s| s.workflow(&visit_id))
}

#[tauri::command(async)]
pub fn workflow_options() -> WorkflowOptions {
    workflow::options()
}

#[tauri::command(async)]
pub fn pedagogy_save(
    state: State<'_, AppState>,
    visit_id: String,
    pedagogy: Pedagogy,
) -> IpcResult<Pedagogy> {
    state.with_store(|s| s.pedagogy_save(&visit_id, &pedagogy))
}

#[tauri::command(async)]
pub fn class_save(
    state: State<'_, AppState>,
    visit_id: String,
    class: ClassSituation,
) -> IpcResult<ClassSituation> {
    state.with_store(|s| s.class_save(&visit_id, &class))
}

#[tauri::command(async)]
pub fn class_delete(state: State<'_, AppState>, visit_id: String, id: String) -> IpcResult<()> {
    state.with_store(|s| s.class_delete(&visit_id, &id))
}

#[tauri::command(async)]
pub fn school_situation_save(
    state: State<'_, AppState>,
    visit_id: String,
    situation: SchoolSituation,
) -> IpcResult<SchoolSituation> {
    state.with_store(|s| s.school_situation_save(&visit_id, &situation))
}

#[tauri::command(async)]
pub fn scenario_add(
    state: State<'_, AppState>,
    visit_id: String,
    title: String,
) -> IpcResult<Scenario> {
    state.with_store(|s| s.scenario_add(&visit_id, &title))
}

#[tauri::command(async)]
pub fn scenario_rename(
    state: State<'_, AppState>,
    visit_id: String,
    id: String,
    title: String,
) -> IpcResult<Scenario> {
    state.with_store(|s| s.scenario_rename(&visit_id, &id, &title))
}

#[tauri::command(async)]
pub fn scenario_delete(state: State<'_, AppState>, visit_id: String, id: String) -> IpcResult<()> {
    state.with_store(|s| s.scenario_delete(&visit_id, &id))
}

#[tauri::command(async)]
pub fn line_save(
    state: State<'_, AppState>,
    visit_id: String,
    line: LineInput,
) -> IpcResult<ScenarioView> {
    state.with_store(|s| {
        s.line_save(&visit_id, &line)?;
        s.scenario_view(&visit_id, &line.scenario_id)
    })
}

#[tauri::command(async)]
pub fn line_delete(
    state: State<'_, AppState>,
    visit_id: String,
    scenario_id: String,
    id: String,
) -> IpcResult<ScenarioView> {
    state.with_store(|s| {
        s.line_delete(&visit_id, &id)?;
        s.scenario_view(&visit_id, &scenario_id)
    })
}

#[tauri::command(async)]
pub fn line_reprice(
    state: State<'_, AppState>,
    visit_id: String,
    scenario_id: String,
    id: String,
) -> IpcResult<ScenarioView> {
    state.with_store(|s| {
        s.line_reprice(&visit_id, &id)?;
        s.scenario_view(&visit_id, &scenario_id)
    })
}

#[tauri::command(async)]
pub fn socle_suggestions(
    state: State<'_, AppState>,
    visit_id: String,
    scenario_id: String,
) -> IpcResult<Vec<Suggestion>> {
    state.with_store(|s| s.socle_suggestions(&visit_id, &scenario_id))
}
