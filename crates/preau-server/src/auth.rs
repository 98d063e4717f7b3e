//! Enrollment codes and device tokens. Only their SHA-256 hashes are stored.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use preau_protocol::ErrorCode;
use sha2::{Digest, Sha256};

use crate::api::AppState;
use crate::error::{Error, Result};
use crate::storage::Device;

/// Letters and digits that cannot be mistaken for one another when read aloud or typed.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
const CODE_LEN: usize = 12;

pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn random_bytes<const N: usize>() -> Result<[u8; N]> {
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
        if device.revoked_at.is_some() {
            return Err(Error::unauthorized(
                ErrorCode::RevokedToken,
                "this device was revoked",
            ));
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
}
