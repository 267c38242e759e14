//! When an upload is sent again. The at-most-once rule, [`may_send_again`]: a request that
//! failed before any response is sent again without the caller's say-so only when the receiver
//! provably did not process it ([`Unprocessed`]); with `retry`, also when the caller marked it as
//! safe to repeat with an `Idempotency-Key` header. Under that rule: after HTTP/2 evidence that
//! a stream was not processed (at once, up to [`UNPROCESSED_RESENDS`] times), after a stale
//! pooled connection (once, at once, with or without `retry`; see `reuse.rs`), and with `retry` when the
//! connection was refused, reset or closed, or when the server said to come back later (429,
//! 503), honouring `Retry-After` up to a cap, and only when the wait ends before the deadline.
//! Each repeat re-opens the file and sends it whole.
//!
//! The rules are pure functions, [`may_send_again`] and [`decide`], over plain data; [`Sends`]
//! keeps the counts of one upload and asks [`decide`] after each attempt.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::HeaderValue;
use reqwest::StatusCode;

use crate::deadline::Deadline;
use crate::error::ErrorCode;

/// The caller's `retry` option, validated by `options.rs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// How many times an attempt may be repeated.
    pub limit: u32,
    /// The wait before the first repeat; doubled for each next one.
    pub backoff: Duration,
    /// The longest `Retry-After` honoured.
    pub max_retry_after: Duration,
}

impl RetryPolicy {
    /// The wait before repeat number `repeat` (1 for the first), when the server named none.
    pub fn backoff_before(&self, repeat: u32) -> Duration {
        let factor = 1u32
            .checked_shl(repeat.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.backoff.saturating_mul(factor)
    }
}

/// Evidence that the receiver did not process a request: the only grounds on which an upload is
/// sent again without the caller's say-so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
// The names are the ones agreed between the HTTP/1.1 and the HTTP/2 evidence.
#[allow(clippy::enum_variant_names)]
pub enum Unprocessed {
    /// The connection failed before the whole request was written: the body had not handed all
    /// of its bytes to the connection (what was handed over counts as written).
    NotWritten,
    /// HTTP/2 `REFUSED_STREAM` (RFC 9113 §8.7).
    RefusedStream,
    /// HTTP/2 `GOAWAY` whose last stream id is below the request's (RFC 9113 §6.8).
    GoawayUnprocessed,
}

/// How many times one upload is sent again on HTTP/2 [`Unprocessed`] evidence (a burst past a
/// server's stream limit, a server going away) before the other rules decide.
pub const UNPROCESSED_RESENDS: u32 = 8;

/// The at-most-once rule (docs/API.md §2.3): whether a request that failed before any response
/// may be sent again. Only when `unprocessed` proves the receiver did not process it, or when
/// the caller asked for repeats (`retry`) of a request it marked safe to repeat (`keyed`: it
/// carries an `Idempotency-Key` header, sent unchanged on every attempt).
pub fn may_send_again(unprocessed: Option<Unprocessed>, retry: bool, keyed: bool) -> bool {
    unprocessed.is_some() || (retry && keyed)
}

/// How an attempt ended, as the rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended<'a> {
    /// It failed before any response, with this code; `reused`: on a connection the pool
    /// certainly reused; `unprocessed`: the evidence that the receiver did not process it;
    /// `keyed`: the request carries an `Idempotency-Key` header; `timed_out_connecting`: it
    /// failed with `ETIMEDOUT` while its connection was being set up (`connectTimeout`, or an
    /// `idleTimeout` in phase `connect`).
    Failed {
        code: ErrorCode,
        reused: bool,
        unprocessed: Option<Unprocessed>,
        keyed: bool,
        timed_out_connecting: bool,
    },
    /// A response arrived, with this status and `Retry-After` header.
    Answered {
        status: StatusCode,
        retry_after: Option<&'a HeaderValue>,
    },
}

/// What an upload already used of its second chances.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Repeats of the `retry` policy so far.
    pub repeats: u32,
    /// Whether it was already sent again after a stale pooled connection.
    pub resent_stale: bool,
    /// How many times it was sent again on HTTP/2 [`Unprocessed`] evidence.
    pub unprocessed: u32,
}

