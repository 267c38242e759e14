//! `maxBytesPerSecond`: the body is paced so that, at any moment, no more bytes have been handed
//! to the connection than the rate allows since the first one (curl's `--limit-rate`). Frames are
//! cut to 50 ms of the rate, so that progress keeps flowing at low rates.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::{Instant, Sleep};

/// The pace of one body.
pub struct Pace {
    bytes_per_second: f64,
    start: Option<Instant>,
    /// Made when first needed: only a task on the runtime polls the body.
    sleep: Option<Pin<Box<Sleep>>>,
}

impl Pace {
    /// A pace of `bytes_per_second` (positive and finite), starting with the first frame.
    pub fn new(bytes_per_second: f64) -> Self {
        Pace {
            bytes_per_second,
            start: None,
            sleep: None,
        }
    }

    /// The largest frame to hand over: 50 ms of the rate, at least 1 KiB, at most `max`.
    pub fn frame_size(&self, max: usize) -> usize {
        ((self.bytes_per_second / 20.0) as usize).clamp(1024, max.max(1024))
    }

    /// Ready once `sent` bytes may have been handed over; otherwise wakes the task then.
    pub fn poll_ready(&mut self, sent: u64, cx: &mut Context<'_>) -> Poll<()> {
        let start = *self.start.get_or_insert_with(Instant::now);
        let due = start + Duration::from_secs_f64(sent as f64 / self.bytes_per_second);
        if Instant::now() >= due {
            return Poll::Ready(());
        }
        match self.sleep.as_mut() {
            Some(sleep) => sleep.as_mut().reset(due),
            None => self.sleep = Some(Box::pin(tokio::time::sleep_until(due))),
        }
        match self.sleep.as_mut() {
            Some(sleep) => sleep.as_mut().poll(cx),
            None => Poll::Ready(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::poll_fn;

    #[tokio::test(start_paused = true)]
    async fn bytes_go_out_no_faster_than_the_rate() {
        let mut pace = Pace::new(10_000.0); // 10 kB/s: frames of 1 KiB (50 ms is 500 bytes)
        assert_eq!(pace.frame_size(128 << 10), 1024);
        let begin = Instant::now();
        let mut sent = 0u64;
        while sent < 50_000 {
            poll_fn(|cx| pace.poll_ready(sent, cx)).await;
            sent += 1024;
        }
        let took = begin.elapsed();
        // The last frame may start once 49,152 bytes are allowed: 4.9 s at 10 kB/s.
        assert!(took >= Duration::from_millis(4900), "{took:?}");
        assert!(took < Duration::from_millis(5100), "{took:?}");
    }

    #[test]
    fn frames_are_fifty_milliseconds_of_the_rate() {
        assert_eq!(Pace::new(1_000_000.0).frame_size(128 << 10), 50_000);
        assert_eq!(Pace::new(1e12).frame_size(128 << 10), 128 << 10);
    }
}
