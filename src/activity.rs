//! Stall detection (`idleTimeout`): when a byte last moved, and in which phase of the upload.
//! The body marks each frame it hands over, the response marks its head and each chunk; a
//! watchdog fails the upload once nothing moved for the idle time. (What the body's frames
//! tell others, its end and its first movement, is `body_signals.rs`.)

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use crate::phase::Phase;

/// The last movement of one upload.
#[derive(Debug)]
pub struct Activity {
    origin: Instant,
    /// Milliseconds from `origin` to the last movement.
    last: AtomicU64,
    phase: AtomicU8,
    /// Set while the upload waits on purpose (a retry's backoff): not a stall.
    waiting: AtomicBool,
}

impl Activity {
    /// An upload that starts now, connecting.
    pub fn new() -> Self {
        Activity {
            origin: Instant::now(),
            last: AtomicU64::new(0),
            phase: AtomicU8::new(Phase::connect as u8),
            waiting: AtomicBool::new(false),
        }
    }

    /// Records that bytes moved now, in `phase`.
    pub fn moved(&self, phase: Phase) {
        let ms = self.origin.elapsed().as_millis() as u64;
        self.last.store(ms, Ordering::Relaxed);
        self.phase.store(phase as u8, Ordering::Relaxed);
    }

    /// Runs `wait` (a deliberate pause: a retry's backoff) without it counting as a stall; the
    /// idle time counts again from its end, connecting.
    pub async fn waiting<F: std::future::Future>(&self, wait: F) -> F::Output {
        self.pause(true);
        let output = wait.await;
        self.moved(Phase::connect);
        self.pause(false);
        output
    }

    /// Marks the start (`true`) or the end (`false`) of a deliberate pause (a retry's backoff,
    /// a body held for `100 Continue`), which is not a stall.
    pub fn pause(&self, on: bool) {
        self.waiting.store(on, Ordering::Relaxed);
    }

    /// The phase of the last movement.
    pub fn phase(&self) -> Phase {
        let index = self.phase.load(Ordering::Relaxed) as usize;
        Phase::ALL.get(index).copied().unwrap_or(Phase::connect)
    }

    /// Completes once nothing moved for `idle`, with the phase the upload stalled in.
    pub async fn stalled(&self, idle: Duration) -> Phase {
        loop {
            let last = self.origin + Duration::from_millis(self.last.load(Ordering::Relaxed));
            let due = last + idle;
            if Instant::now() >= due {
                if self.waiting.load(Ordering::Relaxed) {
                    tokio::time::sleep(idle).await;
                    continue;
                }
                return self.phase();
            }
            tokio::time::sleep_until(due).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_stall_is_reported_with_its_phase_and_movement_defers_it() {
        let activity = Activity::new();
        let idle = Duration::from_millis(100);
        let watchdog = activity.stalled(idle);
        tokio::pin!(watchdog);
        for _ in 0..5 {
            tokio::time::sleep(Duration::from_millis(60)).await;
            activity.moved(Phase::send);
            let still_waiting = tokio::time::timeout(Duration::ZERO, watchdog.as_mut()).await;
            assert!(still_waiting.is_err(), "movement defers the stall");
        }
        assert_eq!(watchdog.await, Phase::send);
        assert!(activity.origin.elapsed() >= Duration::from_millis(400));
    }

    #[tokio::test(start_paused = true)]
    async fn a_deliberate_wait_is_not_a_stall() {
        let activity = Activity::new();
        let idle = Duration::from_millis(50);
        let watchdog = activity.stalled(idle);
        tokio::pin!(watchdog);
        let wait = activity.waiting(tokio::time::sleep(Duration::from_millis(500)));
        tokio::select! {
            _ = wait => {}
            _ = watchdog.as_mut() => panic!("the wait counted as a stall"),
        }
        let start = Instant::now();
        assert_eq!(watchdog.await, Phase::connect);
        assert!(start.elapsed() <= idle + Duration::from_millis(1));
    }

    #[tokio::test(start_paused = true)]
    async fn nothing_moving_is_a_stall_while_connecting() {
        let activity = Activity::new();
        assert_eq!(
            activity.stalled(Duration::from_millis(50)).await,
            Phase::connect
        );
    }
}
