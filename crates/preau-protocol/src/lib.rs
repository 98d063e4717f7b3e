//! Préau's sync protocol: the JSON wire types shared by the client (`preau-sync`) and the
//! server (`preau-server`). Every request and response body carries [`PROTOCOL_VERSION`]
//! in its `protocol` field; a server refuses any other version with
//! [`ErrorCode::UnsupportedProtocol`].
//!
//! Ordering never relies on device clocks: the server gives every accepted change a
//! sequence number (a record's `revision`), and pull pages are read after a server cursor.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

pub mod schema;

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// The protocol version this build speaks.
pub const PROTOCOL_VERSION: u32 = 1;
/// All API routes live under this prefix.
pub const API_PREFIX: &str = "/api/v1";
/// Largest request body the server accepts, in bytes.
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
/// Most changes in one push batch.
pub const MAX_BATCH_CHANGES: usize = 2_000;
/// Most records in one pull page.
pub const MAX_PAGE_RECORDS: u32 = 2_000;
/// A pull page stops once its records' JSON passes this many bytes (a page always holds at
/// least one record; a record is bounded by [`MAX_RECORD_BYTES`]).
pub const MAX_PAGE_BYTES: usize = 4 * 1024 * 1024;
/// Largest record the server keeps: its fields and the values set aside in conflicts, as
/// JSON.
pub const MAX_RECORD_BYTES: usize = 7 * 1024 * 1024;
/// Most values set aside in conflict on one record.
pub const MAX_CONFLICTS: usize = 100;
/// Longest table name or field name, in bytes.
pub const MAX_NAME_LEN: usize = 64;
/// Longest record id, in bytes (a UUID, or the key columns of a link table joined by `/`).
pub const MAX_RECORD_ID_LEN: usize = 160;

/// Request header a laptop sends on every push and pull: how many of its records still
/// have changes the server has not acknowledged (`Store::sync_overview().pending`) when
/// the request leaves, in decimal digits. Optional: a laptop that does not send it leaves
/// the count unknown (« — » on the back-office's Postes page). The pull that ends a sync
/// carries the count after its push; a push that fails still told the server what the
/// laptop held.
pub const PENDING_CHANGES_HEADER: &str = "preau-pending-changes";
/// Largest count [`PENDING_CHANGES_HEADER`] may carry; the server ignores (and logs)
/// anything else: not ASCII digits, more than this, or longer than 10 characters.
pub const MAX_PENDING_CHANGES: u32 = 10_000_000;

/// The count a [`PENDING_CHANGES_HEADER`] value carries, if it is a valid one: ASCII
/// digits only (no sign, no spaces), at most [`MAX_PENDING_CHANGES`].
pub fn parse_pending_changes(value: &[u8]) -> Option<u32> {
    if value.is_empty() || value.len() > 10 || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n: u64 = std::str::from_utf8(value).ok()?.parse().ok()?;
    u32::try_from(n).ok().filter(|n| *n <= MAX_PENDING_CHANGES)
}

/// Machine-readable error codes, serialised in snake_case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The body is not JSON.
    MalformedJson,
    /// JSON, but not the expected shape or values.
    InvalidBody,
    /// The body is larger than [`MAX_BODY_BYTES`].
    PayloadTooLarge,
    /// The `protocol` field is missing or not [`PROTOCOL_VERSION`].
    UnsupportedProtocol,
    /// No `Authorization: Bearer` header.
    MissingToken,
    /// A token the server does not know.
    InvalidToken,
    /// The device was revoked by the syndicate.
    RevokedToken,
    /// The enrollment code is unknown, used or expired.
    InvalidEnrollmentCode,
    /// No such route or resource.
    NotFound,
    /// The route exists, not with this method.
    MethodNotAllowed,
    /// Something failed on the server; details are in its logs.
    Internal,
    /// A change names a table or column the sync does not carry, or a value that does not
    /// fit its column (type, bounds): the whole batch is refused.
    InvalidChange,
    /// The record belongs to another adviser: its owner's devices alone may change it.
    Forbidden,
    /// An issued proposal that this device may not create or change (number of another
    /// device, PDF not matching its SHA-256, an issued field changed).
    InvalidProposal,
    /// The record would grow past the server's bound (fields and values set aside).
    RecordTooLarge,
    /// The device sent more changes than its quota allows; retry later.
    QuotaExceeded,
    /// The request (its body, or the server's work on it) took longer than the server
    /// allows; worth retrying.
    RequestTimeout,
    /// The device's token was not used for longer than the server allows: the laptop
    /// must be enrolled again.
    ExpiredToken,
    /// A code from a newer server (serde's `other` must stay the last variant).
    #[serde(other)]
    Unknown,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::MalformedJson => "malformed_json",
            ErrorCode::InvalidBody => "invalid_body",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::UnsupportedProtocol => "unsupported_protocol",
            ErrorCode::MissingToken => "missing_token",
            ErrorCode::InvalidToken => "invalid_token",
            ErrorCode::RevokedToken => "revoked_token",
            ErrorCode::InvalidEnrollmentCode => "invalid_enrollment_code",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::Internal => "internal",
            ErrorCode::InvalidChange => "invalid_change",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::InvalidProposal => "invalid_proposal",
            ErrorCode::RecordTooLarge => "record_too_large",
            ErrorCode::QuotaExceeded => "quota_exceeded",
            ErrorCode::Unknown => "unknown",
            ErrorCode::RequestTimeout => "request_timeout",
            ErrorCode::ExpiredToken => "expired_token",
        }
    }
}

