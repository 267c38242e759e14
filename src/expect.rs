//! `Expect: 100-continue` (`expectContinue`): an HTTP/1.1 body of [`EXPECT_FROM`] bytes or more
//! is held after the request head until the server answers, so that a server that refuses the
//! upload (401, 413) gets nothing of it. The body goes when the server sends `100 Continue`
//! (hyper reports it through `hyper::ext::on_informational`, which our HTTP/1.1 transport,
//! `transport.rs`, passes on as a request extension: [`Hold::informational`]), or when the wait
//! ([`wait_for`]) passes without an answer; a final response instead is the result and the body
//! never goes (`attempt.rs` reports it with [`Hold::answered`], and the upload then ends the
//! body).
//!
//! The wait adapts to the origin, as [`ContinueOrigins`] remembers it for the life of the
//! environment's clients: [`CONTINUE_FLOOR`] plus [`SETUPS`] times what the connection took to
//! set up (name, TCP, proxy, TLS: a few round trips), or [`ANSWERS`] times what the origin's
//! latest answer took, whichever is longer, and never more than [`CONTINUE_WAIT`] (curl's fixed
//! wait). An answer that comes after the wait (a `100`, or a final response while the body is
//! still going) teaches the next wait; an origin that let a whole body go without answering gets
//! no `Expect` again (curl pays its wait on every upload).
//!
//! HTTP/2 is not held: a client that offers HTTP/2 sends no `Expect` over `https:`.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::task::AtomicWaker;
use http::StatusCode;
use reqwest::header::{HeaderMap, EXPECT};
use tokio::time::{sleep, Instant, Sleep};

use crate::activity::Activity;
use crate::phase::Phase;
use crate::recent::Recent;
use crate::reuse::Watch;

/// The smallest body sent with `Expect: 100-continue` (1 MiB, as curl's default).
pub const EXPECT_FROM: u64 = 1 << 20;

/// The longest a held body waits for the server's answer (curl's `--expect100-timeout`).
pub const CONTINUE_WAIT: Duration = Duration::from_secs(1);

/// The shortest wait: the server's time to read a head and answer it, on top of the round trips.
pub const CONTINUE_FLOOR: Duration = Duration::from_millis(10);

/// How many times the connection's set-up time a wait lasts, beyond [`CONTINUE_FLOOR`]: the
/// head and its answer take one round trip, a set-up one (TCP) to three (a tunnel, TLS).
pub const SETUPS: u32 = 3;

/// How many times the origin's latest answer time a wait lasts.
pub const ANSWERS: u32 = 2;

/// How many origins [`ContinueOrigins`] remembers (the most recently used).
const ORIGINS_KEPT: usize = 256;

/// What an origin (`scheme://host:port`) showed of its answers to `Expect`.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
struct Heard {
    /// It let a whole body go without answering: it gets no `Expect` again.
    silent: bool,
    /// How long its latest answer (a `100`, or a final response before the body's end) took.
    answer: Option<Duration>,
    /// How long its latest new connection took to set up.
    setup: Option<Duration>,
}

/// How long a held body waits, for an origin whose latest answer took `heard_answer` (`None`:
/// none heard yet) and a connection that took `setup` to set up (`None`: unknown).
pub fn wait_for(heard_answer: Option<Duration>, setup: Option<Duration>) -> Duration {
    let by_setup = CONTINUE_FLOOR.saturating_add(setup.unwrap_or_default().saturating_mul(SETUPS));
    let by_answer = heard_answer.unwrap_or_default().saturating_mul(ANSWERS);
    by_setup.max(by_answer).min(CONTINUE_WAIT)
}

/// What the origins showed of their answers to `Expect`, per environment.
#[derive(Debug)]
pub struct ContinueOrigins(Mutex<Recent<String, Heard>>);

impl Default for ContinueOrigins {
    fn default() -> Self {
        ContinueOrigins(Mutex::new(Recent::new(ORIGINS_KEPT)))
    }
}

impl ContinueOrigins {
    fn heard(&self) -> std::sync::MutexGuard<'_, Recent<String, Heard>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Changes what `origin` showed with `change`.
    fn update(&self, origin: &str, change: impl FnOnce(&mut Heard)) {
        let mut heard = self.heard();
        let mut entry = heard.get(&origin.to_owned()).unwrap_or_default();
        change(&mut entry);
        heard.insert(origin.to_owned(), entry);
    }

