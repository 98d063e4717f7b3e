use std::path::PathBuf;
use std::sync::Arc;

use preau_core::model::{AppStatus, Home, Labels};
use tauri::State;

use crate::error::IpcResult;
use crate::state::AppState;
use crate::sync_worker::SyncWorker;

#[tauri::command(async)]
pub fn app_status(state: State<'_, AppState>) -> AppStatus {
    state.status()
}

/// Restores a backup in place of the store file. The background sync has its own
/// connection (`sync_worker.rs`): it is told the file changed, drops that connection (on
/// the file set aside) and opens one on the restored file, rather than syncing the old one.
/// In practice that connection is not even open: a restore is offered when the store could
/// not be opened at start, and the worker opens its connection only once the window's is.
#[tauri::command(async)]
pub fn restore_backup(
    state: State<'_, AppState>,
    worker: State<'_, Arc<SyncWorker>>,
    path: String,
) -> IpcResult<AppStatus> {
    let status = state.restore_backup(&PathBuf::from(path))?;
    worker.store_replaced();
    Ok(status)
}

/// « Réessayer » on the recovery screen: opens the store again if it is not open (a
/// keyring unlocked since, a disk back), then says what the app may do.
#[tauri::command(async)]
pub fn app_reopen(state: State<'_, AppState>, worker: State<'_, Arc<SyncWorker>>) -> AppStatus {
    let status = state.reopen();
    worker.store_replaced();
    status
}

/// « Mettre ces données de côté et repartir » when the store's key is lost: the store and
/// its backups are renamed aside (never deleted) and a new store is made; the window then
/// shows the welcome, whose enrollment and first sync bring the adviser's data back.
#[tauri::command(async)]
pub fn store_start_over(
    state: State<'_, AppState>,
    worker: State<'_, Arc<SyncWorker>>,
) -> IpcResult<AppStatus> {
    let status = state.start_over()?;
    worker.store_replaced();
    Ok(status)
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
