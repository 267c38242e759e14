//! Progress events, the throttle that decides when one goes out (docs/API.md §4), and the
//! [`ProgressSink`] the body reports to. Nothing here knows about JavaScript: `listeners.rs`
//! implements the sink.

use std::time::{Duration, Instant};

use napi_derive::napi;

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

    fn event(&self, sent: u64) -> ProgressEvent {
        ProgressEvent {
            progress: percent(sent, self.total),
            total_bytes_sent: sent as f64,
            total_bytes_expected_to_send: self.total as f64,
        }
    }
}

/// `floor(sent * 100 / total)` without overflow, 0 for an empty total.
pub fn percent(sent: u64, total: u64) -> u32 {
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
