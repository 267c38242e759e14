//! Progress events, the throttle that decides when one goes out (docs/API.md §4), and the
//! [`ProgressSink`] the body reports to. Nothing here knows about JavaScript: `listeners.rs`
//! implements the sink.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use napi_derive::napi;
use tokio::sync::Notify;

/// Events never go out closer together than this, the final `100` aside.
pub const MIN_INTERVAL: Duration = Duration::from_millis(50);
/// Without a percent step, an event still goes out this long after the last one if bytes moved.
pub const HEARTBEAT: Duration = Duration::from_millis(200);

/// The payload of `onProgressUpdate`.
#[napi(object)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProgressEvent {
    /// `floor(totalBytesSent * 100 / totalBytesExpectedToSend)`, 0 to 100.
    pub progress: u32,
    /// Body bytes handed to the connection so far.
    pub total_bytes_sent: f64,
    /// The exact `Content-Length` of the whole body.
    pub total_bytes_expected_to_send: f64,
}

/// What the throttle lets through: an ordinary step, or the one final event (the `100`) that
/// must reach every listener before the response headers are delivered.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ProgressUpdate {
    /// An event on the way; it may be delivered whenever the listener's thread gets to it.
    Step(ProgressEvent),
    /// The last event: every byte was handed over.
    Final(ProgressEvent),
}

impl ProgressUpdate {
    /// The event, whichever kind it is.
    pub fn event(&self) -> ProgressEvent {
        match self {
            ProgressUpdate::Step(e) | ProgressUpdate::Final(e) => *e,
        }
    }
}

/// Where the body reports the updates the throttle lets through.
pub trait ProgressSink: Send + Sync {
    /// Delivers one update; must not block.
    fn report(&self, update: ProgressUpdate);
}

/// Decides which byte counts become events: on a new integer percent or a 200 ms heartbeat,
/// never more often than every 50 ms, and the `100` exactly once when every byte was sent.
#[derive(Debug)]
pub struct ProgressThrottle {
    total: u64,
    /// Bytes handed over so far, reported or not.
    sent: u64,
    last_percent: u32,
    last_sent: u64,
    last_event: Instant,
    finished: bool,
}

impl ProgressThrottle {
    /// A throttle for a body of `total` bytes whose sending starts at `start`.
    pub fn new(total: u64, start: Instant) -> Self {
        ProgressThrottle {
            total,
            sent: 0,
            last_percent: 0,
            last_sent: 0,
            last_event: start,
            finished: false,
        }
    }

    /// Records that `sent` bytes in all have been handed over at `now`; returns the event to
    /// deliver, if one is due.
    pub fn advance(&mut self, sent: u64, now: Instant) -> Option<ProgressUpdate> {
        if self.finished {
            return None;
        }
        self.sent = self.sent.max(sent);
        let sent = self.sent;
        if sent >= self.total {
            self.finished = true;
            return Some(ProgressUpdate::Final(self.event(self.total)));
        }
        let since = now.saturating_duration_since(self.last_event);
        if since < MIN_INTERVAL {
            return None;
        }
        let percent = percent(sent, self.total);
        let heartbeat = since >= HEARTBEAT && sent > self.last_sent;
        if percent > self.last_percent || heartbeat {
            self.last_percent = percent;
            self.last_sent = sent;
            self.last_event = now;
            return Some(ProgressUpdate::Step(self.event(sent)));
        }
        None
    }

    /// When the bytes handed over but not reported yet become due (the trailing edge): at the end
    /// of the 50 ms window for a new percent, of the 200 ms heartbeat otherwise; `None` when
    /// nothing is held back.
    pub fn due(&self) -> Option<Instant> {
        if self.finished || self.sent <= self.last_sent {
            return None;
        }
        let wait = if percent(self.sent, self.total) > self.last_percent {
            MIN_INTERVAL
        } else {
            HEARTBEAT
        };
        Some(self.last_event + wait)
    }

