//! Per-provider rate budgets: a token bucket that every call and every poll of a provider takes a
//! token from, paused by a 429's retry-after and slowed for a while after one.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use clusterform_provider::RateLimit;
use tokio::time::Instant;

/// How long a throttled bucket runs at a reduced rate before it doubles back towards its base.
const RECOVERY: Duration = Duration::from_secs(30);
/// The lowest a bucket shrinks to, as a fraction of its base rate.
const FLOOR: f64 = 1.0 / 16.0;

#[derive(Debug)]
struct BucketState {
    tokens: f64,
    rate: f64,
    last: Instant,
    blocked_until: Option<Instant>,
    restore_at: Option<Instant>,
}

/// A token bucket on tokio's clock (so paused-time tests are exact).
#[derive(Debug)]
pub struct TokenBucket {
    base: RateLimit,
    state: Mutex<BucketState>,
}

impl TokenBucket {
    /// A full bucket. A non-positive rate is treated as one call per second.
    pub fn new(limit: RateLimit) -> Self {
        let per_second = if limit.per_second > 0.0 {
            limit.per_second
        } else {
            1.0
        };
        let base = RateLimit {
            per_second,
            burst: limit.burst.max(1),
        };
        TokenBucket {
            base,
            state: Mutex::new(BucketState {
                tokens: f64::from(base.burst),
                rate: per_second,
                last: Instant::now(),
                blocked_until: None,
                restore_at: None,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, BucketState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn refill(&self, s: &mut BucketState, now: Instant) {
        if let Some(at) = s.restore_at.filter(|at| *at <= now) {
            s.rate = (s.rate * 2.0).min(self.base.per_second);
            s.restore_at = (s.rate < self.base.per_second).then_some(at + RECOVERY);
        }
        let elapsed = now.saturating_duration_since(s.last).as_secs_f64();
        if now > s.last {
            s.last = now;
        }
        s.tokens = (s.tokens + elapsed * s.rate).min(f64::from(self.base.burst));
    }

    /// Waits for a token. A caller that finds the bucket empty reserves the next free slot (the
    /// bucket goes into debt) and sleeps until then, so waiters are served in order without all
    /// waking for every token; a throttle arriving meanwhile sends it round again.
    pub async fn acquire(&self) {
        loop {
            let (wait, reserved) = {
                let mut s = self.lock();
                let now = Instant::now();
                self.refill(&mut s, now);
                match s.blocked_until {
                    Some(until) if now < until => (until - now, false),
                    _ => {
                        s.tokens -= 1.0;
                        // A hair of tolerance: float remainders must not become 0 ns sleeps.
                        if s.tokens >= -1e-9 {
                            return;
                        }
                        (Duration::from_secs_f64(-s.tokens / s.rate), true)
                    }
                }
            };
            tokio::time::sleep(wait.max(Duration::from_millis(1))).await;
            if reserved {
                let s = self.lock();
                if s.blocked_until.is_none_or(|until| Instant::now() >= until) {
                    return;
                }
            }
        }
    }

    /// The cloud throttled us: nobody calls this provider for `pause`, and the rate halves (down
    /// to a floor) for a while, recovering by doubling every 30 seconds.
    pub fn throttled(&self, pause: Duration) {
        let mut s = self.lock();
        let now = Instant::now();
        self.refill(&mut s, now);
        let until = now + pause;
        s.blocked_until = Some(s.blocked_until.map_or(until, |b| b.max(until)));
        s.rate = (s.rate / 2.0).max(self.base.per_second * FLOOR);
        s.restore_at = Some(until + RECOVERY);
        // No refill while blocked (debts of reserved slots are kept): the first call after the
        // pause is the retry itself.
        s.tokens = s.tokens.min(0.0);
        s.last = s.blocked_until.unwrap_or(now);
    }

    /// The current rate in calls per second.
    pub fn rate(&self) -> f64 {
        let mut s = self.lock();
        self.refill(&mut s, Instant::now());
        s.rate
    }

    pub fn base(&self) -> RateLimit {
        self.base
    }
}

/// The buckets of one run, by provider name. Clone it into both `RefreshOptions` and
/// `ApplyOptions` so refresh and apply share one budget.
#[derive(Debug, Clone, Default)]
pub struct Budgets {
    overrides: Arc<BTreeMap<String, RateLimit>>,
    buckets: Arc<Mutex<BTreeMap<String, Arc<TokenBucket>>>>,
}

impl Budgets {
    /// Budgets where `overrides` (the `rate_limit` of provider blocks) replace declared limits.
    pub fn new(overrides: BTreeMap<String, RateLimit>) -> Self {
        Budgets {
            overrides: Arc::new(overrides),
            buckets: Arc::default(),
        }
    }

    /// The bucket of `provider`, made on first use from the override or the declared limit.
    pub fn bucket(&self, provider: &str, declared: RateLimit) -> Arc<TokenBucket> {
        let mut map = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(provider.to_string())
            .or_insert_with(|| {
                Arc::new(TokenBucket::new(
                    self.overrides.get(provider).copied().unwrap_or(declared),
                ))
            })
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn burst_then_steady_rate() {
        let b = TokenBucket::new(RateLimit {
            per_second: 4.0,
            burst: 2,
        });
        let t0 = Instant::now();
        for _ in 0..10 {
            b.acquire().await;
        }
        // Two from the burst, then eight at 4/s.
        let took = Instant::now() - t0;
        assert!(
            took >= Duration::from_secs(2) && took < Duration::from_millis(2050),
            "{took:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn many_waiters_are_served_in_turn_at_the_rate() {
        // 1/3 s per token is not exact in floating point: the bucket must not spin on remainders.
        let b = Arc::new(TokenBucket::new(RateLimit {
            per_second: 3.0,
            burst: 1,
        }));
        let t0 = Instant::now();
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..100 {
            let b = b.clone();
            set.spawn(async move {
                b.acquire().await;
                Instant::now()
            });
        }
        let mut times = set.join_all().await;
        times.sort();
        let took = (times[99] - t0).as_secs_f64();
        assert!((33.0..33.5).contains(&took), "{took}");
        // Never two within less than a slot (ms rounding only makes them later).
        assert!(times
            .windows(2)
            .all(|w| (w[1] - w[0]).as_secs_f64() >= 1.0 / 3.0 - 1e-3));
    }

    #[tokio::test(start_paused = true)]
    async fn throttle_pauses_shrinks_and_recovers() {
        let b = TokenBucket::new(RateLimit {
            per_second: 8.0,
            burst: 8,
        });
        b.throttled(Duration::from_secs(3));
        let t0 = Instant::now();
        b.acquire().await;
        assert!(Instant::now() - t0 >= Duration::from_secs(3));
        assert_eq!(b.rate(), 4.0);
        b.throttled(Duration::from_secs(1));
        assert_eq!(b.rate(), 2.0);
        tokio::time::sleep(Duration::from_secs(31)).await;
        assert_eq!(b.rate(), 4.0);
        tokio::time::sleep(Duration::from_secs(30)).await;
        assert_eq!(b.rate(), 8.0);
        for _ in 0..20 {
            b.throttled(Duration::ZERO);
        }
        assert_eq!(b.rate(), 0.5, "the rate never drops below its floor");
    }

    #[test]
    fn overrides_win_and_buckets_are_shared() {
        let budgets = Budgets::new(BTreeMap::from([(
            "a".to_string(),
            RateLimit {
                per_second: 1.0,
                burst: 1,
            },
        )]));
        let declared = RateLimit {
            per_second: 10.0,
            burst: 20,
        };
        assert_eq!(budgets.bucket("a", declared).base().per_second, 1.0);
        assert_eq!(budgets.bucket("b", declared).base().burst, 20);
        let again = budgets.clone().bucket("b", declared);
        assert!(Arc::ptr_eq(&again, &budgets.bucket("b", declared)));
    }
}
