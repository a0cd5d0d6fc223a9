//! Waiting on a long cloud operation: polls that space out as the operation ages, or aim at its
//! expected end when the cloud reports progress, so a 30-minute operation costs under 20 calls
//! and its end is still noticed within seconds.
//!
//! Operations of one kind started together tend to take as long as each other (a stack's clusters,
//! their add-ons). So each apply shares what it learned: once an operation of a kind is seen done
//! at age `a`, every sibling still waiting is woken and polled when it reaches age `a`, instead of
//! sleeping out its own, ever longer interval. Each operation's schedule starts at a phase of its
//! own (from a hash of its address), so siblings do not poll in lockstep and the first end is seen
//! early; the rest follow at once.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clusterform_model::Attrs;
use clusterform_provider::{Operation, Poll, ResourceType};
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::retry::{CallError, Caller};

/// Polling cadence.
#[derive(Debug, Clone, PartialEq)]
pub struct PollOptions {
    /// The shortest wait between polls (and before the first).
    pub min_interval: Duration,
    /// The longest wait between polls.
    pub max_interval: Duration,
    /// Without progress reports, the wait is the operation's age divided by this.
    pub age_divisor: f64,
    /// What finished operations taught about each kind's duration, shared by every clone of these
    /// options (so by every wait of one apply).
    pub learned: Learned,
}

impl Default for PollOptions {
    fn default() -> Self {
        PollOptions {
            min_interval: Duration::from_secs(5),
            max_interval: Duration::from_secs(180),
            age_divisor: 2.0,
            learned: Learned::default(),
        }
    }
}

/// The shortest age at which an operation of each kind (`provider/kind`) was seen done, and a
/// signal to the waits of that kind when it shrinks. Clones share it.
#[derive(Clone, Default)]
pub struct Learned(Arc<LearnedInner>);

#[derive(Default)]
struct LearnedInner {
    done_at: Mutex<BTreeMap<String, Duration>>,
    changed: Notify,
}

impl Learned {
    /// The shortest age at which an operation of `kind` was seen done, if one was.
    pub fn estimate(&self, kind: &str) -> Option<Duration> {
        self.lock().get(kind).copied()
    }