    /// Reports what was held back, if it is due at `now`.
    pub fn flush(&mut self, now: Instant) -> Option<ProgressUpdate> {
        self.advance(self.sent, now)
    }

    fn event(&self, sent: u64) -> ProgressEvent {
        ProgressEvent {
            progress: percent(sent, self.total),
            total_bytes_sent: sent as f64,
            total_bytes_expected_to_send: self.total as f64,
        }
    }
}

/// The progress of one body: the throttle, the sink its updates go to, and the trailing edge that
/// reports bytes held back by the throttle when their window ends, even if no other byte moves
/// (a receiver that stalls still sees where the upload stopped).
pub struct ProgressReporter {
    throttle: Mutex<ProgressThrottle>,
    sink: Arc<dyn ProgressSink>,
    held_back: Notify,
}

impl ProgressReporter {
    /// A reporter for a body of `total` bytes whose sending starts now.
    pub fn new(total: u64, sink: Arc<dyn ProgressSink>) -> Self {
        ProgressReporter {
            throttle: Mutex::new(ProgressThrottle::new(total, now())),
            sink,
            held_back: Notify::new(),
        }
    }

    /// Records that `sent` bytes in all were handed over; reports an update if one is due.
    pub fn advance(&self, sent: u64) {
        let mut throttle = self.lock();
        // Reported under the lock, so that updates reach the sink in order.
        if let Some(update) = throttle.advance(sent, now()) {
            self.sink.report(update);
        }
        // Wake the trailing edge for what was held back, or to end after the final update.
        if throttle.finished || throttle.due().is_some() {
            self.held_back.notify_one();
        }
    }

