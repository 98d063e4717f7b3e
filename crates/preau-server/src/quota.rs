//! Per-device quotas (issue 12): a device may push at most so many changes an hour. A
//! stolen laptop scripted to flood the server is stopped after one hour's worth; a real
//! laptop never comes near (a year of visits is a few hundred thousand changes, pushed
//! once). In memory: a restart forgets the counts, which only ever errs on the side of
//! the laptops.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use uuid::Uuid;

/// Changes one device may push in an hour, by default.
pub const DEFAULT_CHANGES_PER_HOUR: u64 = 500_000;

/// Changes one device may push in an hour (configuration key `changes_per_hour`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PerHour(pub u64);

impl Default for PerHour {
    fn default() -> Self {
        PerHour(DEFAULT_CHANGES_PER_HOUR)
    }
}

impl PerHour {
    /// What a configuration may set: at least one change, at most a billion.
    pub fn checked(n: u64) -> Option<PerHour> {
        (1..=1_000_000_000).contains(&n).then_some(PerHour(n))
    }
}

const WINDOW: Duration = Duration::from_secs(3600);

/// Changes pushed per device in the current hour-long window.
#[derive(Debug)]
pub struct Quota {
    per_hour: u64,
    windows: Mutex<HashMap<Uuid, (Instant, u64)>>,
}

impl Quota {
    pub fn new(per_hour: u64) -> Quota {
        Quota {
            per_hour,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts `n` changes for `device` at `now`; `Err(seconds)` when that would pass the
    /// quota, with the seconds until its window ends (nothing is counted then).
    pub fn take(&self, device: Uuid, n: u64, now: Instant) -> Result<(), u64> {
        let Ok(mut windows) = self.windows.lock() else {
            // A poisoned lock only means another request panicked: never refuse for it.
            return Ok(());
        };
        if windows.len() > 100_000 {
            windows.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let entry = windows.entry(device).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        if entry.1.saturating_add(n) > self.per_hour {
            let left = WINDOW.saturating_sub(now.duration_since(entry.0));
            return Err(left.as_secs().max(1));
        }
        entry.1 += n;
        Ok(())
    }
}

impl Default for Quota {
    fn default() -> Self {
        Quota::new(DEFAULT_CHANGES_PER_HOUR)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_is_stopped_at_its_quota_and_freed_by_the_next_window() {
        let q = Quota::new(100);
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let t0 = Instant::now();
        assert!(q.take(a, 60, t0).is_ok());
        assert!(q.take(a, 40, t0).is_ok());
        let wait = q
            .take(a, 1, t0 + Duration::from_secs(600))
            .expect_err("over");
        assert_eq!(wait, 3000);
        assert!(q.take(b, 100, t0).is_ok(), "per device");
        assert!(q.take(a, 100, t0 + WINDOW).is_ok(), "a new window");
    }
}
