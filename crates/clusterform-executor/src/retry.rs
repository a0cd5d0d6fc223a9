//! Making one provider call well: take a token from the provider's bucket, honour throttling
//! (pause the whole provider for the retry-after, shrink its rate), retry transient errors with
//! jittered exponential backoff, and give up early on cancellation or the action's deadline.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use clusterform_model::Address;
use clusterform_provider::ProviderError;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::cancel::{reached, CancelLevel};
use crate::events::Events;
use crate::rate::TokenBucket;

/// Retry policy for provider calls.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryOptions {
    /// Attempts at a call that keeps failing transiently (the first try included).
    pub max_attempts: u32,
    /// Backoff before the second attempt; doubles per attempt up to `max_delay`, then jittered
    /// to between half and all of it.
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// Throttled answers tolerated for one call before it fails.
    pub max_throttled: u32,
    /// The pause after a throttled answer without a retry-after.
    pub throttle_pause: Duration,
    /// Seeds the jitter (decorrelates retries of different resources; fixed for reproducibility).
    pub jitter_seed: u64,
}

impl Default for RetryOptions {
    fn default() -> Self {
        RetryOptions {
            max_attempts: 6,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
            max_throttled: 20,
            throttle_pause: Duration::from_secs(5),
            jitter_seed: 0x5EED_CAFE,
        }
    }
}

impl RetryOptions {
    /// The delay before attempt `attempt + 1` after `attempt` transient failures (1-based).
    pub fn backoff(&self, key: &str, attempt: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
        let full = exp.min(self.max_delay);
        let frac = unit(mix(self.jitter_seed ^ fnv(key) ^ u64::from(attempt)));
        full.mul_f64(0.5 + 0.5 * frac)
    }
}

/// FNV-1a: a stable hash of the address, so each resource gets its own jitter sequence.
fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// SplitMix64's finaliser.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn unit(x: u64) -> f64 {
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// Why a call did not produce a result.
#[derive(Debug, Clone)]
pub(crate) enum CallError {
    Provider(ProviderError),
    /// A graceful cancel arrived while waiting; nothing was started by this call.
    Interrupted,
    /// The action's deadline passed while waiting.
    TimedOut,
}

impl From<ProviderError> for CallError {
    fn from(e: ProviderError) -> Self {
        CallError::Provider(e)
    }
}

/// Everything a call needs, for one action (or one refresh read).
pub(crate) struct Caller {
    pub bucket: Arc<TokenBucket>,
    pub retry: RetryOptions,
    pub events: Arc<dyn Events>,
    pub provider: String,
    pub address: Address,
    pub cancel: watch::Receiver<u8>,
    pub deadline: Instant,
}

impl Caller {
    /// Sleeps for `d`, cut short by the deadline (`TimedOut` only if it has already passed) or
    /// a graceful cancel.
    pub async fn sleep(&self, d: Duration) -> Result<(), CallError> {
        let now = Instant::now();
        if now >= self.deadline {
            return Err(CallError::TimedOut);
        }
        let until = (now + d).min(self.deadline);
        tokio::select! {
            _ = tokio::time::sleep_until(until) => Ok(()),
            _ = reached(self.cancel.clone(), CancelLevel::Graceful) => Err(CallError::Interrupted),
        }
    }

    /// The jittered backoff after `attempt` transient failures, reported as a retry.
    pub async fn backoff(&self, attempt: u32, reason: &str) -> Result<(), CallError> {
        let d = self.retry.backoff(&self.address.to_string(), attempt);
        self.events.retrying(&self.address, attempt, d, reason);
        self.sleep(d).await
    }

    /// Makes a call within the provider's budget. Throttling is always waited out (it means the
    /// call was not carried out); transient errors are retried only if `retry_transient`, since
    /// retrying a create blindly could make a second object.
    pub async fn call<T, F, Fut>(&self, mut f: F, retry_transient: bool) -> Result<T, CallError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ProviderError>>,
    {
        let (mut transient, mut throttled) = (0u32, 0u32);
        loop {
            tokio::select! {
                _ = self.bucket.acquire() => {}
                _ = reached(self.cancel.clone(), CancelLevel::Graceful) => return Err(CallError::Interrupted),
            }
            match f().await {
                Ok(v) => return Ok(v),
                Err(ProviderError::Throttled {
                    message,
                    retry_after,
                }) => {
                    throttled += 1;
                    if throttled > self.retry.max_throttled {
                        return Err(ProviderError::Throttled {
                            message,
                            retry_after,
                        }
                        .into());
                    }
                    let pause = retry_after.unwrap_or(self.retry.throttle_pause);
                    self.bucket.throttled(pause);
                    self.events.throttled(&self.provider, &self.address, pause);
                }
                Err(e @ ProviderError::Transient { .. }) if retry_transient => {
                    transient += 1;
                    if transient >= self.retry.max_attempts {
                        return Err(e.into());
                    }
                    self.backoff(transient, &e.to_string()).await?;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_caps() {
        let r = RetryOptions::default();
        for attempt in 1..=10 {
            let full = Duration::from_secs(1u64 << (attempt - 1)).min(r.max_delay);
            let d = r.backoff("t.a", attempt);
            assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d:?}");
        }
        let spread: std::collections::BTreeSet<_> = (0..20)
            .map(|i| r.backoff(&format!("t.r{i}"), 3).as_millis())
            .collect();
        assert!(
            spread.len() > 15,
            "different resources get different jitter"
        );
        assert_eq!(r.backoff("t.a", 3), r.backoff("t.a", 3));
    }
}