    /// Runs the trailing edge until the final update went out; meant to be polled alongside the
    /// request (it ends by itself, or is dropped with it).
    pub async fn trailing_edge(&self) {
        loop {
            let due = self.lock().due();
            match due {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => self.held_back.notified().await,
            }
            let mut throttle = self.lock();
            if let Some(update) = throttle.flush(now()) {
                self.sink.report(update);
            }
            if throttle.finished {
                return;
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, ProgressThrottle> {
        self.throttle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The time on tokio's clock (the same as the system's, except in tests that pause it).
fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

/// `floor(sent * 100 / total)` without overflow, 0 for an empty total.
fn percent(sent: u64, total: u64) -> u32 {
    if total == 0 {
        return 100;
    }
    ((sent.min(total) as u128 * 100) / total as u128) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn percent_is_floored_and_exact_at_the_end() {
        assert_eq!(percent(0, 10), 0);
        assert_eq!(percent(999, 1000), 99);
        assert_eq!(percent(1000, 1000), 100);
        assert_eq!(percent(u64::MAX - 1, u64::MAX), 99);
    }

    #[test]
    fn steps_are_rate_limited_to_50ms() {
        let t0 = Instant::now();
        let mut t = ProgressThrottle::new(1000, t0);
        assert_eq!(t.advance(100, t0 + 10 * MS), None, "too soon after start");
        assert_eq!(
            t.advance(200, t0 + 50 * MS).map(|u| u.event().progress),
            Some(20)
        );
        assert_eq!(t.advance(300, t0 + 60 * MS), None, "10 ms after the last");
        assert_eq!(
            t.advance(400, t0 + 100 * MS).map(|u| u.event().progress),
            Some(40)
        );
    }

    #[test]
    fn heartbeat_when_percent_stalls_but_bytes_move() {
        let t0 = Instant::now();
        let mut t = ProgressThrottle::new(1_000_000, t0);
        assert_eq!(
            t.advance(10, t0 + 100 * MS),
            None,
            "no percent step, no heartbeat yet"
        );
        let e = t.advance(20, t0 + 200 * MS).expect("heartbeat").event();
        assert_eq!((e.progress, e.total_bytes_sent), (0, 20.0));
        assert_eq!(t.advance(20, t0 + 500 * MS), None, "no bytes moved");
    }

    #[test]
    fn the_final_event_goes_out_once_even_inside_the_interval() {
        let t0 = Instant::now();
        let mut t = ProgressThrottle::new(1000, t0);
        assert!(matches!(
            t.advance(500, t0 + 60 * MS),
            Some(ProgressUpdate::Step(_))
        ));
        let last = match t.advance(1000, t0 + 61 * MS) {
            Some(ProgressUpdate::Final(e)) => e,
            other => panic!("expected the final event, got {other:?}"),
        };
        assert_eq!(last.progress, 100);
        assert_eq!(last.total_bytes_sent, 1000.0);
        assert_eq!(last.total_bytes_expected_to_send, 1000.0);
        assert_eq!(t.advance(1000, t0 + 500 * MS), None);
    }

    #[test]
    fn held_back_bytes_fall_due_at_the_end_of_their_window() {
        let t0 = Instant::now();
        let mut t = ProgressThrottle::new(1000, t0);
        assert_eq!(t.due(), None, "nothing sent");
        assert!(t.advance(100, t0 + 60 * MS).is_some());
        assert_eq!(t.due(), None, "everything reported");
        assert_eq!(
            t.advance(300, t0 + 70 * MS),
            None,
            "inside the 50 ms window"
        );
        assert_eq!(
            t.due(),
            Some(t0 + 110 * MS),
            "a new percent: due after 50 ms"
        );
        assert_eq!(t.flush(t0 + 100 * MS), None, "not yet");
        let e = t.flush(t0 + 110 * MS).expect("the trailing edge").event();
        assert_eq!((e.progress, e.total_bytes_sent), (30, 300.0));
        assert_eq!(t.due(), None);
    }

    #[test]
    fn bytes_without_a_new_percent_fall_due_on_the_heartbeat() {
        let t0 = Instant::now();
        let mut t = ProgressThrottle::new(1_000_000, t0);
        assert_eq!(t.advance(10, t0 + 60 * MS), None);
        assert_eq!(t.due(), Some(t0 + 200 * MS));
    }

    #[tokio::test(start_paused = true)]
    async fn the_trailing_edge_reports_a_stalled_upload() {
        #[derive(Default)]
        struct Recorder(Mutex<Vec<ProgressUpdate>>);
        impl ProgressSink for Recorder {
            fn report(&self, update: ProgressUpdate) {
                self.0.lock().unwrap().push(update);
            }
        }
        let sink = Arc::new(Recorder::default());
        let reporter = Arc::new(ProgressReporter::new(1000, sink.clone()));
        let edge = tokio::spawn({
            let reporter = reporter.clone();
            async move { reporter.trailing_edge().await }
        });
        tokio::time::sleep(60 * MS).await;
        reporter.advance(100); // reported at once
        reporter.advance(400); // held back: 0 ms since the last event
        assert_eq!(sink.0.lock().unwrap().len(), 1);
        tokio::time::sleep(100 * MS).await; // then nothing moves
        let reported: Vec<f64> = sink
            .0
            .lock()
            .unwrap()
            .iter()
            .map(|u| u.event().total_bytes_sent)
            .collect();
        assert_eq!(
            reported,
            [100.0, 400.0],
            "the held-back bytes were reported"
        );
        reporter.advance(1000);
        tokio::time::sleep(MS).await;
        assert!(edge.is_finished(), "it ends after the final update");
    }

    #[test]
    fn a_huge_fast_upload_yields_few_events() {
        let t0 = Instant::now();
        let total = 10u64 << 30;
        let mut t = ProgressThrottle::new(total, t0);
        let mut events = 0;
        let chunk = 1u64 << 20;
        for i in 1..=(total / chunk) {
            // 1 GiB/s: one chunk per millisecond.
            if t.advance(i * chunk, t0 + i as u32 * MS).is_some() {
                events += 1;
            }
        }
        assert!((100..=250).contains(&events), "{events} events");
    }
}