/// Whether an upload is sent once more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resend {
    /// No: the failure or the response is the result.
    No,
    /// At once: the server closed the idle pooled connection as it was handed out.
    Stale,
    /// At once: the HTTP/2 server did not process it ([`Unprocessed`]).
    Unprocessed,
    /// After this wait, as the `retry` policy says.
    After(Duration),
}

/// The rule: whether an attempt that `ended` so is sent again, given the `policy` (`None`: no
/// `retry` option), the `tally` so far, the time left before the deadline (`None`: no deadline)
/// and the wall clock `now` (for a `Retry-After` date).
pub fn decide(
    policy: Option<&RetryPolicy>,
    tally: Tally,
    ended: Ended<'_>,
    time_left: Option<Duration>,
    now: SystemTime,
) -> Resend {
    if let Ended::Failed {
        unprocessed: Some(Unprocessed::RefusedStream | Unprocessed::GoawayUnprocessed),
        ..
    } = ended
    {
        if tally.unprocessed < UNPROCESSED_RESENDS {
            return Resend::Unprocessed;
        }
    }
    if let Ended::Failed {
        code,
        reused: true,
        unprocessed,
        ..
    } = ended
    {
        if !tally.resent_stale
            && code.is_connection_lost()
            && may_send_again(unprocessed, false, false)
        {
            return Resend::Stale;
        }
    }
    let Some(policy) = policy else {
        return Resend::No;
    };
    if tally.repeats >= policy.limit {
        return Resend::No;
    }
    let repeat = tally.repeats + 1;
    let wait = match ended {
        Ended::Failed {
            code,
            unprocessed,
            keyed,
            timed_out_connecting,
            ..
        } if (code == ErrorCode::ECONNREFUSED
            || code.is_connection_lost()
            || timed_out_connecting)
            && may_send_again(unprocessed, true, keyed) =>
        {
            policy.backoff_before(repeat)
        }
        Ended::Answered {
            status: StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE,
            retry_after,
        } => match retry_after.and_then(|value| retry_after_wait(value, now)) {
            Some(wait) if wait > policy.max_retry_after => return Resend::No,
            Some(wait) => wait,
            None => policy.backoff_before(repeat),
        },
        _ => return Resend::No,
    };
    if time_left.is_some_and(|left| wait >= left) {
        return Resend::No;
    }
    Resend::After(wait)
}

/// How many times one upload was sent, and whether it is sent once more ([`decide`]).
#[derive(Debug)]
pub struct Sends {
    policy: Option<RetryPolicy>,
    deadline: Deadline,
    tally: Tally,
    /// How many times the upload was sent, shared with the task (a failure carries it too).
    attempts: Arc<AtomicU32>,
    /// Whether the next request is a send of the upload (the first, or one [`decide`] allowed),
    /// rather than a redirect's.
    due: bool,
}

impl Sends {
    /// The sends of an upload with this policy and deadline; `attempts` counts them, as
    /// [`Sends::sending`] is told of them.
    pub fn new(policy: Option<RetryPolicy>, deadline: Deadline, attempts: Arc<AtomicU32>) -> Self {
        Sends {
            policy,
            deadline,
            tally: Tally::default(),
            attempts,
            due: true,
        }
    }

    /// Before each request: counts it when it sends the upload (the first request, or one
    /// [`Sends::after`] allowed), not when it follows a redirect.
    pub fn sending(&mut self) {
        if std::mem::take(&mut self.due) {
            self.attempts.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// After an attempt that `ended` so: the wait before sending again, or `None` when its
    /// failure or response is the result.
    pub fn after(&mut self, ended: Ended<'_>) -> Option<Duration> {
        let time_left = self.deadline.left(Instant::now());
        let resend = decide(
            self.policy.as_ref(),
            self.tally,
            ended,
            time_left,
            SystemTime::now(),
        );
        let wait = match resend {
            Resend::No => return None,
            Resend::Stale => {
                self.tally.resent_stale = true;
                Duration::ZERO
            }
            Resend::Unprocessed => {
                self.tally.unprocessed += 1;
                Duration::ZERO
            }
            Resend::After(wait) => {
                self.tally.repeats += 1;
                wait
            }
        };
        self.due = true;
        Some(wait)
    }

    /// How many times the upload was sent.
    pub fn attempts(&self) -> u32 {
        self.attempts.load(Ordering::Relaxed)
    }
}

/// The wait a `Retry-After` value asks for: delay-seconds, or an HTTP date (a past date is no
/// wait). `None` when unreadable.
fn retry_after_wait(value: &HeaderValue, now: SystemTime) -> Option<Duration> {
    let text = value.to_str().ok()?.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        // Delay-seconds beyond 64 bits are longer than any cap.
        let seconds = text.parse::<u64>().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(text).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            limit: 3,
            backoff: Duration::from_millis(100),
            max_retry_after: Duration::from_secs(5),
        }
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// A failure before the whole request was written.
    fn failed(code: ErrorCode, reused: bool) -> Ended<'static> {
        Ended::Failed {
            code,
            reused,
            unprocessed: Some(Unprocessed::NotWritten),
            keyed: false,
            timed_out_connecting: false,
        }
    }

