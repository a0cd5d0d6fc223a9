//! Cancellation as the CLI's Ctrl-C handler drives it: the first `cancel()` asks for a graceful
//! stop (start nothing new, checkpoint what runs), the second for an immediate one.

use std::sync::Arc;

use tokio::sync::watch;

/// How far cancellation has gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CancelLevel {
    None,
    /// Stop starting actions; running ones stop at their next wait, their operations journaled.
    Graceful,
    /// Return at once; the journal keeps whatever is in flight.
    Immediate,
}

/// A cloneable cancellation handle. Each `cancel()` raises the level by one.
#[derive(Debug, Clone)]
pub struct CancelToken {
    tx: Arc<watch::Sender<u8>>,
}

impl Default for CancelToken {
    fn default() -> Self {
        Self::new()
    }
}

impl CancelToken {
    pub fn new() -> Self {
        CancelToken {
            tx: Arc::new(watch::Sender::new(0)),
        }
    }

    /// Raises the level: the first call asks for a graceful stop, the second for an immediate one.
    pub fn cancel(&self) {
        self.tx.send_modify(|l| *l = (*l + 1).min(2));
    }

    pub fn level(&self) -> CancelLevel {
        match *self.tx.borrow() {
            0 => CancelLevel::None,
            1 => CancelLevel::Graceful,
            _ => CancelLevel::Immediate,
        }
    }

    /// Resolves once cancellation has been asked for (at any level).
    pub async fn cancelled(&self) {
        reached(self.subscribe(), CancelLevel::Graceful).await
    }

    pub(crate) fn subscribe(&self) -> watch::Receiver<u8> {
        self.tx.subscribe()
    }
}

/// Resolves once the level reaches `at_least`; never if the token is gone.
pub(crate) async fn reached(mut rx: watch::Receiver<u8>, at_least: CancelLevel) {
    let want = at_least as u8;
    if rx.wait_for(|l| *l >= want).await.is_err() {
        std::future::pending::<()>().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn levels_rise_and_stop_at_immediate() {
        let t = CancelToken::new();
        assert_eq!(t.level(), CancelLevel::None);
        let waiter = tokio::spawn(reached(t.subscribe(), CancelLevel::Graceful));
        t.clone().cancel();
        waiter.await.unwrap();
        t.cancelled().await;
        assert_eq!(t.level(), CancelLevel::Graceful);
        t.cancel();
        t.cancel();
        assert_eq!(t.level(), CancelLevel::Immediate);
    }
}
