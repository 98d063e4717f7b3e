//! Enrollment codes and device tokens. Only their SHA-256 hashes are stored.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use chrono::{DateTime, Duration, Utc};
use preau_protocol::ErrorCode;
use sha2::{Digest, Sha256};

use crate::api::AppState;
use crate::error::{Error, Result};
use crate::middleware::{ClientAddr, SeenDevice};
use crate::storage::Device;
use uuid::Uuid;

/// How tokens age (`preau-server.toml`: `token_idle_days`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthPolicy {
    /// A token not used for this long is refused (`expired_token`); every use renews it.
    pub token_idle: Duration,
}

impl Default for AuthPolicy {
    fn default() -> Self {
        AuthPolicy {
            token_idle: Duration::days(i64::from(DEFAULT_TOKEN_IDLE_DAYS)),
        }
    }
}

/// A laptop that has not synced for three months is probably lost, or out of service.
pub const DEFAULT_TOKEN_IDLE_DAYS: u32 = 90;

/// How stale `last_seen_at` may get before a use writes it again: one write per device
/// every few minutes, not one per request.
const SEEN_EVERY: Duration = Duration::minutes(5);
/// The same when the device's address or app changed.
const CHANGE_EVERY: Duration = Duration::seconds(10);

impl AuthPolicy {
    /// Whether a device's token has expired at `now`: unused since its last use (or its
    /// enrollment) for longer than allowed.
    pub fn expired(&self, device: &Device, now: DateTime<Utc>) -> bool {
        now - device.last_seen_at.unwrap_or(device.enrolled_at) > self.token_idle
    }
}

/// The app and version a client announces (`User-Agent: preau/0.1.0`): its first word,
/// printable ASCII, at most 64 characters.
pub fn app_version(user_agent: Option<&axum::http::HeaderValue>) -> Option<String> {
    let text = user_agent?.to_str().ok()?;
    let word: String = text
        .split_whitespace()
        .next()?
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(64)
        .collect();
    (!word.is_empty()).then_some(word)
}

/// The changes a laptop says it still has to send (`preau-pending-changes`): `None` when
/// it says nothing (an older app) or something that is not a bounded count, which is
/// logged and ignored rather than refusing the laptop its sync.
pub fn pending_changes(device: Uuid, header: Option<&axum::http::HeaderValue>) -> Option<u32> {
    let value = header?;
    let count = preau_protocol::parse_pending_changes(value.as_bytes());
    if count.is_none() {
        tracing::warn!(
            device = %device,
            value = %crate::text::printable(&String::from_utf8_lossy(value.as_bytes()), 32),
            "pending changes count ignored: not a count from 0 to {}",
            preau_protocol::MAX_PENDING_CHANGES
        );
    }
    count
}

/// Marks a push request (a layer on its route): its pending count is written at once
/// only when it grew ([`recount`]).
#[derive(Debug, Clone, Copy)]
pub struct Pushing;

/// Whether a reported pending count is written now, whatever the throttle. A new count
/// is, since the pull that ends a sync says what is left seconds after its push said what
/// the laptop held (pulls write nothing else, and a device that made each request a write
/// this way could as well push); but a push's lower count is not, so a sync's batches
/// cost no commit each: it waits for the pull (or the throttle), and a sync cut before
/// its pull leaves the count it started with, which the laptop may still hold.
fn recount(stored: Option<u32>, reported: Option<u32>, pushing: bool) -> bool {
    match (stored, reported) {
        (_, None) => false,
        (None, Some(_)) => true,
        (Some(stored), Some(reported)) if pushing => reported > stored,
        (Some(stored), Some(reported)) => reported != stored,
    }
}

/// Letters and digits that cannot be mistaken for one another when read aloud or typed.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
const CODE_LEN: usize = 12;

pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| Error::Random(e.to_string()))?;
    Ok(buf)
}

/// A new device token: 256 random bits, hex.
pub fn new_token() -> Result<String> {
    Ok(hex::encode(random_bytes::<32>()?))
}

/// A new enrollment code, `XXXX-XXXX-XXXX` (60 random bits).
pub fn new_code() -> Result<String> {
    let bytes = random_bytes::<CODE_LEN>()?;
    let mut code = String::with_capacity(CODE_LEN + 2);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 && i % 4 == 0 {
            code.push('-');
        }
        let c = CODE_ALPHABET[usize::from(*b) % CODE_ALPHABET.len()];
        code.push(char::from(c));
    }
    Ok(code)
}

/// The hash stored for a code, whatever its case and separators as typed.
pub fn code_hash(code: &str) -> String {
    let normal: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    sha256_hex(&normal)
}

