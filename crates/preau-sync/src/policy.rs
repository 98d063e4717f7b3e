//! When the laptop syncs: a pure function of what happened and what time it is. The
//! worker feeds it events (an edit seen, the server's health, a sync's outcome,
//! « Synchroniser », an enrollment) and asks it what to do next; nothing here touches the
//! network, the store or a clock, so every rule is tested with made-up instants.
//!
//! The rules:
//! - « Synchroniser » (or an enrollment) syncs at once, without a health check first.
//! - Otherwise the worker asks the server's health every [`CHECK_EVERY`] (the first time
//!   [`FIRST_CHECK`] after start) and syncs when it answers and there is something to do:
//!   it just came back, changes wait to be sent or applied, or the last good sync is
//!   [`PULL_EVERY`] old. An unreachable server is asked again later and later (doubling
//!   from [`CHECK_EVERY`] up to [`MAX_OFFLINE_WAIT`]).
//! - Local edits are sent soon: while online with no failure to back off from, edits seen
//!   sync once they pause [`EDIT_QUIET`], at most [`EDIT_MAX_DELAY`] after the first.
//! - A failed sync spaces the next attempts out (doubling up to [`MAX_FAILED_WAIT`]);
//!   a revoked or never enrolled laptop does nothing until it is enrolled.

use std::time::{Duration, Instant};

/// First look after start (the window comes up first).
pub const FIRST_CHECK: Duration = Duration::from_secs(3);
/// Between two health checks when all is well.
pub const CHECK_EVERY: Duration = Duration::from_secs(60);
/// Longest pause between two checks while the server cannot be reached.
pub const MAX_OFFLINE_WAIT: Duration = Duration::from_secs(5 * 60);
/// Longest pause after syncs that failed although the server answered its health check.
pub const MAX_FAILED_WAIT: Duration = Duration::from_secs(15 * 60);
/// A reachable server with nothing to push is still pulled from this often.
pub const PULL_EVERY: Duration = Duration::from_secs(5 * 60);
/// Edits are sent once none came for this long (a burst of edits: one sync)…
pub const EDIT_QUIET: Duration = Duration::from_secs(3);
/// …or at the latest this long after the first one (someone typing for minutes).
pub const EDIT_MAX_DELAY: Duration = Duration::from_secs(8);

/// `base`, doubled at each failure after the first, at most `cap`.
pub fn backoff(failures: u32, base: Duration, cap: Duration) -> Duration {
    let doublings = failures.saturating_sub(1).min(16);
    base.saturating_mul(1 << doublings).min(cap)
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// « Synchroniser ».
    Requested,
    /// The laptop was enrolled (again): sync at once, forget earlier failures.
    Enrolled,
    /// Another connection committed and changes now wait to be sent.
    EditsWaiting,
    /// The health check's answer.
    Health {
        reachable: bool,
    },
    /// A sync began (what it sends is no longer news).
    SyncStarted,
    Synced,
    /// A sync failed; `network`: the server could not be reached at all.
    SyncFailed {
        network: bool,
    },
    /// The server said this laptop is revoked.
    Revoked,
}

/// What the store says, read before each decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Facts {
    pub enrolled: bool,
    pub revoked: bool,
    /// Local changes not yet acknowledged by the server.
    pub pending: u64,
    /// Pulled records not applicable yet.
    pub waiting: u64,
}

/// What to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Sync,
    CheckHealth,
    /// Wait until `until` unless woken; `watch_edits`: look for local edits meanwhile.
    Wait {
        until: Instant,
        watch_edits: bool,
    },
    /// Nothing to do until asked (not enrolled, or revoked).
    Idle,
}

