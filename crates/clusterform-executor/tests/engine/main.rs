//! Engine tests: the executor against the strict in-memory provider, on tokio's paused clock.

mod cancel;
mod lookup;
mod refresh;
mod resume;
mod sensitive;
mod support;
mod walk;
