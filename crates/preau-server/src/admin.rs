//! The admin subcommands' work, on the same storage as `serve`.

use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::auth::{code_hash, new_code};
use crate::error::{Error, Result};
use crate::storage::{Device, Storage};

/// How long an enrollment code stays valid.
pub const CODE_VALIDITY_HOURS: i64 = 72;

/// Creates a one-time enrollment code for `adviser`; returns it with its expiry.
pub async fn create_enrollment(
    storage: &dyn Storage,
    adviser: &str,
) -> Result<(String, DateTime<Utc>)> {
    let adviser = adviser.trim();
    if adviser.is_empty() || adviser.chars().count() > 100 {
        return Err(Error::Reference(
            "adviser name must be 1 to 100 characters".into(),
        ));
    }
    let code = new_code()?;
    let expires_at = Utc::now() + Duration::hours(CODE_VALIDITY_HOURS);
    storage
        .create_enrollment(&code_hash(&code), adviser, expires_at)
        .await?;
    Ok((code, expires_at))
}

pub async fn list_devices(storage: &dyn Storage) -> Result<Vec<Device>> {
    storage.devices().await
}

pub async fn revoke(storage: &dyn Storage, id: Uuid) -> Result<bool> {
    storage.revoke(id, Utc::now()).await
}

/// What a reference import published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub kind: String,
    pub version: i64,
    pub entries: usize,
}

/// Checks a reference file with the same parsers the laptops use, then publishes it as a
/// new version of `kind` (`catalogue`, `funding`, `schools`).
pub async fn import_reference(storage: &dyn Storage, kind: &str, path: &Path) -> Result<Published> {
    let content = std::fs::read_to_string(path)?;
    let entries = check_reference(kind, &content)?;
    let version = storage.publish_reference(kind, &content).await?;
    tracing::info!(kind, version, entries, "reference data published");
    Ok(Published {
        kind: kind.to_string(),
        version,
        entries,
    })
}

/// Validates reference content; returns how many entries it holds.
pub fn check_reference(kind: &str, content: &str) -> Result<usize> {
    let checked = match kind {
        "catalogue" => preau_core::sync_state::check_catalogue_csv(content),
        "funding" => preau_core::sync_state::check_funding_json(content),
        "schools" => preau_core::sync_state::check_schools_csv(content),
        other => {
            return Err(Error::Reference(format!(
                "unknown reference kind {other:?} (catalogue, funding, schools)"
            )))
        }
    };
    checked.map_err(|e| Error::Reference(e.to_string()))
}