/// The device behind the request's bearer token.
pub struct AuthDevice(pub Device);

impl FromRequestParts<AppState> for AuthDevice {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .ok_or_else(|| Error::unauthorized(ErrorCode::MissingToken, "missing bearer token"))?;
        let token = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty() && t.len() <= 256)
            .ok_or_else(|| {
                Error::unauthorized(ErrorCode::InvalidToken, "malformed Authorization header")
            })?;
        let device = state
            .storage
            .device_by_token(&sha256_hex(token))
            .await?
            .ok_or_else(|| Error::unauthorized(ErrorCode::InvalidToken, "unknown token"))?;
        // Known from here on: the refusal's log line names the device.
        if let Some(seen) = parts.extensions.get::<SeenDevice>() {
            seen.set(device.id);
        }
        if device.revoked_at.is_some() {
            return Err(Error::unauthorized(
                ErrorCode::RevokedToken,
                "this device was revoked",
            ));
        }
        let policy = parts
            .extensions
            .get::<AuthPolicy>()
            .cloned()
            .unwrap_or_default();
        let now = Utc::now();
        if policy.expired(&device, now) {
            return Err(Error::unauthorized(
                ErrorCode::ExpiredToken,
                format!(
                    "this device's token was not used for more than {} days: enroll it again",
                    policy.token_idle.num_days()
                ),
            ));
        }
        let ip = parts
            .extensions
            .get::<ClientAddr>()
            .map(|c| c.0.to_string());
        let version = app_version(parts.headers.get(axum::http::header::USER_AGENT));
        let pending = pending_changes(
            device.id,
            parts.headers.get(preau_protocol::PENDING_CHANGES_HEADER),
        );
        // A new address or app is recorded sooner, but not at every request either: a
        // client changing its User-Agent each time must not make each one a write.
        let changed = ip != device.last_ip || version != device.app_version;
        let every = if changed { CHANGE_EVERY } else { SEEN_EVERY };
        let pushing = parts.extensions.get::<Pushing>().is_some();
        let recount = recount(device.pending_changes, pending, pushing);
        if recount || device.last_seen_at.is_none_or(|seen| now - seen > every) {
            // Renews the token; a failure to record it must not refuse the request.
            if let Err(e) = state
                .storage
                .touch_device(device.id, now, ip.as_deref(), version.as_deref(), pending)
                .await
            {
                tracing::warn!(device = %device.id, error = %e, "last use not recorded");
            }
        }
        Ok(AuthDevice(device))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_tokens() {
        let code = new_code().expect("code");
        assert_eq!(code.len(), 14);
        assert_eq!(
            code_hash(&code),
            code_hash(&code.to_lowercase().replace('-', " "))
        );
        let t = new_token().expect("token");
        assert_eq!(t.len(), 64);
        assert_ne!(t, new_token().expect("token"));
    }

    #[test]
    fn tokens_expire_after_their_idle_time_counted_from_the_last_use() {
        let now = Utc::now();
        let mut d = Device {
            id: uuid::Uuid::now_v7(),
            adviser: "Anne".into(),
            name: "portable".into(),
            enrolled_at: now - Duration::days(200),
            revoked_at: None,
            last_seen_at: None,
            last_ip: None,
            app_version: None,
            pending_changes: None,
            pending_at: None,
        };
        let policy = AuthPolicy::default();
        assert!(
            policy.expired(&d, now),
            "never used since an old enrollment"
        );
        d.last_seen_at = Some(now - Duration::days(89));
        assert!(!policy.expired(&d, now));
        d.last_seen_at = Some(now - Duration::days(91));
        assert!(policy.expired(&d, now));
    }

    #[test]
    fn a_push_writes_its_count_at_once_only_when_it_grew() {
        assert!(!recount(Some(3), None, false));
        assert!(recount(None, Some(0), true));
        assert!(recount(Some(0), Some(3), true));
        assert!(!recount(Some(3), Some(2), true), "a sync's next batch");
        assert!(!recount(Some(3), Some(3), true));
        assert!(recount(Some(3), Some(0), false), "the pull after the push");
        assert!(recount(Some(0), Some(4), false));
        assert!(!recount(Some(2), Some(2), false));
    }

    #[test]
    fn app_version_is_the_user_agents_first_word() {
        let v = |s: &'static str| app_version(Some(&axum::http::HeaderValue::from_static(s)));
        assert_eq!(v("preau/0.1.0").as_deref(), Some("preau/0.1.0"));
        assert_eq!(v("curl/8.5.0 extra").as_deref(), Some("curl/8.5.0"));
        assert_eq!(v("   "), None);
        assert_eq!(app_version(None), None);
    }
}
