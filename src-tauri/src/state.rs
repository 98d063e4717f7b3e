//! The app's state: the data directory and the store, opened once at start.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use preau_core::model::AppStatus;
use preau_core::Store;

use crate::error::{IpcError, IpcResult};

pub struct AppState {
    data_dir: PathBuf,
    inner: Mutex<Inner>,
}

struct Inner {
    store: Option<Store>,
    status: AppStatus,
}

impl AppState {
    pub fn open(data_dir: &Path) -> AppState {
        let (store, status) = preau_core::open_with_status(data_dir);
        AppState {
            data_dir: data_dir.to_path_buf(),
            inner: Mutex::new(Inner { store, status }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic in another command must not lock the adviser out of their data.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Where the store lives; written documents go into its `documents/` folder.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn status(&self) -> AppStatus {
        self.lock().status.clone()
    }

    /// Runs `f` on the open store; the store's own transactions make each call atomic.
    pub fn with_store<T>(
        &self,
        f: impl FnOnce(&mut Store) -> preau_core::Result<T>,
    ) -> IpcResult<T> {
        let mut inner = self.lock();
        let store = inner
            .store
            .as_mut()
            .ok_or_else(IpcError::store_unavailable)?;
        Ok(f(store)?)
    }

    /// Restores a backup in place of a damaged store, then reopens it.
    pub fn restore_backup(&self, backup: &Path) -> IpcResult<AppStatus> {
        let mut inner = self.lock();
        inner.store = None;
        preau_core::restore_backup(&self.data_dir.join(preau_core::DB_FILE), backup)?;
        let (store, status) = preau_core::open_with_status(&self.data_dir);
        *inner = Inner {
            store,
            status: status.clone(),
        };
        Ok(status)
    }
}
