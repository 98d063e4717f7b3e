//! The listener (issue 12): our own accept loop over hyper's HTTP/1 connections, so that
//! no client can hold the server's sockets forever.
//!
//! - **Connection cap**: a semaphore of `max_connections` permits; a permit is taken
//!   *before* `accept`, so connections beyond the cap wait in the kernel's backlog (they
//!   are served as others close) instead of using file descriptors here.
//! - **Header timeout**: hyper's `header_read_timeout` (with tokio's timer). It counts
//!   from the moment the server waits for a request's head, so it cuts a slow-loris
//!   (headers trickled) and also closes a kept-alive connection that sends no next
//!   request.
//! - **Idle timeout**: a watchdog per connection closes it when no byte moved either way
//!   for `idle_timeout` while no request is being handled (a client that stops reading
//!   its response, a TLS client that never finishes its handshake is cut by the header
//!   timeout instead).
//! - **Body timeout and request deadline**: `middleware.rs`, answered `408` with the
//!   protocol's `request_timeout` code.
//!
//! Accept errors (`EMFILE`…) are logged and retried after a pause: the loop neither spins
//! nor stops.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio_rustls::TlsAcceptor;

use crate::error::{Error, Result};

/// How long the accept loop pauses after a failed `accept` (out of descriptors, say).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// The transport limits (`preau-server.toml`: `max_connections`, `header_timeout_secs`,
/// `body_timeout_secs`, `request_timeout_secs`, `idle_timeout_secs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Connections served at once; more wait in the listen backlog.
    pub max_connections: usize,
    /// Time to send a request's head (and the TLS handshake); on a kept-alive connection
    /// the clock starts when the previous response is sent.
    pub header_timeout: Duration,
    /// Time to send a request's whole body, from its head.
    pub body_timeout: Duration,
    /// Time from a request's head to its response.
    pub request_timeout: Duration,
    /// A connection where no byte moves for this long, outside a request's handling, is
    /// closed.
    pub idle_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            // A syndicate has tens of laptops; well under the usual 1,024 descriptors.
            max_connections: 256,
            header_timeout: Duration::from_secs(10),
            // 8 MiB (the body limit) over a poor rural 4G link (~1.5 Mbit/s) takes ~45 s.
            body_timeout: Duration::from_secs(60),
            request_timeout: Duration::from_secs(90),
            idle_timeout: Duration::from_secs(30),
        }
    }
}

impl Limits {
    /// Refuses values that would disable a limit or make it meaningless.
    pub fn check(&self) -> Result<()> {
        let ok = (1..=100_000).contains(&self.max_connections)
            && [
                self.header_timeout,
                self.body_timeout,
                self.request_timeout,
                self.idle_timeout,
            ]
            .iter()
            .all(|d| !d.is_zero() && *d <= Duration::from_secs(24 * 3600));
        if ok {
            Ok(())
        } else {
            Err(Error::Config(
                "max_connections must be 1 to 100000 and every timeout 1 s to 24 h".into(),
            ))
        }
    }
}

/// When a byte last moved on a connection, in milliseconds since it was accepted.
struct Activity {
    start: Instant,
    last_ms: AtomicU64,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
        }
    }

    fn touch(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    fn quiet_for(&self) -> Duration {
        let last = Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
        self.start.elapsed().saturating_sub(last)
    }
}

/// A socket that records when bytes move, for the idle watchdog.
struct Tracked<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Tracked<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tracked<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Requests being handled on a connection, and a wake-up for the watchdog when one ends.
#[derive(Default)]
struct InHand {
    count: AtomicUsize,
    ended: tokio::sync::Notify,
}

/// One request in hand; its end counts as activity (the idle clock starts when the
/// response is ready, not when its request arrived).
struct Busy {
    in_hand: Arc<InHand>,
    activity: Arc<Activity>,
}

impl Busy {
    fn enter(in_hand: &Arc<InHand>, activity: &Arc<Activity>) -> Busy {
        in_hand.count.fetch_add(1, Ordering::AcqRel);
        Busy {
            in_hand: Arc::clone(in_hand),
            activity: Arc::clone(activity),
        }
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.activity.touch();
        self.in_hand.count.fetch_sub(1, Ordering::AcqRel);
        self.in_hand.ended.notify_one();
    }
}

