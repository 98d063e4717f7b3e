//! The laptop's account on the server: enrollment (first or again) and revocation. The app
//! and `preau-cli` call these same functions, so a laptop enrolled from either is in the
//! same state: server, token, device id, adviser, the name it gave itself, its code in
//! proposal numbers, and no revocation left over from an earlier token.

use preau_core::Store;
use preau_protocol::EnrollResponse;

use crate::{check_url, Client, Error, Result, SyncOptions};

/// Longest device name the server accepts.
const MAX_DEVICE_NAME: usize = 100;

/// The name this laptop gives itself on the server when none is given: the computer's
/// name, as the adviser's IT person sees it in the server's device list.
pub fn host_name() -> String {
    whoami::hostname()
        .ok()
        .or_else(|| whoami::devicename().ok())
        .map(|s| s.trim().chars().take(MAX_DEVICE_NAME).collect::<String>())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "poste Préau".into())
}

/// What an enrollment recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrolled {
    pub device_id: String,
    pub adviser: String,
    pub device_name: String,
    /// The code this laptop's proposal numbers carry (kept from before when it had one).
    pub device_code: String,
}

/// Enrolls this laptop (again) with a one-time code: checks the address, asks the server,
/// then records everything in the store. A refused code or address changes nothing.
pub async fn enroll(
    store: &mut Store,
    server_url: &str,
    code: &str,
    device_name: &str,
    opts: SyncOptions,
) -> Result<Enrolled> {
    let server_url = server_url.trim();
    if server_url.is_empty() {
        return Err(Error::MissingUrl);
    }
    let code = code.trim();
    if code.is_empty() {
        return Err(Error::MissingCode);
    }
    let device_name = match device_name.trim() {
        "" => host_name(),
        name => name.chars().take(MAX_DEVICE_NAME).collect(),
    };
    let base = check_url(server_url, opts.allow_plain_http)?;
    let client = Client::new(&base, None, opts)?;
    let resp = client.enroll(code, &device_name).await?;
    check_response(&resp)?;
    store.sync_enroll(
        &client.base,
        &resp.device_id.to_string(),
        &resp.adviser,
        &resp.token,
    )?;
    store.sync_set_device_name(&device_name)?;
    store.sync_set_revoked(false)?;
    if let Some(code) = &resp.device_code {
        store.device_code_adopt(code)?;
    }
    let device_code = store.device_code()?;
    tracing::info!(device = %resp.device_id, %device_code, "enrolled");
    Ok(Enrolled {
        device_id: resp.device_id.to_string(),
        adviser: resp.adviser,
        device_name,
        device_code,
    })
}

/// The server's answer is input like any other: nothing unbounded reaches the store.
fn check_response(resp: &EnrollResponse) -> Result<()> {
    let bad = |what: &str| Err(Error::Protocol(format!("enrollment answer: {what}")));
    if resp.token.is_empty() || resp.token.len() > 512 {
        return bad("token");
    }
    if resp.adviser.trim().is_empty() || resp.adviser.chars().count() > 200 {
        return bad("adviser");
    }
    if let Some(code) = &resp.device_code {
        if !preau_protocol::is_valid_device_code(code) {
            return bad("device code");
        }
    }
    Ok(())
}

/// The server said this laptop's token is revoked: recorded, so that automatic syncs stop
/// (app and CLI alike) until the laptop is enrolled again.
pub fn record_revoked(store: &mut Store) -> Result<()> {
    tracing::warn!("device revoked by the server");
    store.sync_set_revoked(true)?;
    Ok(())
}