    /// Records that an operation of `kind` was seen done at `age`; wakes the waits on its
    /// siblings when that is sooner than anything seen before.
    pub fn record(&self, kind: &str, age: Duration) {
        let sooner = {
            let mut m = self.lock();
            let e = m.entry(kind.to_string()).or_insert(age);
            let sooner = age <= *e;
            *e = (*e).min(age);
            sooner
        };
        if sooner {
            self.0.changed.notify_waiters();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Duration>> {
        self.0.done_at.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl PartialEq for Learned {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl std::fmt::Debug for Learned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Learned").field(&*self.lock()).finish()
    }
}

/// The wait before the next poll of an operation that has been watched for `age` and last
/// reported `progress` percent.
///
/// Without progress the wait grows with age (`age / age_divisor`). With progress `p` the
/// operation is assumed to advance steadily; since the cloud rounds down, the true fraction done
/// is below `(p + 1)%`, so `age · (100 − (p+1)) / (p+1)` is a lower bound of the time left. Waiting
/// exactly that long never oversleeps a steady operation, and as the estimate sharpens the polls
/// converge on its end. Both are clamped to `[min_interval, max_interval]`.
pub fn next_interval(opts: &PollOptions, age: Duration, progress: Option<u8>) -> Duration {
    let wait = match progress.filter(|p| (1..100).contains(p)) {
        Some(p) => {
            let done = f64::from(p) + 1.0;
            age.mul_f64((100.0 - done) / done)
        }
        None => age.div_f64(opts.age_divisor.max(1.0)),
    };
    wait.clamp(opts.min_interval, opts.max_interval.max(opts.min_interval))
}

/// Why waiting on an operation ended without a result.
#[derive(Debug, Clone)]
pub(crate) enum WaitError {
    Call(CallError),
    /// The cloud reported the operation failed.
    Failed(String),
    /// Journaling the operation a `Poll::Continue` handed over failed.
    Journal(String),
}

impl From<CallError> for WaitError {
    fn from(e: CallError) -> Self {
        WaitError::Call(e)
    }
}

/// When to poll next, as an age: the wait `next_interval` gives after the last poll (at
/// `last_poll`), stretched by this operation's `phase` (0–1, its own offset from its siblings) on
/// the first poll only, and brought forward to the `learned` age at which a sibling was seen done,
/// unless a poll at or after that age already found this one still running.
pub fn next_poll_age(
    opts: &PollOptions,
    last_poll: Duration,
    progress: Option<u8>,
    phase: f64,
    learned: Option<Duration>,
) -> Duration {
    let mut wait = next_interval(opts, last_poll, progress);
    if last_poll.is_zero() {
        wait = wait.mul_f64(1.0 + phase.clamp(0.0, 1.0));
    }
    let own = last_poll + wait;
    match learned {
        Some(l) if l > last_poll => own.min(l),
        _ => own,
    }
}

/// Polls `op` until it settles; `Ok(attrs)` is the object's final state (`None` after a delete,
/// or when the provider does not say).
pub(crate) async fn wait(
    caller: &Caller,
    rt: &dyn ResourceType,
    op: &Operation,
    opts: &PollOptions,
) -> Result<Option<Attrs>, WaitError> {
    let mut op = op.clone();
    wait_journaled(caller, rt, &mut op, opts, &mut |_| Ok(())).await
}

/// [`wait`], handing each operation a `Poll::Continue` replaces the polled one with to `journal`
/// before polling it; `op` ends as the last operation polled.
pub(crate) async fn wait_journaled(
    caller: &Caller,
    rt: &dyn ResourceType,
    op: &mut Operation,
    opts: &PollOptions,
    journal: &mut (dyn FnMut(&Operation) -> Result<(), String> + Send),
) -> Result<Option<Attrs>, WaitError> {
    let start = Instant::now();
    let mut siblings = Siblings::new(caller, op, start);
    let (mut phase, mut progress) = (String::new(), None);
    loop {
        siblings.sleep(caller, opts, progress).await?;
        let polled = &*op;
        match caller.call(|| rt.poll(polled), true).await? {
            Poll::Continue { op: next, phase: p } => {
                journal(&next).map_err(WaitError::Journal)?;
                *op = next;
                if p != phase {
                    caller.events.phase(&caller.address, &p);
                    phase = p;
                }
            }
            Poll::Running {
                phase: p,
                progress: pr,
            } => {
                if p != phase {
                    caller.events.phase(&caller.address, &p);
                    phase = p;
                }
                if let Some(x) = pr.filter(|x| Some(*x) != progress) {
                    caller.events.progress(&caller.address, x);
                }
                progress = pr;
                if Instant::now() >= caller.deadline {
                    return Err(CallError::TimedOut.into());
                }
            }
            Poll::Done { attrs } => {
                siblings.done(opts);
                return Ok(attrs);
            }
            Poll::Failed { message } => return Err(WaitError::Failed(message)),
        }
    }
}

/// One wait's place among its siblings: its kind (`provider/kind`), its phase, when it started
/// and when it last polled.
struct Siblings {
    kind: String,
    phase: f64,
    start: Instant,
    last_poll: Duration,
}

impl Siblings {
    fn new(caller: &Caller, op: &Operation, start: Instant) -> Self {
        Siblings {
            kind: format!("{}/{}", caller.provider, op.kind),
            phase: phase_of(&caller.address.to_string(), &op.kind),
            start,
            last_poll: Duration::ZERO,
        }
    }

    /// Sleeps until the next poll is due; a sibling seen done meanwhile may bring it forward.
    async fn sleep(
        &mut self,
        caller: &Caller,
        opts: &PollOptions,
        progress: Option<u8>,
    ) -> Result<(), CallError> {
        loop {
            // Registered before the estimate is read, so a sibling finishing between the two
            // still wakes this wait.
            let changed = opts.learned.0.changed.notified();
            let estimate = opts.learned.estimate(&self.kind);
            let due = next_poll_age(opts, self.last_poll, progress, self.phase, estimate);
            let left = due.saturating_sub(Instant::now() - self.start);
            if left.is_zero() {
                break;
            }
            tokio::select! {
                r = caller.sleep(left) => {
                    r?;
                    break;
                }
                _ = changed => {}
            }
        }
        self.last_poll = Instant::now() - self.start;
        Ok(())
    }

    /// Tells the siblings this operation was seen done at its last poll.
    fn done(&self, opts: &PollOptions) {
        opts.learned.record(&self.kind, self.last_poll);
    }
}

/// A stable fraction in [0, 1) for an operation, from FNV-1a of its address and kind.
fn phase_of(address: &str, kind: &str) -> f64 {
    let h = address
        .bytes()
        .chain([0])
        .chain(kind.bytes())
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
    (h >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A type whose operation continues once under a new operation, then finishes.
    struct Continues;

    #[async_trait::async_trait]
    impl ResourceType for Continues {
        fn schema(&self) -> &clusterform_model::ResourceSchema {
            unreachable!("not asked in these tests")
        }
        async fn read(
            &self,
            _: &str,
            _: &Attrs,
        ) -> Result<Option<clusterform_provider::ReadResult>, clusterform_provider::ProviderError>
        {
            Ok(None)
        }
        async fn find(
            &self,
            _: &Attrs,
        ) -> Result<Option<clusterform_provider::ReadResult>, clusterform_provider::ProviderError>
        {
            Ok(None)
        }
        async fn create(
            &self,
            _: &Attrs,
        ) -> Result<clusterform_provider::Started, clusterform_provider::ProviderError> {
            unreachable!("not asked in these tests")
        }
        async fn update(
            &self,
            _: &str,
            _: &Attrs,
            _: &Attrs,
        ) -> Result<clusterform_provider::Started, clusterform_provider::ProviderError> {
            unreachable!("not asked in these tests")
        }
        async fn delete(
            &self,
            _: &str,
            _: &Attrs,
        ) -> Result<clusterform_provider::Started, clusterform_provider::ProviderError> {
            unreachable!("not asked in these tests")
        }
        async fn poll(&self, op: &Operation) -> Result<Poll, clusterform_provider::ProviderError> {
            Ok(if op.data["retried"] == true {
                Poll::Done { attrs: None }
            } else {
                let mut next = op.clone();
                next.data["retried"] = serde_json::json!(true);
                Poll::Continue {
                    op: next,
                    phase: "retrying".into(),
                }
            })
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_continued_operation_is_journaled_before_it_is_polled() {
        let (_tx, cancel) = tokio::sync::watch::channel(0u8);
        let caller = Caller {
            bucket: Arc::new(crate::rate::TokenBucket::new(
                clusterform_provider::RateLimit {
                    per_second: 100.0,
                    burst: 100,
                },
            )),
            retry: crate::retry::RetryOptions::default(),
            events: Arc::new(crate::events::NoEvents),
            provider: "p".into(),
            address: "t.a".parse().unwrap(),
            cancel,
            deadline: Instant::now() + Duration::from_secs(3600),
        };
        let mut op = Operation {
            kind: "upgrade-task".into(),
            object_id: "c1".into(),
            handle: "up-1".into(),
            data: serde_json::json!({}),
        };
        let mut journaled = Vec::new();
        let mut journal = |o: &Operation| {
            journaled.push(o.clone());
            Ok(())
        };
        let done = wait_journaled(
            &caller,
            &Continues,
            &mut op,
            &PollOptions::default(),
            &mut journal,
        )
        .await;
        assert!(matches!(done, Ok(None)));
        assert_eq!(journaled.len(), 1);
        assert_eq!(journaled[0].data["retried"], true);
        assert_eq!(op, journaled[0]);
        // A journal that cannot be written stops the wait.
        let mut op = Operation {
            data: serde_json::json!({}),
            ..op
        };
        let mut broken = |_: &Operation| Err("disk full".to_string());
        let failed = wait_journaled(
            &caller,
            &Continues,
            &mut op,
            &PollOptions::default(),
            &mut broken,
        )
        .await;
        assert!(matches!(failed, Err(WaitError::Journal(m)) if m == "disk full"));
    }

    /// Polls needed to see a steady operation of `total` seconds finish, and how late the last
    /// one was; `progress` says whether the cloud reports (rounded-down) percentages.
    fn schedule(total: f64, progress: bool) -> (usize, f64) {
        let opts = PollOptions::default();
        let mut t = 0.0;
        let mut last = None;
        for n in 1..1000 {
            t += next_interval(&opts, Duration::from_secs_f64(t), last).as_secs_f64();
            if t >= total {
                return (n, t - total);
            }
            last = progress.then(|| ((t / total) * 100.0).floor() as u8);
        }
        (usize::MAX, 0.0)
    }

    #[test]
    fn thirty_minute_operation_costs_at_most_twenty_polls() {
        let (with_progress, late) = schedule(1800.0, true);
        let (without, _) = schedule(1800.0, false);
        assert!(with_progress <= 20, "{with_progress} polls with progress");
        assert!(without <= 20, "{without} polls without progress");
        assert!(late <= 5.0, "noticed {late}s late");
    }

    #[test]
    fn short_operations_are_noticed_promptly() {
        for total in [30.0, 120.0, 600.0] {
            let (n, late) = schedule(total, true);
            assert!(n <= 12, "{total}s: {n} polls");
            assert!(late <= 5.0, "{total}s: {late}s late");
        }
    }

    #[test]
    fn the_first_poll_is_offset_by_the_operations_phase() {
        let o = PollOptions::default();
        let s = Duration::from_secs;
        assert_eq!(next_poll_age(&o, s(0), None, 0.0, None), s(5));
        assert_eq!(
            next_poll_age(&o, s(0), None, 0.5, None),
            Duration::from_millis(7500)
        );
        assert_eq!(
            next_poll_age(&o, s(60), None, 0.5, None),
            s(90),
            "later polls are not"
        );
        let a = phase_of("huawei_autopilot_cluster.a", "cluster-create");
        let b = phase_of("huawei_autopilot_cluster.b", "cluster-create");
        assert!((0.0..1.0).contains(&a) && (0.0..1.0).contains(&b) && a != b);
        assert_eq!(a, phase_of("huawei_autopilot_cluster.a", "cluster-create"));
    }

    #[test]
    fn a_sibling_seen_done_brings_the_next_poll_forward_once() {
        let o = PollOptions::default();
        let s = Duration::from_secs;
        // On its own the poll after age 600 s would come at 780 s; a sibling was done at 650 s.
        assert_eq!(next_poll_age(&o, s(600), None, 0.3, None), s(780));
        assert_eq!(next_poll_age(&o, s(600), None, 0.3, Some(s(650))), s(650));
        // Polled at 650 s and still running: back to its own schedule.
        assert_eq!(next_poll_age(&o, s(650), None, 0.3, Some(s(650))), s(830));
        // A sibling done later than this one's own next poll changes nothing.
        assert_eq!(next_poll_age(&o, s(600), None, 0.3, Some(s(900))), s(780));
    }

    #[tokio::test]
    async fn learned_durations_keep_the_soonest_and_wake_waiters_when_it_shrinks() {
        let l = PollOptions::default().learned;
        let shared = l.clone();
        assert_eq!(l.estimate("huawei/cluster-create"), None);
        let woken = l.0.changed.notified();
        shared.record("huawei/cluster-create", Duration::from_secs(1800));
        woken.await;
        shared.record("huawei/cluster-create", Duration::from_secs(1900));
        assert_eq!(
            l.estimate("huawei/cluster-create"),
            Some(Duration::from_secs(1800))
        );
        assert_eq!(l.estimate("huawei/addon-install"), None);
        assert_eq!(l, shared);
        assert_ne!(l, Learned::default());
    }

    /// Waits on four 30-minute creates started together, sharing `learned` (or each with its
    /// own) on a paused clock; returns when each was seen done and how many polls each took.
    async fn four_siblings(share: bool) -> (Vec<Duration>, Vec<u64>) {
        use clusterform_model::{Address, Value};
        use clusterform_provider::{Provider, RateLimit, Started};
        use clusterform_testprovider::{OpKind, TestProvider};

        use crate::cancel::CancelToken;
        use crate::events::NoEvents;
        use crate::rate::TokenBucket;
        use crate::retry::RetryOptions;

        let p = TestProvider::new();
        p.set_duration("test_cluster", OpKind::Create, Duration::from_secs(1800));
        let rt = p.resource("test_cluster").expect("cluster type");
        let shared = PollOptions::default();
        let cancel = CancelToken::new();
        let bucket = Arc::new(TokenBucket::new(RateLimit {
            per_second: 100.0,
            burst: 100,
        }));
        let start = Instant::now();
        let mut waits = Vec::new();
        for name in ["a", "b", "c", "d"] {
            let desired = Attrs::from([("name".to_string(), Value::str(name))]);
            let Ok(Started::Pending { op, .. }) = rt.create(&desired).await else {
                panic!("the create did not start an operation");
            };
            let caller = Caller {
                bucket: bucket.clone(),
                retry: RetryOptions::default(),
                events: Arc::new(NoEvents),
                provider: "test".into(),
                address: Address::managed("test_cluster", name),
                cancel: cancel.subscribe(),
                deadline: start + Duration::from_secs(7200),
            };
            let opts = if share {
                shared.clone()
            } else {
                PollOptions::default()
            };
            waits.push((caller, op, opts));
        }
        let seen = |i: usize| {
            let (caller, op, opts) = &waits[i];
            async move {
                wait(caller, rt, op, opts).await.expect("done");
                Instant::now() - start
            }
        };
        let (a, b, c, d) = tokio::join!(seen(0), seen(1), seen(2), seen(3));
        let polls = waits
            .iter()
            .map(|(_, op, _)| p.polls().get(&op.handle).copied().unwrap_or(0))
            .collect();
        (vec![a, b, c, d], polls)
    }

    #[tokio::test(start_paused = true)]
    async fn siblings_are_polled_as_soon_as_one_of_them_is_seen_done() {
        let (alone, alone_polls) = four_siblings(false).await;
        let (together, polls) = four_siblings(true).await;
        let spread = |v: &[Duration]| *v.iter().max().unwrap() - *v.iter().min().unwrap();
        // The test provider reports steady progress, so even alone each is seen done within
        // seconds, at a moment of its own; together they are seen done at the same moment.
        assert!(
            spread(&alone) > Duration::from_secs(1),
            "on their own schedules they finish apart: {alone:?}"
        );
        assert!(
            spread(&together) < Duration::from_millis(100),
            "together they are seen done with the first: {together:?}"
        );
        assert_eq!(together.iter().min(), alone.iter().min());
        assert!(together.iter().all(|t| *t >= Duration::from_secs(1800)));
        // Waking early costs at most one poll more than an operation's own schedule.
        for (n, own) in polls.iter().zip(&alone_polls) {
            assert!(*n <= own + 1, "{polls:?} vs {alone_polls:?}");
        }
        assert!(polls.iter().all(|n| *n <= 20), "{polls:?}");
    }

    #[test]
    fn intervals_grow_with_age_within_bounds() {
        let o = PollOptions::default();
        assert_eq!(
            next_interval(&o, Duration::ZERO, None),
            Duration::from_secs(5)
        );
        assert_eq!(
            next_interval(&o, Duration::from_secs(60), None),
            Duration::from_secs(30)
        );
        assert_eq!(
            next_interval(&o, Duration::from_secs(3600), None),
            Duration::from_secs(180)
        );
        assert_eq!(
            next_interval(&o, Duration::from_secs(100), Some(99)),
            Duration::from_secs(5)
        );
        assert_eq!(
            next_interval(&o, Duration::from_secs(100), Some(49)),
            Duration::from_secs(100)
        );
    }
}
