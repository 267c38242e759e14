//! The deadline of one upload (`timeout`): counted from the task's creation, it is the one
//! place that knows when the upload must have ended. The race in `upload.rs` waits for it, and
//! the retry rules (`retry.rs`) ask it how much time is left before they wait.
//! (`options.rs` reads the caller's number, with its default, into the duration.)

use std::future::pending;
use std::time::{Duration, Instant};

/// When an upload must have ended, if ever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    at: Option<Instant>,
}

impl Deadline {
    /// The deadline of an upload created at `started` that may take `timeout` (`None`: none).
    pub fn new(started: Instant, timeout: Option<Duration>) -> Self {
        Deadline {
            at: timeout.and_then(|t| started.checked_add(t)),
        }
    }

    /// No deadline.
    #[cfg(test)]
    pub fn none() -> Self {
        Deadline { at: None }
    }

    /// The time left at `now`: `None` without a deadline, zero once it passed.
    pub fn left(&self, now: Instant) -> Option<Duration> {
        self.at.map(|at| at.saturating_duration_since(now))
    }

    /// Completes when the deadline passes; never without one.
    pub async fn passed(self) {
        match self.at {
            Some(at) => tokio::time::sleep_until(at.into()).await,
            None => pending::<()>().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_left_counts_from_the_start() {
        let start = Instant::now();
        let deadline = Deadline::new(start, Some(Duration::from_millis(500)));
        assert_eq!(deadline.left(start), Some(Duration::from_millis(500)));
        assert_eq!(
            deadline.left(start + Duration::from_millis(200)),
            Some(Duration::from_millis(300))
        );
        assert_eq!(
            deadline.left(start + Duration::from_secs(1)),
            Some(Duration::ZERO)
        );
        assert_eq!(Deadline::new(start, None).left(start), None);
        assert_eq!(Deadline::new(start, Some(Duration::MAX)).left(start), None);
    }

    #[tokio::test(start_paused = true)]
    async fn it_passes_at_its_instant() {
        let clock = tokio::time::Instant::now();
        Deadline::new(Instant::now(), Some(Duration::from_millis(50)))
            .passed()
            .await;
        assert!(clock.elapsed() >= Duration::from_millis(50));
    }
}
