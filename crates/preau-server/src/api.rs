//! The HTTP JSON API under `/api/v1`, and its OpenAPI document (generated from these
//! handlers and the protocol types, so it cannot drift).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use preau_protocol::schema;
use preau_protocol::{
    EnrollRequest, EnrollResponse, ErrorBody, ErrorCode, PullRequest, PullResponse, PushRequest,
    PushResponse, ReferenceRequest, ReferenceResponse, MAX_BATCH_CHANGES, MAX_BODY_BYTES,
    MAX_PAGE_RECORDS, PROTOCOL_VERSION, REFERENCE_KINDS,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use utoipa::OpenApi;
use uuid::Uuid;

use crate::auth::{code_hash, new_token, sha256_hex, AuthDevice};
use crate::authz::Principal;
use crate::error::{Error, Result};
use crate::middleware::TransportResponses;
use crate::storage::{Device, Storage};

#[derive(Clone)]
pub struct AppState {
    pub storage: Arc<dyn Storage>,
    pub quota: Arc<crate::quota::Quota>,
}

/// Request bodies that carry the protocol version.
pub trait Versioned {
    fn protocol(&self) -> u32;
}

macro_rules! versioned {
    ($($t:ty),*) => {$(impl Versioned for $t { fn protocol(&self) -> u32 { self.protocol } })*};
}
versioned!(EnrollRequest, PushRequest, PullRequest, ReferenceRequest);

/// A JSON body, parsed with errors as `{code, message}`: malformed JSON, wrong shape,
/// oversized body and unknown protocol version each have their code.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Versioned> FromRequest<S> for Body<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self> {
        let bytes = Bytes::from_request(req, state).await.map_err(|rej| {
            if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
                Error::client(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    ErrorCode::PayloadTooLarge,
                    format!("request body larger than {MAX_BODY_BYTES} bytes"),
                )
            } else {
                Error::client(
                    StatusCode::BAD_REQUEST,
                    ErrorCode::MalformedJson,
                    "cannot read request body",
                )
            }
        })?;
        parse_body(&bytes).map(Body)
    }
}

fn unsupported_protocol() -> Error {
    Error::client(
        StatusCode::BAD_REQUEST,
        ErrorCode::UnsupportedProtocol,
        format!("this server speaks protocol {PROTOCOL_VERSION}"),
    )
}

