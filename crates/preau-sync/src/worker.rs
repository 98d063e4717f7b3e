//! The background sync, the same for every front end that wants one: a task that follows
//! the [`Policy`](crate::policy) on its own connection to the store and tells an
//! [`Observer`] (the app's window) what it does.
//!
//! The sync itself runs on a blocking thread with its own small runtime and a SECOND
//! connection to the store (SQLite WAL: the window's connection keeps reading and writing
//! meanwhile; each of the sync's writes is its own short transaction).
//!
//! Local edits are noticed by polling `PRAGMA data_version` every [`EDIT_POLL`] while the
//! policy watches edits. Why a poll rather than a notification from the write path: the
//! window's writes go through ~40 commands, preau-cli may write to the same file, and a
//! forgotten hook would silently bring back the 60 s delay. `data_version` moves for every
//! commit by another connection, whoever made it, and never for the sync's own writes;
//! reading it costs nothing. Only when it moved does the worker count the changes waiting:
//! a write that is not synced (a setting, a draft) starts nothing.
//!
//! After « Restaurer une sauvegarde » the store file is replaced: the worker's connection
//! is dropped and opened again on the restored file ([`Worker::store_replaced`]).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use preau_core::secrets::SecretStore;
use preau_core::sync::{SyncPhase, SyncStatus};
use preau_core::Store;
use serde::Serialize;
use tokio::sync::Notify;

use crate::policy::{Decision, Event, Facts, Policy, CHECK_EVERY};
use crate::{Error, Progress, SyncOptions, SyncReport};

/// How often the waiting worker looks for local edits.
pub const EDIT_POLL: Duration = Duration::from_secs(2);

/// What the worker tells its front end.
pub trait Observer: Send + Sync + 'static {
    /// The whole state, after each change.
    fn status(&self, status: SyncStatus);
    /// Phase and n / total while a sync runs.
    fn progress(&self, progress: ProgressEvent);
    /// Whether the front end's own store is open (a damaged file waiting for a restore is
    /// not: the worker must not open it behind its back).
    fn store_ready(&self) -> bool;
}

/// The payload of a progress notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ProgressEvent {
    pub seq: u32,
    pub phase: SyncPhase,
    pub done: u32,
    pub total: u32,
}

/// What the running sync is doing; the rest of the state is read from the store.
#[derive(Debug, Clone, Default)]
struct Live {
    running: bool,
    phase: SyncPhase,
    done: u32,
    total: u32,
    online: Option<bool>,
    last_error: Option<String>,
    /// Bumped at each change (see `SyncStatus::seq`).
    seq: u32,
}