    /// A failure after the whole request was written, with or without an `Idempotency-Key`.
    fn written(code: ErrorCode, reused: bool, keyed: bool) -> Ended<'static> {
        Ended::Failed {
            code,
            reused,
            unprocessed: None,
            keyed,
            timed_out_connecting: false,
        }
    }

    fn answered(status: u16, retry_after: Option<&HeaderValue>) -> Ended<'_> {
        Ended::Answered {
            status: StatusCode::from_u16(status).unwrap(),
            retry_after,
        }
    }

    /// [`decide`] with `policy()`, after `repeats`, without a deadline, now.
    fn with_policy(repeats: u32, ended: Ended<'_>) -> Resend {
        let tally = Tally {
            repeats,
            ..Tally::default()
        };
        decide(Some(&policy()), tally, ended, None, SystemTime::now())
    }

    #[test]
    fn backoff_doubles_and_saturates() {
        let p = policy();
        assert_eq!(p.backoff_before(1), ms(100));
        assert_eq!(p.backoff_before(2), ms(200));
        assert_eq!(p.backoff_before(4), ms(800));
        assert!(p.backoff_before(200) >= Duration::from_secs(1 << 20));
    }

    #[test]
    fn only_failures_before_a_response_repeat_with_the_backoff() {
        for code in [
            ErrorCode::ECONNREFUSED,
            ErrorCode::ECONNRESET,
            ErrorCode::EPIPE,
        ] {
            assert_eq!(with_policy(0, failed(code, false)), Resend::After(ms(100)));
            assert_eq!(with_policy(2, failed(code, false)), Resend::After(ms(400)));
        }
        for code in [
            ErrorCode::ENOTFOUND,
            ErrorCode::ERR_TLS_CERT_INVALID,
            ErrorCode::ABORT_ERR,
            ErrorCode::ETIMEDOUT,
            ErrorCode::ERR_PROXY,
            ErrorCode::ERR_NETWORK,
        ] {
            assert_eq!(with_policy(0, failed(code, false)), Resend::No, "{code}");
        }
    }

    #[test]
    fn only_429_and_503_ask_to_come_back() {
        for status in [200, 301, 404, 500, 502] {
            assert_eq!(
                with_policy(0, answered(status, None)),
                Resend::No,
                "{status}"
            );
        }
        assert_eq!(with_policy(1, answered(503, None)), Resend::After(ms(200)));
        let two = HeaderValue::from_static("2");
        assert_eq!(
            with_policy(0, answered(429, Some(&two))),
            Resend::After(Duration::from_secs(2))
        );
        let six = HeaderValue::from_static("6");
        assert_eq!(
            with_policy(0, answered(429, Some(&six))),
            Resend::No,
            "longer than the cap: the response is the result"
        );
        let unreadable = HeaderValue::from_static("soon");
        assert_eq!(
            with_policy(0, answered(503, Some(&unreadable))),
            Resend::After(ms(100)),
            "an unreadable Retry-After: the backoff"
        );
    }

    #[test]
    fn retry_after_dates() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        let later = HeaderValue::from_static("Sun, 06 Nov 1994 08:49:40 GMT");
        assert_eq!(retry_after_wait(&later, now), Some(Duration::from_secs(3)));
        let past = HeaderValue::from_static("Sun, 06 Nov 1994 08:49:30 GMT");
        assert_eq!(retry_after_wait(&past, now), Some(Duration::ZERO));
        let tally = Tally::default();
        let ended = answered(503, Some(&later));
        let resend = decide(Some(&policy()), tally, ended, None, now);
        assert_eq!(resend, Resend::After(Duration::from_secs(3)));
    }

    #[test]
    fn repeats_stop_at_the_limit_and_before_the_deadline() {
        let reset = failed(ErrorCode::ECONNRESET, false);
        assert_eq!(with_policy(3, reset), Resend::No, "limit 3");
        let tally = Tally::default();
        let now = SystemTime::now();
        let p = Some(&policy());
        assert_eq!(
            decide(p, tally, reset, Some(ms(101)), now),
            Resend::After(ms(100))
        );
        assert_eq!(
            decide(p, tally, reset, Some(ms(100)), now),
            Resend::No,
            "ends at it"
        );
        let two = HeaderValue::from_static("2");
        let later = answered(429, Some(&two));
        assert_eq!(decide(p, tally, later, Some(ms(1999)), now), Resend::No);
        let unlimited = RetryPolicy {
            limit: u32::MAX,
            ..policy()
        };
        let many = Tally {
            repeats: 1000,
            ..Tally::default()
        };
        let ended = decide(Some(&unlimited), many, reset, Some(ms(1)), now);
        assert_eq!(ended, Resend::No, "a saturated backoff never fits");
    }

    #[test]
    fn a_stale_pooled_connection_is_sent_again_once_at_once_with_or_without_retry() {
        let now = SystemTime::now();
        for code in [ErrorCode::ECONNRESET, ErrorCode::EPIPE] {
            let stale = failed(code, true);
            let fresh = Tally::default();
            assert_eq!(decide(None, fresh, stale, None, now), Resend::Stale);
            let zero_left = Some(Duration::ZERO);
            assert_eq!(decide(None, fresh, stale, zero_left, now), Resend::Stale);
            let spent = Tally {
                resent_stale: true,
                ..Tally::default()
            };
            assert_eq!(decide(None, spent, stale, None, now), Resend::No);
            let p = Some(&policy());
            assert_eq!(decide(p, spent, stale, None, now), Resend::After(ms(100)));
        }
        let refused = failed(ErrorCode::ECONNREFUSED, true);
        assert_eq!(
            decide(None, Tally::default(), refused, None, now),
            Resend::No
        );
        let new_connection = failed(ErrorCode::ECONNRESET, false);
        assert_eq!(
            decide(None, Tally::default(), new_connection, None, now),
            Resend::No
        );
    }

    #[test]
    fn the_rule_resends_only_unprocessed_requests_or_keyed_ones_with_retry() {
        for evidence in [
            Unprocessed::NotWritten,
            Unprocessed::RefusedStream,
            Unprocessed::GoawayUnprocessed,
        ] {
            assert!(may_send_again(Some(evidence), false, false));
        }
        assert!(!may_send_again(None, false, false));
        assert!(
            !may_send_again(None, false, true),
            "a key alone is no say-so"
        );
        assert!(
            !may_send_again(None, true, false),
            "retry alone is not enough"
        );
        assert!(may_send_again(None, true, true));
    }

    #[test]
    fn a_written_request_is_not_resent_unless_keyed_with_retry() {
        let now = SystemTime::now();
        let fresh = Tally::default();
        for code in [ErrorCode::ECONNRESET, ErrorCode::EPIPE] {
            let stale = written(code, true, true);
            assert_eq!(decide(None, fresh, stale, None, now), Resend::No);
            assert_eq!(with_policy(0, written(code, false, false)), Resend::No);
            assert_eq!(with_policy(0, written(code, true, false)), Resend::No);
            let keyed = written(code, false, true);
            assert_eq!(with_policy(0, keyed), Resend::After(ms(100)));
        }
    }

    #[test]
    fn a_retry_after_beyond_64_bits_is_over_the_cap() {
        let huge = HeaderValue::from_static("99999999999999999999999");
        let now = SystemTime::now();
        assert_eq!(
            retry_after_wait(&huge, now),
            Some(Duration::from_secs(u64::MAX))
        );
        assert_eq!(with_policy(0, answered(429, Some(&huge))), Resend::No);
        assert_eq!(with_policy(0, answered(503, Some(&huge))), Resend::No);
    }

    #[test]
    fn a_connection_that_timed_out_setting_up_is_sent_again_under_retry_only() {
        let now = SystemTime::now();
        let policy = RetryPolicy {
            limit: 2,
            backoff: Duration::from_millis(10),
            max_retry_after: Duration::from_secs(1),
        };
        let timed_out = |timed_out_connecting| Ended::Failed {
            code: ErrorCode::ETIMEDOUT,
            reused: false,
            unprocessed: Some(Unprocessed::NotWritten),
            keyed: false,
            timed_out_connecting,
        };
        let fresh = Tally::default();
        assert!(matches!(
            decide(Some(&policy), fresh, timed_out(true), None, now),
            Resend::After(_)
        ));
        assert_eq!(decide(None, fresh, timed_out(true), None, now), Resend::No);
        assert_eq!(
            decide(Some(&policy), fresh, timed_out(false), None, now),
            Resend::No,
            "a timeout after the connection was set up is the result"
        );
    }

    #[test]
    fn an_unprocessed_request_is_sent_again_at_once_up_to_the_bound() {
        let now = SystemTime::now();
        for evidence in [Unprocessed::RefusedStream, Unprocessed::GoawayUnprocessed] {
            let ended = Ended::Failed {
                code: ErrorCode::ECONNRESET,
                reused: true,
                unprocessed: Some(evidence),
                keyed: false,
                timed_out_connecting: false,
            };
            let fresh = Tally::default();
            assert_eq!(decide(None, fresh, ended, None, now), Resend::Unprocessed);
            let spent = Tally {
                unprocessed: UNPROCESSED_RESENDS,
                ..fresh
            };
            assert_eq!(
                decide(None, spent, ended, None, now),
                Resend::Stale,
                "past the bound, the other rules decide"
            );
            let stale_spent = Tally {
                resent_stale: true,
                ..spent
            };
            assert_eq!(decide(None, stale_spent, ended, None, now), Resend::No);
        }
        let not_written = failed(ErrorCode::ECONNREFUSED, false);
        let fresh = Tally::default();
        assert_eq!(
            decide(None, fresh, not_written, None, now),
            Resend::No,
            "not written: no resend at once without retry on a new connection"
        );
        let mut sends = Sends::new(None, Deadline::none(), Arc::default());
        let refused = Ended::Failed {
            code: ErrorCode::ECONNRESET,
            reused: false,
            unprocessed: Some(Unprocessed::RefusedStream),
            keyed: false,
            timed_out_connecting: false,
        };
        for _ in 0..UNPROCESSED_RESENDS {
            sends.sending();
            assert_eq!(sends.after(refused), Some(Duration::ZERO));
        }
        sends.sending();
        assert_eq!(sends.after(refused), None);
        assert_eq!(
            sends.attempts(),
            UNPROCESSED_RESENDS + 1,
            "each resend counts"
        );
    }

    #[test]
    fn sends_count_the_attempts() {
        let reset = failed(ErrorCode::ECONNRESET, false);
        let mut sends = Sends::new(Some(policy()), Deadline::none(), Arc::default());
        sends.sending();
        assert_eq!(
            sends.after(failed(ErrorCode::ECONNRESET, true)),
            Some(Duration::ZERO)
        );
        for wait in [100, 200, 400] {
            sends.sending();
            assert_eq!(sends.after(reset), Some(ms(wait)));
        }
        assert_eq!(sends.attempts(), 4, "the fifth is not sent yet");
        sends.sending();
        assert_eq!(sends.after(reset), None, "limit 3");
        sends.sending();
        assert_eq!(
            sends.attempts(),
            5,
            "a redirect's request is not another send"
        );

        let soon = Deadline::new(Instant::now(), Some(ms(150)));
        let mut sends = Sends::new(Some(policy()), soon, Arc::default());
        assert_eq!(sends.after(reset), Some(ms(100)));
        assert_eq!(sends.after(reset), None, "200 ms would pass the deadline");

        let counter = Arc::new(AtomicU32::new(0));
        let mut without = Sends::new(None, Deadline::none(), counter.clone());
        assert_eq!(without.attempts(), 0, "not sent yet");
        without.sending();
        assert_eq!(
            without.after(failed(ErrorCode::EPIPE, true)),
            Some(Duration::ZERO)
        );
        without.sending();
        assert_eq!(without.attempts(), 2, "without retry too");
        assert_eq!(counter.load(Ordering::Relaxed), 2, "shared with the task");
    }
}
