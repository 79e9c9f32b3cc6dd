//! Asking a running cycle to stop at its next safe point: between calendars being read,
//! between resources being written, never inside a write.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::Notify;

/// A request to stop, shared between the daemon's signal handling and the cycle.
#[derive(Debug, Clone, Default)]
pub struct Stop {
    requested: Arc<AtomicBool>,
    notify: Arc<Notify>,
}

impl Stop {
    /// Asks the cycle to stop at its next safe point.
    pub fn request(&self) {
        self.requested.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    /// True once a stop was asked for.
    pub fn requested(&self) -> bool {
        self.requested.load(Ordering::SeqCst)
    }

    /// Waits until a stop is asked for.
    pub async fn wait(&self) {
        loop {
            let notified = self.notify.notified();
            if self.requested() {
                return;
            }
            notified.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_request_wakes_the_waiter_and_stays() {
        let stop = Stop::default();
        assert!(!stop.requested());
        let waiter = {
            let stop = stop.clone();
            tokio::spawn(async move { stop.wait().await })
        };
        tokio::task::yield_now().await;
        stop.request();
        waiter.await.unwrap();
        assert!(stop.requested());
        // Asked before waiting: returns at once.
        stop.wait().await;
    }
}
