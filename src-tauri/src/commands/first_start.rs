//! The first start of an installed app: whether the window shows the welcome, the path
//! the adviser chose in it, and its end (`preau_core::first_start`).

use preau_core::first_start::{FirstStart, WelcomePath};
use tauri::State;

use crate::error::IpcResult;
use crate::state::AppState;

#[tauri::command(async)]
pub fn first_start(state: State<'_, AppState>) -> IpcResult<FirstStart> {
    state.with_store(|s| s.first_start())
}

#[tauri::command(async)]
pub fn welcome_choose(state: State<'_, AppState>, path: WelcomePath) -> IpcResult<FirstStart> {
    state.with_store(|s| s.welcome_choose(path))
}

#[tauri::command(async)]
pub fn welcome_done(state: State<'_, AppState>) -> IpcResult<FirstStart> {
    state.with_store(|s| s.welcome_done())
}
