//! Bad input never gets a 5xx or a panic: a 4xx with an error code, and the server keeps
//! serving others.

use serde_json::{json, Value};

use crate::support::{Backend, Laptop, TestServer};

pub fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().build().expect("http client")
}

pub async fn post_raw(
    c: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    body: Vec<u8>,
) -> (u16, Value) {
    let mut req = c
        .post(url)
        .body(body)
        .header("content-type", "application/json");
    if let Some(t) = token {
        req = req.header("authorization", t);
    }
    let resp = req.send().await.expect("send");
    let status = resp.status().as_u16();
    let bytes = resp.bytes().await.expect("body");
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

pub fn bad_input(backend: &Backend) {
    let server = TestServer::start(&backend.url("bad_input"));
    let base = format!("{}/api/v1", server.url());
    let laptop = Laptop::enrolled(&server.url(), &server.enrollment_code("Anne"));
    let token = laptop.token();
    let revoked = {
        let l = Laptop::enrolled(&server.url(), &server.enrollment_code("Paul"));
        let id: uuid::Uuid = l
            .store
            .sync_settings()
            .expect("state")
            .device_id
            .expect("device id")
            .parse()
            .expect("uuid");
        let storage = std::sync::Arc::clone(&server.storage);
        assert!(server.block_on(async move {
            preau_server::admin::revoke(storage.as_ref(), id)
                .await
                .expect("revoke")
        }));
        l.token()
    };
    let bearer = format!("Bearer {token}");
    let revoked = format!("Bearer {revoked}");
    let change = json!({"change_id": uuid::Uuid::now_v7(), "table": "visits",
        "record_id": uuid::Uuid::now_v7().to_string(), "base_revision": 0,
        "fields": {"notes": "x"}});
    let big = vec![b' '; preau_protocol::MAX_BODY_BYTES + 10];
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let many: Vec<Value> = (0..preau_protocol::MAX_BATCH_CHANGES + 1)
        .map(|_| change.clone())
        .collect();
    #[allow(clippy::type_complexity)]
    let cases: Vec<(&str, &str, Option<&str>, Vec<u8>, u16, &str)> = vec![
        ("malformed JSON", "/push", Some(&bearer), b"{\"protocol\":1,".to_vec(), 400, "malformed_json"),
        ("not JSON at all", "/pull", Some(&bearer), b"hello".to_vec(), 400, "malformed_json"),
        ("invalid UTF-8", "/pull", Some(&bearer), vec![0xff, 0xfe, 0x00], 400, "malformed_json"),
        ("deep nesting", "/pull", Some(&bearer), deep.into_bytes(), 400, "malformed_json"),
        ("deep nesting in an object", "/pull", Some(&bearer), format!("{{\"protocol\":1,\"cursor\":{}{}}}", "[".repeat(10_000), "]".repeat(10_000)).into_bytes(), 400, "malformed_json"),
        ("not an object", "/pull", Some(&bearer), b"[1,2]".to_vec(), 422, "invalid_body"),
        ("empty body", "/pull", Some(&bearer), Vec::new(), 400, "malformed_json"),
        ("wrong type", "/pull", Some(&bearer), br#"{"protocol":1,"cursor":"a"}"#.to_vec(), 422, "invalid_body"),
        ("missing field", "/push", Some(&bearer), br#"{"protocol":1}"#.to_vec(), 422, "invalid_body"),
        ("unknown field", "/pull", Some(&bearer), br#"{"protocol":1,"cursor":0,"x":1}"#.to_vec(), 422, "invalid_body"),
        ("negative cursor", "/pull", Some(&bearer), br#"{"protocol":1,"cursor":-1}"#.to_vec(), 422, "invalid_body"),
        ("bad table name", "/push", Some(&bearer),
            serde_json::to_vec(&json!({"protocol":1,"changes":[{"change_id": uuid::Uuid::now_v7(),
              "table":"visits; DROP TABLE records","record_id":"a","base_revision":0,"fields":{}}]})).expect("json"),
            422, "invalid_body"),
        ("bad field name", "/push", Some(&bearer),
            serde_json::to_vec(&json!({"protocol":1,"changes":[{"change_id": uuid::Uuid::now_v7(),
              "table":"visits","record_id":"a","base_revision":0,"fields":{"a b":1}}]})).expect("json"),
            422, "invalid_body"),
        ("bad change id", "/push", Some(&bearer),
            br#"{"protocol":1,"changes":[{"change_id":"nope","table":"visits","record_id":"a","base_revision":0,"fields":{}}]}"#.to_vec(),
            422, "invalid_body"),
        ("too many changes", "/push", Some(&bearer),
            serde_json::to_vec(&json!({"protocol":1,"changes":many})).expect("json"), 422, "invalid_body"),
        ("oversized body", "/push", Some(&bearer), big, 413, "payload_too_large"),
        ("unknown protocol", "/pull", Some(&bearer), br#"{"protocol":99,"cursor":0}"#.to_vec(), 400, "unsupported_protocol"),
        ("unknown protocol, other shape", "/push", Some(&bearer), br#"{"protocol":2,"batch":[]}"#.to_vec(), 400, "unsupported_protocol"),
        ("no protocol", "/pull", Some(&bearer), br#"{"cursor":0}"#.to_vec(), 400, "unsupported_protocol"),
        ("missing token", "/pull", None, br#"{"protocol":1,"cursor":0}"#.to_vec(), 401, "missing_token"),
        ("not a bearer", "/pull", Some("Basic abc"), br#"{"protocol":1,"cursor":0}"#.to_vec(), 401, "invalid_token"),
        ("invalid token", "/pull", Some("Bearer 0000"), br#"{"protocol":1,"cursor":0}"#.to_vec(), 401, "invalid_token"),
        ("revoked token", "/pull", Some(&revoked), br#"{"protocol":1,"cursor":0}"#.to_vec(), 401, "revoked_token"),
        ("revoked token push", "/push", Some(&revoked),
            serde_json::to_vec(&json!({"protocol":1,"changes":[change]})).expect("json"), 401, "revoked_token"),
        ("unknown enrollment code", "/enroll", None,
            br#"{"protocol":1,"code":"AAAA-BBBB-CCCC","device_name":"x"}"#.to_vec(), 401, "invalid_enrollment_code"),
        ("unknown reference kind", "/reference", Some(&bearer), br#"{"protocol":1,"kind":"../etc"}"#.to_vec(), 422, "invalid_body"),
        ("reference not published", "/reference", Some(&bearer), br#"{"protocol":1,"kind":"catalogue"}"#.to_vec(), 404, "not_found"),
        ("unknown route", "/nope", Some(&bearer), b"{}".to_vec(), 404, "not_found"),
    ];
    let client = http();
    laptop.rt.block_on(async {
        for (what, path, token, body, status, code) in cases {
            let (got, body) = post_raw(&client, &format!("{base}{path}"), token, body).await;
            assert_eq!(got, status, "{what}: status (body {body})");
            assert_eq!(body["code"], code, "{what}: code");
            assert!(
                body["message"].as_str().is_some_and(|m| !m.is_empty()),
                "{what}: message"
            );
            // Still serving others.
            let (ok, page) = post_raw(
                &client,
                &format!("{base}/pull"),
                Some(&bearer),
                br#"{"protocol":1,"cursor":0}"#.to_vec(),
            )
            .await;
            assert_eq!(ok, 200, "after {what}: {page}");
        }
        let resp = client
            .get(format!("{base}/push"))
            .send()
            .await
            .expect("get");
        assert_eq!(resp.status().as_u16(), 405);
        let body: Value = resp.json().await.expect("json");
        assert_eq!(body["code"], "method_not_allowed");
    });
}

pub fn enrollment_is_one_time(backend: &Backend) {
    let server = TestServer::start(&backend.url("enrollment"));
    let code = server.enrollment_code("Anne Martin");
    let mut first = Laptop::new();
    first.enroll(&server.url(), &code.to_lowercase());
    let mut second = Laptop::new();
    let again = second.rt.block_on(preau_sync::enroll(
        &mut second.store,
        &server.url(),
        &code,
        "autre",
        crate::support::fast_retries(),
    ));
    match again {
        Err(preau_sync::Error::Refused { status, code, .. }) => {
            assert_eq!(status, 401);
            assert_eq!(code, preau_protocol::ErrorCode::InvalidEnrollmentCode);
        }
        other => panic!("a used code must be refused, got {other:?}"),
    }
    let devices = server.block_on(preau_server::admin::list_devices(server.storage.as_ref()));
    let devices = devices.expect("devices");
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0].adviser, "Anne Martin");
    // A revoked laptop gets the revoked error, in French for the user; its data stays.
    first
        .store
        .visit_create("80620", "2026-12-03T18:00")
        .expect("visit");
    let storage = std::sync::Arc::clone(&server.storage);
    let id = devices[0].id;
    server.block_on(async move {
        preau_server::admin::revoke(storage.as_ref(), id)
            .await
            .expect("revoke")
    });
    let err = first
        .try_sync(crate::support::fast_retries())
        .expect_err("revoked");
    assert!(matches!(err, preau_sync::Error::Revoked), "{err:?}");
    assert!(err.user_message().contains("révoqué"));
    assert_eq!(first.store.visits_list().expect("visits").len(), 1);
}

pub fn openapi_is_served(backend: &Backend) {
    let server = TestServer::start(&backend.url("openapi"));
    let laptop = Laptop::new();
    let doc: Value = laptop.rt.block_on(async {
        http()
            .get(format!("{}/api/v1/openapi.json", server.url()))
            .send()
            .await
            .expect("get")
            .json()
            .await
            .expect("json")
    });
    for path in [
        "/api/v1/push",
        "/api/v1/pull",
        "/api/v1/enroll",
        "/api/v1/reference",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} documented");
    }
    for schema in [
        "PushRequest",
        "Change",
        "PullResponse",
        "ErrorBody",
        "ErrorCode",
    ] {
        assert!(
            doc["components"]["schemas"][schema].is_object(),
            "{schema} documented"
        );
    }
}