/// Every error response: `{code, message}`. The message is English, for logs and IT; the
/// client shows its own French text chosen from the code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
}

/// Exchanges a one-time enrollment code for a device token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EnrollRequest {
    pub protocol: u32,
    /// The code printed by `preau-server enroll`.
    pub code: String,
    /// A label for the laptop (host name), shown in `devices list`.
    pub device_name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct EnrollResponse {
    pub protocol: u32,
    pub device_id: Uuid,
    pub adviser: String,
    /// The bearer token for every later call. Shown once; the server keeps only its hash.
    pub token: String,
    /// The code this device's proposal numbers carry, unique on this server (a laptop
    /// that already numbered proposals keeps its own). Absent from older servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_code: Option<String>,
}

/// One change made on a laptop to one record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Change {
    /// Made on the laptop (UUIDv7) and kept until acknowledged: a resent change is
    /// recognised and not applied twice.
    pub change_id: Uuid,
    /// The table, e.g. `visits`.
    pub table: String,
    /// The record's UUIDv7, or for a link table its key columns joined by `/`.
    pub record_id: String,
    /// The record revision the laptop had seen when it made the change (0: none).
    pub base_revision: i64,
    /// The changed fields and their new values (every field for a new record).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub fields: Map<String, Value>,
    /// The record was deleted (a tombstone); `fields` is then ignored.
    #[serde(default)]
    pub deleted: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    pub protocol: u32,
    pub changes: Vec<Change>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AckStatus {
    /// Applied now.
    Applied,
    /// Applied, but a field was changed meanwhile on another laptop: both values are
    /// kept and the record is in conflict.
    Conflict,
    /// Seen before (a resent change): acknowledged, not applied again.
    Duplicate,
    /// Not applied: this device may not make it (see `refusal`). Acknowledged all the
    /// same, so the laptop stops sending it; resent, it is refused again.
    Refused,
}

/// Why a change was refused, and the server's record as it stands (absent when the server
/// has none), so the laptop can put it back and keep the refused values aside.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Refusal {
    pub code: ErrorCode,
    /// English, for logs.
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<RemoteRecord>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Ack {
    pub change_id: Uuid,
    pub status: AckStatus,
    /// The server sequence number given to the change (0 when refused).
    pub revision: i64,
    /// Set when `status` is `refused`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<Refusal>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PushResponse {
    pub protocol: u32,
    pub acks: Vec<Ack>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PullRequest {
    pub protocol: u32,
    /// The `next_cursor` of the previous page (0 for everything).
    pub cursor: i64,
    /// At most this many records (capped at [`MAX_PAGE_RECORDS`]).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// A value of a field kept aside because two laptops changed it concurrently.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct FieldConflict {
    pub field: String,
    /// The other value (the record's `fields` hold the one that came first): a scalar
    /// (string, integer, boolean) or null, as every synced column holds.
    #[cfg_attr(feature = "openapi", schema(value_type = Value))]
    pub value: Value,
    pub device_id: Uuid,
    pub revision: i64,
}

/// The server's current state of one record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RemoteRecord {
    pub table: String,
    pub record_id: String,
    /// The sequence number of the record's last change (the cursor order).
    pub revision: i64,
    pub deleted: bool,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub fields: Map<String, Value>,
    /// Non-empty: the record is in conflict; the app shows both values.
    #[serde(default)]
    pub conflicts: Vec<FieldConflict>,
    /// For a visit or a school typed by an adviser: the adviser it belongs to (only that
    /// adviser's devices may change it or what hangs from it). Absent for other tables,
    /// directory schools, and from older servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

/// The published version of one reference data set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ReferenceVersion {
    /// `catalogue`, `funding` or `schools`.
    pub kind: String,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PullResponse {
    pub protocol: u32,
    pub records: Vec<RemoteRecord>,
    /// Where the next page starts.
    pub next_cursor: i64,
    /// More records wait after `next_cursor`.
    pub more: bool,
    /// How many records wait after `next_cursor` (for a progress bar; 0 from older servers).
    #[serde(default)]
    pub remaining: u64,
    /// The reference data versions published on the server.
    pub reference: Vec<ReferenceVersion>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReferenceRequest {
    pub protocol: u32,
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ReferenceResponse {
    pub protocol: u32,
    pub kind: String,
    pub version: i64,
    /// The file as imported (CSV or JSON text).
    pub content: String,
}

/// The reference data kinds the server publishes.
pub const REFERENCE_KINDS: &[&str] = &["catalogue", "funding", "schools"];

/// A table or field name the protocol accepts: `[a-z_][a-z0-9_]*`, at most
/// [`MAX_NAME_LEN`] bytes.
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !name.as_bytes()[0].is_ascii_digit()
}

/// A record id the protocol accepts: non-empty, at most [`MAX_RECORD_ID_LEN`] bytes of
/// `[0-9A-Za-z_/-]`.
pub fn is_valid_record_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_RECORD_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'/')
}

