//! Waiting on a long cloud operation: polls that space out as the operation ages, or aim at its
//! expected end when the cloud reports progress, so a 30-minute operation costs under 20 calls
//! and its end is still noticed within seconds.

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
    let start = Instant::now();
    let (mut phase, mut progress) = (String::new(), None);
    loop {
        caller
            .sleep(next_interval(opts, Instant::now() - start, progress))
            .await?;
        match caller.call(|| rt.poll(op), true).await? {
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
