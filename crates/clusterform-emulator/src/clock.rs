//! Injectable clocks: the real wall clock for the server, a manual one for tests.
//!
//! Simulated durations are not stretched here; the world divides each duration by the
//! time scale when it schedules a transition, so timestamps stay real wall-clock times
//! (signatures compare `X-Sdk-Date` against them).

use chrono::{DateTime, Duration, Utc};
use std::sync::Mutex;

/// Source of "now" for the emulator.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;
}

/// The real UTC wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to: unit tests advance it instantly.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
}

impl ManualClock {
    /// A manual clock starting at `start`.
    pub fn new(start: DateTime<Utc>) -> Self {
        Self {
            now: Mutex::new(start),
        }
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut guard = self.now.lock().unwrap_or_else(|p| p.into_inner());
        *guard += by;
    }

    /// Sets the clock to `to`.
    pub fn set(&self, to: DateTime<Utc>) {
        let mut guard = self.now.lock().unwrap_or_else(|p| p.into_inner());
        *guard = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Divides a simulated duration by the time scale (a scale ≤ 0 counts as 1).
pub fn scale(d: Duration, time_scale: f64) -> Duration {
    if time_scale.is_nan() || time_scale <= 0.0 || (time_scale - 1.0).abs() < f64::EPSILON {
        return d;
    }
    let ms = d.num_milliseconds() as f64 / time_scale;
    Duration::milliseconds(ms.round().max(0.0) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_advances_only_when_told() {
        let start = Utc::now();
        let c = ManualClock::new(start);
        assert_eq!(c.now(), start);
        c.advance(Duration::minutes(8));
        assert_eq!(c.now(), start + Duration::minutes(8));
    }

    #[test]
    fn scale_divides_durations() {
        assert_eq!(scale(Duration::minutes(10), 600.0), Duration::seconds(1));
        assert_eq!(scale(Duration::minutes(10), 1.0), Duration::minutes(10));
        assert_eq!(scale(Duration::minutes(10), 0.0), Duration::minutes(10));
    }
}
