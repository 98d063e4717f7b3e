//! Built-in TLS and PostgreSQL over TLS (issue 12), with certificates made by the test
//! (rcgen): health and a real laptop's sync over HTTPS on 127.0.0.1, the certificate
//! replaced on disk and served by the next connection without a restart, and the
//! `sslmode` of a PostgreSQL URL honoured.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use preau_server::tls::TlsFiles;
use preau_server::ServerOptions;

use crate::support::{fast_retries, Backend, Laptop, PgCluster, TestCa, TestServer};

fn write_pair(dir: &Path, cert: &str, key: &str) {
    // Written beside, then renamed over: what certbot and most tools do.
    for (name, text) in [("cert.pem", cert), ("key.pem", key)] {
        let tmp = dir.join(format!("{name}.new"));
        std::fs::write(&tmp, text).expect("write");
        std::fs::rename(&tmp, dir.join(name)).expect("rename");
    }
}

fn trusting(ca: &TestCa) -> preau_sync::SyncOptions {
    preau_sync::SyncOptions {
        extra_roots: vec![ca.der()],
        ..fast_retries()
    }
}

/// The certificate the server presents to a new connection.
fn served_certificate(
    rt: &tokio::runtime::Runtime,
    addr: std::net::SocketAddr,
    ca: &TestCa,
) -> Vec<u8> {
    let connector = tokio_rustls::TlsConnector::from(Arc::new(ca.client_config()));
    rt.block_on(async {
        let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
        let tls = connector.connect(name, tcp).await.expect("handshake");
        tls.get_ref()
            .1
            .peer_certificates()
            .and_then(|c| c.first())
            .map(|c| c.to_vec())
            .expect("a certificate")
    })
}

