use super::*;
use proptest::prelude::*;

const ENROLLED: Facts = Facts {
    enrolled: true,
    revoked: false,
    pending: 0,
    waiting: 0,
};

fn s(secs: u64) -> Duration {
    Duration::from_secs(secs)
}

/// A policy that has synced once at `t0` and is idle, online.
fn synced(t0: Instant) -> Policy {
    let mut p = Policy::new(t0);
    p.on(Event::Health { reachable: true }, t0);
    assert_eq!(p.next(&ENROLLED, t0), Decision::Sync);
    p.on(Event::SyncStarted, t0);
    p.on(Event::Synced, t0);
    p
}

#[test]
fn first_check_soon_after_start_then_sync_when_the_server_answers() {
    let t0 = Instant::now();
    let mut p = Policy::new(t0);
    assert_eq!(
        p.next(&ENROLLED, t0),
        Decision::Wait {
            until: t0 + FIRST_CHECK,
            watch_edits: false
        }
    );
    assert_eq!(p.next(&ENROLLED, t0 + FIRST_CHECK), Decision::CheckHealth);
    p.on(Event::Health { reachable: true }, t0 + FIRST_CHECK);
    // It just came back: sync, even with nothing to push.
    assert_eq!(p.next(&ENROLLED, t0 + FIRST_CHECK), Decision::Sync);
    p.on(Event::SyncStarted, t0 + FIRST_CHECK);
    p.on(Event::Synced, t0 + s(4));
    assert_eq!(
        p.next(&ENROLLED, t0 + s(4)),
        Decision::Wait {
            until: t0 + s(4) + CHECK_EVERY,
            watch_edits: true
        }
    );
}

#[test]
fn a_reachable_server_is_synced_with_only_when_there_is_something_to_do() {
    let t0 = Instant::now();
    let mut p = synced(t0);
    let t1 = t0 + CHECK_EVERY;
    assert_eq!(p.next(&ENROLLED, t1), Decision::CheckHealth);
    p.on(Event::Health { reachable: true }, t1);
    assert!(matches!(p.next(&ENROLLED, t1), Decision::Wait { .. }));

    for facts in [
        Facts {
            pending: 1,
            ..ENROLLED
        },
        Facts {
            waiting: 1,
            ..ENROLLED
        },
    ] {
        let mut p = synced(t0);
        p.on(Event::Health { reachable: true }, t1);
        assert_eq!(p.next(&facts, t1), Decision::Sync, "{facts:?}");
    }
    // Nothing waits, but the last pull is old.
    let mut p = synced(t0);
    p.on(Event::Health { reachable: true }, t0 + PULL_EVERY);
    assert_eq!(p.next(&ENROLLED, t0 + PULL_EVERY), Decision::Sync);
}

#[test]
fn an_unreachable_server_is_asked_later_and_later() {
    let t0 = Instant::now();
    let mut p = synced(t0);
    let mut now = t0 + CHECK_EVERY;
    let mut waits = Vec::new();
    for _ in 0..6 {
        assert_eq!(p.next(&ENROLLED, now), Decision::CheckHealth);
        p.on(Event::Health { reachable: false }, now);
        let Decision::Wait { until, watch_edits } = p.next(&ENROLLED, now) else {
            panic!("waits while offline");
        };
        assert!(!watch_edits, "edits wait for the server");
        waits.push(until - now);
        now = until;
    }
    assert_eq!(waits, [s(60), s(120), s(240), s(300), s(300), s(300)]);
    // Back: sync at once (it came back), then the normal pace.
    p.on(Event::Health { reachable: true }, now);
    assert_eq!(p.next(&ENROLLED, now), Decision::Sync);
}

#[test]
fn edits_are_sent_once_they_pause_or_after_the_longest_delay() {
    let t0 = Instant::now();
    let mut p = synced(t0);
    let t1 = t0 + s(10);
    p.on(Event::EditsWaiting, t1);
    assert_eq!(
        p.next(&ENROLLED, t1),
        Decision::Wait {
            until: t1 + EDIT_QUIET,
            watch_edits: true
        }
    );
    assert_eq!(p.next(&ENROLLED, t1 + EDIT_QUIET), Decision::Sync);

    // A burst: each look finds more, the quiet time restarts, but someone typing for
    // minutes still syncs EDIT_MAX_DELAY after the first edit.
    let mut p = synced(t0);
    for ms in (0..=6_000).step_by(2_000) {
        let at = t1 + Duration::from_millis(ms);
        p.on(Event::EditsWaiting, at);
        assert!(
            matches!(p.next(&ENROLLED, at), Decision::Wait { .. }),
            "not while typing ({ms} ms)"
        );
    }
    p.on(Event::EditsWaiting, t1 + s(7));
    assert_eq!(
        p.next(&ENROLLED, t1 + s(7)),
        Decision::Wait {
            until: t1 + EDIT_MAX_DELAY,
            watch_edits: true
        }
    );
    assert_eq!(p.next(&ENROLLED, t1 + EDIT_MAX_DELAY), Decision::Sync);
    // The sync starts: what it sends is no longer news.
    p.on(Event::SyncStarted, t1 + EDIT_MAX_DELAY);
    p.on(Event::Synced, t1 + s(9));
    assert_eq!(
        p.next(&ENROLLED, t1 + s(20)),
        Decision::Wait {
            until: t1 + s(9) + CHECK_EVERY,
            watch_edits: true
        }
    );
}

