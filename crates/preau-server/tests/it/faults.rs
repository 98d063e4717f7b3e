//! A fault-injecting TCP proxy between a laptop and the server: seeded scenarios cut a
//! request or a response at a random byte offset; then the server is killed in the middle
//! of a push and restarted. After recovery every change has arrived exactly once and both
//! laptops converge.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use preau_core::model::{Participant, Role, VisitPatch};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::support::{fast_retries, Backend, Laptop, TestServer};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dir {
    Request,
    Response,
}

#[derive(Debug, Clone, Copy)]
struct Fault {
    dir: Dir,
    /// Bytes let through in `dir` before the connection is cut.
    at: usize,
}

struct Shared {
    upstream: Mutex<SocketAddr>,
    fault: Mutex<Option<(Fault, usize)>>,
    request_bytes: AtomicUsize,
    cuts: AtomicUsize,
}

struct Proxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    _rt: tokio::runtime::Runtime,
}

impl Proxy {
    fn start(upstream: SocketAddr) -> Proxy {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("proxy runtime");
        let shared = Arc::new(Shared {
            upstream: Mutex::new(upstream),
            fault: Mutex::new(None),
            request_bytes: AtomicUsize::new(0),
            cuts: AtomicUsize::new(0),
        });
        let listener = rt
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("proxy bind");
        let addr = listener.local_addr().expect("proxy addr");
        let s = Arc::clone(&shared);
        rt.spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let s = Arc::clone(&s);
                tokio::spawn(async move {
                    let _ = pump(client, s).await;
                });
            }
        });
        Proxy {
            addr,
            shared,
            _rt: rt,
        }
    }

    fn arm(&self, fault: Fault) {
        *self.shared.fault.lock().expect("lock") = Some((fault, 0));
    }

    fn disarm(&self) {
        *self.shared.fault.lock().expect("lock") = None;
    }

    fn set_upstream(&self, addr: SocketAddr) {
        *self.shared.upstream.lock().expect("lock") = addr;
    }
}

/// How many of `n` bytes going `dir` may pass; `None`: all, `Some(k)`: pass k then cut.
fn allowance(s: &Shared, dir: Dir, n: usize) -> Option<usize> {
    let mut guard = s.fault.lock().ok()?;
    let (fault, seen) = guard.as_mut()?;
    if fault.dir != dir {
        return None;
    }
    if *seen + n <= fault.at {
        *seen += n;
        return None;
    }
    let pass = fault.at - *seen;
    *guard = None;
    s.cuts.fetch_add(1, Ordering::Relaxed);
    Some(pass)
}

async fn pump(mut client: TcpStream, s: Arc<Shared>) -> std::io::Result<()> {
    let upstream = *s
        .upstream
        .lock()
        .map_err(|_| std::io::Error::other("lock"))?;
    let mut server = TcpStream::connect(upstream).await?;
    let (mut a, mut b) = (vec![0u8; 16 * 1024], vec![0u8; 16 * 1024]);
    loop {
        tokio::select! {
            n = client.read(&mut a) => {
                let n = n?;
                if n == 0 { return Ok(()); }
                s.request_bytes.fetch_add(n, Ordering::Relaxed);
                match allowance(&s, Dir::Request, n) {
                    None => server.write_all(&a[..n]).await?,
                    Some(k) => { server.write_all(&a[..k]).await?; return Ok(()); }
                }
            }
            n = server.read(&mut b) => {
                let n = n?;
                if n == 0 { return Ok(()); }
                match allowance(&s, Dir::Response, n) {
                    None => client.write_all(&b[..n]).await?,
                    Some(k) => { client.write_all(&b[..k]).await?; return Ok(()); }
                }
            }
        }
    }
}

/// xorshift64*: seeded, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

fn participant(name: String) -> Participant {
    Participant {
        id: preau_core::make_id(),
        name,
        role: Role::Enseignant,
        phone: None,
        email: None,
    }
}