pub fn parse_body<T: DeserializeOwned + Versioned>(bytes: &[u8]) -> Result<T> {
    // serde would read a struct from an array too: only objects are accepted.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(match serde_json::from_slice::<serde_json::Value>(bytes) {
            Ok(_) => Error::invalid("the body must be a JSON object"),
            Err(e) => Error::client(
                StatusCode::BAD_REQUEST,
                ErrorCode::MalformedJson,
                format!("malformed JSON: {e}"),
            ),
        });
    }
    match serde_json::from_slice::<T>(bytes) {
        Ok(v) if v.protocol() == PROTOCOL_VERSION => Ok(v),
        Ok(_) => Err(unsupported_protocol()),
        Err(e) if e.is_syntax() || e.is_eof() => Err(Error::client(
            StatusCode::BAD_REQUEST,
            ErrorCode::MalformedJson,
            format!("malformed JSON: {e}"),
        )),
        Err(e) => {
            let value = match serde_json::from_slice::<serde_json::Value>(bytes) {
                Ok(v) => v,
                Err(e) => {
                    return Err(Error::client(
                        StatusCode::BAD_REQUEST,
                        ErrorCode::MalformedJson,
                        format!("malformed JSON: {e}"),
                    ))
                }
            };
            let Some(object) = value.as_object() else {
                return Err(Error::invalid("the body must be a JSON object"));
            };
            let version = object.get("protocol").and_then(serde_json::Value::as_u64);
            if version != Some(u64::from(PROTOCOL_VERSION)) {
                return Err(unsupported_protocol());
            }
            Err(Error::invalid(format!("invalid body: {e}")))
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    pub protocol: u32,
    pub status: String,
}

/// Liveness, and the protocol version, without a token: the client uses it to notice the
/// server is reachable.
#[utoipa::path(get, path = "/api/v1/health", responses((status = 200, body = Health)))]
pub async fn health() -> Json<Health> {
    Json(Health {
        protocol: PROTOCOL_VERSION,
        status: "ok".into(),
    })
}

/// Exchanges a one-time enrollment code for a device token.
#[utoipa::path(post, path = "/api/v1/enroll", request_body = EnrollRequest, responses(
    (status = 200, body = EnrollResponse),
    (status = 401, description = "unknown, used or expired code", body = ErrorBody),
    (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn enroll(
    State(state): State<AppState>,
    Body(req): Body<EnrollRequest>,
) -> Result<Json<EnrollResponse>> {
    let name = req.device_name.trim();
    if name.is_empty() || name.chars().count() > 100 || req.code.len() > 64 {
        return Err(Error::invalid("device_name must be 1 to 100 characters"));
    }
    // A NUL broke PostgreSQL (a 500), escapes would reach the admin's terminal.
    if name.chars().any(crate::text::is_unsafe) {
        return Err(Error::invalid(
            "device_name must not contain control or invisible formatting characters",
        ));
    }
    let token = new_token()?;
    let device = Device {
        id: Uuid::now_v7(),
        adviser: String::new(),
        name: name.to_string(),
        enrolled_at: Utc::now(),
        revoked_at: None,
        last_seen_at: None,
        last_ip: None,
        app_version: None,
        pending_changes: None,
        pending_at: None,
    };
    let enrolled = state
        .storage
        .enroll(
            &code_hash(&req.code),
            &device,
            &sha256_hex(&token),
            Utc::now(),
        )
        .await?
        .ok_or_else(|| {
            Error::unauthorized(
                ErrorCode::InvalidEnrollmentCode,
                "unknown, used or expired enrollment code",
            )
        })?;
    tracing::info!(device = %device.id, adviser = %enrolled.adviser,
        device_code = %enrolled.device_code, "device enrolled");
    Ok(Json(EnrollResponse {
        protocol: PROTOCOL_VERSION,
        device_id: device.id,
        adviser: enrolled.adviser,
        token,
        device_code: Some(enrolled.device_code),
    }))
}

fn validate_push(req: &PushRequest) -> Result<()> {
    if req.changes.len() > MAX_BATCH_CHANGES {
        return Err(Error::invalid(format!(
            "at most {MAX_BATCH_CHANGES} changes per batch"
        )));
    }
    for (i, c) in req.changes.iter().enumerate() {
        if !preau_protocol::is_valid_name(&c.table) {
            return Err(Error::invalid(format!(
                "changes[{i}].table is not a valid name"
            )));
        }
        if !preau_protocol::is_valid_record_id(&c.record_id) {
            return Err(Error::invalid(format!(
                "changes[{i}].record_id is not valid"
            )));
        }
        if c.base_revision < 0 {
            return Err(Error::invalid(format!("changes[{i}].base_revision < 0")));
        }
        if let Some(f) = c.fields.keys().find(|f| !preau_protocol::is_valid_name(f)) {
            return Err(Error::invalid(format!(
                "changes[{i}].fields: {f:?} is not a valid field name"
            )));
        }
        // The server knows what it syncs: tables, columns, types and bounds.
        if let Err(why) = schema::check_change(&c.table, &c.record_id, &c.fields) {
            return Err(Error::client(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::InvalidChange,
                format!("changes[{i}]: {why}"),
            ));
        }
    }
    Ok(())
}

/// Applies a batch of changes in one transaction. A change id seen before is acknowledged
/// (`duplicate`) and not applied again.
#[utoipa::path(post, path = "/api/v1/push", request_body = PushRequest, security(("bearer" = [])),
    params(("preau-pending-changes" = Option<u32>, Header, description = "Records this laptop still has to send (0 to 10000000); anything else is ignored")),
    responses((status = 200, body = PushResponse), (status = 401, body = ErrorBody),
              (status = 400, body = ErrorBody), (status = 413, body = ErrorBody),
              (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn push(
    State(state): State<AppState>,
    AuthDevice(device): AuthDevice,
    Body(req): Body<PushRequest>,
) -> Result<Json<PushResponse>> {
    if let Err(e) = validate_push(&req) {
        tracing::warn!(device = %device.id, adviser = %device.adviser, error = %e, "push refused");
        return Err(e);
    }
    let n = u64::try_from(req.changes.len()).unwrap_or(u64::MAX);
    if let Err(wait) = state.quota.take(device.id, n, std::time::Instant::now()) {
        tracing::warn!(device = %device.id, adviser = %device.adviser, changes = n,
            "push refused: quota exceeded");
        return Err(Error::client(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::QuotaExceeded,
            format!("too many changes from this device this hour; retry in {wait} s"),
        ));
    }
    let who = Principal {
        device: device.id,
        adviser: device.adviser.clone(),
    };
    let acks = state.storage.push(&who, req.changes).await?;
    tracing::info!(device = %device.id, changes = acks.len(), "push applied");
    Ok(Json(PushResponse {
        protocol: PROTOCOL_VERSION,
        acks,
    }))
}

/// [`PullResponse`] as the server writes it: the records' stored JSON goes out as it is
/// (same fields in the same order, so the same document).
#[derive(Serialize)]
pub struct PullPage {
    pub protocol: u32,
    pub records: Vec<crate::merge::PulledRecord>,
    pub next_cursor: i64,
    pub more: bool,
    pub remaining: u64,
    pub reference: Vec<preau_protocol::ReferenceVersion>,
}

/// The records changed after a cursor, in server order, and the reference data versions.
#[utoipa::path(post, path = "/api/v1/pull", request_body = PullRequest, security(("bearer" = [])),
    params(("preau-pending-changes" = Option<u32>, Header, description = "Records this laptop still has to send (0 to 10000000); anything else is ignored")),
    responses((status = 200, body = PullResponse), (status = 401, body = ErrorBody),
              (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn pull(
    State(state): State<AppState>,
    AuthDevice(_device): AuthDevice,
    Body(req): Body<PullRequest>,
) -> Result<Json<PullPage>> {
    if req.cursor < 0 {
        return Err(Error::invalid("cursor < 0"));
    }
    let limit = req
        .limit
        .unwrap_or(MAX_PAGE_RECORDS)
        .clamp(1, MAX_PAGE_RECORDS);
    let page = state.storage.pull(req.cursor, limit).await?;
    let reference = state.storage.reference_versions().await?;
    Ok(Json(PullPage {
        protocol: PROTOCOL_VERSION,
        records: page.records,
        next_cursor: page.next_cursor,
        more: page.more,
        remaining: page.remaining,
        reference,
    }))
}

/// The latest published version of one reference data set.
#[utoipa::path(post, path = "/api/v1/reference", request_body = ReferenceRequest,
    security(("bearer" = [])),
    responses((status = 200, body = ReferenceResponse), (status = 404, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 400, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn reference(
    State(state): State<AppState>,
    AuthDevice(_device): AuthDevice,
    Body(req): Body<ReferenceRequest>,
) -> Result<Json<ReferenceResponse>> {
    if !REFERENCE_KINDS.contains(&req.kind.as_str()) {
        return Err(Error::invalid(format!(
            "kind must be one of {}",
            REFERENCE_KINDS.join(", ")
        )));
    }
    let (version, content) = state.storage.reference(&req.kind).await?.ok_or_else(|| {
        Error::client(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            format!("no {} published", req.kind),
        )
    })?;
    Ok(Json(ReferenceResponse {
        protocol: PROTOCOL_VERSION,
        kind: req.kind,
        version,
        content,
    }))
}

struct SecurityAddon;

impl utoipa::Modify for SecurityAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Préau sync API", description = "Devices, sync and reference data of the Préau central server"),
    paths(health, enroll, push, pull, reference),
    modifiers(&SecurityAddon, &TransportResponses)
)]
pub struct ApiDoc;

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

async fn not_found() -> Error {
    Error::client(StatusCode::NOT_FOUND, ErrorCode::NotFound, "no such route")
}

async fn method_not_allowed() -> Error {
    Error::client(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::MethodNotAllowed,
        "method not allowed on this route",
    )
}

pub fn router(storage: Arc<dyn Storage>) -> Router {
    router_with(storage, crate::quota::Quota::default())
}

/// The router with a given per-device quota.
pub fn router_with(storage: Arc<dyn Storage>, quota: crate::quota::Quota) -> Router {
    let api = Router::new()
        .route("/health", get(health))
        .route("/openapi.json", get(openapi))
        .route("/enroll", post(enroll))
        .route(
            "/push",
            post(push).layer(axum::Extension(crate::auth::Pushing)),
        )
        .route("/pull", post(pull))
        .route("/reference", post(reference));
    Router::new()
        .nest(preau_protocol::API_PREFIX, api)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(AppState {
            storage,
            quota: Arc::new(quota),
        })
}
