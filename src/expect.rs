//! `Expect: 100-continue` (`expectContinue`): an HTTP/1.1 body of [`EXPECT_FROM`] bytes or more
//! is held after the request head until the server answers, so that a server that refuses the
//! upload (401, 413) gets nothing of it. The body goes when the server sends `100 Continue`
//! (hyper reports it through `hyper::ext::on_informational`, which our HTTP/1.1 transport,
//! `transport.rs`, passes on as a request extension: [`Hold::informational`]), or when
//! [`CONTINUE_WAIT`] passes without an answer (as curl does); a final response instead is the
//! result and the body never goes (`attempt.rs` reports it with [`Hold::answered`], and the
//! upload then ends the body). An origin that let the wait run out is remembered for the life
//! of the environment's clients ([`SilentOrigins`]) and gets no `Expect` again.
//!
//! HTTP/2 is not held: a client that offers HTTP/2 sends no `Expect` over `https:`.

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::task::AtomicWaker;
use http::StatusCode;
use reqwest::header::{HeaderMap, EXPECT};
use tokio::time::{sleep, Sleep};

use crate::activity::Activity;
use crate::phase::Phase;

/// The smallest body sent with `Expect: 100-continue` (1 MiB, as curl's default).
pub const EXPECT_FROM: u64 = 1 << 20;

/// How long a held body waits for the server's answer (curl's `--expect100-timeout`).
pub const CONTINUE_WAIT: Duration = Duration::from_secs(1);

/// The origins (`scheme://host:port`) that let the wait run out, per environment.
#[derive(Debug, Default)]
pub struct SilentOrigins(Mutex<HashSet<String>>);

impl SilentOrigins {
    fn set(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether `origin` let the wait run out before.
    pub fn contains(&self, origin: &str) -> bool {
        self.set().contains(origin)
    }

    fn insert(&self, origin: &str) {
        self.set().insert(origin.to_owned());
    }
}

/// Whether a request with a body of `length` bytes and the caller's `headers` is sent with
/// `Expect: 100-continue`: when `expectContinue` is on, the body is large enough, the request
/// goes over HTTP/1.1 (`http2_possible` is false), the caller set no `Expect` of their own and
/// the origin did not let the wait run out before.
pub fn wanted(
    enabled: bool,
    length: u64,
    headers: &HeaderMap,
    http2_possible: bool,
    silent: bool,
) -> bool {
    enabled && length >= EXPECT_FROM && !http2_possible && !headers.contains_key(EXPECT) && !silent
}

/// What the body, the connection and the upload share about one held request.
pub struct Hold {
    origin: String,
    silent: Arc<SilentOrigins>,
    activity: Arc<Activity>,
    continued: AtomicBool,
    answered: AtomicBool,
    /// The held body's task, woken by a `100 Continue`.
    body: AtomicWaker,
}

impl Hold {
    /// The hold of a request to `origin`; the wait does not count as a stall of `activity`.
    pub fn new(origin: String, silent: Arc<SilentOrigins>, activity: Arc<Activity>) -> Arc<Self> {
        Arc::new(Hold {
            origin,
            silent,
            activity,
            continued: AtomicBool::new(false),
            answered: AtomicBool::new(false),
            body: AtomicWaker::new(),
        })
    }

    /// An informational response of `status` arrived: a `100 Continue` lets the body go.
    pub fn informational(&self, status: StatusCode) {
        if status == StatusCode::CONTINUE {
            self.continued.store(true, Ordering::SeqCst);
            self.body.wake();
        }
    }

    /// The server gave its final response before the body went: the body never goes.
    pub fn answered(&self) {
        self.answered.store(true, Ordering::SeqCst);
        self.activity.pause(false);
    }

    fn is_answered(&self) -> bool {
        self.answered.load(Ordering::SeqCst)
    }

    fn is_continued(&self) -> bool {
        self.continued.load(Ordering::SeqCst)
    }

