use std::path::PathBuf;

use preau_core::model::{AppStatus, Home, Labels};
use tauri::State;

use crate::error::IpcResult;
use crate::state::AppState;

#[tauri::command(async)]
pub fn app_status(state: State<'_, AppState>) -> AppStatus {
    state.status()
}

#[tauri::command(async)]
pub fn restore_backup(state: State<'_, AppState>, path: String) -> IpcResult<AppStatus> {
    state.restore_backup(&PathBuf::from(path))
}

#[tauri::command(async)]
pub fn home(state: State<'_, AppState>) -> IpcResult<Home> {
    let now = chrono::Local::now().naive_local();
    state.with_store(|s| s.home(now))
}

#[tauri::command(async)]
pub fn labels() -> Labels {
    Labels::french()
}

/// A fresh UUIDv7 for a record the UI creates before its first save.
#[tauri::command(async)]
pub fn new_id() -> String {
    preau_core::make_id()
}

/// Called by the UI once its first screen is interactive. With `PREAU_BENCH_READY` set,
/// prints `READY <unix ms>` for `scripts/bench-startup.sh`; otherwise only logs.
#[tauri::command(async)]
pub fn ui_ready(screen: String) {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    if std::env::var_os("PREAU_BENCH_READY").is_some() {
        println!("READY {ms} {screen}");
    }
    tracing::debug!(screen, "ui ready");
}
