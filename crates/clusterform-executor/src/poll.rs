//! Waiting on a long cloud operation: polls that space out as the operation ages, or aim at its
//! expected end when the cloud reports progress, so a 30-minute operation costs under 20 calls
//! and its end is still noticed within seconds.

#[cfg(test)]
use std::sync::Arc;
use std::time::Duration;

use clusterform_model::Attrs;
use clusterform_provider::{Operation, Poll, ResourceType};
use tokio::time::Instant;

use crate::retry::{CallError, Caller};

/// Polling cadence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PollOptions {
    /// The shortest wait between polls (and before the first).
    pub min_interval: Duration,
    /// The longest wait between polls.
    pub max_interval: Duration,
    /// Without progress reports, the wait is the operation's age divided by this.
    pub age_divisor: f64,
}

impl Default for PollOptions {
    fn default() -> Self {
        PollOptions {
            min_interval: Duration::from_secs(5),
            max_interval: Duration::from_secs(180),
            age_divisor: 2.0,
        }
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
    let (mut phase, mut progress) = (String::new(), None);
    loop {
        caller
            .sleep(next_interval(opts, Instant::now() - start, progress))
            .await?;
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
            Poll::Done { attrs } => return Ok(attrs),
            Poll::Failed { message } => return Err(WaitError::Failed(message)),
        }
    }
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