/// Resolves once the connection has been quiet for `idle` with no request in hand.
async fn idle_watch(activity: Arc<Activity>, in_hand: Arc<InHand>, idle: Duration) {
    loop {
        let quiet = activity.quiet_for();
        if in_hand.count.load(Ordering::Acquire) > 0 {
            // A request in hand is bounded by the request deadline, not by this
            // watchdog: wait for its end (a permit stored by `notify_one` is not lost).
            in_hand.ended.notified().await;
            continue;
        }
        if quiet >= idle {
            return;
        }
        tokio::select! {
            () = tokio::time::sleep(idle.saturating_sub(quiet).max(Duration::from_millis(10))) => {}
            // A request started and ended meanwhile: its end is the new start of quiet.
            () = in_hand.ended.notified() => {}
        }
    }
}

/// Accepts connections until `shutdown` resolves, then lets the open ones finish (each
/// is told to close after its current request) within the request deadline.
pub(crate) async fn run(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    tls: Option<TlsAcceptor>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    limits.check()?;
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let (stop_tx, stop_rx) = watch::channel(false);
    let limits = Arc::new(limits);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = Arc::clone(&permits).acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Small JSON answers: no Nagle delay.
        let _ = tcp.set_nodelay(true);
        tokio::spawn(connection(
            tcp,
            peer,
            app.clone(),
            Arc::clone(&limits),
            tls.clone(),
            stop_rx.clone(),
            permit,
        ));
    }
    drop(listener);
    let _ = stop_tx.send(true);
    // Each connection holds a permit until it ends: all of them back means all ended.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let grace = limits.request_timeout + limits.header_timeout;
    if tokio::time::timeout(grace, permits.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!("connections still open at shutdown, closed");
    }
    Ok(())
}

async fn connection(
    tcp: tokio::net::TcpStream,
    peer: SocketAddr,
    app: Router,
    limits: Arc<Limits>,
    tls: Option<TlsAcceptor>,
    stop: watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
) {
    let activity = Arc::new(Activity::new());
    let io = Tracked {
        inner: tcp,
        activity: Arc::clone(&activity),
    };
    match tls {
        None => serve_io(io, peer, app, &limits, activity, stop).await,
        Some(acceptor) => {
            match tokio::time::timeout(limits.header_timeout, acceptor.accept(io)).await {
                Ok(Ok(stream)) => serve_io(stream, peer, app, &limits, activity, stop).await,
                // Scanners and plain-HTTP clients: noise, not an attack on an account.
                Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
            }
        }
    }
}

async fn serve_io<IO>(
    io: IO,
    peer: SocketAddr,
    app: Router,
    limits: &Limits,
    activity: Arc<Activity>,
    mut stop: watch::Receiver<bool>,
) where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let in_hand = Arc::new(InHand::default());
    let service = {
        let (in_hand, activity) = (Arc::clone(&in_hand), Arc::clone(&activity));
        hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            let guard = Busy::enter(&in_hand, &activity);
            let mut app = app.clone();
            async move {
                let response =
                    tower_service::Service::call(&mut app, req.map(axum::body::Body::new)).await;
                drop(guard);
                response
            }
        })
    };
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    let conn = builder.serve_connection(TokioIo::new(io), service);
    tokio::pin!(conn);
    let idle = idle_watch(activity, in_hand, limits.idle_timeout);
    tokio::pin!(idle);
    let mut stopping = false;
    loop {
        tokio::select! {
            ended = conn.as_mut() => {
                if let Err(e) = ended {
                    // A header timeout (slow-loris or an idle kept-alive connection), a
                    // reset, garbage instead of HTTP: the client's problem.
                    tracing::debug!(%peer, error = %e, "connection closed");
                }
                return;
            }
            () = &mut idle => {
                tracing::debug!(%peer, "idle connection closed");
                return;
            }
            _ = stop.changed(), if !stopping => {
                stopping = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}
