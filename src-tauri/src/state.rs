//! The app's state: the data directory and the store, opened once at start, encrypted
//! with its key from the OS keyring (`preau_core::secrets::OsKeyring`).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use preau_core::model::{AppStatus, StoreState};
use preau_core::secrets::{OsKeyring, SecretStore};
use preau_core::Store;

use crate::error::{IpcError, IpcResult};

pub struct AppState {
    data_dir: PathBuf,
    /// The keyring every connection of the app (window, sync, enrollment) takes its key
    /// and the device token from.
    secrets: Arc<dyn SecretStore>,
    inner: Mutex<Inner>,
}

struct Inner {
    store: Option<Store>,
    status: AppStatus,
}

impl AppState {
    pub fn open(data_dir: &Path) -> AppState {
        let secrets: Arc<dyn SecretStore> = Arc::new(OsKeyring::new());
        let (store, status) = preau_core::open_with_status(data_dir, Arc::clone(&secrets));
        AppState {
            data_dir: data_dir.to_path_buf(),
            secrets,
            inner: Mutex::new(Inner { store, status }),
        }
    }

    pub fn secrets(&self) -> Arc<dyn SecretStore> {
        Arc::clone(&self.secrets)
    }

    /// Tries to open the store again (« Réessayer »: a keyring unlocked since).
    pub fn reopen(&self) -> AppStatus {
        let mut inner = self.lock();
        if inner.store.is_some() {
            return inner.status.clone();
        }
        let (store, status) = preau_core::open_with_status(&self.data_dir, self.secrets());
        *inner = Inner {
            store,
            status: status.clone(),
        };
        status
    }

    /// The store's key is lost: sets the store and its backups aside (renamed, never
    /// deleted) and opens a new, empty store, which shows the welcome (enroll, then the
    /// first sync brings the adviser's data back). Refused in any other state.
    pub fn start_over(&self) -> IpcResult<AppStatus> {
        let mut inner = self.lock();
        if inner.status.state != StoreState::KeyMissing {
            return Err(IpcError::new(
                preau_core::ErrorCode::InvalidInput,
                "Les données de ce poste sont lisibles : elles n'ont pas été mises de côté.",
            ));
        }
        inner.store = None;
        preau_core::set_aside_locked_store(&self.data_dir)?;
        let (store, status) = preau_core::open_with_status(&self.data_dir, self.secrets());
        *inner = Inner {
            store,
            status: status.clone(),
        };
        Ok(status)
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
        let (store, status) = preau_core::open_with_status(&self.data_dir, self.secrets());
        *inner = Inner {
            store,
            status: status.clone(),
        };
        Ok(status)
    }
}
