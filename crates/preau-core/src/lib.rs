//! Préau's domain: types, rules and the local SQLite store. No UI, no network: the desktop
//! shell, the CLI and the sync engine all stand on this crate.

mod communes;
pub mod doctor;
mod error;
mod error_code;
pub mod first_start;
pub mod map;
pub mod model;
pub mod plan;
pub mod proposals;
mod reference;
mod schools;
pub mod search;
pub mod secrets;
mod store;
pub mod sync;
mod validate;
pub mod visit_rows;
mod visits;
pub mod workflow;
pub mod zoom;

pub use error::{Error, Result};
pub use error_code::ErrorCode;
// Shared with the server through the parsers' crate; kept under their old paths.
pub use preau_reference::{format, money, text};
pub use store::{
    file_kind, list_backups, make_id, open_with_status, perms, restore_backup,
    set_aside_locked_store, store_key, BackupInfo, FileKind, Store, StoreKey, DB_FILE,
    SCHEMA_VERSION,
};

/// The app's identifier (as in `tauri.conf.json`): names its data directory.
pub const APP_IDENTIFIER: &str = "fr.somme-numerique.preau";

#[cfg(test)]
mod tests {
    #[test]
    fn identifier_matches_the_tauri_config() {
        let conf: serde_json::Value =
            serde_json::from_str(include_str!("../../../tauri.conf.json"))
                .expect("tauri.conf.json");
        assert_eq!(conf["identifier"], super::APP_IDENTIFIER);
    }
}
