//! What one request's body tells the rest of its attempt as its frames are handed over: that it
//! moved (the connection is up and takes it: the HTTP/2 first turn, `warmup.rs`, ends there),
//! how many bytes went (`sendBytesCount` of `enableProfile`) and when its last byte went
//! (`requestEnd`). The idle watch is apart (`activity.rs`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use tokio::sync::Notify;

use crate::error::UploadError;

/// The signals of one request's body.
#[derive(Debug, Default)]
pub struct BodySignals {
    /// When the body's last byte was handed over.
    end: Mutex<Option<Instant>>,
    /// Woken at each frame handed over, once someone waits for that ([`BodySignals::moves`]):
    /// the body's path pays one atomic load otherwise.
    moving: Notify,
    watched: AtomicBool,
    /// The body's own failure (a changed file, a read error), which HTTP/2 does not pass on to
    /// the request's error: hyper resets the stream and reports the reset.
    failure: Mutex<Option<UploadError>>,
    /// Byte counts at the frames handed over.
    totals: Mutex<Totals>,
}

/// How many bytes were handed over: in all, before the latest frame, and before the one before.
#[derive(Debug, Default, Clone, Copy)]
struct Totals {
    sent: u64,
    before_latest: u64,
    before_previous: u64,
}

impl BodySignals {
    /// Records a frame handed over, `sent` bytes in all; `last` when it ends the body.
    pub fn handed_over(&self, sent: u64, last: bool) {
        {
            let mut totals = lock(&self.totals);
            totals.before_previous = totals.before_latest;
            totals.before_latest = totals.sent;
            totals.sent = sent;
        }
        if last {
            *self.lock_end() = Some(Instant::now());
        }
        if self.watched.load(Ordering::Acquire) {
            self.moving.notify_waiters();
        }
    }

    /// Completes at the next frame handed over.
    pub async fn moves(&self) {
        let notified = self.moving.notified();
        tokio::pin!(notified);
        // Registered before the body is told to notify, so no frame is missed.
        notified.as_mut().enable();
        self.watched.store(true, Ordering::Release);
        notified.await;
    }

    /// How many of the body's bytes were handed over to the connection.
    pub fn bytes(&self) -> u64 {
        lock(&self.totals).sent
    }

    /// When the body's last byte was handed over, if it was.
    pub fn end(&self) -> Option<Instant> {
        *self.lock_end()
    }

    /// How many bytes were handed over before the frame before the latest one. hyper takes the
    /// next frame of an HTTP/2 body only once the stream has send capacity for the one before
    /// it, so the bytes before that one fitted the window the server granted.
    pub fn granted_at_least(&self) -> u64 {
        lock(&self.totals).before_previous
    }

    /// Records the body's own failure (the first one).
    pub fn failed(&self, err: &UploadError) {
        lock(&self.failure).get_or_insert_with(|| err.clone());
    }

    /// The body's own failure, if it failed.
    pub fn failure(&self) -> Option<UploadError> {
        lock(&self.failure).clone()
    }

    fn lock_end(&self) -> MutexGuard<'_, Option<Instant>> {
        lock(&self.end)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[tokio::test]
    async fn a_waiter_wakes_at_the_next_frame_and_the_end_is_recorded() {
        let signals = Arc::new(BodySignals::default());
        signals.handed_over(10, false);
        assert_eq!(signals.end(), None, "not the last frame");
        assert_eq!(signals.bytes(), 10);
        let waiter = tokio::spawn({
            let signals = signals.clone();
            async move { signals.moves().await }
        });
        // Frames until the waiter is registered and woken.
        let woke = tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                signals.handed_over(20, false);
                if waiter.is_finished() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        })
        .await;
        assert!(woke.is_ok(), "the waiter woke on a frame");
        signals.handed_over(30, true);
        assert_eq!(
            signals.granted_at_least(),
            20,
            "the bytes before the previous frame"
        );
        assert!(signals.end().is_some());
        assert_eq!(signals.bytes(), 30);
    }
}