/// The alphabet of device codes (Crockford's base 32: no I, L, O, U to misread).
pub const DEVICE_CODE_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The code a server hands out to its `n`-th enrolled device: four characters (more past
/// 32⁴ − 1 devices). A laptop that made its own code before enrollments handed them out
/// has five random ones, so the two kinds never meet in a proposal number.
pub fn device_code(n: u64) -> String {
    let mut chars = Vec::new();
    let mut rest = n;
    while rest > 0 || chars.len() < 4 {
        chars.push(DEVICE_CODE_ALPHABET[(rest % 32) as usize]);
        rest /= 32;
    }
    chars.iter().rev().map(|&b| char::from(b)).collect()
}

/// A device code as it may appear in a proposal number: 4 to 8 characters of
/// [`DEVICE_CODE_ALPHABET`].
pub fn is_valid_device_code(code: &str) -> bool {
    (4..=8).contains(&code.len()) && code.bytes().all(|b| DEVICE_CODE_ALPHABET.contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_changes_are_bounded_decimal_digits() {
        assert_eq!(parse_pending_changes(b"0"), Some(0));
        assert_eq!(parse_pending_changes(b"3"), Some(3));
        assert_eq!(parse_pending_changes(b"0003"), Some(3));
        assert_eq!(
            parse_pending_changes(b"10000000"),
            Some(MAX_PENDING_CHANGES)
        );
        for bad in [
            &b""[..],
            b"-1",
            b"+3",
            b" 3",
            b"3 ",
            b"3.0",
            b"1e3",
            b"10000001",
            b"4294967296",
            b"99999999999999999999",
            b"\xff3",
            b"three",
        ] {
            assert_eq!(parse_pending_changes(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn device_codes_are_four_characters_distinct_and_valid() {
        assert_eq!(device_code(1), "0001");
        assert_eq!(device_code(32), "0010");
        assert_eq!(device_code(32 * 32 * 32 * 32 - 1), "ZZZZ");
        assert_eq!(device_code(32 * 32 * 32 * 32), "10000");
        let codes: std::collections::HashSet<String> = (1..5_000).map(device_code).collect();
        assert_eq!(codes.len(), 4_999);
        assert!(codes.iter().all(|c| is_valid_device_code(c)));
        for bad in ["", "ABC", "ABCDEFGHJ", "abcd", "AB-D", "OOOO", "ILUU"] {
            assert!(!is_valid_device_code(bad), "{bad}");
        }
    }

    #[test]
    fn error_codes_serialise_as_their_str() {
        for code in [
            ErrorCode::MalformedJson,
            ErrorCode::UnsupportedProtocol,
            ErrorCode::RevokedToken,
            ErrorCode::Internal,
        ] {
            let json = serde_json::to_string(&code).expect("serialise");
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
        let unknown: ErrorCode = serde_json::from_str("\"from_the_future\"").expect("parse");
        assert_eq!(unknown, ErrorCode::Unknown);
    }

    #[test]
    fn a_change_round_trips() {
        let json = r#"{"change_id":"01890a5d-ac96-774b-bcce-b302099a8057","table":"visits",
            "record_id":"01890a5d-ac96-774b-bcce-b302099a8058","base_revision":0,
            "fields":{"notes":"école","quantity":3}}"#;
        let c: Change = serde_json::from_str(json).expect("parse");
        assert!(!c.deleted);
        assert_eq!(c.fields["quantity"], 3);
        let back: Change =
            serde_json::from_str(&serde_json::to_string(&c).expect("ser")).expect("parse");
        assert_eq!(back, c);
    }

    #[test]
    fn names_and_ids_are_checked() {
        assert!(is_valid_name("equipment_lines"));
        assert!(!is_valid_name("visits; DROP TABLE"));
        assert!(!is_valid_name("1abc"));
        assert!(!is_valid_name(""));
        assert!(is_valid_record_id(
            "01890a5d-ac96-774b-bcce-b302099a8057/01890a5d-ac96-774b-bcce-b302099a8058"
        ));
        assert!(!is_valid_record_id("a'b"));
    }
}
