//! Who is asking: the staff session behind the cookie, the CSRF token its forms carry,
//! and the throttle on login attempts.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::pages::WebError;
use super::{Page, WebState, PREFIX};
use crate::middleware::ClientAddr;
use crate::staff::{self, StaffUser};

/// The session's cookie: its secret, of which only a hash is stored.
pub const SESSION_COOKIE: &str = "preau_session";
/// Before a login: a random value the login and password forms carry back (CSRF by
/// double submission; there is no session to derive it from yet).
pub const FORM_COOKIE: &str = "preau_form";

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty() && v.len() <= 128)
}

/// A `Set-Cookie` value: only for the back-office's paths, unreadable by scripts, never
/// sent with a request another site makes, and over HTTPS only when the server speaks it.
pub fn set_cookie(name: &str, value: &str, max_age_secs: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{name}={value}; Path={PREFIX}; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{secure}"
    )
}

/// A logged-in staff member.
pub struct Staff {
    pub user: StaffUser,
    token: String,
}

impl Staff {
    /// The CSRF token this session's forms carry.
    pub fn csrf(&self) -> String {
        staff::csrf_token(&self.token)
    }

    pub fn token(&self) -> &str {
        &self.token
    }

    /// Refuses (403) a page this member's role may not open.
    pub fn may(&self, page: Page) -> Result<(), WebError> {
        if page.allows(self.user.role) {
            Ok(())
        } else {
            tracing::warn!(user = %self.user.email, ?page, "back-office page refused");
            Err(WebError::Forbidden)
        }
    }
}

/// Anonymous: a page asked for goes to the login form.
pub struct LoginFirst;

impl IntoResponse for LoginFirst {
    fn into_response(self) -> Response {
        Redirect::to(&format!("{PREFIX}/connexion")).into_response()
    }
}

impl FromRequestParts<WebState> for Staff {
    type Rejection = LoginFirst;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, LoginFirst> {
        // Only the cookie: an `Authorization: Bearer` device token is never read here.
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(LoginFirst);
        };
        match staff::session_user(state.storage.as_ref(), token).await {
            Ok(Some(user)) => Ok(Staff {
                user,
                token: token.to_string(),
            }),
            Ok(None) => Err(LoginFirst),
            Err(e) => {
                tracing::error!(error = %e, "session lookup failed");
                Err(LoginFirst)
            }
        }
    }
}

impl axum::extract::OptionalFromRequestParts<WebState> for Staff {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &WebState,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(
            <Staff as FromRequestParts<WebState>>::from_request_parts(parts, state)
                .await
                .ok(),
        )
    }
}

/// The client's address, for the audit log and the throttle.
pub fn client(parts: &Parts) -> Option<std::net::IpAddr> {
    parts.extensions.get::<ClientAddr>().map(|c| c.0)
}

#[derive(Deserialize)]
struct WithCsrf<T> {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    form: T,
}

/// A form posted from one of our pages: its `csrf` field must be the session's token (or,
/// before a login, the form cookie's value), and a browser's `Origin`, when sent, this
/// server. Anything else is refused (403) before the handler runs.
pub struct Posted<T> {
    pub form: T,
    pub client: Option<std::net::IpAddr>,
}

fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) else {
        return true;
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let authority = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    matches!((authority, host), (Some(a), Some(h)) if a == h)
}

impl<T: DeserializeOwned + Send> FromRequest<WebState> for Posted<T> {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &WebState) -> Result<Self, WebError> {
        if req.method() != Method::POST {
            return Err(WebError::BadForm);
        }
        let headers = req.headers().clone();
        check_origin(&headers)?;
        let client = req.extensions().get::<ClientAddr>().map(|c| c.0);
        let Form(WithCsrf { csrf, form }) = Form::<WithCsrf<T>>::from_request(req, state)
            .await
            .map_err(|_| WebError::BadForm)?;
        check_csrf(&headers, &csrf)?;
        Ok(Posted { form, client })
    }
}

