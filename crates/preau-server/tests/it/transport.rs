//! The transport against a real server on 127.0.0.1 (issue 12): idle connections closed,
//! a slow-loris cut, connections beyond the cap served later, late bodies and requests
//! answered 408, refusals logged with the client's address and the device, tokens that
//! expire when idle and renew on use, device names and `devices list`.
//!
//! Timeouts are configured short (1–2 s); assertions only use generous bounds.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use preau_server::listener::Limits;
use preau_server::ServerOptions;
use serde_json::Value;

use crate::api::{http, post_raw};
use crate::support::{fast_retries, logs, Backend, Laptop, TestServer};

fn short(max_connections: usize) -> ServerOptions {
    ServerOptions {
        limits: Limits {
            max_connections,
            header_timeout: Duration::from_secs(1),
            body_timeout: Duration::from_secs(1),
            request_timeout: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(1),
        },
        ..ServerOptions::default()
    }
}

/// One request on a fresh connection (`Connection: close`): the status line and body.
fn raw_request(addr: SocketAddr, request: &str) -> (String, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    s.write_all(request.as_bytes()).expect("write");
    let mut answer = String::new();
    s.read_to_string(&mut answer).expect("read answer");
    let status = answer.lines().next().unwrap_or_default().to_string();
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

fn health(addr: SocketAddr) -> (String, String) {
    raw_request(
        addr,
        "GET /api/v1/health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    )
}

/// Whether the server closed `s` (EOF or reset) before `deadline`.
fn closed_before(s: &mut TcpStream, deadline: Instant) -> bool {
    let mut buf = [0u8; 64];
    while Instant::now() < deadline {
        let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return true,
        }
    }
    false
}

/// The finding: 300 idle connections were never closed and `/health` timed out. Now the
/// cap (64) keeps most of them waiting in the backlog, each is closed after the idle
/// timeout once served, and `/health`, queued behind them, is answered.
pub fn idle_connections_are_closed_and_health_keeps_answering(backend: &Backend) {
    let server = TestServer::start_with(&backend.url("idle"), short(64));
    let idle: Vec<TcpStream> = (0..300)
        .map(|_| TcpStream::connect(server.addr).expect("connect"))
        .collect();
    let start = Instant::now();
    let (status, body) = health(server.addr);
    assert!(
        status.contains("200"),
        "health behind 300 idle connections: {status}"
    );
    assert!(body.contains("\"ok\""), "{body}");
    assert!(
        start.elapsed() < Duration::from_secs(60),
        "answered in a bounded time"
    );
    // One bound for all of them, so a server that never closes fails in a minute.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut still_open = 0;
    for mut s in idle {
        if !closed_before(&mut s, deadline) {
            still_open += 1;
        }
    }
    assert_eq!(
        still_open, 0,
        "every idle connection is closed by the server"
    );
    let (status, _) = health(server.addr);
    assert!(status.contains("200"), "{status}");
}

/// Headers trickled one line every 200 ms: cut by the header timeout (1 s), long before
/// the 50 lines are sent, and the server keeps serving others.
pub fn slow_loris_is_cut(backend: &Backend) {
    let server = TestServer::start_with(&backend.url("slowloris"), short(64));
    let mut s = TcpStream::connect(server.addr).expect("connect");
    s.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: t\r\n")
        .expect("request line");
    let mut cut = false;
    for _ in 0..50 {
        std::thread::sleep(Duration::from_millis(200));
        if s.write_all(b"X-Slow: 1\r\n").is_err() {
            cut = true;
            break;
        }
        let _ = s.set_nonblocking(true);
        let mut buf = [0u8; 16];
        let eof = matches!(s.read(&mut buf), Ok(0));
        let _ = s.set_nonblocking(false);
        if eof {
            cut = true;
            break;
        }
    }
    assert!(cut, "a request head trickled over 10 s must be cut");
    let (status, _) = health(server.addr);
    assert!(status.contains("200"), "{status}");
}

/// A body that stops arriving is answered 408 `request_timeout` (body timeout 1 s), and so
/// is a request that outlives the request deadline (body timeout longer than it).
pub fn late_bodies_and_requests_get_408(backend: &Backend) {
    let partial = "POST /api/v1/enroll HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
                   Content-Length: 200\r\n\r\n{\"protocol\":1,";
    let server = TestServer::start_with(&backend.url("late_body"), short(8));
    let mut options = short(8);
    options.limits.body_timeout = Duration::from_secs(30);
    options.limits.request_timeout = Duration::from_secs(1);
    let deadline = TestServer::start_with(&backend.url("late_request"), options);
    for (server, why) in [(&server, "body"), (&deadline, "request")] {
        let mut s = TcpStream::connect(server.addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        s.write_all(partial.as_bytes()).expect("write");
        let mut answer = String::new();
        // The server closes after a 408 (the rest of the body may still come).
        let _ = s.read_to_string(&mut answer);
        assert!(answer.starts_with("HTTP/1.1 408"), "{why}: {answer}");
        let body: Value = serde_json::from_str(answer.split_once("\r\n\r\n").map_or("", |x| x.1))
            .expect("json body");
        assert_eq!(body["code"], "request_timeout", "{why}: {body}");
        assert!(
            body["message"].as_str().is_some_and(|m| m.contains(why)),
            "{body}"
        );
        let (status, _) = health(server.addr);
        assert!(status.contains("200"), "{status}");
    }
}

fn device_id(l: &Laptop) -> uuid::Uuid {
    l.store
        .sync_settings()
        .expect("state")
        .device_id
        .expect("device id")
        .parse()
        .expect("uuid")
}

fn device(server: &TestServer, id: uuid::Uuid) -> preau_server::storage::Device {
    let storage = Arc::clone(&server.storage);
    server
        .block_on(async move { preau_server::admin::list_devices(storage.as_ref()).await })
        .expect("devices")
        .into_iter()
        .find(|d| d.id == id)
        .expect("the device")
}

/// Every refused token (missing, unknown, revoked, expired) and wrong enrollment code is
/// logged with the client's address (a trusted proxy's `X-Forwarded-For`, else the
/// peer's) and the device when the token named one; devices keep their last use, address
/// and app version; an idle token expires, and the laptop is told to enroll again; a use
/// renews it.
pub fn refusals_are_logged_and_tokens_expire_when_idle(backend: &Backend) {
    let db = "detection";
    let options = ServerOptions {
        trusted_proxies: vec!["127.0.0.1".parse().expect("ip")],
        ..ServerOptions::default()
    };
    let server = TestServer::start_with(&backend.url(db), options);
    let base = format!("{}/api/v1", server.url());
    let mut laptop = Laptop::enrolled(&server.url(), &server.enrollment_code("Anne"));
    let id = device_id(&laptop);
    laptop.sync();
    let d = device(&server, id);
    assert!(d.last_seen_at.is_some(), "{d:?}");
    assert_eq!(d.last_ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(
        d.app_version.as_deref(),
        Some(concat!("preau/", env!("CARGO_PKG_VERSION")))
    );

    let revoked = Laptop::enrolled(&server.url(), &server.enrollment_code("Paul"));
    let revoked_id = device_id(&revoked);
    let storage = Arc::clone(&server.storage);
    server.block_on(async move {
        preau_server::admin::revoke(storage.as_ref(), revoked_id)
            .await
            .expect("revoke")
    });
    let client = http();
    let pull = br#"{"protocol":1,"cursor":0}"#.to_vec();
    // Each attempt comes "through the proxy" from its own documentation address.
    let attempts: Vec<(&str, Option<String>, &str, &str)> = vec![
        ("/pull", None, "203.0.113.1", "missing_token"),
        (
            "/pull",
            Some("Bearer 00ff".into()),
            "203.0.113.2",
            "invalid_token",
        ),
        (
            "/pull",
            Some(format!("Bearer {}", revoked.token())),
            "203.0.113.3",
            "revoked_token",
        ),
        ("/enroll", None, "203.0.113.4", "invalid_enrollment_code"),
    ];
    laptop.rt.block_on(async {
        for (path, token, from, code) in &attempts {
            let body = if *path == "/enroll" {
                br#"{"protocol":1,"code":"AAAA-BBBB-CCCC","device_name":"x"}"#.to_vec()
            } else {
                pull.clone()
            };
            let mut req = client
                .post(format!("{base}{path}"))
                .header("content-type", "application/json")
                .header("x-forwarded-for", format!("1.2.3.4, {from}"))
                .body(body);
            if let Some(t) = token {
                req = req.header("authorization", t);
            }
            let resp = req.send().await.expect("send");
            assert_eq!(resp.status().as_u16(), 401, "{code}");
        }
    });
    for (_, _, from, code) in &attempts {
        let lines = logs::lines_with(&format!("client={from} "));
        assert!(
            lines.iter().any(|l| l.contains("WARN")
                && l.contains("request refused")
                && l.contains(&format!("code=\"{code}\""))),
            "{code} from {from} logged: {lines:?}"
        );
    }
    let lines = logs::lines_with("client=203.0.113.3 ");
    assert!(
        lines
            .iter()
            .any(|l| l.contains(&format!("device={revoked_id}"))),
        "the revoked device is named: {lines:?}"
    );

    // Unused for 100 days: expired, with its own code; the laptop says to enroll again.
    backend.execute(
        db,
        &format!(
            "UPDATE devices SET last_seen_at = '{}' WHERE id = '{id}'",
            (chrono::Utc::now() - chrono::Duration::days(100)).to_rfc3339()
        ),
    );
    let err = laptop.try_sync(fast_retries()).expect_err("expired");
    assert!(matches!(err, preau_sync::Error::Expired), "{err:?}");
    assert_eq!(err.code(), preau_core::ErrorCode::TokenExpired);
    assert!(
        err.user_message().contains("Enrôlez-le à nouveau"),
        "{}",
        err.user_message()
    );
    let lines = logs::lines_with(&format!("device={id} "));
    assert!(
        lines
            .iter()
            .any(|l| l.contains("code=\"expired_token\"") && l.contains("client=127.0.0.1")),
        "{lines:?}"
    );
    // Unused for 89 days: still valid, and the use renews it.
    let before = chrono::Utc::now();
    backend.execute(
        db,
        &format!(
            "UPDATE devices SET last_seen_at = '{}' WHERE id = '{id}'",
            (before - chrono::Duration::days(89)).to_rfc3339()
        ),
    );
    laptop.sync();
    let renewed = device(&server, id).last_seen_at.expect("seen");
    assert!(
        renewed >= before - chrono::Duration::seconds(1),
        "renewed: {renewed}"
    );
}

/// A NUL gave a 500 on PostgreSQL; escapes reached the admin's terminal. Both are refused
/// with a 4xx, and the server keeps serving.
pub fn device_names_with_control_characters_are_refused(backend: &Backend) {
    let server = TestServer::start(&backend.url("device_names"));
    let laptop = Laptop::new();
    let client = http();
    for name in ["pc\u{0}", "pc\u{1b}[2J", "pc\u{202e}fdp.exe", "a\u{85}b"] {
        let code = server.enrollment_code("Anne");
        let body = serde_json::to_vec(&serde_json::json!({
            "protocol": 1, "code": code, "device_name": name
        }))
        .expect("json");
        let (status, answer) = laptop.rt.block_on(post_raw(
            &client,
            &format!("{}/api/v1/enroll", server.url()),
            None,
            body,
        ));
        assert_eq!(status, 422, "{name:?}: {answer}");
        assert_eq!(answer["code"], "invalid_body", "{name:?}");
    }
    let storage = Arc::clone(&server.storage);
    let devices = server
        .block_on(async move { preau_server::admin::list_devices(storage.as_ref()).await })
        .expect("devices");
    assert!(devices.is_empty(), "{devices:?}");
}

/// `/reference` answered an undocumented 400: every refusal a route gives here is among
/// the statuses its OpenAPI operation lists (408 included, on every route).
pub fn refusals_are_documented_in_openapi(backend: &Backend) {
    let server = TestServer::start(&backend.url("openapi_statuses"));
    let laptop = Laptop::enrolled(&server.url(), &server.enrollment_code("Anne"));
    let bearer = format!("Bearer {}", laptop.token());
    let client = http();
    let base = server.url();
    let doc: Value = laptop.rt.block_on(async {
        client
            .get(format!("{base}/api/v1/openapi.json"))
            .send()
            .await
            .expect("get")
            .json()
            .await
            .expect("json")
    });
    let big = vec![b' '; preau_protocol::MAX_BODY_BYTES + 10];
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("malformed", b"{\"protocol\":1,".to_vec()),
        ("wrong shape", br#"{"protocol":1,"x":1}"#.to_vec()),
        ("other protocol", br#"{"protocol":99}"#.to_vec()),
        ("oversized", big),
    ];
    for path in [
        "/api/v1/enroll",
        "/api/v1/push",
        "/api/v1/pull",
        "/api/v1/reference",
    ] {
        let documented: Vec<String> = doc["paths"][path]["post"]["responses"]
            .as_object()
            .map(|r| r.keys().cloned().collect())
            .unwrap_or_default();
        assert!(
            documented.contains(&"408".to_string()),
            "{path}: {documented:?}"
        );
        for token in [None, Some(bearer.as_str())] {
            for (what, body) in &bodies {
                // Refused before its body is read, a large request may see its connection
                // closed while still sending: the answer is then not readable.
                if token.is_none() && body.len() > 1024 && path != "/api/v1/enroll" {
                    continue;
                }
                let (status, answer) = laptop.rt.block_on(post_raw(
                    &client,
                    &format!("{base}{path}"),
                    token,
                    body.clone(),
                ));
                assert!(
                    documented.contains(&status.to_string()),
                    "{path} answered {status} to {what} (token: {}), documented {documented:?}: {answer}",
                    token.is_some()
                );
            }
        }
    }
}

/// The idle watchdog on its own (header timeout 30 s, idle 1 s): a connection that
/// sends nothing, and one kept alive after a request, are closed well before hyper's
/// header timeout would.
pub fn idle_watchdog_closes_quiet_connections(backend: &Backend) {
    let mut options = short(8);
    options.limits.header_timeout = Duration::from_secs(30);
    let server = TestServer::start_with(&backend.url("watchdog"), options);
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut silent = TcpStream::connect(server.addr).expect("connect");
    let mut kept = TcpStream::connect(server.addr).expect("connect");
    kept.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: t\r\n\r\n")
        .expect("request");
    let mut head = [0u8; 12];
    kept.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    kept.read_exact(&mut head).expect("answer");
    assert_eq!(&head, b"HTTP/1.1 200");
    assert!(
        closed_before(&mut silent, deadline),
        "a silent connection is closed"
    );
    assert!(
        closed_before(&mut kept, deadline),
        "a kept-alive idle connection is closed"
    );
}