pub struct Worker {
    data_dir: PathBuf,
    /// Where the store's key and the device token are (the OS keyring in the app).
    secrets: Arc<dyn SecretStore>,
    options: SyncOptions,
    live: Mutex<Live>,
    /// Events from the front end (« Synchroniser », an enrollment) for the policy.
    inbox: Mutex<Vec<Event>>,
    wake: Notify,
    /// Bumped when the store file is replaced (a backup restored): a connection opened
    /// before is on the old file.
    store_generation: AtomicU64,
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Worker {
    pub fn new(
        data_dir: &Path,
        secrets: Arc<dyn SecretStore>,
        options: SyncOptions,
    ) -> Arc<Worker> {
        Arc::new(Worker {
            data_dir: data_dir.to_path_buf(),
            secrets,
            options,
            live: Mutex::new(Live::default()),
            inbox: Mutex::new(Vec::new()),
            wake: Notify::new(),
            store_generation: AtomicU64::new(0),
        })
    }

    fn live(&self) -> std::sync::MutexGuard<'_, Live> {
        self.live
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Changes what the sync is doing (and its `seq`).
    fn update(&self, f: impl FnOnce(&mut Live)) {
        let mut live = self.live();
        f(&mut live);
        live.seq = live.seq.wrapping_add(1);
    }

    fn send(&self, event: Event) {
        self.inbox
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(event);
        self.wake.notify_one();
    }

    fn take_events(&self) -> Vec<Event> {
        std::mem::take(
            &mut *self
                .inbox
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        )
    }

    /// The store's part of the state completed with what the sync is doing now.
    pub fn compose(&self, mut status: SyncStatus) -> SyncStatus {
        let live = self.live().clone();
        status.running = live.running;
        status.phase = live.phase;
        status.done = live.done;
        status.total = live.total;
        status.online = live.online;
        status.last_error = live.last_error;
        status.seq = live.seq;
        status
    }

    /// « Synchroniser »: a sync now, without a health check first or a backoff wait.
    pub fn request(&self) {
        self.send(Event::Requested);
    }

    pub fn is_running(&self) -> bool {
        self.live().running
    }

    /// A new enrollment: forget the last failure and sync at once.
    pub fn enrolled(&self) {
        self.update(|live| {
            live.online = Some(true);
            live.last_error = None;
        });
        self.send(Event::Enrolled);
    }

    /// The store file was replaced (a backup restored): reopen the sync's connection on
    /// it, at once.
    pub fn store_replaced(&self) {
        self.store_generation.fetch_add(1, Ordering::SeqCst);
        self.wake.notify_one();
    }

    fn generation(&self) -> u64 {
        self.store_generation.load(Ordering::SeqCst)
    }

    fn emit_status(&self, observer: &dyn Observer, store: &Store) {
        match store.sync_status() {
            Ok(base) => observer.status(self.compose(base)),
            Err(e) => tracing::warn!(error = %e, "sync status unreadable"),
        }
    }

    fn on_progress(&self, observer: &dyn Observer, p: Progress) {
        let event = {
            let mut live = self.live();
            live.seq = live.seq.wrapping_add(1);
            match p {
                Progress::Pushing { done, total } => {
                    live.phase = SyncPhase::Pushing;
                    live.done = count(done);
                    live.total = count(total);
                }
                Progress::Pulling { received, total } => {
                    live.phase = SyncPhase::Pulling;
                    live.done = count(received);
                    live.total = count(total);
                }
                Progress::Reference => live.phase = SyncPhase::Reference,
                Progress::Applying => live.phase = SyncPhase::Applying,
                Progress::Retrying { attempt } => {
                    live.phase = SyncPhase::Retrying;
                    live.done = attempt;
                    live.total = 0;
                }
            }
            ProgressEvent {
                seq: live.seq,
                phase: live.phase,
                done: live.done,
                total: live.total,
            }
        };
        observer.progress(event);
    }

    /// Keeps the window's `online` in step with the policy's, telling it when it moved.
    fn follow_online(&self, policy: &Policy, observer: &dyn Observer, store: &Store) {
        let online = policy.online();
        if self.live().online != online {
            self.update(|live| live.online = online);
            self.emit_status(observer, store);
        }
    }

    /// The worker's life: spawn it once on the front end's tokio runtime.
    pub async fn run(self: Arc<Self>, observer: Arc<dyn Observer>) {
        crate::client::install_crypto_provider();
        let observer: &dyn Observer = &*observer;
        // The sync's connection, with the store generation it was opened at.
        let mut store: Option<Store> = None;
        let mut opened_at: u64 = 0;
        let mut policy = Policy::new(Instant::now());
        // `data_version` at the last look (None: not read yet).
        let mut version: Option<i64> = None;
        loop {
            if store.is_some() && opened_at != self.generation() {
                tracing::info!("store file replaced: reopening the sync connection");
                store = None;
            }
            let Some(mut st) = store.take() else {
                opened_at = self.generation();
                store = self.open_second_connection(observer).await;
                version = store.as_ref().and_then(|st| st.data_version().ok());
                if store.is_none() {
                    let _ = tokio::time::timeout(CHECK_EVERY, self.wake.notified()).await;
                }
                continue;
            };
            let now = Instant::now();
            let events = self.take_events();
            let asked = events.contains(&Event::Requested);
            for event in events {
                policy.on(event, now);
            }
            let facts = match st.sync_status() {
                Ok(s) => Facts {
                    enrolled: s.enrolled,
                    revoked: s.revoked,
                    pending: u64::from(s.pending),
                    waiting: u64::from(s.waiting),
                },
                Err(e) => {
                    tracing::error!(error = %e, "sync state unreadable");
                    store = Some(st);
                    let _ = tokio::time::timeout(CHECK_EVERY, self.wake.notified()).await;
                    continue;
                }
            };
            match policy.next(&facts, now) {
                Decision::Idle => {
                    if asked {
                        // « Synchroniser » on a laptop that cannot sync: say it stopped.
                        self.update(|live| live.running = false);
                        self.emit_status(observer, &st);
                    }
                    store = Some(st);
                    self.wake.notified().await;
                }
                Decision::Wait { until, watch_edits } => {
                    if watch_edits {
                        self.pause_watching(until, &mut st, &mut version, &mut policy)
                            .await;
                    } else {
                        let left = until.saturating_duration_since(Instant::now());
                        let _ = tokio::time::timeout(left, self.wake.notified()).await;
                    }
                    store = Some(st);
                }
                Decision::CheckHealth => {
                    let reachable = match st.sync_status() {
                        Ok(s) => match s.server_url {
                            Some(url) => crate::health(&url).await,
                            None => false,
                        },
                        Err(_) => false,
                    };
                    tracing::debug!(reachable, "sync server health");
                    policy.on(Event::Health { reachable }, Instant::now());
                    self.follow_online(&policy, observer, &st);
                    store = Some(st);
                }
                Decision::Sync => {
                    policy.on(Event::SyncStarted, now);
                    self.update(|live| {
                        live.running = true;
                        live.phase = SyncPhase::Checking;
                        live.done = 0;
                        live.total = 0;
                    });
                    self.emit_status(observer, &st);
                    let (back, result) = self.sync_once(observer, st).await;
                    let Some(back) = back else {
                        // The blocking task died (a panic): a fresh connection next time.
                        self.finish(
                            None,
                            Some("La synchronisation s'est arrêtée : elle reprendra.".into()),
                        );
                        policy.on(Event::SyncFailed { network: false }, Instant::now());
                        continue;
                    };
                    let outcome = self.outcome(result);
                    policy.on(outcome, Instant::now());
                    // The sync's own writes do not move `data_version`.
                    version = back.data_version().ok();
                    self.emit_status(observer, &back);
                    store = Some(back);
                }
            }
        }
    }

    /// What a sync's result means for the policy and the window.
    fn outcome(&self, result: crate::Result<SyncReport>) -> Event {
        match result {
            Ok(report) => {
                tracing::info!(
                    pushed = report.pushed,
                    pulled = report.pulled,
                    conflicts = report.open_conflicts,
                    "sync done"
                );
                self.finish(Some(true), None);
                Event::Synced
            }
            Err(Error::Revoked) => {
                self.finish(Some(true), Some(Error::Revoked.user_message()));
                Event::Revoked
            }
            Err(e) => {
                tracing::warn!(error = %e, "sync failed");
                let network = matches!(e, Error::Network(_));
                self.finish(Some(!network), Some(e.user_message()));
                Event::SyncFailed { network }
            }
        }
    }

    /// Waits until `until`, or less: a wake ends it, and so does an edit seen (the policy
    /// then says when it is due).
    async fn pause_watching(
        &self,
        until: Instant,
        // `&mut` only because a `&Store` is not `Send` and the task's future must be.
        store: &mut Store,
        version: &mut Option<i64>,
        policy: &mut Policy,
    ) {
        loop {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            if tokio::time::timeout(left.min(EDIT_POLL), self.wake.notified())
                .await
                .is_ok()
            {
                return;
            }
            match store.data_version() {
                Ok(v) if version.is_some_and(|old| old != v) => {
                    *version = Some(v);
                    match store.sync_status() {
                        Ok(s) if s.pending > 0 => {
                            policy.on(Event::EditsWaiting, Instant::now());
                            return;
                        }
                        Ok(_) => {}
                        Err(e) => tracing::warn!(error = %e, "sync state unreadable"),
                    }
                }
                Ok(v) => *version = Some(v),
                Err(e) => tracing::warn!(error = %e, "store version unreadable"),
            }
        }
    }

    /// The sync ended: `online` if known, and its error.
    fn finish(&self, online: Option<bool>, error: Option<String>) {
        self.update(|live| {
            live.running = false;
            live.phase = SyncPhase::Idle;
            live.done = 0;
            live.total = 0;
            if online.is_some() {
                live.online = online;
            }
            live.last_error = error;
        });
    }

    /// Opens the sync's own connection once the front end's store is open.
    async fn open_second_connection(&self, observer: &dyn Observer) -> Option<Store> {
        if !observer.store_ready() {
            return None;
        }
        let dir = self.data_dir.clone();
        let secrets = Arc::clone(&self.secrets);
        match tokio::task::spawn_blocking(move || Store::open_encrypted(&dir, secrets)).await {
            Ok(Ok(store)) => Some(store),
            Ok(Err(e)) => {
                tracing::error!(error = %e, "sync connection to the store failed");
                None
            }
            Err(e) => {
                tracing::error!(error = %e, "sync connection task failed");
                None
            }
        }
    }

    /// One sync on a blocking thread; gives the store back (None if the thread died).
    async fn sync_once(
        self: &Arc<Self>,
        observer: &dyn Observer,
        mut store: Store,
    ) -> (Option<Store>, crate::Result<SyncReport>) {
        let worker = Arc::clone(self);
        let options = self.options.clone();
        // The observer is borrowed for the task's life only through this channel: the
        // blocking thread sends progress, this task forwards it.
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Progress>();
        let task = tokio::task::spawn_blocking(move || {
            let runtime = match crate::runtime() {
                Ok(r) => r,
                Err(e) => return (store, Err(e)),
            };
            let mut progress = |p: Progress| {
                let _ = tx.send(p);
            };
            let result = runtime.block_on(crate::sync(&mut store, options, &mut progress));
            (store, result)
        });
        tokio::pin!(task);
        loop {
            tokio::select! {
                Some(p) = rx.recv() => worker.on_progress(observer, p),
                joined = &mut task => {
                    while let Ok(p) = rx.try_recv() {
                        worker.on_progress(observer, p);
                    }
                    return match joined {
                        Ok((store, result)) => (Some(store), result),
                        Err(e) => (None, Err(Error::Protocol(format!("sync task: {e}")))),
                    };
                }
            }
        }
    }
}