#[derive(Debug, Clone)]
pub struct Policy {
    /// Whether the server was reachable at the last contact (None: not known yet).
    online: Option<bool>,
    /// Failed syncs in a row, and failed health checks in a row.
    failures: u32,
    offline: u32,
    last_ok: Option<Instant>,
    next_check: Instant,
    requested: bool,
    /// The health check just answered: whether to sync is decided with the facts.
    reachable: Option<ReachableAgain>,
    /// The first and the latest look that found edits waiting, since the last sync.
    first_edit: Option<Instant>,
    last_edit: Option<Instant>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ReachableAgain {
    came_back: bool,
}

impl Policy {
    pub fn new(now: Instant) -> Policy {
        Policy {
            online: None,
            failures: 0,
            offline: 0,
            last_ok: None,
            next_check: now + FIRST_CHECK,
            requested: false,
            reachable: None,
            first_edit: None,
            last_edit: None,
        }
    }

    /// Whether the server was reachable at the last contact.
    pub fn online(&self) -> Option<bool> {
        self.online
    }

    /// Whether edits would be synced soon now (online, nothing to back off from).
    fn watching_edits(&self) -> bool {
        self.online == Some(true) && self.failures == 0 && self.offline == 0
    }

    /// When the edits seen are due, if any were seen.
    fn edits_due_at(&self) -> Option<Instant> {
        let (first, last) = (self.first_edit?, self.last_edit?);
        Some((last + EDIT_QUIET).min(first + EDIT_MAX_DELAY))
    }

    pub fn on(&mut self, event: Event, now: Instant) {
        match event {
            Event::Requested => self.requested = true,
            Event::Enrolled => {
                self.online = Some(true);
                self.failures = 0;
                self.offline = 0;
                self.requested = true;
            }
            Event::EditsWaiting => {
                self.first_edit.get_or_insert(now);
                self.last_edit = Some(now);
            }
            Event::Health { reachable: false } => {
                self.offline = self.offline.saturating_add(1);
                self.online = Some(false);
                self.next_check = now + backoff(self.offline, CHECK_EVERY, MAX_OFFLINE_WAIT);
            }
            Event::Health { reachable: true } => {
                self.offline = 0;
                let came_back = self.online != Some(true);
                self.online = Some(true);
                self.reachable = Some(ReachableAgain { came_back });
                self.next_check = now + CHECK_EVERY;
            }
            Event::SyncStarted => {
                self.first_edit = None;
                self.last_edit = None;
                self.reachable = None;
            }
            Event::Synced => {
                self.failures = 0;
                self.offline = 0;
                self.online = Some(true);
                self.last_ok = Some(now);
                self.next_check = now + CHECK_EVERY;
            }
            Event::SyncFailed { network } => {
                self.failures = self.failures.saturating_add(1);
                self.online = Some(!network);
                self.next_check = now + backoff(self.failures, CHECK_EVERY, MAX_FAILED_WAIT);
            }
            Event::Revoked => {
                self.online = Some(true);
                self.requested = false;
            }
        }
    }

    /// What to do now. Taking a decision consumes what led to it (a request, a health
    /// answer), so asking twice without an event in between gives a wait.
    pub fn next(&mut self, facts: &Facts, now: Instant) -> Decision {
        if !facts.enrolled || facts.revoked {
            self.requested = false;
            self.reachable = None;
            return Decision::Idle;
        }
        if std::mem::take(&mut self.requested) {
            return Decision::Sync;
        }
        if let Some(again) = self.reachable.take() {
            let old = self
                .last_ok
                .is_none_or(|t| now.saturating_duration_since(t) >= PULL_EVERY);
            if again.came_back || facts.pending > 0 || facts.waiting > 0 || old {
                return Decision::Sync;
            }
        }
        let watch_edits = self.watching_edits();
        if watch_edits && self.edits_due_at().is_some_and(|due| now >= due) {
            return Decision::Sync;
        }
        if now >= self.next_check {
            return Decision::CheckHealth;
        }
        let until = match self.edits_due_at().filter(|_| watch_edits) {
            Some(due) => due.min(self.next_check),
            None => self.next_check,
        };
        Decision::Wait { until, watch_edits }
    }
}

#[cfg(test)]
mod tests;