    /// Whether `origin` let a whole body go without answering `Expect`.
    pub fn silent(&self, origin: &str) -> bool {
        self.heard()
            .get(&origin.to_owned())
            .is_some_and(|heard| heard.silent)
    }

    /// The wait of a request to `origin` over a connection that took `setup` to set up (`None`:
    /// a reused one, which waits as the origin's latest new connection did).
    fn wait(&self, origin: &str, setup: Option<Duration>) -> Duration {
        let mut known = Heard::default();
        self.update(origin, |heard| {
            if setup.is_some() {
                heard.setup = setup;
            }
            known = *heard;
        });
        wait_for(known.answer, known.setup)
    }
}

/// Whether a request with a body of `length` bytes and the caller's `headers` is sent with
/// `Expect: 100-continue`: when `expectContinue` is on, the body is large enough, the request
/// goes over HTTP/1.1 (`http2_possible` is false), the caller set no `Expect` of their own and
/// the origin did not let a whole body go without answering before (`silent`).
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
    origins: Arc<ContinueOrigins>,
    activity: Arc<Activity>,
    /// What the connector did for this request: the connection's set-up time.
    connecting: Watch,
    /// When the head went and the wait began.
    since: OnceLock<Instant>,
    continued: AtomicBool,
    answered: AtomicBool,
    /// The held body's task, woken by a `100 Continue`.
    body: AtomicWaker,
}

impl Hold {
    /// The hold of a request to `origin`, whose connecting `connecting` watches; the wait does
    /// not count as a stall of `activity`.
    pub fn new(
        origin: String,
        origins: Arc<ContinueOrigins>,
        activity: Arc<Activity>,
        connecting: Watch,
    ) -> Arc<Self> {
        Arc::new(Hold {
            origin,
            origins,
            activity,
            connecting,
            since: OnceLock::new(),
            continued: AtomicBool::new(false),
            answered: AtomicBool::new(false),
            body: AtomicWaker::new(),
        })
    }

    /// An informational response of `status` arrived: a `100 Continue` lets the body go, and
    /// tells the origin's next wait how long it took.
    pub fn informational(&self, status: StatusCode) {
        if status == StatusCode::CONTINUE && !self.continued.swap(true, Ordering::SeqCst) {
            self.heard_answer();
            self.body.wake();
        }
    }

    /// The server gave its final response: a body still held never goes. Without a `100`
    /// before it, a response after the body's end (`body_ended`) shows a server that does not
    /// answer `Expect`; one before it is an answer, and its time teaches the next wait.
    pub fn answered(&self, body_ended: bool) {
        self.answered.store(true, Ordering::SeqCst);
        self.activity.pause(false);
        if self.is_continued() {
            return;
        }
        match body_ended {
            true => self
                .origins
                .update(&self.origin, |heard| heard.silent = true),
            false => self.heard_answer(),
        }
    }

    /// The origin answered now: its answer took this long after the head.
    fn heard_answer(&self) {
        if let Some(since) = self.since.get() {
            let took = since.elapsed();
            self.origins
                .update(&self.origin, |heard| heard.answer = Some(took));
        }
    }

    fn is_answered(&self) -> bool {
        self.answered.load(Ordering::SeqCst)
    }

    fn is_continued(&self) -> bool {
        self.continued.load(Ordering::SeqCst)
    }