/// Refuses (403) a posted `csrf` value that is neither the session's token nor, before a
/// login, the form cookie's value. Also for the forms [`Posted`] does not read (a file
/// upload), with [`check_origin`].
pub fn check_csrf(headers: &HeaderMap, csrf: &str) -> Result<(), WebError> {
    let by_session = cookie(headers, SESSION_COOKIE)
        .is_some_and(|t| staff::same_secret(csrf, &staff::csrf_token(t)));
    let by_form_cookie =
        cookie(headers, FORM_COOKIE).is_some_and(|v| v.len() >= 32 && staff::same_secret(csrf, v));
    if csrf.is_empty() || !(by_session || by_form_cookie) {
        tracing::warn!("back-office form without a valid CSRF token refused");
        return Err(WebError::BadForm);
    }
    Ok(())
}

/// Refuses (403) a form a browser posted from another origin.
pub fn check_origin(headers: &HeaderMap) -> Result<(), WebError> {
    if same_origin(headers) {
        Ok(())
    } else {
        tracing::warn!("back-office form from another origin refused");
        Err(WebError::BadForm)
    }
}

/// Failed logins allowed in [`WINDOW`], per email and per client address; past them, the
/// form answers 429 without checking the password.
pub const FAILURES_PER_EMAIL: usize = 5;
pub const FAILURES_PER_CLIENT: usize = 20;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

/// Recent failed logins, in memory (a restart forgets them; the window is short anyway).
#[derive(Default)]
pub struct Throttle {
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl Throttle {
    fn keys(email: &str, client: Option<std::net::IpAddr>) -> [(String, usize); 2] {
        [
            (
                format!("email:{}", staff::normal_email(email)),
                FAILURES_PER_EMAIL,
            ),
            (
                format!(
                    "client:{}",
                    client.map_or_else(String::new, |c| c.to_string())
                ),
                FAILURES_PER_CLIENT,
            ),
        ]
    }

    /// Whether a login for `email` from `client` may be tried now.
    pub fn allows(&self, email: &str, client: Option<std::net::IpAddr>, now: Instant) -> bool {
        let Ok(mut map) = self.failures.lock() else {
            return false;
        };
        // Forget what left the window, so the map holds only the last minutes' failures.
        map.retain(|_, times| {
            times.retain(|t| now.duration_since(*t) < WINDOW);
            !times.is_empty()
        });
        Self::keys(email, client)
            .iter()
            .all(|(k, limit)| map.get(k).map_or(0, Vec::len) < *limit)
    }

    pub fn failed(&self, email: &str, client: Option<std::net::IpAddr>, now: Instant) {
        if let Ok(mut map) = self.failures.lock() {
            for (k, _) in Self::keys(email, client) {
                map.entry(k).or_default().push(now);
            }
        }
    }

    /// A successful login clears its email's failures (not its address's).
    pub fn succeeded(&self, email: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(&format!("email:{}", staff::normal_email(email)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_by_name() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            "a=1; preau_session=abc ; preau_form=xyz"
                .parse()
                .expect("header"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, FORM_COOKIE), Some("xyz"));
        assert_eq!(cookie(&h, "b"), None);
        let c = set_cookie(SESSION_COOKIE, "abc", 60, true);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.ends_with("Secure"));
        assert!(!set_cookie(SESSION_COOKIE, "abc", 60, false).contains("Secure"));
    }

    #[test]
    fn the_throttle_counts_failures_per_email_and_per_client_in_a_window() {
        let t = Throttle::default();
        let ip = Some("192.0.2.1".parse().expect("ip"));
        let start = Instant::now();
        for _ in 0..FAILURES_PER_EMAIL {
            assert!(t.allows("anne@s.fr", ip, start));
            t.failed("Anne@S.fr ", ip, start);
        }
        assert!(!t.allows("anne@s.fr", ip, start));
        assert!(t.allows("paul@s.fr", ip, start), "another email from there");
        assert!(
            t.allows("anne@s.fr", ip, start + WINDOW),
            "the window passed"
        );
        for i in 0..FAILURES_PER_CLIENT {
            t.failed(&format!("u{i}@s.fr"), ip, start);
        }
        assert!(
            !t.allows("new@s.fr", ip, start),
            "too many from one address"
        );
        assert!(t.allows("new@s.fr", Some("192.0.2.2".parse().expect("ip")), start));
    }
}