#[test]
fn failed_syncs_back_off_and_stop_watching_edits() {
    let t0 = Instant::now();
    let mut p = synced(t0);
    let mut now = t0;
    let mut waits = Vec::new();
    for _ in 0..6 {
        p.on(Event::SyncStarted, now);
        p.on(Event::SyncFailed { network: false }, now);
        p.on(Event::EditsWaiting, now);
        let Decision::Wait { until, watch_edits } = p.next(&ENROLLED, now) else {
            panic!("backs off");
        };
        assert!(!watch_edits);
        waits.push(until - now);
        now = until;
        assert_eq!(p.next(&ENROLLED, now), Decision::CheckHealth);
        p.on(Event::Health { reachable: true }, now);
        assert_eq!(
            p.next(
                &Facts {
                    pending: 1,
                    ..ENROLLED
                },
                now
            ),
            Decision::Sync
        );
    }
    assert_eq!(waits, [s(60), s(120), s(240), s(480), s(900), s(900)]);
    assert_eq!(p.online(), Some(true));
    p.on(Event::SyncFailed { network: true }, now);
    assert_eq!(p.online(), Some(false));
}

#[test]
fn synchroniser_syncs_at_once_even_offline_but_never_when_not_enrolled_or_revoked() {
    let t0 = Instant::now();
    let mut p = Policy::new(t0);
    p.on(Event::Health { reachable: false }, t0);
    p.on(Event::Requested, t0);
    assert_eq!(p.next(&ENROLLED, t0), Decision::Sync);
    assert!(
        matches!(p.next(&ENROLLED, t0), Decision::Wait { .. }),
        "once"
    );

    for facts in [
        Facts::default(),
        Facts {
            revoked: true,
            ..ENROLLED
        },
    ] {
        let mut p = Policy::new(t0);
        p.on(Event::Requested, t0);
        assert_eq!(p.next(&facts, t0), Decision::Idle);
        assert_eq!(p.next(&facts, t0 + s(3600)), Decision::Idle);
        // The request does not linger until an enrollment.
        assert!(matches!(p.next(&ENROLLED, t0), Decision::Wait { .. }));
    }

    // Enrolled: sync at once, earlier failures forgotten.
    let mut p = Policy::new(t0);
    p.on(Event::SyncFailed { network: true }, t0);
    p.on(Event::Enrolled, t0 + s(1));
    assert_eq!(p.next(&ENROLLED, t0 + s(1)), Decision::Sync);
    assert_eq!(p.online(), Some(true));
}

#[test]
fn backoff_doubles_then_stops_at_its_cap() {
    let waits: Vec<Duration> = (1..=6).map(|f| backoff(f, s(60), s(5 * 60))).collect();
    assert_eq!(waits, [s(60), s(120), s(240), s(300), s(300), s(300)]);
    assert_eq!(backoff(0, s(60), s(300)), s(60));
    assert_eq!(backoff(u32::MAX, s(60), s(900)), s(900));
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        Just(Event::Requested),
        Just(Event::Enrolled),
        Just(Event::EditsWaiting),
        any::<bool>().prop_map(|reachable| Event::Health { reachable }),
        Just(Event::SyncStarted),
        Just(Event::Synced),
        any::<bool>().prop_map(|network| Event::SyncFailed { network }),
        Just(Event::Revoked),
    ]
}

fn facts() -> impl Strategy<Value = Facts> {
    (any::<bool>(), any::<bool>(), 0u64..3, 0u64..3).prop_map(
        |(enrolled, revoked, pending, waiting)| Facts {
            enrolled,
            revoked,
            pending,
            waiting,
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    /// Whatever happens and whenever: a laptop not enrolled or revoked never syncs nor
    /// checks; « Synchroniser » on an enrolled laptop is the very next decision; a wait is
    /// always in the future and never longer than the longest backoff; edits are only
    /// watched while online without failures.
    #[test]
    fn the_policy_keeps_its_promises(
        steps in proptest::collection::vec((event(), facts(), 0u64..400_000), 1..60)
    ) {
        let t0 = Instant::now();
        let mut now = t0;
        let mut p = Policy::new(t0);
        for (event, facts, advance_ms) in steps {
            now += Duration::from_millis(advance_ms);
            p.on(event, now);
            let decision = p.next(&facts, now);
            let can_sync = facts.enrolled && !facts.revoked;
            if !can_sync {
                prop_assert_eq!(decision, Decision::Idle);
            }
            if can_sync && matches!(event, Event::Requested | Event::Enrolled) {
                prop_assert_eq!(decision, Decision::Sync);
            }
            if let Decision::Wait { until, watch_edits } = decision {
                prop_assert!(until > now);
                prop_assert!(until - now <= MAX_FAILED_WAIT);
                if watch_edits {
                    prop_assert_eq!(p.online(), Some(true));
                }
            }
            if matches!(event, Event::SyncFailed { network: true } | Event::Health { reachable: false }) {
                prop_assert_eq!(p.online(), Some(false));
            }
        }
    }
}
