//! Secrets kept outside the store: the key that encrypts it (SQLCipher) and the sync's
//! device token. Both live in the operating system's keyring, so that a copy of the data
//! directory — a stolen laptop's disk read from another system, another local user —
//! holds nothing readable.
//!
//! The secret store is a collaborator passed in ([`SecretStore`]), never a global: the app
//! and `preau-cli` pass [`OsKeyring`] (feature `os-keyring`), tests pass [`MemorySecrets`].
//! Secrets are named per data directory (its canonical path), so several data directories
//! on one session (the demo, tests) each have their own key.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// A secret read back: wiped from memory when dropped.
pub type Secret = Zeroizing<String>;

/// Where the laptop's secrets are kept. `get` answers `None` when there is no such secret
/// (a new install, or a keyring that was lost); an error means the keyring itself could not
/// be asked (no session bus, locked and refused), which is NOT the same thing: nothing may
/// be set aside or made anew on an error.
pub trait SecretStore: Send + Sync {
    fn get(&self, name: &str) -> Result<Option<Secret>>;
    fn set(&self, name: &str, value: &str) -> Result<()>;
    /// Removing a secret that is not there is not an error.
    fn delete(&self, name: &str) -> Result<()>;
}

/// What a secret is for; part of its name in the keyring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    /// The SQLCipher key of `preau.db` and its backups.
    StoreKey,
    /// The bearer token the sync server gave this laptop.
    DeviceToken,
}

impl SecretKind {
    fn prefix(self) -> &'static str {
        match self {
            SecretKind::StoreKey => "store-key",
            SecretKind::DeviceToken => "device-token",
        }
    }
}

/// The name of a data directory's secret: `store-key /home/…/fr.somme-numerique.preau`.
/// The path is made canonical so that `./data` and its absolute path name the same key.
pub fn secret_name(kind: SecretKind, data_dir: &Path) -> String {
    let dir: PathBuf = std::fs::canonicalize(data_dir).unwrap_or_else(|_| data_dir.to_path_buf());
    format!("{} {}", kind.prefix(), dir.display())
}

/// Secrets in memory, for tests: gone with the value. `unavailable()` answers like a
/// keyring that cannot be reached.
#[derive(Default)]
pub struct MemorySecrets {
    map: Mutex<HashMap<String, Secret>>,
    unavailable: AtomicBool,
}

impl MemorySecrets {
    pub fn new() -> MemorySecrets {
        MemorySecrets::default()
    }

    /// From now on every call fails as an unreachable keyring does (`false`: works again).
    pub fn set_unavailable(&self, unavailable: bool) {
        self.unavailable.store(unavailable, Ordering::SeqCst);
    }

    /// Forgets every secret, as a new session without the old keyring would.
    pub fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Secret>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn check(&self) -> Result<()> {
        if self.unavailable.load(Ordering::SeqCst) {
            return Err(Error::Keyring("memory secrets made unavailable".into()));
        }
        Ok(())
    }
}

impl SecretStore for MemorySecrets {
    fn get(&self, name: &str) -> Result<Option<Secret>> {
        self.check()?;
        Ok(self.lock().get(name).cloned())
    }

    fn set(&self, name: &str, value: &str) -> Result<()> {
        self.check()?;
        self.lock()
            .insert(name.to_string(), Zeroizing::new(value.to_string()));
        Ok(())
    }

    fn delete(&self, name: &str) -> Result<()> {
        self.check()?;
        self.lock().remove(name);
        Ok(())
    }
}

/// The operating system's keyring through the `keyring` crate: the Secret Service
/// (GNOME Keyring, KWallet) on Linux, the Credential Manager on Windows, the Keychain on
/// macOS. Entries are under the app's identifier as service, the secret's name as user.
#[cfg(feature = "os-keyring")]
pub struct OsKeyring {
    service: String,
}

#[cfg(feature = "os-keyring")]
impl OsKeyring {
    pub fn new() -> OsKeyring {
        OsKeyring {
            service: crate::APP_IDENTIFIER.to_string(),
        }
    }

    fn entry(&self, name: &str) -> Result<keyring::Entry> {
        keyring::Entry::new(&self.service, name).map_err(keyring_error)
    }
}

#[cfg(feature = "os-keyring")]
impl Default for OsKeyring {
    fn default() -> Self {
        OsKeyring::new()
    }
}

#[cfg(feature = "os-keyring")]
fn keyring_error(e: keyring::Error) -> Error {
    // The user reads a French sentence; what the keyring answered goes to the log.
    tracing::warn!("keyring: {e:?}");
    Error::Keyring(e.to_string())
}

#[cfg(feature = "os-keyring")]
impl SecretStore for OsKeyring {
    fn get(&self, name: &str) -> Result<Option<Secret>> {
        match self.entry(name)?.get_password() {
            Ok(secret) => Ok(Some(Zeroizing::new(secret))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(keyring_error(e)),
        }
    }

    fn set(&self, name: &str, value: &str) -> Result<()> {
        self.entry(name)?.set_password(value).map_err(keyring_error)
    }

    fn delete(&self, name: &str) -> Result<()> {
        match self.entry(name)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(keyring_error(e)),
        }
    }
}

/// Writes a secret and reads it back: a keyring that accepted the write but does not keep
/// it (a mock store, a collection that is not persisted) must fail here, before anything
/// is encrypted with a key that would then be lost.
pub(crate) fn set_checked(secrets: &dyn SecretStore, name: &str, value: &str) -> Result<()> {
    secrets.set(name, value)?;
    match secrets.get(name)? {
        Some(back) if back.as_str() == value => Ok(()),
        _ => Err(Error::Keyring(format!(
            "the keyring did not keep the secret {name}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_secrets_keep_forget_and_fail_on_demand() -> Result<()> {
        let s = MemorySecrets::new();
        assert!(s.get("a")?.is_none());
        set_checked(&s, "a", "1")?;
        assert_eq!(s.get("a")?.as_deref().map(String::as_str), Some("1"));
        s.delete("a")?;
        s.delete("a")?;
        assert!(s.get("a")?.is_none());
        s.set_unavailable(true);
        assert!(matches!(s.get("a"), Err(Error::Keyring(_))));
        Ok(())
    }

    #[test]
    fn names_are_per_directory_and_kind() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = secret_name(SecretKind::StoreKey, dir.path());
        assert!(a.starts_with("store-key /"), "{a}");
        assert_ne!(a, secret_name(SecretKind::DeviceToken, dir.path()));
        let dotted = dir.path().join(".");
        assert_eq!(a, secret_name(SecretKind::StoreKey, &dotted));
    }
}
