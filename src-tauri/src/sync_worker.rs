//! The background sync in the window: `preau_sync::worker` does the work and follows the
//! scheduling policy; this file only starts it and forwards what it says to the window
//! (`sync://status`: the whole state after each change; `sync://progress`: phase and
//! n / total while a sync runs).

use std::path::Path;
use std::sync::Arc;

use preau_core::secrets::SecretStore;
use preau_core::sync::SyncStatus;
use preau_sync::worker::{Observer, ProgressEvent, Worker};
use preau_sync::SyncOptions;
use tauri::{AppHandle, Emitter, Manager};

pub const EVENT_STATUS: &str = "sync://status";
pub const EVENT_PROGRESS: &str = "sync://progress";

pub type SyncWorker = Worker;

struct Window {
    app: AppHandle,
}

impl Observer for Window {
    fn status(&self, status: SyncStatus) {
        if let Err(e) = self.app.emit(EVENT_STATUS, status) {
            tracing::warn!(error = %e, "sync status not sent to the window");
        }
    }

    fn progress(&self, progress: ProgressEvent) {
        let _ = self.app.emit(EVENT_PROGRESS, progress);
    }

    fn store_ready(&self) -> bool {
        self.app
            .state::<crate::state::AppState>()
            .with_store(|_| Ok(()))
            .is_ok()
    }
}

/// Makes the worker and starts it on Tauri's runtime.
pub fn start(app: &AppHandle, data_dir: &Path, secrets: Arc<dyn SecretStore>) -> Arc<SyncWorker> {
    let worker = Worker::new(data_dir, secrets, SyncOptions::default());
    let observer = Arc::new(Window { app: app.clone() });
    tauri::async_runtime::spawn(Arc::clone(&worker).run(observer));
    worker
}
