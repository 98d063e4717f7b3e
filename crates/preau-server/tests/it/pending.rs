//! What each laptop still has to send, as it tells the server (`preau-pending-changes`,
//! issue 13's Postes page): reported by `preau-sync` on its pushes and pulls, recorded
//! with the device's last use, hostile values ignored and never stored.

use preau_protocol::PENDING_CHANGES_HEADER;
use preau_server::storage::Device;
use uuid::Uuid;

use crate::api::http;
use crate::support::{fast_retries, logs, Backend, Laptop, TestServer};

fn device(server: &TestServer, id: Uuid) -> Device {
    let storage = std::sync::Arc::clone(&server.storage);
    server
        .block_on(async move { storage.devices().await })
        .expect("devices")
        .into_iter()
        .find(|d| d.id == id)
        .expect("the laptop's device")
}

fn device_id(l: &Laptop) -> Uuid {
    let id = l.store.sync_settings().expect("settings").device_id;
    Uuid::parse_str(&id.expect("enrolled")).expect("device id")
}

/// A pull of the first page as any client could send it, with `pending` as the header's
/// raw bytes (`None`: no header, as an older app). Its status.
fn pull_raw(server: &TestServer, l: &Laptop, pending: Option<&[u8]>) -> u16 {
    send_raw(
        server,
        l,
        "pull",
        r#"{"protocol": 1, "cursor": 0, "limit": 1}"#,
        pending,
    )
}

/// An empty push, with `pending` as the header's raw bytes. Its status.
fn push_raw(server: &TestServer, l: &Laptop, pending: &[u8]) -> u16 {
    send_raw(
        server,
        l,
        "push",
        r#"{"protocol": 1, "changes": []}"#,
        Some(pending),
    )
}

fn send_raw(
    server: &TestServer,
    l: &Laptop,
    route: &str,
    body: &'static str,
    pending: Option<&[u8]>,
) -> u16 {
    let mut req = http()
        .post(format!("{}/api/v1/{route}", server.url()))
        .bearer_auth(l.token())
        .header("content-type", "application/json")
        .body(body);
    if let Some(bytes) = pending {
        let value = reqwest::header::HeaderValue::from_bytes(bytes).expect("header value");
        req = req.header(PENDING_CHANGES_HEADER, value);
    }
    l.rt.block_on(async move { req.send().await.expect("pull").status().as_u16() })
}

/// A laptop with three unsent visits whose push is refused (over its quota) has told the
/// server it holds three; once a full sync went through, none: the pull after the push
/// says so, seconds after the push said three.
pub fn the_server_knows_what_each_laptop_still_holds(backend: &Backend) {
    let db = "pending_counts";
    let tight = preau_server::ServerOptions {
        quota: preau_server::quota::PerHour(2),
        ..preau_server::ServerOptions::default()
    };
    let server = TestServer::start_with(&backend.url(db), tight);
    let mut anne = Laptop::enrolled(&server.url(), &server.enrollment_code("Anne"));
    let id = device_id(&anne);
    assert_eq!(device(&server, id).pending_changes, None, "not said yet");
    for day in ["2026-12-01T09:00", "2026-12-02T09:00", "2026-12-03T09:00"] {
        anne.store.visit_create("80620", day).expect("visit");
    }
    assert_eq!(anne.store.sync_overview().expect("overview").pending, 3);
    let err = anne.try_sync(fast_retries()).expect_err("over the quota");
    assert!(
        matches!(&err, preau_sync::Error::Refused { status: 429, .. }),
        "{err:?}"
    );
    let seen = device(&server, id);
    assert_eq!(seen.pending_changes, Some(3), "{seen:?}");
    let reported = seen.pending_at.expect("when");
    assert!(seen.last_seen_at.is_some_and(|t| t >= reported));

    // The same database, a server with the usual quota: the push goes through.
    server.kill();
    let server = TestServer::start(&backend.url(db));
    anne.store
        .sync_set_server_url(&server.url())
        .expect("new address");
    anne.sync();
    assert_eq!(anne.store.sync_overview().expect("overview").pending, 0);
    let synced = device(&server, id);
    assert_eq!(synced.pending_changes, Some(0), "{synced:?}");
    assert!(synced.pending_at.is_some_and(|t| t >= reported));

    // An older app says nothing: its count stays unknown; a laptop that said once and
    // then says nothing keeps its last count.
    let older = Laptop::enrolled(&server.url(), &server.enrollment_code("Bruno"));
    assert_eq!(pull_raw(&server, &older, None), 200);
    assert_eq!(device(&server, device_id(&older)).pending_changes, None);
    assert_eq!(pull_raw(&server, &anne, None), 200);
    assert_eq!(device(&server, id).pending_changes, Some(0));

    // Documented where the API is.
    let url = format!("{}/api/v1/openapi.json", server.url());
    let doc: serde_json::Value = anne.rt.block_on(async move {
        let resp = http().get(url).send().await.expect("openapi");
        resp.json().await.expect("openapi json")
    });
    for path in ["/api/v1/push", "/api/v1/pull"] {
        let params = doc["paths"][path]["post"]["parameters"].to_string();
        assert!(
            params.contains(PENDING_CHANGES_HEADER) && params.contains("header"),
            "{path}: {params}"
        );
    }
}

/// Anything but a bounded count of decimal digits is logged and ignored: the request is
/// served, the count last reported stays.
pub fn hostile_pending_counts_are_ignored(backend: &Backend) {
    let server = TestServer::start(&backend.url("pending_hostile"));
    let mut anne = Laptop::enrolled(&server.url(), &server.enrollment_code("Anne"));
    anne.sync();
    let id = device_id(&anne);
    assert_eq!(device(&server, id).pending_changes, Some(0));
    assert_eq!(pull_raw(&server, &anne, Some(b"7")), 200);
    assert_eq!(device(&server, id).pending_changes, Some(7));
    // A push's lower count waits for the pull (no commit per batch of a sync); a higher
    // one is written at once.
    push_raw(&server, &anne, b"5");
    assert_eq!(device(&server, id).pending_changes, Some(7));
    push_raw(&server, &anne, b"9");
    assert_eq!(device(&server, id).pending_changes, Some(9));
    assert_eq!(pull_raw(&server, &anne, Some(b"7")), 200);
    assert_eq!(device(&server, id).pending_changes, Some(7));
    let hostile: [&[u8]; 9] = [
        b"-1",
        b"abc",
        b"10000001",
        b"4294967296",
        b"99999999999999999999999",
        b"3 4",
        b"3,0",
        b"1e3",
        b"\xff3",
    ];
    for value in hostile {
        assert_eq!(pull_raw(&server, &anne, Some(value)), 200, "{value:?}");
        let d = device(&server, id);
        assert_eq!(d.pending_changes, Some(7), "{value:?} stored: {d:?}");
    }
    let logged: Vec<String> = logs::lines_with("pending changes count ignored")
        .into_iter()
        .filter(|l| l.contains(&id.to_string()))
        .collect();
    assert!(logged.len() >= hostile.len(), "{logged:?}");
    assert_eq!(pull_raw(&server, &anne, Some(b"10000000")), 200);
    assert_eq!(device(&server, id).pending_changes, Some(10_000_000));
}