/// Over HTTPS: health, enrollment and a sync between two real laptops; then the pair is
/// replaced on disk (the certificate first, alone: the server keeps the old pair until
/// the key matches) and the next connection gets the new certificate, no restart.
pub fn https_serves_sync_and_reloads_its_certificate(backend: &Backend) {
    let dir = tempfile::tempdir().expect("dir");
    let ca = TestCa::new("Préau test CA");
    let (cert, key, first) = ca.leaf();
    write_pair(dir.path(), &cert, &key);
    let options = ServerOptions {
        tls: Some(TlsFiles {
            cert: dir.path().join("cert.pem"),
            key: dir.path().join("key.pem"),
        }),
        ..ServerOptions::default()
    };
    let server = TestServer::start_with(&backend.url("https"), options);
    assert!(
        server.url().starts_with("https://127.0.0.1:"),
        "{}",
        server.url()
    );

    let mut a = Laptop::new();
    // Health over HTTPS, for a client that trusts the test CA; plain HTTP on the TLS port
    // is dropped at the handshake and breaks nothing.
    let mut plain = std::net::TcpStream::connect(server.addr).expect("connect");
    let _ = std::io::Write::write_all(
        &mut plain,
        b"GET /api/v1/health HTTP/1.1\r\nHost: t\r\n\r\n",
    );
    let _ = plain.set_read_timeout(Some(Duration::from_secs(30)));
    let mut answer = Vec::new();
    let _ = std::io::Read::read_to_end(&mut plain, &mut answer);
    assert!(
        !answer.starts_with(b"HTTP/1.1 200"),
        "no plain HTTP on the TLS port"
    );
    let health: serde_json::Value = a.rt.block_on(async {
        reqwest::Client::builder()
            .use_preconfigured_tls(ca.client_config())
            .build()
            .expect("client")
            .get(format!("{}/api/v1/health", server.url()))
            .send()
            .await
            .expect("health over HTTPS")
            .json()
            .await
            .expect("json")
    });
    assert_eq!(health["status"], "ok", "{health}");
    a.rt.block_on(preau_sync::enroll(
        &mut a.store,
        &server.url(),
        &server.enrollment_code("Anne"),
        "portable d'Anne",
        trusting(&ca),
    ))
    .expect("enroll over HTTPS");
    let visit = crate::sync::example_visit(&mut a);
    a.try_sync(trusting(&ca)).expect("push over HTTPS");
    let mut b = Laptop::new();
    b.rt.block_on(preau_sync::enroll(
        &mut b.store,
        &server.url(),
        &server.enrollment_code("Anne"),
        "portable 2",
        trusting(&ca),
    ))
    .expect("enroll");
    b.try_sync(trusting(&ca)).expect("pull over HTTPS");
    assert!(
        b.store
            .visits_list()
            .expect("visits")
            .iter()
            .any(|v| v.id == visit),
        "the visit came down over HTTPS"
    );
    // Not trusted without the CA: the laptop refuses the server, nothing is sent.
    let mut stranger = Laptop::new();
    let refused = stranger.rt.block_on(preau_sync::enroll(
        &mut stranger.store,
        &server.url(),
        &server.enrollment_code("Anne"),
        "x",
        fast_retries(),
    ));
    assert!(
        matches!(refused, Err(preau_sync::Error::Network(_))),
        "{refused:?}"
    );

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    assert_eq!(served_certificate(&rt, server.addr, &ca), first);
    let (cert2, key2, second) = ca.leaf();
    assert_ne!(first, second);
    // The certificate alone: its key does not match, the old pair stays in use.
    let tmp = dir.path().join("cert.pem.new");
    std::fs::write(&tmp, &cert2).expect("write");
    std::fs::rename(&tmp, dir.path().join("cert.pem")).expect("rename");
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(
        served_certificate(&rt, server.addr, &ca),
        first,
        "half a pair is not served"
    );
    write_pair(dir.path(), &cert2, &key2);
    let mut served = Vec::new();
    for _ in 0..50 {
        served = served_certificate(&rt, server.addr, &ca);
        if served == second {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(
        served, second,
        "the new certificate is served without a restart"
    );
    a.try_sync(trusting(&ca))
        .expect("sync with the new certificate");
}

/// The suite's cluster serves TLS (`ssl=on`, a certificate from its own test CA) and is
/// reached with `sslmode=require`; `verify-full` checks the CA and the host, `disable`
/// goes without, and a server without the right CA is refused.
pub fn postgres_sslmode_is_honoured(pg: &PgCluster) {
    pg.create_database("tls");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    let ssl = |url: String| -> Result<bool, preau_server::Error> {
        rt.block_on(async {
            let client = preau_server::pg_tls::connect(&url).await?;
            let row = client
                .query_one(
                    "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                    &[],
                )
                .await?;
            Ok(row.get::<_, bool>(0))
        })
    };
    let ca = pg.ca_file().display().to_string();
    assert!(
        ssl(pg.url("tls")).expect("require"),
        "sslmode=require is TLS"
    );
    assert!(ssl(pg.url_with("tls", "sslmode=prefer")).expect("prefer"));
    assert!(
        ssl(pg.url_with("tls", &format!("sslmode=verify-full&sslrootcert={ca}")))
            .expect("verify-full against the cluster's CA")
    );
    assert!(
        ssl(pg.url_with("tls", &format!("sslmode=verify-ca&sslrootcert={ca}"))).expect("verify-ca")
    );
    assert!(!ssl(pg.url_with("tls", "sslmode=disable")).expect("disable"));
    let other = tempfile::NamedTempFile::new().expect("file");
    std::fs::write(other.path(), TestCa::new("another CA").pem()).expect("write");
    let wrong = format!("sslmode=verify-full&sslrootcert={}", other.path().display());
    assert!(
        ssl(pg.url_with("tls", &wrong)).is_err(),
        "a certificate from another CA is refused"
    );
    // verify-full without sslrootcert: the system's roots do not know the test CA.
    assert!(ssl(pg.url_with("tls", "sslmode=verify-full")).is_err());
    assert!(ssl(pg.url_with("tls", "sslmode=nonsense")).is_err());
}