    /// The head is being written: the wait for the answer begins, for as long as the origin
    /// and the connection call for.
    fn begin_wait(&self) -> Duration {
        let _ = self.since.set(Instant::now());
        self.activity.pause(true);
        self.origins.wait(&self.origin, self.connecting.setup())
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
        let timer = self
            .timer
            .get_or_insert_with(|| Box::pin(sleep(hold.begin_wait())));
        if timer.as_mut().poll(cx).is_ready() {
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

    const MS: Duration = Duration::from_millis(1);

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

    #[test]
    fn the_wait_is_a_few_setups_or_two_answers_and_at_most_curls_second() {
        assert_eq!(wait_for(None, None), CONTINUE_FLOOR);
        assert_eq!(wait_for(None, Some(MS)), CONTINUE_FLOOR + 3 * MS);
        assert_eq!(wait_for(None, Some(100 * MS)), CONTINUE_FLOOR + 300 * MS);
        assert_eq!(wait_for(Some(300 * MS), Some(MS)), 600 * MS);
        assert_eq!(wait_for(Some(MS), Some(MS)), CONTINUE_FLOOR + 3 * MS);
        assert_eq!(wait_for(Some(900 * MS), None), CONTINUE_WAIT);
        assert_eq!(wait_for(None, Some(Duration::MAX)), CONTINUE_WAIT);
    }

    #[test]
    fn a_reused_connection_waits_as_the_origins_latest_new_one() {
        let origins = ContinueOrigins::default();
        assert_eq!(
            origins.wait("http://a:1", Some(20 * MS)),
            CONTINUE_FLOOR + 60 * MS
        );
        assert_eq!(origins.wait("http://a:1", None), CONTINUE_FLOOR + 60 * MS);
        assert_eq!(origins.wait("http://b:1", None), CONTINUE_FLOOR);
    }

    /// A closed gate over a fresh hold of `http://a:1`.
    fn fresh(origins: &Arc<ContinueOrigins>) -> (Gate, Arc<Hold>) {
        let activity = Arc::new(Activity::new());
        let hold = Hold::new(
            "http://a:1".into(),
            origins.clone(),
            activity,
            Watch::default(),
        );
        (Gate::new(hold.clone()), hold)
    }

    /// Polls `gate` until it opens; how long that took.
    async fn opening(mut gate: Gate) -> Duration {
        let start = Instant::now();
        std::future::poll_fn(|cx| gate.poll_open(cx)).await;
        start.elapsed()
    }

    #[tokio::test(start_paused = true)]
    async fn a_100_opens_the_gate_at_once_and_other_informational_responses_do_not() {
        let origins = Arc::new(ContinueOrigins::default());
        origins.update("http://a:1", |heard| heard.answer = Some(500 * MS));
        let (gate, hold) = fresh(&origins);
        let waited = tokio::spawn(opening(gate));
        tokio::time::sleep(300 * MS).await;
        hold.informational(StatusCode::from_u16(103).unwrap());
        tokio::time::sleep(100 * MS).await;
        hold.informational(StatusCode::CONTINUE);
        assert_eq!(
            waited.await.unwrap(),
            400 * MS,
            "opened by the 100, not the 103"
        );
        hold.answered(true);
        assert!(!origins.silent("http://a:1"), "the server answered");
        assert_eq!(
            origins.wait("http://a:1", None),
            800 * MS,
            "the latest answer took 400 ms"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_final_response_keeps_the_body_for_good() {
        let origins = Arc::new(ContinueOrigins::default());
        let (mut gate, hold) = fresh(&origins);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(gate.poll_open(&mut cx).is_pending());
        tokio::time::sleep(4 * MS).await;
        hold.answered(false);
        tokio::time::sleep(CONTINUE_WAIT * 2).await;
        assert!(gate.poll_open(&mut cx).is_pending());
        assert!(!origins.silent("http://a:1"));
        assert_eq!(
            origins.heard().get(&"http://a:1".into()).unwrap().answer,
            Some(4 * MS)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_answer_after_the_wait_teaches_the_next_wait() {
        let origins = Arc::new(ContinueOrigins::default());
        let (gate, hold) = fresh(&origins);
        assert_eq!(
            opening(gate).await,
            CONTINUE_FLOOR,
            "a new origin waits the floor"
        );
        tokio::time::sleep(290 * MS).await;
        hold.informational(StatusCode::CONTINUE);
        hold.answered(true);
        assert!(!origins.silent("http://a:1"));
        let (gate, _hold) = fresh(&origins);
        assert_eq!(
            opening(gate).await,
            600 * MS,
            "twice the 300 ms the 100 took"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_response_after_the_whole_body_without_a_100_marks_the_origin_silent() {
        let origins = Arc::new(ContinueOrigins::default());
        let (gate, hold) = fresh(&origins);
        assert_eq!(opening(gate).await, CONTINUE_FLOOR);
        assert!(
            !origins.silent("http://a:1"),
            "not yet: a late 100 may come"
        );
        hold.answered(true);
        assert!(origins.silent("http://a:1"));
    }

    #[test]
    fn at_most_the_kept_number_of_origins_is_remembered() {
        let origins = ContinueOrigins::default();
        for port in 0..ORIGINS_KEPT + 10 {
            origins.update(&format!("http://a:{port}"), |heard| heard.silent = true);
        }
        assert!(!origins.silent("http://a:0"), "the oldest went");
        assert!(origins.silent(&format!("http://a:{}", ORIGINS_KEPT + 9)));
    }
}