pub fn proxy_cuts_and_restart(backend: &Backend, scenarios: usize) {
    let db = "faults";
    let url = backend.url(db);
    let server = TestServer::start(&url);
    let proxy = Proxy::start(server.addr);
    let proxied = format!("http://{}", proxy.addr);
    let mut a = Laptop::enrolled(&server.url(), &server.enrollment_code("Anne"));
    // The laptop talks to the server only through the proxy from now on.
    a.store.sync_set_server_url(&proxied).expect("url");
    let mut b = Laptop::enrolled(&server.url(), &server.enrollment_code("Anne"));
    let visit = a
        .store
        .visit_create("80620", "2026-12-03T18:00")
        .expect("visit")
        .id;
    a.sync();
    let base = backend.changes_applied(db);
    assert_eq!(base, 1);

    let seed = std::env::var("PREAU_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5052_4541_u64);
    eprintln!(
        "[{}] {scenarios} fault scenarios, seed {seed:#x}",
        backend.label()
    );
    let mut rng = Rng(seed | 1);
    let mut expected = base;
    for i in 0..scenarios {
        let dir = if rng.next().is_multiple_of(2) {
            Dir::Request
        } else {
            Dir::Response
        };
        let at = usize::try_from(rng.next() % 1_600).expect("offset");
        proxy.arm(Fault { dir, at });
        if i.is_multiple_of(2) {
            a.store
                .participant_save(&visit, &participant(format!("Enseignant {i}")))
                .expect("participant");
        } else {
            a.store
                .visit_update(
                    &visit,
                    &VisitPatch {
                        notes: Some(format!("notes {i}")),
                        ..VisitPatch::default()
                    },
                )
                .expect("notes");
        }
        expected += 1;
        let report = a
            .try_sync(fast_retries())
            .unwrap_or_else(|e| panic!("scenario {i} ({dir:?} at {at}): {e:?}"));
        assert_eq!(
            a.store.sync_overview().expect("o").pending,
            0,
            "scenario {i}: {report:?}"
        );
        proxy.disarm();
        assert_eq!(
            backend.changes_applied(db),
            expected,
            "scenario {i} ({dir:?} at {at}): each change applied exactly once"
        );
    }
    let cuts = proxy.shared.cuts.load(Ordering::Relaxed);
    eprintln!("[{}] {cuts} connections cut", backend.label());
    assert!(cuts > scenarios / 2, "most scenarios did cut a connection");

    // The server is killed in the middle of a push of several batches, then restarted.
    for i in 0..400 {
        a.store
            .participant_save(&visit, &participant(format!("Élève délégué {i}")))
            .expect("participant");
    }
    expected += 400;
    let before = proxy.shared.request_bytes.load(Ordering::Relaxed);
    let syncing = std::thread::spawn(move || {
        let opts = preau_sync::SyncOptions {
            batch_size: 50,
            max_attempts: 40,
            max_delay: Duration::from_millis(200),
            ..fast_retries()
        };
        let mut retries = 0;
        let r =
            a.rt.block_on(preau_sync::sync(&mut a.store, opts, &mut |p| {
                if matches!(p, preau_sync::Progress::Retrying { .. }) {
                    retries += 1;
                }
            }));
        (a, r, retries)
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while proxy.shared.request_bytes.load(Ordering::Relaxed) < before + 40_000 {
        assert!(
            std::time::Instant::now() < deadline,
            "the push never started"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    server.kill();
    std::thread::sleep(Duration::from_millis(300));
    let server = TestServer::start(&url);
    proxy.set_upstream(server.addr);
    let (mut a, result, retries) = syncing.join().expect("sync thread");
    let report = result.expect("the sync recovers after the restart");
    eprintln!(
        "[{}] after restart ({retries} retries): {report:?}",
        backend.label()
    );
    assert!(retries > 0, "the restart interrupted the sync");
    assert_eq!(a.store.sync_overview().expect("o").pending, 0);
    assert_eq!(backend.changes_applied(db), expected, "exactly once");

    // Both laptops converge (B talks to the restarted server directly).
    b.store.sync_set_server_url(&server.url()).expect("url");
    b.sync();
    a.sync();
    assert_eq!(a.dump(), b.dump());
    let people = b.store.visit(&visit).expect("visit").participants.len();
    assert_eq!(people, scenarios.div_ceil(2) + 400);
    drop(server);
}
