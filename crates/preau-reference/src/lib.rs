//! The reference files Préau reads, parsed without a store: the catalogue CSV, the funding
//! rules JSON and the national school directory. Pure functions from bytes or text to typed
//! rows, refusing a bad file with French messages that name its real lines. The laptop's
//! store (`preau-core`) inserts what these return; the sync server (`preau-server`) checks
//! the files it publishes with them, so both refuse exactly the same files.
//!
//! Also here because the parsers need them and the core re-exports them unchanged: text
//! folding (`text`), euro amounts (`money`) and French typography (`format`).

pub mod catalogue;
pub mod communes;
pub mod csv_text;
pub mod directory;
mod error;
pub mod format;
pub mod funding;
pub mod geo;
pub mod money;
pub mod stage;
pub mod text;

pub use error::{Error, Result, RowError};
