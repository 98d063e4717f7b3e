//! Sync with the syndicate's server: state, enrollment, « Synchroniser », conflicts. The
//! sync itself runs in the background (`sync_worker.rs`); these commands only read the
//! state, record choices and wake it up.

use std::sync::Arc;

use preau_core::sync::{SyncConflict, SyncStatus};
use preau_core::ErrorCode;
use preau_sync::SyncOptions;
use tauri::State;

use crate::error::{IpcError, IpcResult};
use crate::state::AppState;
use crate::sync_worker::SyncWorker;

/// The engine's refusal as the window shows it (`From<preau_sync::Error>`, `error.rs`).
fn sync_error(e: preau_sync::Error) -> IpcError {
    e.into()
}

fn status(state: &AppState, worker: &SyncWorker) -> IpcResult<SyncStatus> {
    let base = state.with_store(|s| s.sync_status())?;
    Ok(worker.compose(base))
}

#[tauri::command(async)]
pub fn sync_status(
    state: State<'_, AppState>,
    worker: State<'_, Arc<SyncWorker>>,
) -> IpcResult<SyncStatus> {
    status(&state, &worker)
}

/// Enrolls this laptop with the server's address and a one-time code (the same
/// `preau_sync::enroll` as `preau-cli enroll`, on a connection of its own so the window's
/// store is not held during the network call), then syncs.
#[tauri::command]
pub async fn sync_enroll(
    state: State<'_, AppState>,
    worker: State<'_, Arc<SyncWorker>>,
    url: String,
    code: String,
) -> IpcResult<SyncStatus> {
    if worker.is_running() {
        return Err(sync_error(preau_sync::Error::Busy));
    }
    let dir = state.data_dir().to_path_buf();
    let secrets = state.secrets();
    let enrolled = tauri::async_runtime::spawn_blocking(move || {
        let mut store = preau_core::Store::open_encrypted(&dir, secrets)?;
        let runtime = preau_sync::runtime()?;
        runtime.block_on(preau_sync::enroll(
            &mut store,
            &url,
            &code,
            &preau_sync::host_name(),
            SyncOptions::default(),
        ))
    })
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "enrollment task failed");
        IpcError::new(
            ErrorCode::Internal,
            "L'enrôlement s'est interrompu : réessayez.",
        )
    })?
    .map_err(sync_error)?;
    tracing::info!(device = %enrolled.device_id, "enrolled");
    worker.enrolled();
    status(&state, &worker)
}

/// Starts a sync now (in the background); answers the state at once.
#[tauri::command(async)]
pub fn sync_now(
    state: State<'_, AppState>,
    worker: State<'_, Arc<SyncWorker>>,
) -> IpcResult<SyncStatus> {
    let mut current = status(&state, &worker)?;
    if !current.enrolled {
        return Err(sync_error(preau_sync::Error::NotEnrolled));
    }
    if current.revoked {
        return Err(sync_error(preau_sync::Error::Revoked));
    }
    if !current.running {
        worker.request();
        current.running = true;
        current.phase = preau_core::sync::SyncPhase::Checking;
    }
    Ok(current)
}

#[tauri::command(async)]
pub fn sync_conflicts(state: State<'_, AppState>) -> IpcResult<Vec<SyncConflict>> {
    state.with_store(|s| s.sync_conflict_list())
}

/// Keeps one value of a field in conflict (`keep_remote`: the one set aside); the choice
/// is sent at the next sync, started now. Answers the conflicts left.
#[tauri::command(async)]
pub fn sync_conflict_resolve(
    state: State<'_, AppState>,
    worker: State<'_, Arc<SyncWorker>>,
    table: String,
    record_id: String,
    field: String,
    revision: i64,
    keep_remote: bool,
) -> IpcResult<Vec<SyncConflict>> {
    let (left, can_sync) = state.with_store(|s| {
        s.sync_conflict_resolve(&table, &record_id, &field, revision, keep_remote)?;
        let st = s.sync_status()?;
        Ok((s.sync_conflict_list()?, st.enrolled && !st.revoked))
    })?;
    if can_sync && !worker.is_running() {
        worker.request();
    }
    Ok(left)
}
