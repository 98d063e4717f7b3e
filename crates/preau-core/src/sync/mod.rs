//! The laptop's side of the sync with the syndicate's server, in the store. No network
//! here: `preau-sync` moves these plain values over HTTP, and the app and `preau-cli`
//! call it.
//!
//! Local edits are logged per field by triggers (schema 4, `migrations/004_sync.sql`,
//! recreated by 006); [`Store::sync_outgoing`] turns the log into changes with ids made
//! here, kept until acknowledged (`outgoing.rs`). Pulled pages are applied parents first,
//! the leftovers staged and retried (`incoming.rs`). A field two laptops changed at once
//! keeps the other value aside until the adviser chooses (`conflicts.rs`, with the checks
//! of `rules.rs` and the French of `labels.rs`). `tables.rs` says what is synced and how
//! values travel; `settings.rs` holds the enrollment and the cursor; `status.rs` what the
//! screens show; `reference.rs` the reference data the server publishes; `same_uai.rs`
//! one school per UAI when two laptops typed the same school.

mod conflicts;
mod incoming;
mod labels;
mod outgoing;
mod reference;
mod refused;
mod rules;
mod same_uai;
mod settings;
mod status;
mod tables;

pub use conflicts::{FieldConflictView, SyncConflict};
pub use incoming::{ApplyReport, IncomingConflict, IncomingRecord};
pub use outgoing::{Acknowledged, OutgoingChange};
pub use refused::RefusedChange;
pub use settings::SyncSettings;
pub(crate) use status::pending_records;
pub use status::{SyncOverview, SyncPhase, SyncStatus};
pub use tables::{SyncTable, SYNC_TABLES};