    /// Lets the body go: the idle time counts again from now, connecting.
    fn release(&self) {
        self.activity.moved(Phase::connect);
        self.activity.pause(false);
    }
}

/// The body's side of a [`Hold`]: when it may go.
pub struct Gate {
    hold: Arc<Hold>,
    timer: Option<Pin<Box<Sleep>>>,
    open: bool,
}

impl Gate {
    /// The gate of `hold`, closed.
    pub fn new(hold: Arc<Hold>) -> Self {
        Gate {
            hold,
            timer: None,
            open: false,
        }
    }

    /// Ready once the body may go (a `100`, or the wait ran out); stays pending after a final
    /// response. Woken by the `100` or by the wait's timer, never polled in a loop.
    pub fn poll_open(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.open {
            return Poll::Ready(());
        }
        if self.hold.is_answered() {
            return Poll::Pending;
        }
        self.hold.body.register(cx.waker());
        if self.hold.is_continued() {
            return self.opened();
        }
        let hold = &self.hold;
        let timer = self.timer.get_or_insert_with(|| {
            // The head is being written: the wait for the answer begins.
            hold.activity.pause(true);
            Box::pin(sleep(CONTINUE_WAIT))
        });
        if timer.as_mut().poll(cx).is_ready() {
            self.hold.silent.insert(&self.hold.origin);
            return self.opened();
        }
        Poll::Pending
    }

    fn opened(&mut self) -> Poll<()> {
        self.open = true;
        self.timer = None;
        self.hold.release();
        Poll::Ready(())
    }
}

impl Drop for Gate {
    /// A body that ends while held (aborted, or its connection failed) ends the pause.
    fn drop(&mut self) {
        if !self.open {
            self.hold.activity.pause(false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_large_http1_bodies_without_a_callers_expect_are_held() {
        let none = HeaderMap::new();
        assert!(wanted(true, EXPECT_FROM, &none, false, false));
        assert!(!wanted(true, EXPECT_FROM - 1, &none, false, false));
        assert!(!wanted(false, EXPECT_FROM, &none, false, false));
        assert!(!wanted(true, EXPECT_FROM, &none, true, false));
        assert!(!wanted(true, EXPECT_FROM, &none, false, true));
        let mut own = HeaderMap::new();
        own.insert(EXPECT, "100-continue".parse().unwrap());
        assert!(!wanted(true, EXPECT_FROM, &own, false, false));
    }

    /// A closed gate over a fresh hold of `http://a:1`.
    fn fresh() -> (Gate, Arc<Hold>, Arc<SilentOrigins>) {
        let silent = Arc::new(SilentOrigins::default());
        let activity = Arc::new(Activity::new());
        let hold = Hold::new("http://a:1".into(), silent.clone(), activity);
        (Gate::new(hold.clone()), hold, silent)
    }

    #[tokio::test(start_paused = true)]
    async fn a_100_opens_the_gate_at_once_and_other_informational_responses_do_not() {
        let (mut gate, hold, silent) = fresh();
        let opening = tokio::spawn(async move {
            let start = tokio::time::Instant::now();
            std::future::poll_fn(|cx| gate.poll_open(cx)).await;
            start.elapsed()
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        hold.informational(StatusCode::from_u16(103).unwrap());
        tokio::time::sleep(Duration::from_millis(100)).await;
        hold.informational(StatusCode::CONTINUE);
        let waited = opening.await.unwrap();
        assert_eq!(
            waited,
            Duration::from_millis(400),
            "opened by the 100, not the 103"
        );
        assert!(!silent.contains("http://a:1"), "the server answered");
    }

    #[tokio::test(start_paused = true)]
    async fn a_final_response_keeps_the_body_for_good() {
        let (mut gate, hold, _silent) = fresh();
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(gate.poll_open(&mut cx).is_pending());
        hold.answered();
        tokio::time::sleep(CONTINUE_WAIT * 2).await;
        assert!(gate.poll_open(&mut cx).is_pending());
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_server_is_remembered_after_the_wait() {
        let (mut gate, _hold, silent) = fresh();
        let start = tokio::time::Instant::now();
        std::future::poll_fn(|cx| gate.poll_open(cx)).await;
        assert_eq!(start.elapsed(), CONTINUE_WAIT);
        assert!(silent.contains("http://a:1"));
    }
}
