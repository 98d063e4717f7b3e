//! Sync with the syndicate's server: state, enrollment, « Synchroniser », conflicts. The
//! sync itself runs in the background (`sync_worker.rs`); these commands only read the
//! state, record choices and wake it up.

use std::sync::Arc;

use preau_core::sync_resolve::{SyncConflict, SyncStatus, KEY_DEVICE_NAME};
use preau_sync::{Client, SyncOptions};
use tauri::State;

use crate::error::{IpcError, IpcResult};
use crate::state::AppState;
use crate::sync_worker::{host_name, SyncWorker};

fn sync_error(e: preau_sync::Error) -> IpcError {
    match e {
        preau_sync::Error::Store(e) => e.into(),
        other => {
            tracing::warn!(error = %other, "sync command refused");
            let code = match other {
                preau_sync::Error::InsecureUrl(_) | preau_sync::Error::BadUrl(_) => "invalid_input",
                preau_sync::Error::Revoked => "revoked",
                preau_sync::Error::NotEnrolled => "not_enrolled",
                preau_sync::Error::Network(_) => "offline",
                preau_sync::Error::Refused {
                    code: preau_protocol::ErrorCode::InvalidEnrollmentCode,
                    ..
                } => "invalid_enrollment_code",
                _ => "sync_refused",
            };
            let mut error = IpcError::new(code, other.user_message());
            match code {
                "invalid_input" => error.field = Some("url"),
                "invalid_enrollment_code" => error.field = Some("code"),
                _ => {}
            }
            error
        }
    }
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

/// Enrolls this laptop with the server's address and a one-time code, then syncs.
#[tauri::command]
pub async fn sync_enroll(
    state: State<'_, AppState>,
    worker: State<'_, Arc<SyncWorker>>,
    url: String,
    code: String,
) -> IpcResult<SyncStatus> {
    let url = url.trim();
    if url.is_empty() {
        let mut e = IpcError::new(
            "invalid_input",
            "Saisissez l'adresse du serveur du syndicat.",
        );
        e.field = Some("url");
        return Err(e);
    }
    if code.trim().is_empty() {
        let mut e = IpcError::new(
            "invalid_input",
            "Saisissez le code d'enrôlement remis par le syndicat.",
        );
        e.field = Some("code");
        return Err(e);
    }
    if worker.is_running() {
        return Err(IpcError::new(
            "busy",
            "Une synchronisation est en cours : réessayez dans un instant.",
        ));
    }
    let base = preau_sync::check_url(url, false).map_err(sync_error)?;
    let client = Client::new(&base, None, SyncOptions::default()).map_err(sync_error)?;
    let name = host_name();
    let resp = client.enroll(&code, &name).await.map_err(sync_error)?;
    state.with_store(|s| {
        s.sync_enroll(
            &base,
            &resp.device_id.to_string(),
            &resp.adviser,
            &resp.token,
        )?;
        s.sync_set(KEY_DEVICE_NAME, &name)?;
        s.sync_set_revoked(false)
    })?;
    tracing::info!(device = %resp.device_id, "enrolled");
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
        current.phase = preau_core::sync_resolve::SyncPhase::Checking;
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
