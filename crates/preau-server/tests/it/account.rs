//! The laptop's account through `preau_sync`'s one set of functions (the app and
//! preau-cli call the same ones): revocation recorded by the sync itself, re-enrollment
//! clearing it, the device code handed out by the server, and the pull's n / total.

use std::sync::Arc;

use crate::support::{fast_retries, Backend, Laptop, TestServer};

fn revoke_all(server: &TestServer) {
    let storage = Arc::clone(&server.storage);
    server.block_on(async move {
        for d in preau_server::admin::list_devices(storage.as_ref())
            .await
            .expect("devices")
        {
            preau_server::admin::revoke(storage.as_ref(), d.id)
                .await
                .expect("revoke");
        }
    });
}

pub fn revocation_is_recorded_and_re_enrollment_clears_it(backend: &Backend) {
    let server = TestServer::start(&backend.url("revocation"));
    let mut laptop = Laptop::enrolled(&server.url(), &server.enrollment_code("Anne Martin"));
    let status = laptop.store.sync_status().expect("status");
    assert!(status.enrolled && !status.revoked);
    assert_eq!(status.device_name.as_deref(), Some("portable de test"));

    revoke_all(&server);
    let err = laptop.try_sync(fast_retries()).expect_err("revoked");
    assert!(matches!(err, preau_sync::Error::Revoked), "{err:?}");
    // Recorded by the sync itself, whoever called it (the CLI has no worker).
    assert!(laptop.store.sync_status().expect("status").revoked);
    // A laptop known revoked does not try again.
    let err = laptop.try_sync(fast_retries()).expect_err("still revoked");
    assert!(matches!(err, preau_sync::Error::Revoked), "{err:?}");

    // Enrolled again (what the revoked message suggests): usable at once, everywhere.
    let code = server.enrollment_code("Anne Martin");
    laptop
        .rt
        .block_on(preau_sync::enroll(
            &mut laptop.store,
            &server.url(),
            &code,
            "  portable d'Anne  ",
            fast_retries(),
        ))
        .expect("re-enroll");
    let status = laptop.store.sync_status().expect("status");
    assert!(status.enrolled && !status.revoked, "{status:?}");
    assert_eq!(status.device_name.as_deref(), Some("portable d'Anne"));
    laptop.sync();

    // Refusals change nothing: an empty code, an empty address, a used code.
    for (url, code, field) in [
        (server.url(), String::new(), Some("code")),
        (String::new(), "X".to_string(), Some("url")),
        (server.url(), code.clone(), Some("code")),
    ] {
        let before = laptop.store.sync_status().expect("status");
        let err = laptop
            .rt
            .block_on(preau_sync::enroll(
                &mut laptop.store,
                &url,
                &code,
                "autre",
                fast_retries(),
            ))
            .expect_err("refused");
        assert_eq!(err.field(), field, "{err:?}");
        assert_eq!(laptop.store.sync_status().expect("status"), before);
    }
}

pub fn device_codes_are_handed_out_at_enrollment(backend: &Backend) {
    let server = TestServer::start(&backend.url("device_codes"));
    let first = Laptop::enrolled(&server.url(), &server.enrollment_code("Anne Martin"));
    let second = Laptop::enrolled(&server.url(), &server.enrollment_code("Paul Durand"));
    assert_eq!(first.store.device_code().expect("code"), "0001");
    assert_eq!(second.store.device_code().expect("code"), "0002");

    // A laptop that numbered proposals offline before its enrollment keeps its own code
    // (five characters: never one the server hands out), and keeps it when enrolled again.
    let mut offline = Laptop::new();
    let own = offline.store.device_code().expect("own code");
    assert_eq!(own.len(), 5);
    offline.enroll(&server.url(), &server.enrollment_code("Anne Martin"));
    assert_eq!(offline.store.device_code().expect("code"), own);
    let mut again = first;
    again.enroll(&server.url(), &server.enrollment_code("Anne Martin"));
    assert_eq!(again.store.device_code().expect("code"), "0001");
}

pub fn pull_progress_counts_to_the_total(backend: &Backend) {
    let server = TestServer::start(&backend.url("pull_total"));
    let mut a = Laptop::enrolled(&server.url(), &server.enrollment_code("Anne Martin"));
    for day in 1..=9 {
        a.store
            .visit_create("80620", &format!("2026-12-{day:02}T18:00"))
            .expect("visit");
    }
    a.sync();
    let mut b = Laptop::enrolled(&server.url(), &server.enrollment_code("Anne Martin"));
    let opts = preau_sync::SyncOptions {
        page_size: 4,
        ..fast_retries()
    };
    let mut seen = Vec::new();
    let report =
        b.rt.block_on(preau_sync::sync(&mut b.store, opts, &mut |p| {
            if let preau_sync::Progress::Pulling { received, total } = p {
                seen.push((received, total));
            }
        }))
        .expect("sync");
    assert!(seen.len() >= 3, "several pages: {seen:?}");
    assert!(
        seen.iter().all(|&(_, total)| total == report.pulled),
        "every page knows the total {}: {seen:?}",
        report.pulled
    );
    assert_eq!(seen.last().map(|&(n, _)| n), Some(report.pulled));
}
