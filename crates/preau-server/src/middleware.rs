//! What wraps every request (issue 12): the client's address, the body timeout and the
//! request deadline (both answered `408 request_timeout`), and one log line for every
//! refused request — bad, revoked or expired tokens, wrong enrollment codes, refused
//! pushes — with the client's address and, when the token named one, the device.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper::body::{Body as HttpBody, Frame, SizeHint};
use preau_protocol::ErrorCode;
use uuid::Uuid;

use crate::auth::AuthPolicy;
use crate::error::Error;
use crate::listener::Limits;
use crate::text::printable;

/// The client's address: the TCP peer, or what a trusted reverse proxy says in
/// `X-Forwarded-For`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// The device a request's token named, once `AuthDevice` found it (for the log line of a
/// refusal that comes later, or of the token's own refusal).
#[derive(Debug, Clone, Default)]
pub struct SeenDevice(Arc<OnceLock<Uuid>>);

impl SeenDevice {
    pub fn set(&self, id: Uuid) {
        let _ = self.0.set(id);
    }

    pub fn get(&self) -> Option<Uuid> {
        self.0.get().copied()
    }
}

/// What the middleware needs, shared by every request.
#[derive(Debug, Clone)]
pub struct Guard {
    pub limits: Limits,
    pub auth: AuthPolicy,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Arc<[IpAddr]>,
}

/// The client behind `peer`: the peer itself unless it is a trusted proxy, else the
/// nearest address in `X-Forwarded-For` (read from the right, as each proxy appends the
/// address it saw) that is not a trusted proxy. Anything unparsable stops the walk: what
/// comes before it could have been written by the client.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    let peer = peer.to_canonical();
    if !trusted.contains(&peer) {
        return peer;
    }
    let mut client = peer;
    let values: Vec<&HeaderValue> = headers.get_all("x-forwarded-for").iter().collect();
    for value in values.into_iter().rev() {
        let Ok(text) = value.to_str() else {
            return client;
        };
        for part in text.rsplit(',') {
            let Ok(ip) = part.trim().parse::<IpAddr>() else {
                return client;
            };
            client = ip.to_canonical();
            if !trusted.contains(&client) {
                return client;
            }
        }
    }
    client
}

/// A request body that fails once its deadline passes, and says so through `late`.
struct TimedBody {
    inner: Body,
    deadline: Pin<Box<tokio::time::Sleep>>,
    late: Arc<AtomicBool>,
}

impl HttpBody for TimedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        if self.deadline.as_mut().poll(cx).is_ready() {
            self.late.store(true, Ordering::Release);
            return Poll::Ready(Some(Err(axum::Error::new(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "request body not received in time",
            )))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

fn request_timeout(message: &str) -> Response {
    let mut response = Error::client(
        StatusCode::REQUEST_TIMEOUT,
        ErrorCode::RequestTimeout,
        message,
    )
    .into_response();
    // The rest of a late body may still be on its way: this connection cannot serve
    // another request.
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

fn secs(d: Duration) -> u64 {
    d.as_secs().max(1)
}

/// The middleware: see the module's documentation.
pub async fn guard(State(guard): State<Arc<Guard>>, mut req: Request, next: Next) -> Response {
    let client = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| client_ip(c.0.ip(), req.headers(), &guard.trusted_proxies));
    if let Some(ip) = client {
        req.extensions_mut().insert(ClientAddr(ip));
    }
    let seen = SeenDevice::default();
    req.extensions_mut().insert(seen.clone());
    req.extensions_mut().insert(guard.auth.clone());
    let method = req.method().clone();
    let path = printable(req.uri().path(), 120);

    let late = Arc::new(AtomicBool::new(false));
    let deadline = Box::pin(tokio::time::sleep(guard.limits.body_timeout));
    let req = {
        let late = Arc::clone(&late);
        req.map(move |inner| {
            Body::new(TimedBody {
                inner,
                deadline,
                late,
            })
        })
    };
    let response = match tokio::time::timeout(guard.limits.request_timeout, next.run(req)).await {
        Ok(_) if late.load(Ordering::Acquire) => request_timeout(&format!(
            "request body not received within {} s",
            secs(guard.limits.body_timeout)
        )),
        Ok(response) => response,
        Err(_) => request_timeout(&format!(
            "request not answered within {} s",
            secs(guard.limits.request_timeout)
        )),
    };

    let status = response.status();
    if status.is_client_error() {
        let code = response
            .extensions()
            .get::<ErrorCode>()
            .map_or("-", |c| c.as_str());
        let client = client.map_or_else(|| "-".to_string(), |ip| ip.to_string());
        let device = seen
            .get()
            .map_or_else(|| "-".to_string(), |id| id.to_string());
        // Tokens, enrollment codes and forbidden writes are what an attacker with a
        // stolen laptop tries: warnings, for the syndicate's IT to watch.
        if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
            tracing::warn!(%client, %device, %method, %path, status = status.as_u16(), code,
                "request refused");
        } else {
            tracing::info!(%client, %device, %method, %path, status = status.as_u16(), code,
                "request refused");
        }
    }
    response
}

/// Documents what the transport answers on every route, rather than in each handler's
/// annotation: `408 request_timeout` (this middleware, any route) and `413
/// payload_too_large` (the body limit, any route that takes a body).
pub struct TransportResponses;

impl utoipa::Modify for TransportResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let error = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                        .build(),
                )
                .build()
        };
        let late = error("request_timeout: the body or the answer took longer than allowed");
        let large = error("payload_too_large: the body is larger than the limit");
        for item in openapi.paths.paths.values_mut() {
            for operation in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                let with_body = operation.request_body.is_some();
                let responses = &mut operation.responses.responses;
                responses
                    .entry("408".to_string())
                    .or_insert_with(|| late.clone().into());
                if with_body {
                    responses
                        .entry("413".to_string())
                        .or_insert_with(|| large.clone().into());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", HeaderValue::from_str(v).expect("header"));
        }
        h
    }

    #[test]
    fn forwarded_for_is_believed_only_from_a_trusted_proxy() {
        let ip = |s: &str| s.parse::<IpAddr>().expect("ip");
        let proxy = ip("127.0.0.1");
        let trusted = [proxy, ip("10.0.0.2")];
        let h = headers(&["203.0.113.9, 10.0.0.2"]);
        // Not from a proxy: the header is the client's own words.
        assert_eq!(
            client_ip(ip("198.51.100.7"), &h, &trusted),
            ip("198.51.100.7")
        );
        // Through two trusted proxies: the first address they did not write.
        assert_eq!(client_ip(proxy, &h, &trusted), ip("203.0.113.9"));
        // A client prepending a forged address does not hide behind it.
        let forged = headers(&["1.2.3.4, 203.0.113.9"]);
        assert_eq!(client_ip(proxy, &forged, &trusted), ip("203.0.113.9"));
        // Garbage stops the walk at what the proxies vouch for.
        let junk = headers(&["nonsense, 10.0.0.2"]);
        assert_eq!(client_ip(proxy, &junk, &trusted), ip("10.0.0.2"));
        // No header: the proxy itself.
        assert_eq!(client_ip(proxy, &HeaderMap::new(), &trusted), proxy);
        // IPv4 mapped in IPv6 is the IPv4 address.
        assert_eq!(
            client_ip(ip("::ffff:127.0.0.1"), &h, &trusted),
            ip("203.0.113.9")
        );
    }
}
